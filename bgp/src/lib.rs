//! An embeddable BGP speaker: wire codec, session FSM, Graceful Restart,
//! Adj-RIB-In/Out and the announce policy.
//!
//! How it is built: `wire` is a pure codec (bytes in, typed messages or
//! RFC-classified errors out; no I/O, no clock, no panics on input).
//! `session` is the per-peer FSM with Graceful Restart and the Adj-RIB-In,
//! a sans-IO state machine (`handle(event, now) -> actions`,
//! `next_deadline()`) driven by a thin tokio driver that owns the sockets.
#![forbid(unsafe_code)]

pub mod session;
pub mod wire;
