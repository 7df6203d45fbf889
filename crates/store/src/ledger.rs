//! The durable, tamper-evident audit ledger.
//!
//! Entries are rows of `ledger_entries`; row `seq` is leaf `seq` of an
//! RFC 6962 Merkle tree kept in memory ([`congso_ledger::Tree`]). Appends go
//! through one writer task that batches whatever is waiting into a single
//! transaction (group commit): a caller hears "recorded" only after the
//! transaction holding its entry has committed, and the database is opened
//! with synchronous commits, so "recorded" means on disk.
//!
//! Checkpoints (tree size + root) are signed with the node's Ed25519 key in
//! the C2SP signed-note format and stored in `ledger_checkpoints`.
//! [`verify`] recomputes every leaf from the stored columns, rebuilds the
//! tree and checks it against every checkpoint ever signed, so an altered,
//! deleted, inserted or reordered row is found.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use congso_core::audit::{Actor, AuditAction};
use congso_core::time::Timestamp;
use congso_ledger::checkpoint::Checkpoint;
use congso_ledger::note::{self, Ed25519Signer, Ed25519Verifier};
use congso_ledger::{leaf_hash, Hash, Tree};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::db::Db;
use crate::error::{Result, StoreError};

/// Rows per INSERT statement: 9 parameters a row stays far below both
/// SQLite's (32,766) and PostgreSQL's (65,535) limits.
const INSERT_CHUNK: usize = 1000;

/// PostgreSQL advisory-lock key that serialises ledger appends across
/// replicas ("congso-l" in ASCII).
const PG_LEDGER_LOCK: i64 = 0x636f_6e67_736f_2d6c;

/// One thing that happened, about to be recorded.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub recorded_at: Timestamp,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub source: String,
    /// Lower-case hex SHA-256 of the affected data, or empty.
    pub data_hash: String,
    /// A JSON object with non-secret details.
    pub details: String,
}

impl NewEntry {
    pub fn new(actor: &Actor, action: AuditAction, target: impl Into<String>) -> Self {
        NewEntry {
            recorded_at: crate::now(),
            actor: clean(&actor.to_code()),
            action: action.code().to_owned(),
            target: clean(&target.into()),
            source: String::new(),
            data_hash: String::new(),
            details: "{}".to_owned(),
        }
    }

    /// Where the action came from: a client IP address, `cli`, `system`.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = clean(&source.into());
        self
    }

    /// Records the SHA-256 of the data the action touched.
    pub fn data(mut self, bytes: &[u8]) -> Self {
        self.data_hash = hex::encode(Sha256::digest(bytes));
        self
    }

    /// Records an already computed SHA-256.
    pub fn data_hash(mut self, hash: &[u8; 32]) -> Self {
        self.data_hash = hex::encode(hash);
        self
    }

    /// Non-secret details, as a JSON object.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details.to_string();
        self
    }
}

/// Bounds a free-text field and removes control characters (PostgreSQL
/// rejects NUL in text, and control characters have no place in an audit
/// record someone will read on a terminal).
fn clean(text: &str) -> String {
    text.chars()
        .take(512)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// A stored entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: u64,
    pub recorded_at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub source: String,
    pub data_hash: String,
    pub details: String,
    #[serde(serialize_with = "hex_hash")]
    pub leaf_hash: Hash,
}

fn hex_hash<S: serde::Serializer>(hash: &Hash, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(hash))
}

/// The canonical leaf encoding (version 1): compact JSON with the fields in
/// this order. The Merkle leaf is `SHA-256(0x00 || these bytes)`.
#[derive(Serialize)]
struct LeafV1<'a> {
    v: u8,
    seq: u64,
    at: i64,
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    source: &'a str,
    data_hash: &'a str,
    details: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn leaf_bytes(
    seq: u64,
    at: i64,
    actor: &str,
    action: &str,
    target: &str,
    source: &str,
    data_hash: &str,
    details: &str,
) -> Vec<u8> {
    let leaf = LeafV1 {
        v: 1,
        seq,
        at,
        actor,
        action,
        target,
        source,
        data_hash,
        details,
    };
    // Serialising a struct of strings and integers cannot fail.
    serde_json::to_vec(&leaf).unwrap_or_default()
}

impl Entry {
    /// The canonical leaf bytes of this entry, recomputed from its fields.
    pub fn leaf_bytes(&self) -> Vec<u8> {
        leaf_bytes(
            self.seq,
            self.recorded_at,
            &self.actor,
            &self.action,
            &self.target,
            &self.source,
            &self.data_hash,
            &self.details,
        )
    }
}

/// Proof that an entry was recorded: its position and leaf hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub seq: u64,
    pub leaf_hash: Hash,
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, Serialize)]
pub struct StoredCheckpoint {
    pub tree_size: u64,
    #[serde(serialize_with = "hex_hash")]
    pub root_hash: Hash,
    pub signed_note: String,
    pub created_at: i64,
}

/// Ledger tuning.
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// Most entries written in one transaction.
    pub batch_max: usize,
    /// Sign a new checkpoint when the tree has grown and this long has
    /// passed since the last one.
    pub checkpoint_interval: Duration,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            batch_max: 8192,
            checkpoint_interval: Duration::from_secs(5),
        }
    }
}

struct AppendRequest {
    entries: Vec<NewEntry>,
    reply: oneshot::Sender<Result<Vec<Receipt>>>,
}

enum Message {
    Append(AppendRequest),
    /// Write everything queued before this message, then stop.
    Shutdown(oneshot::Sender<()>),
}

struct Inner {
    db: Db,
    tree: RwLock<Tree>,
    signer: Ed25519Signer,
    origin: String,
    last_checkpoint: Mutex<(u64, Instant)>,
    options: LedgerOptions,
}

/// Handle on the node's ledger. Clone it freely.
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
    sender: mpsc::Sender<Message>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("origin", &self.inner.origin)
            .field("size", &self.size())
            .finish()
    }
}

/// The ledger's origin line and key name for a node: `congso/<node id>`.
pub fn origin_for_node(node_id: &str) -> String {
    format!("congso/{node_id}")
}

impl Ledger {
    /// Loads the tree from storage and starts the writer task.
    ///
    /// Refuses to start when storage visibly disagrees with itself (missing
    /// rows, or a latest checkpoint the stored entries do not reproduce):
    /// signing new checkpoints over a rewritten history would launder it.
    pub async fn open(
        db: Db,
        signing_seed: [u8; 32],
        origin: String,
        options: LedgerOptions,
    ) -> Result<Ledger> {
        let signer = Ed25519Signer::from_seed(&origin, signing_seed)
            .map_err(|error| StoreError::Secret(format!("ledger key: {error}")))?;
        let hashes = load_leaf_hashes(&db, 0).await?;
        let tree = Tree::from_leaf_hashes(hashes);
        let latest = latest_checkpoint(&db).await?;
        if let Some(checkpoint) = &latest {
            let matches = tree
                .root_at(checkpoint.tree_size)
                .map(|root| root == checkpoint.root_hash)
                .unwrap_or(false);
            if !matches {
                return Err(StoreError::Corrupt(format!(
                    "the stored ledger entries do not reproduce the signed checkpoint at size {}; \
                     the audit history was altered; run `congso ledger verify` for details",
                    checkpoint.tree_size
                )));
            }
        }
        let last_size = latest.map(|checkpoint| checkpoint.tree_size).unwrap_or(0);
        let inner = Arc::new(Inner {
            db,
            tree: RwLock::new(tree),
            signer,
            origin,
            last_checkpoint: Mutex::new((last_size, Instant::now())),
            options,
        });
        let (sender, receiver) = mpsc::channel(65_536);
        tokio::spawn(writer_loop(inner.clone(), receiver));
        let ledger = Ledger { inner, sender };
        metrics::gauge!("congso_ledger_entries").set(ledger.size() as f64);
        Ok(ledger)
    }

    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// Whether both handles write to the same ledger (one writer task), so
    /// their entries may share a group commit.
    pub fn same_ledger(&self, other: &Ledger) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The verifier key (`name+keyid+base64`) relying parties use to check
    /// this node's checkpoints.
    pub fn verifier_key(&self) -> String {
        self.inner.signer.verifier().to_vkey()
    }

    /// Number of entries in the tree.
    pub fn size(&self) -> u64 {
        self.inner.tree.read().map(|tree| tree.len()).unwrap_or(0)
    }

    /// The current root hash.
    pub fn root(&self) -> Hash {
        self.inner
            .tree
            .read()
            .map(|tree| tree.root())
            .unwrap_or(congso_ledger::EMPTY_ROOT)
    }

    /// Records one entry durably; returns once it is committed.
    pub async fn append(&self, entry: NewEntry) -> Result<Receipt> {
        let mut receipts = self.append_all(vec![entry]).await?;
        receipts.pop().ok_or(StoreError::LedgerClosed)
    }

    /// Records several entries durably, in order, in the same commit.
    pub async fn append_all(&self, entries: Vec<NewEntry>) -> Result<Vec<Receipt>> {
        let started = Instant::now();
        let (reply, response) = oneshot::channel();
        self.sender
            .send(Message::Append(AppendRequest { entries, reply }))
            .await
            .map_err(|_| StoreError::LedgerClosed)?;
        let receipts = response.await.map_err(|_| StoreError::LedgerClosed)??;
        metrics::histogram!("congso_ledger_append_seconds").record(started.elapsed().as_secs_f64());
        Ok(receipts)
    }

    /// Signs and stores a checkpoint of the current tree (if it grew since
    /// the last one) and returns the latest checkpoint.
    pub async fn checkpoint(&self) -> Result<StoredCheckpoint> {
        catch_up(&self.inner).await?;
        sign_checkpoint(&self.inner).await
    }

    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        let tree = self
            .inner
            .tree
            .read()
            .map_err(|_| StoreError::Corrupt("ledger tree lock poisoned".to_owned()))?;
        tree.inclusion_proof(index, size)
            .map_err(|error| StoreError::Invalid(error.to_string()))
    }

    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>> {
        let tree = self
            .inner
            .tree
            .read()
            .map_err(|_| StoreError::Corrupt("ledger tree lock poisoned".to_owned()))?;
        tree.consistency_proof(size1, size2)
            .map_err(|error| StoreError::Invalid(error.to_string()))
    }

    pub fn root_at(&self, size: u64) -> Result<Hash> {
        let tree = self
            .inner
            .tree
            .read()
            .map_err(|_| StoreError::Corrupt("ledger tree lock poisoned".to_owned()))?;
        tree.root_at(size)
            .map_err(|error| StoreError::Invalid(error.to_string()))
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// Writes everything already queued, signs a final checkpoint and stops
    /// the writer; later appends fail with [`StoreError::LedgerClosed`].
    pub async fn shutdown(&self) -> Result<()> {
        let (done, finished) = oneshot::channel();
        if self.sender.send(Message::Shutdown(done)).await.is_ok() {
            let _ = finished.await;
        }
        catch_up(&self.inner).await?;
        if self.size() > 0 {
            sign_checkpoint(&self.inner).await?;
        }
        Ok(())
    }
}

async fn writer_loop(inner: Arc<Inner>, mut receiver: mpsc::Receiver<Message>) {
    let mut stop: Option<oneshot::Sender<()>> = None;
    while stop.is_none() {
        let first =
            match tokio::time::timeout(inner.options.checkpoint_interval, receiver.recv()).await {
                Ok(Some(Message::Append(request))) => request,
                Ok(Some(Message::Shutdown(done))) => {
                    stop = Some(done);
                    break;
                }
                Ok(None) => break,
                Err(_idle) => {
                    maybe_checkpoint(&inner).await;
                    continue;
                }
            };
        let mut entry_count = first.entries.len();
        let mut batch = vec![first];
        while entry_count < inner.options.batch_max {
            match receiver.try_recv() {
                Ok(Message::Append(request)) => {
                    entry_count += request.entries.len();
                    batch.push(request);
                }
                Ok(Message::Shutdown(done)) => {
                    stop = Some(done);
                    break;
                }
                Err(_) => break,
            }
        }
        let entries: Vec<&NewEntry> = batch
            .iter()
            .flat_map(|request| request.entries.iter())
            .collect();
        let outcome = write_batch(&inner, &entries).await;
        match outcome {
            Ok(receipts) => {
                let mut receipts = receipts.into_iter();
                for request in batch {
                    let mine: Vec<Receipt> =
                        receipts.by_ref().take(request.entries.len()).collect();
                    let _ = request.reply.send(Ok(mine));
                }
            }
            Err(error) => {
                tracing::error!(%error, entries = entries.len(), "ledger batch not recorded");
                let message = error.to_string();
                for request in batch {
                    let _ = request.reply.send(Err(StoreError::Corrupt(format!(
                        "ledger append failed: {message}"
                    ))));
                }
            }
        }
        maybe_checkpoint(&inner).await;
    }
    // Dropping the receiver makes later appends fail fast instead of waiting.
    receiver.close();
    while let Ok(message) = receiver.try_recv() {
        if let Message::Append(request) = message {
            let _ = request.reply.send(Err(StoreError::LedgerClosed));
        }
    }
    if let Some(done) = stop {
        let _ = done.send(());
    }
}

async fn maybe_checkpoint(inner: &Arc<Inner>) {
    let due = inner
        .last_checkpoint
        .lock()
        .map(|last| {
            let size = inner.tree.read().map(|tree| tree.len()).unwrap_or(0);
            size > last.0 && last.1.elapsed() >= inner.options.checkpoint_interval
        })
        .unwrap_or(false);
    if due {
        if let Err(error) = sign_checkpoint(inner).await {
            tracing::error!(%error, "ledger checkpoint not signed");
        }
    }
}

/// Writes a batch in one transaction; on success appends to the tree.
async fn write_batch(inner: &Arc<Inner>, entries: &[&NewEntry]) -> Result<Vec<Receipt>> {
    let db = &inner.db;
    let known = inner.tree.read().map(|tree| tree.len()).unwrap_or(0);
    let (caught_up, receipts) = in_tx!(db, |tx| {
        if let Db::Postgres(_) = db {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_LEDGER_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        let stored: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger_entries")
                .fetch_one(&mut *tx)
                .await?;
        let stored = u64::try_from(stored).unwrap_or(0);
        if stored < known {
            return Err(StoreError::Corrupt(format!(
                "the ledger table holds {stored} entries but {known} were recorded; \
                 entries were deleted; run `congso ledger verify`"
            )));
        }
        // Another process (the CLI, another replica) may have appended since
        // we last looked: load its leaves so our tree stays a true mirror.
        let mut caught_up = Vec::new();
        if stored > known {
            let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
                "SELECT seq, leaf_hash FROM ledger_entries WHERE seq >= $1 ORDER BY seq",
            )
            .bind(known as i64)
            .fetch_all(&mut *tx)
            .await?;
            caught_up = to_hashes(known, rows)?;
        }
        let mut receipts = Vec::with_capacity(entries.len());
        for (chunk_index, chunk) in entries.chunks(INSERT_CHUNK).enumerate() {
            let first_seq = stored + (chunk_index * INSERT_CHUNK) as u64;
            let mut builder = sqlx::QueryBuilder::new(
                "INSERT INTO ledger_entries (seq, recorded_at, actor, action, target, source, \
                 data_hash, details, leaf_hash) ",
            );
            let mut chunk_receipts = Vec::with_capacity(chunk.len());
            builder.push_values(chunk.iter().enumerate(), |mut row, (offset, entry)| {
                let seq = first_seq + offset as u64;
                let bytes = leaf_bytes(
                    seq,
                    entry.recorded_at.micros(),
                    &entry.actor,
                    &entry.action,
                    &entry.target,
                    &entry.source,
                    &entry.data_hash,
                    &entry.details,
                );
                let hash = leaf_hash(&bytes);
                chunk_receipts.push(Receipt {
                    seq,
                    leaf_hash: hash,
                });
                row.push_bind(seq as i64)
                    .push_bind(entry.recorded_at.micros())
                    .push_bind(entry.actor.clone())
                    .push_bind(entry.action.clone())
                    .push_bind(entry.target.clone())
                    .push_bind(entry.source.clone())
                    .push_bind(entry.data_hash.clone())
                    .push_bind(entry.details.clone())
                    .push_bind(hash.to_vec());
            });
            builder.build().execute(&mut *tx).await?;
            receipts.extend(chunk_receipts);
        }
        (caught_up, receipts)
    });
    let mut tree = inner
        .tree
        .write()
        .map_err(|_| StoreError::Corrupt("ledger tree lock poisoned".to_owned()))?;
    for hash in caught_up {
        tree.append(hash);
    }
    for receipt in &receipts {
        tree.append(receipt.leaf_hash);
    }
    metrics::gauge!("congso_ledger_entries").set(tree.len() as f64);
    Ok(receipts)
}

fn to_hashes(first_seq: u64, rows: Vec<(i64, Vec<u8>)>) -> Result<Vec<Hash>> {
    let mut hashes = Vec::with_capacity(rows.len());
    for (offset, (seq, bytes)) in rows.into_iter().enumerate() {
        let expected = first_seq + offset as u64;
        if seq != expected as i64 {
            return Err(StoreError::Corrupt(format!(
                "ledger entry {expected} is missing (found {seq} in its place); \
                 run `congso ledger verify`"
            )));
        }
        let hash: Hash = bytes.try_into().map_err(|_| {
            StoreError::Corrupt(format!(
                "ledger entry {seq} has a leaf hash that is not 32 bytes"
            ))
        })?;
        hashes.push(hash);
    }
    Ok(hashes)
}

async fn load_leaf_hashes(db: &Db, from: u64) -> Result<Vec<Hash>> {
    let rows: Vec<(i64, Vec<u8>)> = on_write!(db, |pool| {
        sqlx::query_as("SELECT seq, leaf_hash FROM ledger_entries WHERE seq >= $1 ORDER BY seq")
            .bind(from as i64)
            .fetch_all(pool)
            .await?
    });
    to_hashes(from, rows)
}

/// Brings the in-memory tree up to date with rows other processes appended.
async fn catch_up(inner: &Arc<Inner>) -> Result<()> {
    let known = inner.tree.read().map(|tree| tree.len()).unwrap_or(0);
    let hashes = load_leaf_hashes(&inner.db, known).await?;
    if hashes.is_empty() {
        return Ok(());
    }
    let mut tree = inner
        .tree
        .write()
        .map_err(|_| StoreError::Corrupt("ledger tree lock poisoned".to_owned()))?;
    // Someone else may have caught up in between; only append what is new.
    let now_known = tree.len();
    for hash in hashes.into_iter().skip((now_known - known) as usize) {
        tree.append(hash);
    }
    Ok(())
}

async fn sign_checkpoint(inner: &Arc<Inner>) -> Result<StoredCheckpoint> {
    let (size, root) = {
        let tree = inner
            .tree
            .read()
            .map_err(|_| StoreError::Corrupt("ledger tree lock poisoned".to_owned()))?;
        (tree.len(), tree.root())
    };
    let checkpoint = Checkpoint::new(inner.origin.clone(), size, root)
        .map_err(|error| StoreError::Corrupt(format!("checkpoint: {error}")))?;
    let signed_note = note::sign(&checkpoint.to_body(), &[&inner.signer])
        .map_err(|error| StoreError::Secret(format!("cannot sign checkpoint: {error}")))?;
    let now = crate::now().micros();
    on_write!(&inner.db, |pool| {
        sqlx::query(
            "INSERT INTO ledger_checkpoints (tree_size, root_hash, signed_note, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING",
        )
        .bind(size as i64)
        .bind(root.to_vec())
        .bind(&signed_note)
        .bind(now)
        .execute(pool)
        .await?;
    });
    if let Ok(mut last) = inner.last_checkpoint.lock() {
        *last = (size, Instant::now());
    }
    latest_checkpoint(&inner.db)
        .await?
        .ok_or_else(|| StoreError::Corrupt("checkpoint vanished after insert".to_owned()))
}

type CheckpointRow = (i64, Vec<u8>, String, i64);

fn checkpoint_from_row(row: CheckpointRow) -> Result<StoredCheckpoint> {
    let (tree_size, root, signed_note, created_at) = row;
    Ok(StoredCheckpoint {
        tree_size: u64::try_from(tree_size)
            .map_err(|_| StoreError::Corrupt(format!("negative checkpoint size {tree_size}")))?,
        root_hash: root.try_into().map_err(|_| {
            StoreError::Corrupt(format!("checkpoint {tree_size} root is not 32 bytes"))
        })?,
        signed_note,
        created_at,
    })
}

/// The checkpoint with the largest tree size.
pub async fn latest_checkpoint(db: &Db) -> Result<Option<StoredCheckpoint>> {
    let row: Option<CheckpointRow> = on_write!(db, |pool| {
        sqlx::query_as(
            "SELECT tree_size, root_hash, signed_note, created_at FROM ledger_checkpoints \
             ORDER BY tree_size DESC LIMIT 1",
        )
        .fetch_optional(pool)
        .await?
    });
    row.map(checkpoint_from_row).transpose()
}

/// The checkpoint of exactly this size, if one was signed.
pub async fn checkpoint_at(db: &Db, size: u64) -> Result<Option<StoredCheckpoint>> {
    let row: Option<CheckpointRow> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT tree_size, root_hash, signed_note, created_at FROM ledger_checkpoints \
             WHERE tree_size = $1",
        )
        .bind(size as i64)
        .fetch_optional(pool)
        .await?
    });
    row.map(checkpoint_from_row).transpose()
}

type EntryRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Vec<u8>,
);

fn entry_from_row(row: EntryRow) -> Result<Entry> {
    let (seq, recorded_at, actor, action, target, source, data_hash, details, leaf) = row;
    Ok(Entry {
        seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("negative seq {seq}")))?,
        recorded_at,
        actor,
        action,
        target,
        source,
        data_hash,
        details,
        leaf_hash: leaf
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("entry {seq} leaf hash is not 32 bytes")))?,
    })
}

const ENTRY_COLUMNS: &str =
    "seq, recorded_at, actor, action, target, source, data_hash, details, leaf_hash";

/// Entries with `seq >= from`, oldest first.
pub async fn entries_from(db: &Db, from: u64, limit: u32) -> Result<Vec<Entry>> {
    let sql =
        format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq >= $1 ORDER BY seq LIMIT $2");
    let rows: Vec<EntryRow> = on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(from as i64)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
    });
    rows.into_iter().map(entry_from_row).collect()
}

/// The newest entries, newest first.
pub async fn recent_entries(db: &Db, limit: u32) -> Result<Vec<Entry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries ORDER BY seq DESC LIMIT $1");
    let rows: Vec<EntryRow> = on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
    });
    rows.into_iter().map(entry_from_row).collect()
}

pub async fn entry(db: &Db, seq: u64) -> Result<Option<Entry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq = $1");
    let row: Option<EntryRow> = on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(seq as i64)
            .fetch_optional(pool)
            .await?
    });
    row.map(entry_from_row).transpose()
}

/// What `congso ledger verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    pub checkpoints: u64,
    pub latest_checkpoint_size: u64,
    /// Entries after the latest checkpoint: intact as far as their own leaf
    /// hashes go, but not yet covered by a signature.
    pub uncovered_entries: u64,
    pub root: String,
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Recomputes the tree from storage and checks every signed checkpoint.
pub async fn verify(db: &Db, verifier: &Ed25519Verifier) -> Result<VerifyReport> {
    let mut report = VerifyReport::default();
    // Checkpoints first: a checkpoint is stored only after the entries it
    // covers are committed and entries are only ever appended, so every
    // checkpoint read now is covered by the entries read below, even while
    // a running node keeps appending (reading entries first let a checkpoint
    // signed in between look like deleted entries).
    let checkpoints: Vec<CheckpointRow> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT tree_size, root_hash, signed_note, created_at FROM ledger_checkpoints \
             ORDER BY tree_size",
        )
        .fetch_all(pool)
        .await?
    });
    let mut tree = Tree::new();
    let mut expected_seq: u64 = 0;
    const PAGE: u32 = 10_000;
    loop {
        let page = entries_from_raw(db, expected_seq, PAGE).await?;
        let count = page.len();
        for row in page {
            let seq = row.0;
            if seq < 0 {
                report
                    .problems
                    .push(format!("entry with negative sequence number {seq}"));
                continue;
            }
            let seq = seq as u64;
            if seq > expected_seq {
                report.problems.push(if seq - expected_seq == 1 {
                    format!("entry {expected_seq} is missing (deleted)")
                } else {
                    format!("entries {expected_seq}..{} are missing (deleted)", seq - 1)
                });
                // Keep the positions honest: a missing leaf cannot be
                // recomputed, so the tree stops matching from here on, which
                // the checkpoint comparison below reports too.
            }
            match entry_from_row(row) {
                Ok(entry) => {
                    let recomputed = leaf_hash(&entry.leaf_bytes());
                    if recomputed != entry.leaf_hash {
                        report.problems.push(format!(
                            "entry {seq} ({} by {}) does not match its leaf hash: its content was altered",
                            entry.action, entry.actor
                        ));
                    }
                    tree.append(recomputed);
                }
                Err(error) => report.problems.push(format!("entry {seq}: {error}")),
            }
            expected_seq = seq + 1;
        }
        if count < PAGE as usize {
            break;
        }
    }
    report.entries = tree.len();
    report.root = hex::encode(tree.root());

    let mut last_good: u64 = 0;
    for row in checkpoints {
        report.checkpoints += 1;
        let size = row.0;
        let stored = match checkpoint_from_row(row) {
            Ok(stored) => stored,
            Err(error) => {
                report.problems.push(format!("checkpoint {size}: {error}"));
                continue;
            }
        };
        let size = stored.tree_size;
        report.latest_checkpoint_size = report.latest_checkpoint_size.max(size);
        let opened = match note::open(stored.signed_note.as_bytes(), &[verifier]) {
            Ok(opened) => opened,
            Err(error) => {
                report.problems.push(format!(
                    "checkpoint at size {size}: signature does not verify with the node key ({error})"
                ));
                continue;
            }
        };
        match Checkpoint::parse(opened.text()) {
            Ok(signed) if signed.size() == size && *signed.root() == stored.root_hash => {}
            Ok(_) => {
                report.problems.push(format!(
                    "checkpoint at size {size}: the stored size or root differs from what was signed"
                ));
                continue;
            }
            Err(error) => {
                report
                    .problems
                    .push(format!("checkpoint at size {size}: {error}"));
                continue;
            }
        }
        match tree.root_at(size) {
            Ok(root) if root == stored.root_hash => last_good = size,
            Ok(_) => report.problems.push(format!(
                "checkpoint at size {size}: the stored entries do not reproduce the signed root; \
                 history was rewritten between entries {last_good} and {}",
                size.saturating_sub(1)
            )),
            Err(_) => report.problems.push(format!(
                "checkpoint at size {size} covers more entries than the {} stored: entries were deleted",
                tree.len()
            )),
        }
    }
    report.uncovered_entries = tree.len().saturating_sub(report.latest_checkpoint_size);
    Ok(report)
}

async fn entries_from_raw(db: &Db, from: u64, limit: u32) -> Result<Vec<EntryRow>> {
    let sql =
        format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq >= $1 ORDER BY seq LIMIT $2");
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(from as i64)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
    }))
}
