//! The capability matrix: what the OPENs agree on for families, 4-octet
//! AS, route refresh, Graceful Restart with and without N, F bits per
//! family, and Long-Lived GR.

mod session_support;

use mpwan_bgp::session::{GrStatus, NegotiatedSession, SessionConfig};
use mpwan_bgp::wire::{Capability, Open};
use session_support::*;

fn negotiate(cfg: SessionConfig, peer: Open) -> (Open, NegotiatedSession) {
    let mut h = Harness::new(cfg);
    let (conn, ours) = h.connect_outbound();
    let (neg, _) = h.handshake(conn, peer);
    assert_eq!(h.s.status(h.now).graceful_restart, neg.graceful_restart);
    (ours, neg)
}

#[test]
fn gr_with_n_on_both_sides() {
    let (_, neg) = negotiate(config(), gr_peer_open());
    assert_eq!(
        neg.graceful_restart,
        GrStatus {
            negotiated: true,
            long_lived: true,
            notification: true,
            peer_restarting: false
        }
    );
    assert_eq!(neg.peer_restart_time(V4), Some(secs(120)));
    assert_eq!(neg.llgr_time(V6), Some(secs(3600)));
}

#[test]
fn n_needs_both_sides() {
    let peer = open_with(vec![gr_cap(120, false, false, &[(V4, true)])]);
    let (_, neg) = negotiate(config(), peer);
    assert!(neg.graceful_restart.negotiated && !neg.graceful_restart.notification);

    let mut cfg = config();
    cfg.graceful_restart.notification = false;
    let (ours, neg) = negotiate(cfg, gr_peer_open());
    assert!(!ours.graceful_restart().expect("GR").notification);
    assert!(neg.graceful_restart.negotiated && !neg.graceful_restart.notification);
}

#[test]
fn peer_without_gr() {
    let (_, neg) = negotiate(config(), plain_peer_open());
    assert_eq!(neg.graceful_restart, GrStatus::default());
    assert_eq!(neg.peer_restart_time(V4), None);
    assert_eq!(neg.llgr_time(V4), None);
}

#[test]
fn llgr_needs_both_sides_and_a_gr_capability() {
    // The peer has GR but no LLGR.
    let peer = open_with(vec![gr_cap(120, true, false, &[(V4, true)])]);
    let (_, neg) = negotiate(config(), peer);
    assert!(!neg.graceful_restart.long_lived);
    assert_eq!(neg.llgr_time(V4), None);
    // We have no LLGR (stale time 0): no capability, no LLGR phase.
    let mut cfg = config();
    cfg.graceful_restart.long_lived_stale_time = secs(0);
    let (ours, neg) = negotiate(cfg, gr_peer_open());
    assert!(ours.long_lived_gr().is_none());
    assert!(!neg.graceful_restart.long_lived);
    assert_eq!(neg.llgr_time(V4), None);
    // LLGR without GR is void (RFC 9494 3).
    let peer = open_with(vec![llgr_cap(3600, &[(V4, true)])]);
    let (_, neg) = negotiate(config(), peer);
    assert!(!neg.graceful_restart.negotiated);
    assert_eq!(neg.llgr_time(V4), None);
}

#[test]
fn llgr_time_is_the_smaller_of_both() {
    let peer = |t| {
        open_with(vec![
            gr_cap(120, true, false, &[(V4, true)]),
            llgr_cap(t, &[(V4, true)]),
        ])
    };
    let (_, neg) = negotiate(config(), peer(86_400));
    assert_eq!(neg.llgr_time(V4), Some(secs(3600)));
    let (_, neg) = negotiate(config(), peer(600));
    assert_eq!(neg.llgr_time(V4), Some(secs(600)));
    let (_, neg) = negotiate(config(), peer(0));
    assert_eq!(neg.llgr_time(V4), None, "stale time 0: no LLGR phase");
    assert_eq!(neg.llgr_time(V6), None, "family not listed");
}

#[test]
fn f_bits_per_family() {
    let peer = open_with(vec![
        gr_cap(90, true, true, &[(V4, true), (V6, false)]),
        llgr_cap(100, &[(V4, false), (V6, true)]),
    ]);
    let (_, neg) = negotiate(config(), peer);
    assert!(neg.graceful_restart.peer_restarting);
    assert_eq!(neg.peer_gr_family(V4).map(|f| f.forwarding), Some(true));
    assert_eq!(neg.peer_gr_family(V6).map(|f| f.forwarding), Some(false));
    assert_eq!(neg.peer_llgr_family(V4).map(|f| f.forwarding), Some(false));
    assert_eq!(neg.peer_llgr_family(V6).map(|f| f.forwarding), Some(true));
    assert_eq!(neg.peer_restart_time(V6), Some(secs(90)));
    // Our F bits follow the configuration.
    let mut cfg = config();
    cfg.graceful_restart.forwarding_preserved = vec![V6];
    let (ours, _) = negotiate(cfg, gr_peer_open());
    let gr = ours.graceful_restart().expect("GR");
    assert_eq!(
        gr.families
            .iter()
            .map(|f| (f.family, f.forwarding))
            .collect::<Vec<_>>(),
        [(V4, false), (V6, true)]
    );
    let llgr = ours.long_lived_gr().expect("LLGR");
    assert_eq!(
        llgr.iter()
            .map(|f| (f.family, f.forwarding))
            .collect::<Vec<_>>(),
        [(V4, false), (V6, true)]
    );
}

#[test]
fn restart_time_zero() {
    let peer = open_with(vec![gr_cap(0, true, false, &[(V4, true)])]);
    let (_, neg) = negotiate(config(), peer);
    assert!(neg.graceful_restart.negotiated);
    assert_eq!(neg.peer_restart_time(V4), None);
}

#[test]
fn families_are_the_intersection() {
    let mut cfg = config();
    cfg.families = vec![V6, V4];
    let peer = Open::new(
        PEER_ASN,
        90,
        peer_id(),
        vec![
            Capability::Multiprotocol(V4),
            gr_cap(120, true, false, &[(V4, true), (V6, true)]),
        ],
    );
    let (_, neg) = negotiate(cfg, peer);
    assert_eq!(neg.families, [V4]);
    // GR for a family the session does not carry means nothing.
    assert_eq!(neg.peer_gr_family(V6), None);
    assert_eq!(neg.peer_restart_time(V6), None);
    assert!(!neg.route_refresh, "the peer did not offer it");
}

#[test]
fn four_octet_as_needs_both() {
    let mut peer = plain_peer_open();
    peer.capabilities
        .retain(|c| !matches!(c, Capability::FourOctetAs(_)));
    let (ours, neg) = negotiate(config(), peer);
    assert_eq!(ours.four_octet_as(), Some(LOCAL_ASN));
    assert!(!neg.wire.four_octet_as);
}

#[test]
fn restart_time_capped_at_12_bits() {
    let mut cfg = config();
    cfg.graceful_restart.restart_time = secs(4095);
    let (ours, _) = negotiate(cfg, plain_peer_open());
    assert_eq!(ours.graceful_restart().map(|g| g.restart_time), Some(4095));
}
