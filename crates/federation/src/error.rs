//! What can go wrong in the federation.

use thiserror::Error;

/// Errors of the federation library. Messages say what was wrong and where;
/// none carries a secret.
#[derive(Debug, Error)]
pub enum FederationError {
    #[error(transparent)]
    Store(#[from] congso_store::StoreError),
    #[error("pki: {0}")]
    Pki(#[from] congso_pki::Error),
    #[error("this node is not a member of a federation (run `congso federation init` or `congso federation join`)")]
    NotFederated,
    #[error("this node is not the federation coordinator")]
    NotCoordinator,
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
    #[error("the directory was refused: {0}")]
    Directory(String),
    #[error("{0} is not an active member of the federation")]
    UnknownMember(String),
    #[error("tls configuration: {0}")]
    Tls(String),
    #[error("cannot reach {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("{endpoint} refused the request: {code}: {message}")]
    Refused {
        endpoint: String,
        code: String,
        message: String,
    },
    #[error("signature: {0}")]
    Signature(String),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    #[error("the federation service has stopped")]
    Stopped,
}

impl FederationError {
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        FederationError::Invalid {
            what,
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = FederationError> = std::result::Result<T, E>;
