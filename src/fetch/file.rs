//! `file://` feeds: read from disk with the same cap as HTTP bodies, so a local feed is held
//! to the same rules as a remote one (and the offline demo runs through the same path).

use std::time::Instant;

use bytes::Bytes;
use tokio::io::AsyncReadExt;

use super::{FetchError, FetchOutcome, Validators};

/// Reads the file a `file://` URL names, failing if it is larger than `max_body` or empty.
pub async fn read(url: &url::Url, max_body: u64) -> Result<FetchOutcome, FetchError> {
    let started = Instant::now();
    let path = url.to_file_path().map_err(|()| FetchError::InvalidUrl {
        url: url.to_string(),
        reason: "not a local file path".into(),
    })?;
    let shown = path.display().to_string();
    let file_error = |source| FetchError::File {
        path: shown.clone(),
        source,
    };
    let file = tokio::fs::File::open(&path).await.map_err(file_error)?;
    // Read one byte past the cap: a file that fills it exactly is fine, one more is not.
    // The length from metadata is only a hint (the file may grow while we read).
    let metadata = file.metadata().await.map_err(file_error)?;
    if !metadata.is_file() {
        let not_file = std::io::Error::other("not a regular file");
        return Err(file_error(not_file));
    }
    let hint = metadata.len();
    if hint > max_body {
        return Err(too_large(url, max_body));
    }
    let mut body = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(max_body.saturating_add(1))
        .read_to_end(&mut body)
        .await
        .map_err(file_error)?;
    if body.len() as u64 > max_body {
        return Err(too_large(url, max_body));
    }
    if body.trim_ascii().is_empty() {
        return Err(FetchError::Empty {
            url: url.to_string(),
            status: 200,
        });
    }
    Ok(FetchOutcome {
        final_url: url.to_string(),
        moved_to: None,
        redirects: Vec::new(),
        body: Some(Bytes::from(body)),
        content_type: None,
        validators: Validators::default(),
        cache_for: None,
        status: 200,
        elapsed: started.elapsed(),
    })
}

fn too_large(url: &url::Url, limit: u64) -> FetchError {
    FetchError::TooLarge {
        url: url.to_string(),
        limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_url(path: &std::path::Path) -> url::Url {
        url::Url::from_file_path(path).unwrap()
    }

    #[tokio::test]
    async fn reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.xml");
        std::fs::write(&path, "<rss version=\"2.0\"/>").unwrap();
        let outcome = read(&file_url(&path), 1024).await.unwrap();
        assert_eq!(
            outcome.body.as_deref(),
            Some(&b"<rss version=\"2.0\"/>"[..])
        );
        assert_eq!(outcome.status, 200);
        assert_eq!(outcome.final_url, file_url(&path).to_string());
    }

    #[tokio::test]
    async fn missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.xml");
        let err = read(&file_url(&path), 1024).await.unwrap_err();
        assert_eq!(err.kind(), "file");
        let message = err.to_string();
        assert!(message.starts_with("could not read file "), "{message}");
        assert!(message.contains("absent.xml"), "{message}");
    }

    #[tokio::test]
    async fn cap_is_inclusive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.xml");
        std::fs::write(&path, vec![b'x'; 100]).unwrap();
        assert!(read(&file_url(&path), 100).await.is_ok());
        let err = read(&file_url(&path), 99).await.unwrap_err();
        assert_eq!(err.kind(), "too_large");
    }

    #[tokio::test]
    async fn empty_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.xml");
        for blank in ["", " \r\n\t"] {
            std::fs::write(&path, blank).unwrap();
            let err = read(&file_url(&path), 100).await.unwrap_err();
            assert_eq!(err.kind(), "empty", "{blank:?}");
        }
    }

    #[tokio::test]
    async fn directory_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(&file_url(dir.path()), 100).await.unwrap_err();
        assert_eq!(err.kind(), "file");
    }
}
