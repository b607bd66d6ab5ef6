//! The whole CSV ledger reader on arbitrary bytes: sniffing, BOM, quoting, headers in any
//! language, role mapping, every field parser, bad-row collection. Read once through the
//! single reader and once split across threads (tiny split size), with and
//! without --skip-bad-rows. It must never panic; when both readers succeed they must agree.
#![no_main]

use custscore::ledger::{read_ledger, ReadOptions};
use custscore::progress::Progress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.csv");
    std::fs::write(&path, data).expect("write");
    let progress = Progress::hidden();
    for skip in [false, true] {
        let one = ReadOptions {
            skip_bad_rows: skip,
            ..ReadOptions::default()
        };
        let split = ReadOptions {
            parallel_min_bytes: Some(1),
            ..one.clone()
        };
        let a = read_ledger(std::slice::from_ref(&path), &one, &progress);
        let b = read_ledger(std::slice::from_ref(&path), &split, &progress);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.row_count(), b.row_count(), "rows differ between readers");
                assert_eq!(
                    a.rejects.len(),
                    b.rejects.len(),
                    "rejects differ between readers"
                );
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!(
                "one reader failed, the other did not: {:?} / {:?}",
                a.err(),
                b.err()
            ),
        }
    }
});
