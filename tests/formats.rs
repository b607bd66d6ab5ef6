//! Formats real ledgers come in and formats consultants and pipelines want out: Excel
//! workbooks as ledger and attributes input (`--sheet`), amounts with separators and currency
//! signs (`--amount-format`), the customer table as CSV, Parquet or JSON (`--format`) and the
//! formatted workbook (`--xlsx`).

mod common;

use calamine::{Data, DataType as _, Reader};
use common::*;
use polars::prelude::*;

fn sample_xlsx() -> std::path::PathBuf {
    testdata("sample_ledger.xlsx")
}

#[test]
fn an_excel_ledger_scores_exactly_like_its_csv_export() {
    // testdata/sample_ledger.xlsx is the sample CSV written by Python's xlsxwriter
    // (testdata/make_xlsx.py): date cells, number cells, a cover sheet first, the attributes
    // on a third sheet.
    let tmp = tempfile::tempdir().unwrap();
    let (x, c) = (tmp.path().join("x"), tmp.path().join("c"));
    let book = sample_xlsx();
    score_ok(
        &[&book],
        &x,
        &[
            "--sheet",
            "ledger",
            "--attributes",
            book.to_str().unwrap(),
            "--attributes-sheet",
            "attributes",
        ],
    );
    score_ok(
        &[&testdata("sample_ledger.csv")],
        &c,
        &[
            "--attributes",
            testdata("sample_attributes.csv").to_str().unwrap(),
        ],
    );
    for f in ["scores.csv", "tiers.csv", "segments.csv", "prospects.csv"] {
        assert_eq!(
            std::fs::read(x.join(f)).unwrap(),
            std::fs::read(c.join(f)).unwrap(),
            "{f} differs between the xlsx and csv ledgers"
        );
    }
    let m = manifest(&x);
    assert_eq!(m["inputs"][0]["format"], "xlsx");
    assert_eq!(m["inputs"][0]["rows_read"], 3624);
}

#[test]
fn the_wrong_or_a_missing_sheet_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    // No --sheet: the first sheet is a cover page; the error lists the sheets.
    custscore()
        .args(["score", sample_xlsx().to_str().unwrap(), "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--sheet"))
        .stderr(predicates::str::contains(
            r#""README", "ledger", "attributes""#,
        ))
        .stderr(predicates::str::contains("no column for the customer role"));
    custscore()
        .args([
            "score",
            sample_xlsx().to_str().unwrap(),
            "--sheet",
            "Sales",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(r#"--sheet: "#))
        .stderr(predicates::str::contains(
            r#"has no sheet "Sales"; its sheets are "README", "ledger", "attributes""#,
        ));
    // Not a workbook at all.
    let fake = tmp.path().join("fake.xlsx");
    std::fs::write(&fake, "customer_id,date,amount\nA,2026-01-01,5\n").unwrap();
    custscore()
        .args(["score", fake.to_str().unwrap(), "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "fake.xlsx: not a readable workbook",
        ));
    assert!(!out.join("scores.csv").exists());
}

#[test]
fn bad_cells_in_a_workbook_name_the_sheet_and_row() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet();
    s.set_name("Sales").unwrap();
    for (c, h) in ["customer_id", "date", "amount"].iter().enumerate() {
        s.write_string(0, c as u16, *h).unwrap();
    }
    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 3, 1).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for r in 1..=3u32 {
        s.write_string(r, 0, format!("C{r}")).unwrap();
        s.write_datetime_with_format(r, 1, &day, &fmt).unwrap();
        s.write_number(r, 2, 10.0 * r as f64).unwrap();
    }
    s.write_string(3, 2, "twelve").unwrap(); // Excel row 4
    book.save(&path).unwrap();
    custscore()
        .args(["score", path.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("o"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.xlsx[Sales]"))
        .stderr(predicates::str::contains("line 4"))
        .stderr(predicates::str::contains("twelve"));
}

#[test]
fn grouped_amounts_need_the_flag_and_are_then_read_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = testdata("amounts_grouped.csv");
    let out = tmp.path().join("o");
    custscore()
        .args(["score", ledger.to_str().unwrap(), "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--amount-format"));
    score_ok(
        &[&ledger],
        &out,
        &["--amount-format", "grouped", "--model", "none"],
    );
    let t = Table::read(&out.join("scores.csv"));
    // A: 1234.50 + 12000 - 234.50; B: 1000.25 - 1000.25 + 2500; C: 880.
    assert_eq!(t.get("A", "monetary"), "13000.00");
    assert_eq!(t.get("A", "returns"), "234.50");
    assert_eq!(t.get("B", "monetary"), "2500.00");
    assert_eq!(t.get("C", "monetary"), "880.00");
    // The other convention is refused, not misread: "¥1,234.50" under decimal-comma.
    custscore()
        .args([
            "score",
            ledger.to_str().unwrap(),
            "--amount-format",
            "grouped-decimal-comma",
            "--out",
        ])
        .arg(tmp.path().join("o2"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("grouped-decimal-comma"));
    custscore()
        .args([
            "score",
            ledger.to_str().unwrap(),
            "--amount-format",
            "fancy",
            "--out",
        ])
        .arg(tmp.path().join("o3"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--amount-format: unknown amount format",
        ));
}

/// The CSV's cell for row `r`, column `c`, as the typed value the other formats should hold.
fn csv_cell_matches(csv: &str, other: &AnyValue) -> bool {
    match other {
        AnyValue::Null => csv.is_empty(),
        AnyValue::Int64(v) => csv == v.to_string(),
        AnyValue::Float64(v) => csv.parse::<f64>().is_ok_and(|c| c == *v),
        AnyValue::String(s) => csv == *s,
        AnyValue::StringOwned(s) => csv == s.as_str(),
        AnyValue::Date(d) => csv == custscore::ledger::parse::format_day(*d),
        v => panic!("unexpected value {v:?}"),
    }
}

#[test]
fn parquet_and_json_hold_the_same_table_as_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = testdata("sample_ledger.csv");
    let (c, p, j) = (
        tmp.path().join("c"),
        tmp.path().join("p"),
        tmp.path().join("j"),
    );
    let attrs = testdata("sample_attributes.csv");
    let extra = ["--attributes", attrs.to_str().unwrap()];
    score_ok(&[&ledger], &c, &extra);
    score_ok(
        &[&ledger],
        &p,
        &[&extra[..], &["--format", "parquet"]].concat(),
    );
    score_ok(
        &[&ledger],
        &j,
        &[&extra[..], &["--format", "json"]].concat(),
    );
    assert!(!p.join("scores.csv").exists() && !j.join("scores.csv").exists());
    let csv = Table::read(&c.join("scores.csv"));

    let df = ParquetReader::new(std::fs::File::open(p.join("scores.parquet")).unwrap())
        .finish()
        .unwrap();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, csv.header);
    assert_eq!(df.height(), csv.rows.len());
    assert_eq!(
        df.column("first_purchase").unwrap().dtype(),
        &DataType::Date
    );
    assert_eq!(df.column("rank").unwrap().dtype(), &DataType::Int64);
    assert_eq!(df.column("monetary").unwrap().dtype(), &DataType::Float64);
    // Without --previous the comparison columns are typed and all null.
    assert_eq!(df.column("rank_prev").unwrap().null_count(), df.height());
    for (r, row) in csv.rows.iter().enumerate() {
        for (k, cell) in row.iter().enumerate() {
            let v = df.columns()[k].get(r).unwrap();
            assert!(
                csv_cell_matches(cell, &v),
                "row {r} column {}: csv {cell:?}, parquet {v:?}",
                csv.header[k]
            );
        }
    }

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(j.join("scores.json")).unwrap()).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), csv.rows.len());
    for (row, obj) in csv.rows.iter().zip(items) {
        let obj = obj.as_object().unwrap();
        let keys: Vec<&String> = obj.keys().collect();
        assert_eq!(keys.len(), csv.header.len());
        for (name, cell) in csv.header.iter().zip(row) {
            let v = &obj[name];
            let same = match v {
                serde_json::Value::Null => cell.is_empty(),
                serde_json::Value::String(s) => s == cell,
                serde_json::Value::Number(n) => n.as_f64().unwrap() == cell.parse::<f64>().unwrap(),
                _ => false,
            };
            assert!(same, "column {name}: csv {cell:?}, json {v}");
        }
    }
    // A run in another format is a valid --previous.
    let next = tmp.path().join("next");
    score_ok(
        &[&ledger],
        &next,
        &[&extra[..], &["--previous", p.to_str().unwrap()]].concat(),
    );
    let t = Table::read(&next.join("scores.csv"));
    assert!(t.column("tier_change").iter().all(|c| *c == "same"));
    score_ok(
        &[&ledger],
        &next,
        &[&extra[..], &["--previous", j.to_str().unwrap()]].concat(),
    );
    let t = Table::read(&next.join("scores.csv"));
    assert!(t.column("tier_change").iter().all(|c| *c == "same"));
}

#[test]
fn the_workbook_has_a_typed_sheet_per_table_and_runs_no_formula() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("l.csv");
    std::fs::write(
        &ledger,
        "customer_id,date,amount\n\
         =HYPERLINK(\"http://x\"),2026-01-05,100\n\
         =HYPERLINK(\"http://x\"),2026-02-05,100\n\
         @SUM(A1),2026-01-07,50\n\
         B,2026-03-01,75\n",
    )
    .unwrap();
    let (prev, out) = (tmp.path().join("prev"), tmp.path().join("o"));
    score_ok(
        &[&ledger],
        &prev,
        &["--model", "none", "--as-of", "2026-02-28"],
    );
    score_ok(
        &[&ledger],
        &out,
        &[
            "--model",
            "none",
            "--xlsx",
            "--previous",
            prev.to_str().unwrap(),
        ],
    );
    let path = out.join("custscore.xlsx");
    let mut book = calamine::open_workbook_auto(&path).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["scores", "tiers", "segments", "migration"]
    );
    let scores = book.worksheet_range("scores").unwrap();
    let csv = Table::read(&out.join("scores.csv"));
    let header: Vec<String> = scores
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(header, csv.header);
    assert_eq!(scores.height(), csv.rows.len() + 1);
    let ids: Vec<String> = scores.rows().skip(1).map(|r| r[1].to_string()).collect();
    // The CSV shows risky text with a leading quote; the workbook holds the text itself,
    // as a string cell: no formula anywhere.
    assert!(ids.contains(&"=HYPERLINK(\"http://x\")".to_string()));
    assert!(ids.contains(&"@SUM(A1)".to_string()));
    let formulas = book.worksheet_formula("scores").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula cells"
    );
    // Types: rank a number, monetary a number equal to the CSV's, first_purchase a date.
    let row1: Vec<Data> = scores.rows().nth(1).unwrap().to_vec();
    let (rank, money, first) = (
        csv.col("rank"),
        csv.col("monetary"),
        csv.col("first_purchase"),
    );
    assert!(matches!(row1[rank], Data::Float(1.0) | Data::Int(1)));
    assert_eq!(
        row1[money].as_f64().unwrap(),
        csv.rows[0][money].parse::<f64>().unwrap()
    );
    match &row1[first] {
        Data::DateTime(d) => assert!(d.is_datetime()),
        other => panic!("first_purchase is not a date cell: {other:?}"),
    }
    let migration = book.worksheet_range("migration").unwrap();
    assert_eq!(migration.height(), 26, "header and 5×5 cells");
    // Same run, same bytes (the workbook is dated by the as-of day, not today).
    let again = tmp.path().join("again");
    score_ok(
        &[&ledger],
        &again,
        &[
            "--model",
            "none",
            "--xlsx",
            "--previous",
            prev.to_str().unwrap(),
        ],
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(again.join("custscore.xlsx")).unwrap()
    );
    // A later run without --xlsx removes the stale workbook.
    score_ok(&[&ledger], &out, &["--model", "none"]);
    assert!(!path.exists());
}

#[test]
fn a_large_customer_sheet_is_streamed_and_complete() {
    // More than 10,000 customers: the scores sheet is written in constant-memory mode.
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("l.csv");
    let mut text = String::from("customer_id,date,amount\n");
    for i in 0..10_050 {
        text.push_str(&format!(
            "C{i:05},2026-0{}-1{},{}.5\n",
            1 + i % 9,
            i % 10,
            i % 997
        ));
    }
    std::fs::write(&ledger, text).unwrap();
    let out = tmp.path().join("o");
    score_ok(&[&ledger], &out, &["--model", "none", "--xlsx"]);
    let csv = Table::read(&out.join("scores.csv"));
    let mut book = calamine::open_workbook_auto(out.join("custscore.xlsx")).unwrap();
    let scores = book.worksheet_range("scores").unwrap();
    assert_eq!(scores.height(), 10_051);
    let (id, money) = (csv.col("customer_id"), csv.col("monetary"));
    for r in [0, 5_000, 10_049] {
        let row: Vec<Data> = scores.rows().nth(r + 1).unwrap().to_vec();
        assert_eq!(row[id].to_string(), csv.rows[r][id]);
        assert_eq!(
            row[money].as_f64().unwrap(),
            csv.rows[r][money].parse::<f64>().unwrap()
        );
    }
    // No temporary file left behind in --out.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

/// Every report file of two runs, but the manifest (which names the input as given), is the
/// same to the byte.
fn same_reports(a: &std::path::Path, b: &std::path::Path) {
    let mut names: Vec<String> = std::fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for f in names {
        assert!(
            std::fs::read(a.join(&f)).unwrap() == std::fs::read(b.join(&f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn a_ledger_on_standard_input_scores_exactly_like_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["sample_ledger.csv", "sample_ledger.parquet"] {
        let (file, piped) = (tmp.path().join("file"), tmp.path().join("piped"));
        let ledger = testdata(name);
        score_ok(&[&ledger], &file, &["--as-of", "2026-10-31"]);
        custscore()
            .args(["score", "-", "--as-of", "2026-10-31", "--quiet", "--out"])
            .arg(&piped)
            .write_stdin(std::fs::read(&ledger).unwrap())
            .assert()
            .success();
        same_reports(&file, &piped);
        let (m, f) = (manifest(&piped), manifest(&file));
        assert_eq!(m["inputs"][0]["path"], "-", "{name}");
        for key in ["sha256", "bytes", "rows_read", "format"] {
            assert_eq!(m["inputs"][0][key], f["inputs"][0][key], "{name}: {key}");
        }
        // Account pages from that run cannot read standard input again: the error says so.
        custscore()
            .arg("account")
            .arg(&piped)
            .args(["--customer", "C00054", "--out"])
            .arg(tmp.path().join("pages"))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "read its ledger from - (standard input or a pipe), which cannot be read again",
            ));
    }
}

#[test]
fn a_bad_row_on_standard_input_is_named_as_standard_input() {
    let tmp = tempfile::tempdir().unwrap();
    custscore()
        .args(["score", "-", "--out"])
        .arg(tmp.path().join("o"))
        .write_stdin("customer_id,date,amount\nA,2025-01-01,10\nB,2025-01-02,ten\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "- line 3, column \"amount\": amount \"ten\" is not a number",
        ));
    custscore()
        .args(["score", "-", "-", "--out"])
        .arg(tmp.path().join("o"))
        .write_stdin("customer_id,date,amount\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("given more than once"));
    custscore()
        .args(["score", "-", "--out"])
        .arg(tmp.path().join("o"))
        .write_stdin(std::fs::read(sample_xlsx()).unwrap())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("-: this is a workbook"));
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_as_a_ledger_and_the_copy_is_removed() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("tmpdir");
    std::fs::create_dir(&spool).unwrap();
    let pipe = tmp.path().join("ledger pipe");
    let c = std::ffi::CString::new(pipe.as_os_str().as_bytes()).unwrap();
    // SAFETY (test): mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let bytes = std::fs::read(testdata("sample_ledger.csv")).unwrap();
    let p = pipe.clone();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = std::fs::File::options()
            .write(true)
            .open(p)
            .and_then(|mut f| f.write_all(&bytes));
    });
    let (file, piped) = (tmp.path().join("file"), tmp.path().join("piped"));
    custscore()
        .arg("score")
        .arg(&pipe)
        .args(["--as-of", "2026-10-31", "--quiet", "--out"])
        .arg(&piped)
        .env("TMPDIR", &spool)
        .assert()
        .success();
    writer.join().unwrap();
    score_ok(
        &[&testdata("sample_ledger.csv")],
        &file,
        &["--as-of", "2026-10-31"],
    );
    same_reports(&file, &piped);
    assert_eq!(
        manifest(&piped)["inputs"][0]["path"],
        pipe.display().to_string()
    );
    assert_eq!(
        std::fs::read_dir(&spool).unwrap().count(),
        0,
        "the temporary copy is removed"
    );
}

/// A run killed while it copies a stream leaves its copy; the next run that copies one
/// removes it once it has been left long enough (ten minutes), and never a copy that a
/// run still reading holds.
#[cfg(unix)]
#[test]
fn a_copy_left_by_a_killed_run_is_removed_by_the_next() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("tmpdir");
    std::fs::create_dir(&spool).unwrap();
    let copies = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&spool)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    let bytes = std::fs::read(testdata("sample_ledger.csv")).unwrap();
    // A run reading `first` from its standard input, which stays open; and a wait until
    // the spool holds `n` copies.
    let start = |out: &str, first: &[u8]| {
        let mut run = Command::new(env!("CARGO_BIN_EXE_custscore"))
            .args(["score", "-", "--quiet", "--out"])
            .arg(tmp.path().join(out))
            .env("TMPDIR", &spool)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = run.stdin.take().unwrap();
        stdin.write_all(first).unwrap();
        stdin.flush().unwrap();
        (run, stdin)
    };
    let started = std::time::Instant::now();
    let wait_for = |n: usize| {
        while copies().len() < n {
            assert!(started.elapsed().as_secs() < 60, "no copy number {n}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    // The first run: half the ledger on its standard input, still open, then killed.
    let (mut killed, stdin) = start("killed", &bytes[..bytes.len() / 2]);
    wait_for(1);
    let left = copies();
    // A second run, still reading: its copy must survive the third run's sweep.
    let (mut reading, mut reading_in) = start("reading", &bytes[..1000]);
    wait_for(2);
    killed.kill().unwrap();
    killed.wait().unwrap();
    drop(stdin);
    assert_eq!(left.len(), 1);
    assert!(left[0].exists(), "a killed run cannot remove its copy");
    // As if both had been left an hour ago.
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for copy in copies() {
        std::fs::File::options()
            .write(true)
            .open(&copy)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
    }
    let out = tmp.path().join("next");
    custscore()
        .args(["score", "-", "--as-of", "2026-10-31", "--quiet", "--out"])
        .arg(&out)
        .env("TMPDIR", &spool)
        .write_stdin(bytes.clone())
        .assert()
        .success();
    assert!(!left[0].exists(), "the killed run's copy is removed");
    assert_eq!(
        copies().len(),
        1,
        "the copy of the run still reading is kept"
    );
    // The run still reading finishes as it would have.
    reading_in.write_all(&bytes[1000..]).unwrap();
    drop(reading_in);
    assert!(reading.wait().unwrap().success());
    assert!(copies().is_empty(), "each copy gone with its run");
    let plain = tmp.path().join("plain");
    score_ok(
        &[&testdata("sample_ledger.csv")],
        &plain,
        &["--as-of", "2026-10-31"],
    );
    same_reports(&plain, &out);
}

#[test]
fn a_folder_as_ledger_says_to_name_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    custscore()
        .arg("score")
        .arg(tmp.path())
        .arg("--out")
        .arg(tmp.path().join("o"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "is a folder: name the ledger files in it",
        ));
}

#[test]
fn a_compressed_ledger_scores_exactly_like_the_plain_file() {
    use sha2::Digest as _;
    use std::io::Write as _;
    let tmp = tempfile::tempdir().unwrap();
    let plain = testdata("sample_ledger.csv");
    let data = std::fs::read(&plain).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    let gz = gz.finish().unwrap();
    let zst = zstd::encode_all(&data[..], 3).unwrap();
    let file = tmp.path().join("file");
    score_ok(&[&plain], &file, &["--as-of", "2026-10-31"]);
    for (name, packed, format) in [("l.csv.gz", &gz, "gzip"), ("l.csv.zst", &zst, "zstd")] {
        let path = tmp.path().join(name);
        std::fs::write(&path, packed).unwrap();
        let out = tmp.path().join(format);
        score_ok(&[&path], &out, &["--as-of", "2026-10-31"]);
        same_reports(&file, &out);
        let input = &manifest(&out)["inputs"][0];
        assert_eq!(input["compression"], format);
        assert_eq!(input["bytes"], packed.len());
        assert_eq!(input["rows_read"], 3624);
        assert_eq!(
            input["sha256"],
            format!("{:x}", sha2::Sha256::digest(packed)),
            "the SHA-256 of the file as given, as sha256sum shows it"
        );
    }
    // Piped in, compressed, too.
    let piped = tmp.path().join("piped");
    custscore()
        .args(["score", "-", "--as-of", "2026-10-31", "--quiet", "--out"])
        .arg(&piped)
        .write_stdin(gz.clone())
        .assert()
        .success();
    same_reports(&file, &piped);
    assert!(manifest(&file)["inputs"][0].get("compression").is_none());
    // Cut short: an error naming the file, and the reports of the last run untouched.
    let cut = tmp.path().join("cut.csv.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let before = std::fs::read(piped.join("scores.csv")).unwrap();
    custscore()
        .arg("score")
        .arg(&cut)
        .arg("--out")
        .arg(&piped)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cut.csv.gz: not a whole gzip file",
        ));
    assert!(std::fs::read(piped.join("scores.csv")).unwrap() == before);
}
