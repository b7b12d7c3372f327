//! What the reconciler keeps per slot.

use std::net::IpAddr;
use std::time::Instant;

use crate::endpoint::Endpoint;
use crate::flags::EndpointFlags;

use super::backoff::Backoff;
use super::event::OpId;
use super::params::ReconcileParams;
use super::slot::{SlotInput, SlotSpec, Usable, desired_endpoint, wanted_flags};

/// An operation on a slot's endpoint, remembered until its outcome comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SlotOp {
    Add(Endpoint),
    Delete,
    SetFlags(EndpointFlags),
}

#[derive(Debug)]
pub(crate) struct SlotState {
    pub spec: SlotSpec,
    /// An input has come. Until then the endpoint is left as the kernel
    /// has it: a restarted daemon must not delete endpoints (and tear down
    /// their subflows) before it knows how the paths are.
    pub heard: bool,
    /// The caller's latest word on the path.
    pub usable: Usable,
    /// The latest address of the slot's family (one of another family is
    /// refused and recorded in `input_error`).
    pub addr: Option<IpAddr>,
    pub ifindex: Option<u32>,
    /// What was wrong with the latest input.
    pub input_error: Option<String>,
    /// The one operation in flight on this slot, if any.
    pub in_flight: Option<(OpId, SlotOp)>,
    /// After a failed operation: no new one (other than an urgent delete)
    /// before this.
    pub retry_at: Option<Instant>,
    /// Delays after failed operations; reset by a successful one.
    pub op_backoff: Backoff,
    /// Delays before re-adding after failed joins; reset only by a joined
    /// subflow (a re-add succeeding says nothing about the path).
    pub join_backoff: Backoff,
    /// A join failed: the endpoint is re-added (delete, then add) at this
    /// time, for the kernel never retries a failed join by itself.
    pub rejoin_at: Option<Instant>,
    /// `rejoin_at` has passed; the re-add goes out when the slot is free.
    pub rejoin_due: bool,
    /// Until then, closes of subflows we never saw established are taken
    /// as our own delete's doing, not as failed joins. Not a deadline:
    /// nothing is due when it passes.
    pub quiet_until: Option<Instant>,
    /// The latest failed operation, cleared by a successful one.
    pub last_error: Option<String>,
    /// Another endpoint holds the slot's address (found in the dump); no
    /// add is tried while it does.
    pub conflict: Option<String>,
}

impl SlotState {
    pub fn new(spec: SlotSpec, params: &ReconcileParams) -> SlotState {
        SlotState {
            spec,
            heard: false,
            usable: Usable::Absent,
            addr: None,
            ifindex: None,
            input_error: None,
            in_flight: None,
            retry_at: None,
            op_backoff: Backoff::new(params.retry_base, params.retry_max),
            join_backoff: Backoff::new(params.retry_base, params.retry_max),
            rejoin_at: None,
            rejoin_due: false,
            quiet_until: None,
            last_error: None,
            conflict: None,
        }
    }

    /// Takes in the caller's new view of the slot.
    pub fn apply(&mut self, input: SlotInput) {
        self.heard = true;
        self.usable = input.usable;
        self.ifindex = input.ifindex;
        self.input_error = None;
        self.addr = match input.addr {
            Some(a) if !self.spec.family.matches(a) => {
                self.input_error = Some(format!(
                    "address {a} is not of the endpoint's family ({:?})",
                    self.spec.family
                ));
                None
            }
            other => other,
        };
        if self.desired().is_none() {
            // A slot that is not wanted has no join to retry.
            self.rejoin_at = None;
            self.rejoin_due = false;
        }
    }

    /// The endpoint this slot wants in the kernel now.
    pub fn desired(&self) -> Option<Endpoint> {
        desired_endpoint(&self.spec, self.usable, self.addr, self.ifindex)
    }

    /// The flags the endpoint has or would have.
    pub fn wanted_flags(&self) -> EndpointFlags {
        wanted_flags(self.spec.base_flags, self.usable)
    }

    /// The error status shows for the slot itself.
    pub fn error(&self) -> Option<&str> {
        self.input_error
            .as_deref()
            .or(self.conflict.as_deref())
            .or(self.last_error.as_deref())
    }

    /// Whether a delete of this slot is in flight.
    pub fn deleting(&self) -> bool {
        matches!(self.in_flight, Some((_, SlotOp::Delete)))
    }
}
