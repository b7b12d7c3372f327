//! Deciding which actions go out now.

use crate::flags::EndpointFlags;

use super::super::action::Action;
use super::super::plan::{Plan, plan};
use super::super::state::SlotOp;
use super::Reconciler;

impl Reconciler {
    /// Emits what is due: limits, a dump, and one operation per free slot.
    pub(super) fn poll(&mut self, out: &mut Vec<Action>) {
        if self.limits.due && self.limits.in_flight.is_none() {
            self.limits.due = false;
            if let Some(limits) = self.params.limits {
                let op = self.take_op();
                self.limits.in_flight = Some(op);
                out.push(Action::SetLimits { op, limits });
            }
        }
        if self.dump.due && self.dump.in_flight.is_none() && !self.changes_in_flight() {
            self.send_dump(out);
        }
        // While a dump is due or in flight only unwanted endpoints go:
        // anything else waits for the kernel's fresh view.
        let hold = self.dump.due || self.dump.in_flight.is_some();
        self.plan_slots(hold, out);
        if self.dump.dirty && self.dump.in_flight.is_none() && !self.changes_in_flight() {
            self.send_dump(out);
        }
    }

    fn changes_in_flight(&self) -> bool {
        self.slots.iter().any(|s| s.in_flight.is_some())
    }

    fn send_dump(&mut self, out: &mut Vec<Action>) {
        let op = self.take_op();
        self.dump.in_flight = Some(op);
        self.dump.due = false;
        self.dump.dirty = false;
        self.dump.next_at = None;
        out.push(Action::Dump { op });
    }

    fn plan_slots(&mut self, hold: bool, out: &mut Vec<Action>) {
        let Some(kernel) = &self.kernel else {
            return;
        };
        let plans: Vec<Plan> = self
            .slots
            .iter()
            .map(|slot| {
                if slot.in_flight.is_some() || !slot.heard {
                    return Plan::Nothing;
                }
                let desired = slot.desired();
                let actual = kernel.get(&slot.spec.id);
                plan(desired.as_ref(), actual, kernel, slot.rejoin_due)
            })
            .collect();
        for (i, plan) in plans.into_iter().enumerate() {
            if self.slots.get(i).is_none_or(|s| s.in_flight.is_some()) {
                continue;
            }
            let conflict = match &plan {
                Plan::Conflict { holder } => Some(self.conflict_text(i, *holder)),
                _ => None,
            };
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            slot.conflict = conflict;
            let waiting = slot.retry_at.is_some();
            let id = slot.spec.id;
            match plan {
                Plan::Nothing | Plan::Conflict { .. } => continue,
                Plan::Delete { urgent: true } if !waiting => {}
                _ if hold || waiting => continue,
                _ => {}
            }
            let op = self.take_op();
            let (slot_op, action) = match plan {
                Plan::Add(endpoint) => {
                    (SlotOp::Add(endpoint.clone()), Action::Add { op, endpoint })
                }
                Plan::SetFlags(flags) => {
                    (SlotOp::SetFlags(flags), Action::SetFlags { op, id, flags })
                }
                _ => {
                    // Our delete closes every subflow on the endpoint;
                    // those closes are not failed paths.
                    self.subflows.doom(i);
                    (SlotOp::Delete, Action::Delete { op, id })
                }
            };
            if let Some(slot) = self.slots.get_mut(i) {
                if !matches!(slot_op, SlotOp::SetFlags(_)) {
                    // A delete or an add is the re-add a failed join asked for.
                    slot.rejoin_due = false;
                }
                slot.in_flight = Some((op, slot_op));
            }
            out.push(action);
        }
    }

    /// Status text for a slot whose address another endpoint holds.
    fn conflict_text(&self, slot: usize, holder: u8) -> String {
        let addr = self
            .slots
            .get(slot)
            .and_then(|s| s.addr)
            .map_or_else(String::new, |a| format!("{a} "));
        let owner = self.slots.iter().find(|s| s.spec.id == holder);
        let implicit = self
            .kernel
            .as_ref()
            .and_then(|k| k.get(&holder))
            .is_some_and(|e| e.flags.contains(EndpointFlags::IMPLICIT));
        match owner {
            Some(o) => format!(
                "address {addr}is already MPTCP endpoint id {holder} (slot {}); waiting for it to go",
                o.spec.key
            ),
            None if implicit => format!(
                "address {addr}is already implicit MPTCP endpoint id {holder}, made by the kernel \
                 for a connection; not adding until it is gone (delete it with \
                 `ip mptcp endpoint delete id {holder}`)"
            ),
            None => format!(
                "address {addr}is already MPTCP endpoint id {holder}, which is not ours; \
                 not adding until it is gone"
            ),
        }
    }
}
