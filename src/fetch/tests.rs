//! The fetcher against real servers on 127.0.0.1:0: an axum app for what HTTP can express,
//! raw TCP for what it cannot (stalls, resets, bodies cut short). Redirects, bodies and
//! raw-TCP faults have their own files beside this one.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::*;

mod bodies;
mod faults;
mod redirects;

const FEED: &str = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";

/// Starts `app` on a fresh loopback port and returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn settings(max_body: u64, timeout_ms: u64) -> FetchSettings {
    FetchSettings {
        timeout: Duration::from_millis(timeout_ms),
        connect_timeout: Duration::from_millis(500),
        max_body,
        per_host: 2,
        user_agent: default_user_agent(),
    }
}

fn fetcher() -> Fetcher {
    Fetcher::new(settings(64 * 1024, 2000)).unwrap()
}

fn none() -> Validators {
    Validators::default()
}

/// The request headers a server saw, in order.
type Seen = Arc<Mutex<Vec<HeaderMap>>>;

/// A feed with validators that answers 304 when either validator matches.
async fn conditional(State(seen): State<Seen>, headers: HeaderMap) -> Response {
    seen.lock().unwrap().push(headers.clone());
    let etag_matches = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v == "\"v1\"");
    let date_matches = headers
        .get(header::IF_MODIFIED_SINCE)
        .is_some_and(|v| v == "Mon, 01 Jan 2024 00:00:00 GMT");
    if etag_matches || date_matches {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::ETAG, "\"v1\""),
            (header::LAST_MODIFIED, "Mon, 01 Jan 2024 00:00:00 GMT"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::CONTENT_TYPE, "application/rss+xml; charset=utf-8"),
        ],
        FEED,
    )
        .into_response()
}

fn conditional_app(seen: Seen) -> Router {
    Router::new()
        .route("/feed", get(conditional))
        .route("/revalidated", get(revalidated))
        .with_state(seen)
}

/// A 304 that brings a new ETag and forbids caching.
async fn revalidated() -> Response {
    let headers = [
        (header::ETAG, "\"v2\""),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    (StatusCode::NOT_MODIFIED, headers).into_response()
}

#[tokio::test]
async fn not_modified_with_new_validators_updates_them() {
    let base = serve(conditional_app(Seen::default())).await;
    let sent = Validators {
        etag: Some("\"v1\"".into()),
        last_modified: Some("Mon, 01 Jan 2024 00:00:00 GMT".into()),
    };
    let out = fetcher().fetch(&format!("{base}/revalidated"), &sent).await;
    let out = out.unwrap();
    assert!(out.not_modified());
    assert_eq!(out.validators.etag.as_deref(), Some("\"v2\""));
    assert_eq!(out.validators.last_modified, sent.last_modified);
    assert_eq!(out.cache_for, Some(Duration::ZERO));
}

#[tokio::test]
async fn ok_with_validators_and_request_headers() {
    let seen = Seen::default();
    let base = serve(conditional_app(seen.clone())).await;
    let out = fetcher()
        .fetch(&format!("{base}/feed"), &none())
        .await
        .unwrap();
    assert_eq!(out.status, 200);
    assert_eq!(out.body.as_deref(), Some(FEED.as_bytes()));
    assert_eq!(out.validators.etag.as_deref(), Some("\"v1\""));
    let last_modified = out.validators.last_modified.as_deref();
    assert_eq!(last_modified, Some("Mon, 01 Jan 2024 00:00:00 GMT"));
    assert_eq!(out.cache_for, Some(Duration::from_secs(300)));
    let content_type = out.content_type.as_deref();
    assert_eq!(content_type, Some("application/rss+xml; charset=utf-8"));
    assert_eq!((out.moved_to, out.redirects.len()), (None, 0));
    let seen = seen.lock().unwrap();
    let h = &seen[0];
    assert_eq!(h[header::USER_AGENT], default_user_agent().as_str());
    assert!(
        h[header::ACCEPT]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    let encodings = h[header::ACCEPT_ENCODING].to_str().unwrap();
    assert!(
        encodings.contains("gzip") && encodings.contains("br"),
        "{encodings}"
    );
    assert!(!h.contains_key(header::IF_NONE_MATCH));
}

#[tokio::test]
async fn not_modified_when_etag_matches() {
    let seen = Seen::default();
    let base = serve(conditional_app(seen.clone())).await;
    let sent = Validators {
        etag: Some("\"v1\"".into()),
        last_modified: None,
    };
    let out = fetcher()
        .fetch(&format!("{base}/feed"), &sent)
        .await
        .unwrap();
    assert_eq!(out.status, 304);
    assert!(out.not_modified());
    assert_eq!(
        out.validators, sent,
        "a bare 304 keeps the request's validators"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0][header::IF_NONE_MATCH], "\"v1\"");
}

#[tokio::test]
async fn not_modified_by_date_and_stale_etag_refetches() {
    let seen = Seen::default();
    let base = serve(conditional_app(seen.clone())).await;
    let url = format!("{base}/feed");
    let by_date = Validators {
        etag: None,
        last_modified: Some("Mon, 01 Jan 2024 00:00:00 GMT".into()),
    };
    assert_eq!(fetcher().fetch(&url, &by_date).await.unwrap().status, 304);
    let stale = Validators {
        etag: Some("\"v0\"".into()),
        last_modified: None,
    };
    let out = fetcher().fetch(&url, &stale).await.unwrap();
    assert_eq!(
        (out.status, out.validators.etag.as_deref()),
        (200, Some("\"v1\""))
    );
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0][header::IF_MODIFIED_SINCE],
        "Mon, 01 Jan 2024 00:00:00 GMT"
    );
}

/// `/status/{code}` answers bare; `/retry/{code}/{secs}` adds `Retry-After: secs` and
/// `/retry-date/{code}/{secs}` the HTTP date `secs` from now.
fn status_app() -> Router {
    async fn bare(Path(code): Path<u16>) -> StatusCode {
        StatusCode::from_u16(code).unwrap()
    }
    async fn retry(Path((code, secs)): Path<(u16, u64)>) -> Response {
        let status = StatusCode::from_u16(code).unwrap();
        (status, [(header::RETRY_AFTER, secs.to_string())]).into_response()
    }
    async fn retry_date(Path((code, secs)): Path<(u16, u64)>) -> Response {
        let when = std::time::SystemTime::now() + Duration::from_secs(secs);
        let status = StatusCode::from_u16(code).unwrap();
        (
            status,
            [(header::RETRY_AFTER, httpdate::fmt_http_date(when))],
        )
            .into_response()
    }
    Router::new()
        .route("/status/{code}", get(bare))
        .route("/retry/{code}/{secs}", get(retry))
        .route("/retry-date/{code}/{secs}", get(retry_date))
        .route("/empty", get(|| async { "" }))
        .route("/blank", get(|| async { "\n  \n" }))
}

#[tokio::test]
async fn error_statuses_are_labelled() {
    let base = serve(status_app()).await;
    for (code, kind, reason) in [
        (500, "status_5xx", "Internal Server Error"),
        (502, "status_5xx", "Bad Gateway"),
        (503, "status_5xx", "Service Unavailable"),
        (404, "status_4xx", "Not Found"),
        (300, "status_other", "Multiple Choices"),
    ] {
        let err = fetcher()
            .fetch(&format!("{base}/status/{code}"), &none())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{code}");
        assert!(
            err.to_string().ends_with(&format!("HTTP {code} {reason}")),
            "{err}"
        );
        assert_eq!(err.retry_after(), None);
    }
}

#[tokio::test]
async fn retry_after_in_seconds_and_as_date() {
    let base = serve(status_app()).await;
    let err = fetcher()
        .fetch(&format!("{base}/retry/429/120"), &none())
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    let err = fetcher()
        .fetch(&format!("{base}/retry-date/503/600"), &none())
        .await;
    // HTTP dates have whole seconds, so up to a second is lost on the way.
    let wait = err.unwrap_err().retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(597) && wait <= Duration::from_secs(600),
        "{wait:?}"
    );
    // Only 429 and 503 carry a wait.
    let err = fetcher()
        .fetch(&format!("{base}/retry/500/120"), &none())
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), None);
}

#[tokio::test]
async fn empty_200_is_an_error() {
    let base = serve(status_app()).await;
    for route in ["empty", "blank"] {
        let err = fetcher().fetch(&format!("{base}/{route}"), &none()).await;
        let err = err.unwrap_err();
        assert!(
            matches!(err, FetchError::Empty { status: 200, .. }),
            "{err}"
        );
    }
}

#[tokio::test]
async fn per_host_limit_holds() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, max) = (in_flight.clone(), peak.clone());
    let app = Router::new().route(
        "/slow",
        get(move || async move {
            let current = now.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(current, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            now.fetch_sub(1, Ordering::SeqCst);
            FEED
        }),
    );
    let base = serve(app).await;
    let fetcher = fetcher();
    let fetches = (0..8).map(|_| {
        let fetcher = fetcher.clone();
        let url = format!("{base}/slow");
        tokio::spawn(async move { fetcher.fetch(&url, &Validators::default()).await })
    });
    for fetch in futures_util::future::join_all(fetches).await {
        assert!(fetch.unwrap().is_ok());
    }
    // per_host is 2: never more, and the limit is reached (so the test can tell).
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn file_urls_and_other_schemes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, FEED).unwrap();
    let url = url::Url::from_file_path(&path).unwrap();
    let out = fetcher().fetch(url.as_str(), &none()).await.unwrap();
    assert_eq!(out.body.as_deref(), Some(FEED.as_bytes()));
    let err = fetcher()
        .fetch("ftp://example.org/feed", &none())
        .await
        .unwrap_err();
    assert!(
        err.to_string().ends_with("unsupported URL scheme ftp"),
        "{err}"
    );
    let err = fetcher().fetch("not a url", &none()).await.unwrap_err();
    assert_eq!(err.kind(), "url");
}
