//! Field checks on a model: mandatory fields, formats, codes and consistency.
//!
//! The reader runs these after parsing; a sender runs them before writing. Which fields
//! are mandatory follows what the standard's data dictionary requires and what every real
//! sample and the hub's SDK builder always set: From, To, Code, PromulgationInfo/
//! PromulgationDate, DocumentType/Type, Subject, SignerInfo/FullName for documents;
//! From, ResponseFor/DocumentId, StatusCode and Timestamp for status messages.

use std::fmt::Display;
use std::str::FromStr;

use crate::codes::{BussinessDocType, StatusCode};
use crate::ids::{DocumentId, EdDate, OrganId};
use crate::issues::{FieldIssue, IssueKind, Severity};
use crate::lenient::Lenient;
use crate::model::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Recommended,
    Optional,
}

struct Checker {
    issues: Vec<FieldIssue>,
}

impl Checker {
    fn push(&mut self, path: &str, severity: Severity, kind: IssueKind, message: String) {
        self.issues.push(FieldIssue {
            path: path.to_owned(),
            severity,
            kind,
            message,
        });
    }

    fn missing(&mut self, path: &str, need: Need) {
        match need {
            Need::Required => self.push(
                path,
                Severity::Error,
                IssueKind::Missing,
                "mandatory element is missing".to_owned(),
            ),
            Need::Recommended => self.push(
                path,
                Severity::Warning,
                IssueKind::Missing,
                "element is missing".to_owned(),
            ),
            Need::Optional => {}
        }
    }

    fn empty(&mut self, path: &str, need: Need) {
        let severity = if need == Need::Required {
            Severity::Error
        } else {
            Severity::Warning
        };
        self.push(
            path,
            severity,
            IssueKind::Empty,
            "element is present but empty".to_owned(),
        );
    }

    fn text(&mut self, path: &str, value: &Option<String>, need: Need) {
        match value {
            None => self.missing(path, need),
            Some(text) if text.trim().is_empty() && need != Need::Optional => {
                self.empty(path, need)
            }
            Some(_) => {}
        }
    }

    fn typed<T>(&mut self, path: &str, value: &Option<Lenient<T>>, need: Need, kind: IssueKind)
    where
        T: FromStr,
        T::Err: Display,
    {
        match value {
            None => self.missing(path, need),
            Some(Lenient::Valid(_)) => {}
            Some(Lenient::Invalid(raw)) if raw.is_empty() => self.empty(path, need),
            Some(Lenient::Invalid(raw)) => {
                let reason = match raw.parse::<T>() {
                    Err(error) => error.to_string(),
                    Ok(_) => format!("{raw:?} is not a valid value"),
                };
                self.push(path, Severity::Error, kind, reason);
            }
        }
    }

    fn number<T>(&mut self, path: &str, value: &Option<Lenient<T>>, need: Need)
    where
        T: FromStr,
    {
        match value {
            None => self.missing(path, need),
            Some(Lenient::Valid(_)) => {}
            Some(Lenient::Invalid(raw)) if raw.is_empty() => self.empty(path, need),
            Some(Lenient::Invalid(raw)) => self.push(
                path,
                Severity::Error,
                IssueKind::Malformed,
                format!("{raw:?} is not a non-negative integer in range"),
            ),
        }
    }

    fn flag(&mut self, path: &str, value: &Option<Lenient<bool>>) {
        if let Some(Lenient::Invalid(raw)) = value {
            if raw.is_empty() {
                self.empty(path, Need::Optional);
            } else {
                self.push(
                    path,
                    Severity::Error,
                    IssueKind::Malformed,
                    format!("{raw:?} is not true or false"),
                );
            }
        }
    }

    fn organization(&mut self, path: &str, organization: &Organization) {
        self.typed(
            &format!("{path}/OrganId"),
            &organization.organ_id,
            Need::Required,
            IssueKind::Malformed,
        );
        self.text(
            &format!("{path}/OrganName"),
            &organization.organ_name,
            Need::Required,
        );
    }

    fn response_for(&mut self, path: &str, response: &ResponseFor, document_id_need: Need) {
        let fields_empty = [
            response.organ_id.as_ref().map(Lenient::text),
            response.code.clone(),
            response.promulgation_date.as_ref().map(Lenient::text),
            response.document_id.as_ref().map(Lenient::text),
        ];
        let present: Vec<String> = fields_empty.into_iter().flatten().collect();
        if !present.is_empty() && present.iter().all(|text| text.trim().is_empty()) {
            self.push(
                path,
                Severity::Warning,
                IssueKind::Empty,
                "ResponseFor holds only empty elements (a placeholder); it names no document"
                    .to_owned(),
            );
            return;
        }
        self.typed(
            &format!("{path}/OrganId"),
            &response.organ_id,
            Need::Recommended,
            IssueKind::Malformed,
        );
        self.text(&format!("{path}/Code"), &response.code, Need::Recommended);
        self.typed(
            &format!("{path}/PromulgationDate"),
            &response.promulgation_date,
            Need::Recommended,
            IssueKind::Malformed,
        );
        self.typed(
            &format!("{path}/DocumentId"),
            &response.document_id,
            document_id_need,
            IssueKind::Malformed,
        );
        let Some(Lenient::Valid(document_id)) = &response.document_id else {
            return;
        };
        self.agree_organ(
            &format!("{path}/OrganId"),
            response.organ_id.as_ref(),
            document_id,
            &format!("{path}/DocumentId"),
        );
        self.agree_date(
            &format!("{path}/PromulgationDate"),
            response.promulgation_date.as_ref(),
            document_id,
            &format!("{path}/DocumentId"),
        );
        if let Some(code) = &response.code {
            if !code.trim().is_empty() && code.trim() != document_id.code() {
                self.push(
                    &format!("{path}/Code"),
                    Severity::Warning,
                    IssueKind::Inconsistent,
                    format!(
                        "code {:?} differs from the number/notation {:?} in {path}/DocumentId",
                        code.trim(),
                        document_id.code()
                    ),
                );
            }
        }
    }

    fn agree_organ(
        &mut self,
        path: &str,
        organ: Option<&Lenient<OrganId>>,
        document_id: &DocumentId,
        document_id_path: &str,
    ) {
        if let Some(Lenient::Valid(organ)) = organ {
            if organ != document_id.organ_id() {
                self.push(
                    path,
                    Severity::Warning,
                    IssueKind::Inconsistent,
                    format!(
                        "organ {organ} differs from the organ {} in {document_id_path}",
                        document_id.organ_id()
                    ),
                );
            }
        }
    }

    fn agree_date(
        &mut self,
        path: &str,
        date: Option<&Lenient<EdDate>>,
        document_id: &DocumentId,
        document_id_path: &str,
    ) {
        if let Some(Lenient::Valid(date)) = date {
            if *date != document_id.date() {
                self.push(
                    path,
                    Severity::Warning,
                    IssueKind::Inconsistent,
                    format!(
                        "date {date} differs from the date {} in {document_id_path}",
                        document_id.date()
                    ),
                );
            }
        }
    }

    fn staff_info(&mut self, _path: &str, _staff: &StaffInfo) {
        // Every StaffInfo field is optional free text.
    }
}

/// Checks a document message; the reader already includes these issues in its report.
pub fn validate_edoc(message: &EdocMessage) -> Vec<FieldIssue> {
    let mut check = Checker { issues: Vec::new() };
    let header = &message.header;
    const H: &str = "MessageHeader";

    match &header.from {
        None => check.missing("MessageHeader/From", Need::Required),
        Some(from) => check.organization("MessageHeader/From", from),
    }
    if header.to.is_empty() {
        check.missing("MessageHeader/To", Need::Required);
    }
    for (index, to) in header.to.iter().enumerate() {
        check.organization(&format!("{H}/To[{}]", index + 1), to);
    }
    match &header.code {
        None => check.missing("MessageHeader/Code", Need::Required),
        Some(code) => {
            check.text(
                "MessageHeader/Code/CodeNumber",
                &code.code_number,
                Need::Required,
            );
            if let Some(number) = &code.code_number {
                let number = number.trim();
                if !number.is_empty() && !number.bytes().all(|byte| byte.is_ascii_digit()) {
                    check.push(
                        "MessageHeader/Code/CodeNumber",
                        Severity::Warning,
                        IssueKind::Malformed,
                        format!("document number {number:?} is not decimal digits"),
                    );
                }
            }
            check.text(
                "MessageHeader/Code/CodeNotation",
                &code.code_notation,
                Need::Required,
            );
        }
    }
    match &header.promulgation_info {
        None => check.missing("MessageHeader/PromulgationInfo", Need::Required),
        Some(info) => {
            check.text(
                "MessageHeader/PromulgationInfo/Place",
                &info.place,
                Need::Recommended,
            );
            check.typed(
                "MessageHeader/PromulgationInfo/PromulgationDate",
                &info.promulgation_date,
                Need::Required,
                IssueKind::Malformed,
            );
        }
    }
    match &header.document_type {
        None => check.missing("MessageHeader/DocumentType", Need::Required),
        Some(document_type) => {
            check.number(
                "MessageHeader/DocumentType/Type",
                &document_type.doc_type,
                Need::Required,
            );
            check.number(
                "MessageHeader/DocumentType/TypeDetail",
                &document_type.type_detail,
                Need::Optional,
            );
            check.text(
                "MessageHeader/DocumentType/TypeName",
                &document_type.type_name,
                Need::Recommended,
            );
        }
    }
    check.text("MessageHeader/Subject", &header.subject, Need::Required);
    match &header.signer_info {
        None => check.missing("MessageHeader/SignerInfo", Need::Required),
        Some(signer) => check.text(
            "MessageHeader/SignerInfo/FullName",
            &signer.full_name,
            Need::Required,
        ),
    }
    check.typed(
        "MessageHeader/DueDate",
        &header.due_date,
        Need::Optional,
        IssueKind::Malformed,
    );
    if let Some(other) = &header.other_info {
        check.number(
            "MessageHeader/OtherInfo/Priority",
            &other.priority,
            Need::Optional,
        );
        check.number(
            "MessageHeader/OtherInfo/PromulgationAmount",
            &other.promulgation_amount,
            Need::Optional,
        );
        check.number(
            "MessageHeader/OtherInfo/PageAmount",
            &other.page_amount,
            Need::Optional,
        );
        check.flag("MessageHeader/OtherInfo/Direction", &other.direction);
    }
    for (index, response) in header.response_for.iter().enumerate() {
        check.response_for(
            &format!("{H}/ResponseFor[{}]", index + 1),
            response,
            Need::Recommended,
        );
    }
    check.number(
        "MessageHeader/SteeringType",
        &header.steering_type,
        Need::Optional,
    );
    check.typed(
        "MessageHeader/DocumentId",
        &header.document_id,
        Need::Recommended,
        IssueKind::Malformed,
    );
    if let Some(Lenient::Valid(document_id)) = &header.document_id {
        let from_organ = header.from.as_ref().and_then(|from| from.organ_id.as_ref());
        check.agree_organ(
            "MessageHeader/From/OrganId",
            from_organ,
            document_id,
            "MessageHeader/DocumentId",
        );
        let date = header
            .promulgation_info
            .as_ref()
            .and_then(|info| info.promulgation_date.as_ref());
        check.agree_date(
            "MessageHeader/PromulgationInfo/PromulgationDate",
            date,
            document_id,
            "MessageHeader/DocumentId",
        );
        if let Some(code) = &header.code {
            let number = code.code_number.as_deref().unwrap_or("").trim();
            let notation = code.code_notation.as_deref().unwrap_or("").trim();
            if number != document_id.number() || notation != document_id.notation() {
                check.push(
                    "MessageHeader/Code",
                    Severity::Warning,
                    IssueKind::Inconsistent,
                    format!(
                        "code {number:?}/{notation:?} differs from the number/notation {:?} in MessageHeader/DocumentId",
                        document_id.code()
                    ),
                );
            }
        }
    }

    match &message.trace_header_list {
        None => check.missing("TraceHeaderList", Need::Recommended),
        Some(list) => {
            for (index, trace) in list.trace_headers.iter().enumerate() {
                let path = format!("TraceHeaderList/TraceHeader[{}]", index + 1);
                check.typed(
                    &format!("{path}/OrganId"),
                    &trace.organ_id,
                    Need::Required,
                    IssueKind::Malformed,
                );
                check.typed(
                    &format!("{path}/Timestamp"),
                    &trace.timestamp,
                    Need::Required,
                    IssueKind::Malformed,
                );
            }
            match &list.bussiness {
                None => check.push(
                    "TraceHeaderList/Bussiness",
                    Severity::Warning,
                    IssueKind::Missing,
                    "no Bussiness block; peers treat the message as a new document".to_owned(),
                ),
                Some(bussiness) => check_bussiness(&mut check, bussiness),
            }
        }
    }

    check_attachments(&mut check, message);
    check.issues
}

fn check_bussiness(check: &mut Checker, bussiness: &Bussiness) {
    const B: &str = "TraceHeaderList/Bussiness";
    check.typed::<BussinessDocType>(
        "TraceHeaderList/Bussiness/BussinessDocType",
        &bussiness.bussiness_doc_type,
        Need::Required,
        IssueKind::UnknownCode,
    );
    check.typed(
        "TraceHeaderList/Bussiness/DocumentId",
        &bussiness.document_id,
        Need::Optional,
        IssueKind::Malformed,
    );
    check.number(
        "TraceHeaderList/Bussiness/Paper",
        &bussiness.paper,
        Need::Optional,
    );
    if let Some(staff) = &bussiness.staff_info {
        check.staff_info("TraceHeaderList/Bussiness/StaffInfo", staff);
    }
    if let Some(info) = &bussiness.bussiness_document_info {
        const I: &str = "TraceHeaderList/Bussiness/BussinessDocumentInfo";
        check.number(
            &format!("{I}/DocumentInfo"),
            &info.document_info,
            Need::Optional,
        );
        check.number(
            &format!("{I}/DocumentReceiver"),
            &info.document_receiver,
            Need::Optional,
        );
        for (index, receiver) in info.receivers.iter().enumerate() {
            let path = format!("{I}/ReceiverList/Receiver[{}]", index + 1);
            check.typed(
                &format!("{path}/OrganId"),
                &receiver.organ_id,
                Need::Required,
                IssueKind::Malformed,
            );
            check.number(
                &format!("{path}/ReceiverType"),
                &receiver.receiver_type,
                Need::Optional,
            );
        }
    }
    for (index, replaced) in bussiness.replacement_info_list.iter().enumerate() {
        let path = format!("{B}/ReplacementInfoList/ReplacementInfo[{}]", index + 1);
        check.typed(
            &format!("{path}/DocumentId"),
            &replaced.document_id,
            Need::Required,
            IssueKind::Malformed,
        );
        for (organ_index, organ) in replaced.organ_ids.iter().enumerate() {
            check.typed(
                &format!("{path}/OrganIdList/OrganId[{}]", organ_index + 1),
                &Some(organ.clone()),
                Need::Required,
                IssueKind::Malformed,
            );
        }
    }
    match bussiness.bussiness_doc_type {
        Some(Lenient::Valid(BussinessDocType::Replace))
            if bussiness.replacement_info_list.is_empty() =>
        {
            check.push(
                "TraceHeaderList/Bussiness/ReplacementInfoList",
                Severity::Error,
                IssueKind::Missing,
                "a replacement (business type 3) names no replaced document".to_owned(),
            )
        }
        Some(Lenient::Valid(BussinessDocType::Update))
            if bussiness.bussiness_document_info.is_none() =>
        {
            check.push(
                "TraceHeaderList/Bussiness/BussinessDocumentInfo",
                Severity::Warning,
                IssueKind::Missing,
                "an update (business type 2) does not say what changed".to_owned(),
            )
        }
        _ => {}
    }
}

fn check_attachments(check: &mut Checker, message: &EdocMessage) {
    let references = message
        .manifest
        .as_ref()
        .map(|manifest| manifest.references.as_slice())
        .unwrap_or_default();
    for (index, attachment) in message.attachments.iter().enumerate() {
        let path = format!("AttachmentEncoded/Attachment[{}]", index + 1);
        let meta = &attachment.meta;
        check.text(
            &format!("{path}/ContentId"),
            &meta.content_id,
            Need::Required,
        );
        check.text(
            &format!("{path}/AttachmentName"),
            &meta.attachment_name,
            Need::Required,
        );
        check.text(
            &format!("{path}/ContentType"),
            &meta.content_type,
            Need::Recommended,
        );
        if let Some(content_id) = &meta.content_id {
            let listed = references
                .iter()
                .any(|reference| reference.content_id.as_deref() == Some(content_id.as_str()));
            if !listed && !content_id.trim().is_empty() {
                check.push(
                    &format!("{path}/ContentId"),
                    Severity::Warning,
                    IssueKind::Inconsistent,
                    format!("attachment {content_id:?} is not listed in edXMLBody/edXMLManifest"),
                );
            }
        }
    }
    for (index, reference) in references.iter().enumerate() {
        let path = format!("edXMLBody/edXMLManifest/Reference[{}]", index + 1);
        check.text(
            &format!("{path}/ContentId"),
            &reference.content_id,
            Need::Required,
        );
        if let Some(content_id) = &reference.content_id {
            let present = message.attachments.iter().any(|attachment| {
                attachment.meta.content_id.as_deref() == Some(content_id.as_str())
            });
            if !present && !content_id.trim().is_empty() {
                check.push(
                    &format!("{path}/ContentId"),
                    Severity::Warning,
                    IssueKind::Inconsistent,
                    format!("manifest lists {content_id:?} but no attachment has that ContentId"),
                );
            }
        }
    }
}

/// Checks a status message; the reader already includes these issues in its report.
pub fn validate_status(message: &StatusMessage) -> Vec<FieldIssue> {
    let mut check = Checker { issues: Vec::new() };
    match &message.from {
        None => check.missing("MessageHeader/From", Need::Required),
        Some(from) => check.organization("MessageHeader/From", from),
    }
    if let Some(to) = &message.to {
        check.organization("MessageHeader/To", to);
    }
    match &message.response_for {
        None => check.missing("MessageHeader/ResponseFor", Need::Required),
        Some(response) => check.response_for("MessageHeader/ResponseFor", response, Need::Required),
    }
    if let Some(staff) = &message.staff_info {
        check.staff_info("MessageHeader/StaffInfo", staff);
    }
    check.typed::<StatusCode>(
        "MessageHeader/StatusCode",
        &message.status_code,
        Need::Required,
        IssueKind::UnknownCode,
    );
    if let Some(Lenient::Valid(code)) = &message.status_code {
        if code.kind().is_none() {
            check.push(
                "MessageHeader/StatusCode",
                Severity::Warning,
                IssueKind::UnknownCode,
                format!("status code {code} is in the standard's range but has no meaning known to this implementation"),
            );
        }
    }
    check.text(
        "MessageHeader/Description",
        &message.description,
        Need::Optional,
    );
    check.typed(
        "MessageHeader/Timestamp",
        &message.timestamp,
        Need::Required,
        IssueKind::Malformed,
    );
    check.issues
}
