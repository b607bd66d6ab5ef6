//! `custscore score` on bad input: clear errors that name the place, exit code 2, and
//! nothing lost or half-written.

mod common;

use std::fs;

use common::{custscore, manifest, score_ok, testdata, Table};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// Runs `score` on a ledger `l.csv` of `text` and checks that it fails as bad input
/// (exit code 2) without writing a report.
fn score_fails_on(text: &str) -> assert_cmd::assert::Assert {
    let tmp = tempfile::tempdir().unwrap();
    let l = tmp.path().join("l.csv");
    fs::write(&l, text).unwrap();
    let out = tmp.path().join("o");
    let assert = custscore()
        .args(["score", l.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .assert()
        .code(2);
    assert!(!out.join("scores.csv").exists());
    assert
}

#[test]
fn rejects_a_ledger_without_an_amount_column() {
    score_fails_on("customer_id,date,total\nC1,2025-01-01,5\n")
        .stderr(contains("l.csv: no column for the amount role"))
        .stderr(contains("\"total\""))
        .stderr(contains("--columns amount=NAME"));
}

#[test]
fn bad_rows_fail_naming_file_line_column_and_value() {
    let tmp = tempfile::tempdir().unwrap();
    custscore()
        .args([
            "score",
            testdata("bad_rows.csv").to_str().unwrap(),
            "--out",
            tmp.path().join("o").to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(contains(
            "bad_rows.csv line 3, column \"order_date\": date \"2025-02-31\" is not a valid date",
        ))
        .stderr(contains(
            "line 4, column \"amount\": amount \"12.5O\" is not a number",
        ))
        .stderr(contains(
            "line 5, column \"customer_id\": customer id is empty",
        ))
        .stderr(contains(
            "line 6: the row has 5 fields but the header has 4",
        ))
        .stderr(contains("5 bad rows in all"));
    assert!(!tmp.path().join("o").join("scores.csv").exists());
}

#[test]
fn one_bad_row_is_counted_in_the_singular() {
    score_fails_on("customer_id,date,amount\nA,2025-01-01,10\nB,2025-01-02,x\n")
        .stderr(contains(
            "l.csv line 3, column \"amount\": amount \"x\" is not a number",
        ))
        .stderr(contains(
            "1 bad row in all; use --skip-bad-rows to write it to rejects.csv and go on",
        ))
        .stderr(contains("rows in all").not());
}

#[test]
fn only_the_first_ten_bad_rows_are_listed_with_the_count_of_the_rest() {
    let mut text = String::from("customer_id,date,amount\n");
    for i in 0..25 {
        text.push_str(&format!("C{i},2025-01-01,x{i}\n"));
    }
    let out = score_fails_on(&text);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.matches("is not a number").count(), 10, "{stderr}");
    assert!(
        stderr.contains("25 bad rows in all (the first 10 are listed)"),
        "{stderr}"
    );
}

#[test]
fn skip_bad_rows_writes_rejects_and_counts_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    custscore()
        .args([
            "score",
            testdata("bad_rows.csv").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--skip-bad-rows",
        ])
        .assert()
        .success()
        .stderr(contains("5 rejected"));
    let rejects = Table::read(&out.join("rejects.csv"));
    assert_eq!(rejects.column("line"), ["3", "4", "5", "6", "7"]);
    assert_eq!(rejects.rows[1][rejects.col("value")], "12.5O");
    assert_eq!(
        rejects.rows[1][rejects.col("record")],
        "C3,2025-01-05,12.5O,I3"
    );
    let m = manifest(&out);
    assert_eq!(m["rows"]["rejected"], 5);
    assert_eq!(m["inputs"][0]["rows_rejected"], 5);
    let s = Table::read(&out.join("scores.csv"));
    assert_eq!(s.get("C1", "monetary"), "170.00");

    // A later clean run into the same folder removes the stale rejects.csv.
    score_ok(&[&testdata("one_customer.csv")], &out, &[]);
    assert!(!out.join("rejects.csv").exists());
}

#[test]
fn empty_ledgers_are_errors_not_empty_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let run = |file: &str, extra: &[&str]| {
        let mut c = custscore();
        c.args([
            "score",
            testdata(file).to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(extra);
        c.assert().code(2)
    };
    run("header_only.csv", &[]).stderr(contains("the ledger has a header but no rows"));
    run("only_returns_ledger.csv", &[])
        .stderr(contains("no purchase (a row with an amount of 0 or more)"));
    run("one_customer.csv", &["--as-of", "2024-12-31"])
        .stderr(contains("no rows on or before --as-of 2024-12-31"));
    let empty = tmp.path().join("empty.csv");
    fs::write(&empty, "").unwrap();
    custscore()
        .args([
            "score",
            empty.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(contains("empty.csv: the file is empty"));
    assert!(!out.join("scores.csv").exists());
}

#[test]
fn ledgers_whose_columns_differ_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("jan.csv"), tmp.path().join("feb.csv"));
    fs::write(&a, "customer_id,date,amount,region\nC1,2025-01-01,5,N\n").unwrap();
    fs::write(&b, "customer_id,date,amount\nC1,2025-02-01,5\n").unwrap();
    custscore()
        .args([
            "score",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--out",
            tmp.path().join("o").to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(contains("feb.csv: its columns differ from those of"))
        .stderr(contains("missing [\"region\"]"));
}

#[test]
fn a_failed_run_leaves_the_previous_reports_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    score_ok(&[&testdata("sample_ledger.csv")], &out, &[]);
    let before = fs::read(out.join("scores.csv")).unwrap();
    custscore()
        .args([
            "score",
            testdata("bad_rows.csv").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(2);
    assert_eq!(fs::read(out.join("scores.csv")).unwrap(), before);
    let leftovers: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "staging folder left behind: {leftovers:?}"
    );
}

#[test]
fn an_unusable_out_fails_before_reading_the_ledger() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not_a_dir");
    fs::write(&file, "x").unwrap();
    // The ledger does not even exist: the --out problem is reported first.
    custscore()
        .args([
            "score",
            "no_such_ledger.csv",
            "--out",
            file.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(contains("--out:"))
        .stderr(contains("is not a folder"));
}

#[test]
fn a_missing_ledger_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    custscore()
        .args([
            "score",
            "no_such_ledger.csv",
            "--out",
            tmp.path().join("o").to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(contains("no_such_ledger.csv: no such file"));
}

#[test]
fn bad_flags_name_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let o = tmp.path().join("o");
    let l = testdata("one_customer.csv");
    let run = |extra: &[&str]| {
        let mut c = custscore();
        c.args(["score", l.to_str().unwrap(), "--out", o.to_str().unwrap()])
            .args(extra);
        c.assert().code(2)
    };
    run(&["--as-of", "31.12.2025"]).stderr(contains("--as-of:"));
    run(&["--delimiter", "ab"]).stderr(contains("--delimiter:"));
    run(&["--columns", "buyer=x"]).stderr(contains("--columns: unknown role \"buyer\""));
    run(&["--columns", "amount=betrag"])
        .stderr(contains("--columns amount=betrag: no such column"));
    run(&["--bogus"]).stderr(contains("--bogus"));
}

#[test]
fn a_bad_config_file_names_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    let l = testdata("one_customer.csv");
    let o = tmp.path().join("o");
    for (text, expect) in [
        ("[value]\npotential_wieght = 0.5\n", "potential_wieght"),
        (
            "[tiers]\nstrategic = 0.9\npartner = 0.2\n",
            "add up to at most 1",
        ),
        ("[flags]\ndeclining_trend = 0.5\n", "flags.declining_trend"),
    ] {
        fs::write(&cfg, text).unwrap();
        custscore()
            .args([
                "score",
                l.to_str().unwrap(),
                "--out",
                o.to_str().unwrap(),
                "--config",
                cfg.to_str().unwrap(),
            ])
            .assert()
            .code(2)
            .stderr(contains("c.toml"))
            .stderr(contains(expect));
    }
}

#[test]
fn ambiguous_dates_need_a_date_format() {
    let tmp = tempfile::tempdir().unwrap();
    custscore()
        .args([
            "score",
            testdata("day_first_dates.csv").to_str().unwrap(),
            "--out",
            tmp.path().join("o").to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(contains("\"03/04/2025\" is ambiguous"))
        .stderr(contains("--date-format"));
}

#[test]
fn backtest_flags_that_cannot_work_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let o = tmp.path().join("o");
    let l = testdata("sample_ledger.csv");
    let run = |extra: &[&str]| {
        let mut c = custscore();
        c.args([
            "backtest",
            l.to_str().unwrap(),
            "--out",
            o.to_str().unwrap(),
        ])
        .args(extra);
        c.assert().code(2)
    };
    run(&["--calibration-end", "2026-05-31", "--as-of", "2026-06-30"])
        .stderr(contains("--as-of: backtest takes --calibration-end"));
    run(&[
        "--calibration-end",
        "2026-05-31",
        "--holdout-end",
        "2026-05-01",
    ])
    .stderr(contains("--holdout-end: must be after --calibration-end"));
    run(&["--calibration-end", "2027-01-31"]).stderr(contains(
        "--calibration-end: 2027-01-31 is not inside the ledger's dates",
    ));
    run(&["--calibration-end", "2026-05-31", "--horizon", "30"])
        .stderr(contains("--horizon: in a backtest"));
    run(&["--calibration-end", "May"]).stderr(contains("--calibration-end:"));
}
