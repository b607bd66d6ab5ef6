//! Ledgers that are streams: `-` (standard input) or a pipe, such as a shell's
//! `<(zcat ledger.csv.gz)`. The readers need a file they can read more than once (the first
//! lines to sniff the delimiter, parts in parallel, the SHA-256), so a stream is first copied
//! to a temporary file (in `TMPDIR`), which is read as a file would be and removed afterwards.
//! Messages and the manifest name the stream as the user gave it.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;

use anyhow::Context;

use crate::error::InputError;
use crate::progress::Progress;

/// Whether `path` is read as a stream: `-`, or a thing that exists and is neither a regular
/// file nor a folder (a pipe, a character device).
pub fn is_stream(path: &Path) -> bool {
    is_stdin(path) || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Copies the stream `path` to a temporary file, named to end in `.parquet` when the stream
/// starts as a Parquet file does (`PAR1`), else `.csv`. The file is removed when the returned
/// value is dropped.
pub(super) fn spool(path: &Path, progress: &Progress) -> anyhow::Result<tempfile::TempPath> {
    let shown = path.display().to_string();
    let mut input: Box<dyn Read> = if is_stdin(path) {
        let stdin = io::stdin();
        if stdin.is_terminal() {
            return Err(InputError::flag(
                "LEDGER",
                "- reads the ledger from standard input, which is a terminal here: pipe a ledger in (`zcat ledger.csv.gz | custscore score - --out DIR`) or name the file",
            )
            .into());
        }
        Box::new(stdin.lock())
    } else {
        Box::new(File::open(path).with_context(|| format!("cannot open ledger {shown}"))?)
    };
    let bar = progress.spinner(&format!("reading {shown}"));
    // The first bytes tell the format.
    let mut head = Vec::with_capacity(8);
    input
        .by_ref()
        .take(8)
        .read_to_end(&mut head)
        .with_context(|| format!("cannot read {shown}"))?;
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(InputError::Format {
            path: path.to_path_buf(),
            message:
                "this is a workbook, which is read from a file only: save it and name the file"
                    .into(),
        }
        .into());
    }
    let suffix = if head.starts_with(b"PAR1") {
        ".parquet"
    } else {
        ".csv"
    };
    let cannot_copy = || {
        format!(
            "cannot copy {shown} to a temporary file (in TMPDIR, {}): is there room?",
            std::env::temp_dir().display()
        )
    };
    let mut tmp = tempfile::Builder::new()
        .prefix("custscore-input-")
        .suffix(suffix)
        .tempfile()
        .with_context(cannot_copy)?;
    let mut out = io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
    out.write_all(&head).with_context(cannot_copy)?;
    copy(&mut input, &mut out, &bar).map_err(|e| match e {
        Copy::Read(e) => anyhow::Error::new(e).context(format!("cannot read {shown}")),
        Copy::Write(e) => anyhow::Error::new(e).context(cannot_copy()),
    })?;
    out.flush().with_context(cannot_copy)?;
    drop(out);
    bar.finish_and_clear();
    Ok(tmp.into_temp_path())
}

enum Copy {
    Read(io::Error),
    Write(io::Error),
}

/// `io::copy`, telling a failed read from a failed write, and ticking the spinner.
fn copy(
    input: &mut dyn Read,
    out: &mut dyn Write,
    bar: &indicatif::ProgressBar,
) -> Result<(), Copy> {
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Read(e)),
        };
        out.write_all(&buf[..n]).map_err(Copy::Write)?;
        bar.tick();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_and_pipes_are_streams_files_and_folders_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("l.csv");
        std::fs::write(&file, "customer_id,date,amount\n").unwrap();
        assert!(is_stream(Path::new("-")));
        assert!(!is_stream(&file));
        assert!(!is_stream(dir.path()));
        assert!(!is_stream(&dir.path().join("missing.csv")));
        #[cfg(unix)]
        assert!(is_stream(Path::new("/dev/null")));
    }

    /// Writes `bytes` into a new FIFO from another thread; returns the FIFO's path.
    #[cfg(unix)]
    fn fifo(dir: &Path, bytes: Vec<u8>) -> (std::path::PathBuf, std::thread::JoinHandle<()>) {
        use std::os::unix::ffi::OsStrExt;
        let path = dir.join("pipe");
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY (test): mkfifo with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let p = path.clone();
        let writer = std::thread::spawn(move || {
            // A reader that gives up early closes the pipe: the write may then fail.
            let _ = File::options()
                .write(true)
                .open(p)
                .and_then(|mut f| f.write_all(&bytes));
        });
        (path, writer)
    }

    #[cfg(unix)]
    #[test]
    fn a_pipe_is_copied_whole_and_named_by_its_format() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = b"PAR1".to_vec();
        bytes.extend((0..3_000_000u32).map(|i| (i % 251) as u8));
        let (path, writer) = fifo(dir.path(), bytes.clone());
        assert!(is_stream(&path));
        let tmp = spool(&path, &Progress::new(true)).unwrap();
        writer.join().unwrap();
        assert!(tmp.to_str().unwrap().ends_with(".parquet"), "{tmp:?}");
        assert!(
            std::fs::read(&tmp).unwrap() == bytes,
            "every byte, in order"
        );
        let kept = tmp.to_path_buf();
        drop(tmp);
        assert!(!kept.exists(), "the copy is removed when dropped");
    }

    #[cfg(unix)]
    #[test]
    fn a_workbook_in_a_pipe_is_refused_naming_the_pipe() {
        let dir = tempfile::tempdir().unwrap();
        let (path, writer) = fifo(dir.path(), b"PK\x03\x04rest of a zip".to_vec());
        let e = spool(&path, &Progress::new(true)).unwrap_err().to_string();
        writer.join().unwrap();
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(e.contains("workbook"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn an_empty_stream_is_an_empty_csv_copy() {
        let tmp = spool(Path::new("/dev/null"), &Progress::new(true)).unwrap();
        assert!(tmp.to_str().unwrap().ends_with(".csv"));
        assert_eq!(std::fs::read(&tmp).unwrap(), b"");
    }
}
