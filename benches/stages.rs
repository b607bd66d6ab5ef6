//! Criterion benchmarks of the hot stages on a generated ledger (200k rows, 20k customers):
//! reading the CSV, per-customer features, scoring, ranking and tiering, writing scores.csv.
//!
//! `cargo bench --bench stages`

use std::io::BufWriter;

use criterion::{criterion_group, criterion_main, Criterion};
use custscore::config::Settings;
use custscore::ledger::{read_ledger, ReadOptions};
use custscore::pipeline::{self, Request};
use custscore::progress::Progress;
use custscore::report::{write_all, OutDir, Outputs, Timings};
use custscore::{classify, features, score, synth};

fn stages(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ledger.csv");
    let lines = synth::generate(200_000, 20_000, 42);
    synth::write_csv(
        &mut BufWriter::new(std::fs::File::create(&path).unwrap()),
        &lines,
        20_000,
        42,
    )
    .unwrap();
    let opts = ReadOptions::default();
    let settings = Settings::default();

    c.bench_function("read_csv_200k_rows", |b| {
        b.iter(|| read_ledger(std::slice::from_ref(&path), &opts, &Progress::hidden()).unwrap())
    });
    let ledger = read_ledger(std::slice::from_ref(&path), &opts, &Progress::hidden()).unwrap();
    let as_of = ledger.last_day.unwrap();
    let window = features::trend_window(ledger.first_day.unwrap(), as_of, None);
    c.bench_function("features_20k_customers", |b| {
        b.iter(|| features::compute(&ledger, as_of, window))
    });
    let (customers, facts) = features::compute(&ledger, as_of, window);
    c.bench_function("score_20k_customers", |b| {
        b.iter(|| score::score(&customers, facts.product_lines, None, None, &settings, &[]))
    });
    let scores = score::score(&customers, facts.product_lines, None, None, &settings, &[]);
    c.bench_function("rank_tier_flag_20k_customers", |b| {
        b.iter(|| {
            let order = classify::rank(&customers, &scores);
            (
                classify::tiers(&customers, &scores, &order, &settings),
                classify::flags(&customers, &settings.flags, &[], &settings.buyers),
            )
        })
    });
    let req = Request {
        ledgers: vec![path.clone()],
        ..Request::default()
    };
    let scored = pipeline::score(&req, &Progress::hidden(), &mut Timings::default()).unwrap();
    let out = tmp.path().join("out");
    c.bench_function("write_reports_20k_customers", |b| {
        b.iter(|| {
            write_all(
                &scored,
                OutDir::prepare(&out).unwrap(),
                Outputs::default(),
                &mut Timings::default(),
            )
            .unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = stages
}
criterion_main!(benches);
