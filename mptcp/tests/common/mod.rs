//! Shared by the real-kernel tests: a namespace of their own, a tokio
//! runtime on a thread inside it, and a client whose connection runs there.

#![allow(dead_code)] // each test binary uses its own part

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use mpwan_lab::NetNs;
use mpwan_mptcp::{PmClient, PmEvent, PmEvents};
use socket2::{Domain, Protocol, Socket, Type};

/// How long an event may take to come: generous, the kernel is quick.
pub const EVENT_DEADLINE: Duration = Duration::from_secs(10);

/// A fresh namespace with lo up, or `None` when the test must be skipped.
pub fn namespace(test: &str) -> Option<NetNs> {
    if mpwan_lab::skip_without_netns(test) {
        return None;
    }
    Some(NetNs::create_unique("mptcp").expect("create the test namespace"))
}

/// Runs `f` on a current-thread runtime on a thread inside `ns`.
pub fn in_ns<F, Fut, T>(ns: &NetNs, f: F) -> T
where
    F: FnOnce() -> Fut + Send,
    Fut: Future<Output = T>,
    T: Send,
{
    ns.enter(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(f())
    })
    .expect("enter the test namespace")
}

/// A client with its connection spawned on the current runtime.
pub fn client() -> PmClient {
    let (client, connection) = PmClient::new().expect("mptcp_pm client");
    tokio::spawn(connection);
    client
}

/// `ip mptcp endpoint show` in `ns`, one endpoint per line, trimmed.
pub fn ip_endpoints(ns: &NetNs) -> Vec<String> {
    ns.run(&["ip", "mptcp", "endpoint", "show"])
        .expect("ip mptcp endpoint show")
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// An IPPROTO_MPTCP (262) stream socket.
pub fn mptcp_socket(addr: &SocketAddr) -> std::io::Result<Socket> {
    Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::from(262)),
    )
}

/// The first event that `pred` accepts, waiting at most [`EVENT_DEADLINE`]
/// in all; other events are passed over.
pub async fn wait_for(
    events: &mut PmEvents,
    what: &str,
    mut pred: impl FnMut(&PmEvent) -> bool,
) -> PmEvent {
    let deadline = tokio::time::Instant::now() + EVENT_DEADLINE;
    loop {
        let event = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| panic!("no {what} event within {EVENT_DEADLINE:?}"))
            .expect("reading events");
        if pred(&event) {
            return event;
        }
    }
}

/// Runs `f` on a current-thread runtime in the calling thread (for a
/// process already started inside the namespace).
pub fn in_ns_here<F, Fut, T>(f: F) -> T
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = T>,
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f())
}
