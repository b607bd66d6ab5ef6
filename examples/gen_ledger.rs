//! Writes a deterministic synthetic sales ledger of any size (about `--rows` lines), for
//! trying custscore and for benchmarks.
//!
//! ```text
//! cargo run --release --example gen_ledger -- --rows 10000000 --out big.csv
//! cargo run --release --example gen_ledger -- --rows 4000 --customers 300 --seed 7 --out testdata/sample_ledger.csv
//! ```
//!
//! The generator itself is `custscore::synth`; the same arguments always give the same bytes.

use std::io::{BufWriter, Write};

use custscore::synth;

fn main() -> std::io::Result<()> {
    let mut rows: usize = 10_000;
    let mut customers: Option<usize> = None;
    let mut seed: u64 = 42;
    let mut out: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--rows" => {
                rows = value()
                    .parse()
                    .unwrap_or_else(|_| usage("--rows takes a whole number"))
            }
            "--customers" => {
                customers = Some(
                    value()
                        .parse()
                        .unwrap_or_else(|_| usage("--customers takes a whole number")),
                )
            }
            "--seed" => {
                seed = value()
                    .parse()
                    .unwrap_or_else(|_| usage("--seed takes a whole number"))
            }
            "--out" => out = Some(value()),
            _ => usage(&format!("unknown argument {a}")),
        }
    }
    let out = out.unwrap_or_else(|| usage("--out FILE is required"));
    let n_customers = customers.unwrap_or((rows / 10).max(1));
    if rows < n_customers {
        usage("--rows must be at least --customers");
    }
    let lines = synth::generate(rows, n_customers, seed);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    synth::write_csv(&mut w, &lines, n_customers, seed)?;
    w.flush()?;
    eprintln!("{} rows, {n_customers} customers -> {out}", lines.len());
    Ok(())
}

fn usage(msg: &str) -> ! {
    eprintln!(
        "gen_ledger: {msg}\nusage: gen_ledger --rows N [--customers N] [--seed N] --out FILE"
    );
    std::process::exit(2)
}
