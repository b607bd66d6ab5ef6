//! Using custscore as a library: score a ledger, then read the ranked customers and the tier
//! totals without writing any file.
//!
//! ```text
//! cargo run --example library_usage -- testdata/sample_ledger.csv
//! ```

use custscore::pipeline::{self, Request};
use custscore::progress::Progress;
use custscore::report::{tier_rows, Timings};

fn main() -> anyhow::Result<()> {
    let ledger = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/sample_ledger.csv".into());
    let request = Request {
        ledgers: vec![ledger.into()],
        ..Request::default()
    };
    let scored = pipeline::score(&request, &Progress::hidden(), &mut Timings::default())?;

    println!(
        "top accounts as of {}:",
        custscore::ledger::parse::format_day(scored.as_of)
    );
    // Customers are in rank order.
    for i in 0..scored.customers.len().min(5) {
        let c = &scored.customers;
        println!(
            "{:>2}. {:<10} {:<9} value {:>6.2}  revenue {:>10.2}  segment {}",
            i + 1,
            &c.id[i],
            scored.tiers[i].as_str(),
            scored.scores.value[i],
            c.monetary[i],
            scored.segment(i)
        );
    }
    for row in tier_rows(&scored) {
        println!(
            "{:<9} {:>5} customers  {:>5.1}% of revenue",
            row.group,
            row.customers,
            100.0 * row.revenue_share
        );
    }
    Ok(())
}
