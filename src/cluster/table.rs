//! An open-addressed table from feature to weight: the terms of a story centroid, and the
//! document frequencies.
//!
//! A centroid is looked up once per article term for every candidate story, and the
//! stories are spread over the whole window, so each lookup tends to be a cache miss (as
//! is each of an article's terms in the far larger document frequencies). Here
//! a feature and its weight share a slot, found from the feature's own (already well mixed)
//! low bits, so a lookup costs one miss where a general hash map costs two (its control
//! bytes, then the entry).

use super::hashing::Feature;

/// Feature to weight, with linear probing in a table at most three quarters full (the
/// size of a general hash map's table for as many entries).
#[derive(Debug, Clone, Default)]
pub(crate) struct TermTable {
    /// Feature and weight per slot (feature 0: empty); the length is a power of two.
    slots: Vec<(Feature, f32)>,
    /// Features held in `slots`.
    len: usize,
    /// The weight of feature 0, which cannot sit in `slots`.
    zero: Option<f32>,
}

impl TermTable {
    /// Number of features held.
    pub fn len(&self) -> usize {
        self.len + usize::from(self.zero.is_some())
    }

    /// Whether it holds no feature.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The weight of a feature, if held.
    pub fn get(&self, k: Feature) -> Option<f32> {
        if k == 0 {
            return self.zero;
        }
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = home(k, mask);
        loop {
            let (key, w) = self.slots[i];
            if key == k {
                return Some(w);
            }
            if key == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Reads the slot where each feature's run starts, all before any is looked up or
    /// inserted: in a table this large each read tends to be a cache miss, and reads that
    /// do not wait on each other's answers are served together (see
    /// [`super::hashing::PairTable::touch`]).
    pub fn touch(&self, keys: impl Iterator<Item = Feature>) {
        let Some(mask) = self.slots.len().checked_sub(1) else {
            return;
        };
        let seen = keys.fold(0, |x, k| x ^ self.slots[home(k, mask)].0);
        std::hint::black_box(seen);
    }

    /// The weight of a feature, inserted as 0 if it was not held.
    pub fn entry(&mut self, k: Feature) -> &mut f32 {
        if k == 0 {
            return self.zero.get_or_insert(0.0);
        }
        if 4 * (self.len + 1) > 3 * self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = home(k, mask);
        while self.slots[i].0 != k && self.slots[i].0 != 0 {
            i = (i + 1) & mask;
        }
        if self.slots[i].0 == 0 {
            self.slots[i] = (k, 0.0);
            self.len += 1;
        }
        &mut self.slots[i].1
    }

    /// The features and their weights, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Feature, f32)> + '_ {
        let zero = self.zero.map(|w| (0, w));
        zero.into_iter()
            .chain(self.slots.iter().copied().filter(|(k, _)| *k != 0))
    }

    /// Scales every weight by `factor`.
    pub fn scale(&mut self, factor: f32) {
        self.zero.iter_mut().for_each(|w| *w *= factor);
        self.slots.iter_mut().for_each(|(_, w)| *w *= factor);
    }

    /// Keeps the features whose weight passes `keep` (the table keeps its size).
    pub fn retain(&mut self, keep: impl Fn(f32) -> bool) {
        self.zero = self.zero.filter(|w| keep(*w));
        let kept: Vec<(Feature, f32)> = self.iter().filter(|(k, w)| *k != 0 && keep(*w)).collect();
        self.slots.iter_mut().for_each(|s| *s = (0, 0.0));
        self.len = 0;
        for (k, w) in kept {
            *self.entry(k) = w;
        }
    }

    /// Doubles the table (at least 16 slots) and puts every feature back.
    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(16);
        let old = std::mem::replace(&mut self.slots, vec![(0, 0.0); size]);
        self.len = 0;
        for (k, w) in old.into_iter().filter(|(k, _)| *k != 0) {
            *self.entry(k) = w;
        }
    }
}

/// The slot where a feature's run starts in a table of `mask + 1` slots: its own low bits.
fn home(k: Feature, mask: usize) -> usize {
    k as usize & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_inserts_and_keeps_what_passes() {
        let mut t = TermTable::default();
        assert_eq!((t.get(5), t.is_empty()), (None, true));
        // Features 16 apart share their low bits: they probe past each other.
        for k in [0u32, 5, 21, 37, 1_000] {
            *t.entry(k) += k as f32;
        }
        *t.entry(21) += 1.0;
        assert_eq!(t.len(), 5);
        assert_eq!(
            [t.get(0), t.get(21), t.get(37), t.get(53)],
            [Some(0.0), Some(22.0), Some(37.0), None]
        );
        t.scale(0.5);
        t.retain(|w| w >= 10.0);
        let mut kept: Vec<(Feature, f32)> = t.iter().collect();
        kept.sort_unstable_by_key(|(k, _)| *k);
        assert_eq!(kept, vec![(21, 11.0), (37, 18.5), (1_000, 500.0)]);
    }
}
