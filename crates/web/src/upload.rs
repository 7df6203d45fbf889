//! Document uploads: which routes take them (their own size limit and
//! timeout, see the middleware), and reading `multipart/form-data` one part
//! at a time, streaming file parts straight into the documents service
//! (and from there into the blob store) without holding them in memory.

use axum::extract::multipart::{Field, Multipart};
use axum::http::{Method, StatusCode};
use futures::TryStreamExt;
use tokio::io::AsyncRead;

use crate::error::AppError;

/// Whether a request is a document upload: the pages' and the API's
/// registration, edXML import, new draft and attach routes. These accept
/// bodies up to `WebSettings::upload_limit` and run for up to
/// `WebSettings::upload_timeout`; every other request keeps the ordinary
/// limits.
pub fn is_upload(method: &Method, path: &str) -> bool {
    if method != Method::POST {
        return false;
    }
    let path = path.strip_prefix("/api").unwrap_or(path);
    matches!(
        path,
        "/documents/incoming" | "/documents/incoming/edxml" | "/documents/outgoing"
    ) || path
        .strip_prefix("/documents/")
        .and_then(|rest| rest.strip_suffix("/files"))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// A multipart error as the user's error: a body over the limit is 413,
/// anything else a malformed request.
pub fn multipart_error(error: axum::extract::multipart::MultipartError, limit: u64) -> AppError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::too_large(usize::try_from(limit).unwrap_or(usize::MAX))
    } else {
        AppError::bad_request(error.body_text())
    }
}

/// The next part of a multipart body.
pub async fn next_field<'a>(
    multipart: &'a mut Multipart,
    limit: u64,
) -> Result<Option<Field<'a>>, AppError> {
    multipart
        .next_field()
        .await
        .map_err(|error| multipart_error(error, limit))
}

/// A text part, at most `max` bytes (form fields are short; a longer one is
/// refused rather than buffered).
pub async fn text(field: Field<'_>, max: usize, limit: u64) -> Result<String, AppError> {
    let name = field.name().unwrap_or("").to_owned();
    let mut field = field;
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|error| multipart_error(error, limit))?
    {
        if bytes.len() + chunk.len() > max {
            return Err(AppError::bad_request(format!(
                "the form field {name:?} is longer than {max} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::bad_request(format!("the form field {name:?} is not UTF-8 text")))
}

/// A file part as a stream of bytes for the documents service.
pub fn reader<'a>(field: Field<'a>) -> impl AsyncRead + Unpin + 'a {
    tokio_util::io::StreamReader::new(field.map_err(std::io::Error::other))
}

/// Copies a file part to a temporary file in `dir` (at most `limit` bytes),
/// for readers that need a synchronous file (the edXML parser runs on a
/// blocking thread). The file is removed when the handle is dropped.
pub async fn spool(
    field: Field<'_>,
    dir: &std::path::Path,
    limit: u64,
) -> Result<tempfile::NamedTempFile, AppError> {
    use tokio::io::AsyncWriteExt;
    let spooled = tempfile::NamedTempFile::new_in(dir)
        .map_err(|error| AppError::internal(format!("spool file: {error}")))?;
    let file = spooled
        .reopen()
        .map_err(|error| AppError::internal(format!("spool file: {error}")))?;
    let mut writer = tokio::io::BufWriter::new(tokio::fs::File::from_std(file));
    let mut field = field;
    let mut written: u64 = 0;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|error| multipart_error(error, limit))?
    {
        written += chunk.len() as u64;
        if written > limit {
            return Err(AppError::too_large(
                usize::try_from(limit).unwrap_or(usize::MAX),
            ));
        }
        writer
            .write_all(&chunk)
            .await
            .map_err(|error| AppError::internal(format!("spool file: {error}")))?;
    }
    writer
        .flush()
        .await
        .map_err(|error| AppError::internal(format!("spool file: {error}")))?;
    Ok(spooled)
}

/// The file name a browser sent for a part (its last path component:
/// some browsers send the whole path).
pub fn file_name(field: &Field<'_>) -> Option<String> {
    field
        .file_name()
        .map(|name| {
            name.rsplit(['/', '\\'])
                .next()
                .unwrap_or(name)
                .trim()
                .to_owned()
        })
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_routes() {
        let check = |method: Method, path: &str, expected: bool| {
            assert_eq!(is_upload(&method, path), expected, "{method} {path}");
        };
        check(Method::POST, "/documents/incoming", true);
        check(Method::POST, "/api/documents/incoming", true);
        check(Method::POST, "/documents/incoming/edxml", true);
        check(Method::POST, "/api/documents/incoming/edxml", true);
        check(Method::POST, "/documents/outgoing", true);
        check(Method::POST, "/documents/12/files", true);
        check(Method::POST, "/api/documents/12/files", true);
        check(Method::GET, "/documents/12/files", false);
        check(Method::POST, "/documents/12/transition", false);
        check(Method::POST, "/documents/x/files", false);
        check(Method::POST, "/documents//files", false);
        check(Method::POST, "/login", false);
        check(Method::POST, "/documents/incoming/", false);
    }
}
