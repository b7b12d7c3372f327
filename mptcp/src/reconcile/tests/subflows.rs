//! Subflow counts per slot, from path-manager events.

use std::net::SocketAddr;

use super::harness::*;
use crate::event::{Connection, PmEvent};
use crate::reconcile::{Family, ReconcileParams, Usable};

fn established(token: u32, local: SocketAddr) -> PmEvent {
    PmEvent::Established(Connection {
        token,
        local,
        remote: SocketAddr::from(([192, 0, 2, 80], 80)),
        server_side: false,
        deny_join_id0: false,
    })
}

fn both_up() -> Harness {
    let mut h = Harness::two();
    h.start();
    h.settle(input("a", Usable::Up));
    h.settle(input("b", Usable::Up));
    h
}

fn counts(h: &Harness) -> (u32, u32) {
    (h.status("a").subflows, h.status("b").subflows)
}

#[test]
fn subflows_are_counted_by_local_address_initial_one_included() {
    let mut h = both_up();
    let a = addr_of("a");
    let b = addr_of("b");
    // A connection starts on a (initial subflow, id 0) and joins over b.
    h.pm(established(1, SocketAddr::new(a, 5000)));
    h.pm(PmEvent::SubEstablished(subflow(1, b, 6000, 2, None)));
    assert_eq!(counts(&h), (1, 1));
    // The same event twice counts once.
    h.pm(PmEvent::SubEstablished(subflow(1, b, 6000, 2, None)));
    assert_eq!(counts(&h), (1, 1));
    // A second connection on a.
    h.pm(established(2, SocketAddr::new(a, 5001)));
    assert_eq!(counts(&h), (2, 1));
    // A v4-mapped local address is the same address.
    h.pm(PmEvent::SubEstablished(subflow(
        2,
        std::net::IpAddr::V6(std::net::Ipv4Addr::new(10, 0, 2, 1).to_ipv6_mapped()),
        6001,
        2,
        None,
    )));
    assert_eq!(counts(&h), (2, 2));

    h.pm(PmEvent::SubClosed(subflow(1, b, 6000, 2, None)));
    assert_eq!(counts(&h), (2, 1));
    // Closing a subflow never seen takes nothing away.
    h.pm(PmEvent::SubClosed(subflow(1, b, 6999, 2, None)));
    assert_eq!(counts(&h), (2, 1));
    // A closed connection takes all its subflows with it.
    h.pm(PmEvent::Closed { token: 2 });
    assert_eq!(counts(&h), (1, 0));
    h.pm(PmEvent::Closed { token: 1 });
    assert_eq!(counts(&h), (0, 0));
    h.pm(PmEvent::Closed { token: 1 });
    assert_eq!(counts(&h), (0, 0));
    assert_eq!(h.r.stats().connections, 0);
}

#[test]
fn a_subflow_from_an_unknown_address_counts_by_local_id() {
    let mut h = both_up();
    h.pm(PmEvent::SubEstablished(subflow(
        1,
        [10, 5, 5, 5].into(),
        1,
        2,
        None,
    )));
    assert_eq!(counts(&h), (0, 1));
    // Local id 0 says nothing about the slot.
    h.pm(PmEvent::SubEstablished(subflow(
        1,
        [10, 5, 5, 6].into(),
        1,
        0,
        None,
    )));
    assert_eq!(counts(&h), (0, 1));
    // Nor does an id with an address of the other family.
    h.pm(PmEvent::SubEstablished(subflow(
        1,
        "2001:db8::7".parse().unwrap(),
        1,
        1,
        None,
    )));
    assert_eq!(counts(&h), (0, 1));
}

#[test]
fn the_connection_table_is_capped_oldest_first() {
    let mut h = Harness::new(
        vec![spec("a", 1, Family::V4)],
        ReconcileParams {
            max_connections: 3,
            ..ReconcileParams::default()
        },
    );
    h.start();
    h.settle(input("a", Usable::Up));
    let a = addr_of("a");
    for token in 1..=5u32 {
        h.pm(established(token, SocketAddr::new(a, 5000)));
    }
    let stats = h.r.stats();
    assert_eq!(stats.connections, 3);
    assert_eq!(stats.evicted_connections, 2);
    assert_eq!(h.status("a").subflows, 3);
    // The evicted ones are forgotten: closing them changes nothing.
    h.pm(PmEvent::Closed { token: 1 });
    assert_eq!(h.status("a").subflows, 3);
    h.pm(PmEvent::Closed { token: 5 });
    assert_eq!(h.status("a").subflows, 2);
}

#[test]
fn lost_events_are_counted_and_trigger_a_dump() {
    let mut h = both_up();
    let actions = h.settle(crate::reconcile::Event::EventsLost);
    assert_eq!(dumps(&actions), 1);
    assert_eq!(h.r.stats().events_lost, 1);
}

fn seeded(token: u32, local: SocketAddr, local_id: u8) -> crate::client::diag::SubflowInfo {
    crate::client::diag::SubflowInfo {
        token,
        remote_token: token.wrapping_add(1),
        local_id,
        remote_id: 0,
        local,
        remote: SocketAddr::from(([192, 0, 2, 80], 80)),
        backup: false,
        ifindex: None,
    }
}

#[test]
fn live_subflows_found_at_start_count_before_any_input() {
    // A restarted daemon: the kernel holds both endpoints, the slots have
    // no input yet, one connection started on a and joined over b.
    let mut h = Harness::two();
    h.kernel.endpoints.insert(1, endpoint("a", 1, SUBFLOW));
    h.kernel.endpoints.insert(2, endpoint("b", 2, SUBFLOW));
    h.start();
    let initial = SocketAddr::new(addr_of("a"), 5000);
    let join = SocketAddr::new(addr_of("b"), 6000);
    let stranger = SocketAddr::new([10, 9, 9, 9].into(), 7000);
    let actions = h.settle(crate::reconcile::Event::Subflows {
        subflows: vec![
            seeded(1, initial, 0),
            seeded(1, join, 2),
            // Another path manager's address: not ours.
            seeded(2, stranger, 0),
        ],
    });
    assert!(changes(&actions).is_empty(), "{actions:?}");
    assert_eq!(counts(&h), (1, 1));
    assert_eq!(h.r.stats().connections, 1);

    // The inputs come and the join's event arrives late: counted once.
    h.settle(input("a", Usable::Up));
    h.settle(input("b", Usable::Up));
    h.pm(PmEvent::SubEstablished(subflow(
        1,
        addr_of("b"),
        6000,
        2,
        None,
    )));
    assert_eq!(counts(&h), (1, 1));
    // Its close, by the same token, takes it away once.
    h.pm(PmEvent::SubClosed(subflow(1, addr_of("b"), 6000, 2, None)));
    h.pm(PmEvent::SubClosed(subflow(1, addr_of("b"), 6000, 2, None)));
    assert_eq!(counts(&h), (1, 0));
    h.pm(PmEvent::Closed { token: 1 });
    assert_eq!(counts(&h), (0, 0));
}
