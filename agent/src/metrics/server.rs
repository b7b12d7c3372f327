//! The metrics listener: a small TCP server answering `GET /metrics` with
//! the status the supervisor hands out, rendered at scrape time.
//!
//! It asks the supervisor exactly as the control socket does (a
//! `Request::Status` through the same channel), so a scrape costs the
//! supervisor one copy of its status and nothing else; rendering and I/O
//! happen in the connection's own task. Every connection is bounded in
//! size and time, and at most `MAX_CONNECTIONS` are served at once (more
//! wait in the kernel's backlog), so a stuck or hostile client cannot grow
//! the daemon or hold a task forever.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use super::http::{self, Code, MAX_HEAD, Route};
use super::render::{CONTENT_TYPE, render};
use crate::control::server::Pending;
use crate::control::{Request, Response};
use crate::status::Status;

/// Connections served at once; a scraper needs one.
const MAX_CONNECTIONS: usize = 4;

/// How long each step of a connection may take.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// For the client to send its request head.
    read: Duration,
    /// For the supervisor to hand out its status.
    status: Duration,
    /// For the client to read the answer.
    write: Duration,
}

impl Limits {
    const DEFAULT: Limits = Limits {
        read: Duration::from_secs(5),
        status: Duration::from_secs(5),
        write: Duration::from_secs(10),
    };
}

/// The bound listening socket, before it serves.
#[derive(Debug)]
pub struct MetricsListener {
    listener: TcpListener,
}

impl MetricsListener {
    /// Binds `metrics_listen` when it is set. Call it at start, before the
    /// parts start, so an address in use stops the daemon with an error
    /// naming the key instead of leaving it running without metrics.
    pub async fn bind(addr: Option<SocketAddr>) -> anyhow::Result<Option<MetricsListener>> {
        let Some(addr) = addr else {
            return Ok(None);
        };
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!("cannot listen for metrics on {addr} ([agent] metrics_listen)")
        })?;
        tracing::info!(%addr, "metrics: listening");
        Ok(Some(MetricsListener { listener }))
    }

    /// Serves until the returned handle is dropped; scrapes are answered
    /// from the status `to_supervisor` hands out.
    pub fn serve(self, to_supervisor: mpsc::Sender<Pending>) -> Serving {
        self.serve_with(to_supervisor, Limits::DEFAULT)
    }

    fn serve_with(self, to_supervisor: mpsc::Sender<Pending>, limits: Limits) -> Serving {
        Serving(tokio::spawn(accept_loop(
            self.listener,
            to_supervisor,
            limits,
        )))
    }
}

/// The serving task; dropping it stops the listener and every connection.
#[derive(Debug)]
pub struct Serving(JoinHandle<()>);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn accept_loop(listener: TcpListener, to_supervisor: mpsc::Sender<Pending>, limits: Limits) {
    // The connections live in this set, so aborting this task ends them.
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        if connections.len() >= MAX_CONNECTIONS {
            connections.join_next().await;
            continue;
        }
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!(error = %e, "metrics: accept failed");
                // Running out of descriptors is the usual cause; do not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let tx = to_supervisor.clone();
        connections.spawn(async move {
            if let Err(e) = handle(stream, tx, limits).await {
                tracing::debug!(error = %e, "metrics: connection ended");
            }
        });
    }
}

/// What reading a request head gave.
enum Head {
    /// The head, through its blank line.
    Complete(Vec<u8>),
    /// `MAX_HEAD` bytes without a blank line.
    TooLarge,
    /// The client closed before finishing its head.
    Closed,
}

async fn handle(
    mut stream: TcpStream,
    to_supervisor: mpsc::Sender<Pending>,
    limits: Limits,
) -> std::io::Result<()> {
    let answer = match tokio::time::timeout(limits.read, read_head(&mut stream)).await {
        Err(_elapsed) => http::error(Code::RequestTimeout),
        Ok(head) => match head? {
            Head::Closed => return Ok(()),
            Head::TooLarge => http::error(Code::HeadTooLarge),
            Head::Complete(head) => match http::route(&head) {
                Route::Metrics { head_only } => match ask(&to_supervisor, limits.status).await {
                    Some(status) => {
                        let body = render(status);
                        http::response(Code::Ok, CONTENT_TYPE, body.as_bytes(), head_only)
                    }
                    None => http::error(Code::Unavailable),
                },
                Route::NotFound => http::error(Code::NotFound),
                Route::MethodNotAllowed => http::error(Code::MethodNotAllowed),
                Route::BadRequest => http::error(Code::BadRequest),
            },
        },
    };
    let write = async {
        stream.write_all(&answer).await?;
        stream.shutdown().await
    };
    match tokio::time::timeout(limits.write, write).await {
        Ok(result) => result,
        Err(_elapsed) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// Reads until the blank line that ends the head, at most `MAX_HEAD`
/// bytes. A body (none is expected) is left unread.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Head> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Head::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = http::head_end(&buf) {
            buf.truncate(end);
            return Ok(Head::Complete(buf));
        }
        if buf.len() >= MAX_HEAD {
            return Ok(Head::TooLarge);
        }
    }
}

/// The supervisor's current status; None when it does not answer in time
/// (shutting down, or stuck, which the scrape then shows).
async fn ask(to_supervisor: &mpsc::Sender<Pending>, limit: Duration) -> Option<Status> {
    let (reply, answer) = oneshot::channel();
    // The supervisor waits on `written` only before it exits; a scrape
    // needs no such wait, so its sender is dropped at once.
    let (_written_tx, written) = oneshot::channel();
    let pending = Pending {
        request: Request::Status,
        reply,
        written,
    };
    let asked = async {
        to_supervisor.send(pending).await.ok()?;
        answer.await.ok()
    };
    match tokio::time::timeout(limit, asked).await {
        Ok(Some(Response::Status(status))) => Some(*status),
        Ok(_) => None,
        Err(_elapsed) => {
            tracing::warn!("metrics: the supervisor did not hand out its status in time");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A supervisor stand-in that answers every request with `status`.
    fn fake_supervisor(status: Status) -> mpsc::Sender<Pending> {
        let (tx, mut rx) = mpsc::channel::<Pending>(4);
        tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                let _ = p.reply.send(Response::Status(Box::new(status.clone())));
            }
        });
        tx
    }

    async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(request).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8(out).unwrap()
    }

    async fn start(status: Status) -> (SocketAddr, Serving) {
        start_with(fake_supervisor(status), Limits::DEFAULT).await
    }

    async fn start_with(tx: mpsc::Sender<Pending>, limits: Limits) -> (SocketAddr, Serving) {
        let l = MetricsListener::bind(Some("127.0.0.1:0".parse().unwrap()))
            .await
            .unwrap()
            .unwrap();
        let addr = l.listener.local_addr().unwrap();
        (addr, l.serve_with(tx, limits))
    }

    /// Short limits: the tests below wait them out for real.
    const SHORT: Limits = Limits {
        read: Duration::from_millis(200),
        status: Duration::from_millis(200),
        write: Duration::from_secs(5),
    };

    fn status() -> Status {
        serde_json::from_str(include_str!("testdata/status.json")).unwrap()
    }

    #[tokio::test]
    async fn a_scrape_gets_the_rendered_status_and_other_paths_get_404() {
        let (addr, _serving) = start(status()).await;
        let ok = exchange(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.contains(CONTENT_TYPE), "{ok}");
        assert!(
            ok.contains("\nmpwan_wan_state{wan=\"wan1\",state=\"up\"} 1\n"),
            "{ok}"
        );
        assert!(ok.ends_with("# EOF\n"), "{ok}");
        let missing = exchange(addr, b"GET / HTTP/1.1\r\n\r\n").await;
        assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
        let post = exchange(addr, b"POST /metrics HTTP/1.1\r\n\r\n").await;
        assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
    }

    #[tokio::test]
    async fn an_endless_head_is_refused() {
        let (addr, _serving) = start(status()).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let junk = vec![b'a'; MAX_HEAD + 10];
        // The server may answer and close before it has read everything.
        let _ = s.write_all(&junk).await;
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 431 "), "{text}");
    }

    #[tokio::test]
    async fn a_silent_client_is_timed_out() {
        let (addr, _serving) = start_with(fake_supervisor(status()), SHORT).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\n").await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    }

    #[tokio::test]
    async fn a_supervisor_that_does_not_answer_gives_503_not_a_hang() {
        // Holds every request unanswered.
        let (tx, mut rx) = mpsc::channel::<Pending>(4);
        let held = tokio::spawn(async move {
            let mut kept = Vec::new();
            while let Some(p) = rx.recv().await {
                kept.push(p);
            }
        });
        let (addr, _serving) = start_with(tx, SHORT).await;
        let text = exchange(addr, b"GET /metrics HTTP/1.1\r\n\r\n").await;
        assert!(text.starts_with("HTTP/1.1 503 "), "{text}");
        held.abort();
    }

    #[tokio::test]
    async fn an_address_in_use_is_an_error_naming_the_key() {
        let (addr, _serving) = start(status()).await;
        let err = MetricsListener::bind(Some(addr)).await.unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("metrics_listen"), "{text}");
        assert!(text.contains(&addr.to_string()), "{text}");
    }
}
