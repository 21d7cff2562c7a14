//! `storyd check-store` through the real binary: a store filled by `storyd once` is sound
//! (exit 0); the same store with one article record deleted behind the store's back (through
//! the public `Backend` trait) is not (exit 1, naming the article's index entries); a missing store is an
//! error (exit 1) and is not created.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use storyd::store::{Backend, SledBackend, Store, WriteBatch};

fn storyd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_storyd"));
    c.env_remove("STORYD_CONFIG").env_remove("RUST_LOG");
    c
}

/// A config over the offline demo feeds with its store in `dir/store`.
fn demo_config(dir: &Path) -> PathBuf {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo");
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\npath = {:?}\n",
        dir.join("store").display().to_string()
    );
    for feed in ["northgate-herald.xml", "tidewater-post.xml", "lantern.json"] {
        text.push_str(&format!(
            "[[feeds]]\nurl = \"file://{}\"\n",
            demo.join(feed).display()
        ));
    }
    let path = dir.join("storyd.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn check_store(config: &Path) -> Output {
    storyd()
        .args(["check-store", "--config"])
        .arg(config)
        .output()
        .expect("run storyd check-store")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_sound_store_exits_0_and_a_corrupted_one_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = demo_config(dir.path());
    let once = storyd()
        .args(["once", "--config"])
        .arg(&config)
        .output()
        .expect("run storyd once");
    assert!(once.status.success(), "{}", text(&once));

    let out = check_store(&config);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = text(&out);
    assert!(report.contains("store is sound"), "{report}");
    assert!(report.contains("feeds: 3"), "{report}");

    // Delete one article record, leaving its story and index entries pointing at nothing.
    let store_dir = dir.path().join("store");
    let victim = {
        let store = Store::open(&store_dir).expect("open store");
        let articles = store
            .articles_since(chrono::DateTime::UNIX_EPOCH)
            .expect("read articles");
        assert!(!articles.is_empty(), "once stored no article");
        articles[0].id.clone()
    };
    {
        let backend = SledBackend::open(&store_dir).expect("open backend");
        let record: Vec<u8> = backend
            .scan(b"", None, false)
            .map(|item| item.expect("scan"))
            .find(|(key, value)| {
                !value.is_empty() && key.ends_with(victim.as_bytes()) && {
                    // The record itself (not an index entry) holds the article as JSON.
                    String::from_utf8_lossy(value).contains("\"guid\"")
                }
            })
            .map(|(key, _)| key)
            .expect("the article's record");
        let mut batch = WriteBatch::new();
        batch.delete(record);
        backend.apply(batch).expect("delete the record");
        backend.flush().expect("flush");
    }

    let out = check_store(&config);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("store is NOT sound"), "{report}");
    // Index entries name the article by its id's bytes, in hex.
    let victim_hex: String = victim.bytes().map(|b| format!("{b:02x}")).collect();
    assert!(report.contains(&victim_hex), "{report}");
    assert!(
        report.contains("index entry without a matching record"),
        "{report}"
    );
}

#[test]
fn a_missing_store_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = demo_config(dir.path());
    let out = check_store(&config);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no store at"), "{}", text(&out));
    assert!(!dir.path().join("store").exists());
}
