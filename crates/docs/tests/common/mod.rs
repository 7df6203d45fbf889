//! A small agency on a test database: an organisation with two units, staff
//! in every document role, the ledger, a blob store and the service.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use congso_core::access::{AccountKind, Role, RoleSet};
use congso_docs::files::Upload;
use congso_docs::model::{DocumentMetadata, Party, Signer, SigningAuthority};
use congso_docs::service::{Acting, Agency, Service, Settings, SignedFile};
use congso_docs::types::TypeRegistry;
use congso_docs::workflow::Workflows;
use congso_store::accounts::{self, NewOrganization, NewUser};
use congso_store::blob::{BlobConfig, BlobStore};
use congso_store::ledger::{Ledger, LedgerOptions};
use congso_store::Db;
use congso_vn::calendar::OfficialCalendar;

pub const SEED: [u8; 32] = [9u8; 32];

pub struct Node {
    pub db: Db,
    pub ledger: Ledger,
    pub blobs: BlobStore,
    pub service: Service,
    pub organization_id: i64,
    pub office_unit: i64,
    pub finance_unit: i64,
    pub clerk: Acting,
    pub leader: Acting,
    pub specialist: Acting,
    pub other_specialist: Acting,
    /// A specialist with "Mật" clearance.
    pub cleared_specialist: Acting,
    pub security_officer: Acting,
    pub admin: Acting,
    pub workflows: Workflows,
    _dir: tempfile::TempDir,
}

fn agency(organization_id: i64) -> Agency {
    Agency {
        organization_id,
        organ_code: "000.00.00.H26".into(),
        name: "UBND thành phố Hà Nội".into(),
        abbreviation: "UBND".into(),
        place: "Hà Nội".into(),
        address: Some("12 Lê Lai, Hoàn Kiếm, Hà Nội".into()),
        email: None,
        phone: None,
        website: None,
    }
}

async fn user(
    db: &Db,
    organization_id: i64,
    unit_id: Option<i64>,
    username: &str,
    name: &str,
    roles: &[Role],
) -> i64 {
    accounts::create_user(
        db,
        &NewUser {
            username: username.to_owned(),
            display_name: name.to_owned(),
            email: Some(format!("{username}@hanoi.gov.vn")),
            kind: AccountKind::Staff,
            organization_id: Some(organization_id),
            unit_id,
            position: None,
            roles: roles.iter().copied().collect::<RoleSet>(),
            password_hash: "$argon2id$not-a-real-hash".to_owned(),
            must_change_password: false,
        },
    )
    .await
    .unwrap()
}

impl Node {
    pub async fn new(db: Db) -> Node {
        Node::with_workflows(db, Workflows::shipped()).await
    }

    pub async fn with_workflows(db: Db, workflows: Workflows) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(
            db.clone(),
            SEED,
            "congso/test-node".to_owned(),
            LedgerOptions {
                batch_max: 512,
                checkpoint_interval: Duration::from_secs(3600),
            },
        )
        .await
        .unwrap();
        let blobs = BlobStore::open(
            &BlobConfig::Local {
                root: dir.path().join("blobs"),
            },
            dir.path().join("spool"),
        )
        .unwrap();
        let organization_id = accounts::create_organization(
            &db,
            &NewOrganization {
                kind: "agency".into(),
                organ_code: Some("000.00.00.H26".into()),
                name: "UBND thành phố Hà Nội".into(),
                short_name: Some("UBND".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let office_unit = accounts::create_organization(
            &db,
            &NewOrganization {
                parent_id: Some(organization_id),
                kind: "unit".into(),
                name: "Văn phòng".into(),
                short_name: Some("VP".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let finance_unit = accounts::create_organization(
            &db,
            &NewOrganization {
                parent_id: Some(organization_id),
                kind: "unit".into(),
                name: "Phòng Tài chính".into(),
                short_name: Some("TC".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let org = organization_id;
        let clerk = user(
            &db,
            org,
            Some(office_unit),
            "van.thu",
            "Lê Thị Văn Thư",
            &[Role::Clerk],
        )
        .await;
        let leader = user(
            &db,
            org,
            Some(office_unit),
            "lanh.dao",
            "Trần Văn Lãnh Đạo",
            &[Role::Leader],
        )
        .await;
        let specialist = user(
            &db,
            org,
            Some(office_unit),
            "chuyen.vien",
            "Nguyễn Thị Chuyên",
            &[Role::Specialist],
        )
        .await;
        let other = user(
            &db,
            org,
            Some(finance_unit),
            "chuyen.vien2",
            "Phạm Văn Khác",
            &[Role::Specialist],
        )
        .await;
        let cleared = user(
            &db,
            org,
            Some(finance_unit),
            "chuyen.vien.mat",
            "Đỗ Thị Mật",
            &[Role::Specialist],
        )
        .await;
        let security = user(
            &db,
            org,
            None,
            "an.ninh",
            "Cán bộ An ninh",
            &[Role::SecurityOfficer],
        )
        .await;
        let admin = user(
            &db,
            org,
            None,
            "quan.tri",
            "Quản trị",
            &[Role::Administrator],
        )
        .await;
        let service = Service::new(
            db.clone(),
            ledger.clone(),
            blobs.clone(),
            Arc::new(OfficialCalendar::shipped().clone()),
            workflows.clone(),
            TypeRegistry::shipped(),
            agency(organization_id),
            Settings {
                max_upload_bytes: 1 << 20,
                spool_dir: dir.path().join("spool"),
            },
        );
        let acting = |id| {
            let service = service.clone();
            async move { service.acting(id, "127.0.0.1").await.unwrap() }
        };
        let security_officer = acting(security).await;
        let cleared_plain = acting(cleared).await;
        service
            .set_clearance(
                &security_officer,
                cleared,
                congso_docs::model::Secrecy::Confidential,
            )
            .await
            .unwrap();
        let _ = cleared_plain;
        Node {
            clerk: acting(clerk).await,
            leader: acting(leader).await,
            specialist: acting(specialist).await,
            other_specialist: acting(other).await,
            cleared_specialist: acting(cleared).await,
            security_officer,
            admin: acting(admin).await,
            db,
            ledger,
            blobs,
            service,
            organization_id,
            office_unit,
            finance_unit,
            workflows,
            _dir: dir,
        }
    }

    /// The same node's service over another ledger handle (after a restart).
    pub fn service_with_ledger(&self, ledger: Ledger) -> Service {
        Service::new(
            self.db.clone(),
            ledger,
            self.blobs.clone(),
            Arc::new(OfficialCalendar::shipped().clone()),
            self.workflows.clone(),
            TypeRegistry::shipped(),
            agency(self.organization_id),
            Settings {
                max_upload_bytes: 1 << 20,
                spool_dir: self._dir.path().join("spool"),
            },
        )
    }

    /// Opens the node's ledger again (as a restarted node does).
    pub async fn reopen_ledger(&self) -> Ledger {
        Ledger::open(
            self.db.clone(),
            SEED,
            "congso/test-node".to_owned(),
            LedgerOptions {
                batch_max: 512,
                checkpoint_interval: Duration::from_secs(3600),
            },
        )
        .await
        .unwrap()
    }
}

pub fn incoming(summary: &str, sender_code: &str, sender: &str) -> DocumentMetadata {
    DocumentMetadata {
        type_code: "cong-van".into(),
        issuer: Party {
            organ_code: Some(sender_code.into()),
            name: sender.into(),
        },
        sender: Some(Party {
            organ_code: Some(sender_code.into()),
            name: sender.into(),
        }),
        number: Some("125".into()),
        notation: Some("BTC-NSNN".into()),
        place: Some("Hà Nội".into()),
        issue_date: congso_vn::calendar::parse_iso_date("2026-03-02").ok(),
        summary: summary.into(),
        signer: Some(Signer {
            authority: Some(SigningAuthority::Deputy),
            on_behalf_of: Some("BỘ TRƯỞNG".into()),
            position: Some("THỨ TRƯỞNG".into()),
            full_name: "Võ Thành Hưng".into(),
        }),
        ..Default::default()
    }
}

pub fn outgoing(type_code: &str, summary: &str) -> DocumentMetadata {
    DocumentMetadata {
        type_code: type_code.into(),
        summary: summary.into(),
        signer: Some(Signer {
            authority: Some(SigningAuthority::OnBehalfOf),
            on_behalf_of: Some("ỦY BAN NHÂN DÂN".into()),
            position: Some("CHỦ TỊCH".into()),
            full_name: "Trần Sỹ Thanh".into(),
        }),
        recipients: vec![
            Party {
                organ_code: Some("000.00.00.G22".into()),
                name: "Văn phòng Chính phủ".into(),
            },
            Party {
                organ_code: None,
                name: "Các sở, ban, ngành".into(),
            },
        ],
        copies: Some(12),
        file_holder: Some("Văn phòng (lưu VT)".into()),
        ..Default::default()
    }
}

pub fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% {tag}\n1 0 obj << >> endobj\nstartxref\n9\n%%EOF\n").into_bytes()
}

pub fn upload<'a>(name: &str, mime: &str, bytes: &'a [u8]) -> Upload<&'a [u8]> {
    Upload {
        name: name.into(),
        mime: mime.into(),
        reader: bytes,
    }
}

/// Takes an outgoing draft through submit, review, approve and sign (with a
/// stand-in signed PDF).
pub async fn to_signed(node: &Node, id: i64) {
    let service = &node.service;
    service
        .transition(&node.specialist, id, step("submit"))
        .await
        .unwrap();
    service
        .transition(&node.leader, id, step("review"))
        .await
        .unwrap();
    service
        .transition(&node.leader, id, step("approve"))
        .await
        .unwrap();
    let signed = node
        .blobs
        .put_bytes(pdf(&format!("signed {id}")).into())
        .await
        .unwrap();
    service
        .mark_signed(
            &node.leader,
            id,
            SignedFile {
                sha256: signed.sha256,
                size: signed.size,
                mime: "application/pdf".into(),
                name: format!("van-ban-{id}.signed.pdf"),
            },
            &format!("sig-{id}"),
        )
        .await
        .unwrap();
}

fn step(name: &str) -> congso_docs::service::TransitionRequest {
    congso_docs::service::TransitionRequest {
        transition: name.into(),
        ..Default::default()
    }
}
