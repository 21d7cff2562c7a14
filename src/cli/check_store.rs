//! `storyd check-store`: opens the configured store (read and check only, never written to
//! beyond what opening does: opening a schema-1 store builds its word index) and prints
//! [`crate::store::Store::check`]'s report.
//!
//! Exit 0 when the store is sound, 1 when an invariant is broken or the store cannot be
//! opened or read (the error says which, naming the path).

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::store::Store;

/// Checks the store of `config` and prints the report; exit 1 when it is not sound.
pub fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let path = &config.store.path;
    // Opening creates a missing store: checking must not conjure an empty one.
    if !path.is_dir() {
        anyhow::bail!("no store at {} (store.path)", path.display());
    }
    let store = Store::open(path)
        .with_context(|| format!("cannot open the store at {}", path.display()))?;
    let report = store
        .check()
        .with_context(|| format!("cannot read the store at {}", path.display()))?;
    println!("store {}", path.display());
    println!("{report}");
    Ok(if report.is_sound() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
