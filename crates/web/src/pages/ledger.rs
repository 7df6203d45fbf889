//! The ledger over HTTP: public checkpoints and proofs (anyone can audit),
//! and the staff view of entries.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use congso_core::access::Action;
use congso_core::audit::{Actor, AuditAction};
use congso_store::ledger::{self, NewEntry};
use maud::html;
use serde::Deserialize;

use crate::error::AppError;
use crate::layout::{page, Ctx};
use crate::session::SignedIn;
use crate::AppState;

fn text(body: String) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The latest signed checkpoint, as a C2SP signed note.
pub async fn checkpoint(State(state): State<AppState>) -> Result<Response, AppError> {
    let latest = match ledger::latest_checkpoint(state.db()).await? {
        Some(latest) if latest.tree_size == state.ledger().size() => latest,
        _ => state.ledger().checkpoint().await?,
    };
    Ok(text(latest.signed_note))
}

/// The node's checkpoint verifier key (`name+keyid+key`).
pub async fn key(State(state): State<AppState>) -> Response {
    text(format!("{}\n", state.ledger().verifier_key()))
}

/// A missing or malformed proof parameter is the client's mistake: answer
/// 400 in the API's JSON error format, not axum's plain-text rejection.
fn bad_query(rejection: QueryRejection) -> AppError {
    AppError::bad_request(rejection.body_text())
}

#[derive(Deserialize)]
pub struct InclusionQuery {
    index: u64,
    size: Option<u64>,
}

/// An inclusion proof for one entry, against a given or the current size.
pub async fn inclusion(
    State(state): State<AppState>,
    query: Result<Query<InclusionQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) = query.map_err(bad_query)?;
    let size = query.size.unwrap_or_else(|| state.ledger().size());
    let proof = state.ledger().inclusion_proof(query.index, size)?;
    let root = state.ledger().root_at(size)?;
    let entry = ledger::entry(state.db(), query.index)
        .await?
        .ok_or_else(AppError::not_found)?;
    let checkpoint = ledger::checkpoint_at(state.db(), size).await?;
    Ok(Json(serde_json::json!({
        "index": query.index,
        "tree_size": size,
        "leaf_hash": STANDARD.encode(entry.leaf_hash),
        "proof": proof.iter().map(|hash| STANDARD.encode(hash)).collect::<Vec<_>>(),
        "root": STANDARD.encode(root),
        "checkpoint": checkpoint.map(|c| c.signed_note),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

/// A consistency proof between two tree sizes.
pub async fn consistency(
    State(state): State<AppState>,
    query: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) = query.map_err(bad_query)?;
    let to = query.to.unwrap_or_else(|| state.ledger().size());
    let proof = state.ledger().consistency_proof(query.from, to)?;
    Ok(Json(serde_json::json!({
        "from": query.from,
        "to": to,
        "root_from": STANDARD.encode(state.ledger().root_at(query.from)?),
        "root_to": STANDARD.encode(state.ledger().root_at(to)?),
        "proof": proof.iter().map(|hash| STANDARD.encode(hash)).collect::<Vec<_>>(),
    }))
    .into_response())
}

pub async fn admin_overview(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    signed_in.require(Action::LedgerViewEntries)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let entries = ledger::recent_entries(state.db(), 100).await?;
    let latest = ledger::latest_checkpoint(state.db()).await?;
    let signed = query
        .get("signed")
        .and_then(|size| size.parse::<u64>().ok());
    let body = html! {
        h1 { (ctx.t("admin-ledger-title")) }
        @if let Some(size) = signed { div.notice role="status" { (ctx.ta("admin-ledger-signed", &[("size", &size.to_string())])) } }
        p { (ctx.t("admin-ledger-intro")) }
        dl.facts {
            dt { (ctx.t("admin-ledger-size")) } dd { (state.ledger().size()) }
            dt { (ctx.t("admin-ledger-root")) } dd.mono { (hex::encode(state.ledger().root())) }
        }
        @if let Some(latest) = &latest {
            h2 { (ctx.t("admin-ledger-checkpoint")) }
            pre { (latest.signed_note) }
        }
        @if signed_in.user.roles.permits(Action::LedgerCheckpoint) {
            form method="post" action="/admin/ledger" { (ctx.csrf()) button.secondary type="submit" { (ctx.t("admin-ledger-sign")) } }
        }
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("admin-ledger-col-seq")) }
                    th scope="col" { (ctx.t("admin-ledger-col-time")) }
                    th scope="col" { (ctx.t("admin-ledger-col-actor")) }
                    th scope="col" { (ctx.t("admin-ledger-col-action")) }
                    th scope="col" { (ctx.t("admin-ledger-col-target")) }
                    th scope="col" { (ctx.t("admin-ledger-col-source")) }
                } }
                tbody {
                    @for entry in &entries {
                        tr {
                            td { a href={ "/admin/ledger/" (entry.seq) } { (entry.seq) } }
                            td { (ctx.datetime(entry.recorded_at)) }
                            td { code { (entry.actor) } }
                            td { code { (entry.action) } }
                            td { (entry.target) }
                            td { (entry.source) }
                        }
                    }
                }
            }
        }
    };
    Ok(super::private_page(page(
        &ctx,
        &ctx.t("admin-ledger-title"),
        body,
    )))
}

pub async fn admin_checkpoint(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    signed_in.require(Action::LedgerCheckpoint)?;
    state
        .record(
            NewEntry::new(
                &Actor::User(signed_in.user.username.clone()),
                AuditAction::LedgerCheckpointRequested,
                "ledger",
            )
            .source(signed_in.visitor.ip.clone()),
        )
        .await?;
    let checkpoint = state.ledger().checkpoint().await?;
    Ok(Redirect::to(&format!("/admin/ledger?signed={}", checkpoint.tree_size)).into_response())
}

pub async fn admin_entry(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(seq): Path<u64>,
) -> Result<Response, AppError> {
    signed_in.require(Action::LedgerViewEntries)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let entry = ledger::entry(state.db(), seq)
        .await?
        .ok_or_else(AppError::not_found)?;
    let latest = ledger::latest_checkpoint(state.db())
        .await?
        .filter(|c| c.tree_size > seq);
    let proof = match &latest {
        Some(checkpoint) => {
            let proof = state.ledger().inclusion_proof(seq, checkpoint.tree_size)?;
            let recomputed = congso_ledger::leaf_hash(&entry.leaf_bytes());
            let valid = congso_ledger::verify_inclusion(
                seq,
                checkpoint.tree_size,
                &recomputed,
                &proof,
                &checkpoint.root_hash,
            )
            .is_ok();
            Some((checkpoint.tree_size, proof, valid))
        }
        None => None,
    };
    let body = html! {
        h1 { (ctx.ta("admin-ledger-entry-title", &[("seq", &seq.to_string())])) }
        dl.facts {
            dt { (ctx.t("admin-ledger-col-time")) } dd { (ctx.datetime(entry.recorded_at)) }
            dt { (ctx.t("admin-ledger-col-actor")) } dd { code { (entry.actor) } }
            dt { (ctx.t("admin-ledger-col-action")) } dd { code { (entry.action) } }
            dt { (ctx.t("admin-ledger-col-target")) } dd { (entry.target) }
            dt { (ctx.t("admin-ledger-col-source")) } dd { (entry.source) }
            dt { (ctx.t("admin-ledger-data-hash")) } dd.mono { (if entry.data_hash.is_empty() { "—" } else { &entry.data_hash }) }
            dt { (ctx.t("admin-ledger-details")) } dd { code { (entry.details) } }
            dt { (ctx.t("admin-ledger-leaf")) } dd.mono { (hex::encode(entry.leaf_hash)) }
        }
        @match &proof {
            Some((size, hashes, valid)) => {
                h2 { (ctx.ta("admin-ledger-proof", &[("size", &size.to_string())])) }
                @if *valid { div.notice role="status" { (ctx.t("admin-ledger-proof-ok")) } }
                @else { div.error-box role="alert" { (ctx.t("admin-ledger-proof-bad")) } }
                ol.mono { @for hash in hashes { li { (hex::encode(hash)) } } }
            }
            None => { div.warning { (ctx.t("admin-ledger-not-covered")) } }
        }
    };
    let mut response = super::private_page(page(
        &ctx,
        &ctx.ta("admin-ledger-entry-title", &[("seq", &seq.to_string())]),
        body,
    ));
    *response.status_mut() = StatusCode::OK;
    Ok(response)
}
