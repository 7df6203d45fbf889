//! Route table and the pages behind it.

mod account;
mod admin;
mod api_tokens;
mod auth;
pub(crate) mod data_services;
pub(crate) mod documents;
mod ledger;
mod ops;
mod pki;
pub(crate) mod portal_admin;
mod public;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

use crate::error::ErrorPage;
use crate::layout::{page, Ctx};
use crate::session::Visitor;
use crate::AppState;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/lang/{code}", get(public::switch_language))
        .route("/static/{file}", get(public::static_file))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/login", get(auth::login_form).post(auth::login))
        .route(
            "/login/2fa",
            get(auth::second_factor_form).post(auth::second_factor),
        )
        .route("/logout", post(auth::logout))
        .route(
            "/password-reset",
            get(auth::reset_request_form).post(auth::reset_request),
        )
        .route(
            "/password-reset/{token}",
            get(auth::reset_form).post(auth::reset),
        )
        .route("/account", get(account::overview))
        .route(
            "/account/api-tokens",
            get(api_tokens::list).post(api_tokens::create),
        )
        .route("/account/api-tokens/{id}/revoke", post(api_tokens::revoke))
        .route(
            "/account/password",
            get(account::password_form).post(account::change_password),
        )
        .route(
            "/account/2fa",
            get(account::two_factor_form).post(account::enable_two_factor),
        )
        .route("/account/2fa/disable", post(account::disable_two_factor))
        .route("/staff", get(account::staff_home))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/new", get(admin::new_user_form))
        .route("/admin/users/{id}", get(admin::user))
        .route("/admin/users/{id}/roles", post(admin::set_roles))
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route("/admin/users/{id}/disable", post(admin::disable))
        .route("/admin/users/{id}/enable", post(admin::enable))
        .route("/admin/users/{id}/unlock", post(admin::unlock))
        .route(
            "/admin/users/{id}/remove-2fa",
            post(admin::remove_two_factor),
        )
        .route(
            "/admin/ledger",
            get(ledger::admin_overview).post(ledger::admin_checkpoint),
        )
        .route("/admin/ledger/{seq}", get(ledger::admin_entry))
        .route("/ledger/checkpoint", get(ledger::checkpoint))
        .route("/ledger/key", get(ledger::key))
        .route("/ledger/proof/inclusion", get(ledger::inclusion))
        .route("/ledger/proof/consistency", get(ledger::consistency))
        .route("/pki/ca.pem", get(pki::ca_certificate))
        .route("/pki/crl", get(pki::crl))
        .route("/tsa", post(pki::timestamp))
        .merge(documents::routes(state.settings().upload_limit))
        .merge(portal_admin::routes())
        .merge(data_services::routes())
        .fallback(fallback)
        .with_state(state)
}

async fn fallback() -> crate::AppError {
    crate::AppError::not_found()
}

/// Whether a request wants JSON rather than a page, judged by its path and
/// the `Accept` header it was sent with.
fn wants_json(visitor: &Visitor, accept: Option<&HeaderValue>) -> bool {
    visitor.path.starts_with("/api/")
        || visitor.path.starts_with("/ledger/proof")
        || accept
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| {
                accept.contains("application/json") && !accept.contains("text/html")
            })
}

/// Returns `next` if it is a path on this site, for redirecting back after
/// login or a language switch.
///
/// Only printable ASCII is accepted: browsers drop tabs and newlines from a
/// `Location` and read `\` as `/`, so `/\t/evil.example` would leave the
/// site, and a newline cannot be sent in a header at all.
pub fn local_path(next: &str) -> Option<&str> {
    let printable = next
        .bytes()
        .all(|byte| byte.is_ascii_graphic() && byte != b'\\');
    (printable && next.starts_with('/') && !next.starts_with("//") && next.len() < 512)
        .then_some(next)
}

/// Renders an error response in the visitor's language. `accept` is the
/// request's `Accept` header; `original_headers` are the response's.
pub fn render_error(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    error: &ErrorPage,
    original_headers: HeaderMap,
    accept: Option<&HeaderValue>,
) -> Response {
    let args: Vec<(&str, &str)> = error
        .args
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let message = state.i18n().tr_args(visitor.lang, error.message_id, &args);
    let mut response = if wants_json(visitor, accept) {
        let mut body = serde_json::json!({ "error": error.code, "message": message });
        if let Some(details) = &error.details {
            body["details"] = details.clone();
        }
        (status, axum::Json(body)).into_response()
    } else {
        let ctx = Ctx::new(state, visitor);
        let body = html! {
            h1 { (ctx.t("error-title")) }
            div.error-box role="alert" { p { (message) } }
            p { a href="/" { (ctx.t("error-back-home")) } }
        };
        (
            status,
            Html(page(&ctx, &ctx.t("error-title"), body).into_string()),
        )
            .into_response()
    };
    // Keep headers the handler set on purpose (cookies, Retry-After).
    for name in [
        header::SET_COOKIE,
        header::RETRY_AFTER,
        header::ALLOW,
        header::WWW_AUTHENTICATE,
    ] {
        for value in original_headers.get_all(&name) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Builds an HTML page response that must not be cached (it shows
/// per-user content or carries a CSRF token).
pub fn private_page(markup: maud::Markup) -> Response {
    let mut response = Html(markup.into_string()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Reads a notice id from `?notice=` if it is one we show (never free text:
/// a URL must not be able to put words in the site's mouth).
pub fn notice_from_query(
    query: &std::collections::HashMap<String, String>,
) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "account-password-changed",
        "account-2fa-enabled",
        "account-2fa-disabled",
        "admin-user-roles-saved",
        "admin-user-disabled",
        "admin-user-enabled",
        "admin-user-unlocked",
        "admin-user-2fa-removed",
        "logged-out",
        "reset-done",
        "login-required",
    ];
    let wanted = query.get("notice")?;
    KNOWN.iter().copied().find(|known| known == wanted)
}
