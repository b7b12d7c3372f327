//! The tokio driver of one WAN: it runs the probe rounds the health machine
//! asks for, feeds it link events and round reports, and reports every
//! transition and a fresh snapshot after every round. It decides nothing;
//! [`WanHealth`](crate::WanHealth) does.
//!
//! ```text
//!   LinkEvent (this WAN's device) ──┐
//!                                   ▼
//!   sleep_until(next_deadline) ─> WanHealth::handle ─> StartRound ─> round (all targets of a
//!                                   ▲                                 family at once, probers
//!   finished rounds ────────────────┘                                 bound to the WAN)
//!                                   │
//!                                   └─> WanReport::{Transition, Snapshot} ─> agent
//!                                        (Snapshot: health figures and the
//!                                         probe results counted per target)
//! ```
//!
//! Call [`run_wan`] inside a tokio runtime, one task per WAN; it returns
//! when its input channel closes or its report channel is dropped.

mod counts;
mod probers;
mod round;
mod spec;
mod wan;

pub use counts::ProbeCounts;
pub use spec::{ProbeSpec, WanSpec};
pub use wan::{WanFigures, WanReport, run_wan};
