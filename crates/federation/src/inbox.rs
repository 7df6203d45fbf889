//! The inbox hook: other modules (issue 4's documents) register a handler
//! per message kind; received messages are handed to it in arrival order.
//!
//! A message is stored (and its receipt signed) before any handler sees
//! it, so a slow or failing handler never delays a receipt or loses a
//! message: it is retried with backoff until the handler accepts it. The
//! inbox marks a message handled after the handler returns `Ok`; if the
//! node stops between the two, the handler sees the message again, so
//! handlers must be idempotent on `(sender, message_id)` (a unique column
//! is enough).

use std::sync::Arc;

use bytes::Bytes;
use congso_store::blob::BlobStore;
use congso_store::federation::{self as store, InboxRow, WriteOp};
use futures::future::BoxFuture;
use futures::TryStreamExt;
use tokio::io::AsyncRead;

use crate::outbox::backoff;
use crate::service::Inner;

/// A received message handed to a handler.
#[derive(Clone)]
pub struct InboundMessage {
    /// The sender's organ code.
    pub sender: String,
    pub message_id: String,
    pub kind: String,
    /// When the sender queued it (µs, sender's clock).
    pub created_at: i64,
    /// When the accepted attempt was signed (µs, sender's clock).
    pub sent_at: i64,
    /// When it arrived (µs, this node's clock; the time in the receipt).
    pub received_at: i64,
    pub payload_len: u64,
    pub payload_sha256: [u8; 32],
    payload: Payload,
}

impl std::fmt::Debug for InboundMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundMessage")
            .field("sender", &self.sender)
            .field("message_id", &self.message_id)
            .field("kind", &self.kind)
            .field("payload_len", &self.payload_len)
            .finish()
    }
}

#[derive(Clone)]
enum Payload {
    Inline(Bytes),
    Blob(BlobStore),
}

impl InboundMessage {
    /// The payload as a stream of bytes, whatever its size.
    pub async fn reader(&self) -> std::io::Result<Box<dyn AsyncRead + Send + Unpin>> {
        match &self.payload {
            Payload::Inline(bytes) => Ok(Box::new(std::io::Cursor::new(bytes.clone()))),
            Payload::Blob(blobs) => {
                let stream = blobs
                    .get_stream(&self.payload_sha256)
                    .await
                    .map_err(|error| std::io::Error::other(error.to_string()))?
                    .map_err(|error| std::io::Error::other(error.to_string()));
                Ok(Box::new(tokio_util::io::StreamReader::new(stream)))
            }
        }
    }

    /// The whole payload in memory; refuses payloads above `max` bytes.
    pub async fn bytes(&self, max: u64) -> std::io::Result<Bytes> {
        if self.payload_len > max {
            return Err(std::io::Error::other(format!(
                "the payload is {} bytes, more than {max}",
                self.payload_len
            )));
        }
        match &self.payload {
            Payload::Inline(bytes) => Ok(bytes.clone()),
            Payload::Blob(blobs) => blobs
                .get_bytes(&self.payload_sha256)
                .await
                .map_err(|error| std::io::Error::other(error.to_string())),
        }
    }

    fn from_row(row: InboxRow, blobs: &BlobStore) -> Option<InboundMessage> {
        let payload_sha256: [u8; 32] = row.payload_sha256.as_slice().try_into().ok()?;
        let payload = match row.payload_inline {
            Some(bytes) => Payload::Inline(Bytes::from(bytes)),
            None => Payload::Blob(blobs.clone()),
        };
        Some(InboundMessage {
            sender: row.sender,
            message_id: row.message_id,
            kind: row.kind,
            created_at: row.created_at,
            sent_at: row.sent_at,
            received_at: row.received_at,
            payload_len: u64::try_from(row.payload_len).unwrap_or(0),
            payload_sha256,
            payload,
        })
    }
}

/// Handles received messages of one kind. Implementations must be
/// idempotent on `(sender, message_id)`: after a crash between handling and
/// marking a message handled, the same message comes again.
pub trait InboxHandler: Send + Sync + 'static {
    /// Takes over one message. `Err` (with a reason for the log) leaves it
    /// in the inbox to be offered again later.
    fn handle<'a>(&'a self, message: &'a InboundMessage) -> BoxFuture<'a, Result<(), String>>;
}

/// Hands received messages to their handlers until the service stops.
pub(crate) async fn dispatch(inner: Arc<Inner>) {
    let mut stop = inner.stop.subscribe();
    loop {
        let handled_any = match dispatch_once(&inner).await {
            Ok(count) => count > 0,
            Err(error) => {
                tracing::warn!(%error, "cannot read the federation inbox");
                false
            }
        };
        if handled_any {
            continue;
        }
        tokio::select! {
            _ = inner.inbox_wake.notified() => {}
            _ = tokio::time::sleep(inner.settings.poll_interval) => {}
            _ = stop.changed() => break,
        }
    }
}

async fn dispatch_once(inner: &Arc<Inner>) -> Result<usize, crate::error::FederationError> {
    let handlers: Vec<(String, Arc<dyn InboxHandler>)> = match inner.handlers.read() {
        Ok(handlers) => handlers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Err(poisoned) => poisoned
            .into_inner()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    if handlers.is_empty() {
        return Ok(0);
    }
    let kinds: Vec<String> = handlers.iter().map(|(kind, _)| kind.clone()).collect();
    let now = congso_store::now().micros();
    let rows = store::inbox_unhandled(&inner.db, &kinds, now, 64).await?;
    let count = rows.len();
    for row in rows {
        if inner.stopping() {
            break;
        }
        let attempts = row.handle_attempts;
        let Some(message) = InboundMessage::from_row(row, &inner.blobs) else {
            continue;
        };
        let Some((_, handler)) = handlers.iter().find(|(kind, _)| *kind == message.kind) else {
            continue;
        };
        let op = match handler.handle(&message).await {
            Ok(()) => WriteOp::Handled {
                sender: message.sender.clone(),
                message_id: message.message_id.clone(),
                at: congso_store::now().micros(),
            },
            Err(error) => {
                let attempt = u32::try_from(attempts.saturating_add(1)).unwrap_or(u32::MAX);
                let delay = backoff(inner.settings.retry_base, inner.settings.retry_max, attempt);
                tracing::warn!(sender = %message.sender, message_id = %message.message_id, kind = %message.kind, %error, "inbox handler failed; the message will be offered again");
                WriteOp::HandleFailed {
                    sender: message.sender.clone(),
                    message_id: message.message_id.clone(),
                    error,
                    next_handle_at: congso_store::now()
                        .micros()
                        .saturating_add(i64::try_from(delay.as_micros()).unwrap_or(i64::MAX)),
                }
            }
        };
        inner.writer.write(op).await?;
    }
    Ok(count)
}
