//! Parsers for the two typed fields of a ledger row: dates and amounts.
//!
//! Dates are held as days since 1970-01-01 (`i32`), the same unit polars uses for `Date`.
//! Called by the CSV and Parquet readers for every row, so the common ISO forms take a fast
//! path that never allocates.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

/// Earliest date accepted in a ledger. Earlier years (0001, 1899) are data-entry slips, not sales.
pub const MIN_YEAR: i32 = 1900;
/// Latest year accepted in a ledger (9999-12-31 is a placeholder, not a sale).
pub const MAX_YEAR: i32 = 2199;

/// How to read a date field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DateFormat {
    /// `YYYY-MM-DD`, `YYYYMMDD`, `YYYY/MM/DD`, the year first with a one-digit month or day
    /// (`2025/3/4`, `2025-3-4`, `2025.3.4`, `2025年3月4日`), each optionally followed by a time
    /// that is ignored.
    #[default]
    Auto,
    /// A chrono `strftime` pattern given with `--date-format`, e.g. `%d/%m/%Y`.
    Pattern(String),
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
/// Howard Hinnant's `days_from_civil`, exact for every year we accept.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    // In i64: any i32 day (a Parquet `Date` can hold one) is some year of ±5.9 million.
    let z = i64::from(z) + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

/// `YYYY-MM-DD` for a day number.
pub fn format_day(day: i32) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A checked civil date → day number, with the reason when it is not a real date.
pub fn checked_day(y: i32, m: u32, d: u32) -> Result<i32, String> {
    if !(1..=12).contains(&m) {
        return Err(format!("month {m} does not exist"));
    }
    if d == 0 || d > days_in_month(y, m) {
        return Err(format!("day {d} does not exist in {y:04}-{m:02}"));
    }
    if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
        return Err(format!(
            "year {y} is outside the accepted range {MIN_YEAR}..{MAX_YEAR}"
        ));
    }
    Ok(days_from_civil(y, m, d))
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0')))
}

/// Parses a date field. The error says what was expected, without the location (the caller
/// knows the file, line and column).
pub fn parse_date(raw: &[u8], format: &DateFormat) -> Result<i32, String> {
    let text = std::str::from_utf8(raw)
        .map_err(|_| "is not valid UTF-8".to_string())?
        .trim();
    if text.is_empty() {
        return Err("is empty; expected a date".into());
    }
    match format {
        DateFormat::Pattern(p) => parse_with_pattern(text, p),
        DateFormat::Auto => parse_auto(text),
    }
}

fn parse_auto(text: &str) -> Result<i32, String> {
    let b = text.as_bytes();
    // The date part ends at a 'T' or a space that starts a time.
    let date_len = b
        .iter()
        .position(|&c| c == b'T' || c == b' ')
        .unwrap_or(b.len());
    let (date, rest) = b.split_at(date_len);
    if !rest.is_empty() && !is_time_after(rest) {
        return Err(format!("{text:?} is not a date (expected YYYY-MM-DD, YYYYMMDD, YYYY/MM/DD or YYYY/M/D, optionally followed by a time)"));
    }
    let ymd = match date.len() {
        8 => digits(&date[0..4])
            .zip(digits(&date[4..6]))
            .zip(digits(&date[6..8])),
        10 if (date[4] == b'-' && date[7] == b'-') || (date[4] == b'/' && date[7] == b'/') => {
            digits(&date[0..4])
                .zip(digits(&date[5..7]))
                .zip(digits(&date[8..10]))
        }
        _ => None,
    }
    .or_else(|| year_first(date));
    match ymd {
        Some(((y, m), d)) => checked_day(y as i32, m, d).map_err(|e| format!("{text:?} is not a valid date: {e}")),
        None if is_ambiguous(date) => Err(format!(
            "{text:?} is ambiguous (day/month or month/day?); pass --date-format, e.g. %d/%m/%Y or %m/%d/%Y"
        )),
        None => Err(format!("{text:?} is not a date (expected YYYY-MM-DD, YYYYMMDD, YYYY/MM/DD or YYYY/M/D)")),
    }
}

/// `2025-3-4`, `2025/3/4` (Excel's short date in a Chinese locale), `2025.3.4` and
/// `2025年3月4日`: the year first, then a month and a day of one or two digits. Never
/// ambiguous, so read without `--date-format`.
fn year_first(date: &[u8]) -> Option<((u32, u32), u32)> {
    let text = std::str::from_utf8(date).ok()?;
    let (y, m, d) = match text.strip_suffix('日') {
        Some(rest) => {
            let (y, rest) = rest.split_once('年')?;
            let (m, d) = rest.split_once('月')?;
            (y, m, d)
        }
        None => {
            let sep = match date.get(4)? {
                c @ (b'-' | b'/' | b'.') => char::from(*c),
                _ => return None,
            };
            let mut parts = text.split(sep);
            let ymd = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            ymd
        }
    };
    let short = |s: &str| (1..=2).contains(&s.len());
    // A leading zero shows a writer that pads: then both are two digits (`2025-01-1` is a
    // cut `2025-01-15`, not the first of January).
    let padded = m.starts_with('0') || d.starts_with('0');
    if y.len() != 4 || !short(m) || !short(d) || (padded && (m.len(), d.len()) != (2, 2)) {
        return None;
    }
    Some((
        (digits(y.as_bytes())?, digits(m.as_bytes())?),
        digits(d.as_bytes())?,
    ))
}

/// `03/04/2025`, `3.4.25`, `04-03-2025`: two small numbers and a year, in an order we must not guess.
fn is_ambiguous(date: &[u8]) -> bool {
    let parts: Vec<&[u8]> = date.split(|c| matches!(c, b'/' | b'-' | b'.')).collect();
    parts.len() == 3 && parts.iter().all(|p| digits(p).is_some()) && parts[0].len() <= 2
}

fn looks_like_time(b: &[u8]) -> bool {
    b.len() >= 4 && b[0].is_ascii_digit() && b.contains(&b':')
}

/// What may follow a date and be ignored: a space or a `T`, then a time.
fn is_time_after(rest: &[u8]) -> bool {
    matches!(rest, [b' ' | b'T', time @ ..] if looks_like_time(time))
}

/// A date in the user's pattern; as without a pattern, a time after it (`12/1/2010 8:26`,
/// `01.12.2010T08:26:00`) is ignored unless the pattern reads it.
fn parse_with_pattern(text: &str, pattern: &str) -> Result<i32, String> {
    let with_time = |e| {
        let (date, rest) = NaiveDate::parse_and_remainder(text, pattern).map_err(|_| e)?;
        if is_time_after(rest.as_bytes()) {
            Ok(date)
        } else {
            Err(e)
        }
    };
    let date = NaiveDate::parse_from_str(text, pattern)
        .or_else(|_| NaiveDateTime::parse_from_str(text, pattern).map(|dt| dt.date()))
        .or_else(with_time)
        .map_err(|e| format!("{text:?} does not match --date-format {pattern:?} ({e})"))?;
    checked_day(date.year(), date.month(), date.day()).map_err(|e| format!("{text:?}: {e}"))
}

/// Largest absolute amount accepted: beyond it sums lose cents, and no invoice line is that big.
pub const MAX_ABS_AMOUNT: f64 = 1e13;

/// Parses an amount: a plain decimal number with an optional sign and exponent (`1234.5`,
/// `-12`, `1.5e3`). Thousands separators, currency signs and decimal commas are refused here
/// rather than guessed.
/// How amount fields are written. Separators and currency signs are only accepted when the
/// user says so (`--amount-format`): `12,5` could be twelve and a half or a typo for 125, and
/// we never guess.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AmountFormat {
    /// `1234.50`, `-12`, `1.5e3`: a plain decimal number with `.` for decimals.
    #[default]
    Plain,
    /// `¥1,234.50`, `$ 1 234.50`, `1,234.50 CNY`, `(1,234.50)`: thousands grouped by `,`,
    /// space or `'`, `.` for decimals, an optional currency sign or code, a minus sign or
    /// accounting parentheses for negatives.
    Grouped,
    /// `1.234,50 €`, `1 234,50`: thousands grouped by `.`, space or `'`, `,` for decimals.
    GroupedDecimalComma,
}

impl AmountFormat {
    pub fn parse_flag(s: &str) -> Result<AmountFormat, String> {
        match s {
            "plain" => Ok(AmountFormat::Plain),
            "grouped" => Ok(AmountFormat::Grouped),
            "grouped-decimal-comma" => Ok(AmountFormat::GroupedDecimalComma),
            _ => Err(format!(
                "unknown amount format {s:?}; expected plain (1234.50), grouped (¥1,234.50) \
                 or grouped-decimal-comma (1.234,50 €)"
            )),
        }
    }
}

/// Currency signs accepted around a grouped amount.
const CURRENCY_SIGNS: &[char] = &[
    '$', '¥', '￥', '€', '£', '₹', '₩', '₽', '₺', '₫', '฿', '₪', '₦', '₱', '元',
];

/// Parses an amount written as `fmt` says. Inline at its callers (a large ledger reads one
/// amount per row, and a call's entry and exit were half the cost of a plain amount): a
/// plain decimal with no blanks around it is read here; anything else takes the full path
/// ([`parse_amount_full`]), to the same result.
#[inline]
pub fn parse_amount_as(raw: &[u8], fmt: AmountFormat) -> Result<f64, String> {
    if fmt == AmountFormat::Plain {
        if let Some(v) = plain_decimal(raw) {
            if v.abs() <= MAX_ABS_AMOUNT {
                // `+ 0.0` turns -0 into 0, as `check_amount` does.
                return Ok(v + 0.0);
            }
        }
    }
    parse_amount_full(raw, fmt)
}

/// [`parse_amount_as`] for any text, out of line.
#[inline(never)]
fn parse_amount_full(raw: &[u8], fmt: AmountFormat) -> Result<f64, String> {
    match fmt {
        AmountFormat::Plain => parse_amount(raw),
        _ => {
            let text = std::str::from_utf8(raw)
                .map_err(|_| "is not valid UTF-8".to_string())?
                .trim();
            if text.is_empty() {
                return Err("is empty; expected a number".into());
            }
            let comma = fmt == AmountFormat::GroupedDecimalComma;
            let value = parse_grouped(text, comma).map_err(|why| {
                // Written the other way (`1.234,50` under `grouped`): say which flag reads it.
                let other = match parse_grouped(text, !comma) {
                    Ok(v) if comma => format!("; --amount-format grouped reads it as {v}"),
                    Ok(v) => format!("; --amount-format grouped-decimal-comma reads it as {v}"),
                    Err(_) => String::new(),
                };
                format!(
                    "{text:?} is not a {} amount: {why}{other}",
                    if comma {
                        "grouped-decimal-comma (1.234,50 €)"
                    } else {
                        "grouped (¥1,234.50)"
                    }
                )
            })?;
            check_amount(value).map_err(|e| format!("{text:?} {e}"))
        }
    }
}

/// `¥-1,234.50` → -1234.5. Groups after the first must have exactly three digits, so a
/// decimal separator of the other convention (`12,5` under `grouped`) is an error.
fn parse_grouped(text: &str, decimal_comma: bool) -> Result<f64, String> {
    let mut s = text;
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        negative = true;
        s = inner.trim();
    }
    let strip_sign = |s: &mut &str, negative: &mut bool| {
        if let Some(rest) = s.strip_prefix('-') {
            if *negative {
                return Err("two minus signs".to_string());
            }
            *negative = true;
            *s = rest.trim_start();
        } else if let Some(rest) = s.strip_prefix('+') {
            *s = rest.trim_start();
        }
        Ok(())
    };
    strip_sign(&mut s, &mut negative)?;
    // One currency sign or three-letter code, before or after the number.
    let code = |t: &str| t.len() == 3 && t.bytes().all(|c| c.is_ascii_uppercase());
    if let Some(rest) = s.strip_prefix(CURRENCY_SIGNS) {
        s = rest.trim_start();
    } else if s.len() > 3 && s.get(..3).is_some_and(code) {
        s = s[3..].trim_start();
    } else if let Some(rest) = s.strip_suffix(CURRENCY_SIGNS) {
        s = rest.trim_end();
    } else if s.len() > 3 && s.get(s.len() - 3..).is_some_and(code) {
        s = s[..s.len() - 3].trim_end();
    }
    strip_sign(&mut s, &mut negative)?;
    let (decimal, groups): (char, &[char]) = if decimal_comma {
        (',', &['.', ' ', '\u{a0}', '\u{202f}', '\''])
    } else {
        ('.', &[',', ' ', '\u{a0}', '\u{202f}', '\''])
    };
    let (int_part, frac) = match s.split_once(decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!("digits expected after the decimal {decimal:?}"));
        }
    }
    let mut digits = String::with_capacity(s.len());
    let sep = int_part.chars().find(|c| groups.contains(c));
    match sep {
        None => {
            if int_part.is_empty() || !int_part.bytes().all(|c| c.is_ascii_digit()) {
                return Err("digits expected".into());
            }
            digits.push_str(int_part);
        }
        Some(sep) => {
            for (k, g) in int_part.split(sep).enumerate() {
                let ok = g.bytes().all(|c| c.is_ascii_digit())
                    && if k == 0 {
                        (1..=3).contains(&g.len())
                    } else {
                        g.len() == 3
                    };
                if !ok {
                    return Err(format!(
                        "groups of three digits expected between the {sep:?} separators"
                    ));
                }
                digits.push_str(g);
            }
        }
    }
    if let Some(f) = frac {
        digits.push('.');
        digits.push_str(f);
    }
    let v: f64 = digits.parse().map_err(|_| "digits expected".to_string())?;
    Ok(if negative { -v } else { v })
}

pub fn parse_amount(raw: &[u8]) -> Result<f64, String> {
    if let Some(v) = plain_decimal(raw.trim_ascii()) {
        if let Ok(v) = check_amount(v) {
            return Ok(v);
        }
    }
    let text = std::str::from_utf8(raw)
        .map_err(|_| "is not valid UTF-8".to_string())?
        .trim();
    if text.is_empty() {
        return Err("is empty; expected a number".into());
    }
    let plain = text
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'));
    let value: f64 = match text.parse() {
        Ok(v) if plain => v,
        _ => {
            let hint = if text.contains(',') {
                " (a decimal comma or thousands separator? plain amounts use '.' for decimals \
                 and no separators; see --amount-format)"
            } else if text.contains(CURRENCY_SIGNS) || text.starts_with('(') {
                " (a currency sign or accounting brackets? see --amount-format grouped)"
            } else {
                ""
            };
            return Err(format!("{text:?} is not a number{hint}"));
        }
    };
    check_amount(value).map_err(|e| format!("{text:?} {e}"))
}

/// `-123.45`, `7` or `+0.5` with at most 15 digits, the common case, read without the
/// general parser: the digits make an integer below 2^53 and the point divides it by an
/// exact power of ten, one correctly rounded division, which is the very value `str::parse`
/// gives (its own fast path does the same). `None` for anything else.
#[inline]
fn plain_decimal(t: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, digits) = match t {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, t),
    };
    // At most 15 digits and a point. One pass finds the point and reads the digits (a
    // `memchr` call per amount for the point was ~1% of a large run's CPU).
    if digits.len() > 16 {
        return None;
    }
    let (mut w, mut point) = (0u64, None);
    for (k, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => w = w * 10 + u64::from(c - b'0'),
            b'.' if point.is_none() => point = Some(k),
            _ => return None,
        }
    }
    let int = point.unwrap_or(digits.len());
    let frac = point.map_or(0, |p| digits.len() - p - 1);
    if int == 0 || int + frac > 15 {
        return None;
    }
    let v = w as f64 / POW10[frac];
    Some(if negative { -v } else { v })
}

/// Range check shared by text and typed (Parquet) amounts. `-0` becomes `0`: a zero, not a return.
pub fn check_amount(value: f64) -> Result<f64, String> {
    if !value.is_finite() || value.abs() > MAX_ABS_AMOUNT {
        return Err(format!(
            "is out of range (|amount| must be at most {MAX_ABS_AMOUNT:e})"
        ));
    }
    Ok(if value == 0.0 { 0.0 } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_read_exactly_as_the_general_parser_does() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "-0.00",
            "+1.5",
            "5.",
            "0.1",
            "0.3",
            "123456789012345",
            "9.99999999999999",
            "-1234567.891",
            "00012.50",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 15 + 1) as usize;
            let point = (x >> 8) as usize % digits;
            let n = x >> 20;
            let s = format!("{:0width$}", n % 10u64.pow(digits as u32), width = digits);
            let (a, b) = s.split_at(digits - point);
            let sign = if x & 1 == 1 { "-" } else { "" };
            texts.push(if point == 0 {
                format!("{sign}{a}")
            } else {
                format!("{sign}{a}.{b}")
            });
        }
        for t in &texts {
            let general: f64 = t.parse().unwrap();
            let fast = plain_decimal(t.as_bytes()).unwrap();
            assert_eq!(fast.to_bits(), general.to_bits(), "{t}");
        }
        for t in [
            "",
            "-",
            ".5",
            "1.2.3",
            "1e5",
            "1,5",
            "1234567890123456",
            "123456789012.3456",
            "12345678901234567",
            "1..2",
            "12a",
            "1.-2",
        ] {
            assert_eq!(plain_decimal(t.as_bytes()), None, "{t}");
        }
        // The inline path gives what the full path gives, to the bit, for every text above
        // and the edge cases of its own (blanks, signed zero, the range limit, grouping).
        texts.extend(
            [
                " 1.5",
                "1.5 ",
                "-0",
                "-0.00",
                "+0",
                "9999999999999",
                "10000000000000",
                "10000000000000.5",
                "-10000000000000",
                "1e5",
                "1,5",
                "",
                "abc",
                "12a",
            ]
            .map(String::from),
        );
        for t in &texts {
            for fmt in [
                AmountFormat::Plain,
                AmountFormat::Grouped,
                AmountFormat::GroupedDecimalComma,
            ] {
                let (fast, full) = (
                    parse_amount_as(t.as_bytes(), fmt),
                    parse_amount_full(t.as_bytes(), fmt),
                );
                match (fast, full) {
                    (Ok(a), Ok(b)) => assert_eq!(a.to_bits(), b.to_bits(), "{t:?} {fmt:?}"),
                    (a, b) => assert_eq!(a, b, "{t:?} {fmt:?}"),
                }
            }
        }
    }

    fn day(s: &str) -> Result<i32, String> {
        parse_date(s.as_bytes(), &DateFormat::Auto)
    }

    #[test]
    fn civil_round_trips_over_the_accepted_range() {
        for z in days_from_civil(MIN_YEAR, 1, 1)..=days_from_civil(MAX_YEAR, 12, 31) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(format_day(days_from_civil(2024, 2, 29)), "2024-02-29");
    }

    #[test]
    fn any_day_number_has_a_date_and_is_refused_outside_the_range() {
        // The ends of i32 (what a damaged Parquet `Date` can hold): no overflow, a real date
        // of a far year that `checked_day` refuses with the year named.
        for (z, year) in [(i32::MAX, 5_881_580), (i32::MIN, -5_877_641)] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(y, year, "day {z}");
            assert!((1..=12).contains(&m) && (1..=31).contains(&d), "day {z}");
            let e = checked_day(y, m, d).unwrap_err();
            assert!(e.contains(&format!("year {year}")), "{e}");
        }
        assert_eq!(format_day(i32::MAX), "5881580-07-11");
    }

    #[test]
    fn iso_compact_slashed_and_short_year_first_dates_agree() {
        let want = days_from_civil(2025, 3, 4);
        for s in [
            "2025-03-04",
            "20250304",
            "2025/03/04",
            "2025-03-04 13:45:00",
            "2025-03-04T13:45:00Z",
            " 2025-03-04 ",
            // The year first with a short month or day, as Excel writes in a Chinese locale.
            "2025/3/4",
            "2025-3-4",
            "2025.3.4",
            "2025.03.04",
            "2025年3月4日",
            "2025年03月04日",
            "2025/3/4 9:05",
            "2025年3月4日 09:05:00",
        ] {
            assert_eq!(day(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn short_year_first_dates_are_checked_and_never_read_from_a_cut() {
        assert_eq!(day("2025/12/31"), Ok(days_from_civil(2025, 12, 31)));
        assert_eq!(day("2025/12/5"), Ok(days_from_civil(2025, 12, 5)));
        assert_eq!(day("2025-3-14"), Ok(days_from_civil(2025, 3, 14)));
        assert!(day("2025/2/30")
            .unwrap_err()
            .contains("day 30 does not exist"));
        assert!(day("2025/13/1").unwrap_err().contains("month 13"));
        // Not year first, mixed separators, three-digit parts, a part missing, one part
        // padded and the other short (a cut date): refused.
        for s in [
            "2025/03/4",
            "2025-01-1",
            "2025-1-05",
            "3/4/2025",
            "2025/3-4",
            "2025/003/4",
            "2025/3/",
            "2025/3/4/5",
            "25/3/4",
            "2025年3月",
            "2025年3月4",
            "2025-3-4x",
        ] {
            assert!(day(s).is_err(), "{s}");
        }
    }

    #[test]
    fn impossible_and_out_of_range_dates_are_refused() {
        assert!(day("2025-02-31")
            .unwrap_err()
            .contains("day 31 does not exist"));
        assert!(day("2025-13-01").unwrap_err().contains("month 13"));
        assert!(day("0001-01-01")
            .unwrap_err()
            .contains("outside the accepted range"));
        assert!(day("9999-12-31")
            .unwrap_err()
            .contains("outside the accepted range"));
        assert!(day("2024-02-29").is_ok());
        assert!(day("2023-02-29").is_err());
        assert!(day("").unwrap_err().contains("empty"));
        assert!(day("yesterday").unwrap_err().contains("not a date"));
    }

    #[test]
    fn day_month_order_is_never_guessed() {
        assert!(day("03/04/2025").unwrap_err().contains("ambiguous"));
        let f = DateFormat::Pattern("%d/%m/%Y".into());
        assert_eq!(
            parse_date(b"03/04/2025", &f),
            Ok(days_from_civil(2025, 4, 3))
        );
        let f = DateFormat::Pattern("%m/%d/%Y".into());
        assert_eq!(
            parse_date(b"03/04/2025", &f),
            Ok(days_from_civil(2025, 3, 4))
        );
        assert!(parse_date(b"2025-03-04", &f)
            .unwrap_err()
            .contains("does not match"));
        // A time after the date is ignored, as without a pattern (the UCI Online Retail
        // ledger writes `12/1/2010 8:26`); other text after it is not.
        let dec1 = Ok(days_from_civil(2010, 12, 1));
        assert_eq!(parse_date(b"12/1/2010 8:26", &f), dec1);
        assert_eq!(parse_date(b"12/01/2010T08:26:00", &f), dec1);
        let with_time = DateFormat::Pattern("%m/%d/%Y %H:%M".into());
        assert_eq!(parse_date(b"12/1/2010 8:26", &with_time), dec1);
        for bad in [
            "12/1/2010 x",
            "12/1/2010 8",
            "12/1/2010,8:26",
            "12/1/20108:26",
        ] {
            assert!(
                parse_date(bad.as_bytes(), &f)
                    .unwrap_err()
                    .contains("does not match"),
                "{bad}"
            );
        }
    }

    #[test]
    fn amounts_are_plain_decimals() {
        assert_eq!(parse_amount(b"1234.5"), Ok(1234.5));
        assert_eq!(parse_amount(b" -12 "), Ok(-12.0));
        assert_eq!(parse_amount(b"1.5e3"), Ok(1500.0));
        assert_eq!(parse_amount(b"-0").map(f64::to_bits), Ok(0.0f64.to_bits()));
        assert!(parse_amount(b"12,5").unwrap_err().contains("decimal comma"));
        assert!(parse_amount(b"12.5O").unwrap_err().contains("not a number"));
        assert!(parse_amount(b"NaN").is_err());
        assert!(parse_amount(b"inf").is_err());
        assert!(parse_amount(b"1e308").unwrap_err().contains("out of range"));
        assert!(parse_amount(b"").unwrap_err().contains("empty"));
        assert!(parse_amount(b"\xff").unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn grouped_amounts_only_when_asked() {
        use AmountFormat::*;
        let g = |s: &str| parse_amount_as(s.as_bytes(), Grouped);
        let e = |s: &str| parse_amount_as(s.as_bytes(), GroupedDecimalComma);
        assert_eq!(g("¥1,234.50"), Ok(1234.5));
        assert_eq!(g("$ 1 234.50"), Ok(1234.5));
        assert_eq!(g("1,234,567"), Ok(1234567.0));
        assert_eq!(g("-¥1,234.50"), Ok(-1234.5));
        assert_eq!(g("¥-1,234.50"), Ok(-1234.5));
        assert_eq!(g("(1,234.50)"), Ok(-1234.5));
        assert_eq!(g("1,234.50 CNY"), Ok(1234.5));
        assert_eq!(g("USD 12"), Ok(12.0));
        assert_eq!(g("1234.5元"), Ok(1234.5));
        assert_eq!(g("0.75"), Ok(0.75));
        assert!(g("12,5").unwrap_err().contains("groups of three"));
        assert!(g("1,2345").unwrap_err().contains("groups of three"));
        assert!(g("1.234,50")
            .unwrap_err()
            .ends_with("; --amount-format grouped-decimal-comma reads it as 1234.5"));
        assert!(e("¥1,234.50")
            .unwrap_err()
            .ends_with("; --amount-format grouped reads it as 1234.5"));
        // Neither way: no suggestion.
        assert!(!g("1.2.3,4").unwrap_err().contains("reads it as"));
        assert!(g("--5").is_err());
        assert!(g("¥").is_err());
        assert!(g("1e3").is_err());
        assert_eq!(e("1.234,50 €"), Ok(1234.5));
        assert_eq!(e("1 234,50"), Ok(1234.5));
        assert_eq!(e("12,5"), Ok(12.5));
        assert!(e("1,234.50").is_err());
        // Found by the `fields` fuzz target: a multi-byte sign where a currency code could be.
        assert_eq!(e("(03€)"), Ok(-3.0));
        assert!(g("€€€€").is_err());
        assert!(g("1€€").is_err());
        // Plain refuses what grouped accepts, and says where to look.
        assert!(parse_amount(b"\xc2\xa51,234.50")
            .unwrap_err()
            .contains("--amount-format"));
        assert!(parse_amount(b"1,234.50")
            .unwrap_err()
            .contains("--amount-format"));
    }
}
