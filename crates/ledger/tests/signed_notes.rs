//! Signed checkpoints and witness cosignatures: round trips, an independent
//! vector computed with Python's `cryptography` (tests/data/cosignature/),
//! the C2SP tlog-cosignature example, and the ways a note must be refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use congso_ledger::checkpoint::{Checkpoint, CheckpointError};
use congso_ledger::cosignature::{
    self, open_checkpoint, signed_message, CosignatureError, CosignatureVerifier, Cosigner,
    VerifiedCosignature, MAX_TIMESTAMP,
};
use congso_ledger::note::{
    self, Ed25519Signer, Ed25519Verifier, KeyError, NoteError, Signature, Verifier, MAX_NOTE_BYTES,
};
use congso_ledger::{leaf_hash, Tree};
use proptest::prelude::*;
use serde_json::Value;

fn log_signer() -> Ed25519Signer {
    Ed25519Signer::from_seed("example.gov.vn/congso/log", [1; 32]).unwrap()
}

fn witness() -> Cosigner {
    Cosigner::from_seed("witness.example.gov.vn/w1", [2; 32]).unwrap()
}

/// A checkpoint of a real 1000-entry tree.
fn checkpoint_body() -> String {
    let tree = Tree::from_leaf_hashes((0u32..1000).map(|i| leaf_hash(&i.to_be_bytes())));
    Checkpoint::new("example.gov.vn/congso/log", tree.len(), tree.root())
        .unwrap()
        .to_body()
}

#[test]
fn a_signed_and_cosigned_checkpoint_opens() {
    let log = log_signer();
    let witness = witness();
    let body = checkpoint_body();
    let signed = note::sign(&body, &[&log, &witness.at(1_700_000_000)]).unwrap();

    let opened = note::open(signed.as_bytes(), &[&log.verifier(), &witness.verifier()]).unwrap();
    assert_eq!(opened.text(), body);
    assert_eq!(opened.verified().len(), 2);
    assert_eq!(Checkpoint::parse(opened.text()).unwrap().size(), 1000);
    assert_eq!(
        cosignature::timestamp(&opened.verified()[1]).unwrap(),
        1_700_000_000
    );

    let witnessed = open_checkpoint(
        signed.as_bytes(),
        &[&log.verifier()],
        &[&witness.verifier()],
    )
    .unwrap();
    assert_eq!(witnessed.checkpoint, Checkpoint::parse(&body).unwrap());
    assert_eq!(
        witnessed.cosignatures,
        [VerifiedCosignature {
            name: "witness.example.gov.vn/w1".into(),
            key_id: witness.key_id(),
            timestamp: 1_700_000_000
        }]
    );

    // A witness's add-checkpoint response line, appended to the log-signed
    // note, gives the same note.
    let log_only = note::sign(&body, &[&log]).unwrap();
    let response = witness.cosign(&body, 1_700_000_000).unwrap();
    assert_eq!(format!("{log_only}{response}"), signed);

    // Unknown witnesses are ignored; the log signature alone suffices.
    let witnessed = open_checkpoint(signed.as_bytes(), &[&log.verifier()], &[]).unwrap();
    assert!(witnessed.cosignatures.is_empty());
}

#[test]
fn keys_round_trip_through_their_strings() {
    let log = log_signer();
    assert_eq!(
        Ed25519Signer::from_skey(&log.to_skey()).unwrap().to_skey(),
        log.to_skey()
    );
    let vkey = log.verifier().to_vkey();
    assert_eq!(Ed25519Verifier::from_vkey(&vkey).unwrap(), log.verifier());

    let witness = witness();
    assert_eq!(
        Cosigner::from_skey(&witness.to_skey()).unwrap().to_skey(),
        witness.to_skey()
    );
    let vkey = witness.verifier().to_vkey();
    assert_eq!(
        CosignatureVerifier::from_vkey(&vkey).unwrap(),
        witness.verifier()
    );

    // Each kind refuses the other's keys.
    assert_eq!(
        CosignatureVerifier::from_vkey(&log.verifier().to_vkey()),
        Err(KeyError::WrongType {
            found: 0x01,
            expected: 0x04
        })
    );
    assert_eq!(
        Ed25519Verifier::from_vkey(&witness.verifier().to_vkey()),
        Err(KeyError::WrongType {
            found: 0x04,
            expected: 0x01
        })
    );
    assert!(matches!(
        Cosigner::from_skey(&log.to_skey()),
        Err(KeyError::WrongType { .. })
    ));
    assert!(matches!(
        Ed25519Signer::from_skey(&witness.to_skey()),
        Err(KeyError::WrongType { .. })
    ));

    // The same seed under the two types has two key IDs.
    let same_seed = Cosigner::from_seed("example.gov.vn/congso/log", [1; 32]).unwrap();
    assert_ne!(same_seed.key_id(), log.verifier().key_id());

    let shown = format!("{witness:?}");
    assert!(shown.contains("redacted") && !shown.contains(&witness.to_skey()[40..]));

    for name in ["", "a b", "a+b", "a\u{a0}b", "tab\there"] {
        assert_eq!(
            Ed25519Signer::from_seed(name, [1; 32]).unwrap_err(),
            KeyError::InvalidName { name: name.into() }
        );
        assert!(Cosigner::from_seed(name, [1; 32]).is_err());
    }
}

#[test]
fn small_order_public_keys_are_refused() {
    // The identity point, which "verifies" forged signatures under
    // non-strict checks, written as a verifier key with a matching key ID.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let id = note::key_id("weak", 0x01, &identity);
    use base64::Engine as _;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode([&[0x01], &identity[..]].concat());
    let vkey = format!("weak+{id:08x}+{encoded}");
    assert_eq!(
        Ed25519Verifier::from_vkey(&vkey),
        Err(KeyError::InvalidPublicKey)
    );
}

/// Every way a note can be tampered with, each refused.
#[test]
fn tampered_notes_are_refused() {
    let log = log_signer();
    let verifier = log.verifier();
    let body = checkpoint_body();
    let signed = note::sign(&body, &[&log]).unwrap();
    let open = |note: &[u8]| note::open(note, &[&verifier]);
    open(signed.as_bytes()).unwrap();

    let invalid_signature = |result: Result<note::VerifiedNote, NoteError>| {
        matches!(result, Err(NoteError::InvalidSignature { .. }))
    };
    let malformed = |result: Result<note::VerifiedNote, NoteError>| {
        matches!(result, Err(NoteError::Malformed { .. }))
    };

    // Altered text and altered size: the signature no longer matches.
    assert!(invalid_signature(open(
        signed.replacen("example", "exomple", 1).as_bytes()
    )));
    assert!(invalid_signature(open(
        signed.replacen("\n1000\n", "\n1001\n", 1).as_bytes()
    )));
    assert!(invalid_signature(open(
        signed.replacen("\n1000\n", "\n999\n", 1).as_bytes()
    )));
    // Reordered text lines.
    let lines: Vec<&str> = body.lines().collect();
    let reordered = format!(
        "{}\n{}\n{}\n\n{}",
        lines[1],
        lines[0],
        lines[2],
        note::signature_line(&body, &log).unwrap()
    );
    assert!(invalid_signature(open(reordered.as_bytes())));
    // An extra newline in the text, or before the blank line.
    assert!(invalid_signature(open(
        signed.replacen("\n\n", "\n\n\n", 1).as_bytes()
    )));
    assert!(invalid_signature(open(
        signed.replacen("log\n", "log\n\n", 1).as_bytes()
    )));
    // A flipped bit in the signature itself.
    let mut line = note::signature_line(&body, &log).unwrap();
    line.replace_range(
        line.len() - 6..line.len() - 5,
        if line.as_bytes()[line.len() - 6] == b'A' {
            "B"
        } else {
            "A"
        },
    );
    assert!(invalid_signature(open(
        format!("{body}\n{line}").as_bytes()
    )));

    // Missing blank line, trailing newline, missing final newline, CRLF, a
    // NUL, invalid UTF-8, a stray line after the signatures.
    assert!(malformed(open(signed.replacen("\n\n", "\n", 1).as_bytes())));
    assert!(malformed(open(format!("{signed}\n").as_bytes())));
    assert!(malformed(open(&signed.as_bytes()[..signed.len() - 1])));
    assert!(malformed(open(signed.replace('\n', "\r\n").as_bytes())));
    assert!(malformed(open(
        signed.replacen("log", "l\0g", 1).as_bytes()
    )));
    let mut bytes = signed.clone().into_bytes();
    bytes[3] = 0xff;
    assert!(malformed(open(&bytes)));
    assert!(malformed(open(format!("{signed}stray\n").as_bytes())));
    // A hyphen instead of the em dash.
    assert!(malformed(open(
        signed.replacen('\u{2014}', "-", 1).as_bytes()
    )));
    // Non-canonical base64 in the signature.
    let unpadded = signed
        .trim_end_matches('\n')
        .trim_end_matches('=')
        .to_owned()
        + "\n";
    assert!(malformed(open(unpadded.as_bytes())));

    // A different key under the same name has another key ID: unknown.
    let other = Ed25519Signer::from_seed("example.gov.vn/congso/log", [3; 32]).unwrap();
    assert!(matches!(
        note::open(signed.as_bytes(), &[&other.verifier()]),
        Err(NoteError::NoVerifiedSignature { .. })
    ));

    // Reordering the signature lines is harmless.
    let witness = witness();
    let two = note::sign(&body, &[&log, &witness.at(5)]).unwrap();
    let (text, signatures) = two.split_at(body.len() + 1);
    let swapped: Vec<&str> = signatures.lines().rev().collect();
    let swapped = format!("{text}{}\n", swapped.join("\n"));
    assert_ne!(swapped, two);
    assert_eq!(
        note::open(swapped.as_bytes(), &[&verifier, &witness.verifier()])
            .unwrap()
            .verified()
            .len(),
        2
    );
}

#[test]
fn oversized_notes_are_refused_unread() {
    let log = log_signer();
    let huge = format!("{}\n", "x".repeat(MAX_NOTE_BYTES));
    assert!(matches!(
        note::sign(&huge, &[&log]),
        Err(NoteError::TooLarge { .. })
    ));
    let mut note = note::sign(&checkpoint_body(), &[&log])
        .unwrap()
        .into_bytes();
    note.resize(MAX_NOTE_BYTES + 1, b'\n');
    assert_eq!(
        note::open(&note, &[&log.verifier()]),
        Err(NoteError::TooLarge {
            size: MAX_NOTE_BYTES + 1,
            max: MAX_NOTE_BYTES
        })
    );
    assert!(matches!(
        note::sign("a\rb\n", &[&log]),
        Err(NoteError::Malformed { .. })
    ));
}

#[test]
fn cosignatures_are_refused_when_altered() {
    let log = log_signer();
    let witness = witness();
    let body = checkpoint_body();
    let verifiers: [&dyn Verifier; 2] = [&log.verifier(), &witness.verifier()];

    // An altered timestamp breaks the signature.
    let mut signature = witness.cosign_bytes(&body, 1_700_000_000).unwrap();
    assert!(witness.verifier().verify(body.as_bytes(), &signature));
    signature[7] ^= 1;
    assert!(!witness.verifier().verify(body.as_bytes(), &signature));
    let line = Signature {
        name: witness.name().into(),
        key_id: witness.key_id(),
        signature,
    }
    .to_line();
    let note = format!("{}{line}", note::sign(&body, &[&log]).unwrap());
    assert!(matches!(
        note::open(note.as_bytes(), &verifiers),
        Err(NoteError::InvalidSignature { .. })
    ));

    // A plain Ed25519 signature by the witness key over the body is not a cosignature.
    let plain = Ed25519Signer::from_seed("witness.example.gov.vn/w1", [2; 32]).unwrap();
    let plain_signature = note::Signer::sign(&plain, body.as_bytes()).unwrap();
    assert!(!witness.verifier().verify(body.as_bytes(), &plain_signature));
    let mut padded = vec![0; 8];
    padded.extend_from_slice(&plain_signature);
    assert!(!witness.verifier().verify(body.as_bytes(), &padded));

    // Timestamps past 2^63 - 1 are refused both ways.
    assert_eq!(
        witness.cosign(&body, MAX_TIMESTAMP + 1),
        Err(CosignatureError::TimestampTooLarge(MAX_TIMESTAMP + 1))
    );
    witness.cosign(&body, MAX_TIMESTAMP).unwrap();
    let mut late = witness.cosign_bytes(&body, 0).unwrap();
    late[..8].copy_from_slice(&(MAX_TIMESTAMP + 1).to_be_bytes());
    assert!(!witness.verifier().verify(body.as_bytes(), &late));

    // Only checkpoints are cosigned.
    assert!(matches!(
        witness.cosign("not a checkpoint\n", 1),
        Err(CosignatureError::NotACheckpoint(
            CheckpointError::TooFewLines { found: 1 }
        ))
    ));
    assert!(matches!(
        note::sign("not\na\ncheckpoint\n", &[&witness.at(1)]),
        Err(NoteError::SignerRefused { .. })
    ));

    // open_checkpoint needs the log's signature, and a checkpoint text.
    let witness_only = note::sign(&body, &[&witness.at(1)]).unwrap();
    assert_eq!(
        open_checkpoint(
            witness_only.as_bytes(),
            &[&log.verifier()],
            &[&witness.verifier()]
        ),
        Err(CosignatureError::NoLogSignature)
    );
    assert_eq!(
        open_checkpoint(witness_only.as_bytes(), &[], &[&witness.verifier()]),
        Err(CosignatureError::NoLogSignature)
    );
    let not_checkpoint = note::sign("hello\n", &[&log]).unwrap();
    assert!(matches!(
        open_checkpoint(not_checkpoint.as_bytes(), &[&log.verifier()], &[]),
        Err(CosignatureError::NotACheckpoint(_))
    ));
}

/// The example in c2sp.org/tlog-cosignature: its signed message, and the
/// layout of its witness line (key ID, then the timestamp 1679315147). The
/// spec does not publish the witness's public key, so the signature itself
/// cannot be checked.
#[test]
fn the_c2sp_example() {
    let body =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    assert_eq!(
        signed_message(body, 1_679_315_147),
        "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    );
    let note = format!(
        "{body}\n\
         \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
         \u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
    );
    let Err(NoteError::NoVerifiedSignature { unverified }) = note::open(note.as_bytes(), &[])
    else {
        panic!("an example without keys cannot verify");
    };
    assert_eq!(unverified.len(), 2);
    let witness_line = &unverified[1];
    assert_eq!(witness_line.name, "witness.example.com/w1");
    assert_eq!(witness_line.key_id, 0x8d66cf3f);
    assert_eq!(cosignature::timestamp(witness_line).unwrap(), 1_679_315_147);
    // The log's own line is a plain 64-byte Ed25519 signature, not a cosignature.
    assert!(cosignature::timestamp(&unverified[0]).is_err());
}

fn vector() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/cosignature/vector.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn seed(hex: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

/// A note made by an independent implementation (Python hashlib and
/// `cryptography`): we must open it and, Ed25519 being deterministic,
/// reproduce it byte for byte from the same seeds.
#[test]
fn the_independent_python_vector() {
    let vector = vector();
    let text = |key: &str| vector[key].as_str().unwrap().to_owned();
    let body = text("body");
    let timestamp = vector["timestamp"].as_u64().unwrap();

    let log_verifier = Ed25519Verifier::from_vkey(&text("log_vkey")).unwrap();
    let witness_verifier = CosignatureVerifier::from_vkey(&text("witness_vkey")).unwrap();
    let witnessed = open_checkpoint(
        text("note").as_bytes(),
        &[&log_verifier],
        &[&witness_verifier],
    )
    .unwrap();
    assert_eq!(witnessed.checkpoint.size(), 12345);
    assert_eq!(witnessed.checkpoint.extensions(), ["extension line"]);
    assert_eq!(witnessed.cosignatures.len(), 1);
    assert_eq!(witnessed.cosignatures[0].timestamp, timestamp);

    let log =
        Ed25519Signer::from_seed("example.gov.vn/congso/log", seed(&text("log_seed_hex"))).unwrap();
    let witness =
        Cosigner::from_seed("witness.example.gov.vn/w1", seed(&text("witness_seed_hex"))).unwrap();
    assert_eq!(log.to_skey(), text("log_skey"));
    assert_eq!(log.verifier().to_vkey(), text("log_vkey"));
    assert_eq!(witness.to_skey(), text("witness_skey"));
    assert_eq!(witness.verifier().to_vkey(), text("witness_vkey"));
    assert_eq!(note::signature_line(&body, &log).unwrap(), text("log_line"));
    assert_eq!(
        witness.cosign(&body, timestamp).unwrap(),
        text("witness_line")
    );
    assert_eq!(
        note::sign(&body, &[&log, &witness.at(timestamp)]).unwrap(),
        text("note")
    );
}

fn note_text() -> impl Strategy<Value = String> {
    // Lines of printable text (any Unicode without control characters),
    // possibly empty, joined and ended by newlines.
    prop::collection::vec("[^\\x00-\\x1f\\x7f]{0,40}", 1..6)
        .prop_map(|lines| lines.iter().map(|line| format!("{line}\n")).collect())
}

fn checkpoint() -> impl Strategy<Value = Checkpoint> {
    (
        "[^\\x00-\\x1f]{1,30}",
        any::<u64>(),
        any::<[u8; 32]>(),
        prop::collection::vec("[^\\x00-\\x1f]{1,20}", 0..3),
    )
        .prop_map(|(origin, size, root, extensions)| {
            Checkpoint::new(origin, size, root)
                .unwrap()
                .with_extensions(extensions)
                .unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sign_then_open_round_trips(text in note_text(), seed in any::<[u8; 32]>(), name in "[a-z0-9./-]{1,30}") {
        let signer = Ed25519Signer::from_seed(&name, seed).unwrap();
        let signed = note::sign(&text, &[&signer]).unwrap();
        let opened = note::open(signed.as_bytes(), &[&signer.verifier()]).unwrap();
        prop_assert_eq!(opened.text(), text.as_str());
        prop_assert_eq!(opened.verified().len(), 1);
        prop_assert_eq!(opened.verified()[0].to_line(), note::signature_line(&text, &signer).unwrap());
    }

    #[test]
    fn checkpoints_round_trip(checkpoint in checkpoint()) {
        let body = checkpoint.to_body();
        prop_assert_eq!(Checkpoint::parse(&body).unwrap(), checkpoint);
    }

    #[test]
    fn cosign_then_verify_round_trips(checkpoint in checkpoint(), seed in any::<[u8; 32]>(), timestamp in 0..=MAX_TIMESTAMP) {
        let log = log_signer();
        let witness = Cosigner::from_seed("w", seed).unwrap();
        let body = checkpoint.to_body();
        let signed = note::sign(&body, &[&log, &witness.at(timestamp)]).unwrap();
        let witnessed = open_checkpoint(signed.as_bytes(), &[&log.verifier()], &[&witness.verifier()]).unwrap();
        prop_assert_eq!(witnessed.checkpoint, checkpoint);
        prop_assert_eq!(witnessed.cosignatures[0].timestamp, timestamp);
    }

    #[test]
    fn open_never_panics_on_garbage(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let log = log_signer();
        let _ = note::open(&bytes, &[&log.verifier(), &witness().verifier()]);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = Checkpoint::parse(text);
            let _ = Ed25519Verifier::from_vkey(text);
            let _ = Cosigner::from_skey(text);
        }
    }
}
