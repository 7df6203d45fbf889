//! CSRF: forms without a valid, fresh, unused token of this session, or
//! posted from another origin, are refused with a clear message and change
//! nothing.

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use congso_core::access::Role;
use congso_store::Db;

use crate::harness::{now_micros, request, vi, Client, Harness, Reply, HOST};

fn assert_refused(reply: &Reply, case: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{case}: {}",
        reply.body
    );
    let alert = reply.alert().unwrap_or_default();
    assert!(alert.starts_with(vi::CSRF), "{case}: {alert}");
}

/// Posts `fields` to `path` with extra headers and, optionally, an
/// absolute URI and no `Host` (as HTTP/2 requests arrive).
async fn post_with(
    client: &mut Client,
    uri: &str,
    headers: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> Reply {
    let mut builder = request(Method::POST, uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = serde_urlencoded::to_string(fields).unwrap();
    client.send(builder.body(Body::from(body)).unwrap()).await
}

async fn refused_forms_change_nothing(db: Db) {
    let h = Harness::new(db).await;
    let admin = h.admin("quantri").await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let target = h.user("chuyenvien", Role::Specialist).await;
    let mut client = h.client();
    client.sign_in(&admin).await;
    let disable = format!("/admin/users/{}/disable", target.id);
    let rejected_before = h.entries_with("security.csrf_rejected").await.len();

    let reply = client.post_form(&disable, &[]).await;
    assert_refused(&reply, "no token");

    let mut other = h.client();
    other.sign_in(&clerk).await;
    let foreign = other.token().await;
    let reply = client.post_form(&disable, &[("csrf", &foreign)]).await;
    assert_refused(&reply, "token of another session");

    let pre_login = h.client().token().await;
    let reply = client.post_form(&disable, &[("csrf", &pre_login)]).await;
    assert_refused(&reply, "token of an anonymous visitor");

    let expired = h.forge_csrf(&client.session_binding(), now_micros() - 1_000_000);
    let reply = client.post_form(&disable, &[("csrf", &expired)]).await;
    assert_refused(&reply, "expired token");

    for garbage in ["", "abc", "%%%", &"A".repeat(10_000)] {
        let reply = client.post_form(&disable, &[("csrf", garbage)]).await;
        assert_refused(&reply, "malformed token");
    }

    let token = client.token().await;
    let reply = post_with(
        &mut client,
        &disable,
        &[("origin", "https://evil.example")],
        &[("csrf", &token)],
    )
    .await;
    assert_refused(&reply, "cross-origin post");

    // HTTP/2 carries the host in the request target, not in a Host header;
    // the origin check must not be skipped for it.
    let token = client.token().await;
    let reply = post_with(
        &mut client,
        &format!("https://{HOST}{disable}"),
        &[("origin", "https://evil.example")],
        &[("csrf", &token)],
    )
    .await;
    assert_refused(&reply, "cross-origin post over HTTP/2");

    let reply = client
        .send(
            request(Method::POST, &disable)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["error"], "csrf");
    assert!(reply.json()["message"]
        .as_str()
        .unwrap()
        .starts_with(vi::CSRF));

    assert!(
        !h.stored_user(target.id).await.disabled,
        "a refused form acted"
    );
    assert!(h.entries_with("user.disabled").await.is_empty());
    let rejected = h.entries_with("security.csrf_rejected").await;
    assert_eq!(rejected.len() - rejected_before, 11);
    assert!(rejected.iter().all(|entry| entry.actor == "user:quantri"));

    // Controls: the same forms with a valid token do act, so the refusals
    // above were the token's doing. A token forged by the documented format
    // with a future expiry is accepted, so the expired one failed on expiry.
    let enable = format!("/admin/users/{}/enable", target.id);
    let fresh = h.forge_csrf(&client.session_binding(), now_micros() + 600_000_000);
    let reply = client.post_form(&enable, &[("csrf", &fresh)]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let token = client.token().await;
    let reply = post_with(
        &mut client,
        &disable,
        &[("origin", &format!("https://{HOST}"))],
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "same-origin post");
    assert!(h.stored_user(target.id).await.disabled);
}

async fn a_form_is_accepted_once(db: Db) {
    let h = Harness::new(db).await;
    let admin = h.admin("quantri").await;
    let target = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    client.sign_in(&admin).await;
    let page = client.get(&format!("/admin/users/{}", target.id)).await;
    let token = page.csrf().unwrap();
    let unlock = format!("/admin/users/{}/unlock", target.id);
    let first = client.post_form(&unlock, &[("csrf", &token)]).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let second = client.post_form(&unlock, &[("csrf", &token)]).await;
    assert_refused(&second, "replayed form");
    assert_eq!(h.entries_with("user.unlocked").await.len(), 1);
    let rejected = h.entries_with("security.csrf_rejected").await;
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0].details.contains("Replayed"),
        "{}",
        rejected[0].details
    );
}

async fn anonymous_forms_need_a_token_too(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    let reply = client
        .post_form(
            "/login",
            &[("username", &clerk.username), ("password", &clerk.password)],
        )
        .await;
    assert_refused(&reply, "login without a token");
    assert!(reply.cookie("congso_session").is_none());
    // A token issued to another browser before login is bound to that
    // browser's pre-session cookie.
    let foreign = h.client().token().await;
    client.get("/login").await;
    let reply = client
        .post_form(
            "/login",
            &[
                ("csrf", &foreign),
                ("username", &clerk.username),
                ("password", &clerk.password),
            ],
        )
        .await;
    assert_refused(&reply, "login with another browser's token");
    assert!(reply.cookie("congso_session").is_none());
    assert!(h.entries_with("auth.login.success").await.is_empty());
    assert!(h.entries_with("auth.login.failure").await.is_empty());
}

on_both_databases!(
    refused_forms_change_nothing,
    a_form_is_accepted_once,
    anonymous_forms_need_a_token_too,
);
