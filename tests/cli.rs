//! The real binary: exit codes, check-config, once on the offline demo, serve with a
//! graceful SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn storyd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_storyd"));
    c.env_remove("STORYD_CONFIG").env_remove("RUST_LOG");
    c
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

#[test]
fn check_config_accepts_the_shipped_configs() {
    for cfg in ["config/storyd.toml", "config/demo.toml"] {
        let out = storyd()
            .args(["check-config", "--config", &repo(cfg)])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cfg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("feeds"), "{text}");
    }
}

#[test]
fn bad_configs_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[scheduler]\nper_host = 0\n").unwrap();
    let out = storyd()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("scheduler.per_host: must be at least 1"),
        "{err}"
    );

    let out = storyd()
        .args(["check-config", "--config", "/no/such/file.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.toml"));

    let out = storyd().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Writes articles as JSON Lines into `dir` and runs `storyd eval` on them with `args`;
/// the standard output of a successful run.
fn eval(dir: &Path, articles: &[serde_json::Value], args: &[&str]) -> String {
    let path = dir.join("labeled.jsonl");
    let lines: Vec<String> = articles.iter().map(|a| a.to_string()).collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    let out = storyd()
        .arg("eval")
        .args(args)
        .arg("--input")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn eval_streams_a_background_first_and_scores_only_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let articles: Vec<serde_json::Value> = [
        ("1", "Harbour workers strike over pay", "strike"),
        ("2", "Dock strike over pay shuts the harbour", "strike"),
        ("3", "Comet seen from the northern hills tonight", "comet"),
    ]
    .iter()
    .map(|(id, title, event)| serde_json::json!({"id": id, "title": title, "event": event}))
    .collect();
    // The background is the input again, with other labels: scored, it would double the
    // articles and events; its ids are the input's, which the background must not clash with.
    let background = dir.path().join("background.jsonl");
    let lines: Vec<String> = articles
        .iter()
        .map(|a| {
            let mut a = a.clone();
            a["event"] = serde_json::json!("other");
            a.to_string()
        })
        .collect();
    std::fs::write(&background, lines.join("\n")).unwrap();
    let bg = background.display().to_string();
    let text = eval(
        dir.path(),
        &articles,
        &["--shuffle", "2", "--background", &bg],
    );
    assert!(text.contains("after 3 background articles from"), "{text}");
    assert!(text.contains("3 articles, 2 gold events"), "{text}");
    // The scores' table comes first: a run's row, then its stories in the eighth column.
    let stories: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with('#'))
        .take(2)
        .map(|l| l.split_whitespace().nth(7).unwrap().parse().unwrap())
        .collect();
    assert_eq!(stories.len(), 2, "{text}");
    assert!(
        stories.iter().all(|&s| s <= 3.0),
        "stories of the input only: {text}"
    );

    let out = storyd()
        .args(["eval", "--input"])
        .arg(dir.path().join("labeled.jsonl"))
        .args(["--background", "/no/such/background.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/background.jsonl"), "{err}");
}

#[test]
fn eval_scores_the_stories_and_names_the_events_it_confused() {
    let dir = tempfile::tempdir().unwrap();
    // "twin" is labeled apart from "rates" but reports the same decision; "volcano" labels
    // two articles that share no word.
    let rows = [
        (
            "1",
            "Central bank raises interest rates by half a point",
            "rates",
        ),
        (
            "2",
            "Interest rates raised by half a point at the central bank",
            "rates",
        ),
        (
            "3",
            "Central bank raises its interest rates by half a point",
            "twin",
        ),
        (
            "4",
            "Volcano erupts on a remote island, villages evacuated",
            "volcano",
        ),
        (
            "5",
            "Ferry timetable for the winter season announced",
            "volcano",
        ),
    ];
    let articles: Vec<serde_json::Value> = rows
        .iter()
        .map(|(id, title, event)| serde_json::json!({"id": id, "title": title, "event": event}))
        .collect();
    let text = eval(dir.path(), &articles, &["--shuffle", "3", "--errors", "5"]);
    assert!(text.contains("5 articles, 3 gold events"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("mean ")), "{text}");
    // The headlines' table: three shares per run, each within 0..=1.
    let headlines = text
        .split("headline changed  of main event  representative\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no headline table: {text}"));
    let first: Vec<f64> = headlines
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(first.len(), 3, "{text}");
    assert!(first.iter().all(|x| (0.0..=1.0).contains(x)), "{text}");
    // Each run puts the twin with both rates articles, and splits the volcano's two.
    assert!(text.contains("one story (6 over 3 runs)"), "{text}");
    assert!(
        text.contains("       6  rates + twin  (\"Central bank raises interest rates by"),
        "{text}"
    );
    assert!(text.contains("different stories (3 over 3 runs)"), "{text}");
    assert!(
        text.contains("       3  volcano  (\"Volcano erupts"),
        "{text}"
    );

    // Without the flag, the scores alone.
    let text = eval(dir.path(), &articles, &[]);
    assert!(
        text.contains("#1 ") && !text.contains("one story"),
        "{text}"
    );
}

#[test]
fn eval_copies_measures_the_near_duplicate_layer() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        (
            "1",
            "strike",
            "Harbour cranes idle as dock workers strike",
            "Dock workers at the northern harbour walked out on Monday after talks on a new pay deal broke down late on Sunday, leaving cranes idle and more than a dozen container ships waiting at anchor outside the breakwater, while the union and the port authority traded blame.",
        ),
        (
            "2",
            "storm",
            "Storm cuts power to coastal towns",
            "A winter storm brought down power lines along the coast overnight, leaving some forty thousand homes without electricity and closing the coastal road between the two largest towns, where crews expected to work through the day to clear fallen trees and restore supply.",
        ),
        (
            "3",
            "library",
            "City library reopens after two-year rebuild",
            "The central library reopened its doors on Saturday after a rebuild that took two years and added a reading garden on the roof, a children's floor and longer opening hours, and the first visitors queued from early morning to see the restored reading room.",
        ),
        ("4", "library", "Library reopens", "Short note."),
    ];
    let articles: Vec<serde_json::Value> = rows
        .iter()
        .map(|(id, event, title, summary)| {
            serde_json::json!({"id": id, "title": title, "summary": summary,
                "url": format!("https://local.example/{id}"), "source": "local",
                "published": "2026-03-02T08:00:00Z", "event": event})
        })
        .collect();
    let text = eval(dir.path(), &articles, &["--copies"]);
    // The short one is not copied.
    assert!(text.contains("near duplicates: 3 of 4 articles"), "{text}");
    let row = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no row {name}: {text}"))
            .split_whitespace()
            .filter_map(|w| w.strip_suffix('%')?.parse::<f64>().ok())
            .collect::<Vec<f64>>()
    };
    assert_eq!(row("same text, other URL"), [100.0, 0.0, 0.0, 0.0]);
    assert_eq!(row("dateline and credit added"), [100.0, 0.0, 0.0, 0.0]);
    assert_eq!(row("5% of words changed")[0], 100.0);
    for name in [
        "headline from the lead",
        "lead cut to 33%",
        "20% of words changed",
    ] {
        assert_eq!(row(name).iter().sum::<f64>(), 100.0, "{name}: {text}");
    }
    assert!(
        text.contains("input articles filed as near duplicates of another: 0 of 4"),
        "{text}"
    );
}

/// The demo config with its store moved into a temporary directory.
fn demo_config(dir: &Path, listen: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo("config/demo.toml")).unwrap();
    let store = dir.join("store");
    let text = text
        .replace(
            "path = \"data/demo\"",
            &format!("path = {:?}", store.display().to_string()),
        )
        .replace(
            "listen = \"127.0.0.1:8080\"",
            &format!("listen = {listen:?}"),
        )
        .replace("file:demo/", &format!("file://{}/", repo("config/demo")));
    let path = dir.join("demo.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn once_ingests_the_offline_demo_and_a_second_run_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = demo_config(dir.path(), "127.0.0.1:0");
    let out = storyd()
        .args(["once", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("6 feeds, 0 failed"), "{text}");
    let again = storyd()
        .args(["once", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(text.contains("0 new articles, 0 new stories"), "{text}");
}

/// Starts `storyd serve` on a config; returns the child and a thread collecting its log lines.
fn serve_logging(cfg: &Path) -> (std::process::Child, std::thread::JoinHandle<Vec<String>>) {
    let mut child = storyd()
        .args(["serve", "--config"])
        .arg(cfg)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let lines = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    (child, lines)
}

#[test]
fn serve_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let cfg = demo_config(dir.path(), &format!("127.0.0.1:{port}"));
    let (mut child, lines) = serve_logging(&cfg);
    let deadline = Instant::now() + Duration::from_secs(20);
    let body = loop {
        let out = storyd()
            .args([
                "stories",
                "--server",
                &format!("http://127.0.0.1:{port}"),
                "--json",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        // Stories depend on the order the six feeds are ingested in, so look for "three or
        // more sources" rather than an exact count.
        let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let stories = body["stories"].as_array().cloned().unwrap_or_default();
        if out.status.success()
            && stories
                .iter()
                .any(|s| s["source_count"].as_u64() >= Some(3))
        {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no multi-source story in time: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(body.contains("\"stories\""));
    let table = storyd()
        .args(["stories", "--server", &format!("http://127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).starts_with("ID"));

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert!(started.elapsed() < Duration::from_secs(15));
    let log = lines.join().unwrap().join("\n");
    assert!(log.contains("SIGTERM"), "{log}");
    assert!(log.contains("storyd stopped"), "{log}");
}

/// A feed server that takes connections and never answers; each accepted connection is
/// reported on the channel and held open.
fn silent_server() -> (String, std::sync::mpsc::Receiver<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feed.xml", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().map_while(Result::ok) {
            held.push(stream);
            if tx.send(()).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

#[test]
fn serve_stops_within_10_s_abandoning_a_refresh_that_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let (feed, fetched) = silent_server();
    let cfg = dir.path().join("storyd.toml");
    std::fs::write(
        &cfg,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = {:?}\n\
             [scheduler]\ntimeout = \"60s\"\n[[feeds]]\nurl = {feed:?}\n",
            dir.path().join("store").display().to_string()
        ),
    )
    .unwrap();
    let (mut child, lines) = serve_logging(&cfg);
    // The refresh is in flight once the silent server has its connection.
    fetched
        .recv_timeout(Duration::from_secs(20))
        .expect("storyd never fetched the feed");
    // And an HTTP client is halfway through its request head.
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::io::Write::write_all(&mut slow, b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));

    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let status = child.wait().unwrap();
    let took = started.elapsed();
    let log = lines.join().unwrap().join("\n");
    assert!(status.success(), "exit status {status:?}\n{log}");
    assert!(
        took < Duration::from_secs(10),
        "shutdown took {took:?}\n{log}"
    );
    assert!(
        log.contains("abandoned the refreshes still running"),
        "{log}"
    );
    assert!(log.contains("storyd stopped"), "{log}");
    drop(slow);
}
