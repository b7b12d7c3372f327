//! What [`RouteManager::apply`](super::RouteManager::apply) did.

use crate::route::error::RouteError;
use crate::route::plan::RouteOp;
use crate::route::status::WanStatus;

/// The outcome of one `apply` (or `cleanup`).
#[derive(Debug, Default)]
pub struct Report {
    /// Operations carried out (or found already done), in order.
    pub done: Vec<RouteOp>,
    /// Operations the kernel refused, with why; the next `apply` tries
    /// them again.
    pub failed: Vec<Failure>,
    /// Each WAN's status, with the failures above taken into account.
    pub wans: Vec<WanStatus>,
}

/// One refused operation.
#[derive(Debug)]
pub struct Failure {
    /// What was tried.
    pub op: RouteOp,
    /// The kernel's refusal.
    pub error: RouteError,
}

impl Report {
    /// Whether anything was changed (or was to be).
    pub fn changed(&self) -> bool {
        !self.done.is_empty() || !self.failed.is_empty()
    }

    /// Whether every operation succeeded.
    pub fn is_ok(&self) -> bool {
        self.failed.is_empty()
    }
}
