//! edXML (QCVN 102:2016/BTTTT, amended 2022): the envelope Vietnamese agencies use to
//! exchange administrative documents and status messages through the national document
//! hub.
//!
//! - [`EdocMessage`] and [`StatusMessage`] are the typed model; identifiers and dates are
//!   [`OrganId`], [`DocumentId`], [`EdDate`], [`EdTimestamp`], kept as [`Lenient`] values
//!   so that a malformed field is reported, not lost.
//! - [`read_edoc`], [`read_status`] and [`read_message`] parse from any [`BufRead`] and
//!   return the model with a field-by-field list of [`FieldIssue`]s; a fatal
//!   [`ParseError`] (malformed XML, a DTD, a limit exceeded) carries the position.
//! - [`EdxmlReader::read_edoc_streaming`] hands each attachment's decoded bytes to a
//!   caller's writer while parsing, so memory stays bounded whatever the attachment size.
//! - [`write_edoc`], [`write_edoc_streaming`] and [`write_status`] serialise back with the
//!   standard's namespace and element order.
//!
//! The crate does no IO of its own: it reads and writes the streams it is handed.
//!
//! ```
//! let input = r#"<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
//!   <edXMLEnvelope><edXMLHeader><MessageHeader>
//!     <From><OrganId>000.00.00.H41</OrganId><OrganName>UBND Tỉnh Nghệ An</OrganName></From>
//!     <ResponseFor><DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</DocumentId></ResponseFor>
//!     <StatusCode>03</StatusCode>
//!     <Timestamp>2015/09/20 11:08:36</Timestamp>
//!   </MessageHeader></edXMLHeader></edXMLEnvelope></edXML>"#;
//! let parsed = congso_edxml::read_status(input.as_bytes()).unwrap();
//! let code = parsed.value.status_code.as_ref().and_then(|code| code.valid().copied());
//! assert_eq!(code, Some(congso_edxml::StatusCode::ACCEPTED));
//! assert!(!parsed.has_errors());
//! ```

mod codes;
mod error;
mod ids;
mod issues;
mod lenient;
mod model;
mod parse;
mod serde_base64;
mod validate;
mod write;
mod xmlin;

use std::io::{self, BufRead, Write};
use std::marker::PhantomData;

pub use codes::{BussinessDocType, CodeError, StatusCode, StatusKind};
pub use error::{Limits, ParseError, Position, WriteError};
pub use ids::{DateError, DocumentId, DocumentIdError, EdDate, EdTimestamp, OrganId, OrganIdError};
pub use issues::{FieldIssue, IssueKind, Parsed, Severity};
pub use lenient::Lenient;
pub use model::{
    Attachment, AttachmentMeta, Bussiness, BussinessDocumentInfo, Code, DocumentType, EdocMessage,
    Manifest, ManifestReference, MessageHeader, Organization, OtherInfo, PromulgationInfo,
    Receiver, ReplacementInfo, ResponseFor, Signature, SignatureReference, SignerInfo, StaffInfo,
    StatusMessage, TraceHeader, TraceHeaderList,
};
pub use parse::Message;
pub use validate::{validate_edoc, validate_status};
pub use write::{write_edoc, write_edoc_streaming, write_status};
pub use xmlin::{DSIG_NAMESPACE, EDXML_NAMESPACE};

use parse::{Expect, InMemory, Streaming};

/// A reader with chosen [`Limits`]; the free functions use [`Limits::default`].
#[derive(Debug, Clone, Copy, Default)]
pub struct EdxmlReader {
    /// The bounds applied to every input.
    pub limits: Limits,
}

impl EdxmlReader {
    /// A reader with the given limits.
    pub fn new(limits: Limits) -> Self {
        Self { limits }
    }

    /// Reads a document message, keeping attachments in memory (within
    /// [`Limits::max_in_memory_attachment_bytes`]).
    pub fn read_edoc<R: BufRead>(&self, input: R) -> Result<Parsed<EdocMessage>, ParseError> {
        match parse::read(input, self.limits, Expect::Edoc, InMemory { used: 0 })? {
            (Message::Edoc(value), issues) => Ok(Parsed { value, issues }),
            (Message::Status(_), _) => Err(ParseError::WrongKind {
                expected: "document",
                found: "status",
            }),
        }
    }

    /// Reads a document message and hands each attachment's decoded content to a writer
    /// that `open_sink` returns for it, as the content is parsed. The writer is flushed
    /// and dropped when its attachment ends. The attachments in the returned model have
    /// their metadata and an empty `content`.
    ///
    /// `open_sink` sees the metadata elements that come before `ContentTransferEncoded`
    /// in the attachment (all of them, in every known sender's order); the returned model
    /// has the complete metadata.
    pub fn read_edoc_streaming<R, F, W>(
        &self,
        input: R,
        open_sink: F,
    ) -> Result<Parsed<EdocMessage>, ParseError>
    where
        R: BufRead,
        F: FnMut(&AttachmentMeta) -> io::Result<W>,
        W: Write,
    {
        let store = Streaming {
            open: open_sink,
            writer: PhantomData,
        };
        match parse::read(input, self.limits, Expect::Edoc, store)? {
            (Message::Edoc(value), issues) => Ok(Parsed { value, issues }),
            (Message::Status(_), _) => Err(ParseError::WrongKind {
                expected: "document",
                found: "status",
            }),
        }
    }

    /// Reads a status message.
    pub fn read_status<R: BufRead>(&self, input: R) -> Result<Parsed<StatusMessage>, ParseError> {
        match parse::read(input, self.limits, Expect::Status, InMemory { used: 0 })? {
            (Message::Status(value), issues) => Ok(Parsed { value, issues }),
            (Message::Edoc(_), _) => Err(ParseError::WrongKind {
                expected: "status",
                found: "document",
            }),
        }
    }

    /// Reads either kind of message: a `MessageHeader` with a `StatusCode` is a status
    /// message, any other a document message.
    pub fn read_message<R: BufRead>(&self, input: R) -> Result<Parsed<Message>, ParseError> {
        let (value, issues) = parse::read(input, self.limits, Expect::Any, InMemory { used: 0 })?;
        Ok(Parsed { value, issues })
    }
}

/// Reads a document message with default limits, attachments in memory.
pub fn read_edoc<R: BufRead>(input: R) -> Result<Parsed<EdocMessage>, ParseError> {
    EdxmlReader::default().read_edoc(input)
}

/// Reads a status message with default limits.
pub fn read_status<R: BufRead>(input: R) -> Result<Parsed<StatusMessage>, ParseError> {
    EdxmlReader::default().read_status(input)
}

/// Reads either kind of message with default limits.
pub fn read_message<R: BufRead>(input: R) -> Result<Parsed<Message>, ParseError> {
    EdxmlReader::default().read_message(input)
}
