//! `congso bench documents`: both figures of the documents benchmark, end
//! to end, in one run.
//!
//! Registration + archive: a fresh node in a scratch data directory (SQLite,
//! `synchronous=FULL`, local blob store, its own CA and TSA), opened exactly
//! as `serve` opens one, with its home agency and a clerk. Concurrent tasks
//! register incoming documents through the node's documents service, each
//! with its Decree 30 metadata and a unique file: the file is streamed into
//! the blob store and hashed, synced and renamed into place; the document
//! gets its arrival number in a batched transaction and its ledger entry;
//! then it is archived (metadata record, edXML, file list, validation
//! report, a second ledger entry). A task hears "registered" only after all
//! of that is durable, and only then starts its next document. The run
//! fails unless every document was registered and archived.
//!
//! Signing: PAdES B-T signatures with an RSA-2048 staff key and a timestamp
//! from the node's TSA in process, and full verification of each signed PDF
//! (digest, CMS, chain, timestamp, coverage), spread over every core; then
//! pyHanko signing and validating the same PDF with the same keys, one
//! thread, in the same run.
//!
//! Method (docs/PERFORMANCE.md): a throwaway PKI made for the run (P-256
//! root, RSA-2048 signer), a generated 5-page administrative PDF, measured
//! twice: with a P-256 TSA as the node runs, and with an RSA-2048 TSA, the
//! only kind pyHanko's in-process timestamper has, for the comparison;
//! every signed document must verify as valid or the run fails, so a fast
//! but broken run reports nothing. pyHanko runs `bench_pyhanko.py` from the
//! peers venv (`CONGSO_PEERS_VENV`, else `/tmp/peers/venv`); without it the
//! comparison is skipped with a notice.
//!
//! The machine's load average is printed with every figure: on a shared
//! machine a figure means little without it.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context};
use congso_core::access::{AccountKind, Role, RoleSet};
use congso_pki::{
    CertificateAuthority, CertificateProfile, KeyAlgorithm, SubjectName, TimestampAuthority,
};

/// Pages in the benchmark document.
const PAGES: usize = 5;
/// Most documents pyHanko signs (it is one thread and far slower).
const PYHANKO_MAX_DOCS: usize = 200;

/// Bytes reserved for pyHanko's CMS (ours, with an RSA TSA, is about 8 KiB).
const PYHANKO_RESERVED: usize = 16 * 1024;

/// What `congso bench documents` runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Documents to sign and verify.
    pub sign_docs: usize,
    /// Incoming documents to register and archive (0: skip).
    pub reg_docs: usize,
    /// Concurrent registering tasks.
    pub reg_tasks: usize,
    /// Bytes of each registered document's file (0: metadata only).
    pub file_bytes: usize,
    pub json: bool,
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` gives them.
fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(|field| field.parse::<f64>());
    Some([
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    ])
}

fn load_text(load: Option<[f64; 3]>) -> String {
    match load {
        Some([one, five, fifteen]) => format!("load average {one:.2} {five:.2} {fifteen:.2}"),
        None => "load average unknown".to_owned(),
    }
}

/// The registration + archive figures.
struct Registration {
    documents: usize,
    seconds: f64,
    per_second: f64,
    archived: i64,
    ledger_entries: u64,
    load_before: Option<[f64; 3]>,
    load_after: Option<[f64; 3]>,
}

/// Registers and archives `options.reg_docs` incoming documents on a fresh
/// node in a scratch data directory, the way `serve` runs it.
async fn registration(options: &Options) -> anyhow::Result<Registration> {
    let scratch = tempfile::tempdir()?;
    let config = crate::config::Config {
        data_dir: scratch.path().join("node"),
        ..crate::config::Config::default()
    };
    let node = crate::node::Node::open(config).await?;
    let ledger = node.ledger().await?;
    let agency_id = congso_store::accounts::create_organization(
        &node.db,
        &congso_store::accounts::NewOrganization {
            kind: "agency".to_owned(),
            organ_code: Some("000.00.00.H26".to_owned()),
            name: "UBND thành phố Hà Nội".to_owned(),
            short_name: Some("UBND".to_owned()),
            ..Default::default()
        },
    )
    .await?;
    let clerk_id = congso_store::accounts::create_user(
        &node.db,
        &congso_store::accounts::NewUser {
            username: "bench.clerk".to_owned(),
            display_name: "Văn thư thử nghiệm".to_owned(),
            email: None,
            kind: AccountKind::Staff,
            organization_id: Some(agency_id),
            unit_id: None,
            position: None,
            roles: RoleSet::single(Role::Clerk),
            // Nobody signs in during the benchmark.
            password_hash: "$argon2id$bench-not-a-real-hash".to_owned(),
            must_change_password: false,
        },
    )
    .await?;
    let pki = crate::pki_cmd::node_pki(&node).await?;
    // The node CA and TSA exist before the clock starts, as on a running node.
    pki.trust().await?;
    let service = node
        .documents_service(ledger.clone(), pki)
        .await?
        .context("the benchmark node has no home agency")?;
    let acting = service.acting(clerk_id, "bench").await?;
    let ledger_before = ledger.size();
    let archived_before = congso_store::archive::count_items(&node.db).await?;
    if !options.json {
        println!(
            "documents benchmark (registration + archive): {} incoming documents, {} file each, {} concurrent tasks, fresh SQLite node in {} ({})",
            options.reg_docs,
            if options.file_bytes == 0 {
                "no".to_owned()
            } else {
                format!("a unique {}-byte", options.file_bytes)
            },
            options.reg_tasks,
            scratch.path().display(),
            load_text(load_average()),
        );
    }
    let load_before = load_average();
    let (seconds, registered) = congso_docs::bench::bench_register_incoming(
        &service,
        &acting,
        options.reg_docs,
        options.reg_tasks,
        options.file_bytes,
    )
    .await?;
    let load_after = load_average();
    let archived = congso_store::archive::count_items(&node.db).await? - archived_before;
    let ledger_entries = ledger.size() - ledger_before;
    // Every document: one registration entry and one archive entry.
    if registered != options.reg_docs
        || archived != options.reg_docs as i64
        || ledger_entries < 2 * options.reg_docs as u64
    {
        bail!(
            "the run is not complete: {registered} registered, {archived} archived, {ledger_entries} ledger entries for {} documents",
            options.reg_docs
        );
    }
    ledger.shutdown().await?;
    node.db.close().await;
    Ok(Registration {
        documents: registered,
        seconds,
        per_second: registered as f64 / seconds.max(f64::MIN_POSITIVE),
        archived,
        ledger_entries,
        load_before,
        load_after,
    })
}

const PYHANKO_SCRIPT: &str = include_str!("../../pki/tests/peers/bench_pyhanko.py");

fn peers_venv() -> Option<PathBuf> {
    let candidates = std::env::var("CONGSO_PEERS_VENV").ok().into_iter().chain([
        "/tmp/peers/venv".to_owned(),
        "/tmp/congso-peers/venv".to_owned(),
    ]);
    candidates
        .map(PathBuf::from)
        .find(|venv| venv.join("bin/python").exists() && venv.join("bin/pyhanko").exists())
}

/// pyHanko's figures: (sign/s, verify/s, documents).
fn pyhanko(
    venv: &std::path::Path,
    dir: &std::path::Path,
    documents: usize,
) -> anyhow::Result<(f64, f64, usize)> {
    let script = dir.join("bench_pyhanko.py");
    std::fs::write(&script, PYHANKO_SCRIPT)?;
    let output = Command::new(venv.join("bin/python"))
        .arg(&script)
        .arg(dir)
        .arg(dir.join("document.pdf"))
        .arg(documents.to_string())
        // A fixed /Contents reservation spares pyHanko its size-estimating
        // dry run (which signs and timestamps twice): its best case.
        .arg(PYHANKO_RESERVED.to_string())
        .output()
        .context("cannot run pyHanko")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        anyhow::bail!(
            "pyHanko failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // "pyhanko sign=<n>/s verify=<n>/s (N documents, B bytes signed)"
    let figure = |key: &str| -> Option<f64> {
        let start = text.find(key)? + key.len();
        let rest = &text[start..];
        rest[..rest.find("/s")?].trim().parse().ok()
    };
    match (figure("sign="), figure("verify=")) {
        (Some(sign), Some(verify)) => Ok((sign, verify, documents)),
        _ => anyhow::bail!("unexpected pyHanko output: {text}"),
    }
}

pub async fn run(options: &Options) -> anyhow::Result<serde_json::Value> {
    let json = options.json;
    let registered = if options.reg_docs == 0 {
        None
    } else {
        let figures = registration(options).await?;
        if !json {
            println!(
                "  registration + archive:     {:>7.0} documents/s (target 2000)   {} documents in {:.1} s, {} archive items, {} ledger entries ({} at the start, {} at the end)",
                figures.per_second,
                figures.documents,
                figures.seconds,
                figures.archived,
                figures.ledger_entries,
                load_text(figures.load_before),
                load_text(figures.load_after),
            );
        }
        Some(figures)
    };
    let docs = options.sign_docs.max(1);
    let sign_load_before = load_average();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let now = SystemTime::now() - Duration::from_secs(3600);
    let year = Duration::from_secs(365 * 86_400);
    let pdf = congso_archive::samples::text_pdf("Quyết định về việc ban hành quy chế", PAGES);

    let (ca, signer, node_tsa, tsa_identity, rsa_tsa) =
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let ca = CertificateAuthority::create_root(
                &SubjectName::new("Bench Node CA"),
                KeyAlgorithm::EcdsaP256,
                now,
                year,
            )?;
            let signer = ca.issue_identity(
                &SubjectName::new("Nguyễn Văn An"),
                CertificateProfile::DocumentSigning,
                KeyAlgorithm::Rsa2048,
                now,
                year,
            )?;
            // The node's own TSA is P-256 (what `congso pki` creates).
            let node_tsa = TimestampAuthority::new(
                ca.issue_identity(
                    &SubjectName::new("Bench Node TSA"),
                    CertificateProfile::TimeStamping,
                    KeyAlgorithm::EcdsaP256,
                    now,
                    year,
                )?,
                congso_pki::DEFAULT_TSA_POLICY,
            )?;
            // pyHanko's in-process timestamper signs with RSA only; the
            // comparison runs both sides with this RSA-2048 TSA.
            let tsa_identity = ca.issue_identity(
                &SubjectName::new("Bench RSA TSA"),
                CertificateProfile::TimeStamping,
                KeyAlgorithm::Rsa2048,
                now,
                year,
            )?;
            let rsa_tsa =
                TimestampAuthority::new(tsa_identity.clone(), congso_pki::DEFAULT_TSA_POLICY)?;
            Ok((ca, signer, node_tsa, tsa_identity, rsa_tsa))
        })
        .await??;

    if !json {
        println!(
            "documents benchmark (signing): {docs} PAdES B-T signatures of a {PAGES}-page PDF ({} bytes), RSA-2048 signer, in-process TSA, {threads} thread(s)",
            pdf.len()
        );
    }
    let measure = |tsa: TimestampAuthority| {
        let (pdf, signer, anchors) = (pdf.clone(), signer.clone(), vec![ca.certificate().clone()]);
        tokio::task::spawn_blocking(move || {
            congso_pki::bench_pades(&pdf, &signer, &tsa, anchors, docs, threads)
        })
    };
    let ours = measure(node_tsa).await??;
    if !json {
        println!(
            "  congso, node TSA (P-256):   {:>7.0} signed/s (target 300)   {:>7.0} verified/s (target 1000)   {} bytes signed",
            ours.signed_per_second, ours.verified_per_second, ours.signed_size
        );
    }
    let ours_rsa = measure(rsa_tsa).await??;
    if !json {
        println!(
            "  congso, RSA-2048 TSA:       {:>7.0} signed/s               {:>7.0} verified/s",
            ours_rsa.signed_per_second, ours_rsa.verified_per_second
        );
    }

    let pyhanko_figures = match peers_venv() {
        None => {
            if !json {
                println!("  pyHanko: skipped (no peers venv; set CONGSO_PEERS_VENV or run crates/pki/tests/peers/install.sh)");
            }
            None
        }
        Some(venv) => {
            let dir = tempfile::tempdir()?;
            std::fs::write(dir.path().join("document.pdf"), &pdf)?;
            std::fs::write(dir.path().join("root.pem"), ca.certificate().to_pem())?;
            std::fs::write(dir.path().join("signer.pem"), signer.certificate().to_pem())?;
            std::fs::write(
                dir.path().join("signer.key"),
                signer.key().to_pkcs8_pem()?.as_bytes(),
            )?;
            // The same TSA key signs pyHanko's timestamps (its DummyTimeStamper).
            std::fs::write(
                dir.path().join("tsa.pem"),
                tsa_identity.certificate().to_pem(),
            )?;
            std::fs::write(
                dir.path().join("tsa.key"),
                tsa_identity.key().to_pkcs8_pem()?.as_bytes(),
            )?;
            let count = docs.min(PYHANKO_MAX_DOCS);
            let path = dir.path().to_path_buf();
            match tokio::task::spawn_blocking(move || pyhanko(&venv, &path, count)).await? {
                Ok(figures) => {
                    if !json {
                        println!(
                            "  pyHanko 0.38, RSA-2048 TSA: {:>7.0} signed/s               {:>7.0} validated/s   (1 thread, {} documents)",
                            figures.0, figures.1, figures.2
                        );
                    }
                    Some(figures)
                }
                Err(error) => {
                    if !json {
                        println!("  pyHanko: skipped ({error:#})");
                    }
                    None
                }
            }
        }
    };
    let sign_load_after = load_average();
    if !json {
        println!(
            "  signing: {} at the start, {} at the end",
            load_text(sign_load_before),
            load_text(sign_load_after)
        );
    }
    Ok(serde_json::json!({
        "benchmark": "documents",
        "threads": threads,
        "pdf_pages": PAGES,
        "pdf_bytes": pdf.len(),
        "signed_bytes": ours.signed_size,
        "documents": ours.documents,
        "pades_sign_rsa2048_docs_per_sec": ours.signed_per_second.round(),
        "pades_verify_docs_per_sec": ours.verified_per_second.round(),
        "tsa": "node, ecdsa-p256, in process",
        "with_rsa_tsa": {
            "pades_sign_rsa2048_docs_per_sec": ours_rsa.signed_per_second.round(),
            "pades_verify_docs_per_sec": ours_rsa.verified_per_second.round(),
        },
        "targets": { "pades_sign_docs_per_sec": 300, "pades_verify_docs_per_sec": 1000, "registration_docs_per_sec": 2000 },
        "pyhanko": pyhanko_figures.map(|(sign, verify, documents)| serde_json::json!({
            "version": "0.38",
            "tsa": "rsa-2048, in process",
            "threads": 1,
            "documents": documents,
            "sign_docs_per_sec": sign.round(),
            "validate_docs_per_sec": verify.round(),
        })),
        "signing_load_average": { "start": sign_load_before, "end": sign_load_after },
        "registration_docs_per_sec": registered.as_ref().map(|figures| figures.per_second.round()),
        "registration": registered.as_ref().map(|figures| serde_json::json!({
            "backend": "sqlite",
            "documents": figures.documents,
            "tasks": options.reg_tasks,
            "file_bytes": options.file_bytes,
            "seconds": figures.seconds,
            "archived_items": figures.archived,
            "ledger_entries": figures.ledger_entries,
            "load_average": { "start": figures.load_before, "end": figures.load_after },
        })),
    }))
}
