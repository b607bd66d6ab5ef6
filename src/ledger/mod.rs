//! The ledger stage: reads one or more CSV/Parquet files into one columnar set of rows.
//!
//! Readers (`csv.rs`, `parquet.rs`) hand each row's fields to a [`Builder`], which parses and
//! validates them, drops rows after `--as-of`, interns product lines and industries, and
//! records bad rows (to fail with, or to write to `rejects.csv`). Rows are kept as compact
//! fixed-size records: 10 million rows take 320 MB.
//!
//! Rows are sorted into [`BLOCKS`] blocks by a hash of the customer id as they are read, with
//! no id table lookup; each block's ids are numbered afterwards, block by block, with a table
//! small enough to stay in the processor's cache (on a million customers, one table for all
//! ids cost a cache miss per invoice and was a fifth of the whole run's time). Every row of a
//! customer is in one block, so the later stages work block by block too.

mod columns;
mod csv;
pub use self::csv::sniff as sniff_delimiter;
pub(crate) use self::csv::{bom_encoding, check_utf8, Lines};
mod digest;
mod intern;
pub mod memory;
mod parquet;
pub mod parse;
mod split;
pub mod stream;
pub mod xlsx;

use std::path::{Path, PathBuf};

pub use columns::{AmountSource, ColumnMap, Resolved, Role};
pub use digest::FileDigest;
pub use intern::Interner;
pub use parse::{AmountFormat, DateFormat};

use crate::error::InputError;
use crate::progress::Progress;

/// Marks an absent product line or industry.
pub const NONE: u32 = u32::MAX;

/// One ledger row after parsing. `customer` is the index of the customer's id in its
/// block's `ids`. `invoice` is a 64-bit hash of the invoice id (equality is all we need of
/// it); rows without an invoice id get a hash of their date, so that each day counts as one
/// occasion.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
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
    pub sha256: FileDigest,
    /// Data rows in the file (header excluded).
    pub rows_read: u64,
    pub rows_rejected: u64,
    pub rows_after_as_of: u64,
    /// The delimiter used, for CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Which header name filled each role.
    pub columns: std::collections::BTreeMap<Role, String>,
    /// `gzip` or `zstd` for a compressed file, whose `bytes` and `sha256` are then those of
    /// the compressed file as given (the rows were read from a decompressed copy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<&'static str>,
    /// The encoding a CSV file was read in when it is not UTF-8 (`--encoding`, or UTF-16
    /// known by its byte-order mark).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    /// The file's whole header (CSV) or column names (Parquet, a sheet), as read.
    #[serde(skip)]
    pub header: Vec<String>,
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

/// Rows are grouped into this many blocks by a hash of the customer id.
pub const BLOCKS: usize = 256;

/// The block of a customer id's hash: bits that the id tables leave alone (hashbrown picks
/// the bucket from the low bits and the tag from the top seven), so that a block's table
/// still spreads its ids.
fn block_of(hash: u64) -> usize {
    ((hash >> 40) as usize) % BLOCKS
}

/// The rows of some customers, and their ids.
#[derive(Debug, Default, Clone)]
pub struct Block {
    /// Every row of these customers, in parts as the readers left them (each reader's rows
    /// of the block stay where they were written, not copied together); `customer` is an
    /// index in `ids`.
    parts: Vec<Vec<Row>>,
    pub ids: Interner,
    /// The index of this block's first customer among all the ledger's customers, which are
    /// numbered block by block.
    pub first: u32,
}

/// The whole ledger, all files together.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Every row, grouped by customer into blocks (a customer's rows are all in one block).
    /// The order of rows within a block is the files' order.
    pub blocks: Vec<Block>,
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
    /// A ledger of the given rows in one block, `customer` being an index in `ids`.
    pub fn from_rows(rows: Vec<Row>, ids: Interner) -> Ledger {
        Ledger {
            first_day: rows.iter().map(|r| r.day).min(),
            last_day: rows.iter().map(|r| r.day).max(),
            blocks: vec![Block {
                parts: vec![rows],
                ids,
                first: 0,
            }],
            ..Ledger::default()
        }
    }

    /// Every row, block by block.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.blocks.iter().flat_map(Block::rows)
    }

    /// Every row with its customer's index among all customers.
    pub fn rows_by_customer(&self) -> impl Iterator<Item = (u32, &Row)> {
        self.blocks
            .iter()
            .flat_map(|b| b.rows().map(move |r| (b.first + r.customer, r)))
    }

    pub fn row_count(&self) -> usize {
        self.blocks.iter().map(Block::row_count).sum()
    }

    /// Customers with at least one row.
    pub fn customer_count(&self) -> usize {
        self.blocks
            .last()
            .map_or(0, |b| b.first as usize + b.ids.len())
    }

    /// A customer's block and index in it, by id.
    pub fn find_customer(&self, id: &str) -> Option<(&Block, u32)> {
        if self.blocks.len() == BLOCKS {
            let b = &self.blocks[block_of(hash64(id.as_bytes()))];
            return b.ids.lookup(id).map(|i| (b, i));
        }
        self.blocks
            .iter()
            .find_map(|b| b.ids.lookup(id).map(|i| (b, i)))
    }

    /// A customer's index among all customers, by id.
    pub fn customer_index(&self, id: &str) -> Option<u32> {
        self.find_customer(id).map(|(b, i)| b.first + i)
    }

    /// A copy with only the rows on or before `day` (the ids are kept whole, so customer
    /// indices mean the same in both).
    pub fn until(&self, day: i32) -> Ledger {
        let blocks: Vec<Block> = self
            .blocks
            .iter()
            .map(|b| Block {
                parts: vec![b.rows().filter(|r| r.day <= day).copied().collect()],
                ids: b.ids.clone(),
                first: b.first,
            })
            .collect();
        let days = || blocks.iter().flat_map(Block::rows).map(|r| r.day);
        Ledger {
            first_day: days().min(),
            last_day: days().max(),
            products: self.products.clone(),
            industries: self.industries.clone(),
            has_invoice: self.has_invoice,
            has_product: self.has_product,
            has_industry: self.has_industry,
            inputs: self.inputs.clone(),
            rejects: Vec::new(),
            blocks,
        }
    }
}

/// Reads every file into one ledger. Files must agree on their columns. A stream (`-` for
/// standard input, or a pipe) or a compressed file is copied to a plain temporary file first
/// ([`stream`]).
pub fn read_ledger(
    paths: &[PathBuf],
    opts: &ReadOptions,
    progress: &Progress,
) -> anyhow::Result<Ledger> {
    if paths.iter().filter(|p| stream::is_stdin(p)).count() > 1 {
        return Err(InputError::flag(
            "LEDGER",
            "- (standard input) is given more than once: it can be read only once",
        )
        .into());
    }
    // (path read, path shown, its copy if it is read from one); a copy lives until its file
    // is read.
    let mut sources: Vec<(PathBuf, &Path, Option<stream::Copied>)> = Vec::new();
    for path in paths {
        if stream::needs_copy(path) {
            let copy = stream::copy(path, progress)?;
            sources.push((copy.path.to_path_buf(), path, Some(copy)));
        } else {
            sources.push((path.clone(), path, None));
        }
    }
    check_memory(&sources)?;
    let mut b = Builder::new(opts);
    let mut first_header: Option<(&Path, Vec<String>)> = None;
    for (path, name, copy) in &sources {
        // A copy's hash was taken as it was made: the readers do not hash it again.
        let given = copy.as_ref().map(|c| &c.given);
        let sha256 = given.map(|g| g.sha256.clone());
        // A damaged file's sizes can ask for more memory than there is: the failure names it.
        let reading = crate::alloc::Reading::new(name);
        let header = if is_parquet(path) {
            parquet::read(path, name, sha256, &mut b, progress)?
        } else if xlsx::is_workbook(path) {
            xlsx::read(path, &mut b, progress)?
        } else {
            csv::read(path, name, sha256, &mut b, progress)?
        };
        drop(reading);
        if let Some(input) = b.ledger.inputs.last_mut() {
            input.header = header.clone();
            // The manifest gives the input as given, not its (decompressed) copy.
            if let Some(g) = given {
                input.bytes = g.bytes;
                input.compression = g.compression;
            }
        }
        match &first_header {
            None => first_header = Some((name, header)),
            Some((first, h0)) => check_same_columns(first, h0, name, &header)?,
        }
    }
    drop(sources);
    b.finish()
}

/// Stops before reading when the files' rows would not fit in memory: CSV rows estimated
/// from the file size and its first lines, Parquet rows from the file's metadata. Excel
/// sheets hold at most about a million rows and are not checked. `sources` are (path read,
/// path shown, copy) as in [`read_ledger`].
fn check_memory(sources: &[(PathBuf, &Path, Option<stream::Copied>)]) -> anyhow::Result<()> {
    let mut rows = 0u64;
    for (path, name, _) in sources.iter().filter(|(p, ..)| !xlsx::is_workbook(p)) {
        if is_parquet(path) {
            let _reading = crate::alloc::Reading::new(name);
            rows += parquet::row_count(path).unwrap_or(0);
            continue;
        }
        let (Ok(meta), Ok(head)) = (std::fs::metadata(path), csv::read_head(path)) else {
            continue; // the reader reports the file's own problem
        };
        rows += memory::estimate_rows(meta.len(), &head).unwrap_or(0);
    }
    let files = match sources {
        [(_, one, _)] => one.display().to_string(),
        _ => format!("{} ledger files", sources.len()),
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

/// Rows read but not yet numbered by customer, of one block: `customer` is the offset of the
/// id in `ids`, where each id is written as its length (2 bytes, little-endian) and its bytes.
#[derive(Debug, Default)]
struct Pending {
    rows: Vec<Row>,
    ids: Vec<u8>,
    /// Product line and industry indices of these rows in the builder's tables (the rows
    /// came from another builder's); empty when they are already the builder's.
    products: Vec<u32>,
    industries: Vec<u32>,
}

/// A builder's own rows of one block since its last [`Builder::absorb`], ids as in
/// [`Pending`]. The 256 of them lie side by side (48 bytes each), so that finding the block's
/// buffers for a row reads memory the last rows read too: as separate parts, each in an
/// allocation of its own, that read was a cache miss per run of rows (~1.5% of a large
/// run's CPU).
#[derive(Debug, Default)]
struct Open {
    rows: Vec<Row>,
    ids: Vec<u8>,
}

/// Collects parsed rows and bad rows from the readers. A reader may run several builders
/// over parts of one file in parallel and [`Builder::absorb`] them in file order.
pub(crate) struct Builder<'o> {
    pub opts: &'o ReadOptions,
    /// Everything but the rows, which are in `pending` until [`Builder::finish`].
    ledger: Ledger,
    /// Per block, the rows in file order (one part per absorbed builder), but for
    /// this builder's own since the last absorb, which are in `open`.
    pending: Vec<Vec<Pending>>,
    open: Vec<Open>,
    bad_total: usize,
    bad_shown: Vec<BadRow>,
    /// The last row's customer id, its block and its offset there: a repeated id is neither
    /// checked, hashed nor stored again.
    last_customer: Last<(usize, u32)>,
    /// Rows each block's part is made room for at once ([`Builder::expect_rows`]).
    block_rows: usize,
    /// The last row's industry and its index, not looked up again.
    last_industry: Last<u32>,
}

const MAX_ID_BYTES: usize = 256;
/// A block's rows are mapped this many ahead of the next one written (64 KiB of rows:
/// [`crate::alloc::prefault_spare`]).
const PREFAULT_ROWS: usize = (64 << 10) / std::mem::size_of::<Row>();
const SHOWN_BAD_ROWS: usize = 10;

impl<'o> Builder<'o> {
    pub fn new(opts: &'o ReadOptions) -> Self {
        Builder {
            opts,
            ledger: Ledger::default(),
            pending: (0..BLOCKS).map(|_| Vec::new()).collect(),
            open: (0..BLOCKS).map(|_| Open::default()).collect(),
            bad_total: 0,
            bad_shown: Vec::new(),
            last_customer: Last::new(),
            block_rows: 0,
            last_industry: Last::new(),
        }
    }

    /// Makes room in each block for its share of about `rows` rows before they come. A row
    /// buffer that grows by doubling is copied at every step while it is small (the
    /// allocator moves large ones without copying); on a 10M-row ledger those copies and the
    /// fresh pages they touch were ~4% of the run's CPU. Room that is never filled costs
    /// address space, not memory: the pages are not touched.
    pub fn expect_rows(&mut self, rows: u64) {
        let per_block = rows / BLOCKS as u64;
        // An eighth more, as the hash does not share the ids out exactly evenly.
        self.block_rows = usize::try_from(per_block + per_block / 8).unwrap_or(0);
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
        amount: Result<f64, (Role, String)>,
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
        // The last row's id (most rows repeat it) was checked then.
        let repeated = self.last_customer.get(id);
        if repeated.is_none() {
            check_id(id).map_err(|(value, reason)| FieldError {
                column: col(Role::Customer),
                value,
                reason,
            })?;
        }
        let day = day.map_err(|reason| FieldError {
            column: col(Role::Date),
            value: String::new(),
            reason: format!("date {reason}"),
        })?;
        let amount = amount.map_err(|(role, reason)| FieldError {
            column: col(role),
            value: String::new(),
            reason: format!("{} {reason}", role.label()),
        })?;
        if self.opts.as_of.is_some_and(|d| day > d) {
            return Ok(false);
        }
        let (block, customer) = match repeated {
            Some(known) => known,
            None => {
                let block = block_of(hash64(id));
                let open = &mut self.open[block];
                if open.rows.capacity() == 0 {
                    open.rows.reserve_exact(self.block_rows);
                }
                let ids = &mut open.ids;
                let at = u32::try_from(ids.len()).map_err(|_| FieldError {
                    column: col(Role::Customer),
                    value: String::from_utf8_lossy(id).into_owned(),
                    reason: "too many distinct customer ids for one run (over 4 GB of ids)".into(),
                })?;
                // The length (at most MAX_ID_BYTES) in two bytes, then the id.
                ids.extend_from_slice(&(id.len() as u16).to_le_bytes());
                extend_short(ids, id);
                // The block's next id goes in the next cache line sooner or later: loaded
                // now, long before (256 blocks take turns), it is there when written.
                crate::hint::prefetch(ids.as_ptr().wrapping_add(ids.len() + 64));
                self.last_customer.set(id, (block, at));
                (block, at)
            }
        };
        let invoice = match invoice.map(trim) {
            Some(inv) if !inv.is_empty() => hash64(inv),
            _ => hash64(&day.to_le_bytes()) ^ 0x9e37_79b9_7f4a_7c15,
        };
        let l = &mut self.ledger;
        let product = intern_opt(&mut l.products, product);
        let industry = match industry.map(trim) {
            None => NONE,
            Some(b) => self.last_industry.get(b).unwrap_or_else(|| {
                let code = intern_opt(&mut l.industries, Some(b));
                self.last_industry.set(b, code);
                code
            }),
        };
        let rows = &mut self.open[block].rows;
        // The rows' pages mapped 64 KiB at a time, before the first row of each is written.
        if rows.len().is_multiple_of(PREFAULT_ROWS) {
            crate::alloc::prefault_spare(rows, PREFAULT_ROWS);
        }
        rows.push(Row {
            customer,
            day,
            amount,
            invoice,
            product,
            industry,
        });
        // As for the ids: the cache line of the block's row after next, loaded ahead.
        crate::hint::prefetch(rows.as_ptr().wrapping_add(rows.len() + 2));
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
    /// column when the field check left it empty, and keeps the row's `width` cells as the
    /// record: the CSV line they would be (commas between, a cell with a comma, quote or line
    /// break quoted).
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
        let record = (0..width)
            .map(|i| crate::report::csvfmt::quoted(&cell(i)).into_owned())
            .collect::<Vec<_>>()
            .join(",");
        self.bad(file, line, e, record);
    }

    /// Appends what another builder read from a later part of the same file; its line
    /// numbers are shifted by `line_offset`.
    pub fn absorb(&mut self, mut other: Builder, line_offset: u64) {
        self.close_open();
        other.close_open();
        let l = &mut self.ledger;
        let o = other.ledger;
        // The other builder's product and industry indices in this builder's tables; an
        // empty map when they are the same.
        let remap = |from: &Interner, to: &mut Interner| {
            let map: Vec<u32> = from.iter().map(|t| to.intern(t)).collect();
            let same = map.iter().enumerate().all(|(i, &j)| i as u32 == j);
            if same {
                Vec::new()
            } else {
                map
            }
        };
        let products = remap(&o.products, &mut l.products);
        let industries = remap(&o.industries, &mut l.industries);
        let compose = |inner: Vec<u32>, outer: &[u32]| -> Vec<u32> {
            match (inner.is_empty(), outer.is_empty()) {
                (_, true) => inner,
                (true, false) => outer.to_vec(),
                (false, false) => inner.iter().map(|&i| outer[i as usize]).collect(),
            }
        };
        for (mine, theirs) in self.pending.iter_mut().zip(other.pending) {
            for mut part in theirs.into_iter().filter(|p| !p.rows.is_empty()) {
                part.products = compose(std::mem::take(&mut part.products), &products);
                part.industries = compose(std::mem::take(&mut part.industries), &industries);
                mine.push(part);
            }
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

    /// Ends this builder's own parts: later rows go into new ones, after anything absorbed.
    fn close_open(&mut self) {
        for (parts, open) in self.pending.iter_mut().zip(&mut self.open) {
            if !open.rows.is_empty() {
                parts.push(Pending {
                    rows: std::mem::take(&mut open.rows),
                    ids: std::mem::take(&mut open.ids),
                    ..Pending::default()
                });
            }
        }
        // The last id's offset was into a part now closed.
        self.last_customer.clear();
    }

    pub fn add_input(&mut self, stats: InputStats) {
        self.ledger.inputs.push(stats);
    }

    fn finish(mut self) -> anyhow::Result<Ledger> {
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
        self.close_open();
        let mut ledger = self.ledger;
        ledger.blocks = number_customers(self.pending);
        Ok(ledger)
    }
}

/// Numbers each block's customers in order of first sight and turns its pending parts into
/// one block. Blocks are independent: each thread takes a contiguous range of them.
fn number_customers(pending: Vec<Vec<Pending>>) -> Vec<Block> {
    let rows: usize = pending.iter().flatten().map(|p| p.rows.len()).sum();
    let threads = crate::par::threads_for(rows);
    // Each thread takes the next block left: blocks split evenly by count were not even in
    // time (one thread ran alone for the last ~50 ms of a 10M-row ledger's numbering).
    let left = std::sync::Mutex::new(pending.into_iter().enumerate());
    let mut numbered: Vec<(usize, Block)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let left = &left;
                s.spawn(move || {
                    // Blocks of one ledger hold about as many customers each (the id's hash
                    // picks the block): each table is made the size of the last one (and an
                    // eighth) rather than grown by doubling, rehashing at every step.
                    let mut expect = (0, 0);
                    let mut blocks = Vec::new();
                    loop {
                        let next = left.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some((k, p)) = next else { break };
                        let b = number_block(p, expect);
                        expect = (b.ids.len(), b.ids.bytes_len());
                        blocks.push((k, b));
                    }
                    blocks
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a numbering thread panicked"))
            .collect()
    });
    numbered.sort_unstable_by_key(|(k, _)| *k);
    let mut blocks: Vec<Block> = numbered.into_iter().map(|(_, b)| b).collect();
    let mut first = 0u32;
    for b in &mut blocks {
        b.first = first;
        first += b.ids.len() as u32;
    }
    blocks
}

/// One block: its parts' rows in order, each id replaced by its index in the block's table.
/// `expect`: the ids and their bytes the table is made room for (about those of the last
/// block).
fn number_block(pending: Vec<Pending>, expect: (usize, usize)) -> Block {
    let mut ids = Interner::default();
    if expect.0 > 0 {
        let texts = expect.0 + expect.0 / 8;
        ids.reserve(texts, expect.1.div_ceil(expect.0));
    }
    let mut parts: Vec<Vec<Row>> = Vec::new();
    for part in pending {
        let Pending {
            rows: mut part_rows,
            ids: bytes,
            products,
            industries,
        } = part;
        let mut last = (u32::MAX, 0u32);
        for r in &mut part_rows {
            if r.customer != last.0 {
                let at = r.customer as usize;
                let len = u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
                let id = ids
                    .intern_bytes(&bytes[at + 2..at + 2 + len])
                    .expect("ids are checked as UTF-8 when read");
                last = (r.customer, id);
            }
            r.customer = last.1;
            if !products.is_empty() && r.product != NONE {
                r.product = products[r.product as usize];
            }
            if !industries.is_empty() && r.industry != NONE {
                r.industry = industries[r.industry as usize];
            }
        }
        if !part_rows.is_empty() {
            parts.push(part_rows);
        }
    }
    Block {
        parts,
        ids,
        first: 0,
    }
}

impl Block {
    /// Every row of the block.
    pub fn rows(&self) -> impl Iterator<Item = &Row> + Clone {
        self.parts.iter().flatten()
    }

    pub fn row_count(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }
}

/// Checks a trimmed customer id: the error's value (as shown) and reason.
fn check_id(id: &[u8]) -> Result<(), (String, String)> {
    // Most ids are short printable ASCII: [`printable`] settles them without the UTF-8
    // decoder (a call per id-run was ~2% of a large run's CPU).
    if !id.is_empty() && id.len() <= MAX_ID_BYTES && printable(id) {
        return Ok(());
    }
    match std::str::from_utf8(id) {
        Ok("") => Err((String::new(), "customer id is empty".into())),
        Ok(s) if s.len() > MAX_ID_BYTES => Err((
            format!("{}…", &s[..s.floor_char_boundary(40)]),
            format!(
                "customer id is {} bytes long (at most {MAX_ID_BYTES})",
                s.len()
            ),
        )),
        Ok(s) if s.bytes().any(|c| c.is_ascii_control()) => Err((
            s.escape_debug().to_string(),
            "customer id contains a control character (a NUL, tab or line break?)".into(),
        )),
        Ok(_) => Ok(()),
        Err(_) => Err((
            String::from_utf8_lossy(id).into_owned(),
            "customer id is not valid UTF-8 (is the file in another encoding?)".into(),
        )),
    }
}

/// The last row's text in one field and what it was read as. Rows come in runs (an
/// invoice's lines: one customer, one day, one industry), and a repeat is not read again.
#[derive(Debug)]
pub(crate) struct Last<T> {
    bytes: Vec<u8>,
    value: Option<T>,
}

impl<T: Copy> Last<T> {
    pub(crate) fn new() -> Self {
        Last {
            bytes: Vec::new(),
            value: None,
        }
    }

    /// What `bytes` were read as, if they are the last ones set.
    #[inline]
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<T> {
        self.value.filter(|_| same_bytes(&self.bytes, bytes))
    }

    pub(crate) fn set(&mut self, bytes: &[u8], value: T) {
        self.bytes.clear();
        extend_short(&mut self.bytes, bytes);
        self.value = Some(value);
    }

    pub(crate) fn clear(&mut self) {
        self.value = None;
    }
}

/// `a == b`, inline for the short texts compared on every row ([`Last`]): a call to the C
/// library's `bcmp` per comparison was ~2% of a run's CPU.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8"));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4"));
    match n {
        // Two overlapping loads cover every byte.
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// The bytes of a text of at most 16 bytes as one little-endian integer (byte `i` in bits
/// `8i..8i+8`, zeros past its end), read in at most two overlapping loads; `None` if longer.
#[inline]
fn short_le(b: &[u8]) -> Option<u128> {
    let n = b.len();
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8"));
    let half = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4"));
    // The second load's bytes shifted to their place; where the loads overlap, both hold
    // the same bytes.
    Some(match n {
        8..=16 => u128::from(word(0)) | u128::from(word(n - 8)) << (8 * (n - 8)),
        4..=7 => u128::from(half(0)) | u128::from(half(n - 4)) << (8 * (n - 4)),
        0..=3 => b.iter().rev().fold(0, |v, &c| v << 8 | u128::from(c)),
        _ => return None,
    })
}

/// `dst.extend_from_slice(src)` for the short texts appended on most rows (ids, the last
/// row's fields) without a call to the C library's `memcpy`: a text of up to 16 bytes goes
/// in as one 16-byte store and the length is cut back to its own.
#[inline]
fn extend_short(dst: &mut Vec<u8>, src: &[u8]) {
    match short_le(src) {
        Some(v) => {
            let end = dst.len() + src.len();
            dst.extend_from_slice(&v.to_le_bytes());
            dst.truncate(end);
        }
        None => dst.extend_from_slice(src),
    }
}

/// Whether every byte of `b` is printable ASCII (a space to `~`): for a text of up to 16
/// bytes, sixteen bytes at once (the bytes past its end counted as spaces).
#[inline]
fn printable(b: &[u8]) -> bool {
    const BYTES: u128 = u128::MAX / 0xff; // 0x0101…01
    const HIGH: u128 = BYTES * 0x80;
    let Some(v) = short_le(b) else {
        return b.iter().all(|&c| (b' '..0x7f).contains(&c));
    };
    let v = match b.len() {
        16 => v,
        n => v | (BYTES * 0x20) << (8 * n),
    };
    // With no high bit set, adding 0x60 to a byte sets it if the byte is 0x20 or more, and
    // adding 1 sets it if the byte is 0x7f; neither carries into the next byte.
    v & HIGH == 0 && (v + BYTES * 0x60) & HIGH == HIGH && (v + BYTES) & HIGH == 0
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// Interns an optional text field; empty or absent is [`NONE`]. Invalid UTF-8 is kept
/// with replacement characters (these fields are labels, not keys). Inline: it runs once
/// or twice per row, and a known text (nearly every one) is a few integer comparisons.
#[inline]
fn intern_opt(dict: &mut Interner, b: Option<&[u8]>) -> u32 {
    match b.map(trim) {
        None | Some(b"") => NONE,
        // A new text's bytes need a UTF-8 check; known ones were checked.
        Some(b) => dict.find_bytes(b).unwrap_or_else(|| intern_new(dict, b)),
    }
}

/// [`intern_opt`] for a text not in `dict` yet.
#[cold]
fn intern_new(dict: &mut Interner, b: &[u8]) -> u32 {
    match std::str::from_utf8(b) {
        Ok(s) => dict.intern(s),
        Err(_) => dict.intern(&String::from_utf8_lossy(b)),
    }
}

/// A fixed (unseeded) 64-bit hash, so that a run's results never depend on a random seed.
#[inline]
pub fn hash64(bytes: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x5eed_c0ff_ee00_1234).build_hasher();
    h.write(bytes);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::{check_id, extend_short, printable, same_bytes, Last, MAX_ID_BYTES};

    #[test]
    fn printable_is_the_byte_test_at_every_length_position_and_value() {
        for n in 0..=20 {
            let base: Vec<u8> = (0..n).map(|i| b'A' + (i % 26) as u8).collect();
            assert!(printable(&base), "length {n}");
            for at in 0..n {
                for c in 0..=255u8 {
                    let mut b = base.clone();
                    b[at] = c;
                    assert_eq!(
                        printable(&b),
                        (b' '..0x7f).contains(&c),
                        "length {n}, byte {c:#x} at {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn extend_short_appends_exactly_the_bytes() {
        let mut next = crate::test_rng(0x51ed_270b_2745_49d3);
        for n in 0..=40 {
            let src: Vec<u8> = (0..n).map(|_| next() as u8).collect();
            // After 0..=20 bytes already there, with no room to spare and with room.
            for before in 0..=20 {
                for spare in [0, 3, 64] {
                    let mut dst: Vec<u8> = Vec::with_capacity(before + spare);
                    dst.extend((0..before).map(|i| i as u8 ^ 0xa5));
                    let mut want = dst.clone();
                    want.extend_from_slice(&src);
                    extend_short(&mut dst, &src);
                    assert_eq!(dst, want, "{n} bytes after {before}, {spare} spare");
                }
            }
        }
    }

    #[test]
    fn ids_are_checked_alike_on_the_ascii_path_and_the_decoder_path() {
        let long = "x".repeat(MAX_ID_BYTES);
        let ok: [&[u8]; 5] = [
            b"C001157",
            b"a b~",
            long.as_bytes(),
            "客户-7".as_bytes(),
            b"!",
        ];
        for id in ok {
            assert_eq!(check_id(id), Ok(()), "{id:?}");
        }
        let too_long = "x".repeat(MAX_ID_BYTES + 1);
        let bad: [(&[u8], &str); 6] = [
            (b"", "empty"),
            (b"C\x7f01", "control"),
            (b"C\t01", "control"),
            (b"C\x0001", "control"),
            (too_long.as_bytes(), "bytes long"),
            (b"C\xe901", "UTF-8"),
        ];
        for (id, why) in bad {
            let (_, reason) = check_id(id).expect_err(why);
            assert!(reason.contains(why), "{id:?}: {reason}");
        }
    }

    #[test]
    fn last_gives_the_value_of_the_same_bytes_only() {
        let mut last: Last<u32> = Last::new();
        assert_eq!(last.get(b""), None);
        last.set(b"2025-01-01", 7);
        assert_eq!(last.get(b"2025-01-01"), Some(7));
        assert_eq!(
            (last.get(b"2025-01-02"), last.get(b"2025-01-0")),
            (None, None)
        );
        last.set(b"", 9);
        assert_eq!((last.get(b""), last.get(b"2025-01-01")), (Some(9), None));
        last.clear();
        assert_eq!(last.get(b""), None);
    }

    #[test]
    fn same_bytes_is_slice_equality_at_every_length_and_position() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37)).collect();
            assert!(same_bytes(&a, &a.clone()), "length {n}");
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_bytes(&a, &b), "length {n}, differing at {at}");
            }
            // A prefix, and the same bytes one longer.
            if n > 0 {
                assert!(!same_bytes(&a, &a[..n - 1]), "length {n}");
            }
            let mut longer = a.clone();
            longer.push(0);
            assert!(!same_bytes(&a, &longer), "length {n}");
        }
    }
}
