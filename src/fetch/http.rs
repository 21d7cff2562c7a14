//! One HTTP exchange of a fetch: a conditional GET to one URL and, when the answer carries
//! content, its body read as a stream and capped. Redirects, politeness and the overall
//! deadline are the caller's ([`super::client`]); this module never follows anything.

use bytes::Bytes;
use reqwest::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH,
};
use reqwest::{Client, Response, StatusCode};

use super::{FetchError, FetchSettings, Validators};

/// What one exchange brought back.
#[derive(Debug)]
pub(super) struct Exchange {
    /// The status.
    pub status: StatusCode,
    /// The response headers (Content-Encoding gone if the body was decompressed).
    pub headers: HeaderMap,
    /// The body, read only for 2xx answers.
    pub body: Option<Bytes>,
}

/// Sends a GET for `url` with the conditional headers from `validators`, and reads the body
/// of a 2xx answer up to `max_body` bytes. The caller enforces the overall deadline.
pub(super) async fn exchange(
    client: &Client,
    url: &url::Url,
    validators: &Validators,
    settings: &FetchSettings,
) -> Result<Exchange, FetchError> {
    let shown = url.as_str();
    let mut request = client.get(url.clone());
    if let Some(etag) = &validators.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(last_modified) = &validators.last_modified {
        request = request.header(IF_MODIFIED_SINCE, last_modified);
    }
    let response = request
        .send()
        .await
        .map_err(|e| FetchError::from_reqwest(shown, settings, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = if status.is_success() {
        Some(read_capped(shown, response, settings).await?)
    } else {
        // Redirects, 304 and errors: their bodies are of no use to us. Dropping the
        // response closes the connection rather than reading an unbounded body.
        None
    };
    Ok(Exchange {
        status,
        headers,
        body,
    })
}

/// Reads the body chunk by chunk, failing as soon as it passes `max_body`.
///
/// Chunks arrive already decompressed, so the cap holds against compression bombs: we
/// stop pulling from the decoder the moment the total exceeds the cap.
async fn read_capped(
    url: &str,
    mut response: Response,
    settings: &FetchSettings,
) -> Result<Bytes, FetchError> {
    let max_body = settings.max_body;
    let too_large = || FetchError::TooLarge {
        url: url.to_owned(),
        limit: max_body,
    };
    // An honest Content-Length over the cap fails before reading anything. It only counts
    // when the body is not compressed (the decompressor drops both headers anyway).
    let declared = declared_length(response.headers());
    if declared.is_some_and(|len| len > max_body) {
        return Err(too_large());
    }
    let capacity = declared.unwrap_or(0).min(max_body);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    loop {
        let chunk = response
            .chunk()
            .await
            .map_err(|e| FetchError::from_reqwest(url, settings, &e))?;
        let Some(chunk) = chunk else { break };
        if (body.len() + chunk.len()) as u64 > max_body {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// The Content-Length of an uncompressed body, if the server declared one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    if headers.contains_key(CONTENT_ENCODING) {
        return None;
    }
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn declared_length_ignores_compressed_bodies() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("1234"));
        assert_eq!(declared_length(&headers), Some(1234));
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(declared_length(&headers), None);
        let mut bad = HeaderMap::new();
        bad.insert(CONTENT_LENGTH, HeaderValue::from_static("lots"));
        assert_eq!(declared_length(&bad), None);
    }
}
