//! The date and amount parsers on arbitrary bytes, in every mode. They must never panic, and
//! what they accept must be in range: a date from 1900 to 2199, a finite amount within ±1e13.
#![no_main]

use custscore::ledger::parse::{
    civil_from_days, parse_amount_as, parse_date, AmountFormat, DateFormat, MAX_YEAR, MIN_YEAR,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let patterns = [
        DateFormat::Auto,
        DateFormat::Pattern("%d/%m/%Y".into()),
        DateFormat::Pattern("%m/%d/%Y %H:%M".into()),
    ];
    for f in &patterns {
        if let Ok(day) = parse_date(data, f) {
            let (y, _, _) = civil_from_days(day);
            assert!((MIN_YEAR..=MAX_YEAR).contains(&y), "{day} accepted");
        }
    }
    // A fuzzed pattern too (first line = pattern, rest = value).
    if let Some(nl) = data.iter().position(|&c| c == b'\n') {
        if let Ok(p) = std::str::from_utf8(&data[..nl]) {
            let _ = parse_date(&data[nl + 1..], &DateFormat::Pattern(p.to_string()));
        }
    }
    for f in [
        AmountFormat::Plain,
        AmountFormat::Grouped,
        AmountFormat::GroupedDecimalComma,
    ] {
        if let Ok(v) = parse_amount_as(data, f) {
            assert!(v.is_finite() && v.abs() <= 1e13, "{v} accepted");
        }
    }
});
