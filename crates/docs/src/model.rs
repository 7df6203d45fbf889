//! The document model: Decree 30/2020 and edXML metadata as typed values
//! with Vietnamese labels, validation with field-level errors, the number
//! and notation rules, and a Dublin Core view for export.

use std::fmt;

use congso_vn::time::{Date, Month};
use serde::{Deserialize, Serialize};

use crate::types::{DocumentTypeInfo, TypeRegistry};

/// Which register a document belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Văn bản đến: received.
    Incoming,
    /// Văn bản đi: issued by the agency.
    Outgoing,
}

impl Direction {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "incoming" => Some(Direction::Incoming),
            "outgoing" => Some(Direction::Outgoing),
            _ => None,
        }
    }

    /// Vietnamese label.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Incoming => "Văn bản đến",
            Direction::Outgoing => "Văn bản đi",
        }
    }
}

/// Độ khẩn (Decree 30 Art. 8 and Appendix I): how fast a document must travel.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Not marked.
    #[default]
    Normal,
    /// Khẩn.
    Urgent,
    /// Thượng khẩn.
    VeryUrgent,
    /// Hỏa tốc.
    Immediate,
}

impl Urgency {
    pub const ALL: [Urgency; 4] = [
        Urgency::Normal,
        Urgency::Urgent,
        Urgency::VeryUrgent,
        Urgency::Immediate,
    ];

    /// The stored level, 0–3.
    pub fn level(self) -> i64 {
        self as i64
    }

    pub fn from_level(level: i64) -> Option<Self> {
        Urgency::ALL.get(usize::try_from(level).ok()?).copied()
    }

    /// The mark as printed, empty for an unmarked document.
    pub fn label(self) -> &'static str {
        match self {
            Urgency::Normal => "",
            Urgency::Urgent => "Khẩn",
            Urgency::VeryUrgent => "Thượng khẩn",
            Urgency::Immediate => "Hỏa tốc",
        }
    }

    /// The edXML `OtherInfo/Priority` code (QCVN 102: 0 thường, 1 khẩn,
    /// 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ; the list was found in
    /// secondary sources and is unconfirmed, so it is kept in these two
    /// functions only).
    pub fn edxml_priority(self) -> u8 {
        self as u8
    }

    /// The urgency of an edXML priority code; 4 (hỏa tốc hẹn giờ, a timed
    /// hỏa tốc) is read as [`Urgency::Immediate`].
    pub fn from_edxml_priority(code: u8) -> Option<Self> {
        match code {
            0 => Some(Urgency::Normal),
            1 => Some(Urgency::Urgent),
            2 => Some(Urgency::VeryUrgent),
            3 | 4 => Some(Urgency::Immediate),
            _ => None,
        }
    }
}

/// Độ mật (Law on Protection of State Secrets 2018): secret documents are
/// visible only to users cleared for their level and to their handlers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Secrecy {
    /// Not secret (and, as a clearance, none).
    #[default]
    None,
    /// Mật.
    Confidential,
    /// Tối mật.
    Secret,
    /// Tuyệt mật.
    TopSecret,
}

impl Secrecy {
    pub const ALL: [Secrecy; 4] = [
        Secrecy::None,
        Secrecy::Confidential,
        Secrecy::Secret,
        Secrecy::TopSecret,
    ];

    /// The stored level, 0–3.
    pub fn level(self) -> i64 {
        self as i64
    }

    pub fn from_level(level: i64) -> Option<Self> {
        Secrecy::ALL.get(usize::try_from(level).ok()?).copied()
    }

    pub fn is_secret(self) -> bool {
        self != Secrecy::None
    }

    /// The mark as printed, empty when not secret.
    pub fn label(self) -> &'static str {
        match self {
            Secrecy::None => "",
            Secrecy::Confidential => "Mật",
            Secrecy::Secret => "Tối mật",
            Secrecy::TopSecret => "Tuyệt mật",
        }
    }
}

/// The signing-authority prefix (Decree 30 Art. 13 and Appendix I).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningAuthority {
    /// TM. (thay mặt): on behalf of a collective body.
    OnBehalfOf,
    /// KT. (ký thay): a deputy signs for the head.
    Deputy,
    /// TL. (thừa lệnh): by order of the head.
    ByOrder,
    /// TUQ. (thừa ủy quyền): by delegation.
    ByDelegation,
    /// Q. (quyền): acting head.
    Acting,
}

impl SigningAuthority {
    pub const ALL: [SigningAuthority; 5] = [
        SigningAuthority::OnBehalfOf,
        SigningAuthority::Deputy,
        SigningAuthority::ByOrder,
        SigningAuthority::ByDelegation,
        SigningAuthority::Acting,
    ];

    /// The prefix as printed, with its dot.
    pub fn prefix(self) -> &'static str {
        match self {
            SigningAuthority::OnBehalfOf => "TM.",
            SigningAuthority::Deputy => "KT.",
            SigningAuthority::ByOrder => "TL.",
            SigningAuthority::ByDelegation => "TUQ.",
            SigningAuthority::Acting => "Q.",
        }
    }

    /// Vietnamese name of the authority.
    pub fn label(self) -> &'static str {
        match self {
            SigningAuthority::OnBehalfOf => "Thay mặt",
            SigningAuthority::Deputy => "Ký thay",
            SigningAuthority::ByOrder => "Thừa lệnh",
            SigningAuthority::ByDelegation => "Thừa ủy quyền",
            SigningAuthority::Acting => "Quyền",
        }
    }

    /// Splits a competence line ("KT. CHỦ TỊCH", "TL. BO TRUONG") into its
    /// prefix and the rest. Case and the space after the dot are free.
    pub fn split_competence(text: &str) -> (Option<SigningAuthority>, String) {
        let trimmed = text.trim();
        let upper = trimmed.to_uppercase();
        // Longest prefixes first, so "TUQ." is not read as "TL." or "Q.".
        let mut ordered = SigningAuthority::ALL;
        ordered.sort_by_key(|authority| std::cmp::Reverse(authority.prefix().len()));
        for authority in ordered {
            if let Some(rest) = upper.strip_prefix(authority.prefix()) {
                let rest_len = rest.len();
                let original_rest = &trimmed[trimmed.len() - rest_len..];
                return (Some(authority), original_rest.trim().to_owned());
            }
        }
        (None, trimmed.to_owned())
    }
}

/// Circulation marks (Decree 30 Appendix I, item 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CirculationMark {
    /// "Xem xong trả lại".
    ReturnAfterReading,
    /// "Lưu hành nội bộ".
    InternalOnly,
}

impl CirculationMark {
    pub const ALL: [CirculationMark; 2] = [
        CirculationMark::ReturnAfterReading,
        CirculationMark::InternalOnly,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CirculationMark::ReturnAfterReading => "Xem xong trả lại",
            CirculationMark::InternalOnly => "Lưu hành nội bộ",
        }
    }

    /// The mark a free text names, comparing folded text.
    pub fn from_label(text: &str) -> Option<Self> {
        let folded = congso_vn::text::fold(text.trim());
        CirculationMark::ALL
            .into_iter()
            .find(|mark| congso_vn::text::fold(mark.label()) == folded)
    }
}

/// Who signs: the authority prefix and the title it applies to ("KT." and
/// "CHỦ TỊCH"), the signer's position ("PHÓ CHỦ TỊCH") and full name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    pub authority: Option<SigningAuthority>,
    /// The body or head the authority refers to ("ỦY BAN NHÂN DÂN", "CHỦ TỊCH").
    pub on_behalf_of: Option<String>,
    pub position: Option<String>,
    pub full_name: String,
}

impl Signer {
    /// The competence line as edXML `SignerInfo/Competence` carries it:
    /// "KT. CHỦ TỊCH", or the title alone without an authority.
    pub fn competence(&self) -> Option<String> {
        match (&self.authority, &self.on_behalf_of) {
            (Some(authority), Some(title)) => Some(format!("{} {}", authority.prefix(), title)),
            (Some(authority), None) => Some(authority.prefix().to_owned()),
            (None, Some(title)) => Some(title.clone()),
            (None, None) => None,
        }
    }

    /// One line for registers: "KT. CHỦ TỊCH - PHÓ CHỦ TỊCH Nguyễn Văn A".
    pub fn display(&self) -> String {
        let mut parts = Vec::new();
        if let Some(competence) = self.competence() {
            parts.push(competence);
        }
        if let Some(position) = self.position.as_ref().filter(|p| !p.trim().is_empty()) {
            parts.push(position.clone());
        }
        parts.push(self.full_name.clone());
        parts.join(" - ")
    }
}

/// An organisation (or person) sending or receiving a document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// The national organ code (`000.00.00.H26`), when known.
    pub organ_code: Option<String>,
    pub name: String,
}

/// The descriptive metadata of a document (Decree 30 Appendix I and edXML
/// `MessageHeader`). Registry facts given by the node (numbers, states,
/// times) are not here: they live on the stored row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMetadata {
    /// Code of the document type in the [`TypeRegistry`] (`quyet-dinh`).
    pub type_code: String,
    /// The type's name as the document names it; for an incoming document of
    /// a type not in the registry, the name as sent.
    pub type_name: Option<String>,
    /// The issuing organ (for outgoing documents: the agency).
    pub issuer: Party,
    /// The number as printed (incoming documents; outgoing ones get theirs
    /// when issued).
    pub number: Option<String>,
    /// The notation after the slash (`QĐ-UBND`), as printed or to print.
    pub notation: Option<String>,
    pub place: Option<String>,
    #[serde(with = "iso_date_option", default)]
    pub issue_date: Option<Date>,
    /// Trích yếu.
    pub summary: String,
    /// Free text body or note (edXML `Content`).
    pub content: Option<String>,
    pub signer: Option<Signer>,
    /// Nơi nhận.
    pub recipients: Vec<Party>,
    pub urgency: Urgency,
    pub secrecy: Secrecy,
    pub marks: Vec<CirculationMark>,
    /// Phạm vi lưu hành as free text when it is not a known mark.
    pub sphere_of_promulgation: Option<String>,
    /// The deadline the sender asked for.
    #[serde(with = "iso_date_option", default)]
    pub due_date: Option<Date>,
    pub page_count: Option<u32>,
    /// Số lượng bản.
    pub copies: Option<u32>,
    /// Ký hiệu người đánh máy (edXML `TyperNotation`).
    pub typer_notation: Option<String>,
    pub appendixes: Vec<String>,
    /// edXML `SteeringType`.
    pub steering_type: Option<u8>,
    /// For incoming documents: who sent it.
    pub sender: Option<Party>,
    /// The edXML DocumentId (`OrganId,yyyy/MM/dd,Number/Notation`).
    pub edxml_document_id: Option<String>,
    /// Đơn vị, người nhận bản lưu (outgoing register column).
    pub file_holder: Option<String>,
    /// Ghi chú.
    pub notes: Option<String>,
    /// The edXML DocumentIds of earlier outgoing documents of ours that
    /// this one replaces (văn bản thay thế; edXML business type 3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<String>,
}

/// One problem with one field, for the form that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's name in [`DocumentMetadata`] (`signer.full_name`).
    pub field: String,
    /// A stable code: `required`, `too_long`, `unknown`, `malformed`, `not_allowed`.
    pub code: String,
    /// What is wrong, in Vietnamese, for the clerk.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.code)
    }
}

/// Longest free-text fields, in characters.
const SUMMARY_MAX: usize = 2000;
const TEXT_MAX: usize = 500;
const CONTENT_MAX: usize = 100_000;

fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("dài quá {max} ký tự"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        errors.push(FieldError::new(
            field,
            "malformed",
            "chứa ký tự điều khiển không hợp lệ",
        ));
    }
}

fn check_organ_code(errors: &mut Vec<FieldError>, field: &str, code: &Option<String>) {
    if let Some(code) = code {
        if let Err(error) = congso_vn::id::OrganCode::parse(code) {
            errors.push(FieldError::new(
                field,
                "malformed",
                format!("mã định danh cơ quan không đúng dạng NNN.NN.NN.LNN ({error})"),
            ));
        }
    }
}

impl DocumentMetadata {
    /// Checks the metadata of a document going into the `direction` register.
    /// Returns every problem at once, field by field.
    pub fn validate(&self, direction: Direction, types: &TypeRegistry) -> Vec<FieldError> {
        let mut errors = Vec::new();
        match types.get(&self.type_code) {
            None => errors.push(FieldError::new(
                "type_code",
                "unknown",
                format!("loại văn bản {:?} không có trong danh mục", self.type_code),
            )),
            Some(info) if direction == Direction::Outgoing && !info.decree30 => {
                errors.push(FieldError::new(
                    "type_code",
                    "not_allowed",
                    format!(
                        "{} không phải loại văn bản hành chính cơ quan ban hành theo Nghị định 30/2020",
                        info.name
                    ),
                ))
            }
            Some(_) => {}
        }
        if self.summary.trim().is_empty() {
            errors.push(FieldError::new(
                "summary",
                "required",
                "chưa nhập trích yếu nội dung",
            ));
        }
        check_text(&mut errors, "summary", &self.summary, SUMMARY_MAX);
        if let Some(content) = &self.content {
            check_text(&mut errors, "content", content, CONTENT_MAX);
        }
        for (field, value) in [
            ("type_name", &self.type_name),
            ("number", &self.number),
            ("notation", &self.notation),
            ("place", &self.place),
            ("sphere_of_promulgation", &self.sphere_of_promulgation),
            ("typer_notation", &self.typer_notation),
            ("edxml_document_id", &self.edxml_document_id),
            ("file_holder", &self.file_holder),
            ("notes", &self.notes),
        ] {
            if let Some(value) = value {
                check_text(&mut errors, field, value, TEXT_MAX);
            }
        }
        check_text(&mut errors, "issuer.name", &self.issuer.name, TEXT_MAX);
        check_organ_code(&mut errors, "issuer.organ_code", &self.issuer.organ_code);
        if let Some(signer) = &self.signer {
            if signer.full_name.trim().is_empty() {
                errors.push(FieldError::new(
                    "signer.full_name",
                    "required",
                    "chưa nhập họ tên người ký",
                ));
            }
            check_text(&mut errors, "signer.full_name", &signer.full_name, 200);
            for (field, value) in [
                ("signer.on_behalf_of", &signer.on_behalf_of),
                ("signer.position", &signer.position),
            ] {
                if let Some(value) = value {
                    check_text(&mut errors, field, value, 200);
                }
            }
        }
        for (index, recipient) in self.recipients.iter().enumerate() {
            let field = format!("recipients[{index}]");
            if recipient.name.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("{field}.name"),
                    "required",
                    "nơi nhận chưa có tên",
                ));
            }
            check_text(
                &mut errors,
                &format!("{field}.name"),
                &recipient.name,
                TEXT_MAX,
            );
            check_organ_code(
                &mut errors,
                &format!("{field}.organ_code"),
                &recipient.organ_code,
            );
        }
        if self.recipients.len() > 1000 {
            errors.push(FieldError::new(
                "recipients",
                "too_long",
                "quá 1000 nơi nhận",
            ));
        }
        for (index, appendix) in self.appendixes.iter().enumerate() {
            check_text(
                &mut errors,
                &format!("appendixes[{index}]"),
                appendix,
                TEXT_MAX,
            );
        }
        if self.page_count == Some(0) {
            errors.push(FieldError::new(
                "page_count",
                "malformed",
                "số trang phải lớn hơn 0",
            ));
        }
        match direction {
            Direction::Incoming => match &self.sender {
                None => errors.push(FieldError::new(
                    "sender",
                    "required",
                    "chưa nhập cơ quan gửi (tác giả)",
                )),
                Some(sender) => {
                    if sender.name.trim().is_empty() && sender.organ_code.is_none() {
                        errors.push(FieldError::new(
                            "sender.name",
                            "required",
                            "chưa nhập tên cơ quan gửi",
                        ));
                    }
                    check_text(&mut errors, "sender.name", &sender.name, TEXT_MAX);
                    check_organ_code(&mut errors, "sender.organ_code", &sender.organ_code);
                }
            },
            Direction::Outgoing => {
                if self.sender.is_some() {
                    errors.push(FieldError::new(
                        "sender",
                        "not_allowed",
                        "văn bản đi không có cơ quan gửi",
                    ));
                }
                if self.number.is_some() {
                    errors.push(FieldError::new(
                        "number",
                        "not_allowed",
                        "số văn bản đi do văn thư cấp khi ban hành",
                    ));
                }
            }
        }
        errors
    }

    /// The type's entry in the registry, if the code is known.
    pub fn type_info<'a>(&self, types: &'a TypeRegistry) -> Option<&'a DocumentTypeInfo> {
        types.get(&self.type_code)
    }

    /// The type name to show: the registry's, else the name as sent.
    pub fn type_label(&self, types: &TypeRegistry) -> String {
        match (types.get(&self.type_code), &self.type_name) {
            (Some(info), _) if info.code != crate::types::OTHER_TYPE => info.name.clone(),
            (_, Some(name)) => name.clone(),
            (Some(info), None) => info.name.clone(),
            (None, None) => self.type_code.clone(),
        }
    }

    /// The Dublin Core view of the document (ISO 15836), for export.
    ///
    /// `number_notation` and `issue_date` are passed in because an outgoing
    /// document gets them only when it is issued; `formats` are the MIME
    /// types of its files.
    pub fn to_dublin_core(
        &self,
        types: &TypeRegistry,
        number_notation: Option<&str>,
        issue_date: Option<Date>,
        formats: &[String],
    ) -> DublinCore {
        let mut identifiers = Vec::new();
        if let Some(number_notation) = number_notation {
            identifiers.push(number_notation.to_owned());
        }
        if let Some(edxml) = &self.edxml_document_id {
            identifiers.push(edxml.clone());
        }
        let creator = if self.issuer.name.is_empty() {
            self.sender.as_ref().map(|sender| sender.name.clone())
        } else {
            Some(self.issuer.name.clone())
        };
        let mut rights = Vec::new();
        if self.secrecy.is_secret() {
            rights.push(self.secrecy.label().to_owned());
        }
        rights.extend(self.marks.iter().map(|mark| mark.label().to_owned()));
        let mut formats = formats.to_vec();
        formats.sort();
        formats.dedup();
        DublinCore {
            title: self.summary.clone(),
            creator,
            subject: self.type_label(types),
            description: self.content.clone(),
            publisher: Some(self.issuer.name.clone()).filter(|name| !name.is_empty()),
            contributor: self.signer.as_ref().map(Signer::display),
            date: issue_date.or(self.issue_date).map(iso_date),
            doc_type: format!("Text; {}", self.type_label(types)),
            format: formats,
            identifier: identifiers,
            language: "vi".to_owned(),
            coverage: self.place.clone(),
            rights,
            audience: self
                .recipients
                .iter()
                .map(|recipient| recipient.name.clone())
                .collect(),
        }
    }
}

/// The fifteen-element Dublin Core description, the elements congso can
/// fill (ISO 15836; the national archives' metadata maps onto these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DublinCore {
    pub title: String,
    pub creator: Option<String>,
    pub subject: String,
    pub description: Option<String>,
    pub publisher: Option<String>,
    pub contributor: Option<String>,
    /// ISO 8601 date.
    pub date: Option<String>,
    #[serde(rename = "type")]
    pub doc_type: String,
    pub format: Vec<String>,
    pub identifier: Vec<String>,
    pub language: String,
    pub coverage: Option<String>,
    pub rights: Vec<String>,
    /// `audience` (a DCMI term beyond the fifteen): the recipients.
    pub audience: Vec<String>,
}

/// Builds the notation of an outgoing document (Decree 30 Appendix I item 3):
/// `QĐ-UBND` for a type with an abbreviation, `UBND-VP` (organ, then the
/// drafting unit) for a Công văn or another type without one.
pub fn notation(
    type_info: &DocumentTypeInfo,
    organ_abbreviation: &str,
    unit_abbreviation: Option<&str>,
) -> String {
    match (&type_info.abbreviation, unit_abbreviation) {
        (Some(abbreviation), _) => format!("{abbreviation}-{organ_abbreviation}"),
        (None, Some(unit)) if !unit.trim().is_empty() => format!("{organ_abbreviation}-{unit}"),
        (None, _) => organ_abbreviation.to_owned(),
    }
}

/// The number as written (Decree 30 Art. 15): numbers below 10 with a
/// leading zero. The store writes numbers with the same rule.
pub fn format_number(number: i64) -> String {
    congso_store::documents::number_text(number)
}

/// `YYYY-MM-DD`.
pub fn iso_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Parses `YYYY-MM-DD`.
pub fn parse_iso_date(text: &str) -> Option<Date> {
    congso_vn::calendar::parse_iso_date(text).ok()
}

/// Converts an edXML (chrono) date.
pub fn from_chrono(date: chrono::NaiveDate) -> Option<Date> {
    use chrono::Datelike;
    let month = Month::try_from(u8::try_from(date.month()).ok()?).ok()?;
    Date::from_calendar_date(date.year(), month, u8::try_from(date.day()).ok()?).ok()
}

/// Converts to an edXML (chrono) date.
pub fn to_chrono(date: Date) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(
        date.year(),
        u32::from(u8::from(date.month())),
        u32::from(date.day()),
    )
}

mod iso_date_option {
    use congso_vn::time::Date;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => s.serialize_some(&super::iso_date(*date)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        match text {
            None => Ok(None),
            Some(text) => super::parse_iso_date(&text).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("{text:?} is not a YYYY-MM-DD date"))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_below_ten_get_a_leading_zero() {
        for (number, text) in [(1, "01"), (9, "09"), (10, "10"), (123, "123")] {
            assert_eq!(format_number(number), text);
        }
    }

    #[test]
    fn notations_follow_decree_30() {
        let types = TypeRegistry::shipped();
        let check = |code: &str, unit: Option<&str>, expected: &str| {
            let info = types.get(code).unwrap();
            assert_eq!(notation(info, "UBND", unit), expected, "{code}");
        };
        check("quyet-dinh", Some("VP"), "QĐ-UBND");
        check("cong-van", Some("VP"), "UBND-VP");
        check("cong-van", None, "UBND");
        check("to-trinh", None, "TTr-UBND");
        check("quy-dinh", None, "QyĐ-UBND");
    }

    #[test]
    fn competence_lines_split_into_authority_and_title() {
        let check = |text: &str, authority: Option<SigningAuthority>, rest: &str| {
            assert_eq!(
                SigningAuthority::split_competence(text),
                (authority, rest.to_owned()),
                "{text}"
            );
        };
        check("KT. CHỦ TỊCH", Some(SigningAuthority::Deputy), "CHỦ TỊCH");
        check(
            "TL. BO TRUONG",
            Some(SigningAuthority::ByOrder),
            "BO TRUONG",
        );
        check(
            "tm.ủy ban nhân dân",
            Some(SigningAuthority::OnBehalfOf),
            "ủy ban nhân dân",
        );
        check(
            "TUQ. GIÁM ĐỐC",
            Some(SigningAuthority::ByDelegation),
            "GIÁM ĐỐC",
        );
        check(
            "Q. CHÁNH VĂN PHÒNG",
            Some(SigningAuthority::Acting),
            "CHÁNH VĂN PHÒNG",
        );
        check("CHỦ TỊCH", None, "CHỦ TỊCH");
    }

    #[test]
    fn levels_and_labels_round_trip() {
        for urgency in Urgency::ALL {
            assert_eq!(Urgency::from_level(urgency.level()), Some(urgency));
            assert_eq!(
                Urgency::from_edxml_priority(urgency.edxml_priority()),
                Some(urgency)
            );
        }
        assert_eq!(Urgency::from_edxml_priority(4), Some(Urgency::Immediate));
        assert_eq!(Urgency::from_edxml_priority(5), None);
        for secrecy in Secrecy::ALL {
            assert_eq!(Secrecy::from_level(secrecy.level()), Some(secrecy));
        }
        assert_eq!(Secrecy::TopSecret.label(), "Tuyệt mật");
        assert_eq!(
            CirculationMark::from_label("luu hanh noi bo"),
            Some(CirculationMark::InternalOnly)
        );
    }

    fn sample() -> DocumentMetadata {
        DocumentMetadata {
            type_code: "quyet-dinh".into(),
            issuer: Party {
                organ_code: Some("000.00.00.H26".into()),
                name: "UBND thành phố Hà Nội".into(),
            },
            place: Some("Hà Nội".into()),
            summary: "Về việc ban hành quy chế làm việc".into(),
            signer: Some(Signer {
                authority: Some(SigningAuthority::Deputy),
                on_behalf_of: Some("CHỦ TỊCH".into()),
                position: Some("PHÓ CHỦ TỊCH".into()),
                full_name: "Nguyễn Văn A".into(),
            }),
            recipients: vec![Party {
                organ_code: None,
                name: "Các sở, ban, ngành".into(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn validation_reports_every_field() {
        let types = TypeRegistry::shipped();
        assert_eq!(sample().validate(Direction::Outgoing, &types), vec![]);
        let mut bad = sample();
        bad.type_code = "thong-tu".into();
        bad.summary = " ".into();
        bad.issuer.organ_code = Some("28.22.H17".into());
        bad.number = Some("12".into());
        bad.signer.as_mut().unwrap().full_name.clear();
        bad.recipients.push(Party::default());
        bad.page_count = Some(0);
        let fields: Vec<(String, String)> = bad
            .validate(Direction::Outgoing, &types)
            .into_iter()
            .map(|error| (error.field, error.code))
            .collect();
        let expected: Vec<(String, String)> = [
            ("type_code", "not_allowed"),
            ("summary", "required"),
            ("issuer.organ_code", "malformed"),
            ("signer.full_name", "required"),
            ("recipients[1].name", "required"),
            ("page_count", "malformed"),
            ("number", "not_allowed"),
        ]
        .iter()
        .map(|(field, code)| (field.to_string(), code.to_string()))
        .collect();
        assert_eq!(fields, expected);
        let incoming = sample().validate(Direction::Incoming, &types);
        assert_eq!(incoming.len(), 1);
        assert_eq!(incoming[0].field, "sender");
    }

    #[test]
    fn dublin_core_view() {
        let types = TypeRegistry::shipped();
        let date = Date::from_calendar_date(2026, Month::February, 5).unwrap();
        let mut metadata = sample();
        metadata.secrecy = Secrecy::Confidential;
        metadata.marks = vec![CirculationMark::InternalOnly];
        let dc = metadata.to_dublin_core(
            &types,
            Some("05/QĐ-UBND"),
            Some(date),
            &["application/pdf".into(), "application/pdf".into()],
        );
        assert_eq!(dc.title, "Về việc ban hành quy chế làm việc");
        assert_eq!(dc.creator.as_deref(), Some("UBND thành phố Hà Nội"));
        assert_eq!(dc.subject, "Quyết định");
        assert_eq!(dc.date.as_deref(), Some("2026-02-05"));
        assert_eq!(dc.identifier, ["05/QĐ-UBND"]);
        assert_eq!(dc.format, ["application/pdf"]);
        assert_eq!(dc.rights, ["Mật", "Lưu hành nội bộ"]);
        assert_eq!(
            dc.contributor.as_deref(),
            Some("KT. CHỦ TỊCH - PHÓ CHỦ TỊCH - Nguyễn Văn A")
        );
        assert_eq!(dc.coverage.as_deref(), Some("Hà Nội"));
        assert_eq!(dc.language, "vi");
    }

    #[test]
    fn metadata_json_round_trips() {
        let mut metadata = sample();
        metadata.issue_date = Date::from_calendar_date(2026, Month::March, 15).ok();
        let json = serde_json::to_string(&metadata).unwrap();
        assert!(json.contains("\"2026-03-15\""), "{json}");
        let back: DocumentMetadata = serde_json::from_str(&json).unwrap();
        assert_eq!(back, metadata);
    }
}
