//! The first two match layers: exact duplicates (same GUID or canonical URL) and near
//! duplicates (syndicated wire copy under another URL, lightly edited or truncated).
//!
//! Near duplicates are found with MinHash over word 3-shingles and LSH banding, or by the
//! text's opening (a teaser cut from a whole), then verified on the shingles themselves: a
//! candidate counts only when most of the shorter text's shingles appear in the longer one
//! (containment, which survives truncation). A copy from another outlet edited more, with
//! half its shingles in common and more than a headline's worth, is left to the story
//! layer and only named as the copy it is if it lands with its original. Articles that
//! leave the window are retired, and their keys swept out of the table in bulk, instead of
//! a random removal per key.

use super::hashing::{IdMap, IdSet, PairTable, hash};
use std::num::NonZeroU64;

/// MinHash values per signature (bins of the one-permutation hash, see [`bands`]).
const HASHES: usize = 32;
// The bins that hold a shingle are one bit each of a `u64`, and a hash's top bits pick one.
const _: () = assert!(HASHES.is_power_of_two() && HASHES <= 64);
/// Rows per LSH band. Two rows in fifteen bands find a pair with shingle Jaccard 0.65 (a
/// lightly edited, truncated copy) 99.9% of the time.
const ROWS: usize = 2;
/// Number of LSH bands: the signature's bins two by two, but for the last two, whose place
/// in the table goes to the text's opening.
pub(crate) const BANDS: usize = HASHES / ROWS - 1;
/// Texts with fewer shingles than this are too short to call syndicated copies.
const MIN_SHINGLES: usize = 4;
/// Shingles an edited copy shares with its original at least: more than a headline has,
/// so that two outlets' headlines with a phrase in common are not taken for copies.
pub(crate) const EDITED_MIN_SHARED: usize = 16;

/// Words of a text's opening that make its [`KEYS`]th key: a copy cut short (a feed's
/// teaser of a wire story that another feed carries whole) keeps its opening, while it
/// shares too few shingles with the whole for the bands to meet it reliably.
const OPENING_WORDS: usize = 12;
/// Keys a text is filed under in the near-duplicate table: its LSH bands and its opening
/// (as many as two-row bands of the whole signature would be).
pub(crate) const KEYS: usize = BANDS + 1;
const _: () = assert!(KEYS * ROWS == HASHES);

/// The keys of one text in the near-duplicate table, 32 bits each, never 0 (a
/// [`PairTable`]'s empty slot): its [`BANDS`] LSH bands, then its opening. A full window
/// holds one or two million keys, so a key looked up meets another text's by chance about
/// once in three thousand lookups (once in a couple of hundred articles), which costs one
/// containment check that then fails.
pub(crate) type Bands = [u32; KEYS];

/// Maps GUIDs and canonical URLs to the article (by key) that first carried them.
#[derive(Debug, Default)]
pub(crate) struct ExactIndex {
    guids: IdMap<u64>,
    urls: IdMap<u64>,
}

/// The hashes under which an article is known to the exact index (never 0, so that a
/// missing one costs no space).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ExactKeys {
    guid: Option<NonZeroU64>,
    url: Option<NonZeroU64>,
}

impl ExactKeys {
    /// The keys of an article with the given GUID and canonical URL (blank ones ignored).
    pub fn new(guid: Option<&str>, url: Option<&str>) -> Self {
        let key = |ns: u64, s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| NonZeroU64::new(hash(ns, s)).unwrap_or(NonZeroU64::MIN))
        };
        ExactKeys {
            guid: key(1, guid),
            url: key(2, url),
        }
    }

    /// The GUID's hash, if the article has a GUID.
    fn guid(&self) -> Option<u64> {
        self.guid.map(NonZeroU64::get)
    }

    /// The canonical URL's hash, if the article has one.
    fn url(&self) -> Option<u64> {
        self.url.map(NonZeroU64::get)
    }
}

impl ExactIndex {
    /// The article that already carried this GUID or URL, if any.
    pub fn find(&self, keys: &ExactKeys) -> Option<u64> {
        let by_guid = keys.guid().and_then(|g| self.guids.get(&g));
        by_guid
            .or_else(|| keys.url().and_then(|u| self.urls.get(&u)))
            .copied()
    }

    /// Records the article's keys, keeping earlier owners of the same keys.
    pub fn insert(&mut self, keys: &ExactKeys, article: u64) {
        if let Some(g) = keys.guid() {
            self.guids.entry(g).or_insert(article);
        }
        if let Some(u) = keys.url() {
            self.urls.entry(u).or_insert(article);
        }
    }

    /// Forgets the article's keys if they still point at it.
    pub fn remove(&mut self, keys: &ExactKeys, article: u64) {
        if let Some(g) = keys.guid() {
            if self.guids.get(&g) == Some(&article) {
                self.guids.remove(&g);
            }
        }
        if let Some(u) = keys.url() {
            if self.urls.get(&u) == Some(&article) {
                self.urls.remove(&u);
            }
        }
    }
}

/// Sorted distinct word 3-shingles of a text's word hashes, 32 bits each (the high half of
/// a 64-bit product), half the memory that every window article keeps: two unrelated texts
/// of a hundred shingles share one by chance about once in half a million comparisons.
pub(crate) fn shingles(words: &[u64]) -> Vec<u32> {
    let mut out: Vec<u32> = words
        .windows(3)
        .map(|w| {
            let h = (w[0].rotate_left(21) ^ w[1].rotate_left(42) ^ w[2])
                .wrapping_mul(0xA24B_AED4_963E_E407);
            (h >> 32) as u32
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Bits of a shingle's hash that pick its bin (`HASHES` bins).
const BIN_BITS: u32 = HASHES.trailing_zeros();

/// A shingle's hash for [`bands`] (the top bits pick the bin): two multiply-xorshift
/// rounds, so that shingles in arithmetic progression land in random bins; a bijection, so
/// distinct shingles never meet in it.
fn mix(s: u64) -> u64 {
    let h = s.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let h = (h ^ (h >> 32)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
    h ^ (h >> 29)
}

/// The keys a text is filed under (see [`Bands`]) from its word hashes and its shingles,
/// or `None` when it is too short to judge.
pub(crate) fn bands(words: &[u64], shingles: &[u32]) -> Option<Bands> {
    let lsh = minhash_bands(shingles)?;
    let opening = &words[..words.len().min(OPENING_WORDS)];
    let mut out = [0u32; KEYS];
    out[..BANDS].copy_from_slice(&lsh);
    out[BANDS] = table_key(KEYS as u64 + opening.len() as u64, opening);
    Some(out)
}

/// A key of the near-duplicate table from a seed (which keeps keys of different kinds
/// apart) and the values it stands for: never 0.
fn table_key(seed: u64, values: &[u64]) -> u32 {
    let key = values.iter().fold(seed, |acc, v| {
        (acc.rotate_left(17) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    });
    ((key >> 32) as u32).max(1)
}

/// The LSH band keys of a shingle set, or `None` when it is too short to judge.
///
/// The signature is one-permutation MinHash: each shingle is hashed once, the top bits of
/// its hash pick one of [`HASHES`] bins, and each bin keeps its smallest hash; a bin no
/// shingle fell into takes the value of a bin picked by a hash of its number and an attempt
/// count, retried until it is one that holds a shingle ("optimal densification",
/// Shrivastava 2017). Two sets then agree on a bin with probability their Jaccard
/// similarity, as with one permutation per bin, at the cost of one hash per shingle
/// instead of one per shingle and bin.
fn minhash_bands(shingles: &[u32]) -> Option<[u32; BANDS]> {
    if shingles.len() < MIN_SHINGLES {
        return None;
    }
    let mut bins = [u64::MAX; HASHES];
    let mut filled = 0u64;
    for s in shingles {
        let h = mix(u64::from(*s));
        let bin = (h >> (64 - BIN_BITS)) as usize;
        // The bin's bits are the same for all its shingles: the rest orders them.
        bins[bin] = bins[bin].min(h << BIN_BITS);
        filled |= 1 << bin;
    }
    let mut mins = bins;
    for (j, m) in mins.iter_mut().enumerate() {
        if filled & (1 << j) != 0 {
            continue;
        }
        // At least MIN_SHINGLES shingles, so some bin is filled and this ends.
        for attempt in 1u64.. {
            let pick = (mix((j as u64) << 32 | attempt) >> (64 - BIN_BITS)) as usize;
            if filled & (1 << pick) != 0 {
                *m = bins[pick];
                break;
            }
        }
    }
    let mut out = [0u32; BANDS];
    for (b, chunk) in mins.chunks(ROWS).take(BANDS).enumerate() {
        out[b] = table_key(b as u64 + 1, chunk);
    }
    Some(out)
}

/// Share of the smaller set's shingles found in the other set.
#[cfg(test)]
pub(crate) fn containment(a: &[u32], b: &[u32]) -> f32 {
    overlap(a, b).1
}

/// How many of the smaller set's shingles are found in the other set, and what share of
/// it they are (0 for an empty set).
pub(crate) fn overlap(a: &[u32], b: &[u32]) -> (usize, f32) {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.is_empty() {
        return (0, 0.0);
    }
    let common = small
        .iter()
        .filter(|s| large.binary_search(s).is_ok())
        .count();
    (common, common as f32 / small.len() as f32)
}

/// LSH buckets: band key to the articles (by key) whose signature has that band, as
/// (band, article) pairs in one [`PairTable`]: the table is the largest the engine keeps
/// (a window's articles times [`KEYS`]), and most keys hold a single article. It holds
/// the low 32 bits of each article's key: keys are handed out in increasing order and a
/// window never spans 2^32 of them, so the next key to be handed out restores the rest.
#[derive(Debug, Default)]
pub(crate) struct NearIndex {
    buckets: PairTable,
    /// Articles that left the window since the last sweep, whose bands are still in
    /// `buckets`.
    retired: Vec<u64>,
}

impl NearIndex {
    /// Articles sharing at least one key with these, oldest first, without repeats, all
    /// keys below `next_key` (the next key the engine will hand out). Articles that left
    /// the window may be among them until the next sweep (the caller skips keys it no
    /// longer knows).
    pub fn candidates(&self, bands: &Bands, next_key: u64) -> Vec<u64> {
        self.buckets.touch(bands);
        let mut out: Vec<u64> = bands
            .iter()
            .flat_map(|b| self.buckets.values(*b))
            .map(|v| restore(v, next_key))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Files an article under its keys (its key is the newest handed out). When the table
    /// is due to grow while a fifth of its entries are retired articles', those are swept
    /// out instead: a window's worth of keys keeps a table of one size.
    pub fn insert(&mut self, bands: &Bands, article: u64) {
        let retired = KEYS * self.retired.len();
        if !self.buckets.has_room(KEYS) && retired > 0 && 5 * retired >= self.buckets.len() {
            self.sweep(article + 1);
        }
        for b in bands {
            self.buckets.insert(*b, article as u32);
        }
    }

    /// Notes that an article filed under its keys left the window: its keys stay in the
    /// table, unseen by the caller, until the next sweep takes them out in one pass.
    pub fn retire(&mut self, article: u64) {
        self.retired.push(article);
    }

    /// Drops the entries of the retired articles (keys below `next_key`).
    fn sweep(&mut self, next_key: u64) {
        let gone = KeySet::new(std::mem::take(&mut self.retired));
        self.buckets
            .retain(|_, v| !gone.contains(restore(v, next_key)));
    }
}

/// The full key of an article from the low 32 bits a table keeps: keys are handed out in
/// order and a window never spans 2^32 of them, so it is the latest key below `next_key`
/// with those bits.
fn restore(low: u32, next_key: u64) -> u64 {
    next_key - u64::from((next_key as u32).wrapping_sub(low))
}

/// A set of article keys for a sweep: a bitmap over their span when they are dense (as
/// articles leaving the window in about their order of arrival are), else a hash set.
enum KeySet {
    /// Bit `i` stands for key `first + i`.
    Span { first: u64, bits: Vec<u64> },
    /// Keys too far apart for a bitmap (under one key per 64 bits of their span).
    Sparse(IdSet),
}

impl KeySet {
    /// The set of these keys, in the form their spread calls for.
    fn new(keys: Vec<u64>) -> Self {
        let (Some(first), Some(last)) = (keys.iter().min(), keys.iter().max()) else {
            return KeySet::Sparse(IdSet::default());
        };
        let span = (last - first) as usize + 1;
        if span / 64 > keys.len() {
            return KeySet::Sparse(keys.into_iter().collect());
        }
        let mut bits = vec![0u64; span.div_ceil(64)];
        for k in &keys {
            let i = (k - first) as usize;
            bits[i / 64] |= 1 << (i % 64);
        }
        KeySet::Span {
            first: *first,
            bits,
        }
    }

    /// Whether the key is in the set.
    fn contains(&self, key: u64) -> bool {
        match self {
            KeySet::Span { first, bits } => key.checked_sub(*first).is_some_and(|i| {
                bits.get((i / 64) as usize)
                    .is_some_and(|w| w & (1 << (i % 64)) != 0)
            }),
            KeySet::Sparse(set) => set.contains(&key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<u64> {
        text.split_whitespace().map(|w| hash(9, w)).collect()
    }

    #[test]
    fn exact_index_finds_by_guid_or_url_and_forgets() {
        let mut idx = ExactIndex::default();
        let k = ExactKeys::new(Some("g1"), Some("https://a/1"));
        idx.insert(&k, 7);
        assert_eq!(
            idx.find(&ExactKeys::new(None, Some("https://a/1"))),
            Some(7)
        );
        assert_eq!(idx.find(&ExactKeys::new(Some("g1"), None)), Some(7));
        assert_eq!(
            idx.find(&ExactKeys::new(Some(" "), Some("https://a/2"))),
            None
        );
        idx.remove(&k, 7);
        assert_eq!(idx.find(&k), None);
    }

    #[test]
    fn truncated_copy_is_found_and_verified() {
        let full = "officials said the summit ended late on sunday without a ceasefire deal after two days of talks in the capital";
        let cut = "officials said the summit ended late on sunday without a ceasefire deal after two days";
        let other = "a strong earthquake struck the coast early on monday killing at least twelve people in two towns";
        let (a, b, c) = (
            shingles(&words(full)),
            shingles(&words(cut)),
            shingles(&words(other)),
        );
        let keys = |text: &str| bands(&words(text), &shingles(&words(text))).unwrap();
        let mut idx = NearIndex::default();
        idx.insert(&keys(full), 1);
        idx.insert(&keys(other), 2);
        let found = idx.candidates(&keys(cut), 3);
        assert!(found.contains(&1));
        assert!(containment(&a, &b) > 0.99);
        assert!(containment(&c, &b) < 0.1);
    }

    #[test]
    fn a_teaser_is_found_by_its_opening_where_the_bands_miss_it() {
        let whole = "dock workers at the northern harbour walked out on monday after talks on a new \
            pay deal broke down late on sunday leaving cranes idle and more than a dozen container \
            ships waiting at anchor outside the breakwater the union said the strike would last \
            until the port authority returned with a better offer while the authority said it \
            had already offered the largest rise in a decade and accused the union of holding \
            the region's exporters to ransom as shipping lines warned of delays across the coast \
            and farmers said their winter exports were stuck on the quay";
        let teaser = whole.split(' ').take(16).collect::<Vec<_>>().join(" ");
        let (w, t) = (words(whole), words(&teaser));
        let (a, b) = (shingles(&w), shingles(&t));
        let (x, y) = (bands(&w, &a).unwrap(), bands(&t, &b).unwrap());
        // A sixth of the whole: no band agrees, only the opening does.
        assert!(x[..BANDS].iter().zip(&y[..BANDS]).all(|(p, q)| p != q));
        assert_eq!(x[BANDS], y[BANDS]);
        let mut idx = NearIndex::default();
        idx.insert(&x, 1);
        assert_eq!(idx.candidates(&y, 2), vec![1]);
        assert!(containment(&a, &b) > 0.99);
    }

    /// Two shingle sets of `n` each sharing `n - shift` (Jaccard `(n - shift) / (n + shift)`),
    /// made apart from other trials' by `trial`, as high halves of products of an odd
    /// constant like real shingles.
    fn overlapping(trial: u64, n: u64, shift: u64) -> (Vec<u32>, Vec<u32>) {
        let set = |from: u64| -> Vec<u32> {
            (from..from + n)
                .map(|i| ((trial << 20 | i).wrapping_mul(0xA24B_AED4_963E_E407) >> 32) as u32)
                .collect()
        };
        (set(0), set(shift))
    }

    #[test]
    fn bands_agree_as_often_as_the_jaccard_similarity_says() {
        // Each band is two bins, each agreeing with probability J: a band with J^2.
        for (n, shift) in [(40, 20), (40, 8), (40, 2), (12, 3)] {
            let j = (n - shift) as f64 / (n + shift) as f64;
            let (mut same, mut found, trials) = (0usize, 0usize, 2_000u64);
            for t in 0..trials {
                let (a, b) = overlapping(t, n, shift);
                let (x, y) = (minhash_bands(&a).unwrap(), minhash_bands(&b).unwrap());
                let agree = x.iter().zip(&y).filter(|(p, q)| p == q).count();
                same += agree;
                found += usize::from(agree > 0);
            }
            let rate = same as f64 / (trials as usize * BANDS) as f64;
            assert!(
                (rate - j * j).abs() < 0.03,
                "J {j:.2}: bands agree {rate:.3}"
            );
            if j >= 0.6 {
                let share = found as f64 / trials as f64;
                assert!(share > 0.99, "J {j:.2}: found in {share:.3} of trials");
            }
        }
    }

    #[test]
    fn near_index_restores_keys_past_32_bits() {
        let text = "officials said the summit ended late on sunday without a ceasefire deal";
        let w = words(text);
        let b = bands(&w, &shingles(&w)).unwrap();
        let mut idx = NearIndex::default();
        let (old, new) = ((1u64 << 32) - 3, (1u64 << 32) + 4);
        idx.insert(&b, old);
        idx.insert(&b, new);
        assert_eq!(idx.candidates(&b, new + 1), vec![old, new]);
        idx.retire(old);
        idx.sweep(new + 1);
        assert_eq!(idx.candidates(&b, new + 1), vec![new]);
    }

    #[test]
    fn retired_articles_leave_at_a_sweep_instead_of_growing_the_table() {
        let mut rng = fastrand::Rng::with_seed(8);
        let mut idx = NearIndex::default();
        let random_bands =
            |rng: &mut fastrand::Rng| -> Bands { std::array::from_fn(|_| rng.u32(1..u32::MAX)) };
        // A window of 500 articles, each leaving 500 keys after it came, kept in a model.
        let mut live: Vec<(u64, Bands)> = Vec::new();
        let mut sizes = Vec::new();
        for key in 0..20_000u64 {
            if key >= 500 {
                let (gone, _) = live.remove(0);
                idx.retire(gone);
            }
            let b = random_bands(&mut rng);
            idx.insert(&b, key);
            live.push((key, b));
            if key % 1_000 == 999 {
                sizes.push(idx.buckets.capacity());
                for (k, b) in live.iter().step_by(37) {
                    assert_eq!(idx.candidates(b, key + 1), vec![*k], "key {k}");
                }
            }
        }
        // Retired bands were swept, so the table stopped growing once the window was full.
        assert_eq!(sizes.first(), sizes.last());
        assert!(
            idx.buckets.len() < 2 * 500 * KEYS,
            "{} pairs",
            idx.buckets.len()
        );
    }

    #[test]
    fn key_sets_hold_dense_and_sparse_keys() {
        let dense = KeySet::new((1_000..1_200).step_by(2).collect());
        assert!(matches!(dense, KeySet::Span { .. }));
        let sparse = KeySet::new(vec![5, 1 << 40, 77]);
        assert!(matches!(sparse, KeySet::Sparse(_)));
        for (set, inside, outside) in [
            (
                &dense,
                vec![1_000, 1_100, 1_198],
                vec![0, 999, 1_001, 1_199, 1_200, u64::MAX],
            ),
            (&sparse, vec![5, 77, 1 << 40], vec![0, 6, (1 << 40) + 1]),
        ] {
            assert!(inside.iter().all(|k| set.contains(*k)));
            assert!(!outside.iter().any(|k| set.contains(*k)));
        }
        assert!(!KeySet::new(Vec::new()).contains(0));
    }

    #[test]
    fn short_texts_have_no_bands() {
        let w = words("summit ends without deal");
        assert!(bands(&w, &shingles(&w)).is_none());
    }
}
