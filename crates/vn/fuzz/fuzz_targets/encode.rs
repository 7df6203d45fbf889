//! Arbitrary strings into every encoder and the text functions.
#![no_main]

use congso_vn::encoding::{decode, encode, Encoding};
use congso_vn::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    for encoding in [
        Encoding::Tcvn3,
        Encoding::Vni,
        Encoding::Viscii,
        Encoding::Viqr,
        Encoding::Cp1258,
        Encoding::Utf8,
    ] {
        if let Ok(bytes) = encode(input, encoding) {
            let decoded = decode(&bytes, encoding);
            if encoding == Encoding::Tcvn3 {
                assert_eq!(decoded.text.to_lowercase(), text::nfc(input).to_lowercase());
            } else {
                assert_eq!(decoded.text, text::nfc(input));
            }
        }
    }
    assert_eq!(text::fold(&text::nfd(input)), text::fold(&text::nfc(input)));
    let _ = text::normalize_tones(input);
    let _ = text::collation_key(input);
    assert!(text::eq_for_matching(input, input));
});
