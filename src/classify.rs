//! Classification: the ranking, relationship tiers and diagnostic flags (DOMAIN.md,
//! "Classification").

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{BuyerSettings, FlagSettings, Settings, TierMethod, TierRule};
use crate::features::Customers;
use crate::score::{order_key, Scores};

/// The four relationship tiers, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Strategic,
    Partner,
    Priority,
    Ordinary,
}

impl Tier {
    pub const ALL: [Tier; 4] = [
        Tier::Strategic,
        Tier::Partner,
        Tier::Priority,
        Tier::Ordinary,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Strategic => "strategic",
            Tier::Partner => "partner",
            Tier::Priority => "priority",
            Tier::Ordinary => "ordinary",
        }
    }
}

/// A diagnostic flag an account manager acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// A repeat buyer who has only ever bought one product line.
    SingleProductLine,
    /// Revenue fell from the prior trend window to the recent one.
    Declining,
    /// Silent for much longer than its own purchase cycle.
    Overdue,
    /// One large purchase day and nothing since: a project, not a relationship.
    OneOffProject,
    /// High net revenue, but the model says the customer has probably left.
    HighValueAtRisk,
}

impl Flag {
    pub const ALL: [Flag; 4] = [
        Flag::SingleProductLine,
        Flag::Declining,
        Flag::Overdue,
        Flag::OneOffProject,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::SingleProductLine => "single_product_line",
            Flag::Declining => "declining",
            Flag::Overdue => "overdue",
            Flag::OneOffProject => "one_off_project",
            Flag::HighValueAtRisk => "high_value_at_risk",
        }
    }
}

/// The flags raised on one customer: a set kept in one byte (a million customers' flags
/// are a million bytes, not a million lists). Iterates in [`Flag`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags(u8);

impl Flags {
    const EVERY: [Flag; 5] = [
        Flag::SingleProductLine,
        Flag::Declining,
        Flag::Overdue,
        Flag::OneOffProject,
        Flag::HighValueAtRisk,
    ];

    pub fn insert(&mut self, f: Flag) {
        self.0 |= 1 << f as u8;
    }

    pub fn contains(self, f: Flag) -> bool {
        self.0 & (1 << f as u8) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The flags raised, in [`Flag`] order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Self::EVERY.into_iter().filter(move |&f| self.contains(f))
    }
}

/// How likely a customer is to buy in the horizon (最可能购买 / 可能购买 / unlikely).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuyerClass {
    Likely,
    Possible,
    Unlikely,
}

impl BuyerClass {
    pub fn as_str(self) -> &'static str {
        match self {
            BuyerClass::Likely => "likely",
            BuyerClass::Possible => "possible",
            BuyerClass::Unlikely => "unlikely",
        }
    }

    /// From the probability of buying in the horizon; `None` without a model.
    pub fn from_p_buy(p: Option<f64>, b: &BuyerSettings) -> Option<BuyerClass> {
        p.map(|p| {
            if p >= b.likely_p_buy {
                BuyerClass::Likely
            } else if p >= b.possible_p_buy {
                BuyerClass::Possible
            } else {
                BuyerClass::Unlikely
            }
        })
    }
}

/// Customer indices in rank order: value score descending, then net revenue descending,
/// then customer id ascending. The order is total, so ties never depend on input order.
pub fn rank(c: &Customers, s: &Scores) -> Vec<usize> {
    // Sorted by keys that hold the values (descending: complemented), so that the sort
    // reads no column at random; only customers equal in both are then ordered by id.
    let keyed: Vec<(u64, u64, u32)> = (0..c.len())
        .map(|i| (!order_key(s.value[i]), !order_key(c.monetary[i]), i as u32))
        .collect();
    let mut keyed = crate::par::sort(keyed);
    for tied in keyed.chunk_by_mut(|a, b| (a.0, a.1) == (b.0, b.1)) {
        if tied.len() > 1 {
            tied.sort_unstable_by(|a, b| c.id[a.2 as usize].cmp(&c.id[b.2 as usize]));
        }
    }
    keyed.into_iter().map(|(_, _, i)| i as usize).collect()
}

/// Tiers for every customer (indexed like [`Customers`]). `order` is the rank order.
/// Customers of an industry with its own rule are cut among themselves by that rule.
pub fn tiers(c: &Customers, s: &Scores, order: &[usize], settings: &Settings) -> Vec<Tier> {
    let overrides = settings.tiers.industry_rules();
    let default = settings.tiers.default_rule();
    let mut out = vec![Tier::Ordinary; c.len()];
    let mut apply = |members: &[usize], rule: &TierRule| {
        for (&i, t) in members.iter().zip(cut(members, rule, c, s)) {
            out[i] = t;
        }
    };
    if overrides.is_empty() {
        // One group, already in rank order: no industry to read.
        apply(order, &default);
        return out;
    }
    let mut groups: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for &i in order {
        let key = c.industry.get(i).filter(|ind| overrides.contains_key(*ind));
        groups.entry(key).or_default().push(i);
    }
    for (industry, members) in groups {
        apply(&members, industry.map_or(&default, |ind| &overrides[ind]));
    }
    out
}

/// Cuts one group (in rank order) by one rule.
fn cut(members: &[usize], rule: &TierRule, c: &Customers, s: &Scores) -> Vec<Tier> {
    let by_position = |x: f64| {
        if x < rule.strategic {
            Tier::Strategic
        } else if x < rule.strategic + rule.partner {
            Tier::Partner
        } else if x < rule.strategic + rule.partner + rule.priority {
            Tier::Priority
        } else {
            Tier::Ordinary
        }
    };
    match rule.method {
        TierMethod::RankShare => {
            // Boundaries are rounded customer counts: with n = 40 and 5%, 2 strategic.
            let n = members.len() as f64;
            let bounds = [
                rule.strategic,
                rule.strategic + rule.partner,
                rule.strategic + rule.partner + rule.priority,
            ]
            .map(|share| (n * share + 0.5 - 1e-9).floor() as usize);
            (0..members.len())
                .map(|k| match k {
                    k if k < bounds[0] => Tier::Strategic,
                    k if k < bounds[1] => Tier::Partner,
                    k if k < bounds[2] => Tier::Priority,
                    _ => Tier::Ordinary,
                })
                .collect()
        }
        TierMethod::Threshold => members
            .iter()
            .map(|&i| match s.value[i] {
                v if v >= rule.strategic => Tier::Strategic,
                v if v >= rule.partner => Tier::Partner,
                v if v >= rule.priority => Tier::Priority,
                _ => Tier::Ordinary,
            })
            .collect(),
        TierMethod::RevenueShare => {
            // A customer's place is the share of revenue held by those ranked above it.
            let total: f64 = members.iter().map(|&i| c.monetary[i].max(0.0)).sum();
            let mut before = 0.0;
            members
                .iter()
                .map(|&i| {
                    let t = if total > 0.0 && c.monetary[i] > 0.0 {
                        by_position(before / total)
                    } else {
                        Tier::Ordinary
                    };
                    before += c.monetary[i].max(0.0);
                    t
                })
                .collect()
        }
    }
}

/// Flags for every customer, in [`Flag::ALL`] order. `p_alive` comes from the model, when
/// one was fitted.
pub fn flags(
    c: &Customers,
    f: &FlagSettings,
    p_alive: &[Option<f64>],
    b: &BuyerSettings,
) -> Vec<Flags> {
    let one_off_floor = quantile(&c.monetary, f.one_off_quantile);
    let at_risk_floor = quantile(&c.monetary, b.at_risk_value_quantile);
    (0..c.len())
        .map(|i| {
            let mut out = Flags::default();
            if c.product_lines[i] == Some(1) && c.frequency[i] >= f.single_line_min_frequency {
                out.insert(Flag::SingleProductLine);
            }
            if c.revenue_prior[i] > 0.0 && c.trend[i] <= f.declining_trend {
                out.insert(Flag::Declining);
            }
            if c.order_days[i] >= f.overdue_min_order_days
                && c.overdue[i].is_some_and(|o| o >= f.overdue_ratio)
            {
                out.insert(Flag::Overdue);
            }
            if c.order_days[i] == 1
                && c.monetary[i] > 0.0
                && c.monetary[i] >= one_off_floor
                && c.recency_days[i] >= f.one_off_min_days
            {
                out.insert(Flag::OneOffProject);
            }
            if c.monetary[i] > 0.0
                && c.monetary[i] >= at_risk_floor
                && crate::model::at(p_alive, i).is_some_and(|p| p < b.at_risk_p_alive)
            {
                out.insert(Flag::HighValueAtRisk);
            }
            out
        })
        .collect()
}

/// The nearest-rank q-quantile (the smallest value with at least q of the values at or
/// below it); +inf for no values.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::INFINITY;
    }
    let mut v = values.to_vec();
    let k = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    // The k-th smallest without sorting the rest (a million values: a pass, not a sort).
    *v.select_nth_unstable_by(k - 1, f64::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(n: usize) -> (Customers, Scores) {
        let mut c = Customers::default();
        let mut s = Scores::default();
        for i in 0..n {
            c.id.push(&format!("C{i:03}"));
            c.industry
                .push(Some(if i % 2 == 0 { "Retail" } else { "Finance" }));
            c.monetary.push(100.0 * (n - i) as f64);
            s.value.push((n - i) as f64);
        }
        (c, s)
    }

    fn count(t: &[Tier], tier: Tier) -> usize {
        t.iter().filter(|&&x| x == tier).count()
    }

    #[test]
    fn rank_share_follows_the_configured_split() {
        let (c, s) = base(40);
        let settings = Settings::default();
        let order = rank(&c, &s);
        assert_eq!(order[0], 0);
        let t = tiers(&c, &s, &order, &settings);
        assert_eq!(
            [
                count(&t, Tier::Strategic),
                count(&t, Tier::Partner),
                count(&t, Tier::Priority),
                count(&t, Tier::Ordinary)
            ],
            [2, 6, 12, 20]
        );
        assert_eq!(t[0], Tier::Strategic);
        assert_eq!(t[39], Tier::Ordinary);
    }

    #[test]
    fn ties_in_value_rank_by_revenue_then_id() {
        let (mut c, mut s) = base(3);
        s.value = vec![5.0, 5.0, 5.0];
        c.monetary = vec![10.0, 20.0, 20.0];
        assert_eq!(rank(&c, &s), [1, 2, 0]);
    }

    #[test]
    fn threshold_and_revenue_share_rules() {
        let (c, s) = base(10);
        let mut settings = Settings::default();
        settings.tiers.method = TierMethod::Threshold;
        settings.tiers.strategic = Some(9.0);
        settings.tiers.partner = Some(7.0);
        settings.tiers.priority = Some(5.0);
        let order = rank(&c, &s);
        let t = tiers(&c, &s, &order, &settings);
        assert_eq!(
            &t[..6],
            &[
                Tier::Strategic,
                Tier::Strategic,
                Tier::Partner,
                Tier::Partner,
                Tier::Priority,
                Tier::Priority
            ]
        );
        // Revenue 1000, 900, ... 100 (total 5500): the first 50% is held by customers whose
        // preceding share is below 0.5: 0, 1000, 1900 (34.5%), 2700 (49.1%) → 4 strategic.
        settings.tiers = Default::default();
        settings.tiers.method = TierMethod::RevenueShare;
        let t = tiers(&c, &s, &order, &settings);
        assert_eq!(count(&t, Tier::Strategic), 4);
    }

    #[test]
    fn an_industry_override_cuts_its_customers_among_themselves() {
        let (c, s) = base(40);
        let settings = Settings::from_toml(
            "[tiers.industry.Retail]\nstrategic = 0.5\npartner = 0.0\npriority = 0.0\n",
        )
        .unwrap();
        let t = tiers(&c, &s, &rank(&c, &s), &settings);
        let retail: Vec<Tier> = (0..40).filter(|i| i % 2 == 0).map(|i| t[i]).collect();
        assert_eq!(count(&retail, Tier::Strategic), 10);
        assert_eq!(count(&retail, Tier::Ordinary), 10);
        let finance: Vec<Tier> = (0..40).filter(|i| i % 2 == 1).map(|i| t[i]).collect();
        assert_eq!(count(&finance, Tier::Strategic), 1);
    }

    #[test]
    fn flags_follow_their_definitions() {
        let mut c = Customers::default();
        let push = |c: &mut Customers,
                    lines: Option<u32>,
                    freq: u32,
                    days: u32,
                    prior: f64,
                    trend: f64,
                    overdue: Option<f64>,
                    monetary: f64,
                    recency: i32| {
            let id = format!("C{}", c.id.len());
            c.id.push(&id);
            c.product_lines.push(lines);
            c.frequency.push(freq);
            c.order_days.push(days);
            c.revenue_prior.push(prior);
            c.trend.push(trend);
            c.overdue.push(overdue);
            c.monetary.push(monetary);
            c.recency_days.push(recency);
        };
        push(&mut c, Some(1), 3, 3, 0.0, 0.0, Some(1.0), 10.0, 5); // single line
        push(&mut c, Some(2), 3, 3, 50.0, -0.5, Some(2.5), 10.0, 5); // declining, overdue
        push(&mut c, Some(1), 1, 1, 0.0, -1.0, None, 1000.0, 200); // one-off project (single line needs 2 occasions)
        push(&mut c, None, 1, 1, 0.0, 0.0, None, 1000.0, 30); // large but recent: not yet one-off
        let p_alive = [Some(0.9), Some(0.9), Some(0.2), Some(0.3)];
        let f = flags(
            &c,
            &FlagSettings::default(),
            &p_alive,
            &BuyerSettings::default(),
        );
        let list = |k: usize| f[k].iter().collect::<Vec<_>>();
        assert_eq!(list(0), [Flag::SingleProductLine]);
        assert_eq!(list(1), [Flag::Declining, Flag::Overdue]);
        // Top-revenue customers with P(alive) below 0.5 are at risk.
        assert_eq!(list(2), [Flag::OneOffProject, Flag::HighValueAtRisk]);
        assert_eq!(list(3), [Flag::HighValueAtRisk]);
        assert_eq!(f[2].len(), 2);
        assert!(!f[2].contains(Flag::Declining));
        let f = flags(&c, &FlagSettings::default(), &[], &BuyerSettings::default());
        assert!(f[3].is_empty(), "no model, no at-risk flag");
    }

    #[test]
    fn buyer_classes_follow_the_thresholds() {
        let b = BuyerSettings::default();
        assert_eq!(
            BuyerClass::from_p_buy(Some(0.5), &b),
            Some(BuyerClass::Likely)
        );
        assert_eq!(
            BuyerClass::from_p_buy(Some(0.49), &b),
            Some(BuyerClass::Possible)
        );
        assert_eq!(
            BuyerClass::from_p_buy(Some(0.2), &b),
            Some(BuyerClass::Possible)
        );
        assert_eq!(
            BuyerClass::from_p_buy(Some(0.19), &b),
            Some(BuyerClass::Unlikely)
        );
        assert_eq!(BuyerClass::from_p_buy(None, &b), None);
    }

    #[test]
    fn nearest_rank_quantile() {
        assert_eq!(quantile(&[5.0, 1.0, 3.0, 2.0, 4.0], 0.9), 5.0);
        assert_eq!(quantile(&[5.0, 1.0, 3.0, 2.0, 4.0], 0.5), 3.0);
        assert_eq!(quantile(&[7.0], 0.0), 7.0);
        assert_eq!(quantile(&[], 0.5), f64::INFINITY);
    }

    #[test]
    fn quantile_is_the_kth_of_the_sorted_values() {
        // Ties, negatives and zeros of both signs, against a full sort.
        let mut x = 12345u64;
        let values: Vec<f64> = (0..2001)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match x >> 61 {
                    0 => 0.0,
                    1 => -0.0,
                    _ => ((x >> 33) % 500) as f64 - 100.0,
                }
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 1.0] {
            let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            assert_eq!(
                quantile(&values, q).to_bits(),
                sorted[k - 1].to_bits(),
                "q {q}"
            );
        }
    }
}
