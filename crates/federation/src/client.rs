//! The client side of the federation listener: delivering messages, asking
//! for receipts, fetching the directory, checkpoints, proofs and
//! cosignatures. Every answer is read with a size limit, and every request
//! has a connect timeout and an idle-read timeout, so a peer that accepts a
//! connection and then says nothing costs one timeout, not a stuck worker.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use bytes::Bytes;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{FederationError, Result};
use crate::identity::{JoinResponse, NodeIdentity};
use crate::wire::{
    ConsistencyDocument, CosignatureDocument, DirectoryDocument, ErrorDocument, JoinDocument,
    ReceiptDocument, ENVELOPE_HEADER, SIGNATURE_HEADER,
};

/// Largest small answer (receipts, errors, proofs, cosignature lists).
const SMALL_ANSWER_MAX: usize = 1024 * 1024;

/// Why one delivery attempt failed, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptError {
    /// Shown to the clerk and logged.
    pub message: String,
    /// The peer could not be reached (connection refused, TLS refused,
    /// timeout): the whole destination backs off, not only this message.
    pub unreachable: bool,
    /// Whether a later attempt can succeed; `false` gives the message up.
    pub retry: bool,
}

impl AttemptError {
    fn unreachable(message: String) -> Self {
        AttemptError {
            message,
            unreachable: true,
            retry: true,
        }
    }

    fn refused(message: String, retry: bool) -> Self {
        AttemptError {
            message,
            unreachable: false,
            retry,
        }
    }
}

impl std::fmt::Display for AttemptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A reqwest error with its causes, which hold the useful part ("connection
/// refused", "certificate expired").
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_owned()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

async fn read_limited(
    response: reqwest::Response,
    max: usize,
) -> std::result::Result<Bytes, String> {
    if response
        .content_length()
        .is_some_and(|length| length > max as u64)
    {
        return Err(format!("the answer is larger than {max} bytes"));
    }
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| describe(&error))? {
        if body.len() + chunk.len() > max {
            return Err(format!("the answer is larger than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// Reads a refusal's JSON, or describes a status without one.
async fn refusal(endpoint: &str, response: reqwest::Response) -> AttemptError {
    let status = response.status();
    match read_limited(response, SMALL_ANSWER_MAX).await {
        Ok(body) => match serde_json::from_slice::<ErrorDocument>(&body) {
            Ok(document) => AttemptError::refused(
                format!(
                    "{endpoint} refused: {}: {}",
                    document.error, document.message
                ),
                document.retry,
            ),
            Err(_) => AttemptError::refused(
                format!("{endpoint} answered {status} without an explanation"),
                true,
            ),
        },
        Err(error) => AttemptError::refused(format!("{endpoint} answered {status}: {error}"), true),
    }
}

fn parse<T: DeserializeOwned>(
    endpoint: &str,
    what: &str,
    body: &[u8],
) -> std::result::Result<T, AttemptError> {
    serde_json::from_slice(body).map_err(|error| {
        AttemptError::refused(format!("{endpoint} sent a malformed {what}: {error}"), true)
    })
}

/// A signed receipt as it came back: bytes and signature, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReceipt {
    pub receipt: Vec<u8>,
    pub signature: Vec<u8>,
    /// The receiver said this answers an earlier attempt.
    pub duplicate: bool,
}

impl SignedReceipt {
    fn from_document(
        endpoint: &str,
        document: ReceiptDocument,
        duplicate: bool,
    ) -> std::result::Result<Self, AttemptError> {
        let decode = |text: &str| {
            STANDARD.decode(text).map_err(|_| {
                AttemptError::refused(
                    format!("{endpoint} sent a receipt that is not base64"),
                    true,
                )
            })
        };
        Ok(SignedReceipt {
            receipt: decode(&document.receipt)?,
            signature: decode(&document.signature)?,
            duplicate,
        })
    }
}

/// Timeouts of the federation client.
#[derive(Debug, Clone, Copy)]
pub struct ClientTimeouts {
    /// TCP connect and TLS handshake.
    pub connect: Duration,
    /// Longest wait for the next bytes of an answer.
    pub idle: Duration,
}

/// A mutual-TLS client to other members.
#[derive(Debug, Clone)]
pub struct PeerClient {
    http: reqwest::Client,
    timeouts: ClientTimeouts,
}

impl PeerClient {
    /// A client presenting this node's certificate and trusting the
    /// federation CA with `crl`.
    pub fn new(
        identity: &NodeIdentity,
        crl: &[u8],
        timeouts: ClientTimeouts,
    ) -> Result<PeerClient> {
        let tls = crate::tls::client_config(identity, crl)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(timeouts.connect)
            .read_timeout(timeouts.idle)
            // Below the listener's idle limit (the I/O timeout), so a
            // pooled connection is not reused just as the peer closes it.
            .pool_idle_timeout(timeouts.idle / 2)
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .http1_only()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| FederationError::Tls(describe(&error)))?;
        Ok(PeerClient { http, timeouts })
    }

    async fn get(
        &self,
        endpoint: &str,
        path: &str,
    ) -> std::result::Result<reqwest::Response, AttemptError> {
        self.http
            .get(format!("{endpoint}{path}"))
            .timeout(self.timeouts.connect + self.timeouts.idle * 2)
            .send()
            .await
            .map_err(|error| AttemptError::unreachable(format!("{endpoint}: {}", describe(&error))))
    }

    /// Delivers one message: the signed envelope in headers, the payload
    /// streamed as the body. `total` bounds the whole exchange.
    pub async fn deliver(
        &self,
        endpoint: &str,
        envelope: &[u8],
        signature: &[u8],
        body: reqwest::Body,
        total: Duration,
    ) -> std::result::Result<SignedReceipt, AttemptError> {
        let response = self
            .http
            .post(format!("{endpoint}/federation/messages"))
            .header(ENVELOPE_HEADER, URL_SAFE_NO_PAD.encode(envelope))
            .header(SIGNATURE_HEADER, URL_SAFE_NO_PAD.encode(signature))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .timeout(total)
            .body(body)
            .send()
            .await
            .map_err(|error| {
                AttemptError::unreachable(format!("{endpoint}: {}", describe(&error)))
            })?;
        if !response.status().is_success() {
            return Err(refusal(endpoint, response).await);
        }
        let duplicate = response
            .headers()
            .contains_key(crate::wire::DUPLICATE_HEADER);
        let body = read_limited(response, SMALL_ANSWER_MAX)
            .await
            .map_err(|error| AttemptError::unreachable(format!("{endpoint}: {error}")))?;
        let document: ReceiptDocument = parse(endpoint, "receipt", &body)?;
        SignedReceipt::from_document(endpoint, document, duplicate)
    }

    /// Sends a signed data service request; answers the signed response
    /// bytes, its signature, and whether it answers an earlier request with
    /// the same id. Not retried: the caller decides.
    pub async fn call_service(
        &self,
        endpoint: &str,
        request: &[u8],
        signature: &[u8],
    ) -> std::result::Result<(Vec<u8>, Vec<u8>, bool), AttemptError> {
        let response = self
            .http
            .post(format!("{endpoint}/federation/services/call"))
            .header(SIGNATURE_HEADER, URL_SAFE_NO_PAD.encode(signature))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .timeout(self.timeouts.connect + self.timeouts.idle * 2)
            .body(request.to_vec())
            .send()
            .await
            .map_err(|error| {
                AttemptError::unreachable(format!("{endpoint}: {}", describe(&error)))
            })?;
        if !response.status().is_success() {
            return Err(refusal(endpoint, response).await);
        }
        let duplicate = response
            .headers()
            .contains_key(crate::wire::DUPLICATE_HEADER);
        let body = read_limited(
            response,
            crate::data_service::MAX_RESPONSE_BYTES / 3 * 4 + 1024,
        )
        .await
        .map_err(|error| AttemptError::unreachable(format!("{endpoint}: {error}")))?;
        let document: crate::data_service::ResponseDocument =
            parse(endpoint, "service response", &body)?;
        let decode = |text: &str| {
            STANDARD.decode(text).map_err(|_| {
                AttemptError::refused(
                    format!("{endpoint} sent a service response that is not base64"),
                    false,
                )
            })
        };
        Ok((
            decode(&document.response)?,
            decode(&document.signature)?,
            duplicate,
        ))
    }

    /// The receipt already issued for `message_id`, if the peer has it.
    pub async fn fetch_receipt(
        &self,
        endpoint: &str,
        message_id: &str,
    ) -> std::result::Result<Option<SignedReceipt>, AttemptError> {
        let response = self
            .get(endpoint, &format!("/federation/receipts/{message_id}"))
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(refusal(endpoint, response).await);
        }
        let body = read_limited(response, SMALL_ANSWER_MAX)
            .await
            .map_err(|error| AttemptError::unreachable(format!("{endpoint}: {error}")))?;
        let document: ReceiptDocument = parse(endpoint, "receipt", &body)?;
        SignedReceipt::from_document(endpoint, document, true).map(Some)
    }

    async fn get_document<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        path: &str,
        what: &str,
        max: usize,
    ) -> std::result::Result<T, AttemptError> {
        let response = self.get(endpoint, path).await?;
        if !response.status().is_success() {
            return Err(refusal(endpoint, response).await);
        }
        let body = read_limited(response, max)
            .await
            .map_err(|error| AttemptError::unreachable(format!("{endpoint}: {error}")))?;
        parse(endpoint, what, &body)
    }

    /// The coordinator's current directory.
    pub async fn fetch_directory(
        &self,
        endpoint: &str,
    ) -> std::result::Result<DirectoryDocument, AttemptError> {
        // base64 makes the body a third larger than the limit on bodies.
        let max = crate::directory::MAX_BODY_BYTES / 3 * 4 + 1024 * 1024;
        self.get_document(endpoint, "/federation/directory", "directory", max)
            .await
    }

    /// A peer's latest signed checkpoint.
    pub async fn fetch_checkpoint(
        &self,
        endpoint: &str,
    ) -> std::result::Result<String, AttemptError> {
        let response = self.get(endpoint, "/ledger/checkpoint").await?;
        if !response.status().is_success() {
            return Err(refusal(endpoint, response).await);
        }
        let body = read_limited(response, congso_ledger::note::MAX_NOTE_BYTES)
            .await
            .map_err(|error| AttemptError::unreachable(format!("{endpoint}: {error}")))?;
        String::from_utf8(body.to_vec()).map_err(|_| {
            AttemptError::refused(
                format!("{endpoint} sent a checkpoint that is not UTF-8"),
                true,
            )
        })
    }

    /// A consistency proof between two sizes of a peer's ledger.
    pub async fn fetch_consistency(
        &self,
        endpoint: &str,
        from: u64,
        to: u64,
    ) -> std::result::Result<ConsistencyDocument, AttemptError> {
        self.get_document(
            endpoint,
            &format!("/ledger/proof/consistency?from={from}&to={to}"),
            "consistency proof",
            SMALL_ANSWER_MAX,
        )
        .await
    }

    /// Cosignatures `endpoint`'s node made on this node's checkpoints of at
    /// least `min_size` entries.
    pub async fn fetch_cosignatures(
        &self,
        endpoint: &str,
        min_size: u64,
    ) -> std::result::Result<Vec<CosignatureDocument>, AttemptError> {
        self.get_document(
            endpoint,
            &format!("/federation/cosignatures?min_size={min_size}"),
            "cosignature list",
            SMALL_ANSWER_MAX,
        )
        .await
    }
}

/// Sends a join request to the coordinator, pinned by the CA fingerprint
/// from the invitation.
pub async fn join_request(
    endpoint: &str,
    ca_sha256: [u8; 32],
    request: &[u8],
    signature: &[u8],
    timeout: Duration,
) -> Result<JoinResponse> {
    let tls = crate::tls::pinned_client_config(ca_sha256)?;
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(timeout)
        .timeout(timeout * 3)
        .http1_only()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| FederationError::Tls(describe(&error)))?;
    let document = JoinDocument {
        request: STANDARD.encode(request),
        signature: STANDARD.encode(signature),
    };
    let body = serde_json::to_vec(&document)
        .map_err(|error| FederationError::invalid("join request", error.to_string()))?;
    let response = http
        .post(format!("{endpoint}/federation/join"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|error| FederationError::Unreachable {
            endpoint: endpoint.to_owned(),
            reason: describe(&error),
        })?;
    if !response.status().is_success() {
        let refused = refusal(endpoint, response).await;
        return Err(FederationError::Refused {
            endpoint: endpoint.to_owned(),
            code: "join".into(),
            message: refused.message,
        });
    }
    let body = read_limited(response, crate::directory::MAX_BODY_BYTES * 2)
        .await
        .map_err(|reason| FederationError::Unreachable {
            endpoint: endpoint.to_owned(),
            reason,
        })?;
    serde_json::from_slice(&body)
        .map_err(|error| FederationError::invalid("join response", error.to_string()))
}
