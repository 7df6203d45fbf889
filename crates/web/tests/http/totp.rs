//! The TOTP second factor: login, wrong codes, replays, forced enrolment of
//! administrators and the rule that they cannot turn it off.

use axum::http::StatusCode;
use congso_core::access::Role;
use congso_store::Db;

use crate::harness::{totp_now, totp_wrong, vi, Harness, PASSWORD};

async fn second_factor_completes_the_login(db: Db) {
    let h = Harness::new(db).await;
    let mut clerk = h.user("vanthu", Role::Clerk).await;
    let secret = h.give_totp(&mut clerk).await;
    let mut client = h.client();

    let reply = client.login(&clerk.username, &clerk.password).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), "/login/2fa?next=%2Fstaff");
    let half_way = client.session().expect("a half-way session");
    assert!(h.entries_with("auth.login.success").await.is_empty());

    // Half-way is not signed in.
    for path in ["/staff", "/account", "/admin/users"] {
        let reply = client.get(path).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(reply.location(), "/login/2fa", "{path}");
    }

    let form = client.get("/login/2fa?next=%2Fstaff").await;
    assert_eq!(form.status, StatusCode::OK);
    let token = form.csrf().unwrap();
    let wrong = client
        .post_form(
            "/login/2fa",
            &[
                ("csrf", &token),
                ("code", &totp_wrong(&secret)),
                ("next", "/staff"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.alert().as_deref(), Some(vi::CODE_WRONG));
    assert_eq!(h.entries_with("auth.2fa.failure").await.len(), 1);
    assert_eq!(client.get("/staff").await.location(), "/login/2fa");

    let token = wrong.csrf().unwrap();
    let reply = client
        .post_form(
            "/login/2fa",
            &[
                ("csrf", &token),
                ("code", &totp_now(&secret)),
                ("next", "/staff"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/staff");
    assert_ne!(
        client.session().unwrap(),
        half_way,
        "the token was not renewed"
    );
    assert_eq!(client.get("/staff").await.status, StatusCode::OK);

    let successes = h.entries_with("auth.login.success").await;
    assert_eq!(successes.len(), 1);
    assert!(successes[0].details.contains("\"second_factor\":\"totp\""));

    // The half-way token died when the session was promoted.
    let mut stale = h.client_with_session(&half_way);
    assert_eq!(stale.get("/staff").await.location(), "/login?next=%2Fstaff");
}

async fn a_code_cannot_be_used_twice(db: Db) {
    let h = Harness::new(db).await;
    let mut clerk = h.user("vanthu", Role::Clerk).await;
    let secret = h.give_totp(&mut clerk).await;
    let code = totp_now(&secret);
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        let mut client = h.client();
        client.login(&clerk.username, &clerk.password).await;
        let form = client.get("/login/2fa").await;
        let reply = client
            .post_form(
                "/login/2fa",
                &[("csrf", &form.csrf().unwrap()), ("code", &code)],
            )
            .await;
        outcomes.push((reply.status, reply.alert()));
    }
    assert_eq!(outcomes[0], (StatusCode::SEE_OTHER, None));
    assert_eq!(
        outcomes[1],
        (StatusCode::UNAUTHORIZED, Some(vi::CODE_WRONG.to_owned()))
    );
    assert_eq!(h.entries_with("auth.login.success").await.len(), 1);
    assert_eq!(h.entries_with("auth.2fa.failure").await.len(), 1);
}

/// Reads the enrolment page's secret and sealed pending value.
fn enrolment(page: &crate::harness::Reply) -> (String, String) {
    let field = |start: &str, end: char| {
        let from = page.body.find(start).expect(start) + start.len();
        let to = page.body[from..].find(end).unwrap() + from;
        page.body[from..to].to_owned()
    };
    (
        field("id=\"totp-secret\">", '<'),
        field("name=\"pending\" value=\"", '"'),
    )
}

async fn administrators_must_enrol_before_anything_else(db: Db) {
    let h = Harness::new(db).await;
    let admin = h.user("quantri", Role::Administrator).await;
    let target = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    let reply = client.login(&admin.username, &admin.password).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), "/account/2fa");
    let enrolling = client.session().unwrap();

    for path in ["/admin/users", "/staff", "/account", "/admin/ledger"] {
        let reply = client.get(path).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(reply.location(), "/account/2fa", "{path}");
    }
    let reply = client
        .submit(&format!("/admin/users/{}/disable", target.id), &[])
        .await;
    assert_eq!(reply.location(), "/account/2fa");
    assert!(!h.stored_user(target.id).await.disabled);
    assert!(h.entries_with("auth.login.success").await.is_empty());

    let page = client.get("/account/2fa").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg"), "no QR code");
    let (secret, pending) = enrolment(&page);

    // A pending secret sealed for another account is refused.
    let mut other = h.client();
    other.sign_in(&target).await;
    let (other_secret, other_pending) = enrolment(&other.get("/account/2fa").await);
    let reply = client
        .submit(
            "/account/2fa",
            &[
                ("pending", &other_pending),
                ("code", &totp_now(&other_secret)),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    let reply = client
        .submit(
            "/account/2fa",
            &[("pending", &pending), ("code", &totp_wrong(&secret))],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.alert().as_deref(), Some(vi::CODE_WRONG));
    assert!(!h.stored_user(admin.id).await.has_totp);

    let reply = client
        .submit(
            "/account/2fa",
            &[("pending", &pending), ("code", &totp_now(&secret))],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/account?notice=account-2fa-enabled");
    assert!(h.stored_user(admin.id).await.has_totp);
    assert_eq!(client.get("/admin/users").await.status, StatusCode::OK);

    let enabled = h.entries_with("auth.2fa.enabled").await;
    assert_eq!(enabled.len(), 1);
    assert_eq!(enabled[0].actor, "user:quantri");
    let successes = h.entries_with("auth.login.success").await;
    let admin_success: Vec<_> = successes
        .iter()
        .filter(|entry| entry.actor == "user:quantri")
        .collect();
    assert_eq!(admin_success.len(), 1);
    assert!(admin_success[0].details.contains("totp-enrolled"));
    for entry in h.entries().await {
        assert!(
            !entry.details.contains(&secret),
            "the TOTP secret was recorded"
        );
    }

    // The enrolment-stage session ended; it cannot be reused.
    let mut stale = h.client_with_session(&enrolling);
    assert_eq!(
        stale.get("/account/2fa").await.location(),
        "/login?next=%2Faccount%2F2fa"
    );
}

async fn administrators_cannot_turn_their_second_factor_off(db: Db) {
    let h = Harness::new(db).await;
    let admin = h.admin("quantri").await;
    let mut client = h.client();
    client.sign_in(&admin).await;
    let account = client.get("/account").await;
    assert!(!account.body.contains("/account/2fa/disable"));
    let reply = client
        .submit("/account/2fa/disable", &[("current", PASSWORD)])
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.alert().as_deref(), Some(vi::ADMIN_CANNOT_DISABLE_2FA));
    assert!(h.stored_user(admin.id).await.has_totp);
    assert!(h.entries_with("auth.2fa.disabled").await.is_empty());

    // Anyone else may.
    let mut clerk = h.user("vanthu", Role::Clerk).await;
    h.give_totp(&mut clerk).await;
    let mut client = h.client();
    client.sign_in(&clerk).await;
    let account = client.get("/account").await;
    assert!(account.body.contains("/account/2fa/disable"));
    // Turning the second factor off needs the password again: a stolen
    // session alone cannot weaken the account.
    let reply = client
        .submit("/account/2fa/disable", &[("current", "not the password")])
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(h.stored_user(clerk.id).await.has_totp);
    let reply = client
        .submit("/account/2fa/disable", &[("current", PASSWORD)])
        .await;
    assert_eq!(reply.location(), "/account?notice=account-2fa-disabled");
    assert!(!h.stored_user(clerk.id).await.has_totp);
    assert_eq!(h.entries_with("auth.2fa.disabled").await.len(), 1);
}

on_both_databases!(
    second_factor_completes_the_login,
    a_code_cannot_be_used_twice,
    administrators_must_enrol_before_anything_else,
    administrators_cannot_turn_their_second_factor_off,
);
