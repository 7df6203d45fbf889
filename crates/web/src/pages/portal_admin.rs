//! The portal's staff screens (issue 6): the list of items with filters,
//! the writing form (title, summary, body HTML cleaned on save, category),
//! the item page with its workflow steps (send for review, publish now or
//! on a schedule, unpublish), images, the files of a published document,
//! the revision history with each revision's content, and the categories
//! with their online retention period.
//!
//! Editors (`PortalEdit`: clerk, specialist) write; leaders
//! (`PortalPublish`) publish. Every change goes through
//! `congso_portal::Portal`, which checks the permission again and writes
//! the ledger entry. Every page works without JavaScript.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use congso_core::access::Action;
use congso_portal::search_lists::ListKind;
use congso_portal::{status, Acting, ItemInput, Portal, Schedule};
use congso_store::portal::{Category, Item};
use maud::{html, Markup, PreEscaped};

use crate::error::AppError;
use crate::i18n::Lang;
use crate::layout::{page, Ctx};
use crate::session::SignedIn;
use crate::AppState;

const PAGE_SIZE: i64 = 50;
const STATUSES: [&str; 6] = [
    status::DRAFT,
    status::REVIEW,
    status::SCHEDULED,
    status::PUBLISHED,
    status::UNPUBLISHED,
    status::EXPIRED,
];

/// Notices a redirect may ask a page to show (`?notice=`).
const NOTICES: &[&str] = &[
    "portal-notice-created",
    "portal-notice-saved",
    "portal-notice-submitted",
    "portal-notice-published",
    "portal-notice-scheduled",
    "portal-notice-expired",
    "portal-notice-unpublished",
    "portal-notice-image-added",
    "portal-notice-document-published",
    "portal-notice-document-review",
    "portal-notice-list-saved",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/portal", get(list).post(create))
        .route("/staff/portal/new", get(new_form))
        .route("/staff/portal/categories", get(categories))
        .route(
            "/staff/portal/search-lists",
            get(search_lists).post(save_search_list),
        )
        .route("/staff/portal/{id}", get(show))
        .route("/staff/portal/{id}/edit", get(edit_form).post(edit))
        .route("/staff/portal/{id}/submit", post(submit))
        .route("/staff/portal/{id}/publish", post(publish))
        .route("/staff/portal/{id}/unpublish", post(unpublish))
        .route("/staff/portal/{id}/images", post(add_image))
        .route("/staff/portal/{id}/revisions/{revision}", get(revision))
        .route("/documents/{id}/portal", post(publish_document))
}

/// The portal service and the signed-in user as it sees them, after
/// checking that the user may work on the portal at all.
pub(crate) fn begin<'a>(
    state: &'a AppState,
    signed_in: &SignedIn,
) -> Result<(&'a std::sync::Arc<Portal>, Acting), AppError> {
    let roles = signed_in.user.roles;
    if !roles.permits(Action::PortalEdit) && !roles.permits(Action::PortalPublish) {
        tracing::info!(user = %signed_in.user.username, "portal staff area refused");
        return Err(AppError::forbidden());
    }
    let portal = state.portal()?;
    let acting = Acting::user(&signed_in.user.username, roles, &signed_in.visitor.ip);
    Ok((portal, acting))
}

/// After a document is recalled: takes the portal item that shows it off
/// the public site (see `Portal::withdraw_document`). Run by both the page
/// and the API recall.
pub(crate) async fn withdraw_recalled(
    state: &AppState,
    signed_in: &SignedIn,
    document_id: i64,
) -> Result<(), AppError> {
    let portal = state.portal()?;
    let acting = Acting::consequence_of(&signed_in.user.username, &signed_in.visitor.ip);
    match portal.withdraw_document(&acting, document_id).await {
        Ok(Some(item)) => {
            tracing::info!(
                document = document_id,
                item,
                "recalled document taken off the portal"
            );
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(error) => {
            tracing::error!(document = document_id, %error, "recalled document could not be taken off the portal");
            Err(portal_error(error))
        }
    }
}

pub(crate) fn portal_error(error: congso_portal::PortalError) -> AppError {
    use congso_portal::PortalError;
    match error {
        PortalError::NotFound(_) => AppError::not_found(),
        PortalError::Forbidden => AppError::forbidden(),
        PortalError::Invalid(message) => AppError::bad_request(message),
        PortalError::Conflict(message) => AppError::new(
            axum::http::StatusCode::CONFLICT,
            "conflict",
            "portal-error-conflict",
        )
        .arg("reason", message),
        PortalError::Store(error) => AppError::from(error),
        PortalError::Search(error) => AppError::internal(format!("search: {error}")),
    }
}

fn category_name(category: &Category, lang: Lang) -> &str {
    match lang {
        Lang::En if !category.name_en.is_empty() => &category.name_en,
        _ => &category.name,
    }
}

fn status_label(ctx: &Ctx<'_>, status: &str) -> String {
    if STATUSES.contains(&status) {
        ctx.t(&format!("portal-status-{status}"))
    } else {
        status.to_owned()
    }
}

fn retention_label(ctx: &Ctx<'_>, category: &Category) -> String {
    match category.retention_days {
        Some(days) => ctx.ta(
            "portal-admin-retention-days",
            &[("days", &days.to_string())],
        ),
        None => ctx.t("portal-admin-retention-none"),
    }
}

fn notice(ctx: &Ctx<'_>, query: &HashMap<String, String>) -> Markup {
    let known = query
        .get("notice")
        .and_then(|notice| NOTICES.iter().find(|known| **known == notice.as_str()));
    html! {
        @if let Some(id) = known { div.notice role="status" { (ctx.t(id)) } }
    }
}

fn menu(ctx: &Ctx<'_>, signed_in: &SignedIn) -> Markup {
    html! {
        nav aria-label=(ctx.t("portal-admin-menu")) {
            ul.menu.inline {
                li { a href="/staff/portal" { (ctx.t("portal-admin-items")) } }
                @if signed_in.user.roles.permits(Action::PortalEdit) {
                    li { a href="/staff/portal/new" { (ctx.t("portal-admin-new")) } }
                }
                li { a href="/staff/portal/categories" { (ctx.t("portal-admin-categories")) } }
                li { a href="/staff/portal/search-lists" { (ctx.t("portal-admin-search-lists")) } }
                li { a href="/" { (ctx.t("portal-admin-public-site")) } }
            }
        }
    }
}

// ------------------------------------------------------------------ list

pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (portal, _acting) = begin(&state, &signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let categories = portal.categories().await.map_err(portal_error)?;
    let wanted_status = query
        .get("status")
        .map(String::as_str)
        .filter(|value| !value.is_empty());
    if let Some(value) = wanted_status {
        if !STATUSES.contains(&value) {
            return Err(AppError::bad_request(format!(
                "status: {value:?} is not a status of portal items"
            )));
        }
    }
    let wanted_category = match query.get("category").map(String::as_str) {
        None | Some("") => None,
        Some(slug) => Some(
            categories
                .iter()
                .find(|category| category.slug == slug)
                .ok_or_else(|| {
                    AppError::bad_request(format!("category: {slug:?} is not a category"))
                })?,
        ),
    };
    let page_no: i64 = match query.get("page").map(String::as_str) {
        None | Some("") => 1,
        Some(text) => text
            .parse()
            .ok()
            .filter(|page: &i64| (1..=100_000).contains(page))
            .ok_or_else(|| AppError::bad_request(format!("page: {text:?} is not a page number")))?,
    };
    let items = congso_store::portal::staff_items(
        portal.db(),
        wanted_status,
        wanted_category.map(|category| category.id),
        PAGE_SIZE + 1,
        (page_no - 1) * PAGE_SIZE,
    )
    .await?;
    let has_next = items.len() as i64 > PAGE_SIZE;
    let title = ctx.t("portal-admin-title");
    let link = |page: i64| {
        serde_urlencoded::to_string([
            ("status", wanted_status.unwrap_or("")),
            (
                "category",
                wanted_category.map(|c| c.slug.as_str()).unwrap_or(""),
            ),
            ("page", page.to_string().as_str()),
        ])
        .map(|query| format!("/staff/portal?{query}"))
        .unwrap_or_default()
    };
    let body = html! {
        h1 { (title) }
        (notice(&ctx, &query))
        (menu(&ctx, &signed_in))
        form.filters method="get" action="/staff/portal" {
            div {
                label for="status" { (ctx.t("portal-admin-status")) }
                select #status name="status" {
                    option value="" { (ctx.t("portal-all")) }
                    @for value in STATUSES {
                        option value=(value) selected[wanted_status == Some(value)] { (status_label(&ctx, value)) }
                    }
                }
            }
            div {
                label for="category" { (ctx.t("portal-admin-category")) }
                select #category name="category" {
                    option value="" { (ctx.t("portal-all")) }
                    @for category in &categories {
                        option value=(category.slug) selected[wanted_category.is_some_and(|c| c.id == category.id)] {
                            (category_name(category, ctx.visitor.lang))
                        }
                    }
                }
            }
            div { button type="submit" { (ctx.t("portal-admin-filter")) } }
        }
        @if items.is_empty() {
            p { (ctx.t("portal-admin-empty")) }
        } @else {
            div.table-wrap {
                table {
                    caption.visually-hidden { (title) }
                    thead { tr {
                        th scope="col" { (ctx.t("portal-admin-field-title")) }
                        th scope="col" { (ctx.t("portal-admin-category")) }
                        th scope="col" { (ctx.t("portal-admin-status")) }
                        th scope="col" { (ctx.t("portal-admin-revision")) }
                        th scope="col" { (ctx.t("portal-admin-updated")) }
                    } }
                    tbody {
                        @for item in items.iter().take(PAGE_SIZE as usize) {
                            tr {
                                td { a href={ "/staff/portal/" (item.id) } { (item.title) } }
                                td { (categories.iter().find(|c| c.id == item.category_id).map(|c| category_name(c, ctx.visitor.lang)).unwrap_or("")) }
                                td { (status_label(&ctx, &item.status)) }
                                td { (item.revision) }
                                td { (ctx.datetime(item.updated_at)) }
                            }
                        }
                    }
                }
            }
            nav aria-label=(ctx.t("portal-pages")) {
                ul.menu.inline {
                    @if page_no > 1 { li { a href=(link(page_no - 1)) rel="prev" { (ctx.t("portal-previous")) } } }
                    @if has_next { li { a href=(link(page_no + 1)) rel="next" { (ctx.t("portal-next")) } } }
                }
            }
        }
    };
    Ok(super::private_page(page(&ctx, &title, body)))
}

// ------------------------------------------------------------------ form

/// The form's values and the problems found with them, by field.
#[derive(Debug, Default)]
struct ItemForm {
    category: String,
    title: String,
    summary: String,
    body_html: String,
    revision: Option<i64>,
    errors: Vec<(&'static str, String)>,
    /// A problem not tied to one field (someone else saved first).
    general: Option<String>,
}

impl ItemForm {
    fn from_item(item: &Item, categories: &[Category]) -> ItemForm {
        ItemForm {
            category: categories
                .iter()
                .find(|category| category.id == item.category_id)
                .map(|category| category.slug.clone())
                .unwrap_or_default(),
            title: item.title.clone(),
            summary: item.summary.clone(),
            body_html: item.body_html.clone(),
            revision: Some(item.revision),
            ..ItemForm::default()
        }
    }

    /// Reads and checks the posted fields; every problem is named with its
    /// field, in the visitor's language.
    fn parse(ctx: &Ctx<'_>, fields: &HashMap<String, String>, categories: &[Category]) -> ItemForm {
        let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
        let mut form = ItemForm {
            category: get("category").trim().to_owned(),
            title: get("title"),
            summary: get("summary"),
            body_html: get("body"),
            revision: fields
                .get("revision")
                .and_then(|value| value.trim().parse().ok()),
            ..ItemForm::default()
        };
        let title = congso_portal::clean_line(&form.title);
        if title.is_empty() {
            form.errors
                .push(("title", ctx.t("portal-admin-error-title-empty")));
        } else if title.chars().count() > congso_portal::MAX_TITLE_CHARS {
            form.errors.push((
                "title",
                ctx.ta(
                    "portal-admin-error-too-long",
                    &[("max", &congso_portal::MAX_TITLE_CHARS.to_string())],
                ),
            ));
        }
        if congso_portal::clean_line(&form.summary).chars().count()
            > congso_portal::MAX_SUMMARY_CHARS
        {
            form.errors.push((
                "summary",
                ctx.ta(
                    "portal-admin-error-too-long",
                    &[("max", &congso_portal::MAX_SUMMARY_CHARS.to_string())],
                ),
            ));
        }
        if form.body_html.len() > congso_portal::MAX_BODY_BYTES {
            form.errors.push((
                "body",
                ctx.ta(
                    "portal-admin-error-body-too-large",
                    &[("max", &(congso_portal::MAX_BODY_BYTES / 1024).to_string())],
                ),
            ));
        }
        if !categories
            .iter()
            .any(|category| category.slug == form.category)
        {
            form.errors
                .push(("category", ctx.t("portal-admin-error-category")));
        }
        form
    }

    fn input(&self) -> ItemInput {
        ItemInput {
            category: self.category.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body_html: self.body_html.clone(),
            ..ItemInput::default()
        }
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }
}

/// The writing form. Errors are listed at the top (each a link to its
/// field) and repeated under each field, which names its message with
/// `aria-describedby` and is marked `aria-invalid`.
fn item_form(
    ctx: &Ctx<'_>,
    action: &str,
    form: &ItemForm,
    categories: &[Category],
    submit: &str,
    metadata_note: bool,
) -> Markup {
    let described = |field: &str, hint: Option<&str>| -> Option<String> {
        let mut ids = Vec::new();
        if let Some(hint) = hint {
            ids.push(hint.to_owned());
        }
        if form.error(field).is_some() {
            ids.push(format!("{field}-error"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let field_error = |field: &str| {
        html! {
            @if let Some(message) = form.error(field) {
                p.field-error id={ (field) "-error" } { (message) }
            }
        }
    };
    html! {
        @if !form.errors.is_empty() || form.general.is_some() {
            div.error-box role="alert" aria-labelledby="form-errors-title" {
                h2 #form-errors-title { (ctx.t("portal-admin-errors-title")) }
                @if let Some(general) = &form.general { p { (general) } }
                ul {
                    @for (field, message) in &form.errors {
                        li { a href={ "#" (field) } { (message) } }
                    }
                }
            }
        }
        form.stack.wide method="post" action=(action) novalidate {
            (ctx.csrf())
            @if let Some(revision) = form.revision {
                input type="hidden" name="revision" value=(revision);
            }
            label for="title" { (ctx.t("portal-admin-field-title")) " " span.required aria-hidden="true" { "*" } }
            input #title type="text" name="title" value=(form.title) required maxlength=(congso_portal::MAX_TITLE_CHARS)
                aria-invalid=[form.error("title").map(|_| "true")] aria-describedby=[described("title", None)];
            (field_error("title"))
            label for="category" { (ctx.t("portal-admin-category")) " " span.required aria-hidden="true" { "*" } }
            select #category name="category" required
                aria-invalid=[form.error("category").map(|_| "true")] aria-describedby=[described("category", Some("category-help"))] {
                @for category in categories {
                    option value=(category.slug) selected[category.slug == form.category] {
                        (category_name(category, ctx.visitor.lang)) " — " (retention_label(ctx, category))
                    }
                }
            }
            p #category-help .hint { (ctx.t("portal-admin-category-help")) }
            (field_error("category"))
            label for="summary" { (ctx.t("portal-admin-field-summary")) }
            textarea #summary name="summary" rows="3" maxlength=(congso_portal::MAX_SUMMARY_CHARS)
                aria-invalid=[form.error("summary").map(|_| "true")] aria-describedby=[described("summary", None)] { (form.summary) }
            (field_error("summary"))
            label for="body" { (ctx.t("portal-admin-field-body")) }
            textarea #body name="body" rows="16"
                aria-invalid=[form.error("body").map(|_| "true")] aria-describedby=[described("body", Some("body-help"))] { (form.body_html) }
            p #body-help .hint { (ctx.t("portal-admin-body-help")) }
            (field_error("body"))
            @if metadata_note { p.hint { (ctx.t("portal-admin-metadata-kept")) } }
            button type="submit" { (submit) }
        }
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    signed_in.require(Action::PortalEdit)?;
    let (portal, _) = begin(&state, &signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let categories = portal.categories().await.map_err(portal_error)?;
    let form = ItemForm {
        category: categories
            .first()
            .map(|category| category.slug.clone())
            .unwrap_or_default(),
        ..ItemForm::default()
    };
    Ok(form_page(
        &ctx,
        &signed_in,
        None,
        &form,
        &categories,
        axum::http::StatusCode::OK,
    ))
}

fn form_page(
    ctx: &Ctx<'_>,
    signed_in: &SignedIn,
    item: Option<&Item>,
    form: &ItemForm,
    categories: &[Category],
    status_code: axum::http::StatusCode,
) -> Response {
    let (title, action, submit) = match item {
        Some(item) => (
            ctx.ta("portal-admin-edit-title", &[("title", &item.title)]),
            format!("/staff/portal/{}/edit", item.id),
            ctx.t("portal-admin-save"),
        ),
        None => (
            ctx.t("portal-admin-new"),
            "/staff/portal".to_owned(),
            ctx.t("portal-admin-create"),
        ),
    };
    let page_title = if form.errors.is_empty() && form.general.is_none() {
        title.clone()
    } else {
        ctx.ta("portal-admin-title-with-errors", &[("title", &title)])
    };
    let body = html! {
        h1 { (title) }
        (menu(ctx, signed_in))
        @if let Some(item) = item {
            p { a href={ "/staff/portal/" (item.id) } { (ctx.t("portal-admin-back-to-item")) } }
            @if matches!(item.status.as_str(), status::PUBLISHED | status::SCHEDULED) {
                div.warning { (ctx.t("portal-admin-edit-live")) }
            }
        }
        (item_form(ctx, &action, form, categories, &submit, item.is_some()))
    };
    let mut response = super::private_page(page(ctx, &page_title, body));
    *response.status_mut() = status_code;
    response
}

pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    signed_in.require(Action::PortalEdit)?;
    let (portal, acting) = begin(&state, &signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let categories = portal.categories().await.map_err(portal_error)?;
    let mut form = ItemForm::parse(&ctx, &fields, &categories);
    if form.errors.is_empty() {
        match portal.create(&acting, &form.input()).await {
            Ok(id) => {
                return Ok(Redirect::to(&format!(
                    "/staff/portal/{id}?notice=portal-notice-created"
                ))
                .into_response())
            }
            Err(congso_portal::PortalError::Invalid(message)) => form.general = Some(message),
            Err(other) => return Err(portal_error(other)),
        }
    }
    Ok(form_page(
        &ctx,
        &signed_in,
        None,
        &form,
        &categories,
        axum::http::StatusCode::BAD_REQUEST,
    ))
}

pub async fn edit_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (portal, _) = begin(&state, &signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let item = portal.item(id).await.map_err(portal_error)?;
    if !may_edit(&signed_in, &item) {
        return Err(AppError::forbidden());
    }
    let categories = portal.categories().await.map_err(portal_error)?;
    let form = ItemForm::from_item(&item, &categories);
    Ok(form_page(
        &ctx,
        &signed_in,
        Some(&item),
        &form,
        &categories,
        axum::http::StatusCode::OK,
    ))
}

/// Whether the user may change this item's content: an editor while it is
/// not live, someone who may publish always (as `Portal::update` decides).
fn may_edit(signed_in: &SignedIn, item: &Item) -> bool {
    let roles = signed_in.user.roles;
    if matches!(item.status.as_str(), status::PUBLISHED | status::SCHEDULED) {
        roles.permits(Action::PortalPublish)
    } else {
        roles.permits(Action::PortalEdit) || roles.permits(Action::PortalPublish)
    }
}

pub async fn edit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (portal, acting) = begin(&state, &signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let item = portal.item(id).await.map_err(portal_error)?;
    let categories = portal.categories().await.map_err(portal_error)?;
    let mut form = ItemForm::parse(&ctx, &fields, &categories);
    if form.revision.is_none() {
        return Err(AppError::bad_request("the form carried no revision"));
    }
    if form.errors.is_empty() {
        // The metadata (a published document's number, signer, files) is
        // not on the form and is kept as it is.
        let mut input = form.input();
        input.metadata = serde_json::from_str(&item.metadata).unwrap_or_default();
        match portal.update(&acting, id, form.revision, &input).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/staff/portal/{id}?notice=portal-notice-saved"))
                        .into_response(),
                )
            }
            Err(congso_portal::PortalError::Invalid(message)) => form.general = Some(message),
            Err(congso_portal::PortalError::Conflict(_)) => {
                form.general = Some(ctx.t("portal-admin-error-stale"));
                form.revision = Some(portal.item(id).await.map_err(portal_error)?.revision);
            }
            Err(other) => return Err(portal_error(other)),
        }
    }
    Ok(form_page(
        &ctx,
        &signed_in,
        Some(&item),
        &form,
        &categories,
        if form.general.is_some() && form.errors.is_empty() {
            axum::http::StatusCode::CONFLICT
        } else {
            axum::http::StatusCode::BAD_REQUEST
        },
    ))
}

// ------------------------------------------------------------------ item page

pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (portal, _) = begin(&state, &signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let item = portal.item(id).await.map_err(portal_error)?;
    let categories = portal.categories().await.map_err(portal_error)?;
    let category = categories
        .iter()
        .find(|category| category.id == item.category_id);
    let revisions = portal.revisions(id).await.map_err(portal_error)?;
    let images = portal.images(id).await.map_err(portal_error)?;
    let files = portal.item_files(id).await.map_err(portal_error)?;
    let roles = signed_in.user.roles;
    let can_submit = roles.permits(Action::PortalEdit)
        && matches!(item.status.as_str(), status::DRAFT | status::UNPUBLISHED);
    let can_publish = roles.permits(Action::PortalPublish)
        && matches!(
            item.status.as_str(),
            status::REVIEW | status::UNPUBLISHED | status::SCHEDULED
        );
    let can_unpublish = roles.permits(Action::PortalPublish)
        && matches!(item.status.as_str(), status::PUBLISHED | status::SCHEDULED);
    let can_edit = may_edit(&signed_in, &item);
    let upload_action =
        super::documents::forms::csrf_action(&ctx, &format!("/staff/portal/{id}/images"));
    let body = html! {
        h1 { (item.title) }
        (notice(&ctx, &query))
        (menu(&ctx, &signed_in))
        dl.facts {
            dt { (ctx.t("portal-admin-status")) }
            dd { (status_label(&ctx, &item.status)) }
            dt { (ctx.t("portal-admin-category")) }
            dd {
                @if let Some(category) = category {
                    (category_name(category, ctx.visitor.lang)) " (" (retention_label(&ctx, category)) ")"
                }
            }
            dt { (ctx.t("portal-admin-revision")) }
            dd { (item.revision) }
            dt { (ctx.t("portal-admin-author")) }
            dd { (item.author) }
            @if let Some(at) = item.published_at {
                dt { (ctx.t("portal-published")) }
                dd { (ctx.datetime(at)) }
            }
            @if let Some(at) = item.publish_at {
                dt { (ctx.t("portal-admin-publish-at")) }
                dd { (ctx.datetime(at)) }
            }
            @if let Some(at) = item.unpublish_at {
                dt { (ctx.t("portal-admin-unpublish-at")) }
                dd { (ctx.datetime(at)) }
            }
            @if let Some(at) = item.expires_at {
                dt { (ctx.t("portal-admin-expires-at")) }
                dd { (ctx.datetime(at)) }
            }
            @if item.status == status::PUBLISHED {
                dt { (ctx.t("portal-admin-public-address")) }
                dd { a href=(congso_portal::item_url(item.id)) { (congso_portal::item_url(item.id)) } }
            }
        }
        h2 { (ctx.t("portal-admin-actions")) }
        @if can_edit {
            p { a.button href={ "/staff/portal/" (id) "/edit" } { (ctx.t("portal-admin-edit")) } }
        }
        @if can_submit {
            form method="post" action={ "/staff/portal/" (id) "/submit" } {
                (ctx.csrf())
                button type="submit" { (ctx.t("portal-admin-submit")) }
            }
        }
        @if can_publish {
            form.stack method="post" action={ "/staff/portal/" (id) "/publish" } {
                (ctx.csrf())
                fieldset {
                    legend { (ctx.t("portal-admin-publish-legend")) }
                    p.hint #schedule-help { (ctx.t("portal-admin-schedule-help")) }
                    label for="publish_at" { (ctx.t("portal-admin-publish-at")) }
                    input #publish_at type="datetime-local" name="publish_at" aria-describedby="schedule-help";
                    label for="unpublish_at" { (ctx.t("portal-admin-unpublish-at")) }
                    input #unpublish_at type="datetime-local" name="unpublish_at" aria-describedby="schedule-help";
                }
                button type="submit" { (ctx.t("portal-admin-publish")) }
            }
        }
        @if can_unpublish {
            form method="post" action={ "/staff/portal/" (id) "/unpublish" } {
                (ctx.csrf())
                button.secondary type="submit" { (ctx.t("portal-admin-unpublish")) }
            }
        }
        @if !can_edit && !can_submit && !can_publish && !can_unpublish {
            p { (ctx.t("portal-admin-no-actions")) }
        }
        h2 { (ctx.t("portal-admin-content")) }
        @if !item.summary.is_empty() { p.lead { (item.summary) } }
        // The body was cleaned with the allow-list before it was stored.
        div.body-text { (PreEscaped(&item.body_html)) }
        @if !files.is_empty() {
            h2 { (ctx.t("portal-attachments")) }
            ul {
                @for file in &files {
                    li {
                        a href=(congso_portal::media::public_file_url(file.document_id, file.file_id)) { (file.name) }
                        " (" (super::documents::size_text(file.size)) ") · "
                        a href={ "/documents/" (file.document_id) } { (ctx.t("portal-admin-source-document")) }
                    }
                }
            }
        }
        h2 { (ctx.t("portal-admin-images")) }
        @if images.is_empty() {
            p { (ctx.t("portal-admin-no-images")) }
        } @else {
            ul.images {
                @for (image, variants) in &images {
                    li { (crate::portal::figure(image, variants)) }
                }
            }
        }
        @if can_edit {
            form.stack method="post" enctype="multipart/form-data" action=(upload_action) {
                fieldset {
                    legend { (ctx.t("portal-admin-image-legend")) }
                    label for="image" { (ctx.t("portal-admin-image-file")) " " span.required aria-hidden="true" { "*" } }
                    input #image type="file" name="image" accept="image/jpeg,image/png" required aria-describedby="image-help";
                    p #image-help .hint { (ctx.t("portal-admin-image-help")) }
                    label for="alt" { (ctx.t("portal-admin-image-alt")) " " span.required aria-hidden="true" { "*" } }
                    input #alt type="text" name="alt" required maxlength=(congso_portal::media::MAX_ALT_CHARS) aria-describedby="alt-help";
                    p #alt-help .hint { (ctx.t("portal-admin-image-alt-help")) }
                }
                button type="submit" { (ctx.t("portal-admin-image-submit")) }
            }
        }
        h2 { (ctx.t("portal-admin-history")) }
        div.table-wrap {
            table {
                caption.visually-hidden { (ctx.t("portal-admin-history")) }
                thead { tr {
                    th scope="col" { (ctx.t("portal-admin-revision")) }
                    th scope="col" { (ctx.t("portal-admin-field-title")) }
                    th scope="col" { (ctx.t("portal-admin-author")) }
                    th scope="col" { (ctx.t("portal-admin-saved-at")) }
                } }
                tbody {
                    @for revision in revisions.iter().rev() {
                        tr {
                            td { a href={ "/staff/portal/" (id) "/revisions/" (revision.revision) } { (ctx.ta("portal-admin-revision-n", &[("n", &revision.revision.to_string())])) } }
                            td { (revision.title) }
                            td { (revision.author) }
                            td { (ctx.datetime(revision.created_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(super::private_page(page(&ctx, &item.title, body)))
}

pub async fn revision(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id, number)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let (portal, _) = begin(&state, &signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let item = portal.item(id).await.map_err(portal_error)?;
    let revision = portal
        .revisions(id)
        .await
        .map_err(portal_error)?
        .into_iter()
        .find(|revision| revision.revision == number)
        .ok_or_else(AppError::not_found)?;
    let title = ctx.ta(
        "portal-admin-revision-title",
        &[("n", &number.to_string()), ("title", &item.title)],
    );
    let body = html! {
        h1 { (title) }
        (menu(&ctx, &signed_in))
        p { a href={ "/staff/portal/" (id) } { (ctx.t("portal-admin-back-to-item")) } }
        @if number != item.revision {
            div.warning { (ctx.ta("portal-admin-old-revision", &[("current", &item.revision.to_string())])) }
        }
        dl.facts {
            dt { (ctx.t("portal-admin-field-title")) }
            dd { (revision.title) }
            dt { (ctx.t("portal-admin-author")) }
            dd { (revision.author) }
            dt { (ctx.t("portal-admin-saved-at")) }
            dd { (ctx.datetime(revision.created_at)) }
        }
        h2 { (ctx.t("portal-admin-field-summary")) }
        p { (revision.summary) }
        h2 { (ctx.t("portal-admin-field-body")) }
        // Stored cleaned, like the item itself.
        div.body-text { (PreEscaped(&revision.body_html)) }
        h2 { (ctx.t("portal-admin-html-source")) }
        pre { code { (revision.body_html) } }
    };
    Ok(super::private_page(page(&ctx, &title, body)))
}

// ------------------------------------------------------------------ steps

pub async fn submit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed_in.require(Action::PortalEdit)?;
    let (portal, acting) = begin(&state, &signed_in)?;
    portal.submit(&acting, id).await.map_err(portal_error)?;
    Ok(Redirect::to(&format!(
        "/staff/portal/{id}?notice=portal-notice-submitted"
    ))
    .into_response())
}

/// `YYYY-MM-DDTHH:MM[:SS]` in Vietnam time (what a `datetime-local` input
/// sends), as microseconds.
pub(crate) fn parse_vn_datetime(text: &str) -> Option<i64> {
    let (date, clock) = text.trim().split_once('T')?;
    let date = congso_docs::model::parse_iso_date(date)?;
    let mut parts = clock.split(':');
    let hour: u8 = parts.next()?.parse().ok()?;
    let minute: u8 = parts.next()?.parse().ok()?;
    let second: u8 = match parts.next() {
        Some(text) => text.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let clock = time::Time::from_hms(hour, minute, second).ok()?;
    let offset = time::UtcOffset::from_hms(7, 0, 0).ok()?;
    let moment = time::PrimitiveDateTime::new(date, clock).assume_offset(offset);
    Some(moment.unix_timestamp() * 1_000_000)
}

fn schedule_time(
    fields: &HashMap<String, String>,
    name: &str,
    label: &str,
) -> Result<Option<i64>, AppError> {
    match fields.get(name).map(|value| value.trim()) {
        None | Some("") => Ok(None),
        Some(value) => parse_vn_datetime(value).map(Some).ok_or_else(|| {
            AppError::bad_request(format!(
                "{label}: {value:?} is not a date and time (yyyy-mm-ddThh:mm)"
            ))
        }),
    }
}

pub async fn publish(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    signed_in.require(Action::PortalPublish)?;
    let (portal, acting) = begin(&state, &signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let schedule = Schedule {
        publish_at: schedule_time(&fields, "publish_at", &ctx.t("portal-admin-publish-at"))?,
        unpublish_at: schedule_time(&fields, "unpublish_at", &ctx.t("portal-admin-unpublish-at"))?,
    };
    let outcome = portal
        .publish(&acting, id, schedule)
        .await
        .map_err(portal_error)?;
    let notice = match outcome {
        status::SCHEDULED => "portal-notice-scheduled",
        status::EXPIRED => "portal-notice-expired",
        _ => "portal-notice-published",
    };
    Ok(Redirect::to(&format!("/staff/portal/{id}?notice={notice}")).into_response())
}

pub async fn unpublish(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed_in.require(Action::PortalPublish)?;
    let (portal, acting) = begin(&state, &signed_in)?;
    portal.unpublish(&acting, id).await.map_err(portal_error)?;
    Ok(Redirect::to(&format!(
        "/staff/portal/{id}?notice=portal-notice-unpublished"
    ))
    .into_response())
}

/// Adds an image (multipart: `alt` first, then `image`; the CSRF token in
/// the query string). The file is read into memory up to the image limit:
/// it has to be decoded whole anyway.
pub async fn add_image(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let (portal, acting) = begin(&state, &signed_in)?;
    let limit = congso_portal::media::MAX_IMAGE_BYTES;
    let mut alt = String::new();
    let mut bytes = None;
    while let Some(field) = crate::upload::next_field(&mut multipart, limit as u64).await? {
        match field.name().unwrap_or("") {
            "alt" => alt = crate::upload::text(field, 4096, limit as u64).await?,
            "image" => {
                if crate::upload::file_name(&field).is_none() {
                    continue;
                }
                let mut field = field;
                let mut data = Vec::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|error| crate::upload::multipart_error(error, limit as u64))?
                {
                    if data.len() + chunk.len() > limit {
                        return Err(AppError::too_large(limit));
                    }
                    data.extend_from_slice(&chunk);
                }
                bytes = Some(data);
            }
            _ => {}
        }
    }
    let bytes = bytes.ok_or_else(|| AppError::bad_request("image: no image file was sent"))?;
    portal
        .add_image(&acting, state.blobs(), id, &alt, bytes)
        .await
        .map_err(portal_error)?;
    Ok(Redirect::to(&format!(
        "/staff/portal/{id}?notice=portal-notice-image-added"
    ))
    .into_response())
}

// ------------------------------------------------------------------ categories

pub async fn categories(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    let (portal, _) = begin(&state, &signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let categories = portal.categories().await.map_err(portal_error)?;
    let title = ctx.t("portal-admin-categories");
    let body = html! {
        h1 { (title) }
        (menu(&ctx, &signed_in))
        p { (ctx.t("portal-admin-categories-intro")) }
        div.table-wrap {
            table {
                caption.visually-hidden { (title) }
                thead { tr {
                    th scope="col" { (ctx.t("portal-admin-category")) }
                    th scope="col" { (ctx.t("portal-facet-kind")) }
                    th scope="col" { (ctx.t("portal-admin-slug")) }
                    th scope="col" { (ctx.t("portal-admin-retention")) }
                } }
                tbody {
                    @for category in &categories {
                        tr {
                            td { a href={ "/staff/portal?category=" (category.slug) } { (category_name(category, ctx.visitor.lang)) } }
                            td { (ctx.t(&format!("portal-kind-{}", category.kind))) }
                            td { code { (category.slug) } }
                            td { (retention_label(&ctx, category)) }
                        }
                    }
                }
            }
        }
    };
    Ok(super::private_page(page(&ctx, &title, body)))
}

// ------------------------------------------------------------------ search lists

/// What the search-lists page shows: the lists in force, or, after a
/// refused save, the text that was sent with the reason.
struct ListsForm {
    synonyms: String,
    best_bets: String,
    error: Option<(ListKind, String)>,
}

/// The abbreviation/synonym list and the best bets, each in a form.
/// Editors see them; publishers (`PortalPublish`) save them.
pub async fn search_lists(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (portal, _acting) = begin(&state, &signed_in)?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let lists = portal.search_lists().await.map_err(portal_error)?;
    let form = ListsForm {
        synonyms: lists.synonyms.clone(),
        best_bets: lists.best_bets.clone(),
        error: None,
    };
    Ok(lists_page(
        &ctx,
        &signed_in,
        &lists,
        &form,
        notice(&ctx, &query),
        axum::http::StatusCode::OK,
    ))
}

pub async fn save_search_list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    signed_in.require(Action::PortalPublish)?;
    let (portal, acting) = begin(&state, &signed_in)?;
    let kind = fields
        .get("list")
        .and_then(|code| ListKind::from_code(code))
        .ok_or_else(|| AppError::bad_request("list must be synonyms or best_bets"))?;
    let text = fields.get("text").map(String::as_str).unwrap_or("");
    match portal.save_search_list(&acting, kind, text).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/staff/portal/search-lists?notice=portal-notice-list-saved#{}",
            kind.code()
        ))
        .into_response()),
        Err(congso_portal::PortalError::Invalid(message)) => {
            let ctx = Ctx::new(&state, &signed_in.visitor);
            let lists = portal.search_lists().await.map_err(portal_error)?;
            let mut form = ListsForm {
                synonyms: lists.synonyms.clone(),
                best_bets: lists.best_bets.clone(),
                error: Some((kind, message)),
            };
            match kind {
                ListKind::Synonyms => form.synonyms = text.to_owned(),
                ListKind::BestBets => form.best_bets = text.to_owned(),
            }
            Ok(lists_page(
                &ctx,
                &signed_in,
                &lists,
                &form,
                html! {},
                axum::http::StatusCode::BAD_REQUEST,
            ))
        }
        Err(other) => Err(portal_error(other)),
    }
}

fn lists_page(
    ctx: &Ctx<'_>,
    signed_in: &SignedIn,
    lists: &congso_portal::search_lists::SearchLists,
    form: &ListsForm,
    notice: Markup,
    status: axum::http::StatusCode,
) -> Response {
    let title = ctx.t("portal-admin-search-lists");
    let may_save = signed_in.user.roles.permits(Action::PortalPublish);
    let saved = |saved: &Option<(i64, String)>, shipped: &str| -> Markup {
        html! {
            p.hint {
                @match saved {
                    Some((at, by)) => (ctx.ta("portal-admin-list-saved", &[("when", &ctx.datetime(*at)), ("who", by.trim_start_matches("user:"))])),
                    None => (ctx.t(shipped)),
                }
            }
        }
    };
    let section = |kind: ListKind,
                   heading: &str,
                   help: &str,
                   text: &str,
                   state: Markup|
     -> Markup {
        let id = kind.code();
        let error = form
            .error
            .as_ref()
            .filter(|(failed, _)| *failed == kind)
            .map(|(_, message)| message.clone());
        let help_id = format!("{id}-help");
        let error_id = format!("{id}-error");
        let described = if error.is_some() {
            format!("{help_id} {error_id}")
        } else {
            help_id.clone()
        };
        html! {
            section aria-labelledby={ (id) "-title" } {
                h2 id={ (id) "-title" } { (ctx.t(heading)) }
                (state)
                p.hint id=(help_id) { (ctx.t(help)) }
                @if let Some(message) = &error {
                    div.error-box role="alert" {
                        p.field-error id=(error_id) { (ctx.ta("portal-admin-list-refused", &[("reason", message)])) }
                    }
                }
                form.stack.wide method="post" action="/staff/portal/search-lists" {
                    (ctx.csrf())
                    input type="hidden" name="list" value=(id);
                    label for=(id) { (ctx.t(heading)) }
                    textarea id=(id) name="text" rows="16" spellcheck="false"
                        readonly[!may_save]
                        aria-invalid=[error.as_ref().map(|_| "true")]
                        aria-describedby=(described) { (text) }
                    @if may_save {
                        button type="submit" { (ctx.t("portal-admin-save-list")) }
                    }
                }
            }
        }
    };
    let body = html! {
        h1 { (title) }
        (menu(ctx, signed_in))
        (notice)
        p { (ctx.t("portal-admin-search-lists-intro")) }
        (section(
            ListKind::Synonyms,
            "portal-admin-synonyms",
            "portal-admin-synonyms-help",
            &form.synonyms,
            saved(&lists.synonyms_saved, "portal-admin-list-shipped"),
        ))
        (section(
            ListKind::BestBets,
            "portal-admin-best-bets",
            "portal-admin-best-bets-help",
            &form.best_bets,
            saved(&lists.best_bets_saved, "portal-admin-best-bets-none"),
        ))
    };
    let mut response = super::private_page(page(ctx, &title, body));
    *response.status_mut() = status;
    response
}

// ------------------------------------------------------------------ documents

/// Whether a document may be published to the portal at all.
fn publishable(detail: &congso_docs::service::DocumentDetail) -> bool {
    detail.direction == congso_docs::model::Direction::Outgoing
        && detail.row.issued_at.is_some()
        && detail.row.recalled_at.is_none()
        && !detail.metadata.secrecy.is_secret()
}

/// The files of a document that go to the portal: the newest signed
/// original (else the newest original) and the attachments.
fn publishable_files(
    detail: &congso_docs::service::DocumentDetail,
) -> Vec<congso_portal::SourceFile> {
    let newest = |kind: &str| {
        detail
            .files
            .iter()
            .filter(|file| file.kind == kind)
            .max_by_key(|file| (file.created_at, file.id))
    };
    let main = newest("signed").or_else(|| newest("original"));
    main.into_iter()
        .chain(detail.files.iter().filter(|file| file.kind == "attachment"))
        .map(|file| congso_portal::SourceFile {
            file_id: file.id,
            name: file.name.clone(),
        })
        .collect()
}

/// What the portal is told of a document (also used by the demo).
pub fn document_source(
    service: &congso_docs::Service,
    detail: &congso_docs::service::DocumentDetail,
) -> congso_portal::DocumentSource {
    let row = &detail.row;
    congso_portal::DocumentSource {
        document_id: row.id,
        outgoing: detail.direction == congso_docs::model::Direction::Outgoing,
        issued: row.issued_at.is_some(),
        secret: detail.metadata.secrecy.is_secret() || row.secrecy != 0,
        recalled: row.recalled_at.is_some(),
        number_notation: row.number_notation.clone(),
        issue_date: row.issue_date.clone(),
        signer: row.signer_name.clone(),
        summary: row.summary.clone(),
        type_name: detail.type_label.clone(),
        issuer: service.agency().name.clone(),
        files: publishable_files(detail),
    }
}

/// The "publish to the portal" section of a document page: shown to
/// portal editors and publishers on an issued, public, unrecalled outgoing
/// document.
pub(crate) async fn document_section(
    state: &AppState,
    ctx: &Ctx<'_>,
    signed_in: &SignedIn,
    detail: &congso_docs::service::DocumentDetail,
) -> Result<Markup, AppError> {
    let roles = signed_in.user.roles;
    if !publishable(detail)
        || !(roles.permits(Action::PortalEdit) || roles.permits(Action::PortalPublish))
    {
        return Ok(html! {});
    }
    let portal = state.portal()?;
    let legal: Vec<Category> = portal
        .categories()
        .await
        .map_err(portal_error)?
        .into_iter()
        .filter(|category| category.kind == congso_portal::Kind::Legal.code())
        .collect();
    let existing = congso_store::portal::item_by_external_id(
        portal.db(),
        &congso_portal::media::document_external_id(detail.row.id),
    )
    .await?;
    let id = detail.row.id;
    Ok(html! {
        section aria-labelledby="portal-h" {
            h2 #portal-h { (ctx.t("portal-doc-section")) }
            @if let Some(item) = &existing {
                p {
                    (ctx.ta("portal-doc-existing", &[("status", &status_label(ctx, &item.status))])) " "
                    a href={ "/staff/portal/" (item.id) } { (item.title) }
                }
            }
            @if legal.is_empty() {
                p { (ctx.t("portal-doc-no-category")) }
            } @else {
                form.stack method="post" action={ "/documents/" (id) "/portal" } {
                    (ctx.csrf())
                    label for="portal-category" { (ctx.t("portal-admin-category")) }
                    select #portal-category name="category" {
                        @for category in &legal {
                            option value=(category.slug) selected[existing.as_ref().is_some_and(|item| item.category_id == category.id)] {
                                (category_name(category, ctx.visitor.lang))
                            }
                        }
                    }
                    p.hint { (ctx.t(if roles.permits(Action::PortalPublish) { "portal-doc-help-publish" } else { "portal-doc-help-review" })) }
                    button type="submit" {
                        (ctx.t(if existing.is_some() { "portal-doc-update" } else { "portal-doc-publish" }))
                    }
                }
            }
        }
    })
}

/// Publishes an issued document to the portal (or updates its item).
pub async fn publish_document(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (portal, portal_acting) = begin(&state, &signed_in)?;
    let (service, acting) =
        super::documents::begin(&state, &signed_in, Action::DocumentView).await?;
    let detail = service.get(&acting, id).await?;
    let source = document_source(service, &detail);
    let category = fields
        .get("category")
        .map(|slug| slug.trim())
        .filter(|slug| !slug.is_empty());
    let outcome = portal
        .publish_document(&portal_acting, &source, category)
        .await
        .map_err(portal_error)?;
    let notice = if outcome.status == status::PUBLISHED {
        "portal-notice-document-published"
    } else {
        "portal-notice-document-review"
    };
    Ok(Redirect::to(&format!("/documents/{id}?notice={notice}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_times_are_vietnam_time() {
        // 2026-12-01 08:00 in Hanoi is 01:00 UTC.
        assert_eq!(
            parse_vn_datetime("2026-12-01T08:00"),
            Some(1_796_086_800_000_000)
        );
        assert_eq!(
            parse_vn_datetime("2026-12-01T08:00:30"),
            Some(1_796_086_830_000_000)
        );
        for bad in [
            "",
            "2026-12-01",
            "2026-13-01T08:00",
            "2026-12-01T25:00",
            "tomorrow",
            "2026-12-01T08:00:00:00",
        ] {
            assert_eq!(parse_vn_datetime(bad), None, "{bad}");
        }
    }
}
