//! `custscore account`: a one-page review of one customer, as HTML (with a monthly revenue
//! chart, printable on one page) and Markdown (to paste into notes). The page is built once as
//! [`Page`] — headed lists of label/value rows and tables — and rendered to both formats, so
//! they always say the same. Pages go into `--out DIR` under a file name made from the id
//! that cannot leave the folder.

use std::fmt::Write as _;

use anyhow::Context;

use std::path::Path;

use crate::classify::Flag;
use crate::cli::{AccountArgs, ScoreArgs};
use crate::commands::request;
use crate::config::TierMethod;
use crate::error::InputError;
use crate::lang::Lang;
use crate::ledger::parse::{civil_from_days, format_day};
use crate::model::at;
use crate::pipeline::{self, CustomerRows, Scored};
use crate::progress::Progress;
use crate::report::html::{esc, flag_advice};
use crate::report::{fixed, OutDir, Timings};

/// A page: its title, a subtitle and sections in order.
pub struct Page {
    pub lang: Lang,
    pub title: String,
    pub subtitle: String,
    pub sections: Vec<Section>,
    /// Inline SVG of the monthly revenue chart (HTML only).
    pub chart: Option<String>,
}

pub struct Section {
    pub heading: String,
    /// Label and value rows.
    pub rows: Vec<(String, String)>,
    /// A table: header and rows.
    pub table: Option<(Vec<String>, Vec<Vec<String>>)>,
}

/// A section of label/value rows; the heading and labels are English, shown in `l`.
fn section(l: Lang, heading: &'static str, rows: Vec<(&'static str, String)>) -> Section {
    Section {
        heading: l.t(heading).into(),
        rows: rows
            .into_iter()
            .map(|(label, v)| (l.t(label).to_string(), v))
            .collect(),
        table: None,
    }
}

/// Runs the command.
pub fn run(args: &AccountArgs) -> anyhow::Result<()> {
    let a = &args.score;
    // From a run's folder: its request, and the SHA-256 of the inputs it read.
    let (mut req, from_run) = match run_folder(a)? {
        Some(dir) => {
            let (req, sha256) = request_from_run(dir, a)?;
            (req, Some((dir, sha256)))
        }
        None => (request(a)?, None),
    };
    req.detail = args.customer.clone();
    // One customer may go to a file of its own (--out FILE.html or FILE.md).
    let single = match a.out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("md") => {
            if args.customer.len() > 1 {
                return Err(InputError::flag(
                    "--out",
                    format!(
                        "{} is one file but {} customers were asked for: give a folder",
                        a.out.display(),
                        args.customer.len()
                    ),
                )
                .into());
            }
            Some(e.eq_ignore_ascii_case("html"))
        }
        _ => None,
    };
    let folder = match single {
        Some(_) => a
            .out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
        None => a.out.as_path(),
    };
    let mut out = OutDir::prepare(folder)?;
    let progress = Progress::new(a.quiet);
    let scored = pipeline::score(&req, &progress, &mut Timings::default())?;
    if let Some((dir, sha256)) = &from_run {
        same_inputs(&scored, dir, sha256)?;
    }
    let mut written = Vec::new();
    for id in &args.customer {
        let Some(i) = scored.customers.id.iter().position(|c| c == id) else {
            return Err(unknown(&scored, id).into());
        };
        let rows = scored
            .detail
            .iter()
            .find(|d| &d.id == id)
            .cloned()
            .unwrap_or_default();
        let page = build(&scored, i, &rows);
        if let Some(is_html) = single {
            let name = a
                .out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = if is_html {
                html(&page)
            } else {
                markdown(&page)
            };
            out.write(&name, |w| Ok(w.write_all(text.as_bytes())?))?;
            written.push(name);
            continue;
        }
        let stem = file_stem(id);
        out.write(&format!("{stem}.html"), |w| {
            Ok(w.write_all(html(&page).as_bytes())?)
        })?;
        out.write(&format!("{stem}.md"), |w| {
            Ok(w.write_all(markdown(&page).as_bytes())?)
        })?;
        written.push(stem);
    }
    out.commit(&[]).context("writing the account pages")?;
    if !a.quiet {
        eprintln!(
            "custscore: {} account page(s) -> {}: {}",
            written.len(),
            folder.display(),
            written.join(", ")
        );
    }
    Ok(())
}

/// The folder of a finished run when the only LEDGER is a folder.
fn run_folder(a: &ScoreArgs) -> anyhow::Result<Option<&Path>> {
    match a.ledgers.as_slice() {
        [one] if one.is_dir() => {
            if one.join("manifest.json").is_file() {
                Ok(Some(one.as_path()))
            } else {
                Err(InputError::flag(
                    "LEDGER",
                    format!(
                        "{} is a folder without manifest.json: give a ledger file or the --out folder of a finished score run",
                        one.display()
                    ),
                )
                .into())
            }
        }
        _ => Ok(None),
    }
}

/// The request that scores a finished run again: its inputs, reading flags, as-of date,
/// settings, attributes and previous run, from its manifest, with the SHA-256 the manifest
/// gives each input. Flags that would change the scores are refused (the page would not be
/// the run's).
fn request_from_run(
    dir: &Path,
    a: &ScoreArgs,
) -> anyhow::Result<(pipeline::Request, Vec<Option<String>>)> {
    let l = &a.ledger;
    let given: [(&str, bool); 16] = [
        ("--columns", l.columns.is_some()),
        ("--delimiter", l.delimiter.is_some()),
        ("--encoding", l.encoding.is_some()),
        ("--date-format", l.date_format.is_some()),
        ("--amount-format", l.amount_format.is_some()),
        ("--sheet", l.sheet.is_some()),
        ("--as-of", a.as_of.is_some()),
        ("--skip-bad-rows", a.skip_bad_rows),
        ("--config", a.config.is_some()),
        ("--previous", a.previous.is_some()),
        ("--attributes", a.attributes.is_some()),
        ("--attributes-sheet", a.attributes_sheet.is_some()),
        ("--model", a.model.is_some()),
        ("--horizon", a.horizon.is_some()),
        ("--discount-rate", a.discount_rate.is_some()),
        ("--time-unit", a.time_unit.is_some()),
    ];
    if let Some((flag, _)) = given.iter().find(|(_, set)| *set) {
        return Err(InputError::flag(
            flag,
            format!(
                "pages from the run in {} use that run's inputs and settings; to score with other ones, give the ledger file instead of the folder",
                dir.display()
            ),
        )
        .into());
    }
    let path = dir.join("manifest.json");
    let bad = |what: &str| InputError::Format {
        path: path.clone(),
        message: format!("{what}: not the manifest of a custscore score run"),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let m: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(&format!("not JSON ({e})")))?;
    if m["command"] != "score" {
        return Err(bad("no \"command\": \"score\"").into());
    }
    let Some(read) = m.get("read") else {
        return Err(InputError::Format {
            path: path.clone(),
            message: "no \"read\" section (written by an older custscore): give the ledger file instead of the folder".into(),
        }
        .into());
    };
    let flags: pipeline::ReadFlags =
        serde_json::from_value(read.clone()).map_err(|e| bad(&format!("\"read\": {e}")))?;
    let settings: crate::config::Settings = serde_json::from_value(m["settings"].clone())
        .map_err(|e| bad(&format!("\"settings\": {e}")))?;
    let inputs = m["inputs"]
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("no \"inputs\""))?;
    let mut ledgers = Vec::new();
    let mut sha256 = Vec::new();
    for i in inputs {
        sha256.push(i["sha256"].as_str().map(String::from));
        let p = std::path::PathBuf::from(
            i["path"]
                .as_str()
                .ok_or_else(|| bad("an input without a path"))?,
        );
        // A pipe's name (`/dev/fd/63`) is usually gone by now, or names another pipe.
        let was_stream =
            crate::ledger::stream::is_stream(&p) || p.starts_with("/dev") || p.starts_with("/proc");
        if was_stream {
            return Err(InputError::flag(
                "LEDGER",
                format!(
                    "the run in {} read its ledger from {} (standard input or a pipe), which cannot be read again: give the ledger file",
                    dir.display(),
                    p.display()
                ),
            )
            .into());
        }
        if !p.is_file() {
            return Err(InputError::flag(
                "LEDGER",
                format!(
                    "{} (an input of the run in {}) is not there from here: run from the folder the run was made in, or give the ledger file",
                    p.display(),
                    dir.display()
                ),
            )
            .into());
        }
        ledgers.push(p);
    }
    let as_of = m["as_of"].as_str().ok_or_else(|| bad("no \"as_of\""))?;
    // The run's previous run, if it is still there; if not, the pages go without it.
    let previous = m["comparison"]["previous_dir"]
        .as_str()
        .map(std::path::PathBuf::from);
    if let Some(p) = previous.as_ref().filter(|p| !p.is_dir()) {
        if !a.quiet {
            eprintln!(
                "custscore: warning: the run's previous run {} is not there from here: the pages have no previous-run row",
                p.display()
            );
        }
    }
    let mut req = pipeline::Request {
        ledgers,
        read: crate::commands::read_options(&flags.ledger)?,
        attributes: m["attributes"]["path"].as_str().map(Into::into),
        attributes_sheet: flags.attributes_sheet.clone(),
        settings,
        previous: previous.filter(|p| p.is_dir()),
        detail: Vec::new(),
        lang: a
            .lang
            .unwrap_or_else(|| serde_json::from_value(m["lang"].clone()).unwrap_or_default()),
        read_flags: flags.clone(),
    };
    req.read.skip_bad_rows = flags.skip_bad_rows;
    req.read.as_of = Some(
        crate::ledger::parse::parse_date(as_of.as_bytes(), &crate::ledger::DateFormat::Auto)
            .map_err(|e| bad(&format!("\"as_of\": {e}")))?,
    );
    Ok((req, sha256))
}

/// The ledger files must be the ones the run read: the SHA-256 its manifest gives.
fn same_inputs(s: &Scored, dir: &Path, sha256: &[Option<String>]) -> anyhow::Result<()> {
    for (now, then) in s.inputs.iter().zip(sha256) {
        if then.as_deref() != Some(now.sha256.get()?) {
            return Err(InputError::flag(
                "LEDGER",
                format!(
                    "{} has changed since the run in {} (its SHA-256 is not the manifest's): the page would not match that run; give the ledger file to score it as it is now",
                    now.path,
                    dir.display()
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// An unknown id: the error lists the nearest ids.
fn unknown(s: &Scored, id: &str) -> InputError {
    let want = id.to_lowercase();
    let mut near: Vec<(usize, &str)> = s
        .customers
        .id
        .iter()
        .map(|c| {
            let l = c.to_lowercase();
            let d = if l == want {
                0
            } else if l.contains(&want) || want.contains(&l) {
                1
            } else {
                1 + edit_distance(&l, &want)
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= 3)
        .collect();
    near.sort();
    near.truncate(5);
    let hint = if near.is_empty() {
        String::new()
    } else {
        format!(
            "; did you mean {}?",
            near.iter()
                .map(|(_, c)| format!("{c:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let prospect = if s.prospects.iter().any(|p| p == id) {
        " (it is a prospect in the attributes file: no purchase yet, see prospects.csv)"
    } else {
        ""
    };
    InputError::flag(
        "--customer",
        format!("{id:?} has no purchase in the ledger up to the as-of date{prospect}{hint}"),
    )
}

/// Levenshtein distance (ids are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `account-<id>`, with every character that is not a letter, digit, `-` or `_` replaced
/// by `_` and, when anything was replaced, a short hash of the id so that two ids never share
/// a file. No `/`, `\`, `..` or leading dot can survive: the file stays inside --out.
pub fn file_stem(id: &str) -> String {
    let clean: String = id
        .chars()
        .take(80)
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean == id {
        format!("account-{clean}")
    } else {
        use sha2::Digest;
        let h = sha2::Sha256::digest(id.as_bytes());
        format!(
            "account-{clean}-{:02x}{:02x}{:02x}{:02x}",
            h[0], h[1], h[2], h[3]
        )
    }
}

fn opt(v: Option<f64>, digits: u32) -> String {
    v.map_or("–".into(), |v| fixed(v, digits))
}

/// The page for customer `i` (rank order) with its ledger rows.
pub fn build(s: &Scored, i: usize, rows: &CustomerRows) -> Page {
    let c = &s.customers;
    let sc = &s.scores;
    let n = c.len();
    let id: &str = &c.id[i];
    let name = s.name(i).unwrap_or("");
    let l = s.lang;
    let tier = l.tier(s.tiers[i]);
    let mut sections = Vec::new();

    // Tier and why.
    let industry = c.industry.get(i).map(str::to_string);
    let rules = s.settings.tiers.industry_rules();
    let rule = industry
        .as_ref()
        .and_then(|ind| rules.get(ind).cloned())
        .unwrap_or_else(|| s.settings.tiers.default_rule());
    // The shares of a rank or revenue rule, as whole percentages.
    let [strategic, partner, priority] =
        [rule.strategic, rule.partner, rule.priority].map(|x| format!("{:.0}", x * 100.0));
    let why = match rule.method {
        TierMethod::RankShare => l.f(
            "by rank share: top {}% strategic, next {}% partner, next {}% priority; this account is rank {} of {} (top {}%)",
            &[
                &strategic,
                &partner,
                &priority,
                &(i + 1),
                &n,
                &format!("{:.1}", (i + 1) as f64 / n as f64 * 100.0),
            ],
        ),
        TierMethod::Threshold => l.f(
            "by value score: at least {} strategic, {} partner, {} priority; this account scores {}",
            &[
                &rule.strategic,
                &rule.partner,
                &rule.priority,
                &fixed(sc.value[i], 2),
            ],
        ),
        TierMethod::RevenueShare => l.f(
            "by revenue share in rank order: the first {}% of revenue strategic, the next {}% partner, the next {}% priority; this account is rank {} of {}",
            &[&strategic, &partner, &priority, &(i + 1), &n],
        ),
    };
    let mut tier_rows = vec![
        ("Tier", tier.to_string()),
        ("Rank", l.f("{} of {}", &[&(i + 1), &n])),
        ("Rule", why),
    ];
    if let Some(ind) = &industry {
        if rules.contains_key(ind) {
            tier_rows.push(("Industry rule", l.f("the rule for {}", &[ind])));
        }
    }
    if let Some(b) = s.comparison.as_ref().map(|c| &c.before[i]) {
        tier_rows.push((
            "Previous run",
            format!(
                "{} ({})",
                l.value(b.tier.as_deref().unwrap_or("new")),
                l.value(b.change.as_str())
            ),
        ));
    }
    sections.push(section(l, "Tier", tier_rows));

    // Metrics.
    sections.push(section(
        l,
        "Metrics",
        vec![
            ("Net revenue", fixed(c.monetary[i], 2)),
            ("Returns", fixed(c.returns[i], 2)),
            ("Purchase occasions (frequency)", c.frequency[i].to_string()),
            ("Purchase days", c.order_days[i].to_string()),
            ("First purchase", format_day(c.first_purchase[i])),
            ("Last purchase", format_day(c.last_purchase[i])),
            (
                "Days since the last purchase",
                c.recency_days[i].to_string(),
            ),
            ("Tenure (days)", c.tenure_days[i].to_string()),
            (
                "Product lines",
                c.product_lines[i].map_or("–".into(), |p| p.to_string()),
            ),
            ("Purchase cycle (median days)", opt(c.cycle_days[i], 1)),
            ("Cycle variation (CV)", opt(c.cycle_cv[i], 2)),
            ("Trend (recent vs prior window)", fixed(c.trend[i], 2)),
            ("Overdue (days since last / cycle)", opt(c.overdue[i], 2)),
        ],
    ));

    // Scores and their parts.
    let v = &s.settings.value;
    let w = &s.settings.potential;
    let parts = sc.kept_parts.iter().find(|(k, _)| k == id).map(|(_, p)| *p);
    let part = |x: Option<f64>| x.map_or(l.t("unknown (left out)").into(), |x| fixed(x * 100.0, 0));
    let weighted = |x: Option<f64>, w: f64| l.f("{} × weight {}", &[&part(x), &w]);
    let mut score_rows = vec![
        (
            "R / F / M scores",
            l.f(
                "{} / {} / {} (segment {})",
                &[&sc.r[i], &sc.f[i], &sc.m[i], &l.value(s.segment(i))],
            ),
        ),
        (
            "Current score",
            l.f(
                "{} (weights R {}, F {}, M {})",
                &[
                    &fixed(sc.current[i], 2),
                    &v.recency_weight,
                    &v.frequency_weight,
                    &v.monetary_weight,
                ],
            ),
        ),
        ("Potential score", fixed(sc.potential[i], 2)),
    ];
    if let Some(p) = parts {
        score_rows.extend([
            ("· growth (trend)", weighted(Some(p.growth), w.growth)),
            ("· breadth headroom", weighted(p.breadth, w.breadth)),
            ("· steadiness", weighted(Some(p.steadiness), w.steadiness)),
            ("· industry influence", weighted(p.influence, w.influence)),
            ("· size", weighted(p.size, w.size)),
            ("· predicted value", weighted(p.predicted, w.predicted)),
        ]);
    }
    score_rows.push((
        "Value score",
        l.f(
            "{} = {} × current + {} × potential",
            &[
                &fixed(sc.value[i], 2),
                &format!("{:.2}", 1.0 - v.potential_weight),
                &format!("{:.2}", v.potential_weight),
            ],
        ),
    ));
    sections.push(section(l, "Scores", score_rows));

    // Flags: the labels are flag names, already in `l`.
    let flags: Vec<(String, String)> = if s.flags[i].is_empty() {
        vec![(l.t("None").into(), l.t("no flag raised").into())]
    } else {
        s.flags[i]
            .iter()
            .map(|f: Flag| (l.flag(f).to_string(), flag_advice(l, f).to_string()))
            .collect()
    };
    sections.push(Section {
        heading: l.t("Flags and what they suggest").into(),
        rows: flags,
        table: None,
    });

    // Predicted value.
    let p = &s.predictions;
    sections.push(section(
        l,
        "Predicted",
        vec![
            ("Probability still active", opt(at(&p.p_alive, i), 3)),
            (
                "Expected purchase days",
                l.f(
                    "{} in the next {} days",
                    &[
                        &opt(at(&p.expected_purchases, i), 2),
                        &s.settings.model.horizon_days,
                    ],
                ),
            ),
            (
                "Probability of buying in that time",
                opt(at(&p.p_buy, i), 3),
            ),
            (
                "Expected spend per purchase day",
                opt(at(&p.expected_spend, i), 2),
            ),
            ("Discounted value of that time (CLV)", opt(at(&p.clv, i), 2)),
            (
                "Buyer class",
                s.buyer_class[i].map_or("–".into(), |b| l.buyer(b).to_string()),
            ),
        ],
    ));

    // Product lines and months.
    let mut lines: std::collections::BTreeMap<String, (f64, usize, i32)> = Default::default();
    let mut months: std::collections::BTreeMap<(i32, u32), f64> = Default::default();
    for (day, amount, product) in &rows.rows {
        let e = lines
            .entry(product.clone().unwrap_or_else(|| l.t("(none)").into()))
            .or_insert((0.0, 0, i32::MIN));
        e.0 += amount;
        e.1 += 1;
        e.2 = e.2.max(*day);
        let (y, m, _) = civil_from_days(*day);
        *months.entry((y, m)).or_default() += amount;
    }
    let mut by_revenue: Vec<(String, (f64, usize, i32))> = lines.into_iter().collect();
    by_revenue.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    sections.push(Section {
        heading: l.t("Product lines bought").into(),
        rows: Vec::new(),
        table: Some((
            ["Product line", "Net revenue", "Rows", "Last bought"]
                .map(|h| l.t(h).to_string())
                .to_vec(),
            by_revenue
                .iter()
                .map(|(l, (rev, k, last))| {
                    vec![l.clone(), fixed(*rev, 2), k.to_string(), format_day(*last)]
                })
                .collect(),
        )),
    });
    // Every month from the first purchase to the as-of date, empty ones included.
    let (y0, m0, _) = civil_from_days(c.first_purchase[i]);
    let (y1, m1, _) = civil_from_days(s.as_of);
    let mut series = Vec::new();
    let (mut y, mut m) = (y0, m0);
    while (y, m) <= (y1, m1) {
        series.push((
            format!("{y:04}-{m:02}"),
            months.get(&(y, m)).copied().unwrap_or(0.0),
        ));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    let shown: Vec<(String, f64)> = series.iter().rev().take(36).rev().cloned().collect();
    sections.push(Section {
        heading: l.t(MONTHLY).into(),
        rows: Vec::new(),
        table: Some((
            vec![l.t("Month").into(), l.t("Net revenue").into()],
            shown
                .iter()
                .map(|(k, v)| vec![k.clone(), fixed(*v, 2)])
                .collect(),
        )),
    });
    let chart = crate::report::charts::monthly_revenue_svg(&shown, l).ok();

    Page {
        lang: l,
        title: if name.is_empty() {
            l.f("Account review: {}", &[&id])
        } else {
            l.f("Account review: {} ({})", &[&name, &id])
        },
        subtitle: l.f(
            "As of {} · {} · {}",
            &[
                &format_day(s.as_of),
                &tier,
                &industry.unwrap_or_else(|| l.t("industry unknown").into()),
            ],
        ),
        sections,
        chart,
    }
}

/// The heading of the monthly table, which the HTML page shows as a chart instead.
const MONTHLY: &str = "Monthly net revenue";

/// The page as one self-contained HTML file, printable on one page.
pub fn html(p: &Page) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\nbody {{ font-family: \"Noto Sans\", \"Noto Sans CJK SC\", Arial, sans-serif; color: #1d2733; max-width: 1100px; margin: 1.5em auto; padding: 0 1em; font-size: 14px; }}\nh1 {{ font-size: 1.6em; margin-bottom: 0; }} .sub {{ color: #5a6775; margin-top: 0.2em; }}\nh2 {{ font-size: 1.15em; border-bottom: 2px solid #1f569e; margin: 1.2em 0 0.4em; }}\n.cols {{ columns: 2; column-gap: 2em; }} section {{ break-inside: avoid; }}\ntable {{ border-collapse: collapse; width: 100%; }} th, td {{ text-align: left; padding: 0.2em 0.5em; border-bottom: 1px solid #dde3ea; vertical-align: top; }} th {{ background: #eef2f7; }}\nsvg {{ width: 100%; height: auto; }}\n@media print {{ body {{ margin: 0; font-size: 11px; }} }}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"sub\">{}</p>\n",
        p.lang.html(),
        esc(&p.title),
        esc(&p.title),
        esc(&p.subtitle)
    );
    if let Some(svg) = &p.chart {
        let _ = writeln!(h, "<figure id=\"monthly-revenue\">{}</figure>", svg.trim());
    }
    h.push_str("<div class=\"cols\">\n");
    for s in &p.sections {
        if s.heading == p.lang.t(MONTHLY) && p.chart.is_some() {
            continue; // drawn above
        }
        let _ = writeln!(h, "<section>\n<h2>{}</h2>", esc(&s.heading));
        if !s.rows.is_empty() {
            h.push_str("<table>\n");
            for (l, v) in &s.rows {
                let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(l), esc(v));
            }
            h.push_str("</table>\n");
        }
        if let Some((head, rows)) = &s.table {
            h.push_str("<table>\n<tr>");
            for c in head {
                let _ = write!(h, "<th>{}</th>", esc(c));
            }
            h.push_str("</tr>\n");
            for r in rows {
                h.push_str("<tr>");
                for c in r {
                    let _ = write!(h, "<td>{}</td>", esc(c));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</table>\n");
        }
        h.push_str("</section>\n");
    }
    h.push_str("</div>\n</body>\n</html>\n");
    h
}

/// Markdown text: `|`, `\`, `<`, `>`, `*`, `_`, backticks and `[` `]` in data are escaped.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The page as Markdown.
pub fn markdown(p: &Page) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# {}\n\n{}\n", md(&p.title), md(&p.subtitle));
    for s in &p.sections {
        let _ = writeln!(m, "## {}\n", md(&s.heading));
        if !s.rows.is_empty() {
            m.push_str("| | |\n|---|---|\n");
            for (l, v) in &s.rows {
                let _ = writeln!(m, "| {} | {} |", md(l), md(v));
            }
            m.push('\n');
        }
        if let Some((head, rows)) = &s.table {
            let _ = writeln!(
                m,
                "| {} |\n|{}|",
                head.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | "),
                head.iter().map(|_| "---").collect::<Vec<_>>().join("|")
            );
            for r in rows {
                let _ = writeln!(
                    m,
                    "| {} |",
                    r.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | ")
                );
            }
            m.push('\n');
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_stay_inside_the_folder() {
        assert_eq!(file_stem("C00054"), "account-C00054");
        assert_eq!(file_stem("客户01"), "account-客户01");
        for evil in [
            "../../etc/passwd",
            "/abs",
            "..",
            ".hidden",
            "a\\b",
            "x\u{0}y",
        ] {
            let s = file_stem(evil);
            assert!(
                !s.contains('/') && !s.contains('\\') && !s.contains(".."),
                "{s}"
            );
            assert!(s.starts_with("account-") && !s.contains('\u{0}'), "{s}");
        }
        assert_ne!(
            file_stem("a/b"),
            file_stem("a_b"),
            "no two ids share a file"
        );
    }

    #[test]
    fn near_ids_by_edit_distance() {
        assert_eq!(edit_distance("c00054", "c00045"), 2);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
    }

    #[test]
    fn markdown_and_html_escape_the_data() {
        assert_eq!(md("a|b <i>*x*</i>"), "a\\|b \\<i\\>\\*x\\*\\</i\\>");
        let p = Page {
            lang: Lang::En,
            title: "<script>x</script>".into(),
            subtitle: String::new(),
            sections: vec![section(Lang::En, "S", vec![("k", "<b>".into())])],
            chart: None,
        };
        let h = html(&p);
        assert!(!h.contains("<script>x") && h.contains("&lt;script&gt;x"));
        assert!(h.contains("<td>&lt;b&gt;</td>"));
    }
}
