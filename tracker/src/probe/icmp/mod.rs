//! ICMP and ICMPv6 echo through one WAN.
//!
//! Why not surge-ping 0.9: it cannot set SO_MARK (its `Config` has no mark,
//! and its socket is reachable only as a raw fd, which would need `unsafe`
//! here), it counts an ICMP error as a reply on raw sockets, and it matches
//! replies on target, identifier and sequence only. What we need of it is
//! small: one socket, one receive task and a table of waiters.
//!
//! ```text
//!  probe(target, seq) ──register (target, seq)──► waiters ◄──┐
//!        │ send echo request                                  │ wake with
//!        ▼                                                    │ (time, verdict)
//!  socket (device, mark, source) ──► receive task: decode, check identifier,
//!                                    cookie and source, or the quoted request
//! ```

mod errqueue;
mod packet;
mod socket;
mod waiters;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use self::packet::{COOKIE_LEN, Heard};
use self::waiters::{Verdict, Waiters};
use super::binding::family_of;
use super::error::kind_of_io;
use super::random::{random_u16, random_u64};
use super::{Binding, ProbeError};
use crate::events::{ErrorKind, Family, Outcome};

/// The kind of ICMP socket a prober uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpSocketKind {
    /// SOCK_RAW: needs CAP_NET_RAW. Sees every ICMP message arriving on the
    /// device, ICMP errors included, and chooses its own identifier.
    Raw,
    /// SOCK_DGRAM ("ping socket"): needs the group in
    /// `net.ipv4.ping_group_range` (also for IPv6). The kernel sets the
    /// identifier and hands the socket only its own replies; ICMP errors
    /// come through the error queue.
    Datagram,
}

impl IcmpSocketKind {
    fn describe(self) -> &'static str {
        match self {
            IcmpSocketKind::Raw => "raw ICMP",
            IcmpSocketKind::Datagram => "datagram ICMP",
        }
    }
}

/// Sends echo requests through one WAN for one family and tells which
/// were answered. One prober serves any number of targets and concurrent
/// probes; create one per (device, family).
#[derive(Debug)]
pub struct IcmpProber {
    /// Shared with the receive task.
    socket: Arc<UdpSocket>,
    /// Probes waiting for their answer, shared with the receive task.
    waiters: Arc<Waiters>,
    /// The receive task; aborted when the prober is dropped.
    receiver: JoinHandle<()>,
    /// Scopes link-local targets.
    binding: Binding,
    family: Family,
    kind: IcmpSocketKind,
    /// Echo identifier on raw sockets (the kernel sets it on datagram
    /// ones): random, so that another pinger on the host is unlikely to
    /// share it.
    ident: u16,
    /// Payload of every request, checked in every reply: replies to another
    /// process's requests with the same identifier are not ours.
    cookie: [u8; COOKIE_LEN],
}

impl IcmpProber {
    /// A prober for `family` through `binding`: a raw socket when the
    /// process may open one, a datagram socket otherwise. Must be called
    /// inside a tokio runtime (it spawns the receive task).
    pub fn new(binding: Binding, family: Family) -> Result<IcmpProber, ProbeError> {
        match IcmpProber::with_socket_kind(binding.clone(), family, IcmpSocketKind::Raw) {
            Err(ProbeError::Socket { source, .. })
                if source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                IcmpProber::with_socket_kind(binding, family, IcmpSocketKind::Datagram)
            }
            other => other,
        }
    }

    /// A prober on a socket of the given kind, with no fallback.
    pub fn with_socket_kind(
        binding: Binding,
        family: Family,
        kind: IcmpSocketKind,
    ) -> Result<IcmpProber, ProbeError> {
        let socket = socket::open(&binding, family, kind)?;
        let socket = UdpSocket::from_std(socket.into()).map_err(ProbeError::Runtime)?;
        let socket = Arc::new(socket);
        let waiters = Arc::new(Waiters::default());
        let ident = random_u16();
        let cookie = random_u64().to_be_bytes();
        let matcher = Matcher {
            family,
            kind,
            ident,
            cookie,
        };
        let receiver = tokio::spawn(receive(Arc::clone(&socket), Arc::clone(&waiters), matcher));
        Ok(IcmpProber {
            socket,
            waiters,
            receiver,
            binding,
            family,
            kind,
            ident,
            cookie,
        })
    }

    /// The kind of socket in use.
    pub fn socket_kind(&self) -> IcmpSocketKind {
        self.kind
    }

    /// The family this prober sends.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Sends one echo request with sequence number `seq` to `target` and
    /// waits at most `timeout` for its reply. An ICMP error about the
    /// request (destination unreachable, time exceeded) is an
    /// `Outcome::Error`, never a reply. `seq` must differ between the
    /// probes to one target that are in flight at once (the round counter
    /// serves); a duplicate is refused as `Error(Other)`.
    pub async fn probe(&self, target: IpAddr, seq: u16, timeout: Duration) -> Outcome {
        if family_of(target) != self.family {
            tracing::debug!(%target, family = %self.family, "ICMP target of the other family");
            return Outcome::Error(ErrorKind::Send);
        }
        let Some(mut registration) = self.waiters.register(target, seq) else {
            tracing::debug!(%target, seq, "ICMP probe with this sequence already in flight");
            return Outcome::Error(ErrorKind::Other);
        };
        let request = packet::echo_request(self.family, self.ident, seq, &self.cookie);
        let to = self.binding.scoped(SocketAddr::new(target, 0));
        // Read before sending: the receive task may stamp the reply before
        // send_to returns.
        let sent = Instant::now();
        if let Err(e) = self.socket.send_to(&request, to).await {
            tracing::debug!(%target, error = %e, "ICMP echo request not sent");
            return Outcome::Error(kind_of_io(&e));
        }
        match tokio::time::timeout(timeout, registration.answer()).await {
            Ok(Some(answer)) => match answer.verdict {
                Verdict::Reply => Outcome::Reply {
                    rtt: answer.at.saturating_duration_since(sent),
                },
                Verdict::Error(kind) => Outcome::Error(kind),
            },
            // The table holds the sender for as long as the prober lives,
            // so this cannot happen; answered rather than unwrapped.
            Ok(None) => Outcome::Error(ErrorKind::Other),
            Err(_) => Outcome::Timeout,
        }
    }
}

impl Drop for IcmpProber {
    fn drop(&mut self) {
        self.receiver.abort();
    }
}

/// What the receive task needs to tell our answers from anything else.
#[derive(Debug, Clone, Copy)]
struct Matcher {
    family: Family,
    kind: IcmpSocketKind,
    ident: u16,
    cookie: [u8; COOKIE_LEN],
}

impl Matcher {
    /// Decodes a datagram from `from` and, when it answers one of our
    /// requests, returns whom it concerns and what it says.
    fn judge(&self, from: IpAddr, data: &[u8]) -> Option<(IpAddr, u16, Verdict)> {
        let heard = match (from, self.family) {
            (IpAddr::V4(from), Family::V4) => match self.kind {
                // Raw IPv4 sockets deliver the IP header; the checksum has
                // not been checked yet.
                IcmpSocketKind::Raw => {
                    packet::parse_v4(from, packet::strip_ipv4_header(data)?, true)
                }
                IcmpSocketKind::Datagram => packet::parse_v4(from, data, false),
            },
            (IpAddr::V6(from), Family::V6) => packet::parse_v6(from, data),
            _ => None,
        }?;
        // On datagram sockets the kernel chose the identifier and delivers
        // only what matches it.
        let ours = |ident: u16| self.kind == IcmpSocketKind::Datagram || ident == self.ident;
        match heard {
            Heard::Reply {
                from,
                ident,
                seq,
                payload,
            } => (ours(ident) && payload == self.cookie).then_some((from, seq, Verdict::Reply)),
            Heard::Error {
                target,
                ident,
                seq,
                kind,
            } => ours(ident).then_some((target, seq, Verdict::Error(kind))),
        }
    }
}

/// Read failures in a row after which the receive task pauses between
/// reads. Each ICMP error can cause one failed read, so a burst of them
/// stays well below this.
const PERSISTENT_FAILURES: u32 = 64;

/// The receive task: reads every datagram (and, on datagram sockets, every
/// error-queue entry), and wakes the probe it answers. Runs until aborted.
async fn receive(socket: Arc<UdpSocket>, waiters: Arc<Waiters>, matcher: Matcher) {
    let mut buf = vec![0u8; 2048];
    let mut failures: u32 = 0;
    loop {
        let heard = if matcher.kind == IcmpSocketKind::Datagram {
            // The error queue first, always: an ICMP error also sets the
            // socket's pending error, which wakes recv_from too (tokio waits
            // for READABLE | ERROR there). Were recv_from polled first, it
            // would report that error, then find nothing and clear the
            // ERROR readiness, leaving the queued entry unread until the
            // next event. Reading the queue also clears the pending error.
            tokio::select! {
                biased;
                r = socket.async_io(Interest::ERROR, || errqueue::read(&*socket, matcher.family)) => {
                    Received::Queued(r)
                }
                r = socket.recv_from(&mut buf) => Received::Datagram(r),
            }
        } else {
            Received::Datagram(socket.recv_from(&mut buf).await)
        };
        let at = Instant::now();
        let result = match heard {
            Received::Datagram(Ok((len, from))) => {
                let data = buf.get(..len).unwrap_or_default();
                if let Some((target, seq, verdict)) = matcher.judge(from.ip(), data) {
                    waiters.wake(target, seq, at, verdict);
                }
                Ok(())
            }
            Received::Queued(Ok(Some(e))) => {
                waiters.wake(e.target, e.seq, at, Verdict::Error(e.kind));
                Ok(())
            }
            Received::Queued(Ok(None)) => Ok(()),
            Received::Datagram(Err(e)) | Received::Queued(Err(e)) => Err(e),
        };
        match result {
            Ok(()) => failures = 0,
            Err(e) => {
                // A pending ICMP error is reported once by the next read
                // (sk_err) and is harmless: the next read goes on. Only a
                // long run of failures means something lasting, and then
                // the task slows down rather than spin. No pause before
                // that: a reply read late would have its RTT inflated.
                failures = failures.saturating_add(1);
                tracing::debug!(error = %e, failures, "ICMP socket read failed");
                if failures >= PERSISTENT_FAILURES {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// What the receive task read.
enum Received {
    /// A datagram and its sender.
    Datagram(std::io::Result<(usize, SocketAddr)>),
    /// An error-queue entry.
    Queued(std::io::Result<Option<errqueue::QueuedError>>),
}
