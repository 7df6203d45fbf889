//! The glue between the documents workflow and the node's signatures and
//! archive (`congso-archive`): the leader's sign step signs through the
//! node's signing service and records the signed file; registering an
//! incoming document, issuing an outgoing one and dispatching it archive the
//! document (metadata, edXML, files, signatures, validation report, ledger
//! entry); an archive package can be exported for a document.
//!
//! It lives here, in the documents crate, rather than in the web layer so
//! that every caller — web pages, JSON API, command line, demo, benchmark —
//! goes through the same hooks and none can forget to archive: the hooks run
//! inside [`Service::register_incoming`], [`Service::import_edxml`] and
//! [`Service::transition`] once an archive is attached with
//! [`Service::with_archive`]. A service without an archive (unit tests of
//! the workflow) simply does not archive.
//!
//! Archiving happens after the change it records is committed. When it
//! fails, the caller gets [`DocsError::NotArchived`] and
//! [`Service::reconcile_archive`] (run by the node at start-up and
//! periodically) archives the document later: the archive is never silently
//! behind.

use std::path::Path;

use bytes::Bytes;
use congso_archive::package::PackageSummary;
use congso_archive::{
    Archive, ArchiveError, ArchiveInput, ArchivedItem, FileContent, FileRole, InputFile,
    SignContent, SignRequest, SignatureFormat, Verdict, VisibleSignature,
};
use congso_core::access::Action;
use congso_core::audit::Actor;
use congso_store::blob::BlobRef;
use congso_store::documents::{self as store, DocumentRow, FileRow, Viewer};
use serde::{Deserialize, Serialize};

use crate::edxml_map::{self, ExportFacts, OwnOrganization};
use crate::error::{DocsError, Result};
use crate::files::FileKind;
use crate::model::{parse_iso_date, Direction, DocumentMetadata};
use crate::service::{Acting, Service, SignedFile, TransitionDone};
use crate::workflow::Effect;

/// The moment of a document's life an archive item records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveStage {
    /// An incoming document entered the system (Art. 36: its receipt time).
    Received,
    /// An outgoing document was numbered and issued.
    Issued,
    /// An outgoing document was sent to its recipients (its send time).
    Dispatched,
}

impl ArchiveStage {
    pub fn code(self) -> &'static str {
        match self {
            ArchiveStage::Received => "received",
            ArchiveStage::Issued => "issued",
            ArchiveStage::Dispatched => "dispatched",
        }
    }
}

/// What the sign step did.
#[derive(Debug, Clone, Serialize)]
pub struct SignedDocument {
    pub transition: TransitionDone,
    /// The signature record (`signatures.id` of the archive crate).
    pub signature_id: i64,
    /// `pades` or `cms`.
    pub format: String,
    /// The verdict of the check made right after signing.
    pub verdict: String,
    /// When the timestamp authority says the signature existed (µs).
    pub timestamp_at: Option<i64>,
}

/// One reason of a validation report, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportReason {
    pub code: String,
    pub severity: String,
    /// For the clerk, in Vietnamese.
    pub vi: String,
    pub en: String,
}

/// The parts of a stored validation report a page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportView {
    pub verdict: String,
    #[serde(default)]
    pub reasons: Vec<ReportReason>,
    #[serde(default)]
    pub signatures: Vec<SignatureView>,
}

/// One signature of a stored validation report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureView {
    pub verdict: String,
    #[serde(default)]
    pub reasons: Vec<ReportReason>,
    #[serde(default)]
    pub details: SignatureDetailsView,
}

/// Auditor details of one signature.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureDetailsView {
    pub signer_name: Option<String>,
    pub signer_subject: Option<String>,
    pub signer_serial: Option<String>,
    pub signer_issuer: Option<String>,
    pub claimed_signing_time: Option<String>,
    pub timestamp: Option<TimestampView>,
    pub validation_time_source: Option<String>,
    pub digest_algorithm: Option<String>,
    pub signature_algorithm: Option<String>,
}

/// The timestamp of one signature.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimestampView {
    pub time: Option<String>,
    pub tsa: Option<String>,
}

/// A signature of a document with the report made when it was signed.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureInfo {
    pub signature_id: i64,
    pub signer: String,
    pub signer_name: String,
    pub cert_serial: String,
    pub format: String,
    pub file_name: String,
    pub signed_at: i64,
    pub timestamp_at: Option<i64>,
    pub tsa: String,
    pub verdict: String,
    pub report: ReportView,
    pub ledger_seq: Option<i64>,
}

/// An archive item of a document, as a page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveItemInfo {
    pub id: i64,
    pub stage: Option<String>,
    pub event_at: i64,
    pub verdict: String,
    pub files: usize,
    pub ledger_seq: Option<i64>,
    pub archived_at: i64,
}

/// A reader that sees every document, for the archive's own reads of a
/// document it was told to archive (the acting user's right to act was
/// checked by the step that triggers archiving).
const ARCHIVIST: Viewer = Viewer {
    user_id: 0,
    clearance: 3,
};

fn archive_failed(document_id: i64, error: impl std::fmt::Display) -> DocsError {
    DocsError::NotArchived {
        document_id,
        reason: error.to_string(),
    }
}

fn verdict_code(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Valid => "valid",
        Verdict::Indeterminate => "indeterminate",
        Verdict::Invalid => "invalid",
    }
}

/// RFC 3339 (UTC) of microseconds.
fn moment(micros: Option<i64>) -> Option<String> {
    micros.map(|micros| congso_archive::rfc3339(congso_core::time::Timestamp(micros)))
}

fn file_hash(file: &FileRow) -> Result<[u8; 32]> {
    file.sha256.clone().try_into().map_err(|_| {
        DocsError::Store(congso_store::StoreError::Corrupt(format!(
            "file {} hash is not 32 bytes",
            file.id
        )))
    })
}

fn blob_of(file: &FileRow) -> Result<BlobRef> {
    Ok(BlobRef {
        sha256: file_hash(file)?,
        size: u64::try_from(file.size).unwrap_or(0),
    })
}

/// The media type without parameters.
fn essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The signed file's name: `QĐ 12.pdf` → `QĐ 12 (da ky).pdf`, detached
/// signatures `QĐ 12.docx.p7s`.
fn signed_name(name: &str, format: SignatureFormat) -> String {
    match format {
        SignatureFormat::Pades => match name.rsplit_once('.') {
            Some((stem, extension)) => format!("{stem} (đã ký).{extension}"),
            None => format!("{name} (đã ký).pdf"),
        },
        SignatureFormat::Cms => format!("{name}.p7s"),
    }
}

impl From<ArchiveError> for DocsError {
    fn from(error: ArchiveError) -> Self {
        match error {
            ArchiveError::NoSigningIdentity { username, reason } => {
                DocsError::NoSigningCertificate { username, reason }
            }
            ArchiveError::NotSigner { username, reason } => {
                DocsError::NoSigningCertificate { username, reason }
            }
            ArchiveError::MediaTypeMismatch { .. } | ArchiveError::TooLarge { .. } => {
                DocsError::File(error.to_string())
            }
            // A PDF the signer cannot read (corrupt, encrypted) is the
            // user's file, not our failure.
            ArchiveError::Pki(congso_pki::Error::Pdf(pdf)) => DocsError::File(pdf.to_string()),
            ArchiveError::Tsa { .. } => DocsError::Signing(error.to_string()),
            ArchiveError::SignatureInvalid { .. } => DocsError::Signing(error.to_string()),
            ArchiveError::Store(store) => DocsError::from(store),
            other => DocsError::Archive(other.to_string()),
        }
    }
}

impl Service {
    /// Attaches the node's archive (and through it the node PKI and its
    /// signing service): from now on registration, issuing and dispatch
    /// archive the document, and [`Service::sign`] can sign.
    pub fn with_archive(mut self, archive: Archive) -> Service {
        self.archive = Some(archive);
        self
    }

    /// The attached archive, if any.
    pub fn archive(&self) -> Option<&Archive> {
        self.archive.as_ref()
    }

    fn require_archive(&self) -> Result<&Archive> {
        self.archive.as_ref().ok_or_else(|| {
            DocsError::Archive("this node has no signing service and archive attached".to_owned())
        })
    }

    /// The leader's sign step: signs the document's newest original with the
    /// acting user's certificate through the node's signing service — a PDF
    /// as PAdES B-T with the Decree 30 visible signature block on its last
    /// page, any other file as a detached CMS — with a timestamp from the
    /// node's TSA (or the configured external one), then records the signed
    /// file and takes the workflow's sign step ([`Service::mark_signed`]).
    ///
    /// Everything that can refuse is checked before anything is signed: the
    /// step, the actor's role, that the document has an original, and that
    /// the actor holds a usable certificate.
    pub async fn sign(&self, acting: &Acting, id: i64) -> Result<SignedDocument> {
        let archive = self.require_archive()?;
        let row = self.visible(acting, id).await?;
        let direction = Self::direction_of(&row)?;
        let workflow = self.workflows().get(direction);
        let step = workflow
            .with_effect(&row.state, Effect::Sign)
            .ok_or_else(|| {
                DocsError::Workflow(format!(
                    "document {id} cannot be signed in state {:?}",
                    row.state
                ))
            })?;
        self.check_step(acting, &row, workflow, &step.name.clone())?;
        let files = store::files(self.database(), acting.viewer(), id).await?;
        // The newest original: a draft revised by the specialist carries its
        // earlier versions too, unchanged, and the leader signs the last one.
        let original = files
            .iter()
            .filter(|file| file.kind == FileKind::Original.code())
            .max_by_key(|file| file.id)
            .ok_or_else(|| {
                DocsError::File(format!(
                    "document {id} has no original file to sign; the drafter attaches it first"
                ))
            })?;
        let pki = archive.pki();
        // Fails early with a clear message when the leader has no usable
        // certificate (none issued, revoked, expired).
        pki.identity_for(&acting.username).await?;
        let blob = blob_of(original)?;
        let is_pdf = essence(&original.mime) == "application/pdf";
        let visible = if is_pdf {
            let bytes = archive
                .blobs()
                .get_bytes(&blob.sha256)
                .await
                .map_err(DocsError::from)?;
            let pages = tokio::task::spawn_blocking(move || congso_pki::pdf_page_count(&bytes))
                .await
                .map_err(|error| DocsError::Io(std::io::Error::other(error)))?
                .map_err(|error| DocsError::File(error.to_string()))?;
            Some(VisibleSignature::decree30(pages.max(1)))
        } else {
            None
        };
        let record = pki
            .sign(
                self.ledger(),
                archive.blobs(),
                &acting.actor(),
                SignRequest {
                    username: acting.username.clone(),
                    document_id: Some(id),
                    file_name: original.name.clone(),
                    media_type: original.mime.clone(),
                    content: SignContent::Blob(blob),
                    visible,
                    reason: Some("Ký ban hành văn bản".to_owned()),
                    location: Some(self.agency().place.clone()),
                },
            )
            .await?;
        let transition = self
            .mark_signed(
                acting,
                id,
                SignedFile {
                    sha256: record.signed.sha256,
                    size: record.signed.size,
                    mime: record.format.output_media_type().to_owned(),
                    name: signed_name(&original.name, record.format),
                },
                &record.id.to_string(),
            )
            .await?;
        Ok(SignedDocument {
            transition,
            signature_id: record.id,
            format: record.format.code().to_owned(),
            verdict: verdict_code(record.report.verdict).to_owned(),
            timestamp_at: record.timestamp_at.map(|at| at.micros()),
        })
    }

    /// The signatures of a document with the validation report made when
    /// each was signed (reasons in Vietnamese for the clerk).
    pub async fn signatures(&self, acting: &Acting, id: i64) -> Result<Vec<SignatureInfo>> {
        self.visible(acting, id).await?;
        let rows = store::signatures(self.database(), acting.viewer(), id).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Ok(signature_id) = row.signature_record.parse::<i64>() else {
                continue;
            };
            let Some(stored) =
                congso_store::archive::get_signature(self.database(), signature_id).await?
            else {
                continue;
            };
            let report: ReportView = serde_json::from_str(&stored.report).unwrap_or_default();
            out.push(SignatureInfo {
                signature_id,
                signer: stored.signer,
                signer_name: row.signer_name,
                cert_serial: stored.cert_serial,
                format: stored.format,
                file_name: stored.file_name,
                signed_at: stored.signed_at,
                timestamp_at: stored.timestamp_at,
                tsa: stored.tsa,
                verdict: stored.verdict,
                report,
                ledger_seq: stored.ledger_seq,
            });
        }
        Ok(out)
    }

    /// The archive items of a document.
    pub async fn archive_items(&self, acting: &Acting, id: i64) -> Result<Vec<ArchiveItemInfo>> {
        self.visible(acting, id).await?;
        let items = congso_store::archive::items_for_document(self.database(), id).await?;
        Ok(items
            .into_iter()
            .map(|item| {
                let stage = serde_json::from_str::<serde_json::Value>(&item.metadata)
                    .ok()
                    .and_then(|value| value["stage"].as_str().map(str::to_owned));
                ArchiveItemInfo {
                    id: item.id,
                    stage,
                    event_at: item.event_at,
                    verdict: item.verdict,
                    files: item.files.len(),
                    ledger_seq: item.ledger_seq,
                    archived_at: item.archived_at,
                }
            })
            .collect())
    }

    /// Writes the archive package of a document (every archive item of it,
    /// with files, signatures, validation reports, ledger proofs and the
    /// signed checkpoint they refer to) to `path`. Whoever may see the
    /// document may take its package; a secret document's package goes
    /// only to those, exactly like the document.
    pub async fn export_package(
        &self,
        acting: &Acting,
        id: i64,
        path: &Path,
    ) -> Result<PackageSummary> {
        let archive = self.require_archive()?;
        acting.require(Action::DocumentView)?;
        self.visible(acting, id).await?;
        let items = congso_store::archive::items_for_document(self.database(), id).await?;
        let ids: Vec<i64> = items
            .iter()
            .filter(|item| item.ledger_seq.is_some())
            .map(|item| item.id)
            .collect();
        if ids.is_empty() {
            return Err(DocsError::Workflow(format!(
                "document {id} has not been archived yet (it is archived when it is registered, issued or dispatched)"
            )));
        }
        Ok(archive.export_package(self.ledger(), &ids, path).await?)
    }

    /// Archives a document after the step that calls for it (a no-op
    /// without an archive attached).
    pub(crate) async fn archive_after(
        &self,
        actor: &Actor,
        id: i64,
        stage: ArchiveStage,
    ) -> Result<Option<ArchivedItem>> {
        let Some(archive) = &self.archive else {
            return Ok(None);
        };
        let input = self
            .archive_input(id, stage)
            .await
            .map_err(|error| archive_failed(id, error))?;
        let item = archive
            .archive_item(self.ledger(), actor, input)
            .await
            .map_err(|error| archive_failed(id, error))?;
        Ok(Some(item))
    }

    /// The archive input of a document at a stage: its metadata (the
    /// Decree 30 fields, register facts, Dublin Core, times), its metadata
    /// as edXML, and its files — originals, attachments, renditions, the
    /// signed PDF or the detached signature over the original.
    async fn archive_input(&self, id: i64, stage: ArchiveStage) -> Result<ArchiveInput> {
        let row = store::get_document_unchecked(self.database(), id)
            .await?
            .ok_or(DocsError::NotFound(id))?;
        let metadata = Self::parse_metadata(&row)?;
        let direction = Self::direction_of(&row)?;
        let files = store::files(self.database(), ARCHIVIST, id).await?;
        let event_at = match stage {
            ArchiveStage::Received => row.arrived_at.or(row.registered_at),
            ArchiveStage::Issued => row.issued_at,
            ArchiveStage::Dispatched => row.dispatched_at,
        }
        .unwrap_or(row.updated_at);

        let mut inputs: Vec<InputFile> = Vec::new();
        let mut excluded = Vec::new();
        let mut last_original: Option<usize> = None;
        for file in &files {
            let kind = file.kind.as_str();
            let mime = essence(&file.mime);
            // Archive packages never nest archives; a zip attached to a
            // document stays in the working store and is listed as such.
            if mime == "application/zip" {
                excluded.push(serde_json::json!({
                    "name": file.name,
                    "sha256": hex::encode(&file.sha256),
                    "reason": "zip archives are not nested in archive packages",
                }));
                continue;
            }
            let (role, signs) = match kind {
                "original" => (FileRole::Original, None),
                "attachment" => (FileRole::Attachment, None),
                "rendition" => (FileRole::Rendition, None),
                "signed" if mime == "application/pdf" => (FileRole::Signed, None),
                // A detached signature covers the newest original before it.
                "signed" => match last_original {
                    Some(index) => (FileRole::Signature, Some(index)),
                    None => continue,
                },
                _ => continue,
            };
            if role == FileRole::Original {
                last_original = Some(inputs.len());
            }
            inputs.push(InputFile {
                role,
                name: file.name.clone(),
                media_type: if mime.is_empty() {
                    "application/octet-stream".to_owned()
                } else {
                    mime
                },
                content: FileContent::Stored(blob_of(file)?),
                signs,
            });
        }

        let edxml = self.metadata_edxml(&row, &metadata, direction)?;
        if inputs.is_empty() {
            // A document registered from paper without a scan: its record
            // is its metadata, archived as the edXML envelope.
            inputs.push(InputFile {
                role: FileRole::Original,
                name: format!("van-ban-{id}.edxml"),
                media_type: "application/xml".to_owned(),
                content: FileContent::Bytes(edxml.clone()),
                signs: None,
            });
        }

        let types = self.types();
        let formats: Vec<String> = files.iter().map(|file| essence(&file.mime)).collect();
        let dublin_core = metadata.to_dublin_core(
            types,
            row.number_notation.as_deref(),
            row.issue_date.as_deref().and_then(parse_iso_date),
            &formats,
        );
        let agency = self.agency();
        let json = serde_json::json!({
            "format": "congso-document-record",
            "version": 1,
            "stage": stage.code(),
            "document_id": row.id,
            "direction": row.direction,
            "organization": {
                "organ_code": agency.organ_code,
                "name": agency.name,
            },
            "register": {
                "book": row.book,
                "series": row.series,
                "year": row.register_year,
                "number": row.register_number,
                "number_notation": row.number_notation,
                "issue_date": row.issue_date,
                "edxml_document_id": row.edxml_document_id,
            },
            "state": row.state,
            "recalled_at": moment(row.recalled_at),
            "recall_reason": row.recall_reason,
            "times": {
                "arrived_at": moment(row.arrived_at),
                "registered_at": moment(row.registered_at),
                "signed_at": moment(row.signed_at),
                "issued_at": moment(row.issued_at),
                "dispatched_at": moment(row.dispatched_at),
            },
            "metadata": metadata,
            "dublin_core": dublin_core,
            "files": files.iter().map(|file| serde_json::json!({
                "id": file.id,
                "kind": file.kind,
                "name": file.name,
                "mime": file.mime,
                "sha256": hex::encode(&file.sha256),
                "size": file.size,
                "source_file_id": file.source_file_id,
                "rendition_kind": file.rendition_kind,
            })).collect::<Vec<_>>(),
            "excluded_files": excluded,
        });
        Ok(ArchiveInput {
            document_id: Some(row.id),
            direction: match direction {
                Direction::Incoming => congso_archive::Direction::Received,
                Direction::Outgoing => congso_archive::Direction::Issued,
            },
            event_at: congso_core::time::Timestamp(event_at),
            metadata: json,
            edxml: Some(edxml),
            files: inputs,
        })
    }

    /// The document's metadata as an edXML envelope without attachments
    /// (the files are archived beside it). A received document names its
    /// sender in `From`; an issued one names this agency.
    fn metadata_edxml(
        &self,
        row: &DocumentRow,
        metadata: &DocumentMetadata,
        direction: Direction,
    ) -> Result<Bytes> {
        let mut metadata = metadata.clone();
        if let Some(issue_date) = row.issue_date.as_deref().and_then(parse_iso_date) {
            metadata.issue_date = Some(issue_date);
        }
        let from = match direction {
            Direction::Outgoing => self.agency().own(),
            Direction::Incoming => {
                let sender = metadata.sender.clone().unwrap_or_default();
                OwnOrganization {
                    organ_code: sender.organ_code.unwrap_or_default(),
                    name: sender.name,
                    address: None,
                    email: None,
                    phone: None,
                    website: None,
                }
            }
        };
        let (number_text, notation) = match direction {
            Direction::Outgoing => (row.number_text.as_deref(), row.notation.as_deref()),
            Direction::Incoming => (metadata.number.as_deref(), metadata.notation.as_deref()),
        };
        let type_label = metadata.type_label(self.types());
        let message = edxml_map::edoc_from_metadata(
            &metadata,
            &ExportFacts {
                organization: &from,
                number_text,
                notation,
                type_name: &type_label,
                now: crate::service::naive(crate::now()),
                staff_name: None,
                staff_unit: None,
                business: congso_edxml::BussinessDocType::New,
                business_reason: None,
                replacements: Vec::new(),
                attachments: Vec::new(),
            },
        );
        let bytes = congso_edxml::write_edoc(&message, Vec::new())
            .map_err(|error| DocsError::Export(error.to_string()))?;
        Ok(Bytes::from(bytes))
    }

    /// Archives documents whose archiving is due but missing (a failed or
    /// interrupted archive step): registered incoming documents without an
    /// archive item, issued ones without one, dispatched ones without the
    /// second. Returns how many items were archived. Run by the node at
    /// start-up and then periodically.
    pub async fn reconcile_archive(&self, limit: u32) -> Result<usize> {
        if self.archive.is_none() {
            return Ok(0);
        }
        let due = store::archive_due(
            self.database(),
            self.agency().organization_id,
            0,
            limit.max(1),
        )
        .await?;
        let mut archived = 0;
        for document in due {
            let stages: &[ArchiveStage] = match (
                document.direction.as_str(),
                document.items,
                document.dispatched_at.is_some(),
            ) {
                ("incoming", _, _) => &[ArchiveStage::Received],
                (_, 0, true) => &[ArchiveStage::Issued, ArchiveStage::Dispatched],
                (_, 0, false) => &[ArchiveStage::Issued],
                _ => &[ArchiveStage::Dispatched],
            };
            for stage in stages {
                match self
                    .archive_after(&Actor::System, document.document_id, *stage)
                    .await
                {
                    Ok(Some(_)) => archived += 1,
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(document = document.document_id, %error, "archiving still fails");
                    }
                }
            }
        }
        Ok(archived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_files_keep_the_original_name() {
        assert_eq!(
            signed_name("QĐ 12.pdf", SignatureFormat::Pades),
            "QĐ 12 (đã ký).pdf"
        );
        assert_eq!(
            signed_name("Công văn.docx", SignatureFormat::Cms),
            "Công văn.docx.p7s"
        );
    }

    #[test]
    fn stored_reports_read_back() {
        let json = r#"{"verdict":"valid","reasons":[],"signatures":[{"field_name":"Signature1",
            "verdict":"valid","reasons":[{"code":"DIGEST_OK","severity":"passed","vi":"Đúng","en":"ok"}],
            "details":{"signer_name":"Nguyễn Văn A","timestamp":{"time":"2026-01-01T00:00:00Z","tsa":"CN=TSA","chain":[]},
            "validation_time":"x","validation_time_source":"timestamp","chain":[],"revocation":[]}}]}"#;
        let view: ReportView = serde_json::from_str(json).unwrap();
        assert_eq!(view.verdict, "valid");
        assert_eq!(
            view.signatures[0].details.signer_name.as_deref(),
            Some("Nguyễn Văn A")
        );
        assert_eq!(view.signatures[0].reasons[0].vi, "Đúng");
    }
}
