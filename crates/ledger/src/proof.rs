//! Verification of inclusion and consistency proofs (RFC 9162 §2.1.3.2 and §2.1.4.2).
//!
//! The verifiers follow the RFC's bit-walking algorithms step by step. Before
//! walking, each one computes the exact proof length the sizes call for, so a
//! proof with missing or extra hashes is reported as such rather than as a
//! root mismatch. The edge cases follow transparency-dev/merkle (the reference
//! implementation whose test vectors we run): a consistency proof from the
//! empty tree is rejected as meaningless, and equal sizes need an empty proof
//! and equal roots.

use crate::hash::{node_hash, Hash};

/// Why a proof could not be produced or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not inside the tree the proof is about.
    #[error("leaf index {index} is out of range for tree size {size}")]
    IndexOutOfRange {
        /// The leaf index asked about.
        index: u64,
        /// The tree size asked about.
        size: u64,
    },
    /// A tree size larger than the log asked about (proof generation only).
    #[error("tree size {size} is beyond the {len} entries in the log")]
    SizeBeyondLog {
        /// The tree size asked about.
        size: u64,
        /// How many entries the log holds.
        len: u64,
    },
    /// A consistency proof asked to go backwards in time.
    #[error("old tree size {size1} is larger than new tree size {size2}")]
    SizesOutOfOrder {
        /// The old tree size.
        size1: u64,
        /// The new tree size.
        size2: u64,
    },
    /// Every tree extends the empty tree, so there is nothing to prove; a
    /// caller that meets old size 0 (tlog-witness does) handles it itself.
    #[error("a consistency proof from the empty tree is meaningless")]
    EmptyOldTree,
    /// The proof has more or fewer hashes than the sizes call for.
    #[error("proof has {actual} hashes where tree sizes call for {expected}")]
    WrongProofLength {
        /// How many hashes the sizes call for.
        expected: usize,
        /// How many hashes the proof has.
        actual: usize,
    },
    /// The hashes recomputed from the proof do not give the stated root.
    #[error("the root recomputed for tree size {size} does not match the given root")]
    RootMismatch {
        /// The tree size whose root did not match.
        size: u64,
    },
}

/// Number of bits needed to write `value` (0 for 0).
fn bit_length(value: u64) -> u32 {
    u64::BITS - value.leading_zeros()
}

/// Splits the audit path of leaf `index` in a tree of `size` leaves into its
/// inner part (below the point where the paths to `index` and to the last leaf
/// part) and its border part (left siblings along the right edge above it), as
/// transparency-dev/merkle's `decompInclProof` does. Requires `index < size`.
fn decompose_inclusion(index: u64, size: u64) -> (u32, u32) {
    let inner = bit_length(index ^ (size - 1));
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner, border)
}

/// The number of hashes in the inclusion proof of leaf `index` in a tree of
/// `size` leaves. Requires `index < size`.
pub(crate) fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (inner, border) = decompose_inclusion(index, size);
    (inner + border) as usize
}

/// The number of hashes in the consistency proof from `size1` to `size2`.
/// Requires `0 < size1 < size2`.
pub(crate) fn consistency_proof_len(size1: u64, size2: u64) -> usize {
    let (inner, border) = decompose_inclusion(size1 - 1, size2);
    // The levels below the largest complete subtree ending at size1 are
    // covered by that subtree's hash, which the proof carries as its first
    // element unless size1 is a power of two (then it is root1 itself).
    let inner = inner - size1.trailing_zeros();
    let seed = u32::from(!size1.is_power_of_two());
    (seed + inner + border) as usize
}

fn check_length(expected: usize, actual: usize) -> Result<(), ProofError> {
    if expected == actual {
        Ok(())
    } else {
        Err(ProofError::WrongProofLength { expected, actual })
    }
}

/// Recomputes the root of a tree of `size` leaves from leaf `index`, its hash
/// and its inclusion proof (RFC 9162 §2.1.3.2). The result is only meaningful
/// once compared with a root from a trusted source; [`verify_inclusion`] does that.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    check_length(inclusion_proof_len(index, size), proof.len())?;

    // The RFC's names: `fn` is the node's index on its level, `sn` the index
    // of the last node on that level.
    let mut node = index;
    let mut last = size - 1;
    let mut root = *leaf_hash;
    for sibling in proof {
        if last == 0 {
            return Err(ProofError::WrongProofLength {
                expected: inclusion_proof_len(index, size),
                actual: proof.len(),
            });
        }
        if node & 1 == 1 || node == last {
            root = node_hash(sibling, &root);
            if node & 1 == 0 {
                // A right-edge node with no right sibling: climb until it is a
                // right child or reaches the top of its subtree.
                while node & 1 == 0 && node != 0 {
                    node >>= 1;
                    last >>= 1;
                }
            }
        } else {
            root = node_hash(&root, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(ProofError::WrongProofLength {
            expected: inclusion_proof_len(index, size),
            actual: proof.len(),
        });
    }
    Ok(root)
}

/// Checks that the leaf with hash `leaf_hash` sits at `index` in the tree of
/// `size` leaves whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(index, size, leaf_hash, proof)?;
    if &computed == root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch { size })
    }
}

/// Checks the consistency proof against the old root and recomputes the new
/// root of a tree of `size2` leaves from it (RFC 9162 §2.1.4.2). The result is
/// only meaningful once compared with a trusted new root; [`verify_consistency`]
/// does that.
pub fn root_from_consistency_proof(
    size1: u64,
    size2: u64,
    root1: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if size1 > size2 {
        return Err(ProofError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if size1 == size2 {
        check_length(0, proof.len())?;
        return Ok(*root1);
    }
    let expected = consistency_proof_len(size1, size2);
    check_length(expected, proof.len())?;
    let wrong_length = ProofError::WrongProofLength {
        expected,
        actual: proof.len(),
    };

    // Step 2: when size1 is a power of two the old tree is itself a complete
    // subtree of the new one, and root1 starts the path.
    let (seed, rest) = if size1.is_power_of_two() {
        (*root1, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(wrong_length),
        }
    };

    let mut node = size1 - 1;
    let mut last = size2 - 1;
    while node & 1 == 1 {
        node >>= 1;
        last >>= 1;
    }
    let mut old_root = seed;
    let mut new_root = seed;
    for hash in rest {
        if last == 0 {
            return Err(wrong_length);
        }
        if node & 1 == 1 || node == last {
            old_root = node_hash(hash, &old_root);
            new_root = node_hash(hash, &new_root);
            if node & 1 == 0 {
                while node & 1 == 0 && node != 0 {
                    node >>= 1;
                    last >>= 1;
                }
            }
        } else {
            new_root = node_hash(&new_root, hash);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(wrong_length);
    }
    if &old_root != root1 {
        return Err(ProofError::RootMismatch { size: size1 });
    }
    Ok(new_root)
}

/// Checks that the tree of `size2` leaves with root `root2` extends the tree of
/// `size1` leaves with root `root1` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &Hash,
    root2: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    let computed = root_from_consistency_proof(size1, size2, root1, proof)?;
    if &computed == root2 {
        Ok(())
    } else {
        Err(ProofError::RootMismatch { size: size2 })
    }
}
