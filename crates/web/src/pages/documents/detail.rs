//! The document page: metadata, files and renditions, signatures with their
//! validation report, archive records, assignments, timeline, and the
//! workflow steps the user may take (assign with a due date in working
//! days, process, return, review, approve, sign, issue, dispatch, recall);
//! downloads of files, the edXML message and the archive package.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use congso_core::access::Action;
use congso_docs::model::Direction;
use congso_docs::service::{Acting, AssignTo, Due, TransitionRequest};
use congso_docs::workflow::Effect;
use congso_docs::Service;
use congso_vn::calendar::Period;
use maud::html;

use super::{begin, date_text, document_name, marks, size_text, state_label, step_label};
use crate::error::AppError;
use crate::layout::{page, Ctx};
use crate::session::SignedIn;
use crate::AppState;

/// Notices a redirect may ask the page to show (`?notice=`).
const NOTICES: &[&str] = &[
    "doc-registered",
    "doc-imported",
    "doc-import-applied",
    "doc-draft-created",
    "doc-saved",
    "doc-file-added",
    "doc-step-done",
    "doc-signed",
    "doc-recalled-notice",
    "doc-sent-notice",
    "doc-send-failed-notice",
    "doc-send-nothing-notice",
    "portal-notice-document-published",
    "portal-notice-document-review",
];

fn text(fields: &HashMap<String, String>, name: &str) -> Option<String> {
    fields
        .get(name)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn number<T: std::str::FromStr>(
    fields: &HashMap<String, String>,
    name: &str,
) -> Result<Option<T>, AppError> {
    match text(fields, name) {
        None => Ok(None),
        Some(value) => value
            .parse()
            .map(Some)
            .map_err(|_| AppError::bad_request(format!("{name}: {value:?} is not a number"))),
    }
}

/// Whom to assign to and by when, from the assignment fields of a form or
/// an API body: `assignee_user`, `assignee_unit`, `due_working_days`,
/// `due_date` (YYYY-MM-DD; a day off moves to the next working day).
pub(crate) fn assign_target(fields: &HashMap<String, String>) -> Result<AssignTo, AppError> {
    let due_days: Option<u32> = number(fields, "due_working_days")?;
    let due_date = match text(fields, "due_date") {
        None => None,
        Some(value) => Some(congso_docs::model::parse_iso_date(&value).ok_or_else(|| {
            AppError::bad_request(format!("due_date: {value:?} is not a YYYY-MM-DD date"))
        })?),
    };
    let due = match (due_days, due_date) {
        (Some(_), Some(_)) => {
            return Err(AppError::bad_request(
                "give either due_working_days or due_date, not both",
            ))
        }
        (Some(days), None) => Some(Due::Period(Period::Working(days))),
        (None, Some(date)) => Some(Due::Date(date)),
        (None, None) => None,
    };
    Ok(AssignTo {
        user_id: number(fields, "assignee_user")?,
        unit_id: number(fields, "assignee_unit")?,
        due,
    })
}

/// The transition request a form or API body asks for.
pub(crate) fn transition_request(
    service: &Service,
    direction: Direction,
    fields: &HashMap<String, String>,
) -> Result<TransitionRequest, AppError> {
    let name =
        text(fields, "transition").ok_or_else(|| AppError::bad_request("no step was chosen"))?;
    let assign = match service.workflows().get(direction).transition(&name) {
        Some(step) if step.effect == Effect::Assign => Some(assign_target(fields)?),
        _ => None,
    };
    Ok(TransitionRequest {
        transition: name,
        comment: text(fields, "comment"),
        expected_version: number(fields, "version")?,
        assign,
    })
}

pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentView).await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let detail = service.get(&acting, id).await?;
    let timeline = service.timeline(&acting, id).await?;
    let signatures = service.signatures(&acting, id).await?;
    let archived = service.archive_items(&acting, id).await?;
    let portal_section =
        super::super::portal_admin::document_section(&state, &ctx, &signed_in, &detail).await?;
    let deliveries_section =
        if detail.direction == Direction::Outgoing && detail.row.number_text.is_some() {
            deliveries_section(&ctx, &signed_in, service, &acting, &detail).await?
        } else {
            maud::Markup::default()
        };
    let users: HashMap<i64, congso_store::accounts::User> =
        congso_store::accounts::list_users(state.db())
            .await?
            .into_iter()
            .map(|user| (user.id, user))
            .collect();
    let units: Vec<congso_store::accounts::Organization> =
        congso_store::accounts::list_organizations(state.db())
            .await?
            .into_iter()
            .filter(|unit| unit.parent_id.is_some())
            .collect();
    let user_name = |id: Option<i64>| {
        id.and_then(|id| users.get(&id))
            .map(|user| user.display_name.clone())
            .unwrap_or_default()
    };
    let unit_name = |id: Option<i64>| {
        id.and_then(|id| units.iter().find(|unit| unit.id == id))
            .map(|unit| unit.name.clone())
            .unwrap_or_default()
    };
    let direction = detail.direction;
    let row = &detail.row;
    let metadata = &detail.metadata;
    let workflow = service.workflows().get(direction);
    let notice = query
        .get("notice")
        .and_then(|notice| NOTICES.iter().find(|known| **known == notice.as_str()));
    let title = document_name(&ctx, row);
    let mut specialists: Vec<&congso_store::accounts::User> = users
        .values()
        .filter(|user| {
            !user.disabled
                && user.roles.permits(Action::DocumentProcess)
                && user.organization_id == Some(service.agency().organization_id)
        })
        .collect();
    specialists.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let is_draft_holder = direction == Direction::Outgoing
        && row.state == workflow.initial
        && row.holder_user_id == Some(acting.user_id)
        && row.recalled_at.is_none();
    let can_recall =
        signed_in.user.roles.permits(Action::DocumentRecall) && row.recalled_at.is_none();
    let can_export =
        signed_in.user.roles.permits(Action::DocumentExport) && !metadata.secrecy.is_secret();
    let signer_text = metadata.signer.as_ref().map(|signer| {
        let mut parts = Vec::new();
        if let Some(competence) = signer.competence() {
            parts.push(competence);
        }
        if let Some(position) = &signer.position {
            parts.push(position.clone());
        }
        parts.push(signer.full_name.clone());
        parts.join(" ")
    });
    let body = html! {
        p { a href=(if direction == Direction::Incoming { "/documents/incoming" } else { "/documents/outgoing" }) {
            (ctx.t(if direction == Direction::Incoming { "doc-back-incoming" } else { "doc-back-outgoing" }))
        } }
        h1 { (title) (marks(&ctx, row)) }
        @if let Some(notice) = notice {
            div.notice role="status" { (ctx.t(notice)) }
        }
        @if let Some(reason) = &row.recall_reason {
            div.warning role="status" { (ctx.ta("doc-recalled-banner", &[("reason", reason)])) }
        }
        p.lead { (row.summary) }
        section aria-labelledby="meta-h" {
            h2 #meta-h { (ctx.t("doc-section-metadata")) }
            dl.facts {
                dt { (ctx.t("doc-col-state")) } dd { (state_label(&ctx, service, direction, &row.state)) }
                dt { (ctx.t("doc-field-type")) } dd { (detail.type_label) }
                @if let Some(number) = &row.number_notation {
                    dt { (ctx.t("doc-field-number-notation")) } dd { (number) }
                }
                @if let (Some(number), Some(year)) = (row.register_number, row.register_year) {
                    dt { (ctx.t(if direction == Direction::Incoming { "doc-col-arrival" } else { "doc-field-register-number" })) }
                    dd { (number) " / " (year) }
                }
                @if let Some(at) = row.arrived_at {
                    dt { (ctx.t("doc-col-arrived")) } dd { (ctx.datetime(at)) }
                }
                @if let Some(sender) = &row.sender_name {
                    dt { (ctx.t("doc-field-sender")) } dd { (sender) }
                }
                @if let Some(date) = metadata.issue_date {
                    dt { (ctx.t("doc-field-issue-date")) } dd { (congso_docs::register::vn_date_text(date)) }
                }
                @if let Some(signer) = &signer_text {
                    dt { (ctx.t("doc-field-signer")) } dd { (signer) }
                }
                @if !metadata.replaces.is_empty() {
                    dt { (ctx.t("doc-field-replaces")) }
                    dd { ul { @for replaced in &metadata.replaces { li { code { (replaced) } } } } }
                }
                @if !metadata.recipients.is_empty() {
                    dt { (ctx.t("doc-field-recipients")) }
                    dd { ul { @for party in &metadata.recipients { li { (party.name) } } } }
                }
                @if row.due_date.is_some() {
                    dt { (ctx.t("doc-col-due")) } dd { (date_text(row.due_date.as_deref())) }
                }
                @if let Some(pages) = metadata.page_count {
                    dt { (ctx.t("doc-field-pages")) } dd { (pages) }
                }
                @if row.holder_user_id.is_some() || row.holder_unit_id.is_some() {
                    dt { (ctx.t("doc-field-holder")) }
                    dd { (user_name(row.holder_user_id)) @if row.holder_unit_id.is_some() { " (" (unit_name(row.holder_unit_id)) ")" } }
                }
            }
            @if let Some(content) = &metadata.content {
                details { summary { (ctx.t("doc-field-content")) } p.prewrap { (content) } }
            }
        }
        @if !detail.available.is_empty() || is_draft_holder || can_recall {
            section aria-labelledby="actions-h" {
                h2 #actions-h { (ctx.t("doc-section-actions")) }
                @if is_draft_holder {
                    p { a.button.secondary href={ "/documents/" (id) "/edit" } { (ctx.t("doc-edit-title")) } }
                    form.stack method="post" enctype="multipart/form-data"
                        action=(super::forms::csrf_action(&ctx, &format!("/documents/{id}/files"))) {
                        label for="new-file" { (ctx.t("doc-field-draft-file")) }
                        input #new-file type="file" name="file" required;
                        button.secondary type="submit" { (ctx.t("doc-attach-submit")) }
                    }
                }
                @for (name, _) in &detail.available {
                    @let step = workflow.transition(name);
                    @let effect = step.map(|step| step.effect).unwrap_or(Effect::None);
                    @let comment_required = step.is_some_and(|step| step.comment_required);
                    @let label = step_label(&ctx, service, direction, name);
                    @if effect == Effect::Sign {
                        form.stack method="post" action={ "/documents/" (id) "/sign" } {
                            (ctx.csrf())
                            p.hint { (ctx.t("doc-sign-help")) }
                            button type="submit" { (label) }
                        }
                    } @else {
                        form.stack method="post" action={ "/documents/" (id) "/transition" } {
                            (ctx.csrf())
                            input type="hidden" name="transition" value=(name);
                            input type="hidden" name="version" value=(row.version);
                            @if effect == Effect::Assign {
                                fieldset {
                                    legend { (label) }
                                    label for={ "user-" (name) } { (ctx.t("doc-assign-user")) }
                                    select id={ "user-" (name) } name="assignee_user" {
                                        option value="" { (ctx.t("doc-filter-any")) }
                                        @for user in &specialists {
                                            option value=(user.id) { (user.display_name) }
                                        }
                                    }
                                    label for={ "unit-" (name) } { (ctx.t("doc-assign-unit")) }
                                    select id={ "unit-" (name) } name="assignee_unit" {
                                        option value="" { (ctx.t("doc-filter-any")) }
                                        @for unit in &units {
                                            option value=(unit.id) { (unit.name) }
                                        }
                                    }
                                    label for={ "days-" (name) } { (ctx.t("doc-assign-days")) }
                                    input id={ "days-" (name) } type="number" name="due_working_days" min="1" max="365" aria-describedby={ "days-help-" (name) };
                                    p.hint id={ "days-help-" (name) } { (ctx.t("doc-assign-days-help")) }
                                }
                            }
                            label for={ "comment-" (name) } {
                                (ctx.t("doc-field-comment"))
                                @if comment_required { " " span.required aria-hidden="true" { "*" } }
                            }
                            textarea id={ "comment-" (name) } name="comment" rows="2" maxlength="2000" required[comment_required] {}
                            button type="submit" { (label) }
                        }
                    }
                }
                @if can_recall {
                    details {
                        summary { (ctx.t("doc-recall-title")) }
                        form.stack method="post" action={ "/documents/" (id) "/recall" } {
                            (ctx.csrf())
                            label for="recall-reason" { (ctx.t("doc-recall-reason")) " " span.required aria-hidden="true" { "*" } }
                            textarea #recall-reason name="reason" rows="2" required maxlength="2000" {}
                            button.danger type="submit" { (ctx.t("doc-recall-submit")) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="files-h" {
            h2 #files-h { (ctx.t("doc-section-files")) }
            @if detail.files.is_empty() {
                p.muted { (ctx.t("doc-files-none")) }
            } @else {
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { (ctx.t("doc-col-file")) }
                        th scope="col" { (ctx.t("doc-col-kind")) }
                        th scope="col" { (ctx.t("doc-col-size")) }
                        th scope="col" { "SHA-256" }
                    } }
                    tbody {
                        @for file in &detail.files {
                            tr {
                                td { a href={ "/documents/" (id) "/files/" (file.id) } { (file.name) } }
                                td {
                                    (ctx.t(&format!("doc-file-kind-{}", file.kind)))
                                    @if let Some(kind) = &file.rendition_kind { " (" (kind) ")" }
                                    @if let Some(source) = file.source_file_id { " ← #" (source) }
                                }
                                td { (size_text(file.size)) }
                                td { code.hash { (hex::encode(&file.sha256)) } }
                            }
                        }
                    }
                } }
            }
        }
        section aria-labelledby="sig-h" {
            h2 #sig-h { (ctx.t("doc-section-signatures")) }
            @if signatures.is_empty() {
                p.muted { (ctx.t("doc-signatures-none")) }
            }
            @for signature in &signatures {
                article.signature {
                    h3 { (signature.signer_name) " — " (ctx.t(&format!("doc-verdict-{}", signature.verdict))) }
                    dl.facts {
                        dt { (ctx.t("doc-sig-format")) } dd { (signature.format.to_uppercase()) " · " (signature.file_name) }
                        dt { (ctx.t("doc-sig-signed-at")) } dd { (ctx.datetime(signature.signed_at)) }
                        @if let Some(at) = signature.timestamp_at {
                            dt { (ctx.t("doc-sig-timestamp")) } dd { (ctx.datetime(at)) " (" (signature.tsa) ")" }
                        }
                        dt { (ctx.t("doc-sig-serial")) } dd { code { (signature.cert_serial) } }
                    }
                    @let reasons: Vec<_> = signature.report.reasons.iter().chain(signature.report.signatures.iter().flat_map(|one| one.reasons.iter())).collect();
                    @if !reasons.is_empty() {
                        ul { @for reason in reasons {
                            li { (if ctx.visitor.lang == crate::i18n::Lang::Vi { &reason.vi } else { &reason.en }) }
                        } }
                    }
                    @for one in &signature.report.signatures {
                        details {
                            summary { (ctx.t("doc-sig-details")) }
                            dl.facts {
                                @if let Some(subject) = &one.details.signer_subject { dt { (ctx.t("doc-sig-subject")) } dd { (subject) } }
                                @if let Some(issuer) = &one.details.signer_issuer { dt { (ctx.t("doc-sig-issuer")) } dd { (issuer) } }
                                @if let Some(algorithm) = &one.details.signature_algorithm { dt { (ctx.t("doc-sig-algorithm")) } dd { (algorithm) } }
                                @if let Some(algorithm) = &one.details.digest_algorithm { dt { (ctx.t("doc-sig-digest")) } dd { (algorithm) } }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="archive-h" {
            h2 #archive-h { (ctx.t("doc-section-archive")) }
            @if archived.is_empty() {
                p.muted { (ctx.t("doc-archive-none")) }
            } @else {
                ul {
                    @for item in &archived {
                        li {
                            (ctx.t(&format!("doc-archive-stage-{}", item.stage.as_deref().unwrap_or("other"))))
                            " · " (ctx.datetime(item.archived_at))
                            " · " (ctx.t(&format!("doc-verdict-{}", item.verdict)))
                            @if let Some(seq) = item.ledger_seq { " · " (ctx.ta("doc-ledger-seq", &[("seq", &seq.to_string())])) }
                        }
                    }
                }
                p { a.button.secondary href={ "/documents/" (id) "/package" } download { (ctx.t("doc-package-download")) } }
            }
            @if can_export {
                p { a href={ "/documents/" (id) "/edxml" } download { (ctx.t("doc-edxml-download")) } }
            }
        }
        (deliveries_section)
        (portal_section)
        @if !detail.assignments.is_empty() {
            section aria-labelledby="assign-h" {
                h2 #assign-h { (ctx.t("doc-section-assignments")) }
                ul {
                    @for assignment in &detail.assignments {
                        li {
                            (user_name(assignment.user_id))
                            @if assignment.unit_id.is_some() { " (" (unit_name(assignment.unit_id)) ")" }
                            " · " (ctx.datetime(assignment.assigned_at))
                            @if assignment.due_date.is_some() { " · " (ctx.t("doc-col-due")) ": " (date_text(assignment.due_date.as_deref())) }
                            @if !assignment.active { " · " (ctx.t("doc-assignment-ended")) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="timeline-h" {
            h2 #timeline-h { (ctx.t("doc-section-timeline")) }
            ol.timeline {
                @for event in &timeline {
                    li {
                        time { (ctx.datetime(event.at)) } " · " (event.actor) " · "
                        @if let Some(step) = &event.transition {
                            (step_label(&ctx, service, direction, step))
                        } @else {
                            (ctx.t(&format!("doc-event-{}", event.kind)))
                        }
                        @if let Some(to) = &event.to_state { " → " (state_label(&ctx, service, direction, to)) }
                        @if let Some(comment) = &event.comment { br; q { (comment) } }
                        @if let Some(seq) = event.ledger_seq { " " span.muted { (ctx.ta("doc-ledger-seq", &[("seq", &seq.to_string())])) } }
                    }
                }
            }
        }
    };
    Ok(super::super::private_page(page(&ctx, &title, body)))
}

pub async fn transition(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentView).await?;
    let detail = service.get(&acting, id).await?;
    let request = transition_request(service, detail.direction, &fields)?;
    let done = service.transition(&acting, id, request).await?;
    let notice = match &done.sending {
        Some(sending) if sending.error.is_some() => "doc-send-failed-notice",
        Some(sending) if sending.sent.iter().any(|sent| sent.outcome == "queued") => {
            "doc-sent-notice"
        }
        _ => "doc-step-done",
    };
    Ok(Redirect::to(&format!("/documents/{id}?notice={notice}")).into_response())
}

/// Sends a dispatched document (its revocation once recalled) to the
/// recipients it has not been queued for yet.
pub async fn send(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentDispatch).await?;
    let sending = service.send_electronically(&acting, id).await?;
    let notice = if sending.sent.iter().any(|sent| sent.outcome == "queued") {
        "doc-sent-notice"
    } else {
        "doc-send-nothing-notice"
    };
    Ok(Redirect::to(&format!("/documents/{id}?notice={notice}#deliveries-h")).into_response())
}

/// The recipients of an issued document: how each is reached, where the
/// document and its revocation stand, and what each recipient reported.
async fn deliveries_section(
    ctx: &Ctx<'_>,
    signed_in: &SignedIn,
    service: &Service,
    acting: &Acting,
    detail: &congso_docs::service::DocumentDetail,
) -> Result<maud::Markup, AppError> {
    use congso_docs::dispatch::{Reach, Transport};
    let id = detail.row.id;
    let recipients = service.deliveries(acting, id).await?;
    let federated = service.has_dispatcher();
    let recalled = detail.row.recalled_at.is_some();
    let waiting = recipients.iter().any(|recipient| {
        recipient.reach == Reach::Member
            && if recalled {
                recipient.document.is_some() && recipient.revocation.is_none()
            } else {
                recipient.document.is_none()
            }
    });
    let can_send = federated
        && waiting
        && detail.row.dispatched_at.is_some()
        && signed_in.user.roles.permits(Action::DocumentDispatch);
    let transport = |transport: Option<&Transport>| {
        html! {
            @match transport {
                None => { span.muted { (ctx.t("doc-transport-none")) } }
                Some(transport) => {
                    @match transport.state.as_str() {
                        "received" => {
                            (ctx.ta("doc-transport-received", &[("at", &transport.received_at.map(|at| ctx.datetime(at)).unwrap_or_default())]))
                        }
                        "rejected" => { strong { (ctx.t("doc-transport-rejected")) } }
                        "sent" => { (ctx.ta("doc-transport-sent", &[("attempts", &transport.attempts.to_string())])) }
                        _ => { (ctx.t("doc-transport-queued")) }
                    }
                    @if transport.state != "received" {
                        @if let Some(error) = &transport.last_error {
                            br; span.hint { (ctx.ta("doc-transport-error", &[("error", error)])) }
                        }
                        @if let Some(at) = transport.next_attempt_at {
                            @if transport.attempts > 0 {
                                br; span.hint { (ctx.ta("doc-transport-next", &[("at", &ctx.datetime(at))])) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html! {
        section aria-labelledby="deliveries-h" {
            h2 #deliveries-h { (ctx.t("doc-section-deliveries")) }
            @if federated {
                p.hint { (ctx.t("doc-deliveries-hint")) }
            } @else {
                p.muted { (ctx.t("doc-deliveries-no-federation")) }
            }
            @if !recipients.is_empty() {
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { (ctx.t("doc-col-recipient")) }
                        th scope="col" { (ctx.t("doc-col-reach")) }
                        th scope="col" { (ctx.t("doc-col-transport")) }
                        @if recalled { th scope="col" { (ctx.t("doc-col-revocation")) } }
                        th scope="col" { (ctx.t("doc-col-recipient-status")) }
                    } }
                    tbody {
                        @for recipient in &recipients {
                            tr {
                                th scope="row" {
                                    (recipient.name)
                                    @if let Some(code) = &recipient.organ_code { br; code { (code) } }
                                }
                                td { (ctx.t(&format!("doc-reach-{}", serde_json::to_value(recipient.reach).ok().and_then(|value| value.as_str().map(str::to_owned)).unwrap_or_default()))) }
                                td { (transport(recipient.document.as_ref())) }
                                @if recalled { td { (transport(recipient.revocation.as_ref())) } }
                                td {
                                    @if recipient.statuses.is_empty() {
                                        span.muted { (ctx.t("doc-status-none")) }
                                    } @else {
                                        ol.compact {
                                            @for status in &recipient.statuses {
                                                li {
                                                    (status.label)
                                                    @if let Some(description) = &status.description { ": " (description) }
                                                    " · " (ctx.datetime(status.received_at))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            @if can_send {
                form.stack method="post" action={ "/documents/" (id) "/send" } {
                    (ctx.csrf())
                    p.hint { (ctx.t("doc-send-help")) }
                    button.secondary type="submit" { (ctx.t("doc-send-submit")) }
                }
            }
        }
    })
}

pub async fn sign(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentSign).await?;
    service.sign(&acting, id).await?;
    Ok(Redirect::to(&format!("/documents/{id}?notice=doc-signed")).into_response())
}

pub async fn recall(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentRecall).await?;
    service
        .recall(
            &acting,
            id,
            fields.get("reason").map(String::as_str).unwrap_or(""),
        )
        .await?;
    crate::pages::portal_admin::withdraw_recalled(&state, &signed_in, id).await?;
    Ok(Redirect::to(&format!("/documents/{id}?notice=doc-recalled-notice")).into_response())
}

pub async fn download(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id, file_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentView).await?;
    file_response(service, &acting, id, file_id).await
}

/// A document's file as a streamed download.
pub(crate) async fn file_response(
    service: &Service,
    acting: &Acting,
    id: i64,
    file_id: i64,
) -> Result<Response, AppError> {
    let (file, stream) = service.open_file(acting, id, file_id).await?;
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.mime)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(value) = HeaderValue::from_str(&super::attachment_disposition(&file.name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&file.size.to_string()) {
        headers.insert(header::CONTENT_LENGTH, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::HeaderName::from_static("x-content-sha256"),
        HeaderValue::from_str(&hex::encode(&file.sha256)).unwrap_or(HeaderValue::from_static("")),
    );
    Ok(response)
}

pub async fn package(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentView).await?;
    package_response(service, &acting, id).await
}

/// The archive package of a document as a zip download: written to a
/// temporary file in the spool directory, then streamed from it (the file
/// is unlinked as soon as it is open, so nothing is left behind).
pub async fn package_response(
    service: &Service,
    acting: &Acting,
    id: i64,
) -> Result<Response, AppError> {
    // The package is written by rename into a private directory, opened,
    // and the directory removed: the open handle keeps the bytes readable.
    let dir = tempfile::TempDir::new_in(service.spool_dir())
        .map_err(|error| AppError::internal(format!("package directory: {error}")))?;
    let path = dir.path().join("package.zip");
    service.export_package(acting, id, &path).await?;
    let file = std::fs::File::open(&path)
        .map_err(|error| AppError::internal(format!("package file: {error}")))?;
    let length = file.metadata().map(|meta| meta.len()).ok();
    drop(dir);
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(value) = HeaderValue::from_str(&super::attachment_disposition(&format!(
        "van-ban-{id}-luu-tru.zip"
    ))) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Some(length) = length.and_then(|length| HeaderValue::from_str(&length.to_string()).ok())
    {
        headers.insert(header::CONTENT_LENGTH, length);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn edxml(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentExport).await?;
    edxml_response(service, &acting, id).await
}

/// A document as an edXML message download.
pub(crate) async fn edxml_response(
    service: &Service,
    acting: &Acting,
    id: i64,
) -> Result<Response, AppError> {
    let bytes = service.export_edxml(acting, id, Vec::new()).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&super::attachment_disposition(&format!(
        "van-ban-{id}.edxml"
    ))) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
