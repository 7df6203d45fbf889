//! Opened private keys, kept in memory for the life of the process.
//!
//! Opening a sealed key runs PBKDF2 (100,000 rounds), tens of milliseconds;
//! the CA and TSA keys are needed on every CRL and every timestamp, and the
//! web layer opens the node PKI per request. The cache is keyed by the
//! SHA-256 of the node secret and the sealed bytes together, so a key is only
//! ever found by someone who holds both, and a re-sealed or replaced key is
//! a different entry. It is bounded; when full it starts over.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use congso_pki::PrivateKey;
use sha2::{Digest, Sha256};

const CAPACITY: usize = 256;

fn cache() -> &'static Mutex<HashMap<[u8; 32], PrivateKey>> {
    static CACHE: OnceLock<Mutex<HashMap<[u8; 32], PrivateKey>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn cache_key(secret: &[u8], sealed: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((secret.len() as u64).to_be_bytes());
    hasher.update(secret);
    hasher.update(sealed);
    hasher.finalize().into()
}

/// Opens `sealed` with `secret`, from the cache when it was opened before.
pub(crate) fn open(sealed: &[u8], secret: &[u8]) -> congso_pki::Result<PrivateKey> {
    let key = cache_key(secret, sealed);
    if let Some(found) = cache().lock().ok().and_then(|map| map.get(&key).cloned()) {
        return Ok(found);
    }
    let opened = PrivateKey::open(sealed, secret)?;
    if let Ok(mut map) = cache().lock() {
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(key, opened.clone());
    }
    Ok(opened)
}
