//! The HTTP endpoint against bad and slow clients: a table of bad requests through a running
//! daemon (each a 4xx JSON error, never a 5xx), and the server's limits over real sockets:
//! a request timeout, a cap on requests in flight, and a header-read timeout that closes
//! slowloris connections while other clients are still served.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use common::{Running, config};
use serde_json::Value;
use storyd::api::server::{self, ServerLimits};
use storyd::api::{self, AppState};
use storyd::config::Config;
use storyd::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request and the status it must get (`None`: any 4xx; the route's owner may refine it).
struct Bad {
    method: &'static str,
    path: String,
    status: Option<u16>,
}

fn bad(method: &'static str, path: impl Into<String>, status: impl Into<Option<u16>>) -> Bad {
    Bad {
        method,
        path: path.into(),
        status: status.into(),
    }
}

fn table() -> Vec<Bad> {
    let s = "/api/stories";
    vec![
        bad("GET", format!("{s}?limit=0"), 400),
        bad("GET", format!("{s}?limit=201"), 400),
        bad("GET", format!("{s}?limit=1000000"), 400),
        bad("GET", format!("{s}?limit=abc"), 400),
        bad("GET", format!("{s}?limit=-1"), 400),
        bad("GET", format!("{s}?limit=1.5"), 400),
        bad("GET", format!("{s}?limit="), 400),
        bad("GET", format!("{s}?limit=99999999999999999999999999"), 400),
        bad("GET", format!("{s}?limit=5&limit=6"), 400),
        bad("GET", format!("{s}?since=yesterday"), 400),
        bad("GET", format!("{s}?since=2026-11-28"), 400),
        bad("GET", format!("{s}?since=1764316800"), 400),
        bad("GET", format!("{s}?until=2026-13-01T00:00:00Z"), 400),
        bad("GET", format!("{s}?until=2026-02-30T00:00:00Z"), 400),
        bad(
            "GET",
            format!("{s}?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z"),
            400,
        ),
        bad("GET", format!("{s}?sort=best"), 400),
        bad("GET", format!("{s}?sort=TOP"), 400),
        bad("GET", format!("{s}?sort="), 400),
        bad("GET", format!("{s}?cursor=zz"), 400),
        bad("GET", format!("{s}?cursor=abc"), 400),
        bad("GET", format!("{s}?cursor=00ff"), 400),
        bad("GET", format!("{s}?sort=recent&cursor=72ff"), 400),
        bad("GET", format!("{s}?cursor={}", "ab".repeat(5000)), 400),
        bad("GET", format!("{s}?min_sources=100001"), 400),
        bad("GET", format!("{s}?min_sources=-2"), 400),
        bad("GET", format!("{s}?feed=../etc/passwd"), 400),
        bad("GET", format!("{s}?feed=zzzzzzzzzzzzzzzz"), 400),
        bad("GET", format!("{s}?q={}", "word%20".repeat(100)), 400),
        bad("GET", format!("{s}?q={}", "x".repeat(20_000)), 400),
        bad("GET", format!("{s}?nonsense=1"), 400),
        bad("GET", format!("{s}?limit=%00"), 400),
        bad("GET", format!("/{}", "a".repeat(30_000)), 404),
        bad("GET", "/api/stories/not-an-id", 400),
        bad("GET", "/api/stories/0123456789abcdef0", 400),
        bad("GET", "/api/stories/%FF%FE%FD", 400),
        bad("GET", "/api/stories/0123456789abcdef", 404),
        bad("GET", "/api/stories/0123456789abcdef/extra", 404),
        bad("GET", "/api/articles/%00", 400),
        bad("GET", "/api/articles/0123456789abcdef", 404),
        bad("GET", "/api/articles/", 404),
        bad("GET", "/no/such/route", 404),
        bad("POST", "/api/stories", 405),
        bad("DELETE", "/api/articles/0123456789abcdef", 405),
        bad("PUT", "/healthz", 405),
        bad("PATCH", "/api/feeds", 405),
        bad("POST", "/api/feeds", None),
        bad("DELETE", "/api/feeds/0123456789abcdef", None),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_request_is_a_4xx_json_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Running::start(config(dir.path(), &[])).await;
    let client = reqwest::Client::new();
    let table = table();
    assert!(table.len() >= 30);
    for case in &table {
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).expect("method");
        let url = format!("{}{}", daemon.base, case.path);
        let response = client.request(method, &url).send().await.expect("send");
        let status = response.status().as_u16();
        let what = format!("{} {}", case.method, clip(&case.path));
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = response.bytes().await.expect("body");
        let json: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "{what}: {status} {content_type} is not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        });
        assert!((400..500).contains(&status), "{what}: {status} {json}");
        if let Some(expected) = case.status {
            assert_eq!(status, expected, "{what}: {json}");
        }
        assert!(content_type.starts_with("application/json"), "{what}");
        assert!(
            json["error"]["code"].is_string() && json["error"]["message"].is_string(),
            "{what}: {json}"
        );
    }
    // The daemon is unharmed.
    let (status, _) = daemon.get("/healthz").await;
    assert_eq!(status, 200);
    daemon.stop().await;
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// The real router plus `/slow` (answers after 5 s), served with `limits` on a free port.
async fn guarded_server(limits: ServerLimits) -> String {
    let store = Store::temporary().expect("store");
    let config = Config::parse("", Path::new("test.toml")).expect("config");
    let (commands, _) = tokio::sync::mpsc::channel(1);
    let state = AppState::new(store.clone(), Arc::new(config), commands);
    let router = api::app(state).route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    );
    let router = server::harden(router, store, &limits);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(
        async move { server::serve(listener, router, &limits, std::future::pending()).await },
    );
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_request_times_out() {
    let limits = ServerLimits {
        request_timeout: Duration::from_millis(500),
        ..ServerLimits::default()
    };
    let base = guarded_server(limits).await;
    let r = reqwest::get(format!("{base}/slow")).await.expect("send");
    assert_eq!(r.status().as_u16(), 503);
    let body: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
    assert_eq!(body["error"]["code"], "timeout", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_in_flight_cap_are_refused_until_a_slot_frees() {
    let limits = ServerLimits {
        max_in_flight: 2,
        queue_timeout: Duration::from_millis(200),
        ..ServerLimits::default()
    };
    let base = guarded_server(limits).await;
    let client = reqwest::Client::new();
    // Two slow requests take both slots for 5 s.
    let slow: Vec<_> = (0..2)
        .map(|_| tokio::spawn(client.get(format!("{base}/slow")).send()))
        .collect();
    let mut refused = None;
    for _ in 0..100 {
        let r = client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("send");
        if r.status().as_u16() == 503 {
            refused = Some(r.bytes().await.expect("body"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused = refused.expect("a third request was answered while two held every slot");
    let body: Value = serde_json::from_slice(&refused).expect("json");
    assert_eq!(body["error"]["code"], "overloaded", "{body}");
    for s in slow {
        let r = s.await.expect("join").expect("send");
        assert_eq!(r.status().as_u16(), 200);
    }
    // The slots are free again.
    let r = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
}

/// Opens a connection that starts a request head and never finishes it.
async fn slow_client(addr: &str, silent: bool) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    if !silent {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: storyd\r\n")
            .await
            .expect("write");
    }
    stream
}

/// Dribbles header lines (or, `silent`, says nothing), as a slowloris client does, until
/// the server closes the connection.
async fn until_closed(mut stream: TcpStream, silent: bool) {
    let mut buf = [0u8; 512];
    loop {
        if !silent && stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
            return;
        }
        match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
            // Closed, reset, or a last word (some servers say 408) before closing.
            Ok(_) => return,
            Err(_) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_are_cut_and_others_are_served_meanwhile() {
    let limits = ServerLimits {
        header_read_timeout: Duration::from_secs(1),
        max_connections: 64,
        ..ServerLimits::default()
    };
    let base = guarded_server(limits).await;
    let addr = base.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for i in 0..40 {
        slow.push(slow_client(&addr, i % 4 == 0).await);
    }
    // Other clients are served while the slow ones hang on.
    let client = reqwest::Client::new();
    for _ in 0..10 {
        let r = client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), 200);
    }
    // Every slow connection is closed by the server (generous deadline for a loaded machine).
    let mut cut = tokio::task::JoinSet::new();
    for (i, stream) in slow.into_iter().enumerate() {
        cut.spawn(until_closed(stream, i % 4 == 0));
    }
    let all_cut = tokio::time::timeout(Duration::from_secs(30), async {
        while cut.join_next().await.is_some() {}
    })
    .await;
    assert!(
        all_cut.is_ok(),
        "{} slow connection(s) still open after 30 s",
        cut.len()
    );
    let r = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
}
