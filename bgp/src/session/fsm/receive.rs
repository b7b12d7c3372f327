//! Messages and decode errors from a connection: the OPEN exchange with
//! collision resolution, KEEPALIVE, UPDATE into the Adj-RIB-In (with
//! End-of-RIB and the prefix limit), ROUTE-REFRESH and NOTIFICATION.

use std::time::Instant;

use super::Session;
use crate::session::actions::{Action, DownReason};
use crate::session::collision::{KeepWhich, resolve_collision};
use crate::session::conn::ConnState;
use crate::session::events::ConnId;
use crate::session::negotiate::{negotiate, validate_open};
use crate::wire::{
    CeaseSubcode, DecodeError, ErrorCode, Family, FsmSubcode, Message, Notification, Open,
    RefreshSubtype, Update,
};

impl Session {
    pub(super) fn message(&mut self, id: ConnId, msg: Message, now: Instant) {
        let Some(state) = self.conn(id).map(|c| c.state) else {
            return;
        };
        match (state, msg) {
            (_, Message::Notification(n)) => {
                tracing::info!(peer = %self.cfg.peer_addr, %id, notification = %n, "NOTIFICATION received");
                self.drop_conn(id, None, DownReason::NotificationReceived(n), true, now);
            }
            (ConnState::OpenSent, Message::Open(open)) => self.open_received(id, &open, now),
            (ConnState::OpenConfirm, Message::Keepalive) => self.confirmed(id, now),
            (ConnState::Established, Message::Keepalive) => self.heard(id, now),
            (ConnState::Established, Message::Update(update)) => {
                self.heard(id, now);
                self.update_received(id, &update, now);
            }
            (ConnState::Established, Message::RouteRefresh(r)) => {
                self.heard(id, now);
                // Enhanced refresh markers were not offered; RFC 7313 says
                // to ignore unknown subtypes.
                let negotiated = self.families_of(id).contains(&r.family);
                if r.subtype == RefreshSubtype::Request && negotiated {
                    self.out.push(Action::RouteRefresh(r.family));
                }
            }
            (state, _) => self.fsm_error(id, state, now),
        }
    }

    pub(super) fn decode_error(&mut self, id: ConnId, e: DecodeError, now: Instant) {
        let Some(state) = self.conn(id).map(|c| c.state) else {
            return;
        };
        match e {
            DecodeError::SessionReset(n) => {
                tracing::info!(peer = %self.cfg.peer_addr, %id, notification = %n, "message refused");
                self.send_and_drop(id, n, now);
            }
            DecodeError::TreatAsWithdraw { withdrawn, reason } => {
                if state != ConnState::Established {
                    self.fsm_error(id, state, now);
                    return;
                }
                tracing::warn!(peer = %self.cfg.peer_addr, %reason, prefixes = withdrawn.len(), "malformed UPDATE treated as withdraw");
                self.heard(id, now);
                let families = self.families_of(id);
                for p in withdrawn.iter().filter(|p| families.contains(&p.family())) {
                    self.rib_changed |= self.rib.remove(p);
                }
            }
        }
    }

    /// The announcer wrote its table of `family`: End-of-RIB may go.
    pub(super) fn routes_ready(&mut self, family: Family) {
        let Some(id) = self.established().map(|c| c.id) else {
            return;
        };
        if self.eor.ready(family) {
            self.out.push(Action::Send(
                id,
                Message::Update(Update::end_of_rib(family)),
            ));
            self.check_restart_done();
        }
    }

    /// Our restart is over once End-of-RIB went out for every family.
    pub(super) fn check_restart_done(&mut self) {
        if self.restarting && self.eor.all_sent() {
            tracing::info!(peer = %self.cfg.peer_addr, "graceful restart complete: End-of-RIB sent");
            self.restarting = false;
        }
    }

    fn heard(&mut self, id: ConnId, now: Instant) {
        if let Some(c) = self.conn_mut(id) {
            c.heard(now);
        }
    }

    /// The negotiated families of `id` (empty before OpenConfirm).
    fn families_of(&self, id: ConnId) -> Vec<Family> {
        self.conn(id)
            .and_then(|c| c.negotiated.as_ref())
            .map(|n| n.families.clone())
            .unwrap_or_default()
    }

    /// A message the state does not allow (RFC 6608 subcodes).
    fn fsm_error(&mut self, id: ConnId, state: ConnState, now: Instant) {
        let sub = match state {
            ConnState::OpenSent => FsmSubcode::UnexpectedInOpenSent,
            ConnState::OpenConfirm => FsmSubcode::UnexpectedInOpenConfirm,
            ConnState::Established => FsmSubcode::UnexpectedInEstablished,
        };
        let n = Notification::new(ErrorCode::Fsm(sub), Vec::new());
        tracing::info!(peer = %self.cfg.peer_addr, %id, notification = %n, "unexpected message");
        self.send_and_drop(id, n, now);
    }

    /// The peer's OPEN in OpenSent: validate, settle collisions, confirm.
    fn open_received(&mut self, id: ConnId, open: &Open, now: Instant) {
        if let Err(n) = validate_open(&self.cfg, open) {
            tracing::info!(peer = %self.cfg.peer_addr, %id, notification = %n, "OPEN refused");
            self.send_and_drop(id, n, now);
            return;
        }
        let Some(conn) = self.conn(id) else {
            return;
        };
        let outbound = conn.outbound;
        let neg = negotiate(&self.cfg, id, outbound, &conn.sent_open, open);
        // The peer answered: a connect still under way is not needed.
        if self.connect_pending {
            self.connect_pending = false;
            self.connect_deadline = None;
            self.out.push(Action::AbortConnect);
        }
        let collision = Notification::cease(CeaseSubcode::ConnectionCollisionResolution);
        if let Some((other_id, other_state)) = self.other_conn(id).map(|c| (c.id, c.state)) {
            let keep_this = match other_state {
                // It will meet this one in OpenConfirm when its OPEN comes.
                ConnState::OpenSent => true,
                ConnState::OpenConfirm => {
                    let keep = resolve_collision(
                        self.cfg.router_id,
                        self.cfg.local_asn,
                        open.bgp_id,
                        open.asn(),
                    );
                    (keep == KeepWhich::Outbound) == outbound
                }
                ConnState::Established => false,
            };
            let reason = DownReason::NotificationSent(collision.clone());
            if !keep_this {
                tracing::debug!(peer = %self.cfg.peer_addr, %id, "connection collision: closing this one");
                self.drop_conn(id, Some(collision), reason, true, now);
                return;
            }
            if other_state == ConnState::OpenConfirm {
                tracing::debug!(peer = %self.cfg.peer_addr, %other_id, "connection collision: closing the other one");
                self.drop_conn(other_id, Some(collision), reason, true, now);
            }
        }
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        conn.confirm(neg, now);
        self.out.push(Action::Send(id, Message::Keepalive));
    }

    /// The peer's KEEPALIVE in OpenConfirm: the session is up.
    fn confirmed(&mut self, id: ConnId, now: Instant) {
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        conn.state = ConnState::Established;
        conn.established_at = Some(now);
        conn.heard(now);
        let Some(neg) = conn.negotiated.clone() else {
            return;
        };
        // RFC 4271 6.8: the other connection loses to an established one.
        if self.connect_pending {
            self.connect_pending = false;
            self.connect_deadline = None;
            self.out.push(Action::AbortConnect);
        }
        if let Some(other) = self.other_conn(id).map(|c| c.id) {
            let n = Notification::cease(CeaseSubcode::ConnectionCollisionResolution);
            self.send_and_drop(other, n, now);
        }
        self.retry_at = None;
        let gr = &self.cfg.graceful_restart;
        self.rib_changed |= self
            .helper
            .session_up(&neg, gr.stale_path_time, &mut self.rib, now);
        self.eor.start(&neg.families, gr.selection_deferral, now);
        tracing::info!(
            peer = %self.cfg.peer_addr,
            peer_id = %neg.peer_id,
            hold_time = neg.hold_time,
            families = ?neg.families,
            graceful_restart = ?neg.graceful_restart,
            "session established"
        );
        self.out.push(Action::Established(neg));
    }

    /// An UPDATE on the established connection.
    fn update_received(&mut self, id: ConnId, update: &Update, now: Instant) {
        let families = self.families_of(id);
        if let Some(family) = update.is_end_of_rib() {
            if families.contains(&family) {
                tracing::debug!(peer = %self.cfg.peer_addr, %family, "End-of-RIB received");
                self.eor.received(family);
                self.rib_changed |= self.helper.end_of_rib(family, &mut self.rib);
            }
            return;
        }
        let looped =
            (update.attributes.as_path.as_ref()).is_some_and(|p| p.contains(self.cfg.local_asn));
        if looped {
            tracing::debug!(peer = %self.cfg.peer_addr, "routes with our AS in their AS_PATH ignored");
            self.rib_changed |= self.rib.reject(update, &families);
            return;
        }
        self.rib_changed |= self.rib.apply(update, &families);
        let Some(limit) = self.cfg.max_prefixes else {
            return;
        };
        let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
        let Some(&family) = families.iter().find(|f| self.rib.len(**f) > limit_usize) else {
            return;
        };
        // RFC 8538 5: the prefix limit is a Hard Reset where N was agreed,
        // so the peer does not keep what we refused as stale.
        let cease = Notification::maximum_prefixes(family, limit);
        let n_bit = self.conn(id).is_some_and(|c| c.notification_negotiated());
        let n = if n_bit {
            Notification::hard_reset(&cease)
        } else {
            cease
        };
        tracing::warn!(peer = %self.cfg.peer_addr, %family, limit, "prefix limit exceeded");
        self.send_and_drop(id, n, now);
    }
}
