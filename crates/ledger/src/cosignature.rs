//! Witness cosignatures on checkpoints: the Ed25519 `cosignature/v1` type of
//! C2SP tlog-cosignature (<https://c2sp.org/tlog-cosignature>).
//!
//! A cosignature is a note signature on a checkpoint whose key ID uses
//! signature type 0x04, and whose signature bytes are
//! `u64 big-endian timestamp || Ed25519 signature` over
//!
//! ```text
//! cosignature/v1\n
//! time <timestamp, decimal>\n
//! <checkpoint body>
//! ```
//!
//! It states that, as of the timestamp, the checkpoint was the largest
//! consistent tree head the witness had seen for that origin. The timestamp is
//! always passed in: this crate reads no clock.
//!
//! Choices where the stored C2SP text is silent or permissive:
//! - both signing and verifying require the note text to parse as a
//!   [`Checkpoint`] (Go's transparency-dev/formats only asks for three lines);
//! - verifier and signer keys must carry type 0x04 and a key ID that matches
//!   (Go also converts 0x01 keys and does not check the stated ID);
//! - timestamps above `2^63 - 1` are refused when signing and verifying, as
//!   the spec says they MUST NOT occur.

use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::note::{self, KeyError, NoteError, Signature};

/// The signature type byte of Ed25519 `cosignature/v1` signatures.
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;

/// The largest timestamp a cosignature may carry, `2^63 - 1`.
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

const SIGNATURE_LEN: usize = 8 + 64;

/// Why a cosignature could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// The text to cosign is not a checkpoint.
    #[error("the cosigned text is not a checkpoint: {0}")]
    NotACheckpoint(#[from] CheckpointError),
    /// The timestamp is above [`MAX_TIMESTAMP`].
    #[error("cosignature timestamp {0} is above 2^63 - 1")]
    TimestampTooLarge(u64),
    /// A signature is not `timestamp || Ed25519 signature`.
    #[error("signature from {name} is {len} bytes, not the 72 of a cosignature/v1")]
    NotACosignature {
        /// The key name.
        name: String,
        /// The signature's length.
        len: usize,
    },
    /// Opening the note failed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// No signature from the log's own keys verified.
    #[error("the checkpoint carries no valid signature from the log's keys")]
    NoLogSignature,
}

/// The message a witness signs: `cosignature/v1\ntime <timestamp>\n<body>`.
pub fn signed_message(checkpoint_body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_body}")
}

fn check_timestamp(timestamp: u64) -> Result<(), CosignatureError> {
    if timestamp > MAX_TIMESTAMP {
        Err(CosignatureError::TimestampTooLarge(timestamp))
    } else {
        Ok(())
    }
}

/// The timestamp of a cosignature/v1 signature, read from its first 8 bytes.
/// This does not verify the signature: take it from a [`note::VerifiedNote`]'s
/// verified list.
pub fn timestamp(signature: &Signature) -> Result<u64, CosignatureError> {
    let bytes: &[u8; SIGNATURE_LEN] = signature.signature.as_slice().try_into().map_err(|_| {
        CosignatureError::NotACosignature {
            name: signature.name.clone(),
            len: signature.signature.len(),
        }
    })?;
    let mut timestamp = [0; 8];
    timestamp.copy_from_slice(&bytes[..8]);
    Ok(u64::from_be_bytes(timestamp))
}

/// Verifies one witness's cosignatures. Implements [`note::Verifier`], so it
/// can be given to [`note::open`] alongside the log's own verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// A verifier for the witness key `key` under `name`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, KeyError> {
        note::check_name(name)?;
        let key = note::ed25519_public_key(key.as_bytes())?;
        Ok(Self {
            name: name.to_owned(),
            key_id: note::key_id(name, SIG_TYPE_COSIGNATURE_V1, key.as_bytes()),
            key,
        })
    }

    /// Parses a verifier key `<name>+<hex8>+<base64(0x04 || public key)>`.
    pub fn from_vkey(vkey: &str) -> Result<Self, KeyError> {
        let (name, key_id, key) = note::parse_verifier_key(vkey, SIG_TYPE_COSIGNATURE_V1)?;
        Ok(Self { name, key_id, key })
    }

    /// The verifier key string.
    pub fn to_vkey(&self) -> String {
        note::format_verifier_key(
            &self.name,
            self.key_id,
            SIG_TYPE_COSIGNATURE_V1,
            self.key.as_bytes(),
        )
    }

    /// The witness's Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl note::Verifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn verify(&self, text: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = <&[u8; SIGNATURE_LEN]>::try_from(signature) else {
            return false;
        };
        let (timestamp, ed25519) = signature.split_at(8);
        let mut timestamp_bytes = [0; 8];
        timestamp_bytes.copy_from_slice(timestamp);
        let timestamp = u64::from_be_bytes(timestamp_bytes);
        if timestamp > MAX_TIMESTAMP {
            return false;
        }
        let Ok(body) = std::str::from_utf8(text) else {
            return false;
        };
        if Checkpoint::parse(body).is_err() {
            return false;
        }
        let Ok(ed25519) = ed25519_dalek::Signature::from_slice(ed25519) else {
            return false;
        };
        let message = signed_message(body, timestamp);
        self.key.verify_strict(message.as_bytes(), &ed25519).is_ok()
    }
}

/// A witness's cosigning key. Its `Debug` output hides the key.
#[derive(Clone)]
pub struct Cosigner {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl fmt::Debug for Cosigner {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Cosigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Cosigner {
    /// A cosigner from a 32-byte Ed25519 seed drawn by the caller.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, KeyError> {
        note::check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        Ok(Self {
            name: name.to_owned(),
            key_id: note::key_id(
                name,
                SIG_TYPE_COSIGNATURE_V1,
                key.verifying_key().as_bytes(),
            ),
            key,
        })
    }

    /// Parses a signer key `PRIVATE+KEY+<name>+<hex8>+<base64(0x04 || seed)>`.
    pub fn from_skey(skey: &str) -> Result<Self, KeyError> {
        let (name, key_id, key) = note::parse_signer_key(skey, SIG_TYPE_COSIGNATURE_V1)?;
        Ok(Self { name, key_id, key })
    }

    /// The signer key string. It is secret: store it like a password.
    pub fn to_skey(&self) -> String {
        note::format_signer_key(
            &self.name,
            self.key_id,
            SIG_TYPE_COSIGNATURE_V1,
            self.key.as_bytes(),
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID (with signature type 0x04).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// The `timestamp || signature` bytes over `checkpoint_body` at `timestamp`
    /// (POSIX seconds).
    pub fn cosign_bytes(
        &self,
        checkpoint_body: &str,
        timestamp: u64,
    ) -> Result<Vec<u8>, CosignatureError> {
        check_timestamp(timestamp)?;
        Checkpoint::parse(checkpoint_body)?;
        let message = signed_message(checkpoint_body, timestamp);
        let mut signature = Vec::with_capacity(SIGNATURE_LEN);
        signature.extend_from_slice(&timestamp.to_be_bytes());
        signature.extend_from_slice(&self.key.sign(message.as_bytes()).to_bytes());
        Ok(signature)
    }

    /// The note signature line cosigning `checkpoint_body` at `timestamp`, as
    /// a tlog-witness `add-checkpoint` response carries it.
    pub fn cosign(
        &self,
        checkpoint_body: &str,
        timestamp: u64,
    ) -> Result<String, CosignatureError> {
        let signature = self.cosign_bytes(checkpoint_body, timestamp)?;
        Ok(Signature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature,
        }
        .to_line())
    }

    /// This cosigner fixed at `timestamp`, usable with [`note::sign`].
    pub fn at(&self, timestamp: u64) -> TimestampedCosigner<'_> {
        TimestampedCosigner {
            cosigner: self,
            timestamp,
        }
    }
}

/// A [`Cosigner`] with the time of signing fixed, as a [`note::Signer`].
#[derive(Debug, Clone, Copy)]
pub struct TimestampedCosigner<'a> {
    cosigner: &'a Cosigner,
    timestamp: u64,
}

impl note::Signer for TimestampedCosigner<'_> {
    fn name(&self) -> &str {
        &self.cosigner.name
    }

    fn key_id(&self) -> u32 {
        self.cosigner.key_id
    }

    fn sign(&self, text: &[u8]) -> Result<Vec<u8>, NoteError> {
        let refused = |reason: String| NoteError::SignerRefused {
            name: self.cosigner.name.clone(),
            reason,
        };
        let body = std::str::from_utf8(text).map_err(|_| refused("text is not UTF-8".into()))?;
        self.cosigner
            .cosign_bytes(body, self.timestamp)
            .map_err(|error| refused(error.to_string()))
    }
}

/// One verified witness cosignature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCosignature {
    /// The witness's key name.
    pub name: String,
    /// The witness's key ID.
    pub key_id: u32,
    /// When the witness cosigned, in POSIX seconds.
    pub timestamp: u64,
}

/// A checkpoint whose log signature verified, with the cosignatures of the
/// known witnesses that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The verified witness cosignatures, in note order.
    pub cosignatures: Vec<VerifiedCosignature>,
}

/// Opens a checkpoint note: at least one signature from `log_verifiers` must
/// verify, the text must be a checkpoint, and every signature from a known
/// witness must verify (a bad one refuses the note, as a bad signature from
/// any known key does). Signatures from unknown keys are ignored.
///
/// Counting cosignatures against a quorum policy is left to the caller.
pub fn open_checkpoint(
    note_bytes: &[u8],
    log_verifiers: &[&dyn note::Verifier],
    witnesses: &[&CosignatureVerifier],
) -> Result<WitnessedCheckpoint, CosignatureError> {
    let mut verifiers: Vec<&dyn note::Verifier> = log_verifiers.to_vec();
    verifiers.extend(
        witnesses
            .iter()
            .map(|witness| *witness as &dyn note::Verifier),
    );
    let opened = match note::open(note_bytes, &verifiers) {
        Ok(opened) => opened,
        Err(NoteError::NoVerifiedSignature { .. }) => return Err(CosignatureError::NoLogSignature),
        Err(error) => return Err(error.into()),
    };
    let is_from = |signature: &Signature, verifier: &dyn note::Verifier| {
        verifier.name() == signature.name && verifier.key_id() == signature.key_id
    };
    let log_signed = opened.verified().iter().any(|signature| {
        log_verifiers
            .iter()
            .any(|verifier| is_from(signature, *verifier))
    });
    if !log_signed {
        return Err(CosignatureError::NoLogSignature);
    }
    let checkpoint = Checkpoint::parse(opened.text())?;
    let mut cosignatures = Vec::new();
    for signature in opened.verified() {
        let from_witness = witnesses.iter().any(|witness| is_from(signature, *witness));
        if from_witness {
            cosignatures.push(VerifiedCosignature {
                name: signature.name.clone(),
                key_id: signature.key_id,
                timestamp: timestamp(signature)?,
            });
        }
    }
    Ok(WitnessedCheckpoint {
        checkpoint,
        cosignatures,
    })
}
