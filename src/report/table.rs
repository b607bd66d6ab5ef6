//! One table definition, several formats. A report table is written once, cell by cell,
//! against [`Sink`]; CSV, JSON, Parquet and Excel sinks turn the same cells into their own
//! bytes. Each column has a declared [`Kind`], so a column's type is the same in every run
//! (a column that is empty this month is still a typed, all-null column in Parquet).

use std::io::Write;
use std::ops::Range;

use polars::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Worksheet};

use crate::ledger::parse::{civil_from_days, format_day};
use crate::report::csvfmt::{push_fixed, CsvOut};

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    /// A decimal number shown with this many decimals.
    Fixed(u32),
    /// A calendar day (days since 1970-01-01).
    Date,
}

/// A named, typed column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

pub const fn col(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

/// Receives a table's cells row by row, left to right.
pub trait Sink {
    fn text(&mut self, s: &str) -> &mut Self;
    fn int(&mut self, v: i64) -> &mut Self;
    fn fixed(&mut self, x: f64, digits: u32) -> &mut Self;
    fn date(&mut self, day: i32) -> &mut Self;
    /// An absent value.
    fn null(&mut self) -> &mut Self;
    /// Ends the row.
    fn end(&mut self) -> anyhow::Result<()>;

    fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }
    fn opt_text(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }
    fn opt_fixed(&mut self, x: Option<f64>, digits: u32) -> &mut Self {
        match x {
            Some(x) => self.fixed(x, digits),
            None => self.null(),
        }
    }
}

/// A table that can be written in any format.
pub trait Table {
    fn columns(&self) -> &'static [Column];
    /// The number of data rows.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Writes the data rows in `rows` (a range within `0..len()`).
    fn rows<S: Sink>(&self, out: &mut S, rows: Range<usize>) -> anyhow::Result<()>;
}

/// Rows in one chunk of a CSV formatted by several threads.
const CSV_CHUNK: usize = 1 << 15;

/// The table as CSV with a header line. A long table is formatted in chunks of rows by one
/// thread per core while this thread writes the chunks out in order: the bytes are the same.
pub fn csv<T: Table + Sync>(t: &T, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = CsvOut::new(w);
    for c in t.columns() {
        CsvOut::text(&mut out, c.name);
    }
    CsvOut::end(&mut out)?;
    let n = t.len();
    let threads = crate::par::cores();
    if n < 4 * CSV_CHUNK || threads == 1 {
        t.rows(&mut out, 0..n)?;
        out.finish()?;
        return Ok(());
    }
    out.finish()?;
    let chunks = n.div_ceil(CSV_CHUNK);
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Two buffers per thread go round: a thread takes a buffer before it claims the next
    // chunk, so chunks are claimed in order and the earliest one not yet written always has
    // a buffer (no thread waits for a buffer that only it could free).
    let (free_tx, free_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    for _ in 0..2 * threads {
        free_tx.send(Vec::new()).expect("the receiver is here");
    }
    let free_rx = std::sync::Mutex::new(free_rx);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, anyhow::Result<Vec<u8>>)>();
    std::thread::scope(|s| -> anyhow::Result<()> {
        // Moved in: when this thread stops (at the end or at an error), the formatting
        // threads' channels close and they stop too.
        let (free_tx, done_rx) = (free_tx, done_rx);
        for _ in 0..threads {
            let (done_tx, free_rx, next) = (done_tx.clone(), &free_rx, &next);
            s.spawn(move || loop {
                let Ok(mut buf) = free_rx
                    .lock()
                    .map_err(drop)
                    .and_then(|r| r.recv().map_err(drop))
                else {
                    return; // the writer has stopped
                };
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if k >= chunks {
                    return;
                }
                buf.clear();
                let mut out = CsvOut::into_buffer(buf);
                let rows = k * CSV_CHUNK..((k + 1) * CSV_CHUNK).min(n);
                let formatted = t.rows(&mut out, rows).map(|()| out.buffer());
                if done_tx.send((k, formatted)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        // Chunks arrive in any order and are written in order.
        let mut waiting = std::collections::BTreeMap::new();
        let mut written = 0;
        for (k, buf) in done_rx {
            waiting.insert(k, buf?);
            while let Some(buf) = waiting.remove(&written) {
                w.write_all(&buf)?;
                written += 1;
                // Fails only when every thread has finished.
                let _ = free_tx.send(buf);
            }
        }
        anyhow::ensure!(written == chunks, "a formatting thread stopped early");
        Ok(())
    })
}

/// The table as a JSON array of objects.
pub fn json<T: Table>(t: &T, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = JsonOut::new(w, t.columns());
    t.rows(&mut out, 0..t.len())?;
    out.finish()
}

/// The table as one Parquet file.
pub fn parquet<T: Table>(t: &T, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = ParquetOut::new(t.columns());
    t.rows(&mut out, 0..t.len())?;
    out.finish(w)
}

/// The table as a new worksheet `name` of `book`; returns the rows left out because a
/// worksheet holds at most [`XLSX_MAX_ROWS`].
/// A sheet of more than 10,000 rows is streamed to a temporary file in `book`'s temp folder
/// as it is written (rust_xlsxwriter's constant-memory mode) instead of held in memory.
pub fn xlsx_sheet<T: Table>(
    t: &T,
    book: &mut rust_xlsxwriter::Workbook,
    name: &str,
    total_rows: usize,
) -> anyhow::Result<usize> {
    let sheet = if total_rows > 10_000 {
        book.add_worksheet_with_constant_memory()?
    } else {
        book.add_worksheet()
    };
    sheet.set_name(name)?;
    let mut out = XlsxSheet::new(sheet, t.columns())?;
    t.rows(&mut out, 0..t.len().min(XLSX_MAX_ROWS))?;
    Ok(total_rows.saturating_sub(out.rows()))
}

impl Sink for CsvOut<'_> {
    fn text(&mut self, s: &str) -> &mut Self {
        CsvOut::text(self, s)
    }
    fn int(&mut self, v: i64) -> &mut Self {
        CsvOut::int(self, v)
    }
    fn fixed(&mut self, x: f64, digits: u32) -> &mut Self {
        CsvOut::fixed(self, x, digits)
    }
    fn date(&mut self, day: i32) -> &mut Self {
        CsvOut::day(self, day)
    }
    fn null(&mut self) -> &mut Self {
        CsvOut::text(self, "")
    }
    fn end(&mut self) -> anyhow::Result<()> {
        Ok(CsvOut::end(self)?)
    }
}

/// `x` rounded to `digits` decimals, the value the CSV shows.
fn rounded(x: f64, digits: u32) -> f64 {
    let scale = 10f64.powi(digits as i32);
    let r = (x * scale).round() / scale;
    if r == 0.0 {
        0.0
    } else if r.is_finite() {
        r
    } else {
        x
    }
}

/// A JSON array of objects, one object per line, keys in column order. Numbers are written
/// with the same decimals as the CSV; absent values are `null`; dates are `"YYYY-MM-DD"`.
pub struct JsonOut<'w> {
    w: &'w mut dyn Write,
    columns: &'static [Column],
    buf: Vec<u8>,
    at: usize,
    rows: usize,
}

impl<'w> JsonOut<'w> {
    pub fn new(w: &'w mut dyn Write, columns: &'static [Column]) -> Self {
        JsonOut {
            w,
            columns,
            buf: Vec::with_capacity(1 << 16),
            at: 0,
            rows: 0,
        }
    }

    fn key(&mut self) {
        if self.at == 0 {
            let head: &[u8] = if self.rows == 0 { b"[\n{" } else { b",\n{" };
            self.buf.extend_from_slice(head);
        } else {
            self.buf.push(b',');
        }
        let name = self.columns[self.at].name;
        self.buf.push(b'"');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"\":");
        self.at += 1;
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        self.buf
            .extend_from_slice(if self.rows == 0 { b"[]\n" } else { b"\n]\n" });
        self.w.write_all(&self.buf)?;
        Ok(())
    }
}

impl Sink for JsonOut<'_> {
    fn text(&mut self, s: &str) -> &mut Self {
        self.key();
        serde_json::to_writer(&mut self.buf, s).expect("writing to a Vec");
        self
    }
    fn int(&mut self, v: i64) -> &mut Self {
        self.key();
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        self
    }
    fn fixed(&mut self, x: f64, digits: u32) -> &mut Self {
        self.key();
        if x.is_finite() {
            push_fixed(&mut self.buf, x, digits);
        } else {
            self.buf.extend_from_slice(b"null");
        }
        self
    }
    fn date(&mut self, day: i32) -> &mut Self {
        self.key();
        self.buf.push(b'"');
        self.buf.extend_from_slice(format_day(day).as_bytes());
        self.buf.push(b'"');
        self
    }
    fn null(&mut self) -> &mut Self {
        self.key();
        self.buf.extend_from_slice(b"null");
        self
    }
    fn end(&mut self) -> anyhow::Result<()> {
        debug_assert_eq!(self.at, self.columns.len(), "a row has every column");
        self.buf.push(b'}');
        self.at = 0;
        self.rows += 1;
        if self.buf.len() >= 1 << 16 {
            self.w.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// One growing column of a Parquet table.
enum Values {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Date(Vec<Option<i32>>),
}

/// Collects the table in columns and writes it as one Parquet file (zstd) at the end.
/// Types follow the declared kinds: Fixed columns are Float64 rounded as the CSV shows them,
/// dates are Parquet `DATE`.
pub struct ParquetOut {
    columns: &'static [Column],
    values: Vec<Values>,
    at: usize,
}

impl ParquetOut {
    pub fn new(columns: &'static [Column]) -> Self {
        ParquetOut {
            columns,
            values: columns
                .iter()
                .map(|c| match c.kind {
                    Kind::Text => Values::Text(Vec::new()),
                    Kind::Int => Values::Int(Vec::new()),
                    Kind::Fixed(_) => Values::Float(Vec::new()),
                    Kind::Date => Values::Date(Vec::new()),
                })
                .collect(),
            at: 0,
        }
    }

    fn next(&mut self) -> &mut Values {
        let v = &mut self.values[self.at];
        self.at += 1;
        v
    }

    fn kind_mismatch(&self, what: &str) -> ! {
        let c = &self.columns[self.at - 1];
        panic!("column {} is {:?}, written as {what}", c.name, c.kind)
    }

    pub fn finish(self, w: &mut dyn Write) -> anyhow::Result<()> {
        let columns: Vec<polars::prelude::Column> = self
            .columns
            .iter()
            .zip(self.values)
            .map(|(c, v)| {
                let name = PlSmallStr::from_static(c.name);
                let s = match v {
                    Values::Text(v) => Series::new(name, v),
                    Values::Int(v) => Series::new(name, v),
                    Values::Float(v) => Series::new(name, v),
                    Values::Date(v) => Series::new(name, v)
                        .cast(&DataType::Date)
                        .expect("i32 to Date"),
                };
                s.into()
            })
            .collect();
        let height = columns.first().map_or(0, |c| c.len());
        let mut df = DataFrame::new(height, columns)?;
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::default())
            .finish(&mut df)?;
        w.write_all(&buf)?;
        Ok(())
    }
}

impl Sink for ParquetOut {
    fn text(&mut self, s: &str) -> &mut Self {
        match self.next() {
            Values::Text(v) => v.push(Some(s.to_string())),
            _ => self.kind_mismatch("text"),
        }
        self
    }
    fn int(&mut self, x: i64) -> &mut Self {
        match self.next() {
            Values::Int(v) => v.push(Some(x)),
            _ => self.kind_mismatch("int"),
        }
        self
    }
    fn fixed(&mut self, x: f64, digits: u32) -> &mut Self {
        match self.next() {
            Values::Float(v) => v.push(Some(rounded(x, digits)).filter(|x| x.is_finite())),
            _ => self.kind_mismatch("fixed"),
        }
        self
    }
    fn date(&mut self, day: i32) -> &mut Self {
        match self.next() {
            Values::Date(v) => v.push(Some(day)),
            _ => self.kind_mismatch("date"),
        }
        self
    }
    fn null(&mut self) -> &mut Self {
        match self.next() {
            Values::Text(v) => v.push(None),
            Values::Int(v) => v.push(None),
            Values::Float(v) => v.push(None),
            Values::Date(v) => v.push(None),
        }
        self
    }
    fn end(&mut self) -> anyhow::Result<()> {
        debug_assert_eq!(self.at, self.columns.len(), "a row has every column");
        self.at = 0;
        Ok(())
    }
}

/// Rows a worksheet can hold below its header.
pub const XLSX_MAX_ROWS: usize = 1_048_575;

/// Writes a table into one worksheet: a bold header row frozen in place with a filter, number
/// formats by kind (thousands separators for money, dates as dates), sensible widths. Text is
/// always written as a string cell, so nothing a customer typed can become a formula.
pub struct XlsxSheet<'s> {
    sheet: &'s mut Worksheet,
    columns: &'static [Column],
    formats: Vec<Format>,
    row: u32,
    at: u16,
}

impl<'s> XlsxSheet<'s> {
    pub fn new(sheet: &'s mut Worksheet, columns: &'static [Column]) -> anyhow::Result<Self> {
        let bold = Format::new().set_bold().set_background_color("#DDE4EE");
        for (k, c) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, k as u16, c.name, &bold)?;
            let width = match c.kind {
                Kind::Date => 11.0,
                Kind::Int => (c.name.len() as f64 + 2.0).max(7.0),
                Kind::Fixed(_) => (c.name.len() as f64 + 2.0).max(11.0),
                Kind::Text => (c.name.len() as f64 + 2.0).max(12.0),
            };
            sheet.set_column_width(k as u16, width)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, 0, columns.len().saturating_sub(1) as u16)?;
        let formats = columns
            .iter()
            .map(|c| match c.kind {
                Kind::Text => Format::new(),
                Kind::Int => Format::new().set_num_format("0"),
                Kind::Fixed(2) if c.name.ends_with("score") || c.name.ends_with("_delta") => {
                    Format::new().set_num_format("0.00")
                }
                Kind::Fixed(2) => Format::new().set_num_format("#,##0.00"),
                Kind::Fixed(d) => {
                    Format::new().set_num_format(format!("0.{}", "0".repeat(d as usize)))
                }
                Kind::Date => Format::new().set_num_format("yyyy-mm-dd"),
            })
            .collect();
        Ok(XlsxSheet {
            sheet,
            columns,
            formats,
            row: 1,
            at: 0,
        })
    }

    /// Data rows written so far.
    pub fn rows(&self) -> usize {
        self.row as usize - 1
    }

    fn next(&mut self) -> (u32, u16) {
        let at = self.at;
        self.at += 1;
        (self.row, at)
    }
}

impl Sink for XlsxSheet<'_> {
    fn text(&mut self, s: &str) -> &mut Self {
        let (r, c) = self.next();
        if !s.is_empty() {
            // Longer than a cell may hold (32,767 characters): cut, never fail the run.
            let s = &s[..s.floor_char_boundary(32_000)];
            self.sheet
                .write_string(r, c, s)
                .expect("row and column in range");
        }
        self
    }
    fn int(&mut self, v: i64) -> &mut Self {
        let (r, c) = self.next();
        let f = &self.formats[c as usize];
        self.sheet
            .write_number_with_format(r, c, v as f64, f)
            .expect("row and column in range");
        self
    }
    fn fixed(&mut self, x: f64, digits: u32) -> &mut Self {
        let (r, c) = self.next();
        let f = &self.formats[c as usize];
        if x.is_finite() {
            self.sheet
                .write_number_with_format(r, c, rounded(x, digits), f)
                .expect("row and column in range");
        }
        self
    }
    fn date(&mut self, day: i32) -> &mut Self {
        let (r, c) = self.next();
        let f = &self.formats[c as usize];
        let (y, m, d) = civil_from_days(day);
        match ExcelDateTime::from_ymd(y as u16, m as u8, d as u8) {
            Ok(dt) => {
                self.sheet
                    .write_datetime_with_format(r, c, &dt, f)
                    .expect("row and column in range");
            }
            Err(_) => {
                self.sheet
                    .write_string(r, c, format_day(day))
                    .expect("row and column in range");
            }
        }
        self
    }
    fn null(&mut self) -> &mut Self {
        self.next();
        self
    }
    fn end(&mut self) -> anyhow::Result<()> {
        debug_assert_eq!(
            self.at as usize,
            self.columns.len(),
            "a row has every column"
        );
        self.at = 0;
        self.row += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of a few kinds of cells, enough of them for the threaded writer.
    struct Many(usize);

    const MANY: [Column; 4] = [
        col("i", Kind::Int),
        col("name", Kind::Text),
        col("x", Kind::Fixed(2)),
        col("day", Kind::Date),
    ];

    impl Table for Many {
        fn columns(&self) -> &'static [Column] {
            &MANY
        }
        fn len(&self) -> usize {
            self.0
        }
        fn rows<S: Sink>(&self, out: &mut S, rows: Range<usize>) -> anyhow::Result<()> {
            for i in rows {
                let name = format!("c{}, \"{}\"", i % 7, i % 3);
                out.int(i as i64)
                    .text(if i % 5 == 0 { "=1+1" } else { &name })
                    .fixed(i as f64 / 7.0, 2)
                    .date(20_000 + (i % 900) as i32)
                    .end()?;
            }
            Ok(())
        }
    }

    #[test]
    fn a_long_csv_written_by_several_threads_has_the_same_bytes() {
        let t = Many(5 * CSV_CHUNK + 123);
        let mut threaded = Vec::new();
        csv(&t, &mut threaded).unwrap();
        let mut one = Vec::new();
        let mut out = CsvOut::new(&mut one);
        for c in t.columns() {
            out.text(c.name);
        }
        out.end().unwrap();
        t.rows(&mut out, 0..t.len()).unwrap();
        out.finish().unwrap();
        assert_eq!(threaded.len(), one.len());
        assert!(threaded == one);
        assert_eq!(one.iter().filter(|&&c| c == b'\n').count(), t.len() + 1);
    }

    /// A table whose formatting fails at one row.
    struct FailsAt(usize);

    impl Table for FailsAt {
        fn columns(&self) -> &'static [Column] {
            &MANY[..1]
        }
        fn len(&self) -> usize {
            9 * CSV_CHUNK
        }
        fn rows<S: Sink>(&self, out: &mut S, rows: Range<usize>) -> anyhow::Result<()> {
            for i in rows {
                anyhow::ensure!(i != self.0, "row {i} cannot be written");
                out.int(i as i64).end()?;
            }
            Ok(())
        }
    }

    #[test]
    fn a_failing_row_stops_the_threaded_csv_with_its_error() {
        for at in [0, 3 * CSV_CHUNK + 5, 9 * CSV_CHUNK - 1] {
            let mut w = Vec::new();
            let e = csv(&FailsAt(at), &mut w).unwrap_err();
            assert_eq!(e.to_string(), format!("row {at} cannot be written"));
        }
    }
}
