//! Forward-mode automatic differentiation with four partial derivatives: enough for the
//! four-parameter Pareto/NBD likelihood, whose exact gradient by hand (derivatives of 2F1 in
//! its parameters) is error-prone. Each value carries its derivative with respect to the
//! four parameters; arithmetic and the few functions the likelihood needs apply the chain
//! rule. The gradient is exact up to rounding, like an analytic one.

use std::ops::{Add, Div, Mul, Neg, Sub};

use statrs::function::gamma::{digamma, ln_gamma};

/// A value and its partial derivatives with respect to the four parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct D {
    pub v: f64,
    pub d: [f64; 4],
}

impl D {
    /// A constant: no derivative.
    pub const fn cst(v: f64) -> D {
        D { v, d: [0.0; 4] }
    }

    /// Parameter number `k` (0..4) with value `v`.
    pub fn var(v: f64, k: usize) -> D {
        let mut d = [0.0; 4];
        d[k] = 1.0;
        D { v, d }
    }

    /// Applies a function with value `f` and derivative `df` at `self.v`.
    #[inline]
    fn chain(self, f: f64, df: f64) -> D {
        D {
            v: f,
            d: self.d.map(|x| x * df),
        }
    }

    pub fn ln(self) -> D {
        self.chain(self.v.ln(), 1.0 / self.v)
    }

    pub fn exp(self) -> D {
        let e = self.v.exp();
        self.chain(e, e)
    }

    /// ln(1 + x).
    pub fn ln_1p(self) -> D {
        self.chain(self.v.ln_1p(), 1.0 / (1.0 + self.v))
    }

    /// exp(x) − 1.
    pub fn exp_m1(self) -> D {
        self.chain(self.v.exp_m1(), self.v.exp())
    }

    pub fn ln_gamma(self) -> D {
        self.chain(ln_gamma(self.v), digamma(self.v))
    }

    /// ln(e^self + e^other), without overflow.
    pub fn log_add_exp(self, other: D) -> D {
        let (hi, lo) = if self.v >= other.v {
            (self, other)
        } else {
            (other, self)
        };
        if lo.v == f64::NEG_INFINITY {
            return hi;
        }
        hi + (lo - hi).exp().ln_1p()
    }

    /// Largest absolute derivative.
    pub fn max_d(&self) -> f64 {
        self.d.iter().fold(0.0f64, |m, x| m.max(x.abs()))
    }
}

impl Add for D {
    type Output = D;
    #[inline]
    fn add(self, o: D) -> D {
        D {
            v: self.v + o.v,
            d: [
                self.d[0] + o.d[0],
                self.d[1] + o.d[1],
                self.d[2] + o.d[2],
                self.d[3] + o.d[3],
            ],
        }
    }
}

impl Sub for D {
    type Output = D;
    #[inline]
    fn sub(self, o: D) -> D {
        self + -o
    }
}

impl Neg for D {
    type Output = D;
    #[inline]
    fn neg(self) -> D {
        D {
            v: -self.v,
            d: self.d.map(|x| -x),
        }
    }
}

impl Mul for D {
    type Output = D;
    #[inline]
    fn mul(self, o: D) -> D {
        D {
            v: self.v * o.v,
            d: [
                self.d[0] * o.v + self.v * o.d[0],
                self.d[1] * o.v + self.v * o.d[1],
                self.d[2] * o.v + self.v * o.d[2],
                self.d[3] * o.v + self.v * o.d[3],
            ],
        }
    }
}

impl Div for D {
    type Output = D;
    #[inline]
    fn div(self, o: D) -> D {
        let inv = 1.0 / o.v;
        let q = self.v * inv;
        D {
            v: q,
            d: [
                (self.d[0] - q * o.d[0]) * inv,
                (self.d[1] - q * o.d[1]) * inv,
                (self.d[2] - q * o.d[2]) * inv,
                (self.d[3] - q * o.d[3]) * inv,
            ],
        }
    }
}

impl Add<f64> for D {
    type Output = D;
    #[inline]
    fn add(self, o: f64) -> D {
        D {
            v: self.v + o,
            d: self.d,
        }
    }
}

impl Sub<f64> for D {
    type Output = D;
    #[inline]
    fn sub(self, o: f64) -> D {
        self + -o
    }
}

impl Mul<f64> for D {
    type Output = D;
    #[inline]
    fn mul(self, o: f64) -> D {
        D {
            v: self.v * o,
            d: self.d.map(|x| x * o),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f(p) = ln Γ(p0 + 2) · p1 / (p2 + p3) + exp(p0 − p3), checked against finite differences.
    fn f(p: [D; 4]) -> D {
        (p[0] + 2.0).ln_gamma() * p[1] / (p[2] + p[3])
            + (p[0] - p[3]).exp()
            + p[1].ln().log_add_exp(p[2] * 0.5)
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let at = [0.7, 3.0, 1.5, 0.2];
        let y = f([0, 1, 2, 3].map(|k| D::var(at[k], k)));
        for k in 0..4 {
            let h = 1e-6;
            let (mut up, mut down) = (at, at);
            up[k] += h;
            down[k] -= h;
            let fd = (f(up.map(D::cst)).v - f(down.map(D::cst)).v) / (2.0 * h);
            assert!((fd - y.d[k]).abs() < 1e-7, "d{k}: {fd} vs {}", y.d[k]);
        }
    }
}
