//! Turning what a person typed into what the index looks for.
//!
//! A query becomes a list of **units**, each of which a document either
//! satisfies or not: a word ("giay"), a quoted phrase ("\"xay dung\""), or a
//! span the synonym list recognises ("cntt", "uy ban nhan dan"). A unit has
//! **alternatives**, any of which satisfies it: the word itself, the other
//! forms of its synonym group, and, for a misspelt word, the index's words one
//! edit away. Units no alternative of which occurs in the index are dropped,
//! so a stray unknown word does not empty the results.
//!
//! Nothing here fails: any text, however long or strange, gives a plan
//! (possibly with no units, which finds nothing).

use congso_vn::text::nfc;

use crate::analysis::{bigram, words};
use crate::highlight::Marked;
use crate::synonyms::Synonyms;
use crate::vocab::Vocabulary;
use crate::{MAX_QUERY_BYTES, MAX_QUERY_WORDS};

/// Weight of a spelling correction relative to the word typed.
pub(crate) const TYPO_WEIGHT: f32 = 0.6;

/// Only words at least this long (in letters) are corrected without
/// support from a neighbour: short syllables have too many neighbours one
/// edit away ("cap" → "cao", "cac", "cap"…) to guess from alone.
const MIN_FREE_CORRECTION: usize = 4;

/// Corrections kept per word.
const MAX_CORRECTIONS: usize = 3;

/// What the plan needs to know about the index.
pub(crate) trait Frequencies {
    /// Documents containing the folded word.
    fn word(&self, folded: &str) -> u64;
    /// Documents containing the two folded words next to each other.
    fn pair(&self, first: &str, second: &str) -> u64;
    /// The spelling vocabulary.
    fn vocabulary(&self) -> &Vocabulary;
    /// Documents in the index.
    fn documents(&self) -> u64;
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Alternative {
    /// Folded words; more than one means a phrase, matched as bigrams.
    pub words: Vec<String>,
    pub weight: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Unit {
    pub alternatives: Vec<Alternative>,
    /// Upper bound on the documents the unit matches: the sum of its
    /// alternatives' frequencies.
    pub frequency: u64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    /// Units that can match something, in query order.
    pub units: Vec<Unit>,
    /// Bigrams of neighbouring plain words, which rank documents where the
    /// words stand together above those where they are scattered.
    pub proximity: Vec<String>,
    /// Exact forms of words typed with diacritics, which rank documents
    /// written the same way first.
    pub exact: Vec<String>,
    /// Folded words to highlight, weighted by rarity.
    pub marked: Marked,
    /// The query with its misspelt words corrected, when any were.
    pub did_you_mean: Option<String>,
}

/// One word of the query as typed.
struct Typed {
    written: String,
    folded: String,
    exact: Option<String>,
    /// Which quoted phrase the word is in, if any.
    phrase: Option<usize>,
    /// Sentence punctuation (or a quote) before it: no bigram with the previous word.
    break_before: bool,
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„' | '«' | '»')
}

/// Cuts `text` to at most `max` bytes at a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn typed_words(text: &str) -> Vec<Typed> {
    let text = nfc(truncate(text, MAX_QUERY_BYTES));
    let mut typed = Vec::new();
    for (index, segment) in text.split(is_quote).enumerate() {
        let quoted = index % 2 == 1;
        let mut first = true;
        for word in words(segment) {
            let written = word.text(segment).to_owned();
            typed.push(Typed {
                exact: word.exact(segment),
                folded: word.folded,
                written,
                phrase: quoted.then_some(index),
                break_before: word.break_before || first,
            });
            first = false;
            if typed.len() == MAX_QUERY_WORDS {
                return typed;
            }
        }
    }
    typed
}

/// Plans `text` against an index.
pub(crate) fn plan(text: &str, synonyms: &Synonyms, index: &impl Frequencies) -> Plan {
    let typed = typed_words(text);
    let documents = index.documents().max(1) as f32;
    let mut plan = Plan::default();
    let mut corrected_any = false;
    // What each typed word becomes in the "did you mean" text.
    let mut suggestion: Vec<String> = typed.iter().map(|t| t.written.clone()).collect();
    // The folded word each plain unit stands for after correction, for the
    // proximity bigrams; `None` where a unit is not a plain word.
    let mut plain: Vec<(usize, Option<String>)> = Vec::new();

    let mut i = 0;
    while i < typed.len() {
        let word = &typed[i];
        // A quoted phrase of two or more words is one unit.
        if let Some(phrase) = word.phrase {
            let length = typed[i..]
                .iter()
                .take_while(|t| t.phrase == Some(phrase))
                .count();
            if length >= 2 {
                let folded: Vec<String> = typed[i..i + length]
                    .iter()
                    .map(|t| t.folded.clone())
                    .collect();
                if phrase_frequency(&folded, index) > 0 {
                    plan.units.push(unit(
                        vec![Alternative {
                            words: folded,
                            weight: 1.0,
                        }],
                        index,
                    ));
                }
                for t in &typed[i..i + length] {
                    if let Some(exact) = &t.exact {
                        plan.exact.push(exact.clone());
                    }
                }
                plain.push((i, None));
                i += length;
                continue;
            }
        }
        // A span the synonym list knows, outside quotes.
        if word.phrase.is_none() {
            let run: Vec<String> = typed[i..]
                .iter()
                .take_while(|t| t.phrase.is_none())
                .map(|t| t.folded.clone())
                .collect();
            if let Some((length, forms)) = synonyms.longest_match(&run) {
                let alternatives: Vec<Alternative> = forms
                    .iter()
                    .filter(|form| phrase_frequency(form, index) > 0)
                    .map(|form| Alternative {
                        words: form.clone(),
                        weight: 1.0,
                    })
                    .collect();
                if !alternatives.is_empty() {
                    plan.units.push(unit(alternatives, index));
                }
                for t in &typed[i..i + length] {
                    if let Some(exact) = &t.exact {
                        plan.exact.push(exact.clone());
                    }
                }
                // A one-word synonym ("cntt") still pairs with its neighbours.
                let stands_for = (length == 1).then(|| word.folded.clone());
                plain.push((i, stands_for));
                i += length;
                continue;
            }
        }
        // A plain word, corrected when the index does not know it.
        let frequency = index.word(&word.folded);
        let mut alternatives = Vec::new();
        let mut stands_for = None;
        if frequency > 0 {
            alternatives.push(Alternative {
                words: vec![word.folded.clone()],
                weight: 1.0,
            });
            stands_for = Some(word.folded.clone());
        } else if Vocabulary::is_correctable(&word.folded) {
            let previous = i
                .checked_sub(1)
                .and_then(|p| (!word.break_before).then(|| typed[p].folded.as_str()));
            let next = typed
                .get(i + 1)
                .filter(|n| !n.break_before)
                .map(|n| n.folded.as_str());
            let corrections = corrections(&word.folded, previous, next, index);
            if let Some((best, _)) = corrections.first() {
                corrected_any = true;
                suggestion[i] = if word.exact.is_some() {
                    let typed = congso_vn::text::match_key(&word.written);
                    index.vocabulary().written_form(best, &typed).to_owned()
                } else {
                    best.clone()
                };
                stands_for = Some(best.clone());
            }
            for (correction, _) in corrections {
                alternatives.push(Alternative {
                    words: vec![correction],
                    weight: TYPO_WEIGHT,
                });
            }
        }
        if let Some(exact) = &word.exact {
            plan.exact.push(exact.clone());
        }
        if !alternatives.is_empty() {
            plan.units.push(unit(alternatives, index));
        }
        plain.push((i, stands_for));
        i += 1;
    }

    for pair in plain.windows(2) {
        let [(first_index, Some(first)), (second_index, Some(second))] = pair else {
            continue;
        };
        let adjacent = *second_index == first_index + 1 && !typed[*second_index].break_before;
        if adjacent {
            plan.proximity.push(bigram(first, second));
        }
    }
    plan.proximity.dedup();
    plan.exact.dedup();

    for unit in &plan.units {
        for alternative in &unit.alternatives {
            for folded in &alternative.words {
                let frequency = index.word(folded).max(1) as f32;
                let weight = (1.0 + documents / frequency).ln() * alternative.weight;
                let entry = plan.marked.entry(folded.clone()).or_insert(0.0);
                *entry = entry.max(weight);
            }
        }
    }
    if corrected_any {
        plan.did_you_mean = Some(suggestion.join(" "));
    }
    plan
}

fn unit(alternatives: Vec<Alternative>, index: &impl Frequencies) -> Unit {
    let frequency = alternatives
        .iter()
        .map(|alternative| phrase_frequency(&alternative.words, index))
        .sum();
    Unit {
        alternatives,
        frequency,
    }
}

/// A phrase occurs somewhere only if each of its bigrams does; this is the
/// cheap necessary condition the plan uses to drop impossible alternatives.
fn phrase_frequency(folded: &[String], index: &impl Frequencies) -> u64 {
    match folded {
        [] => 0,
        [single] => index.word(single),
        _ => folded
            .windows(2)
            .map(|pair| index.pair(&pair[0], &pair[1]))
            .min()
            .unwrap_or(0),
    }
}

/// The index's words one edit from `folded`, best first. Words of four
/// letters or more take the most frequent neighbours, preferring those that
/// stand next to the query's neighbouring words somewhere in the index;
/// shorter words only take neighbours with such support.
fn corrections(
    folded: &str,
    previous: Option<&str>,
    next: Option<&str>,
    index: &impl Frequencies,
) -> Vec<(String, f64)> {
    let letters = folded.len();
    if letters < 3 {
        return Vec::new();
    }
    let mut scored: Vec<(String, f64)> = index
        .vocabulary()
        .neighbours(folded)
        .into_iter()
        .take(40)
        .filter_map(|(candidate, frequency)| {
            let support = previous.map_or(0, |p| index.pair(p, &candidate))
                + next.map_or(0, |n| index.pair(&candidate, n));
            if letters < MIN_FREE_CORRECTION && support == 0 {
                return None;
            }
            let score = (frequency as f64).ln_1p() + 3.0 * (support as f64).ln_1p();
            Some((candidate, score))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.truncate(MAX_CORRECTIONS);
    scored
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// An index described by its word and pair frequencies.
    struct Fake {
        words: HashMap<String, u64>,
        pairs: HashMap<String, u64>,
        vocabulary: Vocabulary,
    }

    impl Fake {
        fn new(text: &str) -> Self {
            let mut words_seen: HashMap<String, u64> = HashMap::new();
            let mut pairs: HashMap<String, u64> = HashMap::new();
            let mut written: Vec<(String, String)> = Vec::new();
            for line in text.lines() {
                let found = words(line);
                for w in &found {
                    *words_seen.entry(w.folded.clone()).or_default() += 1;
                    if let Some(exact) = w.exact(line) {
                        written.push((w.folded.clone(), exact));
                    }
                }
                for pair in found.windows(2) {
                    *pairs
                        .entry(bigram(&pair[0].folded, &pair[1].folded))
                        .or_default() += 1;
                }
            }
            let vocabulary = Vocabulary::from_frequencies(
                words_seen.iter().map(|(w, f)| (w.as_str(), *f as u32)),
                written.iter().map(|(f, w)| (f.as_str(), w.as_str())),
            );
            Self {
                words: words_seen,
                pairs,
                vocabulary,
            }
        }
    }

    impl Frequencies for Fake {
        fn word(&self, folded: &str) -> u64 {
            self.words.get(folded).copied().unwrap_or(0)
        }
        fn pair(&self, first: &str, second: &str) -> u64 {
            self.pairs.get(&bigram(first, second)).copied().unwrap_or(0)
        }
        fn vocabulary(&self) -> &Vocabulary {
            &self.vocabulary
        }
        fn documents(&self) -> u64 {
            100
        }
    }

    const CORPUS: &str = "thủ tục cấp giấy phép xây dựng\n\
                          giám đốc công nghệ thông tin\n\
                          ủy ban nhân dân tỉnh\n\
                          xây dựng nông thôn mới\n\
                          cao cấp";

    fn units(query: &str) -> Vec<Vec<String>> {
        let fake = Fake::new(CORPUS);
        plan(query, &Synonyms::shipped(), &fake)
            .units
            .into_iter()
            .map(|planned| {
                planned
                    .alternatives
                    .into_iter()
                    .map(|a| format!("{}@{}", a.words.join(" "), a.weight))
                    .collect()
            })
            .collect()
    }

    fn check(query: &str, expected: &[&[&str]]) {
        let expected: Vec<Vec<String>> = expected
            .iter()
            .map(|unit| unit.iter().map(|a| a.to_string()).collect())
            .collect();
        assert_eq!(units(query), expected, "units of {query:?}");
    }

    #[test]
    fn words_synonyms_phrases_and_typos() {
        check("giay phep", &[&["giay@1"], &["phep@1"]]);
        check(
            "giám đốc cntt",
            &[&["giam@1"], &["doc@1"], &["cong nghe thong tin@1"]],
        );
        check("ubnd tinh", &[&["uy ban nhan dan@1"], &["tinh@1"]]);
        check("\"xay dung\" moi", &[&["xay dung@1"], &["moi@1"]]);
        // A phrase that never occurs is dropped, like an unknown word.
        check("\"dung xay\" moi", &[&["moi@1"]]);
        check("xay dugn", &[&["xay@1"], &["dung@0.6"]]);
        check("xyzzy giay", &[&["giay@1"]]);
        check("", &[]);
        check("!!! ((( ))) AND OR NOT -- **", &[]);
    }

    #[test]
    fn did_you_mean_keeps_the_rest_of_the_query() {
        let fake = Fake::new(CORPUS);
        let planned = plan(
            "thu tuc cap giay phep xay dugn",
            &Synonyms::shipped(),
            &fake,
        );
        assert_eq!(
            planned.did_you_mean.as_deref(),
            Some("thu tuc cap giay phep xay dung")
        );
        assert_eq!(
            planned.proximity,
            [
                "thu tuc",
                "tuc cap",
                "cap giay",
                "giay phep",
                "phep xay",
                "xay dung"
            ]
        );
        let planned = plan("giay phep xay dựgn", &Synonyms::shipped(), &fake);
        assert_eq!(planned.did_you_mean.as_deref(), Some("giay phep xay dựng"));
        let planned = plan("giay phep xay dung", &Synonyms::shipped(), &fake);
        assert_eq!(planned.did_you_mean, None);
    }

    #[test]
    fn short_words_need_a_neighbour_to_be_corrected() {
        // "cpa" is one edit from "cap"; next to "giay" it is corrected.
        let fake = Fake::new(CORPUS);
        let planned = plan("cpa giay", &Synonyms::shipped(), &fake);
        assert_eq!(planned.did_you_mean.as_deref(), Some("cap giay"));
        let planned = plan("cpa", &Synonyms::shipped(), &fake);
        assert_eq!(planned.did_you_mean, None);
    }

    #[test]
    fn exact_forms_only_for_words_with_diacritics() {
        let fake = Fake::new(CORPUS);
        let planned = plan("Giấy phep XÂY dựng", &Synonyms::shipped(), &fake);
        assert_eq!(planned.exact, ["giấy", "xây", "dựng"]);
    }

    #[test]
    fn long_queries_are_cut() {
        let fake = Fake::new(CORPUS);
        let long = "giay ".repeat(5_000);
        let planned = plan(&long, &Synonyms::shipped(), &fake);
        assert_eq!(planned.units.len(), MAX_QUERY_WORDS);
    }
}
