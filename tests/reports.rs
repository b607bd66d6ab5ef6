//! Charts (and, as they come, the HTML report and account pages): every chart file is a valid
//! image of the promised size drawn from the run's own numbers, the flags choose what is drawn,
//! and the same run gives the same bytes.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use predicates::prelude::PredicateBooleanExt;

const SCORE_CHARTS: [&str; 5] = [
    "revenue_concentration",
    "tiers",
    "rfm_heatmap",
    "value_scores",
    "p_alive_matrix",
];

/// Decodes a PNG and returns its size.
fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(path).unwrap()));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    // Not a blank canvas: some pixels are dark (text, axes), most are not.
    let dark = buf.chunks(3).filter(|p| p.iter().all(|&c| c < 100)).count();
    assert!(dark > 1000, "{}: almost nothing drawn", path.display());
    (info.width, info.height)
}

#[test]
fn score_draws_every_chart_as_png_and_svg_from_its_own_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    score_ok(&[&testdata("sample_ledger.csv")], &out, &[]);
    for stem in SCORE_CHARTS {
        let png = out.join(format!("charts/{stem}.png"));
        assert_eq!(png_size(&png), (1600, 900), "{stem}");
        let svg = fs::read_to_string(out.join(format!("charts/{stem}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{stem}"
        );
        assert!(svg.contains(r#"width="1600""#) && svg.contains(r#"height="900""#));
    }
    // The numbers in the charts are the run's: the top-20% share from scores.csv.
    let t = Table::read(&out.join("scores.csv"));
    let mut m: Vec<f64> = t
        .column("monetary")
        .iter()
        .map(|v| v.parse::<f64>().unwrap().max(0.0))
        .collect();
    m.sort_by(|a, b| b.total_cmp(a));
    let top: f64 = m[..(m.len() as f64 * 0.2).ceil() as usize].iter().sum();
    let share = format!("{:.1}%", top / m.iter().sum::<f64>() * 100.0);
    let svg = fs::read_to_string(out.join("charts/revenue_concentration.svg")).unwrap();
    assert!(
        svg.contains(&format!("top 20%: {share} of revenue")),
        "{share}"
    );
    let tiers = Table::read(&out.join("tiers.csv"));
    let svg = fs::read_to_string(out.join("charts/tiers.svg")).unwrap();
    for n in tiers.column("customers") {
        assert!(
            svg.contains(&format!("\n{n} (")),
            "tier count {n} not drawn"
        );
    }
    // Same run, same bytes.
    let again = tmp.path().join("again");
    score_ok(&[&testdata("sample_ledger.csv")], &again, &[]);
    for stem in SCORE_CHARTS {
        for ext in ["png", "svg"] {
            let f = format!("charts/{stem}.{ext}");
            assert_eq!(
                fs::read(out.join(&f)).unwrap(),
                fs::read(again.join(&f)).unwrap(),
                "{f}"
            );
        }
    }
}

#[test]
fn chart_flags_choose_the_files_and_stale_charts_go() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let ledger = testdata("sample_ledger.csv");
    score_ok(
        &[&ledger],
        &out,
        &["--chart-format", "svg", "--model", "none"],
    );
    let names: Vec<String> = fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.ends_with(".svg")), "{names:?}");
    // Without a model there is no P(alive) to draw.
    assert_eq!(names.len(), 4, "{names:?}");
    score_ok(&[&ledger], &out, &["--no-charts"]);
    assert!(!out.join("charts").exists(), "stale charts removed");
    custscore()
        .args([
            "score",
            ledger.to_str().unwrap(),
            "--chart-format",
            "gif",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--chart-format"));
}

#[test]
fn backtest_draws_predicted_against_actual() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bt");
    custscore()
        .args(["backtest", testdata("sample_ledger.csv").to_str().unwrap()])
        .args(["--calibration-end", "2026-04-30", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        png_size(&out.join("charts/backtest_by_frequency.png")),
        (1600, 900)
    );
    let svg = fs::read_to_string(out.join("charts/backtest_by_frequency.svg")).unwrap();
    for label in ["actual", "predicted, BG/NBD", "predicted, Pareto/NBD", "7+"] {
        assert!(svg.contains(label), "{label}");
    }
}

/// Headless Chromium: `CUSTSCORE_CHROMIUM`, else `chromium` on the PATH (Debian's package,
/// which .ci/run installs).
fn chromium() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("CUSTSCORE_CHROMIUM") {
        return p.into();
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = std::process::Command::new("which").arg(name).output() {
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).trim().into();
            }
        }
    }
    panic!("the browser test needs Chromium: apt-get install chromium (or set CUSTSCORE_CHROMIUM)");
}

fn headless(profile: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

#[test]
fn the_report_opens_in_a_browser_whole_and_shows_markup_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    // A customer whose name and id carry markup and script.
    let ledger = tmp.path().join("l.csv");
    let mut text = fs::read_to_string(testdata("sample_ledger.csv")).unwrap();
    for m in 1..=10 {
        text.push_str(&format!(
            "INVX{m},<img src=x onerror=alert(1)>,2026-{m:02}-15,99999,Training,North,Retail,1\n"
        ));
    }
    fs::write(&ledger, text).unwrap();
    let attrs = tmp.path().join("a.csv");
    fs::write(
        &attrs,
        "customer_id,name\n\"<img src=x onerror=alert(1)>\",\"<script>alert('name')</script> & Co\"\n",
    )
    .unwrap();
    let out = tmp.path().join("o");
    score_ok(&[&ledger], &out, &["--attributes", attrs.to_str().unwrap()]);
    let report = out.join("report.html");
    let html = fs::read_to_string(&report).unwrap();
    assert!(html.contains("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; &amp; Co"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));

    // The DOM as Chromium built it: every section and chart there, nothing to load from
    // anywhere (no script, image, link or frame element at all), the markup still text.
    let dom = headless(&tmp.path().join("profile"))
        .arg("--dump-dom")
        .arg(format!("file://{}", report.display()))
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    for id in [
        "headline",
        "tiers",
        "top-accounts",
        "segments",
        "flags",
        "charts",
        "method",
    ] {
        assert!(
            dom.contains(&format!("<section id=\"{id}\">")),
            "section {id} missing"
        );
    }
    for stem in SCORE_CHARTS {
        assert!(
            dom.contains(&format!("id=\"chart-{stem}\"")),
            "chart {stem} missing"
        );
    }
    assert_eq!(dom.matches("<svg").count(), SCORE_CHARTS.len());
    for tag in ["<script", "<img", "<link", "<iframe", "<object"] {
        assert!(!dom.contains(tag), "{tag} in the DOM");
    }
    assert!(dom.contains("&lt;script&gt;alert('name')&lt;/script&gt; &amp; Co"));

    // A screenshot: the page renders (not blank) at the size asked.
    let shot = tmp.path().join("shot.png");
    let run = headless(&tmp.path().join("profile2"))
        .arg("--window-size=1400,2000")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(png_size(&shot), (1400, 2000));
}

/// Compares `actual` with the snapshot file, or rewrites it when UPDATE_SNAPSHOTS is set.
fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or(expected.lines().count().min(actual.lines().count()), |l| l);
        panic!(
            "{name} differs from its snapshot at line {} (UPDATE_SNAPSHOTS=1 cargo test --test reports rewrites it after a deliberate change)\nexpected: {:?}\nactual:   {:?}",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

#[test]
fn report_and_chart_text_match_their_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    score_ok(
        &[&testdata("ties_at_bin_edge.csv")],
        &out,
        &["--model", "none", "--chart-format", "svg"],
    );
    // The version line changes with each release; everything else is the data's.
    let html = fs::read_to_string(out.join("report.html"))
        .unwrap()
        .replace(env!("CARGO_PKG_VERSION"), "VERSION");
    snapshot("ties_at_bin_edge.report.html", &html);
    snapshot(
        "ties_at_bin_edge.tiers.svg",
        &fs::read_to_string(out.join("charts/tiers.svg")).unwrap(),
    );
    // The same run in Chinese.
    score_ok(
        &[&testdata("ties_at_bin_edge.csv")],
        &out,
        &["--model", "none", "--chart-format", "svg", "--lang", "zh"],
    );
    let html = fs::read_to_string(out.join("report.html"))
        .unwrap()
        .replace(env!("CARGO_PKG_VERSION"), "VERSION");
    snapshot("ties_at_bin_edge.report.zh.html", &html);
}

#[test]
fn a_run_with_previous_shows_the_migration_in_a_chart_and_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = testdata("sample_ledger.csv");
    let (prev, out) = (tmp.path().join("prev"), tmp.path().join("o"));
    score_ok(
        &[&ledger],
        &prev,
        &["--as-of", "2026-09-30", "--model", "none"],
    );
    score_ok(
        &[&ledger],
        &out,
        &["--model", "none", "--previous", prev.to_str().unwrap()],
    );
    assert_eq!(
        png_size(&out.join("charts/tier_migration.png")),
        (1600, 900)
    );
    let svg = fs::read_to_string(out.join("charts/tier_migration.svg")).unwrap();
    // Every non-empty cell of migration.csv is drawn with its count.
    let m = Table::read(&out.join("migration.csv"));
    for n in m.column("customers").iter().filter(|n| **n != "0") {
        let word = if *n == "1" { "customer" } else { "customers" };
        assert!(
            svg.contains(&format!("\n{n} {word}\n")),
            "{n} {word} not drawn"
        );
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"migration\">"));
    assert!(html.contains("Since the previous run (as of 2026-09-30)"));
    assert!(html.contains("id=\"chart-tier_migration\""));
    // Without --previous there is neither.
    score_ok(&[&ledger], &out, &["--model", "none"]);
    assert!(!out.join("charts/tier_migration.png").exists());
    assert!(!fs::read_to_string(out.join("report.html"))
        .unwrap()
        .contains("id=\"migration\""));
}

#[test]
fn account_pages_tell_one_customer_s_story_and_stay_inside_out() {
    let tmp = tempfile::tempdir().unwrap();
    // The sample ledger plus a customer whose id is a path and markup at once.
    let ledger = tmp.path().join("l.csv");
    let mut text = fs::read_to_string(testdata("sample_ledger.csv")).unwrap();
    let evil = "../../<b>evil</b>";
    for m in 1..=3 {
        text.push_str(&format!(
            "INVE{m},{evil},2026-0{m}-10,100,Training,North,Retail,1\n"
        ));
    }
    fs::write(&ledger, text).unwrap();
    let out = tmp.path().join("pages");
    custscore()
        .args(["account", ledger.to_str().unwrap(), "--customer", "C00225"])
        .args(["--customer", evil, "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(out.join("account-C00225.html").exists() && out.join("account-C00225.md").exists());
    assert!(
        !tmp.path().join("<b>evil</b>.html").exists()
            && fs::read_dir(tmp.path()).unwrap().count() == 2,
        "nothing written outside --out"
    );

    // The page agrees with the customer table of a score run on the same ledger.
    let run = tmp.path().join("run");
    score_ok(&[&ledger], &run, &[]);
    let t = Table::read(&run.join("scores.csv"));
    let md = fs::read_to_string(out.join("account-C00225.md")).unwrap();
    let html = fs::read_to_string(out.join("account-C00225.html")).unwrap();
    let rank = t.get("C00225", "rank");
    assert!(
        md.contains(&format!("| Rank | {rank} of {} |", t.rows.len())),
        "{md}"
    );
    assert!(md.contains(&format!("| Tier | {} |", t.get("C00225", "tier"))));
    assert!(md.contains(&format!(
        "| Net revenue | {} |",
        t.get("C00225", "monetary")
    )));
    assert!(md.contains(&format!(
        "| Value score | {} =",
        t.get("C00225", "value_score")
    )));
    assert!(md.contains("## Product lines bought") && md.contains("## Monthly net revenue"));
    assert!(html.contains("<figure id=\"monthly-revenue\"><svg"));
    for tag in ["<script", "<img", "<link"] {
        assert!(!html.contains(tag), "{tag}");
    }
    // The markup id is text in both formats.
    let evil_page = names
        .iter()
        .find(|n| n.ends_with(".html") && !n.contains("C00225"))
        .unwrap();
    let evil_html = fs::read_to_string(out.join(evil_page)).unwrap();
    assert!(evil_html.contains("../../&lt;b&gt;evil&lt;/b&gt;") && !evil_html.contains("<b>evil"));
    let evil_md = fs::read_to_string(out.join(evil_page.replace(".html", ".md"))).unwrap();
    assert!(evil_md.contains(r"../../\<b\>evil\</b\>"), "{evil_md}");
}

#[test]
fn an_unknown_account_lists_the_nearest_ids() {
    let tmp = tempfile::tempdir().unwrap();
    custscore()
        .args(["account", testdata("sample_ledger.csv").to_str().unwrap()])
        .args(["--customer", "c0054", "--out"])
        .arg(tmp.path().join("p"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            r#"--customer: "c0054" has no purchase in the ledger up to the as-of date; did you mean "C00054""#,
        ));
    assert!(!tmp.path().join("p").join("account-c0054.html").exists());
}

#[test]
fn account_pages_from_a_finished_run_use_its_inputs_and_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("ledger.csv");
    fs::copy(testdata("sample_ledger.csv"), &ledger).unwrap();
    let (run, prev) = (tmp.path().join("run"), tmp.path().join("prev"));
    score_ok(&[&ledger], &prev, &["--as-of", "2026-06-30"]);
    let flags = [
        "--attributes",
        testdata("sample_attributes.csv").to_str().unwrap(),
        "--model",
        "none",
        "--as-of",
        "2026-09-30",
        "--columns",
        "customer=customer_id",
        "--previous",
        prev.to_str().unwrap(),
    ]
    .map(String::from);
    score_ok(
        &[&ledger],
        &run,
        &flags.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    // From the run's folder, one page to one file ...
    let page = tmp.path().join("C00054.md");
    custscore()
        .args([
            "account",
            run.to_str().unwrap(),
            "--customer",
            "C00054",
            "--quiet",
        ])
        .arg("--out")
        .arg(&page)
        .assert()
        .success();
    // ... is the page the same flags give from the ledger.
    let pages = tmp.path().join("pages");
    custscore()
        .args([
            "account",
            ledger.to_str().unwrap(),
            "--customer",
            "C00054",
            "--quiet",
        ])
        .args(&flags)
        .arg("--out")
        .arg(&pages)
        .assert()
        .success();
    let md = fs::read_to_string(&page).unwrap();
    assert_eq!(
        md,
        fs::read_to_string(pages.join("account-C00054.md")).unwrap()
    );
    let t = Table::read(&run.join("scores.csv"));
    assert!(md.contains(&format!("| Tier | {} |", t.get("C00054", "tier"))));
    assert!(md.contains("As of 2026-09-30"), "the run's as-of date");
    assert!(md.contains("| Previous run |"), "the run's previous run");
    assert!(
        !tmp.path().join("C00054.html").exists(),
        "only the file asked for"
    );
    // Without its previous run the page is made all the same, and the run says so.
    fs::rename(&prev, tmp.path().join("prev-moved")).unwrap();
    custscore()
        .args(["account", run.to_str().unwrap(), "--customer", "C00054"])
        .arg("--out")
        .arg(tmp.path().join("no-prev.md"))
        .assert()
        .success()
        .stderr(
            predicates::str::contains("previous run")
                .and(predicates::str::contains("is not there from here")),
        );
    let md = fs::read_to_string(tmp.path().join("no-prev.md")).unwrap();
    assert!(!md.contains("| Previous run |"));
    fs::rename(tmp.path().join("prev-moved"), &prev).unwrap();

    // Flags that would change the scores are refused; so is a ledger changed since.
    custscore()
        .args(["account", run.to_str().unwrap(), "--customer", "C00054"])
        .args(["--config", "x.toml", "--out"])
        .arg(tmp.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--config: pages from the run in"));
    let mut text = fs::read_to_string(&ledger).unwrap();
    text.push_str("INVX,C00054,2026-08-01,5,Training,North,Retail,1\n");
    fs::write(&ledger, text).unwrap();
    custscore()
        .args(["account", run.to_str().unwrap(), "--customer", "C00054"])
        .arg("--out")
        .arg(tmp.path().join("y"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("has changed since the run"));
    assert!(!tmp.path().join("y").join("account-C00054.md").exists());
    // One file cannot hold two pages.
    custscore()
        .args(["account", ledger.to_str().unwrap()])
        .args(["--customer", "C00054", "--customer", "C00001", "--out"])
        .arg(tmp.path().join("two.html"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("one file but 2 customers"));
    assert!(!tmp.path().join("two.html").exists());
}
