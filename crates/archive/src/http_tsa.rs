//! An RFC 3161 client over HTTP (RFC 3161 §3.4): POST a
//! `application/timestamp-query`, read an `application/timestamp-reply`,
//! check status, nonce and imprint. Used when the node is configured with an
//! external TSA (`tsa_url`) instead of its own.

use std::time::Duration;

use congso_pki::Timestamper;
use futures::StreamExt;

use crate::error::ArchiveError;
use crate::{TSA_QUERY_MEDIA_TYPE, TSA_REPLY_MEDIA_TYPE};

/// The largest reply accepted: a token with a TSA chain of a few RSA-4096
/// certificates is well under 32 KiB; anything far larger is not a reply.
pub const TSA_MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// A time-stamp client for one TSA URL.
///
/// [`Timestamper::timestamp`] is synchronous, because signing calls it in
/// the middle of building a signature; it blocks the calling thread on the
/// HTTP exchange and must therefore run on a blocking thread
/// (`tokio::task::spawn_blocking`), never on an async worker. Use
/// [`HttpTimestamper::stamp`] from async code.
#[derive(Debug, Clone)]
pub struct HttpTimestamper {
    url: String,
    client: reqwest::Client,
    handle: Option<tokio::runtime::Handle>,
}

impl HttpTimestamper {
    /// A client for `url` (http or https) that gives up after `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, ArchiveError> {
        let parsed = reqwest::Url::parse(url).map_err(|error| ArchiveError::Tsa {
            url: url.to_owned(),
            reason: format!("not a valid url: {error}"),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ArchiveError::Tsa {
                url: url.to_owned(),
                reason: "only http and https are supported".to_owned(),
            });
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A TSA answers at its URL; following redirects would let it send
            // our requests elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("congso/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ArchiveError::Tsa {
                url: url.to_owned(),
                reason: format!("cannot build the http client: {error}"),
            })?;
        Ok(HttpTimestamper {
            url: url.to_owned(),
            client,
            handle: tokio::runtime::Handle::try_current().ok(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn error(&self, reason: impl Into<String>) -> ArchiveError {
        ArchiveError::Tsa {
            url: self.url.clone(),
            reason: reason.into(),
        }
    }

    /// Requests a token for a SHA-256 digest and returns it (DER
    /// `ContentInfo`) after checking the reply's status, nonce and imprint.
    pub async fn stamp(&self, sha256_digest: &[u8]) -> Result<Vec<u8>, ArchiveError> {
        let request = congso_pki::make_request(sha256_digest)?;
        let response = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, TSA_QUERY_MEDIA_TYPE)
            .header(reqwest::header::ACCEPT, TSA_REPLY_MEDIA_TYPE)
            .body(request.to_der().to_vec())
            .send()
            .await
            .map_err(|error| {
                if error.is_timeout() {
                    self.error("no answer within the timeout")
                } else {
                    self.error(format!("cannot reach the server: {error}"))
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(self.error(format!("the server answered http {status}")));
        }
        let media_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
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
        if media_type != TSA_REPLY_MEDIA_TYPE {
            return Err(self.error(format!(
                "the reply is {media_type:?}, not {TSA_REPLY_MEDIA_TYPE}"
            )));
        }
        if response
            .content_length()
            .is_some_and(|length| length > TSA_MAX_RESPONSE_BYTES as u64)
        {
            return Err(self.error(format!(
                "the reply is larger than {TSA_MAX_RESPONSE_BYTES} bytes"
            )));
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|error| self.error(format!("reading the reply: {error}")))?;
            if body.len() + chunk.len() > TSA_MAX_RESPONSE_BYTES {
                return Err(self.error(format!(
                    "the reply is larger than {TSA_MAX_RESPONSE_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        request
            .parse_response(&body)
            .map_err(|error| self.error(error.to_string()))
    }
}

impl Timestamper for HttpTimestamper {
    fn timestamp(&self, sha256_digest: &[u8]) -> congso_pki::Result<Vec<u8>> {
        let handle = match &self.handle {
            Some(handle) => handle.clone(),
            None => tokio::runtime::Handle::try_current().map_err(|_| {
                congso_pki::Error::Timestamp(format!(
                    "{}: no async runtime to run the request on",
                    self.url
                ))
            })?,
        };
        handle
            .block_on(self.stamp(sha256_digest))
            .map_err(|error| congso_pki::Error::Timestamp(error.to_string()))
    }
}
