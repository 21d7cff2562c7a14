//! Fetching: the first stage of the flow (fetch -> parse/normalize -> cluster -> store -> api).
//!
//! [`Fetcher::fetch`] turns a feed URL (http, https or `file://`) and the validators stored
//! for it into bytes and the facts the scheduler needs: the conditional GET's outcome
//! (a 304 has no body), where the content came from and whether the feed moved for good,
//! how long the server says it stays fresh, and on failure what went wrong and how long
//! the server asked us to wait. Along the way it is polite (at most `per_host` requests in
//! flight per host), bounded (connect and total timeouts, body capped after
//! decompression, at most five redirects followed by hand) and never panics on what a
//! server sends. Parsing the bytes is the next stage's job.

mod client;
mod error;
mod file;
mod guard;
pub mod headers;
mod http;
mod politeness;

#[cfg(test)]
mod tests;

use std::time::Duration;

pub use client::{Fetcher, UrlGuard};
pub use error::FetchError;
pub use guard::{AddressPolicy, BlockedAddress, PublicAddresses, PublicOnly, is_public};
pub use politeness::{HostLimits, HostPermit, host_key};

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;

/// How the fetcher behaves; built by the config from the `[scheduler]` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchSettings {
    /// The whole fetch (connect, headers, body, every redirect) must end within this.
    pub timeout: Duration,
    /// Establishing one connection must end within this.
    pub connect_timeout: Duration,
    /// The largest body accepted, in bytes, counted after decompression.
    pub max_body: u64,
    /// Requests in flight to one host at most.
    pub per_host: usize,
    /// The User-Agent header.
    pub user_agent: String,
}

impl Default for FetchSettings {
    /// The defaults of SPEC's `[scheduler]` section.
    fn default() -> Self {
        FetchSettings {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body: 8 * 1024 * 1024,
            per_host: 2,
            user_agent: default_user_agent(),
        }
    }
}

/// `storyd/<version>`, the User-Agent storyd announces itself with.
pub fn default_user_agent() -> String {
    format!("storyd/{}", env!("CARGO_PKG_VERSION"))
}

/// The validators of a conditional GET, as stored per feed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` of the last 200, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` of the last 200, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// What a successful fetch (200 or 304) brought back.
#[derive(Clone, Debug)]
pub struct FetchOutcome {
    /// Where the content came from, after redirects.
    pub final_url: String,
    /// The new URL, only if every hop from the start was permanent (301/308).
    pub moved_to: Option<String>,
    /// The hops seen (status, target), for logs.
    pub redirects: Vec<(u16, String)>,
    /// The body, decompressed; `None` on 304 Not Modified.
    pub body: Option<bytes::Bytes>,
    /// The response's Content-Type, lowercased, with its parameters.
    pub content_type: Option<String>,
    /// Validators for the next fetch (on a 304 without them, the request's own).
    pub validators: Validators,
    /// How long the server says the feed stays fresh (`Cache-Control`, `Expires`).
    pub cache_for: Option<Duration>,
    /// The final HTTP status (200 for files).
    pub status: u16,
    /// How long the fetch took, redirects included.
    pub elapsed: Duration,
}

impl FetchOutcome {
    /// True on 304 Not Modified: nothing to parse.
    pub fn not_modified(&self) -> bool {
        self.body.is_none()
    }
}
