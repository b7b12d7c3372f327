//! The seeded fault schedule: what happens to each WAN and when the agent
//! is killed, drawn from one `u64` seed so that a failing run replays.
//! Pure: a seed and [`Shape`] in, a [`Schedule`] out, no clock, no lab.

use std::fmt;
use std::time::Duration;

use crate::role::Wan;

/// SplitMix64 (Steele, Lea and Flood): small, fast, and every seed gives a
/// full-period stream. Not for secrets; for replayable schedules.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0); the modulo bias is far below
    /// anything a schedule could show.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }

    /// Uniform in `[lo, hi]`, at millisecond resolution.
    pub fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let (lo_ms, hi_ms) = (millis(lo), millis(hi.max(lo)));
        let span = hi_ms.saturating_sub(lo_ms).saturating_add(1);
        Duration::from_millis(lo_ms.saturating_add(self.below(span)))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One fault on one WAN, made by the lab in the WAN's provider namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every packet between gw and the provider dropped ([`crate::Lab::blackhole`]).
    Blackhole,
    /// This percentage of round trips lost at random ([`crate::Lab::loss`]).
    Loss(u8),
    /// The provider's end of the link set down ([`crate::Lab::carrier_down`]).
    Carrier,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Blackhole => f.write_str("blackhole"),
            Fault::Loss(p) => write!(f, "{p}% loss"),
            Fault::Carrier => f.write_str("carrier loss"),
        }
    }
}

/// What the driver does at a moment of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Starts `fault` on the WAN (it has none at that moment).
    Start(Wan, Fault),
    /// Ends the WAN's fault ([`crate::Lab::restore`]).
    End(Wan),
    /// `kill -9` the agent and start a new one on the same configuration
    /// and state directory.
    Crash,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Start(wan, fault) => write!(f, "{wan}: {fault}"),
            Action::End(wan) => write!(f, "{wan}: restored"),
            Action::Crash => f.write_str("kill -9 the agent, start a new one"),
        }
    }
}

/// One step: `action` at `at` after the start of the faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub at: Duration,
    pub action: Action,
}

/// The timing the schedule is drawn around.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// How long faults are injected; every fault has ended by then.
    pub faults: Duration,
    /// How many times the agent is killed, at moments spread over the
    /// first two thirds of `faults` (so the last agent lives longest and
    /// its fd and memory figures cover the longest stretch).
    pub crashes: u32,
    /// The worst-case probe detection time
    /// ([`super::truth::Timers::worst_case_detection`]).
    pub detect: Duration,
    /// The configured hold-down.
    pub hold_down: Duration,
}

/// The steps of a run, in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub seed: u64,
    pub steps: Vec<Step>,
}

/// Loss percentages drawn for loss bursts: below the degraded limit
/// (40 %), around it, and high enough that rounds fail in a row.
const LOSS: [u8; 5] = [20, 40, 60, 80, 95];

impl Schedule {
    /// Draws the schedule of `seed`. Each WAN alternates quiet gaps and
    /// faults on its own; fault durations are drawn in three classes
    /// around the detection bound: shorter than it (may or may not be
    /// detected), around it, and longer than detection plus hold-down.
    pub fn draw(seed: u64, shape: &Shape) -> Schedule {
        let mut rng = Rng::new(seed);
        let mut steps = Vec::new();
        for wan in Wan::ALL {
            let mut t = rng.between(Duration::from_millis(500), Duration::from_secs(3));
            loop {
                let fault = match rng.below(10) {
                    0..=3 => Fault::Blackhole,
                    4..=6 => Fault::Loss(LOSS[usize::try_from(rng.below(5)).unwrap_or(0)]),
                    _ => Fault::Carrier,
                };
                let detect = shape.detect;
                let len = match rng.below(3) {
                    0 => rng.between(detect / 4, detect.mul_f64(0.7)),
                    1 => rng.between(detect.mul_f64(0.7), detect.mul_f64(1.5)),
                    _ => rng.between(
                        detect.saturating_add(shape.hold_down),
                        detect.saturating_add(shape.hold_down).saturating_mul(3),
                    ),
                };
                let end = t.saturating_add(len);
                if end >= shape.faults {
                    break;
                }
                steps.push(Step {
                    at: t,
                    action: Action::Start(wan, fault),
                });
                steps.push(Step {
                    at: end,
                    action: Action::End(wan),
                });
                // Quiet gaps: mostly a few seconds, sometimes long enough
                // for a hold-down grown by flapping to run out.
                let gap = if rng.below(5) == 0 {
                    rng.between(Duration::from_secs(6), Duration::from_secs(12))
                } else {
                    rng.between(Duration::from_millis(300), Duration::from_secs(5))
                };
                t = end.saturating_add(gap);
            }
        }
        let window = shape.faults.mul_f64(2.0 / 3.0);
        let n = shape.crashes.max(1);
        for i in 0..shape.crashes {
            // One crash in each of `crashes` equal slices of the window,
            // away from the slices' edges.
            let slice = window / n;
            let lo = slice.saturating_mul(i).saturating_add(slice / 4);
            let hi = slice.saturating_mul(i).saturating_add(slice.mul_f64(0.75));
            steps.push(Step {
                at: rng.between(lo, hi),
                action: Action::Crash,
            });
        }
        steps.sort_by_key(|s| s.at);
        Schedule { seed, steps }
    }

    /// How many faults of each kind: (blackholes, loss bursts, carrier losses).
    pub fn counts(&self) -> (u32, u32, u32) {
        let mut c = (0u32, 0u32, 0u32);
        for s in &self.steps {
            match s.action {
                Action::Start(_, Fault::Blackhole) => c.0 = c.0.saturating_add(1),
                Action::Start(_, Fault::Loss(_)) => c.1 = c.1.saturating_add(1),
                Action::Start(_, Fault::Carrier) => c.2 = c.2.saturating_add(1),
                _ => {}
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> Shape {
        Shape {
            faults: Duration::from_secs(60),
            crashes: 2,
            detect: Duration::from_millis(950),
            hold_down: Duration::from_secs(1),
        }
    }

    #[test]
    fn a_seed_replays_and_another_differs() {
        let a = Schedule::draw(7, &shape());
        assert_eq!(a, Schedule::draw(7, &shape()));
        assert_ne!(a.steps, Schedule::draw(8, &shape()).steps);
    }

    #[test]
    fn faults_alternate_per_wan_and_end_in_time() {
        for seed in 0..200 {
            let s = Schedule::draw(seed, &shape());
            assert!(s.steps.windows(2).all(|w| w[0].at <= w[1].at));
            for wan in Wan::ALL {
                let mut open = false;
                for step in &s.steps {
                    match step.action {
                        Action::Start(w, _) if w == wan => {
                            assert!(!open, "seed {seed}: two faults at once on {wan}");
                            open = true;
                        }
                        Action::End(w) if w == wan => {
                            assert!(open, "seed {seed}: {wan} restored without a fault");
                            open = false;
                        }
                        _ => {}
                    }
                    assert!(step.at < shape().faults);
                }
                assert!(!open, "seed {seed}: a fault on {wan} never ends");
            }
            let crashes: Vec<Duration> = s
                .steps
                .iter()
                .filter(|st| st.action == Action::Crash)
                .map(|st| st.at)
                .collect();
            assert_eq!(crashes.len(), 2);
            assert!(crashes.iter().all(|&c| c <= Duration::from_secs(40)));
            let (b, l, c) = s.counts();
            assert!(b + l + c >= 6, "seed {seed}: only {} faults", b + l + c);
        }
    }

    #[test]
    fn durations_are_drawn_in_range() {
        let mut r = Rng::new(1);
        for _ in 0..1000 {
            let d = r.between(Duration::from_millis(10), Duration::from_millis(20));
            assert!(d >= Duration::from_millis(10) && d <= Duration::from_millis(20));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(
            r.between(Duration::from_secs(2), Duration::from_secs(1)),
            Duration::from_secs(2)
        );
    }
}
