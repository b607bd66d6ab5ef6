//! `report.html`: the run as one self-contained document for a client meeting. Inline CSS and
//! SVG charts, no script and nothing fetched, so it opens offline and prints with a page
//! break before each section. Every piece of text that came from the data (ids, names,
//! industries, segment names from a settings file) goes through [`esc`].

use std::fmt::Write as _;

use crate::classify::{Flag, Tier};
use crate::ledger::parse::format_day;
use crate::pipeline::Scored;
use crate::report::charts::{thousands, Drawn};
use crate::report::fixed;
use crate::report::summary::GroupRow;

/// How many accounts the "top accounts" table lists.
pub const TOP_ACCOUNTS: usize = 25;
/// How many accounts each flag lists.
pub const FLAGGED_SHOWN: usize = 10;

/// `text` with `& < > " '` replaced by entities: safe inside elements and quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body { font-family: "Noto Sans", "Noto Sans CJK SC", "Helvetica Neue", Arial, sans-serif; color: #1d2733; margin: 2em auto; max-width: 1180px; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.9em; margin-bottom: 0.1em; }
h2 { font-size: 1.35em; border-bottom: 2px solid #1f569e; padding-bottom: 0.2em; margin-top: 1.8em; }
.sub { color: #5a6775; margin-top: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
.figure { flex: 1 1 12em; background: #f2f5fa; border-radius: 6px; padding: 0.8em 1em; }
.figure .value { font-size: 1.7em; font-weight: 600; }
.figure .label { color: #5a6775; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; margin: 0.6em 0 1em; }
th, td { text-align: left; padding: 0.35em 0.6em; border-bottom: 1px solid #dde3ea; vertical-align: top; }
th { background: #eef2f7; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart { margin: 1em 0 2em; page-break-inside: avoid; }
.chart svg { width: 100%; height: auto; border: 1px solid #e3e8ee; }
.note { color: #5a6775; font-size: 0.9em; }
.tier-strategic { color: #7a1a3a; font-weight: 600; }
.tier-partner { color: #1f569e; font-weight: 600; }
@media print {
  body { margin: 0; max-width: none; }
  section { page-break-before: always; break-before: page; }
  section:first-of-type { page-break-before: avoid; break-before: auto; }
}
"#;

/// The report. `tiers` and `segments` are the run's tables (`report::tier_rows`,
/// `segment_rows`); `charts` are its charts with their SVG text.
pub fn render(s: &Scored, tiers: &[GroupRow], segments: &[GroupRow], charts: &[Drawn]) -> String {
    let mut h = String::with_capacity(64 << 10);
    let n = s.customers.len();
    let revenue: f64 = s.customers.monetary.iter().sum();
    let key_share: f64 = tiers
        .iter()
        .filter(|r| r.group == "strategic" || r.group == "partner")
        .map(|r| r.revenue_share)
        .sum();
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Customer scores as of {as_of}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        as_of = format_day(s.as_of)
    );

    // Headline figures.
    let _ = writeln!(
        h,
        "<section id=\"headline\">\n<h1>Customer scores</h1>\n<p class=\"sub\">As of {} · ledger {} to {} · {} rows</p>\n<div class=\"figures\">",
        format_day(s.as_of),
        format_day(s.ledger_first_day),
        format_day(s.ledger_last_day),
        thousands(s.inputs.iter().map(|i| i.rows_read).sum::<u64>() as f64)
    );
    for (value, label) in [
        (thousands(n as f64), "customers scored".to_string()),
        (thousands(revenue), "net revenue".to_string()),
        (
            format!("{:.1}%", key_share * 100.0),
            "of revenue from strategic and partner accounts".to_string(),
        ),
        (
            thousands(tiers.iter().take(2).map(|r| r.customers as f64).sum()),
            "strategic and partner accounts".to_string(),
        ),
    ] {
        let _ = writeln!(
            h,
            "<div class=\"figure\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>",
            esc(&value),
            esc(&label)
        );
    }
    h.push_str("</div>\n</section>\n");

    // Tiers.
    h.push_str("<section id=\"tiers\">\n<h2>Tiers</h2>\n");
    group_table(&mut h, "Tier", tiers);
    h.push_str("</section>\n");

    // Against the previous run.
    if let Some(cmp) = &s.comparison {
        let m = cmp.summary();
        let _ = writeln!(
            h,
            "<section id=\"migration\">\n<h2>Since the previous run{}</h2>\n<table>\n<tr><th class=\"n\">Tier up</th><th class=\"n\">Tier down</th><th class=\"n\">Same tier</th><th class=\"n\">New</th><th class=\"n\">Lost</th></tr>\n<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n</table>",
            m.previous_as_of
                .as_deref()
                .map_or(String::new(), |d| format!(" (as of {})", esc(d))),
            thousands(m.up as f64),
            thousands(m.down as f64),
            thousands(m.same as f64),
            thousands(m.new as f64),
            thousands(m.lost as f64)
        );
        if !m.settings_differ.is_empty() {
            let _ = writeln!(
                h,
                "<p class=\"note\">The two runs' settings differ: {}.</p>",
                esc(&m.settings_differ.join(", "))
            );
        }
        h.push_str("<p class=\"note\">The tier migration chart is with the charts; changes.csv lists new and lost key accounts and the biggest movers.</p>\n</section>\n");
    }

    // Top accounts.
    let _ = writeln!(
        h,
        "<section id=\"top-accounts\">\n<h2>Top {} accounts</h2>\n<table>\n<tr><th class=\"n\">Rank</th><th>Customer</th><th>Name</th><th>Tier</th><th class=\"n\">Value score</th><th class=\"n\">Net revenue</th><th>Segment</th><th class=\"n\">P(alive)</th><th>Buyer class</th><th>Flags</th></tr>",
        TOP_ACCOUNTS.min(n)
    );
    for i in 0..n.min(TOP_ACCOUNTS) {
        let flags: Vec<&str> = s.flags[i].iter().map(|f| f.as_str()).collect();
        let tier = s.tiers[i].as_str();
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"tier-{tier}\">{tier}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(&s.customers.id[i]),
            esc(s.name(i).unwrap_or("")),
            fixed(s.scores.value[i], 2),
            thousands(s.customers.monetary[i]),
            esc(s.segment(i)),
            s.predictions.p_alive[i].map_or(String::new(), |p| fixed(p, 2)),
            s.buyer_class[i].map_or("", |b| b.as_str()),
            esc(&flags.join(", "))
        );
    }
    h.push_str("</table>\n</section>\n");

    // Segments.
    h.push_str("<section id=\"segments\">\n<h2>RFM segments</h2>\n");
    group_table(&mut h, "Segment", segments);
    h.push_str("</section>\n");

    // Flags.
    h.push_str("<section id=\"flags\">\n<h2>Flags to act on</h2>\n");
    for flag in Flag::ALL {
        let who: Vec<usize> = (0..n).filter(|&i| s.flags[i].contains(&flag)).collect();
        let _ = writeln!(
            h,
            "<h3>{} <span class=\"note\">({} accounts)</span></h3>\n<p class=\"note\">{}</p>",
            flag.as_str(),
            thousands(who.len() as f64),
            esc(flag_advice(flag))
        );
        if who.is_empty() {
            continue;
        }
        h.push_str("<table>\n<tr><th class=\"n\">Rank</th><th>Customer</th><th>Name</th><th>Tier</th><th class=\"n\">Net revenue</th><th class=\"n\">Days since last purchase</th></tr>\n");
        for &i in who.iter().take(FLAGGED_SHOWN) {
            let tier = s.tiers[i].as_str();
            let _ = writeln!(
                h,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"tier-{tier}\">{tier}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                i + 1,
                esc(&s.customers.id[i]),
                esc(s.name(i).unwrap_or("")),
                thousands(s.customers.monetary[i]),
                s.customers.recency_days[i]
            );
        }
        h.push_str("</table>\n");
        if who.len() > FLAGGED_SHOWN {
            let _ = writeln!(
                h,
                "<p class=\"note\">The first {FLAGGED_SHOWN} by rank; scores.csv lists all {}.</p>",
                who.len()
            );
        }
    }
    h.push_str("</section>\n");

    // Charts.
    h.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    for c in charts {
        if let Some(svg) = &c.svg {
            let _ = writeln!(
                h,
                "<figure class=\"chart\" id=\"chart-{}\">\n{}\n<figcaption class=\"note\">{}</figcaption>\n</figure>",
                c.stem,
                svg.trim(),
                esc(&c.title)
            );
        }
    }
    h.push_str("</section>\n");

    // Method.
    h.push_str("<section id=\"method\">\n<h2>How the scores were computed</h2>\n");
    h.push_str("<p>R, F and M are scored 1 to 5 by quantile (recency reversed; ties never split). The current score combines them with the weights below; the potential score combines trend, breadth headroom, steadiness, industry influence, size and predicted value; the value score combines the two. Customers are ranked by value score and placed in tiers by the tier rule. Every setting in force:</p>\n<table>\n<tr><th>Setting</th><th>Value</th></tr>\n");
    let settings = serde_json::to_value(&s.settings).unwrap_or_default();
    let mut rows = Vec::new();
    flatten("", &settings, &mut rows);
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(&k), esc(&v));
    }
    h.push_str("</table>\n");
    let fits = [
        (
            "BG/NBD",
            s.model
                .bgnbd
                .as_ref()
                .map(|m| (m.log_likelihood, m.converged)),
        ),
        (
            "Pareto/NBD",
            s.model
                .pnbd
                .as_ref()
                .map(|m| (m.log_likelihood, m.converged)),
        ),
    ];
    for (name, fit) in fits {
        if let Some((ll, converged)) = fit {
            let _ =
                writeln!(
                h,
                "<p class=\"note\">{name} fitted on {} customers: log-likelihood {ll:.4}, {}.</p>",
                thousands(s.model.customers as f64),
                if converged { "converged" } else { "did not converge" }
            );
        }
    }
    for w in &s.model.warnings {
        let _ = writeln!(h, "<p class=\"note\">Warning: {}</p>", esc(w));
    }
    let _ = writeln!(
        h,
        "<p class=\"note\">custscore {}. The run's manifest.json has the inputs with their SHA-256, the bin edges and the timings.</p>",
        env!("CARGO_PKG_VERSION")
    );
    h.push_str("</section>\n</body>\n</html>\n");
    h
}

fn group_table(h: &mut String, key: &str, rows: &[GroupRow]) {
    let _ = writeln!(
        h,
        "<table>\n<tr><th>{key}</th><th class=\"n\">Customers</th><th class=\"n\">Share</th><th class=\"n\">Net revenue</th><th class=\"n\">Revenue share</th><th class=\"n\">Mean value score</th></tr>"
    );
    for r in rows {
        let class = if Tier::ALL.iter().any(|t| t.as_str() == r.group) {
            format!(" class=\"tier-{}\"", r.group)
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<tr><td{class}>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td><td class=\"n\">{}</td></tr>",
            esc(&r.group),
            thousands(r.customers as f64),
            r.customer_share * 100.0,
            thousands(r.revenue),
            r.revenue_share * 100.0,
            fixed(r.mean_value_score, 1)
        );
    }
    h.push_str("</table>\n");
}

/// What a flag suggests to an account manager.
pub fn flag_advice(f: Flag) -> &'static str {
    match f {
        Flag::SingleProductLine => "Buys a single product line: room to cross-sell.",
        Flag::Declining => "Revenue in the recent window is well below the window before: ask why.",
        Flag::Overdue => {
            "Past the usual interval between purchases by two cycles or more: a call is due."
        }
        Flag::OneOffProject => {
            "One large purchase and nothing since: a project customer, or a relationship to build."
        }
        Flag::HighValueAtRisk => {
            "High value, low probability of still being active: the accounts to visit first."
        }
    }
}

/// Settings as dotted keys and display values, sorted by key.
fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::Array(a) if a.iter().any(|x| x.is_object()) => {
            for (k, v) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{k}]"), v, out);
            }
        }
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_data_is_shown_as_text() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(esc("a\u{0}b"), "a\u{FFFD}b");
        assert_eq!(esc("客户 Ä"), "客户 Ä");
    }
}
