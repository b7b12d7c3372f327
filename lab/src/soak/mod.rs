//! The fault soak (issue 7): the lab with the real agent, an MPTCP stream
//! through both WANs and a gobgpd peer, under a seeded random schedule of
//! black holes, loss bursts, carrier losses and `kill -9`s of the agent,
//! with invariants checked a few times a second. Used by the CI test
//! `agent/tests/soak.rs` (about a minute) and by `bench/soak`
//! (`mpwan-soak`, ten minutes by default).
//!
//! ```text
//!  schedule (seed) ──> Lab::blackhole / loss / carrier_down / restore ──> Timeline per WAN (truth)
//!                 └──> kill -9 + new agent (same config and state dir) ──> Restart records
//!  every poll (250 ms): mpwan status --json ─┐
//!                       ip in gw (endpoints, ─┼─> Checker: WAN state vs truth, endpoint vs
//!                         rules, routes)      │   family state, duplicates and gaps, stream
//!                       stream progress ─────┘   progress, agent alive, no panic
//!  RibWatch (gobgpd RIB every 100 ms) ──> at the end: prefix iff condition, kept across restarts
//!  /proc/PID/{fd,status} every second ──> first vs last quarter per agent
//! ```
//!
//! The invariants, and the slack each allows, are in [`truth`] (WAN state
//! against the faults, bounds derived from the tracker timers),
//! [`check`] (endpoints, kernel, stream) and [`rib`] (the peer). A
//! violation names the seed, the time since the faults began, what was
//! expected and what was seen; `MPWAN_SOAK_SEED=<seed>` (or
//! `mpwan-soak --seed`) replays the same schedule (the agent's own timing
//! still varies). A failed run keeps the agents' logs in
//! `<tmp>/mpwan-soak-<seed>/`. Open files and VmRSS are compared per agent
//! process, median of the first quarter of its samples against the last
//! ([`usage`]: +4 files, +max(1 MiB, 15 %) allowed).

pub mod check;
pub mod kernel;
pub mod report;
pub mod rib;
mod run;
pub mod schedule;
pub mod truth;
pub mod usage;
pub mod view;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

pub use report::Report;
pub use run::run;

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The `mpwan` binary.
    pub mpwan: PathBuf,
    /// How long faults are injected; the run then waits for every WAN to
    /// come back.
    pub faults: Duration,
    /// How many times the agent is killed and restarted.
    pub crashes: u32,
    /// The schedule's seed; `None`: `MPWAN_SOAK_SEED` if set, else a
    /// random one (printed either way).
    pub seed: Option<u64>,
    /// Time between two polls of the agent and the kernel.
    pub poll: Duration,
    /// How long the MPTCP stream may make no progress while a healthy WAN
    /// is usable with its endpoint present: TCP's own retransmission
    /// back-off, not our timers, sets this, so it is generous.
    pub stream_stall: Duration,
}

impl Options {
    pub fn new(mpwan: PathBuf, faults: Duration, crashes: u32) -> Options {
        Options {
            mpwan,
            faults,
            crashes,
            seed: None,
            poll: Duration::from_millis(250),
            stream_stall: Duration::from_secs(10),
        }
    }
}

/// `MPWAN_SOAK_SEED`, if set: the seed of a run to replay.
fn seed_from_env() -> Result<Option<u64>> {
    match std::env::var("MPWAN_SOAK_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .map(Some)
            .with_context(|| format!("MPWAN_SOAK_SEED={s:?} is not a number")),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(e) => Err(e).context("MPWAN_SOAK_SEED"),
    }
}
