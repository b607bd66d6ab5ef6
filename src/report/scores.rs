//! `scores.csv`: one row per customer, in rank order. The columns are the product's contract
//! with pipelines: their names and order only ever grow at the end.

use std::io::Write;

use crate::ledger::parse::format_day;
use crate::pipeline::Scored;
use crate::report::csvfmt::CsvOut;

/// Column names of `scores.csv`, in order (documented in the README).
pub const COLUMNS: [&str; 40] = [
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
    "p_alive",
    "expected_purchases",
    "p_buy",
    "expected_spend",
    "clv",
    "buyer_class",
    "tier_prev",
    "tier_change",
    "rank_prev",
    "value_score_prev",
    "value_score_delta",
];

pub fn write(s: &Scored, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = CsvOut::new(w);
    for name in COLUMNS {
        out.text(name);
    }
    out.end()?;
    let c = &s.customers;
    let sc = &s.scores;
    let mut cell = String::with_capacity(3);
    let mut flags = String::new();
    for i in 0..s.customers.len() {
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
            flags.push_str(f.as_str());
        }
        out.int(i + 1)
            .text(&c.id[i])
            .text(s.name(i).unwrap_or(""))
            .text(c.industry[i].as_deref().unwrap_or(""))
            .text(s.tiers[i].as_str())
            .fixed(sc.value[i], 2)
            .fixed(sc.current[i], 2)
            .fixed(sc.potential[i], 2)
            .int(sc.r[i])
            .int(sc.f[i])
            .int(sc.m[i])
            .text(&cell)
            .text(s.segment(i))
            .int(c.recency_days[i])
            .int(c.frequency[i])
            .int(c.order_days[i])
            .fixed(c.monetary[i], 2)
            .fixed(c.returns[i], 2)
            .fixed(returns_share, 4)
            .text(&format_day(c.first_purchase[i]))
            .text(&format_day(c.last_purchase[i]))
            .int(c.tenure_days[i]);
        out.opt_int(c.product_lines[i]);
        out.opt_fixed(c.cycle_days[i], 1)
            .opt_fixed(c.cycle_cv[i], 4)
            .fixed(c.trend[i], 4)
            .opt_fixed(c.overdue[i], 2)
            .fixed(c.revenue_recent[i], 2)
            .text(&flags);
        let p = &s.predictions;
        out.opt_fixed(p.p_alive[i], 4)
            .opt_fixed(p.expected_purchases[i], 4)
            .opt_fixed(p.p_buy[i], 4)
            .opt_fixed(p.expected_spend[i], 2)
            .opt_fixed(p.clv[i], 2)
            .text(s.buyer_class[i].map_or("", |b| b.as_str()));
        match s.comparison.as_ref().map(|c| &c.before[i]) {
            Some(b) => {
                out.text(b.tier.as_deref().unwrap_or(""))
                    .text(b.change.as_str());
                out.opt_int(b.rank);
                out.opt_fixed(b.value, 2)
                    .opt_fixed(b.value.map(|v| sc.value[i] - v), 2);
            }
            None => {
                out.text("").text("").text("").text("").text("");
            }
        }
        out.end()?;
    }
    out.finish()?;
    Ok(())
}
