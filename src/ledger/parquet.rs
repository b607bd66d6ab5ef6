//! Parquet ledger reader, through polars. Columns are matched to roles by name exactly as for
//! CSV; dates may be stored as `Date`, `Datetime`, text or `YYYYMMDD` integers, amounts as any
//! numeric type. Errors name the row (1-based, as a spreadsheet would show it).

use std::fs::File;
use std::path::Path;

use anyhow::Context;
use polars::prelude::*;

use super::{parse, AmountSource, Builder, InputStats, Resolved, Role};
use crate::error::InputError;
use crate::progress::Progress;

/// Reads one Parquet file into the builder; returns its column names. `name` is the file as
/// the user gave it, for messages and the manifest, and `sha256` a copy's hash (see
/// `csv::read`).
pub(super) fn read(
    path: &Path,
    name: &Path,
    sha256: Option<String>,
    b: &mut Builder,
    progress: &Progress,
) -> anyhow::Result<Vec<String>> {
    let shown = name.display().to_string();
    let bytes = std::fs::metadata(path)
        .with_context(|| format!("cannot open ledger {shown}"))?
        .len();
    // As for CSV: hashed on a thread of its own while the rows are read.
    let sha256 = match sha256 {
        Some(hex) => super::FileDigest::ready(hex),
        None => super::FileDigest::spawn(path, &shown, bytes),
    };
    let bar = progress.spinner(&format!("reading {shown}"));
    let open = || File::open(path).with_context(|| format!("cannot open ledger {shown}"));
    let bad_format = |e: PolarsError| unreadable(name, e);
    // The schema and row groups first (the file's footer), then the columns that have a
    // role, a row group at a time: the other columns are never decoded, and at most one row
    // group's columns are in memory beside the rows.
    let (header, metadata) = guarded(name, || {
        let mut reader = ParquetReader::new(open()?);
        let header: Vec<String> = reader
            .schema()
            .map_err(bad_format)?
            .iter_names()
            .map(|s| s.to_string())
            .collect();
        let metadata = reader.get_metadata().map_err(bad_format)?.clone();
        Ok((header, metadata))
    })?;
    let cols = Resolved::from_header(name, &header, &b.opts.columns)?;
    b.roles(&cols);
    // The columns the rows are read from (quantity and unit price only for a ledger without
    // an amount column).
    let source = cols.amount_source();
    let priced = matches!(source, AmountSource::Product { .. });
    let mut wanted: Vec<usize> = [
        Role::Customer,
        Role::Date,
        Role::Amount,
        Role::Invoice,
        Role::Product,
        Role::Industry,
    ]
    .into_iter()
    .chain(
        priced
            .then_some([Role::Quantity, Role::Price])
            .into_iter()
            .flatten(),
    )
    .filter_map(|r| cols.get(r))
    .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let read_group = |at: usize, rows: usize, projection: Option<Vec<usize>>| {
        guarded(name, || {
            let mut r = ParquetReader::new(open()?)
                .with_projection(projection)
                .with_slice(Some((at, rows)));
            r.set_metadata(metadata.clone());
            let mut df = r.finish().map_err(bad_format)?;
            df.rechunk_mut();
            Ok(df)
        })
    };

    // A row group's columns, decoded and cast to what the rows are read from.
    let decode = |at: usize, rows: usize| -> anyhow::Result<Group> {
        let df = read_group(at, rows, Some(wanted.clone()))?;
        // A damaged file can decode to fewer values than its metadata counts, and reading
        // a row past them would panic: such a group is unreadable.
        if let Some((column, len)) = short_column(&df, rows) {
            return Err(unreadable(
                name,
                format!(
                    "the row group from row {} has {rows} rows, but its column {column:?} decoded to {len} values",
                    at + 1
                ),
            )
            .into());
        }
        let column = |role: Role| {
            cols.get(role)
                .map(|i| df.column(&header[i]))
                .transpose()
                .map_err(bad_format)
        };
        let text = |role: Role| -> anyhow::Result<Option<StringChunked>> {
            let Some(c) = column(role)? else {
                return Ok(None);
            };
            let c = c.cast(&DataType::String).map_err(bad_format)?;
            Ok(Some(c.str().map_err(bad_format)?.rechunk().into_owned()))
        };
        let date = column(Role::Date)?.expect("date role is required");
        let numbers = |role: Role| -> anyhow::Result<Amounts> {
            let c = column(role)?.expect("the amount source's columns are resolved");
            Amounts::of(c).map_err(|e| bad_format(e).into())
        };
        // The source's columns numbered as decoded here: 0, and 1 for the unit price.
        let amounts = match source {
            AmountSource::Column(_) => LineAmounts {
                source: AmountSource::Column(0),
                columns: vec![numbers(Role::Amount)?],
            },
            AmountSource::Product { .. } => LineAmounts {
                source: AmountSource::Product {
                    quantity: 0,
                    price: 1,
                },
                columns: vec![numbers(Role::Quantity)?, numbers(Role::Price)?],
            },
        };
        Ok(Group {
            at,
            rows,
            customer: text(Role::Customer)?.expect("customer role is required"),
            invoice: text(Role::Invoice)?,
            product: text(Role::Product)?,
            industry: text(Role::Industry)?,
            days: Days::of(date).map_err(|why| InputError::Format {
                path: name.to_path_buf(),
                message: format!("date column {:?}: {why}", date.name()),
            })?,
            amounts,
        })
    };

    let (mut rejected, mut after, mut read) = (0u64, 0u64, 0usize);
    // The next row group is decoded (by polars, on its threads) while this one's rows go
    // into the builder on this thread.
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (send, groups) = std::sync::mpsc::sync_channel::<anyhow::Result<Group>>(1);
        let row_groups = &metadata.row_groups;
        scope.spawn(move || {
            let mut at = 0;
            for group in row_groups {
                let rows = group.num_rows();
                if rows == 0 {
                    continue;
                }
                let decoded = guarded(name, || decode(at, rows));
                let failed = decoded.is_err();
                // A send fails when the reader stopped on an error of its own.
                if send.send(decoded).is_err() || failed {
                    return;
                }
                at += rows;
            }
        });
        for group in groups {
            let g = group?;
            let (customer, invoice, product, industry) = (
                g.customer.downcast_as_array(),
                g.invoice.as_ref().map(|c| c.downcast_as_array()),
                g.product.as_ref().map(|c| c.downcast_as_array()),
                g.industry.as_ref().map(|c| c.downcast_as_array()),
            );
            // A null cell reads as an empty one.
            fn cell(a: &<StringType as PolarsDataType>::Array, row: usize) -> &[u8] {
                a.get(row).unwrap_or("").as_bytes()
            }
            // The whole row group, every column, read again only if one of its rows is
            // bad: rejects.csv keeps a bad row's every cell.
            let mut whole: Option<DataFrame> = None;
            for row in 0..g.rows {
                let res = b.push(
                    cell(customer, row),
                    g.days.at(row, b.opts),
                    g.amounts.at(row, b.opts.amount_format),
                    invoice.map(|a| cell(a, row)),
                    product.map(|a| cell(a, row)),
                    industry.map(|a| cell(a, row)),
                    &cols,
                );
                match res {
                    Ok(true) => {}
                    Ok(false) => after += 1,
                    Err(e) => {
                        rejected += 1;
                        if whole.is_none() {
                            whole = Some(read_group(g.at, g.rows, None)?);
                        }
                        let df = whole.as_ref().expect("read above");
                        let line = (g.at + row) as u64 + 1;
                        b.bad_cells(&shown, line, e, &header, df.width(), |c| {
                            cell_text(&df.columns()[c], row)
                        });
                    }
                }
            }
            read = g.at + g.rows;
            bar.tick();
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    b.add_input(InputStats {
        path: shown,
        format: "parquet",
        bytes,
        sha256,
        rows_read: read as u64,
        rows_rejected: rejected,
        rows_after_as_of: after,
        delimiter: None,
        columns: cols.names.iter().cloned().collect(),
        compression: None,
        encoding: None,
        header: Vec::new(),
    });
    Ok(header)
}

/// Rows in a Parquet file, from its metadata (nothing else is read); `None` when the file
/// cannot be read as Parquet (the reader then says why).
pub(super) fn row_count(path: &Path) -> Option<u64> {
    let file = File::open(path).ok()?;
    let rows = crate::error::catch_panic(|| ParquetReader::new(file).num_rows());
    rows.ok()?.ok().map(|n| n as u64)
}

fn unreadable(name: &Path, why: impl std::fmt::Display) -> InputError {
    InputError::Format {
        path: name.to_path_buf(),
        message: format!("not a readable Parquet file: {why}"),
    }
}

/// Runs `f`, which decodes some of the file through polars: polars panics on some damaged
/// files rather than returning an error, and such a panic is an error that names the file.
fn guarded<T>(name: &Path, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    crate::error::catch_panic(f).unwrap_or_else(|why| Err(unreadable(name, why).into()))
}

/// A cell as text for an error and `rejects.csv`: text as it is, a null as nothing, a date
/// as `YYYY-MM-DD`. Dates and timestamps too far out for polars to show (it panics on them, and
/// a damaged file can hold any number) are shown as the number stored.
fn cell_text(c: &Column, row: usize) -> String {
    // A damaged file's column can be shorter than its row group (polars' own lookups
    // panic past the end).
    if row >= c.len() {
        return String::new();
    }
    let shown = match c.dtype() {
        DataType::Date => c
            .date()
            .ok()
            .and_then(|d| d.physical().get(row))
            .map(parse::format_day),
        DataType::Datetime(unit, tz) => {
            let per_day = per_day(*unit);
            // chrono's dates end at ±262,142 years.
            let far = |t: i64| t.div_euclid(per_day).unsigned_abs() > 90_000_000;
            match c.datetime().ok().and_then(|d| d.physical().get(row)) {
                Some(t) if far(t) => Some(t.to_string()),
                // Polars shows a zoned timestamp only with a feature we do not build (it
                // panics without): shown here, on the zone's clocks with the offset.
                Some(t) => match tz.as_ref().map(|z| Zone::parse(z)) {
                    Some(Ok(Some(zone))) => Some(zoned_text(t, per_day, zone)),
                    _ => text(c, row),
                },
                None => None,
            }
        }
        DataType::String => c.str().ok().and_then(|s| s.get(row)).map(str::to_string),
        // A time or duration as its count of units: their display can overflow too.
        DataType::Time | DataType::Duration(_) => text(&c.to_physical_repr(), row),
        _ => text(c, row),
    };
    shown.unwrap_or_default()
}

/// A timestamp of `per_day` units a day as `YYYY-MM-DD HH:MM:SS[.fraction]±HH:MM` on the
/// clocks of `zone`.
fn zoned_text(t: i64, per_day: i64, zone: Zone) -> String {
    let per_second = per_day / 86_400;
    let secs = t.div_euclid(per_second);
    let Some(offset) = zone.offset_at(secs) else {
        return t.to_string();
    };
    let local = secs + offset;
    let (day, in_day) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let mut out = format!(
        "{} {:02}:{:02}:{:02}",
        parse::format_day(day as i32),
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60
    );
    let fraction = t.rem_euclid(per_second);
    if fraction != 0 {
        let width = per_second.ilog10() as usize;
        out += &format!(".{fraction:0width$}");
    }
    let (sign, off) = if offset < 0 {
        ('-', -offset)
    } else {
        ('+', offset)
    };
    out += &format!("{sign}{:02}:{:02}", off / 3600, off / 60 % 60);
    out
}

/// Polars' own display of a cell (a null as nothing).
fn text(c: &Column, row: usize) -> Option<String> {
    c.get(row)
        .ok()
        .filter(|v| !v.is_null())
        .map(|v| v.to_string())
}

/// A row group's columns that have a role, as the rows are read from them.
struct Group {
    /// The group's first row in the file (0-based) and its number of rows.
    at: usize,
    rows: usize,
    customer: StringChunked,
    invoice: Option<StringChunked>,
    product: Option<StringChunked>,
    industry: Option<StringChunked>,
    days: Days,
    amounts: LineAmounts,
}

/// The first column of a decoded row group that does not hold the group's `rows` rows in
/// one chunk (the rows are read from one), as its name and length.
fn short_column(df: &DataFrame, rows: usize) -> Option<(&str, usize)> {
    df.columns()
        .iter()
        .find(|c| c.len() != rows || c.n_chunks() != 1)
        .map(|c| (c.name().as_str(), c.len()))
}

/// A timestamp unit's count in a day.
fn per_day(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Nanoseconds => 86_400_000_000_000,
        TimeUnit::Microseconds => 86_400_000_000,
        TimeUnit::Milliseconds => 86_400_000,
    }
}

/// A row group's date column, read as day numbers row by row.
enum Days {
    Date(Int32Chunked),
    /// Time since the epoch, that time's units in a day, and the column's time zone (none:
    /// UTC, or a timestamp without one).
    Datetime(Int64Chunked, i64, Option<Zone>, ZoneDays),
    Text(StringChunked),
}

/// The last UTC day whose moments a zone puts all at one offset, and that offset: rows come
/// in runs of a day, and a zone's offset is looked up in its table of transitions.
#[derive(Default)]
struct ZoneDays(std::cell::Cell<Option<(i64, i64)>>);

impl ZoneDays {
    /// `zone`'s offset at `secs` seconds since the epoch.
    fn offset(&self, zone: Zone, secs: i64) -> Option<i64> {
        let day = secs.div_euclid(86_400);
        match self.0.get() {
            Some((d, offset)) if d == day => Some(offset),
            _ => {
                // One offset at both ends of the day: the zone changes none within it.
                let start = zone.offset_at(day * 86_400);
                match start {
                    Some(start) if zone.offset_at(day * 86_400 + 86_399) == Some(start) => {
                        self.0.set(Some((day, start)));
                        Some(start)
                    }
                    _ => zone.offset_at(secs),
                }
            }
        }
    }
}

/// The time zone of a timestamp column. A timestamp is a moment; its date is the date on
/// that zone's clocks, as a CSV export of the same column would write it (an order at
/// 01:00 in Shanghai is on that day, not on the day before as in UTC).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Zone {
    /// Seconds east of UTC (`+08:00`).
    Fixed(i32),
    /// A zone of the tz database (`Asia/Shanghai`), its offset changing with the date.
    Named(chrono_tz::Tz),
}

impl Zone {
    /// The zone a column's time zone names: `None` for UTC, `Err` for a name that is
    /// neither a zone of the tz database nor an offset.
    fn parse(tz: &str) -> Result<Option<Zone>, String> {
        let tz = tz.trim();
        if tz.is_empty() || tz.eq_ignore_ascii_case("utc") || tz == "Z" {
            return Ok(None);
        }
        // An offset: ±HH:MM, ±HHMM or ±HH.
        if let Some(rest) = tz.strip_prefix(['+', '-']) {
            let (h, m) = match (rest.split_once(':'), rest.len()) {
                (Some(hm), _) => hm,
                (None, 4) => rest.split_at(2),
                (None, _) => (rest, "00"),
            };
            let two = |s: &str| {
                (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| s.parse::<i32>().ok())
                    .flatten()
            };
            if let (Some(h), Some(m)) = (two(h), two(m)) {
                if h <= 23 && m <= 59 {
                    let secs = h * 3600 + m * 60;
                    return Ok(Some(Zone::Fixed(if tz.starts_with('-') {
                        -secs
                    } else {
                        secs
                    })));
                }
            }
        }
        tz.parse::<chrono_tz::Tz>().map(|z| Some(Zone::Named(z))).map_err(|_| {
            format!(
                "its time zone {tz:?} is neither a zone of the tz database (like Asia/Shanghai) nor an offset (like +08:00)"
            )
        })
    }

    /// The zone's offset from UTC, in seconds, at `secs` seconds since the epoch (`None`
    /// for a moment outside the calendar).
    fn offset_at(self, secs: i64) -> Option<i64> {
        use chrono::{Offset, TimeZone};
        match self {
            Zone::Fixed(s) => Some(i64::from(s)),
            Zone::Named(tz) => {
                let utc = chrono::DateTime::from_timestamp(secs, 0)?.naive_utc();
                Some(i64::from(
                    tz.offset_from_utc_datetime(&utc).fix().local_minus_utc(),
                ))
            }
        }
    }
}

impl Days {
    /// The days of a date column; `Err` says what is wrong with the column.
    fn of(col: &Column) -> Result<Days, String> {
        let polars = |e: PolarsError| e.to_string();
        Ok(match col.dtype() {
            DataType::Date => Days::Date(
                col.date()
                    .map_err(polars)?
                    .physical()
                    .rechunk()
                    .into_owned(),
            ),
            DataType::Datetime(unit, tz) => Days::Datetime(
                col.datetime()
                    .map_err(polars)?
                    .physical()
                    .rechunk()
                    .into_owned(),
                per_day(*unit),
                match tz {
                    Some(tz) => Zone::parse(tz)?,
                    None => None,
                },
                ZoneDays::default(),
            ),
            _ => Days::Text(
                col.cast(&DataType::String)
                    .and_then(|c| Ok(c.str()?.rechunk().into_owned()))
                    .map_err(polars)?,
            ),
        })
    }

    /// The day of row `row`, or why there is none.
    fn at(&self, row: usize, opts: &super::ReadOptions) -> Result<i32, String> {
        let empty = || Err::<i32, String>("is empty; expected a date".into());
        let check = |d: i32| {
            let (y, m, dd) = parse::civil_from_days(d);
            parse::checked_day(y, m, dd)
                .map_err(|e| format!("{} is not accepted: {e}", parse::format_day(d)))
        };
        match self {
            Days::Date(c) => c.downcast_as_array().get(row).map_or_else(empty, check),
            Days::Datetime(c, per_day, zone, days) => {
                c.downcast_as_array().get(row).map_or_else(empty, |t| {
                    let out_of_range = || "is out of range".to_string();
                    let day = match zone {
                        None => t.div_euclid(*per_day),
                        Some(zone) => {
                            let secs = t.div_euclid(*per_day / 86_400);
                            let offset = days.offset(*zone, secs).ok_or_else(out_of_range)?;
                            (secs + offset).div_euclid(86_400)
                        }
                    };
                    i32::try_from(day)
                        .map_err(|_| out_of_range())
                        .and_then(check)
                })
            }
            Days::Text(c) => c.downcast_as_array().get(row).map_or_else(empty, |v| {
                parse::parse_date(v.as_bytes(), &opts.date_format)
            }),
        }
    }
}

/// A row group's amounts: its amount column, or its quantities and unit prices.
struct LineAmounts {
    /// Where the amount comes from, in `columns`' numbering.
    source: AmountSource,
    columns: Vec<Amounts>,
}

impl LineAmounts {
    fn at(&self, row: usize, format: super::AmountFormat) -> Result<f64, (Role, String)> {
        self.source.amount(|i| self.columns[i].at(row, format))
    }
}

/// A row group's column of numbers: numbers of any numeric type, or text to parse.
enum Amounts {
    Number(Float64Chunked),
    Text(StringChunked),
}

impl Amounts {
    fn of(col: &Column) -> PolarsResult<Amounts> {
        // Decimals (as warehouses export money) are read as the nearest f64, as a CSV
        // field's text is.
        let number = col.dtype().is_primitive_numeric() || col.dtype().is_decimal();
        Ok(if number {
            Amounts::Number(col.cast(&DataType::Float64)?.f64()?.rechunk().into_owned())
        } else {
            Amounts::Text(col.cast(&DataType::String)?.str()?.rechunk().into_owned())
        })
    }

    /// The amount of row `row`, or why there is none.
    fn at(&self, row: usize, format: super::AmountFormat) -> Result<f64, String> {
        match self {
            Amounts::Number(c) => match c.downcast_as_array().get(row) {
                Some(v) => parse::check_amount(v).map_err(|e| format!("{v} {e}")),
                None => Err("is empty; expected a number".into()),
            },
            Amounts::Text(c) => parse::parse_amount_as(
                c.downcast_as_array().get(row).unwrap_or("").as_bytes(),
                format,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{read_ledger, Ledger, ReadOptions};

    /// Writes `df` as Parquet in row groups of `group_rows` rows.
    fn write(path: &Path, mut df: DataFrame, group_rows: usize) {
        ParquetWriter::new(File::create(path).unwrap())
            .with_row_group_size(Some(group_rows))
            .finish(&mut df)
            .unwrap();
        let groups = ParquetReader::new(File::open(path).unwrap())
            .get_metadata()
            .unwrap()
            .row_groups
            .len();
        assert!(
            groups > 1,
            "the test needs several row groups, got {groups}"
        );
    }

    fn read(path: &Path, opts: &ReadOptions) -> anyhow::Result<Ledger> {
        read_ledger(&[path.to_path_buf()], opts, &Progress::new(true))
    }

    /// Each customer's (day, amount, product) rows, in order, for comparing two ledgers.
    fn rows_of(l: &Ledger, ids: &[&str]) -> Vec<Vec<(i32, f64, String)>> {
        ids.iter()
            .map(|id| {
                let (block, k) = l.find_customer(id).expect("customer read");
                let mut rows: Vec<_> = block
                    .rows()
                    .filter(|r| r.customer == k)
                    .map(|r| {
                        let p = (r.product != super::super::NONE)
                            .then(|| l.products.get(r.product).to_string());
                        (r.day, r.amount, p.unwrap_or_default())
                    })
                    .collect();
                rows.sort_by(|a, b| a.partial_cmp(b).unwrap());
                rows
            })
            .collect()
    }

    const IDS: [&str; 7] = ["A", "B", "A", "C", "B", "A", "C"];
    const DAYS: [&str; 7] = [
        "2025-01-02",
        "2025-01-03",
        "2025-02-01",
        "2025-02-03",
        "2025-03-04",
        "2025-03-05",
        "2025-04-06",
    ];

    /// The same rows as a CSV file, read by the CSV reader: what each typed Parquet
    /// column must read as.
    fn csv_twin(dir: &Path) -> Ledger {
        let mut text = String::from("customer_id,order_date,amount,product_line\n");
        for i in 0..7 {
            text += &format!("{},{},{}.5,P{}\n", IDS[i], DAYS[i], i * 10, i % 3);
        }
        let path = dir.join("twin.csv");
        std::fs::write(&path, text).unwrap();
        read(&path, &ReadOptions::default()).unwrap()
    }

    fn days_since_epoch() -> Vec<i32> {
        DAYS.iter()
            .map(|d| parse::parse_date(d.as_bytes(), &Default::default()).unwrap())
            .collect()
    }

    #[test]
    fn a_column_shorter_than_its_row_group_is_found() {
        let frame = |columns: Vec<Column>| DataFrame::new(columns[0].len(), columns).unwrap();
        let full = Column::new("customer_id".into(), &["A", "B"]);
        let df = frame(vec![
            full.clone(),
            Column::new("industry".into(), &["R", "S"]),
        ]);
        assert_eq!(short_column(&df, 2), None);
        // A group of 2 rows whose columns decoded to 1 value (a damaged file).
        let df = frame(vec![Column::new("industry".into(), &["R"])]);
        assert_eq!(short_column(&df, 2), Some(("industry", 1)));
        // Two chunks of the right length together: still not readable row by row.
        let mut two = Series::new("industry".into(), &["R"]);
        two.append(&Series::new("industry".into(), &["S"])).unwrap();
        let df = frame(vec![full, two.into()]);
        assert_eq!(short_column(&df, 2), Some(("industry", 2)));
        // A reject's cells from such a column: empty past its end.
        let short = Column::new("d".into(), &[19_000i32])
            .cast(&DataType::Date)
            .unwrap();
        assert_eq!(cell_text(&short, 0), "2022-01-08");
        assert_eq!(cell_text(&short, 3), "");
    }

    #[test]
    fn typed_columns_read_across_row_groups_as_their_csv_twin() {
        let dir = tempfile::tempdir().unwrap();
        let twin = csv_twin(dir.path());
        let days = days_since_epoch();
        let amounts: Vec<f64> = (0..7).map(|i| i as f64 * 10.0 + 0.5).collect();
        let products: Vec<String> = (0..7).map(|i| format!("P{}", i % 3)).collect();
        let as_date = Column::new("order_date".into(), &days)
            .cast(&DataType::Date)
            .unwrap();
        let ms: Vec<i64> = days
            .iter()
            .map(|&d| i64::from(d) * 86_400_000 + 3_600_000)
            .collect();
        let as_datetime = Column::new("order_date".into(), &ms)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .unwrap();
        let as_text = Column::new("order_date".into(), &DAYS);
        let compact: Vec<i64> = DAYS
            .iter()
            .map(|d| d.replace('-', "").parse().unwrap())
            .collect();
        let as_number = Column::new("order_date".into(), &compact);
        let text_amounts: Vec<String> = amounts.iter().map(|a| format!("{a:.2}")).collect();
        // DECIMAL(18, 2), as warehouses export money.
        let decimal = Column::new("amount".into(), &amounts)
            .cast(&DataType::Decimal(18, 2))
            .unwrap();
        assert!(decimal.dtype().is_decimal());
        for (k, (date, amount)) in [
            (as_date.clone(), Column::new("amount".into(), &amounts)),
            (as_datetime, Column::new("amount".into(), &text_amounts)),
            (as_text, Column::new("amount".into(), &amounts)),
            (as_number, Column::new("amount".into(), &amounts)),
            (as_date.clone(), decimal),
        ]
        .into_iter()
        .enumerate()
        {
            let df = DataFrame::new_infer_height(vec![
                Column::new("region".into(), &["N"; 7]),
                Column::new("customer_id".into(), &IDS),
                date,
                amount,
                Column::new("product_line".into(), &products),
            ])
            .unwrap();
            let path = dir.path().join(format!("l{k}.parquet"));
            write(&path, df, 3);
            let l = read(&path, &ReadOptions::default()).unwrap();
            assert_eq!(l.inputs[0].rows_read, 7, "case {k}");
            assert_eq!(
                l.inputs[0].header[0], "region",
                "case {k}: every column named"
            );
            assert_eq!(
                rows_of(&l, &["A", "B", "C"]),
                rows_of(&twin, &["A", "B", "C"]),
                "case {k}"
            );
        }
    }

    #[test]
    fn quantities_times_unit_prices_read_as_their_csv_twins_amounts() {
        // No amount column: integer quantities of 2 and half the twin's amounts as prices
        // (exact in binary), the last price missing.
        let dir = tempfile::tempdir().unwrap();
        let twin = csv_twin(dir.path());
        let prices: Vec<Option<f64>> = (0..7)
            .map(|i| (i != 6).then_some((i as f64 * 10.0 + 0.5) / 2.0))
            .collect();
        let products: Vec<String> = (0..7).map(|i| format!("P{}", i % 3)).collect();
        let df = DataFrame::new_infer_height(vec![
            Column::new("customer_id".into(), &IDS),
            Column::new("order_date".into(), &DAYS),
            Column::new("Quantity".into(), &[2i64; 7]),
            Column::new("UnitPrice".into(), &prices),
            Column::new("product_line".into(), &products),
        ])
        .unwrap();
        let path = dir.path().join("priced.parquet");
        write(&path, df, 3);
        let opts = ReadOptions {
            skip_bad_rows: true,
            ..ReadOptions::default()
        };
        let l = read(&path, &opts).unwrap();
        let r = &l.rejects[0];
        assert_eq!(
            (l.rejects.len(), r.line, r.column.as_str()),
            (1, 7, "UnitPrice")
        );
        assert!(r.reason.starts_with("unit price is empty"), "{}", r.reason);
        let mut expected = rows_of(&twin, &["A", "B", "C"]);
        expected[2].pop(); // C's last row, the one without a price
        assert_eq!(rows_of(&l, &["A", "B", "C"]), expected);
    }

    #[test]
    fn a_bad_row_is_named_by_its_row_number_and_kept_whole() {
        let dir = tempfile::tempdir().unwrap();
        // Row 5 (in the second row group of three rows) has no amount.
        let amounts: Vec<Option<f64>> =
            (0..7).map(|i| (i != 4).then_some(i as f64 + 1.0)).collect();
        let df = DataFrame::new_infer_height(vec![
            Column::new("customer_id".into(), &IDS),
            Column::new("order_date".into(), &DAYS),
            Column::new("amount".into(), &amounts),
            Column::new("region".into(), &["N", "S", "E", "W", "NW", "SE", "X"]),
        ])
        .unwrap();
        let path = dir.path().join("bad.parquet");
        write(&path, df, 3);
        let e = read(&path, &ReadOptions::default()).unwrap_err();
        let shown = format!("{e:#}");
        assert!(shown.contains("bad.parquet"), "{shown}");
        assert!(shown.contains("line 5"), "{shown}");
        assert!(shown.contains("amount"), "{shown}");

        let opts = ReadOptions {
            skip_bad_rows: true,
            ..ReadOptions::default()
        };
        let l = read(&path, &opts).unwrap();
        assert_eq!((l.inputs[0].rows_read, l.inputs[0].rows_rejected), (7, 1));
        assert_eq!(l.rejects.len(), 1);
        let r = &l.rejects[0];
        assert_eq!((r.line, r.column.as_str()), (5, "amount"));
        assert!(r.reason.contains("empty"), "{}", r.reason);
        assert_eq!(
            r.record, "B,2025-03-04,,NW",
            "every cell of the row, the unused column's too"
        );
    }

    #[test]
    fn a_date_beyond_any_calendar_is_a_bad_row_not_a_panic() {
        // A damaged or odd export can hold any number as a date: polars cannot even show
        // such a date (it panics), so the reader must not ask it to.
        let dir = tempfile::tempdir().unwrap();
        let mut days = days_since_epoch();
        days[1] = i32::MAX;
        days[5] = i32::MIN;
        let mut ms: Vec<i64> = days.iter().map(|&d| i64::from(d) * 86_400_000).collect();
        ms[1] = i64::MAX;
        ms[5] = i64::MIN + 1;
        let as_date = Column::new("order_date".into(), &days)
            .cast(&DataType::Date)
            .unwrap();
        let as_datetime = Column::new("order_date".into(), &ms)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .unwrap();
        let products = [
            "Tools",
            "Tools, hand",
            "Seeds",
            "Tools",
            "Seeds",
            "Say \"hi\"",
            "X",
        ];
        for (k, (date, row2, row6, why)) in [
            (as_date, "5881580-07-11", "-5877641-06-23", "year 5881580"),
            (
                as_datetime,
                "9223372036854775807",
                "-9223372036854775807",
                "out of range",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let df = DataFrame::new_infer_height(vec![
                Column::new("customer_id".into(), &IDS),
                date,
                Column::new("amount".into(), &[1.5; 7]),
                Column::new("product_line".into(), &products),
            ])
            .unwrap();
            let path = dir.path().join(format!("far{k}.parquet"));
            write(&path, df, 3);
            let e = read(&path, &ReadOptions::default()).unwrap_err();
            let shown = format!("{e:#}");
            assert!(shown.contains("line 2"), "case {k}: {shown}");
            assert!(shown.contains(why), "case {k}: {shown}");

            let opts = ReadOptions {
                skip_bad_rows: true,
                ..ReadOptions::default()
            };
            let l = read(&path, &opts).unwrap();
            assert_eq!(l.inputs[0].rows_rejected, 2, "case {k}");
            let lines: Vec<_> = l
                .rejects
                .iter()
                .map(|r| (r.line, r.column.as_str()))
                .collect();
            assert_eq!(lines, [(2, "order_date"), (6, "order_date")], "case {k}");
            assert_eq!(l.rejects[0].record, format!("B,{row2},1.5,\"Tools, hand\""));
            assert_eq!(
                l.rejects[1].record,
                format!("A,{row6},1.5,\"Say \"\"hi\"\"\"")
            );
        }
    }

    #[test]
    fn a_timestamp_with_a_time_zone_is_on_its_date_in_that_zone() {
        let dir = tempfile::tempdir().unwrap();
        let utc = |d: &str, h: i64, m: i64| {
            let day = parse::parse_date(d.as_bytes(), &Default::default()).unwrap();
            (i64::from(day) * 86_400 + h * 3600 + m * 60) * 1000
        };
        // (zone, moments in UTC in file order, the date of each on that zone's clocks)
        let cases = [
            // 01:30 on 2 March in Shanghai; 23:00 on 1 March.
            (
                "Asia/Shanghai",
                vec![
                    (utc("2025-03-01", 17, 30), "2025-03-02"),
                    (utc("2025-03-01", 15, 0), "2025-03-01"),
                ],
            ),
            // New York is 5 hours behind in winter, 4 in summer; summer time began at
            // 07:00 UTC on 9 March 2025. In file order: a winter day, after and then before
            // the change on its day, a summer day (each but the third wrong at the other
            // offset, the second row's offset wrong for the third).
            (
                "America/New_York",
                vec![
                    (utc("2025-03-08", 4, 30), "2025-03-07"),
                    (utc("2025-03-09", 7, 30), "2025-03-09"),
                    (utc("2025-03-09", 4, 30), "2025-03-08"),
                    (utc("2025-03-10", 4, 30), "2025-03-10"),
                    (utc("2025-07-01", 2, 0), "2025-06-30"),
                ],
            ),
            // Santiago's summer time ended at its midnight, 03:00 UTC on 6 April 2025
            // (-03:00 to -04:00): that UTC day's offset at its start is wrong at 03:30.
            (
                "America/Santiago",
                vec![
                    (utc("2025-04-06", 1, 0), "2025-04-05"),
                    (utc("2025-04-06", 3, 30), "2025-04-05"),
                    (utc("2025-04-06", 4, 0), "2025-04-06"),
                ],
            ),
            ("+05:30", vec![(utc("2025-05-10", 19, 0), "2025-05-11")]),
            ("-03:00", vec![(utc("2025-05-10", 1, 0), "2025-05-09")]),
            ("UTC", vec![(utc("2025-05-10", 23, 59), "2025-05-10")]),
        ];
        for (k, (zone, rows)) in cases.into_iter().enumerate() {
            let tz = TimeZone::opt_try_new(Some(zone)).unwrap();
            let ms: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let ids: Vec<String> = (0..rows.len()).map(|i| format!("C{i}")).collect();
            let mut df = DataFrame::new_infer_height(vec![
                Column::new("customer_id".into(), &ids),
                Series::new("order_date".into(), &ms)
                    .into_datetime(TimeUnit::Milliseconds, tz)
                    .into_column(),
                Column::new("amount".into(), &vec![1.0; rows.len()]),
            ])
            .unwrap();
            let path = dir.path().join(format!("z{k}.parquet"));
            ParquetWriter::new(File::create(&path).unwrap())
                .finish(&mut df)
                .unwrap();
            let l = read(&path, &ReadOptions::default()).unwrap();
            for (id, (_, expected)) in ids.iter().zip(&rows) {
                let (block, c) = l.find_customer(id).unwrap();
                let day = block.rows().find(|r| r.customer == c).unwrap().day;
                assert_eq!(parse::format_day(day), *expected, "{zone} {id}");
            }
        }

        // A bad row's timestamp in rejects.csv: on the zone's clocks, with the offset
        // (polars cannot show a zoned timestamp in this build: it panicked).
        let tz = TimeZone::opt_try_new(Some("Asia/Shanghai")).unwrap();
        let ms = utc("2025-03-01", 18, 0) + 250;
        let mut df = DataFrame::new_infer_height(vec![
            Column::new("customer_id".into(), &["A", ""]),
            Series::new("order_date".into(), &[ms, ms])
                .into_datetime(TimeUnit::Milliseconds, tz)
                .into_column(),
            Column::new("amount".into(), &[1.0, 2.0]),
        ])
        .unwrap();
        let path = dir.path().join("bad.parquet");
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let opts = ReadOptions {
            skip_bad_rows: true,
            ..ReadOptions::default()
        };
        let l = read(&path, &opts).unwrap();
        assert_eq!(l.rejects.len(), 1);
        assert_eq!(l.rejects[0].record, ",2025-03-02 02:00:00.250+08:00,2.0");

        // A zone that is neither a tz database name nor an offset: an error that names the
        // file, the column and the zone, before any row is taken.
        let tz = TimeZone::opt_try_new(Some("Mars/Olympus_Mons")).unwrap();
        let mut df = DataFrame::new_infer_height(vec![
            Column::new("customer_id".into(), &["A"]),
            Series::new("order_date".into(), &[0i64])
                .into_datetime(TimeUnit::Milliseconds, tz)
                .into_column(),
            Column::new("amount".into(), &[1.0]),
        ])
        .unwrap();
        let path = dir.path().join("mars.parquet");
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let e = read(&path, &ReadOptions::default()).unwrap_err();
        let text = format!("{e:#}");
        for part in [
            "mars.parquet",
            "order_date",
            "Mars/Olympus_Mons",
            "Asia/Shanghai",
        ] {
            assert!(text.contains(part), "{part} not in {text}");
        }
        assert_eq!(crate::error::exit_code(&e), 2, "{text}");

        // Offsets are read as written, with or without the colon; nonsense is refused.
        assert_eq!(Zone::parse("+0800"), Ok(Some(Zone::Fixed(8 * 3600))));
        assert_eq!(Zone::parse("-09"), Ok(Some(Zone::Fixed(-9 * 3600))));
        assert_eq!(Zone::parse("utc"), Ok(None));
        for bad in ["+24:00", "+08:60", "+8", "-0x:00", "Europe/Nowhere"] {
            assert!(Zone::parse(bad).is_err(), "{bad}");
        }
    }
}
