//! Hostile archive packages: every shape of zip bomb and malicious archive
//! gets its own clear error, before anything large is unpacked. No database
//! is needed: these packages are made by hand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};
use std::time::SystemTime;

use congso_archive::package::{verify_package, Limits, PackageOptions};
use congso_archive::PackageError;
use proptest::prelude::*;
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

fn stored() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
}

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

/// A zip with these members.
fn zip_of(members: &[(&str, &[u8], SimpleFileOptions)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes, options) in members {
        writer.start_file(*name, *options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Bytes that deflate does not shrink (a simple xorshift stream).
fn noise(length: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn check(bytes: &[u8], limits: Limits) -> PackageError {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("package.zip");
    std::fs::write(&path, bytes).unwrap();
    let options = PackageOptions {
        limits,
        ..PackageOptions::new(SystemTime::now())
    };
    match verify_package(&path, &options) {
        Err(error) => error,
        Ok(report) => panic!("accepted: {report:?}"),
    }
}

/// Offsets of every central-directory (`PK\1\2`) and local (`PK\3\4`) header.
fn headers(bytes: &[u8]) -> (Vec<usize>, Vec<usize>) {
    let find = |signature: &[u8]| -> Vec<usize> {
        bytes
            .windows(4)
            .enumerate()
            .filter(|(_, window)| *window == signature)
            .map(|(at, _)| at)
            .collect()
    };
    (find(b"PK\x01\x02"), find(b"PK\x03\x04"))
}

fn put_u16(bytes: &mut [u8], at: usize, value: u16) {
    bytes[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn manifest_listing(members: &[(&str, &[u8])]) -> Vec<u8> {
    let listed: Vec<_> = members
        .iter()
        .map(|(path, bytes)| {
            serde_json::json!({
                "path": path,
                "sha256": congso_archive::sha256_hex(bytes),
                "size": bytes.len(),
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "format": "congso-archive-package",
        "version": 1,
        "created_at": "2026-11-29T00:00:00Z",
        "origin": "congso/x",
        "checkpoint_size": 1,
        "items": [],
        "members": listed,
    }))
    .unwrap()
}

#[test]
fn not_a_zip() {
    assert!(matches!(
        check(b"hello", Limits::default()),
        PackageError::NotZip(_)
    ));
    assert!(matches!(
        check(&noise(4096), Limits::default()),
        PackageError::NotZip(_)
    ));
    let pdf = congso_archive::samples::text_pdf("x", 1);
    assert!(matches!(
        check(&pdf, Limits::default()),
        PackageError::NotZip(_)
    ));
}

#[test]
fn too_large_a_file() {
    let bytes = zip_of(&[("a.txt", &noise(4096), stored())]);
    let limits = Limits {
        max_package_bytes: 1024,
        ..Limits::default()
    };
    assert!(matches!(
        check(&bytes, limits),
        PackageError::FileTooLarge { limit: 1024, .. }
    ));
}

#[test]
fn too_many_entries() {
    // Real entries, beyond the default limit of 10,000.
    let names: Vec<String> = (0..10_001).map(|n| format!("f/{n}")).collect();
    let members: Vec<(&str, &[u8], SimpleFileOptions)> = names
        .iter()
        .map(|name| (name.as_str(), &b""[..], stored()))
        .collect();
    let error = check(&zip_of(&members), Limits::default());
    assert!(
        matches!(
            error,
            PackageError::TooManyEntries {
                count: 10_001,
                limit: 10_000
            }
        ),
        "{error}"
    );
    // A tiny file whose end record claims 60,000 entries is refused from the
    // end record alone, before the directory is parsed.
    let mut bytes = zip_of(&[("a.txt", b"a", stored())]);
    let eocd = bytes.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
    put_u16(&mut bytes, eocd + 8, 60_000);
    put_u16(&mut bytes, eocd + 10, 60_000);
    let error = check(&bytes, Limits::default());
    assert!(
        matches!(error, PackageError::TooManyEntries { count: 60_000, .. }),
        "{error}"
    );
}

#[test]
fn huge_declared_sizes() {
    // A member declaring 4 GB unpacked (default limit 512 MiB per member).
    let mut bytes = zip_of(&[("big.pdf", b"%PDF-1.7 small", stored())]);
    let (central, _) = headers(&bytes);
    put_u32(&mut bytes, central[0] + 24, 0xFFFF_FFF0);
    let error = check(&bytes, Limits::default());
    assert!(
        matches!(
            error,
            PackageError::MemberTooLarge {
                size: 0xFFFF_FFF0,
                ..
            }
        ),
        "{error}"
    );
    // Members each under the limit, together over the total.
    let chunk = noise(300 * 1024);
    let bytes = zip_of(&[
        ("a", &chunk, stored()),
        ("b", &chunk, stored()),
        ("c", &chunk, stored()),
        ("d", &chunk, stored()),
    ]);
    let limits = Limits {
        max_member_bytes: 512 * 1024,
        max_total_bytes: 1024 * 1024,
        ..Limits::default()
    };
    assert!(matches!(
        check(&bytes, limits),
        PackageError::TotalTooLarge { .. }
    ));
    let limits = Limits {
        max_member_bytes: 100 * 1024,
        ..Limits::default()
    };
    assert!(matches!(
        check(&bytes, limits),
        PackageError::MemberTooLarge { .. }
    ));
}

#[test]
fn compression_bombs() {
    // 32 MiB of zeros deflate to about 32 KiB: a ratio no document has.
    let zeros = vec![0u8; 32 << 20];
    let bytes = zip_of(&[("report.pdf", &zeros, deflated())]);
    let error = check(&bytes, Limits::default());
    assert!(
        matches!(error, PackageError::CompressionRatio { .. }),
        "{error}"
    );
}

#[test]
fn members_that_unpack_beyond_their_declared_size() {
    // The directory says 10 bytes; the deflate stream holds 256 KiB. The
    // read stops at the declared size (the stream's CRC then fails) instead
    // of trusting the stream, and the package is invalid.
    let content = noise(256 * 1024);
    let ledger: [(&str, &[u8]); 2] = [
        ("ledger/verifier-key.txt", b"x"),
        ("ledger/checkpoint.txt", b"x"),
    ];
    let mut listed = vec![("a.bin", content.as_slice())];
    listed.extend(ledger);
    let manifest = manifest_listing(&listed);
    let mut bytes = zip_of(&[
        ("a.bin", &content, deflated()),
        (ledger[0].0, ledger[0].1, stored()),
        (ledger[1].0, ledger[1].1, stored()),
        ("manifest.json", &manifest, stored()),
    ]);
    let (central, local) = headers(&bytes);
    put_u32(&mut bytes, central[0] + 24, 10);
    put_u32(&mut bytes, local[0] + 22, 10);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("package.zip");
    std::fs::write(&path, &bytes).unwrap();
    let report = verify_package(&path, &PackageOptions::new(SystemTime::now())).unwrap();
    assert_eq!(report.verdict, congso_archive::Verdict::Invalid);
    assert!(
        report
            .reasons
            .iter()
            .any(|r| r.code == "PACKAGE_MEMBER_CORRUPT" && r.en.contains("a.bin")),
        "{report:#?}"
    );
}

#[test]
fn overlapping_members() {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer.start_file("a.txt", stored()).unwrap();
    writer.write_all(b"the same bytes, twice").unwrap();
    writer.shallow_copy_file("a.txt", "b.txt").unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    assert!(matches!(
        check(&bytes, Limits::default()),
        PackageError::OverlappingMembers
    ));
}

#[test]
fn unsafe_names() {
    for name in [
        "../evil.txt",
        "items/../../evil",
        "/etc/passwd",
        "items\\1\\x",
        "C:evil",
        "a//b",
        "a/./b",
    ] {
        let bytes = zip_of(&[(name, b"x", stored())]);
        let error = check(&bytes, Limits::default());
        assert!(
            matches!(error, PackageError::UnsafeName { .. }),
            "{name}: {error}"
        );
    }
}

#[test]
fn duplicate_names() {
    let mut bytes = zip_of(&[("a.txt", b"one", stored()), ("b.txt", b"two", stored())]);
    let (central, local) = headers(&bytes);
    // Rename b.txt to a.txt in its local and central headers.
    bytes[local[1] + 30] = b'a';
    bytes[central[1] + 46] = b'a';
    let error = check(&bytes, Limits::default());
    assert!(
        matches!(error, PackageError::DuplicateName { .. }),
        "{error}"
    );
}

#[test]
fn encrypted_members() {
    let mut bytes = zip_of(&[("secret.pdf", b"%PDF-1.7", stored())]);
    let (central, local) = headers(&bytes);
    // General-purpose flag bit 0: the member is encrypted.
    bytes[central[0] + 8] |= 1;
    bytes[local[0] + 6] |= 1;
    let error = check(&bytes, Limits::default());
    assert!(matches!(error, PackageError::Encrypted { .. }), "{error}");
}

#[test]
fn links_and_other_compression_methods() {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer.add_symlink("link", "/etc/passwd", stored()).unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    assert!(matches!(
        check(&bytes, Limits::default()),
        PackageError::NotAFile { .. }
    ));

    let mut bytes = zip_of(&[("a.txt", b"x", stored())]);
    let (central, local) = headers(&bytes);
    put_u16(&mut bytes, central[0] + 10, 12); // bzip2
    put_u16(&mut bytes, local[0] + 8, 12);
    let error = check(&bytes, Limits::default());
    assert!(
        matches!(error, PackageError::UnsupportedCompression { .. }),
        "{error}"
    );
}

#[test]
fn nested_archives() {
    let inner = zip_of(&[("x", b"x", stored())]);
    let bytes = zip_of(&[("items/1/files/000-more.zip", &inner, stored())]);
    let error = check(&bytes, Limits::default());
    assert!(
        matches!(error, PackageError::NestedArchive { .. }),
        "{error}"
    );
    // A zip under an innocent name, outside the files of an item.
    let manifest = manifest_listing(&[("README.txt", &inner)]);
    let bytes = zip_of(&[
        ("README.txt", &inner, stored()),
        ("manifest.json", &manifest, stored()),
    ]);
    let error = check(&bytes, Limits::default());
    assert!(
        matches!(error, PackageError::NestedArchive { .. }),
        "{error}"
    );
}

#[test]
fn missing_or_foreign_manifest() {
    let bytes = zip_of(&[("a.txt", b"x", stored())]);
    assert!(matches!(
        check(&bytes, Limits::default()),
        PackageError::Missing { .. }
    ));
    let bytes = zip_of(&[("manifest.json", b"{\"format\":\"other\"}", stored())]);
    assert!(matches!(
        check(&bytes, Limits::default()),
        PackageError::Malformed { .. }
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Flipping bytes of a well-formed package never panics: the result is
    /// an error or a report.
    #[test]
    fn mutations_never_panic(flips in proptest::collection::vec((0usize..4096, any::<u8>()), 1..8)) {
        let manifest = manifest_listing(&[("README.txt", b"hello")]);
        let mut bytes = zip_of(&[("README.txt", b"hello", deflated()), ("manifest.json", &manifest, deflated())]);
        let length = bytes.len();
        for (at, value) in flips {
            bytes[at % length] ^= value;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.zip");
        std::fs::write(&path, &bytes).unwrap();
        let _ = verify_package(&path, &PackageOptions::new(SystemTime::now()));
    }
}
