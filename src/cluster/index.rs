//! The inverted index over active stories: feature to the stories indexed under it.
//!
//! Candidate stories for an article come from here, never from a scan of all stories.
//! Only an article's most telling features are looked up, and posting lists that have
//! grown past a cap (words every story uses) are skipped, which keeps the cost per article
//! flat however many stories are active.

use super::hashing::{IdLists, IdMap};

/// Posting lists longer than this carry no signal worth their scan.
const POSTING_SCAN_CAP: usize = 4_000;

/// Feature to story slots.
#[derive(Debug, Default)]
pub(crate) struct StoryIndex {
    /// Feature to the slots listed under it (unordered: scores add up per slot).
    postings: IdLists,
    /// Scratch of [`StoryIndex::candidates`], kept between calls so that its table and
    /// ranking buffer are allocated once, not per article.
    acc: IdMap<f32>,
    ranked: Vec<(u64, f32)>,
}

impl StoryIndex {
    /// Lists a story under a feature (the caller keeps each pair unique).
    pub fn insert(&mut self, feature: u64, slot: u64) {
        self.postings.push(feature, slot);
    }

    /// Removes a story from a feature's list, dropping the list when it empties.
    pub fn remove(&mut self, feature: u64, slot: u64) {
        self.postings.remove(feature, slot);
    }

    /// Up to `limit` stories sharing the most query weight, best first (ties: older slot).
    pub fn candidates(&mut self, query: &[(u64, f32)], limit: usize) -> Vec<u64> {
        let acc = &mut self.acc;
        acc.clear();
        for (feature, weight) in query {
            if self.postings.count(*feature) > POSTING_SCAN_CAP {
                continue;
            }
            for slot in self.postings.get(*feature) {
                *acc.entry(slot).or_insert(0.0) += weight;
            }
        }
        let ranked = &mut self.ranked;
        ranked.clear();
        ranked.extend(acc.iter().map(|(slot, w)| (*slot, *w)));
        // A total order (weight, then slot), so selecting the best `limit` first and sorting
        // only those gives exactly the order a full sort would.
        let order = |a: &(u64, f32), b: &(u64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if limit == 0 {
            return Vec::new();
        }
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit - 1, order);
            ranked.truncate(limit);
        }
        ranked.sort_unstable_by(order);
        ranked.iter().map(|(slot, _)| *slot).collect()
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
        assert_eq!(idx.len(), 0);
    }
}
