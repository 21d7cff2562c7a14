//! The online engine: one article in, one decision out, in the order articles arrive.
//!
//! Layers are tried in order (exact duplicate, near duplicate, same event), then a new
//! story is founded. Stories that a new article shows to have converged are merged on the
//! spot, the older one surviving; a story that has grown enough since its last check is
//! checked for a split (see [`super::split`]). Everything older than the window (on the
//! articles' own clock) leaves every index (the near-duplicate table's bands at its next
//! sweep), so memory follows the window, not the history.

use super::dedup::{self, Bands, ExactIndex, ExactKeys, NearIndex};
use super::expiry::ExpiryQueue;
use super::hashing::{self, Feature, IdMap, IdSet};
use super::index::StoryIndex;
use super::language;
use super::sketch::{DocVectors, Probes, Query};
use super::split;
use super::story::Story;
use super::tokenize::{Features, Tokenizer};
use super::vectors::{Centroid, DocFreq, SparseVec, feature_counts, heaviest_first, tfidf};
use super::{Assignment, Doc, Duplicate, EngineConfig, Heading, Split};
use crate::model::{MatchKind, stable_id};
use std::cmp::Reverse;
use std::collections::HashMap;

/// Text features of an article looked up in the index.
const QUERY_TERMS: usize = 10;
/// Text features of each member under which its story is indexed.
const INDEX_TERMS: usize = 12;
/// Entity features used for lookup and indexing.
const MAX_ENTITIES: usize = 12;
/// The document-frequency scope of names (past the languages' scopes, which are their
/// slots).
const NAMES_SCOPE: usize = language::SLOTS;
/// Runner-up stories checked for a merge after an article joins.
const MERGE_CHECKS: usize = 2;
/// Empty articles added to a source's count when taking a word's share of it.
const SOURCE_PRIOR: f64 = 10.0;
/// Articles a source has (decayed) before its words' shares count.
const SOURCE_MIN_ARTICLES: f64 = 20.0;

/// What the engine remembers of an article inside the window (the map holds a window's
/// worth of them inline, so the fields are the slimmest owned forms: 64 bytes).
struct ArticleRec {
    id: Box<str>,
    story: u64,
    exact: ExactKeys,
    shingles: Box<[u32]>,
    /// Whether it was filed under MinHash bands (which only the near-duplicate table
    /// keeps: no record needs them once filed); set when it is filed.
    banded: bool,
    /// Its source, as [`outlet`] gives it.
    source: u32,
}
const _: () = assert!(std::mem::size_of::<ArticleRec>() <= 64);

/// The source key (`key`, [`hashing::source`]) of an article that names its source: a
/// source without a name is no one source.
fn named(doc: &Doc, key: u64) -> Option<u64> {
    (!doc.source.is_empty()).then_some(key)
}

/// The low bits of a named source's key (0 for none): enough to tell whether two articles
/// came from one outlet.
fn outlet(named: Option<u64>) -> u32 {
    named.map_or(0, |key| (key as u32).max(1))
}

/// Whether two articles (their [`outlet`]s) came from one outlet that names itself.
fn same_outlet(a: u32, b: u32) -> bool {
    a != 0 && a == b
}

/// An article on its way into the window: its record, and the bands it is filed under.
struct Filing<'a> {
    rec: ArticleRec,
    bands: Option<&'a Bands>,
}

/// The story engine; see the module docs of [`crate::cluster`].
pub struct Engine {
    config: EngineConfig,
    window: i64,
    half_life: f64,
    tokenizer: Tokenizer,
    df: DocFreq,
    clock: Option<i64>,
    stories: IdMap<Story>,
    /// Public story id to slot (merged ids keep pointing at their old slot).
    ids: HashMap<String, u64>,
    /// Merged slot to the slot that absorbed it.
    aliases: IdMap<u64>,
    index: StoryIndex,
    articles: IdMap<ArticleRec>,
    exact: ExactIndex,
    near: NearIndex,
    /// Window articles by their time, and stories by the time of each update (an update
    /// leaves a stale entry behind, skipped when it comes up).
    article_expiry: ExpiryQueue,
    story_expiry: ExpiryQueue,
    next_slot: u64,
    /// Document frequencies of title words and names within each source (one scope per
    /// source), for [`Engine::damp_boilerplate`].
    source_df: DocFreq,
    /// Each source's scope in `source_df`, by its key ([`hashing::source`]).
    source_scopes: IdMap<usize>,
    /// The probe tables of the last article scored, reused for the next.
    probes: Probes,
}

impl Engine {
    /// An empty engine with the given settings.
    pub fn new(config: EngineConfig) -> Self {
        Engine {
            window: config.window.as_secs() as i64,
            half_life: config.centroid_half_life.as_secs_f64(),
            df: DocFreq::new(config.df_half_life.as_secs_f64()),
            // What a source repeats is what it was seen to use again before it faded: a
            // pair of source and word seen once is under one article as soon as it decays,
            // and goes at the next prune.
            source_df: DocFreq::forgetting(config.df_half_life.as_secs_f64(), 1.0, 10_000),
            config,
            tokenizer: Tokenizer::default(),
            clock: None,
            stories: IdMap::default(),
            ids: HashMap::new(),
            aliases: IdMap::default(),
            index: StoryIndex::default(),
            articles: IdMap::default(),
            exact: ExactIndex::default(),
            near: NearIndex::default(),
            article_expiry: ExpiryQueue::default(),
            story_expiry: ExpiryQueue::default(),
            next_slot: 0,
            source_scopes: IdMap::default(),
            probes: Probes::default(),
        }
    }

    /// Files a new article into a story and says how (articles arrive roughly in time order).
    pub fn add(&mut self, doc: &Doc) -> Assignment {
        let now = self.advance(doc);
        let keys = ExactKeys::new(doc.guid.as_deref(), doc.url.as_deref());
        if let Some(done) = self
            .exact
            .find(&keys)
            .and_then(|a| self.join_exact(doc, a, keys, now))
        {
            return done;
        }
        let (vectors, rec, bands) = self.read(doc, keys, now);
        let filing = Filing {
            rec,
            bands: bands.as_ref(),
        };
        let original = self.near_original(&filing);
        match original {
            Some((key, c)) if c >= self.config.near_duplicate_containment => {
                self.join_near(filing, &vectors, key, c, now)
            }
            // An edited copy is filed on its own merit, and shown as the copy it is if it
            // lands in its original's story.
            _ => {
                let mut out = self.join_similar_or_new(filing, &vectors, now);
                if let Some((key, c)) = original {
                    self.mark_edited_copy(&mut out, key, c);
                }
                out
            }
        }
    }

    /// Puts an already-stored article back into the window under its known story (daemon
    /// restart), deciding nothing: the story's headline is the one stored, when it is in the
    /// window (`heading`), and a duplicate that was filed with an article put back before it
    /// (`duplicate`, as the store recorded it) comes back as that duplicate.
    pub fn restore(
        &mut self,
        doc: &Doc,
        story_id: &str,
        heading: Heading,
        duplicate: Option<Duplicate>,
    ) {
        let now = self.advance(doc);
        let exact = ExactKeys::new(doc.guid.as_deref(), doc.url.as_deref());
        let (vectors, mut rec, bands) = self.read(doc, exact, now);
        let known = self.ids.get(story_id).and_then(|s| self.resolve(*s));
        let key = self.alloc();
        let slot = match known {
            Some(slot) => {
                let articles = &self.articles;
                if let Some(story) = self.stories.get_mut(&slot) {
                    // A duplicate that `join_exact` or `join_near` filed (an edited copy under
                    // the containment joined on its own merit), of an original put back.
                    let containment = self.config.near_duplicate_containment;
                    let filed = duplicate.filter(|d| match d.kind {
                        MatchKind::Exact => true,
                        MatchKind::NearDuplicate => d.score >= containment,
                        _ => false,
                    });
                    let original = filed.and_then(|d| {
                        let mut keys = story.articles();
                        let key = keys.find(|k| articles.get(k).is_some_and(|a| &*a.id == d.of));
                        key.map(|k| (k, d.kind))
                    });
                    let weight = self.config.near_duplicate_weight;
                    match original {
                        Some((original, MatchKind::Exact)) => {
                            story.add_exact((key, original), now);
                        }
                        Some((original, _)) => {
                            let copy = (key, original);
                            story.add_copy(&vectors, copy, weight, now, self.half_life);
                        }
                        None => story.add(&vectors, key, now, self.half_life),
                    }
                    // With no headline in the window, the engine offers it as it did live:
                    // never to an exact duplicate, to a copy as a copy may take it.
                    match (heading, original) {
                        (Heading::Headline, _) => story.restore_headline(&doc.id, &vectors),
                        (Heading::Member, _) | (Heading::Unknown, Some((_, MatchKind::Exact))) => {}
                        (Heading::Unknown, Some(_)) => {
                            story.consider_copy_headline(&doc.id, &vectors, weight, self.half_life);
                        }
                        (Heading::Unknown, None) => {
                            story.consider_headline(&doc.id, &vectors, 1.0, self.half_life);
                        }
                    }
                    // Restored stories were split as they grew; check again from here on.
                    story.next_split = story.originals + 1;
                }
                slot
            }
            None => self.found(story_id.to_string(), (&doc.id, key), &vectors, now),
        };
        self.index_features(slot, &Telling::of(&vectors));
        self.push_story_expiry(slot);
        rec.story = slot;
        let bands = bands.as_ref();
        self.register(key, Filing { rec, bands }, now);
    }

    /// Number of stories still open to new articles.
    pub fn active_stories(&self) -> usize {
        self.stories.len()
    }

    /// The id of the active story a (possibly merged) story id now answers with.
    pub fn current_story_id(&self, story_id: &str) -> Option<&str> {
        let slot = self.resolve(*self.ids.get(story_id)?)?;
        self.stories.get(&slot).map(|s| s.id.as_str())
    }

    /// Moves the clock to the article's time (never back) and expires what fell out of the
    /// window; returns the article's own time in seconds.
    fn advance(&mut self, doc: &Doc) -> i64 {
        let t = doc.published.timestamp();
        let clock = self.clock.map_or(t, |c| c.max(t));
        self.clock = Some(clock);
        self.expire(clock - self.window);
        t
    }

    /// The live story a slot stands for, following merges.
    fn resolve(&self, mut slot: u64) -> Option<u64> {
        for _ in 0..64 {
            if self.stories.contains_key(&slot) {
                return Some(slot);
            }
            slot = *self.aliases.get(&slot)?;
        }
        None
    }

    /// Reads an article (whose exact keys are `exact`): its signal vectors (counting it in
    /// document frequencies), its record for the window (in no story yet), and the keys
    /// (MinHash bands, opening) that find its near duplicates.
    fn read(
        &mut self,
        doc: &Doc,
        exact: ExactKeys,
        now: i64,
    ) -> (DocVectors, ArticleRec, Option<Bands>) {
        let source = hashing::source(&doc.source);
        let features = self.tokenizer.features_from(
            source,
            Some(doc.published.date_naive()),
            &doc.title,
            &doc.summary,
            doc.url.as_deref(),
        );
        // A source without a name is no one source: nothing it repeats is its own.
        let named = named(doc, source);
        let vectors = self.vectors(&features, named, now);
        let shingles = dedup::shingles(&features.words);
        let bands = dedup::bands(&features.words, &shingles);
        let rec = ArticleRec {
            id: doc.id.as_str().into(),
            story: 0,
            exact,
            shingles: shingles.into_boxed_slice(),
            banded: false,
            source: outlet(named),
        };
        (vectors, rec, bands)
    }

    /// Counts the article in document frequencies and builds its signal vectors.
    fn vectors(&mut self, f: &Features, source: Option<u64>, now: i64) -> DocVectors {
        // The title says what the article is about more densely than the lead: count it twice.
        let text = feature_counts(
            (f.title.iter().map(|t| (*t, 2.0)))
                .chain(f.lead.iter().map(|t| (*t, 1.0)))
                .chain(f.slug.iter().map(|t| (*t, 1.0)))
                .collect(),
        );
        let entities = feature_counts(f.entities.iter().map(|e| (*e, 1.0)).collect());
        let terms = if f.slug.is_empty() {
            text.len()
        } else {
            let mut own: Vec<Feature> = f.title.iter().chain(&f.lead).copied().collect();
            own.sort_unstable();
            own.dedup();
            own.len()
        };
        // Words are counted among the documents of their language, names among all.
        let words: Vec<Feature> = text.iter().map(|(k, _)| *k).collect();
        let word_idf = self.df.observe(&words, f.lang, now);
        let names: Vec<Feature> = entities.iter().map(|(k, _)| *k).collect();
        let name_idf = self.df.observe(&names, NAMES_SCOPE, now);
        let mut text_v = tfidf(text, &word_idf);
        let mut entities_v = tfidf(entities, &name_idf);
        self.damp_boilerplate(f, source, now, &mut text_v, &mut entities_v);
        DocVectors {
            text: text_v,
            entities: entities_v,
            name_parts: f.name_parts.clone(),
            terms,
            titled: f.titled,
            years: f.years.clone(),
            quantities: f.quantities.clone(),
        }
    }

    /// Scales down, in this source's article, the title words and names that the source
    /// puts in a large share of its recent articles (a show's name, a series label, the
    /// topic a whole feed is about): by one less their share, counted with decay among the
    /// source's articles once it has [`SOURCE_MIN_ARTICLES`]. They say little about which
    /// event one of its articles reports, and glued the source's unrelated items to each
    /// other and to other sources'. Weights are not renormalized, so similarities only fall.
    fn damp_boilerplate(
        &mut self,
        f: &Features,
        source: Option<u64>,
        now: i64,
        text: &mut SparseVec,
        entities: &mut SparseVec,
    ) {
        let Some(source) = source else {
            return;
        };
        let next = self.source_scopes.len();
        let scope = *self.source_scopes.entry(source).or_insert(next);
        let mut own: Vec<Feature> = f.title.iter().chain(&f.entities).copied().collect();
        own.sort_unstable();
        own.dedup();
        let shares = self
            .source_df
            .shares(&own, scope, now, SOURCE_PRIOR, SOURCE_MIN_ARTICLES);
        for (k, w) in text.0.iter_mut().chain(entities.0.iter_mut()) {
            if let Ok(i) = own.binary_search(k) {
                *w *= (1.0 - shares[i]).max(0.0);
            }
        }
    }

    /// Another feed carried the same GUID or URL: one article, filed with its original.
    fn join_exact(
        &mut self,
        doc: &Doc,
        original: u64,
        keys: ExactKeys,
        now: i64,
    ) -> Option<Assignment> {
        let rec = self.articles.get(&original)?;
        let original_id = rec.id.to_string();
        let slot = self.resolve(rec.story)?;
        let key = self.alloc();
        let story = self.stories.get_mut(&slot)?;
        story.add_exact((key, original), now);
        let out = assignment(story, MatchKind::Exact, 1.0, Some(original_id), Vec::new());
        self.push_story_expiry(slot);
        let rec = ArticleRec {
            id: doc.id.as_str().into(),
            story: slot,
            exact: keys,
            shingles: Box::default(),
            banded: false,
            source: outlet(named(doc, hashing::source(&doc.source))),
        };
        self.register(key, Filing { rec, bands: None }, now);
        Some(out)
    }

    /// The article whose text most contains (or is contained in) this one's, with the
    /// containment: at [`EngineConfig::near_duplicate_containment`] or more, or, from
    /// another outlet, at [`EngineConfig::edited_copy_containment`] with
    /// [`dedup::EDITED_MIN_SHARED`] shingles in common (what one outlet's articles share
    /// beyond a light edit is its own boilerplate, a channel's footer under every video);
    /// the first found of equals.
    fn near_original(&self, article: &Filing) -> Option<(u64, f32)> {
        let bands = article.bands?;
        let mut best: Option<(u64, f32)> = None;
        for key in self.near.candidates(bands, self.next_slot) {
            let Some(other) = self.articles.get(&key) else {
                continue;
            };
            let (shared, c) = dedup::overlap(&article.rec.shingles, &other.shingles);
            let edited = c >= self.config.edited_copy_containment
                && shared >= dedup::EDITED_MIN_SHARED
                && !same_outlet(article.rec.source, other.source);
            let copy = c >= self.config.near_duplicate_containment || edited;
            if copy && best.is_none_or(|(_, b)| c > b) {
                best = Some((key, c));
            }
        }
        best.filter(|(key, _)| {
            self.articles
                .get(key)
                .and_then(|a| self.resolve(a.story))
                .is_some()
        })
    }

    /// Records an article filed as similar as a near duplicate of `original` (containment
    /// `c`) when both are in the same story after the step.
    fn mark_edited_copy(&self, out: &mut Assignment, original: u64, c: f32) {
        let Some(rec) = self.articles.get(&original) else {
            return;
        };
        let same_story = self
            .resolve(rec.story)
            .and_then(|slot| self.stories.get(&slot))
            .is_some_and(|story| story.id == out.story_id);
        if out.match_kind == MatchKind::Similar && same_story {
            out.match_kind = MatchKind::NearDuplicate;
            out.score = c;
            out.duplicate_of = Some(rec.id.to_string());
        }
    }

    /// Syndicated copy: joins its original's story, weighing little in its centroid.
    fn join_near(
        &mut self,
        mut article: Filing,
        v: &DocVectors,
        original: u64,
        score: f32,
        now: i64,
    ) -> Assignment {
        let (original_id, story) = match self.articles.get(&original) {
            Some(o) => (o.id.to_string(), o.story),
            None => return self.join_similar_or_new(article, v, now),
        };
        let Some(slot) = self.resolve(story) else {
            return self.join_similar_or_new(article, v, now);
        };
        let key = self.alloc();
        let out = match self.stories.get_mut(&slot) {
            Some(story) => {
                let weight = self.config.near_duplicate_weight;
                story.add_copy(v, (key, original), weight, now, self.half_life);
                story.consider_copy_headline(&article.rec.id, v, weight, self.half_life);
                assignment(
                    story,
                    MatchKind::NearDuplicate,
                    score,
                    Some(original_id),
                    Vec::new(),
                )
            }
            None => return self.join_similar_or_new(article, v, now),
        };
        self.push_story_expiry(slot);
        article.rec.story = slot;
        self.register(key, article, now);
        out
    }

    /// Same event as an active story (the best above the threshold), else a new story.
    fn join_similar_or_new(&mut self, mut article: Filing, v: &DocVectors, now: i64) -> Assignment {
        // Cheap first pass: the centroid cosine picks the few stories whose members are
        // worth scoring one by one.
        let telling = Telling::of(v);
        let (slots, centroids): (Vec<u64>, Vec<&Centroid>) = self
            .index
            .candidates(&telling.query(), self.config.max_candidates)
            .into_iter()
            .filter_map(|slot| self.stories.get(&slot).map(|s| (slot, &s.text)))
            .unzip();
        let cosines = Centroid::cosines(&centroids, &v.text);
        let mut near: Vec<(u64, f32)> = slots.into_iter().zip(cosines).collect();
        heaviest_first(&mut near, self.config.scored_stories);
        let far = far_from_best(&mut near, self.config.runner_up_share);
        let q = Query::reusing(v, std::mem::take(&mut self.probes));
        let threshold = self.config.join_bar(v.terms);
        // Each story's similarity, and the article's to each of its members: the story it
        // joins keeps those for its next split check.
        let mut scored = self.score_stories(&q, &near, now);
        // The far stories get their chance when the close ones turned the article away, or
        // when the members that bring it to the one it would join name other years or counts
        // (a look-alike event, which centroids cannot tell apart).
        let settled = far.is_empty()
            || scored.first().is_some_and(|(slot, sim, members)| {
                *sim >= threshold
                    && self.stories.get(slot).is_some_and(|s| {
                        !s.sketch
                            .contradicts(v, members, self.config.top_k, &self.config)
                    })
            });
        if !settled {
            scored.extend(self.score_stories(&q, &far, now));
            best_first(&mut scored);
        }
        self.probes = q.into_probes();
        let key = self.alloc();
        // The best decides; the runners-up, in order, are checked for a merge.
        let mut ranked = scored.into_iter();
        let (slot, kind, score) = match ranked.next() {
            Some((slot, score, members)) if score >= threshold => {
                if let Some(story) = self.stories.get_mut(&slot) {
                    story.add_scored(v, key, members, now, self.half_life);
                    story.consider_headline(&article.rec.id, v, 1.0, self.half_life);
                }
                (slot, MatchKind::Similar, score)
            }
            _ => {
                let id = stable_id(&["story", &article.rec.id]);
                let founder = (&*article.rec.id, key);
                (self.found(id, founder, v, now), MatchKind::New, 1.0)
            }
        };
        self.index_features(slot, &telling);
        let mut merged = Vec::new();
        let mut survivor = slot;
        if kind == MatchKind::Similar {
            for (other, s, _) in ranked.take(MERGE_CHECKS) {
                if s >= threshold {
                    if let Some((keep, gone_id)) = self.try_merge(survivor, other, threshold, now) {
                        survivor = keep;
                        merged.push(gone_id);
                    }
                }
            }
        }
        self.push_story_expiry(survivor);
        article.rec.story = survivor;
        self.register(key, article, now);
        let splits = if kind == MatchKind::Similar {
            self.maybe_split(survivor, key, now)
        } else {
            Vec::new()
        };
        let rec = self.articles.get(&key);
        let home = rec.map_or(survivor, |a| a.story);
        let (story_id, headline_article) = match self.stories.get(&home) {
            Some(s) => (s.id.clone(), s.headline.id.clone()),
            // Not reached (the article's story is live), but if it were: a story of its own.
            None => {
                let id = rec.map_or_else(String::new, |a| a.id.to_string());
                (stable_id(&["story", &id]), id)
            }
        };
        Assignment {
            story_id,
            match_kind: kind,
            score,
            duplicate_of: None,
            headline_article,
            merged,
            splits,
        }
    }

    /// Scores the article against each story's kept members (a story whose centroid is
    /// far off counts half), best first; each with the member similarities. A story that
    /// would take the article on one word in common with its closest members, and no name,
    /// is left out, however heavy that word (see [`super::sketch::Sketch::corroborates`]).
    fn score_stories(
        &self,
        q: &Query,
        stories: &[(u64, f32)],
        now: i64,
    ) -> Vec<(u64, f32, Vec<f32>)> {
        let bar = self.config.join_bar(q.v.terms);
        let floor = self.config.centroid_floor * bar;
        let mut scored: Vec<(u64, f32, Vec<f32>)> = stories
            .iter()
            .filter_map(|&(slot, centroid)| {
                let s = self.stories.get(&slot)?;
                let members = s.sketch.similarities(q, &self.config);
                let sim = s.similarity_of(&members, &self.config, now);
                let sim = if centroid < floor { sim * 0.5 } else { sim };
                let chance = sim >= bar && !s.sketch.corroborates(q.v, &members, self.config.top_k);
                (!chance).then_some((slot, sim, members))
            })
            .collect();
        best_first(&mut scored);
        scored
    }

    /// Splits a story that has grown enough since its last check, if average link over its
    /// kept members finds groups that would not have joined each other (see
    /// [`super::split`]). The article `current` is being filed now: it may move with a
    /// group, but is not listed as moved (it was never stored elsewhere).
    fn maybe_split(&mut self, slot: u64, current: u64, now: i64) -> Vec<Split> {
        let Some(story) = self.stories.get_mut(&slot) else {
            return Vec::new();
        };
        // Dropped members leave in about the order they came: the oldest that left the
        // window go at once, so a story that runs for weeks holds only its window's.
        while let Some((k, _)) = story.past.front() {
            if self.articles.contains_key(k) {
                break;
            }
            story.past.pop_front();
        }
        if self.config.split_factor <= 0.0 || !story.split_due() {
            return Vec::new();
        }
        story.split_checked();
        // Duplicates and dropped members that left the window can no longer move.
        story.copies.retain(|(k, _)| self.articles.contains_key(k));
        story.past.retain(|(k, _)| self.articles.contains_key(k));
        let m = story.sketch.len();
        if m < 4 {
            return Vec::new();
        }
        let mut terms: Vec<usize> = story.sketch.terms().collect();
        terms.sort_unstable();
        let bar = self.config.split_bar(terms[m / 2]);
        if bar <= 0.0 {
            return Vec::new();
        }
        let sims = story.sketch.pairwise(&self.config);
        if split::surely_one_group(&sims, bar) {
            return Vec::new();
        }
        let groups = split::average_link(&sims, m, bar);
        let members: Vec<u64> = story.sketch.members().collect();
        let mut out = Vec::new();
        // The founder's group keeps the story, or the largest group if the founder is alone
        // (an early article can be an outlier); the other groups of two or more leave, and
        // lone members stay.
        let keep = if groups[0].len() >= 2 {
            0
        } else {
            (0..groups.len())
                .max_by_key(|g| (groups[*g].len(), Reverse(*g)))
                .unwrap_or(0)
        };
        // Most checks find one group, or nothing but lone members beside it: nothing leaves.
        let leaves: Vec<bool> = (0..groups.len())
            .map(|g| g != keep && groups[g].len() >= 2)
            .collect();
        if !leaves.contains(&true) {
            return out;
        }
        // Members the sketch has dropped go with the group they are closest to on average.
        let mut past: Vec<IdSet> = vec![IdSet::default(); groups.len()];
        for (k, v) in &story.past {
            let sims = story.sketch.similarities(&Query::new(v), &self.config);
            let mean = |g: &[usize]| g.iter().map(|i| sims[*i]).sum::<f32>() / g.len() as f32;
            let best = (0..groups.len())
                .map(|g| (g, mean(&groups[g])))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            if let Some((g, _)) = best {
                past[g].insert(*k);
            }
        }
        let leaving: Vec<(Vec<usize>, IdSet)> = groups
            .into_iter()
            .zip(past)
            .enumerate()
            .filter(|(g, _)| leaves[*g])
            .map(|(_, group)| group)
            .collect();
        for (group, past) in leaving {
            let keys: Vec<u64> = group.iter().map(|i| members[*i]).collect();
            if let Some(split) = self.split_group(slot, &keys, &past, current, now) {
                out.push(split);
            }
        }
        out
    }

    /// Moves the members with the given article keys out of a story into a new story.
    fn split_group(
        &mut self,
        slot: u64,
        keys: &[u64],
        past: &IdSet,
        current: u64,
        now: i64,
    ) -> Option<Split> {
        let first = self.articles.get(keys.first()?)?.id.to_string();
        let id = stable_id(&["story", &first]);
        let story = self.stories.get_mut(&slot)?;
        let positions: Vec<usize> = story
            .sketch
            .members()
            .enumerate()
            .filter(|(_, k)| keys.contains(k))
            .map(|(i, _)| i)
            .collect();
        // The group's first member may have founded a story this one absorbed: that id
        // comes back to life for the group.
        if let Some(pos) = story.absorbed.iter().position(|(_, gone)| *gone == id) {
            let (old_slot, _) = story.absorbed.remove(pos);
            self.aliases.remove(&old_slot);
            // Its articles (and those of stories it had absorbed) reached this story through
            // that alias: file everything here under this story itself (what leaves is filed
            // with the group below).
            for k in story.articles() {
                if let Some(a) = self.articles.get_mut(&k) {
                    a.story = slot;
                }
            }
        }
        let from = story.id.clone();
        let articles = &self.articles;
        let name = |k: u64| articles.get(&k).map(|a| a.id.to_string());
        let other = story.split_off(&positions, past, id.clone(), now, self.half_life, name);
        let moved: Vec<u64> = other.articles().collect();
        let from_headline_article = story.headline.id.clone();
        let headline_article = other.headline.id.clone();
        let new_slot = self.alloc();
        let member_vectors: Vec<DocVectors> = (0..other.sketch.len())
            .map(|i| other.sketch.vectors(i))
            .collect();
        self.ids.insert(id.clone(), new_slot);
        self.stories.insert(new_slot, other);
        for v in &member_vectors {
            self.index_features(new_slot, &Telling::of(v));
        }
        self.push_story_expiry(new_slot);
        let mut articles = Vec::new();
        for k in moved {
            if let Some(a) = self.articles.get_mut(&k) {
                a.story = new_slot;
                if k != current {
                    articles.push(a.id.to_string());
                }
            }
        }
        Some(Split {
            from,
            to: id,
            articles,
            headline_article,
            from_headline_article,
        })
    }

    /// Founds a story with the given id; returns its slot.
    fn found(&mut self, id: String, founder: (&str, u64), v: &DocVectors, now: i64) -> u64 {
        let slot = self.alloc();
        self.ids.insert(id.clone(), slot);
        self.stories
            .insert(slot, Story::new(id, founder, v, now, &self.config));
        slot
    }

    /// Merges two stories if they have converged (see [`Story::converged`]); the older one
    /// survives. Returns the survivor's slot and the absorbed story's id.
    fn try_merge(&mut self, a: u64, b: u64, bar: f32, now: i64) -> Option<(u64, String)> {
        let (sa, sb) = (self.stories.get(&a)?, self.stories.get(&b)?);
        let c = &self.config;
        if !sa.converged(sb, bar, c, now) {
            return None;
        }
        let (keep, gone) = if (sa.created, a) <= (sb.created, b) {
            (a, b)
        } else {
            (b, a)
        };
        let gone_story = self.stories.remove(&gone)?;
        self.index
            .remove_all(gone_story.indexed.iter().copied(), gone);
        let keep_story = self.stories.get_mut(&keep)?;
        keep_story.absorb(&gone_story, gone, now, self.half_life);
        for f in &gone_story.indexed {
            if keep_story.indexed.insert(*f) {
                self.index.insert(*f, keep);
            }
        }
        self.aliases.insert(gone, keep);
        Some((keep, gone_story.id))
    }

    /// Lists the story under the article's most telling features.
    fn index_features(&mut self, slot: u64, telling: &Telling) {
        let Some(story) = self.stories.get_mut(&slot) else {
            return;
        };
        for &(f, _) in telling.text.iter().chain(&telling.entities) {
            if story.indexed.insert(f) {
                self.index.insert(f, slot);
            }
        }
    }

    /// A fresh key for an article or a story slot.
    fn alloc(&mut self) -> u64 {
        let key = self.next_slot;
        self.next_slot += 1;
        key
    }

    /// Remembers an article under its key for duplicate checks until it leaves the window.
    fn register(&mut self, key: u64, article: Filing, now: i64) {
        let Filing { mut rec, bands } = article;
        rec.banded = bands.is_some();
        self.exact.insert(&rec.exact, key);
        if let Some(bands) = bands {
            self.near.insert(bands, key);
        }
        self.articles.insert(key, rec);
        self.article_expiry.push(now, key);
    }

    fn push_story_expiry(&mut self, slot: u64) {
        if let Some(story) = self.stories.get(&slot) {
            self.story_expiry.push(story.updated, slot);
        }
    }

    /// Drops articles and stories last touched before `cutoff` from every index.
    fn expire(&mut self, cutoff: i64) {
        while let Some((_, key)) = self.article_expiry.pop_before(cutoff) {
            if let Some(rec) = self.articles.remove(&key) {
                self.exact.remove(&rec.exact, key);
                if rec.banded {
                    self.near.retire(key);
                }
            }
        }
        while let Some((t, slot)) = self.story_expiry.pop_before(cutoff) {
            // Stale entries (the story was updated or merged since) are skipped.
            if self.stories.get(&slot).is_some_and(|s| s.updated == t) {
                self.drop_story(slot);
            }
        }
    }

    /// Removes a quiet story, its index entries and the aliases of what it absorbed.
    fn drop_story(&mut self, slot: u64) {
        let Some(story) = self.stories.remove(&slot) else {
            return;
        };
        self.index.remove_all(story.indexed.iter().copied(), slot);
        self.ids.remove(&story.id);
        for (old, id) in &story.absorbed {
            self.aliases.remove(old);
            self.ids.remove(id);
        }
    }
}

/// An article's most telling features, heaviest first: its story is indexed under them,
/// and the first of them are looked up.
struct Telling {
    /// Its [`INDEX_TERMS`] strongest text terms.
    text: Vec<(Feature, f32)>,
    /// Its [`MAX_ENTITIES`] strongest entities.
    entities: Vec<(Feature, f32)>,
}

const _: () = assert!(QUERY_TERMS <= INDEX_TERMS);

impl Telling {
    /// The telling features of an article.
    fn of(v: &DocVectors) -> Self {
        Telling {
            text: top(&v.text, INDEX_TERMS),
            entities: top(&v.entities, MAX_ENTITIES),
        }
    }

    /// The features to look up: the [`QUERY_TERMS`] strongest text terms (the heaviest come
    /// first, so they are the first of those indexed) and the entities.
    fn query(&self) -> Vec<(Feature, f32)> {
        let terms = &self.text[..self.text.len().min(QUERY_TERMS)];
        terms.iter().chain(&self.entities).copied().collect()
    }
}

/// Orders scored stories best first (ties: the older slot).
fn best_first(scored: &mut [(u64, f32, Vec<f32>)]) {
    scored.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
}

/// Takes out of stories ranked by centroid cosine (best first) those whose cosine is under
/// `share` of the best's, and returns them. A story whose centroid is far less like the
/// article than another's is about something else, even when one of its members is close:
/// it is scored only if the closer stories turn the article away or contradict its years or
/// counts.
fn far_from_best(ranked: &mut Vec<(u64, f32)>, share: f32) -> Vec<(u64, f32)> {
    let Some(&(_, best)) = ranked.first() else {
        return Vec::new();
    };
    let close = ranked.partition_point(|&(_, cosine)| cosine >= share * best);
    ranked.split_off(close)
}

/// The `n` heaviest features of a vector (ties: smaller id), heaviest first.
fn top(v: &SparseVec, n: usize) -> Vec<(Feature, f32)> {
    let mut items = v.0.clone();
    heaviest_first(&mut items, n);
    items
}

/// The outward decision for an article that landed in `story`.
fn assignment(
    story: &Story,
    kind: MatchKind,
    score: f32,
    dup: Option<String>,
    merged: Vec<String>,
) -> Assignment {
    Assignment {
        story_id: story.id.clone(),
        match_kind: kind,
        score,
        duplicate_of: dup,
        headline_article: story.headline.id.clone(),
        merged,
        splits: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeDelta};

    fn doc(id: &str, minutes: i64, title: &str) -> Doc {
        Doc {
            id: id.into(),
            title: title.into(),
            summary: String::new(),
            url: Some(format!("https://news.example/{id}")),
            guid: Some(format!("guid-{id}")),
            source: "news".into(),
            published: DateTime::UNIX_EPOCH + TimeDelta::days(19_000) + TimeDelta::minutes(minutes),
        }
    }

    /// A near duplicate of `of` at full containment, as the store records it.
    fn near(of: &str) -> Option<Duplicate<'_>> {
        Some(Duplicate {
            of,
            kind: MatchKind::NearDuplicate,
            score: 1.0,
        })
    }

    #[test]
    fn a_copy_put_back_after_a_restart_is_a_copy_of_its_original_again() {
        let mut e = Engine::new(EngineConfig::default());
        let title = "Harbour bridge in Velmora closed after engineers find cracks";
        e.restore(&doc("o1", 0, title), "S", Heading::Headline, None);
        e.restore(&doc("c1", 5, title), "S", Heading::Member, near("o1"));
        // A copy of an article that is not in the window comes back as a member.
        e.restore(&doc("c2", 9, title), "S", Heading::Member, near("gone"));
        let exact = Some(Duplicate {
            of: "o1",
            kind: MatchKind::Exact,
            score: 1.0,
        });
        e.restore(&doc("x1", 12, title), "S", Heading::Member, exact);
        let slot = e.ids["S"];
        let story = &e.stories[&slot];
        let key = |id: &str| {
            let found = e.articles.iter().find(|(_, a)| &*a.id == id);
            found.map(|(k, _)| *k)
        };
        let (o1, c1, c2, x1) = (key("o1"), key("c1"), key("c2"), key("x1"));
        let copies: Vec<(Option<u64>, Option<u64>)> = story
            .copies
            .iter()
            .map(|(c, o)| (Some(*c), Some(*o)))
            .collect();
        assert_eq!(copies, [(c1, o1), (x1, o1)]);
        let members: Vec<Option<u64>> = story.sketch.members().map(Some).collect();
        assert_eq!(members, [o1, c2], "the copies join no sketch");
        assert_eq!(story.headline.id, "o1");
    }

    #[test]
    fn a_copy_put_back_heads_its_story_no_more_than_a_live_copy_would() {
        // The store names no headline in the window (it left): the engine picks one again
        // as the articles come back, and a copy may not take it from a titled headline.
        let mut e = Engine::new(EngineConfig::default());
        let (report, other) = (
            "Harbour bridge in Velmora closed after engineers find cracks",
            "Engineers find cracks in Velmora harbour bridge, which stays shut for repairs",
        );
        e.restore(&doc("o1", 0, report), "S", Heading::Unknown, None);
        e.restore(&doc("m1", 5, other), "S", Heading::Unknown, None);
        e.restore(&doc("c1", 9, other), "S", Heading::Unknown, near("m1"));
        let story = &e.stories[&e.ids["S"]];
        assert_eq!(story.copies.len(), 1, "c1 came back as a copy");
        assert_eq!(story.headline.id, "o1");
    }

    #[test]
    fn stories_far_from_the_best_centroid_are_set_aside() {
        let mut ranked = vec![(7, 0.6), (3, 0.31), (9, 0.29), (4, 0.1)];
        assert_eq!(far_from_best(&mut ranked, 0.5), vec![(9, 0.29), (4, 0.1)]);
        assert_eq!(ranked, vec![(7, 0.6), (3, 0.31)]);
        assert!(far_from_best(&mut ranked, 0.0).is_empty());
        // Nothing like the article at all: every story stays (the scores decide).
        let mut ranked = vec![(1, 0.0), (2, 0.0)];
        assert!(far_from_best(&mut ranked, 0.5).is_empty());
        assert!(far_from_best(&mut Vec::new(), 0.5).is_empty());
    }

    /// The article key of an article id.
    fn key(e: &Engine, id: &str) -> u64 {
        let found = e.articles.iter().find(|(_, a)| &*a.id == id);
        *found.expect("in the window").0
    }

    /// What is inconsistent between the articles in the window and the stories: each must
    /// resolve to a live story that lists it (so that a split can move it), and no two
    /// stories may list one article.
    fn inconsistencies(e: &Engine) -> Vec<String> {
        let mut out = Vec::new();
        let mut listed: HashMap<u64, u64> = HashMap::new();
        for (slot, story) in &e.stories {
            for k in story.articles() {
                if let Some(other) = listed.insert(k, *slot).filter(|o| o != slot) {
                    out.push(format!("article {k} listed by stories {other} and {slot}"));
                }
            }
        }
        for (k, rec) in &e.articles {
            match (e.resolve(rec.story), listed.get(k)) {
                (None, _) => out.push(format!("{} resolves to no story", rec.id)),
                (Some(s), Some(l)) if s != *l => {
                    out.push(format!("{} is in story {s}, listed by {l}", rec.id))
                }
                (Some(s), None) => out.push(format!("{} is in story {s}, listed by none", rec.id)),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn the_labeled_sets_leave_every_article_in_a_story_that_lists_it() {
        for name in ["ecbplus-dev", "uci-day1-dev"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/data/clustering")
                .join(format!("{name}.jsonl"));
            if !path.exists() {
                println!("skipping: {} not found", path.display());
                return;
            }
            let docs = crate::eval::read_jsonl(&path).expect("labeled set");
            for seed in [1, 7, 11] {
                let mut docs = crate::eval::shuffled(&docs, seed);
                docs.sort_by_key(|d| d.doc.published);
                let mut e = Engine::new(EngineConfig::default());
                for (i, d) in docs.iter().enumerate() {
                    e.add(&d.doc);
                    if i % 50 == 49 || i + 1 == docs.len() {
                        let bad = inconsistencies(&e);
                        assert!(bad.is_empty(), "{name} seed {seed} after {i}: {bad:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_dateline_is_the_headline_only_until_a_member_with_a_title_joins() {
        let mut e = Engine::new(EngineConfig::default());
        let article = |id: &str, minutes, title: &str, lead: &str| Doc {
            summary: lead.into(),
            ..doc(id, minutes, title)
        };
        let first = e.add(&article(
            "a1",
            0,
            "January 8th, 2022, 05: 31 GMT",
            "Microsoft released an emergency patch for Internet Explorer on Tuesday after \
             hackers exploited a flaw in the browser to attack its users.",
        ));
        assert_eq!(first.headline_article, "a1", "no other title yet");
        let second = e.add(&article(
            "a2",
            1,
            "Microsoft rushes out emergency patch for Internet Explorer flaw",
            "The emergency patch closes a browser flaw that hackers exploited to take over \
             the computers of Internet Explorer users, Microsoft said.",
        ));
        assert_eq!(second.story_id, first.story_id, "{second:?}");
        assert_eq!(second.headline_article, "a2");
        let third = e.add(&article(
            "a3",
            2,
            "8 January 2022 Last updated at 13: 59 GMT",
            "Microsoft's emergency patch for Internet Explorer fixes the flaw that hackers \
             exploited in attacks on the browser, the company said.",
        ));
        assert_eq!(third.story_id, first.story_id, "{third:?}");
        assert_eq!(
            third.headline_article, "a2",
            "a dateline never displaces a title"
        );
    }

    #[test]
    fn a_retitled_wire_copy_replaces_a_dateline_headline() {
        let mut e = Engine::new(EngineConfig::default());
        let lead = "The port authority said on Monday that the container terminal would stay \
            closed for a third day after the crane collapse, as engineers inspect the \
            remaining cranes and shipping lines divert vessels to other harbours along the coast.";
        let original = e.add(&Doc {
            summary: lead.into(),
            ..doc("w1", 0, "January 8th, 2022, 05: 31 GMT")
        });
        assert_eq!(original.headline_article, "w1");
        let copy = e.add(&Doc {
            summary: lead.into(),
            source: "other".into(),
            ..doc(
                "w2",
                1,
                "Container terminal stays shut after crane collapse",
            )
        });
        assert_eq!(copy.match_kind, MatchKind::NearDuplicate);
        assert_eq!(copy.story_id, original.story_id);
        assert_eq!(copy.headline_article, "w2");
    }

    #[test]
    fn articles_left_behind_by_a_revived_story_stay_reachable() {
        // The merge below is forced (bar 0), which the cohesion bar would refuse.
        let mut e = Engine::new(EngineConfig {
            merge_cohesion: 0.0,
            ..EngineConfig::default()
        });
        let b2 = "Funding dispute forces the orchestra to cancel its winter tour";
        for (id, minutes, title) in [
            ("a1", 0, "Harbour bridge reopens after two years of repairs"),
            (
                "a2",
                1,
                "Repairs done, the harbour bridge reopens to traffic",
            ),
            (
                "b1",
                2,
                "Orchestra cancels winter tour over funding dispute",
            ),
            ("b2", 3, b2),
        ] {
            e.add(&doc(id, minutes, title));
        }
        let slot = |e: &Engine, id: &str| e.ids[&stable_id(&["story", id])];
        let (sa, sb) = (slot(&e, "a1"), slot(&e, "b1"));
        assert_ne!(sa, sb, "two stories to begin with");
        assert_eq!(e.articles[&key(&e, "a2")].story, sa, "a2 joined a1");
        assert_eq!(e.articles[&key(&e, "b2")].story, sb, "b2 joined b1");
        // Merge B into A by hand, then split b1 out: the group's first member founded B,
        // so B's id comes back for it, and b2 stays in A.
        let now = e.clock.expect("articles seen");
        assert!(e.try_merge(sa, sb, 0.0, now).is_some());
        let b1 = key(&e, "b1");
        assert!(
            e.split_group(sa, &[b1], &IdSet::default(), u64::MAX, now)
                .is_some()
        );
        // b2 is still in A: a copy of it under the same GUID is its exact duplicate there.
        let copy = e.add(&Doc {
            guid: Some("guid-b2".into()),
            ..doc("b2-again", 4, b2)
        });
        assert_eq!(copy.match_kind, MatchKind::Exact);
        assert_eq!(copy.story_id, stable_id(&["story", "a1"]));
    }
}
