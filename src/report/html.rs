//! `report.html`: the run as one self-contained document for a client meeting. Inline CSS and
//! SVG charts, no script and nothing fetched, so it opens offline and prints with a page
//! break before each section. Every piece of text that came from the data (ids, names,
//! industries, segment names from a settings file) goes through [`esc`].

use std::fmt::Write as _;

use crate::classify::{Flag, Tier};
use crate::lang::Lang;
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
/// `segment_rows`); `charts` are its charts with their SVG text. Labels and prose are in the
/// run's language (`Scored::lang`); translated text is escaped like the data.
pub fn render(s: &Scored, tiers: &[GroupRow], segments: &[GroupRow], charts: &[Drawn]) -> String {
    let l = s.lang;
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
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        l.html(),
        esc(&l.f("Customer scores as of {}", &[&format_day(s.as_of)]))
    );

    // Headline figures.
    let _ = writeln!(
        h,
        "<section id=\"headline\">\n<h1>{}</h1>\n<p class=\"sub\">{}</p>\n<div class=\"figures\">",
        esc(l.t("Customer scores")),
        esc(&l.f(
            "As of {} · ledger {} to {} · {} rows",
            &[
                &format_day(s.as_of),
                &format_day(s.ledger_first_day),
                &format_day(s.ledger_last_day),
                &thousands(s.inputs.iter().map(|i| i.rows_read).sum::<u64>() as f64),
            ]
        ))
    );
    for (value, label) in [
        (thousands(n as f64), l.t("customers scored")),
        (thousands(revenue), l.t("net revenue")),
        (
            format!("{:.1}%", key_share * 100.0),
            l.t("of revenue from strategic and partner accounts"),
        ),
        (
            thousands(tiers.iter().take(2).map(|r| r.customers as f64).sum()),
            l.t("strategic and partner accounts"),
        ),
    ] {
        let _ = writeln!(
            h,
            "<div class=\"figure\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>",
            esc(&value),
            esc(label)
        );
    }
    h.push_str("</div>\n</section>\n");

    // Tiers.
    let _ = writeln!(h, "<section id=\"tiers\">\n<h2>{}</h2>", esc(l.t("Tiers")));
    group_table(&mut h, l, l.t("Tier"), tiers);
    h.push_str("</section>\n");

    // Against the previous run.
    if let Some(cmp) = &s.comparison {
        let m = cmp.summary();
        let heading = match m.previous_as_of.as_deref() {
            Some(d) => l.f("Since the previous run (as of {})", &[&d]),
            None => l.t("Since the previous run").to_string(),
        };
        let _ = writeln!(
            h,
            "<section id=\"migration\">\n<h2>{}</h2>\n<table>\n<tr>",
            esc(&heading)
        );
        for head in ["Tier up", "Tier down", "Same tier", "New", "Lost"] {
            let _ = write!(h, "<th class=\"n\">{}</th>", esc(l.t(head)));
        }
        h.push_str("</tr>\n<tr>");
        for k in [m.up, m.down, m.same, m.new, m.lost] {
            let _ = write!(h, "<td class=\"n\">{}</td>", thousands(k as f64));
        }
        h.push_str("</tr>\n</table>\n");
        if !m.settings_differ.is_empty() {
            let _ = writeln!(
                h,
                "<p class=\"note\">{}</p>",
                esc(&l.f(
                    "The two runs' settings differ: {}.",
                    &[&m.settings_differ.join(", ")]
                ))
            );
        }
        let _ = writeln!(
            h,
            "<p class=\"note\">{}</p>\n</section>",
            esc(l.t("The tier migration chart is with the charts; changes.csv lists new and lost key accounts and the biggest movers."))
        );
    }

    // Top accounts.
    let _ = writeln!(
        h,
        "<section id=\"top-accounts\">\n<h2>{}</h2>\n<table>\n<tr>{}</tr>",
        esc(&l.f("Top {} accounts", &[&TOP_ACCOUNTS.min(n)])),
        header(
            l,
            &[
                ("Rank", true),
                ("Customer", false),
                ("Name", false),
                ("Tier", false),
                ("Value score", true),
                ("Net revenue", true),
                ("Segment", false),
                ("P(alive)", true),
                ("Buyer class", false),
                ("Flags", false),
            ]
        )
    );
    for i in 0..n.min(TOP_ACCOUNTS) {
        let flags: Vec<&str> = s.flags[i].iter().map(|f| l.flag(f)).collect();
        let _ = writeln!(
            h,
            "<tr>{}<td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            account_cells(s, i),
            fixed(s.scores.value[i], 2),
            thousands(s.customers.monetary[i]),
            esc(l.value(s.segment(i))),
            crate::model::at(&s.predictions.p_alive, i).map_or(String::new(), |p| fixed(p, 2)),
            esc(s.buyer_class[i].map_or("", |b| l.buyer(b))),
            esc(&flags.join(", "))
        );
    }
    h.push_str("</table>\n</section>\n");

    // Segments.
    let _ = writeln!(
        h,
        "<section id=\"segments\">\n<h2>{}</h2>",
        esc(l.t("RFM segments"))
    );
    group_table(&mut h, l, l.t("Segment"), segments);
    h.push_str("</section>\n");

    // Flags.
    let _ = writeln!(
        h,
        "<section id=\"flags\">\n<h2>{}</h2>",
        esc(l.t("Flags to act on"))
    );
    for flag in Flag::ALL {
        let who: Vec<usize> = (0..n).filter(|&i| s.flags[i].contains(flag)).collect();
        let _ = writeln!(
            h,
            "<h3>{} <span class=\"note\">({})</span></h3>\n<p class=\"note\">{}</p>",
            esc(l.flag(flag)),
            esc(&l.f("{} accounts", &[&thousands(who.len() as f64)])),
            esc(flag_advice(l, flag))
        );
        if who.is_empty() {
            continue;
        }
        let _ = writeln!(
            h,
            "<table>\n<tr>{}</tr>",
            header(
                l,
                &[
                    ("Rank", true),
                    ("Customer", false),
                    ("Name", false),
                    ("Tier", false),
                    ("Net revenue", true),
                    ("Days since last purchase", true),
                ]
            )
        );
        for &i in who.iter().take(FLAGGED_SHOWN) {
            let _ = writeln!(
                h,
                "<tr>{}<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                account_cells(s, i),
                thousands(s.customers.monetary[i]),
                s.customers.recency_days[i]
            );
        }
        h.push_str("</table>\n");
        if who.len() > FLAGGED_SHOWN {
            let _ = writeln!(
                h,
                "<p class=\"note\">{}</p>",
                esc(&l.f(
                    "The first {} by rank; scores.csv lists all {}.",
                    &[&FLAGGED_SHOWN, &who.len()]
                ))
            );
        }
    }
    h.push_str("</section>\n");

    // Charts.
    let _ = writeln!(
        h,
        "<section id=\"charts\">\n<h2>{}</h2>",
        esc(l.t("Charts"))
    );
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
    let _ = writeln!(
        h,
        "<section id=\"method\">\n<h2>{}</h2>\n<p>{}</p>\n<table>\n<tr>{}</tr>",
        esc(l.t("How the scores were computed")),
        esc(l.t("R, F and M are scored 1 to 5 by quantile (recency reversed; ties never split). The current score combines them with the weights below; the potential score combines trend, breadth headroom, steadiness, industry influence, size and predicted value; the value score combines the two. Customers are ranked by value score and placed in tiers by the tier rule. Every setting in force:")),
        header(l, &[("Setting", false), ("Value", false)])
    );
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
            let _ = writeln!(
                h,
                "<p class=\"note\">{}</p>",
                esc(&l.f(
                    "{} fitted on {} customers: log-likelihood {}, {}.",
                    &[
                        &name,
                        &thousands(s.model.customers as f64),
                        &format!("{ll:.4}"),
                        &l.t(if converged {
                            "converged"
                        } else {
                            "did not converge"
                        }),
                    ]
                ))
            );
        }
    }
    for w in &s.model.warnings {
        let _ = writeln!(
            h,
            "<p class=\"note\">{}</p>",
            esc(&l.f("Warning: {}", &[w]))
        );
    }
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>",
        esc(&l.f(
            "custscore {}. The run's manifest.json has the inputs with their SHA-256, the bin edges and the timings.",
            &[&env!("CARGO_PKG_VERSION")]
        ))
    );
    h.push_str("</section>\n</body>\n</html>\n");
    h
}

/// The first cells of an account's row (customer `i`, rank order): rank, id, name, and the
/// tier, its label in the run's language and its class the canonical name.
fn account_cells(s: &Scored, i: usize) -> String {
    format!(
        "<td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"tier-{}\">{}</td>",
        i + 1,
        esc(&s.customers.id[i]),
        esc(s.name(i).unwrap_or("")),
        s.tiers[i].as_str(),
        esc(s.lang.tier(s.tiers[i]))
    )
}

/// A table's header cells: each English heading in `l`, right-aligned when `.1`.
fn header(l: Lang, heads: &[(&'static str, bool)]) -> String {
    let mut out = String::new();
    for (text, number) in heads {
        let class = if *number { " class=\"n\"" } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", esc(l.t(text)));
    }
    out
}

fn group_table(h: &mut String, l: Lang, key: &str, rows: &[GroupRow]) {
    let _ = writeln!(
        h,
        "<table>\n<tr><th>{}</th>{}</tr>",
        esc(key),
        header(
            l,
            &[
                ("Customers", true),
                ("Share", true),
                ("Net revenue", true),
                ("Revenue share", true),
                ("Mean value score", true),
            ]
        )
    );
    for r in rows {
        // The class is the canonical tier name, the text its label.
        let class = if Tier::ALL.iter().any(|t| t.as_str() == r.group) {
            format!(" class=\"tier-{}\"", r.group)
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<tr><td{class}>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td><td class=\"n\">{}</td></tr>",
            esc(l.value(&r.group)),
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
pub fn flag_advice(l: Lang, f: Flag) -> &'static str {
    l.t(match f {
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
    })
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
