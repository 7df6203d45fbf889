//! `/api/documents...`: every action of the document screens as JSON.
//! Uploads are `multipart/form-data` with the same field names as the
//! pages' forms, streamed to the blob store; other bodies are JSON objects
//! whose members have the forms' names (numbers may be given as numbers).

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Json;
use congso_core::access::Action;
use congso_docs::model::{parse_iso_date, Direction};
use congso_docs::register::RegisterQuery;
use congso_docs::service::{vn_date, Imported, OverdueQuery, SearchQuery};
use congso_docs::DocsError;
use serde_json::{json, Value};

use super::auth::ApiUser;
use super::ApiRoute;
use crate::error::AppError;
use crate::pages::documents::{begin, detail, forms};
use crate::upload;
use crate::AppState;

type Params = Query<HashMap<String, String>>;

/// A JSON object body as the forms' fields: strings as they are, numbers
/// and booleans as text; anything else is refused.
fn fields_of(body: Value) -> Result<HashMap<String, String>, AppError> {
    let Value::Object(object) = body else {
        return Err(AppError::bad_request("the body must be a JSON object"));
    };
    let mut fields = HashMap::new();
    for (name, value) in object {
        let text = match value {
            Value::String(text) => text,
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            Value::Null => continue,
            _ => {
                return Err(AppError::bad_request(format!(
                    "{name}: give a string or a number"
                )))
            }
        };
        fields.insert(name, text);
    }
    Ok(fields)
}

fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    query
        .get(name)
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
}

fn date_param(
    query: &HashMap<String, String>,
    name: &str,
) -> Result<Option<congso_vn::time::Date>, AppError> {
    param(query, name)
        .map(|text| {
            parse_iso_date(text).ok_or_else(|| {
                AppError::bad_request(format!("{name}: {text:?} is not a YYYY-MM-DD date"))
            })
        })
        .transpose()
}

fn number_param<T: std::str::FromStr>(
    query: &HashMap<String, String>,
    name: &str,
) -> Result<Option<T>, AppError> {
    param(query, name)
        .map(|text| {
            text.parse()
                .map_err(|_| AppError::bad_request(format!("{name}: {text:?} is not a number")))
        })
        .transpose()
}

fn direction_param(query: &HashMap<String, String>) -> Result<Option<Direction>, AppError> {
    param(query, "direction")
        .map(|text| {
            Direction::from_code(text).ok_or_else(|| {
                AppError::bad_request(format!("direction: {text:?} is not incoming or outgoing"))
            })
        })
        .transpose()
}

async fn search(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(query): Params,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    let limit: u32 = number_param(&query, "limit")?.unwrap_or(50);
    if limit == 0 || limit > 500 {
        return Err(AppError::bad_request("limit must be between 1 and 500"));
    }
    let rows = service
        .search(
            &acting,
            &SearchQuery {
                text: param(&query, "q").unwrap_or("").to_owned(),
                signer: param(&query, "signer").map(str::to_owned),
                sender: param(&query, "sender").map(str::to_owned),
                number_notation: param(&query, "number").map(str::to_owned),
                direction: direction_param(&query)?,
                issue_date_from: date_param(&query, "issued_from")?,
                issue_date_until: date_param(&query, "issued_until")?,
                registered_from: date_param(&query, "from")?,
                registered_until: date_param(&query, "until")?,
                state: param(&query, "state").map(str::to_owned),
                register_year: number_param(&query, "year")?,
                limit,
                offset: number_param(&query, "offset")?.unwrap_or(0),
            },
        )
        .await?;
    Ok(Json(json!({ "documents": rows })).into_response())
}

async fn register_incoming(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentRegisterIncoming).await?;
    let limit = state.settings().upload_limit;
    let mut metadata = None;
    let (_, stored) = forms::read_upload_form(service, &acting, multipart, limit, |fields| {
        let parsed = forms::incoming_metadata(fields)?;
        service.check_incoming(&acting, &parsed)?;
        metadata = Some(parsed);
        Ok(())
    })
    .await?;
    let metadata = metadata.ok_or_else(|| AppError::bad_request("the body carried no metadata"))?;
    let registered = service
        .register_incoming_stored(&acting, metadata, stored)
        .await?;
    Ok((StatusCode::CREATED, Json(registered)).into_response())
}

async fn import_edxml(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentRegisterIncoming).await?;
    let limit = state.settings().upload_limit;
    let mut spooled = None;
    while let Some(field) = upload::next_field(&mut multipart, limit).await? {
        if field.name() == Some("package") {
            spooled = Some(upload::spool(field, service.spool_dir(), limit).await?);
        }
    }
    let spooled =
        spooled.ok_or_else(|| AppError::bad_request("no edXML package (part \"package\")"))?;
    let file = spooled
        .reopen()
        .map_err(|error| AppError::internal(format!("spool file: {error}")))?;
    let imported = service.import_edxml(&acting, file).await?;
    let status = match imported {
        Imported::Registered { .. } => StatusCode::CREATED,
        Imported::Applied { .. } => StatusCode::OK,
    };
    Ok((status, Json(imported)).into_response())
}

async fn create_draft(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentDraft).await?;
    let limit = state.settings().upload_limit;
    let mut metadata = None;
    let (_, stored) = forms::read_upload_form(service, &acting, multipart, limit, |fields| {
        let parsed = forms::outgoing_metadata(fields)?;
        let errors = parsed.validate(Direction::Outgoing, service.types());
        if !errors.is_empty() {
            return Err(DocsError::Invalid(errors).into());
        }
        metadata = Some(parsed);
        Ok(())
    })
    .await?;
    let metadata = metadata.ok_or_else(|| AppError::bad_request("the body carried no metadata"))?;
    let id = service.create_draft(&acting, metadata).await?;
    for file in stored {
        service.attach_stored(&acting, id, file).await?;
    }
    let detail = service.get(&acting, id).await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}

async fn show(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    let detail = service.get(&acting, id).await?;
    Ok(Json(detail).into_response())
}

async fn edit_draft(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentDraft).await?;
    let fields = fields_of(body)?;
    let version: i64 = fields
        .get("version")
        .and_then(|version| version.trim().parse().ok())
        .ok_or_else(|| AppError::bad_request("version: give the version you read"))?;
    let metadata = forms::outgoing_metadata(&fields)?;
    service.edit_draft(&acting, id, version, metadata).await?;
    Ok(Json(service.get(&acting, id).await?).into_response())
}

async fn timeline(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    Ok(Json(json!({ "events": service.timeline(&acting, id).await? })).into_response())
}

async fn signatures(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    Ok(Json(json!({
        "signatures": service.signatures(&acting, id).await?,
        "archive_items": service.archive_items(&acting, id).await?,
    }))
    .into_response())
}

async fn attach_file(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentDraft).await?;
    let limit = state.settings().upload_limit;
    let detail = service.get(&acting, id).await?;
    if detail.row.holder_user_id != Some(acting.user_id)
        || detail.row.state != service.workflows().outgoing.initial
    {
        return Err(AppError::from(DocsError::Workflow(format!(
            "document {id} is not a draft you hold"
        ))));
    }
    let (_, stored) =
        forms::read_upload_form(service, &acting, multipart, limit, |_| Ok(())).await?;
    if stored.is_empty() {
        return Err(AppError::bad_request("no file was sent (part \"file\")"));
    }
    for file in stored {
        service.attach_stored(&acting, id, file).await?;
    }
    Ok((StatusCode::CREATED, Json(service.files(&acting, id).await?)).into_response())
}

async fn download(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, file_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    detail::file_response(service, &acting, id, file_id).await
}

async fn transition(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    let fields = fields_of(body)?;
    let current = service.get(&acting, id).await?;
    let request = detail::transition_request(service, current.direction, &fields)?;
    let done = service.transition(&acting, id, request).await?;
    Ok(Json(done).into_response())
}

async fn sign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentSign).await?;
    Ok(Json(service.sign(&acting, id).await?).into_response())
}

async fn recall(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentRecall).await?;
    let fields = fields_of(body)?;
    service
        .recall(
            &acting,
            id,
            fields.get("reason").map(String::as_str).unwrap_or(""),
        )
        .await?;
    crate::pages::portal_admin::withdraw_recalled(&state, &user, id).await?;
    Ok(Json(service.get(&acting, id).await?).into_response())
}

/// Every recipient of an outgoing document and where it stands with each.
async fn deliveries(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    let recipients = service.deliveries(&acting, id).await?;
    Ok(Json(serde_json::json!({ "document_id": id, "recipients": recipients })).into_response())
}

/// Sends a dispatched document (or its revocation) to the recipients it
/// has not been queued for yet.
async fn send_electronically(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentDispatch).await?;
    Ok(Json(service.send_electronically(&acting, id).await?).into_response())
}

/// Publishes an issued document to the portal (or updates its item).
async fn publish_to_portal(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Result<Response, AppError> {
    use crate::pages::portal_admin;
    let (portal, portal_acting) = portal_admin::begin(&state, &user)?;
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    let fields = fields_of(body)?;
    let detail = service.get(&acting, id).await?;
    let source = portal_admin::document_source(service, &detail);
    let outcome = portal
        .publish_document(
            &portal_acting,
            &source,
            fields.get("category").map(String::as_str),
        )
        .await
        .map_err(portal_admin::portal_error)?;
    Ok(Json(json!({
        "item_id": outcome.item_id,
        "status": outcome.status,
        "updated": outcome.updated,
        "url": congso_portal::item_url(outcome.item_id),
    }))
    .into_response())
}

async fn package(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    detail::package_response(service, &acting, id).await
}

async fn edxml(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentExport).await?;
    detail::edxml_response(service, &acting, id).await
}

async fn overdue(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(query): Params,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    let which = match param(&query, "scope").unwrap_or("mine") {
        "mine" => OverdueQuery::Mine,
        scope => {
            user.require(Action::DocumentOverdueView)?;
            match scope {
                "all" => OverdueQuery::All,
                "unit" => OverdueQuery::Unit(
                    number_param(&query, "unit")?
                        .or(acting.unit_id)
                        .ok_or_else(|| AppError::bad_request("unit: which unit?"))?,
                ),
                "person" => OverdueQuery::Person(
                    number_param(&query, "user")?
                        .ok_or_else(|| AppError::bad_request("user: whose overdue list?"))?,
                ),
                other => {
                    return Err(AppError::bad_request(format!(
                        "scope: {other:?} is not mine, unit, person or all"
                    )))
                }
            }
        }
    };
    Ok(Json(json!({ "overdue": service.overdue(&acting, which).await? })).into_response())
}

async fn notifications(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(query): Params,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    let unread = param(&query, "unread").is_some_and(|value| value == "true" || value == "1");
    Ok(
        Json(json!({ "notifications": service.notifications(&acting, unread).await? }))
            .into_response(),
    )
}

async fn mark_read(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentView).await?;
    let changed = service.mark_notification_read(&acting, id).await?;
    Ok(Json(json!({ "marked": changed })).into_response())
}

async fn registers(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(query): Params,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &user, Action::DocumentRegisterView).await?;
    let today = vn_date(congso_store::now());
    let from =
        date_param(&query, "from")?.ok_or_else(|| AppError::bad_request("from: required"))?;
    let until = date_param(&query, "until")?.unwrap_or(today);
    let register_query = RegisterQuery {
        direction: direction_param(&query)?.unwrap_or(Direction::Incoming),
        secret: param(&query, "secret").is_some_and(|value| value == "true" || value == "1"),
        from,
        until,
    };
    match param(&query, "format").unwrap_or("json") {
        "json" => Ok(Json(service.register(&acting, register_query).await?).into_response()),
        "csv" => Ok((
            [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            service.export_register_csv(&acting, register_query).await?,
        )
            .into_response()),
        "xlsx" => Ok((
            [(
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )],
            service
                .export_register_xlsx(&acting, register_query)
                .await?,
        )
            .into_response()),
        other => Err(AppError::bad_request(format!(
            "format: {other:?} is not json, csv or xlsx"
        ))),
    }
}

// ------------------------------------------------------------- OpenAPI

fn id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}, "description": "The document id"})
}

fn query_param(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

fn errors(codes: &[&str]) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    for code in codes {
        let description = match *code {
            "400" => "Malformed request or invalid metadata (details.fields lists each field)",
            "401" => "No valid bearer token",
            "403" => "The token owner's roles do not permit this",
            "404" => "No such document, or not visible to the caller (secret documents answer 404)",
            "409" => "Conflict: a duplicate registration (details point to the first), a stale version, or a step not allowed now",
            "413" => "The upload is over the node's limit",
            "415" => "The file type is not accepted or does not match its content",
            "422" => "The edXML package was rejected (details.issues)",
            "503" => "A service the node depends on failed (the federation outbox, the timestamp authority); nothing was half-done, try again",
            _ => "Error",
        };
        map.insert(
            (*code).to_owned(),
            json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    map
}

fn operation(
    id: &str,
    summary: &str,
    parameters: Vec<Value>,
    body: Option<Value>,
    success: (&str, Value),
    error_codes: &[&str],
) -> Value {
    let mut responses = errors(error_codes);
    responses.insert(success.0.to_owned(), success.1);
    let mut operation = json!({
        "operationId": id,
        "summary": summary,
        "tags": ["documents"],
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(body) = body {
        operation["requestBody"] = body;
    }
    operation
}

fn json_ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn file_ok(description: &str, media_type: &str) -> Value {
    json!({"description": description, "content": {media_type: {"schema": {"type": "string", "contentMediaType": media_type}}}})
}

fn multipart_body(schema: &str) -> Value {
    json!({"required": true, "content": {"multipart/form-data": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn json_body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn list_of(key: &str, item: Value) -> Value {
    json!({"type": "object", "properties": {key: {"type": "array", "items": item}}})
}

pub(super) fn routes() -> Vec<ApiRoute> {
    let route = |method: &'static str,
                 path: &'static str,
                 handler: axum::routing::MethodRouter<AppState>,
                 operation: Value,
                 upload: bool| ApiRoute {
        method,
        path,
        handler,
        operation,
        upload,
    };
    let date = || json!({"type": "string", "format": "date"});
    let text = || json!({"type": "string"});
    let int = || json!({"type": "integer"});
    vec![
        route(
            "get",
            "/api/documents",
            get(search),
            operation(
                "searchDocuments",
                "Search the registers (what the caller may see: secret documents only with clearance or as handler)",
                vec![
                    query_param("q", text(), "Words, with or without diacritics (number, summary, signer, sender, text of attachments)"),
                    query_param("direction", json!({"enum": ["incoming", "outgoing"]}), "Which register"),
                    query_param("state", text(), "Workflow state"),
                    query_param("signer", text(), "Signer"),
                    query_param("sender", text(), "Sender"),
                    query_param("number", text(), "Number and notation"),
                    query_param("year", int(), "Register year"),
                    query_param("from", date(), "Registered from"),
                    query_param("until", date(), "Registered until"),
                    query_param("issued_from", date(), "Issued from"),
                    query_param("issued_until", date(), "Issued until"),
                    query_param("limit", int(), "1–500, default 50"),
                    query_param("offset", int(), "Rows to skip"),
                ],
                None,
                ("200", json_ok("Matching documents", list_of("documents", reference("DocumentRow")))),
                &["400", "401", "403"],
            ),
            false,
        ),
        route(
            "post",
            "/api/documents/incoming",
            post(register_incoming),
            operation(
                "registerIncoming",
                "Register an incoming document: next arrival number of the year, arrival time, SHA-256; duplicates are refused with a pointer to the first registration",
                vec![],
                Some(multipart_body("IncomingFields")),
                ("201", json_ok("Registered", reference("Registered"))),
                &["400", "401", "403", "409", "413", "415"],
            ),
            true,
        ),
        route(
            "post",
            "/api/documents/incoming/edxml",
            post(import_edxml),
            operation(
                "importEdxml",
                "Receive an edXML (QCVN 102:2016) package (multipart part `package`)",
                vec![],
                Some(json!({"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["package"], "properties": {"package": {"type": "string", "contentMediaType": "application/xml"}}}}}})),
                ("201", json_ok("Registered (or 200: applied to an earlier document)", json!({"type": "object"}))),
                &["400", "401", "403", "409", "413", "422"],
            ),
            true,
        ),
        route(
            "post",
            "/api/documents/outgoing",
            post(create_draft),
            operation(
                "createDraft",
                "Create an outgoing draft (metadata and optionally its file)",
                vec![],
                Some(multipart_body("DraftFields")),
                ("201", json_ok("The draft", reference("Document"))),
                &["400", "401", "403", "413", "415"],
            ),
            true,
        ),
        route(
            "get",
            "/api/documents/overdue",
            get(overdue),
            operation(
                "overdueDocuments",
                "Overdue assignments: the caller's own, or (clerk, leader) a unit's, a person's or all",
                vec![
                    query_param("scope", json!({"enum": ["mine", "unit", "person", "all"]}), "Default mine"),
                    query_param("unit", int(), "With scope=unit (default: the caller's unit)"),
                    query_param("user", int(), "With scope=person"),
                ],
                None,
                ("200", json_ok("Overdue assignments with their documents", list_of("overdue", json!({"type": "object"})))),
                &["400", "401", "403"],
            ),
            false,
        ),
        route(
            "get",
            "/api/documents/notifications",
            get(notifications),
            operation(
                "notifications",
                "The caller's in-app notifications (assignments, overdue reminders)",
                vec![query_param("unread", json!({"type": "boolean"}), "Only unread ones")],
                None,
                ("200", json_ok("Notifications", list_of("notifications", json!({"type": "object"})))),
                &["401", "403"],
            ),
            false,
        ),
        route(
            "post",
            "/api/documents/notifications/{id}/read",
            post(mark_read),
            operation(
                "markNotificationRead",
                "Mark one of the caller's notifications read",
                vec![json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}, "description": "The notification id"})],
                None,
                ("200", json_ok("Whether it changed", json!({"type": "object", "properties": {"marked": {"type": "boolean"}}}))),
                &["401", "403", "404"],
            ),
            false,
        ),
        route(
            "get",
            "/api/documents/registers",
            get(registers),
            operation(
                "register",
                "A register of a period as Decree 30 Appendix IV rows (JSON, CSV or XLSX)",
                vec![
                    query_param("direction", json!({"enum": ["incoming", "outgoing"]}), "Default incoming"),
                    json!({"name": "from", "in": "query", "required": true, "schema": date()}),
                    query_param("until", date(), "Default today"),
                    query_param("secret", json!({"type": "boolean"}), "The secret documents' register (clearance needed)"),
                    query_param("format", json!({"enum": ["json", "csv", "xlsx"]}), "Default json"),
                ],
                None,
                ("200", json!({"description": "The register", "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "contentMediaType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}}
                }})),
                &["400", "401", "403"],
            ),
            false,
        ),
        route(
            "get",
            "/api/documents/{id}",
            get(show),
            operation(
                "getDocument",
                "A document: metadata, files, signatures, assignments and the steps the caller may take now",
                vec![id_param()],
                None,
                ("200", json_ok("The document", reference("Document"))),
                &["401", "403", "404"],
            ),
            false,
        ),
        route(
            "put",
            "/api/documents/{id}",
            put(edit_draft),
            operation(
                "editDraft",
                "Replace the metadata of a draft the caller holds (with the version read)",
                vec![id_param()],
                Some(json_body(reference("DraftFields"))),
                ("200", json_ok("The draft", reference("Document"))),
                &["400", "401", "403", "404", "409"],
            ),
            false,
        ),
        route(
            "get",
            "/api/documents/{id}/timeline",
            get(timeline),
            operation(
                "timeline",
                "The document's timeline, oldest first, with ledger sequence numbers",
                vec![id_param()],
                None,
                ("200", json_ok("Events", list_of("events", json!({"type": "object"})))),
                &["401", "403", "404"],
            ),
            false,
        ),
        route(
            "get",
            "/api/documents/{id}/signatures",
            get(signatures),
            operation(
                "signatures",
                "Signatures with their validation reports, and archive items",
                vec![id_param()],
                None,
                ("200", json_ok("Signatures and archive items", json!({"type": "object"}))),
                &["401", "403", "404"],
            ),
            false,
        ),
        route(
            "post",
            "/api/documents/{id}/files",
            post(attach_file),
            operation(
                "attachFile",
                "Add a file to a draft the caller holds (a new original becomes the version signed)",
                vec![id_param()],
                Some(json!({"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"}, "attachment": {"type": "string", "contentMediaType": "application/octet-stream"}}}}}})),
                ("201", json_ok("The document's files", json!({"type": "array"}))),
                &["400", "401", "403", "404", "409", "413", "415"],
            ),
            true,
        ),
        route(
            "get",
            "/api/documents/{id}/files/{file_id}",
            get(download),
            operation(
                "downloadFile",
                "Download a file (original, attachment, rendition or signed copy); X-Content-SHA256 carries its hash",
                vec![id_param(), json!({"name": "file_id", "in": "path", "required": true, "schema": {"type": "integer"}})],
                None,
                ("200", file_ok("The file", "application/octet-stream")),
                &["401", "403", "404"],
            ),
            false,
        ),
        route(
            "post",
            "/api/documents/{id}/transition",
            post(transition),
            operation(
                "transition",
                "Take a workflow step (assign with a due date in working days, start, return, finish, submit, review, approve, send back, issue, dispatch)",
                vec![id_param()],
                Some(json_body(reference("Transition"))),
                ("200", json_ok("What the step did", reference("TransitionDone"))),
                &["400", "401", "403", "404", "409"],
            ),
            false,
        ),
        route(
            "post",
            "/api/documents/{id}/sign",
            post(sign),
            operation(
                "sign",
                "Sign with the caller's certificate: PAdES B-T for a PDF, detached CMS with a timestamp otherwise",
                vec![id_param()],
                None,
                ("200", json_ok("The signature and its verdict", json!({"type": "object"}))),
                &["401", "403", "404", "409"],
            ),
            false,
        ),
        route(
            "post",
            "/api/documents/{id}/recall",
            post(recall),
            operation(
                "recall",
                "Recall (thu hồi) a document: frozen and marked, never deleted",
                vec![id_param()],
                Some(json_body(json!({"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}))),
                ("200", json_ok("The document", reference("Document"))),
                &["400", "401", "403", "404", "409"],
            ),
            false,
        ),
        route(
            "get",
            "/api/documents/{id}/deliveries",
            get(deliveries),
            operation(
                "deliveries",
                "Every recipient of an outgoing document: whether it can be reached through the federation, where the document and its revocation stand in the outbox (queued, sent with attempts and last error, received with the recipient's signed receipt and arrival time, rejected), and the edXML status messages the recipient sent back",
                vec![id_param()],
                None,
                ("200", json_ok("Recipients", reference("Deliveries"))),
                &["401", "403", "404", "409"],
            ),
            false,
        ),
        route(
            "post",
            "/api/documents/{id}/send",
            post(send_electronically),
            operation(
                "sendElectronically",
                "Send a dispatched document (its revocation once recalled) through the federation to every recipient it has not been queued for yet; the dispatch step does this by itself, this finishes a send that failed or reaches recipients that joined later. Never queues a message twice",
                vec![id_param()],
                None,
                ("200", json_ok("What was queued for whom", reference("Sending"))),
                &["401", "403", "404", "409", "503"],
            ),
            false,
        ),
        route(
            "post",
            "/api/documents/{id}/portal",
            post(publish_to_portal),
            operation(
                "publishToPortal",
                "Publish an issued, non-secret, unrecalled outgoing document to the public portal with its metadata and files; publishing it again updates the same item. Needs portal_edit (sent for review) or portal_publish (published at once)",
                vec![id_param()],
                Some(json_body(json!({"type": "object", "properties": {"category": {"type": "string", "description": "slug of a legal-documents category; the first one if absent"}}}))),
                ("200", json_ok("The portal item", json!({"type": "object", "properties": {"item_id": {"type": "integer"}, "status": {"type": "string"}, "updated": {"type": "boolean"}, "url": {"type": "string"}}}))),
                &["400", "401", "403", "404", "409"],
            ),
            false,
        ),
        route(
            "get",
            "/api/documents/{id}/package",
            get(package),
            operation(
                "archivePackage",
                "The archive package (zip) of the document, checkable offline with `congso verify`",
                vec![id_param()],
                None,
                ("200", file_ok("The package", "application/zip")),
                &["401", "403", "404", "409"],
            ),
            false,
        ),
        route(
            "get",
            "/api/documents/{id}/edxml",
            get(edxml),
            operation(
                "exportEdxml",
                "The document as an edXML message (not for secret documents)",
                vec![id_param()],
                None,
                ("200", file_ok("The edXML message", "application/xml")),
                &["401", "403", "404"],
            ),
            false,
        ),
    ]
}
