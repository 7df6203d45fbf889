//! Arbitrary bytes into every decoder and the detector.
#![no_main]

use congso_vn::encoding::{decode, detect, encode, Encoding};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for encoding in [
        Encoding::Tcvn3,
        Encoding::Vni,
        Encoding::Viscii,
        Encoding::Viqr,
        Encoding::Cp1258,
        Encoding::Utf8,
    ] {
        let decoded = decode(data, encoding);
        for &(offset, byte) in &decoded.unconvertible {
            assert_eq!(data[offset], byte);
        }
        let clean: String = decoded.text.chars().filter(|&c| c != '\u{FFFD}').collect();
        if let Ok(bytes) = encode(&clean, encoding) {
            let again = decode(&bytes, encoding);
            if encoding != Encoding::Tcvn3 {
                assert_eq!(again.text, congso_vn::text::nfc(&clean));
            }
        }
    }
    let detection = detect(data);
    assert!((0.0..=1.0).contains(&detection.confidence));
});
