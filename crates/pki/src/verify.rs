//! The offline verification engine: CMS signatures (ours and other tools'),
//! RFC 3161 tokens, certificate chains to configured trust anchors,
//! validity at the proven signing time, and revocation from supplied CRLs.
//!
//! Policy, in one place:
//! - The validation time is the time of a trusted signature timestamp when
//!   there is one, else `now`. So a certificate that has expired since, or
//!   was revoked after, a timestamped signature still validates.
//! - A chain that does not reach a trust anchor is *indeterminate* (we do
//!   not know the signer), as in ETSI EN 319 102-1; forged or altered data
//!   is *invalid*.
//! - A certificate expired at the validation time is *indeterminate* when
//!   that time is `now` (the signature may have been made before expiry,
//!   but nothing proves it) and *invalid* when a timestamp proves the
//!   signature came after expiry.
//! - Revocation: a CRL supplied by the caller and signed by the
//!   certificate's issuer is authoritative. Revoked at or before the
//!   validation time is *invalid*; revoked later is a note. With no CRL for
//!   a certificate, [`RevocationPolicy::SoftFail`] (the default) notes
//!   "not checked" and keeps the verdict; [`RevocationPolicy::Require`]
//!   makes it indeterminate.

use std::time::SystemTime;

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::KeyUsages;

use crate::asn1::{parse_generalized_time, SigningCertificateV2, TstInfo};
use crate::cert::{hex, Certificate};
use crate::crl::{Crl, CrlStatus};
use crate::keys::{verify_signature, DigestAlgorithm, SignatureCheckError};
use crate::oids;
use crate::report::{
    rfc3339, verdict_of, vi_time, CertificateSummary, Reason, RevocationDetails, Severity,
    SignatureDetails, SignatureReport, TimestampDetails, ValidationReport, Verdict,
};

/// What to do when no CRL covers a certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevocationPolicy {
    /// Note that revocation was not checked; the verdict is unchanged.
    #[default]
    SoftFail,
    /// Without a CRL the verdict is at best indeterminate.
    Require,
}

/// What the verifier trusts and knows.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Root certificates to build chains to (e.g. the node CA).
    pub trust_anchors: Vec<Certificate>,
    /// CRLs to check revocation against (each must be signed by the issuer
    /// of the certificate it covers).
    pub crls: Vec<Crl>,
    /// Certificates that may serve as intermediates besides those embedded.
    pub extra_certificates: Vec<Certificate>,
    /// The current time.
    pub now: SystemTime,
    /// Behaviour when no CRL is available.
    pub revocation: RevocationPolicy,
    /// Make a missing signature timestamp indeterminate (PAdES B-T).
    pub require_timestamp: bool,
}

impl VerifyOptions {
    /// Options trusting `trust_anchors` at time `now`, with no CRLs.
    pub fn new(trust_anchors: Vec<Certificate>, now: SystemTime) -> Self {
        Self {
            trust_anchors,
            crls: Vec::new(),
            extra_certificates: Vec::new(),
            now,
            revocation: RevocationPolicy::SoftFail,
            require_timestamp: false,
        }
    }
}

/// Verifies a detached CMS signature (`.p7s`, DER or PEM) over `data`.
pub fn verify_detached(data: &[u8], cms: &[u8], options: &VerifyOptions) -> ValidationReport {
    verify_detached_with(&|alg| alg.digest(data), cms, options)
}

/// Like [`verify_detached`], with the data given as a function that hashes
/// it with the requested algorithm (for data streamed elsewhere, or PDF
/// byte ranges).
pub fn verify_detached_with(
    digest_of_content: &dyn Fn(DigestAlgorithm) -> Vec<u8>,
    cms: &[u8],
    options: &VerifyOptions,
) -> ValidationReport {
    let cms = match pem_or_der(cms, &["PKCS7", "CMS"]) {
        Ok(der) => der,
        Err(reason) => return ValidationReport::new(vec![reason], vec![]),
    };
    let signed_data = match read_signed_data(&cms) {
        Ok(sd) => sd,
        Err(reason) => return ValidationReport::new(vec![reason], vec![]),
    };
    if signed_data.encap_content_info.econtent.is_some() {
        return ValidationReport::new(
            vec![Reason::new(
                "NOT_DETACHED",
                Severity::Indeterminate,
                "Chữ ký có chứa sẵn nội dung, không phải chữ ký tách rời.",
                "the signature encapsulates its content; a detached signature was expected",
            )],
            vec![],
        );
    }
    let signatures = check_all_signers(
        &signed_data,
        &cms,
        Content::Detached(digest_of_content),
        options,
    );
    ValidationReport::new(Vec::new(), signatures)
}

/// Verifies an RFC 3161 token (or a whole `TimeStampResp`) over `data`.
pub fn verify_timestamp_token(
    token_or_response: &[u8],
    data: &[u8],
    options: &VerifyOptions,
) -> ValidationReport {
    let token = match crate::tsp::parse_response(token_or_response) {
        Ok(token) => token,
        Err(_) => token_or_response.to_vec(),
    };
    let outcome = check_timestamp(&token, &|alg| alg.digest(data), options);
    let mut details = SignatureDetails {
        validation_time: rfc3339(options.now),
        validation_time_source: "current-time",
        ..SignatureDetails::default()
    };
    if let Some(ts) = &outcome.details {
        details.signer_subject.clone_from(&ts.tsa);
        details.chain.clone_from(&ts.chain);
        details.revocation.clone_from(&ts.revocation);
        details.claimed_signing_time.clone_from(&ts.time);
        details.digest_algorithm.clone_from(&ts.imprint_algorithm);
        details.validation_time_source = "timestamp";
        details.validation_time = ts.time.clone().unwrap_or_default();
    }
    details.timestamp = outcome.details;
    let verdict = verdict_of(&outcome.reasons);
    ValidationReport::new(
        Vec::new(),
        vec![SignatureReport {
            field_name: None,
            verdict,
            reasons: outcome.reasons,
            details,
        }],
    )
}

/// What a file given to `congso verify` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// A PDF (check with [`crate::verify_pdf`]).
    Pdf,
    /// A CMS signature, detached or not ([`verify_detached`]).
    Cms,
    /// An RFC 3161 `TimeStampResp` (`.tsr`, [`verify_timestamp_token`]).
    TimestampResponse,
    /// An RFC 3161 token alone (`.tst`, [`verify_timestamp_token`]).
    TimestampToken,
    /// None of these.
    Unknown,
}

/// Guesses what `input` is from its content, not its name.
pub fn detect_kind(input: &[u8]) -> InputKind {
    if input[..input.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        return InputKind::Pdf;
    }
    let der = match pem_or_der(input, &["PKCS7", "CMS"]) {
        Ok(der) => der,
        Err(_) => return InputKind::Unknown,
    };
    if crate::asn1::TimeStampResp::from_der(&der).is_ok() {
        return InputKind::TimestampResponse;
    }
    match read_signed_data(&der) {
        Ok(sd) if sd.encap_content_info.econtent_type == oids::CT_TST_INFO => {
            InputKind::TimestampToken
        }
        Ok(_) => InputKind::Cms,
        Err(_) => InputKind::Unknown,
    }
}

pub(crate) enum Content<'a> {
    Detached(&'a dyn Fn(DigestAlgorithm) -> Vec<u8>),
}

fn pem_or_der(input: &[u8], labels: &[&str]) -> Result<Vec<u8>, Reason> {
    if !input.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Ok(input.to_vec());
    }
    let malformed = || {
        Reason::new(
            "MALFORMED_SIGNATURE",
            Severity::Invalid,
            "Tệp chữ ký bị hỏng hoặc không đúng định dạng.",
            "the signature file is corrupt or not in a known format",
        )
    };
    let text = std::str::from_utf8(input).map_err(|_| malformed())?;
    for block in crate::cert::pem_blocks(text) {
        if let Ok((label, der)) = der::pem::decode_vec(block.as_bytes()) {
            if labels.contains(&label) {
                return Ok(der);
            }
        }
    }
    Err(malformed())
}

pub(crate) fn read_signed_data(der: &[u8]) -> Result<SignedData, Reason> {
    let malformed = |detail: String| {
        Reason::new(
            "MALFORMED_SIGNATURE",
            Severity::Invalid,
            "Tệp chữ ký bị hỏng hoặc không đúng định dạng.",
            format!("the signature is corrupt or not in a known format: {detail}"),
        )
    };
    let content_info = ContentInfo::from_der(der).map_err(|e| malformed(e.to_string()))?;
    if content_info.content_type != oids::CMS_SIGNED_DATA {
        return Err(malformed(format!(
            "content type {} is not signed data",
            oids::name(&content_info.content_type)
        )));
    }
    content_info
        .content
        .decode_as::<SignedData>()
        .map_err(|e| malformed(e.to_string()))
}

/// Reads the TSTInfo of a token without verifying anything.
pub(crate) fn read_tst_info(token: &[u8]) -> Result<TstInfo, String> {
    let signed_data = read_signed_data(token).map_err(|r| r.en)?;
    tst_info_of(&signed_data)
}

fn tst_info_of(signed_data: &SignedData) -> Result<TstInfo, String> {
    let encap = &signed_data.encap_content_info;
    if encap.econtent_type != oids::CT_TST_INFO {
        return Err(format!(
            "content type {} is not TSTInfo",
            oids::name(&encap.econtent_type)
        ));
    }
    let content = encap.econtent.as_ref().ok_or("token without content")?;
    let octets = content
        .decode_as::<OctetString>()
        .map_err(|e| e.to_string())?;
    TstInfo::from_der(octets.as_bytes()).map_err(|e| e.to_string())
}

pub(crate) fn embedded(signed_data: &SignedData) -> Vec<Certificate> {
    let mut out = Vec::new();
    if let Some(set) = &signed_data.certificates {
        for choice in set.0.iter() {
            if let cms::cert::CertificateChoices::Certificate(cert) = choice {
                if let Ok(c) = Certificate::from_parsed(cert.clone()) {
                    out.push(c);
                }
            }
        }
    }
    out
}

fn find_signer<'c>(sid: &SignerIdentifier, pool: &'c [Certificate]) -> Option<&'c Certificate> {
    pool.iter().find(|cert| match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            cert.issuer_name() == &isn.issuer && cert.serial() == isn.serial_number.as_bytes()
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            matches!(
                cert.inner().tbs_certificate().get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>(),
                Ok(Some((_, own))) if own == *ski
            )
        }
    })
}

fn attribute(attrs: &[Attribute], oid: ObjectIdentifier) -> Option<&der::Any> {
    attrs
        .iter()
        .find(|a| a.oid == oid)
        .and_then(|a| a.values.get(0))
}

/// The exact encodings of each SignerInfo's signed attributes, as they
/// appear in `der` (with the `[0]` tag replaced by SET, RFC 5652 §5.4), in
/// SignerInfo order. Signatures are checked over these bytes rather than a
/// re-encoding, so a producer whose attributes are not in DER order still
/// verifies. Returns `None` if the structure cannot be walked.
pub(crate) fn raw_signed_attributes(der: &[u8]) -> Option<Vec<RawSignerInfo>> {
    use der::{asn1::AnyRef, Reader, SliceReader, Tag, TagNumber, Tagged};
    fn elements(bytes: &[u8]) -> Option<Vec<(AnyRef<'_>, &[u8])>> {
        let mut reader = SliceReader::new(bytes).ok()?;
        let mut out = Vec::new();
        while !reader.is_finished() {
            let start = usize::try_from(reader.position()).ok()?;
            let element = AnyRef::decode(&mut reader).ok()?;
            let end = usize::try_from(reader.position()).ok()?;
            out.push((element, bytes.get(start..end)?));
        }
        Some(out)
    }
    let content_info = elements(der)?.into_iter().next()?.0;
    let fields = elements(content_info.value())?;
    let explicit = fields.get(1)?.0;
    let signed_data = elements(explicit.value())?.into_iter().next()?.0;
    let signer_infos = elements(signed_data.value())?.into_iter().last()?.0;
    if signer_infos.tag() != Tag::Set {
        return None;
    }
    let mut out = Vec::new();
    for (signer_info, whole) in elements(signer_infos.value())? {
        let raw = elements(signer_info.value())?
            .into_iter()
            .find(|(e, _)| {
                e.tag()
                    == Tag::ContextSpecific {
                        constructed: true,
                        number: TagNumber(0),
                    }
            })
            .map(|(_, bytes)| {
                let mut bytes = bytes.to_vec();
                bytes[0] = 0x31;
                bytes
            });
        out.push(RawSignerInfo {
            whole: whole.to_vec(),
            signed_attrs: raw,
        });
    }
    Some(out)
}

/// One SignerInfo as it appears in the input.
pub(crate) struct RawSignerInfo {
    whole: Vec<u8>,
    signed_attrs: Option<Vec<u8>>,
}

/// The input encoding of `signer_info`'s signed attributes, found by its
/// signature value (decoding sorts SET OF, so positions may differ).
pub(crate) fn raw_attrs_for<'r>(
    raw: &'r [RawSignerInfo],
    signer_info: &SignerInfo,
) -> Option<&'r [u8]> {
    let signature = signer_info.signature.as_bytes();
    raw.iter()
        .find(|r| !signature.is_empty() && r.whole.windows(signature.len()).any(|w| w == signature))
        .and_then(|r| r.signed_attrs.as_deref())
}

/// Result of the cryptographic part of checking one SignerInfo.
struct CryptoCheck {
    reasons: Vec<Reason>,
    signer: Option<Certificate>,
    digest: Option<DigestAlgorithm>,
    claimed_time: Option<SystemTime>,
}

/// Checks the digest and signature value of one SignerInfo.
fn check_signer_crypto(
    signed_data: &SignedData,
    signer_info: &SignerInfo,
    content_digest: &dyn Fn(DigestAlgorithm) -> Vec<u8>,
    pool: &[Certificate],
    raw_signed_attrs: Option<&[u8]>,
) -> CryptoCheck {
    let mut reasons = Vec::new();
    let mut out = CryptoCheck {
        reasons: Vec::new(),
        signer: None,
        digest: None,
        claimed_time: None,
    };
    let Some(digest) = DigestAlgorithm::from_oid(&signer_info.digest_alg.oid) else {
        out.reasons.push(Reason::new(
            "UNSUPPORTED_ALGORITHM",
            Severity::Indeterminate,
            "Chữ ký dùng thuật toán băm không được hỗ trợ hoặc đã lỗi thời.",
            format!(
                "unsupported or obsolete digest algorithm {}",
                oids::name(&signer_info.digest_alg.oid)
            ),
        ));
        return out;
    };
    out.digest = Some(digest);
    let Some(signer) = find_signer(&signer_info.sid, pool) else {
        out.reasons.push(Reason::new(
            "SIGNER_CERT_MISSING",
            Severity::Indeterminate,
            "Không tìm thấy chứng thư số của người ký trong chữ ký.",
            "the signer's certificate is not included in the signature",
        ));
        return out;
    };
    out.signer = Some(signer.clone());
    let Some(signed_attrs) = &signer_info.signed_attrs else {
        out.reasons.push(Reason::new(
            "SIGNED_ATTRIBUTES_MISSING",
            Severity::Indeterminate,
            "Chữ ký không có thuộc tính ký (định dạng cũ, không được hỗ trợ).",
            "the signature has no signed attributes; this form is not supported",
        ));
        return out;
    };
    let attrs = signed_attrs.as_slice();

    // The content type attribute must repeat eContentType (RFC 5652 §11.1).
    let content_type = attribute(attrs, oids::ATTR_CONTENT_TYPE)
        .and_then(|a| a.decode_as::<ObjectIdentifier>().ok());
    if content_type != Some(signed_data.encap_content_info.econtent_type) {
        reasons.push(Reason::new(
            "CONTENT_TYPE_MISMATCH",
            Severity::Invalid,
            "Thuộc tính loại nội dung trong chữ ký không khớp.",
            "the content-type attribute is missing or does not match the content",
        ));
    }

    let expected =
        attribute(attrs, oids::ATTR_MESSAGE_DIGEST).and_then(|a| a.decode_as::<OctetString>().ok());
    let actual = content_digest(digest);
    match expected {
        Some(expected) if expected.as_bytes() == actual.as_slice() => reasons.push(Reason::new(
            "DIGEST_MATCH",
            Severity::Passed,
            "Nội dung văn bản không bị thay đổi sau khi ký.",
            "the document content matches the signed digest",
        )),
        Some(_) => reasons.push(Reason::new(
            "DIGEST_MISMATCH",
            Severity::Invalid,
            "Nội dung văn bản đã bị thay đổi sau khi ký.",
            "the document was changed after it was signed (digest mismatch)",
        )),
        None => reasons.push(Reason::new(
            "DIGEST_MISSING",
            Severity::Invalid,
            "Chữ ký thiếu giá trị băm của nội dung.",
            "the message-digest attribute is missing",
        )),
    }

    // RFC 5652 §5.4: the signature covers the DER SET OF the attributes.
    let to_be_signed = match raw_signed_attrs {
        Some(raw) => Ok(raw.to_vec()),
        None => signed_attrs
            .to_der()
            .map_err(|e| SignatureCheckError::BadKey(e.to_string())),
    };
    let signature_check = to_be_signed.and_then(|tbs| {
        verify_signature(
            signer.public_key_info(),
            &signer_info.signature_algorithm,
            Some(digest),
            &tbs,
            signer_info.signature.as_bytes(),
        )
    });
    match signature_check {
        Ok(()) => reasons.push(Reason::new(
            "SIGNATURE_VALUE_OK",
            Severity::Passed,
            "Chữ ký số đúng là do khóa của người ký tạo ra.",
            "the signature value verifies with the signer's public key",
        )),
        Err(SignatureCheckError::Unsupported(what)) => reasons.push(Reason::new(
            "UNSUPPORTED_ALGORITHM",
            Severity::Indeterminate,
            "Chữ ký dùng thuật toán không được hỗ trợ.",
            format!("unsupported signature algorithm: {what}"),
        )),
        Err(e) => reasons.push(Reason::new(
            "SIGNATURE_VALUE_INVALID",
            Severity::Invalid,
            "Chữ ký số không hợp lệ (có thể bị giả mạo hoặc bị sửa).",
            format!("the signature value does not verify: {e}"),
        )),
    }

    // ESS signing certificate: binds the signature to this exact certificate.
    if let Some(value) = attribute(attrs, oids::ATTR_SIGNING_CERTIFICATE_V2) {
        let matches = value
            .decode_as::<SigningCertificateV2>()
            .ok()
            .and_then(|sc| sc.certs.into_iter().next())
            .map(|id| {
                let alg = id
                    .hash_algorithm
                    .as_ref()
                    .map(|a| DigestAlgorithm::from_oid(&a.oid));
                match alg {
                    None => Some(DigestAlgorithm::Sha256),
                    Some(found) => found,
                }
                .is_some_and(|alg| alg.digest(signer.to_der()) == id.cert_hash.as_bytes())
            });
        if matches != Some(true) {
            reasons.push(Reason::new(
                "SIGNING_CERT_MISMATCH",
                Severity::Invalid,
                "Chữ ký không gắn đúng với chứng thư số đi kèm.",
                "the signing-certificate attribute does not match the signer certificate",
            ));
        }
    } else if let Some(value) = attribute(attrs, oids::ATTR_SIGNING_CERTIFICATE) {
        // RFC 2634 v1 uses SHA-1 certificate hashes (openssl ts default).
        use sha1::Digest;
        let hash = value
            .decode_as::<SigningCertificateV1>()
            .ok()
            .and_then(|sc| sc.certs.into_iter().next())
            .map(|id| id.cert_hash);
        if hash.as_ref().map(OctetString::as_bytes)
            != Some(sha1::Sha1::digest(signer.to_der()).as_slice())
        {
            reasons.push(Reason::new(
                "SIGNING_CERT_MISMATCH",
                Severity::Invalid,
                "Chữ ký không gắn đúng với chứng thư số đi kèm.",
                "the signing-certificate attribute does not match the signer certificate",
            ));
        }
    }

    out.claimed_time = attribute(attrs, oids::ATTR_SIGNING_TIME)
        .and_then(|a| a.decode_as::<x509_cert::time::Time>().ok())
        .map(|t| t.to_system_time());
    out.reasons = reasons;
    out
}

/// RFC 2634 `SigningCertificate` (v1), read only to check the hash.
#[derive(der::Sequence)]
struct SigningCertificateV1 {
    certs: Vec<EssCertIdV1>,
    policies: Option<Vec<der::Any>>,
}

#[derive(der::Sequence)]
struct EssCertIdV1 {
    cert_hash: OctetString,
    issuer_serial: Option<der::Any>,
}

/// Outcome of checking a timestamp token.
pub(crate) struct TimestampOutcome {
    pub reasons: Vec<Reason>,
    pub details: Option<TimestampDetails>,
    /// The attested time, when the token is valid and trusted.
    pub trusted_time: Option<SystemTime>,
}

/// Checks a token whose imprint must equal the digest of the stamped data.
pub(crate) fn check_timestamp(
    token: &[u8],
    stamped_digest: &dyn Fn(DigestAlgorithm) -> Vec<u8>,
    options: &VerifyOptions,
) -> TimestampOutcome {
    let mut reasons = Vec::new();
    let invalid = |en: String| {
        Reason::new(
            "TIMESTAMP_INVALID",
            Severity::Invalid,
            "Dấu thời gian không hợp lệ.",
            format!("the timestamp is not valid: {en}"),
        )
    };
    let signed_data = match read_signed_data(token) {
        Ok(sd) => sd,
        Err(r) => {
            return TimestampOutcome {
                reasons: vec![invalid(r.en)],
                details: None,
                trusted_time: None,
            };
        }
    };
    let info = match tst_info_of(&signed_data) {
        Ok(info) => info,
        Err(e) => {
            return TimestampOutcome {
                reasons: vec![invalid(e)],
                details: None,
                trusted_time: None,
            }
        }
    };
    let gen_time = parse_generalized_time(&info.gen_time);
    let imprint_alg = DigestAlgorithm::from_oid(&info.message_imprint.hash_algorithm.oid);
    let mut details = TimestampDetails {
        time: gen_time.map(rfc3339),
        policy: Some(info.policy.to_string()),
        serial: Some(hex(info.serial_number.as_bytes())),
        imprint_algorithm: Some(oids::name(&info.message_imprint.hash_algorithm.oid)),
        ..TimestampDetails::default()
    };
    let Some(gen_time) = gen_time else {
        reasons.push(invalid("unreadable generation time".into()));
        return TimestampOutcome {
            reasons,
            details: Some(details),
            trusted_time: None,
        };
    };
    match imprint_alg {
        Some(alg) if stamped_digest(alg) == info.message_imprint.hashed_message.as_bytes() => {}
        Some(_) => reasons.push(Reason::new(
            "TIMESTAMP_IMPRINT_MISMATCH",
            Severity::Invalid,
            "Dấu thời gian không khớp với chữ ký hoặc dữ liệu được đóng dấu.",
            "the timestamp's message imprint does not match the stamped data",
        )),
        None => reasons.push(Reason::new(
            "UNSUPPORTED_ALGORITHM",
            Severity::Indeterminate,
            "Dấu thời gian dùng thuật toán băm không được hỗ trợ.",
            format!(
                "unsupported timestamp imprint algorithm {}",
                oids::name(&info.message_imprint.hash_algorithm.oid)
            ),
        )),
    }

    let mut pool = embedded(&signed_data);
    pool.extend(options.extra_certificates.iter().cloned());
    pool.extend(options.trust_anchors.iter().cloned());
    let Some(signer_info) = signed_data.signer_infos.0.get(0) else {
        reasons.push(invalid("no signer".into()));
        return TimestampOutcome {
            reasons,
            details: Some(details),
            trusted_time: None,
        };
    };
    let content = signed_data
        .encap_content_info
        .econtent
        .as_ref()
        .and_then(|c| c.decode_as::<OctetString>().ok())
        .map(|o| o.as_bytes().to_vec())
        .unwrap_or_default();
    let raw = raw_signed_attributes(token).unwrap_or_default();
    let crypto = check_signer_crypto(
        &signed_data,
        signer_info,
        &|alg| alg.digest(&content),
        &pool,
        raw_attrs_for(&raw, signer_info),
    );
    let crypto_ok = verdict_of(&crypto.reasons) == Verdict::Valid && crypto.signer.is_some();
    for reason in &crypto.reasons {
        if reason.severity > Severity::Note {
            reasons.push(Reason::new(
                if reason.severity == Severity::Invalid {
                    "TIMESTAMP_INVALID"
                } else {
                    reason.code
                },
                reason.severity,
                format!("Dấu thời gian không hợp lệ: {}", reason.vi),
                format!("the timestamp token is not valid: {}", reason.en),
            ));
        }
    }
    let Some(tsa) = crypto.signer.filter(|_| crypto_ok) else {
        if reasons.is_empty() {
            reasons.push(invalid("the token signature could not be checked".into()));
        }
        return TimestampOutcome {
            reasons,
            details: Some(details),
            trusted_time: None,
        };
    };
    details.tsa = Some(tsa.subject());
    if !tsa.extended_key_usages().contains(&oids::KP_TIME_STAMPING) {
        reasons.push(Reason::new(
            "TIMESTAMP_CERT_PURPOSE",
            Severity::Invalid,
            "Chứng thư của đơn vị cấp dấu thời gian không dùng cho mục đích cấp dấu thời gian.",
            "the TSA certificate lacks the timeStamping extended key usage",
        ));
    }
    let chain = check_chain(&tsa, &pool, options, gen_time, true, ChainRole::Tsa);
    details.chain = chain.chain.iter().map(CertificateSummary::of).collect();
    details.revocation = chain.revocation;
    reasons.extend(chain.reasons);
    let verdict = verdict_of(&reasons);
    if verdict == Verdict::Valid {
        reasons.push(Reason::new(
            "TIMESTAMP_OK",
            Severity::Passed,
            format!(
                "Dấu thời gian hợp lệ: văn bản đã được ký trước {}.",
                vi_time(gen_time)
            ),
            format!("valid timestamp: the data existed at {}", rfc3339(gen_time)),
        ));
    }
    TimestampOutcome {
        reasons,
        details: Some(details),
        trusted_time: (verdict == Verdict::Valid).then_some(gen_time),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ChainRole {
    Signer,
    Tsa,
}

struct ChainOutcome {
    chain: Vec<Certificate>,
    reasons: Vec<Reason>,
    revocation: Vec<RevocationDetails>,
}

/// Builds the chain from `leaf` to a trust anchor and checks validity and
/// revocation at `at`.
fn check_chain(
    leaf: &Certificate,
    pool: &[Certificate],
    options: &VerifyOptions,
    at: SystemTime,
    proven: bool,
    role: ChainRole,
) -> ChainOutcome {
    let mut reasons = Vec::new();
    let mut revocation = Vec::new();
    let (who_vi, who_en) = match role {
        ChainRole::Signer => ("người ký", "signer"),
        ChainRole::Tsa => ("đơn vị cấp dấu thời gian", "TSA"),
    };
    let chain = match build_chain(leaf, pool, &options.trust_anchors) {
        Some(chain) => chain,
        None => {
            reasons.push(Reason::new(
                if role == ChainRole::Signer { "CHAIN_UNTRUSTED" } else { "TIMESTAMP_UNTRUSTED" },
                Severity::Indeterminate,
                format!(
                    "Chứng thư số của {who_vi} không do tổ chức chứng thực được tin cậy cấp, nên không xác định được {who_vi}."
                ),
                format!("the {who_en} certificate does not chain to a trusted root"),
            ));
            return ChainOutcome {
                chain: vec![leaf.clone()],
                reasons,
                revocation,
            };
        }
    };
    if role == ChainRole::Signer {
        reasons.push(Reason::new(
            "CHAIN_TRUSTED",
            Severity::Passed,
            format!(
                "Chứng thư số của người ký do tổ chức được tin cậy cấp ({}).",
                chain.last().map(|c| c.subject()).unwrap_or_default()
            ),
            "the signer certificate chains to a trusted root",
        ));
        let allowed = leaf.key_usage_allows(KeyUsages::DigitalSignature)
            || leaf.key_usage_allows(KeyUsages::NonRepudiation);
        if !allowed {
            reasons.push(Reason::new(
                "KEY_USAGE_INVALID",
                Severity::Invalid,
                "Chứng thư số của người ký không được phép dùng để ký.",
                "the signer certificate's key usage does not allow signing",
            ));
        }
    }

    // Validity at the validation time, for every certificate in the chain.
    // `proven` says whether a timestamp fixed that time.
    for cert in &chain {
        let name = cert.common_name().unwrap_or_else(|| cert.subject());
        if at < cert.not_before() {
            reasons.push(Reason::new(
                "CERT_NOT_YET_VALID",
                Severity::Invalid,
                format!("Chứng thư số \"{name}\" chưa có hiệu lực tại thời điểm ký."),
                format!("certificate \"{name}\" was not yet valid at the signing time"),
            ));
        } else if at > cert.not_after() {
            if proven {
                reasons.push(Reason::new(
                    "CERT_EXPIRED",
                    Severity::Invalid,
                    format!("Chứng thư số \"{name}\" đã hết hạn trước thời điểm ký."),
                    format!("certificate \"{name}\" had expired at the signing time"),
                ));
            } else {
                reasons.push(Reason::new(
                    "CERT_EXPIRED_NO_PROOF",
                    Severity::Indeterminate,
                    format!(
                        "Chứng thư số \"{name}\" đã hết hạn và không có dấu thời gian chứng minh văn bản được ký khi chứng thư còn hiệu lực."
                    ),
                    format!("certificate \"{name}\" has expired and no timestamp proves the signature was made before"),
                ));
            }
        } else if options.now > cert.not_after() {
            reasons.push(Reason::new(
                "CERT_EXPIRED_AFTER_SIGNING",
                Severity::Note,
                format!("Chứng thư số \"{name}\" nay đã hết hạn nhưng còn hiệu lực khi ký (có dấu thời gian chứng minh)."),
                format!("certificate \"{name}\" has expired since, but was valid when signed (proven by a timestamp)"),
            ));
        }
    }

    // Revocation for every certificate except the trust anchor.
    for (index, cert) in chain.iter().enumerate().take(chain.len().saturating_sub(1)) {
        let Some(issuer) = chain.get(index + 1) else {
            continue;
        };
        let name = cert.common_name().unwrap_or_else(|| cert.subject());
        let mut found = None;
        let mut bad_crl = false;
        for crl in options
            .crls
            .iter()
            .filter(|crl| crl.issuer() == cert.issuer())
        {
            if crl.verify_issuer(issuer).is_ok() {
                found = Some(crl);
                break;
            }
            bad_crl = true;
        }
        if bad_crl && found.is_none() {
            reasons.push(Reason::new(
                "CRL_INVALID",
                Severity::Note,
                "Danh sách thu hồi chứng thư được cung cấp không có chữ ký hợp lệ của tổ chức cấp, nên không được dùng.",
                "a supplied CRL is not validly signed by the certificate issuer and was ignored",
            ));
        }
        let Some(crl) = found else {
            revocation.push(RevocationDetails {
                subject: cert.subject(),
                status: "not-checked",
                source: "no CRL from the issuer was supplied".into(),
                revoked_at: None,
            });
            let severity = match options.revocation {
                RevocationPolicy::SoftFail => Severity::Note,
                RevocationPolicy::Require => Severity::Indeterminate,
            };
            reasons.push(Reason::new(
                "REVOCATION_NOT_CHECKED",
                severity,
                format!("Chưa kiểm tra được chứng thư số \"{name}\" có bị thu hồi hay không (không có danh sách thu hồi)."),
                format!("revocation of certificate \"{name}\" was not checked: no CRL available"),
            ));
            continue;
        };
        let source = format!(
            "CRL issued by {} at {}",
            crl.issuer(),
            rfc3339(crl.this_update())
        );
        if crl.next_update().is_some_and(|next| next < options.now) {
            reasons.push(Reason::new(
                "CRL_STALE",
                Severity::Note,
                "Danh sách thu hồi chứng thư đã quá hạn cập nhật; kết quả có thể chưa mới nhất.",
                "the CRL is past its next-update time; newer revocations may be missing",
            ));
        }
        match crl.status(cert) {
            CrlStatus::NotRevoked => {
                revocation.push(RevocationDetails {
                    subject: cert.subject(),
                    status: "good",
                    source,
                    revoked_at: None,
                });
            }
            CrlStatus::Revoked { at: revoked_at, .. } => {
                revocation.push(RevocationDetails {
                    subject: cert.subject(),
                    status: "revoked",
                    source,
                    revoked_at: Some(rfc3339(revoked_at)),
                });
                if revoked_at <= at {
                    reasons.push(Reason::new(
                        "CERT_REVOKED",
                        Severity::Invalid,
                        format!(
                            "Chứng thư số \"{name}\" đã bị thu hồi từ {}, trước thời điểm ký.",
                            vi_time(revoked_at)
                        ),
                        format!(
                            "certificate \"{name}\" was revoked at {}, before the signing time",
                            rfc3339(revoked_at)
                        ),
                    ));
                } else {
                    reasons.push(Reason::new(
                        "CERT_REVOKED_AFTER_SIGNING",
                        Severity::Note,
                        format!("Chứng thư số \"{name}\" bị thu hồi từ {}, sau thời điểm ký đã được chứng minh.", vi_time(revoked_at)),
                        format!("certificate \"{name}\" was revoked at {}, after the proven signing time", rfc3339(revoked_at)),
                    ));
                }
            }
        }
    }
    ChainOutcome {
        chain,
        reasons,
        revocation,
    }
}

/// Certificate signatures found good in this process, by the SHA-256 of
/// the issuer's and the subject's DER. A signature over fixed bytes under a
/// fixed key verifies the same way every time, so a success is remembered
/// (a node verifies the same staff and TSA certificates under the same CA
/// on every document); a failure is never remembered. Only the
/// cryptographic check is cached: validity periods, key usage and
/// revocation are checked on every verification. Bounded; starts over when
/// full.
fn signature_cache() -> &'static std::sync::Mutex<std::collections::HashSet<[u8; 32]>> {
    static CACHE: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<[u8; 32]>>> =
        std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

const SIGNATURE_CACHE_CAPACITY: usize = 4096;

/// Whether `subject`'s signature verifies under `issuer`'s public key.
fn signature_verified(issuer: &Certificate, subject: &Certificate) -> bool {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update((issuer.to_der().len() as u64).to_be_bytes());
    hasher.update(issuer.to_der());
    hasher.update(subject.to_der());
    let key: [u8; 32] = hasher.finalize().into();
    if signature_cache()
        .lock()
        .is_ok_and(|cache| cache.contains(&key))
    {
        return true;
    }
    let verified = subject.tbs_der().is_ok_and(|tbs| {
        subject.inner().signature().as_bytes().is_some_and(|sig| {
            verify_signature(
                issuer.public_key_info(),
                subject.inner().signature_algorithm(),
                None,
                &tbs,
                sig,
            )
            .is_ok()
        })
    });
    if verified {
        if let Ok(mut cache) = signature_cache().lock() {
            if cache.len() >= SIGNATURE_CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(key);
        }
    }
    verified
}

/// Finds a path from `leaf` to one of `anchors` through CA certificates in
/// `pool`, checking each signature. Returns leaf-first, anchor last.
fn build_chain(
    leaf: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
) -> Option<Vec<Certificate>> {
    const MAX_DEPTH: usize = 8;
    let mut chain = vec![leaf.clone()];
    let mut current = leaf.clone();
    for _ in 0..MAX_DEPTH {
        if anchors.iter().any(|a| a.to_der() == current.to_der()) {
            return Some(chain);
        }
        let issued_by = |candidate: &Certificate| {
            candidate.subject_name() == current.issuer_name()
                && signature_verified(candidate, &current)
        };
        if let Some(anchor) = anchors.iter().find(|a| issued_by(a)) {
            chain.push(anchor.clone());
            return Some(chain);
        }
        let next = pool.iter().find(|c| {
            c.to_der() != current.to_der()
                && c.is_ca() == Some(true)
                && !chain.iter().any(|seen| seen.to_der() == c.to_der())
                && issued_by(c)
        })?;
        chain.push(next.clone());
        current = next.clone();
    }
    None
}

/// Checks every SignerInfo of `signed_data` and returns one report each.
pub(crate) fn check_all_signers(
    signed_data: &SignedData,
    cms_der: &[u8],
    content: Content<'_>,
    options: &VerifyOptions,
) -> Vec<SignatureReport> {
    let Content::Detached(content_digest) = content;
    let raw = raw_signed_attributes(cms_der).unwrap_or_default();
    let mut pool = embedded(signed_data);
    pool.extend(options.extra_certificates.iter().cloned());
    let mut reports = Vec::new();
    for signer_info in signed_data.signer_infos.0.iter() {
        reports.push(check_one_signer(
            signed_data,
            signer_info,
            content_digest,
            &pool,
            options,
            None,
            raw_attrs_for(&raw, signer_info),
        ));
    }
    if reports.is_empty() {
        reports.push(SignatureReport {
            field_name: None,
            verdict: Verdict::Invalid,
            reasons: vec![Reason::new(
                "NO_SIGNER",
                Severity::Invalid,
                "Tệp chữ ký không chứa chữ ký nào.",
                "the signature file contains no signer",
            )],
            details: SignatureDetails {
                validation_time: rfc3339(options.now),
                ..SignatureDetails::default()
            },
        });
    }
    reports
}

/// Checks one SignerInfo end to end.
pub(crate) fn check_one_signer(
    signed_data: &SignedData,
    signer_info: &SignerInfo,
    content_digest: &dyn Fn(DigestAlgorithm) -> Vec<u8>,
    pool: &[Certificate],
    options: &VerifyOptions,
    claimed_time_override: Option<SystemTime>,
    raw_signed_attrs: Option<&[u8]>,
) -> SignatureReport {
    let crypto = check_signer_crypto(
        signed_data,
        signer_info,
        content_digest,
        pool,
        raw_signed_attrs,
    );
    let mut reasons = crypto.reasons;
    let claimed = claimed_time_override.or(crypto.claimed_time);
    let mut details = SignatureDetails {
        digest_algorithm: crypto.digest.map(|d| d.name().to_string()),
        signature_algorithm: Some(oids::name(&signer_info.signature_algorithm.oid)),
        claimed_signing_time: claimed.map(rfc3339),
        validation_time: rfc3339(options.now),
        validation_time_source: "current-time",
        ..SignatureDetails::default()
    };
    let Some(signer) = crypto.signer else {
        return SignatureReport {
            field_name: None,
            verdict: verdict_of(&reasons),
            reasons,
            details,
        };
    };
    details.signer_subject = Some(signer.subject());
    details.signer_name = signer.common_name();
    details.signer_serial = Some(signer.serial_hex());
    details.signer_issuer = Some(signer.issuer());

    // The signature timestamp, over the signature value (RFC 3161 App. A).
    let mut validation_time = options.now;
    let mut proven = false;
    let token = signer_info
        .unsigned_attrs
        .as_ref()
        .and_then(|attrs| attribute(attrs.as_slice(), oids::ATTR_SIGNATURE_TIMESTAMP))
        .and_then(|any| any.to_der().ok());
    match token {
        Some(token) => {
            let signature_value = signer_info.signature.as_bytes();
            let mut anchors_pool = pool.to_vec();
            anchors_pool.extend(options.extra_certificates.iter().cloned());
            let ts_options = VerifyOptions {
                extra_certificates: anchors_pool,
                ..options.clone()
            };
            let outcome = check_timestamp(&token, &|alg| alg.digest(signature_value), &ts_options);
            reasons.extend(outcome.reasons);
            details.timestamp = outcome.details;
            if let Some(time) = outcome.trusted_time {
                validation_time = time;
                proven = true;
                details.validation_time = rfc3339(time);
                details.validation_time_source = "timestamp";
            }
        }
        None => {
            reasons.push(if options.require_timestamp {
                Reason::new(
                    "TIMESTAMP_MISSING",
                    Severity::Indeterminate,
                    "Chữ ký không có dấu thời gian, nên không chứng minh được thời điểm ký.",
                    "the signature has no timestamp, so the signing time is not proven",
                )
            } else {
                Reason::new(
                    "TIMESTAMP_MISSING",
                    Severity::Note,
                    "Chữ ký không có dấu thời gian; thời điểm ký chỉ do người ký tự khai.",
                    "the signature has no timestamp; the signing time is only claimed by the signer",
                )
            });
        }
    }

    let chain = check_chain(
        &signer,
        pool,
        options,
        validation_time,
        proven,
        ChainRole::Signer,
    );
    details.chain = chain.chain.iter().map(CertificateSummary::of).collect();
    details.revocation = chain.revocation;
    reasons.extend(chain.reasons);
    SignatureReport {
        field_name: None,
        verdict: verdict_of(&reasons),
        reasons,
        details,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use der::{asn1::AnyRef, Decode, Encode};

    use super::*;
    use crate::{CertificateAuthority, CertificateProfile, KeyAlgorithm, SignOptions, SubjectName};

    /// A signer whose signed attributes are not in DER order (some tools
    /// write them in insertion order) must still verify: the signature is
    /// over the bytes as sent, not over our re-encoding.
    #[test]
    fn unsorted_signed_attributes_verify_over_their_own_bytes() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let day = Duration::from_secs(86_400);
        let ca = CertificateAuthority::create_root(
            &SubjectName::new("CA"),
            KeyAlgorithm::Rsa2048,
            now,
            day,
        )
        .unwrap();
        let signer = ca
            .issue_identity(
                &SubjectName::new("S"),
                CertificateProfile::DocumentSigning,
                KeyAlgorithm::Rsa2048,
                now,
                day,
            )
            .unwrap();
        let data = b"data";
        let p7s = crate::sign_detached(
            data,
            &signer,
            &SignOptions {
                signing_time: Some(now),
                timestamper: None,
            },
        )
        .unwrap();
        let raw = raw_signed_attributes(&p7s).unwrap();
        let sorted = raw[0].signed_attrs.clone().unwrap();
        // Reverse the attribute order inside the SET.
        let set = AnyRef::from_der(&sorted).unwrap();
        let mut attrs = Vec::new();
        let mut rest = set.value();
        while !rest.is_empty() {
            let (element, tail) = AnyRef::from_der_partial(rest).unwrap();
            attrs.push(element.to_der().unwrap());
            rest = tail;
        }
        assert!(attrs.len() >= 3);
        attrs.reverse();
        let header_len = sorted.len() - set.value().len();
        let mut reordered = sorted[..header_len].to_vec();
        reordered.extend(attrs.concat());
        let new_signature = signer.key().sign(&reordered).unwrap();
        let signed_data = read_signed_data(&p7s).unwrap();
        let old_signature = signed_data
            .signer_infos
            .0
            .get(0)
            .unwrap()
            .signature
            .as_bytes()
            .to_vec();
        assert_eq!(old_signature.len(), new_signature.len());
        // Splice: [0]-tagged attributes and the signature value.
        let mut tagged_old = sorted.clone();
        tagged_old[0] = 0xa0;
        let mut tagged_new = reordered.clone();
        tagged_new[0] = 0xa0;
        let replace = |haystack: &[u8], from: &[u8], to: &[u8]| {
            let at = haystack
                .windows(from.len())
                .position(|w| w == from)
                .unwrap();
            let mut out = haystack[..at].to_vec();
            out.extend_from_slice(to);
            out.extend_from_slice(&haystack[at + from.len()..]);
            out
        };
        let forged = replace(
            &replace(&p7s, &tagged_old, &tagged_new),
            &old_signature,
            &new_signature,
        );
        let options = VerifyOptions::new(vec![ca.certificate().clone()], now);
        let report = verify_detached(data, &forged, &options);
        assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
        // The original still verifies, and a changed attribute order without
        // re-signing does not.
        assert_eq!(
            verify_detached(data, &p7s, &options).verdict,
            Verdict::Valid
        );
        let unsigned = replace(&p7s, &tagged_old, &tagged_new);
        assert_eq!(
            verify_detached(data, &unsigned, &options).verdict,
            Verdict::Invalid
        );
    }
}
