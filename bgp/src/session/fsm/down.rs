//! Closing a connection, and what the session loses when it was the
//! established one: the Graceful Restart decision for the peer's routes
//! (helper role) and for ours (whether the peer keeps them).

use std::time::Instant;

use super::Session;
use crate::session::actions::{Action, DownReason};
use crate::session::conn::Conn;
use crate::session::events::{ConnId, StopKind};
use crate::session::timers::STABLE_SESSION;
use crate::wire::{CeaseSubcode, ErrorCode, Message, Notification};

impl Session {
    /// Ends connection `id`: sends `notification` first if given, asks the
    /// driver to close it when `close` (not when the driver reported it
    /// closed), and takes the session down if it was established.
    /// Sends NOTIFICATION `n` on connection `id`, closes it, and records
    /// that we ended the session with it.
    pub(super) fn send_and_drop(&mut self, id: ConnId, n: Notification, now: Instant) {
        self.drop_conn(
            id,
            Some(n.clone()),
            DownReason::NotificationSent(n),
            true,
            now,
        );
    }

    pub(super) fn drop_conn(
        &mut self,
        id: ConnId,
        notification: Option<Notification>,
        reason: DownReason,
        close: bool,
        now: Instant,
    ) {
        let conn = if self.outbound.as_ref().is_some_and(|c| c.id == id) {
            self.outbound.take()
        } else if self.inbound.as_ref().is_some_and(|c| c.id == id) {
            self.inbound.take()
        } else {
            None
        };
        let Some(conn) = conn else {
            return;
        };
        if let Some(n) = notification {
            self.out.push(Action::Send(id, Message::Notification(n)));
        }
        if close {
            self.out.push(Action::Close(id));
        }
        if conn.is_established() {
            self.session_down(&conn, &reason, now);
        } else {
            tracing::debug!(peer = %self.cfg.peer_addr, %id, %reason, "connection ended before the session was up");
            // RFC 8538 3: a Hard Reset means "forget my routes", also
            // those kept from the session before this attempt.
            if let DownReason::NotificationReceived(n) = &reason
                && n.is_hard_reset()
            {
                self.rib_changed |= self.helper.flush(&mut self.rib);
            }
        }
        // A peer that refused us over the prefix limit will refuse a quick
        // retry too, and so will we (RFC 4486 leaves the delay to us).
        if reason.notification().is_some_and(is_max_prefixes) {
            self.backoff.exhaust();
        }
        // A collision loser is not the session's error while the other
        // connection lives on.
        if conn.is_established() || (self.outbound.is_none() && self.inbound.is_none()) {
            self.last_error = Some(reason);
        }
        self.schedule_retry(now);
    }

    /// The established connection `conn` is gone.
    fn session_down(&mut self, conn: &Conn, reason: &DownReason, now: Instant) {
        let Some(neg) = conn.negotiated.as_ref() else {
            return;
        };
        let n_bit = neg.graceful_restart.notification;
        let graceful_notification = |n: &Notification| n_bit && !n.is_hard_reset();
        // Our side (helper): which downs keep the peer's routes.
        let keep_theirs = match reason {
            DownReason::TcpClosed | DownReason::PeerRestarted | DownReason::HoldTimerExpired => {
                true
            }
            DownReason::NotificationReceived(n) | DownReason::NotificationSent(n) => {
                graceful_notification(n)
            }
            DownReason::Stopped(_) | DownReason::ConnectFailed => false,
        };
        // The peer's side: it saw no NOTIFICATION, or a graceful one. Our
        // Hold Timer Expired reaches it as a NOTIFICATION.
        let keeps_ours = self.peer_helps(neg)
            && match reason {
                DownReason::TcpClosed
                | DownReason::PeerRestarted
                | DownReason::Stopped(StopKind::Graceful) => true,
                DownReason::HoldTimerExpired => n_bit,
                DownReason::NotificationReceived(n) | DownReason::NotificationSent(n) => {
                    graceful_notification(n)
                }
                DownReason::Stopped(_) | DownReason::ConnectFailed => false,
            };
        self.rib_changed |= self
            .helper
            .session_down(neg, keep_theirs, &mut self.rib, now);
        let retained = !self.helper.is_empty();
        self.eor.stop();
        let stable = conn
            .established_at
            .and_then(|t| t.checked_add(STABLE_SESSION))
            .is_some_and(|t| t <= now);
        if stable {
            self.backoff.reset();
        }
        tracing::info!(
            peer = %self.cfg.peer_addr,
            %reason,
            peer_keeps_routes = keeps_ours,
            routes_retained = retained,
            "session down"
        );
        self.out.push(Action::Down {
            reason: reason.clone(),
            peer_keeps_routes: keeps_ours,
            routes_retained: retained,
        });
    }
}

/// Cease / Maximum Number of Prefixes Reached, bare or inside Hard Reset.
fn is_max_prefixes(n: &Notification) -> bool {
    let max = ErrorCode::Cease(CeaseSubcode::MaximumPrefixesReached);
    n.code == max || n.hard_reset_cause().is_some_and(|c| c.code == max)
}
