//! CSRF protection: signed, single-use form tokens.
//!
//! A token is `nonce(16) || expiry(8) || HMAC-SHA256(key, binding || nonce ||
//! expiry)[..16]`, base64url. The binding is the session (or, before login,
//! a random pre-session cookie), so a token stolen from one browser is
//! useless in another. Each token is accepted once: its nonce is recorded
//! when used, so a replayed form is refused with a clear message.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use congso_core::time::Timestamp;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::AppState;

/// How long a rendered form stays valid.
pub const LIFETIME_SECONDS: i64 = 2 * 3600;
const TAG_LEN: usize = 16;

fn tag(key: &[u8; 32], binding: &[u8], nonce: &[u8], expiry: &[u8]) -> [u8; TAG_LEN] {
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC accepts keys of any length; this branch cannot run.
        Err(_) => return [0; TAG_LEN],
    };
    mac.update(b"congso-csrf-v1");
    mac.update(&(binding.len() as u32).to_be_bytes());
    mac.update(binding);
    mac.update(nonce);
    mac.update(expiry);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&full[..TAG_LEN]);
    out
}

/// Makes a token for a form shown to the holder of `binding`.
pub fn issue(key: &[u8; 32], binding: &[u8], now: Timestamp) -> String {
    let nonce = congso_store::secrets::random_bytes::<16>();
    let expiry = now.plus_seconds(LIFETIME_SECONDS).micros().to_be_bytes();
    let mut token = Vec::with_capacity(16 + 8 + TAG_LEN);
    token.extend_from_slice(&nonce);
    token.extend_from_slice(&expiry);
    token.extend_from_slice(&tag(key, binding, &nonce, &expiry));
    URL_SAFE_NO_PAD.encode(token)
}

/// Why a token was refused (logged, never shown in detail).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The form was posted from another site (its `Origin` names it).
    CrossOrigin,
    Missing,
    Malformed,
    WrongBinding,
    Expired,
    Replayed,
}

/// Checks a token and consumes it.
pub async fn check(
    state: &AppState,
    binding: &[u8],
    token: Option<&str>,
    now: Timestamp,
) -> Result<(), Refusal> {
    let token = token.ok_or(Refusal::Missing)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| Refusal::Malformed)?;
    if bytes.len() != 16 + 8 + TAG_LEN {
        return Err(Refusal::Malformed);
    }
    let (nonce, rest) = bytes.split_at(16);
    let (expiry, given_tag) = rest.split_at(8);
    let expected = tag(state.csrf_key(), binding, nonce, expiry);
    use subtle::ConstantTimeEq;
    if !bool::from(expected.ct_eq(given_tag)) {
        return Err(Refusal::WrongBinding);
    }
    let mut expiry_bytes = [0u8; 8];
    expiry_bytes.copy_from_slice(expiry);
    let expires_at = Timestamp(i64::from_be_bytes(expiry_bytes));
    if expires_at <= now {
        return Err(Refusal::Expired);
    }
    match congso_store::accounts::consume_csrf_nonce(state.db(), nonce, expires_at).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Refusal::Replayed),
        Err(error) => {
            tracing::error!(%error, "cannot record csrf nonce");
            Err(Refusal::Malformed)
        }
    }
}
