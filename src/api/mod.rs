//! The query endpoint: routes, shared state and handlers. Reads the store; never writes
//! into the engine's state (operator actions go to the scheduler as commands).

mod error;
mod etag;
mod links;
mod manage;
mod pages;
mod params;
pub mod server;
mod syndication;
mod views;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::config::{Config, FeedConfig};
use crate::daemon::Command;
use crate::live::Snapshot;
use crate::metrics::{self, Metrics};
use crate::model::feed_id;
use crate::store::{Store, StoryOrder};

pub use error::ApiError;
pub use params::StoryQuery;
pub use views::{ArticleView, FeedView, StoryView};

/// How many articles a story carries in list answers.
pub const LIST_ARTICLES: usize = 10;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    config: Arc<Config>,
    commands: mpsc::Sender<Command>,
    metrics: Metrics,
    live: Option<watch::Receiver<Arc<Snapshot>>>,
}

impl AppState {
    /// State over the store, the running config and the scheduler's command channel.
    pub fn new(store: Store, config: Arc<Config>, commands: mpsc::Sender<Command>) -> Self {
        AppState {
            store,
            config,
            commands,
            metrics: Metrics::default(),
            live: None,
        }
    }

    /// The same state, reading the live feed set (after reloads and API changes) from `live`.
    pub fn with_live(mut self, live: watch::Receiver<Arc<Snapshot>>) -> Self {
        self.live = Some(live);
        self
    }

    /// The live feed set, when the scheduler publishes one.
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.live.as_ref().map(|l| l.borrow().clone())
    }

    /// The config in force (the reloaded one, if the daemon reloaded).
    pub fn current_config(&self) -> Arc<Config> {
        self.snapshot()
            .map_or_else(|| self.config.clone(), |s| s.config.clone())
    }

    /// The feeds polled now: the live set's, else the config's.
    pub fn live_feeds(&self) -> Vec<FeedConfig> {
        match self.snapshot() {
            Some(s) => s.feeds.iter().map(|f| f.feed.clone()).collect(),
            None => self.config.feeds.clone(),
        }
    }

    /// The same state, serving `metrics` at `GET /metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }
}

/// The router with every route; tests can call it without a socket.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/stories", get(list_stories))
        .route("/api/stories/{id}", get(get_story))
        .route("/api/articles/{id}", get(get_article))
        .route("/api/feeds", get(list_feeds))
        .route("/metrics", get(serve_metrics))
        .route("/", get(pages::index))
        .route("/stories/{id}", get(pages::story))
        .route("/stories.atom", get(syndication::atom))
        .route("/stories.json", get(syndication::json_feed))
        .merge(manage::routes(state.clone()))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
}

/// `GET /metrics`: OpenMetrics when the `Accept` header asks for it, else Prometheus text.
async fn serve_metrics(State(state): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = metrics::Format::negotiate(accept);
    (
        [
            (header::CONTENT_TYPE, format.content_type()),
            (header::VARY, "Accept"),
        ],
        state.metrics.render_as(format),
    )
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn list_stories(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(pairs) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let q = StoryQuery::parse(&pairs)?;
    tokio::task::spawn_blocking(move || {
        let (stories, next) = q.run(&state.store)?;
        let views: Vec<StoryView> = stories
            .into_iter()
            .map(|(story, articles)| StoryView::new(story, articles))
            .collect();
        Ok(Json(json!({"stories": views, "next_cursor": next})))
    })
    .await
    .map_err(ApiError::internal)?
}

async fn get_story(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<StoryView>, ApiError> {
    params::check_id(&id)?;
    tokio::task::spawn_blocking(move || {
        let story = state
            .store
            .story(&id)?
            .ok_or_else(|| ApiError::not_found("story", &id))?;
        let articles = state.store.story_articles(&story.id)?;
        Ok(Json(StoryView::new(story, articles)))
    })
    .await
    .map_err(ApiError::internal)?
}

async fn get_article(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ArticleView>, ApiError> {
    params::check_id(&id)?;
    let article = state
        .store
        .article(&id)?
        .ok_or_else(|| ApiError::not_found("article", &id))?;
    Ok(Json(ArticleView::from(article)))
}

async fn list_feeds(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let mut feeds = Vec::new();
    for f in &state.live_feeds() {
        if let Some(s) = state.store.feed(&feed_id(&f.configured_url))? {
            feeds.push(FeedView::from(s));
        }
    }
    Ok(Json(json!({"feeds": feeds})))
}

/// The order names accepted by `sort`.
pub fn order_of(name: &str) -> Option<StoryOrder> {
    match name {
        "top" => Some(StoryOrder::Top),
        "recent" => Some(StoryOrder::Recent),
        _ => None,
    }
}
