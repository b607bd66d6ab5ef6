//! The `score` job end to end: ledger → features → scores → classes. Called by the binary
//! and by library users, benches and examples; writing reports is a separate step
//! (`report::write_all`).

use std::path::PathBuf;
use std::time::Instant;

use crate::attributes::Attributes;
use crate::classify::{self, BuyerClass, Flags, Tier};
use crate::compare::{self, Comparison, RunRow};
use crate::config::Settings;
use crate::error::InputError;
use crate::features::{self, BaseFacts, Customers};
use crate::lang::Lang;
use crate::ledger::{self, parse::format_day, InputStats, ReadOptions, Reject};
use crate::model::{self, ModelReport, Predictions};
use crate::progress::Progress;
use crate::report::Timings;
use crate::score::{self, Scores};

/// What to score.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub ledgers: Vec<PathBuf>,
    pub read: ReadOptions,
    pub attributes: Option<PathBuf>,
    /// Worksheet of a workbook attributes file (`--attributes-sheet`).
    pub attributes_sheet: Option<String>,
    pub settings: Settings,
    /// A finished earlier run to compare with (`--previous`).
    pub previous: Option<PathBuf>,
    /// Customers whose rows and score parts to keep for account pages.
    pub detail: Vec<String>,
    /// Language of labels and prose in the reports (`--lang`).
    pub lang: Lang,
    /// The reading flags as given, for the manifest.
    pub read_flags: ReadFlags,
}

/// The reading flags of a run as given on the command line, recorded in its manifest
/// (`read`) so that a later `account RUN_DIR` reads the same ledger the same way.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ReadFlags {
    #[serde(flatten)]
    pub ledger: crate::cli::LedgerArgs,
    pub skip_bad_rows: bool,
    pub attributes_sheet: Option<String>,
}

/// One customer's ledger rows (up to the as-of date), for an account page.
#[derive(Debug, Clone, Default)]
pub struct CustomerRows {
    pub id: String,
    /// (day, amount, product line)
    pub rows: Vec<(i32, f64, Option<String>)>,
}

/// Where the as-of date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AsOfSource {
    /// `--as-of`.
    Flag,
    /// The ledger's last date.
    LedgerLastDate,
}

/// A scored customer base: columns indexed by customer, in rank order (index 0 is rank 1).
#[derive(Debug)]
pub struct Scored {
    pub customers: Customers,
    pub scores: Scores,
    pub tiers: Vec<Tier>,
    pub flags: Vec<Flags>,
    pub predictions: Predictions,
    /// From `p_buy`; `None` without a model.
    pub buyer_class: Vec<Option<BuyerClass>>,
    pub model: ModelReport,
    /// The comparison with `--previous`, aligned with the customers.
    pub comparison: Option<Comparison>,
    pub facts: BaseFacts,
    pub as_of: i32,
    pub as_of_source: AsOfSource,
    pub settings: Settings,
    pub inputs: Vec<InputStats>,
    pub rejects: Vec<Reject>,
    pub attributes: Option<Attributes>,
    /// Ids in the attributes file with no purchase up to the as-of date.
    pub prospects: Vec<String>,
    /// The rows of the customers in [`Request::detail`] that are in the ledger.
    pub detail: Vec<CustomerRows>,
    pub ledger_first_day: i32,
    pub ledger_last_day: i32,
    /// Language of labels and prose in the reports.
    pub lang: Lang,
    /// The reading flags as given.
    pub read_flags: ReadFlags,
}

impl Scored {
    /// The columns a later comparison needs, in rank order.
    pub fn run_rows(&self) -> Vec<RunRow> {
        (0..self.customers.len())
            .map(|i| RunRow {
                id: self.customers.id[i].to_string(),
                rank: i as u64 + 1,
                tier: self.tiers[i].as_str().to_string(),
                value: self.scores.value[i],
                monetary: self.customers.monetary[i],
            })
            .collect()
    }

    /// The customer's display name from the attributes file, if any.
    pub fn name(&self, i: usize) -> Option<&str> {
        self.attributes
            .as_ref()?
            .get(&self.customers.id[i])?
            .name
            .as_deref()
    }

    /// The segment name of customer `i`.
    pub fn segment(&self, i: usize) -> &str {
        self.scores.segment[i].map_or("Other", |k| self.settings.segments[k].name.as_str())
    }
}

/// Runs the pipeline. `timings` receives the time spent in each stage.
pub fn score(req: &Request, progress: &Progress, timings: &mut Timings) -> anyhow::Result<Scored> {
    let t = Instant::now();
    let previous = req
        .previous
        .as_deref()
        .map(|p| compare::read_run(p, "--previous"))
        .transpose()?;
    let attributes = req
        .attributes
        .as_deref()
        .map(|p| {
            Attributes::read(
                p,
                req.read
                    .columns
                    .0
                    .iter()
                    .find(|(r, _)| *r == ledger::Role::Customer)
                    .map(|(_, n)| n.as_str()),
                req.read.encoding,
                req.attributes_sheet.as_deref(),
            )
        })
        .transpose()?;
    let ledger = ledger::read_ledger(&req.ledgers, &req.read, progress)?;
    timings.read_ms = t.elapsed().as_millis() as u64;

    let t = Instant::now();
    let (Some(first_day), Some(last_day)) = (ledger.first_day, ledger.last_day) else {
        let read: u64 = ledger.inputs.iter().map(|i| i.rows_read).sum();
        let why = match req.read.as_of {
            Some(d) if ledger.inputs.iter().any(|i| i.rows_after_as_of > 0) => {
                format!("no rows on or before --as-of {}", format_day(d))
            }
            _ if read == 0 => "the ledger has a header but no rows".to_string(),
            _ => format!("all {read} rows were rejected (see rejects.csv)"),
        };
        return Err(InputError::Empty(format!("nothing to score: {why}")).into());
    };
    let (as_of, as_of_source) = match req.read.as_of {
        Some(d) => (d, AsOfSource::Flag),
        None => (last_day, AsOfSource::LedgerLastDate),
    };
    let window = features::trend_window(first_day, as_of, req.settings.trend.window_days);
    let parts = features::compute_parts(&ledger, as_of, window);
    let detail: Vec<CustomerRows> = req
        .detail
        .iter()
        .filter_map(|id| {
            let (block, k) = ledger.find_customer(id)?;
            let rows = block
                .rows()
                .filter(|r| r.customer == k && r.day <= as_of)
                .map(|r| {
                    let product = (r.product != ledger::NONE)
                        .then(|| ledger.products.get(r.product).to_string());
                    (r.day, r.amount, product)
                })
                .collect();
            Some(CustomerRows {
                id: id.clone(),
                rows,
            })
        })
        .collect();
    // The rows and id tables are done with: free them before the later stages (on a large
    // ledger they are the largest thing in memory).
    let (inputs, rejects) = (ledger.inputs, ledger.rejects);
    drop((ledger.blocks, ledger.products, ledger.industries));
    let (mut customers, facts) = parts.join();
    if customers.is_empty() {
        return Err(InputError::Empty(format!(
            "nothing to score: no purchase (a row with an amount of 0 or more) on or before {}; customers with only returns: {}",
            format_day(as_of),
            facts.customers_without_purchases
        ))
        .into());
    }
    if let Some(a) = &attributes {
        for i in 0..customers.len() {
            if let Some(ind) = a.get(&customers.id[i]).and_then(|x| x.industry.as_deref()) {
                customers.industry.set(i, ind);
            }
        }
    }
    let prospects = attributes
        .as_ref()
        .map(|a| {
            let scored_ids: std::collections::HashSet<&str> = customers.id.iter().collect();
            a.by_id
                .keys()
                .filter(|id| !scored_ids.contains(id.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    timings.features_ms = t.elapsed().as_millis() as u64;

    let t = Instant::now();
    let (predictions, model_report) = model::fit_and_predict(&customers, &req.settings.model);
    timings.model_ms = t.elapsed().as_millis() as u64;
    timings.model_fit_ms = model_report.fit_ms;

    let t = Instant::now();
    let clv = model_report
        .gamma_gamma
        .is_some()
        .then_some(predictions.clv.as_slice());
    let keep: Vec<usize> = req
        .detail
        .iter()
        .filter_map(|id| customers.id.iter().position(|c| c == id))
        .collect();
    let scores = score::score(
        &customers,
        facts.product_lines,
        attributes.as_ref(),
        clv,
        &req.settings,
        &keep,
    );
    timings.score_ms = t.elapsed().as_millis() as u64;

    let t = Instant::now();
    // The flags do not depend on the rank: they are raised while the rank is sorted.
    let (flags, (order, tiers)) = crate::par::join(
        || {
            classify::flags(
                &customers,
                &req.settings.flags,
                &predictions.p_alive,
                &req.settings.buyers,
            )
        },
        || {
            let order = classify::rank(&customers, &scores);
            let tiers = classify::tiers(&customers, &scores, &order, &req.settings);
            (order, tiers)
        },
    );
    // From here on the columns are in rank order, so reports read them front to back.
    // The customer columns on two threads of their own (`Customers::gather`), the rest here.
    let (customers, (scores, tiers, flags, predictions)) = crate::par::join(
        || customers.gather(&order),
        || {
            let scores = scores.gather(&order);
            let tiers: Vec<Tier> = order.iter().map(|&i| tiers[i]).collect();
            let flags: Vec<Flags> = order.iter().map(|&i| flags[i]).collect();
            (scores, tiers, flags, predictions.gather(&order))
        },
    );
    let buyer_class = (0..customers.len())
        .map(|i| BuyerClass::from_p_buy(model::at(&predictions.p_buy, i), &req.settings.buyers))
        .collect();
    timings.classify_ms = t.elapsed().as_millis() as u64;

    let mut scored = Scored {
        customers,
        scores,
        tiers,
        flags,
        predictions,
        buyer_class,
        model: model_report,
        comparison: None,
        facts,
        as_of,
        as_of_source,
        settings: req.settings.clone(),
        inputs,
        rejects,
        attributes,
        prospects,
        detail,
        ledger_first_day: first_day,
        ledger_last_day: last_day,
        lang: req.lang,
        read_flags: req.read_flags.clone(),
    };
    if let Some(prev) = &previous {
        let settings = serde_json::to_value(&scored.settings).ok();
        scored.comparison = Some(compare::compare(
            prev,
            &scored.run_rows(),
            settings.as_ref(),
        ));
    }
    Ok(scored)
}
