//! The electronic-document screens (Decree 30/2020, Decree 64 Art. 33–40):
//! the incoming and outgoing registers, registration of an incoming
//! document (upload or edXML package), drafting, the document page with its
//! files, signatures, archive records, timeline and the steps the user may
//! take, the overdue list, notifications, search, the Appendix IV
//! registers for printing and export, and (for administrators) the
//! workflow definition in force.
//!
//! Every page works without JavaScript. Every handler checks the page's
//! permission with `SignedIn::require`, and the documents service checks
//! again, with the user's clearance, for each document it reads or changes.

pub(crate) mod detail;
pub(crate) mod forms;
mod lists;
mod workflow;

use axum::routing::{get, post};
use axum::Router;
use congso_core::access::Action;
use congso_docs::model::{Direction, Secrecy, Urgency};
use congso_docs::service::Acting;
use congso_docs::Service;
use congso_store::documents::DocumentRow;
use maud::{html, Markup};

use crate::error::AppError;
use crate::layout::Ctx;
use crate::session::SignedIn;
use crate::AppState;

/// The document routes of the web interface. The upload routes (see
/// `upload::is_upload`) accept bodies up to `upload_limit` bytes: their
/// multipart parts are streamed, never buffered.
pub fn routes(upload_limit: u64) -> Router<AppState> {
    let uploads = Router::new()
        .route("/documents/incoming", post(forms::register_incoming))
        .route("/documents/incoming/edxml", post(forms::import_edxml))
        .route("/documents/outgoing", post(forms::create_draft))
        .route("/documents/{id}/files", post(forms::attach_file))
        .layer(axum::extract::DefaultBodyLimit::max(
            usize::try_from(upload_limit).unwrap_or(usize::MAX),
        ));
    Router::new()
        .route("/documents", get(lists::hub))
        .route("/documents/incoming", get(lists::incoming))
        .route("/documents/incoming/new", get(forms::new_incoming))
        .route("/documents/outgoing", get(lists::outgoing))
        .route("/documents/outgoing/new", get(forms::new_draft))
        .route("/documents/overdue", get(lists::overdue))
        .route("/documents/notifications", get(lists::notifications))
        .route("/documents/notifications/{id}/read", post(lists::mark_read))
        .route("/documents/search", get(lists::search))
        .route("/documents/registers", get(lists::registers))
        .route("/documents/workflow", get(workflow::show))
        .route("/documents/{id}", get(detail::show))
        .route(
            "/documents/{id}/edit",
            get(forms::edit_draft_form).post(forms::edit_draft),
        )
        .route("/documents/{id}/files/{file_id}", get(detail::download))
        .route("/documents/{id}/transition", post(detail::transition))
        .route("/documents/{id}/sign", post(detail::sign))
        .route("/documents/{id}/recall", post(detail::recall))
        .route("/documents/{id}/send", post(detail::send))
        .route("/documents/{id}/package", get(detail::package))
        .route("/documents/{id}/edxml", get(detail::edxml))
        .merge(uploads)
}

/// The documents service and the signed-in user as the service sees them
/// (roles, clearance, unit), after checking the page's permission.
pub(crate) async fn begin<'a>(
    state: &'a AppState,
    signed_in: &SignedIn,
    action: Action,
) -> Result<(&'a Service, Acting), AppError> {
    signed_in.require(action)?;
    let service = state.documents()?;
    let acting = service
        .acting(signed_in.user.id, &signed_in.visitor.ip)
        .await?;
    Ok((service, acting))
}

/// A workflow state's name: in Vietnamese the agency's own label from its
/// workflow definition; in English the translation of the shipped states,
/// else that label.
pub(crate) fn state_label(
    ctx: &Ctx<'_>,
    service: &Service,
    direction: Direction,
    state: &str,
) -> String {
    let label = service
        .workflows()
        .get(direction)
        .state(state)
        .map(|state| state.label.clone())
        .unwrap_or_else(|| state.to_owned());
    translated_or(
        ctx,
        &format!("doc-state-{}-{state}", direction.code()),
        label,
    )
}

/// A workflow step's name, like [`state_label`].
pub(crate) fn step_label(
    ctx: &Ctx<'_>,
    service: &Service,
    direction: Direction,
    step: &str,
) -> String {
    let label = service
        .workflows()
        .get(direction)
        .transition(step)
        .map(|transition| transition.label.clone())
        .unwrap_or_else(|| step.to_owned());
    translated_or(ctx, &format!("doc-step-{}-{step}", direction.code()), label)
}

fn translated_or(ctx: &Ctx<'_>, id: &str, label: String) -> String {
    match ctx.visitor.lang {
        crate::i18n::Lang::Vi => label,
        lang => ctx.state.i18n().lookup(lang, id).unwrap_or(label),
    }
}

pub(crate) fn direction_of(row: &DocumentRow) -> Direction {
    Direction::from_code(&row.direction).unwrap_or(Direction::Incoming)
}

/// `dd/mm/yyyy` from `YYYY-MM-DD`.
pub(crate) fn date_text(iso: Option<&str>) -> String {
    iso.and_then(congso_docs::model::parse_iso_date)
        .map(congso_docs::register::vn_date_text)
        .unwrap_or_default()
}

/// A byte count for people.
pub(crate) fn size_text(bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    if bytes >= 1_048_576.0 {
        format!("{:.1} MB", bytes / 1_048_576.0)
    } else if bytes >= 1024.0 {
        format!("{:.0} KB", bytes / 1024.0)
    } else {
        format!("{bytes:.0} B")
    }
}

/// How a document is named in lists and headings: its number and notation
/// when it has one, else its summary.
pub(crate) fn document_name(ctx: &Ctx<'_>, row: &DocumentRow) -> String {
    match &row.number_notation {
        Some(number) => number.clone(),
        None => ctx.ta("doc-unnumbered", &[("id", &row.id.to_string())]),
    }
}

/// The secrecy, urgency and recall marks of a document.
pub(crate) fn marks(ctx: &Ctx<'_>, row: &DocumentRow) -> Markup {
    let secrecy = Secrecy::from_level(row.secrecy).unwrap_or_default();
    let urgency = Urgency::from_level(row.urgency).unwrap_or_default();
    html! {
        @if secrecy.is_secret() {
            " " span.badge.secret { (ctx.t(&format!("doc-secrecy-{}", row.secrecy))) }
        }
        @if urgency != Urgency::Normal {
            " " span.badge.urgent { (ctx.t(&format!("doc-urgency-{}", row.urgency))) }
        }
        @if row.recalled_at.is_some() {
            " " span.badge.recalled { (ctx.t("doc-recalled")) }
        }
    }
}

/// Links to the document screens the user may use, shown on the hub.
pub(crate) fn menu(ctx: &Ctx<'_>, signed_in: &SignedIn) -> Markup {
    let can = |action| signed_in.user.roles.permits(action);
    html! {
        ul.menu {
            li { a href="/documents/incoming" { (ctx.t("doc-nav-incoming")) } }
            @if can(Action::DocumentRegisterIncoming) {
                li { a href="/documents/incoming/new" { (ctx.t("doc-nav-register")) } }
            }
            li { a href="/documents/outgoing" { (ctx.t("doc-nav-outgoing")) } }
            @if can(Action::DocumentDraft) {
                li { a href="/documents/outgoing/new" { (ctx.t("doc-nav-draft")) } }
            }
            li { a href="/documents/overdue" { (ctx.t("doc-nav-overdue")) } }
            li { a href="/documents/notifications" { (ctx.t("doc-nav-notifications")) } }
            li { a href="/documents/search" { (ctx.t("doc-nav-search")) } }
            @if can(Action::DocumentRegisterView) {
                li { a href="/documents/registers" { (ctx.t("doc-nav-registers")) } }
            }
        }
    }
}

/// A `Content-Disposition` value for a download: an ASCII fallback name and
/// the UTF-8 name (RFC 6266, RFC 8187).
pub(crate) fn attachment_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b".-_~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_safe_and_keep_vietnamese() {
        assert_eq!(
            attachment_disposition("QĐ 12.pdf"),
            "attachment; filename=\"Q_ 12.pdf\"; filename*=UTF-8''Q%C4%90%2012.pdf"
        );
        assert_eq!(
            attachment_disposition("a\"b\r\n.txt"),
            "attachment; filename=\"a_b__.txt\"; filename*=UTF-8''a%22b%0D%0A.txt"
        );
    }
}
