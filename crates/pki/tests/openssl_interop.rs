//! Independent checks with OpenSSL 3: our certificates, CRLs, sealed keys,
//! detached CMS signatures and RFC 3161 tokens are accepted by `openssl`,
//! and we accept what `openssl cms -sign` and `openssl ts -reply` produce.
//! Skipped with a notice when `openssl` is missing, unless
//! `CONGSO_REQUIRE_PEERS=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::SystemTime;

use common::peers::{self, run, text, TempDir};
use common::{Pki, DAY};
use congso_pki::{
    sign_detached, verify_detached, verify_timestamp_token, Certificate, CertificateProfile,
    KeyAlgorithm, SignOptions, Verdict, VerifyOptions,
};

const DATA: &[u8] = b"Cong van so 34/UBND-VP gui cac phong ban.\n";

#[test]
fn openssl_accepts_our_certificates_crl_and_sealed_keys() {
    let Some(openssl) = peers::openssl() else {
        return;
    };
    let dir = TempDir::new("certs");
    for algorithm in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
        let pki = Pki::current(algorithm);
        let root = dir.write("root.pem", pki.ca.certificate().to_pem());
        let signer = pki.signer(algorithm, 365);
        let tls = pki
            .ca
            .issue_identity(
                &common::subject("node1.example.vn"),
                CertificateProfile::NodeTls {
                    dns_names: vec!["node1.example.vn".into()],
                    ip_addresses: vec!["127.0.0.1".parse().unwrap()],
                },
                algorithm,
                pki.start,
                DAY * 90,
            )
            .unwrap();
        let check_purpose = |name: &str, cert: &Certificate, purpose: &str| {
            let path = dir.write(name, cert.to_pem());
            let out = run(
                Command::new(&openssl)
                    .args(["verify", "-CAfile"])
                    .arg(&root)
                    .args(["-purpose", purpose])
                    .arg(&path),
                true,
            );
            assert!(text(&out).contains(": OK"), "{}", text(&out));
        };
        check_purpose("signer.pem", signer.certificate(), "smimesign");
        check_purpose("tsa.pem", pki.tsa.certificate(), "timestampsign");
        check_purpose("tls.pem", tls.certificate(), "sslserver");
        check_purpose("tls.pem", tls.certificate(), "sslclient");
        // The TLS certificate names what it should.
        let out = run(
            Command::new(&openssl)
                .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
                .arg(dir.join("tls.pem")),
            true,
        );
        let names = text(&out);
        assert!(
            names.contains("DNS:node1.example.vn") && names.contains("IP Address:127.0.0.1"),
            "{names}"
        );

        // A CRL distribution point, as OpenSSL reads it.
        let with_cdp = pki
            .ca
            .clone()
            .with_crl_url("http://node1.example.vn/pki/ca.crl")
            .unwrap()
            .issue_identity(
                &common::subject("CDP"),
                CertificateProfile::DocumentSigning,
                algorithm,
                pki.start,
                DAY,
            )
            .unwrap();
        let cdp_path = dir.write("cdp.pem", with_cdp.certificate().to_pem());
        let out = run(
            Command::new(&openssl)
                .args(["x509", "-noout", "-ext", "crlDistributionPoints", "-in"])
                .arg(&cdp_path),
            true,
        );
        assert!(
            text(&out).contains("URI:http://node1.example.vn/pki/ca.crl"),
            "{}",
            text(&out)
        );

        // CRL signed by the CA, listing the signer.
        let now = SystemTime::now();
        let crl = pki
            .ca
            .issue_crl(
                &[congso_pki::Revocation {
                    serial: signer.certificate().serial().to_vec(),
                    revoked_at: now - DAY / 2,
                    reason: None,
                }],
                3,
                now - DAY / 4,
                now + DAY,
            )
            .unwrap();
        let crl_path = dir.write("crl.der", &crl);
        let out = run(
            Command::new(&openssl)
                .args(["crl", "-inform", "DER", "-noout", "-text", "-CAfile"])
                .arg(&root)
                .arg("-in")
                .arg(&crl_path),
            true,
        );
        let crl_text = text(&out);
        assert!(crl_text.contains("verify OK"), "{crl_text}");
        assert!(
            crl_text
                .to_lowercase()
                .contains(&signer.certificate().serial_hex()[..8]),
            "{crl_text}"
        );
        // OpenSSL sees the signer as revoked with this CRL.
        let crl_pem = dir.write("crl.pem", der_to_pem("X509 CRL", &crl));
        let out = run(
            Command::new(&openssl)
                .args(["verify", "-crl_check", "-CAfile"])
                .arg(&root)
                .arg("-CRLfile")
                .arg(&crl_pem)
                .arg(dir.join("signer.pem")),
            false,
        );
        assert!(text(&out).contains("certificate revoked"), "{}", text(&out));

        // A key sealed with the node secret opens with `openssl pkcs8`.
        let secret = "node-secret-0123456789abcdef";
        let sealed = dir.write("sealed.der", signer.key().seal(secret.as_bytes()).unwrap());
        let out = run(
            Command::new(&openssl)
                .args(["pkcs8", "-inform", "DER", "-passin"])
                .arg(format!("pass:{secret}"))
                .arg("-in")
                .arg(&sealed),
            true,
        );
        let pem = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            congso_pki::PrivateKey::from_pkcs8_pem(&pem)
                .unwrap()
                .public_key_info()
                .unwrap(),
            *signer.certificate().public_key_info()
        );
    }
}

fn der_to_pem(label: &str, der: &[u8]) -> String {
    use std::fmt::Write;
    // Tests may use a tiny base64 of their own; no need for a dependency.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        let _ = writeln!(out, "{}", std::str::from_utf8(line).unwrap());
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

#[test]
fn openssl_cms_verify_accepts_our_detached_signatures() {
    let Some(openssl) = peers::openssl() else {
        return;
    };
    let dir = TempDir::new("cms");
    let data = dir.write("data.txt", DATA);
    for algorithm in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
        let pki = Pki::current(algorithm);
        let signer = pki.signer(algorithm, 365);
        let now = SystemTime::now();
        let p7s = sign_detached(
            DATA,
            &signer,
            &SignOptions {
                signing_time: Some(now),
                timestamper: Some(&pki.tsa.at(now)),
            },
        )
        .unwrap();
        let sig = dir.write("data.p7s", &p7s);
        let root = dir.write("root.pem", pki.ca.certificate().to_pem());
        let verify = |content: &std::path::Path, ca: &std::path::Path, ok: bool| {
            let out = run(
                Command::new(&openssl)
                    .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
                    .arg(&sig)
                    .arg("-content")
                    .arg(content)
                    .arg("-CAfile")
                    .arg(ca)
                    .args(["-out", "/dev/null"]),
                ok,
            );
            text(&out)
        };
        assert!(verify(&data, &root, true).contains("Verification successful"));
        let tampered = dir.write(
            "tampered.txt",
            b"Cong van so 35/UBND-VP gui cac phong ban.\n",
        );
        assert!(verify(&tampered, &root, false).contains("failure"));
        let other = Pki::current(KeyAlgorithm::EcdsaP256);
        let other_root = dir.write("other.pem", other.ca.certificate().to_pem());
        verify(&data, &other_root, false);

        // The embedded signature timestamp is a valid RFC 3161 token for
        // OpenSSL too: extract it with our parser's view and check it.
        let out = run(
            Command::new(&openssl)
                .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in"])
                .arg(&sig),
            true,
        );
        let printed = text(&out);
        assert!(printed.contains("id-smime-aa-timeStampToken"), "{printed}");
        assert!(
            printed.contains("id-smime-aa-signingCertificateV2"),
            "{printed}"
        );
    }
}

#[test]
fn openssl_ts_verify_accepts_our_tokens() {
    let Some(openssl) = peers::openssl() else {
        return;
    };
    let dir = TempDir::new("ts-ours");
    let data = dir.write("data.txt", DATA);
    for algorithm in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
        let pki = Pki::current(algorithm);
        let root = dir.write("root.pem", pki.ca.certificate().to_pem());
        // OpenSSL makes the request, our TSA answers it.
        let query = dir.join("req.tsq");
        run(
            Command::new(&openssl)
                .args(["ts", "-query", "-data"])
                .arg(&data)
                .args(["-sha256", "-cert", "-out"])
                .arg(&query),
            true,
        );
        let response = pki
            .tsa
            .respond(&std::fs::read(&query).unwrap(), SystemTime::now())
            .unwrap();
        let reply = dir.write("resp.tsr", &response);
        let out = run(
            Command::new(&openssl)
                .args(["ts", "-verify", "-data"])
                .arg(&data)
                .arg("-in")
                .arg(&reply)
                .arg("-CAfile")
                .arg(&root),
            true,
        );
        assert!(text(&out).contains("Verification: OK"), "{}", text(&out));
        // With the wrong data OpenSSL refuses it.
        let other = dir.write("other.txt", b"other");
        let out = run(
            Command::new(&openssl)
                .args(["ts", "-verify", "-data"])
                .arg(&other)
                .arg("-in")
                .arg(&reply)
                .arg("-CAfile")
                .arg(&root),
            false,
        );
        assert!(
            text(&out).contains("FAILED") || text(&out).contains("mismatch"),
            "{}",
            text(&out)
        );
        // The request without -cert: the token carries no certificate, and
        // OpenSSL verifies it when given the TSA certificate as untrusted.
        run(
            Command::new(&openssl)
                .args(["ts", "-query", "-data"])
                .arg(&data)
                .args(["-sha512", "-out"])
                .arg(&query),
            true,
        );
        let response = pki
            .tsa
            .respond(&std::fs::read(&query).unwrap(), SystemTime::now())
            .unwrap();
        let reply = dir.write("resp-nocert.tsr", &response);
        let tsa_pem = dir.write("tsa.pem", pki.tsa.certificate().to_pem());
        let out = run(
            Command::new(&openssl)
                .args(["ts", "-verify", "-data"])
                .arg(&data)
                .arg("-in")
                .arg(&reply)
                .arg("-CAfile")
                .arg(&root)
                .arg("-untrusted")
                .arg(&tsa_pem),
            true,
        );
        assert!(text(&out).contains("Verification: OK"), "{}", text(&out));
        let out = run(
            Command::new(&openssl)
                .args(["ts", "-reply", "-text", "-in"])
                .arg(&reply),
            true,
        );
        assert!(text(&out).contains("Status: Granted"), "{}", text(&out));
        assert!(
            text(&out).contains(congso_pki::DEFAULT_TSA_POLICY),
            "{}",
            text(&out)
        );
    }
}

/// Makes the OpenSSL test PKI of `tests/peers/mk-test-pki.sh`.
fn openssl_pki(dir: &TempDir) -> std::path::PathBuf {
    let pki = dir.join("pki");
    run(
        Command::new("bash")
            .arg(peers::scripts().join("mk-test-pki.sh"))
            .arg(&pki),
        true,
    );
    pki
}

#[test]
fn we_accept_openssl_tokens_and_signatures() {
    let Some(openssl) = peers::openssl() else {
        return;
    };
    let dir = TempDir::new("ts-theirs");
    let pki = openssl_pki(&dir);
    let data = dir.write("data.txt", DATA);
    let root = Certificate::from_pem(&std::fs::read(pki.join("root.pem")).unwrap()).unwrap();
    let options = VerifyOptions::new(vec![root.clone()], SystemTime::now());
    let tsa = peers::scripts().join("tsa.sh");

    // openssl ts -query + -reply, checked by us.
    let query = dir.join("req.tsq");
    let reply = dir.join("resp.tsr");
    run(
        Command::new("bash")
            .arg(&tsa)
            .arg("query")
            .arg(&data)
            .arg(&query),
        true,
    );
    run(
        Command::new("bash")
            .arg(&tsa)
            .arg("reply")
            .arg(&pki)
            .arg(&query)
            .arg(&reply),
        true,
    );
    let response = std::fs::read(&reply).unwrap();
    let report = verify_timestamp_token(&response, DATA, &options);
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    let ts = report.signatures[0].details.timestamp.clone().unwrap();
    assert_eq!(ts.policy.as_deref(), Some("1.2.3.4.1"));
    assert!(ts.tsa.unwrap().contains("Test TSA"));
    assert_eq!(
        verify_timestamp_token(&response, b"changed", &options).verdict,
        Verdict::Invalid
    );
    let other = Pki::current(KeyAlgorithm::EcdsaP256);
    let wrong = VerifyOptions::new(vec![other.ca.certificate().clone()], SystemTime::now());
    assert_eq!(
        verify_timestamp_token(&response, DATA, &wrong).verdict,
        Verdict::Indeterminate
    );

    // Our request, OpenSSL's TSA, our response parser.
    let request =
        congso_pki::make_request(&congso_pki::DigestAlgorithm::Sha256.digest(DATA)).unwrap();
    std::fs::write(&query, request.to_der()).unwrap();
    run(
        Command::new("bash")
            .arg(&tsa)
            .arg("reply")
            .arg(&pki)
            .arg(&query)
            .arg(&reply),
        true,
    );
    let token = request
        .parse_response(&std::fs::read(&reply).unwrap())
        .unwrap();
    assert_eq!(
        verify_timestamp_token(&token, DATA, &options).verdict,
        Verdict::Valid
    );

    // openssl cms -sign detached, checked by us.
    let p7s = dir.join("data.p7s");
    run(
        Command::new(&openssl)
            .args(["cms", "-sign", "-binary", "-md", "sha256", "-in"])
            .arg(&data)
            .arg("-signer")
            .arg(pki.join("signer.pem"))
            .arg("-inkey")
            .arg(pki.join("signer.key"))
            .arg("-certfile")
            .arg(pki.join("chain.pem"))
            .args(["-outform", "DER", "-out"])
            .arg(&p7s),
        true,
    );
    let signature = std::fs::read(&p7s).unwrap();
    let report = verify_detached(DATA, &signature, &options);
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    assert!(report.has("TIMESTAMP_MISSING"));
    assert_eq!(
        report.signatures[0].details.signer_name.as_deref(),
        Some("Test Signer")
    );
    assert_eq!(
        verify_detached(b"changed", &signature, &options).verdict,
        Verdict::Invalid
    );
    assert_eq!(
        verify_detached(DATA, &signature, &wrong).verdict,
        Verdict::Indeterminate
    );
    // RSASSA-PSS signatures (openssl cms -keyopt rsa_padding_mode:pss).
    let pss = dir.join("data-pss.p7s");
    run(
        Command::new(&openssl)
            .args(["cms", "-sign", "-binary", "-md", "sha256", "-in"])
            .arg(&data)
            .arg("-signer")
            .arg(pki.join("signer.pem"))
            .arg("-inkey")
            .arg(pki.join("signer.key"))
            .args(["-keyopt", "rsa_padding_mode:pss", "-outform", "DER", "-out"])
            .arg(&pss),
        true,
    );
    let pss = std::fs::read(&pss).unwrap();
    let report = verify_detached(DATA, &pss, &options);
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    assert_eq!(
        report.signatures[0].details.signature_algorithm.as_deref(),
        Some("RSASSA-PSS")
    );
    assert_eq!(
        verify_detached(b"changed", &pss, &options).verdict,
        Verdict::Invalid
    );

    // PEM output of openssl is accepted too.
    let pem = dir.join("data.pem");
    run(
        Command::new(&openssl)
            .args(["cms", "-sign", "-binary", "-md", "sha256", "-in"])
            .arg(&data)
            .arg("-signer")
            .arg(pki.join("signer.pem"))
            .arg("-inkey")
            .arg(pki.join("signer.key"))
            .args(["-outform", "PEM", "-out"])
            .arg(&pem),
        true,
    );
    let report = verify_detached(DATA, &std::fs::read(&pem).unwrap(), &options);
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
}
