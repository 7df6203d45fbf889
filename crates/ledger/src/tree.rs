//! An in-memory, append-only Merkle tree that keeps every complete subtree.
//!
//! Level 0 holds the leaf hashes; level `k` holds the hash of every complete
//! subtree of `2^k` leaves, in order. A log of `n` entries therefore keeps
//! `n + n/2 + n/4 + … < 2n` hashes: about 64 bytes per entry (plus up to as
//! much again, transiently, while a level's `Vec` grows). Any root, inclusion
//! proof or consistency proof, for any past size, is assembled from
//! `O(log n)` stored hashes and at most `O(log n)` fresh node hashes for the
//! one incomplete subtree along the right edge of the asked-for size; nothing
//! is ever rehashed from the leaves.

use crate::hash::{node_hash, Hash, EMPTY_ROOT};
use crate::proof::ProofError;

/// An append-only RFC 9162 Merkle tree over leaf hashes.
#[derive(Clone, Default)]
pub struct Tree {
    /// `levels[k][i]` is the hash of leaves `[i * 2^k, (i + 1) * 2^k)`.
    /// Invariant: `levels[k].len() == len >> k` for every stored level. Levels
    /// above the top may exist empty, holding capacity from [`Tree::reserve`].
    levels: Vec<Vec<Hash>>,
}

/// Two trees are equal when they hold the same leaves: every other level is
/// computed from them.
impl PartialEq for Tree {
    fn eq(&self, other: &Self) -> bool {
        self.leaves() == other.leaves()
    }
}

impl Eq for Tree {}

impl std::fmt::Debug for Tree {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Tree")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The largest power of two strictly below `n`. Requires `n >= 2`.
fn split_point(n: u64) -> u64 {
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a tree from leaf hashes in log order, hashing each level in one
    /// pass (faster than appending one by one).
    pub fn from_leaf_hashes(leaf_hashes: impl IntoIterator<Item = Hash>) -> Self {
        let leaves: Vec<Hash> = leaf_hashes.into_iter().collect();
        if leaves.is_empty() {
            return Self::new();
        }
        let mut levels = vec![leaves];
        loop {
            let below = &levels[levels.len() - 1];
            if below.len() < 2 {
                break;
            }
            let above: Vec<Hash> = below
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
            levels.push(above);
        }
        Self { levels }
    }

    fn leaves(&self) -> &[Hash] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf hash and returns its index.
    pub fn append(&mut self, leaf_hash: Hash) -> u64 {
        let index = self.len();
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf_hash);
        // Every time a level gets an even count, its last two hashes complete
        // a subtree one level up.
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let nodes = &self.levels[level];
            let parent = node_hash(&nodes[nodes.len() - 2], &nodes[nodes.len() - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
        index
    }

    /// Makes room for `additional` more leaves on every level, so that
    /// appending them never reallocates (e.g. before loading a log from
    /// storage). Fails, changing nothing visible, when the memory cannot be had.
    pub fn reserve(&mut self, additional: u64) -> Result<(), std::collections::TryReserveError> {
        let target = self.len().saturating_add(additional);
        let mut level = 0;
        while level < 64 && target >> level > 0 {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let nodes = &mut self.levels[level];
            let wanted = usize::try_from(target >> level).unwrap_or(usize::MAX);
            nodes.try_reserve_exact(wanted.saturating_sub(nodes.len()))?;
            level += 1;
        }
        Ok(())
    }

    /// Drops every leaf from `len` on, as if they had never been appended.
    ///
    /// This is for undoing appends whose storage commit failed, so the
    /// in-memory tree matches the database again. A size that was ever
    /// published in a signed checkpoint must never be truncated below: that
    /// would fork the log. Does nothing when `len` is not below [`Tree::len`].
    pub fn truncate(&mut self, len: u64) {
        if len >= self.len() {
            return;
        }
        // A complete subtree either lies wholly inside the kept prefix or
        // not; the kept ones are exactly the first `len >> k` of level `k`.
        for (level, nodes) in self.levels.iter_mut().enumerate() {
            nodes.truncate((len >> level) as usize);
        }
    }

    /// The leaf hash at `index`, if the tree has that many leaves.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        let index = usize::try_from(index).ok()?;
        self.levels.first()?.get(index).copied()
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        if self.is_empty() {
            EMPTY_ROOT
        } else {
            self.range_hash(0, self.len())
        }
    }

    /// The root the tree had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        self.check_size(size)?;
        if size == 0 {
            Ok(EMPTY_ROOT)
        } else {
            Ok(self.range_hash(0, size))
        }
    }

    /// The inclusion proof (audit path, RFC 9162 §2.1.3.1) of leaf `index` in
    /// the tree of the first `size` leaves, lowest level first.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        // Walk down from the root of [0, size) as PATH(m, D[n]) recurses,
        // collecting the sibling of each subtree entered, then reverse so the
        // lowest sibling comes first.
        let mut top_down = Vec::with_capacity(crate::proof::inclusion_proof_len(index, size));
        let (mut low, mut high) = (0, size);
        while high - low > 1 {
            let middle = low + split_point(high - low);
            if index < middle {
                top_down.push(self.range_hash(middle, high));
                high = middle;
            } else {
                top_down.push(self.range_hash(low, middle));
                low = middle;
            }
        }
        top_down.reverse();
        Ok(top_down)
    }

    /// The consistency proof (RFC 9162 §2.1.4.1) that the tree of the first
    /// `size2` leaves extends the tree of the first `size1` leaves. Equal sizes
    /// give an empty proof; `size1 == 0` is refused like the verifier refuses it.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size2)?;
        if size1 > size2 {
            return Err(ProofError::SizesOutOfOrder { size1, size2 });
        }
        if size1 == 0 {
            return Err(ProofError::EmptyOldTree);
        }
        if size1 == size2 {
            return Ok(Vec::new());
        }
        // SUBPROOF(m, D[low:high], whole_old_tree) unrolled: each step enters
        // the half holding the old tree's right edge and records the other half.
        let mut top_down = Vec::with_capacity(crate::proof::consistency_proof_len(size1, size2));
        let (mut low, mut high) = (0, size2);
        let mut old_tree_is_whole_subtree = true;
        while size1 != high {
            let middle = low + split_point(high - low);
            if size1 <= middle {
                top_down.push(self.range_hash(middle, high));
                high = middle;
            } else {
                top_down.push(self.range_hash(low, middle));
                low = middle;
                old_tree_is_whole_subtree = false;
            }
        }
        let mut proof = Vec::with_capacity(top_down.len() + 1);
        if !old_tree_is_whole_subtree {
            // The old tree's right edge ends exactly at a subtree [low, size1)
            // of the new tree, whose hash the verifier cannot know.
            proof.push(self.range_hash(low, high));
        }
        proof.extend(top_down.into_iter().rev());
        Ok(proof)
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        let len = self.len();
        if size > len {
            Err(ProofError::SizeBeyondLog { size, len })
        } else {
            Ok(())
        }
    }

    /// The RFC 9162 hash of leaves `[start, end)`.
    ///
    /// Valid for the ranges the tree's recursion produces: `start` is a
    /// multiple of a power of two at least `end - start`, so the range splits
    /// into stored complete subtrees of strictly decreasing size, and its hash
    /// is their right fold. Requires `start < end <= len`.
    fn range_hash(&self, start: u64, end: u64) -> Hash {
        let mut pieces: [Hash; 64] = [[0; 32]; 64];
        let mut count = 0;
        let mut position = start;
        while position < end {
            let remaining = end - position;
            let largest_fitting = u64::BITS - 1 - remaining.leading_zeros();
            let level = position.trailing_zeros().min(largest_fitting);
            pieces[count] = self.levels[level as usize][(position >> level) as usize];
            count += 1;
            position += 1 << level;
        }
        let mut hash = pieces[count - 1];
        for piece in pieces[..count - 1].iter().rev() {
            hash = node_hash(piece, &hash);
        }
        hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    fn stored_hashes(tree: &Tree) -> usize {
        tree.levels.iter().map(Vec::len).sum()
    }

    #[test]
    fn fewer_than_two_hashes_per_leaf_are_stored() {
        let mut tree = Tree::new();
        for i in 0u32..5000 {
            tree.append(leaf_hash(&i.to_be_bytes()));
            let n = tree.len() as usize;
            // n + n/2 + n/4 + ... = 2n - popcount(n).
            assert_eq!(stored_hashes(&tree), 2 * n - n.count_ones() as usize);
        }
    }

    #[test]
    fn appending_stores_the_same_levels_as_building() {
        let leaves: Vec<Hash> = (0u32..300).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut appended = Tree::new();
        for (count, leaf) in leaves.iter().enumerate() {
            appended.append(*leaf);
            let built = Tree::from_leaf_hashes(leaves[..=count].iter().copied());
            assert_eq!(appended.levels, built.levels, "after {} leaves", count + 1);
        }
    }

    #[test]
    fn truncating_undoes_appends() {
        let leaves: Vec<Hash> = (0u32..130).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for keep in [0, 1, 2, 3, 64, 65, 100, 129, 130, 131] {
            let mut tree = Tree::from_leaf_hashes(leaves.iter().copied());
            tree.truncate(keep);
            let kept = (keep as usize).min(leaves.len());
            let built = Tree::from_leaf_hashes(leaves[..kept].iter().copied());
            assert_eq!(tree.len(), kept as u64);
            let non_empty = |tree: &Tree| -> Vec<Vec<Hash>> {
                tree.levels
                    .iter()
                    .filter(|level| !level.is_empty())
                    .cloned()
                    .collect()
            };
            assert_eq!(non_empty(&tree), non_empty(&built), "keeping {keep}");
            // And the tree grows again exactly as if never truncated.
            for leaf in &leaves[kept..] {
                tree.append(*leaf);
            }
            assert_eq!(
                non_empty(&tree),
                non_empty(&Tree::from_leaf_hashes(leaves.iter().copied()))
            );
        }
    }

    #[test]
    fn reserving_changes_nothing_visible() {
        let leaves: Vec<Hash> = (0u32..100).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut reserved = Tree::new();
        reserved.reserve(1000).unwrap();
        assert_eq!(reserved, Tree::new());
        assert_eq!(reserved.len(), 0);
        assert_eq!(reserved.root(), EMPTY_ROOT);
        for leaf in &leaves {
            reserved.append(*leaf);
        }
        assert_eq!(reserved, Tree::from_leaf_hashes(leaves.iter().copied()));
        assert!(reserved.levels[0].capacity() >= 1000);
        assert!(reserved.reserve(u64::MAX - 5).is_err());
        assert_eq!(reserved.len(), 100);
        reserved.append(leaves[0]);
        let mut expected = leaves.clone();
        expected.push(leaves[0]);
        let expected = Tree::from_leaf_hashes(expected);
        assert_eq!(reserved.root(), expected.root());
        assert_eq!(
            reserved.inclusion_proof(100, 101),
            expected.inclusion_proof(100, 101)
        );
    }
}
