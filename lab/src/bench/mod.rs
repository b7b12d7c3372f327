//! What the benchmark binaries (`mpwan-bench-mptcp`, `mpwan-bench-tracker`,
//! `mpwan-bench-bgp`, `mpwan-bench-footprint`) share: their command line
//! and lab setup ([`cli`]), the agent under measurement and the reading of
//! its growing JSON log ([`agent`]), a process's memory from
//! `/proc/PID/status` ([`memory`]), the min / median / max of their samples
//! and their tables ([`stats`]), and the figures they hand to `bench/run`
//! ([`summary`]). Each binary keeps what only it measures in its own folder
//! under `src/bin/`, except the BGP and footprint benchmarks, whose
//! speakers, MRT loading and scenarios live in [`bgp`] and [`footprint`].

pub mod agent;
pub mod bgp;
pub mod cli;
pub mod footprint;
pub mod memory;
pub mod stats;
pub mod summary;

use std::time::SystemTime;

/// The wall clock, to compare with the agent's and `ip`'s timestamps.
#[allow(
    clippy::disallowed_methods,
    reason = "the benchmark compares its own wall-clock readings with timestamps other processes took from the same clock"
)]
pub fn wall_now() -> SystemTime {
    SystemTime::now()
}
