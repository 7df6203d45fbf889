//! The archive of issued and received documents (Decree 64 Art. 38): what
//! was archived, its hashes, validation report and ledger proof, and the
//! signatures the node made.
//!
//! Rows are written in two steps because the ledger has its own writer: the
//! row first (with `ledger_seq` empty), then the ledger entry naming the row,
//! then `ledger_seq`. If the ledger refuses, the caller removes the row with
//! [`delete_unrecorded_item`] / [`delete_unrecorded_signature`], which only
//! ever remove rows the ledger never saw. The canonical record and its hash
//! are computed by `congso-archive`; this module stores what it is given.

use serde::Serialize;

use crate::db::Db;
use crate::error::{Result, StoreError};

/// Whether the node sent or received the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Issued (sent) by this agency.
    Issued,
    /// Received from another agency.
    Received,
}

impl Direction {
    pub fn code(self) -> &'static str {
        match self {
            Direction::Issued => "issued",
            Direction::Received => "received",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "issued" => Some(Direction::Issued),
            "received" => Some(Direction::Received),
            _ => None,
        }
    }
}

/// What an archived file is to its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileRole {
    /// The original as issued or received (immutable).
    Original,
    /// A rendition made from an original (PDF from DOCX, OCR text, …).
    Rendition,
    /// A signed output that carries its signature (a PAdES PDF).
    Signed,
    /// A detached signature (CMS `.p7s`) over another file.
    Signature,
    /// An RFC 3161 timestamp token or response over another file.
    Timestamp,
    /// Any other attachment.
    Attachment,
}

impl FileRole {
    pub const ALL: [FileRole; 6] = [
        FileRole::Original,
        FileRole::Rendition,
        FileRole::Signed,
        FileRole::Signature,
        FileRole::Timestamp,
        FileRole::Attachment,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FileRole::Original => "original",
            FileRole::Rendition => "rendition",
            FileRole::Signed => "signed",
            FileRole::Signature => "signature",
            FileRole::Timestamp => "timestamp",
            FileRole::Attachment => "attachment",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        FileRole::ALL.into_iter().find(|role| role.code() == code)
    }
}

/// A signature the node made, to store.
#[derive(Debug, Clone)]
pub struct NewSignature {
    pub document_id: Option<i64>,
    pub certificate_id: i64,
    /// The signer's username.
    pub signer: String,
    pub cert_serial: String,
    /// `pades` or `cms`.
    pub format: String,
    pub file_name: String,
    pub media_type: String,
    pub original_sha256: String,
    pub original_size: i64,
    pub signed_sha256: String,
    pub signed_size: i64,
    pub signed_at: i64,
    pub timestamp_at: Option<i64>,
    /// `node` for the node's own TSA, else the external TSA's URL.
    pub tsa: String,
    /// `valid`, `indeterminate` or `invalid`.
    pub verdict: String,
    /// The validation report, JSON.
    pub report: String,
    pub created_at: i64,
}

/// A stored signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StoredSignature {
    pub id: i64,
    pub document_id: Option<i64>,
    pub certificate_id: i64,
    pub signer: String,
    pub cert_serial: String,
    pub format: String,
    pub file_name: String,
    pub media_type: String,
    pub original_sha256: String,
    pub original_size: i64,
    pub signed_sha256: String,
    pub signed_size: i64,
    pub signed_at: i64,
    pub timestamp_at: Option<i64>,
    pub tsa: String,
    pub verdict: String,
    pub report: String,
    pub ledger_seq: Option<i64>,
    pub created_at: i64,
}

const SIGNATURE_COLUMNS: &str = "id, document_id, certificate_id, signer, cert_serial, format, \
     file_name, media_type, original_sha256, original_size, signed_sha256, signed_size, \
     signed_at, timestamp_at, tsa, verdict, report, ledger_seq, created_at";

pub async fn insert_signature(db: &Db, new: &NewSignature) -> Result<i64> {
    let id: i64 = on_write!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO signatures (document_id, certificate_id, signer, cert_serial, format, \
             file_name, media_type, original_sha256, original_size, signed_sha256, signed_size, \
             signed_at, timestamp_at, tsa, verdict, report, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             RETURNING id",
        )
        .bind(new.document_id)
        .bind(new.certificate_id)
        .bind(&new.signer)
        .bind(&new.cert_serial)
        .bind(&new.format)
        .bind(&new.file_name)
        .bind(&new.media_type)
        .bind(&new.original_sha256)
        .bind(new.original_size)
        .bind(&new.signed_sha256)
        .bind(new.signed_size)
        .bind(new.signed_at)
        .bind(new.timestamp_at)
        .bind(&new.tsa)
        .bind(&new.verdict)
        .bind(&new.report)
        .bind(new.created_at)
        .fetch_one(pool)
        .await?
    });
    Ok(id)
}

/// Records the ledger position of a signature; only once.
pub async fn set_signature_ledger_seq(db: &Db, id: i64, seq: u64) -> Result<()> {
    set_ledger_seq(db, "signatures", id, seq).await
}

/// Removes a signature row the ledger never recorded (after the ledger
/// refused it). Rows with a ledger position are never removed.
pub async fn delete_unrecorded_signature(db: &Db, id: i64) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query("DELETE FROM signatures WHERE id = $1 AND ledger_seq IS NULL")
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

pub async fn get_signature(db: &Db, id: i64) -> Result<Option<StoredSignature>> {
    let sql = format!("SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE id = $1");
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
    }))
}

/// The signatures made for a document, oldest first.
pub async fn signatures_for_document(db: &Db, document_id: i64) -> Result<Vec<StoredSignature>> {
    let sql =
        format!("SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE document_id = $1 ORDER BY id");
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(document_id)
            .fetch_all(pool)
            .await?
    }))
}

async fn set_ledger_seq(db: &Db, table: &str, id: i64, seq: u64) -> Result<()> {
    let seq = i64::try_from(seq)
        .map_err(|_| StoreError::Invalid(format!("ledger position {seq} is out of range")))?;
    let sql = format!("UPDATE {table} SET ledger_seq = $1 WHERE id = $2 AND ledger_seq IS NULL");
    let updated = on_write!(db, |pool| {
        sqlx::query(&sql)
            .bind(seq)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    if updated != 1 {
        return Err(StoreError::Conflict(format!(
            "{table} row {id} does not exist or already has a ledger position"
        )));
    }
    Ok(())
}

/// One file of an item to archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArchiveFile {
    pub role: FileRole,
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub size: i64,
    /// For a detached signature or timestamp: the position of the file it covers.
    pub signs: Option<i64>,
    /// The verdict of this file's signature check, for signed files,
    /// signatures and timestamps.
    pub verdict: Option<String>,
}

/// An item to archive.
#[derive(Debug, Clone)]
pub struct NewArchiveItem {
    pub document_id: Option<i64>,
    pub direction: Direction,
    /// When the document was sent (issued) or entered the system (received).
    pub event_at: i64,
    /// The metadata, JSON.
    pub metadata: String,
    pub metadata_sha256: String,
    pub edxml_sha256: Option<String>,
    pub edxml_size: Option<i64>,
    /// `valid`, `indeterminate`, `invalid` or `unsigned`.
    pub verdict: String,
    /// The validation report, JSON.
    pub report: String,
    pub report_sha256: String,
    /// SHA-256 of the canonical record, the ledger entry's data hash.
    pub record_sha256: String,
    pub archived_at: i64,
    pub archived_by: String,
    /// Files in order; a file's position is its index here.
    pub files: Vec<NewArchiveFile>,
}

/// A stored file of an archived item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveFile {
    pub position: i64,
    pub role: FileRole,
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub size: i64,
    pub signs: Option<i64>,
    pub verdict: Option<String>,
}

/// A stored archived item with its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveItem {
    pub id: i64,
    pub document_id: Option<i64>,
    pub direction: Direction,
    pub event_at: i64,
    pub metadata: String,
    pub metadata_sha256: String,
    pub edxml_sha256: Option<String>,
    pub edxml_size: Option<i64>,
    pub verdict: String,
    pub report: String,
    pub report_sha256: String,
    pub record_sha256: String,
    pub ledger_seq: Option<i64>,
    pub archived_at: i64,
    pub archived_by: String,
    pub files: Vec<ArchiveFile>,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    document_id: Option<i64>,
    direction: String,
    event_at: i64,
    metadata: String,
    metadata_sha256: String,
    edxml_sha256: Option<String>,
    edxml_size: Option<i64>,
    verdict: String,
    report: String,
    report_sha256: String,
    record_sha256: String,
    ledger_seq: Option<i64>,
    archived_at: i64,
    archived_by: String,
}

#[derive(sqlx::FromRow)]
struct FileRow {
    position: i64,
    role: String,
    name: String,
    media_type: String,
    sha256: String,
    size: i64,
    signs: Option<i64>,
    verdict: Option<String>,
}

const ITEM_COLUMNS: &str = "id, document_id, direction, event_at, metadata, metadata_sha256, \
     edxml_sha256, edxml_size, verdict, report, report_sha256, record_sha256, ledger_seq, \
     archived_at, archived_by";

/// Stores an item and its files in one transaction; returns its id.
pub async fn insert_item(db: &Db, new: &NewArchiveItem) -> Result<i64> {
    let ids = insert_items(db, &[new]).await?;
    ids.first()
        .copied()
        .ok_or_else(|| StoreError::Corrupt("an inserted archive item has no id".to_owned()))
}

/// Stores several archived items with their files in one transaction (the
/// archive's group commit); returns their ids in order. All or nothing.
pub async fn insert_items(db: &Db, items: &[&NewArchiveItem]) -> Result<Vec<i64>> {
    let ids: Vec<i64> = in_tx!(db, |tx| {
        let mut ids = Vec::with_capacity(items.len());
        for new in items {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO archive_items (document_id, direction, event_at, metadata, \
                 metadata_sha256, edxml_sha256, edxml_size, verdict, report, report_sha256, \
                 record_sha256, archived_at, archived_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            )
            .bind(new.document_id)
            .bind(new.direction.code())
            .bind(new.event_at)
            .bind(&new.metadata)
            .bind(&new.metadata_sha256)
            .bind(&new.edxml_sha256)
            .bind(new.edxml_size)
            .bind(&new.verdict)
            .bind(&new.report)
            .bind(&new.report_sha256)
            .bind(&new.record_sha256)
            .bind(new.archived_at)
            .bind(&new.archived_by)
            .fetch_one(&mut *tx)
            .await?;
            for (position, file) in new.files.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO archive_files (item_id, position, role, name, media_type, sha256, \
                     size, signs, verdict) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(id)
                .bind(position as i64)
                .bind(file.role.code())
                .bind(&file.name)
                .bind(&file.media_type)
                .bind(&file.sha256)
                .bind(file.size)
                .bind(file.signs)
                .bind(&file.verdict)
                .execute(&mut *tx)
                .await?;
            }
            ids.push(id);
        }
        ids
    });
    Ok(ids)
}

/// Records the ledger positions of several archived items in one
/// transaction; each only once. All or nothing.
pub async fn set_item_ledger_seqs(db: &Db, positions: &[(i64, u64)]) -> Result<()> {
    if positions.is_empty() {
        return Ok(());
    }
    in_tx!(db, |tx| {
        for (id, seq) in positions {
            let seq = i64::try_from(*seq).map_err(|_| {
                StoreError::Invalid(format!("ledger position {seq} is out of range"))
            })?;
            let updated = sqlx::query(
                "UPDATE archive_items SET ledger_seq = $1 WHERE id = $2 AND ledger_seq IS NULL",
            )
            .bind(seq)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict(format!(
                    "archive_items row {id} does not exist or already has a ledger position"
                )));
            }
        }
    });
    Ok(())
}

/// Records the ledger position of an archived item; only once.
pub async fn set_item_ledger_seq(db: &Db, id: i64, seq: u64) -> Result<()> {
    set_ledger_seq(db, "archive_items", id, seq).await
}

/// Removes an item the ledger never recorded (after the ledger refused it).
/// Items with a ledger position are never removed.
pub async fn delete_unrecorded_item(db: &Db, id: i64) -> Result<()> {
    in_tx!(db, |tx| {
        let unrecorded: Option<i64> =
            sqlx::query_scalar("SELECT id FROM archive_items WHERE id = $1 AND ledger_seq IS NULL")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if unrecorded.is_some() {
            sqlx::query("DELETE FROM archive_files WHERE item_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM archive_items WHERE id = $1 AND ledger_seq IS NULL")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    });
    Ok(())
}

fn item_from_rows(row: ItemRow, files: Vec<FileRow>) -> Result<ArchiveItem> {
    let direction = Direction::from_code(&row.direction).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "archive item {} has unknown direction {:?}",
            row.id, row.direction
        ))
    })?;
    let files = files
        .into_iter()
        .map(|file| {
            Ok(ArchiveFile {
                position: file.position,
                role: FileRole::from_code(&file.role).ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "archive item {} file {} has unknown role {:?}",
                        row.id, file.position, file.role
                    ))
                })?,
                name: file.name,
                media_type: file.media_type,
                sha256: file.sha256,
                size: file.size,
                signs: file.signs,
                verdict: file.verdict,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ArchiveItem {
        id: row.id,
        document_id: row.document_id,
        direction,
        event_at: row.event_at,
        metadata: row.metadata,
        metadata_sha256: row.metadata_sha256,
        edxml_sha256: row.edxml_sha256,
        edxml_size: row.edxml_size,
        verdict: row.verdict,
        report: row.report,
        report_sha256: row.report_sha256,
        record_sha256: row.record_sha256,
        ledger_seq: row.ledger_seq,
        archived_at: row.archived_at,
        archived_by: row.archived_by,
        files,
    })
}

pub async fn get_item(db: &Db, id: i64) -> Result<Option<ArchiveItem>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM archive_items WHERE id = $1");
    let row: Option<ItemRow> = on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
    });
    let Some(row) = row else {
        return Ok(None);
    };
    let files: Vec<FileRow> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT position, role, name, media_type, sha256, size, signs, verdict \
             FROM archive_files WHERE item_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
    });
    item_from_rows(row, files).map(Some)
}

/// Ids of archived items greater than `after`, ascending, at most `limit`.
pub async fn item_ids(db: &Db, after: i64, limit: u32) -> Result<Vec<i64>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar("SELECT id FROM archive_items WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
    }))
}

/// The archived items of a document, oldest first.
pub async fn items_for_document(db: &Db, document_id: i64) -> Result<Vec<ArchiveItem>> {
    let ids: Vec<i64> = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT id FROM archive_items WHERE document_id = $1 ORDER BY id")
            .bind(document_id)
            .fetch_all(pool)
            .await?
    });
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(item) = get_item(db, id).await? {
            items.push(item);
        }
    }
    Ok(items)
}

/// Number of archived items.
pub async fn count_items(db: &Db) -> Result<i64> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM archive_items")
            .fetch_one(pool)
            .await?
    }))
}

/// `(seq, target)` of every ledger entry with this action code, in order:
/// lets the archive check that every item the ledger recorded still exists.
pub async fn ledger_targets(db: &Db, action: &str) -> Result<Vec<(i64, String)>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as("SELECT seq, target FROM ledger_entries WHERE action = $1 ORDER BY seq")
            .bind(action)
            .fetch_all(pool)
            .await?
    }))
}
