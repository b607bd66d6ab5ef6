//! `custscore score` on good ledgers: the reports, their columns and their invariants.

mod common;

use std::fs;

use common::{custscore, manifest, score_ok, testdata, Table};
use predicates::prelude::*;
use sha2::Digest;

const COLUMNS: &str = "rank,customer_id,name,industry,tier,value_score,current_score,potential_score,r_score,f_score,m_score,rfm_cell,segment,recency_days,frequency,order_days,monetary,returns,returns_share,first_purchase,last_purchase,tenure_days,product_lines,cycle_days,cycle_cv,trend,overdue,revenue_recent,flags,p_alive,expected_purchases,p_buy,expected_spend,clv,buyer_class,tier_prev,tier_change,rank_prev,value_score_prev,value_score_delta";

#[test]
fn scores_the_sample_ledger_into_ranked_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    score_ok(&[&testdata("sample_ledger.csv")], &out, &[]);

    let scores = Table::read(&out.join("scores.csv"));
    assert_eq!(scores.header.join(","), COLUMNS);
    let n = scores.rows.len();
    assert_eq!(n, 300);
    let ranks: Vec<usize> = scores
        .column("rank")
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
    assert_eq!(ranks, (1..=n).collect::<Vec<_>>());
    let values: Vec<f64> = scores
        .column("value_score")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] >= w[1]),
        "ranked by value_score"
    );
    assert!(values.iter().all(|v| (0.0..=100.0).contains(v)));
    for col in ["r_score", "f_score", "m_score"] {
        assert!(
            scores
                .column(col)
                .iter()
                .all(|s| ["1", "2", "3", "4", "5"].contains(s)),
            "{col}"
        );
    }
    for row in &scores.rows {
        let cell = format!(
            "{}{}{}",
            row[scores.col("r_score")],
            row[scores.col("f_score")],
            row[scores.col("m_score")]
        );
        assert_eq!(row[scores.col("rfm_cell")], cell);
    }
    // The default rank-share rule: 5% / 15% / 30% / rest of 300 customers, in rank order.
    let tiers = scores.column("tier");
    assert!(tiers[..15].iter().all(|t| *t == "strategic"));
    assert!(tiers[15..60].iter().all(|t| *t == "partner"));
    assert!(tiers[60..150].iter().all(|t| *t == "priority"));
    assert!(tiers[150..].iter().all(|t| *t == "ordinary"));

    // Tier totals add up to the customer table.
    let tier_table = Table::read(&out.join("tiers.csv"));
    assert_eq!(
        tier_table.column("tier"),
        ["strategic", "partner", "priority", "ordinary"]
    );
    let counted: usize = tier_table
        .column("customers")
        .iter()
        .map(|c| c.parse::<usize>().unwrap())
        .sum();
    assert_eq!(counted, n);
    let revenue: f64 = scores
        .column("monetary")
        .iter()
        .map(|m| m.parse::<f64>().unwrap())
        .sum();
    let tier_revenue: f64 = tier_table
        .column("revenue")
        .iter()
        .map(|m| m.parse::<f64>().unwrap())
        .sum();
    assert!(
        (revenue - tier_revenue).abs() < 0.01 * 4.0,
        "{revenue} vs {tier_revenue}"
    );
    let segments = Table::read(&out.join("segments.csv"));
    assert_eq!(
        segments
            .column("customers")
            .iter()
            .map(|c| c.parse::<usize>().unwrap())
            .sum::<usize>(),
        n
    );

    let m = manifest(&out);
    let bytes = fs::read(testdata("sample_ledger.csv")).unwrap();
    assert_eq!(
        m["inputs"][0]["sha256"],
        format!("{:x}", sha2::Sha256::digest(&bytes))
    );
    assert_eq!(m["inputs"][0]["bytes"], bytes.len());
    assert_eq!(
        m["inputs"][0]["rows_read"],
        bytes.iter().filter(|&&b| b == b'\n').count() - 1
    );
    assert_eq!(m["as_of"], "2026-10-31");
    assert_eq!(m["as_of_source"], "ledger_last_date");
    assert_eq!(m["customers"]["strategic"], 15);
    assert_eq!(m["rfm_bins"]["monetary"].as_array().unwrap().len(), 5);
    assert_eq!(m["settings"]["value"]["potential_weight"], 0.3);
    // No half-written or staging files are left.
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "charts",
            "manifest.json",
            "report.html",
            "scores.csv",
            "segments.csv",
            "tiers.csv"
        ]
    );
}

/// Everything but the timings, which measure the run rather than the data.
fn manifest_without_timings(out: &std::path::Path) -> serde_json::Value {
    let mut m = manifest(out);
    m.as_object_mut().unwrap().remove("timings_ms");
    m
}

#[test]
fn the_same_input_gives_byte_identical_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    score_ok(&[&testdata("sample_ledger.csv")], &a, &[]);
    score_ok(&[&testdata("sample_ledger.csv")], &b, &[]);
    for f in ["scores.csv", "tiers.csv", "segments.csv"] {
        assert_eq!(
            fs::read(a.join(f)).unwrap(),
            fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(manifest_without_timings(&a), manifest_without_timings(&b));
}

#[test]
fn splitting_and_reordering_the_ledger_changes_no_output_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(testdata("sample_ledger.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    // A fixed shuffle: reverse, then interleave.
    lines.reverse();
    type Numbered<'a> = Vec<(usize, &'a str)>;
    let (odd, even): (Numbered, Numbered) = lines
        .iter()
        .copied()
        .enumerate()
        .partition(|(i, _)| i % 2 == 1);
    let part = |rows: Vec<(usize, &str)>| {
        format!(
            "{header}\n{}\n",
            rows.into_iter()
                .map(|(_, l)| l)
                .collect::<Vec<_>>()
                .join("\n")
        )
    };
    let (p1, p2) = (tmp.path().join("part1.csv"), tmp.path().join("part2.csv"));
    fs::write(&p1, part(odd)).unwrap();
    fs::write(&p2, part(even)).unwrap();
    let (whole, split) = (tmp.path().join("whole"), tmp.path().join("split"));
    score_ok(&[&testdata("sample_ledger.csv")], &whole, &[]);
    score_ok(&[&p2, &p1], &split, &[]);
    for f in ["scores.csv", "tiers.csv", "segments.csv"] {
        assert_eq!(
            fs::read_to_string(whole.join(f)).unwrap(),
            fs::read_to_string(split.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(manifest(&split)["inputs"].as_array().unwrap().len(), 2);
}

#[test]
fn parquet_and_csv_ledgers_give_the_same_scores() {
    let tmp = tempfile::tempdir().unwrap();
    let (c, p) = (tmp.path().join("csv"), tmp.path().join("parquet"));
    score_ok(&[&testdata("sample_ledger.csv")], &c, &[]);
    score_ok(&[&testdata("sample_ledger.parquet")], &p, &[]);
    assert_eq!(
        fs::read_to_string(c.join("scores.csv")).unwrap(),
        fs::read_to_string(p.join("scores.csv")).unwrap()
    );
    assert_eq!(manifest(&p)["inputs"][0]["format"], "parquet");
}

#[test]
fn a_parquet_file_among_csv_files_reads_like_their_csv_together() {
    // A Parquet file's rows go straight into the ledger's builder, a CSV file's come from
    // the readers' builders: interleaved, every row must still land with its customer.
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(testdata("sample_ledger.csv")).unwrap();
    let header = text.lines().next().unwrap();
    // Later rows of customers the sample has, and of one it has not.
    let later = format!(
        "{header}\nINV900000001,C00165,2026-11-05,100.00,Training,North,Healthcare,1\n\
         INV900000001,C00165,2026-11-05,50.00,Software,North,Healthcare,1\n\
         INV900000002,C99999,2026-11-06,75.50,Software,East,Retail,2\n\
         INV900000003,C00214,2026-11-07,-10.00,Software,Central,Logistics,-1\n"
    );
    let later_path = tmp.path().join("later.csv");
    fs::write(&later_path, later).unwrap();
    let (csv, mixed, first) = (
        tmp.path().join("csv"),
        tmp.path().join("mixed"),
        tmp.path().join("first"),
    );
    score_ok(&[&testdata("sample_ledger.csv"), &later_path], &csv, &[]);
    score_ok(
        &[&testdata("sample_ledger.parquet"), &later_path],
        &mixed,
        &[],
    );
    score_ok(
        &[&later_path, &testdata("sample_ledger.parquet")],
        &first,
        &[],
    );
    let scores = fs::read_to_string(csv.join("scores.csv")).unwrap();
    assert!(scores.contains(",C99999,"), "the new customer is scored");
    for dir in [&mixed, &first] {
        assert_eq!(
            scores,
            fs::read_to_string(dir.join("scores.csv")).unwrap(),
            "{}",
            dir.display()
        );
    }
}

#[test]
fn as_of_ignores_later_rows_and_measures_recency_from_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    score_ok(
        &[&testdata("sample_ledger.csv")],
        &out,
        &["--as-of", "2026-06-30"],
    );
    let m = manifest(&out);
    assert_eq!(m["as_of"], "2026-06-30");
    assert_eq!(m["as_of_source"], "flag");
    let later = fs::read_to_string(testdata("sample_ledger.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(2).unwrap() > "2026-06-30")
        .count();
    assert!(later > 0);
    assert_eq!(m["rows"]["after_as_of"], later);
    let s = Table::read(&out.join("scores.csv"));
    for row in &s.rows {
        let last = &row[s.col("last_purchase")];
        assert!(last.as_str() <= "2026-06-30", "{last}");
        let (y, mo, d): (i32, u32, u32) = (
            last[0..4].parse().unwrap(),
            last[5..7].parse().unwrap(),
            last[8..10].parse().unwrap(),
        );
        let days = custscore::ledger::parse::days_from_civil(2026, 6, 30)
            - custscore::ledger::parse::days_from_civil(y, mo, d);
        assert_eq!(row[s.col("recency_days")], days.to_string());
    }
}

#[test]
fn returns_are_netted_and_a_customer_with_only_returns_is_not_scored() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    score_ok(&[&testdata("returns_only.csv")], &out, &[]);
    let s = Table::read(&out.join("scores.csv"));
    assert_eq!(s.column("customer_id"), ["BUYER"]);
    assert_eq!(manifest(&out)["customers"]["without_purchases"], 1);
    assert_eq!(manifest(&out)["base"]["return_rows"], 2);

    let ledger = tmp.path().join("l.csv");
    fs::write(&ledger, "invoice_id,customer_id,date,amount\nI1,A,2025-01-02,100\nI2,A,2025-01-05,40\nR1,A,2025-01-09,-30\nI3,B,2025-01-09,5\n").unwrap();
    score_ok(&[&ledger], &out, &[]);
    let s = Table::read(&out.join("scores.csv"));
    assert_eq!(s.get("A", "monetary"), "110.00");
    assert_eq!(s.get("A", "returns"), "30.00");
    assert_eq!(
        s.get("A", "frequency"),
        "2",
        "a return is not a purchase occasion"
    );
    assert_eq!(s.get("A", "last_purchase"), "2025-01-05");
    assert_eq!(s.get("A", "returns_share"), "0.2143");
}

#[test]
fn one_customer_all_equal_values_and_ties_at_a_bin_edge() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("one");
    score_ok(&[&testdata("one_customer.csv")], &out, &[]);
    let s = Table::read(&out.join("scores.csv"));
    assert_eq!(
        s.get("C1", "rfm_cell"),
        "333",
        "one customer sits in the middle bin"
    );
    assert_eq!(s.get("C1", "monetary"), "170.50");
    assert_eq!(s.get("C1", "frequency"), "3");
    assert_eq!(s.get("C1", "cycle_days"), "27.5");

    let out = tmp.path().join("equal");
    score_ok(&[&testdata("all_equal.csv")], &out, &[]);
    let s = Table::read(&out.join("scores.csv"));
    assert!(s.column("rfm_cell").iter().all(|c| *c == "333"));
    // Ties in value break by revenue (equal) and then by id.
    assert_eq!(s.column("customer_id"), ["A", "B", "C", "D", "E"]);

    let out = tmp.path().join("ties");
    score_ok(&[&testdata("ties_at_bin_edge.csv")], &out, &[]);
    let s = Table::read(&out.join("scores.csv"));
    let m: Vec<String> = ["K3", "K4", "K5"]
        .iter()
        .map(|k| s.get(k, "m_score"))
        .collect();
    assert!(
        m.iter().all(|x| *x == m[0]),
        "tied monetary values share one score: {m:?}"
    );
    let bins = &manifest(&out)["rfm_bins"]["monetary"];
    let total: u64 = bins
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 10);
}

#[test]
fn maps_columns_reads_semicolons_chinese_headers_and_a_bom() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("semi");
    score_ok(
        &[&testdata("semicolons.csv")],
        &out,
        &[
            "--columns",
            "customer=Kunde,date=Datum,amount=Betrag,invoice=Rechnung",
        ],
    );
    let s = Table::read(&out.join("scores.csv"));
    assert_eq!(s.get("K1", "monetary"), "140.50");
    assert_eq!(s.get("K2", "first_purchase"), "2025-02-03");
    assert_eq!(s.get("K3", "first_purchase"), "2025-03-04");
    assert_eq!(manifest(&out)["inputs"][0]["delimiter"], ";");

    let out = tmp.path().join("zh");
    score_ok(&[&testdata("chinese_headers_bom.csv")], &out, &[]);
    let s = Table::read(&out.join("scores.csv"));
    assert_eq!(s.get("甲001", "monetary"), "1500.50");
    assert_eq!(s.get("甲001", "industry"), "制造业");
    assert_eq!(s.get("甲001", "product_lines"), "2");
    assert_eq!(
        manifest(&out)["inputs"][0]["columns"]["customer"],
        "客户编号"
    );
}

#[test]
fn a_date_format_reads_day_first_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    score_ok(
        &[&testdata("day_first_dates.csv")],
        &out,
        &["--date-format", "%d/%m/%Y"],
    );
    let s = Table::read(&out.join("scores.csv"));
    assert_eq!(s.get("C1", "first_purchase"), "2025-04-03");
    assert_eq!(s.get("C2", "first_purchase"), "2025-04-13");
}

#[test]
fn a_config_file_changes_the_tier_rule_and_is_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    fs::write(&cfg, "[tiers]\nmethod = \"threshold\"\nstrategic = 85\npartner = 70\npriority = 50\n[value]\npotential_weight = 0\n").unwrap();
    let out = tmp.path().join("out");
    score_ok(
        &[&testdata("sample_ledger.csv")],
        &out,
        &["--config", cfg.to_str().unwrap()],
    );
    let s = Table::read(&out.join("scores.csv"));
    for row in &s.rows {
        let v: f64 = row[s.col("value_score")].parse().unwrap();
        let want = if v >= 85.0 {
            "strategic"
        } else if v >= 70.0 {
            "partner"
        } else if v >= 50.0 {
            "priority"
        } else {
            "ordinary"
        };
        assert_eq!(row[s.col("tier")], want, "value {v}");
        assert_eq!(
            row[s.col("value_score")],
            row[s.col("current_score")],
            "potential weight 0"
        );
    }
    assert_eq!(manifest(&out)["settings"]["tiers"]["method"], "threshold");
}

#[test]
fn attributes_add_names_industries_and_count_prospects() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    score_ok(
        &[&testdata("sample_ledger.csv")],
        &out,
        &[
            "--attributes",
            testdata("sample_attributes.csv").to_str().unwrap(),
        ],
    );
    let s = Table::read(&out.join("scores.csv"));
    let attrs = Table::read(&testdata("sample_attributes.csv"));
    let row = attrs
        .rows
        .iter()
        .find(|r| r[1].contains(',') && r[1].contains('"'))
        .expect("fixture has a name with a comma and quotes");
    assert_eq!(
        s.get(&row[0], "name"),
        row[1],
        "a name with a comma and quotes survives"
    );
    assert_eq!(s.get(&row[0], "industry"), row[2]);
    let prospects = attrs
        .column("customer_id")
        .iter()
        .filter(|id| id.starts_with('P'))
        .count();
    assert_eq!(manifest(&out)["customers"]["prospects"], prospects);
}

#[test]
fn help_shows_an_example() {
    custscore()
        .args(["score", "--help"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "custscore score testdata/sample_ledger.csv",
        ));
}

#[test]
fn backtest_counts_holdout_purchase_days_per_calibration_customer() {
    let tmp = tempfile::tempdir().unwrap();
    let l = tmp.path().join("l.csv");
    // A buys on 3 days before the cut and 2 after (one of them twice); B once before and never
    // again; C only after the cut (not a calibration customer); a return after the cut is
    // not a purchase.
    fs::write(
        &l,
        "customer_id,date,amount\nA,2025-01-05,10\nA,2025-02-05,10\nA,2025-03-05,10\nB,2025-02-10,5\n\
         A,2025-04-02,10\nA,2025-04-02,3\nA,2025-05-20,8\nB,2025-04-10,-5\nC,2025-04-15,50\n",
    )
    .unwrap();
    let out = tmp.path().join("bt");
    custscore()
        .args([
            "backtest",
            l.to_str().unwrap(),
            "--calibration-end",
            "2025-03-31",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .success();
    let rows = Table::read(&out.join("backtest_customers.csv"));
    assert_eq!(rows.column("customer_id"), ["A", "B"]);
    assert_eq!(rows.column("actual"), ["2", "0"]);
    assert_eq!(rows.column("x"), ["2", "0"]);
    assert_eq!(rows.column("t_x"), ["59", "0"]);
    assert_eq!(rows.column("T"), ["85", "49"]);
    let bt: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("backtest.json")).unwrap()).unwrap();
    assert_eq!(bt["actual_total"], 2);
    assert_eq!(bt["holdout_end"], "2025-05-20");
    assert_eq!(bt["holdout_days"], 50);
    // Without --model both count models are backtested side by side.
    assert_eq!(bt["models"][0]["model"], "bgnbd");
    assert_eq!(bt["models"][1]["model"], "pnbd");
    for (m, col) in [(0, "predicted_bgnbd"), (1, "predicted_pnbd")] {
        let predicted: f64 = rows
            .column(col)
            .iter()
            .map(|p| p.parse::<f64>().unwrap())
            .sum();
        let total = bt["models"][m]["predicted_total"].as_f64().unwrap();
        assert!(
            (total - predicted).abs() < 1e-3,
            "{col}: {total} vs {predicted}"
        );
        let mae = (rows.column(col).iter().zip(rows.column("actual")))
            .map(|(p, a)| (p.parse::<f64>().unwrap() - a.parse::<f64>().unwrap()).abs())
            .sum::<f64>()
            / 2.0;
        assert!((bt["models"][m]["mae"].as_f64().unwrap() - mae).abs() < 1e-3);
    }
    let by_f = Table::read(&out.join("backtest_by_frequency.csv"));
    assert_eq!(
        by_f.header,
        [
            "frequency",
            "customers",
            "mean_actual",
            "mean_predicted_bgnbd",
            "mean_predicted_pnbd"
        ]
    );
    // One model when asked; none is refused.
    custscore()
        .args([
            "backtest",
            l.to_str().unwrap(),
            "--calibration-end",
            "2025-03-31",
        ])
        .args(["--model", "pnbd", "--quiet", "--out", out.to_str().unwrap()])
        .assert()
        .success();
    let rows = Table::read(&out.join("backtest_customers.csv"));
    assert_eq!(
        rows.header,
        ["customer_id", "x", "t_x", "T", "actual", "predicted_pnbd"]
    );
    custscore()
        .args([
            "backtest",
            l.to_str().unwrap(),
            "--calibration-end",
            "2025-03-31",
        ])
        .args(["--model", "none", "--out", out.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("a backtest needs a model"));
}

#[test]
fn prospects_are_likely_when_referred_by_a_key_account_or_like_key_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let l = tmp.path().join("l.csv");
    // Customer K<i> buys i times, one a day, all up to the same last day; the four biggest
    // (K17..K20, the strategic and partner tiers of 20) are the only ones in industry A.
    let mut text = String::from("customer_id,date,amount,industry\n");
    for i in 1..=20 {
        for d in 0..i {
            text.push_str(&format!(
                "K{i},2025-03-{:02},{i},{}\n",
                28 - d,
                if i >= 17 { "A" } else { "B" }
            ));
        }
    }
    fs::write(&l, text).unwrap();
    let attrs = tmp.path().join("a.csv");
    fs::write(&attrs, "customer_id,name,industry,referrer\nP1,Alpha,A,\nP2,Beta,B,K20\nP3,Gamma,B,\nP4,Delta,B,K2\nK20,Top,A,\n").unwrap();
    let out = tmp.path().join("out");
    score_ok(&[&l], &out, &["--attributes", attrs.to_str().unwrap()]);
    let s = Table::read(&out.join("scores.csv"));
    assert_eq!(s.column("customer_id")[..4], ["K20", "K19", "K18", "K17"]);
    let p = Table::read(&out.join("prospects.csv"));
    assert_eq!(p.column("customer_id"), ["P1", "P2", "P3", "P4"]);
    assert_eq!(
        p.column("buyer_class"),
        ["likely", "likely", "possible", "possible"]
    );
    assert_eq!(
        p.get("P1", "lift"),
        "5.0000",
        "industry A: 4 of 4 are key accounts against 4 of 20"
    );
    assert_eq!(p.get("P2", "referrer_tier"), "strategic");
    assert_eq!(
        p.get("P4", "reason"),
        "referred by K2 (ordinary tier), not a key account"
    );
    assert_eq!(manifest(&out)["customers"]["prospects"], 4);
}

#[test]
fn a_utf16_ledger_is_known_by_its_byte_order_mark() {
    // What Excel's "Unicode Text" writes in a Chinese locale: UTF-16LE with a byte-order
    // mark, tabs, CRLF, dates as 2025/1/2. The rows are chinese_headers_bom.csv's; the
    // header's 类 is the bytes 7B 7C (a pipe).
    let tmp = tempfile::tempdir().unwrap();
    let fixture = testdata("unicode_text_utf16.txt");
    let utf8 = tmp.path().join("utf8");
    score_ok(&[&testdata("chinese_headers_bom.csv")], &utf8, &[]);
    let expected = std::fs::read(utf8.join("scores.csv")).unwrap();

    let le = tmp.path().join("le");
    score_ok(&[&fixture], &le, &[]);
    assert_eq!(std::fs::read(le.join("scores.csv")).unwrap(), expected);
    let input = &manifest(&le)["inputs"][0];
    assert_eq!(input["encoding"], "UTF-16LE");
    assert_eq!(input["delimiter"], "tab");
    assert_eq!(input["columns"]["product"], "产品类别");

    // The same text big-endian; and a mark wins over an --encoding that contradicts it.
    let be_file = tmp.path().join("be.txt");
    let bytes = std::fs::read(&fixture).unwrap();
    let swapped: Vec<u8> = bytes.chunks(2).flat_map(|p| [p[1], p[0]]).collect();
    std::fs::write(&be_file, swapped).unwrap();
    let be = tmp.path().join("be");
    score_ok(&[&be_file], &be, &["--encoding", "gbk"]);
    assert_eq!(std::fs::read(be.join("scores.csv")).unwrap(), expected);
    assert_eq!(manifest(&be)["inputs"][0]["encoding"], "UTF-16BE");
    // A UTF-8 ledger's manifest names no encoding.
    assert!(manifest(&utf8)["inputs"][0].get("encoding").is_none());
}

#[test]
fn a_ledger_of_quantities_and_unit_prices_is_scored_on_their_products() {
    // The UCI Online Retail ledger's shape: no amount column, Quantity × UnitPrice per line,
    // cancellations as negative quantities on C invoices, month-first dates with a time,
    // rows without a CustomerID, one description quoted for its comma.
    let tmp = tempfile::tempdir().unwrap();
    let fixture = testdata("online_retail.csv");
    let out = tmp.path().join("out");
    let flags = [
        "--date-format",
        "%m/%d/%Y",
        "--skip-bad-rows",
        "--model",
        "none",
    ];
    score_ok(&[&fixture], &out, &flags);
    let s = Table::read(&out.join("scores.csv"));
    // By hand: 17850 bought 6 × 2.55 + 6 × 3.39 + 8 × 2.75 (536365), 6 × 1.85 (536366) and
    // 12 × 3.75 (548955), and returned 2 × 3.75.
    let expected = [
        ("17850", "3", "106.24", "7.50"),
        ("13047", "1", "66.68", "0.00"),
        ("12583", "2", "189.00", "0.00"),
        ("15311", "1", "-3.40", "4.65"),
        ("12347", "2", "77.60", "0.00"),
    ];
    for (id, frequency, monetary, returns) in expected {
        let got = ["frequency", "monetary", "returns"].map(|c| s.get(id, c));
        assert_eq!(got, [frequency, monetary, returns], "{id}");
    }
    // 14527 only cancelled: no purchase, so not scored.
    assert_eq!(s.column("customer_id").len(), 5);
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
    assert_eq!(
        rejects.matches("customer id is empty").count(),
        2,
        "{rejects}"
    );
    let m = manifest(&out);
    let columns = &m["inputs"][0]["columns"];
    assert_eq!(
        (&columns["quantity"], &columns["price"]),
        (&"Quantity".into(), &"UnitPrice".into())
    );
    assert!(columns.get("amount").is_none());

    // Without the quote the plain reader reads it, to the same bytes.
    let plain = tmp.path().join("plain.csv");
    let text = std::fs::read_to_string(&fixture).unwrap();
    std::fs::write(
        &plain,
        text.replace("\"ALARM CLOCK BAKELIKE GREEN, BOXED\"", "GREEN"),
    )
    .unwrap();
    let out2 = tmp.path().join("plain");
    score_ok(&[&plain], &out2, &flags);
    assert_eq!(
        std::fs::read(out2.join("scores.csv")).unwrap(),
        std::fs::read(out.join("scores.csv")).unwrap()
    );

    // The same rows as the workbook's date-time and number cells (testdata/make_xlsx.py),
    // without --date-format.
    let book = tmp.path().join("book");
    score_ok(&[&testdata("online_retail.xlsx")], &book, &flags[2..]);
    assert_eq!(
        std::fs::read(book.join("scores.csv")).unwrap(),
        std::fs::read(out.join("scores.csv")).unwrap()
    );

    // A bad quantity or price is a bad row naming that column; an amount column wins.
    let bad = tmp.path().join("bad.csv");
    let text = text
        .replace(",32,12/1/2010", ",3x,12/1/2010")
        .replace(",18,12583", ",,12583");
    std::fs::write(&bad, &text).unwrap();
    let e = custscore()
        .args(["score", bad.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("bad"))
        .args(&flags[..2])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let e = String::from_utf8(e).unwrap();
    assert!(
        e.contains("line 6, column \"Quantity\": quantity \"3x\""),
        "{e}"
    );
    assert!(
        e.contains("line 9, column \"UnitPrice\": unit price is empty"),
        "{e}"
    );
    let with_amount = tmp.path().join("amount.csv");
    let text: String = std::fs::read_to_string(&fixture)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{l},Amount\n"),
            _ => format!("{l},1\n"),
        })
        .collect();
    std::fs::write(&with_amount, text).unwrap();
    let out3 = tmp.path().join("amount");
    score_ok(&[&with_amount], &out3, &flags);
    assert_eq!(
        Table::read(&out3.join("scores.csv")).get("17850", "monetary"),
        "6.00"
    );
}

#[test]
fn a_model_fit_on_a_handful_of_customers_writes_numbers_not_nan() {
    // Five customers: BG/NBD's fit runs to a ≈ 8e4, where its expected purchases once came
    // out NaN, in scores.csv and in the backtest's table and summary.
    let tmp = tempfile::tempdir().unwrap();
    let fixture = testdata("online_retail.csv");
    let out = tmp.path().join("out");
    score_ok(
        &[&fixture],
        &out,
        &["--date-format", "%m/%d/%Y", "--skip-bad-rows"],
    );
    let scores = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    assert!(!scores.contains("NaN"), "{scores}");
    let s = Table::read(&out.join("scores.csv"));
    for column in ["p_alive", "expected_purchases", "p_buy"] {
        assert!(
            s.column(column).iter().all(|v| v.parse::<f64>().is_ok()),
            "{column}"
        );
    }
    let bt = tmp.path().join("bt");
    custscore()
        .args(["backtest", fixture.to_str().unwrap(), "--out"])
        .arg(&bt)
        .args(["--date-format", "%m/%d/%Y", "--skip-bad-rows"])
        .args(["--calibration-end", "2010-12-31"])
        .assert()
        .success()
        .stderr(predicates::str::contains("NaN").not());
    let table = std::fs::read_to_string(bt.join("backtest_customers.csv")).unwrap();
    assert!(!table.contains("NaN"), "{table}");
    // Pareto/NBD's fit on the same customers runs off (r past 1e17, a log-likelihood of
    // exactly 0): not fitted, and said so, with no totals, errors or means of zeros.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bt.join("backtest.json")).unwrap()).unwrap();
    let pnbd = &report["models"][1];
    assert_eq!(pnbd["model"], "pnbd");
    assert!(
        pnbd["predicted_total"].is_null() && pnbd["mae"].is_null(),
        "{pnbd}"
    );
    assert!(report["models"][0]["mae"].is_f64());
    let by_frequency = std::fs::read_to_string(bt.join("backtest_by_frequency.csv")).unwrap();
    assert!(
        by_frequency.lines().nth(1).unwrap().ends_with(','),
        "{by_frequency}"
    );
    let pnbd_out = tmp.path().join("pnbd");
    custscore()
        .args(["score", fixture.to_str().unwrap(), "--out"])
        .arg(&pnbd_out)
        .args([
            "--date-format",
            "%m/%d/%Y",
            "--skip-bad-rows",
            "--model",
            "pnbd",
        ])
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "Pareto/NBD not fitted: its parameters ran off",
        ));
    let s = Table::read(&pnbd_out.join("scores.csv"));
    assert!(s.column("p_alive").iter().all(|v| v.is_empty()));

    // No repeat buyer before the calibration's end: neither model fitted, and the
    // backtest says so (it used to stop on an index out of bounds).
    custscore()
        .args(["backtest", fixture.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("bt0"))
        .args(["--date-format", "%m/%d/%Y", "--skip-bad-rows"])
        .args(["--calibration-end", "2010-12-01"])
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "BG/NBD not fitted, Pareto/NBD not fitted",
        ));
}

#[test]
fn a_gbk_ledger_is_read_with_encoding_gbk_and_refused_without() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    score_ok(
        &[&testdata("chinese_gbk.csv")],
        &out,
        &["--encoding", "gbk"],
    );
    let s = Table::read(&out.join("scores.csv"));
    assert_eq!(s.get("甲001", "monetary"), "1500.50");
    assert_eq!(s.get("甲001", "industry"), "制造业");
    assert_eq!(s.get("乙002", "industry"), "零售");
    assert_eq!(
        manifest(&out)["inputs"][0]["columns"]["customer"],
        "客户编号"
    );
    custscore()
        .args([
            "score",
            testdata("chinese_gbk.csv").to_str().unwrap(),
            "--out",
            tmp.path().join("o2").to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "chinese_gbk.csv: line 1: byte 0xBF is not UTF-8",
        ))
        .stderr(predicates::str::contains("--encoding gbk"));
    custscore()
        .args([
            "score",
            testdata("chinese_gbk.csv").to_str().unwrap(),
            "--encoding",
            "klingon",
            "--out",
            tmp.path().join("o3").to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--encoding: \"klingon\" is not an encoding name",
        ));
}
