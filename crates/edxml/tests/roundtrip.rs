//! Property tests: any model written and read back is the same model, including
//! Vietnamese text, XML special characters, whitespace, malformed typed values kept as
//! text, and empty optionals; the same holds through JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::io::BufReader;
use std::rc::Rc;

use congso_edxml::*;
use proptest::option::of;
use proptest::prelude::*;

/// Free text: Vietnamese letters, XML specials, line ends and tabs, astral characters.
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "[a-zA-Z0-9 àáạảãăắằẳẵặâấầẩẫậđèéẹẻẽêếềểễệìíịỉĩòóọỏõôốồổỗộơớờởỡợùúụủũưứừửữựỳýỵỷỹĐƯƠ<>&\"';/=\\]\\[\\r\\n\\t\u{1F600}-]{0,24}",
    )
    .unwrap()
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    of(text())
}

/// A typed value: usually well-formed, sometimes arbitrary text kept as `Invalid`.
fn lenient<T: std::str::FromStr + std::fmt::Debug + Clone + 'static>(
    valid: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<Lenient<T>>> {
    of(prop_oneof![
        3 => valid.prop_map(Lenient::Valid),
        1 => text().prop_map(|raw| Lenient::parse(&raw)),
    ])
}

fn organ_id() -> impl Strategy<Value = OrganId> {
    "[0-9]{3}\\.[0-9]{2}\\.[0-9]{2}\\.[A-Z][0-9]{2}".prop_map(|text| text.parse().unwrap())
}

fn date() -> impl Strategy<Value = EdDate> {
    (0i32..=9999, 1u32..=12, 1u32..=31).prop_filter_map("real day", |(y, m, d)| {
        chrono::NaiveDate::from_ymd_opt(y, m, d).and_then(EdDate::new)
    })
}

fn timestamp() -> impl Strategy<Value = EdTimestamp> {
    (date(), 0u32..24, 0u32..60, 0u32..60).prop_map(|(date, h, m, s)| {
        EdTimestamp::new(date.date().and_hms_opt(h, m, s).unwrap()).unwrap()
    })
}

fn document_id() -> impl Strategy<Value = DocumentId> {
    (organ_id(), date(), "[0-9]{1,5}", "[A-ZĐ][A-ZĐ0-9/-]{0,12}")
        .prop_filter_map("valid id", |(organ, date, number, notation)| {
            DocumentId::new(organ, date, &number, &notation).ok()
        })
}

fn organization() -> BoxedStrategy<Organization> {
    (
        lenient(organ_id()),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
    )
        .prop_map(
            |(
                organ_id,
                organization_in_charge,
                organ_name,
                organ_add,
                email,
                telephone,
                fax,
                website,
            )| {
                Organization {
                    organ_id,
                    organization_in_charge,
                    organ_name,
                    organ_add,
                    email,
                    telephone,
                    fax,
                    website,
                }
            },
        )
        .boxed()
}

fn response_for() -> BoxedStrategy<ResponseFor> {
    (
        lenient(organ_id()),
        opt_text(),
        lenient(date()),
        lenient(document_id()),
    )
        .prop_map(
            |(organ_id, code, promulgation_date, document_id)| ResponseFor {
                organ_id,
                code,
                promulgation_date,
                document_id,
            },
        )
        .boxed()
}

fn staff_info() -> BoxedStrategy<StaffInfo> {
    (opt_text(), opt_text(), opt_text(), opt_text())
        .prop_map(|(department, staff, mobile, email)| StaffInfo {
            department,
            staff,
            mobile,
            email,
        })
        .boxed()
}

fn texts() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(text(), 0..3)
}

fn message_header() -> BoxedStrategy<MessageHeader> {
    let first = (
        of(organization()),
        proptest::collection::vec(organization(), 0..3),
        of(
            (opt_text(), opt_text()).prop_map(|(code_number, code_notation)| Code {
                code_number,
                code_notation,
            }),
        ),
        of(
            (opt_text(), lenient(date())).prop_map(|(place, promulgation_date)| PromulgationInfo {
                place,
                promulgation_date,
            }),
        ),
        of(
            (lenient(any::<u32>()), lenient(any::<u32>()), opt_text()).prop_map(
                |(doc_type, type_detail, type_name)| DocumentType {
                    doc_type,
                    type_detail,
                    type_name,
                },
            ),
        ),
        opt_text(),
        opt_text(),
    );
    let second =
        (
            of((opt_text(), opt_text(), opt_text()).prop_map(
                |(competence, position, full_name)| SignerInfo {
                    competence,
                    position,
                    full_name,
                },
            )),
            lenient(date()),
            texts(),
            of((
                lenient(any::<u8>()),
                opt_text(),
                opt_text(),
                lenient(any::<u32>()),
                lenient(any::<u32>()),
                lenient(any::<bool>()),
                texts(),
            )
                .prop_map(
                    |(priority, sphere, typer, amount, pages, direction, appendixes)| OtherInfo {
                        priority,
                        sphere_of_promulgation: sphere,
                        typer_notation: typer,
                        promulgation_amount: amount,
                        page_amount: pages,
                        direction,
                        appendixes,
                    },
                )),
            proptest::collection::vec(response_for(), 0..3),
            lenient(any::<u8>()),
            lenient(document_id()),
        );
    (first, second)
        .prop_map(
            |(
                (from, to, code, promulgation_info, document_type, subject, content),
                (
                    signer_info,
                    due_date,
                    to_places,
                    other_info,
                    response_for,
                    steering_type,
                    document_id,
                ),
            )| MessageHeader {
                from,
                to,
                code,
                promulgation_info,
                document_type,
                subject,
                content,
                signer_info,
                due_date,
                to_places,
                other_info,
                response_for,
                steering_type,
                document_id,
            },
        )
        .boxed()
}

fn business_type() -> impl Strategy<Value = BussinessDocType> {
    prop_oneof![
        Just(BussinessDocType::New),
        Just(BussinessDocType::Revoke),
        Just(BussinessDocType::Update),
        Just(BussinessDocType::Replace),
    ]
}

fn trace_header_list() -> BoxedStrategy<TraceHeaderList> {
    let trace =
        (lenient(organ_id()), lenient(timestamp())).prop_map(|(organ_id, timestamp)| TraceHeader {
            organ_id,
            timestamp,
        });
    let receiver =
        (lenient(organ_id()), lenient(any::<u8>())).prop_map(|(organ_id, receiver_type)| {
            Receiver {
                organ_id,
                receiver_type,
            }
        });
    let info = (
        lenient(any::<u8>()),
        lenient(any::<u8>()),
        proptest::collection::vec(receiver, 0..3),
    )
        .prop_map(
            |(document_info, document_receiver, receivers)| BussinessDocumentInfo {
                document_info,
                document_receiver,
                receivers,
            },
        );
    let replaced = (
        lenient(document_id()),
        proptest::collection::vec(
            prop_oneof![
                organ_id().prop_map(Lenient::Valid),
                text().prop_map(|raw| Lenient::parse(&raw)),
            ],
            0..3,
        ),
    )
        .prop_map(|(document_id, organ_ids)| ReplacementInfo {
            document_id,
            organ_ids,
        });
    let bussiness = (
        lenient(business_type()),
        opt_text(),
        of(info),
        lenient(document_id()),
        of(staff_info()),
        lenient(any::<u8>()),
        proptest::collection::vec(replaced, 0..3),
    )
        .prop_map(
            |(doc_type, reason, info, document_id, staff_info, paper, replacements)| Bussiness {
                bussiness_doc_type: doc_type,
                bussiness_doc_reason: reason,
                bussiness_document_info: info,
                document_id,
                staff_info,
                paper,
                replacement_info_list: replacements,
            },
        );
    (proptest::collection::vec(trace, 0..3), of(bussiness))
        .prop_map(|(trace_headers, bussiness)| TraceHeaderList {
            trace_headers,
            bussiness,
        })
        .boxed()
}

fn signature() -> BoxedStrategy<Signature> {
    let reference = (opt_text(), texts(), opt_text(), opt_text()).prop_map(
        |(uri, transforms, digest_method, digest_value)| SignatureReference {
            uri,
            transforms,
            digest_method,
            digest_value,
        },
    );
    (
        opt_text(),
        opt_text(),
        proptest::collection::vec(reference, 0..2),
        opt_text(),
        opt_text(),
        texts(),
    )
        .prop_map(
            |(
                canonicalization_method,
                signature_method,
                references,
                signature_value,
                x509_subject_name,
                x509_certificates,
            )| {
                Signature {
                    canonicalization_method,
                    signature_method,
                    references,
                    signature_value,
                    x509_subject_name,
                    x509_certificates,
                }
            },
        )
        .boxed()
}

fn attachment_meta() -> BoxedStrategy<AttachmentMeta> {
    (opt_text(), opt_text(), opt_text(), opt_text())
        .prop_map(
            |(content_id, attachment_name, description, content_type)| AttachmentMeta {
                content_id,
                attachment_name,
                description,
                content_type,
            },
        )
        .boxed()
}

fn edoc_message() -> BoxedStrategy<EdocMessage> {
    let manifest = (
        opt_text(),
        proptest::collection::vec(
            (opt_text(), opt_text(), opt_text(), opt_text()).prop_map(
                |(content_id, content_type, attachment_name, description)| ManifestReference {
                    content_id,
                    content_type,
                    attachment_name,
                    description,
                },
            ),
            0..3,
        ),
    )
        .prop_map(|(version, references)| Manifest {
            version,
            references,
        });
    let attachment = (
        attachment_meta(),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(meta, content)| Attachment { meta, content });
    (
        message_header(),
        of(trace_header_list()),
        of(signature()),
        of(manifest),
        proptest::collection::vec(attachment, 0..3),
    )
        .prop_map(
            |(header, trace_header_list, signature, manifest, attachments)| EdocMessage {
                header,
                trace_header_list,
                signature,
                manifest,
                attachments,
            },
        )
        .boxed()
}

fn status_message() -> BoxedStrategy<StatusMessage> {
    let code = (1u8..=16).prop_map(|number| StatusCode::new(number).unwrap());
    (
        of(organization()),
        of(organization()),
        of(response_for()),
        of(staff_info()),
        lenient(code),
        opt_text(),
        lenient(timestamp()),
    )
        .prop_map(
            |(from, to, response_for, staff_info, status_code, description, timestamp)| {
                StatusMessage {
                    from,
                    to,
                    response_for,
                    staff_info,
                    status_code,
                    description,
                    timestamp,
                }
            },
        )
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn edoc_write_then_read_is_identity(message in edoc_message()) {
        let written = write_edoc(&message, Vec::new()).unwrap();
        let parsed = read_edoc(&written[..]).unwrap();
        prop_assert_eq!(&parsed.value, &message);
        // The writer's own envelope is clean: only field-level issues can remain.
        prop_assert!(parsed.issues.iter().all(|issue| !matches!(
            issue.kind,
            IssueKind::Namespace | IssueKind::UnknownElement | IssueKind::StrayText | IssueKind::Duplicate
        )), "{:?}", parsed.issues);
        // The same issues as validating the model directly.
        prop_assert_eq!(parsed.issues, validate_edoc(&message));

        let json = serde_json::to_string(&message).unwrap();
        prop_assert_eq!(serde_json::from_str::<EdocMessage>(&json).unwrap(), message);
    }

    #[test]
    fn status_write_then_read_is_identity(message in status_message()) {
        let written = write_status(&message, Vec::new()).unwrap();
        let parsed = read_status(&written[..]).unwrap();
        prop_assert_eq!(&parsed.value, &message);
        prop_assert_eq!(parsed.issues, validate_status(&message));
        let json = serde_json::to_string(&message).unwrap();
        prop_assert_eq!(serde_json::from_str::<StatusMessage>(&json).unwrap(), message);
    }

    #[test]
    fn streaming_reader_matches_in_memory_reader(message in edoc_message(), capacity in 1usize..64) {
        let written = write_edoc(&message, Vec::new()).unwrap();
        let collected: Collected = Rc::new(RefCell::new(Vec::new()));
        let streamed = EdxmlReader::default()
            .read_edoc_streaming(BufReader::with_capacity(capacity, &written[..]), |meta| {
                collected.borrow_mut().push((meta.clone(), Vec::new()));
                Ok(CollectSink { all: Rc::clone(&collected), index: collected.borrow().len() - 1 })
            })
            .unwrap();
        let mut expected = message.clone();
        let expected_contents: Vec<(AttachmentMeta, Vec<u8>)> = expected
            .attachments
            .iter_mut()
            .map(|attachment| (attachment.meta.clone(), std::mem::take(&mut attachment.content)))
            .collect();
        prop_assert_eq!(streamed.value, expected);
        prop_assert_eq!(collected.borrow().clone(), expected_contents);
    }

    #[test]
    fn identifiers_print_back_what_they_parse(
        organ in organ_id(), date in date(), timestamp in timestamp(), id in document_id(),
    ) {
        prop_assert_eq!(organ.to_string().parse::<OrganId>().unwrap(), organ);
        prop_assert_eq!(date.to_string().parse::<EdDate>().unwrap(), date);
        prop_assert_eq!(timestamp.to_string().parse::<EdTimestamp>().unwrap(), timestamp);
        prop_assert_eq!(id.to_string().parse::<DocumentId>().unwrap(), id);
    }
}

/// Attachments received by the streaming reader: the metadata its sink saw and the bytes.
type Collected = Rc<RefCell<Vec<(AttachmentMeta, Vec<u8>)>>>;

/// Appends what it is given to one entry of a shared list.
struct CollectSink {
    all: Collected,
    index: usize,
}

impl std::io::Write for CollectSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.all.borrow_mut()[self.index].1.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
