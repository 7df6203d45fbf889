//! `congso verify`: checks, offline, whatever a relying party holds (a
//! signed PDF, a detached CMS signature, a timestamp, an archive package)
//! and prints the validation report. Exits 0 only when it is valid.
//!
//! Nothing here needs a node: the trust comes from `--trust`, `--crl` and
//! `--ledger-key`. A package carries its node's CA and ledger key; they are
//! used to check it, but a CA taken from the package proves nothing about
//! who made it, so without `--trust` a package is at best indeterminate.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context};
use congso_archive::package::{self, PackageOptions, PackageReport};
use congso_pki::{InputKind, Reason, Severity, ValidationReport, Verdict, VerifyOptions};
use serde::Serialize;

/// Largest single file checked in memory (a PDF is parsed whole).
const MAX_FILE_BYTES: u64 = 1 << 30;

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// What to check: a signed PDF; a file with FILE.p7s beside it, or the
    /// .p7s itself; a timestamp (.tsr / .tst, with the data beside it or
    /// --data); or an archive package (.zip).
    pub file: PathBuf,
    /// A trusted root certificate (PEM or DER, may hold several). Repeat for more.
    #[arg(long)]
    pub trust: Vec<PathBuf>,
    /// A CRL to check revocation against (PEM or DER). Repeat for more.
    #[arg(long)]
    pub crl: Vec<PathBuf>,
    /// The signed or timestamped data, when it is not beside FILE.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The issuing node's ledger verifier key (or a file holding it), to pin
    /// an archive package to that node.
    #[arg(long)]
    pub ledger_key: Option<String>,
    /// Require a signature timestamp (PAdES B-T / CAdES-T).
    #[arg(long)]
    pub require_timestamp: bool,
    /// Require a CRL answer for every certificate (otherwise "not checked" is a note).
    #[arg(long)]
    pub require_revocation: bool,
    /// Print the whole report as JSON (reasons in Vietnamese and English).
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Report {
    Signature(ValidationReport),
    Package(PackageReport),
}

#[derive(Serialize)]
struct Output<'a> {
    file: String,
    kind: &'a str,
    data: Option<String>,
    verdict: Verdict,
    report: Report,
}

fn read_bounded(path: &Path) -> anyhow::Result<Vec<u8>> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !metadata.is_file() {
        bail!("{} is not a file", path.display());
    }
    if metadata.len() > MAX_FILE_BYTES {
        bail!(
            "{} is {} bytes; files up to {MAX_FILE_BYTES} bytes are checked",
            path.display(),
            metadata.len()
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `FILE` without its last extension, if that extension is one of `extensions`.
fn beside(path: &Path, extensions: &[&str]) -> Option<PathBuf> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    extensions
        .contains(&extension.as_str())
        .then(|| path.with_extension(""))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn load_trust(
    args: &VerifyArgs,
) -> anyhow::Result<(Vec<congso_pki::Certificate>, Vec<congso_pki::Crl>)> {
    let mut anchors = Vec::new();
    for path in &args.trust {
        let bytes = read_bounded(path)?;
        let found = congso_pki::parse_certificates(&bytes)
            .with_context(|| format!("{} holds no certificate", path.display()))?;
        if found.is_empty() {
            bail!("{} holds no certificate", path.display());
        }
        anchors.extend(found);
    }
    let mut crls = Vec::new();
    for path in &args.crl {
        let bytes = read_bounded(path)?;
        crls.push(
            congso_pki::Crl::parse(&bytes)
                .with_context(|| format!("{} is not a CRL", path.display()))?,
        );
    }
    Ok((anchors, crls))
}

fn ledger_key(args: &VerifyArgs) -> anyhow::Result<Option<String>> {
    match &args.ledger_key {
        None => Ok(None),
        Some(value) => {
            let path = Path::new(value);
            if !value.contains('+') && path.is_file() {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Ok(Some(text.trim().to_owned()))
            } else {
                Ok(Some(value.trim().to_owned()))
            }
        }
    }
}

pub fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let (anchors, crls) = load_trust(&args)?;
    let now = SystemTime::now();
    let file = &args.file;
    let head = {
        use std::io::Read;
        let mut head = [0u8; 8];
        let mut opened =
            std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        let read = opened.read(&mut head).unwrap_or(0);
        head[..read].to_vec()
    };

    let (kind, data, verdict, report) = if package::looks_like_zip(&head) {
        let options = PackageOptions {
            trust: anchors,
            crls,
            ledger_key: ledger_key(&args)?,
            ..PackageOptions::new(now)
        };
        let report = package::verify_package(file, &options).with_context(|| {
            format!("{} cannot be checked as an archive package", file.display())
        })?;
        ("package", None, report.verdict, Report::Package(report))
    } else {
        let mut options = VerifyOptions {
            crls,
            ..VerifyOptions::new(anchors, now)
        };
        options.require_timestamp = args.require_timestamp;
        if args.require_revocation {
            options.revocation = congso_pki::RevocationPolicy::Require;
        }
        let bytes = read_bounded(file)?;
        match congso_pki::detect_kind(&bytes) {
            InputKind::Pdf => {
                let report = congso_pki::verify_pdf(&bytes, &options)
                    .with_context(|| format!("{} cannot be read as a PDF", file.display()))?;
                ("pdf", None, report.verdict, Report::Signature(report))
            }
            InputKind::Cms => {
                let data_path = args
                    .data
                    .clone()
                    .or_else(|| beside(file, &["p7s", "p7m", "sig", "pkcs7"]))
                    .with_context(|| {
                        format!(
                            "{} is a detached signature; give the signed file with --data",
                            file.display()
                        )
                    })?;
                let data = read_bounded(&data_path)?;
                let report = congso_pki::verify_detached(&data, &bytes, &options);
                let verdict = report.verdict;
                (
                    "detached-cms",
                    Some(data_path),
                    verdict,
                    Report::Signature(report),
                )
            }
            InputKind::TimestampResponse | InputKind::TimestampToken => {
                let data_path = args
                    .data
                    .clone()
                    .or_else(|| beside(file, &["tsr", "tst", "tsa"]))
                    .with_context(|| {
                        format!(
                            "{} is a timestamp; give the timestamped file with --data",
                            file.display()
                        )
                    })?;
                let data = read_bounded(&data_path)?;
                let report = congso_pki::verify_timestamp_token(&bytes, &data, &options);
                let verdict = report.verdict;
                (
                    "timestamp",
                    Some(data_path),
                    verdict,
                    Report::Signature(report),
                )
            }
            InputKind::Unknown => {
                // A plain file: its signature or timestamp sits beside it.
                let p7s = with_suffix(file, ".p7s");
                let tsr = with_suffix(file, ".tsr");
                if p7s.is_file() {
                    let signature = read_bounded(&p7s)?;
                    let report = congso_pki::verify_detached(&bytes, &signature, &options);
                    let verdict = report.verdict;
                    (
                        "detached-cms",
                        Some(file.clone()),
                        verdict,
                        Report::Signature(report),
                    )
                } else if tsr.is_file() {
                    let token = read_bounded(&tsr)?;
                    let report = congso_pki::verify_timestamp_token(&token, &bytes, &options);
                    let verdict = report.verdict;
                    (
                        "timestamp",
                        Some(file.clone()),
                        verdict,
                        Report::Signature(report),
                    )
                } else {
                    bail!(
                        "{} is not a PDF, a CMS signature, a timestamp or an archive package, \
                         and there is no {} or {} beside it",
                        file.display(),
                        p7s.display(),
                        tsr.display()
                    );
                }
            }
        }
    };

    if args.json {
        let output = Output {
            file: file.display().to_string(),
            kind,
            data: data.map(|path| path.display().to_string()),
            verdict,
            report,
        };
        emit(&format!("{}\n", serde_json::to_string_pretty(&output)?))?;
    } else {
        let mut out = String::new();
        print_human(&mut out, file, kind, data.as_deref(), verdict, &report);
        emit(&out)?;
    }
    if verdict != Verdict::Valid {
        std::process::exit(1);
    }
    Ok(())
}

fn verdict_vi(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Valid => "HỢP LỆ (valid)",
        Verdict::Indeterminate => "CHƯA XÁC ĐỊNH ĐƯỢC (indeterminate)",
        Verdict::Invalid => "KHÔNG HỢP LỆ (invalid)",
    }
}

fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Valid => "hợp lệ",
        Verdict::Indeterminate => "chưa xác định được",
        Verdict::Invalid => "không hợp lệ",
    }
}

fn marker(severity: Severity) -> &'static str {
    match severity {
        Severity::Passed => "[đạt]",
        Severity::Note => "[lưu ý]",
        Severity::Indeterminate => "[chưa rõ]",
        Severity::Invalid => "[LỖI]",
    }
}

/// Appends a line to the output buffer (writing to a `String` cannot fail).
macro_rules! line {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Writes the output; a reader that went away (`| head`) is not an error.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
        _ => Ok(()),
    }
}

fn print_reasons(out: &mut String, indent: &str, reasons: &[Reason]) {
    for reason in reasons {
        line!(out, "{indent}{} {}", marker(reason.severity), reason.vi);
    }
}

fn print_signature_report(out: &mut String, indent: &str, report: &ValidationReport) {
    print_reasons(out, indent, &report.reasons);
    for (index, signature) in report.signatures.iter().enumerate() {
        let details = &signature.details;
        let who = details
            .signer_name
            .clone()
            .or_else(|| details.signer_subject.clone())
            .unwrap_or_else(|| "(không rõ người ký)".to_owned());
        let field = signature
            .field_name
            .as_deref()
            .map(|name| format!(" ({name})"))
            .unwrap_or_default();
        line!(
            out,
            "{indent}Chữ ký {}{field}: {who}: {}",
            index + 1,
            verdict_word(signature.verdict)
        );
        if let Some(time) = details.timestamp.as_ref().and_then(|ts| ts.time.as_deref()) {
            line!(out, "{indent}  Thời điểm ký theo dấu thời gian: {time}");
        } else if let Some(claimed) = &details.claimed_signing_time {
            line!(
                out,
                "{indent}  Thời điểm ký do người ký khai (không có dấu thời gian): {claimed}"
            );
        }
        print_reasons(out, &format!("{indent}  "), &signature.reasons);
    }
}

fn print_human(
    out: &mut String,
    file: &Path,
    kind: &str,
    data: Option<&Path>,
    verdict: Verdict,
    report: &Report,
) {
    let kind_vi = match kind {
        "pdf" => "văn bản PDF có chữ ký số",
        "detached-cms" => "chữ ký số tách rời (CMS)",
        "timestamp" => "dấu thời gian (RFC 3161)",
        _ => "gói lưu trữ văn bản điện tử",
    };
    line!(out, "Tệp:       {}", file.display());
    line!(out, "Loại:      {kind_vi}");
    if let Some(data) = data {
        line!(out, "Dữ liệu:   {}", data.display());
    }
    line!(out, "Kết luận:  {}", verdict_vi(verdict));
    match report {
        Report::Signature(report) => print_signature_report(out, "  ", report),
        Report::Package(report) => {
            if let Some(origin) = &report.origin {
                line!(out, "Nguồn:     {origin}");
            }
            print_reasons(out, "  ", &report.reasons);
            for item in &report.items {
                let direction = match item.direction.as_deref() {
                    Some("issued") => "văn bản đi, gửi lúc",
                    Some("received") => "văn bản đến, nhận lúc",
                    _ => "thời điểm",
                };
                line!(
                    out,
                    "Văn bản lưu trữ #{} ({direction} {}): {}",
                    item.id,
                    item.event_at.as_deref().unwrap_or("?"),
                    verdict_word(item.verdict)
                );
                print_reasons(out, "  ", &item.reasons);
                for check in &item.signatures {
                    line!(
                        out,
                        "  Tệp {}: {}",
                        check.name,
                        verdict_word(check.report.verdict)
                    );
                    print_signature_report(out, "    ", &check.report);
                }
            }
        }
    }
}
