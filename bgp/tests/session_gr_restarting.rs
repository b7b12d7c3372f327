//! The restarting speaker (us, after `mpwan restart`): the R and F bits in
//! our OPEN, End-of-RIB once the announcer's routes are in or when the
//! selection deferral ends, and the R bit dropped once that is done. The
//! same End-of-RIB follows the initial table in normal operation.

mod session_support;

use mpwan_bgp::session::{Action, Event, SessionConfig};
use mpwan_bgp::wire::{Message, Update};
use session_support::*;

fn restarting() -> SessionConfig {
    let mut cfg = config();
    cfg.graceful_restart.restarting = true;
    cfg
}

#[test]
fn r_and_f_bits_after_a_restart() {
    let mut h = Harness::new(restarting());
    assert!(h.s.is_restarting());
    let (_, open) = h.connect_outbound();
    let gr = open.graceful_restart().expect("GR");
    assert!(gr.restarting && gr.notification);
    assert!(gr.families.iter().all(|f| f.forwarding));
    assert!(
        open.long_lived_gr()
            .expect("LLGR")
            .iter()
            .all(|f| f.forwarding)
    );
    assert!(h.s.status(h.now).restarting);
}

#[test]
fn end_of_rib_after_routes_ready() {
    let mut h = Harness::new(restarting());
    let (conn, neg) = h.establish(gr_peer_open());
    assert_eq!(neg.families, [V4, V6]);
    // The announcer writes its IPv4 table, then says so.
    let a = h.feed(Event::RoutesReady(V4));
    assert_eq!(
        a,
        [Action::Send(conn, Message::Update(Update::end_of_rib(V4)))]
    );
    assert_eq!(end_of_ribs(&a), [V4]);
    assert!(h.s.is_restarting(), "IPv6 still to come");
    assert!(
        h.feed(Event::RoutesReady(V4)).is_empty(),
        "once per session"
    );
    let a = h.feed(Event::RoutesReady(V6));
    assert_eq!(end_of_ribs(&a), [V6]);
    assert!(!h.s.is_restarting());
    assert_eq!(h.s.status(h.now).end_of_rib_sent, [V4, V6]);
    // The deferral has nothing left to send.
    let a = h.advance(secs(20));
    assert!(end_of_ribs(&a).is_empty(), "{a:?}");
    // The next session after the restart is a normal one: no R bit.
    h.feed(Event::TcpClosed(conn));
    h.advance_to_deadline();
    let (_, open) = h.connected(true);
    assert!(!open.graceful_restart().expect("GR").restarting);
}

#[test]
fn end_of_rib_after_the_deferral() {
    let mut h = Harness::new(restarting());
    let (conn, _) = h.establish(gr_peer_open());
    h.feed(Event::RoutesReady(V6));
    let a = h.advance(secs(9));
    assert!(end_of_ribs(&a).is_empty());
    let a = h.advance(secs(1));
    assert_eq!(sent(&a).into_iter().filter(|(c, _)| *c == conn).count(), 1);
    assert_eq!(end_of_ribs(&a), [V4], "IPv6 went already");
    assert!(!h.s.is_restarting());
}

#[test]
fn deferral_is_configurable() {
    let mut cfg = restarting();
    cfg.graceful_restart.selection_deferral = secs(3);
    let mut h = Harness::new(cfg);
    h.establish(gr_peer_open());
    let a = h.advance(secs(3));
    assert_eq!(end_of_ribs(&a), [V4, V6]);
}

#[test]
fn r_bit_stays_until_end_of_rib_went_out() {
    let mut h = Harness::new(restarting());
    let (conn, _) = h.establish(gr_peer_open());
    h.feed(Event::RoutesReady(V4));
    h.feed(Event::TcpClosed(conn));
    assert!(h.s.is_restarting());
    // RoutesReady without a session means nothing.
    assert!(h.feed(Event::RoutesReady(V6)).is_empty());
    h.advance_to_deadline();
    let (conn, open) = h.connected(true);
    assert!(open.graceful_restart().expect("GR").restarting);
    h.handshake(conn, gr_peer_open());
    // A new session sends End-of-RIB for every family again.
    let a = h.feed(Event::RoutesReady(V4));
    assert_eq!(end_of_ribs(&a), [V4]);
    let a = h.feed(Event::RoutesReady(V6));
    assert_eq!(end_of_ribs(&a), [V6]);
    assert!(!h.s.is_restarting());
}

#[test]
fn end_of_rib_in_normal_operation() {
    let mut h = Harness::new(config());
    let (conn, open) = h.connect_outbound();
    assert!(!open.graceful_restart().expect("GR").restarting);
    let (neg, _) = h.handshake(conn, plain_peer_open());
    assert!(!neg.graceful_restart.negotiated);
    let a = h.feed(Event::RoutesReady(V4));
    assert_eq!(
        a,
        [Action::Send(conn, Message::Update(Update::end_of_rib(V4)))]
    );
    let a = h.advance(secs(10));
    assert_eq!(end_of_ribs(&a), [V6]);
}

#[test]
fn end_of_rib_only_for_negotiated_families() {
    let mut h = Harness::new(restarting());
    let (conn, _) = h.connect_outbound();
    // The peer offers IPv4 only.
    let peer = mpwan_bgp::wire::Open::new(PEER_ASN, 90, peer_id(), vec![]);
    h.handshake(conn, peer);
    assert!(h.feed(Event::RoutesReady(V6)).is_empty());
    let a = h.feed(Event::RoutesReady(V4));
    assert_eq!(end_of_ribs(&a), [V4]);
    assert!(!h.s.is_restarting(), "every negotiated family is done");
}

#[test]
fn end_of_rib_markers_on_the_wire() {
    // IPv4: an empty UPDATE (23 bytes); IPv6: an empty MP_UNREACH_NLRI.
    let n = mpwan_bgp::wire::Negotiated::FOUR_OCTET_AS;
    let v4 = Message::Update(Update::end_of_rib(V4))
        .to_bytes(&n)
        .expect("encodes");
    assert_eq!(v4.len(), 23);
    let v6 = Message::Update(Update::end_of_rib(V6))
        .to_bytes(&n)
        .expect("encodes");
    assert_eq!(v6[19..], [0, 0, 0, 6, 0x80, 15, 3, 0, 2, 1]);
}
