//! Electronic documents: registers, files and renditions, workflow state,
//! assignments, timelines and notifications (Decree 30/2020, Decree 64
//! Art. 33–39).
//!
//! This module is the persistence half of `congso-docs`: it knows rows,
//! transactions, number series and the access predicate, not the meaning of
//! the metadata (that JSON is written and read by `congso-docs`).
//!
//! Three rules hold everywhere:
//!
//! - **Numbers are given inside the transaction that uses them.** The series
//!   counter (`document_series`) is incremented by an upsert in the same
//!   transaction as the state change, so a rolled-back change gives its
//!   number back (no gaps) and the row lock (PostgreSQL) or the single writer
//!   (SQLite) serialises concurrent issuers (no duplicates); unique indexes
//!   make a duplicate impossible even if that reasoning were wrong.
//! - **Every read takes a [`Viewer`]** and filters with [`VISIBLE`] in SQL: a
//!   secret document is returned only to a user whose clearance reaches its
//!   level or who has handled it. No function returns document rows without it.
//! - **Nothing is deleted.** A recalled document keeps its row and number and
//!   is marked; every change function refuses to touch it.
//!
//! Registration of incoming documents goes through the [`Registrar`], one
//! task that batches waiting registrations into one transaction (with a
//! savepoint each, so one refused registration does not affect the others),
//! appends their ledger entries in one group commit, and records the ledger
//! sequence numbers on their timeline events. The ledger is appended after
//! the commit because its writer owns the Merkle tree and its own
//! transaction; a failed append is reported to every caller of the batch as
//! [`RegisterError::NotLedgered`] and the events stay findable by
//! [`unledgered_events`] until [`set_event_ledger_seqs`] records them.

use congso_core::audit::{Actor, AuditAction};
use serde::Serialize;
use sqlx::Acquire;
use tokio::sync::{mpsc, oneshot};

use crate::db::Db;
use crate::error::{Result, StoreError};
use crate::ledger::{Ledger, NewEntry};

// ---------------------------------------------------------------- access

/// Who is reading: the access predicate needs the user (handlers always see
/// their documents) and the clearance (0 none, 1 Mật, 2 Tối mật, 3 Tuyệt mật).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: i64,
    pub clearance: i64,
}

/// The visibility predicate on a document aliased `d`, with the viewer's
/// clearance and user id bound as `{clearance}` and `{user}` parameters.
fn visible_sql(clearance: usize, user: usize) -> String {
    format!(
        "(d.secrecy = 0 OR d.secrecy <= ${clearance} OR EXISTS (SELECT 1 FROM document_handlers h \
         WHERE h.document_id = d.id AND h.user_id = ${user}))"
    )
}

/// The predicate as documentation: a document is visible when it is not
/// secret, when the viewer's clearance reaches its secrecy level, or when the
/// viewer has handled it.
pub const VISIBLE: &str = "d.secrecy = 0 OR d.secrecy <= clearance OR viewer handled d";

/// Stores a user's clearance (0–3).
pub async fn set_clearance(db: &Db, user_id: i64, level: i64, granted_by: i64) -> Result<()> {
    if !(0..=3).contains(&level) {
        return Err(StoreError::Invalid(format!(
            "clearance level must be 0 to 3, not {level}"
        )));
    }
    let now = crate::now().micros();
    on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO document_clearances (user_id, level, granted_by, granted_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET level = excluded.level, \
             granted_by = excluded.granted_by, granted_at = excluded.granted_at",
        )
        .bind(user_id)
        .bind(level)
        .bind(granted_by)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// A user's clearance; 0 when none was ever granted.
pub async fn clearance(db: &Db, user_id: i64) -> Result<i64> {
    let level: Option<i64> = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT level FROM document_clearances WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(level.unwrap_or(0))
}

// ---------------------------------------------------------------- rows

/// A document row. Registry facts are columns; the descriptive metadata is
/// the JSON in `metadata`, owned by `congso-docs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: i64,
    pub organization_id: i64,
    pub direction: String,
    pub state: String,
    pub version: i64,
    pub book: String,
    pub series: Option<String>,
    pub register_year: Option<i64>,
    pub register_number: Option<i64>,
    pub type_code: String,
    pub number_text: Option<String>,
    pub notation: Option<String>,
    pub number_notation: Option<String>,
    pub issue_date: Option<String>,
    pub summary: String,
    pub signer_name: Option<String>,
    pub sender_key: Option<String>,
    pub sender_name: Option<String>,
    pub sender_organ_code: Option<String>,
    pub secrecy: i64,
    pub urgency: i64,
    pub due_date: Option<String>,
    pub edxml_document_id: Option<String>,
    #[serde(skip)]
    pub original_sha256: Option<Vec<u8>>,
    pub holder_user_id: Option<i64>,
    pub holder_unit_id: Option<i64>,
    pub drafting_unit_id: Option<i64>,
    pub created_by: Option<i64>,
    pub arrived_at: Option<i64>,
    pub registered_at: Option<i64>,
    pub signed_at: Option<i64>,
    pub issued_at: Option<i64>,
    pub dispatched_at: Option<i64>,
    pub recalled_at: Option<i64>,
    pub recall_reason: Option<String>,
    pub metadata: String,
    pub import_issues: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const DOCUMENT_COLUMNS: &str = "d.id, d.organization_id, d.direction, d.state, d.version, d.book, \
    d.series, d.register_year, d.register_number, d.type_code, d.number_text, d.notation, \
    d.number_notation, d.issue_date, d.summary, d.signer_name, d.sender_key, d.sender_name, \
    d.sender_organ_code, d.secrecy, d.urgency, d.due_date, d.edxml_document_id, d.original_sha256, \
    d.holder_user_id, d.holder_unit_id, d.drafting_unit_id, d.created_by, d.arrived_at, \
    d.registered_at, d.signed_at, d.issued_at, d.dispatched_at, d.recalled_at, d.recall_reason, \
    d.metadata, d.import_issues, d.created_at, d.updated_at";

/// A stored file of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FileRow {
    pub id: i64,
    pub document_id: i64,
    pub kind: String,
    #[serde(serialize_with = "hex_bytes")]
    pub sha256: Vec<u8>,
    pub size: i64,
    pub mime: String,
    pub name: String,
    pub source_file_id: Option<i64>,
    pub rendition_kind: Option<String>,
    pub details: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

fn hex_bytes<S: serde::Serializer>(bytes: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(bytes))
}

/// One timeline event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub document_id: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub kind: String,
    pub transition: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub comment: Option<String>,
    pub details: String,
    pub ledger_seq: Option<i64>,
}

/// An assignment of an incoming document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: i64,
    pub document_id: i64,
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub assigned_by: Option<i64>,
    pub assigned_at: i64,
    pub due_date: Option<String>,
    pub active: bool,
    pub ended_at: Option<i64>,
}

/// A recorded signature (the signing hook's output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SignatureRow {
    pub id: i64,
    pub document_id: i64,
    pub file_id: i64,
    pub signature_record: String,
    pub signer_user_id: Option<i64>,
    pub signer_name: String,
    pub signed_at: i64,
}

/// An in-app notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub document_id: Option<i64>,
    pub kind: String,
    pub message: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// A status reported by a recipient of one of our documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RecipientStatusRow {
    pub id: i64,
    pub document_id: i64,
    pub organ_code: Option<String>,
    pub organ_name: Option<String>,
    pub status_code: i64,
    pub description: Option<String>,
    pub reported_at: Option<String>,
    pub received_at: i64,
}

/// An edXML message waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub document_id: i64,
    pub kind: String,
    pub status_code: Option<i64>,
    pub payload: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

// ---------------------------------------------------------------- inputs

/// A new document row (files, events and terms come separately).
#[derive(Debug, Clone, Default)]
pub struct NewDocument {
    pub organization_id: i64,
    /// `incoming` or `outgoing`.
    pub direction: String,
    pub state: String,
    pub book: String,
    pub type_code: String,
    pub number_text: Option<String>,
    pub notation: Option<String>,
    pub number_notation: Option<String>,
    pub issue_date: Option<String>,
    pub summary: String,
    pub signer_name: Option<String>,
    pub sender_key: Option<String>,
    pub sender_name: Option<String>,
    pub sender_organ_code: Option<String>,
    pub secrecy: i64,
    pub urgency: i64,
    pub due_date: Option<String>,
    pub edxml_document_id: Option<String>,
    pub holder_user_id: Option<i64>,
    pub holder_unit_id: Option<i64>,
    pub drafting_unit_id: Option<i64>,
    pub created_by: Option<i64>,
    pub arrived_at: Option<i64>,
    pub metadata: String,
    pub import_issues: String,
}

/// A file to link to a document; its bytes are already in the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// `original`, `attachment`, `rendition` or `signed`.
    pub kind: String,
    pub sha256: [u8; 32],
    pub size: u64,
    pub mime: String,
    pub name: String,
    pub source_file_id: Option<i64>,
    pub rendition_kind: Option<String>,
    /// A JSON object.
    pub details: String,
    /// Folded search terms of the file's text, if it bears text.
    pub terms: Vec<String>,
}

/// A timeline event to record.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub actor_user_id: Option<i64>,
    /// The actor's audit code (`user:lan.nt`).
    pub actor: String,
    pub kind: String,
    pub transition: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub comment: Option<String>,
    /// A JSON object.
    pub details: String,
}

/// Where a number comes from: a series of a book, in a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbering {
    pub series: String,
    pub year: i32,
    /// For outgoing documents: the notation after the slash (`QĐ-UBND`); the
    /// number/notation is written `NN/notation`. `None` for arrival numbers.
    pub notation: Option<String>,
    /// The issue date to record with an outgoing number (`YYYY-MM-DD`).
    pub issue_date: Option<String>,
    /// When set, the edXML DocumentId becomes `{prefix},{number/notation}`
    /// (the prefix being `OrganId,yyyy/MM/dd`).
    pub document_id_prefix: Option<String>,
}

/// The number as written on a document (Decree 30 Art. 15): Arabic digits,
/// numbers below 10 with a leading zero (`01` … `09`, `10`, `123`).
pub fn number_text(number: i64) -> String {
    format!("{number:02}")
}

/// A new assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAssignment {
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub assigned_by: i64,
    pub due_date: Option<String>,
}

/// A notification, and the mail to queue with it when the user has an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user_id: i64,
    pub kind: String,
    pub message: String,
    /// (recipient address, subject, body).
    pub mail: Option<(String, String, String)>,
}

/// A signature record to link (the signing hook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignature {
    pub signature_record: String,
    pub signer_user_id: Option<i64>,
    pub signer_name: String,
}

/// An edXML message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutbox {
    pub kind: String,
    pub status_code: Option<i64>,
    pub payload: String,
}

/// Which timestamp column a change sets to its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Registered,
    Signed,
    Issued,
    Dispatched,
}

impl Stamp {
    fn column(self) -> &'static str {
        match self {
            Stamp::Registered => "registered_at",
            Stamp::Signed => "signed_at",
            Stamp::Issued => "issued_at",
            Stamp::Dispatched => "dispatched_at",
        }
    }
}

/// Edits of a draft's columns and metadata.
#[derive(Debug, Clone, Default)]
pub struct DraftEdit {
    /// The register book follows the secrecy; a draft has no number yet.
    pub book: String,
    pub type_code: String,
    pub notation: Option<String>,
    pub summary: String,
    pub signer_name: Option<String>,
    pub secrecy: i64,
    pub urgency: i64,
    pub due_date: Option<String>,
    pub drafting_unit_id: Option<i64>,
    pub metadata: String,
    /// The folded terms of the new metadata.
    pub terms: Vec<String>,
}

/// One change to an existing document, applied in one transaction: an
/// optional state change guarded by the expected state and version, an
/// optional number, files, a signature, an assignment, notifications, a
/// recall, edXML messages, and always one timeline event.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub document_id: i64,
    /// The version the caller read; a concurrent change makes this one fail
    /// with [`StoreError::Conflict`].
    pub expected_version: i64,
    /// (from, to); `None` for changes that keep the state.
    pub state: Option<(String, String)>,
    pub event: NewEvent,
    pub numbering: Option<Numbering>,
    pub stamp: Option<Stamp>,
    /// New holder: (user, unit).
    pub holder: Option<(Option<i64>, Option<i64>)>,
    pub files: Vec<NewFile>,
    /// Links a signature to the first of `files`.
    pub signature: Option<NewSignature>,
    pub end_assignments: bool,
    pub assignment: Option<NewAssignment>,
    pub handlers: Vec<i64>,
    pub notifications: Vec<NewNotification>,
    pub outbox: Vec<NewOutbox>,
    pub recall_reason: Option<String>,
    pub edit: Option<DraftEdit>,
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub event_id: i64,
    pub version: i64,
    /// (series year, number, number/notation) when a number was given.
    pub number: Option<(i32, i64, Option<String>)>,
    pub file_ids: Vec<i64>,
}

// ---------------------------------------------------------------- shared transaction bodies

/// Takes the next number of a series inside the running transaction.
macro_rules! next_number {
    ($tx:expr, $organization:expr, $series:expr, $year:expr) => {{
        let number: i64 = sqlx::query_scalar(
            "INSERT INTO document_series (organization_id, series, year, last_number) \
             VALUES ($1, $2, $3, 1) ON CONFLICT (organization_id, series, year) \
             DO UPDATE SET last_number = document_series.last_number + 1 RETURNING last_number",
        )
        .bind($organization)
        .bind($series)
        .bind(i64::from($year))
        .fetch_one(&mut *$tx)
        .await?;
        number
    }};
}

macro_rules! insert_event {
    ($tx:expr, $document:expr, $at:expr, $event:expr) => {{
        let event: &NewEvent = $event;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO document_events (document_id, at, actor_user_id, actor, kind, transition, \
             from_state, to_state, comment, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             RETURNING id",
        )
        .bind($document)
        .bind($at)
        .bind(event.actor_user_id)
        .bind(&event.actor)
        .bind(&event.kind)
        .bind(&event.transition)
        .bind(&event.from_state)
        .bind(&event.to_state)
        .bind(&event.comment)
        .bind(if event.details.is_empty() {
            "{}"
        } else {
            event.details.as_str()
        })
        .fetch_one(&mut *$tx)
        .await?;
        id
    }};
}

macro_rules! insert_file {
    ($tx:expr, $document:expr, $at:expr, $by:expr, $file:expr) => {{
        let file: &NewFile = $file;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO document_files (document_id, kind, sha256, size, mime, name, \
             source_file_id, rendition_kind, details, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind($document)
        .bind(&file.kind)
        .bind(&file.sha256[..])
        .bind(i64::try_from(file.size).unwrap_or(i64::MAX))
        .bind(&file.mime)
        .bind(&file.name)
        .bind(file.source_file_id)
        .bind(&file.rendition_kind)
        .bind(if file.details.is_empty() {
            "{}"
        } else {
            file.details.as_str()
        })
        .bind($by)
        .bind($at)
        .fetch_one(&mut *$tx)
        .await?;
        insert_terms!($tx, $document, id, &file.terms);
        id
    }};
}

/// Rows per multi-row INSERT of terms: 3 parameters a row stays far below
/// both engines' parameter limits.
const TERM_CHUNK: usize = 1000;

macro_rules! insert_terms {
    ($tx:expr, $document:expr, $file:expr, $terms:expr) => {{
        let terms: &[String] = $terms;
        let mut unique: Vec<&str> = terms.iter().map(String::as_str).collect();
        unique.sort_unstable();
        unique.dedup();
        for chunk in unique.chunks(TERM_CHUNK) {
            let mut builder =
                sqlx::QueryBuilder::new("INSERT INTO document_terms (term, document_id, file_id) ");
            builder.push_values(chunk.iter(), |mut row, term| {
                row.push_bind(term.to_string())
                    .push_bind($document)
                    .push_bind($file);
            });
            builder.push(" ON CONFLICT DO NOTHING");
            builder.build().execute(&mut *$tx).await?;
        }
    }};
}

macro_rules! add_handler {
    ($tx:expr, $document:expr, $user:expr) => {{
        sqlx::query(
            "INSERT INTO document_handlers (document_id, user_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind($document)
        .bind($user)
        .execute(&mut *$tx)
        .await?;
    }};
}

macro_rules! insert_document {
    ($tx:expr, $new:expr, $now:expr, $original:expr, $numbered:expr) => {{
        let new: &NewDocument = $new;
        // (series, year, number) when the document is numbered on insert.
        let numbered: Option<(&str, i64, i64)> = $numbered;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO documents (organization_id, direction, state, book, type_code, number_text, \
             notation, number_notation, issue_date, summary, signer_name, sender_key, sender_name, \
             sender_organ_code, secrecy, urgency, due_date, edxml_document_id, original_sha256, \
             holder_user_id, holder_unit_id, drafting_unit_id, created_by, arrived_at, metadata, \
             import_issues, created_at, updated_at, series, register_year, register_number, \
             registered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $27, \
             $28, $29, $30, $31) RETURNING id",
        )
        .bind(new.organization_id)
        .bind(&new.direction)
        .bind(&new.state)
        .bind(&new.book)
        .bind(&new.type_code)
        .bind(&new.number_text)
        .bind(&new.notation)
        .bind(&new.number_notation)
        .bind(&new.issue_date)
        .bind(&new.summary)
        .bind(&new.signer_name)
        .bind(&new.sender_key)
        .bind(&new.sender_name)
        .bind(&new.sender_organ_code)
        .bind(new.secrecy)
        .bind(new.urgency)
        .bind(&new.due_date)
        .bind(&new.edxml_document_id)
        .bind($original)
        .bind(new.holder_user_id)
        .bind(new.holder_unit_id)
        .bind(new.drafting_unit_id)
        .bind(new.created_by)
        .bind(new.arrived_at)
        .bind(&new.metadata)
        .bind(if new.import_issues.is_empty() {
            "[]"
        } else {
            new.import_issues.as_str()
        })
        .bind($now)
        .bind(numbered.map(|(series, _, _)| series.to_owned()))
        .bind(numbered.map(|(_, year, _)| year))
        .bind(numbered.map(|(_, _, number)| number))
        .bind(numbered.map(|_| $now))
        .fetch_one(&mut *$tx)
        .await?;
        id
    }};
}

// ---------------------------------------------------------------- creating drafts

/// What [`create_document`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub document_id: i64,
    pub event_id: i64,
    pub file_ids: Vec<i64>,
}

/// Stores a new document without a number (an outgoing draft), its files,
/// its first timeline event, its handlers and its metadata search terms, in
/// one transaction.
pub async fn create_document(
    db: &Db,
    new: &NewDocument,
    files: &[NewFile],
    event: &NewEvent,
    handlers: &[i64],
    terms: &[String],
) -> Result<Created> {
    check_document(new)?;
    let now = crate::now().micros();
    let original = files
        .iter()
        .find(|file| file.kind == "original")
        .map(|file| file.sha256.to_vec());
    Ok(in_tx!(db, |tx| {
        let document_id = insert_document!(tx, new, now, &original, None);
        let mut file_ids = Vec::with_capacity(files.len());
        for file in files {
            file_ids.push(insert_file!(tx, document_id, now, new.created_by, file));
        }
        insert_terms!(tx, document_id, 0_i64, terms);
        for user in handlers {
            add_handler!(tx, document_id, *user);
        }
        let event_id = insert_event!(tx, document_id, now, event);
        Created {
            document_id,
            event_id,
            file_ids,
        }
    }))
}

fn check_document(new: &NewDocument) -> Result<()> {
    if new.direction != "incoming" && new.direction != "outgoing" {
        return Err(StoreError::Invalid(format!(
            "document direction must be incoming or outgoing, not {:?}",
            new.direction
        )));
    }
    if !(0..=3).contains(&new.secrecy) || !(0..=3).contains(&new.urgency) {
        return Err(StoreError::Invalid(
            "secrecy and urgency levels run from 0 to 3".to_owned(),
        ));
    }
    if serde_json::from_str::<serde_json::Value>(&new.metadata).is_err() {
        return Err(StoreError::Invalid(
            "document metadata is not JSON".to_owned(),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- changes

/// Applies one [`Change`] in one transaction. Fails with
/// [`StoreError::Conflict`] when the document changed since the caller read
/// it (version or state differ) or has been recalled, and with
/// [`StoreError::NotFound`] when it does not exist.
pub async fn apply(db: &Db, change: &Change) -> Result<Applied> {
    let now = crate::now().micros();
    let document_id = change.document_id;
    Ok(in_tx!(db, |tx| {
        // Claim the row first: the guarded version bump makes concurrent
        // changes of one document serialise and the loser fail cleanly.
        let (from_state, to_state) = match &change.state {
            Some((from, to)) => (Some(from.clone()), Some(to.clone())),
            None => (None, None),
        };
        let claimed: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE documents SET version = version + 1, updated_at = $1, \
             state = COALESCE($2, state) \
             WHERE id = $3 AND version = $4 AND recalled_at IS NULL \
             AND ($5 IS NULL OR state = $5) RETURNING version, organization_id",
        )
        .bind(now)
        .bind(&to_state)
        .bind(document_id)
        .bind(change.expected_version)
        .bind(&from_state)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((version, organization_id)) = claimed else {
            let exists: Option<(i64, Option<i64>, String)> =
                sqlx::query_as("SELECT version, recalled_at, state FROM documents WHERE id = $1")
                    .bind(document_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match exists {
                None => StoreError::not_found(format!("document {document_id}")),
                Some((_, Some(_), _)) => StoreError::Conflict(format!(
                    "document {document_id} has been recalled; it can no longer change"
                )),
                Some((_, None, state))
                    if from_state.as_deref().is_some_and(|from| from != state) =>
                {
                    StoreError::Conflict(format!(
                        "document {document_id} is in state {state}, not {}",
                        from_state.as_deref().unwrap_or_default()
                    ))
                }
                Some(_) => StoreError::Conflict(format!(
                    "document {document_id} was changed by someone else; reload it and try again"
                )),
            });
        };
        let mut number = None;
        if let Some(numbering) = &change.numbering {
            let given = next_number!(tx, organization_id, &numbering.series, numbering.year);
            let text = number_text(given);
            let number_notation = numbering
                .notation
                .as_ref()
                .map(|notation| format!("{text}/{notation}"));
            sqlx::query(
                "UPDATE documents SET series = $1, register_year = $2, register_number = $3, \
                 number_text = CASE WHEN $4 IS NULL THEN number_text ELSE $5 END, \
                 notation = COALESCE($4, notation), \
                 number_notation = COALESCE($6, number_notation), \
                 issue_date = COALESCE($7, issue_date) WHERE id = $8",
            )
            .bind(&numbering.series)
            .bind(i64::from(numbering.year))
            .bind(given)
            .bind(&numbering.notation)
            .bind(&text)
            .bind(&number_notation)
            .bind(&numbering.issue_date)
            .bind(document_id)
            .execute(&mut *tx)
            .await?;
            if let (Some(prefix), Some(number_notation)) =
                (&numbering.document_id_prefix, &number_notation)
            {
                sqlx::query("UPDATE documents SET edxml_document_id = $1 WHERE id = $2")
                    .bind(format!("{prefix},{number_notation}"))
                    .bind(document_id)
                    .execute(&mut *tx)
                    .await?;
            }
            if numbering.notation.is_some() {
                // The number becomes searchable as written ("05") and as a
                // plain integer ("5").
                let number_terms = vec![text.clone(), given.to_string()];
                insert_terms!(tx, document_id, 0_i64, &number_terms);
            }
            number = Some((numbering.year, given, number_notation));
        }
        if let Some(stamp) = change.stamp {
            let sql = format!("UPDATE documents SET {} = $1 WHERE id = $2", stamp.column());
            sqlx::query(&sql)
                .bind(now)
                .bind(document_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some((user, unit)) = change.holder {
            sqlx::query(
                "UPDATE documents SET holder_user_id = $1, holder_unit_id = $2 WHERE id = $3",
            )
            .bind(user)
            .bind(unit)
            .bind(document_id)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(edit) = &change.edit {
            sqlx::query(
                "UPDATE documents SET type_code = $1, notation = $2, summary = $3, signer_name = $4, \
                 secrecy = $5, urgency = $6, due_date = $7, drafting_unit_id = $8, metadata = $9, \
                 book = $11 WHERE id = $10 AND register_number IS NULL",
            )
            .bind(&edit.type_code)
            .bind(&edit.notation)
            .bind(&edit.summary)
            .bind(&edit.signer_name)
            .bind(edit.secrecy)
            .bind(edit.urgency)
            .bind(&edit.due_date)
            .bind(edit.drafting_unit_id)
            .bind(&edit.metadata)
            .bind(document_id)
            .bind(&edit.book)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM document_terms WHERE document_id = $1 AND file_id = 0")
                .bind(document_id)
                .execute(&mut *tx)
                .await?;
            insert_terms!(tx, document_id, 0_i64, &edit.terms);
        }
        let mut file_ids = Vec::with_capacity(change.files.len());
        for file in &change.files {
            file_ids.push(insert_file!(
                tx,
                document_id,
                now,
                change.event.actor_user_id,
                file
            ));
        }
        if let Some(signature) = &change.signature {
            let Some(file_id) = file_ids.first() else {
                return Err(StoreError::Invalid(
                    "a signature needs the signed file in the same change".to_owned(),
                ));
            };
            sqlx::query(
                "INSERT INTO document_signatures (document_id, file_id, signature_record, \
                 signer_user_id, signer_name, signed_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(document_id)
            .bind(*file_id)
            .bind(&signature.signature_record)
            .bind(signature.signer_user_id)
            .bind(&signature.signer_name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if change.end_assignments {
            sqlx::query(
                "UPDATE document_assignments SET active = FALSE, ended_at = $1 \
                 WHERE document_id = $2 AND active",
            )
            .bind(now)
            .bind(document_id)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(assignment) = &change.assignment {
            sqlx::query(
                "INSERT INTO document_assignments (document_id, user_id, unit_id, assigned_by, \
                 assigned_at, due_date) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(document_id)
            .bind(assignment.user_id)
            .bind(assignment.unit_id)
            .bind(assignment.assigned_by)
            .bind(now)
            .bind(&assignment.due_date)
            .execute(&mut *tx)
            .await?;
        }
        for user in &change.handlers {
            add_handler!(tx, document_id, *user);
        }
        for notification in &change.notifications {
            sqlx::query(
                "INSERT INTO notifications (user_id, document_id, kind, message, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(notification.user_id)
            .bind(document_id)
            .bind(&notification.kind)
            .bind(&notification.message)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some((recipient, subject, body)) = &notification.mail {
                // The same insert as `mail::enqueue`, inside this transaction
                // so that a mail is queued exactly when the change happens.
                sqlx::query(
                    "INSERT INTO mail_outbox (recipient, subject, body, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(recipient)
                .bind(subject)
                .bind(body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        for message in &change.outbox {
            sqlx::query(
                "INSERT INTO edxml_outbox (document_id, kind, status_code, payload, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(document_id)
            .bind(&message.kind)
            .bind(message.status_code)
            .bind(&message.payload)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(reason) = &change.recall_reason {
            sqlx::query("UPDATE documents SET recalled_at = $1, recall_reason = $2 WHERE id = $3")
                .bind(now)
                .bind(reason)
                .bind(document_id)
                .execute(&mut *tx)
                .await?;
        }
        let event_id = insert_event!(tx, document_id, now, &change.event);
        Applied {
            event_id,
            version,
            number,
            file_ids,
        }
    }))
}

/// Records the ledger entries of timeline events once they are appended,
/// a few hundred events per statement.
pub async fn set_event_ledger_seqs(db: &Db, seqs: &[(i64, u64)]) -> Result<()> {
    if seqs.is_empty() {
        return Ok(());
    }
    in_tx!(db, |tx| {
        for chunk in seqs.chunks(500) {
            // `$N` placeholders, which both engines accept; each event id is
            // bound once and used in the CASE and in the IN list.
            let mut sql = String::from("UPDATE document_events SET ledger_seq = CASE id");
            let mut ids = Vec::with_capacity(chunk.len());
            for index in 0..chunk.len() {
                let id_param = 2 * index + 1;
                sql.push_str(&format!(" WHEN ${id_param} THEN ${}", id_param + 1));
                ids.push(format!("${id_param}"));
            }
            sql.push_str(&format!(" END WHERE id IN ({})", ids.join(", ")));
            let mut query = sqlx::query(&sql);
            for (event_id, seq) in chunk {
                query = query
                    .bind(*event_id)
                    .bind(i64::try_from(*seq).unwrap_or(i64::MAX));
            }
            query.execute(&mut *tx).await?;
        }
    });
    Ok(())
}

/// Timeline events whose ledger entry is not recorded, recorded before
/// `before` (microseconds), oldest first: committed changes whose ledger
/// append failed or whose process stopped in between.
pub async fn unledgered_events(db: &Db, before: i64, limit: u32) -> Result<Vec<EventRow>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, EventRow>(
            "SELECT id, document_id, at, actor_user_id, actor, kind, transition, from_state, \
             to_state, comment, details, ledger_seq FROM document_events \
             WHERE ledger_seq IS NULL AND at < $1 ORDER BY id LIMIT $2",
        )
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?
    }))
}

// ---------------------------------------------------------------- registration

/// A registration of an incoming document: the row, its files, the arrival
/// number to give, its timeline events and its ledger entry.
#[derive(Debug, Clone)]
pub struct Registration {
    pub document: NewDocument,
    pub files: Vec<NewFile>,
    /// The arrival-number series and year.
    pub numbering: Numbering,
    /// Events in order (typically "arrived" then "registered"); the ledger
    /// entry covers all of them.
    pub events: Vec<NewEvent>,
    pub handlers: Vec<i64>,
    pub terms: Vec<String>,
    /// edXML messages to queue (the status told to the sender).
    pub outbox: Vec<NewOutbox>,
    /// Who registers, for the ledger entry.
    pub actor: Actor,
    /// Where the request came from (client address, `cli`).
    pub source: String,
}

/// A registration that went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub document_id: i64,
    pub year: i32,
    pub arrival_number: i64,
    pub file_ids: Vec<i64>,
    pub event_ids: Vec<i64>,
    pub ledger_seq: u64,
}

/// The first registration of a document someone tried to register again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirstRegistration {
    pub document_id: i64,
    pub year: Option<i64>,
    pub arrival_number: Option<i64>,
    /// Which rule matched: `edxml_document_id` or `sender_and_hash`.
    pub matched_on: &'static str,
}

/// Why a registration did not go through.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(
        "this document is already registered as document {} (arrival number {}/{}), matched on {}",
        .0.document_id,
        .0.arrival_number.map(|n| n.to_string()).unwrap_or_default(),
        .0.year.map(|y| y.to_string()).unwrap_or_default(),
        .0.matched_on
    )]
    Duplicate(FirstRegistration),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The registration is committed but its ledger entry could not be
    /// appended; it is found again by [`unledgered_events`].
    #[error("document {document_id} is registered but its ledger entry failed: {reason}")]
    NotLedgered { document_id: i64, reason: String },
}

impl From<sqlx::Error> for RegisterError {
    fn from(error: sqlx::Error) -> Self {
        RegisterError::Store(StoreError::from(error))
    }
}

struct RegisterRequest {
    registration: Box<Registration>,
    reply: oneshot::Sender<std::result::Result<Registered, RegisterError>>,
}

/// Registers incoming documents through one writer task that batches what is
/// waiting into one transaction and one ledger group commit, so that
/// throughput is bounded by CPU, not by one disk flush per document.
#[derive(Clone)]
pub struct Registrar {
    sender: mpsc::Sender<RegisterRequest>,
}

impl std::fmt::Debug for Registrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registrar")
    }
}

/// Most registrations in one transaction.
const REGISTER_BATCH_MAX: usize = 256;

impl Registrar {
    /// Starts the writer task (it ends when every handle is dropped).
    pub fn start(db: Db, ledger: Ledger) -> Registrar {
        let (sender, receiver) = mpsc::channel(4096);
        tokio::spawn(registrar_loop(db, ledger, receiver));
        Registrar { sender }
    }

    /// Registers one document; returns once it is committed and ledgered.
    pub async fn register(
        &self,
        registration: Registration,
    ) -> std::result::Result<Registered, RegisterError> {
        check_document(&registration.document)?;
        let (reply, response) = oneshot::channel();
        self.sender
            .send(RegisterRequest {
                registration: Box::new(registration),
                reply,
            })
            .await
            .map_err(|_| StoreError::LedgerClosed)?;
        response.await.map_err(|_| StoreError::LedgerClosed)?
    }
}

async fn registrar_loop(db: Db, ledger: Ledger, mut receiver: mpsc::Receiver<RegisterRequest>) {
    // While one batch's ledger entries are appended, the next batch is
    // already being written: the two stages overlap on the single writer.
    // Two batches in the second stage at most keep memory bounded.
    let in_flight = std::sync::Arc::new(tokio::sync::Semaphore::new(2));
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < REGISTER_BATCH_MAX {
            match receiver.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let registrations: Vec<&Registration> = batch
            .iter()
            .map(|request| request.registration.as_ref())
            .collect();
        let outcomes = write_registrations(&db, &registrations).await;
        let db = db.clone();
        let ledger = ledger.clone();
        tokio::spawn(async move {
            finish_batch(&db, &ledger, batch, outcomes).await;
            drop(permit);
        });
    }
}

type ItemOutcome = std::result::Result<(i64, i64, Vec<i64>, Vec<i64>), RegisterError>;

/// Appends the ledger entries of a written batch, links them to the
/// timeline events and answers every caller.
async fn finish_batch(
    db: &Db,
    ledger: &Ledger,
    batch: Vec<RegisterRequest>,
    outcomes: Result<Vec<ItemOutcome>>,
) {
    let outcomes = match outcomes {
        Ok(outcomes) => outcomes,
        Err(error) => {
            // The whole transaction failed (database down, disk full):
            // nothing was written, every caller hears why.
            let message = error.to_string();
            for request in batch {
                let _ = request
                    .reply
                    .send(Err(RegisterError::Store(StoreError::Corrupt(format!(
                        "registration not recorded: {message}"
                    )))));
            }
            return;
        }
    };
    // One ledger entry per registered document, in one group commit.
    let mut entries = Vec::new();
    for (request, outcome) in batch.iter().zip(&outcomes) {
        if let Ok((document_id, arrival_number, file_ids, _)) = outcome {
            let registration = &request.registration;
            let mut entry = NewEntry::new(
                &registration.actor,
                AuditAction::DocumentRegistered,
                format!("document:{document_id}"),
            )
            .source(registration.source.clone())
            .details(serde_json::json!({
                "arrival_number": arrival_number,
                "year": registration.numbering.year,
                "book": registration.document.book,
                "files": file_ids,
                "edxml_document_id": registration.document.edxml_document_id,
            }));
            if let Some(original) = registration
                .files
                .iter()
                .find(|file| file.kind == "original")
            {
                entry = entry.data_hash(&original.sha256);
            }
            entries.push(entry);
        }
    }
    let receipts = if entries.is_empty() {
        Ok(Vec::new())
    } else {
        ledger.append_all(entries).await
    };
    let receipts = match receipts {
        Ok(receipts) => receipts,
        Err(error) => {
            let reason = error.to_string();
            for (request, outcome) in batch.into_iter().zip(outcomes) {
                let _ = request.reply.send(match outcome {
                    Ok((document_id, ..)) => Err(RegisterError::NotLedgered {
                        document_id,
                        reason: reason.clone(),
                    }),
                    Err(error) => Err(error),
                });
            }
            return;
        }
    };
    let mut seqs = Vec::new();
    let mut receipt_iter = receipts.iter();
    let mut per_item = Vec::with_capacity(batch.len());
    for outcome in &outcomes {
        match outcome {
            Ok((_, _, _, event_ids)) => {
                let seq = receipt_iter.next().map(|receipt| receipt.seq);
                if let Some(seq) = seq {
                    seqs.extend(event_ids.iter().map(|event| (*event, seq)));
                }
                per_item.push(seq);
            }
            Err(_) => per_item.push(None),
        }
    }
    let recorded = set_event_ledger_seqs(db, &seqs).await;
    for ((request, outcome), seq) in batch.into_iter().zip(outcomes).zip(per_item) {
        let registration = &request.registration;
        let reply = match (outcome, seq) {
            (Ok((document_id, arrival_number, file_ids, event_ids)), Some(ledger_seq)) => {
                match &recorded {
                    // The ledger holds the entry; only the back-reference on
                    // the timeline is missing, which `unledgered_events`
                    // finds. Still an error: the caller must know.
                    Err(error) => Err(RegisterError::NotLedgered {
                        document_id,
                        reason: format!("ledger entry {ledger_seq} not linked: {error}"),
                    }),
                    Ok(()) => Ok(Registered {
                        document_id,
                        year: registration.numbering.year,
                        arrival_number,
                        file_ids,
                        event_ids,
                        ledger_seq,
                    }),
                }
            }
            (Ok((document_id, ..)), None) => Err(RegisterError::NotLedgered {
                document_id,
                reason: "the ledger returned fewer receipts than entries".to_owned(),
            }),
            (Err(error), _) => Err(error),
        };
        let _ = request.reply.send(reply);
    }
}

/// Finds the first registration of the same incoming document: the same
/// edXML DocumentId, or the same original file from the same sender.
macro_rules! find_first_registration {
    ($tx:expr, $new:expr, $original:expr) => {{
        let new: &NewDocument = $new;
        let original: &Option<Vec<u8>> = $original;
        let mut found: Option<FirstRegistration> = None;
        if let Some(edxml_id) = &new.edxml_document_id {
            let row: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
                "SELECT id, register_year, register_number FROM documents \
                 WHERE organization_id = $1 AND direction = 'incoming' AND edxml_document_id = $2",
            )
            .bind(new.organization_id)
            .bind(edxml_id)
            .fetch_optional(&mut *$tx)
            .await?;
            found = row.map(|(document_id, year, arrival_number)| FirstRegistration {
                document_id,
                year,
                arrival_number,
                matched_on: "edxml_document_id",
            });
        }
        if found.is_none() {
            if let (Some(hash), Some(sender)) = (original, &new.sender_key) {
                let row: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT id, register_year, register_number FROM documents \
                     WHERE organization_id = $1 AND direction = 'incoming' AND sender_key = $2 \
                     AND original_sha256 = $3",
                )
                .bind(new.organization_id)
                .bind(sender)
                .bind(hash)
                .fetch_optional(&mut *$tx)
                .await?;
                found = row.map(|(document_id, year, arrival_number)| FirstRegistration {
                    document_id,
                    year,
                    arrival_number,
                    matched_on: "sender_and_hash",
                });
            }
        }
        found
    }};
}

/// Registers one document inside the running transaction `$tx`: the
/// duplicate check (before anything is written, so a duplicate needs no
/// rollback), the arrival number, the row, files, terms, handlers, events
/// and edXML messages. Evaluates to an [`ItemOutcome`].
macro_rules! register_item {
    ($tx:expr, $registration:expr, $now:expr) => {{
        let registration: &Registration = $registration;
        let now: i64 = $now;
        let outcome: ItemOutcome = async {
            let new = &registration.document;
            let original = registration
                .files
                .iter()
                .find(|file| file.kind == "original")
                .map(|file| file.sha256.to_vec());
            if let Some(first) = find_first_registration!($tx, new, &original) {
                return Err(RegisterError::Duplicate(first));
            }
            let numbering = &registration.numbering;
            let arrival_number =
                next_number!($tx, new.organization_id, &numbering.series, numbering.year);
            let numbered = Some((
                numbering.series.as_str(),
                i64::from(numbering.year),
                arrival_number,
            ));
            let inserted: std::result::Result<i64, sqlx::Error> =
                async { Ok(insert_document!($tx, new, now, &original, numbered)) }.await;
            let document_id = match inserted {
                Ok(id) => id,
                Err(error) => {
                    let error = StoreError::from(error);
                    if error.is_unique_violation() {
                        // A concurrent registration (another replica) won
                        // the race; point the clerk at a search.
                        return Err(RegisterError::Store(StoreError::Conflict(
                            "this document was registered at the same moment by someone else; \
                             search for it before registering again"
                                .to_owned(),
                        )));
                    }
                    return Err(RegisterError::Store(error));
                }
            };
            let mut file_ids = Vec::with_capacity(registration.files.len());
            for file in &registration.files {
                file_ids.push(insert_file!($tx, document_id, now, new.created_by, file));
            }
            insert_terms!($tx, document_id, 0_i64, &registration.terms);
            for user in &registration.handlers {
                add_handler!($tx, document_id, *user);
            }
            let mut event_ids = Vec::with_capacity(registration.events.len());
            for event in &registration.events {
                event_ids.push(insert_event!($tx, document_id, now, event));
            }
            for message in &registration.outbox {
                sqlx::query(
                    "INSERT INTO edxml_outbox (document_id, kind, status_code, payload, \
                     created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(document_id)
                .bind(&message.kind)
                .bind(message.status_code)
                .bind(&message.payload)
                .bind(now)
                .execute(&mut *$tx)
                .await?;
            }
            Ok((document_id, arrival_number, file_ids, event_ids))
        }
        .await;
        outcome
    }};
}

/// Writes a batch of registrations in one transaction. The fast path runs
/// them one after the other without savepoints: a duplicate is refused
/// before it writes anything, so it needs no rollback. Any other failure
/// (a race with another replica, a constraint) abandons the whole
/// transaction, and the batch is written again with a savepoint around each
/// registration, so that the failing one rolls back alone, number included.
async fn write_registrations(db: &Db, registrations: &[&Registration]) -> Result<Vec<ItemOutcome>> {
    match write_registrations_fast(db, registrations).await {
        Ok(outcomes) => Ok(outcomes),
        Err(error) => {
            tracing::debug!(%error, "registration batch retried with savepoints");
            write_registrations_careful(db, registrations).await
        }
    }
}

async fn write_registrations_fast(
    db: &Db,
    registrations: &[&Registration],
) -> Result<Vec<ItemOutcome>> {
    let now = crate::now().micros();
    Ok(in_tx!(db, |tx| {
        let mut outcomes = Vec::with_capacity(registrations.len());
        for registration in registrations {
            match register_item!(tx, registration, now) {
                Ok(done) => outcomes.push(Ok(done)),
                Err(RegisterError::Duplicate(first)) => {
                    outcomes.push(Err(RegisterError::Duplicate(first)))
                }
                Err(other) => {
                    return Err(StoreError::Conflict(format!(
                        "registration batch abandoned: {other}"
                    )))
                }
            }
        }
        outcomes
    }))
}

async fn write_registrations_careful(
    db: &Db,
    registrations: &[&Registration],
) -> Result<Vec<ItemOutcome>> {
    let now = crate::now().micros();
    Ok(in_tx!(db, |tx| {
        let mut outcomes = Vec::with_capacity(registrations.len());
        for registration in registrations {
            let mut savepoint = (&mut tx).begin().await?;
            let outcome = register_item!(savepoint, registration, now);
            match outcome {
                Ok(done) => {
                    savepoint.commit().await?;
                    outcomes.push(Ok(done));
                }
                Err(error) => {
                    savepoint.rollback().await?;
                    outcomes.push(Err(error));
                }
            }
        }
        outcomes
    }))
}

// ---------------------------------------------------------------- reads

/// One document, if it exists and the viewer may see it.
pub async fn get_document(db: &Db, viewer: Viewer, id: i64) -> Result<Option<DocumentRow>> {
    let sql = format!(
        "SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.id = $1 AND {}",
        visible_sql(2, 3)
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, DocumentRow>(&sql)
            .bind(id)
            .bind(viewer.clearance)
            .bind(viewer.user_id)
            .fetch_optional(pool)
            .await?
    }))
}

/// A document's row whoever asks; for the service's own bookkeeping (the
/// version and state of a document it is about to change), never returned
/// to a user without [`get_document`]'s check first.
pub async fn get_document_unchecked(db: &Db, id: i64) -> Result<Option<DocumentRow>> {
    let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.id = $1");
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, DocumentRow>(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await?
    }))
}

/// How a listing is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Register order: year, then number (unnumbered last), then id.
    #[default]
    Register,
    /// Newest first.
    Newest,
}

/// A search term: exact, or a prefix (the query word ended with `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Exact(String),
    Prefix(String),
}

/// Which documents a listing or search returns. Every field narrows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub organization_id: Option<i64>,
    pub direction: Option<String>,
    pub books: Vec<String>,
    pub states: Vec<String>,
    pub register_year: Option<i64>,
    /// Registered (incoming) or issued (outgoing) from this time, inclusive (µs).
    pub registered_from: Option<i64>,
    /// … until this time, exclusive (µs).
    pub registered_until: Option<i64>,
    /// Document date (`YYYY-MM-DD`), inclusive bounds.
    pub issue_date_from: Option<String>,
    pub issue_date_until: Option<String>,
    /// Exact number/notation as written.
    pub number_notation: Option<String>,
    /// Every term must match the document's metadata or one of its files' text.
    pub terms: Vec<Term>,
    /// Only documents with a register number.
    pub numbered_only: bool,
    pub include_recalled: bool,
    pub order: Order,
    pub limit: u32,
    pub offset: u32,
}

/// Documents matching `filter` that the viewer may see.
pub async fn list_documents(db: &Db, viewer: Viewer, filter: &Filter) -> Result<Vec<DocumentRow>> {
    macro_rules! build {
        ($db_type:ty) => {{
            let mut builder = sqlx::QueryBuilder::<$db_type>::new(format!(
                "SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE (d.secrecy = 0 OR d.secrecy <= "
            ));
            builder.push_bind(viewer.clearance);
            builder.push(
                " OR EXISTS (SELECT 1 FROM document_handlers h WHERE h.document_id = d.id AND h.user_id = ",
            );
            builder.push_bind(viewer.user_id);
            builder.push("))");
            if let Some(organization) = filter.organization_id {
                builder.push(" AND d.organization_id = ").push_bind(organization);
            }
            if let Some(direction) = &filter.direction {
                builder.push(" AND d.direction = ").push_bind(direction.clone());
            }
            if !filter.books.is_empty() {
                builder.push(" AND d.book IN (");
                let mut separated = builder.separated(", ");
                for book in &filter.books {
                    separated.push_bind(book.clone());
                }
                builder.push(")");
            }
            if !filter.states.is_empty() {
                builder.push(" AND d.state IN (");
                let mut separated = builder.separated(", ");
                for state in &filter.states {
                    separated.push_bind(state.clone());
                }
                builder.push(")");
            }
            if let Some(year) = filter.register_year {
                builder.push(" AND d.register_year = ").push_bind(year);
            }
            if let Some(from) = filter.registered_from {
                builder
                    .push(" AND COALESCE(d.registered_at, d.issued_at) >= ")
                    .push_bind(from);
            }
            if let Some(until) = filter.registered_until {
                builder
                    .push(" AND COALESCE(d.registered_at, d.issued_at) < ")
                    .push_bind(until);
            }
            if let Some(from) = &filter.issue_date_from {
                builder.push(" AND d.issue_date >= ").push_bind(from.clone());
            }
            if let Some(until) = &filter.issue_date_until {
                builder.push(" AND d.issue_date <= ").push_bind(until.clone());
            }
            if let Some(number_notation) = &filter.number_notation {
                builder
                    .push(" AND d.number_notation = ")
                    .push_bind(number_notation.clone());
            }
            if filter.numbered_only {
                builder.push(" AND d.register_number IS NOT NULL");
            }
            if !filter.include_recalled {
                builder.push(" AND d.recalled_at IS NULL");
            }
            for term in &filter.terms {
                builder.push(" AND d.id IN (SELECT t.document_id FROM document_terms t WHERE ");
                match term {
                    Term::Exact(word) => {
                        builder.push("t.term = ").push_bind(word.clone());
                    }
                    Term::Prefix(word) => {
                        // A prefix range on the primary key's first column:
                        // [word, word + U+10FFFF) holds every extension.
                        builder.push("t.term >= ").push_bind(word.clone());
                        builder
                            .push(" AND t.term < ")
                            .push_bind(format!("{word}\u{10FFFF}"));
                    }
                }
                builder.push(")");
            }
            builder.push(match filter.order {
                Order::Register => {
                    " ORDER BY d.register_year, CASE WHEN d.register_number IS NULL THEN 1 ELSE 0 END, \
                     d.register_number, d.id"
                }
                Order::Newest => " ORDER BY d.id DESC",
            });
            let limit = if filter.limit == 0 { 100 } else { filter.limit.min(10_000) };
            builder.push(" LIMIT ").push_bind(i64::from(limit));
            builder.push(" OFFSET ").push_bind(i64::from(filter.offset));
            builder
        }};
    }
    Ok(match db {
        Db::Sqlite(sqlite) => {
            let mut builder = build!(sqlx::Sqlite);
            builder
                .build_query_as::<DocumentRow>()
                .fetch_all(&sqlite.read)
                .await?
        }
        Db::Postgres(postgres) => {
            let mut builder = build!(sqlx::Postgres);
            builder
                .build_query_as::<DocumentRow>()
                .fetch_all(&postgres.pool)
                .await?
        }
    })
}

/// A document's timeline, oldest first, if the viewer may see the document.
pub async fn timeline(db: &Db, viewer: Viewer, document_id: i64) -> Result<Vec<EventRow>> {
    let sql = format!(
        "SELECT e.id, e.document_id, e.at, e.actor_user_id, e.actor, e.kind, e.transition, \
         e.from_state, e.to_state, e.comment, e.details, e.ledger_seq \
         FROM document_events e JOIN documents d ON d.id = e.document_id \
         WHERE e.document_id = $1 AND {} ORDER BY e.id",
        visible_sql(2, 3)
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, EventRow>(&sql)
            .bind(document_id)
            .bind(viewer.clearance)
            .bind(viewer.user_id)
            .fetch_all(pool)
            .await?
    }))
}

/// A document's files, if the viewer may see the document.
pub async fn files(db: &Db, viewer: Viewer, document_id: i64) -> Result<Vec<FileRow>> {
    let sql = format!(
        "SELECT f.id, f.document_id, f.kind, f.sha256, f.size, f.mime, f.name, f.source_file_id, \
         f.rendition_kind, f.details, f.created_by, f.created_at \
         FROM document_files f JOIN documents d ON d.id = f.document_id \
         WHERE f.document_id = $1 AND {} ORDER BY f.id",
        visible_sql(2, 3)
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, FileRow>(&sql)
            .bind(document_id)
            .bind(viewer.clearance)
            .bind(viewer.user_id)
            .fetch_all(pool)
            .await?
    }))
}

/// A document's assignments, oldest first, if the viewer may see it.
pub async fn assignments(db: &Db, viewer: Viewer, document_id: i64) -> Result<Vec<AssignmentRow>> {
    let sql = format!(
        "SELECT a.id, a.document_id, a.user_id, a.unit_id, a.assigned_by, a.assigned_at, \
         a.due_date, a.active, a.ended_at FROM document_assignments a \
         JOIN documents d ON d.id = a.document_id \
         WHERE a.document_id = $1 AND {} ORDER BY a.id",
        visible_sql(2, 3)
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, AssignmentRow>(&sql)
            .bind(document_id)
            .bind(viewer.clearance)
            .bind(viewer.user_id)
            .fetch_all(pool)
            .await?
    }))
}

/// A document's recorded signatures, if the viewer may see it.
pub async fn signatures(db: &Db, viewer: Viewer, document_id: i64) -> Result<Vec<SignatureRow>> {
    let sql = format!(
        "SELECT s.id, s.document_id, s.file_id, s.signature_record, s.signer_user_id, \
         s.signer_name, s.signed_at FROM document_signatures s \
         JOIN documents d ON d.id = s.document_id WHERE s.document_id = $1 AND {} ORDER BY s.id",
        visible_sql(2, 3)
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, SignatureRow>(&sql)
            .bind(document_id)
            .bind(viewer.clearance)
            .bind(viewer.user_id)
            .fetch_all(pool)
            .await?
    }))
}

/// Statuses recipients reported for a document, if the viewer may see it.
pub async fn recipient_statuses(
    db: &Db,
    viewer: Viewer,
    document_id: i64,
) -> Result<Vec<RecipientStatusRow>> {
    let sql = format!(
        "SELECT r.id, r.document_id, r.organ_code, r.organ_name, r.status_code, r.description, \
         r.reported_at, r.received_at FROM document_recipient_status r \
         JOIN documents d ON d.id = r.document_id WHERE r.document_id = $1 AND {} ORDER BY r.id",
        visible_sql(2, 3)
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, RecipientStatusRow>(&sql)
            .bind(document_id)
            .bind(viewer.clearance)
            .bind(viewer.user_id)
            .fetch_all(pool)
            .await?
    }))
}

/// Records a status a recipient reported, with its timeline event.
pub async fn record_recipient_status(
    db: &Db,
    document_id: i64,
    status: &RecipientStatusRow,
    event: &NewEvent,
) -> Result<i64> {
    let now = crate::now().micros();
    Ok(in_tx!(db, |tx| {
        sqlx::query(
            "INSERT INTO document_recipient_status (document_id, organ_code, organ_name, \
             status_code, description, reported_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(document_id)
        .bind(&status.organ_code)
        .bind(&status.organ_name)
        .bind(status.status_code)
        .bind(&status.description)
        .bind(&status.reported_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        insert_event!(tx, document_id, now, event)
    }))
}

/// The outgoing document we issued under an edXML DocumentId, whoever asks
/// (status messages are matched before anyone reads them).
pub async fn find_outgoing_by_edxml_id(
    db: &Db,
    organization_id: i64,
    edxml_document_id: &str,
) -> Result<Option<i64>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT id FROM documents WHERE organization_id = $1 AND direction = 'outgoing' \
             AND edxml_document_id = $2 ORDER BY id LIMIT 1",
        )
        .bind(organization_id)
        .bind(edxml_document_id)
        .fetch_optional(pool)
        .await?
    }))
}

/// The newest issued outgoing document with this number and notation
/// (`12/QĐ-UBND`) and its edXML DocumentId.
pub async fn find_outgoing_by_number(
    db: &Db,
    organization_id: i64,
    number_notation: &str,
) -> Result<Option<(i64, Option<String>)>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, edxml_document_id FROM documents WHERE organization_id = $1 \
             AND direction = 'outgoing' AND number_notation = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(organization_id)
        .bind(number_notation)
        .fetch_optional(pool)
        .await?
    }))
}

/// The incoming document registered under an edXML DocumentId, whoever
/// asks (a revocation or update from the sender must find it).
pub async fn find_incoming_by_edxml_id(
    db: &Db,
    organization_id: i64,
    edxml_document_id: &str,
) -> Result<Option<i64>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT id FROM documents WHERE organization_id = $1 AND direction = 'incoming' \
             AND edxml_document_id = $2 ORDER BY id LIMIT 1",
        )
        .bind(organization_id)
        .bind(edxml_document_id)
        .fetch_optional(pool)
        .await?
    }))
}

/// Sets the edXML DocumentId of an outgoing document once it has a number.
pub async fn set_edxml_document_id(db: &Db, document_id: i64, edxml_id: &str) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query("UPDATE documents SET edxml_document_id = $1 WHERE id = $2")
            .bind(edxml_id)
            .bind(document_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Whose assignments an overdue listing covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverdueScope {
    All,
    Unit(i64),
    User(i64),
}

/// An overdue assignment with its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueRow {
    pub document: DocumentRow,
    pub assignment: AssignmentRow,
}

/// Active assignments due before `today` (`YYYY-MM-DD`) of documents not in
/// one of `final_states`, that the viewer may see, earliest due first.
pub async fn overdue(
    db: &Db,
    viewer: Viewer,
    today: &str,
    scope: OverdueScope,
    final_states: &[String],
) -> Result<Vec<OverdueRow>> {
    let (scope_sql, scope_id) = match scope {
        OverdueScope::All => ("", 0),
        OverdueScope::Unit(unit) => (" AND a.unit_id = $4", unit),
        OverdueScope::User(user) => (" AND a.user_id = $4", user),
    };
    let sql = format!(
        "SELECT a.id AS a_id, {DOCUMENT_COLUMNS} FROM document_assignments a \
         JOIN documents d ON d.id = a.document_id \
         WHERE a.active AND a.due_date IS NOT NULL AND a.due_date < $1 AND d.recalled_at IS NULL \
         AND {} {scope_sql} ORDER BY a.due_date, a.id",
        visible_sql(2, 3)
    );
    let rows: Vec<(i64, DocumentRow)> = on_db!(db, |pool| {
        let mut query = sqlx::query(&sql)
            .bind(today)
            .bind(viewer.clearance)
            .bind(viewer.user_id);
        if scope != OverdueScope::All {
            query = query.bind(scope_id);
        }
        let rows = query.fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            use sqlx::{FromRow, Row};
            out.push((row.try_get::<i64, _>("a_id")?, DocumentRow::from_row(row)?));
        }
        out
    });
    let mut result = Vec::with_capacity(rows.len());
    for (assignment_id, document) in rows {
        if final_states.contains(&document.state) {
            continue;
        }
        let assignment = assignment_by_id(db, assignment_id).await?;
        result.push(OverdueRow {
            document,
            assignment,
        });
    }
    Ok(result)
}

async fn assignment_by_id(db: &Db, id: i64) -> Result<AssignmentRow> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, AssignmentRow>(
            "SELECT id, document_id, user_id, unit_id, assigned_by, assigned_at, due_date, active, \
             ended_at FROM document_assignments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("assignment {id}")))
    })
}

/// Active overdue assignments not yet reminded about, whoever holds them
/// (for the reminder job, which notifies the assignee only).
pub async fn overdue_unnotified(db: &Db, today: &str) -> Result<Vec<AssignmentRow>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, AssignmentRow>(
            "SELECT a.id, a.document_id, a.user_id, a.unit_id, a.assigned_by, a.assigned_at, \
             a.due_date, a.active, a.ended_at FROM document_assignments a \
             JOIN documents d ON d.id = a.document_id \
             WHERE a.active AND NOT a.overdue_notified AND a.due_date IS NOT NULL \
             AND a.due_date < $1 AND d.recalled_at IS NULL ORDER BY a.id",
        )
        .bind(today)
        .fetch_all(pool)
        .await?
    }))
}

/// Stores overdue reminders and marks their assignments reminded, in one transaction.
pub async fn record_overdue_reminders(
    db: &Db,
    reminders: &[(i64, i64, NewNotification)],
) -> Result<()> {
    let now = crate::now().micros();
    in_tx!(db, |tx| {
        for (assignment_id, document_id, notification) in reminders {
            let claimed = sqlx::query(
                "UPDATE document_assignments SET overdue_notified = TRUE \
                 WHERE id = $1 AND NOT overdue_notified",
            )
            .bind(*assignment_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                continue;
            }
            sqlx::query(
                "INSERT INTO notifications (user_id, document_id, kind, message, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(notification.user_id)
            .bind(*document_id)
            .bind(&notification.kind)
            .bind(&notification.message)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some((recipient, subject, body)) = &notification.mail {
                sqlx::query(
                    "INSERT INTO mail_outbox (recipient, subject, body, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(recipient)
                .bind(subject)
                .bind(body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
    });
    Ok(())
}

/// A user's notifications, newest first. Notifications about documents the
/// user can no longer see (clearance withdrawn) are left out.
pub async fn notifications(
    db: &Db,
    viewer: Viewer,
    unread_only: bool,
    limit: u32,
) -> Result<Vec<NotificationRow>> {
    let sql = format!(
        "SELECT n.id, n.user_id, n.document_id, n.kind, n.message, n.created_at, n.read_at \
         FROM notifications n LEFT JOIN documents d ON d.id = n.document_id \
         WHERE n.user_id = $3 AND ($4 = FALSE OR n.read_at IS NULL) \
         AND (n.document_id IS NULL OR {}) ORDER BY n.id DESC LIMIT $1",
        visible_sql(2, 3)
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, NotificationRow>(&sql)
            .bind(i64::from(limit))
            .bind(viewer.clearance)
            .bind(viewer.user_id)
            .bind(unread_only)
            .fetch_all(pool)
            .await?
    }))
}

/// Marks one of the user's notifications read; false if it is not theirs.
pub async fn mark_notification_read(db: &Db, user_id: i64, id: i64) -> Result<bool> {
    let now = crate::now().micros();
    let updated = on_write!(db, |pool| {
        sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(updated == 1)
}

/// Pending edXML messages, oldest first.
pub async fn outbox_pending(db: &Db, limit: u32) -> Result<Vec<OutboxRow>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, OutboxRow>(
            "SELECT id, document_id, kind, status_code, payload, created_at, sent_at \
             FROM edxml_outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?
    }))
}

/// Pending edXML messages after outbox position `after`, oldest first (for
/// a sender that skips messages it cannot send yet).
pub async fn outbox_pending_after(db: &Db, after: i64, limit: u32) -> Result<Vec<OutboxRow>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, OutboxRow>(
            "SELECT id, document_id, kind, status_code, payload, created_at, sent_at \
             FROM edxml_outbox WHERE sent_at IS NULL AND id > $2 ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .bind(after)
        .fetch_all(pool)
        .await?
    }))
}

/// Marks an edXML message sent (handed to the federation outbox); false if
/// it was already marked.
pub async fn mark_outbox_sent(db: &Db, id: i64, at: i64) -> Result<bool> {
    let updated = on_write!(db, |pool| {
        sqlx::query("UPDATE edxml_outbox SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(updated == 1)
}

/// Counts for tests and health checks: documents, events and files stored,
/// and the last number of a series.
pub async fn counts(db: &Db) -> Result<(i64, i64, i64)> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, (i64, i64, i64)>(
            "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM document_events), \
             (SELECT COUNT(*) FROM document_files)",
        )
        .fetch_one(pool)
        .await?
    }))
}

/// The last number given in a series in a year (0 when none).
pub async fn last_number(db: &Db, organization_id: i64, series: &str, year: i32) -> Result<i64> {
    let last: Option<i64> = on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT last_number FROM document_series WHERE organization_id = $1 AND series = $2 \
             AND year = $3",
        )
        .bind(organization_id)
        .bind(series)
        .bind(i64::from(year))
        .fetch_optional(pool)
        .await?
    });
    Ok(last.unwrap_or(0))
}

/// Every number given in a series in a year, in order (for tests and audits
/// that check a series runs 1..N without gaps).
pub async fn series_numbers(
    db: &Db,
    organization_id: i64,
    series: &str,
    year: i32,
) -> Result<Vec<i64>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT register_number FROM documents WHERE organization_id = $1 AND series = $2 \
             AND register_year = $3 AND register_number IS NOT NULL ORDER BY register_number",
        )
        .bind(organization_id)
        .bind(series)
        .bind(i64::from(year))
        .fetch_all(pool)
        .await?
    }))
}

/// Whether a user has handled a document.
pub async fn is_handler(db: &Db, document_id: i64, user_id: i64) -> Result<bool> {
    let found: Option<i64> = on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT 1 FROM document_handlers WHERE document_id = $1 AND user_id = $2",
        )
        .bind(document_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?
    });
    Ok(found.is_some())
}

/// The text search terms stored for a file (to test indexing).
pub async fn file_terms(db: &Db, document_id: i64, file_id: i64) -> Result<Vec<String>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT term FROM document_terms WHERE document_id = $1 AND file_id = $2 ORDER BY term",
        )
        .bind(document_id)
        .bind(file_id)
        .fetch_all(pool)
        .await?
    }))
}

/// A document the archive is behind on: registered (incoming) or issued
/// (outgoing) documents with fewer archive items recorded in the ledger
/// than their stage needs (one when received or issued, a second one when
/// dispatched).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ArchiveDue {
    pub document_id: i64,
    pub direction: String,
    pub dispatched_at: Option<i64>,
    /// Archive items of the document that the ledger recorded.
    pub items: i64,
}

/// Up to `limit` documents of an organisation, with ids above `after`,
/// whose archiving is due (see [`ArchiveDue`]), in id order.
pub async fn archive_due(
    db: &Db,
    organization_id: i64,
    after: i64,
    limit: u32,
) -> Result<Vec<ArchiveDue>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT document_id, direction, dispatched_at, items FROM (\
               SELECT d.id AS document_id, d.direction AS direction, \
                 d.dispatched_at AS dispatched_at, \
                 (SELECT COUNT(*) FROM archive_items a WHERE a.document_id = d.id \
                    AND a.ledger_seq IS NOT NULL) AS items \
               FROM documents d WHERE d.organization_id = $1 AND d.id > $2 AND \
                 ((d.direction = 'incoming' AND d.register_number IS NOT NULL) \
                  OR (d.direction = 'outgoing' AND d.issued_at IS NOT NULL))) t \
             WHERE t.items < CASE WHEN t.dispatched_at IS NULL THEN 1 \
                 WHEN t.direction = 'outgoing' THEN 2 ELSE 1 END \
             ORDER BY t.document_id LIMIT $3",
        )
        .bind(organization_id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?
    }))
}
