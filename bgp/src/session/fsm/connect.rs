//! Start, stop, TCP outcomes and reconnects.

use std::time::Instant;

use super::Session;
use crate::session::actions::{Action, DownReason};
use crate::session::conn::Conn;
use crate::session::events::{ConnId, StopKind};
use crate::session::negotiate::build_open;
use crate::session::timers::after;
use crate::wire::{CeaseSubcode, Message, Notification};

impl Session {
    pub(super) fn start(&mut self, now: Instant) {
        if self.started {
            return;
        }
        tracing::info!(peer = %self.cfg.peer_addr, "session started");
        self.started = true;
        self.backoff.reset();
        self.connect_now(now);
    }

    pub(super) fn stop(&mut self, kind: StopKind, now: Instant) {
        if !self.started {
            return;
        }
        tracing::info!(peer = %self.cfg.peer_addr, ?kind, "session stopped");
        self.started = false;
        self.retry_at = None;
        if self.connect_pending {
            self.connect_pending = false;
            self.out.push(Action::AbortConnect);
        }
        for id in self.conn_ids() {
            let cease = match &kind {
                StopKind::Graceful => None,
                StopKind::HardReset => {
                    Some(Notification::cease(CeaseSubcode::AdministrativeShutdown))
                }
                StopKind::Admin(msg) => Some(Notification::administrative_shutdown(msg)),
            };
            // RFC 8538 5: with the N bit, only a Hard Reset makes the peer
            // withdraw; it wraps the real reason (FRR 8.4 needs it).
            let n_bit = self.conn(id).is_some_and(|c| c.notification_negotiated());
            let cease = cease.map(|c| {
                if n_bit {
                    Notification::hard_reset(&c)
                } else {
                    c
                }
            });
            self.drop_conn(id, cease, DownReason::Stopped(kind.clone()), true, now);
        }
        // Stopping means this process stops using the peer's routes.
        self.helper.clear();
        self.rib_changed |= self.rib.clear();
        self.last_error = Some(DownReason::Stopped(kind));
    }

    pub(super) fn tcp_connected(&mut self, id: ConnId, outbound: bool, now: Instant) {
        if self.conn(id).is_some() {
            tracing::warn!(peer = %self.cfg.peer_addr, %id, "connection id reused; ignored");
            return;
        }
        if outbound {
            if !self.connect_pending || self.outbound.is_some() {
                // A connect we gave up on completed after all.
                self.out.push(Action::Close(id));
                return;
            }
            self.connect_pending = false;
            self.connect_deadline = None;
            tracing::debug!(peer = %self.cfg.peer_addr, %id, "outbound connection up");
            self.outbound = Some(self.send_open(id, true, now));
            return;
        }
        if !self.started {
            self.reject(id, CeaseSubcode::ConnectionRejected);
            return;
        }
        if let Some(est) = self.established() {
            let est_id = est.id;
            let peer_gr = est.negotiated.as_ref().is_some_and(|n| n.peer_gr.is_some());
            if !peer_gr {
                // RFC 4271 6.8: the established connection wins.
                self.reject(id, CeaseSubcode::ConnectionCollisionResolution);
                return;
            }
            // RFC 4724 4.2: a GR peer that connects again has restarted,
            // whether or not we saw its old connection die.
            tracing::info!(peer = %self.cfg.peer_addr, "new connection from an established peer: it restarted");
            self.drop_conn(est_id, None, DownReason::PeerRestarted, true, now);
        }
        // A peer has one outbound connection at a time: a newer one from
        // it means the older one is dead.
        if let Some(old) = self.inbound.take() {
            self.out.push(Action::Close(old.id));
        }
        tracing::debug!(peer = %self.cfg.peer_addr, %id, "inbound connection accepted");
        self.inbound = Some(self.send_open(id, false, now));
    }

    /// Refuses a new inbound connection with a Cease.
    fn reject(&mut self, id: ConnId, subcode: CeaseSubcode) {
        tracing::debug!(peer = %self.cfg.peer_addr, %id, ?subcode, "inbound connection refused");
        self.out.push(Action::Send(
            id,
            Message::Notification(Notification::cease(subcode)),
        ));
        self.out.push(Action::Close(id));
    }

    /// Sends our OPEN on a new connection.
    fn send_open(&mut self, id: ConnId, outbound: bool, now: Instant) -> Conn {
        let open = build_open(&self.cfg, self.restarting);
        self.out.push(Action::Send(id, Message::Open(open.clone())));
        self.retry_at = None;
        Conn::new(id, outbound, open, now)
    }

    pub(super) fn tcp_failed(&mut self, now: Instant) {
        if !self.connect_pending {
            return;
        }
        self.connect_pending = false;
        self.connect_deadline = None;
        self.connect_failed(now);
    }

    /// The pending connect failed or timed out.
    pub(super) fn connect_failed(&mut self, now: Instant) {
        tracing::debug!(peer = %self.cfg.peer_addr, "connect failed");
        if self.outbound.is_none() && self.inbound.is_none() {
            self.last_error = Some(DownReason::ConnectFailed);
        }
        self.schedule_retry(now);
    }

    pub(super) fn tcp_closed(&mut self, id: ConnId, now: Instant) {
        self.drop_conn(id, None, DownReason::TcpClosed, false, now);
    }

    /// Starts an outbound connect if the session has nothing under way.
    pub(super) fn connect_now(&mut self, now: Instant) {
        if !self.started
            || self.cfg.passive
            || self.connect_pending
            || self.outbound.is_some()
            || self.inbound.is_some()
        {
            return;
        }
        self.retry_at = None;
        self.connect_pending = true;
        self.connect_deadline = after(now, self.cfg.connect_timeout);
        self.out.push(Action::Connect);
    }

    /// With no connection left, arms the next attempt after the back-off.
    pub(super) fn schedule_retry(&mut self, now: Instant) {
        if !self.started
            || self.cfg.passive
            || self.connect_pending
            || self.outbound.is_some()
            || self.inbound.is_some()
            || self.retry_at.is_some()
        {
            return;
        }
        let delay = self.backoff.next_delay();
        tracing::debug!(peer = %self.cfg.peer_addr, ?delay, "reconnecting later");
        self.retry_at = after(now, delay);
    }
}
