//! The RFC 4271 FSM on one connection: active and passive handshakes, the
//! OPEN we send, hold and keepalive timers, reconnect back-off and the
//! three ways to stop.

mod session_support;

use mpwan_bgp::session::{Action, DownReason, Event, State, StopKind};
use mpwan_bgp::wire::{
    AS_TRANS, Capability, CeaseSubcode, ErrorCode, Message, Negotiated, Notification, Open,
};
use session_support::*;

#[test]
fn active_handshake() {
    let mut h = Harness::new(config());
    assert_eq!(h.s.state(), State::Idle);
    assert_eq!(h.s.next_deadline(), None, "no timer before Start");
    let a = h.feed(Event::Start);
    assert_eq!(a, [Action::Connect]);
    assert_eq!(h.s.state(), State::Connect);
    let (conn, open) = h.connected(true);
    assert_eq!(h.s.state(), State::OpenSent);
    assert_eq!(
        (open.my_as, open.asn(), open.hold_time, open.bgp_id),
        (65001, 65001, 90, local_id())
    );
    assert_eq!(open.families(), [V4, V6]);
    assert!(open.route_refresh());
    let gr = open.graceful_restart().expect("GR capability");
    assert!(!gr.restarting && gr.notification && gr.restart_time == 120);
    assert!(gr.families.iter().all(|f| f.forwarding) && gr.families.len() == 2);
    let llgr = open.long_lived_gr().expect("LLGR capability");
    assert!(llgr.iter().all(|f| f.stale_time == 3600 && f.forwarding));
    assert_eq!(h.s.codec(conn), Negotiated::default());

    let (neg, a) = h.handshake(conn, gr_peer_open());
    assert_eq!(a.last(), Some(&Action::Established(neg.clone())));
    assert_eq!(neg.conn, conn);
    assert!(neg.outbound);
    assert_eq!(
        (neg.peer_id, neg.peer_asn, neg.hold_time),
        (peer_id(), PEER_ASN, 90)
    );
    assert_eq!(neg.families, [V4, V6]);
    assert!(neg.wire.four_octet_as && neg.route_refresh && !neg.ibgp);
    assert_eq!(h.s.codec(conn), Negotiated::FOUR_OCTET_AS);
    assert_eq!(h.s.negotiated(), Some(&neg));
    let status = h.s.status(h.now);
    assert_eq!(status.state, State::Established);
    assert_eq!(status.peer_id, Some(peer_id()));
}

#[test]
fn passive_handshake() {
    let mut cfg = config();
    cfg.passive = true;
    let mut h = Harness::new(cfg);
    assert_eq!(h.feed(Event::Start), []);
    assert_eq!(h.s.state(), State::Active);
    assert_eq!(
        h.s.next_deadline(),
        None,
        "a passive session waits, no retry timer"
    );
    let (conn, _) = h.connected(false);
    let (neg, _) = h.handshake(conn, plain_peer_open());
    assert!(!neg.outbound);
    // A passive session never connects, also after the peer goes away.
    let a = h.feed(Event::TcpClosed(conn));
    assert!(down(&a).is_some());
    assert_eq!(h.s.state(), State::Active);
    assert!(!h.advance(secs(600)).contains(&Action::Connect));
}

#[test]
fn four_octet_local_asn_sends_as_trans() {
    let mut cfg = config();
    cfg.local_asn = 4_200_000_001;
    let mut h = Harness::new(cfg);
    let (_, open) = h.connect_outbound();
    assert_eq!(open.my_as, AS_TRANS);
    assert_eq!(open.four_octet_as(), Some(4_200_000_001));
}

#[test]
fn hold_timer_expiry() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    // Keepalives from the peer keep it up.
    for _ in 0..5 {
        h.advance(secs(60));
        h.feed(Event::Message(conn, Message::Keepalive));
    }
    assert_eq!(h.s.state(), State::Established);
    let a = h.advance(secs(90));
    assert_eq!(
        notifications(&a),
        [Notification::new(ErrorCode::HoldTimerExpired, vec![])]
    );
    assert!(closes(&a, conn));
    let (reason, peer_keeps, _) = down(&a).expect("down");
    assert_eq!(reason, DownReason::HoldTimerExpired);
    assert!(
        !peer_keeps,
        "without the N bit the peer flushes on our NOTIFICATION"
    );
    assert_eq!(
        h.s.status(h.now).last_error,
        Some(DownReason::HoldTimerExpired)
    );
}

#[test]
fn hold_timer_expires_exactly_at_hold_time() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    let t = h.now;
    let a = h.advance(secs(89));
    assert!(notifications(&a).is_empty());
    let a = h.advance(secs(1));
    assert_eq!(h.now.duration_since(t), secs(90));
    assert!(closes(&a, conn), "hold timer of 90 s: {a:?}");
}

#[test]
fn open_sent_uses_a_long_hold_time() {
    let mut h = Harness::new(config());
    let (conn, _) = h.connect_outbound();
    let a = h.advance(secs(239));
    assert!(a.is_empty(), "{a:?}");
    let a = h.advance(secs(1));
    assert_eq!(
        notifications(&a),
        [Notification::new(ErrorCode::HoldTimerExpired, vec![])]
    );
    assert!(closes(&a, conn));
    assert!(down(&a).is_none(), "never established");
}

#[test]
fn keepalive_cadence() {
    let mut cfg = config();
    cfg.hold_time = secs(30);
    let mut h = Harness::new(cfg);
    let (conn, _) = h.connect_outbound();
    // The peer proposes 9 s: the smaller wins, keepalives every 3 s.
    let mut peer = plain_peer_open();
    peer.hold_time = 9;
    let (neg, a) = h.handshake(conn, peer);
    assert_eq!(neg.hold_time, 9);
    assert_eq!(keepalives(&a), 1, "the KEEPALIVE that confirms the OPEN");
    // The table is written at once: no End-of-RIB deadline interleaves.
    h.feed(Event::RoutesReady(V4));
    h.feed(Event::RoutesReady(V6));
    let mut times = Vec::new();
    for _ in 0..5 {
        let a = h.advance_to_deadline();
        assert_eq!(keepalives(&a), 1, "at {:?}: {a:?}", h.elapsed());
        times.push(h.elapsed().as_millis());
        h.feed(Event::Message(conn, Message::Keepalive));
    }
    assert_eq!(times, [3000, 6000, 9000, 12000, 15000]);
}

#[test]
fn hold_time_zero_means_no_timers() {
    let mut cfg = config();
    cfg.hold_time = secs(0);
    let mut h = Harness::new(cfg);
    let (conn, open) = h.connect_outbound();
    assert_eq!(open.hold_time, 0);
    let (neg, _) = h.handshake(conn, plain_peer_open());
    assert_eq!(neg.hold_time, 0);
    assert_eq!(neg.keepalive_interval(), None);
    // Only the End-of-RIB deferral is left; then nothing.
    h.advance(secs(11));
    assert_eq!(h.s.next_deadline(), None);
    let a = h.advance(secs(3600));
    assert!(a.is_empty() && h.s.state() == State::Established);
}

#[test]
fn connect_retry_backs_off() {
    let mut h = Harness::new(config());
    assert_eq!(h.feed(Event::Start), [Action::Connect]);
    let mut delays = Vec::new();
    let mut last = h.now;
    for _ in 0..9 {
        assert_eq!(h.feed(Event::TcpFailed), []);
        assert_eq!(h.s.state(), State::Active);
        let a = h.advance_to_deadline();
        assert_eq!(a, [Action::Connect]);
        delays.push(h.now.duration_since(last).as_secs());
        last = h.now;
    }
    assert_eq!(delays, [2, 4, 8, 16, 32, 64, 120, 120, 120]);
    assert_eq!(
        h.s.status(h.now).last_error,
        Some(DownReason::ConnectFailed)
    );
}

#[test]
fn connect_timeout_abandons_the_attempt() {
    let mut h = Harness::new(config());
    h.feed(Event::Start);
    let a = h.advance_to_deadline();
    assert_eq!(a, [Action::AbortConnect]);
    assert_eq!(h.elapsed(), secs(10));
    let a = h.advance_to_deadline();
    assert_eq!(a, [Action::Connect]);
    assert_eq!(h.elapsed(), secs(12));
    // A late success of an abandoned attempt is closed.
    h.feed(Event::TcpFailed);
    let late = h.new_conn();
    let a = h.feed(Event::TcpConnected {
        conn: late,
        outbound: true,
    });
    assert_eq!(a, [Action::Close(late)]);
}

#[test]
fn a_stable_session_resets_the_back_off() {
    let mut h = Harness::new(config());
    h.feed(Event::Start);
    for _ in 0..4 {
        h.feed(Event::TcpFailed);
        h.advance_to_deadline();
    }
    // Connect works now; the session stays up for ten minutes.
    let (conn, _) = h.connected(true);
    h.handshake(conn, plain_peer_open());
    for _ in 0..20 {
        h.advance(secs(30));
        h.feed(Event::Message(conn, Message::Keepalive));
    }
    let t = h.now;
    h.feed(Event::TcpClosed(conn));
    assert_eq!(h.s.next_deadline(), Some(t + secs(2)));
}

#[test]
fn a_session_that_drops_at_once_keeps_backing_off() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    let t = h.now;
    h.feed(Event::TcpClosed(conn));
    assert_eq!(h.s.next_deadline(), Some(t + secs(2)));
    h.advance_to_deadline();
    let (conn, _) = h.connected(true);
    h.handshake(conn, plain_peer_open());
    let t = h.now;
    h.feed(Event::TcpClosed(conn));
    assert_eq!(h.s.next_deadline(), Some(t + secs(4)));
}

#[test]
fn stop_graceful_sends_no_notification() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(gr_peer_open());
    h.update(conn, announce_v4(&["10.0.0.0/8"], attrs(1, &[])));
    let a = h.feed(Event::Stop(StopKind::Graceful));
    assert!(notifications(&a).is_empty(), "{a:?}");
    assert!(closes(&a, conn));
    let (reason, peer_keeps, retained) = down(&a).expect("down");
    assert_eq!(reason, DownReason::Stopped(StopKind::Graceful));
    assert!(peer_keeps, "a GR peer keeps our routes");
    assert!(!retained);
    assert!(a.contains(&Action::RibChanged));
    assert!(h.s.rib().is_empty(), "stopping drops what the peer sent");
    assert_eq!(h.s.state(), State::Idle);
    assert_eq!(h.s.next_deadline(), None);
    assert!(h.advance(secs(3600)).is_empty(), "stays down");
}

#[test]
fn stop_graceful_towards_a_peer_without_gr() {
    let mut h = Harness::new(config());
    let (_, _) = h.establish(plain_peer_open());
    let a = h.feed(Event::Stop(StopKind::Graceful));
    let (_, peer_keeps, _) = down(&a).expect("down");
    assert!(!peer_keeps);
}

#[test]
fn stop_hard_reset_with_n_bit() {
    let mut h = Harness::new(config());
    let (conn, neg) = h.establish(gr_peer_open());
    assert!(neg.graceful_restart.notification);
    let a = h.feed(Event::Stop(StopKind::HardReset));
    let admin = Notification::cease(CeaseSubcode::AdministrativeShutdown);
    let hard = Notification::hard_reset(&admin);
    assert_eq!(sent(&a), [(conn, Message::Notification(hard.clone()))]);
    assert_eq!(hard.data, [6, 2], "wraps Cease / Administrative Shutdown");
    assert!(closes(&a, conn));
    let (_, peer_keeps, _) = down(&a).expect("down");
    assert!(!peer_keeps);
}

#[test]
fn stop_hard_reset_without_n_bit() {
    let mut h = Harness::new(config());
    let peer = open_with(vec![gr_cap(120, false, false, &[(V4, true)])]);
    let (conn, neg) = h.establish(peer);
    assert!(!neg.graceful_restart.notification);
    let a = h.feed(Event::Stop(StopKind::HardReset));
    assert_eq!(
        sent(&a),
        [(
            conn,
            Message::Notification(Notification::cease(CeaseSubcode::AdministrativeShutdown))
        )]
    );
    let (_, peer_keeps, _) = down(&a).expect("down");
    assert!(!peer_keeps);
}

#[test]
fn stop_admin_carries_the_shutdown_communication() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(gr_peer_open());
    let a = h.feed(Event::Stop(StopKind::Admin("maintenance".into())));
    let n = notifications(&a);
    assert_eq!(n.len(), 1);
    assert!(n[0].is_hard_reset());
    assert_eq!(n[0].shutdown_message().as_deref(), Some("maintenance"));
    assert!(closes(&a, conn));
    // Started again, it connects at once.
    assert_eq!(h.feed(Event::Start), [Action::Connect]);
}

#[test]
fn stop_while_connecting_and_in_open_sent() {
    let mut h = Harness::new(config());
    h.feed(Event::Start);
    assert_eq!(
        h.feed(Event::Stop(StopKind::HardReset)),
        [Action::AbortConnect]
    );
    h.feed(Event::Start);
    let (conn, _) = h.connected(true);
    // Nothing negotiated yet: a plain Cease.
    let a = h.feed(Event::Stop(StopKind::HardReset));
    assert_eq!(
        a,
        [
            Action::Send(
                conn,
                Message::Notification(Notification::cease(CeaseSubcode::AdministrativeShutdown))
            ),
            Action::Close(conn)
        ]
    );
}

#[test]
fn inbound_refused_while_stopped() {
    let mut h = Harness::new(config());
    let conn = h.new_conn();
    let a = h.feed(Event::TcpConnected {
        conn,
        outbound: false,
    });
    assert_eq!(
        a,
        [
            Action::Send(
                conn,
                Message::Notification(Notification::cease(CeaseSubcode::ConnectionRejected))
            ),
            Action::Close(conn)
        ]
    );
}

#[test]
fn events_for_unknown_connections_are_ignored() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    let stranger = h.new_conn();
    assert!(
        h.feed(Event::Message(stranger, Message::Keepalive))
            .is_empty()
    );
    assert!(h.feed(Event::TcpClosed(stranger)).is_empty());
    h.feed(Event::TcpClosed(conn));
    assert!(h.feed(Event::Message(conn, Message::Keepalive)).is_empty());
}

#[test]
fn notification_received_closes() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    let n = Notification::cease(CeaseSubcode::AdministrativeReset);
    let a = h.feed(Event::Message(conn, Message::Notification(n.clone())));
    assert!(notifications(&a).is_empty(), "no NOTIFICATION answers one");
    assert!(closes(&a, conn));
    assert_eq!(
        down(&a).map(|d| d.0),
        Some(DownReason::NotificationReceived(n))
    );
    assert_eq!(h.s.state(), State::Active);
}

#[test]
fn route_refresh_request() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    let rr = |f| Message::RouteRefresh(mpwan_bgp::wire::RouteRefresh::request(f));
    assert_eq!(
        h.feed(Event::Message(conn, rr(V6))),
        [Action::RouteRefresh(V6)]
    );
    // A family the session does not carry is ignored (RFC 2918 4).
    let other = mpwan_bgp::wire::Family::new(1, 128);
    assert_eq!(h.feed(Event::Message(conn, rr(other))), []);
}

#[test]
fn unknown_capabilities_are_ignored() {
    let mut h = Harness::new(config());
    let (conn, _) = h.connect_outbound();
    let peer = open_with(vec![
        Capability::Unknown {
            code: 69,
            value: vec![0, 1, 1, 3],
        },
        Capability::EnhancedRouteRefresh,
        Capability::ExtendedMessage,
    ]);
    let (neg, _) = h.handshake(conn, peer);
    assert!(!neg.wire.extended_messages, "we did not offer it");
}

#[test]
fn peer_without_multiprotocol_gets_ipv4_only() {
    let mut h = Harness::new(config());
    let (conn, _) = h.connect_outbound();
    let peer = Open::new(PEER_ASN, 90, peer_id(), vec![]);
    let (neg, _) = h.handshake(conn, peer);
    assert_eq!(neg.families, [V4]);
    assert!(!neg.route_refresh);
}
