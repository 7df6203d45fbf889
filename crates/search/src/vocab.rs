//! The index's vocabulary, for typo tolerance and "did you mean".
//!
//! Built from the term dictionaries each time the searcher is reloaded, so it
//! always describes exactly the documents a query can find. Only words made of
//! the letters a–z are kept (every folded Vietnamese syllable is one): numbers,
//! codes and other scripts are not spelling-corrected, and leaving them out
//! bounds the vocabulary's size on corpora full of identifiers.

use std::collections::HashMap;

use tantivy::schema::Field;
use tantivy::Searcher;

/// Longest word kept, in bytes (Vietnamese syllables have at most seven
/// letters; foreign words such as "metadata" are longer).
const MAX_VOCABULARY_WORD: usize = 24;

#[derive(Default)]
pub(crate) struct Vocabulary {
    /// Folded word → number of documents containing it.
    document_frequency: HashMap<Box<str>, u32>,
    /// Folded word → its written forms with diacritics and how many
    /// documents have each, to show suggestions the way people write them.
    written: HashMap<Box<str>, Vec<(Box<str>, u32)>>,
}

fn is_correctable(word: &[u8]) -> bool {
    (2..=MAX_VOCABULARY_WORD).contains(&word.len()) && word.iter().all(u8::is_ascii_lowercase)
}

impl Vocabulary {
    pub(crate) fn build(
        searcher: &Searcher,
        folded_field: Field,
        exact_field: Field,
    ) -> tantivy::Result<Self> {
        let mut vocabulary = Self::default();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(folded_field)?;
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                let key = stream.key();
                if !is_correctable(key) {
                    continue;
                }
                let Ok(word) = std::str::from_utf8(key) else {
                    continue;
                };
                let frequency = stream.value().doc_freq;
                *vocabulary
                    .document_frequency
                    .entry(word.into())
                    .or_insert(0) += frequency;
            }
            let inverted = segment.inverted_index(exact_field)?;
            let mut stream = inverted.terms().stream()?;
            let mut folded = String::new();
            while stream.advance() {
                let Ok(word) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                folded.clear();
                congso_vn::text::fold_into(word, &mut folded);
                if !is_correctable(folded.as_bytes()) {
                    continue;
                }
                let frequency = stream.value().doc_freq;
                let forms = vocabulary
                    .written
                    .entry(folded.as_str().into())
                    .or_default();
                match forms.iter_mut().find(|(form, _)| **form == *word) {
                    Some((_, total)) => *total += frequency,
                    None => forms.push((word.into(), frequency)),
                }
            }
        }
        Ok(vocabulary)
    }

    /// A vocabulary from (folded word, document frequency) pairs and
    /// (folded, written) forms.
    #[cfg(test)]
    pub(crate) fn from_frequencies<'a>(
        words: impl Iterator<Item = (&'a str, u32)>,
        written: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut vocabulary = Self::default();
        for (word, frequency) in words {
            if is_correctable(word.as_bytes()) {
                vocabulary.document_frequency.insert(word.into(), frequency);
            }
        }
        for (folded, form) in written {
            let forms = vocabulary.written.entry(folded.into()).or_default();
            match forms.iter_mut().find(|(known, _)| **known == *form) {
                Some((_, total)) => *total += 1,
                None => forms.push((form.into(), 1)),
            }
        }
        vocabulary
    }

    /// Documents containing the folded word (0 for words the vocabulary does
    /// not keep, such as numbers: callers only ask about correctable words).
    pub(crate) fn frequency(&self, folded: &str) -> u32 {
        self.document_frequency.get(folded).copied().unwrap_or(0)
    }

    pub(crate) fn is_correctable(folded: &str) -> bool {
        is_correctable(folded.as_bytes())
    }

    /// Words of the index at edit distance 1 from `folded` (one letter
    /// deleted, inserted, replaced, or two neighbours swapped), most frequent
    /// first.
    pub(crate) fn neighbours(&self, folded: &str) -> Vec<(String, u32)> {
        let mut found: Vec<(String, u32)> = Vec::new();
        let bytes = folded.as_bytes();
        let mut consider = |candidate: Vec<u8>| {
            let Ok(candidate) = String::from_utf8(candidate) else {
                return;
            };
            if candidate == folded {
                return;
            }
            let frequency = self.frequency(&candidate);
            if frequency > 0 && !found.iter().any(|(word, _)| *word == candidate) {
                found.push((candidate, frequency));
            }
        };
        for i in 0..bytes.len() {
            let mut deleted = bytes.to_vec();
            deleted.remove(i);
            consider(deleted);
            if i + 1 < bytes.len() {
                let mut swapped = bytes.to_vec();
                swapped.swap(i, i + 1);
                consider(swapped);
            }
            for letter in b'a'..=b'z' {
                if letter != bytes[i] {
                    let mut replaced = bytes.to_vec();
                    replaced[i] = letter;
                    consider(replaced);
                }
            }
        }
        for i in 0..=bytes.len() {
            for letter in b'a'..=b'z' {
                let mut inserted = bytes.to_vec();
                inserted.insert(i, letter);
                consider(inserted);
            }
        }
        found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        found
    }

    /// How the folded word is written in the index, with its diacritics:
    /// the form closest to what the person typed (so "dựgn" becomes "dựng",
    /// not the more frequent "dụng"), the most frequent one on ties.
    pub(crate) fn written_form<'a>(&'a self, folded: &'a str, typed: &str) -> &'a str {
        let Some(forms) = self.written.get(folded) else {
            return folded;
        };
        let typed: Vec<char> = typed.chars().collect();
        forms
            .iter()
            .min_by_key(|(form, frequency)| {
                let form: Vec<char> = form.chars().collect();
                (edit_distance(&typed, &form), std::cmp::Reverse(*frequency))
            })
            .map(|(form, _)| &**form)
            .unwrap_or(folded)
    }

    pub(crate) fn len(&self) -> usize {
        self.document_frequency.len()
    }
}

/// Levenshtein distance between two short words (a query word and a
/// vocabulary word), by the textbook dynamic programme.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        let check = |a: &str, b: &str, expected: usize| {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            assert_eq!(edit_distance(&a, &b), expected, "{a:?} {b:?}");
        };
        check("", "", 0);
        check("dựgn", "dựng", 2);
        check("dựgn", "dụng", 3);
        check("kitten", "sitting", 3);
        check("", "abc", 3);
    }

    #[test]
    fn neighbours_one_edit_away() {
        let vocabulary = Vocabulary::from_frequencies(
            [("dung", 5), ("dun", 1), ("dang", 2), ("xay", 9)].into_iter(),
            std::iter::empty(),
        );
        let found: Vec<String> = vocabulary
            .neighbours("dugn")
            .into_iter()
            .map(|(w, _)| w)
            .collect();
        assert_eq!(found, ["dung", "dun"]);
        let found: Vec<String> = vocabulary
            .neighbours("dng")
            .into_iter()
            .map(|(w, _)| w)
            .collect();
        assert_eq!(found, ["dung", "dang"]);
        assert!(vocabulary.neighbours("zzzz").is_empty());
    }
}
