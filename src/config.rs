//! Resolved settings: the scoring model's weights, bins, tier rules, segment map and flag
//! thresholds, with their defaults, read from an optional TOML file (`--config`).
//!
//! Unknown keys and out-of-range values are errors that name the key. The resolved settings
//! are written to the manifest, so a run records exactly what it used.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// Every setting of the scoring model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub rfm: RfmSettings,
    pub value: ValueSettings,
    pub potential: PotentialSettings,
    pub trend: TrendSettings,
    pub tiers: TierSettings,
    pub flags: FlagSettings,
    pub model: ModelSettings,
    pub buyers: BuyerSettings,
    /// Named RFM segments, first match wins; a cell no rule matches is "Other".
    pub segments: Vec<SegmentRule>,
}

/// RFM binning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RfmSettings {
    /// Four increasing cut points in (0, 1) on the rank share that split customers into scores
    /// 1..5. A customer's rank share is the share of customers strictly worse than it, so tied
    /// customers always share a score.
    pub quantiles: Vec<f64>,
}

/// Weights of the current value score and of potential in the combined value score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValueSettings {
    /// Weight of the R score in `current_score`.
    pub recency_weight: f64,
    /// Weight of the F score in `current_score`.
    pub frequency_weight: f64,
    /// Weight of the M score in `current_score`.
    pub monetary_weight: f64,
    /// Share of `potential_score` in `value_score` (0: current value only; 1: potential only).
    pub potential_weight: f64,
}

/// Weights of the parts of `potential_score`; a part that cannot be measured for a customer
/// (no product column, no attributes) is left out and the others re-weighted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PotentialSettings {
    /// Revenue growth: (trend + 1) / 2.
    pub growth: f64,
    /// Breadth headroom: the share of the ledger's product lines not bought yet.
    pub breadth: f64,
    /// Steadiness: 1 / (1 + cycle_cv); 0.5 when the cycle is unknown.
    pub steadiness: f64,
    /// Industry influence from the attributes file, scaled to 0..1 by the largest value.
    pub influence: f64,
    /// Size from the attributes file, as its rank share among customers that have one.
    pub size: f64,
    /// Predicted value: the rank share of the model's `clv`; left out without a model.
    pub predicted: f64,
}

/// Trend windows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrendSettings {
    /// Length of each of the two compared windows in days. Default: 365, or half the
    /// ledger's span when it covers less than two years.
    pub window_days: Option<u32>,
}

/// How customers are cut into tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierMethod {
    /// By rank: the top `strategic` share of customers, the next `partner` share, the next
    /// `priority` share; the rest are ordinary.
    RankShare,
    /// By value score: at least `strategic` points, at least `partner`, at least `priority`.
    Threshold,
    /// By revenue, in rank order: customers holding the first `strategic` share of revenue,
    /// then the next `partner` share, then the next `priority` share.
    RevenueShare,
}

/// One tier rule: a method and its three cut-offs (defaults depend on the method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    pub method: TierMethod,
    pub strategic: f64,
    pub partner: f64,
    pub priority: f64,
}

impl TierRule {
    pub fn default_for(method: TierMethod) -> TierRule {
        let (strategic, partner, priority) = match method {
            TierMethod::RankShare => (0.05, 0.15, 0.30),
            TierMethod::Threshold => (80.0, 60.0, 40.0),
            TierMethod::RevenueShare => (0.50, 0.25, 0.15),
        };
        TierRule {
            method,
            strategic,
            partner,
            priority,
        }
    }
}

/// The default tier rule and per-industry overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TierSettings {
    pub method: TierMethod,
    pub strategic: Option<f64>,
    pub partner: Option<f64>,
    pub priority: Option<f64>,
    /// Industry name → its own rule. Customers of such an industry are ranked among
    /// themselves and cut by that rule; all others by the default rule.
    pub industry: BTreeMap<String, PartialTierRule>,
}

/// A tier rule in the file, where the cut-offs may be left to the method's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialTierRule {
    pub method: Option<TierMethod>,
    pub strategic: Option<f64>,
    pub partner: Option<f64>,
    pub priority: Option<f64>,
}

impl TierSettings {
    /// The default rule with method defaults filled in.
    pub fn default_rule(&self) -> TierRule {
        fill(self.method, self.strategic, self.partner, self.priority)
    }

    /// Per-industry rules, filled in (an override without a method takes the default's).
    pub fn industry_rules(&self) -> BTreeMap<String, TierRule> {
        self.industry
            .iter()
            .map(|(k, p)| {
                (
                    k.clone(),
                    fill(
                        p.method.unwrap_or(self.method),
                        p.strategic,
                        p.partner,
                        p.priority,
                    ),
                )
            })
            .collect()
    }
}

fn fill(method: TierMethod, s: Option<f64>, p: Option<f64>, q: Option<f64>) -> TierRule {
    let d = TierRule::default_for(method);
    TierRule {
        method,
        strategic: s.unwrap_or(d.strategic),
        partner: p.unwrap_or(d.partner),
        priority: q.unwrap_or(d.priority),
    }
}

/// Thresholds of the diagnostic flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlagSettings {
    /// `declining`: trend at or below this (−1..0), with revenue in the prior window.
    pub declining_trend: f64,
    /// `overdue`: recency at least this many purchase cycles.
    pub overdue_ratio: f64,
    /// `overdue`: only for customers with at least this many purchase days.
    pub overdue_min_order_days: u32,
    /// `single_product_line`: one product line over at least this many occasions.
    pub single_line_min_frequency: u32,
    /// `one_off_project`: one purchase day, net revenue at or above this quantile of all
    /// customers' net revenue...
    pub one_off_quantile: f64,
    /// ...and nothing since for at least this many days.
    pub one_off_min_days: i32,
}

/// Which buy-till-you-die model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// BG/NBD (Fader, Hardie & Lee 2005).
    Bgnbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987).
    Pnbd,
    /// No model: the model columns stay empty.
    None,
}

impl ModelKind {
    /// The model's name in messages.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Bgnbd => "BG/NBD",
            ModelKind::Pnbd => "Pareto/NBD",
            ModelKind::None => "no model",
        }
    }
}

/// The unit model parameters and log-likelihood are stated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Days,
    Weeks,
}

impl TimeUnit {
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
        }
    }

    /// "day" or "week".
    pub fn singular(self) -> &'static str {
        match self {
            TimeUnit::Days => "day",
            TimeUnit::Weeks => "week",
        }
    }
}

/// The probabilistic models and what they predict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    pub model: ModelKind,
    /// Days ahead for `expected_purchases`, `p_buy` and `clv`.
    pub horizon_days: u32,
    /// Annual discount rate for `clv` (0.10 = 10% a year).
    pub discount_rate: f64,
    /// Unit of the reported parameters and log-likelihood (predictions do not depend on it).
    pub time_unit: TimeUnit,
}

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            model: ModelKind::Bgnbd,
            horizon_days: 90,
            discount_rate: 0.10,
            time_unit: TimeUnit::Days,
        }
    }
}

/// Buyer classes from `p_buy`, and the at-risk flag from `p_alive`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BuyerSettings {
    /// `likely` at or above this probability of buying in the horizon.
    pub likely_p_buy: f64,
    /// `possible` at or above this (and below `likely_p_buy`); `unlikely` below.
    pub possible_p_buy: f64,
    /// `high_value_at_risk`: P(alive) below this...
    pub at_risk_p_alive: f64,
    /// ...for a customer whose net revenue is at or above this quantile of all customers'.
    pub at_risk_value_quantile: f64,
}

impl Default for BuyerSettings {
    fn default() -> Self {
        BuyerSettings {
            likely_p_buy: 0.5,
            possible_p_buy: 0.2,
            at_risk_p_alive: 0.5,
            at_risk_value_quantile: 0.8,
        }
    }
}

/// A named segment: the R, F and M score ranges (inclusive) it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRule {
    pub name: String,
    pub r: [u8; 2],
    pub f: [u8; 2],
    pub m: [u8; 2],
}

impl SegmentRule {
    fn new(name: &str, r: [u8; 2], f: [u8; 2], m: [u8; 2]) -> Self {
        SegmentRule {
            name: name.into(),
            r,
            f,
            m,
        }
    }

    pub fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        let within = |v: u8, [lo, hi]: [u8; 2]| lo <= v && v <= hi;
        within(r, self.r) && within(f, self.f) && within(m, self.m)
    }
}

/// The documented default segment map. Every one of the 125 cells matches a rule.
pub fn default_segments() -> Vec<SegmentRule> {
    vec![
        SegmentRule::new("Champions", [4, 5], [4, 5], [4, 5]),
        SegmentRule::new("Loyal", [3, 5], [3, 5], [3, 5]),
        SegmentRule::new("Can't Lose", [1, 2], [4, 5], [4, 5]),
        SegmentRule::new("At Risk", [1, 2], [3, 5], [1, 5]),
        SegmentRule::new("New", [5, 5], [1, 1], [1, 5]),
        SegmentRule::new("Promising", [4, 4], [1, 1], [1, 5]),
        SegmentRule::new("Potential Loyalist", [3, 5], [1, 3], [1, 5]),
        SegmentRule::new("Need Attention", [3, 5], [4, 5], [1, 2]),
        SegmentRule::new("About to Sleep", [2, 2], [1, 2], [1, 5]),
        SegmentRule::new("Hibernating", [1, 1], [2, 2], [1, 5]),
        SegmentRule::new("Lost", [1, 1], [1, 1], [1, 5]),
    ]
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rfm: RfmSettings::default(),
            value: ValueSettings::default(),
            potential: PotentialSettings::default(),
            trend: TrendSettings::default(),
            tiers: TierSettings::default(),
            flags: FlagSettings::default(),
            model: ModelSettings::default(),
            buyers: BuyerSettings::default(),
            segments: default_segments(),
        }
    }
}

impl Default for RfmSettings {
    fn default() -> Self {
        RfmSettings {
            quantiles: vec![0.2, 0.4, 0.6, 0.8],
        }
    }
}

impl Default for ValueSettings {
    fn default() -> Self {
        ValueSettings {
            recency_weight: 0.3,
            frequency_weight: 0.3,
            monetary_weight: 0.4,
            potential_weight: 0.3,
        }
    }
}

impl Default for PotentialSettings {
    fn default() -> Self {
        PotentialSettings {
            growth: 0.3,
            breadth: 0.15,
            steadiness: 0.15,
            influence: 0.1,
            size: 0.1,
            predicted: 0.2,
        }
    }
}

impl Default for TierSettings {
    fn default() -> Self {
        TierSettings {
            method: TierMethod::RankShare,
            strategic: None,
            partner: None,
            priority: None,
            industry: BTreeMap::new(),
        }
    }
}

impl Default for FlagSettings {
    fn default() -> Self {
        FlagSettings {
            declining_trend: -0.2,
            overdue_ratio: 2.0,
            overdue_min_order_days: 3,
            single_line_min_frequency: 2,
            one_off_quantile: 0.9,
            one_off_min_days: 90,
        }
    }
}

/// The default settings as a documented TOML file (`custscore config init`): every key, its
/// default and what it means. A test checks that it reads back as [`Settings::default`].
pub const DEFAULT_TOML: &str = r#"# custscore settings. Every key is optional: a key left out keeps the default shown here.
# Check a file with `custscore config check FILE`; use it with `custscore score --config FILE`.

[rfm]
# Four increasing cut points in (0, 1) on a customer's mid-rank share: scores 1..5.
quantiles = [0.2, 0.4, 0.6, 0.8]

[value]
# Weights of the R, F and M scores in current_score (0..100).
recency_weight = 0.3
frequency_weight = 0.3
monetary_weight = 0.4
# Share of potential_score in value_score, 0..1.
potential_weight = 0.3

[potential]
# Weights (>= 0) of the parts of potential_score; a part unknown for a customer is left out.
growth = 0.3        # (trend + 1) / 2
breadth = 0.15      # share of the ledger's product lines not bought yet
steadiness = 0.15   # 1 / (1 + cycle_cv)
influence = 0.1     # attributes: influence / the largest
size = 0.1          # attributes: rank share of size
predicted = 0.2     # rank share of the model's clv

[trend]
# Days in each of the two compared windows. Default: 365, or half the ledger's span when it
# covers less than two years.
# window_days = 365

[tiers]
# "rank_share": shares of customers in rank order (defaults 0.05, 0.15, 0.30);
# "threshold": value_score cut-offs (defaults 80, 60, 40);
# "revenue_share": shares of revenue in rank order (defaults 0.50, 0.25, 0.15).
method = "rank_share"
# strategic = 0.05
# partner = 0.15
# priority = 0.30

# A rule of its own for one industry: its customers are ranked among themselves.
# [tiers.industry."Manufacturing"]
# method = "rank_share"
# strategic = 0.10

[flags]
declining_trend = -0.2          # declining: trend at or below this, with prior revenue
overdue_ratio = 2.0             # overdue: recency at least this many purchase cycles...
overdue_min_order_days = 3      # ...for customers with at least this many purchase days
single_line_min_frequency = 2   # single_product_line: one line over this many occasions
one_off_quantile = 0.9          # one_off_project: one purchase day, revenue at this quantile...
one_off_min_days = 90           # ...and nothing since for this many days

[model]
model = "bgnbd"                 # "bgnbd" (BG/NBD), "pnbd" (Pareto/NBD), both with Gamma-Gamma; or "none"
horizon_days = 90               # days ahead for expected_purchases, p_buy and clv
discount_rate = 0.1             # annual discount rate for clv
time_unit = "days"              # unit of the parameters in the manifest: "days" or "weeks"

[buyers]
likely_p_buy = 0.5              # buyer_class likely at or above this p_buy
possible_p_buy = 0.2            # possible at or above this
at_risk_p_alive = 0.5           # high_value_at_risk: p_alive below this...
at_risk_value_quantile = 0.8    # ...with revenue at or above this quantile

# A custom segment map replaces the default one; rules are tried in order, first match wins,
# a cell that no rule matches is "Other". Ranges are inclusive, scores 1..5.
# [[segments]]
# name = "Champions"
# r = [4, 5]
# f = [4, 5]
# m = [4, 5]
"#;

impl Settings {
    /// Reads and validates a TOML file; keys not given keep their defaults.
    pub fn from_file(path: &Path) -> Result<Settings, InputError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| InputError::Config {
            path: shown.clone(),
            message: format!("cannot read: {e}"),
        })?;
        Settings::from_toml(&text).map_err(|message| InputError::Config {
            path: shown,
            message,
        })
    }

    /// Parses and validates TOML text; the error names the key.
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        let s: Settings = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        s.validate()?;
        Ok(s)
    }

    /// Checks every range; the error names the key and says what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        let q = &self.rfm.quantiles;
        if q.len() != 4
            || q.iter().any(|v| !(*v > 0.0 && *v < 1.0))
            || q.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(format!(
                "rfm.quantiles = {q:?}: expected 4 increasing numbers between 0 and 1 (exclusive)"
            ));
        }
        let v = &self.value;
        for (key, w) in [
            ("value.recency_weight", v.recency_weight),
            ("value.frequency_weight", v.frequency_weight),
            ("value.monetary_weight", v.monetary_weight),
        ] {
            non_negative(key, w)?;
        }
        if v.recency_weight + v.frequency_weight + v.monetary_weight <= 0.0 {
            return Err("value: recency_weight, frequency_weight and monetary_weight are all 0; at least one must be positive".into());
        }
        unit("value.potential_weight", v.potential_weight)?;
        let p = &self.potential;
        for (key, w) in [
            ("potential.growth", p.growth),
            ("potential.breadth", p.breadth),
            ("potential.steadiness", p.steadiness),
            ("potential.influence", p.influence),
            ("potential.size", p.size),
            ("potential.predicted", p.predicted),
        ] {
            non_negative(key, w)?;
        }
        if p.growth + p.breadth + p.steadiness + p.influence + p.size + p.predicted <= 0.0 {
            return Err("potential: every weight is 0; at least one must be positive".into());
        }
        if self.trend.window_days == Some(0) {
            return Err("trend.window_days = 0: expected at least 1 day".into());
        }
        check_rule("tiers", &self.tiers.default_rule())?;
        for (industry, rule) in self.tiers.industry_rules() {
            check_rule(&format!("tiers.industry.{industry:?}"), &rule)?;
        }
        let f = &self.flags;
        if !(-1.0..=0.0).contains(&f.declining_trend) {
            return Err(format!(
                "flags.declining_trend = {}: expected a number from -1 to 0",
                f.declining_trend
            ));
        }
        if f.overdue_ratio.is_nan() || f.overdue_ratio <= 0.0 {
            return Err(format!(
                "flags.overdue_ratio = {}: expected a positive number",
                f.overdue_ratio
            ));
        }
        if f.overdue_min_order_days < 2 {
            return Err("flags.overdue_min_order_days: expected at least 2 (a cycle needs two purchase days)".into());
        }
        unit("flags.one_off_quantile", f.one_off_quantile)?;
        if f.one_off_min_days < 0 {
            return Err(format!(
                "flags.one_off_min_days = {}: expected 0 or more",
                f.one_off_min_days
            ));
        }
        if self.model.horizon_days == 0 {
            return Err("model.horizon_days = 0: expected at least 1 day".into());
        }
        if !(0.0..=10.0).contains(&self.model.discount_rate) {
            return Err(format!(
                "model.discount_rate = {}: expected an annual rate from 0 to 10 (0.1 is 10%)",
                self.model.discount_rate
            ));
        }
        let b = &self.buyers;
        unit("buyers.likely_p_buy", b.likely_p_buy)?;
        unit("buyers.possible_p_buy", b.possible_p_buy)?;
        if b.possible_p_buy > b.likely_p_buy {
            return Err(format!(
                "buyers: possible_p_buy = {} is above likely_p_buy = {}",
                b.possible_p_buy, b.likely_p_buy
            ));
        }
        unit("buyers.at_risk_p_alive", b.at_risk_p_alive)?;
        unit("buyers.at_risk_value_quantile", b.at_risk_value_quantile)?;
        if self.segments.is_empty() {
            return Err("segments: expected at least one [[segments]] rule".into());
        }
        for (i, s) in self.segments.iter().enumerate() {
            for (axis, [lo, hi]) in [("r", s.r), ("f", s.f), ("m", s.m)] {
                if !(1..=5).contains(&lo) || !(1..=5).contains(&hi) || lo > hi {
                    return Err(format!("segments[{i}] ({:?}).{axis} = [{lo}, {hi}]: expected [low, high] with 1 <= low <= high <= 5", s.name));
                }
            }
            if s.name.trim().is_empty() {
                return Err(format!("segments[{i}].name is empty"));
            }
        }
        Ok(())
    }
}

fn non_negative(key: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("{key} = {v}: expected a number of 0 or more"))
    }
}

fn unit(key: &str, v: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("{key} = {v}: expected a number from 0 to 1"))
    }
}

fn check_rule(key: &str, r: &TierRule) -> Result<(), String> {
    let (s, p, q) = (r.strategic, r.partner, r.priority);
    match r.method {
        TierMethod::Threshold => {
            if !((0.0..=100.0).contains(&q) && q <= p && p <= s && s <= 100.0) {
                return Err(format!("{key}: threshold cut-offs strategic={s}, partner={p}, priority={q}: expected 100 >= strategic >= partner >= priority >= 0"));
            }
        }
        TierMethod::RankShare | TierMethod::RevenueShare => {
            for (name, v) in [("strategic", s), ("partner", p), ("priority", q)] {
                unit(&format!("{key}.{name}"), v)?;
            }
            if s + p + q > 1.0 + 1e-9 {
                return Err(format!("{key}: strategic + partner + priority = {}: the shares must add up to at most 1", s + p + q));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_cover_every_rfm_cell() {
        let s = Settings::default();
        s.validate().unwrap();
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    assert!(
                        s.segments.iter().any(|x| x.matches(r, f, m)),
                        "cell {r}{f}{m} has no segment"
                    );
                }
            }
        }
    }

    #[test]
    fn the_documented_default_file_is_the_default() {
        assert_eq!(
            Settings::from_toml(DEFAULT_TOML).unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let s = Settings::from_toml(
            "[value]\npotential_weight = 0.5\n[tiers]\nmethod = \"threshold\"\n",
        )
        .unwrap();
        assert_eq!(s.value.potential_weight, 0.5);
        assert_eq!(s.value.monetary_weight, 0.4);
        assert_eq!(
            s.tiers.default_rule(),
            TierRule::default_for(TierMethod::Threshold)
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let e = Settings::from_toml("[value]\npotential_wieght = 0.5\n").unwrap_err();
        assert!(e.contains("potential_wieght"), "{e}");
        let e = Settings::from_toml("[value]\npotential_weight = 1.5\n").unwrap_err();
        assert!(e.contains("value.potential_weight = 1.5"), "{e}");
        let e = Settings::from_toml("[rfm]\nquantiles = [0.5, 0.4, 0.6, 0.8]\n").unwrap_err();
        assert!(e.contains("rfm.quantiles"), "{e}");
        let e = Settings::from_toml("[tiers]\nstrategic = 0.6\npartner = 0.3\npriority = 0.3\n")
            .unwrap_err();
        assert!(e.contains("add up to at most 1"), "{e}");
        let e = Settings::from_toml("[tiers.industry.Retail]\nstrategic = 2\n").unwrap_err();
        assert!(e.contains("tiers.industry.\"Retail\".strategic"), "{e}");
        let e =
            Settings::from_toml("[[segments]]\nname = \"X\"\nr = [0, 5]\nf = [1, 5]\nm = [1, 5]\n")
                .unwrap_err();
        assert!(e.contains("segments[0]"), "{e}");
        let e = Settings::from_toml("[flags]\noverdue_ratio = \"high\"\n").unwrap_err();
        assert!(e.contains("overdue_ratio"), "{e}");
    }
}
