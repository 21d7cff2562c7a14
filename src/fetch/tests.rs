//! The fetcher against real servers on 127.0.0.1:0: an axum app for what HTTP can express,
//! raw TCP for what it cannot (stalls, resets, bodies cut short). See `faults.rs` for the
//! raw-TCP half.

use std::io::Write;
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

mod faults;

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
        .with_state(seen)
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

/// `/r/{codes}/{rest}`: redirects with the first code to `/r/{rest}`; `/r/end` is the feed.
/// `/loop/a` and `/loop/b` point at each other; `/hops/{n}` needs n redirects to the feed.
fn redirect_app() -> Router {
    async fn chain(Path(codes): Path<String>) -> Response {
        let mut parts = codes.splitn(2, ',');
        let first = parts.next().unwrap_or("");
        let rest = parts.next().unwrap_or("end");
        let status = first.parse::<u16>().unwrap();
        let location = format!("/r/{rest}");
        redirect(status, &location)
    }
    async fn hops(Path(n): Path<u32>) -> Response {
        match n {
            0 => FEED.into_response(),
            n => redirect(301, &format!("/hops/{}", n - 1)),
        }
    }
    Router::new()
        .route("/r/end", get(|| async { FEED }))
        .route("/r/{codes}", get(chain))
        .route("/loop/a", get(|| async { redirect(302, "/loop/b") }))
        .route("/loop/b", get(|| async { redirect(302, "/loop/a") }))
        .route("/hops/{n}", get(hops))
        .route(
            "/to-file",
            get(|| async { redirect(301, "file:///etc/passwd") }),
        )
        .route("/no-location", get(|| async { StatusCode::FOUND }))
}

fn redirect(status: u16, location: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (status, [(header::LOCATION, location.to_owned())]).into_response()
}

#[tokio::test]
async fn permanent_chain_moves_the_feed() {
    let base = serve(redirect_app()).await;
    let out = fetcher()
        .fetch(&format!("{base}/r/301,308"), &none())
        .await
        .unwrap();
    assert_eq!(out.final_url, format!("{base}/r/end"));
    assert_eq!(out.moved_to.as_deref(), Some(out.final_url.as_str()));
    let codes: Vec<u16> = out.redirects.iter().map(|(s, _)| *s).collect();
    assert_eq!(codes, [301, 308]);
    assert_eq!(out.body.as_deref(), Some(FEED.as_bytes()));
}

#[tokio::test]
async fn any_temporary_hop_keeps_the_feed() {
    let base = serve(redirect_app()).await;
    for chain in ["302", "307", "301,302", "307,308"] {
        let out = fetcher()
            .fetch(&format!("{base}/r/{chain}"), &none())
            .await
            .unwrap();
        assert_eq!(out.final_url, format!("{base}/r/end"), "{chain}");
        assert_eq!(out.moved_to, None, "{chain}");
    }
}

#[tokio::test]
async fn redirect_loop_is_named() {
    let base = serve(redirect_app()).await;
    let err = fetcher()
        .fetch(&format!("{base}/loop/a"), &none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::RedirectLoop { at, .. } if at.ends_with("/loop/a")),
        "{err}"
    );
    assert_eq!(err.kind(), "redirects");
}

#[tokio::test]
async fn five_hops_follow_six_fail() {
    let base = serve(redirect_app()).await;
    let out = fetcher()
        .fetch(&format!("{base}/hops/5"), &none())
        .await
        .unwrap();
    assert_eq!(out.redirects.len(), 5);
    let err = fetcher()
        .fetch(&format!("{base}/hops/6"), &none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooManyRedirects { max: 5, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("too many redirects (more than 5)"),
        "{err}"
    );
}

#[tokio::test]
async fn redirect_to_file_or_nowhere_is_refused() {
    let base = serve(redirect_app()).await;
    let err = fetcher()
        .fetch(&format!("{base}/to-file"), &none())
        .await
        .unwrap_err();
    assert!(matches!(&err, FetchError::UnsupportedScheme { scheme, .. } if scheme == "file"));
    let err = fetcher()
        .fetch(&format!("{base}/no-location"), &none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::BadRedirect { status: 302, .. }),
        "{err}"
    );
}

/// Refuses any URL whose path contains "end".
struct NoEnd;
impl UrlGuard for NoEnd {
    fn check(&self, url: &url::Url) -> Result<(), String> {
        match url.path().contains("end") {
            true => Err("path has end".into()),
            false => Ok(()),
        }
    }
}

#[tokio::test]
async fn guard_sees_every_hop() {
    let base = serve(redirect_app()).await;
    let guarded = fetcher().with_guard(Arc::new(NoEnd));
    let err = guarded
        .fetch(&format!("{base}/r/301"), &none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::Blocked { url, .. } if url.ends_with("/r/end")),
        "{err}"
    );
    assert_eq!(err.kind(), "blocked");
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
    let err = fetcher()
        .fetch(&format!("{base}/empty"), &none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Empty { status: 200, .. }),
        "{err}"
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Serves `body` as-is with `Content-Encoding: gzip`.
fn gzip_app(body: Vec<u8>) -> Router {
    let body = bytes::Bytes::from(body);
    Router::new().route(
        "/feed",
        get(move || async move { ([(header::CONTENT_ENCODING, "gzip")], body) }),
    )
}

#[tokio::test]
async fn gzip_body_is_decompressed() {
    let base = serve(gzip_app(gzip(FEED.as_bytes()))).await;
    let out = fetcher()
        .fetch(&format!("{base}/feed"), &none())
        .await
        .unwrap();
    assert_eq!(out.body.as_deref(), Some(FEED.as_bytes()));
}

#[tokio::test]
async fn gzip_bomb_hits_the_cap() {
    // 64 MiB of zeros is about 64 KiB compressed: under the cap on the wire, far over it
    // once inflated.
    let bomb = gzip(&vec![0u8; 64 * 1024 * 1024]);
    assert!(bomb.len() < 1024 * 1024);
    let base = serve(gzip_app(bomb)).await;
    let fetcher = Fetcher::new(settings(1024 * 1024, 5000)).unwrap();
    let err = fetcher
        .fetch(&format!("{base}/feed"), &none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooLarge { limit: 1048576, .. }),
        "{err}"
    );
    assert!(
        err.to_string().ends_with("body exceeds max_body (1.0 MiB)"),
        "{err}"
    );
}

#[tokio::test]
async fn truncated_gzip_is_a_decode_error() {
    let whole = gzip(FEED.repeat(50).as_bytes());
    let base = serve(gzip_app(whole[..whole.len() / 2].to_vec())).await;
    let err = fetcher()
        .fetch(&format!("{base}/feed"), &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "decode", "{err}");
}

/// `/sized/{n}` sends n bytes with a Content-Length; `/streamed/{n}` sends them chunked.
fn size_app() -> Router {
    async fn sized(Path(n): Path<usize>) -> Vec<u8> {
        vec![b'x'; n]
    }
    async fn streamed(Path(n): Path<usize>) -> axum::body::Body {
        let chunks = (0..n.div_ceil(1000)).map(move |i| {
            let len = 1000.min(n - i * 1000);
            Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'x'; len]))
        });
        axum::body::Body::from_stream(futures_util::stream::iter(chunks))
    }
    Router::new()
        .route("/sized/{n}", get(sized))
        .route("/streamed/{n}", get(streamed))
}

#[tokio::test]
async fn body_cap_is_inclusive_with_and_without_length() {
    let base = serve(size_app()).await;
    let fetcher = Fetcher::new(settings(10_000, 2000)).unwrap();
    for route in ["sized", "streamed"] {
        let out = fetcher
            .fetch(&format!("{base}/{route}/10000"), &none())
            .await;
        assert_eq!(out.unwrap().body.map(|b| b.len()), Some(10_000), "{route}");
        let err = fetcher
            .fetch(&format!("{base}/{route}/10001"), &none())
            .await;
        assert_eq!(err.unwrap_err().kind(), "too_large", "{route}");
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
