//! Two connections to one peer (RFC 4271 6.8, RFC 6286 2.3): the
//! collision is settled inside the session, the loser gets Cease /
//! Connection Collision Resolution; a Graceful Restart peer that connects
//! while established has restarted (RFC 4724 4.2).

mod session_support;

use std::net::Ipv4Addr;

use mpwan_bgp::session::{
    Action, ConnId, DownReason, Event, KeepWhich, RouteState, State, resolve_collision,
};
use mpwan_bgp::wire::{CeaseSubcode, Message, Notification, Open};
use session_support::*;

fn collision() -> Notification {
    Notification::cease(CeaseSubcode::ConnectionCollisionResolution)
}

/// Both connections up with our OPEN sent on each; the OPEN arrives on the
/// outbound one first. Returns (outbound, inbound).
fn two_connections(h: &mut Harness, peer: &Open) -> (ConnId, ConnId) {
    let (out, _) = h.connect_outbound();
    let (inb, _) = h.connected(false);
    let a = h.feed(Event::Message(out, Message::Open(peer.clone())));
    assert_eq!(sent(&a), [(out, Message::Keepalive)]);
    (out, inb)
}

#[test]
fn resolve_collision_rules() {
    let low = Ipv4Addr::new(10, 0, 0, 1);
    let high = Ipv4Addr::new(10, 0, 0, 2);
    assert_eq!(resolve_collision(high, 1, low, 2), KeepWhich::Outbound);
    assert_eq!(resolve_collision(low, 2, high, 1), KeepWhich::Inbound);
    assert_eq!(
        resolve_collision(low, 65001, low, 65000),
        KeepWhich::Outbound
    );
    assert_eq!(
        resolve_collision(low, 65000, low, 65001),
        KeepWhich::Inbound
    );
}

#[test]
fn larger_local_id_keeps_the_outbound_connection() {
    let mut h = Harness::new(config());
    // The peer's identifier is below ours.
    let peer = Open::new(PEER_ASN, 90, Ipv4Addr::new(192, 0, 2, 0), vec![]);
    let (out, inb) = two_connections(&mut h, &peer);
    let a = h.feed(Event::Message(inb, Message::Open(peer)));
    assert_eq!(
        a,
        [
            Action::Send(inb, Message::Notification(collision())),
            Action::Close(inb)
        ]
    );
    assert_eq!(h.s.state(), State::OpenConfirm);
    let a = h.feed(Event::Message(out, Message::Keepalive));
    let neg = established(&a).expect("established");
    assert!(neg.outbound && neg.conn == out);
}

#[test]
fn larger_remote_id_keeps_the_inbound_connection() {
    let mut h = Harness::new(config());
    let peer = plain_peer_open(); // 192.0.2.2 > 192.0.2.1
    let (out, inb) = two_connections(&mut h, &peer);
    let a = h.feed(Event::Message(inb, Message::Open(peer)));
    assert_eq!(
        a,
        [
            Action::Send(out, Message::Notification(collision())),
            Action::Close(out),
            Action::Send(inb, Message::Keepalive),
        ]
    );
    let a = h.feed(Event::Message(inb, Message::Keepalive));
    let neg = established(&a).expect("established");
    assert!(!neg.outbound && neg.conn == inb);
    assert!(
        h.s.status(h.now).last_error.is_none(),
        "a collision is no error"
    );
}

#[test]
fn equal_ids_between_ases_compare_asns() {
    // eBGP, same identifier (RFC 6286): our ASN 65001 > 65000 wins.
    let mut h = Harness::new(config());
    let peer = Open::new(PEER_ASN, 90, local_id(), vec![]);
    let (_, inb) = two_connections(&mut h, &peer);
    let a = h.feed(Event::Message(inb, Message::Open(peer)));
    assert!(closes(&a, inb));
}

#[test]
fn an_open_in_the_other_connection_while_one_is_in_open_sent_waits() {
    let mut h = Harness::new(config());
    let (out, _) = h.connect_outbound();
    let (inb, _) = h.connected(false);
    // OPEN on the inbound one while the outbound one is still in OpenSent.
    let a = h.feed(Event::Message(inb, Message::Open(plain_peer_open())));
    assert_eq!(sent(&a), [(inb, Message::Keepalive)]);
    // Now the outbound one gets its OPEN and meets the inbound in
    // OpenConfirm: the peer's larger identifier keeps the inbound one.
    let a = h.feed(Event::Message(out, Message::Open(plain_peer_open())));
    assert_eq!(
        a,
        [
            Action::Send(out, Message::Notification(collision())),
            Action::Close(out)
        ]
    );
}

#[test]
fn an_inbound_connection_cancels_a_pending_connect_when_its_open_arrives() {
    let mut h = Harness::new(config());
    h.feed(Event::Start);
    let (inb, _) = h.connected(false);
    assert_eq!(h.s.state(), State::OpenSent);
    let a = h.feed(Event::Message(inb, Message::Open(plain_peer_open())));
    assert_eq!(
        a,
        [Action::AbortConnect, Action::Send(inb, Message::Keepalive)]
    );
    let a = h.feed(Event::Message(inb, Message::Keepalive));
    assert!(established(&a).is_some());
    // The abandoned connect's late success is closed.
    let late = h.new_conn();
    let a = h.feed(Event::TcpConnected {
        conn: late,
        outbound: true,
    });
    assert_eq!(a, [Action::Close(late)]);
}

#[test]
fn establishing_closes_the_other_connection() {
    let mut h = Harness::new(config());
    let (out, _) = h.connect_outbound();
    let (inb, _) = h.connected(false);
    h.feed(Event::Message(out, Message::Open(plain_peer_open())));
    let a = h.feed(Event::Message(out, Message::Keepalive));
    assert!(established(&a).is_some());
    assert!(a.contains(&Action::Send(inb, Message::Notification(collision()))));
    assert!(closes(&a, inb));
    assert!(h.feed(Event::TcpClosed(inb)).is_empty());
    assert_eq!(h.s.state(), State::Established);
}

#[test]
fn a_new_connection_while_established_is_refused_without_gr() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    let new = h.new_conn();
    let a = h.feed(Event::TcpConnected {
        conn: new,
        outbound: false,
    });
    assert_eq!(
        a,
        [
            Action::Send(new, Message::Notification(collision())),
            Action::Close(new)
        ]
    );
    assert_eq!(h.s.negotiated().map(|n| n.conn), Some(conn));
}

#[test]
fn a_gr_peer_connecting_while_established_has_restarted() {
    let mut h = Harness::new(config());
    let (old, _) = h.establish(gr_peer_open());
    h.update(old, announce_v4(&["10.0.0.0/8"], attrs(1, &[])));
    let (new, _, a) = h.connected_with_actions(false);
    assert!(closes(&a, old));
    assert!(
        notifications(&a).is_empty(),
        "the old connection goes silently"
    );
    let (reason, peer_keeps, retained) = down(&a).expect("down");
    assert_eq!(reason, DownReason::PeerRestarted);
    assert!(peer_keeps && retained);
    assert!(a.contains(&Action::RibChanged));
    assert_eq!(h.s.state(), State::OpenSent);
    assert_eq!(h.route("10.0.0.0/8"), Some(RouteState::Stale));
    // The old connection is gone: its events are ignored.
    assert!(h.feed(Event::Message(old, Message::Keepalive)).is_empty());
    h.handshake(new, gr_peer_open());
    h.update(new, announce_v4(&["10.0.0.0/8"], attrs(1, &[])));
    assert_eq!(h.route("10.0.0.0/8"), Some(RouteState::Fresh));
}
