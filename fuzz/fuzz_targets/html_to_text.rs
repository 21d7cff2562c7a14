//! cargo-fuzz target: `cargo +nightly fuzz run html_to_text fuzz/corpus/html_to_text fuzz/seeds/html_to_text`.
//! The properties checked live in `storyd_fuzz::html_to_text` (also run by tests/fuzz_smoke.rs).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| storyd_fuzz::html_to_text(data));
