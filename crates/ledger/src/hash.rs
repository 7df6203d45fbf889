//! RFC 6962 / RFC 9162 §2.1.1 hashing with SHA-256.
//!
//! Leaves and interior nodes are hashed with different one-byte prefixes so
//! that a leaf can never be passed off as an interior node (the second-preimage
//! attack on plain Merkle trees).

use sha2::{Digest, Sha256};

/// A SHA-256 output: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// The root of the empty tree, `SHA-256("")` (RFC 9162 §2.1.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// Hashes one log entry: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(data);
    hasher.finalize().into()
}

/// Hashes an interior node from its two children: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([NODE_PREFIX]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        let computed: Hash = Sha256::digest(b"").into();
        assert_eq!(EMPTY_ROOT, computed);
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        // The same 65 bytes hashed as a leaf and as a node must differ, or a
        // leaf could stand in for a subtree.
        let left = [7u8; 32];
        let right = [9u8; 32];
        let mut as_leaf = vec![NODE_PREFIX];
        as_leaf.extend_from_slice(&left);
        as_leaf.extend_from_slice(&right);
        assert_ne!(leaf_hash(&as_leaf[1..]), node_hash(&left, &right));
        // The RFC 6962 leaf hash of the empty string, from transparency-dev/merkle's rfc6962 tests.
        assert_eq!(
            hex(&leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}
