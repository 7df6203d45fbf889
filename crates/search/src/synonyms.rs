//! The abbreviation and synonym list an agency edits.
//!
//! The format is the one of Solr's `synonyms.txt`, which site administrators
//! already know: one group a line, equivalent forms separated by commas, and
//! `A, B => C` for one-way rules. Forms are compared by their folded words,
//! so case, diacritics and punctuation do not matter ("TP.HCM" = "tp hcm").
//! Expansion happens when a query is planned, never in the index: an edited
//! list takes effect on the next query without re-indexing.

use std::collections::HashMap;

use crate::analysis::words;

/// The list shipped with congso (`data/synonyms.txt`).
pub const SHIPPED: &str = include_str!("../data/synonyms.txt");

/// Longest form, in words: longer forms are refused rather than silently
/// never matching, and the bound keeps query planning linear.
pub const MAX_FORM_WORDS: usize = 8;

/// Most rules a list may hold, so a runaway file cannot exhaust memory.
pub const MAX_RULES: usize = 20_000;

/// A line of a synonym or best-bet file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ListError {
    /// 1-based line number.
    pub line: usize,
    pub reason: String,
}

/// A parsed synonym list: for each form (a sequence of folded words), every
/// form a query containing it also searches for, itself included.
#[derive(Clone, Debug, Default)]
pub struct Synonyms {
    expansions: HashMap<Vec<String>, Vec<Vec<String>>>,
    longest: usize,
}

impl Synonyms {
    /// No synonyms at all.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The list shipped with congso.
    ///
    /// A unit test parses the shipped file, so this never falls back in a
    /// released build; the fallback only keeps this function free of panics.
    pub fn shipped() -> Self {
        Self::parse(SHIPPED).unwrap_or_default()
    }

    /// Parses a list in the format described in the module documentation.
    pub fn parse(text: &str) -> Result<Self, ListError> {
        let mut synonyms = Self::default();
        let mut rules = 0usize;
        for (index, raw_line) in text.lines().enumerate() {
            let line_number = index + 1;
            let error = |reason: &str| ListError {
                line: line_number,
                reason: reason.to_owned(),
            };
            let line = raw_line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            rules += 1;
            if rules > MAX_RULES {
                return Err(error("too many rules"));
            }
            let (sources, targets) = match line.split_once("=>") {
                Some((left, right)) => {
                    if right.contains("=>") {
                        return Err(error("more than one \"=>\""));
                    }
                    (parse_forms(left, &error)?, parse_forms(right, &error)?)
                }
                None => {
                    let forms = parse_forms(line, &error)?;
                    if forms.len() < 2 {
                        return Err(error(
                            "a group needs at least two forms separated by commas",
                        ));
                    }
                    (forms.clone(), forms)
                }
            };
            for source in &sources {
                let entry = synonyms.expansions.entry(source.clone()).or_default();
                for form in std::iter::once(source).chain(&targets) {
                    if !entry.contains(form) {
                        entry.push(form.clone());
                    }
                }
                synonyms.longest = synonyms.longest.max(source.len());
            }
        }
        Ok(synonyms)
    }

    /// The longest rule that starts at `words[0]`: how many words it covers
    /// and the forms to search for instead (the matched form among them).
    pub fn longest_match(&self, folded_words: &[String]) -> Option<(usize, &[Vec<String>])> {
        let longest = self.longest.min(folded_words.len());
        (1..=longest).rev().find_map(|length| {
            self.expansions
                .get(&folded_words[..length])
                .map(|forms| (length, forms.as_slice()))
        })
    }

    /// Number of distinct forms with a rule.
    pub fn len(&self) -> usize {
        self.expansions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expansions.is_empty()
    }
}

fn parse_forms(
    list: &str,
    error: &impl Fn(&str) -> ListError,
) -> Result<Vec<Vec<String>>, ListError> {
    let mut forms = Vec::new();
    for part in list.split(',') {
        let folded: Vec<String> = words(part).into_iter().map(|w| w.folded).collect();
        if folded.is_empty() {
            return Err(error(
                "empty form (two commas in a row, or only punctuation)",
            ));
        }
        if folded.len() > MAX_FORM_WORDS {
            return Err(error("form longer than 8 words"));
        }
        if !forms.contains(&folded) {
            forms.push(folded);
        }
    }
    Ok(forms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> Vec<String> {
        words(text).into_iter().map(|w| w.folded).collect()
    }

    fn check(list: &Synonyms, query: &str, expected: Option<(usize, &[&str])>) {
        let actual = list.longest_match(&folded(query)).map(|(length, forms)| {
            let forms: Vec<String> = forms.iter().map(|f| f.join(" ")).collect();
            (length, forms)
        });
        let expected = expected.map(|(length, forms)| {
            (
                length,
                forms.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
            )
        });
        assert_eq!(actual, expected, "rule at the start of {query:?}");
    }

    #[test]
    fn shipped_list_parses() {
        let shipped = Synonyms::parse(SHIPPED).expect("the shipped list parses");
        assert!(shipped.len() > 50);
        check(
            &shipped,
            "ubnd tinh",
            Some((1, &["ubnd", "uy ban nhan dan"])),
        );
        check(
            &shipped,
            "Ủy ban nhân dân xã",
            Some((4, &["uy ban nhan dan", "ubnd"])),
        );
        check(
            &shipped,
            "TP.HCM",
            Some((
                2,
                &["tp hcm", "tphcm", "tp ho chi minh", "thanh pho ho chi minh"],
            )),
        );
        check(
            &shipped,
            "tphcm",
            Some((
                1,
                &["tphcm", "tp hcm", "tp ho chi minh", "thanh pho ho chi minh"],
            )),
        );
        check(&shipped, "tp da nang", Some((1, &["tp", "thanh pho"])));
        check(
            &shipped,
            "cntt",
            Some((1, &["cntt", "cong nghe thong tin"])),
        );
        check(&shipped, "giam doc", None);
    }

    #[test]
    fn one_way_rules() {
        let list = Synonyms::parse("sở tt&tt => Sở Thông tin và Truyền thông\n").unwrap();
        check(
            &list,
            "so tt tt",
            Some((3, &["so tt tt", "so thong tin va truyen thong"])),
        );
        check(&list, "so thong tin va truyen thong", None);
    }

    #[test]
    fn groups_sharing_a_form_merge() {
        let list = Synonyms::parse("a1, b1\na1, c1 # comment\n").unwrap();
        check(&list, "a1", Some((1, &["a1", "b1", "c1"])));
    }

    #[test]
    fn bad_lines_name_their_line() {
        let cases = [
            (
                "ubnd\n",
                1,
                "a group needs at least two forms separated by commas",
            ),
            (
                "# c\nubnd,,x\n",
                2,
                "empty form (two commas in a row, or only punctuation)",
            ),
            ("a => b => c", 1, "more than one \"=>\""),
            (
                "a, ..., b",
                1,
                "empty form (two commas in a row, or only punctuation)",
            ),
            ("a b c d e f g h i, x", 1, "form longer than 8 words"),
        ];
        for (text, line, reason) in cases {
            let error = Synonyms::parse(text).unwrap_err();
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
