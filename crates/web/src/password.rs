//! Password hashing (Argon2id) and the password policy.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

/// Hashes and verifies passwords with Argon2id. Hashing is deliberately
/// slow, so it always runs on the blocking pool, never on the async workers.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    /// A real hash of a random password, verified against when an account
    /// does not exist so both paths take the same time.
    dummy_hash: String,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .finish()
    }
}

impl Hasher {
    pub fn new(memory_kib: u32, iterations: u32) -> Hasher {
        let params = Params::new(memory_kib.max(8), iterations.max(1), 1, None)
            .unwrap_or_else(|_| Params::default());
        let mut hasher = Hasher {
            params,
            dummy_hash: String::new(),
        };
        hasher.dummy_hash = hasher
            .hash_blocking(&generate_temporary_password())
            .unwrap_or_default();
        hasher
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes on the current thread (for the CLI and start-up).
    pub fn hash_blocking(&self, password: &str) -> Result<String, argon2::password_hash::Error> {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Ok(self
            .argon2()
            .hash_password(password.as_bytes(), &salt)?
            .to_string())
    }

    /// Hashes on the blocking pool.
    pub async fn hash(&self, password: String) -> Result<String, crate::AppError> {
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || hasher.hash_blocking(&password))
            .await
            .map_err(|error| crate::AppError::internal(format!("hash task failed: {error}")))?
            .map_err(|error| crate::AppError::internal(format!("argon2: {error}")))
    }

    /// Verifies on the blocking pool. With `hash == None` (no such
    /// account) it verifies against a dummy hash and returns false, taking
    /// as long as a real check.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| hasher.dummy_hash.clone());
            let matches = verify_hash(&hasher.argon2(), &password, &hash);
            known && matches
        })
        .await
        .unwrap_or(false)
    }

    /// Verifies on the current thread.
    pub fn verify_blocking(&self, password: &str, hash: &str) -> bool {
        verify_hash(&self.argon2(), password, hash)
    }
}

fn verify_hash(argon2: &Argon2<'_>, password: &str, hash: &str) -> bool {
    // The parameters stored in the hash win, so old hashes stay valid when
    // the configured cost changes.
    PasswordHash::new(hash)
        .map(|parsed| argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Why a password is refused: an i18n message id and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyViolation {
    pub message_id: &'static str,
    pub args: Vec<(&'static str, String)>,
}

/// A short list of the most common passwords, checked case-insensitively.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "password123",
    "password1234",
    "matkhau123",
    "matkhau1234",
    "qwertyuiop",
    "1234567890a",
    "abc1234567",
    "iloveyou123",
    "admin12345",
    "administrator",
    "congso2026",
    "vietnam123",
    "0123456789",
    "1111111111",
    "aaaaaaaaaa",
    "passw0rd123",
    "welcome123",
];

/// Checks a new password against the policy: length and a few obvious
/// weaknesses. It does not demand character classes (NIST SP 800-63B).
pub fn check_policy(password: &str, username: &str) -> Result<(), PolicyViolation> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PolicyViolation {
            message_id: "password-too-short",
            args: vec![("min", MIN_LENGTH.to_string())],
        });
    }
    if length > MAX_LENGTH {
        return Err(PolicyViolation {
            message_id: "password-too-long",
            args: vec![("max", MAX_LENGTH.to_string())],
        });
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(PolicyViolation {
            message_id: "password-contains-username",
            args: Vec::new(),
        });
    }
    let distinct: std::collections::HashSet<char> = lower.chars().collect();
    if COMMON.contains(&lower.as_str()) || distinct.len() < 4 {
        return Err(PolicyViolation {
            message_id: "password-too-common",
            args: Vec::new(),
        });
    }
    Ok(())
}

/// A random 16-character password without look-alike characters.
pub fn generate_temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hasher = Hasher::new(1024, 1);
        let hash = hasher.hash_blocking("mật khẩu rất dài 2026").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"));
        assert!(hasher.verify_blocking("mật khẩu rất dài 2026", &hash));
        assert!(!hasher.verify_blocking("mật khẩu rất dài 2027", &hash));
        assert!(!hasher.verify_blocking("x", "not a hash"));
    }

    #[test]
    fn policy() {
        let check = |password: &str| check_policy(password, "lan.nt").err().map(|v| v.message_id);
        assert_eq!(check("ngắn"), Some("password-too-short"));
        assert_eq!(check("lan.nt-2026-ok"), Some("password-contains-username"));
        assert_eq!(check("Password123"), Some("password-too-common"));
        assert_eq!(check("aaaaabbbbbbb"), Some("password-too-common"));
        assert_eq!(check("ca dao tục ngữ 2026"), None);
        assert_eq!(check(&"x1y2".repeat(70)), Some("password-too-long"));
        assert!(check_policy(&generate_temporary_password(), "lan.nt").is_ok());
    }
}
