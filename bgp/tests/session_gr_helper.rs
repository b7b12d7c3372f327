//! The helper role: a peer with Graceful Restart goes down, its routes are
//! kept as stale, and they go on its End-of-RIB, on its return without
//! the F bit, or when the timers run out, through the long-lived phase
//! where it was agreed (RFC 4724 4.2, RFC 8538, RFC 9494).

mod session_support;

use mpwan_bgp::session::{Action, ConnId, DownReason, Event, HelperPhase, RouteState, State};
use mpwan_bgp::wire::{
    CeaseSubcode, Community, DecodeError, ErrorCode, Message, Notification, Open, UpdateSubcode,
};
use session_support::*;

const V4_KEPT: &str = "10.0.0.0/8";
const V4_GONE: &str = "10.1.0.0/16";
const V6_KEPT: &str = "2001:db8:1::/48";
const V6_GONE: &str = "2001:db8:2::/48";

/// An established session holding two routes per family.
fn loaded(peer: Open) -> (Harness, ConnId) {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(peer);
    h.update(conn, announce_v4(&[V4_KEPT, V4_GONE], attrs(1, &[])));
    h.update(conn, announce_v6(&[V6_KEPT, V6_GONE], attrs(1, &[])));
    assert_eq!(h.s.rib().total_len(), 4);
    (h, conn)
}

fn states(h: &Harness) -> [Option<RouteState>; 4] {
    [
        h.route(V4_KEPT),
        h.route(V4_GONE),
        h.route(V6_KEPT),
        h.route(V6_GONE),
    ]
}

const ALL_STALE: [Option<RouteState>; 4] = [Some(RouteState::Stale); 4];
const NONE: [Option<RouteState>; 4] = [None; 4];

/// The peer connects to us again and completes the handshake.
fn peer_returns(h: &mut Harness, peer: Open) -> (ConnId, Vec<Action>) {
    let (conn, _) = h.connected(false);
    let (_, a) = h.handshake(conn, peer);
    (conn, a)
}

fn restarted_peer(f: &[(mpwan_bgp::wire::Family, bool)]) -> Open {
    open_with(vec![
        gr_cap(120, true, true, f),
        llgr_cap(3600, &[(V4, true), (V6, true)]),
    ])
}

#[test]
fn tcp_drop_then_return_with_f_then_end_of_rib() {
    let (mut h, conn) = loaded(gr_peer_open());
    let a = h.feed(Event::TcpClosed(conn));
    let (reason, peer_keeps, retained) = down(&a).expect("down");
    assert_eq!(reason, DownReason::TcpClosed);
    assert!(peer_keeps && retained);
    assert!(a.contains(&Action::RibChanged));
    assert_eq!(states(&h), ALL_STALE);
    let status = h.s.status(h.now);
    assert_eq!(status.helper.len(), 2);
    assert!(
        status
            .helper
            .iter()
            .all(|s| s.phase == HelperPhase::Restart && s.remaining == Some(secs(120)))
    );
    assert_eq!(status.received[0].stale, 2);

    h.advance(secs(30));
    let (conn, a) = peer_returns(&mut h, restarted_peer(&[(V4, true), (V6, true)]));
    assert!(!a.contains(&Action::RibChanged), "nothing flushed");
    assert_eq!(states(&h), ALL_STALE);
    assert!(h.s.status(h.now).graceful_restart.peer_restarting);
    assert!(
        h.s.status(h.now)
            .helper
            .iter()
            .all(|s| s.phase == HelperPhase::AwaitEndOfRib)
    );

    // The peer re-announces some routes: those are fresh again.
    h.update(conn, announce_v4(&[V4_KEPT], attrs(1, &[])));
    h.update(conn, announce_v6(&[V6_KEPT], attrs(2, &[])));
    use RouteState::*;
    assert_eq!(
        states(&h),
        [Some(Fresh), Some(Stale), Some(Fresh), Some(Stale)]
    );
    // End-of-RIB per family drops what it did not refresh.
    let a = h.end_of_rib(conn, V4);
    assert_eq!(a, [Action::RibChanged]);
    assert_eq!(states(&h), [Some(Fresh), None, Some(Fresh), Some(Stale)]);
    assert!(
        h.s.status(h.now).graceful_restart.peer_restarting,
        "restarting until End-of-RIB of every family"
    );
    h.end_of_rib(conn, V6);
    assert_eq!(states(&h), [Some(Fresh), None, Some(Fresh), None]);
    let status = h.s.status(h.now);
    assert!(status.helper.is_empty());
    assert!(
        !status.graceful_restart.peer_restarting,
        "its restart ended with the last End-of-RIB"
    );
    assert_eq!(status.end_of_rib_received, [V4, V6]);
    // The timers are gone with the helper state: nothing expires later
    // while the peer keeps the session up.
    for _ in 0..20 {
        h.advance(secs(30));
        h.feed(Event::Message(conn, Message::Keepalive));
    }
    assert_eq!(states(&h), [Some(Fresh), None, Some(Fresh), None]);
}

#[test]
fn peer_returns_without_f_for_a_family() {
    let (mut h, conn) = loaded(gr_peer_open());
    h.feed(Event::TcpClosed(conn));
    let (_, a) = peer_returns(&mut h, restarted_peer(&[(V4, true), (V6, false)]));
    assert!(a.contains(&Action::RibChanged));
    use RouteState::*;
    assert_eq!(states(&h), [Some(Stale), Some(Stale), None, None]);
}

#[test]
fn peer_returns_without_a_family_in_gr() {
    let (mut h, conn) = loaded(gr_peer_open());
    h.feed(Event::TcpClosed(conn));
    peer_returns(&mut h, restarted_peer(&[(V6, true)]));
    use RouteState::*;
    assert_eq!(states(&h), [None, None, Some(Stale), Some(Stale)]);
}

#[test]
fn peer_returns_without_gr() {
    let (mut h, conn) = loaded(gr_peer_open());
    h.feed(Event::TcpClosed(conn));
    peer_returns(&mut h, plain_peer_open());
    assert_eq!(states(&h), NONE);
}

#[test]
fn restart_timer_then_long_lived_then_gone() {
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(gr_peer_open());
    h.update(conn, announce_v4(&[V4_KEPT], attrs(1, &[])));
    h.update(
        conn,
        announce_v4(&[V4_GONE], attrs(2, &[Community::NO_LLGR])),
    );
    h.update(conn, announce_v6(&[V6_KEPT, V6_GONE], attrs(1, &[])));
    let t = h.now;
    h.feed(Event::TcpClosed(conn));
    // Reconnect attempts fail all along (the peer is away).
    h.advance(secs(119));
    assert_eq!(states(&h), ALL_STALE);
    let a = h.advance(secs(1));
    assert_eq!(h.now.duration_since(t), secs(120));
    assert!(a.contains(&Action::RibChanged));
    use RouteState::*;
    assert_eq!(
        states(&h),
        [Some(LlgrStale), None, Some(LlgrStale), Some(LlgrStale)],
        "NO_LLGR routes go when the long-lived phase starts"
    );
    let r = h.s.rib().get(&p(V4_KEPT)).expect("kept");
    assert!(r.attrs.attributes.has_community(Community::LLGR_STALE));
    assert!(
        h.s.status(h.now)
            .helper
            .iter()
            .all(|s| s.phase == HelperPhase::LongLived && s.remaining == Some(secs(3600)))
    );
    h.advance(secs(3599));
    assert_eq!(h.s.rib().total_len(), 3);
    h.advance(secs(1));
    assert_eq!(states(&h), NONE);
    assert!(h.s.status(h.now).helper.is_empty());
}

#[test]
fn restart_timer_without_llgr_drops() {
    let peer = open_with(vec![gr_cap(60, true, false, &[(V4, true), (V6, true)])]);
    let (mut h, conn) = loaded(peer);
    h.feed(Event::TcpClosed(conn));
    h.advance(secs(59));
    assert_eq!(states(&h), ALL_STALE);
    let a = h.advance(secs(1));
    assert!(a.contains(&Action::RibChanged));
    assert_eq!(states(&h), NONE);
}

#[test]
fn restart_time_zero_goes_straight_to_long_lived() {
    let peer = open_with(vec![
        gr_cap(0, true, false, &[(V4, true)]),
        llgr_cap(600, &[(V4, true), (V6, true)]),
    ]);
    let (mut h, conn) = loaded(peer);
    h.feed(Event::TcpClosed(conn));
    use RouteState::*;
    // IPv6 is in LLGR only (restart time 0 for it too).
    assert_eq!(states(&h), [Some(LlgrStale); 4]);
    h.advance(secs(600));
    assert_eq!(states(&h), NONE);
}

#[test]
fn return_during_long_lived_phase_needs_the_llgr_f_bit() {
    let (mut h, conn) = loaded(gr_peer_open());
    h.feed(Event::TcpClosed(conn));
    h.advance(secs(200));
    use RouteState::*;
    assert_eq!(states(&h), [Some(LlgrStale); 4]);
    // GR F bits set for both, LLGR F bit only for IPv4: IPv6 goes.
    let peer = open_with(vec![
        gr_cap(120, true, true, &[(V4, true), (V6, true)]),
        llgr_cap(3600, &[(V4, true), (V6, false)]),
    ]);
    let (conn, _) = peer_returns(&mut h, peer);
    assert_eq!(states(&h), [Some(LlgrStale), Some(LlgrStale), None, None]);
    h.update(conn, announce_v4(&[V4_KEPT], attrs(1, &[])));
    let r = h.s.rib().get(&p(V4_KEPT)).expect("refreshed");
    assert!(!r.attrs.attributes.has_community(Community::LLGR_STALE));
    h.end_of_rib(conn, V4);
    assert_eq!(states(&h), [Some(Fresh), None, None, None]);
}

#[test]
fn no_end_of_rib_after_return_drops_at_stale_path_time() {
    let (mut h, conn) = loaded(gr_peer_open());
    h.feed(Event::TcpClosed(conn));
    let (conn, _) = peer_returns(&mut h, restarted_peer(&[(V4, true), (V6, true)]));
    h.update(conn, announce_v4(&[V4_KEPT], attrs(1, &[])));
    // Keep the session up with keepalives while the bound runs out.
    for _ in 0..11 {
        h.advance(secs(30));
        h.feed(Event::Message(conn, Message::Keepalive));
    }
    use RouteState::*;
    assert_eq!(
        states(&h),
        [Some(Fresh), Some(Stale), Some(Stale), Some(Stale)]
    );
    h.advance(secs(30));
    assert_eq!(states(&h), [Some(Fresh), None, None, None]);
    assert_eq!(h.s.state(), State::Established);
}

#[test]
fn hard_reset_received_flushes() {
    let (mut h, conn) = loaded(gr_peer_open());
    let cause = Notification::cease(CeaseSubcode::AdministrativeShutdown);
    let a = h.feed(Event::Message(
        conn,
        Message::Notification(Notification::hard_reset(&cause)),
    ));
    let (_, peer_keeps, retained) = down(&a).expect("down");
    assert!(!peer_keeps && !retained);
    assert_eq!(states(&h), NONE);
}

#[test]
fn cease_without_n_flushes() {
    let peer = open_with(vec![gr_cap(120, false, false, &[(V4, true), (V6, true)])]);
    let (mut h, conn) = loaded(peer);
    let n = Notification::cease(CeaseSubcode::AdministrativeReset);
    let a = h.feed(Event::Message(conn, Message::Notification(n)));
    let (_, peer_keeps, retained) = down(&a).expect("down");
    assert!(!peer_keeps && !retained);
    assert_eq!(states(&h), NONE);
}

#[test]
fn notification_with_n_is_graceful() {
    let (mut h, conn) = loaded(gr_peer_open());
    let n = Notification::cease(CeaseSubcode::AdministrativeReset);
    let a = h.feed(Event::Message(conn, Message::Notification(n)));
    let (_, peer_keeps, retained) = down(&a).expect("down");
    assert!(peer_keeps && retained);
    assert_eq!(states(&h), ALL_STALE);
}

#[test]
fn our_own_notification_with_n_is_graceful_too() {
    let (mut h, conn) = loaded(gr_peer_open());
    let n = Notification::new(
        ErrorCode::Update(UpdateSubcode::MalformedAttributeList),
        vec![],
    );
    let a = h.feed(Event::DecodeError(
        conn,
        DecodeError::SessionReset(n.clone()),
    ));
    assert_eq!(notifications(&a), [n]);
    let (_, peer_keeps, retained) = down(&a).expect("down");
    assert!(peer_keeps && retained);
    assert_eq!(states(&h), ALL_STALE);
}

#[test]
fn our_own_notification_without_n_flushes() {
    let peer = open_with(vec![gr_cap(120, false, false, &[(V4, true), (V6, true)])]);
    let (mut h, conn) = loaded(peer);
    let n = Notification::new(
        ErrorCode::Update(UpdateSubcode::MalformedAttributeList),
        vec![],
    );
    let a = h.feed(Event::DecodeError(conn, DecodeError::SessionReset(n)));
    let (_, peer_keeps, retained) = down(&a).expect("down");
    assert!(!peer_keeps && !retained);
    assert_eq!(states(&h), NONE);
}

#[test]
fn hold_timer_expiry_retains() {
    // Even without the N bit: the peer went silent, as a crash looks.
    let peer = open_with(vec![gr_cap(120, false, false, &[(V4, true), (V6, true)])]);
    let (mut h, _) = loaded(peer);
    let a = h.advance(secs(90));
    let (reason, peer_keeps, retained) = down(&a).expect("down");
    assert_eq!(reason, DownReason::HoldTimerExpired);
    assert!(
        !peer_keeps,
        "our Hold Timer Expired flushes us at a peer without N"
    );
    assert!(retained);
    assert_eq!(states(&h), ALL_STALE);
}

#[test]
fn peer_without_gr_is_flushed_on_drop() {
    let (mut h, conn) = loaded(plain_peer_open());
    let a = h.feed(Event::TcpClosed(conn));
    let (_, peer_keeps, retained) = down(&a).expect("down");
    assert!(!peer_keeps && !retained);
    assert_eq!(states(&h), NONE);
}

#[test]
fn only_families_the_peer_listed_are_kept() {
    let peer = open_with(vec![gr_cap(120, true, false, &[(V6, true)])]);
    let (mut h, conn) = loaded(peer);
    h.feed(Event::TcpClosed(conn));
    use RouteState::*;
    assert_eq!(states(&h), [None, None, Some(Stale), Some(Stale)]);
}

#[test]
fn a_second_drop_before_end_of_rib_starts_over() {
    let (mut h, conn) = loaded(gr_peer_open());
    h.feed(Event::TcpClosed(conn));
    let (conn, _) = peer_returns(&mut h, restarted_peer(&[(V4, true), (V6, true)]));
    h.update(conn, announce_v4(&[V4_KEPT], attrs(1, &[])));
    h.feed(Event::TcpClosed(conn));
    assert_eq!(states(&h), ALL_STALE, "the refreshed route is stale again");
    let t = h.now;
    h.advance(secs(120));
    use RouteState::*;
    assert_eq!(states(&h), [Some(LlgrStale); 4]);
    assert_eq!(h.now.duration_since(t), secs(120));
}

#[test]
fn stopping_flushes_kept_routes() {
    let (mut h, conn) = loaded(gr_peer_open());
    h.feed(Event::TcpClosed(conn));
    assert_eq!(states(&h), ALL_STALE);
    let a = h.feed(Event::Stop(mpwan_bgp::session::StopKind::HardReset));
    assert!(a.contains(&Action::RibChanged));
    assert_eq!(states(&h), NONE);
    assert!(h.s.status(h.now).helper.is_empty());
}

#[test]
fn hard_reset_while_reconnecting_flushes_kept_routes() {
    let (mut h, conn) = loaded(gr_peer_open());
    h.feed(Event::TcpClosed(conn));
    let (conn, _) = h.connected(false);
    let cause = Notification::cease(CeaseSubcode::AdministrativeShutdown);
    let a = h.feed(Event::Message(
        conn,
        Message::Notification(Notification::hard_reset(&cause)),
    ));
    assert!(a.contains(&Action::RibChanged));
    assert_eq!(states(&h), NONE);
    assert!(h.s.status(h.now).helper.is_empty());
}

#[test]
fn a_failed_attempt_keeps_the_stale_routes() {
    let (mut h, conn) = loaded(gr_peer_open());
    h.feed(Event::TcpClosed(conn));
    let (conn, _) = h.connected(false);
    // The OPEN is refused (wrong AS): the restart timer keeps running.
    let wrong = Open::new(65099, 90, peer_id(), vec![]);
    h.feed(Event::Message(conn, Message::Open(wrong)));
    assert_eq!(states(&h), ALL_STALE);
    assert!(
        h.s.status(h.now)
            .helper
            .iter()
            .all(|s| s.phase == HelperPhase::Restart)
    );
}
