//! Identifiers and dates with the exact text forms edXML uses.
//!
//! Every type here parses strictly (`FromStr`) and prints back the same text
//! (`Display`), so that `parse(display(v)) == v`: the writer relies on that to give
//! back the model it was handed.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a text is not an agency identifier (`NNN.NN.NN.LNN`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrganIdError {
    /// The identifier is empty.
    #[error("organ id is empty")]
    Empty,
    /// The identifier does not have exactly 13 characters.
    #[error("organ id {text:?} has {len} characters, expected 13 (NNN.NN.NN.LNN)")]
    Length {
        /// The offending text.
        text: String,
        /// Its length in characters.
        len: usize,
    },
    /// A character does not fit the pattern at its position.
    #[error("organ id {text:?}: character {found:?} at position {position} should be {expected} (NNN.NN.NN.LNN)")]
    Character {
        /// The offending text.
        text: String,
        /// One-based character position.
        position: usize,
        /// What the pattern wants there.
        expected: &'static str,
        /// What was found there.
        found: char,
    },
}

/// An agency identifier from the national code list: 13 characters `NNN.NN.NN.LNN`,
/// for example `000.00.00.G22` (Government Office).
///
/// Only the shape is checked: the code list itself changes (it was amended in 2025) and is
/// data, not code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrganId(String);

impl OrganId {
    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for OrganId {
    type Err = OrganIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(OrganIdError::Empty);
        }
        let chars: Vec<char> = text.chars().collect();
        if chars.len() != 13 {
            return Err(OrganIdError::Length {
                text: text.to_owned(),
                len: chars.len(),
            });
        }
        for (index, &found) in chars.iter().enumerate() {
            let (fits, expected) = match index {
                3 | 6 | 9 => (found == '.', "'.'"),
                10 => (found.is_ascii_uppercase(), "an upper-case letter A-Z"),
                _ => (found.is_ascii_digit(), "a digit"),
            };
            if !fits {
                return Err(OrganIdError::Character {
                    text: text.to_owned(),
                    position: index + 1,
                    expected,
                    found,
                });
            }
        }
        Ok(Self(text.to_owned()))
    }
}

impl TryFrom<String> for OrganId {
    type Error = OrganIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<OrganId> for String {
    fn from(id: OrganId) -> Self {
        id.0
    }
}

impl fmt::Display for OrganId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a text is not an edXML date or timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateError {
    /// The text does not have the expected shape.
    #[error("{text:?} is not a date in the form {expected}")]
    Shape {
        /// The offending text.
        text: String,
        /// The expected pattern.
        expected: &'static str,
    },
    /// The text has the right shape but names no real day or time (e.g. 2014/02/30).
    #[error("{text:?} is not a real calendar {what}")]
    Calendar {
        /// The offending text.
        text: String,
        /// "date" or "time".
        what: &'static str,
    },
}

fn digits_at(bytes: &[u8], positions: impl IntoIterator<Item = usize>) -> bool {
    positions
        .into_iter()
        .all(|index| bytes.get(index).is_some_and(u8::is_ascii_digit))
}

fn number(bytes: &[u8], from: usize, to: usize) -> u32 {
    bytes[from..to]
        .iter()
        .fold(0, |acc, digit| acc * 10 + u32::from(digit - b'0'))
}

fn parse_date_part(text: &str, expected: &'static str) -> Result<NaiveDate, DateError> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() >= 10
        && digits_at(bytes, [0, 1, 2, 3, 5, 6, 8, 9])
        && bytes[4] == b'/'
        && bytes[7] == b'/';
    if !shape_ok {
        return Err(DateError::Shape {
            text: text.to_owned(),
            expected,
        });
    }
    let year = number(bytes, 0, 4) as i32;
    NaiveDate::from_ymd_opt(year, number(bytes, 5, 7), number(bytes, 8, 10)).ok_or_else(|| {
        DateError::Calendar {
            text: text.to_owned(),
            what: "date",
        }
    })
}

/// A calendar date in edXML's `yyyy/MM/dd` form (e.g. `2015/09/30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EdDate(NaiveDate);

impl EdDate {
    /// Wraps a date. Years outside 0..=9999 cannot be written in four digits.
    pub fn new(date: NaiveDate) -> Option<Self> {
        (0..=9999).contains(&date.year()).then_some(Self(date))
    }

    /// The calendar date.
    pub fn date(&self) -> NaiveDate {
        self.0
    }
}

impl FromStr for EdDate {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "yyyy/MM/dd";
        if text.len() != 10 {
            return Err(DateError::Shape {
                text: text.to_owned(),
                expected: EXPECTED,
            });
        }
        parse_date_part(text, EXPECTED).map(Self)
    }
}

impl fmt::Display for EdDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y/%m/%d"))
    }
}

impl TryFrom<String> for EdDate {
    type Error = DateError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<EdDate> for String {
    fn from(date: EdDate) -> Self {
        date.to_string()
    }
}

/// A local date and time in edXML's `yyyy/MM/dd HH:mm:ss` form (e.g. `2018/09/28 17:25:11`).
///
/// edXML carries no time zone; peers write Vietnam local time (UTC+7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EdTimestamp(NaiveDateTime);

impl EdTimestamp {
    /// Wraps a date and time, dropping fractions of a second (edXML has none).
    /// Years outside 0..=9999 cannot be written in four digits.
    pub fn new(value: NaiveDateTime) -> Option<Self> {
        let date = EdDate::new(value.date())?;
        let time = value.time();
        let whole = NaiveTime::from_hms_opt(time.hour(), time.minute(), time.second())?;
        Some(Self(date.0.and_time(whole)))
    }

    /// The local date and time.
    pub fn date_time(&self) -> NaiveDateTime {
        self.0
    }
}

impl FromStr for EdTimestamp {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "yyyy/MM/dd HH:mm:ss";
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 19
            && bytes[10] == b' '
            && bytes[13] == b':'
            && bytes[16] == b':'
            && digits_at(bytes, [11, 12, 14, 15, 17, 18]);
        if !shape_ok {
            return Err(DateError::Shape {
                text: text.to_owned(),
                expected: EXPECTED,
            });
        }
        let date = parse_date_part(text, EXPECTED)?;
        let time = NaiveTime::from_hms_opt(
            number(bytes, 11, 13),
            number(bytes, 14, 16),
            number(bytes, 17, 19),
        )
        .ok_or_else(|| DateError::Calendar {
            text: text.to_owned(),
            what: "time",
        })?;
        Ok(Self(date.and_time(time)))
    }
}

impl fmt::Display for EdTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y/%m/%d %H:%M:%S"))
    }
}

impl TryFrom<String> for EdTimestamp {
    type Error = DateError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<EdTimestamp> for String {
    fn from(timestamp: EdTimestamp) -> Self {
        timestamp.to_string()
    }
}

/// Why a text is not a document identifier (`OrganId,yyyy/MM/dd,Number/Notation`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DocumentIdError {
    /// The text does not have three comma-separated parts.
    #[error("document id {text:?} should have three parts OrganId,yyyy/MM/dd,Number/Notation")]
    Parts {
        /// The offending text.
        text: String,
    },
    /// The first part is not an organ id.
    #[error("document id {text:?}: {source}")]
    OrganId {
        /// The offending text.
        text: String,
        /// What is wrong with the organ id.
        source: OrganIdError,
    },
    /// The second part is not a date.
    #[error("document id {text:?}: {source}")]
    Date {
        /// The offending text.
        text: String,
        /// What is wrong with the date.
        source: DateError,
    },
    /// The third part is not `Number/Notation` with a decimal number and a notation.
    #[error("document id {text:?}: {part:?} should be Number/Notation, e.g. 7816/VPCP-TTĐT")]
    Code {
        /// The offending text.
        text: String,
        /// The offending third part.
        part: String,
    },
}

/// A document identifier: the issuing organ, the promulgation date and the
/// number/notation, written `000.00.00.G22,2015/09/30,7816/VPCP-TTĐT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocumentId {
    organ_id: OrganId,
    date: EdDate,
    number: String,
    notation: String,
}

impl DocumentId {
    /// Builds an identifier; `number` must be decimal digits and `notation` non-empty
    /// without commas.
    pub fn new(
        organ_id: OrganId,
        date: EdDate,
        number: &str,
        notation: &str,
    ) -> Result<Self, DocumentIdError> {
        format!("{organ_id},{date},{number}/{notation}").parse()
    }

    /// The issuing organ.
    pub fn organ_id(&self) -> &OrganId {
        &self.organ_id
    }

    /// The promulgation date.
    pub fn date(&self) -> EdDate {
        self.date
    }

    /// The document number (decimal digits, leading zeros kept).
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The notation after the slash, e.g. `VPCP-TTĐT`.
    pub fn notation(&self) -> &str {
        &self.notation
    }

    /// `Number/Notation`, the form `ResponseFor/Code` carries.
    pub fn code(&self) -> String {
        format!("{}/{}", self.number, self.notation)
    }
}

impl FromStr for DocumentId {
    type Err = DocumentIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut parts = text.splitn(3, ',');
        let (Some(organ), Some(date), Some(code)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(DocumentIdError::Parts {
                text: text.to_owned(),
            });
        };
        let organ_id = organ.parse().map_err(|source| DocumentIdError::OrganId {
            text: text.to_owned(),
            source,
        })?;
        let date = date.parse().map_err(|source| DocumentIdError::Date {
            text: text.to_owned(),
            source,
        })?;
        let code_error = || DocumentIdError::Code {
            text: text.to_owned(),
            part: code.to_owned(),
        };
        let (number, notation) = code.split_once('/').ok_or_else(code_error)?;
        let number_ok = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        let notation_ok =
            !notation.is_empty() && !notation.contains(',') && notation.trim() == notation;
        if !number_ok || !notation_ok {
            return Err(code_error());
        }
        Ok(Self {
            organ_id,
            date,
            number: number.to_owned(),
            notation: notation.to_owned(),
        })
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{}/{}",
            self.organ_id, self.date, self.number, self.notation
        )
    }
}

impl TryFrom<String> for DocumentId {
    type Error = DocumentIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<DocumentId> for String {
    fn from(id: DocumentId) -> Self {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_organ(input: &str, expected: Result<(), &str>) {
        let got = input.parse::<OrganId>();
        match expected {
            Ok(()) => assert_eq!(got.map(|id| id.to_string()), Ok(input.to_owned())),
            Err(message) => assert_eq!(got.map_err(|e| e.to_string()), Err(message.to_owned())),
        }
    }

    #[test]
    fn organ_ids() {
        check_organ("000.00.00.G22", Ok(()));
        check_organ("000.00.00.H26", Ok(()));
        check_organ("002.00.20.H13", Ok(()));
        check_organ("", Err("organ id is empty"));
        check_organ(
            "28.22.H17",
            Err("organ id \"28.22.H17\" has 9 characters, expected 13 (NNN.NN.NN.LNN)"),
        );
        check_organ(
            "01.02.G22",
            Err("organ id \"01.02.G22\" has 9 characters, expected 13 (NNN.NN.NN.LNN)"),
        );
        check_organ(
            "000.00.00.g22",
            Err("organ id \"000.00.00.g22\": character 'g' at position 11 should be an upper-case letter A-Z (NNN.NN.NN.LNN)"),
        );
        check_organ(
            "000-00.00.G22",
            Err("organ id \"000-00.00.G22\": character '-' at position 4 should be '.' (NNN.NN.NN.LNN)"),
        );
        check_organ(
            "000.00.00.GA2",
            Err("organ id \"000.00.00.GA2\": character 'A' at position 12 should be a digit (NNN.NN.NN.LNN)"),
        );
        // Thirteen characters, but one of them is not ASCII.
        check_organ(
            "000.00.00.Đ22",
            Err("organ id \"000.00.00.Đ22\": character 'Đ' at position 11 should be an upper-case letter A-Z (NNN.NN.NN.LNN)"),
        );
    }

    fn check_date(input: &str, expected: Result<(i32, u32, u32), &str>) {
        let got = input.parse::<EdDate>();
        match expected {
            Ok((y, m, d)) => {
                let date = got.unwrap();
                assert_eq!(date.date(), NaiveDate::from_ymd_opt(y, m, d).unwrap());
                assert_eq!(date.to_string(), input);
            }
            Err(message) => assert_eq!(got.map_err(|e| e.to_string()), Err(message.to_owned())),
        }
    }

    #[test]
    fn dates() {
        check_date("2015/09/30", Ok((2015, 9, 30)));
        check_date("2024/02/29", Ok((2024, 2, 29)));
        check_date(
            "2014/02/30",
            Err("\"2014/02/30\" is not a real calendar date"),
        );
        check_date(
            "2015-09-30",
            Err("\"2015-09-30\" is not a date in the form yyyy/MM/dd"),
        );
        check_date(
            "2015/9/30",
            Err("\"2015/9/30\" is not a date in the form yyyy/MM/dd"),
        );
        check_date("", Err("\"\" is not a date in the form yyyy/MM/dd"));
        check_date(
            "２015/09/30",
            Err("\"２015/09/30\" is not a date in the form yyyy/MM/dd"),
        );
    }

    #[test]
    fn timestamps() {
        let ok: EdTimestamp = "2018/09/28 17:25:11".parse().unwrap();
        assert_eq!(ok.to_string(), "2018/09/28 17:25:11");
        assert_eq!(
            "2018/09/28 24:00:00"
                .parse::<EdTimestamp>()
                .map_err(|e| e.to_string()),
            Err("\"2018/09/28 24:00:00\" is not a real calendar time".to_owned())
        );
        assert_eq!(
            "2018/09/28T17:25:11"
                .parse::<EdTimestamp>()
                .map_err(|e| e.to_string()),
            Err("\"2018/09/28T17:25:11\" is not a date in the form yyyy/MM/dd HH:mm:ss".to_owned())
        );
        assert!("2018/09/28".parse::<EdTimestamp>().is_err());
    }

    fn check_document_id(input: &str, expected: Result<(&str, &str, &str, &str), &str>) {
        let got = input.parse::<DocumentId>();
        match expected {
            Ok((organ, date, number, notation)) => {
                let id = got.unwrap();
                assert_eq!(id.organ_id().as_str(), organ);
                assert_eq!(id.date().to_string(), date);
                assert_eq!(id.number(), number);
                assert_eq!(id.notation(), notation);
                assert_eq!(id.to_string(), input);
            }
            Err(message) => assert_eq!(got.map_err(|e| e.to_string()), Err(message.to_owned())),
        }
    }

    #[test]
    fn document_ids() {
        check_document_id(
            "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
            Ok(("000.00.00.G22", "2015/09/30", "7816", "VPCP-TTĐT")),
        );
        check_document_id(
            "000.00.04.G14,2012/08/06,267/VPCP-TTĐT",
            Ok(("000.00.04.G14", "2012/08/06", "267", "VPCP-TTĐT")),
        );
        // A notation may itself contain slashes (e.g. a joint document).
        check_document_id(
            "000.00.00.H26,2026/02/05,05/2026/QĐ-UBND",
            Ok(("000.00.00.H26", "2026/02/05", "05", "2026/QĐ-UBND")),
        );
        check_document_id(
            "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT",
            Err("document id \"000.00.00.G22,2014/02/30,7806/VPCP-TTĐT\": \"2014/02/30\" is not a real calendar date"),
        );
        check_document_id(
            "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb",
            Err("document id \"9fbfbad2-f1f8-4256-a2eb-50fb1061cddb\" should have three parts OrganId,yyyy/MM/dd,Number/Notation"),
        );
        check_document_id(
            "28.22.H17,2015/09/30,1/A",
            Err("document id \"28.22.H17,2015/09/30,1/A\": organ id \"28.22.H17\" has 9 characters, expected 13 (NNN.NN.NN.LNN)"),
        );
        check_document_id(
            "000.00.00.G22,2015/09/30,VPCP-TTĐT",
            Err("document id \"000.00.00.G22,2015/09/30,VPCP-TTĐT\": \"VPCP-TTĐT\" should be Number/Notation, e.g. 7816/VPCP-TTĐT"),
        );
        check_document_id(
            "000.00.00.G22,2015/09/30,74fass22/VPCP",
            Err("document id \"000.00.00.G22,2015/09/30,74fass22/VPCP\": \"74fass22/VPCP\" should be Number/Notation, e.g. 7816/VPCP-TTĐT"),
        );
    }

    #[test]
    fn document_id_builder_and_serde() {
        let id = DocumentId::new(
            "000.00.00.G22".parse().unwrap(),
            "2015/09/30".parse().unwrap(),
            "7816",
            "VPCP-TTĐT",
        )
        .unwrap();
        assert_eq!(id.code(), "7816/VPCP-TTĐT");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"000.00.00.G22,2015/09/30,7816/VPCP-TTĐT\"");
        assert_eq!(serde_json::from_str::<DocumentId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<OrganId>("\"28.22.H17\"").is_err());
    }
}
