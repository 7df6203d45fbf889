//! End-to-end tests of `congso pki`, `congso verify` and `congso archive`
//! on the real binary: the node signs, a relying party verifies offline,
//! the archive finds tampering, packages verify with nothing but the
//! package; files signed by pyHanko and OpenSSL verify with their CA; the
//! node's TSA answers OpenSSL and pyHanko over HTTP. Peer tools missing:
//! those parts are skipped with a notice unless `CONGSO_REQUIRE_PEERS=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_congso");

fn congso(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("CONGSO_LOG_LEVEL", "warn")
        .env("CONGSO_ARGON2_MEMORY_KIB", "256")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run congso");
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs congso and checks its exit code; returns what it printed.
fn expect(args: &[&str], success: bool) -> String {
    let output = congso(args, None);
    assert_eq!(
        output.status.success(),
        success,
        "congso {args:?} exited {:?}:\n{}",
        output.status.code(),
        text(&output)
    );
    text(&output)
}

fn node_args(data: &Path) -> Vec<String> {
    vec!["--data-dir".into(), data.display().to_string()]
}

/// `congso --data-dir DATA args...`
fn on_node(data: &Path, args: &[&str], success: bool) -> String {
    let mut all: Vec<String> = node_args(data);
    all.extend(args.iter().map(|a| a.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    expect(&refs, success)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn require_peers() -> bool {
    std::env::var("CONGSO_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

fn skip(tool: &str) {
    if require_peers() {
        panic!("{tool} is required (CONGSO_REQUIRE_PEERS=1) but was not found");
    }
    eprintln!(
        "NOTICE: skipping, {tool} not found; set CONGSO_REQUIRE_PEERS=1 to make this an error"
    );
}

fn openssl_found() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn pyhanko_venv() -> Option<PathBuf> {
    let venv = PathBuf::from(
        std::env::var("CONGSO_PEERS_VENV").unwrap_or_else(|_| "/tmp/peers/venv".into()),
    );
    (venv.join("bin/pyhanko").exists() && venv.join("bin/python").exists()).then_some(venv)
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pki/tests/peers")
}

fn run(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{command:?}: {}", text(&output));
    text(&output)
}

fn setup_signer(data: &Path, dir: &Path) -> (PathBuf, String) {
    on_node(
        data,
        &[
            "admin",
            "create-user",
            "lanh.dao",
            "--name",
            "Nguyễn Văn An",
            "--role",
            "leader",
            "--position",
            "Chủ tịch",
        ],
        true,
    );
    let ca = on_node(data, &["pki", "ca-cert"], true);
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, &ca).unwrap();
    let issued = on_node(
        data,
        &["pki", "issue-cert", "lanh.dao", "--alg", "rsa2048"],
        true,
    );
    let serial = issued.split_whitespace().nth(2).unwrap().to_owned();
    (ca_path, serial)
}

#[test]
fn sign_verify_archive_and_export_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let (ca, serial) = setup_signer(&data, dir.path());
    if openssl_found() {
        let shown = run(Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&ca));
        assert!(
            shown.contains("CA:TRUE") && shown.contains("Congso Node CA"),
            "{shown}"
        );
    }

    // A PDF: PAdES B-T with a visible block; the original stays as it was.
    let pdf = dir.path().join("quyet-dinh.pdf");
    let original = congso_archive::samples::text_pdf("Quyết định số 12/QĐ-UBND", 2);
    std::fs::write(&pdf, &original).unwrap();
    let signed_out = on_node(
        &data,
        &["pki", "sign", "lanh.dao", s(&pdf), "--visible"],
        true,
    );
    assert!(signed_out.contains("verdict valid"), "{signed_out}");
    assert_eq!(std::fs::read(&pdf).unwrap(), original);
    let signed = dir.path().join("quyet-dinh-signed.pdf");
    let shown = expect(
        &[
            "verify",
            s(&signed),
            "--trust",
            s(&ca),
            "--require-timestamp",
        ],
        true,
    );
    assert!(shown.contains("Kết luận:  HỢP LỆ"), "{shown}");
    assert!(shown.contains("Nguyễn Văn An"), "{shown}");
    let json = expect(&["verify", s(&signed), "--trust", s(&ca), "--json"], true);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["verdict"], "valid");
    assert_eq!(parsed["kind"], "pdf");
    assert!(parsed["report"]["signatures"][0]["reasons"][0]["en"].is_string());
    // Without the node CA: not known, so not valid.
    let unknown = expect(&["verify", s(&signed)], false);
    assert!(unknown.contains("CHƯA XÁC ĐỊNH"), "{unknown}");
    // A changed byte inside the signed revision: invalid.
    let mut bytes = std::fs::read(&signed).unwrap();
    let at = bytes.windows(9).position(|w| w == b"Quyet din").unwrap();
    bytes[at] = b'X';
    let tampered = dir.path().join("tampered.pdf");
    std::fs::write(&tampered, &bytes).unwrap();
    let shown = expect(&["verify", s(&tampered), "--trust", s(&ca)], false);
    assert!(shown.contains("KHÔNG HỢP LỆ"), "{shown}");
    // Not a signature at all.
    let plain = dir.path().join("plain.bin");
    std::fs::write(&plain, b"just bytes").unwrap();
    let shown = expect(&["verify", s(&plain)], false);
    assert!(shown.contains("not a PDF, a CMS signature"), "{shown}");

    // Other files: a detached CMS beside the file.
    let note = dir.path().join("bien-ban.txt");
    std::fs::write(&note, "Biên bản họp ngày 29/11").unwrap();
    on_node(&data, &["pki", "sign", "lanh.dao", s(&note)], true);
    let p7s = dir.path().join("bien-ban.txt.p7s");
    assert!(p7s.exists());
    expect(&["verify", s(&note), "--trust", s(&ca)], true);
    expect(&["verify", s(&p7s), "--trust", s(&ca)], true);
    // A forged signature value and a malformed signature file.
    let mut forged = std::fs::read(&p7s).unwrap();
    let last = forged.len() - 300;
    forged[last] ^= 0x40;
    let forged_path = dir.path().join("forged.txt.p7s");
    std::fs::write(&forged_path, &forged).unwrap();
    let shown = expect(
        &[
            "verify",
            s(&forged_path),
            "--data",
            s(&note),
            "--trust",
            s(&ca),
        ],
        false,
    );
    assert!(
        shown.contains("KHÔNG HỢP LỆ") || shown.contains("CHƯA XÁC ĐỊNH"),
        "{shown}"
    );
    let garbage = dir.path().join("garbage.p7s");
    std::fs::write(&garbage, b"\x30\x82\xff\xff not der").unwrap();
    let shown = expect(&["verify", s(&garbage), "--data", s(&note)], false);
    assert!(shown.contains("error:"), "{shown}");

    // Archive both, check the archive, export and verify the package.
    let metadata = dir.path().join("metadata.json");
    std::fs::write(
        &metadata,
        r#"{"so_ky_hieu":"12/QĐ-UBND","trich_yeu":"Ban hành quy chế"}"#,
    )
    .unwrap();
    let added = on_node(
        &data,
        &[
            "archive",
            "add",
            "--direction",
            "issued",
            "--metadata",
            s(&metadata),
            "--document-id",
            "12",
            "--file",
            &format!("original={}", s(&pdf)),
            "--file",
            &format!("signed={}", s(&signed)),
        ],
        true,
    );
    assert!(
        added.contains("archived item 1") && added.contains("signatures: valid"),
        "{added}"
    );
    let added = on_node(
        &data,
        &[
            "archive",
            "add",
            "--direction",
            "received",
            "--metadata",
            s(&metadata),
            "--file",
            &format!("original={}", s(&note)),
            "--file",
            &format!("signature={}@0", s(&p7s)),
        ],
        true,
    );
    assert!(added.contains("archived item 2"), "{added}");
    let verified = on_node(&data, &["archive", "verify"], true);
    assert!(
        verified.contains("OK: every archived item is intact"),
        "{verified}"
    );
    let package = dir.path().join("ho-so.zip");
    on_node(
        &data,
        &["archive", "export", "1", "2", "--out", s(&package)],
        true,
    );
    let key = on_node(&data, &["ledger", "key"], true);
    let shown = expect(
        &[
            "verify",
            s(&package),
            "--ledger-key",
            key.trim(),
            "--trust",
            s(&ca),
        ],
        true,
    );
    assert!(
        shown.contains("gói lưu trữ") && shown.contains("HỢP LỆ"),
        "{shown}"
    );
    let stranger = "congso/other+00000000+AU4ae3LRGRfiMig935KyjWd4jAuoYmIyKd0anPQPEgwK";
    expect(&["verify", s(&package), "--ledger-key", stranger], false);

    // Revocation after signing: the timestamp keeps the signature valid.
    // Times in CRLs and tokens have whole seconds, and a revocation in the
    // same second as the timestamp counts as before it (the safe reading):
    // let a second pass.
    std::thread::sleep(Duration::from_millis(1100));
    let revoked = on_node(
        &data,
        &["pki", "revoke", &serial, "--reason", "key-compromise"],
        true,
    );
    assert!(revoked.contains("CRL number"), "{revoked}");
    let crl = dir.path().join("ca.crl");
    std::fs::write(&crl, on_node(&data, &["pki", "crl"], true)).unwrap();
    if openssl_found() {
        let shown = run(Command::new("openssl")
            .args(["crl", "-noout", "-in"])
            .arg(&crl)
            .arg("-CAfile")
            .arg(&ca));
        assert!(shown.contains("verify OK"), "{shown}");
    }
    let shown = expect(
        &["verify", s(&signed), "--trust", s(&ca), "--crl", s(&crl)],
        true,
    );
    assert!(shown.contains("bị thu hồi"), "{shown}");
    let refused = on_node(&data, &["pki", "sign", "lanh.dao", s(&note)], false);
    assert!(
        refused.contains("no usable signing certificate"),
        "{refused}"
    );
    let listed = on_node(&data, &["pki", "list"], true);
    assert!(listed.contains("revoked (key-compromise)"), "{listed}");

    // Tampering with storage: a blob on disk and a metadata row.
    let item: serde_json::Value =
        serde_json::from_str(&on_node(&data, &["archive", "show", "1"], true)).unwrap();
    let hash = item["files"][1]["sha256"].as_str().unwrap().to_owned();
    let blob = data
        .join("blobs/sha256")
        .join(&hash[0..2])
        .join(&hash[2..4])
        .join(&hash);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[50] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let url = format!("sqlite://{}", data.join("congso.sqlite3").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = congso_store::Db::open(&congso_store::DbOptions::new(&url))
            .await
            .unwrap();
        congso_store::testing_raw_execute(
            &db,
            "UPDATE archive_items SET metadata = '{\"so_ky_hieu\":\"13/QĐ-UBND\"}' WHERE id = 2",
        )
        .await
        .unwrap();
        db.close().await;
    });
    let failed = on_node(&data, &["archive", "verify"], false);
    assert!(failed.contains("[BLOB_ALTERED] archive item 1"), "{failed}");
    assert!(
        failed.contains("[METADATA_ALTERED] archive item 2"),
        "{failed}"
    );
    let json = on_node(&data, &["archive", "verify", "--json"], false);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(report["problems"].as_array().unwrap().len() >= 2);

    // A hostile package gets a clear error, not a verdict.
    let hostile = dir.path().join("hostile.zip");
    let made = Command::new("python3")
        .arg("-c")
        .arg("import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr('../../evil.txt', 'x')")
        .arg(&hostile)
        .status();
    if made.is_ok_and(|status| status.success()) {
        let shown = expect(&["verify", s(&hostile)], false);
        assert!(shown.contains("not a safe relative path"), "{shown}");
    }
}

#[test]
fn pki_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let unknown = on_node(&data, &["pki", "issue-cert", "nobody"], false);
    assert!(unknown.contains("no account named \"nobody\""), "{unknown}");
    let revoke = on_node(
        &data,
        &["pki", "revoke", "zz", "--reason", "superseded"],
        false,
    );
    assert!(revoke.contains("not hexadecimal"), "{revoke}");
    let missing = on_node(
        &data,
        &["pki", "import-p12", "nobody", "/nonexistent.p12"],
        false,
    );
    assert!(missing.contains("/nonexistent.p12"), "{missing}");
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "tsa_url = \"ftp://x\"\n").unwrap();
    let bad = expect(&["pki", "list", "--config", s(&config)], false);
    assert!(bad.contains("key `tsa_url`"), "{bad}");
    let help = expect(&["pki", "--help"], true);
    for sub in [
        "ca-cert",
        "issue-cert",
        "import-p12",
        "revoke",
        "crl",
        "list",
        "sign",
    ] {
        assert!(help.contains(sub), "{help}");
    }
    expect(&["archive", "--help"], true);
    expect(&["verify", "--help"], true);
}

#[test]
fn import_p12_made_by_openssl() {
    if !openssl_found() {
        return skip("openssl");
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    setup_signer(&data, dir.path());
    let pki = dir.path().join("pki");
    run(Command::new("bash")
        .arg(scripts().join("mk-test-pki.sh"))
        .arg(&pki));
    let p12 = dir.path().join("signer.p12");
    run(Command::new("openssl")
        .args(["pkcs12", "-export", "-inkey"])
        .arg(pki.join("signer.key"))
        .arg("-in")
        .arg(pki.join("signer.pem"))
        .arg("-certfile")
        .arg(pki.join("root.pem"))
        .args(["-passout", "pass:mật khẩu 2026", "-out"])
        .arg(&p12));
    let mut args = node_args(&data);
    args.extend([
        "pki".into(),
        "import-p12".into(),
        "lanh.dao".into(),
        s(&p12).into(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let wrong = congso(&refs, Some(b"sai\n"));
    assert!(!wrong.status.success());
    assert!(text(&wrong).contains("pkcs#12"), "{}", text(&wrong));
    let imported = congso(&refs, Some("mật khẩu 2026\n".as_bytes()));
    assert!(imported.status.success(), "{}", text(&imported));
    assert!(
        text(&imported).contains("Test Signer"),
        "{}",
        text(&imported)
    );
    // The password never reaches the ledger.
    let ledger = on_node(&data, &["ledger", "verify", "--json"], true);
    assert!(!ledger.contains("mật khẩu"));
    let listed = on_node(&data, &["pki", "list"], true);
    assert!(
        listed.contains("imported") && listed.contains("Test Signer"),
        "{listed}"
    );
    // It signs, and OpenSSL's root vouches for the signer.
    let note = dir.path().join("note.txt");
    std::fs::write(&note, "x").unwrap();
    on_node(&data, &["pki", "sign", "lanh.dao", s(&note)], true);
    let node_ca = dir.path().join("ca.pem");
    expect(
        &[
            "verify",
            s(&note),
            "--trust",
            s(&pki.join("root.pem")),
            "--trust",
            s(&node_ca),
        ],
        true,
    );
}

#[test]
fn verify_accepts_files_signed_by_pyhanko_and_openssl() {
    if !openssl_found() {
        return skip("openssl");
    }
    let Some(venv) = pyhanko_venv() else {
        return skip("pyHanko");
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    run(Command::new("bash")
        .arg(scripts().join("mk-test-pki.sh"))
        .arg(&pki));
    let root = pki.join("root.pem");

    // pyHanko signs a PDF at B-T with an `openssl ts` TSA.
    let input = dir.path().join("in.pdf");
    std::fs::write(
        &input,
        congso_archive::samples::text_pdf("Signed elsewhere", 1),
    )
    .unwrap();
    let signed = dir.path().join("pyhanko.pdf");
    run(Command::new("bash")
        .arg(scripts().join("pades-sign.sh"))
        .arg(&input)
        .arg(&signed)
        .arg(pki.join("signer.key"))
        .arg(pki.join("signer.pem"))
        .arg(pki.join("chain.pem"))
        .env("PYHANKO", venv.join("bin/pyhanko")));
    let shown = expect(
        &[
            "verify",
            s(&signed),
            "--trust",
            s(&root),
            "--require-timestamp",
        ],
        true,
    );
    assert!(
        shown.contains("Test Signer") && shown.contains("HỢP LỆ"),
        "{shown}"
    );
    expect(&["verify", s(&signed)], false);

    // OpenSSL signs a detached CMS; it sits beside the file.
    let data = dir.path().join("cong-van.txt");
    std::fs::write(&data, "Công văn số 45").unwrap();
    run(Command::new("openssl")
        .args(["cms", "-sign", "-binary", "-outform", "DER", "-in"])
        .arg(&data)
        .arg("-signer")
        .arg(pki.join("signer.pem"))
        .arg("-inkey")
        .arg(pki.join("signer.key"))
        .arg("-out")
        .arg(dir.path().join("cong-van.txt.p7s")));
    expect(&["verify", s(&data), "--trust", s(&root)], true);

    // An `openssl ts` reply over the same file.
    let query = dir.path().join("q.tsq");
    let reply = dir.path().join("cong-van.txt.tsr");
    run(Command::new("bash")
        .arg(scripts().join("tsa.sh"))
        .arg("query")
        .arg(&data)
        .arg(&query));
    run(Command::new("bash")
        .arg(scripts().join("tsa.sh"))
        .arg("reply")
        .arg(&pki)
        .arg(&query)
        .arg(&reply));
    let shown = expect(&["verify", s(&reply), "--trust", s(&root)], true);
    assert!(shown.contains("dấu thời gian"), "{shown}");
    let elsewhere = dir.path().join("stamp.tsr");
    std::fs::copy(&reply, &elsewhere).unwrap();
    expect(
        &[
            "verify",
            s(&elsewhere),
            "--data",
            s(&data),
            "--trust",
            s(&root),
        ],
        true,
    );
    // A changed file no longer matches either.
    std::fs::write(&data, "Công văn số 46").unwrap();
    expect(&["verify", s(&data), "--trust", s(&root)], false);
    expect(&["verify", s(&reply), "--trust", s(&root)], false);
}

struct Served {
    child: std::process::Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

#[tokio::test]
async fn the_node_tsa_answers_openssl_and_pyhanko_over_http() {
    if !openssl_found() {
        return skip("openssl");
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            s(&data),
        ])
        .env("CONGSO_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let served = Served {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client.get(format!("{}/readyz", served.base)).send().await {
            if response.status().is_success() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the node did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ca = client
        .get(format!("{}/pki/ca.pem", served.base))
        .send()
        .await
        .unwrap();
    assert!(ca.status().is_success());
    let ca_path = dir.path().join("node-ca.pem");
    std::fs::write(&ca_path, ca.bytes().await.unwrap()).unwrap();
    let crl = client
        .get(format!("{}/pki/crl", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(crl.headers()["content-type"], "application/pkix-crl");
    let crl_path = dir.path().join("node.crl");
    std::fs::write(&crl_path, crl.bytes().await.unwrap()).unwrap();
    let shown = run(Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-in"])
        .arg(&crl_path)
        .arg("-CAfile")
        .arg(&ca_path));
    assert!(shown.contains("verify OK"), "{shown}");

    // OpenSSL asks the node's TSA and checks its answer.
    let file = dir.path().join("data.txt");
    std::fs::write(&file, "dữ liệu").unwrap();
    let query = dir.path().join("q.tsq");
    run(Command::new("openssl")
        .args(["ts", "-query", "-sha256", "-cert", "-data"])
        .arg(&file)
        .arg("-out")
        .arg(&query));
    let url = format!("{}/tsa", served.base);
    let reply = client
        .post(&url)
        .header("content-type", "application/timestamp-query")
        .body(std::fs::read(&query).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.headers()["content-type"],
        "application/timestamp-reply"
    );
    let reply_path = dir.path().join("data.txt.tsr");
    std::fs::write(&reply_path, reply.bytes().await.unwrap()).unwrap();
    let shown = run(Command::new("openssl")
        .args(["ts", "-verify", "-data"])
        .arg(&file)
        .arg("-in")
        .arg(&reply_path)
        .arg("-CAfile")
        .arg(&ca_path));
    assert!(shown.contains("Verification: OK"), "{shown}");
    expect(&["verify", s(&reply_path), "--trust", s(&ca_path)], true);

    // pyHanko signs with an OpenSSL-made key and timestamps at the node.
    let Some(venv) = pyhanko_venv() else {
        return skip("pyHanko");
    };
    let pki = dir.path().join("pki");
    run(Command::new("bash")
        .arg(scripts().join("mk-test-pki.sh"))
        .arg(&pki));
    let input = dir.path().join("in.pdf");
    std::fs::write(
        &input,
        congso_archive::samples::text_pdf("Timestamped by the node", 1),
    )
    .unwrap();
    let signed = dir.path().join("signed.pdf");
    run(Command::new("bash")
        .arg(scripts().join("pades-sign.sh"))
        .arg(&input)
        .arg(&signed)
        .arg(pki.join("signer.key"))
        .arg(pki.join("signer.pem"))
        .arg(pki.join("chain.pem"))
        .env("PYHANKO", venv.join("bin/pyhanko"))
        .env("TSA_URL", &url));
    let shown = expect(
        &[
            "verify",
            s(&signed),
            "--trust",
            s(&pki.join("root.pem")),
            "--trust",
            s(&ca_path),
            "--require-timestamp",
        ],
        true,
    );
    assert!(shown.contains("Congso Node TSA"), "{shown}");
}
