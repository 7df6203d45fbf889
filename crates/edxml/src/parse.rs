//! From XML nodes to the model: structure, namespaces and attachments. Field-level
//! checks (mandatory fields, formats, codes, consistency) live in `validate`.

use std::collections::HashSet;
use std::io::{self, BufRead, Write};
use std::marker::PhantomData;
use std::str::FromStr;

use crate::error::{Limits, ParseError};
use crate::issues::{FieldIssue, IssueKind, Severity};
use crate::lenient::Lenient;
use crate::model::*;
use crate::xmlin::{Node, Ns, StartTag, StreamOutcome, XmlIn};

/// Where attachment content goes while parsing.
pub(crate) trait AttachmentStore {
    /// Streams the content of the `ContentTransferEncoded` element just opened and
    /// returns what the model keeps (empty when the content went elsewhere).
    fn store<R: BufRead>(
        &mut self,
        meta: &AttachmentMeta,
        xml: &mut XmlIn<R>,
    ) -> Result<(Vec<u8>, StreamOutcome), ParseError>;
}

/// Keeps attachments in the model, within `Limits::max_in_memory_attachment_bytes`.
pub(crate) struct InMemory {
    pub used: u64,
}

impl AttachmentStore for InMemory {
    fn store<R: BufRead>(
        &mut self,
        meta: &AttachmentMeta,
        xml: &mut XmlIn<R>,
    ) -> Result<(Vec<u8>, StreamOutcome), ParseError> {
        let limit = xml
            .limits()
            .max_in_memory_attachment_bytes
            .saturating_sub(self.used);
        let mut content = Vec::new();
        let outcome = xml
            .stream_base64(&mut content, limit, "attachments kept in memory")?
            .map_err(|source| ParseError::Sink {
                content_id: meta.content_id.clone(),
                source,
            })?;
        self.used += outcome.decoded_len;
        Ok((content, outcome))
    }
}

/// Hands each attachment's content to a writer the caller opens per attachment.
pub(crate) struct Streaming<F, W> {
    pub open: F,
    pub writer: PhantomData<fn() -> W>,
}

impl<F, W> AttachmentStore for Streaming<F, W>
where
    F: FnMut(&AttachmentMeta) -> io::Result<W>,
    W: Write,
{
    fn store<R: BufRead>(
        &mut self,
        meta: &AttachmentMeta,
        xml: &mut XmlIn<R>,
    ) -> Result<(Vec<u8>, StreamOutcome), ParseError> {
        let sink_error = |source| ParseError::Sink {
            content_id: meta.content_id.clone(),
            source,
        };
        let mut writer = (self.open)(meta).map_err(sink_error)?;
        let limit = xml.limits().max_attachment_bytes;
        let outcome = xml
            .stream_base64(&mut writer, limit, "attachment")?
            .map_err(sink_error)?;
        Ok((Vec::new(), outcome))
    }
}

/// Either kind of message, as found in the input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
// Messages are read one at a time and moved out at once, so the size difference between
// the variants costs nothing worth an extra allocation.
#[allow(clippy::large_enum_variant)]
pub enum Message {
    /// A document message.
    Edoc(EdocMessage),
    /// A status message.
    Status(StatusMessage),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    Edoc,
    Status,
    Any,
}

/// Everything a `MessageHeader` may hold, before knowing which kind of message it is.
#[derive(Default)]
struct RawHeader {
    document: MessageHeader,
    staff_info: Option<StaffInfo>,
    status_code: Option<Lenient<crate::codes::StatusCode>>,
    description: Option<String>,
    timestamp: Option<Lenient<crate::ids::EdTimestamp>>,
    /// Paths of the elements seen, to tell a status message from a document message.
    document_fields_seen: Vec<String>,
}

struct Ctx<R, S> {
    xml: XmlIn<R>,
    store: S,
    issues: Vec<FieldIssue>,
    reported_prefixes: HashSet<String>,
    reported_namespaces: HashSet<String>,
}

pub(crate) fn read<R: BufRead, S: AttachmentStore>(
    input: R,
    limits: Limits,
    expect: Expect,
    store: S,
) -> Result<(Message, Vec<FieldIssue>), ParseError> {
    let mut ctx = Ctx {
        xml: XmlIn::new(input, limits),
        store,
        issues: Vec::new(),
        reported_prefixes: HashSet::new(),
        reported_namespaces: HashSet::new(),
    };
    let message = ctx.document(expect)?;
    let mut issues = ctx.issues;
    match &message {
        Message::Edoc(edoc) => issues.extend(crate::validate::validate_edoc(edoc)),
        Message::Status(status) => issues.extend(crate::validate::validate_status(status)),
    }
    Ok((message, issues))
}

impl<R: BufRead, S: AttachmentStore> Ctx<R, S> {
    fn issue(&mut self, path: &str, severity: Severity, kind: IssueKind, message: String) {
        self.issues.push(FieldIssue {
            path: path.to_owned(),
            severity,
            kind,
            message,
        });
    }

    /// Reports namespace problems of an element that should be in the edXML namespace,
    /// once per undeclared prefix or foreign namespace, so that one mistake near the root
    /// does not drown the report.
    fn check_namespace(&mut self, tag: &StartTag, path: &str) {
        match &tag.ns {
            Ns::Edxml => {}
            Ns::UndeclaredPrefix(prefix) => {
                if self.reported_prefixes.insert(prefix.clone()) {
                    self.issue(
                        path,
                        Severity::Error,
                        IssueKind::Namespace,
                        format!(
                            "namespace prefix {prefix:?} is used without a declaration in scope (from here on); its elements were read as edXML"
                        ),
                    );
                }
            }
            Ns::None => {
                if self.reported_namespaces.insert(String::new()) {
                    self.issue(
                        path,
                        Severity::Warning,
                        IssueKind::Namespace,
                        "element is in no namespace (from here on); read as edXML".to_owned(),
                    );
                }
            }
            Ns::Dsig | Ns::Other(_) => {
                let namespace = match &tag.ns {
                    Ns::Other(namespace) => namespace.clone(),
                    _ => crate::xmlin::DSIG_NAMESPACE.to_owned(),
                };
                if self.reported_namespaces.insert(namespace.clone()) {
                    self.issue(
                        path,
                        Severity::Warning,
                        IssueKind::Namespace,
                        format!("element is in namespace {namespace:?} instead of edXML's; read as edXML"),
                    );
                }
            }
        }
    }

    /// The next child element of the current element, or `None` at its end tag.
    fn child(&mut self, parent_path: &str) -> Result<Option<StartTag>, ParseError> {
        loop {
            match self.xml.next()? {
                Node::Start(tag) => return Ok(Some(tag)),
                Node::End => return Ok(None),
                Node::Text { text, position } => {
                    if !is_xml_whitespace(&text) {
                        self.issue(
                            parent_path,
                            Severity::Warning,
                            IssueKind::StrayText,
                            format!(
                                "text {:?} between elements ignored ({position})",
                                shorten(&text)
                            ),
                        );
                    }
                }
                Node::Eof { position } => return Err(ParseError::UnexpectedEof { position }),
            }
        }
    }

    /// The text content of a leaf element; child elements inside it are reported and
    /// skipped.
    fn text(&mut self, tag: &StartTag, path: &str) -> Result<String, ParseError> {
        let mut text = String::new();
        if tag.empty {
            // Consume the synthetic end tag.
            self.xml.next()?;
            return Ok(text);
        }
        loop {
            match self.xml.next()? {
                Node::Text { text: piece, .. } => text.push_str(&piece),
                Node::Start(child) => {
                    self.issue(
                        path,
                        Severity::Warning,
                        IssueKind::UnknownElement,
                        format!("element {} inside a text field ignored", child.local),
                    );
                    self.skip(&child)?;
                }
                Node::End => return Ok(text),
                Node::Eof { position } => return Err(ParseError::UnexpectedEof { position }),
            }
        }
    }

    /// Skips an element and everything inside it.
    fn skip(&mut self, tag: &StartTag) -> Result<(), ParseError> {
        let mut open = if tag.empty { 0usize } else { 1 };
        if tag.empty {
            self.xml.next()?;
        }
        while open > 0 {
            match self.xml.next()? {
                Node::Start(child) => {
                    if !child.empty {
                        open += 1;
                    }
                }
                Node::End => open -= 1,
                Node::Text { .. } => {}
                Node::Eof { position } => return Err(ParseError::UnexpectedEof { position }),
            }
        }
        Ok(())
    }

    fn unknown(&mut self, tag: &StartTag, parent_path: &str) -> Result<(), ParseError> {
        self.issue(
            &format!("{parent_path}/{}", tag.local),
            Severity::Warning,
            IssueKind::UnknownElement,
            format!("unknown element {} ignored", tag.local),
        );
        self.skip(tag)
    }

    fn duplicate(&mut self, tag: &StartTag, path: &str) -> Result<(), ParseError> {
        self.issue(
            path,
            Severity::Warning,
            IssueKind::Duplicate,
            format!(
                "{} appears more than once; the first one is kept",
                tag.local
            ),
        );
        self.skip(tag)
    }

    /// Reads a single-valued text field.
    fn text_field(
        &mut self,
        slot: &mut Option<String>,
        tag: &StartTag,
        parent_path: &str,
    ) -> Result<(), ParseError> {
        let path = format!("{parent_path}/{}", tag.local);
        self.check_namespace(tag, &path);
        if slot.is_some() {
            return self.duplicate(tag, &path);
        }
        *slot = Some(self.text(tag, &path)?);
        Ok(())
    }

    /// Reads a single-valued typed field.
    fn typed_field<T: FromStr>(
        &mut self,
        slot: &mut Option<Lenient<T>>,
        tag: &StartTag,
        parent_path: &str,
    ) -> Result<(), ParseError> {
        let path = format!("{parent_path}/{}", tag.local);
        self.check_namespace(tag, &path);
        if slot.is_some() {
            return self.duplicate(tag, &path);
        }
        let text = self.text(tag, &path)?;
        *slot = Some(Lenient::parse(&text));
        Ok(())
    }

    /// Reads a list of text elements named `item` inside a wrapper element.
    fn text_list(
        &mut self,
        tag: &StartTag,
        path: &str,
        item: &str,
    ) -> Result<Vec<String>, ParseError> {
        let mut items = Vec::new();
        if tag.empty {
            self.xml.next()?;
            return Ok(items);
        }
        while let Some(child) = self.child(path)? {
            if child.local == item {
                let child_path = format!("{path}/{item}[{}]", items.len() + 1);
                self.check_namespace(&child, &child_path);
                items.push(self.text(&child, &child_path)?);
            } else {
                self.unknown(&child, path)?;
            }
        }
        Ok(items)
    }

    fn end_of_empty(&mut self, tag: &StartTag) -> Result<bool, ParseError> {
        if tag.empty {
            self.xml.next()?;
        }
        Ok(tag.empty)
    }

    fn document(&mut self, expect: Expect) -> Result<Message, ParseError> {
        // Prolog: anything but whitespace, comments and the declaration is a defect.
        let root = loop {
            match self.xml.next()? {
                Node::Start(tag) => break tag,
                Node::Text { text, position } => {
                    if !is_xml_whitespace(&text) {
                        self.issue(
                            "edXML",
                            Severity::Error,
                            IssueKind::StrayText,
                            format!(
                                "text {:?} before the root element ignored ({position}); strict XML parsers refuse such a file",
                                shorten(&text)
                            ),
                        );
                    }
                }
                Node::End => {
                    return Err(ParseError::Xml {
                        position: self.xml.position(),
                        message: "end tag before any element".to_owned(),
                    })
                }
                Node::Eof { position } => return Err(ParseError::UnexpectedEof { position }),
            }
        };
        if root.local != "edXML" {
            return Err(ParseError::Root {
                found: root.local,
                position: root.position,
            });
        }
        self.check_namespace(&root, "edXML");

        let mut header: Option<RawHeader> = None;
        let mut trace_header_list = None;
        let mut signature = None;
        let mut manifest = None;
        let mut attachments = Vec::new();
        let mut attachments_seen = false;
        if !self.end_of_empty(&root)? {
            while let Some(tag) = self.child("edXML")? {
                match tag.local.as_str() {
                    "edXMLEnvelope" => {
                        self.check_namespace(&tag, "edXMLEnvelope");
                        if self.end_of_empty(&tag)? {
                            continue;
                        }
                        while let Some(part) = self.child("edXMLEnvelope")? {
                            match part.local.as_str() {
                                "edXMLHeader" => {
                                    self.check_namespace(&part, "edXMLHeader");
                                    self.header_parts(
                                        &part,
                                        &mut header,
                                        &mut trace_header_list,
                                        &mut signature,
                                    )?;
                                }
                                "edXMLBody" => {
                                    self.check_namespace(&part, "edXMLBody");
                                    self.body(&part, &mut manifest)?;
                                }
                                _ => self.unknown(&part, "edXMLEnvelope")?,
                            }
                        }
                    }
                    "AttachmentEncoded" => {
                        self.check_namespace(&tag, "AttachmentEncoded");
                        if attachments_seen {
                            self.issue(
                                "AttachmentEncoded",
                                Severity::Warning,
                                IssueKind::Duplicate,
                                "AttachmentEncoded appears more than once; attachments of all of them are kept".to_owned(),
                            );
                        }
                        attachments_seen = true;
                        self.attachments(&tag, &mut attachments)?;
                    }
                    _ => self.unknown(&tag, "edXML")?,
                }
            }
        }
        // After the root: only whitespace, comments and processing instructions.
        loop {
            match self.xml.next()? {
                Node::Eof { .. } => break,
                Node::Text { text, position } => {
                    if !is_xml_whitespace(&text) {
                        self.issue(
                            "edXML",
                            Severity::Error,
                            IssueKind::StrayText,
                            format!(
                                "text {:?} after the root element ignored ({position})",
                                shorten(&text)
                            ),
                        );
                    }
                }
                Node::Start(tag) => {
                    return Err(ParseError::Xml {
                        position: tag.position,
                        message: format!("second root element <{}>", tag.local),
                    })
                }
                Node::End => {
                    return Err(ParseError::Xml {
                        position: self.xml.position(),
                        message: "unmatched end tag after the root element".to_owned(),
                    })
                }
            }
        }

        let header = header.unwrap_or_default();
        let is_status = header.status_code.is_some();
        match (expect, is_status) {
            (Expect::Edoc, true) => {
                return Err(ParseError::WrongKind {
                    expected: "document",
                    found: "status",
                })
            }
            (Expect::Status, false)
                if header
                    .document_fields_seen
                    .iter()
                    .any(|field| !matches!(field.as_str(), "From" | "To" | "ResponseFor")) =>
            {
                return Err(ParseError::WrongKind {
                    expected: "status",
                    found: "document",
                })
            }
            _ => {}
        }
        if is_status || expect == Expect::Status {
            Ok(Message::Status(self.status_from_header(
                header,
                trace_header_list.is_some(),
                signature.is_some(),
                manifest.is_some() || !attachments.is_empty(),
            )))
        } else {
            self.extras_in_document(&header);
            Ok(Message::Edoc(EdocMessage {
                header: header.document,
                trace_header_list,
                signature,
                manifest,
                attachments,
            }))
        }
    }

    fn extras_in_document(&mut self, header: &RawHeader) {
        let extras = [
            ("StaffInfo", header.staff_info.is_some()),
            ("Description", header.description.is_some()),
            ("Timestamp", header.timestamp.is_some()),
        ];
        for (name, present) in extras {
            if present {
                self.issue(
                    &format!("MessageHeader/{name}"),
                    Severity::Warning,
                    IssueKind::UnknownElement,
                    format!("{name} belongs to status messages; ignored in a document message"),
                );
            }
        }
    }

    fn status_from_header(
        &mut self,
        header: RawHeader,
        has_trace: bool,
        has_signature: bool,
        has_body: bool,
    ) -> StatusMessage {
        for field in &header.document_fields_seen {
            if !matches!(field.as_str(), "From" | "To" | "ResponseFor") {
                self.issue(
                    &format!("MessageHeader/{field}"),
                    Severity::Warning,
                    IssueKind::UnknownElement,
                    format!("{field} belongs to document messages; ignored in a status message"),
                );
            }
        }
        for (name, present) in [
            ("TraceHeaderList", has_trace),
            ("Signature", has_signature),
            ("edXMLBody", has_body),
        ] {
            if present {
                self.issue(
                    name,
                    Severity::Warning,
                    IssueKind::UnknownElement,
                    format!("{name} in a status message ignored"),
                );
            }
        }
        let mut document = header.document;
        if document.to.len() > 1 {
            self.issue(
                "MessageHeader/To",
                Severity::Warning,
                IssueKind::Duplicate,
                "a status message has one To; the first one is kept".to_owned(),
            );
        }
        if document.response_for.len() > 1 {
            self.issue(
                "MessageHeader/ResponseFor",
                Severity::Warning,
                IssueKind::Duplicate,
                "a status message answers one document; the first ResponseFor is kept".to_owned(),
            );
        }
        StatusMessage {
            from: document.from.take(),
            to: (!document.to.is_empty()).then(|| document.to.remove(0)),
            response_for: (!document.response_for.is_empty())
                .then(|| document.response_for.remove(0)),
            staff_info: header.staff_info,
            status_code: header.status_code,
            description: header.description,
            timestamp: header.timestamp,
        }
    }

    fn header_parts(
        &mut self,
        tag: &StartTag,
        header: &mut Option<RawHeader>,
        trace_header_list: &mut Option<TraceHeaderList>,
        signature: &mut Option<Signature>,
    ) -> Result<(), ParseError> {
        if self.end_of_empty(tag)? {
            return Ok(());
        }
        while let Some(part) = self.child("edXMLHeader")? {
            match part.local.as_str() {
                "MessageHeader" => {
                    self.check_namespace(&part, "MessageHeader");
                    if header.is_some() {
                        self.duplicate(&part, "MessageHeader")?;
                    } else {
                        *header = Some(self.message_header(&part)?);
                    }
                }
                "TraceHeaderList" => {
                    self.check_namespace(&part, "TraceHeaderList");
                    if trace_header_list.is_some() {
                        self.duplicate(&part, "TraceHeaderList")?;
                    } else {
                        *trace_header_list = Some(self.trace_header_list(&part)?);
                    }
                }
                "Signature" => {
                    if part.ns != Ns::Dsig {
                        self.issue(
                            "Signature",
                            Severity::Warning,
                            IssueKind::Namespace,
                            format!(
                                "Signature is not in the XML-DSig namespace {:?}; read anyway",
                                crate::xmlin::DSIG_NAMESPACE
                            ),
                        );
                    }
                    if signature.is_some() {
                        self.duplicate(&part, "Signature")?;
                    } else {
                        *signature = Some(self.signature(&part)?);
                    }
                }
                _ => self.unknown(&part, "edXMLHeader")?,
            }
        }
        Ok(())
    }

    fn message_header(&mut self, tag: &StartTag) -> Result<RawHeader, ParseError> {
        const PATH: &str = "MessageHeader";
        let mut raw = RawHeader::default();
        if self.end_of_empty(tag)? {
            return Ok(raw);
        }
        while let Some(child) = self.child(PATH)? {
            let name = child.local.clone();
            let header = &mut raw.document;
            match name.as_str() {
                "From" => {
                    let path = format!("{PATH}/From");
                    self.check_namespace(&child, &path);
                    if header.from.is_some() {
                        self.duplicate(&child, &path)?;
                    } else {
                        header.from = Some(self.organization(&child, &path)?);
                    }
                }
                "To" => {
                    let path = format!("{PATH}/To[{}]", header.to.len() + 1);
                    self.check_namespace(&child, &path);
                    let organization = self.organization(&child, &path)?;
                    raw.document.to.push(organization);
                }
                "Code" => {
                    let path = format!("{PATH}/Code");
                    self.check_namespace(&child, &path);
                    if header.code.is_some() {
                        self.duplicate(&child, &path)?;
                    } else {
                        let code = self.code(&child, &path)?;
                        raw.document.code = Some(code);
                    }
                }
                "PromulgationInfo" => {
                    let path = format!("{PATH}/PromulgationInfo");
                    self.check_namespace(&child, &path);
                    if header.promulgation_info.is_some() {
                        self.duplicate(&child, &path)?;
                    } else {
                        let info = self.promulgation_info(&child, &path)?;
                        raw.document.promulgation_info = Some(info);
                    }
                }
                "DocumentType" => {
                    let path = format!("{PATH}/DocumentType");
                    self.check_namespace(&child, &path);
                    if header.document_type.is_some() {
                        self.duplicate(&child, &path)?;
                    } else {
                        let document_type = self.document_type(&child, &path)?;
                        raw.document.document_type = Some(document_type);
                    }
                }
                "Subject" => {
                    let mut slot = header.subject.take();
                    self.text_field(&mut slot, &child, PATH)?;
                    raw.document.subject = slot;
                }
                "Content" => {
                    let mut slot = header.content.take();
                    self.text_field(&mut slot, &child, PATH)?;
                    raw.document.content = slot;
                }
                "SignerInfo" => {
                    let path = format!("{PATH}/SignerInfo");
                    self.check_namespace(&child, &path);
                    if header.signer_info.is_some() {
                        self.duplicate(&child, &path)?;
                    } else {
                        let signer = self.signer_info(&child, &path)?;
                        raw.document.signer_info = Some(signer);
                    }
                }
                "DueDate" => {
                    let mut slot = header.due_date.take();
                    self.typed_field(&mut slot, &child, PATH)?;
                    raw.document.due_date = slot;
                }
                "ToPlaces" => {
                    let path = format!("{PATH}/ToPlaces");
                    self.check_namespace(&child, &path);
                    let places = self.text_list(&child, &path, "Place")?;
                    raw.document.to_places.extend(places);
                }
                "OtherInfo" => {
                    let path = format!("{PATH}/OtherInfo");
                    self.check_namespace(&child, &path);
                    if header.other_info.is_some() {
                        self.duplicate(&child, &path)?;
                    } else {
                        let other = self.other_info(&child, &path)?;
                        raw.document.other_info = Some(other);
                    }
                }
                "ResponseFor" => {
                    let path = format!("{PATH}/ResponseFor[{}]", header.response_for.len() + 1);
                    self.check_namespace(&child, &path);
                    let response = self.response_for(&child, &path)?;
                    raw.document.response_for.push(response);
                }
                "SteeringType" => {
                    let mut slot = header.steering_type.take();
                    self.typed_field(&mut slot, &child, PATH)?;
                    raw.document.steering_type = slot;
                }
                "DocumentId" => {
                    let mut slot = header.document_id.take();
                    self.typed_field(&mut slot, &child, PATH)?;
                    raw.document.document_id = slot;
                }
                "StaffInfo" => {
                    let path = format!("{PATH}/StaffInfo");
                    self.check_namespace(&child, &path);
                    if raw.staff_info.is_some() {
                        self.duplicate(&child, &path)?;
                    } else {
                        raw.staff_info = Some(self.staff_info(&child, &path)?);
                    }
                }
                "StatusCode" => {
                    let mut slot = raw.status_code.take();
                    self.typed_field(&mut slot, &child, PATH)?;
                    raw.status_code = slot;
                }
                "Description" => {
                    let mut slot = raw.description.take();
                    self.text_field(&mut slot, &child, PATH)?;
                    raw.description = slot;
                }
                "Timestamp" => {
                    let mut slot = raw.timestamp.take();
                    self.typed_field(&mut slot, &child, PATH)?;
                    raw.timestamp = slot;
                }
                _ => {
                    self.unknown(&child, PATH)?;
                    continue;
                }
            }
            if !matches!(
                name.as_str(),
                "StaffInfo" | "StatusCode" | "Description" | "Timestamp"
            ) && !raw.document_fields_seen.contains(&name)
            {
                raw.document_fields_seen.push(name);
            }
        }
        Ok(raw)
    }

    fn organization(&mut self, tag: &StartTag, path: &str) -> Result<Organization, ParseError> {
        let mut organization = Organization::default();
        if self.end_of_empty(tag)? {
            return Ok(organization);
        }
        while let Some(child) = self.child(path)? {
            let o = &mut organization;
            match child.local.as_str() {
                "OrganId" => self.typed_field(&mut o.organ_id, &child, path)?,
                "OrganizationInCharge" => {
                    self.text_field(&mut o.organization_in_charge, &child, path)?
                }
                "OrganName" => self.text_field(&mut o.organ_name, &child, path)?,
                "OrganAdd" => self.text_field(&mut o.organ_add, &child, path)?,
                "Email" => self.text_field(&mut o.email, &child, path)?,
                "Telephone" => self.text_field(&mut o.telephone, &child, path)?,
                "Fax" => self.text_field(&mut o.fax, &child, path)?,
                "Website" => self.text_field(&mut o.website, &child, path)?,
                _ => self.unknown(&child, path)?,
            }
        }
        Ok(organization)
    }

    fn code(&mut self, tag: &StartTag, path: &str) -> Result<Code, ParseError> {
        let mut code = Code::default();
        if self.end_of_empty(tag)? {
            return Ok(code);
        }
        while let Some(child) = self.child(path)? {
            match child.local.as_str() {
                "CodeNumber" => self.text_field(&mut code.code_number, &child, path)?,
                "CodeNotation" => self.text_field(&mut code.code_notation, &child, path)?,
                _ => self.unknown(&child, path)?,
            }
        }
        Ok(code)
    }

    fn promulgation_info(
        &mut self,
        tag: &StartTag,
        path: &str,
    ) -> Result<PromulgationInfo, ParseError> {
        let mut info = PromulgationInfo::default();
        if self.end_of_empty(tag)? {
            return Ok(info);
        }
        while let Some(child) = self.child(path)? {
            match child.local.as_str() {
                "Place" => self.text_field(&mut info.place, &child, path)?,
                "PromulgationDate" => {
                    self.typed_field(&mut info.promulgation_date, &child, path)?
                }
                _ => self.unknown(&child, path)?,
            }
        }
        Ok(info)
    }

    fn document_type(&mut self, tag: &StartTag, path: &str) -> Result<DocumentType, ParseError> {
        let mut document_type = DocumentType::default();
        if self.end_of_empty(tag)? {
            return Ok(document_type);
        }
        while let Some(child) = self.child(path)? {
            let d = &mut document_type;
            match child.local.as_str() {
                "Type" => self.typed_field(&mut d.doc_type, &child, path)?,
                "TypeDetail" => self.typed_field(&mut d.type_detail, &child, path)?,
                "TypeName" => self.text_field(&mut d.type_name, &child, path)?,
                _ => self.unknown(&child, path)?,
            }
        }
        Ok(document_type)
    }

    fn signer_info(&mut self, tag: &StartTag, path: &str) -> Result<SignerInfo, ParseError> {
        let mut signer = SignerInfo::default();
        if self.end_of_empty(tag)? {
            return Ok(signer);
        }
        while let Some(child) = self.child(path)? {
            match child.local.as_str() {
                "Competence" => self.text_field(&mut signer.competence, &child, path)?,
                "Position" => self.text_field(&mut signer.position, &child, path)?,
                "FullName" => self.text_field(&mut signer.full_name, &child, path)?,
                _ => self.unknown(&child, path)?,
            }
        }
        Ok(signer)
    }

    fn other_info(&mut self, tag: &StartTag, path: &str) -> Result<OtherInfo, ParseError> {
        let mut other = OtherInfo::default();
        if self.end_of_empty(tag)? {
            return Ok(other);
        }
        while let Some(child) = self.child(path)? {
            let o = &mut other;
            match child.local.as_str() {
                "Priority" => self.typed_field(&mut o.priority, &child, path)?,
                "SphereOfPromulgation" => {
                    self.text_field(&mut o.sphere_of_promulgation, &child, path)?
                }
                "TyperNotation" => self.text_field(&mut o.typer_notation, &child, path)?,
                "PromulgationAmount" => {
                    self.typed_field(&mut o.promulgation_amount, &child, path)?
                }
                "PageAmount" => self.typed_field(&mut o.page_amount, &child, path)?,
                "Direction" => self.typed_field(&mut o.direction, &child, path)?,
                "Appendixes" => {
                    let list_path = format!("{path}/Appendixes");
                    self.check_namespace(&child, &list_path);
                    let appendixes = self.text_list(&child, &list_path, "Appendix")?;
                    other.appendixes.extend(appendixes);
                }
                _ => self.unknown(&child, path)?,
            }
        }
        Ok(other)
    }

    fn response_for(&mut self, tag: &StartTag, path: &str) -> Result<ResponseFor, ParseError> {
        let mut response = ResponseFor::default();
        if self.end_of_empty(tag)? {
            return Ok(response);
        }
        while let Some(child) = self.child(path)? {
            let r = &mut response;
            match child.local.as_str() {
                "OrganId" => self.typed_field(&mut r.organ_id, &child, path)?,
                "Code" => self.text_field(&mut r.code, &child, path)?,
                "PromulgationDate" => self.typed_field(&mut r.promulgation_date, &child, path)?,
                "DocumentId" => self.typed_field(&mut r.document_id, &child, path)?,
                _ => self.unknown(&child, path)?,
            }
        }
        Ok(response)
    }

    fn staff_info(&mut self, tag: &StartTag, path: &str) -> Result<StaffInfo, ParseError> {
        let mut staff = StaffInfo::default();
        if self.end_of_empty(tag)? {
            return Ok(staff);
        }
        while let Some(child) = self.child(path)? {
            let s = &mut staff;
            match child.local.as_str() {
                "Department" => self.text_field(&mut s.department, &child, path)?,
                "Staff" => self.text_field(&mut s.staff, &child, path)?,
                "Mobile" => self.text_field(&mut s.mobile, &child, path)?,
                "Email" => self.text_field(&mut s.email, &child, path)?,
                _ => self.unknown(&child, path)?,
            }
        }
        Ok(staff)
    }

    fn trace_header_list(&mut self, tag: &StartTag) -> Result<TraceHeaderList, ParseError> {
        const PATH: &str = "TraceHeaderList";
        let mut list = TraceHeaderList::default();
        if self.end_of_empty(tag)? {
            return Ok(list);
        }
        while let Some(child) = self.child(PATH)? {
            match child.local.as_str() {
                "TraceHeader" => {
                    let path = format!("{PATH}/TraceHeader[{}]", list.trace_headers.len() + 1);
                    self.check_namespace(&child, &path);
                    let mut trace = TraceHeader::default();
                    if !self.end_of_empty(&child)? {
                        while let Some(field) = self.child(&path)? {
                            match field.local.as_str() {
                                "OrganId" => {
                                    self.typed_field(&mut trace.organ_id, &field, &path)?
                                }
                                "Timestamp" => {
                                    self.typed_field(&mut trace.timestamp, &field, &path)?
                                }
                                _ => self.unknown(&field, &path)?,
                            }
                        }
                    }
                    list.trace_headers.push(trace);
                }
                "Bussiness" => {
                    let path = format!("{PATH}/Bussiness");
                    self.check_namespace(&child, &path);
                    if list.bussiness.is_some() {
                        self.duplicate(&child, &path)?;
                    } else {
                        list.bussiness = Some(self.bussiness(&child, &path)?);
                    }
                }
                _ => self.unknown(&child, PATH)?,
            }
        }
        Ok(list)
    }

    fn bussiness(&mut self, tag: &StartTag, path: &str) -> Result<Bussiness, ParseError> {
        let mut bussiness = Bussiness::default();
        if self.end_of_empty(tag)? {
            return Ok(bussiness);
        }
        while let Some(child) = self.child(path)? {
            let b = &mut bussiness;
            match child.local.as_str() {
                "BussinessDocType" => self.typed_field(&mut b.bussiness_doc_type, &child, path)?,
                "BussinessDocReason" => {
                    self.text_field(&mut b.bussiness_doc_reason, &child, path)?
                }
                "DocumentId" => self.typed_field(&mut b.document_id, &child, path)?,
                "Paper" => self.typed_field(&mut b.paper, &child, path)?,
                "StaffInfo" => {
                    let staff_path = format!("{path}/StaffInfo");
                    self.check_namespace(&child, &staff_path);
                    if b.staff_info.is_some() {
                        self.duplicate(&child, &staff_path)?;
                    } else {
                        let staff = self.staff_info(&child, &staff_path)?;
                        bussiness.staff_info = Some(staff);
                    }
                }
                "BussinessDocumentInfo" => {
                    let info_path = format!("{path}/BussinessDocumentInfo");
                    self.check_namespace(&child, &info_path);
                    if b.bussiness_document_info.is_some() {
                        self.duplicate(&child, &info_path)?;
                    } else {
                        let info = self.bussiness_document_info(&child, &info_path)?;
                        bussiness.bussiness_document_info = Some(info);
                    }
                }
                "ReplacementInfoList" => {
                    let list_path = format!("{path}/ReplacementInfoList");
                    self.check_namespace(&child, &list_path);
                    let replaced = self.replacement_info_list(&child, &list_path)?;
                    bussiness.replacement_info_list.extend(replaced);
                }
                _ => self.unknown(&child, path)?,
            }
        }
        Ok(bussiness)
    }

    fn bussiness_document_info(
        &mut self,
        tag: &StartTag,
        path: &str,
    ) -> Result<BussinessDocumentInfo, ParseError> {
        let mut info = BussinessDocumentInfo::default();
        if self.end_of_empty(tag)? {
            return Ok(info);
        }
        while let Some(child) = self.child(path)? {
            match child.local.as_str() {
                "DocumentInfo" => self.typed_field(&mut info.document_info, &child, path)?,
                "DocumentReceiver" => {
                    self.typed_field(&mut info.document_receiver, &child, path)?
                }
                "ReceiverList" => {
                    let list_path = format!("{path}/ReceiverList");
                    self.check_namespace(&child, &list_path);
                    if self.end_of_empty(&child)? {
                        continue;
                    }
                    while let Some(item) = self.child(&list_path)? {
                        if item.local != "Receiver" {
                            self.unknown(&item, &list_path)?;
                            continue;
                        }
                        let item_path =
                            format!("{list_path}/Receiver[{}]", info.receivers.len() + 1);
                        self.check_namespace(&item, &item_path);
                        let mut receiver = Receiver::default();
                        if !self.end_of_empty(&item)? {
                            while let Some(field) = self.child(&item_path)? {
                                match field.local.as_str() {
                                    "OrganId" => self.typed_field(
                                        &mut receiver.organ_id,
                                        &field,
                                        &item_path,
                                    )?,
                                    "ReceiverType" => self.typed_field(
                                        &mut receiver.receiver_type,
                                        &field,
                                        &item_path,
                                    )?,
                                    _ => self.unknown(&field, &item_path)?,
                                }
                            }
                        }
                        info.receivers.push(receiver);
                    }
                }
                _ => self.unknown(&child, path)?,
            }
        }
        Ok(info)
    }

    fn replacement_info_list(
        &mut self,
        tag: &StartTag,
        path: &str,
    ) -> Result<Vec<ReplacementInfo>, ParseError> {
        let mut list = Vec::new();
        if self.end_of_empty(tag)? {
            return Ok(list);
        }
        while let Some(item) = self.child(path)? {
            if item.local != "ReplacementInfo" {
                self.unknown(&item, path)?;
                continue;
            }
            let item_path = format!("{path}/ReplacementInfo[{}]", list.len() + 1);
            self.check_namespace(&item, &item_path);
            let mut info = ReplacementInfo::default();
            if !self.end_of_empty(&item)? {
                while let Some(field) = self.child(&item_path)? {
                    match field.local.as_str() {
                        "DocumentId" => {
                            self.typed_field(&mut info.document_id, &field, &item_path)?
                        }
                        "OrganIdList" => {
                            let list_path = format!("{item_path}/OrganIdList");
                            self.check_namespace(&field, &list_path);
                            let ids = self.text_list(&field, &list_path, "OrganId")?;
                            info.organ_ids
                                .extend(ids.iter().map(|text| Lenient::parse(text)));
                        }
                        _ => self.unknown(&field, &item_path)?,
                    }
                }
            }
            list.push(info);
        }
        Ok(list)
    }

    fn signature(&mut self, tag: &StartTag) -> Result<Signature, ParseError> {
        let mut signature = Signature::default();
        if self.end_of_empty(tag)? {
            return Ok(signature);
        }
        // Namespaces inside the signature are not checked: its children inherit whatever
        // the Signature element declared.
        while let Some(child) = self.child("Signature")? {
            match child.local.as_str() {
                "SignedInfo" => {
                    if self.end_of_empty(&child)? {
                        continue;
                    }
                    while let Some(part) = self.child("Signature/SignedInfo")? {
                        match part.local.as_str() {
                            "CanonicalizationMethod" => {
                                signature.canonicalization_method =
                                    part.attribute("Algorithm").map(str::to_owned);
                                self.skip(&part)?;
                            }
                            "SignatureMethod" => {
                                signature.signature_method =
                                    part.attribute("Algorithm").map(str::to_owned);
                                self.skip(&part)?;
                            }
                            "Reference" => {
                                let reference = self.signature_reference(&part)?;
                                signature.references.push(reference);
                            }
                            _ => self.unknown(&part, "Signature/SignedInfo")?,
                        }
                    }
                }
                "SignatureValue" => {
                    let value = self.text(&child, "Signature/SignatureValue")?;
                    signature.signature_value = Some(value);
                }
                "KeyInfo" => {
                    if self.end_of_empty(&child)? {
                        continue;
                    }
                    while let Some(part) = self.child("Signature/KeyInfo")? {
                        if part.local != "X509Data" {
                            self.unknown(&part, "Signature/KeyInfo")?;
                            continue;
                        }
                        if self.end_of_empty(&part)? {
                            continue;
                        }
                        const X509: &str = "Signature/KeyInfo/X509Data";
                        while let Some(item) = self.child(X509)? {
                            match item.local.as_str() {
                                "X509SubjectName" => {
                                    let name = self.text(&item, X509)?;
                                    signature.x509_subject_name = Some(name);
                                }
                                "X509Certificate" => {
                                    let certificate = self.text(&item, X509)?;
                                    signature.x509_certificates.push(certificate);
                                }
                                _ => self.unknown(&item, X509)?,
                            }
                        }
                    }
                }
                _ => self.unknown(&child, "Signature")?,
            }
        }
        Ok(signature)
    }

    fn signature_reference(&mut self, tag: &StartTag) -> Result<SignatureReference, ParseError> {
        const PATH: &str = "Signature/SignedInfo/Reference";
        let mut reference = SignatureReference {
            uri: tag.attribute("URI").map(str::to_owned),
            ..SignatureReference::default()
        };
        if self.end_of_empty(tag)? {
            return Ok(reference);
        }
        while let Some(part) = self.child(PATH)? {
            match part.local.as_str() {
                "Transforms" => {
                    if self.end_of_empty(&part)? {
                        continue;
                    }
                    while let Some(transform) =
                        self.child("Signature/SignedInfo/Reference/Transforms")?
                    {
                        if let Some(algorithm) = transform.attribute("Algorithm") {
                            reference.transforms.push(algorithm.to_owned());
                        }
                        self.skip(&transform)?;
                    }
                }
                "DigestMethod" => {
                    reference.digest_method = part.attribute("Algorithm").map(str::to_owned);
                    self.skip(&part)?;
                }
                "DigestValue" => {
                    let value = self.text(&part, PATH)?;
                    reference.digest_value = Some(value);
                }
                _ => self.unknown(&part, PATH)?,
            }
        }
        Ok(reference)
    }

    fn body(&mut self, tag: &StartTag, manifest: &mut Option<Manifest>) -> Result<(), ParseError> {
        if self.end_of_empty(tag)? {
            return Ok(());
        }
        while let Some(part) = self.child("edXMLBody")? {
            if part.local != "edXMLManifest" {
                self.unknown(&part, "edXMLBody")?;
                continue;
            }
            const PATH: &str = "edXMLBody/edXMLManifest";
            self.check_namespace(&part, PATH);
            if manifest.is_some() {
                self.duplicate(&part, PATH)?;
                continue;
            }
            let mut found = Manifest {
                version: part.attribute("version").map(str::to_owned),
                references: Vec::new(),
            };
            if !self.end_of_empty(&part)? {
                while let Some(item) = self.child(PATH)? {
                    if item.local != "Reference" {
                        self.unknown(&item, PATH)?;
                        continue;
                    }
                    let path = format!("{PATH}/Reference[{}]", found.references.len() + 1);
                    self.check_namespace(&item, &path);
                    let mut reference = ManifestReference::default();
                    if !self.end_of_empty(&item)? {
                        while let Some(field) = self.child(&path)? {
                            let r = &mut reference;
                            match field.local.as_str() {
                                "ContentId" => self.text_field(&mut r.content_id, &field, &path)?,
                                "ContentType" => {
                                    self.text_field(&mut r.content_type, &field, &path)?
                                }
                                "AttachmentName" => {
                                    self.text_field(&mut r.attachment_name, &field, &path)?
                                }
                                "Description" => {
                                    self.text_field(&mut r.description, &field, &path)?
                                }
                                _ => self.unknown(&field, &path)?,
                            }
                        }
                    }
                    found.references.push(reference);
                }
            }
            *manifest = Some(found);
        }
        Ok(())
    }

    fn attachments(
        &mut self,
        tag: &StartTag,
        attachments: &mut Vec<Attachment>,
    ) -> Result<(), ParseError> {
        if self.end_of_empty(tag)? {
            return Ok(());
        }
        while let Some(item) = self.child("AttachmentEncoded")? {
            if item.local != "Attachment" {
                self.unknown(&item, "AttachmentEncoded")?;
                continue;
            }
            let path = format!("AttachmentEncoded/Attachment[{}]", attachments.len() + 1);
            self.check_namespace(&item, &path);
            let mut attachment = Attachment::default();
            let mut content_seen = false;
            if !self.end_of_empty(&item)? {
                while let Some(field) = self.child(&path)? {
                    let meta = &mut attachment.meta;
                    match field.local.as_str() {
                        "ContentId" => self.text_field(&mut meta.content_id, &field, &path)?,
                        "AttachmentName" => {
                            self.text_field(&mut meta.attachment_name, &field, &path)?
                        }
                        "Description" => self.text_field(&mut meta.description, &field, &path)?,
                        "ContentType" => self.text_field(&mut meta.content_type, &field, &path)?,
                        "ContentTransferEncoded" => {
                            let content_path = format!("{path}/ContentTransferEncoded");
                            self.check_namespace(&field, &content_path);
                            if content_seen {
                                self.duplicate(&field, &content_path)?;
                                continue;
                            }
                            content_seen = true;
                            if field.empty {
                                self.xml.next()?;
                                continue;
                            }
                            let (content, outcome) =
                                self.store.store(&attachment.meta, &mut self.xml)?;
                            attachment.content = content;
                            if let Some(defect) = outcome.defect {
                                self.issue(
                                    &content_path,
                                    Severity::Error,
                                    IssueKind::Attachment,
                                    format!("attachment content cannot be decoded: {defect}; the content is incomplete"),
                                );
                            }
                        }
                        _ => self.unknown(&field, &path)?,
                    }
                }
            }
            if !content_seen {
                self.issue(
                    &format!("{path}/ContentTransferEncoded"),
                    Severity::Error,
                    IssueKind::Missing,
                    "attachment has no ContentTransferEncoded".to_owned(),
                );
            }
            attachments.push(attachment);
        }
        Ok(())
    }
}

fn is_xml_whitespace(text: &str) -> bool {
    text.bytes()
        .all(|byte| matches!(byte, b' ' | b'\t' | b'\r' | b'\n'))
}

fn shorten(text: &str) -> String {
    let trimmed = text.trim();
    let mut short: String = trimmed.chars().take(40).collect();
    if short.len() < trimmed.len() {
        short.push('…');
    }
    short
}
