//! An embeddable BGP speaker: wire codec, session FSM, Graceful Restart,
//! Adj-RIB-In/Out and the announce policy.
//!
//! How it is built: `wire` is a pure codec (bytes in, typed messages or
//! RFC-classified errors out; no I/O, no clock, no panics on input).
//! `session` is the per-peer FSM with Graceful Restart and the Adj-RIB-In,
//! a sans-IO state machine (`handle(event, now) -> actions`,
//! `next_deadline()`) driven by `driver`, the thin tokio layer that owns the
//! sockets (TCP MD5 and GTSM through nix's `sockopt_impl!`, no unsafe here).
//! `announce` holds the announce policy (condition changes in, prefix
//! states out) and the per-session Adj-RIB-Out, which writes UPDATE frames.
#![forbid(unsafe_code)]

pub mod announce;
pub mod driver;
pub mod session;
pub mod wire;
