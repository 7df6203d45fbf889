//! The portal's HTML pages.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use congso_portal::Form;
use congso_store::portal::{Category, Item, Service};
use maud::{html, Markup, PreEscaped};

use super::{cached, css_path, portal, portal_error, query_text};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::layout::{format_vn_datetime, page_with_head, Ctx};
use crate::session::Visitor;
use crate::AppState;

const HTML: &str = "text/html; charset=utf-8";
const PAGE_SIZE: i64 = 20;
const SEARCH_PAGE_SIZE: usize = 10;

fn head(extra: Markup) -> Markup {
    html! {
        link rel="stylesheet" href=(css_path());
        link rel="alternate" type="application/atom+xml" href="/feeds/news.atom" title="Atom";
        (extra)
    }
}

fn category_name(category: &Category, lang: Lang) -> &str {
    match lang {
        Lang::En if !category.name_en.is_empty() => &category.name_en,
        _ => &category.name,
    }
}

fn kind_label(ctx: &Ctx<'_>, kind: &str) -> String {
    match kind {
        "news" | "announcement" | "legal" | "disclosure" | "organisation" | "contact"
        | "service" => ctx.t(&format!("portal-kind-{kind}")),
        other => other.to_owned(),
    }
}

/// `dd/mm/yyyy` in Vietnam time.
fn vn_day(micros: i64) -> String {
    format_vn_datetime(micros)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn retention_text(ctx: &Ctx<'_>, category: &Category) -> String {
    match category.retention_days {
        Some(days) => ctx.ta("portal-retention-days", &[("days", &days.to_string())]),
        None => ctx.t("portal-retention-permanent"),
    }
}

fn item_card(ctx: &Ctx<'_>, item: &Item, category: Option<&Category>) -> Markup {
    html! {
        li {
            h3 { a href=(congso_portal::item_url(item.id)) { (item.title) } }
            p.meta {
                @if let Some(category) = category {
                    (category_name(category, ctx.visitor.lang))
                }
                @if let Some(at) = item.published_at {
                    " · " time datetime=(rfc3339_day(at)) { (vn_day(at)) }
                }
            }
            @if !item.summary.is_empty() { p { (item.summary) } }
        }
    }
}

fn rfc3339_day(micros: i64) -> String {
    congso_portal::vn_date(micros)
        .map(|date| date.to_string())
        .unwrap_or_default()
}

fn search_form(ctx: &Ctx<'_>, value: &str) -> Markup {
    html! {
        form.search-form method="get" action="/tim-kiem" role="search" {
            label for="q" { (ctx.t("portal-search-label")) }
            input #q type="search" name="q" value=(value) maxlength="1000" autocomplete="off";
            button type="submit" { (ctx.t("portal-search-button")) }
        }
    }
}

pub async fn home(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &visitor);
    let portal = portal(&state)?;
    let categories = portal.categories().await.map_err(portal_error)?;
    let latest = congso_store::portal::published(portal.db(), None, 8, 0).await?;
    let services = portal.services().await.map_err(portal_error)?;
    let notice = crate::pages::notice_from_query(&query);
    let body = html! {
        @if let Some(id) = notice { div.notice role="status" { (ctx.t(id)) } }
        @match state.agency_name() {
            Some(agency) => { h1 { (ctx.ta("home-welcome", &[("agency", &agency)])) } }
            None => { h1 { (ctx.t("home-title")) } div.warning { (ctx.t("home-no-agency")) } }
        }
        p { (ctx.t("home-intro")) }
        (search_form(&ctx, ""))
        section aria-labelledby="latest" {
            h2 #latest { (ctx.t("portal-latest")) }
            @if latest.is_empty() {
                p { (ctx.t("portal-nothing-yet")) }
            } @else {
                ul.cards {
                    @for item in &latest {
                        (item_card(&ctx, item, categories.iter().find(|c| c.id == item.category_id)))
                    }
                }
            }
        }
        section aria-labelledby="sections" {
            h2 #sections { (ctx.t("portal-sections")) }
            ul {
                @for category in &categories {
                    li { a href={ "/chuyen-muc/" (category.slug) } { (category_name(category, ctx.visitor.lang)) } }
                }
                li { a href="/dich-vu" { (ctx.t("portal-services")) } " (" (services.len()) ")" }
            }
        }
        @if visitor.session.is_none() {
            p { a.button href="/login" { (ctx.t("nav-login")) } }
        }
    };
    let markup = page_with_head(&ctx, &ctx.t("home-title"), head(html! {}), body);
    Ok(cached(&visitor, &headers, HTML, markup.into_string()))
}

fn page_number(query: &HashMap<String, String>) -> i64 {
    query
        .get("trang")
        .and_then(|page| page.trim().parse::<i64>().ok())
        .filter(|page| (1..=10_000).contains(page))
        .unwrap_or(1)
}

pub async fn category(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &visitor);
    let portal = portal(&state)?;
    let categories = portal.categories().await.map_err(portal_error)?;
    let category = categories
        .iter()
        .find(|category| category.slug == slug)
        .ok_or_else(AppError::not_found)?;
    let page_no = page_number(&query);
    let total = congso_store::portal::count_published(portal.db(), Some(category.id)).await?;
    let items = congso_store::portal::published(
        portal.db(),
        Some(category.id),
        PAGE_SIZE,
        (page_no - 1) * PAGE_SIZE,
    )
    .await?;
    let name = category_name(category, ctx.visitor.lang);
    let feed = format!("/feeds/{}.atom", category.slug);
    let body = html! {
        h1 { (name) }
        p.retention { (retention_text(&ctx, category)) " " a href=(feed) { (ctx.t("portal-feed")) } }
        @if items.is_empty() {
            p { (ctx.t("portal-nothing-yet")) }
        } @else {
            ul.cards { @for item in &items { (item_card(&ctx, item, Some(category))) } }
        }
        (pager(&ctx, &format!("/chuyen-muc/{}?", category.slug), page_no, total > page_no * PAGE_SIZE))
    };
    let extra =
        html! { link rel="alternate" type="application/atom+xml" href=(feed) title=(name); };
    let markup = page_with_head(&ctx, name, head(extra), body);
    Ok(cached(&visitor, &headers, HTML, markup.into_string()))
}

fn pager(ctx: &Ctx<'_>, base: &str, page_no: i64, has_next: bool) -> Markup {
    html! {
        @if page_no > 1 || has_next {
            nav.pager aria-label=(ctx.t("portal-pages")) {
                @if page_no > 1 { a href={ (base) "trang=" (page_no - 1) } rel="prev" { (ctx.t("portal-previous")) } }
                @if has_next { a href={ (base) "trang=" (page_no + 1) } rel="next" { (ctx.t("portal-next")) } }
            }
        }
    }
}

/// Metadata of a legal document or disclosure worth showing, in order.
const META_FIELDS: &[&str] = &[
    "number",
    "document_type",
    "issued",
    "effective",
    "signer",
    "issuer",
    "status",
];

fn json_ld(value: &serde_json::Value) -> Markup {
    // `<` is escaped so that no text in the data can close the element.
    PreEscaped(format!(
        "<script type=\"application/ld+json\">{}</script>",
        value.to_string().replace('<', "\\u003c")
    ))
}

pub async fn item(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &visitor);
    let portal = portal(&state)?;
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    let item = portal
        .public_item(id)
        .await
        .map_err(portal_error)?
        .ok_or_else(AppError::not_found)?;
    let categories = portal.categories().await.map_err(portal_error)?;
    let category = categories
        .iter()
        .find(|category| category.id == item.category_id)
        .ok_or_else(AppError::not_found)?;
    let images = portal.images(item.id).await.map_err(portal_error)?;
    let metadata: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&item.metadata).unwrap_or_default();
    let attachments: Vec<Form> = metadata
        .get("attachments")
        .and_then(|value| serde_json::from_value(value.clone()).ok())
        .unwrap_or_default();
    let public_url = state.settings().public_url.trim_end_matches('/').to_owned();
    let url = format!("{public_url}{}", congso_portal::item_url(item.id));
    let agency = state.agency_name().unwrap_or_else(|| ctx.t("site-name"));
    let date = item.published_at.map(rfc3339_day).unwrap_or_default();
    let schema_type = match category.kind.as_str() {
        "news" | "announcement" => "NewsArticle",
        "legal" => "Legislation",
        _ => "Article",
    };
    let mut ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": schema_type,
        "headline": item.title,
        "name": item.title,
        "url": url,
        "inLanguage": "vi",
        "datePublished": date,
        "dateModified": rfc3339_day(item.updated_at),
        "publisher": {"@type": "GovernmentOrganization", "name": agency},
        "description": item.summary,
    });
    if let Some(number) = metadata.get("number").and_then(|v| v.as_str()) {
        ld["legislationIdentifier"] = serde_json::Value::from(number);
    }
    let extra = html! {
        link rel="schema.DC" href="http://purl.org/dc/elements/1.1/";
        meta name="DC.title" content=(item.title);
        meta name="DC.creator" content=(agency);
        meta name="DC.publisher" content=(agency);
        meta name="DC.date" content=(date);
        meta name="DC.type" content=(kind_label(&ctx, &category.kind));
        meta name="DC.format" content="text/html";
        meta name="DC.language" content="vi";
        meta name="DC.identifier" content=(url);
        @if !item.summary.is_empty() {
            meta name="DC.description" content=(item.summary);
            meta name="description" content=(item.summary);
        }
        link rel="canonical" href=(url);
        (json_ld(&ld))
    };
    let body = html! {
        nav aria-label=(ctx.t("portal-breadcrumb")) {
            a href="/" { (ctx.t("nav-home")) } " › "
            a href={ "/chuyen-muc/" (category.slug) } { (category_name(category, ctx.visitor.lang)) }
        }
        article {
            h1 { (item.title) }
            p.meta {
                (kind_label(&ctx, &category.kind))
                @if let Some(at) = item.published_at {
                    " · " (ctx.t("portal-published")) " " time datetime=(date) { (vn_day(at)) }
                }
            }
            @let shown: Vec<(&str, String)> = META_FIELDS.iter().filter_map(|field| {
                metadata.get(*field).and_then(|value| value.as_str()).map(|value| (*field, value.to_owned()))
            }).collect();
            @if !shown.is_empty() {
                dl.doc-meta {
                    @for (field, value) in &shown {
                        dt { (ctx.t(&format!("portal-meta-{}", field.replace('_', "-")))) }
                        dd { (value) }
                    }
                }
            }
            @if !item.summary.is_empty() { p { strong { (item.summary) } } }
            @for (image, variants) in &images { (super::figure(image, variants)) }
            div.body-text { (PreEscaped(&item.body_html)) }
            @if !attachments.is_empty() {
                h2 { (ctx.t("portal-attachments")) }
                ul { @for file in &attachments { li { a href=(safe_link(&file.url)) { (file.name) } } } }
            }
            p.retention { (retention_text(&ctx, category)) }
        }
    };
    let markup = page_with_head(&ctx, &item.title, head(extra), body);
    Ok(cached(&visitor, &headers, HTML, markup.into_string()))
}

/// Links from data: only http(s) and local paths; anything else becomes
/// `#` (no `javascript:`).
fn safe_link(url: &str) -> &str {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("https://")
        || lower.starts_with("http://")
        || (url.starts_with('/') && !url.starts_with("//"))
    {
        url
    } else {
        "#"
    }
}

/// Search parameters as the page and the API take them.
pub struct SearchParams {
    pub text: String,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub year: Option<i32>,
}

impl SearchParams {
    pub fn from_query(query: &HashMap<String, String>, names: [&str; 4]) -> Self {
        let pick = |name: &str| {
            query
                .get(name)
                .map(|value| query_text(value, 200))
                .filter(|value| !value.trim().is_empty())
        };
        SearchParams {
            text: query
                .get(names[0])
                .map(|text| query_text(text, congso_search::MAX_QUERY_BYTES))
                .unwrap_or_default(),
            kind: pick(names[1]),
            category: pick(names[2]),
            year: pick(names[3]).and_then(|year| year.trim().parse().ok()),
        }
    }

    pub fn query(&self, offset: usize, limit: usize) -> congso_search::Query {
        congso_search::Query {
            text: self.text.clone(),
            kinds: self.kind.iter().cloned().collect(),
            categories: self.category.iter().cloned().collect(),
            years: self.year.into_iter().collect(),
            offset,
            limit,
            ..congso_search::Query::default()
        }
    }
}

pub async fn search(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &visitor);
    let portal = portal(&state)?;
    let params = SearchParams::from_query(&query, ["q", "loai", "muc", "nam"]);
    let page_no = page_number(&query) as usize;
    let results = if params.text.trim().is_empty() {
        None
    } else {
        Some(
            portal
                .search(params.query((page_no - 1) * SEARCH_PAGE_SIZE, SEARCH_PAGE_SIZE))
                .await
                .map_err(portal_error)?,
        )
    };
    let categories = portal.categories().await.map_err(portal_error)?;
    let category_label = |value: &str| -> String {
        categories
            .iter()
            .find(|category| category.slug == value)
            .map(|category| category_name(category, ctx.visitor.lang).to_owned())
            .unwrap_or_else(|| value.to_owned())
    };
    let link = |kind: Option<&str>, category: Option<&str>, year: Option<&str>, page: usize| {
        let mut pairs = vec![("q", params.text.clone())];
        if let Some(kind) = kind {
            pairs.push(("loai", kind.to_owned()));
        }
        if let Some(category) = category {
            pairs.push(("muc", category.to_owned()));
        }
        if let Some(year) = year {
            pairs.push(("nam", year.to_owned()));
        }
        if page > 1 {
            pairs.push(("trang", page.to_string()));
        }
        format!(
            "/tim-kiem?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    let year_text = params.year.map(|year| year.to_string());
    let title = if params.text.is_empty() {
        ctx.t("portal-search-title")
    } else {
        ctx.ta("portal-search-title-for", &[("query", &params.text)])
    };
    let body = html! {
        h1 { (ctx.t("portal-search-title")) }
        (search_form(&ctx, &params.text))
        @if let Some(results) = &results {
            @if let Some(suggestion) = &results.did_you_mean {
                p.notice {
                    (ctx.t("portal-did-you-mean")) " "
                    a href={ "/tim-kiem?" (serde_urlencoded::to_string([("q", suggestion)]).unwrap_or_default()) } { (suggestion) }
                }
            }
            p role="status" { (ctx.ta("portal-results-count", &[("count", &results.total.to_string())])) }
            div.layout-search {
                aside.facets aria-label=(ctx.t("portal-facets")) {
                    @if !results.facets.kinds.is_empty() {
                        h2 { (ctx.t("portal-facet-kind")) }
                        ul { @for facet in &results.facets.kinds {
                            @let active = params.kind.as_deref() == Some(facet.value.as_str());
                            li { a href=(link(if active { None } else { Some(&facet.value) }, params.category.as_deref(), year_text.as_deref(), 1))
                                aria-current=[active.then_some("true")] { (kind_label(&ctx, &facet.value)) " (" (facet.count) ")" } }
                        } }
                    }
                    @if !results.facets.categories.is_empty() {
                        h2 { (ctx.t("portal-facet-category")) }
                        ul { @for facet in &results.facets.categories {
                            @let active = params.category.as_deref() == Some(facet.value.as_str());
                            li { a href=(link(params.kind.as_deref(), if active { None } else { Some(&facet.value) }, year_text.as_deref(), 1))
                                aria-current=[active.then_some("true")] { (category_label(&facet.value)) " (" (facet.count) ")" } }
                        } }
                    }
                    @if !results.facets.years.is_empty() {
                        h2 { (ctx.t("portal-facet-year")) }
                        ul { @for facet in &results.facets.years {
                            @let active = year_text.as_deref() == Some(facet.value.as_str());
                            li { a href=(link(params.kind.as_deref(), params.category.as_deref(), if active { None } else { Some(&facet.value) }, 1))
                                aria-current=[active.then_some("true")] { (facet.value) " (" (facet.count) ")" } }
                        } }
                    }
                }
                div {
                    @if results.hits.is_empty() {
                        p { (ctx.t("portal-no-results")) }
                    } @else {
                        ol.results start=((page_no - 1) * SEARCH_PAGE_SIZE + 1) {
                            @for hit in &results.hits {
                                li {
                                    h2 { a href=(safe_link(&hit.url)) { (PreEscaped(&hit.title_html)) } }
                                    p.meta {
                                        (kind_label(&ctx, &hit.kind))
                                        @if !hit.category.is_empty() && hit.kind != "service" { " · " (category_label(&hit.category)) }
                                        @if let Some(date) = hit.published { " · " (format!("{:02}/{:02}/{}", date.day(), u8::from(date.month()), date.year())) }
                                    }
                                    @if !hit.snippet_html.is_empty() { p { (PreEscaped(&hit.snippet_html)) } }
                                }
                            }
                        }
                        @let shown = (page_no * SEARCH_PAGE_SIZE) as u64;
                        @if page_no > 1 || results.total > shown {
                            nav.pager aria-label=(ctx.t("portal-pages")) {
                                @if page_no > 1 { a rel="prev" href=(link(params.kind.as_deref(), params.category.as_deref(), year_text.as_deref(), page_no - 1)) { (ctx.t("portal-previous")) } }
                                @if results.total > shown { a rel="next" href=(link(params.kind.as_deref(), params.category.as_deref(), year_text.as_deref(), page_no + 1)) { (ctx.t("portal-next")) } }
                            }
                        }
                    }
                }
            }
        } @else if query.contains_key("q") {
            p { (ctx.t("portal-search-empty")) }
        }
    };
    let extra = html! { meta name="robots" content="noindex"; };
    let markup = page_with_head(&ctx, &title, head(extra), body);
    Ok(cached(&visitor, &headers, HTML, markup.into_string()))
}

fn list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn level_label(ctx: &Ctx<'_>, level: &str) -> String {
    if level == "full" {
        ctx.t("portal-service-level-full")
    } else {
        ctx.t("portal-service-level-partial")
    }
}

pub async fn services(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &visitor);
    let portal = portal(&state)?;
    let all = portal.services().await.map_err(portal_error)?;
    let field = query.get("linh-vuc").map(|f| query_text(f, 200));
    let event = query.get("su-kien").map(|e| query_text(e, 200));
    let mut fields: Vec<&str> = all.iter().map(|s| s.field.as_str()).collect();
    fields.dedup();
    let mut events: Vec<String> = all.iter().flat_map(|s| list(&s.life_events)).collect();
    events.sort();
    events.dedup();
    let shown: Vec<&Service> = all
        .iter()
        .filter(|s| field.as_deref().is_none_or(|f| s.field == f))
        .filter(|s| {
            event
                .as_deref()
                .is_none_or(|e| list(&s.life_events).iter().any(|x| x == e))
        })
        .collect();
    let body = html! {
        h1 { (ctx.t("portal-services")) }
        p { (ctx.t("portal-services-intro")) }
        (search_form(&ctx, ""))
        div.layout-search {
            aside.facets aria-label=(ctx.t("portal-facets")) {
                h2 { (ctx.t("portal-service-field")) }
                ul {
                    li { a href="/dich-vu" aria-current=[field.is_none().then_some("true")] { (ctx.t("portal-all")) } }
                    @for f in &fields {
                        li { a href={ "/dich-vu?" (serde_urlencoded::to_string([("linh-vuc", f)]).unwrap_or_default()) }
                            aria-current=[(field.as_deref() == Some(*f)).then_some("true")] { (f) } }
                    }
                }
                h2 { (ctx.t("portal-service-life-event")) }
                ul {
                    @for e in &events {
                        li { a href={ "/dich-vu?" (serde_urlencoded::to_string([("su-kien", e)]).unwrap_or_default()) }
                            aria-current=[(event.as_deref() == Some(e.as_str())).then_some("true")] { (e) } }
                    }
                }
            }
            div {
                p role="status" { (ctx.ta("portal-results-count", &[("count", &shown.len().to_string())])) }
                ul.results {
                    @for service in &shown {
                        li {
                            h2 { a href=(congso_portal::service_url(&service.code)) { (service.name) } }
                            p.meta { (service.code) " · " (service.field) " · " span.badge { (level_label(&ctx, &service.level)) } }
                        }
                    }
                }
            }
        }
    };
    let markup = page_with_head(&ctx, &ctx.t("portal-services"), head(html! {}), body);
    Ok(cached(&visitor, &headers, HTML, markup.into_string()))
}

pub async fn service(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let ctx = Ctx::new(&state, &visitor);
    let portal = portal(&state)?;
    let service = portal
        .service(&code)
        .await
        .map_err(portal_error)?
        .ok_or_else(AppError::not_found)?;
    let forms: Vec<Form> = serde_json::from_str(&service.forms).unwrap_or_default();
    let public_url = state.settings().public_url.trim_end_matches('/').to_owned();
    let ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "name": service.name,
        "identifier": service.code,
        "serviceType": service.field,
        "url": format!("{public_url}{}", congso_portal::service_url(&service.code)),
        "provider": {"@type": "GovernmentOrganization", "name": service.agency},
        "description": service.description,
    });
    let extra = html! {
        meta name="DC.title" content=(service.name);
        meta name="DC.type" content=(ctx.t("portal-kind-service"));
        meta name="DC.identifier" content=(service.code);
        (json_ld(&ld))
    };
    let body = html! {
        nav aria-label=(ctx.t("portal-breadcrumb")) {
            a href="/" { (ctx.t("nav-home")) } " › " a href="/dich-vu" { (ctx.t("portal-services")) }
        }
        h1 { (service.name) }
        @if !service.description.is_empty() { p { (service.description) } }
        dl.doc-meta {
            dt { (ctx.t("portal-service-code")) } dd { (service.code) }
            dt { (ctx.t("portal-service-field")) } dd { (service.field) }
            dt { (ctx.t("portal-service-agency")) } dd { (service.agency) }
            dt { (ctx.t("portal-service-level")) } dd { (level_label(&ctx, &service.level)) }
            dt { (ctx.t("portal-service-days")) } dd { (ctx.ta("portal-service-days-value", &[("days", &service.processing_days.to_string())])) }
            dt { (ctx.t("portal-service-fees")) } dd { (service.fees) }
            dt { (ctx.t("portal-service-legal-basis")) } dd { (service.legal_basis) }
            @if let Some(date) = &service.online_from {
                dt { (ctx.t("portal-service-online-from")) } dd { (date) }
            }
        }
        h2 { (ctx.t("portal-service-steps")) }
        ol.steps { @for step in list(&service.steps) { li { (step) } } }
        h2 { (ctx.t("portal-service-documents")) }
        ul { @for document in list(&service.documents) { li { (document) } } }
        @if !forms.is_empty() {
            h2 { (ctx.t("portal-service-forms")) }
            ul { @for form in &forms { li { a href=(safe_link(&form.url)) { (form.name) } } } }
        }
        @let events = list(&service.life_events);
        @if !events.is_empty() {
            h2 { (ctx.t("portal-service-life-event")) }
            ul { @for e in &events { li { a href={ "/dich-vu?" (serde_urlencoded::to_string([("su-kien", e)]).unwrap_or_default()) } { (e) } } } }
        }
    };
    let markup = page_with_head(&ctx, &service.name, head(extra), body);
    Ok(cached(&visitor, &headers, HTML, markup.into_string()))
}
