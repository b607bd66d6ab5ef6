//! Scores: R, F and M by quantile, the RFM cell and segment, the current, potential and
//! combined value scores (DOMAIN.md, "Scores"). Pure functions over columns.

use serde::Serialize;

use crate::attributes::Attributes;
use crate::config::Settings;
use crate::features::{Customers, Regather};

/// Scores for every customer, in the same order as [`Customers`].
#[derive(Debug, Clone, Default)]
pub struct Scores {
    pub r: Vec<u8>,
    pub f: Vec<u8>,
    pub m: Vec<u8>,
    /// Index into the settings' segment rules; `None` for "Other".
    pub segment: Vec<Option<usize>>,
    /// 0..100, rounded to 2 decimals.
    pub current: Vec<f64>,
    pub potential: Vec<f64>,
    pub value: Vec<f64>,
    pub edges: RfmEdges,
    /// The potential parts of the customers asked for (`keep`), by customer id: for account
    /// pages; kept for a few customers only, not a column of a million.
    pub kept_parts: Vec<(String, PotentialParts)>,
}

/// The value range and size of each score bin, for the manifest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RfmEdges {
    pub recency_days: Vec<Bin>,
    pub frequency: Vec<Bin>,
    pub monetary: Vec<Bin>,
}

/// One bin: its score, the smallest and largest value in it, and how many customers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    pub score: u8,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub customers: usize,
}

impl Scores {
    /// The scores in the given order (see [`Customers::gather`]).
    pub fn gather(mut self, order: &[usize]) -> Scores {
        let mut bytes = Regather::new(order);
        for v in [&mut self.r, &mut self.f, &mut self.m] {
            bytes.apply(v);
        }
        Regather::new(order).apply(&mut self.segment);
        let mut scores = Regather::new(order);
        for v in [&mut self.current, &mut self.potential, &mut self.value] {
            scores.apply(v);
        }
        self
    }
}

/// Scores 1..=5 by quantile, ties never split. Each customer's position is its mid-rank
/// share: (number of strictly worse customers + half the customers tied with it) / n, so
/// one customer, or all-equal values, sit in the middle bin (3) and ten distinct values fill
/// every bin twice. The score is 1 + the number of cut points at or below the position.
/// With `higher_is_better == false` (recency) the scale is reversed: smallest is best.
pub fn quantile_scores(
    values: &[f64],
    cuts: &[f64],
    higher_is_better: bool,
) -> (Vec<u8>, Vec<Bin>) {
    whole_number_scores(values, cuts, higher_is_better)
        .unwrap_or_else(|| sorted_scores(values, cuts, higher_is_better))
}

/// [`quantile_scores`] for any values, by sorting them.
fn sorted_scores(values: &[f64], cuts: &[f64], higher_is_better: bool) -> (Vec<u8>, Vec<Bin>) {
    let n = values.len();
    // Sorted by key, worst first: the key holds the value, so the sort never reads `values`
    // at random (on a million customers that was most of its time).
    let keyed: Vec<(u64, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let k = order_key(v);
            (if higher_is_better { k } else { !k }, i as u32)
        })
        .collect();
    let keyed = crate::par::sort(keyed);
    // Each value is read back from its key: no read of `values` at random.
    let value = |p: usize| {
        let k = keyed[p].0;
        value_of_key(if higher_is_better { k } else { !k })
    };
    let mut scores = vec![0u8; n];
    let mut bins = empty_bins(cuts);
    let mut p = 0;
    while p < n {
        let v = value(p);
        let mut q = p;
        while q < n && value(q) == v {
            q += 1;
        }
        let score = score_run(&mut bins, cuts, p, q - p, n, v);
        for &(_, i) in &keyed[p..q] {
            scores[i as usize] = score;
        }
        p = q;
    }
    (scores, bins)
}

/// The bins of `cuts`, empty.
fn empty_bins(cuts: &[f64]) -> Vec<Bin> {
    (1..=cuts.len() as u8 + 1)
        .map(|score| Bin {
            score,
            min: None,
            max: None,
            customers: 0,
        })
        .collect()
}

/// The score of the `k` customers of value `v` from position `p` (worst first) of `n`, by
/// their mid-rank share; counts them in its bin.
fn score_run(bins: &mut [Bin], cuts: &[f64], p: usize, k: usize, n: usize, v: f64) -> u8 {
    let position = mid_rank_share(p, k, n);
    let score = 1 + cuts.iter().filter(|&&c| c <= position).count() as u8;
    let bin = &mut bins[score as usize - 1];
    bin.customers += k;
    bin.min = Some(bin.min.map_or(v, |m: f64| m.min(v)));
    bin.max = Some(bin.max.map_or(v, |m: f64| m.max(v)));
    score
}

/// The mid-rank share of a value among `n`: (the `below` values under it + half the `equal`
/// ones, itself included) / `n`. Quantile scores and rank shares both place a value so.
fn mid_rank_share(below: usize, equal: usize, n: usize) -> f64 {
    (below as f64 + equal as f64 / 2.0) / n as f64
}

/// Widest range of whole numbers [`quantile_scores`] counts in a table instead of sorting.
const COUNTED_SPAN: i64 = 1 << 20;

/// [`quantile_scores`] for whole numbers within [`COUNTED_SPAN`] of each other (recency in
/// days, frequency): the customers of each value are counted in a table, each value's score
/// follows from the counts in order, and each customer's is looked up. The same positions,
/// scores and bins as by sorting, without sorting a million (key, index) pairs. `None` for
/// any other values (a fraction, -0, a NaN or infinity, a wider range).
fn whole_number_scores(
    values: &[f64],
    cuts: &[f64],
    higher_is_better: bool,
) -> Option<(Vec<u8>, Vec<Bin>)> {
    let n = values.len();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values {
        if !v.is_finite() || v.trunc() != v || (v == 0.0 && v.is_sign_negative()) {
            return None;
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if n == 0 || hi - lo >= COUNTED_SPAN as f64 {
        return None;
    }
    let at = |v: f64| (v - lo) as usize;
    let mut count = vec![0u32; at(hi) + 1];
    for &v in values {
        count[at(v)] += 1;
    }
    let mut bins = empty_bins(cuts);
    // Worst first, as the sort would have them: the score of each value present.
    let mut score_of = vec![0u8; count.len()];
    let mut p = 0usize;
    let last = count.len() - 1;
    for step in 0..count.len() {
        let slot = if higher_is_better { step } else { last - step };
        let k = count[slot] as usize;
        if k == 0 {
            continue;
        }
        score_of[slot] = score_run(&mut bins, cuts, p, k, n, lo + slot as f64);
        p += k;
    }
    let scores = values.iter().map(|&v| score_of[at(v)]).collect();
    Some((scores, bins))
}

/// A key whose unsigned order is `f64::total_cmp`'s order of the values.
pub fn order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The value whose [`order_key`] is `key`.
pub fn value_of_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// Weighted mean of the R, F, M scores on 0..100.
pub fn current_score(r: u8, f: u8, m: u8, s: &Settings) -> f64 {
    let v = &s.value;
    let total = v.recency_weight + v.frequency_weight + v.monetary_weight;
    let part = |score: u8| f64::from(score - 1) / 4.0;
    100.0
        * (v.recency_weight * part(r) + v.frequency_weight * part(f) + v.monetary_weight * part(m))
        / total
}

/// Rounds to 2 decimals, the precision scores are written and ranked at.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The parts of potential for one customer, each in 0..1, `None` where unknown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PotentialParts {
    pub growth: f64,
    pub breadth: Option<f64>,
    pub steadiness: f64,
    pub influence: Option<f64>,
    pub size: Option<f64>,
    pub predicted: Option<f64>,
}

impl PotentialParts {
    /// Weighted mean of the known parts, 0..100.
    pub fn score(&self, s: &Settings) -> f64 {
        let w = &s.potential;
        let parts = [
            (w.growth, Some(self.growth)),
            (w.breadth, self.breadth),
            (w.steadiness, Some(self.steadiness)),
            (w.influence, self.influence),
            (w.size, self.size),
            (w.predicted, self.predicted),
        ];
        let (num, den) = parts
            .iter()
            .filter_map(|&(w, v)| v.map(|v| (w * v, w)))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        if den == 0.0 {
            50.0
        } else {
            100.0 * num / den
        }
    }
}

/// Scores every customer.
/// `clv` is the model's predicted value per customer, if fitted.
pub fn score(
    c: &Customers,
    product_lines: usize,
    attrs: Option<&Attributes>,
    clv: Option<&[Option<f64>]>,
    s: &Settings,
    keep: &[usize],
) -> Scores {
    let cuts = &s.rfm.quantiles;
    // Independent: recency and frequency (whole numbers: counted, not sorted) on a second
    // thread while monetary is sorted.
    let (((r, r_bins), (f, f_bins)), (m, m_bins)) = crate::par::join(
        || {
            let recency: Vec<f64> = c.recency_days.iter().map(|&d| f64::from(d)).collect();
            let frequency: Vec<f64> = c.frequency.iter().map(|&f| f64::from(f)).collect();
            (
                quantile_scores(&recency, cuts, false),
                quantile_scores(&frequency, cuts, true),
            )
        },
        || quantile_scores(&c.monetary, cuts, true),
    );

    // Attribute-based parts: influence scaled by the largest, size by rank share. Without
    // an attributes file (or a model) there are no columns to fill with `None`.
    let influence: Option<Vec<Option<f64>>> =
        attrs.map(|a| c.id.iter().map(|id| a.influence(id)).collect());
    let max_influence = influence
        .iter()
        .flatten()
        .flatten()
        .fold(0.0f64, |a, &b| a.max(b));
    let size_share: Option<Vec<Option<f64>>> = attrs.map(|a| {
        let sizes: Vec<Option<f64>> = c.id.iter().map(|id| a.size(id)).collect();
        rank_shares(&sizes)
    });
    let predicted_share = clv.map(rank_shares);
    let at = |v: &Option<Vec<Option<f64>>>, i: usize| v.as_ref().and_then(|v| v[i]);

    let mut out = Scores {
        edges: RfmEdges {
            recency_days: r_bins,
            frequency: f_bins,
            monetary: m_bins,
        },
        ..Scores::default()
    };
    // The current score and the segment depend on the cell alone: looked up, not computed
    // per customer.
    let side = cuts.len() + 1;
    let cell = |i: usize| {
        (usize::from(r[i]) - 1) * side * side + (usize::from(f[i]) - 1) * side + usize::from(m[i])
            - 1
    };
    let (mut current_of, mut segment_of) = (Vec::new(), Vec::new());
    for (r, f, m) in (1..=side as u8)
        .flat_map(|r| (1..=side as u8).flat_map(move |f| (1..=side as u8).map(move |m| (r, f, m))))
    {
        current_of.push(current_score(r, f, m, s));
        segment_of.push(s.segments.iter().position(|rule| rule.matches(r, f, m)));
    }
    let parts_of = |i: usize| PotentialParts {
        growth: (c.trend[i] + 1.0) / 2.0,
        breadth: c.product_lines[i]
            .filter(|_| product_lines > 0)
            .map(|n| 1.0 - f64::from(n) / product_lines as f64),
        steadiness: c.cycle_cv[i].map_or(0.5, |cv| 1.0 / (1.0 + cv)),
        influence: at(&influence, i)
            .filter(|_| max_influence > 0.0)
            .map(|v| (v / max_influence).clamp(0.0, 1.0)),
        size: at(&size_share, i),
        predicted: at(&predicted_share, i),
    };
    let mut kept = keep.to_vec();
    kept.sort_unstable();
    kept.dedup();
    out.kept_parts = kept
        .into_iter()
        .map(|i| (c.id[i].to_string(), parts_of(i)))
        .collect();
    // Each customer's scores depend on its own columns alone: on a large set, the two
    // halves on two threads.
    let n = c.len();
    let pw = s.value.potential_weight;
    let (mut value, mut current, mut potential) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut segment = vec![None; n];
    let fill = |from: usize,
                value: &mut [f64],
                current: &mut [f64],
                potential: &mut [f64],
                segment: &mut [Option<usize>]| {
        for (k, v) in value.iter_mut().enumerate() {
            let i = from + k;
            let now = current_of[cell(i)];
            let later = parts_of(i).score(s);
            *v = round2((1.0 - pw) * now + pw * later);
            current[k] = round2(now);
            potential[k] = round2(later);
            segment[k] = segment_of[cell(i)];
        }
    };
    if crate::par::threads_for(n) > 1 {
        let mid = n / 2;
        let (v0, v1) = value.split_at_mut(mid);
        let (c0, c1) = current.split_at_mut(mid);
        let (p0, p1) = potential.split_at_mut(mid);
        let (s0, s1) = segment.split_at_mut(mid);
        crate::par::join(|| fill(0, v0, c0, p0, s0), || fill(mid, v1, c1, p1, s1));
    } else {
        fill(0, &mut value, &mut current, &mut potential, &mut segment);
    }
    out.value = value;
    out.current = current;
    out.potential = potential;
    out.segment = segment;
    out.r = r;
    out.f = f;
    out.m = m;
    out
}

/// Mid-rank share (0..1) of each known value among the known values: (the number of known
/// values below it + half the number equal to it) / the number of known values.
///
/// One sort of (key, index) pairs and one pass over the runs of equal values; looking each
/// value up in the sorted values instead (two binary searches at random in a million) was
/// most of the score stage's time with a model.
pub fn rank_shares(values: &[Option<f64>]) -> Vec<Option<f64>> {
    // `+ 0.0` makes -0 into 0, which `==` (and so the share) does not tell apart.
    let keyed: Vec<(u64, u32)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (order_key(v + 0.0), i as u32)))
        .collect();
    let mut out = vec![None; values.len()];
    if keyed.is_empty() {
        return out;
    }
    let keyed = crate::par::sort(keyed);
    let mut below = 0;
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        let share = mid_rank_share(below, run.len(), keyed.len());
        for &(_, i) in run {
            out[i as usize] = Some(share);
        }
        below += run.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUTS: [f64; 4] = [0.2, 0.4, 0.6, 0.8];

    #[test]
    fn ten_distinct_values_fill_each_bin_twice() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let (s, bins) = quantile_scores(&v, &CUTS, true);
        assert_eq!(s, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(
            bins[0],
            Bin {
                score: 1,
                min: Some(1.0),
                max: Some(2.0),
                customers: 2
            }
        );
        assert_eq!(
            bins[4],
            Bin {
                score: 5,
                min: Some(9.0),
                max: Some(10.0),
                customers: 2
            }
        );
        let (s, _) = quantile_scores(&v, &CUTS, false);
        assert_eq!(s, [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
    }

    #[test]
    fn ties_at_a_bin_edge_stay_together() {
        // Values 2 and 3 straddle the first cut; the three 3s must share one score.
        let v = [1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let (s, _) = quantile_scores(&v, &CUTS, true);
        assert_eq!(s[2], s[3]);
        assert_eq!(s[3], s[4]);
        assert_eq!(s, [1, 1, 2, 2, 2, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn one_customer_and_all_equal_values_sit_in_the_middle() {
        assert_eq!(quantile_scores(&[42.0], &CUTS, true).0, [3]);
        assert_eq!(quantile_scores(&[5.0; 7], &CUTS, false).0, [3; 7]);
        let (s, bins) = quantile_scores(&[], &CUTS, true);
        assert!(s.is_empty());
        assert!(bins.iter().all(|b| b.customers == 0 && b.min.is_none()));
    }

    #[test]
    fn whole_numbers_counted_score_as_when_sorted() {
        let mut next = crate::test_rng(0x9e37_79b9_7f4a_7c15u64);
        let cuts = [[0.2, 0.4, 0.6, 0.8].as_slice(), &[0.5], &[0.1, 0.1, 0.9]];
        for case in 0..300 {
            let n = 1 + (next() % 500) as usize;
            let (spread, base) = [(3, 0), (40, -20), (5000, 1 << 40), (1 << 19, 0)][case % 4];
            let v: Vec<f64> = (0..n)
                .map(|_| (base + (next() % spread) as i64) as f64)
                .collect();
            for higher in [true, false] {
                let c = cuts[case % 3];
                let counted = whole_number_scores(&v, c, higher).expect("whole numbers");
                assert_eq!(counted, sorted_scores(&v, c, higher), "case {case}");
            }
        }
        // Anything else is sorted.
        for v in [
            vec![1.0, 2.5],
            vec![-0.0, 1.0],
            vec![1.0, f64::NAN],
            vec![f64::INFINITY],
            vec![0.0, COUNTED_SPAN as f64],
            vec![],
        ] {
            assert!(whole_number_scores(&v, &CUTS, true).is_none(), "{v:?}");
        }
    }

    #[test]
    fn current_score_spans_0_to_100() {
        let s = Settings::default();
        assert_eq!(current_score(1, 1, 1, &s), 0.0);
        assert_eq!(current_score(5, 5, 5, &s), 100.0);
        // 0.3*0.5 + 0.3*0 + 0.4*1 = 0.55
        assert!((current_score(3, 1, 5, &s) - 55.0).abs() < 1e-9);
    }

    #[test]
    fn potential_skips_unknown_parts() {
        let s = Settings::default();
        let p = PotentialParts {
            growth: 1.0,
            breadth: None,
            steadiness: 0.5,
            influence: None,
            size: None,
            predicted: None,
        };
        // (0.3*1 + 0.15*0.5) / 0.45
        assert!((p.score(&s) - 100.0 * 0.375 / 0.45).abs() < 1e-9);
        let all = PotentialParts {
            growth: 1.0,
            breadth: Some(1.0),
            steadiness: 1.0,
            influence: Some(1.0),
            size: Some(1.0),
            predicted: Some(1.0),
        };
        assert!((all.score(&s) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn order_keys_sort_like_total_cmp() {
        let mut v = vec![
            3.5,
            -0.0,
            0.0,
            -2.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
            -1e-300,
            f64::NAN,
            -f64::NAN,
            7.0,
            7.0,
        ];
        let mut by_key = v.clone();
        by_key.sort_by_key(|&x| order_key(x));
        v.sort_by(f64::total_cmp);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&by_key), bits(&v));
        for x in v {
            assert_eq!(value_of_key(order_key(x)).to_bits(), x.to_bits(), "{x}");
        }
    }

    #[test]
    fn rank_shares_count_the_values_below_and_half_the_equal_ones() {
        // Many ties, both zeros, unknowns; enough values for the sort's two threads.
        let mut x = 11u64;
        let values: Vec<Option<f64>> = (0..300_000)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match (x >> 33) % 7 {
                    0 => None,
                    1 => Some(if i % 2 == 0 { -0.0 } else { 0.0 }),
                    k => Some(((x >> 40) % 500) as f64 * if k == 2 { -1.0 } else { 0.25 }),
                }
            })
            .collect();
        let mut known: Vec<f64> = values.iter().flatten().copied().collect();
        known.sort_unstable_by(f64::total_cmp);
        let n = known.len() as f64;
        let got = rank_shares(&values);
        for (v, share) in values.iter().zip(&got) {
            let want = v.map(|v| {
                let below = known.partition_point(|&x| x < v);
                let upto = known.partition_point(|&x| x <= v);
                (below as f64 + (upto - below) as f64 / 2.0) / n
            });
            assert_eq!(*share, want, "value {v:?}");
        }
        assert_eq!(rank_shares(&[None, None]), [None, None]);
    }

    #[test]
    fn rank_shares_ignore_unknowns() {
        let r = rank_shares(&[Some(10.0), None, Some(20.0), Some(10.0)]);
        assert_eq!(r, [Some(1.0 / 3.0), None, Some(5.0 / 6.0), Some(1.0 / 3.0)]);
        assert_eq!(round2(12.345_678), 12.35);
    }
}
