//! The word index's read side: which live stories hold every word of a `q` search, and those
//! stories in a listing's order, paged with the listing's own cursor.
//!
//! A query word matches every title word it begins (`rain` finds "rains", not "Ukraine"): the
//! entries of all such words are one contiguous range of the ordered key space. The scans of
//! the query's words advance side by side, so the rarest word is found after reading about as
//! many entries as it has; its stories are the candidates. Another word joins the intersection
//! if its own entries can be read for less than it would cost to check its stories' titles,
//! and is otherwise left for the caller to check against the titles of the few candidates it
//! shows. When every word is in more than [`MAX_WORD_ENTRIES`] titles the index is no help
//! (see there) and the caller scans the listing instead.

use std::collections::HashSet;

use crate::model::Story;

use super::{KvPair, Store, StoreError, StoryOrder, keys};

/// Most entries read for one query word before it counts as too common for the index.
///
/// Reading an entry costs about 0.8 us, so this bound costs about 6 ms. A word in more titles
/// (3% of the 250,000-article benchmark store) is in so many stories that a scan of the
/// listing meets a page of them within a few hundred stories, most answered by their headline
/// (about 5 ms in the benchmark), while reading all of its entries would cost more, and grow
/// with the store. Measured on the benchmark's 200 query words (each alone, in process): with
/// 20,000 the 90th percentile was 16 ms, with 8,000 10-11 ms, with 4,000 and 2,000 no better
/// (words just above the bound then go to a scan that is slower for them).
pub const MAX_WORD_ENTRIES: usize = 8_000;

/// How far a word search reads the index.
#[derive(Clone, Copy, Debug)]
pub(super) struct Bounds {
    /// Most entries read for one word (see [`MAX_WORD_ENTRIES`]).
    pub max_entries: usize,
    /// Entries the side-by-side scans read from each word per round.
    pub step: usize,
    /// Entries worth reading to spare one story's title check (reading and tokenizing its
    /// articles): a word with fewer entries than this times the candidates is intersected.
    pub entries_per_check: usize,
}

/// The bounds of every search the API makes.
const BOUNDS: Bounds = Bounds {
    max_entries: MAX_WORD_ENTRIES,
    step: 256,
    entries_per_check: 64,
};

/// With at most this many candidates, each one's story is read and the page is sorted; with
/// more, the listing's order index is walked (keys only) and only candidates are read.
///
/// Reading c stories costs c times a story decode (~15 us); the walk reads about
/// (page + 1) x stories / c keys (~0.5 us each) before the page is full, all of them when
/// fewer than a page match. The two meet near c = 200 for the benchmark's 48,000 stories.
const READ_ALL_CANDIDATES: usize = 256;

/// Stories in a listing's order, each with its cursor.
pub type StoryIter<'s> = Box<dyn Iterator<Item = Result<(Vec<u8>, Story), StoreError>> + 's>;

/// What the word index answers for a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordSearch {
    /// Every word is in more than [`MAX_WORD_ENTRIES`] titles: scan the listing instead.
    TooCommon,
    /// The stories that can match, and the words still to check against their titles.
    Stories {
        /// Ids of the stories whose titles hold every word not in `unchecked`.
        ids: HashSet<String>,
        /// Words too common to intersect: each must be checked against a story's titles.
        unchecked: Vec<String>,
    },
}

/// One query word's scan of the index: the stories of the entries read so far.
struct WordScan<'s> {
    word: &'s str,
    entries: Box<dyn Iterator<Item = Result<KvPair, StoreError>> + 's>,
    stories: HashSet<String>,
    read: usize,
    done: bool,
}

impl WordScan<'_> {
    /// Reads up to `n` more entries; `done` once the word has none left.
    fn advance(&mut self, n: usize) -> Result<(), StoreError> {
        for _ in 0..n {
            let Some(item) = self.entries.next() else {
                self.done = true;
                return Ok(());
            };
            let (_, story) = item?;
            self.read += 1;
            if let Ok(id) = std::str::from_utf8(&story)
                && !self.stories.contains(id)
            {
                self.stories.insert(id.to_string());
            }
        }
        Ok(())
    }
}

impl Store {
    /// The stories the word index finds for `words` (lowercased title words, see `words.rs`):
    /// those where each word begins a word of some article's title.
    pub fn word_search(&self, words: &[String]) -> Result<WordSearch, StoreError> {
        self.word_search_within(words, BOUNDS)
    }

    /// [`Store::word_search`] within `bounds`.
    pub(super) fn word_search_within(
        &self,
        words: &[String],
        bounds: Bounds,
    ) -> Result<WordSearch, StoreError> {
        let mut scans: Vec<WordScan<'_>> = words
            .iter()
            .map(|word| WordScan {
                word,
                entries: Box::new(self.scan(&keys::word_prefix(word), None)),
                stories: HashSet::new(),
                read: 0,
                done: false,
            })
            .collect();
        if scans.is_empty() {
            return Ok(WordSearch::TooCommon);
        }
        // Side by side until one word is read to its end: that is the rarest (to one step).
        while !scans.iter().any(|s| s.done) {
            if scans.iter().all(|s| s.read >= bounds.max_entries) {
                return Ok(WordSearch::TooCommon);
            }
            for scan in scans.iter_mut().filter(|s| s.read < bounds.max_entries) {
                scan.advance(bounds.step)?;
            }
        }
        let candidates = scans
            .iter()
            .filter(|s| s.done)
            .map(|s| s.stories.len())
            .min()
            .unwrap_or(0);
        let budget = (candidates * bounds.entries_per_check).min(bounds.max_entries);
        for scan in scans.iter_mut().filter(|s| !s.done && s.read < budget) {
            scan.advance(budget - scan.read)?;
            if !scan.done {
                // Probe one more: a word with exactly `budget` entries is read to its end.
                scan.advance(1)?;
            }
        }
        let (mut done, open): (Vec<_>, Vec<_>) = scans.into_iter().partition(|s| s.done);
        done.sort_by_key(|s| s.stories.len());
        let mut done = done.into_iter();
        let mut ids = done.next().map(|s| s.stories).unwrap_or_default();
        for other in done {
            ids.retain(|id| other.stories.contains(id));
        }
        let unchecked = open.into_iter().map(|s| s.word.to_string()).collect();
        Ok(WordSearch::Stories { ids, unchecked })
    }

    /// The live stories among `ids` in `order`, after the cursor `after`, each with its cursor:
    /// the same items, keys and order as [`Store::stories`] filtered to those ids.
    pub fn stories_among<'s>(
        &'s self,
        ids: &'s HashSet<String>,
        order: StoryOrder,
        after: Option<&[u8]>,
    ) -> StoryIter<'s> {
        if let Some(error) = cursor_error(order, after) {
            return Box::new(std::iter::once(Err(error)));
        }
        if ids.len() > READ_ALL_CANDIDATES {
            let walk = self
                .scan(&[order.prefix()], after)
                .filter(|item| match item {
                    Ok((key, _)) => keys::id_of_index(key).is_some_and(|id| ids.contains(id)),
                    Err(_) => true,
                })
                .filter_map(|item| self.story_of_index(item).transpose());
            return Box::new(walk);
        }
        match self.read_candidates(ids, order, after) {
            Ok(page) => Box::new(page.into_iter().map(Ok)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    /// Reads each candidate's live story (following merges), keeps those after `after`, and
    /// sorts them by their key in `order`.
    fn read_candidates(
        &self,
        ids: &HashSet<String>,
        order: StoryOrder,
        after: Option<&[u8]>,
    ) -> Result<Vec<(Vec<u8>, Story)>, StoreError> {
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        for id in ids {
            let Some(story) = self.story(id)? else {
                continue;
            };
            let key = order.key(&story);
            if after.is_none_or(|a| key.as_slice() > a) && seen.insert(story.id.clone()) {
                found.push((key, story));
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }
}

/// The error for a cursor that is not a key of `order`'s index.
pub(super) fn cursor_error(order: StoryOrder, after: Option<&[u8]>) -> Option<StoreError> {
    let valid =
        after.is_none_or(|c| c.first() == Some(&order.prefix()) && keys::id_of_index(c).is_some());
    (!valid).then_some(StoreError::InvalidCursor {
        order: order.name(),
    })
}
