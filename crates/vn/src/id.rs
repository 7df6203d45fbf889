//! Vietnamese identifiers: organ codes, citizen identity numbers, mobile
//! numbers and tax codes, each parsed into a type that can only hold a valid
//! value, with an error enum that says what was wrong and where.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Describes a character for an error message: printable ones as themselves.
fn shown(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        c.to_string()
    }
}

// ---------------------------------------------------------------------------
// Organ codes
// ---------------------------------------------------------------------------

/// An agency identifier of the national code list, `NNN.NN.NN.LNN`
/// (for example `000.00.00.G22`, the Government Office).
///
/// The code list itself changes (it was amended in 2025), so only the shape is
/// checked here; whether a code is assigned is a question for the directory.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrganCode(String);

/// Why a string is not an organ code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrganCodeError {
    #[error("organ code must be 13 characters (NNN.NN.NN.LNN), got {0}")]
    WrongLength(usize),
    #[error("organ code position {position} must be a digit, found '{found}'")]
    NotADigit { position: usize, found: String },
    #[error("organ code position {position} must be '.', found '{found}'")]
    MissingDot { position: usize, found: String },
    #[error("organ code position {position} must be an upper-case letter A-Z, found '{found}'")]
    NotALetter { position: usize, found: String },
}

impl OrganCode {
    /// Parses `NNN.NN.NN.LNN`; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, OrganCodeError> {
        let code = input.trim();
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 13 {
            return Err(OrganCodeError::WrongLength(chars.len()));
        }
        for (index, &c) in chars.iter().enumerate() {
            let position = index + 1;
            match index {
                3 | 6 | 9 if c != '.' => {
                    return Err(OrganCodeError::MissingDot {
                        position,
                        found: shown(c),
                    })
                }
                10 if !c.is_ascii_uppercase() => {
                    return Err(OrganCodeError::NotALetter {
                        position,
                        found: shown(c),
                    })
                }
                3 | 6 | 9 | 10 => {}
                _ if !c.is_ascii_digit() => {
                    return Err(OrganCodeError::NotADigit {
                        position,
                        found: shown(c),
                    })
                }
                _ => {}
            }
        }
        Ok(OrganCode(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The letter of the last group (`G` in `000.00.00.G22`, `H` in `000.00.00.H26`).
    pub fn level_letter(&self) -> char {
        self.0.chars().nth(10).unwrap_or('?')
    }
}

impl FromStr for OrganCode {
    type Err = OrganCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrganCode::parse(s)
    }
}

impl TryFrom<String> for OrganCode {
    type Error = OrganCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        OrganCode::parse(&value)
    }
}

impl From<OrganCode> for String {
    fn from(code: OrganCode) -> String {
        code.0
    }
}

impl fmt::Display for OrganCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------
// Citizen identity numbers
// ---------------------------------------------------------------------------

/// Province codes of the 12-digit personal identification number
/// (Circular 07/2016/TT-BCA, amended by 59/2021/TT-BCA). Numbers keep their
/// code after the 2025 merger of provinces, so the 63 historical codes stay valid.
const PROVINCES: [(u16, &str); 63] = [
    (1, "Hà Nội"),
    (2, "Hà Giang"),
    (4, "Cao Bằng"),
    (6, "Bắc Kạn"),
    (8, "Tuyên Quang"),
    (10, "Lào Cai"),
    (11, "Điện Biên"),
    (12, "Lai Châu"),
    (14, "Sơn La"),
    (15, "Yên Bái"),
    (17, "Hòa Bình"),
    (19, "Thái Nguyên"),
    (20, "Lạng Sơn"),
    (22, "Quảng Ninh"),
    (24, "Bắc Giang"),
    (25, "Phú Thọ"),
    (26, "Vĩnh Phúc"),
    (27, "Bắc Ninh"),
    (30, "Hải Dương"),
    (31, "Hải Phòng"),
    (33, "Hưng Yên"),
    (34, "Thái Bình"),
    (35, "Hà Nam"),
    (36, "Nam Định"),
    (37, "Ninh Bình"),
    (38, "Thanh Hóa"),
    (40, "Nghệ An"),
    (42, "Hà Tĩnh"),
    (44, "Quảng Bình"),
    (45, "Quảng Trị"),
    (46, "Thừa Thiên Huế"),
    (48, "Đà Nẵng"),
    (49, "Quảng Nam"),
    (51, "Quảng Ngãi"),
    (52, "Bình Định"),
    (54, "Phú Yên"),
    (56, "Khánh Hòa"),
    (58, "Ninh Thuận"),
    (60, "Bình Thuận"),
    (62, "Kon Tum"),
    (64, "Gia Lai"),
    (66, "Đắk Lắk"),
    (67, "Đắk Nông"),
    (68, "Lâm Đồng"),
    (70, "Bình Phước"),
    (72, "Tây Ninh"),
    (74, "Bình Dương"),
    (75, "Đồng Nai"),
    (77, "Bà Rịa - Vũng Tàu"),
    (79, "Hồ Chí Minh"),
    (80, "Long An"),
    (82, "Tiền Giang"),
    (83, "Bến Tre"),
    (84, "Trà Vinh"),
    (86, "Vĩnh Long"),
    (87, "Đồng Tháp"),
    (89, "An Giang"),
    (91, "Kiên Giang"),
    (92, "Cần Thơ"),
    (93, "Hậu Giang"),
    (94, "Sóc Trăng"),
    (95, "Bạc Liêu"),
    (96, "Cà Mau"),
];

/// Sex as encoded in the century/sex digit of a CCCD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

/// A 12-digit citizen identity number (số định danh cá nhân / CCCD):
/// 3 digits province of birth registration, 1 digit century and sex,
/// 2 digits year of birth, 6 digits serial.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cccd(String);

/// Why a string is not a citizen identity number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CccdError {
    #[error("citizen identity number must have 12 digits, got {0} characters")]
    WrongLength(usize),
    #[error("citizen identity number position {position} must be a digit, found '{found}'")]
    NotADigit { position: usize, found: String },
    #[error("citizen identity number starts with unknown province code {0:03}")]
    UnknownProvince(u16),
}

impl Cccd {
    /// Parses 12 digits; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, CccdError> {
        let number = input.trim();
        let chars: Vec<char> = number.chars().collect();
        if let Some((index, &c)) = chars.iter().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(CccdError::NotADigit {
                position: index + 1,
                found: shown(c),
            });
        }
        if chars.len() != 12 {
            return Err(CccdError::WrongLength(chars.len()));
        }
        let province = digits_value(&number[..3]);
        if province_name(province).is_none() {
            return Err(CccdError::UnknownProvince(province));
        }
        Ok(Cccd(number.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The province code (first three digits), for example 1 for Hà Nội.
    pub fn province_code(&self) -> u16 {
        digits_value(&self.0[..3])
    }

    /// The province's name as it was when the code list was made.
    pub fn province_name(&self) -> &'static str {
        province_name(self.province_code()).unwrap_or("?")
    }

    fn century_digit(&self) -> u16 {
        digits_value(&self.0[3..4])
    }

    pub fn sex(&self) -> Sex {
        if self.century_digit() & 1 == 0 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Year of birth: digits 0/1 mean the 20th century, 2/3 the 21st, and so on.
    pub fn birth_year(&self) -> u16 {
        let century_start = 1900 + (self.century_digit() / 2) * 100;
        century_start + digits_value(&self.0[4..6])
    }

    /// The six-digit serial part.
    pub fn serial(&self) -> &str {
        &self.0[6..]
    }
}

fn digits_value(digits: &str) -> u16 {
    digits.bytes().fold(0u16, |acc, b| {
        acc.saturating_mul(10).saturating_add(u16::from(b - b'0'))
    })
}

fn province_name(code: u16) -> Option<&'static str> {
    PROVINCES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

impl FromStr for Cccd {
    type Err = CccdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cccd::parse(s)
    }
}

impl TryFrom<String> for Cccd {
    type Error = CccdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Cccd::parse(&value)
    }
}

impl From<Cccd> for String {
    fn from(value: Cccd) -> String {
        value.0
    }
}

impl fmt::Display for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------
// Mobile numbers
// ---------------------------------------------------------------------------

/// The network a mobile prefix was allocated to (informational: numbers can
/// be ported between networks since 2018).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Carrier {
    Viettel,
    Vinaphone,
    Mobifone,
    Vietnamobile,
    Gmobile,
    Itelecom,
    Wintel,
}

/// Current 10-digit mobile prefixes (after the 2018 conversion of 11-digit numbers).
const MOBILE_PREFIXES: [(&str, Carrier); 36] = [
    ("032", Carrier::Viettel),
    ("033", Carrier::Viettel),
    ("034", Carrier::Viettel),
    ("035", Carrier::Viettel),
    ("036", Carrier::Viettel),
    ("037", Carrier::Viettel),
    ("038", Carrier::Viettel),
    ("039", Carrier::Viettel),
    ("086", Carrier::Viettel),
    ("096", Carrier::Viettel),
    ("097", Carrier::Viettel),
    ("098", Carrier::Viettel),
    ("081", Carrier::Vinaphone),
    ("082", Carrier::Vinaphone),
    ("083", Carrier::Vinaphone),
    ("084", Carrier::Vinaphone),
    ("085", Carrier::Vinaphone),
    ("088", Carrier::Vinaphone),
    ("091", Carrier::Vinaphone),
    ("094", Carrier::Vinaphone),
    ("070", Carrier::Mobifone),
    ("076", Carrier::Mobifone),
    ("077", Carrier::Mobifone),
    ("078", Carrier::Mobifone),
    ("079", Carrier::Mobifone),
    ("089", Carrier::Mobifone),
    ("090", Carrier::Mobifone),
    ("093", Carrier::Mobifone),
    ("052", Carrier::Vietnamobile),
    ("056", Carrier::Vietnamobile),
    ("058", Carrier::Vietnamobile),
    ("092", Carrier::Vietnamobile),
    ("059", Carrier::Gmobile),
    ("099", Carrier::Gmobile),
    ("087", Carrier::Itelecom),
    ("055", Carrier::Wintel),
];

/// A Vietnamese mobile number, stored in national form `0XXXXXXXXX`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MobileNumber(String);

/// Why a string is not a Vietnamese mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MobileNumberError {
    #[error("mobile number is empty")]
    Empty,
    #[error("mobile number has an unexpected character '{found}' at position {position}")]
    InvalidCharacter { position: usize, found: String },
    #[error("mobile number must have 10 digits in national form (0XXXXXXXXX), got {0}")]
    WrongLength(usize),
    #[error("mobile number prefix {0} is not a Vietnamese mobile prefix")]
    UnknownPrefix(String),
}

impl MobileNumber {
    /// Parses national (`0912 345 678`) or international (`+84 912 345 678`,
    /// `84912345678`, `0084…`) forms; spaces, dots, dashes and brackets are ignored.
    pub fn parse(input: &str) -> Result<Self, MobileNumberError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(MobileNumberError::Empty);
        }
        let mut digits = String::with_capacity(12);
        let mut international = false;
        for (index, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if digits.is_empty() && !international => international = true,
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => {
                    return Err(MobileNumberError::InvalidCharacter {
                        position: index + 1,
                        found: shown(c),
                    })
                }
            }
        }
        let national = if let Some(rest) = digits.strip_prefix("0084") {
            format!("0{rest}")
        } else if let Some(rest) = digits
            .strip_prefix("84")
            .filter(|rest| international || rest.len() == 9)
        {
            format!("0{rest}")
        } else if international {
            return Err(MobileNumberError::UnknownPrefix(format!("+{digits}")));
        } else {
            digits
        };
        if national.len() != 10 {
            return Err(MobileNumberError::WrongLength(national.len()));
        }
        let prefix = &national[..3];
        if !MOBILE_PREFIXES.iter().any(|(p, _)| *p == prefix) {
            return Err(MobileNumberError::UnknownPrefix(prefix.to_owned()));
        }
        Ok(MobileNumber(national))
    }

    /// National form, `0XXXXXXXXX`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// International E.164 form, `+84XXXXXXXXX`.
    pub fn e164(&self) -> String {
        format!("+84{}", &self.0[1..])
    }

    /// The network the prefix was allocated to.
    pub fn carrier(&self) -> Carrier {
        let prefix = &self.0[..3];
        MOBILE_PREFIXES
            .iter()
            .find(|(p, _)| *p == prefix)
            .map_or(Carrier::Viettel, |(_, carrier)| *carrier)
    }
}

impl FromStr for MobileNumber {
    type Err = MobileNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MobileNumber::parse(s)
    }
}

impl TryFrom<String> for MobileNumber {
    type Error = MobileNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        MobileNumber::parse(&value)
    }
}

impl From<MobileNumber> for String {
    fn from(value: MobileNumber) -> String {
        value.0
    }
}

impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------
// Tax codes
// ---------------------------------------------------------------------------

/// The three shapes a tax code (mã số thuế) takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaxCodeKind {
    /// 10 digits: an enterprise, organisation or (before July 2025) individual.
    Main,
    /// 13 digits: a dependent unit or branch, the parent's 10 digits plus 001–999.
    Branch,
    /// 12 digits: an individual's personal identification number, used as the
    /// tax code from 1 July 2025 (Circular 86/2024/TT-BTC).
    PersonalId,
}

/// A Vietnamese tax code, stored without separators.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaxCode(String);

/// Why a string is not a tax code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TaxCodeError {
    #[error("tax code has an unexpected character '{found}' at position {position}")]
    InvalidCharacter { position: usize, found: String },
    #[error(
        "tax code must have 10 or 13 digits (or 12 for a personal identification number), got {0}"
    )]
    WrongLength(usize),
    #[error("tax code serial digits 3-9 must not all be zero")]
    ZeroSerial,
    #[error("tax code check digit is {found}, expected {expected}")]
    BadCheckDigit { expected: u8, found: u8 },
    #[error("tax code check digit cannot be computed: the first nine digits are never issued")]
    UnissuedNumber,
    #[error("tax code branch number must be 001-999, got 000")]
    ZeroBranch,
    #[error("tax code is 12 digits but not a valid personal identification number: {0}")]
    PersonalId(CccdError),
}

const TAX_WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

impl TaxCode {
    /// Parses `0100109106`, `0100109106-001`, `0100109106001`, or a 12-digit
    /// personal identification number; spaces are ignored, a single dash is
    /// allowed only between the main number and the branch.
    pub fn parse(input: &str) -> Result<Self, TaxCodeError> {
        let trimmed = input.trim();
        let mut digits = String::with_capacity(13);
        for (index, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '-' if digits.len() == 10 => {}
                ' ' => {}
                _ => {
                    return Err(TaxCodeError::InvalidCharacter {
                        position: index + 1,
                        found: shown(c),
                    })
                }
            }
        }
        match digits.len() {
            10 | 13 => {}
            12 => {
                Cccd::parse(&digits).map_err(TaxCodeError::PersonalId)?;
                return Ok(TaxCode(digits));
            }
            other => return Err(TaxCodeError::WrongLength(other)),
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        if values[2..9].iter().all(|&d| d == 0) {
            return Err(TaxCodeError::ZeroSerial);
        }
        let total: u32 = values[..9]
            .iter()
            .zip(TAX_WEIGHTS)
            .map(|(d, w)| d * w)
            .sum();
        let check = 10 - (total % 11);
        if check == 10 {
            return Err(TaxCodeError::UnissuedNumber);
        }
        let found = values[9] as u8;
        if check as u8 != found {
            return Err(TaxCodeError::BadCheckDigit {
                expected: check as u8,
                found,
            });
        }
        if digits.len() == 13 && &digits[10..] == "000" {
            return Err(TaxCodeError::ZeroBranch);
        }
        Ok(TaxCode(digits))
    }

    /// Digits only, without the branch dash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> TaxCodeKind {
        match self.0.len() {
            13 => TaxCodeKind::Branch,
            12 => TaxCodeKind::PersonalId,
            _ => TaxCodeKind::Main,
        }
    }

    /// The conventional display form: `0100109106-001` for branches.
    pub fn display_form(&self) -> String {
        if self.0.len() == 13 {
            format!("{}-{}", &self.0[..10], &self.0[10..])
        } else {
            self.0.clone()
        }
    }
}

impl FromStr for TaxCode {
    type Err = TaxCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaxCode::parse(s)
    }
}

impl TryFrom<String> for TaxCode {
    type Error = TaxCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        TaxCode::parse(&value)
    }
}

impl From<TaxCode> for String {
    fn from(value: TaxCode) -> String {
        value.0
    }
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_form())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organ_codes() {
        let code: OrganCode = "000.00.00.G22".parse().unwrap();
        assert_eq!(code.as_str(), "000.00.00.G22");
        assert_eq!(code.to_string(), "000.00.00.G22");
        assert_eq!(code.level_letter(), 'G');
        assert_eq!(
            serde_json::to_string(&code).unwrap_or_default(),
            "\"000.00.00.G22\""
        );
        let check_err = |input: &str, expected: OrganCodeError| {
            assert_eq!(OrganCode::parse(input), Err(expected), "{input:?}");
        };
        check_err("000.00.00.G2", OrganCodeError::WrongLength(12));
        check_err(
            "000-00.00.G22",
            OrganCodeError::MissingDot {
                position: 4,
                found: "-".into(),
            },
        );
        check_err(
            "000.00.00.g22",
            OrganCodeError::NotALetter {
                position: 11,
                found: "g".into(),
            },
        );
        check_err(
            "0a0.00.00.G22",
            OrganCodeError::NotADigit {
                position: 2,
                found: "a".into(),
            },
        );
        check_err("", OrganCodeError::WrongLength(0));
        assert!(OrganCode::parse("000.00.00.H26").is_ok());
    }

    #[test]
    fn cccd() {
        let id = Cccd::parse("001203012345").unwrap();
        assert_eq!(id.province_code(), 1);
        assert_eq!(id.province_name(), "Hà Nội");
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.birth_year(), 2003);
        assert_eq!(id.serial(), "012345");
        let id = Cccd::parse("079185000001").unwrap();
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.birth_year(), 1985);
        assert_eq!(Cccd::parse("0012030123"), Err(CccdError::WrongLength(10)));
        assert_eq!(
            Cccd::parse("003203012345"),
            Err(CccdError::UnknownProvince(3))
        );
        assert_eq!(
            Cccd::parse("097203012345"),
            Err(CccdError::UnknownProvince(97))
        );
        assert_eq!(
            Cccd::parse("00120301234x"),
            Err(CccdError::NotADigit {
                position: 12,
                found: "x".into()
            })
        );
    }

    #[test]
    fn mobile_numbers() {
        let check = |input: &str, national: &str, carrier: Carrier| {
            let number = MobileNumber::parse(input).unwrap();
            assert_eq!(number.as_str(), national, "{input:?}");
            assert_eq!(number.carrier(), carrier, "{input:?}");
        };
        check("0912345678", "0912345678", Carrier::Vinaphone);
        check("+84 912 345 678", "0912345678", Carrier::Vinaphone);
        check("84912345678", "0912345678", Carrier::Vinaphone);
        check("0084.98.765.4321", "0987654321", Carrier::Viettel);
        check("(+84) 35-123-4567", "0351234567", Carrier::Viettel);
        check("0701234567", "0701234567", Carrier::Mobifone);
        check("0841234567", "0841234567", Carrier::Vinaphone);
        assert_eq!(
            MobileNumber::parse("0912345678").unwrap().e164(),
            "+84912345678"
        );
        assert_eq!(MobileNumber::parse(" "), Err(MobileNumberError::Empty));
        assert_eq!(
            MobileNumber::parse("01234567890"),
            Err(MobileNumberError::WrongLength(11))
        );
        assert_eq!(
            MobileNumber::parse("0242345678"),
            Err(MobileNumberError::UnknownPrefix("024".into()))
        );
        assert_eq!(
            MobileNumber::parse("+1 202 555 0100"),
            Err(MobileNumberError::UnknownPrefix("+12025550100".into()))
        );
        assert_eq!(
            MobileNumber::parse("09123x5678"),
            Err(MobileNumberError::InvalidCharacter {
                position: 6,
                found: "x".into()
            })
        );
    }

    #[test]
    fn tax_codes() {
        let code = TaxCode::parse("0314409058").unwrap();
        assert_eq!(code.kind(), TaxCodeKind::Main);
        let branch = TaxCode::parse("0314409058-002").unwrap();
        assert_eq!(branch.kind(), TaxCodeKind::Branch);
        assert_eq!(branch.as_str(), "0314409058002");
        assert_eq!(branch.to_string(), "0314409058-002");
        assert_eq!(
            TaxCode::parse("0314409058002").unwrap().as_str(),
            "0314409058002"
        );
        assert_eq!(
            TaxCode::parse("001203012345").unwrap().kind(),
            TaxCodeKind::PersonalId
        );
        assert_eq!(
            TaxCode::parse("0314409059"),
            Err(TaxCodeError::BadCheckDigit {
                expected: 8,
                found: 9
            })
        );
        assert_eq!(
            TaxCode::parse("0314409058-000"),
            Err(TaxCodeError::ZeroBranch)
        );
        assert_eq!(TaxCode::parse("0100000000"), Err(TaxCodeError::ZeroSerial));
        assert_eq!(
            TaxCode::parse("031440905"),
            Err(TaxCodeError::WrongLength(9))
        );
        assert_eq!(
            TaxCode::parse("03144-09058"),
            Err(TaxCodeError::InvalidCharacter {
                position: 6,
                found: "-".into()
            })
        );
    }
}
