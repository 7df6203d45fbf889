//! Shared fixtures for the integration tests: a node CA, signers and a TSA
//! at fixed times, so that expiry and revocation can be placed exactly.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod peers;

use std::time::{Duration, SystemTime};

use congso_pki::{
    CertificateAuthority, CertificateProfile, KeyAlgorithm, SignerIdentity, SubjectName,
    TimestampAuthority, DEFAULT_TSA_POLICY,
};

pub const DAY: Duration = Duration::from_secs(86_400);

/// 2026-01-01T00:00:00Z, the day the test CA starts.
pub fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

pub struct Pki {
    pub ca: CertificateAuthority,
    pub tsa: TimestampAuthority,
    pub start: SystemTime,
}

pub fn subject(cn: &str) -> SubjectName {
    SubjectName {
        common_name: cn.into(),
        organization: Some("UBND xã Thử Nghiệm".into()),
        country: Some("VN".into()),
        ..SubjectName::default()
    }
}

impl Pki {
    /// A PKI whose certificates start at [`t0`].
    pub fn new(algorithm: KeyAlgorithm) -> Self {
        Self::starting(algorithm, t0())
    }

    /// A PKI whose certificates start a day before now, for tests that run
    /// outside tools which check validity against the real clock.
    pub fn current(algorithm: KeyAlgorithm) -> Self {
        Self::starting(algorithm, SystemTime::now() - DAY)
    }

    pub fn starting(algorithm: KeyAlgorithm, start: SystemTime) -> Self {
        let ca = CertificateAuthority::create_root(
            &subject("Congso Test Root CA"),
            algorithm,
            start,
            3650 * DAY,
        )
        .unwrap();
        let tsa_identity = ca
            .issue_identity(
                &subject("Congso Test TSA"),
                CertificateProfile::TimeStamping,
                algorithm,
                start,
                3000 * DAY,
            )
            .unwrap();
        let tsa = TimestampAuthority::new(tsa_identity, DEFAULT_TSA_POLICY).unwrap();
        Self { ca, tsa, start }
    }

    /// A document signer valid from the PKI start for `days`.
    pub fn signer(&self, algorithm: KeyAlgorithm, days: u32) -> SignerIdentity {
        self.ca
            .issue_identity(
                &subject("Nguyễn Văn An"),
                CertificateProfile::DocumentSigning,
                algorithm,
                self.start,
                DAY * days,
            )
            .unwrap()
    }
}

/// A minimal valid one-page PDF with a classic xref table (the Rust twin
/// of `tests/peers/mk-pdf.py`).
pub fn minimal_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
    ];
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// Appends an incremental update that replaces the page's content stream
/// (object 5) — a modification after signing.
pub fn append_content_change(pdf: &[u8]) -> Vec<u8> {
    let text = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
    let prev: usize = String::from_utf8_lossy(&pdf[text + 9..])
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let size_at = pdf.windows(5).rposition(|w| w == b"/Size").unwrap();
    let size: usize = String::from_utf8_lossy(&pdf[size_at + 5..])
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut out = pdf.to_vec();
    let offset = out.len();
    let stream = "BT /F1 18 Tf 72 700 Td (Changed after signing) Tj ET";
    out.extend_from_slice(
        format!(
            "5 0 obj\n<< /Length {} >>\nstream\n{stream}\nendstream\nendobj\n",
            stream.len()
        )
        .as_bytes(),
    );
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n5 1\n{offset:010} 00000 n \ntrailer\n<< /Size {size} /Root 1 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n")
            .as_bytes(),
    );
    out
}

/// The minimal PDF rewritten with object streams and a cross-reference
/// stream (PDF 1.5 style, as Word or Chrome write), by lopdf.
pub fn xref_stream_pdf(text: &str) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(&minimal_pdf(text)).unwrap();
    let mut out = Vec::new();
    doc.save_modern(&mut out).unwrap();
    assert!(
        !out.windows(5).any(|w| w == b"\nxref"),
        "expected an xref stream"
    );
    out
}
