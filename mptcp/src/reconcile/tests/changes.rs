//! Desired against actual: every change takes its step, and only ours.

use std::time::Duration;

use super::harness::*;
use crate::endpoint::Endpoint;
use crate::flags::EndpointFlags;
use crate::reconcile::{Action, Event, SlotInput, Usable};

/// Both slots up and added.
fn both_up() -> Harness {
    let mut h = Harness::two();
    h.start();
    h.settle(input("a", Usable::Up));
    h.settle(input("b", Usable::Up));
    assert_eq!(h.kernel.endpoints.len(), 2);
    h
}

#[test]
fn down_deletes_at_once() {
    let mut h = both_up();
    let actions = h.settle(input("a", Usable::Absent));
    assert_eq!(changes(&actions), ["delete 1"]);
    assert_eq!(dumps(&actions), 1);
    assert!(!h.status("a").present);
    assert_eq!(h.kernel.show(), ["2 10.0.2.1 [subflow] dev Some(12)"]);
    // Saying it again changes nothing.
    assert!(changes(&h.settle(input("a", Usable::Absent))).is_empty());
}

#[test]
fn degraded_sets_backup_in_place_and_up_clears_it() {
    let mut h = both_up();
    let actions = h.settle(input("a", Usable::Degraded));
    assert_eq!(changes(&actions), ["set_flags 1 [subflow backup]"]);
    let a = h.status("a");
    assert!(a.present);
    assert_eq!(a.flags, SUBFLOW | BACKUP);
    assert_eq!(h.kernel.endpoints[&1].flags, SUBFLOW | BACKUP);

    let actions = h.settle(input("a", Usable::Up));
    assert_eq!(changes(&actions), ["set_flags 1 [subflow]"]);
    assert_eq!(h.kernel.endpoints[&1].flags, SUBFLOW);
}

#[test]
fn a_configured_backup_stays_when_up() {
    let mut h = Harness::new(
        vec![crate::reconcile::SlotSpec {
            base_flags: SUBFLOW | BACKUP,
            ..spec("a", 1, crate::reconcile::Family::V4)
        }],
        Default::default(),
    );
    h.start();
    assert_eq!(
        changes(&h.settle(input("a", Usable::Up))),
        ["add 1 10.0.1.1 [subflow backup]"]
    );
    assert!(changes(&h.settle(input("a", Usable::Degraded))).is_empty());
}

#[test]
fn an_address_change_replaces_the_endpoint_with_the_same_id() {
    let mut h = both_up();
    let moved = Event::SlotChanged(SlotInput {
        key: "a".into(),
        usable: Usable::Up,
        addr: Some([10, 0, 1, 99].into()),
        ifindex: Some(11),
    });
    let actions = h.settle(moved);
    assert_eq!(changes(&actions), ["delete 1", "add 1 10.0.1.99 [subflow]"]);
    assert_eq!(
        h.kernel.endpoints[&1].addr,
        std::net::IpAddr::from([10, 0, 1, 99])
    );

    let new_dev = Event::SlotChanged(SlotInput {
        key: "a".into(),
        usable: Usable::Degraded,
        addr: Some([10, 0, 1, 99].into()),
        ifindex: Some(21),
    });
    assert_eq!(
        changes(&h.settle(new_dev)),
        ["delete 1", "add 1 10.0.1.99 [subflow backup]"]
    );
    assert_eq!(h.kernel.endpoints[&1].ifindex, Some(21));
}

#[test]
fn an_endpoint_someone_deleted_is_back_within_one_period() {
    let mut h = both_up();
    h.kernel.endpoints.remove(&1);
    let actions = h.run_to(Duration::from_secs(5));
    let adds: Vec<_> = actions
        .iter()
        .filter_map(|(t, a)| change(a).map(|c| (*t, c)))
        .collect();
    assert_eq!(
        adds,
        [(
            Duration::from_secs(5),
            "add 1 10.0.1.1 [subflow]".to_owned()
        )]
    );
    assert!(h.kernel.endpoints.contains_key(&1));
}

#[test]
fn flags_someone_changed_are_set_back_in_place() {
    let mut h = both_up();
    if let Some(e) = h.kernel.endpoints.get_mut(&2) {
        e.flags = SUBFLOW | BACKUP | EndpointFlags::FULLMESH;
    }
    let actions = h.run_to(Duration::from_secs(5));
    let got: Vec<_> = actions.iter().filter_map(|(_, a)| change(a)).collect();
    assert_eq!(got, ["set_flags 2 [subflow]"]);
    assert_eq!(h.kernel.endpoints[&2].flags, SUBFLOW);
}

#[test]
fn a_signal_flag_someone_set_is_replaced() {
    let mut h = both_up();
    if let Some(e) = h.kernel.endpoints.get_mut(&2) {
        e.flags = EndpointFlags::SIGNAL;
    }
    let got: Vec<_> = h
        .run_to(Duration::from_secs(5))
        .iter()
        .filter_map(|(_, a)| change(a))
        .collect();
    assert_eq!(got, ["delete 2", "add 2 10.0.2.1 [subflow]"]);
}

#[test]
fn our_id_at_another_address_is_replaced() {
    let mut h = Harness::two();
    // Left over from an earlier run, or made by hand.
    h.kernel.endpoints.insert(
        1,
        Endpoint::new(1, [10, 9, 9, 9].into(), EndpointFlags::SIGNAL),
    );
    h.start();
    assert_eq!(
        changes(&h.settle(input("a", Usable::Up))),
        ["delete 1", "add 1 10.0.1.1 [subflow]"]
    );
}

#[test]
fn endpoints_are_left_alone_until_the_first_input() {
    let mut h = Harness::two();
    // Ours, left by an earlier run of the daemon.
    h.kernel.endpoints.insert(1, endpoint("a", 1, SUBFLOW));
    h.kernel.endpoints.insert(2, endpoint("b", 2, SUBFLOW));
    assert!(changes(&h.start()).is_empty());
    assert!(h.status("a").present);
    assert!(changes(&h.settle(input("a", Usable::Up))).is_empty());
    assert_eq!(changes(&h.settle(input("b", Usable::Absent))), ["delete 2"]);
}

#[test]
fn foreign_endpoints_are_never_touched() {
    let mut h = Harness::two();
    let foreign = Endpoint::new(7, [192, 168, 1, 1].into(), EndpointFlags::SIGNAL);
    h.kernel.endpoints.insert(7, foreign.clone());
    h.start();
    let mut all = h.settle(input("a", Usable::Up));
    all.extend(h.settle(input("a", Usable::Absent)));
    all.extend(
        h.run_to(Duration::from_secs(60))
            .into_iter()
            .map(|(_, a)| a),
    );
    for a in &all {
        let touches_7 = matches!(
            a,
            Action::Delete { id: 7, .. } | Action::SetFlags { id: 7, .. }
        ) || matches!(a, Action::Add { endpoint, .. } if endpoint.id == 7);
        assert!(!touches_7, "{a:?}");
    }
    assert_eq!(h.kernel.endpoints.get(&7), Some(&foreign));
}

#[test]
fn one_operation_per_slot_at_a_time() {
    let mut h = Harness::two();
    h.start();
    let add = h.raw(input("a", Usable::Up));
    assert_eq!(changes(&add), ["add 1 10.0.1.1 [subflow]"]);
    // Down before the add is answered: the delete waits for it.
    assert!(h.raw(input("a", Usable::Absent)).is_empty());
    // The other slot is not held up.
    assert_eq!(
        changes(&h.raw(input("b", Usable::Up))),
        ["add 2 10.0.2.1 [subflow]"]
    );
    let answer = h.kernel.answer(&add[0]);
    let after = h.raw(answer);
    assert_eq!(changes(&after), ["delete 1"]);
}

#[test]
fn changes_wait_for_a_dump_in_flight_but_unwanted_endpoints_do_not() {
    let mut h = both_up();
    // The periodic dump goes out and is not answered yet.
    h.now += Duration::from_secs(5);
    let dump = h.raw(Event::Tick);
    assert!(matches!(dump.as_slice(), [Action::Dump { .. }]), "{dump:?}");
    assert!(h.raw(input("b", Usable::Degraded)).is_empty());
    assert_eq!(changes(&h.raw(input("a", Usable::Absent))), ["delete 1"]);
    // Once the dump is answered, the held change goes out.
    let answer = h.kernel.answer(&dump[0]);
    assert_eq!(changes(&h.raw(answer)), ["set_flags 2 [subflow backup]"]);
}

#[test]
fn the_kernel_is_dumped_every_period_and_after_changes() {
    let mut h = both_up();
    let ticks = h.run_to(Duration::from_secs(20));
    let times: Vec<u64> = ticks
        .iter()
        .filter(|(_, a)| matches!(a, Action::Dump { .. }))
        .map(|(t, _)| t.as_secs())
        .collect();
    assert_eq!(times, [5, 10, 15, 20]);
    assert!(ticks.iter().all(|(_, a)| change(a).is_none()), "{ticks:?}");
}
