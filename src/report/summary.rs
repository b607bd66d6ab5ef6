//! `tiers.csv` and `segments.csv`: counts, revenue, revenue share and mean scores per group.

use serde::Serialize;

use crate::classify::Tier;
use crate::pipeline::Scored;
use crate::report::table::{col, Column, Kind::*, Sink, Table};

/// One group's totals (also used by the manifest and, later, charts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    pub group: String,
    pub customers: usize,
    pub customer_share: f64,
    pub revenue: f64,
    pub revenue_share: f64,
    pub mean_value_score: f64,
    pub mean_current_score: f64,
    pub mean_potential_score: f64,
}

fn rows(s: &Scored, groups: &[String], group_of: impl Fn(usize) -> usize) -> Vec<GroupRow> {
    let n = s.customers.len();
    let total_revenue: f64 = s.customers.monetary.iter().sum();
    let mut acc = vec![(0usize, 0.0f64, 0.0f64, 0.0f64, 0.0f64); groups.len()];
    // Rank order: sums are taken in one fixed order.
    for i in 0..n {
        let a = &mut acc[group_of(i)];
        a.0 += 1;
        a.1 += s.customers.monetary[i];
        a.2 += s.scores.value[i];
        a.3 += s.scores.current[i];
        a.4 += s.scores.potential[i];
    }
    groups
        .iter()
        .zip(acc)
        .map(|(g, (k, rev, v, c, p))| {
            let mean = |x: f64| if k == 0 { 0.0 } else { x / k as f64 };
            GroupRow {
                group: g.clone(),
                customers: k,
                customer_share: if n == 0 { 0.0 } else { k as f64 / n as f64 },
                revenue: rev,
                revenue_share: if total_revenue == 0.0 {
                    0.0
                } else {
                    rev / total_revenue
                },
                mean_value_score: mean(v),
                mean_current_score: mean(c),
                mean_potential_score: mean(p),
            }
        })
        .collect()
}

/// One row per tier, strategic first; every tier is listed, even when empty.
pub fn tier_rows(s: &Scored) -> Vec<GroupRow> {
    let names: Vec<String> = Tier::ALL.iter().map(|t| t.as_str().to_string()).collect();
    rows(s, &names, |i| s.tiers[i] as usize)
}

/// One row per segment of the map, in map order, then "Other" when any customer fell there.
pub fn segment_rows(s: &Scored) -> Vec<GroupRow> {
    let mut names: Vec<String> = s.settings.segments.iter().map(|r| r.name.clone()).collect();
    let other = names.len();
    names.push("Other".into());
    let mut out = rows(s, &names, |i| s.scores.segment[i].unwrap_or(other));
    if out.last().is_some_and(|r| r.customers == 0) {
        out.pop();
    }
    out
}

const fn group_columns(key: &'static str) -> [Column; 8] {
    [
        col(key, Text),
        col("customers", Int),
        col("customer_share", Fixed(4)),
        col("revenue", Fixed(2)),
        col("revenue_share", Fixed(4)),
        col("mean_value_score", Fixed(2)),
        col("mean_current_score", Fixed(2)),
        col("mean_potential_score", Fixed(2)),
    ]
}
const TIER_COLUMNS: [Column; 8] = group_columns("tier");
const SEGMENT_COLUMNS: [Column; 8] = group_columns("segment");

/// `tiers.csv` or `segments.csv` (by `key`) for the format writers.
pub struct GroupTable<'a> {
    pub key: &'static str,
    pub rows: &'a [GroupRow],
    /// The group names are canonical; the table shows them in this language.
    pub lang: crate::lang::Lang,
}

impl Table for GroupTable<'_> {
    fn columns(&self) -> &'static [Column] {
        if self.key == "tier" {
            &TIER_COLUMNS
        } else {
            &SEGMENT_COLUMNS
        }
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn rows<S: Sink>(&self, out: &mut S, rows: std::ops::Range<usize>) -> anyhow::Result<()> {
        for r in &self.rows[rows] {
            out.text(self.lang.value(&r.group))
                .int(r.customers as i64)
                .fixed(r.customer_share, 4)
                .fixed(r.revenue, 2)
                .fixed(r.revenue_share, 4)
                .fixed(r.mean_value_score, 2)
                .fixed(r.mean_current_score, 2)
                .fixed(r.mean_potential_score, 2)
                .end()?;
        }
        Ok(())
    }
}
