//! Login (password, then TOTP), logout and self-service password reset.
//!
//! No message reveals whether an account exists: a wrong name, a wrong
//! password and a disabled account all read the same, throttling is keyed by
//! the name typed whether or not it exists, and unknown names still cost one
//! Argon2id verification.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use congso_core::access::Role;
use congso_core::audit::{Actor, AuditAction};
use congso_core::time::Timestamp;
use congso_store::accounts::{self, NewSession, SessionStage};
use congso_store::ledger::NewEntry;
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::AppError;
use crate::layout::{page, Ctx};
use crate::session::{self, Visitor};
use crate::AppState;

/// Failed attempts allowed before delays start.
const FREE_ATTEMPTS: i64 = 3;
/// Longest delay between attempts before the lockout.
const MAX_DELAY_SECONDS: i64 = 60;

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

fn safe_next(next: &str) -> &str {
    super::local_path(next).unwrap_or("/staff")
}

fn login_page(
    ctx: &Ctx<'_>,
    username: &str,
    next: &str,
    problem: Option<String>,
    notice: Option<&str>,
) -> Markup {
    let body = html! {
        h1 { (ctx.t("login-title")) }
        @if let Some(id) = notice { div.notice role="status" { (ctx.t(id)) } }
        @if let Some(problem) = &problem { div.error-box role="alert" #login-error { (problem) } }
        form.stack method="post" action="/login" {
            (ctx.csrf())
            input type="hidden" name="next" value=(next);
            label for="username" { (ctx.t("login-username")) }
            input #username type="text" name="username" value=(username) autocomplete="username"
                autocapitalize="none" spellcheck="false" required maxlength="64"
                aria-describedby=[problem.as_ref().map(|_| "login-error")];
            label for="password" { (ctx.t("login-password")) }
            input #password type="password" name="password" autocomplete="current-password" required maxlength="256";
            button type="submit" { (ctx.t("login-submit")) }
        }
        p { a href="/password-reset" { (ctx.t("login-forgot")) } }
    };
    page(ctx, &ctx.t("login-title"), body)
}

pub async fn login_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if visitor.user().is_some() {
        return Redirect::to("/staff").into_response();
    }
    let ctx = Ctx::new(&state, &visitor);
    let next = query.get("next").map(String::as_str).unwrap_or("/staff");
    let notice = super::notice_from_query(&query);
    super::private_page(login_page(&ctx, "", safe_next(next), None, notice))
}

/// The login name as a throttling key, bounded and normalised. Control
/// characters become U+FFFD: no login name contains one, and PostgreSQL
/// refuses NUL in text, so they must not reach a query as typed.
fn throttle_subject(username: &str) -> String {
    username
        .trim()
        .to_lowercase()
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// Seconds the visitor must still wait, or the lockout, for this subject.
enum Gate {
    Open,
    Wait(i64),
    Locked(i64),
}

async fn gate(state: &AppState, subject: &str, now: Timestamp) -> Result<Gate, AppError> {
    let Some(throttle) = accounts::throttle(state.db(), subject).await? else {
        return Ok(Gate::Open);
    };
    if let Some(until) = throttle.locked_until {
        if until > now.micros() {
            return Ok(Gate::Locked((until - now.micros()) / 60_000_000 + 1));
        }
    }
    if throttle.failures >= FREE_ATTEMPTS {
        let delay = (1i64 << (throttle.failures - FREE_ATTEMPTS).min(6)).min(MAX_DELAY_SECONDS);
        let ready_at = throttle.last_failure_at + delay * 1_000_000;
        if ready_at > now.micros() {
            return Ok(Gate::Wait((ready_at - now.micros()) / 1_000_000 + 1));
        }
    }
    Ok(Gate::Open)
}

fn gate_message(ctx: &Ctx<'_>, gate: &Gate) -> Option<String> {
    match gate {
        Gate::Open => None,
        Gate::Wait(seconds) => {
            Some(ctx.ta("login-throttled", &[("seconds", &seconds.to_string())]))
        }
        Gate::Locked(minutes) => Some(ctx.ta("login-locked", &[("minutes", &minutes.to_string())])),
    }
}

async fn record_failure(
    state: &AppState,
    visitor: &Visitor,
    subject: &str,
    reason: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    let settings = state.settings();
    let throttle = accounts::record_login_failure(
        state.db(),
        subject,
        now,
        settings.login_max_failures,
        settings.login_lockout.as_secs() as i64,
    )
    .await?;
    let locked = throttle
        .locked_until
        .is_some_and(|until| until > now.micros());
    state
        .record(
            NewEntry::new(&Actor::Anonymous(Some(subject.to_owned())), AuditAction::LoginFailure, format!("login:{subject}"))
                .source(visitor.ip.clone())
                .details(serde_json::json!({ "reason": reason, "failures": throttle.failures, "locked": locked })),
        )
        .await?;
    if locked && throttle.failures == settings.login_max_failures {
        state
            .record(
                NewEntry::new(
                    &Actor::System,
                    AuditAction::LoginLockedOut,
                    format!("login:{subject}"),
                )
                .source(visitor.ip.clone())
                .details(
                    serde_json::json!({ "lockout_seconds": settings.login_lockout.as_secs() }),
                ),
            )
            .await?;
    }
    Ok(())
}

/// Starts a session at `stage` and sets its cookie on `response`.
async fn start_session(
    state: &AppState,
    visitor: &Visitor,
    user_id: i64,
    stage: SessionStage,
    mut response: Response,
) -> Result<Response, AppError> {
    let token = session::new_token();
    let now = congso_store::now();
    let settings = state.settings();
    let lifetime = if stage == SessionStage::Full {
        settings.session_idle
    } else {
        std::time::Duration::from_secs(600)
    };
    accounts::create_session(
        state.db(),
        &NewSession {
            id_hash: &session::token_hash(&token),
            user_id,
            stage,
            expires_at: now.plus_seconds(lifetime.as_secs() as i64),
            ip: &visitor.ip,
            user_agent: &visitor.user_agent,
        },
    )
    .await?;
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(state, session::SESSION_COOKIE, &token, None),
    );
    Ok(response)
}

pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &visitor);
    let now = congso_store::now();
    let subject = throttle_subject(&form.username);
    let next = safe_next(&form.next).to_owned();
    let refuse = |problem: String| {
        let mut response =
            super::private_page(login_page(&ctx, &form.username, &next, Some(problem), None));
        *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
        response
    };
    if subject.is_empty() || form.password.is_empty() {
        return Ok(refuse(ctx.t("login-failed")));
    }
    let gate_state = gate(&state, &subject, now).await?;
    if let Some(message) = gate_message(&ctx, &gate_state) {
        record_failure(&state, &visitor, &subject, "throttled", now).await?;
        let mut response = refuse(message);
        *response.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
        return Ok(response);
    }
    let credentials = accounts::find_credentials(state.db(), &subject).await?;
    let password_ok = state
        .passwords()
        .verify(
            form.password
                .chars()
                .take(crate::password::MAX_LENGTH)
                .collect(),
            credentials.as_ref().map(|c| c.password_hash.clone()),
        )
        .await;
    let credentials = match credentials {
        Some(credentials) if password_ok && !credentials.user.disabled => credentials,
        Some(credentials) if password_ok => {
            let _ = credentials;
            record_failure(&state, &visitor, &subject, "account disabled", now).await?;
            return Ok(refuse(ctx.t("login-failed")));
        }
        Some(_) => {
            record_failure(&state, &visitor, &subject, "wrong password", now).await?;
            return Ok(refuse(ctx.t("login-failed")));
        }
        None => {
            record_failure(&state, &visitor, &subject, "unknown account", now).await?;
            return Ok(refuse(ctx.t("login-failed")));
        }
    };
    accounts::clear_login_failures(state.db(), &subject).await?;
    let user = &credentials.user;
    let (stage, target) = if user.has_totp {
        (
            SessionStage::SecondFactor,
            format!(
                "/login/2fa?{}",
                serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default()
            ),
        )
    } else if user.roles.contains(Role::Administrator) {
        (SessionStage::EnrollSecondFactor, "/account/2fa".to_owned())
    } else {
        (SessionStage::Full, next.clone())
    };
    if stage == SessionStage::Full {
        state
            .record(
                NewEntry::new(
                    &Actor::User(user.username.clone()),
                    AuditAction::LoginSuccess,
                    format!("user:{}", user.id),
                )
                .source(visitor.ip.clone())
                .details(serde_json::json!({ "second_factor": "none" })),
            )
            .await?;
    }
    start_session(
        &state,
        &visitor,
        user.id,
        stage,
        Redirect::to(&target).into_response(),
    )
    .await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

fn second_factor_page(ctx: &Ctx<'_>, next: &str, problem: Option<String>) -> Markup {
    let body = html! {
        h1 { (ctx.t("login-second-title")) }
        @if let Some(problem) = &problem { div.error-box role="alert" #code-error { (problem) } }
        p #code-help { (ctx.t("login-second-intro")) }
        form.stack method="post" action="/login/2fa" {
            (ctx.csrf())
            input type="hidden" name="next" value=(next);
            label for="code" { (ctx.t("login-code")) }
            input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code"
                pattern="[0-9 ]{6,7}" maxlength="7" required aria-describedby="code-help";
            button type="submit" { (ctx.t("login-verify")) }
        }
    };
    page(ctx, &ctx.t("login-second-title"), body)
}

pub async fn second_factor_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match &visitor.session {
        Some(session) if session.stage == SessionStage::SecondFactor => {
            let ctx = Ctx::new(&state, &visitor);
            let next = safe_next(query.get("next").map(String::as_str).unwrap_or("/staff"));
            super::private_page(second_factor_page(&ctx, next, None))
        }
        Some(_) => Redirect::to("/staff").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

pub async fn second_factor(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let Some(session) = visitor
        .session
        .clone()
        .filter(|s| s.stage == SessionStage::SecondFactor)
    else {
        return Ok(Redirect::to("/login").into_response());
    };
    let ctx = Ctx::new(&state, &visitor);
    let now = congso_store::now();
    let user = &session.user;
    let subject = throttle_subject(&user.username);
    let next = safe_next(&form.next).to_owned();
    let gate_state = gate(&state, &subject, now).await?;
    if let Some(message) = gate_message(&ctx, &gate_state) {
        if matches!(gate_state, Gate::Locked(_)) {
            accounts::delete_session(state.db(), &session.token_hash).await?;
        }
        let mut response = super::private_page(second_factor_page(&ctx, &next, Some(message)));
        *response.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
        return Ok(response);
    }
    let credentials = accounts::credentials_by_id(state.db(), user.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let secret = match &credentials.totp_secret_sealed {
        Some(sealed) => String::from_utf8(state.sealer().open(sealed, &totp_context(user.id))?)
            .unwrap_or_default(),
        None => return Ok(Redirect::to("/login").into_response()),
    };
    let step = crate::totp::verify(&secret, &form.code, now.unix_seconds().max(0) as u64);
    let accepted = match step {
        Some(step) => accounts::claim_totp_step(state.db(), user.id, step).await?,
        None => false,
    };
    if !accepted {
        record_failure(&state, &visitor, &subject, "wrong second factor", now).await?;
        state
            .record(
                NewEntry::new(
                    &Actor::User(user.username.clone()),
                    AuditAction::TwoFactorFailure,
                    format!("user:{}", user.id),
                )
                .source(visitor.ip.clone()),
            )
            .await?;
        let mut response = super::private_page(second_factor_page(
            &ctx,
            &next,
            Some(ctx.t("login-code-wrong")),
        ));
        *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
        return Ok(response);
    }
    accounts::clear_login_failures(state.db(), &subject).await?;
    let token = session::new_token();
    accounts::promote_session(
        state.db(),
        &session.token_hash,
        &session::token_hash(&token),
        SessionStage::Full,
    )
    .await?;
    let settings = state.settings();
    accounts::touch_session(
        state.db(),
        &session::token_hash(&token),
        now,
        now.plus_seconds(settings.session_idle.as_secs() as i64),
    )
    .await?;
    state
        .record(
            NewEntry::new(
                &Actor::User(user.username.clone()),
                AuditAction::LoginSuccess,
                format!("user:{}", user.id),
            )
            .source(visitor.ip.clone())
            .details(serde_json::json!({ "second_factor": "totp" })),
        )
        .await?;
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&state, session::SESSION_COOKIE, &token, None),
    );
    Ok(response)
}

/// The sealing context of a user's TOTP secret (binds it to the account).
pub fn totp_context(user_id: i64) -> String {
    format!("users/{user_id}/totp")
}

pub async fn logout(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    if let Some(session) = &visitor.session {
        accounts::delete_session(state.db(), &session.token_hash).await?;
        state
            .record(
                NewEntry::new(
                    &Actor::User(session.user.username.clone()),
                    AuditAction::Logout,
                    format!("user:{}", session.user.id),
                )
                .source(visitor.ip.clone()),
            )
            .await?;
    }
    let mut response = Redirect::to("/login?notice=logged-out").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::clear_cookie(&state, session::SESSION_COOKIE),
    );
    Ok(response)
}

// ------------------------------------------------------------------ password reset

#[derive(Deserialize)]
pub struct ResetRequestForm {
    #[serde(default)]
    identifier: String,
}

fn reset_request_page(ctx: &Ctx<'_>, sent: bool) -> Markup {
    let body = html! {
        h1 { (ctx.t("reset-title")) }
        @if sent { div.notice role="status" { (ctx.t("reset-sent")) } }
        p #reset-help { (ctx.t("reset-intro")) }
        form.stack method="post" action="/password-reset" {
            (ctx.csrf())
            label for="identifier" { (ctx.t("reset-identifier")) }
            input #identifier type="text" name="identifier" autocomplete="username" required maxlength="254" aria-describedby="reset-help";
            button type="submit" { (ctx.t("reset-submit")) }
        }
    };
    page(ctx, &ctx.t("reset-title"), body)
}

pub async fn reset_request_form(State(state): State<AppState>, visitor: Visitor) -> Response {
    let ctx = Ctx::new(&state, &visitor);
    super::private_page(reset_request_page(&ctx, false))
}

pub async fn reset_request(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<ResetRequestForm>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &visitor);
    let identifier = form.identifier.trim().to_lowercase();
    let account = if identifier.contains('@') {
        accounts::list_users(state.db())
            .await?
            .into_iter()
            .find(|user| {
                user.email.as_deref().map(str::to_lowercase).as_deref() == Some(identifier.as_str())
            })
    } else if identifier.is_empty() || identifier.chars().any(char::is_control) {
        // No login name contains a control character (and PostgreSQL
        // refuses NUL in a query), so such an identifier names nobody.
        None
    } else {
        accounts::find_credentials(state.db(), &identifier)
            .await?
            .map(|c| c.user)
    };
    if let Some(user) = account.filter(|user| !user.disabled) {
        if let Some(email) = &user.email {
            let token = session::new_token();
            let now = congso_store::now();
            accounts::create_password_reset(
                state.db(),
                &session::token_hash(&token),
                user.id,
                now.plus_seconds(30 * 60),
            )
            .await?;
            let link = format!(
                "{}/password-reset/{token}",
                state.settings().public_url.trim_end_matches('/')
            );
            let lang = user
                .language
                .as_deref()
                .and_then(crate::Lang::from_code)
                .unwrap_or(visitor.lang);
            let i18n = state.i18n();
            congso_store::mail::enqueue(
                state.db(),
                email,
                &i18n.tr(lang, "reset-mail-subject"),
                &i18n.tr_args(
                    lang,
                    "reset-mail-body",
                    &[
                        ("name", &user.display_name),
                        ("username", &user.username),
                        ("link", &link),
                    ],
                ),
            )
            .await?;
            state
                .record(
                    NewEntry::new(
                        &Actor::Anonymous(None),
                        AuditAction::PasswordResetRequested,
                        format!("user:{}", user.id),
                    )
                    .source(visitor.ip.clone()),
                )
                .await?;
        }
    }
    // The same answer whether or not the account exists.
    Ok(super::private_page(reset_request_page(&ctx, true)))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

fn reset_page(ctx: &Ctx<'_>, token: &str, problem: Option<String>) -> Markup {
    let body = html! {
        h1 { (ctx.t("reset-new-title")) }
        @if let Some(problem) = &problem { div.error-box role="alert" { (problem) } }
        form.stack method="post" action={ "/password-reset/" (token) } {
            (ctx.csrf())
            label for="password" { (ctx.t("account-password-new")) }
            input #password type="password" name="password" autocomplete="new-password" required minlength="10" maxlength="256";
            label for="confirm" { (ctx.t("account-password-confirm")) }
            input #confirm type="password" name="confirm" autocomplete="new-password" required minlength="10" maxlength="256";
            button type="submit" { (ctx.t("account-password-submit")) }
        }
    };
    page(ctx, &ctx.t("reset-new-title"), body)
}

pub async fn reset_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &visitor);
    let valid = token.len() <= 64
        && accounts::peek_password_reset(
            state.db(),
            &session::token_hash(&token),
            congso_store::now(),
        )
        .await?
        .is_some();
    if !valid {
        return Err(AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "reset_invalid",
            "reset-invalid",
        ));
    }
    Ok(super::private_page(reset_page(&ctx, &token, None)))
}

pub async fn reset(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &visitor);
    let now = congso_store::now();
    let token_hash = session::token_hash(&token);
    let Some(user_id) = accounts::peek_password_reset(state.db(), &token_hash, now).await? else {
        return Err(AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "reset_invalid",
            "reset-invalid",
        ));
    };
    let user = accounts::get_user(state.db(), user_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if let Err(problem) =
        super::account::validate_new_password(&ctx, &form.password, &form.confirm, &user.username)
    {
        let mut response = super::private_page(reset_page(&ctx, &token, Some(problem)));
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        return Ok(response);
    }
    if accounts::consume_password_reset(state.db(), &token_hash, now)
        .await?
        .is_none()
    {
        return Err(AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "reset_invalid",
            "reset-invalid",
        ));
    }
    let hash = state.passwords().hash(form.password).await?;
    accounts::set_password(state.db(), user_id, &hash, false).await?;
    accounts::clear_login_failures(state.db(), &user.username).await?;
    state
        .record(
            NewEntry::new(
                &Actor::Anonymous(None),
                AuditAction::PasswordResetCompleted,
                format!("user:{user_id}"),
            )
            .source(visitor.ip.clone()),
        )
        .await?;
    Ok(Redirect::to("/login?notice=reset-done").into_response())
}
