//! Errors of the tracker crate.

use std::time::Duration;

use crate::events::{Family, TargetId};

/// Parameters or targets the health machine refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// A count or a duration that must be positive is zero.
    #[error("{name} must be greater than zero")]
    Zero {
        /// The parameter's name.
        name: &'static str,
    },
    /// A duration longer than the tracker accepts.
    #[error("{name} must be at most {max:?}")]
    TooLong {
        /// The parameter's name.
        name: &'static str,
        /// The longest accepted.
        max: Duration,
    },
    /// A percentage above 100.
    #[error("{name} is {value}%, more than 100%")]
    PercentAbove100 {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: u8,
    },
    /// A recovery limit looser than its failure limit (no hysteresis band).
    #[error("{recovery} must not exceed {failure}")]
    RecoveryAboveFailure {
        /// The recovery limit's name.
        recovery: &'static str,
        /// The failure limit's name.
        failure: &'static str,
    },
    /// A window size out of range.
    #[error("window must hold 1 to {max} rounds, not {value}")]
    Window {
        /// The value given.
        value: u32,
        /// The largest accepted.
        max: u32,
    },
    /// Neither family has a target.
    #[error("no probe target for either address family")]
    NoTargets,
    /// More targets in one family than the tracker accepts.
    #[error("{family} has {count} targets, more than {max}")]
    TooManyTargets {
        /// The family.
        family: Family,
        /// Targets given.
        count: usize,
        /// The most accepted.
        max: usize,
    },
    /// One target listed twice in a family.
    #[error("{family} lists target {target} twice")]
    DuplicateTarget {
        /// The family.
        family: Family,
        /// The repeated target.
        target: TargetId,
    },
    /// A round of this family could never pass.
    #[error("reliability {reliability} exceeds the {targets} {family} targets")]
    ReliabilityAboveTargets {
        /// The family.
        family: Family,
        /// `reliability` as configured.
        reliability: u32,
        /// Targets in the family.
        targets: usize,
    },
}
