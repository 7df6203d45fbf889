//! The node's public PKI endpoints: its CA certificate and CRL, which
//! relying parties fetch to check the node's signatures, and its RFC 3161
//! timestamp authority (RFC 3161 §3.4, time-stamp protocol over HTTP).
//!
//! None of them needs a session: they carry no credentials and reveal
//! nothing but what the node publishes anyway. The node PKI is opened per
//! request (one query; opened keys are cached process-wide by
//! `congso-archive`), and the CA and TSA are created on first use.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use congso_archive::{
    ArchiveError, NodePki, PkiSettings, TSA_MAX_REQUEST_BYTES, TSA_QUERY_MEDIA_TYPE,
    TSA_REPLY_MEDIA_TYPE,
};
use congso_core::audit::Actor;

use crate::error::AppError;
use crate::AppState;

fn failure(error: ArchiveError) -> AppError {
    match error {
        ArchiveError::Store(store) => AppError::from(store),
        other => AppError::internal(other.to_string()),
    }
}

async fn open(state: &AppState) -> Result<NodePki, AppError> {
    NodePki::open(state.db(), state.sealer(), PkiSettings::default())
        .await
        .map_err(failure)
}

fn with_type(body: impl Into<Body>, media_type: &'static str, cache: &'static str) -> Response {
    let mut response = Response::new(body.into());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `GET /pki/ca.pem`: the node CA certificate, for relying parties to trust.
pub async fn ca_certificate(State(state): State<AppState>) -> Result<Response, AppError> {
    let pki = open(&state).await?;
    let ca = pki
        .ca(state.ledger(), &Actor::System)
        .await
        .map_err(failure)?;
    Ok(with_type(
        ca.certificate().to_pem(),
        "application/x-pem-file",
        "public, max-age=3600",
    ))
}

/// `GET /pki/crl`: the CA's current CRL in DER (`application/pkix-crl`,
/// RFC 2585), as certificates' CRL distribution points name it.
pub async fn crl(State(state): State<AppState>) -> Result<Response, AppError> {
    let pki = open(&state).await?;
    let crl = pki
        .crl(state.ledger(), &Actor::System)
        .await
        .map_err(failure)?;
    Ok(with_type(crl.der, "application/pkix-crl", "no-cache"))
}

/// `POST /tsa`: an RFC 3161 request in, a response out. A malformed request
/// gets a rejection *response* (status 2, with a failure reason), as RFC
/// 3161 asks; only a body that is too large or not a time-stamp query at
/// all is refused at the HTTP level.
pub async fn timestamp(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if media_type != TSA_QUERY_MEDIA_TYPE {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "error-bad-request",
        )
        .arg(
            "reason",
            format!("a time-stamp request is sent as {TSA_QUERY_MEDIA_TYPE}"),
        ));
    }
    let request = axum::body::to_bytes(body, TSA_MAX_REQUEST_BYTES)
        .await
        .map_err(|_| AppError::too_large(TSA_MAX_REQUEST_BYTES))?;
    let pki = open(&state).await?;
    let tsa = pki
        .tsa(state.ledger(), &Actor::System)
        .await
        .map_err(failure)?;
    let reply =
        tokio::task::spawn_blocking(move || tsa.respond(&request, std::time::SystemTime::now()))
            .await
            .map_err(|error| AppError::internal(format!("timestamp task: {error}")))?
            .map_err(|error| AppError::internal(format!("timestamp: {error}")))?;
    metrics::counter!("congso_tsa_responses_total").increment(1);
    Ok(with_type(reply, TSA_REPLY_MEDIA_TYPE, "no-store").into_response())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use axum::http::{Method, Request};
    use congso_store::blob::{BlobConfig, BlobStore};
    use congso_store::conformance;
    use congso_store::ledger::{Ledger, LedgerOptions};
    use congso_store::secrets::MasterKey;
    use congso_store::Db;
    use tower::ServiceExt;

    use crate::{AppState, WebSettings};

    async fn app(db: Db, dir: &std::path::Path) -> axum::Router {
        let ledger = Ledger::open(
            db.clone(),
            [3u8; 32],
            "congso/web-pki-test".into(),
            LedgerOptions {
                batch_max: 64,
                checkpoint_interval: Duration::from_secs(3600),
            },
        )
        .await
        .unwrap();
        let blobs = BlobStore::open(
            &BlobConfig::Local {
                root: dir.join("blobs"),
            },
            dir.join("spool"),
        )
        .unwrap();
        let state = AppState::new(
            db,
            ledger,
            blobs,
            WebSettings::default(),
            MasterKey::generate().sealer(),
            [5u8; 32],
            crate::metrics_handle(),
        )
        .unwrap();
        crate::app(state)
    }

    async fn send(
        app: &axum::Router,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1:8080");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, bytes.to_vec())
    }

    use super::*;

    conformance!(publishes_ca_crl_and_timestamps, |db: Db| async move {
        let dir = tempfile::tempdir().unwrap();
        let app = app(db, dir.path()).await;
        let (status, headers, pem) = send(&app, Method::GET, "/pki/ca.pem", None, vec![]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/x-pem-file");
        let ca = congso_pki::Certificate::from_pem(&pem).unwrap();
        assert!(ca.subject().contains("Congso Node CA"));
        // The same CA on every request.
        let (_, _, again) = send(&app, Method::GET, "/pki/ca.pem", None, vec![]).await;
        assert_eq!(again, pem);

        let (status, headers, der) = send(&app, Method::GET, "/pki/crl", None, vec![]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/pkix-crl");
        let crl = congso_pki::Crl::parse(&der).unwrap();
        crl.verify_issuer(&ca).unwrap();
        assert!(crl.is_empty());

        let data = b"van ban can dau thoi gian";
        let request =
            congso_pki::make_request(&congso_pki::DigestAlgorithm::Sha256.digest(data)).unwrap();
        let (status, headers, reply) = send(
            &app,
            Method::POST,
            "/tsa",
            Some(TSA_QUERY_MEDIA_TYPE),
            request.to_der().to_vec(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&reply)
        );
        assert_eq!(headers[header::CONTENT_TYPE], TSA_REPLY_MEDIA_TYPE);
        let token = request.parse_response(&reply).unwrap();
        let report = congso_pki::verify_timestamp_token(
            &token,
            data,
            &congso_pki::VerifyOptions::new(vec![ca.clone()], SystemTime::now()),
        );
        assert_eq!(report.verdict, congso_pki::Verdict::Valid, "{report:?}");

        // A request that is not a time-stamp query: a rejection response.
        let (status, _, reply) = send(
            &app,
            Method::POST,
            "/tsa",
            Some(TSA_QUERY_MEDIA_TYPE),
            b"not der".to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let refused = congso_pki::parse_response(&reply).unwrap_err().to_string();
        assert!(refused.contains("refused"), "{refused}");
        // Wrong media type, oversized body.
        let (status, _, _) = send(
            &app,
            Method::POST,
            "/tsa",
            Some("text/plain"),
            request.to_der().to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (status, _, _) = send(
            &app,
            Method::POST,
            "/tsa",
            Some(TSA_QUERY_MEDIA_TYPE),
            vec![0x30; TSA_MAX_REQUEST_BYTES + 1],
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

        // No session, no CSRF token: any RFC 3161 client can ask, and a
        // cookie it happens to carry changes nothing.
        let (status, _, reply) = send(
            &app,
            Method::POST,
            "/tsa",
            Some(TSA_QUERY_MEDIA_TYPE),
            request.to_der().to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(request.parse_response(&reply).is_ok());
    });
}
