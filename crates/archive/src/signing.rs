//! The signing service: a staff member's identity signs a file. PDFs become
//! PAdES B-T (a CMS signature with an RFC 3161 signature timestamp inside
//! the PDF, optionally with a visible Decree 30 appearance); anything else
//! gets a detached CMS (`.p7s`) with a signature timestamp. The signed
//! output is stored as a new blob beside the original, which is never
//! replaced, checked at once, and recorded in the ledger.

use std::time::SystemTime;

use bytes::Bytes;
use congso_core::audit::Actor;
use congso_core::time::Timestamp;
use congso_pki::{
    PadesOptions, SignOptions, Timestamper, ValidationReport, Verdict, VisibleSignature,
};
use congso_store::archive::{self as store, NewSignature};
use congso_store::blob::{BlobRef, BlobStore};
use congso_store::ledger::Ledger;
use serde::Serialize;

use crate::error::ArchiveError;
use crate::events::Event;
use crate::node_pki::NodePki;
use crate::{parse_rfc3339, timestamp_of};

type Result<T, E = ArchiveError> = std::result::Result<T, E>;

/// The largest file the signing service signs. PDF signing needs the whole
/// file in memory (the signature goes inside it), so this bounds memory.
pub const MAX_SIGN_BYTES: u64 = 256 * 1024 * 1024;

/// The file to sign.
#[derive(Debug, Clone)]
pub enum SignContent {
    /// Bytes not yet stored; they are stored as the original.
    Bytes(Bytes),
    /// A blob already in the store (the original).
    Blob(BlobRef),
}

/// What to sign, for whom.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// The staff member whose identity signs.
    pub username: String,
    /// The document this signature belongs to, if any (`documents.id`).
    pub document_id: Option<i64>,
    pub file_name: String,
    /// The declared media type; it must agree with the content (a PDF is
    /// `application/pdf`; `application/octet-stream` means "unknown").
    pub media_type: String,
    pub content: SignContent,
    /// A visible appearance (PDF only); `None` signs invisibly.
    pub visible: Option<VisibleSignature>,
    /// `/Reason` in the PDF, e.g. "Ký ban hành".
    pub reason: Option<String>,
    /// `/Location` in the PDF, e.g. "Hà Nội".
    pub location: Option<String>,
}

/// How the signature is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureFormat {
    /// PAdES B-T inside the PDF.
    Pades,
    /// A detached CMS signature (`.p7s`) beside the file.
    Cms,
}

impl SignatureFormat {
    pub fn code(self) -> &'static str {
        match self {
            SignatureFormat::Pades => "pades",
            SignatureFormat::Cms => "cms",
        }
    }

    /// The media type of the signed output.
    pub fn output_media_type(self) -> &'static str {
        match self {
            SignatureFormat::Pades => "application/pdf",
            SignatureFormat::Cms => "application/pkcs7-signature",
        }
    }
}

/// A signature made and recorded.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureRecord {
    pub id: i64,
    pub document_id: Option<i64>,
    /// The signer's username.
    pub signer: String,
    pub cert_serial: String,
    pub certificate_fingerprint: String,
    pub format: SignatureFormat,
    pub file_name: String,
    pub media_type: String,
    /// The file as it was before signing (never replaced).
    #[serde(serialize_with = "blob_hex")]
    pub original: BlobRef,
    /// The signed PDF, or the `.p7s`.
    #[serde(serialize_with = "blob_hex")]
    pub signed: BlobRef,
    /// When the signature was made (the signer's claim).
    pub signed_at: Timestamp,
    /// The time the TSA attested.
    pub timestamp_at: Option<Timestamp>,
    /// `node`, or the external TSA's URL.
    pub tsa: String,
    /// The check made right after signing.
    pub report: ValidationReport,
    pub ledger_seq: u64,
}

fn blob_hex<S: serde::Serializer>(blob: &BlobRef, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&blob.hex())
}

/// Whether `content` is a PDF (`%PDF-` in its first kilobyte, as readers accept).
pub(crate) fn looks_like_pdf(content: &[u8]) -> bool {
    content[..content.len().min(1024)]
        .windows(5)
        .any(|window| window == b"%PDF-")
}

/// The media type without parameters, lower case.
pub(crate) fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Decides PAdES or CMS from the declared type and the content, refusing a
/// declaration the content contradicts.
fn format_for(name: &str, media_type: &str, content: &[u8]) -> Result<SignatureFormat> {
    let declared = essence(media_type);
    let is_pdf = looks_like_pdf(content);
    match (declared.as_str(), is_pdf) {
        ("application/pdf", true) => Ok(SignatureFormat::Pades),
        ("application/pdf", false) => Err(ArchiveError::MediaTypeMismatch {
            name: name.to_owned(),
            declared,
            actual: "not a PDF".to_owned(),
        }),
        ("application/octet-stream" | "", true) => Ok(SignatureFormat::Pades),
        (_, true) => Err(ArchiveError::MediaTypeMismatch {
            name: name.to_owned(),
            declared,
            actual: "a PDF".to_owned(),
        }),
        (_, false) => Ok(SignatureFormat::Cms),
    }
}

/// Reads a blob into memory, refusing more than `limit` bytes.
pub(crate) async fn load_blob(
    blobs: &BlobStore,
    blob: &BlobRef,
    name: &str,
    limit: u64,
) -> Result<Bytes> {
    if blob.size > limit {
        return Err(ArchiveError::TooLarge {
            name: name.to_owned(),
            what: "signing and verification in memory",
            size: blob.size,
            limit,
        });
    }
    let bytes = blobs.get_bytes(&blob.sha256).await?;
    if bytes.len() as u64 > limit {
        return Err(ArchiveError::TooLarge {
            name: name.to_owned(),
            what: "signing and verification in memory",
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// Where the signature timestamp comes from.
enum Stamp {
    Node(Box<congso_pki::TimestampAuthority>),
    External(crate::HttpTimestamper),
}

impl NodePki {
    /// Signs a file with the staff member's identity and a signature
    /// timestamp, stores the output beside the original, checks it, and
    /// records the signature. Fails, leaving nothing behind, on a file that
    /// is not what it claims to be, an encrypted or corrupt PDF, a signer
    /// without a usable certificate, or a TSA that does not answer.
    pub async fn sign(
        &self,
        ledger: &Ledger,
        blobs: &BlobStore,
        actor: &Actor,
        request: SignRequest,
    ) -> Result<SignatureRecord> {
        let content = match &request.content {
            SignContent::Bytes(bytes) => {
                if bytes.len() as u64 > MAX_SIGN_BYTES {
                    return Err(ArchiveError::TooLarge {
                        name: request.file_name.clone(),
                        what: "signing",
                        size: bytes.len() as u64,
                        limit: MAX_SIGN_BYTES,
                    });
                }
                bytes.clone()
            }
            SignContent::Blob(blob) => {
                load_blob(blobs, blob, &request.file_name, MAX_SIGN_BYTES).await?
            }
        };
        let format = format_for(&request.file_name, &request.media_type, &content)?;
        if request.visible.is_some() && format != SignatureFormat::Pades {
            return Err(ArchiveError::Invalid(
                "a visible signature can only be placed on a PDF".to_owned(),
            ));
        }
        let (certificate, identity) = self.identity_for(&request.username).await?;
        let system = Actor::System;
        let stamp = match self.external_tsa()? {
            Some(client) => Stamp::External(client),
            None => Stamp::Node(Box::new(self.tsa(ledger, &system).await?)),
        };
        let tsa_name = match &stamp {
            Stamp::Node(_) => "node".to_owned(),
            Stamp::External(client) => client.url().to_owned(),
        };
        let trust = self.trust().await?;
        let signed_at = SystemTime::now();

        let signing_content = content.clone();
        let visible = request.visible.clone();
        let reason = request.reason.clone();
        let location = request.location.clone();
        let (signed, report) = tokio::task::spawn_blocking(move || -> Result<_> {
            let node_stamp;
            let timestamper: &dyn Timestamper = match &stamp {
                Stamp::Node(tsa) => {
                    node_stamp = tsa.at(SystemTime::now());
                    &node_stamp
                }
                Stamp::External(client) => client,
            };
            let mut options = trust.options(SystemTime::now());
            options.require_timestamp = true;
            match format {
                SignatureFormat::Pades => {
                    let signed = congso_pki::sign_pdf(
                        &signing_content,
                        &identity,
                        &PadesOptions {
                            signing_time: Some(signed_at),
                            timestamper: Some(timestamper),
                            reason,
                            location,
                            appearance: visible,
                            ..PadesOptions::default()
                        },
                    )?;
                    let report = congso_pki::verify_pdf(&signed, &options)?;
                    Ok((signed, report))
                }
                SignatureFormat::Cms => {
                    let signed = congso_pki::sign_detached(
                        &signing_content,
                        &identity,
                        &SignOptions {
                            signing_time: Some(signed_at),
                            timestamper: Some(timestamper),
                        },
                    )?;
                    let report = congso_pki::verify_detached(&signing_content, &signed, &options);
                    Ok((signed, report))
                }
            }
        })
        .await??;
        if report.verdict == Verdict::Invalid {
            let reasons: Vec<String> = report
                .all_reasons()
                .filter(|reason| reason.severity == congso_pki::Severity::Invalid)
                .map(|reason| reason.en.clone())
                .collect();
            return Err(ArchiveError::SignatureInvalid {
                verdict: "invalid".to_owned(),
                reasons: reasons.join("; "),
            });
        }
        let timestamp_at = report
            .signatures
            .first()
            .and_then(|signature| signature.details.timestamp.as_ref())
            .and_then(|timestamp| timestamp.time.as_deref())
            .and_then(parse_rfc3339);

        let original = match &request.content {
            SignContent::Bytes(bytes) => blobs.put_bytes(bytes.clone()).await?,
            SignContent::Blob(blob) => *blob,
        };
        let signed_blob = blobs.put_bytes(Bytes::from(signed)).await?;
        let report_json = serde_json::to_string(&report)
            .map_err(|error| ArchiveError::Invalid(format!("report: {error}")))?;
        let verdict = verdict_code(report.verdict);
        let new = NewSignature {
            document_id: request.document_id,
            certificate_id: certificate.id,
            signer: request.username.clone(),
            cert_serial: certificate.serial.clone(),
            format: format.code().to_owned(),
            file_name: request.file_name.clone(),
            media_type: essence(&request.media_type),
            original_sha256: original.hex(),
            original_size: i64::try_from(original.size).unwrap_or(i64::MAX),
            signed_sha256: signed_blob.hex(),
            signed_size: i64::try_from(signed_blob.size).unwrap_or(i64::MAX),
            signed_at: timestamp_of(signed_at).micros(),
            timestamp_at: timestamp_at.map(Timestamp::micros),
            tsa: tsa_name.clone(),
            verdict: verdict.to_owned(),
            report: report_json,
            created_at: congso_store::now().micros(),
        };
        let id = store::insert_signature(self.db(), &new).await?;
        let entry = Event::DocumentSigned
            .entry(actor, format!("signature:{id}"))
            .data_hash(&signed_blob.sha256)
            .details(serde_json::json!({
                "document_id": request.document_id,
                "signer": request.username,
                "serial": certificate.serial,
                "format": format.code(),
                "original_sha256": original.hex(),
                "tsa": tsa_name,
                "verdict": verdict,
            }));
        let receipt = match ledger.append(entry).await {
            Ok(receipt) => receipt,
            Err(error) => {
                let _ = store::delete_unrecorded_signature(self.db(), id).await;
                return Err(error.into());
            }
        };
        store::set_signature_ledger_seq(self.db(), id, receipt.seq).await?;
        Ok(SignatureRecord {
            id,
            document_id: request.document_id,
            signer: request.username,
            cert_serial: certificate.serial,
            certificate_fingerprint: certificate.fingerprint,
            format,
            file_name: request.file_name,
            media_type: new.media_type,
            original,
            signed: signed_blob,
            signed_at: timestamp_of(signed_at),
            timestamp_at,
            tsa: tsa_name,
            report,
            ledger_seq: receipt.seq,
        })
    }
}

/// The stored form of a verdict.
pub(crate) fn verdict_code(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Valid => "valid",
        Verdict::Indeterminate => "indeterminate",
        Verdict::Invalid => "invalid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_declaration_and_content() {
        let check = |media_type: &str, content: &[u8], expected: Option<SignatureFormat>| {
            assert_eq!(
                format_for("f", media_type, content).ok(),
                expected,
                "{media_type} {:?}",
                String::from_utf8_lossy(&content[..content.len().min(8)])
            );
        };
        check(
            "application/pdf",
            b"%PDF-1.7\n",
            Some(SignatureFormat::Pades),
        );
        check(
            "Application/PDF; charset=x",
            b"%PDF-1.4",
            Some(SignatureFormat::Pades),
        );
        check(
            "application/octet-stream",
            b"%PDF-1.7",
            Some(SignatureFormat::Pades),
        );
        check("application/pdf", b"PK\x03\x04docx", None);
        check(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            b"%PDF-1.7",
            None,
        );
        check("text/plain", b"hello", Some(SignatureFormat::Cms));
        check("application/xml", b"<edXML/>", Some(SignatureFormat::Cms));
    }
}
