//! Certificate revocation lists: parsing, checking the issuer's signature,
//! and looking up a serial number.

use std::time::SystemTime;

use der::{Decode, Encode};
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::CrlReason;

use crate::cert::{pem_blocks, Certificate};
use crate::error::{DerContext, Error, Result};
use crate::keys::{verify_signature, SignatureCheckError};

/// A parsed X.509 CRL.
#[derive(Debug, Clone)]
pub struct Crl {
    parsed: CertificateList,
    tbs_der: Vec<u8>,
}

/// The CRL's word on one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrlStatus {
    /// Not listed.
    NotRevoked,
    /// Listed, revoked at this time, with the reason code if given.
    Revoked {
        /// Revocation time.
        at: SystemTime,
        /// RFC 5280 CRLReason code.
        reason: Option<u8>,
    },
}

impl Crl {
    /// Parses a CRL in DER or PEM (`-----BEGIN X509 CRL-----`).
    pub fn parse(input: &[u8]) -> Result<Self> {
        let der = if input.trim_ascii_start().starts_with(b"-----BEGIN") {
            let text = std::str::from_utf8(input).map_err(|_| Error::Malformed {
                what: "pem crl",
                detail: "not utf-8".into(),
            })?;
            let block = pem_blocks(text)
                .into_iter()
                .find(|b| b.starts_with("-----BEGIN X509 CRL-----"))
                .ok_or_else(|| Error::Malformed {
                    what: "pem crl",
                    detail: "no X509 CRL block".into(),
                })?;
            der::pem::decode_vec(block.as_bytes()).ctx("pem crl")?.1
        } else {
            input.to_vec()
        };
        let parsed = CertificateList::from_der(&der).ctx("crl")?;
        let tbs_der = parsed.tbs_cert_list.to_der().ctx("crl")?;
        Ok(Self { parsed, tbs_der })
    }

    /// The issuer as an RFC 4514 string.
    pub fn issuer(&self) -> String {
        self.parsed.tbs_cert_list.issuer.to_string()
    }

    /// `thisUpdate`.
    pub fn this_update(&self) -> SystemTime {
        self.parsed.tbs_cert_list.this_update.to_system_time()
    }

    /// `nextUpdate`, if present.
    pub fn next_update(&self) -> Option<SystemTime> {
        self.parsed
            .tbs_cert_list
            .next_update
            .map(|t| t.to_system_time())
    }

    /// Checks that `issuer` issued this CRL: same name and a valid signature.
    pub fn verify_issuer(&self, issuer: &Certificate) -> Result<(), SignatureCheckError> {
        if self.parsed.tbs_cert_list.issuer != *issuer.subject_name() {
            return Err(SignatureCheckError::Mismatch);
        }
        let signature = self
            .parsed
            .signature
            .as_bytes()
            .ok_or(SignatureCheckError::Mismatch)?;
        verify_signature(
            issuer.public_key_info(),
            &self.parsed.signature_algorithm,
            None,
            &self.tbs_der,
            signature,
        )
    }

    /// Looks up a certificate by serial number. The caller must have
    /// checked that the CRL comes from the certificate's issuer.
    pub fn status(&self, certificate: &Certificate) -> CrlStatus {
        let serial = certificate.serial();
        let Some(revoked) = &self.parsed.tbs_cert_list.revoked_certificates else {
            return CrlStatus::NotRevoked;
        };
        for entry in revoked {
            if entry.serial_number.as_bytes() == serial {
                let reason = entry.crl_entry_extensions.as_ref().and_then(|exts| {
                    exts.iter()
                        .find(|e| e.extn_id == crate::oids::EXT_CRL_REASON)
                        .and_then(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok())
                        .map(|r| r as u8)
                });
                return CrlStatus::Revoked {
                    at: entry.revocation_date.to_system_time(),
                    reason,
                };
            }
        }
        CrlStatus::NotRevoked
    }

    /// Number of listed certificates.
    pub fn len(&self) -> usize {
        self.parsed
            .tbs_cert_list
            .revoked_certificates
            .as_ref()
            .map_or(0, Vec::len)
    }

    /// Whether no certificate is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{
        CertificateAuthority, CertificateProfile, KeyAlgorithm, Revocation, RevocationReason,
        SubjectName,
    };

    #[test]
    fn issue_parse_and_look_up() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let day = Duration::from_secs(86_400);
        let ca = CertificateAuthority::create_root(
            &SubjectName::new("CA"),
            KeyAlgorithm::EcdsaP256,
            now,
            day * 10,
        )
        .unwrap();
        let issue = |name: &str| {
            ca.issue_identity(
                &SubjectName::new(name),
                CertificateProfile::DocumentSigning,
                KeyAlgorithm::EcdsaP256,
                now,
                day,
            )
            .unwrap()
        };
        let (a, b) = (issue("a"), issue("b"));
        let der = ca
            .issue_crl(
                &[Revocation {
                    serial: a.certificate().serial().to_vec(),
                    revoked_at: now + day,
                    reason: Some(RevocationReason::KeyCompromise),
                }],
                7,
                now + day,
                now + day * 2,
            )
            .unwrap();
        let pem = der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, &der).unwrap();
        for input in [&der[..], pem.as_bytes()] {
            let crl = Crl::parse(input).unwrap();
            crl.verify_issuer(ca.certificate()).unwrap();
            assert_eq!(crl.len(), 1);
            assert_eq!(
                crl.status(a.certificate()),
                CrlStatus::Revoked {
                    at: now + day,
                    reason: Some(1)
                }
            );
            assert_eq!(crl.status(b.certificate()), CrlStatus::NotRevoked);
            assert_eq!(crl.next_update(), Some(now + day * 2));
        }
        let other = CertificateAuthority::create_root(
            &SubjectName::new("CA"),
            KeyAlgorithm::EcdsaP256,
            now,
            day,
        )
        .unwrap();
        assert!(Crl::parse(&der)
            .unwrap()
            .verify_issuer(other.certificate())
            .is_err());
        assert!(Crl::parse(b"garbage").is_err());
        assert!(Crl::parse(&der[..der.len() - 3]).is_err());
    }
}
