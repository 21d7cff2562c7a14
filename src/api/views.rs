//! The JSON shapes of SPEC: Story, Article and Feed as the API shows them.

use serde::Serialize;

use crate::model::{Article, FeedState, FeedStatus, MatchKind, NextFetchReason, Story, Time};

/// A story as served.
#[derive(Debug, Serialize)]
pub struct StoryView {
    id: String,
    headline: String,
    summary: String,
    first_seen: Time,
    updated: Time,
    article_count: u64,
    source_count: usize,
    sources: Vec<String>,
    articles: Vec<ArticleView>,
}

impl StoryView {
    /// The story with the given articles (all of them, or the first few in lists).
    pub fn new(story: Story, articles: Vec<Article>) -> Self {
        StoryView {
            source_count: story.sources.len(),
            id: story.id,
            headline: story.headline,
            summary: story.summary,
            first_seen: story.first_seen,
            updated: story.updated,
            article_count: story.article_count,
            sources: story.sources,
            articles: articles.into_iter().map(ArticleView::from).collect(),
        }
    }
}

/// An article as served.
#[derive(Debug, Serialize)]
pub struct ArticleView {
    id: String,
    title: String,
    url: Option<String>,
    summary: String,
    published: Time,
    first_seen: Time,
    feed_id: String,
    source: String,
    story_id: String,
    duplicate_of: Option<String>,
    #[serde(rename = "match")]
    match_kind: MatchKind,
    score: f32,
}

impl From<Article> for ArticleView {
    fn from(a: Article) -> Self {
        ArticleView {
            id: a.id,
            title: a.title,
            url: a.url,
            summary: a.summary,
            published: a.published,
            first_seen: a.first_seen,
            feed_id: a.feed_id,
            source: a.source,
            story_id: a.story_id,
            duplicate_of: a.duplicate_of,
            match_kind: a.match_kind,
            score: a.score,
        }
    }
}

/// A feed as served.
#[derive(Debug, Serialize)]
pub struct FeedView {
    id: String,
    url: String,
    name: String,
    status: FeedStatus,
    last_fetch: Option<Time>,
    next_fetch: Time,
    next_fetch_reason: NextFetchReason,
    last_error: Option<String>,
    consecutive_errors: u32,
    article_count: u64,
}

impl From<FeedState> for FeedView {
    fn from(f: FeedState) -> Self {
        FeedView {
            id: f.id,
            url: f.url,
            name: f.name,
            status: f.status,
            last_fetch: f.last_fetch,
            next_fetch: f.next_fetch,
            next_fetch_reason: f.next_fetch_reason,
            last_error: f.last_error,
            consecutive_errors: f.consecutive_errors,
            article_count: f.article_count,
        }
    }
}
