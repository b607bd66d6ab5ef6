//! A string interner: each distinct text gets a dense `u32` index, in order of first sight.
//! Used for customer ids (a million of them on a large ledger), product lines and industries.

use hashbrown::HashTable;

#[derive(Debug, Default)]
pub struct Interner {
    table: HashTable<u32>,
    texts: Vec<Box<str>>,
}

impl Interner {
    /// The index of `text`, adding it if new.
    pub fn intern(&mut self, text: &str) -> u32 {
        let hash = super::hash64(text.as_bytes());
        let texts = &self.texts;
        if let Some(&i) = self.table.find(hash, |&i| &*texts[i as usize] == text) {
            return i;
        }
        let i = u32::try_from(self.texts.len()).expect("more than 4 billion distinct values");
        self.texts.push(text.into());
        let texts = &self.texts;
        self.table.insert_unique(hash, i, |&j| super::hash64(texts[j as usize].as_bytes()));
        i
    }

    /// The index of `text` if it was interned.
    pub fn lookup(&self, text: &str) -> Option<u32> {
        let texts = &self.texts;
        self.table.find(super::hash64(text.as_bytes()), |&i| &*texts[i as usize] == text).copied()
    }

    pub fn get(&self, i: u32) -> &str {
        &self.texts[i as usize]
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    pub fn texts(&self) -> &[Box<str>] {
        &self.texts
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
        assert_eq!((i.len(), i.get(1)), (2, "客户"));
        for n in 0..10_000 {
            assert_eq!(i.intern(&format!("X{n}")), n + 2);
        }
        assert_eq!(i.intern("X9999"), 10_001);
    }
}
