//! Cheap hashing for the engine's maps, whose keys are already well-mixed feature
//! hashes: SipHash would cost more than the rest of the lookup; a multimap of ids
//! ([`IdLists`]) that needs no heap list for the many keys holding a single value; and a
//! flat table of id pairs ([`PairTable`]) for the largest of them.

use super::flat::FlatMap;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A hasher for integer keys (one multiply-xorshift mix); other keys get one xxh3 pass.
#[derive(Default, Clone, Copy)]
pub(crate) struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by the engine's maps (their keys are integers), but cheap if it ever is.
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }

    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}

/// A map keyed by integer ids or feature hashes.
pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<MixHasher>>;
/// A set of integer ids or feature hashes.
pub(crate) type IdSet = HashSet<u64, BuildHasherDefault<MixHasher>>;

/// A text feature (a term or an entity) as the vectors, centroids and index hold it: a
/// 32-bit hash, half the memory of a 64-bit one in every table the engine scores through.
/// Two features share an id once in about four billion pairs; a window holds a few hundred
/// thousand features, so a handful of rare words may count as one, which no score notices.
pub(crate) type Feature = u32;
/// A set of features.
pub(crate) type FeatureSet = HashSet<Feature, BuildHasherDefault<MixHasher>>;

/// The 64-bit hash of a string in a namespace (words for shingles, GUIDs and URLs).
pub(crate) fn hash(namespace: u64, text: &str) -> u64 {
    xxh3_64_with_seed(text.as_bytes(), namespace)
}

/// Namespace of plain lowercase words.
const WORD_NS: u64 = 0x776f_7264;

/// The hash of a lowercase word (shingles, case counts, stop-word profiles).
pub(crate) fn word(lower: &str) -> u64 {
    hash(WORD_NS, lower)
}

/// Namespace of source names.
const SOURCE_NS: u64 = 0x736f_7572;

/// The key of a source (an outlet's name), under which the engine remembers what it
/// writes: its language, and the words it repeats.
pub(crate) fn source(name: &str) -> u64 {
    hash(SOURCE_NS, name)
}

/// The feature id of a string in a namespace.
pub(crate) fn feature(namespace: u64, text: &str) -> Feature {
    fold(hash(namespace, text))
}

/// A 64-bit hash folded into a feature id (both halves count).
pub(crate) fn fold(h: u64) -> Feature {
    (h ^ (h >> 32)) as Feature
}

/// An open-addressed multiset of (key, value) pairs of 32 bits each, the values under a
/// key in its probe run: for tables so large that every lookup is a cache miss, and where
/// most keys hold a single value, an insert or a lookup here costs one miss where a general
/// hash map costs two (its control bytes, then the entry). Pairs leave in bulk
/// ([`PairTable::retain`]), in two passes over the table. Keys must not be [`VACANT`].
#[derive(Debug, Default)]
pub(crate) struct PairTable {
    /// (key, value) per slot, key [`VACANT`] for an empty slot; the length is a power of two
    /// (or zero).
    slots: Vec<(u32, u32)>,
    /// Pairs held.
    len: usize,
    /// 32 less the number of bits of a slot index.
    shift: u32,
}

/// The key that marks an empty slot of a [`PairTable`].
pub(crate) const VACANT: u32 = 0;

impl PairTable {
    /// The values held under a key, in no particular order.
    pub fn values(&self, key: u32) -> impl Iterator<Item = u32> + '_ {
        self.run(key)
            .filter(move |i| self.slots[*i].0 == key)
            .map(|i| self.slots[i].1)
    }

    /// Reads the slot where each key's run starts, all before any run is walked: in a table
    /// this large each read is a cache miss, and reads that do not wait on each other's
    /// answers are served together, so the walks that follow find their first slots cached.
    pub fn touch(&self, keys: &[u32]) {
        if self.slots.is_empty() {
            return;
        }
        let seen = keys.iter().fold(0, |x, k| x ^ self.slots[self.home(*k)].0);
        std::hint::black_box(seen);
    }

    /// Adds a pair (repeats are kept).
    pub fn insert(&mut self, key: u32, value: u32) {
        debug_assert!(key != VACANT);
        if !self.has_room(1) {
            self.grow();
        }
        self.put(key, value);
    }

    /// Number of pairs held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether `n` more pairs fit without the table growing (it grows once pairs would
    /// fill more than half of its slots).
    pub fn has_room(&self, n: usize) -> bool {
        2 * (self.len + n) <= self.slots.len()
    }

    /// Number of slots.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Keeps only the pairs for which `keep` holds, in place and in two passes through the
    /// table in memory order: one empties the slots of the pairs that go, the next puts
    /// each pair kept back at the first empty slot from its home (where it was, or
    /// earlier), starting after an empty slot so that no run is cut.
    pub fn retain(&mut self, mut keep: impl FnMut(u32, u32) -> bool) {
        for slot in &mut self.slots {
            if slot.0 != VACANT && !keep(slot.0, slot.1) {
                *slot = (VACANT, 0);
                self.len -= 1;
            }
        }
        let Some(empty) = self.slots.iter().position(|s| s.0 == VACANT) else {
            return;
        };
        let mask = self.slots.len() - 1;
        for step in 1..self.slots.len() {
            let i = (empty + step) & mask;
            let (key, value) = self.slots[i];
            if key != VACANT {
                self.slots[i] = (VACANT, 0);
                self.len -= 1;
                self.put(key, value);
            }
        }
    }

    /// The slots of a key's probe run: from its home to the first empty slot.
    fn run(&self, key: u32) -> impl Iterator<Item = usize> + '_ {
        let start = (!self.slots.is_empty()).then(|| self.home(key));
        std::iter::successors(start, |i| Some(self.next(*i)))
            .take_while(|i| self.slots[*i].0 != VACANT)
    }

    /// The slot where a key's probe run starts (Fibonacci hashing: the high bits of the
    /// key times the golden ratio).
    fn home(&self, key: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B9) >> self.shift) as usize
    }

    /// The slot after `i`, wrapping around.
    fn next(&self, i: usize) -> usize {
        (i + 1) & (self.slots.len() - 1)
    }

    /// Stores a pair in the first empty slot of its key's run (the table has room).
    fn put(&mut self, key: u32, value: u32) {
        let mut i = self.home(key);
        while self.slots[i].0 != VACANT {
            i = self.next(i);
        }
        self.slots[i] = (key, value);
        self.len += 1;
    }

    /// Doubles the table (at least 64 slots) and puts every pair back.
    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(64);
        let old = std::mem::replace(&mut self.slots, vec![(VACANT, 0); size]);
        self.shift = 32 - size.trailing_zeros();
        self.len = 0;
        for (key, value) in old.into_iter().filter(|(k, _)| *k != VACANT) {
            self.put(key, value);
        }
    }
}

/// A multimap from 32-bit ids to 32-bit ids, unordered within a key. Each key's entry in
/// one flat table holds its value when it has one, and the number of its heap list when it
/// has more, so the many keys holding a single value (most rare words) cost no allocation
/// of their own, and any key costs one table lookup.
#[derive(Debug, Default)]
pub(crate) struct IdLists {
    /// Key to its value, or ([`LIST`] set) to the number of its list in `lists`.
    heads: FlatMap<u32, u32>,
    /// Values of the keys holding two or more (empty when free).
    lists: Vec<Vec<u32>>,
    /// Numbers of free lists.
    free: Vec<usize>,
}

/// The bit that marks a head as a list number (values stay below it).
const LIST: u32 = 1 << 31;

impl IdLists {
    /// Adds a value under a key (repeats are kept); values must be below 2^31.
    pub fn push(&mut self, key: u32, value: u32) {
        debug_assert!(value & LIST == 0);
        let Some(head) = self.heads.get_mut(key) else {
            self.heads.insert(key, value);
            return;
        };
        if *head & LIST != 0 {
            self.lists[(*head & !LIST) as usize].push(value);
        } else {
            let n = self.free.pop().unwrap_or_else(|| {
                self.lists.push(Vec::new());
                self.lists.len() - 1
            });
            self.lists[n].extend([*head, value]);
            *head = LIST | n as u32;
        }
    }

    /// Removes one occurrence of a value under a key; says whether there was one.
    pub fn remove(&mut self, key: u32, value: u32) -> bool {
        let Some(head) = self.heads.get_mut(key) else {
            return false;
        };
        if *head & LIST == 0 {
            let found = *head == value;
            if found {
                self.heads.remove(key);
            }
            return found;
        }
        let n = (*head & !LIST) as usize;
        let list = &mut self.lists[n];
        let Some(pos) = list.iter().position(|v| *v == value) else {
            return false;
        };
        list.swap_remove(pos);
        if list.len() == 1 {
            // Back to a single value: the list's memory goes (it may have been long).
            *head = list[0];
            self.lists[n] = Vec::new();
            self.free.push(n);
        }
        true
    }

    /// Reads the table slots of these keys before any is looked up, so that their misses
    /// overlap (see [`FlatMap::touch`]).
    pub fn touch(&self, keys: impl Iterator<Item = u32>) {
        self.heads.touch(keys);
    }

    /// The values under a key, in no particular order (empty when none).
    pub fn get(&self, key: u32) -> &[u32] {
        match self.heads.get(key) {
            None => &[],
            Some(head) if *head & LIST == 0 => std::slice::from_ref(head),
            Some(head) => &self.lists[(*head & !LIST) as usize],
        }
    }

    /// Number of keys holding a value.
    #[cfg(test)]
    pub fn keys(&self) -> usize {
        self.heads.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_table_answers_like_a_list_of_pairs() {
        // Few distinct keys, so runs are long and cross each other after each sweep.
        let mut rng = fastrand::Rng::with_seed(5);
        let mut table = PairTable::default();
        let mut model: Vec<(u32, u32)> = Vec::new();
        for value in 0..6_000u32 {
            let key = rng.u32(1..300);
            table.insert(key, value);
            model.push((key, value));
            if value % 500 == 499 {
                // Drop about half, as a sweep of retired values would.
                let gone = |v: u32| v % 3 == (value / 500) % 3 || v % 7 == 0;
                table.retain(|_, v| !gone(v));
                model.retain(|(_, v)| !gone(*v));
                assert_eq!(table.len(), model.len());
            }
            if value % 97 == 0 {
                let key = rng.u32(1..300);
                let mut got: Vec<u32> = table.values(key).collect();
                got.sort_unstable();
                let mut want: Vec<u32> = model
                    .iter()
                    .filter(|(k, _)| *k == key)
                    .map(|(_, v)| *v)
                    .collect();
                want.sort_unstable();
                assert_eq!(got, want, "key {key} after {value}");
            }
        }
        let size = table.capacity();
        table.retain(|_, _| false);
        assert_eq!((table.len(), table.capacity()), (0, size));
        assert!(table.slots.iter().all(|s| s.0 == VACANT));
    }

    #[test]
    fn id_lists_keep_every_value_until_removed() {
        let mut m = IdLists::default();
        m.push(1, 10);
        m.push(1, 11);
        m.push(1, 12);
        m.push(2, 20);
        let mut got: Vec<u32> = m.get(1).to_vec();
        got.sort_unstable();
        assert_eq!((got, m.get(3).len()), (vec![10, 11, 12], 0));
        assert!(m.remove(1, 10));
        assert!(!m.remove(1, 99));
        let mut got: Vec<u32> = m.get(1).to_vec();
        got.sort_unstable();
        assert_eq!(got, vec![11, 12]);
        m.remove(1, 11);
        m.remove(1, 12);
        m.remove(2, 20);
        assert_eq!((m.keys(), m.free.len(), m.get(1).len()), (0, 1, 0));
    }
}
