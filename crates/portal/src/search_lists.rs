//! The search lists staff edit (Art. 20.2c): the abbreviation and synonym
//! list (UBND, HĐND, CNTT, TP HCM, …) and the best bets (results pinned to
//! a query).
//!
//! Both are plain text in the line formats of `congso-search`, kept in the
//! database (migration 0010) so every replica applies the same lists: the
//! node loads them when it starts and its background job picks up a list
//! another process saved. Until an agency saves its own synonym list, the
//! list shipped with congso is in force; saving replaces it whole.
//!
//! Best bets name their results the way staff see them: a public address
//! (`/noi-dung/17`, `/dich-vu/1.004.BN.01`, with or without the site), an
//! item number (`17`), or an index id (`item-17`, `service-CODE`).

use congso_core::access::Action;
use congso_core::audit::AuditAction;
use congso_search::{BestBets, Synonyms};
use congso_store::ledger::NewEntry;
use congso_store::portal::{self as store, SearchList};

use crate::{index_id, service_index_id, Acting, Portal, PortalError, Result};

/// Largest list accepted (the parsers also bound the number of rules).
pub const MAX_LIST_BYTES: usize = 512 * 1024;

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Synonyms,
    BestBets,
}

impl ListKind {
    pub fn code(self) -> &'static str {
        match self {
            ListKind::Synonyms => "synonyms",
            ListKind::BestBets => "best_bets",
        }
    }

    /// What the list is called in messages.
    fn label(self) -> &'static str {
        match self {
            ListKind::Synonyms => "synonym list",
            ListKind::BestBets => "best bets list",
        }
    }

    pub fn from_code(code: &str) -> Option<ListKind> {
        match code {
            "synonyms" => Some(ListKind::Synonyms),
            "best_bets" => Some(ListKind::BestBets),
            _ => None,
        }
    }
}

/// The lists in force, as staff edit them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchLists {
    pub synonyms: String,
    /// `None` while the shipped synonym list is in force.
    pub synonyms_saved: Option<(i64, String)>,
    pub best_bets: String,
    pub best_bets_saved: Option<(i64, String)>,
}

/// A list that does not parse: the line and what is wrong with it.
fn invalid(kind: ListKind, line: usize, reason: &str) -> PortalError {
    PortalError::Invalid(format!("{}, line {line}: {reason}", kind.label()))
}

/// The index id a best bet names, from what staff write.
fn pinned_id(written: &str) -> Option<String> {
    let written = written.trim();
    // A full address: keep the path.
    let path = match written.find("://") {
        Some(at) => {
            let rest = &written[at + 3..];
            &rest[rest.find('/')?..]
        }
        None => written,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    if let Some(number) = path.strip_prefix("/noi-dung/") {
        return number.parse::<i64>().ok().map(index_id);
    }
    if let Some(code) = path.strip_prefix("/dich-vu/") {
        return (!code.is_empty() && !code.contains('/')).then(|| service_index_id(code));
    }
    if let Ok(number) = path.parse::<i64>() {
        return Some(index_id(number));
    }
    if path
        .strip_prefix("item-")
        .is_some_and(|n| n.parse::<i64>().is_ok())
        || path.strip_prefix("service-").is_some_and(|c| !c.is_empty())
    {
        return Some(path.to_owned());
    }
    None
}

/// Parses best bets as staff write them into the index's form.
pub fn parse_best_bets(text: &str) -> Result<BestBets> {
    let mut translated = String::with_capacity(text.len());
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("");
        match line.split_once("=>") {
            Some((query, ids)) => {
                let mut out = Vec::new();
                for id in ids.split(',').map(str::trim).filter(|id| !id.is_empty()) {
                    out.push(pinned_id(id).ok_or_else(|| {
                        invalid(
                            ListKind::BestBets,
                            index + 1,
                            &format!(
                                "{id:?} is not a portal address (/noi-dung/17, /dich-vu/CODE) or an item number"
                            ),
                        )
                    })?);
                }
                translated.push_str(query);
                translated.push_str("=>");
                translated.push_str(&out.join(","));
            }
            None => translated.push_str(line),
        }
        translated.push('\n');
    }
    BestBets::parse(&translated)
        .map_err(|error| invalid(ListKind::BestBets, error.line, &error.reason))
}

fn check_size(kind: ListKind, text: &str) -> Result<()> {
    if text.len() > MAX_LIST_BYTES {
        return Err(PortalError::Invalid(format!(
            "the {} is too long ({} bytes; at most {MAX_LIST_BYTES})",
            kind.label(),
            text.len()
        )));
    }
    if text.contains('\0') {
        return Err(PortalError::Invalid(
            "the list contains a NUL character".into(),
        ));
    }
    Ok(())
}

impl Portal {
    /// The lists in force, with who saved them and when.
    pub async fn search_lists(&self) -> Result<SearchLists> {
        let saved = store::search_lists(&self.db).await?;
        let find = |kind: ListKind| saved.iter().find(|list| list.name == kind.code());
        let synonyms = find(ListKind::Synonyms);
        let best_bets = find(ListKind::BestBets);
        Ok(SearchLists {
            synonyms: synonyms
                .map(|list| list.body.clone())
                .unwrap_or_else(|| congso_search::SHIPPED_SYNONYMS.to_owned()),
            synonyms_saved: synonyms.map(|list| (list.updated_at, list.updated_by.clone())),
            best_bets: best_bets.map(|list| list.body.clone()).unwrap_or_default(),
            best_bets_saved: best_bets.map(|list| (list.updated_at, list.updated_by.clone())),
        })
    }

    /// Checks and saves a list; the next search uses it. Refused, with the
    /// line and the reason, when it does not parse; nothing is saved then.
    pub async fn save_search_list(
        &self,
        acting: &Acting,
        kind: ListKind,
        text: &str,
    ) -> Result<()> {
        acting.require(Action::PortalPublish)?;
        check_size(kind, text)?;
        let text = text.replace("\r\n", "\n");
        match kind {
            ListKind::Synonyms => {
                let parsed = Synonyms::parse(&text)
                    .map_err(|error| invalid(kind, error.line, &error.reason))?;
                self.save_list(acting, kind, &text).await?;
                self.index.set_synonyms(parsed);
            }
            ListKind::BestBets => {
                let parsed = parse_best_bets(&text)?;
                self.save_list(acting, kind, &text).await?;
                self.index.set_best_bets(parsed);
            }
        }
        self.changed();
        Ok(())
    }

    async fn save_list(&self, acting: &Acting, kind: ListKind, text: &str) -> Result<()> {
        let now = congso_store::now().micros();
        store::save_search_list(
            &self.db,
            &SearchList {
                name: kind.code().to_owned(),
                body: text.to_owned(),
                updated_at: now,
                updated_by: acting.actor.to_code(),
            },
        )
        .await?;
        self.ledger
            .append(
                NewEntry::new(
                    &acting.actor,
                    AuditAction::PortalSearchListSaved,
                    format!("portal-search-list:{}", kind.code()),
                )
                .source(acting.source.clone())
                .data(text.as_bytes())
                .details(serde_json::json!({
                    "list": kind.code(),
                    "lines": text.lines().count(),
                })),
            )
            .await?;
        self.remember_applied(kind.code(), now);
        Ok(())
    }

    /// Notes that the list `name` saved at `updated_at` is in force here.
    fn remember_applied(&self, name: &str, updated_at: i64) {
        let mut applied = self
            .lists_applied
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        applied.retain(|(applied_name, _)| applied_name != name);
        applied.push((name.to_owned(), updated_at));
    }

    /// Applies the saved lists to the index when one changed since this
    /// value last applied them (at start, and from the node's background
    /// job for lists another process saved). A saved list that no longer
    /// parses (say, after a downgrade) is skipped with a warning and the
    /// one in force stays.
    pub async fn load_search_lists(&self) -> Result<bool> {
        let saved = store::search_lists(&self.db).await?;
        // Compared as (name, saved at) pairs, not by the newest time: the
        // replicas' clocks need not agree, so a list saved elsewhere may
        // carry an older time than one this value applied.
        let stale: Vec<&SearchList> = {
            let applied = self
                .lists_applied
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            saved
                .iter()
                .filter(|list| {
                    !applied
                        .iter()
                        .any(|(name, at)| *name == list.name && *at == list.updated_at)
                })
                .collect()
        };
        if stale.is_empty() {
            return Ok(false);
        }
        for list in stale {
            match ListKind::from_code(&list.name) {
                Some(ListKind::Synonyms) => match Synonyms::parse(&list.body) {
                    Ok(parsed) => self.index.set_synonyms(parsed),
                    Err(error) => {
                        tracing::warn!(line = error.line, reason = %error.reason, "the saved synonym list does not parse")
                    }
                },
                Some(ListKind::BestBets) => match parse_best_bets(&list.body) {
                    Ok(parsed) => self.index.set_best_bets(parsed),
                    Err(error) => tracing::warn!(%error, "the saved best bets do not parse"),
                },
                None => {}
            }
            self.remember_applied(&list.name, list.updated_at);
        }
        self.changed();
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_bets_name_results_the_way_staff_see_them() {
        for (written, id) in [
            ("/noi-dung/17", "item-17"),
            ("https://cong.example.gov.vn/noi-dung/17?x=1", "item-17"),
            ("17", "item-17"),
            ("item-17", "item-17"),
            ("/dich-vu/1.004.BN.01", "service-1.004.BN.01"),
            ("service-2.001", "service-2.001"),
        ] {
            assert_eq!(pinned_id(written).as_deref(), Some(id), "{written}");
        }
        for bad in [
            "",
            "/tim-kiem",
            "noi-dung",
            "/noi-dung/abc",
            "/dich-vu/",
            "item-x",
        ] {
            assert_eq!(pinned_id(bad), None, "{bad}");
        }
        assert!(parse_best_bets("giay phep xay dung => /dich-vu/1.004, 12 # note\n").is_ok());
        let error = parse_best_bets("# ok\nx => /tim-kiem\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 2"), "{error}");
        let error = parse_best_bets("no arrow\n").unwrap_err().to_string();
        assert!(error.contains("line 1"), "{error}");
    }
}
