//! The endpoint reconciler: keeps the kernel's MPTCP endpoints as the
//! caller's slots want them, and counts subflows per slot.
//!
//! The caller (for mpwan, the agent) knows nothing of netlink and the
//! reconciler nothing of WAN health: each [`SlotSpec`] is one endpoint the
//! operator configured, and a [`SlotInput`] says whether its path is
//! usable, degraded or gone, with the address and device to use.
//!
//! - [`Reconciler`] is the sans-IO core: `handle(event, now) -> actions`,
//!   `next_deadline()`, `snapshot()`. It compares what the slots want with
//!   what the kernel holds (a GET_ADDR dump at start, after changes and
//!   every `period`), touches only its own ids, and never flushes.
//!   Rules: unwanted -> delete at once; wanted and missing -> add; another
//!   address, device, `signal` or `subflow` -> delete, then add (same id);
//!   only `backup`/`fullmesh` differ -> SET_FLAGS in place (a degraded
//!   path keeps its subflows). Failed operations back off (doubling from
//!   `retry_base` to `retry_max`); a subflow closed with an error while the
//!   slot is wanted re-adds the endpoint after such a back-off, because the
//!   kernel never retries a failed join.
//! - [`run`] is the thin tokio driver over [`crate::PmClient`] and
//!   [`crate::PmEvents`].

mod action;
mod backoff;
mod driver;
mod error;
mod event;
mod params;
mod plan;
mod reconciler;
mod slot;
mod state;
mod status;
mod subflows;

#[cfg(test)]
mod tests;

pub use action::Action;
pub use driver::run;
pub use error::ReconcileError;
pub use event::{Event, FailureKind, OpFailure, OpId};
pub use params::{KERNEL_MAX_LIMIT, ReconcileParams};
pub use reconciler::{MAX_SLOTS, Reconciler};
pub use slot::{Family, SETTABLE_FLAGS, SlotInput, SlotKey, SlotSpec, Usable};
pub use status::{ReconcileStats, SlotStatus};
