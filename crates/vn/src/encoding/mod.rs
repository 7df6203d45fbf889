//! Legacy Vietnamese encodings: TCVN3 (ABC), VNI-Windows, VISCII, VIQR and
//! Windows-1258, to and from Unicode NFC, plus detection of an unknown file.
//!
//! Decoding never drops input silently: a byte that has no meaning in the
//! encoding becomes U+FFFD in the text and is listed with its offset in
//! [`Decoded::unconvertible`]. Encoding fails with the character and its
//! position when the target cannot hold it.
//!
//! TCVN3 case: ABC fonts give upper- and lower-case accented vowels the same
//! byte (capitals came from a separate font), so a decoder must guess. By
//! default ([`Tcvn3Case::Heuristic`]) an ambiguous letter is upper case when
//! its word is written in capitals (at least two unambiguous capitals and no
//! unambiguous lower-case letter), or when the word has no decisive letters
//! and a neighbouring word on the same line is in capitals; otherwise it is
//! lower case. Encoding writes upper-case accented vowels with the shared
//! byte, as ABC fonts expect.

mod detect;
mod tables;
mod viqr;
mod vni;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

pub use detect::{detect, Detection};

use crate::letters::vowel_info;

/// A text encoding congso can read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// TCVN 5712:1993 VN3, the "ABC" font encoding (also reads the VN1 superset).
    Tcvn3,
    /// VNI-Windows font encoding: base letters followed by mark bytes.
    Vni,
    /// VISCII (RFC 1456).
    Viscii,
    /// VIQR (RFC 1456): 7-bit ASCII with marks written as punctuation.
    Viqr,
    /// Windows-1258, with combining tone marks.
    Cp1258,
    /// UTF-8 (Unicode), the form congso stores.
    Utf8,
}

impl Encoding {
    /// The legacy encodings, in the order detection reports ties.
    pub const LEGACY: [Encoding; 5] = [
        Encoding::Tcvn3,
        Encoding::Vni,
        Encoding::Viscii,
        Encoding::Cp1258,
        Encoding::Viqr,
    ];

    /// The short name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Tcvn3 => "tcvn3",
            Encoding::Vni => "vni",
            Encoding::Viscii => "viscii",
            Encoding::Viqr => "viqr",
            Encoding::Cp1258 => "cp1258",
            Encoding::Utf8 => "utf8",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An encoding name that congso does not know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown encoding '{0}' (expected tcvn3, vni, viscii, viqr, cp1258 or utf8)")]
pub struct UnknownEncoding(pub String);

impl FromStr for Encoding {
    type Err = UnknownEncoding;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tcvn3" | "tcvn" | "abc" | "vn3" | "tcvn5712" => Ok(Encoding::Tcvn3),
            "vni" | "vni-windows" => Ok(Encoding::Vni),
            "viscii" => Ok(Encoding::Viscii),
            "viqr" => Ok(Encoding::Viqr),
            "cp1258" | "windows-1258" | "win1258" => Ok(Encoding::Cp1258),
            "utf8" | "utf-8" | "unicode" => Ok(Encoding::Utf8),
            _ => Err(UnknownEncoding(s.to_owned())),
        }
    }
}

/// Decoded text and the bytes that could not be converted.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Decoded {
    /// The text in Unicode NFC; each unconvertible byte is U+FFFD.
    pub text: String,
    /// (byte offset in the input, byte) for every byte that had no meaning.
    pub unconvertible: Vec<(usize, u8)>,
}

impl Decoded {
    /// Whether every byte was converted.
    pub fn is_clean(&self) -> bool {
        self.unconvertible.is_empty()
    }
}

/// How TCVN3 decoding resolves its shared upper/lower-case bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tcvn3Case {
    /// Always lower case.
    Lower,
    /// Upper case inside words written in capitals (see the module docs).
    #[default]
    Heuristic,
}

/// Options for [`decode_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    pub tcvn3_case: Tcvn3Case,
}

/// Why text could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    #[error("character '{ch}' (U+{code:04X}) at character {position} (byte {byte_offset}) cannot be written in {encoding}", code = *ch as u32)]
    Unrepresentable {
        ch: char,
        /// 0-based index of the character in the NFC text.
        position: usize,
        /// Byte offset of the character in the NFC text.
        byte_offset: usize,
        encoding: Encoding,
    },
}

/// Decodes `bytes` from `encoding` into Unicode NFC.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Decoded {
    decode_with(bytes, encoding, DecodeOptions::default())
}

/// [`decode`] with options.
pub fn decode_with(bytes: &[u8], encoding: Encoding, options: DecodeOptions) -> Decoded {
    let mut decoded = match encoding {
        Encoding::Tcvn3 => decode_tcvn3(bytes, options.tcvn3_case),
        Encoding::Vni => vni::decode(bytes),
        Encoding::Viscii => decode_single_byte(bytes, &tables::VISCII),
        Encoding::Viqr => viqr::decode(bytes),
        Encoding::Cp1258 => decode_single_byte(bytes, &tables::CP1258),
        Encoding::Utf8 => decode_utf8(bytes),
    };
    if !crate::text::is_nfc(&decoded.text) {
        decoded.text = decoded.text.nfc().collect();
    }
    decoded
}

/// Encodes `text` (any normalisation form; it is composed first) into `encoding`.
pub fn encode(text: &str, encoding: Encoding) -> Result<Vec<u8>, EncodeError> {
    let text = crate::text::nfc(text);
    match encoding {
        Encoding::Tcvn3 => encode_tcvn3(&text),
        Encoding::Vni => vni::encode(&text),
        Encoding::Viscii => encode_single_byte(&text, &VISCII_ENCODER, Encoding::Viscii),
        Encoding::Viqr => viqr::encode(&text),
        Encoding::Cp1258 => encode_cp1258(&text),
        Encoding::Utf8 => Ok(text.into_bytes()),
    }
}

pub(crate) fn unrepresentable(
    text: &str,
    byte_offset: usize,
    ch: char,
    encoding: Encoding,
) -> EncodeError {
    EncodeError::Unrepresentable {
        ch,
        position: text[..byte_offset].chars().count(),
        byte_offset,
        encoding,
    }
}

fn decode_utf8(bytes: &[u8]) -> Decoded {
    let mut decoded = Decoded {
        text: String::with_capacity(bytes.len()),
        unconvertible: Vec::new(),
    };
    let mut offset = 0;
    while offset < bytes.len() {
        match std::str::from_utf8(&bytes[offset..]) {
            Ok(valid) => {
                decoded.text.push_str(valid);
                break;
            }
            Err(error) => {
                let valid_len = error.valid_up_to();
                if let Ok(valid) = std::str::from_utf8(&bytes[offset..offset + valid_len]) {
                    decoded.text.push_str(valid);
                }
                offset += valid_len;
                let bad_len = error.error_len().unwrap_or(bytes.len() - offset).max(1);
                for (index, &byte) in bytes[offset..offset + bad_len].iter().enumerate() {
                    decoded.unconvertible.push((offset + index, byte));
                    decoded.text.push('\u{FFFD}');
                }
                offset += bad_len;
            }
        }
    }
    decoded
}

fn decode_single_byte(bytes: &[u8], table: &[u16; 256]) -> Decoded {
    let mut decoded = Decoded {
        text: String::with_capacity(bytes.len() * 2),
        unconvertible: Vec::new(),
    };
    for (offset, &byte) in bytes.iter().enumerate() {
        match char_of(table, byte) {
            Some(c) => decoded.text.push(c),
            None => {
                decoded.text.push('\u{FFFD}');
                decoded.unconvertible.push((offset, byte));
            }
        }
    }
    decoded
}

pub(crate) fn char_of(table: &[u16; 256], byte: u8) -> Option<char> {
    let code = table[usize::from(byte)];
    if code == tables::UNDEFINED {
        None
    } else {
        char::from_u32(u32::from(code))
    }
}

fn encoder_for(table: &[u16; 256]) -> HashMap<char, u8> {
    let mut map = HashMap::with_capacity(256);
    for byte in (0..=255u8).rev() {
        if let Some(c) = char_of(table, byte) {
            map.insert(c, byte);
        }
    }
    map
}

static VISCII_ENCODER: LazyLock<HashMap<char, u8>> = LazyLock::new(|| encoder_for(&tables::VISCII));
static CP1258_ENCODER: LazyLock<HashMap<char, u8>> = LazyLock::new(|| encoder_for(&tables::CP1258));

fn encode_single_byte(
    text: &str,
    encoder: &HashMap<char, u8>,
    encoding: Encoding,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(text.len());
    for (offset, c) in text.char_indices() {
        match encoder.get(&c) {
            Some(&byte) => out.push(byte),
            None => return Err(unrepresentable(text, offset, c, encoding)),
        }
    }
    Ok(out)
}

fn encode_cp1258(text: &str) -> Result<Vec<u8>, EncodeError> {
    let encoder = &*CP1258_ENCODER;
    let mut out = Vec::with_capacity(text.len() + 8);
    for (offset, c) in text.char_indices() {
        if let Some(&byte) = encoder.get(&c) {
            out.push(byte);
            continue;
        }
        // Windows-1258 holds the vowels with their vowel marks; the tone is a
        // combining byte after the letter.
        let decomposed = vowel_info(c).and_then(|info| {
            let base = info.vowel.with(crate::letters::Tone::Level, info.upper);
            let base_byte = encoder.get(&base)?;
            let tone_byte = encoder.get(&info.tone.combining()?)?;
            Some([*base_byte, *tone_byte])
        });
        match decomposed {
            Some(bytes) => out.extend_from_slice(&bytes),
            None => return Err(unrepresentable(text, offset, c, Encoding::Cp1258)),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// TCVN3
// ---------------------------------------------------------------------------

/// Whether a decoded TCVN3 character's case is decided by its byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CaseEvidence {
    Upper,
    Lower,
    /// A lower-case letter whose byte ABC capital fonts share.
    Ambiguous,
    NotALetter,
}

fn tcvn3_evidence(c: char) -> CaseEvidence {
    if c.is_ascii_uppercase() {
        return CaseEvidence::Upper;
    }
    if c.is_ascii_lowercase() {
        return CaseEvidence::Lower;
    }
    match c {
        'Ă' | 'Â' | 'Ê' | 'Ô' | 'Ơ' | 'Ư' | 'Đ' => CaseEvidence::Upper,
        'ă' | 'â' | 'ê' | 'ô' | 'ơ' | 'ư' | 'đ' => CaseEvidence::Lower,
        _ => match vowel_info(c) {
            Some(info) if info.upper => CaseEvidence::Upper,
            Some(_) => CaseEvidence::Ambiguous,
            None if c.is_alphabetic() => CaseEvidence::Lower,
            None => CaseEvidence::NotALetter,
        },
    }
}

fn decode_tcvn3(bytes: &[u8], case: Tcvn3Case) -> Decoded {
    let mut decoded = decode_single_byte(bytes, &tables::TCVN_VN1);
    // Compose the VN1 combining marks (0xB0-0xB4) before looking at case.
    decoded.text = decoded.text.nfc().collect();
    // A file with distinct bytes for accented capitals is VN1, where case is
    // explicit; only VN3 (ABC) text needs the guess.
    let explicit_case = decoded.text.chars().any(|c| {
        vowel_info(c).is_some_and(|info| info.upper && info.tone != crate::letters::Tone::Level)
    });
    if case == Tcvn3Case::Heuristic && !explicit_case {
        decoded.text = apply_tcvn3_case(&decoded.text);
    }
    decoded
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum WordCase {
    Capitals,
    Lower,
    /// No decisive letters, or a single capital (a title-case word or an initial).
    Undecided,
}

fn apply_tcvn3_case(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    // Words: (start, end, case). Letters only; anything else separates words.
    let mut words: Vec<(usize, usize, WordCase, bool)> = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        if tcvn3_evidence(chars[index]) == CaseEvidence::NotALetter {
            index += 1;
            continue;
        }
        let start = index;
        let (mut upper, mut lower, mut ambiguous) = (0, 0, 0);
        while index < chars.len() {
            match tcvn3_evidence(chars[index]) {
                CaseEvidence::Upper => upper += 1,
                CaseEvidence::Lower => lower += 1,
                CaseEvidence::Ambiguous => ambiguous += 1,
                CaseEvidence::NotALetter => break,
            }
            index += 1;
        }
        let case = if lower > 0 {
            WordCase::Lower
        } else if upper >= 2 {
            WordCase::Capitals
        } else {
            WordCase::Undecided
        };
        words.push((start, index, case, ambiguous > 0));
    }
    // Words count as neighbours only when nothing but spaces, dashes, commas,
    // quotes, brackets or emphasis marks stands between them: digits or a
    // colon ("Số : 64/2007/NĐ-CP") or a line break end the phrase.
    let adjacent = |a: usize, b: usize| {
        chars[a.min(b)..a.max(b)]
            .iter()
            .filter(|c| tcvn3_evidence(**c) == CaseEvidence::NotALetter)
            .all(|c| {
                matches!(
                    c,
                    ' ' | '\t' | '-' | '–' | ',' | '*' | '"' | '“' | '”' | '(' | ')' | '_'
                )
            })
    };
    let mut out = chars.clone();
    for (word_index, &(start, end, case, has_ambiguous)) in words.iter().enumerate() {
        if !has_ambiguous {
            continue;
        }
        let neighbour_is = |other: Option<&(usize, usize, WordCase, bool)>, wanted: WordCase| {
            other.is_some_and(|&(s, e, c, _)| {
                c == wanted
                    && if s < start {
                        adjacent(e, start)
                    } else {
                        adjacent(end, s)
                    }
            })
        };
        let upper = match case {
            WordCase::Capitals => true,
            WordCase::Lower => false,
            WordCase::Undecided => {
                // Capitals next to it and no lower-case word next to it.
                let previous = word_index.checked_sub(1).and_then(|i| words.get(i));
                let next = words.get(word_index + 1);
                (neighbour_is(previous, WordCase::Capitals)
                    || neighbour_is(next, WordCase::Capitals))
                    && !neighbour_is(previous, WordCase::Lower)
                    && !neighbour_is(next, WordCase::Lower)
            }
        };
        // The first letter of a sentence or a line is a capital in real text.
        let starts_sentence = {
            let mut position = start;
            loop {
                let Some(previous) = position.checked_sub(1) else {
                    break true;
                };
                match chars[previous] {
                    ' ' | '\t' | '*' | '_' | '"' | '“' | '(' | '-' | '–' | '#' | '>' => {
                        position = previous
                    }
                    '\n' | '.' | '!' | '?' => break true,
                    _ => break false,
                }
            }
        };
        if !upper && starts_sentence && tcvn3_evidence(chars[start]) == CaseEvidence::Ambiguous {
            out[start] = chars[start].to_uppercase().next().unwrap_or(chars[start]);
        }
        if upper {
            for c in &mut out[start..end] {
                if tcvn3_evidence(*c) == CaseEvidence::Ambiguous {
                    *c = c.to_uppercase().next().unwrap_or(*c);
                }
            }
        }
    }
    out.into_iter().collect()
}

static TCVN3_ENCODER: LazyLock<HashMap<char, u8>> = LazyLock::new(|| {
    // VN3 is the VN1 upper half without its upper-case accented letters.
    let mut map = HashMap::with_capacity(256);
    for byte in 0..=255u8 {
        if let Some(c) = char_of(&tables::TCVN_VN1, byte) {
            let vn1_only_capital = vowel_info(c)
                .is_some_and(|info| info.upper && info.tone != crate::letters::Tone::Level);
            if !vn1_only_capital && !('\u{0300}'..='\u{0323}').contains(&c) {
                map.entry(c).or_insert(byte);
            }
        }
    }
    map
});

fn encode_tcvn3(text: &str) -> Result<Vec<u8>, EncodeError> {
    let encoder = &*TCVN3_ENCODER;
    let mut out = Vec::with_capacity(text.len());
    for (offset, c) in text.char_indices() {
        if let Some(&byte) = encoder.get(&c) {
            out.push(byte);
            continue;
        }
        // An upper-case accented vowel shares the lower-case byte.
        let shared = vowel_info(c)
            .filter(|info| info.upper)
            .and_then(|info| encoder.get(&info.vowel.with(info.tone, false)));
        match shared {
            Some(&byte) => out.push(byte),
            None => return Err(unrepresentable(text, offset, c, Encoding::Tcvn3)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\
        Hà Nội, ngày 05 tháng 02 năm 2026. Nghị định về ứng dụng công nghệ thông tin; \
        khuyến khích, hướng dẫn; Ưu tiên đầu tư: Ất Tỵ, Ỷ Lan, ỹ.";

    fn round_trip(encoding: Encoding, text: &str) {
        let bytes = encode(text, encoding).unwrap();
        let decoded = decode(&bytes, encoding);
        assert!(
            decoded.is_clean(),
            "{encoding}: {:?}",
            decoded.unconvertible
        );
        assert_eq!(decoded.text, text, "{encoding}");
    }

    #[test]
    fn round_trips_on_a_sample() {
        for encoding in [
            Encoding::Vni,
            Encoding::Viscii,
            Encoding::Cp1258,
            Encoding::Viqr,
            Encoding::Utf8,
        ] {
            round_trip(encoding, SAMPLE);
        }
    }

    #[test]
    fn known_byte_sequences() {
        let check = |encoding: Encoding, bytes: &[u8], expected: &str| {
            let decoded = decode(bytes, encoding);
            assert_eq!(decoded.text, expected, "{encoding}");
            assert!(decoded.is_clean());
            assert_eq!(
                encode(expected, encoding).unwrap(),
                bytes,
                "{encoding} encode"
            );
        };
        // "Việt Nam" in each encoding.
        check(Encoding::Tcvn3, b"Vi\xd6t Nam", "Việt Nam");
        check(Encoding::Vni, b"Vie\xe4t Nam", "Việt Nam");
        check(Encoding::Viscii, b"Vi\xaet Nam", "Việt Nam");
        check(Encoding::Viqr, b"Vie^.t Nam", "Việt Nam");
        check(Encoding::Cp1258, b"Vi\xea\xf2t Nam", "Việt Nam");
        check(
            Encoding::Vni,
            b"Co\xe4ng ho\xf8a xa\xf5 ho\xe4i chu\xfb ngh\xf3a",
            "Cộng hòa xã hội chủ nghĩa",
        );
        check(
            Encoding::Vni,
            b"\xd1o\xe4c la\xe4p - T\xf6\xef do - Ha\xefnh phu\xf9c",
            "Độc lập - Tự do - Hạnh phúc",
        );
        check(Encoding::Vni, b"ng\xf6\xf4\xf8i", "người");
    }

    #[test]
    fn tcvn3_case_heuristic() {
        let decoded = decode(
            b"C\xe9NG H\xdfA X\xb7 H\xe9I - H\xb5 N\xe9i",
            Encoding::Tcvn3,
        );
        assert_eq!(decoded.text, "CỘNG HÒA XÃ HỘI - Hà Nội");
        let lower = decode_with(
            b"C\xe9NG",
            Encoding::Tcvn3,
            DecodeOptions {
                tcvn3_case: Tcvn3Case::Lower,
            },
        );
        assert_eq!(lower.text, "CộNG");
        // An all-capital word of a single ambiguous letter next to capitals.
        assert_eq!(decode(b"\xb8 CH\xdf", Encoding::Tcvn3).text, "Á CHÒ");
        assert_eq!(decode(b"\xa7\xb5 N\xbdNG", Encoding::Tcvn3).text, "ĐÀ NẴNG");
        assert_eq!(decode(b"\xa7\xb5 N\xbdng", Encoding::Tcvn3).text, "Đà Nẵng");
        assert_eq!(
            encode("CỘNG HÒA", Encoding::Tcvn3).unwrap(),
            b"C\xe9NG H\xdfA"
        );
        round_trip(
            Encoding::Tcvn3,
            "Cộng hòa xã hội chủ nghĩa Việt Nam; ĐỘC LẬP TỰ DO. Ăn, Âm, Ê, Ô, Ơ, Ư.",
        );
    }

    #[test]
    fn unconvertible_bytes_are_reported() {
        let decoded = decode(b"a\x81b", Encoding::Cp1258);
        assert_eq!(decoded.text, "a\u{FFFD}b");
        assert_eq!(decoded.unconvertible, vec![(1, 0x81)]);
        let decoded = decode(b"ok \xff\xfe", Encoding::Utf8);
        assert_eq!(decoded.unconvertible, vec![(3, 0xff), (4, 0xfe)]);
        // A VNI mark byte with no letter before it.
        let decoded = decode(b" \xf9", Encoding::Vni);
        assert_eq!(decoded.unconvertible, vec![(1, 0xf9)]);
    }

    #[test]
    fn encode_errors_name_the_character() {
        let error = encode("Hà Nội ☃", Encoding::Viscii).unwrap_err();
        assert_eq!(
            error,
            EncodeError::Unrepresentable {
                ch: '☃',
                position: 7,
                byte_offset: 10,
                encoding: Encoding::Viscii
            }
        );
        assert_eq!(
            error.to_string(),
            "character '☃' (U+2603) at character 7 (byte 10) cannot be written in viscii"
        );
        assert!(encode("ç", Encoding::Vni).is_err());
        assert_eq!(encode("é", Encoding::Vni).unwrap(), b"e\xf9");
        assert!(encode("日本", Encoding::Viqr).is_err());
    }

    #[test]
    fn encoding_names() {
        assert_eq!("TCVN3".parse::<Encoding>(), Ok(Encoding::Tcvn3));
        assert_eq!("windows-1258".parse::<Encoding>(), Ok(Encoding::Cp1258));
        assert!("latin9".parse::<Encoding>().is_err());
    }
}
