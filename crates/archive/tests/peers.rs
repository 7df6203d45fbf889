//! Independent checks of what the node produces and accepts: pyHanko
//! validates the PDFs the signing service signs against the node CA,
//! `openssl cms -verify` accepts its detached signatures, `openssl crl`
//! accepts its CRL, an `openssl ts` TSA stamps through the HTTP client, and
//! a PKCS#12 exported by OpenSSL imports and signs PDFs pyHanko accepts.
//! Skipped with a notice when a tool is missing, unless
//! `CONGSO_REQUIRE_PEERS=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use common::peers::{self, run, text};
use common::{operator, pdf, Node};
use congso_archive::{
    HttpTimestamper, KeyAlgorithm, PkiSettings, SignContent, SignRequest, Verdict, VisibleSignature,
};
use congso_core::audit::Actor;

fn request(name: &str, media_type: &str, content: Vec<u8>) -> SignRequest {
    SignRequest {
        username: "lanh.dao".into(),
        document_id: None,
        file_name: name.into(),
        media_type: media_type.into(),
        content: SignContent::Bytes(Bytes::from(content)),
        visible: None,
        reason: Some("Ký ban hành".into()),
        location: Some("Hà Nội".into()),
    }
}

async fn sqlite_node(settings: PkiSettings) -> (Node, congso_store::testing::TestDb) {
    let test_db = congso_store::testing::TestDb::sqlite().await.unwrap();
    (
        Node::with_settings(test_db.db.clone(), settings).await,
        test_db,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyhanko_and_openssl_accept_what_the_node_signs() {
    let (Some(venv), Some(openssl)) = (peers::pyhanko_venv(), peers::openssl()) else {
        return;
    };
    let (node, _db) = sqlite_node(PkiSettings::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = node.pki.ca(&node.ledger, &operator()).await.unwrap();
    let root = dir.path().join("ca.pem");
    std::fs::write(&root, ca.certificate().to_pem()).unwrap();
    let leader = Actor::User("lanh.dao".into());
    for algorithm in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
        node.pki
            .issue(&node.ledger, &operator(), "lanh.dao", algorithm)
            .await
            .unwrap();
        let mut visible = request("qd.pdf", "application/pdf", pdf("Quyet dinh 12"));
        visible.visible = Some(VisibleSignature::decree30(1));
        for signing in [
            request("qd.pdf", "application/pdf", pdf("Quyet dinh 12")),
            visible,
        ] {
            let record = node
                .pki
                .sign(&node.ledger, &node.blobs, &leader, signing)
                .await
                .unwrap();
            let signed = dir.path().join(format!("{}.pdf", record.id));
            std::fs::write(
                &signed,
                node.blobs.get_bytes(&record.signed.sha256).await.unwrap(),
            )
            .unwrap();
            let verdict = peers::pyhanko_verdict(&venv, &signed, &root, true);
            assert!(verdict.starts_with("VALID 1 signature(s)"), "{verdict}");
            assert!(verdict.contains("Nguyễn Văn An"), "{verdict}");
        }

        let content = "Biên bản họp".as_bytes().to_vec();
        let record = node
            .pki
            .sign(
                &node.ledger,
                &node.blobs,
                &leader,
                request("bb.txt", "text/plain", content.clone()),
            )
            .await
            .unwrap();
        let data = dir.path().join("bb.txt");
        let p7s = dir.path().join("bb.txt.p7s");
        std::fs::write(&data, &content).unwrap();
        std::fs::write(
            &p7s,
            node.blobs.get_bytes(&record.signed.sha256).await.unwrap(),
        )
        .unwrap();
        let out = run(
            Command::new(&openssl)
                .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
                .arg(&p7s)
                .arg("-content")
                .arg(&data)
                .arg("-CAfile")
                .arg(&root)
                .args(["-out", "/dev/null"]),
            true,
        );
        assert!(
            text(&out).contains("Verification successful"),
            "{}",
            text(&out)
        );
        // A changed byte: OpenSSL refuses it too.
        std::fs::write(&data, "Biên bản họp!").unwrap();
        run(
            Command::new(&openssl)
                .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
                .arg(&p7s)
                .arg("-content")
                .arg(&data)
                .arg("-CAfile")
                .arg(&root)
                .args(["-out", "/dev/null"]),
            false,
        );
    }

    // The CRL after a revocation, checked by OpenSSL against the CA.
    let listed = node.pki.list().await.unwrap();
    let staff = listed
        .iter()
        .find(|c| c.kind == congso_store::pki::CertificateKind::Staff)
        .unwrap();
    let (_, crl) = node
        .pki
        .revoke(
            &node.ledger,
            &operator(),
            &staff.serial,
            congso_archive::RevocationReason::AffiliationChanged,
        )
        .await
        .unwrap();
    let crl_path = dir.path().join("ca.crl");
    std::fs::write(&crl_path, congso_archive::package::crl_pem(&crl.der)).unwrap();
    let out = run(
        Command::new(&openssl)
            .args(["crl", "-noout", "-text", "-in"])
            .arg(&crl_path)
            .arg("-CAfile")
            .arg(&root),
        true,
    );
    let shown = text(&out);
    assert!(shown.contains("verify OK"), "{shown}");
    assert!(
        shown.to_uppercase().contains(&staff.serial.to_uppercase()),
        "{shown}"
    );
    assert!(shown.contains("Affiliation Changed"), "{shown}");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openssl_tsa_stamps_through_the_http_client() {
    let Some(_) = peers::openssl() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    peers::openssl_pki(&pki);
    let tsa = peers::OpensslTsa::start(&pki);
    let root =
        congso_pki::Certificate::from_pem(&std::fs::read(pki.join("root.pem")).unwrap()).unwrap();

    let client = HttpTimestamper::new(&tsa.url, Duration::from_secs(10)).unwrap();
    let data = b"du lieu can gan dau thoi gian";
    let token = client
        .stamp(&congso_pki::DigestAlgorithm::Sha256.digest(data))
        .await
        .unwrap();
    let report = congso_pki::verify_timestamp_token(
        &token,
        data,
        &congso_pki::VerifyOptions::new(vec![root.clone()], SystemTime::now()),
    );
    assert_eq!(report.verdict, Verdict::Valid, "{report:?}");

    // The signing service with `tsa_url` set stamps through OpenSSL's TSA.
    let settings = PkiSettings {
        tsa_url: Some(tsa.url.clone()),
        ..PkiSettings::default()
    };
    let (node, _db) = sqlite_node(settings).await;
    node.pki
        .issue(
            &node.ledger,
            &operator(),
            "lanh.dao",
            KeyAlgorithm::EcdsaP256,
        )
        .await
        .unwrap();
    let record = node
        .pki
        .sign(
            &node.ledger,
            &node.blobs,
            &Actor::User("lanh.dao".into()),
            request("a.pdf", "application/pdf", pdf("A")),
        )
        .await
        .unwrap();
    assert_eq!(record.tsa, tsa.url);
    let stamp = record.report.signatures[0]
        .details
        .timestamp
        .as_ref()
        .unwrap();
    assert!(
        stamp.tsa.as_deref().unwrap_or("").contains("Test TSA"),
        "{stamp:?}"
    );
    // The node does not trust OpenSSL's root, so it cannot vouch for the
    // timestamp; with that root trusted too, everything verifies.
    assert_eq!(record.report.verdict, Verdict::Indeterminate);
    let mut trust = node.pki.trust().await.unwrap();
    trust.anchors.push(root);
    let signed = node.blobs.get_bytes(&record.signed.sha256).await.unwrap();
    let report = congso_pki::verify_pdf(&signed, &trust.options(SystemTime::now())).unwrap();
    assert_eq!(report.verdict, Verdict::Valid, "{report:?}");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pkcs12_from_openssl_imports_and_signs() {
    let Some(openssl) = peers::openssl() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    peers::openssl_pki(&pki);
    let p12 = dir.path().join("signer.p12");
    run(
        Command::new(&openssl)
            .args(["pkcs12", "-export", "-inkey"])
            .arg(pki.join("signer.key"))
            .arg("-in")
            .arg(pki.join("signer.pem"))
            .arg("-certfile")
            .arg(pki.join("root.pem"))
            .args(["-passout", "pass:mật khẩu", "-out"])
            .arg(&p12),
        true,
    );
    let (node, _db) = sqlite_node(PkiSettings::default()).await;
    let bytes = std::fs::read(&p12).unwrap();
    let wrong = node
        .pki
        .import_pkcs12(&node.ledger, &operator(), "lanh.dao", &bytes, "sai")
        .await;
    assert!(wrong.is_err());
    let imported = node
        .pki
        .import_pkcs12(&node.ledger, &operator(), "lanh.dao", &bytes, "mật khẩu")
        .await
        .unwrap();
    assert_eq!(imported.kind, congso_store::pki::CertificateKind::Imported);
    assert_eq!(imported.common_name, "Test Signer");
    // The imported root is trusted for the node's own checks.
    let record = node
        .pki
        .sign(
            &node.ledger,
            &node.blobs,
            &Actor::User("lanh.dao".into()),
            request("a.pdf", "application/pdf", pdf("A")),
        )
        .await
        .unwrap();
    assert_eq!(record.cert_serial, imported.serial);
    assert_eq!(record.report.verdict, Verdict::Valid, "{:?}", record.report);
    let chain = &record.report.signatures[0].details.chain;
    assert!(
        chain
            .iter()
            .any(|c| c.subject.contains("Congso Test Root CA")),
        "{chain:?}"
    );
    // OpenSSL agrees the certificate that signed chains to its root.
    let signer = dir.path().join("signer-from-node.pem");
    let certificate =
        congso_pki::Certificate::from_der(&imported_der(&node, imported.id).await).unwrap();
    std::fs::write(&signer, certificate.to_pem()).unwrap();
    run(
        Command::new(&openssl)
            .arg("verify")
            .arg("-CAfile")
            .arg(pki.join("root.pem"))
            .arg(&signer),
        true,
    );
    node.shutdown().await;
}

async fn imported_der(node: &Node, id: i64) -> Vec<u8> {
    congso_store::pki::get(&node.db, id)
        .await
        .unwrap()
        .unwrap()
        .certificate
}
