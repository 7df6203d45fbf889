//! The registration benchmark `congso bench documents` runs: incoming
//! documents with a 100 KB file each, registered from concurrent tasks,
//! each one streamed into the blob store, hashed, numbered, indexed,
//! committed (SQLite `synchronous=FULL`) and ledgered before its task sees
//! it done.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use congso_core::access::{AccountKind, Role, RoleSet};
use congso_store::accounts::{self, NewOrganization, NewUser};
use congso_store::blob::{BlobConfig, BlobStore};
use congso_store::ledger::{Ledger, LedgerOptions};
use congso_store::{Db, DbOptions};
use congso_vn::calendar::OfficialCalendar;
use serde::Serialize;

use crate::error::{DocsError, Result};
use crate::files::Upload;
use crate::model::{DocumentMetadata, Party};
use crate::service::{Acting, Agency, Service, Settings};
use crate::types::TypeRegistry;
use crate::workflow::Workflows;

/// What the benchmark measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    pub backend: String,
    pub documents: usize,
    pub tasks: usize,
    pub file_bytes: usize,
    pub seconds: f64,
    pub documents_per_second: f64,
    /// Ledger entries after the run (one per registration, plus set-up).
    pub ledger_entries: u64,
}

/// A file whose content is unique to `index` (so that no registration is
/// refused as a duplicate) and starts like a PDF (so that the content check
/// passes), without costing more than a copy to make.
fn document_file(base: &[u8], index: usize) -> Vec<u8> {
    let mut bytes = base.to_vec();
    let stamp = format!("{index:016}");
    if let Some(slot) = bytes.get_mut(16..32) {
        slot.copy_from_slice(stamp.as_bytes());
    }
    bytes
}

fn base_file(size: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(size.max(64));
    bytes.extend_from_slice(b"%PDF-1.7\n%bench ");
    // xorshift noise, so compression or deduplication below us cannot help.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while bytes.len() < size.max(64) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    // A PDF ends with its end-of-file marker; registration checks it.
    bytes.truncate(size.max(64) - 7);
    bytes.extend_from_slice(b"\n%%EOF\n");
    bytes
}

/// Registers `documents` incoming documents with a `file_bytes` file each
/// from `tasks` concurrent tasks through `service`, as `acting`.
pub async fn bench_register_incoming(
    service: &Service,
    acting: &Acting,
    documents: usize,
    tasks: usize,
    file_bytes: usize,
) -> Result<(f64, usize)> {
    let base = Arc::new(base_file(file_bytes));
    let tasks = tasks.max(1);
    let started = Instant::now();
    let mut handles = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let service = service.clone();
        let acting = acting.clone();
        let base = base.clone();
        // Exact counts per task: the first `documents % tasks` take one more.
        let count = documents / tasks + usize::from(task < documents % tasks);
        handles.push(tokio::spawn(async move {
            for local in 0..count {
                let index = task * (documents / tasks + 1) + local;
                let bytes = document_file(&base, index);
                let metadata = DocumentMetadata {
                    type_code: "cong-van".to_owned(),
                    summary: format!("Văn bản thử nghiệm hiệu năng số {index}"),
                    sender: Some(Party {
                        organ_code: Some("000.00.00.G22".to_owned()),
                        name: "Văn phòng Chính phủ".to_owned(),
                    }),
                    issuer: Party {
                        organ_code: Some("000.00.00.G22".to_owned()),
                        name: "Văn phòng Chính phủ".to_owned(),
                    },
                    number: Some(format!("{index}")),
                    notation: Some("VPCP-KGVX".to_owned()),
                    ..Default::default()
                };
                // A file size of 0 registers metadata only, which measures
                // the database and ledger path without the blob store.
                let original = (file_bytes > 0).then(|| Upload {
                    name: format!("cong-van-{index}.pdf"),
                    mime: "application/pdf".to_owned(),
                    reader: &bytes[..],
                });
                service
                    .register_incoming(&acting, metadata, original, Vec::new())
                    .await?;
            }
            Ok::<usize, DocsError>(count)
        }));
    }
    let mut registered = 0;
    for handle in handles {
        registered += handle
            .await
            .map_err(|error| DocsError::Io(std::io::Error::other(error)))??;
    }
    Ok((started.elapsed().as_secs_f64(), registered))
}

/// Sets up a scratch node on SQLite in `dir` (database, ledger, blob store,
/// an agency and a clerk) and runs [`bench_register_incoming`].
pub async fn bench_documents(
    dir: &Path,
    documents: usize,
    tasks: usize,
    file_bytes: usize,
) -> Result<BenchReport> {
    let url = format!("sqlite://{}", dir.join("bench.sqlite3").display());
    let db = Db::open(&DbOptions::new(&url)).await?;
    let seed: [u8; 32] = crate::service::sha256(dir.display().to_string().as_bytes());
    let ledger = Ledger::open(
        db.clone(),
        seed,
        "congso/bench".to_owned(),
        LedgerOptions::default(),
    )
    .await?;
    let blobs = BlobStore::open(
        &BlobConfig::Local {
            root: dir.join("blobs"),
        },
        dir.join("spool"),
    )?;
    let organization_id = accounts::create_organization(
        &db,
        &NewOrganization {
            kind: "agency".to_owned(),
            organ_code: Some("000.00.00.H26".to_owned()),
            name: "UBND thành phố Hà Nội".to_owned(),
            short_name: Some("UBND".to_owned()),
            ..Default::default()
        },
    )
    .await?;
    let clerk_id = accounts::create_user(
        &db,
        &NewUser {
            username: "bench.clerk".to_owned(),
            display_name: "Văn thư thử nghiệm".to_owned(),
            email: None,
            kind: AccountKind::Staff,
            organization_id: Some(organization_id),
            unit_id: None,
            position: None,
            roles: RoleSet::single(Role::Clerk),
            password_hash: "$argon2id$bench-not-a-real-hash".to_owned(),
            must_change_password: false,
        },
    )
    .await?;
    let service = Service::new(
        db.clone(),
        ledger.clone(),
        blobs,
        Arc::new(OfficialCalendar::shipped().clone()),
        Workflows::shipped(),
        TypeRegistry::shipped(),
        Agency {
            organization_id,
            organ_code: "000.00.00.H26".to_owned(),
            name: "UBND thành phố Hà Nội".to_owned(),
            abbreviation: "UBND".to_owned(),
            place: "Hà Nội".to_owned(),
            address: None,
            email: None,
            phone: None,
            website: None,
        },
        Settings {
            max_upload_bytes: 64 << 20,
            spool_dir: dir.join("spool"),
        },
    );
    let acting = service.acting(clerk_id, "bench").await?;
    let (seconds, registered) =
        bench_register_incoming(&service, &acting, documents, tasks, file_bytes).await?;
    let report = BenchReport {
        backend: db.backend().name().to_owned(),
        documents: registered,
        tasks,
        file_bytes,
        seconds,
        documents_per_second: registered as f64 / seconds.max(f64::MIN_POSITIVE),
        ledger_entries: ledger.size(),
    };
    ledger.shutdown().await?;
    db.close().await;
    Ok(report)
}
