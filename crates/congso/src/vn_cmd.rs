//! `congso vn`: operator commands for the Vietnamese language and calendar kit.
//!
//! Every subcommand takes `--json`. The calendar subcommands read the
//! operator's holiday file named by `--holidays FILE` or the environment
//! variable `CONGSO_HOLIDAYS_FILE`, merged over the shipped data.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use congso_vn::calendar::{
    self, CalendarDays, CalendarEntry, Confidence, LunarDate, OfficialCalendar, WorkingDays,
};
use congso_vn::encoding::{self, Encoding};
use congso_vn::format::weekday_name;
use congso_vn::time::{Date, Duration, Month};
use serde_json::json;

/// Commands of the Vietnamese language and calendar kit.
#[derive(Debug, clap::Subcommand)]
pub enum VnCommand {
    /// Convert a legacy-encoded file (TCVN3, VNI, VISCII, VIQR, Windows-1258) and write it to stdout.
    Convert(ConvertArgs),
    /// Print the lunar date of a solar date: `congso vn lunar 2026-02-17`.
    Lunar {
        /// Solar date, YYYY-MM-DD.
        date: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Print the solar date of a lunar date: `congso vn solar 1/1/2026` or `15/6/2025/leap`.
    Solar {
        /// Lunar date, D/M/YYYY, with `/leap` (or `/nhuan`) for a leap month.
        date: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Print the solar date of Tết (1/1 lunar) of a year.
    Tet {
        year: i32,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// List a year's days off (holidays, substitute and bridge days) and make-up working days.
    Holidays {
        year: i32,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Working-day arithmetic for deadlines.
    Workdays {
        #[command(subcommand)]
        command: WorkdaysCommand,
    },
    /// Measure folding, NFC, lunar and working-day throughput (also `congso bench vn`).
    Bench {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Working-day questions.
#[derive(Debug, clap::Subcommand)]
pub enum WorkdaysCommand {
    /// The N-th working day after DATE (DATE itself is not counted).
    Add {
        /// Start date, YYYY-MM-DD.
        date: String,
        /// Number of working days.
        days: u32,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Working days d with A < d <= B (A not counted, B counted); negative if B is before A.
    Between {
        from: String,
        to: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Whether DATE is a working day, and the next working day after it.
    Check {
        date: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// The deadline N calendar days after DATE, moved to the next working day if needed.
    Deadline {
        date: String,
        /// Number of calendar days.
        days: u32,
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// Options every `congso vn` subcommand takes.
#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Operator holiday file (same format as the shipped data), merged over the shipped data.
    #[arg(long, value_name = "FILE", env = "CONGSO_HOLIDAYS_FILE")]
    holidays: Option<PathBuf>,
}

/// Arguments of `congso vn convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// Encoding of the input: tcvn3, vni, viscii, viqr, cp1258, utf8 or auto.
    #[arg(long)]
    from: String,
    /// Encoding of the output (default utf8).
    #[arg(long, default_value = "utf8")]
    to: String,
    /// Fail instead of writing U+FFFD for bytes that cannot be converted.
    #[arg(long)]
    strict: bool,
    /// Input file, or `-` for standard input.
    file: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
}

pub fn run(command: VnCommand) -> anyhow::Result<()> {
    match command {
        VnCommand::Convert(args) => convert(&args),
        VnCommand::Lunar { date, common } => lunar(&date, &common),
        VnCommand::Solar { date, common } => solar(&date, &common),
        VnCommand::Tet { year, common } => tet(year, &common),
        VnCommand::Holidays { year, common } => holidays(year, &common),
        VnCommand::Workdays { command } => workdays(command),
        VnCommand::Bench { json } => bench(json),
    }
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn load_calendar(common: &CommonArgs) -> anyhow::Result<OfficialCalendar> {
    match &common.holidays {
        None => Ok(OfficialCalendar::shipped().clone()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read holiday file {}", path.display()))?;
            OfficialCalendar::with_overrides(&text)
                .with_context(|| format!("holiday file {} is invalid", path.display()))
        }
    }
}

fn parse_date(text: &str) -> anyhow::Result<Date> {
    Ok(calendar::parse_iso_date(text)?)
}

fn lunar(date: &str, common: &CommonArgs) -> anyhow::Result<()> {
    let solar = parse_date(date)?;
    let lunar = calendar::solar_to_lunar(solar)?;
    if common.json {
        return print_json(&json!({
            "day": lunar.day, "month": lunar.month, "year": lunar.year, "leap": lunar.leap,
        }));
    }
    writeln!(
        std::io::stdout(),
        "{} âm lịch (ngày {}, tháng {}{}, năm {})",
        lunar,
        calendar::CanChi::of_day(solar),
        lunar.month_can_chi(),
        if lunar.leap { " nhuận" } else { "" },
        lunar.year_can_chi(),
    )?;
    Ok(())
}

fn parse_lunar(text: &str) -> anyhow::Result<LunarDate> {
    let parts: Vec<&str> = text.trim().split('/').collect();
    let number = |part: &str, what: &str| -> anyhow::Result<u32> {
        part.trim().parse::<u32>().with_context(|| {
            format!("'{text}': {what} '{part}' is not a number (expected D/M/YYYY[/leap])")
        })
    };
    let (day, month, year, leap) = match parts.as_slice() {
        [d, m, y] => (d, m, y, false),
        [d, m, y, flag] => {
            let leap = match flag.trim().to_lowercase().as_str() {
                "leap" | "nhuan" | "nhuận" | "n" | "1" => true,
                "0" => false,
                other => bail!("'{text}': '{other}' is not a leap marker (use /leap)"),
            };
            (d, m, y, leap)
        }
        _ => bail!("'{text}' is not a lunar date of the form D/M/YYYY[/leap]"),
    };
    let day = u8::try_from(number(day, "day")?).context("day is too large")?;
    let month = u8::try_from(number(month, "month")?).context("month is too large")?;
    let year = i32::try_from(number(year, "year")?).context("year is too large")?;
    Ok(LunarDate::new(year, month, day, leap))
}

fn solar(date: &str, common: &CommonArgs) -> anyhow::Result<()> {
    let lunar = parse_lunar(date)?;
    let solar = calendar::lunar_to_solar(lunar)?;
    if common.json {
        return print_json(&json!({ "date": solar.to_string() }));
    }
    writeln!(
        std::io::stdout(),
        "{solar} ({})",
        weekday_name(solar.weekday())
    )?;
    Ok(())
}

fn tet(year: i32, common: &CommonArgs) -> anyhow::Result<()> {
    let date = calendar::tet(year)?;
    if common.json {
        return print_json(&json!({ "date": date.to_string() }));
    }
    writeln!(
        std::io::stdout(),
        "{date} ({}), Tết {}",
        weekday_name(date.weekday()),
        calendar::CanChi::of_year(year)
    )?;
    Ok(())
}

fn confidence_note(entry: &CalendarEntry) -> &'static str {
    match entry.confidence {
        Confidence::Confirmed => "",
        Confidence::Unconfirmed => " [unconfirmed]",
        Confidence::Computed => " [computed from the Labour Code; no decision recorded]",
    }
}

fn holidays(year: i32, common: &CommonArgs) -> anyhow::Result<()> {
    let calendar = load_calendar(common)?;
    let days_off = calendar.days_off(year)?;
    let working = calendar.working_weekends(year)?;
    if common.json {
        let list = |entries: &[CalendarEntry]| -> Vec<serde_json::Value> {
            entries
                .iter()
                .map(|e| json!({ "date": e.date.to_string(), "name": e.name }))
                .collect()
        };
        return print_json(&json!({
            "days_off": list(&days_off),
            "working_weekends": list(&working),
        }));
    }
    writeln!(std::io::stdout(), "Days off {year}:")?;
    for entry in &days_off {
        writeln!(
            std::io::stdout(),
            "  {}  {:<9} {}{}\n              source: {}",
            entry.date,
            weekday_name(entry.date.weekday()),
            entry.name,
            confidence_note(entry),
            entry.source
        )?;
    }
    writeln!(std::io::stdout(), "Make-up working days {year}:")?;
    if working.is_empty() {
        writeln!(std::io::stdout(), "  (none)")?;
    }
    for entry in &working {
        writeln!(
            std::io::stdout(),
            "  {}  {:<9} {}{}\n              source: {}",
            entry.date,
            weekday_name(entry.date.weekday()),
            entry.name,
            confidence_note(entry),
            entry.source
        )?;
    }
    Ok(())
}

fn workdays(command: WorkdaysCommand) -> anyhow::Result<()> {
    match command {
        WorkdaysCommand::Add { date, days, common } => {
            let calendar = load_calendar(&common)?;
            let result = calendar.add_working_days(parse_date(&date)?, WorkingDays(days))?;
            if common.json {
                return print_json(&json!({ "date": result.to_string() }));
            }
            writeln!(
                std::io::stdout(),
                "{result} ({})",
                weekday_name(result.weekday())
            )?;
        }
        WorkdaysCommand::Between { from, to, common } => {
            let calendar = load_calendar(&common)?;
            let days = calendar.working_days_between(parse_date(&from)?, parse_date(&to)?)?;
            if common.json {
                return print_json(&json!({ "days": days }));
            }
            writeln!(std::io::stdout(), "{days}")?;
        }
        WorkdaysCommand::Check { date, common } => {
            let calendar = load_calendar(&common)?;
            let date = parse_date(&date)?;
            let working = calendar.is_working_day(date)?;
            let next = calendar.next_working_day(date)?;
            let name = calendar.entry(date).map(|e| e.name.clone());
            if common.json {
                return print_json(&json!({
                    "date": date.to_string(), "working_day": working,
                    "next_working_day": next.to_string(), "name": name,
                }));
            }
            let status = if working { "working day" } else { "day off" };
            match name {
                Some(name) => writeln!(
                    std::io::stdout(),
                    "{date}: {status} ({name}); next working day {next}"
                )?,
                None => writeln!(
                    std::io::stdout(),
                    "{date}: {status}; next working day {next}"
                )?,
            }
        }
        WorkdaysCommand::Deadline { date, days, common } => {
            let calendar = load_calendar(&common)?;
            let result = calendar.calendar_deadline(parse_date(&date)?, CalendarDays(days))?;
            if common.json {
                return print_json(&json!({ "date": result.to_string() }));
            }
            writeln!(
                std::io::stdout(),
                "{result} ({})",
                weekday_name(result.weekday())
            )?;
        }
    }
    Ok(())
}

fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn convert(args: &ConvertArgs) -> anyhow::Result<()> {
    let bytes = read_input(&args.file)?;
    let (from, detection) = if args.from.trim().eq_ignore_ascii_case("auto") {
        let detection = encoding::detect(&bytes);
        if !args.common.json {
            writeln!(
                std::io::stderr(),
                "detected {} (confidence {:.2})",
                detection.encoding,
                detection.confidence
            )?;
        }
        (detection.encoding, Some(detection))
    } else {
        (args.from.parse::<Encoding>()?, None)
    };
    let to: Encoding = args.to.parse()?;
    let decoded = encoding::decode(&bytes, from);
    if !decoded.unconvertible.is_empty() {
        let shown: Vec<String> = decoded
            .unconvertible
            .iter()
            .take(20)
            .map(|(offset, byte)| format!("0x{byte:02X} at byte {offset}"))
            .collect();
        let more = decoded.unconvertible.len().saturating_sub(shown.len());
        let message = format!(
            "{} byte(s) cannot be converted from {from}: {}{}",
            decoded.unconvertible.len(),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
        if args.strict {
            bail!("{message}");
        }
        if !args.common.json {
            writeln!(
                std::io::stderr(),
                "warning: {message}; they are written as U+FFFD"
            )?;
        }
    }
    let output = encoding::encode(&decoded.text, to)?;
    if args.common.json {
        let unconvertible: Vec<serde_json::Value> = decoded
            .unconvertible
            .iter()
            .map(|(offset, byte)| json!({ "offset": offset, "byte": byte }))
            .collect();
        let mut value = json!({
            "from": from.name(),
            "to": to.name(),
            "unconvertible": unconvertible,
        });
        if let Some(detection) = detection {
            value["confidence"] = json!(detection.confidence);
            value["alternatives"] = detection
                .alternatives
                .iter()
                .map(|(e, c)| json!({ "encoding": e.name(), "confidence": c }))
                .collect();
        }
        match String::from_utf8(output) {
            Ok(text) => value["text"] = json!(text),
            Err(error) => value["bytes"] = json!(error.into_bytes()),
        }
        return print_json(&value);
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&output)?;
    out.flush()?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Benchmark (`congso bench vn`)
// ---------------------------------------------------------------------------

/// Words of administrative Vietnamese, for generating realistic input.
const WORDS: &[&str] = &[
    "cơ",
    "quan",
    "nhà",
    "nước",
    "ứng",
    "dụng",
    "công",
    "nghệ",
    "thông",
    "tin",
    "trong",
    "hoạt",
    "động",
    "của",
    "các",
    "Chính",
    "phủ",
    "Nghị",
    "định",
    "quy",
    "về",
    "việc",
    "được",
    "người",
    "dân",
    "doanh",
    "nghiệp",
    "trách",
    "nhiệm",
    "cung",
    "cấp",
    "đầy",
    "đủ",
    "kịp",
    "thời",
    "và",
    "chính",
    "xác",
    "trên",
    "trang",
    "điện",
    "tử",
    "hồ",
    "sơ",
    "văn",
    "bản",
    "Điều",
    "khoản",
    "Bộ",
    "trưởng",
    "Thủ",
    "tướng",
    "Ủy",
    "ban",
    "nhân",
    "tỉnh",
    "thành",
    "phố",
    "trực",
    "thuộc",
    "Trung",
    "ương",
    "bảo",
    "đảm",
    "an",
    "toàn",
    "dữ",
    "liệu",
    "cá",
    "nhân",
    "được",
    "lưu",
    "trữ",
    "theo",
    "tiêu",
    "chuẩn",
    "kỹ",
    "thuật",
    "xây",
    "dựng",
    "kế",
    "hoạch",
    "năm",
    "hướng",
    "dẫn",
    "thực",
    "hiện",
    "giải",
    "quyết",
    "thủ",
    "tục",
    "hành",
    "chính",
    "trực",
    "tuyến",
    "mức",
    "độ",
    "Việt",
    "Nam",
    "Hà",
    "Nội",
    "Đà",
    "Nẵng",
    "Huế",
    "Cần",
    "Thơ",
    "khuyến",
    "khích",
    "ưu",
    "tiên",
    "đầu",
    "tư",
    "nguồn",
    "lực",
    "đào",
    "tạo",
    "quản",
    "lý",
    "giám",
    "sát",
    "kiểm",
    "tra",
    "báo",
    "cáo",
    "định",
    "kỳ",
    "yêu",
    "cầu",
    "phản",
    "ánh",
    "kiến",
    "nghị",
    "khiếu",
    "nại",
    "tố",
    "cáo",
    "tiếp",
    "nhận",
    "xử",
    "lý",
    "trả",
    "lời",
    "chuyển",
    "đến",
    "thẩm",
    "quyền",
];

/// A small deterministic generator, so every run measures the same input.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn generated_text(target_bytes: usize) -> String {
    let mut rng = Lcg(20260217);
    let mut text = String::with_capacity(target_bytes + 64);
    let mut sentence_length = 0;
    while text.len() < target_bytes {
        text.push_str(WORDS[rng.below(WORDS.len())]);
        sentence_length += 1;
        if sentence_length > 8 && rng.below(6) == 0 {
            text.push_str(if rng.below(4) == 0 { ".\n" } else { ", " });
            sentence_length = 0;
        } else {
            text.push(' ');
        }
    }
    text
}

/// Runs `f` (which returns how many units it processed) in rounds for at
/// least `min_seconds` and returns the median units per second of the rounds.
/// The median keeps other processes on this shared 2-core machine from
/// skewing the figure in either direction.
fn measure<F: FnMut() -> usize>(min_seconds: f64, mut f: F) -> f64 {
    // Warm up once (builds the lazy tables) before timing.
    std::hint::black_box(f());
    let start = Instant::now();
    let mut rates = Vec::new();
    while start.elapsed().as_secs_f64() < min_seconds || rates.len() < 5 {
        let round = Instant::now();
        let units = f();
        rates.push(units as f64 / round.elapsed().as_secs_f64().max(1e-9));
    }
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// Runs the performance figures and prints them (`congso bench vn`).
pub fn bench(json: bool) -> anyhow::Result<()> {
    let text = generated_text(8 << 20);
    let decomposed = congso_vn::text::nfd(&text);
    let mut buffer = String::with_capacity(text.len() + 16);

    let fold_bytes_per_s = measure(2.0, || {
        buffer.clear();
        congso_vn::text::fold_into(std::hint::black_box(&text), &mut buffer);
        std::hint::black_box(buffer.len());
        text.len()
    });
    let nfc_bytes_per_s = measure(2.0, || {
        let out = congso_vn::text::nfc(std::hint::black_box(&text));
        std::hint::black_box(out.len());
        text.len()
    });
    let nfc_decomposed_bytes_per_s = measure(2.0, || {
        let out = congso_vn::text::nfc(std::hint::black_box(&decomposed));
        std::hint::black_box(out.len());
        decomposed.len()
    });

    // Dates spread over the whole supported range, in a scrambled order.
    let first = Date::from_calendar_date(1800, Month::January, 1)?;
    let span = 400 * 365;
    let mut rng = Lcg(7);
    let dates: Vec<Date> = (0..100_000)
        .map(|_| first + Duration::days(rng.below(span) as i64))
        .collect();
    let lunar_per_s = measure(2.0, || {
        let mut converted = 0;
        for &date in &dates {
            if let Ok(lunar) = calendar::solar_to_lunar(std::hint::black_box(date)) {
                std::hint::black_box(lunar);
                converted += 1;
            }
        }
        converted
    });
    let lunar_dates: Vec<LunarDate> = dates
        .iter()
        .filter_map(|&d| calendar::solar_to_lunar(d).ok())
        .collect();
    let solar_per_s = measure(2.0, || {
        let mut converted = 0;
        for &lunar in &lunar_dates {
            if let Ok(date) = calendar::lunar_to_solar(std::hint::black_box(lunar)) {
                std::hint::black_box(date);
                converted += 1;
            }
        }
        converted
    });

    let official = OfficialCalendar::shipped();
    let start_2020 = Date::from_calendar_date(2020, Month::January, 1)?;
    let deadlines: Vec<(Date, u32)> = (0..100_000)
        .map(|_| {
            (
                start_2020 + Duration::days(rng.below(20 * 365) as i64),
                1 + rng.below(60) as u32,
            )
        })
        .collect();
    let workdays_per_s = measure(2.0, || {
        let mut computed = 0;
        for &(date, days) in &deadlines {
            if let Ok(due) =
                official.add_working_days(std::hint::black_box(date), WorkingDays(days))
            {
                std::hint::black_box(due);
                computed += 1;
            }
        }
        computed
    });
    let between_per_s = measure(2.0, || {
        let mut computed = 0;
        for pair in deadlines.windows(2) {
            if let Ok(n) = official.working_days_between(pair[0].0, pair[1].0) {
                std::hint::black_box(n);
                computed += 1;
            }
        }
        computed
    });
    let calendar_deadline_per_s = measure(2.0, || {
        let mut computed = 0;
        for &(date, days) in &deadlines {
            if let Ok(due) = official.calendar_deadline(date, CalendarDays(days)) {
                std::hint::black_box(due);
                computed += 1;
            }
        }
        computed
    });

    let mb = |bytes_per_s: f64| bytes_per_s / 1e6;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if json {
        return print_json(&json!({
            "input_bytes": text.len(),
            "available_parallelism": threads,
            "single_threaded": true,
            "fold_mb_per_s": mb(fold_bytes_per_s),
            "nfc_mb_per_s": mb(nfc_bytes_per_s),
            "nfc_from_nfd_mb_per_s": mb(nfc_decomposed_bytes_per_s),
            "solar_to_lunar_per_s": lunar_per_s,
            "lunar_to_solar_per_s": solar_per_s,
            "add_working_days_per_s": workdays_per_s,
            "working_days_between_per_s": between_per_s,
            "calendar_deadline_per_s": calendar_deadline_per_s,
        }));
    }
    writeln!(
        std::io::stdout(),
        "congso vn benchmark (one thread; {threads} available; {} MB of generated Vietnamese text)",
        text.len() / 1_000_000
    )?;
    writeln!(
        std::io::stdout(),
        "  fold                      {:>10.0} MB/s   (target >= 200)",
        mb(fold_bytes_per_s)
    )?;
    writeln!(
        std::io::stdout(),
        "  nfc (NFC input)           {:>10.0} MB/s   (target >= 200)",
        mb(nfc_bytes_per_s)
    )?;
    writeln!(
        std::io::stdout(),
        "  nfc (NFD input)           {:>10.0} MB/s",
        mb(nfc_decomposed_bytes_per_s)
    )?;
    writeln!(
        std::io::stdout(),
        "  solar -> lunar            {:>10.0} /s     (target >= 1,000,000)",
        lunar_per_s
    )?;
    writeln!(
        std::io::stdout(),
        "  lunar -> solar            {:>10.0} /s",
        solar_per_s
    )?;
    writeln!(
        std::io::stdout(),
        "  add_working_days          {:>10.0} /s     (target >= 1,000,000)",
        workdays_per_s
    )?;
    writeln!(
        std::io::stdout(),
        "  working_days_between      {:>10.0} /s",
        between_per_s
    )?;
    writeln!(
        std::io::stdout(),
        "  calendar_deadline         {:>10.0} /s",
        calendar_deadline_per_s
    )?;
    Ok(())
}
