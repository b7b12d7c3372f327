//! What the reconciler asks the driver to do.

use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Limits};
use crate::flags::EndpointFlags;

use super::event::OpId;

/// One `mptcp_pm` command to run; its outcome goes back as an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// SET_LIMITS.
    SetLimits {
        /// Names the action.
        op: OpId,
        /// The limits to set.
        limits: Limits,
    },
    /// GET_ADDR dump; answer with `Dumped`.
    Dump {
        /// Names the action.
        op: OpId,
    },
    /// ADD_ADDR.
    Add {
        /// Names the action.
        op: OpId,
        /// The endpoint to create.
        endpoint: Endpoint,
    },
    /// DEL_ADDR; a missing id is success or `NotFound`, both fine.
    Delete {
        /// Names the action.
        op: OpId,
        /// The endpoint id.
        id: u8,
    },
    /// SET_FLAGS with the full wanted `backup` and `fullmesh` state.
    SetFlags {
        /// Names the action.
        op: OpId,
        /// The endpoint id.
        id: u8,
        /// The endpoint's wanted flags (the kernel takes backup and
        /// fullmesh from them).
        flags: EndpointFlags,
    },
}

impl Action {
    /// The id to report the outcome under.
    pub fn op(&self) -> OpId {
        match self {
            Action::SetLimits { op, .. }
            | Action::Dump { op }
            | Action::Add { op, .. }
            | Action::Delete { op, .. }
            | Action::SetFlags { op, .. } => *op,
        }
    }
}
