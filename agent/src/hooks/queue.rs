//! The events of one WAN waiting for their hooks: first in, first out, with
//! a bound. Plain data, no I/O, so the drop policy is tested directly.

use std::collections::VecDeque;

use super::event::HookEvent;

/// How many events of one WAN may wait while its hooks run. A hook stuck
/// until its timeout while the link flaps must not make the agent grow
/// without bound; 64 is hours of flapping at a sane tracker interval.
pub const MAX_PENDING: usize = 64;

/// Pending events of one WAN, oldest first.
#[derive(Debug)]
pub struct EventQueue {
    pending: VecDeque<HookEvent>,
    /// At least 1: the newest event always has a place.
    bound: usize,
    /// Events dropped since the last `pop`, reported with the next event so
    /// a flapping link gives one warning per burst, not one per event.
    dropped: u32,
}

/// What `push` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// The event waits at the back.
    Queued,
    /// The queue was full: its oldest event was dropped for the new one.
    /// `first` is true for the first drop since the last `pop`.
    DroppedOldest { first: bool },
}

impl EventQueue {
    /// A queue holding at most `bound` events (0 is taken as 1).
    pub fn new(bound: usize) -> EventQueue {
        EventQueue {
            pending: VecDeque::new(),
            bound: bound.max(1),
            dropped: 0,
        }
    }

    /// Adds `ev` at the back. When full, the oldest waiting event goes, never
    /// the new one: the latest state is what the hooks must end up seeing.
    pub fn push(&mut self, ev: HookEvent) -> Pushed {
        let mut outcome = Pushed::Queued;
        while self.pending.len() >= self.bound {
            self.pending.pop_front();
            outcome = Pushed::DroppedOldest {
                first: self.dropped == 0,
            };
            self.dropped = self.dropped.saturating_add(1);
        }
        self.pending.push_back(ev);
        outcome
    }

    /// The oldest waiting event, with how many events were dropped since the
    /// previous `pop` (they were older than it).
    pub fn pop(&mut self) -> Option<(HookEvent, u32)> {
        let ev = self.pending.pop_front()?;
        Some((ev, std::mem::take(&mut self.dropped)))
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}
