//! The canonical archive record: what the ledger entry of an archived item
//! commits to (its SHA-256 is the entry's data hash).
//!
//! The bytes are compact JSON of [`ArchiveRecord`] with its fields in
//! declaration order, so the same item always gives the same bytes, and an
//! archive package carries them verbatim as `record.json`. The record holds
//! hashes, not content: the metadata, the edXML, every file and the
//! validation report are bound to it by their SHA-256.

use congso_store::archive::{ArchiveItem, Direction, FileRole};
use serde::{Deserialize, Serialize};

/// Version of the record format.
pub const RECORD_VERSION: u8 = 1;

/// One file as the record lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFile {
    pub position: i64,
    pub role: FileRole,
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub size: i64,
    /// The position of the file a detached signature or timestamp covers.
    pub signs: Option<i64>,
    /// The verdict of the signature check at archive time.
    pub verdict: Option<String>,
}

/// The canonical record of an archived item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRecord {
    pub v: u8,
    pub document_id: Option<i64>,
    pub direction: Direction,
    /// Send or receipt time, microseconds since the epoch (UTC).
    pub event_at: i64,
    pub metadata_sha256: String,
    pub edxml_sha256: Option<String>,
    pub files: Vec<RecordFile>,
    /// `valid`, `indeterminate`, `invalid` or `unsigned`.
    pub verdict: String,
    pub report_sha256: String,
    pub archived_at: i64,
    pub archived_by: String,
}

impl ArchiveRecord {
    /// The record of a stored item, recomputed from its columns (never from
    /// its stored `record_sha256`, which is what it is checked against).
    pub fn of_item(item: &ArchiveItem) -> Self {
        ArchiveRecord {
            v: RECORD_VERSION,
            document_id: item.document_id,
            direction: item.direction,
            event_at: item.event_at,
            metadata_sha256: item.metadata_sha256.clone(),
            edxml_sha256: item.edxml_sha256.clone(),
            files: item
                .files
                .iter()
                .map(|file| RecordFile {
                    position: file.position,
                    role: file.role,
                    name: file.name.clone(),
                    media_type: file.media_type.clone(),
                    sha256: file.sha256.clone(),
                    size: file.size,
                    signs: file.signs,
                    verdict: file.verdict.clone(),
                })
                .collect(),
            verdict: item.verdict.clone(),
            report_sha256: item.report_sha256.clone(),
            archived_at: item.archived_at,
            archived_by: item.archived_by.clone(),
        }
    }

    /// The canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // A struct of strings, integers and enums always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// SHA-256 of the canonical bytes, lower-case hex.
    pub fn sha256_hex(&self) -> String {
        crate::sha256_hex(&self.to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(name: String, event_at: i64, size: i64, signs: Option<i64>) -> ArchiveRecord {
        ArchiveRecord {
            v: RECORD_VERSION,
            document_id: Some(7),
            direction: Direction::Issued,
            event_at,
            metadata_sha256: "a".repeat(64),
            edxml_sha256: None,
            files: vec![RecordFile {
                position: 0,
                role: FileRole::Signed,
                name,
                media_type: "application/pdf".to_owned(),
                sha256: "b".repeat(64),
                size,
                signs,
                verdict: Some("valid".to_owned()),
            }],
            verdict: "valid".to_owned(),
            report_sha256: "c".repeat(64),
            archived_at: 1,
            archived_by: "system".to_owned(),
        }
    }

    proptest! {
        #[test]
        fn canonical_bytes_round_trip(name in ".{0,40}", event_at in any::<i64>(), size in 0i64..i64::MAX, signs in proptest::option::of(0i64..100)) {
            let original = record(name, event_at, size, signs);
            let bytes = original.to_bytes();
            let parsed: ArchiveRecord = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(&parsed, &original);
            // Parsing then writing gives the same bytes, so a package's
            // record.json re-hashes to what the ledger holds.
            prop_assert_eq!(parsed.to_bytes(), bytes);
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut value = serde_json::to_value(record("a".into(), 1, 2, None)).unwrap();
        value["extra"] = serde_json::json!(1);
        assert!(serde_json::from_value::<ArchiveRecord>(value).is_err());
    }
}
