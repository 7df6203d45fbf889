//! VNI-Windows: a base letter followed by one mark byte. Sequences are
//! matched longest first (letter + mark before the letter alone).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{tables, unrepresentable, Decoded, EncodeError, Encoding};
use crate::letters::{Tone, Vowel};

/// What a mark byte adds to the letter before it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Modifier {
    None,
    Circumflex,
    Breve,
}

/// Lower-case mark bytes; the upper-case form is the byte minus 0x20.
const MARKS: [(u8, Modifier, Tone); 17] = [
    (0xF9, Modifier::None, Tone::Acute),
    (0xF8, Modifier::None, Tone::Grave),
    (0xFB, Modifier::None, Tone::Hook),
    (0xF5, Modifier::None, Tone::Tilde),
    (0xEF, Modifier::None, Tone::Dot),
    (0xE2, Modifier::Circumflex, Tone::Level),
    (0xE1, Modifier::Circumflex, Tone::Acute),
    (0xE0, Modifier::Circumflex, Tone::Grave),
    (0xE5, Modifier::Circumflex, Tone::Hook),
    (0xE3, Modifier::Circumflex, Tone::Tilde),
    (0xE4, Modifier::Circumflex, Tone::Dot),
    (0xEA, Modifier::Breve, Tone::Level),
    (0xE9, Modifier::Breve, Tone::Acute),
    (0xE8, Modifier::Breve, Tone::Grave),
    (0xFA, Modifier::Breve, Tone::Hook),
    (0xFC, Modifier::Breve, Tone::Tilde),
    (0xEB, Modifier::Breve, Tone::Dot),
];

/// Letters written with a single byte (lower case; upper case is byte - 0x20).
const SINGLES: [(u8, char); 9] = [
    (0xF4, 'ơ'),
    (0xF6, 'ư'),
    (0xED, 'í'),
    (0xEC, 'ì'),
    (0xE6, 'ỉ'),
    (0xF3, 'ĩ'),
    (0xF2, 'ị'),
    (0xEE, 'ỵ'),
    (0xF1, 'đ'),
];

fn mark_of(byte: u8) -> Option<(Modifier, Tone, bool)> {
    MARKS.iter().find_map(|&(lower, modifier, tone)| {
        if byte == lower {
            Some((modifier, tone, false))
        } else if byte == lower - 0x20 {
            Some((modifier, tone, true))
        } else {
            None
        }
    })
}

fn single_of(byte: u8) -> Option<char> {
    SINGLES.iter().find_map(|&(lower, c)| {
        if byte == lower {
            Some(c)
        } else if byte == lower - 0x20 {
            c.to_uppercase().next()
        } else {
            None
        }
    })
}

/// The vowel a base byte stands for, and whether it is upper case.
fn base_of(byte: u8) -> Option<(Vowel, bool)> {
    let upper = byte.is_ascii_uppercase() || byte == 0xD4 || byte == 0xD6;
    let vowel = match byte.to_ascii_lowercase() {
        b'a' => Vowel::A,
        b'e' => Vowel::E,
        b'i' => Vowel::I,
        b'o' => Vowel::O,
        b'u' => Vowel::U,
        b'y' => Vowel::Y,
        0xF4 | 0xD4 => Vowel::OHorn,
        0xF6 | 0xD6 => Vowel::UHorn,
        _ => return None,
    };
    Some((vowel, upper))
}

fn combine(vowel: Vowel, modifier: Modifier) -> Option<Vowel> {
    match (vowel, modifier) {
        (v, Modifier::None) => Some(v),
        (Vowel::A, Modifier::Circumflex) => Some(Vowel::ACircumflex),
        (Vowel::E, Modifier::Circumflex) => Some(Vowel::ECircumflex),
        (Vowel::O, Modifier::Circumflex) => Some(Vowel::OCircumflex),
        (Vowel::A, Modifier::Breve) => Some(Vowel::ABreve),
        _ => None,
    }
}

pub(super) fn decode(bytes: &[u8]) -> Decoded {
    let mut decoded = Decoded {
        text: String::with_capacity(bytes.len() * 2),
        unconvertible: Vec::new(),
    };
    let mut offset = 0;
    while offset < bytes.len() {
        let byte = bytes[offset];
        if let Some((vowel, upper)) = base_of(byte) {
            let marked = bytes.get(offset + 1).and_then(|&next| {
                let (modifier, tone, _) = mark_of(next)?;
                Some(combine(vowel, modifier)?.with(tone, upper))
            });
            match marked {
                Some(c) => {
                    decoded.text.push(c);
                    offset += 2;
                }
                None => {
                    decoded.text.push(vowel.with(Tone::Level, upper));
                    offset += 1;
                }
            }
            continue;
        }
        if let Some(c) = single_of(byte) {
            decoded.text.push(c);
        } else if byte < 0x80 {
            decoded.text.push(char::from(byte));
        } else if mark_of(byte).is_some() {
            // A mark with no letter it can sit on.
            decoded.text.push('\u{FFFD}');
            decoded.unconvertible.push((offset, byte));
        } else if let Some(c) = super::char_of(&tables::CP1252, byte) {
            decoded.text.push(c);
        } else {
            decoded.text.push('\u{FFFD}');
            decoded.unconvertible.push((offset, byte));
        }
        offset += 1;
    }
    decoded
}

/// Unicode letter -> VNI bytes (one or two).
static ENCODER: LazyLock<HashMap<char, Vec<u8>>> = LazyLock::new(|| {
    let mut map: HashMap<char, Vec<u8>> = HashMap::new();
    // Singles first, so that ơ, ư, the accented i and ỵ use their own byte.
    for &(lower, c) in &SINGLES {
        map.insert(c, vec![lower]);
        if let Some(upper) = c.to_uppercase().next() {
            map.insert(upper, vec![lower - 0x20]);
        }
    }
    for vowel in Vowel::ALL {
        for tone in Tone::ALL {
            for upper in [false, true] {
                let c = vowel.with(tone, upper);
                if map.contains_key(&c) || c.is_ascii() {
                    continue;
                }
                let (base, modifier) = match vowel {
                    Vowel::ACircumflex => (Vowel::A, Modifier::Circumflex),
                    Vowel::ECircumflex => (Vowel::E, Modifier::Circumflex),
                    Vowel::OCircumflex => (Vowel::O, Modifier::Circumflex),
                    Vowel::ABreve => (Vowel::A, Modifier::Breve),
                    other => (other, Modifier::None),
                };
                let base_byte = match (base, upper) {
                    (Vowel::OHorn, false) => 0xF4,
                    (Vowel::OHorn, true) => 0xD4,
                    (Vowel::UHorn, false) => 0xF6,
                    (Vowel::UHorn, true) => 0xD6,
                    (other, false) => other.ascii_base(),
                    (other, true) => other.ascii_base().to_ascii_uppercase(),
                };
                let mark = MARKS
                    .iter()
                    .find(|&&(_, m, t)| m == modifier && t == tone)
                    .map(|&(lower, _, _)| if upper { lower - 0x20 } else { lower });
                let mut bytes = vec![base_byte];
                bytes.extend(mark);
                map.insert(c, bytes);
            }
        }
    }
    map
});

pub(super) fn encode(text: &str) -> Result<Vec<u8>, EncodeError> {
    let encoder = &*ENCODER;
    let mut out = Vec::with_capacity(text.len() + text.len() / 2);
    for (offset, c) in text.char_indices() {
        if c.is_ascii() {
            out.push(c as u8);
        } else if let Some(bytes) = encoder.get(&c) {
            out.extend_from_slice(bytes);
        } else if let Some(byte) = cp1252_byte(c) {
            out.push(byte);
        } else {
            return Err(unrepresentable(text, offset, c, Encoding::Vni));
        }
    }
    Ok(out)
}

/// Windows-1252 punctuation and symbols (0x80-0xBF) pass through VNI text;
/// Latin-1 letters do not, since their bytes are VNI letters and marks.
fn cp1252_byte(c: char) -> Option<u8> {
    (0x80..=0xBFu8).find(|&byte| super::char_of(&tables::CP1252, byte) == Some(c))
}
