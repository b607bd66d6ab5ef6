//! The binary's global allocator: the system's, but an allocation that fails ends the run
//! with a message and custscore's exit code instead of Rust's abort ("memory allocation of
//! N bytes failed", exit 134). Polars' Parquet decoder reads sizes from the file and asks for
//! them: a damaged file can ask for 2^61 bytes, which no catch of a panic can stop. While a
//! ledger file is read ([`Reading`]) such a request names the file: more memory than the
//! machine has is a damaged file (exit 2), less is not enough memory (exit 3).
//!
//! Nothing here may allocate (it runs inside the allocator): the message is put together in
//! a buffer on the stack and written with one system call.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The system allocator, with a failed allocation reported as above.
pub struct Reported;

// SAFETY: every call is passed to `System` as is; a failure does not return at all.
unsafe impl GlobalAlloc for Reported {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if p.is_null() {
            failed(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if p.is_null() {
            failed(layout.size());
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if p.is_null() {
            failed(new_size);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

/// The ledger file being read, as its name's bytes (leaked: one small name per file read).
static READING: AtomicPtr<Box<[u8]>> = AtomicPtr::new(std::ptr::null_mut());

/// Names `path` in the message of an allocation that fails until it is dropped.
pub struct Reading(());

impl Reading {
    pub fn new(path: &Path) -> Reading {
        let name: Box<[u8]> = path.display().to_string().into_bytes().into_boxed_slice();
        READING.store(Box::into_raw(Box::new(name)), Ordering::SeqCst);
        Reading(())
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        READING.store(std::ptr::null_mut(), Ordering::SeqCst);
    }
}

/// The machine's memory in bytes (0 when unknown).
fn physical_memory() -> u64 {
    #[cfg(unix)]
    // SAFETY: sysconf reads system parameters; no memory of ours is involved.
    unsafe {
        let (pages, size) = (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        );
        if pages > 0 && size > 0 {
            return pages as u64 * size as u64;
        }
    }
    0
}

/// What to say and the exit code, for a failed request of `size` bytes while reading the
/// file named `reading` on a machine of `memory` bytes (0: unknown).
fn verdict(size: usize, memory: u64, reading: Option<&[u8]>, out: &mut Message) -> i32 {
    let beyond = memory > 0 && size as u64 > memory;
    out.push(b"custscore: error: ");
    if let Some(name) = reading {
        out.push(name);
        out.push(b": ");
    }
    let code = match (reading.is_some(), beyond) {
        (true, true) => {
            out.push(b"not a readable file: reading it asked for ");
            out.number(size);
            out.push(b" bytes of memory at once, more than this machine has (a damaged size in the file)");
            2
        }
        (false, true) => {
            out.push(b"internal error: ");
            out.number(size);
            out.push(b" bytes of memory asked for at once, more than this machine has");
            1
        }
        _ => {
            out.push(b"not enough memory: ");
            out.number(size);
            out.push(b" more bytes could not be had");
            3
        }
    };
    out.push(b"\n");
    code
}

/// Reports a failed allocation of `size` bytes and ends the process (no unwinding, no
/// destructors: the staging folder in `--out` is left for the next run to remove, and no
/// output file is touched).
#[cold]
fn failed(size: usize) -> ! {
    let reading = READING.load(Ordering::SeqCst);
    // SAFETY: a name stored in READING is leaked, so it lives to the end of the process.
    let reading = (!reading.is_null()).then(|| unsafe { &**reading });
    let mut out = Message::new();
    let code = verdict(size, physical_memory(), reading, &mut out);
    out.write_and_exit(code)
}

/// A message on the stack: text beyond its 1 KiB is dropped.
struct Message {
    bytes: [u8; 1024],
    len: usize,
}

impl Message {
    fn new() -> Message {
        Message {
            bytes: [0; 1024],
            len: 0,
        }
    }

    fn push(&mut self, b: &[u8]) {
        let n = b.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
    }

    fn number(&mut self, n: usize) {
        let mut buf = itoa::Buffer::new();
        self.push(buf.format(n).as_bytes());
    }

    fn text(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn write_and_exit(&self, code: i32) -> ! {
        #[cfg(unix)]
        // SAFETY: a write of our own stack buffer to stderr, then the process's end.
        unsafe {
            let text = self.text();
            libc::write(2, text.as_ptr().cast(), text.len());
            libc::_exit(code);
        }
        #[cfg(not(unix))]
        {
            let _ = code;
            std::process::abort()
        }
    }
}

/// Gives the free memory of the allocator's heap back to the system (glibc `malloc_trim`).
/// The binary keeps the memory a stage frees in its heap for the next stage
/// (`allocator_settings` in main.rs); at the end of a run that is most of the peak, which the
/// kernel would otherwise free at exit, on one thread, after the last file is in place.
/// Elsewhere nothing is done.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's own heap to the system;
    // no live allocation is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Maps the whole pages of `v`'s spare room for its next `items` items before they are
/// written (Linux `MADV_POPULATE_WRITE`, 5.14 and later; elsewhere, or where the kernel
/// refuses, nothing is done and the pages are mapped as they are first written). A page
/// mapped by the first write costs a fault each; mapped 16 at a time they cost about a
/// third less on the machines measured, and the rows of a large ledger are ~80k pages.
/// The contents are not touched: the pages read as zeros, as they would anyway. Returns
/// whether pages were mapped.
pub fn prefault_spare<T>(v: &Vec<T>, items: usize) -> bool {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let size = std::mem::size_of::<T>();
        let base = v.as_ptr() as usize;
        let from = (base + v.len() * size).next_multiple_of(PAGE);
        let to = (base + v.capacity().min(v.len().saturating_add(items)) * size) / PAGE * PAGE;
        if to > from {
            // SAFETY: the range is whole pages inside `v`'s own allocation (its spare room,
            // which nothing reads); populating maps them without changing a byte, and a
            // kernel without the advice returns an error.
            let done = unsafe {
                libc::madvise(
                    from as *mut libc::c_void,
                    to - from,
                    libc::MADV_POPULATE_WRITE,
                )
            };
            return done == 0;
        }
        false
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (v, items);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn prefaulted_room_is_mapped_and_the_items_are_kept() {
        let mut v: Vec<u64> = Vec::with_capacity(1 << 20);
        v.extend(0..1000);
        let mapped = prefault_spare(&v, 1 << 16);
        assert_eq!(v, (0..1000).collect::<Vec<u64>>());
        // The advice is refused only by a kernel without it (before 5.14).
        let probe: Vec<u8> = Vec::with_capacity(1 << 16);
        let at = (probe.as_ptr() as usize).next_multiple_of(4096);
        // SAFETY: populating one whole page of the probe's own spare room.
        let supported =
            unsafe { libc::madvise(at as *mut libc::c_void, 4096, libc::MADV_POPULATE_WRITE) } == 0;
        assert_eq!(mapped, supported);
        // Where the kernel has the advice (5.14 and later), the pages of the next 2^16
        // items are now resident.
        if mapped {
            let page = 4096;
            let start = (v.as_ptr() as usize + 1000 * 8).next_multiple_of(page);
            let resident = |from: usize, pages: usize| {
                let mut vec = vec![0u8; pages];
                // SAFETY: mincore only reads the page tables of a range of our own
                // allocation and writes one byte per page into `vec`.
                let r = unsafe {
                    libc::mincore(from as *mut libc::c_void, pages * page, vec.as_mut_ptr())
                };
                assert_eq!(r, 0);
                vec.iter().filter(|&&b| b & 1 == 1).count()
            };
            assert_eq!(resident(start, 64), 64);
        }
        v.extend(1000..(1 << 20));
        assert_eq!(v[(1 << 20) - 1], (1 << 20) - 1);
    }

    fn said(size: usize, memory: u64, reading: Option<&[u8]>) -> (String, i32) {
        let mut m = Message::new();
        let code = verdict(size, memory, reading, &mut m);
        (String::from_utf8(m.text().to_vec()).unwrap(), code)
    }

    #[test]
    fn a_failed_allocation_is_a_damaged_file_not_enough_memory_or_a_bug() {
        let gb = 1u64 << 30;
        let (text, code) = said(1 << 61, 24 * gb, Some(b"in/ledger.parquet"));
        assert_eq!(code, 2);
        assert_eq!(
            text,
            "custscore: error: in/ledger.parquet: not a readable file: reading it asked for 2305843009213693952 bytes of memory at once, more than this machine has (a damaged size in the file)\n"
        );
        let (text, code) = said(3 << 30, 24 * gb, Some(b"in/ledger.parquet"));
        assert_eq!(code, 3);
        assert!(text.contains("in/ledger.parquet: not enough memory: 3221225472 more bytes"));
        assert_eq!(said(1 << 61, 24 * gb, None).1, 1);
        assert_eq!(said(1 << 20, 24 * gb, None).1, 3);
        // The machine's memory unknown: never called a damaged file.
        assert_eq!(said(1 << 61, 0, Some(b"x.parquet")).1, 3);
    }

    #[test]
    fn a_long_message_is_cut_not_overrun() {
        let long = vec![b'a'; 5000];
        let (text, _) = said(1 << 61, 1 << 30, Some(&long));
        assert_eq!(text.len(), 1024);
    }
}
