//! The validation report: a verdict, reasons in Vietnamese and English with
//! stable codes, and details for an auditor. Serialisable with serde.

use std::time::SystemTime;

use serde::Serialize;

/// Overall outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every check passed.
    Valid,
    /// Something could not be checked (unknown signer, missing proof of time,
    /// unsupported algorithm): the signature is not proven good or bad.
    Indeterminate,
    /// A check failed: the document was changed, the signature is forged,
    /// the certificate was revoked or expired when it signed.
    Invalid,
}

/// How a reason weighs on the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A check that passed.
    Passed,
    /// Information that does not change the verdict.
    Note,
    /// Makes the verdict at best indeterminate.
    Indeterminate,
    /// Makes the verdict invalid.
    Invalid,
}

/// One finding. `code` is stable and meant for programs; `vi` is for the
/// clerk; `en` for everyone else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable machine-readable code, e.g. `DIGEST_MISMATCH`.
    pub code: &'static str,
    /// Weight on the verdict.
    pub severity: Severity,
    /// A Vietnamese sentence a clerk understands.
    pub vi: String,
    /// The same in English.
    pub en: String,
}

impl Reason {
    pub(crate) fn new(
        code: &'static str,
        severity: Severity,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity,
            vi: vi.into(),
            en: en.into(),
        }
    }
}

/// A certificate as shown to an auditor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity (RFC 3339).
    pub not_before: String,
    /// End of validity (RFC 3339).
    pub not_after: String,
    /// SHA-256 fingerprint, hex.
    pub sha256_fingerprint: String,
}

impl CertificateSummary {
    pub(crate) fn of(cert: &crate::Certificate) -> Self {
        Self {
            subject: cert.subject(),
            issuer: cert.issuer(),
            serial: cert.serial_hex(),
            not_before: rfc3339(cert.not_before()),
            not_after: rfc3339(cert.not_after()),
            sha256_fingerprint: cert.fingerprint_sha256(),
        }
    }
}

/// What a revocation check found for one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevocationDetails {
    /// The certificate checked (subject).
    pub subject: String,
    /// `good`, `revoked` or `not-checked`.
    pub status: &'static str,
    /// Where the answer came from (the CRL issuer and its thisUpdate), or
    /// why there is no answer.
    pub source: String,
    /// Revocation time, if revoked.
    pub revoked_at: Option<String>,
}

/// Details of a time-stamp token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TimestampDetails {
    /// The time the TSA attested (RFC 3339).
    pub time: Option<String>,
    /// The TSA certificate's subject.
    pub tsa: Option<String>,
    /// The TSA's chain to a trust anchor, TSA first.
    pub chain: Vec<CertificateSummary>,
    /// The TSA policy OID.
    pub policy: Option<String>,
    /// The token serial number, hex.
    pub serial: Option<String>,
    /// Digest algorithm of the message imprint.
    pub imprint_algorithm: Option<String>,
    /// Revocation of the TSA chain.
    pub revocation: Vec<RevocationDetails>,
}

/// Details of one signature, for an auditor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SignatureDetails {
    /// The signer certificate's subject.
    pub signer_subject: Option<String>,
    /// The signer's common name (the person).
    pub signer_name: Option<String>,
    /// The signer certificate's serial, hex.
    pub signer_serial: Option<String>,
    /// The signer certificate's issuer.
    pub signer_issuer: Option<String>,
    /// The chain from the signer to the trust anchor.
    pub chain: Vec<CertificateSummary>,
    /// The signing time the signer claimed (signingTime attribute or PDF
    /// /M), not proven.
    pub claimed_signing_time: Option<String>,
    /// The signature timestamp, if any.
    pub timestamp: Option<TimestampDetails>,
    /// The time the certificates were checked at (RFC 3339).
    pub validation_time: String,
    /// `timestamp` when a trusted timestamp fixed the time, else `current-time`.
    pub validation_time_source: &'static str,
    /// Digest algorithm of the signature.
    pub digest_algorithm: Option<String>,
    /// Signature algorithm.
    pub signature_algorithm: Option<String>,
    /// Revocation checks of the signer chain.
    pub revocation: Vec<RevocationDetails>,
}

/// The report for one signature (one CMS SignerInfo, or one PDF signature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// The PDF field name, for PDF signatures.
    pub field_name: Option<String>,
    /// This signature's verdict.
    pub verdict: Verdict,
    /// Findings, in the order checked.
    pub reasons: Vec<Reason>,
    /// Details for an auditor.
    pub details: SignatureDetails,
}

/// The report for a whole object (detached CMS, token, PDF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// Worst verdict of the document-level reasons and every signature.
    pub verdict: Verdict,
    /// Document-level findings (e.g. "no signature", "changed after signing").
    pub reasons: Vec<Reason>,
    /// One report per signature.
    pub signatures: Vec<SignatureReport>,
}

impl ValidationReport {
    pub(crate) fn new(reasons: Vec<Reason>, signatures: Vec<SignatureReport>) -> Self {
        let verdict = signatures
            .iter()
            .map(|s| s.verdict)
            .chain([verdict_of(&reasons)])
            .max()
            .unwrap_or(Verdict::Valid);
        Self {
            verdict,
            reasons,
            signatures,
        }
    }

    /// Whether the verdict is valid.
    pub fn is_valid(&self) -> bool {
        self.verdict == Verdict::Valid
    }

    /// Every reason, document-level first, then each signature's.
    pub fn all_reasons(&self) -> impl Iterator<Item = &Reason> {
        self.reasons
            .iter()
            .chain(self.signatures.iter().flat_map(|s| s.reasons.iter()))
    }

    /// Whether any reason has this code.
    pub fn has(&self, code: &str) -> bool {
        self.all_reasons().any(|r| r.code == code)
    }
}

pub(crate) fn verdict_of(reasons: &[Reason]) -> Verdict {
    match reasons.iter().map(|r| r.severity).max() {
        Some(Severity::Invalid) => Verdict::Invalid,
        Some(Severity::Indeterminate) => Verdict::Indeterminate,
        _ => Verdict::Valid,
    }
}

/// RFC 3339 in UTC, or the Unix seconds when out of range.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    match der::DateTime::from_system_time(t) {
        Ok(dt) => dt.to_string(),
        Err(_) => format!("{t:?}"),
    }
}

/// A date and time as Vietnamese readers write it (UTC+7): "14:05 ngày 29/11/2026".
pub(crate) fn vi_time(t: SystemTime) -> String {
    let local = t + std::time::Duration::from_secs(7 * 3600);
    match der::DateTime::from_system_time(local) {
        Ok(dt) => format!(
            "{:02}:{:02} ngày {:02}/{:02}/{} (giờ Việt Nam)",
            dt.hour(),
            dt.minutes(),
            dt.day(),
            dt.month(),
            dt.year()
        ),
        Err(_) => rfc3339(t),
    }
}
