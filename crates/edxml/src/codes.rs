//! Small code lists of the standard: business types and status codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A code that is not in the standard's list.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{text:?} is not a known {list} ({expected})")]
pub struct CodeError {
    /// The offending text.
    pub text: String,
    /// Which list was consulted.
    pub list: &'static str,
    /// The accepted values.
    pub expected: &'static str,
}

/// What a document message does to the document it carries (`Bussiness/BussinessDocType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum BussinessDocType {
    /// 0: a new document.
    New,
    /// 1: revoke a document sent earlier.
    Revoke,
    /// 2: update a document sent earlier (recipients or metadata).
    Update,
    /// 3: replace documents sent earlier.
    Replace,
}

impl BussinessDocType {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            Self::New => 0,
            Self::Revoke => 1,
            Self::Update => 2,
            Self::Replace => 3,
        }
    }
}

impl FromStr for BussinessDocType {
    type Err = CodeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "0" => Ok(Self::New),
            "1" => Ok(Self::Revoke),
            "2" => Ok(Self::Update),
            "3" => Ok(Self::Replace),
            _ => Err(CodeError {
                text: text.to_owned(),
                list: "business document type",
                expected: "0 new, 1 revoke, 2 update, 3 replace",
            }),
        }
    }
}

impl fmt::Display for BussinessDocType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl TryFrom<String> for BussinessDocType {
    type Error = CodeError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<BussinessDocType> for String {
    fn from(value: BussinessDocType) -> Self {
        value.to_string()
    }
}

/// The meaning of the status codes that the standard and the hub's SDK define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatusKind {
    /// 01: arrived in the recipient's document system, not yet handled by the clerk.
    Arrived,
    /// 02: the recipient's clerk refused the document.
    Rejected,
    /// 03: accepted and registered as incoming, awaiting assignment.
    Accepted,
    /// 04: a leader assigned it for handling.
    Assigned,
    /// 05: being handled.
    Processing,
    /// 06: handling finished.
    Done,
    /// 13: the sender asks to take the document back (revocation/cancellation).
    Cancelled,
    /// 15: the recipient accepted a requested update or take-back.
    ChangeAccepted,
    /// 16: the recipient refused a requested update or take-back.
    ChangeRefused,
}

impl StatusKind {
    /// English name, for logs and developers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Arrived => "arrived",
            Self::Rejected => "rejected",
            Self::Accepted => "accepted",
            Self::Assigned => "assigned",
            Self::Processing => "processing",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
            Self::ChangeAccepted => "change accepted",
            Self::ChangeRefused => "change refused",
        }
    }

    /// Vietnamese label for clerks, as the hub's sample messages word it.
    pub fn vietnamese_name(self) -> &'static str {
        match self {
            Self::Arrived => "Đã đến",
            Self::Rejected => "Từ chối tiếp nhận",
            Self::Accepted => "Đã tiếp nhận",
            Self::Assigned => "Phân công",
            Self::Processing => "Đang xử lý",
            Self::Done => "Hoàn thành",
            Self::Cancelled => "Lấy lại",
            Self::ChangeAccepted => "Đồng ý cập nhật, lấy lại",
            Self::ChangeRefused => "Từ chối cập nhật, lấy lại",
        }
    }
}

/// A status code `01`–`16` (`StatusCode` of a status message).
///
/// The range is the standard's; codes 07–12 and 14 are in range but no meaning for them
/// appears in the standard's summary or the hub's SDK, so [`StatusCode::kind`] is `None`
/// for them and the importer warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StatusCode(u8);

impl StatusCode {
    /// 01 arrived.
    pub const ARRIVED: Self = Self(1);
    /// 02 rejected.
    pub const REJECTED: Self = Self(2);
    /// 03 accepted.
    pub const ACCEPTED: Self = Self(3);
    /// 04 assigned.
    pub const ASSIGNED: Self = Self(4);
    /// 05 processing.
    pub const PROCESSING: Self = Self(5);
    /// 06 done.
    pub const DONE: Self = Self(6);
    /// 13 cancelled (taken back).
    pub const CANCELLED: Self = Self(13);
    /// 15 change accepted.
    pub const CHANGE_ACCEPTED: Self = Self(15);
    /// 16 change refused.
    pub const CHANGE_REFUSED: Self = Self(16);

    /// A code from its number, if it is in 1..=16.
    pub fn new(number: u8) -> Option<Self> {
        (1..=16).contains(&number).then_some(Self(number))
    }

    /// The number.
    pub fn number(self) -> u8 {
        self.0
    }

    /// The meaning, when the code has a known one.
    pub fn kind(self) -> Option<StatusKind> {
        Some(match self.0 {
            1 => StatusKind::Arrived,
            2 => StatusKind::Rejected,
            3 => StatusKind::Accepted,
            4 => StatusKind::Assigned,
            5 => StatusKind::Processing,
            6 => StatusKind::Done,
            13 => StatusKind::Cancelled,
            15 => StatusKind::ChangeAccepted,
            16 => StatusKind::ChangeRefused,
            _ => return None,
        })
    }
}

impl From<StatusKind> for StatusCode {
    fn from(kind: StatusKind) -> Self {
        match kind {
            StatusKind::Arrived => Self::ARRIVED,
            StatusKind::Rejected => Self::REJECTED,
            StatusKind::Accepted => Self::ACCEPTED,
            StatusKind::Assigned => Self::ASSIGNED,
            StatusKind::Processing => Self::PROCESSING,
            StatusKind::Done => Self::DONE,
            StatusKind::Cancelled => Self::CANCELLED,
            StatusKind::ChangeAccepted => Self::CHANGE_ACCEPTED,
            StatusKind::ChangeRefused => Self::CHANGE_REFUSED,
        }
    }
}

impl FromStr for StatusCode {
    type Err = CodeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || CodeError {
            text: text.to_owned(),
            list: "status code",
            expected: "two digits 01-16",
        };
        let bytes = text.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(error());
        }
        Self::new((bytes[0] - b'0') * 10 + (bytes[1] - b'0')).ok_or_else(error)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

impl TryFrom<String> for StatusCode {
    type Error = CodeError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<StatusCode> for String {
    fn from(code: StatusCode) -> Self {
        code.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_status(input: &str, expected: Result<(u8, Option<&str>), &str>) {
        let got = input.parse::<StatusCode>();
        match expected {
            Ok((number, name)) => {
                let code = got.unwrap();
                assert_eq!(code.number(), number);
                assert_eq!(code.kind().map(StatusKind::name), name);
                assert_eq!(code.to_string(), input);
            }
            Err(message) => assert_eq!(got.map_err(|e| e.to_string()), Err(message.to_owned())),
        }
    }

    #[test]
    fn status_codes() {
        check_status("01", Ok((1, Some("arrived"))));
        check_status("02", Ok((2, Some("rejected"))));
        check_status("03", Ok((3, Some("accepted"))));
        check_status("04", Ok((4, Some("assigned"))));
        check_status("05", Ok((5, Some("processing"))));
        check_status("06", Ok((6, Some("done"))));
        check_status("07", Ok((7, None)));
        check_status("13", Ok((13, Some("cancelled"))));
        check_status("14", Ok((14, None)));
        check_status("15", Ok((15, Some("change accepted"))));
        check_status("16", Ok((16, Some("change refused"))));
        check_status(
            "00",
            Err("\"00\" is not a known status code (two digits 01-16)"),
        );
        check_status(
            "17",
            Err("\"17\" is not a known status code (two digits 01-16)"),
        );
        check_status(
            "1",
            Err("\"1\" is not a known status code (two digits 01-16)"),
        );
        check_status(
            "+1",
            Err("\"+1\" is not a known status code (two digits 01-16)"),
        );
    }

    #[test]
    fn every_kind_maps_back_to_its_code() {
        for number in 1..=16 {
            let code = StatusCode::new(number).unwrap();
            if let Some(kind) = code.kind() {
                assert_eq!(StatusCode::from(kind), code);
                assert!(!kind.vietnamese_name().is_empty());
            }
        }
    }

    #[test]
    fn business_types() {
        for (text, kind) in [
            ("0", BussinessDocType::New),
            ("1", BussinessDocType::Revoke),
            ("2", BussinessDocType::Update),
            ("3", BussinessDocType::Replace),
        ] {
            assert_eq!(text.parse::<BussinessDocType>(), Ok(kind));
            assert_eq!(kind.to_string(), text);
        }
        assert_eq!(
            "4".parse::<BussinessDocType>().map_err(|e| e.to_string()),
            Err("\"4\" is not a known business document type (0 new, 1 revoke, 2 update, 3 replace)".to_owned())
        );
    }
}
