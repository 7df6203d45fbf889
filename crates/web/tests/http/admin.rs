//! Account administration: every action works, is recorded with its action
//! code and no secret, and an administrator cannot lock themselves out.

use axum::http::StatusCode;
use congso_core::access::{Role, RoleSet};
use congso_store::accounts;
use congso_store::ledger::Entry;
use congso_store::Db;

use crate::harness::{logs, vi, Client, Harness, Reply, TestUser};

/// The temporary password a page shows once.
fn temporary_password(reply: &Reply) -> String {
    let notice = reply.notice().expect("a notice with the password");
    notice
        .strip_prefix(vi::TEMP_PASSWORD)
        .unwrap_or_else(|| panic!("unexpected notice {notice}"))
        .to_owned()
}

/// Asserts that `secret` appears in no field of any ledger entry, in no
/// log line, and in none of the listed responses' headers.
async fn assert_never_recorded(h: &Harness, secret: &str, replies: &[&Reply]) {
    assert!(secret.len() >= 10, "suspiciously short secret {secret:?}");
    for entry in h.entries().await {
        let Entry {
            actor,
            action,
            target,
            source,
            data_hash,
            details,
            ..
        } = &entry;
        for field in [actor, action, target, source, data_hash, details] {
            assert!(
                !field.contains(secret),
                "secret in ledger entry {}",
                entry.seq
            );
        }
    }
    assert!(!logs().contains(secret), "secret in the log");
    for reply in replies {
        for (name, value) in &reply.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(!value.contains(secret), "secret in the {name} header");
        }
    }
}

fn assert_recorded(entries: &[Entry], action: &str, admin: &str, target: i64) -> Entry {
    let matching: Vec<&Entry> = entries.iter().filter(|e| e.action == action).collect();
    assert_eq!(
        matching.len(),
        1,
        "{action} recorded {} times",
        matching.len()
    );
    let entry = matching[0];
    assert_eq!(entry.actor, format!("user:{admin}"), "{action}");
    assert_eq!(entry.target, format!("user:{target}"), "{action}");
    entry.clone()
}

async fn signed_in_admin(h: &Harness) -> (TestUser, Client) {
    let admin = h.admin("quantri").await;
    let mut client = h.client();
    client.sign_in(&admin).await;
    (admin, client)
}

async fn create_user_with_a_temporary_password(db: Db) {
    let h = Harness::new(db).await;
    let (_admin, mut client) = signed_in_admin(&h).await;
    let form = client.get("/admin/users/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("Phòng Công nghệ thông tin"),
        "units listed"
    );
    let unit = accounts::list_organizations(&h.db)
        .await
        .unwrap()
        .into_iter()
        .find(|org| org.kind == "unit")
        .unwrap();

    let created = client
        .submit(
            "/admin/users",
            &[
                ("username", "Tran.Van.Binh"),
                ("display_name", "Trần Văn Bình"),
                ("email", "binh.tv@stttt.example.gov.vn"),
                ("kind", "staff"),
                ("unit", &unit.id.to_string()),
                ("position", "Chuyên viên"),
                ("roles", "specialist"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.headers["cache-control"], "no-store");
    let password = temporary_password(&created);
    let user = accounts::find_credentials(&h.db, "tran.van.binh")
        .await
        .unwrap()
        .expect("account stored")
        .user;
    assert!(user.must_change_password);
    assert_eq!(user.roles, RoleSet::single(Role::Specialist));
    assert_eq!(user.unit_id, Some(unit.id));
    assert_eq!(user.organization_id, Some(h.agency_id));
    let entry = assert_recorded(&h.entries().await, "user.created", "quantri", user.id);
    assert!(
        entry.details.contains("\"roles\":\"specialist\""),
        "{}",
        entry.details
    );

    // Shown once: the account's page does not show it again.
    let page = client.get(&format!("/admin/users/{}", user.id)).await;
    assert!(!page.body.contains(&password));
    assert!(!client.get("/admin/users").await.body.contains(&password));

    // The first login must set a new password before anything else.
    let mut newcomer = h.client();
    let reply = newcomer.login("tran.van.binh", &password).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    for path in ["/staff", "/account", "/admin/users"] {
        let reply = newcomer.get(path).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(reply.location(), "/account/password", "{path}");
    }
    let form = newcomer.get("/account/password").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form
        .body
        .contains("Bạn cần đặt mật khẩu mới trước khi tiếp tục."));
    let chosen = "Bình minh trên sông Hồng 2026";
    let changed = newcomer
        .submit(
            "/account/password",
            &[
                ("current", &password),
                ("password", chosen),
                ("confirm", chosen),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    assert_eq!(newcomer.get("/staff").await.status, StatusCode::OK);
    assert!(!h.stored_user(user.id).await.must_change_password);
    assert_never_recorded(&h, &password, &[&created, &reply, &changed]).await;
    assert_never_recorded(&h, chosen, &[&changed]).await;

    // A typed initial password skips the temporary one.
    let reply = client
        .submit(
            "/admin/users",
            &[
                ("username", "congdan.a"),
                ("display_name", "Nguyễn Thị A"),
                ("kind", "citizen"),
                ("roles", "citizen"),
                ("password", "Một mật khẩu đủ dài 2026"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/admin/users?created=congdan.a");

    // Refusals come back as the form with the reason, and create nothing.
    let users = accounts::list_users(&h.db).await.unwrap().len();
    for (fields, case) in [
        (
            vec![
                ("username", "tran.van.binh"),
                ("display_name", "Trùng tên"),
                ("roles", "clerk"),
            ],
            "taken username",
        ),
        (
            vec![
                ("username", "x"),
                ("display_name", "Ngắn"),
                ("roles", "clerk"),
            ],
            "short username",
        ),
        (
            vec![
                ("username", "cong.dan.b"),
                ("display_name", "B"),
                ("kind", "citizen"),
                ("roles", "clerk"),
            ],
            "citizen with a staff role",
        ),
        (
            vec![("username", "khong.vai.tro"), ("display_name", "C")],
            "no role",
        ),
        (
            vec![
                ("username", "vai.tro.la"),
                ("display_name", "D"),
                ("roles", "root"),
            ],
            "unknown role",
        ),
        (
            vec![
                ("username", "mat.khau.yeu"),
                ("display_name", "E"),
                ("roles", "clerk"),
                ("password", "123"),
            ],
            "weak password",
        ),
    ] {
        let reply = client.submit("/admin/users", &fields).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{case}: {}",
            reply.body
        );
        assert!(reply.alert().is_some(), "{case}: no reason shown");
    }
    assert_eq!(accounts::list_users(&h.db).await.unwrap().len(), users);
}

async fn every_admin_action_works_and_is_recorded(db: Db) {
    let h = Harness::new(db).await;
    let (admin, mut client) = signed_in_admin(&h).await;
    let mut target = h.user("vanthu", Role::Clerk).await;
    h.give_totp(&mut target).await;
    let base = format!("/admin/users/{}", target.id);
    let mut target_client = h.client();
    target_client.sign_in(&target).await;

    let reply = client
        .submit(
            &format!("{base}/roles"),
            &[("roles", "clerk"), ("roles", "leader")],
        )
        .await;
    assert_eq!(
        reply.location(),
        format!("{base}?notice=admin-user-roles-saved")
    );
    assert_eq!(
        h.stored_user(target.id).await.roles,
        RoleSet::parse_codes("clerk,leader").unwrap()
    );
    let page = client.get(reply.location()).await;
    assert_eq!(page.notice().as_deref(), Some("Đã lưu vai trò."));

    let reset = client.submit(&format!("{base}/password"), &[]).await;
    assert_eq!(reset.status, StatusCode::OK);
    let temporary = temporary_password(&reset);
    assert!(h.stored_user(target.id).await.must_change_password);
    assert_eq!(
        target_client.get("/account").await.location(),
        "/login?next=%2Faccount",
        "the reset left the user's session alive"
    );
    assert_eq!(
        h.client().login("vanthu", &target.password).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.client().login("vanthu", &temporary).await.location(),
        "/login/2fa?next=%2Fstaff"
    );

    let reply = client.submit(&format!("{base}/disable"), &[]).await;
    assert_eq!(
        reply.location(),
        format!("{base}?notice=admin-user-disabled")
    );
    assert!(h.stored_user(target.id).await.disabled);
    assert_eq!(
        h.client().login("vanthu", &temporary).await.status,
        StatusCode::UNAUTHORIZED
    );

    let reply = client.submit(&format!("{base}/enable"), &[]).await;
    assert_eq!(
        reply.location(),
        format!("{base}?notice=admin-user-enabled")
    );
    assert!(!h.stored_user(target.id).await.disabled);

    let mut stranger = h.client();
    for _ in 0..3 {
        stranger.login("vanthu", "doan-bua-mat-khau").await;
    }
    assert!(accounts::throttle(&h.db, "vanthu").await.unwrap().is_some());
    let reply = client.submit(&format!("{base}/unlock"), &[]).await;
    assert_eq!(
        reply.location(),
        format!("{base}?notice=admin-user-unlocked")
    );
    assert!(accounts::throttle(&h.db, "vanthu").await.unwrap().is_none());

    let reply = client.submit(&format!("{base}/remove-2fa"), &[]).await;
    assert_eq!(
        reply.location(),
        format!("{base}?notice=admin-user-2fa-removed")
    );
    assert!(!h.stored_user(target.id).await.has_totp);

    let entries = h.entries().await;
    let roles = assert_recorded(&entries, "user.roles_changed", &admin.username, target.id);
    assert!(
        roles.details.contains("\"from\":\"clerk\""),
        "{}",
        roles.details
    );
    assert!(
        roles.details.contains("\"to\":\"clerk,leader\""),
        "{}",
        roles.details
    );
    let password = assert_recorded(
        &entries,
        "user.password_set_by_admin",
        &admin.username,
        target.id,
    );
    assert!(password.details.contains("\"temporary\":true"));
    assert_recorded(&entries, "user.disabled", &admin.username, target.id);
    assert_recorded(&entries, "user.enabled", &admin.username, target.id);
    assert_recorded(&entries, "user.unlocked", &admin.username, target.id);
    let removed = assert_recorded(&entries, "auth.2fa.disabled", &admin.username, target.id);
    assert!(removed.details.contains("\"by_admin\":true"));
    assert_never_recorded(&h, &temporary, &[&reset]).await;
}

async fn an_admin_cannot_demote_or_disable_themselves(db: Db) {
    let h = Harness::new(db).await;
    let (admin, mut client) = signed_in_admin(&h).await;
    let base = format!("/admin/users/{}", admin.id);
    let before = h.ledger.size();

    let reply = client
        .submit(&format!("{base}/roles"), &[("roles", "clerk")])
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.alert().as_deref(), Some(vi::SELF_DEMOTE));
    let reply = client.submit(&format!("{base}/roles"), &[]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "no roles at all");
    let reply = client.submit(&format!("{base}/disable"), &[]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.alert().as_deref(), Some(vi::SELF_DEMOTE));

    let stored = h.stored_user(admin.id).await;
    assert_eq!(stored.roles, RoleSet::single(Role::Administrator));
    assert!(!stored.disabled);
    assert_eq!(h.ledger.size(), before, "a refused action was recorded");
    assert_eq!(client.get("/admin/users").await.status, StatusCode::OK);

    // Adding a role while keeping administration is allowed.
    let reply = client
        .submit(
            &format!("{base}/roles"),
            &[("roles", "administrator"), ("roles", "security_officer")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(h
        .stored_user(admin.id)
        .await
        .roles
        .contains(Role::SecurityOfficer));
}

on_both_databases!(
    create_user_with_a_temporary_password,
    every_admin_action_works_and_is_recorded,
    an_admin_cannot_demote_or_disable_themselves,
);
