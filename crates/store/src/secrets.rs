//! Node secrets sealed at rest with the node master key.
//!
//! Secrets that every replica of a node needs (the ledger signing key, the
//! CSRF key, TOTP seeds) live in the database, sealed with XChaCha20-Poly1305
//! under a 256-bit master key that never enters the database. The master key
//! comes from a file in the data directory (created on first start, mode
//! 0600) or from configuration, so a stolen database dump alone reveals no
//! secret.

use std::path::Path;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::db::Db;
use crate::error::{Result, StoreError};

const NONCE_LEN: usize = 24;

/// The 256-bit node master key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        MasterKey(key)
    }

    /// Parses the base64 form used in files and configuration.
    pub fn from_base64(text: &str) -> Result<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|error| StoreError::Secret(format!("master key is not base64: {error}")))?;
        let key: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            StoreError::Secret(format!(
                "master key must be 32 bytes, found {}",
                bytes.len()
            ))
        })?;
        Ok(MasterKey(key))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// Reads the key file, creating it (mode 0600) with a fresh key if absent.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => MasterKey::from_base64(&text)
                .map_err(|error| StoreError::Secret(format!("{}: {error}", path.display()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = MasterKey::generate();
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                write_private_file(path, key.to_base64().as_bytes())?;
                Ok(key)
            }
            Err(error) => Err(StoreError::Secret(format!(
                "cannot read master key {}: {error}",
                path.display()
            ))),
        }
    }

    pub fn sealer(&self) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(&self.0.into()),
        }
    }
}

/// Writes a file readable only by its owner, atomically (temp file + rename).
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let directory = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(directory)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Seals and opens small secrets with the master key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

impl Sealer {
    /// Encrypts `plaintext`, binding it to `context` (for example the column
    /// and row it belongs to) so a sealed value cannot be moved elsewhere.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Secret("sealing failed".to_owned()))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return Err(StoreError::Secret(format!("sealed {context} is truncated")));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::Secret(format!(
                    "cannot open sealed {context}: wrong master key or altered data"
                ))
            })
    }
}

/// Returns the named node secret, creating it with `generate` the first time.
///
/// Replicas racing to create the same secret converge on the first one
/// written: the insert does nothing on conflict and everyone re-reads.
pub async fn node_secret(
    db: &Db,
    sealer: &Sealer,
    name: &str,
    generate: impl FnOnce() -> Vec<u8>,
) -> Result<Vec<u8>> {
    let context = format!("node_secrets/{name}");
    let existing: Option<Vec<u8>> = on_write!(db, |pool| {
        sqlx::query_scalar("SELECT sealed FROM node_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await?
    });
    if let Some(sealed) = existing {
        return sealer.open(&sealed, &context);
    }
    let sealed = sealer.seal(&generate(), &context)?;
    let now = crate::now().micros();
    on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO node_secrets (name, sealed, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&sealed)
        .bind(now)
        .execute(pool)
        .await?;
    });
    let stored: Vec<u8> = on_write!(db, |pool| {
        sqlx::query_scalar("SELECT sealed FROM node_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await?
    });
    sealer.open(&stored, &context)
}

/// Random bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// Reads a `node_meta` value.
pub async fn meta_get(db: &Db, key: &str) -> Result<Option<String>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_scalar("SELECT value FROM node_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?
    }))
}

/// Sets a `node_meta` value.
pub async fn meta_set(db: &Db, key: &str, value: &str) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO node_meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Sets a `node_meta` value only if it is not set yet; returns the value
/// that is stored afterwards.
pub async fn meta_init(db: &Db, key: &str, value: &str) -> Result<String> {
    on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(pool)
        .await?;
    });
    meta_get(db, key)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("node_meta {key} vanished after insert")))
}
