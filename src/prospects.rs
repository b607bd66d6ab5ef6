//! Prospects: ids in the attributes file with no purchase yet, split into most likely to buy
//! (最可能购买) and possible buyers (可能购买) from what is known of them (DOMAIN.md, point 8).
//!
//! The rule, documented in the README:
//! - **referral**: referred (the attributes' `referrer`) by a scored customer of the strategic
//!   or partner tier;
//! - **resemblance**: the share of key accounts (strategic and partner) among scored customers
//!   of the prospect's industry, and of its region, against the share among all customers
//!   (the lift); the prospect's lift is the larger of the two it has.
//!
//! `likely` when referred by a key account or when the lift is at least `LIKELY_LIFT`;
//! otherwise `possible`. Ranked likely first, then by lift, then by id.

use std::collections::HashMap;
use std::io::Write;

use crate::classify::{BuyerClass, Tier};
use crate::pipeline::Scored;
use crate::report::csvfmt::CsvOut;

/// A lift at or above this makes a prospect likely on resemblance alone.
pub const LIKELY_LIFT: f64 = 1.5;

/// One prospect and why it is classed as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Prospect {
    pub id: String,
    pub name: Option<String>,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub referrer: Option<String>,
    /// The referrer's tier, when the referrer is a scored customer.
    pub referrer_tier: Option<Tier>,
    /// Key-account lift of the prospect's industry or region (the larger), when known.
    pub lift: Option<f64>,
    pub buyer_class: BuyerClass,
    pub reason: String,
}

fn is_key(t: Tier) -> bool {
    matches!(t, Tier::Strategic | Tier::Partner)
}

/// Classes and ranks the prospects of a scored run.
pub fn classify(s: &Scored) -> Vec<Prospect> {
    let Some(attrs) = &s.attributes else {
        return Vec::new();
    };
    let n = s.customers.len();
    let base = s.tiers.iter().filter(|&&t| is_key(t)).count() as f64 / n.max(1) as f64;
    let tier_of: HashMap<&str, Tier> = s.customers.id.iter().zip(s.tiers.iter().copied()).collect();
    // Key-account share by industry and by region among scored customers.
    let mut by_industry: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut by_region: HashMap<&str, (usize, usize)> = HashMap::new();
    for i in 0..n {
        let key = usize::from(is_key(s.tiers[i]));
        if let Some(ind) = s.customers.industry.get(i) {
            let e = by_industry.entry(ind).or_default();
            e.0 += 1;
            e.1 += key;
        }
        if let Some(reg) = attrs
            .get(&s.customers.id[i])
            .and_then(|a| a.region.as_deref())
        {
            let e = by_region.entry(reg).or_default();
            e.0 += 1;
            e.1 += key;
        }
    }
    let lift = |m: &HashMap<&str, (usize, usize)>, v: Option<&str>| {
        let (k, key) = *m.get(v?)?;
        (base > 0.0 && k > 0).then(|| key as f64 / k as f64 / base)
    };
    let mut out: Vec<Prospect> = s
        .prospects
        .iter()
        .filter_map(|id| {
            let a = attrs.get(id)?;
            let referrer_tier = a.referrer.as_deref().and_then(|r| tier_of.get(r).copied());
            let l = [
                lift(&by_industry, a.industry.as_deref()),
                lift(&by_region, a.region.as_deref()),
            ]
            .into_iter()
            .flatten()
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            let referred_by_key = referrer_tier.is_some_and(is_key);
            let (buyer_class, reason) = if referred_by_key {
                (
                    BuyerClass::Likely,
                    format!(
                        "referred by {} ({} tier)",
                        a.referrer.as_deref().unwrap_or(""),
                        referrer_tier.map_or("", Tier::as_str)
                    ),
                )
            } else if l.is_some_and(|l| l >= LIKELY_LIFT) {
                (
                    BuyerClass::Likely,
                    format!("resembles key accounts (lift {:.2})", l.unwrap_or(0.0)),
                )
            } else {
                let why = match (referrer_tier, l) {
                    (Some(t), _) => format!(
                        "referred by {} ({} tier), not a key account",
                        a.referrer.as_deref().unwrap_or(""),
                        t.as_str()
                    ),
                    (None, Some(l)) => format!("lift {l:.2} below {LIKELY_LIFT}"),
                    (None, None) => "nothing known that resembles key accounts".to_string(),
                };
                (BuyerClass::Possible, why)
            };
            Some(Prospect {
                id: id.clone(),
                name: a.name.clone(),
                industry: a.industry.clone(),
                region: a.region.clone(),
                referrer: a.referrer.clone(),
                referrer_tier,
                lift: l,
                buyer_class,
                reason,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        let rank = |p: &Prospect| u8::from(p.buyer_class != BuyerClass::Likely);
        rank(a)
            .cmp(&rank(b))
            .then(b.lift.unwrap_or(0.0).total_cmp(&a.lift.unwrap_or(0.0)))
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// `prospects.csv`.
pub fn write(prospects: &[Prospect], w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = CsvOut::new(w);
    for c in [
        "rank",
        "customer_id",
        "name",
        "industry",
        "region",
        "referrer",
        "referrer_tier",
        "lift",
        "buyer_class",
        "reason",
    ] {
        out.text(c);
    }
    out.end()?;
    for (k, p) in prospects.iter().enumerate() {
        out.int(k + 1)
            .text(&p.id)
            .text(p.name.as_deref().unwrap_or(""))
            .text(p.industry.as_deref().unwrap_or(""))
            .text(p.region.as_deref().unwrap_or(""))
            .text(p.referrer.as_deref().unwrap_or(""))
            .text(p.referrer_tier.map_or("", Tier::as_str))
            .opt_fixed(p.lift, 4)
            .text(p.buyer_class.as_str())
            .text(&p.reason);
        out.end()?;
    }
    out.finish()?;
    Ok(())
}
