//! The crash test: the real `storyd serve` under heavy ingest (many feeds whose items change at
//! every poll, interval 1 s) is killed with SIGKILL at random moments, again and again, and
//! restarted on the same store. After every kill `storyd check-store` must find the store
//! sound, and every article the API had served before the kill must still be there (checked
//! in the store after the kill, and through the API after the restart).
//!
//! 20 rounds by default (well under a minute); a longer soak:
//! `STORYD_CRASH_ROUNDS=500 cargo test --test crash -- --nocapture` (`STORYD_BIN=path` tests
//! another build of the binary, e.g. a release one).

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::Value;
use storyd::store::Store;

/// Feeds the server offers.
const FEEDS: usize = 30;
/// New items per feed at every poll.
const NEW_PER_POLL: u64 = 8;
/// Items per document (older ones slide out).
const WINDOW: u64 = 24;

const PLACES: [&str; 12] = [
    "Port Velin",
    "Sarn",
    "Aldmere",
    "Kestrel Bay",
    "Old Harwick",
    "Tamsford",
    "Brindle",
    "Quarry Hill",
    "Mossgate",
    "Lowen",
    "Falbrook",
    "Cray",
];
const THINGS: [&str; 10] = [
    "flood barrier",
    "rail strike",
    "council vote",
    "harbour fire",
    "school budget",
    "bridge closure",
    "hospital wing",
    "power outage",
    "ferry delay",
    "market fair",
];

/// Per-feed poll counters; every poll of a feed adds [`NEW_PER_POLL`] items to it.
type Polls = Arc<Vec<AtomicU64>>;

async fn feed(State(polls): State<Polls>, UrlPath(k): UrlPath<usize>) -> impl IntoResponse {
    let n = polls
        .get(k)
        .map_or(0, |p| p.fetch_add(1, Ordering::SeqCst) + 1);
    let newest = n * NEW_PER_POLL;
    let mut items = String::new();
    for j in newest.saturating_sub(WINDOW)..newest {
        // Items with the same j in different feeds report the same event: stories form and grow,
        // and look-alike events (same place and thing) test merges.
        let (place, thing) = (PLACES[(j % 12) as usize], THINGS[(j / 12 % 10) as usize]);
        items.push_str(&format!(
            "<item><guid>f{k}-{j}</guid><title>{thing} in {place}, report {j} from outlet {k}</title>\
             <description>Residents of {place} describe the {thing} ({j}).</description>\
             <link>https://outlet{k}.example/{j}</link></item>"
        ));
    }
    let body = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Outlet {k}</title>{items}</channel></rss>"
    );
    ([(header::CONTENT_TYPE, "application/rss+xml")], body)
}

async fn start_feed_server() -> String {
    let polls: Polls = Arc::new((0..FEEDS).map(|_| AtomicU64::new(0)).collect());
    let app = Router::new()
        .route("/feed/{k}", get(feed))
        .with_state(polls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// Writes the daemon's config (a fresh port each round) and returns its path and base URL.
fn write_config(dir: &Path, feeds: &str) -> (PathBuf, String) {
    let port = common::free_port();
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = {:?}\n[scheduler]\n\
         interval = \"1s\"\nmin_interval = \"1s\"\nmax_interval = \"1m\"\ntimeout = \"5s\"\n\
         concurrency = 8\nper_host = 8\n[log]\nlevel = \"warn\"\n",
        dir.join("store").display().to_string()
    );
    for k in 0..FEEDS {
        text.push_str(&format!("[[feeds]]\nurl = \"{feeds}/feed/{k}\"\n"));
    }
    let path = dir.join("storyd.toml");
    std::fs::write(&path, text).expect("write config");
    (path, format!("http://127.0.0.1:{port}"))
}

fn storyd(exe: &Path) -> Command {
    let mut c = Command::new(exe);
    c.env_remove("STORYD_CONFIG").env_remove("RUST_LOG");
    c
}

/// GETs a JSON document; `None` while the daemon is not answering.
async fn get_json(client: &reqwest::Client, url: &str) -> Option<(u16, Value)> {
    let response = client.get(url).send().await.ok()?;
    let status = response.status().as_u16();
    let body = response.bytes().await.ok()?;
    Some((status, serde_json::from_slice(&body).ok()?))
}

/// Starts `storyd serve` and waits until it answers (or fails the test after 60 s).
async fn start(exe: &Path, config: &Path, base: &str, client: &reqwest::Client) -> Child {
    let mut child = storyd(exe)
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn storyd serve");
    for _ in 0..600 {
        if let Some((200, _)) = get_json(client, &format!("{base}/healthz")).await {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("storyd serve exited early with {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    panic!("storyd serve did not answer within 60 s");
}

/// The article ids in one answer of `/api/stories`.
fn article_ids(body: &Value) -> Vec<String> {
    let stories = body["stories"].as_array().cloned().unwrap_or_default();
    stories
        .iter()
        .flat_map(|s| s["articles"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_served() {
    let rounds: usize = std::env::var("STORYD_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let feeds = start_feed_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = common::storyd_binary(dir.path());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let mut served: HashSet<String> = HashSet::new();
    let mut last_round: Vec<String> = Vec::new();
    let mut stored = 0;
    for round in 0..rounds {
        let (config, base) = write_config(dir.path(), &feeds);
        let mut child = start(&exe, &config, &base, &client).await;

        // After a restart, what the API served before the kill is served again.
        for id in &last_round {
            let answer = get_json(&client, &format!("{base}/api/articles/{id}")).await;
            assert!(
                matches!(answer, Some((200, _))),
                "round {round}: article {id} served before the kill is gone: {answer:?}"
            );
        }

        // Read what the API serves, newest first, until the kill at a random moment.
        let kill_at =
            tokio::time::Instant::now() + Duration::from_millis(300 + fastrand::u64(0..1500));
        last_round.clear();
        while tokio::time::Instant::now() < kill_at {
            let url = format!("{base}/api/stories?sort=recent&limit=20");
            let Some((200, body)) = get_json(&client, &url).await else {
                continue;
            };
            let mut ids = article_ids(&body);
            // Lists carry a story's first articles; the newest ones are in the story itself.
            let stories = body["stories"].as_array().cloned().unwrap_or_default();
            for story in stories.iter().take(3) {
                let id = story["id"].as_str().unwrap_or_default();
                if let Some((200, full)) =
                    get_json(&client, &format!("{base}/api/stories/{id}")).await
                {
                    ids.extend(article_ids(&serde_json::json!({ "stories": [full] })));
                }
            }
            for id in ids {
                if served.insert(id.clone()) {
                    last_round.push(id);
                }
            }
        }
        child.kill().expect("SIGKILL storyd");
        child.wait().expect("reap storyd");

        let check = storyd(&exe)
            .args(["check-store", "--config"])
            .arg(&config)
            .output()
            .expect("run check-store");
        let report = String::from_utf8_lossy(&check.stdout);
        assert!(
            check.status.success(),
            "round {round}: check-store after SIGKILL:\n{report}{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let store = Store::open(&dir.path().join("store")).expect("open the store after a kill");
        for id in &served {
            assert!(
                store.contains_article(id).expect("read"),
                "round {round}: article {id} served before the kill is lost"
            );
        }
        stored = store.counts().expect("counts").articles;
    }
    assert!(
        served.len() > rounds * 10,
        "too little ingest to prove anything: {} articles served in {rounds} rounds ({stored} stored)",
        served.len()
    );
    eprintln!(
        "crash test: {rounds} SIGKILLs; {} articles served before the kills, all kept; \
         {stored} articles in the store",
        served.len()
    );
}
