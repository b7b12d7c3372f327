//! Status for the caller.

use super::super::status::{ReconcileStats, SlotStatus};
use super::Reconciler;

impl Reconciler {
    /// Every slot, in the order given to [`Reconciler::new`].
    pub fn snapshot(&self) -> Vec<SlotStatus> {
        let shared = self.dump.error.as_deref().or(self.limits.error.as_deref());
        self.slots
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let actual = self.kernel.as_ref().and_then(|k| k.get(&slot.spec.id));
                SlotStatus {
                    key: slot.spec.key.clone(),
                    id: slot.spec.id,
                    family: slot.spec.family,
                    addr: actual.map(|a| a.addr).or(slot.addr),
                    flags: actual.map_or_else(|| slot.wanted_flags(), |a| a.flags),
                    present: actual.is_some(),
                    subflows: self.subflows.count(i),
                    last_error: slot.error().or(shared).map(str::to_owned),
                }
            })
            .collect()
    }

    /// Counters of the whole.
    pub fn stats(&self) -> ReconcileStats {
        ReconcileStats {
            connections: self.subflows.connections(),
            evicted_connections: self.subflows.evicted(),
            events_lost: self.events_lost,
            stale_answers: self.stale_answers,
            unknown_keys: self.unknown_keys,
        }
    }
}
