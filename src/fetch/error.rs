//! What can go wrong while fetching a feed, and the one place that says which failures are
//! the server asking us to wait ([`FetchError::retry_after`]) and how each is labelled for
//! metrics ([`FetchError::kind`]).
//!
//! Messages name the URL and the fault in words an operator can act on; they end up in the
//! feed's `last_error`.

use std::error::Error as _;
use std::io;
use std::time::Duration;

use bytesize::ByteSize;

use super::FetchSettings;

/// A failed fetch: every variant names the URL (or file) it concerns.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be built (bad settings, TLS roots).
    #[error("could not build the HTTP client: {reason}")]
    Client {
        /// Why the builder failed.
        reason: String,
    },
    /// The URL could not be parsed.
    #[error("invalid URL {url}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What the parser objected to.
        reason: String,
    },
    /// The URL (or a redirect target) has a scheme we do not fetch.
    #[error("fetching {url}: unsupported URL scheme {scheme}")]
    UnsupportedScheme {
        /// The URL.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// The URL guard refused the URL or a redirect target.
    #[error("fetching {url}: refused by the URL guard: {reason}")]
    Blocked {
        /// The refused URL.
        url: String,
        /// Why the guard refused it.
        reason: String,
    },
    /// The whole fetch (connect, headers, body, redirects) took longer than the timeout.
    #[error("fetching {url}: timed out after {}", humantime::format_duration(*.after))]
    Timeout {
        /// The URL being fetched when time ran out.
        url: String,
        /// The configured timeout.
        after: Duration,
    },
    /// No connection could be made (refused, unreachable, DNS, TLS handshake).
    #[error("fetching {url}: {reason}")]
    Connect {
        /// The URL.
        url: String,
        /// "connection refused", "DNS lookup failed", ...
        reason: String,
    },
    /// The peer reset or closed the connection before the response was complete.
    #[error("fetching {url}: connection reset")]
    Reset {
        /// The URL.
        url: String,
    },
    /// The server answered with an error status (4xx, 5xx or an unusable 1xx/3xx).
    #[error("fetching {url}: HTTP {status} {reason}{}", retry_note(*.retry_after))]
    Status {
        /// The URL that answered.
        url: String,
        /// The status code.
        status: u16,
        /// Its canonical reason phrase.
        reason: String,
        /// The server's Retry-After, on 429 and 503.
        retry_after: Option<Duration>,
    },
    /// The body, after decompression, is larger than `max_body`.
    #[error("fetching {url}: body exceeds max_body ({})", ByteSize(*.limit))]
    TooLarge {
        /// The URL.
        url: String,
        /// The configured cap in bytes.
        limit: u64,
    },
    /// More than the allowed number of redirects.
    #[error("fetching {url}: too many redirects (more than {max})")]
    TooManyRedirects {
        /// The URL first asked for.
        url: String,
        /// The most hops followed.
        max: usize,
    },
    /// A redirect led back to a URL already visited.
    #[error("fetching {url}: redirect loop at {at}")]
    RedirectLoop {
        /// The URL first asked for.
        url: String,
        /// The URL seen twice.
        at: String,
    },
    /// A redirect without a usable Location.
    #[error("fetching {url}: bad redirect (HTTP {status}): {reason}")]
    BadRedirect {
        /// The URL that redirected.
        url: String,
        /// The redirect status.
        status: u16,
        /// What was wrong with its Location.
        reason: String,
    },
    /// The body could not be read to its end (closed early, protocol error).
    #[error("fetching {url}: body read failed: {reason}")]
    Body {
        /// The URL.
        url: String,
        /// The cause.
        reason: String,
    },
    /// The compressed body could not be decompressed (truncated or corrupt gzip/brotli).
    #[error("fetching {url}: could not decompress the body: {reason}")]
    Decode {
        /// The URL.
        url: String,
        /// The cause.
        reason: String,
    },
    /// The server (or file) gave an empty body where a feed was expected.
    #[error("fetching {url}: empty body (HTTP {status})")]
    Empty {
        /// The URL.
        url: String,
        /// The status that came with it (200 for files).
        status: u16,
    },
    /// A `file://` feed could not be read.
    #[error("could not read file {path}: {source}")]
    File {
        /// The file's path.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
    /// Any other failure of the HTTP request.
    #[error("fetching {url}: request failed: {reason}")]
    Request {
        /// The URL.
        url: String,
        /// The cause.
        reason: String,
    },
}

impl FetchError {
    /// How long the server asked us to wait (429/503 `Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Client { .. } => "client",
            FetchError::InvalidUrl { .. } | FetchError::UnsupportedScheme { .. } => "url",
            FetchError::Blocked { .. } => "blocked",
            FetchError::Timeout { .. } => "timeout",
            FetchError::Connect { .. } => "connect",
            FetchError::Reset { .. } => "reset",
            FetchError::Status { status, .. } if *status >= 500 => "status_5xx",
            FetchError::Status { status, .. } if *status >= 400 => "status_4xx",
            FetchError::Status { .. } => "status_other",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::TooManyRedirects { .. }
            | FetchError::RedirectLoop { .. }
            | FetchError::BadRedirect { .. } => "redirects",
            FetchError::Body { .. } => "body",
            FetchError::Decode { .. } => "decode",
            FetchError::Empty { .. } => "empty",
            FetchError::File { .. } => "file",
            FetchError::Request { .. } => "request",
        }
    }

    /// Turns a reqwest error into the variant that says what actually happened.
    ///
    /// reqwest reports most body faults as "decode" errors, so the cause is read from the
    /// chain of sources instead: an I/O error kind is the most reliable witness.
    pub(crate) fn from_reqwest(
        url: &str,
        settings: &FetchSettings,
        err: &reqwest::Error,
    ) -> FetchError {
        let url = url.to_owned();
        if let Some(blocked) = blocked_address(err) {
            return FetchError::Blocked {
                url,
                reason: blocked.to_string(),
            };
        }
        let io_kind = io_error_kind(err);
        let reason = error_chain(err);
        let timed_out = err.is_timeout() || io_kind == Some(io::ErrorKind::TimedOut);
        if timed_out && err.is_connect() {
            let after = humantime::format_duration(settings.connect_timeout);
            return FetchError::Connect {
                url,
                reason: format!("could not connect within {after}"),
            };
        }
        if timed_out {
            return FetchError::Timeout {
                url,
                after: settings.timeout,
            };
        }
        match io_kind {
            Some(io::ErrorKind::ConnectionRefused) => {
                return FetchError::Connect {
                    url,
                    reason: "connection refused".into(),
                };
            }
            Some(
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe,
            ) => return FetchError::Reset { url },
            _ => {}
        }
        let hyper = hyper_error(err);
        if err.is_dns() {
            FetchError::Connect {
                url,
                reason: format!("DNS lookup failed: {reason}"),
            }
        } else if err.is_connect() {
            FetchError::Connect {
                url,
                reason: format!("could not connect: {reason}"),
            }
        } else if let Some(parse) = hyper.filter(|h| h.is_parse()) {
            FetchError::Request {
                url,
                reason: format!("not a valid HTTP response: {parse}"),
            }
        } else if hyper.is_some() && io_kind == Some(io::ErrorKind::UnexpectedEof) {
            FetchError::Body {
                url,
                reason: "connection closed before the body was complete".into(),
            }
        } else if io_kind.is_some() && hyper.is_none() && (err.is_body() || err.is_decode()) {
            // An I/O error that did not come through hyper (the connection) comes from the
            // decompressor: the peer's faults (reset, timeout) were sorted out above.
            FetchError::Decode { url, reason }
        } else if err.is_body() || err.is_decode() {
            FetchError::Body { url, reason }
        } else {
            FetchError::Request { url, reason }
        }
    }
}

/// ", retry after 2m" when the server asked for a wait.
fn retry_note(retry_after: Option<Duration>) -> String {
    retry_after
        // Whole seconds: an HTTP date gives sub-second noise that says nothing to an operator.
        .map(|wait| {
            let secs = Duration::from_secs(wait.as_secs());
            format!(", retry after {}", humantime::format_duration(secs))
        })
        .unwrap_or_default()
}

/// The kind of the innermost I/O error in the chain, if there is one.
fn io_error_kind(err: &reqwest::Error) -> Option<io::ErrorKind> {
    let mut source = err.source();
    let mut kind = None;
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            kind = Some(io.kind());
        }
        source = e.source();
    }
    kind
}

/// The SSRF guard's refusal in the chain, when the resolver refused a host name.
fn blocked_address(err: &reqwest::Error) -> Option<&super::BlockedAddress> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(blocked) = e.downcast_ref::<super::BlockedAddress>() {
            return Some(blocked);
        }
        source = e.source();
    }
    None
}

/// The hyper error in the chain, if hyper (the connection) reported it rather than the
/// body decoder.
fn hyper_error(err: &reqwest::Error) -> Option<&hyper::Error> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(hyper) = e.downcast_ref::<hyper::Error>() {
            return Some(hyper);
        }
        source = e.source();
    }
    None
}

/// The error's causes joined with ": ", skipping reqwest's generic lines.
fn error_chain(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        let generic = e.is::<reqwest::Error>();
        if !generic && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, retry_after: Option<Duration>) -> FetchError {
        FetchError::Status {
            url: "http://h/f".into(),
            status: code,
            reason: "X".into(),
            retry_after,
        }
    }

    #[test]
    fn kind_separates_client_and_server_errors() {
        assert_eq!(status(503, None).kind(), "status_5xx");
        assert_eq!(status(429, None).kind(), "status_4xx");
        assert_eq!(status(101, None).kind(), "status_other");
    }

    #[test]
    fn retry_after_only_from_status() {
        let wait = Some(Duration::from_secs(7));
        assert_eq!(status(429, wait).retry_after(), wait);
        let reset = FetchError::Reset { url: "u".into() };
        assert_eq!(reset.retry_after(), None);
    }

    #[test]
    fn messages_name_url_and_fault() {
        let too_large = FetchError::TooLarge {
            url: "http://h/f".into(),
            limit: 8 * 1024 * 1024,
        };
        assert_eq!(
            too_large.to_string(),
            "fetching http://h/f: body exceeds max_body (8.0 MiB)"
        );
        let timeout = FetchError::Timeout {
            url: "http://h/f".into(),
            after: Duration::from_secs(30),
        };
        assert_eq!(
            timeout.to_string(),
            "fetching http://h/f: timed out after 30s"
        );
        let plain = status(503, None).to_string();
        assert_eq!(plain, "fetching http://h/f: HTTP 503 X");
        let wait = Some(Duration::from_secs(120));
        let asked = status(429, wait).to_string();
        assert_eq!(asked, "fetching http://h/f: HTTP 429 X, retry after 2m");
    }
}
