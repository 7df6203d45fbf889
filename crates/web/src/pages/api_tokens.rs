//! `/account/api-tokens`: a staff member's personal tokens for the JSON
//! API. A new token is shown once; only its SHA-256 is stored. Tokens
//! expire (at most a year) and can be revoked; creation and revocation are
//! recorded in the ledger.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use congso_core::access::Action;
use congso_core::audit::{Actor, AuditAction};
use congso_store::accounts;
use congso_store::ledger::NewEntry;
use maud::html;

use crate::error::AppError;
use crate::layout::{page, Ctx};
use crate::session::SignedIn;
use crate::AppState;

/// Longest validity of a token, in days.
const MAX_DAYS: i64 = 365;

fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    tokens: &[accounts::ApiToken],
    created: Option<&str>,
) -> Response {
    let ctx = Ctx::new(state, &signed_in.visitor);
    let now = congso_store::now().micros();
    let body = html! {
        h1 { (ctx.t("api-tokens-title")) }
        p { (ctx.t("api-tokens-intro")) " " a href="/api/openapi.json" { "OpenAPI" } }
        @if let Some(token) = created {
            div.notice role="status" {
                p { (ctx.t("api-token-created")) }
                p { code #new-token { (token) } }
            }
        }
        form.stack method="post" action="/account/api-tokens" {
            (ctx.csrf())
            label for="token-name" { (ctx.t("api-token-name")) }
            input #token-name type="text" name="name" required maxlength="100";
            label for="token-days" { (ctx.t("api-token-days")) }
            input #token-days type="number" name="days" min="1" max=(MAX_DAYS) value="90" required;
            button type="submit" { (ctx.t("api-token-create")) }
        }
        @if !tokens.is_empty() {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { (ctx.t("api-token-name")) }
                    th scope="col" { (ctx.t("api-token-prefix")) }
                    th scope="col" { (ctx.t("api-token-expires")) }
                    th scope="col" { (ctx.t("api-token-last-used")) }
                    th scope="col" { span.visually-hidden { (ctx.t("api-token-revoke")) } }
                } }
                tbody { @for token in tokens {
                    tr {
                        td { (token.name) }
                        td { code { (token.prefix) "…" } }
                        td { (ctx.datetime(token.expires_at)) }
                        td { (token.last_used_at.map(|at| ctx.datetime(at)).unwrap_or_else(|| "—".to_owned())) }
                        td {
                            @if token.revoked_at.is_some() {
                                (ctx.t("api-token-revoked"))
                            } @else if token.expires_at <= now {
                                (ctx.t("api-token-expired"))
                            } @else {
                                form.inline method="post" action={ "/account/api-tokens/" (token.id) "/revoke" } {
                                    (ctx.csrf())
                                    button.secondary.small type="submit" aria-label=(format!("{} {}", ctx.t("api-token-revoke"), token.name)) { (ctx.t("api-token-revoke")) }
                                }
                            }
                        }
                    }
                } }
            } }
        }
    };
    super::private_page(page(&ctx, &ctx.t("api-tokens-title"), body))
}

pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    signed_in.require(Action::ApiTokenManage)?;
    let tokens = accounts::list_api_tokens(state.db(), signed_in.user.id).await?;
    Ok(list_page(&state, &signed_in, &tokens, None))
}

pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    signed_in.require(Action::ApiTokenManage)?;
    let name = fields.get("name").map(|name| name.trim()).unwrap_or("");
    let days: i64 = fields
        .get("days")
        .and_then(|days| days.trim().parse().ok())
        .filter(|days| (1..=MAX_DAYS).contains(days))
        .ok_or_else(|| AppError::bad_request(format!("days: give 1 to {MAX_DAYS}")))?;
    let token = crate::api::new_token();
    let prefix: String = token.chars().take(10).collect();
    let expires_at = congso_store::now().plus_seconds(days * 86_400);
    let id = accounts::create_api_token(
        state.db(),
        signed_in.user.id,
        name,
        &crate::api::hash_token(&token),
        &prefix,
        expires_at,
    )
    .await?;
    state
        .record(
            NewEntry::new(
                &Actor::User(signed_in.user.username.clone()),
                AuditAction::ApiTokenCreated,
                format!("api_token:{id}"),
            )
            .source(signed_in.visitor.ip.clone())
            .details(serde_json::json!({ "name": name, "prefix": prefix, "days": days })),
        )
        .await?;
    let tokens = accounts::list_api_tokens(state.db(), signed_in.user.id).await?;
    Ok(list_page(&state, &signed_in, &tokens, Some(&token)))
}

pub async fn revoke(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed_in.require(Action::ApiTokenManage)?;
    if !accounts::revoke_api_token(state.db(), signed_in.user.id, id).await? {
        return Err(AppError::not_found());
    }
    state
        .record(
            NewEntry::new(
                &Actor::User(signed_in.user.username.clone()),
                AuditAction::ApiTokenRevoked,
                format!("api_token:{id}"),
            )
            .source(signed_in.visitor.ip.clone()),
        )
        .await?;
    Ok(Redirect::to("/account/api-tokens").into_response())
}
