//! Cheap hashing for the engine's maps, whose keys are already well-mixed 64-bit feature
//! hashes: SipHash would cost more than the rest of the lookup.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A hasher for integer keys (one multiply-xorshift mix) and short strings (xxh3).
#[derive(Default, Clone, Copy)]
pub(crate) struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // String keys (the tokenizer's stem cache): one xxh3 pass instead of SipHash.
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
