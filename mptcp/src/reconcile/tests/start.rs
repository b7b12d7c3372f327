//! Starting, and the slots and parameters a reconciler refuses.

use std::time::Duration;

use super::harness::*;
use crate::endpoint::Limits;
use crate::flags::EndpointFlags;
use crate::reconcile::{
    Action, Event, Family, ReconcileError, ReconcileParams, Reconciler, SlotSpec, Usable,
};

#[test]
fn an_empty_kernel_gets_limits_a_dump_then_the_endpoints() {
    let limits = Limits {
        subflows: 8,
        add_addr_accepted: 8,
    };
    let mut h = Harness::new(
        vec![
            spec("a", 1, Family::V4),
            spec("b", 2, Family::V4),
            spec("six", 3, Family::V6),
        ],
        ReconcileParams {
            limits: Some(limits),
            ..ReconcileParams::default()
        },
    );
    let first = h.raw(Event::Tick);
    assert!(
        matches!(first.as_slice(), [Action::SetLimits { limits: l, .. }, Action::Dump { .. }] if *l == limits),
        "{first:?}"
    );
    // Before the dump answers, no change goes out.
    assert!(h.raw(input("a", Usable::Up)).is_empty());
    assert!(h.raw(input("six", Usable::Degraded)).is_empty());
    let mut all = Vec::new();
    for a in &first {
        let answer = h.kernel.answer(a);
        all.extend(h.settle(answer));
    }
    assert_eq!(
        changes(&all),
        [
            "add 1 10.0.1.1 [subflow]",
            "add 3 2001:db8::1 [subflow backup]"
        ]
    );
    assert_eq!(dumps(&all), 1, "one dump after the changes: {all:?}");
    assert_eq!(
        h.kernel.show(),
        [
            "1 10.0.1.1 [subflow] dev Some(11)",
            "3 2001:db8::1 [subflow backup] dev Some(13)"
        ]
    );
    let a = h.status("a");
    assert!(a.present && a.last_error.is_none(), "{a:?}");
    assert_eq!(a.flags, SUBFLOW);
    let b = h.status("b");
    assert!(!b.present);
    assert_eq!(b.addr, None);
    // Nothing more until the period.
    assert_eq!(h.r.next_deadline(), Some(h.now + Duration::from_secs(5)));
}

#[test]
fn any_first_event_starts_it() {
    let mut h = Harness::two();
    let first = h.raw(input("a", Usable::Up));
    assert!(
        matches!(first.as_slice(), [Action::Dump { .. }]),
        "{first:?}"
    );
}

#[test]
fn a_slot_needs_address_and_device_to_be_present() {
    let mut h = Harness::two();
    h.start();
    let no_dev = Event::SlotChanged(crate::reconcile::SlotInput {
        key: "a".into(),
        usable: Usable::Up,
        addr: Some(addr_of("a")),
        ifindex: None,
    });
    assert!(changes(&h.settle(no_dev)).is_empty());
    let wrong_family = Event::SlotChanged(crate::reconcile::SlotInput {
        key: "a".into(),
        usable: Usable::Up,
        addr: Some("2001:db8::9".parse().unwrap()),
        ifindex: Some(11),
    });
    assert!(changes(&h.settle(wrong_family)).is_empty());
    let err = h.status("a").last_error.unwrap();
    assert!(err.contains("not of the endpoint's family"), "{err}");
    assert_eq!(
        changes(&h.settle(input("a", Usable::Up))),
        ["add 1 10.0.1.1 [subflow]"]
    );
    assert_eq!(h.status("a").last_error, None);
}

#[test]
fn unknown_keys_are_counted_and_ignored() {
    let mut h = Harness::two();
    h.start();
    assert!(h.settle(input("zz", Usable::Up)).is_empty());
    assert_eq!(h.r.stats().unknown_keys, 1);
}

#[test]
fn nine_slots_are_refused_with_the_count() {
    let slots: Vec<SlotSpec> = (1..=9)
        .map(|i| spec(&format!("wan{i}"), i, Family::V4))
        .collect();
    let err = Reconciler::new(slots, ReconcileParams::default(), now()).unwrap_err();
    assert_eq!(err, ReconcileError::TooManySlots { count: 9 });
    assert_eq!(
        err.to_string(),
        "9 MPTCP endpoints configured, but the kernel allows at most 8 per namespace"
    );
    let eight: Vec<SlotSpec> = (1..=8)
        .map(|i| spec(&format!("wan{i}"), i, Family::V4))
        .collect();
    assert!(Reconciler::new(eight, ReconcileParams::default(), now()).is_ok());
}

#[test]
fn bad_slots_are_refused() {
    let new = |slots| Reconciler::new(slots, ReconcileParams::default(), now()).unwrap_err();
    assert_eq!(
        new(vec![spec("a", 1, Family::V4), spec("b", 1, Family::V6)]),
        ReconcileError::DuplicateId {
            id: 1,
            first: "a".into(),
            second: "b".into()
        }
    );
    assert_eq!(
        new(vec![spec("a", 0, Family::V4)]),
        ReconcileError::ZeroId { key: "a".into() }
    );
    assert_eq!(
        new(vec![spec("a", 1, Family::V4), spec("a", 2, Family::V6)]),
        ReconcileError::DuplicateKey { key: "a".into() }
    );
    let implicit = SlotSpec {
        base_flags: SUBFLOW | EndpointFlags::IMPLICIT,
        ..spec("a", 1, Family::V4)
    };
    let err = new(vec![implicit]);
    assert_eq!(
        err,
        ReconcileError::FlagsNotSettable {
            key: "a".into(),
            flags: EndpointFlags::IMPLICIT
        }
    );
    assert!(err.to_string().contains("implicit"), "{err}");
}

#[test]
fn bad_parameters_are_refused() {
    let new = |params| Reconciler::new(vec![spec("a", 1, Family::V4)], params, now()).unwrap_err();
    let d = ReconcileParams::default;
    assert_eq!(
        new(ReconcileParams {
            period: Duration::ZERO,
            ..d()
        }),
        ReconcileError::ZeroDuration { what: "period" }
    );
    assert_eq!(
        new(ReconcileParams {
            retry_base: Duration::ZERO,
            ..d()
        }),
        ReconcileError::ZeroDuration { what: "retry_base" }
    );
    assert!(matches!(
        new(ReconcileParams {
            retry_max: Duration::from_millis(10),
            ..d()
        }),
        ReconcileError::RetryMaxBelowBase { .. }
    ));
    assert_eq!(
        new(ReconcileParams {
            limits: Some(Limits {
                subflows: 9,
                add_addr_accepted: 0
            }),
            ..d()
        }),
        ReconcileError::LimitTooHigh {
            name: "subflows",
            value: 9
        }
    );
}

fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}
