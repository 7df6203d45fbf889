//! A hardened pull parser over quick-xml: limits, no DTDs, merged text, positions with
//! line numbers, and a bypass that streams one element's base64 text straight from the
//! input without buffering it.

use std::io::{self, BufRead, Read, Write};

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::error::{Limits, ParseError, Position};

/// The edXML namespace.
pub const EDXML_NAMESPACE: &str = "http://www.mic.gov.vn/TBT/QCVN_102_2016";
/// The XML-DSig namespace.
pub const DSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";

/// The input wrapper every byte goes through: counts offsets and lines, and enforces the
/// markup budget by refusing to hand the tokenizer more bytes than it allows. That is what
/// bounds quick-xml's buffer: it cannot copy a tag or text larger than what it was given.
struct Guarded<R> {
    inner: R,
    consumed: u64,
    lines: u64,
    markup_used: u64,
    markup_budget: u64,
    /// False while the attachment bypass reads, so attachment bytes do not use up the
    /// markup budget.
    counting_markup: bool,
    budget_exceeded: bool,
}

impl<R: BufRead> Read for Guarded<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Guarded<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let available = self.inner.fill_buf()?;
        if !self.counting_markup {
            return Ok(available);
        }
        let remaining = self.markup_budget.saturating_sub(self.markup_used);
        if remaining == 0 && !available.is_empty() {
            self.budget_exceeded = true;
            return Err(io::Error::other("markup size limit reached"));
        }
        let allowed = usize::try_from(remaining).unwrap_or(usize::MAX);
        Ok(&available[..available.len().min(allowed)])
    }

    fn consume(&mut self, amount: usize) {
        // The bytes being consumed are still in the inner buffer, so this `fill_buf` does
        // no IO; it only gives access to them for counting line ends.
        if let Ok(available) = self.inner.fill_buf() {
            let counted = amount.min(available.len());
            self.lines += available[..counted]
                .iter()
                .filter(|&&byte| byte == b'\n')
                .count() as u64;
        }
        self.inner.consume(amount);
        self.consumed += amount as u64;
        if self.counting_markup {
            self.markup_used += amount as u64;
        }
    }
}

/// How an element's namespace resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ns {
    Edxml,
    Dsig,
    /// No namespace at all.
    None,
    Other(String),
    /// A prefix with no declaration in scope (the samples have one).
    UndeclaredPrefix(String),
}

#[derive(Debug, Clone)]
pub(crate) struct StartTag {
    pub local: String,
    pub ns: Ns,
    /// Attributes by local name (prefixes ignored), values unescaped.
    pub attributes: Vec<(String, String)>,
    /// `<x/>`: no content and no separate end tag to read.
    pub empty: bool,
    pub position: Position,
}

impl StartTag {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(local, _)| local == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug)]
pub(crate) enum Node {
    Start(StartTag),
    End,
    Text { text: String, position: Position },
    Eof { position: Position },
}

/// What streaming one attachment's base64 text produced.
pub(crate) struct StreamOutcome {
    pub decoded_len: u64,
    /// Why the content could not be decoded, with the byte offset of the first bad byte.
    pub defect: Option<String>,
}

pub(crate) struct XmlIn<R> {
    reader: NsReader<Guarded<R>>,
    buf: Vec<u8>,
    limits: Limits,
    depth: usize,
    pending: std::collections::VecDeque<Node>,
    /// Offset and line at the start of the event being read, for error positions.
    event_start: Position,
    /// Bytes read by the bypass, which quick-xml's own offsets do not include.
    bypassed: u64,
}

impl<R: BufRead> XmlIn<R> {
    pub fn new(input: R, limits: Limits) -> Self {
        let guarded = Guarded {
            inner: input,
            consumed: 0,
            lines: 0,
            markup_used: 0,
            markup_budget: limits.max_markup_bytes,
            counting_markup: true,
            budget_exceeded: false,
        };
        let mut reader = NsReader::from_reader(guarded);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        Self {
            reader,
            buf: Vec::new(),
            limits,
            depth: 0,
            pending: std::collections::VecDeque::new(),
            event_start: Position {
                byte_offset: 0,
                line: 1,
            },
            bypassed: 0,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The position the reader has reached (the start of the next event).
    pub fn position(&self) -> Position {
        // quick-xml may have consumed the `<` of the next tag already; its
        // `buffer_position` accounts for that, and a `<` is no line end.
        Position {
            byte_offset: self.reader.buffer_position() + self.bypassed,
            line: self.reader.get_ref().lines + 1,
        }
    }

    /// The position of a byte inside the event being read, from quick-xml's offset.
    fn position_in_event(&self, quick_xml_offset: u64) -> Position {
        let byte_offset = quick_xml_offset + self.bypassed;
        let into_event = byte_offset.saturating_sub(self.event_start.byte_offset);
        // `buf` holds the event's bytes read so far (without its leading `<`), which is
        // enough to count the line ends between the event start and the error.
        let scanned = usize::try_from(into_event)
            .unwrap_or(usize::MAX)
            .min(self.buf.len());
        let extra_lines = self.buf[..scanned]
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count() as u64;
        Position {
            byte_offset,
            line: self.event_start.line + extra_lines,
        }
    }

    fn xml_error(&self, error: quick_xml::Error) -> ParseError {
        let guard = self.reader.get_ref();
        if guard.budget_exceeded {
            return ParseError::TooLarge {
                what: "message outside attachment content",
                limit: self.limits.max_markup_bytes,
                position: self.position(),
            };
        }
        let position = self.position_in_event(self.reader.error_position());
        match error {
            quick_xml::Error::Io(source) => ParseError::Io {
                position,
                source: io::Error::new(source.kind(), source.to_string()),
            },
            other => ParseError::Xml {
                position,
                message: other.to_string(),
            },
        }
    }

    /// Reads the next node: text (references resolved, CDATA merged, line ends
    /// normalised), a start tag, an end tag or the end of input. Comments, processing
    /// instructions and the XML declaration are skipped; a DTD is an error.
    pub fn next(&mut self) -> Result<Node, ParseError> {
        if let Some(node) = self.pending.pop_front() {
            return Ok(node);
        }
        let mut text: Option<(String, Position)> = None;
        loop {
            self.event_start = self.position();
            self.buf.clear();
            let result = self.reader.read_resolved_event_into(&mut self.buf);
            let (resolved, event) = match result {
                Ok((resolved, event)) => (owned_resolve(&resolved), event.into_owned()),
                Err(error) => return Err(self.xml_error(error)),
            };
            let node = match event {
                Event::Start(start) => Node::Start(self.start_tag(resolved, &start, false)?),
                Event::Empty(start) => Node::Start(self.start_tag(resolved, &start, true)?),
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    Node::End
                }
                Event::Text(content) => {
                    let decoded = content.xml10_content().map_err(|error| ParseError::Xml {
                        position: self.event_start,
                        message: error.to_string(),
                    })?;
                    self.append_text(&mut text, &decoded)?;
                    continue;
                }
                Event::CData(content) => {
                    let decoded = content.xml10_content().map_err(|error| ParseError::Xml {
                        position: self.event_start,
                        message: error.to_string(),
                    })?;
                    self.append_text(&mut text, &decoded)?;
                    continue;
                }
                Event::GeneralRef(reference) => {
                    let resolved = self.resolve_reference(&reference)?;
                    self.append_text(&mut text, &resolved)?;
                    continue;
                }
                Event::Decl(declaration) => {
                    self.check_declaration(&declaration)?;
                    continue;
                }
                Event::Comment(_) | Event::PI(_) => continue,
                Event::DocType(_) => {
                    return Err(ParseError::Doctype {
                        position: self.event_start,
                    })
                }
                Event::Eof => Node::Eof {
                    position: self.event_start,
                },
            };
            if let Node::Start(tag) = &node {
                if tag.empty {
                    self.pending.push_back(Node::End);
                } else {
                    self.depth += 1;
                }
                if self.depth + usize::from(tag.empty) > self.limits.max_depth {
                    return Err(ParseError::TooDeep {
                        limit: self.limits.max_depth,
                        position: tag.position,
                    });
                }
            }
            return Ok(match text {
                Some((text, position)) => {
                    self.pending.push_front(node);
                    Node::Text { text, position }
                }
                None => node,
            });
        }
    }

    fn append_text(
        &self,
        text: &mut Option<(String, Position)>,
        piece: &str,
    ) -> Result<(), ParseError> {
        if let Some(bad) = piece.chars().find(|&character| !is_xml_char(character)) {
            return Err(ParseError::Xml {
                position: self.event_start,
                message: format!(
                    "character U+{:04X} is not allowed in XML 1.0 text",
                    u32::from(bad)
                ),
            });
        }
        let (buffer, start) = text.get_or_insert_with(|| (String::new(), self.event_start));
        if buffer.len() + piece.len() > self.limits.max_text_bytes {
            return Err(ParseError::TooLarge {
                what: "text of one element",
                limit: self.limits.max_text_bytes as u64,
                position: *start,
            });
        }
        buffer.push_str(piece);
        Ok(())
    }

    fn resolve_reference(&self, reference: &BytesRef<'_>) -> Result<String, ParseError> {
        let position = self.event_start;
        let name = reference.decode().map_err(|error| ParseError::Xml {
            position,
            message: error.to_string(),
        })?;
        if reference.is_char_ref() {
            let character = reference
                .resolve_char_ref()
                .map_err(|error| ParseError::Xml {
                    position,
                    message: format!("bad character reference &{name};: {error}"),
                })?
                .filter(|&character| is_xml_char(character))
                .ok_or_else(|| ParseError::Xml {
                    position,
                    message: format!("character reference &{name}; is not an XML 1.0 character"),
                })?;
            return Ok(character.to_string());
        }
        resolve_predefined_entity(&name)
            .map(str::to_owned)
            .ok_or_else(|| ParseError::UndefinedEntity {
                name: name.into_owned(),
                position,
            })
    }

    fn check_declaration(
        &self,
        declaration: &quick_xml::events::BytesDecl<'_>,
    ) -> Result<(), ParseError> {
        if let Some(encoding) = declaration.encoding() {
            let encoding = encoding.map_err(|error| ParseError::Xml {
                position: self.event_start,
                message: error.to_string(),
            })?;
            let name = String::from_utf8_lossy(&encoding).into_owned();
            if !name.eq_ignore_ascii_case("utf-8") && !name.eq_ignore_ascii_case("utf8") {
                return Err(ParseError::Encoding {
                    encoding: name,
                    position: self.event_start,
                });
            }
        }
        Ok(())
    }

    fn start_tag(
        &self,
        resolved: OwnedResolve,
        start: &BytesStart<'_>,
        empty: bool,
    ) -> Result<StartTag, ParseError> {
        let position = self.event_start;
        let local = String::from_utf8(start.local_name().as_ref().to_vec()).map_err(|_| {
            ParseError::Xml {
                position,
                message: "element name is not UTF-8".to_owned(),
            }
        })?;
        let ns = match resolved {
            OwnedResolve::Unbound => Ns::None,
            OwnedResolve::Bound(namespace) if namespace == EDXML_NAMESPACE => Ns::Edxml,
            OwnedResolve::Bound(namespace) if namespace == DSIG_NAMESPACE => Ns::Dsig,
            OwnedResolve::Bound(namespace) => Ns::Other(namespace),
            OwnedResolve::Unknown(prefix) => Ns::UndeclaredPrefix(prefix),
        };
        let mut attributes = Vec::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|error| ParseError::Xml {
                position,
                message: error.to_string(),
            })?;
            if attributes.len() >= self.limits.max_attributes {
                return Err(ParseError::TooLarge {
                    what: "number of attributes on one element",
                    limit: self.limits.max_attributes as u64,
                    position,
                });
            }
            if attribute.value.len() > self.limits.max_attribute_bytes {
                return Err(ParseError::TooLarge {
                    what: "attribute value",
                    limit: self.limits.max_attribute_bytes as u64,
                    position,
                });
            }
            let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
            let value = attribute
                .decode_and_unescape_value(self.reader.decoder())
                .map_err(|error| match error {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                    ) => ParseError::UndefinedEntity { name, position },
                    other => ParseError::Xml {
                        position,
                        message: other.to_string(),
                    },
                })?;
            if value.chars().any(|character| !is_xml_char(character)) {
                return Err(ParseError::Xml {
                    position,
                    message: format!("attribute {key} holds a character not allowed in XML"),
                });
            }
            attributes.push((key, value.into_owned()));
        }
        Ok(StartTag {
            local,
            ns,
            attributes,
            empty,
            position,
        })
    }

    /// Streams the base64 text of the element whose start tag was just returned by
    /// [`XmlIn::next`] (and was not empty) into `sink`, decoding on the fly, and consumes
    /// its end tag. The text is read straight from the input, outside quick-xml, so a
    /// gigabyte of base64 never sits in a buffer. References, CDATA sections and comments
    /// inside the text go through quick-xml as usual, within the markup budget.
    pub fn stream_base64(
        &mut self,
        sink: &mut dyn Write,
        limit: u64,
        limit_name: &'static str,
    ) -> Result<Result<StreamOutcome, io::Error>, ParseError> {
        let mut decoder = Base64Stream::new(sink, limit);
        let mut nested = 0usize;
        loop {
            // Bypass: copy bytes up to the next `<` or `&` from the input to the decoder.
            loop {
                let start_offset = self.reader.get_ref().consumed;
                let guard = self.reader.get_mut();
                guard.counting_markup = false;
                let available = match guard.fill_buf() {
                    Ok(available) => available,
                    Err(source) => {
                        guard.counting_markup = true;
                        return Err(ParseError::Io {
                            position: self.position(),
                            source,
                        });
                    }
                };
                if available.is_empty() {
                    guard.counting_markup = true;
                    return Err(ParseError::UnexpectedEof {
                        position: self.position(),
                    });
                }
                let stop = available
                    .iter()
                    .position(|&byte| byte == b'<' || byte == b'&');
                let chunk_len = stop.unwrap_or(available.len());
                let fed = if nested == 0 {
                    decoder.feed(&available[..chunk_len], start_offset)
                } else {
                    Ok(())
                };
                guard.consume(chunk_len);
                guard.counting_markup = true;
                self.bypassed += chunk_len as u64;
                match fed {
                    Ok(()) => {}
                    Err(FeedError::Sink(error)) => return Ok(Err(error)),
                    Err(FeedError::TooLarge) => {
                        return Err(ParseError::TooLarge {
                            what: limit_name,
                            limit,
                            position: self.position(),
                        })
                    }
                }
                if stop.is_some() {
                    break;
                }
            }
            // One event through quick-xml: a reference, CDATA, comment, stray element or
            // the end tag.
            self.event_start = self.position();
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event.into_owned(),
                Err(error) => return Err(self.xml_error(error)),
            };
            let offset = self.event_start.byte_offset;
            let fed = match event {
                Event::Text(content) if nested == 0 => decoder.feed(&content, offset),
                Event::CData(content) if nested == 0 => decoder.feed(&content, offset),
                Event::GeneralRef(reference) if nested == 0 => {
                    let resolved = self.resolve_reference(&reference)?;
                    decoder.feed(resolved.as_bytes(), offset)
                }
                Event::Start(_) => {
                    if nested == 0 {
                        decoder.fail(format!("element inside base64 content at byte {offset}"));
                    }
                    nested += 1;
                    if self.depth + nested > self.limits.max_depth {
                        return Err(ParseError::TooDeep {
                            limit: self.limits.max_depth,
                            position: self.event_start,
                        });
                    }
                    Ok(())
                }
                Event::Empty(_) if nested == 0 => {
                    decoder.fail(format!("element inside base64 content at byte {offset}"));
                    Ok(())
                }
                Event::End(_) if nested == 0 => break,
                Event::End(_) => {
                    nested -= 1;
                    Ok(())
                }
                Event::DocType(_) => {
                    return Err(ParseError::Doctype {
                        position: self.event_start,
                    })
                }
                Event::Eof => {
                    return Err(ParseError::UnexpectedEof {
                        position: self.event_start,
                    })
                }
                _ => Ok(()),
            };
            match fed {
                Ok(()) => {}
                Err(FeedError::Sink(error)) => return Ok(Err(error)),
                Err(FeedError::TooLarge) => {
                    return Err(ParseError::TooLarge {
                        what: limit_name,
                        limit,
                        position: self.position(),
                    })
                }
            }
        }
        self.depth = self.depth.saturating_sub(1);
        match decoder.finish() {
            Ok(outcome) => Ok(Ok(outcome)),
            Err(FeedError::Sink(error)) => Ok(Err(error)),
            Err(FeedError::TooLarge) => Err(ParseError::TooLarge {
                what: limit_name,
                limit,
                position: self.position(),
            }),
        }
    }
}

/// An owned copy of quick-xml's namespace resolution, so the event buffer can be reused.
enum OwnedResolve {
    Unbound,
    Bound(String),
    Unknown(String),
}

fn owned_resolve(resolved: &ResolveResult<'_>) -> OwnedResolve {
    match resolved {
        ResolveResult::Unbound => OwnedResolve::Unbound,
        ResolveResult::Bound(namespace) => {
            OwnedResolve::Bound(String::from_utf8_lossy(namespace.as_ref()).into_owned())
        }
        ResolveResult::Unknown(prefix) => {
            OwnedResolve::Unknown(String::from_utf8_lossy(prefix).into_owned())
        }
    }
}

/// Whether XML 1.0 allows the character in a document (production `Char`).
pub(crate) fn is_xml_char(character: char) -> bool {
    matches!(character,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Standard alphabet, padding optional (some peers drop it), trailing bits refused.
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const CHUNK: usize = 64 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Whitespace,
    Symbol,
    Pad,
    Invalid,
}

const fn classify(byte: u8) -> Class {
    match byte {
        b' ' | b'\t' | b'\r' | b'\n' => Class::Whitespace,
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => Class::Symbol,
        b'=' => Class::Pad,
        _ => Class::Invalid,
    }
}

const CLASSES: [Class; 256] = {
    let mut table = [Class::Invalid; 256];
    let mut index = 0;
    while index < 256 {
        table[index] = classify(index as u8);
        index += 1;
    }
    table
};

enum FeedError {
    Sink(io::Error),
    TooLarge,
}

/// Incremental base64 decoder: skips whitespace, decodes in fixed chunks, and on the first
/// bad byte stops decoding (the rest of the text is still consumed) and remembers why.
struct Base64Stream<'a> {
    sink: &'a mut dyn Write,
    symbols: Vec<u8>,
    decoded: Vec<u8>,
    decoded_len: u64,
    limit: u64,
    padding: usize,
    defect: Option<String>,
}

impl<'a> Base64Stream<'a> {
    fn new(sink: &'a mut dyn Write, limit: u64) -> Self {
        Self {
            sink,
            symbols: Vec::with_capacity(CHUNK),
            decoded: vec![0; CHUNK / 4 * 3],
            decoded_len: 0,
            limit,
            padding: 0,
            defect: None,
        }
    }

    fn fail(&mut self, reason: String) {
        if self.defect.is_none() {
            self.defect = Some(reason);
        }
    }

    fn feed(&mut self, bytes: &[u8], base_offset: u64) -> Result<(), FeedError> {
        if self.defect.is_some() {
            return Ok(());
        }
        for (index, &byte) in bytes.iter().enumerate() {
            match CLASSES[usize::from(byte)] {
                Class::Whitespace => continue,
                Class::Symbol if self.padding == 0 => self.symbols.push(byte),
                Class::Pad if self.padding < 2 => {
                    self.padding += 1;
                    self.symbols.push(byte);
                }
                Class::Symbol | Class::Pad => {
                    self.fail(format!(
                        "base64 continues after its padding at byte {}",
                        base_offset + index as u64
                    ));
                    return Ok(());
                }
                Class::Invalid => {
                    self.fail(format!(
                        "invalid base64 byte {:?} at byte {}",
                        char::from(byte),
                        base_offset + index as u64
                    ));
                    return Ok(());
                }
            }
            if self.symbols.len() == CHUNK {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), FeedError> {
        if self.symbols.is_empty() || self.defect.is_some() {
            self.symbols.clear();
            return Ok(());
        }
        match BASE64.decode_slice(&self.symbols, &mut self.decoded) {
            Ok(written) => {
                self.decoded_len += written as u64;
                if self.decoded_len > self.limit {
                    return Err(FeedError::TooLarge);
                }
                self.sink
                    .write_all(&self.decoded[..written])
                    .map_err(FeedError::Sink)?;
            }
            Err(error) => self.fail(describe_decode_error(&error)),
        }
        self.symbols.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<StreamOutcome, FeedError> {
        self.flush()?;
        self.sink.flush().map_err(FeedError::Sink)?;
        Ok(StreamOutcome {
            decoded_len: self.decoded_len,
            defect: self.defect,
        })
    }
}

/// Words base64 errors for people; the crate's own offsets count only the symbols of the
/// last chunk, which would mislead.
fn describe_decode_error(error: &base64::DecodeSliceError) -> String {
    use base64::{DecodeError, DecodeSliceError};
    match error {
        DecodeSliceError::DecodeError(DecodeError::InvalidLastSymbol(..)) => {
            "the last base64 group has non-zero padding bits (not canonical base64)".to_owned()
        }
        DecodeSliceError::DecodeError(DecodeError::InvalidLength(_)) => {
            "base64 content is truncated: its length is not a whole number of groups".to_owned()
        }
        DecodeSliceError::DecodeError(DecodeError::InvalidPadding) => {
            "base64 padding is malformed".to_owned()
        }
        other => format!("base64 content is malformed: {other}"),
    }
}

/// A base64 encoder for the writer: reads a source in chunks and writes one long line, as
/// the hub's SDK does.
pub(crate) fn encode_base64_stream(
    source: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<u64, EncodeError> {
    const INPUT_CHUNK: usize = 48 * 1024;
    let mut input = vec![0u8; INPUT_CHUNK];
    let mut encoded = vec![0u8; INPUT_CHUNK / 3 * 4];
    let mut filled = 0usize;
    let mut total = 0u64;
    loop {
        let read = match source.read(&mut input[filled..]) {
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(EncodeError::Source(error)),
        };
        filled += read;
        total += read as u64;
        let at_end = read == 0;
        if filled == INPUT_CHUNK || (at_end && filled > 0) {
            let written = base64::engine::general_purpose::STANDARD
                .encode_slice(&input[..filled], &mut encoded)
                .map_err(|error| EncodeError::Sink(io::Error::other(error)))?;
            out.write_all(&encoded[..written])
                .map_err(EncodeError::Sink)?;
            filled = 0;
        }
        if at_end {
            return Ok(total);
        }
    }
}

pub(crate) enum EncodeError {
    Source(io::Error),
    Sink(io::Error),
}
