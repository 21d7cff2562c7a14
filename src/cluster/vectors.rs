//! Sparse TF-IDF vectors, decaying story centroids and decaying document frequencies.
//!
//! Everything that weighs terms lives here. Times are seconds on the engine's own clock;
//! decay is exponential with a half-life, applied lazily through a scale factor so that an
//! update costs as much as the article's terms, not the story's.

use super::hashing::Feature;
use super::table::TermTable;

/// The order heaviest first (ties: smaller id); total, so selecting the `n` first and
/// sorting only those matches a full sort.
fn heaviest<K: Ord>(a: &(K, f32), b: &(K, f32)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// Whether `a` comes before `b` heaviest first.
fn heavier<K: Ord>(a: &(K, f32), b: &(K, f32)) -> bool {
    heaviest(a, b).is_lt()
}

/// Up to this many kept, [`heaviest_first`] keeps them in one pass over the items: most are
/// lighter than the lightest kept, which one comparison tells.
const FEW: usize = 16;

/// Keeps the `n` heaviest of `items`, heaviest first (ties: smaller id).
pub(crate) fn heaviest_first<K: Ord + Copy>(items: &mut Vec<(K, f32)>, n: usize) {
    if items.len() <= n {
        items.sort_unstable_by(heaviest);
    } else if n <= FEW {
        items[..n].sort_unstable_by(heaviest);
        for i in n..items.len() {
            let item = items[i];
            if n > 0 && heavier(&item, &items[n - 1]) {
                let at = items[..n].partition_point(|kept| heavier(kept, &item));
                items.copy_within(at..n - 1, at + 1);
                items[at] = item;
            }
        }
        items.truncate(n);
    } else {
        items.select_nth_unstable_by(n - 1, heaviest);
        items.truncate(n);
        items.sort_unstable_by(heaviest);
    }
}

/// Offers one more item to `kept`, the `n` heaviest offered so far, heaviest first (ties:
/// smaller id): it takes its place among them if it is one of the `n` heaviest now.
pub(crate) fn offer_heaviest<K: Ord>(kept: &mut Vec<(K, f32)>, n: usize, item: (K, f32)) {
    let at = kept.partition_point(|k| heavier(k, &item));
    if at < n {
        kept.truncate(n - 1);
        kept.insert(at, item);
    }
}

/// `2^(-dt / half_life)`, with no decay for time running backwards.
fn decay(dt: i64, half_life: f64) -> f64 {
    if dt <= 0 || half_life <= 0.0 {
        1.0
    } else {
        (-(dt as f64) / half_life * std::f64::consts::LN_2).exp()
    }
}

/// An L2-normalized sparse vector, sorted by feature id.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SparseVec(pub Vec<(Feature, f32)>);

impl SparseVec {
    /// Builds a unit vector from weighted features (repeats add up); empty stays empty.
    #[cfg(test)]
    pub fn normalized(items: Vec<(Feature, f32)>) -> Self {
        Self::unit(feature_counts(items))
    }

    /// Builds a unit vector from features already sorted and distinct; empty stays empty.
    fn unit(mut items: Vec<(Feature, f32)>) -> Self {
        debug_assert!(items.windows(2).all(|p| p[0].0 < p[1].0));
        let norm = items.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            items.iter_mut().for_each(|(_, w)| *w /= norm);
        } else {
            items.clear();
        }
        SparseVec(items)
    }

    /// The dot product with another sorted vector.
    #[cfg(test)]
    pub fn dot(&self, other: &SparseVec) -> f32 {
        dot(&self.0, &other.0)
    }
}

/// The dot product of two feature lists sorted by id.
pub(crate) fn dot(a: &[(Feature, f32)], b: &[(Feature, f32)]) -> f32 {
    common(a, b).fold(0.0, |sum, (_, x, y)| sum + x * y)
}

/// The features two lists sorted by id have in common, in order, with their weight in each.
pub(crate) fn common<'a>(
    a: &'a [(Feature, f32)],
    b: &'a [(Feature, f32)],
) -> impl Iterator<Item = (Feature, f32, f32)> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let pair = (a[i].0, a[i].1, b[j].1);
                    i += 1;
                    j += 1;
                    return Some(pair);
                }
            }
        }
        None
    })
}

/// A sparse vector laid out for many dot products against others: a table with room for
/// eight times its features, indexed directly by bits of the feature hash, so that each
/// feature of the other vector costs one load and one compare, with no branch to mispredict
/// on whether it is shared (about a third are, for two articles on one event).
#[derive(Debug, Default)]
pub(crate) struct Probe {
    /// Feature and weight per slot (feature 0: empty); the first `mask + 1` are in use.
    table: Vec<(Feature, f32)>,
    mask: usize,
    /// Slots taken, to clear them when the probe is refilled.
    used: Vec<usize>,
    /// Features whose slot another feature already held (rare), looked up one by one.
    spill: Vec<(Feature, f32)>,
    /// Bit `slot % 64` set for every spilled feature's slot.
    spilled: u64,
}

/// The slot of a feature in a table of `mask + 1` slots.
fn slot(k: Feature, mask: usize) -> usize {
    (k >> 8) as usize & mask
}

impl Probe {
    /// The table of a vector (a feature hashed to 0 is left out: it marks empty slots).
    #[cfg(test)]
    pub fn new(v: &[(Feature, f32)]) -> Self {
        let mut probe = Probe::default();
        probe.fill(v);
        probe
    }

    /// Lays out another vector in this probe, reusing its memory.
    pub fn fill(&mut self, v: &[(Feature, f32)]) {
        let size = (v.len() * 8).next_power_of_two().clamp(16, 1024);
        // A table at least this large is reused: only its first `size` slots are used.
        if size > self.table.len() {
            self.table = vec![(0, 0.0); size];
        } else {
            self.used.iter().for_each(|i| self.table[*i] = (0, 0.0));
        }
        self.mask = size - 1;
        self.used.clear();
        self.used.reserve(v.len());
        self.spill.clear();
        self.spilled = 0;
        for &(k, w) in v.iter().filter(|(k, _)| *k != 0) {
            let i = slot(k, self.mask);
            if self.table[i].0 == 0 {
                self.table[i] = (k, w);
                self.used.push(i);
            } else {
                self.spill.push((k, w));
                self.spilled |= 1 << (i % 64);
            }
        }
    }

    /// The dot product with another vector.
    pub fn dot(&self, other: &[(Feature, f32)]) -> f32 {
        // Slicing to `mask + 1` lets the compiler see that `i & mask` is always in bounds.
        let table = &self.table[..=self.mask];
        // Weights are never negative, so adding 0 for a miss leaves the sum as it was (the
        // same sum, term for term, as adding the hits alone). The product is masked, not
        // chosen by a branch: about a third of the features hit, at random.
        let hit = |k: Feature, w: f32, (key, x): (Feature, f32)| {
            let keep = u32::from(key == k).wrapping_neg();
            f32::from_bits((w * x).to_bits() & keep)
        };
        let mut sum = 0.0;
        if self.spilled == 0 {
            // Most tables hold every feature in its own slot: no spill to ask.
            for &(k, w) in other {
                sum += hit(k, w, table[slot(k, self.mask) & self.mask]);
            }
            return sum;
        }
        for &(k, w) in other {
            let i = slot(k, self.mask);
            let entry = table[i & self.mask];
            sum += hit(k, w, entry);
            if entry.0 != k && self.spilled & (1 << (i % 64)) != 0 {
                if let Some((_, x)) = self.spill.iter().find(|(s, _)| *s == k) {
                    sum += w * x;
                }
            }
        }
        sum
    }
}

/// Terms a story centroid keeps (it is pruned back to these when it has twice as many).
const CENTROID_TERMS: usize = 256;

/// The decayed sum of its members' vectors: what a story is about, recent members first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Centroid {
    /// Weights in stored units; the real weight is `stored * scale`.
    terms: TermTable,
    /// One bit per term (see [`TermFilter`]): a cosine looks up only the article's terms
    /// whose bit is set, sparing a cache miss in `terms` for most of the others.
    filter: TermFilter,
    /// Squared norm in stored units.
    norm2: f64,
    scale: f64,
    /// When `scale` was last brought up to date.
    at: i64,
}

impl Centroid {
    /// Brings the scale to time `now` under the given half-life.
    fn age(&mut self, now: i64, half_life: f64) {
        if self.terms.is_empty() {
            self.scale = 1.0;
        } else {
            self.scale *= decay(now - self.at, half_life);
        }
        self.at = self.at.max(now);
        if self.scale < 1e-6 {
            // Fold the scale in before it underflows.
            let s = self.scale as f32;
            self.terms.scale(s);
            self.norm2 *= self.scale * self.scale;
            self.scale = 1.0;
        }
    }

    /// Adds `weight * v` at time `now`, after decaying what was there.
    pub fn add(&mut self, v: &SparseVec, weight: f32, now: i64, half_life: f64) {
        self.age(now, half_life);
        let w = f64::from(weight) / self.scale;
        self.terms.touch(v.0.iter().map(|(k, _)| *k));
        for (k, x) in &v.0 {
            let slot = self.terms.entry(*k);
            self.filter.set(*k);
            let old = f64::from(*slot);
            let new = old + w * f64::from(*x);
            self.norm2 += new * new - old * old;
            *slot = new as f32;
        }
        self.bound();
    }

    /// Keeps the [`CENTROID_TERMS`] heaviest terms once there are twice as many, so a
    /// long-running story costs as much as a young one (the dropped tail weighs little).
    fn bound(&mut self) {
        if self.terms.len() <= 2 * CENTROID_TERMS {
            return;
        }
        let mut weights: Vec<f32> = self.terms.iter().map(|(_, w)| w).collect();
        let cut = weights.len() - CENTROID_TERMS;
        let (_, floor, _) = weights.select_nth_unstable_by(cut, f32::total_cmp);
        let floor = *floor;
        self.terms.retain(|w| w >= floor);
        self.filter.clear();
        self.terms.iter().for_each(|(k, _)| self.filter.set(k));
        self.norm2 = self.terms.iter().map(|(_, w)| f64::from(w).powi(2)).sum();
    }

    /// Adds another centroid (a merged story) into this one, both at time `now`.
    pub fn absorb(&mut self, other: &Centroid, now: i64, half_life: f64) {
        self.age(now, half_life);
        let factor = other.scale * decay(now - other.at, half_life) / self.scale;
        for (k, x) in other.terms.iter() {
            let slot = self.terms.entry(k);
            self.filter.set(k);
            let old = f64::from(*slot);
            let new = old + factor * f64::from(x);
            self.norm2 += new * new - old * old;
            *slot = new as f32;
        }
        self.bound();
    }

    /// The cosines between a unit vector and each of these centroids, as [`Centroid::cosine`]
    /// gives them one by one. Each feature is looked up in every centroid before the next
    /// feature, so that the cache misses of the centroids (which lie far apart) overlap
    /// instead of waiting on each other; each sum still adds its terms in feature order.
    pub fn cosines(centroids: &[&Centroid], v: &SparseVec) -> Vec<f32> {
        // An empty sum of floats is -0.0, as `Iterator::sum` makes it.
        let mut dots = vec![-0.0f64; centroids.len()];
        for (k, x) in &v.0 {
            for (c, dot) in centroids.iter().zip(&mut dots) {
                if let Some(w) = c.weight(*k) {
                    *dot += f64::from(w) * f64::from(*x);
                }
            }
        }
        centroids
            .iter()
            .zip(dots)
            .map(|(c, dot)| c.over_norm(dot))
            .collect()
    }

    /// The cosine between a unit vector and this centroid (0 when either is empty).
    #[cfg(test)]
    pub fn cosine(&self, v: &SparseVec) -> f32 {
        self.over_norm(self.dot(v))
    }

    /// The cosine between a member's unit vector and this centroid without the member's own
    /// part in it (added with `weight` at engine-clock second `added`, decayed since): how
    /// close the member is to the others, where a plain cosine lets it vote for itself
    /// (and a newcomer, decayed least, most). 0 when nothing else is left.
    pub fn cosine_without(&self, v: &SparseVec, weight: f32, added: i64, half_life: f64) -> f32 {
        // In real units: the stored weights times the scale. What is left of the norm is
        // taken for nothing below the rounding of the stored (f32) weights.
        let dot = self.dot(v) * self.scale;
        let norm2 = self.norm2 * self.scale * self.scale;
        let w = f64::from(weight) * decay(self.at - added, half_life);
        let rest = norm2 - 2.0 * w * dot + w * w;
        if rest <= 1e-6 * norm2 {
            0.0
        } else {
            ((dot - w) / rest.sqrt()) as f32
        }
    }

    /// The engine-clock second the centroid was last brought up to (its latest member's).
    pub fn clock(&self) -> i64 {
        self.at
    }

    /// The dot product of a vector with this centroid, in stored units.
    fn dot(&self, v: &SparseVec) -> f64 {
        v.0.iter()
            .filter_map(|(k, x)| self.weight(*k).map(|w| f64::from(w) * f64::from(*x)))
            .sum()
    }

    /// A term's stored weight, asking the table only when the filter lets it through.
    fn weight(&self, k: Feature) -> Option<f32> {
        self.filter
            .may_contain(k)
            .then(|| self.terms.get(k))
            .flatten()
    }

    /// A dot product with this centroid's stored weights as a cosine (0 for an empty
    /// centroid).
    fn over_norm(&self, dot: f64) -> f32 {
        if self.norm2 <= 0.0 {
            0.0
        } else {
            (dot / self.norm2.sqrt()) as f32
        }
    }
}

/// Bits of a [`TermFilter`]: about one false hit in nine for a full centroid (512 terms).
const TERM_FILTER_BITS: usize = 4_096;

/// A one-hash Bloom filter over a centroid's terms (bits 20.. of the feature id, which
/// the hash tables do not use for placement); empty until the first term is set.
#[derive(Debug, Clone, Default)]
struct TermFilter(Vec<u64>);

impl TermFilter {
    /// The word and bit of a feature.
    fn bit(k: Feature) -> (usize, u64) {
        let b = (k >> 20) as usize % TERM_FILTER_BITS;
        (b / 64, 1 << (b % 64))
    }

    /// Marks a feature as present.
    fn set(&mut self, k: Feature) {
        if self.0.is_empty() {
            self.0 = vec![0; TERM_FILTER_BITS / 64];
        }
        let (word, bit) = Self::bit(k);
        self.0[word] |= bit;
    }

    /// Unmarks everything (the words stay allocated).
    fn clear(&mut self) {
        self.0.iter_mut().for_each(|w| *w = 0);
    }

    /// False only when the feature was never set since the last clear.
    fn may_contain(&self, k: Feature) -> bool {
        let (word, bit) = Self::bit(k);
        self.0.get(word).is_some_and(|w| w & bit != 0)
    }
}

/// Document frequencies that decay with time, so yesterday's big story does not make its
/// words look common forever; entries that fade under a floor are pruned to bound memory.
///
/// Counts are kept per scope: the words of each language among the documents in that
/// language (a language few feeds write in has common words of its own, which would look
/// rare among all the documents), and names among all documents.
///
/// Decay costs nothing per entry: a document counted at time `t` adds `2^((t - base) /
/// half_life)` (the table's gain at `t`), so every count is its decayed value times the
/// gain now, and the table holds one 8-byte slot per feature (no time of its own to bring
/// it up to date). The base moves up to the clock at each prune, and sooner when the gain
/// would grow past [`MAX_GAIN_EXP`] half-lives (a clock that jumped ahead).
#[derive(Debug)]
pub(crate) struct DocFreq {
    /// Per feature (salted by its scope): its count times the gain.
    df: TermTable,
    /// Per scope: the count of documents times the gain.
    docs: Vec<f64>,
    half_life: f64,
    /// When the gain is 1.
    base: i64,
    /// The latest time counted: an earlier one counts as this (the table never goes back).
    clock: i64,
    /// `2^((clock - base) / half_life)`.
    gain: f64,
    updates: u64,
    /// Every this many updates, features whose decayed count is under `floor` are dropped.
    prune_every: u64,
    floor: f64,
}

/// Half-lives past the base after which the counts are brought back to a gain of 1 (an
/// f32 count times `2^64` stays far inside its range).
const MAX_GAIN_EXP: f64 = 64.0;

impl DocFreq {
    /// An empty table with the given half-life in seconds, which forgets a feature once
    /// it has faded to a small fraction of one document.
    pub fn new(half_life_secs: f64) -> Self {
        Self::forgetting(half_life_secs, 0.05, 50_000)
    }

    /// An empty table with the given half-life in seconds that drops the features counted
    /// under `floor`, every `every` updates: with a floor of one document, only features
    /// seen again before they faded stay, so the table holds what recurs.
    pub fn forgetting(half_life_secs: f64, floor: f64, every: u64) -> Self {
        DocFreq {
            df: TermTable::default(),
            docs: Vec::new(),
            half_life: half_life_secs,
            base: 0,
            clock: i64::MIN,
            gain: 1.0,
            updates: 0,
            prune_every: every.max(1),
            floor,
        }
    }

    /// The key of a feature in a scope (scope 0 keeps the feature as it is).
    fn key(feature: Feature, scope: usize) -> Feature {
        feature ^ (scope as Feature).wrapping_mul(0x9E37_79B9)
    }

    /// The gain at time `t`: `2^((t - base) / half_life)` (1 without decay).
    fn gain_at(&self, t: i64) -> f64 {
        if self.half_life <= 0.0 || t <= self.base {
            1.0
        } else {
            (t.saturating_sub(self.base) as f64 / self.half_life).exp2()
        }
    }

    /// Moves the clock to `now` (never back), rebasing the counts first if the gain would
    /// grow too large.
    fn advance(&mut self, now: i64) {
        if self.clock == i64::MIN {
            (self.base, self.clock) = (now, now);
        }
        if now <= self.clock {
            return;
        }
        self.clock = now;
        self.gain = self.gain_at(now);
        if self.gain.log2() > MAX_GAIN_EXP {
            self.rebase();
        }
    }

    /// Divides every count by the gain and moves the base to the clock (gain 1).
    fn rebase(&mut self) {
        let g = self.gain;
        self.df.scale((1.0 / g) as f32);
        self.docs.iter_mut().for_each(|d| *d /= g);
        self.base = self.clock;
        self.gain = 1.0;
    }

    /// Counts one document of `scope` with the given distinct features at time `now`;
    /// returns their inverse document frequencies just after, in order (near 0 for a
    /// feature in nearly every document of the scope: it tells nothing apart).
    pub fn observe(&mut self, features: &[Feature], scope: usize, now: i64) -> Vec<f32> {
        let docs = self.count_document(features, scope, now);
        let idf = features
            .iter()
            .map(|f| idf_of(docs, self.count(*f, scope)))
            .collect();
        self.updated();
        idf
    }

    /// Notes one update, pruning faded features every so often.
    fn updated(&mut self) {
        self.updates += 1;
        if self.updates % self.prune_every == 0 {
            self.prune();
        }
    }

    /// Counts one more document of `scope` at time `now`, whose `features` are counted
    /// next (their slots are read now, so that the misses overlap: see
    /// [`TermTable::touch`]); returns the scope's decayed count of documents.
    fn count_document(&mut self, features: &[Feature], scope: usize, now: i64) -> f64 {
        self.advance(now);
        self.df.touch(features.iter().map(|f| Self::key(*f, scope)));
        if self.docs.len() <= scope {
            self.docs.resize(scope + 1, 0.0);
        }
        let docs = &mut self.docs[scope];
        *docs += self.gain;
        *docs / self.gain
    }

    /// Counts a feature in one more document of `scope` (at the clock); returns its decayed
    /// count.
    fn count(&mut self, feature: Feature, scope: usize) -> f64 {
        let gain = self.gain;
        let e = self.df.entry(Self::key(feature, scope));
        *e += gain as f32;
        f64::from(*e) / gain
    }

    /// Counts one document of `scope` with the given distinct features at time `now`;
    /// returns the share of the scope's documents (with `prior` empty ones added) that hold
    /// each feature, this one included, or all 0 while the scope has under `min_docs`.
    pub fn shares(
        &mut self,
        features: &[Feature],
        scope: usize,
        now: i64,
        prior: f64,
        min_docs: f64,
    ) -> Vec<f32> {
        let docs = self.count_document(features, scope, now);
        // Out of how many documents a feature's count is taken, once there are enough.
        let out_of = (docs >= min_docs).then_some(docs + prior);
        let shares = features
            .iter()
            .map(|f| {
                let count = self.count(*f, scope);
                out_of.map_or(0.0, |d| (count / d) as f32)
            })
            .collect();
        self.updated();
        shares
    }

    /// The inverse document frequency of a feature in a scope at time `now` (not before
    /// the clock), looked up again.
    #[cfg(test)]
    pub fn idf(&self, feature: Feature, scope: usize, now: i64) -> f32 {
        let gain = self.gain_at(now.max(self.clock));
        let df = self
            .df
            .get(Self::key(feature, scope))
            .map_or(0.0, |c| f64::from(c) / gain);
        let docs = self.docs.get(scope).map_or(0.0, |d| d / gain);
        idf_of(docs, df)
    }

    /// Drops features whose decayed count has faded below the table's floor.
    fn prune(&mut self) {
        self.rebase();
        let floor = self.floor as f32;
        self.df.retain(|c| c >= floor);
    }

    /// Number of features tracked (for tests and memory checks).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.df.len()
    }
}

/// How steeply a feature's weight falls with the count of the documents that hold it.
///
/// A power of the count, where TF-IDF usually takes the logarithm of `docs / df`, depends
/// on no total: ten reports of one event weigh the same against the fifty of their topic
/// whether the engine has seen 500 documents or 50,000. With the logarithm every weight
/// grows with the total, the words a topic shares gain on the words of one event, and the
/// similarities rise as the engine ages, against bars that stay put: look-alike events
/// merged once the engine had seen a day of other news, and the reports of one event
/// missed each other while it had seen little (BENCHMARKS.md, twenty-fifth session).
const IDF_POWER: f64 = 0.2;

/// The inverse document frequency of a feature held by `df` of `docs` documents:
/// `(df + 1/2)^-IDF_POWER`, times the share of the documents without it (a feature in
/// every document tells nothing apart).
fn idf_of(docs: f64, df: f64) -> f32 {
    let without = (1.0 - df / (docs + 1.0)).max(0.0);
    ((df + 0.5).powf(-IDF_POWER) * without) as f32
}

/// Weighs counted features (as [`feature_counts`] gives them) by `(1 + ln tf) * idf`, with
/// `idf` in the same order, and normalizes.
pub(crate) fn tfidf(mut counts: Vec<(Feature, f32)>, idf: &[f32]) -> SparseVec {
    debug_assert_eq!(counts.len(), idf.len());
    for ((_, w), idf) in counts.iter_mut().zip(idf) {
        *w = (1.0 + w.ln()) * idf;
    }
    SparseVec::unit(counts)
}

/// Each feature once, sorted, with the weights of its repeats added up.
pub(crate) fn feature_counts(mut items: Vec<(Feature, f32)>) -> Vec<(Feature, f32)> {
    items.sort_unstable_by_key(|(k, _)| *k);
    items.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heaviest_kept_are_those_a_full_sort_puts_first() {
        let mut rng = fastrand::Rng::with_seed(7);
        for n in [0, 1, 4, 16, 17, 40] {
            // Few distinct weights, so ties are decided by the id.
            let items: Vec<(u32, f32)> = (0..60)
                .map(|_| (rng.u32(..1_000), f32::from(rng.u8(..8))))
                .collect();
            let mut sorted = items.clone();
            sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            sorted.truncate(n);
            let mut kept = items.clone();
            heaviest_first(&mut kept, n);
            assert_eq!(kept, sorted, "n = {n}");
            let mut offered = Vec::new();
            items
                .iter()
                .for_each(|item| offer_heaviest(&mut offered, n, *item));
            assert_eq!(offered, sorted, "n = {n}, offered one by one");
        }
    }

    #[test]
    fn probe_dot_matches_the_merge_dot() {
        let a = SparseVec::normalized((1..40).map(|k| (k * 7919, k as f32)).collect());
        let b = SparseVec::normalized((20..70).map(|k| (k * 7919, 1.0)).collect());
        assert!((Probe::new(&a.0).dot(&b.0) - a.dot(&b)).abs() < 1e-5);
        assert_eq!(Probe::new(&a.0).dot(&[]), 0.0);
    }

    #[test]
    fn normalized_vectors_have_unit_dot_with_themselves() {
        let v = SparseVec::normalized(vec![(3, 1.0), (1, 2.0), (3, 1.0)]);
        assert!((v.dot(&v) - 1.0).abs() < 1e-6);
        assert_eq!(v.0.len(), 2);
    }

    #[test]
    fn centroid_cosine_matches_direct_computation() {
        let a = SparseVec::normalized(vec![(1, 1.0), (2, 1.0)]);
        let b = SparseVec::normalized(vec![(2, 1.0), (3, 1.0)]);
        let mut c = Centroid::default();
        c.add(&a, 1.0, 0, 3600.0);
        c.add(&b, 1.0, 0, 3600.0);
        // centroid = (0.707, 1.414, 0.707), |c| = sqrt(3); cos(a, c) = (0.5 + 1) / sqrt(3)
        assert!((c.cosine(&a) - 1.5 / 3f32.sqrt()).abs() < 1e-5);
    }

    #[test]
    fn a_member_left_out_of_its_centroid_is_compared_with_the_others_alone() {
        let a = SparseVec::normalized(vec![(1, 1.0), (2, 1.0)]);
        let b = SparseVec::normalized(vec![(2, 1.0), (3, 1.0)]);
        let c = SparseVec::normalized(vec![(3, 1.0), (4, 1.0)]);
        let hour = 3600.0;
        let mut centroid = Centroid::default();
        centroid.add(&a, 1.0, 0, hour);
        assert_eq!(
            centroid.cosine_without(&a, 1.0, 0, hour),
            0.0,
            "no other member"
        );
        // b joins an hour later, when a weighs half: without its own part, each is compared
        // with the other alone, however much either weighs.
        centroid.add(&b, 1.0, 3600, hour);
        let ab = a.dot(&b);
        assert!((centroid.cosine_without(&a, 1.0, 0, hour) - ab).abs() < 1e-6);
        assert!((centroid.cosine_without(&b, 1.0, 3600, hour) - ab).abs() < 1e-6);
        assert!(
            centroid.cosine(&b) > centroid.cosine(&a) + 0.1,
            "b votes for itself"
        );
        // With a third member: a against b (weighing half now) and c together.
        centroid.add(&c, 1.0, 7200, hour);
        let rest = SparseVec::normalized(vec![
            (2, 0.5 * 0.5f32.sqrt()),
            (3, 1.5 * 0.5f32.sqrt()),
            (4, 0.5f32.sqrt()),
        ]);
        assert!((centroid.cosine_without(&a, 1.0, 0, hour) - a.dot(&rest)).abs() < 1e-5);
    }

    #[test]
    fn cosines_of_many_centroids_are_each_ones_cosine_to_the_bit() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut vector = |n: usize| {
            SparseVec::normalized((0..n).map(|_| (rng.u32(1..60), rng.f32() + 0.01)).collect())
        };
        let mut centroids = vec![Centroid::default()];
        for size in [1, 5, 40] {
            let mut c = Centroid::default();
            for t in 0..size {
                c.add(&vector(12), 1.0, t * 600, 3600.0);
            }
            centroids.push(c);
        }
        let all: Vec<&Centroid> = centroids.iter().collect();
        for v in [SparseVec::default(), vector(1), vector(30)] {
            let one_by_one: Vec<u32> = all.iter().map(|c| c.cosine(&v).to_bits()).collect();
            let together: Vec<u32> = Centroid::cosines(&all, &v)
                .iter()
                .map(|x| x.to_bits())
                .collect();
            assert_eq!(together, one_by_one);
        }
    }

    #[test]
    fn old_members_fade_from_the_centroid() {
        let a = SparseVec::normalized(vec![(1, 1.0)]);
        let b = SparseVec::normalized(vec![(2, 1.0)]);
        let mut c = Centroid::default();
        c.add(&a, 1.0, 0, 3600.0);
        c.add(&b, 1.0, 4 * 3600, 3600.0);
        assert!(c.cosine(&b) > 0.99 && c.cosine(&a) < 0.1);
    }

    #[test]
    fn each_scope_counts_its_own_documents() {
        let mut df = DocFreq::new(3600.0);
        // Feature 1 is in every document of scope 1, and in none of scope 0's ten.
        for _ in 0..10 {
            df.observe(&[2], 0, 0);
        }
        for _ in 0..3 {
            df.observe(&[1], 1, 0);
        }
        // Three of three documents, and none of ten.
        assert_eq!(df.idf(1, 1, 0), (3.5f64.powf(-IDF_POWER) * 0.25) as f32);
        assert_eq!(df.idf(1, 0, 0), 0.5f64.powf(-IDF_POWER) as f32);
    }

    #[test]
    fn shares_count_once_a_scope_has_enough_documents() {
        let mut df = DocFreq::new(3600.0);
        // Feature 1 in every document, feature 2 in every other; shares count from the
        // fourth document, with 2 empty documents added.
        let mut last = Vec::new();
        for i in 0..4 {
            let features: &[Feature] = if i % 2 == 0 { &[1, 2] } else { &[1] };
            last = df.shares(features, 0, 0, 2.0, 4.0);
            if i < 3 {
                assert_eq!(last, vec![0.0; features.len()], "document {i}");
            }
        }
        assert_eq!(last, [4.0 / 6.0]);
        assert_eq!(df.shares(&[1, 2], 0, 0, 2.0, 4.0), [5.0 / 7.0, 3.0 / 7.0]);
    }

    #[test]
    fn a_forgetting_table_keeps_what_recurs() {
        // Pruned every third update, under one document.
        let mut df = DocFreq::forgetting(3600.0, 1.0, 3);
        df.shares(&[1, 2], 0, 0, 0.0, 0.0);
        df.shares(&[1], 0, 0, 0.0, 0.0);
        assert_eq!(df.len(), 2);
        df.shares(&[1], 0, 60, 0.0, 0.0);
        assert_eq!(
            df.len(),
            1,
            "feature 2, seen once, has faded under one document"
        );
    }

    #[test]
    fn a_clock_far_ahead_rebases_the_counts() {
        let mut df = DocFreq::new(3600.0);
        for _ in 0..4 {
            df.observe(&[1], 0, 0);
        }
        // 100 and then 1,000 half-lives on: the gain would overflow an f32 count.
        for hours in [100, 1_000] {
            let idf = df.observe(&[1, 2], 0, hours * 3600);
            // Everything before has faded: one document, holding both features.
            let one_of_one = (1.5f64.powf(-IDF_POWER) * 0.5) as f32;
            assert!(idf.iter().all(|i| (i - one_of_one).abs() < 1e-4), "{idf:?}");
        }
    }

    #[test]
    fn rare_features_weigh_more_and_faded_ones_are_pruned() {
        let mut df = DocFreq::new(3600.0);
        for _ in 0..10 {
            df.observe(&[1], 0, 0);
        }
        let seen = df.observe(&[1, 2], 0, 3600);
        assert!(df.idf(2, 0, 3600) > df.idf(1, 0, 3600));
        // What counting returns is what a lookup just after gives.
        assert_eq!(seen, [df.idf(1, 0, 3600), df.idf(2, 0, 3600)]);
        // A hundred half-lives on, an empty document brings the clock there.
        df.observe(&[], 0, 100 * 3600);
        df.prune();
        assert_eq!(df.len(), 0);
    }
}
