//! The driver's answers: dumps and the outcomes of operations.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::endpoint::Endpoint;
use crate::flags::EndpointFlags;

use super::super::event::{FailureKind, OpFailure, OpId};
use super::super::state::SlotOp;
use super::Reconciler;

/// After our own delete, closes of subflows we never saw established are
/// taken as its doing for this long. The kernel sends them within
/// milliseconds; a join that really fails takes seconds (SYN timeouts).
pub(super) const SELF_CLOSE_GRACE: Duration = Duration::from_secs(2);

impl Reconciler {
    pub(super) fn dumped(&mut self, op: OpId, endpoints: Vec<Endpoint>, now: Instant) {
        if self.dump.in_flight != Some(op) {
            self.stale_answers = self.stale_answers.saturating_add(1);
            return;
        }
        self.dump.in_flight = None;
        self.dump.error = None;
        self.dump.backoff.reset();
        self.dump.next_at = now.checked_add(self.params.period);
        self.kernel = Some(endpoints.into_iter().map(|e| (e.id, e)).collect());
    }

    pub(super) fn done(&mut self, op: OpId, result: Result<(), OpFailure>, now: Instant) {
        if self.limits.in_flight == Some(op) {
            self.limits.in_flight = None;
            match result {
                Ok(()) => {
                    self.limits.error = None;
                    self.limits.backoff.reset();
                }
                Err(failure) => {
                    self.limits.error = Some(failure.message);
                    self.limits.retry_at = now.checked_add(self.limits.backoff.take());
                }
            }
            return;
        }
        if self.dump.in_flight == Some(op) {
            self.dump.in_flight = None;
            // A dump's success is `Dumped`; a plain success here carries no
            // endpoints and counts as a failure, so the dump is retried.
            let failure = result.err().unwrap_or_else(|| {
                OpFailure::new(
                    FailureKind::Other,
                    "the driver answered a dump without endpoints",
                )
            });
            self.dump.error = Some(failure.message);
            self.dump.next_at = now.checked_add(self.dump.backoff.take());
            return;
        }
        self.slot_done(op, result, now);
    }

    fn slot_done(&mut self, op: OpId, result: Result<(), OpFailure>, now: Instant) {
        let Some(slot) = self
            .slots
            .iter_mut()
            .find(|s| s.in_flight.as_ref().is_some_and(|(id, _)| *id == op))
        else {
            self.stale_answers = self.stale_answers.saturating_add(1);
            return;
        };
        let Some((_, slot_op)) = slot.in_flight.take() else {
            return;
        };
        // See what the changes made of the kernel once they are all done.
        self.dump.dirty = true;
        let id = slot.spec.id;
        // Changes go out only once the kernel is known; the scratch map
        // keeps this total should an answer come without one.
        let mut scratch = BTreeMap::new();
        let kernel = self.kernel.as_mut().unwrap_or(&mut scratch);
        let failure = match (slot_op, result) {
            (SlotOp::Add(endpoint), Ok(())) => {
                kernel.insert(endpoint.id, endpoint);
                None
            }
            (SlotOp::Delete, Ok(())) => {
                kernel.remove(&id);
                slot.quiet_until = now.checked_add(SELF_CLOSE_GRACE);
                None
            }
            (SlotOp::Delete, Err(f)) if f.kind == FailureKind::NotFound => {
                kernel.remove(&id);
                None
            }
            (SlotOp::SetFlags(flags), Ok(())) => {
                if let Some(e) = kernel.get_mut(&id) {
                    let changeable = EndpointFlags::CHANGEABLE;
                    e.flags = (e.flags & !changeable) | (flags & changeable);
                }
                None
            }
            (SlotOp::SetFlags(_), Err(f)) if f.kind == FailureKind::NotFound => {
                // Someone deleted it meanwhile: an add follows.
                kernel.remove(&id);
                None
            }
            (_, Err(failure)) => Some(failure),
        };
        match failure {
            None => {
                slot.last_error = None;
                slot.retry_at = None;
                slot.op_backoff.reset();
            }
            Some(failure) => {
                // EBUSY/EEXIST, a disabled MPTCP or any other refusal: wait
                // (doubling) rather than loop; the dump that follows shows
                // who holds the id or address.
                let delay = slot.op_backoff.take();
                if failure.kind == FailureKind::Disabled {
                    // The driver has said so once already.
                    tracing::debug!(slot = %slot.spec.key, retry_in = ?delay, "{failure}");
                } else {
                    tracing::warn!(
                        slot = %slot.spec.key,
                        retry_in = ?delay,
                        "MPTCP endpoint operation failed: {failure}"
                    );
                }
                slot.last_error = Some(failure.message);
                slot.retry_at = now.checked_add(delay);
            }
        }
    }
}
