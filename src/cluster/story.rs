//! A story as the engine holds it while it is active: a small sketch of its members (whose
//! best matches score a new article), a decaying text centroid (which picks the headline),
//! the features it is indexed under, and its headline.
//!
//! Scoring a story by its closest members rather than by its centroid lets a broad story
//! take an article that resembles one of its threads, while a look-alike event, close to
//! the story's general topic but to none of its members, stays apart.

use super::EngineConfig;
use super::hashing::IdSet;
use super::vectors::{Centroid, Probe, SparseVec};

/// Members of each story compared when two stories are checked for a merge.
const LINK_MEMBERS: usize = 8;

/// The signal vectors of one article.
#[derive(Debug, Clone, Default)]
pub(crate) struct DocVectors {
    /// TF-IDF of the title (counted twice) with the lead.
    pub text: SparseVec,
    /// TF-IDF of the entity-like phrases.
    pub entities: SparseVec,
    /// How much the text says: the number of distinct content terms.
    pub terms: usize,
    /// Years the text names, sorted and distinct.
    pub years: Vec<u16>,
}

impl DocVectors {
    /// Similarity of two articles: text and entity cosines blended, or the text alone when
    /// either side has no entities (an empty entity vector says nothing either way); scaled
    /// by `year_factor` when both name years and none in common (an event of one year is
    /// not one of another).
    pub fn similarity(&self, other: &DocVectors, config: &EngineConfig) -> f32 {
        let text = self.text.dot(&other.text);
        let entities = || self.entities.dot(&other.entities);
        self.blend(other, text, entities, config)
    }

    /// The similarity from the text cosine and (if both have entities) the entity cosine.
    fn blend(
        &self,
        other: &DocVectors,
        text: f32,
        entities: impl FnOnce() -> f32,
        config: &EngineConfig,
    ) -> f32 {
        let sim = if self.entities.is_empty() || other.entities.is_empty() {
            text
        } else {
            let w = config.entity_weight;
            (1.0 - w) * text + w * entities()
        };
        if self.years_differ(other) {
            sim * config.year_factor
        } else {
            sim
        }
    }

    /// Whether both name years and share none.
    fn years_differ(&self, other: &DocVectors) -> bool {
        !self.years.is_empty()
            && !other.years.is_empty()
            && !self
                .years
                .iter()
                .any(|y| other.years.binary_search(y).is_ok())
    }
}

/// One member of a story's sketch.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    /// Its vectors.
    pub v: DocVectors,
}

/// One active story.
#[derive(Debug)]
pub(crate) struct Story {
    /// Public id: `stable_id(["story", founding article id])`.
    pub id: String,
    /// The founder first, then the latest members, at most `sketch` of them.
    pub members: Vec<Member>,
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
    /// Members kept to score new articles against.
    sketch: usize,
}

impl Story {
    /// A story founded by the given article at time `now`.
    pub fn new(id: String, founder: &str, v: &DocVectors, now: i64, config: &EngineConfig) -> Self {
        let mut story = Story {
            id,
            members: Vec::with_capacity(2),
            text: Centroid::default(),
            indexed: IdSet::default(),
            created: now,
            updated: now,
            size: 0,
            originals: 0,
            headline: founder.to_string(),
            headline_text: v.text.clone(),
            absorbed: Vec::new(),
            sketch: config.sketch.max(2),
        };
        story.add(v, now, config.centroid_half_life.as_secs_f64());
        story
    }

    /// How well an article fits this story at time `now`: the mean of its `k` best member
    /// similarities (fewer when the story is smaller), less the time penalty.
    pub fn similarity(&self, v: &DocVectors, config: &EngineConfig, now: i64) -> f32 {
        let mut best = [0.0f32; 8];
        let k = config.top_k.clamp(1, best.len());
        let (text, entities) = (Probe::new(&v.text), Probe::new(&v.entities));
        for m in &self.members {
            let t = text.dot(&m.v.text);
            let s = v.blend(&m.v, t, || entities.dot(&m.v.entities), config);
            if s > best[k - 1] {
                let mut i = k - 1;
                while i > 0 && best[i - 1] < s {
                    best[i] = best[i - 1];
                    i -= 1;
                }
                best[i] = s;
            }
        }
        let n = k.min(self.members.len()).max(1);
        let score = best[..n].iter().sum::<f32>() / n as f32;
        let window = config.window.as_secs().max(1) as f32;
        let gap = (now - self.updated).max(0) as f32;
        score - config.time_penalty * gap / window
    }

    /// The founder's vectors while the story has no other member.
    pub fn single(&self) -> Option<&DocVectors> {
        match self.members.as_slice() {
            [only] if self.originals == 1 => Some(&only.v),
            _ => None,
        }
    }

    /// Average link between two stories' latest members (at most [`LINK_MEMBERS`] each).
    pub fn link(&self, other: &Story, config: &EngineConfig) -> f32 {
        let latest = |s: &Story| s.members.len().saturating_sub(LINK_MEMBERS);
        let (mine, theirs) = (
            &self.members[latest(self)..],
            &other.members[latest(other)..],
        );
        let mut sum = 0.0;
        for a in mine {
            for b in theirs {
                sum += a.v.similarity(&b.v, config);
            }
        }
        let pairs = mine.len() * theirs.len();
        if pairs == 0 { 0.0 } else { sum / pairs as f32 }
    }

    /// Adds an article that joined on its own merit.
    pub fn add(&mut self, v: &DocVectors, now: i64, half_life: f64) {
        self.text.add(&v.text, 1.0, now, half_life);
        self.push_member(Member { v: v.clone() });
        self.originals += 1;
        self.touch(now);
    }

    /// Adds a near duplicate: it counts, and leans the centroid a little, but joins no sketch
    /// (a copy would crowd out the members that say something of their own).
    pub fn add_copy(&mut self, v: &DocVectors, weight: f32, now: i64, half_life: f64) {
        self.text.add(&v.text, weight, now, half_life);
        self.touch(now);
    }

    /// Keeps the founder and the latest members.
    fn push_member(&mut self, m: Member) {
        if self.members.len() >= self.sketch {
            self.members.remove(1);
        }
        self.members.push(m);
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
        for m in &other.members {
            self.push_member(m.clone());
        }
        self.size += other.size;
        self.originals += other.originals;
        self.updated = self.updated.max(other.updated);
        self.created = self.created.min(other.created);
        self.absorbed.push((other_slot, other.id.clone()));
        self.absorbed.extend_from_slice(&other.absorbed);
    }
}
