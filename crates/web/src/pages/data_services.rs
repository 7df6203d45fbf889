//! `/staff/data-services`: other agencies' data services (Decree 64 Art. 7).
//! Staff pick a service, fill in its declared input (a form made from the
//! input's JSON Schema) and the purpose, and see the provider's signed
//! answer; the page lists the user's own recent calls, or every call made
//! and answered by this node for those who oversee the log. Every call is
//! logged and ledgered on both sides by the federation; answers carry
//! personal data, so these pages are never cached.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use congso_core::access::Action;
use maud::{html, Markup};
use serde_json::Value;

use crate::data_services::{
    input_fields, input_from_form, CallResult, OfferedService, ServiceCall,
};
use crate::error::AppError;
use crate::layout::{page, Ctx};
use crate::session::SignedIn;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/data-services", get(index))
        .route("/staff/data-services/call", post(call))
}

/// Longest purpose accepted (the federation's own limit).
const PURPOSE_MAX: usize = 500;

fn require_any(signed_in: &SignedIn) -> Result<(), AppError> {
    if signed_in.user.roles.permits(Action::DataServiceCall) {
        Ok(())
    } else {
        signed_in.require(Action::DataServiceLogView)
    }
}

/// The calls a user may see: all of them with `DataServiceLogView`, else
/// their own.
pub(crate) async fn visible_calls(
    state: &AppState,
    signed_in: &SignedIn,
    limit: u32,
) -> Result<Vec<congso_store::data_services::CallRow>, AppError> {
    let own = signed_in.user.id.to_string();
    let filter =
        (!signed_in.user.roles.permits(Action::DataServiceLogView)).then_some(own.as_str());
    Ok(congso_store::data_services::recent_calls(state.db(), filter, limit).await?)
}

async fn index(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, AppError> {
    require_any(&signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let services = state.data_services().map(|gateway| gateway.services());
    let calls = visible_calls(&state, &signed_in, 50).await?;
    let can_call = signed_in.user.roles.permits(Action::DataServiceCall);
    let body = html! {
        h1 { (ctx.t("ds-title")) }
        p.lead { (ctx.t("ds-lead")) }
        @match &services {
            None => { p.muted { (ctx.t("ds-no-federation")) } }
            Some(services) if services.is_empty() => { p.muted { (ctx.t("ds-none")) } }
            Some(services) => {
                @for (index, service) in services.iter().enumerate() {
                    (service_form(&ctx, index, service, can_call, None, &HashMap::new()))
                }
            }
        }
        (calls_table(&ctx, &calls))
    };
    Ok(super::private_page(page(&ctx, &ctx.t("ds-title"), body)))
}

fn service_form(
    ctx: &Ctx<'_>,
    index: usize,
    service: &OfferedService,
    can_call: bool,
    problem: Option<&str>,
    values: &HashMap<String, String>,
) -> Markup {
    let fields = input_fields(&service.input_schema);
    let id = |name: &str| format!("s{index}-{name}");
    let value = |name: &str| values.get(name).cloned().unwrap_or_default();
    html! {
        section.card aria-labelledby=(id("h")) {
            h2 id=(id("h")) { (service.name) }
            p { (service.provider_name) " · " code { (service.provider) } " · " code { (service.code) } }
            @if !service.description.is_empty() { p.hint { (service.description) } }
            @if can_call {
                form.stack method="post" action="/staff/data-services/call" {
                    (ctx.csrf())
                    input type="hidden" name="provider" value=(service.provider);
                    input type="hidden" name="service" value=(service.code);
                    @if let Some(problem) = problem {
                        div.error role="alert" { (problem) }
                    }
                    @match &fields {
                        Some(fields) => {
                            @for field in fields {
                                @let field_id = id(&format!("in-{}", field.name));
                                @if field.kind == "boolean" {
                                    label for=(field_id) {
                                        input id=(field_id) type="checkbox" name={ "in." (field.name) } value="1" checked[!value(&format!("in.{}", field.name)).is_empty()];
                                        " " (field.label)
                                    }
                                } @else {
                                    label for=(field_id) {
                                        (field.label)
                                        @if field.required { " " span.required aria-hidden="true" { "*" } }
                                    }
                                    input id=(field_id) name={ "in." (field.name) }
                                        type=(if field.kind == "string" { "text" } else { "number" })
                                        required[field.required]
                                        maxlength=[field.max_length]
                                        value=(value(&format!("in.{}", field.name)))
                                        aria-describedby=[field.hint.as_ref().map(|_| format!("{field_id}-hint"))];
                                    @if let Some(hint) = &field.hint { p.hint id={ (field_id) "-hint" } { (hint) } }
                                }
                            }
                        }
                        None => {
                            label for=(id("json")) { (ctx.t("ds-input-json")) " " span.required aria-hidden="true" { "*" } }
                            textarea id=(id("json")) name="input_json" rows="4" required { (value("input_json")) }
                        }
                    }
                    label for=(id("purpose")) { (ctx.t("ds-purpose")) " " span.required aria-hidden="true" { "*" } }
                    textarea id=(id("purpose")) name="purpose" rows="2" required maxlength=(PURPOSE_MAX) aria-describedby=(id("purpose-hint")) { (value("purpose")) }
                    p.hint id=(id("purpose-hint")) { (ctx.t("ds-purpose-hint")) }
                    button type="submit" { (ctx.t("ds-call")) }
                }
            }
        }
    }
}

fn calls_table(ctx: &Ctx<'_>, calls: &[congso_store::data_services::CallRow]) -> Markup {
    html! {
        section aria-labelledby="ds-log-h" {
            h2 #ds-log-h { (ctx.t("ds-log")) }
            @if calls.is_empty() {
                p.muted { (ctx.t("ds-log-empty")) }
            } @else {
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { (ctx.t("ds-col-time")) }
                        th scope="col" { (ctx.t("ds-col-side")) }
                        th scope="col" { (ctx.t("ds-col-service")) }
                        th scope="col" { (ctx.t("ds-col-parties")) }
                        th scope="col" { (ctx.t("ds-col-user")) }
                        th scope="col" { (ctx.t("ds-col-purpose")) }
                        th scope="col" { (ctx.t("ds-col-outcome")) }
                    } }
                    tbody {
                        @for row in calls {
                            tr {
                                td { (ctx.datetime(row.requested_at)) }
                                td { (ctx.t(if row.side == "caller" { "ds-side-caller" } else { "ds-side-provider" })) }
                                td { code { (row.service_code) } }
                                td { (row.caller_org) " → " (row.provider) }
                                td { (row.caller_user_name) }
                                td { (row.purpose) }
                                td { (ctx.t(&format!("ds-outcome-{}", row.outcome))) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// Reads the call form: provider, service, the input and the purpose.
fn read_form(
    service: &OfferedService,
    form: &HashMap<String, String>,
) -> Result<(Value, String), String> {
    let purpose = form
        .get("purpose")
        .map(|text| text.trim().to_owned())
        .unwrap_or_default();
    let input = match input_fields(&service.input_schema) {
        Some(fields) => input_from_form(&fields, |name| form.get(&format!("in.{name}")).cloned())?,
        None => serde_json::from_str(form.get("input_json").map(String::as_str).unwrap_or(""))
            .map_err(|error| format!("JSON: {error}"))?,
    };
    Ok((input, purpose))
}

async fn call(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    signed_in.require(Action::DataServiceCall)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let gateway = state.data_services().ok_or_else(|| {
        AppError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "no_federation",
            "ds-no-federation",
        )
    })?;
    let provider = form.get("provider").cloned().unwrap_or_default();
    let code = form.get("service").cloned().unwrap_or_default();
    let services = gateway.services();
    let Some((index, service)) = services
        .iter()
        .enumerate()
        .find(|(_, service)| service.provider == provider && service.code == code)
    else {
        return Err(AppError::not_found());
    };
    // A form that cannot become a request is shown again with its values.
    let refuse = |problem: String| {
        let body = html! {
            h1 { (ctx.t("ds-title")) }
            (service_form(&ctx, index, service, true, Some(&problem), &form))
        };
        let mut response = super::private_page(page(&ctx, &ctx.t("ds-title"), body));
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        response
    };
    let (input, purpose) = match read_form(service, &form) {
        Ok(read) => read,
        Err(problem) => return Ok(refuse(problem)),
    };
    if purpose.is_empty() || purpose.chars().count() > PURPOSE_MAX {
        return Ok(refuse(ctx.t("ds-purpose-required")));
    }
    let result = gateway
        .call(
            ServiceCall {
                provider: provider.clone(),
                service: code.clone(),
                input,
                purpose,
                user_id: signed_in.user.id.to_string(),
                user_name: signed_in.user.display_name.clone(),
            },
            &signed_in.user.username,
        )
        .await;
    let result = match result {
        Ok(result) => result,
        Err(problem) => return Ok(refuse(problem)),
    };
    let body = html! {
        p { a href="/staff/data-services" { (ctx.t("ds-back")) } }
        h1 { (service.name) }
        (result_view(&ctx, service, &result))
        (service_form(&ctx, index, service, true, None, &form))
    };
    Ok(super::private_page(page(&ctx, &service.name, body)))
}

fn result_view(ctx: &Ctx<'_>, service: &OfferedService, result: &CallResult) -> Markup {
    let titles = service
        .output_schema
        .get("properties")
        .and_then(Value::as_object);
    let title = |key: &str| {
        titles
            .and_then(|properties| properties.get(key))
            .and_then(|property| property.get("title"))
            .and_then(Value::as_str)
            .unwrap_or(key)
            .to_owned()
    };
    let ok = result.outcome == "ok";
    html! {
        section aria-labelledby="ds-result-h" {
            h2 #ds-result-h { (ctx.t("ds-result")) }
            div class=(if ok { "notice" } else { "warning" }) role=(if ok { "status" } else { "alert" }) {
                strong { (ctx.t(&format!("ds-outcome-{}", result.outcome))) }
                @if !result.message.is_empty() { ": " (result.message) }
            }
            @if !result.errors.is_empty() {
                ul { @for error in &result.errors { li { (error) } } }
            }
            @if let Some(Value::Object(fields)) = &result.result {
                dl.facts {
                    @for (key, value) in fields {
                        dt { (title(key)) }
                        dd {
                            @match value {
                                Value::String(text) => { (text) }
                                Value::Number(number) => { (number.to_string()) }
                                Value::Bool(flag) => { (ctx.t(if *flag { "ds-yes" } else { "ds-no" })) }
                                Value::Null => { "—" }
                                other => { pre { (serde_json::to_string_pretty(other).unwrap_or_default()) } }
                            }
                        }
                    }
                }
            } @else if let Some(other) = &result.result {
                pre { (serde_json::to_string_pretty(other).unwrap_or_default()) }
            }
            details {
                summary { (ctx.t("ds-proof")) }
                dl.facts {
                    dt { (ctx.t("ds-request-id")) } dd { code { (result.request_id) } }
                    dt { (ctx.t("ds-request-hash")) } dd { code.hash { (result.request_sha256) } }
                    @if let Some(hash) = &result.response_sha256 {
                        dt { (ctx.t("ds-response-hash")) } dd { code.hash { (hash) } }
                    }
                    @if let Some(at) = result.answered_at {
                        dt { (ctx.t("ds-answered-at")) } dd { (ctx.datetime(at)) }
                    }
                }
            }
        }
    }
}
