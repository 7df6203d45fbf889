//! Guessing the encoding of an unknown legacy file.
//!
//! Each candidate decoding is scored by how many of its words that contain
//! non-ASCII letters are well-formed Vietnamese syllables, penalised by bytes
//! that could not be converted. The scores are turned into confidences that
//! add up to 1 (a softmax), so a confidence near 1 means one encoding clearly
//! wins and values near 1/n mean the sample does not tell them apart.

use super::{decode_with, DecodeOptions, Decoded, Encoding, Tcvn3Case};
use crate::text::is_vietnamese_syllable;

/// The result of [`detect`].
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// The most likely encoding.
    pub encoding: Encoding,
    /// How sure the guess is, from 0 to 1.
    pub confidence: f32,
    /// The other candidates with their confidence, most likely first.
    pub alternatives: Vec<(Encoding, f32)>,
}

/// Only the start of a large file is examined.
const SAMPLE_BYTES: usize = 64 * 1024;

/// Guesses the encoding of `bytes`: UTF-8, or one of the legacy encodings.
pub fn detect(bytes: &[u8]) -> Detection {
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    if sample.is_ascii() {
        // Plain ASCII reads the same in every encoding; only VIQR marks
        // (vowels followed by punctuation that forms real syllables) change it.
        let viqr = score(&decode_with(
            sample,
            Encoding::Viqr,
            DecodeOptions::default(),
        ));
        let utf8 = if viqr.words == 0 {
            1.0
        } else {
            1.0 - viqr.value
        };
        return ranked(vec![
            (Encoding::Utf8, utf8),
            (Encoding::Viqr, viqr.value * viqr.weight()),
        ]);
    }
    if valid_utf8_prefix(sample) {
        let mut candidates = vec![(Encoding::Utf8, 1.0)];
        candidates.extend(legacy_scores(sample).into_iter().map(|(e, s)| (e, s * 0.3)));
        return ranked(candidates);
    }
    ranked(legacy_scores(sample))
}

/// Whether the sample is UTF-8, allowing a character cut off at the end.
fn valid_utf8_prefix(sample: &[u8]) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none() && sample.len() == SAMPLE_BYTES,
    }
}

fn legacy_scores(sample: &[u8]) -> Vec<(Encoding, f64)> {
    let options = DecodeOptions {
        tcvn3_case: Tcvn3Case::Lower,
    };
    [
        Encoding::Tcvn3,
        Encoding::Vni,
        Encoding::Viscii,
        Encoding::Cp1258,
    ]
    .into_iter()
    .map(|encoding| {
        (
            encoding,
            score(&decode_with(sample, encoding, options)).value,
        )
    })
    .collect()
}

struct Score {
    /// Share of non-ASCII words that are Vietnamese syllables, penalised.
    value: f64,
    /// Number of words with non-ASCII letters.
    words: usize,
}

impl Score {
    /// How much evidence there is: a handful of words is not proof.
    fn weight(&self) -> f64 {
        (self.words as f64 / 3.0).min(1.0)
    }
}

fn score(decoded: &Decoded) -> Score {
    let mut words = 0usize;
    let mut valid = 0usize;
    let mut odd = decoded.unconvertible.len();
    let mut word: Vec<char> = Vec::new();
    let flush = |word: &mut Vec<char>, words: &mut usize, valid: &mut usize| {
        if word.iter().any(|c| !c.is_ascii()) {
            *words += 1;
            if is_vietnamese_syllable(word) && plausible_case(word) {
                *valid += 1;
            }
        }
        word.clear();
    };
    for c in decoded.text.chars() {
        if c.is_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut words, &mut valid);
            if c == '\u{FFFD}' || ('\u{80}'..='\u{9F}').contains(&c) {
                odd += 1;
            }
        }
    }
    flush(&mut word, &mut words, &mut valid);
    let ratio = (valid as f64 + 0.5) / (words as f64 + 1.0);
    let penalty = 1.0 / (1.0 + 4.0 * odd as f64 / (words.max(1) as f64));
    Score {
        value: ratio * penalty,
        words,
    }
}

/// Real words are lower case, capitalised or all capitals; a wrong decoding
/// often puts a capital in the middle of a word.
fn plausible_case(word: &[char]) -> bool {
    let rest_upper = word.iter().skip(1).filter(|c| c.is_uppercase()).count();
    rest_upper == 0 || word.iter().all(|c| !c.is_lowercase())
}

fn ranked(candidates: Vec<(Encoding, f64)>) -> Detection {
    // Softmax with a steep temperature: a clear winner gets nearly all of it.
    let exps: Vec<(Encoding, f64)> = candidates
        .iter()
        .map(|&(encoding, s)| (encoding, (12.0 * s).exp()))
        .collect();
    let total: f64 = exps.iter().map(|(_, e)| e).sum();
    let mut scored: Vec<(Encoding, f32)> = exps
        .into_iter()
        .map(|(encoding, e)| (encoding, (e / total) as f32))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (encoding, confidence) = scored.first().copied().unwrap_or((Encoding::Utf8, 1.0));
    Detection {
        encoding,
        confidence,
        alternatives: scored.into_iter().skip(1).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::encode;

    const TEXT: &str =
        "Chính phủ ban hành Nghị định về ứng dụng công nghệ thông tin trong hoạt động \
        của cơ quan nhà nước. Cơ quan nhà nước có trách nhiệm cung cấp thông tin đầy đủ, \
        kịp thời và chính xác trên trang thông tin điện tử.";

    #[test]
    fn detects_each_encoding_of_a_paragraph() {
        for encoding in [
            Encoding::Tcvn3,
            Encoding::Vni,
            Encoding::Viscii,
            Encoding::Cp1258,
            Encoding::Viqr,
            Encoding::Utf8,
        ] {
            let bytes = encode(TEXT, encoding).unwrap();
            let detection = detect(&bytes);
            assert_eq!(detection.encoding, encoding, "{detection:?}");
            assert!(detection.confidence > 0.8, "{encoding}: {detection:?}");
        }
    }

    #[test]
    fn plain_ascii_is_utf8() {
        let detection = detect(b"Hello world. This is plain text, isn't it?");
        assert_eq!(detection.encoding, Encoding::Utf8);
        let detection = detect(b"");
        assert_eq!(detection.encoding, Encoding::Utf8);
    }
}
