//! ASN.1 structures that the RustCrypto crates of our `der` generation do
//! not provide: RFC 3161 time-stamp messages (the `x509-tsp` crate is only
//! published for the previous `der` generation) and the ESS
//! signing-certificate attributes (RFC 5035). Declared with `der` derives;
//! nothing is encoded by hand.

use der::asn1::{
    Any, BitString, GeneralizedTime, Int, ObjectIdentifier, OctetString, Utf8StringRef,
};
use der::{Enumerated, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::Extensions;
use x509_cert::serial_number::SerialNumber;

/// RFC 3161 `MessageImprint`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct MessageImprint {
    pub hash_algorithm: AlgorithmIdentifierOwned,
    pub hashed_message: OctetString,
}

/// RFC 3161 `TimeStampReq`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TimeStampReq {
    pub version: u8,
    pub message_imprint: MessageImprint,
    pub req_policy: Option<ObjectIdentifier>,
    pub nonce: Option<Int>,
    #[asn1(default = "Default::default")]
    pub cert_req: bool,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// RFC 3161 `PKIStatus` values.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Enumerated)]
#[asn1(type = "INTEGER")]
#[repr(u8)]
pub(crate) enum PkiStatus {
    Granted = 0,
    GrantedWithMods = 1,
    Rejection = 2,
    Waiting = 3,
    RevocationWarning = 4,
    RevocationNotification = 5,
}

/// RFC 3161 `PKIStatusInfo` (status strings decoded as UTF-8 only).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct PkiStatusInfo {
    pub status: PkiStatus,
    pub status_string: Option<Vec<Any>>,
    pub fail_info: Option<BitString>,
}

impl PkiStatusInfo {
    /// The free text of the status, joined.
    pub fn text(&self) -> String {
        self.status_string
            .iter()
            .flatten()
            .filter_map(|a| {
                Utf8StringRef::try_from(a)
                    .ok()
                    .map(|s| s.as_str().to_string())
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// RFC 3161 `TimeStampResp`; the token is a CMS `ContentInfo`, kept raw.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TimeStampResp {
    pub status: PkiStatusInfo,
    pub time_stamp_token: Option<Any>,
}

/// RFC 3161 `Accuracy`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct Accuracy {
    pub seconds: Option<u32>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

/// RFC 3161 `TSTInfo`. `gen_time` is kept as the raw element because
/// other TSAs put fractional seconds in it, which `GeneralizedTime` refuses;
/// [`parse_generalized_time`] reads both forms.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TstInfo {
    pub version: u8,
    pub policy: ObjectIdentifier,
    pub message_imprint: MessageImprint,
    pub serial_number: Int,
    pub gen_time: Any,
    pub accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    pub ordering: bool,
    pub nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// RFC 5035 `IssuerSerial`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct IssuerSerial {
    pub issuer: Vec<GeneralName>,
    pub serial_number: SerialNumber,
}

/// RFC 5035 `ESSCertIDv2`. A missing hash algorithm means SHA-256.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    pub issuer_serial: Option<IssuerSerial>,
}

/// RFC 5035 `SigningCertificateV2` (policies ignored).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
    pub policies: Option<Vec<Any>>,
}

/// Reads a GeneralizedTime with optional fractional seconds
/// (`YYYYMMDDHHMMSS[.fff]Z`) and returns the time and the fraction in
/// microseconds, or `None` if malformed.
pub(crate) fn parse_generalized_time(element: &Any) -> Option<std::time::SystemTime> {
    if element.tag() != der::Tag::GeneralizedTime {
        return None;
    }
    if let Ok(t) = element.decode_as::<GeneralizedTime>() {
        return Some(t.to_system_time());
    }
    let text = std::str::from_utf8(element.value()).ok()?;
    let body = text.strip_suffix('Z')?;
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    if whole.len() != 14
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| whole.get(r).and_then(|s| s.parse::<u16>().ok());
    let dt = der::DateTime::new(
        num(0..4)?,
        u8::try_from(num(4..6)?).ok()?,
        u8::try_from(num(6..8)?).ok()?,
        u8::try_from(num(8..10)?).ok()?,
        u8::try_from(num(10..12)?).ok()?,
        u8::try_from(num(12..14)?).ok()?,
    )
    .ok()?;
    let micros: u64 = format!("{:0<6}", fraction.get(..fraction.len().min(6))?)
        .parse()
        .ok()?;
    Some(dt.to_system_time() + std::time::Duration::from_micros(micros))
}

use der::Tagged;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn check(text: &str, expected: Option<u64>) {
        let any = Any::new(der::Tag::GeneralizedTime, text.as_bytes()).unwrap();
        let got = parse_generalized_time(&any)
            .map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_micros() as u64);
        assert_eq!(got, expected, "{text}");
    }

    #[test]
    fn generalized_times() {
        check("20261129012345Z", Some(1_795_915_425 * 1_000_000));
        check(
            "20261129012345.5Z",
            Some(1_795_915_425 * 1_000_000 + 500_000),
        );
        check(
            "20261129012345.123456Z",
            Some(1_795_915_425 * 1_000_000 + 123_456),
        );
        check("20261129012345", None);
        check("2026112901234Z", None);
        check("20261329012345Z", None);
        check("2026112901234xZ", None);
        let _ = Duration::ZERO;
    }
}
