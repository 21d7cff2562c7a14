//! Operating the real binary: SIGHUP reloads (and an invalid config is refused), systemd
//! notifications on NOTIFY_SOCKET, OPML import and export, and `storyd discover`.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{FeedServer, Route};
use serde_json::Value;

fn storyd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_storyd"));
    c.env_remove("STORYD_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID");
    c
}

fn write_config(path: &Path, port: u16, feeds: &[String]) {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = {:?}\n\
         [scheduler]\ninterval = \"1h\"\nmin_interval = \"1s\"\nmax_interval = \"2h\"\ntimeout = \"5s\"\n",
        path.with_file_name("store").display().to_string()
    );
    for f in feeds {
        text.push_str(&format!("[[feeds]]\nurl = {f:?}\n"));
    }
    std::fs::write(path, text).unwrap();
}

/// A running `storyd serve` whose log lines are collected.
struct Served {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    base: String,
}

impl Served {
    fn start(config: &Path, port: u16, env: &[(&str, String)]) -> Served {
        let mut cmd = storyd();
        cmd.args(["serve", "--config"])
            .arg(config)
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Served {
            child,
            log,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args([name, &pid]).status().unwrap();
        assert!(ok.success());
    }

    fn log_has(&self, text: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(text))
    }

    /// Polls /api/feeds until `ready` holds (60 s at most: CI machines are slow).
    async fn wait_feeds(&self, what: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = Vec::new();
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::get(format!("{}/api/feeds", self.base)).await
                && let Ok(bytes) = r.bytes().await
                && let Ok(body) = serde_json::from_slice::<Value>(&bytes)
            {
                last = body["feeds"].as_array().cloned().unwrap_or_default();
                if ready(&last) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "timed out waiting for {what}: {last:#?}\n{}",
            self.log.lock().unwrap().join("\n")
        );
    }

    fn stop(mut self) {
        self.signal("-TERM");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exit status {status:?}");
    }
}

fn urls(feeds: &[Value]) -> Vec<&str> {
    feeds.iter().map(|f| f["url"].as_str().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_adds_and_removes_feeds_and_keeps_the_old_config_when_invalid() {
    let server = FeedServer::start().await;
    server.feed("/wire.xml", "wire.xml");
    server.feed("/globe.atom", "globe.atom");
    let (a, b) = (server.url("/wire.xml"), server.url("/globe.atom"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("storyd.toml");
    let port = common::free_port();
    write_config(&config, port, std::slice::from_ref(&a));
    let daemon = Served::start(&config, port, &[]);
    daemon
        .wait_feeds("A fetched", |f| {
            urls(f) == [a.as_str()] && f[0]["status"] == "ok"
        })
        .await;
    let wire = reqwest::get(format!("{}/api/stories?limit=200", daemon.base))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let wire: Value = serde_json::from_slice(&wire).unwrap();
    let article = wire["stories"][0]["articles"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    write_config(&config, port, std::slice::from_ref(&b));
    daemon.signal("-HUP");
    daemon
        .wait_feeds("B replacing A", |f| {
            urls(f) == [b.as_str()] && f[0]["status"] == "ok"
        })
        .await;
    let kept = reqwest::get(format!("{}/api/articles/{article}", daemon.base))
        .await
        .unwrap();
    assert_eq!(kept.status(), 200, "a removed feed's articles stay");
    let polls_of_a = server.seen_at("/wire.xml").len();

    std::fs::write(&config, "[scheduler]\nconcurrency = 0\n").unwrap();
    daemon.signal("-HUP");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !daemon.log_has("config reload refused") {
        assert!(Instant::now() < deadline, "no refusal logged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(daemon.log_has("scheduler.concurrency"));
    let feeds = daemon.wait_feeds("the old feeds", |f| f.len() == 1).await;
    assert_eq!(urls(&feeds), [b.as_str()]);
    assert_eq!(
        server.seen_at("/wire.xml").len(),
        polls_of_a,
        "A is polled no more"
    );
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn systemd_hears_ready_watchdog_reloading_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let config = dir.path().join("storyd.toml");
    let port = common::free_port();
    write_config(&config, port, &[]);
    let env = [
        ("NOTIFY_SOCKET", socket_path.display().to_string()),
        ("WATCHDOG_USEC", "400000".to_owned()),
    ];
    let daemon = Served::start(&config, port, &env);
    let mut seen: Vec<String> = Vec::new();
    let receive_until = |what: &str, seen: &mut Vec<String>| {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut buf = [0u8; 4096];
        while !seen.iter().any(|m| m.lines().any(|l| l == what)) {
            assert!(Instant::now() < deadline, "no {what} in {seen:?}");
            if let Ok(n) = socket.recv(&mut buf) {
                seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
    };
    receive_until("READY=1", &mut seen);
    assert!(seen[0].contains("STATUS=serving on"), "{seen:?}");
    // The endpoint answers once READY=1 has been sent.
    let health = reqwest::get(format!("{}/healthz", daemon.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    receive_until("WATCHDOG=1", &mut seen);
    let before_reload = seen.len();
    daemon.signal("-HUP");
    receive_until("RELOADING=1", &mut seen);
    let reloading = seen
        .iter()
        .rposition(|m| m.contains("RELOADING=1"))
        .unwrap();
    assert!(reloading >= before_reload);
    seen.drain(..=reloading);
    receive_until("READY=1", &mut seen);
    daemon.signal("-TERM");
    receive_until("STOPPING=1", &mut seen);
    let mut child = daemon.child;
    assert!(child.wait().unwrap().success());
}

const SUBSCRIPTIONS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="World">
    <outline text="Harbor Wire" type="rss" xmlUrl="https://wire.example/rss.xml" htmlUrl="https://wire.example/"/>
    <outline text="Deeper"><outline title="Daily &amp; Globe" text="x" xmlUrl="https://globe.example/atom"/></outline>
  </outline>
  <outline text="Already configured" xmlUrl="https://ledger.example/feed.json"/>
</body></opml>"#;

fn export(config: &Path) -> String {
    let out = storyd()
        .args(["export-opml", "--config"])
        .arg(config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn opml_files_are_imported_and_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lists")).unwrap();
    std::fs::write(dir.path().join("lists/mine.opml"), SUBSCRIPTIONS).unwrap();
    let config = dir.path().join("storyd.toml");
    std::fs::write(
        &config,
        "opml = [\"lists/mine.opml\"]\n[[feeds]]\nurl = \"https://ledger.example/feed.json\"\nname = \"Ledger\"\n",
    )
    .unwrap();
    let check = storyd()
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{text}");
    assert!(
        text.contains("mine.opml") && text.contains("feeds       3"),
        "{text}"
    );

    let first = storyd::opml::read(export(&config).as_bytes()).unwrap();
    let got: Vec<(&str, Option<&str>, Option<&str>)> = first
        .iter()
        .map(|f| (f.url.as_str(), f.title.as_deref(), f.html_url.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("https://ledger.example/feed.json", Some("Ledger"), None),
            (
                "https://wire.example/rss.xml",
                Some("Harbor Wire"),
                Some("https://wire.example/")
            ),
            ("https://globe.example/atom", Some("Daily & Globe"), None),
        ]
    );
    // The export, used as the only source of another config, exports the same feeds.
    std::fs::write(dir.path().join("exported.opml"), export(&config)).unwrap();
    let again = dir.path().join("again.toml");
    std::fs::write(&again, "opml = [\"exported.opml\"]\n").unwrap();
    assert_eq!(
        storyd::opml::read(export(&again).as_bytes()).unwrap(),
        first
    );

    std::fs::write(&again, "opml = [\"missing.opml\"]\n").unwrap();
    let out = storyd()
        .args(["check-config", "--config"])
        .arg(&again)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("opml[0]: no such file"), "{err}");
}

/// `check-config --config config/storyd.toml` run in `cwd`; exit code, stdout and stderr.
fn check_in(cwd: &Path, config: &str) -> (Option<i32>, String, String) {
    let out = storyd()
        .current_dir(cwd)
        .args(["check-config", "--config", config])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn opml_paths_are_found_beside_the_config_then_from_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("config")).unwrap();
    std::fs::write(root.join("config/feeds.opml"), SUBSCRIPTIONS).unwrap();
    let config = root.join("config/storyd.toml");

    // SPEC's form: relative to the working directory, like store.path.
    std::fs::write(&config, "opml = [\"config/feeds.opml\"]\n").unwrap();
    let (code, out, err) = check_in(root, "config/storyd.toml");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("opml        config/feeds.opml"), "{out}");
    assert!(out.contains("feeds       3"), "{out}");

    // The older form: relative to the config file's folder, from any working directory.
    std::fs::write(&config, "opml = [\"feeds.opml\"]\n").unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, out, err) = check_in(elsewhere.path(), config.to_str().unwrap());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("feeds       3"), "{out}");
    // ...and it wins when the working directory has a file of the same name.
    std::fs::write(
        root.join("feeds.opml"),
        SUBSCRIPTIONS.replace("https://globe.example/atom", "https://other.example/atom"),
    )
    .unwrap();
    let (code, out, err) = check_in(root, "config/storyd.toml");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("opml        config/feeds.opml"), "{out}");

    // Neither: the error names both paths tried.
    std::fs::write(&config, "opml = [\"lists/missing.opml\"]\n").unwrap();
    let (code, _, err) = check_in(root, "config/storyd.toml");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("opml[0]")
            && err.contains("config/lists/missing.opml")
            && err.contains(" and lists/missing.opml"),
        "{err}"
    );
}

fn html(body: &str) -> Route {
    Route::Feed {
        body: body.as_bytes().to_vec(),
        content_type: "text/html; charset=utf-8",
        etag: format!("\"{}\"", body.len()),
    }
}

fn discover(url: &str) -> (Option<i32>, String) {
    let out = storyd().args(["discover", url]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_lists_advertised_feeds_then_probes_common_paths() {
    let server = FeedServer::start().await;
    server.feed("/news/wire.xml", "wire.xml");
    server.feed("/feed", "globe.atom");
    server.route("/rss.xml", html("<html><body>not a feed</body></html>"));
    server.route(
        "/site/",
        html(r#"<html><head><link rel="alternate" type="application/rss+xml" title="The Wire" href="../news/wire.xml"></head></html>"#),
    );
    server.route(
        "/plain/",
        html("<html><head><title>no links</title></head></html>"),
    );

    let (code, text) = tokio::task::spawn_blocking({
        let url = server.url("/site/");
        move || discover(&url)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        text.trim(),
        format!("{}  advertised rss  The Wire", server.url("/news/wire.xml"))
    );

    let (code, text) = tokio::task::spawn_blocking({
        let url = server.url("/plain/");
        move || discover(&url)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].starts_with(&format!("{}  probed", server.url("/feed"))),
        "{text}"
    );
    assert!(
        !server.seen_at("/rss.xml").is_empty(),
        "the common paths were probed"
    );

    let (code, text) = tokio::task::spawn_blocking({
        let url = server.url("/news/wire.xml");
        move || discover(&url)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("direct"), "{text}");

    server.route("/feed", html("<html></html>"));
    let (code, text) = tokio::task::spawn_blocking({
        let url = server.url("/plain/");
        move || discover(&url)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("no feed found"), "{text}");
}
