//! Hints to the processor about memory the code will touch soon.

/// Asks for the cache line at `p` to be loaded (x86-64 `prefetcht0`; a no-op elsewhere).
/// `p` may point anywhere, even past an allocation: a prefetch is never a memory access
/// and never faults.
#[inline]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it reads nothing and never faults.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
