//! Entry normalization and identity: a feed-rs entry becomes a [`model::Entry`].
//!
//! Part of the normalize step (fetch -> parse/**normalize** -> cluster -> store -> api). Each
//! entry gets plain-text title and summary, a canonical URL, a publication time that is never in
//! the future, and a key that stays the same across polls: the GUID, else the canonical link,
//! else a hash of title and date. Entries with nothing to show are dropped, and a key repeated
//! within one document keeps its first entry only.

use std::collections::HashSet;

use chrono::Duration;
use feed_rs::model::{Entry as RawEntry, Link, Text};
use url::Url;

use super::text::{collapse_whitespace, html_to_text, truncate};
use super::urls::canonical_url;
use super::{boilerplate, dateline};
use crate::model::{self, Entry, Time, stable_id};

/// Longest summary kept, in characters.
pub const SUMMARY_MAX_CHARS: usize = 1000;
/// Longest title kept, in characters.
pub const TITLE_MAX_CHARS: usize = 300;
/// How far ahead of our clock a date may be before it counts as "in the future" (clock skew).
pub const FUTURE_TOLERANCE: Duration = Duration::minutes(10);
/// GUIDs longer than this are hashed to form the key, so keys stay small.
const MAX_KEY_BYTES: usize = 512;

/// Normalizes every entry of a document, dropping empty ones and repeated keys; then cuts
/// leading datelines and what the document repeats under many entries from summaries, and
/// shared parts from titles (after the keys are taken, so that a key never depends on the
/// rest of the document).
pub fn normalize_all(raw: Vec<RawEntry>, feed_url: &Url, now: Time) -> Vec<model::Entry> {
    let mut seen = HashSet::with_capacity(raw.len());
    let mut entries: Vec<Entry> = raw
        .into_iter()
        .filter_map(|entry| normalize(entry, feed_url, now))
        .filter(|entry| seen.insert(entry.key.clone()))
        .collect();
    for entry in &mut entries {
        let kept = dateline::strip(&entry.summary);
        if kept.len() < entry.summary.len() {
            entry.summary = kept.to_string();
        }
    }
    let mut summaries: Vec<&mut String> = entries.iter_mut().map(|e| &mut e.summary).collect();
    boilerplate::strip(&mut summaries);
    let mut titles: Vec<&mut String> = entries.iter_mut().map(|e| &mut e.title).collect();
    boilerplate::strip_titles(&mut titles);
    entries
}

/// Normalizes one entry, or `None` when it has neither title, summary nor link.
pub fn normalize(raw: RawEntry, feed_url: &Url, now: Time) -> Option<Entry> {
    let guid = Some(collapse_whitespace(&raw.id)).filter(|id| !id.is_empty());
    let url = entry_url(&raw, guid.as_deref(), feed_url);
    let summary = summary_text(&raw);
    let mut title = text_of(raw.title.as_ref(), TITLE_MAX_CHARS);
    if title.is_empty() {
        title = raw_media_title(&raw).unwrap_or_default();
    }
    if title.is_empty() && summary.is_empty() && url.is_none() {
        return None;
    }
    if title.is_empty() {
        // Something must headline the article: the start of its summary, else its address.
        title = match summary.is_empty() {
            false => truncate(&summary, 120),
            // Bounded like any title (fuzz find: a 64 KiB link became a 64 KiB title).
            true => truncate(url.as_deref().unwrap_or_default(), TITLE_MAX_CHARS),
        };
    }
    let source_date = raw.published.or(raw.updated);
    let key = entry_key(
        guid.as_deref(),
        url.as_deref(),
        &title,
        &summary,
        source_date,
    );
    let published = match source_date {
        Some(date) if date <= now + FUTURE_TOLERANCE => date,
        _ => now,
    };
    Some(Entry {
        key,
        guid,
        title,
        summary,
        url,
        published,
    })
}

/// The identity key: GUID, else canonical URL, else a hash of title and date (and summary).
fn entry_key(
    guid: Option<&str>,
    url: Option<&str>,
    title: &str,
    summary: &str,
    date: Option<Time>,
) -> String {
    match (guid, url) {
        (Some(guid), _) if guid.len() <= MAX_KEY_BYTES => guid.to_string(),
        (Some(guid), _) => format!("guid-hash:{}", stable_id(&["guid", guid])),
        (None, Some(url)) => url.to_string(),
        (None, None) => {
            // Without a date the summary takes its place, so the key never depends on our clock.
            let date = date.map(|d| d.to_rfc3339()).unwrap_or_default();
            let filler = if date.is_empty() { summary } else { "" };
            format!("hash:{}", stable_id(&["entry", title, &date, filler]))
        }
    }
}

/// The canonical URL of the entry's page: its alternate link, else a permalink GUID.
fn entry_url(raw: &RawEntry, guid: Option<&str>, feed_url: &Url) -> Option<String> {
    let base = raw
        .base
        .as_deref()
        .and_then(|b| canonical_url(b, Some(feed_url)));
    let base = base.and_then(|b| Url::parse(&b).ok());
    let base = base.as_ref().unwrap_or(feed_url);
    let page_links = raw.links.iter().filter(|link| is_page_link(link));
    let from_links = page_links
        .chain(raw.links.iter().filter(|link| is_other_web_link(link)))
        .find_map(|link| canonical_url(&link.href, Some(base)));
    // RSS 2.0 GUIDs are permalinks by default; an absolute http(s) GUID is a fair link.
    from_links.or_else(|| {
        guid.filter(|g| g.starts_with("http"))
            .and_then(|g| canonical_url(g, None))
    })
}

/// Whether a link points at the entry's own page (not comments, enclosures or feeds).
fn is_page_link(link: &Link) -> bool {
    link.target.is_none() && matches!(link.rel.as_deref(), None | Some("alternate"))
}

/// Whether a link is a web page of some kind, as a fallback when no page link exists.
fn is_other_web_link(link: &Link) -> bool {
    let not_page = [
        "enclosure",
        "self",
        "edit",
        "edit-media",
        "replies",
        "license",
        "hub",
    ];
    link.target.is_none()
        && !link
            .rel
            .as_deref()
            .is_some_and(|rel| not_page.contains(&rel))
}

/// Plain text of a feed-rs text, bounded.
fn text_of(text: Option<&Text>, max_chars: usize) -> String {
    text.map(|t| truncate(&html_to_text(&t.content), max_chars))
        .unwrap_or_default()
}

/// Plain-text summary: the summary, else the content, else a media description.
fn summary_text(raw: &RawEntry) -> String {
    let summary = text_of(raw.summary.as_ref(), SUMMARY_MAX_CHARS);
    if !summary.is_empty() {
        return summary;
    }
    let content = raw.content.as_ref().and_then(|c| c.body.as_deref());
    if let Some(body) = content {
        let text = truncate(&html_to_text(body), SUMMARY_MAX_CHARS);
        if !text.is_empty() {
            return text;
        }
    }
    // YouTube and other Media RSS feeds carry their description in media:group.
    raw.media
        .iter()
        .map(|m| text_of(m.description.as_ref(), SUMMARY_MAX_CHARS))
        .find(|t| !t.is_empty())
        .unwrap_or_default()
}

/// Plain-text title from Media RSS, for entries whose own title is missing.
fn raw_media_title(raw: &RawEntry) -> Option<String> {
    raw.media
        .iter()
        .map(|m| text_of(m.title.as_ref(), TITLE_MAX_CHARS))
        .find(|t| !t.is_empty())
}
