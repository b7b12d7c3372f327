//! What can be wrong with the slots and parameters a reconciler is given.

use std::time::Duration;

use crate::flags::EndpointFlags;

/// A configuration the reconciler refuses; nothing was sent to the kernel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    /// More slots than the kernel's 8 endpoints per namespace.
    #[error("{count} MPTCP endpoints configured, but the kernel allows at most 8 per namespace")]
    TooManySlots {
        /// How many slots were given.
        count: usize,
    },
    /// Endpoint id 0 is the kernel's id of a connection's initial address.
    #[error("MPTCP endpoint {key:?}: id 0 is reserved (ids are 1..=255)")]
    ZeroId {
        /// The slot.
        key: String,
    },
    /// Two slots share an endpoint id.
    #[error("MPTCP endpoints {first:?} and {second:?} both have id {id}")]
    DuplicateId {
        /// The id.
        id: u8,
        /// The slot that has it first.
        first: String,
        /// The slot that has it again.
        second: String,
    },
    /// Two slots share a key, so inputs could not tell them apart.
    #[error("MPTCP endpoint key {key:?} is given twice")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// Flags that cannot be asked for (`implicit` is the kernel's own, and
    /// bits without a name are unknown here).
    #[error("MPTCP endpoint {key:?}: flags {flags} cannot be configured")]
    FlagsNotSettable {
        /// The slot.
        key: String,
        /// The offending flags.
        flags: EndpointFlags,
    },
    /// A duration that must not be zero.
    #[error("MPTCP reconciler: {what} must not be zero")]
    ZeroDuration {
        /// Which parameter.
        what: &'static str,
    },
    /// The retry ceiling is below its base.
    #[error("MPTCP reconciler: retry_max {max:?} is below retry_base {base:?}")]
    RetryMaxBelowBase {
        /// The base.
        base: Duration,
        /// The ceiling.
        max: Duration,
    },
    /// A limit above the kernel's maximum of 8.
    #[error("MPTCP limit {name} = {value} is above the kernel's maximum of 8")]
    LimitTooHigh {
        /// Which limit.
        name: &'static str,
        /// Its value.
        value: u32,
    },
}
