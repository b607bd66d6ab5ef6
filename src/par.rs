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
/// is used on), the two halves on two threads and then merged when `v` is long: the first
/// half of the output merged from the front on one thread while the second half is merged
/// from the back on the other.
pub(crate) fn sort<T: Ord + Copy + Send + Sync>(mut v: Vec<T>) -> Vec<T> {
    if threads_for(v.len()) == 1 {
        v.sort_unstable();
        return v;
    }
    let mid = v.len() / 2;
    let (a, b) = v.split_at_mut(mid);
    join(|| a.sort_unstable(), || b.sort_unstable());
    let (a, b) = v.split_at(mid);
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    let (front, back) = out.spare_capacity_mut()[..v.len()].split_at_mut(v.len() / 2);
    join(|| merge_front(a, b, front), || merge_back(a, b, back));
    // SAFETY: `merge_front` and `merge_back` wrote every element of `front` and `back`,
    // which together are the first `v.len()` elements of `out`'s buffer.
    unsafe { out.set_len(v.len()) };
    out
}

/// The first `out.len()` elements of the merge of sorted `a` and `b` (`a`'s first of equals).
fn merge_front<T: Ord + Copy>(a: &[T], b: &[T], out: &mut [std::mem::MaybeUninit<T>]) {
    let (mut i, mut j) = (0, 0);
    for slot in out {
        let take_b = i == a.len() || (j < b.len() && b[j] < a[i]);
        slot.write(if take_b {
            j += 1;
            b[j - 1]
        } else {
            i += 1;
            a[i - 1]
        });
    }
}

/// The last `out.len()` elements of the same merge as [`merge_front`]'s, taken from the back
/// (`b`'s first of equals, as those come after `a`'s).
fn merge_back<T: Ord + Copy>(a: &[T], b: &[T], out: &mut [std::mem::MaybeUninit<T>]) {
    let (mut i, mut j) = (a.len(), b.len());
    for slot in out.iter_mut().rev() {
        let take_a = j == 0 || (i > 0 && b[j - 1] < a[i - 1]);
        slot.write(if take_a {
            i -= 1;
            a[i]
        } else {
            j -= 1;
            b[j]
        });
    }
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
