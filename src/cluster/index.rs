//! The inverted index over active stories: feature to the stories indexed under it.
//!
//! Candidate stories for an article come from here, never from a scan of all stories.
//! Only an article's most telling features are looked up, and posting lists that have
//! grown past a cap (words every story uses) are skipped, which keeps the cost per article
//! flat however many stories are active. A story that leaves is struck out at once but
//! taken out of its lists later, in one pass over all of them, instead of a random lookup
//! per feature it was listed under.

use super::hashing::{Feature, IdLists, IdMap};
use super::vectors::heaviest_first;

/// Posting lists longer than this carry no signal worth their scan.
const POSTING_SCAN_CAP: usize = 4_000;
/// The mark of a retired story's number: never a lookup's, so its postings add nothing.
const RETIRED: u32 = u32::MAX;

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
    /// Numbers of stories that left, still in posting lists until the next sweep.
    retired: Vec<u32>,
    /// Postings of live stories, and of retired ones not swept yet.
    live_postings: usize,
    retired_postings: usize,
    /// Scratch of [`StoryIndex::candidates`], kept between calls so that it is allocated
    /// once, not per article: the score per number, the lookup that last touched it (or
    /// [`RETIRED`]), the numbers touched by this lookup, and the ranking buffer.
    acc: Vec<f32>,
    mark: Vec<u32>,
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
        self.live_postings += 1;
        self.postings.push(feature, entry.0);
    }

    /// Takes a story out of every list it is in: at once for lookups, and from the lists
    /// themselves at the next sweep, which runs once retired postings outnumber half the
    /// live ones (so sweeping costs a few sequential steps per posting retired).
    pub fn retire(&mut self, slot: u64) {
        let Some((n, listed)) = self.numbers.remove(&slot) else {
            return;
        };
        self.fit_scratch();
        self.mark[n as usize] = RETIRED;
        self.retired.push(n);
        self.live_postings -= listed as usize;
        self.retired_postings += listed as usize;
        if 2 * self.retired_postings > self.live_postings {
            self.sweep();
        }
    }

    /// Drops the retired stories' postings from every list and frees their numbers.
    fn sweep(&mut self) {
        let mark = &self.mark;
        self.postings.retain(|n| mark[n as usize] != RETIRED);
        for n in self.retired.drain(..) {
            self.mark[n as usize] = 0;
            self.free.push(n);
        }
        self.retired_postings = 0;
    }

    /// Grows the scratch arrays to cover every number handed out.
    fn fit_scratch(&mut self) {
        let size = self.slots.len();
        if self.acc.len() < size {
            self.acc.resize(size, 0.0);
            self.mark.resize(size, 0);
        }
    }

    /// Up to `limit` stories sharing the most query weight, best first (ties: older slot).
    pub fn candidates(&mut self, query: &[(Feature, f32)], limit: usize) -> Vec<u64> {
        self.accumulate(query);
        let ranked = &mut self.ranked;
        ranked.clear();
        ranked.extend(
            self.touched
                .iter()
                .map(|n| (self.slots[*n as usize], self.acc[*n as usize])),
        );
        heaviest_first(ranked, limit);
        ranked.iter().map(|(slot, _)| *slot).collect()
    }

    /// Adds up the query weight of every story listed under the query's features (in
    /// query order, as a story's score always was) into `acc`, noting the stories touched.
    fn accumulate(&mut self, query: &[(Feature, f32)]) {
        self.fit_scratch();
        self.lookup += 1;
        if self.lookup == RETIRED {
            // The marks wrapped around: clear them so no stale mark can match.
            self.mark
                .iter_mut()
                .filter(|m| **m != RETIRED)
                .for_each(|m| *m = 0);
            self.lookup = 1;
        }
        self.touched.clear();
        for (feature, weight) in query {
            let list = self.postings.get(*feature);
            if list.len() > POSTING_SCAN_CAP {
                continue;
            }
            for n in list {
                let n = *n as usize;
                let mark = self.mark[n];
                if mark != self.lookup {
                    if mark == RETIRED {
                        continue;
                    }
                    self.mark[n] = self.lookup;
                    self.acc[n] = 0.0;
                    self.touched.push(n as u32);
                }
                self.acc[n] += weight;
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
    fn ranks_by_shared_weight_and_forgets_retired_stories() {
        let mut idx = StoryIndex::default();
        for f in 1..=4 {
            idx.insert(f, 10);
        }
        idx.insert(2, 11);
        idx.insert(2, 12);
        idx.insert(3, 12);
        assert_eq!(idx.candidates(&[(1, 0.5), (2, 0.5)], 5), vec![10, 11, 12]);
        assert_eq!(idx.candidates(&[(1, 0.5), (2, 0.5)], 1), vec![10]);
        // Retired with one posting against six live ones: struck out, not swept yet.
        idx.retire(11);
        assert_eq!((idx.retired.len(), idx.postings.get(2).len()), (1, 3));
        assert_eq!(idx.candidates(&[(2, 1.0)], 5), vec![10, 12]);
        // A story listed after it never takes its number while its postings remain.
        idx.insert(2, 13);
        assert_eq!(idx.candidates(&[(2, 1.0)], 5), vec![10, 12, 13]);
        // Retiring the largest story leaves more retired postings than live: all are swept.
        idx.retire(10);
        assert_eq!((idx.retired.len(), idx.free.len()), (0, 2));
        assert_eq!((idx.len(), idx.postings.get(2).len()), (2, 2));
        assert_eq!(
            idx.candidates(&[(1, 1.0), (2, 1.0), (3, 1.0)], 5),
            vec![12, 13]
        );
        idx.retire(12);
        idx.retire(13);
        assert_eq!((idx.len(), idx.numbers.len(), idx.free.len()), (0, 0, 4));
    }
}
