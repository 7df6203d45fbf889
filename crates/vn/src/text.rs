//! Vietnamese text: NFC, tone-placement normalisation, search folding and collation.
//!
//! Stored text keeps exactly what the author wrote (after NFC). Matching uses
//! [`normalize_tones`], which also moves tone marks to one canonical vowel, so
//! that "hoà" and "hòa" compare equal. Search keys use [`fold`], which drops
//! tones and vowel marks entirely and maps đ to d.

use std::cmp::Ordering;
use std::sync::LazyLock;

use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use crate::letters::{vowel_info, Tone, Vowel, VowelInfo};

/// Returns the Unicode NFC form of `s` (TCVN 6909:2001 requires precomposed text).
///
/// Text that is already NFC, which is nearly all real input, is only scanned
/// and copied; the full normalisation runs only when the scan finds a
/// character that might change.
pub fn nfc(s: &str) -> String {
    if is_whitelisted_nfc(s) {
        return s.to_owned();
    }
    if let Some(composed) = compose_vietnamese(s) {
        return composed;
    }
    if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        return s.to_owned();
    }
    s.nfc().collect()
}

/// The eight combining marks Vietnamese uses, with their canonical
/// combining classes: circumflex, breve, horn, the five tones.
fn vietnamese_mark_class(c: char) -> Option<u8> {
    match c {
        '\u{0300}' | '\u{0301}' | '\u{0302}' | '\u{0303}' | '\u{0306}' | '\u{0309}' => Some(230),
        '\u{031B}' => Some(216),
        '\u{0323}' => Some(220),
        _ => None,
    }
}

/// The position (1–8) of a Vietnamese combining mark in a composition key.
fn mark_index(c: char) -> usize {
    match c {
        '\u{0300}' => 1,
        '\u{0301}' => 2,
        '\u{0302}' => 3,
        '\u{0303}' => 4,
        '\u{0306}' => 5,
        '\u{0309}' => 6,
        '\u{031B}' => 7,
        '\u{0323}' => 8,
        _ => 0,
    }
}

/// Index of (ASCII base letter, first mark, second mark) in [`COMPOSE`];
/// marks in canonical order, 0 for "none".
fn compose_index(base: char, first: char, second: char) -> usize {
    ((base as usize & 0x7F) * 9 + mark_index(first)) * 9 + mark_index(second)
}

/// Every precomposed letter Vietnamese writes, indexed by its canonical
/// decomposition (base letter + up to two marks in canonical order). A flat
/// array (about 40 KB) rather than a hash map: this lookup is the inner loop
/// of composing decomposed text.
static COMPOSE: LazyLock<Vec<Option<char>>> = LazyLock::new(|| {
    let mut table = vec![None; 128 * 9 * 9];
    let candidates = (0xC0u32..0x1B1).chain(0x1EA0..=0x1EF9);
    for cp in candidates {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        let decomposed: Vec<char> = std::iter::once(c).nfd().collect();
        let (base, marks) = match decomposed.split_first() {
            Some((base, marks))
                if base.is_ascii_alphabetic() && !marks.is_empty() && marks.len() <= 2 =>
            {
                (*base, marks)
            }
            _ => continue,
        };
        if marks.iter().all(|m| vietnamese_mark_class(*m).is_some()) {
            let second = marks.get(1).copied().unwrap_or('\0');
            table[compose_index(base, marks[0], second)] = Some(c);
        }
    }
    table
});

/// NFC for text made of Latin letters, the Vietnamese combining marks and
/// anything the NFC quick check passes unchanged. Returns `None` when the
/// text needs the general algorithm (other scripts' marks, sequences that do
/// not compose to one Vietnamese letter), which the caller then runs; tests
/// compare both on random input.
/// Characters that are NFC_QC=Yes starters which never combine with what
/// precedes them (checked by a unit test for `is_nfc_fast`).
fn is_stable_starter(c: char) -> bool {
    let cp = c as u32;
    cp < 0x300 && !(0x250..0x300).contains(&cp)
        || (0x1EA0..=0x1EF9).contains(&cp)
        || (0x2010..=0x2027).contains(&cp)
}

fn compose_vietnamese(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        // Outside the NFC-stable ranges (see `is_nfc_fast`) anything may
        // compose (combining marks, Hangul jamo, …): leave it to the general
        // algorithm.
        if !is_stable_starter(c) {
            return None;
        }
        let Some(&next) = chars.peek() else {
            out.push(c);
            break;
        };
        if vietnamese_mark_class(next).is_none() {
            out.push(c);
            continue;
        }
        // A starter followed by Vietnamese marks: decompose the starter too
        // (it may itself be "â" or "ơ"), gather the marks, order them
        // canonically and look the letter up.
        let mut base = c;
        let mut marks: [(u8, char); 4] = [(0, '\0'); 4];
        let mut count = 0usize;
        let mut push = |mark: char, count: &mut usize| -> Option<()> {
            let class = vietnamese_mark_class(mark)?;
            if *count == marks.len() {
                return None;
            }
            marks[*count] = (class, mark);
            *count += 1;
            Some(())
        };
        if !c.is_ascii_alphabetic() {
            let mut parts = Vec::with_capacity(3);
            decompose_canonical(c, |part| parts.push(part));
            let (first, rest) = parts.split_first()?;
            if !first.is_ascii_alphabetic() {
                return None;
            }
            base = *first;
            for mark in rest {
                push(*mark, &mut count)?;
            }
        }
        while let Some(&mark) = chars.peek() {
            if vietnamese_mark_class(mark).is_none() {
                break;
            }
            push(mark, &mut count)?;
            chars.next();
        }
        if count == 0 || count > 2 {
            return None;
        }
        let marks = &mut marks[..count];
        // Canonical ordering: a stable sort by combining class.
        marks.sort_by_key(|(class, _)| *class);
        let first = marks[0].1;
        let second = marks.get(1).map_or('\0', |(_, mark)| *mark);
        out.push(
            COMPOSE
                .get(compose_index(base, first, second))
                .copied()
                .flatten()?,
        );
    }
    Some(out)
}

/// Returns the Unicode NFD form of `s` (base letters followed by combining marks).
pub fn nfd(s: &str) -> String {
    s.nfd().collect()
}

/// Whether `s` is in NFC; quick for Vietnamese text, exact for any text.
pub fn is_nfc(s: &str) -> bool {
    is_nfc_fast(s) || unicode_normalization::is_nfc(s)
}

fn is_nfc_fast(s: &str) -> bool {
    is_whitelisted_nfc(s) || is_nfc_quick(s.chars()) == IsNormalized::Yes
}

/// ASCII, Latin-1, Latin Extended-A/B, the Vietnamese block of Latin
/// Extended Additional and common punctuation are all NFC_QC=Yes with
/// canonical combining class 0 (checked by a unit test), so a string made
/// only of them is NFC.
fn is_whitelisted_nfc(s: &str) -> bool {
    s.chars().all(|c| {
        let cp = c as u32;
        cp < 0x250 || (0x1EA0..=0x1EF9).contains(&cp) || (0x2010..=0x2027).contains(&cp)
    })
}

/// Where the tone mark goes in the open syllables "oa", "oe" and "uy".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ToneStyle {
    /// The traditional placement most text uses: "hòa", "khỏe", "thủy".
    #[default]
    Classic,
    /// The placement of the 1980s orthography rules: "hoà", "khoẻ", "thuỷ".
    Modern,
}

/// NFC plus canonical tone placement ([`ToneStyle::Classic`]), for matching.
///
/// "hoà" and "hòa" both become "hòa", "thuỷ" becomes "thủy" and "qúy"
/// becomes "quý". Words that are not Vietnamese syllables (foreign words,
/// abbreviations, words with two tone marks) are left exactly as written.
pub fn normalize_tones(s: &str) -> String {
    normalize_tones_with(s, ToneStyle::Classic)
}

/// [`normalize_tones`] with an explicit placement style.
pub fn normalize_tones_with(s: &str, style: ToneStyle) -> String {
    let normalized = nfc(s);
    let mut out = String::with_capacity(normalized.len());
    let mut word: Vec<char> = Vec::new();
    for c in normalized.chars() {
        if c.is_alphabetic() {
            word.push(c);
        } else {
            flush_word(&mut word, &mut out, style);
            out.push(c);
        }
    }
    flush_word(&mut word, &mut out, style);
    out
}

fn flush_word(word: &mut Vec<char>, out: &mut String, style: ToneStyle) {
    match place_tone(word, style) {
        Some(fixed) => out.extend(fixed),
        None => out.extend(word.iter()),
    }
    word.clear();
}

#[derive(Clone, Copy)]
enum Piece {
    Vowel(VowelInfo),
    Consonant(char),
}

impl Piece {
    fn is_vowel(self) -> bool {
        matches!(self, Piece::Vowel(_))
    }
    fn is_vowel_kind(self, kind: Vowel) -> bool {
        matches!(self, Piece::Vowel(info) if info.vowel == kind)
    }
}

/// The syllable structure of a word, if it is a Vietnamese syllable with a tone.
struct Syllable {
    pieces: Vec<Piece>,
    tone: Tone,
    /// Index of the first vowel of the nucleus (after "qu" and "gi").
    nucleus_start: usize,
    nucleus_end: usize,
}

fn parse_syllable(word: &[char]) -> Option<Syllable> {
    let mut pieces = Vec::with_capacity(word.len());
    let mut tone = Tone::Level;
    let mut tone_count = 0;
    for &c in word {
        if let Some(mut info) = vowel_info(c) {
            if info.tone != Tone::Level {
                tone = info.tone;
                tone_count += 1;
                info.tone = Tone::Level;
            }
            pieces.push(Piece::Vowel(info));
        } else if c.is_ascii_alphabetic() || c == 'đ' || c == 'Đ' {
            pieces.push(Piece::Consonant(c));
        } else {
            return None;
        }
    }
    // A word without a tone has nothing to move; a word with two is not one
    // syllable and is left alone.
    if tone_count != 1 {
        return None;
    }
    let mut start = pieces.iter().position(|p| p.is_vowel())?;
    let initial: String = pieces[..start]
        .iter()
        .filter_map(|p| match p {
            Piece::Consonant(c) => Some(c.to_ascii_lowercase()),
            Piece::Vowel(_) => None,
        })
        .collect();
    let next_is_vowel = pieces.get(start + 1).is_some_and(|p| p.is_vowel());
    // In "qu" the u belongs to the initial consonant; in "gi" the i does when
    // another vowel follows ("già", "giữa") but is the nucleus otherwise ("gì").
    if (initial == "q" && pieces[start].is_vowel_kind(Vowel::U))
        || (initial == "g" && pieces[start].is_vowel_kind(Vowel::I) && next_is_vowel)
    {
        start += 1;
    }
    let end = start + pieces[start..].iter().take_while(|p| p.is_vowel()).count();
    if end == start || end - start > 3 {
        return None;
    }
    if pieces[end..].iter().any(|p| p.is_vowel()) {
        return None;
    }
    let final_consonant: String = pieces[end..]
        .iter()
        .filter_map(|p| match p {
            Piece::Consonant(c) => Some(c.to_ascii_lowercase()),
            Piece::Vowel(_) => None,
        })
        .collect();
    if !matches!(
        final_consonant.as_str(),
        "" | "c" | "ch" | "m" | "n" | "ng" | "nh" | "p" | "t"
    ) {
        return None;
    }
    Some(Syllable {
        pieces,
        tone,
        nucleus_start: start,
        nucleus_end: end,
    })
}

fn place_tone(word: &[char], style: ToneStyle) -> Option<Vec<char>> {
    let syllable = parse_syllable(word)?;
    let nucleus: Vec<VowelInfo> = syllable.pieces[syllable.nucleus_start..syllable.nucleus_end]
        .iter()
        .filter_map(|p| match p {
            Piece::Vowel(info) => Some(*info),
            Piece::Consonant(_) => None,
        })
        .collect();
    let has_final = syllable.nucleus_end < syllable.pieces.len();
    let position = if let Some(marked) = nucleus.iter().rposition(|v| v.vowel.has_vowel_mark()) {
        // A vowel with a vowel mark always takes the tone; in "ươ" it is the ơ.
        marked
    } else if nucleus.len() == 1 {
        0
    } else if nucleus.len() == 3 || has_final {
        // Three vowels take the tone in the middle ("khuỷu"); two vowels
        // before a final consonant take it on the second ("hoàng").
        1
    } else {
        let modern_pair = matches!(
            (nucleus[0].vowel, nucleus[1].vowel),
            (Vowel::O, Vowel::A) | (Vowel::O, Vowel::E) | (Vowel::U, Vowel::Y)
        );
        usize::from(style == ToneStyle::Modern && modern_pair)
    };
    let target = syllable.nucleus_start + position;
    Some(
        syllable
            .pieces
            .iter()
            .enumerate()
            .map(|(index, piece)| match piece {
                Piece::Consonant(c) => *c,
                Piece::Vowel(info) => {
                    let tone = if index == target {
                        syllable.tone
                    } else {
                        Tone::Level
                    };
                    info.vowel.with(tone, info.upper)
                }
            })
            .collect(),
    )
}

/// Whether `word` (letters only) is a well-formed Vietnamese syllable:
/// a valid initial consonant, one to three vowels, a valid final consonant
/// and at most one tone mark. Used to score encoding guesses.
pub(crate) fn is_vietnamese_syllable(word: &[char]) -> bool {
    const INITIALS: [&str; 27] = [
        "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh",
        "nh", "p", "ph", "q", "r", "s", "t", "th", "tr", "v",
    ];
    let mut tones = 0;
    let mut pieces: Vec<Piece> = Vec::with_capacity(word.len());
    for &c in word {
        let lower = c.to_lowercase().next().unwrap_or(c);
        if let Some(info) = vowel_info(lower) {
            if info.tone != Tone::Level {
                tones += 1;
            }
            pieces.push(Piece::Vowel(info));
        } else if lower.is_ascii_lowercase() || lower == 'đ' {
            pieces.push(Piece::Consonant(lower));
        } else {
            return false;
        }
    }
    if tones > 1 {
        return false;
    }
    let Some(mut start) = pieces.iter().position(|p| p.is_vowel()) else {
        return false;
    };
    let initial: String = pieces[..start]
        .iter()
        .filter_map(|p| match p {
            Piece::Consonant(c) => Some(*c),
            Piece::Vowel(_) => None,
        })
        .collect();
    if initial != "x" && !INITIALS.contains(&initial.as_str()) {
        return false;
    }
    let next_is_vowel = pieces.get(start + 1).is_some_and(|p| p.is_vowel());
    if initial == "q" {
        if !pieces[start].is_vowel_kind(Vowel::U) {
            return false;
        }
        start += 1;
    } else if initial == "g" && pieces[start].is_vowel_kind(Vowel::I) && next_is_vowel {
        start += 1;
    }
    let vowels = pieces[start..].iter().take_while(|p| p.is_vowel()).count();
    let end = start + vowels;
    if !(1..=3).contains(&vowels) || pieces[end..].iter().any(|p| p.is_vowel()) {
        return false;
    }
    let final_consonant: String = pieces[end..]
        .iter()
        .filter_map(|p| match p {
            Piece::Consonant(c) => Some(*c),
            Piece::Vowel(_) => None,
        })
        .collect();
    matches!(
        final_consonant.as_str(),
        "" | "c" | "ch" | "m" | "n" | "ng" | "nh" | "p" | "t"
    )
}

/// The key two strings share when they are equal for matching: NFC, canonical
/// tone placement and lower case.
pub fn match_key(s: &str) -> String {
    normalize_tones(s).to_lowercase()
}

/// Whether two strings are equal for matching: same letters, same tones and
/// same vowel marks, regardless of normalisation form, tone placement or case.
pub fn eq_for_matching(a: &str, b: &str) -> bool {
    a == b || match_key(a) == match_key(b)
}

/// What one code point folds to in the fast path.
const FOLD_NONE: u8 = 0;

struct FoldTable {
    /// U+0080..U+0250: the lower-case ASCII letter, or [`FOLD_NONE`].
    latin: [u8; 0x250 - 0x80],
    /// U+1E00..U+1F00 (Latin Extended Additional, which holds the Vietnamese block).
    extended: [u8; 0x100],
}

static FOLD: LazyLock<FoldTable> = LazyLock::new(|| {
    fn ascii_base(cp: u32) -> u8 {
        let Some(c) = char::from_u32(cp) else {
            return FOLD_NONE;
        };
        if c == 'đ' || c == 'Đ' {
            return b'd';
        }
        let mut first = None;
        decompose_canonical(c, |d| {
            if first.is_none() {
                first = Some(d);
            }
        });
        match first {
            Some(d) if d != c && d.is_ascii_alphabetic() => d.to_ascii_lowercase() as u8,
            _ => FOLD_NONE,
        }
    }
    let mut table = FoldTable {
        latin: [FOLD_NONE; 0x250 - 0x80],
        extended: [FOLD_NONE; 0x100],
    };
    for (offset, slot) in table.latin.iter_mut().enumerate() {
        *slot = ascii_base(0x80 + offset as u32);
    }
    for (offset, slot) in table.extended.iter_mut().enumerate() {
        *slot = ascii_base(0x1E00 + offset as u32);
    }
    table
});

/// The search key of `s`: lower case, tones and vowel marks removed, đ→d.
///
/// "Cộng hòa Xã hội Chủ nghĩa Việt Nam" folds to
/// "cong hoa xa hoi chu nghia viet nam". Input in any normalisation form
/// folds to the same key, because combining marks are dropped too.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// [`fold`] appending to an existing buffer, so an indexer can reuse one allocation.
pub fn fold_into(s: &str, out: &mut String) {
    let table = &*FOLD;
    // Work on bytes and validate once at the end: almost all of the output is
    // ASCII, which `String::from_utf8` checks very quickly.
    let mut buffer = std::mem::take(out).into_bytes();
    buffer.reserve(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let lead = bytes[i];
        if lead < 0x80 {
            // A whole ASCII run at once: the copy-and-lower-case loop vectorises.
            let run = &bytes[i..];
            let length = run.iter().position(|b| !b.is_ascii()).unwrap_or(run.len());
            buffer.extend(run[..length].iter().map(u8::to_ascii_lowercase));
            i += length;
            continue;
        }
        // `s` is valid UTF-8, so the continuation bytes are there; `get`
        // keeps the loop free of panicking index operations all the same.
        let byte = |k: usize| u32::from(bytes.get(i + k).copied().unwrap_or(0x80) & 0x3F);
        let (cp, len) = if lead < 0xE0 {
            ((u32::from(lead & 0x1F) << 6) | byte(1), 2)
        } else if lead < 0xF0 {
            ((u32::from(lead & 0x0F) << 12) | (byte(1) << 6) | byte(2), 3)
        } else {
            (
                (u32::from(lead & 0x07) << 18) | (byte(1) << 12) | (byte(2) << 6) | byte(3),
                4,
            )
        };
        i += len;
        let mapped = if (0x80..0x250).contains(&cp) {
            table.latin[(cp - 0x80) as usize]
        } else if (0x1E00..0x1F00).contains(&cp) {
            table.extended[(cp - 0x1E00) as usize]
        } else if (0x300..0x370).contains(&cp) {
            // Combining diacritics (decomposed tones and vowel marks) fold away.
            continue;
        } else {
            FOLD_NONE
        };
        if mapped != FOLD_NONE {
            buffer.push(mapped);
        } else {
            // Any other script: decompose, drop the marks, lower-case. Lower-
            // casing can itself produce a mark ('İ' -> "i̇"), which goes too.
            let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
            decompose_canonical(c, |part| {
                if is_combining_mark(part) {
                    return;
                }
                for lower in part.to_lowercase().filter(|l| !is_combining_mark(*l)) {
                    let mut encoded = [0u8; 4];
                    buffer.extend_from_slice(lower.encode_utf8(&mut encoded).as_bytes());
                }
            });
        }
    }
    *out = match String::from_utf8(buffer) {
        Ok(text) => text,
        // Unreachable: only whole characters and ASCII bytes were pushed.
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    };
}

/// Primary weight of a letter in the Vietnamese alphabet
/// (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y, with the
/// foreign letters f j w z in their Latin places).
fn letter_weight(letter: char) -> Option<u32> {
    const ALPHABET: [char; 33] = [
        'a', 'ă', 'â', 'b', 'c', 'd', 'đ', 'e', 'ê', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n',
        'o', 'ô', 'ơ', 'p', 'q', 'r', 's', 't', 'u', 'ư', 'v', 'w', 'x', 'y', 'z',
    ];
    ALPHABET
        .iter()
        .position(|&c| c == letter)
        .map(|index| 0x1000 + index as u32)
}

/// Secondary weight of a tone: dictionary order ngang, huyền, hỏi, ngã, sắc, nặng.
fn tone_weight(tone: Tone) -> u32 {
    match tone {
        Tone::Level => 1,
        Tone::Grave => 2,
        Tone::Hook => 3,
        Tone::Tilde => 4,
        Tone::Acute => 5,
        Tone::Dot => 6,
    }
}

/// Weight that ends a word's letters; lower than every letter and digit.
const WORD_END: u32 = 1;

/// A sort key for Vietnamese collation; compare keys bytewise.
///
/// Words (syllables) are compared one after the other, as in a Vietnamese
/// dictionary: first the letters of a word in alphabet order, then its tone,
/// then the next word. Case decides only between otherwise equal strings,
/// lower case first. Punctuation and spacing only separate words. Where the
/// tone mark sits inside a syllable does not matter ("thuỷ" = "thủy").
pub fn collation_key(s: &str) -> Vec<u8> {
    let text = nfc(s);
    let mut primary: Vec<u32> = Vec::with_capacity(text.len() + 8);
    let mut case_bits: Vec<u8> = Vec::new();
    let mut word_tone: Option<Tone> = None;
    let mut in_word = false;
    let end_word = |primary: &mut Vec<u32>, word_tone: &mut Option<Tone>| {
        primary.push(WORD_END);
        primary.push(tone_weight(word_tone.take().unwrap_or(Tone::Level)));
    };
    for c in text.chars() {
        if !c.is_alphanumeric() {
            if in_word {
                end_word(&mut primary, &mut word_tone);
                in_word = false;
            }
            continue;
        }
        in_word = true;
        let (weight, upper) = char_weight(c, &mut word_tone);
        primary.push(weight);
        case_bits.push(u8::from(upper));
    }
    if in_word {
        end_word(&mut primary, &mut word_tone);
    }
    let mut key = Vec::with_capacity(primary.len() * 4 + 4 + case_bits.len());
    for weight in primary {
        key.extend_from_slice(&weight.to_be_bytes());
    }
    key.extend_from_slice(&0u32.to_be_bytes());
    key.extend_from_slice(&case_bits);
    key
}

fn char_weight(c: char, word_tone: &mut Option<Tone>) -> (u32, bool) {
    if let Some(info) = vowel_info(c) {
        if info.tone != Tone::Level && word_tone.is_none() {
            *word_tone = Some(info.tone);
        }
        let base = info.vowel.with(Tone::Level, false);
        return (letter_weight(base).unwrap_or(0x1000), info.upper);
    }
    if let Some(digit) = c.to_digit(10) {
        return (0x100 + digit, false);
    }
    let upper = c.is_uppercase();
    let lower = c.to_lowercase().next().unwrap_or(c);
    if let Some(weight) = letter_weight(lower) {
        return (weight, upper);
    }
    // Other Latin letters with diacritics sort with their base letter.
    let folded = fold(&lower.to_string());
    if let Some(weight) = folded
        .chars()
        .next()
        .filter(|_| folded.chars().count() == 1)
        .and_then(letter_weight)
    {
        return (weight, upper);
    }
    (0x10_0000 + lower as u32, upper)
}

/// Compares two strings in Vietnamese collation order (see [`collation_key`]).
pub fn compare(a: &str, b: &str) -> Ordering {
    collation_key(a).cmp(&collation_key(b))
}

/// Compares two personal names the way a Vietnamese clerk sorts a list:
/// by given name (the last word) first, then by family and middle names.
///
/// "Trần Văn An" comes before "Nguyễn Thị Bình" because "An" < "Bình".
pub fn compare_person_names(a: &str, b: &str) -> Ordering {
    person_name_key(a).cmp(&person_name_key(b))
}

/// The sort key behind [`compare_person_names`].
pub fn person_name_key(name: &str) -> Vec<u8> {
    let trimmed = name.trim();
    let (rest, given) = match trimmed.rfind(char::is_whitespace) {
        Some(split) => (&trimmed[..split], &trimmed[split..]),
        None => ("", trimmed),
    };
    let mut key = collation_key(given);
    key.extend_from_slice(&collation_key(rest));
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The Vietnamese composer must agree with the general NFC algorithm on
    /// every input (or decline and let it run).
    fn alphabet() -> Vec<char> {
        let mut chars: Vec<char> = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ .,-0"
            .chars()
            .collect();
        chars.extend("àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ".chars());
        chars.extend([
            '\u{0300}', '\u{0301}', '\u{0302}', '\u{0303}', '\u{0306}', '\u{0309}', '\u{031B}',
            '\u{0323}',
        ]);
        chars.extend([
            '\u{0308}', '\u{0327}', '\u{0331}', 'ç', 'é', '中', '\u{1100}', '\u{1161}',
        ]);
        chars
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn vietnamese_composer_agrees_with_general_nfc(
            text in proptest::collection::vec(proptest::sample::select(alphabet()), 0..40)
        ) {
            let text: String = text.into_iter().collect();
            let general: String = text.nfc().collect();
            prop_assert_eq!(nfc(&text), general.clone());
            let decomposed: String = text.nfd().collect();
            prop_assert_eq!(nfc(&decomposed), general);
        }
    }

    #[test]
    fn composes_decomposed_vietnamese_on_the_fast_path() {
        let text = "Nghị định số 64/2007/NĐ-CP về ứng dụng công nghệ thông tin trong hoạt động của cơ quan nhà nước";
        let decomposed: String = text.nfd().collect();
        assert_eq!(compose_vietnamese(&decomposed).as_deref(), Some(text));
        // Marks typed in a non-canonical order still compose.
        assert_eq!(nfc("a\u{0302}\u{0323}"), "ậ");
        assert_eq!(nfc("u\u{0301}\u{031B}"), "ứ");
        // Foreign marks fall back to the general algorithm.
        assert_eq!(compose_vietnamese("e\u{0308}"), None);
        assert_eq!(nfc("e\u{0308}"), "ë");
    }

    fn check_fold(input: &str, expected: &str) {
        assert_eq!(fold(input), expected, "fold({input:?})");
    }

    #[test]
    fn fold_examples() {
        check_fold(
            "Cộng hòa Xã hội Chủ nghĩa Việt Nam",
            "cong hoa xa hoi chu nghia viet nam",
        );
        check_fold("ĐỘC LẬP - TỰ DO - HẠNH PHÚC", "doc lap - tu do - hanh phuc");
        check_fold("Đà Nẵng, Thừa Thiên Huế", "da nang, thua thien hue");
        check_fold("Nghị định 64/2007/NĐ-CP", "nghi dinh 64/2007/nd-cp");
        // Decomposed input folds like precomposed input.
        check_fold("Vie\u{0302}\u{0323}t", "viet");
        check_fold("Ơ ư Ư ơ ă Ă", "o u u o a a");
        check_fold("Crème brûlée Ærø ß", "creme brulee ærø ß");
        check_fold("", "");
        // Other scripts lose their marks too.
        check_fold("日本 Ωμέγα", "日本 ωμεγα");
        let mut buffer = String::from("x ");
        fold_into("Ý", &mut buffer);
        assert_eq!(buffer, "x y");
    }

    #[test]
    fn every_vietnamese_letter_folds_to_ascii() {
        for c in crate::letters::all_vietnamese_letters() {
            let folded = fold(&c.to_string());
            assert_eq!(folded.len(), 1, "{c} folded to {folded:?}");
            assert!(folded.as_bytes()[0].is_ascii_lowercase(), "{c}");
        }
    }

    #[test]
    fn nfc_whitelist_is_sound() {
        for cp in (0..0x250).chain(0x1EA0..=0x1EF9).chain(0x2010..=0x2027) {
            if let Some(c) = char::from_u32(cp) {
                let s = c.to_string();
                assert_eq!(
                    is_nfc_quick(s.chars()),
                    IsNormalized::Yes,
                    "U+{cp:04X} is not NFC_QC=Yes"
                );
                assert_eq!(unicode_normalization::char::canonical_combining_class(c), 0);
            }
        }
    }

    #[test]
    fn nfc_examples() {
        assert_eq!(nfc("Vie\u{0302}\u{0323}t"), "Việt");
        assert_eq!(nfc("Việt"), "Việt");
        assert_eq!(nfc("a\u{0301}"), "á");
        assert!(!is_nfc("a\u{0301}"));
        assert!(is_nfc("Hà Nội – “Thủ đô”"));
    }

    fn check_tones(input: &str, expected: &str) {
        assert_eq!(
            normalize_tones(input),
            expected,
            "normalize_tones({input:?})"
        );
    }

    #[test]
    fn tone_placement() {
        check_tones("hoà", "hòa");
        check_tones("hòa", "hòa");
        check_tones("thuỷ", "thủy");
        check_tones("qúy", "quý");
        check_tones("Quý", "Quý");
        check_tones("khoẻ", "khỏe");
        check_tones("HOÀ BÌNH", "HÒA BÌNH");
        check_tones("hoàng", "hoàng");
        check_tones("hòang", "hoàng");
        check_tones("tóan", "toán");
        check_tones("gìa", "già");
        check_tones("gì", "gì");
        check_tones("giữa", "giữa");
        check_tones("nguời", "nguời");
        check_tones("ngừơi", "người");
        check_tones("rựơu", "rượu");
        check_tones("khúya", "khuýa");
        check_tones("tìêng", "tiềng");
        check_tones("chuyển", "chuyển");
        check_tones("thủơ", "thuở");
        check_tones("múa mùa mía", "múa mùa mía");
        // Decomposed input is composed first.
        check_tones("hoa\u{0300}", "hòa");
        // Not Vietnamese syllables: left alone.
        check_tones("café", "café");
        check_tones("Straße", "Straße");
        check_tones("résumé", "résumé");
        check_tones("", "");
        assert_eq!(
            normalize_tones_with("hòa thủy khỏe", ToneStyle::Modern),
            "hoà thuỷ khoẻ"
        );
        assert_eq!(normalize_tones_with("hoàng", ToneStyle::Modern), "hoàng");
    }

    #[test]
    fn syllable_validity() {
        let check = |word: &str, expected: bool| {
            let chars: Vec<char> = word.chars().collect();
            assert_eq!(is_vietnamese_syllable(&chars), expected, "{word}");
        };
        for word in [
            "nghiêng",
            "Người",
            "quyết",
            "giữa",
            "gì",
            "khuỷu",
            "ĐƯỜNG",
            "xã",
            "a",
            "oán",
        ] {
            check(word, true);
        }
        for word in [
            "hello",
            "strength",
            "áà",
            "qa",
            "ßa",
            "tôiz",
            "bcd",
            "ngườii",
            "café",
        ] {
            check(word, false);
        }
    }

    #[test]
    fn matching_equalities() {
        assert!(eq_for_matching("hoà", "hòa"));
        assert!(eq_for_matching("thuỷ", "thủy"));
        assert!(eq_for_matching("qúy", "quý"));
        assert!(eq_for_matching("Hòa Bình", "hoà bình"));
        assert!(eq_for_matching("Vie\u{0302}\u{0323}t", "việt"));
        assert!(!eq_for_matching("hòa", "hoa"));
        assert!(!eq_for_matching("hòa", "hóa"));
        assert!(!eq_for_matching("Đà", "Da"));
    }

    fn check_sorted(expected: &[&str]) {
        let mut shuffled: Vec<&str> = expected.iter().rev().copied().collect();
        shuffled.rotate_left(expected.len() / 3);
        shuffled.sort_by(|a, b| compare(a, b));
        assert_eq!(shuffled, expected);
    }

    #[test]
    fn collation_alphabet_and_tones() {
        check_sorted(&[
            "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "g", "h", "i", "k", "l", "m", "n", "o",
            "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "x", "y",
        ]);
        check_sorted(&["ma", "mà", "mả", "mã", "má", "mạ", "mác", "mạc", "mách"]);
        check_sorted(&["an", "an bình", "anh", "ánh", "ăn", "ân"]);
        check_sorted(&["Da", "Dũng", "Đa", "Đức"]);
        check_sorted(&["1", "10", "2", "a"]);
        assert_eq!(compare("thuỷ", "thủy"), Ordering::Equal);
        assert_eq!(compare("an", "An"), Ordering::Less);
    }

    #[test]
    fn clerk_sorts_names_by_given_name() {
        let expected = [
            "Nguyễn Văn An",
            "Trần Thị An",
            "Lê Thị Anh",
            "Phạm Văn Ánh",
            "Vũ Thị Ăn",
            "Hoàng Thị Ân",
            "Lê Văn Bình",
            "Ngô Bảo Châu",
            "Hoàng Văn Dũng",
            "Đỗ Văn Đức",
            "Bùi Thị Hòa",
            "Trịnh Công Sơn",
            "Đặng Thu Thảo",
            "Nguyễn Thị Thủy",
            "Dương Văn Ước",
            "Phan Văn Việt",
            "Mai Hoàng Yến",
        ];
        let mut names: Vec<&str> = expected.iter().rev().copied().collect();
        names.sort_by(|a, b| compare_person_names(a, b));
        assert_eq!(names, expected);
        let given: Vec<&str> = names
            .iter()
            .map(|n| n.rsplit(' ').next().unwrap_or(""))
            .collect();
        assert_eq!(
            given,
            [
                "An", "An", "Anh", "Ánh", "Ăn", "Ân", "Bình", "Châu", "Dũng", "Đức", "Hòa", "Sơn",
                "Thảo", "Thủy", "Ước", "Việt", "Yến"
            ]
        );
        // Equal given names fall back to family and middle names.
        assert_eq!(names[0], "Nguyễn Văn An");
        assert_eq!(names[1], "Trần Thị An");
    }
}
