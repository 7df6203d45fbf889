//! Password login: the session cookie, the audit trail, answers that do not
//! reveal which accounts exist, progressive delays and the lockout.

use axum::http::StatusCode;
use congso_core::access::Role;
use congso_store::accounts;
use congso_store::Db;

use crate::harness::{vi, Harness, Reply};

async fn success_sets_a_strict_http_only_cookie(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    let reply = client.login("VanThu", &clerk.password).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/staff");
    let cookie = reply
        .set_cookie_header("congso_session")
        .expect("session cookie set");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(
        !cookie.contains("Secure"),
        "{cookie} is Secure over plain HTTP"
    );
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "{cookie} outlives the browser session"
    );
    assert!(reply.headers.get("strict-transport-security").is_none());

    let staff = client.get("/staff").await;
    assert_eq!(staff.status, StatusCode::OK);
    assert!(staff.body.contains("Cán bộ vanthu"), "{}", staff.body);

    let successes = h.entries_with("auth.login.success").await;
    assert_eq!(successes.len(), 1);
    assert_eq!(successes[0].actor, "user:vanthu");
    assert_eq!(successes[0].target, format!("user:{}", clerk.id));
    assert!(successes[0].details.contains("\"second_factor\":\"none\""));
    assert!(h.entries_with("auth.login.failure").await.is_empty());
}

async fn secure_cookies_are_marked_secure(db: Db) {
    let h = Harness::with(db, |settings| settings.secure_cookies = true).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    let form = client.get("/login").await;
    let pre = form
        .set_cookie_header("congso_pre")
        .expect("pre-session cookie");
    let reply = client.login(&clerk.username, &clerk.password).await;
    let session = reply.set_cookie_header("congso_session").expect("cookie");
    for cookie in [&pre, &session] {
        for attribute in ["HttpOnly", "SameSite=Strict", "Secure"] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
    }
    assert_eq!(
        reply.headers.get("strict-transport-security").unwrap(),
        "max-age=31536000"
    );
}

/// The login page after a refusal, with the parts that must differ (the
/// fresh token and the name typed back into the form) blanked.
fn comparable(reply: &Reply, typed: &str) -> String {
    reply
        .body_without_tokens()
        .replace(&format!("value=\"{typed}\""), "value=\"NAME\"")
}

async fn refusals_read_the_same_and_are_recorded(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let disabled = h.user("danghi", Role::Specialist).await;
    accounts::set_disabled(&h.db, disabled.id, true)
        .await
        .unwrap();

    let attempts = [
        ("vanthu", "mat-khau-sai-2026", "wrong password"),
        ("khongtontai", "mat-khau-sai-2026", "unknown account"),
        ("danghi", disabled.password.as_str(), "account disabled"),
    ];
    let mut pages = Vec::new();
    for (username, password, _) in attempts {
        let mut client = h.client();
        let reply = client.login(username, password).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{username}");
        assert_eq!(
            reply.alert().as_deref(),
            Some(vi::LOGIN_FAILED),
            "{username}"
        );
        assert!(reply.cookie("congso_session").is_none(), "{username}");
        pages.push(comparable(&reply, username));
    }
    assert_eq!(pages[0], pages[1], "unknown name reads differently");
    assert_eq!(pages[0], pages[2], "disabled account reads differently");

    let failures = h.entries_with("auth.login.failure").await;
    assert_eq!(failures.len(), 3);
    for (entry, (username, _, reason)) in failures.iter().zip(attempts) {
        assert_eq!(entry.actor, format!("anonymous:{username}"));
        assert_eq!(entry.target, format!("login:{username}"));
        assert!(entry.details.contains(reason), "{}", entry.details);
        assert!(
            !entry.details.contains("sai-2026"),
            "password in the ledger"
        );
    }
    assert!(h.entries_with("auth.login.success").await.is_empty());
    let _ = clerk;
}

/// What a login attempt was answered with.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Refused,
    Wait,
    Locked,
    SignedIn,
}

fn answer(reply: &Reply) -> Answer {
    let alert = reply.alert().unwrap_or_default();
    match reply.status {
        StatusCode::SEE_OTHER => Answer::SignedIn,
        StatusCode::UNAUTHORIZED if alert == vi::LOGIN_FAILED => Answer::Refused,
        StatusCode::TOO_MANY_REQUESTS if alert.starts_with(vi::WAIT) => {
            let seconds = alert[vi::WAIT.len()..]
                .split_whitespace()
                .next()
                .unwrap_or("");
            assert!(
                seconds.parse::<u32>().is_ok_and(|s| (1..=60).contains(&s)),
                "{alert}"
            );
            Answer::Wait
        }
        StatusCode::TOO_MANY_REQUESTS if alert.contains(vi::LOCKED) => Answer::Locked,
        status => panic!("unexpected answer {status}: {alert}"),
    }
}

/// Three free attempts, then delays, then the lockout at
/// `login_max_failures` (5), which even the right password does not pass;
/// a name that does not exist goes through exactly the same steps.
async fn delays_and_lockout_treat_unknown_names_like_real_ones(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let expected = [
        Answer::Refused,
        Answer::Refused,
        Answer::Refused,
        Answer::Wait,
        Answer::Wait,
        Answer::Locked,
        Answer::Locked,
    ];
    let mut pages = Vec::new();
    for username in ["vanthu", "khongtontai"] {
        let mut client = h.client();
        let mut answers = Vec::new();
        for attempt in 0..expected.len() {
            // The last attempt brings the right password: locked is locked.
            let password = if attempt + 1 == expected.len() {
                clerk.password.as_str()
            } else {
                "mat-khau-sai-2026"
            };
            let reply = client.login(username, password).await;
            answers.push(answer(&reply));
            if attempt + 1 == expected.len() {
                assert!(reply.cookie("congso_session").is_none());
                pages.push(comparable(&reply, username));
            }
        }
        assert_eq!(answers, expected, "{username}");
        let lockouts = h.entries_with("auth.login.locked_out").await;
        assert!(
            lockouts
                .iter()
                .any(|entry| entry.target == format!("login:{username}")),
            "no lockout recorded for {username}"
        );
    }
    assert_eq!(
        pages[0], pages[1],
        "a locked real account reads differently"
    );
    assert_eq!(h.entries_with("auth.login.locked_out").await.len(), 2);
    assert_eq!(h.entries_with("auth.login.failure").await.len(), 14);
    assert!(h.entries_with("auth.login.success").await.is_empty());
}

async fn success_clears_the_failure_counter(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut client = h.client();
    for _ in 0..2 {
        let reply = client.login("vanthu", "mat-khau-sai-2026").await;
        assert_eq!(answer(&reply), Answer::Refused);
    }
    assert_eq!(
        accounts::throttle(&h.db, "vanthu")
            .await
            .unwrap()
            .unwrap()
            .failures,
        2
    );
    let reply = h.client().login("vanthu", &clerk.password).await;
    assert_eq!(answer(&reply), Answer::SignedIn);
    assert!(accounts::throttle(&h.db, "vanthu").await.unwrap().is_none());
    // Had the two earlier failures still counted, the second of these would
    // be the fourth failure in a row and be made to wait.
    for _ in 0..2 {
        let reply = client.login("vanthu", "mat-khau-sai-2026").await;
        assert_eq!(answer(&reply), Answer::Refused);
    }
}

async fn login_returns_to_a_local_next_only(db: Db) {
    let h = Harness::new(db).await;
    let clerk = h.user("vanthu", Role::Clerk).await;
    for (next, expected) in [
        ("/account", "/account"),
        ("//evil.example/x", "/staff"),
        ("/\\evil.example", "/staff"),
        ("https://evil.example", "/staff"),
        ("/\t/evil.example", "/staff"),
        ("/account\r\nSet-Cookie: x=y", "/staff"),
    ] {
        let mut client = h.client();
        let page = client.get("/login").await;
        let token = page.csrf().unwrap();
        let reply = client
            .post_form(
                "/login",
                &[
                    ("csrf", &token),
                    ("username", &clerk.username),
                    ("password", &clerk.password),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{next:?}: {}",
            reply.body
        );
        assert_eq!(reply.location(), expected, "{next:?}");
    }
}

on_both_databases!(
    success_sets_a_strict_http_only_cookie,
    secure_cookies_are_marked_secure,
    refusals_read_the_same_and_are_recorded,
    delays_and_lockout_treat_unknown_names_like_real_ones,
    success_clears_the_failure_counter,
    login_returns_to_a_local_next_only,
);
