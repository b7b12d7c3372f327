//! What `mpwan status` shows of a session.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::actions::DownReason;
use super::gr::HelperStatus;
use super::negotiate::GrStatus;
use crate::wire::Family;

/// The RFC 4271 8.2.2 state of the session as a whole: the most advanced
/// of its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Not started, or stopped.
    Idle,
    /// An outbound connect is under way.
    Connect,
    /// Waiting: for the peer to connect, or for the next attempt.
    Active,
    /// Our OPEN is out.
    OpenSent,
    /// OPENs exchanged.
    OpenConfirm,
    /// Up.
    Established,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Idle => "idle",
            State::Connect => "connect",
            State::Active => "active",
            State::OpenSent => "opensent",
            State::OpenConfirm => "openconfirm",
            State::Established => "established",
        })
    }
}

/// Routes received in one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyCount {
    /// The family.
    pub family: Family,
    /// Routes held, stale ones included.
    pub routes: usize,
    /// Of which stale or LLGR-stale.
    pub stale: usize,
}

/// A snapshot of one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStatus {
    /// The peer's address.
    pub peer_addr: IpAddr,
    /// The configured peer ASN.
    pub peer_asn: u32,
    /// The FSM state.
    pub state: State,
    /// How long the session has been established.
    pub uptime: Option<Duration>,
    /// The peer's BGP identifier, once an OPEN arrived.
    pub peer_id: Option<Ipv4Addr>,
    /// The negotiated families of the established session.
    pub families: Vec<Family>,
    /// The negotiated hold time in seconds.
    pub hold_time: Option<u16>,
    /// Routes received per configured family.
    pub received: Vec<FamilyCount>,
    /// Graceful Restart as negotiated on the established session.
    pub graceful_restart: GrStatus,
    /// Families of the peer's routes kept across its restart.
    pub helper: Vec<HelperStatus>,
    /// Our OPENs still carry the R bit (our restart is not finished).
    pub restarting: bool,
    /// Families whose End-of-RIB we sent on this session.
    pub end_of_rib_sent: Vec<Family>,
    /// Families whose End-of-RIB the peer sent on this session.
    pub end_of_rib_received: Vec<Family>,
    /// Why the session or the last attempt ended.
    pub last_error: Option<DownReason>,
    /// Messages and Graceful Restart events since the peer task started.
    pub messages: MessageCounts,
}

/// Counted by the driver, which sees every message on the wire (the
/// announcer's UPDATEs go out without passing through the session); the
/// session's own `status` leaves them zero. Plain `u64`s owned by the peer
/// task, no atomics (32-bit MIPS routers have no 64-bit ones); they
/// saturate instead of wrapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageCounts {
    /// UPDATE messages received, End-of-RIB included.
    pub updates_received: u64,
    /// UPDATE messages sent, End-of-RIB included.
    pub updates_sent: u64,
    /// NOTIFICATION messages received.
    pub notifications_received: u64,
    /// NOTIFICATION messages sent.
    pub notifications_sent: u64,
    /// End-of-RIB markers received (one per family and session).
    pub end_of_rib_received: u64,
    /// End-of-RIB markers sent.
    pub end_of_rib_sent: u64,
    /// Times the session reached Established.
    pub established: u64,
    /// Times the session went down while we kept the peer's routes as
    /// stale (Graceful Restart helper: the peer restarts).
    pub peer_restarts: u64,
}
