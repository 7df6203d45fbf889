//! The node's certificate authority: a self-signed root that issues staff
//! document-signing certificates, the TSA certificate and node TLS
//! certificates, and signs CRLs.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use der::asn1::{BitString, Ia5String, ObjectIdentifier, OctetString};
use der::Encode;
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey,
    SignatureBitStringEncoding, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef,
};
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::crl::RevokedCert;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlNumber, CrlReason, ExtendedKeyUsage, KeyUsage,
    KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::cert::{Certificate, SubjectName};
use crate::error::{DerContext, Error, Result};
use crate::keys::{KeyAlgorithm, PrivateKey};
use crate::oids;

/// What an issued certificate is for. Each profile fixes key usage and
/// extended key usage so callers cannot issue a TSA certificate by mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateProfile {
    /// A staff member's document-signing certificate: KU digitalSignature +
    /// nonRepudiation; EKU emailProtection (which `openssl cms -verify`
    /// checks by default) and documentSigning (RFC 9336, the purpose PDF
    /// validators look for).
    DocumentSigning,
    /// The RFC 3161 time-stamping authority: KU digitalSignature +
    /// nonRepudiation, *critical* EKU timeStamping only (RFC 3161 §2.3).
    TimeStamping,
    /// A node's TLS certificate for federation (mutual TLS): KU
    /// digitalSignature + keyEncipherment, EKU serverAuth + clientAuth, and
    /// subject alternative names.
    NodeTls {
        /// DNS names the node answers to.
        dns_names: Vec<String>,
        /// IP addresses the node answers on.
        ip_addresses: Vec<IpAddr>,
    },
}

/// What to put in a new end-entity certificate.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// The subject.
    pub subject: SubjectName,
    /// The subject's public key.
    pub public_key: SubjectPublicKeyInfoOwned,
    /// What the certificate is for.
    pub profile: CertificateProfile,
    /// Start of validity.
    pub not_before: SystemTime,
    /// Length of validity.
    pub validity: Duration,
}

/// Why a certificate was revoked (RFC 5280 CRLReason, the values we issue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevocationReason {
    /// No reason given.
    Unspecified,
    /// The private key leaked.
    KeyCompromise,
    /// The holder left the organisation or changed position.
    AffiliationChanged,
    /// Replaced by a new certificate.
    Superseded,
    /// No longer needed.
    CessationOfOperation,
    /// Temporarily on hold.
    CertificateHold,
}

impl RevocationReason {
    fn to_x509(self) -> CrlReason {
        match self {
            Self::Unspecified => CrlReason::Unspecified,
            Self::KeyCompromise => CrlReason::KeyCompromise,
            Self::AffiliationChanged => CrlReason::AffiliationChanged,
            Self::Superseded => CrlReason::Superseded,
            Self::CessationOfOperation => CrlReason::CessationOfOperation,
            Self::CertificateHold => CrlReason::CertificateHold,
        }
    }
}

/// One entry of a CRL to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Serial number bytes of the revoked certificate ([`Certificate::serial`]).
    pub serial: Vec<u8>,
    /// When it was revoked.
    pub revoked_at: SystemTime,
    /// Why, if said.
    pub reason: Option<RevocationReason>,
}

/// A certificate with its private key and the chain up to (and including)
/// the root: everything needed to sign.
#[derive(Debug, Clone)]
pub struct SignerIdentity {
    certificate: Certificate,
    key: PrivateKey,
    chain: Vec<Certificate>,
}

impl SignerIdentity {
    /// Pairs a certificate with its key; fails if the key does not match.
    /// `chain` holds the issuing certificates to embed in signatures.
    pub fn new(certificate: Certificate, key: PrivateKey, chain: Vec<Certificate>) -> Result<Self> {
        if key.public_key_info()? != *certificate.public_key_info() {
            return Err(Error::KeyMismatch);
        }
        Ok(Self {
            certificate,
            key,
            chain,
        })
    }

    /// The end-entity certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The private key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The issuing chain embedded in signatures.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }
}

/// The node CA: root certificate and key.
#[derive(Debug, Clone)]
pub struct CertificateAuthority {
    identity: SignerIdentity,
    crl_url: Option<String>,
}

impl CertificateAuthority {
    /// Creates a self-signed root valid from `now` for `validity`.
    pub fn create_root(
        subject: &SubjectName,
        algorithm: KeyAlgorithm,
        now: SystemTime,
        validity: Duration,
    ) -> Result<Self> {
        let key = PrivateKey::generate(algorithm)?;
        let name = subject.to_name()?;
        let profile = Profile {
            issuer: name.clone(),
            subject: name,
            extensions: vec![
                extension(
                    oids::EXT_BASIC_CONSTRAINTS,
                    true,
                    &BasicConstraints {
                        ca: true,
                        path_len_constraint: Some(0),
                    },
                )?,
                extension(
                    oids::EXT_KEY_USAGE,
                    true,
                    &KeyUsage(
                        KeyUsages::KeyCertSign | KeyUsages::CRLSign | KeyUsages::DigitalSignature,
                    ),
                )?,
            ],
            authority_key_id: false,
        };
        let cert = build(profile, key.public_key_info()?, now, validity, &key)?;
        Ok(Self {
            identity: SignerIdentity::new(cert, key, Vec::new())?,
            crl_url: None,
        })
    }

    /// Loads an existing CA; fails if the key does not match or the
    /// certificate is not a CA.
    pub fn from_parts(certificate: Certificate, key: PrivateKey) -> Result<Self> {
        if certificate.is_ca() != Some(true) {
            return Err(Error::Malformed {
                what: "ca certificate",
                detail: "basicConstraints CA flag not set".into(),
            });
        }
        Ok(Self {
            identity: SignerIdentity::new(certificate, key, Vec::new())?,
            crl_url: None,
        })
    }

    /// Puts a CRL distribution point (an `http://` URL where the node serves
    /// this CA's CRL) into every certificate issued from now on, so relying
    /// parties know where to look. The URL must be ASCII.
    pub fn with_crl_url(mut self, url: impl Into<String>) -> Result<Self> {
        let url = url.into();
        if !url.is_ascii() || url.is_empty() {
            return Err(Error::Malformed {
                what: "crl url",
                detail: format!("{url:?} is not an ascii url"),
            });
        }
        self.crl_url = Some(url);
        Ok(self)
    }

    /// The root certificate (what relying parties trust).
    pub fn certificate(&self) -> &Certificate {
        self.identity.certificate()
    }

    /// The CA private key.
    pub fn key(&self) -> &PrivateKey {
        self.identity.key()
    }

    /// Issues an end-entity certificate with a random 16-byte serial.
    pub fn issue(&self, request: &IssueRequest) -> Result<Certificate> {
        let ku_signing = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation);
        let mut extensions = vec![extension(
            oids::EXT_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: false,
                path_len_constraint: None,
            },
        )?];
        match &request.profile {
            CertificateProfile::DocumentSigning => {
                extensions.push(extension(oids::EXT_KEY_USAGE, true, &ku_signing)?);
                extensions.push(extension(
                    oids::EXT_EXTENDED_KEY_USAGE,
                    false,
                    &ExtendedKeyUsage(vec![oids::KP_EMAIL_PROTECTION, oids::KP_DOCUMENT_SIGNING]),
                )?);
            }
            CertificateProfile::TimeStamping => {
                extensions.push(extension(oids::EXT_KEY_USAGE, true, &ku_signing)?);
                extensions.push(extension(
                    oids::EXT_EXTENDED_KEY_USAGE,
                    true,
                    &ExtendedKeyUsage(vec![oids::KP_TIME_STAMPING]),
                )?);
            }
            CertificateProfile::NodeTls {
                dns_names,
                ip_addresses,
            } => {
                let usage = if request.public_key.algorithm.oid == oids::RSA_ENCRYPTION {
                    KeyUsage(KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment)
                } else {
                    KeyUsage(KeyUsages::DigitalSignature.into())
                };
                extensions.push(extension(oids::EXT_KEY_USAGE, true, &usage)?);
                extensions.push(extension(
                    oids::EXT_EXTENDED_KEY_USAGE,
                    false,
                    &ExtendedKeyUsage(vec![oids::KP_SERVER_AUTH, oids::KP_CLIENT_AUTH]),
                )?);
                let mut names = Vec::new();
                for dns in dns_names {
                    let ia5 = Ia5String::new(dns).map_err(|_| Error::Malformed {
                        what: "dns name",
                        detail: format!("{dns:?} is not ascii (use punycode)"),
                    })?;
                    names.push(GeneralName::DnsName(ia5));
                }
                names.extend(ip_addresses.iter().map(|ip| GeneralName::from(*ip)));
                if names.is_empty() {
                    return Err(Error::Malformed {
                        what: "tls certificate",
                        detail: "no subject alternative name".into(),
                    });
                }
                extensions.push(extension(
                    oids::EXT_SUBJECT_ALT_NAME,
                    false,
                    &SubjectAltName(names),
                )?);
            }
        }
        if let Some(url) = &self.crl_url {
            use x509_cert::ext::pkix::crl::dp::DistributionPoint;
            use x509_cert::ext::pkix::name::DistributionPointName;
            let uri = Ia5String::new(url).map_err(|_| Error::Malformed {
                what: "crl url",
                detail: url.clone(),
            })?;
            let point = DistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![
                    GeneralName::UniformResourceIdentifier(uri),
                ])),
                reasons: None,
                crl_issuer: None,
            };
            extensions.push(extension(
                oids::EXT_CRL_DISTRIBUTION_POINTS,
                false,
                &x509_cert::ext::pkix::CrlDistributionPoints(vec![point]),
            )?);
        }
        let profile = Profile {
            issuer: self.certificate().subject_name().clone(),
            subject: request.subject.to_name()?,
            extensions,
            authority_key_id: true,
        };
        build(
            profile,
            request.public_key.clone(),
            request.not_before,
            request.validity,
            self.key(),
        )
    }

    /// Generates a key and issues a certificate for it, returning a ready
    /// [`SignerIdentity`] whose chain is this CA's root.
    pub fn issue_identity(
        &self,
        subject: &SubjectName,
        profile: CertificateProfile,
        algorithm: KeyAlgorithm,
        not_before: SystemTime,
        validity: Duration,
    ) -> Result<SignerIdentity> {
        let key = PrivateKey::generate(algorithm)?;
        let cert = self.issue(&IssueRequest {
            subject: subject.clone(),
            public_key: key.public_key_info()?,
            profile,
            not_before,
            validity,
        })?;
        SignerIdentity::new(cert, key, vec![self.certificate().clone()])
    }

    /// Issues an X.509 v2 CRL (DER) listing `revoked`.
    pub fn issue_crl(
        &self,
        revoked: &[Revocation],
        crl_number: u64,
        this_update: SystemTime,
        next_update: SystemTime,
    ) -> Result<Vec<u8>> {
        let mut entries: Vec<RevokedCert> = Vec::with_capacity(revoked.len());
        for entry in revoked {
            let crl_entry_extensions = match entry.reason {
                Some(reason) => Some(vec![extension(
                    oids::EXT_CRL_REASON,
                    false,
                    &reason.to_x509(),
                )?]),
                None => None,
            };
            entries.push(RevokedCert {
                serial_number: SerialNumber::new(&entry.serial).ctx("crl serial number")?,
                revocation_date: to_time(entry.revoked_at)?,
                crl_entry_extensions,
            });
        }
        let number = CrlNumber(der::asn1::Uint::new(&crl_number.to_be_bytes()).ctx("crl number")?);
        let builder = x509_cert::builder::CrlBuilder::new_with_this_update(
            self.certificate().inner(),
            number,
            to_time(this_update)?,
        )
        .ctx("crl")?
        .with_next_update(Some(to_time(next_update)?));
        let builder = if entries.is_empty() {
            builder
        } else {
            builder.with_certificates(entries.into_iter())
        };
        let crl = builder
            .build::<_, RawSignature>(&BuilderSigner(self.key()))
            .map_err(|e| Error::Key(format!("crl signing failed: {e}")))?;
        crl.to_der().ctx("crl")
    }
}

pub(crate) fn to_time(t: SystemTime) -> Result<Time> {
    let dt = der::DateTime::from_system_time(t).map_err(|e| Error::Time(e.to_string()))?;
    // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
    if dt.year() < 2050 {
        Ok(Time::UtcTime(
            der::asn1::UtcTime::from_date_time(dt).map_err(|e| Error::Time(e.to_string()))?,
        ))
    } else {
        Ok(Time::GeneralTime(
            der::asn1::GeneralizedTime::from_date_time(dt),
        ))
    }
}

fn extension<T: Encode>(oid: ObjectIdentifier, critical: bool, value: &T) -> Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().ctx("certificate extension")?)
            .ctx("certificate extension")?,
    })
}

fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    // Positive, and exactly 16 bytes long once encoded: clear the sign bit
    // and make sure the first byte is not zero.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes).ctx("serial number")
}

fn build(
    profile: Profile,
    public_key: SubjectPublicKeyInfoOwned,
    not_before: SystemTime,
    validity: Duration,
    issuer_key: &PrivateKey,
) -> Result<Certificate> {
    let not_after = not_before
        .checked_add(validity)
        .ok_or_else(|| Error::Time("validity end overflows".into()))?;
    let validity = Validity::new(to_time(not_before)?, to_time(not_after)?);
    let builder = CertificateBuilder::new(profile, random_serial()?, validity, public_key)
        .map_err(|e| Error::Key(format!("certificate builder: {e}")))?;
    let cert = builder
        .build::<_, RawSignature>(&BuilderSigner(issuer_key))
        .map_err(|e| Error::Key(format!("certificate signing failed: {e}")))?;
    Certificate::from_parsed(cert)
}

/// Fixed subject, issuer and extensions, plus key identifiers.
struct Profile {
    issuer: Name,
    subject: Name,
    extensions: Vec<Extension>,
    authority_key_id: bool,
}

impl x509_cert::builder::profile::BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let mut out = self.extensions.clone();
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        out.push(Extension {
            extn_id: oids::EXT_SUBJECT_KEY_ID,
            critical: false,
            extn_value: OctetString::new(ski.to_der()?)?,
        });
        if self.authority_key_id {
            let issuer_ski = SubjectKeyIdentifier::try_from(issuer_spk)?;
            let aki = AuthorityKeyIdentifier {
                key_identifier: Some(issuer_ski.0),
                ..Default::default()
            };
            out.push(Extension {
                extn_id: oids::EXT_AUTHORITY_KEY_ID,
                critical: false,
                extn_value: OctetString::new(aki.to_der()?)?,
            });
        }
        Ok(out)
    }
}

/// Adapts [`PrivateKey`] to the signer traits the x509-cert builders want.
pub(crate) struct BuilderSigner<'k>(pub(crate) &'k PrivateKey);

/// The public key of a [`BuilderSigner`], as its SPKI.
#[derive(Clone)]
pub(crate) struct SpkiKey(Option<SubjectPublicKeyInfoOwned>);

/// A signature as raw bytes, as the builders put it into a BIT STRING.
pub(crate) struct RawSignature(Vec<u8>);

impl signature::Keypair for BuilderSigner<'_> {
    type VerifyingKey = SpkiKey;

    fn verifying_key(&self) -> SpkiKey {
        SpkiKey(self.0.public_key_info().ok())
    }
}

impl EncodePublicKey for SpkiKey {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        match &self.0 {
            Some(spki) => Ok(der::Document::encode_msg(spki)?),
            None => Err(spki::Error::KeyMalformed),
        }
    }
}

impl DynSignatureAlgorithmIdentifier for BuilderSigner<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(self.0.signature_algorithm())
    }
}

impl signature::Signer<RawSignature> for BuilderSigner<'_> {
    fn try_sign(&self, msg: &[u8]) -> signature::Result<RawSignature> {
        self.0
            .sign(msg)
            .map(RawSignature)
            .map_err(|_| signature::Error::new())
    }
}

impl SignatureBitStringEncoding for RawSignature {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn root_and_profiles() {
        let now = SystemTime::now();
        let mut subject = SubjectName::new("Congso Node CA");
        subject.organization = Some("UBND xã Thử Nghiệm".into());
        subject.country = Some("VN".into());
        let ca =
            CertificateAuthority::create_root(&subject, KeyAlgorithm::EcdsaP256, now, 3650 * DAY)
                .unwrap();
        assert_eq!(ca.certificate().is_ca(), Some(true));
        assert_eq!(
            ca.certificate().organization().as_deref(),
            Some("UBND xã Thử Nghiệm")
        );
        let signer = ca
            .issue_identity(
                &SubjectName::new("Nguyễn Văn A"),
                CertificateProfile::DocumentSigning,
                KeyAlgorithm::EcdsaP256,
                now,
                365 * DAY,
            )
            .unwrap();
        let cert = signer.certificate();
        assert_eq!(cert.common_name().as_deref(), Some("Nguyễn Văn A"));
        assert_eq!(cert.serial().len(), 16);
        assert_eq!(cert.issuer(), ca.certificate().subject());
        assert_eq!(cert.is_ca(), Some(false));
        assert_eq!(
            cert.extended_key_usages(),
            vec![oids::KP_EMAIL_PROTECTION, oids::KP_DOCUMENT_SIGNING]
        );
        assert!(cert.key_usage_allows(KeyUsages::NonRepudiation));
        // With a CRL distribution point.
        let with_cdp = ca
            .clone()
            .with_crl_url("http://node1.example.vn/pki/ca.crl")
            .unwrap();
        let issued = with_cdp
            .issue_identity(
                &SubjectName::new("B"),
                CertificateProfile::DocumentSigning,
                KeyAlgorithm::EcdsaP256,
                now,
                DAY,
            )
            .unwrap();
        let (_, points) = issued
            .certificate()
            .inner()
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::CrlDistributionPoints>()
            .unwrap()
            .unwrap();
        assert_eq!(points.0.len(), 1);
        assert!(ca.clone().with_crl_url("http://ví-dụ.vn/crl").is_err());
        // Round-trip through PEM.
        let again = Certificate::from_pem(cert.to_pem().as_bytes()).unwrap();
        assert_eq!(&again, cert);
        // A key that is not the certificate's is refused.
        let other = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        assert!(matches!(
            SignerIdentity::new(cert.clone(), other, vec![]),
            Err(Error::KeyMismatch)
        ));
    }

    #[test]
    fn tls_profile_needs_names() {
        let now = SystemTime::now();
        let ca = CertificateAuthority::create_root(
            &SubjectName::new("CA"),
            KeyAlgorithm::EcdsaP256,
            now,
            DAY,
        )
        .unwrap();
        let err = ca.issue_identity(
            &SubjectName::new("node"),
            CertificateProfile::NodeTls {
                dns_names: vec![],
                ip_addresses: vec![],
            },
            KeyAlgorithm::EcdsaP256,
            now,
            DAY,
        );
        assert!(err.is_err());
        let ok = ca
            .issue_identity(
                &SubjectName::new("node"),
                CertificateProfile::NodeTls {
                    dns_names: vec!["node1.example.vn".into()],
                    ip_addresses: vec!["127.0.0.1".parse().unwrap()],
                },
                KeyAlgorithm::EcdsaP256,
                now,
                DAY,
            )
            .unwrap();
        assert_eq!(
            ok.certificate().extended_key_usages(),
            vec![oids::KP_SERVER_AUTH, oids::KP_CLIENT_AUTH]
        );
    }
}
