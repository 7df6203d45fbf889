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
    log: Option<String>,
}

/// Marker left on error responses for the renderer.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub code: &'static str,
    pub message_id: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message_id: &'static str) -> Self {
        AppError {
            status,
            code,
            message_id,
            args: Vec::new(),
            log: None,
        }
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
    if bytes >= 1 << 20 {
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
        });
        response
    }
}
