//! What can go wrong in the documents service.

use congso_edxml::FieldIssue;
use congso_store::documents::{FirstRegistration, RegisterError};
use congso_store::StoreError;

use crate::model::FieldError;

/// An error of the documents service. The web layer maps each variant to a
/// status and a translated message; the English text here is for logs.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// The acting user may not do this.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// No such document, or one the acting user may not see (the two are
    /// not told apart, so a secret document's existence does not leak).
    #[error("document {0} not found")]
    NotFound(i64),
    /// The metadata has problems, field by field.
    #[error("invalid document: {}", join(.0))]
    Invalid(Vec<FieldError>),
    /// The document is already registered; the first registration is named.
    #[error(
        "already registered as document {} (arrival number {}/{})",
        .0.document_id,
        .0.arrival_number.map(|n| n.to_string()).unwrap_or_default(),
        .0.year.map(|y| y.to_string()).unwrap_or_default()
    )]
    Duplicate(FirstRegistration),
    /// Someone else changed the document first, or it was recalled.
    #[error("{0}")]
    Conflict(String),
    /// The workflow does not allow this step now.
    #[error("{0}")]
    Workflow(String),
    /// An uploaded file was refused (type, name, content).
    #[error("file refused: {0}")]
    File(String),
    /// An uploaded file was refused before anything was registered; `code`
    /// says why (`file_name`, `file_type`, `file_type_mismatch`,
    /// `file_content_mismatch`, `file_empty`, `pdf_corrupt`,
    /// `pdf_encrypted`), for the message the user reads.
    #[error("file refused: {detail}")]
    Refused { code: &'static str, detail: String },
    /// An upload exceeded the size limit.
    #[error("file is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// The edXML package could not be read at all.
    #[error("edXML package unreadable: {0}")]
    Edxml(#[from] congso_edxml::ParseError),
    /// The edXML package lacks what registration needs; nothing was registered.
    #[error("edXML package cannot be registered: {}", join(.0))]
    EdxmlRejected(Vec<FieldIssue>),
    /// The change is committed but its ledger entry could not be appended
    /// (it is appended again by `Service::reconcile_ledger`).
    #[error("document {document_id} changed but its ledger entry failed: {reason}")]
    NotLedgered { document_id: i64, reason: String },
    /// A date is outside the official calendar.
    #[error("calendar: {0}")]
    Calendar(#[from] congso_vn::calendar::CalendarError),
    #[error("spreadsheet export failed: {0}")]
    Export(String),
    /// The change is committed but archiving it failed (it is archived
    /// again by `Service::reconcile_archive`).
    #[error("document {document_id} changed but archiving it failed: {reason}")]
    NotArchived { document_id: i64, reason: String },
    /// The acting user holds no certificate the node can sign with.
    #[error("{username} has no usable signing certificate: {reason}")]
    NoSigningCertificate { username: String, reason: String },
    /// Signing failed for a reason outside the user's file (the timestamp
    /// authority did not answer, the fresh signature did not verify).
    #[error("signing failed: {0}")]
    Signing(String),
    /// The archive or signing service failed.
    #[error("archive: {0}")]
    Archive(String),
    /// The federation could not take the document (its outbox or
    /// directory failed); nothing was queued for that recipient.
    #[error("cannot hand the document to the federation: {0}")]
    Dispatch(String),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(StoreError),
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<StoreError> for DocsError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => DocsError::Conflict(message),
            StoreError::Invalid(message) if message.contains("larger than the limit") => {
                let limit = message
                    .split_whitespace()
                    .find_map(|word| word.parse().ok())
                    .unwrap_or(0);
                DocsError::TooLarge { limit }
            }
            other => DocsError::Store(other),
        }
    }
}

impl From<RegisterError> for DocsError {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::Duplicate(first) => DocsError::Duplicate(first),
            RegisterError::Store(error) => error.into(),
            RegisterError::NotLedgered {
                document_id,
                reason,
            } => DocsError::NotLedgered {
                document_id,
                reason,
            },
        }
    }
}

pub type Result<T, E = DocsError> = std::result::Result<T, E>;
