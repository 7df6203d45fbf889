//! Import of a certificate and key from PKCS#12 (`.p12`/`.pfx`), as made by
//! `openssl pkcs12 -export` with OpenSSL 3 defaults (PBES2 with
//! PBKDF2-HMAC-SHA256 and AES-256-CBC for both bags, HMAC-SHA256 MAC).
//!
//! The PKCS#12 structures are declared here with `der` derives. The MAC key
//! derivation (RFC 7292 Appendix B) is written out below: the only crate
//! that implements it (`pkcs12`) is published for an older `der`/`digest`
//! generation or pinned to an unreleased `cms`, and the function is a short,
//! fixed composition of SHA-256 calls, checked here against OpenSSL output.
//! Legacy files (RC2/3DES with SHA-1, from OpenSSL 1.x or old Windows) are
//! refused with a message that says how to re-export them.

use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Sequence};
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use crate::ca::SignerIdentity;
use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::keys::PrivateKey;
use crate::oids;

/// Upper bound on the PKCS#12 KDF and PBKDF2 iteration counts we accept, so
/// that a hostile file cannot make the import spin for minutes.
const MAX_ITERATIONS: u64 = 10_000_000;

#[derive(Sequence)]
struct Pfx {
    version: u8,
    auth_safe: cms::content_info::ContentInfo,
    mac_data: Option<MacData>,
}

#[derive(Sequence)]
struct MacData {
    mac: DigestInfo,
    mac_salt: OctetString,
    #[asn1(default = "one")]
    iterations: u64,
}

fn one() -> u64 {
    1
}

#[derive(Sequence)]
struct DigestInfo {
    algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

#[derive(Sequence)]
struct SafeBag {
    bag_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    bag_value: Any,
    bag_attributes: Option<SetOfVec<x509_cert::attr::Attribute>>,
}

#[derive(Sequence)]
struct CertBag {
    cert_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    cert_value: OctetString,
}

fn bad(detail: impl Into<String>) -> Error {
    Error::Pkcs12(detail.into())
}

/// Imports the key and its certificate (plus any other certificates, as the
/// chain) from a password-protected PKCS#12 file.
pub fn import_pkcs12(data: &[u8], password: &str) -> Result<SignerIdentity> {
    let pfx = Pfx::from_der(data).map_err(|e| bad(format!("not a pkcs#12 file: {e}")))?;
    if pfx.version != 3 {
        return Err(bad(format!("unsupported version {}", pfx.version)));
    }
    if pfx.auth_safe.content_type != oids::CMS_DATA {
        return Err(bad(
            "public-key integrity mode is not supported, only password mode",
        ));
    }
    let auth_safe = pfx
        .auth_safe
        .content
        .decode_as::<OctetString>()
        .map_err(|e| bad(format!("malformed authSafe: {e}")))?;
    let mac_data = pfx
        .mac_data
        .ok_or_else(|| bad("no mac: the file's integrity cannot be checked"))?;
    verify_mac(&mac_data, auth_safe.as_bytes(), password)?;

    let contents: Vec<cms::content_info::ContentInfo> = Vec::from_der(auth_safe.as_bytes())
        .map_err(|e| bad(format!("malformed authenticated safe: {e}")))?;
    let mut keys = Vec::new();
    let mut certs = Vec::new();
    for content in contents {
        let safe_contents: Zeroizing<Vec<u8>> = if content.content_type == oids::CMS_DATA {
            let octets = content
                .content
                .decode_as::<OctetString>()
                .map_err(|e| bad(format!("malformed data: {e}")))?;
            Zeroizing::new(octets.as_bytes().to_vec())
        } else if content.content_type == oids::CMS_ENCRYPTED_DATA {
            let encrypted = content
                .content
                .decode_as::<cms::encrypted_data::EncryptedData>()
                .map_err(|e| bad(format!("malformed encrypted data: {e}")))?;
            let info = encrypted.enc_content_info;
            let ciphertext = info
                .encrypted_content
                .ok_or_else(|| bad("encrypted data without content"))?;
            Zeroizing::new(decrypt(
                &info.content_enc_alg,
                ciphertext.as_bytes(),
                password,
            )?)
        } else {
            return Err(bad(format!(
                "unsupported content type {}",
                oids::name(&content.content_type)
            )));
        };
        let bags: Vec<SafeBag> = Vec::from_der(&safe_contents)
            .map_err(|e| bad(format!("malformed safe contents: {e}")))?;
        for bag in bags {
            if bag.bag_id == oids::PKCS12_CERT_BAG {
                let cert_bag = bag
                    .bag_value
                    .decode_as::<CertBag>()
                    .map_err(|e| bad(format!("malformed cert bag: {e}")))?;
                if cert_bag.cert_id == oids::PKCS9_X509_CERTIFICATE {
                    certs.push(Certificate::from_der(cert_bag.cert_value.as_bytes())?);
                }
            } else if bag.bag_id == oids::PKCS12_SHROUDED_KEY_BAG {
                let der = Zeroizing::new(
                    der::Encode::to_der(&bag.bag_value).map_err(|e| bad(e.to_string()))?,
                );
                let encrypted = pkcs8::EncryptedPrivateKeyInfoRef::from_der(&der)
                    .map_err(|e| bad(format!("malformed shrouded key bag: {e}")))?;
                let plain = encrypted.decrypt(password.as_bytes()).map_err(|_| {
                    bad("cannot decrypt the private key: wrong password or unsupported encryption")
                })?;
                keys.push(PrivateKey::from_pkcs8_der(plain.as_bytes())?);
            } else if bag.bag_id == oids::PKCS12_KEY_BAG {
                let der = der::Encode::to_der(&bag.bag_value).map_err(|e| bad(e.to_string()))?;
                keys.push(PrivateKey::from_pkcs8_der(&Zeroizing::new(der))?);
            }
        }
    }
    let key = match keys.len() {
        1 => keys.remove(0),
        0 => return Err(bad("no private key in the file")),
        n => return Err(bad(format!("{n} private keys in the file, expected one"))),
    };
    let spki = key.public_key_info()?;
    let index = certs
        .iter()
        .position(|c| *c.public_key_info() == spki)
        .ok_or_else(|| bad("no certificate matches the private key"))?;
    let certificate = certs.remove(index);
    SignerIdentity::new(certificate, key, certs)
}

fn decrypt(
    algorithm: &AlgorithmIdentifierOwned,
    ciphertext: &[u8],
    password: &str,
) -> Result<Vec<u8>> {
    let der = der::Encode::to_der(algorithm).map_err(|e| bad(e.to_string()))?;
    let scheme = pkcs5::EncryptionScheme::try_from(der.as_slice()).map_err(|_| {
        bad(format!(
            "unsupported encryption {} (legacy pkcs#12? re-export with `openssl pkcs12 -export` from OpenSSL 3, \
             which uses AES-256-CBC)",
            oids::name(&algorithm.oid)
        ))
    })?;
    let Some(pbes2) = scheme.pbes2() else {
        return Err(bad(
            "legacy PBES1 encryption (RC2/3DES with SHA-1) is not supported; re-export with AES-256-CBC",
        ));
    };
    if let pkcs5::pbes2::Kdf::Pbkdf2(params) = &pbes2.kdf {
        if u64::from(params.iteration_count) > MAX_ITERATIONS {
            return Err(bad("iteration count too large"));
        }
    }
    scheme
        .decrypt(password.as_bytes(), ciphertext)
        .map_err(|_| bad("wrong password or corrupt file"))
}

fn verify_mac(mac_data: &MacData, content: &[u8], password: &str) -> Result<()> {
    if mac_data.mac.algorithm.oid != oids::SHA256 {
        return Err(bad(format!(
            "unsupported mac digest {} (only SHA-256, the OpenSSL 3 default)",
            oids::name(&mac_data.mac.algorithm.oid)
        )));
    }
    if mac_data.iterations == 0 || mac_data.iterations > MAX_ITERATIONS {
        return Err(bad("mac iteration count out of range"));
    }
    let key = pkcs12_kdf_sha256(
        password,
        mac_data.mac_salt.as_bytes(),
        3,
        mac_data.iterations,
        32,
    );
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&key).map_err(|_| bad("mac key"))?;
    mac.update(content);
    mac.verify_slice(mac_data.mac.digest.as_bytes())
        .map_err(|_| bad("mac does not verify: wrong password or corrupt file"))
}

/// RFC 7292 Appendix B.2 key derivation with SHA-256 (u = 32, v = 64).
/// `id` is 1 for encryption keys, 2 for IVs, 3 for MAC keys.
fn pkcs12_kdf_sha256(
    password: &str,
    salt: &[u8],
    id: u8,
    iterations: u64,
    out_len: usize,
) -> Zeroizing<Vec<u8>> {
    const U: usize = 32;
    const V: usize = 64;
    // The password as a BMPString (UTF-16 big endian) with two zero bytes.
    let mut pass = Zeroizing::new(Vec::with_capacity(password.len() * 2 + 2));
    for unit in password.encode_utf16() {
        pass.extend_from_slice(&unit.to_be_bytes());
    }
    pass.extend_from_slice(&[0, 0]);
    let repeat = |input: &[u8]| -> Vec<u8> {
        if input.is_empty() {
            return Vec::new();
        }
        let len = V * input.len().div_ceil(V);
        input.iter().copied().cycle().take(len).collect()
    };
    let mut i_block = Zeroizing::new(repeat(salt));
    i_block.extend_from_slice(&repeat(&pass));
    let d = [id; V];
    let mut out = Zeroizing::new(Vec::with_capacity(out_len + U));
    while out.len() < out_len {
        let mut a = Sha256::new()
            .chain_update(d)
            .chain_update(&*i_block)
            .finalize();
        for _ in 1..iterations {
            a = Sha256::digest(a);
        }
        out.extend_from_slice(&a);
        // B = A repeated to V bytes; each V-byte block of I becomes I_j + B + 1.
        let b: Vec<u8> = a.iter().copied().cycle().take(V).collect();
        for chunk in i_block.chunks_mut(V) {
            let mut carry: u16 = 1;
            for (x, y) in chunk.iter_mut().rev().zip(b.iter().rev()) {
                let sum = u16::from(*x) + u16::from(*y) + carry;
                *x = (sum & 0xff) as u8;
                carry = sum >> 8;
            }
        }
    }
    out.truncate(out_len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused() {
        for input in [&b""[..], b"\x30\x00", b"not a pfx"] {
            assert!(matches!(import_pkcs12(input, "x"), Err(Error::Pkcs12(_))));
        }
    }
}

#[cfg(test)]
mod fixture_tests {
    use super::*;

    // Fixtures made with OpenSSL 3.0 `openssl pkcs12 -export` defaults
    // (see tests/data/README.md).
    const RSA_P12: &[u8] = include_bytes!("../tests/data/openssl3-rsa.p12");
    const RSA_PEM: &[u8] = include_bytes!("../tests/data/openssl3-rsa.pem");
    const EC_P12: &[u8] = include_bytes!("../tests/data/openssl3-ec-with-extra-cert.p12");
    const EC_PEM: &[u8] = include_bytes!("../tests/data/openssl3-ec.pem");

    #[test]
    fn imports_openssl3_rsa_with_unicode_password() {
        let identity = import_pkcs12(RSA_P12, "mật khẩu").unwrap();
        assert_eq!(
            identity.certificate(),
            &Certificate::from_pem(RSA_PEM).unwrap()
        );
        assert_eq!(
            identity.certificate().common_name().as_deref(),
            Some("Trần Thị Bình")
        );
        assert!(identity.chain().is_empty());
    }

    #[test]
    fn imports_openssl3_ec_with_extra_certificate() {
        let identity = import_pkcs12(EC_P12, "secret").unwrap();
        assert_eq!(
            identity.certificate(),
            &Certificate::from_pem(EC_PEM).unwrap()
        );
        assert_eq!(identity.chain(), &[Certificate::from_pem(RSA_PEM).unwrap()]);
    }

    #[test]
    fn wrong_password_and_corruption_are_refused() {
        let check = |data: &[u8], password: &str, expected: &str| {
            let err = import_pkcs12(data, password).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        };
        check(RSA_P12, "wrong", "mac does not verify");
        let mut corrupt = RSA_P12.to_vec();
        let middle = corrupt.len() / 2;
        corrupt[middle] ^= 1;
        check(&corrupt, "mật khẩu", "");
        check(
            &RSA_P12[..RSA_P12.len() - 10],
            "mật khẩu",
            "not a pkcs#12 file",
        );
    }
}
