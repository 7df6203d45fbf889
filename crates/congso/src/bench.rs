//! `congso bench`: benchmarks anyone can run on their own hardware to size a
//! deployment. Each prints its figures, or one JSON object with `--json`.
//! Method and reference numbers are in docs/PERFORMANCE.md.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use congso_core::audit::{Actor, AuditAction};
use congso_store::ledger::{Ledger, LedgerOptions, NewEntry};
use congso_store::{Db, DbOptions};

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Durable ledger appends per second (group commit) on SQLite, and on
    /// PostgreSQL with --database-url; proof times at 10^6 entries.
    Ledger {
        /// Entries to append per backend.
        #[arg(long, default_value_t = 200_000)]
        entries: usize,
        /// Concurrent appenders (each waits for its own durable commit).
        #[arg(long, default_value_t = 512)]
        tasks: usize,
        /// Tree size for the proof benchmark.
        #[arg(long, default_value_t = 1_000_000)]
        proof_size: u64,
        /// A PostgreSQL server URL to benchmark too (a scratch database is
        /// created on it and dropped afterwards). Also CONGSO_BENCH_DATABASE_URL.
        #[arg(long = "postgres-url", env = "CONGSO_BENCH_DATABASE_URL")]
        postgres_url: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Node start-up to ready on an existing database, idle memory, and login
    /// requests per second, on a real `congso` process.
    Node {
        /// Seconds to run the login load.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent login clients.
        #[arg(long, default_value_t = 4)]
        clients: usize,
        #[arg(long)]
        json: bool,
    },
    /// Vietnamese kit: folding/NFC throughput, lunar conversions, working-day arithmetic.
    Vn {
        #[arg(long)]
        json: bool,
    },
    /// Portal search: congso's Vietnamese search side by side with SQLite
    /// FTS5 (unicode61 remove_diacritics 2) and PostgreSQL full-text search
    /// with unaccent, on the same corpus and queries: MRR@10, recall@10,
    /// p50/p99 latency; optionally a synthetic scale run.
    Search {
        /// PostgreSQL server for the third engine (a scratch database is
        /// created and dropped). Also CONGSO_BENCH_DATABASE_URL.
        #[arg(
            long = "postgres-url",
            env = "CONGSO_BENCH_DATABASE_URL",
            default_value = "postgres://postgres@127.0.0.1:5432/postgres"
        )]
        postgres_url: String,
        /// Leave PostgreSQL out.
        #[arg(long)]
        no_postgres: bool,
        /// Timed rounds over each query set (after one warm-up round).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Also index this many synthetic documents and time queries on them.
        #[arg(long)]
        scale: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Federation exchange: two nodes on 127.0.0.2 and 127.0.0.3 send each
    /// other signed, stored, ledgered messages with signed receipts.
    Exchange {
        /// Messages in the saturation phase (documents per second).
        #[arg(long, default_value_t = 20_000)]
        docs: usize,
        /// Payload size in bytes.
        #[arg(long, default_value_t = 10_240)]
        size: usize,
        /// Offered messages per second in the paced (latency) phase.
        #[arg(long, default_value_t = 1000.0)]
        rate: f64,
        /// Seconds of the paced phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long)]
        json: bool,
    },
    /// Documents: registration + archive of incoming documents (each with a
    /// unique file) on a fresh SQLite node, then PAdES B-T signing
    /// (RSA-2048, node TSA in process) and verification throughput,
    /// compared with pyHanko on the same PDFs.
    Documents {
        /// Documents to sign and verify.
        #[arg(long, default_value_t = 2000)]
        docs: usize,
        /// Incoming documents to register and archive (0 skips this part).
        #[arg(long, default_value_t = 20_000)]
        reg_docs: usize,
        /// Concurrent registering tasks (each waits for its own durable
        /// registration before the next).
        #[arg(long, default_value_t = 256)]
        reg_tasks: usize,
        /// Size of each registered document's file in bytes (0: metadata only).
        #[arg(long, default_value_t = 100 * 1024)]
        file_bytes: usize,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Ledger {
            entries,
            tasks,
            proof_size,
            postgres_url,
            json,
        } => bench_ledger(entries, tasks, proof_size, postgres_url, json).await,
        BenchCommand::Node {
            seconds,
            clients,
            json,
        } => bench_node(seconds, clients, json).await,
        BenchCommand::Vn { json } => crate::vn_cmd::bench(json),
        BenchCommand::Search {
            postgres_url,
            no_postgres,
            rounds,
            scale,
            json,
        } => {
            let options = congso_search::bench::BenchOptions {
                postgres_url: (!no_postgres).then_some(postgres_url),
                rounds: rounds.max(1),
                scale,
                scale_dir: None,
            };
            let report = congso_search::bench::run(&options).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{report}");
            }
            Ok(())
        }
        BenchCommand::Exchange {
            docs,
            size,
            rate,
            seconds,
            json,
        } => crate::bench_exchange::run(docs, size, rate, seconds, json).await,
        BenchCommand::Documents {
            docs,
            reg_docs,
            reg_tasks,
            file_bytes,
            json,
        } => {
            let options = crate::bench_documents::Options {
                sign_docs: docs,
                reg_docs,
                reg_tasks,
                file_bytes,
                json,
            };
            let figures = crate::bench_documents::run(&options).await?;
            if json {
                println!("{figures}");
            }
            Ok(())
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

struct AppendFigures {
    appends_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    seconds: f64,
}

async fn measure_appends(db: Db, entries: usize, tasks: usize) -> anyhow::Result<AppendFigures> {
    let ledger = Ledger::open(
        db,
        [42u8; 32],
        "congso/bench".to_owned(),
        LedgerOptions {
            batch_max: 8192,
            checkpoint_interval: Duration::from_secs(5),
        },
    )
    .await?;
    let per_task = entries.div_ceil(tasks.max(1));
    let started = Instant::now();
    let mut handles = Vec::new();
    for task in 0..tasks.max(1) {
        let ledger = ledger.clone();
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_task);
            for n in 0..per_task {
                let entry = NewEntry::new(
                    &Actor::User(format!("bench{task}")),
                    AuditAction::LoginSuccess,
                    format!("user:{task}"),
                )
                .source("127.0.0.1")
                .details(serde_json::json!({ "n": n }));
                let one = Instant::now();
                ledger.append(entry).await?;
                latencies.push(one.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(entries);
    for handle in handles {
        latencies.extend(handle.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    ledger.shutdown().await?;
    latencies.sort_by(f64::total_cmp);
    Ok(AppendFigures {
        appends_per_sec: latencies.len() as f64 / seconds,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        seconds,
    })
}

async fn bench_ledger(
    entries: usize,
    tasks: usize,
    proof_size: u64,
    postgres_url: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sqlite_url = format!("sqlite://{}", dir.path().join("bench.sqlite3").display());
    let sqlite = measure_appends(
        Db::open(&DbOptions::new(&sqlite_url)).await?,
        entries,
        tasks,
    )
    .await?;

    let postgres = match &postgres_url {
        Some(url) => {
            let name = format!(
                "congso_bench_{}",
                hex::encode(congso_store::secrets::random_bytes::<6>())
            );
            let admin = sqlx_admin(url, &format!("CREATE DATABASE {name}")).await;
            admin.context("cannot create the scratch benchmark database")?;
            let mut parsed = reqwest::Url::parse(url).context("--postgres-url")?;
            parsed.set_path(&format!("/{name}"));
            let mut options = DbOptions::new(parsed.as_str());
            options.max_connections = 4;
            let figures = measure_appends(Db::open(&options).await?, entries, tasks).await;
            let _ = sqlx_admin(url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            Some(figures?)
        }
        None => None,
    };

    // Proofs at proof_size entries, from the same in-memory tree the node uses.
    let build_started = Instant::now();
    let tree = congso_ledger::Tree::from_leaf_hashes(
        (0..proof_size).map(|i| congso_ledger::leaf_hash(&i.to_le_bytes())),
    );
    let build_ms = build_started.elapsed().as_secs_f64() * 1000.0;
    let samples = 20_000u64;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let started = Instant::now();
    let mut total = 0usize;
    for _ in 0..samples {
        let index = next() % proof_size;
        total += tree
            .inclusion_proof(index, proof_size)
            .map(|p| p.len())
            .unwrap_or(0);
    }
    let inclusion_us = started.elapsed().as_secs_f64() * 1e6 / samples as f64;
    let started = Instant::now();
    for _ in 0..samples {
        let old = 1 + next() % (proof_size - 1);
        total += tree
            .consistency_proof(old, proof_size)
            .map(|p| p.len())
            .unwrap_or(0);
    }
    let consistency_us = started.elapsed().as_secs_f64() * 1e6 / samples as f64;
    std::hint::black_box(total);

    if json {
        let mut out = serde_json::json!({
            "benchmark": "ledger",
            "entries": entries,
            "tasks": tasks,
            "sqlite_appends_per_sec": sqlite.appends_per_sec.round(),
            "sqlite_append_p50_ms": sqlite.p50_ms,
            "sqlite_append_p99_ms": sqlite.p99_ms,
            "proof_tree_size": proof_size,
            "tree_build_ms": build_ms,
            "inclusion_proof_us": inclusion_us,
            "consistency_proof_us": consistency_us,
        });
        if let Some(pg) = &postgres {
            out["postgres_appends_per_sec"] = serde_json::json!(pg.appends_per_sec.round());
            out["postgres_append_p50_ms"] = serde_json::json!(pg.p50_ms);
            out["postgres_append_p99_ms"] = serde_json::json!(pg.p99_ms);
        }
        println!("{out}");
    } else {
        println!("ledger benchmark: {entries} durable appends from {tasks} concurrent tasks (group commit)");
        println!(
            "  SQLite (WAL, synchronous=FULL): {:>9.0} appends/s  p50 {:.2} ms  p99 {:.2} ms  ({:.1} s)",
            sqlite.appends_per_sec, sqlite.p50_ms, sqlite.p99_ms, sqlite.seconds
        );
        match &postgres {
            Some(pg) => println!(
                "  PostgreSQL:                     {:>9.0} appends/s  p50 {:.2} ms  p99 {:.2} ms  ({:.1} s)",
                pg.appends_per_sec, pg.p50_ms, pg.p99_ms, pg.seconds
            ),
            None => println!("  PostgreSQL: skipped (give --postgres-url or CONGSO_BENCH_DATABASE_URL)"),
        }
        println!("proofs at {proof_size} entries (tree built in {build_ms:.0} ms):");
        println!("  inclusion proof:   {inclusion_us:.2} µs");
        println!("  consistency proof: {consistency_us:.2} µs");
    }
    Ok(())
}

async fn sqlx_admin(url: &str, statement: &str) -> anyhow::Result<()> {
    congso_store::testing_admin_execute(url, statement).await?;
    Ok(())
}

/// A `congso` child process on a fresh port.
struct ChildNode {
    child: Child,
    base: String,
}

impl ChildNode {
    fn start(data_dir: &Path, demo: bool) -> anyhow::Result<ChildNode> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let exe = std::env::current_exe()?;
        let child = Command::new(exe)
            .arg(if demo { "demo" } else { "serve" })
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data_dir)
            .env("CONGSO_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start a congso process")?;
        Ok(ChildNode {
            child,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    async fn wait_ready(&mut self, client: &reqwest::Client) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(response) = client.get(format!("{}/readyz", self.base)).send().await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("congso exited early with {status}");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        bail!("congso did not become ready within 60 s")
    }

    fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill()?;
        Ok(())
    }
}

fn cookie_pair(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

fn csrf_from(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// One full browser-like login: GET the form, POST the credentials.
async fn login_once(client: &reqwest::Client, base: &str) -> anyhow::Result<bool> {
    let form = client.get(format!("{base}/login")).send().await?;
    let pre = cookie_pair(&form, "congso_pre").context("no pre-session cookie")?;
    let html = form.text().await?;
    let csrf = csrf_from(&html).context("no csrf token in the login form")?;
    let response = client
        .post(format!("{base}/login"))
        .header(reqwest::header::COOKIE, pre)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "vanthu"),
            ("password", crate::demo::DEMO_PASSWORD),
            ("next", "/staff"),
        ])
        .send()
        .await?;
    Ok(response.status().is_redirection() && cookie_pair(&response, "congso_session").is_some())
}

async fn bench_node(seconds: u64, clients: usize, json: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    // First start creates and seeds the database; it is not what we time.
    let mut first = ChildNode::start(dir.path(), true)?;
    first.wait_ready(&client).await?;
    first.stop()?;

    let mut starts = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let mut node = ChildNode::start(dir.path(), false)?;
        node.wait_ready(&client).await?;
        starts.push(started.elapsed().as_secs_f64() * 1000.0);
        node.stop()?;
    }
    starts.sort_by(f64::total_cmp);
    let mut node = ChildNode::start(dir.path(), false)?;
    node.wait_ready(&client).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss_kib = node.rss_kib().unwrap_or(0);

    // Logins: fresh clients log in as fast as they can. The login name is
    // cleared of failures by each success, so throttling never interferes.
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut handles = Vec::new();
    for _ in 0..clients.max(1) {
        let client = client.clone();
        let base = node.base.clone();
        handles.push(tokio::spawn(async move {
            let mut ok = 0u64;
            let mut failed = 0u64;
            while Instant::now() < deadline {
                match login_once(&client, &base).await {
                    Ok(true) => ok += 1,
                    _ => failed += 1,
                }
            }
            (ok, failed)
        }));
    }
    let mut ok = 0;
    let mut failed = 0;
    for handle in handles {
        let (o, f) = handle.await?;
        ok += o;
        failed += f;
    }
    let loaded_rss_kib = node.rss_kib().unwrap_or(0);
    node.stop()?;
    let logins_per_sec = ok as f64 / seconds as f64;
    let median_start = percentile(&starts, 50.0);
    if json {
        println!(
            "{}",
            serde_json::json!({
                "benchmark": "node",
                "ready_ms_median": median_start,
                "ready_ms_all": starts,
                "idle_rss_mib": idle_rss_kib as f64 / 1024.0,
                "rss_after_logins_mib": loaded_rss_kib as f64 / 1024.0,
                "logins_per_sec": logins_per_sec,
                "login_failures": failed,
                "clients": clients,
            })
        );
    } else {
        println!("node benchmark (a real congso process on SQLite, demo data):");
        println!("  start to ready on an existing database: median {median_start:.0} ms (runs: {starts:.0?})");
        println!(
            "  idle RSS after ready: {:.1} MiB",
            idle_rss_kib as f64 / 1024.0
        );
        println!("  logins (GET form + POST, Argon2id m=19 MiB t=2): {logins_per_sec:.1}/s with {clients} clients ({failed} failed)");
        println!(
            "  RSS after the login load: {:.1} MiB",
            loaded_rss_kib as f64 / 1024.0
        );
    }
    Ok(())
}
