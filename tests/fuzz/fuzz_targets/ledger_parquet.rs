//! The Parquet ledger reader on arbitrary bytes (start it from the Parquet files in
//! `testdata/`, so that mutations reach the footer, the row groups and the columns): role
//! mapping, typed and text dates and amounts, time zones, bad-row collection. Polars' own
//! panics on a damaged file are caught and reported as errors by the reader; anything else
//! that panics here is a bug. Read with and without --skip-bad-rows.
#![no_main]

use custscore::ledger::{read_ledger, ReadOptions};
use custscore::progress::Progress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.parquet");
    std::fs::write(&path, data).expect("write");
    let progress = Progress::hidden();
    let read = |skip_bad_rows| {
        let opts = ReadOptions {
            skip_bad_rows,
            ..ReadOptions::default()
        };
        read_ledger(std::slice::from_ref(&path), &opts, &progress)
    };
    let (strict, skipping) = (read(false), read(true));
    // A file read without skipping has no bad row: skipping them reads the same rows.
    if let Ok(a) = &strict {
        let b = skipping
            .as_ref()
            .expect("skipping bad rows failed on a file read cleanly without it");
        assert_eq!(a.row_count(), b.row_count(), "rows differ with --skip-bad-rows");
        assert!(b.rejects.is_empty(), "rejects on a file read cleanly");
    }
});
