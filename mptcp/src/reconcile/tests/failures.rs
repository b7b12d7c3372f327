//! Refusals: back off, record, never loop, and recover.

use std::time::Duration;

use super::harness::*;
use crate::endpoint::{Endpoint, Limits};
use crate::flags::EndpointFlags;
use crate::reconcile::{
    Action, Event, FailureKind, Family, OpFailure, OpId, ReconcileParams, Usable,
};

fn times_of(actions: &[(Duration, Action)], what: &str) -> Vec<u64> {
    actions
        .iter()
        .filter(|(_, a)| change(a).is_some_and(|c| c.starts_with(what)))
        .map(|(t, _)| t.as_secs())
        .collect()
}

#[test]
fn an_add_refused_as_exists_backs_off_doubling_and_does_not_loop() {
    let mut h = Harness::two();
    h.start();
    h.kernel.refuse_adds = Some(OpFailure::new(
        FailureKind::Exists,
        "adding MPTCP endpoint id 1: the endpoint id is already in use",
    ));
    let first = h.settle(input("a", Usable::Up));
    assert_eq!(changes(&first), ["add 1 10.0.1.1 [subflow]"]);
    // The failure is followed by a dump, to see who holds what.
    assert!(
        matches!(first.last(), Some(Action::Dump { .. })),
        "{first:?}"
    );
    let status = h.status("a");
    assert!(!status.present);
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap()
            .contains("already in use"),
        "{status:?}"
    );

    let later = h.run_to(Duration::from_secs(100));
    // 1, 2, 4, 8, 16, then 30 s apart.
    assert_eq!(times_of(&later, "add"), [1, 3, 7, 15, 31, 61, 91]);

    h.kernel.refuse_adds = None;
    let recovered = h.run_to(Duration::from_secs(121));
    assert_eq!(times_of(&recovered, "add"), [121]);
    assert_eq!(h.status("a").last_error, None);
    assert!(h.status("a").present);
    // A new failure starts from the shortest delay again.
    h.kernel.endpoints.clear();
    h.kernel.refuse_adds = Some(OpFailure::new(FailureKind::Exists, "EBUSY"));
    let again = h.run_to(Duration::from_secs(130));
    assert_eq!(times_of(&again, "add"), [126, 127, 129]);
}

#[test]
fn someone_taking_our_id_between_dumps_is_replaced_after_the_back_off() {
    let mut h = Harness::two();
    h.start();
    // Our view says the id is free; meanwhile someone took it.
    h.kernel.endpoints.insert(
        1,
        Endpoint::new(1, [10, 9, 9, 9].into(), EndpointFlags::SIGNAL),
    );
    assert_eq!(
        changes(&h.settle(input("a", Usable::Up))),
        ["add 1 10.0.1.1 [subflow]"]
    );
    assert!(h.status("a").last_error.unwrap().contains("EBUSY"));
    let later = h.run_to(Duration::from_secs(2));
    let got: Vec<_> = later
        .iter()
        .filter_map(|(t, a)| change(a).map(|c| (t.as_secs(), c)))
        .collect();
    assert_eq!(
        got,
        [
            (1, "delete 1".to_owned()),
            (1, "add 1 10.0.1.1 [subflow]".to_owned())
        ]
    );
    assert_eq!(h.kernel.endpoints[&1].addr, addr_of("a"));
}

#[test]
fn an_address_held_by_a_foreign_endpoint_is_reported_not_fought() {
    let mut h = Harness::two();
    let holder = Endpoint::new(7, addr_of("a"), EndpointFlags::SIGNAL);
    h.kernel.endpoints.insert(7, holder.clone());
    h.start();
    assert!(changes(&h.settle(input("a", Usable::Up))).is_empty());
    let err = h.status("a").last_error.unwrap();
    assert_eq!(
        err,
        "address 10.0.1.1 is already MPTCP endpoint id 7, which is not ours; not adding until \
         it is gone"
    );
    assert!(
        h.run_to(Duration::from_secs(60))
            .iter()
            .all(|(_, a)| change(a).is_none())
    );
    assert_eq!(h.kernel.endpoints[&7], holder);

    // The kernel's own implicit endpoint gets a hint.
    h.kernel
        .endpoints
        .insert(7, Endpoint::new(7, addr_of("a"), EndpointFlags::IMPLICIT));
    h.run_to(Duration::from_secs(65));
    let err = h.status("a").last_error.unwrap();
    assert!(err.contains("implicit MPTCP endpoint id 7"), "{err}");

    h.kernel.endpoints.remove(&7);
    let later = h.run_to(Duration::from_secs(70));
    assert_eq!(times_of(&later, "add"), [70]);
    assert_eq!(h.status("a").last_error, None);
}

#[test]
fn mptcp_disabled_is_reported_on_every_slot_and_retried() {
    let mut h = Harness::new(
        vec![spec("a", 1, Family::V4), spec("b", 2, Family::V4)],
        ReconcileParams {
            limits: Some(Limits {
                subflows: 2,
                add_addr_accepted: 2,
            }),
            ..ReconcileParams::default()
        },
    );
    let disabled = "MPTCP is disabled in this network namespace (net.mptcp.enabled = 0)";
    h.kernel.refuse = Some(OpFailure::new(FailureKind::Disabled, disabled));
    h.start();
    h.settle(input("a", Usable::Up));
    for s in h.r.snapshot() {
        assert_eq!(s.last_error.as_deref(), Some(disabled), "{s:?}");
        assert!(!s.present);
    }
    let retries = h.run_to(Duration::from_secs(40));
    let dumps: Vec<u64> = retries
        .iter()
        .filter(|(_, a)| matches!(a, Action::Dump { .. }))
        .map(|(t, _)| t.as_secs())
        .collect();
    assert_eq!(dumps, [1, 3, 7, 15, 31]);
    assert!(retries.iter().all(|(_, a)| change(a).is_none()));

    h.kernel.refuse = None;
    let back = h.run_to(Duration::from_secs(61));
    assert_eq!(times_of(&back, "add"), [61]);
    assert!(
        back.iter()
            .any(|(_, a)| matches!(a, Action::SetLimits { .. }))
    );
    assert_eq!(h.status("a").last_error, None);
    assert_eq!(h.status("b").last_error, None);
}

#[test]
fn limits_are_set_once_and_again_only_after_a_failure() {
    let limits = Limits {
        subflows: 8,
        add_addr_accepted: 8,
    };
    let mut h = Harness::new(
        vec![spec("a", 1, Family::V4)],
        ReconcileParams {
            limits: Some(limits),
            ..ReconcileParams::default()
        },
    );
    h.kernel.refuse_limits = Some(OpFailure::new(
        FailureKind::Other,
        "setting MPTCP limits: no",
    ));
    h.start();
    assert_eq!(
        h.status("a").last_error.as_deref(),
        Some("setting MPTCP limits: no")
    );
    let first = h.run_to(Duration::from_secs(4));
    let sets: Vec<u64> = first
        .iter()
        .filter(|(_, a)| matches!(a, Action::SetLimits { .. }))
        .map(|(t, _)| t.as_secs())
        .collect();
    assert_eq!(sets, [1, 3]);
    h.kernel.refuse_limits = None;
    let later = h.run_to(Duration::from_secs(100));
    let sets = later
        .iter()
        .filter(|(_, a)| matches!(a, Action::SetLimits { .. }))
        .count();
    assert_eq!(sets, 1);
    assert_eq!(h.status("a").last_error, None);
}

#[test]
fn a_failed_delete_backs_off_too() {
    let mut h = Harness::two();
    h.start();
    h.settle(input("a", Usable::Up));
    h.kernel.refuse_deletes = Some(OpFailure::new(FailureKind::Other, "EIO"));
    assert_eq!(changes(&h.settle(input("a", Usable::Absent))), ["delete 1"]);
    let later = h.run_to(Duration::from_secs(4));
    assert_eq!(times_of(&later, "delete"), [1, 3]);
    assert!(h.status("a").present);
    h.kernel.refuse_deletes = None;
    let later = h.run_to(Duration::from_secs(8));
    assert_eq!(times_of(&later, "delete"), [7]);
    assert!(!h.status("a").present);
}

#[test]
fn set_flags_on_a_vanished_endpoint_adds_it() {
    let mut h = Harness::two();
    h.start();
    h.settle(input("a", Usable::Up));
    h.kernel.endpoints.clear();
    let actions = h.settle(input("a", Usable::Degraded));
    assert_eq!(
        changes(&actions),
        [
            "set_flags 1 [subflow backup]",
            "add 1 10.0.1.1 [subflow backup]"
        ]
    );
    assert_eq!(h.status("a").last_error, None);
}

#[test]
fn late_and_unknown_answers_are_counted_and_ignored() {
    let mut h = Harness::two();
    h.start();
    let actions = h.settle(Event::Done {
        op: OpId(999),
        result: Ok(()),
    });
    assert!(actions.is_empty());
    let actions = h.settle(Event::Dumped {
        op: OpId(998),
        endpoints: vec![endpoint("a", 1, SUBFLOW)],
    });
    assert!(actions.is_empty());
    assert!(!h.status("a").present, "a stale dump is not believed");
    assert_eq!(h.r.stats().stale_answers, 2);
}
