"""Per-customer Pareto/NBD predictions from `lifetimes` (0.11.3) at given parameters.

    python lifetimes_pnbd_at.py LEDGER.csv R ALPHA S BETA OUT.csv

Rebuilds lifetimes' summary of the CDNOW ledger written by lifetimes_cdnow.py (calibration to
1997-09-30, purchase days, weeks) and writes, per customer, lifetimes' P(alive), expected
purchases in the next 90 days and the log-likelihood at the parameters given (custscore's
fitted ones), so that the formulas are compared without the two optimisers' difference.
"""
import sys

import pandas as pd
from lifetimes import ParetoNBDFitter
from lifetimes.utils import summary_data_from_transaction_data

ledger, r, alpha, s, beta, out = sys.argv[1], *map(float, sys.argv[2:6]), sys.argv[6]
tx = pd.read_csv(ledger, dtype={"customer_id": str})
tx["date"] = pd.to_datetime(tx["date"])
summary = summary_data_from_transaction_data(tx, "customer_id", "date", observation_period_end="1997-09-30",
                                             freq="D", freq_multiplier=7)
f = ParetoNBDFitter()
f.params_ = pd.Series({"r": r, "alpha": alpha, "s": s, "beta": beta})
x, t_x, T = summary["frequency"].values, summary["recency"].values, summary["T"].values
pd.DataFrame({
    "customer_id": summary.index,
    "p_alive": f.conditional_probability_alive(x, t_x, T),
    "expected_purchases": f.conditional_expected_number_of_purchases_up_to_time(90 / 7, x, t_x, T),
    "log_likelihood": ParetoNBDFitter._conditional_log_likelihood(f.params_.values, x, t_x, T),
}).to_csv(out, index=False)
