//! Lists: the documents hub, the incoming and outgoing registers as working
//! lists, search, the overdue list, notifications, and the Appendix IV
//! registers for printing and export.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use congso_core::access::Action;
use congso_docs::model::{parse_iso_date, Direction, Secrecy};
use congso_docs::register::RegisterQuery;
use congso_docs::service::{vn_date, OverdueQuery, SearchQuery};
use congso_store::documents::DocumentRow;
use maud::{html, Markup};

use super::{begin, date_text, direction_of, document_name, marks, menu, state_label};
use crate::error::AppError;
use crate::layout::{page, Ctx};
use crate::session::SignedIn;
use crate::AppState;

/// Rows per page of a working list.
const PAGE_ROWS: u32 = 50;

type Params = Query<HashMap<String, String>>;

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
    match param(query, name) {
        None => Ok(None),
        Some(text) => parse_iso_date(text).map(Some).ok_or_else(|| {
            AppError::bad_request(format!("{name}: {text:?} is not a YYYY-MM-DD date"))
        }),
    }
}

fn number_param<T: std::str::FromStr>(
    query: &HashMap<String, String>,
    name: &str,
) -> Result<Option<T>, AppError> {
    match param(query, name) {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| AppError::bad_request(format!("{name}: {text:?} is not a number"))),
    }
}

pub async fn hub(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentView).await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let unread = service.notifications(&acting, true).await?.len();
    let overdue = service.overdue(&acting, OverdueQuery::Mine).await?.len();
    let body = html! {
        h1 { (ctx.t("doc-hub-title")) }
        p { (ctx.t("doc-hub-intro")) }
        @if overdue > 0 {
            div.warning role="status" {
                a href="/documents/overdue" { (ctx.ta("doc-hub-overdue", &[("count", &overdue.to_string())])) }
            }
        }
        @if unread > 0 {
            p { a href="/documents/notifications" { (ctx.ta("doc-hub-unread", &[("count", &unread.to_string())])) } }
        }
        nav aria-label=(ctx.t("doc-hub-title")) { (menu(&ctx, &signed_in)) }
    };
    Ok(super::super::private_page(page(
        &ctx,
        &ctx.t("doc-hub-title"),
        body,
    )))
}

/// The working list of one register: filters (year, period, state, search
/// words with or without diacritics) and a page of documents.
async fn register_list(
    state: &AppState,
    signed_in: &SignedIn,
    query: &HashMap<String, String>,
    direction: Direction,
) -> Result<Response, AppError> {
    let (service, acting) = begin(state, signed_in, Action::DocumentView).await?;
    let ctx = Ctx::new(state, &signed_in.visitor);
    let offset: u32 = number_param(query, "offset")?.unwrap_or(0);
    let year: Option<i32> = number_param(query, "year")?;
    let from = date_param(query, "from")?;
    let until = date_param(query, "until")?;
    let wanted_state = param(query, "state").map(str::to_owned);
    let text = param(query, "q").unwrap_or("").to_owned();
    let rows = service
        .search(
            &acting,
            &SearchQuery {
                text: text.clone(),
                direction: Some(direction),
                registered_from: from,
                registered_until: until,
                state: wanted_state.clone(),
                register_year: year,
                limit: PAGE_ROWS + 1,
                offset,
                ..SearchQuery::default()
            },
        )
        .await?;
    let more = rows.len() > PAGE_ROWS as usize;
    let rows = &rows[..rows.len().min(PAGE_ROWS as usize)];
    let (title, path) = match direction {
        Direction::Incoming => (ctx.t("doc-incoming-title"), "/documents/incoming"),
        Direction::Outgoing => (ctx.t("doc-outgoing-title"), "/documents/outgoing"),
    };
    let workflow = service.workflows().get(direction);
    let next_query = {
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .filter(|(key, _)| key.as_str() != "offset")
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        pairs.sort();
        pairs.push(("offset".to_owned(), (offset + PAGE_ROWS).to_string()));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    };
    let can_register = signed_in
        .user
        .roles
        .permits(Action::DocumentRegisterIncoming);
    let can_draft = signed_in.user.roles.permits(Action::DocumentDraft);
    let body = html! {
        h1 { (title) }
        @if direction == Direction::Incoming && can_register {
            p { a.button href="/documents/incoming/new" { (ctx.t("doc-nav-register")) } }
        }
        @if direction == Direction::Outgoing && can_draft {
            p { a.button href="/documents/outgoing/new" { (ctx.t("doc-nav-draft")) } }
        }
        form.filters method="get" action=(path) {
            div {
                label for="q" { (ctx.t("doc-filter-text")) }
                input #q type="search" name="q" value=(text) maxlength="500";
            }
            div {
                label for="state" { (ctx.t("doc-filter-state")) }
                select #state name="state" {
                    option value="" { (ctx.t("doc-filter-any")) }
                    @for candidate in &workflow.states {
                        option value=(candidate.name) selected[wanted_state.as_deref() == Some(candidate.name.as_str())] {
                            (state_label(&ctx, service, direction, &candidate.name))
                        }
                    }
                }
            }
            div {
                label for="year" { (ctx.t("doc-filter-year")) }
                input #year type="number" name="year" min="1990" max="2100" value=[year];
            }
            div {
                label for="from" { (ctx.t("doc-filter-from")) }
                input #from type="date" name="from" value=[param(query, "from")];
            }
            div {
                label for="until" { (ctx.t("doc-filter-until")) }
                input #until type="date" name="until" value=[param(query, "until")];
            }
            div { button type="submit" { (ctx.t("doc-filter-submit")) } }
        }
        (document_table(&ctx, service, rows, direction))
        @if more {
            p { a href={ (path) "?" (next_query) } { (ctx.t("doc-next-page")) } }
        }
    };
    Ok(super::super::private_page(page(&ctx, &title, body)))
}

/// A table of documents.
pub(crate) fn document_table(
    ctx: &Ctx<'_>,
    service: &congso_docs::Service,
    rows: &[DocumentRow],
    direction: Direction,
) -> Markup {
    html! {
        @if rows.is_empty() {
            p.muted { (ctx.t("doc-none")) }
        } @else {
            div.table-wrap {
                table {
                    caption.muted { (ctx.ta("doc-count", &[("count", &rows.len().to_string())])) }
                    thead { tr {
                        @if direction == Direction::Incoming {
                            th scope="col" { (ctx.t("doc-col-arrival")) }
                            th scope="col" { (ctx.t("doc-col-arrived")) }
                            th scope="col" { (ctx.t("doc-col-number")) }
                            th scope="col" { (ctx.t("doc-col-sender")) }
                        } @else {
                            th scope="col" { (ctx.t("doc-col-number")) }
                            th scope="col" { (ctx.t("doc-col-issued")) }
                            th scope="col" { (ctx.t("doc-col-signer")) }
                        }
                        th scope="col" { (ctx.t("doc-col-summary")) }
                        th scope="col" { (ctx.t("doc-col-state")) }
                        th scope="col" { (ctx.t("doc-col-due")) }
                    } }
                    tbody {
                        @for row in rows {
                            tr {
                                @if direction == Direction::Incoming {
                                    td { (row.register_number.map(|n| n.to_string()).unwrap_or_default()) }
                                    td { (row.arrived_at.map(|at| ctx.datetime(at)).unwrap_or_default()) }
                                    td { (row.number_notation.clone().unwrap_or_default()) }
                                    td { (row.sender_name.clone().unwrap_or_default()) }
                                } @else {
                                    td { (row.number_notation.clone().unwrap_or_default()) }
                                    td { (date_text(row.issue_date.as_deref())) }
                                    td { (row.signer_name.clone().unwrap_or_default()) }
                                }
                                td {
                                    a href={ "/documents/" (row.id) } { (row.summary) }
                                    (marks(ctx, row))
                                }
                                td { (state_label(ctx, service, direction_of(row), &row.state)) }
                                td { (date_text(row.due_date.as_deref())) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn incoming(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Params,
) -> Result<Response, AppError> {
    register_list(&state, &signed_in, &query, Direction::Incoming).await
}

pub async fn outgoing(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Params,
) -> Result<Response, AppError> {
    register_list(&state, &signed_in, &query, Direction::Outgoing).await
}

pub async fn search(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Params,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentView).await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let text = param(&query, "q").unwrap_or("").to_owned();
    let direction = match param(&query, "direction") {
        Some("incoming") => Some(Direction::Incoming),
        Some("outgoing") => Some(Direction::Outgoing),
        _ => None,
    };
    let search = SearchQuery {
        text: text.clone(),
        signer: param(&query, "signer").map(str::to_owned),
        sender: param(&query, "sender").map(str::to_owned),
        number_notation: param(&query, "number").map(str::to_owned),
        direction,
        issue_date_from: date_param(&query, "from")?,
        issue_date_until: date_param(&query, "until")?,
        limit: 100,
        ..SearchQuery::default()
    };
    let asked = !(search.text.is_empty()
        && search.signer.is_none()
        && search.sender.is_none()
        && search.number_notation.is_none()
        && search.issue_date_from.is_none()
        && search.issue_date_until.is_none());
    let rows = if asked {
        Some(service.search(&acting, &search).await?)
    } else {
        None
    };
    let field = |name: &str| param(&query, name).unwrap_or("").to_owned();
    let body = html! {
        h1 { (ctx.t("doc-search-title")) }
        p.muted { (ctx.t("doc-search-help")) }
        form.filters method="get" action="/documents/search" role="search" {
            div {
                label for="q" { (ctx.t("doc-filter-text")) }
                input #q type="search" name="q" value=(text) maxlength="500";
            }
            div {
                label for="number" { (ctx.t("doc-field-number-notation")) }
                input #number type="text" name="number" value=(field("number")) maxlength="100";
            }
            div {
                label for="signer" { (ctx.t("doc-field-signer")) }
                input #signer type="text" name="signer" value=(field("signer")) maxlength="200";
            }
            div {
                label for="sender" { (ctx.t("doc-field-sender")) }
                input #sender type="text" name="sender" value=(field("sender")) maxlength="200";
            }
            div {
                label for="direction" { (ctx.t("doc-filter-direction")) }
                select #direction name="direction" {
                    option value="" { (ctx.t("doc-filter-any")) }
                    option value="incoming" selected[direction == Some(Direction::Incoming)] { (ctx.t("doc-incoming-title")) }
                    option value="outgoing" selected[direction == Some(Direction::Outgoing)] { (ctx.t("doc-outgoing-title")) }
                }
            }
            div {
                label for="from" { (ctx.t("doc-filter-date-from")) }
                input #from type="date" name="from" value=(field("from"));
            }
            div {
                label for="until" { (ctx.t("doc-filter-date-until")) }
                input #until type="date" name="until" value=(field("until"));
            }
            div { button type="submit" { (ctx.t("doc-search-submit")) } }
        }
        @if let Some(rows) = &rows {
            h2 { (ctx.t("doc-search-results")) }
            @if rows.is_empty() {
                p { (ctx.t("doc-none")) }
            } @else {
                div.table-wrap {
                    table {
                        caption.muted { (ctx.ta("doc-count", &[("count", &rows.len().to_string())])) }
                        thead { tr {
                            th scope="col" { (ctx.t("doc-col-register")) }
                            th scope="col" { (ctx.t("doc-col-number")) }
                            th scope="col" { (ctx.t("doc-col-summary")) }
                            th scope="col" { (ctx.t("doc-col-state")) }
                        } }
                        tbody {
                            @for row in rows {
                                tr {
                                    td { (ctx.t(&format!("doc-register-{}", row.direction))) }
                                    td { (document_name(&ctx, row)) }
                                    td { a href={ "/documents/" (row.id) } { (row.summary) } (marks(&ctx, row)) }
                                    td { (state_label(&ctx, service, direction_of(row), &row.state)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(super::super::private_page(page(
        &ctx,
        &ctx.t("doc-search-title"),
        body,
    )))
}

pub async fn overdue(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Params,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentView).await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let can_all = signed_in.user.roles.permits(Action::DocumentOverdueView);
    let scope = param(&query, "scope").unwrap_or("mine");
    let which = match (scope, acting.unit_id) {
        ("unit", Some(unit)) if can_all => OverdueQuery::Unit(unit),
        ("all", _) if can_all => OverdueQuery::All,
        ("mine", _) => OverdueQuery::Mine,
        _ => return Err(AppError::forbidden()),
    };
    let rows = service.overdue(&acting, which).await?;
    let users: HashMap<i64, String> = congso_store::accounts::list_users(state.db())
        .await?
        .into_iter()
        .map(|user| (user.id, user.display_name))
        .collect();
    let units: HashMap<i64, String> = congso_store::accounts::list_organizations(state.db())
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit.name))
        .collect();
    let today = vn_date(congso_store::now());
    let body = html! {
        h1 { (ctx.t("doc-overdue-title")) }
        nav aria-label=(ctx.t("doc-overdue-scope")) {
            ul.menu.inline {
                li { a href="/documents/overdue?scope=mine" aria-current=[(scope == "mine").then_some("page")] { (ctx.t("doc-overdue-mine")) } }
                @if can_all {
                    @if acting.unit_id.is_some() {
                        li { a href="/documents/overdue?scope=unit" aria-current=[(scope == "unit").then_some("page")] { (ctx.t("doc-overdue-unit")) } }
                    }
                    li { a href="/documents/overdue?scope=all" aria-current=[(scope == "all").then_some("page")] { (ctx.t("doc-overdue-all")) } }
                }
            }
        }
        p.muted { (ctx.ta("doc-overdue-today", &[("date", &congso_docs::register::vn_date_text(today))])) }
        @if rows.is_empty() {
            p { (ctx.t("doc-overdue-none")) }
        } @else {
            div.table-wrap {
                table {
                    caption.muted { (ctx.ta("doc-count", &[("count", &rows.len().to_string())])) }
                    thead { tr {
                        th scope="col" { (ctx.t("doc-col-due")) }
                        th scope="col" { (ctx.t("doc-col-summary")) }
                        th scope="col" { (ctx.t("doc-col-assignee")) }
                        th scope="col" { (ctx.t("doc-col-state")) }
                    } }
                    tbody {
                        @for row in &rows {
                            tr {
                                td { (date_text(row.assignment.due_date.as_deref())) }
                                td { a href={ "/documents/" (row.document.id) } { (row.document.summary) } (marks(&ctx, &row.document)) }
                                td {
                                    (row.assignment.user_id.and_then(|id| users.get(&id)).cloned().unwrap_or_default())
                                    @if let Some(unit) = row.assignment.unit_id.and_then(|id| units.get(&id)) {
                                        " (" (unit) ")"
                                    }
                                }
                                td { (state_label(&ctx, service, direction_of(&row.document), &row.document.state)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(super::super::private_page(page(
        &ctx,
        &ctx.t("doc-overdue-title"),
        body,
    )))
}

pub async fn notifications(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentView).await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let rows = service.notifications(&acting, false).await?;
    let body = html! {
        h1 { (ctx.t("doc-notifications-title")) }
        @if rows.is_empty() {
            p { (ctx.t("doc-notifications-none")) }
        } @else {
            ul.notifications {
                @for row in &rows {
                    li.unread[row.read_at.is_none()] {
                        span.muted { (ctx.datetime(row.created_at)) } " "
                        @if row.read_at.is_none() { strong { (ctx.t("doc-notification-new")) } " " }
                        (row.message)
                        @if let Some(id) = row.document_id {
                            " " a href={ "/documents/" (id) } { (ctx.t("doc-notification-open")) }
                        }
                        @if row.read_at.is_none() {
                            form.inline method="post" action={ "/documents/notifications/" (row.id) "/read" } {
                                (ctx.csrf())
                                button.secondary.small type="submit" { (ctx.t("doc-notification-mark-read")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(super::super::private_page(page(
        &ctx,
        &ctx.t("doc-notifications-title"),
        body,
    )))
}

pub async fn mark_read(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentView).await?;
    service.mark_notification_read(&acting, id).await?;
    Ok(Redirect::to("/documents/notifications").into_response())
}

/// The Appendix IV registers of a period: a form, then the register as a
/// printable page (the print style sheet lays it out on A4 landscape), or
/// as XLSX or CSV.
pub async fn registers(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Params,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentRegisterView).await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let today = vn_date(congso_store::now());
    let year_start =
        congso_vn::time::Date::from_calendar_date(today.year(), congso_vn::time::Month::January, 1)
            .unwrap_or(today);
    let direction = match param(&query, "direction") {
        Some("outgoing") => Direction::Outgoing,
        _ => Direction::Incoming,
    };
    let from = date_param(&query, "from")?.unwrap_or(year_start);
    let until = date_param(&query, "until")?.unwrap_or(today);
    let secret = param(&query, "secret").is_some();
    let may_secret = acting.clearance.is_secret();
    if secret && !may_secret {
        return Err(AppError::forbidden());
    }
    let register_query = RegisterQuery {
        direction,
        secret,
        from,
        until,
    };
    let format = param(&query, "format").unwrap_or("");
    let stem = format!(
        "so-{}-{}-{}",
        if direction == Direction::Incoming {
            "den"
        } else {
            "di"
        },
        congso_docs::model::iso_date(from),
        congso_docs::model::iso_date(until)
    );
    match format {
        "xlsx" => {
            let bytes = service
                .export_register_xlsx(&acting, register_query)
                .await?;
            return Ok(download(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{stem}.xlsx"),
            ));
        }
        "csv" => {
            let bytes = service.export_register_csv(&acting, register_query).await?;
            return Ok(download(
                bytes,
                "text/csv; charset=utf-8",
                &format!("{stem}.csv"),
            ));
        }
        "" | "html" => {}
        other => return Err(AppError::bad_request(format!("unknown format {other:?}"))),
    }
    let show = param(&query, "format") == Some("html");
    let register = if show {
        Some(service.register(&acting, register_query).await?)
    } else {
        None
    };
    let base = serde_urlencoded::to_string([
        ("direction", direction.code().to_owned()),
        ("from", congso_docs::model::iso_date(from)),
        ("until", congso_docs::model::iso_date(until)),
    ])
    .unwrap_or_default();
    let base = if secret {
        format!("{base}&secret=1")
    } else {
        base
    };
    let body = html! {
        h1.no-print { (ctx.t("doc-registers-title")) }
        form.filters.no-print method="get" action="/documents/registers" {
            div {
                label for="direction" { (ctx.t("doc-registers-which")) }
                select #direction name="direction" {
                    option value="incoming" selected[direction == Direction::Incoming] { (ctx.t("doc-register-incoming")) }
                    option value="outgoing" selected[direction == Direction::Outgoing] { (ctx.t("doc-register-outgoing")) }
                }
            }
            div {
                label for="from" { (ctx.t("doc-filter-from")) }
                input #from type="date" name="from" value=(congso_docs::model::iso_date(from)) required;
            }
            div {
                label for="until" { (ctx.t("doc-filter-until")) }
                input #until type="date" name="until" value=(congso_docs::model::iso_date(until)) required;
            }
            @if may_secret {
                div { label.check { input type="checkbox" name="secret" value="1" checked[secret]; (ctx.t("doc-registers-secret")) } }
            }
            input type="hidden" name="format" value="html";
            div { button type="submit" { (ctx.t("doc-registers-show")) } }
        }
        @if let Some(register) = &register {
            p.no-print {
                a href={ "/documents/registers?" (base) "&format=xlsx" } { (ctx.t("doc-registers-xlsx")) }
                " · "
                a href={ "/documents/registers?" (base) "&format=csv" } { (ctx.t("doc-registers-csv")) }
            }
            p.no-print.muted { (ctx.t("doc-registers-print-help")) }
            section.register {
                p.register-agency { (service.agency().name) }
                h2.register-title { (register.title) }
                p.register-period { (register.period) }
                div.table-wrap {
                    table.register-table {
                        caption.muted { (ctx.ta("doc-count", &[("count", &register.rows.len().to_string())])) }
                        thead {
                            tr { @for heading in &register.headers { th scope="col" { (heading) } } }
                            tr.column-numbers { @for index in 1..=register.headers.len() { th scope="col" { "(" (index) ")" } } }
                        }
                        tbody {
                            @for row in &register.rows {
                                tr { @for cell in row { td { (cell) } } }
                            }
                        }
                    }
                }
            }
        } @else {
            p { (ctx.t("doc-registers-help")) }
        }
    };
    Ok(super::super::private_page(page(
        &ctx,
        &ctx.t("doc-registers-title"),
        body,
    )))
}

fn download(bytes: Vec<u8>, media_type: &'static str, name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(value) = HeaderValue::from_str(&super::attachment_disposition(name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[allow(dead_code)]
fn secrecy_of(row: &DocumentRow) -> Secrecy {
    Secrecy::from_level(row.secrecy).unwrap_or_default()
}
