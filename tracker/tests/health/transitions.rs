//! Every round-driven transition of one family, at exactly the round that
//! must cause it and not one before.

use std::time::Duration;

use mpwan_tracker::{Family, HealthParams, Reason};

use crate::harness::*;

const F: Family = Family::V4;

fn one_target() -> Harness {
    Harness::new(HealthParams::default(), 1, 0)
}

/// Brings a fresh one-target WAN up.
fn up(h: &mut Harness) {
    let a = h.rounds(3, F, &[ok(20)]);
    assert_eq!(changes(&a), vec![(V4, Init, Up), (WAN, Init, Up)]);
}

/// Takes an up WAN down with `down` lost rounds.
fn down(h: &mut Harness) {
    let a = h.rounds(3, F, &[LOST]);
    assert_eq!(changes(&a), vec![(V4, Up, Down), (WAN, Up, Down)]);
}

#[test]
fn init_to_up_after_up_passed_rounds_without_hold_down() {
    let mut h = one_target();
    assert!(changes(&h.round(F, &[ok(20)])).is_empty());
    assert!(changes(&h.round(F, &[ok(20)])).is_empty());
    let a = h.round(F, &[ok(20)]);
    let t = transitions(&a);
    assert_eq!(changes(&a), vec![(V4, Init, Up), (WAN, Init, Up)]);
    // Rounds at 0 s, 1 s, 2 s; the third reply lands at 2.02 s.
    assert_eq!(t[0].since, h.at(ms(2020)));
    assert_eq!(
        t[0].reason,
        Reason::Passed {
            rounds: 3,
            hold_down: Duration::ZERO
        }
    );
    assert_eq!(t[0].quality.lost, 0);
    assert_eq!(t[0].quality.sent, 3);
    assert_eq!(t[0].quality.rtt_avg, Some(ms(20)));
    assert_eq!(h.wan.state(), Up);
    assert_eq!(h.wan.since(), h.at(ms(2020)));
}

#[test]
fn init_to_down_after_down_failed_rounds() {
    let mut h = one_target();
    assert!(changes(&h.rounds(2, F, &[LOST])).is_empty());
    let a = h.round(F, &[LOST]);
    assert_eq!(changes(&a), vec![(V4, Init, Down), (WAN, Init, Down)]);
    let t = transitions(&a);
    assert_eq!(t[0].reason, Reason::Failed { rounds: 3 });
    // 0 -> 0.8 s fails; then back to back (failure_interval 0.5 s is
    // shorter than the 0.8 s timeout): 0.8 -> 1.6, 1.6 -> 2.4.
    assert_eq!(t[0].since, h.at(ms(2400)));
    assert_eq!(t[0].quality.lost, 3);
}

#[test]
fn mixed_rounds_in_init_decide_nothing() {
    let mut h = one_target();
    for _ in 0..10 {
        assert!(changes(&h.rounds(2, F, &[ok(20)])).is_empty());
        assert!(changes(&h.rounds(2, F, &[LOST])).is_empty());
    }
    assert_eq!(h.wan.state(), Init);
}

#[test]
fn up_to_down_after_exactly_down_failed_rounds() {
    // With one target, four losses in a short window would breach the 40 %
    // loss limit first: lift it to watch the `down` count alone.
    let params = HealthParams {
        failure_loss: 100,
        recovery_loss: 100,
        ..HealthParams::default()
    };
    let mut h = Harness::new(params, 1, 0);
    up(&mut h);
    // Two failures, then a pass: the streak starts over.
    assert!(changes(&h.rounds(2, F, &[LOST])).is_empty());
    assert!(changes(&h.round(F, &[ok(20)])).is_empty());
    assert!(changes(&h.rounds(2, F, &[LOST])).is_empty());
    assert_eq!(h.wan.state(), Up);
    let a = h.round(F, &[LOST]);
    assert_eq!(changes(&a), vec![(V4, Up, Down), (WAN, Up, Down)]);
    assert_eq!(transitions(&a)[0].reason, Reason::Failed { rounds: 3 });
}

#[test]
fn down_to_up_only_after_up_rounds_plus_hold_down() {
    let mut h = one_target();
    up(&mut h);
    down(&mut h);
    // Two passes: not yet `up` in a row, no hold-down yet.
    assert!(changes(&h.rounds(2, F, &[ok(20)])).is_empty());
    let snap = h.wan.snapshot(h.now);
    assert_eq!(snap.families[0].hold_down_until, None);
    // The third pass starts the hold-down.
    assert!(changes(&h.round(F, &[ok(20)])).is_empty());
    let hold_start = h.now;
    let snap = h.wan.snapshot(h.now);
    assert_eq!(
        snap.families[0].hold_down_until,
        Some(hold_start + secs(10))
    );
    assert_eq!(snap.families[0].state, Down);
    // Rounds every recovery_interval (1 s): nine more passes end before the
    // hold-down does.
    for _ in 0..9 {
        assert!(changes(&h.round(F, &[ok(20)])).is_empty());
    }
    assert!(h.now < hold_start + secs(10));
    // The tenth ends exactly at its end.
    let a = h.round(F, &[ok(20)]);
    assert_eq!(changes(&a), vec![(V4, Down, Up), (WAN, Down, Up)]);
    let t = transitions(&a);
    assert_eq!(t[0].since, hold_start + secs(10));
    assert_eq!(
        t[0].reason,
        Reason::Passed {
            rounds: 13,
            hold_down: secs(10)
        }
    );
}

#[test]
fn a_failed_round_during_hold_down_restarts_it() {
    let mut h = one_target();
    up(&mut h);
    down(&mut h);
    assert!(changes(&h.rounds(8, F, &[ok(20)])).is_empty());
    assert!(h.wan.snapshot(h.now).families[0].hold_down_until.is_some());
    // One failure: streak and hold-down gone.
    assert!(changes(&h.round(F, &[LOST])).is_empty());
    let snap = h.wan.snapshot(h.now);
    assert_eq!(snap.families[0].hold_down_until, None);
    assert_eq!(snap.families[0].passed, 0);
    // Again `up` passes and a whole hold-down: 12 passes are not enough...
    assert!(changes(&h.rounds(12, F, &[ok(20)])).is_empty());
    // ...the 13th is.
    let a = h.round(F, &[ok(20)]);
    assert_eq!(changes(&a), vec![(V4, Down, Up), (WAN, Down, Up)]);
    // A failure during hold-down is not a flap: the hold-down did not grow.
    assert_eq!(
        transitions(&a)[0].reason,
        Reason::Passed {
            rounds: 13,
            hold_down: secs(10)
        }
    );
}

#[test]
fn a_family_never_usable_skips_the_hold_down() {
    let mut h = one_target();
    let a = h.rounds(3, F, &[LOST]);
    assert_eq!(changes(&a), vec![(V4, Init, Down), (WAN, Init, Down)]);
    assert!(changes(&h.rounds(2, F, &[ok(20)])).is_empty());
    let a = h.round(F, &[ok(20)]);
    assert_eq!(changes(&a), vec![(V4, Down, Up), (WAN, Down, Up)]);
    assert_eq!(
        transitions(&a)[0].reason,
        Reason::Passed {
            rounds: 3,
            hold_down: Duration::ZERO
        }
    );
    // Having been usable once, the next recovery waits the hold-down.
    down(&mut h);
    assert!(changes(&h.rounds(12, F, &[ok(20)])).is_empty());
    let a = h.round(F, &[ok(20)]);
    assert_eq!(changes(&a), vec![(V4, Down, Up), (WAN, Down, Up)]);
}

#[test]
fn a_reply_slower_than_timeout_is_a_lost_probe() {
    let mut h = one_target();
    // Exactly at the timeout still counts.
    let a = h.rounds(3, F, &[ok(800)]);
    assert_eq!(changes(&a), vec![(V4, Init, Up), (WAN, Init, Up)]);
    let a = h.rounds(3, F, &[ok(801)]);
    assert_eq!(changes(&a), vec![(V4, Up, Down), (WAN, Up, Down)]);
    let q = h.wan.quality();
    // The window holds the 3 passes and the 3 losses.
    assert_eq!((q.lost, q.sent), (3, 6));
    assert_eq!(q.rtt_avg, Some(ms(800)));
}

#[test]
fn errors_count_as_lost_probes() {
    use mpwan_tracker::{ErrorKind, Outcome};
    let mut h = one_target();
    up(&mut h);
    let a = h.rounds(3, F, &[Outcome::Error(ErrorKind::Send)]);
    assert_eq!(changes(&a), vec![(V4, Up, Down), (WAN, Up, Down)]);
}

#[test]
fn intervals_follow_the_state() {
    use crate::sim::{Link, Sim};
    let params = HealthParams {
        interval: secs(1),
        failure_interval: ms(500),
        recovery_interval: secs(2),
        timeout: ms(300),
        ..HealthParams::default()
    };
    let mut sim = Sim::new(params, vec![Link::Reply(ms(10))], vec![], 1);
    sim.run_until(ms(5500));
    let steady: Vec<Duration> = (0..=5).map(secs).collect();
    assert_eq!(sim.starts(F), steady);
    sim.set_all(F, Link::Lost);
    sim.run_until(secs(14));
    let starts = sim.starts(F);
    // 6 s fails at 6.3 s; failure_interval: 6.5 s, 7 s; the third failure
    // (7.3 s) makes it down, then recovery_interval from the last start.
    let expected: Vec<Duration> = [6000, 6500, 7000, 9000, 11000, 13000]
        .into_iter()
        .map(ms)
        .collect();
    assert_eq!(starts[6..], expected[..]);
    let downs: Vec<_> = sim
        .transitions()
        .into_iter()
        .filter(|(_, t)| t.to == Down)
        .map(|(at, t)| (at, t.scope))
        .collect();
    assert_eq!(downs, vec![(ms(7300), V4), (ms(7300), WAN)]);
}

#[test]
fn next_deadline_is_the_round_start_or_the_report_deadline() {
    let mut h = one_target();
    assert_eq!(h.wan.next_deadline(), Some(h.t0));
    let a = h.advance();
    assert_eq!(a.len(), 1);
    // A round in flight: its deadline is start + timeout + REPORT_SLACK.
    assert_eq!(
        h.wan.next_deadline(),
        Some(h.t0 + ms(800) + mpwan_tracker::health::REPORT_SLACK)
    );
    // Reported at 20 ms: the next round is due at 1 s.
    let (_, id, _) = h.pending[0];
    h.report_at(F, id, &[ok(20)], h.at(ms(20)));
    assert_eq!(h.wan.next_deadline(), Some(h.at(secs(1))));
    // An early tick changes nothing.
    let a = h.sleep(ms(100));
    assert!(a.is_empty());
    assert_eq!(h.wan.next_deadline(), Some(h.at(secs(1))));
}
