//! The kernel's MPTCP path manager over generic netlink (`mptcp_pm`).
//!
//! How the crate is built:
//! - [`codec`] is pure: `mptcp_pm` commands and replies as [`codec::PmMessage`]
//!   (a `netlink-packet-generic` family type), events through their own
//!   decoder, tested against bytes captured from the kernel.
//! - [`client`] is the thin tokio driver: [`PmClient`] sends commands over a
//!   `netlink-proto` connection (the same netlink-proto as rtnetlink, so one
//!   copy in the tree); [`PmEvents`] reads the `mptcp_pm_events` group on a
//!   socket of its own. Both resolve the family through the generic netlink
//!   controller at run time.
//! - The domain types ([`Endpoint`], [`EndpointFlags`], [`Limits`],
//!   [`PmEvent`]) are plain serde data shared by both.
//! - [`reconcile`] keeps endpoints as the caller's slots want them: a
//!   sans-IO [`reconcile::Reconciler`] (desired against a GET_ADDR dump,
//!   failed-join retries, subflow counts per slot) and its thin driver
//!   [`reconcile::run`] over the client.
//! - [`route`] is the optional per-WAN policy routing: a sans-IO
//!   [`route::plan`] (a table and rules per WAN against what carries
//!   mpwan's routing protocol) and its driver [`route::RouteManager`] over
//!   rtnetlink.
//!
//! Everything acts on the network namespace of the thread that creates the
//! client or the subscription.
#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
mod endpoint;
mod error;
mod event;
mod flags;
pub mod reconcile;
pub mod route;

pub use client::{PmClient, PmEvents, mptcp_enabled, require_enabled};
pub use endpoint::{Endpoint, Limits};
pub use error::{Error, Op, Result};
pub use event::{Connection, Listener, PmEvent, Subflow};
pub use flags::EndpointFlags;
