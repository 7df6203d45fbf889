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
    /// Folded word → its most frequent written form with diacritics, to show
    /// suggestions the way people write them.
    written: HashMap<Box<str>, (Box<str>, u32)>,
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
                match vocabulary.written.get_mut(folded.as_str()) {
                    Some((best, best_frequency)) => {
                        // Segments are summed per form only approximately (the
                        // best form per segment wins); good enough to choose a
                        // display form.
                        if frequency > *best_frequency {
                            *best = word.into();
                            *best_frequency = frequency;
                        }
                    }
                    None => {
                        vocabulary
                            .written
                            .insert(folded.as_str().into(), (word.into(), frequency));
                    }
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
            vocabulary.written.insert(folded.into(), (form.into(), 1));
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

    /// How the folded word is usually written, with its diacritics.
    pub(crate) fn written_form<'a>(&'a self, folded: &'a str) -> &'a str {
        self.written
            .get(folded)
            .map(|(written, _)| &**written)
            .unwrap_or(folded)
    }

    pub(crate) fn len(&self) -> usize {
        self.document_frequency.len()
    }
}
