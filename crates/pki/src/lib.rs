//! congso's signature and PKI library: the node CA, RFC 3161 timestamps,
//! CMS and PAdES signatures, and their offline verification.
//!
//! The crate does no file or network IO: it takes and returns bytes, and
//! takes the current time as an argument wherever time matters, so every
//! function is testable without setup.

mod ca;
mod cert;
mod crl;
mod error;
mod keys;
pub mod oids;
mod p12;

pub use ca::{
    CertificateAuthority, CertificateProfile, IssueRequest, Revocation, RevocationReason,
    SignerIdentity,
};
pub use cert::{parse_many as parse_certificates, Certificate, SubjectName};
pub use crl::{Crl, CrlStatus};
pub use error::{Error, Result};
pub use keys::{verify_signature, DigestAlgorithm, KeyAlgorithm, PrivateKey, SignatureCheckError};
pub use p12::import_pkcs12;
