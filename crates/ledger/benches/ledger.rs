//! Benchmarks for the Merkle tree at 10^6 entries and for note signing.
//!
//! Run with `cargo bench -p congso-ledger`; the numbers and the machine they
//! were measured on go in docs/PERFORMANCE.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use congso_ledger::checkpoint::Checkpoint;
use congso_ledger::cosignature::Cosigner;
use congso_ledger::note::{self, Ed25519Signer, Signer as _, Verifier as _};
use congso_ledger::{leaf_hash, verify_consistency, verify_inclusion, Hash, Tree};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

const SIZE: u64 = 1_000_000;

fn leaves(count: u64) -> Vec<Hash> {
    (0..count).map(|i| leaf_hash(&i.to_be_bytes())).collect()
}

/// A small deterministic generator (SplitMix64), so the benchmark needs no
/// random-number crate and picks the same indices on every run.
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % bound
    }
}

fn building(c: &mut Criterion) {
    let hashes = leaves(SIZE);
    let mut group = c.benchmark_group("build_1e6");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("from_leaf_hashes", |b| {
        b.iter_batched(
            || hashes.clone(),
            Tree::from_leaf_hashes,
            BatchSize::LargeInput,
        )
    });
    group.bench_function("append_each", |b| {
        b.iter(|| {
            let mut tree = Tree::new();
            for hash in &hashes {
                tree.append(*hash);
            }
            tree
        })
    });
    group.finish();

    // One append onto a tree that already holds 10^6 entries, leaf hash
    // included. The tree is cloned, and room reserved, outside the timed
    // part for each sample, so no sample pays for one big reallocation.
    let base = Tree::from_leaf_hashes(hashes);
    c.bench_function("append_one_at_1e6", |b| {
        b.iter_custom(|iterations| {
            let mut tree = base.clone();
            tree.reserve(iterations).unwrap();
            let start = Instant::now();
            for counter in SIZE..SIZE + iterations {
                tree.append(leaf_hash(&counter.to_be_bytes()));
            }
            let elapsed = start.elapsed();
            black_box(tree.len());
            elapsed
        })
    });
}

fn proofs(c: &mut Criterion) {
    let tree = Tree::from_leaf_hashes(leaves(SIZE));
    let root = tree.root();
    let mut picks = SplitMix(42);

    c.bench_function("root_at_random_size_1e6", |b| {
        b.iter(|| tree.root_at(1 + picks.below(SIZE)).unwrap())
    });
    c.bench_function("inclusion_proof_1e6", |b| {
        b.iter(|| tree.inclusion_proof(picks.below(SIZE), SIZE).unwrap())
    });
    c.bench_function("consistency_proof_1e6", |b| {
        b.iter(|| {
            tree.consistency_proof(1 + picks.below(SIZE - 1), SIZE)
                .unwrap()
        })
    });

    // Verification of a fixed set of proofs, cycled through.
    let inclusion: Vec<(u64, Hash, Vec<Hash>)> = (0..256)
        .map(|_| {
            let index = picks.below(SIZE);
            let leaf = tree.leaf(index).unwrap();
            (index, leaf, tree.inclusion_proof(index, SIZE).unwrap())
        })
        .collect();
    let mut next = 0;
    c.bench_function("verify_inclusion_1e6", |b| {
        b.iter(|| {
            let (index, leaf, proof) = &inclusion[next % inclusion.len()];
            next += 1;
            verify_inclusion(*index, SIZE, leaf, proof, &root).unwrap()
        })
    });
    let consistency: Vec<(u64, Hash, Vec<Hash>)> = (0..256)
        .map(|_| {
            let size1 = 1 + picks.below(SIZE - 1);
            (
                size1,
                tree.root_at(size1).unwrap(),
                tree.consistency_proof(size1, SIZE).unwrap(),
            )
        })
        .collect();
    c.bench_function("verify_consistency_1e6", |b| {
        b.iter(|| {
            let (size1, root1, proof) = &consistency[next % consistency.len()];
            next += 1;
            verify_consistency(*size1, SIZE, root1, &root, proof).unwrap()
        })
    });
}

fn notes(c: &mut Criterion) {
    let signer = Ed25519Signer::from_seed("bench.example/log", [7; 32]).unwrap();
    let verifier = signer.verifier();
    let cosigner = Cosigner::from_seed("bench.example/witness", [9; 32]).unwrap();
    let body = Checkpoint::new("bench.example/log", SIZE, [3; 32])
        .unwrap()
        .to_body();
    let signed = note::sign(&body, &[&signer, &cosigner.at(1_700_000_000)]).unwrap();
    let witness = cosigner.verifier();
    c.bench_function("note_sign_checkpoint", |b| {
        b.iter(|| signer.sign(body.as_bytes()).unwrap())
    });
    c.bench_function("note_open_log_and_witness", |b| {
        b.iter(|| note::open(signed.as_bytes(), &[&verifier, &witness]).unwrap())
    });
    c.bench_function("ed25519_verify_only", |b| {
        let signature = signer.sign(body.as_bytes()).unwrap();
        b.iter(|| verifier.verify(body.as_bytes(), &signature))
    });
}

criterion_group!(benches, building, proofs, notes);
criterion_main!(benches);
