//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987): while alive a customer buys as a
//! Poisson process with rate λ ~ Gamma(r, α); its lifetime is exponential with rate
//! μ ~ Gamma(s, β). The likelihood of (x, t_x, T) is (Fader & Hardie 2005, "A note on
//! deriving the Pareto/NBD model and related expressions"):
//!
//! ```text
//! L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s + s/(r+s+x) · A0 ]
//! A0 = F(t_x) − F(T),  F(t) = 2F1(r+s+x, b; r+s+x+1; |α−β|/(m+t)) / (m+t)^(r+s+x)
//! ```
//!
//! with m = max(α, β) and b = s+1 when α ≥ β, b = r+x when α < β. Everything here is
//! computed in logs, and s/(r+s+x)·A0 is computed as the integral it comes from,
//! s·∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ (the customer died at τ after the last
//! purchase), by Gauss–Legendre quadrature. Why not the 2F1 series: its argument
//! |α−β|/(m+t) tends to 1 when one of α, β is much larger than the other, which is what the
//! fit meets on a customer base with little dropout (s and β grow together); the series then
//! needs millions of terms, and in the direct form it overflows for customers with thousands
//! of purchases (a known `lifetimes` failure). The quadrature costs at most 1,024 terms and
//! cannot overflow. The tests check it against the 2F1 form where that converges. The
//! gradient comes from forward-mode automatic differentiation ([`super::dual`]) through the
//! same code.

use super::bgnbd;
use super::dual::D;
use super::optimize::Likelihood;

/// ln ∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ, the part of the likelihood of customers who
/// died between their last purchase and T (times s: it equals A0/(r+s+x) in the 2F1 form).
///
/// With y = ln((α+τ)/(α+t_x)) the integrand is exp(g(y)),
/// g(y) = −(r+x−1)·ln(α+τ) − (s+1)·ln(β+τ), whose slope is bounded by the parameters, so
/// 16-point Gauss–Legendre on panels over which g changes by at most about 2 is accurate to
/// rounding. For x ≥ 1, g falls by at least (r+x−1)·y, so the interval is cut where that
/// reaches 50 (the rest is below e^−50 of the whole). Summed in logs: no overflow whatever x.
fn ln_dead_integral(p: &[D; 4], x: f64, tx: f64, t: f64) -> D {
    let [r, alpha, s, beta] = *p;
    let k = r + x - 1.0;
    let base = alpha + tx;
    let ln_base = base.ln();
    let mut y_end = ((alpha + t) / base).ln();
    if k.v > 0.0 && y_end.v * k.v > 50.0 {
        y_end = D::cst(50.0) / k;
    }
    let beta_at = |y: D| beta + tx + base * y.exp_m1();
    let ln_beta_tx = (beta + tx).ln();
    let change = k.v.abs() * y_end.v + (s.v + 1.0) * (beta_at(y_end).ln() - ln_beta_tx).v;
    let panels = (change / 2.0).ceil().clamp(1.0, 64.0) as u32;
    let half = y_end * (0.5 / f64::from(panels));
    let ln_half = half.ln();
    let mut total = D::cst(f64::NEG_INFINITY);
    for p in 0..panels {
        let mid = half * (2.0 * f64::from(p) + 1.0);
        for &(node, weight) in &GAUSS_LEGENDRE_16 {
            let y = mid + half * node;
            let g = -(k * (ln_base + y)) - (s + 1.0) * beta_at(y).ln();
            total = total.log_add_exp(g + ln_half + weight.ln());
        }
    }
    total
}

/// The parts of one customer's log-likelihood: `ln_a1` (the Γ and power terms before the
/// bracket), `alive` = ln[(α+T)^−(r+x) (β+T)^−s] and `dead` = ln[s/(r+s+x) · A0]
/// (−∞ when t_x = T). ln L = ln_a1 + logaddexp(alive, dead); P(alive) = 1/(1 + e^(dead−alive)).
struct Terms {
    ln_a1: D,
    alive: D,
    dead: D,
}

fn terms(p: &[D; 4], x: f64, tx: f64, t: f64) -> Terms {
    let [r, alpha, s, beta] = *p;
    let rx = r + x;
    let ln_a1 = rx.ln_gamma() - r.ln_gamma() + r * alpha.ln() + s * beta.ln();
    let alive = -(rx * (alpha + t).ln()) - s * (beta + t).ln();
    let dead = if tx >= t {
        D::cst(f64::NEG_INFINITY)
    } else {
        s.ln() + ln_dead_integral(p, x, tx, t)
    };
    Terms { ln_a1, alive, dead }
}

/// The Pareto/NBD likelihood over the same grouped summary as BG/NBD.
pub struct Data<'a>(pub &'a bgnbd::Data);

impl Likelihood for Data<'_> {
    fn weight(&self) -> f64 {
        self.0.w.iter().sum()
    }

    fn ll_grad(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let params = [0, 1, 2, 3].map(|k| D::var(p[k], k));
        let d = self.0;
        super::optimize::sum_in_shares(d.x.len(), 5_000, |range| {
            let part = range.fold(D::cst(0.0), |acc, i| {
                let tm = terms(&params, d.x[i], d.tx[i], d.t[i]);
                acc + (tm.ln_a1 + tm.alive.log_add_exp(tm.dead)) * d.w[i]
            });
            (part.v, part.d)
        })
    }
}

/// Fitted Pareto/NBD parameters, in the time unit the data was given in.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Params {
    pub r: f64,
    pub alpha: f64,
    pub s: f64,
    pub beta: f64,
}

impl Params {
    pub fn from_slice(p: &[f64]) -> Params {
        Params {
            r: p[0],
            alpha: p[1],
            s: p[2],
            beta: p[3],
        }
    }

    fn consts(&self) -> [D; 4] {
        [self.r, self.alpha, self.s, self.beta].map(D::cst)
    }

    /// ln L for one customer (tests and the reference check).
    pub fn log_likelihood(&self, x: f64, tx: f64, t: f64) -> f64 {
        let tm = terms(&self.consts(), x, tx, t);
        (tm.ln_a1 + tm.alive.log_add_exp(tm.dead)).v
    }

    /// P(alive | x, t_x, T) = 1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A0).
    pub fn p_alive(&self, x: f64, tx: f64, t: f64) -> f64 {
        let tm = terms(&self.consts(), x, tx, t);
        1.0 / (1.0 + (tm.dead.v - tm.alive.v).exp())
    }

    /// E[X(T, T+h) | x, t_x, T] = P(alive) · (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+h))^(s−1)]
    /// (Schmittlein et al. 1987; the bracket over s−1 becomes ln((β+T+h)/(β+T)) at s = 1).
    pub fn expected_purchases(&self, x: f64, tx: f64, t: f64, h: f64) -> f64 {
        let Params { r, alpha, s, beta } = *self;
        let ln_q = ((beta + t) / (beta + t + h)).ln();
        let bracket = if (s - 1.0).abs() < 1e-10 {
            -ln_q
        } else {
            -((s - 1.0) * ln_q).exp_m1() / (s - 1.0)
        };
        self.p_alive(x, tx, t) * (r + x) * (beta + t) / (alpha + t) * bracket
    }

    /// P(at least one purchase in (T, T+h] | x, t_x, T). Alive at T, λ ~ Gamma(r+x, α+T) and
    /// μ ~ Gamma(s, β+T); a purchase comes before the end of the horizon and before death
    /// with probability λ/(λ+μ)·(1 − e^−(λ+μ)h) = ∫₀ʰ λ e^−(λ+μ)u du, so
    ///
    /// ```text
    /// p_buy = P(alive) · ∫₀ʰ (r+x)/(α+T) · ((α+T)/(α+T+u))^(r+x+1) · ((β+T)/(β+T+u))^s du
    /// ```
    ///
    /// Substituting w = (r+x)·ln(1 + u/(α+T)) turns it into
    /// ∫₀^W e^−w · ((β+T)/(β+T+u(w)))^s dw with W = (r+x)·ln(1 + h/(α+T)): smooth at unit
    /// scale in w whatever the purchase rate, integrated by 16-point Gauss–Legendre on panels
    /// at most 4 wide (W is capped at 45, past which e^−w is below 1e-19).
    pub fn p_buy(&self, x: f64, tx: f64, t: f64, h: f64) -> f64 {
        let Params { r, alpha, s, beta } = *self;
        let (k, theta, phi) = (r + x, alpha + t, beta + t);
        let w_max = (k * (h / theta).ln_1p()).min(45.0);
        let panels = (w_max / 4.0).ceil().max(1.0);
        let half = w_max / panels / 2.0;
        let mut integral = 0.0;
        for p in 0..panels as u32 {
            let mid = half * (2.0 * f64::from(p) + 1.0);
            for &(node, weight) in &GAUSS_LEGENDRE_16 {
                let w = mid + half * node;
                let u = theta * (w / k).exp_m1();
                integral += weight * half * (-w + s * (phi / (phi + u)).ln()).exp();
            }
        }
        self.p_alive(x, tx, t) * integral
    }
}

/// 16-point Gauss–Legendre nodes and weights on [−1, 1].
const GAUSS_LEGENDRE_16: [(f64, f64); 16] = [
    (-0.989_400_934_991_649_9, 0.027_152_459_411_754_09),
    (-0.944_575_023_073_232_6, 0.062_253_523_938_647_89),
    (-0.865_631_202_387_831_7, 0.095_158_511_682_492_78),
    (-0.755_404_408_355_003, 0.124_628_971_255_533_87),
    (-0.617_876_244_402_643_7, 0.149_595_988_816_576_73),
    (-0.458_016_777_657_227_4, 0.169_156_519_395_002_54),
    (-0.281_603_550_779_258_9, 0.182_603_415_044_923_59),
    (-0.095_012_509_837_637_44, 0.189_450_610_455_068_5),
    (0.095_012_509_837_637_44, 0.189_450_610_455_068_5),
    (0.281_603_550_779_258_9, 0.182_603_415_044_923_59),
    (0.458_016_777_657_227_4, 0.169_156_519_395_002_54),
    (0.617_876_244_402_643_7, 0.149_595_988_816_576_73),
    (0.755_404_408_355_003, 0.124_628_971_255_533_87),
    (0.865_631_202_387_831_7, 0.095_158_511_682_492_78),
    (0.944_575_023_073_232_6, 0.062_253_523_938_647_89),
    (0.989_400_934_991_649_9, 0.027_152_459_411_754_09),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::special::hyp2f1;

    /// Fader & Hardie's CDNOW Pareto/NBD estimates (weeks), as lifetimes also finds them.
    const FH: Params = Params {
        r: 0.5534,
        alpha: 10.5802,
        s: 0.6061,
        beta: 11.6686,
    };

    /// The likelihood written directly from the formula with the plain series (no Euler
    /// transformation, no logs): fine for small x.
    fn direct_ll(p: &Params, x: f64, tx: f64, t: f64) -> f64 {
        let Params { r, alpha, s, beta } = *p;
        let rsx = r + s + x;
        let (m, b) = if alpha >= beta {
            (alpha, s + 1.0)
        } else {
            (beta, r + x)
        };
        let gap = (alpha - beta).abs();
        let f = |time: f64| hyp2f1(rsx, b, rsx + 1.0, gap / (m + time)) / (m + time).powf(rsx);
        let a0 = f(tx) - f(t);
        let bracket = (alpha + t).powf(-(r + x)) * (beta + t).powf(-s) + s / rsx * a0;
        statrs::function::gamma::ln_gamma(r + x) - statrs::function::gamma::ln_gamma(r)
            + r * alpha.ln()
            + s * beta.ln()
            + bracket.ln()
    }

    #[test]
    fn the_likelihood_equals_the_formula_on_both_branches() {
        let beta_larger = Params { beta: 25.0, ..FH };
        for p in [FH, beta_larger] {
            for &(x, tx, t) in &[
                (0.0, 0.0, 38.0),
                (2.0, 30.43, 38.86),
                (7.0, 20.0, 35.0),
                (1.0, 38.0, 38.0),
            ] {
                let (ours, direct) = (p.log_likelihood(x, tx, t), direct_ll(&p, x, tx, t));
                assert!(
                    (ours - direct).abs() < 1e-10,
                    "{p:?} {x} {tx} {t}: {ours} vs {direct}"
                );
            }
        }
    }

    #[test]
    fn the_gradient_is_the_derivative_of_the_likelihood() {
        let data = bgnbd::Data {
            x: vec![0.0, 1.0, 4.0, 12.0, 3.0],
            tx: vec![0.0, 3.5, 20.0, 30.0, 31.0],
            t: vec![10.0, 25.0, 38.0, 31.0, 31.0],
            w: vec![3.0, 1.0, 2.0, 1.0, 2.0],
            days: None,
        };
        // Both branches: α > β and α < β.
        super::super::optimize::assert_gradient_matches(&Data(&data), &[0.7, 8.0, 1.3, 5.0]);
        super::super::optimize::assert_gradient_matches(&Data(&data), &[0.7, 5.0, 1.3, 9.0]);
    }

    #[test]
    fn predictions_match_lifetimes_on_hand_picked_customers() {
        // lifetimes 0.11.3 ParetoNBDFitter with params_ set to FH:
        // conditional_probability_alive(2, 30.43, 38.86) and
        // conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86).
        let alive = FH.p_alive(2.0, 30.43, 38.86);
        let expected = FH.expected_purchases(2.0, 30.43, 38.86, 39.0);
        assert!((alive - PNBD_ALIVE).abs() < 1e-9, "{alive}");
        assert!((expected - PNBD_EXPECTED).abs() < 1e-9, "{expected}");
        assert!((FH.p_alive(0.0, 0.0, 38.86) - PNBD_ALIVE_ZERO).abs() < 1e-9);
    }

    const PNBD_ALIVE: f64 = 0.869_143_352_545_520_6;
    const PNBD_EXPECTED: f64 = 1.455_200_984_981_943_8;
    const PNBD_ALIVE_ZERO: f64 = 0.295_154_994_965_909_3;

    #[test]
    fn p_buy_is_the_integral_it_claims_to_be() {
        // Brute force in u: trapezoid rule on 200,000 steps of the unsubstituted integrand.
        for &(x, tx, t, h) in &[
            (0.0, 0.0, 30.0, 13.0),
            (3.0, 20.0, 38.0, 13.0),
            (40.0, 37.0, 38.0, 52.0),
        ] {
            let Params { r, alpha, s, beta } = FH;
            let (k, theta, phi) = (r + x, alpha + t, beta + t);
            let f = |u: f64| {
                k / theta * (theta / (theta + u)).powf(k + 1.0) * (phi / (phi + u)).powf(s)
            };
            let steps = 200_000;
            let du = h / steps as f64;
            let brute: f64 = (0..steps)
                .map(|i| (f(i as f64 * du) + f((i + 1) as f64 * du)) / 2.0 * du)
                .sum::<f64>()
                * FH.p_alive(x, tx, t);
            let ours = FH.p_buy(x, tx, t, h);
            assert!(
                (ours - brute).abs() < 1e-8,
                "{x} {tx} {t} {h}: {ours} vs {brute}"
            );
            assert!(ours <= FH.p_alive(x, tx, t));
        }
        // Without dropout (s → 0) it is the BG/NBD-style closed form.
        let p = Params { s: 1e-12, ..FH };
        let want = p.p_alive(3.0, 20.0, 38.0)
            * (1.0 - ((FH.alpha + 38.0) / (FH.alpha + 38.0 + 13.0)).powf(FH.r + 3.0));
        assert!((p.p_buy(3.0, 20.0, 38.0, 13.0) - want).abs() < 1e-9);
    }

    #[test]
    fn thousands_of_purchases_do_not_overflow() {
        for p in [FH, Params { beta: 40.0, ..FH }] {
            let ll = p.log_likelihood(5000.0, 100.0, 101.0);
            assert!(ll.is_finite(), "{ll}");
            let alive = p.p_alive(5000.0, 50.0, 101.0);
            assert!((0.0..=1.0).contains(&alive));
            let e = p.expected_purchases(5000.0, 100.0, 101.0, 10.0);
            assert!(e.is_finite() && e > 0.0);
            assert!(p.p_buy(5000.0, 100.0, 101.0, 10.0) <= 1.0);
        }
    }
}
