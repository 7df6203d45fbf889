//! Account administration.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use congso_core::access::{AccountKind, Action, Role, RoleSet};
use congso_core::audit::{Actor, AuditAction};
use congso_store::accounts::{self, NewUser, User};
use congso_store::ledger::NewEntry;
use maud::{html, Markup};

use crate::error::AppError;
use crate::layout::{page, Ctx};
use crate::session::SignedIn;
use crate::AppState;

/// Forms with checkboxes repeat a field name (`roles=clerk&roles=leader`),
/// which serde's map-based `Form` cannot hold; read them as pairs.
type Pairs = axum::Form<Vec<(String, String)>>;

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or("")
}

fn roles_from(pairs: &[(String, String)]) -> Result<RoleSet, AppError> {
    pairs
        .iter()
        .filter(|(key, _)| key == "roles")
        .map(|(_, value)| {
            value
                .parse::<Role>()
                .map_err(|error| AppError::bad_request(error.to_string()))
        })
        .collect()
}

fn actor(signed_in: &SignedIn) -> Actor {
    Actor::User(signed_in.user.username.clone())
}

pub async fn users(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    signed_in.require(Action::UserList)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let users = accounts::list_users(state.db()).await?;
    let notice = query
        .get("created")
        .map(|name| ctx.ta("admin-new-created", &[("username", name)]));
    let body = html! {
        h1 { (ctx.t("admin-users-title")) }
        @if let Some(notice) = &notice { div.notice role="status" { (notice) } }
        @if signed_in.user.roles.permits(Action::UserCreate) {
            p { a.button href="/admin/users/new" { (ctx.t("admin-users-new")) } }
        }
        div.table-wrap {
            table {
                caption.muted { (ctx.t("admin-users-title")) " (" (users.len()) ")" }
                thead { tr {
                    th scope="col" { (ctx.t("admin-users-col-username")) }
                    th scope="col" { (ctx.t("admin-users-col-name")) }
                    th scope="col" { (ctx.t("admin-users-col-kind")) }
                    th scope="col" { (ctx.t("admin-users-col-roles")) }
                    th scope="col" { (ctx.t("admin-users-col-status")) }
                    th scope="col" { (ctx.t("admin-users-col-2fa")) }
                } }
                tbody {
                    @for user in &users {
                        tr {
                            td { a href={ "/admin/users/" (user.id) } { code { (user.username) } } }
                            td { (user.display_name) }
                            td { (ctx.t(&format!("kind-{}", user.kind.code()))) }
                            td { (user.roles.iter().map(|role| ctx.role_name(role)).collect::<Vec<_>>().join(", ")) }
                            td { (if user.disabled { ctx.t("admin-status-disabled") } else { ctx.t("admin-status-active") }) }
                            td { (if user.has_totp { ctx.t("account-2fa-on") } else { ctx.t("account-2fa-off") }) }
                        }
                    }
                }
            }
        }
    };
    Ok(super::private_page(page(
        &ctx,
        &ctx.t("admin-users-title"),
        body,
    )))
}

fn role_checkboxes(ctx: &Ctx<'_>, selected: RoleSet) -> Markup {
    html! {
        fieldset {
            legend { (ctx.t("admin-user-roles")) }
            @for role in Role::ALL {
                label.check {
                    input type="checkbox" name="roles" value=(role.code()) checked[selected.contains(role)];
                    (ctx.role_name(role))
                }
            }
        }
    }
}

fn new_user_page(
    ctx: &Ctx<'_>,
    units: &[accounts::Organization],
    problem: Option<String>,
    pairs: &[(String, String)],
) -> Markup {
    let selected = roles_from(pairs).unwrap_or_default();
    html! {
        h1 { (ctx.t("admin-new-title")) }
        @if let Some(problem) = &problem { div.error-box role="alert" { (problem) } }
        form.stack method="post" action="/admin/users" {
            (ctx.csrf())
            label for="username" { (ctx.t("login-username")) }
            input #username type="text" name="username" value=(field(pairs, "username")) required maxlength="64" autocapitalize="none" spellcheck="false";
            label for="display_name" { (ctx.t("admin-new-display-name")) }
            input #display_name type="text" name="display_name" value=(field(pairs, "display_name")) required maxlength="200";
            label for="email" { (ctx.t("account-email")) }
            input #email type="email" name="email" value=(field(pairs, "email")) maxlength="254";
            label for="kind" { (ctx.t("admin-new-kind")) }
            select #kind name="kind" {
                option value="staff" selected[field(pairs, "kind") != "citizen"] { (ctx.t("kind-staff")) }
                option value="citizen" selected[field(pairs, "kind") == "citizen"] { (ctx.t("kind-citizen")) }
            }
            label for="unit" { (ctx.t("admin-new-unit")) }
            select #unit name="unit" {
                option value="" { (ctx.t("admin-new-unit-none")) }
                @for unit in units {
                    option value=(unit.id) selected[field(pairs, "unit") == unit.id.to_string()] { (unit.name) }
                }
            }
            label for="position" { (ctx.t("admin-new-position")) }
            input #position type="text" name="position" value=(field(pairs, "position")) maxlength="200";
            (role_checkboxes(ctx, selected))
            label for="password" { (ctx.t("admin-new-password")) }
            input #password type="password" name="password" autocomplete="new-password" maxlength="256";
            button type="submit" { (ctx.t("admin-new-submit")) }
        }
    }
}

pub async fn new_user_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    signed_in.require(Action::UserCreate)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let units = units(&state).await?;
    Ok(super::private_page(page(
        &ctx,
        &ctx.t("admin-new-title"),
        new_user_page(&ctx, &units, None, &[]),
    )))
}

async fn units(state: &AppState) -> Result<Vec<accounts::Organization>, AppError> {
    Ok(accounts::list_organizations(state.db())
        .await?
        .into_iter()
        .filter(|org| org.kind == "unit")
        .collect())
}

pub async fn create_user(
    State(state): State<AppState>,
    signed_in: SignedIn,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    signed_in.require(Action::UserCreate)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let units = units(&state).await?;
    let refuse = |problem: String| {
        let mut response = super::private_page(page(
            &ctx,
            &ctx.t("admin-new-title"),
            new_user_page(&ctx, &units, Some(problem), &pairs),
        ));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response
    };
    let kind = match field(&pairs, "kind") {
        "citizen" => AccountKind::Citizen,
        _ => AccountKind::Staff,
    };
    let roles = match roles_from(&pairs) {
        Ok(roles) => roles,
        Err(_) => {
            return Ok(refuse(
                ctx.ta("error-bad-request", &[("reason", "unknown role")]),
            ))
        }
    };
    let username = match accounts::canonical_username(field(&pairs, "username")) {
        Ok(name) => name,
        Err(reason) => return Ok(refuse(ctx.ta("error-bad-request", &[("reason", &reason)]))),
    };
    // Free text is stored and shown on pages; control characters have no
    // place in it, and PostgreSQL refuses NUL outright.
    if let Some(name) = ["display_name", "email", "position"]
        .into_iter()
        .find(|name| field(&pairs, name).chars().any(char::is_control))
    {
        let reason = format!("{name} contains control characters");
        return Ok(refuse(ctx.ta("error-bad-request", &[("reason", &reason)])));
    }
    let typed = field(&pairs, "password");
    let (password, temporary) = if typed.is_empty() {
        (crate::password::generate_temporary_password(), true)
    } else {
        if let Err(violation) = crate::password::check_policy(typed, &username) {
            let args: Vec<(&str, &str)> = violation
                .args
                .iter()
                .map(|(n, v)| (*n, v.as_str()))
                .collect();
            return Ok(refuse(ctx.ta(violation.message_id, &args)));
        }
        (typed.to_owned(), false)
    };
    let unit_id = field(&pairs, "unit").parse::<i64>().ok();
    let agency = accounts::home_agency(state.db()).await?;
    let optional = |value: &str| (!value.trim().is_empty()).then(|| value.trim().to_owned());
    let new = NewUser {
        username: username.clone(),
        display_name: field(&pairs, "display_name").to_owned(),
        email: optional(field(&pairs, "email")),
        kind,
        organization_id: agency
            .map(|agency| agency.id)
            .filter(|_| kind == AccountKind::Staff),
        unit_id: unit_id.filter(|id| units.iter().any(|unit| unit.id == *id)),
        position: optional(field(&pairs, "position")),
        roles,
        password_hash: state.passwords().hash(password.clone()).await?,
        must_change_password: true,
    };
    let id = match accounts::create_user(state.db(), &new).await {
        Ok(id) => id,
        Err(congso_store::StoreError::Invalid(reason))
        | Err(congso_store::StoreError::Conflict(reason)) => {
            return Ok(refuse(ctx.ta("error-bad-request", &[("reason", &reason)])))
        }
        Err(other) => return Err(other.into()),
    };
    state
        .record(
            NewEntry::new(&actor(&signed_in), AuditAction::UserCreated, format!("user:{id}"))
                .source(signed_in.visitor.ip.clone())
                .data_hash(&accounts::user_digest(state.db(), id).await?)
                .details(serde_json::json!({ "username": username, "kind": kind.code(), "roles": roles.to_codes() })),
        )
        .await?;
    if temporary {
        let user = accounts::get_user(state.db(), id)
            .await?
            .ok_or_else(AppError::not_found)?;
        return user_page(
            &state,
            &signed_in,
            &user,
            Some(ctx.ta("admin-user-temp-password", &[("password", &password)])),
            StatusCode::CREATED,
        )
        .await;
    }
    Ok(Redirect::to(&format!("/admin/users?created={username}")).into_response())
}

async fn load_user(state: &AppState, id: i64) -> Result<User, AppError> {
    accounts::get_user(state.db(), id)
        .await?
        .ok_or_else(AppError::not_found)
}

async fn user_page(
    state: &AppState,
    signed_in: &SignedIn,
    user: &User,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(state, &signed_in.visitor);
    let can_manage = signed_in.user.roles.permits(Action::UserSetRoles);
    let body = html! {
        h1 { (ctx.ta("admin-user-title", &[("username", &user.username)])) }
        @if let Some(notice) = &notice { div.notice role="status" { (notice) } }
        dl.facts {
            dt { (ctx.t("account-name")) } dd { (user.display_name) }
            dt { (ctx.t("account-email")) } dd { (user.email.as_deref().unwrap_or("—")) }
            dt { (ctx.t("admin-users-col-kind")) } dd { (ctx.t(&format!("kind-{}", user.kind.code()))) }
            dt { (ctx.t("admin-new-position")) } dd { (user.position.as_deref().unwrap_or("—")) }
            dt { (ctx.t("admin-users-col-status")) } dd { (if user.disabled { ctx.t("admin-status-disabled") } else { ctx.t("admin-status-active") }) }
            dt { (ctx.t("account-2fa")) } dd { (if user.has_totp { ctx.t("account-2fa-on") } else { ctx.t("account-2fa-off") }) }
        }
        @if can_manage {
            form.stack method="post" action={ "/admin/users/" (user.id) "/roles" } {
                (ctx.csrf())
                (role_checkboxes(&ctx, user.roles))
                button type="submit" { (ctx.t("admin-user-save-roles")) }
            }
            h2 { (ctx.t("admin-user-reset-password")) }
            p { (ctx.t("admin-user-reset-password-help")) }
            form method="post" action={ "/admin/users/" (user.id) "/password" } {
                (ctx.csrf())
                button.secondary type="submit" { (ctx.t("admin-user-reset-password")) }
            }
            h2 { (ctx.t("admin-users-col-status")) }
            @if user.disabled {
                form method="post" action={ "/admin/users/" (user.id) "/enable" } { (ctx.csrf()) button.secondary type="submit" { (ctx.t("admin-user-enable")) } }
            } @else {
                form method="post" action={ "/admin/users/" (user.id) "/disable" } { (ctx.csrf()) button.secondary type="submit" { (ctx.t("admin-user-disable")) } }
            }
            form method="post" action={ "/admin/users/" (user.id) "/unlock" } { (ctx.csrf()) button.secondary type="submit" { (ctx.t("admin-user-unlock")) } }
            @if user.has_totp {
                form method="post" action={ "/admin/users/" (user.id) "/remove-2fa" } { (ctx.csrf()) button.secondary type="submit" { (ctx.t("admin-user-remove-2fa")) } }
            }
        }
    };
    let mut response = super::private_page(page(
        &ctx,
        &ctx.ta("admin-user-title", &[("username", &user.username)]),
        body,
    ));
    *response.status_mut() = status;
    Ok(response)
}

pub async fn user(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    signed_in.require(Action::UserList)?;
    let user = load_user(&state, id).await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let notice = super::notice_from_query(&query).map(|id| ctx.t(id));
    user_page(&state, &signed_in, &user, notice, StatusCode::OK).await
}

fn refuse_self(signed_in: &SignedIn, user: &User) -> Result<(), AppError> {
    if signed_in.user.id == user.id {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "self_demotion",
            "admin-user-self-demote",
        ));
    }
    Ok(())
}

pub async fn set_roles(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    signed_in.require(Action::UserSetRoles)?;
    let user = load_user(&state, id).await?;
    let roles = roles_from(&pairs)?;
    if signed_in.user.id == user.id && !roles.contains(Role::Administrator) {
        refuse_self(&signed_in, &user)?;
    }
    accounts::set_roles(state.db(), id, roles).await?;
    state
        .record(
            NewEntry::new(&actor(&signed_in), AuditAction::UserRolesChanged, format!("user:{id}"))
                .source(signed_in.visitor.ip.clone())
                .data_hash(&accounts::user_digest(state.db(), id).await?)
                .details(serde_json::json!({ "username": user.username, "from": user.roles.to_codes(), "to": roles.to_codes() })),
        )
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?notice=admin-user-roles-saved")).into_response())
}

pub async fn reset_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed_in.require(Action::UserResetPassword)?;
    let user = load_user(&state, id).await?;
    let password = crate::password::generate_temporary_password();
    let hash = state.passwords().hash(password.clone()).await?;
    accounts::set_password(state.db(), id, &hash, true).await?;
    accounts::clear_login_failures(state.db(), &user.username).await?;
    state
        .record(
            NewEntry::new(
                &actor(&signed_in),
                AuditAction::UserPasswordSetByAdmin,
                format!("user:{id}"),
            )
            .source(signed_in.visitor.ip.clone())
            .data_hash(&accounts::user_digest(state.db(), id).await?)
            .details(serde_json::json!({ "username": user.username, "temporary": true })),
        )
        .await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let user = load_user(&state, id).await?;
    // Shown once, in this response only: never in a URL, never logged.
    user_page(
        &state,
        &signed_in,
        &user,
        Some(ctx.ta("admin-user-temp-password", &[("password", &password)])),
        StatusCode::OK,
    )
    .await
}

async fn set_disabled(
    state: AppState,
    signed_in: SignedIn,
    id: i64,
    disabled: bool,
) -> Result<Response, AppError> {
    signed_in.require(Action::UserDisable)?;
    let user = load_user(&state, id).await?;
    if disabled {
        refuse_self(&signed_in, &user)?;
    }
    accounts::set_disabled(state.db(), id, disabled).await?;
    let action = if disabled {
        AuditAction::UserDisabled
    } else {
        AuditAction::UserEnabled
    };
    state
        .record(
            NewEntry::new(&actor(&signed_in), action, format!("user:{id}"))
                .source(signed_in.visitor.ip.clone())
                .data_hash(&accounts::user_digest(state.db(), id).await?)
                .details(serde_json::json!({ "username": user.username })),
        )
        .await?;
    let notice = if disabled {
        "admin-user-disabled"
    } else {
        "admin-user-enabled"
    };
    Ok(Redirect::to(&format!("/admin/users/{id}?notice={notice}")).into_response())
}

pub async fn disable(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    set_disabled(state, signed_in, id, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    set_disabled(state, signed_in, id, false).await
}

pub async fn unlock(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed_in.require(Action::UserDisable)?;
    let user = load_user(&state, id).await?;
    accounts::clear_login_failures(state.db(), &user.username).await?;
    state
        .record(
            NewEntry::new(
                &actor(&signed_in),
                AuditAction::UserUnlocked,
                format!("user:{id}"),
            )
            .source(signed_in.visitor.ip.clone())
            .data_hash(&accounts::user_digest(state.db(), id).await?)
            .details(serde_json::json!({ "username": user.username })),
        )
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?notice=admin-user-unlocked")).into_response())
}

pub async fn remove_two_factor(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed_in.require(Action::UserResetPassword)?;
    let user = load_user(&state, id).await?;
    accounts::set_totp_secret(state.db(), id, None).await?;
    // Sessions end too, so a stolen session cannot outlive the reset.
    accounts::delete_user_sessions(state.db(), id, None).await?;
    state
        .record(
            NewEntry::new(
                &actor(&signed_in),
                AuditAction::TwoFactorDisabled,
                format!("user:{id}"),
            )
            .source(signed_in.visitor.ip.clone())
            .data_hash(&accounts::user_digest(state.db(), id).await?)
            .details(serde_json::json!({ "username": user.username, "by_admin": true })),
        )
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?notice=admin-user-2fa-removed")).into_response())
}
