//! The HTTP server around the router: the last step before a client, and the one that
//! guards the daemon against slow, greedy or crashing-at-the-wrong-moment clients.
//!
//! [`serve`] is an accept loop over hyper's HTTP/1 connection builder (axum's own `serve`
//! installs no timer, so hyper's header-read timeout would be inert): a client gets
//! [`ServerLimits::header_read_timeout`] to send its request head, at most
//! [`ServerLimits::max_connections`] are open at once, and shutdown drains them gracefully
//! until a deadline the shutdown signal gives, then drops those still open.
//! [`harden`] wraps the router: at most [`ServerLimits::max_in_flight`] requests run at once
//! (others wait [`ServerLimits::queue_timeout`] for a slot), each within
//! [`ServerLimits::request_timeout`] (a JSON 503 otherwise); every error
//! answer is JSON, even the extractors' plain-text rejections; and the store is flushed before
//! a successful answer leaves, so nothing a client has been shown can be lost to a crash.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::ApiError;
use crate::store::Store;

/// Largest request head (request line and headers) a client may send.
const MAX_HEAD: usize = 64 * 1024;

/// How long a plain-text rejection body may be before it is cut in the JSON message.
const MAX_REJECTION: usize = 300;

/// What one client may take of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Time to answer one request, waiting for a slot included.
    pub request_timeout: Duration,
    /// Time a client has to send a whole request head.
    pub header_read_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Requests being answered at once; more wait for a slot.
    pub max_in_flight: usize,
    /// How long a request waits for a slot before it is refused with 503.
    pub queue_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            request_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 512,
            max_in_flight: 64,
            queue_timeout: Duration::from_secs(2),
        }
    }
}

/// What the guard middleware shares between requests.
struct Gate {
    slots: Semaphore,
    queue_timeout: Duration,
    timeout: Duration,
    store: Store,
}

/// Wraps `router` with the request limits, JSON errors and flush-before-answer of this module.
pub fn harden(router: Router, store: Store, limits: &ServerLimits) -> Router {
    let gate = Arc::new(Gate {
        slots: Semaphore::new(limits.max_in_flight.max(1)),
        queue_timeout: limits.queue_timeout,
        timeout: limits.request_timeout,
        store,
    });
    router.layer(axum::middleware::from_fn_with_state(gate, guard))
}

async fn guard(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let Ok(Ok(_slot)) = tokio::time::timeout(gate.queue_timeout, gate.slots.acquire()).await else {
        return ApiError::with_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many requests in flight; try again shortly",
        )
        .into_response();
    };
    let Ok(response) = tokio::time::timeout(gate.timeout, next.run(request)).await else {
        return ApiError::with_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "no answer within {}; the daemon is busy, try again",
                humantime::format_duration(gate.timeout)
            ),
        )
        .into_response();
    };
    if response.status().is_success() {
        // Durable before visible: what a client saw survives a crash that follows.
        let store = gate.store.clone();
        match tokio::task::spawn_blocking(move || store.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(error = %e, "cannot flush the store before answering"),
            Err(e) => warn!(error = %e, "flush task failed"),
        }
        return response;
    }
    as_json_error(response).await
}

/// Turns an error answer that is not JSON (an extractor's plain-text rejection) into the
/// `{"error":{...}}` shape every other error has; other answers pass unchanged.
async fn as_json_error(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let mut message: String = String::from_utf8_lossy(&body)
        .chars()
        .take(MAX_REJECTION)
        .collect();
    if message.trim().is_empty() {
        message = status.canonical_reason().unwrap_or("error").to_owned();
    }
    ApiError::with_status(status, code_of(status), message).into_response()
}

/// A stable error code for a status the handlers did not name themselves.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        s if s.is_client_error() => "bad_request",
        _ => "internal",
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes with a deadline,
/// then stops accepting and lets open connections finish their requests until that deadline;
/// those still open then are dropped (and counted in a log line).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ServerLimits,
    shutdown: impl Future<Output = Instant>,
) {
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut open = JoinSet::new();
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEAD);
    tokio::pin!(shutdown);
    let deadline = loop {
        // Reap finished connections so that the set holds only open ones.
        while open.try_join_next().is_some() {}
        let permit = tokio::select! {
            deadline = &mut shutdown => break deadline,
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break Instant::now(),
            },
        };
        let stream = tokio::select! {
            deadline = &mut shutdown => break deadline,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        open.spawn(async move {
            if let Err(e) = connection.await {
                debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    };
    drop(listener);
    if tokio::time::timeout_at(deadline, graceful.shutdown())
        .await
        .is_err()
    {
        while open.try_join_next().is_some() {}
        warn!(
            abandoned = open.len(),
            "shutdown deadline: dropped the HTTP connections still open"
        );
        open.abort_all();
    }
}
