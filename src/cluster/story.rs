//! A story as the engine holds it while it is active: a small sketch of its members (whose
//! best matches score a new article), a decaying text centroid (which picks the headline),
//! the features it is indexed under, and its headline.
//!
//! Scoring a story by its closest members rather than by its centroid lets a broad story
//! take an article that resembles one of its threads, while a look-alike event, close to
//! the story's general topic but to none of its members, stays apart.

use super::EngineConfig;
use super::hashing::IdSet;
use super::sketch::{DocVectors, Query, Sketch};
use super::vectors::{Centroid, SparseVec};

/// Members of each story compared when two stories are checked for a merge.
const LINK_MEMBERS: usize = 8;

/// One active story.
#[derive(Debug)]
pub(crate) struct Story {
    /// Public id: `stable_id(["story", founding article id])`.
    pub id: String,
    /// The founder first, then the latest members.
    pub sketch: Sketch,
    /// The founder's vectors.
    founder: DocVectors,
    /// Decayed centroid of the members' text vectors.
    pub text: Centroid,
    /// Features under which the inverted index lists this story.
    pub indexed: IdSet,
    /// Engine-clock seconds of its first and latest article.
    pub created: i64,
    pub updated: i64,
    /// Articles filed into it, duplicates included.
    pub size: u32,
    /// Articles that joined on their own merit (not as duplicates).
    pub originals: u32,
    /// The most representative article so far, and its text vector.
    pub headline: String,
    headline_text: SparseVec,
    /// Slots and ids of the stories it absorbed (so their aliases leave with it).
    pub absorbed: Vec<(u64, String)>,
}

impl Story {
    /// A story founded by the given article at time `now`.
    pub fn new(id: String, founder: &str, v: &DocVectors, now: i64, config: &EngineConfig) -> Self {
        let mut story = Story {
            id,
            sketch: Sketch::new(config.sketch),
            founder: v.clone(),
            text: Centroid::default(),
            indexed: IdSet::default(),
            created: now,
            updated: now,
            size: 0,
            originals: 0,
            headline: founder.to_string(),
            headline_text: v.text.clone(),
            absorbed: Vec::new(),
        };
        story.add(v, now, config.centroid_half_life.as_secs_f64());
        story
    }

    /// How well an article fits this story at time `now`: the mean of its `k` best member
    /// similarities (fewer when the story is smaller), less the time penalty.
    pub fn similarity(&self, q: &Query, config: &EngineConfig, now: i64) -> f32 {
        let window = config.window.as_secs().max(1) as f32;
        let gap = (now - self.updated).max(0) as f32;
        self.sketch.top_k(q, config) - config.time_penalty * gap / window
    }

    /// The founder's vectors while the story has no other member.
    pub fn single(&self) -> Option<&DocVectors> {
        (self.originals == 1 && self.sketch.len() == 1).then_some(&self.founder)
    }

    /// Average link between two stories' latest members (at most [`LINK_MEMBERS`] each).
    pub fn link(&self, other: &Story, config: &EngineConfig) -> f32 {
        self.sketch.link(&other.sketch, LINK_MEMBERS, config)
    }

    /// Adds an article that joined on its own merit.
    pub fn add(&mut self, v: &DocVectors, now: i64, half_life: f64) {
        self.text.add(&v.text, 1.0, now, half_life);
        self.sketch.push(v);
        self.originals += 1;
        self.touch(now);
    }

    /// Adds a near duplicate: it counts, and leans the centroid a little, but joins no sketch
    /// (a copy would crowd out the members that say something of their own).
    pub fn add_copy(&mut self, v: &DocVectors, weight: f32, now: i64, half_life: f64) {
        self.text.add(&v.text, weight, now, half_life);
        self.touch(now);
    }

    /// Counts one more article at time `now` without changing what the story is about.
    pub fn touch(&mut self, now: i64) {
        self.size += 1;
        self.updated = self.updated.max(now);
    }

    /// Makes the article the headline if it now represents the story better than the
    /// current headline does; otherwise the headline stays.
    pub fn consider_headline(&mut self, article: &str, text: &SparseVec) {
        let margin = 0.02;
        if self.text.cosine(text) > self.text.cosine(&self.headline_text) + margin {
            self.headline = article.to_string();
            self.headline_text = text.clone();
        }
    }

    /// Takes in another story's members, centroid and counts (the caller moves its index
    /// entries).
    pub fn absorb(&mut self, other: &Story, other_slot: u64, now: i64, half_life: f64) {
        self.text.absorb(&other.text, now, half_life);
        self.sketch.extend(&other.sketch);
        self.size += other.size;
        self.originals += other.originals;
        self.updated = self.updated.max(other.updated);
        self.created = self.created.min(other.created);
        self.absorbed.push((other_slot, other.id.clone()));
        self.absorbed.extend_from_slice(&other.absorbed);
    }
}
