//! Month over month: a run compared with an earlier one (`score --previous DIR`, or
//! `custscore compare PREV_DIR CURR_DIR`). Customers are matched by id; each current
//! customer gets its previous tier, rank and value score and a tier change (up, down, same,
//! new); a customer of the previous run that is gone now is `lost`, listed in `changes.csv`
//! and counted in `migration.csv`, never dropped silently.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use crate::error::InputError;
use crate::lang::{canonical_tier, Lang};
use crate::report::csvfmt::CsvOut;
use crate::report::table::{col, Column, Kind::*, Sink, Table};

/// The columns of a finished run that a comparison needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub id: String,
    pub rank: u64,
    pub tier: String,
    pub value: f64,
    pub monetary: f64,
}

/// A finished run read back from its folder.
#[derive(Debug, Clone)]
pub struct Run {
    pub dir: PathBuf,
    pub rows: Vec<RunRow>,
    pub as_of: Option<String>,
    pub settings: Option<serde_json::Value>,
    /// The language its labels were written in (from its manifest; English without one).
    pub lang: Lang,
}

/// How a customer's tier moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Up,
    Down,
    Same,
    New,
    Lost,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Up => "up",
            Change::Down => "down",
            Change::Same => "same",
            Change::New => "new",
            Change::Lost => "lost",
        }
    }
}

/// What the previous run said of one current customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Before {
    pub tier: Option<String>,
    pub rank: Option<u64>,
    pub value: Option<f64>,
    pub change: Change,
}

/// A comparison of the current run with a previous one.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub previous_dir: String,
    pub previous_as_of: Option<String>,
    /// Aligned with the current rows.
    pub before: Vec<Before>,
    /// Previous customers absent now, in previous rank order.
    pub lost: Vec<RunRow>,
    /// Settings that differ between the runs (dotted keys), when both manifests have them.
    pub settings_differ: Vec<String>,
}

const TIERS: [&str; 4] = ["strategic", "partner", "priority", "ordinary"];

fn tier_level(t: &str) -> Option<usize> {
    TIERS.iter().position(|x| *x == t)
}

fn is_key(t: &str) -> bool {
    matches!(t, "strategic" | "partner")
}

/// Reads the customer table (`scores.csv`, `.parquet` or `.json`) and `manifest.json` (if
/// there) of a finished run.
pub fn read_run(dir: &Path, flag: &'static str) -> anyhow::Result<Run> {
    let found = ["scores.csv", "scores.parquet", "scores.json"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file());
    let Some(path) = found else {
        return Err(InputError::flag(
            flag,
            format!(
                "{}: no scores.csv, scores.parquet or scores.json there (is it the folder of a finished run?)",
                dir.display()
            ),
        )
        .into());
    };
    let mut rows = match path.extension().and_then(|e| e.to_str()) {
        Some("parquet") => read_parquet_rows(&path)?,
        Some("json") => read_json_rows(&path)?,
        _ => read_csv_rows(&path)?,
    };
    // Tiers are compared by their canonical names, whatever language the run was written in.
    for (k, r) in rows.iter_mut().enumerate() {
        let Some(t) = canonical_tier(&r.tier) else {
            return Err(not_ours(
                &path,
                format!(
                    "row {}: tier {:?} is none of strategic, partner, priority, ordinary (or 战略, 伙伴, 优先, 普通)",
                    k + 1,
                    r.tier
                ),
            )
            .into());
        };
        if t != r.tier {
            r.tier = t.to_string();
        }
    }
    let manifest: Option<serde_json::Value> = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    Ok(Run {
        dir: dir.to_path_buf(),
        rows,
        as_of: manifest
            .as_ref()
            .and_then(|m| m["as_of"].as_str().map(String::from)),
        lang: manifest
            .as_ref()
            .and_then(|m| serde_json::from_value(m["lang"].clone()).ok())
            .unwrap_or_default(),
        settings: manifest.and_then(|m| m.get("settings").cloned()),
    })
}

fn not_ours(path: &Path, what: String) -> InputError {
    InputError::Format {
        path: path.to_path_buf(),
        message: format!("{what}: not a custscore customer table"),
    }
}

fn read_json_rows(path: &Path) -> anyhow::Result<Vec<RunRow>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| not_ours(path, format!("not JSON ({e})")))?;
    let items = value
        .as_array()
        .ok_or_else(|| not_ours(path, "not a JSON array".into()))?;
    items
        .iter()
        .enumerate()
        .map(|(k, o)| {
            let bad = |f: &str| {
                not_ours(
                    path,
                    format!("object {}: field {f:?} missing or of the wrong type", k + 1),
                )
            };
            Ok(RunRow {
                id: o["customer_id"]
                    .as_str()
                    .ok_or_else(|| bad("customer_id"))?
                    .to_string(),
                rank: o["rank"].as_u64().ok_or_else(|| bad("rank"))?,
                tier: o["tier"].as_str().ok_or_else(|| bad("tier"))?.to_string(),
                value: o["value_score"]
                    .as_f64()
                    .ok_or_else(|| bad("value_score"))?,
                monetary: o["monetary"].as_f64().ok_or_else(|| bad("monetary"))?,
            })
        })
        .collect()
}

fn read_parquet_rows(path: &Path) -> anyhow::Result<Vec<RunRow>> {
    use polars::prelude::*;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    // polars panics on some damaged files: that is an error that names the file too.
    let df = crate::error::catch_panic(|| {
        ParquetReader::new(file)
            .with_columns(Some(
                ["customer_id", "rank", "tier", "value_score", "monetary"]
                    .map(String::from)
                    .to_vec(),
            ))
            .finish()
            .map_err(|e| e.to_string())
    })
    .and_then(|r| r)
    .map_err(|e| not_ours(path, e))?;
    let get = |name: &str, dt: DataType| -> anyhow::Result<Series> {
        Ok(df
            .column(name)
            .and_then(|c| c.as_materialized_series().cast(&dt))
            .map_err(|e| not_ours(path, format!("column {name:?}: {e}")))?)
    };
    let (id, rank, tier, value, monetary) = (
        get("customer_id", DataType::String)?,
        get("rank", DataType::UInt64)?,
        get("tier", DataType::String)?,
        get("value_score", DataType::Float64)?,
        get("monetary", DataType::Float64)?,
    );
    let (id, rank, tier, value, monetary) = (
        id.str()?,
        rank.u64()?,
        tier.str()?,
        value.f64()?,
        monetary.f64()?,
    );
    (0..df.height())
        .map(|i| {
            let bad = |f: &str| not_ours(path, format!("row {}: {f} is empty", i + 1));
            Ok(RunRow {
                id: id.get(i).ok_or_else(|| bad("customer_id"))?.to_string(),
                rank: rank.get(i).ok_or_else(|| bad("rank"))?,
                tier: tier.get(i).ok_or_else(|| bad("tier"))?.to_string(),
                value: value.get(i).ok_or_else(|| bad("value_score"))?,
                monetary: monetary.get(i).ok_or_else(|| bad("monetary"))?,
            })
        })
        .collect()
}

fn read_csv_rows(path: &Path) -> anyhow::Result<Vec<RunRow>> {
    let path = path.to_path_buf();
    // Line numbers from the ledger reader's count (the CSV reader's falls short after a CRLF,
    // as in a table saved again by a spreadsheet).
    let file =
        std::fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut rdr = csv::Reader::from_reader(crate::ledger::Lines::new(file));
    let header: Vec<String> = rdr.headers()?.iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| InputError::Format {
                path: path.clone(),
                message: format!("no column {name:?}: not a custscore scores.csv"),
            })
    };
    let (ci, ri, ti, vi, mi) = (
        col("customer_id")?,
        col("rank")?,
        col("tier")?,
        col("value_score")?,
        col("monetary")?,
    );
    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    while rdr
        .read_record(&mut rec)
        .with_context(|| format!("cannot read {}", path.display()))?
    {
        let line = rdr
            .get_mut()
            .line_of_record(rec.position().map_or(0, |p| p.byte()));
        let bad = |what: &str| InputError::Format {
            path: path.clone(),
            message: format!("line {line}: {what}"),
        };
        let num = |i: usize| {
            rec.get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .ok_or_else(|| bad(&format!("column {:?} is not a number", header[i])))
        };
        // Ids were written formula-safe: undo the leading quote we add.
        let raw = rec.get(ci).unwrap_or("");
        let id = if raw.starts_with("'") && raw[1..].starts_with(['=', '+', '-', '@', '\t', '\r']) {
            &raw[1..]
        } else {
            raw
        };
        rows.push(RunRow {
            id: id.to_string(),
            rank: rec
                .get(ri)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad("rank is not a whole number"))?,
            tier: rec.get(ti).unwrap_or("").to_string(),
            value: num(vi)?,
            monetary: num(mi)?,
        });
    }
    Ok(rows)
}

/// Compares the current rows with a previous run.
pub fn compare(
    prev: &Run,
    current: &[RunRow],
    current_settings: Option<&serde_json::Value>,
) -> Comparison {
    let by_id: HashMap<&str, &RunRow> = prev.rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let before = current
        .iter()
        .map(|c| match by_id.get(c.id.as_str()) {
            None => Before {
                tier: None,
                rank: None,
                value: None,
                change: Change::New,
            },
            Some(p) => {
                let change = match (tier_level(&p.tier), tier_level(&c.tier)) {
                    (Some(a), Some(b)) if b < a => Change::Up,
                    (Some(a), Some(b)) if b > a => Change::Down,
                    _ => Change::Same,
                };
                Before {
                    tier: Some(p.tier.clone()),
                    rank: Some(p.rank),
                    value: Some(p.value),
                    change,
                }
            }
        })
        .collect();
    let now: std::collections::HashSet<&str> = current.iter().map(|c| c.id.as_str()).collect();
    let mut lost: Vec<RunRow> = prev
        .rows
        .iter()
        .filter(|p| !now.contains(p.id.as_str()))
        .cloned()
        .collect();
    lost.sort_by_key(|r| r.rank);
    let mut settings_differ = Vec::new();
    if let (Some(a), Some(b)) = (&prev.settings, current_settings) {
        diff("", a, b, &mut settings_differ);
    }
    Comparison {
        previous_dir: prev.dir.display().to_string(),
        previous_as_of: prev.as_of.clone(),
        before,
        lost,
        settings_differ,
    }
}

fn diff(prefix: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                diff(
                    &key,
                    x.get(k).unwrap_or(&serde_json::Value::Null),
                    y.get(k).unwrap_or(&serde_json::Value::Null),
                    out,
                );
            }
        }
        _ if a != b => out.push(prefix.to_string()),
        _ => {}
    }
}

/// One cell of the tier-to-tier matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationRow {
    pub from: &'static str,
    pub to: &'static str,
    pub customers: usize,
    pub revenue: f64,
}

/// The tier-to-tier matrix: every (from, to) pair, "new" as a from and "lost" as a to,
/// with the customers and their current revenue (last month's for the lost).
pub fn migration_rows(cmp: &Comparison, current: &[RunRow]) -> Vec<MigrationRow> {
    let mut cells: BTreeMap<(usize, usize), (usize, f64)> = BTreeMap::new();
    let level = |t: Option<&str>, other: usize| t.and_then(tier_level).unwrap_or(other);
    for (c, b) in current.iter().zip(&cmp.before) {
        let e = cells
            .entry((level(b.tier.as_deref(), 4), level(Some(&c.tier), 4)))
            .or_default();
        e.0 += 1;
        e.1 += c.monetary;
    }
    for l in &cmp.lost {
        let e = cells.entry((level(Some(&l.tier), 4), 4)).or_default();
        e.0 += 1;
        e.1 += l.monetary;
    }
    const FROM: [&str; 5] = ["strategic", "partner", "priority", "ordinary", "new"];
    const TO: [&str; 5] = ["strategic", "partner", "priority", "ordinary", "lost"];
    let mut rows = Vec::with_capacity(25);
    for (f, from) in FROM.iter().enumerate() {
        for (t, to) in TO.iter().enumerate() {
            let (customers, revenue) = cells.get(&(f, t)).copied().unwrap_or((0, 0.0));
            rows.push(MigrationRow {
                from,
                to,
                customers,
                revenue,
            });
        }
    }
    rows
}

const MIGRATION_COLUMNS: [Column; 4] = [
    col("from_tier", Text),
    col("to_tier", Text),
    col("customers", Int),
    col("revenue", Fixed(2)),
];

/// `migration.csv` (and the xlsx "migration" sheet), its tier names in `lang`.
pub struct MigrationTable {
    pub rows: Vec<MigrationRow>,
    pub lang: Lang,
}

impl Table for MigrationTable {
    fn columns(&self) -> &'static [Column] {
        &MIGRATION_COLUMNS
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn rows<S: Sink>(&self, out: &mut S, rows: std::ops::Range<usize>) -> anyhow::Result<()> {
        for r in &self.rows[rows] {
            out.text(self.lang.value(r.from))
                .text(self.lang.value(r.to))
                .int(r.customers as i64)
                .fixed(r.revenue, 2)
                .end()?;
        }
        Ok(())
    }
}

/// How many biggest movers `changes.csv` lists each way.
pub const MOVERS: usize = 10;

/// `changes.csv`: new key accounts, key accounts lost, every lost customer, and the biggest
/// movers by value score each way. Kinds and tiers are written in `lang`.
pub fn write_changes(
    cmp: &Comparison,
    current: &[RunRow],
    lang: Lang,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut out = CsvOut::new(w);
    for h in [
        "change",
        "customer_id",
        "tier_prev",
        "tier",
        "rank_prev",
        "rank",
        "value_score_prev",
        "value_score",
        "value_score_delta",
    ] {
        out.text(h);
    }
    out.end()?;
    #[allow(clippy::too_many_arguments)]
    fn row(
        out: &mut CsvOut,
        lang: Lang,
        kind: &str,
        id: &str,
        tp: Option<&str>,
        t: Option<&str>,
        rp: Option<u64>,
        r: Option<u64>,
        vp: Option<f64>,
        v: Option<f64>,
    ) -> std::io::Result<()> {
        out.text(lang.value(kind))
            .text(id)
            .text(tp.map_or("", |t| lang.value(t)))
            .text(t.map_or("", |t| lang.value(t)))
            .opt_int(rp)
            .opt_int(r);
        out.opt_fixed(vp, 2)
            .opt_fixed(v, 2)
            .opt_fixed(vp.zip(v).map(|(a, b)| b - a), 2);
        out.end()
    }
    // A current customer with what the previous run said of it.
    let now = |out: &mut CsvOut, kind: &str, c: &RunRow, b: &Before| {
        row(
            out,
            lang,
            kind,
            &c.id,
            b.tier.as_deref(),
            Some(&c.tier),
            b.rank,
            Some(c.rank),
            b.value,
            Some(c.value),
        )
    };
    for (c, b) in current.iter().zip(&cmp.before) {
        if is_key(&c.tier) && !b.tier.as_deref().is_some_and(is_key) {
            now(&mut out, "new_key_account", c, b)?;
        }
    }
    for (c, b) in current.iter().zip(&cmp.before) {
        if b.tier.as_deref().is_some_and(is_key) && !is_key(&c.tier) {
            now(&mut out, "lost_key_account", c, b)?;
        }
    }
    for l in &cmp.lost {
        let kind = if is_key(&l.tier) {
            "lost_key_account"
        } else {
            "lost_customer"
        };
        row(
            &mut out,
            lang,
            kind,
            &l.id,
            Some(&l.tier),
            None,
            Some(l.rank),
            None,
            Some(l.value),
            None,
        )?;
    }
    let mut movers: Vec<(f64, usize)> = current
        .iter()
        .zip(&cmp.before)
        .enumerate()
        .filter_map(|(i, (c, b))| b.value.map(|v| (c.value - v, i)))
        .collect();
    movers.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(current[a.1].id.cmp(&current[b.1].id))
    });
    let ups = movers.iter().filter(|m| m.0 > 0.0).take(MOVERS);
    let downs = movers.iter().rev().filter(|m| m.0 < 0.0).take(MOVERS);
    for (kind, list) in [
        ("mover_up", ups.collect::<Vec<_>>()),
        ("mover_down", downs.collect::<Vec<_>>()),
    ] {
        for &&(_, i) in &list {
            now(&mut out, kind, &current[i], &cmp.before[i])?;
        }
    }
    out.finish()?;
    Ok(())
}

/// A one-object summary of a comparison (for `comparison.json` and the manifest).
#[derive(Debug, Serialize)]
pub struct Summary {
    pub previous_dir: String,
    pub previous_as_of: Option<String>,
    pub up: usize,
    pub down: usize,
    pub same: usize,
    pub new: usize,
    pub lost: usize,
    pub settings_differ: Vec<String>,
}

impl Comparison {
    pub fn summary(&self) -> Summary {
        let count = |c: Change| self.before.iter().filter(|b| b.change == c).count();
        Summary {
            previous_dir: self.previous_dir.clone(),
            previous_as_of: self.previous_as_of.clone(),
            up: count(Change::Up),
            down: count(Change::Down),
            same: count(Change::Same),
            new: count(Change::New),
            lost: self.lost.len(),
            settings_differ: self.settings_differ.clone(),
        }
    }

    /// The warning to print when the runs' settings differ.
    pub fn settings_warning(&self) -> Option<String> {
        (!self.settings_differ.is_empty()).then(|| {
            format!("the previous run ({}) used other settings: {}; its scores are compared all the same", self.previous_dir, self.settings_differ.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bad_row_of_an_earlier_table_is_named_by_its_line_whatever_the_line_ends() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("scores.csv");
        let table = "rank,customer_id,tier,value_score,monetary\n\
                     1,C1,strategic,90.00,100.00\n\
                     \n\
                     2,C2,partner,x,50.00\n";
        for (ends, text) in [
            ("LF", table.to_string()),
            ("CRLF", table.replace('\n', "\r\n")),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = super::read_csv_rows(&path).unwrap_err();
            assert!(
                format!("{e:#}").contains("line 4: column \"value_score\" is not a number"),
                "{ends}: {e:#}"
            );
        }
    }
}
