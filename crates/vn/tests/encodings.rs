//! Legacy encodings against glibc iconv's output, on the decree text, and
//! round-trip properties for every encoding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use congso_vn::encoding::{decode, detect, encode, Encoding};
use proptest::prelude::*;

const DECREE: &str = include_str!("data/decree-64-excerpt.utf8.txt");

#[test]
fn iconv_vectors_decode_to_the_decree() {
    for (encoding, bytes) in [
        (
            Encoding::Viscii,
            &include_bytes!("data/decree-64-excerpt.viscii.bin")[..],
        ),
        (
            Encoding::Cp1258,
            &include_bytes!("data/decree-64-excerpt.cp1258.bin")[..],
        ),
        (
            Encoding::Tcvn3,
            &include_bytes!("data/decree-64-excerpt.tcvn5712-vn1.bin")[..],
        ),
    ] {
        let decoded = decode(bytes, encoding);
        assert!(
            decoded.is_clean(),
            "{encoding}: {:?}",
            decoded.unconvertible
        );
        for (ours, original) in decoded.text.lines().zip(DECREE.lines()) {
            assert_eq!(ours, original, "{encoding}");
        }
        assert_eq!(decoded.text.len(), DECREE.len(), "{encoding}");
    }
}

#[test]
fn our_encoders_match_iconv_where_the_encoding_is_unambiguous() {
    assert_eq!(
        encode(DECREE, Encoding::Viscii).unwrap(),
        include_bytes!("data/decree-64-excerpt.viscii.bin")
    );
    assert_eq!(
        encode(DECREE, Encoding::Cp1258).unwrap(),
        include_bytes!("data/decree-64-excerpt.cp1258.bin")
    );
}

#[test]
fn decree_round_trips_through_every_encoding() {
    for encoding in [
        Encoding::Tcvn3,
        Encoding::Vni,
        Encoding::Viscii,
        Encoding::Viqr,
        Encoding::Cp1258,
        Encoding::Utf8,
    ] {
        let bytes = encode(DECREE, encoding).unwrap();
        let decoded = decode(&bytes, encoding);
        assert!(decoded.is_clean(), "{encoding}");
        if encoding == Encoding::Tcvn3 {
            // ABC fonts give "Ủ" and "ủ" one byte: a capital at the start of a
            // word in the middle of a sentence ("các Bộ, ... Ủy ban") cannot be
            // recovered. Everything else must survive, and only case may differ.
            assert_eq!(decoded.text.to_lowercase(), DECREE.to_lowercase());
            let differing: Vec<(&str, &str)> = decoded
                .text
                .lines()
                .zip(DECREE.lines())
                .filter(|(a, b)| a != b)
                .collect();
            for (ours, original) in &differing {
                let ours_words: Vec<&str> = ours.split(' ').collect();
                let original_words: Vec<&str> = original.split(' ').collect();
                for (a, b) in ours_words.iter().zip(&original_words) {
                    if a != b {
                        assert!(
                            b.starts_with("Ủy"),
                            "unexpected TCVN3 case change: {a} for {b}"
                        );
                    }
                }
            }
        } else {
            assert_eq!(decoded.text, DECREE, "{encoding}");
        }
        let detection = detect(&bytes);
        assert_eq!(detection.encoding, encoding, "{detection:?}");
        assert!(detection.confidence > 0.9, "{encoding}: {detection:?}");
    }
}

/// Strings of Vietnamese letters, ASCII and the characters VIQR uses as marks.
fn vietnamese_text() -> impl Strategy<Value = String> {
    let letters: Vec<char> =
        "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ\
        AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢUÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴĐ\
        bcdghklmnpqrstvxBCDGHKLMNPQRSTVXfjwzFJWZ0123456789 .,;:!?'`~()^+\\-\"\n"
            .chars()
            .collect();
    proptest::collection::vec(proptest::sample::select(letters), 0..80)
        .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn exact_round_trips(text in vietnamese_text()) {
        for encoding in [Encoding::Vni, Encoding::Viscii, Encoding::Viqr, Encoding::Cp1258, Encoding::Utf8] {
            let bytes = encode(&text, encoding).unwrap();
            let decoded = decode(&bytes, encoding);
            prop_assert!(decoded.is_clean());
            prop_assert_eq!(&decoded.text, &text, "{}", encoding);
        }
    }

    #[test]
    fn tcvn3_round_trips_up_to_case(text in vietnamese_text()) {
        let bytes = encode(&text, Encoding::Tcvn3).unwrap();
        let decoded = decode(&bytes, Encoding::Tcvn3);
        prop_assert!(decoded.is_clean());
        prop_assert_eq!(decoded.text.to_lowercase(), text.to_lowercase());
    }

    #[test]
    fn tcvn3_round_trips_exactly_without_ambiguous_capitals(text in vietnamese_text()) {
        // Lower-case accented letters and plain capitals have their own bytes.
        let text: String = text.chars().filter(|c| c.is_ascii() || !c.is_uppercase() || "ĂÂÊÔƠƯĐ".contains(*c)).collect();
        let lowered: String = text
            .split(' ')
            .map(|word| if !word.is_ascii() { word.to_lowercase() } else { word.to_owned() })
            .collect::<Vec<_>>()
            .join(" ");
        let bytes = encode(&lowered, Encoding::Tcvn3).unwrap();
        let decoded = decode(&bytes, Encoding::Tcvn3);
        prop_assert_eq!(decoded.text.to_lowercase(), lowered.to_lowercase());
    }
}
