//! `congso bench documents`, signing part: PAdES B-T signatures with an
//! RSA-2048 staff key and a timestamp from the node's TSA in process, and
//! full verification of each signed PDF (digest, CMS, chain, timestamp,
//! coverage), spread over every core; then pyHanko signing and validating
//! the same PDF with the same keys, one thread, in the same run.
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
//! The registration half of the benchmark (documents registered, hashed,
//! ledgered and archived per second) belongs to the documents registers;
//! its figure is left as `registration_docs_per_sec: null` here.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use congso_pki::{
    CertificateAuthority, CertificateProfile, KeyAlgorithm, SubjectName, TimestampAuthority,
};

/// Pages in the benchmark document.
const PAGES: usize = 5;
/// Most documents pyHanko signs (it is one thread and far slower).
const PYHANKO_MAX_DOCS: usize = 200;

/// Bytes reserved for pyHanko's CMS (ours, with an RSA TSA, is about 8 KiB).
const PYHANKO_RESERVED: usize = 16 * 1024;

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

pub async fn run(docs: usize, json: bool) -> anyhow::Result<serde_json::Value> {
    let docs = docs.max(1);
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
    if !json {
        println!("  registration + archive: measured by the documents registers benchmark (not part of this run)");
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
        "registration_docs_per_sec": serde_json::Value::Null,
    }))
}
