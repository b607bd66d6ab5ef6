//! The model stage: buy-till-you-die models fitted by maximum likelihood on the whole
//! customer base, and what they predict per customer (DOMAIN.md, "Probabilistic buying").
//!
//! Inputs follow the literature: a purchase occasion is a distinct purchase day; x is the
//! number of occasions after the first, t_x the time from the first to the last, T the time
//! from the first to the as-of date (all from `features`). Customers with the same
//! (x, t_x, T) are fitted and predicted once.

mod bgnbd;
pub mod dual;
mod gamma_gamma;
pub mod optimize;
mod pnbd;
pub mod special;

use serde::Serialize;

pub use bgnbd::Params as BgNbdParams;
pub use gamma_gamma::Params as GammaGammaParams;
use optimize::{maximise, Fit};
pub use pnbd::Params as ParetoNbdParams;

use crate::config::{ModelKind, ModelSettings, TimeUnit};
use crate::features::Customers;

/// Per-customer predictions, indexed like [`Customers`]; `None` where no model could be fitted.
/// A column is empty (no values at all) when its model was not fitted (`--model none`, or a
/// fit that failed): read values with [`at`], which gives `None` for those.
#[derive(Debug, Clone, Default)]
pub struct Predictions {
    /// Probability that the customer is still active at the as-of date.
    pub p_alive: Vec<Option<f64>>,
    /// Expected purchase occasions in the horizon.
    pub expected_purchases: Vec<Option<f64>>,
    /// Probability of at least one purchase in the horizon.
    pub p_buy: Vec<Option<f64>>,
    /// Expected net value per occasion (Gamma-Gamma).
    pub expected_spend: Vec<Option<f64>>,
    /// Discounted expected value of the horizon's purchases.
    pub clv: Vec<Option<f64>>,
}

/// Customer `i`'s value in a prediction column; `None` where there is none, and for every
/// customer when the column is empty (no model fitted).
pub fn at(column: &[Option<f64>], i: usize) -> Option<f64> {
    column.get(i).copied().flatten()
}

impl Predictions {
    /// Columns for `n` customers, every value `None` until predicted.
    fn unknown(n: usize) -> Self {
        Predictions {
            p_alive: vec![None; n],
            expected_purchases: vec![None; n],
            p_buy: vec![None; n],
            expected_spend: vec![None; n],
            clv: vec![None; n],
        }
    }

    /// The predictions in the given order (see [`Customers::gather`]).
    pub fn gather(mut self, order: &[usize]) -> Predictions {
        let mut columns = crate::features::Regather::new(order);
        for v in [
            &mut self.p_alive,
            &mut self.expected_purchases,
            &mut self.p_buy,
            &mut self.expected_spend,
            &mut self.clv,
        ] {
            // An empty column (no model) stays empty.
            if !v.is_empty() {
                columns.apply(v);
            }
        }
        self
    }
}

/// What was fitted, for the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct ModelReport {
    pub model: ModelKind,
    pub time_unit: TimeUnit,
    pub horizon_days: u32,
    pub discount_rate: f64,
    /// Customers in the fit, repeat buyers among them, and distinct (x, t_x, T) groups.
    pub customers: usize,
    pub repeat_buyers: usize,
    pub groups: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bgnbd: Option<FittedModel<BgNbdParams>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pnbd: Option<FittedModel<ParetoNbdParams>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gamma_gamma: Option<FittedModel<GammaGammaParams>>,
    /// Why a model is missing or should not be trusted.
    pub warnings: Vec<String>,
    /// Milliseconds spent fitting BG/NBD and Gamma-Gamma (not predicting); goes to the
    /// manifest's `timings_ms`, not here, so the model report stays deterministic.
    #[serde(skip)]
    pub fit_ms: u64,
}

/// Parameters and the fit that produced them. The log-likelihood is for the data in
/// `time_unit` (for BG/NBD it changes with the unit; the parameters r, a, b do not, α scales).
#[derive(Debug, Clone, Serialize)]
pub struct FittedModel<P> {
    pub params: P,
    pub log_likelihood: f64,
    pub iterations: u64,
    pub converged: bool,
    pub gradient_norm: f64,
    pub termination: String,
}

fn fitted<P>(params: P, fit: &Fit) -> FittedModel<P> {
    FittedModel {
        params,
        log_likelihood: fit.log_likelihood,
        iterations: fit.iterations,
        converged: fit.converged,
        gradient_norm: fit.gradient_norm,
        termination: fit.termination.clone(),
    }
}

/// The fitted purchase-count model.
#[derive(Debug, Clone, Copy)]
enum Counting {
    Bg(BgNbdParams),
    Pnbd(ParetoNbdParams),
}

impl Counting {
    fn p_alive(&self, x: f64, tx: f64, t: f64) -> f64 {
        match self {
            Counting::Bg(p) => p.p_alive(x, tx, t),
            Counting::Pnbd(p) => p.p_alive(x, tx, t),
        }
    }
    fn expected_purchases(&self, x: f64, tx: f64, t: f64, h: f64) -> f64 {
        match self {
            Counting::Bg(p) => p.expected_purchases(x, tx, t, h),
            Counting::Pnbd(p) => p.expected_purchases(x, tx, t, h),
        }
    }
    fn p_buy(&self, x: f64, tx: f64, t: f64, h: f64) -> f64 {
        match self {
            Counting::Bg(p) => p.p_buy(x, tx, t, h),
            Counting::Pnbd(p) => p.p_buy(x, tx, t, h),
        }
    }
}

/// Length of one CLV step in days: value is discounted at the end of each 30-day step.
const CLV_STEP_DAYS: u32 = 30;

/// A fitted parameter at or above this (2^53) is a fit the likelihood could not follow.
const MAX_PARAMETER: f64 = 9_007_199_254_740_992.0;

/// Fits the models and predicts for every customer.
pub fn fit_and_predict(c: &Customers, s: &ModelSettings) -> (Predictions, ModelReport) {
    let n = c.len();
    let unit = s.time_unit.days();
    let mut report = ModelReport {
        model: s.model,
        time_unit: s.time_unit,
        horizon_days: s.horizon_days,
        discount_rate: s.discount_rate,
        customers: n,
        repeat_buyers: c.order_days.iter().filter(|&&d| d > 1).count(),
        groups: 0,
        bgnbd: None,
        pnbd: None,
        gamma_gamma: None,
        warnings: Vec::new(),
        fit_ms: 0,
    };
    // No model, or none fitted: no values at all (on a million customers, five columns of
    // `None` would be 80 MB written for nothing).
    let none = Predictions::default();
    let fit_started = std::time::Instant::now();
    if s.model == ModelKind::None {
        return (none, report);
    }

    // Group customers by (x, t_x, T) in days, sorted (x first): the order the likelihood's
    // per-x cache wants, and a fixed order for every sum whatever the ledger's row order.
    // One packed key per customer and an unstable sort: a million customers in tens of ms.
    let key = |i: usize| -> u128 {
        let (x, tx, t) = (
            c.order_days[i] - 1,
            (c.last_purchase[i] - c.first_purchase[i]) as u32,
            c.tenure_days[i] as u32,
        );
        (u128::from(x) << 64) | (u128::from(tx) << 32) | u128::from(t)
    };
    let unpack = |k: u128| ((k >> 64) as u32, (k >> 32) as u32 as i32, k as u32 as i32);
    let mut keyed: Vec<(u128, u32)> = (0..n).map(|i| (key(i), i as u32)).collect();
    keyed.sort_unstable();
    // `group_of[i]`: customer i's group; `keys[g]`: group g's (x, t_x, T).
    let mut group_of = vec![0u32; n];
    let mut keys: Vec<(u32, i32, i32)> = Vec::new();
    let mut data = bgnbd::Data::default();
    let (mut days_tx, mut days_t) = (Vec::new(), Vec::new());
    for (k, i) in &keyed {
        let (x, tx, t) = unpack(*k);
        if keys.last() != Some(&(x, tx, t)) {
            keys.push((x, tx, t));
            data.x.push(f64::from(x));
            data.tx.push(f64::from(tx) / unit);
            data.t.push(f64::from(t) / unit);
            data.w.push(0.0);
            days_tx.push(tx as u32);
            days_t.push(t as u32);
        }
        *data.w.last_mut().expect("a group") += 1.0;
        group_of[*i as usize] = (keys.len() - 1) as u32;
    }
    drop(keyed);
    data.days = Some(bgnbd::Days::new(days_tx, days_t, unit));
    report.groups = keys.len();
    let name = s.model.label();
    if report.repeat_buyers == 0 {
        report.warnings.push(format!("{name} not fitted: no customer has bought on two different days, so the model cannot be identified; the model columns are empty"));
        return (none, report);
    }
    let mean_t =
        data.t.iter().zip(&data.w).map(|(t, w)| t * w).sum::<f64>() / data.w.iter().sum::<f64>();
    let fit = match s.model {
        ModelKind::Pnbd => maximise(
            &pnbd::Data(&data),
            &[
                vec![1.0, mean_t.max(1e-3), 1.0, mean_t.max(1e-3)],
                vec![0.5, (mean_t / 4.0).max(1e-3), 0.5, (mean_t / 2.0).max(1e-3)],
                vec![1.0, 1.0, 1.0, 1.0],
            ],
        ),
        _ => maximise(
            &data,
            &[
                vec![1.0, mean_t.max(1e-3), 1.0, 1.0],
                vec![0.5, (mean_t / 4.0).max(1e-3), 0.8, 2.5],
                vec![0.25, 1.0, 0.8, 2.5],
            ],
        ),
    };
    let Some(fit) = fit else {
        report.warnings.push(format!("{name} not fitted: the likelihood could not be maximised from any starting point; the model columns are empty"));
        return (none, report);
    };
    // Past 2^53 a parameter no longer changes when a customer's purchase count is added to
    // it (r + x = r): the likelihood has stopped seeing the data, and the optimiser's
    // "maximum" is a rounding artefact (a Pareto/NBD fit on five customers ended at r = 1.2e17
    // with a log-likelihood of exactly 0).
    if fit
        .params
        .iter()
        .any(|p| !p.is_finite() || *p >= MAX_PARAMETER)
    {
        let largest = fit.params.iter().copied().fold(0.0, f64::max);
        report.warnings.push(format!(
            "{name} not fitted: its parameters ran off to {largest:.1e}, past what the likelihood can be computed at ({} customers, {} repeat buyers are too few to identify the model); the model columns are empty",
            report.customers, report.repeat_buyers
        ));
        return (none, report);
    }
    if !fit.converged {
        report.warnings.push(format!(
            "{name} did not converge (largest gradient {:.2e} after {} iterations): treat its predictions with care",
            fit.gradient_norm, fit.iterations
        ));
    }
    let counting = match s.model {
        ModelKind::Pnbd => {
            let p = ParetoNbdParams::from_slice(&fit.params);
            if p.s > 1e3 {
                report.warnings.push(format!(
                    "Pareto/NBD: s and β grew together without bound (s = {:.3e}): the data show no spread in dropout rates, so every customer's is about s/β = {:.3e} per {}; the predictions are the model's limit",
                    p.s,
                    p.s / p.beta,
                    s.time_unit.singular()
                ));
            }
            report.pnbd = Some(fitted(p, &fit));
            Counting::Pnbd(p)
        }
        _ => {
            let p = BgNbdParams::from_slice(&fit.params);
            report.bgnbd = Some(fitted(p, &fit));
            Counting::Bg(p)
        }
    };

    // Gamma-Gamma on repeat buyers with a positive mean repeat value, sorted by (x, m): the
    // likelihood's per-x cache, and a summation order fixed by the values alone (customers
    // with equal (x, m) are interchangeable).
    let mut spenders: Vec<(u32, u64)> = (0..n)
        .filter(|&i| c.order_days[i] > 1)
        .filter_map(|i| c.repeat_value[i].map(|m| (c.order_days[i] - 1, m.to_bits())))
        .collect();
    spenders.sort_unstable();
    let gg = if spenders.len() < 2 {
        report.warnings.push(format!("Gamma-Gamma not fitted: {} repeat buyer(s) with a positive repeat value; expected_spend and clv are empty", spenders.len()));
        None
    } else {
        let gdata = gamma_gamma::Data::new(
            spenders.iter().map(|&(x, _)| f64::from(x)).collect(),
            spenders.iter().map(|&(_, m)| f64::from_bits(m)).collect(),
        );
        let mean_m = gdata.m.iter().sum::<f64>() / gdata.m.len() as f64;
        match maximise(
            &gdata,
            &[
                vec![1.0, 2.0, mean_m],
                vec![5.0, 3.0, mean_m / 2.0],
                vec![1.0, 1.0, 1.0],
            ],
        ) {
            Some(fit) => {
                let p = GammaGammaParams::from_slice(&fit.params);
                if !fit.converged {
                    report.warnings.push(format!("Gamma-Gamma did not converge (largest gradient {:.2e}): treat expected_spend with care", fit.gradient_norm));
                }
                if p.q <= 1.0 {
                    report.warnings.push(format!("Gamma-Gamma q = {:.4} <= 1: the mean spend does not exist; expected_spend and clv are empty", p.q));
                }
                report.gamma_gamma = Some(fitted(p, &fit));
                Some(p)
            }
            None => {
                report.warnings.push("Gamma-Gamma not fitted: the likelihood could not be maximised; expected_spend and clv are empty".into());
                None
            }
        }
    };

    report.fit_ms = fit_started.elapsed().as_millis() as u64;

    // Predictions per group, then per customer.
    let h = f64::from(s.horizon_days);
    let steps: Vec<f64> = (1..=s.horizon_days.div_ceil(CLV_STEP_DAYS))
        .map(|k| f64::from((k * CLV_STEP_DAYS).min(s.horizon_days)))
        .collect();
    // Per group (p_alive, expected purchases, p_buy), and the expected purchases by the end
    // of each CLV step, `steps.len()` values per group in one buffer: half a million groups
    // are no half a million allocations (made on two threads at once, they contended for
    // the allocator's lock).
    let predict = |part: &[(u32, i32, i32)]| -> (Vec<(f64, f64, f64)>, Vec<f64>) {
        let mut cumulative = Vec::with_capacity(part.len() * steps.len());
        let per_group = part
            .iter()
            .map(|k| {
                let (x, tx, t) = (f64::from(k.0), f64::from(k.1) / unit, f64::from(k.2) / unit);
                cumulative.extend(
                    steps
                        .iter()
                        .map(|&d| counting.expected_purchases(x, tx, t, d / unit)),
                );
                // The last step ends at the horizon, so it is the horizon's expectation too.
                let expected = *cumulative.last().expect("at least one step");
                (
                    counting.p_alive(x, tx, t),
                    expected,
                    counting.p_buy(x, tx, t, h / unit),
                )
            })
            .collect();
        (per_group, cumulative)
    };
    // Groups are independent: one contiguous share per core.
    let threads = crate::par::cores();
    let chunk = keys.len().div_ceil(threads).max(1);
    let (per_group, cumulative): (Vec<(f64, f64, f64)>, Vec<f64>) = std::thread::scope(|scope| {
        let handles: Vec<_> = keys
            .chunks(chunk)
            .map(|part| scope.spawn(|| predict(part)))
            .collect();
        let mut all: (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
        for h in handles {
            let (groups, cumulative) = h.join().expect("a prediction thread panicked");
            if all.0.is_empty() {
                all = (groups, cumulative);
            } else {
                all.0.extend(groups);
                all.1.extend(cumulative);
            }
        }
        all
    });
    let discount: Vec<f64> = steps
        .iter()
        .map(|&d| (1.0 + s.discount_rate).powf(-d / 365.0))
        .collect();
    let mut out = Predictions::unknown(n);
    // A prediction the fitted numbers cannot give (a degenerate fit) is left empty, never
    // written as NaN; -0 is written as 0.
    let known = |v: f64| v.is_finite().then_some(v + 0.0);
    let mut unknown = 0usize;
    for (i, &g) in group_of.iter().enumerate() {
        let g = g as usize;
        let (alive, expected, buy) = per_group[g];
        let cumulative = &cumulative[g * steps.len()..(g + 1) * steps.len()];
        let (alive, expected, buy) = (known(alive), known(expected), known(buy));
        unknown += usize::from(alive.is_none() || expected.is_none() || buy.is_none());
        out.p_alive[i] = alive;
        out.expected_purchases[i] = expected;
        out.p_buy[i] = buy;
        let spend =
            gg.and_then(|g| g.expected_spend(f64::from(c.order_days[i] - 1), c.repeat_value[i]));
        out.expected_spend[i] = spend;
        out.clv[i] = spend
            .map(|m| {
                let mut before = 0.0;
                cumulative
                    .iter()
                    .zip(&discount)
                    .map(|(&e, &d)| {
                        let v = (e - before) * m * d;
                        before = e;
                        v
                    })
                    .sum()
            })
            .and_then(known);
    }
    if unknown > 0 {
        report.warnings.push(format!(
            "{name}: the fitted parameters give no number for {unknown} customer(s) (a degenerate fit); their model columns are empty"
        ));
    }
    (out, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn without_a_model_the_prediction_columns_are_empty_and_read_as_none() {
        let mut c = Customers::default();
        for (id, days) in [("A", 1), ("B", 3), ("C", 2)] {
            c.id.push(id);
            c.order_days.push(days);
        }
        let mut s = Settings::default().model;
        s.model = ModelKind::None;
        let (p, report) = fit_and_predict(&c, &s);
        assert_eq!((report.customers, report.repeat_buyers), (3, 2));
        let columns = |p: &Predictions| {
            [
                &p.p_alive,
                &p.expected_purchases,
                &p.p_buy,
                &p.expected_spend,
                &p.clv,
            ]
            .map(Vec::len)
        };
        assert_eq!(columns(&p), [0; 5]);
        assert!((0..3).all(|i| at(&p.p_buy, i).is_none() && at(&p.clv, i).is_none()));
        // Put in rank order, they stay empty.
        assert_eq!(columns(&p.gather(&[2, 0, 1])), [0; 5]);
        // A filled column reads through, missing values and past the end as `None`.
        let col = [Some(0.25), None];
        assert_eq!(
            (at(&col, 0), at(&col, 1), at(&col, 2)),
            (Some(0.25), None, None)
        );
    }
}
