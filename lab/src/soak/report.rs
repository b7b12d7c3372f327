//! What a soak run found: its figures and the violations, printed as a
//! report.

use std::fmt;
use std::time::Duration;

use super::check::{Stats, Violation, secs};
use super::truth::Bounds;
use super::usage::Trend;

/// The outcome of [`super::run`].
#[derive(Debug, Clone)]
pub struct Report {
    pub seed: u64,
    /// How long faults were injected, and the whole run's wall time.
    pub faults: Duration,
    pub wall: Duration,
    pub bounds: Bounds,
    /// (black holes, loss bursts, carrier losses) injected.
    pub injected: (u32, u32, u32),
    pub restarts: u32,
    pub stats: Stats,
    /// The agent's own transition counters, summed over its instances.
    pub agent_transitions: u64,
    /// Bytes of the MPTCP stream verified.
    pub verified: u64,
    /// Peer RIB samples, failed RIB polls, and what was checked.
    pub rib: (usize, u32, super::rib::Checked),
    /// Open files and memory, per agent instance with enough samples.
    pub usage: Vec<Trend>,
    pub violations: Vec<Violation>,
    /// The agents' WARN and ERROR log lines, by message, with counts.
    pub notes: Vec<(String, u32)>,
    /// Where the agents' logs were kept, after a violation.
    pub logs: Option<std::path::PathBuf>,
}

impl Report {
    /// No invariant was broken.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// Faults injected, of every kind.
    pub fn faults_injected(&self) -> u32 {
        let (bh, loss, carrier) = self.injected;
        bh.saturating_add(loss).saturating_add(carrier)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.bounds;
        let s = &self.stats;
        let (bh, loss, carrier) = self.injected;
        writeln!(
            f,
            "soak seed {} (replay: MPWAN_SOAK_SEED={})",
            self.seed, self.seed
        )?;
        writeln!(
            f,
            "  {} of faults, {} in all: {} faults injected ({bh} black holes, {loss} loss bursts, {carrier} carrier losses), {} restarts (kill -9)",
            secs(self.faults),
            secs(self.wall),
            self.faults_injected(),
            self.restarts
        )?;
        writeln!(
            f,
            "  polls {} ({} unanswered); WAN transitions seen wan1 {} wan2 {}; the agents counted {}",
            s.polls, s.failed_polls, s.transitions[0], s.transitions[1], self.agent_transitions
        )?;
        for (kind, d) in &s.detection {
            writeln!(
                f,
                "  {kind} -> down: {} seen, max {} (bound {})",
                d.count,
                secs(d.max),
                secs(d.bound)
            )?;
        }
        writeln!(
            f,
            "  healthy -> up after a detected fault: {} seen, max {} (bound then {}); largest hold-down {} ms",
            s.recovery.count,
            secs(s.recovery.max),
            secs(s.recovery.bound),
            s.max_hold.as_millis()
        )?;
        writeln!(
            f,
            "  hold-down respected on {} recoveries (usable at the earliest {} after it ran out)",
            s.hold_kept.0,
            s.hold_kept.1.map_or("-".to_string(), secs)
        )?;
        writeln!(
            f,
            "  bounds: detect {}, carrier {}, startup {}, follow {}, slack {}",
            secs(b.detect),
            secs(b.carrier),
            secs(b.startup),
            secs(b.follow),
            secs(b.slack)
        )?;
        writeln!(
            f,
            "  MPTCP stream: {} bytes verified, longest stall with a usable path {}",
            self.verified,
            secs(s.max_stall)
        )?;
        let (samples, failed, checked) = self.rib;
        writeln!(
            f,
            "  peer RIB: {samples} changes recorded, {failed} failed polls, {} prefix checks against their condition, {} prefixes kept across the restarts; kernel complete after start/restart {} times",
            checked.conditions, checked.kept, s.gap_checks
        )?;
        for t in &self.usage {
            writeln!(
                f,
                "  agent {}: {} samples, open files {} -> {}, VmRSS {} -> {} KiB (first -> last quarter, medians)",
                t.agent, t.samples, t.fds.0, t.fds.1, t.rss_kib.0, t.rss_kib.1
            )?;
        }
        for (note, n) in &self.notes {
            writeln!(f, "  agent log: {n} x {note}")?;
        }
        if self.violations.is_empty() {
            writeln!(f, "  no invariant broken")
        } else {
            writeln!(
                f,
                "  {} VIOLATIONS (seed {}):",
                self.violations.len(),
                self.seed
            )?;
            for v in &self.violations {
                writeln!(f, "  - [seed {}] {v}", self.seed)?;
            }
            if let Some(dir) = &self.logs {
                writeln!(f, "  the agents' logs: {}", dir.display())?;
            }
            Ok(())
        }
    }
}
