//! The reconciler: one state machine for every slot of a namespace.
//!
//! Call [`Reconciler::handle`] with every event and run the actions it
//! returns, in order; call it with [`Event::Tick`] when
//! [`Reconciler::next_deadline`] has passed (the first deadline is the
//! creation time: a `Tick` then starts the work with `SetLimits` and
//! `Dump`). Read [`Reconciler::snapshot`] after any call.

mod answers;
mod pm;
mod poll;
mod report;

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use crate::endpoint::Endpoint;

use super::action::Action;
use super::backoff::Backoff;
use super::error::ReconcileError;
use super::event::{Event, OpId};
use super::params::ReconcileParams;
use super::slot::{SETTABLE_FLAGS, SlotInput, SlotSpec};
use super::state::SlotState;
use super::subflows::SubflowTable;

/// The kernel allows this many endpoints per namespace.
pub const MAX_SLOTS: usize = 8;

/// SET_LIMITS: once at start, again after a failure.
#[derive(Debug)]
struct LimitsState {
    /// A SET_LIMITS is to be sent.
    due: bool,
    in_flight: Option<OpId>,
    /// After a failure: when to try again.
    retry_at: Option<Instant>,
    backoff: Backoff,
    /// The latest failure, until a success.
    error: Option<String>,
}

/// The GET_ADDR dump that tells what the kernel holds.
#[derive(Debug)]
struct DumpState {
    /// A dump is wanted (start, period, failure retry, lost events); it
    /// holds back new changes, so their answers and the dump cannot cross.
    due: bool,
    /// A change finished since the last dump was sent: dump once no change
    /// is in flight, to see the result.
    dirty: bool,
    in_flight: Option<OpId>,
    /// The next periodic dump, or the retry after a failed one.
    next_at: Option<Instant>,
    backoff: Backoff,
    /// The latest failure, until a success.
    error: Option<String>,
}

/// Keeps the kernel's endpoints as the slots want them. Sans-IO: it sends
/// nothing and reads no clock; see the module documentation for the calls.
#[derive(Debug)]
pub struct Reconciler {
    slots: Vec<SlotState>,
    params: ReconcileParams,
    /// The kernel's endpoints by id, as of the last dump and our own
    /// successful operations since; `None` until the first dump, and no
    /// change is made before it.
    kernel: Option<BTreeMap<u8, Endpoint>>,
    /// The next action's id.
    next_op: u64,
    /// When the reconciler was made: its first deadline.
    created: Instant,
    /// `handle` has run at least once.
    started: bool,
    limits: LimitsState,
    dump: DumpState,
    subflows: SubflowTable,
    events_lost: u64,
    stale_answers: u64,
    unknown_keys: u64,
}

impl Reconciler {
    /// A reconciler for `slots` (at most 8, ids 1..=255 and unique, keys
    /// unique). Until its first input, a slot's endpoint is left as the
    /// kernel has it, neither added nor deleted, so that a restarted
    /// daemon takes over its endpoints without tearing down subflows.
    pub fn new(
        slots: Vec<SlotSpec>,
        params: ReconcileParams,
        now: Instant,
    ) -> Result<Reconciler, ReconcileError> {
        params.validate()?;
        validate_slots(&slots)?;
        let backoff = || Backoff::new(params.retry_base, params.retry_max);
        Ok(Reconciler {
            subflows: SubflowTable::new(slots.len(), params.max_connections),
            slots: slots
                .into_iter()
                .map(|s| SlotState::new(s, &params))
                .collect(),
            kernel: None,
            next_op: 1,
            created: now,
            started: false,
            limits: LimitsState {
                due: params.limits.is_some(),
                in_flight: None,
                retry_at: None,
                backoff: backoff(),
                error: None,
            },
            dump: DumpState {
                due: true,
                dirty: false,
                in_flight: None,
                next_at: None,
                backoff: backoff(),
                error: None,
            },
            params,
            events_lost: 0,
            stale_answers: 0,
            unknown_keys: 0,
        })
    }

    /// Takes in one event at `now` and returns the actions to run, in
    /// order. Every action must be answered with an event.
    pub fn handle(&mut self, event: Event, now: Instant) -> Vec<Action> {
        self.started = true;
        // Timers first: the event must see only what is still pending.
        self.fire_timers(now);
        match event {
            Event::SlotChanged(input) => self.slot_changed(input),
            Event::Dumped { op, endpoints } => self.dumped(op, endpoints, now),
            Event::Done { op, result } => self.done(op, result, now),
            Event::Pm(event) => self.pm_event(event, now),
            Event::Subflows { subflows } => self.seed_subflows(subflows),
            Event::EventsLost => {
                self.events_lost = self.events_lost.saturating_add(1);
                self.dump.due = true;
            }
            Event::Tick => {}
        }
        let mut actions = Vec::new();
        self.poll(&mut actions);
        actions
    }

    /// When to call `handle(Event::Tick, ..)` next, if nothing else
    /// happens first; `None`: only events move it.
    pub fn next_deadline(&self) -> Option<Instant> {
        if !self.started {
            return Some(self.created);
        }
        let slots = self.slots.iter().flat_map(|s| [s.retry_at, s.rejoin_at]);
        [self.dump.next_at, self.limits.retry_at]
            .into_iter()
            .chain(slots)
            .flatten()
            .min()
    }

    fn slot_changed(&mut self, input: SlotInput) {
        let Some(slot) = self.slots.iter_mut().find(|s| s.spec.key == input.key) else {
            self.unknown_keys = self.unknown_keys.saturating_add(1);
            tracing::warn!(key = %input.key, "MPTCP input for an unknown endpoint slot ignored");
            return;
        };
        let wanted_before = slot.desired().is_some();
        slot.apply(input);
        if wanted_before && slot.desired().is_none() {
            // An unwanted endpoint goes at once, whatever an earlier
            // failure's back-off said.
            slot.retry_at = None;
        }
    }

    /// Turns passed deadlines into due work, so that `next_deadline` only
    /// ever names the future.
    fn fire_timers(&mut self, now: Instant) {
        if self.dump.next_at.is_some_and(|t| t <= now) {
            self.dump.next_at = None;
            self.dump.due = true;
        }
        if self.limits.retry_at.is_some_and(|t| t <= now) {
            self.limits.retry_at = None;
            self.limits.due = true;
        }
        for slot in &mut self.slots {
            if slot.retry_at.is_some_and(|t| t <= now) {
                slot.retry_at = None;
            }
            if slot.rejoin_at.is_some_and(|t| t <= now) {
                slot.rejoin_at = None;
                slot.rejoin_due = true;
            }
            if slot.quiet_until.is_some_and(|t| t <= now) {
                slot.quiet_until = None;
            }
        }
    }

    fn take_op(&mut self) -> OpId {
        let op = OpId(self.next_op);
        self.next_op = self.next_op.wrapping_add(1);
        op
    }
}

fn validate_slots(slots: &[SlotSpec]) -> Result<(), ReconcileError> {
    if slots.len() > MAX_SLOTS {
        return Err(ReconcileError::TooManySlots { count: slots.len() });
    }
    let mut keys = HashSet::new();
    let mut ids: BTreeMap<u8, &str> = BTreeMap::new();
    for slot in slots {
        if !keys.insert(slot.key.as_str()) {
            return Err(ReconcileError::DuplicateKey {
                key: slot.key.clone(),
            });
        }
        if slot.id == 0 {
            return Err(ReconcileError::ZeroId {
                key: slot.key.clone(),
            });
        }
        if let Some(first) = ids.insert(slot.id, &slot.key) {
            return Err(ReconcileError::DuplicateId {
                id: slot.id,
                first: first.to_owned(),
                second: slot.key.clone(),
            });
        }
        let unsettable = slot.base_flags & !SETTABLE_FLAGS;
        if !unsettable.is_empty() {
            return Err(ReconcileError::FlagsNotSettable {
                key: slot.key.clone(),
                flags: unsettable,
            });
        }
    }
    Ok(())
}
