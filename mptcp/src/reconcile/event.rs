//! What the driver tells the reconciler.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::client::diag::SubflowInfo;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::event::PmEvent;

use super::slot::SlotInput;

/// Names one action, so its outcome can be reported back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OpId(pub u64);

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op {}", self.0)
    }
}

/// An input of the reconciler. Every action it emits must be answered:
/// a `Dump` with [`Event::Dumped`] or a failed [`Event::Done`], any other
/// action with [`Event::Done`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The caller's view of a slot changed (health, address or device).
    SlotChanged(SlotInput),
    /// A `Dump` succeeded: every endpoint the kernel holds.
    Dumped {
        /// The dump's action.
        op: OpId,
        /// The kernel's endpoints, ours and others'.
        endpoints: Vec<Endpoint>,
    },
    /// An action finished.
    Done {
        /// The action.
        op: OpId,
        /// Its outcome.
        result: Result<(), OpFailure>,
    },
    /// A path-manager event, for subflow accounting and join confirmation.
    Pm(PmEvent),
    /// The kernel dropped path-manager events (socket buffer full).
    EventsLost,
    /// The kernel's live subflows (a `sock_diag` dump taken after the
    /// event subscription and a GET_ADDR dump): counts the subflows of
    /// connections older than the reconciler, whose events it never saw.
    Subflows {
        /// Every established MPTCP subflow found.
        subflows: Vec<SubflowInfo>,
    },
    /// Time passed; due timers fire.
    Tick,
}

/// What kind of failure an operation met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// No endpoint has the id.
    NotFound,
    /// The id (EBUSY) or the address (EEXIST) belongs to another endpoint.
    Exists,
    /// MPTCP is disabled or missing in the namespace; nothing was sent.
    Disabled,
    /// Anything else.
    Other,
}

/// Why an operation failed, in the driver's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpFailure {
    /// The kind, which decides what the reconciler does next.
    pub kind: FailureKind,
    /// The error as text, shown in status.
    pub message: String,
}

impl OpFailure {
    /// A failure of `kind` saying `message`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> OpFailure {
        OpFailure {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for OpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<&Error> for OpFailure {
    fn from(error: &Error) -> OpFailure {
        let kind = match error {
            Error::NotFound { .. } => FailureKind::NotFound,
            Error::Exists { .. } => FailureKind::Exists,
            Error::Disabled | Error::FamilyMissing { .. } | Error::GroupMissing { .. } => {
                FailureKind::Disabled
            }
            _ => FailureKind::Other,
        };
        OpFailure::new(kind, error.to_string())
    }
}
