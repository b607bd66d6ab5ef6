//! Special functions the models need beyond `statrs` (which gives ln Γ and ψ).

use statrs::function::gamma::ln_gamma;

/// ln B(a, b).
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Gauss hypergeometric 2F1(a, b; c; z) for 0 <= z < 1 by its power series, summed until a
/// term no longer changes the sum (at most 1,000,000 terms). The callers arrange their
/// arguments (Euler's transformation) so that the terms do not grow.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    debug_assert!((0.0..1.0).contains(&z));
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..1_000_000u32 {
        let n = f64::from(n);
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        let next = sum + term;
        if next == sum || !next.is_finite() {
            return next;
        }
        sum = next;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        for z in [0.1, 0.5, 0.9, 0.99] {
            let want = -(1.0f64 - z).ln() / z;
            assert!(
                (hyp2f1(1.0, 1.0, 2.0, z) - want).abs() < 1e-12 * want,
                "z={z}"
            );
        }
        // 2F1(a, b; b; z) = (1 - z)^-a
        assert!((hyp2f1(2.5, 3.0, 3.0, 0.3) - 0.7f64.powf(-2.5)).abs() < 1e-12);
        assert_eq!(hyp2f1(1.0, 2.0, 3.0, 0.0), 1.0);
        // scipy.special.hyp2f1(0.5, -0.3, 4.2, 0.7) = 0.97285744965348
        assert!((hyp2f1(0.5, -0.3, 4.2, 0.7) - 0.972_857_449_653_48).abs() < 1e-12);
    }

    #[test]
    fn ln_beta_of_small_integers() {
        // B(2, 3) = 1/12
        assert!((ln_beta(2.0, 3.0) - (1.0f64 / 12.0).ln()).abs() < 1e-12);
    }
}
