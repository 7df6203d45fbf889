//! The documents service: the API the web layer and the command line call.
//!
//! Every public function takes the acting user ([`Acting`]: id, roles,
//! clearance) and checks permission itself, so no caller can forget. Reads
//! go through the store's visibility predicate; a secret document that the
//! user may not see answers [`DocsError::NotFound`], exactly like a missing
//! one. Changes are one transaction each, then one ledger entry, whose
//! sequence number is written back on the timeline event.

use std::path::PathBuf;
use std::sync::Arc;

use congso_core::access::{Action, Role, RoleSet};
use congso_core::audit::{Actor, AuditAction};
use congso_core::time::Timestamp;
use congso_edxml::{BussinessDocType, EdocMessage, FieldIssue, IssueKind, Severity, StatusCode};
use congso_store::blob::{BlobRef, BlobStore};
use congso_store::documents::{
    self as store, Change, DocumentRow, EventRow, FileRow, Filter, NewAssignment, NewDocument,
    NewEvent, NewFile, NewNotification, NewOutbox, NewSignature, Numbering, Order, OverdueScope,
    Registrar, Registration, SignatureRow, Stamp, Term, Viewer,
};
use congso_store::ledger::{Ledger, NewEntry};
use congso_store::{accounts, Db};
use congso_vn::calendar::{OfficialCalendar, Period};
use congso_vn::time::{Date, OffsetDateTime, UtcOffset};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::edxml_map::{self, ExportFacts, OwnOrganization};
use crate::error::{DocsError, Result};
use crate::files::{self, FileKind, RenditionKind, Upload};
use crate::model::{iso_date, Direction, DocumentMetadata, Party, Secrecy};
use crate::search;
use crate::types::TypeRegistry;
use crate::workflow::{Effect, Transition, Workflow, Workflows};

/// The user on whose behalf the service acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: RoleSet,
    pub clearance: Secrecy,
    pub unit_id: Option<i64>,
    /// Where the request came from (client address, `cli`), for the ledger.
    pub source: String,
}

impl Acting {
    pub(crate) fn viewer(&self) -> Viewer {
        Viewer {
            user_id: self.user_id,
            clearance: self.clearance.level(),
        }
    }

    pub(crate) fn actor(&self) -> Actor {
        Actor::User(self.username.clone())
    }

    pub(crate) fn require(&self, action: Action) -> Result<()> {
        if self.roles.permits(action) {
            Ok(())
        } else {
            Err(DocsError::Forbidden(format!(
                "{} may not {}",
                self.username,
                action.code()
            )))
        }
    }
}

/// The agency whose registers the service keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// Its row in `organizations`.
    pub organization_id: i64,
    pub organ_code: String,
    pub name: String,
    /// The abbreviation in notations (`UBND` in `12/QĐ-UBND`).
    pub abbreviation: String,
    /// The place line of its documents (`Hà Nội`).
    pub place: String,
    pub address: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
}

impl Agency {
    /// The agency of a node from its organisation record. The place line
    /// of its documents (`Bắc Ninh`, Decree 30 Art. 8) is taken from the
    /// last part of the address without its "tỉnh"/"thành phố" prefix, else
    /// the agency's name; the abbreviation in notations is the short name.
    pub fn from_organization(organization: &accounts::Organization) -> Agency {
        let place = organization
            .address
            .as_deref()
            .and_then(|address| address.rsplit(',').next())
            .map(|part| {
                let part = part.trim();
                ["tỉnh ", "Tỉnh ", "thành phố ", "Thành phố ", "TP. ", "TP "]
                    .iter()
                    .find_map(|prefix| part.strip_prefix(prefix))
                    .unwrap_or(part)
                    .trim()
                    .to_owned()
            })
            .filter(|place| !place.is_empty())
            .unwrap_or_else(|| organization.name.clone());
        Agency {
            organization_id: organization.id,
            organ_code: organization.organ_code.clone().unwrap_or_default(),
            name: organization.name.clone(),
            abbreviation: organization
                .short_name
                .clone()
                .filter(|short| !short.trim().is_empty())
                .unwrap_or_else(|| "CQ".to_owned()),
            place,
            address: organization.address.clone(),
            email: organization.email.clone(),
            phone: organization.phone.clone(),
            website: organization.website.clone(),
        }
    }

    pub(crate) fn own(&self) -> OwnOrganization {
        OwnOrganization {
            organ_code: self.organ_code.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            website: self.website.clone(),
        }
    }
}

/// Service settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Where edXML attachments are spooled while a package is parsed.
    pub spool_dir: PathBuf,
}

/// The documents service. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    db: Db,
    ledger: Ledger,
    blobs: BlobStore,
    registrar: Registrar,
    calendar: Arc<OfficialCalendar>,
    workflows: Arc<Workflows>,
    types: Arc<TypeRegistry>,
    agency: Arc<Agency>,
    settings: Arc<Settings>,
    /// The node's archive and signing service (see `archiving`).
    pub(crate) archive: Option<congso_archive::Archive>,
    /// How documents reach other agencies, once the node attaches it
    /// (see `dispatch`); shared by every clone.
    pub(crate) dispatcher: Arc<std::sync::OnceLock<Arc<dyn crate::dispatch::Dispatcher>>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("agency", &self.agency.organ_code)
            .finish()
    }
}

/// A document with everything a detail page shows.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentDetail {
    pub row: DocumentRow,
    pub metadata: DocumentMetadata,
    pub direction: Direction,
    pub state_label: String,
    pub type_label: String,
    pub files: Vec<FileRow>,
    pub signatures: Vec<SignatureRow>,
    pub assignments: Vec<store::AssignmentRow>,
    pub recipient_statuses: Vec<store::RecipientStatusRow>,
    /// The transitions the acting user may take now (name, label).
    pub available: Vec<(String, String)>,
}

/// An upload already streamed into the blob store and checked, waiting to
/// be registered or attached ([`Service::store_file`]).
#[derive(Debug, Clone)]
pub struct StoredUpload {
    file: NewFile,
}

impl StoredUpload {
    pub fn name(&self) -> &str {
        &self.file.name
    }

    pub fn mime(&self) -> &str {
        &self.file.mime
    }

    pub fn size(&self) -> u64 {
        self.file.size
    }

    pub fn sha256(&self) -> [u8; 32] {
        self.file.sha256
    }
}

/// A registration that went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registered {
    pub document_id: i64,
    pub year: i32,
    pub arrival_number: i64,
    pub ledger_seq: u64,
    /// The original's SHA-256 (hex), when a file came with it.
    pub sha256: Option<String>,
}

/// A deadline for an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Counted from today: `Period::Working(5)` is five working days out; a
    /// calendar-day period that ends on a day off moves to the next working day.
    Period(Period),
    /// A date; a day off moves to the next working day.
    Date(Date),
}

/// Whom to assign to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignTo {
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub due: Option<Due>,
}

/// A workflow step asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransitionRequest {
    pub transition: String,
    pub comment: Option<String>,
    /// The version the user saw; `None` takes the current one.
    pub expected_version: Option<i64>,
    pub assign: Option<AssignTo>,
}

/// What a transition did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionDone {
    pub document_id: i64,
    pub state: String,
    pub version: i64,
    /// The number/notation given (issue) or the arrival number (register).
    pub number: Option<String>,
    pub due_date: Option<String>,
    pub ledger_seq: u64,
    /// The dispatch step on a node in a federation: what was queued for
    /// which recipient (see `dispatch`).
    pub sending: Option<crate::dispatch::Sending>,
}

/// The signed file the signing engine produced, already in the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedFile {
    pub sha256: [u8; 32],
    pub size: u64,
    pub mime: String,
    pub name: String,
}

/// What an edXML import did.
#[derive(Debug, Clone, Serialize)]
pub enum Imported {
    /// A new incoming document was registered.
    Registered {
        registered: Registered,
        issues: Vec<FieldIssue>,
    },
    /// The message revoked, updated or replaced a document registered
    /// before; that document was recalled or its timeline notes the change.
    Applied {
        document_id: i64,
        business: String,
        issues: Vec<FieldIssue>,
    },
}

/// A staff search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words to find in the number/notation, summary, signer, sender, type
    /// and the text of text-bearing files; with or without diacritics.
    pub text: String,
    pub signer: Option<String>,
    pub sender: Option<String>,
    pub number_notation: Option<String>,
    pub direction: Option<Direction>,
    pub issue_date_from: Option<Date>,
    pub issue_date_until: Option<Date>,
    pub registered_from: Option<Date>,
    pub registered_until: Option<Date>,
    /// Only documents in this workflow state.
    pub state: Option<String>,
    /// Only documents numbered in this register year.
    pub register_year: Option<i32>,
    pub limit: u32,
    pub offset: u32,
}

/// Whose overdue list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverdueQuery {
    /// The acting user's own assignments.
    Mine,
    Unit(i64),
    Person(i64),
    All,
}

/// Microseconds → Vietnam local date-time (UTC+7, no daylight saving).
pub fn vn_datetime(at: Timestamp) -> OffsetDateTime {
    let offset = UtcOffset::from_hms(7, 0, 0).unwrap_or(UtcOffset::UTC);
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.micros()) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset)
}

/// The Vietnam local date of a moment.
pub fn vn_date(at: Timestamp) -> Date {
    vn_datetime(at).date()
}

/// The moment a Vietnam local date starts, in microseconds.
pub fn vn_day_start(date: Date) -> i64 {
    let offset = UtcOffset::from_hms(7, 0, 0).unwrap_or(UtcOffset::UTC);
    let start = date.midnight().assume_offset(offset);
    i64::try_from(start.unix_timestamp_nanos() / 1000).unwrap_or(0)
}

pub(crate) fn naive(at: Timestamp) -> chrono::NaiveDateTime {
    let local = vn_datetime(at);
    chrono::NaiveDate::from_ymd_opt(
        local.year(),
        u32::from(u8::from(local.month())),
        u32::from(local.day()),
    )
    .and_then(|date| {
        date.and_hms_opt(
            u32::from(local.hour()),
            u32::from(local.minute()),
            u32::from(local.second()),
        )
    })
    .unwrap_or_default()
}

fn details(value: serde_json::Value) -> String {
    value.to_string()
}

/// Uploads up to this size are buffered and stored in one write instead of
/// being spooled to disk first.
const SMALL_UPLOAD_BYTES: u64 = 1 << 20;

/// Largest text file read back to index its words.
const INDEX_TEXT_MAX: u64 = 8 << 20;

impl Service {
    /// A service over the node's storage.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        ledger: Ledger,
        blobs: BlobStore,
        calendar: Arc<OfficialCalendar>,
        workflows: Workflows,
        types: TypeRegistry,
        agency: Agency,
        settings: Settings,
    ) -> Service {
        let registrar = Registrar::start(db.clone(), ledger.clone());
        Service {
            db,
            ledger,
            blobs,
            registrar,
            calendar,
            workflows: Arc::new(workflows),
            types: Arc::new(types),
            agency: Arc::new(agency),
            settings: Arc::new(settings),
            archive: None,
            dispatcher: Arc::default(),
        }
    }

    pub fn agency(&self) -> &Agency {
        &self.agency
    }

    pub fn workflows(&self) -> &Workflows {
        &self.workflows
    }

    pub fn types(&self) -> &TypeRegistry {
        &self.types
    }

    /// Where uploads and packages are spooled while they are handled.
    pub fn spool_dir(&self) -> &std::path::Path {
        &self.settings.spool_dir
    }

    /// The largest upload accepted, in bytes.
    pub fn max_upload_bytes(&self) -> u64 {
        self.settings.max_upload_bytes
    }

    /// Loads a user as an [`Acting`] (roles and clearance from storage).
    pub async fn acting(&self, user_id: i64, source: &str) -> Result<Acting> {
        let user = accounts::get_user(&self.db, user_id)
            .await?
            .filter(|user| !user.disabled)
            .ok_or_else(|| {
                DocsError::Forbidden(format!("user {user_id} is unknown or disabled"))
            })?;
        let level = store::clearance(&self.db, user_id).await?;
        Ok(Acting {
            user_id,
            username: user.username,
            display_name: user.display_name,
            roles: user.roles,
            clearance: Secrecy::from_level(level).unwrap_or_default(),
            unit_id: user.unit_id,
            source: source.to_owned(),
        })
    }

    /// Grants (or with [`Secrecy::None`] withdraws) a user's clearance.
    pub async fn set_clearance(&self, acting: &Acting, user_id: i64, level: Secrecy) -> Result<()> {
        acting.require(Action::DocumentSetClearance)?;
        accounts::get_user(&self.db, user_id)
            .await?
            .ok_or_else(|| DocsError::Forbidden(format!("user {user_id} does not exist")))?;
        store::set_clearance(&self.db, user_id, level.level(), acting.user_id).await?;
        self.ledger
            .append(
                NewEntry::new(
                    &acting.actor(),
                    AuditAction::DocumentClearanceChanged,
                    format!("user:{user_id}"),
                )
                .source(acting.source.clone())
                .details(serde_json::json!({ "level": level.level() })),
            )
            .await?;
        Ok(())
    }

    // ------------------------------------------------------------ files

    /// Streams an upload into the blob store after checking its name, type
    /// and first bytes, within the size limit.
    async fn store_upload<R: AsyncRead + Unpin>(
        &self,
        upload: Upload<R>,
    ) -> Result<(BlobRef, String, String)> {
        let mime = files::check_declared(&upload.name, &upload.mime)?;
        let mut reader = files::sniff(&upload.name, upload.reader).await?;
        let limit = self.settings.max_upload_bytes;
        // Small files (most letters are well under a megabyte) go to the
        // blob store from one bounded buffer; anything larger is streamed
        // through the store's spool file, never held in memory.
        let small_max = SMALL_UPLOAD_BYTES.min(limit.saturating_add(1));
        let mut head = Vec::with_capacity(64 * 1024);
        (&mut reader).take(small_max).read_to_end(&mut head).await?;
        let too_large = || DocsError::TooLarge { limit };
        let is_pdf = mime == "application/pdf";
        let blob = if (head.len() as u64) < small_max {
            if head.len() as u64 > limit {
                return Err(too_large());
            }
            if is_pdf {
                files::check_pdf_tail(&upload.name, &head, head.len() as u64)?;
            }
            self.blobs.put_bytes(head.into()).await?
        } else {
            let mut whole = files::TailKeeper::new(std::io::Cursor::new(head).chain(reader));
            let blob = self
                .blobs
                .put_reader(&mut whole, Some(limit))
                .await
                .map_err(|error| match error {
                    congso_store::StoreError::Invalid(message)
                        if message.contains("larger than the limit") =>
                    {
                        too_large()
                    }
                    other => DocsError::from(other),
                })?;
            // The blob is stored by now; refused, it is simply never linked
            // to a document (blobs are content-addressed and shared, so it
            // is not deleted).
            if is_pdf {
                files::check_pdf_tail(&upload.name, whole.tail(), blob.size)?;
            }
            blob
        };
        Ok((blob, mime.to_owned(), upload.name.trim().to_owned()))
    }

    /// The folded terms of a stored text file (UTF-8; legacy encodings get a
    /// converted rendition first).
    async fn text_terms(&self, blob: &BlobRef) -> Result<Vec<String>> {
        if blob.size > INDEX_TEXT_MAX {
            return Ok(Vec::new());
        }
        let bytes = self.blobs.get_bytes(&blob.sha256).await?;
        Ok(search::terms_of(&String::from_utf8_lossy(&bytes)))
    }

    async fn new_file<R: AsyncRead + Unpin>(
        &self,
        upload: Upload<R>,
        kind: FileKind,
    ) -> Result<NewFile> {
        let (blob, mime, name) = self.store_upload(upload).await?;
        let terms = if search::is_text_bearing(&mime) {
            self.text_terms(&blob).await?
        } else {
            Vec::new()
        };
        Ok(NewFile {
            kind: kind.code().to_owned(),
            sha256: blob.sha256,
            size: blob.size,
            mime,
            name,
            source_file_id: None,
            rendition_kind: None,
            details: "{}".to_owned(),
            terms,
        })
    }

    // ------------------------------------------------------------ metadata helpers

    fn metadata_terms(&self, metadata: &DocumentMetadata) -> Vec<String> {
        let mut text = String::new();
        for part in [
            Some(metadata.summary.as_str()),
            metadata.content.as_deref(),
            metadata.number.as_deref(),
            metadata.notation.as_deref(),
            metadata.type_name.as_deref(),
            Some(metadata.issuer.name.as_str()),
            metadata.edxml_document_id.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            text.push_str(part);
            text.push(' ');
        }
        text.push_str(&metadata.type_label(&self.types));
        let mut terms = search::terms_of(&text);
        if let Some(signer) = &metadata.signer {
            let signer_terms = search::terms_of(&signer.display());
            terms.extend(signer_terms.iter().cloned());
            terms.extend(signer_terms.iter().map(|term| format!("signer:{term}")));
        }
        if let Some(sender) = &metadata.sender {
            let sender_text = format!(
                "{} {}",
                sender.name,
                sender.organ_code.as_deref().unwrap_or("")
            );
            let sender_terms = search::terms_of(&sender_text);
            terms.extend(sender_terms.iter().cloned());
            terms.extend(sender_terms.iter().map(|term| format!("sender:{term}")));
        }
        terms.sort_unstable();
        terms.dedup();
        terms
    }

    fn book(direction: Direction, secrecy: Secrecy) -> String {
        match (direction, secrecy.is_secret()) {
            (Direction::Incoming, false) => "incoming",
            (Direction::Incoming, true) => "incoming_secret",
            (Direction::Outgoing, false) => "outgoing",
            (Direction::Outgoing, true) => "outgoing_secret",
        }
        .to_owned()
    }

    /// The number series of an outgoing document: the secret book's for a
    /// secret one, the type's own for a legal normative type, else the book's.
    pub fn outgoing_series(&self, metadata: &DocumentMetadata) -> String {
        if metadata.secrecy.is_secret() {
            return "outgoing_secret".to_owned();
        }
        match self.types.get(&metadata.type_code) {
            Some(info) if info.legal_normative => format!("outgoing:{}", info.code),
            _ => "outgoing".to_owned(),
        }
    }

    pub(crate) fn parse_metadata(row: &DocumentRow) -> Result<DocumentMetadata> {
        serde_json::from_str(&row.metadata).map_err(|error| {
            DocsError::Store(congso_store::StoreError::Corrupt(format!(
                "document {} metadata: {error}",
                row.id
            )))
        })
    }

    pub(crate) fn direction_of(row: &DocumentRow) -> Result<Direction> {
        Direction::from_code(&row.direction).ok_or_else(|| {
            DocsError::Store(congso_store::StoreError::Corrupt(format!(
                "document {} has direction {:?}",
                row.id, row.direction
            )))
        })
    }

    pub(crate) async fn visible(&self, acting: &Acting, id: i64) -> Result<DocumentRow> {
        acting.require(Action::DocumentView)?;
        store::get_document(&self.db, acting.viewer(), id)
            .await?
            .ok_or(DocsError::NotFound(id))
    }

    fn new_event(acting: &Acting, kind: &str) -> NewEvent {
        NewEvent {
            actor_user_id: Some(acting.user_id),
            actor: acting.actor().to_code(),
            kind: kind.to_owned(),
            details: "{}".to_owned(),
            ..Default::default()
        }
    }

    /// Appends the ledger entry of a committed change and links it to the
    /// timeline event. A failure is an error the caller sees: the change is
    /// committed, the entry is appended later by [`Service::reconcile_ledger`].
    async fn record(
        &self,
        acting: &Acting,
        action: AuditAction,
        document_id: i64,
        event_id: i64,
        data_hash: Option<[u8; 32]>,
        extra: serde_json::Value,
    ) -> Result<u64> {
        let mut entry = NewEntry::new(&acting.actor(), action, format!("document:{document_id}"))
            .source(acting.source.clone())
            .details(serde_json::json!({ "event": event_id, "details": extra }));
        if let Some(hash) = data_hash {
            entry = entry.data_hash(&hash);
        }
        let receipt = self
            .ledger
            .append(entry)
            .await
            .map_err(|error| DocsError::NotLedgered {
                document_id,
                reason: error.to_string(),
            })?;
        store::set_event_ledger_seqs(&self.db, &[(event_id, receipt.seq)])
            .await
            .map_err(|error| DocsError::NotLedgered {
                document_id,
                reason: format!("ledger entry {} not linked: {error}", receipt.seq),
            })?;
        Ok(receipt.seq)
    }

    // ------------------------------------------------------------ incoming

    /// Registers an incoming document received on paper or by mail: its
    /// metadata and its file (streamed into the blob store, hashed), with
    /// the next arrival number of the year, in one transaction; refused with
    /// a pointer to the first registration when the same edXML DocumentId,
    /// or the same file from the same sender, was registered before.
    pub async fn register_incoming<R: AsyncRead + Unpin>(
        &self,
        acting: &Acting,
        metadata: DocumentMetadata,
        original: Option<Upload<R>>,
        attachments: Vec<Upload<R>>,
    ) -> Result<Registered> {
        acting.require(Action::DocumentRegisterIncoming)?;
        let errors = metadata.validate(Direction::Incoming, &self.types);
        if !errors.is_empty() {
            return Err(DocsError::Invalid(errors));
        }
        let mut new_files = Vec::new();
        if let Some(upload) = original {
            new_files.push(self.new_file(upload, FileKind::Original).await?);
        }
        for upload in attachments {
            new_files.push(self.new_file(upload, FileKind::Attachment).await?);
        }
        self.register_prepared(acting, metadata, new_files, Vec::new(), crate::now())
            .await
    }

    /// Checks the metadata of an incoming document without registering it
    /// (a form or an API call checks it before streaming the file).
    pub fn check_incoming(&self, acting: &Acting, metadata: &DocumentMetadata) -> Result<()> {
        acting.require(Action::DocumentRegisterIncoming)?;
        let errors = metadata.validate(Direction::Incoming, &self.types);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DocsError::Invalid(errors))
        }
    }

    /// Streams an upload into the blob store after the same checks as
    /// registration (name, type, first bytes, PDF end, size), for a caller
    /// that receives several files one after the other (a multipart form)
    /// and registers or attaches them once all have arrived. A stored file
    /// that is never registered is an unreferenced blob, never part of a
    /// document.
    pub async fn store_file<R: AsyncRead + Unpin>(
        &self,
        acting: &Acting,
        upload: Upload<R>,
        kind: FileKind,
    ) -> Result<StoredUpload> {
        if !(acting.roles.permits(Action::DocumentRegisterIncoming)
            || acting.roles.permits(Action::DocumentDraft))
        {
            return Err(DocsError::Forbidden(format!(
                "{} may not upload document files",
                acting.username
            )));
        }
        if !matches!(kind, FileKind::Original | FileKind::Attachment) {
            return Err(DocsError::File(
                "uploads are originals or attachments; renditions and signed files have their own functions"
                    .to_owned(),
            ));
        }
        Ok(StoredUpload {
            file: self.new_file(upload, kind).await?,
        })
    }

    /// Registers an incoming document with files stored by
    /// [`Service::store_file`] (the first original is the document).
    pub async fn register_incoming_stored(
        &self,
        acting: &Acting,
        metadata: DocumentMetadata,
        files: Vec<StoredUpload>,
    ) -> Result<Registered> {
        self.check_incoming(acting, &metadata)?;
        let new_files = files.into_iter().map(|stored| stored.file).collect();
        self.register_prepared(acting, metadata, new_files, Vec::new(), crate::now())
            .await
    }

    async fn register_prepared(
        &self,
        acting: &Acting,
        metadata: DocumentMetadata,
        new_files: Vec<NewFile>,
        import_issues: Vec<FieldIssue>,
        arrived_at: Timestamp,
    ) -> Result<Registered> {
        let workflow = &self.workflows.incoming;
        let register = workflow
            .with_effect(&workflow.initial, Effect::Register)
            .ok_or_else(|| {
                DocsError::Workflow("the incoming workflow has no register step".to_owned())
            })?;
        if !register
            .roles
            .iter()
            .any(|role| acting.roles.contains(role))
        {
            return Err(DocsError::Forbidden(format!(
                "{} may not take the step {}",
                acting.username, register.name
            )));
        }
        let book = Self::book(Direction::Incoming, metadata.secrecy);
        let sender = metadata.sender.clone().unwrap_or_default();
        let sender_key = sender
            .organ_code
            .clone()
            .unwrap_or_else(|| congso_vn::text::fold(sender.name.trim()));
        let year = vn_date(arrived_at).year();
        let terms = self.metadata_terms(&metadata);
        let number_notation = match (&metadata.number, &metadata.notation) {
            (Some(number), Some(notation)) => Some(format!("{number}/{notation}")),
            (Some(number), None) => Some(number.clone()),
            (None, Some(notation)) => Some(notation.clone()),
            (None, None) => None,
        };
        let mut outbox = Vec::new();
        if let (Some(edxml_id), Some(code)) = (
            &metadata.edxml_document_id,
            workflow
                .state(&register.to)
                .and_then(|state| state.status)
                .and_then(StatusCode::new),
        ) {
            outbox.push(self.status_outbox(acting, &metadata, edxml_id, code, &register.to)?);
        }
        let sha256 = new_files
            .iter()
            .find(|file| file.kind == "original")
            .map(|file| hex::encode(file.sha256));
        let document = NewDocument {
            organization_id: self.agency.organization_id,
            direction: "incoming".to_owned(),
            state: register.to.clone(),
            book: book.clone(),
            type_code: metadata.type_code.clone(),
            number_text: metadata.number.clone(),
            notation: metadata.notation.clone(),
            number_notation,
            issue_date: metadata.issue_date.map(iso_date),
            summary: metadata.summary.clone(),
            signer_name: metadata
                .signer
                .as_ref()
                .map(|signer| signer.full_name.clone()),
            sender_key: Some(sender_key).filter(|key| !key.is_empty()),
            sender_name: Some(sender.name.clone()).filter(|name| !name.is_empty()),
            sender_organ_code: sender.organ_code.clone(),
            secrecy: metadata.secrecy.level(),
            urgency: metadata.urgency.level(),
            due_date: metadata.due_date.map(iso_date),
            edxml_document_id: metadata.edxml_document_id.clone(),
            holder_user_id: None,
            holder_unit_id: None,
            drafting_unit_id: None,
            created_by: Some(acting.user_id),
            arrived_at: Some(arrived_at.micros()),
            metadata: serde_json::to_string(&metadata)
                .map_err(|error| DocsError::Export(error.to_string()))?,
            import_issues: serde_json::to_string(&import_issues)
                .map_err(|error| DocsError::Export(error.to_string()))?,
        };
        let mut arrived = Self::new_event(acting, "arrived");
        arrived.to_state = Some(workflow.initial.clone());
        let mut registered_event = Self::new_event(acting, "transition");
        registered_event.transition = Some(register.name.clone());
        registered_event.from_state = Some(workflow.initial.clone());
        registered_event.to_state = Some(register.to.clone());
        let registration = Registration {
            document,
            files: new_files,
            numbering: Numbering {
                series: book,
                year,
                notation: None,
                issue_date: None,
                document_id_prefix: None,
            },
            events: vec![arrived, registered_event],
            handlers: vec![acting.user_id],
            terms,
            outbox,
            actor: acting.actor(),
            source: acting.source.clone(),
        };
        let done = self.registrar.register(registration).await?;
        // Art. 36 and 38: a received document is archived with the time it
        // entered the system.
        self.archive_after(
            &acting.actor(),
            done.document_id,
            crate::archiving::ArchiveStage::Received,
        )
        .await?;
        Ok(Registered {
            document_id: done.document_id,
            year: done.year,
            arrival_number: done.arrival_number,
            ledger_seq: done.ledger_seq,
            sha256,
        })
    }

    fn status_outbox(
        &self,
        acting: &Acting,
        metadata: &DocumentMetadata,
        edxml_id: &str,
        code: StatusCode,
        state: &str,
    ) -> Result<NewOutbox> {
        let label = self
            .workflows
            .incoming
            .state(state)
            .map(|state| state.label.clone())
            .unwrap_or_default();
        let message = edxml_map::status_message(
            &self.agency.own(),
            metadata.sender.as_ref(),
            edxml_id,
            code,
            &label,
            Some((&acting.display_name, None)),
            naive(crate::now()),
        );
        let payload = congso_edxml::write_status(&message, Vec::new())
            .map_err(|error| DocsError::Export(error.to_string()))?;
        Ok(NewOutbox {
            kind: "status".to_owned(),
            status_code: Some(i64::from(code.number())),
            payload: String::from_utf8_lossy(&payload).into_owned(),
        })
    }

    /// Imports an edXML document package: reads it with the edxml crate's
    /// limits (no DTD, bounded markup), streams attachments to spool files
    /// and then into the blob store, maps the metadata and registers the
    /// document with every defect listed. A revocation, update or
    /// replacement of a document registered before is applied to it
    /// instead. When registration needs a field the package lacks, nothing
    /// is registered and the issues are returned as
    /// [`DocsError::EdxmlRejected`].
    pub async fn import_edxml<R: std::io::Read + Send + 'static>(
        &self,
        acting: &Acting,
        reader: R,
    ) -> Result<Imported> {
        self.import_edxml_arrived(acting, reader, crate::now())
            .await
    }

    /// [`Service::import_edxml`] with the time the package entered the
    /// system (a federation inbox's arrival time, signed in its receipt).
    pub(crate) async fn import_edxml_arrived<R: std::io::Read + Send + 'static>(
        &self,
        acting: &Acting,
        reader: R,
        arrived_at: Timestamp,
    ) -> Result<Imported> {
        acting.require(Action::DocumentRegisterIncoming)?;
        let spool_dir = self.settings.spool_dir.clone();
        let limit = self.settings.max_upload_bytes;
        let parsed = tokio::task::spawn_blocking(move || parse_package(reader, spool_dir, limit))
            .await
            .map_err(|error| DocsError::Io(std::io::Error::other(error)))??;
        let (message, mut issues, spooled) = parsed;
        let imported = edxml_map::metadata_from_edoc(&message, &self.types);
        issues.extend(imported.issues.iter().cloned());
        let mut metadata = imported.metadata;
        // Fields that fail our own validation are reported with the edXML
        // path they came from, and block registration.
        let field_errors = metadata.validate(Direction::Incoming, &self.types);
        for error in &field_errors {
            issues.push(FieldIssue {
                path: edxml_path(&error.field),
                severity: Severity::Error,
                kind: IssueKind::Malformed,
                message: format!("{} ({})", error.message, error.code),
            });
        }
        let blocking = imported
            .issues
            .iter()
            .any(|issue| issue.severity == Severity::Error)
            || !field_errors.is_empty();
        if blocking {
            return Err(DocsError::EdxmlRejected(issues));
        }
        // A new document replacing earlier ones (business type 3 under its
        // own DocumentId) is registered as itself; the copies of the
        // documents it replaces are frozen and marked afterwards.
        let mut replaced_ids: Vec<String> = Vec::new();
        if let (Some(business), Some(edxml_id)) =
            (imported.business, metadata.edxml_document_id.clone())
        {
            if business != BussinessDocType::New {
                if let Some(first) = self.find_incoming_by_edxml_id(&edxml_id).await? {
                    let document_id = self
                        .apply_business(
                            acting,
                            first,
                            business,
                            imported.business_reason,
                            &metadata,
                            None,
                        )
                        .await?;
                    return Ok(Imported::Applied {
                        document_id,
                        business: format!("{business:?}").to_lowercase(),
                        issues,
                    });
                }
            }
            if business == BussinessDocType::Replace && !imported.replaces.is_empty() {
                replaced_ids = imported.replaces.clone();
            } else if business != BussinessDocType::New {
                issues.push(FieldIssue {
                    path: "TraceHeaderList/Bussiness/BussinessDocType".to_owned(),
                    severity: Severity::Warning,
                    kind: IssueKind::Inconsistent,
                    message: format!(
                        "business type {} concerns a document never registered here; registered as a new document",
                        business.code()
                    ),
                });
                // The DocumentId names the earlier document, not this one;
                // keeping it would make the earlier one unregistrable.
                metadata.notes = Some(format!(
                    "Văn bản {} (loại nghiệp vụ {}) cho văn bản {edxml_id} chưa có trong sổ",
                    match business {
                        BussinessDocType::Revoke => "thu hồi",
                        BussinessDocType::Update => "cập nhật",
                        BussinessDocType::Replace => "thay thế",
                        BussinessDocType::New => "mới",
                    },
                    business.code()
                ));
                metadata.edxml_document_id = None;
            }
        }
        let sender_code = metadata
            .sender
            .as_ref()
            .and_then(|sender| sender.organ_code.clone());
        let replacement_label = format!(
            "{}{}",
            metadata.number.clone().unwrap_or_default(),
            metadata
                .notation
                .as_ref()
                .map(|notation| format!("/{notation}"))
                .unwrap_or_default()
        );
        // What a replacement replaces is looked up before registering, so
        // the clerk sees (and the document keeps) what could not be found.
        let mut to_freeze = Vec::new();
        for replaced in &replaced_ids {
            let path = "TraceHeaderList/Bussiness/ReplacementInfoList/ReplacementInfo/DocumentId";
            match self.find_incoming_by_edxml_id(replaced).await? {
                // Only the agency that sent a document may replace it.
                Some(old) if old.sender_organ_code != sender_code => issues.push(FieldIssue {
                    path: path.to_owned(),
                    severity: Severity::Warning,
                    kind: IssueKind::Inconsistent,
                    message: format!("{replaced} was sent by another agency; it is left as it is"),
                }),
                Some(old) if old.recalled_at.is_some() => {}
                Some(old) => to_freeze.push(old),
                None => issues.push(FieldIssue {
                    path: path.to_owned(),
                    severity: Severity::Warning,
                    kind: IssueKind::Inconsistent,
                    message: format!("the replaced document {replaced} was never registered here"),
                }),
            }
        }
        let metadata_copy = (!to_freeze.is_empty()).then(|| metadata.clone());
        let mut new_files = Vec::with_capacity(spooled.len());
        for (index, file) in spooled.into_iter().enumerate() {
            let source = tokio::fs::File::open(file.spool.path()).await?;
            let blob = self.blobs.put_reader(source, Some(limit)).await?;
            let terms = if search::is_text_bearing(&file.mime) {
                self.text_terms(&blob).await?
            } else {
                Vec::new()
            };
            new_files.push(NewFile {
                kind: if index == 0 {
                    FileKind::Original
                } else {
                    FileKind::Attachment
                }
                .code()
                .to_owned(),
                sha256: blob.sha256,
                size: blob.size,
                mime: file.mime,
                name: file.name,
                source_file_id: None,
                rendition_kind: None,
                details: details(serde_json::json!({ "content_id": file.content_id })),
                terms,
            });
        }
        let registered = self
            .register_prepared(acting, metadata, new_files, issues.clone(), arrived_at)
            .await?;
        if let Some(metadata) = metadata_copy {
            for old in to_freeze {
                let reason = format!(
                    "Được thay thế bằng văn bản {replacement_label} (số đến {}/{})",
                    registered.arrival_number, registered.year
                );
                self.apply_business(
                    acting,
                    old,
                    BussinessDocType::Replace,
                    None,
                    &metadata,
                    Some(reason),
                )
                .await?;
            }
        }
        Ok(Imported::Registered { registered, issues })
    }

    async fn find_incoming_by_edxml_id(&self, edxml_id: &str) -> Result<Option<DocumentRow>> {
        // Matching ignores visibility (a revocation must find its document
        // even if the clerk importing it could not read it); only the id of
        // the document is returned to the caller.
        let found =
            store::find_incoming_by_edxml_id(&self.db, self.agency.organization_id, edxml_id)
                .await?;
        match found {
            Some(id) => Ok(store::get_document_unchecked(&self.db, id).await?),
            None => Ok(None),
        }
    }

    async fn apply_business(
        &self,
        acting: &Acting,
        first: DocumentRow,
        business: BussinessDocType,
        reason: Option<String>,
        metadata: &DocumentMetadata,
        freeze: Option<String>,
    ) -> Result<i64> {
        let kind = match business {
            BussinessDocType::Revoke => "sender_revoked",
            BussinessDocType::Update => "sender_updated",
            BussinessDocType::Replace => "sender_replaced",
            BussinessDocType::New => "arrived",
        };
        let mut event = Self::new_event(acting, kind);
        event.comment = reason.clone();
        event.details = details(serde_json::json!({ "metadata": metadata }));
        let change = Change {
            document_id: first.id,
            expected_version: first.version,
            event,
            // A revocation by the sender freezes our copy: marked, not
            // deleted; so does a replacement by a new document.
            recall_reason: if business == BussinessDocType::Revoke {
                Some(
                    reason
                        .clone()
                        .unwrap_or_else(|| "Cơ quan gửi thu hồi văn bản".to_owned()),
                )
            } else {
                freeze
            },
            ..Default::default()
        };
        let applied = store::apply(&self.db, &change).await?;
        let action = if business == BussinessDocType::Revoke {
            AuditAction::DocumentRecalled
        } else {
            AuditAction::DocumentEdited
        };
        self.record(
            acting,
            action,
            first.id,
            applied.event_id,
            None,
            serde_json::json!({ "business": business.code() }),
        )
        .await?;
        Ok(first.id)
    }

    // ------------------------------------------------------------ outgoing drafts

    /// Resolves what a draft says it replaces: each entry is the edXML
    /// DocumentId or the number and notation (`12/QĐ-UBND`) of an issued
    /// outgoing document of ours, and is kept as its DocumentId (what the
    /// recipients know it by).
    async fn resolve_replaces(&self, metadata: &mut DocumentMetadata) -> Result<()> {
        if metadata.replaces.len() > 20 {
            return Err(DocsError::Invalid(vec![crate::model::FieldError::new(
                "replaces",
                "too_long",
                "một văn bản thay thế tối đa 20 văn bản",
            )]));
        }
        let organization = self.agency.organization_id;
        let mut resolved: Vec<String> = Vec::with_capacity(metadata.replaces.len());
        let mut errors = Vec::new();
        for (index, entry) in metadata.replaces.iter().enumerate() {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let field = format!("replaces[{index}]");
            let edxml_id = if store::find_outgoing_by_edxml_id(&self.db, organization, entry)
                .await?
                .is_some()
            {
                Some(entry.to_owned())
            } else {
                match store::find_outgoing_by_number(&self.db, organization, entry).await? {
                    Some((_, Some(edxml_id))) => Some(edxml_id),
                    Some((_, None)) | None => None,
                }
            };
            match edxml_id {
                Some(edxml_id) => {
                    if !resolved.contains(&edxml_id) {
                        resolved.push(edxml_id);
                    }
                }
                None => errors.push(crate::model::FieldError::new(
                    field,
                    "unknown",
                    format!("không có văn bản đi đã ban hành nào số {entry:?}"),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(DocsError::Invalid(errors));
        }
        metadata.replaces = resolved;
        Ok(())
    }

    /// Creates an outgoing draft held by its author.
    pub async fn create_draft(
        &self,
        acting: &Acting,
        mut metadata: DocumentMetadata,
    ) -> Result<i64> {
        acting.require(Action::DocumentDraft)?;
        if metadata.issuer.name.is_empty() {
            metadata.issuer = Party {
                organ_code: Some(self.agency.organ_code.clone()),
                name: self.agency.name.clone(),
            };
        }
        if metadata.place.is_none() {
            metadata.place = Some(self.agency.place.clone());
        }
        let errors = metadata.validate(Direction::Outgoing, &self.types);
        if !errors.is_empty() {
            return Err(DocsError::Invalid(errors));
        }
        self.resolve_replaces(&mut metadata).await?;
        if metadata.secrecy > acting.clearance {
            return Err(DocsError::Forbidden(
                "a draft cannot be more secret than its author's clearance".to_owned(),
            ));
        }
        let workflow = &self.workflows.outgoing;
        let document = NewDocument {
            organization_id: self.agency.organization_id,
            direction: "outgoing".to_owned(),
            state: workflow.initial.clone(),
            book: Self::book(Direction::Outgoing, metadata.secrecy),
            type_code: metadata.type_code.clone(),
            notation: None,
            summary: metadata.summary.clone(),
            signer_name: metadata
                .signer
                .as_ref()
                .map(|signer| signer.full_name.clone()),
            secrecy: metadata.secrecy.level(),
            urgency: metadata.urgency.level(),
            due_date: metadata.due_date.map(iso_date),
            holder_user_id: Some(acting.user_id),
            holder_unit_id: acting.unit_id,
            drafting_unit_id: acting.unit_id,
            created_by: Some(acting.user_id),
            metadata: serde_json::to_string(&metadata)
                .map_err(|error| DocsError::Export(error.to_string()))?,
            import_issues: "[]".to_owned(),
            ..Default::default()
        };
        let mut event = Self::new_event(acting, "created");
        event.to_state = Some(workflow.initial.clone());
        let terms = self.metadata_terms(&metadata);
        let created =
            store::create_document(&self.db, &document, &[], &event, &[acting.user_id], &terms)
                .await?;
        self.record(
            acting,
            AuditAction::DocumentDrafted,
            created.document_id,
            created.event_id,
            None,
            serde_json::json!({}),
        )
        .await?;
        Ok(created.document_id)
    }

    fn require_editable_draft(&self, acting: &Acting, row: &DocumentRow) -> Result<()> {
        acting.require(Action::DocumentDraft)?;
        if row.direction != "outgoing" || row.state != self.workflows.outgoing.initial {
            return Err(DocsError::Workflow(format!(
                "document {} is not a draft; only drafts can be edited",
                row.id
            )));
        }
        if row.holder_user_id != Some(acting.user_id) {
            return Err(DocsError::Forbidden(
                "only the draft's holder may edit it".to_owned(),
            ));
        }
        Ok(())
    }

    /// Replaces a draft's metadata.
    pub async fn edit_draft(
        &self,
        acting: &Acting,
        id: i64,
        expected_version: i64,
        mut metadata: DocumentMetadata,
    ) -> Result<i64> {
        let row = self.visible(acting, id).await?;
        self.require_editable_draft(acting, &row)?;
        let previous = Self::parse_metadata(&row)?;
        if metadata.issuer.name.is_empty() {
            metadata.issuer = previous.issuer;
        }
        let errors = metadata.validate(Direction::Outgoing, &self.types);
        if !errors.is_empty() {
            return Err(DocsError::Invalid(errors));
        }
        self.resolve_replaces(&mut metadata).await?;
        if metadata.secrecy > acting.clearance {
            return Err(DocsError::Forbidden(
                "a draft cannot be more secret than its author's clearance".to_owned(),
            ));
        }
        let change = Change {
            document_id: id,
            expected_version,
            event: Self::new_event(acting, "edited"),
            edit: Some(store::DraftEdit {
                book: Self::book(Direction::Outgoing, metadata.secrecy),
                type_code: metadata.type_code.clone(),
                notation: None,
                summary: metadata.summary.clone(),
                signer_name: metadata
                    .signer
                    .as_ref()
                    .map(|signer| signer.full_name.clone()),
                secrecy: metadata.secrecy.level(),
                urgency: metadata.urgency.level(),
                due_date: metadata.due_date.map(iso_date),
                drafting_unit_id: row.drafting_unit_id,
                metadata: serde_json::to_string(&metadata)
                    .map_err(|error| DocsError::Export(error.to_string()))?,
                terms: self.metadata_terms(&metadata),
            }),
            ..Default::default()
        };
        let applied = store::apply(&self.db, &change).await?;
        self.record(
            acting,
            AuditAction::DocumentEdited,
            id,
            applied.event_id,
            None,
            serde_json::json!({}),
        )
        .await?;
        Ok(applied.version)
    }

    /// Attaches a file to a draft (the first original is the document itself).
    pub async fn attach_file<R: AsyncRead + Unpin>(
        &self,
        acting: &Acting,
        id: i64,
        kind: FileKind,
        upload: Upload<R>,
    ) -> Result<i64> {
        let row = self.visible(acting, id).await?;
        self.require_editable_draft(acting, &row)?;
        if !matches!(kind, FileKind::Original | FileKind::Attachment) {
            return Err(DocsError::File(
                "a draft takes originals and attachments; renditions and signed files have their own functions"
                    .to_owned(),
            ));
        }
        let file = self.new_file(upload, kind).await?;
        self.attach_prepared(acting, &row, file).await
    }

    /// Attaches a file stored by [`Service::store_file`] to a draft.
    pub async fn attach_stored(
        &self,
        acting: &Acting,
        id: i64,
        stored: StoredUpload,
    ) -> Result<i64> {
        let row = self.visible(acting, id).await?;
        self.require_editable_draft(acting, &row)?;
        self.attach_prepared(acting, &row, stored.file).await
    }

    async fn attach_prepared(
        &self,
        acting: &Acting,
        row: &DocumentRow,
        file: NewFile,
    ) -> Result<i64> {
        let id = row.id;
        let hash = file.sha256;
        let mut event = Self::new_event(acting, "file_added");
        event.details = details(serde_json::json!({ "name": file.name, "kind": file.kind }));
        let change = Change {
            document_id: id,
            expected_version: row.version,
            event,
            files: vec![file],
            ..Default::default()
        };
        let applied = store::apply(&self.db, &change).await?;
        let file_id = applied.file_ids.first().copied().unwrap_or_default();
        self.record(
            acting,
            AuditAction::DocumentFileAdded,
            id,
            applied.event_id,
            Some(hash),
            serde_json::json!({ "file": file_id }),
        )
        .await?;
        Ok(file_id)
    }

    /// Stores a rendition beside one of a document's files (a PDF made from
    /// a DOCX, an OCR text layer); the source stays as it is.
    pub async fn add_rendition<R: AsyncRead + Unpin>(
        &self,
        acting: &Acting,
        id: i64,
        source_file_id: i64,
        kind: RenditionKind,
        upload: Upload<R>,
    ) -> Result<i64> {
        acting.require(Action::DocumentAddRendition)?;
        let row = self.visible(acting, id).await?;
        let source = self.source_file(acting, id, source_file_id).await?;
        let (blob, mime, name) = self.store_upload(upload).await?;
        let terms = if kind.bears_text() && search::is_text_bearing(&mime) {
            self.text_terms(&blob).await?
        } else {
            Vec::new()
        };
        let file = NewFile {
            kind: FileKind::Rendition.code().to_owned(),
            sha256: blob.sha256,
            size: blob.size,
            mime,
            name,
            source_file_id: Some(source.id),
            rendition_kind: Some(kind.code().to_owned()),
            details: details(serde_json::json!({ "source_sha256": hex::encode(&source.sha256) })),
            terms,
        };
        self.store_rendition(acting, &row, file).await
    }

    async fn source_file(&self, acting: &Acting, id: i64, file_id: i64) -> Result<FileRow> {
        store::files(&self.db, acting.viewer(), id)
            .await?
            .into_iter()
            .find(|file| file.id == file_id)
            .ok_or_else(|| DocsError::File(format!("document {id} has no file {file_id}")))
    }

    async fn store_rendition(
        &self,
        acting: &Acting,
        row: &DocumentRow,
        file: NewFile,
    ) -> Result<i64> {
        let hash = file.sha256;
        let mut event = Self::new_event(acting, "rendition_added");
        event.details = details(serde_json::json!({
            "name": file.name,
            "rendition": file.rendition_kind,
            "source_file": file.source_file_id,
        }));
        let change = Change {
            document_id: row.id,
            expected_version: row.version,
            event,
            files: vec![file],
            handlers: vec![acting.user_id],
            ..Default::default()
        };
        let applied = store::apply(&self.db, &change).await?;
        let file_id = applied.file_ids.first().copied().unwrap_or_default();
        self.record(
            acting,
            AuditAction::DocumentRenditionAdded,
            row.id,
            applied.event_id,
            Some(hash),
            serde_json::json!({ "file": file_id }),
        )
        .await?;
        Ok(file_id)
    }

    /// Converts a text file in a legacy Vietnamese encoding (TCVN3, VNI,
    /// VISCII, VIQR, Windows-1258; detected when `encoding` is `None`) to
    /// Unicode NFC and stores it as a rendition beside the original, which
    /// is kept byte for byte. The converted text is indexed for search.
    pub async fn convert_legacy_encoding(
        &self,
        acting: &Acting,
        id: i64,
        file_id: i64,
        encoding: Option<congso_vn::encoding::Encoding>,
    ) -> Result<i64> {
        acting.require(Action::DocumentAddRendition)?;
        let row = self.visible(acting, id).await?;
        let source = self.source_file(acting, id, file_id).await?;
        if u64::try_from(source.size).unwrap_or(u64::MAX) > INDEX_TEXT_MAX {
            return Err(DocsError::File(format!(
                "{} is larger than {INDEX_TEXT_MAX} bytes; legacy text that large is not converted",
                source.name
            )));
        }
        let hash: [u8; 32] = source.sha256.clone().try_into().map_err(|_| {
            DocsError::Store(congso_store::StoreError::Corrupt(format!(
                "file {file_id} hash is not 32 bytes"
            )))
        })?;
        let bytes = self.blobs.get_bytes(&hash).await?;
        let (encoding, confidence) = match encoding {
            Some(encoding) => (encoding, 1.0),
            None => {
                let detection = congso_vn::encoding::detect(&bytes);
                (detection.encoding, detection.confidence)
            }
        };
        let decoded = congso_vn::encoding::decode(&bytes, encoding);
        let text = decoded.text;
        let blob = self
            .blobs
            .put_bytes(text.clone().into_bytes().into())
            .await?;
        let stem = source
            .name
            .rsplit_once('.')
            .map(|(stem, _)| stem)
            .unwrap_or(&source.name);
        let file = NewFile {
            kind: FileKind::Rendition.code().to_owned(),
            sha256: blob.sha256,
            size: blob.size,
            mime: "text/plain; charset=utf-8".to_owned(),
            name: format!("{stem}.unicode.txt"),
            source_file_id: Some(source.id),
            rendition_kind: Some(RenditionKind::EncodingConverted.code().to_owned()),
            details: details(serde_json::json!({
                "from": encoding.name(),
                "confidence": confidence,
                "unconvertible_bytes": decoded.unconvertible.len(),
                "source_sha256": hex::encode(hash),
            })),
            terms: search::terms_of(&text),
        };
        self.store_rendition(acting, &row, file).await
    }

    // ------------------------------------------------------------ workflow

    pub(crate) fn check_step<'a>(
        &self,
        acting: &Acting,
        row: &DocumentRow,
        workflow: &'a Workflow,
        name: &str,
    ) -> Result<&'a Transition> {
        let transition = workflow.transition(name).ok_or_else(|| {
            DocsError::Workflow(format!(
                "the {} workflow has no step {name:?}",
                workflow.direction.code()
            ))
        })?;
        if !transition.from.contains(&row.state) {
            return Err(DocsError::Workflow(format!(
                "step {:?} ({}) cannot be taken from state {:?}",
                transition.name, transition.label, row.state
            )));
        }
        if !transition
            .roles
            .iter()
            .any(|role| acting.roles.contains(role))
        {
            return Err(DocsError::Forbidden(format!(
                "{} may not take the step {:?}; it needs one of: {}",
                acting.username,
                transition.name,
                transition.roles.to_codes()
            )));
        }
        if transition.holder_only && row.holder_user_id != Some(acting.user_id) {
            return Err(DocsError::Forbidden(format!(
                "only the person holding document {} may take the step {:?}",
                row.id, transition.name
            )));
        }
        if row.recalled_at.is_some() {
            return Err(DocsError::Conflict(format!(
                "document {} has been recalled; it can no longer change",
                row.id
            )));
        }
        Ok(transition)
    }

    /// The due date of an assignment made today.
    pub fn due_date(&self, due: Due, today: Date) -> Result<Date> {
        Ok(match due {
            Due::Period(period) => self.calendar.deadline(today, period)?,
            Due::Date(date) => self.calendar.working_day_on_or_after(date)?,
        })
    }

    /// Takes a workflow step (except signing, which goes through
    /// [`Service::mark_signed`]): checks the step, the actor's roles and,
    /// where the definition says so, that the actor holds the document;
    /// applies its effect (arrival number, assignment with due date and
    /// notification, number and issue date, dispatch time) in one
    /// transaction with the timeline event; then records the ledger entry.
    pub async fn transition(
        &self,
        acting: &Acting,
        id: i64,
        request: TransitionRequest,
    ) -> Result<TransitionDone> {
        let row = self.visible(acting, id).await?;
        let direction = Self::direction_of(&row)?;
        let workflow = self.workflows.get(direction);
        let transition = self.check_step(acting, &row, workflow, &request.transition)?;
        let comment = request
            .comment
            .as_ref()
            .map(|comment| comment.trim().to_owned())
            .filter(|comment| !comment.is_empty());
        if transition.comment_required && comment.is_none() {
            return Err(DocsError::Invalid(vec![crate::model::FieldError::new(
                "comment",
                "required",
                format!("bước \"{}\" cần có ý kiến", transition.label),
            )]));
        }
        if let Some(comment) = &comment {
            if comment.chars().count() > 4000 {
                return Err(DocsError::Invalid(vec![crate::model::FieldError::new(
                    "comment",
                    "too_long",
                    "ý kiến dài quá 4000 ký tự",
                )]));
            }
        }
        let metadata = Self::parse_metadata(&row)?;
        let now = crate::now();
        let today = vn_date(now);
        let mut event = Self::new_event(acting, "transition");
        event.transition = Some(transition.name.clone());
        event.from_state = Some(row.state.clone());
        event.to_state = Some(transition.to.clone());
        event.comment = comment.clone();
        let mut change = Change {
            document_id: id,
            expected_version: request.expected_version.unwrap_or(row.version),
            state: Some((row.state.clone(), transition.to.clone())),
            handlers: vec![acting.user_id],
            ..Default::default()
        };
        let mut action = AuditAction::DocumentTransition;
        let mut due_text = None;
        let mut extra = serde_json::json!({ "transition": transition.name });
        match transition.effect {
            Effect::None => {}
            Effect::Sign => {
                return Err(DocsError::Workflow(format!(
                    "step {:?} records a signature; it is taken by the signing hook with the signed file",
                    transition.name
                )))
            }
            Effect::Register => {
                action = AuditAction::DocumentRegistered;
                change.numbering = Some(Numbering {
                    series: row.book.clone(),
                    year: today.year(),
                    notation: None,
                    issue_date: None,
                    document_id_prefix: None,
                });
                change.stamp = Some(Stamp::Registered);
            }
            Effect::Assign => {
                action = AuditAction::DocumentAssigned;
                let target = request.assign.ok_or_else(|| {
                    DocsError::Invalid(vec![crate::model::FieldError::new(
                        "assign",
                        "required",
                        "chưa chọn đơn vị hoặc người xử lý",
                    )])
                })?;
                let due = target
                    .due
                    .map(|due| self.due_date(due, today))
                    .transpose()?;
                due_text = due.map(iso_date);
                self.prepare_assignment(acting, &row, &metadata, target, &due_text, &mut change)
                    .await?;
                extra = serde_json::json!({
                    "transition": transition.name,
                    "user": target.user_id,
                    "unit": target.unit_id,
                    "due_date": due_text,
                });
            }
            Effect::Return => {
                change.end_assignments = true;
                change.holder = Some((None, None));
            }
            Effect::Issue => {
                action = AuditAction::DocumentIssued;
                let info = self.types.get(&metadata.type_code).ok_or_else(|| {
                    DocsError::Invalid(vec![crate::model::FieldError::new(
                        "type_code",
                        "unknown",
                        "loại văn bản không có trong danh mục",
                    )])
                })?;
                let unit_abbreviation = match row.drafting_unit_id {
                    Some(unit) => self.unit_abbreviation(unit).await?,
                    None => None,
                };
                let notation = crate::model::notation(
                    info,
                    &self.agency.abbreviation,
                    unit_abbreviation.as_deref(),
                );
                let prefix = edxml_map::document_id(&self.agency.organ_code, today, "1", "X")
                    .map(|id| format!("{},{}", id.organ_id(), id.date()));
                change.numbering = Some(Numbering {
                    series: self.outgoing_series(&metadata),
                    year: today.year(),
                    notation: Some(notation),
                    issue_date: Some(iso_date(today)),
                    document_id_prefix: prefix,
                });
                change.stamp = Some(Stamp::Issued);
                change.holder = Some((None, None));
            }
            Effect::Dispatch => {
                action = AuditAction::DocumentDispatched;
                change.stamp = Some(Stamp::Dispatched);
            }
        }
        if direction == Direction::Incoming {
            if let (Some(edxml_id), Some(code)) = (
                &row.edxml_document_id,
                workflow
                    .state(&transition.to)
                    .and_then(|state| state.status)
                    .and_then(StatusCode::new),
            ) {
                change.outbox.push(self.status_outbox(
                    acting,
                    &metadata,
                    edxml_id,
                    code,
                    &transition.to,
                )?);
            }
        }
        event.details = details(extra.clone());
        change.event = event;
        let applied = store::apply(&self.db, &change).await?;
        let number = applied.number.as_ref().map(|(year, number, notation)| {
            notation
                .clone()
                .unwrap_or_else(|| format!("{number}/{year}"))
        });
        let mut ledger_details = extra;
        if let Some(number) = &number {
            ledger_details["number"] = serde_json::json!(number);
        }
        let ledger_seq = self
            .record(acting, action, id, applied.event_id, None, ledger_details)
            .await?;
        // Art. 38: an issued document is archived when it is numbered, and
        // again with its send time when it is dispatched.
        let stage = match transition.effect {
            Effect::Issue => Some(crate::archiving::ArchiveStage::Issued),
            Effect::Dispatch => Some(crate::archiving::ArchiveStage::Dispatched),
            _ => None,
        };
        if let Some(stage) = stage {
            self.archive_after(&acting.actor(), id, stage).await?;
        }
        // The step is taken; sending it electronically follows. A failure
        // here is reported with the step's result (the step stands, and
        // `send_electronically` finishes the job).
        let sending = if transition.effect == Effect::Dispatch && self.dispatcher().is_some() {
            Some(match self.send_to_recipients(acting, id).await {
                Ok(sending) => sending,
                Err(error) => {
                    tracing::warn!(document_id = id, %error, "dispatched, but sending it electronically failed");
                    crate::dispatch::Sending {
                        sent: Vec::new(),
                        error: Some(error.to_string()),
                    }
                }
            })
        } else {
            None
        };
        Ok(TransitionDone {
            document_id: id,
            state: transition.to.clone(),
            version: applied.version,
            number,
            due_date: due_text,
            ledger_seq,
            sending,
        })
    }

    async fn unit_abbreviation(&self, unit_id: i64) -> Result<Option<String>> {
        Ok(accounts::list_organizations(&self.db)
            .await?
            .into_iter()
            .find(|organization| organization.id == unit_id)
            .and_then(|organization| organization.short_name))
    }

    async fn prepare_assignment(
        &self,
        acting: &Acting,
        row: &DocumentRow,
        metadata: &DocumentMetadata,
        target: AssignTo,
        due: &Option<String>,
        change: &mut Change,
    ) -> Result<()> {
        if target.user_id.is_none() && target.unit_id.is_none() {
            return Err(DocsError::Invalid(vec![crate::model::FieldError::new(
                "assign",
                "required",
                "chưa chọn đơn vị hoặc người xử lý",
            )]));
        }
        if let Some(unit) = target.unit_id {
            let known = accounts::list_organizations(&self.db)
                .await?
                .into_iter()
                .any(|organization| organization.id == unit);
            if !known {
                return Err(DocsError::Invalid(vec![crate::model::FieldError::new(
                    "assign.unit_id",
                    "unknown",
                    format!("không có đơn vị {unit}"),
                )]));
            }
        }
        let secrecy = Secrecy::from_level(row.secrecy).unwrap_or_default();
        if let Some(user_id) = target.user_id {
            let user = accounts::get_user(&self.db, user_id)
                .await?
                .filter(|user| !user.disabled)
                .ok_or_else(|| {
                    DocsError::Invalid(vec![crate::model::FieldError::new(
                        "assign.user_id",
                        "unknown",
                        format!("không có người dùng {user_id} đang hoạt động"),
                    )])
                })?;
            if !user.roles.contains(Role::Specialist) && !user.roles.contains(Role::Leader) {
                return Err(DocsError::Invalid(vec![crate::model::FieldError::new(
                    "assign.user_id",
                    "not_allowed",
                    format!("{} không phải chuyên viên hay lãnh đạo", user.display_name),
                )]));
            }
            let clearance =
                Secrecy::from_level(store::clearance(&self.db, user_id).await?).unwrap_or_default();
            if secrecy > clearance {
                return Err(DocsError::Forbidden(format!(
                    "{} holds no clearance for a document marked {}",
                    user.display_name,
                    secrecy.label()
                )));
            }
            change.handlers.push(user_id);
            let number = row
                .register_number
                .map(|number| format!("số đến {number}"))
                .unwrap_or_default();
            // Mail leaves the node: a secret document's summary never goes in it.
            let subject_line = if secrecy.is_secret() {
                format!("Văn bản mật {number}")
            } else {
                format!(
                    "{} {number}: {}",
                    metadata.type_label(&self.types),
                    metadata.summary
                )
            };
            let due_line = due
                .as_ref()
                .map(|due| format!(" Hạn xử lý: {due}."))
                .unwrap_or_default();
            let message = format!(
                "{} giao bạn xử lý văn bản {subject_line}.{due_line}",
                acting.display_name
            );
            let mail = user
                .email
                .as_ref()
                .filter(|email| !email.is_empty())
                .map(|email| {
                    (
                        email.clone(),
                        "[congso] Văn bản được giao xử lý".to_owned(),
                        format!(
                            "{message}\n\nĐăng nhập hệ thống để xem văn bản (mã {}).",
                            row.id
                        ),
                    )
                });
            change.notifications.push(NewNotification {
                user_id,
                kind: "assigned".to_owned(),
                message,
                mail,
            });
        }
        change.end_assignments = true;
        change.assignment = Some(NewAssignment {
            user_id: target.user_id,
            unit_id: target.unit_id,
            assigned_by: acting.user_id,
            due_date: due.clone(),
        });
        change.holder = Some((target.user_id, target.unit_id));
        Ok(())
    }

    /// Assigns an incoming document (the workflow's assign step).
    pub async fn assign(
        &self,
        acting: &Acting,
        id: i64,
        target: AssignTo,
        comment: Option<String>,
    ) -> Result<TransitionDone> {
        let row = self.visible(acting, id).await?;
        let workflow = &self.workflows.incoming;
        let step = workflow
            .with_effect(&row.state, Effect::Assign)
            .ok_or_else(|| {
                DocsError::Workflow(format!(
                    "document {id} cannot be assigned in state {:?}",
                    row.state
                ))
            })?;
        self.transition(
            acting,
            id,
            TransitionRequest {
                transition: step.name.clone(),
                comment,
                expected_version: Some(row.version),
                assign: Some(target),
            },
        )
        .await
    }

    /// The signing hook: records that the document was signed, given the
    /// signed file (already in the blob store, produced by the signing
    /// engine) and the signature record that engine keeps. Takes the
    /// workflow's sign step with its role check, links the file and the
    /// signature in one transaction, and records the ledger entry with the
    /// signed file's hash.
    pub async fn mark_signed(
        &self,
        acting: &Acting,
        id: i64,
        signed: SignedFile,
        signature_record: &str,
    ) -> Result<TransitionDone> {
        let row = self.visible(acting, id).await?;
        let direction = Self::direction_of(&row)?;
        let workflow = self.workflows.get(direction);
        let step = workflow
            .with_effect(&row.state, Effect::Sign)
            .ok_or_else(|| {
                DocsError::Workflow(format!(
                    "document {id} cannot be signed in state {:?}",
                    row.state
                ))
            })?;
        let step = self.check_step(acting, &row, workflow, &step.name.clone())?;
        if !self.blobs.exists(&signed.sha256).await? {
            return Err(DocsError::File(format!(
                "the signed file {} is not in the blob store",
                hex::encode(signed.sha256)
            )));
        }
        if signature_record.trim().is_empty() || signature_record.len() > 200 {
            return Err(DocsError::File(
                "the signature record id is empty or too long".to_owned(),
            ));
        }
        let mut event = Self::new_event(acting, "signed");
        event.transition = Some(step.name.clone());
        event.from_state = Some(row.state.clone());
        event.to_state = Some(step.to.clone());
        event.details = details(serde_json::json!({
            "signature_record": signature_record,
            "sha256": hex::encode(signed.sha256),
        }));
        let change = Change {
            document_id: id,
            expected_version: row.version,
            state: Some((row.state.clone(), step.to.clone())),
            event,
            stamp: Some(Stamp::Signed),
            files: vec![NewFile {
                kind: FileKind::Signed.code().to_owned(),
                sha256: signed.sha256,
                size: signed.size,
                mime: signed.mime.clone(),
                name: signed.name.clone(),
                source_file_id: None,
                rendition_kind: None,
                details: "{}".to_owned(),
                terms: Vec::new(),
            }],
            signature: Some(NewSignature {
                signature_record: signature_record.to_owned(),
                signer_user_id: Some(acting.user_id),
                signer_name: acting.display_name.clone(),
            }),
            handlers: vec![acting.user_id],
            ..Default::default()
        };
        let applied = store::apply(&self.db, &change).await?;
        let ledger_seq = self
            .record(
                acting,
                AuditAction::DocumentSigned,
                id,
                applied.event_id,
                Some(signed.sha256),
                serde_json::json!({ "signature_record": signature_record }),
            )
            .await?;
        Ok(TransitionDone {
            document_id: id,
            state: step.to.clone(),
            version: applied.version,
            number: None,
            due_date: None,
            ledger_seq,
            sending: None,
        })
    }

    /// Recalls (thu hồi) a document: it keeps its row, number and files,
    /// is marked with the time and reason, and can no longer change.
    pub async fn recall(&self, acting: &Acting, id: i64, reason: &str) -> Result<()> {
        acting.require(Action::DocumentRecall)?;
        let row = self.visible(acting, id).await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(DocsError::Invalid(vec![crate::model::FieldError::new(
                "reason",
                "required",
                "cần ghi lý do thu hồi (tối đa 2000 ký tự)",
            )]));
        }
        let mut event = Self::new_event(acting, "recalled");
        event.comment = Some(reason.to_owned());
        let change = Change {
            document_id: id,
            expected_version: row.version,
            event,
            recall_reason: Some(reason.to_owned()),
            handlers: vec![acting.user_id],
            ..Default::default()
        };
        let applied = store::apply(&self.db, &change).await?;
        self.record(
            acting,
            AuditAction::DocumentRecalled,
            id,
            applied.event_id,
            None,
            serde_json::json!({ "reason": reason }),
        )
        .await?;
        // A dispatched document's recipients are told (edXML business type
        // 1). The recall stands whatever happens here; the revocation waits
        // in the outbox, or is sent again from the document's page.
        if row.dispatched_at.is_some() && self.dispatcher().is_some() {
            let sent = match self.system_clerk().await {
                Ok(clerk) => self.send_to_recipients(&clerk, id).await,
                Err(error) => Err(error),
            };
            if let Err(error) = sent {
                tracing::warn!(document_id = id, %error, "recalled, but sending the revocation failed");
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ reading

    /// A document with its files, signatures, assignments and the steps the
    /// acting user may take now.
    pub async fn get(&self, acting: &Acting, id: i64) -> Result<DocumentDetail> {
        let row = self.visible(acting, id).await?;
        let direction = Self::direction_of(&row)?;
        let metadata = Self::parse_metadata(&row)?;
        let workflow = self.workflows.get(direction);
        let viewer = acting.viewer();
        let available = if row.recalled_at.is_some() {
            Vec::new()
        } else {
            workflow
                .transitions_from(&row.state)
                .filter(|transition| {
                    transition
                        .roles
                        .iter()
                        .any(|role| acting.roles.contains(role))
                        && (!transition.holder_only || row.holder_user_id == Some(acting.user_id))
                })
                .map(|transition| (transition.name.clone(), transition.label.clone()))
                .collect()
        };
        Ok(DocumentDetail {
            state_label: workflow
                .state(&row.state)
                .map(|state| state.label.clone())
                .unwrap_or_else(|| row.state.clone()),
            type_label: metadata.type_label(&self.types),
            files: store::files(&self.db, viewer, id).await?,
            signatures: store::signatures(&self.db, viewer, id).await?,
            assignments: store::assignments(&self.db, viewer, id).await?,
            recipient_statuses: store::recipient_statuses(&self.db, viewer, id).await?,
            direction,
            metadata,
            row,
            available,
        })
    }

    /// A document's timeline, oldest first.
    pub async fn timeline(&self, acting: &Acting, id: i64) -> Result<Vec<EventRow>> {
        self.visible(acting, id).await?;
        Ok(store::timeline(&self.db, acting.viewer(), id).await?)
    }

    /// A document's files.
    pub async fn files(&self, acting: &Acting, id: i64) -> Result<Vec<FileRow>> {
        self.visible(acting, id).await?;
        Ok(store::files(&self.db, acting.viewer(), id).await?)
    }

    /// Opens one of a document's files for download.
    pub async fn open_file(
        &self,
        acting: &Acting,
        id: i64,
        file_id: i64,
    ) -> Result<(
        FileRow,
        futures::stream::BoxStream<
            'static,
            std::result::Result<bytes::Bytes, congso_store::StoreError>,
        >,
    )> {
        self.visible(acting, id).await?;
        let file = self.source_file(acting, id, file_id).await?;
        let hash: [u8; 32] = file.sha256.clone().try_into().map_err(|_| {
            DocsError::Store(congso_store::StoreError::Corrupt(format!(
                "file {file_id} hash is not 32 bytes"
            )))
        })?;
        let stream = self.blobs.get_stream(&hash).await?;
        Ok((file, stream))
    }

    /// Staff search over what the acting user may see.
    pub async fn search(&self, acting: &Acting, query: &SearchQuery) -> Result<Vec<DocumentRow>> {
        acting.require(Action::DocumentView)?;
        let mut terms = search::query_terms(&query.text);
        for (prefix, value) in [("signer", &query.signer), ("sender", &query.sender)] {
            if let Some(value) = value {
                for term in search::query_terms(value) {
                    terms.push(match term {
                        Term::Exact(word) => Term::Exact(format!("{prefix}:{word}")),
                        Term::Prefix(word) => Term::Prefix(format!("{prefix}:{word}")),
                    });
                }
            }
        }
        if terms.len() > 32 {
            return Err(DocsError::Invalid(vec![crate::model::FieldError::new(
                "text",
                "too_long",
                "quá nhiều từ tìm kiếm (tối đa 32)",
            )]));
        }
        let filter = Filter {
            organization_id: Some(self.agency.organization_id),
            direction: query.direction.map(|direction| direction.code().to_owned()),
            number_notation: query.number_notation.clone(),
            issue_date_from: query.issue_date_from.map(iso_date),
            issue_date_until: query.issue_date_until.map(iso_date),
            registered_from: query.registered_from.map(vn_day_start),
            registered_until: query
                .registered_until
                .and_then(|date| date.next_day())
                .map(vn_day_start),
            terms,
            states: query.state.iter().cloned().collect(),
            register_year: query.register_year.map(i64::from),
            include_recalled: true,
            order: Order::Newest,
            limit: if query.limit == 0 {
                50
            } else {
                query.limit.min(500)
            },
            offset: query.offset,
            ..Default::default()
        };
        Ok(store::list_documents(&self.db, acting.viewer(), &filter).await?)
    }

    /// Lists documents of one register book, in register order.
    pub async fn list(
        &self,
        acting: &Acting,
        direction: Direction,
        state: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<DocumentRow>> {
        acting.require(Action::DocumentView)?;
        let filter = Filter {
            organization_id: Some(self.agency.organization_id),
            direction: Some(direction.code().to_owned()),
            states: state
                .map(|state| vec![state.to_owned()])
                .unwrap_or_default(),
            include_recalled: true,
            order: Order::Newest,
            limit,
            offset,
            ..Default::default()
        };
        Ok(store::list_documents(&self.db, acting.viewer(), &filter).await?)
    }

    /// The overdue list: active assignments past their due date.
    pub async fn overdue(
        &self,
        acting: &Acting,
        query: OverdueQuery,
    ) -> Result<Vec<store::OverdueRow>> {
        self.overdue_on(acting, query, vn_date(crate::now())).await
    }

    /// [`Service::overdue`] as of a given day.
    pub async fn overdue_on(
        &self,
        acting: &Acting,
        query: OverdueQuery,
        today: Date,
    ) -> Result<Vec<store::OverdueRow>> {
        let scope = match query {
            OverdueQuery::Mine => {
                acting.require(Action::DocumentView)?;
                OverdueScope::User(acting.user_id)
            }
            OverdueQuery::Person(user) if user == acting.user_id => {
                acting.require(Action::DocumentView)?;
                OverdueScope::User(user)
            }
            OverdueQuery::Person(user) => {
                acting.require(Action::DocumentOverdueView)?;
                OverdueScope::User(user)
            }
            OverdueQuery::Unit(unit) => {
                acting.require(Action::DocumentOverdueView)?;
                OverdueScope::Unit(unit)
            }
            OverdueQuery::All => {
                acting.require(Action::DocumentOverdueView)?;
                OverdueScope::All
            }
        };
        let mut finals = self.workflows.incoming.final_states();
        finals.extend(self.workflows.outgoing.final_states());
        Ok(store::overdue(&self.db, acting.viewer(), &iso_date(today), scope, &finals).await?)
    }

    /// Notifies assignees whose assignments became overdue, once each (a
    /// background job, run daily by the node).
    pub async fn remind_overdue(&self, today: Date) -> Result<usize> {
        let due = store::overdue_unnotified(&self.db, &iso_date(today)).await?;
        let mut reminders = Vec::new();
        for assignment in due {
            let Some(user_id) = assignment.user_id else {
                continue;
            };
            let Some(row) = store::get_document_unchecked(&self.db, assignment.document_id).await?
            else {
                continue;
            };
            let Ok(direction) = Self::direction_of(&row) else {
                continue;
            };
            if self
                .workflows
                .get(direction)
                .final_states()
                .contains(&row.state)
            {
                continue;
            }
            let user = accounts::get_user(&self.db, user_id).await?;
            let secret = row.secrecy > 0;
            let what = if secret {
                "văn bản mật".to_owned()
            } else {
                format!("văn bản \"{}\"", row.summary)
            };
            let message = format!(
                "Quá hạn xử lý {what} (hạn {}).",
                assignment.due_date.clone().unwrap_or_default()
            );
            let mail = user
                .and_then(|user| user.email)
                .filter(|email| !email.is_empty())
                .map(|email| {
                    (
                        email,
                        "[congso] Văn bản quá hạn xử lý".to_owned(),
                        format!(
                            "{message}\n\nĐăng nhập hệ thống để xem văn bản (mã {}).",
                            row.id
                        ),
                    )
                });
            reminders.push((
                assignment.id,
                row.id,
                NewNotification {
                    user_id,
                    kind: "overdue".to_owned(),
                    message,
                    mail,
                },
            ));
        }
        let count = reminders.len();
        store::record_overdue_reminders(&self.db, &reminders).await?;
        Ok(count)
    }

    /// The acting user's notifications, newest first.
    pub async fn notifications(
        &self,
        acting: &Acting,
        unread_only: bool,
    ) -> Result<Vec<store::NotificationRow>> {
        Ok(store::notifications(&self.db, acting.viewer(), unread_only, 200).await?)
    }

    /// Marks one of the acting user's notifications read.
    pub async fn mark_notification_read(&self, acting: &Acting, id: i64) -> Result<bool> {
        Ok(store::mark_notification_read(&self.db, acting.user_id, id).await?)
    }

    // ------------------------------------------------------------ edXML out

    /// Writes a document as an edXML package, streaming its files (the
    /// originals, attachments and signed files; not renditions) from the
    /// blob store. Secret documents are never exported.
    pub async fn export_edxml<W: std::io::Write + Send + 'static>(
        &self,
        acting: &Acting,
        id: i64,
        output: W,
    ) -> Result<W> {
        acting.require(Action::DocumentExport)?;
        let detail = self.get(acting, id).await?;
        if detail.metadata.secrecy.is_secret() {
            return Err(DocsError::Forbidden(
                "secret documents are not exchanged as edXML".to_owned(),
            ));
        }
        let files: Vec<&FileRow> = detail
            .files
            .iter()
            .filter(|file| file.kind != FileKind::Rendition.code())
            .collect();
        // Blobs are copied to spool files first: the edXML writer is
        // synchronous and runs on a blocking thread.
        let mut spooled = Vec::with_capacity(files.len());
        let mut attachments = Vec::with_capacity(files.len());
        for (index, file) in files.iter().enumerate() {
            let hash: [u8; 32] = file.sha256.clone().try_into().map_err(|_| {
                DocsError::Store(congso_store::StoreError::Corrupt(format!(
                    "file {} hash is not 32 bytes",
                    file.id
                )))
            })?;
            let spool = tempfile::NamedTempFile::new_in(&self.settings.spool_dir)?;
            let mut writer = tokio::fs::File::from_std(spool.reopen()?);
            let mut stream = self.blobs.get_stream(&hash).await?;
            use futures::StreamExt;
            while let Some(chunk) = stream.next().await {
                writer.write_all(&chunk?).await?;
            }
            writer.flush().await?;
            spooled.push(spool);
            attachments.push(congso_edxml::AttachmentMeta {
                content_id: Some(format!("cid:{}", index + 1)),
                attachment_name: Some(file.name.clone()),
                description: Some(file.kind.clone()),
                content_type: Some(
                    file.mime
                        .split(';')
                        .next()
                        .unwrap_or("application/octet-stream")
                        .trim()
                        .to_owned(),
                ),
            });
        }
        let mut metadata = detail.metadata.clone();
        if let Some(issue_date) = detail
            .row
            .issue_date
            .as_deref()
            .and_then(crate::model::parse_iso_date)
        {
            metadata.issue_date = Some(issue_date);
        }
        let own = self.agency.own();
        let recalled = detail.row.recalled_at.is_some();
        // A replacement names each replaced document and the agencies that
        // received it (edXML ReplacementInfo).
        let mut replacements = Vec::with_capacity(metadata.replaces.len());
        for replaced in &metadata.replaces {
            let organs = match store::find_outgoing_by_edxml_id(
                &self.db,
                self.agency.organization_id,
                replaced,
            )
            .await?
            {
                Some(replaced_id) => {
                    match store::get_document_unchecked(&self.db, replaced_id).await? {
                        Some(row) => Self::parse_metadata(&row)?
                            .recipients
                            .iter()
                            .filter_map(|party| party.organ_code.clone())
                            .collect(),
                        None => Vec::new(),
                    }
                }
                None => Vec::new(),
            };
            replacements.push((replaced.clone(), organs));
        }
        let message: EdocMessage = edxml_map::edoc_from_metadata(
            &metadata,
            &ExportFacts {
                organization: &own,
                number_text: detail.row.number_text.as_deref(),
                notation: detail.row.notation.as_deref(),
                type_name: &detail.type_label,
                now: naive(crate::now()),
                staff_name: Some(&acting.display_name),
                staff_unit: None,
                business: if recalled {
                    BussinessDocType::Revoke
                } else if !replacements.is_empty() {
                    BussinessDocType::Replace
                } else {
                    BussinessDocType::New
                },
                business_reason: detail.row.recall_reason.as_deref(),
                replacements,
                attachments,
            },
        );
        let written = tokio::task::spawn_blocking(move || {
            congso_edxml::write_edoc_streaming(
                &message,
                |index, _meta| match spooled.get(index) {
                    Some(spool) => spool.reopen(),
                    None => Err(std::io::Error::other("attachment index out of range")),
                },
                output,
            )
        })
        .await
        .map_err(|error| DocsError::Io(std::io::Error::other(error)))?
        .map_err(|error| DocsError::Export(error.to_string()))?;
        let mut event = Self::new_event(acting, "exported");
        event.details = details(serde_json::json!({ "format": "edxml" }));
        let change = Change {
            document_id: id,
            expected_version: detail.row.version,
            event,
            ..Default::default()
        };
        // Exporting a recalled document (to tell recipients) must not fail
        // on the frozen row, so the timeline note is best effort there.
        if !recalled {
            let applied = store::apply(&self.db, &change).await?;
            self.record(
                acting,
                AuditAction::DocumentExported,
                id,
                applied.event_id,
                None,
                serde_json::json!({ "format": "edxml" }),
            )
            .await?;
        } else {
            self.ledger
                .append(
                    NewEntry::new(
                        &acting.actor(),
                        AuditAction::DocumentExported,
                        format!("document:{id}"),
                    )
                    .source(acting.source.clone())
                    .details(serde_json::json!({ "format": "edxml", "recalled": true })),
                )
                .await?;
        }
        Ok(written)
    }

    /// Records a status message a recipient sent about one of our outgoing
    /// documents (matched by its edXML DocumentId).
    pub async fn receive_status(
        &self,
        acting: &Acting,
        message: &congso_edxml::StatusMessage,
    ) -> Result<i64> {
        acting.require(Action::DocumentExport)?;
        let status = edxml_map::read_status(message).map_err(|reason| {
            DocsError::EdxmlRejected(vec![FieldIssue {
                path: "MessageHeader".to_owned(),
                severity: Severity::Error,
                kind: IssueKind::Missing,
                message: reason,
            }])
        })?;
        let document_id = store::find_outgoing_by_edxml_id(
            &self.db,
            self.agency.organization_id,
            &status.document_id,
        )
        .await?
        .ok_or_else(|| {
            DocsError::Workflow(format!(
                "no outgoing document has the edXML DocumentId {}",
                status.document_id
            ))
        })?;
        // The clerk must be able to see it (a secret document is never sent
        // by edXML, so this only guards against guessing).
        self.visible(acting, document_id).await?;
        let label = StatusCode::new(status.code)
            .and_then(StatusCode::kind)
            .map(|kind| kind.vietnamese_name())
            .unwrap_or("Trạng thái khác");
        let mut event = Self::new_event(acting, "recipient_status");
        event.comment = status.description.clone();
        event.details = details(serde_json::json!({
            "code": status.code,
            "label": label,
            "organ_code": status.organ_code,
            "organ_name": status.organ_name,
            "reported_at": status.reported_at,
        }));
        let row = store::RecipientStatusRow {
            id: 0,
            document_id,
            organ_code: status.organ_code.clone(),
            organ_name: status.organ_name.clone(),
            status_code: i64::from(status.code),
            description: status.description.clone(),
            reported_at: status.reported_at.clone(),
            received_at: 0,
        };
        let event_id = store::record_recipient_status(&self.db, document_id, &row, &event).await?;
        self.record(
            acting,
            AuditAction::DocumentStatusReceived,
            document_id,
            event_id,
            None,
            serde_json::json!({ "code": status.code, "from": status.organ_code }),
        )
        .await?;
        Ok(document_id)
    }

    /// Pending edXML messages (status messages to senders) for the
    /// federation to send.
    pub async fn outbox(&self, acting: &Acting, limit: u32) -> Result<Vec<store::OutboxRow>> {
        acting.require(Action::DocumentExport)?;
        Ok(store::outbox_pending(&self.db, limit).await?)
    }

    pub(crate) fn database(&self) -> &Db {
        &self.db
    }

    pub(crate) fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    // ------------------------------------------------------------ ledger upkeep

    /// Appends the ledger entries of committed changes whose append failed
    /// (or whose process stopped in between), for events at least
    /// `min_age` old so that appends still in flight in another replica are
    /// not doubled; a node runs it at start-up with zero and then
    /// periodically with a minute. Returns how many entries were appended.
    pub async fn reconcile_ledger(&self, min_age: std::time::Duration) -> Result<usize> {
        let age = i64::try_from(min_age.as_micros()).unwrap_or(i64::MAX);
        let before = crate::now().micros().saturating_sub(age);
        let events = store::unledgered_events(&self.db, before, 10_000).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let entries: Vec<NewEntry> = events
            .iter()
            .map(|event| {
                NewEntry::new(
                    &Actor::System,
                    AuditAction::DocumentTransition,
                    format!("document:{}", event.document_id),
                )
                .source("reconcile")
                .details(serde_json::json!({
                    "event": event.id,
                    "kind": event.kind,
                    "actor": event.actor,
                    "transition": event.transition,
                    "to_state": event.to_state,
                    "at": event.at,
                }))
            })
            .collect();
        let receipts = self.ledger.append_all(entries).await?;
        let seqs: Vec<(i64, u64)> = events
            .iter()
            .zip(&receipts)
            .map(|(event, receipt)| (event.id, receipt.seq))
            .collect();
        store::set_event_ledger_seqs(&self.db, &seqs).await?;
        Ok(seqs.len())
    }
}

/// The SHA-256 of bytes, for tests and callers that hold small files.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// An edXML attachment spooled to disk while the package is parsed.
struct SpooledAttachment {
    spool: tempfile::NamedTempFile,
    name: String,
    mime: String,
    content_id: Option<String>,
}

type ParsedPackage = (EdocMessage, Vec<FieldIssue>, Vec<SpooledAttachment>);

/// Parses a package on a blocking thread, writing each attachment's decoded
/// bytes to a spool file as they are parsed (bounded memory).
fn parse_package<R: std::io::Read>(
    reader: R,
    spool_dir: PathBuf,
    limit: u64,
) -> Result<ParsedPackage> {
    let limits = congso_edxml::Limits {
        max_attachment_bytes: limit,
        ..Default::default()
    };
    let spools: std::cell::RefCell<Vec<tempfile::NamedTempFile>> = Default::default();
    let parsed = congso_edxml::EdxmlReader::new(limits).read_edoc_streaming(
        std::io::BufReader::new(reader),
        |_meta| {
            let spool = tempfile::NamedTempFile::new_in(&spool_dir)?;
            let file = spool.reopen()?;
            spools.borrow_mut().push(spool);
            Ok(std::io::BufWriter::new(file))
        },
    )?;
    let spools = spools.into_inner();
    let mut attachments = Vec::new();
    for (index, spool) in spools.into_iter().enumerate() {
        let meta = parsed
            .value
            .attachments
            .get(index)
            .map(|attachment| attachment.meta.clone())
            .unwrap_or_default();
        let name = meta
            .attachment_name
            .clone()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| format!("tep-dinh-kem-{}.bin", index + 1));
        let mime = files::received_mime(&name, meta.content_type.as_deref());
        attachments.push(SpooledAttachment {
            spool,
            name,
            mime,
            content_id: meta.content_id,
        });
    }
    Ok((parsed.value, parsed.issues, attachments))
}

/// The edXML path a metadata field comes from, for import errors.
fn edxml_path(field: &str) -> String {
    let path = match field.split(['.', '[']).next().unwrap_or(field) {
        "summary" => "MessageHeader/Subject",
        "type_code" | "type_name" => "MessageHeader/DocumentType/TypeName",
        "issuer" | "sender" => "MessageHeader/From",
        "number" | "notation" => "MessageHeader/Code",
        "place" => "MessageHeader/PromulgationInfo/Place",
        "signer" => "MessageHeader/SignerInfo",
        "recipients" => "MessageHeader/To",
        "page_count" => "MessageHeader/OtherInfo/PageAmount",
        "appendixes" => "MessageHeader/OtherInfo/Appendixes",
        "content" => "MessageHeader/Content",
        "edxml_document_id" => "MessageHeader/DocumentId",
        other => return format!("MessageHeader ({other})"),
    };
    path.to_owned()
}
