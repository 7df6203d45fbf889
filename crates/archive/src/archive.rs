//! The archive (Decree 64 Art. 38): recording an issued or received
//! document with its metadata, event time, file hashes, validation report
//! and a ledger entry; and re-checking everything archived.

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use bytes::Bytes;
use congso_core::audit::Actor;
use congso_core::time::Timestamp;
use congso_ledger::checkpoint::Checkpoint;
use congso_ledger::note::{self, Ed25519Verifier};
use congso_ledger::{leaf_hash, Hash, Tree};
use congso_pki::{DigestAlgorithm, ValidationReport, Verdict, VerifyOptions};
use congso_store::archive::{self as store, ArchiveItem, Direction, FileRole, NewArchiveFile};
use congso_store::blob::{BlobRef, BlobStore};
use congso_store::ledger::{self, Ledger};
use congso_store::{Db, StoreError};
use futures::StreamExt;
use serde::Serialize;
use sha2::Digest;

use crate::error::ArchiveError;
use crate::events::Event;
use crate::node_pki::{NodePki, Trust};
use crate::record::ArchiveRecord;
use crate::signing::{essence, load_blob, looks_like_pdf, verdict_code, MAX_SIGN_BYTES};
use crate::writer::{ItemWriter, PendingItem};
use crate::{rfc3339, sha256_hex};

type Result<T, E = ArchiveError> = std::result::Result<T, E>;

/// Largest metadata JSON accepted (the Decree 30 fields are a few kilobytes).
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;
/// Most files in one archived item.
pub const MAX_FILES: usize = 1000;

/// Where a file's bytes come from.
#[derive(Debug, Clone)]
pub enum FileContent {
    /// Bytes not yet stored.
    Bytes(Bytes),
    /// A blob already in the store (an original registered earlier, the
    /// output of [`NodePki::sign`]).
    Stored(BlobRef),
}

/// One file of a document to archive.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub role: FileRole,
    /// The file name as the document knows it (no directories).
    pub name: String,
    pub media_type: String,
    pub content: FileContent,
    /// For a detached signature or a timestamp: the index (in
    /// [`ArchiveInput::files`]) of the file it covers.
    pub signs: Option<usize>,
}

/// A document to archive, described without the documents model so the
/// documents layer (or an operator) can fill it from anything.
#[derive(Debug, Clone)]
pub struct ArchiveInput {
    /// The `documents.id` this archives, if any.
    pub document_id: Option<i64>,
    pub direction: Direction,
    /// When the document was sent (issued) or entered the system (received).
    pub event_at: Timestamp,
    /// The document's metadata (Decree 30 / edXML fields), a JSON object.
    pub metadata: serde_json::Value,
    /// The document as edXML, when the documents layer has it.
    pub edxml: Option<Bytes>,
    pub files: Vec<InputFile>,
}

/// The signature check of one archived file.
#[derive(Debug, Clone, Serialize)]
pub struct FileValidation {
    pub position: usize,
    pub name: String,
    pub role: FileRole,
    pub verdict: String,
    pub report: ValidationReport,
}

/// The validation report of an archived item (stored as JSON, hashed into
/// the record).
#[derive(Debug, Clone, Serialize)]
pub struct ItemValidation {
    /// Worst verdict of the files, or `unsigned` when nothing carries a signature.
    pub verdict: String,
    pub checked_at: String,
    pub files: Vec<FileValidation>,
}

/// An item just archived.
#[derive(Debug, Clone, Serialize)]
pub struct ArchivedItem {
    pub id: i64,
    pub record: ArchiveRecord,
    pub record_sha256: String,
    pub ledger_seq: u64,
    pub validation: ItemValidation,
}

/// One thing `verify` found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveProblem {
    /// The archived item, when the problem belongs to one.
    pub item: Option<i64>,
    /// A stable code, e.g. `BLOB_ALTERED`.
    pub code: &'static str,
    pub message: String,
}

/// What [`Archive::verify`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ArchiveVerifyReport {
    pub items: u64,
    pub files: u64,
    pub signatures_checked: u64,
    /// The signed checkpoint inclusion was proven against.
    pub checkpoint_size: u64,
    /// Items recorded after the latest signed checkpoint: their entries are
    /// intact but not yet covered by a signature.
    pub uncovered_items: u64,
    /// Tampering or loss: the archive is not intact.
    pub problems: Vec<ArchiveProblem>,
    /// Changes that are not tampering, e.g. an untimestamped signature whose
    /// certificate has since expired.
    pub notes: Vec<ArchiveProblem>,
}

impl ArchiveVerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, item: Option<i64>, code: &'static str, message: impl Into<String>) {
        self.problems.push(ArchiveProblem {
            item,
            code,
            message: message.into(),
        });
    }
}

/// The archive service over the node's storage.
#[derive(Debug, Clone)]
pub struct Archive {
    pki: NodePki,
    blobs: BlobStore,
    /// The group-commit writer, started on first use (inside the runtime).
    writer: std::sync::Arc<std::sync::OnceLock<ItemWriter>>,
}

/// Checks a file name: a plain name, no directories, no control characters.
fn check_name(name: &str) -> Result<()> {
    let bad = |reason: &str| {
        Err(ArchiveError::Invalid(format!(
            "file name {name:?} {reason}"
        )))
    };
    if name.trim().is_empty() {
        return bad("is empty");
    }
    if name.chars().count() > 255 {
        return bad("is longer than 255 characters");
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return bad("contains a directory separator or a control character");
    }
    if name == "." || name == ".." {
        return bad("is not a file name");
    }
    Ok(())
}

fn check_media_type(name: &str, media_type: &str) -> Result<()> {
    let essence = essence(media_type);
    let valid = essence.len() <= 127
        && essence.split_once('/').is_some_and(|(kind, sub)| {
            !kind.is_empty()
                && !sub.is_empty()
                && essence
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/.+-_".contains(&b))
        });
    if valid {
        Ok(())
    } else {
        Err(ArchiveError::Invalid(format!(
            "{name}: {media_type:?} is not a media type"
        )))
    }
}

/// The worst of several verdicts, as stored codes.
fn worst(verdicts: impl Iterator<Item = Verdict>) -> Option<Verdict> {
    verdicts.max()
}

/// SHA-256, SHA-384 and SHA-512 of a blob in one streaming pass, for
/// checking detached signatures over files of any size.
async fn blob_digests(blobs: &BlobStore, sha256: &[u8; 32]) -> Result<[Vec<u8>; 3]> {
    let mut stream = blobs.get_stream(sha256).await?;
    let mut s256 = sha2::Sha256::new();
    let mut s384 = sha2::Sha384::new();
    let mut s512 = sha2::Sha512::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        s256.update(&chunk);
        s384.update(&chunk);
        s512.update(&chunk);
    }
    Ok([
        s256.finalize().to_vec(),
        s384.finalize().to_vec(),
        s512.finalize().to_vec(),
    ])
}

fn pick(digests: &[Vec<u8>; 3], algorithm: DigestAlgorithm) -> Vec<u8> {
    match algorithm {
        DigestAlgorithm::Sha256 => digests[0].clone(),
        DigestAlgorithm::Sha384 => digests[1].clone(),
        DigestAlgorithm::Sha512 => digests[2].clone(),
    }
}

/// A file as the checks see it: where it is and what it is.
struct Located {
    role: FileRole,
    name: String,
    blob: BlobRef,
    signs: Option<usize>,
}

/// Checks the signature carried by `files[index]` (a signed PDF, a
/// detached signature or a timestamp over another file). `None` for files
/// that carry no signature.
async fn check_file(
    blobs: &BlobStore,
    files: &[Located],
    index: usize,
    options: &VerifyOptions,
) -> Result<Option<ValidationReport>> {
    let Some(file) = files.get(index) else {
        return Ok(None);
    };
    match file.role {
        FileRole::Signed => {
            let bytes = load_blob(blobs, &file.blob, &file.name, MAX_SIGN_BYTES).await?;
            let options = options.clone();
            let report =
                tokio::task::spawn_blocking(move || congso_pki::verify_pdf(&bytes, &options))
                    .await??;
            Ok(Some(report))
        }
        FileRole::Signature | FileRole::Timestamp => {
            let target = file
                .signs
                .and_then(|position| files.get(position))
                .ok_or_else(|| {
                    ArchiveError::Invalid(format!("{} does not name the file it covers", file.name))
                })?;
            let token = load_blob(blobs, &file.blob, &file.name, 16 * 1024 * 1024).await?;
            let options = options.clone();
            if file.role == FileRole::Signature {
                let digests = blob_digests(blobs, &target.blob.sha256).await?;
                let report = tokio::task::spawn_blocking(move || {
                    congso_pki::verify_detached_with(&|alg| pick(&digests, alg), &token, &options)
                })
                .await?;
                Ok(Some(report))
            } else {
                let data = load_blob(blobs, &target.blob, &target.name, MAX_SIGN_BYTES).await?;
                let report = tokio::task::spawn_blocking(move || {
                    congso_pki::verify_timestamp_token(&token, &data, &options)
                })
                .await?;
                Ok(Some(report))
            }
        }
        _ => Ok(None),
    }
}

impl Archive {
    pub fn new(pki: NodePki, blobs: BlobStore) -> Self {
        Archive {
            pki,
            blobs,
            writer: Default::default(),
        }
    }

    pub fn db(&self) -> &Db {
        self.pki.db()
    }

    pub fn pki(&self) -> &NodePki {
        &self.pki
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// A stored item.
    pub async fn item(&self, id: i64) -> Result<Option<ArchiveItem>> {
        Ok(store::get_item(self.db(), id).await?)
    }

    /// Archives a document: stores its files (originals are never
    /// replaced; renditions and signatures sit beside them), checks every
    /// signature it carries, and records the item in the ledger. Refuses,
    /// leaving nothing recorded, input that is malformed: unnamed or
    /// misnamed files, a "signed" file that is not a PDF, a signature that
    /// names no file, metadata that is not a JSON object.
    pub async fn archive_item(
        &self,
        ledger: &Ledger,
        actor: &Actor,
        input: ArchiveInput,
    ) -> Result<ArchivedItem> {
        if input.files.is_empty() {
            return Err(ArchiveError::Invalid(
                "an archived item needs at least one file".into(),
            ));
        }
        if input.files.len() > MAX_FILES {
            return Err(ArchiveError::Invalid(format!(
                "an archived item holds at most {MAX_FILES} files"
            )));
        }
        if !input.metadata.is_object() {
            return Err(ArchiveError::Invalid(
                "metadata must be a JSON object".into(),
            ));
        }
        let metadata = serde_json::to_string(&input.metadata)
            .map_err(|error| ArchiveError::Invalid(format!("metadata: {error}")))?;
        if metadata.len() > MAX_METADATA_BYTES {
            return Err(ArchiveError::Invalid(format!(
                "metadata is {} bytes; at most {MAX_METADATA_BYTES} are accepted",
                metadata.len()
            )));
        }
        for (index, file) in input.files.iter().enumerate() {
            check_name(&file.name)?;
            check_media_type(&file.name, &file.media_type)?;
            let needs_target = matches!(file.role, FileRole::Signature | FileRole::Timestamp);
            match (needs_target, file.signs) {
                (true, None) => {
                    return Err(ArchiveError::Invalid(format!(
                        "{} is a {} but does not say which file it covers",
                        file.name,
                        file.role.code()
                    )))
                }
                (false, Some(_)) => {
                    return Err(ArchiveError::Invalid(format!(
                        "{} is a {} and cannot cover another file",
                        file.name,
                        file.role.code()
                    )))
                }
                (true, Some(target)) if target >= input.files.len() || target == index => {
                    return Err(ArchiveError::Invalid(format!(
                        "{} covers file {target}, which is not another file of this item",
                        file.name
                    )))
                }
                _ => {}
            }
        }

        // Store the files first (content-addressed: storing again is a
        // no-op, and an unreferenced blob is harmless), then check them.
        let mut located = Vec::with_capacity(input.files.len());
        for file in &input.files {
            let head = match &file.content {
                FileContent::Bytes(bytes) => bytes.slice(..bytes.len().min(8)),
                FileContent::Stored(blob) => match self.blobs.read_head(&blob.sha256, 8).await {
                    Ok(head) => head,
                    Err(StoreError::NotFound { .. }) => {
                        return Err(ArchiveError::Invalid(format!(
                            "{}: blob {} is not in the store",
                            file.name,
                            blob.hex()
                        )))
                    }
                    Err(error) => return Err(error.into()),
                },
            };
            if crate::package::is_nested_archive(&head, &file.media_type)
                || (crate::package::is_archive_name(&file.name)
                    && !crate::package::is_zip_document(&file.media_type))
            {
                return Err(ArchiveError::Invalid(format!(
                    "{} is an archive (zip or similar); archive packages never nest archives, so archive its files one by one",
                    file.name
                )));
            }
            let blob = match &file.content {
                FileContent::Bytes(bytes) => {
                    if file.role == FileRole::Signed && !looks_like_pdf(bytes) {
                        return Err(ArchiveError::MediaTypeMismatch {
                            name: file.name.clone(),
                            declared: "signed PDF".to_owned(),
                            actual: "not a PDF".to_owned(),
                        });
                    }
                    self.blobs.put_bytes(bytes.clone()).await?
                }
                // Its first bytes were just read above, so it is stored.
                FileContent::Stored(blob) => *blob,
            };
            if file.role == FileRole::Signed && essence(&file.media_type) != "application/pdf" {
                return Err(ArchiveError::MediaTypeMismatch {
                    name: file.name.clone(),
                    declared: essence(&file.media_type),
                    actual: "a signed PDF".to_owned(),
                });
            }
            located.push(Located {
                role: file.role,
                name: file.name.clone(),
                blob,
                signs: file.signs,
            });
        }
        let edxml = match &input.edxml {
            Some(bytes) => Some(self.blobs.put_bytes(bytes.clone()).await?),
            None => None,
        };

        // The trust anchors and CRL are read only when a file carries a
        // signature or timestamp to check (most received documents do not).
        let needs_check = located.iter().any(|file| {
            matches!(
                file.role,
                FileRole::Signed | FileRole::Signature | FileRole::Timestamp
            )
        });
        let options = if needs_check {
            Some(self.pki.trust().await?.options(SystemTime::now()))
        } else {
            None
        };
        let mut validations = Vec::new();
        let mut file_verdicts: HashMap<usize, String> = HashMap::new();
        for index in 0..located.len() {
            let Some(options) = &options else {
                break;
            };
            let report = match check_file(&self.blobs, &located, index, options).await {
                Ok(Some(report)) => report,
                Ok(None) => continue,
                // A signed file that is not even a readable PDF cannot be archived as signed.
                Err(ArchiveError::Pki(error)) => {
                    return Err(ArchiveError::Invalid(format!(
                        "{}: {error}",
                        located[index].name
                    )))
                }
                Err(error) => return Err(error),
            };
            let verdict = verdict_code(report.verdict).to_owned();
            file_verdicts.insert(index, verdict.clone());
            validations.push(FileValidation {
                position: index,
                name: located[index].name.clone(),
                role: located[index].role,
                verdict,
                report,
            });
        }
        let verdict = worst(validations.iter().map(|v| v.report.verdict))
            .map(verdict_code)
            .unwrap_or("unsigned")
            .to_owned();
        let validation = ItemValidation {
            verdict: verdict.clone(),
            checked_at: rfc3339(congso_store::now()),
            files: validations,
        };
        let report = serde_json::to_string(&validation)
            .map_err(|error| ArchiveError::Invalid(format!("report: {error}")))?;

        let files: Vec<NewArchiveFile> = located
            .iter()
            .enumerate()
            .map(|(index, file)| NewArchiveFile {
                role: file.role,
                name: file.name.clone(),
                media_type: essence(&input.files[index].media_type),
                sha256: file.blob.hex(),
                size: i64::try_from(file.blob.size).unwrap_or(i64::MAX),
                signs: file.signs.map(|target| target as i64),
                verdict: file_verdicts.get(&index).cloned(),
            })
            .collect();
        let mut new = store::NewArchiveItem {
            document_id: input.document_id,
            direction: input.direction,
            event_at: input.event_at.micros(),
            metadata_sha256: sha256_hex(metadata.as_bytes()),
            metadata,
            edxml_sha256: edxml.map(|blob| blob.hex()),
            edxml_size: edxml.map(|blob| i64::try_from(blob.size).unwrap_or(i64::MAX)),
            verdict,
            report_sha256: sha256_hex(report.as_bytes()),
            report,
            record_sha256: String::new(),
            archived_at: congso_store::now().micros(),
            archived_by: actor.to_code(),
            files,
        };
        let record = record_of_new(&new);
        let record_sha256 = record.sha256_hex();
        new.record_sha256.clone_from(&record_sha256);
        let mut record_hash = [0u8; 32];
        hex::decode_to_slice(&record_sha256, &mut record_hash)
            .map_err(|error| ArchiveError::Invalid(format!("record hash: {error}")))?;
        let details = serde_json::json!({
            "document_id": input.document_id,
            "direction": input.direction.code(),
            "verdict": record.verdict,
            "files": record.files.len(),
        });
        let writer = self
            .writer
            .get_or_init(|| ItemWriter::start(self.db().clone()));
        let (id, ledger_seq) = writer
            .write(PendingItem {
                item: new,
                ledger: ledger.clone(),
                actor: actor.clone(),
                record_hash,
                details,
            })
            .await?;
        Ok(ArchivedItem {
            id,
            record,
            record_sha256,
            ledger_seq,
            validation,
        })
    }

    /// Re-checks every archived item: its blobs are present and hash to
    /// their names, its metadata and report match their hashes, its record
    /// matches the ledger entry, the entry is included in the latest signed
    /// checkpoint, and every signature still gets the verdict it was
    /// archived with. Also finds items the ledger recorded that are gone.
    pub async fn verify(&self, verifier: &Ed25519Verifier) -> Result<ArchiveVerifyReport> {
        let mut report = ArchiveVerifyReport::default();
        let db = self.db();
        let proofs = LedgerView::load(db, verifier, &mut report).await?;
        let trust = self.pki.trust().await?;

        let mut stored_ids = HashSet::new();
        let mut after = 0;
        loop {
            let ids = store::item_ids(db, after, 500).await?;
            let Some(last) = ids.last() else {
                break;
            };
            after = *last;
            for id in ids {
                stored_ids.insert(id);
                let Some(item) = store::get_item(db, id).await? else {
                    continue;
                };
                report.items += 1;
                self.verify_item(&item, &proofs, &trust, &mut report)
                    .await?;
            }
        }
        // Every item the ledger says was archived must still be stored.
        for (seq, target) in store::ledger_targets(db, Event::ArchiveRecorded.code()).await? {
            let id = target
                .strip_prefix("archive:")
                .and_then(|id| id.parse::<i64>().ok());
            match id {
                Some(id) if stored_ids.contains(&id) => {}
                Some(id) => report.problem(
                    Some(id),
                    "ITEM_DELETED",
                    format!("the ledger recorded archive item {id} at entry {seq}, but it is no longer stored"),
                ),
                None => report.problem(
                    None,
                    "LEDGER_ENTRY_MISMATCH",
                    format!("ledger entry {seq} records an archive item with a malformed target {target:?}"),
                ),
            }
        }
        Ok(report)
    }

    async fn verify_item(
        &self,
        item: &ArchiveItem,
        proofs: &LedgerView,
        trust: &Trust,
        report: &mut ArchiveVerifyReport,
    ) -> Result<()> {
        let id = Some(item.id);
        if sha256_hex(item.metadata.as_bytes()) != item.metadata_sha256 {
            report.problem(
                id,
                "METADATA_ALTERED",
                format!(
                    "archive item {}: the stored metadata no longer matches its hash",
                    item.id
                ),
            );
        }
        if sha256_hex(item.report.as_bytes()) != item.report_sha256 {
            report.problem(
                id,
                "REPORT_ALTERED",
                format!(
                    "archive item {}: the stored validation report no longer matches its hash",
                    item.id
                ),
            );
        }
        let record_sha256 = ArchiveRecord::of_item(item).sha256_hex();
        if record_sha256 != item.record_sha256 {
            report.problem(
                id,
                "RECORD_ALTERED",
                format!(
                    "archive item {}: its columns no longer give the record that was archived",
                    item.id
                ),
            );
        }
        self.check_ledger(item, &record_sha256, proofs, report)
            .await?;

        // Blobs: present, and hashing to their names.
        let mut located = Vec::with_capacity(item.files.len());
        let mut readable = vec![true; item.files.len()];
        let mut blob_refs: Vec<(String, Option<&str>)> = item
            .files
            .iter()
            .map(|file| (file.name.clone(), Some(file.sha256.as_str())))
            .collect();
        if let Some(edxml) = &item.edxml_sha256 {
            blob_refs.push(("edXML".to_owned(), Some(edxml.as_str())));
        }
        for (index, (name, hash)) in blob_refs.iter().enumerate() {
            let Some(hash) = hash else { continue };
            report.files += 1;
            let sha256 = match congso_store::blob::parse_hash(hash) {
                Ok(sha256) => sha256,
                Err(_) => {
                    report.problem(
                        id,
                        "RECORD_ALTERED",
                        format!("archive item {}: {name} has a malformed hash", item.id),
                    );
                    if let Some(flag) = readable.get_mut(index) {
                        *flag = false;
                    }
                    continue;
                }
            };
            let ok = match self.blobs.verify(&sha256).await {
                Ok(true) => true,
                Ok(false) => {
                    report.problem(
                        id,
                        "BLOB_ALTERED",
                        format!(
                            "archive item {}: {name} (blob {hash}) no longer hashes to its name",
                            item.id
                        ),
                    );
                    false
                }
                Err(StoreError::NotFound { .. }) => {
                    report.problem(
                        id,
                        "BLOB_MISSING",
                        format!(
                            "archive item {}: {name} (blob {hash}) is missing from the blob store",
                            item.id
                        ),
                    );
                    false
                }
                Err(error) => return Err(error.into()),
            };
            if let Some(flag) = readable.get_mut(index) {
                *flag = ok;
            }
        }
        for file in &item.files {
            let blob = congso_store::blob::parse_hash(&file.sha256)
                .map(|sha256| BlobRef {
                    sha256,
                    size: u64::try_from(file.size).unwrap_or(0),
                })
                .unwrap_or(BlobRef {
                    sha256: [0; 32],
                    size: 0,
                });
            located.push(Located {
                role: file.role,
                name: file.name.clone(),
                blob,
                signs: file.signs.and_then(|signs| usize::try_from(signs).ok()),
            });
        }

        // Signatures: re-verified, and compared with the archived verdicts.
        let options = trust.options(SystemTime::now());
        let archived_report: serde_json::Value =
            serde_json::from_str(&item.report).unwrap_or(serde_json::Value::Null);
        for (index, file) in item.files.iter().enumerate() {
            let Some(archived) = &file.verdict else {
                continue;
            };
            let covered_ok = located[index]
                .signs
                .is_none_or(|target| readable.get(target).copied().unwrap_or(false));
            if !readable[index] || !covered_ok {
                // Already reported as an altered or missing blob.
                continue;
            }
            report.signatures_checked += 1;
            match check_file(&self.blobs, &located, index, &options).await {
                Ok(Some(now)) => {
                    let verdict = verdict_code(now.verdict);
                    if verdict != archived {
                        let reasons: Vec<String> = now
                            .all_reasons()
                            .filter(|reason| reason.severity > congso_pki::Severity::Note)
                            .map(|reason| reason.en.clone())
                            .collect();
                        let message = format!(
                            "archive item {}: {} was archived as {archived} and now verifies as {verdict}: {}",
                            item.id,
                            file.name,
                            reasons.join("; ")
                        );
                        // The bytes are proven unchanged (their hash), so a
                        // different verdict comes from time or trust. With a
                        // timestamp the time is fixed and the verdict must
                        // not move: the node's trust (its CA or CRL rows)
                        // changed, which is a problem. The archived report
                        // says whether it was so. Without one the
                        // signature is judged at the current time, and a
                        // certificate that has since expired or been revoked
                        // is a fact to note, not tampering.
                        let time_fixed = archived_time_fixed(&archived_report, index);
                        if time_fixed {
                            report.problem(id, "SIGNATURE_VERDICT_CHANGED", message);
                        } else {
                            report.notes.push(ArchiveProblem {
                                item: id,
                                code: "SIGNATURE_VERDICT_CHANGED",
                                message,
                            });
                        }
                    }
                }
                Ok(None) => {}
                Err(error) => report.problem(
                    id,
                    "SIGNATURE_UNREADABLE",
                    format!(
                        "archive item {}: {} cannot be checked: {error}",
                        item.id, file.name
                    ),
                ),
            }
        }
        Ok(())
    }

    async fn check_ledger(
        &self,
        item: &ArchiveItem,
        record_sha256: &str,
        proofs: &LedgerView,
        report: &mut ArchiveVerifyReport,
    ) -> Result<()> {
        let id = Some(item.id);
        let Some(seq) = item.ledger_seq.and_then(|seq| u64::try_from(seq).ok()) else {
            report.problem(
                id,
                "NOT_LEDGERED",
                format!("archive item {} has no ledger entry", item.id),
            );
            return Ok(());
        };
        let Some(entry) = ledger::entry(self.db(), seq).await? else {
            report.problem(
                id,
                "LEDGER_ENTRY_MISSING",
                format!("archive item {}: ledger entry {seq} is missing", item.id),
            );
            return Ok(());
        };
        if entry.action != Event::ArchiveRecorded.code()
            || entry.target != format!("archive:{}", item.id)
        {
            report.problem(
                id,
                "LEDGER_ENTRY_MISMATCH",
                format!(
                    "archive item {}: ledger entry {seq} is {} on {}, not this item's archiving",
                    item.id, entry.action, entry.target
                ),
            );
            return Ok(());
        }
        if entry.data_hash != record_sha256 {
            report.problem(
                id,
                "RECORD_NOT_IN_LEDGER",
                format!(
                    "archive item {}: the ledger recorded record {} but the stored item gives {record_sha256}",
                    item.id, entry.data_hash
                ),
            );
        }
        let recomputed = leaf_hash(&entry.leaf_bytes());
        if recomputed != entry.leaf_hash {
            report.problem(
                id,
                "LEDGER_ENTRY_ALTERED",
                format!("archive item {}: ledger entry {seq} was altered", item.id),
            );
        }
        match &proofs.checkpoint {
            Some((size, root)) if seq < *size => {
                let proof = proofs.tree.inclusion_proof(seq, *size);
                let included = proof.is_ok_and(|proof| {
                    congso_ledger::verify_inclusion(seq, *size, &recomputed, &proof, root).is_ok()
                });
                if !included {
                    report.problem(
                        id,
                        "NOT_INCLUDED",
                        format!(
                            "archive item {}: ledger entry {seq} is not included in the signed checkpoint of size {size}",
                            item.id
                        ),
                    );
                }
            }
            _ => report.uncovered_items += 1,
        }
        Ok(())
    }
}

/// The stored ledger as a tree, with the latest signed checkpoint that the
/// stored leaves reproduce.
struct LedgerView {
    tree: Tree,
    /// (size, root) of the latest checkpoint whose signature verifies.
    checkpoint: Option<(u64, Hash)>,
}

impl LedgerView {
    async fn load(
        db: &Db,
        verifier: &Ed25519Verifier,
        report: &mut ArchiveVerifyReport,
    ) -> Result<LedgerView> {
        let mut tree = Tree::new();
        if store::count_items(db).await? > 0 {
            let mut from = 0;
            loop {
                let page = ledger::entries_from(db, from, 10_000).await?;
                let Some(last) = page.last() else { break };
                from = last.seq + 1;
                for entry in &page {
                    // Positions are kept honest even if rows were deleted:
                    // the checkpoint comparison below then fails.
                    tree.append(entry.leaf_hash);
                }
            }
        }
        let mut checkpoint = None;
        if let Some(latest) = ledger::latest_checkpoint(db).await? {
            let opened = note::open(latest.signed_note.as_bytes(), &[verifier]);
            let parsed = opened
                .ok()
                .and_then(|opened| Checkpoint::parse(opened.text()).ok());
            match parsed {
                Some(signed) if signed.size() == latest.tree_size && *signed.root() == latest.root_hash => {
                    report.checkpoint_size = latest.tree_size;
                    let reproduces = tree
                        .root_at(latest.tree_size)
                        .is_ok_and(|root| root == latest.root_hash);
                    if reproduces || tree.is_empty() {
                        checkpoint = Some((latest.tree_size, latest.root_hash));
                    } else {
                        report.problem(
                            None,
                            "LEDGER_REWRITTEN",
                            format!(
                                "the stored ledger does not reproduce its signed checkpoint of size {}; run `congso ledger verify`",
                                latest.tree_size
                            ),
                        );
                    }
                }
                _ => report.problem(
                    None,
                    "CHECKPOINT_INVALID",
                    format!(
                        "the latest checkpoint (size {}) does not verify with the node's ledger key",
                        latest.tree_size
                    ),
                ),
            }
        }
        Ok(LedgerView { tree, checkpoint })
    }
}

/// Whether the archived report fixed the validation time of file
/// `position` with a trusted timestamp (for every signature it checked).
fn archived_time_fixed(report: &serde_json::Value, position: usize) -> bool {
    let Some(files) = report.get("files").and_then(|files| files.as_array()) else {
        return false;
    };
    let Some(file) = files
        .iter()
        .find(|file| file.get("position").and_then(|p| p.as_u64()) == Some(position as u64))
    else {
        return false;
    };
    let signatures = file
        .pointer("/report/signatures")
        .and_then(|signatures| signatures.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    !signatures.is_empty()
        && signatures.iter().all(|signature| {
            signature.pointer("/details/validation_time_source")
                == Some(&serde_json::Value::from("timestamp"))
        })
}

/// The record of an item about to be stored (the same fields
/// [`ArchiveRecord::of_item`] reads back).
fn record_of_new(new: &store::NewArchiveItem) -> ArchiveRecord {
    ArchiveRecord {
        v: crate::record::RECORD_VERSION,
        document_id: new.document_id,
        direction: new.direction,
        event_at: new.event_at,
        metadata_sha256: new.metadata_sha256.clone(),
        edxml_sha256: new.edxml_sha256.clone(),
        files: new
            .files
            .iter()
            .enumerate()
            .map(|(position, file)| crate::record::RecordFile {
                position: position as i64,
                role: file.role,
                name: file.name.clone(),
                media_type: file.media_type.clone(),
                sha256: file.sha256.clone(),
                size: file.size,
                signs: file.signs,
                verdict: file.verdict.clone(),
            })
            .collect(),
        verdict: new.verdict.clone(),
        report_sha256: new.report_sha256.clone(),
        archived_at: new.archived_at,
        archived_by: new.archived_by.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_media_types() {
        let name = |text: &str, ok: bool| assert_eq!(check_name(text).is_ok(), ok, "{text:?}");
        name("Quyết định 12.pdf", true);
        name("", false);
        name("../etc/passwd", false);
        name("a\\b", false);
        name("a\nb", false);
        name("..", false);
        name(&"a".repeat(256), false);
        let media =
            |text: &str, ok: bool| assert_eq!(check_media_type("f", text).is_ok(), ok, "{text:?}");
        media("application/pdf", true);
        media(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            true,
        );
        media("text/plain; charset=utf-8", true);
        media("pdf", false);
        media("application/", false);
        media("a/b c", false);
    }
}
