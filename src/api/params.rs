//! The parameters of `GET /api/stories`, checked one by one with messages that name them,
//! and the walk that answers them from the store's order indexes: over every story, or, for a
//! `q` search, over the stories the word index finds (same order, same cursors).
//!
//! A `q` word matches the title words it begins, after the same normalization as titles (see
//! `store::title_words`): `rain` finds "Rain" and "rains", not "Ukraine".

use crate::model::{Article, Story, Time};
use crate::store::{Store, StoreError, StoryOrder, WordSearch, title_words, word_matches};

use super::{ApiError, LIST_ARTICLES, order_of};

/// Largest `limit`.
pub const MAX_LIMIT: usize = 200;

/// Longest accepted cursor, in hex digits.
const MAX_CURSOR: usize = 512;

/// Longest accepted `q`.
const MAX_QUERY: usize = 200;

/// One page of stories, each with its first articles, and the cursor of the next page.
pub type StoryPage = (Vec<(Story, Vec<Article>)>, Option<String>);

/// A checked `GET /api/stories` request.
#[derive(Debug, Clone)]
pub struct StoryQuery {
    /// Stories per page.
    pub limit: usize,
    /// Continue after this position (raw index key).
    pub cursor: Option<Vec<u8>>,
    /// Only stories updated at or after.
    pub since: Option<Time>,
    /// Only stories updated at or before.
    pub until: Option<Time>,
    /// Query words (normalized as title words are) that must each begin a word of the
    /// headline or of an article title.
    pub words: Vec<String>,
    /// Only stories with at least this many sources.
    pub min_sources: usize,
    /// Only stories with an article from this feed.
    pub feed: Option<String>,
    /// `top` or `recent`.
    pub order: StoryOrder,
}

impl StoryQuery {
    /// Checks the query pairs; unknown or repeated parameters are errors too.
    pub fn parse(pairs: &[(String, String)]) -> Result<StoryQuery, ApiError> {
        let mut q = StoryQuery {
            limit: 20,
            cursor: None,
            since: None,
            until: None,
            words: Vec::new(),
            min_sources: 0,
            feed: None,
            order: StoryOrder::Top,
        };
        let mut seen = std::collections::HashSet::new();
        for (key, value) in pairs {
            if !seen.insert(key.as_str()) {
                return Err(bad(key, "is given more than once"));
            }
            match key.as_str() {
                "limit" => q.limit = number(key, value, 1, MAX_LIMIT)?,
                "cursor" => q.cursor = Some(cursor(value)?),
                "since" => q.since = Some(time(key, value)?),
                "until" => q.until = Some(time(key, value)?),
                "q" => q.words = words(value)?,
                "min_sources" => q.min_sources = number(key, value, 0, 100_000)?,
                "feed" => {
                    check_id(value).map_err(|_| bad(key, "is not a feed id (16 hex digits)"))?;
                    q.feed = Some(value.clone());
                }
                "sort" => {
                    q.order = order_of(value).ok_or_else(|| {
                        bad(
                            key,
                            &format!("must be \"top\" or \"recent\", not {value:?}"),
                        )
                    })?
                }
                other => {
                    return Err(ApiError::bad_request(
                        "unknown_parameter",
                        format!(
                            "unknown parameter {other:?}; known: limit, cursor, since, until, q, min_sources, feed, sort"
                        ),
                    ));
                }
            }
        }
        if let (Some(s), Some(u)) = (q.since, q.until)
            && s > u
        {
            return Err(bad("since", "is later than until"));
        }
        Ok(q)
    }

    /// Runs the query: a page of stories (each with up to [`LIST_ARTICLES`] articles) and the next cursor.
    pub fn run(&self, store: &Store) -> Result<StoryPage, ApiError> {
        let cursor = self.cursor.as_deref();
        if self.words.is_empty() {
            return self.page(store, store.stories(self.order, cursor), &[]);
        }
        match store.word_search(&self.words)? {
            WordSearch::Stories { ids, unchecked } => self.page(
                store,
                store.stories_among(&ids, self.order, cursor),
                &unchecked,
            ),
            WordSearch::TooCommon => {
                self.page(store, store.stories(self.order, cursor), &self.words)
            }
        }
    }

    /// A page of the `stories` (in the listing's order) that pass the filters and whose titles
    /// hold every word of `words`.
    fn page(
        &self,
        store: &Store,
        stories: impl Iterator<Item = Result<(Vec<u8>, Story), StoreError>>,
        words: &[String],
    ) -> Result<StoryPage, ApiError> {
        let mut page = Vec::new();
        let mut last_key = None;
        let mut more = false;
        for item in stories {
            let (key, story) = item?;
            if self.order == StoryOrder::Recent {
                if self.until.is_some_and(|u| story.updated > u) {
                    continue;
                }
                if self.since.is_some_and(|s| story.updated < s) {
                    break;
                }
            }
            if !self.keeps(&story) {
                continue;
            }
            // A page shows the first few articles; only words that the headline alone does not
            // hold need every title.
            let missing = missing_words(words, &story.headline);
            let mut articles = if missing.is_empty() {
                store.story_articles_first(&story.id, LIST_ARTICLES)?
            } else {
                let all = store.story_articles(&story.id)?;
                if !in_titles(&missing, &all) {
                    continue;
                }
                all
            };
            if page.len() == self.limit {
                more = true;
                break;
            }
            articles.truncate(LIST_ARTICLES);
            last_key = Some(key);
            page.push((story, articles));
        }
        let next = if more { last_key.map(hex) } else { None };
        Ok((page, next))
    }

    fn keeps(&self, story: &Story) -> bool {
        story.sources.len() >= self.min_sources
            && self.since.is_none_or(|s| story.updated >= s)
            && self.until.is_none_or(|u| story.updated <= u)
            && self
                .feed
                .as_ref()
                .is_none_or(|f| story.feed_ids.contains(f))
    }
}

/// The query words that begin no word of `title`.
fn missing_words<'w>(words: &'w [String], title: &str) -> Vec<&'w str> {
    let mut missing: Vec<&str> = words.iter().map(String::as_str).collect();
    drop_found(&mut missing, title);
    missing
}

/// True when each of `words` begins a word of some article's title.
fn in_titles(words: &[&str], articles: &[Article]) -> bool {
    let mut missing: Vec<&str> = words.to_vec();
    for article in articles {
        drop_found(&mut missing, &article.title);
        if missing.is_empty() {
            return true;
        }
    }
    missing.is_empty()
}

/// Drops from `missing` the words that begin a word of `title`.
fn drop_found(missing: &mut Vec<&str>, title: &str) {
    if missing.is_empty() {
        return;
    }
    let have = title_words(title);
    missing.retain(|w| !have.iter().any(|h| word_matches(h, w)));
}

fn bad(key: &str, problem: &str) -> ApiError {
    ApiError::bad_request("bad_parameter", format!("{key} {problem}"))
}

fn number(key: &str, value: &str, min: usize, max: usize) -> Result<usize, ApiError> {
    let n: usize = value.parse().map_err(|_| {
        bad(
            key,
            &format!("must be a whole number, not {:?}", truncate(value)),
        )
    })?;
    if n < min || n > max {
        return Err(bad(key, &format!("must be between {min} and {max}")));
    }
    Ok(n)
}

fn time(key: &str, value: &str) -> Result<Time, ApiError> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            bad(
                key,
                &format!(
                    "must be an RFC 3339 time such as 2026-11-28T12:00:00Z, not {:?}",
                    truncate(value)
                ),
            )
        })
}

fn words(value: &str) -> Result<Vec<String>, ApiError> {
    if value.chars().count() > MAX_QUERY {
        return Err(bad("q", &format!("is longer than {MAX_QUERY} characters")));
    }
    Ok(title_words(value))
}

fn cursor(value: &str) -> Result<Vec<u8>, ApiError> {
    let invalid = || bad("cursor", "is not a cursor from a previous answer");
    if value.is_empty() || value.len() > MAX_CURSOR || value.len() % 2 != 0 {
        return Err(invalid());
    }
    (0..value.len())
        .step_by(2)
        .map(|i| {
            value
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)
}

fn hex(bytes: Vec<u8>) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn truncate(value: &str) -> String {
    value.chars().take(40).collect()
}

/// Checks that a path id looks like one of ours (16 hex digits) before it reaches the store.
pub fn check_id(id: &str) -> Result<(), ApiError> {
    if id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "bad_id",
            format!("{:?} is not an id (16 hex digits)", truncate(id)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &[(&str, &str)]) -> Result<StoryQuery, ApiError> {
        let pairs: Vec<(String, String)> = q
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        StoryQuery::parse(&pairs)
    }

    #[test]
    fn defaults_and_valid_values() {
        let q = parse(&[]).unwrap();
        assert_eq!((q.limit, q.order), (20, StoryOrder::Top));
        let q = parse(&[
            ("limit", "200"),
            ("sort", "recent"),
            ("q", "Port  Velin"),
            ("cursor", "00ff"),
        ])
        .unwrap();
        assert_eq!(q.limit, 200);
        assert_eq!(q.words, vec!["port", "velin"]);
        assert_eq!(q.cursor, Some(vec![0, 255]));
    }

    #[test]
    fn bad_values_are_rejected_by_name() {
        for (k, v) in [
            ("limit", "0"),
            ("limit", "201"),
            ("limit", "ten"),
            ("limit", "-1"),
            ("since", "yesterday"),
            ("until", "2026-13-01T00:00:00Z"),
            ("sort", "best"),
            ("cursor", "xyz"),
            ("cursor", "abc"),
            ("min_sources", "-1"),
            ("min_sources", "100001"),
            ("feed", "../etc"),
            ("colour", "red"),
        ] {
            let e = parse(&[(k, v)]).unwrap_err();
            assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST, "{k}={v}");
        }
        assert!(parse(&[("limit", "5"), ("limit", "6")]).is_err());
        assert!(
            parse(&[
                ("since", "2026-01-02T00:00:00Z"),
                ("until", "2026-01-01T00:00:00Z")
            ])
            .is_err()
        );
    }

    /// Commits an article titled `title` into story `story` at second `secs`.
    fn add(store: &Store, id: &str, story: &str, title: &str, secs: i64) {
        use crate::store::tests as st;
        let mut a = st::article(id, &format!("f{id}"), story, st::t(secs));
        a.title = title.to_string();
        let mut s = store
            .story(story)
            .expect("read")
            .unwrap_or_else(|| st::story(story, st::t(secs), &[]));
        s.headline = if s.article_count == 0 {
            title.to_string()
        } else {
            s.headline
        };
        s.updated = st::t(secs);
        store.commit_article(&a, &s, None).expect("commit");
    }

    fn ids(page: &StoryPage) -> Vec<&str> {
        page.0.iter().map(|(s, _)| s.id.as_str()).collect()
    }

    #[test]
    fn the_index_and_the_scan_answer_alike() {
        let store = Store::temporary().expect("store");
        let vocabulary = [
            "rain", "ukraine", "rainfall", "port", "velin", "drain", "storm",
        ];
        for i in 0..60i64 {
            let w = |k: i64| vocabulary[((i * 5 + k * 3) % 7) as usize];
            let story = format!("s{:02}", i % 23);
            add(
                &store,
                &format!("a{i:02}"),
                &story,
                &format!("{} {}", w(0), w(1)),
                i,
            );
        }
        for q in [
            "rain",
            "rain velin",
            "Velin PORT",
            "drain",
            "st",
            "ukraine storm",
            "x",
        ] {
            for (sort, limit) in [("top", "200"), ("recent", "3"), ("top", "1")] {
                let query = parse(&[("q", q), ("sort", sort), ("limit", limit)]).expect("query");
                let indexed = query.run(&store).expect("run");
                let scanned = query
                    .page(&store, store.stories(query.order, None), &query.words)
                    .expect("scan");
                assert_eq!(ids(&indexed), ids(&scanned), "q={q} sort={sort}");
                assert_eq!(indexed.1, scanned.1, "q={q} sort={sort}: cursor");
            }
        }
        // Every story with "rain" somewhere, none with only "ukraine" or "drain".
        let query = parse(&[("q", "rain"), ("limit", "200")]).expect("query");
        let found = query.run(&store).expect("run");
        for (story, _) in &found.0 {
            let all = store.story_articles(&story.id).expect("articles");
            assert!(
                all.iter()
                    .any(|a| a.title.split(' ').any(|w| w.starts_with("rain"))),
                "{} has no rain",
                story.id
            );
        }
    }

    #[test]
    fn min_sources_0_is_no_filter() {
        let store = Store::temporary().expect("store");
        for i in 0..5i64 {
            add(&store, &format!("a{i}"), &format!("s{i}"), "storm", i);
        }
        let all = parse(&[]).expect("query").run(&store).expect("run");
        let zero = parse(&[("min_sources", "0")]).expect("query");
        assert_eq!(zero.min_sources, 0);
        assert_eq!(ids(&zero.run(&store).expect("run")), ids(&all));
        assert_eq!(ids(&all).len(), 5);
    }

    #[test]
    fn words_are_checked_against_headline_then_titles() {
        let words: Vec<String> = vec!["rain".into(), "velin".into()];
        assert_eq!(
            missing_words(&words, "Rainfall in Port Velin"),
            Vec::<&str>::new()
        );
        assert_eq!(missing_words(&words, "Ukraine: Velin talks"), vec!["rain"]);
        let mut a = crate::store::tests::article("a1", "f1", "s1", crate::store::tests::t(0));
        a.title = "Heavy RAINS".into();
        assert!(in_titles(&["rain"], std::slice::from_ref(&a)));
        assert!(!in_titles(&["rain", "velin"], std::slice::from_ref(&a)));
        a.title = "Drains of Ukraine".into();
        assert!(!in_titles(&["rain"], &[a]));
    }
}
