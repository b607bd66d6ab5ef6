//! Stop early, with a clear message, when a ledger would not fit in memory. Rows are held in
//! memory (32-byte records plus the customer tables); a ledger far larger than the machine's
//! memory would otherwise run for minutes and then be killed by the system with nothing said.
//! Before reading, each CSV file's rows are estimated from its size and the line lengths of
//! its first 64 KiB, and the whole is compared with the memory available to the process.

use std::path::Path;

use crate::error::ResourceError;

/// Peak bytes per ledger row, measured: 1.17 GB for 10.3M rows and 1M customers (row records,
/// their growth, the customer tables and the report), rounded up.
pub const BYTES_PER_ROW: u64 = 120;

/// Environment variable that sets the memory available, in bytes, instead of asking the
/// system (for tests, and to keep a job inside a budget).
pub const LIMIT_VAR: &str = "CUSTSCORE_MEMORY_LIMIT";

/// Bytes this process may still use: `CUSTSCORE_MEMORY_LIMIT` if set, else the smaller of
/// the system's available memory and the cgroup's remaining allowance; `None` when unknown.
pub fn available() -> Option<u64> {
    if let Some(v) = std::env::var_os(LIMIT_VAR) {
        return v.to_str().and_then(|v| v.trim().parse().ok());
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    let read = |f: &str| {
        std::fs::read_to_string(Path::new("/sys/fs/cgroup").join(f))
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
    };
    let cgroup = match (read("memory.max"), read("memory.current")) {
        (Some(max), Some(cur)) => Some(max.saturating_sub(cur)),
        _ => None,
    };
    match (meminfo, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Estimated data rows of a CSV file: its size over the mean line length of `head` (the first
/// bytes of the file); `None` when the head has no complete line.
pub fn estimate_rows(size: u64, head: &[u8]) -> Option<u64> {
    let lines = memchr::memchr_iter(b'\n', head).count() as u64;
    (lines > 0 && !head.is_empty()).then(|| size * lines / head.len() as u64)
}

/// Fails when `rows` would need more memory than is available.
pub fn check(rows: u64, files: &str, available: Option<u64>) -> Result<(), ResourceError> {
    let Some(available) = available else {
        return Ok(());
    };
    let need = rows.saturating_mul(BYTES_PER_ROW);
    if need <= available {
        return Ok(());
    }
    let gb = |b: u64| {
        if b >= 1_000_000_000 {
            format!("{:.1} GB", b as f64 / 1e9)
        } else {
            format!("{:.1} MB", b as f64 / 1e6)
        }
    };
    Err(ResourceError(format!(
        "{files}: about {rows} rows would need about {} of memory and {} is available; \
         score a shorter period (--as-of only filters after reading: split the file by date), \
         or run on a machine with more memory ({} sets the budget in bytes)",
        gb(need),
        gb(available),
        LIMIT_VAR
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_estimated_from_the_head() {
        let head = b"a,b\n1,2\n3,4\n"; // 3 lines in 12 bytes
        assert_eq!(estimate_rows(1200, head), Some(300));
        assert_eq!(estimate_rows(1200, b"no newline"), None);
    }

    #[test]
    fn the_check_names_the_need_and_the_budget() {
        assert!(check(1000, "l.csv", Some(1_000_000)).is_ok());
        assert!(check(1000, "l.csv", None).is_ok());
        let e = check(100_000_000, "l.csv", Some(2_000_000_000))
            .unwrap_err()
            .0;
        assert!(
            e.contains("l.csv: about 100000000 rows would need about 12.0 GB"),
            "{e}"
        );
        assert!(e.contains("2.0 GB is available"), "{e}");
        let e = check(100_000, "l.csv", Some(1_000_000)).unwrap_err().0;
        assert!(
            e.contains("12.0 MB of memory and 1.0 MB is available"),
            "{e}"
        );
    }
}
