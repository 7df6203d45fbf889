//! The public ledger endpoints, checked with the ledger crate's verifiers
//! (the same code a relying party runs), and the operations endpoints.

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use congso_core::access::Role;
use congso_ledger::checkpoint::Checkpoint;
use congso_ledger::note::{self, Ed25519Verifier};
use congso_ledger::{leaf_hash, verify_consistency, verify_inclusion, Hash};
use congso_store::ledger;
use congso_store::Db;

use crate::harness::{vi, Client, Harness};

fn hash(text: &serde_json::Value) -> Hash {
    STANDARD
        .decode(text.as_str().expect("a base64 string"))
        .expect("base64")
        .try_into()
        .expect("32 bytes")
}

fn hashes(list: &serde_json::Value) -> Vec<Hash> {
    list.as_array().expect("a list").iter().map(hash).collect()
}

/// Fetches the checkpoint and checks its signature with the published key.
async fn verified_checkpoint(client: &mut Client, verifier: &Ed25519Verifier) -> Checkpoint {
    let reply = client.get("/ledger/checkpoint").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type().starts_with("text/plain"));
    let opened = note::open(reply.body.as_bytes(), &[verifier]).expect("the signature verifies");
    Checkpoint::parse(opened.text()).expect("a checkpoint body")
}

async fn checkpoints_and_proofs_verify(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    for _ in 0..3 {
        h.client().sign_in(&clerk).await;
    }

    let key = client.get("/ledger/key").await;
    assert_eq!(key.status, StatusCode::OK);
    let verifier = Ed25519Verifier::from_vkey(key.body.trim()).expect("a verifier key");
    assert!(key.body.starts_with("congso/thu-nghiem+"));

    let first = verified_checkpoint(&mut client, &verifier).await;
    assert_eq!(first.origin(), "congso/thu-nghiem");
    assert_eq!(first.size(), 3);

    // A checkpoint signed by another key is refused by the same check, so
    // the verification above means something.
    let stranger = note::Ed25519Signer::from_seed("congso/thu-nghiem", [7; 32])
        .unwrap()
        .verifier();
    let reply = client.get("/ledger/checkpoint").await;
    assert!(note::open(reply.body.as_bytes(), &[&stranger]).is_err());

    for index in 0..first.size() {
        let reply = client
            .get(&format!(
                "/ledger/proof/inclusion?index={index}&size={}",
                first.size()
            ))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let json = reply.json();
        let entry = ledger::entry(&h.db, index).await.unwrap().unwrap();
        let leaf = leaf_hash(&entry.leaf_bytes());
        assert_eq!(hash(&json["leaf_hash"]), leaf);
        let proof = hashes(&json["proof"]);
        verify_inclusion(index, first.size(), &leaf, &proof, first.root())
            .unwrap_or_else(|error| panic!("entry {index}: {error}"));
        if let Some(mut forged) = proof.first().copied() {
            forged[0] ^= 1;
            let mut tampered = proof.clone();
            tampered[0] = forged;
            assert!(verify_inclusion(index, first.size(), &leaf, &tampered, first.root()).is_err());
        }
    }

    for _ in 0..4 {
        h.client().sign_in(&clerk).await;
    }
    let second = verified_checkpoint(&mut client, &verifier).await;
    assert_eq!(second.size(), 7);
    let reply = client
        .get(&format!(
            "/ledger/proof/consistency?from={}&to={}",
            first.size(),
            second.size()
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    let proof = hashes(&json["proof"]);
    verify_consistency(
        first.size(),
        second.size(),
        first.root(),
        second.root(),
        &proof,
    )
    .expect("the later checkpoint extends the earlier one");
    assert_eq!(&hash(&json["root_from"]), first.root());
    assert_eq!(&hash(&json["root_to"]), second.root());

    // Without a size, the proof is against the current tree and names the
    // checkpoint of that size when one was signed.
    let reply = client.get("/ledger/proof/inclusion?index=2").await;
    let json = reply.json();
    assert_eq!(json["tree_size"], 7);
    let signed = json["checkpoint"]
        .as_str()
        .expect("the checkpoint at size 7");
    let opened = note::open(signed.as_bytes(), &[&verifier]).unwrap();
    let checkpoint = Checkpoint::parse(opened.text()).unwrap();
    let leaf = leaf_hash(&ledger::entry(&h.db, 2).await.unwrap().unwrap().leaf_bytes());
    verify_inclusion(2, 7, &leaf, &hashes(&json["proof"]), checkpoint.root()).unwrap();
}

async fn bad_proof_parameters_are_400_json(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    for _ in 0..3 {
        h.client().sign_in(&clerk).await;
    }
    let mut client = h.client();
    for query in [
        "/ledger/proof/inclusion",
        "/ledger/proof/inclusion?index=",
        "/ledger/proof/inclusion?index=abc",
        "/ledger/proof/inclusion?index=-1",
        "/ledger/proof/inclusion?index=1.5",
        "/ledger/proof/inclusion?index=99999999999999999999999",
        "/ledger/proof/inclusion?index=3",
        "/ledger/proof/inclusion?index=0&size=0",
        "/ledger/proof/inclusion?index=0&size=4",
        "/ledger/proof/inclusion?index=18446744073709551615&size=18446744073709551615",
        "/ledger/proof/inclusion?index=2&size=2",
        "/ledger/proof/consistency",
        "/ledger/proof/consistency?from=x",
        "/ledger/proof/consistency?from=3&to=2",
        "/ledger/proof/consistency?from=1&to=4",
        "/ledger/proof/consistency?from=1&to=18446744073709551615",
    ] {
        let reply = client.get(query).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            reply.body
        );
        assert!(
            reply.content_type().starts_with("application/json"),
            "{query}"
        );
        let json = reply.json();
        assert_eq!(json["error"], "bad_request", "{query}");
        assert!(
            json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{query}"
        );
    }
}

async fn health_readiness_and_metrics(db: Db) {
    let h = Harness::new(db).await;
    let mut client = h.client();
    let health = client.get("/healthz").await;
    assert_eq!(
        (health.status, health.body.as_str()),
        (StatusCode::OK, "ok")
    );
    let ready = client.get("/readyz").await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (StatusCode::OK, "ready")
    );

    let metrics = client.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.content_type().starts_with("text/plain"));
    for name in [
        "congso_http_requests_total",
        "congso_ledger_entries",
        "congso_http_request_duration_seconds",
    ] {
        assert!(
            metrics.body.contains(name),
            "{name} missing:\n{}",
            metrics.body
        );
    }
    assert!(
        metrics
            .body
            .lines()
            .any(|line| line.starts_with("congso_http_requests_total{")
                && line.contains("route=\"/healthz\"")
                && line.contains("status=\"200\"")),
        "{}",
        metrics.body
    );

    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut signed_in = h.client();
    signed_in.sign_in(&clerk).await;

    h.db.close().await;
    let ready = client.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);
    // With the database gone, a signed-in visitor gets the error page (or
    // the JSON error), not an empty answer.
    let page = signed_in.get("/account").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(page.alert().as_deref(), Some(vi::INTERNAL));
    let json = signed_in.get_json("/account").await;
    assert_eq!(
        json.json(),
        serde_json::json!({ "error": "internal", "message": vi::INTERNAL })
    );
}

on_both_databases!(
    checkpoints_and_proofs_verify,
    bad_proof_parameters_are_400_json,
    health_readiness_and_metrics,
);
