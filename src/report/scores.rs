//! The customer table (`scores.csv`, `.parquet`, `.json`, the xlsx "scores" sheet): one row per
//! customer, in rank order. The columns are the product's contract with pipelines: their
//! names, order and types only ever grow at the end.

use crate::model::at;
use crate::pipeline::Scored;
use crate::report::table::{col, Column, Kind::*, Sink, Table};

/// The columns of the customer table, in order, with their types (documented in the README).
pub const COLUMNS: [Column; 40] = [
    col("rank", Int),
    col("customer_id", Text),
    col("name", Text),
    col("industry", Text),
    col("tier", Text),
    col("value_score", Fixed(2)),
    col("current_score", Fixed(2)),
    col("potential_score", Fixed(2)),
    col("r_score", Int),
    col("f_score", Int),
    col("m_score", Int),
    col("rfm_cell", Text),
    col("segment", Text),
    col("recency_days", Int),
    col("frequency", Int),
    col("order_days", Int),
    col("monetary", Fixed(2)),
    col("returns", Fixed(2)),
    col("returns_share", Fixed(4)),
    col("first_purchase", Date),
    col("last_purchase", Date),
    col("tenure_days", Int),
    col("product_lines", Int),
    col("cycle_days", Fixed(1)),
    col("cycle_cv", Fixed(4)),
    col("trend", Fixed(4)),
    col("overdue", Fixed(2)),
    col("revenue_recent", Fixed(2)),
    col("flags", Text),
    col("p_alive", Fixed(4)),
    col("expected_purchases", Fixed(4)),
    col("p_buy", Fixed(4)),
    col("expected_spend", Fixed(2)),
    col("clv", Fixed(2)),
    col("buyer_class", Text),
    col("tier_prev", Text),
    col("tier_change", Text),
    col("rank_prev", Int),
    col("value_score_prev", Fixed(2)),
    col("value_score_delta", Fixed(2)),
];

/// Writes the rows of the customers ranked `rows` (0-based; the header is the sink's
/// business).
pub fn write<S: Sink>(s: &Scored, out: &mut S, rows: std::ops::Range<usize>) -> anyhow::Result<()> {
    let c = &s.customers;
    let sc = &s.scores;
    let lang = s.lang;
    let mut cell = String::with_capacity(3);
    let mut flags = String::new();
    for i in rows {
        let returns_share = if c.gross[i] > 0.0 {
            c.returns[i] / c.gross[i]
        } else {
            0.0
        };
        cell.clear();
        cell.extend([sc.r[i], sc.f[i], sc.m[i]].map(|d| char::from(b'0' + d)));
        flags.clear();
        for (k, f) in s.flags[i].iter().enumerate() {
            if k > 0 {
                flags.push(';');
            }
            flags.push_str(lang.flag(f));
        }
        out.int(i as i64 + 1)
            .text(&c.id[i])
            .opt_text(s.name(i))
            .opt_text(c.industry.get(i))
            .text(lang.tier(s.tiers[i]))
            .fixed(sc.value[i], 2)
            .fixed(sc.current[i], 2)
            .fixed(sc.potential[i], 2)
            .int(sc.r[i].into())
            .int(sc.f[i].into())
            .int(sc.m[i].into())
            .text(&cell)
            .text(lang.value(s.segment(i)))
            .int(c.recency_days[i].into())
            .int(c.frequency[i].into())
            .int(c.order_days[i].into())
            .fixed(c.monetary[i], 2)
            .fixed(c.returns[i], 2)
            .fixed(returns_share, 4)
            .date(c.first_purchase[i])
            .date(c.last_purchase[i])
            .int(c.tenure_days[i].into());
        out.opt_int(c.product_lines[i].map(Into::into));
        out.opt_fixed(c.cycle_days[i], 1)
            .opt_fixed(c.cycle_cv[i], 4)
            .fixed(c.trend[i], 4)
            .opt_fixed(c.overdue[i], 2)
            .fixed(c.revenue_recent[i], 2)
            .text(&flags);
        let p = &s.predictions;
        out.opt_fixed(at(&p.p_alive, i), 4)
            .opt_fixed(at(&p.expected_purchases, i), 4)
            .opt_fixed(at(&p.p_buy, i), 4)
            .opt_fixed(at(&p.expected_spend, i), 2)
            .opt_fixed(at(&p.clv, i), 2)
            .opt_text(s.buyer_class[i].map(|b| lang.buyer(b)));
        match s.comparison.as_ref().map(|c| &c.before[i]) {
            Some(b) => {
                out.opt_text(b.tier.as_deref().map(|t| lang.value(t)))
                    .text(lang.value(b.change.as_str()));
                out.opt_int(b.rank.map(|r| r as i64));
                out.opt_fixed(b.value, 2)
                    .opt_fixed(b.value.map(|v| sc.value[i] - v), 2);
            }
            None => {
                out.null().null().null().null().null();
            }
        }
        out.end()?;
    }
    Ok(())
}

/// The customer table of a run, for the format writers.
pub struct ScoresTable<'a>(pub &'a Scored);

impl Table for ScoresTable<'_> {
    fn columns(&self) -> &'static [Column] {
        &COLUMNS
    }
    fn len(&self) -> usize {
        self.0.customers.len()
    }
    fn rows<S: Sink>(&self, out: &mut S, rows: std::ops::Range<usize>) -> anyhow::Result<()> {
        write(self.0, out, rows)
    }
}
