//! Values as a peer sent them: parsed when well-formed, otherwise kept as raw text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A typed field as it appeared in a message.
///
/// Real peers send malformed organ ids, impossible dates and placeholder values. Dropping
/// them would lose what a clerk needs to answer the sender, so the importer keeps the text
/// in [`Lenient::Invalid`] and reports the defect as a [`FieldIssue`](crate::FieldIssue).
/// The writer prints either variant back as it is, so a message can be forwarded unchanged.
///
/// In JSON both variants are the plain edXML text: a string that parses becomes `Valid`,
/// any other string `Invalid`, which is exactly what the XML reader does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lenient<T> {
    /// The text parsed into the typed value.
    Valid(T),
    /// The text (trimmed of surrounding XML whitespace) that did not parse.
    Invalid(String),
}

impl<T: FromStr> Lenient<T> {
    /// Parses `text` after trimming XML whitespace (space, tab, CR, LF) around it.
    pub fn parse(text: &str) -> Self {
        let trimmed = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
        match trimmed.parse() {
            Ok(value) => Self::Valid(value),
            Err(_) => Self::Invalid(trimmed.to_owned()),
        }
    }
}

impl<T> Lenient<T> {
    /// The typed value, if the text was well-formed.
    pub fn valid(&self) -> Option<&T> {
        match self {
            Self::Valid(value) => Some(value),
            Self::Invalid(_) => None,
        }
    }

    /// Whether the text was well-formed.
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid(_))
    }
}

impl<T: fmt::Display> Lenient<T> {
    /// The edXML text of the value, valid or not.
    pub fn text(&self) -> String {
        match self {
            Self::Valid(value) => value.to_string(),
            Self::Invalid(raw) => raw.clone(),
        }
    }
}

impl<T> From<T> for Lenient<T> {
    fn from(value: T) -> Self {
        Self::Valid(value)
    }
}

impl<T: fmt::Display> Serialize for Lenient<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text())
    }
}

impl<'de, T: FromStr> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self::parse(&text))
    }
}
