//! Tables describing Vietnamese letters: base vowel, vowel mark and tone.
//!
//! Every module that needs to take a Vietnamese letter apart (tone placement,
//! collation, VNI, VIQR and Windows-1258 conversion) uses these tables, so the
//! 134 precomposed letters are written down exactly once.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The six tones, in the order of the rows below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Tone {
    /// Thanh ngang: no tone mark.
    Level = 0,
    /// Thanh huyền: grave accent.
    Grave = 1,
    /// Thanh sắc: acute accent.
    Acute = 2,
    /// Thanh hỏi: hook above.
    Hook = 3,
    /// Thanh ngã: tilde.
    Tilde = 4,
    /// Thanh nặng: dot below.
    Dot = 5,
}

impl Tone {
    pub(crate) const ALL: [Tone; 6] = [
        Tone::Level,
        Tone::Grave,
        Tone::Acute,
        Tone::Hook,
        Tone::Tilde,
        Tone::Dot,
    ];

    pub(crate) fn from_index(index: usize) -> Tone {
        Tone::ALL.get(index).copied().unwrap_or(Tone::Level)
    }

    /// The Unicode combining mark for this tone, if any.
    pub(crate) fn combining(self) -> Option<char> {
        match self {
            Tone::Level => None,
            Tone::Grave => Some('\u{0300}'),
            Tone::Acute => Some('\u{0301}'),
            Tone::Hook => Some('\u{0309}'),
            Tone::Tilde => Some('\u{0303}'),
            Tone::Dot => Some('\u{0323}'),
        }
    }
}

/// The twelve vowel letters (with their vowel marks) in alphabet order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Vowel {
    A = 0,
    ABreve = 1,
    ACircumflex = 2,
    E = 3,
    ECircumflex = 4,
    I = 5,
    O = 6,
    OCircumflex = 7,
    OHorn = 8,
    U = 9,
    UHorn = 10,
    Y = 11,
}

impl Vowel {
    pub(crate) const ALL: [Vowel; 12] = [
        Vowel::A,
        Vowel::ABreve,
        Vowel::ACircumflex,
        Vowel::E,
        Vowel::ECircumflex,
        Vowel::I,
        Vowel::O,
        Vowel::OCircumflex,
        Vowel::OHorn,
        Vowel::U,
        Vowel::UHorn,
        Vowel::Y,
    ];

    /// Whether the letter carries a vowel mark (breve, circumflex or horn).
    pub(crate) fn has_vowel_mark(self) -> bool {
        matches!(
            self,
            Vowel::ABreve
                | Vowel::ACircumflex
                | Vowel::ECircumflex
                | Vowel::OCircumflex
                | Vowel::OHorn
                | Vowel::UHorn
        )
    }

    /// The plain ASCII letter under the vowel mark.
    pub(crate) fn ascii_base(self) -> u8 {
        match self {
            Vowel::A | Vowel::ABreve | Vowel::ACircumflex => b'a',
            Vowel::E | Vowel::ECircumflex => b'e',
            Vowel::I => b'i',
            Vowel::O | Vowel::OCircumflex | Vowel::OHorn => b'o',
            Vowel::U | Vowel::UHorn => b'u',
            Vowel::Y => b'y',
        }
    }

    /// The letter with its vowel mark and the given tone and case.
    pub(crate) fn with(self, tone: Tone, upper: bool) -> char {
        let rows = if upper { &UPPER } else { &LOWER };
        rows[self as usize]
            .chars()
            .nth(tone as usize)
            .unwrap_or('\u{FFFD}')
    }
}

/// Lower-case vowels, one row per [`Vowel`], columns in [`Tone`] order.
const LOWER: [&str; 12] = [
    "aàáảãạ",
    "ăằắẳẵặ",
    "âầấẩẫậ",
    "eèéẻẽẹ",
    "êềếểễệ",
    "iìíỉĩị",
    "oòóỏõọ",
    "ôồốổỗộ",
    "ơờớởỡợ",
    "uùúủũụ",
    "ưừứửữự",
    "yỳýỷỹỵ",
];

/// Upper-case vowels, laid out like [`LOWER`].
const UPPER: [&str; 12] = [
    "AÀÁẢÃẠ",
    "ĂẰẮẲẴẶ",
    "ÂẦẤẨẪẬ",
    "EÈÉẺẼẸ",
    "ÊỀẾỂỄỆ",
    "IÌÍỈĨỊ",
    "OÒÓỎÕỌ",
    "ÔỒỐỔỖỘ",
    "ƠỜỚỞỠỢ",
    "UÙÚỦŨỤ",
    "ƯỪỨỬỮỰ",
    "YỲÝỶỸỴ",
];

/// A Vietnamese vowel letter taken apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VowelInfo {
    pub(crate) vowel: Vowel,
    pub(crate) tone: Tone,
    pub(crate) upper: bool,
}

static VOWEL_INFO: LazyLock<HashMap<char, VowelInfo>> = LazyLock::new(|| {
    let mut map = HashMap::with_capacity(144);
    for (upper, rows) in [(false, &LOWER), (true, &UPPER)] {
        for (vowel, row) in Vowel::ALL.iter().zip(rows.iter()) {
            for (tone_index, c) in row.chars().enumerate() {
                map.insert(
                    c,
                    VowelInfo {
                        vowel: *vowel,
                        tone: Tone::from_index(tone_index),
                        upper,
                    },
                );
            }
        }
    }
    map
});

/// Takes a precomposed (NFC) Vietnamese vowel letter apart.
pub(crate) fn vowel_info(c: char) -> Option<VowelInfo> {
    VOWEL_INFO.get(&c).copied()
}

/// Every precomposed Vietnamese letter that is not plain ASCII, lower then upper.
#[cfg(test)]
pub(crate) fn all_vietnamese_letters() -> impl Iterator<Item = char> {
    LOWER
        .iter()
        .chain(UPPER.iter())
        .flat_map(|row| row.chars())
        .filter(|c| !c.is_ascii())
        .chain(['đ', 'Đ'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_complete_and_nfc() {
        use unicode_normalization::UnicodeNormalization;
        for rows in [&LOWER, &UPPER] {
            for row in rows.iter() {
                assert_eq!(row.chars().count(), 6, "{row}");
                let nfc: String = row.nfc().collect();
                assert_eq!(&nfc, row);
            }
        }
        // 12 vowels x 6 tones x 2 cases, minus the 12 plain ASCII vowels, plus đ/Đ.
        assert_eq!(all_vietnamese_letters().count(), 12 * 6 * 2 - 12 + 2);
        assert_eq!(Vowel::OHorn.with(Tone::Dot, true), 'Ợ');
        assert_eq!(
            vowel_info('ữ'),
            Some(VowelInfo {
                vowel: Vowel::UHorn,
                tone: Tone::Tilde,
                upper: false
            })
        );
    }
}
