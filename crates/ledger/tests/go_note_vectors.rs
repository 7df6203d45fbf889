//! Interoperability with Go's `golang.org/x/mod/sumdb/note`: its published
//! keys, signatures and test cases (note.go and note_test.go), ported.
//! Copyright (c) 2009 The Go Authors, BSD 3-clause; see
//! tests/data/go-sumdb-note/ for the licence and source.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use congso_ledger::note::{
    self, Ed25519Signer, Ed25519Verifier, NoteError, Signature, Signer, Verifier,
};

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn b64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn peter() -> Signature {
    Signature {
        name: "PeterNeumann".into(),
        key_id: 0xc74f20a3,
        signature: b64("x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=")[4..].to_vec(),
    }
}

fn enoch() -> Signature {
    Signature {
        name: "EnochRoot".into(),
        key_id: 0xaf0cfe78,
        signature: b64("rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=")[4..].to_vec(),
    }
}

/// Every proper substring and every one-byte increment of a valid key must be
/// refused, as Go's `TestNewVerifier` and `TestNewSigner` check.
fn check_manglings_refused(key: &str, parse: impl Fn(&str) -> bool) {
    assert!(parse(key), "the valid key {key} must parse");
    let bytes = key.as_bytes();
    for start in 0..=bytes.len() {
        for end in start + 1..=bytes.len() {
            if (start, end) != (0, bytes.len()) {
                let part = &key[start..end];
                assert!(!parse(part), "{part:?} parsed");
            }
        }
    }
    for position in 0..bytes.len() {
        let mut mangled = bytes.to_vec();
        mangled[position] += 1;
        let mangled = String::from_utf8(mangled).unwrap();
        assert!(!parse(&mangled), "{mangled:?} parsed");
    }
}

#[test]
fn new_verifier() {
    check_manglings_refused(PETER_VKEY, |key| Ed25519Verifier::from_vkey(key).is_ok());
    // A wrong-length key and an unknown algorithm, each with a key ID adjusted to match.
    for bad in [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ] {
        assert!(Ed25519Verifier::from_vkey(bad).is_err(), "{bad}");
    }
    let verifier = Ed25519Verifier::from_vkey(PETER_VKEY).unwrap();
    assert_eq!(verifier.name(), "PeterNeumann");
    assert_eq!(verifier.key_id(), 0xc74f20a3);
    assert_eq!(verifier.to_vkey(), PETER_VKEY);
}

#[test]
fn new_signer() {
    check_manglings_refused(PETER_SKEY, |key| Ed25519Signer::from_skey(key).is_ok());
    let signer = Ed25519Signer::from_skey(PETER_SKEY).unwrap();
    assert_eq!(signer.name(), "PeterNeumann");
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(signer.to_skey(), PETER_SKEY);
    // The public key derived from the seed is the published verifier key.
    assert_eq!(signer.verifier().to_vkey(), PETER_VKEY);
}

#[test]
fn signer_debug_output_hides_the_key() {
    let signer = Ed25519Signer::from_skey(PETER_SKEY).unwrap();
    let shown = format!("{signer:?}");
    assert!(shown.contains("PeterNeumann") && shown.contains("c74f20a3"));
    assert!(shown.contains("redacted"));
    assert!(!shown.contains("AYEKFALV") && !shown.contains("seed"));
}

struct NamedSigner(&'static str);

impl Signer for NamedSigner {
    fn name(&self) -> &str {
        self.0
    }
    fn key_id(&self) -> u32 {
        0
    }
    fn sign(&self, _text: &[u8]) -> Result<Vec<u8>, NoteError> {
        Err(NoteError::SignerRefused {
            name: self.0.into(),
            reason: "surprise!".into(),
        })
    }
}

#[test]
fn sign() {
    let signer = Ed25519Signer::from_skey(PETER_SKEY).unwrap();
    let signed = note::sign(TEXT, &[&signer]).unwrap();
    assert_eq!(signed, format!("{TEXT}\n{PETER_SIG}"));
    assert_eq!(note::signature_line(TEXT, &signer).unwrap(), PETER_SIG);

    assert!(matches!(
        note::sign("abc", &[&signer]),
        Err(NoteError::Malformed { .. })
    ));
    assert_eq!(
        note::sign(TEXT, &[&NamedSigner("bad name")]),
        Err(NoteError::InvalidSigner {
            name: "bad name".into()
        })
    );
    assert_eq!(
        note::sign(TEXT, &[&NamedSigner("surprise")]),
        Err(NoteError::SignerRefused {
            name: "surprise".into(),
            reason: "surprise!".into()
        })
    );
    assert_eq!(note::sign(TEXT, &[]), Err(NoteError::NoSigners));
}

fn open(message: &str, verifiers: &[&dyn Verifier]) -> Result<note::VerifiedNote, NoteError> {
    note::open(message.as_bytes(), verifiers)
}

#[test]
fn open_go_cases() {
    let peter_verifier = Ed25519Verifier::from_vkey(PETER_VKEY).unwrap();
    let enoch_verifier = Ed25519Verifier::from_vkey(ENOCH_VKEY).unwrap();
    let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");

    // One signature verified, one not.
    let opened = open(&both, &[&peter_verifier]).unwrap();
    assert_eq!(opened.text(), TEXT);
    assert_eq!(opened.verified(), [peter()]);
    assert_eq!(opened.unverified(), [enoch()]);

    // Both verified.
    let opened = open(&both, &[&peter_verifier, &enoch_verifier]).unwrap();
    assert_eq!(opened.verified(), [peter(), enoch()]);
    assert!(opened.unverified().is_empty());

    // Both unverified.
    let error = open(&both, &[]).unwrap_err();
    assert_eq!(error.to_string(), "note has no verifiable signatures");
    assert_eq!(
        error,
        NoteError::NoVerifiedSignature {
            unverified: vec![peter(), enoch()]
        }
    );

    // A duplicated verifier is ambiguous once a signature needs it.
    let error = open(
        &format!("{TEXT}\n{ENOCH_SIG}"),
        &[&enoch_verifier, &peter_verifier, &enoch_verifier],
    )
    .unwrap_err();
    assert_eq!(
        error,
        NoteError::AmbiguousKey {
            name: "EnochRoot".into(),
            key_id: 0xaf0cfe78
        }
    );
    assert!(error
        .to_string()
        .starts_with("ambiguous key EnochRoot+af0cfe78"));
    open(
        &format!("{TEXT}\n{PETER_SIG}"),
        &[&enoch_verifier, &peter_verifier, &enoch_verifier],
    )
    .unwrap();

    // Too many signatures, verified or not.
    let many = format!("{TEXT}\n{}", PETER_SIG.repeat(101));
    assert_eq!(
        open(&many, &[&peter_verifier]),
        Err(NoteError::TooManySignatures { max: 100 })
    );
    assert_eq!(
        open(&many, &[]),
        Err(NoteError::TooManySignatures { max: 100 })
    );
    let hundred = format!("{TEXT}\n{}", PETER_SIG.repeat(100));
    assert_eq!(
        open(&hundred, &[&peter_verifier]).unwrap().verified(),
        [peter()]
    );

    // An invalid signature from a known key.
    let bad = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    let error = open(&bad, &[&peter_verifier]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid signature for key PeterNeumann+c74f20a3"
    );

    // Duplicated verified and unverified signatures.
    let enoch_abcd = Signature {
        name: "EnochRoot".into(),
        key_id: 0xaf0cfe78,
        signature: b64("rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5nABCD2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=")[4..].to_vec(),
    };
    let message = format!(
        "{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}{}ABCD{}",
        &ENOCH_SIG[..60],
        &ENOCH_SIG[60..]
    );
    let opened = open(&message, &[&peter_verifier]).unwrap();
    assert_eq!(opened.verified(), [peter()]);
    assert_eq!(opened.unverified(), [enoch(), enoch_abcd]);

    // Invalid encoded message syntax.
    let bad_messages: Vec<Vec<u8>> = vec![
        TEXT.into(),
        format!("{TEXT}\n").into(),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]).into(),
        format!("\x01{TEXT}\n{PETER_SIG}").into(),
        [b"\xff".as_slice(), format!("{TEXT}\n{PETER_SIG}").as_bytes()].concat(),
        format!("{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=").into(),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n").into(),
    ];
    for message in bad_messages {
        let result = note::open(&message, &[&peter_verifier]);
        assert!(
            matches!(result, Err(NoteError::Malformed { .. })),
            "{:?}: {result:?}",
            String::from_utf8_lossy(&message)
        );
    }
}

#[test]
fn the_doc_example_double_signature() {
    // note.go's package comment: EnochRoot re-signs Peter's note.
    let peter_verifier = Ed25519Verifier::from_vkey(PETER_VKEY).unwrap();
    let enoch_verifier = Ed25519Verifier::from_vkey(ENOCH_VKEY).unwrap();
    assert!(enoch_verifier.verify(TEXT.as_bytes(), &enoch().signature));
    assert!(peter_verifier.verify(TEXT.as_bytes(), &peter().signature));
    assert!(!enoch_verifier.verify(TEXT.as_bytes(), &peter().signature));
    assert_eq!(peter().to_line(), PETER_SIG);
    assert_eq!(enoch().to_line(), ENOCH_SIG);
}
