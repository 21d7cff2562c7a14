//! The [`Fetcher`]: one shared HTTP client, the per-host limits, and the fetch itself as a
//! list of steps: check the URL, take a per-host permit, exchange, then follow a redirect,
//! accept a 304 or a 200, or turn the status into an error.
//!
//! Redirects are followed here by hand rather than by reqwest, for three reasons: each hop
//! must pass the [`UrlGuard`] (the hook for an SSRF guard), each hop's host needs its own
//! politeness permit, and the scheduler must know whether every hop was permanent (then the
//! feed's stored URL follows) or not.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue, LOCATION};
use url::Url;

use super::guard::PublicOnly;
use super::http::{Exchange, exchange};
use super::politeness::{HostLimits, host_key};
use super::{FetchError, FetchOutcome, FetchSettings, MAX_REDIRECTS, Validators, file, headers};

/// What storyd asks for: the feed formats first, then anything.
const ACCEPT_FEEDS: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                            application/xml;q=0.9, */*;q=0.8";

/// A check run on the first URL and on every redirect target before it is fetched.
///
/// This is where an SSRF guard plugs in (refusing loopback, private and metadata
/// addresses for feeds added through the API).
pub trait UrlGuard: Send + Sync {
    /// `Ok` to fetch `url`, or the reason it is refused.
    fn check(&self, url: &Url) -> Result<(), String>;
}

/// Fetches feeds; cheap to clone, and every clone shares the client and the host limits.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    settings: Arc<FetchSettings>,
    limits: Arc<HostLimits>,
    guard: Option<Arc<dyn UrlGuard>>,
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetcher")
            .field("settings", &self.settings)
            .field("guarded", &self.guard.is_some())
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher with its own HTTP client (redirects disabled) and host limits.
    pub fn new(settings: FetchSettings) -> Result<Fetcher, FetchError> {
        Ok(Fetcher {
            client: build_client(&settings, None)?,
            limits: Arc::new(HostLimits::new(settings.per_host)),
            settings: Arc::new(settings),
            guard: None,
        })
    }

    /// The same fetcher (settings and host limits shared) restricted by `guard`: every URL
    /// and redirect target passes its URL check, and host names resolve through it, so only
    /// the addresses it allows are ever connected to.
    pub fn public_only(&self, guard: PublicOnly) -> Result<Fetcher, FetchError> {
        Ok(Fetcher {
            client: build_client(&self.settings, Some(Arc::new(guard.clone())))?,
            settings: self.settings.clone(),
            limits: self.limits.clone(),
            guard: Some(Arc::new(guard)),
        })
    }

    /// The same fetcher, checking every URL and redirect target with `guard` first.
    pub fn with_guard(mut self, guard: Arc<dyn UrlGuard>) -> Fetcher {
        self.guard = Some(guard);
        self
    }

    /// The settings it runs on.
    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// GETs `url` (http, https or file) with If-None-Match/If-Modified-Since from
    /// `validators`, holding a per-host permit (at most `per_host` in flight per host) for
    /// the duration of the request.
    ///
    /// Cancel-safe: dropping the future releases the permit and the connection.
    pub async fn fetch(
        &self,
        url: &str,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let start = Url::parse(url).map_err(|e| FetchError::InvalidUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        match start.scheme() {
            "file" => {
                self.check(&start)?;
                file::read(&start, self.settings.max_body).await
            }
            "http" | "https" => self.fetch_http(start, validators).await,
            other => Err(FetchError::UnsupportedScheme {
                url: url.to_owned(),
                scheme: other.to_owned(),
            }),
        }
    }

    /// The HTTP fetch: one exchange per hop until content, a 304 or an error.
    async fn fetch_http(
        &self,
        start: Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let started = Instant::now();
        let timeout = self.settings.timeout;
        let mut url = start.clone();
        let mut visited = HashSet::from([start.to_string()]);
        let mut redirects: Vec<(u16, String)> = Vec::new();
        // The clock starts once the first permit is ours: queueing behind our own requests
        // to a busy host is not the server's slowness.
        let mut deadline = None;
        loop {
            self.check(&url)?;
            let permit = self.limits.acquire(&host_key(&url)).await;
            let deadline = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + timeout);
            let hop = exchange(&self.client, &url, validators, &self.settings);
            let hop = tokio::time::timeout_at(deadline, hop).await.map_err(|_| {
                FetchError::Timeout {
                    url: url.to_string(),
                    after: timeout,
                }
            })??;
            drop(permit);
            let status = hop.status;
            tracing::debug!(url = %url, status = status.as_u16(), "fetch hop");
            if !is_redirect(status) {
                let outcome = finish(url, hop, validators, redirects, started)?;
                return Ok(outcome);
            }
            let next = redirect_target(&url, &hop)?;
            if redirects.len() == MAX_REDIRECTS {
                return Err(FetchError::TooManyRedirects {
                    url: start.to_string(),
                    max: MAX_REDIRECTS,
                });
            }
            if !visited.insert(next.to_string()) {
                return Err(FetchError::RedirectLoop {
                    url: start.to_string(),
                    at: next.to_string(),
                });
            }
            redirects.push((status.as_u16(), next.to_string()));
            url = next;
        }
    }

    /// Runs the guard, if any, on `url`.
    fn check(&self, url: &Url) -> Result<(), FetchError> {
        match &self.guard {
            Some(guard) => guard.check(url).map_err(|reason| FetchError::Blocked {
                url: url.to_string(),
                reason,
            }),
            None => Ok(()),
        }
    }
}

/// The shared HTTP client: redirects off (followed by hand), feed formats preferred.
fn build_client(
    settings: &FetchSettings,
    resolver: Option<Arc<PublicOnly>>,
) -> Result<reqwest::Client, FetchError> {
    let mut default_headers = HeaderMap::new();
    default_headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_FEEDS));
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(settings.user_agent.as_str())
        .default_headers(default_headers)
        .connect_timeout(settings.connect_timeout)
        // A backstop: the fetch's own deadline (which spans redirects) fires first.
        .timeout(settings.timeout)
        .gzip(true)
        .brotli(true);
    if let Some(resolver) = resolver {
        builder = builder.dns_resolver(resolver);
    }
    builder.build().map_err(|e| FetchError::Client {
        reason: e.to_string(),
    })
}

/// The redirect statuses we follow; other 3xx (300, 305) are errors.
fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Where a redirect points, resolved against the URL that sent it; http(s) only.
fn redirect_target(from: &Url, hop: &Exchange) -> Result<Url, FetchError> {
    let bad = |reason: String| FetchError::BadRedirect {
        url: from.to_string(),
        status: hop.status.as_u16(),
        reason,
    };
    let location = hop
        .headers
        .get(LOCATION)
        .ok_or_else(|| bad("no Location header".into()))?
        .to_str()
        .map_err(|_| bad("Location is not visible ASCII".into()))?;
    let next = from
        .join(location.trim())
        .map_err(|e| bad(format!("Location {location:?}: {e}")))?;
    // A server may not send us to the local disk or to another protocol.
    match next.scheme() {
        "http" | "https" => Ok(next),
        other => Err(FetchError::UnsupportedScheme {
            url: next.to_string(),
            scheme: other.to_owned(),
        }),
    }
}

/// Turns the last, non-redirect exchange into an outcome (200, 304) or an error.
fn finish(
    url: Url,
    hop: Exchange,
    sent: &Validators,
    redirects: Vec<(u16, String)>,
    started: Instant,
) -> Result<FetchOutcome, FetchError> {
    let now = SystemTime::now();
    let status = hop.status;
    if status != StatusCode::NOT_MODIFIED && !status.is_success() {
        let retry_after = match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                headers::retry_after(&hop.headers, now)
            }
            _ => None,
        };
        return Err(FetchError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("Unknown").to_owned(),
            retry_after,
        });
    }
    // Whitespace alone is no feed either; saying so beats a parser's "no root element".
    if hop.body.as_ref().is_some_and(|b| b.trim_ascii().is_empty()) {
        return Err(FetchError::Empty {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let mut validators = headers::validators(&hop.headers);
    if status == StatusCode::NOT_MODIFIED {
        // A 304 need not repeat the validators; the ones we sent are still good.
        validators.etag = validators.etag.or_else(|| sent.etag.clone());
        validators.last_modified = validators
            .last_modified
            .or_else(|| sent.last_modified.clone());
    }
    let permanent = redirects.iter().all(|(s, _)| matches!(s, 301 | 308));
    let moved_to = (permanent && !redirects.is_empty()).then(|| url.to_string());
    Ok(FetchOutcome {
        final_url: url.to_string(),
        moved_to,
        redirects,
        body: hop.body,
        content_type: headers::content_type(&hop.headers),
        validators,
        cache_for: headers::cache_for(&hop.headers, now),
        status: status.as_u16(),
        elapsed: started.elapsed(),
    })
}
