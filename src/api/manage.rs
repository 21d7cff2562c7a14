//! Managing the feed set over HTTP: the OPML export, and the write endpoints (add a feed,
//! remove one, refresh one now, reload the config).
//!
//! The write endpoints answer only when an admin token is configured (`server.admin_token`
//! or `$STORYD_ADMIN_TOKEN`; 404 otherwise) and only to requests that carry it as a bearer
//! token, compared in constant time (401 otherwise). They change nothing themselves: each
//! becomes a `daemon::Command` that the scheduler loop applies, and its answer comes back
//! on a oneshot channel. Adding a feed first runs discovery through the snapshot's API
//! fetcher, which refuses non-public addresses unless `server.allow_private_feeds` is set.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;
use url::Url;

use super::{ApiError, AppState, FeedView, params};
use crate::config::FeedConfig;
use crate::daemon::Command;
use crate::discover::{DiscoverError, discover};
use crate::fetch::FetchError;
use crate::live::{ChangeError, ReloadError};
use crate::opml::{self, OpmlFeed};

/// The routes of this module, the write ones behind the admin token.
pub fn routes(state: AppState) -> axum::Router<AppState> {
    let writes = axum::Router::new()
        .route("/api/feeds", post(add_feed))
        .route("/api/feeds/{id}", delete(remove_feed))
        .route("/api/feeds/{id}/refresh", post(refresh_feed))
        .route("/api/reload", post(reload))
        .route_layer(middleware::from_fn_with_state(state, require_admin));
    axum::Router::new()
        .route("/api/feeds.opml", get(feeds_opml))
        .merge(writes)
}

/// True when `headers` carry `Authorization: Bearer <token>` with exactly `token`.
pub fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some((scheme, given)) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
    else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer")
        && bool::from(given.trim().as_bytes().ct_eq(token.as_bytes()))
}

async fn require_admin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(token) = state.current_config().admin_token() else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "writes_disabled",
            "write endpoints are disabled: set server.admin_token (or STORYD_ADMIN_TOKEN)",
        )
        .into_response();
    };
    if !bearer_matches(request.headers(), &token) {
        let error = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this endpoint needs the admin token: Authorization: Bearer <server.admin_token>",
        );
        return (
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"storyd\"")],
            error,
        )
            .into_response();
    }
    next.run(request).await
}

/// Sends a command to the scheduler loop and waits for its answer.
async fn ask<T>(
    state: &AppState,
    make: impl FnOnce(oneshot::Sender<T>) -> Command,
) -> Result<T, ApiError> {
    let (tx, rx) = oneshot::channel();
    let gone = || {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "storyd is shutting down",
        )
    };
    state.commands.send(make(tx)).await.map_err(|_| gone())?;
    rx.await.map_err(|_| gone())
}

fn change_error(e: ChangeError) -> ApiError {
    let (status, code) = match &e {
        ChangeError::Exists { .. } => (StatusCode::CONFLICT, "already_exists"),
        ChangeError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
        ChangeError::InConfig { .. } => (StatusCode::CONFLICT, "configured_in_file"),
        ChangeError::Store(_) => return ApiError::internal(e),
    };
    ApiError::new(status, code, e.to_string())
}

/// The body of `POST /api/feeds`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFeed {
    /// A feed's URL, or a site's: its feed is discovered.
    url: String,
    /// Display name (else the feed's own title).
    name: Option<String>,
    /// Poll interval such as "10m" (else `scheduler.interval`).
    interval: Option<String>,
}

async fn add_feed(
    State(state): State<AppState>,
    body: Result<Json<NewFeed>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(body_error)?;
    let url = Url::parse(body.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_url",
                format!("url: not an http(s) URL: {:?}", body.url),
            )
        })?;
    let interval = match body.interval.as_deref() {
        None => None,
        Some(text) => Some(
            humantime::parse_duration(text)
                .ok()
                .filter(|d| *d >= Duration::from_secs(1))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "bad_interval",
                        format!("interval: not a duration such as \"10m\": {text:?}"),
                    )
                })?,
        ),
    };
    let snapshot = state.snapshot();
    let Some(snapshot) = snapshot else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_running",
            "the scheduler is not running",
        ));
    };
    let found = discover(&snapshot.api_fetcher, &url)
        .await
        .map_err(|e| match e {
            DiscoverError::Fetch(FetchError::Blocked { .. }) => {
                ApiError::new(StatusCode::FORBIDDEN, "blocked_address", e.to_string())
            }
            other => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_feed",
                other.to_string(),
            ),
        })?;
    let Some(first) = found.into_iter().next() else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_feed",
            format!("no feed found at {url}"),
        ));
    };
    let feed = FeedConfig {
        configured_url: first.url.to_string(),
        url: first.url,
        name: body
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        interval,
        html_url: None,
    };
    let state_now = ask(&state, |tx| Command::AddFeed(feed, tx))
        .await?
        .map_err(change_error)?;
    let location = format!("/api/feeds/{}", state_now.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(FeedView::from(state_now)),
    )
        .into_response())
}

/// The answer to a body that is not a `NewFeed` in JSON; a form (curl's `-d` alone) is
/// told what to send instead.
fn body_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with the header Content-Type: application/json \
             (with curl: -H 'Content-Type: application/json' -d '{\"url\":\"...\"}')",
        ),
        other => ApiError::bad_request("bad_body", other.body_text()),
    }
}

async fn remove_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    params::check_id(&id)?;
    ask(&state, |tx| Command::RemoveFeed(id, tx))
        .await?
        .map_err(change_error)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn refresh_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    params::check_id(&id)?;
    let known = state.snapshot().is_some_and(|s| s.feed(&id).is_some());
    if !known {
        return Err(ApiError::not_found("feed", &id));
    }
    let queued = state.commands.send(Command::Refresh(id.clone())).await;
    if queued.is_err() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "storyd is shutting down",
        ));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"status": "queued", "feed": id})),
    )
        .into_response())
}

async fn reload(State(state): State<AppState>) -> Result<Response, ApiError> {
    match ask(&state, |tx| Command::Reload(Some(tx))).await? {
        Ok(report) => Ok(Json(json!({"status": "reloaded", "report": report})).into_response()),
        Err(e @ ReloadError::Config(_)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_config",
            format!("{e}; the old config stays in force"),
        )),
        Err(e) => Err(ApiError::internal(e)),
    }
}

async fn feeds_opml(State(state): State<AppState>) -> Result<Response, ApiError> {
    let feeds = state.live_feeds();
    let store = state.store.clone();
    let doc = tokio::task::spawn_blocking(move || -> Result<String, ApiError> {
        let mut out = Vec::with_capacity(feeds.len());
        for f in feeds {
            let stored = store.feed(&crate::model::feed_id(&f.configured_url))?;
            out.push(OpmlFeed {
                url: f.url.to_string(),
                title: f.name.clone().or(stored.map(|s| s.name)),
                html_url: f.html_url.clone(),
            });
        }
        Ok(opml::write("storyd feeds", &out))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(([(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")], doc).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_the_exact_bearer_token_matches() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(bearer_matches(&with("Bearer s3cret"), "s3cret"));
        assert!(bearer_matches(&with("bearer s3cret"), "s3cret"));
        assert!(!bearer_matches(&with("Bearer s3cre"), "s3cret"));
        assert!(!bearer_matches(&with("Bearer s3cret2"), "s3cret"));
        assert!(!bearer_matches(&with("Basic s3cret"), "s3cret"));
        assert!(!bearer_matches(&with("s3cret"), "s3cret"));
        assert!(!bearer_matches(&HeaderMap::new(), "s3cret"));
    }
}
