//! Compatibility tests against the real messages of the national document hub's SDK
//! (tests/data, see its README). Every file must import; each defect is pinned here.
//! Attachment hashes were computed independently with Python's `base64` and `hashlib`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use congso_edxml::{
    read_edoc, read_message, read_status, write_edoc, write_status, BussinessDocType, Lenient,
    Message, ParseError, Severity, StatusCode,
};
use sha2::{Digest, Sha256};

fn data(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// One expected issue: severity, path, message.
type Expected<'a> = (Severity, &'a str, &'a str);

const E: Severity = Severity::Error;
const W: Severity = Severity::Warning;

const SIGNATURE_NS: Expected<'static> = (
    W,
    "Signature",
    "Signature is not in the XML-DSig namespace \"http://www.w3.org/2000/09/xmldsig#\"; read anyway",
);

/// Imports a sample as whichever kind it is, compares its issues with `expected`, and
/// checks that writing it and reading it back gives the same model.
fn check(name: &str, expected: &[Expected<'_>]) -> Message {
    let parsed = read_message(&data(name)[..]).unwrap_or_else(|error| panic!("{name}: {error}"));
    let got: Vec<(Severity, &str, &str)> = parsed
        .issues
        .iter()
        .map(|issue| (issue.severity, issue.path.as_str(), issue.message.as_str()))
        .collect();
    assert_eq!(got, expected, "{name}: issues differ");

    let rewritten = match &parsed.value {
        Message::Edoc(edoc) => write_edoc(edoc, Vec::new()).unwrap(),
        Message::Status(status) => write_status(status, Vec::new()).unwrap(),
    };
    let reread = read_message(&rewritten[..]).unwrap();
    assert_eq!(
        reread.value, parsed.value,
        "{name}: model changed by write + read"
    );
    parsed.value
}

fn edoc(message: Message) -> congso_edxml::EdocMessage {
    match message {
        Message::Edoc(edoc) => edoc,
        Message::Status(_) => panic!("expected a document message"),
    }
}

fn status(message: Message) -> congso_edxml::StatusMessage {
    match message {
        Message::Status(status) => status,
        Message::Edoc(_) => panic!("expected a status message"),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[test]
fn edoc_small_message_with_placeholder_attachment() {
    let message = edoc(check(
        "edoc.edxml",
        &[
            (E, "AttachmentEncoded", "namespace prefix \"edXML\" is used without a declaration in scope (from here on); its elements were read as edXML"),
            (E, "AttachmentEncoded/Attachment[1]/ContentTransferEncoded", "attachment content cannot be decoded: invalid base64 byte '$' at byte 8233; the content is incomplete"),
            (W, "MessageHeader/ResponseFor[1]", "ResponseFor holds only empty elements (a placeholder); it names no document"),
            (E, "MessageHeader/DocumentId", "document id \"9fbfbad2-f1f8-4256-a2eb-50fb1061cddb\" should have three parts OrganId,yyyy/MM/dd,Number/Notation"),
            (E, "TraceHeaderList/TraceHeader[1]/OrganId", "organ id \"01.02.G22\" has 9 characters, expected 13 (NNN.NN.NN.LNN)"),
            (W, "TraceHeaderList/Bussiness", "no Bussiness block; peers treat the message as a new document"),
        ],
    ));
    let header = &message.header;
    let from = header.from.as_ref().unwrap();
    assert_eq!(from.organ_id.as_ref().unwrap().text(), "002.00.20.H13");
    assert_eq!(from.organ_name.as_deref(), Some("Văn phòng Chính phủ"));
    assert_eq!(header.to.len(), 1);
    assert_eq!(
        header.to[0].organ_name.as_deref(),
        Some("Trung tâm test production 02323232323")
    );
    let code = header.code.as_ref().unwrap();
    assert_eq!(code.code_number.as_deref(), Some("12234555512"));
    assert_eq!(code.code_notation.as_deref(), Some("PRO-TEST-CASE1"));
    assert_eq!(
        header.document_type.as_ref().unwrap().type_name.as_deref(),
        Some("Thông tư")
    );
    assert_eq!(
        header.subject.as_deref(),
        Some("Văn bản liên thông chỉ đạo - 190701")
    );
    assert_eq!(header.to_places, ["Các bộ"]);
    let other = header.other_info.as_ref().unwrap();
    assert_eq!(other.priority, Some(Lenient::Valid(0)));
    assert_eq!(other.promulgation_amount, Some(Lenient::Valid(10)));
    assert_eq!(other.page_amount, Some(Lenient::Valid(2)));
    assert_eq!(other.appendixes, ["Phụ lục"]);
    assert_eq!(header.steering_type, Some(Lenient::Valid(1)));
    // The malformed identifier is kept as sent.
    assert_eq!(
        header.document_id,
        Some(Lenient::Invalid(
            "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb".to_owned()
        ))
    );
    let signature = message.signature.as_ref().unwrap();
    assert_eq!(
        signature.signature_method.as_deref(),
        Some("http://www.w3.org/2000/09/xmldsig#rsa-sha1")
    );
    assert_eq!(signature.references.len(), 1);
    assert_eq!(signature.references[0].uri.as_deref(), Some(""));
    assert_eq!(
        signature.references[0].digest_value.as_deref(),
        Some("PrlYKdD8sksgnxFvUVtPIQ0pAqM=")
    );
    assert_eq!(signature.x509_subject_name.as_deref(), Some(""));
    assert!(signature.x509_certificates[0].starts_with("MIIGADCCA+igAwIBAgIQVAH4"));
    let manifest = message.manifest.as_ref().unwrap();
    assert_eq!(manifest.version.as_deref(), Some("1.0"));
    assert_eq!(
        manifest.references[0].description.as_deref(),
        Some("Description 1")
    );
    assert_eq!(message.attachments.len(), 1);
    let meta = &message.attachments[0].meta;
    assert_eq!(
        meta.attachment_name.as_deref(),
        Some("GUIDE_INSTALL OPENVPN.SIGNED.PDF")
    );
    assert_eq!(meta.content_type.as_deref(), Some("application/pdf"));
    // "${__StringFromFile(test.txt,,,)}": nothing decodes before the bad byte.
    assert!(message.attachments[0].content.is_empty());
}

#[test]
fn edoc_new_business_type_0() {
    let message = edoc(check(
        "edoc_new.edxml",
        &[
            (E, "edXML", "text \"1212\" before the root element ignored (line 1, byte 0); strict XML parsers refuse such a file"),
            SIGNATURE_NS,
            (E, "MessageHeader/To[1]/OrganId", "organ id \"28.22.H17\" has 9 characters, expected 13 (NNN.NN.NN.LNN)"),
            (W, "MessageHeader/Code/CodeNumber", "document number \"74fass22\" is not decimal digits"),
            (W, "MessageHeader/From/OrganId", "organ 002.00.20.H13 differs from the organ 000.00.00.G22 in MessageHeader/DocumentId"),
            (W, "MessageHeader/PromulgationInfo/PromulgationDate", "date 2019/01/16 differs from the date 2015/09/30 in MessageHeader/DocumentId"),
            (W, "MessageHeader/Code", "code \"74fass22\"/\"VPCP-TTĐT\" differs from the number/notation \"7816/VPCP-TTĐT\" in MessageHeader/DocumentId"),
            (E, "TraceHeaderList/Bussiness/DocumentId", "document id \"000.00.00.G22,2014/02/30,7806/VPCP-TTĐT\": \"2014/02/30\" is not a real calendar date"),
        ],
    ));
    let bussiness = message
        .trace_header_list
        .as_ref()
        .unwrap()
        .bussiness
        .as_ref()
        .unwrap();
    assert_eq!(
        bussiness.bussiness_doc_type,
        Some(Lenient::Valid(BussinessDocType::New))
    );
    assert_eq!(
        bussiness.bussiness_doc_reason.as_deref(),
        Some("Văn bản điện tử mới")
    );
    assert_eq!(bussiness.paper, Some(Lenient::Valid(0)));
    let staff = bussiness.staff_info.as_ref().unwrap();
    assert_eq!(staff.staff.as_deref(), Some("Nguyễn Thị Ngọc Trâm"));
    assert_eq!(staff.mobile.as_deref(), Some("84912000001"));
    let document_type = message.header.document_type.as_ref().unwrap();
    assert_eq!(document_type.type_detail, Some(Lenient::Valid(0)));
    assert_eq!(
        message.header.other_info.as_ref().unwrap().direction,
        Some(Lenient::Valid(false))
    );
    // Leading space kept: free text is not altered.
    assert_eq!(
        message.header.to[0].organization_in_charge.as_deref(),
        Some(" UBND xã Hòa Sơn - UBND huyện Hòa Vang - Thành phố Đà Nẵng")
    );
    let trace = &message.trace_header_list.as_ref().unwrap().trace_headers[0];
    assert_eq!(
        trace.timestamp.as_ref().unwrap().text(),
        "2018/09/28 00:00:00"
    );
    let attachment = &message.attachments[0];
    assert_eq!(attachment.meta.content_id.as_deref(), Some("cid:209"));
    assert_eq!(attachment.content.len(), 270_823);
    assert_eq!(
        sha256_hex(&attachment.content),
        "7ab7c43a02a3cf2cedd14ebf2545a37e7a1307e0091b4ba94c2ef1e842a763aa"
    );
    // The attachment is a zip archive (local file header signature).
    assert_eq!(&attachment.content[..4], b"PK\x03\x04");
}

#[test]
fn edoc_replacement_business_type_3() {
    let message = edoc(check(
        "edoc_replacement.edxml",
        &[
            SIGNATURE_NS,
            (
                W,
                "MessageHeader/PromulgationInfo/PromulgationDate",
                "date 2018/09/28 differs from the date 2015/09/30 in MessageHeader/DocumentId",
            ),
        ],
    ));
    assert_eq!(message.header.to.len(), 3);
    let bussiness = message.trace_header_list.unwrap().bussiness.unwrap();
    assert_eq!(
        bussiness.bussiness_doc_type,
        Some(Lenient::Valid(BussinessDocType::Replace))
    );
    assert_eq!(bussiness.replacement_info_list.len(), 2);
    let replaced = &bussiness.replacement_info_list[0];
    assert_eq!(
        replaced.document_id.as_ref().unwrap().text(),
        "000.00.00.G22,2014/01/30,7806/VPCP-TTĐT"
    );
    let organs: Vec<String> = replaced.organ_ids.iter().map(Lenient::text).collect();
    assert_eq!(organs, ["000.00.00.H41", "000.00.00.H14"]);
    assert_eq!(
        sha256_hex(&message.attachments[0].content),
        "57634d6539d79c5935c12fabd7d8fa513d81d84a5fad4c82258a31ffa741aba5"
    );
}

#[test]
fn edoc_revocation_business_type_1() {
    let message = edoc(check(
        "edoc_revocation.edxml",
        &[
            SIGNATURE_NS,
            (W, "MessageHeader/ResponseFor[1]/OrganId", "organ 000.00.00.H14 differs from the organ 000.00.04.G14 in MessageHeader/ResponseFor[1]/DocumentId"),
            (W, "MessageHeader/ResponseFor[1]/PromulgationDate", "date 2018/09/28 differs from the date 2012/08/06 in MessageHeader/ResponseFor[1]/DocumentId"),
            (W, "MessageHeader/PromulgationInfo/PromulgationDate", "date 2018/09/28 differs from the date 2015/09/30 in MessageHeader/DocumentId"),
        ],
    ));
    let bussiness = message.trace_header_list.unwrap().bussiness.unwrap();
    assert_eq!(
        bussiness.bussiness_doc_type,
        Some(Lenient::Valid(BussinessDocType::Revoke))
    );
    let response = &message.header.response_for[0];
    assert_eq!(response.code.as_deref(), Some("267/VPCP-TTĐT"));
    let document_id = response.document_id.as_ref().unwrap().valid().unwrap();
    assert_eq!(document_id.organ_id().as_str(), "000.00.04.G14");
    assert_eq!(document_id.number(), "267");
    assert_eq!(
        sha256_hex(&message.attachments[0].content),
        "22100d39101238b750bc39a24ff6994cb2c0cf08f4edbf5f3c34d4700857d378"
    );
}

#[test]
fn edoc_update_business_type_2() {
    let message = edoc(check(
        "edoc_update.edxml",
        &[
            SIGNATURE_NS,
            (W, "MessageHeader/PromulgationInfo/PromulgationDate", "date 2018/09/28 differs from the date 2015/09/30 in MessageHeader/DocumentId"),
            (E, "TraceHeaderList/Bussiness/DocumentId", "document id \"000.00.00.G22,2014/02/30,7806/VPCP-TTĐT\": \"2014/02/30\" is not a real calendar date"),
        ],
    ));
    let bussiness = message.trace_header_list.unwrap().bussiness.unwrap();
    assert_eq!(
        bussiness.bussiness_doc_type,
        Some(Lenient::Valid(BussinessDocType::Update))
    );
    let info = bussiness.bussiness_document_info.unwrap();
    assert_eq!(info.document_info, Some(Lenient::Valid(1)));
    assert_eq!(info.document_receiver, Some(Lenient::Valid(1)));
    let receivers: Vec<(String, Option<u8>)> = info
        .receivers
        .iter()
        .map(|receiver| {
            (
                receiver.organ_id.as_ref().unwrap().text(),
                receiver
                    .receiver_type
                    .as_ref()
                    .and_then(|t| t.valid().copied()),
            )
        })
        .collect();
    assert_eq!(
        receivers,
        [
            ("000.00.00.H41".to_owned(), Some(0)),
            ("000.00.00.H14".to_owned(), Some(1))
        ]
    );
    assert_eq!(
        sha256_hex(&message.attachments[0].content),
        "51653b9613f7f0275b43f80704033299740c702f354f44a06f55770cfbb0b135"
    );
}

/// Status samples: file, code, expected issues.
#[test]
fn status_messages() {
    let cases: &[(&str, &str, &[Expected<'_>])] = &[
        ("status.edxml", "01", &[(W, "MessageHeader/ResponseFor/PromulgationDate", "date 2018/09/28 differs from the date 2015/09/30 in MessageHeader/ResponseFor/DocumentId")]),
        ("status_inbox_01.edxml", "01", &[]),
        ("status_rejection_02.edxml", "02", &[]),
        ("status_acceptance_03.edxml", "03", &[]),
        ("status_assignment_04.edxml", "04", &[]),
        ("status_processing_05.edxml", "05", &[]),
        ("status_finish_06.edxml", "06", &[]),
        ("status_cancellation_13.edxml", "13", &[(W, "MessageHeader/ResponseFor/OrganId", "organ 000.00.00.H41 differs from the organ 000.00.00.G22 in MessageHeader/ResponseFor/DocumentId")]),
        ("status_change-acceptance_15.edxml", "15", &[]),
        ("status_change-rejection_16.edxml", "16", &[]),
    ];
    for (name, code, expected) in cases {
        let message = status(check(name, expected));
        let got = message
            .status_code
            .as_ref()
            .unwrap()
            .valid()
            .copied()
            .unwrap();
        assert_eq!(got.to_string(), *code, "{name}");
        assert!(got.kind().is_some(), "{name}");
        assert!(message.staff_info.is_some(), "{name}");
        assert!(message.timestamp.as_ref().unwrap().is_valid(), "{name}");
        // The typed readers agree with the generic one.
        assert_eq!(
            read_status(&data(name)[..]).unwrap().value,
            message,
            "{name}"
        );
    }
    let accepted = read_status(&data("status_acceptance_03.edxml")[..])
        .unwrap()
        .value;
    assert_eq!(
        accepted.status_code,
        Some(Lenient::Valid(StatusCode::ACCEPTED))
    );
    assert_eq!(
        accepted.description.as_deref(),
        Some("Văn thư cơ - Phòng Văn thư - Lưu trữ: Tiếp nhận văn bản điện tử, vào sổ văn bản đến của đơn vị")
    );
    assert_eq!(
        accepted.response_for.unwrap().document_id.unwrap().text(),
        "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    );
}

#[test]
fn kind_mismatch_is_a_typed_error() {
    assert!(matches!(
        read_edoc(&data("status_finish_06.edxml")[..]),
        Err(ParseError::WrongKind {
            expected: "document",
            found: "status"
        })
    ));
    assert!(matches!(
        read_status(&data("edoc_update.edxml")[..]),
        Err(ParseError::WrongKind {
            expected: "status",
            found: "document"
        })
    ));
}

#[test]
fn written_sample_uses_the_standard_namespace_and_prefix() {
    let message = read_edoc(&data("edoc_update.edxml")[..]).unwrap().value;
    let written = String::from_utf8(write_edoc(&message, Vec::new()).unwrap()).unwrap();
    assert!(written.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\" xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">"));
    assert!(written.contains("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"));
    // The standard's order of MessageHeader items.
    let order = [
        "<edXML:From>",
        "<edXML:To>",
        "<edXML:Code>",
        "<edXML:PromulgationInfo>",
        "<edXML:DocumentType>",
        "<edXML:Subject>",
        "<edXML:Content>",
        "<edXML:SignerInfo>",
        "<edXML:DueDate>",
        "<edXML:ToPlaces>",
        "<edXML:OtherInfo>",
        "<edXML:SteeringType>",
        "<edXML:DocumentId>",
        "<edXML:TraceHeaderList>",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|tag| written.find(tag).unwrap_or_else(|| panic!("{tag} missing")))
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{positions:?}"
    );
    // Re-reading the written sample reports none of the envelope defects of the original.
    let reread = read_edoc(written.as_bytes()).unwrap();
    assert!(reread.issues.iter().all(|issue| issue.path != "Signature"));
}

#[test]
fn json_export_round_trips() {
    for name in [
        "edoc.edxml",
        "edoc_update.edxml",
        "status_cancellation_13.edxml",
    ] {
        let message = read_message(&data(name)[..]).unwrap().value;
        let json = serde_json::to_string(&message).unwrap();
        let back: Message = serde_json::from_str(&json).unwrap();
        assert_eq!(back, message, "{name}");
    }
    let message = read_edoc(&data("edoc.edxml")[..]).unwrap().value;
    let json = serde_json::to_value(&message).unwrap();
    assert_eq!(
        json["header"]["document_id"],
        "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"
    );
    assert_eq!(json["header"]["from"]["organ_id"], "002.00.20.H13");
}
