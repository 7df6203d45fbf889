//! The node PKI, the signing service, the archive and archive packages, on
//! SQLite and on PostgreSQL (when `CONGSO_TEST_DATABASE_URL` names a server).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::time::SystemTime;

use bytes::Bytes;
use common::{operator, pdf, verifier, Node};
use congso_archive::package::{self, PackageOptions};
use congso_archive::{
    ArchiveError, ArchiveInput, Direction, Event, FileContent, FileRole, InputFile, KeyAlgorithm,
    NodePki, PkiSettings, RevocationReason, SignContent, SignRequest, SignatureFormat, Verdict,
    VisibleSignature,
};
use congso_core::audit::Actor;
use congso_store::archive as archive_store;
use congso_store::conformance;
use congso_store::pki::CertificateKind;
use congso_store::Db;

async fn count(db: &Db, event: Event) -> usize {
    archive_store::ledger_targets(db, event.code())
        .await
        .unwrap()
        .len()
}

fn leader() -> Actor {
    Actor::User("lanh.dao".into())
}

fn request(name: &str, media_type: &str, content: Vec<u8>) -> SignRequest {
    SignRequest {
        username: "lanh.dao".into(),
        document_id: Some(7),
        file_name: name.into(),
        media_type: media_type.into(),
        content: SignContent::Bytes(Bytes::from(content)),
        visible: None,
        reason: Some("Ký ban hành".into()),
        location: Some("Hà Nội".into()),
    }
}

conformance!(
    ca_is_created_once_and_issues_staff_certificates,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        assert!(node.pki.ca_certificate().await.unwrap().is_none());
        let ca = node.pki.ca(&node.ledger, &operator()).await.unwrap();
        assert_eq!(ca.key().algorithm(), KeyAlgorithm::EcdsaP256);
        assert_eq!(
            ca.certificate().organization().as_deref(),
            Some("Ủy ban nhân dân xã Thử Nghiệm")
        );
        // Another handle (another process or replica) finds the same CA.
        let other = NodePki::open(&db, &node.sealer, PkiSettings::default())
            .await
            .unwrap();
        let again = other.ca(&node.ledger, &operator()).await.unwrap();
        assert_eq!(again.certificate(), ca.certificate());
        assert_eq!(
            node.pki.ca_certificate().await.unwrap().as_ref(),
            Some(ca.certificate())
        );
        assert_eq!(count(&db, Event::CaCreated).await, 1);

        for (algorithm, code) in [
            (KeyAlgorithm::EcdsaP256, "ecdsa-p256"),
            (KeyAlgorithm::Rsa2048, "rsa-2048"),
        ] {
            let issued = node
                .pki
                .issue(&node.ledger, &operator(), "lanh.dao", algorithm)
                .await
                .unwrap();
            assert_eq!(issued.algorithm, code);
            assert_eq!(issued.kind, CertificateKind::Staff);
            assert_eq!(issued.common_name, "Nguyễn Văn An");
            assert!(issued.has_key);
            assert!(issued.subject.contains("Chủ tịch"), "{}", issued.subject);
            assert_eq!(issued.issuer, ca.certificate().subject());
        }
        assert_eq!(count(&db, Event::CertificateIssued).await, 2);
        let (stored, identity) = node.pki.identity_for("lanh.dao").await.unwrap();
        assert_eq!(stored.algorithm, "rsa-2048", "the newest certificate signs");
        assert_eq!(identity.chain(), &[ca.certificate().clone()]);

        // The key is stored sealed: not a byte run of the plain key appears.
        let sealed = congso_store::pki::sealed_key(&db, stored.id)
            .await
            .unwrap()
            .unwrap();
        let plain = identity.key().to_pkcs8_der().unwrap();
        assert!(!plain
            .windows(24)
            .any(|run| sealed.windows(24).any(|other| other == run)));
        assert!(congso_pki::PrivateKey::open(&sealed, b"not the node secret at all").is_err());

        let refused = |result: Result<_, ArchiveError>| match result {
            Err(error) => error,
            Ok(_) => panic!("accepted"),
        };
        let unknown = refused(
            node.pki
                .issue(&node.ledger, &operator(), "nobody", KeyAlgorithm::EcdsaP256)
                .await,
        );
        assert!(matches!(unknown, ArchiveError::UnknownUser(_)), "{unknown}");
        let citizen = refused(
            node.pki
                .issue(
                    &node.ledger,
                    &operator(),
                    "cong.dan",
                    KeyAlgorithm::EcdsaP256,
                )
                .await,
        );
        assert!(
            matches!(citizen, ArchiveError::NotSigner { .. }),
            "{citizen}"
        );
        let none = node.pki.identity_for("chuyen.vien").await.unwrap_err();
        assert!(
            matches!(none, ArchiveError::NoSigningIdentity { .. }),
            "{none}"
        );
        assert_eq!(node.pki.list().await.unwrap().len(), 3);
        node.shutdown().await;
    }
);

conformance!(
    revocation_publishes_a_crl_and_stops_signing,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        let ca = node.pki.ca(&node.ledger, &operator()).await.unwrap();
        let issued = node
            .pki
            .issue(
                &node.ledger,
                &operator(),
                "lanh.dao",
                KeyAlgorithm::EcdsaP256,
            )
            .await
            .unwrap();
        let first = node.pki.crl(&node.ledger, &operator()).await.unwrap();
        assert_eq!(first.number, 1);
        // Asking again does not publish a new one.
        assert_eq!(
            node.pki
                .crl(&node.ledger, &operator())
                .await
                .unwrap()
                .number,
            1
        );
        let (revoked, crl) = node
            .pki
            .revoke(
                &node.ledger,
                &operator(),
                &issued.serial.to_uppercase(),
                RevocationReason::KeyCompromise,
            )
            .await
            .unwrap();
        assert!(revoked.revoked_at.is_some());
        assert_eq!(revoked.revocation_reason.as_deref(), Some("key-compromise"));
        assert_eq!(crl.number, 2);
        let parsed = congso_pki::Crl::parse(&crl.der).unwrap();
        parsed.verify_issuer(ca.certificate()).unwrap();
        let certificate = congso_pki::Certificate::from_der(&issued.certificate).unwrap();
        assert!(matches!(
            parsed.status(&certificate),
            congso_pki::CrlStatus::Revoked {
                reason: Some(1),
                ..
            }
        ));
        assert_eq!(count(&db, Event::CertificateRevoked).await, 1);

        let again = node
            .pki
            .revoke(
                &node.ledger,
                &operator(),
                &issued.serial,
                RevocationReason::Superseded,
            )
            .await;
        assert!(
            matches!(again, Err(ArchiveError::AlreadyRevoked { .. })),
            "{again:?}"
        );
        let ca_serial = ca.certificate().serial_hex();
        let revoke_ca = node
            .pki
            .revoke(
                &node.ledger,
                &operator(),
                &ca_serial,
                RevocationReason::Unspecified,
            )
            .await;
        assert!(
            matches!(revoke_ca, Err(ArchiveError::CannotRevokeCa)),
            "{revoke_ca:?}"
        );
        let unknown = node
            .pki
            .revoke(
                &node.ledger,
                &operator(),
                "0badc0de",
                RevocationReason::Unspecified,
            )
            .await;
        assert!(
            matches!(unknown, Err(ArchiveError::UnknownSerial(_))),
            "{unknown:?}"
        );
        assert_eq!(
            congso_store::pki::latest_crl(&db)
                .await
                .unwrap()
                .unwrap()
                .number,
            2
        );

        let signing = node
            .pki
            .sign(
                &node.ledger,
                &node.blobs,
                &leader(),
                request("a.pdf", "application/pdf", pdf("A")),
            )
            .await;
        assert!(
            matches!(signing, Err(ArchiveError::NoSigningIdentity { .. })),
            "{signing:?}"
        );
        node.shutdown().await;
    }
);

conformance!(
    signs_pdfs_as_pades_and_other_files_as_cms,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        node.pki
            .issue(&node.ledger, &operator(), "lanh.dao", KeyAlgorithm::Rsa2048)
            .await
            .unwrap();
        let original = pdf("Quyet dinh 12/QD-UBND");
        let record = node
            .pki
            .sign(
                &node.ledger,
                &node.blobs,
                &leader(),
                request("qd.pdf", "application/pdf", original.clone()),
            )
            .await
            .unwrap();
        assert_eq!(record.format, SignatureFormat::Pades);
        assert_eq!(record.report.verdict, Verdict::Valid, "{:?}", record.report);
        assert_eq!(record.tsa, "node");
        assert!(record.timestamp_at.is_some());
        // The original is kept as it was; the signed PDF is a new blob that
        // starts with the original's bytes (an incremental update).
        assert_eq!(
            node.blobs.get_bytes(&record.original.sha256).await.unwrap(),
            original
        );
        let signed = node.blobs.get_bytes(&record.signed.sha256).await.unwrap();
        assert!(signed.starts_with(&original));
        assert_ne!(record.original, record.signed);
        let entry = congso_store::ledger::entry(&db, record.ledger_seq)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entry.action, "signature.created");
        assert_eq!(entry.data_hash, record.signed.hex());
        let stored = archive_store::get_signature(&db, record.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.ledger_seq, Some(record.ledger_seq as i64));
        assert_eq!(stored.verdict, "valid");

        // Checked again with the node's trust, demanding B-T.
        let trust = node.pki.trust().await.unwrap();
        let mut options = trust.options(SystemTime::now());
        options.require_timestamp = true;
        let report = congso_pki::verify_pdf(&signed, &options).unwrap();
        assert_eq!(report.verdict, Verdict::Valid);

        // A visible Decree 30 appearance.
        let mut visible = request("qd2.pdf", "application/pdf", pdf("Cong van 5"));
        visible.visible = Some(VisibleSignature::decree30(1));
        let record = node
            .pki
            .sign(&node.ledger, &node.blobs, &leader(), visible)
            .await
            .unwrap();
        assert_eq!(record.report.verdict, Verdict::Valid);

        // Other files: a detached CMS with a signature timestamp.
        let text = "Biên bản họp ngày 29/11".as_bytes().to_vec();
        let record = node
            .pki
            .sign(
                &node.ledger,
                &node.blobs,
                &leader(),
                request("bien-ban.txt", "text/plain", text.clone()),
            )
            .await
            .unwrap();
        assert_eq!(record.format, SignatureFormat::Cms);
        let p7s = node.blobs.get_bytes(&record.signed.sha256).await.unwrap();
        let report = congso_pki::verify_detached(&text, &p7s, &options);
        assert_eq!(report.verdict, Verdict::Valid, "{report:?}");
        assert!(report.signatures[0].details.timestamp.is_some());

        // Bad input is refused and leaves no signature behind.
        let before = archive_store::signatures_for_document(&db, 7)
            .await
            .unwrap()
            .len();
        let docx = b"PK\x03\x04 not a pdf".to_vec();
        let mismatch = node
            .pki
            .sign(
                &node.ledger,
                &node.blobs,
                &leader(),
                request("x.pdf", "application/pdf", docx),
            )
            .await;
        assert!(
            matches!(mismatch, Err(ArchiveError::MediaTypeMismatch { .. })),
            "{mismatch:?}"
        );
        let hidden = node
            .pki
            .sign(
                &node.ledger,
                &node.blobs,
                &leader(),
                request("x.txt", "text/plain", pdf("x")),
            )
            .await;
        assert!(
            matches!(hidden, Err(ArchiveError::MediaTypeMismatch { .. })),
            "{hidden:?}"
        );
        let mut encrypted = pdf("secret");
        let trailer = encrypted.windows(7).rposition(|w| w == b"/Root 1").unwrap();
        encrypted.splice(
            trailer..trailer,
            b"/Encrypt << /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >> "
                .iter()
                .copied(),
        );
        let encrypted = node
            .pki
            .sign(
                &node.ledger,
                &node.blobs,
                &leader(),
                request("e.pdf", "application/pdf", encrypted),
            )
            .await;
        let message = encrypted.unwrap_err().to_string();
        assert!(message.contains("encrypted"), "{message}");
        let mut truncated = pdf("short");
        truncated.truncate(truncated.len() / 2);
        let corrupt = node
            .pki
            .sign(
                &node.ledger,
                &node.blobs,
                &leader(),
                request("c.pdf", "application/pdf", truncated),
            )
            .await;
        assert!(corrupt.unwrap_err().to_string().contains("truncated"));
        let mut on_text = request("t.txt", "text/plain", b"x".to_vec());
        on_text.visible = Some(VisibleSignature::decree30(1));
        assert!(node
            .pki
            .sign(&node.ledger, &node.blobs, &leader(), on_text)
            .await
            .is_err());
        let stranger = SignRequest {
            username: "chuyen.vien".into(),
            ..request("a.pdf", "application/pdf", pdf("A"))
        };
        assert!(matches!(
            node.pki
                .sign(&node.ledger, &node.blobs, &leader(), stranger)
                .await,
            Err(ArchiveError::NoSigningIdentity { .. })
        ));
        assert_eq!(
            archive_store::signatures_for_document(&db, 7)
                .await
                .unwrap()
                .len(),
            before
        );
        assert_eq!(count(&db, Event::DocumentSigned).await, before);
        node.shutdown().await;
    }
);

/// Archives an issued, signed PDF and a received file with a detached
/// signature and a timestamp token; returns their item ids.
async fn archive_two(node: &Node) -> (i64, i64) {
    node.pki
        .issue(
            &node.ledger,
            &operator(),
            "lanh.dao",
            KeyAlgorithm::EcdsaP256,
        )
        .await
        .unwrap();
    let signed = node
        .pki
        .sign(
            &node.ledger,
            &node.blobs,
            &leader(),
            request("qd.pdf", "application/pdf", pdf("QD 12")),
        )
        .await
        .unwrap();
    let metadata = serde_json::json!({
        "so_ky_hieu": "12/QĐ-UBND",
        "trich_yeu": "Về việc ban hành quy chế lưu trữ",
        "nguoi_ky": "Nguyễn Văn An",
    });
    let issued = node
        .archive
        .archive_item(
            &node.ledger,
            &Actor::System,
            ArchiveInput {
                document_id: Some(7),
                direction: Direction::Issued,
                event_at: congso_store::now(),
                metadata: metadata.clone(),
                edxml: Some(Bytes::from_static(b"<edXMLEnvelope/>")),
                files: vec![
                    InputFile {
                        role: FileRole::Original,
                        name: "qd.pdf".into(),
                        media_type: "application/pdf".into(),
                        content: FileContent::Stored(signed.original),
                        signs: None,
                    },
                    InputFile {
                        role: FileRole::Signed,
                        name: "qd-signed.pdf".into(),
                        media_type: "application/pdf".into(),
                        content: FileContent::Stored(signed.signed),
                        signs: None,
                    },
                ],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        issued.validation.verdict, "valid",
        "{:?}",
        issued.validation
    );

    let letter = "Công văn đến số 45".as_bytes().to_vec();
    let cms = node
        .pki
        .sign(
            &node.ledger,
            &node.blobs,
            &leader(),
            request("cv.txt", "text/plain", letter.clone()),
        )
        .await
        .unwrap();
    let tsa = node.pki.tsa(&node.ledger, &Actor::System).await.unwrap();
    let token = tsa
        .timestamp_digest(
            congso_pki::DigestAlgorithm::Sha256,
            &congso_pki::DigestAlgorithm::Sha256.digest(&letter),
            SystemTime::now(),
        )
        .unwrap();
    let received = node
        .archive
        .archive_item(
            &node.ledger,
            &Actor::User("van.thu".into()),
            ArchiveInput {
                document_id: Some(8),
                direction: Direction::Received,
                event_at: congso_store::now(),
                metadata: serde_json::json!({ "so_den": 45 }),
                edxml: None,
                files: vec![
                    InputFile {
                        role: FileRole::Original,
                        name: "cv.txt".into(),
                        media_type: "text/plain".into(),
                        content: FileContent::Bytes(Bytes::from(letter)),
                        signs: None,
                    },
                    InputFile {
                        role: FileRole::Signature,
                        name: "cv.txt.p7s".into(),
                        media_type: "application/pkcs7-signature".into(),
                        content: FileContent::Stored(cms.signed),
                        signs: Some(0),
                    },
                    InputFile {
                        role: FileRole::Timestamp,
                        name: "cv.txt.tst".into(),
                        media_type: "application/timestamp-reply".into(),
                        content: FileContent::Bytes(Bytes::from(token)),
                        signs: Some(0),
                    },
                ],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        received.validation.verdict, "valid",
        "{:?}",
        received.validation
    );
    assert_eq!(received.validation.files.len(), 2);
    (issued.id, received.id)
}

fn codes(report: &congso_archive::ArchiveVerifyReport) -> HashSet<(Option<i64>, &'static str)> {
    report.problems.iter().map(|p| (p.item, p.code)).collect()
}

conformance!(
    archive_verify_finds_a_corrupt_blob_and_an_altered_row,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        let (issued, received) = archive_two(&node).await;
        node.ledger.checkpoint().await.unwrap();
        let report = node.archive.verify(&verifier()).await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.items, 2);
        assert_eq!(report.signatures_checked, 3);
        assert_eq!(report.uncovered_items, 0);
        let item = node.archive.item(issued).await.unwrap().unwrap();
        let entry = congso_store::ledger::entry(&db, item.ledger_seq.unwrap() as u64)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entry.action, "archive.recorded");
        assert_eq!(entry.target, format!("archive:{issued}"));
        assert_eq!(entry.data_hash, item.record_sha256);

        // Corrupt the signed PDF's blob and rewrite the other item's metadata.
        let signed = item
            .files
            .iter()
            .find(|f| f.role == FileRole::Signed)
            .unwrap();
        let sha = congso_store::blob::parse_hash(&signed.sha256).unwrap();
        let mut bytes = node.blobs.get_bytes(&sha).await.unwrap().to_vec();
        bytes[100] ^= 0x01;
        node.blobs
            .corrupt_for_test(&sha, Bytes::from(bytes))
            .await
            .unwrap();
        congso_store::testing_raw_execute(
            &db,
            &format!(
                "UPDATE archive_items SET metadata = '{{\"so_den\":46}}' WHERE id = {received}"
            ),
        )
        .await
        .unwrap();
        let report = node.archive.verify(&verifier()).await.unwrap();
        let found = codes(&report);
        assert!(
            found.contains(&(Some(issued), "BLOB_ALTERED")),
            "{:?}",
            report.problems
        );
        assert!(
            found.contains(&(Some(received), "METADATA_ALTERED")),
            "{:?}",
            report.problems
        );
        assert!(!report.ok());

        // Hiding the change by fixing the metadata hash too is still caught:
        // the record no longer matches what the ledger recorded.
        let altered = congso_archive::sha256_hex(b"{\"so_den\":46}");
        congso_store::testing_raw_execute(
            &db,
            &format!(
                "UPDATE archive_items SET metadata_sha256 = '{altered}' WHERE id = {received}"
            ),
        )
        .await
        .unwrap();
        let found = codes(&node.archive.verify(&verifier()).await.unwrap());
        assert!(
            found.contains(&(Some(received), "RECORD_ALTERED")),
            "{found:?}"
        );
        assert!(
            found.contains(&(Some(received), "RECORD_NOT_IN_LEDGER")),
            "{found:?}"
        );
        assert!(
            !found.contains(&(Some(received), "METADATA_ALTERED")),
            "{found:?}"
        );

        // Deleting an archived item is found through the ledger.
        congso_store::testing_raw_execute(
            &db,
            &format!("DELETE FROM archive_files WHERE item_id = {received}"),
        )
        .await
        .unwrap();
        congso_store::testing_raw_execute(
            &db,
            &format!("DELETE FROM archive_items WHERE id = {received}"),
        )
        .await
        .unwrap();
        let found = codes(&node.archive.verify(&verifier()).await.unwrap());
        assert!(
            found.contains(&(Some(received), "ITEM_DELETED")),
            "{found:?}"
        );
        node.shutdown().await;
    }
);

conformance!(
    archive_refuses_malformed_input_and_records_nothing,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        let file =
            |role: FileRole, name: &str, media_type: &str, content: &[u8], signs: Option<usize>| {
                InputFile {
                    role,
                    name: name.into(),
                    media_type: media_type.into(),
                    content: FileContent::Bytes(Bytes::copy_from_slice(content)),
                    signs,
                }
            };
        let input = |files: Vec<InputFile>| ArchiveInput {
            document_id: None,
            direction: Direction::Received,
            event_at: congso_store::now(),
            metadata: serde_json::json!({}),
            edxml: None,
            files,
        };
        let check = |input: ArchiveInput, expected: &'static str| {
            let archive = node.archive.clone();
            let ledger = node.ledger.clone();
            async move {
                let error = archive
                    .archive_item(&ledger, &Actor::System, input)
                    .await
                    .expect_err(expected);
                assert!(
                    error.to_string().contains(expected),
                    "{error} (expected {expected:?})"
                );
            }
        };
        check(input(vec![]), "at least one file").await;
        check(
            input(vec![file(
                FileRole::Original,
                "../x.pdf",
                "application/pdf",
                b"%PDF-",
                None,
            )]),
            "directory separator",
        )
        .await;
        check(
            input(vec![file(FileRole::Original, "a", "pdf", b"x", None)]),
            "not a media type",
        )
        .await;
        check(
            input(vec![file(
                FileRole::Signature,
                "a.p7s",
                "application/pkcs7-signature",
                b"x",
                None,
            )]),
            "does not say which file",
        )
        .await;
        check(
            input(vec![file(
                FileRole::Original,
                "a",
                "text/plain",
                b"x",
                Some(0),
            )]),
            "cannot cover another file",
        )
        .await;
        check(
            input(vec![file(
                FileRole::Signature,
                "a.p7s",
                "application/pkcs7-signature",
                b"x",
                Some(0),
            )]),
            "not another file",
        )
        .await;
        check(
            input(vec![file(
                FileRole::Signed,
                "a.pdf",
                "application/pdf",
                b"plain text",
                None,
            )]),
            "not a PDF",
        )
        .await;
        check(
            input(vec![file(
                FileRole::Attachment,
                "a.zip",
                "application/zip",
                b"PK\x03\x04....",
                None,
            )]),
            "is an archive",
        )
        .await;
        check(
            input(vec![file(
                FileRole::Attachment,
                "a.bin",
                "application/octet-stream",
                b"PK\x03\x04....",
                None,
            )]),
            "is an archive",
        )
        .await;
        check(
            input(vec![file(
                FileRole::Signed,
                "a.pdf",
                "application/pdf",
                b"%PDF-1.7 broken",
                None,
            )]),
            "a.pdf",
        )
        .await;
        let mut not_object = input(vec![file(
            FileRole::Original,
            "a.txt",
            "text/plain",
            b"x",
            None,
        )]);
        not_object.metadata = serde_json::json!([1, 2]);
        check(not_object, "JSON object").await;
        // A DOCX (a zip container) is a document, not a nested archive.
        let docx = node
            .archive
            .archive_item(
                &node.ledger,
                &Actor::System,
                input(vec![file(
                    FileRole::Original,
                    "to-trinh.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    b"PK\x03\x04 docx",
                    None,
                )]),
            )
            .await
            .unwrap();
        assert_eq!(docx.validation.verdict, "unsigned");
        assert_eq!(archive_store::count_items(&db).await.unwrap(), 1);
        assert_eq!(count(&db, Event::ArchiveRecorded).await, 1);
        node.shutdown().await;
    }
);

/// Rewrites a zip, replacing members through `change` (None keeps them).
fn rewrite(
    path: &std::path::Path,
    out: &std::path::Path,
    change: impl Fn(&str, &[u8]) -> Option<Vec<u8>>,
) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    for index in 0..zip.len() {
        let mut member = zip.by_index(index).unwrap();
        let name = member.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        member.read_to_end(&mut bytes).unwrap();
        let bytes = change(&name, &bytes).unwrap_or(bytes);
        writer
            .start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer.finish().unwrap();
}

fn member(path: &std::path::Path, name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut bytes = Vec::new();
    zip.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
    bytes
}

conformance!(
    packages_verify_offline_and_show_tampering,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        let (issued, received) = archive_two(&node).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ho-so.zip");
        let summary = node
            .archive
            .export_package(&node.ledger, &[issued, received], &path)
            .await
            .unwrap();
        assert_eq!(summary.items, vec![issued, received]);
        let ca = node.pki.ca_certificate().await.unwrap().unwrap();
        let key = node.ledger.verifier_key();
        let pinned = PackageOptions {
            trust: vec![ca.clone()],
            ledger_key: Some(key.clone()),
            ..PackageOptions::new(SystemTime::now())
        };
        let report = package::verify_package(&path, &pinned).unwrap();
        assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
        assert_eq!(report.items.len(), 2);
        assert!(report.items[0]
            .reasons
            .iter()
            .any(|r| r.code == "LEDGER_INCLUSION_VALID"));
        assert_eq!(report.items[0].signatures.len(), 1);
        assert_eq!(report.items[1].signatures.len(), 2);
        assert_eq!(
            member(&path, &format!("items/{issued}/metadata.edxml")),
            b"<edXMLEnvelope/>"
        );

        // With nothing but the package: every check passes, but a CA that
        // travels with the package proves nothing about who made it, so
        // the verdict is indeterminate and says to pin the agency's CA.
        let bare = package::verify_package(&path, &PackageOptions::new(SystemTime::now())).unwrap();
        assert_eq!(bare.verdict, Verdict::Indeterminate, "{bare:#?}");
        assert!(bare.items.iter().all(|item| item.verdict == Verdict::Valid));
        let notes: HashSet<_> = bare.reasons.iter().map(|r| r.code).collect();
        assert!(notes.contains("LEDGER_KEY_FROM_PACKAGE") && notes.contains("TRUST_FROM_PACKAGE"));

        // Another node's key or CA: not this node's package.
        let stranger =
            congso_ledger::note::Ed25519Signer::from_seed("congso/other", [1; 32]).unwrap();
        let wrong_key = PackageOptions {
            ledger_key: Some(stranger.verifier().to_vkey()),
            ..pinned.clone()
        };
        let report = package::verify_package(&path, &wrong_key).unwrap();
        assert_eq!(report.verdict, Verdict::Invalid);
        assert!(report
            .reasons
            .iter()
            .any(|r| r.code == "LEDGER_KEY_MISMATCH"));
        let other_ca = congso_pki::CertificateAuthority::create_root(
            &congso_pki::SubjectName::new("Other CA"),
            KeyAlgorithm::EcdsaP256,
            SystemTime::now(),
            std::time::Duration::from_secs(86_400),
        )
        .unwrap();
        let wrong_trust = PackageOptions {
            trust: vec![other_ca.certificate().clone()],
            ..pinned.clone()
        };
        assert_eq!(
            package::verify_package(&path, &wrong_trust)
                .unwrap()
                .verdict,
            Verdict::Indeterminate
        );

        // A member changed behind the manifest's back.
        let tampered = dir.path().join("tampered.zip");
        let metadata_name = format!("items/{received}/metadata.json");
        rewrite(&path, &tampered, |name, _| {
            (name == metadata_name).then(|| b"{\"so_den\":99}".to_vec())
        });
        let report = package::verify_package(&tampered, &pinned).unwrap();
        assert_eq!(report.verdict, Verdict::Invalid);
        assert!(report
            .reasons
            .iter()
            .any(|r| r.code == "PACKAGE_MEMBER_ALTERED"));

        // The same change with the manifest updated to match: the record, which
        // the ledger commits to, still gives it away.
        let forged = dir.path().join("forged.zip");
        let new_metadata = b"{\"so_den\":99}".to_vec();
        let forged_hash = congso_archive::sha256_hex(&new_metadata);
        rewrite(&path, &forged, |name, bytes| {
            if name == metadata_name {
                return Some(new_metadata.clone());
            }
            if name == "manifest.json" {
                let mut manifest: package::Manifest = serde_json::from_slice(bytes).unwrap();
                for member in &mut manifest.members {
                    if member.path == metadata_name {
                        member.sha256.clone_from(&forged_hash);
                        member.size = new_metadata.len() as u64;
                    }
                }
                return Some(serde_json::to_vec(&manifest).unwrap());
            }
            None
        });
        let report = package::verify_package(&forged, &pinned).unwrap();
        assert_eq!(report.verdict, Verdict::Invalid);
        let item = report.items.iter().find(|i| i.id == received).unwrap();
        assert!(
            item.reasons.iter().any(|r| r.code == "CONTENT_ALTERED"),
            "{item:#?}"
        );

        // A forged signed PDF (one byte flipped) with a consistent manifest.
        let signed_name = format!("items/{issued}/files/001-qd-signed.pdf");
        let flipped = dir.path().join("flipped.zip");
        rewrite(&path, &flipped, |name, bytes| {
            (name == signed_name).then(|| {
                let mut bytes = bytes.to_vec();
                bytes[200] ^= 1;
                bytes
            })
        });
        let report = package::verify_package(&flipped, &pinned).unwrap();
        assert_eq!(report.verdict, Verdict::Invalid);

        // Exports refuse what cannot be proven.
        assert!(matches!(
            node.archive
                .export_package(&node.ledger, &[9999], &dir.path().join("x.zip"))
                .await,
            Err(ArchiveError::UnknownItem(9999))
        ));
        assert!(!dir.path().join("x.zip").exists());
        let item = node.archive.item(issued).await.unwrap().unwrap();
        let sha = congso_store::blob::parse_hash(&item.files[0].sha256).unwrap();
        node.blobs
            .corrupt_for_test(&sha, Bytes::from_static(b"%PDF-corrupt"))
            .await
            .unwrap();
        let corrupt = node
            .archive
            .export_package(&node.ledger, &[issued], &dir.path().join("y.zip"))
            .await;
        assert!(corrupt.unwrap_err().to_string().contains("corrupt"));
        assert!(!dir.path().join("y.zip").exists());
        node.shutdown().await;
    }
);

conformance!(
    archive_verify_tells_trust_changes_from_time,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        let (issued, received) = archive_two(&node).await;
        // A signature without a timestamp (PAdES B-B / CAdES-BES, as other
        // agencies may send), archived while its certificate is good.
        let (certificate, identity) = node.pki.identity_for("lanh.dao").await.unwrap();
        let letter = b"Giay moi hop".to_vec();
        let p7s =
            congso_pki::sign_detached(&letter, &identity, &congso_pki::SignOptions::default())
                .unwrap();
        let plain = node
            .archive
            .archive_item(
                &node.ledger,
                &Actor::System,
                ArchiveInput {
                    document_id: None,
                    direction: Direction::Received,
                    event_at: congso_store::now(),
                    metadata: serde_json::json!({}),
                    edxml: None,
                    files: vec![
                        InputFile {
                            role: FileRole::Original,
                            name: "giay-moi.txt".into(),
                            media_type: "text/plain".into(),
                            content: FileContent::Bytes(Bytes::from(letter)),
                            signs: None,
                        },
                        InputFile {
                            role: FileRole::Signature,
                            name: "giay-moi.txt.p7s".into(),
                            media_type: "application/pkcs7-signature".into(),
                            content: FileContent::Bytes(Bytes::from(p7s)),
                            signs: Some(0),
                        },
                    ],
                },
            )
            .await
            .unwrap();
        assert_eq!(plain.validation.verdict, "valid");
        node.ledger.checkpoint().await.unwrap();
        // Revoked afterwards: the untimestamped signature no longer validates
        // at the current time. That is noted, not reported as tampering; the
        // timestamped ones are unaffected.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        node.pki
            .revoke(
                &node.ledger,
                &operator(),
                &certificate.serial,
                RevocationReason::AffiliationChanged,
            )
            .await
            .unwrap();
        let report = node.archive.verify(&verifier()).await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
        assert_eq!(report.notes[0].item, Some(plain.id));

        // Swapping the node CA certificate in storage changes the verdict of
        // timestamped signatures, whose time is fixed: that is a problem.
        let other = congso_pki::CertificateAuthority::create_root(
            &congso_pki::SubjectName::new("Impostor CA"),
            KeyAlgorithm::EcdsaP256,
            SystemTime::now(),
            std::time::Duration::from_secs(86_400),
        )
        .unwrap();
        let hex = hex::encode(other.certificate().to_der());
        let literal = match db.backend() {
            congso_store::Backend::Sqlite => format!("X'{hex}'"),
            congso_store::Backend::Postgres => format!("'\\x{hex}'::bytea"),
        };
        congso_store::testing_raw_execute(
            &db,
            &format!("UPDATE pki_certificates SET certificate = {literal} WHERE kind = 'ca'"),
        )
        .await
        .unwrap();
        let report = node.archive.verify(&verifier()).await.unwrap();
        let found = codes(&report);
        assert!(
            found.contains(&(Some(issued), "SIGNATURE_VERDICT_CHANGED")),
            "{found:?}"
        );
        assert!(
            found.contains(&(Some(received), "SIGNATURE_VERDICT_CHANGED")),
            "{found:?}"
        );
        node.shutdown().await;
    }
);
