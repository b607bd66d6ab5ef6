//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
//! customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each purchase it
//! drops out with probability p ~ Beta(a, b).
//!
//! Per customer with x repeat purchases, the last at t_x, observed for T (eq. 6 of the paper,
//! in log space as in the `lifetimes` package):
//!
//! ```text
//! ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
//!        + ln[ (α+T)^−(r+x) + 1{x>0} · a/(b+x−1) · (α+t_x)^−(r+x) ]
//! ```

use statrs::function::gamma::{digamma, ln_gamma};

use super::optimize::Likelihood;
use super::special::{hyp2f1, ln_beta};

/// Customers grouped by identical (x, t_x, T), with their count, sorted by x (the
/// likelihood computes the terms that depend on x alone once per run of equal x).
#[derive(Debug, Clone, Default)]
pub struct Data {
    pub x: Vec<f64>,
    pub tx: Vec<f64>,
    pub t: Vec<f64>,
    pub w: Vec<f64>,
    /// t_x and T as whole days, when they are (always, from a ledger): the likelihood then
    /// looks ln(α+t) and 1/(α+t) up in a table over the ledger's few thousand distinct day
    /// counts instead of computing them for every group.
    pub days: Option<Days>,
}

/// [`Data::tx`] and [`Data::t`] as whole days, and the days per time unit.
#[derive(Debug, Clone, Default)]
pub struct Days {
    tx: Vec<u32>,
    t: Vec<u32>,
    unit: f64,
    /// The largest day count: the table's length less one.
    max: u32,
}

impl Days {
    pub fn new(tx: Vec<u32>, t: Vec<u32>, unit: f64) -> Days {
        let max = t.iter().chain(&tx).copied().max().unwrap_or(0);
        Days { tx, t, unit, max }
    }
}

impl Likelihood for Data {
    fn weight(&self) -> f64 {
        self.w.iter().sum()
    }

    fn ll_grad(&self, p: &[f64]) -> (f64, Vec<f64>) {
        // Groups are independent: eight contiguous shares on their own threads, summed in
        // share order, so the sum (and so the fit) is the same on any number of cores.
        let n = self.x.len();
        let alpha = p[1];
        let table: Option<Vec<(f64, f64)>> = self.days.as_ref().map(|d| {
            (0..=d.max)
                .map(|day| {
                    let v = alpha + f64::from(day) / d.unit;
                    (v.ln(), 1.0 / v)
                })
                .collect()
        });
        let table = table.as_deref();
        super::optimize::sum_in_shares(n, 20_000, |range| self.ll_grad_range(p, table, range))
    }
}

impl Data {
    /// `table[d]` = (ln(α + d/unit), 1/(α + d/unit)) when the data has whole days.
    fn ll_grad_range(
        &self,
        p: &[f64],
        table: Option<&[(f64, f64)]>,
        range: std::ops::Range<usize>,
    ) -> (f64, [f64; 4]) {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let (lg_r, ln_alpha, lb_ab, ln_a) = (ln_gamma(r), alpha.ln(), ln_beta(a, b), a.ln());
        let (dg_r, dg_ab, dg_b) = (digamma(r), digamma(a + b), digamma(b));
        let mut ll = 0.0;
        let mut g = [0.0; 4];
        // The Γ and ψ terms depend on x alone: compute them once per distinct x.
        let mut cached_x = f64::NAN;
        let (mut a12, mut d_r, mut d_a, mut d_b, mut ln_odds) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in range {
            let (x, tx, t, w) = (self.x[i], self.tx[i], self.t[i], self.w[i]);
            if x != cached_x {
                cached_x = x;
                let dg_abx = digamma(a + b + x);
                a12 = ln_gamma(r + x) - lg_r + r * ln_alpha + ln_beta(a, b + x) - lb_ab;
                d_r = digamma(r + x) - dg_r + ln_alpha;
                d_a = dg_ab - dg_abx;
                d_b = dg_ab + digamma(b + x) - dg_b - dg_abx;
                ln_odds = if x > 0.0 {
                    ln_a - (b + x - 1.0).ln()
                } else {
                    0.0
                };
            }
            let ((ln_t, inv_t), (ln_tx, inv_tx)) = match (table, &self.days) {
                (Some(tab), Some(d)) => (tab[d.t[i] as usize], tab[d.tx[i] as usize]),
                _ => (
                    ((alpha + t).ln(), 1.0 / (alpha + t)),
                    ((alpha + tx).ln(), 1.0 / (alpha + tx)),
                ),
            };
            let a3 = -(r + x) * ln_t;
            // ln(e^a3 + e^a4) and the second term's share e^a4 / (e^a3 + e^a4), with one exp.
            let (a34, share4) = if x > 0.0 {
                let d = ln_odds - (r + x) * ln_tx - a3;
                let e = (-d.abs()).exp();
                if d > 0.0 {
                    (a3 + d + e.ln_1p(), 1.0 / (1.0 + e))
                } else {
                    (a3 + e.ln_1p(), e / (1.0 + e))
                }
            } else {
                (a3, 0.0)
            };
            ll += w * (a12 + a34);
            let share3 = 1.0 - share4;
            // ∂/∂r, ∂/∂α, ∂/∂a, ∂/∂b
            g[0] += w * (d_r - share3 * ln_t - share4 * ln_tx);
            g[1] += w * (r / alpha - (r + x) * (share3 * inv_t + share4 * inv_tx));
            g[2] += w * (d_a + share4 / a);
            g[3] += w * (d_b - if x > 0.0 { share4 / (b + x - 1.0) } else { 0.0 });
        }
        (ll, g)
    }
}

/// Fitted BG/NBD parameters, in the time unit the data was given in.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Params {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl Params {
    pub fn from_slice(p: &[f64]) -> Params {
        Params {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
        }
    }

    /// ln of the second term's weight against the first: a/(b+x−1) · ((α+T)/(α+t_x))^(r+x).
    fn ln_odds_dead(&self, x: f64, tx: f64, t: f64) -> Option<f64> {
        (x > 0.0).then(|| {
            (self.a / (self.b + x - 1.0)).ln()
                + (self.r + x) * ((self.alpha + t) / (self.alpha + tx)).ln()
        })
    }

    /// P(alive | x, t_x, T) = 1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
    pub fn p_alive(&self, x: f64, tx: f64, t: f64) -> f64 {
        match self.ln_odds_dead(x, tx, t) {
            Some(l) => 1.0 / (1.0 + l.exp()),
            None => 1.0,
        }
    }

    /// E[X(T, T+h) | x, t_x, T], the paper's eq. 10:
    ///
    /// ```text
    /// (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+h))^(r+x) · 2F1(r+x, b+x; a+b+x−1; h/(α+T+h))] · P(alive)
    /// ```
    ///
    /// By Euler's transformation ((α+T)/(α+T+h))^(r+x) · 2F1(r+x, b+x; c; z) equals
    /// (1−z)^(a−1) · 2F1(a+b−1−r, a−1; c; z) with c = a+b+x−1 and z = h/(α+T+h), whose
    /// series does not blow up for customers with many purchases. Of the two equal forms the
    /// one whose series starts with the smaller ratio is summed: the transformed one for
    /// fits like CDNOW's, the paper's own when a is huge (a fit on a handful of customers
    /// that ran to a → ∞, where the transformed series overflowed and gave NaN).
    pub fn expected_purchases(&self, x: f64, tx: f64, t: f64, h: f64) -> f64 {
        let Params { r, alpha, a, b } = *self;
        let c = a + b + x - 1.0;
        let z = h / (alpha + t + h);
        let euler = ((a + b - 1.0 - r) * (a - 1.0)).abs() <= ((r + x) * (b + x)).abs();
        let tail = if euler {
            (1.0 - z).powf(a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
        } else {
            (1.0 - z).powf(r + x) * hyp2f1(r + x, b + x, c, z)
        };
        (a + b + x - 1.0) / (a - 1.0) * (1.0 - tail) * self.p_alive(x, tx, t)
    }

    /// P(at least one purchase in (T, T+h] | x, t_x, T): alive, and the Poisson process with
    /// λ ~ Gamma(r+x, α+T) fires: P(alive) · (1 − ((α+T)/(α+T+h))^(r+x)).
    pub fn p_buy(&self, x: f64, tx: f64, t: f64, h: f64) -> f64 {
        let none = ((self.alpha + t) / (self.alpha + t + h)).powf(self.r + x);
        self.p_alive(x, tx, t) * (1.0 - none)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fader, Hardie & Lee's CDNOW estimates (weeks): r = 0.243, α = 4.414, a = 0.793, b = 2.426.
    const FHL: Params = Params {
        r: 0.242_593,
        alpha: 4.413_532,
        a: 0.792_886,
        b: 2.425_752,
    };

    #[test]
    fn a_fit_run_to_a_huge_a_predicts_finite_numbers() {
        // A fit on five customers of the Online Retail fixture (backtest, calibration to
        // 2010-12-31) ended at a = 8.0e4, b = 1.2e-5. References: the paper's eq. 10 at 50
        // digits with mpmath 1.3 (which gives 1.22591038569389 for the CDNOW case below, as
        // lifetimes does).
        let p = Params {
            r: 0.092_158_124_871_260_63,
            alpha: 2.595_403_766_378_507_4,
            a: 80_304.347_602_345_62,
            b: 1.245_262_434_105_980_7e-5,
        };
        for ((x, tx, t, h), want) in [
            ((0.0, 0.0, 24.0, 97.0), 0.132_014_455_700_651_2),
            ((1.0, 4.0, 30.0, 97.0), 2.108_306_895_249_072_6e-11),
            ((2.0, 30.0, 127.0, 90.0), 4.635_482_398_600_619_6e-7),
            ((0.0, 0.0, 30.0, 365.0), 0.205_872_908_374_908_4),
        ] {
            let got = p.expected_purchases(x, tx, t, h);
            assert!(
                (got - want).abs() <= 1e-9 * want,
                "{x} {tx} {t} {h}: {got} against {want}"
            );
        }
    }

    #[test]
    fn predictions_match_lifetimes_on_hand_picked_customers() {
        // Values from lifetimes 0.11.3 BetaGeoFitter with the parameters above:
        // conditional_probability_alive(2, 30.43, 38.86) and
        // conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86).
        assert!((FHL.p_alive(2.0, 30.43, 38.86) - 0.726_609_102_456_250_8).abs() < 1e-12);
        assert!(
            (FHL.expected_purchases(2.0, 30.43, 38.86, 39.0) - 1.225_910_385_693_889_8).abs()
                < 1e-10
        );
        assert_eq!(FHL.p_alive(0.0, 0.0, 38.86), 1.0);
        assert!(
            (FHL.expected_purchases(0.0, 0.0, 38.86, 39.0) - 0.194_780_912_293_562_76).abs()
                < 1e-10
        );
    }

    #[test]
    fn many_purchases_do_not_overflow() {
        let e = FHL.expected_purchases(2000.0, 100.0, 101.0, 10.0);
        assert!(e.is_finite() && e > 0.0, "{e}");
        assert!(FHL.p_buy(2000.0, 100.0, 101.0, 10.0) <= 1.0);
    }

    #[test]
    fn the_gradient_is_the_derivative_of_the_likelihood() {
        let data = Data {
            x: vec![0.0, 1.0, 4.0, 12.0],
            tx: vec![0.0, 3.5, 20.0, 30.0],
            t: vec![10.0, 25.0, 38.0, 31.0],
            w: vec![3.0, 1.0, 2.0, 1.0],
            days: None,
        };
        let p = [0.7, 5.0, 1.3, 2.1];
        super::super::optimize::assert_gradient_matches(&data, &p);
    }

    #[test]
    fn the_day_table_gives_the_same_likelihood_and_gradient() {
        // Whole days in weeks: the table path against the direct one.
        let (tx, t) = (vec![0u32, 4, 20, 30], vec![10u32, 25, 38, 31]);
        let direct = Data {
            x: vec![0.0, 1.0, 4.0, 12.0],
            tx: tx.iter().map(|&d| f64::from(d) / 7.0).collect(),
            t: t.iter().map(|&d| f64::from(d) / 7.0).collect(),
            w: vec![3.0, 1.0, 2.0, 1.0],
            days: None,
        };
        let tabled = Data {
            days: Some(Days::new(tx, t, 7.0)),
            ..direct.clone()
        };
        let p = [0.7, 5.0, 1.3, 2.1];
        let ((l1, g1), (l2, g2)) = (direct.ll_grad(&p), tabled.ll_grad(&p));
        assert!((l1 - l2).abs() < 1e-12 * l1.abs());
        for k in 0..4 {
            assert!((g1[k] - g2[k]).abs() < 1e-12 * (1.0 + g1[k].abs()));
        }
        super::super::optimize::assert_gradient_matches(&tabled, &p);
    }
}
