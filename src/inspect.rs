//! `custscore inspect`: a quick profile of a ledger before scoring: files, columns and their
//! roles, rows, date range, customers, returns, and the problems a score run would stop at.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::ledger::{self, parse::format_day, InputStats, Ledger, ReadOptions, Role};
use crate::progress::Progress;

/// What `inspect` found.
#[derive(Debug, Serialize)]
pub struct Profile {
    pub inputs: Vec<InputStats>,
    /// Header columns that fill no role, per file.
    pub unused_columns: Vec<Vec<String>>,
    pub rows_read: u64,
    pub rows_with_problems: usize,
    /// The first problems, as a score run would print them.
    pub problems: Vec<String>,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    pub customers: usize,
    pub product_lines: usize,
    pub industries: usize,
    pub return_rows: usize,
    pub returns_total: f64,
    pub zero_amount_rows: usize,
    pub net_revenue: f64,
}

/// Reads the ledger, keeping bad rows aside instead of failing on them.
pub fn profile(
    paths: &[std::path::PathBuf],
    opts: &ReadOptions,
    progress: &Progress,
) -> anyhow::Result<Profile> {
    let opts = ReadOptions {
        skip_bad_rows: true,
        as_of: None,
        ..opts.clone()
    };
    let l: Ledger = ledger::read_ledger(paths, &opts, progress)?;
    let mut unused_columns = Vec::new();
    for input in &l.inputs {
        // Every column of the file (a CSV's header line, a Parquet file's or a sheet's
        // column names) that no role took.
        let used: BTreeSet<&String> = input.columns.values().collect();
        unused_columns.push(
            input
                .header
                .iter()
                .filter(|h| !used.contains(h))
                .cloned()
                .collect(),
        );
    }
    let rows_read = l.inputs.iter().map(|i| i.rows_read).sum();
    let problems = l
        .rejects
        .iter()
        .take(10)
        .map(|r| {
            let column = if r.column.is_empty() {
                String::new()
            } else {
                format!(", column {:?}", r.column)
            };
            format!("{} line {}{column}: {}", r.file, r.line, r.reason)
        })
        .collect();
    Ok(Profile {
        unused_columns,
        rows_read,
        rows_with_problems: l.rejects.len(),
        problems,
        first_date: l.first_day.map(format_day),
        last_date: l.last_day.map(format_day),
        customers: l.customer_count(),
        product_lines: l.products.len(),
        industries: l.industries.len(),
        return_rows: l.rows().filter(|r| r.amount < 0.0).count(),
        returns_total: -l
            .rows()
            .filter(|r| r.amount < 0.0)
            .map(|r| r.amount)
            .sum::<f64>(),
        zero_amount_rows: l.rows().filter(|r| r.amount == 0.0).count(),
        net_revenue: l.rows().map(|r| r.amount).sum(),
        inputs: l.inputs,
    })
}

/// The profile as text for a person.
pub fn render(p: &Profile) -> String {
    let mut t = String::new();
    for (input, unused) in p.inputs.iter().zip(&p.unused_columns) {
        let _ = writeln!(
            t,
            "{} ({}{}{}, {} bytes{}): {} rows",
            input.path,
            input.format,
            input
                .compression
                .map_or(String::new(), |c| format!(", {c}")),
            input.encoding.map_or(String::new(), |e| format!(", {e}")),
            input.bytes,
            input
                .delimiter
                .as_deref()
                .map_or(String::new(), |d| format!(", delimiter {d:?}")),
            input.rows_read
        );
        let column = |role: Role| input.columns.get(&role).map(|c| format!("{c:?}"));
        for role in Role::ALL {
            let name = match (role, column(role)) {
                (_, Some(c)) => c,
                // A ledger without an amount column: each row's quantity times its price.
                (Role::Amount, None) => match (column(Role::Quantity), column(Role::Price)) {
                    (Some(q), Some(p)) => format!("{q} × {p}"),
                    _ => "-".into(),
                },
                (_, None) => "-".into(),
            };
            let _ = writeln!(t, "  {:<9} {name}", role.key());
        }
        if !unused.is_empty() {
            let _ = writeln!(
                t,
                "  unused    {}",
                unused
                    .iter()
                    .map(|c| format!("{c:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let _ = writeln!(
        t,
        "dates      {} .. {}",
        p.first_date.as_deref().unwrap_or("-"),
        p.last_date.as_deref().unwrap_or("-")
    );
    let _ = writeln!(t, "customers  {}", p.customers);
    let _ = writeln!(
        t,
        "product lines {}, industries {}",
        p.product_lines, p.industries
    );
    let _ = writeln!(
        t,
        "net revenue {:.2}; returns: {} rows, {:.2}; zero amounts: {} rows",
        p.net_revenue, p.return_rows, p.returns_total, p.zero_amount_rows
    );
    if p.rows_with_problems == 0 {
        let _ = writeln!(t, "problems   none");
    } else {
        let _ = writeln!(
            t,
            "problems   {} of {} rows (score stops at them; --skip-bad-rows sets them aside):",
            p.rows_with_problems, p.rows_read
        );
        for line in &p.problems {
            let _ = writeln!(t, "  {line}");
        }
    }
    t
}
