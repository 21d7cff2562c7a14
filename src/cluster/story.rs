//! A story as the engine holds it while it is active: a small sketch of its members (whose
//! best matches score a new article, and whose average links decide a split), a decaying
//! text centroid (which picks the headline), the features it is indexed under, its
//! headline, and the duplicates filed into it (which move with their originals).
//!
//! Scoring a story by its closest members rather than by its centroid lets a broad story
//! take an article that resembles one of its threads, while a look-alike event, close to
//! the story's general topic but to none of its members, stays apart.

use super::EngineConfig;
use super::hashing::{FeatureSet, IdSet};
use super::sketch::{DocVectors, Query, Sketch, top_k};
use super::vectors::{Centroid, SparseVec};
use std::collections::VecDeque;

/// Members of each story compared when two stories are checked for a merge.
const LINK_MEMBERS: usize = 8;

/// How much closer to the other members (in cosine to the centroid) a newcomer must be
/// than the headline to replace it: a headline does not flip between near equals.
const HEADLINE_MARGIN: f32 = 0.01;

/// The article that heads a story, and what choosing the next one needs of it.
#[derive(Debug, Clone)]
pub(crate) struct Headline {
    /// Its article id.
    pub id: String,
    /// Its text vector.
    text: SparseVec,
    /// Whether its title says something beside when it was written (one that does not is
    /// replaced by the first member whose title does).
    titled: bool,
    /// Its weight in the centroid when it was added (0 when it is not in it), and the
    /// centroid's clock then.
    weight: f32,
    at: i64,
}

impl Headline {
    /// An article with the given vectors, in the centroid with `weight` since clock `at`.
    fn of(id: String, v: &DocVectors, weight: f32, at: i64) -> Self {
        Headline {
            id,
            text: v.text.clone(),
            titled: v.titled,
            weight,
            at,
        }
    }
}

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
    pub indexed: FeatureSet,
    /// Engine-clock seconds of its earliest and latest article (by the articles' own
    /// times, not the order they came in).
    pub created: i64,
    pub updated: i64,
    /// Articles that joined on their own merit (not as duplicates).
    pub originals: u32,
    /// The most representative article so far.
    pub headline: Headline,
    /// Slots and ids of the stories it absorbed (so their aliases leave with it).
    pub absorbed: Vec<(u64, String)>,
    /// Duplicates filed into it: their article key and their original's.
    pub copies: Vec<(u64, u64)>,
    /// Members that the sketch has dropped, with their vectors, so that a split can take
    /// along those that belong with the group leaving (oldest first; pruned as they leave
    /// the window).
    pub past: VecDeque<(u64, DocVectors)>,
    /// Originals at which the story is next checked for a split.
    pub next_split: u32,
}

impl Story {
    /// A story founded by the given article at time `now`.
    pub fn new(
        id: String,
        founder: (&str, u64),
        v: &DocVectors,
        now: i64,
        config: &EngineConfig,
    ) -> Self {
        let mut story = Story {
            id,
            sketch: Sketch::new(config.sketch),
            founder: v.clone(),
            text: Centroid::default(),
            indexed: FeatureSet::default(),
            created: now,
            updated: now,
            originals: 0,
            headline: Headline::of(founder.0.to_string(), v, 1.0, now),
            absorbed: Vec::new(),
            copies: Vec::new(),
            past: VecDeque::new(),
            next_split: SPLIT_FIRST,
        };
        story.add(v, founder.1, now, config.centroid_half_life.as_secs_f64());
        story
    }

    /// How well an article fits this story at time `now`: the mean of its `k` best member
    /// similarities (fewer when the story is smaller), less the time and age penalties.
    pub fn similarity(&self, q: &Query, config: &EngineConfig, now: i64) -> f32 {
        self.similarity_of(&self.sketch.similarities(q, config), config, now)
    }

    /// [`Story::similarity`] from the article's similarity to each member (as
    /// [`Sketch::similarities`] gives them).
    pub fn similarity_of(&self, sims: &[f32], config: &EngineConfig, now: i64) -> f32 {
        let window = config.window.as_secs().max(1) as i64;
        // An article older than the story (a feed's backlog, filed after newer ones) is as
        // far from it as one as much newer.
        let gap = (now - self.updated).max(self.created - now).max(0);
        // A story that has run longer than a window is a running topic rather than one event.
        let overrun = (now - self.created - window).max(0);
        // Each penalty is its rate times the time in windows.
        let over = |rate: f32, secs: i64| rate * secs as f32 / window as f32;
        top_k(sims, config.top_k)
            - over(config.time_penalty, gap)
            - over(config.age_penalty, overrun)
    }

    /// The founder's vectors while the story has no other member.
    pub fn single(&self) -> Option<&DocVectors> {
        (self.originals == 1 && self.sketch.len() == 1).then_some(&self.founder)
    }

    /// Whether two stories that an article of bar `bar` brought together are about one
    /// event. A story of one gets a second chance: it joins the other if its founder,
    /// scored now, clears its own bar. Larger stories need an average link over the bar
    /// and, against look-alike events, at least `merge_cohesion` of their mean cohesion:
    /// two stories of one event are about as close to each other as within themselves,
    /// two events of one topic (two quakes, two strikes) share only the topic's words.
    pub fn converged(&self, other: &Story, bar: f32, config: &EngineConfig, now: i64) -> bool {
        match (self.single(), other.single()) {
            (_, Some(v)) if self.sketch.len() > 1 => {
                self.similarity(&Query::new(v), config, now) >= config.join_bar(v.terms)
            }
            (Some(v), _) if other.sketch.len() > 1 => {
                other.similarity(&Query::new(v), config, now) >= config.join_bar(v.terms)
            }
            _ => {
                let link = self.link(other, config);
                if link < config.merge_threshold * bar {
                    return false;
                }
                let cohesion = match (self.cohesion(config), other.cohesion(config)) {
                    (Some(x), Some(y)) => (x + y) / 2.0,
                    (x, y) => x.or(y).unwrap_or(0.0),
                };
                link >= config.merge_cohesion * cohesion
            }
        }
    }

    /// Average link among the story's latest members (at most [`LINK_MEMBERS`]), if it
    /// has two.
    pub fn cohesion(&self, config: &EngineConfig) -> Option<f32> {
        self.sketch.cohesion(LINK_MEMBERS, config)
    }

    /// Average link between two stories' latest members (at most [`LINK_MEMBERS`] each).
    pub fn link(&self, other: &Story, config: &EngineConfig) -> f32 {
        self.sketch.link(&other.sketch, LINK_MEMBERS, config)
    }

    /// Adds an article that joined on its own merit.
    pub fn add(&mut self, v: &DocVectors, member: u64, now: i64, half_life: f64) {
        self.add_scored(v, member, Vec::new(), now, half_life);
    }

    /// [`Story::add`] for an article whose similarity to each member was scored to decide
    /// that it joins (see [`Sketch::push_scored`]).
    pub fn add_scored(
        &mut self,
        v: &DocVectors,
        member: u64,
        sims: Vec<f32>,
        now: i64,
        half_life: f64,
    ) {
        self.text.add(&v.text, 1.0, now, half_life);
        self.past.extend(self.sketch.push_scored(v, member, sims));
        self.originals += 1;
        self.touch(now);
    }

    /// Files a near duplicate, `copy` = (its key, its original's): it counts, and leans the
    /// centroid a little, but joins no sketch (a copy would crowd out the members that say
    /// something of their own); it moves with its original.
    pub fn add_copy(
        &mut self,
        v: &DocVectors,
        copy: (u64, u64),
        weight: f32,
        now: i64,
        half_life: f64,
    ) {
        self.text.add(&v.text, weight, now, half_life);
        self.add_exact(copy, now);
    }

    /// Files an exact duplicate, `copy` = (its key, its original's): it changes nothing of
    /// what the story is about, and moves with its original.
    pub fn add_exact(&mut self, copy: (u64, u64), now: i64) {
        self.touch(now);
        self.copies.push(copy);
    }

    /// Notes an article at time `now` without changing what the story is about.
    pub fn touch(&mut self, now: i64) {
        self.updated = self.updated.max(now);
        self.created = self.created.min(now);
    }

    /// Makes the article just added with `weight` the headline if it now represents the
    /// story better than the current headline does; otherwise the headline stays. Each is
    /// measured by its cosine to the centroid without its own part (see
    /// [`Centroid::cosine_without`]): the newcomer, in the centroid at full weight, would
    /// otherwise nearly always win. A title that says no more than when it was written
    /// ("27 NOVEMBER, 2005") never displaces one that does, and is displaced by the first
    /// that does.
    pub fn consider_headline(
        &mut self,
        article: &str,
        v: &DocVectors,
        weight: f32,
        half_life: f64,
    ) {
        let at = self.text.clock();
        if self.beats_headline(&v.text, v.titled, (weight, at), half_life) {
            self.headline = Headline::of(article.to_string(), v, weight, at);
        }
    }

    /// Makes the article just added (at full weight) the headline, as the store says it is.
    pub fn restore_headline(&mut self, article: &str, v: &DocVectors) {
        self.headline = Headline::of(article.to_string(), v, 1.0, self.text.clock());
    }

    /// Whether an article of the story (its text vector, whether its title says something
    /// beside when it was written, and its weight in the centroid since clock `at`) should
    /// replace the headline: see [`Story::consider_headline`].
    fn beats_headline(
        &self,
        text: &SparseVec,
        titled: bool,
        (weight, at): (f32, i64),
        half_life: f64,
    ) -> bool {
        let h = &self.headline;
        match (titled, h.titled) {
            (true, false) => true,
            (false, true) => false,
            _ => {
                self.text.cosine_without(text, weight, at, half_life)
                    > self.text.cosine_without(&h.text, h.weight, h.at, half_life) + HEADLINE_MARGIN
            }
        }
    }

    /// Offers the headline to a near duplicate just filed at `weight`, as a copy may take
    /// it: only in place of a title that says no more than when it was written.
    pub fn consider_copy_headline(
        &mut self,
        article: &str,
        v: &DocVectors,
        weight: f32,
        half_life: f64,
    ) {
        if !self.headline.titled {
            self.consider_headline(article, v, weight, half_life);
        }
    }

    /// Takes in another story's members, centroid and counts (the caller moves its index
    /// entries), and its headline if that represents the two better (as a newcomer would
    /// have to, see [`Story::consider_headline`]).
    pub fn absorb(&mut self, other: &Story, other_slot: u64, now: i64, half_life: f64) {
        self.text.absorb(&other.text, now, half_life);
        let dropped = self.sketch.extend(&other.sketch);
        self.past.extend(dropped);
        self.past.extend(other.past.iter().cloned());
        self.originals += other.originals;
        self.updated = self.updated.max(other.updated);
        self.created = self.created.min(other.created);
        let o = &other.headline;
        if self.beats_headline(&o.text, o.titled, (o.weight, o.at), half_life) {
            self.headline = o.clone();
        }
        self.absorbed.push((other_slot, other.id.clone()));
        self.absorbed.extend_from_slice(&other.absorbed);
        self.copies.extend_from_slice(&other.copies);
        self.next_split = self.next_split.min(next_checkpoint(self.originals));
    }

    /// The keys of every article it holds that a split can move: kept members, dropped
    /// members and duplicates.
    pub fn articles(&self) -> impl Iterator<Item = u64> + '_ {
        self.sketch
            .members()
            .chain(self.past.iter().map(|(k, _)| *k))
            .chain(self.copies.iter().map(|(k, _)| *k))
    }

    /// Whether it has grown enough since the last check to be checked for a split.
    pub fn split_due(&self) -> bool {
        self.originals >= self.next_split
    }

    /// Notes a split check at its current size.
    pub fn split_checked(&mut self) {
        self.next_split = next_checkpoint(self.originals);
    }

    /// Moves the kept members at `positions` (ascending), the dropped members `past`, and
    /// their duplicates into a new story with the given id; both are left with centroids of
    /// their kept members as of `now`, and with a headline among them (`name` gives an
    /// article key's id).
    pub fn split_off(
        &mut self,
        positions: &[usize],
        past: &IdSet,
        id: String,
        now: i64,
        half_life: f64,
        name: impl Fn(u64) -> Option<String>,
    ) -> Story {
        let sketch = self.sketch.split_off(positions);
        let (past, kept_past): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.past)
            .into_iter()
            .partition(|(k, _)| past.contains(k));
        self.past = kept_past;
        let moved: IdSet = sketch
            .members()
            .chain(past.iter().map(|(k, _)| *k))
            .collect();
        let (copies, kept): (Vec<_>, Vec<_>) = self
            .copies
            .iter()
            .partition(|(_, original)| moved.contains(original));
        self.copies = kept;
        let n = (sketch.len() + past.len()) as u32;
        let founder = sketch.vectors(0);
        let mut other = Story {
            id,
            founder,
            text: centroid_of(&sketch, now, half_life),
            sketch,
            indexed: FeatureSet::default(),
            created: now,
            updated: now,
            originals: n,
            headline: Headline::of(String::new(), &DocVectors::default(), 0.0, now),
            absorbed: Vec::new(),
            copies,
            past,
            next_split: next_checkpoint(n),
        };
        other.rechoose_headline(&name, now, half_life);
        let headline_moved = other
            .articles()
            .any(|k| name(k).is_some_and(|id| id == self.headline.id));
        self.text = centroid_of(&self.sketch, now, half_life);
        if headline_moved {
            self.rechoose_headline(&name, now, half_life);
        } else {
            // The centroid now holds the kept members, each at full weight as of `now`.
            let kept = self
                .sketch
                .members()
                .any(|k| name(k).is_some_and(|id| id == self.headline.id));
            self.headline.weight = if kept { 1.0 } else { 0.0 };
            self.headline.at = now;
        }
        self.originals = self.originals.saturating_sub(n).max(1);
        self.next_split = next_checkpoint(self.originals);
        other
    }

    /// Picks the best headline among the kept members (whose ids `name` gives), with the
    /// centroid just made of them at `now`: the closest to the others (see
    /// [`Centroid::cosine_without`]) among those whose titles say something beside when
    /// they were written, if any do.
    fn rechoose_headline(
        &mut self,
        name: impl Fn(u64) -> Option<String>,
        now: i64,
        half_life: f64,
    ) {
        let mut best: Option<((bool, f32), usize, DocVectors)> = None;
        for i in 0..self.sketch.len() {
            let v = self.sketch.vectors(i);
            let rank = (
                v.titled,
                self.text.cosine_without(&v.text, 1.0, now, half_life),
            );
            if best
                .as_ref()
                .is_none_or(|(b, _, _)| rank.0.cmp(&b.0).then(rank.1.total_cmp(&b.1)).is_gt())
            {
                best = Some((rank, i, v));
            }
        }
        if let Some((_, i, v)) = best {
            let id = self.sketch.members().nth(i).and_then(&name);
            if let Some(id) = id {
                self.headline = Headline::of(id, &v, 1.0, now);
            }
        }
    }
}

/// Originals at which a young story is first checked for a split.
const SPLIT_FIRST: u32 = 4;

/// The next size (after `n` originals) at which a story is checked for a split: a third
/// larger each time, so the checks cost little per article.
fn next_checkpoint(n: u32) -> u32 {
    (n + n / 3 + 1).max(SPLIT_FIRST)
}

/// A centroid of the sketch's members, all counted at `now`.
fn centroid_of(sketch: &Sketch, now: i64, half_life: f64) -> Centroid {
    let mut c = Centroid::default();
    for i in 0..sketch.len() {
        c.add(&sketch.vectors(i).text, 1.0, now, half_life);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::hashing::Feature;

    fn doc(term: Feature) -> DocVectors {
        DocVectors::of_text(&[(term, 1.0)], &[])
    }

    /// A story of articles with the given text features, added a minute apart.
    fn story_of(id: &str, articles: &[&[Feature]], config: &EngineConfig) -> Story {
        let v = |terms: &&[Feature]| {
            let text: Vec<(Feature, f32)> = terms.iter().map(|t| (*t, 1.0)).collect();
            DocVectors::of_text(&text, &[])
        };
        let mut story = Story::new(id.into(), (id, 0), &v(&articles[0]), 0, config);
        for (i, terms) in articles.iter().enumerate().skip(1) {
            story.add(&v(terms), i as u64, 60 * i as i64, 86_400.0);
        }
        story
    }

    #[test]
    fn an_article_older_than_the_story_is_as_far_from_it_as_one_as_much_newer() {
        let config = EngineConfig {
            age_penalty: 0.0,
            ..EngineConfig::default()
        };
        let window = config.window.as_secs() as i64;
        // Articles a minute apart, from 0 to 120 s.
        let mut story = story_of("s", &[&[1, 2], &[1, 3], &[2, 3]], &config);
        let sims = [0.5, 0.5, 0.5];
        let inside = story.similarity_of(&sims, &config, 60);
        let after = story.similarity_of(&sims, &config, 120 + window);
        let before = story.similarity_of(&sims, &config, -window);
        assert_eq!(inside, 0.5);
        assert!(
            (after - (0.5 - config.time_penalty)).abs() < 1e-6,
            "{after}"
        );
        assert_eq!(before, after);
        // Once such an article joins, the story reaches back to it.
        story.touch(-window);
        assert_eq!(story.similarity_of(&sims, &config, -window), inside);
    }

    #[test]
    fn a_story_that_runs_past_its_window_loses_similarity_by_its_age() {
        let config = EngineConfig::default();
        let window = config.window.as_secs() as i64;
        let mut story = story_of("s", &[&[1, 2], &[1, 3]], &config);
        let sims = [0.5, 0.5];
        // Kept alive by an article a minute before each check, so no quiet-time penalty.
        let at = |story: &mut Story, now: i64| {
            story.touch(now - 60);
            story.similarity_of(&sims, &config, now) + config.time_penalty * 60.0 / window as f32
        };
        let young = at(&mut story, window / 2);
        let one_window = at(&mut story, window);
        let two_windows = at(&mut story, 2 * window);
        let three_windows = at(&mut story, 3 * window);
        assert!((young - 0.5).abs() < 1e-6, "{young}");
        assert!((one_window - 0.5).abs() < 1e-6, "{one_window}");
        assert!(
            (two_windows - (0.5 - config.age_penalty)).abs() < 1e-5,
            "{two_windows}"
        );
        assert!(
            (three_windows - (0.5 - 2.0 * config.age_penalty)).abs() < 1e-5,
            "{three_windows}"
        );
    }

    #[test]
    fn a_newcomer_heads_the_story_only_if_closer_to_the_others_than_the_headline() {
        let config = EngineConfig::default();
        let day = config.centroid_half_life.as_secs_f64();
        let v = |terms: &[Feature]| {
            let text: Vec<(Feature, f32)> = terms.iter().map(|t| (*t, 1.0)).collect();
            DocVectors::of_text(&text, &[])
        };
        let mut story = Story::new("s".into(), ("a", 0), &v(&[1, 2, 3]), 0, &config);
        // b is as close to a as a to b, and newer: in the centroid at full weight where a
        // has decayed, it would stand closer to it by its own vote.
        let b = v(&[1, 2, 4]);
        story.add(&b, 1, 43_200, day);
        story.consider_headline("b", &b, 1.0, day);
        assert_eq!(story.headline.id, "a", "no better than the headline");
        // c has every term of both: closer to each than they are to each other.
        let c = v(&[1, 2, 3, 4]);
        story.add(&c, 2, 86_400, day);
        story.consider_headline("c", &c, 1.0, day);
        assert_eq!(story.headline.id, "c", "more representative");
        // d shares less with the others than c does.
        let d = v(&[1, 2, 5]);
        story.add(&d, 3, 90_000, day);
        story.consider_headline("d", &d, 1.0, day);
        assert_eq!(story.headline.id, "c");
    }

    #[test]
    fn a_merge_keeps_the_headline_that_represents_both_stories_better() {
        let config = EngineConfig::default();
        // s is headed by its founder, which shares one word with the rest; o by one that
        // has every word of both stories but the founder's own.
        let s = story_of("s", &[&[1, 9], &[1, 2, 3]], &config);
        let o = story_of("o", &[&[1, 2, 3, 4], &[2, 3, 4]], &config);
        let mut merged = story_of("s", &[&[1, 9], &[1, 2, 3]], &config);
        merged.absorb(&o, 1, 180, 86_400.0);
        assert_eq!(merged.headline.id, "o");
        let mut merged = story_of("o", &[&[1, 2, 3, 4], &[2, 3, 4]], &config);
        merged.absorb(&s, 1, 180, 86_400.0);
        assert_eq!(merged.headline.id, "o");
    }

    #[test]
    fn look_alike_stories_do_not_converge_where_one_event_does() {
        // Topic words 1-2 (say "quake", "magnitude"); each quake has its own (10-13, 20-23).
        let quake_a: [&[Feature]; 3] = [&[1, 2, 10, 11, 12], &[1, 10, 11, 13], &[2, 10, 12, 13]];
        let quake_b: [&[Feature]; 3] = [&[1, 2, 20, 21, 22], &[1, 20, 21, 23], &[2, 20, 22, 23]];
        // A second story of quake A, formed apart (other outlets, other wording).
        let quake_a2: [&[Feature]; 2] = [&[1, 10, 11, 12, 30], &[2, 11, 12, 13, 31]];
        let without = EngineConfig {
            merge_cohesion: 0.0,
            merge_threshold: 0.5,
            ..EngineConfig::default()
        };
        let with = EngineConfig {
            merge_cohesion: 0.5,
            ..without.clone()
        };
        let a = story_of("a", &quake_a, &with);
        let b = story_of("b", &quake_b, &with);
        let a2 = story_of("a2", &quake_a2, &with);
        let bar = 0.19;
        let (link, cohesion) = (a.link(&b, &with), a.cohesion(&with).unwrap_or(0.0));
        assert!(
            link > 0.5 * bar && link < 0.5 * cohesion,
            "{link} {cohesion}"
        );
        assert!(
            a.converged(&b, bar, &without, 180),
            "the topic's words alone merge them"
        );
        assert!(!a.converged(&b, bar, &with, 180), "look-alikes stay apart");
        assert!(
            a.converged(&a2, bar, &with, 180),
            "two stories of one event merge"
        );
    }

    #[test]
    fn a_split_takes_along_dropped_members_and_their_copies() {
        let config = EngineConfig {
            sketch: 3,
            ..EngineConfig::default()
        };
        let day = 86_400.0;
        // Founder 1 (about term 1), then 2, 3, 4 about term 2, then 5 about term 1.
        let mut story = Story::new("s".into(), ("a1", 1), &doc(1), 0, &config);
        for (key, term) in [(2, 2), (3, 2), (4, 2), (5, 1)] {
            story.add(&doc(term), key, key as i64, day);
        }
        story.copies.push((9, 2));
        // The sketch keeps the founder and the latest two; 2 and 3 were dropped.
        assert_eq!(story.sketch.members().collect::<Vec<_>>(), [1, 4, 5]);
        assert_eq!(
            story.past.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            [2, 3]
        );
        let past: IdSet = [2, 3].into_iter().collect();
        let name = |k: u64| Some(format!("a{k}"));
        let other = story.split_off(&[1], &past, "t".into(), 10, day, name);
        assert_eq!(other.sketch.members().collect::<Vec<_>>(), [4]);
        assert_eq!(other.past.len(), 2);
        assert_eq!(other.copies, [(9, 2)], "the copy goes with its original");
        assert_eq!(other.originals, 3);
        assert_eq!(story.originals, 2);
        assert!(story.past.is_empty() && story.copies.is_empty());
        assert_eq!(story.sketch.members().collect::<Vec<_>>(), [1, 5]);
    }
}
