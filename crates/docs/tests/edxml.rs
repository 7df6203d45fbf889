//! edXML through the service on both databases: every real sample of the
//! national hub's SDK imports with its defects listed; new, update,
//! replacement and revocation of one document; export then re-import gives
//! the same metadata; status messages produced and consumed; hostile
//! packages refused with nothing registered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::{outgoing, pdf, to_signed, upload, Node};
use congso_docs::files::FileKind;
use congso_docs::service::{Imported, SignedFile, TransitionRequest};
use congso_docs::DocsError;
use congso_edxml::{Severity, StatusCode};
use congso_store::documents as store;
use congso_store::{conformance, Db};

fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../edxml/tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

const DOCUMENT_SAMPLES: [&str; 5] = [
    "edoc.edxml",
    "edoc_new.edxml",
    "edoc_update.edxml",
    "edoc_replacement.edxml",
    "edoc_revocation.edxml",
];

const STATUS_SAMPLES: [(&str, u8); 10] = [
    ("status.edxml", 1),
    ("status_inbox_01.edxml", 1),
    ("status_rejection_02.edxml", 2),
    ("status_acceptance_03.edxml", 3),
    ("status_assignment_04.edxml", 4),
    ("status_processing_05.edxml", 5),
    ("status_finish_06.edxml", 6),
    ("status_cancellation_13.edxml", 13),
    ("status_change-acceptance_15.edxml", 15),
    ("status_change-rejection_16.edxml", 16),
];

fn step(name: &str) -> TransitionRequest {
    TransitionRequest {
        transition: name.into(),
        ..Default::default()
    }
}

conformance!(
    every_real_sample_imports_with_its_defects,
    |db: Db| async move {
        for name in DOCUMENT_SAMPLES {
            // Each sample on its own node: they share one DocumentId.
            let node = Node::new(db.clone()).await;
            let imported = node
                .service
                .import_edxml(&node.clerk, std::io::Cursor::new(sample(name)))
                .await;
            let (registered, issues) = match imported {
                Ok(Imported::Registered { registered, issues }) => (registered, issues),
                other => panic!("{name}: {other:?}"),
            };
            assert_eq!(registered.arrival_number, 1, "{name}");
            assert!(
                !issues.is_empty(),
                "{name}: every sample has defects to report"
            );
            let detail = node
                .service
                .get(&node.clerk, registered.document_id)
                .await
                .unwrap();
            // The defects are kept with the document for the clerk.
            let stored: Vec<congso_edxml::FieldIssue> =
                serde_json::from_str(&detail.row.import_issues).unwrap();
            assert_eq!(stored, issues, "{name}");
            assert!(!detail.metadata.summary.is_empty(), "{name}");
            assert!(detail.metadata.sender.is_some(), "{name}");
            // The attachment is stored, whatever it held.
            assert_eq!(detail.files.len(), 1, "{name}");
            node.ledger.shutdown().await.unwrap();
            // Leave the database empty for the next sample's node.
            reset(&db).await;
        }
    }
);

async fn reset(db: &Db) {
    for table in [
        "edxml_outbox",
        "document_recipient_status",
        "notifications",
        "document_terms",
        "document_handlers",
        "document_assignments",
        "document_events",
        "document_signatures",
        "document_files",
        "documents",
        "document_series",
        "document_clearances",
        "mail_outbox",
        "user_roles",
        "users",
        "organizations",
        "ledger_checkpoints",
        "ledger_entries",
    ] {
        congso_store::testing_raw_execute(db, &format!("DELETE FROM {table}"))
            .await
            .unwrap();
    }
}

conformance!(
    the_new_document_sample_maps_field_by_field,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        let service = &node.service;
        let imported = service
            .import_edxml(&node.clerk, std::io::Cursor::new(sample("edoc_new.edxml")))
            .await
            .unwrap();
        let Imported::Registered { registered, issues } = imported else {
            panic!("{imported:?}")
        };
        let paths: Vec<(Severity, &str)> = issues
            .iter()
            .map(|issue| (issue.severity, issue.path.as_str()))
            .collect();
        assert_eq!(
            paths,
            [
                (Severity::Error, "edXML"),
                (Severity::Warning, "Signature"),
                (Severity::Error, "MessageHeader/To[1]/OrganId"),
                (Severity::Warning, "MessageHeader/Code/CodeNumber"),
                (Severity::Warning, "MessageHeader/From/OrganId"),
                (
                    Severity::Warning,
                    "MessageHeader/PromulgationInfo/PromulgationDate"
                ),
                (Severity::Warning, "MessageHeader/Code"),
                (Severity::Error, "TraceHeaderList/Bussiness/DocumentId"),
            ]
        );
        let detail = service
            .get(&node.clerk, registered.document_id)
            .await
            .unwrap();
        let metadata = &detail.metadata;
        assert_eq!(metadata.type_code, "cong-van");
        assert_eq!(
            metadata.summary,
            "V/v kết nối, liên thông phần mềm quản lý văn bản"
        );
        assert_eq!(metadata.number.as_deref(), Some("74fass22"));
        assert_eq!(metadata.notation.as_deref(), Some("VPCP-TTĐT"));
        assert_eq!(metadata.place.as_deref(), Some("Hà Nội"));
        assert_eq!(
            metadata
                .issue_date
                .map(congso_docs::model::iso_date)
                .as_deref(),
            Some("2019-01-16")
        );
        let sender = metadata.sender.as_ref().unwrap();
        assert_eq!(sender.organ_code.as_deref(), Some("002.00.20.H13"));
        let signer = metadata.signer.as_ref().unwrap();
        assert_eq!(
            signer.authority,
            Some(congso_docs::model::SigningAuthority::ByOrder)
        );
        assert_eq!(signer.on_behalf_of.as_deref(), Some("BO TRUONG"));
        assert_eq!(signer.full_name, "Nguyen Thanh Phuc");
        // The "Nơi nhận" lines first, then the To organisation, whose malformed
        // code is dropped while its name is kept.
        let names: Vec<&str> = metadata
            .recipients
            .iter()
            .map(|recipient| recipient.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "Cac bo va co quan ngang bo",
                "Uy ban nhan dan cac tinh, TP",
                "UBND xã Hòa Sơn - UBND huyện Hòa Vang - Thành phố Đà Nẵng",
            ]
        );
        assert!(metadata
            .recipients
            .iter()
            .all(|recipient| recipient.organ_code.is_none()));
        assert_eq!(
            metadata.edxml_document_id.as_deref(),
            Some("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
        );
        assert_eq!(
            detail.row.number_notation.as_deref(),
            Some("74fass22/VPCP-TTĐT")
        );
        assert_eq!(
            detail.files[0].mime, "application/zip",
            "as the sender declared it"
        );
        assert_eq!(detail.files[0].name, "1896_QD-TTg_m_294779.doc");
        // Registration told the sender "03 accepted".
        let outbox = service.outbox(&node.clerk, 10).await.unwrap();
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].status_code, Some(3));
        let status = congso_edxml::read_status(outbox[0].payload.as_bytes()).unwrap();
        assert_eq!(
            status
                .value
                .response_for
                .unwrap()
                .document_id
                .unwrap()
                .text(),
            "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
        );
        // Assigning tells it "04".
        service
            .assign(
                &node.leader,
                registered.document_id,
                congso_docs::service::AssignTo {
                    user_id: Some(node.specialist.user_id),
                    unit_id: None,
                    due: None,
                },
                None,
            )
            .await
            .unwrap();
        let codes: Vec<Option<i64>> = service
            .outbox(&node.clerk, 10)
            .await
            .unwrap()
            .iter()
            .map(|row| row.status_code)
            .collect();
        assert_eq!(codes, [Some(3), Some(4)]);
        // The same package again is refused with a pointer to the first.
        let again = service
            .import_edxml(&node.clerk, std::io::Cursor::new(sample("edoc_new.edxml")))
            .await;
        match again {
            Err(DocsError::Duplicate(first)) => {
                assert_eq!(first.document_id, registered.document_id)
            }
            other => panic!("{other:?}"),
        }
        node.ledger.shutdown().await.unwrap();
    }
);

conformance!(
    updates_replacements_and_revocations_apply_to_the_first,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        let service = &node.service;
        let Imported::Registered { registered, .. } = service
            .import_edxml(&node.clerk, std::io::Cursor::new(sample("edoc_new.edxml")))
            .await
            .unwrap()
        else {
            panic!()
        };
        let id = registered.document_id;
        for (name, business) in [
            ("edoc_update.edxml", "update"),
            ("edoc_replacement.edxml", "replace"),
            ("edoc_revocation.edxml", "revoke"),
        ] {
            match service
                .import_edxml(&node.clerk, std::io::Cursor::new(sample(name)))
                .await
                .unwrap()
            {
                Imported::Applied {
                    document_id,
                    business: got,
                    ..
                } => {
                    assert_eq!(document_id, id, "{name}");
                    assert_eq!(got, business, "{name}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        let detail = service.get(&node.clerk, id).await.unwrap();
        assert!(detail.row.recalled_at.is_some(), "the revocation froze it");
        let kinds: Vec<String> = service
            .timeline(&node.clerk, id)
            .await
            .unwrap()
            .into_iter()
            .map(|event| event.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "arrived",
                "transition",
                "sender_updated",
                "sender_replaced",
                "sender_revoked"
            ]
        );
        // Nothing new was registered.
        let (documents, _, _) = store::counts(&db).await.unwrap();
        assert_eq!(documents, 1);
        node.ledger.shutdown().await.unwrap();
    }
);

conformance!(
    export_then_import_gives_the_same_metadata,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        let service = &node.service;
        let mut metadata = outgoing("quyet-dinh", "Về việc giao chỉ tiêu kế hoạch năm 2027");
        metadata.urgency = congso_docs::model::Urgency::Urgent;
        metadata.page_count = Some(4);
        metadata.appendixes = vec!["Phụ lục I".into()];
        metadata.marks = vec![congso_docs::model::CirculationMark::InternalOnly];
        let id = service
            .create_draft(&node.specialist, metadata)
            .await
            .unwrap();
        let body = pdf("quyết định");
        service
            .attach_file(
                &node.specialist,
                id,
                FileKind::Original,
                upload("qd.pdf", "application/pdf", &body),
            )
            .await
            .unwrap();
        service
            .transition(&node.specialist, id, step("submit"))
            .await
            .unwrap();
        service
            .transition(&node.leader, id, step("review"))
            .await
            .unwrap();
        service
            .transition(&node.leader, id, step("approve"))
            .await
            .unwrap();
        let signed_bytes = pdf("quyết định đã ký");
        let signed = node
            .blobs
            .put_bytes(signed_bytes.clone().into())
            .await
            .unwrap();
        service
            .mark_signed(
                &node.leader,
                id,
                SignedFile {
                    sha256: signed.sha256,
                    size: signed.size,
                    mime: "application/pdf".into(),
                    name: "qd.signed.pdf".into(),
                },
                "sig-7",
            )
            .await
            .unwrap();
        service
            .transition(&node.clerk, id, step("issue"))
            .await
            .unwrap();
        let out = service
            .export_edxml(&node.clerk, id, Vec::new())
            .await
            .unwrap();
        // Our own output is clean edXML.
        let parsed = congso_edxml::read_edoc(&out[..]).unwrap();
        assert_eq!(parsed.issues, vec![]);
        assert_eq!(parsed.value.attachments.len(), 2);
        assert_eq!(parsed.value.attachments[0].content, body);
        assert_eq!(parsed.value.attachments[1].content, signed_bytes);

        let original = service.get(&node.clerk, id).await.unwrap();
        let Imported::Registered { registered, issues } = service
            .import_edxml(&node.clerk, std::io::Cursor::new(out))
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(issues, vec![]);
        let copy = service
            .get(&node.clerk, registered.document_id)
            .await
            .unwrap();
        let mut expected = original.metadata.clone();
        expected.type_name = Some("Quyết định".into());
        expected.number = original.row.number_text.clone();
        expected.notation = original.row.notation.clone();
        expected.issue_date = original
            .row
            .issue_date
            .as_deref()
            .and_then(congso_docs::model::parse_iso_date);
        expected.sender = Some(expected.issuer.clone());
        expected.edxml_document_id = original.row.edxml_document_id.clone();
        // Internal bookkeeping that does not travel in edXML.
        expected.file_holder = None;
        let mut got = copy.metadata.clone();
        got.file_holder = None;
        assert_eq!(got, expected);
        assert_eq!(copy.row.number_notation, original.row.number_notation);
        let hashes = |detail: &congso_docs::service::DocumentDetail| -> Vec<Vec<u8>> {
            detail
                .files
                .iter()
                .map(|file| file.sha256.clone())
                .collect()
        };
        assert_eq!(hashes(&copy), hashes(&original));
        node.ledger.shutdown().await.unwrap();
    }
);

conformance!(status_messages_are_consumed, |db: Db| async move {
    let node = Node::new(db.clone()).await;
    let service = &node.service;
    let id = service
        .create_draft(&node.specialist, outgoing("cong-van", "V/v trao đổi"))
        .await
        .unwrap();
    service
        .transition(&node.specialist, id, step("submit"))
        .await
        .unwrap();
    service
        .transition(&node.leader, id, step("review"))
        .await
        .unwrap();
    service
        .transition(&node.leader, id, step("approve"))
        .await
        .unwrap();
    let signed = node.blobs.put_bytes(pdf("cv").into()).await.unwrap();
    service
        .mark_signed(
            &node.leader,
            id,
            SignedFile {
                sha256: signed.sha256,
                size: signed.size,
                mime: "application/pdf".into(),
                name: "cv.pdf".into(),
            },
            "sig",
        )
        .await
        .unwrap();
    service
        .transition(&node.clerk, id, step("issue"))
        .await
        .unwrap();
    service
        .transition(&node.clerk, id, step("dispatch"))
        .await
        .unwrap();
    let edxml_id = service
        .get(&node.clerk, id)
        .await
        .unwrap()
        .row
        .edxml_document_id
        .unwrap();
    // The recipient (Văn phòng Chính phủ) answers 01, then 03.
    let recipient = congso_docs::edxml_map::OwnOrganization {
        organ_code: "000.00.00.G22".into(),
        name: "Văn phòng Chính phủ".into(),
        address: None,
        email: None,
        phone: None,
        website: None,
    };
    for code in [StatusCode::ARRIVED, StatusCode::ACCEPTED] {
        let message = congso_docs::edxml_map::status_message(
            &recipient,
            None,
            &edxml_id,
            code,
            "Đã tiếp nhận",
            Some(("Văn thư VPCP", None)),
            chrono::NaiveDate::from_ymd_opt(2026, 3, 3)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap(),
        );
        let bytes = congso_edxml::write_status(&message, Vec::new()).unwrap();
        let read = congso_edxml::read_status(&bytes[..]).unwrap();
        assert_eq!(
            service
                .receive_status(&node.clerk, &read.value)
                .await
                .unwrap(),
            id
        );
    }
    let detail = service.get(&node.clerk, id).await.unwrap();
    let codes: Vec<(i64, Option<String>)> = detail
        .recipient_statuses
        .iter()
        .map(|status| (status.status_code, status.organ_code.clone()))
        .collect();
    assert_eq!(
        codes,
        [
            (1, Some("000.00.00.G22".into())),
            (3, Some("000.00.00.G22".into()))
        ]
    );
    // Every real status sample is read; they name documents we never sent.
    for (name, code) in STATUS_SAMPLES {
        let parsed = congso_edxml::read_status(&sample(name)[..]).unwrap();
        let status = congso_docs::edxml_map::read_status(&parsed.value).unwrap();
        assert_eq!(status.code, code, "{name}");
        let unknown = service.receive_status(&node.clerk, &parsed.value).await;
        assert!(
            matches!(unknown, Err(DocsError::Workflow(_))),
            "{name}: {unknown:?}"
        );
    }
    let not_clerk = service
        .receive_status(&node.specialist, &congso_edxml::StatusMessage::default())
        .await;
    assert!(matches!(not_clerk, Err(DocsError::Forbidden(_))));
    let empty = service
        .receive_status(&node.clerk, &congso_edxml::StatusMessage::default())
        .await;
    assert!(matches!(empty, Err(DocsError::EdxmlRejected(_))));
    node.ledger.shutdown().await.unwrap();
});

conformance!(hostile_packages_register_nothing, |db: Db| async move {
    let node = Node::new(db.clone()).await;
    let service = &node.service;
    let before = store::counts(&db).await.unwrap();
    let entity_bomb = r#"<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXMLEnvelope><edXMLHeader><MessageHeader>
<Subject>&b;</Subject></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>"#;
    let refused = service
        .import_edxml(
            &node.clerk,
            std::io::Cursor::new(entity_bomb.as_bytes().to_vec()),
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(DocsError::Edxml(congso_edxml::ParseError::Doctype { .. }))
        ),
        "{refused:?}"
    );
    // A package whose attachment is over the limit (1 MiB on the test node).
    let big = String::from_utf8(sample("edoc_new.edxml")).unwrap();
    let tag = big.find("<edXML:ContentTransferEncoded").unwrap();
    let start = tag + big[tag..].find('>').unwrap() + 1;
    let end = big[start..]
        .find("</edXML:ContentTransferEncoded>")
        .unwrap()
        + start;
    let huge = format!(
        "{}{}{}",
        &big[..start],
        "QUFBQUFB".repeat(300_000),
        &big[end..]
    );
    let too_big = service
        .import_edxml(&node.clerk, std::io::Cursor::new(huge.into_bytes()))
        .await;
    assert!(
        matches!(
            too_big,
            Err(DocsError::Edxml(congso_edxml::ParseError::TooLarge { .. }))
        ),
        "{too_big:?}"
    );
    // A package without a subject or sender: the field list, nothing registered.
    let bare = r#"<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXMLEnvelope><edXMLHeader><MessageHeader>
<DocumentType><Type>1</Type><TypeName>Công văn</TypeName></DocumentType></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>"#;
    match service
        .import_edxml(&node.clerk, std::io::Cursor::new(bare.as_bytes().to_vec()))
        .await
    {
        Err(DocsError::EdxmlRejected(issues)) => {
            let paths: Vec<&str> = issues
                .iter()
                .filter(|issue| issue.severity == Severity::Error)
                .map(|issue| issue.path.as_str())
                .collect();
            assert!(paths.contains(&"MessageHeader/Subject"), "{paths:?}");
            assert!(paths.contains(&"MessageHeader/From"), "{paths:?}");
        }
        other => panic!("{other:?}"),
    }
    // Truncated XML.
    let truncated = sample("edoc.edxml")[..2000].to_vec();
    let truncated = service
        .import_edxml(&node.clerk, std::io::Cursor::new(truncated))
        .await;
    assert!(
        matches!(truncated, Err(DocsError::Edxml(_))),
        "{truncated:?}"
    );
    assert_eq!(store::counts(&db).await.unwrap(), before);
    node.ledger.shutdown().await.unwrap();
});

conformance!(
    a_replacement_names_what_it_replaces_and_freezes_the_recipients_copy,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        let service = &node.service;
        // The first decision, issued and received (here: by ourselves).
        let first = service
            .create_draft(
                &node.specialist,
                outgoing("quyet-dinh", "Về việc thành lập Tổ công tác"),
            )
            .await
            .unwrap();
        to_signed(&node, first).await;
        let issued = service
            .transition(&node.clerk, first, step("issue"))
            .await
            .unwrap();
        let number = issued.number.unwrap();
        let first_edxml = service
            .get(&node.clerk, first)
            .await
            .unwrap()
            .row
            .edxml_document_id
            .unwrap();
        let package = service
            .export_edxml(&node.clerk, first, Vec::new())
            .await
            .unwrap();
        let Imported::Registered {
            registered: copy, ..
        } = service
            .import_edxml(&node.clerk, std::io::Cursor::new(package))
            .await
            .unwrap()
        else {
            panic!("the first decision registers")
        };

        // A replacement names it by number; an unknown number is refused.
        let mut replacement = outgoing("quyet-dinh", "Về việc thành lập Tổ công tác (thay thế)");
        replacement.replaces = vec!["99/QĐ-KHONGCO".into()];
        match service
            .create_draft(&node.specialist, replacement.clone())
            .await
        {
            Err(DocsError::Invalid(errors)) => {
                assert_eq!(errors[0].field, "replaces[0]");
                assert_eq!(errors[0].code, "unknown");
            }
            other => panic!("{other:?}"),
        }
        replacement.replaces = vec![number.clone()];
        let second = service
            .create_draft(&node.specialist, replacement)
            .await
            .unwrap();
        let draft = service.get(&node.specialist, second).await.unwrap();
        assert_eq!(
            draft.metadata.replaces,
            std::slice::from_ref(&first_edxml),
            "kept as the DocumentId"
        );
        to_signed(&node, second).await;
        service
            .transition(&node.clerk, second, step("issue"))
            .await
            .unwrap();
        let package = service
            .export_edxml(&node.clerk, second, Vec::new())
            .await
            .unwrap();
        let parsed = congso_edxml::read_edoc(&package[..]).unwrap();
        let bussiness = parsed
            .value
            .trace_header_list
            .as_ref()
            .and_then(|list| list.bussiness.as_ref())
            .unwrap();
        assert_eq!(
            bussiness
                .bussiness_doc_type
                .as_ref()
                .and_then(|t| t.valid())
                .copied(),
            Some(congso_edxml::BussinessDocType::Replace)
        );
        let info = &bussiness.replacement_info_list[0];
        assert_eq!(
            info.document_id.as_ref().map(|id| id.text()),
            Some(first_edxml.clone())
        );
        let organs: Vec<String> = info.organ_ids.iter().map(|organ| organ.text()).collect();
        assert_eq!(
            organs,
            ["000.00.00.G22"],
            "the recipients of the replaced one"
        );

        // Received: registered as a new document, and the replaced copy is
        // frozen with a pointer to it.
        let Imported::Registered { registered, .. } = service
            .import_edxml(&node.clerk, std::io::Cursor::new(package))
            .await
            .unwrap()
        else {
            panic!("a replacement under its own DocumentId registers")
        };
        assert_ne!(registered.document_id, copy.document_id);
        let old = service.get(&node.clerk, copy.document_id).await.unwrap();
        assert!(old.row.recalled_at.is_some(), "the replaced copy is frozen");
        let reason = old.row.recall_reason.unwrap();
        assert!(reason.contains("Được thay thế bằng văn bản"), "{reason}");
        assert!(
            reason.contains(&format!("số đến {}/", registered.arrival_number)),
            "{reason}"
        );
        let kinds: Vec<String> = service
            .timeline(&node.clerk, copy.document_id)
            .await
            .unwrap()
            .into_iter()
            .map(|event| event.kind)
            .collect();
        assert_eq!(kinds.last().map(String::as_str), Some("sender_replaced"));
        node.ledger.shutdown().await.unwrap();
    }
);
