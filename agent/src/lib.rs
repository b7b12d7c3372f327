//! The `mpwan` agent: configuration, the supervisor that wires the tracker,
//! MPTCP and BGP parts, the control socket, the CLI, hooks and metrics.
#![forbid(unsafe_code)]

pub mod config;
