//! A string interner: each distinct text gets a dense `u32` index, in order of first sight.
//! Used for customer ids (a million of them on a large ledger), product lines and industries.
//!
//! Texts live in one arena; each table slot keeps the text's full 64-bit hash and, for
//! texts of up to 16 bytes (most ids), the text itself, so a lookup touches one table slot
//! and never the arena: on a million ids that one cache miss is the cost that counts.

use hashbrown::HashTable;

const INLINE: usize = 16;

/// One table slot: hash, index, and the text when it is short enough.
#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    index: u32,
    len: u32,
    inline: [u8; INLINE],
}

#[derive(Debug, Default, Clone)]
pub struct Interner {
    table: HashTable<Slot>,
    bytes: String,
    ends: Vec<usize>,
    /// The first [`SMALL`] texts as [`Short`] keys, for [`Interner::find_bytes`].
    small: Vec<Short>,
    /// For a table of up to [`SMALL`] texts: by [`Short::slot`], 0 (no text), the index + 1
    /// of the one text there, or [`SHARED`] (several: search `small` in order).
    slots: Vec<u8>,
}

/// Up to this many texts, [`Interner::find_bytes`] looks up [`Interner::slots`] instead of
/// hashing the bytes.
const SMALL: usize = 16;

/// A slot of [`Interner::slots`] that more than one text falls in.
const SHARED: u8 = u8::MAX;

/// A text as integers: its length, its first 8 bytes and its last 8 (fewer, zero-padded,
/// for a shorter text). Up to 16 bytes, equal keys mean equal texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Short {
    len: usize,
    head: u64,
    tail: u64,
}

impl Short {
    #[inline]
    fn of(b: &[u8]) -> Short {
        let n = b.len();
        let u64_at = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        let u32_at =
            |at: usize| u64::from(u32::from_le_bytes(b[at..at + 4].try_into().expect("4")));
        // The bytes as a little-endian integer, zero-padded: without a loop over them,
        // by loads that overlap (4 to 7 bytes: the first four and the last four).
        let (head, tail) = match n {
            9.. => (u64_at(0), u64_at(n - 8)),
            8 => (u64_at(0), 0),
            4..=7 => (u32_at(0) | u32_at(n - 4) << (8 * (n - 4)), 0),
            _ => (
                b.iter()
                    .enumerate()
                    .fold(0u64, |w, (k, &c)| w | u64::from(c) << (8 * k)),
                0,
            ),
        };
        Short { len: n, head, tail }
    }

    /// One of 256 slots.
    #[inline]
    fn slot(self) -> usize {
        ((self.head ^ self.tail.rotate_left(29) ^ self.len as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            >> 56) as usize
    }
}

impl Interner {
    fn text(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// The index of `text`, adding it if new.
    pub fn intern(&mut self, text: &str) -> u32 {
        let hash = super::hash64(text.as_bytes());
        if let Some(i) = self.find(hash, text.as_bytes()) {
            return i;
        }
        self.insert(hash, text)
    }

    /// Like [`Interner::intern`] for bytes: checked as UTF-8 only when they are new, so a
    /// value met a million times is checked once.
    pub fn intern_bytes(&mut self, b: &[u8]) -> Result<u32, std::str::Utf8Error> {
        let hash = super::hash64(b);
        if let Some(i) = self.find(hash, b) {
            return Ok(i);
        }
        Ok(self.insert(hash, std::str::from_utf8(b)?))
    }

    fn insert(&mut self, hash: u64, text: &str) -> u32 {
        let index = u32::try_from(self.ends.len()).expect("more than 4 billion distinct values");
        self.bytes.push_str(text);
        self.ends.push(self.bytes.len());
        if self.small.len() < SMALL {
            let key = Short::of(text.as_bytes());
            self.slots.resize(256, 0);
            let slot = &mut self.slots[key.slot()];
            *slot = if *slot == 0 {
                self.small.len() as u8 + 1
            } else {
                SHARED
            };
            self.small.push(key);
        }
        let mut inline = [0u8; INLINE];
        if text.len() <= INLINE {
            inline[..text.len()].copy_from_slice(text.as_bytes());
        }
        self.table.insert_unique(
            hash,
            Slot {
                hash,
                index,
                len: text.len() as u32,
                inline,
            },
            |s| s.hash,
        );
        index
    }

    fn find(&self, hash: u64, t: &[u8]) -> Option<u32> {
        let eq = |s: &Slot| {
            s.hash == hash
                && s.len as usize == t.len()
                && if t.len() <= INLINE {
                    &s.inline[..t.len()] == t
                } else {
                    self.text(s.index).as_bytes() == t
                }
        };
        self.table.find(hash, eq).map(|s| s.index)
    }

    /// The index of the text with these bytes, if it was interned. A table of a few texts
    /// (product lines, industries) is looked up by its [`Short`] keys, without hashing the
    /// bytes.
    #[inline]
    pub fn find_bytes(&self, b: &[u8]) -> Option<u32> {
        if self.ends.len() <= SMALL {
            if self.small.is_empty() {
                return None;
            }
            // Compared as integers; past 16 bytes, the bytes too.
            let key = Short::of(b);
            let is = |i: usize| {
                self.small[i] == key && (key.len <= 16 || self.text(i as u32).as_bytes() == b)
            };
            return match self.slots[key.slot()] {
                0 => None,
                SHARED => (0..self.small.len()).find(|&i| is(i)).map(|i| i as u32),
                k => is(k as usize - 1).then_some(k as u32 - 1),
            };
        }
        self.find_hashed(b)
    }

    /// [`Interner::find_bytes`] in a table of more than [`SMALL`] texts (out of line: the
    /// small table's lookup is inline at its callers).
    #[inline(never)]
    fn find_hashed(&self, b: &[u8]) -> Option<u32> {
        self.find(super::hash64(b), b)
    }

    /// The index of `text` if it was interned.
    pub fn lookup(&self, text: &str) -> Option<u32> {
        self.find(super::hash64(text.as_bytes()), text.as_bytes())
    }

    pub fn get(&self, i: u32) -> &str {
        self.text(i)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The bytes of every text together.
    pub fn bytes_len(&self) -> usize {
        self.bytes.len()
    }

    /// Every text, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len() as u32).map(|i| self.text(i))
    }

    /// Reserves room for `n` more texts of about `bytes_each` bytes.
    pub fn reserve(&mut self, n: usize, bytes_each: usize) {
        self.table.reserve(n, |s| s.hash);
        self.ends.reserve(n);
        self.bytes.reserve(n * bytes_each);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text of 0 to 24 characters over `letters` (at most four), from `next`.
    fn random_text(next: &mut impl FnMut() -> u64, letters: &[char]) -> String {
        let x = next();
        let len = (x >> 59) as usize % 25;
        (0..len)
            .map(|k| letters[(x >> (2 * k % 58) & 3) as usize % letters.len()])
            .collect()
    }

    #[test]
    fn a_short_table_finds_exactly_its_texts() {
        // Texts over a two-letter alphabet: shared prefixes and tails, every length from
        // 0 to 24, against a search of the texts in order.
        let mut next = crate::test_rng(3);
        for _ in 0..50 {
            let mut i = Interner::default();
            let mut texts: Vec<String> = Vec::new();
            for _ in 0..SMALL {
                let t = random_text(&mut next, &['a', 'b']);
                if !texts.contains(&t) {
                    texts.push(t.clone());
                }
                i.intern(&t);
            }
            for _ in 0..200 {
                let t = random_text(&mut next, &['a', 'b']);
                let expected = texts.iter().position(|s| *s == t).map(|k| k as u32);
                assert_eq!(i.find_bytes(t.as_bytes()), expected, "{t:?} in {texts:?}");
            }
        }
    }

    #[test]
    fn a_large_table_finds_exactly_its_texts() {
        // Past SMALL texts a lookup goes through the hash table, where a text of up to 16
        // bytes is compared with the bytes kept in its slot: texts sharing their first or
        // last 8 bytes, zero bytes among them, every length from 0 to 24.
        let mut next = crate::test_rng(7);
        let mut i = Interner::default();
        let mut texts: Vec<String> = Vec::new();
        for _ in 0..400 {
            let t = random_text(&mut next, &['a', '\0', 'b']);
            let expected = texts.iter().position(|s| *s == t).map(|k| k as u32);
            assert_eq!(i.find_bytes(t.as_bytes()), expected, "{t:?}");
            if expected.is_none() {
                texts.push(t.clone());
            }
            assert_eq!(i.intern(&t), expected.unwrap_or(texts.len() as u32 - 1));
        }
        assert!(texts.len() > SMALL, "the hash table is tested");
        for (k, t) in texts.iter().enumerate() {
            assert_eq!(i.lookup(t), Some(k as u32));
            assert_eq!(i.get(k as u32), t);
        }
    }

    #[test]
    fn the_same_text_gets_the_same_index() {
        let mut i = Interner::default();
        assert_eq!(i.intern("C1"), 0);
        assert_eq!(i.intern("客户"), 1);
        assert_eq!(i.intern("C1"), 0);
        assert_eq!(i.intern(""), 2);
        // A short table is looked up by its short keys, a long one through the hash table.
        assert_eq!(i.find_bytes("客户".as_bytes()), Some(1));
        assert_eq!(i.find_bytes(b"C2"), None);
        // Same first 8 bytes, different lengths or tails; and zero bytes in the text.
        let mut k = Interner::default();
        for t in ["Hardware", "Hardware2", "Hardware3", "Hard", "Hard\0", ""] {
            k.intern(t);
        }
        for (n, t) in ["Hardware", "Hardware2", "Hardware3", "Hard", "Hard\0", ""]
            .iter()
            .enumerate()
        {
            assert_eq!(k.find_bytes(t.as_bytes()), Some(n as u32), "{t:?}");
        }
        assert_eq!(k.find_bytes(b"Hardware4"), None);
        assert_eq!(k.find_bytes(b"Hard\0\0"), None);
        assert_eq!(i.intern_bytes("客户".as_bytes()), Ok(1));
        let mut j = i.clone();
        assert_eq!(j.intern_bytes(b"C3"), Ok(3));
        assert!(j.intern_bytes(b"\xff").is_err());
        assert_eq!(j.len(), 4, "invalid bytes are not kept");
        assert_eq!(j.intern("C3"), 3);
        assert_eq!((i.len(), i.get(1), i.get(2)), (3, "客户", ""));
        let long = "a customer id longer than sixteen bytes";
        assert_eq!(i.intern(long), 3);
        assert_eq!(i.lookup(long), Some(3));
        assert_eq!(i.lookup("a customer id longer than sixteen byteS"), None);
        for n in 0..10_000 {
            assert_eq!(i.intern(&format!("X{n}")), n + 4);
        }
        assert_eq!(i.intern("X9999"), 10_003);
        assert_eq!(i.lookup("X5"), Some(9));
        assert_eq!(i.find_bytes(b"X5"), Some(9));
        assert_eq!(i.find_bytes(long.as_bytes()), Some(3));
        assert_eq!(i.find_bytes(b"X10000"), None);
        assert_eq!(i.lookup("nope"), None);
        assert_eq!(i.iter().nth(1), Some("客户"));
    }
}
