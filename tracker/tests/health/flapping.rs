//! Exponential back-off of the hold-down: it doubles for a family that goes
//! down soon after coming back, stops at its cap, and decays with
//! stability.

use std::time::Duration;

use mpwan_tracker::{Family, HealthParams, Reason};

use crate::harness::*;

const F: Family = Family::V4;

fn params() -> HealthParams {
    HealthParams {
        hold_down: secs(10),
        hold_down_max: secs(40),
        stable_period: secs(60),
        ..HealthParams::default()
    }
}

fn fail(h: &mut Harness) {
    let a = h.rounds(3, F, &[LOST]);
    assert_eq!(changes(&a), vec![(V4, Up, Down), (WAN, Up, Down)]);
}

/// Passes rounds until the family is up; returns the hold-down it waited,
/// after checking the time really waited from the `up`th pass.
fn recover(h: &mut Harness) -> Duration {
    h.rounds(3, F, &[ok(20)]);
    let hold_start = h.now;
    for _ in 0..200 {
        let a = h.round(F, &[ok(20)]);
        if let Some(t) = transitions(&a).first() {
            assert_eq!((t.from, t.to), (Down, Up));
            let Reason::Passed { hold_down, .. } = t.reason else {
                panic!("unexpected reason {:?}", t.reason);
            };
            // Rounds are 1 s apart and replies take 20 ms, so the first
            // pass at or after the end of a whole-second hold-down lands
            // exactly on it.
            assert_eq!(t.since - hold_start, hold_down);
            return hold_down;
        }
    }
    panic!("never recovered");
}

/// Stays up, passing rounds, for at least `d`.
fn stay_up(h: &mut Harness, d: Duration) {
    let until = h.now + d;
    while h.now < until {
        assert!(changes(&h.round(F, &[ok(20)])).is_empty());
    }
}

#[test]
fn flapping_doubles_the_hold_down_up_to_its_cap_and_stability_decays_it() {
    let mut h = Harness::new(params(), 1, 0);
    h.rounds(3, F, &[ok(20)]);
    // The first failure after start is an outage, not a flap.
    fail(&mut h);
    assert_eq!(recover(&mut h), secs(10));
    // Down again seconds after coming back: each flap doubles it...
    fail(&mut h);
    assert_eq!(h.wan.snapshot(h.now).families[0].hold_down, secs(20));
    assert_eq!(recover(&mut h), secs(20));
    fail(&mut h);
    assert_eq!(recover(&mut h), secs(40));
    // ...up to hold_down_max.
    fail(&mut h);
    assert_eq!(recover(&mut h), secs(40));
    fail(&mut h);
    assert_eq!(recover(&mut h), secs(40));
    // One whole stable period halves it (the snapshot shows the decay
    // before the family goes down)...
    stay_up(&mut h, secs(61));
    assert_eq!(h.wan.snapshot(h.now).families[0].hold_down, secs(20));
    fail(&mut h);
    assert_eq!(recover(&mut h), secs(20));
    // ...and two more bring it back to the base, never below.
    stay_up(&mut h, secs(125));
    fail(&mut h);
    assert_eq!(recover(&mut h), secs(10));
    stay_up(&mut h, secs(600));
    fail(&mut h);
    assert_eq!(recover(&mut h), secs(10));
}

#[test]
fn going_down_after_a_stable_period_is_not_a_flap() {
    let mut h = Harness::new(params(), 1, 0);
    h.rounds(3, F, &[ok(20)]);
    fail(&mut h);
    assert_eq!(recover(&mut h), secs(10));
    stay_up(&mut h, secs(60));
    fail(&mut h);
    assert_eq!(recover(&mut h), secs(10));
}

#[test]
fn carrier_flaps_count_too() {
    use mpwan_tracker::Event;
    let mut h = Harness::new(params(), 1, 0);
    h.rounds(3, F, &[ok(20)]);
    fail(&mut h);
    assert_eq!(recover(&mut h), secs(10));
    let a = h.feed(Event::Carrier(false));
    assert_eq!(changes(&a), vec![(V4, Up, Down), (WAN, Up, Down)]);
    h.sleep(secs(1));
    h.feed(Event::Carrier(true));
    assert_eq!(recover(&mut h), secs(20));
}

#[test]
fn without_a_hold_down_there_is_nothing_to_grow() {
    let mut h = Harness::new(
        HealthParams {
            hold_down: Duration::ZERO,
            ..params()
        },
        1,
        0,
    );
    h.rounds(3, F, &[ok(20)]);
    for _ in 0..5 {
        fail(&mut h);
        // Usable again at the `up`th pass.
        let a = h.rounds(3, F, &[ok(20)]);
        assert_eq!(changes(&a), vec![(V4, Down, Up), (WAN, Down, Up)]);
    }
}
