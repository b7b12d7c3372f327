//! UPDATEs into the Adj-RIB-In: announcements and withdrawals in both
//! families, shared attribute sets, RFC 7606 treat-as-withdraw, families
//! not negotiated, and the prefix limit (RFC 4486, RFC 8538).

mod session_support;

use std::sync::Arc;

use mpwan_bgp::session::{Action, DownReason, Event, RouteState};
use mpwan_bgp::wire::{
    CeaseSubcode, DecodeError, ErrorCode, FsmSubcode, Malformed, Message, MpNextHop, Notification,
    Problem, Update,
};
use session_support::*;

#[test]
fn announce_and_withdraw() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    let a = h.update(
        conn,
        announce_v4(&["10.0.0.0/8", "10.1.0.0/16"], attrs(1, &[])),
    );
    assert_eq!(a, [Action::RibChanged]);
    h.update(conn, announce_v6(&["2001:db8::/32"], attrs(1, &[])));
    let rib = h.s.rib();
    assert_eq!((rib.len(V4), rib.len(V6)), (2, 1));
    let r = rib.get(&p("10.0.0.0/8")).expect("route");
    assert_eq!(r.state, RouteState::Fresh);
    assert_eq!(r.attrs.next_hop, MpNextHop::V4(peer_id()));
    assert_eq!(r.attrs.attributes.next_hop, None, "kept once, in next_hop");
    let v6 = rib.get(&p("2001:db8::/32")).expect("route");
    assert!(matches!(v6.attrs.next_hop, MpNextHop::V6 { .. }));
    // The same announcement again changes nothing.
    let a = h.update(conn, announce_v4(&["10.0.0.0/8"], attrs(1, &[])));
    assert!(a.is_empty(), "{a:?}");
    // New attributes replace the old.
    h.update(conn, announce_v4(&["10.0.0.0/8"], attrs(2, &[])));
    let r = h.s.rib().get(&p("10.0.0.0/8")).expect("route");
    assert!(
        r.attrs
            .attributes
            .as_path
            .as_ref()
            .is_some_and(|p| p.contains(2))
    );
    let a = h.update(conn, withdraw_v4(&["10.1.0.0/16", "192.0.2.0/24"]));
    assert_eq!(a, [Action::RibChanged]);
    assert_eq!(h.s.rib().len(V4), 1);
    assert!(h.update(conn, withdraw_v4(&["192.0.2.0/24"])).is_empty());
    let routes: Vec<String> = h.s.rib().routes(V4).map(|r| r.prefix.to_string()).collect();
    assert_eq!(routes, ["10.0.0.0/8"]);
    assert_eq!(h.s.status(h.now).received[0].routes, 1);
}

#[test]
fn a_route_through_our_own_as_is_a_loop_and_not_used() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    h.update(conn, announce_v4(&["10.0.0.0/8"], attrs(1, &[])));
    h.update(conn, announce_v6(&["2001:db8::/32"], attrs(1, &[])));
    // RFC 4271 9.1.2: our AS in the path; the new announcement replaces
    // the earlier route, so both go.
    let a = h.update(
        conn,
        announce_v4(&["10.0.0.0/8", "10.9.0.0/16"], attrs(LOCAL_ASN, &[])),
    );
    assert_eq!(a, [Action::RibChanged]);
    let a = h.update(conn, announce_v6(&["2001:db8::/32"], attrs(LOCAL_ASN, &[])));
    assert_eq!(a, [Action::RibChanged]);
    assert!(h.s.rib().is_empty(), "no looped route is kept");
    // Nothing held, nothing changes; a clean path is taken again.
    assert!(
        h.update(conn, announce_v4(&["10.9.0.0/16"], attrs(LOCAL_ASN, &[])))
            .is_empty()
    );
    h.update(conn, announce_v4(&["10.9.0.0/16"], attrs(1, &[])));
    assert_eq!(h.s.rib().len(V4), 1);
}

#[test]
fn attribute_sets_are_shared() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    h.update(
        conn,
        announce_v4(&["10.0.0.0/24", "10.0.1.0/24"], attrs(1, &[])),
    );
    h.update(conn, announce_v4(&["10.0.2.0/24"], attrs(1, &[])));
    h.update(conn, announce_v4(&["10.0.3.0/24"], attrs(2, &[])));
    let rib = h.s.rib();
    assert_eq!(rib.attribute_sets(), 2);
    let a = rib.get(&p("10.0.0.0/24")).expect("route").attrs;
    let b = rib.get(&p("10.0.2.0/24")).expect("route").attrs;
    assert!(Arc::ptr_eq(a, b), "one copy for identical attributes");
    // Sets nobody uses any more are forgotten.
    h.update(conn, withdraw_v4(&["10.0.3.0/24"]));
    assert_eq!(h.s.rib().attribute_sets(), 1);
    h.update(
        conn,
        announce_v4(
            &["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
            attrs(3, &[]),
        ),
    );
    assert_eq!(h.s.rib().attribute_sets(), 1);
}

#[test]
fn treat_as_withdraw_removes_the_prefixes() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    h.update(
        conn,
        announce_v4(&["10.0.0.0/8", "10.1.0.0/16"], attrs(1, &[])),
    );
    h.update(conn, announce_v6(&["2001:db8::/32"], attrs(1, &[])));
    let e = DecodeError::TreatAsWithdraw {
        withdrawn: vec![p("10.0.0.0/8"), p("2001:db8::/32"), p("172.16.0.0/12")],
        reason: Malformed {
            type_code: 1,
            problem: Problem::Value,
        },
    };
    let a = h.feed(Event::DecodeError(conn, e));
    assert_eq!(a, [Action::RibChanged], "the session stays up");
    assert_eq!(h.route("10.0.0.0/8"), None);
    assert_eq!(h.route("2001:db8::/32"), None);
    assert_eq!(h.route("10.1.0.0/16"), Some(RouteState::Fresh));
    // It counts as a message heard: the hold timer starts over.
    let t = h.now;
    h.advance(secs(89));
    h.feed(Event::DecodeError(
        conn,
        DecodeError::TreatAsWithdraw {
            withdrawn: vec![],
            reason: Malformed {
                type_code: 1,
                problem: Problem::Value,
            },
        },
    ));
    let a = h.advance(secs(89));
    assert!(down(&a).is_none(), "held at {:?}", h.now.duration_since(t));
}

#[test]
fn treat_as_withdraw_before_established_is_an_fsm_error() {
    let mut h = Harness::new(config());
    let (conn, _) = h.connect_outbound();
    let e = DecodeError::TreatAsWithdraw {
        withdrawn: vec![p("10.0.0.0/8")],
        reason: Malformed {
            type_code: 1,
            problem: Problem::Value,
        },
    };
    let a = h.feed(Event::DecodeError(conn, e));
    assert_eq!(
        notifications(&a),
        [Notification::new(
            ErrorCode::Fsm(FsmSubcode::UnexpectedInOpenSent),
            vec![]
        )]
    );
}

#[test]
fn routes_of_families_not_negotiated_are_ignored() {
    let mut h = Harness::new(config());
    let (conn, _) = h.connect_outbound();
    // The peer offers IPv4 only, yet sends IPv6.
    h.handshake(
        conn,
        mpwan_bgp::wire::Open::new(PEER_ASN, 90, peer_id(), vec![]),
    );
    let a = h.update(conn, announce_v6(&["2001:db8::/32"], attrs(1, &[])));
    assert!(a.is_empty());
    assert!(h.s.rib().is_empty());
    // And its End-of-RIB means nothing either.
    assert!(h.end_of_rib(conn, V6).is_empty());
    assert!(h.s.status(h.now).end_of_rib_received.is_empty());
}

fn prefixes(n: usize, third: u8) -> Vec<String> {
    (0..n).map(|i| format!("10.{third}.{i}.0/24")).collect()
}

fn announce_many(
    h: &mut Harness,
    conn: mpwan_bgp::session::ConnId,
    list: &[String],
) -> Vec<Action> {
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    h.update(conn, announce_v4(&refs, attrs(1, &[])))
}

#[test]
fn max_prefixes_without_n() {
    let mut cfg = config();
    cfg.max_prefixes = Some(100);
    let mut h = Harness::new(cfg);
    let peer = open_with(vec![gr_cap(120, false, false, &[(V4, true), (V6, true)])]);
    let (conn, _) = h.establish(peer);
    // Exactly the limit is fine; refreshing it too.
    assert!(down(&announce_many(&mut h, conn, &prefixes(100, 0))).is_none());
    assert!(down(&announce_many(&mut h, conn, &prefixes(100, 0))).is_none());
    // One more is not.
    let a = announce_many(&mut h, conn, &prefixes(1, 1));
    let n = Notification::maximum_prefixes(V4, 100);
    assert_eq!(
        n.code,
        ErrorCode::Cease(CeaseSubcode::MaximumPrefixesReached)
    );
    assert_eq!(
        n.data,
        [0, 1, 1, 0, 0, 0, 100],
        "AFI, SAFI, limit (RFC 4486)"
    );
    assert_eq!(notifications(&a), std::slice::from_ref(&n));
    assert!(closes(&a, conn));
    let (reason, peer_keeps, retained) = down(&a).expect("down");
    assert_eq!(reason, DownReason::NotificationSent(n));
    assert!(!peer_keeps && !retained);
    assert!(h.s.rib().is_empty(), "a NOTIFICATION without N flushes");
    // No quick retry: the back-off is at its ceiling.
    let t = h.now;
    assert_eq!(h.s.next_deadline(), Some(t + secs(120)));
}

#[test]
fn max_prefixes_with_n_is_a_hard_reset() {
    let mut cfg = config();
    cfg.max_prefixes = Some(10);
    let mut h = Harness::new(cfg);
    let (conn, _) = h.establish(gr_peer_open());
    let a = announce_many(&mut h, conn, &prefixes(11, 0));
    let cease = Notification::maximum_prefixes(V4, 10);
    let hard = Notification::hard_reset(&cease);
    assert_eq!(notifications(&a), std::slice::from_ref(&hard));
    assert_eq!(hard.hard_reset_cause(), Some(cease));
    let (_, peer_keeps, retained) = down(&a).expect("down");
    assert!(!peer_keeps && !retained, "a Hard Reset keeps nothing");
    assert!(h.s.rib().is_empty());
}

#[test]
fn max_prefixes_counts_each_family() {
    let mut cfg = config();
    cfg.max_prefixes = Some(2);
    let mut h = Harness::new(cfg);
    let (conn, _) = h.establish(plain_peer_open());
    announce_many(&mut h, conn, &prefixes(2, 0));
    let a = h.update(
        conn,
        announce_v6(&["2001:db8:1::/48", "2001:db8:2::/48"], attrs(1, &[])),
    );
    assert!(down(&a).is_none());
    let a = h.update(conn, announce_v6(&["2001:db8:3::/48"], attrs(1, &[])));
    assert_eq!(notifications(&a), [Notification::maximum_prefixes(V6, 2)]);
}

#[test]
fn discarded_attributes_do_not_stop_the_routes() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    let mut u: Update = announce_v4(&["10.0.0.0/8"], attrs(1, &[]));
    u.discarded.push(Malformed {
        type_code: 7,
        problem: Problem::Length(3),
    });
    h.feed(Event::Message(conn, Message::Update(u)));
    assert_eq!(h.route("10.0.0.0/8"), Some(RouteState::Fresh));
}
