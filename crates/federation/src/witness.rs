//! Witnessing: nodes co-sign each other's ledger checkpoints, so no agency
//! can rewrite its history without the agencies it exchanged with noticing.
//!
//! Each round, for every active member this node exchanged messages with,
//! the node fetches the member's latest checkpoint, checks its signature
//! with the ledger key the directory lists, checks that it is consistent
//! with the last checkpoint it saw from that member (an RFC 9162
//! consistency proof from the member's `/ledger/proof/consistency`), and
//! only then cosigns it (`cosignature/v1`) and stores both. A checkpoint
//! that is smaller, or a different tree at the same size, or one whose proof
//! fails, is not cosigned: the evidence is kept and the ledger records an
//! alarm. The node also fetches the cosignatures its peers made on its own
//! checkpoints, checks them, and keeps them for `congso ledger verify`.

use std::collections::BTreeSet;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use congso_core::audit::{Actor, AuditAction};
use congso_ledger::checkpoint::Checkpoint;
use congso_ledger::cosignature::CosignatureVerifier;
use congso_ledger::note::{self, Ed25519Verifier};
use congso_ledger::Hash;
use congso_store::federation::{
    self as store, CosignatureHeldRow, CosignatureMadeRow, WitnessStateRow,
};
use congso_store::ledger::{self, NewEntry};
use congso_store::Db;
use serde::Serialize;

use crate::directory::{directory_verifier, DirectoryTrust, DirectoryView, MemberView};
use crate::error::{FederationError, Result};
use crate::service::Inner;

/// The text of a signed note (everything before the blank line), with its
/// final newline; `None` if it is not a signed note.
pub fn note_text(signed_note: &str) -> Option<String> {
    let (text, _signatures) = signed_note.split_once("\n\n")?;
    Some(format!("{text}\n"))
}

/// What one witnessing round did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RoundSummary {
    /// Peers whose checkpoint was cosigned this round.
    pub cosigned: Vec<String>,
    /// Peers whose checkpoint did not change since the last round.
    pub unchanged: Vec<String>,
    /// Peers that could not be reached or answered badly.
    pub failed: Vec<String>,
    /// Peers whose checkpoint was inconsistent (evidence kept).
    pub alarms: Vec<String>,
    /// Cosignatures of this node's checkpoints fetched this round.
    pub cosignatures_fetched: usize,
}

pub(crate) async fn witness_loop(inner: Arc<Inner>) {
    let mut stop = inner.stop.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(inner.settings.witness_interval) => {}
            _ = stop.changed() => break,
        }
        match round(&inner).await {
            Ok(summary) => {
                if !summary.alarms.is_empty() {
                    tracing::error!(peers = ?summary.alarms, "federation witnessing found inconsistent ledgers");
                }
                tracing::debug!(?summary, "federation witnessing round done");
            }
            Err(error) => tracing::warn!(%error, "federation witnessing round failed"),
        }
    }
}

fn ledger_verifier(member: &MemberView) -> Result<Ed25519Verifier> {
    Ed25519Verifier::from_vkey(&member.entry.ledger_key)
        .map_err(|error| FederationError::invalid("ledger key", error.to_string()))
}

fn decode_hash(text: &str) -> Option<Hash> {
    STANDARD.decode(text).ok()?.try_into().ok()
}

/// Runs one witnessing round.
pub(crate) async fn round(inner: &Arc<Inner>) -> Result<RoundSummary> {
    let directory = inner.directory();
    let mut summary = RoundSummary::default();
    let peers = store::exchange_peers(&inner.db).await?;
    for peer in peers {
        if peer == inner.identity.organ_code {
            continue;
        }
        let Ok(member) = directory.active_member(&peer) else {
            continue;
        };
        match witness_peer(inner, member).await {
            Ok(Witnessed::Cosigned) => summary.cosigned.push(peer.clone()),
            Ok(Witnessed::Unchanged) => summary.unchanged.push(peer.clone()),
            Ok(Witnessed::Alarm) => summary.alarms.push(peer.clone()),
            Err(error) => {
                tracing::warn!(%peer, %error, "cannot witness a peer's ledger");
                summary.failed.push(peer.clone());
            }
        }
        match fetch_own_cosignatures(inner, member).await {
            Ok(count) => summary.cosignatures_fetched += count,
            Err(error) => {
                tracing::warn!(%peer, %error, "cannot fetch cosignatures of this node's checkpoints")
            }
        }
    }
    Ok(summary)
}

enum Witnessed {
    Cosigned,
    Unchanged,
    Alarm,
}

async fn alarm(
    inner: &Inner,
    peer: &str,
    reason: String,
    old: &str,
    new: &str,
) -> Result<Witnessed> {
    let now = congso_store::now().micros();
    store::record_witness_alarm(&inner.db, peer, now, &reason, old, new).await?;
    inner
        .ledger
        .append(
            NewEntry::new(
                &Actor::System,
                AuditAction::FederationWitnessAlarm,
                format!("federation-member:{peer}"),
            )
            .source("federation")
            .data(new.as_bytes())
            .details(serde_json::json!({ "peer": peer, "reason": reason })),
        )
        .await?;
    tracing::error!(%peer, %reason, "a peer's ledger is not consistent with what this node witnessed before");
    Ok(Witnessed::Alarm)
}

async fn witness_peer(inner: &Inner, member: &MemberView) -> Result<Witnessed> {
    let peer = member.entry.organ_code.as_str();
    let endpoint = member.entry.endpoint.as_str();
    let client = inner.net().client.clone();
    let unreachable = |error: crate::client::AttemptError| FederationError::Unreachable {
        endpoint: endpoint.to_owned(),
        reason: error.message,
    };
    let signed = client
        .fetch_checkpoint(endpoint)
        .await
        .map_err(unreachable)?;
    let verifier = ledger_verifier(member)?;
    let opened = note::open(signed.as_bytes(), &[&verifier])
        .map_err(|error| FederationError::Signature(format!("{peer}'s checkpoint: {error}")))?;
    let checkpoint = Checkpoint::parse(opened.text())
        .map_err(|error| FederationError::invalid("checkpoint", error.to_string()))?;
    if checkpoint.origin() != note::Verifier::name(&verifier) {
        return Err(FederationError::invalid(
            "checkpoint",
            format!(
                "{peer}'s checkpoint names origin {:?}, not its ledger",
                checkpoint.origin()
            ),
        ));
    }
    let size = checkpoint.size();
    let previous = store::witness_state(&inner.db, peer).await?;
    if let Some(previous) = &previous {
        let previous_size = u64::try_from(previous.tree_size).unwrap_or(0);
        let previous_root: Hash = previous.root_hash.as_slice().try_into().unwrap_or([0; 32]);
        if size < previous_size {
            return alarm(
                inner,
                peer,
                format!("the ledger shrank from {previous_size} to {size} entries"),
                &previous.checkpoint,
                &signed,
            )
            .await;
        }
        if size == previous_size {
            if *checkpoint.root() != previous_root {
                return alarm(
                    inner,
                    peer,
                    format!("two different trees at size {size}: the history was rewritten"),
                    &previous.checkpoint,
                    &signed,
                )
                .await;
            }
            return Ok(Witnessed::Unchanged);
        }
        if previous_size > 0 {
            let document = client
                .fetch_consistency(endpoint, previous_size, size)
                .await
                .map_err(unreachable)?;
            let proof: Option<Vec<Hash>> = document
                .proof
                .iter()
                .map(|hash| decode_hash(hash))
                .collect();
            let consistent = document.from == previous_size
                && document.to == size
                && proof.is_some_and(|proof| {
                    congso_ledger::verify_consistency(
                        previous_size,
                        size,
                        &previous_root,
                        checkpoint.root(),
                        &proof,
                    )
                    .is_ok()
                });
            if !consistent {
                return alarm(
                    inner,
                    peer,
                    format!(
                        "the checkpoint at {size} entries is not consistent with the one at {previous_size} this node cosigned"
                    ),
                    &previous.checkpoint,
                    &signed,
                )
                .await;
            }
        }
    }
    let timestamp = u64::try_from(congso_store::now().micros() / 1_000_000).unwrap_or(0);
    let line = inner
        .identity
        .cosigner
        .cosign(opened.text(), timestamp)
        .map_err(|error| FederationError::Signature(error.to_string()))?;
    let now = congso_store::now().micros();
    let size_i64 = i64::try_from(size).unwrap_or(i64::MAX);
    store::record_witnessed(
        &inner.db,
        &WitnessStateRow {
            peer: peer.to_owned(),
            origin: checkpoint.origin().to_owned(),
            tree_size: size_i64,
            root_hash: checkpoint.root().to_vec(),
            checkpoint: signed.clone(),
            checked_at: now,
        },
        &CosignatureMadeRow {
            peer: peer.to_owned(),
            tree_size: size_i64,
            checkpoint: signed.clone(),
            cosignature: line,
            cosigned_at: i64::try_from(timestamp).unwrap_or(i64::MAX),
        },
    )
    .await?;
    inner
        .ledger
        .append(
            NewEntry::new(
                &Actor::System,
                AuditAction::FederationCheckpointWitnessed,
                format!("federation-member:{peer}"),
            )
            .source("federation")
            .data(signed.as_bytes())
            .details(serde_json::json!({
                "peer": peer,
                "origin": checkpoint.origin(),
                "tree_size": size,
                "root": STANDARD.encode(checkpoint.root()),
                "previous_size": previous.as_ref().map(|previous| previous.tree_size),
            })),
        )
        .await?;
    Ok(Witnessed::Cosigned)
}

/// Fetches the cosignatures `member` made on this node's checkpoints and
/// keeps those that verify and match a checkpoint this node signed.
async fn fetch_own_cosignatures(inner: &Inner, member: &MemberView) -> Result<usize> {
    let peer = member.entry.organ_code.as_str();
    let latest = store::latest_cosigned_size(&inner.db, peer).await?;
    let min_size = latest.map(|size| size.saturating_add(1)).unwrap_or(0);
    let documents = inner
        .net()
        .client
        .fetch_cosignatures(&member.entry.endpoint, u64::try_from(min_size).unwrap_or(0))
        .await
        .map_err(|error| FederationError::Unreachable {
            endpoint: member.entry.endpoint.clone(),
            reason: error.message,
        })?;
    let witness = CosignatureVerifier::from_vkey(&member.entry.witness_key)
        .map_err(|error| FederationError::invalid("witness key", error.to_string()))?;
    let mut stored = 0;
    for document in documents {
        let own = ledger::checkpoint_at(&inner.db, document.tree_size).await?;
        let own_text = own.as_ref().and_then(|own| note_text(&own.signed_note));
        if own_text.as_deref() != Some(document.checkpoint.as_str()) {
            alarm(
                inner,
                peer,
                format!(
                    "{peer} cosigned a checkpoint of this node at size {} that this node never signed",
                    document.tree_size
                ),
                own.as_ref().map(|own| own.signed_note.as_str()).unwrap_or(""),
                &document.checkpoint,
            )
            .await?;
            continue;
        }
        let note = format!("{}\n{}", document.checkpoint, document.cosignature);
        if note::open(note.as_bytes(), &[&witness]).is_err() {
            tracing::warn!(%peer, size = document.tree_size, "a witness cosignature does not verify; ignored");
            continue;
        }
        let row = CosignatureHeldRow {
            witness: peer.to_owned(),
            tree_size: i64::try_from(document.tree_size).unwrap_or(i64::MAX),
            checkpoint_body: document.checkpoint,
            cosignature: document.cosignature,
            witness_key: member.entry.witness_key.clone(),
            fetched_at: congso_store::now().micros(),
        };
        if store::store_cosignature_held(&inner.db, &row).await? {
            stored += 1;
        }
    }
    Ok(stored)
}

// ------------------------------------------------------------ verification

/// What the witness check of `congso ledger verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WitnessReport {
    /// Whether this node belongs to a federation at all.
    pub federated: bool,
    /// Cosignatures of this node's checkpoints that verified.
    pub cosignatures_verified: usize,
    /// The witnesses behind them.
    pub witnesses: BTreeSet<String>,
    /// The largest checkpoint size cosigned by at least one witness.
    pub largest_cosigned_size: u64,
    /// Cosignatures this node made on peers' checkpoints that verified.
    pub cosignatures_made_verified: usize,
    /// Inconsistencies witnessing found (kept as evidence).
    pub alarms: usize,
    pub problems: Vec<String>,
}

impl WitnessReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.alarms == 0
    }
}

/// Checks every witness signature this node holds, offline: cosignatures
/// of its own checkpoints (each must verify with the witness's key and
/// cover exactly a checkpoint this node signed with `ledger_verifier`), and
/// the cosignatures it made on peers' checkpoints (the peer's signature and
/// this node's, with the keys in the cached directory).
pub async fn verify_witnesses(db: &Db, ledger_verifier: &Ed25519Verifier) -> Result<WitnessReport> {
    let Some(identity) = store::identity(db).await? else {
        return Ok(WitnessReport::default());
    };
    let mut report = WitnessReport {
        federated: true,
        ..WitnessReport::default()
    };
    let directory = match store::latest_directory(db).await? {
        Some(row) => {
            let ca = congso_pki::Certificate::from_der(&identity.ca_certificate)?;
            let trust = DirectoryTrust {
                federation: identity.federation_name.clone(),
                verifier: directory_verifier(&identity.directory_key)?,
                ca_sha256: ca.fingerprint_sha256(),
            };
            match DirectoryView::verify(&trust, &row.signed_note, &row.body, &row.crl) {
                Ok(view) => Some(view),
                Err(error) => {
                    report
                        .problems
                        .push(format!("the cached directory does not verify: {error}"));
                    None
                }
            }
        }
        None => None,
    };
    for held in store::cosignatures_held(db).await? {
        let size = u64::try_from(held.tree_size).unwrap_or(0);
        let own = ledger::checkpoint_at(db, size).await?;
        let Some(own) = own else {
            report.problems.push(format!(
                "{} cosigned a checkpoint at size {size} that this ledger does not hold",
                held.witness
            ));
            continue;
        };
        let signed_by_us = note::open(own.signed_note.as_bytes(), &[ledger_verifier]).is_ok();
        if !signed_by_us
            || note_text(&own.signed_note).as_deref() != Some(held.checkpoint_body.as_str())
        {
            report.problems.push(format!(
                "{}'s cosignature at size {size} covers a checkpoint other than the one this ledger signed",
                held.witness
            ));
            continue;
        }
        let witness = match CosignatureVerifier::from_vkey(&held.witness_key) {
            Ok(witness) => witness,
            Err(error) => {
                report
                    .problems
                    .push(format!("{}'s witness key: {error}", held.witness));
                continue;
            }
        };
        let note = format!("{}\n{}", held.checkpoint_body, held.cosignature);
        match congso_ledger::cosignature::open_checkpoint(
            format!("{}{}", note, note_signatures(&own.signed_note)).as_bytes(),
            &[ledger_verifier],
            &[&witness],
        ) {
            Ok(witnessed) if !witnessed.cosignatures.is_empty() => {
                report.cosignatures_verified += 1;
                report.witnesses.insert(held.witness.clone());
                report.largest_cosigned_size = report.largest_cosigned_size.max(size);
            }
            Ok(_) => report.problems.push(format!(
                "{}'s cosignature at size {size} is not from its listed key",
                held.witness
            )),
            Err(error) => report.problems.push(format!(
                "{}'s cosignature at size {size} does not verify: {error}",
                held.witness
            )),
        }
    }
    if let Some(directory) = &directory {
        let own_witness = directory
            .member(&identity.organ_code)
            .and_then(|member| CosignatureVerifier::from_vkey(&member.entry.witness_key).ok());
        for made in store::cosignatures_made(db).await? {
            let Some(member) = directory.member(&made.peer) else {
                report.problems.push(format!(
                    "cosigned peer {} is not in the directory",
                    made.peer
                ));
                continue;
            };
            let (Ok(peer_verifier), Some(own_witness)) =
                (ledger_verifier_of(member), own_witness.as_ref())
            else {
                report
                    .problems
                    .push(format!("keys for {} are unusable", made.peer));
                continue;
            };
            let note = format!("{}{}", made.checkpoint, made.cosignature);
            match congso_ledger::cosignature::open_checkpoint(
                note.as_bytes(),
                &[&peer_verifier],
                &[own_witness],
            ) {
                Ok(witnessed) if !witnessed.cosignatures.is_empty() => {
                    report.cosignatures_made_verified += 1
                }
                Ok(_) => report.problems.push(format!(
                    "this node's cosignature of {} at size {} is missing its signature",
                    made.peer, made.tree_size
                )),
                Err(error) => report.problems.push(format!(
                    "this node's cosignature of {} at size {} does not verify: {error}",
                    made.peer, made.tree_size
                )),
            }
        }
    }
    report.alarms = store::witness_alarms(db).await?.len();
    Ok(report)
}

fn ledger_verifier_of(member: &MemberView) -> Result<Ed25519Verifier> {
    ledger_verifier(member)
}

/// The signature lines of a signed note (after the blank line).
fn note_signatures(signed_note: &str) -> &str {
    signed_note
        .split_once("\n\n")
        .map(|(_, signatures)| signatures)
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_text_and_signatures() {
        let note = "origin\n5\nAAAA\n\n— key abc\n";
        assert_eq!(note_text(note).as_deref(), Some("origin\n5\nAAAA\n"));
        assert_eq!(note_signatures(note), "— key abc\n");
        assert_eq!(note_text("no blank line\n"), None);
    }
}
