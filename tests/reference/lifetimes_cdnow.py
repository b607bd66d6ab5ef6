"""Reference values from the Python `lifetimes` package (0.11.3) on the CDNOW sample it ships.

    python lifetimes_cdnow.py LEDGER_OUT.csv REFERENCE_OUT.json PER_CUSTOMER_OUT.csv HOLDOUT_OUT.csv

Writes the raw CDNOW transaction log as a ledger CSV (customer_id,date,amount,cds), then
builds lifetimes' own summary from that log (calibration to 1997-09-30, purchase days, time in
weeks), fits BetaGeoFitter and GammaGammaFitter, and writes the parameters, the BG/NBD
log-likelihood in weeks, and per customer P(alive), expected purchases in the next 90 days and
expected spend; the Pareto/NBD fit (ParetoNBDFitter) and its log-likelihood; and for the holdout period to 1998-06-30, each customer's purchase days in
it (counted by pandas) and lifetimes' predicted count. custscore's tests compare these with
what it computes from the same ledger.
"""
import json
import os
import sys

import lifetimes
import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from lifetimes.utils import summary_data_from_transaction_data
from scipy.special import betaln, gammaln

ledger_out, reference_out, per_customer_out, holdout_out = sys.argv[1:5]
raw = os.path.join(os.path.dirname(lifetimes.__file__), "datasets", "CDNOW_sample.txt")
tx = pd.read_csv(raw, sep=r"\s+", header=None, names=["customer_id", "sample_id", "date", "cds", "amount"],
                 dtype={"customer_id": str, "sample_id": str, "date": str})
tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
tx[["customer_id", "date", "amount", "cds"]].assign(date=tx["date"].dt.strftime("%Y-%m-%d")).to_csv(ledger_out, index=False)

summary = summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount",
                                             observation_period_end="1997-09-30", freq="D", freq_multiplier=7)
bgf = BetaGeoFitter(penalizer_coef=0.0)
bgf.fit(summary["frequency"], summary["recency"], summary["T"])
r, alpha, a, b = (bgf.params_[k] for k in ("r", "alpha", "a", "b"))

# Total BG/NBD log-likelihood in weeks (Fader, Hardie & Lee 2005, eq. 6).
x, tx_, T = summary["frequency"].values, summary["recency"].values, summary["T"].values
A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
A2 = betaln(a, b + x) - betaln(a, b)
A3 = -(r + x) * np.log(alpha + T)
A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx_), -np.inf)
ll = float(np.sum(A1 + A2 + np.logaddexp(A3, A4)))

# Pareto/NBD: lifetimes' fit and its own log-likelihood at its optimum (weeks).
pnf = ParetoNBDFitter(penalizer_coef=0.0)
pnf.fit(summary["frequency"], summary["recency"], summary["T"])
pnbd_ll = float(ParetoNBDFitter._conditional_log_likelihood(pnf.params_.values, x, tx_, T).sum())

repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
ggf = GammaGammaFitter(penalizer_coef=0.0)
ggf.fit(repeat["frequency"], repeat["monetary_value"])

horizon_weeks = 90 / 7
per = pd.DataFrame({
    "customer_id": summary.index,
    "p_alive": bgf.conditional_probability_alive(x, tx_, T),
    "expected_purchases": bgf.conditional_expected_number_of_purchases_up_to_time(horizon_weeks, x, tx_, T),
    "expected_spend": ggf.conditional_expected_average_profit(summary["frequency"], summary["monetary_value"]).values,
})
per.to_csv(per_customer_out, index=False)
json.dump({
    "lifetimes_version": lifetimes.__version__,
    "customers": int(len(summary)),
    "repeat_buyers": int(len(repeat)),
    "bgnbd": {"r": r, "alpha": alpha, "a": a, "b": b, "log_likelihood": ll},
    "gamma_gamma": {k: float(ggf.params_[k]) for k in ("p", "q", "v")},
    "pnbd": {**{k: float(pnf.params_[k]) for k in ("r", "alpha", "s", "beta")}, "log_likelihood": pnbd_ll},
}, open(reference_out, "w"), indent=1)

# Holdout: each calibration customer's distinct purchase days after 1997-09-30 up to
# 1998-06-30, counted with pandas (lifetimes' calibration_and_holdout_data fails under
# pandas 3), and lifetimes' prediction for those 39 weeks.
hold = tx[(tx["date"] > "1997-09-30") & (tx["date"] <= "1998-06-30")]
actual = hold.groupby("customer_id")["date"].nunique().reindex(summary.index, fill_value=0)
pd.DataFrame({
    "customer_id": summary.index,
    "actual": actual.astype(int).values,
    "predicted": bgf.conditional_expected_number_of_purchases_up_to_time(273 / 7, x, tx_, T),
}).to_csv(holdout_out, index=False)
