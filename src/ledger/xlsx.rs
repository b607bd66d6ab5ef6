//! Excel workbooks (`.xlsx`, `.xlsm`, `.xls`, `.ods`) as ledger and attributes input, through
//! calamine. One worksheet is read (`--sheet`, or the first); its first non-empty row is the
//! header. Cells keep their types: a date cell is a date whatever its display format, a
//! number is a number; text cells are parsed exactly like CSV fields. Errors name the file,
//! the sheet and the row number Excel shows.

use std::path::Path;

use anyhow::Context;
use calamine::{Data, Reader};

use super::{parse, Builder, InputStats, Resolved, Role};
use crate::error::InputError;
use crate::progress::Progress;

/// True for the workbook extensions we read.
pub fn is_workbook(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["xlsx", "xlsm", "xlsb", "xls", "ods"]
            .iter()
            .any(|w| e.eq_ignore_ascii_case(w))
    })
}

/// One cell, reduced to what a ledger needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A date cell, as days since 1970-01-01 (the time of day dropped).
    Date(i32),
    /// A cell Excel itself shows as an error (`#N/A`, `#DIV/0!`).
    Error(String),
}

impl Cell {
    /// The cell as text, as a CSV export would show it: whole numbers without `.0`.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_string(),
            Cell::Number(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", *v as i64),
            Cell::Number(v) => v.to_string(),
            Cell::Date(d) => parse::format_day(*d),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// One worksheet: its header and data rows with their Excel row numbers.
#[derive(Debug)]
pub struct Sheet {
    pub name: String,
    /// Every sheet of the workbook, in order.
    pub all: Vec<String>,
    pub header: Vec<String>,
    pub rows: Vec<(u64, Vec<Cell>)>,
}

/// Reads worksheet `sheet` (or the first) of a workbook.
pub fn read_sheet(path: &Path, sheet: Option<&str>, flag: &'static str) -> anyhow::Result<Sheet> {
    let format_error = |message: String| InputError::Format {
        path: path.to_path_buf(),
        message,
    };
    let mut book = calamine::open_workbook_auto(path).map_err(|e| match e {
        calamine::Error::Io(e) => {
            anyhow::Error::new(e).context(format!("cannot open workbook {}", path.display()))
        }
        e => format_error(format!("not a readable workbook: {e}")).into(),
    })?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(s)))
            .cloned()
            .ok_or_else(|| {
                InputError::flag(
                    flag,
                    format!(
                        "{} has no sheet {s:?}; its sheets are {}",
                        path.display(),
                        quoted(&names)
                    ),
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| format_error("the workbook has no sheets".into()))?,
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| format_error(format!("sheet {name:?} cannot be read: {e}")))?;
    let row0 = range.start().map_or(0, |(r, _)| r);
    let mut rows = range.rows().enumerate().map(|(k, cells)| {
        let excel_row = u64::from(row0) + k as u64 + 1;
        (excel_row, cells.iter().map(cell).collect::<Vec<Cell>>())
    });
    // The header is the first row with anything in it.
    let header = loop {
        match rows.next() {
            None => {
                return Err(format_error(format!(
                    "sheet {name:?} is empty: a header row and data rows were expected"
                ))
                .into())
            }
            Some((_, cells)) if cells.iter().all(|c| *c == Cell::Empty) => continue,
            Some((_, cells)) => break cells,
        }
    };
    let mut header: Vec<String> = header.iter().map(Cell::text).collect();
    // Trailing empty header cells are formatting, not columns.
    while header.last().is_some_and(String::is_empty) {
        header.pop();
    }
    let width = header.len();
    let rows = rows
        .filter(|(_, cells)| cells.iter().any(|c| *c != Cell::Empty))
        .map(|(r, mut cells)| {
            cells.resize(width.max(cells.len()), Cell::Empty);
            (r, cells)
        })
        .collect();
    Ok(Sheet {
        name,
        all: names,
        header,
        rows,
    })
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cell(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, day, ..) = dt.to_ymd_hms_milli();
            Cell::Date(parse::days_from_civil(
                i32::from(y),
                u32::from(m),
                u32::from(day),
            ))
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(format!("{e}")),
    }
}

/// Reads one workbook's ledger sheet into the builder; returns its column names.
pub(super) fn read(
    path: &Path,
    b: &mut Builder,
    progress: &Progress,
) -> anyhow::Result<Vec<String>> {
    let bytes = std::fs::metadata(path)
        .with_context(|| format!("cannot open ledger {}", path.display()))?
        .len();
    let sha256 = super::csv::sha256_of(path, bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let bar = progress.spinner(&format!("reading {}", path.display()));
    let sheet = read_sheet(path, b.opts.sheet.as_deref(), "--sheet")?;
    // Errors and rejects name the sheet: `ledger.xlsx[Sales]`, row numbers as Excel shows them.
    let shown = format!("{}[{}]", path.display(), sheet.name);
    let cols = Resolved::from_header(path, &sheet.header, &b.opts.columns).map_err(|e| {
        if b.opts.sheet.is_none() && sheet.all.len() > 1 {
            anyhow::Error::new(e).context(format!(
                "{}: read its first sheet {:?}; choose the ledger's sheet with --sheet (sheets: {})",
                path.display(),
                sheet.name,
                quoted(&sheet.all)
            ))
        } else {
            e.into()
        }
    })?;
    b.roles(&cols);
    let idx = |role: Role| cols.get(role);
    let (ci, di) = (
        idx(Role::Customer).expect("customer role is required"),
        idx(Role::Date).expect("date role is required"),
    );
    let source = cols.amount_source();
    let (ii, pi, ni) = (idx(Role::Invoice), idx(Role::Product), idx(Role::Industry));
    let (mut rejected, mut after) = (0u64, 0u64);
    for (row, cells) in &sheet.rows {
        let day = match &cells[di] {
            Cell::Date(d) => check_day(*d),
            Cell::Empty => Err("is empty; expected a date".to_string()),
            Cell::Error(e) => Err(format!("is the spreadsheet error {e}")),
            // `20250301` typed as a number, or a date typed as text.
            c => parse::parse_date(c.text().as_bytes(), &b.opts.date_format),
        };
        let amount = source.amount(|i| match &cells[i] {
            Cell::Number(v) => parse::check_amount(*v).map_err(|e| format!("{v} {e}")),
            Cell::Empty => Err("is empty; expected a number".to_string()),
            Cell::Error(e) => Err(format!("is the spreadsheet error {e}")),
            Cell::Date(_) => Err("is a date; expected a number".to_string()),
            Cell::Text(t) => parse::parse_amount_as(t.as_bytes(), b.opts.amount_format),
        });
        let text = |i: Option<usize>| i.map(|i| cells[i].text());
        let (invoice, product, industry) = (text(ii), text(pi), text(ni));
        let res = b.push(
            cells[ci].text().as_bytes(),
            day,
            amount,
            invoice.as_deref().map(str::as_bytes),
            product.as_deref().map(str::as_bytes),
            industry.as_deref().map(str::as_bytes),
            &cols,
        );
        match res {
            Ok(true) => {}
            Ok(false) => after += 1,
            Err(e) => {
                rejected += 1;
                b.bad_cells(&shown, *row, e, &sheet.header, cells.len(), |i| {
                    cells[i].text()
                });
            }
        }
    }
    bar.finish_and_clear();
    b.add_input(InputStats {
        path: path.display().to_string(),
        format: "xlsx",
        bytes,
        sha256: super::FileDigest::ready(sha256),
        rows_read: sheet.rows.len() as u64,
        rows_rejected: rejected,
        rows_after_as_of: after,
        delimiter: None,
        columns: cols.names.iter().cloned().collect(),
        compression: None,
        encoding: None,
        header: Vec::new(),
    });
    Ok(sheet.header)
}

fn check_day(d: i32) -> Result<i32, String> {
    let (y, m, dd) = parse::civil_from_days(d);
    parse::checked_day(y, m, dd)
        .map_err(|e| format!("{} is not accepted: {e}", parse::format_day(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_print_like_a_csv_export() {
        assert_eq!(Cell::Number(1001.0).text(), "1001");
        assert_eq!(Cell::Number(12.5).text(), "12.5");
        assert_eq!(Cell::Text(" C1 ".into()).text(), "C1");
        assert_eq!(
            Cell::Date(parse::days_from_civil(2025, 3, 1)).text(),
            "2025-03-01"
        );
    }
}
