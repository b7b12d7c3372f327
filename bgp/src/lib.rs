//! An embeddable BGP speaker: wire codec, session FSM, Graceful Restart,
//! Adj-RIB-In/Out and the announce policy.
//!
//! How it is built: `wire` is a pure codec (bytes in, typed messages or
//! RFC-classified errors out; no I/O, no clock, no panics on input). The
//! session layers above it are sans-IO state machines driven by a thin
//! tokio driver.
#![forbid(unsafe_code)]

pub mod wire;
