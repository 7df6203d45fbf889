//! Arbitrary strings into every parser: identifiers, dates, holiday files.
#![no_main]

use congso_vn::calendar::{parse_iso_date, parse_vn_date, OfficialCalendar};
use congso_vn::format::format_decimal_str_vi;
use congso_vn::id::{Cccd, MobileNumber, OrganCode, TaxCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let _ = OrganCode::parse(input);
    let _ = Cccd::parse(input);
    if let Ok(number) = MobileNumber::parse(input) {
        assert_eq!(MobileNumber::parse(&number.e164()).ok(), Some(number));
    }
    if let Ok(code) = TaxCode::parse(input) {
        assert_eq!(TaxCode::parse(&code.to_string()).ok(), Some(code));
    }
    let _ = parse_iso_date(input);
    let _ = parse_vn_date(input);
    let _ = format_decimal_str_vi(input, 2);
    if input.len() < 4096 {
        let _ = OfficialCalendar::with_overrides(input);
    }
});
