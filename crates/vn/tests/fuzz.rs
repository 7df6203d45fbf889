//! "Fuzzing" as part of the normal test suite (no nightly toolchain here):
//! arbitrary bytes and strings go into every decoder, encoder, detector and
//! parser. Each must return a value or a typed error, never panic, and keep
//! its documented invariants. Case counts are bounded so the suite stays fast.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use congso_vn::calendar::{parse_iso_date, parse_vn_date, OfficialCalendar};
use congso_vn::encoding::{decode, detect, encode, Encoding};
use congso_vn::format::{
    amount_in_words_vnd, format_decimal_str_vi, format_number_vi, number_to_words,
};
use congso_vn::id::{Cccd, MobileNumber, OrganCode, TaxCode};
use congso_vn::text;
use proptest::prelude::*;

const ALL: [Encoding; 6] = [
    Encoding::Tcvn3,
    Encoding::Vni,
    Encoding::Viscii,
    Encoding::Viqr,
    Encoding::Cp1258,
    Encoding::Utf8,
];

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        // Mostly high bytes, where the legacy tables live.
        proptest::collection::vec(0x80u8..=0xFF, 0..100),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn decoders_never_panic_and_report_every_bad_byte(input in bytes()) {
        for encoding in ALL {
            let decoded = decode(&input, encoding);
            let mut previous = None;
            for &(offset, byte) in &decoded.unconvertible {
                prop_assert!(offset < input.len());
                prop_assert_eq!(input[offset], byte);
                prop_assert!(previous < Some(offset));
                previous = Some(offset);
            }
            let replacements = decoded.text.chars().filter(|&c| c == '\u{FFFD}').count();
            prop_assert!(replacements >= decoded.unconvertible.len());
            prop_assert!(text::is_nfc(&decoded.text));
            // Whatever was decoded can be written back (U+FFFD aside).
            let clean: String = decoded.text.chars().filter(|&c| c != '\u{FFFD}').collect();
            if encoding == Encoding::Viscii {
                prop_assert!(encode(&clean, encoding).is_ok());
            }
        }
    }

    #[test]
    fn viscii_is_a_bijection(input in proptest::collection::vec(any::<u8>(), 0..300)) {
        let decoded = decode(&input, Encoding::Viscii);
        prop_assert!(decoded.is_clean());
        // NFC never changes VISCII text: every byte is a precomposed letter or ASCII.
        prop_assert_eq!(encode(&decoded.text, Encoding::Viscii).unwrap(), input);
    }

    #[test]
    fn decoding_is_stable(input in bytes()) {
        // decode -> encode -> decode gives the same text as the first decode.
        for encoding in [Encoding::Vni, Encoding::Viqr, Encoding::Cp1258, Encoding::Tcvn3] {
            let first = decode(&input, encoding);
            let clean: String = first.text.chars().filter(|&c| c != '\u{FFFD}').collect();
            if let Ok(bytes) = encode(&clean, encoding) {
                let second = decode(&bytes, encoding);
                if encoding == Encoding::Tcvn3 {
                    prop_assert_eq!(second.text.to_lowercase(), clean.to_lowercase());
                } else {
                    prop_assert_eq!(second.text, text::nfc(&clean), "{}", encoding);
                }
            }
        }
    }

    #[test]
    fn detector_never_panics(input in bytes()) {
        let detection = detect(&input);
        prop_assert!((0.0..=1.0).contains(&detection.confidence));
        let total: f32 = detection.confidence + detection.alternatives.iter().map(|(_, c)| c).sum::<f32>();
        prop_assert!((total - 1.0).abs() < 1e-3);
        prop_assert!(detection.alternatives.iter().all(|(_, c)| *c <= detection.confidence));
    }

    #[test]
    fn encoders_never_panic(input in any::<String>()) {
        for encoding in ALL {
            match encode(&input, encoding) {
                Ok(bytes) => {
                    let decoded = decode(&bytes, encoding);
                    let expected = text::nfc(&input);
                    if encoding == Encoding::Tcvn3 {
                        prop_assert_eq!(decoded.text.to_lowercase(), expected.to_lowercase());
                    } else {
                        prop_assert_eq!(decoded.text, expected, "{}", encoding);
                    }
                }
                Err(error) => {
                    let congso_vn::encoding::EncodeError::Unrepresentable { ch, byte_offset, .. } = error;
                    prop_assert!(text::nfc(&input)[byte_offset..].starts_with(ch));
                }
            }
        }
    }

    #[test]
    fn identifier_parsers_never_panic(input in any::<String>(), digits in "[0-9 .+()-]{0,16}") {
        for candidate in [&input, &digits] {
            if let Ok(code) = OrganCode::parse(candidate) {
                prop_assert_eq!(OrganCode::parse(code.as_str()).unwrap(), code);
            }
            if let Ok(id) = Cccd::parse(candidate) {
                prop_assert_eq!(id.as_str().len(), 12);
                prop_assert!(id.birth_year() >= 1900);
            }
            if let Ok(number) = MobileNumber::parse(candidate) {
                prop_assert_eq!(MobileNumber::parse(&number.e164()).unwrap(), number);
            }
            if let Ok(code) = TaxCode::parse(candidate) {
                prop_assert_eq!(TaxCode::parse(&code.to_string()).unwrap(), code);
            }
        }
    }

    #[test]
    fn date_parsers_never_panic(input in any::<String>(), shaped in "[0-9]{1,5}[-/][0-9]{1,3}[-/][0-9]{1,5}") {
        for candidate in [&input, &shaped] {
            let _ = parse_iso_date(candidate);
            let _ = parse_vn_date(candidate);
        }
    }

    #[test]
    fn formatters_never_panic(n in any::<u64>(), x in any::<f64>(), decimals in 0usize..40, s in any::<String>(), d in "-?[0-9]{1,30}(\\.[0-9]{0,12})?") {
        prop_assert!(!number_to_words(n).is_empty());
        prop_assert!(amount_in_words_vnd(n).ends_with(" đồng"));
        let _ = format_number_vi(x, decimals);
        let _ = format_decimal_str_vi(&s, decimals);
        if let Ok(formatted) = format_decimal_str_vi(&d, decimals.min(12)) {
            prop_assert!(formatted.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',' || c == '-'));
        }
    }

    #[test]
    fn text_functions_never_panic(input in any::<String>()) {
        let folded = text::fold(&input);
        prop_assert_eq!(text::fold(&text::nfd(&input)), text::fold(&text::nfc(&input)));
        prop_assert!(!folded.contains('đ'));
        let _ = text::normalize_tones(&input);
        prop_assert!(text::eq_for_matching(&input, &input));
        let _ = text::collation_key(&input);
        let _ = text::person_name_key(&input);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn holiday_files_never_panic(
        input in any::<String>(),
        date in "20[0-9]{2}-[0-1][0-9]-[0-3][0-9]",
        kind in "(holiday|substitute|bridge|working-weekend|remove|other)",
    ) {
        let _ = OfficialCalendar::with_overrides(&input);
        let shaped = format!("[[day]]\ndate = \"{date}\"\nkind = \"{kind}\"\nname = \"x\"\n");
        if let Ok(calendar) = OfficialCalendar::with_overrides(&shaped) {
            let _ = calendar.days_off(2026);
        }
    }
}
