//! A flat open-addressed map for the engine's large tables keyed by ids or hashes (the
//! story index's heads, the stem caches, the case counts).
//!
//! Each key sits beside its value in one array, so a lookup in a table too large for the
//! cache costs one miss, where a general hash map costs two (its control bytes, then the
//! entry). Linear probing, at most three quarters full; a removal shifts the rest of its run
//! back, so no tombstones pile up under the steady churn of a sliding window.

/// A key of a [`FlatMap`]: an integer id or hash.
pub(crate) trait FlatKey: Copy + Eq {
    /// The key that marks an empty slot (its value is kept aside).
    const VACANT: Self;

    /// The key spread over 64 bits (Fibonacci hashing: the high bits place it).
    fn spread(self) -> u64;
}

impl FlatKey for u32 {
    const VACANT: Self = 0;

    fn spread(self) -> u64 {
        u64::from(self).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

impl FlatKey for u64 {
    const VACANT: Self = 0;

    fn spread(self) -> u64 {
        self.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// Keys to values, each key beside its value in one flat array.
#[derive(Debug, Clone)]
pub(crate) struct FlatMap<K, V> {
    /// (key, value) per slot, key [`FlatKey::VACANT`] for an empty slot; the length is a
    /// power of two (or zero).
    slots: Vec<(K, V)>,
    /// Keys held in `slots`.
    len: usize,
    /// 64 less the number of bits of a slot index.
    shift: u32,
    /// The value of the key [`FlatKey::VACANT`], which cannot sit in `slots`.
    vacant: Option<V>,
}

impl<K, V> Default for FlatMap<K, V> {
    fn default() -> Self {
        FlatMap {
            slots: Vec::new(),
            len: 0,
            shift: 64,
            vacant: None,
        }
    }
}

impl<K: FlatKey, V: Copy + Default> FlatMap<K, V> {
    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.len + usize::from(self.vacant.is_some())
    }

    /// The value under a key.
    pub fn get(&self, key: K) -> Option<&V> {
        if key == K::VACANT {
            return self.vacant.as_ref();
        }
        self.find(key).ok().map(|i| &self.slots[i].1)
    }

    /// Reads the slot where each key's run starts, all before any is looked up: in a table
    /// too large for the cache each read is a miss, and reads that do not wait on each
    /// other's answers are served together (see [`super::hashing::PairTable::touch`]).
    pub fn touch(&self, keys: impl Iterator<Item = K>) {
        if self.slots.is_empty() {
            return;
        }
        let empty = keys.fold(0usize, |n, k| {
            n + usize::from(self.slots[self.home(k)].0 == K::VACANT)
        });
        std::hint::black_box(empty);
    }

    /// The value under a key, to change in place.
    pub fn get_mut(&mut self, key: K) -> Option<&mut V> {
        if key == K::VACANT {
            return self.vacant.as_mut();
        }
        self.find(key).ok().map(|i| &mut self.slots[i].1)
    }

    /// The value under a key, put there as the default if the key was not held.
    pub fn or_default(&mut self, key: K) -> &mut V {
        self.slot(key).0
    }

    /// Puts a value under a key; returns the value it replaced, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let (slot, held) = self.slot(key);
        let old = std::mem::replace(slot, value);
        held.then_some(old)
    }

    /// The value under a key (the default, put there, if it was not held), and whether it
    /// was held.
    fn slot(&mut self, key: K) -> (&mut V, bool) {
        if key == K::VACANT {
            let held = self.vacant.is_some();
            return (self.vacant.get_or_insert_default(), held);
        }
        if 4 * (self.len + 1) > 3 * self.slots.len() {
            self.grow();
        }
        match self.find(key) {
            Ok(i) => (&mut self.slots[i].1, true),
            Err(i) => {
                self.slots[i] = (key, V::default());
                self.len += 1;
                (&mut self.slots[i].1, false)
            }
        }
    }

    /// Removes a key; returns its value if it was held.
    pub fn remove(&mut self, key: K) -> Option<V> {
        if key == K::VACANT {
            return self.vacant.take();
        }
        let mut hole = self.find(key).ok()?;
        let value = self.slots[hole].1;
        // Later keys of the run move back into the hole when it lies between their home and
        // where they sit, so that every key stays reachable from its home.
        let mask = self.slots.len() - 1;
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let k = self.slots[j].0;
            if k == K::VACANT {
                break;
            }
            let home = self.home(k);
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                self.slots[hole] = self.slots[j];
                hole = j;
            }
        }
        self.slots[hole] = (K::VACANT, V::default());
        self.len -= 1;
        Some(value)
    }

    /// Drops every key (the table keeps its size).
    pub fn clear(&mut self) {
        self.slots.fill((K::VACANT, V::default()));
        self.len = 0;
        self.vacant = None;
    }

    /// The slot holding a key (`Ok`), or the empty slot ending its run (`Err`); the key is
    /// not [`FlatKey::VACANT`], and the table has a slot (`Err(0)` when it has none).
    fn find(&self, key: K) -> Result<usize, usize> {
        if self.slots.is_empty() {
            return Err(0);
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            match self.slots[i].0 {
                k if k == key => return Ok(i),
                k if k == K::VACANT => return Err(i),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The slot where a key's run starts.
    fn home(&self, key: K) -> usize {
        // The shift is 64 only for an empty table, which places nothing.
        key.spread().checked_shr(self.shift).unwrap_or(0) as usize
    }

    /// Doubles the table (at least 64 slots) and puts every key back.
    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(64);
        let old = std::mem::replace(&mut self.slots, vec![(K::VACANT, V::default()); size]);
        self.shift = 64 - size.trailing_zeros();
        for (key, value) in old.into_iter().filter(|(k, _)| *k != K::VACANT) {
            if let Err(i) = self.find(key) {
                self.slots[i] = (key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_a_map_through_inserts_and_removals() {
        // Few distinct keys in a small table: runs are long, cross each other and wrap
        // around, so a removal has later keys to shift back. Key 0 is among them.
        let mut rng = fastrand::Rng::with_seed(11);
        let mut table: FlatMap<u64, u32> = FlatMap::default();
        let mut model = std::collections::BTreeMap::new();
        for step in 0..20_000u32 {
            let key = rng.u64(..200);
            match rng.u8(..3) {
                0 => assert_eq!(table.insert(key, step), model.insert(key, step)),
                1 => {
                    *table.or_default(key) += 1;
                    *model.entry(key).or_default() += 1;
                }
                _ => assert_eq!(table.remove(key), model.remove(&key), "remove {key}"),
            }
            if step % 101 == 0 {
                assert_eq!(table.len(), model.len());
                for k in 0..200 {
                    assert_eq!(table.get(k), model.get(&k), "key {k} after step {step}");
                }
            }
        }
        let size = table.slots.len();
        table.clear();
        assert_eq!(
            (table.len(), table.get(5), table.slots.len()),
            (0, None, size)
        );
    }
}
