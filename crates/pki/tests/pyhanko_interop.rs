//! Independent checks with pyHanko 0.38: it validates the PDFs we sign
//! (against our CA only, B-T required), we validate the PDFs it signs (with
//! an `openssl ts` TSA), and it validates a PDF signed first by pyHanko and
//! then by us. Skipped with a notice when pyHanko is missing, unless
//! `CONGSO_REQUIRE_PEERS=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use common::peers::{self, run, text, TempDir};
use common::{minimal_pdf, Pki};
use congso_pki::{
    sign_pdf, verify_pdf, Certificate, KeyAlgorithm, PadesOptions, PrivateKey, SignerIdentity,
    TimestampAuthority, Verdict, VerifyOptions, VisibleSignature,
};

/// pyHanko's one-line verdict (see tests/peers/pades_validate.py).
fn pyhanko_verdict(venv: &Path, pdf: &Path, root: &Path, expect_valid: bool) -> String {
    let out = run(
        Command::new("bash")
            .arg(peers::scripts().join("pades-validate.sh"))
            .arg(pdf)
            .arg(root)
            .env("PEERS_PY", venv.join("bin/python")),
        expect_valid,
    );
    let verdict = text(&out);
    eprintln!("pyHanko on {}: {}", pdf.display(), verdict.trim());
    verdict
}

#[test]
fn pyhanko_validates_our_signed_pdfs() {
    let Some(venv) = peers::pyhanko_venv() else {
        return;
    };
    let dir = TempDir::new("pyhanko-ours");
    for algorithm in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
        let pki = Pki::current(algorithm);
        let root = dir.write("root.pem", pki.ca.certificate().to_pem());
        let signer = pki.signer(algorithm, 365);
        let now = SystemTime::now();
        let timestamper = pki.tsa.at(now);
        let options = |field: &str, appearance: Option<VisibleSignature>| PadesOptions {
            field_name: Some(field.into()),
            signing_time: Some(now),
            timestamper: Some(&timestamper),
            reason: Some("Ký ban hành văn bản".into()),
            location: Some("Hà Nội".into()),
            appearance,
            ..PadesOptions::default()
        };
        let pdf = minimal_pdf("Quyet dinh so 12/QD-UBND");
        let invisible = sign_pdf(&pdf, &signer, &options("Signature1", None)).unwrap();
        let path = dir.write("invisible.pdf", &invisible);
        let verdict = pyhanko_verdict(&venv, &path, &root, true);
        assert!(
            verdict.starts_with("VALID 1 signature(s): Signature1=Nguyễn Văn An"),
            "{verdict}"
        );
        assert!(verdict.contains("coverage=ENTIRE_FILE"), "{verdict}");

        let visible = sign_pdf(
            &pdf,
            &signer,
            &options("Lãnh đạo ký", Some(VisibleSignature::decree30(1))),
        )
        .unwrap();
        let path = dir.write("visible.pdf", &visible);
        assert!(pyhanko_verdict(&venv, &path, &root, true).starts_with("VALID 1"));

        // A PDF 1.5 file with object and xref streams gets an xref-stream update.
        let modern = sign_pdf(
            &common::xref_stream_pdf("Modern"),
            &signer,
            &options("Signature1", None),
        )
        .unwrap();
        let path = dir.write("modern.pdf", &modern);
        assert!(pyhanko_verdict(&venv, &path, &root, true).starts_with("VALID 1"));

        // A second signature on top of the first: both valid for pyHanko.
        let twice = sign_pdf(
            &invisible,
            &signer,
            &options("Signature2", Some(VisibleSignature::decree30(1))),
        )
        .unwrap();
        let path = dir.write("twice.pdf", &twice);
        let verdict = pyhanko_verdict(&venv, &path, &root, true);
        assert!(verdict.starts_with("VALID 2 signature(s)"), "{verdict}");

        // pyHanko agrees on the failures too.
        let mut tampered = invisible.clone();
        tampered[30] ^= 1;
        let path = dir.write("tampered.pdf", &tampered);
        let verdict = pyhanko_verdict(&venv, &path, &root, false);
        assert!(verdict.contains("INVALID"), "{verdict}");
        let other = Pki::current(KeyAlgorithm::EcdsaP256);
        let other_root = dir.write("other.pem", other.ca.certificate().to_pem());
        let verdict = pyhanko_verdict(&venv, &dir.join("invisible.pdf"), &other_root, false);
        assert!(verdict.contains("does not chain"), "{verdict}");
    }
}

/// The OpenSSL test PKI (`tests/peers/mk-test-pki.sh`) loaded into our types.
struct OpensslPki {
    dir: std::path::PathBuf,
    root: Certificate,
    signer: SignerIdentity,
    tsa: TimestampAuthority,
}

fn openssl_pki(dir: &TempDir) -> OpensslPki {
    let pki = dir.join("pki");
    run(
        Command::new("bash")
            .arg(peers::scripts().join("mk-test-pki.sh"))
            .arg(&pki),
        true,
    );
    let read = |name: &str| std::fs::read(pki.join(name)).unwrap();
    let root = Certificate::from_pem(&read("root.pem")).unwrap();
    let key =
        |name: &str| PrivateKey::from_pkcs8_pem(&String::from_utf8(read(name)).unwrap()).unwrap();
    let signer = SignerIdentity::new(
        Certificate::from_pem(&read("signer.pem")).unwrap(),
        key("signer.key"),
        vec![root.clone()],
    )
    .unwrap();
    let tsa_identity = SignerIdentity::new(
        Certificate::from_pem(&read("tsa.pem")).unwrap(),
        key("tsa.key"),
        vec![root.clone()],
    )
    .unwrap();
    let tsa = TimestampAuthority::new(tsa_identity, congso_pki::DEFAULT_TSA_POLICY).unwrap();
    OpensslPki {
        dir: pki,
        root,
        signer,
        tsa,
    }
}

#[test]
fn we_validate_pdfs_signed_by_pyhanko_and_sign_after_it() {
    let Some(venv) = peers::pyhanko_venv() else {
        return;
    };
    let dir = TempDir::new("pyhanko-theirs");
    let pki = openssl_pki(&dir);
    let input = dir.write("doc.pdf", minimal_pdf("Signed by pyHanko"));
    let signed_path = dir.join("signed.pdf");
    let out = run(
        Command::new("bash")
            .arg(peers::scripts().join("pades-sign.sh"))
            .arg(&input)
            .arg(&signed_path)
            .arg(pki.dir.join("signer.key"))
            .arg(pki.dir.join("signer.pem"))
            .arg(pki.dir.join("chain.pem"))
            .env("PYHANKO", venv.join("bin/pyhanko")),
        true,
    );
    assert!(text(&out).contains("signed"), "{}", text(&out));
    let signed = std::fs::read(&signed_path).unwrap();
    let options = VerifyOptions {
        require_timestamp: true,
        ..VerifyOptions::new(vec![pki.root.clone()], SystemTime::now())
    };
    let report = verify_pdf(&signed, &options).unwrap();
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    let sig = &report.signatures[0];
    assert_eq!(sig.field_name.as_deref(), Some("PeerSignature"));
    assert_eq!(sig.details.signer_name.as_deref(), Some("Test Signer"));
    assert!(sig
        .details
        .timestamp
        .as_ref()
        .unwrap()
        .tsa
        .as_ref()
        .unwrap()
        .contains("Test TSA"));
    assert!(report.has("PDF_COVERS_WHOLE_FILE"));

    let mut tampered = signed.clone();
    let middle = 40;
    tampered[middle] ^= 1;
    assert_eq!(
        verify_pdf(&tampered, &options).unwrap().verdict,
        Verdict::Invalid
    );
    let other = Pki::current(KeyAlgorithm::EcdsaP256);
    let wrong = VerifyOptions {
        require_timestamp: true,
        ..VerifyOptions::new(vec![other.ca.certificate().clone()], SystemTime::now())
    };
    assert_eq!(
        verify_pdf(&signed, &wrong).unwrap().verdict,
        Verdict::Indeterminate
    );

    // We add a second signature (same PKI, our TSA engine with the OpenSSL
    // PKI's TSA key); pyHanko must accept both, and so must we.
    let now = SystemTime::now();
    let timestamper = pki.tsa.at(now);
    let twice = sign_pdf(
        &signed,
        &pki.signer,
        &PadesOptions {
            signing_time: Some(now),
            timestamper: Some(&timestamper),
            ..PadesOptions::default()
        },
    )
    .unwrap();
    let twice_path = dir.write("twice.pdf", &twice);
    let verdict = pyhanko_verdict(&venv, &twice_path, &pki.dir.join("root.pem"), true);
    assert!(verdict.starts_with("VALID 2 signature(s)"), "{verdict}");
    let report = verify_pdf(&twice, &options).unwrap();
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    assert!(report.has("PDF_LATER_SIGNATURES_ONLY"));

    // A content change after pyHanko's signature is caught by both.
    let modified = common::append_content_change(&signed);
    let modified_path = dir.write("modified.pdf", &modified);
    let verdict = pyhanko_verdict(&venv, &modified_path, &pki.dir.join("root.pem"), false);
    assert!(verdict.contains("INVALID"), "{verdict}");
    let report = verify_pdf(&modified, &options).unwrap();
    assert!(report.has("PDF_MODIFIED_AFTER_SIGNING"), "{report:#?}");
}

/// `tsa.sh serve` on a free 127.0.0.1 port, stopped on drop.
struct TsaServer {
    child: std::process::Child,
    url: String,
}

impl TsaServer {
    fn start(pki_dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("bash")
            .arg(peers::scripts().join("tsa.sh"))
            .arg("serve")
            .arg(pki_dir)
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self {
            child,
            url: format!("http://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for TsaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn we_validate_pyhanko_detached_cms_and_document_timestamps() {
    let Some(venv) = peers::pyhanko_venv() else {
        return;
    };
    let dir = TempDir::new("pyhanko-cms");
    let pki = openssl_pki(&dir);
    let tsa = TsaServer::start(&pki.dir);
    let data = b"Bien ban hop ngay 29/11/2026\n";
    let input = dir.write("data.txt", data);
    let p7s = dir.join("data.p7s");
    let out = run(
        Command::new(venv.join("bin/pyhanko"))
            .args([
                "sign",
                "addsig",
                "--detach",
                "--timestamp-url",
                &tsa.url,
                "pemder",
                "--key",
            ])
            .arg(pki.dir.join("signer.key"))
            .arg("--cert")
            .arg(pki.dir.join("signer.pem"))
            .arg("--chain")
            .arg(pki.dir.join("chain.pem"))
            .arg("--no-pass")
            .arg(&input)
            .arg(&p7s),
        true,
    );
    let _ = text(&out);
    let options = VerifyOptions::new(vec![pki.root.clone()], SystemTime::now());
    let signature = std::fs::read(&p7s).unwrap();
    let report = congso_pki::verify_detached(data, &signature, &options);
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    assert!(report.has("TIMESTAMP_OK"), "{report:#?}");
    assert_eq!(
        report.signatures[0].details.validation_time_source,
        "timestamp"
    );
    assert_eq!(
        congso_pki::verify_detached(b"other", &signature, &options).verdict,
        Verdict::Invalid
    );

    // A document timestamp (ETSI.RFC3161) added by pyHanko to a PDF we signed.
    let now = SystemTime::now();
    let timestamper = pki.tsa.at(now);
    let signed = sign_pdf(
        &minimal_pdf("Document timestamp"),
        &pki.signer,
        &PadesOptions {
            signing_time: Some(now),
            timestamper: Some(&timestamper),
            ..PadesOptions::default()
        },
    )
    .unwrap();
    let signed_path = dir.write("signed.pdf", &signed);
    let stamped_path = dir.join("stamped.pdf");
    run(
        Command::new(venv.join("bin/pyhanko"))
            .args([
                "sign",
                "timestamp",
                "--timestamp-url",
                &tsa.url,
                "--trust-replace",
                "--trust",
            ])
            .arg(pki.dir.join("root.pem"))
            .arg(&signed_path)
            .arg(&stamped_path),
        true,
    );
    let stamped = std::fs::read(&stamped_path).unwrap();
    let options = VerifyOptions {
        require_timestamp: true,
        ..options
    };
    let report = verify_pdf(&stamped, &options).unwrap();
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    assert_eq!(report.signatures.len(), 2);
    assert!(
        report.signatures[1]
            .reasons
            .iter()
            .any(|r| r.code == "TIMESTAMP_OK"),
        "{report:#?}"
    );
    assert!(report.has("PDF_LATER_SIGNATURES_ONLY"), "{report:#?}");
}
