//! `--lang zh`: the labels in tables, charts, report.html and account pages are Chinese, the
//! column names and every number stay as they are, and runs written in either language read
//! back and compare with each other.

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::*;

/// The issue's words for the tiers and buyer classes.
const TIERS: [(&str, &str); 4] = [
    ("strategic", "战略"),
    ("partner", "伙伴"),
    ("priority", "优先"),
    ("ordinary", "普通"),
];
const BUYERS: [(&str, &str); 3] = [
    ("likely", "最可能购买"),
    ("possible", "可能购买"),
    ("unlikely", "不太可能购买"),
];

#[test]
fn chinese_labels_change_the_values_not_the_columns_or_the_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = testdata("sample_ledger.csv");
    let (en, zh) = (tmp.path().join("en"), tmp.path().join("zh"));
    score_ok(&[&ledger], &en, &[]);
    let out = custscore()
        .arg("score")
        .arg(&ledger)
        .arg("--out")
        .arg(&zh)
        .args(["--lang", "zh"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains("cannot draw"), "{stderr}");

    let (e, z) = (
        Table::read(&en.join("scores.csv")),
        Table::read(&zh.join("scores.csv")),
    );
    assert_eq!(e.header, z.header, "column names are stable");
    assert_eq!(e.rows.len(), z.rows.len());
    let tiers: BTreeMap<&str, &str> = TIERS.into_iter().collect();
    let buyers: BTreeMap<&str, &str> = BUYERS.into_iter().collect();
    let mut translated = BTreeMap::<&str, usize>::new();
    for (a, b) in e.rows.iter().zip(&z.rows) {
        for (k, name) in e.header.iter().enumerate() {
            match name.as_str() {
                "tier" => assert_eq!(tiers[a[k].as_str()], b[k]),
                "buyer_class" => assert_eq!(buyers[a[k].as_str()], b[k]),
                "segment" | "flags" => {
                    // Every default segment and flag has Chinese; none is left in English.
                    if !a[k].is_empty() {
                        assert_ne!(a[k], b[k], "{name} {:?} not translated", a[k]);
                        assert!(!b[k].chars().any(|c| c.is_ascii_alphabetic()), "{}", b[k]);
                        assert_eq!(
                            a[k].split(';').count(),
                            b[k].split(';').count(),
                            "flags keep their separator"
                        );
                    }
                    *translated.entry(name).or_default() += 1;
                }
                // Everything else (ids, numbers, dates) is the same text.
                _ => assert_eq!(a[k], b[k], "column {name}"),
            }
        }
    }
    assert!(translated["flags"] > 0 && translated["segment"] > 0);

    let (te, tz) = (
        Table::read(&en.join("tiers.csv")),
        Table::read(&zh.join("tiers.csv")),
    );
    assert_eq!(te.header, tz.header);
    assert_eq!(
        tz.column("tier"),
        te.column("tier")
            .iter()
            .map(|t| tiers[t])
            .collect::<Vec<_>>()
    );
    assert_eq!(te.column("revenue"), tz.column("revenue"));

    // The language is in the manifest beside the settings, not among them.
    let (me, mz) = (manifest(&en), manifest(&zh));
    assert_eq!(me["lang"], "en");
    assert_eq!(mz["lang"], "zh");
    assert_eq!(me["settings"], mz["settings"]);
    assert_eq!(me["customers"], mz["customers"], "counts keep English keys");

    // The report: Chinese headings and labels, the document marked as Chinese.
    let html = fs::read_to_string(zh.join("report.html")).unwrap();
    assert!(html.contains("<html lang=\"zh-Hans\">"));
    for text in [
        "客户评分",
        "客户层级",
        "前 25 位客户",
        "RFM 客户分群",
        "需要跟进的标记",
        "评分方法",
        "<td class=\"tier-strategic\">战略</td>",
        "最可能购买",
    ] {
        assert!(html.contains(text), "report.html lacks {text}");
    }
    // (The settings table at the end shows the settings file's own keys and values.)
    let body = &html[..html.find("<section id=\"method\">").unwrap()];
    for english in [
        "Top 25 accounts",
        "Flags to act on",
        ">strategic<",
        "Champions",
    ] {
        assert!(!body.contains(english), "report.html still says {english}");
    }

    // The charts: Chinese text in the SVG, a different PNG, same size.
    let svg = fs::read_to_string(zh.join("charts/tiers.svg")).unwrap();
    for t in ["各层级的客户数与净收入", "战略", "伙伴", "优先", "普通"] {
        assert!(svg.contains(t), "tiers.svg lacks {t}");
    }
    let pz = fs::read(zh.join("charts/tiers.png")).unwrap();
    assert_ne!(pz, fs::read(en.join("charts/tiers.png")).unwrap());
    assert_eq!(&pz[16..24], &[0, 0, 6, 64, 0, 0, 3, 132], "1600×900 PNG");
    // And the same bytes again.
    let again = tmp.path().join("zh2");
    score_ok(&[&ledger], &again, &["--lang", "zh"]);
    for f in [
        "scores.csv",
        "report.html",
        "charts/tiers.png",
        "charts/tiers.svg",
    ] {
        assert_eq!(
            fs::read(zh.join(f)).unwrap(),
            fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn runs_in_either_language_compare_with_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = testdata("sample_ledger.csv");
    let p = |n: &str| tmp.path().join(n);
    score_ok(
        &[&ledger],
        &p("prev_en"),
        &["--as-of", "2026-06-30", "--model", "none"],
    );
    score_ok(
        &[&ledger],
        &p("prev_zh"),
        &["--as-of", "2026-06-30", "--model", "none", "--lang", "zh"],
    );
    // The same current run against the English and the Chinese previous run.
    for prev in ["prev_en", "prev_zh"] {
        score_ok(
            &[&ledger],
            &p(&format!("cur_{prev}")),
            &["--model", "none", "--previous", p(prev).to_str().unwrap()],
        );
    }
    let (a, b) = (p("cur_prev_en"), p("cur_prev_zh"));
    for f in ["scores.csv", "migration.csv", "changes.csv"] {
        assert_eq!(
            fs::read_to_string(a.join(f)).unwrap(),
            fs::read_to_string(b.join(f)).unwrap(),
            "{f}: a Chinese previous run reads like an English one"
        );
    }
    let m = manifest(&b);
    assert_eq!(
        m["comparison"]["settings_differ"],
        serde_json::json!([]),
        "the language is not a setting"
    );
    assert!(m["comparison"]["up"].as_u64().unwrap() > 0);

    // `compare` labels in the later run's language unless told.
    let cmp = p("cmp");
    custscore()
        .arg("compare")
        .arg(p("prev_en"))
        .arg(p("prev_zh"))
        .arg("--out")
        .arg(&cmp)
        .arg("--quiet")
        .assert()
        .success();
    let mig = Table::read(&cmp.join("migration.csv"));
    assert_eq!(mig.header, ["from_tier", "to_tier", "customers", "revenue"]);
    assert_eq!(mig.rows[0][..2], ["战略", "战略"]);
    // Same run on both sides: everyone stays, in Chinese.
    let same: usize = mig
        .rows
        .iter()
        .filter(|r| r[0] == r[1])
        .map(|r| r[2].parse::<usize>().unwrap())
        .sum();
    assert_eq!(
        same,
        Table::read(&p("prev_en").join("scores.csv")).rows.len()
    );
    custscore()
        .arg("compare")
        .arg(p("prev_zh"))
        .arg(p("prev_zh"))
        .args(["--lang", "en", "--quiet", "--out"])
        .arg(&cmp)
        .assert()
        .success();
    assert_eq!(
        Table::read(&cmp.join("migration.csv")).rows[0][..2],
        ["strategic", "strategic"]
    );

    // A table whose tier is neither language's is not ours.
    let bad = p("bad");
    fs::create_dir_all(&bad).unwrap();
    fs::write(
        bad.join("scores.csv"),
        "rank,customer_id,tier,value_score,monetary\n1,A,gold,90,100\n",
    )
    .unwrap();
    custscore()
        .arg("compare")
        .arg(&bad)
        .arg(p("prev_en"))
        .arg("--out")
        .arg(p("cmp2"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            r#"row 1: tier "gold" is none of strategic, partner, priority, ordinary"#,
        ));
}

#[test]
fn account_pages_and_backtest_charts_speak_chinese_too() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = testdata("sample_ledger.csv");
    let pages = tmp.path().join("pages");
    custscore()
        .args(["account", ledger.to_str().unwrap(), "--customer", "C00054"])
        .args(["--lang", "zh", "--quiet", "--out"])
        .arg(&pages)
        .assert()
        .success();
    let run = tmp.path().join("run");
    score_ok(&[&ledger], &run, &["--lang", "zh"]);
    let t = Table::read(&run.join("scores.csv"));
    let md = fs::read_to_string(pages.join("account-C00054.md")).unwrap();
    assert!(md.starts_with("# 客户回顾：C00054\n"), "{md}");
    assert!(
        md.contains(&format!("| 层级 | {} |", t.get("C00054", "tier"))),
        "{md}"
    );
    assert!(md.contains(&format!(
        "| 排名 | 第 {} 位，共 {} 位 |",
        t.get("C00054", "rank"),
        t.rows.len()
    )));
    assert!(md.contains("## 购买过的产品线") && md.contains("## 每月净收入"));
    let html = fs::read_to_string(pages.join("account-C00054.html")).unwrap();
    assert!(html.contains("<html lang=\"zh-Hans\">") && html.contains("每月净收入"));
    assert!(!html.contains("Account review") && !html.contains("Net revenue"));

    let bt = tmp.path().join("bt");
    custscore()
        .args(["backtest", ledger.to_str().unwrap()])
        .args(["--calibration-end", "2026-04-30", "--lang", "zh", "--quiet"])
        .arg("--out")
        .arg(&bt)
        .assert()
        .success();
    let svg = fs::read_to_string(bt.join("charts/backtest_by_frequency.svg")).unwrap();
    assert!(
        svg.contains("回测") && svg.contains("实际"),
        "backtest chart in Chinese"
    );
}
