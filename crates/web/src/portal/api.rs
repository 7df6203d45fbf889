//! The public JSON API: search, items, services, and its OpenAPI 3.1
//! description. Errors are `{"error","message"}` like every `/api/` route.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use congso_store::portal::{Category, Item, Service};
use serde_json::{json, Value};

use super::pages::SearchParams;
use super::{portal, portal_error};
use crate::error::AppError;
use crate::AppState;

fn number(
    query: &HashMap<String, String>,
    name: &str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, AppError> {
    match query.get(name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|value| range.contains(value))
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "{name} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ))
            }),
    }
}

fn absolute(state: &AppState, path: &str) -> String {
    format!(
        "{}{path}",
        state.settings().public_url.trim_end_matches('/')
    )
}

fn day(micros: Option<i64>) -> Value {
    micros
        .and_then(congso_portal::vn_date)
        .map(|date| Value::from(date.to_string()))
        .unwrap_or(Value::Null)
}

pub async fn search(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let portal = portal(&state)?;
    let limit = number(&query, "limit", 10, 1..=congso_search::MAX_LIMIT)?;
    let offset = number(&query, "offset", 0, 0..=congso_search::MAX_OFFSET)?;
    let params = SearchParams::from_query(&query, ["q", "kind", "category", "year"]);
    if params.text.trim().is_empty() {
        return Ok(Json(json!({"total": 0, "results": [], "did_you_mean": null})).into_response());
    }
    let results = portal
        .search(params.query(offset, limit))
        .await
        .map_err(portal_error)?;
    let item_ids: Vec<i64> = results
        .hits
        .iter()
        .filter_map(|hit| congso_portal::item_id_of(&hit.id))
        .collect();
    let external: HashMap<i64, Option<String>> = portal
        .external_ids(&item_ids)
        .await
        .map_err(portal_error)?
        .into_iter()
        .collect();
    let hits: Vec<Value> = results
        .hits
        .iter()
        .map(|hit| {
            let id = congso_portal::item_id_of(&hit.id)
                .and_then(|item| external.get(&item).cloned().flatten())
                .unwrap_or_else(|| hit.id.clone());
            json!({
                "id": id,
                "title": hit.title,
                "url": absolute(&state, &hit.url),
                "snippet": hit.snippet_html,
                "title_html": hit.title_html,
                "kind": hit.kind,
                "category": hit.category,
                "published": hit.published.map(|date| date.to_string()),
                "score": hit.score,
                "pinned": hit.pinned,
            })
        })
        .collect();
    Ok(Json(json!({
        "total": results.total,
        "total_exact": results.total_exact,
        "results": hits,
        "did_you_mean": results.did_you_mean,
        "facets": results.facets,
    }))
    .into_response())
}

fn item_json(state: &AppState, item: &Item, category: Option<&Category>, full: bool) -> Value {
    let mut value = json!({
        "id": item.external_id.clone().unwrap_or_else(|| congso_portal::index_id(item.id)),
        "title": item.title,
        "summary": item.summary,
        "url": absolute(state, &congso_portal::item_url(item.id)),
        "category": category.map(|c| c.slug.as_str()),
        "kind": category.map(|c| c.kind.as_str()),
        "published": day(item.published_at),
        "metadata": serde_json::from_str::<Value>(&item.metadata).unwrap_or(Value::Null),
    });
    if full {
        value["body_html"] = Value::from(item.body_html.as_str());
    }
    value
}

pub async fn items(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let portal = portal(&state)?;
    let limit = number(&query, "limit", 20, 1..=100)?;
    let offset = number(&query, "offset", 0, 0..=1_000_000)?;
    let categories = portal.categories().await.map_err(portal_error)?;
    let category = match query.get("category") {
        None => None,
        Some(slug) => Some(
            categories
                .iter()
                .find(|category| &category.slug == slug)
                .ok_or_else(|| AppError::bad_request("unknown category"))?,
        ),
    };
    let category_id = category.map(|category| category.id);
    let total = congso_store::portal::count_published(portal.db(), category_id).await?;
    let page =
        congso_store::portal::published(portal.db(), category_id, limit as i64, offset as i64)
            .await?;
    let items: Vec<Value> = page
        .iter()
        .map(|item| {
            let category = categories.iter().find(|c| c.id == item.category_id);
            item_json(&state, item, category, false)
        })
        .collect();
    Ok(Json(json!({"total": total, "items": items})).into_response())
}

pub async fn item(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let portal = portal(&state)?;
    let by_external = congso_store::portal::item_by_external_id(portal.db(), &id).await?;
    let found = match by_external {
        Some(item) => Some(item),
        None => match congso_portal::item_id_of(&id) {
            Some(item_id) => congso_store::portal::item(portal.db(), item_id).await?,
            None => None,
        },
    };
    let item = found
        .filter(|item| item.status == congso_portal::status::PUBLISHED)
        .ok_or_else(AppError::not_found)?;
    let categories = portal.categories().await.map_err(portal_error)?;
    let category = categories.iter().find(|c| c.id == item.category_id);
    Ok(Json(item_json(&state, &item, category, true)).into_response())
}

fn service_json(state: &AppState, service: &Service) -> Value {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Array(vec![]));
    json!({
        "code": service.code,
        "name": service.name,
        "url": absolute(state, &congso_portal::service_url(&service.code)),
        "field": service.field,
        "agency": service.agency,
        "level": service.level,
        "life_events": parse(&service.life_events),
        "description": service.description,
        "steps": parse(&service.steps),
        "documents": parse(&service.documents),
        "fees": service.fees,
        "processing_days": service.processing_days,
        "legal_basis": service.legal_basis,
        "forms": parse(&service.forms),
        "online_from": service.online_from,
    })
}

pub async fn services(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let portal = portal(&state)?;
    let field = query.get("field");
    let services: Vec<Value> = portal
        .services()
        .await
        .map_err(portal_error)?
        .iter()
        .filter(|service| field.is_none_or(|field| &service.field == field))
        .map(|service| service_json(&state, service))
        .collect();
    Ok(Json(json!({"total": services.len(), "services": services})).into_response())
}

pub async fn service(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let portal = portal(&state)?;
    let service = portal
        .service(&code)
        .await
        .map_err(portal_error)?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(service_json(&state, &service)).into_response())
}

/// The portal's OpenAPI 3.1 path items, to be merged into the node's one
/// `/api/openapi.json`.
pub fn openapi_paths() -> Vec<(String, Value)> {
    let error = json!({"description": "Bad request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let not_found = json!({"description": "Not found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let int_param = |name: &str, description: &str, min: u64, max: u64| {
        json!({"name": name, "in": "query", "required": false, "description": description,
               "schema": {"type": "integer", "minimum": min, "maximum": max}})
    };
    let str_param = |name: &str, description: &str| json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}});
    let hit = json!({"type": "object", "required": ["id", "title", "url", "snippet"], "properties": {
        "id": {"type": "string", "description": "The imported stable id when the item was imported, otherwise item-N or service-CODE"},
        "title": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "snippet": {"type": "string", "description": "HTML-escaped passage with matched words in <mark>"},
        "title_html": {"type": "string"},
        "kind": {"type": "string"},
        "category": {"type": "string"},
        "published": {"type": ["string", "null"], "format": "date"},
        "score": {"type": "number"},
        "pinned": {"type": "boolean"}
    }});
    let item = json!({"type": "object", "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "summary": {"type": "string"},
        "url": {"type": "string", "format": "uri"}, "category": {"type": "string"}, "kind": {"type": "string"},
        "published": {"type": ["string", "null"], "format": "date"}, "metadata": {"type": "object"},
        "body_html": {"type": "string", "description": "Only on /api/items/{id}"}
    }});
    let service = json!({"type": "object", "properties": {
        "code": {"type": "string"}, "name": {"type": "string"}, "url": {"type": "string", "format": "uri"},
        "field": {"type": "string"}, "agency": {"type": "string"}, "level": {"type": "string", "enum": ["full", "partial"]},
        "life_events": {"type": "array", "items": {"type": "string"}}, "description": {"type": "string"},
        "steps": {"type": "array", "items": {"type": "string"}}, "documents": {"type": "array", "items": {"type": "string"}},
        "fees": {"type": "string"}, "processing_days": {"type": "integer", "description": "working days"},
        "legal_basis": {"type": "string"},
        "forms": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "url": {"type": "string"}}}},
        "online_from": {"type": ["string", "null"], "format": "date"}
    }});
    vec![
        (
            "/api/search".to_owned(),
            json!({"get": {
                "operationId": "searchPortal",
                "summary": "Search the public portal (Vietnamese, with or without diacritics)",
                "parameters": [
                    {"name": "q", "in": "query", "required": true, "schema": {"type": "string", "maxLength": 1024}},
                    int_param("limit", "Results per page (default 10)", 1, 100),
                    int_param("offset", "Results to skip", 0, 10000),
                    str_param("kind", "Only this content type"),
                    str_param("category", "Only this category"),
                    int_param("year", "Only this publication year", 1900, 2200),
                ],
                "responses": {"200": {"description": "Results", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["total", "results"], "properties": {
                        "total": {"type": "integer"}, "total_exact": {"type": "boolean"},
                        "results": {"type": "array", "items": hit},
                        "did_you_mean": {"type": ["string", "null"]}, "facets": {"type": "object"}
                    }}}}}, "400": error}
            }}),
        ),
        (
            "/api/items".to_owned(),
            json!({"get": {
                "operationId": "listPortalItems",
                "summary": "Published items, newest first",
                "parameters": [str_param("category", "Category slug"), int_param("limit", "Items per page (default 20)", 1, 100), int_param("offset", "Items to skip", 0, 1_000_000)],
                "responses": {"200": {"description": "Items", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"total": {"type": "integer"}, "items": {"type": "array", "items": item.clone()}}}}}}, "400": error}
            }}),
        ),
        (
            "/api/items/{id}".to_owned(),
            json!({"get": {
                "operationId": "getPortalItem",
                "summary": "One published item with its body",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The item", "content": {"application/json": {"schema": item}}}, "404": not_found}
            }}),
        ),
        (
            "/api/services".to_owned(),
            json!({"get": {
                "operationId": "listPublicServices",
                "summary": "The public-service catalogue (Decree 64 Art. 21)",
                "parameters": [str_param("field", "Only this field")],
                "responses": {"200": {"description": "Services", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"total": {"type": "integer"}, "services": {"type": "array", "items": service.clone()}}}}}}}
            }}),
        ),
        (
            "/api/services/{code}".to_owned(),
            json!({"get": {
                "operationId": "getPublicService",
                "summary": "One public service",
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The service", "content": {"application/json": {"schema": service}}}, "404": not_found}
            }}),
        ),
    ]
}

/// The portal's part of the API as a whole OpenAPI 3.1 document.
pub async fn openapi() -> Response {
    let paths: serde_json::Map<String, Value> = openapi_paths().into_iter().collect();
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "congso public portal API", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {"schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string"}, "message": {"type": "string"}}}}}
    }))
    .into_response()
}
