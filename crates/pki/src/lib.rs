//! congso's signature and PKI library: the node CA, RFC 3161 timestamps,
//! CMS and PAdES signatures, and their offline verification.
//!
//! The crate does no file or network IO: it takes and returns bytes, and
//! takes the current time as an argument wherever time matters, so every
//! function is testable without setup. Storage of keys and certificates,
//! the TSA's HTTP endpoint and the CLI live in the node.
//!
//! - CA: [`CertificateAuthority::create_root`], [`CertificateAuthority::issue`]
//!   / [`CertificateAuthority::issue_identity`] with a [`CertificateProfile`]
//!   (document signing, TSA, node TLS), [`CertificateAuthority::issue_crl`];
//!   keys are [`PrivateKey`] (sealed at rest with [`PrivateKey::seal`]);
//!   outside identities come from [`import_pkcs12`].
//! - Timestamps: [`TimestampAuthority::respond`] answers RFC 3161 requests;
//!   [`make_request`] / [`TimestampRequest::parse_response`] are the client;
//!   anything implementing [`Timestamper`] (the in-process TSA via
//!   [`TimestampAuthority::at`], or an HTTP client) stamps signatures.
//! - Signing: [`sign_detached`] (CMS `.p7s`) and [`sign_pdf`] (PAdES B-T,
//!   optionally visible with [`VisibleSignature`]).
//! - Verifying: [`verify_detached`], [`verify_timestamp_token`],
//!   [`verify_pdf`] return a [`ValidationReport`] (verdict, reasons in
//!   Vietnamese and English with stable codes, details); [`detect_kind`]
//!   tells which one a file needs. The policy is documented on
//!   [`VerifyOptions`]' module (`verify`).
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use congso_pki::*;
//!
//! let now = SystemTime::now();
//! let year = Duration::from_secs(365 * 86_400);
//! let ca = CertificateAuthority::create_root(&SubjectName::new("Node CA"), KeyAlgorithm::EcdsaP256, now, year)?;
//! let tsa = TimestampAuthority::new(
//!     ca.issue_identity(&SubjectName::new("Node TSA"), CertificateProfile::TimeStamping, KeyAlgorithm::EcdsaP256, now, year)?,
//!     DEFAULT_TSA_POLICY,
//! )?;
//! let leader = ca.issue_identity(&SubjectName::new("Nguyễn Văn A"), CertificateProfile::DocumentSigning, KeyAlgorithm::EcdsaP256, now, year)?;
//! let stamp = tsa.at(now);
//! let p7s = sign_detached(b"data", &leader, &SignOptions { signing_time: Some(now), timestamper: Some(&stamp) })?;
//! let report = verify_detached(b"data", &p7s, &VerifyOptions::new(vec![ca.certificate().clone()], now));
//! assert_eq!(report.verdict, Verdict::Valid);
//! # Ok::<(), congso_pki::Error>(())
//! ```

mod asn1;
mod ca;
mod cert;
mod cms;
mod crl;
mod error;
mod keys;
pub mod oids;
mod p12;
mod pdf;
mod report;
mod tsp;
mod verify;

pub use ca::{
    CertificateAuthority, CertificateProfile, IssueRequest, Revocation, RevocationReason,
    SignerIdentity,
};
pub use cert::{parse_many as parse_certificates, Certificate, SubjectName};
pub use cms::{sign_detached, sign_detached_digest, SignOptions, Timestamper};
pub use crl::{Crl, CrlStatus};
pub use error::{Error, Result};
pub use keys::{verify_signature, DigestAlgorithm, KeyAlgorithm, PrivateKey, SignatureCheckError};
pub use p12::import_pkcs12;
pub use pdf::{
    bench_pades, bench_pades_throwaway, page_count as pdf_page_count, sign_pdf, verify_pdf, PadesBench, PadesOptions, PdfError,
    VisibleSignature,
};
pub use report::{
    CertificateSummary, Reason, RevocationDetails, Severity, SignatureDetails, SignatureReport,
    TimestampDetails, ValidationReport, Verdict,
};
pub use tsp::{
    make_request, parse_response, InProcessTimestamper, TimestampAuthority, TimestampRequest,
    DEFAULT_TSA_POLICY,
};
pub use verify::{
    detect_kind, verify_detached, verify_detached_with, verify_timestamp_token, InputKind,
    RevocationPolicy, VerifyOptions,
};
