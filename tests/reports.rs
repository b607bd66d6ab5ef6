//! Charts (and, as they come, the HTML report and account pages): every chart file is a valid
//! image of the promised size drawn from the run's own numbers, the flags choose what is drawn,
//! and the same run gives the same bytes.

mod common;

use std::fs;
use std::path::Path;

use common::*;

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
