//! A large CSV is split across threads at line breaks. These tests force the split on small
//! files and check that it changes nothing: the same rows, the same rejects with the same
//! line numbers, the same error message, and a safe fallback when a quoted field holds a
//! line break where the file would be split.

mod common;

use std::fs;
use std::path::Path;

use custscore::ledger::{read_ledger, Ledger, ReadOptions};
use custscore::progress::Progress;

/// Reads split across threads or by one reader.
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
        .flat_map(|b| b.rows().map(move |r| (b, r)))
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
    assert_eq!(
        one.inputs[0].sha256.get().unwrap(),
        split.inputs[0].sha256.get().unwrap()
    );
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

/// Rejected rows as (line, reason, record).
fn rejects(l: &Ledger) -> Vec<(u64, String, String)> {
    l.rejects
        .iter()
        .map(|r| (r.line, r.reason.clone(), r.record.clone()))
        .collect()
}

/// A ledger with CRLF line ends, blank lines, lines of empty fields (as many as the header
/// has, blanks, and more), a row with too many fields, a bad amount, a trailing empty field
/// and no line break at the end; `quote_header` quotes the header's
/// first name (which sends the whole file to the CSV reader).
fn awkward(quote_header: bool, late: &str) -> String {
    let mut text = String::from(if quote_header {
        "\"customer_id\",date,amount,note\r\n"
    } else {
        "customer_id,date,amount,note\r\n"
    });
    for i in 0..4000 {
        let line = match i % 500 {
            17 => format!("C{},2025-03-{:02},1.5,x,extra\r\n", i % 41, i % 28 + 1),
            99 => format!("C{},2025-03-01,12.5.0,\r\n", i % 41),
            250 => "\r\n".to_string(),
            300 => ",,,\r\n".to_string(),
            400 => " , ,\t, \r\n".to_string(),
            450 => ",,,,,,\r\n".to_string(),
            _ => format!("C{},2025-03-{:02},{}.25,\r\n", i % 41, i % 28 + 1, i % 97),
        };
        text.push_str(&line);
        if i == 3500 {
            text.push_str(late);
        }
    }
    text.push_str("C1,2025-03-31,7,last");
    text
}

#[test]
fn the_plain_reader_reads_like_the_csv_reader() {
    let tmp = tempfile::tempdir().unwrap();
    let (plain, quoted) = (tmp.path().join("plain.csv"), tmp.path().join("quoted.csv"));
    fs::write(&plain, awkward(false, "")).unwrap();
    fs::write(&quoted, awkward(true, "")).unwrap();
    let reference = read(&quoted, false, true).unwrap();
    // 4000 lines and a last one; 8 blank, 24 of empty fields (no more rows than blank
    // lines), 16 rejected.
    assert_eq!(reference.row_count(), 3953);
    assert_eq!(reference.inputs[0].rows_read, 3953 + 16);
    assert_eq!(rejects(&reference).len(), 16);
    // The line of data row i is i + 2 (the header is line 1), in both readers: the CSV
    // reader's own positions, one line short after a CRLF, are not used.
    let bad_lines: Vec<u64> = (0..4000u64)
        .filter(|i| matches!(i % 500, 17 | 99))
        .map(|i| i + 2)
        .collect();
    let lines = |l: &Ledger| l.rejects.iter().map(|r| r.line).collect::<Vec<_>>();
    assert_eq!(lines(&reference), bad_lines);
    for split in [false, true] {
        let l = read(&plain, split, true).unwrap();
        assert_eq!(rows(&l), rows(&reference), "split {split}");
        assert_eq!(rejects(&l), rejects(&reference), "split {split}");
        assert_eq!(l.inputs[0].rows_read, reference.inputs[0].rows_read);
        // The quoted file read by CSV readers in parallel parts.
        let q = read(&quoted, split, true).unwrap();
        assert_eq!(rejects(&q), rejects(&reference), "quoted, split {split}");
        assert_eq!(rows(&q), rows(&reference), "quoted, split {split}");
    }
}

#[test]
fn a_file_of_many_chunks_reads_alike_every_way() {
    // About 9 MB: the plain reader takes it in several 4 MiB chunks, and a bad row or a CRLF
    // may fall on any chunk's edge.
    let tmp = tempfile::tempdir().unwrap();
    let (plain, quoted) = (tmp.path().join("plain.csv"), tmp.path().join("quoted.csv"));
    let mut text = String::new();
    for i in 0..300_000u64 {
        let (end, amount) = if i % 3 == 0 {
            ("\r\n", "")
        } else {
            ("\n", ".5")
        };
        if i % 7919 == 11 {
            text.push_str(&format!("C{},2025-04-01,bad{end}", i % 5003));
        } else {
            text.push_str(&format!(
                "C{},2025-04-{:02},{}{amount}{end}",
                i % 5003,
                i % 28 + 1,
                i % 1009
            ));
        }
    }
    fs::write(&plain, format!("customer_id,date,amount\n{text}")).unwrap();
    fs::write(&quoted, format!("\"customer_id\",date,amount\n{text}")).unwrap();
    let reference = read(&quoted, false, true).unwrap();
    assert_eq!(rejects(&reference).len(), 38);
    let sha = |l: &Ledger| l.inputs[0].sha256.get().unwrap().to_string();
    // The hash (taken by a thread of its own) against one of the bytes.
    use sha2::Digest;
    let digest = format!("{:x}", sha2::Sha256::digest(fs::read(&plain).unwrap()));
    for split in [false, true] {
        let l = read(&plain, split, true).unwrap();
        assert_eq!(rows(&l), rows(&reference), "split {split}");
        assert_eq!(rejects(&l), rejects(&reference), "split {split}");
        assert_eq!(sha(&l), digest);
    }
}

#[test]
fn a_quote_or_a_lone_carriage_return_past_the_head_sends_the_file_to_the_csv_reader() {
    let tmp = tempfile::tempdir().unwrap();
    // Past the first 64 KiB: a quoted field with the delimiter and a line break in it, and
    // a lone carriage return (a line end of its own for the CSV reader).
    for late in [
        "C7,2025-03-02,3,\"a, b\nc\"\r\n",
        "C8,2025-03-02,4,x\rC9,2025-03-03,5,y\r\n",
    ] {
        let (plain, quoted) = (tmp.path().join("plain.csv"), tmp.path().join("quoted.csv"));
        let text = awkward(false, late);
        assert!(text.find(late).unwrap() > 64 << 10);
        fs::write(&plain, text).unwrap();
        fs::write(&quoted, awkward(true, late)).unwrap();
        let reference = read(&quoted, false, true).unwrap();
        assert_eq!(reference.row_count(), 3953 + late.matches('C').count());
        for split in [false, true] {
            let l = read(&plain, split, true).unwrap();
            assert_eq!(rows(&l), rows(&reference), "{late:?} split {split}");
            assert_eq!(rejects(&l), rejects(&reference), "{late:?} {split}");
        }
    }
}

#[test]
fn the_csv_reader_names_the_line_a_bad_row_is_on() {
    // Each file has a quote (the CSV reader reads it) and one bad row; its line counts every
    // line break: `\n`, `\r\n`, a lone `\r`, blank lines and breaks inside quotes.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("l.csv");
    let cases: &[(&str, u64)] = &[
        (
            "customer_id,date,amount\n\"C1\",2025-01-01,1\n\nC2,2025-01-02,x\n",
            4,
        ),
        (
            "customer_id,date,amount\r\n\"C1\",2025-01-01,1\r\nC2,2025-01-02,x\r\n",
            3,
        ),
        (
            "customer_id,date,amount\r\n\"C1\",2025-01-01,1\r\n\r\n\r\nC2,2025-01-02,x\r\n",
            5,
        ),
        (
            "customer_id,date,amount\r\"C1\",2025-01-01,1\rC2,2025-01-02,x\r",
            3,
        ),
        (
            "customer_id,date,amount,n\nC1,2025-01-01,1,\"a\nb\"\nC2,2025-01-02,x,",
            4,
        ),
        (
            "\u{feff}customer_id,date,amount\r\nC2,2025-01-02,x\r\n\"C1\",2025-01-01,1\r\n",
            2,
        ),
    ];
    for (text, line) in cases {
        fs::write(&path, text).unwrap();
        for split in [false, true] {
            let l = read(&path, split, true).unwrap();
            let lines: Vec<u64> = l.rejects.iter().map(|r| r.line).collect();
            assert_eq!(lines, [*line], "{text:?}, split {split}");
            let e = read(&path, split, false).unwrap_err();
            assert!(
                format!("{e:#}").contains(&format!("l.csv line {line}, column \"amount\"")),
                "{text:?}, split {split}: {e:#}"
            );
        }
    }
}

#[test]
fn a_decoded_file_names_the_line_a_bad_row_is_on() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("gbk.csv");
    let text = "customer_id,date,amount\r\n\"客户\",2025-01-01,1\r\n\r\nC2,2025-01-02,x\r\n";
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    fs::write(&path, bytes).unwrap();
    let opts = ReadOptions {
        encoding: Some(encoding_rs::GBK),
        skip_bad_rows: true,
        ..ReadOptions::default()
    };
    let l = read_ledger(&[path], &opts, &Progress::hidden()).unwrap();
    assert_eq!(l.rejects.iter().map(|r| r.line).collect::<Vec<_>>(), [4]);
    assert_eq!(l.blocks.iter().map(|b| b.ids.len()).sum::<usize>(), 1);
}

#[test]
fn a_file_of_wide_lines_reads_alike_every_way() {
    // The plain reader notes up to 64 fields of a line on the stack and splits a wider line
    // again: 70 columns, some lines one field short or one too many, the roles at both ends.
    let tmp = tempfile::tempdir().unwrap();
    let (plain, quoted) = (tmp.path().join("plain.csv"), tmp.path().join("quoted.csv"));
    let extra: Vec<String> = (0..66).map(|k| format!("x{k}")).collect();
    let header = format!("customer_id,{},date,amount,product_line", extra.join(","));
    let mut text = String::new();
    for i in 0..3000u64 {
        let cells: Vec<String> = (0..66).map(|k| format!("{}", (i + k) % 97)).collect();
        let mut cells = cells.join(",");
        match i % 250 {
            7 => cells.push_str(",surplus"),
            9 => cells = cells[..cells.rfind(',').unwrap()].to_string(),
            _ => {}
        }
        text.push_str(&format!(
            "C{},{cells},2025-05-{:02},{}.25,P{}\n",
            i % 211,
            i % 28 + 1,
            i % 503,
            i % 5
        ));
    }
    fs::write(&plain, format!("{header}\n{text}")).unwrap();
    fs::write(&quoted, format!("\"customer_id\"{}\n{text}", &header[11..])).unwrap();
    let reference = read(&quoted, false, true).unwrap();
    assert_eq!(reference.row_count(), 2976);
    let reasons: Vec<String> = reference.rejects.iter().map(|r| r.reason.clone()).collect();
    assert_eq!(reasons.len(), 24);
    assert!(
        reasons[0].contains("71 fields but the header has 70"),
        "{}",
        reasons[0]
    );
    assert!(
        reasons[1].contains("69 fields but the header has 70"),
        "{}",
        reasons[1]
    );
    for split in [false, true] {
        let l = read(&plain, split, true).unwrap();
        assert_eq!(rows(&l), rows(&reference), "split {split}");
        assert_eq!(rejects(&l), rejects(&reference), "split {split}");
    }
}
