//! Storage of the node PKI and the archive, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use congso_store::archive::{
    self, Direction, FileRole, NewArchiveFile, NewArchiveItem, NewSignature,
};
use congso_store::conformance;
use congso_store::pki::{self, CertificateKind, NewCertificate, Revoke, SignedCrl};
use congso_store::{Db, StoreError};

fn certificate(kind: CertificateKind, serial: &str, issuer: &str) -> NewCertificate {
    NewCertificate {
        kind,
        user_id: None,
        serial: serial.to_owned(),
        issuer: issuer.to_owned(),
        subject: format!("CN={serial}"),
        common_name: serial.to_owned(),
        algorithm: "ecdsa-p256".to_owned(),
        not_before: 1,
        not_after: 2,
        fingerprint: format!("fp-{serial}"),
        certificate: vec![0x30, 0x00],
        chain_pem: String::new(),
        sealed_key: Some(vec![1, 2, 3]),
        created_by: "cli:test".to_owned(),
        created_at: 10,
    }
}

fn signed(content: &pki::CrlContent) -> Result<SignedCrl, StoreError> {
    Ok(SignedCrl {
        der: format!(
            "crl {} {:?}",
            content.number,
            content
                .revoked
                .iter()
                .map(|r| r.serial.as_str())
                .collect::<Vec<_>>()
        )
        .into_bytes(),
        this_update: 100,
        next_update: 200,
    })
}

conformance!(one_active_ca_and_tsa, |db: Db| async move {
    let first = pki::insert_certificate(&db, &certificate(CertificateKind::Ca, "01", "CN=ca"))
        .await
        .unwrap();
    assert!(first.is_some());
    // A second CA (another process racing) is not stored.
    let second = pki::insert_certificate(&db, &certificate(CertificateKind::Ca, "02", "CN=ca"))
        .await
        .unwrap();
    assert_eq!(second, None);
    let active = pki::active(&db, CertificateKind::Ca)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(active.serial, "01");
    assert!(active.has_key);
    assert_eq!(
        pki::sealed_key(&db, active.id).await.unwrap(),
        Some(vec![1, 2, 3])
    );

    let tsa = pki::insert_certificate(&db, &certificate(CertificateKind::Tsa, "10", "CN=ca"))
        .await
        .unwrap()
        .unwrap();
    // Replacing the TSA retires the old one and activates the new one.
    let renewed = pki::replace_active(&db, tsa, &certificate(CertificateKind::Tsa, "11", "CN=ca"))
        .await
        .unwrap();
    let active = pki::active(&db, CertificateKind::Tsa)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(active.id, renewed);
    assert!(pki::get(&db, tsa)
        .await
        .unwrap()
        .unwrap()
        .retired_at
        .is_some());
    // The retired one cannot be replaced twice.
    let again =
        pki::replace_active(&db, tsa, &certificate(CertificateKind::Tsa, "12", "CN=ca")).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(pki::list(&db).await.unwrap().len(), 3);

    // Staff certificates must be new.
    pki::insert_certificate(&db, &certificate(CertificateKind::Staff, "20", "CN=ca"))
        .await
        .unwrap()
        .unwrap();
    let duplicate =
        pki::insert_certificate(&db, &certificate(CertificateKind::Staff, "20", "CN=ca")).await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    assert_eq!(pki::find_by_serial(&db, "20").await.unwrap().len(), 1);
    assert!(pki::find_by_serial(&db, "not hex").await.is_err());
});

conformance!(revocation_publishes_crl_atomically, |db: Db| async move {
    let staff = pki::insert_certificate(&db, &certificate(CertificateKind::Staff, "aa", "CN=ca"))
        .await
        .unwrap()
        .unwrap();
    let foreign = pki::insert_certificate(
        &db,
        &certificate(CertificateKind::Imported, "bb", "CN=other"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(pki::latest_crl(&db).await.unwrap(), None);
    let empty = pki::publish_crl(&db, "CN=ca", None, 50, signed)
        .await
        .unwrap();
    assert_eq!(empty.number, 1);
    assert_eq!(empty.der, b"crl 1 []");

    let revoke = Revoke {
        certificate_id: staff,
        at: 60,
        reason: Some("key-compromise".to_owned()),
    };
    let crl = pki::publish_crl(&db, "CN=ca", Some(&revoke), 60, signed)
        .await
        .unwrap();
    assert_eq!(crl.number, 2);
    assert_eq!(crl.der, b"crl 2 [\"aa\"]");
    let stored = pki::get(&db, staff).await.unwrap().unwrap();
    assert_eq!(stored.revoked_at, Some(60));
    assert_eq!(stored.revocation_reason.as_deref(), Some("key-compromise"));

    // Revoking twice is refused and publishes nothing.
    let twice = pki::publish_crl(&db, "CN=ca", Some(&revoke), 70, signed).await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    assert_eq!(pki::latest_crl(&db).await.unwrap().unwrap().number, 2);

    // A signer failure rolls the revocation back.
    let failing = Revoke {
        certificate_id: foreign,
        at: 80,
        reason: None,
    };
    let failed = pki::publish_crl(&db, "CN=ca", Some(&failing), 80, |_| {
        Err(StoreError::Secret("no key".to_owned()))
    })
    .await;
    assert!(failed.is_err());
    assert_eq!(
        pki::get(&db, foreign).await.unwrap().unwrap().revoked_at,
        None
    );

    // A revoked certificate of another issuer is not on our CRL.
    pki::publish_crl(&db, "CN=ca", Some(&failing), 90, signed)
        .await
        .unwrap();
    let latest = pki::latest_crl(&db).await.unwrap().unwrap();
    assert_eq!(latest.number, 3);
    assert_eq!(latest.der, b"crl 3 [\"aa\"]");
});

fn item(files: Vec<NewArchiveFile>) -> NewArchiveItem {
    NewArchiveItem {
        document_id: Some(42),
        direction: Direction::Received,
        event_at: 1_000,
        metadata: "{\"so_ky_hieu\":\"12/QĐ-UBND\"}".to_owned(),
        metadata_sha256: "m".repeat(64),
        edxml_sha256: None,
        edxml_size: None,
        verdict: "valid".to_owned(),
        report: "{}".to_owned(),
        report_sha256: "r".repeat(64),
        record_sha256: "c".repeat(64),
        archived_at: 2_000,
        archived_by: "system".to_owned(),
        files,
    }
}

fn file(role: FileRole, name: &str, signs: Option<i64>) -> NewArchiveFile {
    NewArchiveFile {
        role,
        name: name.to_owned(),
        media_type: "application/pdf".to_owned(),
        sha256: "0".repeat(64),
        size: 7,
        signs,
        verdict: signs.map(|_| "valid".to_owned()),
    }
}

conformance!(archive_items_round_trip, |db: Db| async move {
    let new = item(vec![
        file(FileRole::Original, "a.pdf", None),
        file(FileRole::Signature, "a.pdf.p7s", Some(0)),
    ]);
    let id = archive::insert_item(&db, &new).await.unwrap();
    let stored = archive::get_item(&db, id).await.unwrap().unwrap();
    assert_eq!(stored.metadata, new.metadata);
    assert_eq!(stored.ledger_seq, None);
    assert_eq!(stored.files.len(), 2);
    assert_eq!(stored.files[1].role, FileRole::Signature);
    assert_eq!(stored.files[1].signs, Some(0));
    assert_eq!(stored.files[1].position, 1);

    archive::set_item_ledger_seq(&db, id, 5).await.unwrap();
    assert!(archive::set_item_ledger_seq(&db, id, 6).await.is_err());
    // A recorded item is never removed.
    archive::delete_unrecorded_item(&db, id).await.unwrap();
    assert_eq!(
        archive::get_item(&db, id)
            .await
            .unwrap()
            .unwrap()
            .ledger_seq,
        Some(5)
    );
    // An unrecorded one is, with its files.
    let other = archive::insert_item(&db, &item(vec![file(FileRole::Original, "b", None)]))
        .await
        .unwrap();
    archive::delete_unrecorded_item(&db, other).await.unwrap();
    assert_eq!(archive::get_item(&db, other).await.unwrap(), None);
    assert_eq!(archive::item_ids(&db, 0, 10).await.unwrap(), vec![id]);
    assert_eq!(archive::count_items(&db).await.unwrap(), 1);
    assert_eq!(archive::items_for_document(&db, 42).await.unwrap().len(), 1);

    // A file pointing at a role that does not exist cannot be stored.
    let bad = congso_store::testing_raw_execute(
        &db,
        &format!(
            "INSERT INTO archive_files (item_id, position, role, name, media_type, sha256, size) \
             VALUES ({id}, 9, 'bogus', 'x', 'x', 'x', 1)"
        ),
    )
    .await;
    assert!(bad.is_err());

    let cert = pki::insert_certificate(&db, &certificate(CertificateKind::Staff, "cc", "CN=ca"))
        .await
        .unwrap()
        .unwrap();
    let signature = NewSignature {
        document_id: Some(42),
        certificate_id: cert,
        signer: "lanh.dao".to_owned(),
        cert_serial: "cc".to_owned(),
        format: "pades".to_owned(),
        file_name: "qd.pdf".to_owned(),
        media_type: "application/pdf".to_owned(),
        original_sha256: "1".repeat(64),
        original_size: 10,
        signed_sha256: "2".repeat(64),
        signed_size: 20,
        signed_at: 30,
        timestamp_at: Some(31),
        tsa: "node".to_owned(),
        verdict: "valid".to_owned(),
        report: "{}".to_owned(),
        created_at: 32,
    };
    let signature_id = archive::insert_signature(&db, &signature).await.unwrap();
    archive::set_signature_ledger_seq(&db, signature_id, 9)
        .await
        .unwrap();
    archive::delete_unrecorded_signature(&db, signature_id)
        .await
        .unwrap();
    let stored = archive::get_signature(&db, signature_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.ledger_seq, Some(9));
    assert_eq!(stored.timestamp_at, Some(31));
    assert_eq!(
        archive::signatures_for_document(&db, 42).await.unwrap(),
        vec![stored]
    );
    assert!(archive::ledger_targets(&db, "archive.recorded")
        .await
        .unwrap()
        .is_empty());
});
