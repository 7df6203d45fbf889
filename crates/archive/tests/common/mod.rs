//! A node's storage for the integration tests: database (from the
//! `conformance!` macro), ledger, blob store in a temporary directory, the
//! node PKI and archive, and three accounts.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod peers;

use std::time::Duration;

use congso_archive::{Archive, NodePki, PkiSettings};
use congso_core::access::{AccountKind, Role};
use congso_core::audit::Actor;
use congso_ledger::note::{Ed25519Signer, Ed25519Verifier};
use congso_store::accounts::{self, NewOrganization, NewUser};
use congso_store::blob::{BlobConfig, BlobStore};
use congso_store::ledger::{Ledger, LedgerOptions};
use congso_store::secrets::{MasterKey, Sealer};
use congso_store::Db;

pub const SEED: [u8; 32] = [9u8; 32];
pub const ORIGIN: &str = "congso/archive-test";

pub struct Node {
    pub db: Db,
    pub ledger: Ledger,
    pub blobs: BlobStore,
    pub sealer: Sealer,
    pub pki: NodePki,
    pub archive: Archive,
    pub dir: tempfile::TempDir,
}

pub fn verifier() -> Ed25519Verifier {
    Ed25519Signer::from_seed(ORIGIN, SEED).unwrap().verifier()
}

pub fn operator() -> Actor {
    Actor::Operator("tester".into())
}

fn user(username: &str, kind: AccountKind, role: Role, position: &str) -> NewUser {
    NewUser {
        username: username.to_owned(),
        display_name: match username {
            "lanh.dao" => "Nguyễn Văn An".to_owned(),
            "chuyen.vien" => "Trần Thị Bình".to_owned(),
            other => other.to_owned(),
        },
        email: Some(format!("{username}@example.gov.vn")),
        kind,
        organization_id: None,
        unit_id: None,
        position: Some(position.to_owned()),
        roles: [role].into_iter().collect(),
        password_hash: "$argon2id$not-a-real-hash".to_owned(),
        must_change_password: false,
    }
}

impl Node {
    pub async fn new(db: Db) -> Node {
        Node::with_settings(db, PkiSettings::default()).await
    }

    pub async fn with_settings(db: Db, settings: PkiSettings) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(
            &BlobConfig::Local {
                root: dir.path().join("blobs"),
            },
            dir.path().join("spool"),
        )
        .unwrap();
        let ledger = Ledger::open(
            db.clone(),
            SEED,
            ORIGIN.to_owned(),
            LedgerOptions {
                batch_max: 512,
                checkpoint_interval: Duration::from_secs(3600),
            },
        )
        .await
        .unwrap();
        let sealer = MasterKey::generate().sealer();
        accounts::create_organization(
            &db,
            &NewOrganization {
                parent_id: None,
                kind: "agency".into(),
                organ_code: Some("000.00.00.H01".into()),
                name: "Ủy ban nhân dân xã Thử Nghiệm".into(),
                name_en: None,
                short_name: Some("UBND".into()),
                address: None,
                phone: None,
                email: None,
                website: None,
            },
        )
        .await
        .unwrap();
        for new in [
            user("lanh.dao", AccountKind::Staff, Role::Leader, "Chủ tịch"),
            user(
                "chuyen.vien",
                AccountKind::Staff,
                Role::Specialist,
                "Chuyên viên",
            ),
            user("cong.dan", AccountKind::Citizen, Role::Citizen, "-"),
        ] {
            accounts::create_user(&db, &new).await.unwrap();
        }
        let pki = NodePki::open(&db, &sealer, settings).await.unwrap();
        let archive = Archive::new(pki.clone(), blobs.clone());
        Node {
            db,
            ledger,
            blobs,
            sealer,
            pki,
            archive,
            dir,
        }
    }

    pub async fn shutdown(self) {
        self.ledger.shutdown().await.unwrap();
    }
}

/// A small PDF to sign.
pub fn pdf(title: &str) -> Vec<u8> {
    congso_archive::samples::text_pdf(title, 1)
}
