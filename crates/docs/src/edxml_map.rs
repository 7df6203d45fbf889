//! Mapping between congso documents and edXML (QCVN 102:2016) messages:
//! `MessageHeader` fields, the `TraceHeaderList` with its `Bussiness` block,
//! attachment metadata, and status messages (codes 01–06 for the incoming
//! workflow's states).
//!
//! Import keeps what it can and reports the rest as [`FieldIssue`]s with the
//! edXML path of the field, added to the parser's own issues.

use chrono::NaiveDateTime;
use congso_edxml::{
    AttachmentMeta, Bussiness, BussinessDocType, Code, DocumentId, DocumentType, EdDate,
    EdTimestamp, EdocMessage, FieldIssue, IssueKind, Lenient, Manifest, ManifestReference,
    MessageHeader, OrganId, Organization, OtherInfo, PromulgationInfo, ReplacementInfo,
    ResponseFor, Severity, SignerInfo, StaffInfo, StatusCode, StatusMessage, TraceHeader,
    TraceHeaderList,
};

use crate::model::{
    from_chrono, to_chrono, CirculationMark, DocumentMetadata, Party, Signer, SigningAuthority,
    Urgency,
};
use crate::types::{TypeRegistry, OTHER_TYPE};

/// edXML `DocumentType/Type` for administrative documents (the only value
/// the hub's samples use).
const ADMINISTRATIVE_DOCUMENT: u32 = 1;

/// The metadata read from an edXML document message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedMetadata {
    pub metadata: DocumentMetadata,
    /// What the message does: new (or absent), revoke, update, replace.
    pub business: Option<BussinessDocType>,
    /// `Bussiness/BussinessDocReason`.
    pub business_reason: Option<String>,
    /// `ReplacementInfoList/ReplacementInfo/DocumentId` (business type 3):
    /// the documents this one replaces, as sent.
    pub replaces: Vec<String>,
    /// Problems found while mapping (beyond the parser's).
    pub issues: Vec<FieldIssue>,
}

fn issue(path: &str, severity: Severity, kind: IssueKind, message: String) -> FieldIssue {
    FieldIssue {
        path: path.to_owned(),
        severity,
        kind,
        message,
    }
}

fn non_empty(text: &Option<String>) -> Option<String> {
    text.as_ref()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn party(organization: &Organization) -> Party {
    Party {
        organ_code: organization
            .organ_id
            .as_ref()
            .and_then(Lenient::valid)
            .map(|id| id.as_str().to_owned()),
        name: non_empty(&organization.organ_name)
            .or_else(|| non_empty(&organization.organization_in_charge))
            .unwrap_or_default(),
    }
}

/// Maps a document message to congso metadata.
pub fn metadata_from_edoc(message: &EdocMessage, types: &TypeRegistry) -> ImportedMetadata {
    let header = &message.header;
    let mut issues = Vec::new();
    let mut metadata = DocumentMetadata::default();

    let type_name = header
        .document_type
        .as_ref()
        .and_then(|document_type| non_empty(&document_type.type_name));
    match type_name
        .as_deref()
        .and_then(|name| types.find_by_name(name))
    {
        Some(info) => metadata.type_code = info.code.clone(),
        None => {
            metadata.type_code = OTHER_TYPE.to_owned();
            if let Some(name) = &type_name {
                issues.push(issue(
                    "MessageHeader/DocumentType/TypeName",
                    Severity::Warning,
                    IssueKind::UnknownCode,
                    format!("document type {name:?} is not in the agency's type list; registered as other"),
                ));
            }
        }
    }
    metadata.type_name = type_name;

    if let Some(from) = &header.from {
        let from = party(from);
        metadata.issuer = from.clone();
        metadata.sender = Some(from);
    }
    if let Some(code) = &header.code {
        metadata.number = non_empty(&code.code_number);
        metadata.notation = non_empty(&code.code_notation);
    }
    if let Some(info) = &header.promulgation_info {
        metadata.place = non_empty(&info.place);
        metadata.issue_date = info
            .promulgation_date
            .as_ref()
            .and_then(Lenient::valid)
            .and_then(|date| from_chrono(date.date()));
    }
    metadata.summary = non_empty(&header.subject).unwrap_or_default();
    metadata.content = non_empty(&header.content);
    if let Some(signer) = &header.signer_info {
        if let Some(full_name) = non_empty(&signer.full_name) {
            let (authority, on_behalf_of) = match non_empty(&signer.competence) {
                Some(competence) => {
                    let (authority, rest) = SigningAuthority::split_competence(&competence);
                    (authority, Some(rest).filter(|rest| !rest.is_empty()))
                }
                None => (None, None),
            };
            metadata.signer = Some(Signer {
                authority,
                on_behalf_of,
                position: non_empty(&signer.position),
                full_name,
            });
        }
    }
    // `To` lists recipients that have an organ code (OrganId is mandatory
    // there); `ToPlaces` is the "Nơi nhận" list, every recipient by name.
    // The document's order is the ToPlaces order; a To entry not named in
    // ToPlaces is added after.
    let to: Vec<Party> = header.to.iter().map(party).collect();
    let mut recipients: Vec<Party> = Vec::new();
    for place in header.to_places.iter().map(|place| place.trim()) {
        if place.is_empty() {
            continue;
        }
        match to.iter().find(|party| party.name == place) {
            Some(party) => recipients.push(party.clone()),
            None => recipients.push(Party {
                organ_code: None,
                name: place.to_owned(),
            }),
        }
    }
    for party in to {
        if !recipients.iter().any(|known| known.name == party.name) {
            recipients.push(party);
        }
    }
    metadata.recipients = recipients;
    metadata.due_date = header
        .due_date
        .as_ref()
        .and_then(Lenient::valid)
        .and_then(|date| from_chrono(date.date()));
    if let Some(other) = &header.other_info {
        if let Some(priority) = other.priority.as_ref().and_then(Lenient::valid) {
            match Urgency::from_edxml_priority(*priority) {
                Some(urgency) => metadata.urgency = urgency,
                None => issues.push(issue(
                    "MessageHeader/OtherInfo/Priority",
                    Severity::Warning,
                    IssueKind::UnknownCode,
                    format!("priority {priority} is not 0-4; read as not urgent"),
                )),
            }
        }
        if let Some(sphere) = non_empty(&other.sphere_of_promulgation) {
            match CirculationMark::from_label(&sphere) {
                Some(mark) => metadata.marks.push(mark),
                None => metadata.sphere_of_promulgation = Some(sphere),
            }
        }
        metadata.typer_notation = non_empty(&other.typer_notation);
        metadata.copies = other
            .promulgation_amount
            .as_ref()
            .and_then(Lenient::valid)
            .copied();
        metadata.page_count = other
            .page_amount
            .as_ref()
            .and_then(Lenient::valid)
            .copied()
            .filter(|pages| *pages > 0);
        metadata.appendixes = other
            .appendixes
            .iter()
            .filter(|appendix| !appendix.trim().is_empty())
            .cloned()
            .collect();
    }
    metadata.steering_type = header
        .steering_type
        .as_ref()
        .and_then(Lenient::valid)
        .copied();
    // A malformed DocumentId is still the sender's identifier for this
    // message, so it is kept as sent (the parser reported it) and used to
    // refuse a second registration.
    metadata.edxml_document_id = header
        .document_id
        .as_ref()
        .map(Lenient::text)
        .filter(|id| !id.trim().is_empty());

    let bussiness = message
        .trace_header_list
        .as_ref()
        .and_then(|list| list.bussiness.as_ref());
    let business = bussiness
        .and_then(|bussiness| bussiness.bussiness_doc_type.as_ref())
        .and_then(Lenient::valid)
        .copied();
    let business_reason =
        bussiness.and_then(|bussiness| non_empty(&bussiness.bussiness_doc_reason));

    if metadata.summary.is_empty() {
        issues.push(issue(
            "MessageHeader/Subject",
            Severity::Error,
            IssueKind::Missing,
            "no subject (trích yếu): the document cannot be registered without one".to_owned(),
        ));
    }
    if metadata
        .sender
        .as_ref()
        .is_none_or(|sender| sender.name.is_empty() && sender.organ_code.is_none())
    {
        issues.push(issue(
            "MessageHeader/From",
            Severity::Error,
            IssueKind::Missing,
            "no usable sender (From/OrganId or From/OrganName): the document cannot be registered"
                .to_owned(),
        ));
    }
    let replaces = bussiness
        .map(|bussiness| {
            bussiness
                .replacement_info_list
                .iter()
                .filter_map(|info| info.document_id.as_ref().map(Lenient::text))
                .filter(|id| !id.trim().is_empty())
                .collect()
        })
        .unwrap_or_default();
    ImportedMetadata {
        metadata,
        business,
        business_reason,
        replaces,
        issues,
    }
}

/// Our organisation as edXML names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnOrganization {
    pub organ_code: String,
    pub name: String,
    pub address: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
}

/// What an export needs beyond the metadata.
#[derive(Debug, Clone)]
pub struct ExportFacts<'a> {
    pub organization: &'a OwnOrganization,
    /// The number as written ("05"), once issued.
    pub number_text: Option<&'a str>,
    /// The notation ("QĐ-UBND").
    pub notation: Option<&'a str>,
    pub type_name: &'a str,
    /// The moment of export, Vietnam local time.
    pub now: NaiveDateTime,
    /// The clerk who sends it.
    pub staff_name: Option<&'a str>,
    pub staff_unit: Option<&'a str>,
    /// New (0) normally; revoke (1) for a recalled document.
    pub business: BussinessDocType,
    pub business_reason: Option<&'a str>,
    /// Replaced documents (business type 3): DocumentId and the organ codes
    /// that received it.
    pub replacements: Vec<(String, Vec<String>)>,
    pub attachments: Vec<AttachmentMeta>,
}

/// The edXML DocumentId of a document: `OrganId,yyyy/MM/dd,Number/Notation`.
pub fn document_id(
    organ_code: &str,
    issue_date: congso_vn::time::Date,
    number_text: &str,
    notation: &str,
) -> Option<DocumentId> {
    let organ: OrganId = organ_code.parse().ok()?;
    let date = EdDate::new(to_chrono(issue_date)?)?;
    DocumentId::new(organ, date, number_text, notation).ok()
}

fn organization(own: &OwnOrganization) -> Organization {
    Organization {
        organ_id: Some(Lenient::parse(&own.organ_code)),
        organization_in_charge: None,
        organ_name: Some(own.name.clone()),
        organ_add: own.address.clone(),
        email: own.email.clone(),
        telephone: own.phone.clone(),
        fax: None,
        website: own.website.clone(),
    }
}

/// Builds the document message for a congso document. Attachment contents
/// are streamed by the caller (`write_edoc_streaming`); the model lists
/// their metadata.
pub fn edoc_from_metadata(metadata: &DocumentMetadata, facts: &ExportFacts<'_>) -> EdocMessage {
    let edoc_document_id = match (metadata.issue_date, facts.number_text, facts.notation) {
        (Some(date), Some(number), Some(notation)) => {
            document_id(&facts.organization.organ_code, date, number, notation)
        }
        _ => None,
    }
    .map(Lenient::Valid)
    .or_else(|| {
        metadata
            .edxml_document_id
            .as_ref()
            .map(|id| Lenient::parse(id))
    });
    let recipients_to: Vec<Organization> = metadata
        .recipients
        .iter()
        .filter(|recipient| recipient.organ_code.is_some())
        .map(|recipient| Organization {
            organ_id: recipient
                .organ_code
                .as_ref()
                .map(|code| Lenient::parse(code)),
            organ_name: Some(recipient.name.clone()),
            ..Default::default()
        })
        .collect();
    let sphere = metadata
        .marks
        .first()
        .map(|mark| mark.label().to_owned())
        .or_else(|| metadata.sphere_of_promulgation.clone());
    let header = MessageHeader {
        from: Some(organization(facts.organization)),
        to: recipients_to,
        code: Some(Code {
            code_number: facts.number_text.map(str::to_owned),
            code_notation: facts.notation.map(str::to_owned),
        }),
        promulgation_info: Some(PromulgationInfo {
            place: metadata.place.clone(),
            promulgation_date: metadata
                .issue_date
                .and_then(to_chrono)
                .and_then(EdDate::new)
                .map(Lenient::Valid),
        }),
        document_type: Some(DocumentType {
            doc_type: Some(Lenient::Valid(ADMINISTRATIVE_DOCUMENT)),
            type_detail: None,
            type_name: Some(facts.type_name.to_owned()),
        }),
        subject: Some(metadata.summary.clone()),
        content: metadata.content.clone(),
        signer_info: metadata.signer.as_ref().map(|signer| SignerInfo {
            competence: signer.competence(),
            position: signer.position.clone(),
            full_name: Some(signer.full_name.clone()),
        }),
        due_date: metadata
            .due_date
            .and_then(to_chrono)
            .and_then(EdDate::new)
            .map(Lenient::Valid),
        to_places: metadata
            .recipients
            .iter()
            .map(|recipient| recipient.name.clone())
            .collect(),
        other_info: Some(OtherInfo {
            priority: Some(Lenient::Valid(metadata.urgency.edxml_priority())),
            sphere_of_promulgation: sphere,
            typer_notation: metadata.typer_notation.clone(),
            promulgation_amount: metadata.copies.map(Lenient::Valid),
            page_amount: metadata.page_count.map(Lenient::Valid),
            direction: None,
            appendixes: metadata.appendixes.clone(),
        }),
        response_for: Vec::new(),
        steering_type: metadata.steering_type.map(Lenient::Valid),
        document_id: edoc_document_id.clone(),
    };
    let timestamp = EdTimestamp::new(facts.now).map(Lenient::Valid);
    let trace = TraceHeaderList {
        trace_headers: vec![TraceHeader {
            organ_id: Some(Lenient::parse(&facts.organization.organ_code)),
            timestamp,
        }],
        bussiness: Some(Bussiness {
            bussiness_doc_type: Some(Lenient::Valid(facts.business)),
            bussiness_doc_reason: facts.business_reason.map(str::to_owned),
            bussiness_document_info: None,
            document_id: edoc_document_id,
            staff_info: facts.staff_name.map(|name| StaffInfo {
                department: facts.staff_unit.map(str::to_owned),
                staff: Some(name.to_owned()),
                mobile: None,
                email: None,
            }),
            paper: Some(Lenient::Valid(0)),
            replacement_info_list: facts
                .replacements
                .iter()
                .map(|(document_id, organs)| ReplacementInfo {
                    document_id: Some(Lenient::parse(document_id)),
                    organ_ids: organs.iter().map(|organ| Lenient::parse(organ)).collect(),
                })
                .collect(),
        }),
    };
    let manifest = (!facts.attachments.is_empty()).then(|| Manifest {
        version: Some("1.0".to_owned()),
        references: facts
            .attachments
            .iter()
            .map(|meta| ManifestReference {
                content_id: meta.content_id.clone(),
                content_type: meta.content_type.clone(),
                attachment_name: meta.attachment_name.clone(),
                description: meta.description.clone(),
            })
            .collect(),
    });
    EdocMessage {
        header,
        trace_header_list: Some(trace),
        signature: None,
        manifest,
        attachments: facts
            .attachments
            .iter()
            .map(|meta| congso_edxml::Attachment {
                meta: meta.clone(),
                content: Vec::new(),
            })
            .collect(),
    }
}

/// A status message telling the sender of an incoming document what
/// happened to it.
pub fn status_message(
    own: &OwnOrganization,
    sender: Option<&Party>,
    edxml_document_id: &str,
    code: StatusCode,
    description: &str,
    staff: Option<(&str, Option<&str>)>,
    now: NaiveDateTime,
) -> StatusMessage {
    let document_id: Lenient<DocumentId> = Lenient::parse(edxml_document_id);
    let (organ, date, number_notation) = match &document_id {
        Lenient::Valid(id) => (
            Some(Lenient::Valid(id.organ_id().clone())),
            Some(Lenient::Valid(id.date())),
            Some(id.code()),
        ),
        Lenient::Invalid(_) => (None, None, None),
    };
    StatusMessage {
        from: Some(organization(own)),
        to: sender.map(|sender| Organization {
            organ_id: sender.organ_code.as_ref().map(|code| Lenient::parse(code)),
            organ_name: Some(sender.name.clone()).filter(|name| !name.is_empty()),
            ..Default::default()
        }),
        response_for: Some(ResponseFor {
            organ_id: organ,
            code: number_notation,
            promulgation_date: date,
            document_id: Some(document_id),
        }),
        staff_info: staff.map(|(name, unit)| StaffInfo {
            department: unit.map(str::to_owned),
            staff: Some(name.to_owned()),
            mobile: None,
            email: None,
        }),
        status_code: Some(Lenient::Valid(code)),
        description: Some(description.to_owned()),
        timestamp: EdTimestamp::new(now).map(Lenient::Valid),
    }
}

/// What a received status message says, read for our outgoing document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedStatus {
    pub document_id: String,
    pub code: u8,
    pub organ_code: Option<String>,
    pub organ_name: Option<String>,
    pub description: Option<String>,
    pub reported_at: Option<String>,
}

/// Reads the fields congso records from a status message; `None` with the
/// reason when it names no document or carries no usable code.
pub fn read_status(message: &StatusMessage) -> Result<ReceivedStatus, String> {
    let document_id = message
        .response_for
        .as_ref()
        .and_then(|response| response.document_id.as_ref())
        .map(Lenient::text)
        .filter(|id| !id.trim().is_empty())
        .ok_or("the status message names no document (ResponseFor/DocumentId)")?;
    let code = message
        .status_code
        .as_ref()
        .and_then(Lenient::valid)
        .map(|code| code.number())
        .ok_or("the status message has no valid StatusCode")?;
    let from = message.from.as_ref();
    Ok(ReceivedStatus {
        document_id,
        code,
        organ_code: from
            .and_then(|from| from.organ_id.as_ref())
            .map(Lenient::text),
        organ_name: from.and_then(|from| non_empty(&from.organ_name)),
        description: non_empty(&message.description),
        reported_at: message.timestamp.as_ref().map(Lenient::text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Secrecy, SigningAuthority};
    use congso_vn::time::{Date, Month};

    fn own() -> OwnOrganization {
        OwnOrganization {
            organ_code: "000.00.00.H26".into(),
            name: "UBND thành phố Hà Nội".into(),
            address: Some("12 Lê Lai".into()),
            email: None,
            phone: None,
            website: None,
        }
    }

    fn outgoing() -> DocumentMetadata {
        DocumentMetadata {
            type_code: "quyet-dinh".into(),
            issuer: Party {
                organ_code: Some("000.00.00.H26".into()),
                name: "UBND thành phố Hà Nội".into(),
            },
            place: Some("Hà Nội".into()),
            issue_date: Date::from_calendar_date(2026, Month::February, 5).ok(),
            summary: "Về việc giao chỉ tiêu kế hoạch năm 2026".into(),
            content: Some("Nội dung".into()),
            signer: Some(Signer {
                authority: Some(SigningAuthority::Deputy),
                on_behalf_of: Some("CHỦ TỊCH".into()),
                position: Some("PHÓ CHỦ TỊCH".into()),
                full_name: "Trần Thị B".into(),
            }),
            recipients: vec![
                Party {
                    organ_code: Some("000.00.00.G22".into()),
                    name: "Văn phòng Chính phủ".into(),
                },
                Party {
                    organ_code: None,
                    name: "Các sở, ngành".into(),
                },
            ],
            urgency: Urgency::VeryUrgent,
            secrecy: Secrecy::None,
            marks: vec![CirculationMark::InternalOnly],
            due_date: Date::from_calendar_date(2026, Month::March, 2).ok(),
            page_count: Some(3),
            copies: Some(20),
            typer_notation: Some("NVA".into()),
            appendixes: vec!["Phụ lục I".into()],
            steering_type: Some(1),
            ..Default::default()
        }
    }

    #[test]
    fn export_then_import_keeps_the_metadata() {
        let types = TypeRegistry::shipped();
        let metadata = outgoing();
        let own = own();
        let now = chrono::NaiveDate::from_ymd_opt(2026, 2, 5)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap();
        let facts = ExportFacts {
            organization: &own,
            number_text: Some("05"),
            notation: Some("QĐ-UBND"),
            type_name: "Quyết định",
            now,
            staff_name: Some("Lê Văn Thư"),
            staff_unit: Some("Văn phòng"),
            business: BussinessDocType::New,
            business_reason: None,
            replacements: Vec::new(),
            attachments: vec![],
        };
        let message = edoc_from_metadata(&metadata, &facts);
        let bytes = congso_edxml::write_edoc(&message, Vec::new()).unwrap();
        let parsed = congso_edxml::read_edoc(&bytes[..]).unwrap();
        assert_eq!(parsed.issues, vec![], "our own export is clean");
        let imported = metadata_from_edoc(&parsed.value, &types);
        assert_eq!(imported.issues, vec![]);
        assert_eq!(imported.business, Some(BussinessDocType::New));
        let mut expected = metadata.clone();
        expected.type_name = Some("Quyết định".into());
        expected.number = Some("05".into());
        expected.notation = Some("QĐ-UBND".into());
        expected.sender = Some(expected.issuer.clone());
        expected.edxml_document_id = Some("000.00.00.H26,2026/02/05,05/QĐ-UBND".into());
        assert_eq!(imported.metadata, expected);
    }

    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        // Free text as documents carry it: no surrounding blanks (edXML
        // import trims), no control characters (XML 1.0 cannot carry them).
        "[\\p{L}\\p{N}][\\p{L}\\p{N} ,./()-]{0,40}[\\p{L}\\p{N}]"
    }

    proptest::proptest! {
        /// Any outgoing metadata exported as edXML and read back gives the
        /// same metadata (the fields edXML carries).
        #[test]
        fn any_metadata_survives_export_and_import(
            summary in text(),
            place in proptest::option::of(text()),
            content in proptest::option::of(text()),
            full_name in text(),
            position in proptest::option::of(text()),
            urgency in 0i64..4,
            pages in proptest::option::of(1u32..500),
            copies in proptest::option::of(0u32..500),
            names in proptest::collection::vec(text(), 0..4),
            day in 1u8..29,
            number in 1i64..5000,
        ) {
            let types = TypeRegistry::shipped();
            let date = Date::from_calendar_date(2026, Month::April, day).unwrap();
            let mut metadata = outgoing();
            metadata.summary = summary;
            metadata.place = place;
            metadata.content = content;
            metadata.signer = Some(Signer { authority: None, on_behalf_of: None, position, full_name });
            metadata.urgency = Urgency::from_level(urgency).unwrap();
            metadata.page_count = pages;
            metadata.copies = copies;
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            metadata.recipients = unique.into_iter().map(|name| Party { organ_code: None, name }).collect();
            metadata.issue_date = Some(date);
            let own = own();
            let number_text = crate::model::format_number(number);
            let facts = ExportFacts {
                organization: &own,
                number_text: Some(&number_text),
                notation: Some("QĐ-UBND"),
                type_name: "Quyết định",
                now: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap().and_hms_opt(8, 0, 0).unwrap(),
                staff_name: None,
                staff_unit: None,
                business: BussinessDocType::New,
                business_reason: None,
                replacements: Vec::new(),
                attachments: vec![],
            };
            let bytes = congso_edxml::write_edoc(&edoc_from_metadata(&metadata, &facts), Vec::new()).unwrap();
            let parsed = congso_edxml::read_edoc(&bytes[..]).unwrap();
            let imported = metadata_from_edoc(&parsed.value, &types);
            let mut expected = metadata.clone();
            expected.type_name = Some("Quyết định".into());
            expected.number = Some(number_text.clone());
            expected.notation = Some("QĐ-UBND".into());
            expected.sender = Some(expected.issuer.clone());
            expected.edxml_document_id = Some(format!("000.00.00.H26,2026/04/{day:02},{number_text}/QĐ-UBND"));
            proptest::prop_assert_eq!(imported.metadata, expected);
        }
    }

    #[test]
    fn status_messages_round_trip() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 2, 6)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        let sender = Party {
            organ_code: Some("000.00.00.G22".into()),
            name: "Văn phòng Chính phủ".into(),
        };
        let message = status_message(
            &own(),
            Some(&sender),
            "000.00.00.G22,2026/02/01,12/VPCP-KGVX",
            StatusCode::ACCEPTED,
            "Đã vào sổ, chờ phân công",
            Some(("Lê Văn Thư", Some("Văn phòng"))),
            now,
        );
        let bytes = congso_edxml::write_status(&message, Vec::new()).unwrap();
        let parsed = congso_edxml::read_status(&bytes[..]).unwrap();
        assert_eq!(parsed.issues, vec![]);
        let read = read_status(&parsed.value).unwrap();
        assert_eq!(
            read,
            ReceivedStatus {
                document_id: "000.00.00.G22,2026/02/01,12/VPCP-KGVX".into(),
                code: 3,
                organ_code: Some("000.00.00.H26".into()),
                organ_name: Some("UBND thành phố Hà Nội".into()),
                description: Some("Đã vào sổ, chờ phân công".into()),
                reported_at: Some("2026/02/06 08:00:00".into()),
            }
        );
    }
}
