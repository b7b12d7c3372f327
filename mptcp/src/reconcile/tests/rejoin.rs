//! Failed joins: the kernel never retries them, so the endpoint is
//! re-added after a back-off that doubles until a join succeeds.

use std::time::Duration;

use super::harness::*;
use crate::event::PmEvent;
use crate::reconcile::{Action, Event, SlotInput, Usable};

/// Slot "a" up and added at t0.
fn a_up() -> Harness {
    let mut h = Harness::two();
    h.start();
    h.settle(input("a", Usable::Up));
    h
}

fn failed(token: u32, port: u16, error: u8) -> PmEvent {
    PmEvent::SubClosed(subflow(token, addr_of("a"), port, 1, Some(error)))
}

fn joined(token: u32, port: u16) -> PmEvent {
    PmEvent::SubEstablished(subflow(token, addr_of("a"), port, 1, None))
}

/// The times (whole seconds since t0) of each re-add's delete and add.
fn readds(actions: &[(Duration, Action)]) -> Vec<(u64, String)> {
    actions
        .iter()
        .filter_map(|(t, a)| change(a).map(|c| (t.as_secs(), c)))
        .collect()
}

fn readd_at(t: u64) -> [(u64, String); 2] {
    [
        (t, "delete 1".to_owned()),
        (t, "add 1 10.0.1.1 [subflow]".to_owned()),
    ]
}

#[test]
fn a_failed_join_is_retried_after_retry_base_then_doubling() {
    let mut h = a_up();
    // The first join after the add failed: the path is black-holed.
    assert!(h.pm(failed(1, 40000, 110)).is_empty());
    assert_eq!(h.r.next_deadline(), Some(h.t0 + SEC));
    assert_eq!(readds(&h.run_to(Duration::from_secs(9))), readd_at(1));

    // Each later failure waits twice as long.
    h.pm(failed(1, 40001, 110));
    assert_eq!(readds(&h.run_to(Duration::from_secs(19))), readd_at(11));
    h.pm(failed(1, 40002, 113));
    assert_eq!(readds(&h.run_to(Duration::from_secs(29))), readd_at(23));

    // A join that works resets the back-off.
    h.pm(joined(1, 40003));
    h.pm(failed(1, 40003, 110));
    assert_eq!(readds(&h.run_to(Duration::from_secs(39))), readd_at(30));
}

#[test]
fn the_back_off_stops_doubling_at_retry_max() {
    let mut h = a_up();
    let mut at = 0;
    let mut delays = Vec::new();
    for round in 0..8u16 {
        h.pm(failed(1, 40000 + round, 110));
        let start = h.now;
        let actions = h.run_to(Duration::from_secs(at + 100));
        let (t, _) = actions
            .iter()
            .find(|(_, a)| matches!(a, Action::Delete { .. }))
            .expect("a re-add");
        delays.push((*t - (start - h.t0)).as_secs());
        at += 100;
    }
    assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
}

#[test]
fn a_normal_close_is_not_a_failure() {
    let mut h = a_up();
    h.pm(joined(1, 40000));
    h.pm(PmEvent::SubClosed(subflow(
        1,
        addr_of("a"),
        40000,
        1,
        Some(0),
    )));
    h.pm(PmEvent::SubClosed(subflow(1, addr_of("a"), 40001, 1, None)));
    assert!(readds(&h.run_to(Duration::from_secs(60))).is_empty());
}

#[test]
fn many_failures_make_one_re_add() {
    let mut h = a_up();
    for token in 1..=20 {
        h.pm(failed(token, 40000, 110));
    }
    assert_eq!(readds(&h.run_to(Duration::from_secs(9))), readd_at(1));
}

#[test]
fn no_re_add_for_a_slot_that_is_not_wanted() {
    let mut h = a_up();
    h.pm(failed(1, 40000, 110));
    // The caller takes the path down before the re-add is due.
    assert_eq!(changes(&h.settle(input("a", Usable::Absent))), ["delete 1"]);
    h.now += Duration::from_secs(5);
    h.pm(failed(2, 40001, 110));
    assert!(readds(&h.run_to(Duration::from_secs(60))).is_empty());
    // Unknown addresses are nobody's.
    h.pm(PmEvent::SubClosed(subflow(
        3,
        [10, 7, 7, 7].into(),
        1,
        0,
        Some(110),
    )));
    assert!(readds(&h.run_to(Duration::from_secs(120))).is_empty());
}

#[test]
fn closes_caused_by_our_own_delete_are_not_failures() {
    let mut h = a_up();
    h.pm(joined(1, 40000));
    h.pm(joined(2, 40000));
    assert_eq!(h.status("a").subflows, 2);
    // The address changes: the endpoint is replaced, which resets the
    // subflows on the old one.
    let moved = Event::SlotChanged(SlotInput {
        key: "a".into(),
        usable: Usable::Up,
        addr: Some([10, 0, 1, 99].into()),
        ifindex: Some(11),
    });
    assert_eq!(
        changes(&h.settle(moved)),
        ["delete 1", "add 1 10.0.1.99 [subflow]"]
    );
    h.pm(failed(1, 40000, 104));
    h.pm(failed(2, 40000, 104));
    assert_eq!(h.status("a").subflows, 0);
    // A join in progress, never seen established, closed by the delete.
    h.pm(PmEvent::SubClosed(subflow(
        3,
        [10, 0, 1, 99].into(),
        5,
        1,
        Some(104),
    )));
    assert!(readds(&h.run_to(Duration::from_secs(60))).is_empty());

    // Past the grace, the same close is a failed join again.
    h.pm(PmEvent::SubClosed(subflow(
        4,
        [10, 0, 1, 99].into(),
        6,
        1,
        Some(110),
    )));
    let got = readds(&h.run_to(Duration::from_secs(70)));
    assert_eq!(got.first().map(|(t, _)| *t), Some(61));
}

#[test]
fn the_grace_after_our_delete_ends_on_time_without_a_tick() {
    let mut h = a_up();
    h.pm(failed(1, 40000, 110));
    let readd = h.run_to(Duration::from_secs(1));
    assert_eq!(readds(&readd), readd_at(1));
    // Inside the grace: a close of a join never seen is our delete's.
    h.now += Duration::from_millis(1900);
    h.pm(failed(2, 40001, 104));
    assert_eq!(h.r.next_deadline(), Some(h.t0 + Duration::from_secs(6)));
    // Just past it, with no tick in between, a failure is a failure.
    h.now += Duration::from_millis(200);
    h.pm(failed(3, 40002, 110));
    assert_eq!(
        h.r.next_deadline(),
        Some(h.now + Duration::from_secs(2)),
        "re-add after the doubled delay"
    );
}
