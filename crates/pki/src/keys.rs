//! Private keys (generation, PKCS#8 in and out, encryption at rest) and
//! signature verification with public keys from certificates.
//!
//! Encryption at rest uses PKCS#8 `EncryptedPrivateKeyInfo` with PBES2
//! (PBKDF2-HMAC-SHA256, AES-256-CBC, random 16-byte salt and IV). It was
//! chosen over an ad-hoc AES-GCM envelope because it is the standard form of
//! an encrypted key: an administrator can open a stored key with
//! `openssl pkcs8 -in key.der -inform DER` given the node secret, and no
//! envelope format of our own has to be specified and kept stable. CBC has
//! no authentication tag, so a corrupted blob is caught by the padding check
//! and the PKCS#8 decoder, and a key swapped for another valid key is caught
//! when it is paired with its certificate ([`crate::SignerIdentity::new`]
//! compares public keys).

use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Encode};
use pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::pkcs1v15::Pkcs1v15Sign;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::RandomizedSigner;
use spki::{AlgorithmIdentifierOwned, DecodePublicKey, EncodePublicKey, SubjectPublicKeyInfoOwned};
use zeroize::Zeroizing;

use crate::error::{DerContext, Error, Result};
use crate::oids;

/// PBKDF2 rounds used when sealing keys. The node secret is meant to be a
/// random 32-byte value, so the work factor only slows an attacker who
/// guessed a weak secret; keys are opened once and cached by the caller, so
/// the 40 ms this costs in release is paid rarely.
const PBKDF2_ITERATIONS: u32 = 100_000;

/// Shortest node secret accepted for sealing keys.
const MIN_SECRET_LEN: usize = 16;

/// Key algorithms the node CA can generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256 with SHA-256 (the default: small and fast).
    EcdsaP256,
    /// RSA 2048-bit with PKCS#1 v1.5 signatures and SHA-256.
    Rsa2048,
}

/// A private signing key. Its `Debug` output never shows key material.
#[derive(Clone)]
pub struct PrivateKey {
    inner: KeyInner,
}

#[derive(Clone)]
enum KeyInner {
    Rsa(Box<rsa::PrivateKey>),
    P256(p256::ecdsa::SigningKey),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl PrivateKey {
    /// Generates a fresh key from the operating system's random source.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self> {
        let mut rng = rand::rng();
        let inner = match algorithm {
            KeyAlgorithm::Rsa2048 => KeyInner::Rsa(Box::new(
                rsa::PrivateKey::new(&mut rng, 2048).map_err(|e| Error::Key(e.to_string()))?,
            )),
            KeyAlgorithm::EcdsaP256 => KeyInner::P256(
                <p256::ecdsa::SigningKey as p256::elliptic_curve::Generate>::generate_from_rng(
                    &mut rng,
                ),
            ),
        };
        Ok(Self { inner })
    }

    /// The algorithm of this key.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match &self.inner {
            KeyInner::Rsa(_) => KeyAlgorithm::Rsa2048,
            KeyInner::P256(_) => KeyAlgorithm::EcdsaP256,
        }
    }

    /// Reads an unencrypted PKCS#8 `PrivateKeyInfo` (DER).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(der).ctx("pkcs#8 private key")?;
        let oid = info.algorithm.oid;
        let inner = if oid == oids::RSA_ENCRYPTION {
            let key =
                rsa::PrivateKey::from_pkcs8_der(der).map_err(|e| Error::Key(e.to_string()))?;
            KeyInner::Rsa(Box::new(key))
        } else if oid == oids::EC_PUBLIC_KEY {
            let key =
                p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|e| Error::Unsupported {
                    what: "ec private key",
                    detail: format!("only P-256 keys are supported: {e}"),
                })?;
            KeyInner::P256(key)
        } else {
            return Err(Error::Unsupported {
                what: "private key algorithm",
                detail: oid.to_string(),
            });
        };
        Ok(Self { inner })
    }

    /// Reads an unencrypted PKCS#8 key in PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self> {
        let (label, der) = der::pem::decode_vec(pem.as_bytes()).ctx("pem private key")?;
        let der = Zeroizing::new(der.to_vec());
        if label != "PRIVATE KEY" {
            return Err(Error::Malformed {
                what: "pem private key",
                detail: format!("expected label PRIVATE KEY, found {label}"),
            });
        }
        Self::from_pkcs8_der(&der)
    }

    /// Unencrypted PKCS#8 DER. Handle with care: this is the secret.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let doc = match &self.inner {
            KeyInner::Rsa(k) => k.to_pkcs8_der(),
            KeyInner::P256(k) => k.to_pkcs8_der(),
        }
        .map_err(|e| Error::Key(e.to_string()))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// Unencrypted PKCS#8 PEM. Handle with care: this is the secret.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>> {
        let der = self.to_pkcs8_der()?;
        let pem = der::pem::encode_string("PRIVATE KEY", der::pem::LineEnding::LF, &der)
            .ctx("pem private key")?;
        Ok(Zeroizing::new(pem))
    }

    /// Encrypts the key for storage: PKCS#8 `EncryptedPrivateKeyInfo` (DER)
    /// with PBES2 keyed by `node_secret` (see the module documentation).
    pub fn seal(&self, node_secret: &[u8]) -> Result<Vec<u8>> {
        if node_secret.len() < MIN_SECRET_LEN {
            return Err(Error::SecretTooShort(node_secret.len()));
        }
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        rand::fill(&mut salt);
        rand::fill(&mut iv);
        let params = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            PBKDF2_ITERATIONS,
            &salt,
            iv,
        )
        .map_err(|e| Error::Key(e.to_string()))?;
        let plain = self.to_pkcs8_der()?;
        let info = pkcs8::PrivateKeyInfoRef::from_der(&plain).ctx("pkcs#8 private key")?;
        let sealed = info
            .encrypt_with_params(params, node_secret)
            .map_err(|e| Error::Key(e.to_string()))?;
        Ok(sealed.as_bytes().to_vec())
    }

    /// Opens a key sealed by [`PrivateKey::seal`] (or any PBES2-encrypted
    /// PKCS#8 DER, e.g. from `openssl pkcs8 -topk8 -v2 aes-256-cbc`).
    pub fn open(sealed_der: &[u8], node_secret: &[u8]) -> Result<Self> {
        let info =
            pkcs8::EncryptedPrivateKeyInfoRef::from_der(sealed_der).ctx("encrypted private key")?;
        let plain = info.decrypt(node_secret).map_err(|_| Error::Decrypt)?;
        Self::from_pkcs8_der(plain.as_bytes()).map_err(|_| Error::Decrypt)
    }

    /// The `SubjectPublicKeyInfo` of the matching public key.
    pub fn public_key_info(&self) -> Result<SubjectPublicKeyInfoOwned> {
        let der = match &self.inner {
            KeyInner::Rsa(k) => k.as_public_key().to_public_key_der(),
            KeyInner::P256(k) => k.verifying_key().to_public_key_der(),
        }
        .map_err(|e| Error::Key(e.to_string()))?;
        SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).ctx("public key")
    }

    /// The signature algorithm identifier used by [`PrivateKey::sign`].
    pub fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match &self.inner {
            // RFC 4055: sha256WithRSAEncryption parameters MUST be NULL.
            KeyInner::Rsa(_) => AlgorithmIdentifierOwned {
                oid: oids::SHA256_WITH_RSA,
                parameters: Some(der::Any::from(AnyRef::NULL)),
            },
            // RFC 5758: ecdsa-with-SHA256 parameters MUST be absent.
            KeyInner::P256(_) => AlgorithmIdentifierOwned {
                oid: oids::ECDSA_WITH_SHA256,
                parameters: None,
            },
        }
    }

    /// Signs `message` with SHA-256 (RSA PKCS#1 v1.5, or ECDSA with a DER
    /// `Ecdsa-Sig-Value`). Returns the raw signature bytes.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mut rng = rand::rng();
        match &self.inner {
            KeyInner::Rsa(k) => {
                let digest = Sha256::digest(message);
                // Blinded signing: the TSA signs on request, so key operations
                // must not leak timing even with the constant-time bigint backend.
                k.sign_with_rng(&mut rng, Pkcs1v15Sign::new::<Sha256>(), &digest)
                    .map_err(|e| Error::Key(e.to_string()))
            }
            KeyInner::P256(k) => {
                let sig: p256::ecdsa::DerSignature = k
                    .try_sign_with_rng(&mut rng, message)
                    .map_err(|e| Error::Key(e.to_string()))?;
                Ok(sig.to_bytes().to_vec())
            }
        }
    }
}

/// Digest algorithms accepted in signatures we verify and produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DigestAlgorithm {
    /// SHA-256 (what we produce).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// Maps a digest OID; `None` for anything else (SHA-1, MD5 are refused).
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        if *oid == oids::SHA256 {
            Some(Self::Sha256)
        } else if *oid == oids::SHA384 {
            Some(Self::Sha384)
        } else if *oid == oids::SHA512 {
            Some(Self::Sha512)
        } else {
            None
        }
    }

    /// The OID of this digest.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha256 => oids::SHA256,
            Self::Sha384 => oids::SHA384,
            Self::Sha512 => oids::SHA512,
        }
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        self.digest_parts(&[data])
    }

    /// Hashes the concatenation of `parts` without copying them together.
    pub fn digest_parts(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize().to_vec()
        }
        match self {
            Self::Sha256 => run::<Sha256>(parts),
            Self::Sha384 => run::<Sha384>(parts),
            Self::Sha512 => run::<Sha512>(parts),
        }
    }

    /// Name for reports, e.g. "sha-256".
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureCheckError {
    /// The signature algorithm or key type is not implemented.
    #[error("unsupported signature algorithm {0}")]
    Unsupported(String),
    /// The public key could not be decoded.
    #[error("malformed public key: {0}")]
    BadKey(String),
    /// The signature does not match.
    #[error("signature does not verify")]
    Mismatch,
}

/// Verifies `signature` over `message` with the key in `spki`.
///
/// `algorithm_identifier` is the signature algorithm (RSA PKCS#1 v1.5,
/// RSASSA-PSS or ECDSA on P-256, with SHA-256/384/512). Where it names only the key
/// type (`rsaEncryption`, as OpenSSL writes in CMS `SignerInfo`s), the digest
/// comes from `digest_hint`.
pub fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm_identifier: &AlgorithmIdentifierOwned,
    digest_hint: Option<DigestAlgorithm>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureCheckError> {
    use DigestAlgorithm as D;
    let algorithm = &algorithm_identifier.oid;
    if *algorithm == oids::RSASSA_PSS {
        return verify_rsa_pss(spki, algorithm_identifier, message, signature);
    }
    let (family, digest) = if *algorithm == oids::SHA256_WITH_RSA {
        ("rsa", D::Sha256)
    } else if *algorithm == oids::SHA384_WITH_RSA {
        ("rsa", D::Sha384)
    } else if *algorithm == oids::SHA512_WITH_RSA {
        ("rsa", D::Sha512)
    } else if *algorithm == oids::RSA_ENCRYPTION {
        (
            "rsa",
            digest_hint.ok_or_else(|| {
                SignatureCheckError::Unsupported("rsaEncryption without digest".into())
            })?,
        )
    } else if *algorithm == oids::ECDSA_WITH_SHA256 {
        ("ec", D::Sha256)
    } else if *algorithm == oids::ECDSA_WITH_SHA384 {
        ("ec", D::Sha384)
    } else if *algorithm == oids::ECDSA_WITH_SHA512 {
        ("ec", D::Sha512)
    } else if *algorithm == oids::EC_PUBLIC_KEY {
        (
            "ec",
            digest_hint.ok_or_else(|| {
                SignatureCheckError::Unsupported("ecPublicKey without digest".into())
            })?,
        )
    } else {
        return Err(SignatureCheckError::Unsupported(oids::name(algorithm)));
    };
    let spki_der = spki
        .to_der()
        .map_err(|e| SignatureCheckError::BadKey(e.to_string()))?;
    let hashed = digest.digest(message);
    match family {
        "rsa" => {
            if spki.algorithm.oid != oids::RSA_ENCRYPTION {
                return Err(SignatureCheckError::BadKey(
                    "rsa signature with a non-rsa key".into(),
                ));
            }
            let key = rsa::PublicKey::from_public_key_der(&spki_der)
                .map_err(|e| SignatureCheckError::BadKey(e.to_string()))?;
            let scheme = match digest {
                D::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
                D::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
                D::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
            };
            key.verify(scheme, &hashed, signature)
                .map_err(|_| SignatureCheckError::Mismatch)
        }
        _ => {
            use p256::ecdsa::signature::hazmat::PrehashVerifier;
            if spki.algorithm.oid != oids::EC_PUBLIC_KEY {
                return Err(SignatureCheckError::BadKey(
                    "ecdsa signature with a non-ec key".into(),
                ));
            }
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            if curve != Some(oids::SECP256R1) {
                return Err(SignatureCheckError::Unsupported(format!(
                    "elliptic curve {}",
                    curve
                        .map(|c| oids::name(&c))
                        .unwrap_or_else(|| "unknown".into())
                )));
            }
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki_der)
                .map_err(|e| SignatureCheckError::BadKey(e.to_string()))?;
            let sig = p256::ecdsa::Signature::from_der(signature)
                .map_err(|_| SignatureCheckError::Mismatch)?;
            key.verify_prehash(&hashed, &sig)
                .map_err(|_| SignatureCheckError::Mismatch)
        }
    }
}

/// RSASSA-PSS (RFC 4055): the hash, MGF1 hash and salt length come from
/// the algorithm parameters; the MGF1 hash must equal the message hash.
fn verify_rsa_pss(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureCheckError> {
    use rsa::pss::Pss;
    let unsupported = |what: &str| SignatureCheckError::Unsupported(format!("RSASSA-PSS {what}"));
    let params_der = algorithm
        .parameters
        .as_ref()
        .ok_or_else(|| unsupported("without parameters"))?
        .to_der()
        .map_err(|_| unsupported("parameters"))?;
    let params = rsa::pkcs1::RsaPssParams::<der::Any>::try_from(params_der.as_slice())
        .map_err(|_| unsupported("with malformed parameters"))?;
    let digest = DigestAlgorithm::from_oid(&params.hash.oid)
        .ok_or_else(|| unsupported("with an obsolete hash"))?;
    let mgf_hash = params.mask_gen.parameters.as_ref().map(|p| p.oid);
    if mgf_hash != Some(params.hash.oid) {
        return Err(unsupported(
            "with a mask hash different from the message hash",
        ));
    }
    let salt = usize::from(params.salt_len);
    let spki_der = spki
        .to_der()
        .map_err(|e| SignatureCheckError::BadKey(e.to_string()))?;
    let key = rsa::PublicKey::from_public_key_der(&spki_der)
        .map_err(|e| SignatureCheckError::BadKey(e.to_string()))?;
    let hashed = digest.digest(message);
    let result = match digest {
        DigestAlgorithm::Sha256 => {
            key.verify(Pss::<Sha256>::new_with_salt(salt), &hashed, signature)
        }
        DigestAlgorithm::Sha384 => {
            key.verify(Pss::<Sha384>::new_with_salt(salt), &hashed, signature)
        }
        DigestAlgorithm::Sha512 => {
            key.verify(Pss::<Sha512>::new_with_salt(salt), &hashed, signature)
        }
    };
    result.map_err(|_| SignatureCheckError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_round_trip(algorithm: KeyAlgorithm) {
        let key = PrivateKey::generate(algorithm).unwrap();
        let spki = key.public_key_info().unwrap();
        let sig = key.sign(b"hello").unwrap();
        let alg = key.signature_algorithm();
        verify_signature(&spki, &alg, None, b"hello", &sig).unwrap();
        assert_eq!(
            verify_signature(&spki, &alg, None, b"hellp", &sig),
            Err(SignatureCheckError::Mismatch)
        );
        let sealed = key.seal(b"0123456789abcdef-node-secret").unwrap();
        let opened = PrivateKey::open(&sealed, b"0123456789abcdef-node-secret").unwrap();
        assert_eq!(opened.public_key_info().unwrap(), spki);
        assert!(matches!(
            PrivateKey::open(&sealed, b"0123456789abcdef-wrong-secret"),
            Err(Error::Decrypt)
        ));
        let pem = key.to_pkcs8_pem().unwrap();
        assert_eq!(
            PrivateKey::from_pkcs8_pem(&pem)
                .unwrap()
                .public_key_info()
                .unwrap(),
            spki
        );
        let debug = format!("{key:?}");
        assert!(debug.contains("redacted"), "{debug}");
        assert!(!debug.contains(&pem[40..60]), "{debug}");
    }

    #[test]
    fn p256_round_trip() {
        check_round_trip(KeyAlgorithm::EcdsaP256);
    }

    #[test]
    fn rsa_round_trip() {
        check_round_trip(KeyAlgorithm::Rsa2048);
    }

    #[test]
    fn short_secret_refused() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        assert!(matches!(key.seal(b"short"), Err(Error::SecretTooShort(5))));
    }

    #[test]
    fn garbage_is_an_error() {
        for input in [&b""[..], b"\x30\x03\x02\x01", b"not der at all"] {
            assert!(PrivateKey::from_pkcs8_der(input).is_err());
            assert!(PrivateKey::open(input, b"0123456789abcdef").is_err());
        }
    }
}
