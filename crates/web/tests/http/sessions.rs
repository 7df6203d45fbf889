//! Sessions: forged cookies, logout, password changes, disabled accounts,
//! idle and absolute expiry.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use congso_core::access::Role;
use congso_store::accounts;
use congso_store::Db;
use sha2::{Digest, Sha256};

use crate::harness::{now_micros, request, Harness, Reply};

fn assert_cleared(reply: &Reply, case: &str) {
    let cookie = reply
        .cookie("congso_session")
        .unwrap_or_else(|| panic!("{case}: the stale cookie is not cleared"));
    assert_eq!(cookie.value(), "", "{case}");
    assert_eq!(
        cookie.max_age(),
        Some(cookie::time::Duration::ZERO),
        "{case}"
    );
}

async fn forged_cookies_are_anonymous_and_cleared(db: Db) {
    let h = Harness::new(db).await;
    let random_token = URL_SAFE_NO_PAD.encode(congso_store::secrets::random_bytes::<32>());
    let cases = [
        "garbage".to_owned(),
        String::new(),
        random_token,
        "A".repeat(100),
        "\"quoted\"".to_owned(),
    ];
    for forged in &cases {
        for path in ["/account", "/login", "/"] {
            let mut client = h.client_with_session(forged);
            let reply = client.get(path).await;
            match path {
                "/account" => {
                    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{forged:?}");
                    assert_eq!(reply.location(), "/login?next=%2Faccount", "{forged:?}");
                }
                _ => {
                    assert_eq!(reply.status, StatusCode::OK, "{forged:?} {path}");
                    assert!(reply.body.contains("href=\"/login\""), "{forged:?} {path}");
                    assert!(!reply.body.contains("action=\"/logout\""), "{forged:?}");
                }
            }
            assert_cleared(&reply, &format!("{forged:?} on {path}"));
        }
    }
    // A cookie header that is not even text is ignored, not an error.
    let reply = h
        .client()
        .send(
            request(Method::GET, "/account")
                .header(
                    header::COOKIE,
                    HeaderValue::from_bytes(b"congso_session=\xff\xfe").unwrap(),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
}

async fn logout_ends_the_session_on_the_server(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    client.sign_in(&clerk).await;
    let token = client.session().unwrap();
    assert!(h.session_stored(&token).await);

    let reply = client.submit("/logout", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), "/login?notice=logged-out");
    assert_cleared(&reply, "logout");
    assert!(
        !h.session_stored(&token).await,
        "the session outlived logout"
    );

    // A copy of the old cookie (kept by an attacker) no longer works.
    let mut kept = h.client_with_session(&token);
    let reply = kept.get("/account").await;
    assert_eq!(reply.location(), "/login?next=%2Faccount");
    let logouts = h.entries_with("auth.logout").await;
    assert_eq!(logouts.len(), 1);
    assert_eq!(logouts[0].actor, "user:vanthu");
}

async fn a_password_change_ends_other_sessions(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut here = h.client();
    let mut elsewhere = h.client();
    here.sign_in(&clerk).await;
    elsewhere.sign_in(&clerk).await;
    let before = here.session().unwrap();
    let new_password = "Sông Hồng chảy mãi 1010";

    let reply = here
        .submit(
            "/account/password",
            &[
                ("current", &clerk.password),
                ("password", new_password),
                ("confirm", new_password),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/account?notice=account-password-changed");
    assert_ne!(
        here.session().unwrap(),
        before,
        "the session token was kept"
    );
    assert_eq!(here.get("/account").await.status, StatusCode::OK);
    assert!(!h.session_stored(&before).await);
    assert_eq!(
        elsewhere.get("/account").await.location(),
        "/login?next=%2Faccount"
    );
    assert_eq!(
        h.client().login("vanthu", &clerk.password).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.client().login("vanthu", new_password).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(h.entries_with("auth.password.changed").await.len(), 1);

    // A wrong current password changes nothing.
    let reply = here
        .submit(
            "/account/password",
            &[
                ("current", "khong-phai-mat-khau"),
                ("password", "Mật khẩu khác hẳn 2030"),
                ("confirm", "Mật khẩu khác hẳn 2030"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        h.client().login("vanthu", new_password).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn disabling_an_account_ends_its_sessions(db: Db) {
    let h = Harness::new(db).await;
    let admin = h.admin("quantri").await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut user = h.client();
    user.sign_in(&clerk).await;
    let token = user.session().unwrap();
    let mut admin_client = h.client();
    admin_client.sign_in(&admin).await;

    let reply = admin_client
        .submit(&format!("/admin/users/{}/disable", clerk.id), &[])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(!h.session_stored(&token).await);
    let reply = user.get("/account").await;
    assert_eq!(reply.location(), "/login?next=%2Faccount");
    assert_eq!(
        h.client().login("vanthu", &clerk.password).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn idle_sessions_expire(db: Db) {
    let h = Harness::with(db, |settings| {
        settings.session_idle = Duration::from_secs(2);
    })
    .await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    client.sign_in(&clerk).await;
    assert_eq!(client.get("/account").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let reply = client.get("/account").await;
    assert_eq!(reply.location(), "/login?next=%2Faccount");
    assert_cleared(&reply, "idle session");
}

/// Activity slides the idle expiry. The node writes it at most once a
/// minute, so the test makes the last write look older than that.
async fn activity_extends_sessions(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    client.sign_in(&clerk).await;
    let token = client.session().unwrap();
    let token_hash = Sha256::digest(token.as_bytes());
    let hash_literal = hex::encode(token_hash);
    let soon = now_micros() + 5_000_000;
    let minutes_ago = now_micros() - 120_000_000;
    let sql = match h.db {
        Db::Sqlite(_) => format!(
            "UPDATE sessions SET last_seen_at = {minutes_ago}, expires_at = {soon} \
             WHERE id_hash = X'{hash_literal}'"
        ),
        Db::Postgres(_) => format!(
            "UPDATE sessions SET last_seen_at = {minutes_ago}, expires_at = {soon} \
             WHERE id_hash = '\\x{hash_literal}'::bytea"
        ),
    };
    congso_store::testing_raw_execute(&h.db, &sql)
        .await
        .unwrap();
    assert_eq!(client.get("/account").await.status, StatusCode::OK);
    let session = accounts::get_session(&h.db, &token_hash, congso_store::now())
        .await
        .unwrap()
        .expect("session alive");
    assert!(
        session.expires_at > now_micros() + 25 * 60_000_000,
        "activity did not extend the session"
    );
}

async fn sessions_end_at_their_absolute_lifetime(db: Db) {
    let h = Harness::with(db, |settings| {
        settings.session_idle = Duration::from_secs(3600);
        settings.session_absolute = Duration::from_secs(2);
    })
    .await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    client.sign_in(&clerk).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let reply = client.get("/account").await;
    assert_eq!(reply.location(), "/login?next=%2Faccount");
}

on_both_databases!(
    forged_cookies_are_anonymous_and_cleared,
    logout_ends_the_session_on_the_server,
    a_password_change_ends_other_sessions,
    disabling_an_account_ends_its_sessions,
    idle_sessions_expire,
    activity_extends_sessions,
    sessions_end_at_their_absolute_lifetime,
);
