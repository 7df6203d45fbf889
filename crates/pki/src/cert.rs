//! Certificates as values: parsing (PEM or DER, one or many), encoding,
//! and the few facts callers and reports need (names, serial, validity).

use std::time::SystemTime;

use der::asn1::{ObjectIdentifier, SetOfVec, Utf8StringRef};
use der::{Decode, Encode, Tagged};
use sha2::{Digest, Sha256};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::error::{DerContext, Error, Result};
use crate::oids;

/// An X.509 certificate, kept with its exact DER encoding.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    parsed: x509_cert::Certificate,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("serial", &self.serial_hex())
            .finish()
    }
}

impl Certificate {
    /// Parses one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let parsed = x509_cert::Certificate::from_der(der).ctx("certificate")?;
        Ok(Self {
            der: der.to_vec(),
            parsed,
        })
    }

    /// Parses one PEM certificate (the first one if there are several).
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        parse_many(pem)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Malformed {
                what: "certificate",
                detail: "no certificate found".into(),
            })
    }

    pub(crate) fn from_parsed(parsed: x509_cert::Certificate) -> Result<Self> {
        let der = parsed.to_der().ctx("certificate")?;
        Ok(Self { der, parsed })
    }

    /// The DER encoding, exactly as parsed or issued.
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    /// PEM (`-----BEGIN CERTIFICATE-----`).
    pub fn to_pem(&self) -> String {
        // Encoding a byte slice we already hold cannot fail except on absurd
        // sizes; fall back to an empty string rather than panicking.
        der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &self.der)
            .unwrap_or_default()
    }

    pub(crate) fn inner(&self) -> &x509_cert::Certificate {
        &self.parsed
    }

    /// Subject as an RFC 4514 string.
    pub fn subject(&self) -> String {
        self.parsed.tbs_certificate().subject().to_string()
    }

    /// Issuer as an RFC 4514 string.
    pub fn issuer(&self) -> String {
        self.parsed.tbs_certificate().issuer().to_string()
    }

    /// The subject's common name, if any.
    pub fn common_name(&self) -> Option<String> {
        name_attribute(
            self.parsed.tbs_certificate().subject(),
            oids::AT_COMMON_NAME,
        )
    }

    /// The subject's organisation, if any.
    pub fn organization(&self) -> Option<String> {
        name_attribute(
            self.parsed.tbs_certificate().subject(),
            oids::AT_ORGANIZATION,
        )
    }

    /// Serial number as lowercase hex without leading zero bytes.
    pub fn serial_hex(&self) -> String {
        hex(self.parsed.tbs_certificate().serial_number().as_bytes())
    }

    /// Serial number bytes (big endian, minimal).
    pub fn serial(&self) -> &[u8] {
        self.parsed.tbs_certificate().serial_number().as_bytes()
    }

    /// Start of validity.
    pub fn not_before(&self) -> SystemTime {
        self.parsed
            .tbs_certificate()
            .validity()
            .not_before
            .to_system_time()
    }

    /// End of validity.
    pub fn not_after(&self) -> SystemTime {
        self.parsed
            .tbs_certificate()
            .validity()
            .not_after
            .to_system_time()
    }

    /// SHA-256 of the DER encoding, lowercase hex.
    pub fn fingerprint_sha256(&self) -> String {
        hex(&Sha256::digest(&self.der))
    }

    /// The certified public key.
    pub fn public_key_info(&self) -> &SubjectPublicKeyInfoOwned {
        self.parsed.tbs_certificate().subject_public_key_info()
    }

    pub(crate) fn subject_name(&self) -> &Name {
        self.parsed.tbs_certificate().subject()
    }

    pub(crate) fn issuer_name(&self) -> &Name {
        self.parsed.tbs_certificate().issuer()
    }

    /// Extended key usage purposes listed in the certificate (empty if the
    /// extension is absent).
    pub(crate) fn extended_key_usages(&self) -> Vec<ObjectIdentifier> {
        match self
            .parsed
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::ExtendedKeyUsage>()
        {
            Ok(Some((_, eku))) => eku.0,
            _ => Vec::new(),
        }
    }

    /// `Some(true)` for a CA certificate, `Some(false)` for an end entity,
    /// `None` when basicConstraints is absent or malformed.
    pub(crate) fn is_ca(&self) -> Option<bool> {
        match self
            .parsed
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::BasicConstraints>()
        {
            Ok(Some((_, bc))) => Some(bc.ca),
            _ => None,
        }
    }

    /// Whether keyUsage allows `bit`, or keyUsage is absent (which RFC 5280
    /// reads as "no restriction").
    pub(crate) fn key_usage_allows(&self, bit: x509_cert::ext::pkix::KeyUsages) -> bool {
        match self
            .parsed
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::KeyUsage>()
        {
            Ok(Some((_, ku))) => ku.0.contains(bit),
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// The signed part, for checking the issuer's signature.
    pub(crate) fn tbs_der(&self) -> Result<Vec<u8>> {
        self.parsed.tbs_certificate().to_der().ctx("certificate")
    }
}

/// Parses every certificate in `input`: concatenated PEM blocks, or a single
/// DER certificate. Non-certificate PEM blocks are skipped.
pub fn parse_many(input: &[u8]) -> Result<Vec<Certificate>> {
    let trimmed = trim_ascii_start(input);
    if trimmed.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(input).map_err(|_| Error::Malformed {
            what: "pem certificates",
            detail: "not utf-8".into(),
        })?;
        let mut out = Vec::new();
        for block in pem_blocks(text) {
            let (label, der) = der::pem::decode_vec(block.as_bytes()).ctx("pem certificate")?;
            if label == "CERTIFICATE" {
                out.push(Certificate::from_der(&der)?);
            }
        }
        if out.is_empty() {
            return Err(Error::Malformed {
                what: "pem certificates",
                detail: "no CERTIFICATE block".into(),
            });
        }
        Ok(out)
    } else {
        Ok(vec![Certificate::from_der(input)?])
    }
}

/// Splits concatenated PEM text into blocks, each from BEGIN to END line.
pub(crate) fn pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with("-----BEGIN ") {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
            if line.starts_with("-----END ") {
                blocks.extend(current.take());
            }
        }
    }
    blocks
}

fn trim_ascii_start(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    &input[start..]
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

pub(crate) fn name_attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    for atv in name.iter() {
        if atv.oid == oid {
            let value = &atv.value;
            let text = match value.tag() {
                der::Tag::Utf8String => Utf8StringRef::try_from(value)
                    .ok()
                    .map(|s| s.as_str().to_string()),
                der::Tag::PrintableString => der::asn1::PrintableStringRef::try_from(value)
                    .ok()
                    .map(|s| s.as_str().to_string()),
                der::Tag::Ia5String => der::asn1::Ia5StringRef::try_from(value)
                    .ok()
                    .map(|s| s.as_str().to_string()),
                _ => None,
            };
            if text.is_some() {
                return text;
            }
        }
    }
    None
}

/// A distinguished name to put in a certificate. Text is UTF-8, so
/// Vietnamese names are kept as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SubjectName {
    /// Common name: a person's full name, or the node or service name.
    pub common_name: String,
    /// Organisation (the agency).
    pub organization: Option<String>,
    /// Organisational unit (department).
    pub organizational_unit: Option<String>,
    /// Title or position ("Chủ tịch").
    pub title: Option<String>,
    /// Two-letter country code, e.g. "VN".
    pub country: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

impl SubjectName {
    /// A name with only a common name.
    pub fn new(common_name: impl Into<String>) -> Self {
        Self {
            common_name: common_name.into(),
            ..Self::default()
        }
    }

    pub(crate) fn to_name(&self) -> Result<Name> {
        if self.common_name.trim().is_empty() {
            return Err(Error::Malformed {
                what: "subject name",
                detail: "empty common name".into(),
            });
        }
        let mut rdns = RdnSequence::default();
        let mut push = |oid: ObjectIdentifier, value: der::Any| -> Result<()> {
            let mut set = SetOfVec::new();
            set.insert(AttributeTypeAndValue { oid, value })
                .ctx("subject name")?;
            let rdn = RelativeDistinguishedName::from_der(&set.to_der().ctx("subject name")?)
                .ctx("subject name")?;
            rdns.push(rdn);
            Ok(())
        };
        let utf8 = |s: &str| -> Result<der::Any> {
            der::Any::encode_from(&der::asn1::Utf8StringRef::new(s).ctx("subject name")?)
                .ctx("subject name")
        };
        if let Some(country) = &self.country {
            let printable = der::asn1::PrintableStringRef::new(country).ctx("country code")?;
            if country.len() != 2 {
                return Err(Error::Malformed {
                    what: "country code",
                    detail: format!("{country:?} is not two letters"),
                });
            }
            push(
                oids::AT_COUNTRY,
                der::Any::encode_from(&printable).ctx("country code")?,
            )?;
        }
        if let Some(org) = &self.organization {
            push(oids::AT_ORGANIZATION, utf8(org)?)?;
        }
        if let Some(unit) = &self.organizational_unit {
            push(oids::AT_ORGANIZATIONAL_UNIT, utf8(unit)?)?;
        }
        if let Some(title) = &self.title {
            push(oids::AT_TITLE, utf8(title)?)?;
        }
        push(oids::AT_COMMON_NAME, utf8(&self.common_name)?)?;
        if let Some(email) = &self.email {
            let ia5 = der::asn1::Ia5StringRef::new(email).ctx("e-mail address")?;
            push(
                oids::AT_EMAIL,
                der::Any::encode_from(&ia5).ctx("e-mail address")?,
            )?;
        }
        Name::from_der(&rdns.to_der().ctx("subject name")?).ctx("subject name")
    }
}
