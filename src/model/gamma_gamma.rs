//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013,
//! "The Gamma-Gamma model of monetary value"): each occasion's value is Gamma(p, ν) and a
//! customer's ν is Gamma(q, γ). Fitted on the mean value m of each repeat buyer's x repeat
//! occasions:
//!
//! ```text
//! ln L = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(γ + x m)
//! ```

use statrs::function::gamma::{digamma, ln_gamma};

use super::optimize::Likelihood;

/// Repeat buyers' (x, mean repeat value), sorted by x (the Γ and ψ terms that depend on x
/// alone are computed once per run of equal x), with ln m kept: it does not change with the
/// parameters.
#[derive(Debug, Clone, Default)]
pub struct Data {
    pub x: Vec<f64>,
    pub m: Vec<f64>,
    ln_m: Vec<f64>,
}

impl Data {
    pub fn new(x: Vec<f64>, m: Vec<f64>) -> Data {
        let ln_m = m.iter().map(|m| m.ln()).collect();
        Data { x, m, ln_m }
    }

    fn ll_grad_range(&self, par: &[f64], range: std::ops::Range<usize>) -> (f64, [f64; 3]) {
        let (p, q, g) = (par[0], par[1], par[2]);
        let (lg_q, dg_q, ln_g) = (ln_gamma(q), digamma(q), g.ln());
        let mut ll = 0.0;
        let mut grad = [0.0; 3];
        let mut cached_x = f64::NAN;
        let (mut lg, mut dg_pxq, mut dg_px, mut ln_x) = (0.0, 0.0, 0.0, 0.0);
        for i in range {
            let (x, m, ln_m) = (self.x[i], self.m[i], self.ln_m[i]);
            let (px, gxm) = (p * x, g + x * m);
            if x != cached_x {
                cached_x = x;
                lg = ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_g;
                dg_pxq = digamma(px + q);
                dg_px = digamma(px);
                ln_x = x.ln();
            }
            let ln_gxm = gxm.ln();
            ll += lg + (px - 1.0) * ln_m + px * ln_x - (px + q) * ln_gxm;
            grad[0] += x * (dg_pxq - dg_px + ln_m + ln_x - ln_gxm);
            grad[1] += dg_pxq - dg_q + ln_g - ln_gxm;
            grad[2] += q / g - (px + q) / gxm;
        }
        (ll, grad)
    }
}

impl Likelihood for Data {
    fn weight(&self) -> f64 {
        self.x.len() as f64
    }

    fn ll_grad(&self, par: &[f64]) -> (f64, Vec<f64>) {
        super::optimize::sum_in_shares(self.x.len(), 20_000, |range| self.ll_grad_range(par, range))
    }
}

/// Fitted Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Params {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

impl Params {
    pub fn from_slice(v: &[f64]) -> Params {
        Params {
            p: v[0],
            q: v[1],
            gamma: v[2],
        }
    }

    /// E[value per occasion | x, m] = p(γ + x m) / (px + q − 1); the population mean
    /// pγ / (q − 1) for a customer with no usable repeat occasion. `None` when q ≤ 1 (the
    /// mean does not exist).
    pub fn expected_spend(&self, x: f64, m: Option<f64>) -> Option<f64> {
        let Params { p, q, gamma } = *self;
        let v = match m {
            Some(m) if x > 0.0 && m > 0.0 => p * (gamma + x * m) / (p * x + q - 1.0),
            _ => p * gamma / (q - 1.0),
        };
        (q > 1.0 && v.is_finite()).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_spend_matches_lifetimes() {
        // lifetimes 0.11.3 GammaGammaFitter with p=6.25, q=3.74, v=15.44:
        // conditional_expected_average_profit(2, 22.35) = 24.663713910761157
        let gg = Params {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        assert!(
            (gg.expected_spend(2.0, Some(22.35)).unwrap() - 24.663_713_910_761_157).abs() < 1e-9
        );
        assert!((gg.expected_spend(0.0, None).unwrap() - 6.25 * 15.44 / 2.74).abs() < 1e-12);
        assert_eq!(
            Params {
                p: 1.0,
                q: 0.9,
                gamma: 1.0
            }
            .expected_spend(1.0, Some(5.0)),
            None
        );
    }

    #[test]
    fn the_gradient_is_the_derivative_of_the_likelihood() {
        let data = Data::new(vec![1.0, 2.0, 5.0, 9.0], vec![10.0, 22.5, 7.0, 40.0]);
        let par = [3.0, 2.5, 12.0];
        super::super::optimize::assert_gradient_matches(&data, &par);
    }
}
