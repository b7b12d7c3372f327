//! The session: RFC 4271's FSM over up to two connections, the Adj-RIB-In
//! and Graceful Restart in both roles, as one sans-IO state machine.
//!
//! Sub-concerns live in the children: `connect.rs` (start, stop, TCP
//! events, reconnect back-off), `receive.rs` (messages and decode errors),
//! `down.rs` (closing a connection and what the session loses with it),
//! `tick.rs` (timers).

mod connect;
mod down;
mod receive;
mod tick;

use std::time::{Duration, Instant};

use super::actions::Action;
use super::config::{ConfigError, SessionConfig};
use super::conn::{Conn, ConnState};
use super::events::{ConnId, Event};
use super::gr::{EndOfRib, Helper};
use super::negotiate::NegotiatedSession;
use super::rib_in::AdjRibIn;
use super::status::{FamilyCount, MessageCounts, SessionStatus, State};
use super::timers::{Backoff, earliest};
use crate::wire::Negotiated;

/// One BGP peer: its connections, its routes and its Graceful Restart
/// state. Long-lived: one per configured neighbor, across reconnects, so
/// the peer's routes survive its restart.
#[derive(Debug)]
pub struct Session {
    /// The validated configuration.
    cfg: SessionConfig,
    /// Between `Start` and `Stop`.
    started: bool,
    /// An outbound connect is under way (`Action::Connect` was given).
    connect_pending: bool,
    /// When the pending connect is given up.
    connect_deadline: Option<Instant>,
    /// The connection we initiated, once TCP is up.
    outbound: Option<Conn>,
    /// The connection the peer initiated.
    inbound: Option<Conn>,
    /// When the next outbound attempt starts.
    retry_at: Option<Instant>,
    /// Reconnect delays.
    backoff: Backoff,
    /// The peer's routes.
    rib: AdjRibIn,
    /// The peer's routes kept across its restart.
    helper: Helper,
    /// Our End-of-RIB on the established session.
    eor: EndOfRib,
    /// Our OPENs carry the R bit: from the configuration until End-of-RIB
    /// has gone out for every family on an established session.
    restarting: bool,
    /// Why the session, or the last attempt, ended.
    last_error: Option<super::actions::DownReason>,
    /// The actions of the call in progress.
    out: Vec<Action>,
    /// The RIB changed during the call in progress.
    rib_changed: bool,
}

impl Session {
    /// A stopped session (state Idle); `Event::Start` brings it up.
    /// Every timer starts with an event, so no clock is needed yet.
    pub fn new(cfg: SessionConfig) -> Result<Session, ConfigError> {
        cfg.validate()?;
        Ok(Session {
            backoff: Backoff::new(cfg.connect_retry_min, cfg.connect_retry_max),
            restarting: cfg.graceful_restart.restarting,
            cfg,
            started: false,
            connect_pending: false,
            connect_deadline: None,
            outbound: None,
            inbound: None,
            retry_at: None,
            rib: AdjRibIn::new(),
            helper: Helper::default(),
            eor: EndOfRib::default(),
            last_error: None,
            out: Vec::new(),
            rib_changed: false,
        })
    }

    /// Feeds one event; returns what the driver must do, in order. Call it
    /// for every event as it happens, with the current time, and read
    /// `next_deadline` again afterwards.
    pub fn handle(&mut self, event: Event, now: Instant) -> Vec<Action> {
        match event {
            Event::Start => self.start(now),
            Event::Stop(kind) => self.stop(kind, now),
            Event::TcpConnected { conn, outbound } => self.tcp_connected(conn, outbound, now),
            Event::TcpFailed => self.tcp_failed(now),
            Event::TcpClosed(conn) => self.tcp_closed(conn, now),
            Event::Message(conn, msg) => self.message(conn, msg, now),
            Event::DecodeError(conn, e) => self.decode_error(conn, e, now),
            Event::RoutesReady(family) => self.routes_ready(family),
            Event::Tick => self.tick(now),
        }
        if std::mem::take(&mut self.rib_changed) {
            self.out.push(Action::RibChanged);
        }
        std::mem::take(&mut self.out)
    }

    /// When the driver must feed `Event::Tick` next; None: no timer runs.
    /// Every `handle` call may move it.
    pub fn next_deadline(&self) -> Option<Instant> {
        let conns = [&self.outbound, &self.inbound]
            .into_iter()
            .flatten()
            .flat_map(|c| [c.hold_deadline, c.keepalive_deadline]);
        earliest(
            [
                self.connect_deadline.filter(|_| self.connect_pending),
                self.retry_at,
                self.helper.next_deadline(),
                self.eor.deadline(),
            ]
            .into_iter()
            .chain(conns),
        )
    }

    /// The codec parameters for `conn`: what its OPENs agreed on, or the
    /// defaults before (right for the OPEN exchange). Decode each frame
    /// with it and feed the message before decoding the next frame: it
    /// changes when the peer's OPEN is handled.
    pub fn codec(&self, conn: ConnId) -> Negotiated {
        self.conn(conn)
            .and_then(|c| c.negotiated.as_ref())
            .map(|n| n.wire)
            .unwrap_or_default()
    }

    /// The session's FSM state.
    pub fn state(&self) -> State {
        if !self.started {
            return State::Idle;
        }
        let best = [&self.outbound, &self.inbound]
            .into_iter()
            .flatten()
            .map(|c| c.state)
            .max();
        match best {
            Some(ConnState::Established) => State::Established,
            Some(ConnState::OpenConfirm) => State::OpenConfirm,
            Some(ConnState::OpenSent) => State::OpenSent,
            None if self.connect_pending => State::Connect,
            None => State::Active,
        }
    }

    /// What the established session negotiated.
    pub fn negotiated(&self) -> Option<&NegotiatedSession> {
        self.established().and_then(|c| c.negotiated.as_ref())
    }

    /// The peer's routes.
    pub fn rib(&self) -> &AdjRibIn {
        &self.rib
    }

    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// Whether our OPENs still carry the R bit.
    pub fn is_restarting(&self) -> bool {
        self.restarting
    }

    /// A snapshot for `mpwan status`.
    pub fn status(&self, now: Instant) -> SessionStatus {
        let est = self.established();
        let neg = est.and_then(|c| c.negotiated.as_ref());
        let peer_id = [&self.outbound, &self.inbound]
            .into_iter()
            .flatten()
            .find_map(|c| c.negotiated.as_ref().map(|n| n.peer_id));
        SessionStatus {
            peer_addr: self.cfg.peer_addr,
            peer_asn: self.cfg.peer_asn,
            state: self.state(),
            uptime: est
                .and_then(|c| c.established_at)
                .map(|t| now.saturating_duration_since(t)),
            peer_id,
            families: neg.map(|n| n.families.clone()).unwrap_or_default(),
            hold_time: neg.map(|n| n.hold_time),
            received: self
                .cfg
                .families
                .iter()
                .map(|&family| FamilyCount {
                    family,
                    routes: self.rib.len(family),
                    stale: self.rib.stale_len(family),
                })
                .collect(),
            graceful_restart: neg
                .map(|n| {
                    let mut gr = n.graceful_restart;
                    // The peer's restart ends with its End-of-RIB for
                    // every family (RFC 4724 4.2); the R bit stays in its
                    // OPEN for the life of the session.
                    let received = self.eor.received_families();
                    gr.peer_restarting &= !n.families.iter().all(|f| received.contains(f));
                    gr
                })
                .unwrap_or_default(),
            helper: self.helper.status(now),
            restarting: self.restarting,
            end_of_rib_sent: self.eor.sent_families().to_vec(),
            end_of_rib_received: self.eor.received_families().to_vec(),
            last_error: self.last_error.clone(),
            // The driver counts messages: it sees all of them.
            messages: MessageCounts::default(),
        }
    }

    fn conn(&self, id: ConnId) -> Option<&Conn> {
        [&self.outbound, &self.inbound]
            .into_iter()
            .flatten()
            .find(|c| c.id == id)
    }

    fn conn_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        [&mut self.outbound, &mut self.inbound]
            .into_iter()
            .flatten()
            .find(|c| c.id == id)
    }

    /// The connection other than `id`, if any.
    fn other_conn(&self, id: ConnId) -> Option<&Conn> {
        [&self.outbound, &self.inbound]
            .into_iter()
            .flatten()
            .find(|c| c.id != id)
    }

    fn established(&self) -> Option<&Conn> {
        [&self.outbound, &self.inbound]
            .into_iter()
            .flatten()
            .find(|c| c.is_established())
    }

    fn conn_ids(&self) -> Vec<ConnId> {
        [&self.outbound, &self.inbound]
            .into_iter()
            .flatten()
            .map(|c| c.id)
            .collect()
    }

    /// The peer keeps our routes across a graceful down: it sent the GR
    /// capability and we asked for a restart time or LLGR it agreed to.
    fn peer_helps(&self, neg: &NegotiatedSession) -> bool {
        let gr = &self.cfg.graceful_restart;
        neg.peer_gr.is_some()
            && (gr.restart_time >= Duration::from_secs(1)
                || (neg.local_llgr_secs > 0 && neg.peer_llgr.is_some()))
    }
}
