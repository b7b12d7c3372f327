//! What each WAN's state must be, from what was done to it: the timers the
//! agent runs with ([`Timers`]), the bounds derived from them ([`Bounds`]),
//! and per WAN a timeline of faults ([`Timeline`]). Pure: times are
//! `Duration`s since the soak began, passed in.
//!
//! "Truth" per fault kind, and what the agent must report:
//!
//! | truth since `t` (the injecting command returned) | required state |
//! |---|---|
//! | black hole (every packet dropped) | `down` from `t + detect` |
//! | carrier loss (gw's end shows NO-CARRIER) | `down` from `t + carrier` |
//! | loss burst of any percentage | nothing: rounds may pass or fail, so up, degraded and down are all right |
//! | healthy again after a black hole or carrier loss | `up` from `t + recover(hold)` |
//! | healthy again after a loss burst | `up` from `t + recover(hold) + window` |
//! | healthy since the start | `up` |
//!
//! where `hold` is the largest hold-down the agent reported for the WAN's
//! families during the fault (it grows when the WAN flaps), and after an
//! agent restart a requirement waits at least `startup` from the moment
//! the new agent answered. Between a change and its deadline either state
//! is accepted. One more rule bounds recovery from below: a WAN seen
//! `down` during a black hole or carrier loss, by an agent that had seen
//! it `up` before, must not be usable again before the hold-down it
//! reported while down (the smaller of its families') has passed since
//! the fault ended (no probe can pass during such a fault, so the
//! hold-down cannot have started earlier). A WAN the agent never saw
//! usable since it started skips the hold-down by design (it has not
//! flapped), which is what a crash during a fault leads to.

use std::time::Duration;

use super::schedule::Fault;

/// The tracker timers of the lab's agent: written into its configuration
/// (the default [`crate::AgentConfigOptions::tracker`] is
/// [`Timers::LAB`]'s [`Timers::tracker_toml`]), and the source of every
/// bound. The lab does not depend on the tracker crate: the values taken
/// from it are pinned by `tracker/tests/lab_timers.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    pub interval: Duration,
    pub failure_interval: Duration,
    pub recovery_interval: Duration,
    pub timeout: Duration,
    pub down: u32,
    pub up: u32,
    pub hold_down: Duration,
    /// The tracker's sliding window in rounds (not configurable: the
    /// tracker's default, 10).
    pub window: u32,
    /// The longest hold-down the back-off may reach (the tracker's
    /// default, 5 min, not configurable).
    pub hold_down_max: Duration,
}

impl Timers {
    /// The lab's test timings (`AgentConfigOptions::default` writes them).
    pub const LAB: Timers = Timers {
        interval: Duration::from_millis(250),
        failure_interval: Duration::from_millis(250),
        recovery_interval: Duration::from_millis(250),
        timeout: Duration::from_millis(200),
        down: 3,
        up: 3,
        hold_down: Duration::from_secs(1),
        window: 10,
        hold_down_max: Duration::from_secs(300),
    };

    /// The body of `[tracker]` in mpwan.toml.
    pub fn tracker_toml(&self) -> String {
        let ms = |d: Duration| d.as_millis();
        format!(
            "interval = \"{}ms\"\nfailure_interval = \"{}ms\"\nrecovery_interval = \"{}ms\"\n\
             timeout = \"{}ms\"\ndown = {}\nup = {}\nhold_down = \"{}ms\"\n",
            ms(self.interval),
            ms(self.failure_interval),
            ms(self.recovery_interval),
            ms(self.timeout),
            self.down,
            self.up,
            ms(self.hold_down)
        )
    }

    /// The tracker's worst case from a black hole to `down`, for a WAN
    /// that was steady: `interval + timeout + (down - 1) x max(timeout,
    /// failure_interval)` (`HealthParams::worst_case_detection`).
    pub fn worst_case_detection(&self) -> Duration {
        let failing = self.timeout.max(self.failure_interval);
        self.interval
            .saturating_add(self.timeout)
            .saturating_add(failing.saturating_mul(self.down.saturating_sub(1)))
    }
}

/// How long the agent may take, derived from [`Timers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub timers: Timers,
    /// Added to every bound: two probe rounds (a round in flight when the
    /// fault began may still pass, and the WAN's change waits for the
    /// other family's round in flight), the tracker's report slack
    /// (200 ms), one poll period of ours (the state may change just after
    /// a poll), and 1 s for a loaded 2-core machine (other builds and
    /// tests running) and the status round trip.
    pub slack: Duration,
    /// Black hole to `down`: the tracker's worst case
    /// ([`Timers::worst_case_detection`]), plus slack.
    pub detect: Duration,
    /// Carrier loss to `down`: the link event acts at once; slack only.
    pub carrier: Duration,
    /// A new agent's first decision: `interval + timeout + max(up, down)
    /// x max(interval, timeout)`, plus slack.
    pub startup: Duration,
    /// How long the agent's reported state may lag: the MPTCP endpoint
    /// follows the family state, the peer's RIB the WAN state, within this.
    pub follow: Duration,
}

/// The tracker's own grace for a late round report (its
/// `health::REPORT_SLACK`).
pub const REPORT_SLACK: Duration = Duration::from_millis(200);
/// Scheduling on a loaded machine and the status round trip.
const MACHINE: Duration = Duration::from_secs(1);

impl Bounds {
    pub fn new(timers: Timers, poll: Duration) -> Bounds {
        let t = timers;
        let round = t.interval.max(t.timeout);
        let slack = round
            .saturating_mul(2)
            .saturating_add(REPORT_SLACK)
            .saturating_add(poll)
            .saturating_add(MACHINE);
        let detect = t.worst_case_detection().saturating_add(slack);
        let startup = t
            .interval
            .saturating_add(t.timeout)
            .saturating_add(round.saturating_mul(t.up.max(t.down)))
            .saturating_add(slack);
        Bounds {
            timers,
            slack,
            detect,
            carrier: slack,
            startup,
            // The BGP speaker publishes within a second of a change.
            follow: slack.saturating_add(Duration::from_secs(1)),
        }
    }

    /// Healthy again to `up`: `up + 1` recovery rounds (the round in
    /// flight when the path healed may still fail), the hold-down, slack;
    /// after a loss burst also the window, for `degraded` to clear.
    pub fn recover(&self, hold: Duration, after_loss: bool) -> Duration {
        let t = &self.timers;
        let round = t.recovery_interval.max(t.timeout);
        let mut d = round
            .saturating_mul(t.up.saturating_add(1))
            .saturating_add(hold)
            .saturating_add(self.slack);
        if after_loss {
            d = d.saturating_add(t.interval.saturating_mul(t.window));
        }
        d
    }
}

/// A state the agent must report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Up,
    Down,
}

/// One stretch of a WAN's truth: a fault, or healthy (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub fault: Option<Fault>,
    /// When the command that began it started.
    pub from_lo: Duration,
    /// When that command returned: the truth holds from here at the latest.
    pub from_hi: Duration,
    /// The largest hold-down the agent reported for the WAN since the
    /// segment before began.
    pub hold: Duration,
}

/// A WAN's truth over the run: the segment it is in, and the fault of
/// the one before (all the rules look back no further).
#[derive(Debug, Clone)]
pub struct Timeline {
    current: Segment,
    /// The fault of the segment before `current`; `None` when it was
    /// healthy or there was none (both count as healthy since the start).
    previous: Option<Fault>,
    /// The hold-down the agent reported last.
    last_hold: Duration,
}

impl Timeline {
    /// Healthy from the start.
    pub fn new(hold: Duration) -> Timeline {
        Timeline {
            current: Segment {
                fault: None,
                from_lo: Duration::ZERO,
                from_hi: Duration::ZERO,
                hold,
            },
            previous: None,
            last_hold: hold,
        }
    }

    pub fn current(&self) -> &Segment {
        &self.current
    }

    /// The truth changed: the command began at `lo` and returned at `hi`.
    pub fn change(&mut self, fault: Option<Fault>, lo: Duration, hi: Duration) {
        self.previous = self.current.fault;
        self.current = Segment {
            fault,
            from_lo: lo,
            from_hi: hi,
            hold: self.last_hold,
        };
    }

    /// The agent reported `hold` as a family's hold-down.
    pub fn saw_hold(&mut self, hold: Duration) {
        self.last_hold = hold;
        self.current.hold = self.current.hold.max(hold);
    }

    /// What the state must be at `t`, and since when it must be so;
    /// `None` when either is fine. `agent_ready`: when the agent now
    /// running first answered.
    pub fn required(
        &self,
        b: &Bounds,
        t: Duration,
        agent_ready: Duration,
    ) -> Option<(Expect, Duration)> {
        let seg = self.current();
        let after_restart = agent_ready.saturating_add(b.startup);
        let (expect, due) = match seg.fault {
            Some(Fault::Loss(_)) => return None,
            Some(Fault::Blackhole) => (Expect::Down, seg.from_hi.saturating_add(b.detect)),
            Some(Fault::Carrier) => (Expect::Down, seg.from_hi.saturating_add(b.carrier)),
            None => {
                let due = match self.previous {
                    None => seg.from_hi,
                    Some(f) => seg
                        .from_hi
                        .saturating_add(b.recover(seg.hold, matches!(f, Fault::Loss(_)))),
                };
                (Expect::Up, due)
            }
        };
        let due = due.max(after_restart);
        (t >= due).then_some((expect, due))
    }

    /// The lower bound on recovery: when a WAN seen down during the last
    /// black hole or carrier loss, with `hold` as its hold-down then, may
    /// be usable again at the earliest.
    pub fn earliest_usable(&self, hold: Duration) -> Option<Duration> {
        let seg = self.current();
        match (seg.fault, self.previous) {
            (None, Some(Fault::Blackhole | Fault::Carrier)) => {
                Some(seg.from_lo.saturating_add(hold))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn bounds() -> Bounds {
        Bounds::new(Timers::LAB, ms(250))
    }

    #[test]
    fn bounds_follow_the_timers() {
        let b = bounds();
        // 2 x 250 + 200 + 250 + 1000
        assert_eq!(b.slack, ms(1950));
        // 250 + 200 + 2 x 250 = 950, the tracker's worst case
        assert_eq!(Timers::LAB.worst_case_detection(), ms(950));
        assert_eq!(b.detect, ms(950 + 1950));
        assert_eq!(b.carrier, ms(1950));
        // 4 x 250 + 1 s + slack; after loss + 10 x 250
        assert_eq!(b.recover(ms(1000), false), ms(1000 + 1000 + 1950));
        assert_eq!(b.recover(ms(1000), true), ms(1000 + 1000 + 1950 + 2500));
        assert!(
            Timers::LAB
                .tracker_toml()
                .contains("hold_down = \"1000ms\"\n")
        );
    }

    #[test]
    fn a_blackhole_requires_down_after_detection_then_up_after_recovery() {
        let b = bounds();
        let mut t = Timeline::new(ms(1000));
        assert_eq!(
            t.required(&b, ms(5000), ms(0)),
            Some((Expect::Up, ms(3150)))
        );
        assert_eq!(
            t.required(&b, ms(100), ms(0)),
            None,
            "the agent is starting"
        );
        t.change(Some(Fault::Blackhole), ms(10_000), ms(10_050));
        assert_eq!(t.required(&b, ms(11_000), ms(0)), None);
        assert_eq!(
            t.required(&b, ms(13_000), ms(0)),
            Some((Expect::Down, ms(12_950)))
        );
        t.saw_hold(ms(2000));
        t.change(None, ms(20_000), ms(20_300));
        assert_eq!(t.required(&b, ms(25_000), ms(0)), None);
        assert_eq!(
            t.required(&b, ms(26_000), ms(0)),
            Some((Expect::Up, ms(20_300 + 1000 + 2000 + 1950)))
        );
        assert_eq!(t.earliest_usable(ms(2000)), Some(ms(22_000)));
    }

    #[test]
    fn loss_requires_nothing_and_a_restart_pushes_deadlines() {
        let b = bounds();
        let mut t = Timeline::new(ms(1000));
        t.change(Some(Fault::Loss(95)), ms(1000), ms(1010));
        assert_eq!(t.required(&b, ms(60_000), ms(0)), None);
        t.change(None, ms(2000), ms(2010));
        assert_eq!(t.earliest_usable(ms(1000)), None);
        let due = ms(2010 + 1000 + 1000 + 1950 + 2500);
        assert_eq!(t.required(&b, due, ms(0)), Some((Expect::Up, due)));
        // A new agent answered at 7 s: it gets its startup time.
        assert_eq!(t.required(&b, due, ms(7000)), None);
        assert_eq!(
            t.required(&b, ms(11_000), ms(7000)),
            Some((Expect::Up, ms(10_150)))
        );
        t.change(Some(Fault::Carrier), ms(9000), ms(9100));
        assert_eq!(
            t.required(&b, ms(11_100), ms(0)),
            Some((Expect::Down, ms(11_050)))
        );
    }
}
