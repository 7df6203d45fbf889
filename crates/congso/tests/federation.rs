//! The federation with real `congso` processes on 127.0.0.2-4: init,
//! invitations and joining, directory refresh, exchange both ways with
//! verified receipts, a tampered envelope refused, replays and forced
//! retries (the receiver SIGKILLed mid-stream) delivered exactly once, the
//! coordinator down while members keep working, a removed node refused
//! after one refresh, ledgers and witness cosignatures verified, and a
//! large payload streamed with bounded memory on both sides.
//!
//! The chaos test sends 5,000 messages from two senders while the receiver
//! is SIGKILLed and restarted five times (cutting every connection in
//! flight). `CONGSO_SLOW_TESTS=1` makes the large payload 1 GB instead of
//! 200 MB.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use congso_federation::testing::{RawNode, RawReceipt};

const BIN: &str = env!("CARGO_BIN_EXE_congso");

fn slow_tests() -> bool {
    std::env::var("CONGSO_SLOW_TESTS").as_deref() == Ok("1")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind(format!("{ip}:0"))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One agency's node: a data directory and, while running, a `congso
/// serve` process.
struct Node {
    organ_code: String,
    name: String,
    dir: PathBuf,
    federation_listen: String,
    http_listen: String,
    child: Option<Child>,
    starts: u32,
}

impl Node {
    fn new(root: &Path, ip: &str, organ_code: &str, name: &str) -> Node {
        let dir = root.join(organ_code);
        std::fs::create_dir_all(&dir).unwrap();
        Node {
            organ_code: organ_code.to_owned(),
            name: name.to_owned(),
            dir,
            federation_listen: format!("{ip}:{}", free_port(ip)),
            http_listen: format!("{ip}:{}", free_port(ip)),
            child: None,
            starts: 0,
        }
    }

    fn endpoint(&self) -> String {
        format!("https://{}", self.federation_listen)
    }

    fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .arg("--data-dir")
            .arg(&self.dir)
            .env("CONGSO_LOG_LEVEL", "info,congso_federation=debug")
            .env("CONGSO_ARGON2_MEMORY_KIB", "256")
            .env("CONGSO_LISTEN", &self.http_listen)
            .env("CONGSO_FEDERATION_LISTEN", &self.federation_listen)
            .env("CONGSO_FEDERATION_DIRECTORY_REFRESH_SECS", "1")
            .env("CONGSO_FEDERATION_RETRY_BASE_MS", "100")
            .env("CONGSO_FEDERATION_RETRY_MAX_SECS", "1")
            .env("CONGSO_FEDERATION_POLL_INTERVAL_MS", "100")
            .env("CONGSO_FEDERATION_CONNECT_TIMEOUT_SECS", "2")
            .env("CONGSO_FEDERATION_IO_TIMEOUT_SECS", "5")
            .env("CONGSO_FEDERATION_WITNESS_INTERVAL_SECS", "1")
            .env("CONGSO_LEDGER_CHECKPOINT_INTERVAL_SECS", "1")
            .env_remove("CONGSO_CONFIG")
            .env_remove("CONGSO_DATABASE_URL");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run congso")
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{}: congso {args:?} failed:\n{}",
            self.organ_code,
            text(&output)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    fn start(&mut self) {
        assert!(self.child.is_none(), "{} already running", self.organ_code);
        self.starts += 1;
        let log =
            std::fs::File::create(self.dir.join(format!("serve-{}.log", self.starts))).unwrap();
        let child = self
            .command()
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(&self.federation_listen).is_err() {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "{} exited early with {status}: {}",
                    self.organ_code,
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{} did not open its federation listener",
                self.organ_code
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join(format!("serve-{}.log", self.starts)))
            .unwrap_or_default()
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGTERM and wait for a clean exit.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "{} stopped with {status}: {}",
                    self.organ_code,
                    self.log()
                );
                return;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{} did not stop on SIGTERM", self.organ_code);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no chance to finish anything.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let kib: f64 = status
            .lines()
            .find(|line| line.starts_with("VmHWM:"))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
            .unwrap();
        kib / 1024.0
    }

    fn invite(&self, organ_code: &str) -> String {
        self.ok(&["federation", "invite", organ_code])
            .trim()
            .to_owned()
    }

    fn join(&self, coordinator: &Node, token: &str) {
        self.ok(&[
            "federation",
            "join",
            &coordinator.endpoint(),
            token,
            "--organ-code",
            &self.organ_code,
            "--agency-name",
            &self.name,
        ]);
    }

    fn send(&self, to: &Node, text_payload: &str, count: u32) -> Vec<String> {
        let value = self.json(&[
            "federation",
            "send",
            &to.organ_code,
            "--kind",
            "test.message",
            "--text",
            text_payload,
            "--count",
            &count.to_string(),
        ]);
        value["message_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_owned())
            .collect()
    }

    fn outbox(&self) -> Vec<serde_json::Value> {
        let mut all = Vec::new();
        loop {
            let after = all
                .last()
                .map(|row: &serde_json::Value| row["seq"].as_i64().unwrap())
                .unwrap_or(0);
            let page = self.json(&[
                "federation",
                "outbox",
                "--limit",
                "5000",
                "--after",
                &after.to_string(),
            ]);
            let page = page.as_array().unwrap().clone();
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    fn inbox(&self) -> Vec<serde_json::Value> {
        let mut all = Vec::new();
        loop {
            let after = all
                .last()
                .map(|row: &serde_json::Value| row["seq"].as_i64().unwrap())
                .unwrap_or(0);
            let page = self.json(&[
                "federation",
                "inbox",
                "--limit",
                "5000",
                "--after",
                &after.to_string(),
            ]);
            let page = page.as_array().unwrap().clone();
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    fn directory_version(&self) -> u64 {
        self.json(&["federation", "status"])["directory_version"]
            .as_u64()
            .unwrap()
    }

    fn ledger_verify(&self) -> serde_json::Value {
        let output = self.run(&["ledger", "verify", "--json"]);
        assert!(
            output.status.success(),
            "{}: ledger verify failed:\n{}",
            self.organ_code,
            text(&output)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    fn raw(&self) -> RawNode {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let db = congso_store::Db::open(&congso_store::DbOptions::new(format!(
                "sqlite://{}",
                self.dir.join("congso.sqlite3").display()
            )))
            .await
            .unwrap();
            let key = congso_store::secrets::MasterKey::load_or_create(
                &self.dir.join("secrets/master.key"),
            )
            .unwrap();
            RawNode::load(&db, &key.sealer()).await.unwrap().unwrap()
        })
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until every listed message is received, and returns the outbox.
fn wait_received(node: &Node, ids: &[String], timeout: Duration) -> Vec<serde_json::Value> {
    let mut outbox = Vec::new();
    wait_for(
        &format!("{} messages from {} received", ids.len(), node.organ_code),
        timeout,
        || {
            outbox = node.outbox();
            ids.iter().all(|id| {
                outbox
                    .iter()
                    .any(|row| row["message_id"] == id.as_str() && row["state"] == "received")
            })
        },
    );
    outbox
}

/// Checks a receipt from the outbox with the recipient's certified key.
fn check_receipt(
    raw: &RawNode,
    recipient: &str,
    row: &serde_json::Value,
) -> congso_federation::Receipt {
    let decode = |field: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(row[field].as_str().unwrap())
            .unwrap()
    };
    let receipt = RawReceipt {
        receipt: decode("receipt_bytes"),
        signature: decode("receipt_signature"),
        duplicate: false,
    };
    let parsed = raw.verify_receipt(recipient, &receipt).unwrap();
    assert_eq!(parsed.message_id, row["message_id"].as_str().unwrap());
    assert_eq!(Some(parsed.received_at), row["received_at"].as_i64());
    parsed
}

fn three_nodes(root: &Path) -> (Node, Node, Node) {
    let mut a = Node::new(root, "127.0.0.2", "000.00.00.G01", "Văn phòng Chính phủ");
    let mut b = Node::new(root, "127.0.0.3", "000.00.01.H26", "UBND tỉnh Lào Cai");
    let mut c = Node::new(root, "127.0.0.4", "000.00.02.H27", "UBND tỉnh Yên Bái");
    a.ok(&[
        "federation",
        "init",
        "--name",
        "Liên thông thử nghiệm",
        "--organ-code",
        &a.organ_code.clone(),
        "--agency-name",
        &a.name.clone(),
    ]);
    a.start();
    let token_b = a.invite(&b.organ_code);
    let token_c = a.invite(&c.organ_code);
    b.join(&a, &token_b);
    b.start();
    c.join(&a, &token_c);
    c.start();
    (a, b, c)
}

#[test]
fn three_agencies_exchange_with_receipts_and_survive_failures() {
    let root = tempfile::tempdir().unwrap();
    let (mut a, mut b, mut c) = three_nodes(root.path());

    // B joined before C: one refresh brings C into B's directory.
    wait_for("b sees three members", Duration::from_secs(20), || {
        b.json(&["federation", "status"])["members"]
            .as_array()
            .unwrap()
            .len()
            == 3
    });

    // Exchange both ways, with receipts verified against the directory.
    let to_c = b.send(&c, "Công văn số 12/UBND-VP", 1);
    let to_b = c.send(&b, "Trả lời công văn 12", 1);
    let outbox_b = wait_received(&b, &to_c, Duration::from_secs(30));
    let outbox_c = wait_received(&c, &to_b, Duration::from_secs(30));
    let raw_b = b.raw();
    let raw_c = c.raw();
    let receipt = check_receipt(&raw_b, &c.organ_code, &outbox_b[0]);
    assert_eq!(receipt.to, c.organ_code);
    check_receipt(&raw_c, &b.organ_code, &outbox_c[0]);
    let inbox_c = c.inbox();
    assert_eq!(inbox_c.len(), 1);
    assert_eq!(inbox_c[0]["message_id"], to_c[0].as_str());
    assert_eq!(inbox_c[0]["received_at"], outbox_b[0]["received_at"]);

    // A tampered envelope is refused; nothing is stored.
    let payload = b"tampered".to_vec();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let envelope = raw_b.envelope(&c.organ_code, "test.message", &payload);
    let signature = raw_b.sign(&envelope.encode()).unwrap();
    let mut tampered = envelope.clone();
    tampered.kind = "test.altered".into();
    let refused = runtime
        .block_on(raw_b.deliver(
            &c.organ_code,
            &tampered.encode(),
            &signature,
            payload.clone().into(),
        ))
        .unwrap_err();
    assert!(
        refused.message.contains("bad_signature"),
        "{}",
        refused.message
    );
    // The genuine envelope, replayed three times, arrives once.
    let receipts: Vec<RawReceipt> = (0..3)
        .map(|_| {
            runtime
                .block_on(raw_b.deliver(
                    &c.organ_code,
                    &envelope.encode(),
                    &signature,
                    payload.clone().into(),
                ))
                .unwrap()
        })
        .collect();
    assert!(receipts
        .iter()
        .all(|receipt| receipt.receipt == receipts[0].receipt));
    assert_eq!(c.inbox().len(), 2);

    // Forced retries: the receiver is killed while messages are in flight
    // and comes back; each message arrives exactly once.
    let burst = b.send(&c, "retry me", 300);
    std::thread::sleep(Duration::from_millis(300));
    c.kill();
    std::thread::sleep(Duration::from_millis(500));
    c.start();
    std::thread::sleep(Duration::from_millis(400));
    c.kill();
    std::thread::sleep(Duration::from_millis(300));
    c.start();
    let outbox_b = wait_received(&b, &burst, Duration::from_secs(120));
    let inbox_c = c.inbox();
    for id in &burst {
        assert_eq!(
            inbox_c
                .iter()
                .filter(|row| row["message_id"] == id.as_str())
                .count(),
            1,
            "message {id} arrived exactly once"
        );
        let row = outbox_b
            .iter()
            .find(|row| row["message_id"] == id.as_str())
            .unwrap();
        check_receipt(&raw_b, &c.organ_code, row);
    }
    assert_eq!(inbox_c.len(), 2 + burst.len());

    // The coordinator stops; members keep working on the cached directory,
    // even across a restart.
    a.stop();
    let during = c.send(&b, "coordinator down", 1);
    wait_received(&c, &during, Duration::from_secs(30));
    b.stop();
    b.start();
    let after_restart = b.send(&c, "b restarted without the coordinator", 1);
    wait_received(&b, &after_restart, Duration::from_secs(30));
    let to_coordinator = b.send(&a, "waits for the coordinator", 1);
    std::thread::sleep(Duration::from_secs(1));
    let status = b.json(&["federation", "outbox", "--message", &to_coordinator[0]]);
    assert_eq!(status[0]["state"], "sent", "{status}");
    assert!(status[0]["last_error"].is_string());
    a.start();
    wait_received(&b, &to_coordinator, Duration::from_secs(30));

    // C is removed: within one refresh B refuses it, and it can no longer
    // be sent to.
    let version = b.directory_version();
    a.ok(&["federation", "remove", &c.organ_code]);
    wait_for("b refreshed the directory", Duration::from_secs(20), || {
        b.directory_version() > version
    });
    let removed = b.json(&["federation", "status"]);
    let c_entry = removed["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|member| member["organ_code"] == c.organ_code.as_str())
        .unwrap()
        .clone();
    assert_eq!(c_entry["status"], "removed");
    let refused = b.run(&[
        "federation",
        "send",
        &c.organ_code,
        "--kind",
        "test.message",
        "--text",
        "x",
    ]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("not an active member"),
        "{}",
        text(&refused)
    );
    let inbox_before = b.inbox().len();
    let from_removed = raw_c.envelope(&b.organ_code, "test.message", b"after removal");
    let from_removed_signature = raw_c.sign(&from_removed.encode()).unwrap();
    let refused = runtime.block_on(raw_c.deliver(
        &b.organ_code,
        &from_removed.encode(),
        &from_removed_signature,
        b"after removal".to_vec().into(),
    ));
    assert!(refused.is_err(), "a removed node is refused");
    assert_eq!(b.inbox().len(), inbox_before);

    // Every ledger verifies, with witness cosignatures among the nodes
    // that exchanged.
    std::thread::sleep(Duration::from_secs(3));
    for node in [&a, &b, &c] {
        let report = node.ledger_verify();
        assert_eq!(report["problems"].as_array().unwrap().len(), 0, "{report}");
        assert_eq!(
            report["witnesses"]["problems"].as_array().unwrap().len(),
            0,
            "{report}"
        );
    }
    let report_b = b.ledger_verify();
    assert!(
        report_b["witnesses"]["cosignatures_verified"]
            .as_u64()
            .unwrap()
            > 0,
        "{report_b}"
    );
    let report_c = c.ledger_verify();
    assert!(
        report_c["witnesses"]["cosignatures_made_verified"]
            .as_u64()
            .unwrap()
            > 0,
        "{report_c}"
    );
    for node in [&mut a, &mut b, &mut c] {
        node.stop();
    }
}

#[test]
fn a_large_payload_streams_with_bounded_memory() {
    let root = tempfile::tempdir().unwrap();
    let mut a = Node::new(root.path(), "127.0.0.2", "000.00.00.G01", "Điều phối");
    let mut b = Node::new(root.path(), "127.0.0.3", "000.00.01.H26", "Tiếp nhận");
    a.ok(&[
        "federation",
        "init",
        "--organ-code",
        "000.00.00.G01",
        "--agency-name",
        "Điều phối",
    ]);
    a.start();
    b.join(&a, &a.invite(&b.organ_code));
    b.start();
    let size: u64 = if slow_tests() { 1 << 30 } else { 200 << 20 };
    let file = root.path().join("attachment.bin");
    {
        use std::io::Write;
        let mut writer = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let mut block = vec![0u8; 1 << 20];
        for index in 0..(size >> 20) {
            block[..8].copy_from_slice(&index.to_be_bytes());
            writer.write_all(&block).unwrap();
        }
    }
    let sent = a.json(&[
        "federation",
        "send",
        &b.organ_code,
        "--kind",
        "test.attachment",
        "--file",
        file.to_str().unwrap(),
    ]);
    let id = sent["message_ids"][0].as_str().unwrap().to_owned();
    wait_received(
        &a,
        std::slice::from_ref(&id),
        Duration::from_secs(if slow_tests() { 900 } else { 300 }),
    );
    let inbox = b.inbox();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0]["payload_len"].as_u64(), Some(size));
    let sender = a.peak_rss_mib();
    let receiver = b.peak_rss_mib();
    eprintln!(
        "{} MiB payload: peak RSS sender {sender:.0} MiB, receiver {receiver:.0} MiB",
        size >> 20
    );
    assert!(sender < 100.0, "sender peak RSS {sender:.0} MiB");
    assert!(receiver < 100.0, "receiver peak RSS {receiver:.0} MiB");
    a.stop();
    b.stop();
}

#[test]
fn chaos_five_thousand_messages_through_receiver_crashes() {
    let started = Instant::now();
    let root = tempfile::tempdir().unwrap();
    let (mut a, mut b, mut c) = three_nodes(root.path());
    wait_for("b sees three members", Duration::from_secs(20), || {
        b.json(&["federation", "status"])["members"]
            .as_array()
            .unwrap()
            .len()
            == 3
    });
    // Two senders, one receiver that keeps crashing.
    let mut from_b = Vec::new();
    let mut from_a = Vec::new();
    for round in 0..5 {
        from_b.extend(b.send(&c, &format!("chaos b {round}"), 500));
        from_a.extend(a.send(&c, &format!("chaos a {round}"), 500));
        std::thread::sleep(Duration::from_millis(700));
        c.kill();
        std::thread::sleep(Duration::from_millis(300 + 200 * round));
        c.start();
    }
    assert_eq!(from_a.len() + from_b.len(), 5000);
    let outbox_b = wait_received(&b, &from_b, Duration::from_secs(600));
    let outbox_a = wait_received(&a, &from_a, Duration::from_secs(600));
    let inbox = c.inbox();
    assert_eq!(inbox.len(), 5000, "every message arrived exactly once");
    let mut seen = std::collections::HashSet::new();
    for row in &inbox {
        assert!(seen.insert((
            row["sender"].as_str().unwrap().to_owned(),
            row["message_id"].as_str().unwrap().to_owned()
        )));
    }
    let raw_a = a.raw();
    let raw_b = b.raw();
    for (raw, outbox, ids) in [(&raw_a, &outbox_a, &from_a), (&raw_b, &outbox_b, &from_b)] {
        for id in ids {
            let row = outbox
                .iter()
                .find(|row| row["message_id"] == id.as_str())
                .unwrap();
            check_receipt(raw, &c.organ_code, row);
        }
    }
    for node in [&a, &b, &c] {
        let report = node.ledger_verify();
        assert_eq!(report["problems"].as_array().unwrap().len(), 0, "{report}");
    }
    for node in [&mut a, &mut b, &mut c] {
        node.stop();
    }
    eprintln!(
        "chaos test: 5000 messages, 5 receiver crashes, {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Opens a node's SQLite database from the test (the node may be running).
fn open_db(node: &Node) -> (tokio::runtime::Runtime, congso_store::Db) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = runtime.block_on(async {
        congso_store::Db::open(&congso_store::DbOptions::new(format!(
            "sqlite://{}",
            node.dir.join("congso.sqlite3").display()
        )))
        .await
        .unwrap()
    });
    (runtime, db)
}

fn documents(node: &Node, direction: &str) -> Vec<congso_store::documents::DocumentRow> {
    let (runtime, db) = open_db(node);
    runtime.block_on(async {
        let rows = congso_store::documents::list_documents(
            &db,
            congso_store::documents::Viewer {
                user_id: 0,
                clearance: 0,
            },
            &congso_store::documents::Filter {
                direction: Some(direction.to_owned()),
                include_recalled: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        db.close().await;
        rows
    })
}

fn recipient_statuses(node: &Node, document_id: i64) -> Vec<(String, i64)> {
    let (runtime, db) = open_db(node);
    runtime.block_on(async {
        let rows = congso_store::documents::recipient_statuses(
            &db,
            congso_store::documents::Viewer {
                user_id: 0,
                clearance: 0,
            },
            document_id,
        )
        .await
        .unwrap();
        db.close().await;
        rows.into_iter()
            .map(|row| (row.organ_code.unwrap_or_default(), row.status_code))
            .collect()
    })
}

/// Node A (the demo agency, with issued documents) dispatches an issued
/// document to B as edXML over the federation: B registers it as an
/// incoming document with the inbox's arrival time, B's "received" status
/// message reaches A and is recorded on the outgoing document, and a second
/// dispatch queues nothing.
#[test]
fn a_dispatched_document_is_registered_by_the_recipient_and_its_status_comes_back() {
    let root = tempfile::tempdir().unwrap();
    let mut a = Node::new(
        root.path(),
        "127.0.0.2",
        "000.21.32.H06",
        "Sở Thông tin và Truyền thông tỉnh Bắc Ninh",
    );
    // B is the agency the demo's outgoing documents are addressed to.
    let mut b = Node::new(
        root.path(),
        "127.0.0.3",
        "000.00.00.H06",
        "Ủy ban nhân dân tỉnh Bắc Ninh",
    );

    // A: the demo agency and its documents (seeded before the port opens).
    let mut demo = a
        .command()
        .arg("demo")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(
        "the demo node is seeded and listening",
        Duration::from_secs(120),
        || {
            assert!(
                demo.try_wait().unwrap().is_none(),
                "congso demo exited early"
            );
            std::net::TcpStream::connect(&a.http_listen).is_ok()
        },
    );
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(demo.id().to_string())
        .status();
    assert!(demo.wait().unwrap().success());
    a.ok(&["federation", "init", "--name", "Liên thông thử nghiệm"]);
    a.start();

    b.ok(&[
        "admin",
        "create-agency",
        "--organ-code",
        &b.organ_code.clone(),
        "--name",
        &b.name.clone(),
    ]);
    let token = a.invite(&b.organ_code);
    b.join(&a, &token);
    b.start();
    wait_for("a sees b in its directory", Duration::from_secs(20), || {
        a.json(&["federation", "status"])["members"]
            .as_array()
            .unwrap()
            .len()
            == 2
    });

    let issued = documents(&a, "outgoing")
        .into_iter()
        .find(|row| {
            row.state == "dispatched"
                && row.recalled_at.is_none()
                && row.edxml_document_id.is_some()
        })
        .expect("the demo has a dispatched outgoing document");
    let edxml_id = issued.edxml_document_id.clone().unwrap();

    // An incoming document cannot be dispatched.
    let incoming = documents(&a, "incoming");
    let refused = a.run(&[
        "federation",
        "dispatch",
        &incoming[0].id.to_string(),
        &b.organ_code,
    ]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("not an issued outgoing document"),
        "{}",
        text(&refused)
    );

    let first = a.json(&[
        "federation",
        "dispatch",
        &issued.id.to_string(),
        &b.organ_code,
    ]);
    let outcome = &first["dispatched"][0];
    assert_eq!(outcome["recipient"], b.organ_code.as_str());
    assert_eq!(outcome["queued"], true);
    let message_id = outcome["message_id"].as_str().unwrap().to_owned();
    // Dispatching again is the same message, and queues nothing.
    let again = a.json(&[
        "federation",
        "dispatch",
        &issued.id.to_string(),
        &b.organ_code,
    ]);
    assert_eq!(again["dispatched"][0]["message_id"], message_id.as_str());
    assert_eq!(again["dispatched"][0]["queued"], false);

    let outbox = wait_received(
        &a,
        std::slice::from_ref(&message_id),
        Duration::from_secs(60),
    );
    let row = outbox
        .iter()
        .find(|row| row["message_id"] == message_id.as_str())
        .unwrap();
    let receipt = check_receipt(&a.raw(), &b.organ_code, row);

    // B registered it, with the arrival time of its inbox (the one in the receipt).
    let mut received = None;
    wait_for("b registers the document", Duration::from_secs(60), || {
        received = documents(&b, "incoming")
            .into_iter()
            .find(|row| row.edxml_document_id.as_deref() == Some(edxml_id.as_str()));
        received.is_some()
    });
    let received = received.unwrap();
    assert_eq!(received.arrived_at, Some(receipt.received_at));
    assert_eq!(
        received.sender_organ_code.as_deref(),
        Some(a.organ_code.as_str())
    );
    assert_eq!(received.number_text, issued.number_text);
    let inbox = b.inbox();
    let delivered: Vec<_> = inbox
        .iter()
        .filter(|row| row["kind"] == "edxml-document")
        .collect();
    assert_eq!(delivered.len(), 1, "{inbox:?}");
    assert_eq!(
        delivered[0]["received_at"].as_i64(),
        Some(receipt.received_at)
    );

    // B's status message reaches A and is recorded on the outgoing document.
    wait_for(
        "a records b's status message",
        Duration::from_secs(60),
        || {
            recipient_statuses(&a, issued.id)
                .iter()
                .any(|(organ_code, _)| organ_code == &b.organ_code)
        },
    );
    assert!(a
        .inbox()
        .iter()
        .any(|row| row["kind"] == "edxml-status" && row["sender"] == b.organ_code.as_str()));
    // Exactly one incoming copy at B.
    assert_eq!(
        documents(&b, "incoming")
            .iter()
            .filter(|row| row.edxml_document_id.as_deref() == Some(edxml_id.as_str()))
            .count(),
        1
    );

    // The workflow's dispatch step sends by itself: the demo clerk takes it
    // over the API on an issued, not yet dispatched document.
    let decision = documents(&a, "outgoing")
        .into_iter()
        .find(|row| row.state == "issued" && row.recalled_at.is_none())
        .expect("the demo has an issued document not yet dispatched");
    let clerk = api_token(&a, "vanthu");
    let leader = api_token(&a, "giamdoc");
    let deliveries_path = format!("/api/documents/{}/deliveries", decision.id);
    let (status, done) = api(
        &a,
        &clerk,
        "POST",
        &format!("/api/documents/{}/transition", decision.id),
        Some(serde_json::json!({ "transition": "dispatch" })),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["state"], "dispatched");
    assert_eq!(
        done["sending"],
        serde_json::json!({ "sent": [{ "organ_code": b.organ_code, "name": b.name, "outcome": "queued" }], "error": null })
    );
    // Per recipient: B received it (signed receipt, arrival time), then
    // reported its processing; the "Lưu" line has no organ code.
    let mut seen = serde_json::Value::Null;
    wait_for(
        "the deliveries show b's receipt and status message",
        Duration::from_secs(60),
        || {
            let (status, body) = api(&a, &clerk, "GET", &deliveries_path, None);
            assert_eq!(status, 200, "{body}");
            seen = body;
            let to_b = &seen["recipients"][0];
            to_b["document"]["state"] == "received"
                && !to_b["statuses"].as_array().unwrap().is_empty()
        },
    );
    let to_b = &seen["recipients"][0];
    assert_eq!(to_b["organ_code"], b.organ_code.as_str(), "{seen}");
    assert_eq!(to_b["reach"], "member");
    assert_eq!(seen["recipients"][1]["reach"], "no_organ_code", "{seen}");
    assert!(seen["recipients"][1]["document"].is_null());
    let receipt = base64::engine::general_purpose::STANDARD
        .decode(to_b["document"]["receipt"].as_str().unwrap())
        .unwrap();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(to_b["document"]["receipt_signature"].as_str().unwrap())
        .unwrap();
    assert!(!receipt.is_empty() && !signature.is_empty());
    let decision_edxml = documents(&a, "outgoing")
        .into_iter()
        .find(|row| row.id == decision.id)
        .and_then(|row| row.edxml_document_id)
        .expect("an issued document has its edXML DocumentId");
    let copy = documents(&b, "incoming")
        .into_iter()
        .find(|row| row.edxml_document_id.as_deref() == Some(decision_edxml.as_str()))
        .expect("b registered the dispatched document");
    assert_eq!(copy.arrived_at, to_b["document"]["received_at"].as_i64());
    // Sending again (the resend action) queues nothing.
    let (status, again) = api(
        &a,
        &clerk,
        "POST",
        &format!("/api/documents/{}/send", decision.id),
        None,
    );
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["sent"][0]["outcome"], "already", "{again}");
    // A specialist may not send.
    let specialist = api_token(&a, "chuyenvien");
    let (status, _) = api(
        &a,
        &specialist,
        "POST",
        &format!("/api/documents/{}/send", decision.id),
        None,
    );
    assert_eq!(status, 403);

    // Recalling it tells B (edXML business type 1): B's copy is frozen.
    let (status, recalled) = api(
        &a,
        &leader,
        "POST",
        &format!("/api/documents/{}/recall", decision.id),
        Some(serde_json::json!({ "reason": "Ban hành nhầm đối tượng áp dụng" })),
    );
    assert_eq!(status, 200, "{recalled}");
    wait_for("b freezes its copy", Duration::from_secs(60), || {
        documents(&b, "incoming")
            .into_iter()
            .any(|row| row.id == copy.id && row.recalled_at.is_some())
    });
    wait_for(
        "the revocation's receipt is shown",
        Duration::from_secs(30),
        || {
            let (_, body) = api(&a, &clerk, "GET", &deliveries_path, None);
            body["recipients"][0]["revocation"]["state"] == "received"
        },
    );
    // Still one copy at B.
    assert_eq!(
        documents(&b, "incoming")
            .iter()
            .filter(|row| row.edxml_document_id.as_deref() == Some(decision_edxml.as_str()))
            .count(),
        1
    );

    // A replacement (edXML business type 3) of the first document, drafted,
    // signed, issued and dispatched over the API: B registers it and
    // freezes its copy of the replaced one with a pointer to it.
    let specialist_token = api_token(&a, "chuyenvien");
    let pdf = congso_archive::samples::text_pdf("Văn bản thay thế", 1);
    let (status, draft) = api_multipart(
        &a,
        &specialist_token,
        "/api/documents/outgoing",
        &[
            ("type_code", "cong-van"),
            (
                "summary",
                "Về việc điều chỉnh kế hoạch (thay thế văn bản đã gửi)",
            ),
            ("recipients", &format!("{} | {}", b.name, b.organ_code)),
            ("replaces", issued.number_notation.as_deref().unwrap()),
            ("signer_authority", "KT."),
            ("signer_on_behalf_of", "GIÁM ĐỐC"),
            ("signer_position", "PHÓ GIÁM ĐỐC"),
            ("signer_name", "Trần Văn Bình"),
        ],
        ("file", "thay-the.pdf", "application/pdf", &pdf),
    );
    assert_eq!(status, 201, "{draft}");
    let replacement = draft["row"]["id"].as_i64().unwrap();
    assert_eq!(
        draft["metadata"]["replaces"][0],
        edxml_id.as_str(),
        "{draft}"
    );
    let step = |token: &str, name: &str| {
        let (status, body) = api(
            &a,
            token,
            "POST",
            &format!("/api/documents/{replacement}/transition"),
            Some(serde_json::json!({ "transition": name })),
        );
        assert_eq!(status, 200, "{name}: {body}");
        body
    };
    step(&specialist_token, "submit");
    step(&leader, "review");
    step(&leader, "approve");
    let (status, signed) = api(
        &a,
        &leader,
        "POST",
        &format!("/api/documents/{replacement}/sign"),
        None,
    );
    assert_eq!(status, 200, "{signed}");
    step(&clerk, "issue");
    let dispatched = step(&clerk, "dispatch");
    assert_eq!(
        dispatched["sending"]["sent"][0]["outcome"], "queued",
        "{dispatched}"
    );
    let replacement_edxml = documents(&a, "outgoing")
        .into_iter()
        .find(|row| row.id == replacement)
        .and_then(|row| row.edxml_document_id)
        .unwrap();
    wait_for(
        "b registers the replacement and freezes the replaced copy",
        Duration::from_secs(60),
        || {
            let incoming = documents(&b, "incoming");
            let registered = incoming
                .iter()
                .any(|row| row.edxml_document_id.as_deref() == Some(replacement_edxml.as_str()));
            let frozen = incoming.iter().any(|row| {
                row.edxml_document_id.as_deref() == Some(edxml_id.as_str())
                    && row
                        .recall_reason
                        .as_deref()
                        .is_some_and(|reason| reason.contains("Được thay thế"))
            });
            registered && frozen
        },
    );
    a.stop();
    b.stop();
    a.ledger_verify();
    b.ledger_verify();
}

/// A personal API token for `username` on `node`, stored the way the
/// account page stores one (only its SHA-256).
fn api_token(node: &Node, username: &str) -> String {
    use sha2::Digest;
    let (runtime, db) = open_db(node);
    runtime.block_on(async {
        let user = congso_store::accounts::find_credentials(&db, username)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("account {username} exists"))
            .user;
        let token = format!(
            "cgs_{}",
            hex::encode(congso_store::secrets::random_bytes::<24>())
        );
        congso_store::accounts::create_api_token(
            &db,
            user.id,
            "kiểm thử liên thông",
            &sha2::Sha256::digest(token.as_bytes()),
            &token[..10],
            congso_store::now().plus_seconds(3600),
        )
        .await
        .unwrap();
        db.close().await;
        token
    })
}

/// A multipart API call (text fields and one file) to `node`.
fn api_multipart(
    node: &Node,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &str, &[u8]),
) -> (u16, serde_json::Value) {
    let boundary = "congso-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    let (name, file_name, mime, bytes) = file;
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("http://{}{path}", node.http_listen))
            .bearer_auth(token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    })
}

/// One JSON API call to `node`'s HTTP listener: the status and the body.
fn api(
    node: &Node,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let url = format!("http://{}{path}", node.http_listen);
        let request = match method {
            "POST" => client
                .post(&url)
                .json(&body.unwrap_or_else(|| serde_json::json!({}))),
            _ => client.get(&url),
        };
        let response = request.bearer_auth(token).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    })
}

/// `service call` as `user` on `node`: the exit code and the printed JSON
/// (if any).
fn service_call(
    node: &Node,
    provider: &Node,
    code: &str,
    input: &str,
    user: &str,
) -> (i32, Option<serde_json::Value>, String) {
    let output = node.run(&[
        "federation",
        "service",
        "call",
        &provider.organ_code,
        code,
        "--input",
        input,
        "--purpose",
        "Giải quyết hồ sơ đăng ký thường trú",
        "--as",
        user,
        "--json",
    ]);
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_slice(&output.stdout).ok(),
        text(&output),
    )
}

#[test]
fn data_services_are_granted_called_refused_and_logged_on_both_sides() {
    let root = tempfile::tempdir().unwrap();
    let (a, mut b, c) = three_nodes(root.path());
    let code = "ho-tich.tra-cuu-cu-tru";
    for node in [&a, &c] {
        node.ok(&[
            "admin",
            "create-user",
            "lan.nt",
            "--name",
            "Nguyễn Thị Lan",
            "--role",
            "specialist",
        ]);
    }

    // B publishes, loads its dataset and grants A only.
    std::fs::write(
        root.path().join("input.json"),
        r#"{"type":"object","properties":{"cccd":{"type":"string","format":"cccd"}},"required":["cccd"],"additionalProperties":false}"#,
    )
    .unwrap();
    std::fs::write(
        root.path().join("output.json"),
        r#"{"type":"object","properties":{"cccd":{"type":"string"},"ho_ten":{"type":"string"},"thuong_tru":{"type":"string"}},"required":["cccd","ho_ten","thuong_tru"]}"#,
    )
    .unwrap();
    std::fs::write(
        root.path().join("data.jsonl"),
        "{\"cccd\":\"001099012345\",\"ho_ten\":\"Nguyễn Văn An\",\"thuong_tru\":\"Hoàn Kiếm, Hà Nội\"}\n\
         {\"cccd\":\"010199000001\",\"ho_ten\":\"Lò Thị Bình\",\"thuong_tru\":\"Sa Pa, Lào Cai\"}\n",
    )
    .unwrap();
    std::fs::write(
        root.path().join("bad.jsonl"),
        "{\"cccd\":\"001099012345\",\"ho_ten\":\"A\",\"thuong_tru\":\"B\"}\n{\"cccd\":\"12\"}\n",
    )
    .unwrap();
    let path = |name: &str| root.path().join(name).display().to_string();
    let published = b.json(&[
        "federation",
        "service",
        "publish",
        "--code",
        code,
        "--name",
        "Tra cứu thông tin cư trú",
        "--input-schema",
        &path("input.json"),
        "--output-schema",
        &path("output.json"),
        "--key",
        "cccd",
    ]);
    assert!(published["announcement_message"].is_string(), "{published}");
    let bad_load = b.run(&["federation", "service", "load", code, &path("bad.jsonl")]);
    assert!(!bad_load.status.success());
    assert!(text(&bad_load).contains("line 2"), "{}", text(&bad_load));
    let loaded = b.json(&["federation", "service", "load", code, &path("data.jsonl")]);
    assert_eq!(loaded["records"], 2);
    b.ok(&["federation", "service", "grant", code, &a.organ_code]);

    // Every node's directory lists it (through the coordinator).
    for node in [&a, &c] {
        wait_for(
            "the directory lists b's service",
            Duration::from_secs(30),
            || {
                let listed = node.json(&["federation", "service", "list"]);
                listed["directory"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|service| {
                        service["code"] == code && service["provider"] == b.organ_code.as_str()
                    })
            },
        );
    }

    // A's call succeeds with B's verified response.
    let (status, answer, output) =
        service_call(&a, &b, code, r#"{"cccd":"001099012345"}"#, "lan.nt");
    assert_eq!(status, 0, "{output}");
    let answer = answer.unwrap();
    assert_eq!(answer["outcome"], "ok");
    assert_eq!(answer["response"]["from"], b.organ_code.as_str());
    assert_eq!(answer["response"]["result"]["ho_ten"], "Nguyễn Văn An");
    let raw = a.raw();
    let decode = |field: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(answer[field].as_str().unwrap())
            .unwrap()
    };
    let verified = raw
        .verify_service_response(
            &b.organ_code,
            &decode("response_bytes"),
            &decode("response_signature"),
        )
        .unwrap();
    assert_eq!(verified.request_id, answer["request_id"].as_str().unwrap());
    let request_id = answer["request_id"].as_str().unwrap().to_owned();

    // The same through the running node's API, as the staff screen calls
    // it: the directory's services, a call with a purpose, the user's log.
    let token = api_token(&a, "lan.nt");
    let (status, listed) = api(&a, &token, "GET", "/api/data-services", None);
    assert_eq!(status, 200, "{listed}");
    assert!(
        listed["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|service| {
                service["code"] == code
                    && service["provider"] == b.organ_code.as_str()
                    && service["input_schema"]["required"][0] == "cccd"
            }),
        "{listed}"
    );
    let (status, called) = api(
        &a,
        &token,
        "POST",
        "/api/data-services/call",
        Some(serde_json::json!({
            "provider": b.organ_code,
            "service": code,
            "input": {"cccd": "001099012345"},
            "purpose": "Giải quyết hồ sơ đăng ký kết hôn số 45/2026 (qua API)"
        })),
    );
    assert_eq!(status, 200, "{called}");
    assert_eq!(called["outcome"], "ok", "{called}");
    assert_eq!(called["result"]["ho_ten"], "Nguyễn Văn An");
    assert!(called["response_sha256"].as_str().unwrap().len() == 64);
    let (status, refused) = api(
        &a,
        &token,
        "POST",
        "/api/data-services/call",
        Some(serde_json::json!({
            "provider": b.organ_code,
            "service": code,
            "input": {"cccd": "12345"},
            "purpose": "Kiểm tra dữ liệu sai"
        })),
    );
    assert_eq!(status, 200, "{refused}");
    assert_eq!(refused["outcome"], "invalid_input", "{refused}");
    assert!(!refused["errors"].as_array().unwrap().is_empty());
    let (status, missing) = api(
        &a,
        &token,
        "POST",
        "/api/data-services/call",
        Some(
            serde_json::json!({ "provider": b.organ_code, "service": code, "input": {"cccd": "001099012345"} }),
        ),
    );
    assert_eq!(status, 400, "{missing}");
    let (status, log) = api(&a, &token, "GET", "/api/data-services/calls?limit=10", None);
    assert_eq!(status, 200, "{log}");
    let newest = &log["calls"][0];
    assert_eq!(newest["purpose"], "Kiểm tra dữ liệu sai", "{log}");
    assert!(log["calls"]
        .as_array()
        .unwrap()
        .iter()
        .any(|row| row["request_id"] == called["request_id"] && row["outcome"] == "ok"));

    // Refusals, each with its own exit code.
    let (status, answer, output) =
        service_call(&c, &b, code, r#"{"cccd":"001099012345"}"#, "lan.nt");
    assert_eq!(status, 10, "{output}");
    assert_eq!(answer.unwrap()["outcome"], "not_granted");
    let (status, answer, output) = service_call(&a, &b, code, r#"{"cccd":"12345"}"#, "lan.nt");
    assert_eq!(status, 11, "{output}");
    let answer = answer.unwrap();
    assert_eq!(answer["outcome"], "invalid_input");
    assert_eq!(answer["response"]["errors"][0]["path"], "/cccd");
    let (status, answer, output) = service_call(
        &a,
        &b,
        "ho-tich.khong-co",
        r#"{"cccd":"001099012345"}"#,
        "lan.nt",
    );
    assert_eq!(status, 12, "{output}");
    assert_eq!(answer.unwrap()["outcome"], "unknown_service");
    // Hostile input: oversized (refused by B, signed), deep, not an object,
    // too large to send at all (refused by A before sending), not JSON.
    let big = format!(r#"{{"cccd":"{}"}}"#, "1".repeat(30_000));
    let (status, answer, output) = service_call(&a, &b, code, &big, "lan.nt");
    assert_eq!(status, 11, "{output}");
    assert!(answer.unwrap()["response"]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("more than"));
    let deep = format!("{}1{}", r#"{"a":"#.repeat(40), "}".repeat(40));
    let (status, answer, output) = service_call(&a, &b, code, &deep, "lan.nt");
    assert_eq!(status, 11, "{output}");
    assert!(answer.unwrap()["response"]["errors"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("/a/a/a"));
    let (status, answer, output) = service_call(&a, &b, code, r#"["001099012345"]"#, "lan.nt");
    assert_eq!(status, 11, "{output}");
    assert_eq!(answer.unwrap()["response"]["errors"][0]["path"], "");
    let huge = format!(r#"{{"cccd":"{}"}}"#, "1".repeat(100_000));
    let (status, _, output) = service_call(&a, &b, code, &huge, "lan.nt");
    assert_eq!(status, 11, "{output}");
    let (status, _, output) = service_call(&a, &b, code, "{not json", "lan.nt");
    assert_eq!(status, 11, "{output}");
    // No such user.
    let (status, _, output) = service_call(&a, &b, code, r#"{"cccd":"001099012345"}"#, "khong.co");
    assert_eq!(status, 1, "{output}");

    // The same request id again: B's original response.
    let repeated = a.json(&[
        "federation",
        "service",
        "call",
        &b.organ_code,
        code,
        "--input",
        r#"{"cccd":"010199000001"}"#,
        "--purpose",
        "Giải quyết hồ sơ",
        "--as",
        "lan.nt",
        "--request-id",
        &request_id,
    ]);
    assert_eq!(repeated["duplicate"], true);
    assert_eq!(repeated["response"]["result"]["ho_ten"], "Nguyễn Văn An");

    // Both logs have the call; B's has one row for the repeated id.
    let a_log = a.json(&["federation", "service", "log"]);
    let b_log = b.json(&["federation", "service", "log"]);
    let rows_for = |log: &serde_json::Value, side: &str| -> Vec<serde_json::Value> {
        log.as_array()
            .unwrap()
            .iter()
            .filter(|row| row["request_id"] == request_id.as_str() && row["side"] == side)
            .cloned()
            .collect()
    };
    let a_rows = rows_for(&a_log, "caller");
    let b_rows = rows_for(&b_log, "provider");
    assert_eq!((a_rows.len(), b_rows.len()), (1, 1));
    for row in [&a_rows[0], &b_rows[0]] {
        assert_eq!(row["outcome"], "ok");
        assert_eq!(row["service_code"], code);
        assert_eq!(row["caller_org"], a.organ_code.as_str());
        assert_eq!(row["caller_user_name"], "Nguyễn Thị Lan");
        assert_eq!(row["purpose"], "Giải quyết hồ sơ đăng ký thường trú");
        assert!(row["ledger_seq"].is_i64());
    }
    assert_eq!(a_rows[0]["request_sha256"], b_rows[0]["request_sha256"]);
    assert_eq!(a_rows[0]["response_sha256"], b_rows[0]["response_sha256"]);
    assert!(b_log
        .as_array()
        .unwrap()
        .iter()
        .any(|row| row["caller_org"] == c.organ_code.as_str() && row["outcome"] == "not_granted"));

    // Revoked: A is refused too.
    b.ok(&["federation", "service", "revoke", code, &a.organ_code]);
    let (status, _, output) = service_call(&a, &b, code, r#"{"cccd":"001099012345"}"#, "lan.nt");
    assert_eq!(status, 10, "{output}");

    // B down: A reports service_down, and logs it.
    b.stop();
    let (status, answer, output) =
        service_call(&a, &b, code, r#"{"cccd":"001099012345"}"#, "lan.nt");
    assert_eq!(status, 13, "{output}");
    assert_eq!(answer.unwrap()["outcome"], "service_down");
    let a_log = a.json(&["federation", "service", "log"]);
    assert_eq!(
        a_log.as_array().unwrap().last().unwrap()["outcome"],
        "service_down"
    );

    // Both ledgers verify.
    for node in [&a, &b, &c] {
        node.ledger_verify();
    }
}
