//! Where the fields and lines of a quote-free CSV buffer end: every delimiter and line
//! feed, found 64 bytes at a time as a bit mask (SSE2 on x86-64, plain code elsewhere).
//! A line has about eight fields, so a search call per hit (`memchr2`) spent more time
//! starting and stopping than searching. Whether the buffer is free of quotes is for the
//! caller to check first (one `memchr2` over the buffer costs less than a second mask per
//! 64 bytes here).

/// The positions of `delimiter` and `\n` in `data`, in increasing order.
pub(crate) struct Hits<'a> {
    data: &'a [u8],
    delimiter: u8,
    /// Start of the 64-byte chunk that `mask` describes.
    base: usize,
    /// Bit k set: a hit at `base + k` not yet returned.
    mask: u64,
}

impl<'a> Hits<'a> {
    pub(crate) fn new(data: &'a [u8], delimiter: u8) -> Hits<'a> {
        let mut h = Hits {
            data,
            delimiter,
            base: 0,
            mask: 0,
        };
        h.mask = h.chunk_mask(0);
        h
    }

    /// The hits among the 64 bytes from `at` (fewer at the end of the data).
    #[inline]
    fn chunk_mask(&self, at: usize) -> u64 {
        let rest = &self.data[at.min(self.data.len())..];
        if rest.len() >= 64 {
            mask64(rest[..64].try_into().expect("64 bytes"), self.delimiter)
        } else {
            // Padded; the padding's bits are masked off.
            let mut last = [0u8; 64];
            last[..rest.len()].copy_from_slice(rest);
            let valid = if rest.is_empty() {
                0
            } else {
                u64::MAX >> (64 - rest.len())
            };
            mask64(&last, self.delimiter) & valid
        }
    }
}

impl Iterator for Hits<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 64;
            if self.base >= self.data.len() {
                return None;
            }
            self.mask = self.chunk_mask(self.base);
        }
        let k = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.base + k)
    }
}

/// Bit k set where `chunk[k]` is `delimiter` or `\n`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn mask64(chunk: &[u8; 64], delimiter: u8) -> u64 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of every x86-64 target, so these instructions exist; each load
    // reads 16 bytes of `chunk` (no alignment needed).
    unsafe {
        let d = _mm_set1_epi8(delimiter as i8);
        let nl = _mm_set1_epi8(b'\n' as i8);
        let mut mask = 0u64;
        for (k, part) in chunk.chunks_exact(16).enumerate() {
            let v = _mm_loadu_si128(part.as_ptr().cast());
            let hit = _mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, nl));
            mask |= u64::from(_mm_movemask_epi8(hit) as u16) << (16 * k);
        }
        mask
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn mask64(chunk: &[u8; 64], delimiter: u8) -> u64 {
    chunk.iter().enumerate().fold(0, |m, (k, &c)| {
        m | u64::from(c == delimiter || c == b'\n') << k
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_memchr2_finds() {
        let mut x = 11u64;
        for len in (0..300).chain([1000, 4096, 4097]) {
            for delimiter in [b',', b';', b'\t', b'|', 0] {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        match x >> 60 {
                            0 => b',',
                            1 => b'\n',
                            2 => b';',
                            3 => 0,
                            4 => b'\t',
                            5 => b'|',
                            // Now and then a quote or a carriage return.
                            6 if x >> 50 & 0xf == 0 => b'"',
                            7 if x >> 50 & 0xf == 0 => b'\r',
                            _ => b'a' + (x >> 40) as u8 % 26,
                        }
                    })
                    .collect();
                let expected: Vec<usize> = memchr::memchr2_iter(delimiter, b'\n', &data).collect();
                let got: Vec<usize> = Hits::new(&data, delimiter).collect();
                assert_eq!(got, expected, "len {len}, delimiter {delimiter}");
            }
        }
    }
}
