//! The story engine: the step between parse/normalize and store
//! (fetch -> parse/normalize -> **cluster** -> store -> api).
//!
//! Each new article is checked in three layers, and the first that fires decides how it
//! joins a story: an exact duplicate (same GUID or canonical URL as an article in the
//! window), a near duplicate (syndicated copy under another URL, found with MinHash/LSH or
//! by its opening and verified on the shingles; a copy edited more is filed as the next
//! layer decides, and named a copy if it lands with its original), or an article about the
//! same event: sparse TF-IDF of the title (counted twice) with the lead (for a bare
//! headline, the words of its URL's slug), blended with entity-like phrases (names, acronyms, numbers; what the article's own feed repeats
//! in most of its titles weighing little), less when the two name different years or
//! different counts of the same thing, scored against the recent members of the
//! few active stories that an inverted index over their rarest words proposes (a story
//! whose closest members share only one word with the article, and no name, is none).
//! Otherwise it founds a new story. As a story grows, average link over its kept members
//! checks that no single article has bridged two look-alike events, and splits off the
//! groups that would not have joined on average.
//!
//! The engine is pure: no I/O, no wall clock, no randomness. Its clock is the articles'
//! own times, so the same input in the same order always gives the same stories, and
//! `storyd cluster` / `storyd eval` run exactly what the daemon runs.

mod dates;
mod dedup;
mod engine;
mod expiry;
mod flat;
mod hashing;
mod index;
mod language;
mod sketch;
mod split;
mod story;
mod table;
#[cfg(test)]
mod tests;
mod tokenize;
mod vectors;

pub use engine::Engine;

use crate::model::{MatchKind, Time};
use std::time::Duration;

/// One article as the engine sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    /// The article's stable id.
    pub id: String,
    /// Plain-text title.
    pub title: String,
    /// Plain-text summary (the lead); may be empty.
    pub summary: String,
    /// Canonical URL, if any.
    pub url: Option<String>,
    /// GUID, if any.
    pub guid: Option<String>,
    /// The outlet's name.
    pub source: String,
    /// When it was published; the engine's clock.
    pub published: Time,
}

/// The engine's settings; [`EngineConfig::default`] is the one setting used everywhere.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// How long a story stays open to new articles after its last one.
    pub window: Duration,
    /// Minimum similarity for a short article (headline only) to join an existing story.
    pub short_join_threshold: f32,
    /// Minimum similarity for a long article (headline and lead) to join an existing story.
    pub join_threshold: f32,
    /// Distinct content terms at or below which an article counts as short.
    pub short_terms: usize,
    /// Distinct content terms at or above which an article counts as long (the bar rises
    /// linearly in between).
    pub long_terms: usize,
    /// Minimum average link between two stories, over the bar of the article that brought
    /// them together, for them to be merged.
    pub merge_threshold: f32,
    /// Minimum average link between two stories, as a fraction of their mean average link
    /// within (each over its latest members), for them to be merged (0: no such bar).
    pub merge_cohesion: f32,
    /// Weight of the entity-like phrase signal against the text in a similarity.
    pub entity_weight: f32,
    /// Factor on the similarity of two articles that name years, none in common.
    pub year_factor: f32,
    /// Factor on the similarity of two articles that count the same thing (a number before
    /// the same word) and agree on no count.
    pub quantity_factor: f32,
    /// Members each story keeps to score new articles against (the founder and the latest).
    pub sketch: usize,
    /// Best member similarities averaged to score a story.
    pub top_k: usize,
    /// Similarity lost when the article is a whole window newer than the story's last one.
    pub time_penalty: f32,
    /// Similarity lost per window that a story has run past its first window (a running
    /// topic, fed by daily updates, stops absorbing each new day's articles).
    pub age_penalty: f32,
    /// Half-life of the decay of story centroids (older members count less).
    pub centroid_half_life: Duration,
    /// Half-life of document frequencies.
    pub df_half_life: Duration,
    /// Shingle containment at which a MinHash candidate is confirmed as a near duplicate.
    pub near_duplicate_containment: f32,
    /// Shingle containment at which an article that joins a candidate's story on its own
    /// merit is recorded as a near duplicate of it: a copy edited more than lightly, filed
    /// as any other article, but shown for the copy it is.
    pub edited_copy_containment: f32,
    /// How much a near duplicate weighs in its story's centroid (an original weighs 1).
    pub near_duplicate_weight: f32,
    /// Stories found through the index per article, the best by index overlap.
    pub max_candidates: usize,
    /// Of those, at most this many have their members scored one by one, the best by
    /// centroid cosine (a runner-up only as [`EngineConfig::runner_up_share`] allows).
    pub scored_stories: usize,
    /// A story after the best is scored only if its centroid cosine is at least this share
    /// of the best's (0: always), or if the closer stories turn the article away or
    /// contradict its years or counts: one close member must not carry a story about
    /// something else.
    pub runner_up_share: f32,
    /// A story whose centroid is less similar than this fraction of the join bar counts half.
    pub centroid_floor: f32,
    /// A story splits where average link over its kept members falls below this fraction
    /// of the join bar (0 never splits).
    pub split_factor: f32,
    /// The same for short articles (the factor moves linearly in between, like the bar).
    pub short_split_factor: f32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            window: Duration::from_secs(72 * 3600),
            short_join_threshold: 0.1,
            join_threshold: 0.19,
            short_terms: 8,
            long_terms: 30,
            merge_threshold: 0.9,
            merge_cohesion: 0.5,
            entity_weight: 0.4,
            year_factor: 0.7,
            quantity_factor: 0.6,
            sketch: 48,
            top_k: 3,
            time_penalty: 0.1,
            age_penalty: 0.1,
            centroid_half_life: Duration::from_secs(24 * 3600),
            df_half_life: Duration::from_secs(7 * 24 * 3600),
            near_duplicate_containment: 0.8,
            edited_copy_containment: 0.5,
            near_duplicate_weight: 0.25,
            max_candidates: 4,
            scored_stories: 2,
            runner_up_share: 0.5,
            centroid_floor: 0.9,
            split_factor: 1.05,
            short_split_factor: 0.3,
        }
    }
}

impl EngineConfig {
    /// The join bar for an article with `terms` distinct content terms: low for a bare
    /// headline, whose few words match little even when on topic, higher for a full lead.
    pub fn join_bar(&self, terms: usize) -> f32 {
        let t = self.length(terms);
        self.short_join_threshold + t * (self.join_threshold - self.short_join_threshold)
    }

    /// The bar under which average link splits a story whose median member has `terms`
    /// distinct content terms.
    pub fn split_bar(&self, terms: usize) -> f32 {
        let t = self.length(terms);
        let factor = self.short_split_factor + t * (self.split_factor - self.short_split_factor);
        factor * self.join_bar(terms)
    }

    /// Where an article with `terms` distinct content terms sits between short (0) and
    /// long (1).
    fn length(&self, terms: usize) -> f32 {
        let span = self.long_terms.saturating_sub(self.short_terms).max(1) as f32;
        (terms.saturating_sub(self.short_terms) as f32 / span).min(1.0)
    }
}

/// What the engine decided for one article.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// The story it joined: `model::stable_id(&["story", founding_article_id])`.
    pub story_id: String,
    /// How it joined.
    pub match_kind: MatchKind,
    /// How strongly (1.0 for new stories and exact duplicates).
    pub score: f32,
    /// The original article's id for exact and near duplicates.
    pub duplicate_of: Option<String>,
    /// Id of the story's most representative article after this step.
    pub headline_article: String,
    /// Ids of stories absorbed by this step (usually empty), into
    /// [`Assignment::merged_into`]; merges come before the step's splits.
    pub merged: Vec<String>,
    /// Stories split by this step, applied before the article is filed (usually empty).
    pub splits: Vec<Split>,
}

impl Assignment {
    /// The story that absorbed `merged`: the one the step's splits leave, which is not
    /// `story_id` when the article left with a split (a merge can bring in the members
    /// that the split check then finds apart).
    pub fn merged_into(&self) -> &str {
        self.splits.first().map_or(&self.story_id, |s| &s.from)
    }
}

/// What the store says of an article put back into the window (see
/// [`Engine::restore`]) and its story's headline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heading {
    /// The article heads its story.
    Headline,
    /// Another article of the window heads it.
    Member,
    /// No article of the window heads it (the headline left the window): the engine picks
    /// one among those put back, as when they were filed.
    Unknown,
}

/// A stored duplicate as the store recorded it (see [`Engine::restore`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duplicate<'a> {
    /// Its original's article id.
    pub of: &'a str,
    /// How it matched.
    pub kind: MatchKind,
    /// How strongly.
    pub score: f32,
}

/// Part of a story that the engine moved into a story of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// The story the articles leave.
    pub from: String,
    /// The story they form: `model::stable_id(&["story", first moved article id])`.
    pub to: String,
    /// The ids of the stored articles that move (the article being filed is not listed).
    pub articles: Vec<String>,
    /// Id of the new story's most representative article.
    pub headline_article: String,
    /// Id of the most representative article of what remains of `from`.
    pub from_headline_article: String,
}
