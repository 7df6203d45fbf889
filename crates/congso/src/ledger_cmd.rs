//! `congso ledger`: verify the audit history, sign a checkpoint, print proofs.

use anyhow::bail;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use congso_store::ledger;

use crate::node::Node;

#[derive(Debug, clap::Subcommand)]
pub enum LedgerCommand {
    /// Recompute the Merkle tree from storage and check it against every
    /// signed checkpoint; exits 1 if anything was altered, deleted, inserted or reordered.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Sign and store a checkpoint of the current ledger; prints the signed note.
    Checkpoint,
    /// Print an inclusion proof (--index) or a consistency proof (--from/--to).
    Prove {
        /// Entry (leaf index) to prove included.
        #[arg(long, conflicts_with = "from")]
        index: Option<u64>,
        /// Tree size to prove against (default: the current size).
        #[arg(long)]
        size: Option<u64>,
        /// Older tree size for a consistency proof.
        #[arg(long, requires = "to")]
        from: Option<u64>,
        /// Newer tree size for a consistency proof.
        #[arg(long)]
        to: Option<u64>,
    },
    /// Print the verifier key for this node's checkpoints.
    Key,
}

pub async fn run(node: &Node, command: LedgerCommand) -> anyhow::Result<()> {
    match command {
        LedgerCommand::Verify { json } => {
            // Verification reads storage directly and never opens the writer:
            // it must work on a ledger the node itself would refuse to load.
            let report = ledger::verify(&node.db, &node.verifier()?).await?;
            // Witness cosignatures held from other agencies' nodes (federation).
            let witnesses =
                congso_federation::verify_witnesses(&node.db, &node.verifier()?).await?;
            if json {
                let mut value = serde_json::to_value(&report)?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("witnesses".into(), serde_json::to_value(&witnesses)?);
                }
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                println!("entries:      {}", report.entries);
                println!(
                    "checkpoints:  {} (latest covers {} entries)",
                    report.checkpoints, report.latest_checkpoint_size
                );
                println!("root:         {}", report.root);
                if report.uncovered_entries > 0 {
                    println!("note: {} entries after the latest checkpoint are not yet covered by a signature", report.uncovered_entries);
                }
                if witnesses.federated {
                    println!(
                        "witnesses:    {} cosignature(s) of this ledger from {} agency node(s) verified (up to size {}); {} cosignature(s) made on peers verified",
                        witnesses.cosignatures_verified,
                        witnesses.witnesses.len(),
                        witnesses.largest_cosigned_size,
                        witnesses.cosignatures_made_verified
                    );
                    for problem in &witnesses.problems {
                        println!("  - witness: {problem}");
                    }
                    if witnesses.alarms > 0 {
                        println!("  - witness: {} inconsistency alarm(s) about peers' ledgers are on record", witnesses.alarms);
                    }
                }
                if report.ok() {
                    println!("OK: the audit history matches every signed checkpoint");
                } else {
                    println!("FAILED: {} problem(s)", report.problems.len());
                    for problem in &report.problems {
                        println!("  - {problem}");
                    }
                }
            }
            if !report.ok() || !witnesses.problems.is_empty() {
                std::process::exit(1);
            }
        }
        LedgerCommand::Checkpoint => {
            let ledger = node.ledger().await?;
            let checkpoint = ledger.checkpoint().await?;
            ledger.shutdown().await?;
            print!("{}", checkpoint.signed_note);
        }
        LedgerCommand::Prove {
            index,
            size,
            from,
            to,
        } => {
            let ledger = node.ledger().await?;
            let output = match (index, from, to) {
                (Some(index), None, None) => {
                    let size = size.unwrap_or_else(|| ledger.size());
                    let proof = ledger.inclusion_proof(index, size)?;
                    let entry = ledger::entry(&node.db, index).await?;
                    let Some(entry) = entry else { bail!("no entry {index}") };
                    let checkpoint = ledger::checkpoint_at(&node.db, size).await?;
                    serde_json::json!({
                        "index": index,
                        "tree_size": size,
                        "leaf_hash": STANDARD.encode(entry.leaf_hash),
                        "proof": proof.iter().map(|h| STANDARD.encode(h)).collect::<Vec<_>>(),
                        "root": STANDARD.encode(ledger.root_at(size)?),
                        "checkpoint": checkpoint.map(|c| c.signed_note),
                    })
                }
                (None, Some(from), Some(to)) => {
                    let proof = ledger.consistency_proof(from, to)?;
                    serde_json::json!({
                        "from": from,
                        "to": to,
                        "root_from": STANDARD.encode(ledger.root_at(from)?),
                        "root_to": STANDARD.encode(ledger.root_at(to)?),
                        "proof": proof.iter().map(|h| STANDARD.encode(h)).collect::<Vec<_>>(),
                    })
                }
                _ => bail!("give --index N [--size S] for an inclusion proof, or --from A --to B for a consistency proof"),
            };
            ledger.shutdown().await?;
            println!("{}", serde_json::to_string_pretty(&output)?);
        }
        LedgerCommand::Key => {
            println!("{}", node.verifier()?.to_vkey());
        }
    }
    Ok(())
}
