//! Storage errors: a store that cannot be written at start is a clear error and exit 1 (the
//! real binary, on a read-only tmpfs; skipped, saying so, where mounting is not allowed), and
//! a disk that fills up while the daemon serves (a backend whose writes fail, behind the
//! public `Backend` trait) is logged naming the feed and the cause, while the daemon keeps
//! serving what it has and resumes ingest, sound, once writes succeed again.

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
            f[0]["article_count"].as_u64() >= Some(3)
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

/// A read-only file system at `mount` (a tmpfs holding a store, remounted read-only), or
/// `None` when this process may not mount (not root, or a container without the capability).
fn read_only_store(mount: &Path) -> Option<PathBuf> {
    std::fs::create_dir_all(mount).ok()?;
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
        .arg(mount)
        .output()
        .ok()?;
    if !mounted.status.success() {
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
