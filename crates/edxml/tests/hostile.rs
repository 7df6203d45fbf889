//! Hostile and malformed input: every case ends in a typed error with a position, never a
//! panic, and never costs more memory than the limits allow.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{self, BufRead, BufReader, Read};

use congso_edxml::{read_edoc, read_message, EdxmlReader, Limits, ParseError, Position};
use proptest::prelude::*;

const NS: &str = "http://www.mic.gov.vn/TBT/QCVN_102_2016";

/// A minimal status message with `inner` placed inside MessageHeader.
fn status_with(inner: &str) -> String {
    format!(
        "<edXML xmlns=\"{NS}\"><edXMLEnvelope><edXMLHeader><MessageHeader>{inner}<StatusCode>01</StatusCode></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>"
    )
}

/// Reads `input` and returns the error's text, or panics if it was accepted.
fn error_of(input: &[u8], limits: Limits) -> ParseError {
    match EdxmlReader::new(limits).read_message(input) {
        Ok(parsed) => panic!("accepted hostile input: {:?}", parsed.issues),
        Err(error) => error,
    }
}

fn check(input: &str, expected: &str) {
    let error = error_of(input.as_bytes(), Limits::default());
    assert_eq!(error.to_string(), expected);
}

#[test]
fn doctype_is_refused_before_any_entity_is_expanded() {
    let billion_laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<edXML>&lol2;</edXML>"#;
    check(
        billion_laughs,
        "document type declaration at line 2, byte 22 refused: edXML needs none, and DTDs enable entity expansion attacks",
    );
    let external =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE edXML SYSTEM \"file:///etc/passwd\">\n<edXML/>";
    check(
        external,
        "document type declaration at line 2, byte 22 refused: edXML needs none, and DTDs enable entity expansion attacks",
    );
}

#[test]
fn undefined_entities_are_refused() {
    check(
        &status_with("<Description>a &xxe; b</Description>"),
        "undefined entity reference &xxe; at line 1, byte 113",
    );
    check(
        &format!("<edXML xmlns=\"{NS}\" a=\"&xxe;\"/>"),
        "undefined entity reference &xxe; at line 1, byte 0",
    );
    // The five predefined entities and character references are fine.
    let parsed = read_message(
        status_with("<Description>&lt;&amp;&gt;&apos;&quot;&#x1EA1;&#7841;</Description>")
            .as_bytes(),
    )
    .unwrap();
    let congso_edxml::Message::Status(status) = parsed.value else {
        panic!("not a status message")
    };
    assert_eq!(status.description.as_deref(), Some("<&>'\"ạạ"));
    check(
        &status_with("<Description>&#0;</Description>"),
        "malformed xml at line 1, byte 111: bad character reference &#0;: invalid character reference: 0x0 character is not permitted in XML",
    );
    check(
        &status_with("<Description>a\u{1}b</Description>"),
        "malformed xml at line 1, byte 111: character U+0001 is not allowed in XML 1.0 text",
    );
    check(
        &status_with("<Description>&#x1;</Description>"),
        "malformed xml at line 1, byte 111: character reference &#x1; is not an XML 1.0 character",
    );
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("<edXML xmlns=\"{NS}\">{}", "<a>".repeat(10_000));
    check(&deep, "elements nested deeper than 32 at line 1, byte 148");
}

#[test]
fn sizes_are_bounded() {
    let limits = Limits {
        max_text_bytes: 1000,
        max_attribute_bytes: 100,
        max_attributes: 4,
        max_markup_bytes: 10_000,
        ..Limits::default()
    };
    let long_text = status_with(&format!("<Description>{}</Description>", "ạ".repeat(600)));
    assert_eq!(
        error_of(long_text.as_bytes(), limits).to_string(),
        "text of one element exceeds the limit of 1000 bytes at line 1, byte 111"
    );
    let long_attribute = format!("<edXML xmlns=\"{NS}\" x=\"{}\"/>", "a".repeat(101));
    assert_eq!(
        error_of(long_attribute.as_bytes(), limits).to_string(),
        "attribute value exceeds the limit of 100 bytes at line 1, byte 0"
    );
    let many_attributes = format!("<edXML xmlns=\"{NS}\" a=\"\" b=\"\" c=\"\" d=\"\"/>");
    assert_eq!(
        error_of(many_attributes.as_bytes(), limits).to_string(),
        "number of attributes on one element exceeds the limit of 4 bytes at line 1, byte 0"
    );
    // Many small elements add up to the markup budget even though each is small.
    let many = status_with(&"<Unknown>x</Unknown>\n".repeat(1000));
    let error = error_of(many.as_bytes(), limits);
    assert!(
        matches!(
            error,
            ParseError::TooLarge {
                what: "message outside attachment content",
                limit: 10_000,
                ..
            }
        ),
        "{error}"
    );
    // A single giant tag cannot make the tokenizer buffer more than the budget.
    let giant_tag = format!("<edXML xmlns=\"{NS}\"><{}", "a".repeat(100_000));
    let error = error_of(giant_tag.as_bytes(), limits);
    assert!(matches!(error, ParseError::TooLarge { .. }), "{error}");
}

#[test]
fn in_memory_attachments_are_bounded() {
    let limits = Limits {
        max_in_memory_attachment_bytes: 1000,
        ..Limits::default()
    };
    let input = format!(
        "<edXML xmlns=\"{NS}\"><AttachmentEncoded><Attachment><ContentId>a</ContentId><ContentTransferEncoded>{}</ContentTransferEncoded></Attachment></AttachmentEncoded></edXML>",
        "QUFB".repeat(500)
    );
    let error = EdxmlReader::new(limits)
        .read_edoc(input.as_bytes())
        .unwrap_err();
    assert!(
        matches!(
            error,
            ParseError::TooLarge {
                what: "attachments kept in memory",
                limit: 1000,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn structural_errors_have_positions() {
    check(
        "<?xml version=\"1.0\"?>\r\n<edXML>\r\n  <a>\r\n  </b>\r\n</edXML>",
        "malformed xml at line 4, byte 41: ill-formed document: expected `</a>`, but `</b>` was found",
    );
    check(
        &format!("<edXML xmlns=\"{NS}\"><edXMLEnvelope>"),
        "input ends at line 1, byte 70 before the document is complete",
    );
    check(
        "<html><body/></html>",
        "root element <html> at line 1, byte 0 is not <edXML>",
    );
    check(
        "<?xml version=\"1.0\" encoding=\"windows-1258\"?><edXML/>",
        "unsupported encoding \"windows-1258\" at line 1, byte 0: edXML is read as UTF-8 only",
    );
    check(
        "",
        "input ends at line 1, byte 0 before the document is complete",
    );
    check(
        "<edXML/><edXML/>",
        "malformed xml at line 1, byte 8: second root element <edXML>",
    );
    let invalid_utf8 = [
        status_with("<Description>").into_bytes(),
        vec![0xC3, 0x28],
        b"</Description>".to_vec(),
    ]
    .concat();
    let error = error_of(&invalid_utf8, Limits::default());
    assert!(matches!(error, ParseError::Xml { .. }), "{error}");
}

#[test]
fn attachment_truncated_inside_content() {
    let input = format!(
        "<edXML xmlns=\"{NS}\">\n<AttachmentEncoded><Attachment><ContentTransferEncoded>QUFB\nQUFB"
    );
    let error = read_edoc(input.as_bytes()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "input ends at line 3, byte 120 before the document is complete"
    );
}

/// A reader that fails after a number of bytes, like a dropped connection.
struct Failing {
    data: Vec<u8>,
    offset: usize,
}

impl Read for Failing {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.offset >= self.data.len() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "peer went away",
            ));
        }
        let n = out.len().min(self.data.len() - self.offset).min(7);
        out[..n].copy_from_slice(&self.data[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

#[test]
fn io_errors_are_reported_with_position() {
    let data = status_with("<Description>abc</Description>").into_bytes();
    for cut in [10, 80, 150] {
        let input = BufReader::with_capacity(
            16,
            Failing {
                data: data[..cut].to_vec(),
                offset: 0,
            },
        );
        let error = read_message(input).unwrap_err();
        match error {
            ParseError::Io { source, position } => {
                assert_eq!(source.kind(), io::ErrorKind::ConnectionReset);
                assert!(position.byte_offset <= cut as u64, "{position}");
            }
            other => panic!("cut at {cut}: {other}"),
        }
    }
    // Streaming attachments: the bypass reports IO errors too.
    let attachment = format!(
        "<edXML xmlns=\"{NS}\"><AttachmentEncoded><Attachment><ContentTransferEncoded>{}",
        "QUFB".repeat(100)
    );
    let input = BufReader::with_capacity(
        16,
        Failing {
            data: attachment.into_bytes(),
            offset: 0,
        },
    );
    let error = EdxmlReader::default()
        .read_edoc_streaming(input, |_| Ok(io::sink()))
        .unwrap_err();
    assert!(matches!(error, ParseError::Io { .. }), "{error}");
}

#[test]
fn position_display() {
    let position = Position {
        byte_offset: 12,
        line: 3,
    };
    assert_eq!(position.to_string(), "line 3, byte 12");
}

/// Turns a byte slice into a `BufRead` with a tiny buffer, so that every boundary case of
/// the attachment bypass and the markup budget is exercised.
fn tiny(input: &[u8]) -> impl BufRead + '_ {
    BufReader::with_capacity(3, input)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes never panic.
    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_message(&input[..]);
        let _ = EdxmlReader::default().read_edoc_streaming(tiny(&input), |_| Ok(io::sink()));
    }

    /// Mutations of a real message never panic, with any buffer size.
    #[test]
    fn mutated_samples_never_panic(
        position in 0usize..2000,
        replacement in proptest::collection::vec(any::<u8>(), 0..8),
        small_limits in any::<bool>(),
    ) {
        let sample = include_bytes!("data/edoc.edxml");
        let mut input = sample.to_vec();
        let at = position.min(input.len());
        let end = (at + replacement.len()).min(input.len());
        input.splice(at..end, replacement);
        let limits = if small_limits {
            Limits { max_depth: 6, max_text_bytes: 64, max_markup_bytes: 4096, ..Limits::default() }
        } else {
            Limits::default()
        };
        let reader = EdxmlReader::new(limits);
        let _ = reader.read_message(&input[..]);
        let _ = reader.read_edoc_streaming(tiny(&input), |_| Ok(io::sink()));
    }
}
