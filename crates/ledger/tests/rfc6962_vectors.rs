//! Runs every transparency-dev/merkle proof vector in tests/data/rfc6962-merkle
//! (Apache-2.0, see SOURCE.md there): each happy path must verify, and each
//! `wantErr: true` file must be rejected. The happy paths drawn from the
//! 8-leaf reference tree must also be exactly what `Tree` produces.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use congso_ledger::{
    leaf_hash, root_from_consistency_proof, root_from_inclusion_proof, verify_consistency,
    verify_inclusion, Hash, Tree,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The leaves of transparency-dev/merkle's reference tree (`leaves` in
/// proof/verify_test.go), as hex.
const REFERENCE_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// The roots of that tree at sizes 1 to 8 (`roots` in the same file).
const REFERENCE_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn reference_tree() -> Tree {
    Tree::from_leaf_hashes(REFERENCE_LEAVES.iter().map(|leaf| leaf_hash(&unhex(leaf))))
}

#[test]
fn reference_tree_roots() {
    let tree = reference_tree();
    for (size, root) in (1..).zip(REFERENCE_ROOTS) {
        assert_eq!(
            tree.root_at(size).unwrap().to_vec(),
            unhex(root),
            "size {size}"
        );
        // Appending one by one must give the same roots.
        let mut grown = Tree::new();
        for leaf in REFERENCE_LEAVES.iter().take(size as usize) {
            grown.append(leaf_hash(&unhex(leaf)));
        }
        assert_eq!(grown.root().to_vec(), unhex(root), "appended, size {size}");
    }
}

/// The vectors hold Go `[]byte` values, and some deliberately are not 32
/// bytes long. Our API takes `[u8; 32]`, so such a value is refused where the
/// caller decodes it, before any verifier runs; Go likewise refuses a leaf hash
/// of the wrong size. Leaf and proof hashes of another length therefore make
/// the vector count as rejected at decoding.
fn strict_hash(bytes: &[u8]) -> Option<Hash> {
    Hash::try_from(bytes).ok()
}

/// Roots are different: Go compares them as opaque byte strings, and one
/// vector expects two equal 12-byte "don't care" roots at equal sizes to be
/// accepted. A root of another length is replaced by a stand-in hash that no
/// real root matches in practice, which keeps equal roots equal and different
/// roots different, exactly as Go's `bytes.Equal` sees them.
fn root_hash(bytes: &[u8]) -> Hash {
    match Hash::try_from(bytes) {
        Ok(hash) => hash,
        Err(_) => {
            let mut hasher = Sha256::new();
            hasher.update(b"congso test stand-in for a root that is not 32 bytes:");
            hasher.update(bytes);
            hasher.finalize().into()
        }
    }
}

fn bytes(value: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(value.as_str().unwrap())
        .unwrap()
}

fn proof_hashes(value: &Value) -> Option<Vec<Hash>> {
    match value {
        Value::Null => Some(Vec::new()),
        Value::Array(items) => items.iter().map(|item| strict_hash(&bytes(item))).collect(),
        other => panic!("proof is neither null nor an array: {other}"),
    }
}

fn json_files(directory: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, found);
        } else if path
            .extension()
            .is_some_and(|extension| extension == "json")
        {
            found.push(path);
        }
    }
}

fn vectors(kind: &str) -> Vec<(PathBuf, Value)> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rfc6962-merkle")
        .join(kind);
    let mut files = Vec::new();
    json_files(&directory, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            (path, value)
        })
        .collect()
}

/// Whether a vector sits in a numbered directory, i.e. was drawn from the
/// 8-leaf reference tree.
fn from_reference_tree(path: &Path) -> bool {
    let parent = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    parent.bytes().all(|byte| byte.is_ascii_digit())
}

#[test]
fn every_inclusion_vector() {
    let tree = reference_tree();
    let files = vectors("inclusion");
    assert_eq!(files.len(), 98, "the vector set is incomplete");
    let (mut accepted, mut rejected, mut rejected_at_decoding) = (0, 0, 0);
    for (path, vector) in files {
        let index = vector["leafIdx"].as_u64().unwrap();
        let size = vector["treeSize"].as_u64().unwrap();
        let root = root_hash(&bytes(&vector["root"]));
        let want_error = vector["wantErr"].as_bool().unwrap();
        let decoded = strict_hash(&bytes(&vector["leafHash"])).zip(proof_hashes(&vector["proof"]));
        let Some((leaf, proof)) = decoded else {
            assert!(
                want_error,
                "{}: a happy path does not decode",
                path.display()
            );
            rejected_at_decoding += 1;
            continue;
        };
        let result = verify_inclusion(index, size, &leaf, &proof, &root);
        if want_error {
            assert!(
                result.is_err(),
                "{} verified: {}",
                path.display(),
                vector["desc"]
            );
            rejected += 1;
            continue;
        }
        result.unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(
            root_from_inclusion_proof(index, size, &leaf, &proof).unwrap(),
            root
        );
        if from_reference_tree(&path) {
            assert_eq!(
                tree.inclusion_proof(index, size).unwrap(),
                proof,
                "{}",
                path.display()
            );
            assert_eq!(tree.root_at(size).unwrap(), root);
            assert_eq!(tree.leaf(index).unwrap(), leaf);
        }
        accepted += 1;
    }
    // Counted by hand from the files: the rejections at decoding are the
    // 10 "garbage" proofs with an empty element, the 5 nine-byte "WrongLeaf"
    // leaves and the 6 empty leaves.
    assert_eq!((accepted, rejected, rejected_at_decoding), (6, 71, 21));
}

#[test]
fn every_consistency_vector() {
    let tree = reference_tree();
    let files = vectors("consistency");
    assert_eq!(files.len(), 98, "the vector set is incomplete");
    let (mut accepted, mut rejected, mut rejected_at_decoding) = (0, 0, 0);
    for (path, vector) in files {
        let size1 = vector["size1"].as_u64().unwrap();
        let size2 = vector["size2"].as_u64().unwrap();
        let root1 = root_hash(&bytes(&vector["root1"]));
        let root2 = root_hash(&bytes(&vector["root2"]));
        let want_error = vector["wantErr"].as_bool().unwrap();
        let Some(proof) = proof_hashes(&vector["proof"]) else {
            assert!(
                want_error,
                "{}: a happy path does not decode",
                path.display()
            );
            rejected_at_decoding += 1;
            continue;
        };
        let result = verify_consistency(size1, size2, &root1, &root2, &proof);
        if want_error {
            assert!(
                result.is_err(),
                "{} verified: {}",
                path.display(),
                vector["desc"]
            );
            rejected += 1;
            continue;
        }
        result.unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(
            root_from_consistency_proof(size1, size2, &root1, &proof).unwrap(),
            root2
        );
        if from_reference_tree(&path) {
            assert_eq!(
                tree.consistency_proof(size1, size2).unwrap(),
                proof,
                "{}",
                path.display()
            );
            assert_eq!(tree.root_at(size1).unwrap(), root1);
            assert_eq!(tree.root_at(size2).unwrap(), root2);
        }
        accepted += 1;
    }
    // The rejections at decoding are the 8 "garbage" proofs with an empty element.
    assert_eq!((accepted, rejected, rejected_at_decoding), (6, 84, 8));
}
