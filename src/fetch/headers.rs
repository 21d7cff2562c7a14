//! Reading the response headers that steer polling: `Retry-After` (how long the server asks
//! us to wait), `Cache-Control`/`Expires` (how long the feed stays fresh) and the validators
//! for the next conditional GET.
//!
//! Everything here is pure: the current time is passed in, so the scheduler's inputs can be
//! tested without a clock. Unparseable headers are ignored, never an error: a feed with a
//! silly `Expires` is still a feed.

use std::time::{Duration, SystemTime};

use reqwest::header::{
    CACHE_CONTROL, DATE, ETAG, EXPIRES, HeaderMap, HeaderName, LAST_MODIFIED, RETRY_AFTER,
};

use super::Validators;

/// The longest wait a server may impose through `Retry-After` (a day).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest freshness taken from `Cache-Control`/`Expires` (a week).
pub const MAX_CACHE_FOR: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The header's value as text, if present and visible ASCII.
fn text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// `Retry-After` as a wait from `now`: delay-seconds or an HTTP date, capped at a day.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = text(headers, &RETRY_AFTER)?;
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let when = httpdate::parse_http_date(&value).ok()?;
            // A date in the past means "now".
            when.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// How long the response stays fresh: `Cache-Control` first, then `Expires` minus `Date`.
///
/// `no-cache` and `no-store` give zero (poll as often as allowed); `s-maxage` is for shared
/// caches and ignored. An `Expires` that is not a date means "already expired" (RFC 9111).
pub fn cache_for(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(cc) = text(headers, &CACHE_CONTROL) {
        let mut max_age = None;
        for directive in cc.split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            if directive == "no-cache" || directive == "no-store" {
                return Some(Duration::ZERO);
            }
            if let Some(secs) = directive.strip_prefix("max-age=") {
                max_age = secs.trim_matches('"').parse::<u64>().ok();
            }
        }
        if let Some(secs) = max_age {
            return Some(Duration::from_secs(secs).min(MAX_CACHE_FOR));
        }
    }
    let expires = text(headers, &EXPIRES)?;
    let Ok(expires) = httpdate::parse_http_date(&expires) else {
        return Some(Duration::ZERO);
    };
    // Measured against the server's own clock when it sent one, so skew does not matter.
    let base = text(headers, &DATE)
        .and_then(|d| httpdate::parse_http_date(&d).ok())
        .unwrap_or(now);
    let fresh = expires.duration_since(base).unwrap_or(Duration::ZERO);
    Some(fresh.min(MAX_CACHE_FOR))
}

/// The `ETag` and `Last-Modified` of a response.
pub fn validators(headers: &HeaderMap) -> Validators {
    Validators {
        etag: text(headers, &ETAG),
        last_modified: text(headers, &LAST_MODIFIED),
    }
}

/// The content type, lowercased, with its parameters (the parser needs the charset).
pub fn content_type(headers: &HeaderMap) -> Option<String> {
    let value = text(headers, &reqwest::header::CONTENT_TYPE)?;
    Some(value.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let now = at(1_700_000_000);
        let h = headers(&[(RETRY_AFTER, "120")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(90));
        let h = headers(&[(RETRY_AFTER, &date)]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(90)));
    }

    #[test]
    fn retry_after_past_date_capped_and_garbage() {
        let now = at(1_700_000_000);
        let past = httpdate::fmt_http_date(at(1_600_000_000));
        assert_eq!(
            retry_after(&headers(&[(RETRY_AFTER, &past)]), now),
            Some(Duration::ZERO)
        );
        let h = headers(&[(RETRY_AFTER, "99999999")]);
        assert_eq!(retry_after(&h, now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after(&headers(&[(RETRY_AFTER, "soon")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn cache_control_max_age_wins_and_s_maxage_ignored() {
        let now = at(1_700_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(3600));
        let h = headers(&[
            (CACHE_CONTROL, "public, s-maxage=10, max-age=600"),
            (EXPIRES, &later),
        ]);
        assert_eq!(cache_for(&h, now), Some(Duration::from_secs(600)));
        let h = headers(&[(CACHE_CONTROL, "s-maxage=10")]);
        assert_eq!(cache_for(&h, now), None);
    }

    #[test]
    fn no_cache_and_no_store_mean_zero() {
        let now = at(1_700_000_000);
        for cc in ["no-cache", "private, no-store, max-age=60", "No-Cache"] {
            let h = headers(&[(CACHE_CONTROL, cc)]);
            assert_eq!(cache_for(&h, now), Some(Duration::ZERO), "{cc}");
        }
    }

    #[test]
    fn expires_measured_from_server_date() {
        let now = at(1_700_000_000);
        // The server's clock is an hour behind ours: freshness is still 10 minutes.
        let date = at(1_700_000_000 - 3600);
        let h = headers(&[
            (DATE, &httpdate::fmt_http_date(date)),
            (
                EXPIRES,
                &httpdate::fmt_http_date(date + Duration::from_secs(600)),
            ),
        ]);
        assert_eq!(cache_for(&h, now), Some(Duration::from_secs(600)));
        let h = headers(&[(EXPIRES, "0")]);
        assert_eq!(cache_for(&h, now), Some(Duration::ZERO));
    }

    #[test]
    fn validators_and_content_type() {
        let h = headers(&[
            (ETAG, "\"abc\""),
            (LAST_MODIFIED, "Tue, 15 Nov 1994 12:45:26 GMT"),
            (
                reqwest::header::CONTENT_TYPE,
                "Application/RSS+xml; charset=UTF-8",
            ),
        ]);
        let v = validators(&h);
        assert_eq!(v.etag.as_deref(), Some("\"abc\""));
        assert_eq!(
            v.last_modified.as_deref(),
            Some("Tue, 15 Nov 1994 12:45:26 GMT")
        );
        let ct = content_type(&h);
        assert_eq!(ct.as_deref(), Some("application/rss+xml; charset=utf-8"));
    }
}
