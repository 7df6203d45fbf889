//! Data services between three nodes in one process over real mutual TLS:
//! a member publishes (listed in the directory through the coordinator),
//! loads a dataset and grants one agency; calls succeed with verified
//! responses, are refused distinctly (not granted, invalid input with
//! paths, unknown service, provider down), repeated request ids get the
//! original response, hostile requests are refused, and both sides log
//! every call and ledger it without personal data. SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{eventually, three_nodes, Backend, TestNode};
use congso_core::audit::Actor;
use congso_federation::data_service::{
    self, CallRequest, Outcome, ServiceRequest, ServiceSpec, MAX_REQUEST_BYTES,
};
use congso_federation::testing::RawNode;
use congso_store::data_services::{self as store, Side};
use congso_store::ledger;
use serde_json::{json, Value};

const CODE: &str = "ho-tich.tra-cuu-cu-tru";
const CCCD: &str = "001099012345";
const PURPOSE: &str = "Giải quyết hồ sơ đăng ký thường trú";
const USER: &str = "Nguyễn Thị Lan";

fn spec() -> ServiceSpec {
    ServiceSpec {
        code: CODE.into(),
        name: "Tra cứu thông tin cư trú".into(),
        description: "Nơi thường trú theo số định danh cá nhân".into(),
        input_schema: json!({
            "type": "object",
            "properties": {"cccd": {"type": "string", "format": "cccd"}},
            "required": ["cccd"],
            "additionalProperties": false
        }),
        output_schema: json!({
            "type": "object",
            "properties": {
                "cccd": {"type": "string"},
                "ho_ten": {"type": "string"},
                "thuong_tru": {"type": "string"}
            },
            "required": ["cccd", "ho_ten", "thuong_tru"]
        }),
        key_fields: vec!["cccd".into()],
    }
}

fn call(provider: &TestNode, service: &str, input: Value) -> CallRequest {
    CallRequest {
        provider: provider.organ_code.clone(),
        service: service.into(),
        input,
        purpose: PURPOSE.into(),
        user_id: "7".into(),
        user_name: USER.into(),
        request_id: None,
    }
}

fn staff() -> Actor {
    Actor::User("lan.nt".into())
}

fn operator() -> Actor {
    Actor::Operator("test".into())
}

/// A request as a well-behaved caller would sign it, to tamper with.
fn raw_request(raw: &RawNode, to: &str, input: Value) -> ServiceRequest {
    ServiceRequest {
        v: 1,
        request_id: congso_federation::envelope::new_message_id(),
        from: raw.identity.organ_code.clone(),
        to: to.into(),
        service: CODE.into(),
        purpose: PURPOSE.into(),
        user_id: "7".into(),
        user_name: USER.into(),
        sent: congso_store::now().micros(),
        input,
    }
}

async fn data_services(backend: Backend) {
    let Some((a, mut b, c)) = three_nodes(backend).await else {
        return;
    };
    // B (a member) publishes: the announcement reaches the coordinator,
    // which lists the service in a new directory version every node pulls.
    let published =
        data_service::publish(&b.db, &b.sealer, &b.blobs, &b.ledger, &spec(), &operator())
            .await
            .unwrap();
    assert!(published.announcement_message.is_some());
    for node in [&a, &c] {
        eventually(
            "the directory lists b's service",
            Duration::from_secs(20),
            || async {
                node.fed()
                    .directory()
                    .member(&b.organ_code)
                    .is_some_and(|member| {
                        member
                            .entry
                            .services
                            .iter()
                            .any(|service| service.code == CODE)
                    })
            },
        )
        .await;
    }
    let listed = a
        .fed()
        .directory()
        .member(&b.organ_code)
        .unwrap()
        .entry
        .services
        .clone();
    assert_eq!(listed[0].name, "Tra cứu thông tin cư trú");
    assert_eq!(listed[0].input_schema, spec().input_schema);
    // A schema that is not one is refused when published, and nothing is stored.
    let mut bad = spec();
    bad.code = "ho-tich.sai".into();
    bad.output_schema = json!({"type": "object", "required": "cccd"});
    assert!(
        data_service::publish(&b.db, &b.sealer, &b.blobs, &b.ledger, &bad, &operator())
            .await
            .is_err()
    );
    assert!(store::service(&b.db, "ho-tich.sai")
        .await
        .unwrap()
        .is_none());

    let dataset = format!(
        "{{\"cccd\":\"{CCCD}\",\"ho_ten\":\"Nguyễn Văn An\",\"thuong_tru\":\"Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội\"}}\n\
         {{\"cccd\":\"010199000001\",\"ho_ten\":\"Lò Thị Bình\",\"thuong_tru\":\"Sa Pa, Lào Cai\"}}\n"
    );
    assert_eq!(
        data_service::load_dataset(&b.db, &b.ledger, CODE, &dataset, &operator())
            .await
            .unwrap(),
        2
    );
    assert!(
        data_service::set_grant(&b.db, &b.ledger, CODE, &a.organ_code, true, &operator())
            .await
            .unwrap()
    );

    // A is granted: the record comes back, signed by B and verified.
    let answer = a
        .fed()
        .call_service(&call(&b, CODE, json!({"cccd": CCCD})), &staff())
        .await
        .unwrap();
    assert_eq!(answer.outcome, Outcome::Ok, "{answer:?}");
    let response = answer.response.clone().unwrap();
    assert_eq!(response.from, b.organ_code);
    assert_eq!(response.result.as_ref().unwrap()["ho_ten"], "Nguyễn Văn An");
    assert_eq!(response.request_sha256, answer.request_sha256);
    assert!(!answer.duplicate);
    // The response names B's ledger entry for the call.
    let entry = ledger::entry(&b.db, response.ledger_index)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.action, "data_service.answered");
    assert_eq!(entry.data_hash, answer.request_sha256);

    // The same request id again: B answers with its first response.
    let mut again = call(&b, CODE, json!({"cccd": "010199000001"}));
    again.request_id = Some(answer.request_id.clone());
    let repeated = a.fed().call_service(&again, &staff()).await.unwrap();
    assert!(repeated.duplicate);
    assert_eq!(repeated.response_bytes, answer.response_bytes);

    // No record for a valid CCCD: answered, with no result.
    let none = a
        .fed()
        .call_service(&call(&b, CODE, json!({"cccd": "010199000002"})), &staff())
        .await
        .unwrap();
    assert_eq!(none.outcome, Outcome::Ok);
    assert_eq!(none.response.unwrap().result, None);

    // C holds no grant.
    let refused = c
        .fed()
        .call_service(&call(&b, CODE, json!({"cccd": CCCD})), &staff())
        .await
        .unwrap();
    assert_eq!(refused.outcome, Outcome::NotGranted);
    assert!(refused.response.unwrap().result.is_none());

    // Invalid input: the paths say where.
    let invalid = a
        .fed()
        .call_service(&call(&b, CODE, json!({"cccd": "12345"})), &staff())
        .await
        .unwrap();
    assert_eq!(invalid.outcome, Outcome::InvalidInput);
    let errors = invalid.response.unwrap().errors;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, "/cccd");

    // Unknown service.
    let unknown = a
        .fed()
        .call_service(
            &call(&b, "ho-tich.khong-co", json!({"cccd": CCCD})),
            &staff(),
        )
        .await
        .unwrap();
    assert_eq!(unknown.outcome, Outcome::UnknownService);

    // A purpose is required.
    let mut no_purpose = call(&b, CODE, json!({"cccd": CCCD}));
    no_purpose.purpose = String::new();
    assert!(a.fed().call_service(&no_purpose, &staff()).await.is_err());

    // Hostile requests, signed by A but shaped by hand.
    let raw = RawNode::load(&a.db, &a.sealer).await.unwrap().unwrap();
    let send = |request: &ServiceRequest| {
        let bytes = request.encode();
        let signature = raw.sign_request(&bytes).unwrap();
        (bytes, signature)
    };
    let paths_of = |bytes: &[u8], signature: &[u8]| -> (Outcome, Vec<String>) {
        let response = raw
            .verify_service_response(&b.organ_code, bytes, signature)
            .unwrap();
        (
            response.outcome,
            response
                .errors
                .into_iter()
                .map(|error| error.path)
                .collect(),
        )
    };
    // Oversized input (within what the provider reads).
    let (bytes, signature) = send(&raw_request(
        &raw,
        &b.organ_code,
        json!({"cccd": "1".repeat(30_000)}),
    ));
    let (response, response_signature, _) = raw
        .call_service(&b.organ_code, &bytes, &signature)
        .await
        .unwrap();
    let (outcome, paths) = paths_of(&response, &response_signature);
    assert_eq!(
        (outcome, paths),
        (Outcome::InvalidInput, vec![String::new()])
    );
    // Deep JSON.
    let mut deep = json!(CCCD);
    for _ in 0..40 {
        deep = json!({"a": deep});
    }
    let (bytes, signature) = send(&raw_request(&raw, &b.organ_code, deep));
    let (response, response_signature, _) = raw
        .call_service(&b.organ_code, &bytes, &signature)
        .await
        .unwrap();
    let (outcome, paths) = paths_of(&response, &response_signature);
    assert_eq!(outcome, Outcome::InvalidInput);
    assert!(paths[0].starts_with("/a/a/a/a"), "{paths:?}");
    // Not an object.
    for input in [json!([CCCD]), json!(CCCD), json!(null), json!(12)] {
        let (bytes, signature) = send(&raw_request(&raw, &b.organ_code, input));
        let (response, response_signature, _) = raw
            .call_service(&b.organ_code, &bytes, &signature)
            .await
            .unwrap();
        let (outcome, paths) = paths_of(&response, &response_signature);
        assert_eq!(
            (outcome, paths),
            (Outcome::InvalidInput, vec![String::new()])
        );
    }
    // Larger than the provider reads: refused before anything is parsed.
    let (bytes, signature) = send(&raw_request(
        &raw,
        &b.organ_code,
        json!({"cccd": "1".repeat(MAX_REQUEST_BYTES)}),
    ));
    let error = raw
        .call_service(&b.organ_code, &bytes, &signature)
        .await
        .unwrap_err();
    assert!(error.message.contains("request_too_large"), "{error}");
    // Tampered after signing.
    let (mut bytes, signature) = send(&raw_request(&raw, &b.organ_code, json!({"cccd": CCCD})));
    let at = bytes.len() - 5;
    bytes[at] ^= 1;
    let error = raw
        .call_service(&b.organ_code, &bytes, &signature)
        .await
        .unwrap_err();
    assert!(error.message.contains("bad_signature"), "{error}");
    // A request claiming to come from C over A's connection.
    let mut spoofed = raw_request(&raw, &b.organ_code, json!({"cccd": CCCD}));
    spoofed.from = c.organ_code.clone();
    let (bytes, signature) = send(&spoofed);
    let error = raw
        .call_service(&b.organ_code, &bytes, &signature)
        .await
        .unwrap_err();
    assert!(error.message.contains("sender_mismatch"), "{error}");
    // Not canonical JSON.
    let (bytes, _) = send(&raw_request(&raw, &b.organ_code, json!({"cccd": CCCD})));
    let loose = String::from_utf8(bytes)
        .unwrap()
        .replacen(",\"", ", \"", 1)
        .into_bytes();
    let signature = raw.sign_request(&loose).unwrap();
    let error = raw
        .call_service(&b.organ_code, &loose, &signature)
        .await
        .unwrap_err();
    assert!(error.message.contains("canonical"), "{error}");

    // Revoked: refused again.
    assert!(
        data_service::set_grant(&b.db, &b.ledger, CODE, &a.organ_code, false, &operator())
            .await
            .unwrap()
    );
    let revoked = a
        .fed()
        .call_service(&call(&b, CODE, json!({"cccd": CCCD})), &staff())
        .await
        .unwrap();
    assert_eq!(revoked.outcome, Outcome::NotGranted);

    // Provider down: the caller reports service_down, and logs it.
    b.stop().await;
    let down = a
        .fed()
        .call_service(&call(&b, CODE, json!({"cccd": CCCD})), &staff())
        .await
        .unwrap();
    assert_eq!(down.outcome, Outcome::ServiceDown);
    assert!(down.response.is_none());
    assert!(!down.detail.is_empty());

    // Both sides logged every call once; the repeated id is one row each.
    let a_log = store::calls_page(&a.db, 0, 1000).await.unwrap();
    let b_log = store::calls_page(&b.db, 0, 1000).await.unwrap();
    let outcomes = |log: &[store::CallRow], side: &str| -> Vec<String> {
        log.iter()
            .filter(|row| row.side == side)
            .map(|row| row.outcome.clone())
            .collect()
    };
    assert_eq!(
        outcomes(&a_log, "caller"),
        [
            "ok",
            "ok",
            "invalid_input",
            "unknown_service",
            "not_granted",
            "service_down"
        ]
    );
    let b_from_a: Vec<&store::CallRow> = b_log
        .iter()
        .filter(|row| row.caller_org == a.organ_code)
        .collect();
    // ok, ok (no record), invalid, unknown, 6 hostile but signed, revoked.
    assert_eq!(b_from_a.len(), 11, "{b_from_a:#?}");
    let first = store::call(&b.db, Side::Provider, &a.organ_code, &answer.request_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.purpose.as_str(), first.caller_user_name.as_str()),
        (PURPOSE, USER)
    );
    assert_eq!(hex::encode(&first.request_sha256), answer.request_sha256);
    let c_log = store::calls_page(&c.db, 0, 10).await.unwrap();
    assert_eq!(outcomes(&c_log, "caller"), vec!["not_granted"]);
    assert!(b_log
        .iter()
        .any(|row| row.caller_org == c.organ_code && row.outcome == "not_granted"));
    let caller_row = store::call(&a.db, Side::Caller, &a.organ_code, &answer.request_id)
        .await
        .unwrap()
        .unwrap();
    assert!(caller_row.ledger_seq.is_some());
    assert!(caller_row.response.is_some());

    // Both ledgers hold the calls, grants and loads, without personal data.
    for (node, actions) in [
        (&a, vec!["data_service.called", "data_service.listed"]),
        (
            &b,
            vec![
                "data_service.published",
                "data_service.loaded",
                "data_service.granted",
                "data_service.revoked",
                "data_service.answered",
            ],
        ),
    ] {
        let entries = ledger::entries_from(&node.db, 0, 100_000).await.unwrap();
        for action in actions {
            assert!(
                entries.iter().any(|entry| entry.action == action),
                "{action} missing"
            );
        }
        for entry in &entries {
            let text = format!("{} {} {}", entry.target, entry.details, entry.actor);
            for personal in [CCCD, "Nguyễn Văn An", PURPOSE, USER, "Tràng Tiền"] {
                assert!(!text.contains(personal), "{personal} in the ledger: {text}");
            }
        }
    }
    let answered = ledger::entries_from(&b.db, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|entry| entry.action == "data_service.answered")
        .count();
    assert_eq!(answered, b_log.len(), "one ledger entry per answered call");

    a.cleanup().await;
    b.cleanup().await;
    c.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn data_services_sqlite() {
    data_services(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn data_services_postgres() {
    data_services(Backend::Postgres).await;
}
