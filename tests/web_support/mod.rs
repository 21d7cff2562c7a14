//! What the tests of the web outputs share: a daemon that has ingested the three outlets of
//! tests/fixtures/daemon plus the markup-laden outlet of tests/fixtures/web, and plain GETs
//! that return status, headers and body whatever the content type.

#![allow(dead_code)]

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::common::{FeedServer, Route, Running, config};

/// The normalized headline of the item in tests/fixtures/web/mischief.xml.
pub const MISCHIEF_HEADLINE: &str =
    "Fish & chips <script>document.title='owned'</script> row at the quay";

/// A running daemon over the fixtures, once every feed has been fetched.
pub struct Fixture {
    pub daemon: Running,
    pub server: FeedServer,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// Starts the feed server and the daemon and waits until all four feeds were fetched.
    pub async fn start() -> Fixture {
        let server = FeedServer::start().await;
        server.feed("/wire.xml", "wire.xml");
        server.feed("/globe.atom", "globe.atom");
        server.feed("/ledger.json", "ledger.json");
        server.route(
            "/mischief.xml",
            Route::Feed {
                body: include_bytes!("../fixtures/web/mischief.xml").to_vec(),
                content_type: "application/rss+xml",
                etag: "\"mischief-1\"".to_owned(),
            },
        );
        let urls: Vec<String> = ["/wire.xml", "/globe.atom", "/ledger.json", "/mischief.xml"]
            .iter()
            .map(|p| server.url(p))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let daemon = Running::start(config(dir.path(), &urls)).await;
        daemon
            .wait_feeds("all four feeds fetched", |feeds| {
                feeds.len() == 4 && feeds.iter().all(|f| f["status"] == "ok")
            })
            .await;
        Fixture {
            daemon,
            server,
            _dir: dir,
        }
    }

    /// The story (as /api/stories shows it) whose headline contains `words`.
    pub async fn story(&self, words: &str) -> Value {
        let (status, body) = self.daemon.get("/api/stories?limit=200").await;
        assert_eq!(status, 200, "{body}");
        let found: Vec<&Value> = body["stories"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["headline"].as_str().unwrap().contains(words))
            .collect();
        assert_eq!(found.len(), 1, "one story with {words:?}: {body:#}");
        found[0].clone()
    }

    /// GETs a path with extra request headers; status, response headers and body.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, Vec<u8>) {
        let mut request = reqwest::Client::new().get(format!("{}{}", self.daemon.base, path));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.bytes().await.unwrap().to_vec())
    }

    /// Stops the daemon.
    pub async fn stop(self) {
        self.daemon.stop().await;
    }
}

/// A response header as text ("" when missing).
pub fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}
