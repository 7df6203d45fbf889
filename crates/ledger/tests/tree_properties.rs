//! `Tree` against an independent, naive transcription of RFC 9162 §2.1: the
//! recursive MTH, PATH and SUBPROOF definitions over a plain list of leaves.
//! Property tests over random sizes and indices check that every produced
//! proof equals the RFC's and verifies, that any flipped bit, missing or extra
//! hash or wrong root fails, and that a wrong index or size fails exactly
//! when it changes the proof's shape.
//!
//! That last point is inherent to RFC 9162, not a weakness of ours: a proof
//! does not encode the tree size, so the same proof and root verify for every
//! size whose tree puts the same siblings on the same sides (leaf 0 of a tree
//! of 257 or of 258 leaves: eight left-subtree siblings, then one right-hand
//! hash). The size is authenticated by the signed checkpoint that carries the
//! root, never by the proof.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use congso_ledger::{
    leaf_hash, node_hash, verify_consistency, verify_inclusion, Hash, ProofError, Tree, EMPTY_ROOT,
};
use proptest::prelude::*;

/// The largest power of two strictly below `n` (RFC 9162's `k`), by search.
fn naive_split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]).
fn naive_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let k = naive_split(n);
            node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]).
fn naive_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = naive_split(n);
    if m < k {
        let mut path = naive_path(m, &leaves[..k]);
        path.push(naive_root(&leaves[k..]));
        path
    } else {
        let mut path = naive_path(m - k, &leaves[k..]);
        path.push(naive_root(&leaves[..k]));
        path
    }
}

/// SUBPROOF(m, D[n], b).
fn naive_subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if whole {
            Vec::new()
        } else {
            vec![naive_root(leaves)]
        };
    }
    let k = naive_split(n);
    if m <= k {
        let mut proof = naive_subproof(m, &leaves[..k], whole);
        proof.push(naive_root(&leaves[k..]));
        proof
    } else {
        let mut proof = naive_subproof(m - k, &leaves[k..], false);
        proof.push(naive_root(&leaves[..k]));
        proof
    }
}

/// The sides of the siblings along PATH(m, D[n]), lowest first: `true` when
/// the sibling is on the left. The verifier's computation depends on nothing else.
fn naive_inclusion_shape(m: usize, n: usize) -> Vec<bool> {
    if n <= 1 {
        return Vec::new();
    }
    let k = naive_split(n);
    let (mut shape, side) = if m < k {
        (naive_inclusion_shape(m, k), false)
    } else {
        (naive_inclusion_shape(m - k, n - k), true)
    };
    shape.push(side);
    shape
}

/// The shape of SUBPROOF(m, D[n], b): whether the proof starts with the hash
/// the old root is grown from (else it is root1 itself), and the side of each
/// further hash, `true` when on the left (those also fold into the old root).
fn naive_consistency_shape(m: usize, n: usize, whole: bool) -> (bool, Vec<bool>) {
    if m == n {
        return (!whole, Vec::new());
    }
    let k = naive_split(n);
    let ((seed_in_proof, mut sides), side) = if m <= k {
        (naive_consistency_shape(m, k, whole), false)
    } else {
        (naive_consistency_shape(m - k, n - k, false), true)
    };
    sides.push(side);
    (seed_in_proof, sides)
}

/// Whether a non-empty consistency proof for `size1 -> size2` must also
/// verify for `other1 -> other2` (same roots): exactly when both size pairs
/// give it the same shape.
fn same_consistency_shape(size1: u64, size2: u64, other1: u64, other2: u64) -> bool {
    if other1 == 0 || other1 >= other2 {
        return false;
    }
    naive_consistency_shape(other1 as usize, other2 as usize, true)
        == naive_consistency_shape(size1 as usize, size2 as usize, true)
}

fn leaves(count: usize, salt: u64) -> Vec<Hash> {
    (0..count as u64)
        .map(|i| leaf_hash(&[salt.to_be_bytes(), i.to_be_bytes()].concat()))
        .collect()
}

#[test]
fn small_trees_match_the_rfc_exhaustively() {
    let all = leaves(70, 1);
    let tree = Tree::from_leaf_hashes(all.iter().copied());
    let mut appended = Tree::new();
    assert_eq!(appended.root(), EMPTY_ROOT);
    assert_eq!(tree.root_at(0).unwrap(), EMPTY_ROOT);
    for (index, leaf) in all.iter().enumerate() {
        assert_eq!(appended.append(*leaf), index as u64);
    }
    assert_eq!(
        appended, tree,
        "append and from_leaf_hashes store the same hashes"
    );
    for size in 1..=all.len() {
        let prefix = &all[..size];
        let root = naive_root(prefix);
        assert_eq!(tree.root_at(size as u64).unwrap(), root, "root at {size}");
        for (index, leaf) in prefix.iter().enumerate() {
            let proof = tree.inclusion_proof(index as u64, size as u64).unwrap();
            assert_eq!(
                proof,
                naive_path(index, prefix),
                "inclusion {index} in {size}"
            );
            verify_inclusion(index as u64, size as u64, leaf, &proof, &root).unwrap();
        }
        for size1 in 1..=size {
            let proof = tree.consistency_proof(size1 as u64, size as u64).unwrap();
            assert_eq!(
                proof,
                naive_subproof(size1, prefix, true),
                "consistency {size1} to {size}"
            );
            let root1 = naive_root(&all[..size1]);
            verify_consistency(size1 as u64, size as u64, &root1, &root, &proof).unwrap();
        }
    }
}

#[test]
fn a_wrong_size_verifies_exactly_when_the_shape_is_the_same() {
    let all = leaves(128, 3);
    let tree = Tree::from_leaf_hashes(all.iter().copied());

    // The example from the module comment.
    let big = Tree::from_leaf_hashes(leaves(258, 4));
    let proof = big.inclusion_proof(0, 257).unwrap();
    let root = big.root_at(257).unwrap();
    verify_inclusion(0, 258, &big.leaf(0).unwrap(), &proof, &root).unwrap();

    let mut same_shape_seen = 0;
    for size in 1..=48u64 {
        let root = tree.root_at(size).unwrap();
        for index in 0..size {
            let proof = tree.inclusion_proof(index, size).unwrap();
            let shape = naive_inclusion_shape(index as usize, size as usize);
            for other in (1..=128u64).filter(|other| *other != size) {
                let same =
                    index < other && naive_inclusion_shape(index as usize, other as usize) == shape;
                let verified =
                    verify_inclusion(index, other, &all[index as usize], &proof, &root).is_ok();
                assert_eq!(verified, same, "leaf {index}: size {size} read as {other}");
                same_shape_seen += usize::from(same);
            }
        }
    }
    for size2 in 2..=40u64 {
        let root2 = tree.root_at(size2).unwrap();
        for size1 in 1..size2 {
            let root1 = tree.root_at(size1).unwrap();
            let proof = tree.consistency_proof(size1, size2).unwrap();
            for other1 in 0..=80u64 {
                for other2 in [size2, other1 + 1, size2 + 1, size2 * 2, 80] {
                    if (other1, other2) == (size1, size2) {
                        continue;
                    }
                    let same = same_consistency_shape(size1, size2, other1, other2);
                    let verified =
                        verify_consistency(other1, other2, &root1, &root2, &proof).is_ok();
                    assert_eq!(
                        verified, same,
                        "{size1}->{size2} read as {other1}->{other2}"
                    );
                    same_shape_seen += usize::from(same);
                }
            }
        }
    }
    assert!(
        same_shape_seen > 100,
        "the same-shape case must be exercised"
    );
}

#[test]
fn proof_generation_refuses_sizes_past_the_log() {
    let tree = Tree::from_leaf_hashes(leaves(5, 2));
    assert_eq!(
        tree.root_at(6),
        Err(ProofError::SizeBeyondLog { size: 6, len: 5 })
    );
    assert_eq!(
        tree.inclusion_proof(0, 6),
        Err(ProofError::SizeBeyondLog { size: 6, len: 5 })
    );
    assert_eq!(
        tree.inclusion_proof(5, 5),
        Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
    );
    assert_eq!(
        tree.inclusion_proof(u64::MAX, u64::MAX),
        Err(ProofError::SizeBeyondLog {
            size: u64::MAX,
            len: 5
        })
    );
    assert_eq!(
        tree.consistency_proof(1, 6),
        Err(ProofError::SizeBeyondLog { size: 6, len: 5 })
    );
    assert_eq!(
        tree.consistency_proof(4, 3),
        Err(ProofError::SizesOutOfOrder { size1: 4, size2: 3 })
    );
    assert_eq!(tree.consistency_proof(0, 3), Err(ProofError::EmptyOldTree));
    assert_eq!(tree.consistency_proof(3, 3), Ok(Vec::new()));
    assert_eq!(tree.leaf(5), None);
    assert_eq!(tree.leaf(u64::MAX), None);
    assert!(Tree::new().is_empty());
    assert_eq!(Tree::from_leaf_hashes([]), Tree::new());
}

#[test]
fn verifiers_refuse_hostile_sizes() {
    let hash = [5; 32];
    for (index, size) in [
        (0, 0),
        (u64::MAX, u64::MAX),
        (u64::MAX - 1, u64::MAX),
        (1 << 63, 1 << 63),
    ] {
        let _ = verify_inclusion(index, size, &hash, &[hash; 3], &hash);
    }
    assert_eq!(
        verify_inclusion(u64::MAX - 1, u64::MAX, &hash, &[], &hash),
        Err(ProofError::WrongProofLength {
            expected: 63,
            actual: 0
        })
    );
    for (size1, size2) in [
        (1, u64::MAX),
        (u64::MAX, u64::MAX),
        (u64::MAX - 1, u64::MAX),
        (1 << 63, u64::MAX),
    ] {
        let _ = verify_consistency(size1, size2, &hash, &hash, &[hash; 2]);
    }
}

/// Flips one bit of one proof hash, chosen by `choice`.
fn flip_bit(proof: &[Hash], choice: usize) -> Vec<Hash> {
    let mut flipped = proof.to_vec();
    let bits = flipped.len() * 256;
    let bit = choice % bits;
    flipped[bit / 256][(bit % 256) / 8] ^= 1 << (bit % 8);
    flipped
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn inclusion_proofs_verify_and_resist_tampering(
        size in 1usize..600,
        index_choice in any::<prop::sample::Index>(),
        other_index in any::<prop::sample::Index>(),
        other_size in 1u64..1300,
        bit in any::<usize>(),
        salt in any::<u64>(),
    ) {
        let all = leaves(size, salt);
        let tree = Tree::from_leaf_hashes(all.iter().copied());
        let index = index_choice.index(size);
        let root = tree.root();
        let proof = tree.inclusion_proof(index as u64, size as u64).unwrap();
        prop_assert_eq!(&proof, &naive_path(index, &all));
        prop_assert_eq!(root, naive_root(&all));
        verify_inclusion(index as u64, size as u64, &all[index], &proof, &root).unwrap();

        // Another leaf, another index, another size or a flipped bit fails.
        let other_leaf = all[other_index.index(size)];
        if other_leaf != all[index] {
            prop_assert!(verify_inclusion(index as u64, size as u64, &other_leaf, &proof, &root).is_err());
        }
        // In one tree every leaf has its own path shape, so another index
        // always fails; another size fails unless the shape is the same.
        let wrong_index = other_index.index(size);
        if wrong_index != index {
            prop_assert_ne!(naive_inclusion_shape(wrong_index, size), naive_inclusion_shape(index, size));
            prop_assert!(verify_inclusion(wrong_index as u64, size as u64, &all[index], &proof, &root).is_err());
        }
        if other_size != size as u64 {
            let same_shape = (index as u64) < other_size
                && naive_inclusion_shape(index, other_size as usize) == naive_inclusion_shape(index, size);
            let verified = verify_inclusion(index as u64, other_size, &all[index], &proof, &root).is_ok();
            prop_assert_eq!(verified, same_shape, "size {} read as {}", size, other_size);
        }
        if !proof.is_empty() {
            let flipped = flip_bit(&proof, bit);
            prop_assert!(verify_inclusion(index as u64, size as u64, &all[index], &flipped, &root).is_err());
            let mut shorter = proof.clone();
            shorter.pop();
            prop_assert!(verify_inclusion(index as u64, size as u64, &all[index], &shorter, &root).is_err());
        }
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_inclusion(index as u64, size as u64, &all[index], &longer, &root).is_err());
        let mut wrong_root = root;
        wrong_root[bit % 32] ^= 1;
        prop_assert!(verify_inclusion(index as u64, size as u64, &all[index], &proof, &wrong_root).is_err());
    }

    #[test]
    fn consistency_proofs_verify_and_resist_tampering(
        size2 in 1usize..600,
        size1_choice in any::<prop::sample::Index>(),
        other_size1 in 1u64..700,
        other_size2 in 1u64..1300,
        bit in any::<usize>(),
        salt in any::<u64>(),
    ) {
        let all = leaves(size2, salt);
        let tree = Tree::from_leaf_hashes(all.iter().copied());
        let size1 = 1 + size1_choice.index(size2);
        let root1 = tree.root_at(size1 as u64).unwrap();
        let root2 = tree.root();
        let proof = tree.consistency_proof(size1 as u64, size2 as u64).unwrap();
        prop_assert_eq!(&proof, &naive_subproof(size1, &all, true));
        verify_consistency(size1 as u64, size2 as u64, &root1, &root2, &proof).unwrap();

        if size1 == size2 {
            prop_assert!(proof.is_empty());
            return Ok(());
        }
        let (size1, size2) = (size1 as u64, size2 as u64);
        if other_size1 != size1 {
            let verified = verify_consistency(other_size1, size2, &root1, &root2, &proof).is_ok();
            prop_assert_eq!(verified, same_consistency_shape(size1, size2, other_size1, size2));
        }
        if other_size2 != size2 {
            let verified = verify_consistency(size1, other_size2, &root1, &root2, &proof).is_ok();
            prop_assert_eq!(verified, same_consistency_shape(size1, size2, size1, other_size2));
        }
        let flipped = flip_bit(&proof, bit);
        prop_assert!(verify_consistency(size1, size2, &root1, &root2, &flipped).is_err());
        let mut shorter = proof.clone();
        shorter.pop();
        prop_assert!(verify_consistency(size1, size2, &root1, &root2, &shorter).is_err());
        let mut longer = proof.clone();
        longer.push(root1);
        prop_assert!(verify_consistency(size1, size2, &root1, &root2, &longer).is_err());
        prop_assert!(verify_consistency(size1, size2, &root2, &root1, &proof).is_err());
        let mut wrong = root1;
        wrong[bit % 32] ^= 1;
        prop_assert!(verify_consistency(size1, size2, &wrong, &root2, &proof).is_err());
        let mut wrong = root2;
        wrong[bit % 32] ^= 1;
        prop_assert!(verify_consistency(size1, size2, &root1, &wrong, &proof).is_err());
    }

    #[test]
    fn appending_matches_building(size in 0usize..300, extra in 0usize..40, salt in any::<u64>()) {
        let all = leaves(size + extra, salt);
        let mut tree = Tree::from_leaf_hashes(all[..size].iter().copied());
        for leaf in &all[size..] {
            tree.append(*leaf);
        }
        prop_assert_eq!(&tree, &Tree::from_leaf_hashes(all.iter().copied()));
        for probe in [0, size / 2, size, size + extra] {
            prop_assert_eq!(tree.root_at(probe as u64).unwrap(), naive_root(&all[..probe]));
        }
    }
}

/// Proofs at a size past 2^16, where the tree is deep and ragged, against the
/// naive root and the verifiers. Set CONGSO_SLOW_TESTS=1 to run it at 10^6+.
#[test]
fn proofs_in_a_large_tree_verify() {
    let size: usize = if std::env::var_os("CONGSO_SLOW_TESTS").is_some() {
        1_000_003
    } else {
        70_001
    };
    let all = leaves(size, 9);
    let tree = Tree::from_leaf_hashes(all.iter().copied());
    let root = tree.root();
    assert_eq!(root, naive_root(&all));
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |bound: u64| {
        // xorshift64: deterministic picks without a random-number crate.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    for _ in 0..300 {
        let index = next(size as u64);
        let proof = tree.inclusion_proof(index, size as u64).unwrap();
        verify_inclusion(index, size as u64, &all[index as usize], &proof, &root).unwrap();
        let size1 = 1 + next(size as u64);
        let proof = tree.consistency_proof(size1, size as u64).unwrap();
        let root1 = tree.root_at(size1).unwrap();
        verify_consistency(size1, size as u64, &root1, &root, &proof).unwrap();
        // A past size's proofs verify against that size's root.
        let index = next(size1);
        let proof = tree.inclusion_proof(index, size1).unwrap();
        verify_inclusion(index, size1, &all[index as usize], &proof, &root1).unwrap();
    }
    // Spot-check past roots against the naive definition.
    for size1 in [1, 2, 3, 65_535, 65_536, 65_537, size as u64 - 1] {
        assert_eq!(
            tree.root_at(size1).unwrap(),
            naive_root(&all[..size1 as usize])
        );
    }
}
