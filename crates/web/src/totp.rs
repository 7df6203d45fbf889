//! TOTP second factor (RFC 6238: SHA-1, 6 digits, 30-second steps), the
//! algorithm every common authenticator app implements.

use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per TOTP step.
pub const STEP: u64 = 30;

/// A fresh random 160-bit secret, base32-encoded for people and apps.
pub fn generate_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

fn totp(secret_base32: &str, account: &str, issuer: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_owned()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        bytes,
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .ok()
}

/// The `otpauth://` URI an authenticator app imports (also shown as a QR code).
pub fn provisioning_uri(secret_base32: &str, account: &str, issuer: &str) -> Option<String> {
    totp(secret_base32, account, issuer).map(|totp| totp.get_url())
}

/// Checks `code` at `unix_time`, allowing one step of clock skew either way.
/// Returns the time step that matched, so the caller can refuse its reuse.
pub fn verify(secret_base32: &str, code: &str, unix_time: u64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret_base32, "x", "congso")?;
    let now_step = unix_time / STEP;
    [now_step.checked_sub(1), Some(now_step), Some(now_step + 1)]
        .into_iter()
        .flatten()
        .find(|step| {
            use subtle::ConstantTimeEq;
            let expected = totp.generate(step * STEP);
            bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
        })
        .map(|step| step as i64)
}

/// The code for `unix_time` (for tests and the demo's printed hints).
pub fn code_at(secret_base32: &str, unix_time: u64) -> Option<String> {
    totp(secret_base32, "x", "congso").map(|totp| totp.generate(unix_time))
}

/// An SVG QR code for `text`, or `None` if it does not fit.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 secret "12345678901234567890".
    #[test]
    fn rfc6238_vectors() {
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        for (time, expected) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(&secret, time).unwrap(), expected, "t={time}");
            assert!(verify(&secret, expected, time).is_some());
        }
    }

    #[test]
    fn skew_and_garbage() {
        let secret = generate_secret();
        let code = code_at(&secret, 1_800_000_000).unwrap();
        assert_eq!(
            verify(&secret, &code, 1_800_000_000 + 30),
            Some(1_800_000_000 / 30)
        );
        assert_eq!(verify(&secret, &code, 1_800_000_000 + 90), None);
        assert_eq!(verify(&secret, "12345", 0), None);
        assert_eq!(verify(&secret, "abcdef", 0), None);
        assert!(provisioning_uri(&secret, "quantri", "congso")
            .unwrap()
            .starts_with("otpauth://totp/"));
        assert!(qr_svg("otpauth://totp/x").unwrap().contains("<svg"));
    }
}
