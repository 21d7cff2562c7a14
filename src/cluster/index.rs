//! The inverted index over active stories: feature to the stories indexed under it.
//!
//! Candidate stories for an article come from here, never from a scan of all stories.
//! Only an article's most telling features are looked up, and posting lists that have
//! grown past a cap (words every story uses) are skipped, which keeps the cost per article
//! flat however many stories are active.

use super::hashing::{Feature, IdLists, IdMap};
use super::vectors::offer_heaviest;

/// Posting lists longer than this carry no signal worth their scan.
const POSTING_SCAN_CAP: usize = 4_000;

/// Feature to story slots.
#[derive(Debug, Default)]
pub(crate) struct StoryIndex {
    /// Feature to the numbers of the stories listed under it (unordered: scores add up
    /// per story).
    postings: IdLists,
    /// Story slot to its number and how many features list it. Numbers are small and
    /// reused, so that the scores of a lookup add up in a flat array, not a hash table.
    numbers: IdMap<(u32, u32)>,
    /// Number to story slot.
    slots: Vec<u64>,
    /// Numbers of no story.
    free: Vec<u32>,
    /// Scratch of [`StoryIndex::candidates`], kept between calls so that it is allocated
    /// once, not per article: per number, the lookup that last touched it and its score
    /// (side by side: one cache line per story touched), the numbers touched by this
    /// lookup, and the ranking buffer.
    acc: Vec<(u32, f32)>,
    lookup: u32,
    touched: Vec<u32>,
    ranked: Vec<(u64, f32)>,
}

impl StoryIndex {
    /// Lists a story under a feature (the caller keeps each pair unique).
    pub fn insert(&mut self, feature: Feature, slot: u64) {
        let (slots, free) = (&mut self.slots, &mut self.free);
        let entry = self.numbers.entry(slot).or_insert_with(|| {
            let n = free.pop().unwrap_or_else(|| {
                slots.push(0);
                (slots.len() - 1) as u32
            });
            slots[n as usize] = slot;
            (n, 0)
        });
        entry.1 += 1;
        self.postings.push(feature, entry.0);
    }

    /// Removes a story from a feature's list, dropping the list when it empties.
    #[cfg(test)]
    pub fn remove(&mut self, feature: Feature, slot: u64) {
        self.remove_all(std::iter::once(feature), slot);
    }

    /// Removes a story from the lists of all these features, dropping the lists that empty,
    /// and frees its number once no list holds it. The lists' heads are read first, so that
    /// their misses overlap (see [`IdLists::touch`]).
    pub fn remove_all(&mut self, features: impl Iterator<Item = Feature> + Clone, slot: u64) {
        let Some(&(n, listed)) = self.numbers.get(&slot) else {
            return;
        };
        self.postings.touch(features.clone());
        let postings = &mut self.postings;
        let removed = features.filter(|f| postings.remove(*f, n)).count();
        if removed >= listed as usize {
            self.free.push(n);
            self.numbers.remove(&slot);
        } else if let Some(entry) = self.numbers.get_mut(&slot) {
            entry.1 -= removed as u32;
        }
    }

    /// Up to `limit` stories sharing the most query weight, best first (ties: older slot).
    pub fn candidates(&mut self, query: &[(Feature, f32)], limit: usize) -> Vec<u64> {
        self.accumulate(query);
        let ranked = &mut self.ranked;
        ranked.clear();
        // The weight of the lightest kept once `limit` are kept: most stories touched share
        // less, and need no slot looked up.
        let mut floor = f32::NEG_INFINITY;
        for n in &self.touched {
            let weight = self.acc[*n as usize].1;
            if weight < floor {
                continue;
            }
            offer_heaviest(ranked, limit, (self.slots[*n as usize], weight));
            if ranked.len() == limit {
                floor = ranked.last().map_or(floor, |(_, w)| *w);
            }
        }
        ranked.iter().map(|(slot, _)| *slot).collect()
    }

    /// Adds up the query weight of every story listed under the query's features (in
    /// query order, as a story's score always was) into `acc`, noting the stories touched.
    fn accumulate(&mut self, query: &[(Feature, f32)]) {
        let size = self.slots.len();
        if self.acc.len() < size {
            self.acc.resize(size, (0, 0.0));
        }
        self.lookup = self.lookup.wrapping_add(1);
        if self.lookup == 0 {
            // The marks wrapped around: clear them so no stale mark can match.
            self.acc.iter_mut().for_each(|(mark, _)| *mark = 0);
            self.lookup = 1;
        }
        self.touched.clear();
        self.postings
            .touch(query.iter().map(|(feature, _)| *feature));
        for (feature, weight) in query {
            let list = self.postings.get(*feature);
            if list.len() > POSTING_SCAN_CAP {
                continue;
            }
            for n in list {
                let (mark, acc) = &mut self.acc[*n as usize];
                if *mark != self.lookup {
                    *mark = self.lookup;
                    *acc = 0.0;
                    self.touched.push(*n);
                }
                *acc += weight;
            }
        }
    }

    /// Number of features with a posting list.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.postings.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_shared_weight_and_forgets_removed_stories() {
        let mut idx = StoryIndex::default();
        idx.insert(1, 10);
        idx.insert(2, 10);
        idx.insert(2, 11);
        assert_eq!(idx.candidates(&[(1, 0.5), (2, 0.5)], 5), vec![10, 11]);
        assert_eq!(idx.candidates(&[(1, 0.5), (2, 0.5)], 1), vec![10]);
        idx.remove(1, 10);
        idx.remove(2, 10);
        idx.remove(2, 11);
        assert_eq!((idx.len(), idx.numbers.len(), idx.free.len()), (0, 0, 2));
    }
}
