//! Signatures, timestamps and the archive of a congso node (Decree 64
//! Art. 35, 38 and 40), built on the pure signature library `congso-pki`
//! and the node's storage (`congso-store`).
//!
//! - [`NodePki`]: the node CA (created on first use, ECDSA P-256), staff
//!   signing identities issued by it or imported from PKCS#12, the node TSA,
//!   revocation with a CRL published in the same transaction, and the
//!   signing service ([`NodePki::sign`]): PDFs become PAdES B-T, other files
//!   get a detached CMS with a signature timestamp, from the node's TSA in
//!   process or an external one over HTTP ([`HttpTimestamper`]).
//! - [`Archive`]: records an issued or received document with its metadata,
//!   event time, file hashes, validation report and a ledger entry
//!   ([`Archive::archive_item`]); re-checks everything archived
//!   ([`Archive::verify`]); exports archive packages
//!   ([`Archive::export_package`]).
//! - [`package`]: reading and checking an archive package offline, with
//!   nothing but the package, and refusing hostile zip files.
//!
//! Private keys exist in clear only in memory: at rest they are PKCS#8
//! `EncryptedPrivateKeyInfo` under a 32-byte node secret that is itself
//! sealed with the node master key. Every issuance, import, revocation,
//! signature and archived item is recorded in the ledger.

mod archive;
mod error;
mod events;
mod http_tsa;
mod keycache;
mod node_pki;
pub mod package;
mod record;
pub mod samples;
mod signing;
mod writer;

pub use archive::{
    Archive, ArchiveInput, ArchiveProblem, ArchiveVerifyReport, ArchivedItem, FileContent,
    FileValidation, InputFile, ItemValidation,
};
pub use congso_pki::KeyAlgorithm;
pub use error::{ArchiveError, PackageError};
pub use events::Event;
pub use http_tsa::{HttpTimestamper, TSA_MAX_RESPONSE_BYTES};
pub use node_pki::{NodePki, PkiSettings, Trust};
pub use record::{ArchiveRecord, RecordFile};
pub use signing::{SignContent, SignRequest, SignatureFormat, SignatureRecord, MAX_SIGN_BYTES};

// Re-exported so callers name the same types the API takes.
pub use congso_pki::{RevocationReason, ValidationReport, Verdict, VisibleSignature};
pub use congso_store::archive::{Direction, FileRole};

/// The largest request body `POST /tsa` accepts: a `TimeStampReq` with a
/// SHA-512 imprint, a nonce, a policy and extensions is a few hundred bytes.
pub const TSA_MAX_REQUEST_BYTES: usize = 16 * 1024;

/// The media type of an RFC 3161 request (RFC 3161 §3.4).
pub const TSA_QUERY_MEDIA_TYPE: &str = "application/timestamp-query";
/// The media type of an RFC 3161 response (RFC 3161 §3.4).
pub const TSA_REPLY_MEDIA_TYPE: &str = "application/timestamp-reply";

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `SystemTime` from a [`congso_core::time::Timestamp`].
pub fn system_time(timestamp: congso_core::time::Timestamp) -> std::time::SystemTime {
    let micros = timestamp.micros();
    if micros >= 0 {
        std::time::UNIX_EPOCH + std::time::Duration::from_micros(micros.unsigned_abs())
    } else {
        std::time::UNIX_EPOCH - std::time::Duration::from_micros(micros.unsigned_abs())
    }
}

/// [`congso_core::time::Timestamp`] from a `SystemTime`.
pub fn timestamp_of(time: std::time::SystemTime) -> congso_core::time::Timestamp {
    let micros = match time.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_micros()).unwrap_or(i64::MAX),
    };
    congso_core::time::Timestamp(micros)
}

/// Parses an RFC 3339 time as the validation report writes it.
pub fn parse_rfc3339(text: &str) -> Option<congso_core::time::Timestamp> {
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    let micros = parsed.unix_timestamp_nanos() / 1000;
    i64::try_from(micros).ok().map(congso_core::time::Timestamp)
}

/// A time as RFC 3339 (UTC), for reports.
pub fn rfc3339(timestamp: congso_core::time::Timestamp) -> String {
    let nanos = i128::from(timestamp.micros()) * 1000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| timestamp.micros().to_string())
}
