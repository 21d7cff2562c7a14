//! storyd: a feed aggregation daemon that turns a flood of feed items into stories.
//!
//! An item flows one way through the crate:
//!
//! 1. [`scheduler`] decides when each feed is due, and why;
//! 2. [`fetch`] gets its bytes over HTTP(S) or from `file://`, politely (conditional GET,
//!    per-host limits, body caps, redirects);
//! 3. [`feed`] parses RSS, Atom or JSON Feed with feed-rs and normalizes each item into an
//!    [`model::Entry`] (plain text, canonical URL, stable identity, sane dates);
//! 4. [`cluster`], the story engine, files each new article into a story (exact duplicate,
//!    near duplicate, same event), merging stories that converge and splitting those that
//!    one article bridged, with no I/O of its own;
//! 5. [`store`] keeps feeds, articles and stories in sled, an article and its story's
//!    change landing together;
//! 6. [`api`] answers queries over HTTP from the store.
//!
//! [`refresh`] is the one place that runs steps 2 to 5 in order for one feed, with
//! [`ingest`] keeping the engine and the store in step;
//! [`daemon`] wires the scheduler, the refresh workers and the HTTP server together with
//! one shutdown signal, and [`metrics`] counts what every stage did. [`config`] turns the TOML file into the validated settings all of
//! them run on.
//!
//! Operating it: [`live`] is the feed set that changes while the daemon runs (reload, feeds
//! added through the API), [`discover`] finds a site's feeds, [`opml`] reads and writes
//! subscription lists, and [`systemd`] reports readiness and liveness to the supervisor.
//! [`calendar`] reads English dates for both normalize and the engine.

pub mod api;
pub mod calendar;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod daemon;
pub mod discover;
pub mod eval;
pub mod feed;
pub mod fetch;
pub mod ingest;
pub mod live;
pub mod metrics;
pub mod model;
pub mod opml;
pub mod refresh;
pub mod scheduler;
pub mod store;
pub mod systemd;
