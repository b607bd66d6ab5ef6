//! A string interner: each distinct text gets a dense `u32` index, in order of first sight.
//! Used for customer ids (a million of them on a large ledger), product lines and industries.
//!
//! Texts live in one arena; the table keeps each text's full 64-bit hash beside its index,
//! so a probe that lands on another text is almost always rejected without reading the
//! arena: on a million ids that table miss, not the string compare, is the cost that counts.

use hashbrown::HashTable;

#[derive(Debug, Default, Clone)]
pub struct Interner {
    table: HashTable<(u64, u32)>,
    bytes: String,
    ends: Vec<usize>,
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
        if let Some(i) = self.find(hash, text) {
            return i;
        }
        let i = u32::try_from(self.ends.len()).expect("more than 4 billion distinct values");
        self.bytes.push_str(text);
        self.ends.push(self.bytes.len());
        self.table.insert_unique(hash, (hash, i), |&(h, _)| h);
        i
    }

    fn find(&self, hash: u64, text: &str) -> Option<u32> {
        self.table.find(hash, |&(h, i)| h == hash && self.text(i) == text).map(|&(_, i)| i)
    }

    /// The index of `text` if it was interned.
    pub fn lookup(&self, text: &str) -> Option<u32> {
        self.find(super::hash64(text.as_bytes()), text)
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

    /// Every text, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len() as u32).map(|i| self.text(i))
    }

    /// Reserves room for `n` more texts of about `bytes_each` bytes.
    pub fn reserve(&mut self, n: usize, bytes_each: usize) {
        self.table.reserve(n, |&(h, _)| h);
        self.ends.reserve(n);
        self.bytes.reserve(n * bytes_each);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_text_gets_the_same_index() {
        let mut i = Interner::default();
        assert_eq!(i.intern("C1"), 0);
        assert_eq!(i.intern("客户"), 1);
        assert_eq!(i.intern("C1"), 0);
        assert_eq!(i.intern(""), 2);
        assert_eq!((i.len(), i.get(1), i.get(2)), (3, "客户", ""));
        for n in 0..10_000 {
            assert_eq!(i.intern(&format!("X{n}")), n + 3);
        }
        assert_eq!(i.intern("X9999"), 10_002);
        assert_eq!(i.lookup("X5"), Some(8));
        assert_eq!(i.lookup("nope"), None);
        assert_eq!(i.iter().nth(1), Some("客户"));
    }
}
