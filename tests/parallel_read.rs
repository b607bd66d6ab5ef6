//! A large CSV is split across threads at line breaks. These tests force the split on small
//! files and check that it changes nothing: the same rows, the same rejects with the same
//! line numbers, the same error message, and a safe fallback when a quoted field holds a
//! line break where the file would be split.

mod common;

use std::fs;
use std::path::Path;

use custscore::ledger::{read_ledger, Ledger, ReadOptions};
use custscore::progress::Progress;

fn read(path: &Path, split: bool, skip_bad_rows: bool) -> anyhow::Result<Ledger> {
    let opts = ReadOptions {
        parallel_min_bytes: if split { Some(1) } else { None },
        skip_bad_rows,
        ..ReadOptions::default()
    };
    read_ledger(&[path.to_path_buf()], &opts, &Progress::hidden())
}

/// Rows as comparable text, sorted, so that part order and interning order do not matter.
fn rows(l: &Ledger) -> Vec<String> {
    let name = |i: u32, d: &custscore::ledger::Interner| {
        if i == custscore::ledger::NONE {
            String::new()
        } else {
            d.get(i).to_string()
        }
    };
    let mut v: Vec<String> = l
        .blocks
        .iter()
        .flat_map(|b| b.rows.iter().map(move |r| (b, r)))
        .map(|(b, r)| {
            format!(
                "{}|{}|{}|{}|{}|{}",
                b.ids.get(r.customer),
                r.day,
                r.amount,
                r.invoice,
                name(r.product, &l.products),
                name(r.industry, &l.industries)
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_split_read_gives_the_same_rows_as_a_single_read() {
    let path = common::testdata("sample_ledger.csv");
    let (one, split) = (
        read(&path, false, false).unwrap(),
        read(&path, true, false).unwrap(),
    );
    assert_eq!(rows(&one), rows(&split));
    // Customers are numbered the same way whatever the number of readers.
    let ids = |l: &Ledger| {
        l.blocks
            .iter()
            .map(|b| (b.first, b.ids.iter().map(String::from).collect::<Vec<_>>()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&one), ids(&split));
    assert_eq!(one.customer_count(), split.customer_count());
    assert_eq!(
        (one.first_day, one.last_day),
        (split.first_day, split.last_day)
    );
    assert_eq!(one.inputs[0].sha256, split.inputs[0].sha256);
    assert_eq!(one.inputs[0].rows_read, split.inputs[0].rows_read);
}

#[test]
fn bad_rows_in_a_later_part_keep_their_line_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("l.csv");
    let mut text = String::from("customer_id,date,amount\n");
    for i in 0..400 {
        let amount = if i % 97 == 5 {
            "oops".to_string()
        } else {
            format!("{}.5", i % 13 + 1)
        };
        text.push_str(&format!("C{},2025-01-{:02},{amount}\n", i % 37, i % 28 + 1));
        if i == 300 {
            text.push('\n'); // a blank line is skipped but still counts as a line
        }
    }
    fs::write(&path, text).unwrap();
    let (one, split) = (
        read(&path, false, true).unwrap(),
        read(&path, true, true).unwrap(),
    );
    let lines = |l: &Ledger| l.rejects.iter().map(|r| r.line).collect::<Vec<_>>();
    assert_eq!(lines(&one), [7, 104, 201, 298, 396]);
    assert_eq!(lines(&one), lines(&split));
    assert_eq!(rows(&one), rows(&split));
    let (e1, e2) = (
        read(&path, false, false).unwrap_err(),
        read(&path, true, false).unwrap_err(),
    );
    assert_eq!(format!("{e1:#}"), format!("{e2:#}"));
}

#[test]
fn a_quoted_line_break_at_a_split_point_falls_back_to_one_reader() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("l.csv");
    // Long quoted notes full of line breaks: most split points land inside one.
    let mut text = String::from("customer_id,date,amount,note\n");
    for i in 0..200 {
        let note = "line\n".repeat(20);
        text.push_str(&format!(
            "C{},2025-02-{:02},{},\"{note}\"\n",
            i % 11,
            i % 28 + 1,
            i + 1
        ));
    }
    fs::write(&path, text).unwrap();
    let (one, split) = (
        read(&path, false, false).unwrap(),
        read(&path, true, false).unwrap(),
    );
    assert_eq!(one.row_count(), 200);
    assert_eq!(rows(&one), rows(&split));
}
