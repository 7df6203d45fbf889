//! Detached CMS and RFC 3161 round trips through our own signer and
//! verifier, with the verdicts for tampering, a wrong trust anchor, expiry
//! and revocation. The same objects are checked against OpenSSL in
//! `openssl_interop.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{t0, Pki, DAY};
use congso_pki::{
    sign_detached, verify_detached, verify_timestamp_token, Crl, KeyAlgorithm, Revocation,
    RevocationPolicy, RevocationReason, SignOptions, ValidationReport, Verdict, VerifyOptions,
};

const DATA: &[u8] = b"Quyet dinh so 12/QD-UBND ve viec thu nghiem chu ky so.";

fn codes(report: &ValidationReport) -> Vec<&'static str> {
    report.all_reasons().map(|r| r.code).collect()
}

/// Asserts the verdict and that every expected code is present.
fn check(report: &ValidationReport, verdict: Verdict, expected_codes: &[&str]) {
    let got = codes(report);
    assert_eq!(report.verdict, verdict, "codes: {got:?}");
    for code in expected_codes {
        assert!(got.contains(code), "missing {code} in {got:?}");
    }
}

#[test]
fn detached_signatures_for_both_key_types() {
    for algorithm in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
        let pki = Pki::new(algorithm);
        let signer = pki.signer(algorithm, 365);
        let signed_at = t0() + DAY * 10;
        let p7s = sign_detached(
            DATA,
            &signer,
            &SignOptions {
                signing_time: Some(signed_at),
                timestamper: Some(&pki.tsa.at(signed_at)),
            },
        )
        .unwrap();
        let options = VerifyOptions::new(vec![pki.ca.certificate().clone()], signed_at + DAY);
        let report = verify_detached(DATA, &p7s, &options);
        check(
            &report,
            Verdict::Valid,
            &[
                "DIGEST_MATCH",
                "SIGNATURE_VALUE_OK",
                "CHAIN_TRUSTED",
                "TIMESTAMP_OK",
            ],
        );
        let details = &report.signatures[0].details;
        assert_eq!(details.signer_name.as_deref(), Some("Nguyễn Văn An"));
        assert_eq!(details.validation_time_source, "timestamp");
        assert_eq!(details.chain.len(), 2);
        assert!(details
            .timestamp
            .as_ref()
            .unwrap()
            .tsa
            .as_ref()
            .unwrap()
            .contains("Congso Test TSA"));
        // The report serialises for the CLI's --json.
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains("\"verdict\":\"valid\""), "{json}");

        // One flipped byte in the data.
        let mut tampered = DATA.to_vec();
        tampered[3] ^= 0x20;
        check(
            &verify_detached(&tampered, &p7s, &options),
            Verdict::Invalid,
            &["DIGEST_MISMATCH"],
        );

        // One flipped byte in the signature value (last bytes of the signer
        // info come before the unsigned timestamp, so flip inside the RSA/ECDSA
        // value by locating it).
        let report = verify_detached(DATA, &flip_signature_byte(&p7s, &signer), &options);
        assert_eq!(report.verdict, Verdict::Invalid, "{:?}", codes(&report));

        // Another CA as the only trust anchor.
        let other = Pki::new(KeyAlgorithm::EcdsaP256);
        let wrong = VerifyOptions::new(vec![other.ca.certificate().clone()], signed_at + DAY);
        check(
            &verify_detached(DATA, &p7s, &wrong),
            Verdict::Indeterminate,
            &["CHAIN_UNTRUSTED", "TIMESTAMP_UNTRUSTED"],
        );

        // Garbage never panics.
        for bad in [&b""[..], b"\x30\x80", &p7s[..p7s.len() / 2]] {
            check(
                &verify_detached(DATA, bad, &options),
                Verdict::Invalid,
                &["MALFORMED_SIGNATURE"],
            );
        }
    }
}

/// Flips a byte of the signature value inside the DER.
fn flip_signature_byte(p7s: &[u8], _signer: &congso_pki::SignerIdentity) -> Vec<u8> {
    use cms_probe::signature_offset;
    let offset = signature_offset(p7s);
    let mut out = p7s.to_vec();
    out[offset] ^= 1;
    out
}

mod cms_probe {
    /// Finds the last OCTET STRING of length 64..=512 before the unsigned
    /// attributes: the signature value. Good enough for our own output.
    pub fn signature_offset(der: &[u8]) -> usize {
        let needle_rsa = [0x04, 0x82, 0x01, 0x00];
        if let Some(pos) = der.windows(4).position(|w| w == needle_rsa) {
            return pos + 10;
        }
        // ECDSA: OCTET STRING of 70..=72 bytes holding a SEQUENCE.
        for i in 0..der.len() - 3 {
            if der[i] == 0x04 && (0x46..=0x48).contains(&der[i + 1]) && der[i + 2] == 0x30 {
                return i + 10;
            }
        }
        panic!("no signature value found");
    }
}

#[test]
fn expiry_and_revocation_verdicts() {
    let algorithm = KeyAlgorithm::EcdsaP256;
    let pki = Pki::new(algorithm);
    let signer = pki.signer(algorithm, 30); // Valid t0 .. t0+30d.
    let signed_at = t0() + DAY * 10;
    let stamped = sign_detached(
        DATA,
        &signer,
        &SignOptions {
            signing_time: Some(signed_at),
            timestamper: Some(&pki.tsa.at(signed_at)),
        },
    )
    .unwrap();
    let unstamped = sign_detached(
        DATA,
        &signer,
        &SignOptions {
            signing_time: Some(signed_at),
            timestamper: None,
        },
    )
    .unwrap();
    let anchors = vec![pki.ca.certificate().clone()];
    let later = t0() + DAY * 100; // After expiry.

    // Expired now, but a timestamp proves it was signed while valid.
    let options = VerifyOptions::new(anchors.clone(), later);
    check(
        &verify_detached(DATA, &stamped, &options),
        Verdict::Valid,
        &["CERT_EXPIRED_AFTER_SIGNING", "TIMESTAMP_OK"],
    );
    // Expired, and nothing proves when it was signed.
    check(
        &verify_detached(DATA, &unstamped, &options),
        Verdict::Indeterminate,
        &["CERT_EXPIRED_NO_PROOF"],
    );
    // A timestamp taken after expiry proves the signature came too late.
    let too_late_at = t0() + DAY * 40;
    let too_late = sign_detached(
        DATA,
        &signer,
        &SignOptions {
            signing_time: None,
            timestamper: Some(&pki.tsa.at(too_late_at)),
        },
    )
    .unwrap();
    check(
        &verify_detached(DATA, &too_late, &options),
        Verdict::Invalid,
        &["CERT_EXPIRED"],
    );

    // Revocation.
    let crl_with = |revoked_at| {
        let der = pki
            .ca
            .issue_crl(
                &[Revocation {
                    serial: signer.certificate().serial().to_vec(),
                    revoked_at,
                    reason: Some(RevocationReason::KeyCompromise),
                }],
                1,
                t0() + DAY * 20,
                t0() + DAY * 400,
            )
            .unwrap();
        Crl::parse(&der).unwrap()
    };
    let now = t0() + DAY * 20;
    let mut options = VerifyOptions::new(anchors.clone(), now);
    // Revoked before the timestamped signing time: invalid.
    options.crls = vec![crl_with(t0() + DAY * 5)];
    check(
        &verify_detached(DATA, &stamped, &options),
        Verdict::Invalid,
        &["CERT_REVOKED"],
    );
    // Revoked after the timestamped signing time: still valid, with a note.
    options.crls = vec![crl_with(t0() + DAY * 15)];
    check(
        &verify_detached(DATA, &stamped, &options),
        Verdict::Valid,
        &["CERT_REVOKED_AFTER_SIGNING"],
    );
    // Without a timestamp, the validation time is now, after revocation.
    check(
        &verify_detached(DATA, &unstamped, &options),
        Verdict::Invalid,
        &["CERT_REVOKED"],
    );

    // No CRL: soft-fail keeps the verdict, require makes it indeterminate.
    let mut options = VerifyOptions::new(anchors.clone(), now);
    check(
        &verify_detached(DATA, &stamped, &options),
        Verdict::Valid,
        &["REVOCATION_NOT_CHECKED"],
    );
    options.revocation = RevocationPolicy::Require;
    check(
        &verify_detached(DATA, &stamped, &options),
        Verdict::Indeterminate,
        &["REVOCATION_NOT_CHECKED"],
    );
    // A CRL that does not revoke anything, under the strict policy.
    let empty = Crl::parse(&pki.ca.issue_crl(&[], 2, now, now + DAY).unwrap()).unwrap();
    options.crls = vec![empty];
    let report = verify_detached(DATA, &stamped, &options);
    // The TSA chain is covered by the same CRL, so everything is checked.
    check(&report, Verdict::Valid, &[]);
    assert!(
        !report.has("REVOCATION_NOT_CHECKED"),
        "{:?}",
        codes(&report)
    );
    // A CRL signed by another CA is ignored, with a note.
    let other = Pki::new(KeyAlgorithm::EcdsaP256);
    let forged = Crl::parse(&other.ca.issue_crl(&[], 2, now, now + DAY).unwrap()).unwrap();
    options.crls = vec![forged];
    options.revocation = RevocationPolicy::SoftFail;
    let report = verify_detached(DATA, &stamped, &options);
    // Same subject name as our CA, so it is considered and rejected.
    check(
        &report,
        Verdict::Valid,
        &["CRL_INVALID", "REVOCATION_NOT_CHECKED"],
    );
}

#[test]
fn tsa_request_response_and_token_verification() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let digest = congso_pki::DigestAlgorithm::Sha256.digest(DATA);
    let request = congso_pki::make_request(&digest).unwrap();
    let now = t0() + DAY;
    let response = pki.tsa.respond(request.to_der(), now).unwrap();
    let token = request.parse_response(&response).unwrap();
    let options = VerifyOptions::new(vec![pki.ca.certificate().clone()], now + DAY);
    for input in [&token, &response] {
        let report = verify_timestamp_token(input, DATA, &options);
        check(&report, Verdict::Valid, &["TIMESTAMP_OK"]);
        let ts = report.signatures[0].details.timestamp.clone().unwrap();
        assert_eq!(ts.time.as_deref(), Some("2026-01-02T00:00:00Z"));
        assert_eq!(ts.policy.as_deref(), Some(congso_pki::DEFAULT_TSA_POLICY));
    }
    check(
        &verify_timestamp_token(&token, b"other data", &options),
        Verdict::Invalid,
        &["TIMESTAMP_IMPRINT_MISMATCH"],
    );

    // A response to another request is refused by the client.
    let other = congso_pki::make_request(&digest).unwrap();
    let err = other.parse_response(&response).unwrap_err().to_string();
    assert!(err.contains("nonce"), "{err}");

    // Bad requests get RFC 3161 rejections, not errors.
    for bad in [&b""[..], b"\x30\x03\x02\x01\x02", &request.to_der()[..10]] {
        let response = pki.tsa.respond(bad, now).unwrap();
        let err = congso_pki::parse_response(&response)
            .unwrap_err()
            .to_string();
        assert!(err.contains("tsa refused"), "{err}");
    }
}

#[test]
fn input_kinds_are_detected() {
    use congso_pki::{detect_kind, InputKind};
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let signer = pki.signer(KeyAlgorithm::EcdsaP256, 365);
    let p7s = sign_detached(DATA, &signer, &SignOptions::default()).unwrap();
    let request =
        congso_pki::make_request(&congso_pki::DigestAlgorithm::Sha256.digest(DATA)).unwrap();
    let response = pki.tsa.respond(request.to_der(), t0()).unwrap();
    let token = request.parse_response(&response).unwrap();
    let check = |input: &[u8], expected: InputKind| assert_eq!(detect_kind(input), expected);
    check(&p7s, InputKind::Cms);
    check(&response, InputKind::TimestampResponse);
    check(&token, InputKind::TimestampToken);
    check(&common::minimal_pdf("x"), InputKind::Pdf);
    check(b"hello", InputKind::Unknown);
    check(b"", InputKind::Unknown);
}
