//! The JSON API: bearer tokens only (never the session cookie), every
//! route described by the OpenAPI document and every described route
//! served, and the document workflow driven through it.

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use congso_core::access::Role;
use congso_store::Db;

use crate::harness::{request, Client, Harness, Reply};

/// Creates a token on the account page, as its owner would.
async fn create_token(client: &mut Client) -> String {
    let reply = client
        .submit(
            "/account/api-tokens",
            &[("name", "Hệ thống một cửa"), ("days", "30")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let start = reply
        .body
        .find("cgs_")
        .expect("the new token is shown once");
    let token: String = reply.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(token.len() > 40, "{token}");
    token
}

async fn call(
    client: &mut Client,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Reply {
    let mut builder = request(method, path);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(json) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    client.send(builder.body(body).unwrap()).await
}

async fn every_route_is_described_and_every_description_served(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let mut client = h.client();
    let document = client.get("/api/openapi.json").await;
    assert_eq!(document.status, StatusCode::OK);
    let document = document.json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    let mut described = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            described.push((method.clone(), path.clone()));
        }
    }
    described.sort();
    // The public portal's operations are described too (no token needed).
    let portal: Vec<(String, String)> = congso_web::portal::openapi_paths()
        .into_iter()
        .flat_map(|(path, item)| {
            let methods: Vec<String> = item.as_object().unwrap().keys().cloned().collect();
            methods
                .into_iter()
                .map(move |method| (method, path.clone()))
        })
        .collect();
    assert!(portal.len() >= 5, "{portal:?}");
    let mut routed: Vec<(String, String)> = congso_web::api_routes()
        .into_iter()
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .chain(portal.iter().cloned())
        .collect();
    routed.sort();
    assert_eq!(
        described, routed,
        "the document describes exactly the routes"
    );
    assert!(described.len() >= 19, "{described:?}");
    // Every described operation is really served by the router: without a
    // token it answers 401 (the route exists), never the fallback 404 or
    // 405; and every operation has responses and an operationId.
    for (method, path) in &described {
        let operation = &paths[path][method];
        assert!(operation["operationId"].is_string(), "{method} {path}");
        assert!(operation["responses"]
            .as_object()
            .is_some_and(|r| !r.is_empty()));
        let concrete = path.replace("{id}", "1").replace("{file_id}", "1");
        let reply = call(
            &mut client,
            method.to_uppercase().parse().unwrap(),
            &concrete,
            None,
            None,
        )
        .await;
        if portal.contains(&(method.clone(), path.clone())) {
            assert_eq!(operation["security"], serde_json::json!([]), "{path}");
            if !path.contains('{') {
                // Routed and public: never the fallback, a 405 or a 401.
                assert!(
                    !matches!(
                        reply.status,
                        StatusCode::UNAUTHORIZED
                            | StatusCode::NOT_FOUND
                            | StatusCode::METHOD_NOT_ALLOWED
                    ),
                    "{method} {concrete}: {} {}",
                    reply.status,
                    reply.body
                );
            }
        } else if path == "/api/openapi.json" {
            assert_eq!(reply.status, StatusCode::OK);
        } else {
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{method} {concrete}: {}",
                reply.body
            );
            assert_eq!(reply.json()["error"], "unauthorized");
            assert!(reply.headers.contains_key(header::WWW_AUTHENTICATE));
        }
    }
    // And a path or method not in the table is not served.
    let reply = call(
        &mut client,
        Method::GET,
        "/api/documents/1/nothing",
        None,
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = call(&mut client, Method::DELETE, "/api/documents/1", None, None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

async fn tokens_not_cookies(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let leader = h.user("lanh.dao", Role::Leader).await;
    let citizen = h.user("cong.dan", Role::Citizen).await;
    let mut client = h.client();
    client.sign_in(&leader).await;
    // A signed-in browser's cookie opens nothing on the API, read or write.
    let reply = client.get("/api/documents").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = client
        .post_form("/api/documents/1/recall", &[("reason", "x")])
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    let token = create_token(&mut client).await;
    let reply = call(
        &mut client,
        Method::GET,
        "/api/documents",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["documents"], serde_json::json!([]));
    // A made-up or revoked token is refused; creation and revocation are ledgered.
    let reply = call(
        &mut client,
        Method::GET,
        "/api/documents",
        Some("cgs_madeup"),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let tokens = congso_store::accounts::list_api_tokens(&h.db, leader.id)
        .await
        .unwrap();
    let revoke = client
        .submit(&format!("/account/api-tokens/{}/revoke", tokens[0].id), &[])
        .await;
    assert_eq!(revoke.status, StatusCode::SEE_OTHER);
    let reply = call(
        &mut client,
        Method::GET,
        "/api/documents",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.entries_with("auth.api_token.created").await.len(), 1);
    assert_eq!(h.entries_with("auth.api_token.revoked").await.len(), 1);
    // Citizens hold no tokens.
    let mut citizen_client = h.client();
    citizen_client.sign_in(&citizen).await;
    assert_eq!(
        citizen_client.get("/account/api-tokens").await.status,
        StatusCode::FORBIDDEN
    );
}

async fn workflow_through_the_api(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let clerk = h.user("van.thu", Role::Clerk).await;
    let leader = h.user("lanh.dao", Role::Leader).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let mut client = h.client();
    client.sign_in(&clerk).await;
    let clerk_token = create_token(&mut client).await;
    let mut client = h.client();
    client.sign_in(&leader).await;
    let leader_token = create_token(&mut client).await;
    let mut client = h.client();
    client.sign_in(&specialist).await;
    let specialist_token = create_token(&mut client).await;
    let mut api = h.client();

    // Register by multipart with the token (no CSRF token needed: no cookie).
    let boundary = "XyZ-boundary";
    let pdf = congso_archive::samples::text_pdf("API", 1);
    let mut body = Vec::new();
    for (name, value) in [
        ("sender_name", "UBND huyện Tiên Du"),
        ("type_code", "cong-van"),
        ("number", "45"),
        ("notation", "UBND-VP"),
        ("summary", "Về việc báo cáo chuyển đổi số"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bc.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(&pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let multipart = |token: &str, body: Vec<u8>| {
        request(Method::POST, "/api/documents/incoming")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    let denied = api.send(multipart(&specialist_token, body.clone())).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
    let reply = api.send(multipart(&clerk_token, body.clone())).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let registered = reply.json();
    let id = registered["document_id"].as_i64().unwrap();
    assert_eq!(registered["arrival_number"], 1);
    let again = api.send(multipart(&clerk_token, body)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"], "duplicate");
    assert_eq!(again.json()["details"]["document_id"], id);

    // Assign with 5 working days; the specialist is notified, processes it.
    let reply = call(
        &mut api,
        Method::POST,
        &format!("/api/documents/{id}/transition"),
        Some(&leader_token),
        Some(serde_json::json!({"transition": "assign", "assignee_user": specialist.id, "due_working_days": 5})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["state"], "assigned");
    assert!(reply.json()["due_date"].is_string());
    let notes = call(
        &mut api,
        Method::GET,
        "/api/documents/notifications?unread=true",
        Some(&specialist_token),
        None,
    )
    .await;
    let notes = notes.json();
    let list = notes["notifications"].as_array().unwrap();
    assert!(list.iter().any(|note| note["document_id"] == id), "{notes}");
    let note_id = list[0]["id"].as_i64().unwrap();
    let marked = call(
        &mut api,
        Method::POST,
        &format!("/api/documents/notifications/{note_id}/read"),
        Some(&specialist_token),
        None,
    )
    .await;
    assert_eq!(marked.json()["marked"], true);
    for step in ["start", "finish"] {
        let reply = call(
            &mut api,
            Method::POST,
            &format!("/api/documents/{id}/transition"),
            Some(&specialist_token),
            Some(serde_json::json!({"transition": step})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{step}: {}", reply.body);
    }
    let detail = call(
        &mut api,
        Method::GET,
        &format!("/api/documents/{id}"),
        Some(&specialist_token),
        None,
    )
    .await;
    assert_eq!(detail.json()["row"]["state"], "done");
    let timeline = call(
        &mut api,
        Method::GET,
        &format!("/api/documents/{id}/timeline"),
        Some(&specialist_token),
        None,
    )
    .await;
    assert!(timeline.json()["events"].as_array().unwrap().len() >= 4);
    let bad = call(
        &mut api,
        Method::POST,
        &format!("/api/documents/{id}/transition"),
        Some(&specialist_token),
        Some(serde_json::json!(["not", "an", "object"])),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let registers = call(
        &mut api,
        Method::GET,
        "/api/documents/registers?from=2000-01-01&until=2100-01-01",
        Some(&clerk_token),
        None,
    )
    .await;
    assert_eq!(registers.status, StatusCode::OK, "{}", registers.body);
    assert_eq!(registers.json()["rows"].as_array().unwrap().len(), 1);
    let package = call(
        &mut api,
        Method::GET,
        &format!("/api/documents/{id}/package"),
        Some(&clerk_token),
        None,
    )
    .await;
    assert_eq!(
        package.status,
        StatusCode::OK,
        "{}",
        crate::harness::logs()
            .lines()
            .filter(|line| line.contains("ERROR"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(package.body.starts_with("PK"));
    let recall = call(
        &mut api,
        Method::POST,
        &format!("/api/documents/{id}/recall"),
        Some(&leader_token),
        Some(serde_json::json!({"reason": "Gửi nhầm"})),
    )
    .await;
    assert_eq!(recall.status, StatusCode::OK, "{}", recall.body);
    assert!(recall.json()["row"]["recalled_at"].is_i64());
}

on_both_databases!(
    every_route_is_described_and_every_description_served,
    tokens_not_cookies,
    workflow_through_the_api,
);
