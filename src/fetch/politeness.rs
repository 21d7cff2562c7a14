//! Per-host politeness: at most `per_host` requests in flight to any one host, whatever the
//! scheduler's overall concurrency.
//!
//! Each host gets its own semaphore the first time it is seen (after lychee's
//! `ratelimit/host`). A permit is held for the whole request, body included, and released
//! when dropped, so a failing or cancelled fetch never leaks one. Hosts whose semaphore is
//! idle are forgotten now and then, so the table stays as small as the set of busy hosts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many hosts the table may hold before idle ones are swept out.
const SWEEP_AT: usize = 1024;

/// The per-host limits shared by every clone of a fetcher.
#[derive(Debug)]
pub struct HostLimits {
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// The right to have one request in flight to a host; released on drop.
#[derive(Debug)]
pub struct HostPermit {
    _permit: Option<OwnedSemaphorePermit>,
}

impl HostLimits {
    /// Limits of `per_host` requests in flight per host (at least one).
    pub fn new(per_host: usize) -> HostLimits {
        HostLimits {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a free slot for `host` (a lowercased `host:port`).
    pub async fn acquire(&self, host: &str) -> HostPermit {
        let semaphore = self.semaphore(host);
        // The semaphores are never closed, so acquiring cannot fail; if that ever changed,
        // going ahead unthrottled is better than failing the feed.
        HostPermit {
            _permit: semaphore.acquire_owned().await.ok(),
        }
    }

    /// The semaphore for `host`, created on first use.
    fn semaphore(&self, host: &str) -> Arc<Semaphore> {
        // A poisoned lock only means another task panicked while holding it; the map
        // itself is still consistent (every insert is a single call).
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        if hosts.len() >= SWEEP_AT {
            let per_host = self.per_host;
            // Idle: nobody holds a permit and no one else holds the Arc.
            hosts.retain(|_, s| Arc::strong_count(s) > 1 || s.available_permits() < per_host);
        }
        hosts
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
            .clone()
    }

    /// How many hosts are currently tracked (for tests and metrics).
    pub fn tracked_hosts(&self) -> usize {
        self.hosts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The politeness key of a URL: its host and port, lowercased.
pub fn host_key(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn second_permit_waits_for_the_first() {
        let limits = Arc::new(HostLimits::new(1));
        let first = limits.acquire("a:80").await;
        let waiter = {
            let limits = limits.clone();
            tokio::spawn(async move { limits.acquire("a:80").await })
        };
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(
            !waiter.is_finished(),
            "second permit granted while first held"
        );
        // Another host is not held up.
        let _other = limits.acquire("b:80").await;
        drop(first);
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("permit not granted after release")
            .expect("task failed");
    }

    #[tokio::test]
    async fn idle_hosts_are_swept() {
        let limits = HostLimits::new(2);
        for i in 0..SWEEP_AT + 10 {
            drop(limits.acquire(&format!("h{i}:80")).await);
        }
        assert!(
            limits.tracked_hosts() < SWEEP_AT,
            "{}",
            limits.tracked_hosts()
        );
    }

    #[test]
    fn host_key_includes_default_port() {
        let url = url::Url::parse("https://Example.ORG/feed").unwrap();
        assert_eq!(host_key(&url), "example.org:443");
        let url = url::Url::parse("http://127.0.0.1:8080/x").unwrap();
        assert_eq!(host_key(&url), "127.0.0.1:8080");
    }
}
