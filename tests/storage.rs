//! Storage errors: a store that cannot be written at start is a clear error and exit 1 (the
//! real binary, on a read-only tmpfs), and a disk that fills up while the daemon serves is
//! logged naming the feed and the cause, while the daemon keeps serving what it has and
//! resumes ingest, sound, once there is room again. The full disk is simulated twice: a
//! backend whose writes fail (behind the public `Backend` trait; always runs), and a real
//! 3 MiB tmpfs under the real binary. Tests that mount skip, saying so, where that is refused.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Running;
use common::fault_server::{Fault, FaultServer};
use serde_json::Value;
use storyd::daemon::Daemon;
use storyd::store::{Backend, BackendError, KvIter, SledBackend, Store, WriteBatch};

/// A sled backend whose writes fail with "no space left on device" while `full` is set.
struct FillingDisk {
    inner: SledBackend,
    full: Arc<AtomicBool>,
}

impl FillingDisk {
    fn refuse(&self, op: &'static str) -> Result<(), BackendError> {
        if self.full.load(Ordering::SeqCst) {
            let e = std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device");
            return Err(BackendError::new(op, e));
        }
        Ok(())
    }
}

impl Backend for FillingDisk {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        self.inner.get(key)
    }
    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, reverse: bool) -> KvIter<'_> {
        self.inner.scan(prefix, after, reverse)
    }
    fn apply(&self, batch: WriteBatch) -> Result<(), BackendError> {
        self.refuse("apply batch")?;
        self.inner.apply(batch)
    }
    fn flush(&self) -> Result<(), BackendError> {
        self.refuse("flush")?;
        self.inner.flush()
    }
    fn size_on_disk(&self) -> Result<u64, BackendError> {
        self.inner.size_on_disk()
    }
}

/// Log lines the daemon wrote in this test process.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_logged_and_the_daemon_keeps_serving() {
    let logs = Logs::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_env_filter("storyd=info")
        .init();

    let server = FaultServer::start().await;
    server.set("/news", Fault::Growing);
    let dir = tempfile::tempdir().expect("tempdir");
    let full = Arc::new(AtomicBool::new(false));
    let backend = FillingDisk {
        inner: SledBackend::open(dir.path()).expect("sled"),
        full: full.clone(),
    };
    let store = Store::with_backend(Box::new(backend), dir.path()).expect("store");
    let config = common::config(dir.path(), &[server.url("/news")]);
    let daemon =
        Running::start_daemon(Daemon::with_store(config, store.clone()).expect("daemon")).await;
    let feeds = daemon
        .wait_feeds("a few articles", |f| {
            f.first().and_then(|f| f["article_count"].as_u64()) >= Some(3)
        })
        .await;
    let feed_id = feeds[0]["id"].as_str().expect("feed id").to_owned();

    // The disk fills up: polls go on, nothing lands, the log says why and for which feed.
    full.store(true, Ordering::SeqCst);
    let stories_before = stories(&daemon).await;
    let polls = server.growing_requests();
    wait_for(
        || server.growing_requests() >= polls + 3,
        "polls while the disk is full",
    )
    .await;
    let log = logs.text();
    let complaint = log
        .lines()
        .find(|l| l.contains("no space left on device") && l.contains(&feed_id))
        .unwrap_or_else(|| panic!("no log line names the feed and the full disk:\n{log}"));
    assert!(
        complaint.contains(&dir.path().display().to_string()),
        "{complaint}"
    );

    // Meanwhile everything stored is still served.
    let (status, _) = daemon.get("/healthz").await;
    assert_eq!(status, 200);
    let during = stories(&daemon).await;
    assert_eq!(during.len(), stories_before.len());
    for story in &during {
        let (status, _) = daemon
            .get(&format!(
                "/api/stories/{}",
                story["id"].as_str().unwrap_or("")
            ))
            .await;
        assert_eq!(status, 200);
    }

    // Space is freed: ingest resumes where it stopped, and the store is sound.
    full.store(false, Ordering::SeqCst);
    let count = daemon.feeds().await[0]["article_count"]
        .as_u64()
        .unwrap_or(0);
    daemon
        .wait_feeds("ingest to resume", |f| {
            f[0]["article_count"].as_u64() >= Some(count + 3) && f[0]["status"] == "ok"
        })
        .await;
    for story in stories(&daemon).await {
        for article in story["articles"].as_array().cloned().unwrap_or_default() {
            assert_ne!(article["duplicate_of"], article["id"], "{article}");
        }
    }
    daemon.stop().await;
    let report = store.check().expect("check");
    assert!(report.is_sound(), "{report}");
}

async fn stories(daemon: &Running) -> Vec<Value> {
    let (status, body) = daemon.get("/api/stories?limit=200").await;
    assert_eq!(status, 200, "{body}");
    body["stories"].as_array().cloned().unwrap_or_default()
}

async fn wait_for(ready: impl Fn() -> bool, what: &str) {
    for _ in 0..600 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Mounts a tmpfs of `size` at `mount`; false where this process may not mount.
fn mount_tmpfs(mount: &Path, size: &str) -> bool {
    std::fs::create_dir_all(mount).is_ok()
        && Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(mount)
            .output()
            .is_ok_and(|o| o.status.success())
}

/// A read-only file system at `mount` (a tmpfs holding a store, remounted read-only), or
/// `None` when this process may not mount (not root, or a container without the capability).
fn read_only_store(mount: &Path) -> Option<PathBuf> {
    if !mount_tmpfs(mount, "64m") {
        return None;
    }
    let store_dir = mount.join("store");
    let store = Store::open(&store_dir).expect("store on tmpfs");
    store.flush().expect("flush");
    drop(store);
    let ro = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(mount)
        .status()
        .ok()?;
    ro.success().then_some(store_dir)
}

#[test]
fn a_read_only_store_is_a_clear_error_and_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mount = dir.path().join("ro");
    let Some(store_dir) = read_only_store(&mount) else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)");
        return;
    };
    let _unmount = Unmount(mount.clone());
    let cases = [
        ("an existing store", store_dir.clone()),
        ("a store to create", mount.join("new-store")),
    ];
    for (what, path) in cases {
        let config = dir.path().join("storyd.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\n[store]\npath = {:?}\n",
                path.display().to_string()
            ),
        )
        .expect("config");
        for command in ["serve", "once"] {
            let out = Command::new(env!("CARGO_BIN_EXE_storyd"))
                .args([command, "--config"])
                .arg(&config)
                .env_remove("RUST_LOG")
                .output()
                .expect("run storyd");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{command} on {what}: {stderr}");
            assert!(
                stderr.contains(&path.display().to_string())
                    && (stderr.contains("not writable") || stderr.contains("cannot create")),
                "{command} on {what}: {stderr}"
            );
        }
    }
}

/// Unmounts the test's tmpfs however the test ends.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// An RSS document of `n` items with long descriptions, to fill a small disk quickly.
fn bulky_feed(n: usize) -> String {
    let mut items = String::new();
    for i in 0..n {
        items.push_str(&format!(
            "<item><guid>bulk-{i}</guid><title>Bulk item {i} on the harbour works</title>\
             <description>{}</description></item>",
            format!("Paragraph {i} of the harbour report. ").repeat(30)
        ));
    }
    format!("<rss version=\"2.0\"><channel><title>Bulk</title>{items}</channel></rss>")
}

/// Polls until `ready` holds (or fails after 60 s).
async fn eventually(what: &str, ready: impl AsyncFn() -> bool) {
    for _ in 0..600 {
        if ready().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_full_disk_keeps_the_api_up_and_the_store_sound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mount = dir.path().join("small");
    if !mount_tmpfs(&mount, "3m") {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)");
        return;
    }
    let _unmount = Unmount(mount.clone());
    let exe = common::storyd_binary(dir.path());
    let server = FaultServer::start().await;
    server.set("/news", Fault::Growing);
    server.set("/bulk", Fault::ok("application/rss+xml", bulky_feed(400)));
    let port = common::free_port();
    let config = dir.path().join("storyd.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = {:?}\n[scheduler]\n\
             interval = \"1s\"\nmin_interval = \"1s\"\n[[feeds]]\nurl = {:?}\n[[feeds]]\nurl = {:?}\n",
            mount.join("store").display().to_string(),
            server.url("/news"),
            server.url("/bulk")
        ),
    )
    .expect("config");
    let log_path = dir.path().join("serve.log");
    let serve = |log: std::fs::File| {
        Killed(
            Command::new(&exe)
                .args(["serve", "--config"])
                .arg(&config)
                .env("RUST_LOG", "storyd=info")
                .stderr(log)
                .spawn()
                .expect("spawn storyd serve"),
        )
    };
    let mut child = serve(std::fs::File::create(&log_path).expect("log"));
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");

    // The disk fills: the log says so, and the daemon keeps answering from what it has.
    eventually("the log to report the full disk", async || {
        std::fs::read_to_string(&log_path).is_ok_and(|l| l.contains("No space left on device"))
    })
    .await;
    // sled refuses reads too once a write failed for want of space, until it is reopened:
    // answers are what the store still gives, or a JSON 503 saying the store is unavailable.
    let (status, _) = get(&client, &format!("{base}/healthz")).await;
    assert_eq!(status, 200);
    for path in ["/api/feeds", "/api/stories", "/api/stories?sort=recent"] {
        let (status, body) = get(&client, &format!("{base}{path}")).await;
        let unavailable = status == 503 && body["error"]["code"] == "store_unavailable";
        assert!(
            status == 200 || unavailable,
            "{path} on a full disk: {status} {body}"
        );
    }
    assert!(
        child.0.try_wait().expect("poll").is_none(),
        "storyd died on a full disk"
    );
    drop(child);

    // Space is freed: the store is sound, and the daemon starts again and ingests.
    let grown = Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&mount)
        .status()
        .expect("remount");
    assert!(grown.success());
    let check = Command::new(&exe)
        .args(["check-store", "--config"])
        .arg(&config)
        .output()
        .expect("check-store");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let _child = serve(std::fs::File::create(dir.path().join("again.log")).expect("log"));
    eventually("ingest after the restart", async || {
        let Ok(r) = client.get(format!("{base}/api/feeds")).send().await else {
            return false;
        };
        let body: Value =
            serde_json::from_slice(&r.bytes().await.unwrap_or_default()).unwrap_or_default();
        body["feeds"][1]["article_count"].as_u64() == Some(400)
    })
    .await;
}

/// A child process killed (SIGKILL) and reaped when dropped, so that a failing test leaves
/// no daemon behind holding its tmpfs busy.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let r = client.get(url).send().await.expect("send");
    let status = r.status().as_u16();
    let body = serde_json::from_slice(&r.bytes().await.unwrap_or_default()).unwrap_or_default();
    (status, body)
}
