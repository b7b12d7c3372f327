//! Probe results counted per target, for metrics: how many probes a target
//! answered, let time out, or failed at once, since the WAN's task started.
//! Plain `u64`s owned by the WAN's task (no atomics: 32-bit MIPS routers
//! have no 64-bit ones), saturating instead of wrapping.

use serde::{Deserialize, Serialize};

use crate::events::{Outcome, RoundReport};

/// The results of one target's probes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCounts {
    /// Probes answered (an echo reply, a DNS answer, the expected HTTP
    /// status).
    pub ok: u64,
    /// Probes with no answer within `timeout`.
    pub timeout: u64,
    /// Probes that failed at once or got a wrong answer (unreachable,
    /// refused, bad answer, could not be sent).
    pub error: u64,
}

impl ProbeCounts {
    /// Counts one outcome.
    pub fn count(&mut self, outcome: &Outcome) {
        let c = match outcome {
            Outcome::Reply { .. } => &mut self.ok,
            Outcome::Timeout => &mut self.timeout,
            Outcome::Error(_) => &mut self.error,
        };
        *c = c.saturating_add(1);
    }

    /// Every probe counted.
    pub fn total(&self) -> u64 {
        self.ok
            .saturating_add(self.timeout)
            .saturating_add(self.error)
    }
}

/// The counts of every target of a WAN, indexed by target id (the index in
/// the WAN's list of probes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ProbeTally {
    targets: Vec<ProbeCounts>,
}

impl ProbeTally {
    /// Zero counts for `targets` targets.
    pub(super) fn new(targets: usize) -> ProbeTally {
        ProbeTally {
            targets: vec![ProbeCounts::default(); targets],
        }
    }

    /// Counts every result of a finished round. Every probe sent counts,
    /// also those of a round the health machine no longer waits for: the
    /// probe went out either way. Unknown target ids are ignored.
    pub(super) fn record(&mut self, report: &RoundReport) {
        for r in &report.results {
            let slot = usize::try_from(r.target.0).ok();
            if let Some(c) = slot.and_then(|i| self.targets.get_mut(i)) {
                c.count(&r.outcome);
            }
        }
    }

    /// A copy for a report.
    pub(super) fn snapshot(&self) -> Vec<ProbeCounts> {
        self.targets.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::events::{ErrorKind, Family, RoundId, TargetId, TargetResult};

    fn report(results: &[(u32, Outcome)]) -> RoundReport {
        RoundReport {
            family: Family::V4,
            round: RoundId(1),
            results: results
                .iter()
                .map(|(t, outcome)| TargetResult {
                    target: TargetId(*t),
                    outcome: *outcome,
                })
                .collect(),
        }
    }

    #[test]
    fn each_outcome_counts_for_its_own_target() {
        let mut tally = ProbeTally::new(3);
        let reply = Outcome::Reply {
            rtt: Duration::from_millis(5),
        };
        tally.record(&report(&[(0, reply), (1, Outcome::Timeout)]));
        tally.record(&report(&[
            (0, reply),
            (1, Outcome::Error(ErrorKind::Unreachable)),
            (2, Outcome::Error(ErrorKind::BadAnswer)),
        ]));
        let counts = tally.snapshot();
        assert_eq!(
            counts[0],
            ProbeCounts {
                ok: 2,
                timeout: 0,
                error: 0
            }
        );
        assert_eq!(
            counts[1],
            ProbeCounts {
                ok: 0,
                timeout: 1,
                error: 1
            }
        );
        assert_eq!(counts[2].error, 1);
        assert_eq!(counts[1].total(), 2);
    }

    #[test]
    fn unknown_targets_are_ignored() {
        let mut tally = ProbeTally::new(1);
        tally.record(&report(&[
            (7, Outcome::Timeout),
            (u32::MAX, Outcome::Timeout),
        ]));
        assert_eq!(tally.snapshot(), vec![ProbeCounts::default()]);
    }

    #[test]
    fn counts_saturate_instead_of_wrapping() {
        let mut c = ProbeCounts {
            ok: u64::MAX,
            timeout: u64::MAX,
            error: 0,
        };
        c.count(&Outcome::Reply {
            rtt: Duration::ZERO,
        });
        assert_eq!(c.ok, u64::MAX);
        assert_eq!(c.total(), u64::MAX);
    }
}
