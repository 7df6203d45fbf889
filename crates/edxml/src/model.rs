//! The typed model of edXML document and status messages.
//!
//! Fields are public so that the documents module can map them to and from its own
//! Decree 30 metadata without ceremony. Element names are the standard's (including its
//! spelling `Bussiness`); what the standard makes optional, or what the real samples leave
//! out, is an `Option` or a possibly empty `Vec`. Free text is kept exactly as sent;
//! identifiers, dates and codes are [`Lenient`] so that a malformed value survives import.

use serde::{Deserialize, Serialize};

use crate::codes::{BussinessDocType, StatusCode};
use crate::ids::{DocumentId, EdDate, EdTimestamp, OrganId};
use crate::lenient::Lenient;

/// An organisation in `From` or `To` (and `From` of a status message).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// `OrganId`: agency identifier from the national code list.
    pub organ_id: Option<Lenient<OrganId>>,
    /// `OrganizationInCharge`: the superior body.
    pub organization_in_charge: Option<String>,
    /// `OrganName`.
    pub organ_name: Option<String>,
    /// `OrganAdd`: postal address.
    pub organ_add: Option<String>,
    /// `Email`.
    pub email: Option<String>,
    /// `Telephone`.
    pub telephone: Option<String>,
    /// `Fax`.
    pub fax: Option<String>,
    /// `Website`.
    pub website: Option<String>,
}

/// `Code`: the document's number and notation, e.g. `7816` and `VPCP-TTĐT`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    /// `CodeNumber`.
    pub code_number: Option<String>,
    /// `CodeNotation`.
    pub code_notation: Option<String>,
}

/// `PromulgationInfo`: where and when the document was issued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromulgationInfo {
    /// `Place`.
    pub place: Option<String>,
    /// `PromulgationDate` (`yyyy/MM/dd`).
    pub promulgation_date: Option<Lenient<EdDate>>,
}

/// `DocumentType`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentType {
    /// `Type`: 1 for administrative documents in the samples.
    pub doc_type: Option<Lenient<u32>>,
    /// `TypeDetail` (sent by the hub's SDK; not in every message).
    pub type_detail: Option<Lenient<u32>>,
    /// `TypeName`, e.g. "Công văn".
    pub type_name: Option<String>,
}

/// `SignerInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerInfo {
    /// `Competence`: signing authority, e.g. "TL. BỘ TRƯỞNG".
    pub competence: Option<String>,
    /// `Position`.
    pub position: Option<String>,
    /// `FullName`.
    pub full_name: Option<String>,
}

/// `OtherInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherInfo {
    /// `Priority` (urgency code).
    pub priority: Option<Lenient<u8>>,
    /// `SphereOfPromulgation`, e.g. "Lưu hành nội bộ".
    pub sphere_of_promulgation: Option<String>,
    /// `TyperNotation`: initials of the typist.
    pub typer_notation: Option<String>,
    /// `PromulgationAmount`: number of copies.
    pub promulgation_amount: Option<Lenient<u32>>,
    /// `PageAmount`.
    pub page_amount: Option<Lenient<u32>>,
    /// `Direction` (`true`/`false`; sent by the hub's SDK).
    pub direction: Option<Lenient<bool>>,
    /// `Appendixes/Appendix`.
    pub appendixes: Vec<String>,
}

/// `ResponseFor`: the document this message answers or concerns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseFor {
    /// `OrganId`.
    pub organ_id: Option<Lenient<OrganId>>,
    /// `Code`: `Number/Notation`.
    pub code: Option<String>,
    /// `PromulgationDate`.
    pub promulgation_date: Option<Lenient<EdDate>>,
    /// `DocumentId`.
    pub document_id: Option<Lenient<DocumentId>>,
}

/// `MessageHeader` of a document message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageHeader {
    /// `From` (mandatory).
    pub from: Option<Organization>,
    /// `To`, one per recipient (at least one).
    pub to: Vec<Organization>,
    /// `Code` (mandatory).
    pub code: Option<Code>,
    /// `PromulgationInfo` (mandatory).
    pub promulgation_info: Option<PromulgationInfo>,
    /// `DocumentType` (mandatory).
    pub document_type: Option<DocumentType>,
    /// `Subject`: the summary (trích yếu), mandatory.
    pub subject: Option<String>,
    /// `Content`.
    pub content: Option<String>,
    /// `SignerInfo` (mandatory).
    pub signer_info: Option<SignerInfo>,
    /// `DueDate`: deadline for handling.
    pub due_date: Option<Lenient<EdDate>>,
    /// `ToPlaces/Place`: recipients named in the document's "Nơi nhận".
    pub to_places: Vec<String>,
    /// `OtherInfo`.
    pub other_info: Option<OtherInfo>,
    /// `ResponseFor`, one per answered document.
    pub response_for: Vec<ResponseFor>,
    /// `SteeringType`.
    pub steering_type: Option<Lenient<u8>>,
    /// `DocumentId`.
    pub document_id: Option<Lenient<DocumentId>>,
}

/// `TraceHeader`: one hop of the message's route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceHeader {
    /// `OrganId` of the hop.
    pub organ_id: Option<Lenient<OrganId>>,
    /// `Timestamp` of the hop.
    pub timestamp: Option<Lenient<EdTimestamp>>,
}

/// `StaffInfo`: the clerk who handled the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffInfo {
    /// `Department`.
    pub department: Option<String>,
    /// `Staff`: the person's name.
    pub staff: Option<String>,
    /// `Mobile`.
    pub mobile: Option<String>,
    /// `Email`.
    pub email: Option<String>,
}

/// `Receiver` inside `BussinessDocumentInfo/ReceiverList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receiver {
    /// `OrganId`.
    pub organ_id: Option<Lenient<OrganId>>,
    /// `ReceiverType` (0 or 1 in the samples: kept or added recipient).
    pub receiver_type: Option<Lenient<u8>>,
}

/// `BussinessDocumentInfo`: what an update (business type 2) changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BussinessDocumentInfo {
    /// `DocumentInfo`: 1 when the document's metadata changed.
    pub document_info: Option<Lenient<u8>>,
    /// `DocumentReceiver`: 1 when the list of recipients changed.
    pub document_receiver: Option<Lenient<u8>>,
    /// `ReceiverList/Receiver`.
    pub receivers: Vec<Receiver>,
}

/// `ReplacementInfo`: a document replaced by this one (business type 3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplacementInfo {
    /// `DocumentId` of the replaced document.
    pub document_id: Option<Lenient<DocumentId>>,
    /// `OrganIdList/OrganId`: recipients of the replaced document.
    pub organ_ids: Vec<Lenient<OrganId>>,
}

/// `Bussiness` (the standard's spelling): what this message does to a document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bussiness {
    /// `BussinessDocType`: new, revoke, update, replace.
    pub bussiness_doc_type: Option<Lenient<BussinessDocType>>,
    /// `BussinessDocReason`.
    pub bussiness_doc_reason: Option<String>,
    /// `BussinessDocumentInfo` (updates).
    pub bussiness_document_info: Option<BussinessDocumentInfo>,
    /// `DocumentId`.
    pub document_id: Option<Lenient<DocumentId>>,
    /// `StaffInfo`.
    pub staff_info: Option<StaffInfo>,
    /// `Paper`: 1 when a paper original is also sent.
    pub paper: Option<Lenient<u8>>,
    /// `ReplacementInfoList/ReplacementInfo` (replacements).
    pub replacement_info_list: Vec<ReplacementInfo>,
}

/// `TraceHeaderList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceHeaderList {
    /// `TraceHeader`, one per hop.
    pub trace_headers: Vec<TraceHeader>,
    /// `Bussiness`.
    pub bussiness: Option<Bussiness>,
}

/// A `Reference` of `SignedInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureReference {
    /// `URI` attribute.
    pub uri: Option<String>,
    /// `Transforms/Transform/@Algorithm`.
    pub transforms: Vec<String>,
    /// `DigestMethod/@Algorithm`.
    pub digest_method: Option<String>,
    /// `DigestValue` (base64, kept as text).
    pub digest_value: Option<String>,
}

/// The XML-DSig `Signature` in `edXMLHeader`, kept as data.
///
/// This crate does not verify it: verification needs canonicalisation of the signed
/// document and belongs with the other signature code. Re-serialising a message also
/// changes its bytes, so a forwarded signature no longer verifies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// `SignedInfo/CanonicalizationMethod/@Algorithm`.
    pub canonicalization_method: Option<String>,
    /// `SignedInfo/SignatureMethod/@Algorithm`.
    pub signature_method: Option<String>,
    /// `SignedInfo/Reference`.
    pub references: Vec<SignatureReference>,
    /// `SignatureValue` (base64, kept as text).
    pub signature_value: Option<String>,
    /// `KeyInfo/X509Data/X509SubjectName`.
    pub x509_subject_name: Option<String>,
    /// `KeyInfo/X509Data/X509Certificate` (base64 DER, kept as text).
    pub x509_certificates: Vec<String>,
}

/// A `Reference` of `edXMLBody/edXMLManifest`: the description of one attachment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestReference {
    /// `ContentId`, e.g. `cid:209`.
    pub content_id: Option<String>,
    /// `ContentType` (MIME type).
    pub content_type: Option<String>,
    /// `AttachmentName`.
    pub attachment_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
}

/// `edXMLManifest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `version` attribute ("1.0" in the samples).
    pub version: Option<String>,
    /// `Reference`, one per attachment.
    pub references: Vec<ManifestReference>,
}

/// The metadata of an attachment in `AttachmentEncoded/Attachment`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentMeta {
    /// `ContentId`, e.g. `cid:209`; ties the attachment to its manifest reference.
    pub content_id: Option<String>,
    /// `AttachmentName`: the file name.
    pub attachment_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `ContentType`: the MIME type.
    pub content_type: Option<String>,
}

/// An attachment with its decoded bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Name, type and identifiers.
    pub meta: AttachmentMeta,
    /// The decoded content (base64 in JSON). The streaming reader leaves it empty: the
    /// bytes went to the caller's sink instead.
    #[serde(with = "crate::serde_base64")]
    pub content: Vec<u8>,
}

/// An edXML document message (`edXMLEnvelope` plus `AttachmentEncoded`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdocMessage {
    /// `edXMLHeader/MessageHeader`.
    pub header: MessageHeader,
    /// `edXMLHeader/TraceHeaderList`.
    pub trace_header_list: Option<TraceHeaderList>,
    /// `edXMLHeader/Signature`.
    pub signature: Option<Signature>,
    /// `edXMLBody/edXMLManifest`.
    pub manifest: Option<Manifest>,
    /// `AttachmentEncoded/Attachment`, in document order.
    pub attachments: Vec<Attachment>,
}

/// An edXML status message: the recipient's answer about a document's handling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMessage {
    /// `From`: the organisation reporting the status (mandatory).
    pub from: Option<Organization>,
    /// `To`: the organisation told (the samples leave it out; the hub routes by
    /// `ResponseFor`).
    pub to: Option<Organization>,
    /// `ResponseFor`: the document concerned (mandatory).
    pub response_for: Option<ResponseFor>,
    /// `StaffInfo`: the clerk who changed the status.
    pub staff_info: Option<StaffInfo>,
    /// `StatusCode` 01–16 (mandatory).
    pub status_code: Option<Lenient<StatusCode>>,
    /// `Description`.
    pub description: Option<String>,
    /// `Timestamp` of the change (mandatory).
    pub timestamp: Option<Lenient<EdTimestamp>>,
}
