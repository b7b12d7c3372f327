//! The invariants checked at every poll, against the truth the driver
//! records: each WAN's state ([`super::truth`]), its MPTCP endpoint, no
//! duplicate and (after a start or restart) no missing kernel entry, the
//! MPTCP stream, and the agent's own `bgp.announced`. What the peer's RIB
//! must show is checked from the polls recorded here once the run is over
//! ([`super::rib`]).
//!
//! - Endpoint: the kernel holds the WAN's endpoint (`subflow`, plus
//!   `backup` while degraded) iff the agent reports its IPv4 family `up`
//!   or `degraded`; a disagreement counts once it has lasted `follow` past
//!   the family's last change and the agent's start (the kernel is read
//!   just after the status, so it may lead it). With the WAN state held to
//!   the truth, this puts the endpoint within the truth's bound + `follow`.
//! - Kernel: no two endpoints with one address or id, no rule twice, no
//!   two routes of mpwan's (`proto 109`) for one destination in one table,
//!   at every poll; from `startup` after an agent started, every rule and
//!   table route of both WANs within 10 s (a WAN under carrier loss keeps
//!   its rules, not its routes).
//! - Stream: no byte wrong (the stream's own check), and some byte
//!   verified within `stream_stall` whenever a WAN without fault is
//!   reported usable with its endpoint in the kernel.
//! - `bgp.announced`: each prefix `announced` iff its condition holds on
//!   the reported WAN states, once it has held still for `follow`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use crate::mptcp_stream::Progress;
use crate::role::Wan;

use super::kernel::Kernel;
use super::schedule::Fault;
use super::truth::{Bounds, Expect, Timeline};
use super::view::{View, usable};

/// An invariant seen broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Since the faults began.
    pub at: Duration,
    pub what: String,
    pub expected: String,
    pub seen: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at {}: {}: expected {}; seen {}",
            secs(self.at),
            self.what,
            self.expected,
            self.seen
        )
    }
}

/// `12.345 s`.
pub fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// The prefixes the agent announces, and the WANs each depends on.
pub const PREFIXES: [(&str, Condition); 2] = [
    ("198.51.100.0/24", Condition::Wan2),
    ("192.0.2.0/24", Condition::Any),
];

/// An announcement's `when`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// `when = ["wan2"]`.
    Wan2,
    /// `when = "any"`.
    Any,
}

impl Condition {
    /// The WANs it depends on: it holds while one of them is usable.
    pub fn wans(self) -> &'static [Wan] {
        match self {
            Condition::Wan2 => &[Wan::Two],
            Condition::Any => &Wan::ALL,
        }
    }

    pub fn holds(self, v: &View) -> bool {
        self.wans().iter().any(|w| v.wan(*w).usable())
    }

    /// As written in the configuration.
    pub fn toml(self) -> &'static str {
        match self {
            Condition::Wan2 => "[\"wan2\"]",
            Condition::Any => "\"any\"",
        }
    }
}

/// A poll, kept for the RIB checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRecord {
    /// When the status was asked for.
    pub sent: Duration,
    /// Which agent answered (0 first, +1 per restart).
    pub agent: u32,
    /// Since when the session has been seen established (this agent).
    pub established_since: Option<Duration>,
    /// Per [`PREFIXES`] entry: whether the condition holds, and since
    /// when (first seen so, this agent).
    pub conditions: Vec<(bool, Duration)>,
}

/// A crash and restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restart {
    /// When `kill -9` was sent.
    pub killed: Duration,
    /// When the new agent was started.
    pub spawned: Duration,
    /// When it first answered.
    pub ready: Duration,
    /// The last poll (sent time) that saw its session not yet established;
    /// `None` until one does.
    pub not_established: Option<Duration>,
    /// Per [`PREFIXES`] entry: the agent had it announced at its last poll
    /// and nothing happened to its WANs from `detect` before that poll to
    /// the kill, so it had no reason to withdraw it: the peer must keep it
    /// from the kill on. Other prefixes present a moment after the kill
    /// must be kept from then on.
    pub held: [bool; PREFIXES.len()],
}

/// The largest delay seen for one kind of change, and its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delay {
    pub count: u32,
    pub max: Duration,
    /// The bound that applied to the largest delay.
    pub bound: Duration,
}

impl Delay {
    fn add(&mut self, seen: Duration, bound: Duration) {
        self.count = self.count.saturating_add(1);
        if seen >= self.max {
            self.max = seen;
            self.bound = bound;
        }
    }
}

/// What one WAN looked like at the last polls.
#[derive(Debug, Clone, Default)]
struct WanTrack {
    state: Option<String>,
    /// The IPv4 family's state and its `since` as the agent reported
    /// them, and when we first saw that pair.
    v4: Option<(String, String, Duration)>,
    /// The WAN's `since` as last reported.
    since: Option<String>,
    /// Since when the kernel's endpoint has disagreed with that state
    /// (the kernel is read just after the status, so it may lead it).
    ep_mismatch: Option<Duration>,
    /// Seen `down` since the last black hole or carrier loss began.
    down_in_fault: bool,
    /// The hold-down reported (smallest family's) when last seen `down`.
    hold_when_down: Option<Duration>,
    /// Seen `up` by this agent.
    was_up: bool,
    /// Whether this agent had seen the WAN `up` before it saw it `down` in
    /// the last black hole or carrier loss: only then does its recovery
    /// wait out the hold-down (a WAN never usable since the agent started
    /// skips it).
    hold_applies: bool,
    /// A black hole or carrier loss began while the WAN was usable: its
    /// kind and when it held for sure.
    detecting: Option<(Fault, Duration)>,
    /// A fault ended while the WAN was down: whether it was a loss burst,
    /// and when it ended for sure.
    recovering: Option<(bool, Duration)>,
}

/// Figures of the run.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub polls: u32,
    pub failed_polls: u32,
    /// WAN state changes seen between polls, per WAN.
    pub transitions: [u32; 2],
    /// Black hole or carrier loss to `down`, by kind.
    pub detection: BTreeMap<&'static str, Delay>,
    /// End of a fault to `up` again.
    pub recovery: Delay,
    /// The longest the stream went without progress while a healthy WAN
    /// was usable with its endpoint present.
    pub max_stall: Duration,
    /// The largest hold-down the agent reported.
    pub max_hold: Duration,
    /// Recoveries checked against the hold-down from below, and the
    /// smallest time between the earliest allowed moment and the first
    /// poll that saw the WAN usable.
    pub hold_kept: (u32, Option<Duration>),
    /// Kernel readings with all of the agent's entries in place after a
    /// start or restart.
    pub gap_checks: u32,
}

/// The online checker.
pub struct Checker {
    /// The schedule's seed, printed with each violation.
    seed: u64,
    bounds: Bounds,
    /// Routing tables of the WANs, in [`Wan::ALL`] order.
    tables: [u32; 2],
    /// How long the stream may make no progress while a path is usable.
    stream_stall: Duration,
    /// Per WAN, in [`Wan::ALL`] order.
    truth: [Timeline; 2],
    pub violations: Vec<Violation>,
    pub stats: Stats,
    pub polls: Vec<PollRecord>,
    pub restarts: Vec<Restart>,
    /// Which agent runs (0 first).
    agent: u32,
    /// When it first answered.
    ready: Duration,
    wans: [WanTrack; 2],
    /// Per prefix: condition and since when, this agent.
    conditions: Vec<Option<(bool, Duration)>>,
    established_since: Option<Duration>,
    /// When all of the agent's kernel entries must be in place, until seen.
    gaps_due: Option<Duration>,
    /// Broken invariants being reported: each is reported once until it
    /// holds again.
    active: BTreeSet<String>,
    last_verified: u64,
    last_progress: Duration,
    path_since: Option<Duration>,
    stream_broken: bool,
    /// When the last status was asked for.
    last_sent: Duration,
}

/// How long after `gaps_due` missing entries are a violation.
const GAP_WAIT: Duration = Duration::from_secs(10);

impl Checker {
    /// `ready`: when the first agent answered.
    pub fn new(
        seed: u64,
        bounds: Bounds,
        tables: [u32; 2],
        stream_stall: Duration,
        ready: Duration,
    ) -> Checker {
        let hold = bounds.timers.hold_down;
        Checker {
            seed,
            bounds,
            tables,
            stream_stall,
            truth: [Timeline::new(hold), Timeline::new(hold)],
            violations: Vec::new(),
            stats: Stats::default(),
            polls: Vec::new(),
            restarts: Vec::new(),
            agent: 0,
            ready,
            wans: Default::default(),
            conditions: vec![None; PREFIXES.len()],
            established_since: None,
            gaps_due: Some(ready.saturating_add(bounds.startup)),
            active: BTreeSet::new(),
            last_verified: 0,
            last_progress: ready,
            path_since: None,
            stream_broken: false,
            last_sent: ready,
        }
    }

    /// Records a broken invariant under `key` unless it is being reported
    /// already; with `ok`, forgets it.
    fn flag(&mut self, key: &str, ok: bool, v: impl FnOnce() -> Violation) {
        if ok {
            self.active.remove(key);
        } else if self.active.insert(key.to_string()) {
            self.record(v());
        }
    }

    /// Prints a violation and keeps it for the report.
    pub fn record(&mut self, v: Violation) {
        eprintln!("soak: VIOLATION (seed {}) {v}", self.seed);
        self.violations.push(v);
    }

    /// A violation that is not a state: reported as it is.
    pub fn violate(&mut self, at: Duration, what: &str, expected: &str, seen: &str) {
        let key = format!("{what}: {seen}");
        self.flag(&key, false, || Violation {
            at,
            what: what.to_string(),
            expected: expected.to_string(),
            seen: seen.to_string(),
        });
    }

    /// `fault` began on `wan`: the command ran from `lo` to `hi`.
    pub fn fault_started(&mut self, wan: Wan, fault: Fault, lo: Duration, hi: Duration) {
        self.truth[wan.index()].change(Some(fault), lo, hi);
        let t = &mut self.wans[wan.index()];
        t.recovering = None;
        t.detecting = None;
        if !matches!(fault, Fault::Loss(_)) {
            t.down_in_fault = false;
            if t.state.as_deref().is_some_and(usable) {
                t.detecting = Some((fault, hi));
            }
        }
    }

    /// `wan`'s fault ended (restored from `lo` to `hi`).
    pub fn fault_ended(&mut self, wan: Wan, lo: Duration, hi: Duration) {
        let i = wan.index();
        let after_loss = matches!(self.truth[i].current().fault, Some(Fault::Loss(_)));
        self.truth[i].change(None, lo, hi);
        let t = &mut self.wans[i];
        t.detecting = None;
        t.recovering = (t.state.as_deref() == Some("down")).then_some((after_loss, hi));
    }

    /// The agent was killed at `killed`; a new one was started at
    /// `spawned` and answered at `ready`.
    pub fn restarted(&mut self, killed: Duration, spawned: Duration, ready: Duration) {
        let quiet_since = self.last_sent.saturating_sub(self.bounds.detect);
        let quiet = |w: &Wan| self.truth[w.index()].current().from_lo < quiet_since;
        let mut held = [false; PREFIXES.len()];
        for (n, (_, cond)) in PREFIXES.iter().enumerate() {
            held[n] = cond.wans().iter().all(quiet) && self.conditions[n].is_some_and(|(h, _)| h);
        }
        self.agent = self.agent.saturating_add(1);
        self.ready = ready;
        self.wans = Default::default();
        self.conditions = vec![None; PREFIXES.len()];
        self.established_since = None;
        self.gaps_due = Some(ready.saturating_add(self.bounds.startup));
        self.restarts.push(Restart {
            killed,
            spawned,
            ready,
            not_established: None,
            held,
        });
    }

    /// One poll: the status asked for at `sent` and answered at
    /// `received` (`None`: it failed), the kernel and the stream read just
    /// after.
    pub fn observe(
        &mut self,
        sent: Duration,
        received: Duration,
        view: Option<&View>,
        kernel: Option<&Kernel>,
        progress: &Progress,
    ) {
        self.stats.polls = self.stats.polls.saturating_add(1);
        if view.is_some() {
            self.last_sent = sent;
        }
        match view {
            Some(v) => {
                for wan in Wan::ALL {
                    self.check_wan(wan, sent, received, v);
                }
                self.record_bgp(sent, received, v);
                if let Some(k) = kernel {
                    for wan in Wan::ALL {
                        self.check_endpoint(wan, sent, v, k);
                    }
                }
            }
            None => {
                self.stats.failed_polls = self.stats.failed_polls.saturating_add(1);
                self.flag(
                    "status",
                    sent < self.ready.saturating_add(self.bounds.slack),
                    || Violation {
                        at: sent,
                        what: "mpwan status --json".into(),
                        expected: "an answer from the running agent".into(),
                        seen: "no answer".into(),
                    },
                );
            }
        }
        if let Some(k) = kernel {
            self.check_kernel(sent, k);
        }
        self.track_progress(sent, received, progress);
        // Unknown while the agent restarts: the last path state stays.
        if let (Some(v), Some(k)) = (view, kernel) {
            self.check_path(sent, v, k);
        }
    }

    fn check_wan(&mut self, wan: Wan, sent: Duration, received: Duration, v: &View) {
        let i = wan.index();
        let w = v.wan(wan).clone();
        let b = self.bounds;
        if !w.hold.is_zero() {
            self.truth[i].saw_hold(w.hold);
        }
        self.stats.max_hold = self.stats.max_hold.max(w.hold);
        let t = &mut self.wans[i];
        if t.state.as_deref() != Some(w.state.as_str()) {
            eprintln!(
                "soak: [{}] agent {}: {wan} {} -> {}",
                secs(received),
                self.agent,
                t.state.as_deref().unwrap_or("?"),
                w.state
            );
        }
        if t.state.as_deref().is_some_and(|s| s != w.state) {
            self.stats.transitions[i] = self.stats.transitions[i].saturating_add(1);
        }
        let was_down = t.state.as_deref() == Some("down");
        t.state = Some(w.state.clone());
        let fault = self.truth[i].current().fault;
        if w.state == "down" && !w.hold_min.is_zero() {
            t.hold_when_down = Some(w.hold_min);
        }
        if w.state == "down" && matches!(fault, Some(Fault::Blackhole | Fault::Carrier)) {
            if !t.down_in_fault {
                t.hold_applies = t.was_up;
            }
            t.down_in_fault = true;
        }
        if w.state == "down"
            && let Some((kind, from)) = t.detecting.take()
        {
            let (name, bound) = match kind {
                Fault::Carrier => ("carrier loss", b.carrier),
                _ => ("black hole", b.detect),
            };
            self.stats
                .detection
                .entry(name)
                .or_default()
                .add(received.saturating_sub(from), bound);
        }
        if w.state == "up"
            && let Some((after_loss, from)) = t.recovering.take()
        {
            let bound = b.recover(self.truth[i].current().hold, after_loss);
            self.stats
                .recovery
                .add(received.saturating_sub(from), bound);
        }
        t.was_up |= w.state == "up";
        // Usable, after this agent saw it up and then down in the last
        // black hole or carrier loss: the hold-down bounds it from below.
        let held_back = w.usable() && t.down_in_fault && t.hold_applies;
        let hold_then = t.hold_when_down.unwrap_or(b.timers.hold_down);

        let seg = *self.truth[i].current();
        let required = self.truth[i].required(&b, sent, self.ready);
        let earliest = self.truth[i].earliest_usable(hold_then);
        let ok = match required {
            Some((Expect::Up, _)) => w.state == "up",
            Some((Expect::Down, _)) => w.state == "down",
            None => w.state != "init" || sent < self.ready.saturating_add(b.startup),
        };
        let what = format!("{wan} state");
        let expected = match required {
            Some((e, due)) => format!(
                "{} since {} ({} since {})",
                if e == Expect::Up { "up" } else { "down" },
                secs(due),
                seg.fault.map_or("healthy".to_string(), |f| f.to_string()),
                secs(seg.from_hi)
            ),
            None => format!("a decided state (agent answered at {})", secs(self.ready)),
        };
        let seen = format!("{} (hold-down {} ms)", w.state, w.hold.as_millis());
        self.flag(&what, ok, || Violation {
            at: sent,
            what: what.clone(),
            expected,
            seen,
        });

        let early = earliest.filter(|e| held_back && received < *e);
        if let Some(e) = earliest
            && was_down
            && held_back
        {
            // How long after the earliest allowed moment it came back.
            let margin = received.saturating_sub(e);
            let h = &mut self.stats.hold_kept;
            h.0 = h.0.saturating_add(1);
            h.1 = Some(h.1.map_or(margin, |m| m.min(margin)));
        }
        let key = format!("{wan} hold-down");
        self.flag(&key, early.is_none(), || Violation {
            at: received,
            what: format!("{wan} recovery"),
            expected: format!(
                "not usable before {} (restored at {}, hold-down {} ms)",
                secs(early.unwrap_or_default()),
                secs(seg.from_lo),
                hold_then.as_millis()
            ),
            seen: w.state.clone(),
        });

        // Zero: not reported (a family still in init).
        let hold_ok =
            w.hold.is_zero() || (w.hold >= b.timers.hold_down && w.hold <= b.timers.hold_down_max);
        let key = format!("{wan} hold-down range");
        self.flag(&key, hold_ok, || Violation {
            at: received,
            what: format!("{wan} hold-down"),
            expected: format!(
                "between {} and {} ms",
                b.timers.hold_down.as_millis(),
                b.timers.hold_down_max.as_millis()
            ),
            seen: format!("{} ms", w.hold.as_millis()),
        });
    }

    fn check_endpoint(&mut self, wan: Wan, sent: Duration, v: &View, k: &Kernel) {
        let i = wan.index();
        let v4 = v.wan(wan).v4.clone();
        let v4_since = v.wan(wan).v4_since.clone();
        let t = &mut self.wans[i];
        if t.v4
            .as_ref()
            .is_none_or(|(s, at, _)| s != &v4 || at != &v4_since)
        {
            t.v4 = Some((v4.clone(), v4_since, sent));
        }
        let since = t.v4.as_ref().map_or(sent, |(_, _, s)| *s);
        let id = wan.mptcp_id();
        let ep = k.endpoint(id);
        let want = usable(&v4).then(|| v4 == "degraded");
        let seen = ep.map(|e| e.flags.contains(&"backup".to_string()));
        if want == seen {
            t.ep_mismatch = None;
        }
        let mismatch = if want == seen {
            sent
        } else {
            *t.ep_mismatch.get_or_insert(sent)
        };
        // A disagreement counts once it has lasted `follow` past the
        // state's change and past the agent's start.
        let from = mismatch.max(since).max(self.ready);
        let ok = want == seen || sent < from.saturating_add(self.bounds.follow);
        let describe = |w: Option<bool>| match w {
            None => "absent".to_string(),
            Some(false) => "present (subflow)".to_string(),
            Some(true) => "present (subflow backup)".to_string(),
        };
        let key = format!("{wan} endpoint");
        self.flag(&key, ok, || Violation {
            at: sent,
            what: format!("{wan} MPTCP endpoint id {id}"),
            expected: format!(
                "{} (its IPv4 family {v4} since {})",
                describe(want),
                secs(since)
            ),
            seen: describe(seen),
        });
    }

    fn check_kernel(&mut self, sent: Duration, k: &Kernel) {
        let dups = k.duplicates();
        let keys: BTreeSet<String> = dups.iter().map(|d| format!("duplicate {d}")).collect();
        let stale: Vec<String> = self
            .active
            .iter()
            .filter(|a| a.starts_with("duplicate ") && !keys.contains(*a))
            .cloned()
            .collect();
        for s in stale {
            self.active.remove(&s);
        }
        for d in dups {
            self.flag(&format!("duplicate {d}"), false, || Violation {
                at: sent,
                what: "gw's kernel".into(),
                expected: "no duplicate endpoint, rule or route".into(),
                seen: d.clone(),
            });
        }
        let Some(due) = self.gaps_due else { return };
        if sent < due {
            return;
        }
        let gaps = k.all_gaps(self.tables, |wan| {
            self.truth[wan.index()].current().fault == Some(Fault::Carrier)
        });
        if gaps.is_empty() {
            self.gaps_due = None;
            self.stats.gap_checks = self.stats.gap_checks.saturating_add(1);
        } else if sent >= due.saturating_add(GAP_WAIT) {
            self.gaps_due = None;
            self.violate(
                sent,
                "gw's kernel after the agent started",
                &format!(
                    "every rule and route of the agent's within {}",
                    secs(GAP_WAIT)
                ),
                &format!("missing {gaps:?}\n{}", k.describe()),
            );
        }
    }

    fn record_bgp(&mut self, sent: Duration, received: Duration, v: &View) {
        if v.established {
            self.established_since.get_or_insert(received);
        } else {
            self.established_since = None;
            if let Some(r) = self.restarts.last_mut()
                && self.agent > 0
            {
                r.not_established = Some(sent);
            }
        }
        // A WAN whose `since` moved changed state, maybe twice between
        // two polls: its prefixes' conditions count as new from here.
        let mut flipped = [false; 2];
        for wan in Wan::ALL {
            let t = &mut self.wans[wan.index()];
            let now = &v.wan(wan).since;
            flipped[wan.index()] = t.since.as_ref().is_some_and(|s| s != now);
            t.since = Some(now.clone());
        }
        let mut conditions = Vec::new();
        for (n, (prefix, cond)) in PREFIXES.iter().enumerate() {
            let holds = cond.holds(v);
            let moved = cond.wans().iter().any(|w| flipped[w.index()]);
            let slot = &mut self.conditions[n];
            if moved || slot.is_none_or(|(h, _)| h != holds) {
                *slot = Some((holds, received));
            }
            let since = slot.map_or(received, |(_, s)| s);
            let state = v.announced(prefix).unwrap_or("missing").to_string();
            // The agent's own view follows the condition within `follow`.
            let want = if holds { "announced" } else { "withdrawn" };
            let settled = sent >= since.saturating_add(self.bounds.follow)
                && self.established_since.is_some();
            let key = format!("{prefix} announced state");
            let ok = !settled || state == want;
            self.flag(&key, ok, || Violation {
                at: sent,
                what: format!("bgp.announced {prefix}"),
                expected: format!("{want} (condition {} since {})", holds, secs(since)),
                seen: state.clone(),
            });
            conditions.push((holds, since));
        }
        self.polls.push(PollRecord {
            sent,
            agent: self.agent,
            established_since: self.established_since,
            conditions,
        });
    }

    /// The stream's own check, and when it last made progress: at every
    /// poll.
    fn track_progress(&mut self, sent: Duration, received: Duration, p: &Progress) {
        if let Some(e) = &p.error
            && !self.stream_broken
        {
            self.stream_broken = true;
            self.violate(
                sent,
                "the MPTCP stream",
                "every byte intact, the connection alive",
                &format!("{e} after {} bytes verified", p.verified),
            );
        }
        if p.verified > self.last_verified {
            self.last_verified = p.verified;
            self.last_progress = received;
        }
    }

    /// Progress while a path is usable: a WAN with no fault, reported
    /// usable, its endpoint in the kernel. Called when both the status and
    /// the kernel were read.
    fn check_path(&mut self, sent: Duration, v: &View, k: &Kernel) {
        let path = Wan::ALL.iter().any(|w| {
            self.truth[w.index()].current().fault.is_none()
                && v.wan(*w).usable()
                && k.endpoint(w.mptcp_id()).is_some()
        });
        if !path {
            self.path_since = None;
            return;
        }
        let since = *self.path_since.get_or_insert(sent);
        let stalled = sent.saturating_sub(since.max(self.last_progress));
        self.stats.max_stall = self.stats.max_stall.max(stalled);
        let ok = stalled <= self.stream_stall || self.stream_broken;
        let limit = self.stream_stall;
        let last = self.last_progress;
        self.flag("stream progress", ok, || Violation {
            at: sent,
            what: "the MPTCP stream".into(),
            expected: format!(
                "progress within {} while a path is usable (since {})",
                secs(limit),
                secs(since)
            ),
            seen: format!("no byte verified since {}", secs(last)),
        });
    }
}

#[cfg(test)]
mod tests;
