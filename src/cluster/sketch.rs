//! The members a story keeps to score new articles against, and the similarity of two
//! articles: the innermost loop of the engine.
//!
//! A story's sketch stores its members' vectors end to end in one buffer, so scoring an
//! article against a story walks one block of memory instead of chasing a pointer per
//! member; the article itself is laid out once as probe tables ([`Query`]).

use super::EngineConfig;
use super::hashing::Feature;
use super::tokenize::{Count, is_name};
use super::vectors::{Probe, SparseVec, common, dot};

/// The signal vectors of one article.
#[derive(Debug, Clone, Default)]
pub(crate) struct DocVectors {
    /// TF-IDF of the title (counted twice) with the lead.
    pub text: SparseVec,
    /// TF-IDF of the entity-like phrases.
    pub entities: SparseVec,
    /// The single-word names among them that stand only as words of longer names, sorted
    /// (see [`super::tokenize::Features::name_parts`]).
    pub name_parts: Vec<Feature>,
    /// How much the text says: the number of distinct content terms.
    pub terms: usize,
    /// Whether its title says something beside when it was written (a headline can be
    /// shown).
    pub titled: bool,
    /// Years the text names, sorted and distinct.
    pub years: Vec<u16>,
    /// Counts the text gives, (term, number), sorted and distinct.
    pub quantities: Vec<Count>,
}

impl DocVectors {
    /// The article as a member is seen when scored.
    fn view(&self) -> View<'_> {
        View {
            text: &self.text.0,
            entities: &self.entities.0,
            years: &self.years,
            quantities: &self.quantities,
        }
    }

    /// An article with the given text features (normalized) and years, and nothing else.
    #[cfg(test)]
    pub fn of_text(text: &[(Feature, f32)], years: &[u16]) -> Self {
        DocVectors {
            text: SparseVec::normalized(text.to_vec()),
            entities: SparseVec::default(),
            name_parts: Vec::new(),
            terms: text.len(),
            titled: true,
            years: years.to_vec(),
            quantities: Vec::new(),
        }
    }
}

/// An article laid out for scoring against many members.
pub(crate) struct Query<'a> {
    /// The article's vectors.
    pub v: &'a DocVectors,
    probes: Probes,
}

/// One article's text and entity features laid out as probe tables; kept between articles
/// (and between members in a split check) so that laying the next one out allocates
/// nothing.
#[derive(Debug, Default)]
pub(crate) struct Probes {
    text: Probe,
    entities: Probe,
}

impl Probes {
    /// Lays out another article's features in these tables.
    fn fill(&mut self, text: &[(Feature, f32)], entities: &[(Feature, f32)]) {
        self.text.fill(text);
        self.entities.fill(entities);
    }

    /// The similarity of the article laid out here, `a`, to `b`.
    fn score(&self, a: &View, b: &View, config: &EngineConfig) -> f32 {
        blend(
            self.text.dot(b.text),
            || self.entities.dot(b.entities),
            a,
            b,
            config,
        )
    }
}

impl<'a> Query<'a> {
    /// Builds the probe tables of an article.
    pub fn new(v: &'a DocVectors) -> Self {
        Self::reusing(v, Probes::default())
    }

    /// Builds the probe tables of an article in the memory of earlier ones.
    pub fn reusing(v: &'a DocVectors, mut probes: Probes) -> Self {
        probes.fill(&v.text.0, &v.entities.0);
        Query { v, probes }
    }

    /// Gives the probe tables back for the next article.
    pub fn into_probes(self) -> Probes {
        self.probes
    }

    /// The article's similarity to one member.
    fn score(&self, m: &View, config: &EngineConfig) -> f32 {
        self.probes.score(&self.v.view(), m, config)
    }
}

/// Where one member's features sit in the sketch's buffer, and the rest of what it keeps
/// (a window holds a slot per kept member, so in the slimmest owned forms: 80 bytes).
#[derive(Debug, Clone)]
struct Slot {
    /// Its text features are `feats[start..split]`, its entity features after them, and the
    /// last `parts` features of `feats[split..end]` its names that stand only as words of
    /// longer names (with no weight).
    start: u32,
    split: u32,
    end: u32,
    /// Its distinct content terms (at most `u16::MAX` counted).
    terms: u16,
    /// Whether its title says something beside when it was written.
    titled: bool,
    /// How many of its names stand only as words of longer names (at most `u8::MAX` kept).
    parts: u8,
    years: Box<[u16]>,
    quantities: Box<[Count]>,
    /// The member's article key in the engine.
    member: u64,
    /// Its place in the order of pushes (the founder is 0).
    seq: u64,
    /// Its similarities to the members kept when it joined (founder first, then the
    /// others in order), as scored to decide that it joins; empty when not known, and
    /// emptied once a split check has taken them.
    known: Box<[f32]>,
}
const _: () = assert!(std::mem::size_of::<Slot>() <= 80);

impl Slot {
    /// Where its text features sit in the buffer.
    fn text(&self) -> std::ops::Range<usize> {
        self.start as usize..self.split as usize
    }

    /// Where its entity features sit in the buffer.
    fn entities(&self) -> std::ops::Range<usize> {
        self.split as usize..self.end as usize - usize::from(self.parts)
    }

    /// Where its names that stand only as words of longer names sit in the buffer.
    fn name_parts(&self) -> std::ops::Range<usize> {
        self.end as usize - usize::from(self.parts)..self.end as usize
    }

    /// How many features it has in the buffer.
    fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
}

/// Where the pair of members `x < y` of `n` sits among the pairs above the diagonal of
/// their similarity matrix, row by row.
fn upper(x: usize, y: usize, n: usize) -> usize {
    debug_assert!(x < y && y < n);
    x * (2 * n - x - 1) / 2 + (y - x - 1)
}

/// One member as stored: its text and entity features, its years and its counts.
struct View<'a> {
    text: &'a [(Feature, f32)],
    entities: &'a [(Feature, f32)],
    years: &'a [u16],
    quantities: &'a [Count],
}

/// Up to `cap` members: the founder first, then the latest.
#[derive(Debug, Clone)]
pub(crate) struct Sketch {
    /// Members' features end to end; dropped members leave holes until the next compaction.
    feats: Vec<(Feature, f32)>,
    slots: Vec<Slot>,
    cap: usize,
    /// Features in `feats` that belong to no member any more.
    dead: usize,
    /// The members at the last [`Sketch::pairwise`] and their similarities (the pairs
    /// above the diagonal, row-major: see [`upper`]): the members still kept at the next
    /// call need not be compared again.
    last_pairs: (Vec<u64>, Vec<f32>),
    /// Members pushed so far (the next member's `seq`).
    pushes: u64,
}

impl Sketch {
    /// An empty sketch keeping at most `cap` members (at least 2).
    pub fn new(cap: usize) -> Self {
        Sketch {
            feats: Vec::new(),
            slots: Vec::new(),
            cap: cap.max(2),
            dead: 0,
            last_pairs: (Vec::new(), Vec::new()),
            pushes: 0,
        }
    }

    /// Number of members kept.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Adds a member, dropping the oldest one after the founder when full; returns the
    /// dropped member's key and vectors.
    pub fn push(&mut self, v: &DocVectors, member: u64) -> Option<(u64, DocVectors)> {
        self.push_scored(v, member, Vec::new())
    }

    /// [`Sketch::push`] for a member whose similarities to every member (founder first, as
    /// [`Sketch::similarities`] gives them) were scored when it joined: the next split
    /// check takes them instead of comparing the pairs again.
    pub fn push_scored(
        &mut self,
        v: &DocVectors,
        member: u64,
        mut known: Vec<f32>,
    ) -> Option<(u64, DocVectors)> {
        if known.len() != self.slots.len() || !self.contiguous() {
            known = Vec::new();
        }
        let mut dropped = None;
        if self.slots.len() >= self.cap {
            dropped = Some((self.slots[1].member, self.vectors(1)));
            let gone = self.slots.remove(1);
            self.dead += gone.len();
            // Compacting only once a third of the buffer is holes costs a bounded number of
            // copies per feature, where closing each hole at once moved the whole buffer.
            if 2 * self.dead > self.feats.len() - self.dead {
                self.compact();
            }
        }
        // A buffer past 2^32 features would be 48 members of 90 million words each.
        let start = self.feats.len() as u32;
        self.feats.extend_from_slice(&v.text.0);
        let split = self.feats.len() as u32;
        self.feats.extend_from_slice(&v.entities.0);
        let parts = &v.name_parts[..v.name_parts.len().min(usize::from(u8::MAX))];
        self.feats.extend(parts.iter().map(|p| (*p, 0.0)));
        self.slots.push(Slot {
            start,
            split,
            end: self.feats.len() as u32,
            terms: u16::try_from(v.terms).unwrap_or(u16::MAX),
            titled: v.titled,
            parts: parts.len() as u8,
            years: v.years.as_slice().into(),
            quantities: v.quantities.as_slice().into(),
            member,
            seq: self.pushes,
            known: known.into_boxed_slice(),
        });
        self.pushes += 1;
        dropped
    }

    /// Whether the members after the founder were pushed one after another (a sketch only
    /// ever drops its oldest member after the founder, so they always are): then a
    /// member's `seq` says where it stood in a later member's `known`.
    fn contiguous(&self) -> bool {
        match (self.slots.get(1), self.slots.last()) {
            (Some(first), Some(last)) => {
                last.seq - first.seq == (self.slots.len() - 2) as u64 && last.seq + 1 == self.pushes
            }
            _ => true,
        }
    }

    /// The similarity of member `j` to the earlier member `i`, if `j` was scored against
    /// it when it joined.
    fn known(&self, i: usize, j: usize) -> Option<f32> {
        let (a, b) = (&self.slots[i], &self.slots[j]);
        if i == 0 || b.known.is_empty() {
            return b.known.first().copied();
        }
        // `b.known[1]` is the member that stood after the founder when `b` joined: the one
        // pushed `b.known.len() - 1` pushes before `b`.
        let first = b.seq.checked_sub(b.known.len() as u64 - 1)?;
        let at = 1 + a.seq.checked_sub(first)? as usize;
        b.known.get(at).copied()
    }

    /// Moves the members' features together again, in member order, dropping the holes.
    fn compact(&mut self) {
        // Slots lie in the buffer in member order, so copying each down in place is safe.
        let mut at = 0;
        for s in &mut self.slots {
            self.feats
                .copy_within(s.start as usize..s.end as usize, at as usize);
            s.split = at + (s.split - s.start);
            s.end = at + (s.end - s.start);
            s.start = at;
            at = s.end;
        }
        self.feats.truncate(at as usize);
        self.dead = 0;
    }

    /// Adds every member of another sketch (a merge), oldest first; returns the members
    /// dropped to make room.
    pub fn extend(&mut self, other: &Sketch) -> Vec<(u64, DocVectors)> {
        let mut dropped = Vec::new();
        for (i, s) in other.slots.iter().enumerate() {
            dropped.extend(self.push(&other.vectors(i), s.member));
        }
        dropped
    }

    /// The article's similarity to each member, founder first.
    pub fn similarities(&self, q: &Query, config: &EngineConfig) -> Vec<f32> {
        self.views().map(|m| q.score(&m, config)).collect()
    }

    /// Whether one of the `k` members most similar to the article (by `sims`, as
    /// [`Sketch::similarities`] gives them) names other years or counts than it does: then
    /// the story may be a look-alike of the article's event.
    pub fn contradicts(
        &self,
        v: &DocVectors,
        sims: &[f32],
        k: usize,
        config: &EngineConfig,
    ) -> bool {
        if v.years.is_empty() && v.quantities.is_empty() {
            return false;
        }
        let article = v.view();
        closest(sims, k).any(|i| discord(&article, &self.view(i), config) < 1.0)
    }

    /// Whether one of the `k` members most similar to the article (by `sims`) shares with it
    /// more than one content term, or a name: a single common word ("delivery", "best",
    /// "84") is chance as often as it is one event, and so is a word of two different names
    /// ("American" of "American Eagle" and of "American Airlines").
    pub fn corroborates(&self, v: &DocVectors, sims: &[f32], k: usize) -> bool {
        let vouches = |i: usize| {
            let m = self.view(i);
            let parts = &self.feats[self.slots[i].name_parts()];
            let part_of_both = |e: Feature| {
                v.name_parts.binary_search(&e).is_ok()
                    && parts.binary_search_by_key(&e, |(p, _)| *p).is_ok()
            };
            common(&v.text.0, m.text).nth(1).is_some()
                || common(&v.entities.0, m.entities).any(|(e, ..)| is_name(e) && !part_of_both(e))
        };
        // The closest member vouches for nearly every article that reaches a story's bar:
        // the others are ranked only when it does not.
        closest(sims, 1).any(vouches) || closest(sims, k).skip(1).any(vouches)
    }

    /// The article keys of the members, founder first.
    pub fn members(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots.iter().map(|s| s.member)
    }

    /// The vectors of member `i`.
    pub fn vectors(&self, i: usize) -> DocVectors {
        let s = &self.slots[i];
        DocVectors {
            text: SparseVec(self.feats[s.text()].to_vec()),
            entities: SparseVec(self.feats[s.entities()].to_vec()),
            name_parts: self.feats[s.name_parts()].iter().map(|(p, _)| *p).collect(),
            terms: usize::from(s.terms),
            titled: s.titled,
            years: s.years.to_vec(),
            quantities: s.quantities.to_vec(),
        }
    }

    /// The members' distinct content terms, founder first.
    pub fn terms(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots.iter().map(|s| usize::from(s.terms))
    }

    /// Similarities of every pair of members, row-major (1 on the diagonal). Pairs of
    /// members that were both kept at the last call are taken from it, and a member's
    /// pairs with the members it was scored against when it joined from that scoring; the
    /// rest are compared as that scoring would have (the later member as the probe).
    pub fn pairwise(&mut self, config: &EngineConfig) -> Vec<f32> {
        let (before, old_sims) = std::mem::take(&mut self.last_pairs);
        let was = |k: u64| before.iter().position(|b| *b == k);
        let old: Vec<Option<usize>> = self.members().map(was).collect();
        let (m, n) = (self.slots.len(), before.len());
        let mut out = vec![1.0; m * m];
        // One member at a time laid out as probe tables, dotted with the earlier members not
        // known otherwise (the same tables, refilled for each member).
        let mut probes = Probes::default();
        let views: Vec<View> = self.views().collect();
        for j in 0..m {
            let b = &views[j];
            let mut filled = false;
            for i in 0..j {
                let before = match (old[i], old[j]) {
                    (Some(x), Some(y)) => Some(old_sims[upper(x, y, n)]),
                    _ => self.known(i, j),
                };
                let s = before.unwrap_or_else(|| {
                    if !filled {
                        probes.fill(b.text, b.entities);
                        filled = true;
                    }
                    probes.score(b, &views[i], config)
                });
                out[i * m + j] = s;
                out[j * m + i] = s;
            }
        }
        drop(views);
        // What the members were scored against is in the table now.
        self.slots.iter_mut().for_each(|s| s.known = Box::default());
        let kept = (0..m).flat_map(|i| (i + 1..m).map(move |j| (i, j)));
        self.last_pairs = (
            self.members().collect(),
            kept.map(|(i, j)| out[i * m + j]).collect(),
        );
        out
    }

    /// Moves the members at the given positions (ascending) into a new sketch of the same
    /// capacity, keeping their order.
    pub fn split_off(&mut self, positions: &[usize]) -> Sketch {
        let mut moved = Sketch::new(self.cap);
        let mut kept = Sketch::new(self.cap);
        for i in 0..self.slots.len() {
            let target = if positions.binary_search(&i).is_ok() {
                &mut moved
            } else {
                &mut kept
            };
            // Never full: both halves have the capacity of the whole.
            let _ = target.push(&self.vectors(i), self.slots[i].member);
        }
        *self = kept;
        moved
    }

    fn views(&self) -> impl Iterator<Item = View<'_>> {
        (0..self.slots.len()).map(|i| self.view(i))
    }

    /// Member `i` as it is scored.
    fn view(&self, i: usize) -> View<'_> {
        let s = &self.slots[i];
        View {
            text: &self.feats[s.text()],
            entities: &self.feats[s.entities()],
            years: &s.years,
            quantities: &s.quantities,
        }
    }

    /// The mean of the article's `k` best member similarities (over fewer members when
    /// the sketch is smaller).
    #[cfg(test)]
    pub fn top_k(&self, q: &Query, config: &EngineConfig) -> f32 {
        top_k(&self.similarities(q, config), config.top_k)
    }

    /// Average similarity of the pairs among the latest `last` members (`None` with fewer
    /// than two): how closely the story holds together.
    pub fn cohesion(&self, last: usize, config: &EngineConfig) -> Option<f32> {
        let views: Vec<View> = self
            .views()
            .skip(self.slots.len().saturating_sub(last))
            .collect();
        let (mut sum, mut pairs) = (0.0, 0usize);
        for (i, a) in views.iter().enumerate() {
            for b in &views[i + 1..] {
                sum += between(a, b, config);
                pairs += 1;
            }
        }
        (pairs > 0).then(|| sum / pairs as f32)
    }

    /// Average link between the latest `last` members of two sketches.
    pub fn link(&self, other: &Sketch, last: usize, config: &EngineConfig) -> f32 {
        let skip = |s: &Sketch| s.slots.len().saturating_sub(last);
        let (mut sum, mut pairs) = (0.0, 0usize);
        for a in self.views().skip(skip(self)) {
            for b in other.views().skip(skip(other)) {
                sum += between(&a, &b, config);
                pairs += 1;
            }
        }
        if pairs == 0 { 0.0 } else { sum / pairs as f32 }
    }
}

/// The mean of the `k` best of an article's member similarities (over fewer members when
/// there are fewer).
pub(crate) fn top_k(sims: &[f32], k: usize) -> f32 {
    let best = closest(sims, k);
    let n = best.len().max(1);
    best.map(|i| sims[i]).sum::<f32>() / n as f32
}

/// The `k` members (at most 8) most similar to an article, by `sims` (one per member, as
/// [`Sketch::similarities`] gives them; never NaN), most similar first (ties: the first
/// member).
fn closest(sims: &[f32], k: usize) -> impl ExactSizeIterator<Item = usize> {
    let mut best = [(0, 0.0f32); 8];
    let k = k.clamp(1, best.len());
    let mut n = 0;
    for (i, &s) in sims.iter().enumerate() {
        // Most members are no closer than the last kept: one comparison turns them away.
        if n == k && s <= best[k - 1].1 {
            continue;
        }
        // The new one takes the first free place, or the last kept one's, and moves up.
        let mut at = n.min(k - 1);
        while at > 0 && s > best[at - 1].1 {
            best[at] = best[at - 1];
            at -= 1;
        }
        best[at] = (i, s);
        n = (n + 1).min(k);
    }
    best.into_iter().take(n).map(|(i, _)| i)
}

/// Similarity of two stored members, neither laid out as a [`Query`].
fn between(a: &View, b: &View, config: &EngineConfig) -> f32 {
    blend(
        dot(a.text, b.text),
        || dot(a.entities, b.entities),
        a,
        b,
        config,
    )
}

/// Similarity of two articles `a` and `b` from their text cosine: blended with their
/// entity cosine when both have entities (an empty entity vector says nothing either way),
/// and scaled by what their particulars say against one event (see [`discord`]).
fn blend(
    text: f32,
    entities: impl FnOnce() -> f32,
    a: &View,
    b: &View,
    config: &EngineConfig,
) -> f32 {
    let sim = if !a.entities.is_empty() && !b.entities.is_empty() {
        let w = config.entity_weight;
        (1.0 - w) * text + w * entities()
    } else {
        text
    };
    sim * discord(a, b, config)
}

/// The factor by which two articles' particulars lower their similarity: `year_factor`
/// when both name years and none in common (an event of one year is not one of another),
/// times `quantity_factor` when both count the same thing and agree on no count (23 pirates
/// caught is not 26 pirates caught, a magnitude 4.4 quake not one of 4.6).
fn discord(a: &View, b: &View, config: &EngineConfig) -> f32 {
    let mut factor = 1.0;
    if years_differ(a.years, b.years) {
        factor *= config.year_factor;
    }
    if counts_differ(a.quantities, b.quantities) {
        factor *= config.quantity_factor;
    }
    factor
}

/// Whether both name years and share none (both sorted).
fn years_differ(a: &[u16], b: &[u16]) -> bool {
    !a.is_empty() && !b.is_empty() && !a.iter().any(|y| b.binary_search(y).is_ok())
}

/// Whether two lists of counts (sorted by thing counted) count a thing in common and share
/// no count at all.
fn counts_differ(a: &[Count], b: &[Count]) -> bool {
    let mut same_thing = false;
    for q in a {
        let theirs = &b[b.partition_point(|r| r.0 < q.0)..];
        let mut theirs = theirs.iter().take_while(|r| r.0 == q.0).peekable();
        if theirs.peek().is_some() {
            same_thing = true;
        }
        if theirs.any(|r| r.1 == q.1) {
            return false;
        }
    }
    same_thing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::tokenize::NUMBER;

    fn doc(text: &[(Feature, f32)], years: &[u16]) -> DocVectors {
        DocVectors::of_text(text, years)
    }

    #[test]
    fn the_closest_members_are_the_heaviest_similarities_first_of_equals_first() {
        let sims = [0.2, 0.5, 0.2, 0.9, 0.5, 0.0];
        for k in 1..=7 {
            let mut expected: Vec<(usize, f32)> = sims.iter().copied().enumerate().collect();
            crate::cluster::vectors::heaviest_first(&mut expected, k);
            let got: Vec<usize> = closest(&sims, k).collect();
            let want: Vec<usize> = expected.iter().map(|(i, _)| *i).collect();
            assert_eq!(got, want, "k = {k}");
        }
        assert_eq!(closest(&[], 3).count(), 0);
    }

    #[test]
    fn two_words_or_a_name_in_common_corroborate_one_word_does_not() {
        let name = 0x1234;
        let mut sketch = Sketch::new(8);
        let member = DocVectors {
            entities: SparseVec(vec![(name, 1.0)]),
            ..doc(&[(100, 1.0), (200, 1.0), (300, 1.0)], &[])
        };
        let _ = sketch.push(&member, 1);
        let _ = sketch.push(&doc(&[(400, 1.0), (500, 1.0)], &[]), 2);
        let one_word = doc(&[(100, 1.0), (900, 1.0)], &[]);
        let two_words = doc(&[(100, 1.0), (300, 1.0)], &[]);
        assert!(!sketch.corroborates(&one_word, &[0.3, 0.0], 3));
        assert!(sketch.corroborates(&two_words, &[0.3, 0.0], 3));
        // The second member shares both words: it vouches when it is among the k closest.
        let with_second = doc(&[(400, 1.0), (500, 1.0)], &[]);
        assert!(sketch.corroborates(&with_second, &[0.9, 0.1], 2));
        assert!(!sketch.corroborates(&with_second, &[0.9, 0.1], 1));
        let named = DocVectors {
            entities: SparseVec(vec![(name, 1.0)]),
            ..one_word.clone()
        };
        assert!(sketch.corroborates(&named, &[0.3, 0.0], 3));
        let number = DocVectors {
            entities: SparseVec(vec![(name | NUMBER, 1.0)]),
            ..one_word
        };
        assert!(!sketch.corroborates(&number, &[0.3, 0.0], 3));
    }

    #[test]
    fn a_word_of_two_different_names_does_not_corroborate() {
        // "american": a word of "American Eagle" in the member, of "American Airlines" in
        // the article; each run has other words the other lacks.
        let (american, eagle, airlines) = (0x100, 0x200, 0x300);
        let mut sketch = Sketch::new(8);
        let member = DocVectors {
            entities: SparseVec(vec![(american, 0.5), (eagle, 0.5)]),
            name_parts: vec![american, eagle],
            ..doc(&[(100, 1.0), (200, 1.0)], &[])
        };
        let _ = sketch.push(&member, 1);
        assert_eq!(sketch.vectors(0).name_parts, [american, eagle], "kept");
        let article = DocVectors {
            entities: SparseVec(vec![(american, 0.5), (airlines, 0.5)]),
            name_parts: vec![american, airlines],
            ..doc(&[(100, 1.0), (900, 1.0)], &[])
        };
        assert!(!sketch.corroborates(&article, &[0.3], 3));
        // Where the article names it alone ("American shares fell"), it is a name.
        let alone = DocVectors {
            name_parts: vec![airlines],
            ..article.clone()
        };
        assert!(sketch.corroborates(&alone, &[0.3], 3));
        // And so it is where the member does: the parts are kept with its features, after
        // its entities, which score as before.
        let mut other = Sketch::new(8);
        let named = DocVectors {
            name_parts: Vec::new(),
            ..member
        };
        let _ = other.push(&named, 1);
        assert!(other.corroborates(&article, &[0.3], 3));
        let config = EngineConfig::default();
        let q = Query::new(&article);
        assert_eq!(
            sketch.similarities(&q, &config),
            other.similarities(&q, &config)
        );
    }

    #[test]
    fn only_the_closest_members_can_contradict_an_article() {
        let config = EngineConfig::default();
        let mut sketch = Sketch::new(8);
        for (key, year) in [(1, 2008), (2, 2013), (3, 2013), (4, 2013)] {
            let _ = sketch.push(&doc(&[(100, 1.0)], &[year]), key);
        }
        let article = doc(&[(100, 1.0)], &[2013]);
        // The 2008 member is among the two closest: it contradicts the article's year.
        assert!(sketch.contradicts(&article, &[0.9, 0.8, 0.2, 0.1], 2, &config));
        // It is not: the closest agree.
        assert!(!sketch.contradicts(&article, &[0.1, 0.8, 0.9, 0.2], 2, &config));
        // An article that names no year or count is contradicted by none.
        let plain = doc(&[(100, 1.0)], &[]);
        assert!(!sketch.contradicts(&plain, &[0.9, 0.8, 0.2, 0.1], 2, &config));
    }

    #[test]
    fn keeps_the_founder_and_the_latest_and_scores_the_best_members() {
        let config = EngineConfig {
            top_k: 1,
            ..EngineConfig::default()
        };
        let mut s = Sketch::new(3);
        for k in 1..=5u32 {
            let _ = s.push(&doc(&[(k, 1.0)], &[]), u64::from(k));
        }
        assert_eq!(s.len(), 3);
        let probe = |k: Feature| s.top_k(&Query::new(&doc(&[(k, 1.0)], &[])), &config);
        // Kept: 1 (founder), 4, 5; members 2 and 3 were dropped.
        assert_eq!(
            [probe(1), probe(2), probe(3), probe(5)],
            [1.0, 0.0, 0.0, 1.0]
        );
    }

    #[test]
    fn pairs_above_the_diagonal_are_numbered_row_by_row() {
        for n in 2..7 {
            let got: Vec<usize> = (0..n)
                .flat_map(|x| (x + 1..n).map(move |y| upper(x, y, n)))
                .collect();
            assert_eq!(got, (0..n * (n - 1) / 2).collect::<Vec<_>>(), "n {n}");
        }
    }

    #[test]
    fn split_checks_take_the_similarities_scored_at_joining() {
        let config = EngineConfig::default();
        let mut s = Sketch::new(3);
        // Members 1..=5 share nothing, so any pair compared afresh scores 0; the
        // similarities given at joining are marked `j.i` (member j against member i).
        let _ = s.push(&doc(&[(1, 1.0)], &[]), 1);
        let _ = s.push_scored(&doc(&[(2, 1.0)], &[]), 2, vec![2.1]);
        let _ = s.push_scored(&doc(&[(3, 1.0)], &[]), 3, vec![3.1, 3.2]);
        // Full: member 2 leaves as 4 joins.
        let _ = s.push_scored(&doc(&[(4, 1.0)], &[]), 4, vec![4.1, 4.2, 4.3]);
        assert_eq!(s.members().collect::<Vec<_>>(), [1, 3, 4]);
        let pairs = |s: &mut Sketch| {
            let p = s.pairwise(&config);
            [p[1], p[2], p[5]]
        };
        assert_eq!(pairs(&mut s), [3.1, 4.1, 4.3]);
        // Member 3 leaves as 5 joins; 1-4 comes from the last check.
        let _ = s.push_scored(&doc(&[(5, 1.0)], &[]), 5, vec![5.1, 5.3, 5.4]);
        assert_eq!(pairs(&mut s), [4.1, 5.1, 5.4]);
        // Scores that do not match the members are not taken: the pair is compared.
        let _ = s.push_scored(&doc(&[(6, 1.0)], &[]), 6, vec![6.1]);
        assert_eq!(pairs(&mut s), [5.1, 0.0, 0.0]);
    }

    #[test]
    fn other_years_weigh_less() {
        let config = EngineConfig::default();
        let mut s = Sketch::new(4);
        let _ = s.push(&doc(&[(1, 1.0)], &[2013]), 1);
        let same = s.top_k(&Query::new(&doc(&[(1, 1.0)], &[2013, 2014])), &config);
        let other = s.top_k(&Query::new(&doc(&[(1, 1.0)], &[2009])), &config);
        assert!((same - 1.0).abs() < 1e-6);
        assert!((other - config.year_factor).abs() < 1e-6);
    }

    #[test]
    fn other_counts_of_the_same_thing_weigh_less() {
        let config = EngineConfig::default();
        let counted = |quantities: &[Count]| DocVectors {
            quantities: quantities.to_vec(),
            ..doc(&[(1, 1.0)], &[])
        };
        let mut s = Sketch::new(4);
        // 23 of thing 7 and 5 of thing 8.
        let _ = s.push(&counted(&[(7, 23), (8, 5)]), 1);
        let score = |q: &[Count]| s.top_k(&Query::new(&counted(q)), &config);
        assert!((score(&[(7, 23)]) - 1.0).abs() < 1e-6, "the same count");
        assert!(
            (score(&[(8, 5), (7, 26)]) - 1.0).abs() < 1e-6,
            "one count agrees"
        );
        assert!((score(&[(9, 26)]) - 1.0).abs() < 1e-6, "another thing");
        assert!((score(&[]) - 1.0).abs() < 1e-6, "no count");
        let other = score(&[(7, 26)]);
        assert!((other - config.quantity_factor).abs() < 1e-6, "{other}");
    }
}
