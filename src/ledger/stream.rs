//! Ledgers that are streams or compressed: `-` (standard input), a pipe such as a shell's
//! `<(aws s3 cp s3://bucket/ledger.csv -)`, or a gzip or zstd file (`ledger.csv.gz`, known
//! by its first bytes, whatever its name). The readers need a plain file they can read more
//! than once (the first lines to sniff the delimiter, parts in parallel, the SHA-256), so such
//! an input is first copied, decompressed, to a temporary file (in `TMPDIR`), which is read as
//! a file would be and removed afterwards. Messages and the manifest name the input as the
//! user gave it; a compressed file's bytes and SHA-256 are those of the file as given.
//!
//! A run killed while it reads (a cron job's timeout, Ctrl-C) cannot remove its copy, which
//! is as large as the ledger. So (on unix) a run holds a lock on its copy for as long as it
//! has it, and a later run that makes a copy first removes every `custscore-input-*` file in
//! `TMPDIR` that nobody holds and that has not changed for [`LEFT_BEHIND_AFTER`]
//! ([`sweep`]). The lock is `flock`'s, which the kernel drops when its holder dies however it
//! died, and which holds across processes that do not see each other's process ids.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::rc::Rc;

use anyhow::Context;
use sha2::{Digest, Sha256};

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

/// Whether `path` is read from a copy: a stream, or a file that starts as a gzip or zstd
/// file does.
pub(super) fn needs_copy(path: &Path) -> bool {
    if is_stream(path) {
        return true;
    }
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| compression(&head).is_some())
}

/// The compression a file's first bytes show, if any.
fn compression(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x1F\x8B") {
        Some("gzip")
    } else if head.starts_with(b"\x28\xB5\x2F\xFD") {
        Some("zstd")
    } else {
        None
    }
}

/// The name every copy starts with: what [`sweep`] looks for.
const PREFIX: &str = "custscore-input-";

/// How long an unlocked copy must have been left unchanged before [`sweep`] removes it:
/// long enough that a copy just made and not yet locked is never taken for one left behind.
const LEFT_BEHIND_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// A ledger read from a copy.
#[derive(Debug)]
pub(super) struct Copied {
    /// The copy, removed when this is dropped.
    pub path: tempfile::TempPath,
    /// The input as given, hashed on its way into the copy.
    pub given: Given,
    /// The copy kept open with its lock held, so that another run's [`sweep`] leaves it.
    _held: File,
}

/// An input as given: the manifest's facts. For a compressed input they are the compressed
/// file's, while the copy holds its decompressed bytes.
#[derive(Debug, Clone)]
pub(super) struct Given {
    pub bytes: u64,
    pub sha256: String,
    /// `gzip` or `zstd`.
    pub compression: Option<&'static str>,
}

/// Copies `path` (a stream, or a compressed file) to a temporary file, decompressing it,
/// named to end in `.parquet` when the data starts as a Parquet file does (`PAR1`), else
/// `.csv`. The bytes and SHA-256 of the input as given are taken on the way, so the copy
/// is not read again to hash it.
pub(super) fn copy(path: &Path, progress: &Progress) -> anyhow::Result<Copied> {
    let shown = path.display().to_string();
    let input: Box<dyn Read> = if is_stdin(path) {
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
    // Every byte as given is counted and hashed on its way in.
    let given = Rc::new(RefCell::new((Sha256::new(), 0u64)));
    let mut raw = Hashing {
        inner: input,
        given: Rc::clone(&given),
    };
    let cannot_read = || format!("cannot read {shown}");
    let head = first_bytes(&mut raw).with_context(cannot_read)?;
    let format = compression(&head);
    let raw = io::Cursor::new(head).chain(raw);
    let mut data: Box<dyn Read> = match format {
        Some("gzip") => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Some(_) => Box::new(zstd::stream::read::Decoder::new(raw).with_context(cannot_read)?),
        None => Box::new(raw),
    };
    let bad_data = |e: io::Error| -> anyhow::Error {
        match format {
            Some(f) => InputError::Format {
                path: path.to_path_buf(),
                message: format!("not a whole {f} file: {e}"),
            }
            .into(),
            None => anyhow::Error::new(e).context(cannot_read()),
        }
    };
    let head = first_bytes(&mut data).map_err(bad_data)?;
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(InputError::Format {
            path: path.to_path_buf(),
            message: "this is a workbook, which is read from a plain file only: save it and name the file".into(),
        }
        .into());
    }
    let suffix = if head.starts_with(b"PAR1") {
        ".parquet"
    } else {
        ".csv"
    };
    let tmp_dir = std::env::temp_dir();
    let cannot_copy = || {
        format!(
            "cannot copy {shown} to a temporary file (in TMPDIR, {}): is there room?",
            tmp_dir.display()
        )
    };
    sweep(&tmp_dir);
    let mut tmp = tempfile::Builder::new()
        .prefix(PREFIX)
        .suffix(suffix)
        .tempfile_in(&tmp_dir)
        .with_context(cannot_copy)?;
    lock(tmp.as_file());
    let mut out = io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
    out.write_all(&head).with_context(cannot_copy)?;
    copy_all(&mut data, &mut out, &bar).map_err(|e| match e {
        Copy::Read(e) => bad_data(e),
        Copy::Write(e) => anyhow::Error::new(e).context(cannot_copy()),
    })?;
    out.flush().with_context(cannot_copy)?;
    drop(out);
    drop(data);
    bar.finish_and_clear();
    let (sha, bytes) = given.replace((Sha256::new(), 0));
    let (held, path) = tmp.into_parts();
    Ok(Copied {
        path,
        given: Given {
            bytes,
            sha256: format!("{:x}", sha.finalize()),
            compression: format,
        },
        _held: held,
    })
}

/// Takes the lock that tells [`sweep`] a copy is in use; best effort (a file system without
/// locks leaves the copy unlocked, and it is then only kept by its age).
fn lock(file: &File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a descriptor this `File` owns, open for the call.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        false
    }
}

/// Removes the copies earlier runs left in `dir` when they were killed: files named
/// `custscore-input-*` that no run holds locked ([`lock`]) and that have not changed for
/// [`LEFT_BEHIND_AFTER`]. Best effort: whatever cannot be read, locked or removed is left.
/// Returns how many were removed. On systems without `flock` nothing is removed.
pub(super) fn sweep(dir: &Path) -> usize {
    if cfg!(not(unix)) {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let path = entry.path();
        // Not through links: a link named like a copy is not one of ours.
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let unchanged = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age >= LEFT_BEHIND_AFTER);
        if !meta.is_file() || !unchanged {
            continue;
        }
        // A run that is still reading holds its copy: the lock is not had, the file stays.
        if let Ok(file) = File::open(&path) {
            if lock(&file) && std::fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// Up to the first 8 bytes of `r` (fewer only at its end).
fn first_bytes(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(8);
    r.take(8).read_to_end(&mut head)?;
    Ok(head)
}

/// A reader that hashes and counts what passes through it.
struct Hashing {
    inner: Box<dyn Read>,
    given: Rc<RefCell<(Sha256, u64)>>,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut g = self.given.borrow_mut();
        g.0.update(&buf[..n]);
        g.1 += n as u64;
        Ok(n)
    }
}

enum Copy {
    Read(io::Error),
    Write(io::Error),
}

/// `io::copy`, telling a failed read from a failed write, and ticking the spinner.
fn copy_all(
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
        let tmp = copy(&path, &Progress::new(true)).unwrap();
        writer.join().unwrap();
        assert!(
            tmp.path.to_str().unwrap().ends_with(".parquet"),
            "{:?}",
            tmp.path
        );
        assert_eq!(tmp.given.compression, None);
        assert_eq!(tmp.given.bytes, bytes.len() as u64);
        assert_eq!(tmp.given.sha256, format!("{:x}", Sha256::digest(&bytes)));
        assert!(
            std::fs::read(&tmp.path).unwrap() == bytes,
            "every byte, in order"
        );
        let kept = tmp.path.to_path_buf();
        drop(tmp);
        assert!(!kept.exists(), "the copy is removed when dropped");
    }

    #[cfg(unix)]
    #[test]
    fn a_workbook_in_a_pipe_is_refused_naming_the_pipe() {
        let dir = tempfile::tempdir().unwrap();
        let (path, writer) = fifo(dir.path(), b"PK\x03\x04rest of a zip".to_vec());
        let e = copy(&path, &Progress::new(true)).unwrap_err().to_string();
        writer.join().unwrap();
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(e.contains("workbook"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn an_empty_stream_is_an_empty_csv_copy() {
        let tmp = copy(Path::new("/dev/null"), &Progress::new(true)).unwrap();
        assert!(tmp.path.to_str().unwrap().ends_with(".csv"));
        assert_eq!(std::fs::read(&tmp.path).unwrap(), b"");
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_compressed_file_is_copied_decompressed_with_the_facts_of_the_file_as_given() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = b"customer_id,date,amount\n"
            .iter()
            .copied()
            .chain((0..200_000u32).flat_map(|i| format!("C{i},2025-01-01,{i}\n").into_bytes()))
            .collect();
        let zstd = zstd::encode_all(&data[..], 1).unwrap();
        // Two gzip members, as `cat a.gz b.gz` makes: both are read.
        let (a, b) = data.split_at(1000);
        let two = [gzip(a), gzip(b)].concat();
        for (name, packed, format) in [("l.csv.gz", &two, "gzip"), ("l.zst", &zstd, "zstd")] {
            let path = dir.path().join(name);
            std::fs::write(&path, packed).unwrap();
            assert!(needs_copy(&path), "{name}");
            let c = copy(&path, &Progress::new(true)).unwrap();
            assert!(
                std::fs::read(&c.path).unwrap() == data,
                "{name}: every byte"
            );
            let facts = c.given;
            assert_eq!(facts.compression, Some(format));
            assert_eq!(facts.bytes, packed.len() as u64);
            assert_eq!(
                facts.sha256,
                format!("{:x}", Sha256::digest(packed)),
                "{name}: the SHA-256 of the file as given"
            );
        }
        let plain = dir.path().join("plain.csv");
        std::fs::write(&plain, &data).unwrap();
        assert!(!needs_copy(&plain));
    }

    #[cfg(unix)]
    #[test]
    fn a_sweep_removes_only_old_unheld_copies() {
        let dir = tempfile::tempdir().unwrap();
        let old = std::time::SystemTime::now() - LEFT_BEHIND_AFTER - LEFT_BEHIND_AFTER;
        let make = |name: &str, aged: bool| {
            let path = dir.path().join(name);
            let f = File::create(&path).unwrap();
            if aged {
                f.set_modified(old).unwrap();
            }
            (path, f)
        };
        let (left, _) = make("custscore-input-left.csv", true);
        let (held, held_file) = make("custscore-input-held.csv", true);
        assert!(lock(&held_file), "a temporary folder that takes locks");
        let (fresh, _) = make("custscore-input-fresh.csv", false);
        let (other, _) = make("someone-elses.csv", true);
        let folder = dir.path().join("custscore-input-folder");
        std::fs::create_dir(&folder).unwrap();
        assert_eq!(sweep(dir.path()), 1);
        assert!(!left.exists(), "left behind by a killed run: removed");
        assert!(held.exists(), "held by a run still reading it: kept");
        assert!(fresh.exists(), "too new to tell: kept");
        assert!(other.exists() && folder.exists(), "not a copy: kept");
        drop(held_file);
        assert_eq!(
            sweep(dir.path()),
            1,
            "its holder gone, the held copy goes too"
        );
        assert!(!held.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_copy_in_use_is_held_against_sweeps() {
        let c = copy(Path::new("/dev/null"), &Progress::new(true)).unwrap();
        let f = File::open(&c.path).unwrap();
        assert!(
            !lock(&f),
            "the copy's lock is taken while the copy is in use"
        );
        drop(c);
        assert!(lock(&f), "and given back with it");
    }

    #[test]
    fn a_cut_compressed_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.csv.gz");
        let packed = gzip(&vec![b'x'; 100_000]);
        std::fs::write(&path, &packed[..packed.len() / 2]).unwrap();
        let e = copy(&path, &Progress::new(true)).unwrap_err().to_string();
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(e.contains("not a whole gzip file"), "{e}");
    }
}
