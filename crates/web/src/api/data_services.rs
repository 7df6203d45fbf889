//! `/api/data-services...`: other agencies' data services as JSON — the
//! services in the directory, a call (with its purpose, logged and ledgered
//! on both sides), and the call log (one's own calls, or all of them for
//! those who oversee it).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use congso_core::access::Action;
use serde_json::{json, Value};

use super::auth::ApiUser;
use super::ApiRoute;
use crate::data_services::ServiceCall;
use crate::error::AppError;
use crate::AppState;

fn gateway(
    state: &AppState,
) -> Result<&std::sync::Arc<dyn crate::data_services::DataServiceGateway>, AppError> {
    state.data_services().ok_or_else(|| {
        AppError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "no_federation",
            "ds-no-federation",
        )
    })
}

async fn list(State(state): State<AppState>, ApiUser(user): ApiUser) -> Result<Response, AppError> {
    user.require(Action::DataServiceCall)?;
    Ok(Json(json!({ "services": gateway(&state)?.services() })).into_response())
}

async fn call(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Json(body): Json<Value>,
) -> Result<Response, AppError> {
    user.require(Action::DataServiceCall)?;
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| AppError::bad_request(format!("{name}: required (a string)")))
    };
    let provider = text("provider")?;
    let service = text("service")?;
    let purpose = text("purpose")?;
    let input = body
        .get("input")
        .filter(|input| input.is_object())
        .cloned()
        .ok_or_else(|| AppError::bad_request("input: required (a JSON object)"))?;
    let result = gateway(&state)?
        .call(
            ServiceCall {
                provider,
                service,
                input,
                purpose,
                user_id: user.user.id.to_string(),
                user_name: user.user.display_name.clone(),
            },
            &user.user.username,
        )
        .await
        .map_err(AppError::bad_request)?;
    Ok(Json(result).into_response())
}

async fn calls(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    if !user.user.roles.permits(Action::DataServiceCall) {
        user.require(Action::DataServiceLogView)?;
    }
    let limit = match query.get("limit") {
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|limit| (1..=1000).contains(limit))
            .ok_or_else(|| AppError::bad_request("limit: a whole number from 1 to 1000"))?,
        None => 100,
    };
    let rows = crate::pages::data_services::visible_calls(&state, &user, limit).await?;
    Ok(Json(json!({ "calls": rows })).into_response())
}

pub(super) fn routes() -> Vec<ApiRoute> {
    let errors = |codes: &[&str]| {
        let mut map = serde_json::Map::new();
        for code in codes {
            map.insert(
                (*code).to_owned(),
                json!({"description": match *code {
                    "400" => "Malformed request (what is wrong is named), or the call could not be made",
                    "401" => "No valid bearer token",
                    "403" => "The token owner's roles do not permit this",
                    "503" => "This node is not in a federation",
                    _ => "Error",
                }, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
            );
        }
        Value::Object(map)
    };
    let operation = |id: &str,
                     summary: &str,
                     parameters: Value,
                     body: Option<Value>,
                     ok: Value,
                     codes: &[&str]| {
        let mut responses = errors(codes);
        responses["200"] =
            json!({"description": "OK", "content": {"application/json": {"schema": ok}}});
        let mut operation = json!({
            "operationId": id,
            "summary": summary,
            "tags": ["data-services"],
            "parameters": parameters,
            "responses": responses,
        });
        if let Some(body) = body {
            operation["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": body}}});
        }
        operation
    };
    vec![
        ApiRoute {
            method: "get",
            path: "/api/data-services",
            handler: get(list),
            operation: operation(
                "dataServices",
                "The data services other agencies publish in the federation directory, with their declared input and output (JSON Schema)",
                json!([]),
                None,
                json!({"type": "object", "properties": {"services": {"type": "array", "items": {"type": "object", "properties": {
                    "provider": {"type": "string"}, "provider_name": {"type": "string"}, "code": {"type": "string"},
                    "name": {"type": "string"}, "description": {"type": "string"},
                    "input_schema": {"type": "object"}, "output_schema": {"type": "object"}
                }}}}}),
                &["401", "403", "503"],
            ),
            upload: false,
        },
        ApiRoute {
            method: "post",
            path: "/api/data-services/call",
            handler: post(call),
            operation: operation(
                "callDataService",
                "Call another agency's data service with a purpose (Decree 64 Art. 7). The request is signed by this node and logged and ledgered on both sides; refusals come back as outcomes (not_granted, invalid_input with field errors, unknown_service, service_down)",
                json!([]),
                Some(json!({"type": "object", "required": ["provider", "service", "input", "purpose"], "properties": {
                    "provider": {"type": "string", "description": "The providing agency's organ code"},
                    "service": {"type": "string"},
                    "input": {"type": "object"},
                    "purpose": {"type": "string", "maxLength": 500}
                }})),
                json!({"type": "object", "properties": {
                    "request_id": {"type": "string"},
                    "outcome": {"type": "string", "enum": ["ok", "not_granted", "invalid_input", "unknown_service", "service_down"]},
                    "message": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "string"}},
                    "result": {},
                    "answered_at": {"type": ["integer", "null"]},
                    "request_sha256": {"type": "string"},
                    "response_sha256": {"type": ["string", "null"]}
                }}),
                &["400", "401", "403", "503"],
            ),
            upload: false,
        },
        ApiRoute {
            method: "get",
            path: "/api/data-services/calls",
            handler: get(calls),
            operation: operation(
                "dataServiceCalls",
                "The newest data service calls, newest first: the caller's own, or every call made and answered by this node for those who oversee the log",
                json!([{"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}]),
                None,
                json!({"type": "object", "properties": {"calls": {"type": "array", "items": {"type": "object"}}}}),
                &["400", "401", "403"],
            ),
            upload: false,
        },
    ]
}
