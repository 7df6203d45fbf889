//! Runs the search benchmark without the `congso` binary:
//! `cargo run --release -p congso-search --features bench --example bench_search -- [--json] [--scale N] [--rounds N] [--postgres-url URL|--no-postgres] [--scale-dir DIR]`.

use congso_search::bench::{run, BenchOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut options = BenchOptions::default();
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--no-postgres" => options.postgres_url = None,
            "--postgres-url" => options.postgres_url = args.next(),
            "--scale" => options.scale = args.next().map(|n| n.parse()).transpose()?,
            "--scale-dir" => options.scale_dir = args.next().map(Into::into),
            "--rounds" => options.rounds = args.next().map(|n| n.parse()).transpose()?.unwrap_or(5),
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let report = run(&options).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}
