//! Redirects followed by hand: permanent chains move the feed, temporary hops do not, loops
//! and long chains fail, and every hop passes the URL guard.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{FEED, fetcher, none, serve, settings};
use crate::fetch::{FetchError, Fetcher, UrlGuard};

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
        .route("/slow-hops/{n}", get(slow_hops))
}

/// Like `/hops/{n}`, but each hop takes 150 ms to answer.
async fn slow_hops(Path(n): Path<u32>) -> Response {
    tokio::time::sleep(Duration::from_millis(150)).await;
    match n {
        0 => FEED.into_response(),
        n => redirect(302, &format!("/slow-hops/{}", n - 1)),
    }
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

#[tokio::test]
async fn timeout_spans_all_hops() {
    let base = serve(redirect_app()).await;
    // Each hop alone is well within 500 ms; four of them together are not.
    let fetcher = Fetcher::new(settings(64 * 1024, 500)).unwrap();
    let one = fetcher.fetch(&format!("{base}/slow-hops/1"), &none()).await;
    assert_eq!(one.unwrap().redirects.len(), 1);
    let err = fetcher.fetch(&format!("{base}/slow-hops/4"), &none()).await;
    let err = err.unwrap_err();
    assert_eq!(err.kind(), "timeout", "{err}");
}
