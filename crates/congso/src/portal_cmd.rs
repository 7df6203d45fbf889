//! `congso portal`: import and export of portal content, the full search
//! index rebuild, and the node's portal job (scheduled publishing,
//! retention, index sync).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use congso_portal::{Acting, Portal};
use congso_search::{SearchError, SearchIndex};
use congso_store::ledger::Ledger;
use tokio::sync::watch;

use crate::node::Node;

/// How often the node publishes and unpublishes what is due, takes down
/// items past their retention period and indexes changes made by other
/// processes.
const JOB_INTERVAL: Duration = Duration::from_secs(30);

#[derive(Debug, clap::Subcommand)]
pub enum PortalCommand {
    /// Import items from a JSON-lines file (one item per line: optional
    /// stable "id", "title", "body", "category", "published", optional
    /// "summary", "metadata", "format"); bad lines are reported and skipped;
    /// re-running the same file changes nothing.
    Import {
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write every item (any state) as JSON lines, to a file or standard output.
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Rebuild the search index from what is public (stop the node first).
    Reindex,
}

/// Where the node keeps its portal search index.
pub fn index_dir(node: &Node) -> PathBuf {
    node.config.data_dir.join("search")
}

/// Opens the on-disk index, or — when the running node holds it — an
/// in-memory one (the node indexes the changes itself within
/// [`JOB_INTERVAL`]).
fn open_index(dir: &Path) -> anyhow::Result<(Arc<SearchIndex>, bool)> {
    match SearchIndex::open(dir) {
        Ok(index) => Ok((Arc::new(index), true)),
        Err(SearchError::Locked { .. }) => Ok((Arc::new(SearchIndex::open_in_ram()?), false)),
        Err(SearchError::SchemaChanged { .. }) => {
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("cannot remove the old index {}", dir.display()))?;
            Ok((Arc::new(SearchIndex::open(dir)?), true))
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn run(node: &Node, command: PortalCommand) -> anyhow::Result<()> {
    let ledger = node.ledger().await?;
    let result = run_with(node, &ledger, command).await;
    ledger.checkpoint().await?;
    ledger.shutdown().await?;
    result
}

async fn run_with(node: &Node, ledger: &Ledger, command: PortalCommand) -> anyhow::Result<()> {
    let (index, on_disk) = open_index(&index_dir(node))?;
    let portal = Portal::new(node.db.clone(), ledger.clone(), index);
    let name = match crate::pki_cmd::operator() {
        congso_core::audit::Actor::Operator(name) => name,
        _ => "operator".to_owned(),
    };
    let acting = Acting::operator(&name);
    match command {
        PortalCommand::Import { file, json } => {
            let reader = std::fs::File::open(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let report = portal
                .import_jsonl(&acting, std::io::BufReader::new(reader))
                .await?;
            ledger
                .append(
                    congso_store::ledger::NewEntry::new(
                        &acting.actor,
                        congso_core::audit::AuditAction::PortalImported,
                        format!("file:{}", file.display()),
                    )
                    .source("cli")
                    .details(serde_json::json!({
                        "created": report.created, "updated": report.updated,
                        "unchanged": report.unchanged, "errors": report.errors.len(),
                    })),
                )
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for (line, message) in &report.errors {
                    println!("line {line}: {message}");
                }
                println!(
                    "created {}, updated {}, unchanged {}, refused {}",
                    report.created,
                    report.updated,
                    report.unchanged,
                    report.errors.len()
                );
            }
            if !on_disk {
                eprintln!(
                    "note: the node is running; it indexes the imported items within {} seconds",
                    JOB_INTERVAL.as_secs()
                );
            }
            if !report.errors.is_empty() {
                anyhow::bail!("{} line(s) were refused", report.errors.len());
            }
            Ok(())
        }
        PortalCommand::Export { out } => {
            let count = match out {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    let mut writer = std::io::BufWriter::new(file);
                    let count = portal.export_jsonl(&mut writer).await?;
                    std::io::Write::flush(&mut writer)?;
                    count
                }
                None => portal.export_jsonl(std::io::stdout().lock()).await?,
            };
            eprintln!("exported {count} item(s)");
            Ok(())
        }
        PortalCommand::Reindex => {
            if !on_disk {
                anyhow::bail!(
                    "the running node holds the search index at {}; stop it first (it rebuilds an empty index itself at start)",
                    index_dir(node).display()
                );
            }
            let started = std::time::Instant::now();
            let count = portal.reindex().await?;
            ledger
                .append(
                    congso_store::ledger::NewEntry::new(
                        &acting.actor,
                        congso_core::audit::AuditAction::PortalReindexed,
                        "portal-index",
                    )
                    .source("cli")
                    .details(serde_json::json!({ "documents": count })),
                )
                .await?;
            println!(
                "indexed {count} document(s) in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// Opens the node's portal (on-disk index, rebuilt when empty or from an
/// older version), installs it in the web state, and starts the job that
/// publishes what is due, enforces retention and indexes changes made by
/// other processes.
pub async fn start(
    node: &Node,
    state: &congso_web::AppState,
    ledger: &Ledger,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let (index, _) = open_index(&index_dir(node))?;
    let portal = Arc::new(Portal::new(node.db.clone(), ledger.clone(), index));
    let started_at = congso_store::now().micros();
    if portal.index().num_docs() == 0 {
        let count = portal.reindex().await?;
        tracing::info!(documents = count, "portal search index built");
    }
    if portal.load_search_lists().await? {
        tracing::info!("saved portal search lists applied");
    }
    state.set_portal(portal.clone());
    Ok(tokio::spawn(async move {
        // Changes made while the node was down were indexed by the command
        // that made them (it held the index then); from now on, other
        // processes' changes are picked up by the sync below.
        let mut watermark = started_at;
        loop {
            match portal.run_due(congso_store::now().micros()).await {
                Ok(report) => {
                    if !(report.published.is_empty()
                        && report.unpublished.is_empty()
                        && report.expired.is_empty())
                    {
                        tracing::info!(
                            published = report.published.len(),
                            unpublished = report.unpublished.len(),
                            expired = report.expired.len(),
                            "portal schedule and retention applied"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "portal job failed"),
            }
            match portal.sync_index(watermark).await {
                Ok(next) => watermark = next,
                Err(error) => tracing::warn!(%error, "portal index sync failed"),
            }
            if let Err(error) = portal.load_search_lists().await {
                tracing::warn!(%error, "reading the portal search lists failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(JOB_INTERVAL) => {}
                _ = stop.changed() => break,
            }
        }
    }))
}
