//! RFC 3161 time-stamping: the node's TSA engine and the client side
//! (requests, responses). Verifying a token is in [`crate::verify`].

use std::time::SystemTime;

use der::asn1::{
    Any, BitString, GeneralizedTime, Int, ObjectIdentifier, OctetString, Utf8StringRef,
};
use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;

use crate::asn1::{
    Accuracy, MessageImprint, PkiStatus, PkiStatusInfo, TimeStampReq, TimeStampResp, TstInfo,
};
use crate::ca::SignerIdentity;
use crate::cms::{build_signed_data, SignedDataParams, Timestamper};
use crate::error::{DerContext, Error, Result};
use crate::keys::DigestAlgorithm;
use crate::oids;

/// The default TSA policy OID. It sits under the Example arc (RFC 7229,
/// 1.3.6.1.4.1.32473) because congso has no registered arc yet; an agency
/// with its own OID passes it to [`TimestampAuthority::new`].
pub const DEFAULT_TSA_POLICY: &str = "1.3.6.1.4.1.32473.1.3161.1";

/// RFC 3161 `PKIFailureInfo` bits we report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureInfo {
    BadAlg = 0,
    BadRequest = 2,
    BadDataFormat = 5,
    UnacceptedPolicy = 15,
    UnacceptedExtension = 16,
    SystemFailure = 25,
}

impl FailureInfo {
    fn to_bit_string(self) -> Result<BitString> {
        // A named BIT STRING in DER has no trailing zero bits.
        let bit = self as usize;
        let mut bytes = vec![0u8; bit / 8 + 1];
        bytes[bit / 8] = 0x80 >> (bit % 8);
        let unused = u8::try_from(7 - bit % 8).unwrap_or(0);
        BitString::new(unused, bytes).ctx("failure info")
    }
}

/// The node's time-stamping authority.
#[derive(Debug, Clone)]
pub struct TimestampAuthority {
    identity: SignerIdentity,
    policy: ObjectIdentifier,
}

impl TimestampAuthority {
    /// A TSA signing with `identity`, whose certificate must carry the
    /// critical extended key usage timeStamping and nothing else
    /// (RFC 3161 §2.3). `policy` is a dotted OID ([`DEFAULT_TSA_POLICY`]).
    pub fn new(identity: SignerIdentity, policy: &str) -> Result<Self> {
        let policy = ObjectIdentifier::new(policy).map_err(|e| Error::Malformed {
            what: "tsa policy oid",
            detail: e.to_string(),
        })?;
        let cert = identity.certificate();
        let eku = cert
            .inner()
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::ExtendedKeyUsage>();
        match eku {
            Ok(Some((true, eku))) if eku.0 == [oids::KP_TIME_STAMPING] => {}
            _ => {
                return Err(Error::Malformed {
                    what: "tsa certificate",
                    detail: "needs exactly one extended key usage, timeStamping, marked critical"
                        .into(),
                })
            }
        }
        Ok(Self { identity, policy })
    }

    /// The TSA certificate.
    pub fn certificate(&self) -> &crate::Certificate {
        self.identity.certificate()
    }

    /// Answers a DER `TimeStampReq` with a DER `TimeStampResp`, stamped
    /// with `now`. Bad requests get a rejection response (status 2 with a
    /// failure reason), as RFC 3161 asks, rather than an error; an error
    /// means the response itself could not be produced.
    pub fn respond(&self, request_der: &[u8], now: SystemTime) -> Result<Vec<u8>> {
        let request = match TimeStampReq::from_der(request_der) {
            Ok(r) => r,
            Err(_) => return rejection(FailureInfo::BadDataFormat, "malformed request"),
        };
        if request.version != 1 {
            return rejection(FailureInfo::BadRequest, "unsupported request version");
        }
        let imprint = &request.message_imprint;
        let Some(algorithm) = DigestAlgorithm::from_oid(&imprint.hash_algorithm.oid) else {
            return rejection(
                FailureInfo::BadAlg,
                "unsupported hash algorithm; use SHA-256, SHA-384 or SHA-512",
            );
        };
        if imprint.hashed_message.as_bytes().len() != algorithm.digest(b"").len() {
            return rejection(
                FailureInfo::BadDataFormat,
                "hash length does not match the algorithm",
            );
        }
        if let Some(policy) = request.req_policy {
            if policy != self.policy {
                return rejection(
                    FailureInfo::UnacceptedPolicy,
                    "requested policy not supported",
                );
            }
        }
        if request.extensions.as_ref().is_some_and(|e| !e.is_empty()) {
            return rejection(
                FailureInfo::UnacceptedExtension,
                "request extensions are not supported",
            );
        }
        match self.token(
            imprint.clone(),
            request.nonce.clone(),
            request.cert_req,
            now,
        ) {
            Ok(token) => {
                let response = TimeStampResp {
                    status: PkiStatusInfo {
                        status: PkiStatus::Granted,
                        status_string: None,
                        fail_info: None,
                    },
                    time_stamp_token: Some(Any::from_der(&token).ctx("time-stamp token")?),
                };
                response.to_der().ctx("time-stamp response")
            }
            Err(_) => rejection(
                FailureInfo::SystemFailure,
                "the time-stamping authority failed",
            ),
        }
    }

    /// Issues a token directly for a digest (in-process use, no request).
    pub fn timestamp_digest(
        &self,
        algorithm: DigestAlgorithm,
        digest: &[u8],
        now: SystemTime,
    ) -> Result<Vec<u8>> {
        if digest.len() != algorithm.digest(b"").len() {
            return Err(Error::Malformed {
                what: "message imprint",
                detail: format!(
                    "{} bytes is not a {} digest",
                    digest.len(),
                    algorithm.name()
                ),
            });
        }
        let imprint = MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid: algorithm.oid(),
                parameters: None,
            },
            hashed_message: OctetString::new(digest).ctx("message imprint")?,
        };
        self.token(imprint, None, true, now)
    }

    /// A [`Timestamper`] that stamps with this TSA at time `now`.
    pub fn at(&self, now: SystemTime) -> InProcessTimestamper<'_> {
        InProcessTimestamper { tsa: self, now }
    }

    fn token(
        &self,
        imprint: MessageImprint,
        nonce: Option<Int>,
        cert_req: bool,
        now: SystemTime,
    ) -> Result<Vec<u8>> {
        let mut serial = [0u8; 16];
        rand::fill(&mut serial);
        // Positive and without a leading zero byte, which DER forbids.
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let gen_time =
            GeneralizedTime::from_system_time(now).map_err(|e| Error::Time(e.to_string()))?;
        let info = TstInfo {
            version: 1,
            policy: self.policy,
            message_imprint: imprint,
            serial_number: Int::new(&serial).ctx("serial number")?,
            gen_time: Any::encode_from(&gen_time).ctx("generation time")?,
            accuracy: Some(Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce,
            tsa: Some(GeneralName::DirectoryName(
                self.identity.certificate().subject_name().clone(),
            )),
            extensions: None,
        };
        let content = info.to_der().ctx("tst info")?;
        let digest = DigestAlgorithm::Sha256.digest(&content);
        build_signed_data(&SignedDataParams {
            identity: &self.identity,
            econtent_type: oids::CT_TST_INFO,
            econtent: Some(&content),
            content_digest: &digest,
            signing_time: None,
            timestamper: None,
            // RFC 3161 §2.4.1: the TSA certificate is included only on request.
            include_chain: cert_req,
        })
        .and_then(|token| {
            if cert_req {
                Ok(token)
            } else {
                strip_certificates(&token)
            }
        })
    }
}

/// Removes the certificates from a token (when the request had certReq false).
fn strip_certificates(token: &[u8]) -> Result<Vec<u8>> {
    let mut content_info =
        cms::content_info::ContentInfo::from_der(token).ctx("time-stamp token")?;
    let mut signed_data = content_info
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .ctx("time-stamp token")?;
    signed_data.certificates = None;
    content_info.content = Any::encode_from(&signed_data).ctx("time-stamp token")?;
    content_info.to_der().ctx("time-stamp token")
}

fn rejection(fail: FailureInfo, text: &str) -> Result<Vec<u8>> {
    let response = TimeStampResp {
        status: PkiStatusInfo {
            status: PkiStatus::Rejection,
            status_string: Some(vec![Any::encode_from(
                &Utf8StringRef::new(text).ctx("status")?,
            )
            .ctx("status")?]),
            fail_info: Some(fail.to_bit_string()?),
        },
        time_stamp_token: None,
    };
    response.to_der().ctx("time-stamp response")
}

/// Stamps with the node's TSA at a fixed time. See [`TimestampAuthority::at`].
#[derive(Debug, Clone, Copy)]
pub struct InProcessTimestamper<'a> {
    tsa: &'a TimestampAuthority,
    now: SystemTime,
}

impl Timestamper for InProcessTimestamper<'_> {
    fn timestamp(&self, sha256_digest: &[u8]) -> Result<Vec<u8>> {
        self.tsa
            .timestamp_digest(DigestAlgorithm::Sha256, sha256_digest, self.now)
    }
}

/// A time-stamp request and what is needed to check its response.
#[derive(Debug, Clone)]
pub struct TimestampRequest {
    der: Vec<u8>,
    nonce: Vec<u8>,
    digest: Vec<u8>,
}

impl TimestampRequest {
    /// A SHA-256 request with a random 64-bit nonce, asking for the TSA
    /// certificate (as `openssl ts -query -cert` does).
    pub fn new(sha256_digest: &[u8]) -> Result<Self> {
        if sha256_digest.len() != 32 {
            return Err(Error::Malformed {
                what: "sha-256 digest",
                detail: format!("{} bytes", sha256_digest.len()),
            });
        }
        let mut nonce = [0u8; 8];
        rand::fill(&mut nonce);
        nonce[0] = (nonce[0] & 0x7f) | 0x01;
        let request = TimeStampReq {
            version: 1,
            message_imprint: MessageImprint {
                hash_algorithm: crate::cms::sha256_algorithm(),
                hashed_message: OctetString::new(sha256_digest).ctx("message imprint")?,
            },
            req_policy: None,
            nonce: Some(Int::new(&nonce).ctx("nonce")?),
            cert_req: true,
            extensions: None,
        };
        Ok(Self {
            der: request.to_der().ctx("time-stamp request")?,
            nonce: nonce.to_vec(),
            digest: sha256_digest.to_vec(),
        })
    }

    /// The DER to POST (`application/timestamp-query`).
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    /// Reads a DER `TimeStampResp` answering this request and returns the
    /// token (DER `ContentInfo`), after checking the status, the nonce and
    /// the message imprint. The token's signature and TSA certificate are
    /// checked by [`crate::verify_timestamp_token`].
    pub fn parse_response(&self, response_der: &[u8]) -> Result<Vec<u8>> {
        let token = parse_response(response_der)?;
        let info = crate::verify::read_tst_info(&token)
            .map_err(|e| Error::Timestamp(format!("unreadable token: {e}")))?;
        let nonce = info.nonce.as_ref().map(|n| n.as_bytes());
        if nonce != Some(self.nonce.as_slice()) {
            return Err(Error::Timestamp(
                "the response nonce does not match the request".into(),
            ));
        }
        if info.message_imprint.hashed_message.as_bytes() != self.digest.as_slice()
            || info.message_imprint.hash_algorithm.oid != oids::SHA256
        {
            return Err(Error::Timestamp(
                "the response is for another message imprint".into(),
            ));
        }
        Ok(token)
    }
}

/// Reads a DER `TimeStampResp` and returns its token, or the TSA's refusal
/// as an error.
pub fn parse_response(response_der: &[u8]) -> Result<Vec<u8>> {
    let response = TimeStampResp::from_der(response_der).ctx("time-stamp response")?;
    match response.status.status {
        PkiStatus::Granted | PkiStatus::GrantedWithMods => {}
        other => {
            return Err(Error::Timestamp(format!(
                "tsa refused ({other:?}): {}",
                response.status.text()
            )));
        }
    }
    let token = response
        .time_stamp_token
        .ok_or_else(|| Error::Timestamp("granted response without a token".into()))?;
    token.to_der().ctx("time-stamp token")
}

/// Makes a DER `TimeStampReq` for a SHA-256 digest (see [`TimestampRequest`]).
pub fn make_request(sha256_digest: &[u8]) -> Result<TimestampRequest> {
    TimestampRequest::new(sha256_digest)
}
