//! The health state machine: probe rounds and carrier events in, WAN
//! states out. Sans-IO: no sockets, no clock, no tasks. The driver passes
//! `now` (a `std::time::Instant`; a tokio driver converts
//! `tokio::time::Instant::into_std`) into every call.
//!
//! # Driving it (when to call what)
//!
//! ```text
//! let mut wan = WanHealth::new(params, &v4_targets, &v6_targets, now)?;
//! loop {
//!     // 1. Wait until wan.next_deadline() (None: no deadline), or until a
//!     //    round report or a carrier change arrives, whichever is first.
//!     // 2. Feed it: wan.handle(Event::Tick | Event::Round(r) | Event::Carrier(up), now)
//!     // 3. Perform every action in order:
//!     //      StartRound { family, round } -> probe every target of that
//!     //        family now; report Event::Round(RoundReport { family, round,
//!     //        results }) when all answered or `timeout` passed.
//!     //      Transition(t) -> pass it on (MPTCP, BGP, hooks, status).
//!     // 4. Read next_deadline() again: every call may move it.
//! }
//! ```
//!
//! The first rounds are due at the `now` given to `new`, so the driver's
//! first step is a tick. The machine assumes carrier is up; a driver that
//! finds the link down at start sends `Event::Carrier(false)`.
//!
//! The driver must report every round it was asked for, at `timeout` at
//! the latest, with one [`TargetResult`](crate::events::TargetResult) per
//! target. If no report comes by `timeout` + [`REPORT_SLACK`], the machine
//! fails the round itself (every probe lost) and ignores the late report.
//!
//! # Rounds
//!
//! A round probes every target of a family at once. A target *answered*
//! when its outcome is a `Reply` with `rtt <= timeout`; a slower reply, a
//! timeout, an error or a missing entry is a lost probe. A round *passes*
//! when at least `reliability` targets answered. The quality limits do not
//! decide whether a round passes: they are judged on the window's mean RTT
//! and loss (never on a single reply) and make a usable family `degraded`,
//! never `down`, because a slow or lossy WAN still carries traffic.
//!
//! # Transitions of a family
//!
//! - `init` -> `up`: `up` passed rounds in a row, with no hold-down (a WAN
//!   that works at boot is usable within `up` rounds). `init` -> `down`:
//!   `down` failed rounds in a row.
//! - `up`/`degraded` -> `down`: exactly `down` failed rounds in a row, or
//!   carrier loss (at once, no round needed; rounds pause until carrier
//!   returns).
//! - `down` -> usable: `up` passed rounds in a row start the hold-down;
//!   the family becomes usable at the first passed round that ends at or
//!   after the hold-down's end. Any failed round clears the hold-down and
//!   the streak: recovery starts over. A family that was never usable
//!   since start (dead at boot, link down at boot) skips the hold-down: it
//!   protects against flapping, and such a WAN has not flapped yet.
//! - Becoming usable (from `init` or `down`) gives `up`, or `degraded` if
//!   the window already breaches a failure limit. While not usable, the
//!   window restarts with each run of passed rounds, so that judgement is
//!   on the rounds that proved the family, not on the outage before.
//! - `up` -> `degraded`: after a passed round, mean RTT over the window >
//!   `failure_latency` or loss > `failure_loss`. `degraded` -> `up`: after a
//!   passed round, mean RTT <= `recovery_latency` and loss <=
//!   `recovery_loss`. Failed rounds are not judged for quality: they count
//!   towards `down`, so a black-holed link goes `up` -> `down` without a
//!   spurious `degraded` on the way, while a lossy link whose rounds still
//!   pass is `degraded`. Between the two limits the state does not change
//!   (hysteresis). A value exactly at a limit is within it: 40 % loss with
//!   `failure_loss = 40` stays up; 10 % with `recovery_loss = 10` recovers.
//! - Flapping (exponential back-off): going down less than
//!   [`HealthParams::stable_period`] after coming back from `down` (through
//!   a hold-down) doubles the next hold-down, up to
//!   [`HealthParams::hold_down_max`]; each whole `stable_period` spent
//!   usable halves it again, down to `hold_down`. The first failure after
//!   start is an outage, not a flap. Time spent down does not count as
//!   stable.
//!
//! # Intervals
//!
//! Rounds start `interval` apart (start to start) while steady,
//! `failure_interval` apart once a round has failed and the family is not
//! yet down, `recovery_interval` apart while down. A round never starts
//! while the previous one of its family is in flight: if it ends after the
//! next slot, the next round starts as soon as it ends.
//!
//! # Time
//!
//! - A `now` earlier than one already seen is taken as the latest seen:
//!   nothing runs backwards, nothing underflows.
//! - A `now` far past `next_deadline` (the process was stopped): missed
//!   round slots are not run and never count as failures; a single round
//!   starts. A round in flight whose deadline passed more than
//!   [`SUSPEND_GAP`] ago is void (neither passed nor failed). A report the
//!   driver delivers after such a pause is taken as it is, so a pause costs
//!   at most one failed round.
//!
//! # Detection time
//!
//! From a blackhole (every probe lost from one instant on) to `down`, for
//! a steady family, when the driver reports a round at `timeout`:
//!
//! - the first round that fails starts at most `interval` after the
//!   blackhole began (worst case: it began just after the previous round's
//!   replies came back) and ends `timeout` later;
//! - each of the next `down - 1` rounds starts `failure_interval` after the
//!   previous start, or when the previous ends if that is later, and ends
//!   `timeout` after its start: `max(timeout, failure_interval)` each.
//!
//! Worst case = `interval + timeout + (down - 1) * max(timeout,
//! failure_interval)`; with the defaults (1 s, 800 ms, 3, 500 ms):
//! 1 + 0.8 + 2 x 0.8 = **3.4 s** (best case 2.4 s: the blackhole begins
//! just as a round starts). If the driver never reports, each round lasts
//! [`REPORT_SLACK`] longer: 1 + 3 x 1.0 = 4.0 s. For comparison,
//! omr-tracker takes about 20 s and mwan3track 60 to 130 s with their
//! defaults. [`HealthParams::worst_case_detection`] computes it.
//!
//! Back from `down` for a WAN that was usable before: about `up` x
//! `recovery_interval` + `hold_down` (3 x 1 s + 10 s = 13 s with the
//! defaults; the round in flight when the path heals may still fail,
//! adding one `recovery_interval`).

mod backoff;
mod family;
mod params;
mod rounds;
mod snapshot;
mod wan;
mod window;

pub use family::FamilyHealth;
pub use params::{HealthParams, MAX_DURATION, MAX_TARGETS, MAX_WINDOW};
pub use rounds::{REPORT_SLACK, SUSPEND_GAP};
pub use snapshot::{FamilySnapshot, TargetSnapshot, WanSnapshot};
pub use wan::WanHealth;
