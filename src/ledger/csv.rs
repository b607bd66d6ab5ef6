//! CSV ledger reader: delimiter sniffing, BOM, header matching, row-by-row validation.
//!
//! Streams the file once: the SHA-256 for the manifest and the progress bar are fed from the
//! same read, so a large ledger is never held in memory as text.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use anyhow::Context;
use sha2::{Digest, Sha256};

use super::{parse, Builder, InputStats, Resolved, Role};
use crate::error::InputError;
use crate::progress::Progress;

const BOM: &[u8] = b"\xEF\xBB\xBF";
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Reads one CSV file into the builder; returns its header.
pub(super) fn read(path: &Path, b: &mut Builder, progress: &Progress) -> anyhow::Result<Vec<String>> {
    let shown = path.display().to_string();
    let file = File::open(path).with_context(|| format!("cannot open ledger {shown}"))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let delimiter = match b.opts.delimiter {
        Some(d) => d,
        None => sniff(&read_head(path)?),
    };
    let bar = progress.bytes(&format!("reading {shown}"), bytes);
    let mut hashing = HashingReader { inner: file, hasher: Sha256::new(), bar: bar.clone() };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(&mut hashing);

    let mut record = csv::ByteRecord::new();
    let has_header = rdr.read_byte_record(&mut record).with_context(|| format!("cannot read {shown}"))?;
    if !has_header {
        return Err(InputError::Empty(format!("{shown}: the file is empty (expected a header line and rows)")).into());
    }
    let header: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let f = if i == 0 { f.strip_prefix(BOM).unwrap_or(f) } else { f };
            String::from_utf8_lossy(f).trim().to_string()
        })
        .collect();
    let cols = Resolved::from_header(path, &header, &b.opts.columns)?;
    b.roles(&cols);
    let idx = |r: Role| cols.get(r);
    let (ci, di, ai) = (idx(Role::Customer).unwrap_or(0), idx(Role::Date).unwrap_or(0), idx(Role::Amount).unwrap_or(0));
    let (ii, pi, ni) = (idx(Role::Invoice), idx(Role::Product), idx(Role::Industry));

    let (mut rows, mut rejected, mut after) = (0u64, 0u64, 0u64);
    let date_format = b.opts.date_format.clone();
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                if let csv::ErrorKind::Io(_) = e.kind() {
                    return Err(anyhow::Error::new(e).context(format!("cannot read {shown}")));
                }
                // Other csv errors (invalid UTF-8 is impossible with byte records) end the file.
                return Err(InputError::Format { path: path.to_path_buf(), message: e.to_string() }.into());
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        // A blank line is not a row.
        if record.len() == 1 && record[0].trim_ascii().is_empty() {
            continue;
        }
        rows += 1;
        if record.len() != header.len() {
            let e = super::FieldError {
                column: String::new(),
                value: String::new(),
                reason: format!("the row has {} fields but the header has {} (wrong delimiter, or an unclosed quote?)", record.len(), header.len()),
            };
            rejected += 1;
            b.bad(&shown, line, e, join(&record, delimiter));
            continue;
        }
        let day = parse::parse_date(&record[di], &date_format);
        let amount = parse::parse_amount(&record[ai]);
        let get = |i: Option<usize>| i.map(|i| &record[i]);
        match b.push(&record[ci], day, amount, get(ii), get(pi), get(ni), &cols) {
            Ok(true) => {}
            Ok(false) => after += 1,
            Err(mut e) => {
                rejected += 1;
                if let Some(i) = header.iter().position(|h| *h == e.column).filter(|_| e.value.is_empty()) {
                    e.value = String::from_utf8_lossy(&record[i]).into_owned();
                }
                b.bad(&shown, line, e, join(&record, delimiter));
            }
        }
    }
    drop(rdr);
    bar.finish_and_clear();
    let sha256 = format!("{:x}", hashing.hasher.finalize());
    b.add_input(InputStats {
        path: shown,
        format: "csv",
        bytes,
        sha256,
        rows_read: rows,
        rows_rejected: rejected,
        rows_after_as_of: after,
        delimiter: Some(delimiter_name(delimiter)),
        columns: cols.names.iter().cloned().collect(),
    });
    Ok(header)
}

fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        d => (d as char).to_string(),
    }
}

fn join(record: &csv::ByteRecord, delimiter: u8) -> String {
    let sep = (delimiter as char).to_string();
    record.iter().map(String::from_utf8_lossy).collect::<Vec<_>>().join(&sep)
}

fn read_head(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(64 << 10);
    File::open(path)
        .and_then(|f| f.take(64 << 10).read_to_end(&mut head))
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(head)
}

/// Picks the delimiter from the first lines: the candidate that splits the header into the
/// most fields and every sampled line into as many; failing that, the one most frequent in the
/// header; failing that, a comma. Quoted text is skipped.
pub fn sniff(head: &[u8]) -> u8 {
    let head = head.strip_prefix(BOM).unwrap_or(head);
    let mut lines: Vec<&[u8]> = head.split(|&c| c == b'\n').take(21).collect();
    if lines.len() > 1 && !head.ends_with(b"\n") {
        lines.pop(); // the last line may be cut by the 64 KiB window
    }
    lines.retain(|l| !l.trim_ascii().is_empty());
    let Some(first) = lines.first() else { return b',' };
    let count = |line: &[u8], d: u8| {
        let mut quoted = false;
        line.iter().filter(|&&c| {
            if c == b'"' {
                quoted = !quoted;
            }
            !quoted && c == d
        }).count()
    };
    let consistent = CANDIDATES
        .iter()
        .map(|&d| (d, count(first, d)))
        .filter(|&(d, n)| n > 0 && lines.iter().all(|l| count(l, d) == n))
        .max_by_key(|&(_, n)| n);
    if let Some((d, _)) = consistent {
        return d;
    }
    CANDIDATES.iter().map(|&d| (d, count(first, d))).filter(|&(_, n)| n > 0).max_by_key(|&(_, n)| n).map_or(b',', |(d, _)| d)
}

/// Hashes and counts the bytes as the CSV parser pulls them.
struct HashingReader {
    inner: File,
    hasher: Sha256,
    bar: indicatif::ProgressBar,
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bar.inc(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn sniffs_the_common_delimiters() {
        assert_eq!(sniff(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff(b"a;b;c\n1;2,5;3\n"), b';');
        assert_eq!(sniff(b"\xEF\xBB\xBFa\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff(b"a|b|c\n1|2|3"), b'|');
        assert_eq!(sniff(b"name,amount\n\"Smith; Jones\",3\n"), b',');
        assert_eq!(sniff(b"single\n1\n"), b',');
        assert_eq!(sniff(b""), b',');
    }
}
