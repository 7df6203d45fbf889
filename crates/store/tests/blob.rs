//! Blob store tests: always on local disk; against an S3-compatible server
//! when `CONGSO_TEST_S3_ENDPOINT` is set (CI starts moto on 127.0.0.1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use congso_store::blob::{BlobConfig, BlobStore};
use congso_store::StoreError;
use sha2::{Digest, Sha256};

async fn exercise(store: &BlobStore) {
    let data = Bytes::from_static("Nghị định 64/2007/NĐ-CP".as_bytes());
    let blob = store.put_bytes(data.clone()).await.unwrap();
    assert_eq!(blob.sha256, <[u8; 32]>::from(Sha256::digest(&data)));
    assert_eq!(blob.size, data.len() as u64);
    assert!(store.exists(&blob.sha256).await.unwrap());
    assert_eq!(store.get_bytes(&blob.sha256).await.unwrap(), data);
    assert!(store.verify(&blob.sha256).await.unwrap());
    // Storing the same bytes again is a no-op that names the same blob.
    assert_eq!(store.put_bytes(data.clone()).await.unwrap(), blob);

    // A streamed upload larger than one part goes through multipart.
    let big: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let streamed = store.put_reader(&big[..], None).await.unwrap();
    assert_eq!(streamed.size, big.len() as u64);
    assert_eq!(streamed.sha256, <[u8; 32]>::from(Sha256::digest(&big)));
    assert!(store.verify(&streamed.sha256).await.unwrap());

    // An upload over the limit is refused and leaves nothing behind.
    let refused = store.put_reader(&b"0123456789"[..], Some(5)).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    let missing: [u8; 32] = Sha256::digest(b"0123456789").into();
    assert!(!store.exists(&missing).await.unwrap());
    assert!(matches!(
        store.get_bytes(&missing).await,
        Err(StoreError::NotFound { .. })
    ));

    // Corruption of stored bytes is detected by re-hashing.
    store
        .corrupt_for_test(&blob.sha256, Bytes::from_static(b"tampered"))
        .await
        .unwrap();
    assert!(!store.verify(&blob.sha256).await.unwrap());
}

#[tokio::test]
async fn local_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(
        &BlobConfig::Local {
            root: dir.path().join("blobs"),
        },
        dir.path().join("spool"),
    )
    .unwrap();
    exercise(&store).await;
    // Local uploads spool inside the store; nothing is left behind.
    assert_eq!(
        std::fs::read_dir(dir.path().join("blobs/incoming"))
            .unwrap()
            .count(),
        0,
        "spool files are removed"
    );
}

#[tokio::test]
async fn s3_compatible_server() {
    let Ok(endpoint) = std::env::var("CONGSO_TEST_S3_ENDPOINT") else {
        if std::env::var("CONGSO_REQUIRE_S3").as_deref() == Ok("1") {
            panic!("CONGSO_REQUIRE_S3=1 but CONGSO_TEST_S3_ENDPOINT is not set");
        }
        eprintln!("note: CONGSO_TEST_S3_ENDPOINT is not set; skipping the S3 blob test");
        return;
    };
    let bucket = std::env::var("CONGSO_TEST_S3_BUCKET").unwrap_or_else(|_| "congso-test".into());
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(
        &BlobConfig::S3 {
            endpoint,
            bucket,
            region: "us-east-1".into(),
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            allow_http: true,
        },
        dir.path().join("spool"),
    )
    .unwrap();
    exercise(&store).await;
}
