//! Key encoding for the one sled tree the store keeps: a one-byte table prefix, then the
//! parts that order the table, then the record's id.
//!
//! Every logical table (feeds, articles, stories and their indexes) lives in the same tree
//! so that one atomic batch can touch all of them. Numbers are big-endian so that byte order
//! is numeric order; descending orders store the bitwise-not of the number, so a forward scan
//! yields them newest (or biggest) first. Ids inside a key are either the key's tail or, when
//! something follows them, prefixed by their length so that no id can be a prefix of another.

use crate::model::{Article, Story, Time};

/// Table prefix: feed records by feed id.
pub const FEED: u8 = b'f';
/// Table prefix: article records by article id.
pub const ARTICLE: u8 = b'a';
/// Table prefix: story records by story id.
pub const STORY: u8 = b's';
/// Index prefix: live stories, most recently updated first.
pub const STORY_BY_UPDATED: u8 = b'u';
/// Index prefix: live stories by rank (most sources first, then most recently updated).
pub const STORY_BY_RANK: u8 = b'r';
/// Index prefix: articles of a story, in first_seen order.
pub const ARTICLE_BY_STORY: u8 = b'S';
/// Index prefix: articles of a feed, in first_seen order.
pub const ARTICLE_BY_FEED: u8 = b'F';
/// Index prefix: all articles in first_seen order (restore and retention).
pub const ARTICLE_BY_SEEN: u8 = b't';
/// Index prefix: the words of article titles (word, a zero byte, the article id), each
/// holding the article's story id as its value (see `words.rs` and `search.rs`).
pub const WORD: u8 = b'w';
/// Table prefix: store metadata (schema version).
pub const META: u8 = b'm';
/// Table prefix: feeds added through the API, by feed id (merged with the config's).
pub const API_FEED: u8 = b'A';

/// The meta key holding the schema version of the key layout.
pub fn schema_key() -> Vec<u8> {
    vec![META, b'v']
}

/// A time as 8 bytes whose byte order is time order (sign bit flipped, big-endian).
pub fn time_bytes(t: Time) -> [u8; 8] {
    ((t.timestamp_micros() as u64) ^ (1 << 63)).to_be_bytes()
}

/// Like [`time_bytes`] but in reverse order: newest first.
fn time_bytes_desc(t: Time) -> [u8; 8] {
    (!((t.timestamp_micros() as u64) ^ (1 << 63))).to_be_bytes()
}

/// Appends `id` with a 2-byte length in front (ids longer than 65535 bytes are cut: no real id is).
fn push_sized(key: &mut Vec<u8>, id: &str) {
    let bytes = &id.as_bytes()[..id.len().min(u16::MAX as usize)];
    key.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    key.extend_from_slice(bytes);
}

fn record(prefix: u8, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + id.len());
    key.push(prefix);
    key.extend_from_slice(id.as_bytes());
    key
}

/// The key of a feed record.
pub fn feed(id: &str) -> Vec<u8> {
    record(FEED, id)
}

/// The key of an API-added feed's subscription record.
pub fn api_feed(id: &str) -> Vec<u8> {
    record(API_FEED, id)
}

/// The key of an article record.
pub fn article(id: &str) -> Vec<u8> {
    record(ARTICLE, id)
}

/// The key of a story record.
pub fn story(id: &str) -> Vec<u8> {
    record(STORY, id)
}

/// The recent-order index key of a live story.
pub fn story_by_updated(story: &Story) -> Vec<u8> {
    let mut key = vec![STORY_BY_UPDATED];
    key.extend_from_slice(&time_bytes_desc(story.updated));
    key.extend_from_slice(story.id.as_bytes());
    key
}

/// The top-order index key of a live story: source count descending, then updated descending.
pub fn story_by_rank(story: &Story) -> Vec<u8> {
    let sources = u32::try_from(story.sources.len()).unwrap_or(u32::MAX);
    let mut key = vec![STORY_BY_RANK];
    key.extend_from_slice(&(!sources).to_be_bytes());
    key.extend_from_slice(&time_bytes_desc(story.updated));
    key.extend_from_slice(story.id.as_bytes());
    key
}

/// The prefix of all articles-by-story entries of one story.
pub fn story_articles_prefix(story_id: &str) -> Vec<u8> {
    let mut key = vec![ARTICLE_BY_STORY];
    push_sized(&mut key, story_id);
    key
}

/// The articles-by-story entry of an article filed under `story_id`.
pub fn article_by_story(story_id: &str, article: &Article) -> Vec<u8> {
    let mut key = story_articles_prefix(story_id);
    key.extend_from_slice(&time_bytes(article.first_seen));
    key.extend_from_slice(article.id.as_bytes());
    key
}

/// The prefix of all articles-by-feed entries of one feed.
pub fn feed_articles_prefix(feed_id: &str) -> Vec<u8> {
    let mut key = vec![ARTICLE_BY_FEED];
    push_sized(&mut key, feed_id);
    key
}

/// The articles-by-feed entry of an article.
pub fn article_by_feed(article: &Article) -> Vec<u8> {
    let mut key = feed_articles_prefix(&article.feed_id);
    key.extend_from_slice(&time_bytes(article.first_seen));
    key.extend_from_slice(article.id.as_bytes());
    key
}

/// The articles-by-first_seen entry of an article.
pub fn article_by_seen(article: &Article) -> Vec<u8> {
    let mut key = vec![ARTICLE_BY_SEEN];
    key.extend_from_slice(&time_bytes(article.first_seen));
    key.extend_from_slice(article.id.as_bytes());
    key
}

/// The articles-by-first_seen key at which articles seen at or after `since` start.
pub fn seen_from(since: Time) -> Vec<u8> {
    let mut key = vec![ARTICLE_BY_SEEN];
    key.extend_from_slice(&time_bytes(since));
    key
}

/// The prefix of the word-index entries of every word that starts with `word`.
pub fn word_prefix(word: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + word.len());
    key.push(WORD);
    key.extend_from_slice(word.as_bytes());
    key
}

/// The word-index entry of `word` in the title of article `article_id`.
///
/// Words hold no zero byte (they are letters and digits), so the zero after the word ends it:
/// the entries of one word are contiguous, and those of its longer forms follow them.
pub fn word_entry(word: &str, article_id: &str) -> Vec<u8> {
    let mut key = word_prefix(word);
    key.push(0);
    key.extend_from_slice(article_id.as_bytes());
    key
}

/// The word-index entries of `article`'s title, one per distinct word.
pub fn article_words(article: &Article) -> impl Iterator<Item = Vec<u8>> + '_ {
    super::words::words(&article.title)
        .into_iter()
        .map(|word| word_entry(&word, &article.id))
}

/// The word and the article id of a word-index key, or `None` for a malformed one.
pub fn word_of_entry(key: &[u8]) -> Option<(&str, &str)> {
    let (&WORD, rest) = key.split_first()? else {
        return None;
    };
    let zero = rest.iter().position(|&b| b == 0)?;
    let word = std::str::from_utf8(&rest[..zero]).ok()?;
    let id = std::str::from_utf8(rest.get(zero + 1..)?).ok()?;
    Some((word, id))
}

/// Splits the id off the tail of an index key (the parts before it have fixed sizes).
///
/// Returns `None` when the key is too short or not UTF-8: a malformed index entry.
pub fn id_of_index(key: &[u8]) -> Option<&str> {
    let (&prefix, rest) = key.split_first()?;
    let tail = match prefix {
        STORY_BY_UPDATED | ARTICLE_BY_SEEN => rest.get(8..)?,
        STORY_BY_RANK => rest.get(12..)?,
        ARTICLE_BY_STORY | ARTICLE_BY_FEED => {
            let len = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]) as usize;
            rest.get(2 + len + 8..)?
        }
        WORD => return word_of_entry(key).map(|(_, id)| id),
        _ => return None,
    };
    std::str::from_utf8(tail).ok()
}

/// A readable name for a key, for error messages: `table/id` or the table and the key in hex.
pub fn describe(key: &[u8]) -> String {
    let Some((&prefix, rest)) = key.split_first() else {
        return "<empty key>".to_string();
    };
    let table = match prefix {
        FEED => "feeds",
        ARTICLE => "articles",
        STORY => "stories",
        STORY_BY_UPDATED => "stories-by-updated",
        STORY_BY_RANK => "stories-by-rank",
        ARTICLE_BY_STORY => "articles-by-story",
        ARTICLE_BY_FEED => "articles-by-feed",
        ARTICLE_BY_SEEN => "articles-by-first-seen",
        WORD => "words",
        META => "meta",
        API_FEED => "api-feeds",
        _ => "unknown-table",
    };
    match prefix {
        FEED | ARTICLE | STORY | META | API_FEED => match std::str::from_utf8(rest) {
            Ok(id) => format!("{table}/{id}"),
            Err(_) => format!("{table}/0x{}", hex(rest)),
        },
        WORD => match word_of_entry(key) {
            Some((word, id)) => format!("{table}/{word}/{id}"),
            None => format!("{table}/0x{}", hex(rest)),
        },
        _ => format!("{table}/0x{}", hex(rest)),
    }
}

/// Lowercase hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(secs: i64) -> Time {
        Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
    }

    #[test]
    fn time_bytes_sort_like_times_even_before_1970() {
        let times = [at(-86_400), at(0), at(1), at(1_700_000_000)];
        for pair in times.windows(2) {
            assert!(time_bytes(pair[0]) < time_bytes(pair[1]));
            assert!(time_bytes_desc(pair[0]) > time_bytes_desc(pair[1]));
        }
    }

    #[test]
    fn index_keys_give_back_their_ids() {
        let mut story = crate::store::tests::story("st1", at(100), &["A", "B"]);
        let article = crate::store::tests::article("ar1", "fe1", "st1", at(50));
        assert_eq!(id_of_index(&story_by_updated(&story)), Some("st1"));
        assert_eq!(id_of_index(&story_by_rank(&story)), Some("st1"));
        assert_eq!(id_of_index(&article_by_story("st1", &article)), Some("ar1"));
        assert_eq!(id_of_index(&article_by_feed(&article)), Some("ar1"));
        assert_eq!(id_of_index(&article_by_seen(&article)), Some("ar1"));
        story.sources.push("C".into());
        assert!(
            story_by_rank(&story)
                < story_by_rank(&crate::store::tests::story("st0", at(900), &["A"]))
        );
    }

    #[test]
    fn sized_ids_do_not_prefix_each_other() {
        let a = crate::store::tests::article("x", "f", "ab", at(0));
        assert!(!article_by_story("ab", &a).starts_with(&story_articles_prefix("a")));
    }

    #[test]
    fn word_entries_give_back_their_word_and_id_and_sort_by_word() {
        let key = word_entry("rain", "ar1");
        assert_eq!(word_of_entry(&key), Some(("rain", "ar1")));
        assert_eq!(id_of_index(&key), Some("ar1"));
        assert_eq!(describe(&key), "words/rain/ar1");
        assert!(key.starts_with(&word_prefix("rain")));
        assert!(key.starts_with(&word_prefix("ra")));
        assert!(word_entry("rainbow", "ar0").starts_with(&word_prefix("rain")));
        // Every entry of "rain" comes before those of its longer forms.
        assert!(word_entry("rain", "zzz") < word_entry("rainbow", "ar0"));
        assert!(!word_entry("ukraine", "ar2").starts_with(&word_prefix("rain")));
        assert_eq!(word_of_entry(&[WORD, b'x']), None);
        assert_eq!(word_of_entry(&article("x")), None);
    }

    #[test]
    fn describe_names_the_table() {
        assert_eq!(describe(&article("abc")), "articles/abc");
        assert!(describe(&[STORY_BY_UPDATED, 1, 2]).starts_with("stories-by-updated/0x0102"));
        assert_eq!(describe(&[]), "<empty key>");
    }
}
