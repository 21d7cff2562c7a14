//! The query endpoint: routes, shared state and handlers. Reads the store; never writes
//! into the engine's state (operator actions go to the scheduler as commands).

mod error;
mod params;
pub mod server;
mod views;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::daemon::Command;
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
    #[allow(dead_code)]
    commands: mpsc::Sender<Command>,
}

impl AppState {
    /// State over the store, the running config and the scheduler's command channel.
    pub fn new(store: Store, config: Arc<Config>, commands: mpsc::Sender<Command>) -> Self {
        AppState {
            store,
            config,
            commands,
        }
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
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
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
    for f in &state.config.feeds {
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
