//! What a session asks of its driver. The driver performs the actions of
//! one `handle` call in order: a `Send` before a `Close` of the same
//! connection must reach the socket first.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::events::{ConnId, StopKind};
use super::negotiate::NegotiatedSession;
use crate::wire::{Family, Message, Notification};

/// One output of `Session::handle`.
#[allow(
    clippy::large_enum_variant,
    reason = "a Message is moved in and out once per call; boxing would cost an allocation per UPDATE"
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Open a TCP connection to the peer (port, TCP MD5, GTSM are the
    /// driver's), then report `TcpConnected { outbound: true }` or
    /// `TcpFailed`. At most one is pending at a time.
    Connect,
    /// Give up the pending connect; report nothing about it.
    AbortConnect,
    /// Encode with `Session::codec(conn)` and write.
    Send(ConnId, Message),
    /// Close the connection once what was written before has gone out
    /// (give up after a few seconds). Report nothing more about it.
    Close(ConnId),
    /// The session is up on `conn`: decode and encode with
    /// `negotiated.wire`, write the Adj-RIB-Out of each of
    /// `negotiated.families`, then feed `Event::RoutesReady(family)`.
    Established(NegotiatedSession),
    /// The established session went down (its connection is closed or a
    /// `Close` for it precedes this action). The announcer stops.
    Down {
        /// Why.
        reason: DownReason,
        /// Whether the peer keeps our routes as stale: it helps with
        /// Graceful Restart and no Hard Reset (nor, without the N bit, any
        /// NOTIFICATION) went either way.
        peer_keeps_routes: bool,
        /// Whether we keep the peer's routes as stale (helper role) for at
        /// least one family; the others were flushed.
        routes_retained: bool,
    },
    /// The Adj-RIB-In changed during this call (routes learned, withdrawn,
    /// marked stale or flushed). Emitted once per call, last.
    RibChanged,
    /// The peer asked us to send our routes of `family` again
    /// (ROUTE-REFRESH, RFC 2918): re-send that part of the Adj-RIB-Out.
    RouteRefresh(Family),
}

/// Why a session (or an attempt at one) ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DownReason {
    /// `Event::Stop`.
    Stopped(StopKind),
    /// The outbound connect failed or timed out.
    ConnectFailed,
    /// The peer closed or reset the connection.
    TcpClosed,
    /// Nothing arrived within the hold time; we sent Hold Timer Expired.
    HoldTimerExpired,
    /// The peer opened a new connection while the session was established
    /// and had Graceful Restart: it restarted (RFC 4724 4.2).
    PeerRestarted,
    /// The peer sent this NOTIFICATION.
    NotificationReceived(Notification),
    /// We sent this NOTIFICATION (an error, a collision, the prefix limit).
    NotificationSent(Notification),
}

impl DownReason {
    /// The NOTIFICATION exchanged, if any.
    pub fn notification(&self) -> Option<&Notification> {
        match self {
            DownReason::NotificationReceived(n) | DownReason::NotificationSent(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for DownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownReason::Stopped(kind) => write!(f, "stopped ({kind:?})"),
            DownReason::ConnectFailed => f.write_str("connect failed"),
            DownReason::TcpClosed => f.write_str("connection closed by the peer"),
            DownReason::HoldTimerExpired => f.write_str("hold timer expired"),
            DownReason::PeerRestarted => f.write_str("peer restarted"),
            DownReason::NotificationReceived(n) => write!(f, "received {n}"),
            DownReason::NotificationSent(n) => write!(f, "sent {n}"),
        }
    }
}
