//! The `congso` binary: every agency's node, its offline tools and its
//! benchmarks, in one executable.

mod admin_cmd;
mod archive_cmd;
mod bench;
mod bench_documents;
mod bench_exchange;
mod config;
mod data_service_cmd;
mod demo;
mod demo_portal;
mod exchange;
mod federation_cmd;
mod ledger_cmd;
mod mail;
mod node;
mod pki_cmd;
mod portal_cmd;
mod verify_cmd;
mod vn_cmd;

use anyhow::Context;
use clap::Parser;

use crate::config::{Config, NodeArgs};
use crate::node::Node;

#[derive(Debug, Parser)]
#[command(
    name = "congso",
    version,
    about = "congso: the e-government node of a Vietnamese state agency",
    long_about = "congso: the e-government node of a Vietnamese state agency (Decree 64/2007/NĐ-CP).\n\
                  One binary: the web portal and staff interface, the audit ledger, and the operator tools.\n\
                  Configuration: docs/configuration.md (TOML file, CONGSO_* variables, flags)."
)]
struct Cli {
    #[command(flatten)]
    node: NodeArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address and port to listen on (also CONGSO_LISTEN).
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Run the node: migrate the database if needed and serve HTTP(S) until SIGTERM.
    Serve(ServeArgs),
    /// Run a node with a realistic demo agency (seeded once; an existing data directory is reused).
    Demo(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts and the agency record.
    Admin {
        #[command(subcommand)]
        command: admin_cmd::AdminCommand,
    },
    /// Verify the tamper-evident audit ledger, sign checkpoints, print proofs.
    Ledger {
        #[command(subcommand)]
        command: ledger_cmd::LedgerCommand,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run a benchmark and print its figures (see docs/PERFORMANCE.md).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// The node CA and TSA, staff signing certificates, revocation and the CRL.
    Pki {
        #[command(subcommand)]
        command: pki_cmd::PkiCommand,
    },
    /// Check, offline, a signed PDF, a detached signature, a timestamp or an
    /// archive package; exits 0 only when it is valid.
    Verify(verify_cmd::VerifyArgs),
    /// Re-check the archive of issued and received documents; export archive packages.
    Archive {
        #[command(subcommand)]
        command: archive_cmd::ArchiveCommand,
    },
    /// Federation between agencies' nodes: create, invite, join, remove;
    /// queue messages; outbox, inbox and directory.
    Federation {
        #[command(subcommand)]
        command: federation_cmd::FederationCommand,
    },
    /// The public portal: import and export content, rebuild the search index.
    Portal {
        #[command(subcommand)]
        command: portal_cmd::PortalCommand,
    },
    /// Vietnamese text, legacy encodings, lunar calendar, holidays and working days.
    Vn {
        #[command(subcommand)]
        command: vn_cmd::VnCommand,
    },
}

#[derive(Debug, clap::Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration (secrets masked) or the problems with it.
    Check,
}

fn init_logging(config: Option<&Config>) {
    use tracing_subscriber::EnvFilter;
    let level = config.map(|c| c.log_level.as_str()).unwrap_or("info");
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = config.is_some_and(|c| c.log_format == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() {
    node::process_start();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            std::process::exit(2);
        }
    };
    if let Err(error) = runtime.block_on(run(cli)) {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Vn { command } => vn_cmd::run(command),
        Command::Bench { command } => {
            init_logging(None);
            bench::run(command).await
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            let config = Config::load(&cli.node, None)?;
            print!("{}", config.to_masked_toml());
            eprintln!("configuration OK");
            Ok(())
        }
        Command::Serve(args) => {
            let config = Config::load(&cli.node, args.listen.as_deref())?;
            init_logging(Some(&config));
            let node = Node::open(config).await?;
            node::serve(node, |_| {}).await
        }
        Command::Demo(args) => {
            let config = Config::load(&cli.node, args.listen.as_deref())?;
            init_logging(Some(&config));
            let node = Node::open(config).await?;
            let ledger = node.ledger().await?;
            let secret = demo::seed(&node, &ledger)
                .await
                .context("cannot seed the demo agency")?;
            demo::seed_documents(&node, &ledger)
                .await
                .context("cannot seed the demo documents")?;
            demo_portal::seed_history_and_documents(&node, &ledger)
                .await
                .context("cannot publish the demo documents to the portal")?;
            ledger.shutdown().await?;
            let data_dir = node.config.data_dir.clone();
            let public = node.config.public_url.clone();
            let scheme = if node.config.tls_enabled() {
                "https"
            } else {
                "http"
            };
            node::serve(node, move |bound| {
                let url = if public.is_empty() {
                    format!("{scheme}://{bound}")
                } else {
                    public
                };
                println!("{}", demo::banner(&url, &data_dir, &secret));
            })
            .await
        }
        Command::Migrate => {
            let config = Config::load(&cli.node, None)?;
            init_logging(Some(&config));
            let node = Node::open(config).await?;
            let version = node.db.applied_migration().await?.unwrap_or(0);
            println!(
                "database {} is at schema version {version}",
                node.db.describe()
            );
            Ok(())
        }
        Command::Admin { command } => {
            let config = Config::load(&cli.node, None)?;
            init_logging(Some(&config));
            let node = Node::open(config).await?;
            admin_cmd::run(&node, command).await
        }
        Command::Ledger { command } => {
            let config = Config::load(&cli.node, None)?;
            init_logging(Some(&config));
            let node = Node::open(config).await?;
            ledger_cmd::run(&node, command).await
        }
        Command::Pki { command } => {
            let config = Config::load(&cli.node, None)?;
            init_logging(Some(&config));
            let node = Node::open(config).await?;
            pki_cmd::run(&node, command).await
        }
        Command::Portal { command } => {
            let config = Config::load(&cli.node, None)?;
            init_logging(Some(&config));
            let node = Node::open(config).await?;
            portal_cmd::run(&node, command).await
        }
        Command::Archive { command } => {
            let config = Config::load(&cli.node, None)?;
            init_logging(Some(&config));
            let node = Node::open(config).await?;
            archive_cmd::run(&node, command).await
        }
        Command::Federation { command } => {
            let config = Config::load(&cli.node, None)?;
            init_logging(Some(&config));
            let node = Node::open(config).await?;
            federation_cmd::run(&node, command).await
        }
        Command::Verify(args) => {
            // Offline: no node, no configuration; only what the relying
            // party holds.
            init_logging(None);
            verify_cmd::run(args)
        }
    }
}
