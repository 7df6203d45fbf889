//! `congso bench exchange`: two nodes on 127.0.0.2 and 127.0.0.3 with fresh
//! data directories exchange signed, durably stored, ledgered messages with
//! receipts over mutual TLS.
//!
//! The sending node (the federation's coordinator) runs inside this process
//! exactly as `serve` runs its federation service, so each message's latency
//! is measured from the `send` call to the moment its verified receipt is
//! stored; the receiving node is a real `congso serve` child process. CPU
//! is read from `/proc` for both processes over each phase.
//!
//! Phases: a warm-up; a saturation phase (`--docs` messages sent as fast
//! as they are accepted, which gives documents per second); and a paced
//! phase at `--rate` messages per second (latency at a given offered load).

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use congso_core::audit::Actor;
use congso_federation::identity::{self, InitOptions};
use congso_federation::Federation;

use crate::config::Config;
use crate::node::Node;

const SENDER_CODE: &str = "000.00.00.G01";
const RECEIVER_CODE: &str = "000.00.01.H26";
const KIND: &str = "bench.document";

/// CPU seconds (user + system) of a process, from /proc.
fn cpu_seconds(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name, which may hold spaces, in parentheses.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here;
    // Linux reports them in USER_HZ, which is 100.
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_mib(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

fn free_port(ip: &str) -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind(format!("{ip}:0"))?
        .local_addr()?
        .port())
}

struct Receiver {
    child: Child,
}

impl Receiver {
    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

fn congso(data_dir: &Path, federation_listen: &str) -> anyhow::Result<Command> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env("CONGSO_LOG_LEVEL", "warn")
        .env("CONGSO_FEDERATION_LISTEN", federation_listen)
        .env("CONGSO_FEDERATION_RETRY_BASE_MS", "100")
        .env("CONGSO_FEDERATION_RETRY_MAX_SECS", "2")
        .env_remove("CONGSO_CONFIG")
        .env_remove("CONGSO_DATABASE_URL");
    Ok(command)
}

/// What the benchmark measured.
#[derive(Debug, serde::Serialize)]
struct Figures {
    docs: usize,
    size_bytes: usize,
    docs_per_sec: f64,
    saturated_p50_ms: f64,
    saturated_p99_ms: f64,
    offered_rate: f64,
    paced_docs: usize,
    achieved_rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    cpu_ms_per_doc: f64,
    sender_cpu_ms_per_doc: f64,
    receiver_cpu_ms_per_doc: f64,
    sender_peak_rss_mib: f64,
    receiver_peak_rss_mib: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

struct Phase {
    elapsed: Duration,
    latencies_ms: Vec<f64>,
}

/// Sends `count` messages, paced at `rate` per second (0: as fast as they
/// are accepted, at most `in_flight` sends at once), waits for every
/// receipt, and returns each message's latency from its `send` call to its
/// stored receipt.
async fn run_phase(
    federation: &Federation,
    payload: &[u8],
    count: usize,
    rate: f64,
    in_flight: usize,
) -> anyhow::Result<Phase> {
    // Receipt times by message id. A receipt can come back before `send`
    // returns (the dispatcher may pick a committed message up while its
    // ledger entry is still being written), so arrivals are collected on
    // their own and matched with send times at the end.
    let mut deliveries = federation.deliveries();
    let collector = tokio::spawn(async move {
        let mut arrived: HashMap<String, Instant> = HashMap::with_capacity(count);
        while arrived.len() < count {
            match deliveries.recv().await {
                Ok(delivered) => {
                    arrived.insert(delivered.message_id, Instant::now());
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
        arrived
    });
    let started = Instant::now();
    let permits = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let sent: Arc<Mutex<Vec<(String, Instant)>>> = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let mut sends = Vec::with_capacity(count);
    for index in 0..count {
        if rate > 0.0 {
            let due = started + Duration::from_secs_f64(index as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let permit = permits.clone().acquire_owned().await?;
        let federation = federation.clone();
        let sent = sent.clone();
        let mut body = payload.to_vec();
        // Distinct payloads, as distinct documents would be.
        body[..8].copy_from_slice(&(index as u64).to_be_bytes());
        sends.push(tokio::spawn(async move {
            let begun = Instant::now();
            let result = federation
                .send(RECEIVER_CODE, KIND, std::io::Cursor::new(body))
                .await;
            if let Ok(id) = &result {
                if let Ok(mut sent) = sent.lock() {
                    sent.push((id.clone(), begun));
                }
            }
            drop(permit);
            result
        }));
    }
    for send in sends {
        send.await??;
    }
    let arrived = match tokio::time::timeout(Duration::from_secs(600), collector).await {
        Ok(Ok(arrived)) => arrived,
        _ => bail!("receipts did not all come back within 10 minutes"),
    };
    let elapsed = started.elapsed();
    let sent = match sent.lock() {
        Ok(sent) => sent.clone(),
        Err(_) => bail!("send times poisoned"),
    };
    let mut latencies_ms: Vec<f64> = sent
        .iter()
        .filter_map(|(id, begun)| {
            arrived
                .get(id)
                .map(|at| at.duration_since(*begun).as_secs_f64() * 1000.0)
        })
        .collect();
    if latencies_ms.len() != count {
        bail!(
            "{} of {count} receipts matched their messages",
            latencies_ms.len()
        );
    }
    latencies_ms.sort_by(|a, b| a.total_cmp(b));
    Ok(Phase {
        elapsed,
        latencies_ms,
    })
}

pub async fn run(
    docs: usize,
    size: usize,
    rate: f64,
    seconds: u64,
    json: bool,
) -> anyhow::Result<()> {
    if size < 8 {
        bail!("--size must be at least 8 bytes");
    }
    if docs == 0 {
        bail!("--docs must be at least 1");
    }
    let scratch = tempfile::tempdir()?;
    let sender_dir = scratch.path().join("sender");
    let receiver_dir = scratch.path().join("receiver");
    let sender_listen = format!("127.0.0.2:{}", free_port("127.0.0.2")?);
    let receiver_listen = format!("127.0.0.3:{}", free_port("127.0.0.3")?);

    // The sending node: the coordinator, in this process.
    let config = Config {
        data_dir: sender_dir.clone(),
        federation_listen: sender_listen.clone(),
        federation_retry_base_ms: 100,
        federation_retry_max_secs: 2,
        federation_peer_concurrency: 64,
        ledger_checkpoint_interval_secs: 5,
        ..Config::default()
    };
    let node = Node::open(config).await?;
    let ledger = node.ledger().await?;
    identity::init(
        &node.db,
        &node.sealer,
        &ledger,
        &InitOptions {
            federation_name: "congso bench".into(),
            organ_code: SENDER_CODE.into(),
            agency_name: "Sender".into(),
            endpoint: format!("https://{sender_listen}"),
            certificate_validity: Duration::from_secs(86_400),
        },
        &Actor::Operator("bench".into()),
    )
    .await?;
    let federation = Federation::open(
        node.db.clone(),
        node.blobs()?,
        ledger.clone(),
        &node.sealer,
        node.config.federation_settings()?,
    )
    .await?
    .context("the sender did not become a federation member")?;
    federation.start().await?;
    let token = identity::invite(
        &node.db,
        &ledger,
        RECEIVER_CODE,
        Duration::from_secs(3600),
        &Actor::Operator("bench".into()),
    )
    .await?
    .token
    .encode();

    // The receiving node: joins, then serves as a separate process.
    let joined = congso(&receiver_dir, &receiver_listen)?
        .args(["federation", "join"])
        .arg(format!("https://{sender_listen}"))
        .arg(&token)
        .args(["--organ-code", RECEIVER_CODE, "--agency-name", "Receiver"])
        .stdout(Stdio::null())
        .output()
        .context("cannot run congso federation join")?;
    if !joined.status.success() {
        bail!(
            "the receiver could not join: {}",
            String::from_utf8_lossy(&joined.stderr)
        );
    }
    let http_listen = format!("127.0.0.3:{}", free_port("127.0.0.3")?);
    let receiver = Receiver {
        child: congso(&receiver_dir, &receiver_listen)?
            .args(["serve", "--listen", &http_listen])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the receiving node")?,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(&receiver_listen)
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            receiver.stop();
            bail!("the receiving node did not open its federation listener");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let receiver_pid = receiver.pid();
    let payload = vec![b'x'; size];

    let outcome = async {
        if !json {
            eprintln!("warming up…");
        }
        run_phase(&federation, &payload, docs.min(500), 0.0, 256).await?;

        let sender_cpu = cpu_seconds("self");
        let receiver_cpu = cpu_seconds(&receiver_pid);
        let saturated = run_phase(&federation, &payload, docs, 0.0, 1024).await?;
        let sender_cpu = cpu_seconds("self") - sender_cpu;
        let receiver_cpu = cpu_seconds(&receiver_pid) - receiver_cpu;

        let paced_docs = ((rate * seconds as f64) as usize).max(1);
        let paced = run_phase(&federation, &payload, paced_docs, rate, 4096).await?;

        let per_doc = |cpu: f64| cpu * 1000.0 / docs as f64;
        Ok::<Figures, anyhow::Error>(Figures {
            docs,
            size_bytes: size,
            docs_per_sec: docs as f64 / saturated.elapsed.as_secs_f64(),
            saturated_p50_ms: percentile(&saturated.latencies_ms, 50.0),
            saturated_p99_ms: percentile(&saturated.latencies_ms, 99.0),
            offered_rate: rate,
            paced_docs,
            achieved_rate: paced_docs as f64 / paced.elapsed.as_secs_f64(),
            p50_ms: percentile(&paced.latencies_ms, 50.0),
            p99_ms: percentile(&paced.latencies_ms, 99.0),
            max_ms: paced.latencies_ms.last().copied().unwrap_or(0.0),
            cpu_ms_per_doc: per_doc(sender_cpu + receiver_cpu),
            sender_cpu_ms_per_doc: per_doc(sender_cpu),
            receiver_cpu_ms_per_doc: per_doc(receiver_cpu),
            sender_peak_rss_mib: rss_mib("self"),
            receiver_peak_rss_mib: rss_mib(&receiver_pid),
        })
    }
    .await;
    federation.shutdown().await;
    ledger.shutdown().await?;
    receiver.stop();
    let figures = outcome?;
    if json {
        println!("{}", serde_json::to_string(&figures)?);
    } else {
        println!("exchange benchmark: two nodes (127.0.0.2 in this process, 127.0.0.3 a congso process), SQLite, {} B messages, each signed, stored, ledgered on both sides and answered with a signed receipt", figures.size_bytes);
        println!(
            "saturated: {} messages in {:.2} s = {:.0} messages/s; latency p50 {:.1} ms, p99 {:.1} ms",
            figures.docs,
            figures.docs as f64 / figures.docs_per_sec,
            figures.docs_per_sec,
            figures.saturated_p50_ms,
            figures.saturated_p99_ms
        );
        println!(
            "paced at {:.0}/s offered ({} messages, {:.0}/s achieved): latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            figures.offered_rate, figures.paced_docs, figures.achieved_rate, figures.p50_ms, figures.p99_ms, figures.max_ms
        );
        println!(
            "CPU per message: {:.3} ms ({:.3} sender + {:.3} receiver); peak RSS sender {:.0} MiB, receiver {:.0} MiB",
            figures.cpu_ms_per_doc,
            figures.sender_cpu_ms_per_doc,
            figures.receiver_cpu_ms_per_doc,
            figures.sender_peak_rss_mib,
            figures.receiver_peak_rss_mib
        );
    }
    Ok(())
}
