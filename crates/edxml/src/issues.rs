//! Field-by-field problems found while importing or validating a message.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    /// The message deviates from the standard but nothing was lost (an unknown element, a
    /// value inconsistent with another one, a code with no known meaning).
    Warning,
    /// A mandatory field is missing or a value is unusable; the raw text is kept where
    /// there was one.
    Error,
}

/// What kind of problem it is, so that a user interface can word it in Vietnamese without
/// parsing [`FieldIssue::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IssueKind {
    /// A mandatory element is absent.
    Missing,
    /// An element is present but empty.
    Empty,
    /// A value does not have the form the standard requires.
    Malformed,
    /// A code is not in the standard's list or has no known meaning.
    UnknownCode,
    /// Two values that should agree do not.
    Inconsistent,
    /// An element this crate does not know was skipped.
    UnknownElement,
    /// An element that may appear once appeared again; the first one is kept.
    Duplicate,
    /// A namespace problem (undeclared prefix, wrong namespace).
    Namespace,
    /// Text where the standard has none (outside the root, or mixed with elements).
    StrayText,
    /// An attachment's content could not be decoded.
    Attachment,
}

/// One problem with one field, found while importing a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldIssue {
    /// Where: element names from `edXMLHeader`'s children down, one-based indexes on
    /// repeated elements, e.g. `MessageHeader/To[2]/OrganId`.
    pub path: String,
    /// How serious.
    pub severity: Severity,
    /// What kind of problem.
    pub kind: IssueKind,
    /// What is wrong, in English, for logs and developers.
    pub message: String,
}

impl fmt::Display for FieldIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{severity}: {}: {}", self.path, self.message)
    }
}

/// A parsed value and the problems found in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parsed<T> {
    /// Everything that could be read.
    pub value: T,
    /// The problems, in document order, then the checks that span several fields.
    pub issues: Vec<FieldIssue>,
}

impl<T> Parsed<T> {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.issues
            .iter()
            .any(|issue| issue.severity == Severity::Error)
    }
}
