//! Carrier events from rtnetlink: loss is `down` at once, without a round;
//! its return only lets rounds run again.

use mpwan_tracker::{Event, Family, HealthParams, Reason};

use crate::harness::*;

const F: Family = Family::V4;

#[test]
fn carrier_loss_is_down_at_once_and_pauses_rounds() {
    let mut h = Harness::new(HealthParams::default(), 1, 0);
    h.rounds(3, F, &[ok(20)]);
    // A round is in flight when the carrier goes.
    h.advance();
    let (_, in_flight, _) = h.pending[0];
    let lost_at = h.now + ms(5);
    let a = h.feed_at(Event::Carrier(false), lost_at);
    assert_eq!(changes(&a), vec![(V4, Up, Down), (WAN, Up, Down)]);
    let t = transitions(&a)[0];
    assert_eq!(t.reason, Reason::CarrierLost);
    assert_eq!(t.since, lost_at);
    // Nothing to do until the carrier returns.
    assert_eq!(h.wan.next_deadline(), None);
    // The report of the cancelled round is ignored.
    let a = h.report_at(F, in_flight, &[ok(20)], lost_at + ms(20));
    assert!(a.is_empty());
    // Ticks start no round.
    assert!(h.sleep(secs(30)).is_empty());
    // A repeated loss is no news.
    assert!(h.feed(Event::Carrier(false)).is_empty());
    // Back: a round starts at once, and recovery needs `up` passes and the
    // hold-down like after any failure (1 s rounds: 3 + 10).
    let a = h.feed(Event::Carrier(true));
    assert!(matches!(
        a[..],
        [mpwan_tracker::Action::StartRound { family: F, .. }]
    ));
    assert!(changes(&h.rounds(12, F, &[ok(20)])).is_empty());
    let a = h.round(F, &[ok(20)]);
    assert_eq!(changes(&a), vec![(V4, Down, Up), (WAN, Down, Up)]);
}

#[test]
fn carrier_loss_in_init_is_down_and_the_first_recovery_waits_no_hold_down() {
    let mut h = Harness::new(HealthParams::default(), 1, 0);
    let a = h.feed(Event::Carrier(false));
    assert_eq!(changes(&a), vec![(V4, Init, Down), (WAN, Init, Down)]);
    h.sleep(secs(5));
    h.feed(Event::Carrier(true));
    // A WAN whose link came up after the daemon started: usable after
    // `up` passes.
    let a = h.rounds(3, F, &[ok(20)]);
    assert_eq!(changes(&a), vec![(V4, Down, Up), (WAN, Down, Up)]);
}

#[test]
fn carrier_up_at_start_is_no_news() {
    let mut h = Harness::new(HealthParams::default(), 1, 0);
    let a = h.feed(Event::Carrier(true));
    // Only the first round starts (the tick that every event implies).
    assert!(changes(&a).is_empty());
    assert_eq!(a.len(), 1);
}

#[test]
fn carrier_loss_takes_every_family_down() {
    let mut h = Harness::new(HealthParams::default(), 1, 1);
    for _ in 0..3 {
        h.round(Family::V4, &[ok(20)]);
        h.round(Family::V6, &[ok(30)]);
    }
    assert_eq!(h.wan.state(), Up);
    let a = h.feed(Event::Carrier(false));
    assert_eq!(
        changes(&a),
        vec![(V4, Up, Down), (V6, Up, Down), (WAN, Up, Down)]
    );
}
