//! Forms: registering an incoming document (uploaded file or edXML
//! package), drafting and editing an outgoing document, attaching files.
//!
//! Upload forms are `multipart/form-data` posted to an action carrying the
//! CSRF token in its query string (`?csrf=`), the one place the middleware
//! reads it for a body it does not buffer. Their file inputs come last, so
//! the metadata has arrived and been checked before a file is streamed; each
//! file goes straight to the blob store, never into memory.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use congso_core::access::Action;
use congso_docs::files::{FileKind, Upload};
use congso_docs::model::{
    parse_iso_date, Direction, DocumentMetadata, FieldError, Party, Secrecy, Signer,
    SigningAuthority, Urgency,
};
use congso_docs::service::{Acting, Imported};
use congso_docs::{DocsError, Service};
use maud::{html, Markup};

use super::begin;
use crate::error::AppError;
use crate::layout::{page, Ctx};
use crate::session::SignedIn;
use crate::upload;
use crate::AppState;

/// Most text fields one form may carry (a hostile form gets no further).
const MAX_FIELDS: usize = 64;
/// Longest text field (the body of a draft is the longest).
const MAX_FIELD_BYTES: usize = 200_000;

/// The extensions the file inputs offer (the service checks them again).
const ACCEPT: &str =
    ".pdf,.docx,.xlsx,.odt,.ods,.doc,.xls,.txt,.xml,.edxml,.jpg,.jpeg,.png,.tif,.tiff,.zip";

fn text(fields: &HashMap<String, String>, name: &str) -> Option<String> {
    fields
        .get(name)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn date(
    fields: &HashMap<String, String>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<congso_vn::time::Date> {
    let value = text(fields, name)?;
    let parsed = parse_iso_date(&value);
    if parsed.is_none() {
        errors.push(FieldError::new(
            name,
            "malformed",
            format!("ngày {value:?} không đúng dạng năm-tháng-ngày"),
        ));
    }
    parsed
}

fn number(
    fields: &HashMap<String, String>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<u32> {
    let value = text(fields, name)?;
    let parsed = value.parse().ok();
    if parsed.is_none() {
        errors.push(FieldError::new(
            name,
            "malformed",
            format!("{value:?} không phải là số"),
        ));
    }
    parsed
}

fn level<T>(
    fields: &HashMap<String, String>,
    name: &str,
    from_level: fn(i64) -> Option<T>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let value = text(fields, name)?;
    let parsed = value.parse::<i64>().ok().and_then(from_level);
    if parsed.is_none() {
        errors.push(FieldError::new(
            name,
            "unknown",
            "giá trị không có trong danh sách",
        ));
    }
    parsed
}

fn finish(
    metadata: DocumentMetadata,
    errors: Vec<FieldError>,
) -> Result<DocumentMetadata, AppError> {
    if errors.is_empty() {
        Ok(metadata)
    } else {
        Err(DocsError::Invalid(errors).into())
    }
}

/// The metadata of an incoming document from the registration form.
pub(crate) fn incoming_metadata(
    fields: &HashMap<String, String>,
) -> Result<DocumentMetadata, AppError> {
    let mut errors = Vec::new();
    let sender = Party {
        organ_code: text(fields, "sender_code"),
        name: text(fields, "sender_name").unwrap_or_default(),
    };
    let metadata = DocumentMetadata {
        type_code: text(fields, "type_code").unwrap_or_default(),
        issuer: sender.clone(),
        number: text(fields, "number"),
        notation: text(fields, "notation"),
        issue_date: date(fields, "issue_date", &mut errors),
        summary: text(fields, "summary").unwrap_or_default(),
        signer: text(fields, "signer_name").map(|full_name| Signer {
            authority: None,
            on_behalf_of: None,
            position: text(fields, "signer_position"),
            full_name,
        }),
        urgency: level(fields, "urgency", Urgency::from_level, &mut errors).unwrap_or_default(),
        secrecy: level(fields, "secrecy", Secrecy::from_level, &mut errors).unwrap_or_default(),
        due_date: date(fields, "due_date", &mut errors),
        page_count: number(fields, "page_count", &mut errors),
        sender: Some(sender),
        notes: text(fields, "notes"),
        ..DocumentMetadata::default()
    };
    finish(metadata, errors)
}

fn authority(code: &str) -> Option<SigningAuthority> {
    SigningAuthority::ALL
        .into_iter()
        .find(|authority| authority.prefix() == code)
}

/// The metadata of an outgoing draft from the drafting form. Recipients
/// are one per line, optionally `name | organ code`.
pub(crate) fn outgoing_metadata(
    fields: &HashMap<String, String>,
) -> Result<DocumentMetadata, AppError> {
    let mut errors = Vec::new();
    let recipients = fields
        .get("recipients")
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(|line| match line.split_once('|') {
                    Some((name, code)) => Party {
                        name: name.trim().to_owned(),
                        organ_code: Some(code.trim().to_owned()).filter(|code| !code.is_empty()),
                    },
                    None => Party {
                        name: line.to_owned(),
                        organ_code: None,
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let metadata = DocumentMetadata {
        type_code: text(fields, "type_code").unwrap_or_default(),
        summary: text(fields, "summary").unwrap_or_default(),
        content: text(fields, "content"),
        signer: text(fields, "signer_name").map(|full_name| Signer {
            authority: text(fields, "signer_authority").and_then(|code| authority(&code)),
            on_behalf_of: text(fields, "signer_on_behalf_of"),
            position: text(fields, "signer_position"),
            full_name,
        }),
        recipients,
        urgency: level(fields, "urgency", Urgency::from_level, &mut errors).unwrap_or_default(),
        secrecy: level(fields, "secrecy", Secrecy::from_level, &mut errors).unwrap_or_default(),
        due_date: date(fields, "due_date", &mut errors),
        page_count: number(fields, "page_count", &mut errors),
        copies: number(fields, "copies", &mut errors),
        file_holder: text(fields, "file_holder"),
        notes: text(fields, "notes"),
        replaces: fields
            .get("replaces")
            .map(|text| {
                text.lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        ..DocumentMetadata::default()
    };
    finish(metadata, errors)
}

/// The multipart body of an upload form: its text fields, and its files
/// streamed into the blob store as they arrive. `check` runs on the text
/// fields before the first file is read.
pub(crate) async fn read_upload_form(
    service: &Service,
    acting: &Acting,
    mut multipart: Multipart,
    limit: u64,
    mut check: impl FnMut(&HashMap<String, String>) -> Result<(), AppError>,
) -> Result<
    (
        HashMap<String, String>,
        Vec<congso_docs::service::StoredUpload>,
    ),
    AppError,
> {
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut stored = Vec::new();
    let mut checked = false;
    let mut have_original = false;
    while let Some(field) = upload::next_field(&mut multipart, limit).await? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" | "attachment" => {
                // An empty file input arrives as a part with no file name.
                let Some(file_name) = upload::file_name(&field) else {
                    continue;
                };
                if !checked {
                    check(&fields)?;
                    checked = true;
                }
                let mime = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let kind = if name == "file" && !have_original {
                    have_original = true;
                    FileKind::Original
                } else {
                    FileKind::Attachment
                };
                stored.push(
                    service
                        .store_file(
                            acting,
                            Upload {
                                name: file_name,
                                mime,
                                reader: upload::reader(field),
                            },
                            kind,
                        )
                        .await?,
                );
            }
            _ => {
                if fields.len() >= MAX_FIELDS {
                    return Err(AppError::bad_request("the form has too many fields"));
                }
                let value = upload::text(field, MAX_FIELD_BYTES, limit).await?;
                fields.insert(name, value);
            }
        }
    }
    if !checked {
        check(&fields)?;
    }
    Ok((fields, stored))
}

/// A `<select>` of document types.
fn type_select(ctx: &Ctx<'_>, service: &Service, outgoing: bool, selected: &str) -> Markup {
    html! {
        label for="type_code" { (ctx.t("doc-field-type")) " " span.required aria-hidden="true" { "*" } }
        select #type_code name="type_code" required {
            @for info in service.types().all().filter(|info| !outgoing || info.decree30) {
                option value=(info.code) selected[info.code == selected] {
                    (info.name)
                    @if let Some(abbreviation) = &info.abbreviation { " (" (abbreviation) ")" }
                }
            }
        }
    }
}

fn urgency_select(ctx: &Ctx<'_>, selected: Urgency) -> Markup {
    html! {
        label for="urgency" { (ctx.t("doc-field-urgency")) }
        select #urgency name="urgency" {
            @for urgency in Urgency::ALL {
                option value=(urgency.level()) selected[urgency == selected] { (ctx.t(&format!("doc-urgency-{}", urgency.level()))) }
            }
        }
    }
}

fn secrecy_select(ctx: &Ctx<'_>, selected: Secrecy, most: Secrecy) -> Markup {
    html! {
        label for="secrecy" { (ctx.t("doc-field-secrecy")) }
        select #secrecy name="secrecy" aria-describedby="secrecy-help" {
            @for secrecy in Secrecy::ALL.into_iter().filter(|secrecy| *secrecy <= most) {
                option value=(secrecy.level()) selected[secrecy == selected] { (ctx.t(&format!("doc-secrecy-{}", secrecy.level()))) }
            }
        }
        p #secrecy-help .hint { (ctx.t("doc-field-secrecy-help")) }
    }
}

pub(crate) fn csrf_action(ctx: &Ctx<'_>, path: &str) -> String {
    let token = ctx.visitor.csrf_token(ctx.state);
    format!(
        "{path}?{}",
        serde_urlencoded::to_string([("csrf", token)]).unwrap_or_default()
    )
}

pub async fn new_incoming(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    let (service, _acting) = begin(&state, &signed_in, Action::DocumentRegisterIncoming).await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let limit = crate::error::human_bytes(
        usize::try_from(state.settings().upload_limit).unwrap_or(usize::MAX),
    );
    let body = html! {
        h1 { (ctx.t("doc-register-title")) }
        p { (ctx.t("doc-register-intro")) }
        form.stack method="post" enctype="multipart/form-data" action=(csrf_action(&ctx, "/documents/incoming")) {
            fieldset {
                legend { (ctx.t("doc-register-sender")) }
                label for="sender_name" { (ctx.t("doc-field-sender")) " " span.required aria-hidden="true" { "*" } }
                input #sender_name type="text" name="sender_name" required maxlength="500" autocomplete="organization";
                label for="sender_code" { (ctx.t("doc-field-sender-code")) }
                input #sender_code type="text" name="sender_code" maxlength="13" aria-describedby="sender_code-help" pattern="[0-9]{3}\\.[0-9]{2}\\.[0-9]{2}\\.[A-Z][0-9]{2}";
                p #sender_code-help .hint { (ctx.t("doc-field-sender-code-help")) }
            }
            fieldset {
                legend { (ctx.t("doc-register-document")) }
                (type_select(&ctx, service, false, "cong-van"))
                label for="number" { (ctx.t("doc-field-number")) }
                input #number type="text" name="number" maxlength="50";
                label for="notation" { (ctx.t("doc-field-notation")) }
                input #notation type="text" name="notation" maxlength="100" aria-describedby="notation-help";
                p #notation-help .hint { (ctx.t("doc-field-notation-help")) }
                label for="issue_date" { (ctx.t("doc-field-issue-date")) }
                input #issue_date type="date" name="issue_date";
                label for="summary" { (ctx.t("doc-field-summary")) " " span.required aria-hidden="true" { "*" } }
                textarea #summary name="summary" rows="3" required maxlength="2000" {}
                label for="signer_name" { (ctx.t("doc-field-signer")) }
                input #signer_name type="text" name="signer_name" maxlength="200";
                label for="signer_position" { (ctx.t("doc-field-signer-position")) }
                input #signer_position type="text" name="signer_position" maxlength="200";
                (urgency_select(&ctx, Urgency::Normal))
                (secrecy_select(&ctx, Secrecy::None, Secrecy::TopSecret))
                label for="due_date" { (ctx.t("doc-field-due-date")) }
                input #due_date type="date" name="due_date";
                label for="page_count" { (ctx.t("doc-field-pages")) }
                input #page_count type="number" name="page_count" min="1" max="100000";
                label for="notes" { (ctx.t("doc-field-notes")) }
                input #notes type="text" name="notes" maxlength="500";
            }
            fieldset {
                legend { (ctx.t("doc-register-files")) }
                label for="file" { (ctx.t("doc-field-file")) }
                input #file type="file" name="file" accept=(ACCEPT) aria-describedby="file-help";
                p #file-help .hint { (ctx.ta("doc-field-file-help", &[("limit", &limit)])) }
                label for="attachment" { (ctx.t("doc-field-attachments")) }
                input #attachment type="file" name="attachment" multiple accept=(ACCEPT);
            }
            button type="submit" { (ctx.t("doc-register-submit")) }
        }
        h2 { (ctx.t("doc-import-title")) }
        p { (ctx.t("doc-import-intro")) }
        form.stack method="post" enctype="multipart/form-data" action=(csrf_action(&ctx, "/documents/incoming/edxml")) {
            label for="package" { (ctx.t("doc-import-file")) }
            input #package type="file" name="package" accept=".edxml,.xml" required;
            button type="submit" { (ctx.t("doc-import-submit")) }
        }
    };
    Ok(super::super::private_page(page(
        &ctx,
        &ctx.t("doc-register-title"),
        body,
    )))
}

pub async fn register_incoming(
    State(state): State<AppState>,
    signed_in: SignedIn,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentRegisterIncoming).await?;
    let limit = state.settings().upload_limit;
    let mut metadata = None;
    let (_, stored) = read_upload_form(service, &acting, multipart, limit, |fields| {
        let parsed = incoming_metadata(fields)?;
        service.check_incoming(&acting, &parsed)?;
        metadata = Some(parsed);
        Ok(())
    })
    .await?;
    let metadata = metadata.ok_or_else(|| AppError::bad_request("the form carried no metadata"))?;
    let registered = service
        .register_incoming_stored(&acting, metadata, stored)
        .await?;
    Ok(Redirect::to(&format!(
        "/documents/{}?notice=doc-registered",
        registered.document_id
    ))
    .into_response())
}

pub async fn import_edxml(
    State(state): State<AppState>,
    signed_in: SignedIn,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentRegisterIncoming).await?;
    let limit = state.settings().upload_limit;
    let mut spooled = None;
    while let Some(field) = upload::next_field(&mut multipart, limit).await? {
        if field.name() == Some("package") && upload::file_name(&field).is_some() {
            spooled = Some(upload::spool(field, service.spool_dir(), limit).await?);
        }
    }
    let spooled = spooled.ok_or_else(|| AppError::bad_request("no edXML package was sent"))?;
    let file = spooled
        .reopen()
        .map_err(|error| AppError::internal(format!("spool file: {error}")))?;
    let imported = service.import_edxml(&acting, file).await?;
    let (id, notice) = match imported {
        Imported::Registered { registered, .. } => (registered.document_id, "doc-imported"),
        Imported::Applied { document_id, .. } => (document_id, "doc-import-applied"),
    };
    Ok(Redirect::to(&format!("/documents/{id}?notice={notice}")).into_response())
}

/// The fields of the drafting form, filled from `metadata` when editing.
fn draft_fields(
    ctx: &Ctx<'_>,
    service: &Service,
    metadata: Option<&DocumentMetadata>,
    clearance: Secrecy,
) -> Markup {
    let signer = metadata
        .and_then(|metadata| metadata.signer.clone())
        .unwrap_or_default();
    let recipients = metadata
        .map(|metadata| {
            metadata
                .recipients
                .iter()
                .map(|party| match &party.organ_code {
                    Some(code) => format!("{} | {code}", party.name),
                    None => party.name.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let value =
        |get: fn(&DocumentMetadata) -> Option<String>| metadata.and_then(get).unwrap_or_default();
    html! {
        fieldset {
            legend { (ctx.t("doc-draft-document")) }
            (type_select(ctx, service, true, metadata.map(|m| m.type_code.as_str()).unwrap_or("cong-van")))
            label for="summary" { (ctx.t("doc-field-summary")) " " span.required aria-hidden="true" { "*" } }
            textarea #summary name="summary" rows="3" required maxlength="2000" { (metadata.map(|m| m.summary.as_str()).unwrap_or("")) }
            label for="content" { (ctx.t("doc-field-content")) }
            textarea #content name="content" rows="8" maxlength="100000" { (value(|m| m.content.clone())) }
            label for="recipients" { (ctx.t("doc-field-recipients")) }
            textarea #recipients name="recipients" rows="4" aria-describedby="recipients-help" { (recipients) }
            p #recipients-help .hint { (ctx.t("doc-field-recipients-help")) }
            (urgency_select(ctx, metadata.map(|m| m.urgency).unwrap_or_default()))
            (secrecy_select(ctx, metadata.map(|m| m.secrecy).unwrap_or_default(), clearance))
            label for="due_date" { (ctx.t("doc-field-due-date")) }
            input #due_date type="date" name="due_date" value=[metadata.and_then(|m| m.due_date).map(congso_docs::model::iso_date)];
            label for="page_count" { (ctx.t("doc-field-pages")) }
            input #page_count type="number" name="page_count" min="1" max="100000" value=[metadata.and_then(|m| m.page_count)];
            label for="copies" { (ctx.t("doc-field-copies")) }
            input #copies type="number" name="copies" min="1" max="100000" value=[metadata.and_then(|m| m.copies)];
            label for="file_holder" { (ctx.t("doc-field-file-holder")) }
            input #file_holder type="text" name="file_holder" maxlength="500" value=(value(|m| m.file_holder.clone()));
            label for="notes" { (ctx.t("doc-field-notes")) }
            input #notes type="text" name="notes" maxlength="500" value=(value(|m| m.notes.clone()));
            label for="replaces" { (ctx.t("doc-field-replaces")) }
            textarea #replaces name="replaces" rows="2" maxlength="2000" aria-describedby="replaces-help" { (metadata.map(|m| m.replaces.join("\n")).unwrap_or_default()) }
            p #replaces-help .hint { (ctx.t("doc-field-replaces-help")) }
        }
        fieldset {
            legend { (ctx.t("doc-draft-signer")) }
            label for="signer_authority" { (ctx.t("doc-field-authority")) }
            select #signer_authority name="signer_authority" {
                option value="" { (ctx.t("doc-field-authority-none")) }
                @for authority in SigningAuthority::ALL {
                    option value=(authority.prefix()) selected[signer.authority == Some(authority)] { (authority.prefix()) " — " (authority.label()) }
                }
            }
            label for="signer_on_behalf_of" { (ctx.t("doc-field-on-behalf-of")) }
            input #signer_on_behalf_of type="text" name="signer_on_behalf_of" maxlength="200" value=(signer.on_behalf_of.clone().unwrap_or_default());
            label for="signer_position" { (ctx.t("doc-field-signer-position")) }
            input #signer_position type="text" name="signer_position" maxlength="200" value=(signer.position.clone().unwrap_or_default());
            label for="signer_name" { (ctx.t("doc-field-signer")) }
            input #signer_name type="text" name="signer_name" maxlength="200" value=(signer.full_name);
        }
    }
}

pub async fn new_draft(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentDraft).await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let body = html! {
        h1 { (ctx.t("doc-draft-title")) }
        p { (ctx.t("doc-draft-intro")) }
        form.stack method="post" enctype="multipart/form-data" action=(csrf_action(&ctx, "/documents/outgoing")) {
            (draft_fields(&ctx, service, None, acting.clearance))
            fieldset {
                legend { (ctx.t("doc-register-files")) }
                label for="file" { (ctx.t("doc-field-draft-file")) }
                input #file type="file" name="file" accept=(ACCEPT) aria-describedby="file-help";
                p #file-help .hint { (ctx.t("doc-field-draft-file-help")) }
                label for="attachment" { (ctx.t("doc-field-attachments")) }
                input #attachment type="file" name="attachment" multiple accept=(ACCEPT);
            }
            button type="submit" { (ctx.t("doc-draft-submit")) }
        }
    };
    Ok(super::super::private_page(page(
        &ctx,
        &ctx.t("doc-draft-title"),
        body,
    )))
}

pub async fn create_draft(
    State(state): State<AppState>,
    signed_in: SignedIn,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentDraft).await?;
    let limit = state.settings().upload_limit;
    let mut metadata = None;
    let (_, stored) = read_upload_form(service, &acting, multipart, limit, |fields| {
        let parsed = outgoing_metadata(fields)?;
        let errors = parsed.validate(Direction::Outgoing, service.types());
        if !errors.is_empty() {
            return Err(DocsError::Invalid(errors).into());
        }
        metadata = Some(parsed);
        Ok(())
    })
    .await?;
    let metadata = metadata.ok_or_else(|| AppError::bad_request("the form carried no metadata"))?;
    let id = service.create_draft(&acting, metadata).await?;
    for file in stored {
        service.attach_stored(&acting, id, file).await?;
    }
    Ok(Redirect::to(&format!("/documents/{id}?notice=doc-draft-created")).into_response())
}

pub async fn edit_draft_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentDraft).await?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let detail = service.get(&acting, id).await?;
    if detail.direction != Direction::Outgoing
        || detail.row.state != service.workflows().outgoing.initial
        || detail.row.holder_user_id != Some(acting.user_id)
    {
        return Err(AppError::from(DocsError::Workflow(format!(
            "document {id} is not a draft you hold"
        ))));
    }
    let title = ctx.t("doc-edit-title");
    let body = html! {
        h1 { (title) }
        p { a href={ "/documents/" (id) } { (ctx.t("doc-back-to-document")) } }
        form.stack method="post" action={ "/documents/" (id) "/edit" } {
            (ctx.csrf())
            input type="hidden" name="version" value=(detail.row.version);
            (draft_fields(&ctx, service, Some(&detail.metadata), acting.clearance))
            button type="submit" { (ctx.t("doc-edit-submit")) }
        }
    };
    Ok(super::super::private_page(page(&ctx, &title, body)))
}

pub async fn edit_draft(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentDraft).await?;
    let version: i64 = text(&fields, "version")
        .and_then(|version| version.parse().ok())
        .ok_or_else(|| AppError::bad_request("the form carried no version"))?;
    let metadata = outgoing_metadata(&fields)?;
    service.edit_draft(&acting, id, version, metadata).await?;
    Ok(Redirect::to(&format!("/documents/{id}?notice=doc-saved")).into_response())
}

pub async fn attach_file(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (service, acting) = begin(&state, &signed_in, Action::DocumentDraft).await?;
    let limit = state.settings().upload_limit;
    // The draft must be the user's before anything is streamed.
    let detail = service.get(&acting, id).await?;
    if detail.row.holder_user_id != Some(acting.user_id)
        || detail.row.state != service.workflows().outgoing.initial
    {
        return Err(AppError::from(DocsError::Workflow(format!(
            "document {id} is not a draft you hold"
        ))));
    }
    // A new original is a new version of the draft (the earlier one stays,
    // immutable, and the newest original is the one signed).
    let (_, stored) = read_upload_form(service, &acting, multipart, limit, |_| Ok(())).await?;
    if stored.is_empty() {
        return Err(AppError::bad_request("no file was sent"));
    }
    for file in stored {
        service.attach_stored(&acting, id, file).await?;
    }
    Ok(Redirect::to(&format!("/documents/{id}?notice=doc-file-added")).into_response())
}
