//! The federation listener: mutual TLS with rustls, then HTTP/1.1 (axum
//! routes; see [`crate::wire`] for the list).
//!
//! The accept loop is our own (not axum's) so that each connection's peer
//! certificate is known to its requests. A certificate passed TLS
//! verification against the federation CA and CRL; a request is then served
//! only if that exact certificate belongs to an active member of the
//! directory in force, which is re-read on every request, so a member
//! removed by a refresh is refused even on a connection it already had open.
//! A connection without a certificate can only reach `/federation/join`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use congso_core::audit::{Actor, AuditAction};
use congso_store::federation::{
    self as store, InboxNew, WriteOp, WriteOutcome, INLINE_PAYLOAD_MAX,
};
use congso_store::ledger::{self, NewEntry};
use futures::TryStreamExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::envelope::{check_clock, check_message_id, Domain, Envelope, Receipt};
use crate::error::FederationError;
use crate::service::Inner;
use crate::wire::{
    ConsistencyDocument, CosignatureDocument, DirectoryDocument, ErrorDocument, JoinDocument,
    ReceiptDocument, DUPLICATE_HEADER, ENVELOPE_HEADER, SIGNATURE_HEADER,
};

/// Most messages received at once; more are asked to come back later.
const INBOUND_MAX: usize = 512;

/// The longest header value carrying an envelope (base64 of 2 KiB).
const ENVELOPE_HEADER_MAX: usize = 4096;

/// Who is on the other end of a connection.
#[derive(Debug, Clone)]
struct PeerConnection {
    address: SocketAddr,
    /// SHA-256 of the client certificate, if one was presented (and so
    /// verified against the federation CA and CRL).
    certificate: Option<[u8; 32]>,
}

#[derive(Clone)]
struct ServerState {
    inner: Arc<Inner>,
    inbound: Arc<Semaphore>,
}

/// A refusal, answered as [`ErrorDocument`] and logged.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry: bool,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        retry: bool,
    ) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry,
        }
    }

    fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "federation request failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the node could not complete the request; try again later",
            true,
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorDocument {
                error: self.code.to_owned(),
                message: self.message,
                retry: self.retry,
            }),
        )
            .into_response()
    }
}

type ApiResult<T> = std::result::Result<T, ApiError>;

/// Accepts connections until the service stops, then lets open
/// connections finish for up to the I/O timeout.
pub(crate) async fn serve(inner: Arc<Inner>, listener: TcpListener) {
    let state = ServerState {
        inner: inner.clone(),
        inbound: Arc::new(Semaphore::new(INBOUND_MAX)),
    };
    let router = routes(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = inner.stop.subscribe();
    let handshake_timeout = inner.settings.connect_timeout;
    let io_timeout = inner.settings.io_timeout;
    loop {
        let (tcp, address) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(%error, "federation listener cannot accept");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = tokio_rustls::TlsAcceptor::from(inner.net().server.clone());
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(error)) => {
                    tracing::warn!(peer = %address, %error, "federation TLS handshake refused");
                    return;
                }
                Err(_) => {
                    tracing::warn!(peer = %address, "federation TLS handshake timed out");
                    return;
                }
            };
            let certificate = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|certificate| Sha256::digest(certificate.as_ref()).into());
            let service = router.layer(Extension(PeerConnection {
                address,
                certificate,
            }));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(io_timeout)
                .serve_connection(TokioIo::new(tls), TowerToHyperService::new(service));
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(peer = %address, %error, "federation connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(io_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("federation connections still open after the grace period; closing them");
    }
}

fn routes(state: ServerState) -> Router {
    Router::new()
        .route(
            "/federation/join",
            post(join).layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .route("/federation/directory", get(directory))
        .route("/federation/messages", post(messages))
        .route("/federation/receipts/{message_id}", get(receipt))
        .route("/federation/cosignatures", get(cosignatures))
        .route("/federation/services/call", post(service_call))
        .route("/ledger/checkpoint", get(checkpoint))
        .route("/ledger/proof/consistency", get(consistency))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such federation route",
                false,
            )
        })
        .with_state(state)
}

/// The active member behind a connection, or a refusal.
fn caller(inner: &Inner, peer: &PeerConnection) -> ApiResult<String> {
    let Some(fingerprint) = peer.certificate else {
        tracing::warn!(peer = %peer.address, "federation request without a client certificate refused");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "certificate_required",
            "present a node certificate issued by the federation CA",
            false,
        ));
    };
    match inner.directory().active_by_certificate(&fingerprint) {
        Some(member) => Ok(member.entry.organ_code.clone()),
        None => {
            tracing::warn!(peer = %peer.address, certificate = %hex::encode(fingerprint), "federation request from a certificate that is not an active member's refused");
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "not_a_member",
                "this certificate does not belong to an active member of the federation (removed or revoked?)",
                false,
            ))
        }
    }
}

// -------------------------------------------------------------------- join

async fn join(
    State(state): State<ServerState>,
    Extension(peer): Extension<PeerConnection>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let inner = &state.inner;
    let Some(authority) = &inner.authority else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_coordinator",
            "this node is not the federation coordinator",
            false,
        ));
    };
    let bad = |message: String| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_join_request", message, false)
    };
    let document: JoinDocument = serde_json::from_slice(&body)
        .map_err(|error| bad(format!("not a join document: {error}")))?;
    let request = STANDARD
        .decode(&document.request)
        .map_err(|_| bad("the request is not base64".into()))?;
    let signature = STANDARD
        .decode(&document.signature)
        .map_err(|_| bad("the signature is not base64".into()))?;
    let response = authority
        .admit(
            &inner.db,
            &inner.ledger,
            &request,
            &signature,
            inner.settings.certificate_validity,
            &peer.address.ip().to_string(),
        )
        .await
        .map_err(|error| {
            tracing::warn!(peer = %peer.address, %error, "federation join refused");
            match error {
                FederationError::Store(congso_store::StoreError::Invalid(message)) => {
                    ApiError::new(StatusCode::FORBIDDEN, "invitation_refused", message, false)
                }
                FederationError::Store(congso_store::StoreError::Conflict(message)) => {
                    ApiError::new(StatusCode::CONFLICT, "already_member", message, false)
                }
                FederationError::Invalid { .. } | FederationError::Signature(_) => {
                    bad(error.to_string())
                }
                other => ApiError::internal(other),
            }
        })?;
    if let Err(error) = inner.refresh_directory().await {
        tracing::error!(%error, "cannot reload the directory after admitting a member");
    }
    tracing::info!(peer = %peer.address, "federation member admitted");
    Ok(Json(response).into_response())
}

// --------------------------------------------------------------- directory

async fn directory(
    State(state): State<ServerState>,
    Extension(peer): Extension<PeerConnection>,
) -> ApiResult<Json<DirectoryDocument>> {
    caller(&state.inner, &peer)?;
    let view = state.inner.directory();
    Ok(Json(DirectoryDocument {
        note: view.signed_note().to_owned(),
        body: STANDARD.encode(view.body()),
        crl: STANDARD.encode(view.crl()),
    }))
}

// ---------------------------------------------------------------- messages

/// Reads the payload, checking as it goes that it is no longer than the
/// envelope says, and at the end that it has exactly that length and
/// SHA-256. Any mismatch, and any pause longer than the idle timeout, ends
/// the read with an error, so nothing half-received or altered is stored.
struct VerifyingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
    seen: u64,
    expected_len: u64,
    expected_sha256: [u8; 32],
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl<R> VerifyingReader<R> {
    fn new(inner: R, expected_len: u64, expected_sha256: [u8; 32], idle: Duration) -> Self {
        VerifyingReader {
            inner,
            hasher: Some(Sha256::new()),
            seen: 0,
            expected_len,
            expected_sha256,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for VerifyingReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        use std::io::{Error, ErrorKind};
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(Error::new(
                        ErrorKind::TimedOut,
                        format!(
                            "no payload bytes for {} s after {} of {} bytes",
                            this.idle.as_secs(),
                            this.seen,
                            this.expected_len
                        ),
                    )));
                }
                Poll::Pending
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(Error::new(
                ErrorKind::UnexpectedEof,
                format!(
                    "the payload stream broke after {} of {} bytes: {error}",
                    this.seen, this.expected_len
                ),
            ))),
            Poll::Ready(Ok(())) => {
                let fresh = &buf.filled()[before..];
                if fresh.is_empty() {
                    if this.seen != this.expected_len {
                        return Poll::Ready(Err(Error::new(
                            ErrorKind::UnexpectedEof,
                            format!(
                                "the payload ended after {} of the {} bytes the envelope announces",
                                this.seen, this.expected_len
                            ),
                        )));
                    }
                    if let Some(hasher) = this.hasher.take() {
                        let actual: [u8; 32] = hasher.finalize().into();
                        if actual != this.expected_sha256 {
                            return Poll::Ready(Err(Error::new(
                                ErrorKind::InvalidData,
                                "the payload does not match the SHA-256 in the signed envelope",
                            )));
                        }
                    }
                    return Poll::Ready(Ok(()));
                }
                this.seen += fresh.len() as u64;
                if this.seen > this.expected_len {
                    // An error must not come with data (AsyncRead's contract).
                    buf.set_filled(before);
                    return Poll::Ready(Err(Error::new(
                        ErrorKind::InvalidData,
                        format!(
                            "the payload is longer than the {} bytes the envelope announces",
                            this.expected_len
                        ),
                    )));
                }
                if let Some(hasher) = this.hasher.as_mut() {
                    hasher.update(fresh);
                }
                let next = tokio::time::Instant::now() + this.idle;
                this.deadline.as_mut().reset(next);
                Poll::Ready(Ok(()))
            }
        }
    }
}

fn payload_error(error: &std::io::Error) -> ApiError {
    use std::io::ErrorKind;
    let (status, code) = match error.kind() {
        ErrorKind::TimedOut => (StatusCode::REQUEST_TIMEOUT, "payload_timeout"),
        ErrorKind::InvalidData => (StatusCode::BAD_REQUEST, "payload_mismatch"),
        _ => (StatusCode::BAD_REQUEST, "payload_incomplete"),
    };
    ApiError::new(status, code, format!("{error}; nothing was stored"), true)
}

fn header_text<'a>(request: &'a Request, name: &str) -> ApiResult<&'a str> {
    let value = request.headers().get(name).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "envelope_missing",
            format!("the {name} header is missing"),
            false,
        )
    })?;
    if value.len() > ENVELOPE_HEADER_MAX {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "envelope_invalid",
            format!("the {name} header is too long"),
            false,
        ));
    }
    value.to_str().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "envelope_invalid",
            format!("the {name} header is not ASCII"),
            false,
        )
    })
}

fn receipt_response(receipt: &[u8], signature: &[u8], duplicate: bool) -> Response {
    let mut response = Json(ReceiptDocument {
        receipt: STANDARD.encode(receipt),
        signature: STANDARD.encode(signature),
    })
    .into_response();
    if duplicate {
        response
            .headers_mut()
            .insert(DUPLICATE_HEADER, HeaderValue::from_static("1"));
    }
    response
}

fn payload_reader(body: Body) -> impl AsyncRead + Unpin + Send {
    tokio_util::io::StreamReader::new(
        body.into_data_stream()
            .map_err(|error| std::io::Error::other(error.to_string())),
    )
}

/// Receives one message: checks the envelope, stores the payload, records
/// the arrival in the ledger, signs the receipt, stores the message with
/// its receipt (once per sender and id) and answers with the receipt.
async fn messages(
    State(state): State<ServerState>,
    Extension(peer): Extension<PeerConnection>,
    request: Request,
) -> ApiResult<Response> {
    let inner = &state.inner;
    let sender = caller(inner, &peer)?;
    let refuse = |status: StatusCode, code: &'static str, message: String, retry: bool| {
        tracing::warn!(peer = %peer.address, %sender, code, %message, "federation message refused");
        ApiError::new(status, code, message, retry)
    };
    let _permit = state.inbound.clone().try_acquire_owned().map_err(|_| {
        refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the node is receiving too many messages at once; try again shortly".into(),
            true,
        )
    })?;
    let envelope_bytes = URL_SAFE_NO_PAD
        .decode(header_text(&request, ENVELOPE_HEADER)?)
        .map_err(|_| {
            refuse(
                StatusCode::BAD_REQUEST,
                "envelope_invalid",
                "the envelope is not base64url".into(),
                false,
            )
        })?;
    let signature = URL_SAFE_NO_PAD
        .decode(header_text(&request, SIGNATURE_HEADER)?)
        .map_err(|_| {
            refuse(
                StatusCode::BAD_REQUEST,
                "envelope_invalid",
                "the signature is not base64url".into(),
                false,
            )
        })?;
    let envelope = Envelope::decode(&envelope_bytes).map_err(|error| {
        refuse(
            StatusCode::BAD_REQUEST,
            "envelope_invalid",
            error.to_string(),
            false,
        )
    })?;
    if envelope.from != sender {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "sender_mismatch",
            format!(
                "the envelope says it is from {} but the connection is {sender}'s",
                envelope.from
            ),
            false,
        ));
    }
    if envelope.to != inner.identity.organ_code {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "wrong_recipient",
            format!(
                "the envelope is for {} but this node is {}",
                envelope.to, inner.identity.organ_code
            ),
            true,
        ));
    }
    let directory = inner.directory();
    let member = directory.active_member(&sender).map_err(|error| {
        refuse(
            StatusCode::FORBIDDEN,
            "not_a_member",
            error.to_string(),
            false,
        )
    })?;
    member
        .key
        .verify(Domain::Envelope, &envelope_bytes, &signature)
        .map_err(|_| {
            refuse(
                StatusCode::FORBIDDEN,
                "bad_signature",
                "the envelope signature does not verify with the sender's certified key (tampered envelope?)".into(),
                true,
            )
        })?;
    let now = congso_store::now().micros();
    let skew = i64::try_from(inner.settings.max_clock_skew.as_micros()).unwrap_or(i64::MAX);
    check_clock(envelope.sent, now, skew)
        .map_err(|message| refuse(StatusCode::BAD_REQUEST, "clock_skew", message, true))?;
    if envelope.payload_len > inner.settings.max_payload_bytes {
        return Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the payload is {} bytes; this node accepts at most {}",
                envelope.payload_len, inner.settings.max_payload_bytes
            ),
            false,
        ));
    }
    let mut expected_sha256 = [0u8; 32];
    hex::decode_to_slice(&envelope.payload_sha256, &mut expected_sha256).map_err(|_| {
        refuse(
            StatusCode::BAD_REQUEST,
            "envelope_invalid",
            "bad payload hash".into(),
            false,
        )
    })?;
    let idle = inner.settings.io_timeout;

    // A repeated attempt: the payload is not needed again; answer with the
    // receipt issued the first time.
    if let Some((receipt, receipt_signature)) =
        store::inbox_receipt(&inner.db, &sender, &envelope.id)
            .await
            .map_err(ApiError::internal)?
    {
        let mut reader = VerifyingReader::new(
            payload_reader(request.into_body()),
            envelope.payload_len,
            expected_sha256,
            idle,
        );
        let _ = tokio::io::copy(&mut reader, &mut tokio::io::sink()).await;
        tracing::info!(%sender, message_id = %envelope.id, "duplicate federation message; answered with the original receipt");
        return Ok(receipt_response(&receipt, &receipt_signature, true));
    }

    let mut reader = VerifyingReader::new(
        payload_reader(request.into_body()),
        envelope.payload_len,
        expected_sha256,
        idle,
    );
    let payload_inline = if envelope.payload_len <= INLINE_PAYLOAD_MAX as u64 {
        let mut bytes = Vec::with_capacity(envelope.payload_len as usize);
        reader.read_to_end(&mut bytes).await.map_err(|error| {
            let refusal = payload_error(&error);
            refuse(refusal.status, refusal.code, refusal.message, true)
        })?;
        Some(bytes)
    } else {
        match inner
            .blobs
            .put_reader(reader, Some(envelope.payload_len))
            .await
        {
            Ok(_) => None,
            Err(congso_store::StoreError::Io(error)) => {
                let refusal = payload_error(&error);
                return Err(refuse(refusal.status, refusal.code, refusal.message, true));
            }
            Err(error) => return Err(ApiError::internal(error)),
        }
    };
    let received_at = congso_store::now().micros();
    let envelope_sha256 = envelope.sha256();

    // The ledger records the arrival before the receipt exists, so every
    // receipt names a ledger entry that is there.
    let entry = NewEntry::new(
        &Actor::System,
        AuditAction::FederationMessageReceived,
        format!("federation-message:{}/{}", envelope.from, envelope.id),
    )
    .source(peer.address.ip().to_string())
    .data_hash(&expected_sha256)
    .details(serde_json::json!({
        "from": envelope.from,
        "kind": envelope.kind,
        "payload_len": envelope.payload_len,
        "envelope_sha256": hex::encode(envelope_sha256),
        "created": envelope.created,
        "sent": envelope.sent,
        "received_at": received_at,
    }));
    let recorded = inner
        .ledger
        .append(entry)
        .await
        .map_err(ApiError::internal)?;
    let receipt = Receipt {
        v: 1,
        message_id: envelope.id.clone(),
        from: envelope.from.clone(),
        to: envelope.to.clone(),
        kind: envelope.kind.clone(),
        envelope_sha256: hex::encode(envelope_sha256),
        payload_sha256: envelope.payload_sha256.clone(),
        payload_len: envelope.payload_len,
        sent: envelope.sent,
        received_at,
        ledger_origin: inner.ledger.origin().to_owned(),
        ledger_index: recorded.seq,
    };
    let receipt_bytes = receipt.encode();
    let receipt_signature = inner
        .identity
        .node_key
        .sign(Domain::Receipt, &receipt_bytes)
        .map_err(ApiError::internal)?;
    let outcome = inner
        .writer
        .write(WriteOp::Receive(Box::new(InboxNew {
            sender: envelope.from.clone(),
            message_id: envelope.id.clone(),
            kind: envelope.kind.clone(),
            created_at: envelope.created,
            sent_at: envelope.sent,
            received_at,
            payload_len: i64::try_from(envelope.payload_len).unwrap_or(i64::MAX),
            payload_sha256: expected_sha256,
            payload_inline,
            envelope: envelope_bytes,
            envelope_signature: signature,
            receipt: receipt_bytes.clone(),
            receipt_signature: receipt_signature.clone(),
            ledger_seq: i64::try_from(recorded.seq).unwrap_or(i64::MAX),
        })))
        .await
        .map_err(ApiError::internal)?;
    inner.inbox_wake.notify_one();
    match outcome {
        WriteOutcome::Duplicate {
            receipt,
            receipt_signature,
        } => {
            // Two attempts of one message raced; the first one stored wins.
            tracing::info!(%sender, message_id = %envelope.id, "concurrent duplicate federation message; answered with the original receipt");
            Ok(receipt_response(&receipt, &receipt_signature, true))
        }
        _ => {
            tracing::debug!(%sender, message_id = %envelope.id, kind = %envelope.kind, bytes = envelope.payload_len, "federation message received");
            Ok(receipt_response(&receipt_bytes, &receipt_signature, false))
        }
    }
}

async fn receipt(
    State(state): State<ServerState>,
    Extension(peer): Extension<PeerConnection>,
    Path(message_id): Path<String>,
) -> ApiResult<Response> {
    let sender = caller(&state.inner, &peer)?;
    check_message_id(&message_id).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_message_id",
            error.to_string(),
            false,
        )
    })?;
    match store::inbox_receipt(&state.inner.db, &sender, &message_id)
        .await
        .map_err(ApiError::internal)?
    {
        Some((receipt, signature)) => Ok(receipt_response(&receipt, &signature, true)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_received",
            "no message with this id has arrived from you",
            true,
        )),
    }
}

// ----------------------------------------------------------- data services

/// Answers a data service call with a signed response; requests that
/// cannot be verified or read are refused with an [`ErrorDocument`].
async fn service_call(
    State(state): State<ServerState>,
    Extension(peer): Extension<PeerConnection>,
    request: Request,
) -> ApiResult<Response> {
    use crate::data_service::{answer, ResponseDocument, Unanswerable, MAX_REQUEST_BYTES};
    let inner = &state.inner;
    let caller = caller(inner, &peer)?;
    let refuse = |status: StatusCode, code: &'static str, message: String| {
        tracing::warn!(peer = %peer.address, %caller, code, %message, "data service request refused");
        ApiError::new(status, code, message, false)
    };
    let _permit = state.inbound.clone().try_acquire_owned().map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the node is answering too many requests at once; try again shortly",
            true,
        )
    })?;
    let signature = URL_SAFE_NO_PAD
        .decode(header_text(&request, SIGNATURE_HEADER)?)
        .map_err(|_| {
            refuse(
                StatusCode::BAD_REQUEST,
                "request_invalid",
                "the signature is not base64url".into(),
            )
        })?;
    let body = tokio::time::timeout(
        inner.settings.io_timeout,
        axum::body::to_bytes(request.into_body(), MAX_REQUEST_BYTES),
    )
    .await
    .map_err(|_| {
        refuse(
            StatusCode::REQUEST_TIMEOUT,
            "request_invalid",
            "the request did not arrive in time".into(),
        )
    })?
    .map_err(|_| {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("the request is larger than the {MAX_REQUEST_BYTES} bytes this node reads"),
        )
    })?;
    let source = peer.address.ip().to_string();
    match answer(inner, &caller, &source, &body, &signature).await {
        Ok(answer) => {
            let mut response = Json(ResponseDocument {
                response: STANDARD.encode(&answer.response),
                signature: STANDARD.encode(&answer.signature),
            })
            .into_response();
            if answer.duplicate {
                response
                    .headers_mut()
                    .insert(DUPLICATE_HEADER, HeaderValue::from_static("1"));
            }
            Ok(response)
        }
        Err(Unanswerable::Refused { code, message }) => {
            let status = match code {
                "bad_signature" | "sender_mismatch" | "not_a_member" => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            Err(refuse(status, code, message))
        }
        Err(Unanswerable::Internal(error)) => Err(ApiError::internal(error)),
    }
}

// ------------------------------------------------------------------ ledger

async fn checkpoint(
    State(state): State<ServerState>,
    Extension(peer): Extension<PeerConnection>,
) -> ApiResult<Response> {
    caller(&state.inner, &peer)?;
    let inner = &state.inner;
    let latest = match ledger::latest_checkpoint(&inner.db)
        .await
        .map_err(ApiError::internal)?
    {
        Some(latest) => latest,
        None => inner
            .ledger
            .checkpoint()
            .await
            .map_err(ApiError::internal)?,
    };
    let mut response = latest.signed_note.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

async fn consistency(
    State(state): State<ServerState>,
    Extension(peer): Extension<PeerConnection>,
    query: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<ConsistencyDocument>> {
    caller(&state.inner, &peer)?;
    let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", message, false);
    let Query(query) = query.map_err(|rejection| bad(rejection.body_text()))?;
    let ledger = &state.inner.ledger;
    let to = query.to.unwrap_or_else(|| ledger.size());
    let proof = ledger
        .consistency_proof(query.from, to)
        .map_err(|error| bad(error.to_string()))?;
    let root = |size| {
        ledger
            .root_at(size)
            .map(|root| STANDARD.encode(root))
            .map_err(|error| bad(error.to_string()))
    };
    Ok(Json(ConsistencyDocument {
        from: query.from,
        to,
        root_from: root(query.from)?,
        root_to: root(to)?,
        proof: proof.iter().map(|hash| STANDARD.encode(hash)).collect(),
    }))
}

#[derive(Deserialize)]
struct CosignatureQuery {
    min_size: Option<u64>,
}

async fn cosignatures(
    State(state): State<ServerState>,
    Extension(peer): Extension<PeerConnection>,
    query: Result<Query<CosignatureQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<CosignatureDocument>>> {
    let caller = caller(&state.inner, &peer)?;
    let Query(query) = query.map_err(|rejection| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            rejection.body_text(),
            false,
        )
    })?;
    let min = i64::try_from(query.min_size.unwrap_or(0)).unwrap_or(i64::MAX);
    let rows = store::cosignatures_made_for(&state.inner.db, &caller, min, 100)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        rows.into_iter()
            .filter_map(|row| {
                Some(CosignatureDocument {
                    tree_size: u64::try_from(row.tree_size).ok()?,
                    checkpoint: crate::witness::note_text(&row.checkpoint)?,
                    cosignature: row.cosignature,
                })
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(data: Vec<u8>, declared: u64, hash: [u8; 32]) -> std::io::Result<Vec<u8>> {
        let mut reader = VerifyingReader::new(
            std::io::Cursor::new(data),
            declared,
            hash,
            Duration::from_secs(5),
        );
        let mut out = Vec::new();
        reader.read_to_end(&mut out).await?;
        Ok(out)
    }

    #[tokio::test]
    async fn verifying_reader() {
        let data = b"hello federation".to_vec();
        let hash: [u8; 32] = Sha256::digest(&data).into();
        assert_eq!(
            read_all(data.clone(), data.len() as u64, hash)
                .await
                .unwrap(),
            data
        );
        let short = read_all(data.clone(), data.len() as u64 + 1, hash)
            .await
            .unwrap_err();
        assert_eq!(short.kind(), std::io::ErrorKind::UnexpectedEof);
        let long = read_all(data.clone(), data.len() as u64 - 1, hash)
            .await
            .unwrap_err();
        assert_eq!(long.kind(), std::io::ErrorKind::InvalidData);
        let mut tampered = data.clone();
        tampered[0] ^= 1;
        let mismatch = read_all(tampered, data.len() as u64, hash)
            .await
            .unwrap_err();
        assert_eq!(mismatch.kind(), std::io::ErrorKind::InvalidData);
    }

    #[tokio::test(start_paused = true)]
    async fn verifying_reader_times_out_on_silence() {
        let (_writer, reader) = tokio::io::duplex(64);
        let mut reader = VerifyingReader::new(reader, 10, [0; 32], Duration::from_secs(30));
        let mut out = Vec::new();
        let error = reader.read_to_end(&mut out).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    }
}
