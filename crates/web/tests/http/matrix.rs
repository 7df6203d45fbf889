//! Role × action matrix over HTTP: every role requests every protected
//! route and gets exactly what the access policy says.

use axum::http::{Method, StatusCode};
use congso_core::access::{Action, Role, RoleSet};
use congso_store::accounts;
use congso_store::Db;

use crate::harness::{request, totp_now, vi, Client, Harness, TestUser, PASSWORD};

/// The expected outcome, one letter per role in [`Role::ALL`] order:
/// administrator, IT officer, clerk, specialist, leader, security officer,
/// privacy officer, citizen.
///
/// - `A` allowed: the route's success status;
/// - `-` refused: 403 with the "not allowed" page, and nothing changes;
/// - `R` allowed, but the account already has a second factor, so the
///   enrolment pages send it back to `/account`;
/// - `C` not permitted, and the documented answer is a redirect: citizens
///   asking for the staff area land on their own account page;
/// - `X` permitted by the matrix, refused by the rule that administrators
///   cannot turn off their second factor (403 with its own message).
///
/// This table is written from the access policy in the decree's allocation
/// of duties, not derived from `congso_core::access`; the test also checks
/// it against `RoleSet::permits`, so a drift on either side is caught.
const MATRIX: &[(Step, Action, &str)] = &[
    (Step::Get("/staff"), Action::StaffAreaView, "AAAAAAAC"),
    (Step::Get("/account"), Action::AccountView, "AAAAAAAA"),
    (
        Step::Get("/account/password"),
        Action::AccountChangePassword,
        "AAAAAAAA",
    ),
    (
        Step::Get("/account/2fa"),
        Action::AccountManageTwoFactor,
        "RAAAAAAA",
    ),
    (Step::Get("/admin/users"), Action::UserList, "A-------"),
    (
        Step::Get("/admin/users/new"),
        Action::UserCreate,
        "A-------",
    ),
    (
        Step::Get("/admin/users/{target}"),
        Action::UserList,
        "A-------",
    ),
    (
        Step::Get("/admin/ledger"),
        Action::LedgerViewEntries,
        "AA---A--",
    ),
    (
        Step::Get("/admin/ledger/0"),
        Action::LedgerViewEntries,
        "AA---A--",
    ),
    (Step::CreateUser, Action::UserCreate, "A-------"),
    (Step::SetRoles, Action::UserSetRoles, "A-------"),
    (Step::ResetPassword, Action::UserResetPassword, "A-------"),
    (Step::Disable, Action::UserDisable, "A-------"),
    (Step::Enable, Action::UserDisable, "A-------"),
    (Step::Unlock, Action::UserDisable, "A-------"),
    (Step::RemoveTwoFactor, Action::UserResetPassword, "A-------"),
    (Step::SignCheckpoint, Action::LedgerCheckpoint, "AA------"),
    (
        Step::EnableTwoFactor,
        Action::AccountManageTwoFactor,
        "RAAAAAAA",
    ),
    (
        Step::DisableTwoFactor,
        Action::AccountManageTwoFactor,
        "XAAAAAAA",
    ),
    (
        Step::ChangePassword,
        Action::AccountChangePassword,
        "AAAAAAAA",
    ),
];

/// One request of the matrix.
#[derive(Debug, Clone, Copy)]
enum Step {
    Get(&'static str),
    CreateUser,
    SetRoles,
    ResetPassword,
    Disable,
    Enable,
    Unlock,
    RemoveTwoFactor,
    SignCheckpoint,
    EnableTwoFactor,
    DisableTwoFactor,
    ChangePassword,
}

impl Step {
    fn path(self, target: i64) -> String {
        let path = match self {
            Step::Get(path) => return path.replace("{target}", &target.to_string()),
            Step::CreateUser => "/admin/users".to_owned(),
            Step::SetRoles => format!("/admin/users/{target}/roles"),
            Step::ResetPassword => format!("/admin/users/{target}/password"),
            Step::Disable => format!("/admin/users/{target}/disable"),
            Step::Enable => format!("/admin/users/{target}/enable"),
            Step::Unlock => format!("/admin/users/{target}/unlock"),
            Step::RemoveTwoFactor => format!("/admin/users/{target}/remove-2fa"),
            Step::SignCheckpoint => "/admin/ledger".to_owned(),
            Step::EnableTwoFactor => "/account/2fa".to_owned(),
            Step::DisableTwoFactor => "/account/2fa/disable".to_owned(),
            Step::ChangePassword => "/account/password".to_owned(),
        };
        path
    }

    fn is_post(self) -> bool {
        !matches!(self, Step::Get(_))
    }

    /// The status and `Location` prefix of success.
    fn success(self, target: i64) -> (StatusCode, String) {
        let see_other = |location: String| (StatusCode::SEE_OTHER, location);
        match self {
            Step::Get(_) => (StatusCode::OK, String::new()),
            Step::CreateUser => see_other("/admin/users?created=".to_owned()),
            Step::SetRoles => see_other(format!(
                "/admin/users/{target}?notice=admin-user-roles-saved"
            )),
            Step::ResetPassword => (StatusCode::OK, String::new()),
            Step::Disable => see_other(format!("/admin/users/{target}?notice=admin-user-disabled")),
            Step::Enable => see_other(format!("/admin/users/{target}?notice=admin-user-enabled")),
            Step::Unlock => see_other(format!("/admin/users/{target}?notice=admin-user-unlocked")),
            Step::RemoveTwoFactor => see_other(format!(
                "/admin/users/{target}?notice=admin-user-2fa-removed"
            )),
            Step::SignCheckpoint => see_other("/admin/ledger?signed=".to_owned()),
            Step::EnableTwoFactor => see_other("/account?notice=account-2fa-enabled".to_owned()),
            Step::DisableTwoFactor => see_other("/account?notice=account-2fa-disabled".to_owned()),
            Step::ChangePassword => {
                see_other("/account?notice=account-password-changed".to_owned())
            }
        }
    }
}

const NEW_PASSWORD: &str = "Trống đồng Đông Sơn 1924";

/// Performs `step` as the signed-in `client`.
async fn perform(
    client: &mut Client,
    step: Step,
    target: i64,
    role: Role,
) -> crate::harness::Reply {
    let path = step.path(target);
    match step {
        Step::Get(_) => client.get(&path).await,
        Step::CreateUser => {
            let username = format!("moi-{}", role.code().replace('_', "-"));
            client
                .submit(
                    &path,
                    &[
                        ("username", &username),
                        ("display_name", "Người mới"),
                        ("kind", "staff"),
                        ("roles", "clerk"),
                        ("password", NEW_PASSWORD),
                    ],
                )
                .await
        }
        Step::SetRoles => {
            client
                .submit(&path, &[("roles", "clerk"), ("roles", "leader")])
                .await
        }
        Step::EnableTwoFactor => {
            // A browser fetches the enrolment page first; when it is shown,
            // the secret in it yields the code.
            let page = client.get("/account/2fa").await;
            let (pending, code) = if page.status == StatusCode::OK {
                let secret = between(&page.body, "id=\"totp-secret\">", "<");
                let pending = between(&page.body, "name=\"pending\" value=\"", "\"");
                (pending, totp_now(&secret))
            } else {
                (String::new(), String::new())
            };
            client
                .submit(&path, &[("pending", &pending), ("code", &code)])
                .await
        }
        Step::DisableTwoFactor => client.submit(&path, &[("current", PASSWORD)]).await,
        Step::ChangePassword => {
            client
                .submit(
                    &path,
                    &[
                        ("current", PASSWORD),
                        ("password", NEW_PASSWORD),
                        ("confirm", NEW_PASSWORD),
                    ],
                )
                .await
        }
        _ => client.submit(&path, &[]).await,
    }
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"))
        + start.len();
    let to = text[from..].find(end).expect("end marker") + from;
    text[from..to].to_owned()
}

#[test]
fn the_written_table_agrees_with_the_access_policy() {
    for (step, action, row) in MATRIX {
        assert_eq!(row.len(), Role::ALL.len(), "{step:?}");
        for (role, outcome) in Role::ALL.into_iter().zip(row.chars()) {
            let permitted = matches!(outcome, 'A' | 'R' | 'X');
            assert_eq!(
                RoleSet::single(role).permits(*action),
                permitted,
                "{role} × {step:?} ({action:?}): the table says {outcome}"
            );
        }
    }
}

async fn every_role_gets_exactly_its_routes(db: Db) {
    let h = Harness::new(db).await;
    for (index, role) in Role::ALL.into_iter().enumerate() {
        let mut actor = h.user(&format!("nguoi-{index}"), role).await;
        if role == Role::Administrator {
            h.give_totp(&mut actor).await;
        }
        let mut target = h.user(&format!("doi-tuong-{index}"), Role::Clerk).await;
        h.give_totp(&mut target).await;
        let mut client = h.client();
        client.sign_in(&actor).await;
        for (step, _, row) in MATRIX {
            let outcome = row.chars().nth(index).expect("one letter per role");
            check_step(&h, &mut client, &actor, role, *step, target.id, outcome).await;
        }
    }
}

async fn check_step(
    h: &Harness,
    client: &mut Client,
    actor: &TestUser,
    role: Role,
    step: Step,
    target: i64,
    outcome: char,
) {
    let what = format!("{role} {step:?} (expected {outcome})");
    let target_before = h.stored_user(target).await;
    let users_before = accounts::list_users(&h.db).await.unwrap().len();
    let ledger_before = h.ledger.size();
    let reply = perform(client, step, target, role).await;
    match outcome {
        'A' => {
            let (status, location) = step.success(target);
            assert_eq!(reply.status, status, "{what}: {}", reply.body);
            assert!(
                reply.location().starts_with(&location),
                "{what}: went to {}",
                reply.location()
            );
            if step.is_post() {
                assert!(h.ledger.size() > ledger_before, "{what}: nothing recorded");
            }
        }
        'R' | 'C' => {
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{what}");
            assert_eq!(reply.location(), "/account", "{what}");
        }
        'X' => {
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{what}");
            assert_eq!(
                reply.alert().as_deref(),
                Some(vi::ADMIN_CANNOT_DISABLE_2FA),
                "{what}"
            );
            assert!(h.stored_user(actor.id).await.has_totp, "{what}");
        }
        '-' => {
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{what}: {}",
                reply.body
            );
            assert_eq!(reply.alert().as_deref(), Some(vi::FORBIDDEN), "{what}");
            assert_eq!(h.ledger.size(), ledger_before, "{what}: something recorded");
            assert_eq!(h.stored_user(target).await, target_before, "{what}");
            assert_eq!(
                accounts::list_users(&h.db).await.unwrap().len(),
                users_before,
                "{what}"
            );
        }
        other => panic!("unknown outcome letter {other}"),
    }
}

/// Without a session every protected route sends the visitor to the login
/// page, with the route to come back to; forms posted with a valid
/// pre-login token too.
async fn anonymous_visitors_are_sent_to_login(db: Db) {
    let h = Harness::new(db).await;
    let target = h.user("doi-tuong", Role::Clerk).await;
    let target_before = h.stored_user(target.id).await;
    let mut client = h.client();
    let ledger_before = h.ledger.size();
    for (step, _, _) in MATRIX {
        let path = step.path(target.id);
        let reply = if step.is_post() {
            client.submit(&path, &[]).await
        } else {
            client
                .send(
                    request(Method::GET, &path)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
        };
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{step:?}: {}",
            reply.body
        );
        let expected = format!(
            "/login?{}",
            serde_urlencoded::to_string([("next", path.as_str())]).unwrap()
        );
        assert_eq!(reply.location(), expected, "{step:?}");
    }
    assert_eq!(h.ledger.size(), ledger_before);
    assert_eq!(h.stored_user(target.id).await, target_before);
}

on_both_databases!(
    every_role_gets_exactly_its_routes,
    anonymous_visitors_are_sent_to_login,
);
