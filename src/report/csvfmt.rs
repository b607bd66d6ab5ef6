//! A fast CSV line builder for the large customer table: numbers are formatted by hand
//! (integers and fixed decimals by one digit loop, `itoa` only past `i64`) into one reused buffer,
//! text fields are quoted only when needed (RFC 4180). On a million customers this is
//! several times faster than formatting each field into its own `String`.

use std::io::{self, Write};

/// Builds CSV lines into a buffer and flushes it to the writer in large blocks, or keeps
/// them all in the buffer ([`CsvOut::into_buffer`]).
pub struct CsvOut<'w> {
    w: Option<&'w mut dyn Write>,
    buf: Vec<u8>,
    first: bool,
    /// Days already written as text, by the day's low bits ([`CsvOut::day`]); made at the
    /// first day.
    days: Vec<(i32, [u8; 10])>,
}

/// Slots of [`CsvOut::days`]: a ledger's dates span a few years, so most days have a slot
/// of their own.
const DAY_SLOTS: usize = 4096;

impl<'w> CsvOut<'w> {
    pub fn new(w: &'w mut dyn Write) -> Self {
        CsvOut {
            w: Some(w),
            buf: Vec::with_capacity(1 << 16),
            first: true,
            days: Vec::new(),
        }
    }

    /// Lines appended to `buf` and kept there, for a chunk of a table formatted on one
    /// thread and written on another: no second copy through a writer.
    pub fn into_buffer(buf: Vec<u8>) -> CsvOut<'static> {
        CsvOut {
            w: None,
            buf,
            first: true,
            days: Vec::new(),
        }
    }

    /// The lines of a [`CsvOut::into_buffer`]; empty for a writer's (they were written).
    pub fn buffer(self) -> Vec<u8> {
        self.buf
    }

    fn sep(&mut self) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
    }

    /// A text field, made safe for spreadsheets ([`cell`]) and quoted when it holds a
    /// comma, a quote or a line break.
    #[inline]
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.sep();
        // Most cells (ids, names of tiers and segments, empty cells) need neither a quote
        // nor a leading `'`: copied as they are.
        let b = s.as_bytes();
        if !risky_start(b) && !b.iter().any(|&c| needs_quotes(c)) {
            self.buf.extend_from_slice(b);
            return self;
        }
        self.text_escaped(s)
    }

    /// A text cell that needs a leading `'` ([`cell`]) or quotes.
    fn text_escaped(&mut self, s: &str) -> &mut Self {
        self.buf.extend_from_slice(quoted(&cell(s)).as_bytes());
        self
    }

    /// An integer: by the digit loop of the fixed decimals ([`push_int`]), or by `itoa` for
    /// one beyond `i64`.
    pub fn int<I: itoa::Integer + TryInto<i64> + Copy>(&mut self, v: I) -> &mut Self {
        self.sep();
        match v.try_into() {
            Ok(v) => push_int(&mut self.buf, v),
            Err(_) => self
                .buf
                .extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        }
        self
    }

    pub fn opt_int<I: itoa::Integer + TryInto<i64> + Copy>(&mut self, v: Option<I>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.text(""),
        }
    }

    /// A number with `digits` decimals (0..=6).
    pub fn fixed(&mut self, x: f64, digits: u32) -> &mut Self {
        self.sep();
        push_fixed(&mut self.buf, x, digits);
        self
    }

    /// A day as `YYYY-MM-DD`, written straight into the line. A day written before is
    /// copied from [`CsvOut::days`]: two dates per customer, and the date's arithmetic was
    /// most of a date's cost.
    pub fn day(&mut self, day: i32) -> &mut Self {
        if self.days.is_empty() {
            self.days = vec![(i32::MIN, [0; 10]); DAY_SLOTS];
        }
        let slot = day.rem_euclid(DAY_SLOTS as i32) as usize;
        if self.days[slot].0 == day {
            self.sep();
            let text = self.days[slot].1;
            self.buf.extend_from_slice(&text);
            return self;
        }
        let (y, m, d) = crate::ledger::parse::civil_from_days(day);
        if !(0..=9999).contains(&y) {
            return self.text(&crate::ledger::parse::format_day(day));
        }
        self.sep();
        let y = y as u32;
        let text = [
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (d / 10) as u8,
            b'0' + (d % 10) as u8,
        ];
        self.days[slot] = (day, text);
        self.buf.extend_from_slice(&text);
        self
    }

    pub fn opt_fixed(&mut self, x: Option<f64>, digits: u32) -> &mut Self {
        match x {
            Some(x) => self.fixed(x, digits),
            None => self.text(""),
        }
    }

    /// Ends the line; writes the buffer out when it is large.
    pub fn end(&mut self) -> io::Result<()> {
        self.buf.push(b'\n');
        self.first = true;
        if let Some(w) = self.w.as_mut().filter(|_| self.buf.len() >= 1 << 16) {
            w.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        if let Some(w) = self.w.as_mut() {
            w.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// Whether text starting so could be run as a formula by a spreadsheet.
fn risky_start(b: &[u8]) -> bool {
    matches!(b.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'))
}

/// Whether a field holding this byte must be quoted (RFC 4180).
fn needs_quotes(c: u8) -> bool {
    matches!(c, b',' | b'"' | b'\n' | b'\r')
}

/// A CSV field as RFC 4180 writes it: in quotes, its quotes doubled, when it holds a comma,
/// a quote or a line break; else as it is.
pub fn quoted(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(needs_quotes) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// A text cell that a spreadsheet will show as text, never run as a formula (the OWASP
/// CSV-injection rule): text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
/// gets a leading `'`. Text that is a plain number (`-12`, `+3.5`) is left alone, so numbers
/// keep their signs. Every text cell of every CSV we write goes through here.
pub fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = risky_start(s.as_bytes());
    // Checked only for risky text: most cells are not, and this is on every cell's path.
    let plain_number = || {
        s.parse::<f64>().is_ok_and(f64::is_finite)
            && s.bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'))
    };
    if risky && !plain_number() {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Appends `x` with `digits` decimals, rounded half away from zero, never `-0.00`.
pub fn push_fixed(buf: &mut Vec<u8>, x: f64, digits: u32) {
    const SCALE: [f64; 7] = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6];
    let y = x * SCALE[digits as usize];
    let a = y.abs();
    // Rounded half away from zero by hand: `f64::round` is a library call on baseline
    // x86-64, and this runs for every number of a large table. Below 2^53 the truncation
    // and the fraction `a - t` are exact, so this is `a.round()` to the bit.
    let v = if a < 9.0e15 {
        let t = a as u64;
        t + u64::from(a - t as f64 >= 0.5)
    } else {
        u64::MAX // also NaN
    };
    if v >= 9_000_000_000_000_000 {
        buf.extend_from_slice(format!("{x:.prec$}", prec = digits as usize).as_bytes());
        return;
    }
    let negative = y < 0.0 && v != 0;
    // A division by a constant is a multiplication: one copy of the digit loop per count
    // of decimals.
    match digits {
        0 => digits_of::<0>(buf, v, negative),
        1 => digits_of::<1>(buf, v, negative),
        2 => digits_of::<2>(buf, v, negative),
        3 => digits_of::<3>(buf, v, negative),
        4 => digits_of::<4>(buf, v, negative),
        5 => digits_of::<5>(buf, v, negative),
        _ => digits_of::<6>(buf, v, negative),
    }
}

/// Appends `v / 10^D` with `D` decimals (`v` below 9e18), `-` first when `negative`: the
/// digits are written right to left, two at a time, into an array on the stack and appended
/// with one copy. (With `itoa` and the integer and fractional parts copied apart, a number
/// was three calls to the C library's `memcpy`.)
#[inline]
fn digits_of<const D: usize>(buf: &mut Vec<u8>, v: u64, negative: bool) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    // The text is built right to left, ending at `END`, and appended as the `COPY` bytes
    // from its start: a copy of constant size (a few moves) instead of a `memcpy` call of
    // the text's length, the surplus cut off after. A number is at most 21 characters.
    const END: usize = 32;
    const COPY: usize = 24;
    let mut out = [0u8; END + COPY];
    let mut at = END;
    let put_pair = |out: &mut [u8; END + COPY], at: &mut usize, p: u64| {
        *at -= 2;
        let k = 2 * p as usize;
        out[*at..*at + 2].copy_from_slice(&PAIRS[k..k + 2]);
    };
    let (mut int, mut frac) = (v / 10u64.pow(D as u32), v % 10u64.pow(D as u32));
    if D > 0 {
        // D digits, leading zeros kept.
        for _ in 0..D / 2 {
            put_pair(&mut out, &mut at, frac % 100);
            frac /= 100;
        }
        if D % 2 == 1 {
            at -= 1;
            out[at] = b'0' + frac as u8;
        }
        at -= 1;
        out[at] = b'.';
    }
    while int >= 100 {
        put_pair(&mut out, &mut at, int % 100);
        int /= 100;
    }
    if int >= 10 {
        put_pair(&mut out, &mut at, int);
    } else {
        at -= 1;
        out[at] = b'0' + int as u8;
    }
    if negative {
        at -= 1;
        out[at] = b'-';
    }
    let len = buf.len() + (END - at);
    buf.extend_from_slice(&out[at..at + COPY]);
    buf.truncate(len);
}

/// An integer, as `itoa` writes it.
pub fn push_int(buf: &mut Vec<u8>, v: i64) {
    digits_of::<0>(buf, v.unsigned_abs(), v < 0);
}

/// `x` with `digits` decimals as a `String` (for the small tables).
pub fn fixed(x: f64, digits: u32) -> String {
    let mut b = Vec::new();
    push_fixed(&mut b, x, digits);
    String::from_utf8(b).expect("ASCII digits")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_written_like_format_day() {
        use crate::ledger::parse::format_day;
        // Each day twice (the second from the cache), then all in one line with days that
        // share a slot (each evicting the other) and days out of the four-digit years.
        let days = [
            -719_468, -1, 0, 1, 10_000, 20_000, 2_932_896, 24_096, -4097, 3_000_000,
        ];
        for day in days {
            let mut w = Vec::new();
            let mut out = CsvOut::new(&mut w);
            out.day(day).day(day);
            out.end().unwrap();
            out.finish().unwrap();
            let f = format_day(day);
            assert_eq!(
                String::from_utf8(w).unwrap(),
                format!("{f},{f}\n"),
                "day {day}"
            );
        }
        let mixed = [
            20_000, 24_096, 20_000, -4097, 24_096, -1, 3_000_000, 3_000_000, -4097,
        ];
        let mut w = Vec::new();
        let mut out = CsvOut::new(&mut w);
        for day in mixed {
            out.day(day);
        }
        out.end().unwrap();
        out.finish().unwrap();
        let expected: Vec<String> = mixed.iter().map(|&d| format_day(d)).collect();
        assert_eq!(String::from_utf8(w).unwrap(), expected.join(",") + "\n");
    }

    #[test]
    fn integers_are_written_like_itoa() {
        // Each number appended after text already in the buffer, which stays as it was.
        let mut next = crate::test_rng(0x9e37_79b9_7f4a_7c15);
        let mut values = vec![
            0,
            1,
            -1,
            9,
            10,
            99,
            100,
            -100,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ];
        values.extend((0..19).map(|k| 10i64.pow(k)));
        values.extend((0..19).map(|k| -(10i64.pow(k)) + 1));
        for _ in 0..5000 {
            let x = next();
            values.push((x as i64) >> (x % 64));
        }
        for v in values {
            let mut buf = b"ab,".to_vec();
            push_int(&mut buf, v);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                format!("ab,{}", itoa::Buffer::new().format(v)),
                "{v}"
            );
        }
        // Through the line builder, every integer type, one beyond `i64` by `itoa`.
        let mut w = Vec::new();
        let mut out = CsvOut::new(&mut w);
        out.int(u64::MAX).int(7u32).int(-5i64).int(usize::MAX);
        out.opt_int(None::<u8>).opt_int(Some(i64::MIN));
        out.end().unwrap();
        out.finish().unwrap();
        assert_eq!(
            String::from_utf8(w).unwrap(),
            format!("{},7,-5,{},,{}\n", u64::MAX, usize::MAX, i64::MIN)
        );
    }

    #[test]
    fn fixed_decimals() {
        assert_eq!(fixed(2.5, 2), "2.50");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(-0.0, 0), "0");
        assert_eq!(fixed(-1.26, 1), "-1.3");
        assert_eq!(fixed(1234567.891, 2), "1234567.89");
        assert_eq!(fixed(0.00005, 4), "0.0001");
        assert_eq!(fixed(-0.0303, 4), "-0.0303");
        assert_eq!(fixed(1e13, 2), "10000000000000.00");
        assert_eq!(fixed(7.0, 0), "7");
    }

    /// The first way `push_fixed` was written (`f64::round`, two integer conversions):
    /// the faster one must give the same bytes.
    fn fixed_reference(x: f64, digits: u32) -> String {
        let scale = 10i64.pow(digits);
        let scaled = (x * scale as f64).round();
        if !scaled.is_finite() || scaled.abs() >= 9.0e15 {
            return format!("{x:.prec$}", prec = digits as usize);
        }
        let v = scaled as i64;
        let mut out = String::new();
        if v < 0 {
            out.push('-');
        }
        let v = v.unsigned_abs();
        out.push_str(&(v / scale as u64).to_string());
        if digits > 0 {
            let frac = (v % scale as u64).to_string();
            out.push_str(&"0".repeat(digits as usize - frac.len()));
            out.push_str(&frac);
            out.insert(out.len() - digits as usize, '.');
        }
        out
    }

    #[test]
    fn fixed_matches_the_reference_formatting() {
        let mut special = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            0.005,
            -0.005,
            0.125,
            2.675,
            1.0 - f64::EPSILON,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            8.99999999999999e15,
            9.0e15,
            9.1e12,
            -9.1e12,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut x = 99u64;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mantissa = (x >> 11) as f64 / (1u64 << 53) as f64;
            let magnitude = 10f64.powi((x % 17) as i32 - 6);
            let sign = if x & 1 == 0 { 1.0 } else { -1.0 };
            special.push(sign * mantissa * magnitude);
            // Halves at every precision.
            special.push(sign * ((x >> 20) % 100_000) as f64 / 1000.0 + sign * 0.0005);
        }
        for &v in &special {
            for digits in 0..=6 {
                assert_eq!(
                    fixed(v, digits),
                    fixed_reference(v, digits),
                    "{v:e} with {digits}"
                );
            }
        }
    }

    #[test]
    fn formulas_become_text_and_numbers_keep_their_signs() {
        for risky in [
            "=1+1",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"http://x\")",
        ] {
            assert_eq!(cell(risky), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["-12", "+3.5", "-0.25", "1e5", "Acme", "a=b", "", "C-1"] {
            assert_eq!(cell(safe), safe, "{safe:?}");
        }
        let mut out = Vec::new();
        let mut w = CsvOut::new(&mut out);
        w.text("=1+1").text("-5").fixed(-2.5, 1);
        w.end().unwrap();
        w.finish().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "'=1+1,-5,-2.5\n");
    }

    #[test]
    fn a_kept_buffer_holds_the_bytes_a_writer_gets() {
        let line = |out: &mut CsvOut| {
            out.int(-42i64).text("a,b").fixed(2.675, 2).day(20_000);
            out.end().unwrap();
        };
        let mut written = Vec::new();
        let mut w = CsvOut::new(&mut written);
        let mut kept = CsvOut::into_buffer(b"head\n".to_vec());
        // Past the writer's flush size, so that it writes more than once.
        for _ in 0..5000 {
            line(&mut w);
            line(&mut kept);
        }
        w.finish().unwrap();
        let kept = kept.buffer();
        assert!(written.len() > 1 << 16);
        assert_eq!(&kept[..5], b"head\n");
        assert_eq!(kept[5..], written[..]);
    }

    #[test]
    fn text_is_quoted_only_when_needed() {
        let mut out = Vec::new();
        let mut w = CsvOut::new(&mut out);
        w.text("plain")
            .text("a,b")
            .text("say \"hi\"")
            .int(-3i32)
            .opt_fixed(None, 2)
            .fixed(1.5, 1);
        w.end().unwrap();
        w.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",-3,,1.5\n"
        );
    }
}
