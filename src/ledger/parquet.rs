//! Parquet ledger reader, through polars. Columns are matched to roles by name exactly as for
//! CSV; dates may be stored as `Date`, `Datetime`, text or `YYYYMMDD` integers, amounts as any
//! numeric type. Errors name the row (1-based, as a spreadsheet would show it).

use std::fs::File;
use std::path::Path;

use anyhow::Context;
use polars::prelude::*;

use super::{parse, Builder, InputStats, Resolved, Role};
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
    let sha256 = match sha256 {
        Some(hex) => hex,
        None => super::csv::sha256_of(path).with_context(|| format!("cannot read {shown}"))?,
    };
    let bar = progress.spinner(&format!("reading {shown}"));
    let file = File::open(path).with_context(|| format!("cannot open ledger {shown}"))?;
    let bad_format = |e: PolarsError| InputError::Format {
        path: name.to_path_buf(),
        message: format!("not a readable Parquet file: {e}"),
    };
    let mut df = ParquetReader::new(file).finish().map_err(bad_format)?;
    df.rechunk_mut();
    let header: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cols = Resolved::from_header(name, &header, &b.opts.columns)?;
    b.roles(&cols);

    let text = |role: Role| -> anyhow::Result<Option<StringChunked>> {
        let Some(i) = cols.get(role) else {
            return Ok(None);
        };
        let c = df.columns()[i]
            .cast(&DataType::String)
            .map_err(bad_format)?;
        Ok(Some(c.str().map_err(bad_format)?.clone()))
    };
    let customer = text(Role::Customer)?.expect("customer role is required");
    let (invoice, product, industry) = (
        text(Role::Invoice)?,
        text(Role::Product)?,
        text(Role::Industry)?,
    );
    let days = dates(
        &df.columns()[cols.get(Role::Date).expect("date role is required")],
        b.opts,
    )?;
    let amount_col = &df.columns()[cols.get(Role::Amount).expect("amount role is required")];
    let amounts = match amount_col.dtype() {
        dt if dt.is_primitive_numeric() => {
            amount_col.cast(&DataType::Float64).map_err(bad_format)?
        }
        _ => amount_col.cast(&DataType::String).map_err(bad_format)?,
    };

    let (mut rejected, mut after) = (0u64, 0u64);
    let n = df.height();
    #[allow(clippy::needless_range_loop)] // `row` indexes several columns
    for row in 0..n {
        fn get(c: &Option<StringChunked>, row: usize) -> Option<&[u8]> {
            c.as_ref().map(|c| c.get(row).unwrap_or("").as_bytes())
        }
        let amount = match amounts.dtype() {
            DataType::Float64 => match amounts.f64().map_err(bad_format)?.get(row) {
                Some(v) => parse::check_amount(v).map_err(|e| format!("{v} {e}")),
                None => Err("is empty; expected a number".into()),
            },
            _ => parse::parse_amount_as(
                amounts
                    .str()
                    .map_err(bad_format)?
                    .get(row)
                    .unwrap_or("")
                    .as_bytes(),
                b.opts.amount_format,
            ),
        };
        let res = b.push(
            customer.get(row).unwrap_or("").as_bytes(),
            days[row].clone(),
            amount,
            get(&invoice, row),
            get(&product, row),
            get(&industry, row),
            &cols,
        );
        match res {
            Ok(true) => {}
            Ok(false) => after += 1,
            Err(e) => {
                rejected += 1;
                b.bad_cells(&shown, row as u64 + 1, e, &header, df.width(), |c| {
                    df.columns()[c]
                        .get(row)
                        .map(|v| v.to_string())
                        .unwrap_or_default()
                });
            }
        }
    }
    bar.finish_and_clear();
    b.add_input(InputStats {
        path: shown,
        format: "parquet",
        bytes,
        sha256: super::FileDigest::ready(sha256),
        rows_read: n as u64,
        rows_rejected: rejected,
        rows_after_as_of: after,
        delimiter: None,
        columns: cols.names.iter().cloned().collect(),
        compression: None,
        header: Vec::new(),
    });
    Ok(header)
}

/// Rows in a Parquet file, from its metadata (nothing else is read); `None` when the file
/// cannot be read as Parquet (the reader then says why).
pub(super) fn row_count(path: &Path) -> Option<u64> {
    let file = File::open(path).ok()?;
    ParquetReader::new(file).num_rows().ok().map(|n| n as u64)
}

/// Day numbers for a date column of any supported type.
fn dates(col: &Column, opts: &super::ReadOptions) -> anyhow::Result<Vec<Result<i32, String>>> {
    let empty = || Err::<i32, String>("is empty; expected a date".into());
    let check = |d: i32| {
        let (y, m, dd) = parse::civil_from_days(d);
        parse::checked_day(y, m, dd)
            .map_err(|e| format!("{} is not accepted: {e}", parse::format_day(d)))
    };
    Ok(match col.dtype() {
        DataType::Date => col
            .date()?
            .physical()
            .iter()
            .map(|d| d.map_or_else(empty, check))
            .collect(),
        DataType::Datetime(unit, _) => {
            let per_day: i64 = match unit {
                TimeUnit::Nanoseconds => 86_400_000_000_000,
                TimeUnit::Microseconds => 86_400_000_000,
                TimeUnit::Milliseconds => 86_400_000,
            };
            col.datetime()?
                .physical()
                .iter()
                .map(|t| {
                    t.map_or_else(empty, |t| {
                        i32::try_from(t.div_euclid(per_day))
                            .map_err(|_| "is out of range".to_string())
                            .and_then(check)
                    })
                })
                .collect()
        }
        _ => {
            let s = col.cast(&DataType::String)?;
            s.str()?
                .iter()
                .map(|v| {
                    v.map_or_else(empty, |v| {
                        parse::parse_date(v.as_bytes(), &opts.date_format)
                    })
                })
                .collect()
        }
    })
}
