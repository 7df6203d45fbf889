//! The JSON API (`/api/...`), described by OpenAPI 3.1.
//!
//! Authentication: personal API tokens only, sent as
//! `Authorization: Bearer <token>` (a staff member creates them on
//! `/account/api-tokens`). The API never reads the session cookie, so a
//! cross-site request carries no credentials here, which is why the CSRF
//! check exempts `/api/`. Every route acts with the token owner's roles and
//! clearance, exactly like the pages: the same `SignedIn::require` check,
//! then the documents service's own checks.
//!
//! One table ([`table`]) lists every route with its handler and its
//! OpenAPI operation; the router and the document are both built from it.

mod auth;
mod data_services;
mod documents;
pub mod openapi;

use axum::routing::MethodRouter;
use axum::Router;
use serde_json::Value;

use crate::AppState;

pub use auth::{hash_token, new_token};

/// One route of the API: method, path (the router's syntax, which is also
/// OpenAPI's path template syntax), handler, and its OpenAPI operation.
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub handler: MethodRouter<AppState>,
    pub operation: Value,
    /// Whether it takes a document upload (its own body limit).
    pub upload: bool,
}

/// Every route of the API.
pub fn table() -> Vec<ApiRoute> {
    let mut routes = vec![ApiRoute {
        method: "get",
        path: "/api/openapi.json",
        handler: axum::routing::get(openapi_json),
        operation: serde_json::json!({
            "operationId": "openapi",
            "summary": "This OpenAPI 3.1 description",
            "tags": ["meta"],
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document", "content": {"application/json": {}}}}
        }),
        upload: false,
    }];
    routes.extend(documents::routes());
    routes.extend(data_services::routes());
    routes
}

/// The API routes.
pub fn routes(state: AppState) -> Router {
    let upload_limit = usize::try_from(state.settings().upload_limit).unwrap_or(usize::MAX);
    let mut router: Router<AppState> = Router::new();
    for route in table() {
        let handler = if route.upload {
            route
                .handler
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit))
        } else {
            route.handler
        };
        router = router.route(route.path, handler);
    }
    router.with_state(state)
}

/// The path items this module contributes to the OpenAPI document.
pub fn fragments() -> Vec<(String, Value)> {
    table()
        .into_iter()
        .map(|route| {
            (
                route.path.to_owned(),
                serde_json::json!({ route.method: route.operation }),
            )
        })
        .collect()
}

/// Every path item of `/api/openapi.json`: this module's (bearer token)
/// and the public portal's, whose operations need no authentication.
pub fn all_fragments() -> Vec<(String, Value)> {
    let mut all = fragments();
    for (path, mut item) in crate::portal::openapi_paths() {
        if let Some(operations) = item.as_object_mut() {
            for operation in operations.values_mut() {
                if let Some(operation) = operation.as_object_mut() {
                    operation
                        .entry("security")
                        .or_insert_with(|| serde_json::json!([]));
                }
            }
        }
        all.push((path, item));
    }
    all
}

async fn openapi_json() -> axum::Json<Value> {
    axum::Json(openapi::document(all_fragments()))
}

/// Every route as (method, path).
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    table()
        .into_iter()
        .map(|route| (route.method, route.path))
        .collect()
}
