//! congso's signature and PKI library: the node CA, RFC 3161 timestamps,
//! CMS and PAdES signatures, and their offline verification.
//!
//! The crate does no file or network IO: it takes and returns bytes, and
//! takes the current time as an argument wherever time matters, so every
//! function is testable without setup.

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
    bench_pades, sign_pdf, verify_pdf, PadesBench, PadesOptions, PdfError, VisibleSignature,
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
    verify_detached, verify_detached_with, verify_timestamp_token, RevocationPolicy, VerifyOptions,
};
