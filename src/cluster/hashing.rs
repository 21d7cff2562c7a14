//! Cheap hashing for the engine's maps, whose keys are already well-mixed 64-bit feature
//! hashes: SipHash would cost more than the rest of the lookup; and a multimap of ids
//! ([`IdLists`]) that needs no heap list for the many keys holding a single value.

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

/// The 64-bit feature id of a string in a namespace (terms and entities never collide).
pub(crate) fn feature(namespace: u64, text: &str) -> u64 {
    xxh3_64_with_seed(text.as_bytes(), namespace)
}

/// A multimap from ids to ids, unordered within a key. The first value of each key sits in
/// one flat table and only further values get a heap list, so the many keys holding a single
/// value (most LSH buckets, most rare words) cost no allocation of their own.
#[derive(Debug, Default)]
pub(crate) struct IdLists {
    first: IdMap<u64>,
    rest: IdMap<Vec<u64>>,
}

impl IdLists {
    /// Adds a value under a key (repeats are kept).
    pub fn push(&mut self, key: u64, value: u64) {
        match self.first.entry(key) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(value);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.rest.entry(key).or_default().push(value);
            }
        }
    }

    /// Removes one occurrence of a value under a key, if there is one.
    pub fn remove(&mut self, key: u64, value: u64) {
        let Some(first) = self.first.get_mut(&key) else {
            return;
        };
        if *first == value {
            let refill = self.rest.get_mut(&key).and_then(Vec::pop);
            match refill {
                Some(v) => *first = v,
                None => {
                    self.first.remove(&key);
                }
            }
        } else if let Some(list) = self.rest.get_mut(&key) {
            if let Some(pos) = list.iter().position(|v| *v == value) {
                list.swap_remove(pos);
            }
        }
        if self.rest.get(&key).is_some_and(Vec::is_empty) {
            self.rest.remove(&key);
        }
    }

    /// The values under a key, in no particular order (empty when none).
    pub fn get(&self, key: u64) -> impl Iterator<Item = u64> + '_ {
        let first = self.first.get(&key).copied();
        let rest = first
            .and_then(|_| self.rest.get(&key))
            .map_or(&[][..], Vec::as_slice);
        first.into_iter().chain(rest.iter().copied())
    }

    /// Number of values under a key.
    pub fn count(&self, key: u64) -> usize {
        match self.first.get(&key) {
            Some(_) => 1 + self.rest.get(&key).map_or(0, Vec::len),
            None => 0,
        }
    }

    /// Number of keys holding a value.
    #[cfg(test)]
    pub fn keys(&self) -> usize {
        self.first.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_keep_every_value_until_removed() {
        let mut m = IdLists::default();
        m.push(1, 10);
        m.push(1, 11);
        m.push(1, 12);
        m.push(2, 20);
        let mut got: Vec<u64> = m.get(1).collect();
        got.sort_unstable();
        assert_eq!((got, m.count(1), m.count(3)), (vec![10, 11, 12], 3, 0));
        m.remove(1, 10);
        m.remove(1, 99);
        let mut got: Vec<u64> = m.get(1).collect();
        got.sort_unstable();
        assert_eq!(got, vec![11, 12]);
        m.remove(1, 11);
        m.remove(1, 12);
        m.remove(2, 20);
        assert_eq!((m.keys(), m.rest.len(), m.get(1).count()), (0, 0, 0));
    }
}
