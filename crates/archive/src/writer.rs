//! Group commit for archived items. Archiving a document costs two writes
//! (the item with its files, then its ledger position) around one ledger
//! entry; one transaction each per document would make the single SQLite
//! writer the bottleneck of registration. Items waiting together are
//! written in one transaction, their entries appended in one ledger commit
//! and their positions recorded in one more transaction.
//!
//! Durability is unchanged: a caller hears "archived" only after its item,
//! its ledger entry and the link between them are all committed. An item
//! whose entry could not be appended is removed again (it was never
//! recorded); a failed batch fails every caller in it with the reason.

use congso_core::audit::Actor;
use congso_store::archive::{self as store, NewArchiveItem};
use congso_store::ledger::{Ledger, NewEntry};
use congso_store::{Db, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::error::ArchiveError;
use crate::events::Event;

/// Most items in one batch.
const BATCH_MAX: usize = 512;

/// What one caller asks the writer to record.
pub(crate) struct PendingItem {
    pub item: NewArchiveItem,
    pub ledger: Ledger,
    pub actor: Actor,
    /// The item's record hash, the data hash of its ledger entry.
    pub record_hash: [u8; 32],
    pub details: serde_json::Value,
}

struct WriteRequest {
    pending: Box<PendingItem>,
    reply: oneshot::Sender<Result<(i64, u64), ArchiveError>>,
}

impl PendingItem {
    fn entry(&self, id: i64) -> NewEntry {
        Event::ArchiveRecorded
            .entry(&self.actor, format!("archive:{id}"))
            .data_hash(&self.record_hash)
            .details(self.details.clone())
    }
}

/// The handle callers send items through; the writer task ends when every
/// handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct ItemWriter {
    sender: mpsc::Sender<WriteRequest>,
}

impl ItemWriter {
    pub fn start(db: Db) -> ItemWriter {
        let (sender, receiver) = mpsc::channel(4 * BATCH_MAX);
        tokio::spawn(writer_loop(db, receiver));
        ItemWriter { sender }
    }

    /// Records one item; returns its id and ledger position once both are
    /// committed.
    pub async fn write(&self, pending: PendingItem) -> Result<(i64, u64), ArchiveError> {
        let (reply, response) = oneshot::channel();
        self.sender
            .send(WriteRequest {
                pending: Box::new(pending),
                reply,
            })
            .await
            .map_err(|_| StoreError::LedgerClosed)?;
        response.await.map_err(|_| StoreError::LedgerClosed)?
    }
}

async fn writer_loop(db: Db, mut receiver: mpsc::Receiver<WriteRequest>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX {
            match receiver.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        write_batch(&db, batch).await;
    }
}

fn failed(reason: &str) -> ArchiveError {
    ArchiveError::Store(StoreError::Corrupt(format!(
        "archive item not recorded: {reason}"
    )))
}

async fn write_batch(db: &Db, batch: Vec<WriteRequest>) {
    let items: Vec<&NewArchiveItem> = batch.iter().map(|request| &request.pending.item).collect();
    let ids = match store::insert_items(db, &items).await {
        Ok(ids) if ids.len() == batch.len() => ids,
        Ok(_) => {
            for request in batch {
                let _ = request
                    .reply
                    .send(Err(failed("the database returned too few ids")));
            }
            return;
        }
        Err(error) => {
            let reason = error.to_string();
            for request in batch {
                let _ = request.reply.send(Err(failed(&reason)));
            }
            return;
        }
    };

    // Callers normally share the node's one ledger; anything else gets a
    // commit of its own.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, request) in batch.iter().enumerate() {
        match groups.iter_mut().find(|group| {
            batch[group[0]]
                .pending
                .ledger
                .same_ledger(&request.pending.ledger)
        }) {
            Some(group) => group.push(index),
            None => groups.push(vec![index]),
        }
    }
    let mut outcomes: Vec<Result<u64, String>> = vec![Err(String::new()); batch.len()];
    for group in groups {
        let entries = group
            .iter()
            .map(|&index| batch[index].pending.entry(ids[index]))
            .collect();
        match batch[group[0]].pending.ledger.append_all(entries).await {
            Ok(receipts) if receipts.len() == group.len() => {
                for (&index, receipt) in group.iter().zip(receipts) {
                    outcomes[index] = Ok(receipt.seq);
                }
            }
            result => {
                let reason = match result {
                    Err(error) => error.to_string(),
                    Ok(_) => "the ledger returned fewer receipts than entries".to_owned(),
                };
                for &index in &group {
                    // Never recorded, so never archived: take it back.
                    let _ = store::delete_unrecorded_item(db, ids[index]).await;
                    outcomes[index] = Err(reason.clone());
                }
            }
        }
    }

    let positions: Vec<(i64, u64)> = outcomes
        .iter()
        .zip(&ids)
        .filter_map(|(outcome, id)| outcome.as_ref().ok().map(|seq| (*id, *seq)))
        .collect();
    let linked = store::set_item_ledger_seqs(db, &positions)
        .await
        .map_err(|error| error.to_string());
    for ((request, outcome), id) in batch.into_iter().zip(outcomes).zip(ids) {
        let reply = match (outcome, &linked) {
            (Ok(seq), Ok(())) => Ok((id, seq)),
            // The entry is in the ledger; only the back-reference is
            // missing. Still an error: the caller must know.
            (Ok(seq), Err(reason)) => Err(failed(&format!(
                "ledger entry {seq} of item {id} not linked: {reason}"
            ))),
            (Err(reason), _) => Err(failed(&reason)),
        };
        let _ = request.reply.send(reply);
    }
}
