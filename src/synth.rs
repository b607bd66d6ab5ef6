//! A deterministic synthetic sales ledger of any size, for trying custscore, for the
//! benchmarks and for tests that need more rows than a fixture holds.
//!
//! Columns: `invoice_id,customer_id,order_date,amount,product_line,region,industry,quantity`
//! (the same as `shared/bench/gen_ledger.py`). Each customer has an industry, a region, a
//! purchase cycle, a spend level and a main product line; some grow, some decline, some buy
//! once for a project and stop; about 2% of lines are later returned (negative amounts).
//! The same arguments always give the same bytes.

use std::io::{self, Write};

const PRODUCT_LINES: [(&str, f64); 8] = [
    ("Hardware", 180.0),
    ("Software", 450.0),
    ("Services", 900.0),
    ("Consumables", 12.0),
    ("Spare Parts", 35.0),
    ("Training", 300.0),
    ("Support Plans", 1200.0),
    ("Accessories", 20.0),
];
const REGIONS: [&str; 5] = ["North", "South", "East", "West", "Central"];
const INDUSTRIES: [&str; 6] = [
    "Manufacturing",
    "Retail",
    "Healthcare",
    "Finance",
    "Logistics",
    "Education",
];
/// The ledger covers 2023-11-01 ..= 2026-10-31 (days since 1970-01-01).
const START: i64 = 19_662;
const DAYS: i64 = 1_096;

/// SplitMix64: small, fast and fully specified, so the output never changes with a crate.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (1.0 - self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// One invoice line. `day` counts from the ledger's first day, 2023-11-01.
pub struct Line {
    pub day: i64,
    pub invoice: u64,
    pub customer: usize,
    pub amount: f64,
    pub product: usize,
    pub quantity: i64,
}

fn civil(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// About `rows` lines (within about 10%): every customer buys on its own cycle, scaled so
/// that the expected total is `rows`; large and small ledgers have the same mix of behaviours.
pub fn generate(rows: usize, n_customers: usize, seed: u64) -> Vec<Line> {
    let mut rng = Rng(seed);
    // Lines per invoice average 1.6 plus 2% returns, and churners stop early: 1.5 lines per
    // expected invoice, measured, lands within about 10% of --rows.
    let per_customer = rows as f64 / n_customers as f64 / 1.5;
    let mut lines: Vec<Line> = Vec::with_capacity(rows);
    let mut invoice = 0u64;
    for c in 0..n_customers {
        let birth = (rng.unit() * (DAYS - 1) as f64) as i64;
        let kind = rng.unit();
        let spend = (5.0 + 1.0 * rng.normal()).exp(); // mean line value, lognormal around 150
        let main = rng.below(PRODUCT_LINES.len());
        let breadth = rng.unit();
        // Expected invoices for this customer, heterogeneous around the average.
        let lifetime = DAYS - birth;
        let invoices = if kind < 0.08 {
            1.0
        } else {
            (per_customer * rng.exp(1.0) * 2.0 * lifetime as f64 / DAYS as f64).max(1.0)
        };
        let cycle = (lifetime as f64 / invoices).max(1.0);
        let churn = if kind > 0.75 {
            birth + (rng.unit() * lifetime as f64) as i64
        } else {
            DAYS
        };
        let growth: f64 = if kind > 0.9 {
            2.0
        } else if kind > 0.75 {
            0.5
        } else {
            1.0
        };
        let mut day = birth;
        let mut first = true;
        while day < DAYS && day <= churn {
            invoice += 1;
            let n_lines = 1 + usize::from(rng.unit() < 0.4) + usize::from(rng.unit() < 0.2);
            let age = (day - birth) as f64 / DAYS as f64;
            for _ in 0..n_lines {
                let product = if rng.unit() < 0.5 + 0.5 * (1.0 - breadth) {
                    main
                } else {
                    rng.below(PRODUCT_LINES.len())
                };
                let project = if kind < 0.08 { 20.0 } else { 1.0 };
                let amount = (spend * project * growth.powf(age) * (0.5 + rng.unit())).max(0.01);
                let quantity = ((amount / PRODUCT_LINES[product].1).round() as i64).max(1);
                lines.push(Line {
                    day,
                    invoice,
                    customer: c,
                    amount,
                    product,
                    quantity,
                });
                if rng.unit() < 0.02 && day + 1 < DAYS {
                    let back = (day + 1 + rng.below(60) as i64).min(DAYS - 1);
                    let share = if rng.unit() < 0.7 {
                        1.0
                    } else {
                        0.1 + 0.8 * rng.unit()
                    };
                    lines.push(Line {
                        day: back,
                        invoice: 0,
                        customer: c,
                        amount: -(amount * share).max(0.01),
                        product,
                        quantity: -quantity,
                    });
                }
            }
            if first && kind < 0.08 {
                break;
            }
            first = false;
            day += rng.exp(cycle).ceil().max(1.0) as i64;
        }
    }
    // Credit notes get their own invoice numbers; the ledger is in date order.
    lines.sort_by_key(|l| (l.day, l.invoice == 0, l.invoice, l.customer));
    let mut next = invoice;
    for l in lines.iter_mut().filter(|l| l.invoice == 0) {
        next += 1;
        l.invoice = next;
    }
    lines.sort_by_key(|l| (l.day, l.invoice));
    lines
}

/// Writes a generated ledger as CSV.
pub fn write_csv(
    w: &mut impl Write,
    lines: &[Line],
    n_customers: usize,
    seed: u64,
) -> io::Result<()> {
    writeln!(
        w,
        "invoice_id,customer_id,order_date,amount,product_line,region,industry,quantity"
    )?;
    let width = n_customers.to_string().len().max(5);
    let mut rng = Rng(seed ^ 0xA5A5);
    let place: Vec<(usize, usize)> = (0..n_customers)
        .map(|_| (rng.below(REGIONS.len()), rng.below(INDUSTRIES.len())))
        .collect();
    for l in lines {
        let (region, industry) = place[l.customer];
        writeln!(
            w,
            "INV{:09},C{:0width$},{},{:.2},{},{},{},{}",
            l.invoice,
            l.customer,
            civil(START + l.day),
            l.amount,
            PRODUCT_LINES[l.product].0,
            REGIONS[region],
            INDUSTRIES[industry],
            l.quantity
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_ledger() {
        let text = |seed| {
            let mut v = Vec::new();
            write_csv(&mut v, &generate(2_000, 200, seed), 200, seed).unwrap();
            v
        };
        assert_eq!(text(3), text(3));
        assert_ne!(text(3), text(4));
        let lines = generate(2_000, 200, 3);
        assert!(
            lines
                .windows(2)
                .all(|w| (w[0].day, w[0].invoice) <= (w[1].day, w[1].invoice)),
            "date order"
        );
        assert!(lines.iter().any(|l| l.amount < 0.0), "has returns");
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(START), "2023-11-01");
    }
}
