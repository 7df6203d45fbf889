//! `congso portal import` / `export`: one item per JSON line, so an agency
//! can move its old portal in and take its content out.
//!
//! A line is `{"id"?, "title", "body", "category", "published"?, "summary"?,
//! "metadata"?, "format"?}`: `id` is the item's stable id in the old system
//! (re-importing the same file changes nothing; a changed line becomes a new
//! revision), `body` is HTML (cleaned with the allow-list) or plain text
//! with `"format": "text"`, `published` a date `YYYY-MM-DD` or an RFC 3339
//! time. Imported items are published at once with their original date, so
//! an item older than its category's retention period goes straight to the
//! staff archive.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::{sanitize, Acting, ItemInput, Portal, PortalError, Result};

/// Longest accepted line, in bytes.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
/// Longest stable id, in bytes.
pub const MAX_ID_BYTES: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: Option<String>,
    title: String,
    body: String,
    category: String,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    format: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Line number (from 1) and why it was refused.
    pub errors: Vec<(usize, String)>,
}

/// One exported item.
#[derive(Debug, Serialize)]
struct ExportLine<'a> {
    id: String,
    title: &'a str,
    summary: &'a str,
    body: &'a str,
    category: &'a str,
    published: Option<String>,
    status: &'a str,
    metadata: serde_json::Value,
}

/// Parses a `published` value into microseconds (a bare date is midnight in
/// Vietnam, UTC+7).
pub fn parse_published(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(moment) =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return i64::try_from(moment.unix_timestamp_nanos() / 1000).ok();
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format).ok()?;
    let midnight = date.midnight().assume_offset(time::macros::offset!(+7));
    i64::try_from(midnight.unix_timestamp_nanos() / 1000).ok()
}

impl Portal {
    /// Imports JSON lines; a bad line is reported and skipped, the others
    /// are imported. Re-running the same file changes nothing.
    pub async fn import_jsonl(
        &self,
        acting: &Acting,
        reader: impl BufRead,
    ) -> Result<ImportReport> {
        acting.require(congso_core::access::Action::PortalPublish)?;
        let mut report = ImportReport::default();
        for (index, line) in reader.split(b'\n').enumerate() {
            let number = index + 1;
            let bytes = line.map_err(|error| {
                PortalError::Invalid(format!("line {number}: cannot read: {error}"))
            })?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match self.import_line(acting, &bytes).await {
                Ok(Outcome::Created) => report.created += 1,
                Ok(Outcome::Updated) => report.updated += 1,
                Ok(Outcome::Unchanged) => report.unchanged += 1,
                Err(PortalError::Invalid(message)) | Err(PortalError::Conflict(message)) => {
                    report.errors.push((number, message))
                }
                Err(PortalError::NotFound(what)) => {
                    report.errors.push((number, format!("{what} not found")))
                }
                Err(other) => return Err(other),
            }
        }
        Ok(report)
    }

    async fn import_line(&self, acting: &Acting, bytes: &[u8]) -> Result<Outcome> {
        if bytes.len() > MAX_LINE_BYTES {
            return Err(PortalError::Invalid(format!(
                "the line is longer than {} MiB",
                MAX_LINE_BYTES / 1024 / 1024
            )));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| PortalError::Invalid("the line is not UTF-8".into()))?;
        let line: Line = serde_json::from_str(text.trim_end_matches('\r'))
            .map_err(|error| PortalError::Invalid(format!("not a valid item: {error}")))?;
        let external_id = match line.id.as_deref().map(str::trim) {
            Some("") => return Err(PortalError::Invalid("the id is empty".into())),
            Some(id) if id.len() > MAX_ID_BYTES || id.chars().any(char::is_control) => {
                return Err(PortalError::Invalid(format!(
                    "the id must be at most {MAX_ID_BYTES} bytes without control characters"
                )))
            }
            other => other,
        };
        let published_at = match line.published.as_deref() {
            None => None,
            Some(text) => Some(parse_published(text).ok_or_else(|| {
                PortalError::Invalid(format!(
                    "published {text:?} is neither YYYY-MM-DD nor an RFC 3339 time"
                ))
            })?),
        };
        let body_html = match line.format.as_deref() {
            None | Some("html") => line.body,
            Some("text") => sanitize::text_to_html(&line.body),
            Some(other) => {
                return Err(PortalError::Invalid(format!(
                    "format {other:?}: use html or text"
                )))
            }
        };
        let input = ItemInput {
            category: line.category,
            title: line.title,
            summary: line.summary,
            body_html,
            metadata: line.metadata.unwrap_or_default(),
            published_at,
        };
        let existing = match external_id {
            Some(id) => congso_store::portal::item_by_external_id(self.db(), id).await?,
            None => None,
        };
        match existing {
            Some(item) => {
                let content = self.content(&input).await?;
                let same = item.title == content.title
                    && item.summary == content.summary
                    && item.body_html == content.body_html
                    && item.metadata == content.metadata
                    && item.category_id == content.category_id
                    && (published_at.is_none() || item.published_at == published_at);
                if same {
                    return Ok(Outcome::Unchanged);
                }
                self.update(acting, item.id, None, &input).await?;
                Ok(Outcome::Updated)
            }
            None => {
                let id = self.create_with_id(acting, external_id, &input).await?;
                self.submit(acting, id).await?;
                self.publish(acting, id, crate::Schedule::default()).await?;
                Ok(Outcome::Created)
            }
        }
    }

    /// Writes every item (any state) as JSON lines; returns how many.
    pub async fn export_jsonl(&self, mut writer: impl Write) -> Result<u64> {
        let categories = self.categories().await?;
        let mut count = 0;
        let mut offset = 0;
        loop {
            let page = congso_store::portal::all_items(self.db(), 500, offset).await?;
            if page.is_empty() {
                break;
            }
            offset += page.len() as i64;
            for item in &page {
                let category = categories
                    .iter()
                    .find(|category| category.id == item.category_id)
                    .map(|category| category.slug.as_str())
                    .unwrap_or_default();
                let line = ExportLine {
                    id: item
                        .external_id
                        .clone()
                        .unwrap_or_else(|| crate::index_id(item.id)),
                    title: &item.title,
                    summary: &item.summary,
                    body: &item.body_html,
                    category,
                    published: item.published_at.and_then(rfc3339),
                    status: &item.status,
                    metadata: serde_json::from_str(&item.metadata)
                        .unwrap_or(serde_json::Value::Null),
                };
                let json = serde_json::to_string(&line)
                    .map_err(|error| PortalError::Invalid(error.to_string()))?;
                writeln!(writer, "{json}")
                    .map_err(|error| PortalError::Invalid(format!("cannot write: {error}")))?;
                count += 1;
            }
        }
        Ok(count)
    }
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

fn rfc3339(micros: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}
