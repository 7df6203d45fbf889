//! Hostile input: random byte flips and truncations of every kind of object
//! we parse never panic, and a PDF changed anywhere outside its signature
//! value never verifies as valid. Round trips of detached signatures over
//! arbitrary data. `PROPTEST_CASES` raises the number of cases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::OnceLock;

use common::{minimal_pdf, t0, Pki, DAY};
use congso_pki::{
    import_pkcs12, sign_detached, sign_pdf, verify_detached, verify_pdf, verify_timestamp_token,
    Crl, KeyAlgorithm, PadesOptions, SignOptions, SignerIdentity, Verdict, VerifyOptions,
};
use proptest::prelude::*;

struct Fixture {
    pki: Pki,
    signer: SignerIdentity,
    pdf: Vec<u8>,
    /// Offsets of the `<...>` /Contents hole in `pdf`.
    hole: (usize, usize),
    p7s: Vec<u8>,
    response: Vec<u8>,
    crl: Vec<u8>,
}

const DATA: &[u8] = b"Du lieu ky so";

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = Pki::new(KeyAlgorithm::EcdsaP256);
        let signer = pki.signer(KeyAlgorithm::EcdsaP256, 365);
        let at = t0() + DAY;
        let timestamper = pki.tsa.at(at);
        let pdf = sign_pdf(
            &minimal_pdf("x"),
            &signer,
            &PadesOptions {
                signing_time: Some(at),
                timestamper: Some(&timestamper),
                ..PadesOptions::default()
            },
        )
        .unwrap();
        let start = pdf.windows(11).position(|w| w == b"/Contents <").unwrap() + 10;
        let end = start + pdf[start..].iter().position(|b| *b == b'>').unwrap() + 1;
        let p7s = sign_detached(
            DATA,
            &signer,
            &SignOptions {
                signing_time: Some(at),
                timestamper: Some(&timestamper),
            },
        )
        .unwrap();
        let request =
            congso_pki::make_request(&congso_pki::DigestAlgorithm::Sha256.digest(DATA)).unwrap();
        let response = pki.tsa.respond(request.to_der(), at).unwrap();
        let crl = pki.ca.issue_crl(&[], 1, at, at + DAY).unwrap();
        Fixture {
            pki,
            signer,
            pdf,
            hole: (start, end),
            p7s,
            response,
            crl,
        }
    })
}

fn options() -> VerifyOptions {
    VerifyOptions {
        require_timestamp: true,
        ..VerifyOptions::new(vec![fixture().pki.ca.certificate().clone()], t0() + DAY * 2)
    }
}

fn mutate(input: &[u8], flips: &[(usize, u8)], truncate: Option<usize>) -> Vec<u8> {
    let mut out = input.to_vec();
    for (position, xor) in flips {
        let at = position % out.len();
        out[at] ^= xor.max(&1);
    }
    if let Some(n) = truncate {
        out.truncate(n % (out.len() + 1));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        truncate in proptest::option::of(any::<usize>()),
    ) {
        let f = fixture();
        let options = options();
        let _ = verify_pdf(&mutate(&f.pdf, &flips, truncate), &options);
        let _ = verify_detached(DATA, &mutate(&f.p7s, &flips, truncate), &options);
        let _ = verify_timestamp_token(&mutate(&f.response, &flips, truncate), DATA, &options);
        let _ = congso_pki::parse_response(&mutate(&f.response, &flips, truncate));
        let _ = f.pki.tsa.respond(&mutate(&f.response, &flips, truncate), t0());
        let _ = Crl::parse(&mutate(&f.crl, &flips, truncate));
        let _ = congso_pki::Certificate::from_der(&mutate(f.signer.certificate().to_der(), &flips, truncate));
        let _ = import_pkcs12(&mutate(include_bytes!("data/openssl3-rsa.p12"), &flips, truncate), "mật khẩu");
        let _ = congso_pki::PrivateKey::open(&mutate(&f.signer.key().seal(b"0123456789abcdef").unwrap(), &flips, truncate), b"0123456789abcdef");
    }

    #[test]
    fn any_change_outside_the_signature_value_invalidates_a_pdf(position in any::<usize>(), xor in 1u8..=255) {
        let f = fixture();
        let (start, end) = f.hole;
        let covered = f.pdf.len() - (end - start);
        let mut at = position % covered;
        if at >= start {
            at += end - start;
        }
        let mut changed = f.pdf.clone();
        changed[at] ^= xor;
        if let Ok(report) = verify_pdf(&changed, &options()) {
            prop_assert_ne!(report.verdict, Verdict::Valid, "byte {} changed", at);
        }
    }

    #[test]
    fn detached_round_trip(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let f = fixture();
        let p7s = sign_detached(&data, &f.signer, &SignOptions::default()).unwrap();
        let report = verify_detached(&data, &p7s, &VerifyOptions::new(vec![f.pki.ca.certificate().clone()], t0() + DAY));
        prop_assert_eq!(report.verdict, Verdict::Valid);
        let mut other = data.clone();
        other.push(0);
        let report = verify_detached(&other, &p7s, &VerifyOptions::new(vec![f.pki.ca.certificate().clone()], t0() + DAY));
        prop_assert_eq!(report.verdict, Verdict::Invalid);
    }
}
