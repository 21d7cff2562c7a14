//! Stories as feeds: `GET /stories.atom` (Atom 1.0, RFC 4287) and `GET /stories.json` (JSON
//! Feed 1.1), so deduplicated news can be read in any feed reader. One entry per story, with
//! its headline, summary and the links of all its articles; the same filters and paging as
//! `/api/stories`; an ETag and 304 for readers that poll.
//!
//! Entry ids are `urn:storyd:story:<id>`: permanent, whatever host name the daemon is reached
//! by. Everything from a feed is escaped by the writers (quick-xml for Atom, serde for JSON);
//! the HTML inside `content` is escaped here before it is escaped again as XML or JSON text.

use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::params::StoryPage as Page;
use super::{ApiError, AppState, StoryQuery, etag, links};
use crate::model::{Article, Story, Time};

/// Articles listed per entry at most.
const MAX_ENTRY_ARTICLES: usize = 50;

/// The query pairs of a request, or a 400 naming what was wrong.
pub(super) fn pairs(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Vec<(String, String)>, ApiError> {
    query
        .map(|Query(p)| p)
        .map_err(|e| ApiError::bad_request("bad_query", e.body_text()))
}

/// Runs a listing query with (up to [`MAX_ENTRY_ARTICLES`] of) every story's articles; lists cap them lower.
async fn load(state: &AppState, q: StoryQuery) -> Result<Page, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let (page, next) = q.run(&store)?;
        let mut full = Vec::with_capacity(page.len());
        for (story, _) in page {
            let mut articles = store.story_articles(&story.id)?;
            articles.truncate(MAX_ENTRY_ARTICLES);
            full.push((story, articles));
        }
        Ok((full, next))
    })
    .await
    .map_err(ApiError::internal)?
}

/// What both feed formats are built from.
struct Request {
    base: String,
    self_url: String,
    next_url: Option<String>,
    page: Page,
}

async fn request(
    state: &AppState,
    headers: &HeaderMap,
    uri: &OriginalUri,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Request, ApiError> {
    let pairs = pairs(query)?;
    let q = StoryQuery::parse(&pairs)?;
    let page = load(state, q).await?;
    let base = links::base_url(headers, &state.config);
    let path = uri.path();
    Ok(Request {
        self_url: links::page_url(&base, path, &pairs, None),
        next_url: page
            .1
            .as_deref()
            .map(|next| links::page_url(&base, path, &pairs, Some(next))),
        base,
        page,
    })
}

/// The permanent id of a story's entry.
fn entry_id(story: &Story) -> String {
    format!("urn:storyd:story:{}", story.id)
}

/// The story's summary and its articles as an HTML fragment, every piece escaped.
fn content_html(story: &Story, articles: &[Article]) -> String {
    use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
    let mut html = String::new();
    if !story.summary.is_empty() {
        html.push_str(&format!("<p>{}</p>", text(&story.summary)));
    }
    html.push_str("<ul>");
    for a in articles {
        let title = text(&a.title);
        match links::web_url(a.url.as_deref()) {
            Some(url) => html.push_str(&format!("<li><a href=\"{}\">{title}</a>", attr(url))),
            None => html.push_str(&format!("<li>{title}")),
        }
        html.push_str(&format!(" ({})</li>", text(&a.source)));
    }
    html.push_str("</ul>");
    html
}

/// The newest `updated` of the page: the feed's own `updated` (fixed when empty, for a stable ETag).
fn newest(page: &Page) -> Time {
    page.0
        .iter()
        .map(|(s, _)| s.updated)
        .max()
        .unwrap_or(chrono::DateTime::UNIX_EPOCH)
}

/// `GET /stories.atom`
pub async fn atom(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: OriginalUri,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    use atom_syndication::{Content, Entry, Feed, Generator, Link, Person, Text};
    let req = request(&state, &headers, &uri, query).await?;
    let link = |href: &str, rel: &str, mime: Option<&str>| Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Link::default()
    };
    let mut feed_links = vec![
        link(&req.self_url, "self", Some("application/atom+xml")),
        link(&format!("{}/", req.base), "alternate", Some("text/html")),
    ];
    if let Some(next) = &req.next_url {
        feed_links.push(link(next, "next", Some("application/atom+xml")));
    }
    let entries = req.page.0.iter().map(|(story, articles)| {
        let mut entry_links = vec![link(
            &format!("{}/stories/{}", req.base, story.id),
            "alternate",
            Some("text/html"),
        )];
        for a in articles {
            if let Some(url) = links::web_url(a.url.as_deref()) {
                entry_links.push(Link {
                    title: Some(format!("{}: {}", a.source, a.title)),
                    ..link(url, "related", None)
                });
            }
        }
        Entry {
            id: entry_id(story),
            title: Text::plain(story.headline.clone()),
            updated: story.updated.fixed_offset(),
            published: Some(story.first_seen.fixed_offset()),
            summary: (!story.summary.is_empty()).then(|| Text::plain(story.summary.clone())),
            contributors: story
                .sources
                .iter()
                .map(|s| Person {
                    name: s.clone(),
                    ..Person::default()
                })
                .collect(),
            links: entry_links,
            content: Some(Content {
                value: Some(content_html(story, articles)),
                content_type: Some("html".to_owned()),
                ..Content::default()
            }),
            ..Entry::default()
        }
    });
    let feed = Feed {
        title: Text::plain("storyd: top stories"),
        id: "urn:storyd:stories".to_owned(),
        updated: newest(&req.page).fixed_offset(),
        authors: vec![Person {
            name: "storyd".to_owned(),
            ..Person::default()
        }],
        generator: Some(Generator {
            value: "storyd".to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            ..Generator::default()
        }),
        links: feed_links,
        entries: entries.collect(),
        ..Feed::default()
    };
    let xml = feed.write_to(Vec::new()).map_err(ApiError::internal)?;
    let xml = String::from_utf8(xml).map_err(ApiError::internal)?;
    Ok(etag::respond(
        &headers,
        "application/atom+xml; charset=utf-8",
        xml,
    ))
}

/// A JSON Feed 1.1 document.
#[derive(Serialize)]
struct JsonFeed {
    version: &'static str,
    title: &'static str,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    authors: Vec<Author>,
    items: Vec<Item>,
}

/// An author of an item: one of the story's outlets.
#[derive(Serialize)]
struct Author {
    name: String,
}

/// One story as a JSON Feed item.
#[derive(Serialize)]
struct Item {
    id: String,
    url: String,
    title: String,
    summary: String,
    content_html: String,
    date_published: String,
    date_modified: String,
    authors: Vec<Author>,
    /// storyd's own extension: every article, with its outlet and link.
    #[serde(rename = "_storyd")]
    storyd: Extension,
}

#[derive(Serialize)]
struct Extension {
    story_id: String,
    source_count: usize,
    articles: Vec<ExtensionArticle>,
}

#[derive(Serialize)]
struct ExtensionArticle {
    title: String,
    source: String,
    url: Option<String>,
}

fn rfc3339(t: Time) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `GET /stories.json`
pub async fn json_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: OriginalUri,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let req = request(&state, &headers, &uri, query).await?;
    let items = req
        .page
        .0
        .iter()
        .map(|(story, articles)| Item {
            id: entry_id(story),
            url: format!("{}/stories/{}", req.base, story.id),
            title: story.headline.clone(),
            summary: story.summary.clone(),
            content_html: content_html(story, articles),
            date_published: rfc3339(story.first_seen),
            date_modified: rfc3339(story.updated),
            authors: story
                .sources
                .iter()
                .map(|s| Author { name: s.clone() })
                .collect(),
            storyd: Extension {
                story_id: story.id.clone(),
                source_count: story.sources.len(),
                articles: articles
                    .iter()
                    .map(|a| ExtensionArticle {
                        title: a.title.clone(),
                        source: a.source.clone(),
                        url: links::web_url(a.url.as_deref()).map(str::to_owned),
                    })
                    .collect(),
            },
        })
        .collect();
    let doc = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: "storyd: top stories",
        home_page_url: format!("{}/", req.base),
        feed_url: req.self_url,
        next_url: req.next_url,
        authors: vec![Author {
            name: "storyd".to_owned(),
        }],
        items,
    };
    let json = serde_json::to_string_pretty(&doc).map_err(ApiError::internal)?;
    Ok(etag::respond(
        &headers,
        "application/feed+json; charset=utf-8",
        json,
    ))
}
