//! Serialisation back to edXML.
//!
//! Element order follows the standard's data dictionary (MessageHeader items 1.1-1.14,
//! Bussiness items 2.2.x); the reader accepts any order. Every edXML element carries the
//! `edXML:` prefix and the root declares it, because some peers look elements up by their
//! literal prefixed name. The signature is written in the XML-DSig namespace.

use std::fmt::Display;
use std::io::{self, Read, Write};

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;

use crate::error::WriteError;
use crate::lenient::Lenient;
use crate::model::*;
use crate::xmlin::{
    encode_base64_stream, is_xml_char, EncodeError, DSIG_NAMESPACE, EDXML_NAMESPACE,
};

/// Writes a document message with its attachments' in-memory content.
pub fn write_edoc<W: Write>(message: &EdocMessage, output: W) -> Result<W, WriteError> {
    write_edoc_streaming(
        message,
        |index, _meta| {
            Ok(message
                .attachments
                .get(index)
                .map_or(&[][..], |attachment| attachment.content.as_slice()))
        },
        output,
    )
}

/// Writes a document message, encoding each attachment's content from the reader that
/// `open_source` returns for it (by index into `message.attachments`), in chunks, so that
/// memory stays bounded whatever the attachment size. The `content` fields of the model
/// are ignored.
pub fn write_edoc_streaming<W, F, S>(
    message: &EdocMessage,
    mut open_source: F,
    output: W,
) -> Result<W, WriteError>
where
    W: Write,
    F: FnMut(usize, &AttachmentMeta) -> io::Result<S>,
    S: Read,
{
    let mut out = Out::new(output);
    out.prologue()?;
    out.start("edXML:edXMLEnvelope")?;
    out.start("edXML:edXMLHeader")?;
    out.message_header(&message.header)?;
    if let Some(list) = &message.trace_header_list {
        out.trace_header_list(list)?;
    }
    if let Some(signature) = &message.signature {
        out.signature(signature)?;
    }
    out.end("edXML:edXMLHeader")?;
    if let Some(manifest) = &message.manifest {
        out.start("edXML:edXMLBody")?;
        let attributes: Vec<(&str, &str)> = manifest
            .version
            .as_deref()
            .map(|version| ("version", version))
            .into_iter()
            .collect();
        out.start_with(
            "edXML:edXMLManifest",
            &attributes,
            "edXMLBody/edXMLManifest",
        )?;
        for (index, reference) in manifest.references.iter().enumerate() {
            let path = format!("edXMLBody/edXMLManifest/Reference[{}]", index + 1);
            out.start("edXML:Reference")?;
            out.opt("ContentId", &reference.content_id, &path)?;
            out.opt("ContentType", &reference.content_type, &path)?;
            out.opt("AttachmentName", &reference.attachment_name, &path)?;
            out.opt("Description", &reference.description, &path)?;
            out.end("edXML:Reference")?;
        }
        out.end("edXML:edXMLManifest")?;
        out.end("edXML:edXMLBody")?;
    }
    out.end("edXML:edXMLEnvelope")?;
    if !message.attachments.is_empty() {
        out.start("edXML:AttachmentEncoded")?;
        for (index, attachment) in message.attachments.iter().enumerate() {
            let path = format!("AttachmentEncoded/Attachment[{}]", index + 1);
            let meta = &attachment.meta;
            out.start("edXML:Attachment")?;
            out.opt("ContentId", &meta.content_id, &path)?;
            out.opt("AttachmentName", &meta.attachment_name, &path)?;
            out.opt("Description", &meta.description, &path)?;
            out.opt("ContentType", &meta.content_type, &path)?;
            let source_error = |source| WriteError::Source {
                index,
                content_id: meta.content_id.clone(),
                source,
            };
            let mut source = open_source(index, meta).map_err(source_error)?;
            out.start("edXML:ContentTransferEncoded")?;
            // An empty text event tells the indenting writer that this element has text,
            // so no line break goes before its end tag; the base64 bypasses the writer.
            out.xml
                .write_event(Event::Text(BytesText::from_escaped("")))?;
            match encode_base64_stream(&mut source, out.xml.get_mut()) {
                Ok(_) => {}
                Err(EncodeError::Source(source)) => return Err(source_error(source)),
                Err(EncodeError::Sink(error)) => return Err(WriteError::Io(error)),
            }
            out.end("edXML:ContentTransferEncoded")?;
            out.end("edXML:Attachment")?;
        }
        out.end("edXML:AttachmentEncoded")?;
    }
    out.finish()
}

/// Writes a status message.
pub fn write_status<W: Write>(message: &StatusMessage, output: W) -> Result<W, WriteError> {
    const H: &str = "MessageHeader";
    let mut out = Out::new(output);
    out.prologue()?;
    out.start("edXML:edXMLEnvelope")?;
    out.start("edXML:edXMLHeader")?;
    out.start("edXML:MessageHeader")?;
    if let Some(from) = &message.from {
        out.organization("From", from, "MessageHeader/From")?;
    }
    if let Some(to) = &message.to {
        out.organization("To", to, "MessageHeader/To")?;
    }
    if let Some(response) = &message.response_for {
        out.response_for(response, "MessageHeader/ResponseFor")?;
    }
    if let Some(staff) = &message.staff_info {
        out.staff_info(staff, "MessageHeader/StaffInfo")?;
    }
    out.opt_lenient("StatusCode", &message.status_code, H)?;
    out.opt("Description", &message.description, H)?;
    out.opt_lenient("Timestamp", &message.timestamp, H)?;
    out.end("edXML:MessageHeader")?;
    out.end("edXML:edXMLHeader")?;
    out.end("edXML:edXMLEnvelope")?;
    out.finish()
}

struct Out<W: Write> {
    xml: quick_xml::Writer<W>,
}

impl<W: Write> Out<W> {
    fn new(output: W) -> Self {
        Self {
            xml: quick_xml::Writer::new_with_indent(output, b' ', 2),
        }
    }

    fn prologue(&mut self) -> Result<(), WriteError> {
        self.xml
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let mut root = BytesStart::new("edXML");
        root.push_attribute(("xmlns", EDXML_NAMESPACE));
        root.push_attribute(("xmlns:edXML", EDXML_NAMESPACE));
        self.xml.write_event(Event::Start(root))?;
        Ok(())
    }

    fn finish(mut self) -> Result<W, WriteError> {
        self.xml.write_event(Event::End(BytesEnd::new("edXML")))?;
        let mut output = self.xml.into_inner();
        output.write_all(b"\n")?;
        output.flush()?;
        Ok(output)
    }

    fn start(&mut self, name: &str) -> Result<(), WriteError> {
        self.xml.write_event(Event::Start(BytesStart::new(name)))?;
        Ok(())
    }

    fn start_with(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
        path: &str,
    ) -> Result<(), WriteError> {
        let mut start = BytesStart::new(name);
        for (key, value) in attributes {
            let escaped = escape(value, true, &format!("{path}/@{key}"))?;
            start.push_attribute(Attribute {
                key: QName(key.as_bytes()),
                value: escaped.into_bytes().into(),
            });
        }
        self.xml.write_event(Event::Start(start))?;
        Ok(())
    }

    fn end(&mut self, name: &str) -> Result<(), WriteError> {
        self.xml.write_event(Event::End(BytesEnd::new(name)))?;
        Ok(())
    }

    /// A leaf element with text; `name` is the edXML local name.
    fn leaf(&mut self, name: &str, text: &str, parent_path: &str) -> Result<(), WriteError> {
        self.leaf_qualified(
            &format!("edXML:{name}"),
            text,
            &format!("{parent_path}/{name}"),
        )
    }

    fn leaf_qualified(
        &mut self,
        qualified: &str,
        text: &str,
        path: &str,
    ) -> Result<(), WriteError> {
        let escaped = escape(text, false, path)?;
        self.xml
            .write_event(Event::Start(BytesStart::new(qualified)))?;
        self.xml
            .write_event(Event::Text(BytesText::from_escaped(escaped)))?;
        self.xml.write_event(Event::End(BytesEnd::new(qualified)))?;
        Ok(())
    }

    fn opt(
        &mut self,
        name: &str,
        value: &Option<String>,
        parent_path: &str,
    ) -> Result<(), WriteError> {
        match value {
            Some(text) => self.leaf(name, text, parent_path),
            None => Ok(()),
        }
    }

    fn opt_lenient<T: Display>(
        &mut self,
        name: &str,
        value: &Option<Lenient<T>>,
        parent_path: &str,
    ) -> Result<(), WriteError> {
        match value {
            Some(value) => self.leaf(name, &value.text(), parent_path),
            None => Ok(()),
        }
    }

    fn organization(
        &mut self,
        name: &str,
        organization: &Organization,
        path: &str,
    ) -> Result<(), WriteError> {
        let qualified = format!("edXML:{name}");
        self.start(&qualified)?;
        self.opt_lenient("OrganId", &organization.organ_id, path)?;
        self.opt(
            "OrganizationInCharge",
            &organization.organization_in_charge,
            path,
        )?;
        self.opt("OrganName", &organization.organ_name, path)?;
        self.opt("OrganAdd", &organization.organ_add, path)?;
        self.opt("Email", &organization.email, path)?;
        self.opt("Telephone", &organization.telephone, path)?;
        self.opt("Fax", &organization.fax, path)?;
        self.opt("Website", &organization.website, path)?;
        self.end(&qualified)
    }

    fn response_for(&mut self, response: &ResponseFor, path: &str) -> Result<(), WriteError> {
        self.start("edXML:ResponseFor")?;
        self.opt_lenient("OrganId", &response.organ_id, path)?;
        self.opt("Code", &response.code, path)?;
        self.opt_lenient("PromulgationDate", &response.promulgation_date, path)?;
        self.opt_lenient("DocumentId", &response.document_id, path)?;
        self.end("edXML:ResponseFor")
    }

    fn staff_info(&mut self, staff: &StaffInfo, path: &str) -> Result<(), WriteError> {
        self.start("edXML:StaffInfo")?;
        self.opt("Department", &staff.department, path)?;
        self.opt("Staff", &staff.staff, path)?;
        self.opt("Mobile", &staff.mobile, path)?;
        self.opt("Email", &staff.email, path)?;
        self.end("edXML:StaffInfo")
    }

    fn text_list(
        &mut self,
        wrapper: &str,
        item: &str,
        items: &[String],
        path: &str,
    ) -> Result<(), WriteError> {
        let qualified = format!("edXML:{wrapper}");
        self.start(&qualified)?;
        for (index, text) in items.iter().enumerate() {
            self.leaf_qualified(
                &format!("edXML:{item}"),
                text,
                &format!("{path}/{item}[{}]", index + 1),
            )?;
        }
        self.end(&qualified)
    }

    fn message_header(&mut self, header: &MessageHeader) -> Result<(), WriteError> {
        const H: &str = "MessageHeader";
        self.start("edXML:MessageHeader")?;
        if let Some(from) = &header.from {
            self.organization("From", from, "MessageHeader/From")?;
        }
        for (index, to) in header.to.iter().enumerate() {
            self.organization("To", to, &format!("{H}/To[{}]", index + 1))?;
        }
        if let Some(code) = &header.code {
            self.start("edXML:Code")?;
            self.opt("CodeNumber", &code.code_number, "MessageHeader/Code")?;
            self.opt("CodeNotation", &code.code_notation, "MessageHeader/Code")?;
            self.end("edXML:Code")?;
        }
        if let Some(info) = &header.promulgation_info {
            const P: &str = "MessageHeader/PromulgationInfo";
            self.start("edXML:PromulgationInfo")?;
            self.opt("Place", &info.place, P)?;
            self.opt_lenient("PromulgationDate", &info.promulgation_date, P)?;
            self.end("edXML:PromulgationInfo")?;
        }
        if let Some(document_type) = &header.document_type {
            const D: &str = "MessageHeader/DocumentType";
            self.start("edXML:DocumentType")?;
            self.opt_lenient("Type", &document_type.doc_type, D)?;
            self.opt_lenient("TypeDetail", &document_type.type_detail, D)?;
            self.opt("TypeName", &document_type.type_name, D)?;
            self.end("edXML:DocumentType")?;
        }
        self.opt("Subject", &header.subject, H)?;
        self.opt("Content", &header.content, H)?;
        if let Some(signer) = &header.signer_info {
            const S: &str = "MessageHeader/SignerInfo";
            self.start("edXML:SignerInfo")?;
            self.opt("Competence", &signer.competence, S)?;
            self.opt("Position", &signer.position, S)?;
            self.opt("FullName", &signer.full_name, S)?;
            self.end("edXML:SignerInfo")?;
        }
        self.opt_lenient("DueDate", &header.due_date, H)?;
        if !header.to_places.is_empty() {
            self.text_list(
                "ToPlaces",
                "Place",
                &header.to_places,
                "MessageHeader/ToPlaces",
            )?;
        }
        if let Some(other) = &header.other_info {
            const O: &str = "MessageHeader/OtherInfo";
            self.start("edXML:OtherInfo")?;
            self.opt_lenient("Priority", &other.priority, O)?;
            self.opt("SphereOfPromulgation", &other.sphere_of_promulgation, O)?;
            self.opt("TyperNotation", &other.typer_notation, O)?;
            self.opt_lenient("PromulgationAmount", &other.promulgation_amount, O)?;
            self.opt_lenient("PageAmount", &other.page_amount, O)?;
            self.opt_lenient("Direction", &other.direction, O)?;
            if !other.appendixes.is_empty() {
                self.text_list(
                    "Appendixes",
                    "Appendix",
                    &other.appendixes,
                    "MessageHeader/OtherInfo/Appendixes",
                )?;
            }
            self.end("edXML:OtherInfo")?;
        }
        for (index, response) in header.response_for.iter().enumerate() {
            self.response_for(response, &format!("{H}/ResponseFor[{}]", index + 1))?;
        }
        self.opt_lenient("SteeringType", &header.steering_type, H)?;
        self.opt_lenient("DocumentId", &header.document_id, H)?;
        self.end("edXML:MessageHeader")
    }

    fn trace_header_list(&mut self, list: &TraceHeaderList) -> Result<(), WriteError> {
        self.start("edXML:TraceHeaderList")?;
        for (index, trace) in list.trace_headers.iter().enumerate() {
            let path = format!("TraceHeaderList/TraceHeader[{}]", index + 1);
            self.start("edXML:TraceHeader")?;
            self.opt_lenient("OrganId", &trace.organ_id, &path)?;
            self.opt_lenient("Timestamp", &trace.timestamp, &path)?;
            self.end("edXML:TraceHeader")?;
        }
        if let Some(bussiness) = &list.bussiness {
            const B: &str = "TraceHeaderList/Bussiness";
            self.start("edXML:Bussiness")?;
            self.opt_lenient("BussinessDocType", &bussiness.bussiness_doc_type, B)?;
            self.opt("BussinessDocReason", &bussiness.bussiness_doc_reason, B)?;
            if let Some(info) = &bussiness.bussiness_document_info {
                const I: &str = "TraceHeaderList/Bussiness/BussinessDocumentInfo";
                self.start("edXML:BussinessDocumentInfo")?;
                self.opt_lenient("DocumentInfo", &info.document_info, I)?;
                self.opt_lenient("DocumentReceiver", &info.document_receiver, I)?;
                if !info.receivers.is_empty() {
                    self.start("edXML:ReceiverList")?;
                    for (index, receiver) in info.receivers.iter().enumerate() {
                        let path = format!("{I}/ReceiverList/Receiver[{}]", index + 1);
                        self.start("edXML:Receiver")?;
                        self.opt_lenient("OrganId", &receiver.organ_id, &path)?;
                        self.opt_lenient("ReceiverType", &receiver.receiver_type, &path)?;
                        self.end("edXML:Receiver")?;
                    }
                    self.end("edXML:ReceiverList")?;
                }
                self.end("edXML:BussinessDocumentInfo")?;
            }
            self.opt_lenient("DocumentId", &bussiness.document_id, B)?;
            if let Some(staff) = &bussiness.staff_info {
                self.staff_info(staff, "TraceHeaderList/Bussiness/StaffInfo")?;
            }
            self.opt_lenient("Paper", &bussiness.paper, B)?;
            if !bussiness.replacement_info_list.is_empty() {
                self.start("edXML:ReplacementInfoList")?;
                for (index, replaced) in bussiness.replacement_info_list.iter().enumerate() {
                    let path = format!("{B}/ReplacementInfoList/ReplacementInfo[{}]", index + 1);
                    self.start("edXML:ReplacementInfo")?;
                    self.opt_lenient("DocumentId", &replaced.document_id, &path)?;
                    if !replaced.organ_ids.is_empty() {
                        let texts: Vec<String> =
                            replaced.organ_ids.iter().map(Lenient::text).collect();
                        self.text_list(
                            "OrganIdList",
                            "OrganId",
                            &texts,
                            &format!("{path}/OrganIdList"),
                        )?;
                    }
                    self.end("edXML:ReplacementInfo")?;
                }
                self.end("edXML:ReplacementInfoList")?;
            }
            self.end("edXML:Bussiness")?;
        }
        self.end("edXML:TraceHeaderList")
    }

    fn signature(&mut self, signature: &Signature) -> Result<(), WriteError> {
        const S: &str = "Signature";
        let mut start = BytesStart::new("Signature");
        start.push_attribute(("xmlns", DSIG_NAMESPACE));
        self.xml.write_event(Event::Start(start))?;
        self.start("SignedInfo")?;
        if let Some(method) = &signature.canonicalization_method {
            self.empty_with("CanonicalizationMethod", "Algorithm", method, S)?;
        }
        if let Some(method) = &signature.signature_method {
            self.empty_with("SignatureMethod", "Algorithm", method, S)?;
        }
        for reference in &signature.references {
            let attributes: Vec<(&str, &str)> = reference
                .uri
                .as_deref()
                .map(|uri| ("URI", uri))
                .into_iter()
                .collect();
            self.start_with("Reference", &attributes, S)?;
            if !reference.transforms.is_empty() {
                self.start("Transforms")?;
                for transform in &reference.transforms {
                    self.empty_with("Transform", "Algorithm", transform, S)?;
                }
                self.end("Transforms")?;
            }
            if let Some(method) = &reference.digest_method {
                self.empty_with("DigestMethod", "Algorithm", method, S)?;
            }
            if let Some(value) = &reference.digest_value {
                self.leaf_qualified("DigestValue", value, "Signature/DigestValue")?;
            }
            self.end("Reference")?;
        }
        self.end("SignedInfo")?;
        if let Some(value) = &signature.signature_value {
            self.leaf_qualified("SignatureValue", value, "Signature/SignatureValue")?;
        }
        if signature.x509_subject_name.is_some() || !signature.x509_certificates.is_empty() {
            self.start("KeyInfo")?;
            self.start("X509Data")?;
            if let Some(name) = &signature.x509_subject_name {
                self.leaf_qualified("X509SubjectName", name, "Signature/X509SubjectName")?;
            }
            for certificate in &signature.x509_certificates {
                self.leaf_qualified("X509Certificate", certificate, "Signature/X509Certificate")?;
            }
            self.end("X509Data")?;
            self.end("KeyInfo")?;
        }
        self.end("Signature")
    }

    fn empty_with(
        &mut self,
        name: &str,
        key: &str,
        value: &str,
        path: &str,
    ) -> Result<(), WriteError> {
        let escaped = escape(value, true, &format!("{path}/{name}/@{key}"))?;
        let mut start = BytesStart::new(name);
        start.push_attribute(Attribute {
            key: QName(key.as_bytes()),
            value: escaped.into_bytes().into(),
        });
        self.xml.write_event(Event::Empty(start))?;
        Ok(())
    }
}

/// Escapes text for element content or a double-quoted attribute value. CR (and in
/// attributes tab and LF) become character references, because an XML parser would
/// otherwise normalise them away; characters XML 1.0 cannot carry at all are refused.
fn escape(text: &str, attribute: bool, path: &str) -> Result<String, WriteError> {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if !is_xml_char(character) {
            return Err(WriteError::InvalidChar {
                path: path.to_owned(),
                code: u32::from(character),
            });
        }
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '\r' => escaped.push_str("&#xD;"),
            '"' if attribute => escaped.push_str("&quot;"),
            '\t' if attribute => escaped.push_str("&#x9;"),
            '\n' if attribute => escaped.push_str("&#xA;"),
            other => escaped.push(other),
        }
    }
    Ok(escaped)
}

impl From<quick_xml::Error> for WriteError {
    fn from(error: quick_xml::Error) -> Self {
        match error {
            quick_xml::Error::Io(source) => {
                WriteError::Io(io::Error::new(source.kind(), source.to_string()))
            }
            other => WriteError::Io(io::Error::other(other.to_string())),
        }
    }
}
