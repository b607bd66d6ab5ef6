//! Living with custscore in a shell and a pipeline: settings files, JSON on stdout,
//! completions and the man page.

mod common;

use std::fs;

use common::{custscore, testdata};
use predicates::str::contains;

#[test]
fn config_init_writes_a_file_that_config_check_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("custscore.toml");
    custscore()
        .args(["config", "init", f.to_str().unwrap()])
        .assert()
        .success();
    let text = fs::read_to_string(&f).unwrap();
    assert!(
        text.contains("potential_weight = 0.3") && text.contains("[buyers]"),
        "{text}"
    );
    custscore()
        .args(["config", "check", f.to_str().unwrap()])
        .assert()
        .success()
        .stderr(contains("valid"));
    // Never overwritten.
    custscore()
        .args(["config", "init", f.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(contains("exists; not overwritten"));
    // To stdout without a file, the same text.
    let out = custscore().args(["config", "init"]).assert().success();
    assert_eq!(
        String::from_utf8(out.get_output().stdout.clone()).unwrap(),
        text
    );
    // A mistake names the key.
    fs::write(&f, text.replace("horizon_days = 90", "horizon_dayz = 90")).unwrap();
    custscore()
        .args(["config", "check", f.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(contains("horizon_dayz"));
}

#[test]
fn summary_json_is_the_only_thing_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let out = custscore()
        .args([
            "score",
            testdata("sample_ledger.csv").to_str().unwrap(),
            "--summary-json",
            "--out",
            tmp.path().join("o").to_str().unwrap(),
        ])
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["customers"]["scored"], 300);
    assert_eq!(v["as_of"], "2026-10-31");
    assert_eq!(v["model_fitted"], true);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("scored 300 customers") && !stderr.contains('{'),
        "{stderr}"
    );
    // Without the flag, stdout stays empty.
    let out = custscore()
        .args([
            "score",
            testdata("sample_ledger.csv").to_str().unwrap(),
            "--out",
            tmp.path().join("o").to_str().unwrap(),
        ])
        .assert()
        .success();
    assert!(out.get_output().stdout.is_empty());
}

#[test]
fn completions_and_the_man_page_come_from_the_same_definitions() {
    let out = custscore().args(["completions", "bash"]).assert().success();
    let bash = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        bash.contains("custscore") && bash.contains("--skip-bad-rows") && bash.contains("backtest"),
        "bash completion"
    );
    custscore()
        .args(["completions", "zsh"])
        .assert()
        .success()
        .stdout(contains("#compdef custscore"));
    custscore()
        .args(["completions", "fish"])
        .assert()
        .success()
        .stdout(contains("complete -c custscore"));
    custscore().args(["completions", "tcsh"]).assert().code(2);
    let out = custscore().arg("man").assert().success();
    let man = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH custscore"),
        "{}",
        &man[..man.len().min(200)]
    );
    for sub in ["score", "backtest", "compare", "config"] {
        custscore()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(contains("Example"));
    }
}

#[test]
fn inspect_profiles_a_ledger_and_lists_its_problems() {
    let out = custscore()
        .args(["inspect", testdata("bad_rows.csv").to_str().unwrap()])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("customer  \"customer_id\""), "{text}");
    assert!(text.contains("date      \"order_date\""), "{text}");
    assert!(text.contains("product   -"), "{text}");
    assert!(
        text.contains("dates      2025-01-02 .. 2025-01-09"),
        "{text}"
    );
    assert!(text.contains("problems   5 of 7 rows"), "{text}");
    assert!(
        text.contains("line 4, column \"amount\": amount \"12.5O\" is not a number"),
        "{text}"
    );

    let out = custscore()
        .args([
            "inspect",
            testdata("sample_ledger.csv").to_str().unwrap(),
            "--json",
        ])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["customers"], 300);
    assert_eq!(v["rows_read"], 3624);
    assert_eq!(v["rows_with_problems"], 0);
    assert_eq!(v["unused_columns"][0], serde_json::json!(["region"]));
    assert_eq!(v["first_date"], "2023-11-07");

    // The same ledger as Parquet and as a workbook: the same column found unused.
    for twin in ["sample_ledger.parquet", "sample_ledger.xlsx"] {
        let out = custscore()
            .args([
                "inspect",
                testdata(twin).to_str().unwrap(),
                "--json",
                "--sheet",
                "ledger",
            ])
            .assert()
            .success();
        let w: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(w["rows_read"], 3624, "{twin}");
        assert_eq!(
            w["unused_columns"][0],
            serde_json::json!(["region"]),
            "{twin}"
        );
    }

    custscore()
        .args(["inspect", testdata("semicolons.csv").to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(contains("no column for the customer role"));
}
