//! Bodies: decompressed, capped after decompression (bombs), cut-short gzip, the cap with
//! and without a Content-Length.

use std::io::Write;

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::routing::get;

use super::{FEED, fetcher, none, serve, settings};
use crate::fetch::{FetchError, Fetcher};

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
