//! Limits and bad input: oversized bodies, malformed forms, hostile values,
//! unknown routes, and errors for JSON clients.

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use congso_core::access::Role;
use congso_store::Db;

use crate::harness::{request, vi, Client, Harness, Reply};

const LIMIT: usize = 4096;

/// A body of `size` bytes that arrives in pieces with no declared length,
/// as a chunked upload does.
fn chunked(size: usize) -> Body {
    let chunk = "x".repeat(512);
    let mut pieces: Vec<Result<String, std::io::Error>> = Vec::new();
    let mut sent = "csrf=abc&username=".len();
    pieces.push(Ok("csrf=abc&username=".to_owned()));
    while sent < size {
        pieces.push(Ok(chunk.clone()));
        sent += chunk.len();
    }
    Body::from_stream(futures::stream::iter(pieces))
}

fn assert_too_large(reply: &Reply, case: &str) {
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{case}: {}",
        reply.body
    );
    let alert = reply.alert().unwrap_or_default();
    assert!(
        alert.contains("4 KiB"),
        "{case}: the limit is not named: {alert}"
    );
}

async fn oversized_bodies_get_413_naming_the_limit(db: Db) {
    let h = Harness::with(db, |settings| settings.request_body_limit = LIMIT).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    let token = client.token().await;

    let big = format!("csrf={token}&username={}", "x".repeat(LIMIT));
    let reply = client
        .send(
            request(Method::POST, "/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::CONTENT_LENGTH, big.len())
                .body(Body::from(big.clone()))
                .unwrap(),
        )
        .await;
    assert_too_large(&reply, "declared length");

    let reply = client
        .send(
            request(Method::POST, "/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::TRANSFER_ENCODING, "chunked")
                .body(chunked(LIMIT * 3))
                .unwrap(),
        )
        .await;
    assert_too_large(&reply, "chunked");

    // A declared length is refused before anything else looks at the
    // request, even on a route without a form.
    let reply = client
        .send(
            request(Method::GET, "/")
                .header(header::CONTENT_LENGTH, LIMIT + 1)
                .header(header::ACCEPT, "application/json")
                .body(Body::from("x".repeat(LIMIT + 1)))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["error"], "too_large");
    assert!(reply.json()["message"].as_str().unwrap().contains("4 KiB"));

    // Just under the limit is an ordinary request.
    let token = client.token().await;
    let padding = "y".repeat(LIMIT - 200);
    let reply = client
        .post_form(
            "/login",
            &[
                ("csrf", &token),
                ("username", &clerk.username),
                ("password", &clerk.password),
                ("padding", &padding),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
}

/// Sends one hostile request and checks it is answered with `expected`
/// (or, where `expected` is `None`, with any status that is not a server
/// error).
async fn check(client: &mut Client, case: &str, request: Request, expected: Option<StatusCode>) {
    let reply = client.send(request).await;
    match expected {
        Some(status) => assert_eq!(reply.status, status, "{case}: {}", reply.body),
        None => assert!(
            reply.status.is_client_error()
                || reply.status.is_success()
                || reply.status.is_redirection(),
            "{case}: {} {}",
            reply.status,
            reply.body
        ),
    }
    assert!(!reply.status.is_server_error(), "{case}: {}", reply.body);
    if reply.status.is_client_error() {
        // Even axum's own rejections come back as the site's error page, or
        // as the JSON error on the JSON endpoints.
        let described = if reply.content_type().starts_with("application/json") {
            reply.json()["message"].as_str().is_some()
        } else {
            reply.content_type().starts_with("text/html") && reply.alert().is_some()
        };
        assert!(
            described,
            "{case}: {} {:?}",
            reply.content_type(),
            reply.body
        );
    }
}

type Request = axum::http::Request<Body>;

fn form(path: &str, token: &str, body: &str) -> Request {
    request(Method::POST, path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-csrf-token", token)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn form_bytes(path: &str, token: &str, body: &'static [u8]) -> Request {
    request(Method::POST, path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-csrf-token", token)
        .body(Body::from(body))
        .unwrap()
}

fn get(path: &str) -> Request {
    request(Method::GET, path).body(Body::empty()).unwrap()
}

async fn malformed_and_hostile_input_is_never_a_server_error(db: Db) {
    let h = Harness::new(db).await;
    let admin = h.admin("quantri").await;
    let long = "a".repeat(10 * 1024);
    let controls = "\u{0}\u{1}quan\u{7}tri\u{1b}[31m\u{7f}";
    let unauthorized = Some(StatusCode::UNAUTHORIZED);
    let bad = Some(StatusCode::BAD_REQUEST);

    // Anonymous forms.
    let mut client = h.client();
    let login_cases: Vec<(&str, String, Option<StatusCode>)> = vec![
        (
            "long username",
            format!("username={long}&password=x"),
            unauthorized,
        ),
        (
            "long password",
            format!("username=vanthu&password={long}"),
            unauthorized,
        ),
        (
            "control characters",
            serde_urlencoded::to_string([("username", controls), ("password", controls)]).unwrap(),
            unauthorized,
        ),
        (
            "bad escapes",
            "username=%zz%&password=%".to_owned(),
            unauthorized,
        ),
        ("no equals signs", "&&&username&password".to_owned(), None),
        (
            "duplicate fields",
            "username=a&username=b&password=x".to_owned(),
            None,
        ),
        ("empty body", String::new(), unauthorized),
    ];
    for (case, body, expected) in login_cases {
        let token = client.token().await;
        check(&mut client, case, form("/login", &token, &body), expected).await;
    }
    let token = client.token().await;
    check(
        &mut client,
        "non-UTF-8 percent-encoding",
        form("/login", &token, "username=%FF%FE%C0&password=%80"),
        unauthorized,
    )
    .await;
    let token = client.token().await;
    check(
        &mut client,
        "raw non-UTF-8 body",
        form_bytes("/login", &token, b"username=\xff\xfe&password=\xc0"),
        None,
    )
    .await;
    let token = client.token().await;
    let no_type = request(Method::POST, "/login")
        .header("x-csrf-token", token.as_str())
        .body(Body::from("username=a&password=b"))
        .unwrap();
    check(&mut client, "no content type", no_type, None).await;
    for identifier in [long.as_str(), controls, "%FF", "@", "a@b@c"] {
        let token = client.token().await;
        let body = serde_urlencoded::to_string([("identifier", identifier)]).unwrap();
        check(
            &mut client,
            "reset identifier",
            form("/password-reset", &token, &body),
            Some(StatusCode::OK),
        )
        .await;
    }
    let token = client.token().await;
    check(
        &mut client,
        "2fa without a session",
        form("/login/2fa", &token, &format!("code={long}")),
        Some(StatusCode::SEE_OTHER),
    )
    .await;

    // Odd paths and queries.
    let long_path = format!("/{long}");
    let long_reset = format!("/password-reset/{long}");
    for (path, expected) in [
        (long_path.as_str(), Some(StatusCode::NOT_FOUND)),
        ("/admin/users/%FF", None),
        ("/password-reset/%FF%FE", None),
        (long_reset.as_str(), Some(StatusCode::NOT_FOUND)),
        ("/lang/%00", Some(StatusCode::NOT_FOUND)),
        ("/lang/en?next=%FF", Some(StatusCode::SEE_OTHER)),
        ("/login?next=%00%FF", Some(StatusCode::OK)),
        ("/login?notice=%3Cscript%3E", Some(StatusCode::OK)),
        ("/static/..%2F..%2FCargo.toml", Some(StatusCode::NOT_FOUND)),
        ("/ledger/proof/inclusion?index=%FF", bad),
        ("/?a=%zz", Some(StatusCode::OK)),
    ] {
        check(&mut client, path, get(path), expected).await;
    }

    // Administrator forms.
    let mut client = h.client();
    client.sign_in(&admin).await;
    let target = h.user("vanthu", Role::Clerk).await;
    let admin_cases: Vec<(String, String, Option<StatusCode>)> = vec![
        (
            "/admin/users".into(),
            format!("username={long}&display_name=x&roles=clerk"),
            bad,
        ),
        (
            "/admin/users".into(),
            serde_urlencoded::to_string([
                ("username", "ten.hop.le"),
                ("display_name", controls),
                ("roles", "clerk"),
            ])
            .unwrap(),
            bad,
        ),
        (
            "/admin/users".into(),
            serde_urlencoded::to_string([
                ("username", "ten.hop.le2"),
                ("display_name", "Tên"),
                ("position", "\u{0}"),
                ("roles", "clerk"),
            ])
            .unwrap(),
            bad,
        ),
        (
            "/admin/users".into(),
            format!("username=dai.qua&display_name={long}&roles=clerk"),
            None,
        ),
        (
            "/admin/users".into(),
            "username=a.b.c&display_name=x&roles=clerk&unit=%FF".into(),
            None,
        ),
        (
            format!("/admin/users/{}/roles", target.id),
            "roles=%00".into(),
            bad,
        ),
        ("/admin/users/abc/disable".into(), String::new(), bad),
        (
            "/admin/users/99999999999999999999/disable".into(),
            String::new(),
            bad,
        ),
        (
            "/admin/users/424242/disable".into(),
            String::new(),
            Some(StatusCode::NOT_FOUND),
        ),
        (
            "/admin/users/-1/enable".into(),
            String::new(),
            Some(StatusCode::NOT_FOUND),
        ),
    ];
    for (path, body, expected) in admin_cases {
        let token = client.token().await;
        check(
            &mut client,
            &format!("{path} {}", &body[..body.len().min(60)]),
            form(&path, &token, &body),
            expected,
        )
        .await;
    }
    for path in [
        "/admin/users/%FF",
        "/admin/ledger/-1",
        "/admin/ledger/99999999999999999999",
        "/admin/ledger/424242",
    ] {
        check(&mut client, path, get(path), None).await;
    }
    assert!(!h.stored_user(target.id).await.disabled);

    // Second-factor enrolment decodes a sealed value the browser sends back.
    let mut client = h.client();
    client.sign_in(&target).await;
    for body in [
        format!("pending={long}&code=1"),
        "pending=%FF&code=%FF".to_owned(),
        "pending=AAAA&code=123456".to_owned(),
        "code=123456".to_owned(),
    ] {
        let token = client.token().await;
        check(
            &mut client,
            &body[..body.len().min(60)],
            form("/account/2fa", &token, &body),
            bad,
        )
        .await;
    }
    assert!(!h.stored_user(target.id).await.has_totp);
}

async fn unknown_routes_are_404_pages_or_json(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    let reply = client.get("/khong-co-trang-nay").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        reply.content_type().starts_with("text/html"),
        "{}",
        reply.content_type()
    );
    assert!(reply.body.starts_with("<!DOCTYPE html>"));
    assert_eq!(reply.alert().as_deref(), Some(vi::NOT_FOUND));

    let reply = client.get_json("/khong-co-trang-nay").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.content_type().starts_with("application/json"));
    assert_eq!(
        reply.json(),
        serde_json::json!({ "error": "not_found", "message": vi::NOT_FOUND })
    );

    // Accept headers that name HTML as well get the page.
    let reply = client
        .send(
            request(Method::GET, "/khong-co")
                .header(header::ACCEPT, "text/html,application/json;q=0.9")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(reply.content_type().starts_with("text/html"));

    client.sign_in(&clerk).await;
    let reply = client.get_json("/admin/users").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.json(),
        serde_json::json!({ "error": "forbidden", "message": vi::FORBIDDEN })
    );
    let reply = client.get("/logout").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers["allow"], "POST");
    assert_eq!(
        reply.alert().as_deref(),
        Some("Địa chỉ này không nhận yêu cầu theo cách đó.")
    );

    // Malformed paths are the client's mistake, told in the same format.
    let reply = client.get_json("/admin/users/abc").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"], "bad_request");
    let message = reply.json()["message"].as_str().unwrap().to_owned();
    assert!(message.starts_with("Yêu cầu không hợp lệ: "), "{message}");
}

on_both_databases!(
    oversized_bodies_get_413_naming_the_limit,
    malformed_and_hostile_input_is_never_a_server_error,
    unknown_routes_are_404_pages_or_json,
);
