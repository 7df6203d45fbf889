//! Archive packages: a zip a relying party can check offline with nothing
//! but the package (and, to pin the node's identity, its ledger key and CA
//! certificate).
//!
//! Layout (format `congso-archive-package`, version 1):
//!
//! ```text
//! manifest.json                      every other member with its SHA-256 and size
//! README.txt                         how to check the package (Vietnamese and English)
//! ledger/checkpoint.txt              the signed checkpoint (C2SP signed note)
//! ledger/verifier-key.txt            the node's ledger verifier key
//! pki/ca.pem, pki/crl.pem            the node CA certificate and its current CRL
//! items/<id>/record.json             the canonical record the ledger entry commits to
//! items/<id>/ledger-entry.json       the ledger entry (all fields of its leaf)
//! items/<id>/inclusion-proof.json    the entry's RFC 9162 inclusion proof in the checkpoint
//! items/<id>/metadata.json           the metadata as archived
//! items/<id>/metadata.edxml          the document as edXML, when archived with it
//! items/<id>/validation-report.json  the validation report made at archive time
//! items/<id>/files/<nnn>-<name>      originals, renditions, signed PDFs, signatures, timestamps
//! ```
//!
//! The chain of proof: the checkpoint is signed by the ledger key; the
//! inclusion proof puts the entry under the checkpoint's root; the entry's
//! data hash is the SHA-256 of `record.json`; the record lists the SHA-256
//! of the metadata, the edXML, the report and every file. The manifest adds
//! a hash for the members the record does not cover (README, CA, CRL).
//!
//! Reading refuses hostile archives before unpacking anything: too large a
//! file, too many entries (counted from the end-of-central-directory record,
//! before the directory is parsed), members that unpack beyond the limits or
//! at an impossible compression ratio, overlapping members, unsafe names,
//! duplicates, encryption, links, nested archives and compression methods
//! other than stored and deflate. Every read is bounded.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use congso_ledger::checkpoint::Checkpoint;
use congso_ledger::note::{self, Ed25519Verifier};
use congso_ledger::{leaf_hash, Hash};
use congso_pki::{Certificate, Crl, Reason, Severity, ValidationReport, Verdict, VerifyOptions};
use congso_store::archive::{ArchiveItem, FileRole};
use congso_store::ledger::{self, Ledger};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::archive::Archive;
use crate::error::{ArchiveError, PackageError};
use crate::events::Event;
use crate::record::ArchiveRecord;
use crate::signing::{essence, verdict_code};

/// The `format` field of a package manifest.
pub const FORMAT: &str = "congso-archive-package";
/// The version this code writes and reads.
pub const VERSION: u32 = 1;

/// Bounds on what a package may hold. The defaults admit any real case file
/// (hồ sơ) and nothing that could exhaust memory or disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Size of the package file.
    pub max_package_bytes: u64,
    /// Entries in the zip.
    pub max_entries: u64,
    /// Unpacked size of one member.
    pub max_member_bytes: u64,
    /// Unpacked size of all members together.
    pub max_total_bytes: u64,
    /// Unpacked size of a JSON or text member.
    pub max_text_bytes: u64,
    /// Unpacked / packed size beyond which a member is a bomb (only checked
    /// for members over 1 MiB: tiny highly compressible files are normal).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_package_bytes: 4 << 30,
            max_entries: 10_000,
            max_member_bytes: 512 << 20,
            max_total_bytes: 8 << 30,
            max_text_bytes: 16 << 20,
            max_ratio: 200,
        }
    }
}

/// One member as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestMember {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub created_at: String,
    /// The ledger origin (`congso/<node id>`).
    pub origin: String,
    pub checkpoint_size: u64,
    /// The archived items in the package.
    pub items: Vec<i64>,
    pub members: Vec<ManifestMember>,
}

/// `items/<id>/ledger-entry.json`: every field of the ledger leaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageEntry {
    pub seq: u64,
    pub recorded_at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub source: String,
    pub data_hash: String,
    pub details: String,
}

impl PackageEntry {
    /// The RFC 6962 leaf hash, recomputed from the fields.
    pub fn leaf_hash(&self) -> Hash {
        let entry = ledger::Entry {
            seq: self.seq,
            recorded_at: self.recorded_at,
            actor: self.actor.clone(),
            action: self.action.clone(),
            target: self.target.clone(),
            source: self.source.clone(),
            data_hash: self.data_hash.clone(),
            details: self.details.clone(),
            leaf_hash: [0; 32],
        };
        leaf_hash(&entry.leaf_bytes())
    }
}

/// `items/<id>/inclusion-proof.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    pub index: u64,
    pub tree_size: u64,
    /// Hex SHA-256 hashes, leaf to root.
    pub proof: Vec<String>,
}

/// What [`Archive::export_package`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct PackageSummary {
    pub path: PathBuf,
    pub items: Vec<i64>,
    pub members: usize,
    pub bytes: u64,
    pub checkpoint_size: u64,
}

fn member_name(position: i64, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_control() || c == '/' || c == '\\' {
                '_'
            } else {
                c
            }
        })
        .take(200)
        .collect();
    let clean = if clean.trim_matches('.').is_empty() {
        "file".to_owned()
    } else {
        clean
    };
    format!("{position:03}-{clean}")
}

/// Where a member's bytes come from when writing.
enum Source {
    Bytes(Vec<u8>),
    Blob([u8; 32]),
}

struct Planned {
    path: String,
    source: Source,
}

fn json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, ArchiveError> {
    serde_json::to_vec_pretty(value).map_err(|error| ArchiveError::Invalid(error.to_string()))
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A CRL in PEM (`-----BEGIN X509 CRL-----`).
pub fn crl_pem(der: &[u8]) -> String {
    pem("X509 CRL", der)
}

const README: &str = "\
Gói lưu trữ văn bản điện tử congso (congso-archive-package, phiên bản 1)

Gói này chứa văn bản gốc, các bản chuyển đổi, chữ ký số, dấu thời gian, siêu dữ liệu \
(JSON và edXML), báo cáo xác thực, bằng chứng ghi nhận trong sổ cái của cơ quan và \
điểm kiểm tra (checkpoint) đã ký mà bằng chứng dựa vào.

Kiểm tra gói (không cần mạng):
    congso verify GOI.zip --ledger-key \"$(cat ledger/verifier-key.txt)\" --trust pki/ca.pem
Nên lấy khóa sổ cái và chứng thư CA từ chính cơ quan phát hành (không lấy từ trong gói) \
để xác nhận gói đúng là của cơ quan đó.

congso archive package (format congso-archive-package, version 1)

This package holds the original documents, renditions, signatures, timestamps, \
metadata (JSON and edXML), the validation report, the proof that the agency's ledger \
recorded the archiving, and the signed checkpoint that proof refers to.

Check it offline:
    congso verify PACKAGE.zip --ledger-key \"<the agency's ledger key>\" --trust <the agency's CA.pem>
Get the ledger key and the CA certificate from the agency itself, not from the \
package, to confirm the package is really theirs. manifest.json lists the SHA-256 \
of every member.
";

impl Archive {
    /// Exports archived items as a package at `path` (written to a
    /// temporary file beside it and renamed, so a failed export leaves
    /// nothing). Signs a checkpoint covering the items first. Refuses to
    /// export a blob that no longer hashes to its name.
    pub async fn export_package(
        &self,
        ledger: &Ledger,
        ids: &[i64],
        path: &Path,
    ) -> Result<PackageSummary, ArchiveError> {
        if ids.is_empty() {
            return Err(ArchiveError::Invalid("no archive item to export".into()));
        }
        let mut items: Vec<ArchiveItem> = Vec::with_capacity(ids.len());
        let mut seen = HashSet::new();
        for id in ids {
            if !seen.insert(*id) {
                continue;
            }
            let item = self
                .item(*id)
                .await?
                .ok_or(ArchiveError::UnknownItem(*id))?;
            if item.ledger_seq.is_none() {
                return Err(ArchiveError::NotLedgered { id: *id });
            }
            items.push(item);
        }
        let checkpoint = ledger.checkpoint().await?;
        let size = checkpoint.tree_size;

        let mut planned = vec![
            Planned {
                path: "README.txt".into(),
                source: Source::Bytes(README.as_bytes().to_vec()),
            },
            Planned {
                path: "ledger/checkpoint.txt".into(),
                source: Source::Bytes(checkpoint.signed_note.clone().into_bytes()),
            },
            Planned {
                path: "ledger/verifier-key.txt".into(),
                source: Source::Bytes(format!("{}\n", ledger.verifier_key()).into_bytes()),
            },
        ];
        if let Some(ca) = self.pki().ca_certificate().await? {
            planned.push(Planned {
                path: "pki/ca.pem".into(),
                source: Source::Bytes(ca.to_pem().into_bytes()),
            });
        }
        if let Some(crl) = congso_store::pki::latest_crl(self.db()).await? {
            planned.push(Planned {
                path: "pki/crl.pem".into(),
                source: Source::Bytes(crl_pem(&crl.der).into_bytes()),
            });
        }
        for item in &items {
            let seq = item.ledger_seq.and_then(|seq| u64::try_from(seq).ok());
            let Some(seq) = seq.filter(|seq| *seq < size) else {
                return Err(ArchiveError::NotLedgered { id: item.id });
            };
            let entry = ledger::entry(self.db(), seq).await?.ok_or_else(|| {
                ArchiveError::Invalid(format!("ledger entry {seq} of item {} is missing", item.id))
            })?;
            let record = ArchiveRecord::of_item(item);
            let record_bytes = record.to_bytes();
            if entry.data_hash != crate::sha256_hex(&record_bytes)
                || entry.target != format!("archive:{}", item.id)
            {
                return Err(ArchiveError::Invalid(format!(
                    "archive item {} no longer matches its ledger entry; run `congso archive verify`",
                    item.id
                )));
            }
            let proof = ledger.inclusion_proof(seq, size)?;
            let base = format!("items/{}", item.id);
            let package_entry = PackageEntry {
                seq: entry.seq,
                recorded_at: entry.recorded_at,
                actor: entry.actor,
                action: entry.action,
                target: entry.target,
                source: entry.source,
                data_hash: entry.data_hash,
                details: entry.details,
            };
            planned.push(Planned {
                path: format!("{base}/record.json"),
                source: Source::Bytes(record_bytes),
            });
            planned.push(Planned {
                path: format!("{base}/ledger-entry.json"),
                source: Source::Bytes(json_bytes(&package_entry)?),
            });
            planned.push(Planned {
                path: format!("{base}/inclusion-proof.json"),
                source: Source::Bytes(json_bytes(&InclusionProof {
                    index: seq,
                    tree_size: size,
                    proof: proof.iter().map(hex::encode).collect(),
                })?),
            });
            planned.push(Planned {
                path: format!("{base}/metadata.json"),
                source: Source::Bytes(item.metadata.clone().into_bytes()),
            });
            if let Some(edxml) = &item.edxml_sha256 {
                planned.push(Planned {
                    path: format!("{base}/metadata.edxml"),
                    source: Source::Blob(congso_store::blob::parse_hash(edxml)?),
                });
            }
            planned.push(Planned {
                path: format!("{base}/validation-report.json"),
                source: Source::Bytes(item.report.clone().into_bytes()),
            });
            for file in &item.files {
                planned.push(Planned {
                    path: format!("{base}/files/{}", member_name(file.position, &file.name)),
                    source: Source::Blob(congso_store::blob::parse_hash(&file.sha256)?),
                });
            }
        }

        let manifest_base = Manifest {
            format: FORMAT.to_owned(),
            version: VERSION,
            created_at: crate::rfc3339(congso_store::now()),
            origin: ledger.origin().to_owned(),
            checkpoint_size: size,
            items: items.iter().map(|item| item.id).collect(),
            members: Vec::new(),
        };
        let directory = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let blobs = self.blobs().clone();
        let target = path.to_path_buf();
        let handle = tokio::runtime::Handle::current();
        let item_ids = manifest_base.items.clone();
        // Zip writing is synchronous; it runs on a blocking thread and pulls
        // blob streams through the runtime handle, one chunk at a time.
        tokio::task::spawn_blocking(move || -> Result<PackageSummary, ArchiveError> {
            let temporary = tempfile::NamedTempFile::new_in(&directory)?;
            let mut zip = zip::ZipWriter::new(temporary.reopen()?);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(false);
            let mut manifest = manifest_base;
            for member in &planned {
                zip.start_file(member.path.as_str(), options)
                    .map_err(|error| ArchiveError::Invalid(format!("zip: {error}")))?;
                let mut hasher = Sha256::new();
                let mut size: u64 = 0;
                match &member.source {
                    Source::Bytes(bytes) => {
                        hasher.update(bytes);
                        size = bytes.len() as u64;
                        zip.write_all(bytes)?;
                    }
                    Source::Blob(sha256) => {
                        let mut stream = handle.block_on(blobs.get_stream(sha256))?;
                        while let Some(chunk) = handle.block_on(stream.next()) {
                            let chunk = chunk?;
                            hasher.update(&chunk);
                            size += chunk.len() as u64;
                            zip.write_all(&chunk)?;
                        }
                        let actual: [u8; 32] = hasher.clone().finalize().into();
                        if &actual != sha256 {
                            return Err(ArchiveError::Invalid(format!(
                                "blob {} is corrupt (it no longer hashes to its name); run `congso archive verify`",
                                hex::encode(sha256)
                            )));
                        }
                    }
                }
                manifest.members.push(ManifestMember {
                    path: member.path.clone(),
                    sha256: hex::encode(hasher.finalize()),
                    size,
                });
            }
            zip.start_file("manifest.json", options)
                .map_err(|error| ArchiveError::Invalid(format!("zip: {error}")))?;
            zip.write_all(&json_bytes(&manifest)?)?;
            let file = zip
                .finish()
                .map_err(|error| ArchiveError::Invalid(format!("zip: {error}")))?;
            file.sync_all()?;
            let bytes = file.metadata()?.len();
            temporary
                .persist(&target)
                .map_err(|error| ArchiveError::Io(error.error))?;
            Ok(PackageSummary {
                path: target,
                items: item_ids,
                members: manifest.members.len() + 1,
                bytes,
                checkpoint_size: manifest.checkpoint_size,
            })
        })
        .await?
    }
}

// ---------------------------------------------------------------------------
// Reading and checking a package offline.
// ---------------------------------------------------------------------------

/// What the relying party brings.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    /// The node CA (and any other roots) to trust; empty: the package's own
    /// `pki/ca.pem` is used, and the report says so.
    pub trust: Vec<Certificate>,
    /// CRLs besides the package's own.
    pub crls: Vec<Crl>,
    /// The node's ledger verifier key; `None`: the package's own is used,
    /// and the report says so.
    pub ledger_key: Option<String>,
    pub now: SystemTime,
    pub limits: Limits,
}

impl PackageOptions {
    pub fn new(now: SystemTime) -> Self {
        PackageOptions {
            trust: Vec::new(),
            crls: Vec::new(),
            ledger_key: None,
            now,
            limits: Limits::default(),
        }
    }
}

/// The signature check of one packaged file.
#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    pub name: String,
    pub role: FileRole,
    pub archived_verdict: Option<String>,
    pub report: ValidationReport,
}

/// The check of one archived item in a package.
#[derive(Debug, Clone, Serialize)]
pub struct ItemReport {
    pub id: i64,
    pub document_id: Option<i64>,
    pub direction: Option<String>,
    /// Send or receipt time (RFC 3339).
    pub event_at: Option<String>,
    pub ledger_seq: Option<u64>,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    pub signatures: Vec<FileCheck>,
}

/// The outcome of checking a package.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    pub verdict: Verdict,
    pub origin: Option<String>,
    pub checkpoint_size: Option<u64>,
    pub reasons: Vec<Reason>,
    pub items: Vec<ItemReport>,
}

fn reason(
    code: &'static str,
    severity: Severity,
    vi: impl Into<String>,
    en: impl Into<String>,
) -> Reason {
    Reason {
        code,
        severity,
        vi: vi.into(),
        en: en.into(),
    }
}

fn verdict_of(reasons: &[Reason]) -> Verdict {
    match reasons.iter().map(|r| r.severity).max() {
        Some(Severity::Invalid) => Verdict::Invalid,
        Some(Severity::Indeterminate) => Verdict::Indeterminate,
        _ => Verdict::Valid,
    }
}

/// Counts the entries of a zip from its end-of-central-directory record,
/// without parsing the directory, so a package declaring millions of
/// entries is refused before any of them is read.
fn declared_entries<R: Read + Seek>(reader: &mut R, length: u64) -> Result<u64, PackageError> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const LOCATOR: &[u8] = b"PK\x06\x07";
    const EOCD64: &[u8] = b"PK\x06\x06";
    let tail_length = length.min(22 + 65_535);
    reader.seek(SeekFrom::Start(length - tail_length))?;
    let mut tail = vec![0u8; tail_length as usize];
    reader.read_exact(&mut tail)?;
    let at = tail
        .windows(4)
        .rposition(|window| window == EOCD)
        .filter(|at| tail.len() - at >= 22)
        .ok_or_else(|| PackageError::NotZip("no end-of-central-directory record".into()))?;
    let u16_at = |offset: usize| u16::from_le_bytes([tail[at + offset], tail[at + offset + 1]]);
    let entries = u64::from(u16_at(10));
    if entries != 0xFFFF {
        return Ok(entries);
    }
    // Zip64: the locator sits just before the record and points at the
    // zip64 end-of-central-directory record, which holds the real count.
    let locator = at
        .checked_sub(20)
        .filter(|start| &tail[*start..*start + 4] == LOCATOR)
        .ok_or_else(|| PackageError::NotZip("zip64 record without a locator".into()))?;
    let mut offset_bytes = [0u8; 8];
    offset_bytes.copy_from_slice(&tail[locator + 8..locator + 16]);
    let record = u64::from_le_bytes(offset_bytes);
    if record.checked_add(56).is_none_or(|end| end > length) {
        return Err(PackageError::NotZip("zip64 record outside the file".into()));
    }
    reader.seek(SeekFrom::Start(record))?;
    let mut header = [0u8; 56];
    reader.read_exact(&mut header)?;
    if &header[..4] != EOCD64 {
        return Err(PackageError::NotZip("malformed zip64 record".into()));
    }
    let mut count = [0u8; 8];
    count.copy_from_slice(&header[32..40]);
    Ok(u64::from_le_bytes(count))
}

/// Why a member name is unsafe, if it is.
fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("empty");
    }
    if name.len() > 1024 {
        return Some("too long");
    }
    if name.chars().any(char::is_control) {
        return Some("control characters");
    }
    if name.starts_with('/') || name.contains('\\') {
        return Some("absolute or with backslashes");
    }
    if name.as_bytes().get(1) == Some(&b':') {
        return Some("a drive letter");
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    if trimmed
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Some("a parent, current or empty path component");
    }
    None
}

pub(crate) fn is_archive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".zip", ".jar", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst",
    ]
    .iter()
    .any(|extension| lower.ends_with(extension))
}

/// Zip-based document formats that are hashed, never opened, and so are
/// not "nested archives".
pub(crate) fn is_zip_document(media_type: &str) -> bool {
    let essence = essence(media_type);
    essence.starts_with("application/vnd.openxmlformats-officedocument.")
        || essence.starts_with("application/vnd.oasis.opendocument.")
        || essence == "application/epub+zip"
        || essence == "application/vnd.etsi.asic-e+zip"
        || essence == "application/vnd.etsi.asic-s+zip"
}

/// An opened package with its entries checked.
struct Opened {
    zip: zip::ZipArchive<std::fs::File>,
    /// Name → index of every file entry.
    names: BTreeMap<String, usize>,
    limits: Limits,
}

impl Opened {
    fn open(path: &Path, limits: Limits) -> Result<Opened, PackageError> {
        let mut file = std::fs::File::open(path)?;
        let length = file.metadata()?.len();
        if length > limits.max_package_bytes {
            return Err(PackageError::FileTooLarge {
                size: length,
                limit: limits.max_package_bytes,
            });
        }
        if length < 22 {
            return Err(PackageError::NotZip("the file is too short".into()));
        }
        let declared = declared_entries(&mut file, length)?;
        if declared > limits.max_entries {
            return Err(PackageError::TooManyEntries {
                count: declared,
                limit: limits.max_entries,
            });
        }
        file.seek(SeekFrom::Start(0))?;
        let mut zip =
            zip::ZipArchive::new(file).map_err(|error| PackageError::NotZip(error.to_string()))?;
        if zip.len() as u64 > limits.max_entries {
            return Err(PackageError::TooManyEntries {
                count: zip.len() as u64,
                limit: limits.max_entries,
            });
        }
        if zip.has_duplicate_names() {
            return Err(PackageError::DuplicateName {
                name: "(several members)".to_owned(),
            });
        }
        if zip.has_overlapping_entries()? {
            return Err(PackageError::OverlappingMembers);
        }
        let mut names = BTreeMap::new();
        let mut total: u64 = 0;
        for index in 0..zip.len() {
            let entry = zip.by_index_data(index)?;
            let name = entry
                .name()
                .map_err(|error| PackageError::Malformed {
                    name: format!("entry {index}"),
                    reason: format!("unreadable name: {error}"),
                })?
                .into_owned();
            if let Some(reason) = unsafe_name(&name) {
                return Err(PackageError::UnsafeName { name, reason });
            }
            if entry.encrypted() {
                return Err(PackageError::Encrypted { name });
            }
            if entry.is_symlink() {
                return Err(PackageError::NotAFile { name });
            }
            if entry.is_dir() {
                continue;
            }
            match entry.compression() {
                zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated => {}
                other => {
                    return Err(PackageError::UnsupportedCompression {
                        name,
                        method: format!("{other:?}"),
                    })
                }
            }
            if is_archive_name(&name) {
                return Err(PackageError::NestedArchive { name });
            }
            let size = entry.size();
            if size > limits.max_member_bytes {
                return Err(PackageError::MemberTooLarge {
                    name,
                    size,
                    limit: limits.max_member_bytes,
                });
            }
            let packed = entry.compressed_size().max(1);
            if size > (1 << 20) && size / packed > limits.max_ratio {
                return Err(PackageError::CompressionRatio {
                    name,
                    ratio: size / packed,
                });
            }
            total = total.saturating_add(size);
            if total > limits.max_total_bytes {
                return Err(PackageError::TotalTooLarge {
                    limit: limits.max_total_bytes,
                });
            }
            if names.insert(name.clone(), index).is_some() {
                return Err(PackageError::DuplicateName { name });
            }
        }
        Ok(Opened { zip, names, limits })
    }

    /// Streams a member through `sink`, never more than `limit` bytes (the
    /// declared size can lie; the actual bytes are counted). A corrupt
    /// member (bad CRC, broken deflate stream) is `Ok(Err(..))`: the
    /// package is then invalid rather than unreadable.
    fn stream(
        &mut self,
        name: &str,
        limit: u64,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<Result<u64, String>, PackageError> {
        let Some(index) = self.names.get(name).copied() else {
            return Err(PackageError::Missing {
                name: name.to_owned(),
            });
        };
        // The declared size bounds the read as much as the limit does: a
        // member that unpacks beyond what it declared is a bomb in disguise.
        let declared = self.zip.by_index_data(index)?.size();
        let member = self.zip.by_index(index)?;
        let mut limited = member.take(limit.min(declared) + 1);
        let mut buffer = vec![0u8; 64 * 1024];
        let mut total: u64 = 0;
        loop {
            let read = match limited.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) => return Ok(Err(error.to_string())),
            };
            total += read as u64;
            if total > declared {
                return Err(PackageError::Malformed {
                    name: name.to_owned(),
                    reason: format!("unpacks beyond its declared size of {declared} bytes"),
                });
            }
            if total > limit {
                return Err(PackageError::MemberTooLarge {
                    name: name.to_owned(),
                    size: total,
                    limit,
                });
            }
            sink(&buffer[..read]);
        }
        Ok(Ok(total))
    }

    /// Reads a whole member into memory (bounded).
    fn read(&mut self, name: &str, limit: u64) -> Result<Result<Vec<u8>, String>, PackageError> {
        let mut bytes = Vec::new();
        let outcome = self.stream(name, limit, &mut |chunk| bytes.extend_from_slice(chunk))?;
        Ok(outcome.map(|_| bytes))
    }

    fn has(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }
}

/// Checks an archive package offline. An `Err` means the file could not be
/// read as a package at all (or is hostile); everything found inside a
/// readable package is in the report.
pub fn verify_package(
    path: &Path,
    options: &PackageOptions,
) -> Result<PackageReport, PackageError> {
    let mut opened = Opened::open(path, options.limits)?;
    let limits = opened.limits;
    let mut reasons = Vec::new();

    let manifest_bytes = match opened.read("manifest.json", limits.max_text_bytes)? {
        Ok(bytes) => bytes,
        Err(error) => {
            return Err(PackageError::Malformed {
                name: "manifest.json".into(),
                reason: error,
            })
        }
    };
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|error| PackageError::Malformed {
            name: "manifest.json".into(),
            reason: error.to_string(),
        })?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(PackageError::Malformed {
            name: "manifest.json".into(),
            reason: format!(
                "format {:?} version {} is not {FORMAT} version {VERSION}",
                manifest.format, manifest.version
            ),
        });
    }

    // Manifest hashes: every listed member, and nothing unlisted.
    let mut hashes: HashMap<String, String> = HashMap::new();
    // Members whose content is a zip: allowed only for documents in a
    // zip-based format (checked against the record's media types below).
    let mut zip_like: HashSet<String> = HashSet::new();
    let listed: HashSet<&str> = manifest.members.iter().map(|m| m.path.as_str()).collect();
    for name in opened.names.keys() {
        if name != "manifest.json" && !listed.contains(name.as_str()) {
            reasons.push(reason(
                "PACKAGE_MEMBER_UNLISTED",
                Severity::Invalid,
                format!("Gói có tệp {name} không có trong danh mục."),
                format!("member {name} is not listed in the manifest"),
            ));
        }
    }
    for member in &manifest.members {
        if !opened.has(&member.path) {
            reasons.push(reason(
                "PACKAGE_MEMBER_MISSING",
                Severity::Invalid,
                format!("Thiếu tệp {} trong gói.", member.path),
                format!("member {} listed in the manifest is missing", member.path),
            ));
            continue;
        }
        let mut hasher = Sha256::new();
        let mut head: Vec<u8> = Vec::new();
        let outcome = opened.stream(&member.path, limits.max_member_bytes, &mut |chunk| {
            if head.len() < 4 {
                head.extend_from_slice(&chunk[..chunk.len().min(4 - head.len())]);
            }
            hasher.update(chunk)
        })?;
        if looks_like_zip(&head) {
            if !member.path.contains("/files/") {
                return Err(PackageError::NestedArchive {
                    name: member.path.clone(),
                });
            }
            zip_like.insert(member.path.clone());
        }
        let actual = hex::encode(hasher.finalize());
        match outcome {
            Ok(size) if size == member.size && actual == member.sha256 => {
                hashes.insert(member.path.clone(), actual);
            }
            Ok(_) => reasons.push(reason(
                "PACKAGE_MEMBER_ALTERED",
                Severity::Invalid,
                format!("Tệp {} trong gói đã bị thay đổi.", member.path),
                format!("member {} does not match its manifest hash", member.path),
            )),
            Err(error) => reasons.push(reason(
                "PACKAGE_MEMBER_CORRUPT",
                Severity::Invalid,
                format!("Tệp {} trong gói bị hỏng.", member.path),
                format!("member {} is corrupt: {error}", member.path),
            )),
        }
    }

    // The ledger key and checkpoint.
    let package_key = match opened.read("ledger/verifier-key.txt", limits.max_text_bytes)? {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(error) => {
            return Err(PackageError::Malformed {
                name: "ledger/verifier-key.txt".into(),
                reason: error,
            })
        }
    };
    let key_text = match &options.ledger_key {
        Some(pinned) => {
            if pinned.trim() != package_key {
                reasons.push(reason(
                    "LEDGER_KEY_MISMATCH",
                    Severity::Invalid,
                    "Gói không được ký bởi sổ cái của cơ quan mà bạn chỉ định.",
                    "the package's ledger key is not the key you pinned",
                ));
            }
            pinned.trim().to_owned()
        }
        None => {
            reasons.push(reason(
                "LEDGER_KEY_FROM_PACKAGE",
                Severity::Note,
                "Khóa sổ cái được lấy từ chính gói; hãy đối chiếu với khóa do cơ quan công bố (--ledger-key).",
                "the ledger key was taken from the package itself; pin the agency's key with --ledger-key",
            ));
            package_key
        }
    };
    let checkpoint = match Ed25519Verifier::from_vkey(&key_text) {
        Err(error) => {
            reasons.push(reason(
                "LEDGER_KEY_MALFORMED",
                Severity::Invalid,
                "Khóa sổ cái không đúng định dạng.",
                format!("the ledger key is malformed: {error}"),
            ));
            None
        }
        Ok(verifier) => {
            let note_bytes = opened.read("ledger/checkpoint.txt", limits.max_text_bytes)?;
            match note_bytes {
                Err(error) => {
                    reasons.push(reason(
                        "CHECKPOINT_INVALID",
                        Severity::Invalid,
                        "Điểm kiểm tra sổ cái trong gói bị hỏng.",
                        format!("the checkpoint is corrupt: {error}"),
                    ));
                    None
                }
                Ok(note_bytes) => match note::open(&note_bytes, &[&verifier])
                    .map_err(|error| error.to_string())
                    .and_then(|opened| {
                        Checkpoint::parse(opened.text()).map_err(|error| error.to_string())
                    }) {
                    Ok(checkpoint) => {
                        reasons.push(reason(
                            "CHECKPOINT_SIGNATURE_VALID",
                            Severity::Passed,
                            "Điểm kiểm tra sổ cái có chữ ký hợp lệ của cơ quan.",
                            format!(
                                "the checkpoint of size {} is signed by {}",
                                checkpoint.size(),
                                checkpoint.origin()
                            ),
                        ));
                        if checkpoint.size() != manifest.checkpoint_size
                            || checkpoint.origin() != manifest.origin
                        {
                            reasons.push(reason(
                                "CHECKPOINT_MISMATCH",
                                Severity::Invalid,
                                "Điểm kiểm tra không khớp với danh mục của gói.",
                                "the checkpoint does not match the manifest's origin and size",
                            ));
                        }
                        Some(checkpoint)
                    }
                    Err(error) => {
                        reasons.push(reason(
                            "CHECKPOINT_INVALID",
                            Severity::Invalid,
                            "Chữ ký của điểm kiểm tra sổ cái không hợp lệ.",
                            format!("the checkpoint does not verify: {error}"),
                        ));
                        None
                    }
                },
            }
        }
    };

    // Trust for the signatures.
    let mut anchors = options.trust.clone();
    if anchors.is_empty() {
        if let Ok(Ok(ca)) = opened.read("pki/ca.pem", limits.max_text_bytes) {
            match congso_pki::parse_certificates(&ca) {
                Ok(found) if !found.is_empty() => {
                    anchors = found;
                    // The signatures are still checked against it (so a
                    // damaged package shows as invalid), but a CA that
                    // travels with the package proves nothing about who
                    // made it: anyone can make a CA. Authenticity needs
                    // the agency's published CA, so without it the
                    // verdict is at best indeterminate.
                    reasons.push(reason(
                        "TRUST_FROM_PACKAGE",
                        Severity::Indeterminate,
                        "Chưa xác định được nguồn gốc: chứng thư CA được lấy từ chính gói. Hãy kiểm tra lại với chứng thư CA do cơ quan công bố (--trust).",
                        "the CA certificate was taken from the package itself, which proves nothing about who made it; verify with the agency's published CA (--trust)",
                    ));
                }
                _ => reasons.push(reason(
                    "PACKAGE_CA_MALFORMED",
                    Severity::Indeterminate,
                    "Chứng thư CA trong gói không đọc được.",
                    "the package's CA certificate cannot be read",
                )),
            }
        }
    }
    let mut crls = options.crls.clone();
    if let Ok(Ok(crl)) = opened.read("pki/crl.pem", limits.max_text_bytes) {
        if let Ok(parsed) = Crl::parse(&crl) {
            crls.push(parsed);
        }
    }
    let verify_options = VerifyOptions {
        crls,
        ..VerifyOptions::new(anchors, options.now)
    };

    let mut items = Vec::new();
    for id in &manifest.items {
        items.push(check_item(
            &mut opened,
            *id,
            checkpoint.as_ref(),
            &hashes,
            &zip_like,
            &verify_options,
        )?);
    }
    if manifest.items.is_empty() {
        reasons.push(reason(
            "PACKAGE_EMPTY",
            Severity::Invalid,
            "Gói không chứa văn bản nào.",
            "the package holds no archived item",
        ));
    }
    let verdict = items
        .iter()
        .map(|item| item.verdict)
        .chain([verdict_of(&reasons)])
        .max()
        .unwrap_or(Verdict::Valid);
    Ok(PackageReport {
        verdict,
        origin: Some(manifest.origin),
        checkpoint_size: checkpoint.as_ref().map(Checkpoint::size),
        reasons,
        items,
    })
}

fn parse_hash(text: &str) -> Option<Hash> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash).ok().map(|()| hash)
}

fn check_item(
    opened: &mut Opened,
    id: i64,
    checkpoint: Option<&Checkpoint>,
    hashes: &HashMap<String, String>,
    zip_like: &HashSet<String>,
    options: &VerifyOptions,
) -> Result<ItemReport, PackageError> {
    let limits = opened.limits;
    let base = format!("items/{id}");
    let mut reasons = Vec::new();
    let mut report = ItemReport {
        id,
        document_id: None,
        direction: None,
        event_at: None,
        ledger_seq: None,
        verdict: Verdict::Invalid,
        reasons: Vec::new(),
        signatures: Vec::new(),
    };
    let invalid =
        |code: &'static str, vi: String, en: String| reason(code, Severity::Invalid, vi, en);

    let record_name = format!("{base}/record.json");
    let record_bytes = match opened.read(&record_name, limits.max_text_bytes) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) | Err(PackageError::Missing { .. }) => {
            report.reasons.push(invalid(
                "RECORD_MISSING",
                format!("Thiếu hoặc hỏng hồ sơ lưu trữ của văn bản {id}."),
                format!("the record of item {id} is missing or corrupt"),
            ));
            return Ok(report);
        }
        Err(error) => return Err(error),
    };
    let record_sha256 = crate::sha256_hex(&record_bytes);
    let record: ArchiveRecord = match serde_json::from_slice(&record_bytes) {
        Ok(record) => record,
        Err(error) => {
            report.reasons.push(invalid(
                "RECORD_MALFORMED",
                format!("Hồ sơ lưu trữ của văn bản {id} không đúng định dạng."),
                format!("the record of item {id} is malformed: {error}"),
            ));
            return Ok(report);
        }
    };
    report.document_id = record.document_id;
    report.direction = Some(record.direction.code().to_owned());
    report.event_at = Some(crate::rfc3339(congso_core::time::Timestamp(
        record.event_at,
    )));

    // The ledger entry commits to the record, and the checkpoint to the entry.
    let entry: Option<PackageEntry> =
        match opened.read(&format!("{base}/ledger-entry.json"), limits.max_text_bytes) {
            Ok(Ok(bytes)) => serde_json::from_slice(&bytes).ok(),
            Ok(Err(_)) | Err(PackageError::Missing { .. }) => None,
            Err(error) => return Err(error),
        };
    let proof: Option<InclusionProof> = match opened.read(
        &format!("{base}/inclusion-proof.json"),
        limits.max_text_bytes,
    ) {
        Ok(Ok(bytes)) => serde_json::from_slice(&bytes).ok(),
        Ok(Err(_)) | Err(PackageError::Missing { .. }) => None,
        Err(error) => return Err(error),
    };
    match (entry, proof, checkpoint) {
        (Some(entry), Some(proof), Some(checkpoint)) => {
            report.ledger_seq = Some(entry.seq);
            if entry.action != Event::ArchiveRecorded.code()
                || entry.target != format!("archive:{id}")
            {
                reasons.push(invalid(
                    "LEDGER_ENTRY_MISMATCH",
                    format!("Bản ghi sổ cái không phải là bản ghi lưu trữ văn bản {id}."),
                    format!(
                        "the ledger entry is {} on {}, not the archiving of item {id}",
                        entry.action, entry.target
                    ),
                ));
            }
            if entry.data_hash != record_sha256 {
                reasons.push(invalid(
                    "RECORD_NOT_IN_LEDGER",
                    format!("Hồ sơ lưu trữ của văn bản {id} khác với hồ sơ đã ghi vào sổ cái."),
                    format!("the record of item {id} is not the one the ledger recorded"),
                ));
            }
            let hashes_ok: Option<Vec<Hash>> = proof.proof.iter().map(|h| parse_hash(h)).collect();
            let included = proof.index == entry.seq
                && proof.tree_size == checkpoint.size()
                && hashes_ok.is_some_and(|path| {
                    congso_ledger::verify_inclusion(
                        entry.seq,
                        checkpoint.size(),
                        &entry.leaf_hash(),
                        &path,
                        checkpoint.root(),
                    )
                    .is_ok()
                });
            if included {
                reasons.push(reason(
                    "LEDGER_INCLUSION_VALID",
                    Severity::Passed,
                    format!("Việc lưu trữ được ghi vào sổ cái của cơ quan (mục {}).", entry.seq),
                    format!("the archiving is entry {} of the ledger, included in the signed checkpoint", entry.seq),
                ));
            } else {
                reasons.push(invalid(
                    "LEDGER_INCLUSION_INVALID",
                    format!(
                        "Không chứng minh được việc lưu trữ văn bản {id} đã được ghi vào sổ cái."
                    ),
                    format!(
                        "the inclusion proof of item {id} does not lead to the signed checkpoint"
                    ),
                ));
            }
        }
        (_, _, None) => reasons.push(invalid(
            "LEDGER_INCLUSION_INVALID",
            format!("Không có điểm kiểm tra hợp lệ để xác minh văn bản {id}."),
            format!("no valid checkpoint to prove item {id} against"),
        )),
        _ => reasons.push(invalid(
            "LEDGER_PROOF_MISSING",
            format!("Thiếu bằng chứng sổ cái của văn bản {id}."),
            format!("the ledger entry or inclusion proof of item {id} is missing or malformed"),
        )),
    }

    // Members bound by the record: their manifest hashes (already checked
    // against the bytes) must be the record's.
    let bound = |name: String,
                 expected: Option<&str>,
                 what_vi: &str,
                 what_en: &str,
                 reasons: &mut Vec<Reason>| {
        let actual = hashes.get(&name).map(String::as_str);
        if expected.is_some() && actual != expected {
            reasons.push(invalid(
                "CONTENT_ALTERED",
                format!("{what_vi} của văn bản {id} đã bị thay đổi hoặc bị thiếu."),
                format!("the {what_en} of item {id} ({name}) is altered or missing"),
            ));
        }
    };
    bound(
        format!("{base}/metadata.json"),
        Some(&record.metadata_sha256),
        "Siêu dữ liệu",
        "metadata",
        &mut reasons,
    );
    bound(
        format!("{base}/metadata.edxml"),
        record.edxml_sha256.as_deref(),
        "Bản edXML",
        "edXML",
        &mut reasons,
    );
    bound(
        format!("{base}/validation-report.json"),
        Some(&record.report_sha256),
        "Báo cáo xác thực",
        "validation report",
        &mut reasons,
    );
    let mut members = Vec::new();
    for file in &record.files {
        let name = format!("{base}/files/{}", member_name(file.position, &file.name));
        bound(
            name.clone(),
            Some(&file.sha256),
            &format!("Tệp {}", file.name),
            &format!("file {}", file.name),
            &mut reasons,
        );
        if zip_like.contains(&name) && !is_zip_document(&file.media_type) {
            return Err(PackageError::NestedArchive { name });
        }
        members.push(name);
    }

    // Signatures, checked again here, offline.
    for (index, file) in record.files.iter().enumerate() {
        if !matches!(
            file.role,
            FileRole::Signed | FileRole::Signature | FileRole::Timestamp
        ) {
            continue;
        }
        let Ok(Ok(bytes)) = opened.read(&members[index], limits.max_member_bytes) else {
            continue;
        };
        let target = file
            .signs
            .and_then(|signs| usize::try_from(signs).ok())
            .and_then(|position| members.get(position).cloned());
        let checked = match file.role {
            FileRole::Signed => match congso_pki::verify_pdf(&bytes, options) {
                Ok(report) => Some(report),
                Err(error) => {
                    reasons.push(invalid(
                        "SIGNED_FILE_UNREADABLE",
                        format!("Không đọc được tệp đã ký {}.", file.name),
                        format!("the signed file {} cannot be read: {error}", file.name),
                    ));
                    None
                }
            },
            _ => match target.map(|target| opened.read(&target, limits.max_member_bytes)) {
                Some(Ok(Ok(data))) => Some(if file.role == FileRole::Signature {
                    congso_pki::verify_detached(&data, &bytes, options)
                } else {
                    congso_pki::verify_timestamp_token(&bytes, &data, options)
                }),
                Some(Err(error)) => return Err(error),
                _ => {
                    reasons.push(invalid(
                        "SIGNED_DATA_MISSING",
                        format!("Thiếu tệp được ký bởi {}.", file.name),
                        format!("the file {} signs is missing", file.name),
                    ));
                    None
                }
            },
        };
        if let Some(checked) = checked {
            if let Some(archived) = &file.verdict {
                if archived == "valid" && checked.verdict != Verdict::Valid {
                    reasons.push(reason(
                        "SIGNATURE_VERDICT_CHANGED",
                        Severity::Note,
                        format!(
                            "Chữ ký {} hợp lệ khi lưu trữ nhưng nay được đánh giá là {}.",
                            file.name,
                            verdict_code(checked.verdict)
                        ),
                        format!(
                            "{} was valid when archived and is {} now",
                            file.name,
                            verdict_code(checked.verdict)
                        ),
                    ));
                }
            }
            report.signatures.push(FileCheck {
                name: file.name.clone(),
                role: file.role,
                archived_verdict: file.verdict.clone(),
                report: checked,
            });
        }
    }
    report.verdict = report
        .signatures
        .iter()
        .map(|check| check.report.verdict)
        .chain([verdict_of(&reasons)])
        .max()
        .unwrap_or(Verdict::Valid);
    report.reasons = reasons;
    Ok(report)
}

/// Whether the bytes start like a zip (a local file header or an empty
/// archive's end record).
pub fn looks_like_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Whether content is a zip that is not a known zip-based document format
/// (a nested archive, which packages refuse and so archiving refuses too).
pub fn is_nested_archive(content: &[u8], media_type: &str) -> bool {
    looks_like_zip(content) && !is_zip_document(media_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names() {
        let check = |name: &str, expected: Option<&str>| {
            assert_eq!(unsafe_name(name), expected, "{name:?}")
        };
        check("items/1/files/000-Quyết định.pdf", None);
        check("../evil", Some("a parent, current or empty path component"));
        check(
            "items/../../evil",
            Some("a parent, current or empty path component"),
        );
        check("/etc/passwd", Some("absolute or with backslashes"));
        check("items\\1", Some("absolute or with backslashes"));
        check("C:evil", Some("a drive letter"));
        check("a//b", Some("a parent, current or empty path component"));
        check("a\u{0}b", Some("control characters"));
        check("", Some("empty"));
        check("items/", None);
        assert_eq!(member_name(3, "a/b\\c\n.pdf"), "003-a_b_c_.pdf");
        assert_eq!(member_name(0, ".."), "000-file");
    }

    #[test]
    fn zip_documents_are_not_nested_archives() {
        assert!(is_nested_archive(b"PK\x03\x04...", "application/zip"));
        assert!(!is_nested_archive(
            b"PK\x03\x04...",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ));
        assert!(!is_nested_archive(b"%PDF-1.7", "application/zip"));
        assert!(is_archive_name("x/inner.ZIP"));
        assert!(!is_archive_name("x/inner.pdf"));
    }
}
