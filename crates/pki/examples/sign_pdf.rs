//! Signs a PDF with a throwaway CA and TSA, for looking at the result:
//! `cargo run -p congso-pki --example sign_pdf -- IN.pdf OUT.pdf [ROOT_OUT.pem [SIGNATURE.png SEAL.png]]`.
//! The signature is visible (Decree 30 placement on page 1) and timestamped.

use std::time::{Duration, SystemTime};

use congso_pki::{
    sign_pdf, CertificateAuthority, CertificateProfile, KeyAlgorithm, PadesOptions, SubjectName,
    TimestampAuthority, VisibleSignature, DEFAULT_TSA_POLICY,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = match (args.get(1), args.get(2)) {
        (Some(i), Some(o)) => (i, o),
        _ => return Err("usage: sign_pdf IN.pdf OUT.pdf [ROOT_OUT.pem]".into()),
    };
    let now = SystemTime::now();
    let year = Duration::from_secs(365 * 86_400);
    let org = |cn: &str| SubjectName {
        common_name: cn.into(),
        organization: Some("Ủy ban nhân dân xã Thử Nghiệm".into()),
        country: Some("VN".into()),
        ..SubjectName::default()
    };
    let ca = CertificateAuthority::create_root(
        &org("Congso Demo CA"),
        KeyAlgorithm::EcdsaP256,
        now,
        year * 10,
    )?;
    let tsa = TimestampAuthority::new(
        ca.issue_identity(
            &org("Congso Demo TSA"),
            CertificateProfile::TimeStamping,
            KeyAlgorithm::EcdsaP256,
            now,
            year,
        )?,
        DEFAULT_TSA_POLICY,
    )?;
    let mut leader = org("Trần Thị Hồng Nhung");
    leader.title = Some("Phó Chủ tịch".into());
    let signer = ca.issue_identity(
        &leader,
        CertificateProfile::DocumentSigning,
        KeyAlgorithm::Rsa2048,
        now,
        year,
    )?;
    let pdf = std::fs::read(input)?;
    let timestamper = tsa.at(now);
    let signed = sign_pdf(
        &pdf,
        &signer,
        &PadesOptions {
            signing_time: Some(now),
            timestamper: Some(&timestamper),
            reason: Some("Ký ban hành".into()),
            location: Some("Hà Nội".into()),
            appearance: Some(match (args.get(4), args.get(5)) {
                (Some(signature), Some(seal)) => VisibleSignature::decree30_with_images(
                    1,
                    Some(std::fs::read(signature)?),
                    Some(std::fs::read(seal)?),
                ),
                _ => VisibleSignature::decree30(1),
            }),
            ..PadesOptions::default()
        },
    )?;
    std::fs::write(output, signed)?;
    if let Some(root) = args.get(3) {
        std::fs::write(root, ca.certificate().to_pem())?;
    }
    Ok(())
}
