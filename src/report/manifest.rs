//! `manifest.json`: what a run read, the settings in force, the bin edges and the counts, so
//! that a result can be traced and a later run compared with it. Every field but
//! `timings_ms` depends only on the inputs and settings.

use serde::Serialize;

use crate::classify::{BuyerClass, Tier};
use crate::config::Settings;
use crate::features::BaseFacts;
use crate::ledger::{parse::format_day, InputStats};
use crate::model::ModelReport;
use crate::pipeline::{AsOfSource, Scored};
use crate::score::RfmEdges;

/// Milliseconds spent in each stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub read_ms: u64,
    pub features_ms: u64,
    pub model_ms: u64,
    /// Of `model_ms`, the time spent fitting (the rest is predicting).
    pub model_fit_ms: u64,
    pub score_ms: u64,
    pub classify_ms: u64,
    pub write_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    pub tool: &'static str,
    pub version: &'static str,
    pub command: &'static str,
    pub as_of: String,
    pub as_of_source: AsOfSource,
    /// Language of the labels in the tables (`--lang`); not a setting, so two runs in
    /// different languages still compare.
    pub lang: crate::lang::Lang,
    /// The reading flags as given (`--columns`, `--encoding`, …, `--skip-bad-rows`).
    pub read: &'a crate::pipeline::ReadFlags,
    pub ledger_first_date: String,
    pub ledger_last_date: String,
    pub inputs: &'a [InputStats],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<AttributesInfo<'a>>,
    pub rows: RowCounts,
    pub customers: CustomerCounts,
    pub base: &'a BaseFacts,
    pub rfm_bins: &'a RfmEdges,
    pub model: &'a ModelReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<crate::compare::Summary>,
    pub settings: &'a Settings,
    /// The files this run wrote beside the manifest, in writing order.
    pub files: Vec<String>,
    pub timings_ms: &'a Timings,
}

#[derive(Debug, Serialize)]
pub struct AttributesInfo<'a> {
    pub path: &'a str,
    pub sha256: &'a str,
    pub customers: usize,
}

#[derive(Debug, Serialize)]
pub struct RowCounts {
    pub read: u64,
    pub rejected: u64,
    pub after_as_of: u64,
    pub used: u64,
}

#[derive(Debug, Serialize)]
pub struct CustomerCounts {
    pub scored: usize,
    pub without_purchases: usize,
    pub prospects: usize,
    pub strategic: usize,
    pub partner: usize,
    pub priority: usize,
    pub ordinary: usize,
    /// Buyer classes (all 0 without a model).
    pub likely: usize,
    pub possible: usize,
    pub unlikely: usize,
}

impl<'a> Manifest<'a> {
    pub fn new(s: &'a Scored, timings: &'a Timings) -> Manifest<'a> {
        let sum = |f: fn(&InputStats) -> u64| s.inputs.iter().map(f).sum::<u64>();
        let (read, rejected, after) = (
            sum(|i| i.rows_read),
            sum(|i| i.rows_rejected),
            sum(|i| i.rows_after_as_of),
        );
        let count = |t: Tier| s.tiers.iter().filter(|&&x| x == t).count();
        let buyers = |b: BuyerClass| s.buyer_class.iter().filter(|&&x| x == Some(b)).count();
        Manifest {
            tool: "custscore",
            version: env!("CARGO_PKG_VERSION"),
            command: "score",
            as_of: format_day(s.as_of),
            as_of_source: s.as_of_source,
            lang: s.lang,
            read: &s.read_flags,
            ledger_first_date: format_day(s.ledger_first_day),
            ledger_last_date: format_day(s.ledger_last_day),
            inputs: &s.inputs,
            attributes: s.attributes.as_ref().map(|a| AttributesInfo {
                path: &a.path,
                sha256: &a.sha256,
                customers: a.by_id.len(),
            }),
            rows: RowCounts {
                read,
                rejected,
                after_as_of: after,
                used: read - rejected - after,
            },
            customers: CustomerCounts {
                scored: s.customers.len(),
                without_purchases: s.facts.customers_without_purchases,
                prospects: s.prospects.len(),
                strategic: count(Tier::Strategic),
                partner: count(Tier::Partner),
                priority: count(Tier::Priority),
                ordinary: count(Tier::Ordinary),
                likely: buyers(BuyerClass::Likely),
                possible: buyers(BuyerClass::Possible),
                unlikely: buyers(BuyerClass::Unlikely),
            },
            base: &s.facts,
            rfm_bins: &s.scores.edges,
            model: &s.model,
            comparison: s.comparison.as_ref().map(|c| c.summary()),
            settings: &s.settings,
            files: Vec::new(),
            timings_ms: timings,
        }
    }
}
