//! A large ledger file read through a memory map instead of `read` calls: the readers see the
//! page cache's own pages, where `read` copied every byte into a buffer first (on a 676 MB
//! ledger the readers' copy was about a twentieth of the run's CPU time). The hash, which
//! reads the file once in order, goes through a small buffer instead
//! ([`super::csv::sha256_of`]): its copy stays in cache and costs less than a map's faults and
//! releases.
//!
//! Each reader lets go of the pages it has finished with ([`Mapped::release`]), so that the
//! mapped file never counts in the process's memory more than a few chunks at a time; the
//! pages stay in the page cache.
//!
//! The usual caveat of a map: a file truncated by another program while it is being read
//! makes the next touch of a page past its new end a bus error (SIGBUS). Each map registers
//! its address range and a message naming its file ([`guard`]); the SIGBUS handler finds the
//! faulting address in one of them, prints that message and ends the process with exit code 2,
//! like any other bad input (nothing is written yet while the ledger is read; the empty
//! staging folder goes at the next run). A fault outside every map is handed back to the
//! handler that was there before. A file appended to is read up to its length when it was
//! opened.

use std::fs::File;
use std::path::Path;

/// Files smaller than this are read with `read` calls: a map's setup is not worth it.
pub(super) const MAP_MIN_BYTES: u64 = 1 << 20;

/// A whole file mapped read-only, registered with the SIGBUS guard while it lives.
/// The registration comes first, so it is dropped (and its range leaves the table) before
/// the map is unmapped.
pub(super) struct Mapped {
    _guard: guard::Registration,
    map: memmap2::Mmap,
}

impl Mapped {
    /// Maps `file` if it is a regular file of at least `min_bytes` (and not empty); `None`
    /// for a smaller file, or one that cannot be mapped (a pipe, a device), which is then
    /// read with `read` calls.
    /// `path` names the file in the message of a truncation while it is read.
    pub(super) fn open(file: &File, path: &Path, min_bytes: u64) -> Option<Mapped> {
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() < min_bytes.max(1) {
            return None;
        }
        // SAFETY: the map is only read. Its bytes are those of the file, which another program
        // could change while it is read: the readers then see the new bytes (valid bytes
        // still, any of which they handle), and a truncation raises a bus error, which the
        // guard turns into an error message (module doc).
        let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        let message = format!(
            "custscore: error: {}: the file shrank while it was being read (another program \
             truncated or rewrote it); no report was written. Run again once the file is \
             complete.\n",
            path.display()
        );
        let registration = guard::register(map.as_ptr() as usize, map.len(), message);
        Some(Mapped {
            _guard: registration,
            map,
        })
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Lets go of the whole pages inside `[from, to)`, which the caller has finished reading.
    /// They stay in the page cache; touching them again maps them again.
    pub(super) fn release(&self, from: usize, to: usize) {
        #[cfg(unix)]
        {
            const PAGE: usize = 4096;
            let base = self.map.as_ptr() as usize;
            // Whole pages only: the pages at either end may hold a neighbour's bytes.
            let first = (base + from).next_multiple_of(PAGE) - base;
            let last = (base + to) / PAGE * PAGE;
            if last > base + first {
                // SAFETY: MADV_DONTNEED on a read-only, unmodified file map only drops the
                // page table entries; a later read maps the same file bytes again. No
                // reference into the range is used after this call by this reader.
                let _ = unsafe {
                    self.map.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        first,
                        last - base - first,
                    )
                };
            }
        }
        #[cfg(not(unix))]
        let _ = (from, to);
    }
}

/// Turns a bus error inside a registered map into an error message and exit code 2.
#[cfg(unix)]
mod guard {
    use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
    use std::sync::{Mutex, Once, OnceLock};

    /// Maps alive at once: one per reader of a file. A map that finds
    /// no free slot is read unguarded (a truncation is then a bus error, as before).
    const SLOTS: usize = 64;

    /// A map's address range and its message. The handler reads only these atomics; `start`
    /// is written last on registration and cleared first on release.
    struct Slot {
        start: AtomicUsize,
        end: AtomicUsize,
        message: AtomicPtr<u8>,
        len: AtomicUsize,
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const FREE: Slot = Slot {
        start: AtomicUsize::new(0),
        end: AtomicUsize::new(0),
        message: AtomicPtr::new(std::ptr::null_mut()),
        len: AtomicUsize::new(0),
    };
    static TABLE: [Slot; SLOTS] = [FREE; SLOTS];
    /// Registration and release take turns; the handler never takes it.
    static LOCK: Mutex<()> = Mutex::new(());
    static INSTALL: Once = Once::new();
    /// The SIGBUS action before ours, put back for a fault outside every map.
    static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

    /// A map's place in the table, freed on drop.
    pub(super) struct Registration {
        slot: Option<usize>,
        message: Box<[u8]>,
    }

    pub(super) fn register(start: usize, len: usize, message: String) -> Registration {
        install();
        let mut message = message.into_bytes().into_boxed_slice();
        let mut reg = Registration {
            slot: None,
            message: Box::new([]),
        };
        if len == 0 {
            return reg;
        }
        let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = TABLE
            .iter()
            .position(|s| s.start.load(Ordering::Relaxed) == 0)
        {
            let slot = &TABLE[k];
            slot.message.store(message.as_mut_ptr(), Ordering::Relaxed);
            slot.len.store(message.len(), Ordering::Relaxed);
            slot.end.store(start + len, Ordering::Relaxed);
            slot.start.store(start, Ordering::Release);
            reg.slot = Some(k);
        }
        reg.message = message;
        reg
    }

    impl Drop for Registration {
        fn drop(&mut self) {
            if let Some(k) = self.slot {
                let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
                TABLE[k].start.store(0, Ordering::Release);
            }
            // The message is freed after the slot no longer points to it.
        }
    }

    fn install() {
        INSTALL.call_once(|| {
            // SAFETY: sigaction with a zeroed struct, our handler and SA_SIGINFO; the old
            // action is kept for faults that are not ours.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_bus_error as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGBUS, &action, &mut old) == 0 {
                    let _ = PREVIOUS.set(old);
                }
            }
        });
    }

    /// Only async-signal-safe calls: atomic loads, `write`, `_exit`, `sigaction`.
    extern "C" fn on_bus_error(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo for a handler installed with SA_SIGINFO.
        let addr = unsafe { (*info).si_addr() } as usize;
        for slot in &TABLE {
            let start = slot.start.load(Ordering::Acquire);
            if start != 0 && (start..slot.end.load(Ordering::Relaxed)).contains(&addr) {
                let message = slot.message.load(Ordering::Relaxed);
                let len = slot.len.load(Ordering::Relaxed);
                // SAFETY: the message lives as long as the registration, which outlives
                // every read of its map, the faulting one included.
                unsafe {
                    libc::write(2, message as *const libc::c_void, len);
                    libc::_exit(2);
                }
            }
        }
        // Not a map of ours: the previous action takes over when the access faults again.
        // SAFETY: restoring an action the kernel gave us, or the default one.
        unsafe {
            match PREVIOUS.get() {
                Some(old) => libc::sigaction(libc::SIGBUS, old, std::ptr::null_mut()),
                None => {
                    libc::signal(libc::SIGBUS, libc::SIG_DFL);
                    0
                }
            };
        }
    }
}

#[cfg(not(unix))]
mod guard {
    pub(super) struct Registration;
    pub(super) fn register(_: usize, _: usize, _: String) -> Registration {
        Registration
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_released_range_reads_the_same_bytes_again() {
        let mut f = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..3 << 20).map(|i: u32| (i * 7 % 251) as u8).collect();
        f.write_all(&data).unwrap();
        let m = Mapped::open(&f, Path::new("t.csv"), MAP_MIN_BYTES)
            .expect("a 3 MiB regular file is mapped");
        assert_eq!(m.bytes(), &data[..]);
        m.release(5, (2 << 20) + 3);
        m.release(0, m.bytes().len());
        assert_eq!(m.bytes(), &data[..]);
    }

    #[test]
    fn a_small_file_is_not_mapped() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"customer_id,date,amount\n").unwrap();
        assert!(Mapped::open(&f, Path::new("t.csv"), MAP_MIN_BYTES).is_none());
    }

    /// The child half of the truncation tests: maps a 3 MiB file (guarded, or with memmap2
    /// alone when `CUSTSCORE_TEST_UNGUARDED` is set), truncates it and reads past the new end.
    /// Run only by the tests below, in a process of its own.
    #[test]
    #[ignore = "run in a child process by the truncation tests"]
    fn truncation_child() {
        let Some(path) = std::env::var_os("CUSTSCORE_TEST_TRUNCATE") else {
            return;
        };
        let path = std::path::PathBuf::from(path);
        let f = File::options().read(true).write(true).open(&path).unwrap();
        let guarded = std::env::var_os("CUSTSCORE_TEST_UNGUARDED").is_none();
        // A guarded map exists either way, so the handler is installed for the unguarded case.
        let m = Mapped::open(&f, &path, MAP_MIN_BYTES).unwrap();
        // SAFETY (test): the file is truncated on purpose below.
        let raw = unsafe { memmap2::Mmap::map(&f) }.unwrap();
        f.set_len(4096).unwrap();
        let bytes = if guarded { m.bytes() } else { &raw[..] };
        let late = std::hint::black_box(bytes[2 << 20]);
        println!("read {late} past the end");
    }

    fn run_child(unguarded: bool) -> (std::process::Output, std::path::PathBuf, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger part.csv");
        std::fs::write(&path, vec![b'x'; 3 << 20]).unwrap();
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "ledger::mapped::tests::truncation_child",
            "--ignored",
        ])
        .arg("--nocapture")
        .env("CUSTSCORE_TEST_TRUNCATE", &path);
        if unguarded {
            cmd.env("CUSTSCORE_TEST_UNGUARDED", "1");
        }
        (cmd.output().unwrap(), path, dir)
    }

    #[cfg(unix)]
    #[test]
    fn a_file_truncated_while_mapped_is_an_error_naming_it() {
        let (out, path, _dir) = run_child(false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
        assert!(
            stderr.contains(&format!(
                "custscore: error: {}: the file shrank while it was being read",
                path.display()
            )),
            "{stderr}"
        );
        assert!(!String::from_utf8_lossy(&out.stdout).contains("past the end"));
    }

    #[cfg(unix)]
    #[test]
    fn a_bus_error_outside_our_maps_is_not_swallowed() {
        use std::os::unix::process::ExitStatusExt;
        let (out, _, _dir) = run_child(true);
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGBUS),
            "{:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
