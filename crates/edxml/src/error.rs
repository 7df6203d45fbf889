//! Fatal errors of reading and writing, and the limits that guard the reader.

use std::fmt;
use std::io;

use thiserror::Error;

/// Where in the input something happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Zero-based byte offset from the start of the input.
    pub byte_offset: u64,
    /// One-based line number (lines end at LF).
    pub line: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, byte {}", self.line, self.byte_offset)
    }
}

/// Bounds on what the reader accepts, so that hostile input costs bounded memory and time.
///
/// Attachment content is streamed and decoded on the fly, so it is bounded separately from
/// the rest of the message ("markup": every element, attribute and text except the base64
/// text of `ContentTransferEncoded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest element nesting (the standard needs 8; the signature adds a few).
    pub max_depth: usize,
    /// Largest text of one element, in bytes after decoding references.
    pub max_text_bytes: usize,
    /// Largest attribute value, in bytes.
    pub max_attribute_bytes: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Total bytes of the input that are not attachment content. This also bounds the
    /// memory the XML tokenizer may buffer for any single tag or text.
    pub max_markup_bytes: u64,
    /// Largest decoded attachment when streaming to a sink.
    pub max_attachment_bytes: u64,
    /// Largest total of decoded attachments kept in memory by the non-streaming reader.
    pub max_in_memory_attachment_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_text_bytes: 1 << 20,
            max_attribute_bytes: 64 << 10,
            max_attributes: 32,
            max_markup_bytes: 16 << 20,
            max_attachment_bytes: 8 << 30,
            max_in_memory_attachment_bytes: 256 << 20,
        }
    }
}

/// Why a message could not be read at all.
///
/// Problems with individual fields are not errors: they are reported as
/// [`FieldIssue`](crate::FieldIssue)s next to the model.
#[derive(Debug, Error)]
pub enum ParseError {
    /// The input is not well-formed XML.
    #[error("malformed xml at {position}: {message}")]
    Xml {
        /// Where.
        position: Position,
        /// What the tokenizer said.
        message: String,
    },
    /// The input has a document type declaration.
    #[error("document type declaration at {position} refused: edXML needs none, and DTDs enable entity expansion attacks")]
    Doctype {
        /// Where.
        position: Position,
    },
    /// The input refers to an entity other than the five predefined ones.
    #[error("undefined entity reference &{name}; at {position}")]
    UndefinedEntity {
        /// The entity name.
        name: String,
        /// Where.
        position: Position,
    },
    /// The XML declaration names an encoding other than UTF-8.
    #[error("unsupported encoding {encoding:?} at {position}: edXML is read as UTF-8 only")]
    Encoding {
        /// The declared encoding.
        encoding: String,
        /// Where.
        position: Position,
    },
    /// Elements are nested deeper than [`Limits::max_depth`].
    #[error("elements nested deeper than {limit} at {position}")]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Where.
        position: Position,
    },
    /// Something is larger than its limit.
    #[error("{what} exceeds the limit of {limit} bytes at {position}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit in bytes (or count, for attributes).
        limit: u64,
        /// Where.
        position: Position,
    },
    /// The root element is not `edXML`.
    #[error("root element <{found}> at {position} is not <edXML>")]
    Root {
        /// The root element's local name.
        found: String,
        /// Where.
        position: Position,
    },
    /// The message is of the other kind (a status message where a document was expected,
    /// or the reverse).
    #[error("expected a {expected} message but found a {found} message")]
    WrongKind {
        /// What the caller asked for.
        expected: &'static str,
        /// What the input is.
        found: &'static str,
    },
    /// The input ends before the root element is closed.
    #[error("input ends at {position} before the document is complete")]
    UnexpectedEof {
        /// Where.
        position: Position,
    },
    /// Reading the input failed.
    #[error("reading the input failed at {position}: {source}")]
    Io {
        /// Where.
        position: Position,
        /// The underlying error.
        source: io::Error,
    },
    /// The caller's attachment sink failed.
    #[error("attachment sink for {content_id:?} failed: {source}")]
    Sink {
        /// The attachment's `ContentId`, if known.
        content_id: Option<String>,
        /// The underlying error.
        source: io::Error,
    },
}

/// Why a message could not be written.
#[derive(Debug, Error)]
pub enum WriteError {
    /// A text holds a character that XML 1.0 cannot carry at all (a control character
    /// other than tab, LF and CR, or U+FFFE/U+FFFF).
    #[error("{path}: character U+{code:04X} cannot be written in XML 1.0")]
    InvalidChar {
        /// The field.
        path: String,
        /// The character's code point.
        code: u32,
    },
    /// Writing to the output failed.
    #[error("writing the output failed: {0}")]
    Io(#[from] io::Error),
    /// Reading an attachment's source failed.
    #[error("reading attachment {index} ({content_id:?}) failed: {source}")]
    Source {
        /// Zero-based index of the attachment.
        index: usize,
        /// Its `ContentId`, if any.
        content_id: Option<String>,
        /// The underlying error.
        source: io::Error,
    },
}
