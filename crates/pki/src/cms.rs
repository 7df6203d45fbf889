//! Producing CMS `SignedData` (RFC 5652): detached document signatures and,
//! inside the TSA, time-stamp tokens.
//!
//! The structures come from the `cms` crate; the `SignerInfo` is assembled
//! here rather than with `cms`'s builder because the signature-timestamp
//! attribute must be added after signing, over the signature value, and
//! because PAdES needs control over which signed attributes appear.

use std::time::SystemTime;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;

use crate::asn1::{EssCertIdV2, IssuerSerial, SigningCertificateV2};
use crate::ca::{to_time, SignerIdentity};
use crate::error::{DerContext, Error, Result};
use crate::oids;

/// Turns a SHA-256 digest into an RFC 3161 time-stamp token (the DER of
/// the token's CMS `ContentInfo`). The node's own TSA implements it (see
/// [`crate::TimestampAuthority::at`]); the caller can implement it over
/// HTTP for an external TSA.
pub trait Timestamper {
    /// Returns a token whose message imprint is `sha256_digest`.
    fn timestamp(&self, sha256_digest: &[u8]) -> Result<Vec<u8>>;
}

/// Options for [`sign_detached`].
#[derive(Clone, Copy, Default)]
pub struct SignOptions<'a> {
    /// Put a `signingTime` attribute with this (claimed, unproven) time.
    pub signing_time: Option<SystemTime>,
    /// Add a signature timestamp (`id-aa-signatureTimeStampToken`).
    pub timestamper: Option<&'a dyn Timestamper>,
}

/// Signs `data` and returns a detached CMS `SignedData` (DER, `.p7s`):
/// SHA-256, signed attributes contentType, messageDigest, signingCertificateV2
/// and (if asked) signingTime, the certificate chain, and optionally a
/// signature timestamp.
pub fn sign_detached(
    data: &[u8],
    identity: &SignerIdentity,
    options: &SignOptions<'_>,
) -> Result<Vec<u8>> {
    sign_detached_digest(&Sha256::digest(data), identity, options)
}

/// Like [`sign_detached`], given the SHA-256 digest of the data instead.
pub fn sign_detached_digest(
    sha256_digest: &[u8],
    identity: &SignerIdentity,
    options: &SignOptions<'_>,
) -> Result<Vec<u8>> {
    if sha256_digest.len() != 32 {
        return Err(Error::Malformed {
            what: "sha-256 digest",
            detail: format!("{} bytes", sha256_digest.len()),
        });
    }
    build_signed_data(&SignedDataParams {
        identity,
        econtent_type: oids::CMS_DATA,
        econtent: None,
        content_digest: sha256_digest,
        signing_time: options.signing_time,
        timestamper: options.timestamper,
        include_chain: true,
    })
}

pub(crate) struct SignedDataParams<'a> {
    pub identity: &'a SignerIdentity,
    pub econtent_type: ObjectIdentifier,
    /// Encapsulated content (the TSTInfo DER for tokens); `None` = detached.
    pub econtent: Option<&'a [u8]>,
    /// SHA-256 of the content.
    pub content_digest: &'a [u8],
    pub signing_time: Option<SystemTime>,
    pub timestamper: Option<&'a dyn Timestamper>,
    pub include_chain: bool,
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute> {
    let mut values = SetOfVec::new();
    values.insert(value).ctx("attribute")?;
    Ok(Attribute { oid, values })
}

pub(crate) fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    // RFC 5754: the parameters of the SHA-2 digest identifiers are absent.
    AlgorithmIdentifierOwned {
        oid: oids::SHA256,
        parameters: None,
    }
}

/// The ESS signingCertificateV2 attribute value for `identity`'s certificate.
fn signing_certificate_v2(identity: &SignerIdentity) -> Result<Any> {
    let cert = identity.certificate();
    let tbs = cert.inner().tbs_certificate();
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            // Omitted: SHA-256 is the DEFAULT and DER leaves defaults out.
            hash_algorithm: None,
            cert_hash: OctetString::new(Sha256::digest(cert.to_der()).to_vec())
                .ctx("signing certificate")?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
                serial_number: tbs.serial_number().clone(),
            }),
        }],
        policies: None,
    };
    Any::encode_from(&value).ctx("signing certificate")
}

pub(crate) fn build_signed_data(params: &SignedDataParams<'_>) -> Result<Vec<u8>> {
    let identity = params.identity;
    let cert = identity.certificate();
    let tbs = cert.inner().tbs_certificate();

    let mut signed = SetOfVec::new();
    let push =
        |set: &mut SetOfVec<Attribute>, attr: Attribute| set.insert(attr).ctx("signed attributes");
    push(
        &mut signed,
        attribute(
            oids::ATTR_CONTENT_TYPE,
            Any::encode_from(&params.econtent_type).ctx("content type")?,
        )?,
    )?;
    push(
        &mut signed,
        attribute(
            oids::ATTR_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(params.content_digest).ctx("message digest")?)
                .ctx("message digest")?,
        )?,
    )?;
    if let Some(time) = params.signing_time {
        push(
            &mut signed,
            attribute(
                oids::ATTR_SIGNING_TIME,
                Any::encode_from(&to_time(time)?).ctx("signing time")?,
            )?,
        )?;
    }
    push(
        &mut signed,
        attribute(
            oids::ATTR_SIGNING_CERTIFICATE_V2,
            signing_certificate_v2(identity)?,
        )?,
    )?;

    // RFC 5652 §5.4: the signature covers the DER of the attributes as a SET.
    let to_be_signed = signed.to_der().ctx("signed attributes")?;
    let signature = identity.key().sign(&to_be_signed)?;

    let unsigned_attrs = match params.timestamper {
        Some(timestamper) => {
            let token = timestamper.timestamp(&Sha256::digest(&signature))?;
            let token_any = Any::from_der(&token).ctx("time-stamp token")?;
            let mut set = SetOfVec::new();
            set.insert(attribute(oids::ATTR_SIGNATURE_TIMESTAMP, token_any)?)
                .ctx("unsigned attributes")?;
            Some(set)
        }
        None => None,
    };

    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer().clone(),
            serial_number: tbs.serial_number().clone(),
        }),
        digest_alg: sha256_algorithm(),
        signed_attrs: Some(signed),
        signature_algorithm: identity.key().signature_algorithm(),
        signature: OctetString::new(signature).ctx("signature")?,
        unsigned_attrs,
    };

    let mut certificates = SetOfVec::new();
    certificates
        .insert(CertificateChoices::Certificate(cert.inner().clone()))
        .ctx("certificates")?;
    if params.include_chain {
        for extra in identity.chain() {
            // Duplicates would make an invalid SET OF; skip them.
            let choice = CertificateChoices::Certificate(extra.inner().clone());
            if !certificates.iter().any(|c| *c == choice) {
                certificates.insert(choice).ctx("certificates")?;
            }
        }
    }

    let mut digest_algorithms = SetOfVec::new();
    digest_algorithms
        .insert(sha256_algorithm())
        .ctx("digest algorithms")?;
    let mut signer_infos = SetOfVec::new();
    signer_infos.insert(signer_info).ctx("signer infos")?;

    let econtent = match params.econtent {
        Some(content) => {
            Some(Any::encode_from(&OctetString::new(content).ctx("content")?).ctx("content")?)
        }
        None => None,
    };
    let signed_data = SignedData {
        // RFC 5652 §5.1: version 3 when the content is not id-data.
        version: if params.econtent_type == oids::CMS_DATA {
            CmsVersion::V1
        } else {
            CmsVersion::V3
        },
        digest_algorithms,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: params.econtent_type,
            econtent,
        },
        certificates: Some(CertificateSet(certificates)),
        crls: None,
        signer_infos: SignerInfos(signer_infos),
    };
    let content_info = ContentInfo {
        content_type: oids::CMS_SIGNED_DATA,
        content: Any::encode_from(&signed_data).ctx("signed data")?,
    };
    content_info.to_der().ctx("content info")
}
