//! Vietnamese language and calendar kit for congso.
//!
//! This crate is pure: it performs no IO, keeps no global mutable state and
//! never panics on input. Everything that comes from outside (text, legacy
//! bytes, operator holiday files, identifiers) is parsed from memory and
//! rejected with a typed error when it is malformed.
//!
//! - [`text`]: NFC, tone-placement normalisation, search folding, collation.
//! - [`id`]: organ codes, citizen identity numbers, mobile numbers, tax codes.
//! - [`calendar`]: lunar calendar (UTC+7), official holidays, working days.
//! - [`format`]: Decree 30 date lines, numbers in words, number formatting.
//! - [`encoding`]: TCVN3, VNI, VISCII, VIQR and Windows-1258 converters.

pub mod calendar;
pub mod encoding;
pub mod format;
pub mod id;
mod letters;
pub mod text;

/// The date library of the public API, re-exported so callers use the same version.
pub use time;
