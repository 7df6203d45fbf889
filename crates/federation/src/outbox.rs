//! The outbox: queueing messages and delivering them, with retries.
//!
//! Each destination has its own worker with its own limit of deliveries in
//! flight, so a dead agency only ever holds up its own queue. A failed
//! attempt is retried after an exponential delay with jitter; when the
//! destination itself cannot be reached, the whole destination pauses (with
//! the same backoff) and then sends a single probe before resuming, instead
//! of every queued message knocking on a closed door.
//!
//! Exactly-once delivery does not depend on the sender: a message keeps its
//! id across attempts, the receiver keeps one row per (sender, id), and a
//! repeated attempt is answered with the original receipt. So the sender
//! may retry freely, even twice concurrently (two replicas), and a crash at
//! any point costs at most a repeated attempt. On a retry the worker first
//! asks for a receipt, so a large payload that already arrived is not sent
//! again.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use congso_core::audit::{Actor, AuditAction};
use congso_store::blob::BlobStore;
use congso_store::federation::{
    self as store, FedWriter, OutboxNew, OutboxRow, WriteOp, INLINE_PAYLOAD_MAX,
};
use congso_store::ledger::{Ledger, NewEntry};
use congso_store::Db;
use futures::StreamExt;
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{Notify, Semaphore};

use crate::client::{AttemptError, SignedReceipt};
use crate::directory::{DirectoryView, MemberView};
use crate::envelope::{check_kind, check_organ_code, new_message_id, Domain, Envelope, Receipt};
use crate::error::{FederationError, Result};
use crate::service::Inner;

/// Slowest transfer rate assumed when bounding a delivery's total time.
const MIN_RATE_BYTES_PER_SEC: u64 = 1024 * 1024;

/// Messages fetched per look at a destination's queue.
const DUE_BATCH: u32 = 256;

/// A receipt came back for a message this process sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub message_id: String,
    pub recipient: String,
    /// When the message was queued (µs).
    pub created_at: i64,
    /// Arrival time stated in the receipt (µs, receiver's clock).
    pub received_at: i64,
    /// When the receipt was stored here (µs).
    pub receipt_at: i64,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting for its first attempt.
    Queued,
    /// Attempted at least once; no receipt yet (see `last_error`).
    Sent,
    /// The recipient's signed receipt is stored.
    Received,
    /// Given up: the recipient refused it for good (see `last_error`).
    Rejected,
}

/// A message's delivery status, with the signed receipt once it arrived.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryStatus {
    /// Position in the outbox (for paging).
    pub seq: i64,
    pub message_id: String,
    pub recipient: String,
    pub kind: String,
    pub state: DeliveryState,
    pub payload_len: i64,
    pub payload_sha256: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    /// The accepted attempt's envelope time.
    pub sent_at: Option<i64>,
    /// Arrival time from the receipt (receiver's clock).
    pub received_at: Option<i64>,
    /// When the receipt came back (this node's clock).
    pub receipt_at: Option<i64>,
    pub receipt: Option<Receipt>,
    /// The receipt's exact bytes and signature (base64), for proof.
    pub receipt_bytes: Option<String>,
    pub receipt_signature: Option<String>,
}

impl DeliveryStatus {
    pub fn from_row(row: OutboxRow) -> DeliveryStatus {
        use base64::Engine;
        let b64 = |bytes: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
        let state = match row.state.as_str() {
            "received" => DeliveryState::Received,
            "rejected" => DeliveryState::Rejected,
            _ if row.attempts > 0 => DeliveryState::Sent,
            _ => DeliveryState::Queued,
        };
        DeliveryStatus {
            receipt: row
                .receipt
                .as_deref()
                .and_then(|bytes| Receipt::decode(bytes).ok()),
            receipt_bytes: row.receipt.as_ref().map(b64),
            receipt_signature: row.receipt_signature.as_ref().map(b64),
            next_attempt_at: matches!(state, DeliveryState::Queued | DeliveryState::Sent)
                .then_some(row.next_attempt_at),
            seq: row.seq,
            message_id: row.message_id,
            recipient: row.recipient,
            kind: row.kind,
            state,
            payload_len: row.payload_len,
            payload_sha256: hex::encode(&row.payload_sha256),
            attempts: row.attempts,
            created_at: row.created_at,
            last_error: row.last_error,
            sent_at: row.sent_at,
            received_at: row.received_at,
            receipt_at: row.receipt_at,
        }
    }
}

/// A message's status from the outbox.
pub async fn status(db: &Db, message_id: &str) -> Result<Option<DeliveryStatus>> {
    Ok(store::outbox_message(db, message_id)
        .await?
        .map(DeliveryStatus::from_row))
}

/// What queueing needs; the running service and the command line both
/// queue through [`enqueue`].
pub struct Queue<'a> {
    pub db: &'a Db,
    pub blobs: &'a BlobStore,
    pub ledger: &'a Ledger,
    /// The running service's group-commit writer; `None` writes directly
    /// (the command line).
    pub writer: Option<&'a FedWriter>,
    pub directory: &'a DirectoryView,
    pub from: &'a str,
    pub max_payload_bytes: u64,
    pub actor: &'a Actor,
}

fn check_recipient(queue: &Queue<'_>, to: &str) -> Result<()> {
    check_organ_code(to)?;
    if to == queue.from {
        return Err(FederationError::invalid(
            "recipient",
            "a node does not send messages to itself",
        ));
    }
    queue.directory.active_member(to)?;
    Ok(())
}

/// Queues one message, streaming the payload into storage: up to
/// [`INLINE_PAYLOAD_MAX`] bytes inline in the outbox row, more into the
/// blob store. Returns the message id once the row is committed and the
/// ledger has recorded the message.
pub async fn enqueue<R: AsyncRead + Unpin + Send>(
    queue: &Queue<'_>,
    to: &str,
    kind: &str,
    payload: R,
) -> Result<String> {
    enqueue_with_id(queue, new_message_id(), to, kind, payload).await
}

/// Queues one message under an id the caller derived (so that queueing the
/// same thing again is recognised): when the outbox already holds a message
/// with this id, nothing is queued and `Ok(None)` is returned. Otherwise as
/// [`enqueue`], returning the id.
pub async fn enqueue_once<R: AsyncRead + Unpin + Send>(
    queue: &Queue<'_>,
    message_id: &str,
    to: &str,
    kind: &str,
    payload: R,
) -> Result<Option<String>> {
    crate::envelope::check_message_id(message_id)?;
    if store::outbox_message(queue.db, message_id).await?.is_some() {
        return Ok(None);
    }
    enqueue_with_id(queue, message_id.to_owned(), to, kind, payload)
        .await
        .map(Some)
}

async fn enqueue_with_id<R: AsyncRead + Unpin + Send>(
    queue: &Queue<'_>,
    message_id: String,
    to: &str,
    kind: &str,
    mut payload: R,
) -> Result<String> {
    check_kind(kind)?;
    check_recipient(queue, to)?;
    let mut head = Vec::with_capacity(INLINE_PAYLOAD_MAX + 1);
    (&mut payload)
        .take(INLINE_PAYLOAD_MAX as u64 + 1)
        .read_to_end(&mut head)
        .await?;
    let (payload_sha256, payload_len, payload_inline) = if head.len() <= INLINE_PAYLOAD_MAX {
        let hash: [u8; 32] = Sha256::digest(&head).into();
        (hash, head.len() as u64, Some(head))
    } else {
        let reader = std::io::Cursor::new(head).chain(payload);
        let blob = queue
            .blobs
            .put_reader(reader, Some(queue.max_payload_bytes))
            .await?;
        (blob.sha256, blob.size, None)
    };
    let message = OutboxNew {
        message_id,
        recipient: to.to_owned(),
        kind: kind.to_owned(),
        created_at: congso_store::now().micros(),
        payload_len: i64::try_from(payload_len).unwrap_or(i64::MAX),
        payload_sha256,
        payload_inline,
    };
    match queue.writer {
        Some(writer) => {
            writer.write(WriteOp::Enqueue(message.clone())).await?;
        }
        None => store::enqueue_many(queue.db, std::slice::from_ref(&message)).await?,
    }
    queue.ledger.append(queued_entry(queue, &message)).await?;
    Ok(message.message_id)
}

/// Queues many small messages (each at most [`INLINE_PAYLOAD_MAX`]) in
/// one transaction: bulk sends from the command line and tests.
pub async fn enqueue_batch(
    queue: &Queue<'_>,
    to: &str,
    kind: &str,
    payloads: Vec<Vec<u8>>,
) -> Result<Vec<String>> {
    check_kind(kind)?;
    check_recipient(queue, to)?;
    let now = congso_store::now().micros();
    let mut messages = Vec::with_capacity(payloads.len());
    for payload in payloads {
        if payload.len() > INLINE_PAYLOAD_MAX {
            return Err(FederationError::invalid(
                "batch payload",
                format!("each payload must be at most {INLINE_PAYLOAD_MAX} bytes"),
            ));
        }
        messages.push(OutboxNew {
            message_id: new_message_id(),
            recipient: to.to_owned(),
            kind: kind.to_owned(),
            created_at: now,
            payload_len: payload.len() as i64,
            payload_sha256: Sha256::digest(&payload).into(),
            payload_inline: Some(payload),
        });
    }
    store::enqueue_many(queue.db, &messages).await?;
    let entries = messages
        .iter()
        .map(|message| queued_entry(queue, message))
        .collect();
    queue.ledger.append_all(entries).await?;
    Ok(messages
        .into_iter()
        .map(|message| message.message_id)
        .collect())
}

fn queued_entry(queue: &Queue<'_>, message: &OutboxNew) -> NewEntry {
    NewEntry::new(
        queue.actor,
        AuditAction::FederationMessageQueued,
        format!("federation-message:{}/{}", queue.from, message.message_id),
    )
    .source("federation")
    .data_hash(&message.payload_sha256)
    .details(serde_json::json!({
        "to": message.recipient,
        "kind": message.kind,
        "payload_len": message.payload_len,
        "created_at": message.created_at,
    }))
}

// ---------------------------------------------------------------- delivery

/// Delay before attempt `attempt + 1` after `attempt` failures: doubling
/// from `base` up to `max`, then drawn uniformly from its upper half
/// ("equal jitter"), so retries of many messages spread out.
pub fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(30);
    let full = base
        .saturating_mul(1u32 << exponent)
        .min(max)
        .max(Duration::from_millis(1));
    let half = full / 2;
    let jitter = rand::thread_rng().gen_range(0..=half.as_micros() as u64);
    half + Duration::from_micros(jitter)
}

/// Starts a worker for every destination with queued messages, and keeps
/// looking for messages other processes queued.
pub(crate) async fn supervise(inner: Arc<Inner>) {
    let mut stop = inner.stop.subscribe();
    loop {
        match store::outbox_recipients(&inner.db).await {
            Ok(recipients) => {
                let now = congso_store::now().micros();
                for (recipient, due) in recipients {
                    if due <= now {
                        inner.wake(&recipient);
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot read the federation outbox"),
        }
        tokio::select! {
            _ = tokio::time::sleep(inner.settings.poll_interval) => {}
            _ = stop.changed() => break,
        }
    }
}

/// A destination's health: consecutive unreachable attempts and when to
/// try it again.
#[derive(Debug, Default)]
struct PeerHealth {
    failures: u32,
    paused_until: Option<tokio::time::Instant>,
}

pub(crate) async fn worker(inner: Arc<Inner>, recipient: String, notify: Arc<Notify>) {
    let mut stop = inner.stop.subscribe();
    let permits = Arc::new(Semaphore::new(inner.settings.peer_concurrency.max(1)));
    let in_flight: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(HashSet::new()));
    let health = Arc::new(Mutex::new(PeerHealth::default()));
    let attempt_done = Arc::new(Notify::new());
    'run: loop {
        if inner.stopping() {
            break;
        }
        let paused_until = lock(&health).paused_until;
        let probing = paused_until.is_some();
        if let Some(until) = paused_until {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => {}
                _ = stop.changed() => break 'run,
            }
        }
        let now = congso_store::now().micros();
        let due = match store::outbox_due(&inner.db, &recipient, now, DUE_BATCH).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, %recipient, "cannot read the federation outbox");
                tokio::select! {
                    _ = tokio::time::sleep(inner.settings.poll_interval) => {}
                    _ = stop.changed() => break 'run,
                }
                continue;
            }
        };
        let due: Vec<OutboxRow> = {
            let flying = lock(&in_flight);
            due.into_iter()
                .filter(|row| !flying.contains(&row.message_id))
                .collect()
        };
        if due.is_empty() {
            tokio::select! {
                _ = notify.notified() => {}
                _ = attempt_done.notified() => {}
                _ = tokio::time::sleep(inner.settings.poll_interval) => {}
                _ = stop.changed() => break 'run,
            }
            continue;
        }
        if probing {
            // One message tests whether the destination is back.
            if let Some(row) = due.into_iter().next() {
                let outcome = attempt(&inner, row).await;
                record_health(&inner, &health, &recipient, outcome);
            }
            continue;
        }
        for row in due {
            if lock(&health).paused_until.is_some() || inner.stopping() {
                continue 'run;
            }
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break 'run,
                },
                _ = stop.changed() => break 'run,
            };
            lock(&in_flight).insert(row.message_id.clone());
            let inner = inner.clone();
            let in_flight = in_flight.clone();
            let health = health.clone();
            let attempt_done = attempt_done.clone();
            let recipient = recipient.clone();
            tokio::spawn(async move {
                let id = row.message_id.clone();
                let outcome = attempt(&inner, row).await;
                record_health(&inner, &health, &recipient, outcome);
                lock(&in_flight).remove(&id);
                drop(permit);
                attempt_done.notify_one();
            });
        }
    }
    // Let attempts in flight finish; each is bounded by its timeouts.
    let _ = permits
        .acquire_many(inner.settings.peer_concurrency.max(1) as u32)
        .await;
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// What one attempt amounted to, for the destination's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Delivered,
    Refused,
    Unreachable,
}

fn record_health(inner: &Inner, health: &Mutex<PeerHealth>, recipient: &str, outcome: Outcome) {
    let mut health = lock(health);
    match outcome {
        Outcome::Unreachable => {
            health.failures = health.failures.saturating_add(1);
            // One failure can be a stale pooled connection; two in a row
            // without a success in between mean the peer is down.
            if health.failures < 2 {
                return;
            }
            let delay = backoff(
                inner.settings.retry_base,
                inner.settings.retry_max,
                health.failures - 1,
            );
            tracing::info!(%recipient, failures = health.failures, delay_ms = delay.as_millis() as u64, "federation peer unreachable; pausing its queue");
            health.paused_until = Some(tokio::time::Instant::now() + delay);
        }
        Outcome::Delivered | Outcome::Refused => {
            if health.paused_until.is_some() {
                tracing::info!(%recipient, "federation peer reachable again; resuming its queue");
            }
            health.failures = 0;
            health.paused_until = None;
        }
    }
}

/// One delivery attempt of one message, with its bookkeeping.
async fn attempt(inner: &Arc<Inner>, row: OutboxRow) -> Outcome {
    let started = congso_store::now().micros();
    let directory = inner.directory();
    let member = match directory.active_member(&row.recipient) {
        Ok(member) => member.clone(),
        Err(_) => {
            let error = AttemptError {
                message: format!(
                    "{} is no longer an active member of the federation",
                    row.recipient
                ),
                unreachable: false,
                retry: false,
            };
            fail(inner, &row, started, &error).await;
            return Outcome::Refused;
        }
    };
    match deliver(inner, &row, &member).await {
        Ok(()) => Outcome::Delivered,
        Err(error) => {
            fail(inner, &row, started, &error).await;
            if error.unreachable {
                Outcome::Unreachable
            } else {
                Outcome::Refused
            }
        }
    }
}

async fn fail(inner: &Inner, row: &OutboxRow, at: i64, error: &AttemptError) {
    let attempt_number = u32::try_from(row.attempts.saturating_add(1)).unwrap_or(u32::MAX);
    let delay = backoff(
        inner.settings.retry_base,
        inner.settings.retry_max,
        attempt_number,
    );
    let next = congso_store::now()
        .micros()
        .saturating_add(i64::try_from(delay.as_micros()).unwrap_or(i64::MAX));
    if error.retry {
        tracing::warn!(message_id = %row.message_id, recipient = %row.recipient, attempt = attempt_number, retry_in_ms = delay.as_millis() as u64, error = %error, "federation delivery failed; the message stays queued");
    } else {
        tracing::warn!(message_id = %row.message_id, recipient = %row.recipient, error = %error, "federation delivery refused for good; the message is rejected");
    }
    let write = inner
        .writer
        .write(WriteOp::AttemptFailed {
            message_id: row.message_id.clone(),
            at,
            next_attempt_at: next,
            error: error.message.clone(),
            reject: !error.retry,
        })
        .await;
    if let Err(write_error) = write {
        tracing::error!(%write_error, message_id = %row.message_id, "cannot record a failed delivery attempt");
    }
    if !error.retry {
        let entry = NewEntry::new(
            &Actor::System,
            AuditAction::FederationMessageRefused,
            format!(
                "federation-message:{}/{}",
                inner.identity.organ_code, row.message_id
            ),
        )
        .source("federation")
        .details(serde_json::json!({ "to": row.recipient, "reason": error.message }));
        if let Err(ledger_error) = inner.ledger.append(entry).await {
            tracing::error!(%ledger_error, "cannot record a refused message in the ledger");
        }
    }
}

fn payload_body(
    inner: &Inner,
    row: &OutboxRow,
) -> std::result::Result<reqwest::Body, AttemptError> {
    if let Some(bytes) = &row.payload_inline {
        return Ok(reqwest::Body::from(bytes.clone()));
    }
    let sha256: [u8; 32] = row
        .payload_sha256
        .as_slice()
        .try_into()
        .map_err(|_| AttemptError {
            message: "the stored payload hash is not 32 bytes".into(),
            unreachable: false,
            retry: false,
        })?;
    let blobs = inner.blobs.clone();
    // The blob is opened lazily inside the stream so a missing blob fails
    // this attempt (and is logged) instead of panicking anywhere.
    let stream = futures::stream::once(async move { blobs.get_stream(&sha256).await })
        .map(|opened| match opened {
            Ok(stream) => stream
                .map(|chunk| chunk.map_err(|error| std::io::Error::other(error.to_string())))
                .boxed(),
            Err(error) => {
                futures::stream::once(async move { Err(std::io::Error::other(error.to_string())) })
                    .boxed()
            }
        })
        .flatten();
    Ok(reqwest::Body::wrap_stream(stream))
}

async fn deliver(
    inner: &Arc<Inner>,
    row: &OutboxRow,
    member: &MemberView,
) -> std::result::Result<(), AttemptError> {
    let endpoint = member.entry.endpoint.as_str();
    let payload_sha256 = hex::encode(&row.payload_sha256);
    let envelope = Envelope {
        v: 1,
        id: row.message_id.clone(),
        from: inner.identity.organ_code.clone(),
        to: row.recipient.clone(),
        kind: row.kind.clone(),
        created: row.created_at,
        sent: congso_store::now().micros(),
        payload_sha256,
        payload_len: u64::try_from(row.payload_len).unwrap_or(0),
    };
    let net = inner.net();
    if row.attempts > 0 {
        // The last attempt may have arrived without its answer reaching us.
        if let Some(signed) = net.client.fetch_receipt(endpoint, &row.message_id).await? {
            return accept_receipt(inner, row, member, &envelope, signed).await;
        }
    }
    let bytes = envelope.encode();
    let signature = inner
        .identity
        .node_key
        .sign(Domain::Envelope, &bytes)
        .map_err(|error| AttemptError {
            message: error.to_string(),
            unreachable: false,
            retry: true,
        })?;
    let settings = &inner.settings;
    let total = settings.connect_timeout
        + settings.io_timeout
        + Duration::from_secs(envelope.payload_len / MIN_RATE_BYTES_PER_SEC);
    let body = payload_body(inner, row)?;
    let signed = net
        .client
        .deliver(endpoint, &bytes, &signature, body, total)
        .await?;
    accept_receipt(inner, row, member, &envelope, signed).await
}

/// Checks a receipt (signature by the recipient's certified key, and that
/// it answers this message), records it in the ledger, then in the outbox.
/// The ledger goes first: a crash in between leaves the message queued,
/// and the retry gets the same receipt back, so the receipt is never
/// missing from the ledger (at worst it is recorded twice).
async fn accept_receipt(
    inner: &Arc<Inner>,
    row: &OutboxRow,
    member: &MemberView,
    envelope: &Envelope,
    signed: SignedReceipt,
) -> std::result::Result<(), AttemptError> {
    let bad = |message: String| AttemptError {
        message,
        unreachable: false,
        retry: true,
    };
    let receipt = Receipt::decode(&signed.receipt)
        .map_err(|error| bad(format!("{}: {error}", member.entry.organ_code)))?;
    member
        .key
        .verify(Domain::Receipt, &signed.receipt, &signed.signature)
        .map_err(|error| {
            bad(format!(
                "the receipt from {} does not verify: {error}",
                member.entry.organ_code
            ))
        })?;
    receipt
        .matches(envelope)
        .map_err(|error| bad(format!("{}: {error}", member.entry.organ_code)))?;
    let ledger_name = member
        .entry
        .ledger_key
        .split('+')
        .next()
        .unwrap_or_default();
    if receipt.ledger_origin != ledger_name {
        return Err(bad(format!(
            "the receipt from {} names ledger {:?}, not the member's ledger {:?}",
            member.entry.organ_code, receipt.ledger_origin, ledger_name
        )));
    }
    let receipt_at = congso_store::now().micros();
    let entry = NewEntry::new(
        &Actor::System,
        AuditAction::FederationMessageDelivered,
        format!(
            "federation-message:{}/{}",
            inner.identity.organ_code, row.message_id
        ),
    )
    .source("federation")
    .data(&signed.receipt)
    .details(serde_json::json!({
        "to": row.recipient,
        "kind": row.kind,
        "payload_sha256": receipt.payload_sha256,
        "envelope_sha256": receipt.envelope_sha256,
        "sent_at": receipt.sent,
        "received_at": receipt.received_at,
        "receiver_ledger": receipt.ledger_origin,
        "receiver_ledger_index": receipt.ledger_index,
        "duplicate": signed.duplicate,
    }));
    inner
        .ledger
        .append(entry)
        .await
        .map_err(|error| bad(format!("cannot record the receipt in the ledger: {error}")))?;
    inner
        .writer
        .write(WriteOp::Delivered {
            message_id: row.message_id.clone(),
            sent_at: receipt.sent,
            received_at: receipt.received_at,
            receipt_at,
            receipt: signed.receipt,
            receipt_signature: signed.signature,
        })
        .await
        .map_err(|error| bad(format!("cannot store the receipt: {error}")))?;
    let _ = inner.deliveries.send(Delivered {
        message_id: row.message_id.clone(),
        recipient: row.recipient.clone(),
        created_at: row.created_at,
        received_at: receipt.received_at,
        receipt_at,
    });
    tracing::debug!(message_id = %row.message_id, recipient = %row.recipient, "federation message delivered");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(10);
        for attempt in 1..40u32 {
            let full = base
                .saturating_mul(1u32 << attempt.saturating_sub(1).min(30))
                .min(max);
            for _ in 0..20 {
                let delay = backoff(base, max, attempt);
                assert!(
                    delay >= full / 2 && delay <= full,
                    "attempt {attempt}: {delay:?} vs {full:?}"
                );
            }
        }
        assert!(backoff(Duration::ZERO, Duration::ZERO, 0) <= Duration::from_millis(1));
    }
}
