//! Finding the independent tools (OpenSSL, pyHanko) the interop tests run.
//!
//! `CONGSO_PEERS_VENV` names the Python venv with pyHanko (default
//! `/tmp/peers/venv`, made by `tests/peers/README.md`'s install step).
//! When a tool is missing the test prints a notice and returns, unless
//! `CONGSO_REQUIRE_PEERS=1` (CI sets it), in which case it fails.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn required() -> bool {
    std::env::var("CONGSO_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

fn missing(tool: &str, hint: &str) -> Option<PathBuf> {
    if required() {
        panic!("{tool} is required (CONGSO_REQUIRE_PEERS=1) but was not found: {hint}");
    }
    eprintln!("NOTICE: skipping, {tool} not found ({hint}); set CONGSO_REQUIRE_PEERS=1 to make this an error");
    None
}

/// The `openssl` binary, if installed.
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

/// The venv holding pyHanko 0.38.
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

/// Directory of the project's copies of the peer scripts.
pub fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// Runs a command and returns its output, with stdout and stderr in the
/// panic message if `expect_success` does not hold.
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

/// A fresh temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let mut random = [0u8; 8];
        getrandom_fill(&mut random);
        let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("congso-pki-{tag}-{name}"));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, data).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn getrandom_fill(buf: &mut [u8]) {
    use std::hash::{BuildHasher, Hasher};
    // Uniqueness, not secrecy: a process-local random hasher seeded by std.
    for chunk in buf.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos(),
        );
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}
