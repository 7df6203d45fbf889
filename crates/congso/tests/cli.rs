//! End-to-end tests of the real `congso` binary: configuration errors,
//! offline admin and ledger commands against SQLite and PostgreSQL, tamper
//! detection through the CLI, bad storage, and serving with a clean
//! SIGTERM shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_congso");

fn congso(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("CONGSO_LOG_LEVEL", "warn")
        .env("CONGSO_ARGON2_MEMORY_KIB", "256");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run congso")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn ok(args: &[&str]) -> String {
    let output = congso(args, &[]);
    assert!(
        output.status.success(),
        "congso {args:?} failed:\n{}",
        text(&output)
    );
    text(&output)
}

#[test]
fn every_command_has_help() {
    let top = ok(&["--help"]);
    for command in [
        "serve", "demo", "migrate", "admin", "ledger", "config", "bench", "vn",
    ] {
        assert!(top.contains(command), "top-level help lists {command}");
        let help = ok(&[command, "--help"]);
        assert!(
            help.len() > 80,
            "{command} --help says what it does: {help}"
        );
        assert!(
            help.contains("--data-dir") || command == "vn" || command == "bench",
            "{command} takes --data-dir: {help}"
        );
    }
    for sub in ["create-user", "set-role", "reset-password", "disable"] {
        ok(&["admin", sub, "--help"]);
    }
    for sub in ["verify", "checkpoint", "prove"] {
        ok(&["ledger", sub, "--help"]);
    }
    ok(&["config", "check", "--help"]);
}

#[test]
fn config_check_masks_secrets_and_names_bad_keys() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let output = congso(
        &["config", "check", "--data-dir", data],
        &[
            ("CONGSO_S3_SECRET_ACCESS_KEY", "very-secret"),
            ("CONGSO_DATABASE_URL", "postgres://u:hunter2@db/x"),
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let shown = text(&output);
    assert!(shown.contains("s3_secret_access_key = \"***\""), "{shown}");
    assert!(
        !shown.contains("very-secret") && !shown.contains("hunter2"),
        "{shown}"
    );

    let config = dir.path().join("congso.toml");
    let check = |toml: &str, env: &[(&str, &str)], expected: &[&str]| {
        std::fs::write(&config, toml).unwrap();
        let output = congso(
            &["config", "check", "--config", config.to_str().unwrap()],
            env,
        );
        assert!(!output.status.success(), "accepted {toml:?}");
        let message = text(&output);
        for wanted in expected {
            assert!(message.contains(wanted), "{toml:?}: {message}");
        }
    };
    check("listen = 5\n", &[], &["listen"]);
    check("lisen = \"127.0.0.1:1\"\n", &[], &["lisen"]);
    check(
        "request_timeout_secs = \"soon\"\n",
        &[],
        &["request_timeout_secs"],
    );
    check("listen = \"nowhere\"\n", &[], &["key `listen`", "nowhere"]);
    check("blob_store = \"s3\"\n", &[], &["key `s3_bucket`"]);
    check("this is not toml", &[], &["invalid configuration"]);
    check("", &[("CONGSO_LANGUAGE", "fr")], &["key `language`", "fr"]);
    let missing = congso(
        &["config", "check", "--config", "/nonexistent/congso.toml"],
        &[],
    );
    assert!(!missing.status.success());
    assert!(text(&missing).contains("/nonexistent/congso.toml"));
}

fn data_args(dir: &Path) -> Vec<String> {
    vec!["--data-dir".into(), dir.to_str().unwrap().into()]
}

fn run_in(dir: &Path, db_url: Option<&str>, args: &[&str]) -> Output {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(data_args(dir));
    if let Some(url) = db_url {
        all.push("--database-url".into());
        all.push(url.into());
    }
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    congso(&refs, &[])
}

fn must(dir: &Path, db_url: Option<&str>, args: &[&str]) -> String {
    let output = run_in(dir, db_url, args);
    assert!(
        output.status.success(),
        "congso {args:?} failed:\n{}",
        text(&output)
    );
    text(&output)
}

/// The operator's offline workflow, then tampering found by `ledger verify`.
async fn admin_and_ledger_workflow(db_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let url = db_url.as_deref();
    assert!(must(dir.path(), url, &["migrate"]).contains("schema version"));
    must(
        dir.path(),
        url,
        &[
            "admin",
            "create-agency",
            "--organ-code",
            "000.00.00.H26",
            "--name",
            "Ủy ban nhân dân thành phố Hà Nội",
        ],
    );
    let bad_code = run_in(
        dir.path(),
        url,
        &[
            "admin",
            "create-unit",
            "--name",
            "X",
            "--short-name",
            "X",
            "--organ-code",
            "12.34",
        ],
    );
    assert!(!bad_code.status.success());
    must(
        dir.path(),
        url,
        &[
            "admin",
            "create-unit",
            "--name",
            "Văn phòng",
            "--short-name",
            "VP",
        ],
    );
    let created = must(
        dir.path(),
        url,
        &[
            "admin",
            "create-user",
            "lan.nt",
            "--name",
            "Nguyễn Thị Lan",
            "--role",
            "clerk",
            "--unit",
            "VP",
        ],
    );
    assert!(created.contains("temporary password"), "{created}");
    must(
        dir.path(),
        url,
        &["admin", "set-role", "lan.nt", "clerk,leader"],
    );
    must(dir.path(), url, &["admin", "reset-password", "lan.nt"]);
    must(dir.path(), url, &["admin", "disable", "lan.nt"]);
    let listed = must(dir.path(), url, &["admin", "list-users", "--json"]);
    let users: serde_json::Value = serde_json::from_str(listed.trim()).unwrap();
    assert_eq!(users[0]["username"], "lan.nt");
    assert_eq!(users[0]["disabled"], true);
    assert_eq!(users[0]["roles"], serde_json::json!(["clerk", "leader"]));
    let unknown = run_in(dir.path(), url, &["admin", "disable", "nobody"]);
    assert!(!unknown.status.success() && text(&unknown).contains("nobody"));

    let verified = must(dir.path(), url, &["ledger", "verify", "--json"]);
    let report: serde_json::Value = serde_json::from_str(verified.trim()).unwrap();
    assert_eq!(report["problems"], serde_json::json!([]));
    assert!(report["entries"].as_u64().unwrap() >= 6, "{report}");
    assert_eq!(
        report["uncovered_entries"], 0,
        "each command signs a checkpoint on exit"
    );

    // Proofs printed by the CLI verify independently.
    let proof = must(dir.path(), url, &["ledger", "prove", "--index", "2"]);
    let proof: serde_json::Value = serde_json::from_str(proof.trim()).unwrap();
    let decode = |value: &serde_json::Value| -> [u8; 32] {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap()
    };
    let hashes: Vec<[u8; 32]> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(decode)
        .collect();
    congso_ledger::verify_inclusion(
        2,
        proof["tree_size"].as_u64().unwrap(),
        &decode(&proof["leaf_hash"]),
        &hashes,
        &decode(&proof["root"]),
    )
    .unwrap();
    let size = proof["tree_size"].as_u64().unwrap();
    let consistency = must(
        dir.path(),
        url,
        &["ledger", "prove", "--from", "3", "--to", &size.to_string()],
    );
    assert!(consistency.contains("root_from"));

    // Tamper with a row behind the node's back: `ledger verify` finds it and fails.
    let db = open_db(dir.path(), url).await;
    congso_store::testing_raw_execute(
        &db,
        "UPDATE ledger_entries SET actor = 'cli:someone-else' WHERE seq = 3",
    )
    .await
    .unwrap();
    db.close().await;
    let tampered = run_in(dir.path(), url, &["ledger", "verify"]);
    assert_eq!(tampered.status.code(), Some(1));
    let message = text(&tampered);
    assert!(
        message.contains("FAILED") && message.contains("entry 3"),
        "{message}"
    );
}

async fn open_db(dir: &Path, url: Option<&str>) -> congso_store::Db {
    let url = url
        .map(str::to_owned)
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("congso.sqlite3").display()));
    congso_store::Db::open(&congso_store::DbOptions::new(url))
        .await
        .unwrap()
}

#[tokio::test]
async fn admin_and_ledger_on_sqlite() {
    admin_and_ledger_workflow(None).await;
}

#[tokio::test]
async fn admin_and_ledger_on_postgres() {
    let Some(test_db) = congso_store::testing::TestDb::postgres().await.unwrap() else {
        return;
    };
    let url = test_db.url.clone();
    test_db.db.close().await;
    admin_and_ledger_workflow(Some(url)).await;
    test_db.cleanup().await;
}

#[test]
fn corrupt_and_unreachable_databases_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("congso.sqlite3"), vec![0x5au8; 8192]).unwrap();
    let corrupt = run_in(dir.path(), None, &["migrate"]);
    assert!(!corrupt.status.success());
    let message = text(&corrupt);
    assert!(
        message.contains("congso.sqlite3") && message.contains("not a SQLite database"),
        "{message}"
    );
    // Nothing was overwritten.
    assert_eq!(
        std::fs::read(dir.path().join("congso.sqlite3")).unwrap(),
        vec![0x5au8; 8192]
    );

    let started = Instant::now();
    let unreachable = run_in(
        dir.path(),
        Some("postgres://postgres:secret-pw@127.0.0.1:1/congso"),
        &["migrate"],
    );
    assert!(!unreachable.status.success());
    let message = text(&unreachable);
    assert!(
        message.contains("cannot open the database") && message.contains("127.0.0.1:1"),
        "{message}"
    );
    assert!(
        !message.contains("secret-pw"),
        "the password is masked: {message}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));

    let bad_url = run_in(dir.path(), Some("mysql://x"), &["migrate"]);
    assert!(
        text(&bad_url).contains("database_url"),
        "{}",
        text(&bad_url)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Served {
    child: std::process::Child,
    base: String,
}

fn start(dir: &Path, demo: bool) -> Served {
    let port = free_port();
    let child = Command::new(BIN)
        .arg(if demo { "demo" } else { "serve" })
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(data_args(dir))
        .env("CONGSO_LOG_LEVEL", "warn")
        .env("CONGSO_ARGON2_MEMORY_KIB", "256")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Served {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_ready(served: &mut Served) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(response) = client.get(format!("{}/readyz", served.base)).send().await {
            if response.status().is_success() {
                return;
            }
        }
        assert!(
            served.child.try_wait().unwrap().is_none(),
            "congso exited early"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("not ready");
}

fn terminate(served: &mut Served) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn two_demo_nodes_side_by_side_and_clean_sigterm() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let mut a = start(first.path(), true);
    let mut b = start(second.path(), true);
    wait_ready(&mut a).await;
    wait_ready(&mut b).await;
    let client = reqwest::Client::new();
    for served in [&a, &b] {
        let home = client
            .get(&served.base)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            home.contains("Sở Thông tin và Truyền thông tỉnh Bắc Ninh"),
            "{home}"
        );
        assert!(home.contains("lang=\"vi\""));
        let checkpoint = client
            .get(format!("{}/ledger/checkpoint", served.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(checkpoint.starts_with("congso/"), "{checkpoint}");
        // A failed login leaves an audit entry to be flushed at shutdown.
        let login = client
            .get(format!("{}/login", served.base))
            .send()
            .await
            .unwrap();
        assert!(login.status().is_success());
    }
    let metrics = client
        .get(format!("{}/metrics", a.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("congso_http_requests_total") && metrics.contains("congso_ledger_entries"),
        "{metrics}"
    );

    for served in [&mut a, &mut b] {
        assert!(terminate(served).success(), "clean exit on SIGTERM");
    }
    for dir in [first.path(), second.path()] {
        let report = must(dir, None, &["ledger", "verify", "--json"]);
        let report: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
        assert_eq!(report["problems"], serde_json::json!([]));
        assert_eq!(
            report["uncovered_entries"], 0,
            "the final checkpoint covers everything: {report}"
        );
    }
    let db = open_db(first.path(), None).await;
    let recent = congso_store::ledger::recent_entries(&db, 1).await.unwrap();
    assert_eq!(recent[0].action, "node.stopped");
    db.close().await;

    // `demo` on an existing data directory reuses it: no second agency, no duplicate users.
    let mut again = start(first.path(), true);
    wait_ready(&mut again).await;
    assert!(terminate(&mut again).success());
    let db = open_db(first.path(), None).await;
    assert_eq!(
        congso_store::accounts::list_users(&db).await.unwrap().len(),
        9
    );
    assert_eq!(
        congso_store::accounts::list_organizations(&db)
            .await
            .unwrap()
            .iter()
            .filter(|o| o.kind == "agency")
            .count(),
        1
    );
    db.close().await;
}

#[tokio::test]
async fn serve_refuses_a_busy_port_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let output = congso(
        &[
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(!output.status.success());
    assert!(
        text(&output).contains("cannot listen on"),
        "{}",
        text(&output)
    );
}

#[tokio::test]
async fn a_bad_workflows_file_stops_the_node_with_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = include_str!("../../docs/data/workflow.toml");
    // Two problems: an unknown state in a transition and a duplicate state.
    let broken = shipped
        .replacen("name = \"arrived\"", "name = \"registered\"", 1)
        .replacen(
            "[outgoing]",
            "[[incoming.transitions]]\nname = \"skip\"\nlabel = \"Bỏ qua\"\nfrom = [\"registered\"]\nto = \"nowhere\"\nroles = [\"clerk\"]\neffect = \"none\"\n\n[outgoing]",
            1,
        );
    let file = dir.path().join("workflow.toml");
    std::fs::write(&file, broken).unwrap();
    let port = free_port();
    let output = congso(
        &[
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            dir.path().join("data").to_str().unwrap(),
        ],
        &[("CONGSO_WORKFLOWS_FILE", file.to_str().unwrap())],
    );
    let said = text(&output);
    assert!(!output.status.success(), "{said}");
    assert!(
        said.contains("workflows_file") && said.contains("workflow.toml"),
        "{said}"
    );
    assert!(
        said.contains("nowhere") && said.contains("defined twice"),
        "{said}"
    );

    let missing = congso(
        &[
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            dir.path().join("data").to_str().unwrap(),
        ],
        &[("CONGSO_WORKFLOWS_FILE", "/nonexistent/workflow.toml")],
    );
    assert!(!missing.status.success());
    assert!(text(&missing).contains("cannot read /nonexistent/workflow.toml"));
}

#[tokio::test]
async fn serves_https_with_secure_cookies() {
    let dir = tempfile::tempdir().unwrap();
    // A throwaway CA and a server certificate for 127.0.0.1 (rustls, like
    // any careful client, refuses a CA certificate used as the server's).
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    let ca_key = dir.path().join("ca.key");
    let ca = dir.path().join("ca.pem");
    let csr = dir.path().join("server.csr");
    let ext = dir.path().join("ext.cnf");
    std::fs::write(&ext, "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n").unwrap();
    let openssl = |args: &[&std::ffi::OsStr]| {
        let made = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl is needed for this test");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    openssl(&[
        &os("req"),
        &os("-x509"),
        &os("-newkey"),
        &os("ec"),
        &os("-pkeyopt"),
        &os("ec_paramgen_curve:P-256"),
        &os("-nodes"),
        &os("-days"),
        &os("1"),
        &os("-subj"),
        &os("/CN=congso test CA"),
        &os("-keyout"),
        ca_key.as_os_str(),
        &os("-out"),
        ca.as_os_str(),
    ]);
    openssl(&[
        &os("req"),
        &os("-new"),
        &os("-newkey"),
        &os("ec"),
        &os("-pkeyopt"),
        &os("ec_paramgen_curve:P-256"),
        &os("-nodes"),
        &os("-subj"),
        &os("/CN=127.0.0.1"),
        &os("-keyout"),
        key.as_os_str(),
        &os("-out"),
        csr.as_os_str(),
    ]);
    openssl(&[
        &os("x509"),
        &os("-req"),
        &os("-in"),
        csr.as_os_str(),
        &os("-CA"),
        ca.as_os_str(),
        &os("-CAkey"),
        ca_key.as_os_str(),
        &os("-CAcreateserial"),
        &os("-days"),
        &os("1"),
        &os("-extfile"),
        ext.as_os_str(),
        &os("-out"),
        cert.as_os_str(),
    ]);
    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(data_args(&dir.path().join("data")))
        .env("CONGSO_TLS_CERT_FILE", &cert)
        .env("CONGSO_TLS_KEY_FILE", &key)
        .env("CONGSO_REQUEST_TIMEOUT_SECS", "5")
        .env("CONGSO_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let root = reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .unwrap();
    let base = format!("https://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let login = loop {
        if let Ok(response) = client.get(format!("{base}/login")).send().await {
            break response;
        }
        assert!(
            Instant::now() < deadline && child.try_wait().unwrap().is_none(),
            "HTTPS node did not come up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(login.status().is_success());
    let cookie = login
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(login.headers().contains_key("strict-transport-security"));
    let mut served = Served { child, base };
    assert!(terminate(&mut served).success());
}

/// A client that announces a body and hangs up half-way, or sends garbage
/// instead of HTTP: the node answers what it can, records nothing
/// half-done, and keeps serving everyone else.
#[tokio::test]
async fn truncated_and_garbage_requests_do_no_harm() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut served = start(dir.path(), true);
    wait_ready(&mut served).await;
    let address = served.base.trim_start_matches("http://").to_owned();
    let client = reqwest::Client::new();
    let entries_before = ledger_size(&client, &served.base).await;

    for raw in [
        "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nusername=vanthu&pass".to_owned(),
        "POST /admin/users HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n".to_owned(),
        "GARBAGE\r\n\r\n".to_owned(),
        format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100_000)),
    ] {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = stream.write_all(raw.as_bytes());
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(!answer.contains(" 500 "), "{answer}");
    }
    // Still serving, and no audit entry was written for requests that never
    // completed.
    let home = client.get(&served.base).send().await.unwrap();
    assert!(home.status().is_success());
    assert_eq!(ledger_size(&client, &served.base).await, entries_before);
    assert!(terminate(&mut served).success());
}

async fn ledger_size(client: &reqwest::Client, base: &str) -> u64 {
    let note = client
        .get(format!("{base}/ledger/checkpoint"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    note.lines().nth(1).unwrap().parse().unwrap()
}
