//! Faults below HTTP, from a raw TCP server: a body that stalls, a connection reset or
//! closed mid-body, a port where nothing listens.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{fetcher, none, settings};
use crate::fetch::{FetchError, Fetcher};

/// Accepts connections on a fresh loopback port, reads each request's head, then hands the
/// stream to `respond`. Returns the URL of `/feed` there.
async fn raw<F, Fut>(respond: F) -> String
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            read_head(&mut stream).await;
            tokio::spawn(respond(stream));
        }
    });
    format!("http://{addr}/feed")
}

/// Reads until the blank line that ends a request head (or the peer gives up).
async fn read_head(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
}

const PROMISE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\
                         Content-Length: 10000\r\n\r\n<rss version=\"2.0\"><channel>";

#[tokio::test]
async fn stall_mid_body_times_out() {
    let url = raw(|mut stream| async move {
        let _ = stream.write_all(PROMISE).await;
        // Hold the connection open, silent, far beyond the client's timeout.
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let fetcher = Fetcher::new(settings(1024 * 1024, 400)).unwrap();
    let started = Instant::now();
    let err = fetcher.fetch(&url, &none()).await.unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    assert!(err.to_string().ends_with("timed out after 400ms"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn slow_trickle_still_times_out() {
    // A byte every 50 ms never lets a read timeout fire; only a total deadline stops it.
    let url = raw(|mut stream| async move {
        let _ = stream.write_all(PROMISE).await;
        for _ in 0..600 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if stream.write_all(b" ").await.is_err() {
                return;
            }
        }
    })
    .await;
    let fetcher = Fetcher::new(settings(1024 * 1024, 500)).unwrap();
    let err = fetcher.fetch(&url, &none()).await.unwrap_err();
    assert_eq!(err.kind(), "timeout", "{err}");
}

#[tokio::test]
async fn closed_mid_body_is_a_body_error() {
    let url = raw(|mut stream| async move {
        let _ = stream.write_all(PROMISE).await;
        let _ = stream.shutdown().await;
    })
    .await;
    let err = fetcher().fetch(&url, &none()).await.unwrap_err();
    assert_eq!(err.kind(), "body", "{err}");
}

#[tokio::test]
async fn reset_before_answer() {
    let url = raw(|stream| async move {
        // Linger zero turns the close into a RST.
        let _ = stream.set_zero_linger();
        drop(stream);
    })
    .await;
    let err = fetcher().fetch(&url, &none()).await.unwrap_err();
    assert_eq!(err.kind(), "reset", "{err}");
    assert!(err.to_string().ends_with("connection reset"), "{err}");
}

#[tokio::test]
async fn reset_mid_body() {
    let url = raw(|mut stream| async move {
        let _ = stream.write_all(PROMISE).await;
        let _ = stream.flush().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = stream.set_zero_linger();
        drop(stream);
    })
    .await;
    let err = fetcher().fetch(&url, &none()).await.unwrap_err();
    assert!(matches!(err.kind(), "reset" | "body"), "{err}");
}

#[tokio::test]
async fn refused_port() {
    // Bind then drop: the port was free a moment ago and nothing listens on it now.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = fetcher()
        .fetch(&format!("http://{addr}/feed"), &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "connect", "{err}");
    assert!(err.to_string().ends_with("connection refused"), "{err}");
}

#[tokio::test]
async fn garbage_instead_of_http() {
    let url = raw(|mut stream| async move {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
    })
    .await;
    let err = fetcher().fetch(&url, &none()).await.unwrap_err();
    // Not a panic, not a hang: some clear failure naming the URL.
    assert!(err.to_string().contains(&url), "{err}");
}
