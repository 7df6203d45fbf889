//! A user's own account: overview, password, second factor; the staff home.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use congso_core::access::{Action, Role};
use congso_core::audit::{Actor, AuditAction};
use congso_store::accounts::{self, SessionStage};
use congso_store::ledger::NewEntry;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use crate::error::AppError;
use crate::layout::{page, Ctx};
use crate::session::{self, EnrollingOrSignedIn, SignedIn};
use crate::AppState;

use super::auth::totp_context;

/// Checks a new password and its confirmation; returns the message to show.
pub fn validate_new_password(
    ctx: &Ctx<'_>,
    password: &str,
    confirm: &str,
    username: &str,
) -> Result<(), String> {
    if password != confirm {
        return Err(ctx.t("password-mismatch"));
    }
    crate::password::check_policy(password, username).map_err(|violation| {
        let args: Vec<(&str, &str)> = violation
            .args
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        ctx.ta(violation.message_id, &args)
    })
}

pub async fn overview(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    signed_in.require(Action::AccountView)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let user = &signed_in.user;
    let notice = super::notice_from_query(&query);
    let body = html! {
        h1 { (ctx.t("account-title")) }
        @if let Some(id) = notice { div.notice role="status" { (ctx.t(id)) } }
        dl.facts {
            dt { (ctx.t("account-name")) } dd { (user.display_name) }
            dt { (ctx.t("account-username")) } dd { code { (user.username) } }
            dt { (ctx.t("account-email")) } dd { (user.email.as_deref().unwrap_or("—")) }
            dt { (ctx.t("account-roles")) } dd { (user.roles.iter().map(|role| ctx.role_name(role)).collect::<Vec<_>>().join(", ")) }
            dt { (ctx.t("account-2fa")) } dd { (if user.has_totp { ctx.t("account-2fa-on") } else { ctx.t("account-2fa-off") }) }
        }
        h2 { (ctx.t("account-password-title")) }
        p { a href="/account/password" { (ctx.t("account-password-title")) } }
        @if user.roles.permits(Action::ApiTokenManage) {
            p { a href="/account/api-tokens" { (ctx.t("api-tokens-title")) } }
        }
        h2 { (ctx.t("account-2fa")) }
        @if user.has_totp {
            @if user.roles.contains(Role::Administrator) {
                p.muted { (ctx.t("account-2fa-admin-cannot-disable")) }
            } @else {
                form.stack method="post" action="/account/2fa/disable" {
                    (ctx.csrf())
                    label for="disable-password" { (ctx.t("account-password-current")) }
                    input #disable-password type="password" name="current" autocomplete="current-password" required maxlength="256";
                    button.secondary type="submit" { (ctx.t("account-2fa-disable")) }
                }
            }
        } @else {
            p { a href="/account/2fa" { (ctx.t("account-2fa-setup")) } }
        }
    };
    Ok(super::private_page(page(
        &ctx,
        &ctx.t("account-title"),
        body,
    )))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

fn password_page(ctx: &Ctx<'_>, must_change: bool, problem: Option<String>) -> Markup {
    let body = html! {
        h1 { (ctx.t("account-password-title")) }
        @if must_change { div.warning role="status" { (ctx.t("account-password-must-change")) } }
        @if let Some(problem) = &problem { div.error-box role="alert" { (problem) } }
        form.stack method="post" action="/account/password" {
            (ctx.csrf())
            label for="current" { (ctx.t("account-password-current")) }
            input #current type="password" name="current" autocomplete="current-password" required maxlength="256";
            label for="password" { (ctx.t("account-password-new")) }
            input #password type="password" name="password" autocomplete="new-password" required minlength="10" maxlength="256";
            label for="confirm" { (ctx.t("account-password-confirm")) }
            input #confirm type="password" name="confirm" autocomplete="new-password" required minlength="10" maxlength="256";
            button type="submit" { (ctx.t("account-password-submit")) }
        }
    };
    page(ctx, &ctx.t("account-password-title"), body)
}

pub async fn password_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    signed_in.require(Action::AccountChangePassword)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    Ok(super::private_page(password_page(
        &ctx,
        signed_in.user.must_change_password,
        None,
    )))
}

pub async fn change_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    signed_in.require(Action::AccountChangePassword)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let user = &signed_in.user;
    let refuse = |problem: String| {
        let mut response = super::private_page(password_page(
            &ctx,
            user.must_change_password,
            Some(problem),
        ));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response
    };
    let credentials = accounts::credentials_by_id(state.db(), user.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !state
        .passwords()
        .verify(form.current, Some(credentials.password_hash))
        .await
    {
        return Ok(refuse(ctx.t("account-password-wrong")));
    }
    if let Err(problem) = validate_new_password(&ctx, &form.password, &form.confirm, &user.username)
    {
        return Ok(refuse(problem));
    }
    let hash = state.passwords().hash(form.password).await?;
    // Changing the password ends every session; this one continues under a
    // fresh token so the user stays signed in.
    accounts::set_password(state.db(), user.id, &hash, false).await?;
    state
        .record(
            NewEntry::new(
                &Actor::User(user.username.clone()),
                AuditAction::PasswordChanged,
                format!("user:{}", user.id),
            )
            .source(signed_in.visitor.ip.clone()),
        )
        .await?;
    continue_session(
        &state,
        &signed_in.visitor,
        user.id,
        SessionStage::Full,
        "/account?notice=account-password-changed",
    )
    .await
}

/// Starts a fresh full session for the same user and redirects.
async fn continue_session(
    state: &AppState,
    visitor: &crate::session::Visitor,
    user_id: i64,
    stage: SessionStage,
    target: &str,
) -> Result<Response, AppError> {
    let token = session::new_token();
    let now = congso_store::now();
    accounts::create_session(
        state.db(),
        &accounts::NewSession {
            id_hash: &session::token_hash(&token),
            user_id,
            stage,
            expires_at: now.plus_seconds(state.settings().session_idle.as_secs() as i64),
            ip: &visitor.ip,
            user_agent: &visitor.user_agent,
        },
    )
    .await?;
    let mut response = Redirect::to(target).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(state, session::SESSION_COOKIE, &token, None),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct EnableForm {
    #[serde(default)]
    pending: String,
    #[serde(default)]
    code: String,
}

fn two_factor_page(
    ctx: &Ctx<'_>,
    state: &AppState,
    user_id: i64,
    username: &str,
    required: bool,
    secret: &str,
    problem: Option<String>,
) -> Result<Markup, AppError> {
    // The secret being enrolled travels in the form, sealed to this account,
    // so nothing half-enrolled is ever stored.
    let sealed = state
        .sealer()
        .seal(secret.as_bytes(), &pending_context(user_id))?;
    let issuer = state.agency_name().unwrap_or_else(|| "congso".to_owned());
    let uri = crate::totp::provisioning_uri(secret, username, &issuer).unwrap_or_default();
    let qr = crate::totp::qr_svg(&uri).unwrap_or_default();
    Ok(html! {
        h1 { (ctx.t("account-2fa-setup")) }
        @if required { div.warning role="status" { (ctx.t("account-2fa-required")) } }
        @if let Some(problem) = &problem { div.error-box role="alert" { (problem) } }
        p #totp-help { (ctx.t("account-2fa-scan")) }
        div.qr role="img" aria-label=(ctx.t("account-2fa-qr")) { (PreEscaped(qr)) }
        dl.facts {
            dt { (ctx.t("account-2fa-secret")) } dd { code #totp-secret { (secret) } }
        }
        form.stack method="post" action="/account/2fa" {
            (ctx.csrf())
            input type="hidden" name="pending" value=(URL_SAFE_NO_PAD.encode(sealed));
            label for="code" { (ctx.t("login-code")) }
            input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required aria-describedby="totp-help";
            button type="submit" { (ctx.t("login-verify")) }
        }
    })
}

fn pending_context(user_id: i64) -> String {
    format!("users/{user_id}/totp-pending")
}

pub async fn two_factor_form(
    State(state): State<AppState>,
    session: EnrollingOrSignedIn,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &session.visitor);
    if session.user.has_totp {
        return Ok(Redirect::to("/account").into_response());
    }
    let secret = crate::totp::generate_secret();
    let required = session.stage == SessionStage::EnrollSecondFactor;
    let body = two_factor_page(
        &ctx,
        &state,
        session.user.id,
        &session.user.username,
        required,
        &secret,
        None,
    )?;
    Ok(super::private_page(page(
        &ctx,
        &ctx.t("account-2fa-setup"),
        body,
    )))
}

pub async fn enable_two_factor(
    State(state): State<AppState>,
    session: EnrollingOrSignedIn,
    Form(form): Form<EnableForm>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &session.visitor);
    let user = &session.user;
    if user.has_totp {
        return Ok(Redirect::to("/account").into_response());
    }
    let sealed = URL_SAFE_NO_PAD
        .decode(form.pending.trim())
        .map_err(|_| AppError::bad_request("pending secret is not base64"))?;
    let secret = state
        .sealer()
        .open(&sealed, &pending_context(user.id))
        .map_err(|_| AppError::bad_request("pending secret does not belong to this account"))?;
    let secret = String::from_utf8(secret)
        .map_err(|_| AppError::bad_request("pending secret is not text"))?;
    let now = congso_store::now();
    let Some(step) = crate::totp::verify(&secret, &form.code, now.unix_seconds().max(0) as u64)
    else {
        let required = session.stage == SessionStage::EnrollSecondFactor;
        let body = two_factor_page(
            &ctx,
            &state,
            user.id,
            &user.username,
            required,
            &secret,
            Some(ctx.t("login-code-wrong")),
        )?;
        let mut response = super::private_page(page(&ctx, &ctx.t("account-2fa-setup"), body));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(response);
    };
    let stored = state
        .sealer()
        .seal(secret.as_bytes(), &totp_context(user.id))?;
    accounts::set_totp_secret(state.db(), user.id, Some(&stored)).await?;
    accounts::claim_totp_step(state.db(), user.id, step).await?;
    state
        .record(
            NewEntry::new(
                &Actor::User(user.username.clone()),
                AuditAction::TwoFactorEnabled,
                format!("user:{}", user.id),
            )
            .source(session.visitor.ip.clone()),
        )
        .await?;
    if session.stage == SessionStage::EnrollSecondFactor {
        // The administrator has now passed both factors: finish the login.
        state
            .record(
                NewEntry::new(
                    &Actor::User(user.username.clone()),
                    AuditAction::LoginSuccess,
                    format!("user:{}", user.id),
                )
                .source(session.visitor.ip.clone())
                .details(serde_json::json!({ "second_factor": "totp-enrolled" })),
            )
            .await?;
    }
    accounts::delete_session(state.db(), &session.token_hash).await?;
    continue_session(
        &state,
        &session.visitor,
        user.id,
        SessionStage::Full,
        "/account?notice=account-2fa-enabled",
    )
    .await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    current: String,
}

pub async fn disable_two_factor(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    signed_in.require(Action::AccountManageTwoFactor)?;
    if signed_in.is_admin() {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "admin_requires_2fa",
            "account-2fa-admin-cannot-disable",
        ));
    }
    let user = &signed_in.user;
    // Removing a factor needs the password again, so a stolen session alone
    // cannot weaken the account.
    let credentials = accounts::credentials_by_id(state.db(), user.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !state
        .passwords()
        .verify(form.current, Some(credentials.password_hash))
        .await
    {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "wrong_password",
            "account-password-wrong",
        ));
    }
    accounts::set_totp_secret(state.db(), user.id, None).await?;
    state
        .record(
            NewEntry::new(
                &Actor::User(user.username.clone()),
                AuditAction::TwoFactorDisabled,
                format!("user:{}", user.id),
            )
            .source(signed_in.visitor.ip.clone()),
        )
        .await?;
    Ok(Redirect::to("/account?notice=account-2fa-disabled").into_response())
}

pub async fn staff_home(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    if !signed_in.user.roles.permits(Action::StaffAreaView) {
        // Citizens land on their own account page instead.
        return Ok(Redirect::to("/account").into_response());
    }
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let user = &signed_in.user;
    let body = html! {
        h1 { (ctx.ta("staff-hello", &[("name", &user.display_name)])) }
        p { (ctx.t("staff-intro")) }
        h2 { (ctx.t("staff-your-roles")) }
        ul { @for role in user.roles.iter() { li { (ctx.role_name(role)) } } }
        ul {
            @if user.roles.permits(Action::DocumentView) { li { a href="/documents" { (ctx.t("nav-documents")) } } }
            @if user.roles.permits(Action::PortalEdit) || user.roles.permits(Action::PortalPublish) { li { a href="/staff/portal" { (ctx.t("nav-portal-admin")) } } }
            @if user.roles.permits(Action::DataServiceCall) || user.roles.permits(Action::DataServiceLogView) { li { a href="/staff/data-services" { (ctx.t("nav-data-services")) } } }
            @if user.roles.permits(Action::UserList) { li { a href="/admin/users" { (ctx.t("nav-admin-users")) } } }
            @if user.roles.permits(Action::LedgerViewEntries) { li { a href="/admin/ledger" { (ctx.t("nav-admin-ledger")) } } }
            @if user.roles.permits(Action::DocumentWorkflowManage) { li { a href="/documents/workflow" { (ctx.t("wf-title")) } } }
            li { a href="/account" { (ctx.t("nav-account")) } }
        }
    };
    Ok(super::private_page(page(&ctx, &ctx.t("staff-title"), body)))
}
