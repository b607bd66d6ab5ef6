//! The whole `score` command, from ledger to reports, on small ledgers built from the fuzzer's
//! bytes: a handful of customers, dates over a few years, amounts with returns, zeros, ties
//! and a rare bad field, and the flags that change the later stages (model, as-of date,
//! previous run, language, formats). The reader has its own target; this one is for the
//! stages after it (features, quantile bins, model fits, tiers, charts, report.html, xlsx).
//! It must never panic; a run that succeeds must rank every customer once, with scores in
//! range.
#![no_main]

use clap::Parser;
use custscore::ledger::parse::civil_from_days as civil;
use libfuzzer_sys::fuzz_target;
use std::fmt::Write;

const PRODUCTS: [&str; 4] = ["Software", "Hardware", "Training", ""];
const INDUSTRIES: [&str; 4] = ["Retail", "Health", "零售", ""];

fuzz_target!(|data: &[u8]| {
    let [opts, as_of, more, rest @ ..] = data else {
        return;
    };
    let (with_invoice, with_product, with_industry) = (opts & 1 != 0, opts & 2 != 0, opts & 4 != 0);
    let mut csv = String::from("customer_id,date,amount");
    for (on, name) in [
        (with_invoice, "invoice_id"),
        (with_product, "product_line"),
        (with_industry, "industry"),
    ] {
        if on {
            write!(csv, ",{name}").unwrap();
        }
    }
    csv.push('\n');
    for r in rest.chunks_exact(5) {
        let customer = r[0] % 24;
        let day = u16::from_le_bytes([r[1], r[2]]) % 1500;
        let raw = i16::from_le_bytes([r[3], r[4]]);
        let (y, m, d) = civil(19_000 + i32::from(day));
        let amount = match raw {
            i16::MIN => "n/a".to_string(),
            i16::MAX => "1000000000".to_string(),
            v => format!("{:.2}", f64::from(v) / 4.0),
        };
        write!(csv, "C{customer:02},{y:04}-{m:02}-{d:02},{amount}").unwrap();
        if with_invoice {
            write!(
                csv,
                ",I{}",
                (u32::from(day) * 7 + u32::from(r[0] >> 5)) % 97
            )
            .unwrap();
        }
        if with_product {
            write!(csv, ",{}", PRODUCTS[usize::from(r[3] & 3)]).unwrap();
        }
        if with_industry {
            write!(csv, ",{}", INDUSTRIES[usize::from(r[0] >> 6)]).unwrap();
        }
        csv.push('\n');
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = dir.path().join("ledger.csv");
    std::fs::write(&ledger, &csv).expect("write ledger");
    let out = dir.path().join("out");
    let mut args: Vec<String> = vec!["custscore".into(), "score".into()];
    args.push(ledger.display().to_string());
    args.extend(["--out".into(), out.display().to_string(), "-q".into()]);
    args.extend([
        "--model".into(),
        ["bgnbd", "pnbd", "none"][usize::from(opts >> 3) % 3].into(),
    ]);
    if opts & 0x20 != 0 {
        args.push("--skip-bad-rows".into());
    }
    if *as_of != 0 {
        let (y, m, d) = civil(19_000 + i32::from(*as_of) * 6);
        args.extend(["--as-of".into(), format!("{y:04}-{m:02}-{d:02}")]);
    }
    if more & 1 != 0 {
        args.extend(["--lang".into(), "zh".into()]);
    }
    if more & 2 != 0 {
        args.push("--xlsx".into());
    }
    args.extend([
        "--chart-format".into(),
        ["svg", "png"][usize::from(more >> 2) & 1].into(),
    ]);
    if more & 8 != 0 {
        args.extend(["--format".into(), "json".into()]);
    }
    let run = |args: &[String]| {
        let cli = custscore::cli::Cli::try_parse_from(args).expect("the flags are valid");
        custscore::commands::run(cli)
    };
    if run(&args).is_err() {
        return;
    }
    if more & 8 == 0 {
        check_scores(&std::fs::read_to_string(out.join("scores.csv")).expect("scores.csv"));
        // The same ledger again, compared with the run just made.
        let again = dir.path().join("again");
        let mut next = args.clone();
        let at = next.iter().position(|a| a == "--out").unwrap() + 1;
        next[at] = again.display().to_string();
        next.extend(["--previous".into(), out.display().to_string()]);
        run(&next).expect("a second run on the same ledger succeeds");
        check_scores(&std::fs::read_to_string(again.join("scores.csv")).expect("scores.csv"));
    }
});

/// Ranks 1..n in order, each customer once, scores within 0..100.
fn check_scores(text: &str) {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (rank, id, value) = (col("rank"), col("customer_id"), col("value_score"));
    let mut seen = std::collections::HashSet::new();
    for (k, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[rank], (k + 1).to_string(), "rank of line {}", k + 2);
        assert!(seen.insert(f[id].to_string()), "{} ranked twice", f[id]);
        let v: f64 = f[value].parse().expect("value_score is a number");
        assert!((0.0..=100.0).contains(&v), "value_score {v}");
    }
    assert!(!seen.is_empty(), "a successful run ranks someone");
}
