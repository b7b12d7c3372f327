//! WAN health tracking: probes (ICMP, DNS, HTTP, link events) and the
//! health state machine that turns probe rounds into WAN states.
//!
//! How the crate is built:
//!
//! - [`health`] is the decision core, sans-IO in the quinn-proto manner:
//!   [`health::WanHealth`] takes [`events::Event`]s with `now` passed in
//!   and returns [`actions::Action`]s, and says through `next_deadline()`
//!   when it must be called again. No sockets, no tokio, no clock; its
//!   tests run on virtual time.
//! - [`events`], [`actions`], [`state`] and [`quality`] are the plain data
//!   shared by the core, its drivers and the agent (serde where it helps a
//!   recorded event log or status).
//! - Probe drivers (ICMP, DNS, HTTP, the rtnetlink link watcher) do the I/O
//!   with tokio and feed the core; they live in their own modules.
#![forbid(unsafe_code)]

pub mod actions;
pub mod driver;
pub mod error;
pub mod events;
pub mod health;
pub mod link;
pub mod probe;
pub mod quality;
pub mod state;

pub use actions::{Action, Reason, Scope, Transition};
pub use error::ParamsError;
pub use events::{ErrorKind, Event, Family, Outcome, RoundId, RoundReport, TargetId, TargetResult};
pub use health::{FamilyHealth, HealthParams, WanHealth};
pub use quality::Quality;
pub use state::HealthState;
