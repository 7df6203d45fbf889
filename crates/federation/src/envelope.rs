//! Envelopes and receipts: what a sending node signs about a message, and
//! what the receiving node signs back about its arrival.
//!
//! Both are compact JSON with a fixed field order (serde writes struct
//! fields in declaration order and no white space), so each value has one
//! encoding. Parsers accept only that encoding: a decoded value must
//! re-encode to exactly the bytes that were signed, which leaves no room for
//! two readers to see different contents under one signature.
//!
//! Signatures are ECDSA P-256 with SHA-256 (DER-encoded), by the node key
//! the federation CA certified, over a domain prefix and the bytes:
//! `congso-envelope/v1\n || envelope` and `congso-receipt/v1\n || receipt`,
//! so an envelope signature can never pass for a receipt signature.

use congso_pki::{Certificate, PrivateKey};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{FederationError, Result};

/// The largest envelope or receipt accepted, in bytes. Real ones are about
/// 400 bytes; the bound keeps hostile input from costing anything.
pub const MAX_SIGNED_BYTES: usize = 2048;

/// The largest DER ECDSA P-256 signature (72 bytes) with room to spare.
pub const MAX_SIGNATURE_BYTES: usize = 80;

/// What a signature is over, so one kind of signature cannot stand in for
/// another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    Envelope,
    Receipt,
    JoinRequest,
    ServiceRequest,
    ServiceResponse,
}

impl Domain {
    fn prefix(self) -> &'static [u8] {
        match self {
            Domain::Envelope => b"congso-envelope/v1\n",
            Domain::Receipt => b"congso-receipt/v1\n",
            Domain::JoinRequest => b"congso-join/v1\n",
            Domain::ServiceRequest => b"congso-service-request/v1\n",
            Domain::ServiceResponse => b"congso-service-response/v1\n",
        }
    }

    fn message(self, bytes: &[u8]) -> Vec<u8> {
        let prefix = self.prefix();
        let mut message = Vec::with_capacity(prefix.len() + bytes.len());
        message.extend_from_slice(prefix);
        message.extend_from_slice(bytes);
        message
    }
}

/// A node's signing key (its federation TLS key), for envelopes and receipts.
pub struct NodeKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NodeKey(<redacted>)")
    }
}

impl NodeKey {
    /// Loads an ECDSA P-256 key.
    pub fn new(key: &PrivateKey) -> Result<NodeKey> {
        let der = key.to_pkcs8_der()?;
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &der, &rng).map_err(
            |error| {
                FederationError::invalid("node key", format!("not an ECDSA P-256 key: {error}"))
            },
        )?;
        Ok(NodeKey { pair, rng })
    }

    /// Signs `bytes` in `domain`.
    pub fn sign(&self, domain: Domain, bytes: &[u8]) -> Result<Vec<u8>> {
        self.pair
            .sign(&self.rng, &domain.message(bytes))
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| FederationError::Signature("ecdsa signing failed".into()))
    }
}

/// A peer's public key, taken from its certificate.
#[derive(Debug, Clone)]
pub struct PeerKey {
    key: UnparsedPublicKey<Vec<u8>>,
}

impl PeerKey {
    /// The ECDSA P-256 key certified by `certificate`.
    pub fn from_certificate(certificate: &Certificate) -> Result<PeerKey> {
        let info = certificate.public_key_info();
        if info.algorithm.oid != congso_pki::oids::EC_PUBLIC_KEY {
            return Err(FederationError::invalid(
                "node certificate",
                format!("key algorithm {} is not ECDSA", info.algorithm.oid),
            ));
        }
        let point = info.subject_public_key.raw_bytes().to_vec();
        if point.len() != 65 || point.first() != Some(&0x04) {
            return Err(FederationError::invalid(
                "node certificate",
                "the key is not an uncompressed P-256 point",
            ));
        }
        Ok(PeerKey {
            key: UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point),
        })
    }

    /// Checks a signature made by [`NodeKey::sign`] in `domain`.
    pub fn verify(&self, domain: Domain, bytes: &[u8], signature: &[u8]) -> Result<()> {
        if signature.len() > MAX_SIGNATURE_BYTES {
            return Err(FederationError::Signature("signature is too long".into()));
        }
        self.key
            .verify(&domain.message(bytes), signature)
            .map_err(|_| FederationError::Signature("signature does not verify".into()))
    }
}

// ---------------------------------------------------------------- identifiers

/// Checks a message id: 32 lower-case hexadecimal digits (128 random bits).
pub fn check_message_id(id: &str) -> Result<()> {
    if id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(FederationError::invalid(
            "message id",
            format!("{:?} is not 32 lower-case hexadecimal digits", shorten(id)),
        ))
    }
}

/// A fresh random message id.
pub fn new_message_id() -> String {
    hex::encode(congso_store::secrets::random_bytes::<16>())
}

/// Checks an organ code (`NNN.NN.NN.LNN`), exactly as written.
pub fn check_organ_code(code: &str) -> Result<()> {
    match congso_vn::id::OrganCode::parse(code) {
        Ok(parsed) if parsed.as_str() == code => Ok(()),
        Ok(_) => Err(FederationError::invalid(
            "organ code",
            format!("{:?} has surrounding white space", shorten(code)),
        )),
        Err(error) => Err(FederationError::invalid(
            "organ code",
            format!("{:?}: {error}", shorten(code)),
        )),
    }
}

/// Checks a message kind: 1 to 64 characters `a-z 0-9 . _ -`, starting
/// with a letter (`document.edxml`, `status.edxml`).
pub fn check_kind(kind: &str) -> Result<()> {
    let ok = (1..=64).contains(&kind.len())
        && kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(FederationError::invalid(
            "message kind",
            format!(
                "{:?} must be 1-64 characters a-z, 0-9, '.', '_', '-' starting with a letter",
                shorten(kind)
            ),
        ))
    }
}

fn check_sha256_hex(what: &'static str, text: &str) -> Result<()> {
    if text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(FederationError::invalid(
            what,
            "is not 64 lower-case hexadecimal digits",
        ))
    }
}

/// The first characters of untrusted text, for error messages.
pub(crate) fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(80).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// Decodes compact JSON and insists that it re-encodes to the same bytes.
fn decode_canonical<T: Serialize + for<'de> Deserialize<'de>>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T> {
    if bytes.len() > MAX_SIGNED_BYTES {
        return Err(FederationError::invalid(
            what,
            format!(
                "{} bytes is more than the {MAX_SIGNED_BYTES} allowed",
                bytes.len()
            ),
        ));
    }
    let value: T = serde_json::from_slice(bytes)
        .map_err(|error| FederationError::invalid(what, format!("not valid JSON: {error}")))?;
    let again = serde_json::to_vec(&value)
        .map_err(|error| FederationError::invalid(what, error.to_string()))?;
    if again != bytes {
        return Err(FederationError::invalid(
            what,
            "not in canonical form (compact JSON, fields in order)",
        ));
    }
    Ok(value)
}

// ------------------------------------------------------------------ envelope

/// What the sending node states and signs about one attempt to deliver a
/// message. The payload travels beside it and must match its SHA-256 and
/// length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Format version, 1.
    pub v: u8,
    /// The message id: the same on every attempt, so the receiver can
    /// deduplicate.
    pub id: String,
    /// The sender's organ code.
    pub from: String,
    /// The recipient's organ code.
    pub to: String,
    /// What the payload is (`document.edxml`, ...): picks the inbox handler.
    pub kind: String,
    /// When the message was queued (µs since the epoch, sender's clock).
    pub created: i64,
    /// When this attempt was signed (µs since the epoch, sender's clock):
    /// the receiver refuses envelopes too far from its own clock.
    pub sent: i64,
    /// Lower-case hex SHA-256 of the payload.
    pub payload_sha256: String,
    /// Payload length in bytes.
    pub payload_len: u64,
}

impl Envelope {
    /// The canonical bytes that are signed.
    pub fn encode(&self) -> Vec<u8> {
        // A struct of strings and integers always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses and checks signed bytes (format only; the signature, the
    /// sender and the clock are the receiver's checks).
    pub fn decode(bytes: &[u8]) -> Result<Envelope> {
        let envelope: Envelope = decode_canonical("envelope", bytes)?;
        if envelope.v != 1 {
            return Err(FederationError::invalid(
                "envelope",
                format!("version {} is not supported", envelope.v),
            ));
        }
        check_message_id(&envelope.id)?;
        check_organ_code(&envelope.from)?;
        check_organ_code(&envelope.to)?;
        check_kind(&envelope.kind)?;
        check_sha256_hex("envelope payload_sha256", &envelope.payload_sha256)?;
        if envelope.created <= 0 || envelope.sent <= 0 {
            return Err(FederationError::invalid(
                "envelope",
                "times must be positive",
            ));
        }
        Ok(envelope)
    }

    /// SHA-256 of the canonical bytes (what receipts and ledgers name).
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.encode()).into()
    }
}

/// Checks that `sent` is within `max_skew_micros` of `now`; the error says
/// which way and by how much, for the sender's operator.
pub fn check_clock(sent: i64, now: i64, max_skew_micros: i64) -> Result<(), String> {
    let ahead = sent.saturating_sub(now);
    if ahead > max_skew_micros {
        return Err(format!(
            "the envelope was signed {} s in the future by this node's clock (at most {} s allowed): check the sender's clock",
            ahead / 1_000_000,
            max_skew_micros / 1_000_000
        ));
    }
    let behind = now.saturating_sub(sent);
    if behind > max_skew_micros {
        return Err(format!(
            "the envelope was signed {} s ago by this node's clock (at most {} s allowed): a replayed or delayed envelope, or a wrong clock",
            behind / 1_000_000,
            max_skew_micros / 1_000_000
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------- receipt

/// What the receiving node signs once a message is stored: the proof of
/// delivery, with the arrival time (Decree 64 Art. 36-37).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Format version, 1.
    pub v: u8,
    pub message_id: String,
    /// The sender's organ code.
    pub from: String,
    /// The receiver's organ code (the signer of this receipt).
    pub to: String,
    pub kind: String,
    /// Lower-case hex SHA-256 of the envelope that was accepted.
    pub envelope_sha256: String,
    pub payload_sha256: String,
    pub payload_len: u64,
    /// The accepted envelope's `sent` time.
    pub sent: i64,
    /// When the payload had fully arrived and was stored (µs, receiver's clock).
    pub received_at: i64,
    /// The receiver's ledger origin and the index of the entry that
    /// recorded the arrival: with the receiver's inclusion proof, anyone can
    /// check the arrival was recorded.
    pub ledger_origin: String,
    pub ledger_index: u64,
}

impl Receipt {
    /// The canonical bytes that are signed.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses and checks signed bytes (format only).
    pub fn decode(bytes: &[u8]) -> Result<Receipt> {
        let receipt: Receipt = decode_canonical("receipt", bytes)?;
        if receipt.v != 1 {
            return Err(FederationError::invalid(
                "receipt",
                format!("version {} is not supported", receipt.v),
            ));
        }
        check_message_id(&receipt.message_id)?;
        check_organ_code(&receipt.from)?;
        check_organ_code(&receipt.to)?;
        check_kind(&receipt.kind)?;
        check_sha256_hex("receipt envelope_sha256", &receipt.envelope_sha256)?;
        check_sha256_hex("receipt payload_sha256", &receipt.payload_sha256)?;
        if receipt.received_at <= 0 {
            return Err(FederationError::invalid(
                "receipt",
                "received_at must be positive",
            ));
        }
        Ok(receipt)
    }

    /// Checks that this receipt answers `envelope`'s message (any attempt of
    /// it: the receipt for a duplicate is the one issued the first time).
    pub fn matches(&self, envelope: &Envelope) -> Result<()> {
        let same = self.message_id == envelope.id
            && self.from == envelope.from
            && self.to == envelope.to
            && self.kind == envelope.kind
            && self.payload_sha256 == envelope.payload_sha256
            && self.payload_len == envelope.payload_len;
        if same {
            Ok(())
        } else {
            Err(FederationError::invalid(
                "receipt",
                "it does not match the message (id, parties, kind or payload differ)",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn envelope() -> Envelope {
        Envelope {
            v: 1,
            id: "0123456789abcdef0123456789abcdef".into(),
            from: "000.00.00.G01".into(),
            to: "000.00.00.H26".into(),
            kind: "document.edxml".into(),
            created: 1_700_000_000_000_000,
            sent: 1_700_000_000_500_000,
            payload_sha256: hex::encode([7u8; 32]),
            payload_len: 10_240,
        }
    }

    fn check_decode(bytes: &[u8], expected: std::result::Result<(), &str>) {
        match (Envelope::decode(bytes), expected) {
            (Ok(_), Ok(())) => {}
            (Err(error), Err(needle)) => assert!(
                error.to_string().contains(needle),
                "{error} does not mention {needle:?}"
            ),
            (got, want) => panic!(
                "decode({:?}) = {got:?}, want {want:?}",
                String::from_utf8_lossy(bytes)
            ),
        }
    }

    #[test]
    fn envelope_decoding() {
        let good = envelope().encode();
        check_decode(&good, Ok(()));
        let text = String::from_utf8(good.clone()).unwrap();
        check_decode(text.replace(",", ", ").as_bytes(), Err("canonical"));
        check_decode(
            text.replace("\"v\":1", "\"v\":2").as_bytes(),
            Err("version 2"),
        );
        check_decode(
            text.replace(
                "0123456789abcdef0123456789abcdef",
                "0123456789ABCDEF0123456789abcdef",
            )
            .as_bytes(),
            Err("message id"),
        );
        check_decode(
            text.replace("000.00.00.G01", "000.00.00.g01").as_bytes(),
            Err("organ code"),
        );
        check_decode(
            text.replace("document.edxml", "Document").as_bytes(),
            Err("kind"),
        );
        check_decode(
            text.replace("}", ",\"extra\":1}").as_bytes(),
            Err("unknown field"),
        );
        check_decode(b"", Err("not valid JSON"));
        check_decode(
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
            Err("not valid JSON"),
        );
        check_decode(&vec![b' '; MAX_SIGNED_BYTES + 1], Err("more than"));
        check_decode(
            text.replace("\"created\":1700000000000000", "\"created\":-1")
                .as_bytes(),
            Err("positive"),
        );
        check_decode(
            text.replace("\"payload_len\":10240", "\"payload_len\":-5")
                .as_bytes(),
            Err("not valid JSON"),
        );
        check_decode(
            text.replace("\"payload_len\":10240", "\"payload_len\":1e3")
                .as_bytes(),
            Err("not valid JSON"),
        );
    }

    #[test]
    fn signatures_are_bound_to_their_domain_and_bytes() {
        let key = PrivateKey::generate(congso_pki::KeyAlgorithm::EcdsaP256).unwrap();
        let ca = congso_pki::CertificateAuthority::create_root(
            &congso_pki::SubjectName::new("ca"),
            congso_pki::KeyAlgorithm::EcdsaP256,
            std::time::SystemTime::now(),
            std::time::Duration::from_secs(3600),
        )
        .unwrap();
        let certificate = ca
            .issue(&congso_pki::IssueRequest {
                subject: congso_pki::SubjectName::new("node"),
                public_key: key.public_key_info().unwrap(),
                profile: congso_pki::CertificateProfile::NodeTls {
                    dns_names: vec![],
                    ip_addresses: vec!["127.0.0.2".parse().unwrap()],
                },
                not_before: std::time::SystemTime::now(),
                validity: std::time::Duration::from_secs(3600),
            })
            .unwrap();
        let signer = NodeKey::new(&key).unwrap();
        let peer = PeerKey::from_certificate(&certificate).unwrap();
        let bytes = envelope().encode();
        let signature = signer.sign(Domain::Envelope, &bytes).unwrap();
        peer.verify(Domain::Envelope, &bytes, &signature).unwrap();
        assert!(peer.verify(Domain::Receipt, &bytes, &signature).is_err());
        let mut tampered = bytes.clone();
        tampered[10] ^= 1;
        assert!(peer
            .verify(Domain::Envelope, &tampered, &signature)
            .is_err());
        let other = PeerKey::from_certificate(ca.certificate()).unwrap();
        assert!(other.verify(Domain::Envelope, &bytes, &signature).is_err());
        assert!(peer.verify(Domain::Envelope, &bytes, &[0u8; 200]).is_err());
    }

    #[test]
    fn clock_window() {
        let second = 1_000_000;
        assert!(check_clock(100 * second, 100 * second, 300 * second).is_ok());
        assert!(check_clock(400 * second, 100 * second, 300 * second).is_ok());
        assert!(check_clock(401 * second, 100 * second, 300 * second)
            .unwrap_err()
            .contains("future"));
        assert!(check_clock(100 * second, 401 * second, 300 * second)
            .unwrap_err()
            .contains("ago"));
        assert!(check_clock(i64::MIN, i64::MAX, 300 * second).is_err());
        assert!(check_clock(i64::MAX, i64::MIN, 300 * second).is_err());
    }

    proptest! {
        #[test]
        fn envelope_round_trip(
            id in "[0-9a-f]{32}",
            kind in "[a-z][a-z0-9._-]{0,63}",
            created in 1i64..i64::MAX,
            sent in 1i64..i64::MAX,
            len in 0u64..(1u64 << 53),
            hash in proptest::array::uniform32(any::<u8>()),
        ) {
            let envelope = Envelope { v: 1, id, from: "000.00.00.G01".into(), to: "000.00.00.H26".into(), kind, created, sent, payload_sha256: hex::encode(hash), payload_len: len };
            prop_assert_eq!(Envelope::decode(&envelope.encode()).unwrap(), envelope);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Envelope::decode(&bytes);
            let _ = Receipt::decode(&bytes);
        }
    }
}
