//! PAdES throughput: `cargo bench -p congso-pki --bench pades`.
//!
//! Signs N copies of a one-page PDF and of a 40-page PDF (about 100 KB) at
//! B-T with an RSA-2048 signer and the in-process TSA (P-256), then verifies
//! them, on 1 and on 2 threads. Prints one line per run; see
//! docs/PERFORMANCE.md for the method and the pyHanko comparison
//! (`tests/peers/bench_pyhanko.py`). Set `CONGSO_BENCH_DOCS` to change N.

use std::time::{Duration, SystemTime};

use congso_pki::{
    bench_pades, CertificateAuthority, CertificateProfile, KeyAlgorithm, SubjectName,
    TimestampAuthority, DEFAULT_TSA_POLICY,
};

/// A PDF with `pages` pages of text, classic xref table.
pub fn text_pdf(pages: usize) -> Vec<u8> {
    let mut objects: Vec<String> = vec![String::new(), String::new()];
    let font_id = 3;
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into());
    let mut kids = Vec::new();
    for page in 0..pages {
        let mut text = String::from("BT /F1 10 Tf 50 800 Td 12 TL\n");
        for line in 0..60 {
            text.push_str(&format!("(Trang {page} dong {line}: noi dung van ban hanh chinh de do hieu nang ky so.) '\n"));
        }
        text.push_str("ET");
        let content_id = objects.len() + 1;
        objects.push(format!(
            "<< /Length {} >>\nstream\n{text}\nendstream",
            text.len()
        ));
        let page_id = objects.len() + 1;
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {content_id} 0 R >>"
        ));
        kids.push(format!("{page_id} 0 R"));
    }
    objects[0] = "<< /Type /Catalog /Pages 2 0 R >>".into();
    objects[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {pages} >>",
        kids.join(" ")
    );
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this with
    // few documents so the harness stays checked without taking time.
    let quick = !std::env::args().any(|a| a == "--bench");
    let documents: usize = match std::env::var("CONGSO_BENCH_DOCS") {
        Ok(n) => n.parse()?,
        Err(_) if quick => 4,
        Err(_) => 1000,
    };
    let now = SystemTime::now();
    let year = Duration::from_secs(365 * 86_400);
    let ca = CertificateAuthority::create_root(
        &SubjectName::new("Bench CA"),
        KeyAlgorithm::EcdsaP256,
        now,
        year,
    )?;
    let signer = ca.issue_identity(
        &SubjectName::new("Bench Signer"),
        CertificateProfile::DocumentSigning,
        KeyAlgorithm::Rsa2048,
        now,
        year,
    )?;
    for tsa_algorithm in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
        let tsa = TimestampAuthority::new(
            ca.issue_identity(
                &SubjectName::new("Bench TSA"),
                CertificateProfile::TimeStamping,
                tsa_algorithm,
                now,
                year,
            )?,
            DEFAULT_TSA_POLICY,
        )?;
        for (name, pdf) in [("1-page", text_pdf(1)), ("40-page", text_pdf(40))] {
            for threads in [1, 2] {
                let result = bench_pades(
                    &pdf,
                    &signer,
                    &tsa,
                    vec![ca.certificate().clone()],
                    documents,
                    threads,
                )?;
                println!(
                    "pades {name} ({} bytes -> {} signed) signer=RSA-2048 tsa={tsa_algorithm:?}: threads={threads} documents={} sign={:.0}/s verify={:.0}/s",
                    pdf.len(),
                    result.signed_size,
                    result.documents,
                    result.signed_per_second,
                    result.verified_per_second
                );
            }
            // The same inputs for tests/peers/bench_pyhanko.py.
            std::fs::write(
                std::env::temp_dir().join(format!("congso-bench-{name}.pdf")),
                &pdf,
            )?;
        }
    }
    Ok(())
}
