//! The states a family or a whole WAN can be in.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Health of one address family of a WAN, or of the WAN as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Nothing decided yet: fewer than `up` passed or `down` failed rounds
    /// in a row since the tracker started.
    #[default]
    Init,
    /// Usable, and latency and loss are within their limits.
    Up,
    /// Usable, but latency or loss breached a failure limit and has not
    /// come back within the recovery limits: use it as a backup.
    Degraded,
    /// Not usable: `down` failed rounds in a row, or carrier loss, and not
    /// yet recovered (including the hold-down).
    Down,
}

impl HealthState {
    /// Whether traffic may use the WAN: `up` or `degraded`.
    pub fn is_usable(self) -> bool {
        matches!(self, HealthState::Up | HealthState::Degraded)
    }

    /// The lowercase name serde writes: "init", "up", "degraded", "down".
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Init => "init",
            HealthState::Up => "up",
            HealthState::Degraded => "degraded",
            HealthState::Down => "down",
        }
    }
}

impl fmt::Display for HealthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
