//! The buy-till-you-die models checked against the Python `lifetimes` package (0.11.3) on
//! the CDNOW sample it ships (2,357 customers, calibration to 1997-09-30), and against the
//! numbers Fader, Hardie & Lee published for the same data.
//!
//! `tests/reference/lifetimes_cdnow.py` turns the raw transaction log into a ledger and asks
//! lifetimes for its fit and per-customer predictions; custscore scores the same ledger with
//! `--as-of 1997-09-30 --time-unit weeks`. Tolerances:
//!
//! - BG/NBD log-likelihood: within 1e-9 relative (both maximise the same function; custscore
//!   must not stop short of lifetimes' optimum);
//! - BG/NBD and Gamma-Gamma parameters: within 1e-4 relative (lifetimes stops its optimiser
//!   at a looser tolerance);
//! - per customer, P(alive) and expected purchases in 90 days within 5e-5 and expected spend
//!   within 0.005 plus 1e-4 relative: what printing to 4 and 2 decimals leaves, plus the
//!   parameters' difference;
//! - the published FHL 2005 estimates (r = 0.243, α = 4.414, a = 0.793, b = 2.426,
//!   LL = −9582.4) and the Gamma-Gamma ones (p = 6.25, q = 3.74, γ = 15.44), to the digits
//!   published.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{manifest, run, score_ok, Table};

const PINS: &[&str] = &[
    "lifetimes==0.11.3",
    "numpy==2.4.6",
    "pandas==3.1.1",
    "scipy==1.17.1",
    "autograd==1.9.1",
    "dill==0.4.1",
    "python-dateutil==4.0.0",
    "tzdata==2026.6",
];

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// What `lifetimes_cdnow.py` writes into `dir`: the CDNOW ledger, lifetimes' fits, its
/// per-customer predictions and the holdout counts.
struct Cdnow {
    python: PathBuf,
    ledger: PathBuf,
    reference: PathBuf,
    per: PathBuf,
    holdout: PathBuf,
}

fn cdnow(dir: &Path) -> Cdnow {
    let python = common::python_with("lifetimes-venv", "CUSTSCORE_LIFETIMES_PYTHON", PINS);
    let c = Cdnow {
        ledger: dir.join("cdnow.csv"),
        reference: dir.join("ref.json"),
        per: dir.join("per.csv"),
        holdout: dir.join("holdout.csv"),
        python,
    };
    run(Command::new(&c.python)
        .arg(reference_dir().join("lifetimes_cdnow.py"))
        .arg(&c.ledger)
        .arg(&c.reference)
        .arg(&c.per)
        .arg(&c.holdout));
    c
}

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

#[test]
fn bgnbd_and_gamma_gamma_match_lifetimes_on_cdnow() {
    let tmp = tempfile::tempdir().unwrap();
    let Cdnow {
        ledger,
        reference,
        per,
        holdout,
        ..
    } = cdnow(tmp.path());
    let out = tmp.path().join("out");
    score_ok(
        &[&ledger],
        &out,
        &[
            "--as-of",
            "1997-09-30",
            "--time-unit",
            "weeks",
            "--horizon",
            "90",
        ],
    );

    let theirs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&reference).unwrap()).unwrap();
    let ours = manifest(&out)["model"].clone();
    assert_eq!(ours["customers"], theirs["customers"]);
    assert_eq!(ours["repeat_buyers"], theirs["repeat_buyers"]);
    let (bg, tb) = (&ours["bgnbd"], &theirs["bgnbd"]);
    assert_eq!(bg["converged"], true);
    let (ll, tll) = (
        bg["log_likelihood"].as_f64().unwrap(),
        tb["log_likelihood"].as_f64().unwrap(),
    );
    assert!(
        ll >= tll - 1e-9 * tll.abs(),
        "custscore LL {ll} below lifetimes' {tll}"
    );
    assert!(rel(ll, tll) < 1e-9, "LL {ll} vs {tll}");
    for k in ["r", "alpha", "a", "b"] {
        let (o, t) = (bg["params"][k].as_f64().unwrap(), tb[k].as_f64().unwrap());
        assert!(rel(o, t) < 1e-4, "BG/NBD {k}: {o} vs lifetimes {t}");
    }
    let gg = &ours["gamma_gamma"]["params"];
    for (k, tk) in [("p", "p"), ("q", "q"), ("gamma", "v")] {
        let (o, t) = (
            gg[k].as_f64().unwrap(),
            theirs["gamma_gamma"][tk].as_f64().unwrap(),
        );
        assert!(rel(o, t) < 1e-4, "Gamma-Gamma {k}: {o} vs lifetimes {t}");
    }
    // Fader, Hardie & Lee (2005), to the published digits.
    let p = |k: &str| bg["params"][k].as_f64().unwrap();
    assert_eq!(
        format!(
            "{:.3} {:.3} {:.3} {:.3} {:.1}",
            p("r"),
            p("alpha"),
            p("a"),
            p("b"),
            ll
        ),
        "0.243 4.414 0.793 2.426 -9582.4"
    );
    let g = |k: &str| gg[k].as_f64().unwrap();
    assert_eq!(
        format!("{:.2} {:.2} {:.2}", g("p"), g("q"), g("gamma")),
        "6.25 3.74 15.44"
    );

    // Per customer.
    let theirs = Table::read(&per);
    let ours = Table::read(&out.join("scores.csv"));
    let by_id: HashMap<&str, &Vec<String>> = ours
        .rows
        .iter()
        .map(|r| (r[ours.col("customer_id")].as_str(), r))
        .collect();
    assert_eq!(by_id.len(), theirs.rows.len());
    let mut worst = [0.0f64; 3];
    for row in &theirs.rows {
        let mine = by_id[row[theirs.col("customer_id")].as_str()];
        for (k, (col, abs)) in [
            ("p_alive", 5e-5),
            ("expected_purchases", 5e-5),
            ("expected_spend", 5e-3),
        ]
        .into_iter()
        .enumerate()
        {
            let (t, o): (f64, f64) = (
                row[theirs.col(col)].parse().unwrap(),
                mine[ours.col(col)].parse().unwrap(),
            );
            let d = (t - o).abs();
            worst[k] = worst[k].max(d);
            assert!(
                d <= abs + 1e-4 * t.abs() + 1e-12,
                "customer {}: {col} {o} vs lifetimes {t}",
                row[0]
            );
        }
    }

    // The backtest: calibration to 1997-09-30, holdout to 1998-06-30 (39 weeks). Each
    // customer's holdout purchase days equal lifetimes' count; predictions as above.
    let bt = tmp.path().join("bt");
    common::custscore()
        .args([
            "backtest",
            ledger.to_str().unwrap(),
            "--calibration-end",
            "1997-09-30",
            "--holdout-end",
            "1998-06-30",
            "--model",
            "bgnbd",
        ])
        .args([
            "--time-unit",
            "weeks",
            "--quiet",
            "--out",
            bt.to_str().unwrap(),
        ])
        .assert()
        .success();
    let theirs = Table::read(&holdout);
    let ours = Table::read(&bt.join("backtest_customers.csv"));
    let by_id: HashMap<&str, &Vec<String>> = ours.rows.iter().map(|r| (r[0].as_str(), r)).collect();
    assert_eq!(by_id.len(), theirs.rows.len());
    let mut actual_total = 0u64;
    for row in &theirs.rows {
        let mine = by_id[row[0].as_str()];
        assert_eq!(
            mine[ours.col("actual")],
            row[theirs.col("actual")],
            "customer {}: holdout purchase days",
            row[0]
        );
        actual_total += row[theirs.col("actual")].parse::<u64>().unwrap();
        let (t, o): (f64, f64) = (
            row[theirs.col("predicted")].parse().unwrap(),
            mine[ours.col("predicted_bgnbd")].parse().unwrap(),
        );
        assert!(
            (t - o).abs() <= 5e-5 + 1e-4 * t.abs(),
            "customer {}: predicted {o} vs lifetimes {t}",
            row[0]
        );
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bt.join("backtest.json")).unwrap()).unwrap();
    assert_eq!(summary["actual_total"], actual_total);
    assert_eq!(summary["holdout_days"], 273);
    let by_f = Table::read(&bt.join("backtest_by_frequency.csv"));
    assert_eq!(
        by_f.column("frequency"),
        ["0", "1", "2", "3", "4", "5", "6", "7+"]
    );
    assert_eq!(
        by_f.column("customers")
            .iter()
            .map(|c| c.parse::<usize>().unwrap())
            .sum::<usize>(),
        theirs.rows.len()
    );

    eprintln!("largest per-customer differences: p_alive {:.2e}, expected_purchases {:.2e}, expected_spend {:.2e}", worst[0], worst[1], worst[2]);
}

#[test]
fn pareto_nbd_matches_lifetimes_on_cdnow() {
    // Tolerances: log-likelihood at least lifetimes' and within 1e-9 relative of it (lifetimes
    // stops its Nelder-Mead search a little short); parameters within 1e-3 relative; summed
    // per-customer log-likelihood that lifetimes computes at custscore's parameters equal to
    // custscore's within 1e-10 relative (the same formula, two implementations); per customer
    // P(alive) and expected purchases in 90 days, from lifetimes at custscore's parameters,
    // within 5e-5 (the CSV's 4 decimals).
    let tmp = tempfile::tempdir().unwrap();
    let Cdnow {
        python: py,
        ledger,
        reference,
        ..
    } = cdnow(tmp.path());
    let dir = reference_dir();
    let out = tmp.path().join("out");
    score_ok(
        &[&ledger],
        &out,
        &[
            "--as-of",
            "1997-09-30",
            "--time-unit",
            "weeks",
            "--model",
            "pnbd",
        ],
    );
    let theirs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&reference).unwrap()).unwrap();
    let ours = manifest(&out)["model"].clone();
    assert!(ours.get("bgnbd").is_none());
    let (pn, tp) = (&ours["pnbd"], &theirs["pnbd"]);
    assert_eq!(pn["converged"], true);
    let (ll, tll) = (
        pn["log_likelihood"].as_f64().unwrap(),
        tp["log_likelihood"].as_f64().unwrap(),
    );
    assert!(
        ll >= tll - 1e-9 * tll.abs(),
        "custscore LL {ll} below lifetimes' {tll}"
    );
    assert!(rel(ll, tll) < 1e-9, "LL {ll} vs {tll}");
    let p = |k: &str| pn["params"][k].as_f64().unwrap();
    for k in ["r", "alpha", "s", "beta"] {
        assert!(
            rel(p(k), tp[k].as_f64().unwrap()) < 1e-3,
            "Pareto/NBD {k}: {} vs {}",
            p(k),
            tp[k]
        );
    }
    // Fader & Hardie's published CDNOW estimates: r = 0.553, α = 10.578, s = 0.606,
    // β = 11.669, LL = −9595.0.
    assert_eq!(
        format!(
            "{:.3} {:.3} {:.3} {:.3} {:.1}",
            p("r"),
            p("alpha"),
            p("s"),
            p("beta"),
            ll
        ),
        "0.553 10.578 0.606 11.669 -9595.0"
    );

    let at = tmp.path().join("at.csv");
    run(Command::new(&py)
        .arg(dir.join("lifetimes_pnbd_at.py"))
        .arg(&ledger)
        .args(["r", "alpha", "s", "beta"].map(|k| format!("{:.17e}", p(k))))
        .arg(&at));
    let theirs = Table::read(&at);
    let their_ll: f64 = theirs
        .column("log_likelihood")
        .iter()
        .map(|v| v.parse::<f64>().unwrap())
        .sum();
    assert!(
        rel(ll, their_ll) < 1e-10,
        "LL {ll} vs lifetimes at our parameters {their_ll}"
    );
    let ours = Table::read(&out.join("scores.csv"));
    let by_id: HashMap<&str, &Vec<String>> = ours
        .rows
        .iter()
        .map(|r| (r[ours.col("customer_id")].as_str(), r))
        .collect();
    assert_eq!(by_id.len(), theirs.rows.len());
    for row in &theirs.rows {
        let mine = by_id[row[theirs.col("customer_id")].as_str()];
        for col in ["p_alive", "expected_purchases"] {
            let (t, o): (f64, f64) = (
                row[theirs.col(col)].parse().unwrap(),
                mine[ours.col(col)].parse().unwrap(),
            );
            assert!(
                (t - o).abs() <= 5e-5 + 1e-12,
                "customer {}: {col} {o} vs lifetimes {t}",
                row[0]
            );
        }
        // p_buy lies between nothing and P(alive).
        let (buy, alive): (f64, f64) = (
            mine[ours.col("p_buy")].parse().unwrap(),
            mine[ours.col("p_alive")].parse().unwrap(),
        );
        assert!(
            (0.0..=alive + 1e-4).contains(&buy),
            "customer {}: p_buy {buy}, p_alive {alive}",
            row[0]
        );
    }
}
