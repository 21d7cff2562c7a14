//! Shared harness for whole-path tests: a feed server on 127.0.0.1:0 that records what it
//! was asked, and a daemon running in-process on a temporary sled directory.

#![allow(dead_code)]

pub mod fault_server;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use storyd::cluster::Doc;
use storyd::config::Config;
use storyd::daemon::Daemon;
use storyd::eval::read_jsonl;
use storyd::ingest::Ingestor;
use storyd::model::{Entry, FeedState, article_id};
use storyd::store::Store;
use tokio::sync::oneshot;

/// What a route of the feed server answers.
#[derive(Clone, Debug)]
pub enum Route {
    /// A feed document with validators; answers 304 to a matching conditional request.
    Feed {
        body: Vec<u8>,
        content_type: &'static str,
        etag: String,
    },
    /// A redirect with this status to this path.
    Redirect(u16, String),
    /// A status with headers and a body.
    Status(u16, Vec<(&'static str, String)>),
}

/// One request the feed server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub status: u16,
}

/// A feed server whose routes can be changed while it runs.
#[derive(Clone, Default)]
pub struct FeedServer {
    routes: Arc<Mutex<HashMap<String, Route>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    pub addr: Option<SocketAddr>,
}

impl FeedServer {
    /// Starts the server on a free loopback port.
    pub async fn start() -> FeedServer {
        let mut server = FeedServer::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        server.addr = Some(listener.local_addr().unwrap());
        let app = Router::new().fallback(answer).with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    /// The absolute URL of a path on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr.unwrap(), path)
    }

    /// Sets what a path answers.
    pub fn route(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_owned(), route);
    }

    /// Serves a fixture file of tests/fixtures/daemon at `path`.
    pub fn feed(&self, path: &str, fixture: &str) {
        let body = std::fs::read(fixture_path(fixture)).unwrap();
        let content_type = if fixture.ends_with(".json") {
            "application/feed+json"
        } else if fixture.ends_with(".atom") {
            "application/atom+xml"
        } else {
            "application/rss+xml; charset=utf-8"
        };
        let etag = format!("\"{:x}\"", body.len() * 31 + fixture.len());
        self.route(
            path,
            Route::Feed {
                body,
                content_type,
                etag,
            },
        );
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests seen for one path.
    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }
}

const LAST_MODIFIED: &str = "Sat, 28 Nov 2026 08:00:00 GMT";

async fn answer(State(server): State<FeedServer>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    let route = server.routes.lock().unwrap().get(&path).cloned();
    let response = match route {
        None => reply(404, vec![], b"no such feed".to_vec()),
        Some(Route::Feed {
            body,
            content_type,
            etag,
        }) => {
            let inm = headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok());
            let ims = headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok());
            let fresh = inm.map(|v| v == etag).unwrap_or(false)
                || (inm.is_none() && ims == Some(LAST_MODIFIED));
            let validators = vec![
                ("etag", etag.clone()),
                ("last-modified", LAST_MODIFIED.to_owned()),
            ];
            if fresh {
                reply(304, validators, Vec::new())
            } else {
                let mut h = validators;
                h.push(("content-type", content_type.to_owned()));
                reply(200, h, body)
            }
        }
        Some(Route::Redirect(status, to)) => reply(status, vec![("location", to)], Vec::new()),
        Some(Route::Status(status, h)) => reply(status, h, b"try later".to_vec()),
    };
    server.seen.lock().unwrap().push(Seen {
        path,
        headers,
        status: response.status().as_u16(),
    });
    response
}

fn reply(status: u16, headers: Vec<(&'static str, String)>, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    for (k, v) in headers {
        r.headers_mut()
            .insert(k, HeaderValue::from_str(&v).unwrap());
    }
    r
}

/// `../shared/<path>` beside the clone, or `None` with a message that the test skips (a
/// user's clone has no `../shared`).
pub fn shared(path: &str) -> Option<PathBuf> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(path);
    if full.exists() {
        Some(full)
    } else {
        println!("skipping: {} not found", full.display());
        None
    }
}

/// The path of a fixture of tests/fixtures/daemon.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/daemon")
        .join(name)
}

/// The articles of an engine fixture in `tests/fixtures/` (JSON Lines, as `storyd eval`
/// reads them).
pub fn engine_fixture(name: &str) -> Vec<Doc> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    read_jsonl(&path)
        .expect("fixture")
        .into_iter()
        .map(|l| l.doc)
        .collect()
}

/// Ingests one article as the only new item of its outlet's feed, at its own time; returns
/// its article id.
pub fn ingest_doc(ingestor: &mut Ingestor, doc: &Doc) -> String {
    let url = format!("https://{}.example/feed.xml", doc.source);
    let mut feed = FeedState::pending(&url, &url, &doc.source, doc.published);
    let entry = Entry {
        key: doc.id.clone(),
        guid: None,
        title: doc.title.clone(),
        summary: doc.summary.clone(),
        url: doc.url.clone(),
        published: doc.published,
    };
    let report = ingestor
        .ingest(&mut feed, &[entry], doc.published)
        .expect("ingest");
    assert_eq!(report.new_articles, 1);
    article_id(&feed.id, &doc.id)
}

/// The story a stored article is filed in.
pub fn story_of(store: &Store, article: &str) -> String {
    store
        .article(article)
        .expect("read")
        .expect("stored")
        .story_id
}

/// A config for a daemon on `store`, polling `feeds` every second.
pub fn config(store: &Path, feeds: &[String]) -> Config {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\npath = {:?}\n\
         [scheduler]\ninterval = \"1s\"\nmin_interval = \"1s\"\nmax_interval = \"1h\"\ntimeout = \"5s\"\n",
        store.display().to_string()
    );
    for f in feeds {
        text.push_str(&format!("[[feeds]]\nurl = {f:?}\n"));
    }
    Config::parse(&text, Path::new("test.toml")).unwrap()
}

/// A daemon running in-process; dropped or stopped, it shuts down and releases its store.
pub struct Running {
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    client: reqwest::Client,
}

impl Running {
    /// Opens the store and runs the daemon on a free port.
    pub async fn start(config: Config) -> Running {
        // sled lets go of its directory lock a moment after the previous daemon's last handle
        // is dropped (its flusher thread exits on its own), so a quick restart may wait briefly.
        let mut tries = 0;
        let daemon = loop {
            match Daemon::open(config.clone()) {
                Ok(d) => break d,
                Err(e) if tries < 50 => {
                    tries += 1;
                    eprintln!("store not ready yet ({e:#}); retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot open the daemon: {e:#}"),
            }
        };
        Running::start_daemon(daemon).await
    }

    /// Runs an opened daemon on a free port.
    pub async fn start_daemon(daemon: Daemon) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(daemon.run(listener, async {
            let _ = rx.await;
        }));
        Running {
            base,
            stop: Some(tx),
            task: Some(task),
            client: reqwest::Client::new(),
        }
    }

    /// Shuts the daemon down and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// GETs a path and returns status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        assert!(ct.starts_with("application/json"), "{path} answered {ct}");
        (
            status,
            serde_json::from_slice(&r.bytes().await.unwrap()).unwrap(),
        )
    }

    /// The feeds as /api/feeds shows them, by configured URL order.
    pub async fn feeds(&self) -> Vec<Value> {
        self.get("/api/feeds").await.1["feeds"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Polls `/api/feeds` until `ready` holds for it, or fails after 20 s.
    pub async fn wait_feeds(&self, what: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        for _ in 0..200 {
            let feeds = self.feeds().await;
            if ready(&feeds) {
                return feeds;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}: {:#?}", self.feeds().await);
    }
}

/// A port on 127.0.0.1 for a storyd process to listen on: free now, and safe until it binds.
///
/// A port the kernel hands out for `bind(0)` comes from its ephemeral range, from which it
/// also takes the local port of every outgoing connection: between this call and the
/// daemon's bind, any test's client could take it. A port below that range is never handed
/// out so; each call in a process tries the next one from a start spread by process id.
pub fn free_port() -> u16 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    const LOWEST: u32 = 10_000;
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u32>().ok())
        .filter(|low| *low > LOWEST + 1_000)
        .unwrap_or(32_768);
    let span = ephemeral - LOWEST;
    let start = std::process::id().wrapping_mul(2_654_435_761) % span;
    for _ in 0..span {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let port = (LOWEST + (start + n) % span) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 between {LOWEST} and {ephemeral}")
}

/// A private copy of the storyd binary under test (`$STORYD_BIN`, e.g. a release build for a
/// soak, else the one cargo built), so a rebuild in a shared target directory cannot swap it
/// while a test runs it.
///
/// The copy is run once (`--version`) before it is handed out: while it was being written,
/// another test's thread may have forked a child that still holds the writing descriptor
/// until it execs, and running the copy then fails with "Text file busy" (ETXTBSY). That
/// lasts microseconds, so a few tries a few milliseconds apart outlast it.
pub fn storyd_binary(dir: &Path) -> PathBuf {
    let source = std::env::var_os("STORYD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_storyd")));
    let copy = dir.join("storyd");
    std::fs::copy(&source, &copy).expect("copy the storyd binary");
    for _ in 0..100 {
        match std::process::Command::new(&copy).arg("--version").output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("run the copied storyd binary: {e}"),
            Ok(_) => return copy,
        }
    }
    panic!("the copied storyd binary stayed busy");
}
