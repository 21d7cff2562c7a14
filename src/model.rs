//! The types that flow between the stages: feeds, entries, articles, stories and their ids.
//!
//! Every stage speaks in these types; none of them knows how it is stored or served.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

/// A point in time, always UTC.
pub type Time = DateTime<Utc>;

/// A stable 64-bit id shown as 16 lowercase hex digits, derived from the given parts.
pub fn stable_id(parts: &[&str]) -> String {
    let mut buf = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        buf.extend_from_slice(part.as_bytes());
        buf.push(0x1f);
    }
    format!("{:016x}", xxh3_64(&buf))
}

/// The id of a feed: derived from the URL it was configured with, so it survives moves.
pub fn feed_id(configured_url: &str) -> String {
    stable_id(&["feed", configured_url])
}

/// The id of an article: derived from its feed and its identity key within that feed.
pub fn article_id(feed_id: &str, entry_key: &str) -> String {
    stable_id(&["article", feed_id, entry_key])
}

/// How an article joined its story.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// It started a new story.
    New,
    /// The same GUID or canonical URL was already seen (from another feed).
    Exact,
    /// Syndicated copy of an earlier article under another URL.
    NearDuplicate,
    /// Another article about the same event.
    Similar,
}

impl MatchKind {
    /// The name used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::New => "new",
            MatchKind::Exact => "exact",
            MatchKind::NearDuplicate => "near_duplicate",
            MatchKind::Similar => "similar",
        }
    }
}

/// One feed item after parsing and normalization, before the story engine has seen it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Entry {
    /// Identity within its feed: the GUID, else the canonical link, else a hash of title and date.
    pub key: String,
    /// The item's GUID / Atom id / JSON Feed id, if it had one.
    pub guid: Option<String>,
    /// Plain-text title (entities decoded, tags stripped, whitespace collapsed).
    pub title: String,
    /// Plain-text summary, bounded in length.
    pub summary: String,
    /// Canonical absolute URL of the item, if it had a usable link.
    pub url: Option<String>,
    /// Published, else updated, else first seen; never in the future.
    pub published: Time,
}

/// An article as stored and served: an entry of one feed, filed into a story.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Article {
    /// Stable id (see [`article_id`]).
    pub id: String,
    /// The feed it came from.
    pub feed_id: String,
    /// The outlet's name (the feed's configured name, else its title).
    pub source: String,
    /// The item's GUID, if it had one.
    pub guid: Option<String>,
    /// Plain-text title.
    pub title: String,
    /// Plain-text summary.
    pub summary: String,
    /// Canonical URL.
    pub url: Option<String>,
    /// When the outlet published it.
    pub published: Time,
    /// When storyd first saw it.
    pub first_seen: Time,
    /// The story it belongs to.
    pub story_id: String,
    /// The article it exactly duplicates or syndicates, if any.
    pub duplicate_of: Option<String>,
    /// How it joined its story.
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
    /// How strongly it matched (1.0 for exact duplicates and new stories).
    pub score: f32,
}

/// A story: all articles, from all outlets, about one real-world event.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Story {
    /// Stable id.
    pub id: String,
    /// The title of its most representative article.
    pub headline: String,
    /// The article whose title is the headline.
    pub headline_article: String,
    /// A summary taken from the headline article.
    pub summary: String,
    /// When its first article was seen.
    pub first_seen: Time,
    /// When an article last joined it.
    pub updated: Time,
    /// Number of articles, duplicates included.
    pub article_count: u64,
    /// Distinct source names, in order of arrival.
    pub sources: Vec<String>,
    /// Distinct ids of the feeds its articles came from.
    pub feed_ids: Vec<String>,
    /// Set when the story was merged into another; the id then answers with that one.
    pub merged_into: Option<String>,
}

impl FeedState {
    /// A feed configured but not fetched yet: due at `now`.
    pub fn pending(configured_url: &str, url: &str, name: &str, now: Time) -> FeedState {
        FeedState {
            id: feed_id(configured_url),
            configured_url: configured_url.to_owned(),
            url: url.to_owned(),
            name: name.to_owned(),
            status: FeedStatus::Pending,
            etag: None,
            last_modified: None,
            last_fetch: None,
            next_fetch: now,
            next_fetch_reason: NextFetchReason::Initial,
            last_error: None,
            consecutive_errors: 0,
            article_count: 0,
            new_items_ewma: 0.0,
            fetch_count: 0,
        }
    }
}

/// The outcome of the last fetch of a feed.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FeedStatus {
    /// Not fetched yet.
    Pending,
    /// Fetched and parsed.
    Ok,
    /// The server answered 304 Not Modified.
    NotModified,
    /// The fetch or the parse failed.
    Error,
}

impl FeedStatus {
    /// The name used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedStatus::Pending => "pending",
            FeedStatus::Ok => "ok",
            FeedStatus::NotModified => "not_modified",
            FeedStatus::Error => "error",
        }
    }
}

/// Why a feed's next fetch is due when it is.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum NextFetchReason {
    /// Never fetched: due at start-up.
    Initial,
    /// The configured (or default) interval.
    Interval,
    /// The feed's own `<ttl>`.
    Ttl,
    /// The server's `Cache-Control: max-age` or `Expires`.
    CacheControl,
    /// Adapted to how often the feed posts.
    PostingRate,
    /// The server asked to wait (429/503 `Retry-After`).
    RetryAfter,
    /// Exponential back-off after errors.
    Backoff,
    /// Added through the API (`POST /api/feeds`): fetched at once.
    Manual,
}

impl NextFetchReason {
    /// The name used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            NextFetchReason::Initial => "initial",
            NextFetchReason::Interval => "interval",
            NextFetchReason::Ttl => "ttl",
            NextFetchReason::CacheControl => "cache-control",
            NextFetchReason::PostingRate => "posting-rate",
            NextFetchReason::RetryAfter => "retry-after",
            NextFetchReason::Backoff => "backoff",
            NextFetchReason::Manual => "manual",
        }
    }
}

/// A feed and its fetch state, as stored and served.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FeedState {
    /// Stable id (see [`feed_id`]).
    pub id: String,
    /// The URL as configured.
    pub configured_url: String,
    /// The URL fetched now (follows permanent redirects).
    pub url: String,
    /// Display name.
    pub name: String,
    /// Outcome of the last fetch.
    pub status: FeedStatus,
    /// ETag validator from the last 200.
    pub etag: Option<String>,
    /// Last-Modified validator from the last 200.
    pub last_modified: Option<String>,
    /// When it was last fetched.
    pub last_fetch: Option<Time>,
    /// When it is next due.
    pub next_fetch: Time,
    /// Why it is due then.
    pub next_fetch_reason: NextFetchReason,
    /// The last error, if the last fetch failed.
    pub last_error: Option<String>,
    /// Errors in a row.
    pub consecutive_errors: u32,
    /// Articles ingested from this feed.
    pub article_count: u64,
    /// Posting rate in new items per hour, as an exponential moving average (for adaptive intervals).
    pub new_items_ewma: f64,
    /// Successful fetches (200 or 304) so far.
    #[serde(default)]
    pub fetch_count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_json_names() {
        for kind in [
            MatchKind::New,
            MatchKind::Exact,
            MatchKind::NearDuplicate,
            MatchKind::Similar,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for status in [
            FeedStatus::Pending,
            FeedStatus::Ok,
            FeedStatus::NotModified,
            FeedStatus::Error,
        ] {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        for reason in [
            NextFetchReason::Initial,
            NextFetchReason::Interval,
            NextFetchReason::Ttl,
            NextFetchReason::CacheControl,
            NextFetchReason::PostingRate,
            NextFetchReason::RetryAfter,
            NextFetchReason::Backoff,
            NextFetchReason::Manual,
        ] {
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(
            feed_id("https://a.example/feed"),
            feed_id("https://a.example/feed")
        );
        assert_ne!(article_id("f", "ab"), article_id("fa", "b"));
        assert_eq!(stable_id(&["x"]).len(), 16);
    }
}
