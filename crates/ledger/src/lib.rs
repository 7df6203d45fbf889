//! Merkle log (placeholder until implemented).
