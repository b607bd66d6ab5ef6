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

/// Sorts `v` (an unstable sort: equal elements are indistinguishable for the `Copy` keys it
/// is used on), the two halves on two threads and then merged when `v` is long.
pub(crate) fn sort<T: Ord + Copy + Send>(mut v: Vec<T>) -> Vec<T> {
    if threads_for(v.len()) == 1 {
        v.sort_unstable();
        return v;
    }
    let mid = v.len() / 2;
    let (a, b) = v.split_at_mut(mid);
    join(|| a.sort_unstable(), || b.sort_unstable());
    let (a, b) = v.split_at(mid);
    let mut out = Vec::with_capacity(v.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if b[j] < a[i] {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn sort_on_two_threads_is_a_sort() {
        let mut x = 7u64;
        for n in [0, 1, 2, 3, 1000, 250_001] {
            let v: Vec<(u64, u32)> = (0..n)
                .map(|i| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((x >> 40) % 1000, i as u32)
                })
                .collect();
            let mut expected = v.clone();
            expected.sort_unstable();
            assert_eq!(super::sort(v), expected, "n {n}");
        }
    }
}
