//! Registration throughput on a scratch SQLite node, as `congso bench
//! documents` runs it: `cargo run --release -p congso-docs --example
//! bench_register -- [DOCUMENTS] [TASKS] [FILE_BYTES]`.

use std::process::ExitCode;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut next = |default: usize| {
        args.next()
            .and_then(|arg| arg.parse().ok())
            .unwrap_or(default)
    };
    let documents = next(20_000);
    let tasks = next(256);
    let file_bytes = next(100 * 1024);
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("cannot create a scratch directory: {error}");
            return ExitCode::FAILURE;
        }
    };
    match congso_docs::bench::bench_documents(dir.path(), documents, tasks, file_bytes).await {
        Ok(report) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("benchmark failed: {error}");
            ExitCode::FAILURE
        }
    }
}
