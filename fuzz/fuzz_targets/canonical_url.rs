//! cargo-fuzz target: `cargo +nightly fuzz run canonical_url fuzz/corpus/canonical_url fuzz/seeds/canonical_url`.
//! The properties checked live in `storyd_fuzz::canonical_url` (also run by tests/fuzz_smoke.rs).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| storyd_fuzz::canonical_url(data));
