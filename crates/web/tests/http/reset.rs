//! Self-service password reset: one answer for every identifier, a mailed
//! link that works once, and refusal of expired or used links.

use axum::http::StatusCode;
use congso_core::access::{Role, RoleSet};
use congso_store::accounts;
use congso_store::mail;
use congso_store::Db;

use crate::harness::{logs, now_micros, vi, Harness, PUBLIC_URL};

async fn request_reset(h: &Harness, identifier: &str) -> crate::harness::Reply {
    let mut client = h.client();
    let form = client.get("/password-reset").await;
    assert_eq!(form.status, StatusCode::OK);
    client
        .post_form(
            "/password-reset",
            &[("csrf", &form.csrf().unwrap()), ("identifier", identifier)],
        )
        .await
}

/// The link in the one mail queued so far for `recipient`, as a path.
async fn mailed_link(h: &Harness, recipient: &str) -> String {
    let mails: Vec<_> = mail::pending(&h.db, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|mail| mail.recipient == recipient)
        .collect();
    assert_eq!(mails.len(), 1, "mails to {recipient}");
    let prefix = format!("{PUBLIC_URL}/password-reset/");
    let start = mails[0].body.find(&prefix).expect("a link in the mail");
    let link: String = mails[0].body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    link[PUBLIC_URL.len()..].to_owned()
}

async fn every_identifier_gets_the_same_answer(db: Db) {
    let h = Harness::new(db).await;
    h.user_with(
        "lethihoa",
        RoleSet::single(Role::Clerk),
        Some("hoa.lt@stttt.example.gov.vn"),
    )
    .await;
    h.user("khongthu", Role::Specialist).await;
    let disabled = h
        .user_with(
            "danghi",
            RoleSet::single(Role::Leader),
            Some("nghi@stttt.example.gov.vn"),
        )
        .await;
    accounts::set_disabled(&h.db, disabled.id, true)
        .await
        .unwrap();

    let mut pages = Vec::new();
    for identifier in [
        "lethihoa",
        "HOA.LT@stttt.example.gov.vn",
        "khongtontai",
        "ai.do@example.com",
        "khongthu",
        "danghi",
        "",
    ] {
        let reply = request_reset(&h, identifier).await;
        assert_eq!(reply.status, StatusCode::OK, "{identifier}");
        let notice = reply.notice().unwrap_or_default();
        assert!(notice.starts_with(vi::RESET_SENT), "{identifier}: {notice}");
        pages.push((identifier, reply.body_without_tokens()));
    }
    for (identifier, page) in &pages[1..] {
        assert_eq!(page, &pages[0].1, "{identifier} reads differently");
    }
    let mails = mail::pending(&h.db, 100).await.unwrap();
    assert_eq!(mails.len(), 2, "one mail per request for the known address");
    for queued in &mails {
        assert_eq!(queued.recipient, "hoa.lt@stttt.example.gov.vn");
        assert!(queued
            .body
            .contains(&format!("{PUBLIC_URL}/password-reset/")));
        assert!(queued.body.contains("lethihoa"));
    }
    assert_eq!(
        h.entries_with("auth.password.reset_requested").await.len(),
        2
    );
}

async fn a_reset_link_works_once(db: Db) {
    let h = Harness::new(db).await;
    let hoa = h
        .user_with(
            "lethihoa",
            RoleSet::single(Role::Clerk),
            Some("hoa.lt@stttt.example.gov.vn"),
        )
        .await;
    let mut old_session = h.client();
    old_session.sign_in(&hoa).await;
    request_reset(&h, "lethihoa").await;
    let link = mailed_link(&h, "hoa.lt@stttt.example.gov.vn").await;
    let token = link.trim_start_matches("/password-reset/").to_owned();

    let mut client = h.client();
    let form = client.get(&link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = form.csrf().unwrap();
    let mismatch = client
        .post_form(
            &link,
            &[
                ("csrf", &csrf),
                ("password", "Hoa sữa thơm ngát 2026"),
                ("confirm", "Hoa sữa thơm ngát 2027"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
    // A refused attempt does not use the link up.
    let chosen = "Hoa sữa thơm ngát 2026";
    let done = client
        .submit(&link, &[("password", chosen), ("confirm", chosen)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/login?notice=reset-done");
    assert_eq!(
        h.client().login("lethihoa", chosen).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        h.client().login("lethihoa", &hoa.password).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        old_session.get("/account").await.location(),
        "/login?next=%2Faccount",
        "the reset left an old session alive"
    );

    let again = client.get(&link).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.alert().as_deref(), Some(vi::RESET_INVALID));
    let again = client
        .submit(
            &link,
            &[
                ("password", "Lại một lần nữa 2026"),
                ("confirm", "Lại một lần nữa 2026"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        h.client().login("lethihoa", chosen).await.status,
        StatusCode::SEE_OTHER
    );

    assert_eq!(
        h.entries_with("auth.password.reset_completed").await.len(),
        1
    );
    for entry in h.entries().await {
        assert!(!entry.details.contains(&token) && !entry.target.contains(&token));
        assert!(!entry.details.contains(chosen));
    }
    assert!(!logs().contains(&token), "the reset token was logged");
}

async fn expired_and_unknown_links_are_refused(db: Db) {
    let h = Harness::new(db).await;
    let hoa = h
        .user_with(
            "lethihoa",
            RoleSet::single(Role::Clerk),
            Some("hoa.lt@stttt.example.gov.vn"),
        )
        .await;
    request_reset(&h, "lethihoa").await;
    let link = mailed_link(&h, "hoa.lt@stttt.example.gov.vn").await;
    // Thirty minutes pass.
    let past = now_micros() - 1;
    congso_store::testing_raw_execute(
        &h.db,
        &format!("UPDATE password_resets SET expires_at = {past}"),
    )
    .await
    .unwrap();
    let mut client = h.client();
    let long = format!("/password-reset/{}", "A".repeat(200));
    for path in [link.as_str(), "/password-reset/khong-co", long.as_str()] {
        let reply = client.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.alert().as_deref(), Some(vi::RESET_INVALID), "{path}");
        let reply = client
            .submit(
                path,
                &[
                    ("password", "Mật khẩu mới toanh 2026"),
                    ("confirm", "Mật khẩu mới toanh 2026"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        h.client().login("lethihoa", &hoa.password).await.status,
        StatusCode::SEE_OTHER,
        "an expired link changed the password"
    );
    assert!(h
        .entries_with("auth.password.reset_completed")
        .await
        .is_empty());
}

on_both_databases!(
    every_identifier_gets_the_same_answer,
    a_reset_link_works_once,
    expired_and_unknown_links_are_refused,
);
