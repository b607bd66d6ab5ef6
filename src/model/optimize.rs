//! Maximum likelihood with argmin's L-BFGS (More-Thuente line search) over the logarithms
//! of the parameters, so every parameter stays positive without bounds. The objective is
//! the mean negative log-likelihood and its exact (analytic) gradient.

use argmin::core::{
    CostFunction, Error, Executor, Gradient, State, TerminationReason, TerminationStatus,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

/// A log-likelihood and its gradient with respect to the (positive) parameters.
pub trait Likelihood: Sync {
    /// Total log-likelihood and gradient at `params`; both summed over the data.
    fn ll_grad(&self, params: &[f64]) -> (f64, Vec<f64>);
    /// Total weight (number of customers), to scale the objective to a mean.
    fn weight(&self) -> f64;
}

/// Sums a likelihood and its K-gradient over `n` data items in eight fixed contiguous shares
/// on their own threads (one share below `min_parallel` items), added in share order: the
/// sum, and so the fit, is the same on any number of cores.
pub fn sum_in_shares<const K: usize>(
    n: usize,
    min_parallel: usize,
    part: impl Fn(std::ops::Range<usize>) -> (f64, [f64; K]) + Sync,
) -> (f64, Vec<f64>) {
    let shares = if n < min_parallel { 1 } else { 8 };
    let part = &part;
    let parts: Vec<(f64, [f64; K])> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..shares)
            .map(|k| s.spawn(move || part(n * k / shares..n * (k + 1) / shares)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a likelihood thread panicked"))
            .collect()
    });
    let mut ll = 0.0;
    let mut g = [0.0; K];
    for (l, gk) in parts {
        ll += l;
        for k in 0..K {
            g[k] += gk[k];
        }
    }
    (ll, g.to_vec())
}

/// The outcome of a fit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fit {
    pub params: Vec<f64>,
    /// Total log-likelihood at `params`.
    pub log_likelihood: f64,
    pub iterations: u64,
    /// The gradient (with respect to log-parameters, per customer) is small at the optimum.
    pub converged: bool,
    /// Largest absolute gradient component at the optimum (per customer, log-parameters).
    pub gradient_norm: f64,
    pub termination: String,
}

/// A point, and the cost and gradient there.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

struct Objective<'a, L: Likelihood> {
    model: &'a L,
    /// The last point evaluated: the line search asks for the cost and then the gradient
    /// at the same point, and one likelihood pass gives both.
    last: std::sync::Mutex<Option<Evaluated>>,
}

impl<'a, L: Likelihood> Objective<'a, L> {
    fn new(model: &'a L) -> Self {
        Objective {
            model,
            last: std::sync::Mutex::new(None),
        }
    }

    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let mut last = self.last.lock().expect("objective cache lock");
        if let Some((t, c, g)) = last.as_ref() {
            if t.as_slice() == theta {
                return (*c, g.clone());
            }
        }
        let (c, g) = self.eval_uncached(theta);
        *last = Some((theta.to_vec(), c, g.clone()));
        (c, g)
    }

    fn eval_uncached(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let p: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
        let (ll, g) = self.model.ll_grad(&p);
        let w = self.model.weight();
        let grad = g.iter().zip(&p).map(|(g, p)| -g * p / w).collect();
        let cost = -ll / w;
        // A non-finite value makes the line search step back instead of failing.
        if cost.is_finite() {
            (cost, grad)
        } else {
            (f64::MAX, vec![0.0; theta.len()])
        }
    }
}

impl<L: Likelihood> CostFunction for Objective<'_, L> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, theta: &Self::Param) -> Result<f64, Error> {
        Ok(self.eval(theta).0)
    }
}

impl<L: Likelihood> Gradient for Objective<'_, L> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, theta: &Self::Param) -> Result<Vec<f64>, Error> {
        Ok(self.eval(theta).1)
    }
}

/// Maximises the likelihood from the first starting point; the others are tried only when
/// that fit fails or does not converge, and the best is kept.
///
/// Stopping: the gradient of the mean log-likelihood with respect to the log-parameters
/// below 1e-8 (at that point the log-likelihood is within about n·1e-16 of its maximum,
/// below the rounding of its sum), or no relative change in the cost above 1e-14.
pub fn maximise<L: Likelihood>(model: &L, starts: &[Vec<f64>]) -> Option<Fit> {
    let objective = Objective::new(model);
    let mut best: Option<Fit> = None;
    for start in starts {
        let theta0: Vec<f64> = start.iter().map(|p| p.ln()).collect();
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
            .with_tolerance_grad(1e-8)
            .and_then(|s| s.with_tolerance_cost(1e-14))
            .expect("valid tolerances");
        let run = Executor::new(Objective::new(model), solver)
            .configure(|s| s.param(theta0).max_iters(1000))
            .run();
        let Ok(res) = run else { continue };
        let state = res.state();
        let Some(theta) = state.get_best_param().cloned() else {
            continue;
        };
        let (cost, grad) = objective.eval(&theta);
        if !cost.is_finite() || cost == f64::MAX {
            continue;
        }
        let gradient_norm = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        let termination = match state.get_termination_status() {
            TerminationStatus::Terminated(r) => format!("{r:?}"),
            TerminationStatus::NotTerminated => "not terminated".into(),
        };
        let stopped_well = matches!(
            state.get_termination_status(),
            TerminationStatus::Terminated(TerminationReason::SolverConverged)
                | TerminationStatus::Terminated(TerminationReason::SolverExit(_))
        );
        let fit = Fit {
            params: theta.iter().map(|t| t.exp()).collect(),
            log_likelihood: -cost * model.weight(),
            iterations: state.get_iter(),
            converged: gradient_norm < 1e-5 || (stopped_well && gradient_norm < 1e-3),
            gradient_norm,
            termination,
        };
        let converged = fit.converged;
        if best
            .as_ref()
            .is_none_or(|b| fit.log_likelihood > b.log_likelihood)
        {
            best = Some(fit);
        }
        if converged {
            break;
        }
    }
    best
}

/// Checks an analytic gradient against central finite differences (tests only).
#[cfg(test)]
pub fn assert_gradient_matches<L: Likelihood>(model: &L, p: &[f64]) {
    let (_, g) = model.ll_grad(p);
    for k in 0..p.len() {
        let h = 1e-6 * p[k];
        let (mut up, mut down) = (p.to_vec(), p.to_vec());
        up[k] += h;
        down[k] -= h;
        let numeric = (model.ll_grad(&up).0 - model.ll_grad(&down).0) / (2.0 * h);
        assert!(
            (numeric - g[k]).abs() < 1e-5 * (1.0 + numeric.abs()),
            "param {k}: {numeric} vs {}",
            g[k]
        );
    }
}
