//! Time that jumps: a driver that was stopped, and a `now` that goes back.

use mpwan_tracker::health::SUSPEND_GAP;
use mpwan_tracker::{Action, Event, Family, HealthParams, WanHealth};

use crate::harness::*;

const F: Family = Family::V4;

fn up() -> Harness {
    let mut h = Harness::new(HealthParams::default(), 1, 0);
    h.rounds(3, F, &[ok(20)]);
    assert_eq!(h.wan.state(), Up);
    h
}

fn starts(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::StartRound { .. }))
        .count()
}

#[test]
fn a_long_pause_between_rounds_starts_one_round_and_fails_none() {
    let mut h = up();
    // The process was stopped for a minute: sixty round slots passed.
    let a = h.sleep(secs(60));
    assert_eq!(starts(&a), 1);
    assert!(changes(&a).is_empty());
    let snap = h.wan.snapshot(h.now);
    assert_eq!(snap.families[0].failed, 0);
    // And rounds go on at the normal pace from there.
    let resumed = h.now;
    h.round(F, &[ok(20)]);
    h.advance();
    assert_eq!(h.now, resumed + secs(1));
}

#[test]
fn a_round_in_flight_across_a_long_pause_is_void() {
    let mut h = up();
    h.advance();
    assert_eq!(h.pending.len(), 1);
    let (_, stale, _) = h.pending[0];
    // Stopped for a minute with the round in flight; the timer fires late.
    let a = h.sleep(secs(60));
    assert!(changes(&a).is_empty());
    assert_eq!(starts(&a), 1);
    assert_eq!(h.wan.snapshot(h.now).families[0].failed, 0);
    // The void round's report, if it still comes, is ignored.
    let now = h.now;
    assert!(h.report_at(F, stale, &[LOST], now).is_empty());
    assert_eq!(h.wan.snapshot(h.now).families[0].failed, 0);
}

#[test]
fn a_report_overdue_by_less_than_the_suspend_gap_fails_the_round() {
    let mut h = up();
    h.advance();
    let deadline = h.wan.next_deadline().expect("round deadline");
    // Late, but not late enough to be a stopped process.
    h.feed_at(Event::Tick, deadline + SUSPEND_GAP);
    assert_eq!(h.wan.snapshot(h.now).families[0].failed, 1);
}

#[test]
fn repeated_long_pauses_never_take_a_wan_down() {
    let mut h = up();
    for _ in 0..10 {
        // A round starts, the process stops for two minutes, the round is
        // void and a new one starts, which the driver answers.
        h.advance();
        let a = h.sleep(secs(120));
        assert!(changes(&a).is_empty());
        assert!(changes(&h.round(F, &[ok(20)])).is_empty());
    }
    assert_eq!(h.wan.state(), Up);
}

#[test]
fn now_going_backwards_neither_panics_nor_runs_time_backwards() {
    // Start an hour after the test's base so that "earlier" exists.
    let t0 = base() + secs(3600);
    let mut wan = WanHealth::new(HealthParams::default(), &targets(1), &[], t0).expect("params");
    let before = t0 - secs(3600);
    // A tick from the past is taken as `t0`: the first round starts.
    let a = wan.handle(Event::Tick, before);
    assert_eq!(starts(&a), 1);
    let Action::StartRound { round, .. } = a[0] else {
        panic!("expected a round");
    };
    // A report dated before the round started is accepted as of `t0`.
    let report = |round| {
        Event::Round(mpwan_tracker::RoundReport {
            family: F,
            round,
            results: vec![mpwan_tracker::TargetResult {
                target: mpwan_tracker::TargetId(0),
                outcome: ok(20),
            }],
        })
    };
    assert!(wan.handle(report(round), before).is_empty());
    // The next round is due a full interval after `t0`, not before.
    assert_eq!(wan.next_deadline(), Some(t0 + secs(1)));
    // Two more rounds, reported "in the past": up, dated no earlier than
    // the latest time seen.
    let mut latest = t0;
    for i in 1..=2u64 {
        let now = t0 + secs(i);
        let a = wan.handle(Event::Tick, now);
        let Action::StartRound { round, .. } = a[0] else {
            panic!("expected a round");
        };
        latest = now;
        let a = wan.handle(report(round), now - secs(30));
        if i == 2 {
            let t = transitions(&a);
            assert_eq!(t.len(), 2);
            assert_eq!(t[0].since, latest);
        }
    }
    assert_eq!(wan.since(), latest);
    let snap = wan.snapshot(before);
    assert_eq!(snap.families[0].since, latest);
}
