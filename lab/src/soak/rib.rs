//! The peer's side, checked from the [`RibHistory`] of the whole run once
//! it is over: a prefix is in gobgpd's RIB (and not stale) while its
//! condition holds, absent while it fails, once the condition has held
//! still for `follow`; and no prefix the peer held when the agent was
//! killed is withdrawn before the new agent's session is back (it may be
//! stale meanwhile). A prefix whose WAN had just changed when the kill came
//! may have been withdrawn by the old agent on its way out: for it, the
//! rule starts [`KILL_GRACE`] after the kill.

use std::time::Duration;

use crate::bgp_peer::{RibHistory, RibSample};

use super::check::{PREFIXES, PollRecord, Restart, Violation, secs};

/// After a kill, how long an UPDATE the agent sent just before may take
/// to show in the watched RIB: delivery, gobgpd, and one watch poll.
const KILL_GRACE: Duration = Duration::from_millis(500);

/// The sample that held at `t`.
fn at(history: &RibHistory, t: Duration) -> Option<&RibSample> {
    history.samples.iter().rev().find(|s| s.at <= t)
}

/// Whether a poll of the watch failed within `window` before `t`.
fn failed_near(history: &RibHistory, t: Duration, window: Duration) -> bool {
    history
        .failures
        .iter()
        .any(|&f| f <= t && f >= t.saturating_sub(window))
}

/// What [`check`] looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checked {
    /// (poll, prefix) pairs compared with the condition.
    pub conditions: u32,
    /// (restart, prefix) pairs: prefixes the peer held at a kill.
    pub kept: u32,
}

/// The RIB checks; returns the violations and what was checked.
pub fn check(
    history: &RibHistory,
    polls: &[PollRecord],
    restarts: &[Restart],
    follow: Duration,
) -> (Vec<Violation>, Checked) {
    let mut out = Vec::new();
    let mut checked = Checked::default();
    // Reported once per prefix until it holds again.
    let mut reporting = [false; PREFIXES.len()];
    for p in polls {
        let Some(est) = p.established_since else {
            continue;
        };
        if p.sent < est.saturating_add(follow) || failed_near(history, p.sent, follow) {
            continue;
        }
        let Some(sample) = at(history, p.sent) else {
            continue;
        };
        for (n, ((prefix, _), (holds, since))) in PREFIXES.iter().zip(&p.conditions).enumerate() {
            if p.sent < since.saturating_add(follow) {
                continue;
            }
            checked.conditions = checked.conditions.saturating_add(1);
            let route = sample.routes.iter().find(|r| r.prefix == *prefix);
            let ok = match (holds, route) {
                (true, Some(r)) => !r.stale,
                (false, None) => true,
                _ => false,
            };
            if ok {
                reporting[n] = false;
                continue;
            }
            if std::mem::replace(&mut reporting[n], true) {
                continue;
            }
            out.push(Violation {
                at: p.sent,
                what: format!("the peer's RIB, {prefix}"),
                expected: format!(
                    "{} (its condition {} since {}, agent {})",
                    if *holds {
                        "present, not stale"
                    } else {
                        "absent"
                    },
                    if *holds { "held" } else { "failed" },
                    secs(*since),
                    p.agent
                ),
                seen: match route {
                    None => "absent".to_string(),
                    Some(r) if r.stale => "present, stale".to_string(),
                    Some(_) => "present".to_string(),
                },
            });
        }
    }
    for (i, r) in restarts.iter().enumerate() {
        let until = r.not_established.unwrap_or(r.spawned).max(r.spawned);
        let after = r.killed.saturating_add(KILL_GRACE).min(until);
        for (n, (prefix, _)) in PREFIXES.iter().enumerate() {
            // Held: kept from the kill. Otherwise, if the peer still has it
            // once an UPDATE sent before the kill has landed: kept from then.
            let from = if r.held[n] { r.killed } else { after };
            let Some(sample) = at(history, from) else {
                continue;
            };
            if !sample.routes.iter().any(|x| x.prefix == *prefix) {
                continue;
            }
            checked.kept = checked.kept.saturating_add(1);
            if history.present_throughout(prefix, from, until) {
                continue;
            }
            let gone = history
                .samples
                .iter()
                .find(|s| {
                    s.at >= from && s.at <= until && !s.routes.iter().any(|x| x.prefix == *prefix)
                })
                .map_or("a failed poll of the peer".to_string(), |s| {
                    format!("absent at {}", secs(s.at))
                });
            out.push(Violation {
                at: r.killed,
                what: format!("restart {}: the peer's RIB, {prefix}", i.saturating_add(1)),
                expected: format!(
                    "kept (stale or fresh) from {} (kill at {}) until the new session at {}",
                    secs(from),
                    secs(r.killed),
                    secs(until)
                ),
                seen: gone,
            });
        }
    }
    (out, checked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp_peer::PeerRoute;

    fn s(at: u64, prefixes: &[(&str, bool)]) -> RibSample {
        RibSample {
            at: Duration::from_secs(at),
            routes: prefixes
                .iter()
                .map(|(p, stale)| PeerRoute {
                    prefix: p.to_string(),
                    stale: *stale,
                    med: None,
                    as_path: vec![65001],
                    communities: Vec::new(),
                })
                .collect(),
        }
    }

    fn poll(sent: u64, wan2: bool) -> PollRecord {
        PollRecord {
            sent: Duration::from_secs(sent),
            agent: 0,
            established_since: Some(Duration::ZERO),
            conditions: vec![
                (wan2, Duration::from_secs(if wan2 { 0 } else { 10 })),
                (true, Duration::ZERO),
            ],
        }
    }

    #[test]
    fn the_rib_follows_the_conditions_and_survives_restarts() {
        let (a, any) = (PREFIXES[0].0, PREFIXES[1].0);
        let h = RibHistory {
            samples: vec![
                s(0, &[(a, false), (any, false)]),
                s(11, &[(any, false)]),
                s(20, &[(any, true)]),
                s(24, &[(any, false)]),
            ],
            end: Duration::from_secs(30),
            failed_polls: 0,
            last_error: None,
            failures: Vec::new(),
        };
        let follow = Duration::from_secs(2);
        let polls = [
            poll(5, true),
            poll(11, false),
            poll(13, false),
            poll(28, false),
        ];
        let restart = Restart {
            killed: Duration::from_secs(20),
            spawned: Duration::from_secs(20),
            ready: Duration::from_secs(21),
            not_established: Some(Duration::from_secs(23)),
            held: [false, true],
        };
        let (v, n) = check(&h, &polls, &[restart], follow);
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(
            n,
            Checked {
                conditions: 7,
                kept: 1
            }
        );
        // A prefix that should be gone but is there, and one withdrawn
        // while the new agent was not yet established.
        let late = [poll(10, false)];
        let (v, _) = check(&h, &late, &[], Duration::ZERO);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].seen, "present");
        let mut h2 = h.clone();
        h2.samples.insert(3, s(22, &[]));
        let (v, _) = check(&h2, &[], &[restart], follow);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].seen.contains("absent at 22"), "{v:?}");
    }
}
