//! The `mpwan` agent: configuration, the supervisor that wires the tracker,
//! MPTCP and BGP parts, the control socket, the CLI, hooks and metrics.
//!
//! `main.rs` parses the command line and calls `commands`; the daemon lives
//! in `daemon` (supervisor, single-instance lock, re-exec); `control` is the
//! socket protocol both sides share; `status` is what `mpwan status` shows.
#![forbid(unsafe_code)]

pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod control;
pub mod daemon;
pub mod hooks;
pub mod logging;
pub mod metrics;
pub mod status;
