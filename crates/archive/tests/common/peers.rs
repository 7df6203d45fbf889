//! The independent tools (OpenSSL, pyHanko) and the peer scripts kept in
//! `crates/pki/tests/peers`. A missing tool skips the test with a notice,
//! unless `CONGSO_REQUIRE_PEERS=1` (CI sets it), which makes it a failure.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn missing(tool: &str, hint: &str) -> Option<PathBuf> {
    if std::env::var("CONGSO_REQUIRE_PEERS").is_ok_and(|v| v == "1") {
        panic!("{tool} is required (CONGSO_REQUIRE_PEERS=1) but was not found: {hint}");
    }
    eprintln!("NOTICE: skipping, {tool} not found ({hint}); set CONGSO_REQUIRE_PEERS=1 to make this an error");
    None
}

pub fn openssl() -> Option<PathBuf> {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        Some(PathBuf::from("openssl"))
    } else {
        missing("openssl", "apt-get install openssl")
    }
}

/// The venv holding pyHanko (`CONGSO_PEERS_VENV`, default `/tmp/peers/venv`).
pub fn pyhanko_venv() -> Option<PathBuf> {
    let venv = PathBuf::from(
        std::env::var("CONGSO_PEERS_VENV").unwrap_or_else(|_| "/tmp/peers/venv".into()),
    );
    if venv.join("bin/pyhanko").exists() && venv.join("bin/python").exists() {
        Some(venv)
    } else {
        missing(
            "pyHanko",
            &format!(
                "no pyhanko in {}; run bash crates/pki/tests/peers/install.sh",
                venv.display()
            ),
        )
    }
}

/// The peer scripts shared with the pki crate.
pub fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pki/tests/peers")
}

/// Runs a command; panics with its output unless it succeeded as expected.
pub fn run(command: &mut Command, expect_success: bool) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    if output.status.success() != expect_success {
        panic!(
            "{command:?} exited {:?} (expected success={expect_success})\nstdout: {}\nstderr: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// pyHanko's one-line verdict on a PDF, trusting only `root`.
pub fn pyhanko_verdict(venv: &Path, pdf: &Path, root: &Path, expect_valid: bool) -> String {
    let out = run(
        Command::new("bash")
            .arg(scripts().join("pades-validate.sh"))
            .arg(pdf)
            .arg(root)
            .env("PEERS_PY", venv.join("bin/python")),
        expect_valid,
    );
    let verdict = text(&out);
    eprintln!("pyHanko on {}: {}", pdf.display(), verdict.trim());
    verdict
}

/// A throwaway OpenSSL PKI (root, signer, TSA; RSA-2048) in `dir`.
pub fn openssl_pki(dir: &Path) {
    run(
        Command::new("bash")
            .arg(scripts().join("mk-test-pki.sh"))
            .arg(dir),
        true,
    );
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `openssl ts` behind HTTP on 127.0.0.1 (tsa.sh serve), stopped on drop.
pub struct OpensslTsa {
    child: std::process::Child,
    pub url: String,
}

impl OpensslTsa {
    pub fn start(pki: &Path) -> OpensslTsa {
        let port = free_port();
        let child = Command::new("bash")
            .arg(scripts().join("tsa.sh"))
            .arg("serve")
            .arg(pki)
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        OpensslTsa {
            child,
            url: format!("http://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for OpensslTsa {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
