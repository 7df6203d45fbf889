//! Three nodes in one process over real mutual TLS on 127.0.0.1-3: joining,
//! directory refresh, exchange with receipts, deduplication, revocation,
//! a coordinator that is down, a dead peer, and hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{eventually, fast_settings, three_nodes, Backend, TestNode};
use congso_federation::testing::RawNode;
use congso_federation::{DeliveryState, Receipt};
use congso_store::federation as store;
use congso_store::ledger;

const WAIT: Duration = Duration::from_secs(20);

async fn delivered(node: &TestNode, id: &str) -> congso_federation::DeliveryStatus {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = node.fed().status(id).await.unwrap().unwrap();
        if status.state == DeliveryState::Received {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{id} not delivered: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ledger_actions(node: &TestNode) -> Vec<(String, String, String)> {
    ledger::entries_from(&node.db, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| (entry.action, entry.target, entry.data_hash))
        .collect()
}

async fn exchange_both_ways(backend: Backend) {
    let Some((a, b, c)) = three_nodes(backend).await else {
        return;
    };
    // The directory lists all three, signed by the coordinator.
    for node in [&a, &b, &c] {
        let directory = node.fed().directory();
        assert_eq!(directory.members().count(), 3);
        assert!(directory.version() >= 3);
    }
    let to_c = b
        .fed()
        .send(
            &c.organ_code,
            "test.message",
            &b"from Lao Cai to Yen Bai"[..],
        )
        .await
        .unwrap();
    let to_b = c
        .fed()
        .send(&b.organ_code, "test.message", &b"tra loi"[..])
        .await
        .unwrap();
    let status_c = delivered(&b, &to_c).await;
    let status_b = delivered(&c, &to_b).await;
    for (status, sender, receiver) in [(&status_c, &b, &c), (&status_b, &c, &b)] {
        let receipt: &Receipt = status.receipt.as_ref().unwrap();
        assert_eq!(receipt.from, sender.organ_code);
        assert_eq!(receipt.to, receiver.organ_code);
        assert_eq!(Some(receipt.received_at), status.received_at);
        assert!(status.receipt_at.unwrap() >= receipt.received_at - 1_000_000);
        assert!(status.sent_at.unwrap() <= receipt.received_at + 1_000_000);
        // The receipt names the receiver's ledger entry for the arrival.
        let entry = ledger::entry(&receiver.db, receipt.ledger_index)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entry.action, "federation.message_received");
        assert_eq!(entry.data_hash, receipt.payload_sha256);
        // The sender's ledger has the message queued and the receipt.
        let actions = ledger_actions(sender).await;
        let target = format!(
            "federation-message:{}/{}",
            sender.organ_code, receipt.message_id
        );
        assert!(actions
            .iter()
            .any(|(action, t, _)| action == "federation.message_queued" && *t == target));
        assert!(actions
            .iter()
            .any(|(action, t, _)| action == "federation.message_delivered" && *t == target));
    }
    // Each handler saw its message once.
    eventually("handlers ran", WAIT, || async {
        c.received.messages.lock().unwrap().len() == 1
            && b.received.messages.lock().unwrap().len() == 1
    })
    .await;
    assert_eq!(
        c.received.messages.lock().unwrap()[0].2,
        b"from Lao Cai to Yen Bai"
    );
    assert_eq!(b.received.messages.lock().unwrap()[0].0, c.organ_code);
    for node in [a, b, c] {
        node.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exchange_both_ways_sqlite() {
    exchange_both_ways(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exchange_both_ways_postgres() {
    exchange_both_ways(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_payload_goes_through_the_blob_store() {
    let (a, b, c) = three_nodes(Backend::Sqlite).await.unwrap();
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let id = b
        .fed()
        .send(
            &c.organ_code,
            "test.message",
            std::io::Cursor::new(payload.clone()),
        )
        .await
        .unwrap();
    let status = delivered(&b, &id).await;
    assert_eq!(status.payload_len, payload.len() as i64);
    eventually("handler ran", WAIT, || async {
        c.received.messages.lock().unwrap().len() == 1
    })
    .await;
    assert!(c.received.messages.lock().unwrap()[0].2 == payload);
    let row = store::inbox_message(&c.db, &b.organ_code, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.payload_inline.is_none(),
        "a 3 MB payload is kept in the blob store"
    );
    for node in [a, b, c] {
        node.cleanup().await;
    }
}

fn refusal(
    result: Result<congso_federation::testing::RawReceipt, congso_federation::AttemptError>,
) -> String {
    match result {
        Ok(_) => panic!("expected a refusal"),
        Err(error) => error.message,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replays_are_deduplicated_and_hostile_input_refused() {
    let (a, b, c) = three_nodes(Backend::Sqlite).await.unwrap();
    let raw = RawNode::load(&b.db, &b.sealer).await.unwrap().unwrap();
    let payload = b"exactly once".to_vec();
    let envelope = raw.envelope(&c.organ_code, "test.message", &payload);
    // The same envelope five times, and five fresh attempts of the same
    // message id (as retries are), concurrently: one arrival, one receipt.
    let mut attempts = Vec::new();
    for round in 0..10 {
        let mut attempt_envelope = envelope.clone();
        if round >= 5 {
            attempt_envelope.sent = congso_store::now().micros();
        }
        let attempt_bytes = attempt_envelope.encode();
        let attempt_signature = raw.sign(&attempt_bytes).unwrap();
        let raw = &raw;
        let to = c.organ_code.clone();
        let payload = payload.clone();
        attempts.push(async move {
            raw.deliver(&to, &attempt_bytes, &attempt_signature, payload.into())
                .await
                .unwrap()
        });
    }
    let receipts = futures::future::join_all(attempts).await;
    let first = &receipts[0];
    for receipt in &receipts {
        assert_eq!(
            receipt.receipt, first.receipt,
            "every attempt gets the original receipt"
        );
        assert_eq!(receipt.signature, first.signature);
    }
    assert!(receipts.iter().filter(|receipt| !receipt.duplicate).count() <= 1);
    let parsed = raw.verify_receipt(&c.organ_code, first).unwrap();
    assert_eq!(parsed.message_id, envelope.id);
    let rows = store::inbox_page(&c.db, 0, 100).await.unwrap();
    assert_eq!(
        rows.iter()
            .filter(|row| row.message_id == envelope.id)
            .count(),
        1
    );

    let inbox_count = || async { store::inbox_page(&c.db, 0, 1000).await.unwrap().len() };
    let before = inbox_count().await;
    let to = c.organ_code.as_str();

    // A tampered envelope: the signature no longer matches.
    let fresh = raw.envelope(to, "test.message", &payload);
    let signed = raw.sign(&fresh.encode()).unwrap();
    let mut tampered = fresh.clone();
    tampered.kind = "test.other".into();
    let message = refusal(
        raw.deliver(to, &tampered.encode(), &signed, payload.clone().into())
            .await,
    );
    assert!(message.contains("bad_signature"), "{message}");

    // A tampered payload: it no longer matches the signed SHA-256.
    let mut altered = payload.clone();
    altered[0] ^= 1;
    let message = refusal(
        raw.deliver(to, &fresh.encode(), &signed, altered.into())
            .await,
    );
    assert!(message.contains("payload_mismatch"), "{message}");

    // A payload longer or shorter than announced.
    let message = refusal(
        raw.deliver(
            to,
            &fresh.encode(),
            &signed,
            b"exactly once!".to_vec().into(),
        )
        .await,
    );
    assert!(message.contains("payload_mismatch"), "{message}");
    let message = refusal(
        raw.deliver(to, &fresh.encode(), &signed, b"exactly".to_vec().into())
            .await,
    );
    assert!(message.contains("payload_incomplete"), "{message}");

    // A stream cut in the middle (a blob-sized payload).
    let big = vec![7u8; 200_000];
    let big_envelope = raw.envelope(to, "test.message", &big);
    let big_signature = raw.sign(&big_envelope.encode()).unwrap();
    let result = raw
        .deliver(
            to,
            &big_envelope.encode(),
            &big_signature,
            RawNode::broken_body(big[..100_000].to_vec()),
        )
        .await;
    assert!(result.is_err());

    // Clock skew both ways.
    for offset in [3_600_000_000i64, -3_600_000_000] {
        let mut skewed = raw.envelope(to, "test.message", &payload);
        skewed.sent += offset;
        let skewed_signature = raw.sign(&skewed.encode()).unwrap();
        let message = refusal(
            raw.deliver(
                to,
                &skewed.encode(),
                &skewed_signature,
                payload.clone().into(),
            )
            .await,
        );
        assert!(message.contains("clock_skew"), "{message}");
    }

    // Speaking for another node over this node's connection.
    let mut impostor = raw.envelope(to, "test.message", &payload);
    impostor.from = a.organ_code.clone();
    let impostor_signature = raw.sign(&impostor.encode()).unwrap();
    let message = refusal(
        raw.deliver(
            to,
            &impostor.encode(),
            &impostor_signature,
            payload.clone().into(),
        )
        .await,
    );
    assert!(message.contains("sender_mismatch"), "{message}");

    // Addressed to someone else.
    let mut misrouted = raw.envelope(&a.organ_code, "test.message", &payload);
    misrouted.to = a.organ_code.clone();
    let misrouted_signature = raw.sign(&misrouted.encode()).unwrap();
    let message = refusal(
        raw.deliver(
            to,
            &misrouted.encode(),
            &misrouted_signature,
            payload.clone().into(),
        )
        .await,
    );
    assert!(message.contains("wrong_recipient"), "{message}");

    // Hostile envelopes: not JSON, deep nesting, extra fields, huge.
    for hostile in [
        b"not json".to_vec(),
        vec![b'['; 1500],
        String::from_utf8(fresh.encode())
            .unwrap()
            .replace('}', ",\"x\":1}")
            .into_bytes(),
        vec![b'a'; 3000],
    ] {
        let hostile_signature = raw.sign(&hostile).unwrap();
        let message = refusal(
            raw.deliver(to, &hostile, &hostile_signature, payload.clone().into())
                .await,
        );
        assert!(message.contains("envelope_invalid"), "{message}");
    }

    assert_eq!(inbox_count().await, before, "nothing refused was stored");
    for node in [a, b, c] {
        node.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_removed_node_is_refused_after_one_refresh() {
    let (a, b, c) = three_nodes(Backend::Sqlite).await.unwrap();
    let before = b.fed().directory().version();
    congso_federation::identity::remove(
        &a.db,
        &a.sealer,
        &a.ledger,
        &c.organ_code,
        true,
        &congso_core::audit::Actor::Operator("test".into()),
    )
    .await
    .unwrap();
    eventually("b refreshed", WAIT, || async {
        b.fed().directory().version() > before
    })
    .await;
    assert!(b.fed().directory().active_member(&c.organ_code).is_err());
    // The revoked node's requests are refused (TLS, by the CRL).
    let raw = RawNode::load(&c.db, &c.sealer).await.unwrap().unwrap();
    let payload = b"from a revoked node".to_vec();
    let envelope = raw.envelope(&b.organ_code, "test.message", &payload);
    let signature = raw.sign(&envelope.encode()).unwrap();
    let result = raw
        .deliver(
            &b.organ_code,
            &envelope.encode(),
            &signature,
            payload.into(),
        )
        .await;
    assert!(result.is_err());
    // Messages to it are rejected with a reason, not retried forever.
    let id = b
        .fed()
        .send(&a.organ_code, "test.message", &b"still fine"[..])
        .await
        .unwrap();
    delivered(&b, &id).await;
    assert!(b
        .fed()
        .send(&c.organ_code, "test.message", &b"x"[..])
        .await
        .is_err());
    assert!(store::inbox_page(&b.db, 0, 100)
        .await
        .unwrap()
        .iter()
        .all(|row| row.sender != c.organ_code));
    // Re-admitting it needs a new invitation.
    for node in [a, b, c] {
        node.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn members_keep_working_while_the_coordinator_is_down() {
    let (mut a, mut b, c) = three_nodes(Backend::Sqlite).await.unwrap();
    a.stop().await;
    let id = b
        .fed()
        .send(&c.organ_code, "test.message", &b"coordinator down"[..])
        .await
        .unwrap();
    delivered(&b, &id).await;
    // A restarted member starts from its cached directory.
    b.stop().await;
    b.start(fast_settings()).await;
    assert!(
        b.fed().refresh_directory().await.is_err(),
        "the coordinator is unreachable"
    );
    let id = c
        .fed()
        .send(&b.organ_code, "test.message", &b"still working"[..])
        .await
        .unwrap();
    delivered(&c, &id).await;
    // Messages to the coordinator wait for it.
    let to_a = b
        .fed()
        .send(&a.organ_code, "test.message", &b"for the coordinator"[..])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let status = b.fed().status(&to_a).await.unwrap().unwrap();
    assert_eq!(status.state, DeliveryState::Sent);
    assert!(status.last_error.is_some());
    a.start(fast_settings()).await;
    delivered(&b, &to_a).await;
    for node in [a, b, c] {
        node.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_silent_peer_holds_up_only_its_own_queue() {
    let (a, b, mut c) = three_nodes(Backend::Sqlite).await.unwrap();
    c.stop().await;
    // Something accepts connections on C's address and never answers.
    let black_hole = tokio::net::TcpListener::bind(c.address).await.unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            if let Ok((socket, _)) = black_hole.accept().await {
                held.push(socket);
            }
        }
    });
    let mut to_c = Vec::new();
    let mut to_a = Vec::new();
    for i in 0..5 {
        to_c.push(
            b.fed()
                .send(&c.organ_code, "test.message", format!("c{i}").as_bytes())
                .await
                .unwrap(),
        );
        to_a.push(
            b.fed()
                .send(&a.organ_code, "test.message", format!("a{i}").as_bytes())
                .await
                .unwrap(),
        );
    }
    for id in &to_a {
        delivered(&b, id).await;
    }
    eventually("a timeout recorded", WAIT, || async {
        let status = b.fed().status(&to_c[0]).await.unwrap().unwrap();
        status
            .last_error
            .is_some_and(|error| error.contains("timed out") || error.contains("deadline"))
    })
    .await;
    for id in &to_c {
        assert_ne!(
            b.fed().status(id).await.unwrap().unwrap().state,
            DeliveryState::Received
        );
    }
    holder.abort();
    let _ = holder.await;
    c.start(fast_settings()).await;
    for id in &to_c {
        delivered(&b, id).await;
    }
    eventually("c handled five", WAIT, || async {
        c.received.messages.lock().unwrap().len() == 5
    })
    .await;
    assert_eq!(store::inbox_page(&c.db, 0, 100).await.unwrap().len(), 5);
    for node in [a, b, c] {
        node.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn certificates_from_elsewhere_or_expired_are_refused() {
    let (a, b, c) = three_nodes(Backend::Sqlite).await.unwrap();
    let identity = store::identity(&a.db).await.unwrap().unwrap();
    let url = format!("{}/federation/directory", b.endpoint);
    let get = |config: rustls::ClientConfig| {
        let url = url.clone();
        async move {
            let client = reqwest::Client::builder()
                .use_preconfigured_tls(config)
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            client.get(url).send().await
        }
    };
    // A certificate from another CA.
    let now = std::time::SystemTime::now();
    let foreign = congso_pki::CertificateAuthority::create_root(
        &congso_pki::SubjectName::new("foreign"),
        congso_pki::KeyAlgorithm::EcdsaP256,
        now,
        Duration::from_secs(3600),
    )
    .unwrap();
    let foreign_identity = foreign
        .issue_identity(
            &congso_pki::SubjectName::new(c.organ_code.clone()),
            congso_pki::CertificateProfile::NodeTls {
                dns_names: vec![],
                ip_addresses: vec!["127.0.0.3".parse().unwrap()],
            },
            congso_pki::KeyAlgorithm::EcdsaP256,
            now,
            Duration::from_secs(3600),
        )
        .unwrap();
    let config = congso_federation::testing::client_config(
        &identity.ca_certificate,
        foreign_identity.certificate().to_der(),
        &foreign_identity.key().to_pkcs8_der().unwrap(),
    )
    .unwrap();
    assert!(
        get(config).await.is_err(),
        "a foreign certificate fails the handshake"
    );
    // An expired certificate from the federation CA itself.
    let (expired, key) = congso_federation::testing::issue_certificate(
        &a.db,
        &a.sealer,
        &c.organ_code,
        &c.endpoint,
        now - Duration::from_secs(7200),
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    let config =
        congso_federation::testing::client_config(&identity.ca_certificate, &expired, &key)
            .unwrap();
    assert!(
        get(config).await.is_err(),
        "an expired certificate fails the handshake"
    );
    // A valid certificate from the federation CA that no member holds.
    let (stray, key) = congso_federation::testing::issue_certificate(
        &a.db,
        &a.sealer,
        &c.organ_code,
        &c.endpoint,
        now - Duration::from_secs(60),
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    let config =
        congso_federation::testing::client_config(&identity.ca_certificate, &stray, &key).unwrap();
    let response = get(config).await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::FORBIDDEN);
    // No certificate at all: only joining is possible.
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates({
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from(
                identity.ca_certificate.clone(),
            ))
            .unwrap();
        roots
    })
    .with_no_client_auth();
    let response = get(config).await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);
    for node in [a, b, c] {
        node.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invitations_are_one_time_bound_and_pinned() {
    let mut a = TestNode::new(Backend::Sqlite, "127.0.0.1", "000.00.00.G01", "Điều phối")
        .await
        .unwrap();
    a.init("Liên thông").await;
    a.start(fast_settings()).await;
    let b = TestNode::new(Backend::Sqlite, "127.0.0.2", "000.00.01.H26", "B")
        .await
        .unwrap();
    let c = TestNode::new(Backend::Sqlite, "127.0.0.3", "000.00.02.H27", "C")
        .await
        .unwrap();
    let token = a.invite(&b.organ_code).await;
    // Another organ code cannot use B's invitation.
    let error = c.join(&a, &token).await.unwrap_err().to_string();
    assert!(error.contains("another organ code"), "{error}");
    // A token whose pinned CA is not the coordinator's fails at TLS.
    let mut forged = congso_federation::InviteToken::parse(&token)
        .unwrap()
        .encode();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let error = b.join(&a, &forged).await.unwrap_err().to_string();
    assert!(
        error.contains("federation CA") || error.contains("invitation"),
        "{error}"
    );
    b.join(&a, &token).await.unwrap();
    // The token is used up.
    let d = TestNode::new(Backend::Sqlite, "127.0.0.4", "000.00.01.H26", "B again")
        .await
        .unwrap();
    let error = d.join(&a, &token).await.unwrap_err().to_string();
    assert!(error.contains("already used"), "{error}");
    assert!(congso_federation::InviteToken::parse("garbage").is_err());
    for node in [a, b, c, d] {
        node.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn witnesses_cosign_consistent_checkpoints() {
    let (a, b, c) = three_nodes(Backend::Sqlite).await.unwrap();
    let id = b
        .fed()
        .send(&c.organ_code, "test.message", &b"witness me"[..])
        .await
        .unwrap();
    delivered(&b, &id).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let summary = c.fed().witness_now().await.unwrap();
    assert_eq!(summary.cosigned, vec![b.organ_code.clone()], "{summary:?}");
    // B grows; C checks consistency with what it saw and cosigns again.
    let id = b
        .fed()
        .send(&c.organ_code, "test.message", &b"again"[..])
        .await
        .unwrap();
    delivered(&b, &id).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let summary = c.fed().witness_now().await.unwrap();
    assert_eq!(summary.cosigned, vec![b.organ_code.clone()], "{summary:?}");
    // B fetches C's cosignatures of its checkpoints and verifies them.
    let summary = b.fed().witness_now().await.unwrap();
    assert!(summary.cosignatures_fetched >= 2, "{summary:?}");
    let verifier =
        congso_ledger::note::Ed25519Verifier::from_vkey(&b.ledger.verifier_key()).unwrap();
    let report = congso_federation::verify_witnesses(&b.db, &verifier)
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");
    assert!(report.cosignatures_verified >= 2);
    assert!(report.witnesses.contains(&c.organ_code));
    let report = congso_federation::verify_witnesses(
        &c.db,
        &congso_ledger::note::Ed25519Verifier::from_vkey(&c.ledger.verifier_key()).unwrap(),
    )
    .await
    .unwrap();
    assert!(report.ok(), "{report:?}");
    assert!(report.cosignatures_made_verified >= 2);
    for node in [a, b, c] {
        node.cleanup().await;
    }
}
