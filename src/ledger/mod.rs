//! The ledger stage: reads one or more CSV/Parquet files into one columnar set of rows.
//!
//! Readers (`csv.rs`, `parquet.rs`) hand each row's fields to a [`Builder`], which parses and
//! validates them, drops rows after `--as-of`, interns customer ids, product lines and
//! industries, and records bad rows (to fail with, or to write to `rejects.csv`). Rows are
//! kept as compact fixed-size records: 10 million rows take 320 MB.

mod columns;
mod csv;
pub(crate) use self::csv::check_utf8;
pub use self::csv::sniff as sniff_delimiter;
mod intern;
pub mod memory;
mod parquet;
pub mod parse;
pub mod xlsx;

use std::path::{Path, PathBuf};

pub use columns::{ColumnMap, Resolved, Role};
pub use intern::Interner;
pub use parse::{AmountFormat, DateFormat};

use crate::error::InputError;
use crate::progress::Progress;

/// Marks an absent product line or industry.
pub const NONE: u32 = u32::MAX;

/// One ledger row after parsing. `invoice` is a 64-bit hash of the invoice id (equality is
/// all we need of it); rows without an invoice id get a hash of their date, so that each day
/// counts as one occasion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub customer: u32,
    pub day: i32,
    pub amount: f64,
    pub invoice: u64,
    pub product: u32,
    pub industry: u32,
}

/// What to read and how.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub columns: ColumnMap,
    /// Forced CSV delimiter; sniffed from the first lines when `None`.
    pub delimiter: Option<u8>,
    pub date_format: DateFormat,
    /// How amounts are written (`--amount-format`).
    pub amount_format: AmountFormat,
    /// The worksheet of `.xlsx` ledgers (`--sheet`); the first sheet when `None`.
    pub sheet: Option<String>,
    /// Rows dated after this day are ignored (counted in the stats).
    pub as_of: Option<i32>,
    /// Write bad rows to rejects instead of failing.
    pub skip_bad_rows: bool,
    /// The CSV files' encoding when it is not UTF-8 (`--encoding`).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// CSV files at least this large are split across threads (default 16 MiB; tests set it
    /// low to exercise the split on small files).
    pub parallel_min_bytes: Option<u64>,
}

/// Per-input-file facts for the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputStats {
    pub path: String,
    pub format: &'static str,
    pub bytes: u64,
    pub sha256: String,
    /// Data rows in the file (header excluded).
    pub rows_read: u64,
    pub rows_rejected: u64,
    pub rows_after_as_of: u64,
    /// The delimiter used, for CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Which header name filled each role.
    pub columns: std::collections::BTreeMap<Role, String>,
}

/// A row that could not be used, and why.
#[derive(Debug, Clone)]
pub struct Reject {
    pub file: String,
    /// 1-based line of the row in a CSV file (the row number in a Parquet file).
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
    /// The whole row as read, fields joined with the file's delimiter.
    pub record: String,
}

/// The whole ledger, all files together.
#[derive(Debug, Default)]
pub struct Ledger {
    pub rows: Vec<Row>,
    pub customers: Interner,
    pub products: Interner,
    pub industries: Interner,
    pub has_invoice: bool,
    pub has_product: bool,
    pub has_industry: bool,
    pub inputs: Vec<InputStats>,
    pub rejects: Vec<Reject>,
    /// Earliest and latest day among the kept rows.
    pub first_day: Option<i32>,
    pub last_day: Option<i32>,
}

impl Ledger {
    /// A copy with only the rows on or before `day` (the interners are kept whole, so
    /// customer indices mean the same in both).
    pub fn until(&self, day: i32) -> Ledger {
        let rows: Vec<Row> = self.rows.iter().filter(|r| r.day <= day).copied().collect();
        Ledger {
            first_day: rows.iter().map(|r| r.day).min(),
            last_day: rows.iter().map(|r| r.day).max(),
            rows,
            customers: self.customers.clone(),
            products: self.products.clone(),
            industries: self.industries.clone(),
            has_invoice: self.has_invoice,
            has_product: self.has_product,
            has_industry: self.has_industry,
            inputs: self.inputs.clone(),
            rejects: Vec::new(),
        }
    }
}

/// Reads every file into one ledger. Files must agree on their columns.
pub fn read_ledger(
    paths: &[PathBuf],
    opts: &ReadOptions,
    progress: &Progress,
) -> anyhow::Result<Ledger> {
    check_memory(paths)?;
    let mut b = Builder::new(opts);
    let mut first_header: Option<(PathBuf, Vec<String>)> = None;
    for path in paths {
        let header = if is_parquet(path) {
            parquet::read(path, &mut b, progress)?
        } else if xlsx::is_workbook(path) {
            xlsx::read(path, &mut b, progress)?
        } else {
            csv::read(path, &mut b, progress)?
        };
        match &first_header {
            None => first_header = Some((path.clone(), header)),
            Some((first, h0)) => check_same_columns(first, h0, path, &header)?,
        }
    }
    b.finish()
}

/// Stops before reading when the files' rows would not fit in memory: CSV rows estimated
/// from the file size and its first lines, Parquet rows from the file's metadata. Excel
/// sheets hold at most about a million rows and are not checked.
fn check_memory(paths: &[PathBuf]) -> anyhow::Result<()> {
    let mut rows = 0u64;
    for path in paths.iter().filter(|p| !xlsx::is_workbook(p)) {
        if is_parquet(path) {
            rows += parquet::row_count(path).unwrap_or(0);
            continue;
        }
        let (Ok(meta), Ok(head)) = (std::fs::metadata(path), csv::read_head(path)) else {
            continue; // the reader reports the file's own problem
        };
        rows += memory::estimate_rows(meta.len(), &head).unwrap_or(0);
    }
    let files = match paths {
        [one] => one.display().to_string(),
        _ => format!("{} ledger files", paths.len()),
    };
    Ok(memory::check(rows, &files, memory::available())?)
}

fn is_parquet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
}

fn check_same_columns(
    first: &Path,
    h0: &[String],
    path: &Path,
    h: &[String],
) -> Result<(), InputError> {
    let missing: Vec<&String> = h0.iter().filter(|c| !h.contains(c)).collect();
    let extra: Vec<&String> = h.iter().filter(|c| !h0.contains(c)).collect();
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut detail = Vec::new();
    if !missing.is_empty() {
        detail.push(format!("missing {missing:?}"));
    }
    if !extra.is_empty() {
        detail.push(format!("extra {extra:?}"));
    }
    Err(InputError::ColumnsDiffer {
        path: path.to_path_buf(),
        first: first.to_path_buf(),
        detail: detail.join("; "),
    })
}

/// A bad field: which column, its text, and what was wrong.
pub(crate) struct FieldError {
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// A bad row as first seen (for the error message without `--skip-bad-rows`).
struct BadRow {
    file: String,
    line: u64,
    error: FieldError,
}

/// Collects parsed rows and bad rows from the readers. A reader may run several builders
/// over parts of one file in parallel and [`Builder::absorb`] them in file order.
pub(crate) struct Builder<'o> {
    pub opts: &'o ReadOptions,
    ledger: Ledger,
    bad_total: usize,
    bad_shown: Vec<BadRow>,
    last_customer: Option<(Vec<u8>, u32)>,
}

const MAX_ID_BYTES: usize = 256;
const SHOWN_BAD_ROWS: usize = 10;

impl<'o> Builder<'o> {
    pub fn new(opts: &'o ReadOptions) -> Self {
        Builder {
            opts,
            ledger: Ledger::default(),
            bad_total: 0,
            bad_shown: Vec::new(),
            last_customer: None,
        }
    }

    /// Notes which optional roles a file has (any file having one makes the ledger have it).
    pub fn roles(&mut self, r: &Resolved) {
        self.ledger.has_invoice |= r.get(Role::Invoice).is_some();
        self.ledger.has_product |= r.get(Role::Product).is_some();
        self.ledger.has_industry |= r.get(Role::Industry).is_some();
    }

    /// Validates and keeps one row. `Ok(false)` means dropped as after `--as-of`;
    /// `Err` carries the first bad field.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        customer: &[u8],
        day: Result<i32, String>,
        amount: Result<f64, String>,
        invoice: Option<&[u8]>,
        product: Option<&[u8]>,
        industry: Option<&[u8]>,
        names: &Resolved,
    ) -> Result<bool, FieldError> {
        let col = |role: Role| {
            names
                .names
                .iter()
                .find(|(r, _)| *r == role)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        };
        let id = trim(customer);
        let id = match std::str::from_utf8(id) {
            Ok("") => {
                return Err(FieldError {
                    column: col(Role::Customer),
                    value: String::new(),
                    reason: "customer id is empty".into(),
                })
            }
            Ok(s) if s.len() > MAX_ID_BYTES => {
                return Err(FieldError {
                    column: col(Role::Customer),
                    value: format!("{}…", &s[..s.floor_char_boundary(40)]),
                    reason: format!(
                        "customer id is {} bytes long (at most {MAX_ID_BYTES})",
                        s.len()
                    ),
                })
            }
            Ok(s) if s.bytes().any(|c| c.is_ascii_control()) => {
                return Err(FieldError {
                    column: col(Role::Customer),
                    value: s.escape_debug().to_string(),
                    reason: "customer id contains a control character (a NUL, tab or line break?)"
                        .into(),
                })
            }
            Ok(s) => s,
            Err(_) => {
                return Err(FieldError {
                    column: col(Role::Customer),
                    value: String::from_utf8_lossy(id).into_owned(),
                    reason: "customer id is not valid UTF-8 (is the file in another encoding?)"
                        .into(),
                })
            }
        };
        let day = day.map_err(|reason| FieldError {
            column: col(Role::Date),
            value: String::new(),
            reason: format!("date {reason}"),
        })?;
        let amount = amount.map_err(|reason| FieldError {
            column: col(Role::Amount),
            value: String::new(),
            reason: format!("amount {reason}"),
        })?;
        if self.opts.as_of.is_some_and(|d| day > d) {
            return Ok(false);
        }
        let l = &mut self.ledger;
        // Invoice lines come in runs of one customer: skip the table for a repeated id.
        let customer = match &self.last_customer {
            Some((bytes, i)) if bytes.as_slice() == id.as_bytes() => *i,
            _ => {
                let i = l.customers.intern(id);
                let last = self.last_customer.get_or_insert_with(|| (Vec::new(), i));
                last.0.clear();
                last.0.extend_from_slice(id.as_bytes());
                last.1 = i;
                i
            }
        };
        let invoice = match invoice.map(trim) {
            Some(inv) if !inv.is_empty() => hash64(inv),
            _ => hash64(&day.to_le_bytes()) ^ 0x9e37_79b9_7f4a_7c15,
        };
        let product = intern_opt(&mut l.products, product);
        let industry = intern_opt(&mut l.industries, industry);
        l.rows.push(Row {
            customer,
            day,
            amount,
            invoice,
            product,
            industry,
        });
        l.first_day = Some(l.first_day.map_or(day, |d| d.min(day)));
        l.last_day = Some(l.last_day.map_or(day, |d| d.max(day)));
        Ok(true)
    }

    /// Records a bad row: kept for `rejects.csv` with `--skip-bad-rows`, else remembered for
    /// the error message.
    pub fn bad(&mut self, file: &str, line: u64, e: FieldError, record: String) {
        self.bad_total += 1;
        if self.opts.skip_bad_rows {
            self.ledger.rejects.push(Reject {
                file: file.into(),
                line,
                column: e.column,
                value: e.value,
                reason: e.reason,
                record,
            });
        } else if self.bad_shown.len() < SHOWN_BAD_ROWS {
            self.bad_shown.push(BadRow {
                file: file.into(),
                line,
                error: e,
            });
        }
    }

    /// Records a bad row of a typed reader (Parquet, Excel), whose row is a set of cells
    /// rather than one line of text: fills in the error's value from the row's cell of that
    /// column when the field check left it empty, and keeps the row's `width` cells joined by
    /// commas as the record.
    pub fn bad_cells(
        &mut self,
        file: &str,
        line: u64,
        mut e: FieldError,
        header: &[String],
        width: usize,
        cell: impl Fn(usize) -> String,
    ) {
        if e.value.is_empty() {
            if let Some(i) = header.iter().position(|h| *h == e.column) {
                e.value = cell(i);
            }
        }
        let record = (0..width).map(&cell).collect::<Vec<_>>().join(",");
        self.bad(file, line, e, record);
    }

    /// Appends what another builder read from a later part of the same file; its line
    /// numbers are shifted by `line_offset`.
    pub fn absorb(&mut self, other: Builder, line_offset: u64) {
        let l = &mut self.ledger;
        let o = other.ledger;
        let remap = |from: &Interner, to: &mut Interner| {
            from.iter().map(|t| to.intern(t)).collect::<Vec<u32>>()
        };
        let customers = remap(&o.customers, &mut l.customers);
        let products = remap(&o.products, &mut l.products);
        let industries = remap(&o.industries, &mut l.industries);
        let opt = |map: &[u32], i: u32| if i == NONE { NONE } else { map[i as usize] };
        let remapped = |r: &Row| Row {
            customer: customers[r.customer as usize],
            product: opt(&products, r.product),
            industry: opt(&industries, r.industry),
            ..*r
        };
        if l.rows.is_empty() {
            // The first part's rows are taken over, not copied: on a large file the rows are
            // most of the memory, and a copy would hold them twice.
            let mut rows = o.rows;
            for r in &mut rows {
                *r = remapped(r);
            }
            l.rows = rows;
        } else {
            l.rows.reserve_exact(o.rows.len());
            l.rows.extend(o.rows.iter().map(remapped));
        }
        l.has_invoice |= o.has_invoice;
        l.has_product |= o.has_product;
        l.has_industry |= o.has_industry;
        l.first_day = [l.first_day, o.first_day].into_iter().flatten().min();
        l.last_day = [l.last_day, o.last_day].into_iter().flatten().max();
        l.rejects.extend(o.rejects.into_iter().map(|r| Reject {
            line: r.line + line_offset,
            ..r
        }));
        self.bad_total += other.bad_total;
        let room = SHOWN_BAD_ROWS.saturating_sub(self.bad_shown.len());
        self.bad_shown
            .extend(other.bad_shown.into_iter().take(room).map(|b| BadRow {
                line: b.line + line_offset,
                ..b
            }));
    }

    pub fn add_input(&mut self, stats: InputStats) {
        self.ledger.inputs.push(stats);
    }

    fn finish(self) -> anyhow::Result<Ledger> {
        if self.bad_total > 0 && !self.opts.skip_bad_rows {
            let shown = self
                .bad_shown
                .iter()
                .map(|b| {
                    let column = if b.error.column.is_empty() {
                        String::new()
                    } else {
                        format!(", column {:?}", b.error.column)
                    };
                    format!(
                        "{} line {}{column}: {}",
                        b.file,
                        b.line,
                        b.error.reason.replace('\n', " ")
                    )
                })
                .collect();
            return Err(InputError::BadRows {
                shown,
                total: self.bad_total,
            }
            .into());
        }
        Ok(self.ledger)
    }
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// Interns an optional text field; empty or absent is [`NONE`]. Invalid UTF-8 is kept
/// with replacement characters (these fields are labels, not keys).
fn intern_opt(dict: &mut Interner, b: Option<&[u8]>) -> u32 {
    match b.map(trim) {
        None | Some(b"") => NONE,
        Some(b) => match std::str::from_utf8(b) {
            Ok(s) => dict.intern(s),
            Err(_) => dict.intern(&String::from_utf8_lossy(b)),
        },
    }
}

/// A fixed (unseeded) 64-bit hash, so that a run's results never depend on a random seed.
pub fn hash64(bytes: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x5eed_c0ff_ee00_1234).build_hasher();
    h.write(bytes);
    h.finish()
}
