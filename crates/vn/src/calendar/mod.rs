//! Calendars: the Vietnamese lunar calendar and the official calendar of
//! state agencies (public holidays, yearly decisions, working days).
//!
//! Dates in the public API are [`time::Date`].

mod lunar;
mod official;

pub use lunar::{
    leap_month, lunar_to_solar, solar_to_lunar, tet, CanChi, LunarCalendar, LunarDate, LunarError,
    FIRST_YEAR as LUNAR_FIRST_YEAR, LAST_YEAR as LUNAR_LAST_YEAR,
};
pub use official::{
    CalendarDataError, CalendarDays, CalendarEntry, CalendarError, Confidence, DayKind,
    OfficialCalendar, Period, WorkingDays, FIRST_YEAR as OFFICIAL_FIRST_YEAR,
    LAST_YEAR as OFFICIAL_LAST_YEAR, SHIPPED_DATA,
};

use thiserror::Error;
use time::{Date, Month};

/// Why a date string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateParseError {
    #[error("'{0}' is not a date in the form {1}")]
    Malformed(String, &'static str),
    #[error("'{0}' is not a valid calendar date: {1}")]
    Invalid(String, String),
}

fn parse_number<T: std::str::FromStr>(part: &str) -> Option<T> {
    if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

fn build_date(text: &str, year: i32, month: u8, day: u8) -> Result<Date, DateParseError> {
    let month = Month::try_from(month).map_err(|_| {
        DateParseError::Invalid(text.to_owned(), format!("month {month} does not exist"))
    })?;
    Date::from_calendar_date(year, month, day).map_err(|_| {
        DateParseError::Invalid(
            text.to_owned(),
            format!("{month} {year} has no day {day}").to_lowercase(),
        )
    })
}

/// Parses an ISO date `YYYY-MM-DD`.
pub fn parse_iso_date(text: &str) -> Result<Date, DateParseError> {
    const FORM: &str = "YYYY-MM-DD";
    let trimmed = text.trim();
    let malformed = || DateParseError::Malformed(text.to_owned(), FORM);
    let mut parts = trimmed.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(malformed());
    }
    let (Some(year), Some(month), Some(day)) = (parse_number(y), parse_number(m), parse_number(d))
    else {
        return Err(malformed());
    };
    build_date(trimmed, year, month, day)
}

/// Parses the Vietnamese day-first form `D/M/YYYY` (also with leading zeros).
pub fn parse_vn_date(text: &str) -> Result<Date, DateParseError> {
    const FORM: &str = "D/M/YYYY";
    let trimmed = text.trim();
    let malformed = || DateParseError::Malformed(text.to_owned(), FORM);
    let mut parts = trimmed.split('/');
    let (Some(d), Some(m), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let (Some(day), Some(month), Some(year)) = (parse_number(d), parse_number(m), parse_number(y))
    else {
        return Err(malformed());
    };
    build_date(trimmed, year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_parsing() {
        assert_eq!(
            parse_iso_date("2026-02-05").unwrap(),
            Date::from_calendar_date(2026, Month::February, 5).unwrap()
        );
        assert!(matches!(
            parse_iso_date("2026-02-30"),
            Err(DateParseError::Invalid(..))
        ));
        assert!(matches!(
            parse_iso_date("2026-13-01"),
            Err(DateParseError::Invalid(..))
        ));
        assert!(matches!(
            parse_iso_date("2026-2-5"),
            Err(DateParseError::Malformed(..))
        ));
        assert!(matches!(
            parse_iso_date("+026-02-05"),
            Err(DateParseError::Malformed(..))
        ));
        assert!(matches!(
            parse_iso_date(""),
            Err(DateParseError::Malformed(..))
        ));
        assert_eq!(
            parse_vn_date("5/2/2026").unwrap(),
            Date::from_calendar_date(2026, Month::February, 5).unwrap()
        );
        assert!(matches!(
            parse_vn_date("30/2/2026"),
            Err(DateParseError::Invalid(..))
        ));
        assert!(matches!(
            parse_vn_date("1/1"),
            Err(DateParseError::Malformed(..))
        ));
        assert_eq!(
            parse_iso_date("2026-02-30").unwrap_err().to_string(),
            "'2026-02-30' is not a valid calendar date: february 2026 has no day 30"
        );
    }
}
