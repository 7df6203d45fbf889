//! PAdES signing and verification with our own tools: verdicts for valid,
//! tampered, re-signed and modified PDFs, and typed errors for bad input.
//! pyHanko's view of the same files is in `pyhanko_interop.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{minimal_pdf, t0, Pki, DAY};
use congso_pki::{
    sign_pdf, verify_pdf, Error, KeyAlgorithm, PadesOptions, PdfError, ValidationReport, Verdict,
    VerifyOptions, VisibleSignature,
};

fn codes(report: &ValidationReport) -> Vec<&'static str> {
    report.all_reasons().map(|r| r.code).collect()
}

fn check(report: &ValidationReport, verdict: Verdict, expected: &[&str]) {
    let got = codes(report);
    assert_eq!(report.verdict, verdict, "codes: {got:?}\n{report:#?}");
    for code in expected {
        assert!(got.contains(code), "missing {code} in {got:?}");
    }
}

fn options_at(pki: &Pki, days: u32) -> VerifyOptions {
    VerifyOptions {
        require_timestamp: true,
        ..VerifyOptions::new(vec![pki.ca.certificate().clone()], t0() + DAY * days)
    }
}

#[test]
fn sign_and_verify_b_t() {
    for algorithm in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
        let pki = Pki::new(algorithm);
        let signer = pki.signer(algorithm, 365);
        let at = t0() + DAY * 3;
        let pdf = minimal_pdf("Quyet dinh 12/QD-UBND");
        let signed = sign_pdf(
            &pdf,
            &signer,
            &PadesOptions {
                signing_time: Some(at),
                timestamper: Some(&pki.tsa.at(at)),
                reason: Some("Ký ban hành".into()),
                location: Some("Hà Nội".into()),
                ..PadesOptions::default()
            },
        )
        .unwrap();
        assert!(
            signed.starts_with(&pdf),
            "an incremental update keeps the original bytes"
        );
        let report = verify_pdf(&signed, &options_at(&pki, 4)).unwrap();
        check(
            &report,
            Verdict::Valid,
            &[
                "DIGEST_MATCH",
                "SIGNATURE_VALUE_OK",
                "TIMESTAMP_OK",
                "PDF_COVERS_WHOLE_FILE",
            ],
        );
        let sig = &report.signatures[0];
        assert_eq!(sig.field_name.as_deref(), Some("Signature1"));
        assert_eq!(
            sig.details.claimed_signing_time.as_deref(),
            Some("2026-01-04T00:00:00Z")
        );
        assert_eq!(sig.details.validation_time_source, "timestamp");

        // Any flipped byte outside /Contents breaks the digest; inside it the CMS.
        for position in [20, pdf.len() + 5, signed.len() - 10] {
            let mut tampered = signed.clone();
            tampered[position] ^= 0x01;
            match verify_pdf(&tampered, &options_at(&pki, 4)) {
                Ok(report) => assert_eq!(
                    report.verdict,
                    Verdict::Invalid,
                    "byte {position}: {:?}",
                    codes(&report)
                ),
                Err(Error::Pdf(_)) => {}
                Err(e) => panic!("byte {position}: unexpected {e}"),
            }
        }

        // Wrong trust anchor.
        let other = Pki::new(KeyAlgorithm::EcdsaP256);
        let wrong = VerifyOptions::new(vec![other.ca.certificate().clone()], t0() + DAY * 4);
        check(
            &verify_pdf(&signed, &wrong).unwrap(),
            Verdict::Indeterminate,
            &["CHAIN_UNTRUSTED"],
        );

        // B-B: no timestamp is indeterminate when B-T is required.
        let b_b = sign_pdf(
            &pdf,
            &signer,
            &PadesOptions {
                signing_time: Some(at),
                ..PadesOptions::default()
            },
        )
        .unwrap();
        check(
            &verify_pdf(&b_b, &options_at(&pki, 4)).unwrap(),
            Verdict::Indeterminate,
            &["TIMESTAMP_MISSING"],
        );
    }
}

#[test]
fn second_signature_and_modification_after_signing() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let first = pki.signer(KeyAlgorithm::EcdsaP256, 365);
    let second = pki.signer(KeyAlgorithm::Rsa2048, 365);
    let at = t0() + DAY;
    let pdf = minimal_pdf("Cong van");
    let timestamper = pki.tsa.at(at);
    let options = |field: &str| PadesOptions {
        field_name: Some(field.into()),
        signing_time: Some(at),
        timestamper: Some(&timestamper),
        ..PadesOptions::default()
    };
    let once = sign_pdf(&pdf, &first, &options("Chuyên viên")).unwrap();
    let twice = sign_pdf(&once, &second, &options("Lãnh đạo")).unwrap();
    let report = verify_pdf(&twice, &options_at(&pki, 2)).unwrap();
    check(
        &report,
        Verdict::Valid,
        &["PDF_LATER_SIGNATURES_ONLY", "PDF_COVERS_WHOLE_FILE"],
    );
    let names: Vec<_> = report
        .signatures
        .iter()
        .map(|s| s.field_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["Chuyên viên", "Lãnh đạo"]);
    // The same field name twice is refused.
    assert!(sign_pdf(&once, &second, &options("Chuyên viên")).is_err());

    // Changing the page content after signing is caught.
    let modified = common::append_content_change(&once);
    let report = verify_pdf(&modified, &options_at(&pki, 2)).unwrap();
    check(&report, Verdict::Invalid, &["PDF_MODIFIED_AFTER_SIGNING"]);
    // The signature itself still verifies over its own revision.
    assert!(report.has("DIGEST_MATCH"));
}

#[test]
fn xref_stream_pdfs_get_an_xref_stream_update() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let signer = pki.signer(KeyAlgorithm::EcdsaP256, 365);
    let at = t0() + DAY;
    let timestamper = pki.tsa.at(at);
    let pdf = common::xref_stream_pdf("Modern PDF");
    let options = PadesOptions {
        signing_time: Some(at),
        timestamper: Some(&timestamper),
        ..PadesOptions::default()
    };
    let once = sign_pdf(&pdf, &signer, &options).unwrap();
    let update = String::from_utf8_lossy(&once[pdf.len()..]).into_owned();
    assert!(
        update.contains("/Type/XRef") || update.contains("/Type /XRef"),
        "{update:.300}"
    );
    check(
        &verify_pdf(&once, &options_at(&pki, 2)).unwrap(),
        Verdict::Valid,
        &["PDF_COVERS_WHOLE_FILE"],
    );
    let twice = sign_pdf(&once, &signer, &options).unwrap();
    check(
        &verify_pdf(&twice, &options_at(&pki, 2)).unwrap(),
        Verdict::Valid,
        &["PDF_LATER_SIGNATURES_ONLY"],
    );
}

#[test]
fn visible_signature_with_vietnamese_text() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let signer = pki.signer(KeyAlgorithm::EcdsaP256, 365);
    let at = t0() + DAY;
    let signed = sign_pdf(
        &minimal_pdf("To trinh"),
        &signer,
        &PadesOptions {
            signing_time: Some(at),
            timestamper: Some(&pki.tsa.at(at)),
            appearance: Some(VisibleSignature::decree30(1)),
            ..PadesOptions::default()
        },
    )
    .unwrap();
    check(
        &verify_pdf(&signed, &options_at(&pki, 2)).unwrap(),
        Verdict::Valid,
        &["PDF_COVERS_WHOLE_FILE"],
    );
    let text = String::from_utf8_lossy(&signed);
    assert!(
        text.contains("/FontFile2") && text.contains("/Identity-H") && text.contains("/ToUnicode")
    );
    // With the signature and seal images of Decree 30 Appendix I.
    let with_images = sign_pdf(
        &minimal_pdf("Quyet dinh"),
        &signer,
        &PadesOptions {
            signing_time: Some(at),
            timestamper: Some(&pki.tsa.at(at)),
            appearance: Some(VisibleSignature::decree30_with_images(
                1,
                Some(include_bytes!("data/signature-test.png").to_vec()),
                Some(include_bytes!("data/seal-test.png").to_vec()),
            )),
            ..PadesOptions::default()
        },
    )
    .unwrap();
    check(
        &verify_pdf(&with_images, &options_at(&pki, 2)).unwrap(),
        Verdict::Valid,
        &[],
    );
    let text = String::from_utf8_lossy(&with_images);
    assert_eq!(
        text.matches("/SMask").count(),
        2,
        "both images keep their transparency"
    );
    // A broken image is a typed error.
    let broken = sign_pdf(
        &minimal_pdf("x"),
        &signer,
        &PadesOptions {
            appearance: Some(VisibleSignature::decree30_with_images(
                1,
                Some(b"\x89PNG broken".to_vec()),
                None,
            )),
            ..PadesOptions::default()
        },
    );
    assert!(
        matches!(
            broken,
            Err(Error::Malformed {
                what: "signature image",
                ..
            })
        ),
        "{broken:?}"
    );

    // A page that does not exist is an error, not a panic.
    let mut far = VisibleSignature::decree30(9);
    far.lines = Some(vec!["x".into()]);
    let err = sign_pdf(
        &minimal_pdf("x"),
        &signer,
        &PadesOptions {
            appearance: Some(far),
            ..PadesOptions::default()
        },
    );
    assert!(
        matches!(err, Err(Error::Pdf(PdfError::Malformed(_)))),
        "{err:?}"
    );
}

#[test]
fn bad_pdfs_give_typed_errors() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let signer = pki.signer(KeyAlgorithm::EcdsaP256, 365);
    let pdf = minimal_pdf("x");
    let encrypted = {
        let mut p = pdf.clone();
        let at = p.windows(7).rposition(|w| w == b"/Root 1").unwrap();
        p.splice(
            at..at,
            b"/Encrypt << /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >> "
                .iter()
                .copied(),
        );
        p
    };
    let check_error = |input: &[u8], expected: fn(&PdfError) -> bool| {
        let sign = sign_pdf(input, &signer, &PadesOptions::default());
        let verify = verify_pdf(input, &options_at(&pki, 1));
        for result in [sign.err(), verify.err()] {
            match result {
                Some(Error::Pdf(e)) => assert!(expected(&e), "{e:?}"),
                other => panic!("expected a pdf error, got {other:?}"),
            }
        }
    };
    check_error(b"", |e| *e == PdfError::NotPdf);
    check_error(b"hello world", |e| *e == PdfError::NotPdf);
    check_error(&pdf[..pdf.len() - 30], |e| *e == PdfError::Truncated);
    check_error(&encrypted, |e| *e == PdfError::Encrypted);
    let mut garbage = b"%PDF-1.7\n".to_vec();
    garbage.extend(std::iter::repeat_n(b'x', 500));
    garbage.extend_from_slice(b"\n%%EOF\n");
    check_error(&garbage, |e| matches!(e, PdfError::Malformed(_)));

    // An unsigned PDF verifies to "no signatures".
    let report = verify_pdf(&pdf, &options_at(&pki, 1)).unwrap();
    check(&report, Verdict::Invalid, &["NO_SIGNATURES"]);
}

#[test]
fn throwaway_bench_runs_and_checks_its_output() {
    let result = congso_pki::bench_pades_throwaway(None, 3, 2).unwrap();
    assert_eq!(result.documents, 3);
    assert!(result.signed_size > 1000);
}
