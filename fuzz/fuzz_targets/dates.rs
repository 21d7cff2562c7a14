//! cargo-fuzz target: `cargo +nightly fuzz run dates fuzz/corpus/dates fuzz/seeds/dates`.
//! The properties checked live in `storyd_fuzz::dates` (also run by tests/fuzz_smoke.rs).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| storyd_fuzz::dates(data));
