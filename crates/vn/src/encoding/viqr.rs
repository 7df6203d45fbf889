//! VIQR (RFC 1456): Vietnamese in 7-bit ASCII. A vowel is followed by an
//! optional vowel mark — `(` breve, `^` circumflex, `+` horn — and an
//! optional tone mark — `'` acute, `` ` `` grave, `?` hook, `~` tilde, `.`
//! dot below; `dd` is đ. A backslash makes the next mark character literal.
//!
//! As in RFC 1456, a mark character right after a vowel is read as a mark
//! ("Ha` No^.i."), so a sentence ending in a vowel and a full stop gains a
//! dot below; the encoder escapes such characters so that a round trip is exact.

use super::{unrepresentable, Decoded, EncodeError, Encoding};
use crate::letters::{vowel_info, Tone, Vowel};

fn tone_of_mark(c: u8) -> Option<Tone> {
    match c {
        b'\'' => Some(Tone::Acute),
        b'`' => Some(Tone::Grave),
        b'?' => Some(Tone::Hook),
        b'~' => Some(Tone::Tilde),
        b'.' => Some(Tone::Dot),
        _ => None,
    }
}

fn tone_mark(tone: Tone) -> Option<u8> {
    match tone {
        Tone::Level => None,
        Tone::Acute => Some(b'\''),
        Tone::Grave => Some(b'`'),
        Tone::Hook => Some(b'?'),
        Tone::Tilde => Some(b'~'),
        Tone::Dot => Some(b'.'),
    }
}

fn with_vowel_mark(vowel: Vowel, mark: u8) -> Option<Vowel> {
    match (vowel, mark) {
        (Vowel::A, b'(') => Some(Vowel::ABreve),
        (Vowel::A, b'^') => Some(Vowel::ACircumflex),
        (Vowel::E, b'^') => Some(Vowel::ECircumflex),
        (Vowel::O, b'^') => Some(Vowel::OCircumflex),
        (Vowel::O, b'+') => Some(Vowel::OHorn),
        (Vowel::U, b'+') => Some(Vowel::UHorn),
        _ => None,
    }
}

fn vowel_mark(vowel: Vowel) -> (u8, Option<u8>) {
    match vowel {
        Vowel::ABreve => (b'a', Some(b'(')),
        Vowel::ACircumflex => (b'a', Some(b'^')),
        Vowel::ECircumflex => (b'e', Some(b'^')),
        Vowel::OCircumflex => (b'o', Some(b'^')),
        Vowel::OHorn => (b'o', Some(b'+')),
        Vowel::UHorn => (b'u', Some(b'+')),
        other => (other.ascii_base(), None),
    }
}

fn plain_vowel(byte: u8) -> Option<Vowel> {
    Some(match byte.to_ascii_lowercase() {
        b'a' => Vowel::A,
        b'e' => Vowel::E,
        b'i' => Vowel::I,
        b'o' => Vowel::O,
        b'u' => Vowel::U,
        b'y' => Vowel::Y,
        _ => return None,
    })
}

fn is_escapable(byte: u8) -> bool {
    matches!(
        byte,
        b'\'' | b'`' | b'?' | b'~' | b'.' | b'(' | b'^' | b'+' | b'd' | b'D' | b'\\'
    )
}

pub(super) fn decode(bytes: &[u8]) -> Decoded {
    let mut decoded = Decoded {
        text: String::with_capacity(bytes.len()),
        unconvertible: Vec::new(),
    };
    let mut offset = 0;
    while offset < bytes.len() {
        let byte = bytes[offset];
        if byte >= 0x80 {
            // VIQR is 7-bit; an 8-bit byte means the file is something else.
            decoded.text.push('\u{FFFD}');
            decoded.unconvertible.push((offset, byte));
            offset += 1;
            continue;
        }
        if byte == b'\\' {
            match bytes.get(offset + 1) {
                Some(&next) if is_escapable(next) => {
                    decoded.text.push(char::from(next));
                    offset += 2;
                }
                _ => {
                    decoded.text.push('\\');
                    offset += 1;
                }
            }
            continue;
        }
        if byte == b'd' || byte == b'D' {
            if matches!(bytes.get(offset + 1), Some(b'd' | b'D')) {
                decoded.text.push(if byte == b'D' { 'Đ' } else { 'đ' });
                offset += 2;
            } else {
                decoded.text.push(char::from(byte));
                offset += 1;
            }
            continue;
        }
        let Some(mut vowel) = plain_vowel(byte) else {
            decoded.text.push(char::from(byte));
            offset += 1;
            continue;
        };
        let upper = byte.is_ascii_uppercase();
        offset += 1;
        if let Some(marked) = bytes.get(offset).and_then(|&m| with_vowel_mark(vowel, m)) {
            vowel = marked;
            offset += 1;
        }
        let mut tone = Tone::Level;
        if let Some(t) = bytes.get(offset).and_then(|&m| tone_of_mark(m)) {
            tone = t;
            offset += 1;
        }
        decoded.text.push(vowel.with(tone, upper));
    }
    decoded
}

pub(super) fn encode(text: &str) -> Result<Vec<u8>, EncodeError> {
    let mut out: Vec<u8> = Vec::with_capacity(text.len() + text.len() / 2);
    // What the decoder would still accept after the bytes written so far:
    // 0 nothing, 1 a vowel mark or a tone, 2 only a tone.
    let mut pending: (Option<Vowel>, u8) = (None, 0);
    let mut previous_plain_d = false;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (index, &(offset, c)) in chars.iter().enumerate() {
        let mut plain_d = false;
        if c.is_ascii() {
            let byte = c as u8;
            let would_attach = match pending {
                (Some(vowel), 1) => {
                    tone_of_mark(byte).is_some() || with_vowel_mark(vowel, byte).is_some()
                }
                (Some(_), 2) => tone_of_mark(byte).is_some(),
                _ => false,
            };
            let next_is_escapable = chars.get(index + 1).is_some_and(|&(_, n)| {
                (n.is_ascii() && is_escapable(n as u8)) || n == 'đ' || n == 'Đ'
            });
            let escape = would_attach
                || ((byte == b'd' || byte == b'D') && previous_plain_d)
                || (byte == b'\\' && next_is_escapable);
            if escape {
                out.push(b'\\');
            }
            out.push(byte);
            pending = match plain_vowel(byte) {
                Some(vowel) if !escape => (Some(vowel), 1),
                _ => (None, 0),
            };
            plain_d = (byte == b'd' || byte == b'D') && !escape;
        } else if c == 'đ' || c == 'Đ' {
            if previous_plain_d {
                // "d" then "dd" would read as "đd": escape the plain d.
                let last = out.len().saturating_sub(1);
                out.insert(last, b'\\');
            }
            out.extend_from_slice(if c == 'Đ' { b"DD" } else { b"dd" });
            pending = (None, 0);
        } else if let Some(info) = vowel_info(c) {
            let (base, mark) = vowel_mark(info.vowel);
            out.push(if info.upper {
                base.to_ascii_uppercase()
            } else {
                base
            });
            out.extend(mark);
            let tone = tone_mark(info.tone);
            out.extend(tone);
            pending = match (mark, tone) {
                (_, Some(_)) => (None, 0),
                (Some(_), None) => (Some(info.vowel), 2),
                (None, None) => (Some(info.vowel), 1),
            };
        } else {
            return Err(unrepresentable(text, offset, c, Encoding::Viqr));
        }
        previous_plain_d = plain_d;
    }
    Ok(out)
}
