//! custscore: turn a sales ledger into a ranked, tiered view of its customers.
//!
//! The pipeline runs one way, a module per stage:
//! `ledger` (read, map, validate) → `features` (per-customer metrics) → `model` (BG/NBD,
//! Pareto/NBD, Gamma-Gamma, CLV) → `score` (RFM, value) → `classify` (rank, tiers, buyer
//! classes, flags) → `report` (tables as CSV/Parquet/JSON/xlsx, charts, report.html,
//! manifest). [`pipeline::score`] runs the first four; [`report::write_all`] writes the
//! files; [`account`] writes one customer's review page.
//!
//! ```no_run
//! use custscore::{pipeline, progress::Progress, report::Timings};
//! let req = pipeline::Request { ledgers: vec!["testdata/sample_ledger.csv".into()], ..Default::default() };
//! let scored = pipeline::score(&req, &Progress::hidden(), &mut Timings::default()).unwrap();
//! println!("{} customers, best: {}", scored.customers.len(), &scored.customers.id[0]);
//! ```

pub mod account;
pub mod alloc;
pub mod attributes;
pub mod backtest;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod error;
pub mod features;
mod hint;
pub mod inspect;
pub mod lang;
pub mod ledger;
pub mod model;
mod par;
pub mod pipeline;
pub mod progress;
pub mod prospects;
pub mod report;
pub mod score;
pub mod synth;

/// A small deterministic generator of pseudo-random numbers for tests (xorshift64).
#[cfg(test)]
pub(crate) fn test_rng(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed.max(1);
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
