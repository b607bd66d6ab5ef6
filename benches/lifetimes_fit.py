"""Time lifetimes' BG/NBD and Gamma-Gamma fits on the summary custscore fits, for the side by
side in benches/README.md.

    python benches/lifetimes_fit.py LEDGER.csv --as-of 2026-11-01

Builds the per-customer summary the way custscore does (a purchase occasion is a distinct day
with a row of amount >= 0; x = occasions after the first, t_x and T in days; Gamma-Gamma on the
mean net value of repeat days with a positive value), then times BetaGeoFitter.fit and
GammaGammaFitter.fit and prints their parameters and the BG/NBD log-likelihood (in days).
Needs polars and lifetimes (tests/reference_lifetimes.rs pins the versions).
"""
import argparse
import datetime as dt
import json
import time

import numpy as np
import polars as pl
from lifetimes import BetaGeoFitter, GammaGammaFitter
from scipy.special import betaln, gammaln

ap = argparse.ArgumentParser()
ap.add_argument("ledger")
ap.add_argument("--as-of", default="2026-11-01")
a = ap.parse_args()
as_of = dt.date.fromisoformat(a.as_of)

t0 = time.perf_counter()
days = (
    pl.scan_csv(a.ledger, schema_overrides={"order_date": pl.Date, "amount": pl.Float64, "customer_id": pl.String})
    .filter(pl.col("order_date") <= as_of)
    .group_by("customer_id", "order_date")
    .agg(net=pl.col("amount").sum(), buys=(pl.col("amount") >= 0).any())
    .filter(pl.col("buys"))
    .sort("customer_id", "order_date")
    .group_by("customer_id")
    .agg(
        x=pl.len() - 1,
        first=pl.col("order_date").first(),
        last=pl.col("order_date").last(),
        m=pl.col("net").slice(1).filter(pl.col("net").slice(1) > 0).mean(),
    )
    .with_columns(
        tx=(pl.col("last") - pl.col("first")).dt.total_days(),
        T=(pl.lit(as_of) - pl.col("first")).dt.total_days(),
    )
    .collect()
)
t1 = time.perf_counter()
x, tx, T = days["x"].to_numpy().astype(float), days["tx"].to_numpy().astype(float), days["T"].to_numpy().astype(float)

bgf = BetaGeoFitter()
s = time.perf_counter()
bgf.fit(x, tx, T)
bg_s = time.perf_counter() - s
r, alpha, aa, b = (bgf.params_[k] for k in ("r", "alpha", "a", "b"))
A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
A2 = betaln(aa, b + x) - betaln(aa, b)
A3 = -(r + x) * np.log(alpha + T)
A4 = np.where(x > 0, np.log(aa) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
ll = float(np.sum(A1 + A2 + np.logaddexp(A3, A4)))

rep = days.filter((pl.col("x") > 0) & pl.col("m").is_not_null())
ggf = GammaGammaFitter()
s = time.perf_counter()
ggf.fit(rep["x"].to_numpy(), rep["m"].to_numpy())
gg_s = time.perf_counter() - s
print(json.dumps({
    "customers": days.height, "summary_s": round(t1 - t0, 2),
    "bgnbd_fit_s": round(bg_s, 2), "bgnbd": {k: float(bgf.params_[k]) for k in ("r", "alpha", "a", "b")}, "bgnbd_ll_days": ll,
    "gamma_gamma_fit_s": round(gg_s, 2), "gamma_gamma": {k: float(ggf.params_[k]) for k in ("p", "q", "v")},
}, indent=1))
