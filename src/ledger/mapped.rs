//! A large ledger file read through a memory map instead of `read` calls: the readers and the
//! hash see the page cache's own pages, where `read` copied every byte into a buffer first
//! (on a 676 MB ledger the two copies, one for the readers and one for the hash, were a tenth
//! of the run's CPU time).
//!
//! Each reader lets go of the pages it has finished with ([`Mapped::release`]), so that the
//! mapped file never counts in the process's memory more than a few chunks at a time; the
//! pages stay in the page cache.
//!
//! The usual caveat of a map holds: a file truncated by another program while it is being
//! read ends the run with a bus error (its outputs are written whole or not at all, so nothing
//! is left half-written); a file appended to is read up to its length when it was opened.

use std::fs::File;

/// Files smaller than this are read with `read` calls: a map's setup is not worth it.
pub(super) const MAP_MIN_BYTES: u64 = 1 << 20;

/// A whole file mapped read-only.
pub(super) struct Mapped(memmap2::Mmap);

impl Mapped {
    /// Maps `file` if it is a regular file of at least `min_bytes` (and not empty); `None`
    /// for a smaller file, or one that cannot be mapped (a pipe, a device), which is then
    /// read with `read` calls.
    pub(super) fn open(file: &File, min_bytes: u64) -> Option<Mapped> {
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() < min_bytes.max(1) {
            return None;
        }
        // SAFETY: the map is only read. Its bytes are those of the file, which another program
        // could change while it is read: the readers then see the new bytes (valid bytes
        // still, any of which they handle), and a truncation raises a bus error (module doc).
        let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Some(Mapped(map))
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Lets go of the whole pages inside `[from, to)`, which the caller has finished reading.
    /// They stay in the page cache; touching them again maps them again.
    pub(super) fn release(&self, from: usize, to: usize) {
        #[cfg(unix)]
        {
            const PAGE: usize = 4096;
            let base = self.0.as_ptr() as usize;
            // Whole pages only: the pages at either end may hold a neighbour's bytes.
            let first = (base + from).next_multiple_of(PAGE) - base;
            let last = (base + to) / PAGE * PAGE;
            if last > base + first {
                // SAFETY: MADV_DONTNEED on a read-only, unmodified file map only drops the
                // page table entries; a later read maps the same file bytes again. No
                // reference into the range is used after this call by this reader.
                let _ = unsafe {
                    self.0.unchecked_advise_range(
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_released_range_reads_the_same_bytes_again() {
        let mut f = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..3 << 20).map(|i: u32| (i * 7 % 251) as u8).collect();
        f.write_all(&data).unwrap();
        let m = Mapped::open(&f, MAP_MIN_BYTES).expect("a 3 MiB regular file is mapped");
        assert_eq!(m.bytes(), &data[..]);
        m.release(5, (2 << 20) + 3);
        m.release(0, m.bytes().len());
        assert_eq!(m.bytes(), &data[..]);
    }

    #[test]
    fn a_small_file_is_not_mapped() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"customer_id,date,amount\n").unwrap();
        assert!(Mapped::open(&f, MAP_MIN_BYTES).is_none());
    }
}
