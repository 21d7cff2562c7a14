//! cargo-fuzz target: `cargo +nightly fuzz run parse fuzz/corpus/parse fuzz/seeds/parse`.
//! The properties checked live in `storyd_fuzz::parse` (also run by tests/fuzz_smoke.rs).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| storyd_fuzz::parse(data));
