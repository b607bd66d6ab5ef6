//! `scores.csv`: one row per customer, in rank order. The columns are the product's contract
//! with pipelines: their names and order only ever grow at the end.

use std::io::Write;

use crate::ledger::parse::format_day;
use crate::pipeline::Scored;
use crate::report::fixed;

/// Column names of `scores.csv`, in order (documented in the README).
pub const COLUMNS: [&str; 29] = [
    "rank",
    "customer_id",
    "name",
    "industry",
    "tier",
    "value_score",
    "current_score",
    "potential_score",
    "r_score",
    "f_score",
    "m_score",
    "rfm_cell",
    "segment",
    "recency_days",
    "frequency",
    "order_days",
    "monetary",
    "returns",
    "returns_share",
    "first_purchase",
    "last_purchase",
    "tenure_days",
    "product_lines",
    "cycle_days",
    "cycle_cv",
    "trend",
    "overdue",
    "revenue_recent",
    "flags",
];

pub fn write(s: &Scored, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = csv::WriterBuilder::new().from_writer(w);
    out.write_record(COLUMNS)?;
    let c = &s.customers;
    let opt = |v: Option<f64>, d: usize| v.map_or(String::new(), |x| fixed(x, d));
    for (rank, &i) in s.order.iter().enumerate() {
        let sc = &s.scores;
        let returns_share = if c.gross[i] > 0.0 { c.returns[i] / c.gross[i] } else { 0.0 };
        let flags: Vec<&str> = s.flags[i].iter().map(|f| f.as_str()).collect();
        out.write_record([
            (rank + 1).to_string(),
            c.id[i].clone(),
            s.name(i).unwrap_or("").to_string(),
            c.industry[i].clone().unwrap_or_default(),
            s.tiers[i].as_str().to_string(),
            fixed(sc.value[i], 2),
            fixed(sc.current[i], 2),
            fixed(sc.potential[i], 2),
            sc.r[i].to_string(),
            sc.f[i].to_string(),
            sc.m[i].to_string(),
            format!("{}{}{}", sc.r[i], sc.f[i], sc.m[i]),
            s.segment(i).to_string(),
            c.recency_days[i].to_string(),
            c.frequency[i].to_string(),
            c.order_days[i].to_string(),
            fixed(c.monetary[i], 2),
            fixed(c.returns[i], 2),
            fixed(returns_share, 4),
            format_day(c.first_purchase[i]),
            format_day(c.last_purchase[i]),
            c.tenure_days[i].to_string(),
            c.product_lines[i].map_or(String::new(), |n| n.to_string()),
            opt(c.cycle_days[i], 1),
            opt(c.cycle_cv[i], 4),
            fixed(c.trend[i], 4),
            opt(c.overdue[i], 2),
            fixed(c.revenue_recent[i], 2),
            flags.join(";"),
        ])?;
    }
    out.flush()?;
    Ok(())
}
