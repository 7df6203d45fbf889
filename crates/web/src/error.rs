//! The one error type of the HTTP layer.
//!
//! What the user is told (a translated message and a stable code) is kept
//! apart from what goes to the log (internal details). A handler returns an
//! [`AppError`]; the response carries an [`ErrorPage`] marker that the
//! visitor middleware renders in the visitor's language, as HTML for
//! browsers and as `{"error","message"}` JSON for API clients.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use congso_store::StoreError;

/// A failed request.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message_id: &'static str,
    args: Vec<(&'static str, String)>,
    details: Option<serde_json::Value>,
    log: Option<String>,
}

/// Marker left on error responses for the renderer.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub code: &'static str,
    pub message_id: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// Structured details for API clients (field errors, edXML issues),
    /// sent as `details` beside `error` and `message`.
    pub details: Option<serde_json::Value>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message_id: &'static str) -> Self {
        AppError {
            status,
            code,
            message_id,
            args: Vec::new(),
            details: None,
            log: None,
        }
    }

    /// Structured details for API clients.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    pub fn not_found() -> Self {
        AppError::new(StatusCode::NOT_FOUND, "not_found", "error-not-found")
    }

    pub fn forbidden() -> Self {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", "error-forbidden")
    }

    pub fn csrf() -> Self {
        AppError::new(StatusCode::FORBIDDEN, "csrf", "error-csrf")
    }

    pub fn bad_request(reason: impl Into<String>) -> Self {
        AppError::new(StatusCode::BAD_REQUEST, "bad_request", "error-bad-request")
            .arg("reason", reason)
    }

    pub fn too_large(limit_bytes: usize) -> Self {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "error-too-large",
        )
        .arg("limit", human_bytes(limit_bytes))
    }

    /// A failure that is ours, not the user's: logged in full, shown vaguely.
    pub fn internal(log: impl Into<String>) -> Self {
        AppError {
            log: Some(log.into()),
            ..AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "error-internal",
            )
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

pub fn human_bytes(bytes: usize) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} B")
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { .. } => AppError::not_found(),
            StoreError::Invalid(reason) => AppError::bad_request(reason),
            StoreError::Conflict(reason) => AppError {
                status: StatusCode::CONFLICT,
                code: "conflict",
                ..AppError::bad_request(reason)
            },
            other => AppError::internal(other.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Some(log) = &self.log {
            tracing::error!(code = self.code, error = %log, "request failed");
        }
        let mut response = self.status.into_response();
        response.extensions_mut().insert(ErrorPage {
            code: self.code,
            message_id: self.message_id,
            args: self.args,
            details: self.details,
        });
        response
    }
}

impl From<congso_docs::DocsError> for AppError {
    fn from(error: congso_docs::DocsError) -> Self {
        use congso_docs::DocsError;
        match error {
            DocsError::Forbidden(reason) => {
                tracing::info!(%reason, "document action refused");
                AppError::forbidden()
            }
            DocsError::NotFound(_) => {
                AppError::new(StatusCode::NOT_FOUND, "not_found", "doc-error-not-found")
            }
            DocsError::Invalid(errors) => {
                let list = errors
                    .iter()
                    .map(|error| error.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                AppError::new(StatusCode::BAD_REQUEST, "invalid", "doc-error-invalid")
                    .arg("problems", list)
                    .details(serde_json::json!({ "fields": errors }))
            }
            DocsError::Duplicate(first) => {
                AppError::new(StatusCode::CONFLICT, "duplicate", "doc-error-duplicate")
                    .arg("id", first.document_id.to_string())
                    .arg(
                        "number",
                        first
                            .arrival_number
                            .map(|number| number.to_string())
                            .unwrap_or_else(|| "—".to_owned()),
                    )
                    .arg(
                        "year",
                        first.year.map(|year| year.to_string()).unwrap_or_default(),
                    )
                    .details(serde_json::json!({
                        "document_id": first.document_id,
                        "arrival_number": first.arrival_number,
                        "year": first.year,
                    }))
            }
            DocsError::Conflict(reason) => {
                AppError::new(StatusCode::CONFLICT, "conflict", "doc-error-conflict")
                    .arg("reason", reason)
            }
            DocsError::Workflow(reason) => {
                AppError::new(StatusCode::CONFLICT, "workflow", "doc-error-workflow")
                    .arg("reason", reason)
            }
            DocsError::File(reason) => {
                AppError::new(StatusCode::BAD_REQUEST, "file_refused", "doc-error-file")
                    .arg("reason", reason)
            }
            DocsError::Refused { code, detail } => {
                let (status, message_id) = match code {
                    "file_type" | "file_type_mismatch" | "file_content_mismatch" => {
                        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "doc-error-file-type")
                    }
                    "pdf_corrupt" => (StatusCode::BAD_REQUEST, "doc-error-pdf-corrupt"),
                    "pdf_encrypted" => (StatusCode::BAD_REQUEST, "doc-error-pdf-encrypted"),
                    "file_empty" => (StatusCode::BAD_REQUEST, "doc-error-file-empty"),
                    _ => (StatusCode::BAD_REQUEST, "doc-error-file"),
                };
                AppError::new(status, code, message_id).arg("reason", detail)
            }
            DocsError::TooLarge { limit } => {
                AppError::too_large(usize::try_from(limit).unwrap_or(usize::MAX))
            }
            DocsError::Edxml(error) => AppError::new(
                StatusCode::BAD_REQUEST,
                "edxml_unreadable",
                "doc-error-edxml",
            )
            .arg("reason", error.to_string()),
            DocsError::EdxmlRejected(issues) => {
                let list = issues
                    .iter()
                    .filter(|issue| issue.severity == congso_edxml::Severity::Error)
                    .map(|issue| format!("{}: {}", issue.path, issue.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "edxml_rejected",
                    "doc-error-edxml-rejected",
                )
                .arg("problems", list)
                .details(serde_json::json!({ "issues": issues }))
            }
            DocsError::NoSigningCertificate { username, reason } => {
                tracing::info!(%username, %reason, "no signing certificate");
                AppError::new(
                    StatusCode::CONFLICT,
                    "no_signing_certificate",
                    "doc-error-no-certificate",
                )
                .arg("reason", reason)
            }
            DocsError::Signing(reason) => AppError {
                log: Some(reason.clone()),
                ..AppError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "signing_failed",
                    "doc-error-signing",
                )
            },
            DocsError::NotLedgered {
                document_id,
                reason,
            }
            | DocsError::NotArchived {
                document_id,
                reason,
            } => AppError {
                log: Some(format!("document {document_id}: {reason}")),
                ..AppError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "recorded_later",
                    "doc-error-recorded-later",
                )
                .arg("id", document_id.to_string())
            },
            DocsError::Dispatch(reason) => AppError {
                log: Some(reason.clone()),
                ..AppError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "dispatch_failed",
                    "doc-error-dispatch",
                )
            },
            DocsError::Calendar(error) => AppError::bad_request(error.to_string()),
            other => AppError::internal(other.to_string()),
        }
    }
}
