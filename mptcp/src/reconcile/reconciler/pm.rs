//! Path-manager events: subflow accounting and failed joins.
//!
//! A subflow belongs to the slot whose current address is its local
//! address (so the initial subflow, local id 0, counts too), else to the
//! slot whose id is its local id. Until the caller gives a slot its
//! address (a restarted daemon's tracker still deciding), the address of
//! the kernel endpoint under the slot's id stands in for it.

use std::net::IpAddr;
use std::time::Instant;

use crate::client::diag::SubflowInfo;
use crate::event::{PmEvent, Subflow};

use super::Reconciler;

impl Reconciler {
    pub(super) fn pm_event(&mut self, event: PmEvent, now: Instant) {
        match event {
            PmEvent::Established(c) => {
                if let Some(i) = self.slot_by_addr(c.local.ip()) {
                    self.subflows.insert(c.token, c.local, c.remote, i);
                }
            }
            PmEvent::Closed { token } => self.subflows.remove_connection(token),
            PmEvent::SubEstablished(s) => {
                if let Some(i) = self.slot_of(&s) {
                    self.subflows.insert(s.token, s.local, s.remote, i);
                    if let Some(slot) = self.slots.get_mut(i) {
                        // The path carries a join: the next failure starts
                        // from the shortest delay again.
                        slot.join_backoff.reset();
                    }
                }
            }
            PmEvent::SubClosed(s) => self.sub_closed(&s, now),
            _ => {}
        }
    }

    /// A subflow closed. With an error, while the slot is wanted, its join
    /// failed or its path died, and the kernel will not try again: re-add
    /// the endpoint after a back-off. Our own deletes must not count: seen
    /// on 6.18, an established subflow they close reports no error, but a
    /// join still in SYN_SENT reports 104 (ECONNRESET, remote port 0, never
    /// seen established), hence the doomed marks and the grace period.
    fn sub_closed(&mut self, s: &Subflow, now: Instant) {
        let known = self.subflows.remove(s.token, s.local, s.remote);
        let Some(i) = known.map(|sub| sub.slot).or_else(|| self.slot_of(s)) else {
            return;
        };
        if s.error.is_none_or(|e| e == 0) {
            return;
        }
        let Some(slot) = self.slots.get_mut(i) else {
            return;
        };
        let our_doing = match known {
            Some(sub) => sub.doomed,
            None => slot.deleting() || slot.quiet_until.is_some_and(|t| now < t),
        };
        if our_doing || slot.desired().is_none() || slot.rejoin_at.is_some() || slot.rejoin_due {
            return;
        }
        let delay = slot.join_backoff.take();
        tracing::info!(
            slot = %slot.spec.key,
            error = s.error.unwrap_or(0),
            retry_in = ?delay,
            "an MPTCP subflow failed; the endpoint will be re-added"
        );
        slot.rejoin_at = now.checked_add(delay);
    }

    /// Counts the kernel's live subflows (see [`Event::Subflows`]): the
    /// reconciler starts after connections that are already open. A
    /// subflow already counted (its event came first) counts once; one
    /// that closes later is taken away by its `sub_closed` or `closed`
    /// event, which names the same token.
    ///
    /// [`Event::Subflows`]: crate::reconcile::Event::Subflows
    pub(super) fn seed_subflows(&mut self, subflows: Vec<SubflowInfo>) {
        for s in subflows {
            if let Some(i) = self.slot_of_local(s.local.ip(), s.local_id) {
                self.subflows.insert(s.token, s.local, s.remote, i);
            }
        }
    }

    fn slot_by_addr(&self, addr: IpAddr) -> Option<usize> {
        let addr = addr.to_canonical();
        self.slots.iter().position(|s| match s.addr {
            Some(a) => a == addr,
            None => self
                .kernel
                .as_ref()
                .and_then(|k| k.get(&s.spec.id))
                .is_some_and(|e| e.addr.to_canonical() == addr),
        })
    }

    fn slot_of(&self, s: &Subflow) -> Option<usize> {
        self.slot_of_local(s.local.ip(), s.local_id)
    }

    fn slot_of_local(&self, local: IpAddr, local_id: u8) -> Option<usize> {
        let addr = local.to_canonical();
        self.slot_by_addr(addr).or_else(|| {
            (local_id != 0)
                .then(|| {
                    self.slots
                        .iter()
                        .position(|sl| sl.spec.id == local_id && sl.spec.family.matches(addr))
                })
                .flatten()
        })
    }
}
