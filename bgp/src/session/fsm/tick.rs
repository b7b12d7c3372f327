//! Timers: connect timeout, reconnect, hold, keepalive, the helper's
//! stale-route phases and the End-of-RIB deferral. They fire only on
//! `Event::Tick`, each at most once per call.

use std::time::Instant;

use super::Session;
use crate::session::actions::{Action, DownReason};
use crate::session::timers::due;
use crate::wire::{ErrorCode, Message, Notification, Update};

impl Session {
    pub(super) fn tick(&mut self, now: Instant) {
        if self.connect_pending && due(self.connect_deadline, now) {
            self.connect_pending = false;
            self.connect_deadline = None;
            self.out.push(Action::AbortConnect);
            self.connect_failed(now);
        }
        if due(self.retry_at, now) {
            self.retry_at = None;
            self.connect_now(now);
        }
        for id in self.conn_ids() {
            let Some(conn) = self.conn_mut(id) else {
                continue;
            };
            if due(conn.hold_deadline, now) {
                let n = Notification::new(ErrorCode::HoldTimerExpired, Vec::new());
                tracing::info!(peer = %self.cfg.peer_addr, %id, "hold timer expired");
                self.drop_conn(id, Some(n), DownReason::HoldTimerExpired, true, now);
                continue;
            }
            if due(conn.keepalive_deadline, now) {
                // One KEEPALIVE however late the tick: a burst would not
                // help a peer that already waited.
                conn.keepalive_sent(now);
                self.out.push(Action::Send(id, Message::Keepalive));
            }
        }
        self.rib_changed |= self.helper.tick(&mut self.rib, now);
        let expired = self.eor.expired(now);
        if let Some(id) = self.established().map(|c| c.id) {
            for family in expired {
                tracing::debug!(peer = %self.cfg.peer_addr, %family, "selection deferral over: End-of-RIB");
                self.out.push(Action::Send(
                    id,
                    Message::Update(Update::end_of_rib(family)),
                ));
            }
            self.check_restart_done();
        }
    }
}
