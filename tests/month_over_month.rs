//! Month over month: `score --previous` and `custscore compare` on two consecutive runs in
//! which customers move tiers, appear and disappear.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::fs;

use common::{custscore, manifest, score_ok, testdata, Table};
use predicates::str::contains;

const LEVELS: [&str; 4] = ["strategic", "partner", "priority", "ordinary"];

#[test]
fn a_monthly_run_compares_with_the_previous_one() {
    let tmp = tempfile::tempdir().unwrap();
    // September: the sample ledger as of 2026-09-30. October: the whole ledger without the
    // customers C00000..C00009, who are lost; customers first seen in October are new.
    let sep = tmp.path().join("sep");
    score_ok(
        &[&testdata("sample_ledger.csv")],
        &sep,
        &["--as-of", "2026-09-30"],
    );
    let text = fs::read_to_string(testdata("sample_ledger.csv")).unwrap();
    let october: Vec<&str> = text
        .lines()
        .filter(|l| !l.split(',').nth(1).is_some_and(|c| c.starts_with("C0000")))
        .collect();
    let oct_ledger = tmp.path().join("oct.csv");
    fs::write(&oct_ledger, october.join("\n") + "\n").unwrap();
    let oct = tmp.path().join("oct");
    custscore()
        .args([
            "score",
            oct_ledger.to_str().unwrap(),
            "--previous",
            sep.to_str().unwrap(),
            "--out",
            oct.to_str().unwrap(),
        ])
        .assert()
        .success();

    let prev = Table::read(&sep.join("scores.csv"));
    let curr = Table::read(&oct.join("scores.csv"));
    let prev_tier: HashMap<&str, &str> = prev
        .rows
        .iter()
        .map(|r| {
            (
                r[prev.col("customer_id")].as_str(),
                r[prev.col("tier")].as_str(),
            )
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut moved = 0;
    for row in &curr.rows {
        let id = row[curr.col("customer_id")].as_str();
        seen.insert(id);
        let (tier, before, change) = (
            &row[curr.col("tier")],
            &row[curr.col("tier_prev")],
            &row[curr.col("tier_change")],
        );
        match prev_tier.get(id) {
            None => assert_eq!((before.as_str(), change.as_str()), ("", "new"), "{id}"),
            Some(p) => {
                assert_eq!(before, p, "{id}");
                let (a, b) = (
                    LEVELS.iter().position(|x| x == p).unwrap(),
                    LEVELS.iter().position(|x| x == tier).unwrap(),
                );
                let want = if b < a {
                    "up"
                } else if b > a {
                    "down"
                } else {
                    "same"
                };
                assert_eq!(change, want, "{id}");
                moved += usize::from(a != b);
                let delta: f64 = row[curr.col("value_score_delta")].parse().unwrap();
                let (v, vp): (f64, f64) = (
                    row[curr.col("value_score")].parse().unwrap(),
                    row[curr.col("value_score_prev")].parse().unwrap(),
                );
                assert!((delta - (v - vp)).abs() < 0.011, "{id}");
            }
        }
    }
    assert!(moved > 0, "some customers moved tiers");
    let lost: BTreeSet<&str> = prev_tier
        .keys()
        .copied()
        .filter(|id| !seen.contains(id))
        .collect();
    assert_eq!(lost.len(), 10);

    // Every lost customer is listed, as a lost key account or a lost customer.
    let changes = Table::read(&oct.join("changes.csv"));
    let listed: BTreeSet<&str> = changes
        .rows
        .iter()
        .filter(|r| r[changes.col("tier")].is_empty() && r[0].starts_with("lost_"))
        .map(|r| r[changes.col("customer_id")].as_str())
        .collect();
    assert_eq!(listed, lost);
    for r in &changes.rows {
        if r[0] == "new_key_account" {
            assert!(["strategic", "partner"].contains(&r[changes.col("tier")].as_str()));
        }
    }

    // The migration matrix accounts for every customer of both runs.
    let m = Table::read(&oct.join("migration.csv"));
    assert_eq!(m.rows.len(), 25);
    let total: usize = m
        .column("customers")
        .iter()
        .map(|c| c.parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, curr.rows.len() + lost.len());
    let into = |t: &str| {
        m.rows
            .iter()
            .filter(|r| r[1] == t)
            .map(|r| r[2].parse::<usize>().unwrap())
            .sum::<usize>()
    };
    assert_eq!(into("lost"), lost.len());
    assert_eq!(
        into("strategic"),
        curr.column("tier")
            .iter()
            .filter(|t| **t == "strategic")
            .count()
    );
    let mf = manifest(&oct);
    assert_eq!(mf["comparison"]["lost"], 10);
    assert_eq!(
        mf["comparison"]["settings_differ"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // `compare` on the two finished runs writes the same tables.
    let cmp = tmp.path().join("cmp");
    custscore()
        .args([
            "compare",
            sep.to_str().unwrap(),
            oct.to_str().unwrap(),
            "--out",
            cmp.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stderr(contains("10 lost"));
    for f in ["migration.csv", "changes.csv"] {
        assert_eq!(
            fs::read(cmp.join(f)).unwrap(),
            fs::read(oct.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn runs_with_other_settings_are_compared_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let prev = tmp.path().join("prev");
    score_ok(
        &[&testdata("sample_ledger.csv")],
        &prev,
        &["--as-of", "2026-09-30"],
    );
    let cfg = tmp.path().join("c.toml");
    fs::write(&cfg, "[value]\npotential_weight = 0.5\n").unwrap();
    let out = tmp.path().join("out");
    custscore()
        .args([
            "score",
            testdata("sample_ledger.csv").to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
        ])
        .args([
            "--previous",
            prev.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stderr(contains("used other settings: value.potential_weight"));
    assert_eq!(
        manifest(&out)["comparison"]["settings_differ"][0],
        "value.potential_weight"
    );
}

#[test]
fn a_previous_folder_without_a_run_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    custscore()
        .args([
            "score",
            testdata("one_customer.csv").to_str().unwrap(),
            "--previous",
            tmp.path().to_str().unwrap(),
        ])
        .args(["--out", tmp.path().join("o").to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(contains("--previous:"))
        .stderr(contains(
            "no scores.csv, scores.parquet or scores.json there",
        ));
}
