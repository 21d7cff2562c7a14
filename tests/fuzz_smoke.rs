//! The fuzz targets' properties in every `cargo test`: each target of `fuzz/` runs over its
//! seeds (and, for `parse`, the feed fixtures) and a few hundred random mutations of them.
//! A failure prints the seed of the run: `STORYD_FUZZ_SEED=<n>` replays it. The real fuzzing,
//! for minutes or hours, is `cargo +nightly fuzz run <target>` (see fuzz/README.md).

#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// Mutations tried per seed file.
const MUTATIONS: usize = 200;
/// Fixtures larger than this are run as they are but not mutated (debug builds are slow).
const MUTATE_MAX: usize = 64 * 1024;

/// The files of `dirs`; fixture documents (outside `fuzz/`) get the `parse` target's leading
/// selector byte 0 (no content type) so that they reach the parser whole.
fn seeds(dirs: &[&str]) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in dirs {
        let prefix: &[u8] = if dir.starts_with("fuzz/") { b"" } else { b"\0" };
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "md" && x != "tsv"))
            .collect();
        files.sort();
        out.extend(
            files
                .iter()
                .filter_map(|p| std::fs::read(p).ok())
                .map(|body| [prefix, &body].concat()),
        );
    }
    out
}

/// One random change of `data`: flip, insert, delete, duplicate or splice in another seed.
fn mutate(rng: &mut fastrand::Rng, data: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..rng.usize(1..4) {
        let at = rng.usize(0..=out.len());
        match rng.u8(0..6) {
            0 if !out.is_empty() => {
                let i = rng.usize(0..out.len());
                out[i] ^= 1 << rng.u8(0..8);
            }
            1 => {
                let bytes: Vec<u8> = (0..rng.usize(1..8)).map(|_| rng.u8(..)).collect();
                out.splice(at..at, bytes);
            }
            2 if at < out.len() => {
                let end = rng.usize(at..=out.len().min(at + 32));
                out.drain(at..end);
            }
            3 if at < out.len() => {
                let end = rng.usize(at..=out.len().min(at + 64));
                let chunk = out[at..end].to_vec();
                out.splice(at..at, chunk.iter().cycle().take(chunk.len() * 8).copied());
            }
            4 => {
                let tokens: [&[u8]; 8] = [b"<", b">", b"&", b"&#x", b"]]>", b"\"", b"\xff", b"\n"];
                out.splice(at..at, tokens[rng.usize(0..tokens.len())].iter().copied());
            }
            _ if !others.is_empty() => {
                let other = &others[rng.usize(0..others.len())];
                let from = rng.usize(0..=other.len());
                let end = rng.usize(from..=other.len().min(from + 128));
                out.splice(at..at, other[from..end].iter().copied());
            }
            _ => {}
        }
    }
    out
}

/// Runs `check` over the seeds and their mutations; panics with the failing input and seed.
fn smoke(name: &str, dirs: &[&str], check: fn(&[u8])) {
    let seed = std::env::var("STORYD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    let mut rng = fastrand::Rng::with_seed(seed);
    let corpus = seeds(dirs);
    assert!(!corpus.is_empty(), "{name}: no seeds in {dirs:?}");
    let mut runs = 0;
    for input in &corpus {
        let mut inputs = vec![input.clone()];
        if input.len() <= MUTATE_MAX {
            inputs.extend((0..MUTATIONS).map(|_| mutate(&mut rng, input, &corpus)));
        }
        for case in inputs {
            runs += 1;
            if catch_unwind(AssertUnwindSafe(|| check(&case))).is_err() {
                panic!(
                    "{name}: failed on {:?} (STORYD_FUZZ_SEED={seed})",
                    String::from_utf8_lossy(&case)
                );
            }
        }
    }
    eprintln!("{name}: {runs} inputs, seed {seed}");
}

#[test]
fn html_to_text_smoke() {
    smoke(
        "html_to_text",
        &["fuzz/seeds/html_to_text"],
        checks::html_to_text,
    );
}

#[test]
fn canonical_url_smoke() {
    smoke(
        "canonical_url",
        &["fuzz/seeds/canonical_url"],
        checks::canonical_url,
    );
}

#[test]
fn dates_smoke() {
    smoke("dates", &["fuzz/seeds/dates"], checks::dates);
}

#[test]
fn parse_smoke() {
    smoke(
        "parse",
        &["fuzz/seeds/parse", "tests/fixtures/feeds"],
        checks::parse,
    );
}
