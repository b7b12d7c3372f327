//! One TCP connection's share of the FSM: its state, its timers, and the
//! OPENs exchanged on it. A session has at most one outbound and one
//! inbound connection (RFC 4271 6.8 lets both exist until one OPEN
//! settles the collision).

use std::time::{Duration, Instant};

use super::events::ConnId;
use super::negotiate::NegotiatedSession;
use super::timers::{OPEN_HOLD_TIME, after};
use crate::wire::Open;

/// RFC 4271 8.2.2 states a connection can be in, past TCP setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ConnState {
    /// Our OPEN is sent; the peer's is awaited.
    OpenSent,
    /// OPENs exchanged, our KEEPALIVE sent; the peer's is awaited.
    OpenConfirm,
    /// Up.
    Established,
}

#[derive(Debug, Clone)]
pub(crate) struct Conn {
    /// The driver's number for it.
    pub id: ConnId,
    /// Whether we initiated it (decides collisions).
    pub outbound: bool,
    pub state: ConnState,
    /// The OPEN we sent on it (negotiation compares both).
    pub sent_open: Open,
    /// What the OPENs agreed on, from OpenConfirm on.
    pub negotiated: Option<NegotiatedSession>,
    /// When the hold timer expires, if it runs.
    pub hold_deadline: Option<Instant>,
    /// The current hold time (the OPEN hold time until OPENs are exchanged).
    pub hold_time: Option<Duration>,
    /// When the next KEEPALIVE is due, if any.
    pub keepalive_deadline: Option<Instant>,
    /// When the connection reached Established.
    pub established_at: Option<Instant>,
}

impl Conn {
    /// A connection that just sent `sent_open`.
    pub fn new(id: ConnId, outbound: bool, sent_open: Open, now: Instant) -> Conn {
        Conn {
            id,
            outbound,
            state: ConnState::OpenSent,
            sent_open,
            negotiated: None,
            hold_deadline: after(now, OPEN_HOLD_TIME),
            hold_time: Some(OPEN_HOLD_TIME),
            keepalive_deadline: None,
            established_at: None,
        }
    }

    /// A message arrived: the hold timer starts over.
    pub fn heard(&mut self, now: Instant) {
        self.hold_deadline = self.hold_time.and_then(|h| after(now, h));
    }

    /// OPENs exchanged: the negotiated hold time and keepalive take over.
    pub fn confirm(&mut self, negotiated: NegotiatedSession, now: Instant) {
        self.hold_time = negotiated.hold();
        self.keepalive_deadline = negotiated.keepalive_interval().and_then(|k| after(now, k));
        self.negotiated = Some(negotiated);
        self.state = ConnState::OpenConfirm;
        self.heard(now);
    }

    /// A KEEPALIVE went out: the next is due an interval later.
    pub fn keepalive_sent(&mut self, now: Instant) {
        self.keepalive_deadline = self
            .negotiated
            .as_ref()
            .and_then(NegotiatedSession::keepalive_interval)
            .and_then(|k| after(now, k));
    }

    pub fn is_established(&self) -> bool {
        self.state == ConnState::Established
    }

    /// Both sides set the N bit on this connection.
    pub fn notification_negotiated(&self) -> bool {
        self.negotiated
            .as_ref()
            .is_some_and(|n| n.graceful_restart.notification)
    }
}
