//! `congso archive`: re-check the archive, export archive packages, and
//! archive documents that reached the agency outside congso.

use std::path::PathBuf;

use anyhow::{bail, Context};
use bytes::Bytes;
use congso_archive::{Archive, ArchiveInput, Direction, FileContent, FileRole, InputFile};

use crate::node::Node;
use crate::pki_cmd::{media_type_for, node_pki, operator};

/// Largest file `archive add` reads (the same bound as signing).
const MAX_ADD_BYTES: u64 = congso_archive::MAX_SIGN_BYTES;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DirectionArg {
    /// Issued (sent) by this agency.
    Issued,
    /// Received from another agency.
    Received,
}

#[derive(Debug, clap::Subcommand)]
pub enum ArchiveCommand {
    /// Re-check every archived item: blobs present and hashing to their
    /// names, metadata and report hashes, the record against its ledger
    /// entry and the signed checkpoint, and every signature; exits 1 if
    /// anything is wrong.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Export archived items (one document, or a whole case file) as a zip
    /// package anyone can check offline with `congso verify PACKAGE.zip`.
    Export {
        /// Archived item ids.
        #[arg(required = true, num_args = 1..)]
        ids: Vec<i64>,
        /// Where to write the package.
        #[arg(long)]
        out: PathBuf,
    },
    /// Archive a document from files on disk: its metadata (a JSON object),
    /// optionally its edXML, and its files as ROLE=PATH (roles: original,
    /// rendition, signed, signature, timestamp, attachment; a signature or
    /// timestamp names the file it covers by position: signature=a.p7s@0).
    Add {
        #[arg(long, value_enum)]
        direction: DirectionArg,
        /// A JSON file with the document's metadata.
        #[arg(long)]
        metadata: PathBuf,
        /// The document as edXML.
        #[arg(long)]
        edxml: Option<PathBuf>,
        /// The document id in the registers, if it has one.
        #[arg(long)]
        document_id: Option<i64>,
        /// A file, as ROLE=PATH or ROLE=PATH@N. Repeat for each file.
        #[arg(long = "file", required = true)]
        files: Vec<String>,
    },
    /// Print one archived item (metadata, files, hashes, ledger position, report) as JSON.
    Show { id: i64 },
}

fn read_file(path: &std::path::Path) -> anyhow::Result<Bytes> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if metadata.len() > MAX_ADD_BYTES {
        bail!(
            "{} is {} bytes; files up to {MAX_ADD_BYTES} bytes are archived from the command line",
            path.display(),
            metadata.len()
        );
    }
    Ok(Bytes::from(std::fs::read(path).with_context(|| {
        format!("cannot read {}", path.display())
    })?))
}

/// Parses `ROLE=PATH[@N]`.
fn parse_file(spec: &str) -> anyhow::Result<(FileRole, PathBuf, Option<usize>)> {
    let (role, rest) = spec
        .split_once('=')
        .with_context(|| format!("{spec:?}: expected ROLE=PATH, e.g. original=qd.pdf"))?;
    let role = FileRole::from_code(role.trim()).with_context(|| {
        format!("{spec:?}: unknown role {role:?} (original, rendition, signed, signature, timestamp, attachment)")
    })?;
    let (path, signs) = match rest.rsplit_once('@') {
        Some((path, position))
            if !position.is_empty() && position.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (
                path,
                Some(
                    position
                        .parse::<usize>()
                        .with_context(|| format!("{spec:?}: bad position"))?,
                ),
            )
        }
        _ => (rest, None),
    };
    if path.is_empty() {
        bail!("{spec:?}: no path");
    }
    Ok((role, PathBuf::from(path), signs))
}

pub async fn run(node: &Node, command: ArchiveCommand) -> anyhow::Result<()> {
    let pki = node_pki(node).await?;
    let archive = Archive::new(pki, node.blobs()?);
    match command {
        ArchiveCommand::Verify { json } => {
            // Read-only, like `ledger verify`: it must work on storage the
            // node would refuse to load.
            let report = archive.verify(&node.verifier()?).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("archived items:      {}", report.items);
                println!("files checked:       {}", report.files);
                println!("signatures checked:  {}", report.signatures_checked);
                println!("signed checkpoint:   size {}", report.checkpoint_size);
                if report.uncovered_items > 0 {
                    println!(
                        "note: {} item(s) were archived after the latest signed checkpoint; `congso ledger checkpoint` covers them",
                        report.uncovered_items
                    );
                }
                for note in &report.notes {
                    println!("note: [{}] {}", note.code, note.message);
                }
                if report.ok() {
                    println!("OK: every archived item is intact and proven in the ledger");
                } else {
                    println!("FAILED: {} problem(s)", report.problems.len());
                    for problem in &report.problems {
                        println!("  - [{}] {}", problem.code, problem.message);
                    }
                }
            }
            if !report.ok() {
                std::process::exit(1);
            }
        }
        ArchiveCommand::Export { ids, out } => {
            let ledger = node.ledger().await?;
            let result = archive.export_package(&ledger, &ids, &out).await;
            ledger.shutdown().await?;
            let summary = result?;
            println!(
                "wrote {} ({} bytes, {} member(s), item(s) {:?}, checkpoint size {})",
                summary.path.display(),
                summary.bytes,
                summary.members,
                summary.items,
                summary.checkpoint_size
            );
            println!(
                "check it with: congso verify {} --ledger-key \"{}\"",
                summary.path.display(),
                node.verifier()?.to_vkey()
            );
        }
        ArchiveCommand::Add {
            direction,
            metadata,
            edxml,
            document_id,
            files,
        } => {
            let metadata_text = std::fs::read_to_string(&metadata)
                .with_context(|| format!("cannot read {}", metadata.display()))?;
            let metadata_value: serde_json::Value = serde_json::from_str(&metadata_text)
                .with_context(|| format!("{} is not JSON", metadata.display()))?;
            let mut inputs = Vec::with_capacity(files.len());
            for spec in &files {
                let (role, path, signs) = parse_file(spec)?;
                let name = path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .with_context(|| format!("{spec:?}: no file name"))?;
                inputs.push(InputFile {
                    role,
                    name,
                    media_type: media_type_for(&path).to_owned(),
                    content: FileContent::Bytes(read_file(&path)?),
                    signs,
                });
            }
            let edxml = match edxml {
                Some(path) => Some(read_file(&path)?),
                None => None,
            };
            let ledger = node.ledger().await?;
            let result = archive
                .archive_item(
                    &ledger,
                    &operator(),
                    ArchiveInput {
                        document_id,
                        direction: match direction {
                            DirectionArg::Issued => Direction::Issued,
                            DirectionArg::Received => Direction::Received,
                        },
                        event_at: congso_store::now(),
                        metadata: metadata_value,
                        edxml,
                        files: inputs,
                    },
                )
                .await;
            ledger.shutdown().await?;
            let item = result?;
            println!(
                "archived item {} (ledger entry {}, record {}), signatures: {}",
                item.id, item.ledger_seq, item.record_sha256, item.validation.verdict
            );
        }
        ArchiveCommand::Show { id } => {
            let item = archive
                .item(id)
                .await?
                .with_context(|| format!("no archived item {id}"))?;
            println!("{}", serde_json::to_string_pretty(&item)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_specs() {
        let check = |spec: &str, expected: Option<(FileRole, &str, Option<usize>)>| {
            let parsed = parse_file(spec).ok();
            let expected = expected.map(|(role, path, signs)| (role, PathBuf::from(path), signs));
            assert_eq!(parsed, expected, "{spec}");
        };
        check(
            "original=qd.pdf",
            Some((FileRole::Original, "qd.pdf", None)),
        );
        check(
            "signature=cv.txt.p7s@0",
            Some((FileRole::Signature, "cv.txt.p7s", Some(0))),
        );
        check(
            "original=a@b.pdf",
            Some((FileRole::Original, "a@b.pdf", None)),
        );
        check(
            "timestamp=x.tsr@12",
            Some((FileRole::Timestamp, "x.tsr", Some(12))),
        );
        check("qd.pdf", None);
        check("bogus=qd.pdf", None);
        check("original=", None);
    }
}
