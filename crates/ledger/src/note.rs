//! The C2SP signed-note format (<https://c2sp.org/signed-note>) with Ed25519
//! keys, compatible with Go's `golang.org/x/mod/sumdb/note`.
//!
//! A signed note is a text ending in a newline, a blank line, and one or more
//! signature lines `— <key name> <base64(key ID || signature)>\n` (the dash is
//! the em dash U+2014). [`open`] applies the same checks, in the same order, as
//! Go's `note.Open`; where this crate is stricter it says so:
//!
//! - a note over [`MAX_NOTE_BYTES`] is refused before it is read;
//! - base64 must be canonical (padding and zero trailing bits), so a signature
//!   line has exactly one spelling;
//! - a verifier key must hold a valid Ed25519 point that is not of small
//!   order, and signatures are checked with `verify_strict`;
//! - [`sign`] refuses text that [`open`] would refuse.

use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest, Sha256};

/// The Ed25519 public key type the constructors take, re-exported so callers
/// need not depend on `ed25519-dalek` themselves.
pub use ed25519_dalek::VerifyingKey;

/// The largest note [`open`] reads. A checkpoint with [`MAX_SIGNATURES`]
/// Ed25519 signatures is about 13 KiB; the margin covers long key names.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// The most signature lines [`open`] accepts, as in Go (C2SP asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// The signature type byte of plain Ed25519 note signatures.
pub const SIG_TYPE_ED25519: u8 = 0x01;

const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Why a note could not be opened or signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note is larger than [`MAX_NOTE_BYTES`].
    #[error("note is {size} bytes, more than the {max} allowed")]
    TooLarge {
        /// The note's size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The note does not follow the signed-note syntax.
    #[error("malformed note: {reason}")]
    Malformed {
        /// What is wrong, and where.
        reason: String,
    },
    /// The note has more than [`MAX_SIGNATURES`] signature lines.
    #[error("note has more than {max} signatures")]
    TooManySignatures {
        /// The limit.
        max: usize,
    },
    /// A known key's signature did not verify; the whole note is refused.
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature {
        /// The key name.
        name: String,
        /// The key ID.
        key_id: u32,
    },
    /// Two of the given verifiers share a name and key ID.
    #[error("ambiguous key {name}+{key_id:08x}: more than one verifier has it")]
    AmbiguousKey {
        /// The key name.
        name: String,
        /// The key ID.
        key_id: u32,
    },
    /// The note parsed, but no signature is from a known key.
    #[error("note has no verifiable signatures")]
    NoVerifiedSignature {
        /// The signatures from unknown keys.
        unverified: Vec<Signature>,
    },
    /// [`sign`] was given no signer.
    #[error("no signer given")]
    NoSigners,
    /// A signer's name is not a valid key name.
    #[error("invalid signer name {name:?}")]
    InvalidSigner {
        /// The offending name.
        name: String,
    },
    /// A signer declined to sign the text.
    #[error("signer {name} refused the text: {reason}")]
    SignerRefused {
        /// The signer's name.
        name: String,
        /// Why.
        reason: String,
    },
}

fn malformed(reason: impl Into<String>) -> NoteError {
    NoteError::Malformed {
        reason: reason.into(),
    }
}

/// Why a verifier or signer key string was refused. Messages never quote a
/// signer key, which is secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key name is empty or holds a space or a plus sign.
    #[error("invalid key name {name:?}: it must be non-empty without spaces or '+'")]
    InvalidName {
        /// The offending name.
        name: String,
    },
    /// The string is not `<name>+<hex8>+<base64>` (or `PRIVATE+KEY+` that).
    #[error("malformed {kind} key: {reason}")]
    Malformed {
        /// "verifier" or "signer".
        kind: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The key is of another signature type.
    #[error("key has signature type {found:#04x} where {expected:#04x} is needed")]
    WrongType {
        /// The type byte found.
        found: u8,
        /// The type byte this key kind needs.
        expected: u8,
    },
    /// The key ID in the string is not the one the name and key give.
    #[error("key ID {stated:08x} does not match the name and key, which give {computed:08x}")]
    KeyIdMismatch {
        /// The key ID written in the string.
        stated: u32,
        /// The key ID computed from the name and key.
        computed: u32,
    },
    /// The 32 bytes are not a usable Ed25519 public key.
    #[error("not a valid Ed25519 public key (off the curve or of small order)")]
    InvalidPublicKey,
}

/// Whether `name` can name a key: non-empty, no Unicode white space, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// `SHA-256(name || "\n" || signature type || public key)[:4]`, big-endian:
/// the key ID C2SP recommends and Go computes.
pub fn key_id(name: &str, signature_type: u8, public_key: &[u8]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([signature_type]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Checks signatures made by one key.
pub trait Verifier {
    /// The key name.
    fn name(&self) -> &str;
    /// The key ID.
    fn key_id(&self) -> u32;
    /// Whether `signature` (the bytes after the key ID) is valid for `text`.
    fn verify(&self, text: &[u8], signature: &[u8]) -> bool;
}

/// Signs note texts with one key.
pub trait Signer {
    /// The key name.
    fn name(&self) -> &str;
    /// The key ID.
    fn key_id(&self) -> u32;
    /// The signature bytes (without the key ID) over `text`.
    fn sign(&self, text: &[u8]) -> Result<Vec<u8>, NoteError>;
}

/// A signature line of a note, verified or not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    /// The key name.
    pub name: String,
    /// The key ID, the first four bytes of the encoded signature.
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

impl Signature {
    /// The signature line, `— <name> <base64(key ID || signature)>\n`.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            crate::base64_encode(&raw)
        )
    }
}

/// A note whose syntax is valid and which at least one known key signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    text: String,
    verified: Vec<Signature>,
    unverified: Vec<Signature>,
}

impl VerifiedNote {
    /// The signed text, ending in a newline (the blank line is not part of it).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signatures from known keys, all verified, in note order, one per key.
    pub fn verified(&self) -> &[Signature] {
        &self.verified
    }

    /// The signatures from unknown keys, unchecked, without exact duplicates.
    pub fn unverified(&self) -> &[Signature] {
        &self.unverified
    }
}

/// Parses `note`, checks every signature from a key in `verifiers`, and
/// returns the text with the verified signatures.
///
/// Signatures from unknown keys are kept aside, unchecked. A signature from a
/// known key that fails refuses the whole note, and so does a note with no
/// signature from a known key. Repeated signatures from one known key are
/// skipped after the first, as in Go.
pub fn open(note: &[u8], verifiers: &[&dyn Verifier]) -> Result<VerifiedNote, NoteError> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge {
            size: note.len(),
            max: MAX_NOTE_BYTES,
        });
    }
    let note = std::str::from_utf8(note)
        .map_err(|error| malformed(format!("not valid UTF-8 at byte {}", error.valid_up_to())))?;
    if let Some(position) = note.find(|c: char| u32::from(c) < 0x20 && c != '\n') {
        return Err(malformed(format!("control character at byte {position}")));
    }
    let Some(split) = note.rfind("\n\n") else {
        return Err(malformed("no blank line before the signatures"));
    };
    let (text, signature_block) = (&note[..split + 1], &note[split + 2..]);
    if signature_block.is_empty() || !signature_block.ends_with('\n') {
        return Err(malformed("the signature block does not end in a newline"));
    }

    let mut verified: Vec<Signature> = Vec::new();
    let mut unverified: Vec<Signature> = Vec::new();
    for (number, line) in signature_block[..signature_block.len() - 1]
        .split('\n')
        .enumerate()
    {
        let signature = parse_signature_line(line)
            .map_err(|reason| malformed(format!("signature line {}: {reason}", number + 1)))?;
        if number >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                max: MAX_SIGNATURES,
            });
        }
        let mut matching = verifiers.iter().filter(|verifier| {
            verifier.name() == signature.name && verifier.key_id() == signature.key_id
        });
        let Some(verifier) = matching.next() else {
            if !unverified.contains(&signature) {
                unverified.push(signature);
            }
            continue;
        };
        if matching.next().is_some() {
            return Err(NoteError::AmbiguousKey {
                name: signature.name,
                key_id: signature.key_id,
            });
        }
        let already_seen = verified
            .iter()
            .any(|seen| seen.name == signature.name && seen.key_id == signature.key_id);
        if already_seen {
            continue;
        }
        if !verifier.verify(text.as_bytes(), &signature.signature) {
            return Err(NoteError::InvalidSignature {
                name: signature.name,
                key_id: signature.key_id,
            });
        }
        verified.push(signature);
    }
    if verified.is_empty() {
        return Err(NoteError::NoVerifiedSignature { unverified });
    }
    Ok(VerifiedNote {
        text: text.to_owned(),
        verified,
        unverified,
    })
}

fn parse_signature_line(line: &str) -> Result<Signature, &'static str> {
    let Some(rest) = line.strip_prefix(SIGNATURE_PREFIX) else {
        return Err("does not start with an em dash and a space");
    };
    let (name, encoded) = rest.split_once(' ').unwrap_or((rest, ""));
    if !is_valid_key_name(name) {
        return Err("invalid key name");
    }
    if encoded.is_empty() {
        return Err("no signature");
    }
    let raw = crate::base64_decode(encoded).ok_or("signature is not canonical standard base64")?;
    let [a, b, c, d, signature @ ..] = raw.as_slice() else {
        return Err("signature is shorter than 5 bytes");
    };
    if signature.is_empty() {
        return Err("signature is shorter than 5 bytes");
    }
    Ok(Signature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes([*a, *b, *c, *d]),
        signature: signature.to_vec(),
    })
}

/// One signature line by `signer` over `text`, as a witness returns it.
pub fn signature_line(text: &str, signer: &dyn Signer) -> Result<String, NoteError> {
    check_text(text)?;
    if !is_valid_key_name(signer.name()) {
        return Err(NoteError::InvalidSigner {
            name: signer.name().to_owned(),
        });
    }
    let signature = signer.sign(text.as_bytes())?;
    Ok(Signature {
        name: signer.name().to_owned(),
        key_id: signer.key_id(),
        signature,
    }
    .to_line())
}

/// Signs `text` with every signer: `text + "\n" + one signature line each`.
pub fn sign(text: &str, signers: &[&dyn Signer]) -> Result<String, NoteError> {
    if signers.is_empty() {
        return Err(NoteError::NoSigners);
    }
    let mut note = format!("{text}\n");
    for signer in signers {
        note.push_str(&signature_line(text, *signer)?);
    }
    if note.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge {
            size: note.len(),
            max: MAX_NOTE_BYTES,
        });
    }
    Ok(note)
}

/// Refuses a text that would give a note [`open`] refuses.
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(malformed("the text does not end in a newline"));
    }
    if let Some(position) = text.find(|c: char| u32::from(c) < 0x20 && c != '\n') {
        return Err(malformed(format!(
            "control character at byte {position} of the text"
        )));
    }
    Ok(())
}

/// The parts of `<name>+<hex8>+<base64(type || key)>`.
pub(crate) struct KeyParts<'a> {
    pub(crate) name: &'a str,
    pub(crate) key_id: u32,
    pub(crate) signature_type: u8,
    pub(crate) key: Vec<u8>,
}

/// Splits a verifier key (or the part of a signer key after `PRIVATE+KEY+`)
/// the way Go's `NewVerifier` does: at the first two plus signs.
pub(crate) fn split_key<'a>(text: &'a str, kind: &'static str) -> Result<KeyParts<'a>, KeyError> {
    let malformed = |reason| KeyError::Malformed { kind, reason };
    let (name, rest) = text
        .split_once('+')
        .ok_or(malformed("missing '+' separators"))?;
    let (hex_id, encoded) = rest
        .split_once('+')
        .ok_or(malformed("missing '+' separators"))?;
    if !is_valid_key_name(name) {
        return Err(KeyError::InvalidName {
            name: name.to_owned(),
        });
    }
    if hex_id.len() != 8 || !hex_id.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(malformed("the key ID is not 8 hexadecimal digits"));
    }
    let key_id = u32::from_str_radix(hex_id, 16)
        .map_err(|_| malformed("the key ID is not 8 hexadecimal digits"))?;
    let raw = crate::base64_decode(encoded)
        .ok_or(malformed("the key is not canonical standard base64"))?;
    let Some((&signature_type, key)) = raw.split_first() else {
        return Err(malformed("the key is empty"));
    };
    Ok(KeyParts {
        name,
        key_id,
        signature_type,
        key: key.to_vec(),
    })
}

/// Builds a verifier key string `<name>+<hex8>+<base64(type || key)>`.
pub(crate) fn format_verifier_key(
    name: &str,
    key_id: u32,
    signature_type: u8,
    key: &[u8],
) -> String {
    let mut raw = vec![signature_type];
    raw.extend_from_slice(key);
    format!("{name}+{key_id:08x}+{}", crate::base64_encode(&raw))
}

/// Parses an Ed25519 public key, refusing points off the curve and of small
/// order (for which signatures prove nothing).
pub(crate) fn ed25519_public_key(bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed {
        kind: "verifier",
        reason: "an Ed25519 public key is 32 bytes",
    })?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPublicKey)?;
    if key.is_weak() {
        return Err(KeyError::InvalidPublicKey);
    }
    Ok(key)
}

/// Parses a verifier key of the given signature type and checks its key ID.
pub(crate) fn parse_verifier_key(
    vkey: &str,
    signature_type: u8,
) -> Result<(String, u32, VerifyingKey), KeyError> {
    let parts = split_key(vkey, "verifier")?;
    if parts.signature_type != signature_type {
        return Err(KeyError::WrongType {
            found: parts.signature_type,
            expected: signature_type,
        });
    }
    let public_key = ed25519_public_key(&parts.key)?;
    let computed = key_id(parts.name, signature_type, public_key.as_bytes());
    if computed != parts.key_id {
        return Err(KeyError::KeyIdMismatch {
            stated: parts.key_id,
            computed,
        });
    }
    Ok((parts.name.to_owned(), computed, public_key))
}

/// Parses a signer key `PRIVATE+KEY+<name>+<hex8>+<base64(type || seed)>` of
/// the given signature type and checks its key ID against the derived public key.
pub(crate) fn parse_signer_key(
    skey: &str,
    signature_type: u8,
) -> Result<(String, u32, SigningKey), KeyError> {
    let malformed = |reason| KeyError::Malformed {
        kind: "signer",
        reason,
    };
    let rest = skey
        .strip_prefix("PRIVATE+KEY+")
        .ok_or(malformed("it does not start with PRIVATE+KEY+"))?;
    let parts = split_key(rest, "signer")?;
    if parts.signature_type != signature_type {
        return Err(KeyError::WrongType {
            found: parts.signature_type,
            expected: signature_type,
        });
    }
    let seed: [u8; 32] = parts
        .key
        .as_slice()
        .try_into()
        .map_err(|_| malformed("an Ed25519 seed is 32 bytes"))?;
    let signing_key = SigningKey::from_bytes(&seed);
    let computed = key_id(
        parts.name,
        signature_type,
        signing_key.verifying_key().as_bytes(),
    );
    if computed != parts.key_id {
        return Err(KeyError::KeyIdMismatch {
            stated: parts.key_id,
            computed,
        });
    }
    Ok((parts.name.to_owned(), computed, signing_key))
}

/// Builds a signer key string. The result is secret.
pub(crate) fn format_signer_key(
    name: &str,
    key_id: u32,
    signature_type: u8,
    seed: &[u8; 32],
) -> String {
    format!(
        "PRIVATE+KEY+{}",
        format_verifier_key(name, key_id, signature_type, seed)
    )
}

pub(crate) fn check_name(name: &str) -> Result<(), KeyError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(KeyError::InvalidName {
            name: name.to_owned(),
        })
    }
}

/// Verifies plain Ed25519 note signatures (type 0x01) from one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ed25519Verifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl Ed25519Verifier {
    /// A verifier for `key` under `name`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, KeyError> {
        check_name(name)?;
        let key = ed25519_public_key(key.as_bytes())?;
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_ED25519, key.as_bytes()),
            key,
        })
    }

    /// Parses a verifier key `<name>+<hex8>+<base64(0x01 || public key)>`.
    pub fn from_vkey(vkey: &str) -> Result<Self, KeyError> {
        let (name, key_id, key) = parse_verifier_key(vkey, SIG_TYPE_ED25519)?;
        Ok(Self { name, key_id, key })
    }

    /// The verifier key string.
    pub fn to_vkey(&self) -> String {
        format_verifier_key(
            &self.name,
            self.key_id,
            SIG_TYPE_ED25519,
            self.key.as_bytes(),
        )
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl Verifier for Ed25519Verifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn verify(&self, text: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(text, &signature).is_ok()
    }
}

/// Signs notes with an Ed25519 key (type 0x01). Its `Debug` output hides the key.
#[derive(Clone)]
pub struct Ed25519Signer {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Ed25519Signer")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Ed25519Signer {
    /// A signer from a 32-byte Ed25519 seed. Draw the seed from the operating
    /// system's random number generator; this crate does no IO.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, KeyError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_ED25519, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// Parses a signer key `PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>`.
    pub fn from_skey(skey: &str) -> Result<Self, KeyError> {
        let (name, key_id, key) = parse_signer_key(skey, SIG_TYPE_ED25519)?;
        Ok(Self { name, key_id, key })
    }

    /// The signer key string. It is secret: store it like a password.
    pub fn to_skey(&self) -> String {
        format_signer_key(
            &self.name,
            self.key_id,
            SIG_TYPE_ED25519,
            self.key.as_bytes(),
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Ed25519Verifier {
        Ed25519Verifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }
}

impl Signer for Ed25519Signer {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn sign(&self, text: &[u8]) -> Result<Vec<u8>, NoteError> {
        Ok(self.key.sign(text).to_bytes().to_vec())
    }
}
