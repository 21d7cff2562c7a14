//! A story as the engine holds it while it is active: three decaying centroids (title,
//! title with lead, entities), the features it is indexed under, and its headline.

use super::EngineConfig;
use super::hashing::IdSet;
use super::vectors::{Centroid, SparseVec};

/// The three signal vectors of one article.
#[derive(Debug, Clone, Default)]
pub(crate) struct DocVectors {
    /// TF-IDF of the title's terms.
    pub title: SparseVec,
    /// TF-IDF of the title (counted twice) with the lead.
    pub text: SparseVec,
    /// TF-IDF of the entity-like phrases.
    pub entities: SparseVec,
}

/// One active story.
#[derive(Debug)]
pub(crate) struct Story {
    /// Public id: `stable_id(["story", founding article id])`.
    pub id: String,
    pub title: Centroid,
    pub text: Centroid,
    pub entities: Centroid,
    /// Features under which the inverted index lists this story.
    pub indexed: IdSet,
    /// Engine-clock seconds of its first and latest article.
    pub created: i64,
    pub updated: i64,
    /// Articles filed into it, duplicates included.
    pub size: u32,
    /// The most representative article so far, and its text vector.
    pub headline: String,
    headline_text: SparseVec,
    /// Slots and ids of the stories it absorbed (so their aliases leave with it).
    pub absorbed: Vec<(u64, String)>,
}

impl Story {
    /// A story founded by the given article at time `now`.
    pub fn new(id: String, founder: &str, v: &DocVectors, now: i64, half_life: f64) -> Self {
        let mut story = Story {
            id,
            title: Centroid::default(),
            text: Centroid::default(),
            entities: Centroid::default(),
            indexed: IdSet::default(),
            created: now,
            updated: now,
            size: 0,
            headline: founder.to_string(),
            headline_text: v.text.clone(),
            absorbed: Vec::new(),
        };
        story.add(v, 1.0, now, half_life);
        story
    }

    /// How well an article fits this story at time `now`, time penalty included.
    pub fn similarity(&self, v: &DocVectors, config: &EngineConfig, now: i64) -> f32 {
        let (mut score, mut weight) = (0.0, 0.0);
        for (w, vec, c) in [
            (config.title_weight, &v.title, &self.title),
            (config.text_weight, &v.text, &self.text),
            (config.entity_weight, &v.entities, &self.entities),
        ] {
            // A signal the article lacks says nothing either way; one the story lacks does.
            if !vec.is_empty() {
                score += w * c.cosine(vec);
                weight += w;
            }
        }
        if weight <= 0.0 {
            return 0.0;
        }
        let window = config.window.as_secs().max(1) as f32;
        let gap = (now - self.updated).max(0) as f32;
        score / weight - config.time_penalty * gap / window
    }

    /// How alike two stories are: the same blend as for articles, between centroids.
    pub fn story_similarity(&self, other: &Story, config: &EngineConfig) -> f32 {
        let (mut score, mut weight) = (0.0, 0.0);
        for (w, a, b) in [
            (config.title_weight, &self.title, &other.title),
            (config.text_weight, &self.text, &other.text),
            (config.entity_weight, &self.entities, &other.entities),
        ] {
            if a.len() > 0 && b.len() > 0 {
                score += w * a.cosine_with(b);
                weight += w;
            }
        }
        if weight > 0.0 { score / weight } else { 0.0 }
    }

    /// Adds an article's vectors with the given weight (near duplicates weigh less).
    pub fn add(&mut self, v: &DocVectors, weight: f32, now: i64, half_life: f64) {
        self.title.add(&v.title, weight, now, half_life);
        self.text.add(&v.text, weight, now, half_life);
        self.entities.add(&v.entities, weight, now, half_life);
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

    /// Takes in another story's centroids and counts (the caller moves its index entries).
    pub fn absorb(&mut self, other: &Story, other_slot: u64, now: i64, half_life: f64) {
        self.title.absorb(&other.title, now, half_life);
        self.text.absorb(&other.text, now, half_life);
        self.entities.absorb(&other.entities, now, half_life);
        self.size += other.size;
        self.updated = self.updated.max(other.updated);
        self.created = self.created.min(other.created);
        self.absorbed.push((other_slot, other.id.clone()));
        self.absorbed.extend_from_slice(&other.absorbed);
    }
}
