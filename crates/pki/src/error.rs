//! The one error type of the crate.
//!
//! Verification problems found in a signature are *not* errors: they become
//! reasons in a [`crate::ValidationReport`]. An `Error` means the caller asked
//! for something impossible (bad key, malformed input to a builder, a secret
//! too short) or that an input could not be parsed at all.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// DER or PEM input could not be decoded (or an encoder failed).
    #[error("malformed {what}: {source}")]
    Der {
        /// What was being decoded, e.g. "certificate".
        what: &'static str,
        /// The underlying decoder error.
        source: der::Error,
    },
    /// Input was neither PEM nor DER of the expected kind.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// Why it was rejected.
        detail: String,
    },
    /// An algorithm that this crate does not implement.
    #[error("unsupported {what}: {detail}")]
    Unsupported {
        /// Kind of algorithm or feature.
        what: &'static str,
        /// The OID or name seen.
        detail: String,
    },
    /// Key generation, signing or key decoding failed.
    #[error("key error: {0}")]
    Key(String),
    /// Encrypted private key could not be opened (wrong node secret or corrupt data).
    #[error("cannot decrypt private key: wrong secret or corrupt data")]
    Decrypt,
    /// The node secret used to protect private keys is too short to be a real secret.
    #[error("node secret too short: {0} bytes, at least 16 required")]
    SecretTooShort(usize),
    /// The private key does not belong to the certificate it was paired with.
    #[error("private key does not match the certificate public key")]
    KeyMismatch,
    /// A PKCS#12 file could not be imported.
    #[error("pkcs#12 import failed: {0}")]
    Pkcs12(String),
    /// A time outside what X.509 can encode.
    #[error("time out of range: {0}")]
    Time(String),
    /// A timestamp authority refused or failed to answer.
    #[error("timestamp failed: {0}")]
    Timestamp(String),
    /// A PDF could not be read or signed.
    #[error(transparent)]
    Pdf(crate::pdf::PdfError),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds context to `der` errors: `.ctx("certificate")?`.
pub(crate) trait DerContext<T> {
    fn ctx(self, what: &'static str) -> Result<T>;
}

impl<T, E: Into<der::Error>> DerContext<T> for std::result::Result<T, E> {
    fn ctx(self, what: &'static str) -> Result<T> {
        self.map_err(|source| Error::Der {
            what,
            source: source.into(),
        })
    }
}
