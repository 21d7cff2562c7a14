//! A feed server that misbehaves on purpose, written on raw TCP so that it can do what an
//! HTTP framework will not: stall mid-body, reset a connection, close it early, or send any
//! status, headers and bytes at all. Each path has its own [`Fault`]; `Growing` is a
//! healthy feed that gains one item per request, to show other feeds keep ingesting.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What one path of the fault server does.
#[derive(Clone, Debug)]
pub enum Fault {
    /// A whole response: status, extra headers, body (sent with Content-Length, then closed).
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Promises a 10,000-byte body, sends a little of it, then says nothing for an hour.
    StallMidBody,
    /// Resets the connection (RST) without answering.
    Reset,
    /// Promises a 10,000-byte body, sends a little of it, then closes the connection.
    CloseMidBody,
    /// A healthy RSS feed with one more item at every request.
    Growing,
}

impl Fault {
    /// A 200 with this content type and body.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Fault {
        Fault::Respond {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A status with these headers and a short text body.
    pub fn status(status: u16, headers: &[(&str, &str)]) -> Fault {
        Fault::Respond {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: b"not this time".to_vec(),
        }
    }

    /// A redirect with this status to this path.
    pub fn redirect(status: u16, to: &str) -> Fault {
        Fault::status(status, &[("Location", to)])
    }
}

/// The running server: its address, its faults by path, and the Growing feed's counter.
#[derive(Clone)]
pub struct FaultServer {
    pub addr: std::net::SocketAddr,
    faults: Arc<Mutex<HashMap<String, Fault>>>,
    grown: Arc<AtomicU64>,
}

impl FaultServer {
    /// Starts the server on a free loopback port.
    pub async fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let server = FaultServer {
            addr: listener.local_addr().expect("addr"),
            faults: Arc::default(),
            grown: Arc::default(),
        };
        let shared = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(shared.clone().answer(stream));
            }
        });
        server
    }

    /// Sets what `path` does.
    pub fn set(&self, path: &str, fault: Fault) {
        self.faults
            .lock()
            .expect("fault table")
            .insert(path.to_owned(), fault);
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// How many times a `Growing` feed has been served.
    pub fn growing_requests(&self) -> u64 {
        self.grown.load(Ordering::SeqCst)
    }

    async fn answer(self, mut stream: TcpStream) {
        let Some(path) = read_path(&mut stream).await else {
            return;
        };
        let fault = self.faults.lock().expect("fault table").get(&path).cloned();
        let promise = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\
                        Content-Length: 10000\r\nConnection: close\r\n\r\n<rss version=\"2.0\"><channel>";
        match fault {
            None => respond(&mut stream, 404, &[], b"no such feed").await,
            Some(Fault::Respond {
                status,
                headers,
                body,
            }) => respond(&mut stream, status, &headers, &body).await,
            Some(Fault::StallMidBody) => {
                let _ = stream.write_all(promise).await;
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Some(Fault::Reset) => {
                let _ = stream.set_zero_linger();
            }
            Some(Fault::CloseMidBody) => {
                let _ = stream.write_all(promise).await;
                let _ = stream.shutdown().await;
            }
            Some(Fault::Growing) => {
                let n = self.grown.fetch_add(1, Ordering::SeqCst) + 1;
                let headers = [("Content-Type".to_owned(), "application/rss+xml".to_owned())];
                respond(&mut stream, 200, &headers, growing_feed(n).as_bytes()).await;
            }
        }
    }
}

/// Reads a request head and returns its path (without the query).
async fn read_path(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head);
    let target = line.split_whitespace().nth(1)?;
    Some(target.split('?').next().unwrap_or(target).to_owned())
}

async fn respond(stream: &mut TcpStream, status: u16, headers: &[(String, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

/// An RSS feed with items 1..=n, each a distinct event.
pub fn growing_feed(n: u64) -> String {
    let mut items = String::new();
    for i in 1..=n {
        items.push_str(&format!(
            "<item><guid>healthy-{i}</guid><title>Healthy bulletin {i}: lighthouse {i} repainted \
             in colour {}</title><link>https://healthy.example/{i}</link></item>",
            i * 7919
        ));
    }
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Healthy</title>{items}</channel></rss>"
    )
}
