//! Property tests (proptest) on small random ledgers, through the library: scores stay in
//! range, tiers follow the configured shares, buying more never lowers the monetary score,
//! and the order of rows and files never changes an output byte.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use custscore::classify::Tier;
use custscore::model::at;
use custscore::pipeline::{self, Request, Scored};
use custscore::progress::Progress;
use custscore::report::{write_all, OutDir, Outputs, Timings};
use proptest::prelude::*;

/// One ledger row: customer number, day offset, amount in cents (negative: a return).
type Line = (u8, u16, i32);

fn ledger_text(lines: &[Line]) -> String {
    let mut t = String::from("customer_id,date,amount\n");
    for &(c, d, cents) in lines {
        let (y, m, day) = custscore::ledger::parse::civil_from_days(
            custscore::ledger::parse::days_from_civil(2024, 1, 1) + i32::from(d),
        );
        writeln!(
            t,
            "C{c:02},{y:04}-{m:02}-{day:02},{}.{:02}",
            if cents < 0 { "-" } else { "" }.to_string() + &(cents.abs() / 100).to_string(),
            cents.abs() % 100
        )
        .unwrap();
    }
    t
}

fn score_files(paths: &[PathBuf]) -> Scored {
    let req = Request {
        ledgers: paths.to_vec(),
        ..Request::default()
    };
    pipeline::score(&req, &Progress::hidden(), &mut Timings::default())
        .expect("a valid ledger scores")
}

fn score_text(dir: &Path, name: &str, text: &str) -> Scored {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    score_files(&[p])
}

/// Ledgers of 2..40 customers, every customer with at least one purchase.
fn ledgers() -> impl Strategy<Value = Vec<Line>> {
    (2u8..40).prop_flat_map(|n| {
        let firsts =
            proptest::collection::vec((1u16..700, 1i32..500_000), n as usize).prop_map(|v| {
                v.into_iter()
                    .enumerate()
                    .map(|(c, (d, a))| (c as u8, d, a))
                    .collect::<Vec<Line>>()
            });
        let more = proptest::collection::vec((0..n, 0u16..730, -20_000i32..300_000), 0..200);
        (firsts, more).prop_map(|(mut a, b)| {
            a.extend(b);
            a
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn scores_stay_in_range_and_tiers_follow_the_shares(lines in ledgers()) {
        let tmp = tempfile::tempdir().unwrap();
        let s = score_text(tmp.path(), "l.csv", &ledger_text(&lines));
        let n = s.customers.len();
        for i in 0..n {
            for v in [s.scores.value[i], s.scores.current[i], s.scores.potential[i]] {
                prop_assert!((0.0..=100.0).contains(&v), "score {v}");
            }
            for v in [s.scores.r[i], s.scores.f[i], s.scores.m[i]] {
                prop_assert!((1..=5).contains(&v));
            }
            for p in [at(&s.predictions.p_alive, i), at(&s.predictions.p_buy, i)].into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&p), "probability {p}");
            }
        }
        // Default rank shares 5% / 15% / 30%, boundaries rounded: rank order, tier by tier.
        let bound = |share: f64| (n as f64 * share + 0.5 - 1e-9).floor() as usize;
        let want: Vec<Tier> = (0..n).map(|k| if k < bound(0.05) { Tier::Strategic } else if k < bound(0.20) { Tier::Partner } else if k < bound(0.50) { Tier::Priority } else { Tier::Ordinary }).collect();
        prop_assert_eq!(&s.tiers, &want);
        prop_assert!(s.scores.value.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn buying_more_never_lowers_the_monetary_score(lines in ledgers(), who in 0u8..40, extra in 1i32..1_000_000) {
        let tmp = tempfile::tempdir().unwrap();
        let who = who % (lines.iter().map(|l| l.0).max().unwrap() + 1);
        let before = score_text(tmp.path(), "a.csv", &ledger_text(&lines));
        let mut more = lines.clone();
        let first = more.iter().find(|l| l.0 == who).map(|l| l.1).unwrap();
        more.push((who, first, extra));
        let after = score_text(tmp.path(), "b.csv", &ledger_text(&more));
        let id = format!("C{who:02}");
        let m = |s: &Scored| s.customers.id.iter().position(|x| *x == id).map(|i| s.scores.m[i]);
        if let (Some(a), Some(b)) = (m(&before), m(&after)) {
            prop_assert!(b >= a, "M score of {} went from {} to {}", id, a, b);
        }
    }

    #[test]
    fn row_order_and_file_split_change_no_output_byte(lines in ledgers(), seed in any::<u64>(), cut in 0usize..200) {
        let tmp = tempfile::tempdir().unwrap();
        let whole = tmp.path().join("whole.csv");
        fs::write(&whole, ledger_text(&lines)).unwrap();
        // A seeded shuffle, then a split into two files.
        let mut shuffled = lines.clone();
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let cut = cut.min(shuffled.len());
        let (p1, p2) = (tmp.path().join("p1.csv"), tmp.path().join("p2.csv"));
        fs::write(&p1, ledger_text(&shuffled[..cut])).unwrap();
        fs::write(&p2, ledger_text(&shuffled[cut..])).unwrap();
        let (o1, o2) = (tmp.path().join("o1"), tmp.path().join("o2"));
        write_all(&score_files(&[whole]), OutDir::prepare(&o1).unwrap(), Outputs::default(), &mut Timings::default()).unwrap();
        write_all(&score_files(&[p2, p1]), OutDir::prepare(&o2).unwrap(), Outputs::default(), &mut Timings::default()).unwrap();
        for f in ["scores.csv", "tiers.csv", "segments.csv"] {
            prop_assert_eq!(fs::read(o1.join(f)).unwrap(), fs::read(o2.join(f)).unwrap(), "{}", f);
        }
    }
}
