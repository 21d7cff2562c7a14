//! The web page: `GET /` lists the top stories (headline, summary, outlets with links, when
//! first seen and last updated, a search box) and `GET /stories/{id}` shows one story with
//! every article and how it matched.
//!
//! Server-rendered with askama templates (`templates/`), whose HTML escaping is on for every
//! value: nothing a feed sends can become markup. The pages need no JavaScript, and a strict
//! Content-Security-Policy forbids any, so a missed escape could still not run a script.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState, StoryQuery, etag, links, params, syndication};
use crate::model::{Article, MatchKind, Story, Time};

/// What the pages allow the browser to load: their own inline CSS and nothing else.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Longest summary shown in the list, in characters.
const LIST_SUMMARY_CHARS: usize = 280;

/// A time as the page shows it: "3 h ago", with the exact time for `<time>` and its tooltip.
struct When {
    iso: String,
    ago: String,
}

impl When {
    fn new(t: Time, now: Time) -> When {
        When {
            iso: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ago: ago(t, now),
        }
    }
}

/// "just now", "12 min ago", "3 h ago", "4 d ago".
pub fn ago(t: Time, now: Time) -> String {
    let secs = (now - t).num_seconds();
    match secs {
        ..60 => "just now".to_owned(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..172_800 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// An outlet of a story with the link to its article, if it has a web URL.
struct Source {
    name: String,
    title: String,
    url: Option<String>,
}

/// A story as both pages show it.
struct Card {
    id: String,
    headline: String,
    summary: String,
    first_seen: When,
    updated: When,
    article_count: u64,
    source_count: usize,
    sources: Vec<Source>,
    more_sources: usize,
}

impl Card {
    /// The story with one link per outlet, taken from `articles` (the first of each outlet's).
    fn new(story: &Story, articles: &[Article], now: Time, summary_chars: usize) -> Card {
        let mut sources: Vec<Source> = Vec::new();
        for a in articles {
            if !sources.iter().any(|s| s.name == a.source) {
                sources.push(Source {
                    name: a.source.clone(),
                    title: a.title.clone(),
                    url: links::web_url(a.url.as_deref()).map(str::to_owned),
                });
            }
        }
        Card {
            id: story.id.clone(),
            headline: story.headline.clone(),
            summary: shorten(&story.summary, summary_chars),
            first_seen: When::new(story.first_seen, now),
            updated: When::new(story.updated, now),
            article_count: story.article_count,
            source_count: story.sources.len(),
            more_sources: story.sources.len().saturating_sub(sources.len()),
            sources,
        }
    }
}

/// `text` cut at a word boundary to at most `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end())
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexTemplate {
    /// The way back to the front page from this page (every link of a page is relative,
    /// so that the pages work behind a reverse proxy under any path prefix).
    root: &'static str,
    q: String,
    stories: Vec<Card>,
    next_url: Option<String>,
}

/// An article row of the story page.
struct Row {
    title: String,
    url: Option<String>,
    source: String,
    published: When,
    first_seen: When,
    kind: &'static str,
    label: &'static str,
    score: String,
    duplicate_of: Option<String>,
}

#[derive(Template)]
#[template(path = "story.html")]
struct StoryTemplate {
    /// See [`IndexTemplate::root`].
    root: &'static str,
    story: Card,
    articles: Vec<Row>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    /// See [`IndexTemplate::root`].
    root: &'static str,
    status: u16,
    message: String,
}

/// How a match kind reads on the page.
fn label(kind: MatchKind) -> &'static str {
    match kind {
        MatchKind::New => "started the story",
        MatchKind::Exact => "exact duplicate",
        MatchKind::NearDuplicate => "near duplicate",
        MatchKind::Similar => "same event",
    }
}

/// `GET /`
pub async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let page = async {
        let pairs = syndication::pairs(query)?;
        let q = StoryQuery::parse(&pairs)?;
        let store = state.store.clone();
        let (stories, next) = tokio::task::spawn_blocking(move || q.run(&store))
            .await
            .map_err(ApiError::internal)??;
        let now = chrono::Utc::now();
        Ok::<_, ApiError>(IndexTemplate {
            root: FRONT,
            q: pairs
                .iter()
                .find(|(k, _)| k == "q")
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            stories: stories
                .iter()
                .map(|(s, a)| Card::new(s, a, now, LIST_SUMMARY_CHARS))
                .collect(),
            next_url: next.map(|n| links::page_query(&pairs, Some(&n))),
        })
    };
    match page.await {
        Ok(page) => html(&headers, StatusCode::OK, page.render()),
        Err(e) => error_page(&headers, e, FRONT),
    }
}

/// `GET /stories/{id}`
pub async fn story(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let page = async {
        params::check_id(&id)?;
        let store = state.store.clone();
        let found = tokio::task::spawn_blocking(move || {
            let Some(story) = store.story(&id)? else {
                return Err(ApiError::not_found("story", &id));
            };
            let articles = store.story_articles(&story.id)?;
            Ok((story, articles))
        })
        .await
        .map_err(ApiError::internal)??;
        let (story, articles) = found;
        let now = chrono::Utc::now();
        Ok::<_, ApiError>(StoryTemplate {
            root: STORY,
            story: Card::new(&story, &articles, now, usize::MAX),
            articles: articles
                .into_iter()
                .map(|a| Row {
                    url: links::web_url(a.url.as_deref()).map(str::to_owned),
                    title: a.title,
                    source: a.source,
                    published: When::new(a.published, now),
                    first_seen: When::new(a.first_seen, now),
                    kind: a.match_kind.as_str(),
                    label: label(a.match_kind),
                    score: format!("{:.2}", a.score),
                    duplicate_of: a.duplicate_of,
                })
                .collect(),
        })
    };
    match page.await {
        Ok(page) => html(&headers, StatusCode::OK, page.render()),
        Err(e) => error_page(&headers, e, STORY),
    }
}

/// [`IndexTemplate::root`] on the front page (`/`).
const FRONT: &str = "./";
/// [`IndexTemplate::root`] on a story's page (`/stories/{id}`).
const STORY: &str = "../";

/// An API error as a page a person can read, with the same status (`root` as for the page
/// that failed).
fn error_page(headers: &HeaderMap, e: ApiError, root: &'static str) -> Response {
    let page = ErrorTemplate {
        root,
        status: e.status().as_u16(),
        message: e.message().to_owned(),
    };
    html(headers, e.status(), page.render())
}

/// A rendered page with its security headers; 200s also carry an ETag and may answer 304.
fn html(headers: &HeaderMap, status: StatusCode, rendered: askama::Result<String>) -> Response {
    let mut response = match rendered {
        Ok(body) if status == StatusCode::OK => {
            etag::respond(headers, "text/html; charset=utf-8", body)
        }
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ago_reads_like_a_person_would_say_it() {
        let now = chrono::Utc::now();
        let before = |secs: i64| now - chrono::Duration::seconds(secs);
        assert_eq!(ago(before(5), now), "just now");
        assert_eq!(ago(before(-30), now), "just now");
        assert_eq!(ago(before(12 * 60 + 5), now), "12 min ago");
        assert_eq!(ago(before(3 * 3600 + 100), now), "3 h ago");
        assert_eq!(ago(before(47 * 3600), now), "47 h ago");
        assert_eq!(ago(before(4 * 86_400), now), "4 d ago");
    }

    #[test]
    fn shorten_cuts_at_a_word() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("one two three", 9), "one two…");
        assert_eq!(shorten("ééééé", 3), "ééé…");
    }

    #[test]
    fn templates_escape_what_feeds_send() {
        let now = chrono::Utc::now();
        let card = Card {
            id: "0123456789abcdef".into(),
            headline: "<script>alert(1)</script> & \"quotes\"".into(),
            summary: "<img src=x onerror=alert(1)>".into(),
            first_seen: When::new(now, now),
            updated: When::new(now, now),
            article_count: 1,
            source_count: 1,
            sources: vec![Source {
                name: "Evil <b>Outlet</b>".into(),
                title: "\" onmouseover=\"alert(1)".into(),
                url: Some("https://e.example/?a=1&b=\"2\"".into()),
            }],
            more_sources: 0,
        };
        let page = IndexTemplate {
            root: FRONT,
            q: "\"><script>".into(),
            stories: vec![card],
            next_url: None,
        };
        let html = page.render().unwrap();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("\" onmouseover"), "{html}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38;"),
            "{html}"
        );
    }
}
