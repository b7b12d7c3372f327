//! What the health machine asks of its driver: start a probe round, and
//! pass on every state change with the numbers that explain it.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::events::{Family, RoundId};
use crate::quality::Quality;
use crate::state::HealthState;

/// Whose state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The WAN as a whole, combined from its families.
    Wan,
    /// One address family of the WAN.
    Family(Family),
}

/// Why a state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// `rounds` passed rounds in a row (at least `up`) made the family
    /// usable, after a hold-down of `hold_down` (zero when the family had
    /// never been usable before). It becomes `degraded` rather than `up`
    /// when its window breaches a failure limit.
    Passed {
        /// Passed rounds in a row behind the change.
        rounds: u32,
        /// The hold-down that was waited out.
        hold_down: Duration,
    },
    /// `rounds` failed rounds in a row (`down`) made the family down.
    Failed {
        /// Failed rounds in a row behind the change.
        rounds: u32,
    },
    /// The device lost its carrier.
    CarrierLost,
    /// The window's mean RTT is above `failure_latency` and/or its loss is
    /// above `failure_loss`.
    QualityBreached {
        /// The latency limit is breached.
        latency: bool,
        /// The loss limit is breached.
        loss: bool,
    },
    /// Mean RTT and loss are back within the recovery limits.
    QualityRecovered,
    /// The WAN's state follows from its families' states (`None`: the
    /// family is not tracked). The family transitions that caused it come
    /// just before it in the same list of actions.
    Families {
        /// IPv4's state.
        v4: Option<HealthState>,
        /// IPv6's state.
        v6: Option<HealthState>,
    },
}

/// A change of state, of one family or of the WAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The family, or the WAN as a whole.
    pub scope: Scope,
    /// The state before.
    pub from: HealthState,
    /// The state now.
    pub to: HealthState,
    /// When it changed: the `now` of the `handle` call.
    pub since: Instant,
    /// Why.
    pub reason: Reason,
    /// Latency and loss over the window when it changed (for the WAN, over
    /// the windows of all its families).
    pub quality: Quality,
}

/// What the driver must do after a call to `handle`, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send one probe to every target of `family` now, and report the
    /// outcomes as `Event::Round` with this `round` id once every target has
    /// answered or `timeout` has passed, whichever comes first.
    StartRound {
        /// The family to probe.
        family: Family,
        /// Echo this in the `RoundReport`.
        round: RoundId,
    },
    /// A family or the WAN changed state: tell MPTCP, BGP, hooks, status.
    Transition(Transition),
}
