//! The reconciler's timing and the limits it sets.

use std::time::Duration;

use crate::endpoint::Limits;

use super::error::ReconcileError;

/// The most either kernel limit may be (`MPTCP_PM_ADDR_MAX`).
pub const KERNEL_MAX_LIMIT: u32 = 8;

/// How the reconciler paces itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileParams {
    /// How often the kernel's endpoints are dumped and compared, so that an
    /// endpoint someone else deleted or changed is repaired within a period.
    pub period: Duration,
    /// The first delay before an operation is retried after a failure, and
    /// before a failed join is retried by re-adding the endpoint.
    pub retry_base: Duration,
    /// The longest such delay; delays double from `retry_base` up to it.
    pub retry_max: Duration,
    /// The namespace's limits, set at start (and again after a failure);
    /// `None` leaves the kernel's limits alone.
    pub limits: Option<Limits>,
    /// How many MPTCP connections the subflow accounting remembers; beyond
    /// it the oldest is forgotten, so a busy server cannot grow memory
    /// without bound.
    pub max_connections: usize,
}

impl Default for ReconcileParams {
    fn default() -> ReconcileParams {
        ReconcileParams {
            period: Duration::from_secs(5),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(30),
            limits: None,
            max_connections: 4096,
        }
    }
}

impl ReconcileParams {
    /// Checks what the reconciler relies on: non-zero delays, a ceiling not
    /// below the base, limits the kernel accepts.
    pub fn validate(&self) -> Result<(), ReconcileError> {
        if self.period.is_zero() {
            return Err(ReconcileError::ZeroDuration { what: "period" });
        }
        if self.retry_base.is_zero() {
            return Err(ReconcileError::ZeroDuration { what: "retry_base" });
        }
        if self.retry_max < self.retry_base {
            return Err(ReconcileError::RetryMaxBelowBase {
                base: self.retry_base,
                max: self.retry_max,
            });
        }
        if let Some(limits) = self.limits {
            for (name, value) in [
                ("subflows", limits.subflows),
                ("add_addr_accepted", limits.add_addr_accepted),
            ] {
                if value > KERNEL_MAX_LIMIT {
                    return Err(ReconcileError::LimitTooHigh { name, value });
                }
            }
        }
        Ok(())
    }
}
