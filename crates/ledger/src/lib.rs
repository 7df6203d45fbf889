//! congso's tamper-evident log, as pure functions and data: no IO, no clock.
//!
//! - [`hash`]: RFC 6962 / RFC 9162 leaf and node hashing with SHA-256.
//! - [`Tree`]: an in-memory append-only Merkle tree that answers roots,
//!   inclusion proofs and consistency proofs for any past size in `O(log n)`.
//! - [`proof`]: the RFC 9162 verifiers for those proofs.
//! - [`checkpoint`]: the C2SP tlog-checkpoint note body.
//! - [`note`]: the C2SP signed-note format with Ed25519 keys, compatible with
//!   Go's `golang.org/x/mod/sumdb/note`.
//! - [`cosignature`]: C2SP tlog-cosignature `cosignature/v1` witness
//!   cosignatures on checkpoints.
//!
//! Persistence, HTTP and the clock belong to the callers: a cosignature takes
//! its timestamp as an argument, and keys are built from seeds the caller draws.

pub mod checkpoint;
pub mod cosignature;
pub mod hash;
pub mod note;
pub mod proof;
mod tree;

pub use hash::{leaf_hash, node_hash, Hash, EMPTY_ROOT};
pub use proof::{
    root_from_consistency_proof, root_from_inclusion_proof, verify_consistency, verify_inclusion,
    ProofError,
};
pub use tree::Tree;

/// Standard base64 (RFC 4648 §4) with canonical padding and zero trailing
/// bits, so every value has exactly one accepted encoding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes strict standard base64; see [`base64_encode`].
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}
