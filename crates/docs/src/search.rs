//! Search terms: Vietnamese text folded with `congso_vn::text::fold` (tones
//! and marks dropped, đ→d, lower case) and split into words, so that
//! "quyet dinh" finds "Quyết định" and "12/QĐ-UBND" is the three terms
//! `12`, `qd`, `ubnd`.
//!
//! The store keeps one row per (term, document, file) and a query needs every
//! term (an intersection of B-tree range scans), which both SQLite and
//! PostgreSQL answer from the primary key without a full scan.

use congso_store::documents::Term;

/// Longest term kept; longer "words" (base64 runs, hashes) are not searchable text.
const TERM_MAX_BYTES: usize = 48;
/// Most distinct terms indexed for one text.
const TERMS_MAX: usize = 50_000;

/// The distinct folded terms of `text`, sorted.
pub fn terms_of(text: &str) -> Vec<String> {
    let folded = congso_vn::text::fold(text);
    let mut terms: Vec<String> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && word.len() <= TERM_MAX_BYTES)
        .map(str::to_owned)
        .collect();
    terms.sort_unstable();
    terms.dedup();
    terms.truncate(TERMS_MAX);
    terms
}

/// The terms of a staff query: every word must match; a word ending in `*`
/// matches as a prefix ("quy*" finds "quyết" and "quy").
pub fn query_terms(query: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    for raw in query.split_whitespace() {
        let prefix = raw.ends_with('*');
        let words = terms_of(raw.trim_end_matches('*'));
        let count = words.len();
        for (index, word) in words.into_iter().enumerate() {
            // Only the last word of "12/QĐ*" is a prefix.
            if prefix && index + 1 == count {
                terms.push(Term::Prefix(word));
            } else {
                terms.push(Term::Exact(word));
            }
        }
    }
    terms.dedup();
    terms
}

/// Whether a file of this MIME type bears text that can be indexed as it is.
pub fn is_text_bearing(mime: &str) -> bool {
    let base = mime.split(';').next().unwrap_or("").trim();
    base == "text/plain"
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn terms_are_folded_words() {
        let check = |text: &str, expected: &[&str]| {
            assert_eq!(terms_of(text), expected, "{text}");
        };
        check("Quyết định", &["dinh", "quyet"]);
        check("12/QĐ-UBND", &["12", "qd", "ubnd"]);
        check("Đường Hoà Bình, hoà bình", &["binh", "duong", "hoa"]);
        check("   ", &[]);
        check(&"a".repeat(100), &[]);
    }

    #[test]
    fn queries_are_folded_too() {
        assert_eq!(
            query_terms("quyet dinh"),
            vec![Term::Exact("quyet".into()), Term::Exact("dinh".into())]
        );
        assert_eq!(query_terms("Quyết*"), vec![Term::Prefix("quyet".into())]);
        assert_eq!(
            query_terms("12/QĐ*"),
            vec![Term::Exact("12".into()), Term::Prefix("qd".into())]
        );
        assert_eq!(query_terms("  "), vec![]);
    }

    proptest! {
        /// Whatever the text, its terms are what a query for the same text
        /// asks for, and with or without diacritics the terms are the same.
        #[test]
        fn a_text_matches_its_own_query(text in "\\PC{0,200}") {
            let terms = terms_of(&text);
            for term in query_terms(&text) {
                match term {
                    Term::Exact(word) => prop_assert!(terms.contains(&word)),
                    Term::Prefix(word) => prop_assert!(terms.iter().any(|t| t.starts_with(&word))),
                }
            }
            let folded = congso_vn::text::fold(&text);
            prop_assert_eq!(terms_of(&folded), terms);
        }
    }
}
