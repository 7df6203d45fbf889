//! Languages and the page frame: Vietnamese by default, English on request,
//! no open redirect through the switch, and landmarks on every page.

use axum::http::StatusCode;
use congso_core::access::Role;
use congso_store::Db;

use crate::harness::{Harness, Reply};

async fn vietnamese_by_default_english_on_request(db: Db) {
    let h = Harness::new(db).await;
    let mut client = h.client();
    let home = client.get("/").await;
    assert!(
        home.body.contains("<html lang=\"vi\">"),
        "{}",
        &home.body[..200]
    );
    assert!(home.body.contains("Trang chủ"));

    let reply = client.get("/lang/en?next=/login").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), "/login");
    let cookie = reply.cookie("congso_lang").expect("language cookie");
    assert_eq!(cookie.value(), "en");
    assert_eq!(cookie.max_age(), Some(cookie::time::Duration::days(365)));
    let login = client.get("/login").await;
    assert!(login.body.contains("<html lang=\"en\">"));
    assert!(login.body.contains("Log in"), "{}", login.body);
    assert!(!login.body.contains("Đăng nhập</h1>"));

    let reply = client.get("/lang/vi?next=/").await;
    assert_eq!(reply.location(), "/");
    assert!(client.get("/").await.body.contains("<html lang=\"vi\">"));
    assert_eq!(client.get("/lang/fr").await.status, StatusCode::NOT_FOUND);

    // A signed-in user's choice is kept with the account, so it follows
    // them to another browser.
    let clerk = h.user("vanthu", Role::Clerk).await;
    let mut first = h.client();
    first.sign_in(&clerk).await;
    first.get("/lang/en?next=/account").await;
    assert_eq!(
        h.stored_user(clerk.id).await.language.as_deref(),
        Some("en")
    );
    let mut second = h.client();
    second.sign_in(&clerk).await;
    assert!(second
        .get("/account")
        .await
        .body
        .contains("<html lang=\"en\">"));
}

async fn the_switch_never_leaves_the_site(db: Db) {
    let h = Harness::new(db).await;
    let mut client = h.client();
    for next in [
        "//evil.example",
        "//evil.example/login",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example",
        "http:evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/%2F/evil.example",
        " //evil.example",
        "javascript:alert(1)",
    ] {
        let query = serde_urlencoded::to_string([("next", next)]).unwrap();
        let reply = client.get(&format!("/lang/en?{query}")).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{next:?}: {}",
            reply.body
        );
        let location = reply.location();
        assert!(
            is_local(location),
            "{next:?} redirected to {location:?}, which a browser may read as another site"
        );
    }
}

/// Whether a browser resolves `location` to a path on this site. Browsers
/// drop tabs and newlines and treat `\` as `/` before resolving.
fn is_local(location: &str) -> bool {
    let cleaned: String = location
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    cleaned.starts_with('/') && !cleaned.starts_with("//")
}

fn assert_frame(reply: &Reply, path: &str) {
    assert!(
        reply.content_type().starts_with("text/html"),
        "{path}: {} {}",
        reply.status,
        reply.content_type()
    );
    let body = &reply.body;
    assert!(
        body.starts_with("<!DOCTYPE html><html lang=\""),
        "{path}: no lang"
    );
    assert!(
        body.contains("<a class=\"skip-link\" href=\"#main\">"),
        "{path}: no skip link"
    );
    assert!(
        body.contains("<main id=\"main\""),
        "{path}: no main landmark"
    );
    assert!(body.contains("<title>"), "{path}: no title");
}

async fn every_page_has_lang_skip_link_and_main(db: Db) {
    let h = Harness::new(db).await;
    let admin = h.admin("quantri").await;
    let clerk = h.user("vanthu", Role::Clerk).await;

    let mut anonymous = h.client();
    let mut pages: Vec<(String, Reply)> = Vec::new();
    for path in [
        "/",
        "/login",
        "/password-reset",
        "/khong-co",
        "/password-reset/khong-co",
    ] {
        pages.push((path.to_owned(), anonymous.get(path).await));
    }
    let refused = anonymous.post_form("/login", &[]).await;
    pages.push(("refused form".to_owned(), refused));
    let failed = anonymous.login("vanthu", "sai-mat-khau-roi").await;
    pages.push(("failed login".to_owned(), failed));

    let mut with_totp = clerk.clone();
    h.give_totp(&mut with_totp).await;
    let mut half_way = h.client();
    half_way
        .login(&with_totp.username, &with_totp.password)
        .await;
    pages.push(("/login/2fa".to_owned(), half_way.get("/login/2fa").await));

    let mut signed_in = h.client();
    signed_in.sign_in(&admin).await;
    let entry = h.entries().await.len().saturating_sub(1);
    for path in [
        "/".to_owned(),
        "/staff".to_owned(),
        "/account".to_owned(),
        "/account/password".to_owned(),
        "/admin/users".to_owned(),
        "/admin/users/new".to_owned(),
        format!("/admin/users/{}", clerk.id),
        "/admin/ledger".to_owned(),
        format!("/admin/ledger/{entry}"),
        "/admin/users/424242".to_owned(),
    ] {
        let reply = signed_in.get(&path).await;
        pages.push((path, reply));
    }
    let mut citizen_client = h.client();
    let citizen = h.user("congdan", Role::Citizen).await;
    citizen_client.sign_in(&citizen).await;
    pages.push((
        "forbidden".to_owned(),
        citizen_client.get("/admin/ledger").await,
    ));
    let mut english = h.client();
    english.jar = signed_in.jar.clone();
    english.get("/lang/en").await;
    pages.push((
        "/admin/users in English".to_owned(),
        english.get("/admin/users").await,
    ));

    for (path, reply) in &pages {
        assert_frame(reply, path);
    }
}

on_both_databases!(
    vietnamese_by_default_english_on_request,
    the_switch_never_leaves_the_site,
    every_page_has_lang_skip_link_and_main,
);
