//! How the stages use the cores: how many threads, and running two things at once.

/// Below this many rows a stage runs on one thread: threads cost more than they save.
const PARALLEL_MIN_ROWS: usize = 200_000;

/// One thread per core, at most eight.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// The threads for a stage over `rows` rows: one for a small input, else [`cores`].
pub(crate) fn threads_for(rows: usize) -> usize {
    if rows < PARALLEL_MIN_ROWS {
        1
    } else {
        cores()
    }
}

/// Runs `a` on a second thread and `b` on this one; returns both results. A panic in
/// either goes on in the caller.
pub(crate) fn join<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|s| {
        let a = s.spawn(a);
        let b = b();
        let a = a.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (a, b)
    })
}
