//! `storyd once`, the real binary against a loopback feed server and a temporary store: its
//! lines name statuses as the JSON does, one dead feed among working ones exits 0, and a run
//! where every feed fails exits 1, and a config with no feeds says so and exits 0.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{FeedServer, Route};

/// A config with its store in `dir` and these feeds.
fn write_config(dir: &Path, feeds: &[String]) -> PathBuf {
    let mut text = format!(
        "[store]\npath = {:?}\n[scheduler]\ntimeout = \"5s\"\n",
        dir.join("store").display().to_string()
    );
    for f in feeds {
        text.push_str(&format!("[[feeds]]\nurl = {f:?}\n"));
    }
    let path = dir.join("storyd.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `storyd once --config CONFIG` off the async runtime's threads.
async fn once(binary: &Path, config: &Path) -> Output {
    let mut command = Command::new(binary);
    command
        .env_remove("STORYD_CONFIG")
        .env_remove("RUST_LOG")
        .args(["once", "--config"])
        .arg(config);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dead_feed_exits_0_and_statuses_read_as_in_the_json() {
    let server = FeedServer::start().await;
    server.feed("/wire.xml", "wire.xml");
    server.route("/down.xml", Route::Status(500, vec![]));
    let dir = tempfile::tempdir().unwrap();
    let binary = common::storyd_binary(dir.path());
    let config = write_config(
        dir.path(),
        &[server.url("/wire.xml"), server.url("/down.xml")],
    );

    let first = once(&binary, &config).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(out.contains("2 feeds, 1 failed;"), "{out}");
    assert!(out.contains(" ok: "), "{out}");

    // The second run gets 304 Not Modified from the working feed.
    let second = once(&binary, &config).await;
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(out.contains("not_modified: 0 new"), "{out}");
    assert!(!out.contains("notmodified"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_feed_failing_exits_1() {
    let server = FeedServer::start().await;
    server.route("/down.xml", Route::Status(500, vec![]));
    let dir = tempfile::tempdir().unwrap();
    let binary = common::storyd_binary(dir.path());
    let missing = dir.path().join("no-such-feed.xml");
    let config = write_config(
        dir.path(),
        &[
            server.url("/down.xml"),
            format!("file://{}", missing.display()),
        ],
    );
    let run = once(&binary, &config).await;
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.contains("2 feeds, 2 failed;"), "{out}");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("every feed failed"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_without_feeds_says_so_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let binary = common::storyd_binary(dir.path());
    let config = write_config(dir.path(), &[]);
    let run = once(&binary, &config).await;
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.contains("0 feeds, 0 failed;"), "{out}");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("no feeds configured"), "{err}");
}
