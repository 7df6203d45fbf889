//! The Vietnamese lunisolar calendar (âm lịch), computed astronomically.
//!
//! The algorithm is the one Vietnamese calendars use (Hồ Ngọc Đức's, after
//! Jean Meeus, "Astronomical Algorithms"): a month starts on the civil day
//! that contains the new moon, month 11 is the month containing the winter
//! solstice, and in a year with 13 months the first month without a major
//! solar term is the leap month. Days are civil days at UTC+7 (105°E); the
//! same computation at UTC+8 gives the Chinese calendar, which is how Tết
//! can differ (1985, 2007, 2030 …).
//!
//! Every month start from late 1799 to early 2200 is computed once, on first
//! use, into a table; conversions are then a table look-up.

use std::f64::consts::PI;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, Month};

/// First solar year the conversions support.
pub const FIRST_YEAR: i32 = 1800;
/// Last solar year the conversions support.
pub const LAST_YEAR: i32 = 2199;

/// A date of the lunar calendar. `leap` marks the intercalary (nhuận) month.
///
/// The fields are plain data; [`lunar_to_solar`] checks that the month and
/// day exist in the given year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LunarDate {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub leap: bool,
}

impl LunarDate {
    pub fn new(year: i32, month: u8, day: u8, leap: bool) -> Self {
        LunarDate {
            year,
            month,
            day,
            leap,
        }
    }

    /// Can Chi of the lunar year, for example "Bính Ngọ" for 2026.
    pub fn year_can_chi(&self) -> CanChi {
        CanChi::of_year(self.year)
    }

    /// Can Chi of the month; a leap month shares the name of the month it repeats.
    pub fn month_can_chi(&self) -> CanChi {
        CanChi::of_month(self.year, self.month)
    }
}

impl fmt::Display for LunarDate {
    /// "1/1/2026" or, in a leap month, "15/6n/2025" (the n marks nhuận).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let leap = if self.leap { "n" } else { "" };
        write!(f, "{}/{}{}/{}", self.day, self.month, leap, self.year)
    }
}

/// Why a conversion failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LunarError {
    #[error("date {0} is outside the supported range (years {FIRST_YEAR}-{LAST_YEAR})")]
    DateOutOfRange(Date),
    #[error("lunar year {0} is outside the supported range (years {FIRST_YEAR}-{LAST_YEAR})")]
    YearOutOfRange(i32),
    #[error("lunar month {0} does not exist (months are 1-12)")]
    InvalidMonth(u8),
    #[error("lunar year {year} has no leap month {month}")]
    NoSuchLeapMonth { year: i32, month: u8 },
    #[error("lunar month {month}{} of {year} has {length} days, day {day} does not exist", if *.leap { " (leap)" } else { "" })]
    InvalidDay {
        year: i32,
        month: u8,
        leap: bool,
        day: u8,
        length: u8,
    },
}

/// The ten heavenly stems (Can) and twelve earthly branches (Chi).
const CAN: [&str; 10] = [
    "Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý",
];
const CHI: [&str; 12] = [
    "Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi",
];

/// A name of the sexagenary cycle (Can Chi), for example "Giáp Thìn".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CanChi {
    can: u8,
    chi: u8,
}

impl CanChi {
    /// Can Chi of a lunar year.
    pub fn of_year(lunar_year: i32) -> Self {
        CanChi {
            can: (lunar_year + 6).rem_euclid(10) as u8,
            chi: (lunar_year + 8).rem_euclid(12) as u8,
        }
    }

    /// Can Chi of a lunar month (month 1 is always a Dần month).
    pub fn of_month(lunar_year: i32, month: u8) -> Self {
        let month = i32::from(month);
        CanChi {
            can: (lunar_year * 12 + month + 3).rem_euclid(10) as u8,
            chi: (month + 1).rem_euclid(12) as u8,
        }
    }

    /// Can Chi of a day, from its Julian day number.
    pub fn of_day(date: Date) -> Self {
        let jd = date.to_julian_day();
        CanChi {
            can: (jd + 9).rem_euclid(10) as u8,
            chi: (jd + 1).rem_euclid(12) as u8,
        }
    }

    pub fn can(&self) -> &'static str {
        CAN[usize::from(self.can)]
    }

    pub fn chi(&self) -> &'static str {
        CHI[usize::from(self.chi)]
    }
}

impl fmt::Display for CanChi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.can(), self.chi())
    }
}

// ---------------------------------------------------------------------------
// Astronomy (Meeus, as used by Hồ Ngọc Đức)
// ---------------------------------------------------------------------------

/// Julian date (UT) of the k-th new moon after the one of 1900-01-01 13:52 UT.
fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = PI / 180.0;
    let mut jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3;
    jd1 += 0.00033 * ((166.56 + 132.87 * t - 0.009173 * t2) * dr).sin();
    // Mean anomalies of the sun and the moon, and the moon's argument of latitude.
    let m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3;
    let mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3;
    let f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3;
    let mut c1 = (0.1734 - 0.000393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    // ΔT, the difference between dynamical and universal time.
    let delta_t = if t < -11.0 {
        0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    } else {
        -0.000278 + 0.000265 * t + 0.000262 * t2
    };
    jd1 + c1 - delta_t
}

/// The sun's apparent longitude in radians, in [0, 2π), at Julian date `jdn`.
fn sun_longitude(jdn: f64) -> f64 {
    let t = (jdn - 2451545.0) / 36525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2;
    let l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2;
    let mut dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * (dr * m).sin();
    dl += (0.019993 - 0.000101 * t) * (dr * 2.0 * m).sin() + 0.000290 * (dr * 3.0 * m).sin();
    let l = (l0 + dl) * dr;
    l - 2.0 * PI * (l / (2.0 * PI)).floor()
}

/// Julian day number of the civil day (at `offset` hours from UTC) holding new moon `k`.
fn new_moon_day(k: i64, offset: f64) -> i64 {
    (new_moon(k) + 0.5 + offset / 24.0).floor() as i64
}

/// Which 30° sector (0-11) the sun is in at the start of civil day `day`.
fn sun_sector(day: i64, offset: f64) -> i64 {
    (sun_longitude(day as f64 - 0.5 - offset / 24.0) / PI * 6.0).floor() as i64
}

fn julian_day(year: i32, month: Month, day: u8) -> i64 {
    Date::from_calendar_date(year, month, day)
        .map(|d| i64::from(d.to_julian_day()))
        .unwrap_or(0)
}

/// Lunation index of the new moon nearest to Julian day `jd`.
fn lunation_index(jd: i64) -> i64 {
    ((jd as f64 - 2415021.076998695) / 29.530588853 + 0.5).floor() as i64
}

/// Start (Julian day) of the lunar month 11 that contains the winter solstice of `year`.
fn month_11_start(year: i32, offset: f64) -> i64 {
    let off = julian_day(year, Month::December, 31) - 2415021;
    let k = (off as f64 / 29.530588853).floor() as i64;
    let start = new_moon_day(k, offset);
    if sun_sector(start, offset) >= 9 {
        new_moon_day(k - 1, offset)
    } else {
        start
    }
}

/// Offset from month 11 of the leap month in a 13-month span: the first
/// month whose start and end see the sun in the same sector (no major term).
fn leap_month_offset(month_11: i64, offset: f64) -> i64 {
    let k = lunation_index(month_11);
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i, offset), offset);
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i, offset), offset);
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

// ---------------------------------------------------------------------------
// The month table
// ---------------------------------------------------------------------------

/// A lunar calendar for one time zone: every month start in the supported range.
#[derive(Debug, Clone)]
pub struct LunarCalendar {
    /// Julian day of each month start, with one extra entry ending the last month.
    starts: Vec<i64>,
    /// (lunar year, month, leap) of each month, sorted, parallel to `starts`.
    labels: Vec<(i32, u8, bool)>,
    first_day: i64,
    last_day: i64,
}

static VIETNAMESE: LazyLock<LunarCalendar> = LazyLock::new(|| LunarCalendar::build(7.0));

impl LunarCalendar {
    /// The Vietnamese calendar (UTC+7), built once and shared.
    pub fn vietnamese() -> &'static LunarCalendar {
        &VIETNAMESE
    }

    /// The same calendar computed for another offset from UTC in hours
    /// (8 gives the Chinese calendar). Takes a few milliseconds to build.
    pub fn at_utc_offset(hours: i8) -> LunarCalendar {
        LunarCalendar::build(f64::from(hours))
    }

    fn build(offset: f64) -> LunarCalendar {
        let mut starts = Vec::with_capacity(5000);
        let mut labels = Vec::with_capacity(5000);
        // Month 11 of 1798 starts before 1800-01-01; month 11 of 2200 after 2199-12-31.
        let mut month_11 = month_11_start(FIRST_YEAR - 2, offset);
        for year in (FIRST_YEAR - 2)..=LAST_YEAR {
            let next_month_11 = month_11_start(year + 1, offset);
            let k = lunation_index(month_11);
            let months = ((next_month_11 - month_11) as f64 / 29.530588853).round() as i64;
            let leap_offset = if months == 13 {
                leap_month_offset(month_11, offset)
            } else {
                i64::MAX
            };
            for i in 0..months {
                let start = if i == 0 {
                    month_11
                } else {
                    new_moon_day(k + i, offset)
                };
                let mut month = if i >= leap_offset { i + 10 } else { i + 11 };
                if month > 12 {
                    month -= 12;
                }
                let lunar_year = if month >= 11 && i < 4 { year } else { year + 1 };
                starts.push(start);
                labels.push((lunar_year, month as u8, i == leap_offset));
            }
            month_11 = next_month_11;
        }
        starts.push(month_11);
        // Lunar year LAST_YEAR ends in the solar year after it (its months
        // 11 and 12 fall in December and January): the range runs to the eve
        // of the next Tết so that every day of every supported lunar year
        // converts both ways.
        let last_day = labels
            .iter()
            .position(|label| *label == (LAST_YEAR + 1, 1, false))
            .map_or(julian_day(LAST_YEAR, Month::December, 31), |index| {
                starts[index] - 1
            });
        LunarCalendar {
            starts,
            labels,
            first_day: julian_day(FIRST_YEAR, Month::January, 1),
            last_day,
        }
    }

    /// Index of the month containing Julian day `jd` (which must be in range).
    fn month_index(&self, jd: i64) -> usize {
        let first = self.starts.first().copied().unwrap_or(0);
        let estimate = ((jd - first) as f64 / 29.530588853) as usize;
        let mut index = estimate.min(self.labels.len().saturating_sub(1));
        while index > 0 && self.starts[index] > jd {
            index -= 1;
        }
        while index + 1 < self.labels.len() && self.starts[index + 1] <= jd {
            index += 1;
        }
        index
    }

    /// The lunar date of a solar date.
    pub fn solar_to_lunar(&self, date: Date) -> Result<LunarDate, LunarError> {
        let jd = i64::from(date.to_julian_day());
        if jd < self.first_day || jd > self.last_day {
            return Err(LunarError::DateOutOfRange(date));
        }
        let index = self.month_index(jd);
        let (year, month, leap) = self.labels[index];
        Ok(LunarDate {
            year,
            month,
            day: (jd - self.starts[index] + 1) as u8,
            leap,
        })
    }

    fn find_month(&self, year: i32, month: u8, leap: bool) -> Result<usize, LunarError> {
        if !(1..=12).contains(&month) {
            return Err(LunarError::InvalidMonth(month));
        }
        if !(FIRST_YEAR - 1..=LAST_YEAR).contains(&year) {
            return Err(LunarError::YearOutOfRange(year));
        }
        self.labels
            .binary_search(&(year, month, leap))
            .map_err(|_| {
                if leap {
                    LunarError::NoSuchLeapMonth { year, month }
                } else {
                    LunarError::YearOutOfRange(year)
                }
            })
    }

    /// The solar date of a lunar date.
    pub fn lunar_to_solar(&self, lunar: LunarDate) -> Result<Date, LunarError> {
        let index = self.find_month(lunar.year, lunar.month, lunar.leap)?;
        let length = (self.starts[index + 1] - self.starts[index]) as u8;
        if lunar.day == 0 || lunar.day > length {
            return Err(LunarError::InvalidDay {
                year: lunar.year,
                month: lunar.month,
                leap: lunar.leap,
                day: lunar.day,
                length,
            });
        }
        let jd = self.starts[index] + i64::from(lunar.day) - 1;
        if jd < self.first_day || jd > self.last_day {
            return Err(LunarError::YearOutOfRange(lunar.year));
        }
        i32::try_from(jd)
            .ok()
            .and_then(|jd| Date::from_julian_day(jd).ok())
            .ok_or(LunarError::YearOutOfRange(lunar.year))
    }

    /// Number of days (29 or 30) of a lunar month.
    pub fn month_length(&self, year: i32, month: u8, leap: bool) -> Result<u8, LunarError> {
        let index = self.find_month(year, month, leap)?;
        Ok((self.starts[index + 1] - self.starts[index]) as u8)
    }

    /// The leap month of a lunar year, if it has one.
    pub fn leap_month(&self, year: i32) -> Result<Option<u8>, LunarError> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(LunarError::YearOutOfRange(year));
        }
        let start = self.labels.partition_point(|&(y, _, _)| y < year);
        Ok(self.labels[start..]
            .iter()
            .take_while(|&&(y, _, _)| y == year)
            .find(|&&(_, _, leap)| leap)
            .map(|&(_, month, _)| month))
    }

    /// Solar date of Tết Nguyên đán (1/1 lunar) of `year`.
    pub fn tet(&self, year: i32) -> Result<Date, LunarError> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(LunarError::YearOutOfRange(year));
        }
        self.lunar_to_solar(LunarDate::new(year, 1, 1, false))
    }

    /// Every month start in the table: (solar date, lunar year, month, leap).
    pub fn month_starts(&self) -> impl Iterator<Item = (Date, i32, u8, bool)> + '_ {
        self.starts
            .iter()
            .zip(&self.labels)
            .filter_map(|(&jd, &(y, m, l))| {
                let date = Date::from_julian_day(i32::try_from(jd).ok()?).ok()?;
                Some((date, y, m, l))
            })
    }
}

/// The Vietnamese lunar date of a solar date (years 1800–2199).
pub fn solar_to_lunar(date: Date) -> Result<LunarDate, LunarError> {
    LunarCalendar::vietnamese().solar_to_lunar(date)
}

/// The solar date of a Vietnamese lunar date; checks that the month (and
/// leap month) and day exist.
pub fn lunar_to_solar(lunar: LunarDate) -> Result<Date, LunarError> {
    LunarCalendar::vietnamese().lunar_to_solar(lunar)
}

/// Solar date of Tết (1/1 of the Vietnamese lunar year `year`).
pub fn tet(year: i32) -> Result<Date, LunarError> {
    LunarCalendar::vietnamese().tet(year)
}

/// The leap month of a Vietnamese lunar year, if any.
pub fn leap_month(year: i32) -> Result<Option<u8>, LunarError> {
    LunarCalendar::vietnamese().leap_month(year)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
    }

    #[test]
    fn tet_examples() {
        let check = |year: i32, expected: Date| assert_eq!(tet(year).unwrap(), expected, "{year}");
        check(2026, date(2026, 2, 17));
        check(2025, date(2025, 1, 29));
        check(2007, date(2007, 2, 17));
        check(1985, date(1985, 1, 21));
        check(2030, date(2030, 2, 2));
        check(1968, date(1968, 1, 29));
        let chinese = LunarCalendar::at_utc_offset(8);
        assert_eq!(chinese.tet(1985).unwrap(), date(1985, 2, 20));
        assert_eq!(chinese.tet(2007).unwrap(), date(2007, 2, 18));
        assert_eq!(chinese.tet(2030).unwrap(), date(2030, 2, 3));
        assert_eq!(chinese.tet(1968).unwrap(), date(1968, 1, 30));
    }

    #[test]
    fn conversions_and_errors() {
        let lunar = solar_to_lunar(date(2026, 2, 17)).unwrap();
        assert_eq!(lunar, LunarDate::new(2026, 1, 1, false));
        assert_eq!(lunar.year_can_chi().to_string(), "Bính Ngọ");
        assert_eq!(
            LunarDate::new(2024, 1, 1, false).year_can_chi().to_string(),
            "Giáp Thìn"
        );
        // 2025 has a leap sixth month (6 nhuận Ất Tỵ began on 25/7/2025).
        assert_eq!(leap_month(2025).unwrap(), Some(6));
        assert_eq!(
            lunar_to_solar(LunarDate::new(2025, 6, 1, true)).unwrap(),
            date(2025, 7, 25)
        );
        assert_eq!(
            lunar_to_solar(LunarDate::new(2026, 6, 1, true)),
            Err(LunarError::NoSuchLeapMonth {
                year: 2026,
                month: 6
            })
        );
        assert_eq!(
            lunar_to_solar(LunarDate::new(2026, 13, 1, false)),
            Err(LunarError::InvalidMonth(13))
        );
        assert!(matches!(
            lunar_to_solar(LunarDate::new(2026, 1, 31, false)),
            Err(LunarError::InvalidDay { .. })
        ));
        assert!(matches!(
            lunar_to_solar(LunarDate::new(2026, 1, 0, false)),
            Err(LunarError::InvalidDay { .. })
        ));
        assert_eq!(
            solar_to_lunar(date(1799, 12, 31)),
            Err(LunarError::DateOutOfRange(date(1799, 12, 31)))
        );
        assert!(solar_to_lunar(date(2199, 12, 31)).is_ok());
        // The range ends on the eve of Tết 2200 (the end of lunar 2199).
        assert!(solar_to_lunar(date(2200, 1, 1)).is_ok());
        assert!(solar_to_lunar(date(2200, 3, 1)).is_err());
        assert_eq!(tet(2200), Err(LunarError::YearOutOfRange(2200)));
        assert_eq!(tet(1800).unwrap(), date(1800, 1, 25));
    }

    #[test]
    fn can_chi_of_days_and_months() {
        // Tết Giáp Thìn (10/2/2024) was a Giáp Thìn day; Tết Bính Ngọ a Nhâm Tuất day.
        assert_eq!(CanChi::of_day(date(2024, 2, 10)).to_string(), "Giáp Thìn");
        assert_eq!(CanChi::of_day(date(2026, 2, 17)).to_string(), "Nhâm Tuất");
        // Month 1 follows the rule "Giáp Kỷ chi niên Bính tác thủ, Bính Tân chi niên Canh...".
        assert_eq!(CanChi::of_month(2026, 1).to_string(), "Canh Dần");
        assert_eq!(CanChi::of_month(2024, 1).to_string(), "Bính Dần");
    }
}
