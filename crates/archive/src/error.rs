//! The errors of the crate. Problems found *in* a signature or an archived
//! item are not errors: they are reasons in a validation report or problems
//! in an archive check. An error means the request could not be carried out.

use congso_store::StoreError;

/// Why a PKI, signing or archive operation could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Pki(#[from] congso_pki::Error),
    #[error("no account named {0:?}")]
    UnknownUser(String),
    #[error("account {username:?} cannot hold a signing certificate: {reason}")]
    NotSigner { username: String, reason: String },
    #[error("{username:?} has no usable signing certificate ({reason}); issue one with `congso pki issue-cert {username}` or import one with `congso pki import-p12`")]
    NoSigningIdentity { username: String, reason: String },
    #[error("no certificate with serial number {0}")]
    UnknownSerial(String),
    #[error("serial number {serial} names {count} certificates from different issuers; revoke by fingerprint is not supported, ask the operator of the issuing CA")]
    AmbiguousSerial { serial: String, count: usize },
    #[error("the node CA cannot be revoked: it would invalidate every signature the node made")]
    CannotRevokeCa,
    #[error("certificate {serial} is already revoked")]
    AlreadyRevoked { serial: String },
    #[error("the imported certificate cannot sign documents: {0}")]
    UnusableImport(String),
    #[error("timestamp authority {url}: {reason}")]
    Tsa { url: String, reason: String },
    #[error("{name}: declared as {declared} but the content is {actual}")]
    MediaTypeMismatch {
        name: String,
        declared: String,
        actual: String,
    },
    #[error("{name} is {size} bytes; the limit for {what} is {limit} bytes")]
    TooLarge {
        name: String,
        what: &'static str,
        size: u64,
        limit: u64,
    },
    #[error("the signature just made does not verify ({verdict}): {reasons}")]
    SignatureInvalid { verdict: String, reasons: String },
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("archive item {0} does not exist")]
    UnknownItem(i64),
    #[error("archive item {id} is not recorded in the ledger yet")]
    NotLedgered { id: i64 },
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    #[error("a background task failed: {0}")]
    Task(String),
}

impl From<tokio::task::JoinError> for ArchiveError {
    fn from(error: tokio::task::JoinError) -> Self {
        ArchiveError::Task(error.to_string())
    }
}

/// Why an archive package cannot be read. Each hostile shape has its own
/// variant so a test (and an operator) can tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("the package is {size} bytes; packages up to {limit} bytes are accepted")]
    FileTooLarge { size: u64, limit: u64 },
    #[error("not a zip archive: {0}")]
    NotZip(String),
    #[error("the package has {count} entries; at most {limit} are accepted")]
    TooManyEntries { count: u64, limit: u64 },
    #[error("member {name:?} unpacks to {size} bytes; members up to {limit} bytes are accepted")]
    MemberTooLarge { name: String, size: u64, limit: u64 },
    #[error("the package unpacks to more than {limit} bytes")]
    TotalTooLarge { limit: u64 },
    #[error("member {name:?} is compressed {ratio}:1, beyond any real document (a zip bomb)")]
    CompressionRatio { name: String, ratio: u64 },
    #[error("the package's members overlap each other (a zip bomb)")]
    OverlappingMembers,
    #[error("member name {name:?} is not a safe relative path ({reason})")]
    UnsafeName { name: String, reason: &'static str },
    #[error("member {name:?} appears twice")]
    DuplicateName { name: String },
    #[error("member {name:?} is encrypted; archive packages are never encrypted")]
    Encrypted { name: String },
    #[error("member {name:?} is a link or a special file")]
    NotAFile { name: String },
    #[error("member {name:?} is itself an archive; nested archives are refused")]
    NestedArchive { name: String },
    #[error(
        "member {name:?} uses compression method {method}; only stored and deflate are accepted"
    )]
    UnsupportedCompression { name: String, method: String },
    #[error("the package has no {name}")]
    Missing { name: String },
    #[error("{name}: {reason}")]
    Malformed { name: String, reason: String },
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    #[error("zip error: {0}")]
    Zip(String),
}

impl From<zip::result::ZipError> for PackageError {
    fn from(error: zip::result::ZipError) -> Self {
        match error {
            zip::result::ZipError::Io(io) => PackageError::Io(io),
            other => PackageError::Zip(other.to_string()),
        }
    }
}
