//! Vietnamese formatting: Decree 30/2020 date lines, weekday names, numbers
//! in words for amounts, and Vietnamese number formatting (1.234.567,89).

use thiserror::Error;
use time::{Date, Weekday};

/// The place-and-date line of an administrative document (Decree 30/2020/NĐ-CP,
/// Appendix I): "Hà Nội, ngày 05 tháng 02 năm 2026".
///
/// Days below 10 and the months 1 and 2 are written with a leading zero; the
/// other months are not ("ngày 15 tháng 3 năm 2026").
pub fn decree30_date_line(place: &str, date: Date) -> String {
    format!("{}, {}", place.trim(), decree30_date(date))
}

/// The date part of [`decree30_date_line`]: "ngày 05 tháng 02 năm 2026".
pub fn decree30_date(date: Date) -> String {
    let month = u8::from(date.month());
    let month_text = if month <= 2 {
        format!("{month:02}")
    } else {
        month.to_string()
    };
    format!(
        "ngày {:02} tháng {} năm {}",
        date.day(),
        month_text,
        date.year()
    )
}

/// The weekday's Vietnamese name as written in running text: "Thứ Hai" … "Chủ nhật".
pub fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "Thứ Hai",
        Weekday::Tuesday => "Thứ Ba",
        Weekday::Wednesday => "Thứ Tư",
        Weekday::Thursday => "Thứ Năm",
        Weekday::Friday => "Thứ Sáu",
        Weekday::Saturday => "Thứ Bảy",
        Weekday::Sunday => "Chủ nhật",
    }
}

/// The short weekday label used in calendars and tables: "T2" … "T7", "CN".
pub fn weekday_short(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "T2",
        Weekday::Tuesday => "T3",
        Weekday::Wednesday => "T4",
        Weekday::Thursday => "T5",
        Weekday::Friday => "T6",
        Weekday::Saturday => "T7",
        Weekday::Sunday => "CN",
    }
}

/// Regional choices for numbers in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordsStyle {
    /// "linh" (northern, the default in official documents) or "lẻ" for a zero tens digit.
    pub zero_tens: &'static str,
    /// "nghìn" (default) or "ngàn" for thousands.
    pub thousand: &'static str,
}

impl Default for WordsStyle {
    fn default() -> Self {
        WordsStyle {
            zero_tens: "linh",
            thousand: "nghìn",
        }
    }
}

const DIGITS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

/// A number in Vietnamese words, lower case: 125 000 → "một trăm hai mươi lăm nghìn".
///
/// The units digit reads "mốt" after a tens word from twenty up ("hai mươi
/// mốt"), "tư" there too ("hai mươi tư"), "lăm" after any tens word ("mười
/// lăm"); a zero tens digit after hundreds reads "linh" ("một trăm linh năm").
/// Inside a long number an empty hundreds place reads "không trăm"
/// ("một nghìn không trăm linh một"), as banks write amounts.
pub fn number_to_words(n: u64) -> String {
    number_to_words_with(n, WordsStyle::default())
}

/// [`number_to_words`] with a regional style.
pub fn number_to_words_with(n: u64, style: WordsStyle) -> String {
    if n == 0 {
        return DIGITS[0].to_owned();
    }
    let mut words = Vec::new();
    push_words(n, true, style, &mut words);
    words.join(" ")
}

const BILLION: u64 = 1_000_000_000;

/// Appends the words for `n` (> 0). Numbers of a billion and more are read
/// as "<words for n / 10^9> tỷ <rest>", so 2 500 tỷ is "hai nghìn năm trăm
/// tỷ", the way Vietnamese reads large amounts. `leading` is false for a
/// part that follows a larger part and so reads an empty hundreds place.
fn push_words(n: u64, leading: bool, style: WordsStyle, words: &mut Vec<String>) {
    if n >= BILLION {
        push_words(n / BILLION, leading, style, words);
        words.push("tỷ".to_owned());
        let rest = n % BILLION;
        if rest > 0 {
            push_words(rest, false, style, words);
        }
        return;
    }
    let groups = [
        (n / 1_000_000, "triệu"),
        (n / 1_000 % 1_000, style.thousand),
        (n % 1_000, ""),
    ];
    let mut first = true;
    for (group, scale) in groups {
        if group == 0 {
            continue;
        }
        let full = !(leading && first);
        first = false;
        words.push(group_to_words(group as u16, full, style));
        if !scale.is_empty() {
            words.push(scale.to_owned());
        }
    }
}

/// Words for 1..=999; `full` reads an empty hundreds place as "không trăm".
fn group_to_words(group: u16, full: bool, style: WordsStyle) -> String {
    let hundreds = usize::from(group / 100);
    let tens = usize::from(group / 10 % 10);
    let units = usize::from(group % 10);
    let mut words: Vec<&str> = Vec::new();
    let has_hundreds = hundreds > 0 || full;
    if has_hundreds {
        words.push(DIGITS[hundreds]);
        words.push("trăm");
    }
    match tens {
        0 => {
            if units > 0 && has_hundreds {
                words.push(style.zero_tens);
            }
            if units > 0 {
                words.push(DIGITS[units]);
            }
        }
        1 => {
            words.push("mười");
            match units {
                0 => {}
                5 => words.push("lăm"),
                _ => words.push(DIGITS[units]),
            }
        }
        _ => {
            words.push(DIGITS[tens]);
            words.push("mươi");
            match units {
                0 => {}
                1 => words.push("mốt"),
                4 => words.push("tư"),
                5 => words.push("lăm"),
                _ => words.push(DIGITS[units]),
            }
        }
    }
    words.join(" ")
}

/// An amount of Vietnamese đồng in words, as written on receipts and
/// payment orders: 125 000 → "Một trăm hai mươi lăm nghìn đồng".
pub fn amount_in_words_vnd(amount: u64) -> String {
    let words = number_to_words(amount);
    let mut chars = words.chars();
    let capitalised: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("{capitalised} đồng")
}

/// Why a number cannot be formatted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormatError {
    #[error("number is not finite")]
    NotFinite,
    #[error("'{0}' is not a decimal number (expected digits with an optional sign and '.' decimal point)")]
    NotADecimal(String),
    #[error("at most 30 decimal places can be formatted, asked for {0}")]
    TooManyDecimals(usize),
}

/// Formats a number the Vietnamese way: '.' between thousands, ',' before
/// decimals: `format_number_vi(1234567.891, 2)` → "1.234.567,89".
///
/// The value is rounded to `decimals` places by Rust's float formatting
/// (round half to even on the binary value). For money, use
/// [`format_decimal_str_vi`] with the exact decimal text.
pub fn format_number_vi(value: f64, decimals: usize) -> Result<String, FormatError> {
    if !value.is_finite() {
        return Err(FormatError::NotFinite);
    }
    if decimals > 30 {
        return Err(FormatError::TooManyDecimals(decimals));
    }
    let text = format!("{value:.decimals$}");
    format_decimal_str_vi(&text, decimals)
}

/// Formats a decimal written with '.' as decimal point ("-1234567.895"),
/// rounding half away from zero to `decimals` places on the exact digits.
pub fn format_decimal_str_vi(text: &str, decimals: usize) -> Result<String, FormatError> {
    if decimals > 30 {
        return Err(FormatError::TooManyDecimals(decimals));
    }
    let trimmed = text.trim();
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (int_part, frac_part) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let valid = !int_part.is_empty()
        && int_part.bytes().all(|b| b.is_ascii_digit())
        && frac_part.bytes().all(|b| b.is_ascii_digit())
        && !(unsigned.contains('.') && frac_part.is_empty());
    if !valid {
        return Err(FormatError::NotADecimal(text.to_owned()));
    }
    // Digits of the value scaled by 10^decimals, plus the first dropped digit.
    let mut digits: Vec<u8> = int_part.bytes().map(|b| b - b'0').collect();
    let frac: Vec<u8> = frac_part.bytes().map(|b| b - b'0').collect();
    for place in 0..decimals {
        digits.push(frac.get(place).copied().unwrap_or(0));
    }
    let round_up = frac.get(decimals).is_some_and(|&d| d >= 5);
    if round_up {
        let mut carry = true;
        for digit in digits.iter_mut().rev() {
            if !carry {
                break;
            }
            if *digit == 9 {
                *digit = 0;
            } else {
                *digit += 1;
                carry = false;
            }
        }
        if carry {
            digits.insert(0, 1);
        }
    }
    let split = digits.len() - decimals;
    let (int_digits, frac_digits) = digits.split_at(split);
    // Drop leading zeros of the integer part but keep one.
    let first_nonzero = int_digits
        .iter()
        .position(|&d| d != 0)
        .unwrap_or(int_digits.len().saturating_sub(1));
    let int_digits = &int_digits[first_nonzero.min(int_digits.len().saturating_sub(1))..];
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 2);
    let is_zero = int_digits.iter().chain(frac_digits).all(|&d| d == 0);
    if negative && !is_zero {
        out.push('-');
    }
    for (index, digit) in int_digits.iter().enumerate() {
        if index > 0 && (int_digits.len() - index) % 3 == 0 {
            out.push('.');
        }
        out.push(char::from(b'0' + digit));
    }
    if decimals > 0 {
        out.push(',');
        out.extend(frac_digits.iter().map(|d| char::from(b'0' + d)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Month;

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
    }

    #[test]
    fn decree30_dates() {
        let check = |d: Date, expected: &str| assert_eq!(decree30_date_line("Hà Nội", d), expected);
        check(date(2026, 2, 5), "Hà Nội, ngày 05 tháng 02 năm 2026");
        check(date(2026, 1, 15), "Hà Nội, ngày 15 tháng 01 năm 2026");
        check(date(2026, 3, 9), "Hà Nội, ngày 09 tháng 3 năm 2026");
        check(date(2025, 12, 31), "Hà Nội, ngày 31 tháng 12 năm 2025");
        assert_eq!(
            decree30_date_line(" Thành phố Hồ Chí Minh ", date(2024, 10, 10)),
            "Thành phố Hồ Chí Minh, ngày 10 tháng 10 năm 2024"
        );
        assert_eq!(weekday_name(date(2026, 2, 17).weekday()), "Thứ Ba");
        assert_eq!(weekday_name(Weekday::Sunday), "Chủ nhật");
        assert_eq!(weekday_short(Weekday::Saturday), "T7");
    }

    fn check_words(n: u64, expected: &str) {
        assert_eq!(number_to_words(n), expected, "{n}");
    }

    #[test]
    fn numbers_in_words() {
        check_words(0, "không");
        check_words(1, "một");
        check_words(4, "bốn");
        check_words(5, "năm");
        check_words(10, "mười");
        check_words(11, "mười một");
        check_words(14, "mười bốn");
        check_words(15, "mười lăm");
        check_words(20, "hai mươi");
        check_words(21, "hai mươi mốt");
        check_words(24, "hai mươi tư");
        check_words(25, "hai mươi lăm");
        check_words(55, "năm mươi lăm");
        check_words(100, "một trăm");
        check_words(101, "một trăm linh một");
        check_words(104, "một trăm linh bốn");
        check_words(105, "một trăm linh năm");
        check_words(110, "một trăm mười");
        check_words(115, "một trăm mười lăm");
        check_words(999, "chín trăm chín mươi chín");
        check_words(1_000, "một nghìn");
        check_words(1_001, "một nghìn không trăm linh một");
        check_words(2_010, "hai nghìn không trăm mười");
        check_words(10_500, "mười nghìn năm trăm");
        check_words(125_000, "một trăm hai mươi lăm nghìn");
        check_words(1_000_005, "một triệu không trăm linh năm");
        check_words(1_005_000, "một triệu không trăm linh năm nghìn");
        check_words(21_000_000, "hai mươi mốt triệu");
        check_words(1_000_000_000, "một tỷ");
        check_words(2_500_000_000_000, "hai nghìn năm trăm tỷ");
        check_words(1_000_000_000_000_000, "một triệu tỷ");
        check_words(1_000_000_005, "một tỷ không trăm linh năm");
        check_words(3_000_000_000_000_000_000, "ba tỷ tỷ");
        check_words(
            u64::MAX,
            "mười tám tỷ bốn trăm bốn mươi sáu triệu bảy trăm bốn mươi tư nghìn \
             không trăm bảy mươi ba tỷ bảy trăm linh chín triệu năm trăm năm mươi mốt nghìn \
             sáu trăm mười lăm",
        );
        assert_eq!(
            number_to_words_with(
                1_105,
                WordsStyle {
                    zero_tens: "lẻ",
                    thousand: "ngàn"
                }
            ),
            "một ngàn một trăm lẻ năm"
        );
    }

    #[test]
    fn amounts() {
        assert_eq!(
            amount_in_words_vnd(125_000),
            "Một trăm hai mươi lăm nghìn đồng"
        );
        assert_eq!(amount_in_words_vnd(0), "Không đồng");
        assert_eq!(
            amount_in_words_vnd(1_250_000),
            "Một triệu hai trăm năm mươi nghìn đồng"
        );
    }

    #[test]
    fn number_formatting() {
        let check = |value: f64, decimals: usize, expected: &str| {
            assert_eq!(
                format_number_vi(value, decimals).unwrap(),
                expected,
                "{value}"
            );
        };
        check(1_234_567.891, 2, "1.234.567,89");
        check(0.0, 0, "0");
        check(999.0, 0, "999");
        check(1000.0, 0, "1.000");
        check(-1234.5, 1, "-1.234,5");
        check(-0.001, 2, "0,00");
        check(12.0, 3, "12,000");
        assert_eq!(format_number_vi(f64::NAN, 2), Err(FormatError::NotFinite));
        let check_str = |text: &str, decimals: usize, expected: &str| {
            assert_eq!(
                format_decimal_str_vi(text, decimals).unwrap(),
                expected,
                "{text}"
            );
        };
        check_str("1234567.895", 2, "1.234.567,90");
        check_str("999.995", 2, "1.000,00");
        check_str("-1234567", 0, "-1.234.567");
        check_str("0001234", 0, "1.234");
        check_str(
            "12345678901234567890123",
            0,
            "12.345.678.901.234.567.890.123",
        );
        assert!(format_decimal_str_vi("1,5", 1).is_err());
        assert!(format_decimal_str_vi("", 1).is_err());
        assert!(format_decimal_str_vi("1.", 1).is_err());
        assert!(format_decimal_str_vi("--1", 1).is_err());
        assert!(format_decimal_str_vi("1", 31).is_err());
    }
}
