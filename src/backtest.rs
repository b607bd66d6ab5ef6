//! `custscore backtest`: fit the models on the calibration period (rows up to
//! `--calibration-end`), predict each calibration customer's purchase days in the holdout
//! period (to `--holdout-end`), and compare with what happened: totals, per-customer MAE and
//! RMSE, and mean predicted against mean actual by calibration frequency (0, 1, … 7+), the
//! standard check of Fader, Hardie & Lee (2005, figure 3). Each model asked for is fitted and
//! scored on the same split (by default BG/NBD and Pareto/NBD side by side).

use anyhow::Context;
use serde::Serialize;

use crate::config::ModelKind;
use crate::error::InputError;
use crate::features;
use crate::ledger::{self, parse::format_day};
use crate::model::{self, ModelReport};
use crate::pipeline::Request;
use crate::progress::Progress;
use crate::report::{fixed, OutDir};

/// One calibration customer's inputs, prediction and outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub customer_id: String,
    /// Repeat purchase days in the calibration period.
    pub x: u32,
    pub t_x: i32,
    pub t: i32,
    /// Expected purchase days in the holdout period, one per model in [`Backtest::models`]
    /// order (`None` when that model could not be fitted).
    pub predicted: Vec<Option<f64>>,
    /// Purchase days in the holdout period.
    pub actual: u32,
}

/// Mean predicted and actual holdout purchases of the customers with one calibration frequency.
#[derive(Debug, Clone, Serialize)]
pub struct FrequencyRow {
    /// "0" … "6", then "7+".
    pub frequency: String,
    pub customers: usize,
    pub mean_actual: f64,
    /// One per model, in [`Backtest::models`] order (`None` for a model not fitted).
    pub mean_predicted: Vec<Option<f64>>,
}

/// One model's fit and errors; no totals or errors for a model that could not be fitted
/// (`null` in backtest.json, "not fitted" in the summary).
#[derive(Debug, Serialize)]
pub struct ModelResult {
    pub model: ModelKind,
    pub predicted_total: Option<f64>,
    pub mae: Option<f64>,
    pub rmse: Option<f64>,
    pub fit: ModelReport,
}

/// A finished backtest.
#[derive(Debug, Serialize)]
pub struct Backtest {
    #[serde(skip)]
    pub customers: Vec<Row>,
    #[serde(serialize_with = "as_date")]
    pub calibration_end: i32,
    #[serde(serialize_with = "as_date")]
    pub holdout_end: i32,
    pub holdout_days: i32,
    pub customers_in_calibration: usize,
    pub actual_total: u64,
    pub models: Vec<ModelResult>,
    pub by_frequency: Vec<FrequencyRow>,
}

fn as_date<S: serde::Serializer>(d: &i32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_day(*d))
}

/// Runs a backtest of each of `models`. `req.read.as_of` is the holdout end, if given.
pub fn run(
    req: &Request,
    calibration_end: i32,
    models: &[ModelKind],
    progress: &Progress,
) -> anyhow::Result<Backtest> {
    let ledger = ledger::read_ledger(&req.ledgers, &req.read, progress)?;
    let (Some(first), Some(last)) = (ledger.first_day, ledger.last_day) else {
        return Err(
            InputError::Empty("nothing to backtest: the ledger has no usable rows".into()).into(),
        );
    };
    let holdout_end = req.read.as_of.unwrap_or(last);
    if calibration_end < first || calibration_end >= holdout_end {
        return Err(InputError::flag(
            "--calibration-end",
            format!("{} is not inside the ledger's dates {} .. {} (it must leave a holdout period after it)", format_day(calibration_end), format_day(first), format_day(holdout_end)),
        )
        .into());
    }
    let calibration = ledger.until(calibration_end);
    let window = features::trend_window(first, calibration_end, req.settings.trend.window_days);
    let (customers, _) = features::compute(&calibration, calibration_end, window);
    if customers.is_empty() {
        return Err(InputError::Empty(format!(
            "nothing to backtest: no purchase on or before {}",
            format_day(calibration_end)
        ))
        .into());
    }
    let holdout_days = holdout_end - calibration_end;
    let fits: Vec<(model::Predictions, ModelReport)> = models
        .iter()
        .map(|&m| {
            let mut settings = req.settings.model.clone();
            settings.horizon_days = holdout_days as u32;
            settings.model = m;
            model::fit_and_predict(&customers, &settings)
        })
        .collect();

    // Purchase days in the holdout period, per customer (interner index).
    let mut days: Vec<(u32, i32)> = ledger
        .rows_by_customer()
        .filter(|(_, r)| r.day > calibration_end && r.day <= holdout_end && r.amount >= 0.0)
        .map(|(c, r)| (c, r.day))
        .collect();
    days.sort_unstable();
    days.dedup();
    let mut actual_by_customer = vec![0u32; ledger.customer_count()];
    for (c, _) in &days {
        actual_by_customer[*c as usize] += 1;
    }

    let mut rows: Vec<Row> = (0..customers.len())
        .map(|i| {
            let idx = ledger
                .customer_index(&customers.id[i])
                .context("a calibration customer is in the ledger")?;
            Ok(Row {
                customer_id: customers.id[i].to_string(),
                x: customers.order_days[i] - 1,
                t_x: customers.last_purchase[i] - customers.first_purchase[i],
                t: customers.tenure_days[i],
                predicted: fits
                    .iter()
                    .map(|f| model::at(&f.0.expected_purchases, i))
                    .collect(),
                actual: actual_by_customer[idx as usize],
            })
        })
        .collect::<anyhow::Result<_>>()?;
    rows.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));

    let n = rows.len() as f64;
    let actual_total: u64 = rows.iter().map(|r| u64::from(r.actual)).sum();
    // A model with no prediction for anyone was not fitted (too few repeat buyers, a fit
    // that ran off): no totals, errors or means for it, rather than zeros.
    let fitted: Vec<bool> = (0..models.len())
        .map(|m| rows.iter().any(|r| r.predicted[m].is_some()))
        .collect();
    let results = fits
        .into_iter()
        .enumerate()
        .map(|(m, (_, fit))| {
            let err = |r: &Row| r.predicted[m].unwrap_or(0.0) - f64::from(r.actual);
            let fitted = fitted[m];
            ModelResult {
                model: models[m],
                predicted_total: fitted
                    .then(|| rows.iter().filter_map(|r| r.predicted[m]).sum::<f64>()),
                mae: fitted.then(|| rows.iter().map(|r| err(r).abs()).sum::<f64>() / n),
                rmse: fitted.then(|| (rows.iter().map(|r| err(r).powi(2)).sum::<f64>() / n).sqrt()),
                fit,
            }
        })
        .collect();
    let by_frequency = (0..=7u32)
        .map(|f| {
            let members: Vec<&Row> = rows
                .iter()
                .filter(|r| if f < 7 { r.x == f } else { r.x >= 7 })
                .collect();
            let k = members.len();
            let mean = |v: f64| if k == 0 { 0.0 } else { v / k as f64 };
            FrequencyRow {
                frequency: if f < 7 { f.to_string() } else { "7+".into() },
                customers: k,
                mean_actual: mean(members.iter().map(|r| f64::from(r.actual)).sum()),
                mean_predicted: (0..models.len())
                    .map(|m| {
                        let sum = members.iter().filter_map(|r| r.predicted[m]).sum();
                        fitted[m].then(|| mean(sum))
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(Backtest {
        customers_in_calibration: rows.len(),
        customers: rows,
        calibration_end,
        holdout_end,
        holdout_days,
        actual_total,
        models: results,
        by_frequency,
    })
}

/// A model's short name in column names: `bgnbd`, `pnbd`.
fn key(m: ModelKind) -> &'static str {
    match m {
        ModelKind::Bgnbd => "bgnbd",
        ModelKind::Pnbd => "pnbd",
        ModelKind::None => "none",
    }
}

/// Writes `backtest.json`, `backtest_by_frequency.csv` and `backtest_customers.csv`.
/// With `charts`, also `charts/backtest_by_frequency.{png,svg}`, its text in `lang`.
pub fn write(
    bt: &Backtest,
    mut out: OutDir,
    charts: Option<crate::report::charts::ChartFormat>,
    lang: crate::lang::Lang,
) -> anyhow::Result<()> {
    out.write("backtest_customers.csv", |w| {
        let mut c = csv::Writer::from_writer(w);
        let mut header: Vec<String> = ["customer_id", "x", "t_x", "T", "actual"]
            .map(String::from)
            .to_vec();
        header.extend(
            bt.models
                .iter()
                .map(|m| format!("predicted_{}", key(m.model))),
        );
        c.write_record(&header)?;
        for r in &bt.customers {
            let mut rec = vec![
                crate::report::csvfmt::cell(&r.customer_id).into_owned(),
                r.x.to_string(),
                r.t_x.to_string(),
                r.t.to_string(),
                r.actual.to_string(),
            ];
            rec.extend(
                r.predicted
                    .iter()
                    .map(|p| p.map_or(String::new(), |p| fixed(p, 4))),
            );
            c.write_record(&rec)?;
        }
        c.flush()?;
        Ok(())
    })?;
    out.write("backtest_by_frequency.csv", |w| {
        let mut c = csv::Writer::from_writer(w);
        let mut header: Vec<String> = ["frequency", "customers", "mean_actual"]
            .map(String::from)
            .to_vec();
        header.extend(
            bt.models
                .iter()
                .map(|m| format!("mean_predicted_{}", key(m.model))),
        );
        c.write_record(&header)?;
        for r in &bt.by_frequency {
            let mut rec = vec![
                r.frequency.clone(),
                r.customers.to_string(),
                fixed(r.mean_actual, 4),
            ];
            rec.extend(
                r.mean_predicted
                    .iter()
                    .map(|p| p.map_or(String::new(), |p| fixed(p, 4))),
            );
            c.write_record(&rec)?;
        }
        c.flush()?;
        Ok(())
    })?;
    out.write("backtest.json", |w| {
        serde_json::to_writer_pretty(&mut *w, bt)?;
        w.write_all(b"\n")?;
        Ok(())
    })?;
    if let Some(format) = charts {
        let chart = crate::report::charts::backtest_chart(bt, format, lang)?;
        crate::report::write_charts(&mut out, std::slice::from_ref(&chart), format)?;
    }
    out.commit(&[])
}
