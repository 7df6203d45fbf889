//! Best bets: results staff pin to the top for a given query.
//!
//! One rule a line, `query => id, id, …`, in the same spirit as the synonym
//! list. A rule applies when the folded words of the user's query are exactly
//! the folded words of the rule's query ("Giấy phép xây dựng" and
//! "giay phep  xay-dung" are the same), and the pinned documents come first in
//! the listed order, provided they exist and pass the query's filters.

use std::collections::HashMap;

use crate::analysis::words;
use crate::synonyms::ListError;

/// Most documents pinned to one query: more would not be a "best" bet.
pub const MAX_PINNED: usize = 10;

/// Most rules a list may hold.
pub const MAX_RULES: usize = 20_000;

/// Parsed best bets.
#[derive(Clone, Debug, Default)]
pub struct BestBets {
    pinned: HashMap<String, Vec<String>>,
}

impl BestBets {
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses `query => id, id` lines; `#` starts a comment. Ids are taken as
    /// written (trimmed); a later rule for the same query replaces an earlier one.
    pub fn parse(text: &str) -> Result<Self, ListError> {
        let mut bets = Self::default();
        for (index, raw_line) in text.lines().enumerate() {
            let error = |reason: &str| ListError {
                line: index + 1,
                reason: reason.to_owned(),
            };
            let line = raw_line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let Some((query, ids)) = line.split_once("=>") else {
                return Err(error("expected \"query => id, id\""));
            };
            let key = key_of(query);
            if key.is_empty() {
                return Err(error("the query has no words"));
            }
            let ids: Vec<String> = ids
                .split(',')
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
                .collect();
            if ids.is_empty() {
                return Err(error("no document id after \"=>\""));
            }
            if ids.len() > MAX_PINNED {
                return Err(error("more than 10 pinned documents"));
            }
            if ids.iter().any(|id| id.len() > crate::MAX_ID_BYTES) {
                return Err(error("document id longer than 256 bytes"));
            }
            bets.pinned.insert(key, ids);
            if bets.pinned.len() > MAX_RULES {
                return Err(error("too many rules"));
            }
        }
        Ok(bets)
    }

    /// The documents pinned for `query`, in order.
    pub fn pinned_for(&self, query: &str) -> &[String] {
        self.pinned
            .get(&key_of(query))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.pinned.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pinned.is_empty()
    }
}

fn key_of(query: &str) -> String {
    let folded: Vec<String> = words(query).into_iter().map(|w| w.folded).collect();
    folded.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_on_folded_words() {
        let bets = BestBets::parse(
            "# pinned\nGiấy phép xây dựng => dv-gpxd, tin-7\n\ncntt => a\ncntt => b # later wins\n",
        )
        .unwrap();
        assert_eq!(bets.pinned_for("giay phep  xay-dung"), ["dv-gpxd", "tin-7"]);
        assert_eq!(bets.pinned_for("GIẤY PHÉP XÂY DỰNG"), ["dv-gpxd", "tin-7"]);
        assert_eq!(bets.pinned_for("cntt"), ["b"]);
        assert!(bets.pinned_for("giay phep").is_empty());
    }

    #[test]
    fn bad_lines_name_their_line() {
        let cases = [
            ("x", 1, "expected \"query => id, id\""),
            ("a => x\n... => y", 2, "the query has no words"),
            ("a => , ,", 1, "no document id after \"=>\""),
            (
                "a => 1,2,3,4,5,6,7,8,9,10,11",
                1,
                "more than 10 pinned documents",
            ),
        ];
        for (text, line, reason) in cases {
            let error = BestBets::parse(text).unwrap_err();
            assert_eq!(
                error,
                ListError {
                    line,
                    reason: reason.to_owned()
                },
                "{text:?}"
            );
        }
    }
}
