//! The official calendar: shipped decisions, operator overrides, the default
//! rules, and working-day arithmetic properties.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use congso_vn::calendar::{
    CalendarDataError, CalendarDays, CalendarError, Confidence, DayKind, OfficialCalendar,
    WorkingDays,
};
use congso_vn::time::{Date, Duration, Month, Weekday};
use proptest::prelude::*;

fn date(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
}

fn shipped() -> &'static OfficialCalendar {
    OfficialCalendar::shipped()
}

fn days_off(calendar: &OfficialCalendar, year: i32) -> Vec<Date> {
    calendar
        .days_off(year)
        .unwrap()
        .into_iter()
        .map(|e| e.date)
        .collect()
}

#[test]
fn days_off_2026() {
    let expected = [
        date(2026, 1, 1),
        date(2026, 1, 2),
        date(2026, 2, 16),
        date(2026, 2, 17),
        date(2026, 2, 18),
        date(2026, 2, 19),
        date(2026, 2, 20),
        date(2026, 4, 26),
        date(2026, 4, 27),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 11, 24),
    ];
    assert_eq!(days_off(shipped(), 2026), expected);
    let working: Vec<Date> = shipped()
        .working_weekends(2026)
        .unwrap()
        .into_iter()
        .map(|e| e.date)
        .collect();
    assert_eq!(working, [date(2026, 1, 10), date(2026, 8, 22)]);
    let culture_day = shipped().entry(date(2026, 11, 24)).unwrap();
    assert_eq!(culture_day.name, "Ngày Văn hóa Việt Nam");
    assert_eq!(culture_day.confidence, Confidence::Unconfirmed);
}

#[test]
fn every_shipped_year_has_the_statutory_holidays() {
    for year in 2020..=2027 {
        let off = days_off(shipped(), year);
        for (month, day) in [(1, 1), (4, 30), (5, 1), (9, 2)] {
            assert!(
                off.contains(&date(year, month, day)),
                "{year}-{month}-{day}"
            );
        }
        let tet = congso_vn::calendar::tet(year).unwrap();
        let tet_days = off
            .iter()
            .filter(|d| (**d - tet).whole_days().abs() <= 10)
            .filter(|d| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
            .count();
        assert_eq!(tet_days, 5, "Tết {year} has five working days off");
        let hung_kings = congso_vn::calendar::lunar_to_solar(congso_vn::calendar::LunarDate::new(
            year, 3, 10, false,
        ))
        .unwrap();
        assert!(off.contains(&hung_kings), "Giỗ Tổ {year}");
    }
}

fn weekdays_off_between(calendar: &OfficialCalendar, from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !calendar.is_working_day(day).unwrap()
        {
            out.push(day);
        }
        day = day.next_day().unwrap();
    }
    out
}

#[test]
fn default_rules_reproduce_the_recorded_decisions() {
    // Tết spans 2020-2026 and the 2/9 days 2021-2025 follow the default rule.
    let rules = OfficialCalendar::rules_only();
    for year in 2020..=2026 {
        let tet = congso_vn::calendar::tet(year).unwrap();
        let window = (tet - Duration::days(10), tet + Duration::days(10));
        assert_eq!(
            weekdays_off_between(&rules, window.0, window.1),
            weekdays_off_between(shipped(), window.0, window.1),
            "Tết {year}"
        );
    }
    for year in 2021..=2025 {
        let window = (date(year, 8, 29), date(year, 9, 6));
        assert_eq!(
            weekdays_off_between(&rules, window.0, window.1),
            weekdays_off_between(shipped(), window.0, window.1),
            "Quốc khánh {year}"
        );
    }
    // Substitute days: 2022's 30/4 (Saturday) and 1/5 (Sunday).
    assert_eq!(
        weekdays_off_between(&rules, date(2022, 4, 28), date(2022, 5, 6)),
        [date(2022, 5, 2), date(2022, 5, 3)]
    );
}

fn check_add(start: Date, days: u32, expected: Date) {
    assert_eq!(
        shipped()
            .add_working_days(start, WorkingDays(days))
            .unwrap(),
        expected,
        "{start} + {days} working days"
    );
    assert_eq!(
        shipped().working_days_between(start, expected).unwrap(),
        i64::from(days)
    );
}

#[test]
fn working_day_arithmetic() {
    // Friday before Tết Bính Ngọ: the next working day is after the 9-day break.
    check_add(date(2026, 2, 13), 1, date(2026, 2, 23));
    // The make-up Saturday 10/1/2026 is a working day.
    check_add(date(2026, 1, 9), 1, date(2026, 1, 10));
    // 1/1 holiday, 2/1 bridge, then the weekend.
    check_add(date(2025, 12, 31), 1, date(2026, 1, 5));
    // A request on Monday 2/3/2026 with 5 working days is due Monday 9/3.
    check_add(date(2026, 3, 2), 5, date(2026, 3, 9));
    // Giỗ Tổ on Sunday 26/4/2026 gives Monday 27/4 off.
    check_add(date(2026, 4, 24), 1, date(2026, 4, 28));
    check_add(date(2026, 3, 2), 0, date(2026, 3, 2));
    // 2024: Monday 29/4 off, Saturday 4/5 worked.
    assert!(!shipped().is_working_day(date(2024, 4, 29)).unwrap());
    assert!(shipped().is_working_day(date(2024, 5, 4)).unwrap());
    assert_eq!(
        shipped().next_working_day(date(2026, 2, 13)).unwrap(),
        date(2026, 2, 23)
    );
    assert_eq!(
        shipped()
            .working_days_between(date(2026, 2, 23), date(2026, 2, 13))
            .unwrap(),
        -1
    );
    assert_eq!(
        shipped()
            .working_days_between(date(2026, 1, 1), date(2026, 1, 1))
            .unwrap(),
        0
    );
}

#[test]
fn calendar_day_deadlines_move_to_the_next_working_day() {
    // 10 calendar days after 6/2/2026 is 16/2, inside Tết: the deadline is 23/2.
    assert_eq!(
        shipped()
            .calendar_deadline(date(2026, 2, 6), CalendarDays(10))
            .unwrap(),
        date(2026, 2, 23)
    );
    // 30 days after 2/3/2026 is Wednesday 1/4, a working day.
    assert_eq!(
        shipped()
            .calendar_deadline(date(2026, 3, 2), CalendarDays(30))
            .unwrap(),
        date(2026, 4, 1)
    );
    // Ending on a Saturday moves to Monday.
    assert_eq!(
        shipped()
            .calendar_deadline(date(2026, 3, 2), CalendarDays(5))
            .unwrap(),
        date(2026, 3, 9)
    );
}

#[test]
fn periods_pick_the_right_unit() {
    use congso_vn::calendar::Period;
    let start = date(2026, 2, 6);
    assert_eq!(
        shipped().deadline(start, Period::Working(5)).unwrap(),
        date(2026, 2, 13)
    );
    assert_eq!(
        shipped().deadline(start, Period::Calendar(10)).unwrap(),
        date(2026, 2, 23)
    );
    assert_eq!(Period::Working(5).to_string(), "5 ngày làm việc");
    assert_eq!(Period::Calendar(30).to_string(), "30 ngày");
    let parsed: Period = serde_json::from_str(r#"{"working":7}"#).unwrap();
    assert_eq!(parsed, Period::Working(7));
}

#[test]
fn out_of_range_is_a_typed_error() {
    assert_eq!(
        shipped().is_working_day(date(1999, 12, 31)),
        Err(CalendarError::DateOutOfRange(date(1999, 12, 31)))
    );
    assert_eq!(
        shipped().add_working_days(date(2199, 12, 30), WorkingDays(10)),
        Err(CalendarError::ResultOutOfRange {
            start: date(2199, 12, 30)
        })
    );
    assert_eq!(
        shipped().days_off(2200),
        Err(CalendarError::YearOutOfRange(2200))
    );
    assert!(shipped()
        .calendar_deadline(date(2199, 12, 1), CalendarDays(u32::MAX))
        .is_err());
}

#[test]
fn operator_overrides_replace_extend_and_remove() {
    let overrides = r#"
        format = 1

        # A bridge day with its make-up Saturday, as a yearly decision would set.
        [[day]]
        date = "2026-04-29"
        kind = "bridge"
        name = "Nghỉ hoán đổi"
        source = "Thông báo giả định dùng trong kiểm thử"

        [[day]]
        date = 2026-05-09
        kind = "working-weekend"
        name = "Làm bù"
        source = "Thông báo giả định dùng trong kiểm thử"

        # Remove a shipped day.
        [[day]]
        date = "2026-11-24"
        kind = "remove"

        # Rename a shipped day.
        [[day]]
        date = "2026-01-01"
        kind = "holiday"
        name = "Tết Dương lịch 2026"
        source = "kiểm thử"

        # A later year, fully decided by the operator.
        [[year]]
        year = 2030
        complete = true

        [[day]]
        date = "2030-01-01"
        kind = "holiday"
        name = "Tết Dương lịch"
        source = "kiểm thử"
    "#;
    let calendar = OfficialCalendar::with_overrides(overrides).unwrap();
    assert!(!calendar.is_working_day(date(2026, 4, 29)).unwrap());
    assert!(calendar.is_working_day(date(2026, 5, 9)).unwrap());
    assert!(calendar.is_working_day(date(2026, 11, 24)).unwrap());
    assert_eq!(
        calendar.entry(date(2026, 1, 1)).unwrap().name,
        "Tết Dương lịch 2026"
    );
    assert_eq!(days_off(&calendar, 2030), [date(2030, 1, 1)]);
    // Years the operator does not touch keep the shipped data and the rules.
    assert_eq!(days_off(&calendar, 2025), days_off(shipped(), 2025));
    assert!(!days_off(&calendar, 2031).is_empty());
    let computed = calendar.days_off(2031).unwrap();
    assert!(computed
        .iter()
        .all(|e| e.confidence != Confidence::Confirmed));
    assert!(computed.iter().any(|e| e.kind == DayKind::Holiday));
}

#[test]
fn bad_operator_files_are_rejected_with_reasons() {
    let check = |text: &str, expected: &str| {
        let error = OfficialCalendar::with_overrides(text).unwrap_err();
        assert!(
            error.to_string().contains(expected),
            "{error} should mention {expected:?}"
        );
    };
    check(
        "[[day]]\ndate = \"2026-02-30\"\nkind = \"holiday\"\nname = \"x\"",
        "no day 30",
    );
    check(
        "[[day]]\ndate = \"2026-05-09\"\nkind = \"bridge\"\nname = \"x\"",
        "weekend day",
    );
    check(
        "[[day]]\ndate = \"2026-05-11\"\nkind = \"working-weekend\"\nname = \"x\"",
        "weekday",
    );
    check(
        "[[day]]\ndate = \"2026-05-11\"\nkind = \"feast\"\nname = \"x\"",
        "unknown variant",
    );
    check(
        "[[day]]\ndate = \"2026-05-11\"\nkind = \"holiday\"",
        "has no name",
    );
    check("format = 2", "format 2");
    check("[[year]]\nyear = 1990", "outside the official calendar");
    check(
        "[[day]]\ndate = \"2026-05-11\"\nkind = \"holiday\"\nname = \"x\"\n[[day]]\ndate = \"2026-05-11\"\nkind = \"holiday\"\nname = \"y\"",
        "twice",
    );
    check("this is not toml", "not valid");
    assert!(matches!(
        OfficialCalendar::with_overrides("[[day]]\ndate = 5\nkind = \"holiday\"\nname = \"x\""),
        Err(CalendarDataError::Syntax(_))
    ));
}

fn calendar_date() -> impl Strategy<Value = Date> {
    let first = date(2000, 1, 1);
    (0i64..(200 * 365)).prop_map(move |offset| first + Duration::days(offset))
}

proptest! {
    #[test]
    fn add_and_between_agree(start in calendar_date(), days in 0u32..400) {
        let calendar = shipped();
        if let Ok(due) = calendar.add_working_days(start, WorkingDays(days)) {
            prop_assert_eq!(calendar.working_days_between(start, due).unwrap(), i64::from(days));
            if days > 0 {
                prop_assert!(due > start);
                prop_assert!(calendar.is_working_day(due).unwrap());
                // The day before the result still lacks one working day.
                let before = due.previous_day().unwrap();
                prop_assert_eq!(calendar.working_days_between(start, before).unwrap(), i64::from(days) - 1);
            }
        }
    }

    #[test]
    fn calendar_deadlines_land_on_the_first_working_day(start in calendar_date(), days in 0u32..400) {
        let calendar = shipped();
        if let Ok(due) = calendar.calendar_deadline(start, CalendarDays(days)) {
            let last = start + Duration::days(i64::from(days));
            prop_assert!(due >= last);
            prop_assert!(calendar.is_working_day(due).unwrap());
            let mut day = last;
            while day < due {
                prop_assert!(!calendar.is_working_day(day).unwrap());
                day = day.next_day().unwrap();
            }
        }
    }

    #[test]
    fn between_is_antisymmetric(a in calendar_date(), b in calendar_date()) {
        let calendar = shipped();
        prop_assert_eq!(
            calendar.working_days_between(a, b).unwrap(),
            -calendar.working_days_between(b, a).unwrap()
        );
    }
}
