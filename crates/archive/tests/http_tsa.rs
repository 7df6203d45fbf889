//! The HTTP time-stamp client against servers that misbehave: each gets a
//! clear error, and no reply is read beyond its bound.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use congso_archive::{ArchiveError, HttpTimestamper, TSA_MAX_RESPONSE_BYTES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves one canned answer to every connection (after reading the
/// request); `None` never answers. Returns the URL.
async fn serve(answer: Option<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/tsa", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                match answer {
                    Some(answer) => {
                        let _ = socket.write_all(&answer).await;
                        let _ = socket.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    url
}

fn http(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

async fn stamp_error(url: &str, timeout: Duration) -> String {
    let client = HttpTimestamper::new(url, timeout).unwrap();
    match client.stamp(&[7u8; 32]).await {
        Err(error @ ArchiveError::Tsa { .. }) => error.to_string(),
        other => panic!("expected a TSA error, got {other:?}"),
    }
}

#[tokio::test]
async fn misbehaving_servers_get_clear_errors() {
    let check = |answer: Option<Vec<u8>>, expected: &'static str| async move {
        let url = serve(answer).await;
        let message = stamp_error(&url, Duration::from_secs(2)).await;
        assert!(
            message.contains(expected),
            "{message} (expected {expected:?})"
        );
        assert!(message.contains(&url), "{message} names the TSA");
    };
    check(
        Some(http("500 Internal Server Error", "text/plain", b"down")),
        "http 500",
    )
    .await;
    check(
        Some(http("200 OK", "text/html", b"<html>login</html>")),
        "not application/timestamp-reply",
    )
    .await;
    check(
        Some(http(
            "200 OK",
            "application/timestamp-reply",
            b"\x30\x03\x02\x01\x00",
        )),
        "timestamp",
    )
    .await;
    check(
        Some(http(
            "200 OK",
            "application/timestamp-reply",
            &vec![0x30; TSA_MAX_RESPONSE_BYTES + 1],
        )),
        "larger than",
    )
    .await;
    // A declared length beyond the bound is refused before reading.
    let mut lying = b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 999999999\r\n\r\n".to_vec();
    lying.extend_from_slice(&[0x30; 1024]);
    check(Some(lying), "larger than").await;
    // A chunked body without a length is counted as it streams.
    let mut chunked = b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..80 {
        chunked.extend_from_slice(b"1000\r\n");
        chunked.extend_from_slice(&[0x30; 0x1000]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    check(Some(chunked), "larger than").await;
    check(None, "no answer within the timeout").await;
}

#[tokio::test]
async fn a_reply_for_another_request_is_refused() {
    // A genuine reply from a real TSA, but to another request (other nonce
    // and imprint): replaying it must not pass.
    let now = std::time::SystemTime::now();
    let year = Duration::from_secs(365 * 86_400);
    let ca = congso_pki::CertificateAuthority::create_root(
        &congso_pki::SubjectName::new("CA"),
        congso_pki::KeyAlgorithm::EcdsaP256,
        now,
        year,
    )
    .unwrap();
    let tsa = congso_pki::TimestampAuthority::new(
        ca.issue_identity(
            &congso_pki::SubjectName::new("TSA"),
            congso_pki::CertificateProfile::TimeStamping,
            congso_pki::KeyAlgorithm::EcdsaP256,
            now,
            year,
        )
        .unwrap(),
        congso_pki::DEFAULT_TSA_POLICY,
    )
    .unwrap();
    let other = congso_pki::make_request(&[1u8; 32]).unwrap();
    let reply = tsa.respond(other.to_der(), now).unwrap();
    let url = serve(Some(http("200 OK", "application/timestamp-reply", &reply))).await;
    let message = stamp_error(&url, Duration::from_secs(2)).await;
    assert!(
        message.contains("nonce") || message.contains("imprint"),
        "{message}"
    );
}

#[tokio::test]
async fn unreachable_or_unusable_urls() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let message = stamp_error(&format!("http://127.0.0.1:{port}/"), Duration::from_secs(2)).await;
    assert!(message.contains("cannot reach"), "{message}");
    for url in ["ftp://tsa.example/", "not a url", "file:///etc/passwd"] {
        let error = HttpTimestamper::new(url, Duration::from_secs(1)).unwrap_err();
        assert!(matches!(error, ArchiveError::Tsa { .. }), "{url}: {error}");
    }
}
