//! The first two match layers: exact duplicates (same GUID or canonical URL) and near
//! duplicates (syndicated wire copy under another URL, lightly edited or truncated).
//!
//! Near duplicates are found with MinHash over word 3-shingles and LSH banding, then
//! verified on the shingles themselves: a candidate counts only when most of the shorter
//! text's shingles appear in the longer one (containment, which survives truncation).

use super::hashing::{IdMap, PairTable, hash};

/// MinHash functions per signature.
const HASHES: usize = 32;
/// Rows per LSH band; `HASHES / ROWS` bands. Two rows in sixteen bands find a pair with
/// shingle Jaccard 0.65 (a lightly edited, truncated copy) 99.9% of the time.
const ROWS: usize = 2;
/// Number of LSH bands.
pub(crate) const BANDS: usize = HASHES / ROWS;
/// Texts with fewer shingles than this are too short to call syndicated copies.
const MIN_SHINGLES: usize = 4;

/// The LSH band keys of one text.
pub(crate) type Bands = [u64; BANDS];

/// Maps GUIDs and canonical URLs to the article (by key) that first carried them.
#[derive(Debug, Default)]
pub(crate) struct ExactIndex {
    guids: IdMap<u64>,
    urls: IdMap<u64>,
}

/// The hashes under which an article is known to the exact index.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ExactKeys {
    guid: Option<u64>,
    url: Option<u64>,
}

impl ExactKeys {
    /// The keys of an article with the given GUID and canonical URL (blank ones ignored).
    pub fn new(guid: Option<&str>, url: Option<&str>) -> Self {
        let key = |ns: u64, s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| hash(ns, s))
        };
        ExactKeys {
            guid: key(1, guid),
            url: key(2, url),
        }
    }
}

impl ExactIndex {
    /// The article that already carried this GUID or URL, if any.
    pub fn find(&self, keys: &ExactKeys) -> Option<u64> {
        let by_guid = keys.guid.and_then(|g| self.guids.get(&g));
        by_guid
            .or_else(|| keys.url.and_then(|u| self.urls.get(&u)))
            .copied()
    }

    /// Records the article's keys, keeping earlier owners of the same keys.
    pub fn insert(&mut self, keys: &ExactKeys, article: u64) {
        if let Some(g) = keys.guid {
            self.guids.entry(g).or_insert(article);
        }
        if let Some(u) = keys.url {
            self.urls.entry(u).or_insert(article);
        }
    }

    /// Forgets the article's keys if they still point at it.
    pub fn remove(&mut self, keys: &ExactKeys, article: u64) {
        if let Some(g) = keys.guid {
            if self.guids.get(&g) == Some(&article) {
                self.guids.remove(&g);
            }
        }
        if let Some(u) = keys.url {
            if self.urls.get(&u) == Some(&article) {
                self.urls.remove(&u);
            }
        }
    }
}

/// Sorted distinct word 3-shingles of a text's word hashes.
pub(crate) fn shingles(words: &[u64]) -> Vec<u64> {
    let mut out: Vec<u64> = words
        .windows(3)
        .map(|w| {
            (w[0].rotate_left(21) ^ w[1].rotate_left(42) ^ w[2]).wrapping_mul(0xA24B_AED4_963E_E407)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A cheap family of permutations, one per MinHash function: odd multipliers...
const MULTIPLIERS: [u64; HASHES] = {
    let mut out = [0u64; HASHES];
    let mut i = 0;
    while i < HASHES {
        out[i] = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(2 * i as u64 + 1) | 1;
        i += 1;
    }
    out
};

/// ...and offsets xored in before the multiply.
const OFFSETS: [u64; HASHES] = {
    let mut out = [0u64; HASHES];
    let mut i = 0;
    while i < HASHES {
        out[i] = (i as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        i += 1;
    }
    out
};

/// The LSH band keys of a shingle set, or `None` when it is too short to judge.
pub(crate) fn bands(shingles: &[u64]) -> Option<Bands> {
    if shingles.len() < MIN_SHINGLES {
        return None;
    }
    let mut mins = [u64::MAX; HASHES];
    for s in shingles {
        for ((m, a), x) in mins.iter_mut().zip(&MULTIPLIERS).zip(&OFFSETS) {
            let h = (s ^ x).wrapping_mul(*a);
            *m = (*m).min(h ^ (h >> 31));
        }
    }
    let mut out = [0u64; BANDS];
    for (b, chunk) in mins.chunks(ROWS).enumerate() {
        out[b] = chunk.iter().fold(b as u64 + 1, |acc, m| {
            (acc.rotate_left(17) ^ m).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        });
    }
    Some(out)
}

/// Share of the smaller set's shingles found in the other set.
pub(crate) fn containment(a: &[u64], b: &[u64]) -> f32 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.is_empty() {
        return 0.0;
    }
    let common = small
        .iter()
        .filter(|s| large.binary_search(s).is_ok())
        .count();
    common as f32 / small.len() as f32
}

/// LSH buckets: band key to the articles (by key) whose signature has that band, as
/// (band, article) pairs in one [`PairTable`]: the table is the largest the engine keeps
/// (a window's articles times [`BANDS`]), and most bands hold a single article.
#[derive(Debug, Default)]
pub(crate) struct NearIndex {
    buckets: PairTable,
}

impl NearIndex {
    /// Articles sharing at least one band with these, oldest first, without repeats.
    pub fn candidates(&self, bands: &Bands) -> Vec<u64> {
        let mut out: Vec<u64> = bands.iter().flat_map(|b| self.buckets.values(*b)).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Files an article under its bands.
    pub fn insert(&mut self, bands: &Bands, article: u64) {
        for b in bands {
            self.buckets.insert(*b, article);
        }
    }

    /// Removes an article from its bands (each insert of a band is undone by one remove).
    pub fn remove(&mut self, bands: &Bands, article: u64) {
        for b in bands {
            self.buckets.remove(*b, article);
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
        let mut idx = NearIndex::default();
        idx.insert(&bands(&a).unwrap(), 1);
        idx.insert(&bands(&c).unwrap(), 2);
        let found = idx.candidates(&bands(&b).unwrap());
        assert!(found.contains(&1));
        assert!(containment(&a, &b) > 0.99);
        assert!(containment(&c, &b) < 0.1);
    }

    #[test]
    fn short_texts_have_no_bands() {
        assert!(bands(&shingles(&words("summit ends without deal"))).is_none());
    }
}
