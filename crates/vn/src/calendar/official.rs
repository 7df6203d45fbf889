//! The official calendar of state agencies: public holidays, yearly
//! decisions (Tết span, bridge days, make-up working Saturdays) and
//! working-day arithmetic for legal deadlines.
//!
//! Rules computed here for years without recorded decisions (Labour Code
//! 45/2019/QH14, Art. 111-112):
//! - weekly rest days are Saturday and Sunday (the Monday-Friday week of
//!   state agencies, Decision 188/1999/QĐ-TTg);
//! - holidays: 1/1; Tết Nguyên đán (5 working days, 4 before 2013); Giỗ Tổ
//!   Hùng Vương 10/3 lunar (from 2007); 30/4; 1/5; 2/9 plus one adjacent day
//!   (from 2021); 24/11 Vietnam Culture Day (from 2026, unconfirmed);
//! - a holiday on a weekly rest day gives a substitute day off on the next
//!   working day (Art. 111.3).
//!
//! The Tết span and the day next to 2/9 are chosen by the Government every
//! year. Without a decision this module uses a default that reproduces the
//! decisions of 2020-2026: the span starts two working days before Tết when
//! Tết falls Wednesday to Saturday and one working day before otherwise; the
//! day next to 2/9 is 1/9 when 2/9 is a Tuesday, Friday or Saturday and 3/9
//! otherwise. Computed entries carry [`Confidence::Computed`].

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, Duration, Month, Weekday};

use super::lunar::{self, LunarDate};

/// First year the official calendar covers.
pub const FIRST_YEAR: i32 = 2000;
/// Last year the official calendar covers.
pub const LAST_YEAR: i32 = 2199;

/// The holiday data shipped with congso (`crates/vn/data/holidays.toml`).
pub const SHIPPED_DATA: &str = include_str!("../../data/holidays.toml");

/// A number of working days (ngày làm việc). Deliberately not interchangeable
/// with [`CalendarDays`]: a deadline states which one it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WorkingDays(pub u32);

/// A number of calendar days (ngày).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CalendarDays(pub u32);

/// A legal time limit in either unit, for deadlines kept as data
/// (`{"working": 5}` or `{"calendar": 30}` in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Counted in working days, the start day not counted.
    Working(u32),
    /// Counted in calendar days; a last day that is not a working day moves
    /// to the next working day.
    Calendar(u32),
}

impl std::fmt::Display for Period {
    /// Vietnamese, as a deadline is written: "5 ngày làm việc", "30 ngày".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Working(days) => write!(f, "{days} ngày làm việc"),
            Period::Calendar(days) => write!(f, "{days} ngày"),
        }
    }
}

/// What an entry of the official calendar says about its date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DayKind {
    /// A public holiday (even when it falls on a weekend).
    Holiday,
    /// A day off because a holiday fell on a weekly rest day (nghỉ bù).
    Substitute,
    /// A working day given off by a yearly decision (hoán đổi).
    Bridge,
    /// A Saturday or Sunday worked to make up for a bridge day (làm bù).
    WorkingWeekend,
    /// In an operator file: cancels the shipped or computed entry for the date.
    Remove,
}

impl DayKind {
    /// Whether the entry makes its date a day off.
    pub fn is_day_off(self) -> bool {
        matches!(
            self,
            DayKind::Holiday | DayKind::Substitute | DayKind::Bridge
        )
    }
}

/// How sure the data is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Checked against a published notice, or follows directly from the law.
    Confirmed,
    /// Recalled or announced but not verified: check before relying on it.
    Unconfirmed,
    /// Computed from the Labour Code rules; no yearly decision is recorded.
    Computed,
}

/// One dated entry of the official calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarEntry {
    pub date: Date,
    pub kind: DayKind,
    /// What an end user sees, in Vietnamese.
    pub name: String,
    /// The decision, notice or legal article the entry comes from.
    pub source: String,
    pub confidence: Confidence,
}

/// Why holiday data (shipped or an operator's file) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarDataError {
    #[error("holiday data is not valid: {0}")]
    Syntax(String),
    #[error("holiday data format {0} is not supported (this version reads format 1)")]
    UnsupportedFormat(u32),
    #[error("holiday data [[day]] number {index}: {reason}")]
    Entry { index: usize, reason: String },
    #[error(
        "holiday data [[year]] {0} is outside the official calendar ({FIRST_YEAR}-{LAST_YEAR})"
    )]
    YearOutOfRange(i32),
    #[error("holiday data lists {0} twice")]
    DuplicateDate(Date),
}

/// Why a working-day question could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("date {0} is outside the official calendar (years {FIRST_YEAR}-{LAST_YEAR})")]
    DateOutOfRange(Date),
    #[error("year {0} is outside the official calendar ({FIRST_YEAR}-{LAST_YEAR})")]
    YearOutOfRange(i32),
    #[error("the result of counting from {start} lies beyond the official calendar (years {FIRST_YEAR}-{LAST_YEAR})")]
    ResultOutOfRange { start: Date },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: Option<u32>,
    #[serde(default)]
    year: Vec<RawYear>,
    #[serde(default)]
    day: Vec<RawDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i32,
    #[serde(default)]
    complete: bool,
    #[allow(dead_code)]
    source: Option<String>,
}

/// A date written either as a TOML string or as a bare TOML date.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawDate {
    Text(String),
    Toml(toml::value::Datetime),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDay {
    date: RawDate,
    kind: DayKind,
    name: Option<String>,
    source: Option<String>,
    confidence: Option<Confidence>,
}

#[derive(Clone, Debug, Default)]
struct ParsedData {
    complete_years: BTreeMap<i32, bool>,
    entries: BTreeMap<Date, CalendarEntry>,
}

fn parse_data(text: &str) -> Result<ParsedData, CalendarDataError> {
    let raw: RawFile = toml::from_str(text)
        .map_err(|e| CalendarDataError::Syntax(e.to_string().trim().to_owned()))?;
    if let Some(format) = raw.format.filter(|&f| f != 1) {
        return Err(CalendarDataError::UnsupportedFormat(format));
    }
    let mut parsed = ParsedData::default();
    for year in raw.year {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year.year) {
            return Err(CalendarDataError::YearOutOfRange(year.year));
        }
        parsed.complete_years.insert(year.year, year.complete);
    }
    for (position, day) in raw.day.into_iter().enumerate() {
        let index = position + 1;
        let entry_error = |reason: String| CalendarDataError::Entry { index, reason };
        let text = match day.date {
            RawDate::Text(text) => text,
            RawDate::Toml(datetime) => datetime.to_string(),
        };
        let date = super::parse_iso_date(&text).map_err(|e| entry_error(e.to_string()))?;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
            return Err(entry_error(format!(
                "{date} is outside the official calendar ({FIRST_YEAR}-{LAST_YEAR})"
            )));
        }
        let weekend = is_weekend(date);
        match day.kind {
            DayKind::WorkingWeekend if !weekend => {
                return Err(entry_error(format!(
                    "{date} is a weekday, so it cannot be a working-weekend day"
                )))
            }
            DayKind::Bridge | DayKind::Substitute if weekend => {
                return Err(entry_error(format!(
                    "{date} is a weekend day, so it cannot be a {} day",
                    if day.kind == DayKind::Bridge {
                        "bridge"
                    } else {
                        "substitute"
                    }
                )))
            }
            _ => {}
        }
        let name = day.name.unwrap_or_default();
        if day.kind != DayKind::Remove && name.trim().is_empty() {
            return Err(entry_error(format!("{date} has no name")));
        }
        let entry = CalendarEntry {
            date,
            kind: day.kind,
            name,
            source: day.source.unwrap_or_default(),
            confidence: day.confidence.unwrap_or(Confidence::Confirmed),
        };
        if parsed.entries.insert(date, entry).is_some() {
            return Err(CalendarDataError::DuplicateDate(date));
        }
    }
    Ok(parsed)
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn ymd(year: i32, month: Month, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, month, day).ok()
}

/// The official calendar: shipped data, an operator's overrides and the
/// Labour Code rules, resolved into a per-day working/non-working table.
#[derive(Clone, Debug)]
pub struct OfficialCalendar {
    /// Every dated entry of every supported year, after merging and rules.
    resolved: BTreeMap<Date, CalendarEntry>,
    first_day: Date,
    last_day: Date,
    /// Bit i is set when day `first_day + i` is a working day.
    working: Vec<u64>,
    /// `prefix[w]` = working days in the words before word `w`; one extra at the end.
    prefix: Vec<u32>,
}

static SHIPPED: LazyLock<OfficialCalendar> = LazyLock::new(|| {
    // The shipped data is checked by a unit test; should it ever fail to
    // parse, the calendar falls back to the Labour Code rules alone.
    OfficialCalendar::build(parse_data(SHIPPED_DATA).unwrap_or_default())
});

impl OfficialCalendar {
    /// The calendar from the shipped data, built once and shared.
    pub fn shipped() -> &'static OfficialCalendar {
        &SHIPPED
    }

    /// The shipped data with an operator's file (same format) merged over it.
    pub fn with_overrides(text: &str) -> Result<OfficialCalendar, CalendarDataError> {
        // The operator's file first: a bad file fails before any other work.
        let overrides = parse_data(text)?;
        let mut data = parse_data(SHIPPED_DATA)?;
        data.complete_years.extend(overrides.complete_years);
        data.entries.extend(overrides.entries);
        Ok(OfficialCalendar::build(data))
    }

    /// The calendar from the Labour Code rules only, without any yearly data.
    pub fn rules_only() -> OfficialCalendar {
        OfficialCalendar::build(ParsedData::default())
    }

    fn build(data: ParsedData) -> OfficialCalendar {
        let mut resolved = BTreeMap::new();
        for year in FIRST_YEAR..=LAST_YEAR {
            let complete = data.complete_years.get(&year).copied().unwrap_or(false);
            let mut entries = if complete {
                BTreeMap::new()
            } else {
                statutory_days(year)
            };
            let (Some(start), Some(end)) =
                (ymd(year, Month::January, 1), ymd(year, Month::December, 31))
            else {
                continue;
            };
            for (date, entry) in data.entries.range(start..=end) {
                if entry.kind == DayKind::Remove {
                    entries.remove(date);
                } else {
                    entries.insert(*date, entry.clone());
                }
            }
            resolved.extend(entries);
        }
        let first_day = ymd(FIRST_YEAR, Month::January, 1).unwrap_or(Date::MIN);
        let last_day = ymd(LAST_YEAR, Month::December, 31).unwrap_or(Date::MIN);
        let total = (last_day - first_day).whole_days() as usize + 1;
        let mut working = vec![0u64; total.div_ceil(64)];
        let mut date = first_day;
        for index in 0..total {
            let is_working = match resolved.get(&date) {
                Some(entry) if entry.kind.is_day_off() => false,
                Some(entry) if entry.kind == DayKind::WorkingWeekend => true,
                _ => !is_weekend(date),
            };
            if is_working {
                working[index / 64] |= 1 << (index % 64);
            }
            date = date.next_day().unwrap_or(date);
        }
        let mut prefix = Vec::with_capacity(working.len() + 1);
        let mut running = 0u32;
        for word in &working {
            prefix.push(running);
            running += word.count_ones();
        }
        prefix.push(running);
        OfficialCalendar {
            resolved,
            first_day,
            last_day,
            working,
            prefix,
        }
    }

    fn index(&self, date: Date) -> Result<usize, CalendarError> {
        if date < self.first_day || date > self.last_day {
            return Err(CalendarError::DateOutOfRange(date));
        }
        Ok((date - self.first_day).whole_days() as usize)
    }

    /// Working days strictly before day index `index` (which may be one past the end).
    fn rank(&self, index: usize) -> u32 {
        let word = index / 64;
        let bit = index % 64;
        let below = match self.working.get(word) {
            Some(bits) if bit > 0 => (bits & ((1u64 << bit) - 1)).count_ones(),
            _ => 0,
        };
        self.prefix.get(word).copied().unwrap_or(0) + below
    }

    /// Day index of the `k`-th working day (1-based), if it is in range.
    fn select(&self, k: u32) -> Option<usize> {
        if k == 0 || k > *self.prefix.last()? {
            return None;
        }
        let word = self.prefix.partition_point(|&p| p < k).checked_sub(1)?;
        let mut bits = *self.working.get(word)?;
        for _ in 0..(k - self.prefix[word] - 1) {
            bits &= bits - 1;
        }
        (bits != 0).then(|| word * 64 + bits.trailing_zeros() as usize)
    }

    fn date_at(&self, index: usize) -> Date {
        self.first_day + Duration::days(index as i64)
    }

    /// Whether state agencies work on `date`.
    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        let index = self.index(date)?;
        Ok(self.working[index / 64] & (1 << (index % 64)) != 0)
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: Date) -> Result<Date, CalendarError> {
        self.add_working_days(date, WorkingDays(1))
    }

    /// `date` itself if it is a working day, otherwise the next working day.
    pub fn working_day_on_or_after(&self, date: Date) -> Result<Date, CalendarError> {
        if self.is_working_day(date)? {
            Ok(date)
        } else {
            self.next_working_day(date)
        }
    }

    /// The `days`-th working day after `start`; `start` itself is not counted
    /// (a request received on Monday with 5 working days is due the Monday
    /// after, absent holidays). `WorkingDays(0)` returns `start` unchanged.
    pub fn add_working_days(&self, start: Date, days: WorkingDays) -> Result<Date, CalendarError> {
        let index = self.index(start)?;
        if days.0 == 0 {
            return Ok(start);
        }
        let target = self
            .rank(index + 1)
            .checked_add(days.0)
            .ok_or(CalendarError::ResultOutOfRange { start })?;
        self.select(target)
            .map(|found| self.date_at(found))
            .ok_or(CalendarError::ResultOutOfRange { start })
    }

    /// The number of working days `d` with `from < d <= to`: the first date is
    /// not counted, the last one is. So `working_days_between(a,
    /// add_working_days(a, n)) == n`. Negative when `to` is before `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> Result<i64, CalendarError> {
        let from_index = self.index(from)?;
        let to_index = self.index(to)?;
        Ok(i64::from(self.rank(to_index + 1)) - i64::from(self.rank(from_index + 1)))
    }

    /// The last day of a period of `days` calendar days starting after
    /// `start`, moved to the next working day when it is not one (Civil Code
    /// 2015, Art. 148.5).
    pub fn calendar_deadline(
        &self,
        start: Date,
        days: CalendarDays,
    ) -> Result<Date, CalendarError> {
        self.index(start)?;
        let last = start
            .checked_add(Duration::days(i64::from(days.0)))
            .ok_or(CalendarError::ResultOutOfRange { start })?;
        if last > self.last_day {
            return Err(CalendarError::ResultOutOfRange { start });
        }
        self.working_day_on_or_after(last)
            .map_err(|_| CalendarError::ResultOutOfRange { start })
    }

    /// The deadline of `period` counted from `start`: [`Self::add_working_days`]
    /// or [`Self::calendar_deadline`] according to the unit.
    pub fn deadline(&self, start: Date, period: Period) -> Result<Date, CalendarError> {
        match period {
            Period::Working(days) => self.add_working_days(start, WorkingDays(days)),
            Period::Calendar(days) => self.calendar_deadline(start, CalendarDays(days)),
        }
    }

    fn year_entries(
        &self,
        year: i32,
    ) -> Result<impl Iterator<Item = &CalendarEntry>, CalendarError> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(CalendarError::YearOutOfRange(year));
        }
        let start = ymd(year, Month::January, 1).ok_or(CalendarError::YearOutOfRange(year))?;
        let end = ymd(year, Month::December, 31).ok_or(CalendarError::YearOutOfRange(year))?;
        Ok(self.resolved.range(start..=end).map(|(_, entry)| entry))
    }

    /// The year's days off: holidays (also those on a weekend), substitute
    /// days and bridge days, in date order. Ordinary weekends are not listed.
    pub fn days_off(&self, year: i32) -> Result<Vec<CalendarEntry>, CalendarError> {
        Ok(self
            .year_entries(year)?
            .filter(|entry| entry.kind.is_day_off())
            .cloned()
            .collect())
    }

    /// The year's make-up working Saturdays and Sundays, in date order.
    pub fn working_weekends(&self, year: i32) -> Result<Vec<CalendarEntry>, CalendarError> {
        Ok(self
            .year_entries(year)?
            .filter(|entry| entry.kind == DayKind::WorkingWeekend)
            .cloned()
            .collect())
    }

    /// The entry for a date, if the calendar has one.
    pub fn entry(&self, date: Date) -> Option<&CalendarEntry> {
        self.resolved.get(&date)
    }
}

fn computed(date: Date, name: String, source: &str) -> CalendarEntry {
    CalendarEntry {
        date,
        kind: DayKind::Holiday,
        name,
        source: source.to_owned(),
        confidence: Confidence::Computed,
    }
}

/// Days off of `year` computed from the Labour Code alone.
fn statutory_days(year: i32) -> BTreeMap<Date, CalendarEntry> {
    let law = if year >= 2021 {
        "Bộ luật Lao động 45/2019/QH14, Điều 112"
    } else if year >= 2013 {
        "Bộ luật Lao động 10/2012/QH13, Điều 115"
    } else {
        "Bộ luật Lao động 1994 (sửa đổi 2007), Điều 73"
    };
    let mut holidays: Vec<CalendarEntry> = Vec::new();
    let mut fixed = |month: Month, day: u8, name: &str| {
        if let Some(date) = ymd(year, month, day) {
            holidays.push(computed(date, name.to_owned(), law));
        }
    };
    fixed(Month::January, 1, "Tết Dương lịch");
    fixed(Month::April, 30, "Ngày Chiến thắng");
    fixed(Month::May, 1, "Ngày Quốc tế Lao động");
    fixed(Month::September, 2, "Quốc khánh");
    if year >= 2021 {
        let national_day = ymd(year, Month::September, 2);
        let adjacent = match national_day.map(|d| d.weekday()) {
            Some(Weekday::Tuesday | Weekday::Friday | Weekday::Saturday) => 1,
            _ => 3,
        };
        fixed(Month::September, adjacent, "Quốc khánh (ngày liền kề)");
    }
    if year >= 2007 {
        if let Ok(date) = lunar::lunar_to_solar(LunarDate::new(year, 3, 10, false)) {
            holidays.push(computed(
                date,
                "Giỗ Tổ Hùng Vương (10/3 âm lịch)".to_owned(),
                law,
            ));
        }
    }
    if year >= 2026 {
        if let Some(date) = ymd(year, Month::November, 24) {
            let mut entry = computed(date, "Ngày Văn hóa Việt Nam".to_owned(), law);
            entry.source = "Nghị quyết 80-NQ/TW của Bộ Chính trị; sửa đổi Điều 112 Bộ luật Lao động chưa xác minh".to_owned();
            entry.confidence = Confidence::Unconfirmed;
            holidays.push(entry);
        }
    }
    holidays.sort_by_key(|entry| entry.date);

    let mut days: BTreeMap<Date, CalendarEntry> = BTreeMap::new();
    for entry in &holidays {
        days.insert(entry.date, entry.clone());
    }
    // Substitute days for holidays on a weekly rest day, in date order: each
    // takes the first weekday after it that is neither a holiday nor already
    // taken by an earlier substitute.
    let mut substitutes: BTreeMap<Date, String> = BTreeMap::new();
    for entry in holidays.iter().filter(|entry| is_weekend(entry.date)) {
        let mut candidate = entry.date;
        while let Some(next) = candidate.next_day() {
            candidate = next;
            if !is_weekend(candidate)
                && !days.contains_key(&candidate)
                && !substitutes.contains_key(&candidate)
            {
                substitutes.insert(candidate, format!("Nghỉ bù {}", entry.name));
                break;
            }
        }
    }
    for (date, name) in substitutes {
        days.insert(
            date,
            CalendarEntry {
                date,
                kind: DayKind::Substitute,
                name,
                source: "Bộ luật Lao động 45/2019/QH14, Điều 111.3".to_owned(),
                confidence: Confidence::Computed,
            },
        );
    }
    // Tết: working days around 1/1 lunar, chosen as the Government usually does.
    if let Ok(tet) = lunar::tet(year) {
        let count = if year >= 2013 { 5 } else { 4 };
        let before = if year >= 2013
            && matches!(
                tet.weekday(),
                Weekday::Wednesday | Weekday::Thursday | Weekday::Friday | Weekday::Saturday
            ) {
            2
        } else {
            1
        };
        let mut start = tet;
        let mut found = 0;
        while found < before {
            let Some(previous) = start.previous_day() else {
                break;
            };
            start = previous;
            if !is_weekend(start) {
                found += 1;
            }
        }
        let can_chi = lunar::CanChi::of_year(year);
        let mut date = start;
        let mut taken = 0;
        while taken < count {
            if !is_weekend(date) {
                let label = match lunar::solar_to_lunar(date) {
                    Ok(l) if l.month == 1 => format!("mùng {}", l.day),
                    Ok(l) => format!("{} tháng Chạp", l.day),
                    Err(_) => String::new(),
                };
                days.insert(
                    date,
                    computed(date, format!("Tết Nguyên đán {can_chi} ({label})"), law),
                );
                taken += 1;
            }
            let Some(next) = date.next_day() else {
                break;
            };
            date = next;
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_data_parses() {
        let parsed = parse_data(SHIPPED_DATA).unwrap();
        assert!(parsed.entries.len() > 100);
        for year in 2020..=2027 {
            assert_eq!(parsed.complete_years.get(&year), Some(&true), "{year}");
        }
        for entry in parsed.entries.values() {
            assert!(
                !entry.source.trim().is_empty(),
                "{} has no source",
                entry.date
            );
        }
    }
}
