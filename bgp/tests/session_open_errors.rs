//! Every OPEN the session refuses, with the exact NOTIFICATION (RFC 4271
//! 6.2, RFC 5492 5, RFC 6286, RFC 6793), the codec's verdicts passed
//! through, and the FSM errors of RFC 6608.

mod session_support;

use std::net::Ipv4Addr;

use mpwan_bgp::session::{DownReason, Event, State};
use mpwan_bgp::wire::{
    AS_TRANS, Capability, DecodeError, ErrorCode, FsmSubcode, Message, Negotiated, Notification,
    Open, OpenSubcode,
};
use session_support::*;

/// Feeds `open` on a fresh outbound connection; returns the NOTIFICATION
/// sent and checks the connection was closed.
fn refused(mut h: Harness, open: Open) -> Notification {
    let (conn, _) = h.connect_outbound();
    let a = h.feed(Event::Message(conn, Message::Open(open)));
    assert!(closes(&a, conn), "{a:?}");
    assert!(down(&a).is_none(), "never established");
    let n = notifications(&a);
    assert_eq!(n.len(), 1, "{a:?}");
    assert_eq!(h.s.state(), State::Active);
    assert_eq!(
        h.s.status(h.now).last_error,
        Some(DownReason::NotificationSent(n[0].clone()))
    );
    n[0].clone()
}

fn open_error(sub: OpenSubcode) -> Notification {
    Notification::new(ErrorCode::Open(sub), vec![])
}

#[test]
fn bad_peer_as() {
    let open = Open::new(65099, 90, peer_id(), vec![]);
    assert_eq!(
        refused(Harness::new(config()), open),
        open_error(OpenSubcode::BadPeerAs)
    );
}

#[test]
fn bad_peer_as_in_the_four_octet_capability() {
    // My AS right, capability wrong.
    let mut open = plain_peer_open();
    open.capabilities
        .retain(|c| !matches!(c, Capability::FourOctetAs(_)));
    open.capabilities.push(Capability::FourOctetAs(65099));
    assert_eq!(
        refused(Harness::new(config()), open),
        open_error(OpenSubcode::BadPeerAs)
    );
}

#[test]
fn my_as_must_agree_with_the_capability() {
    // RFC 6793: a large ASN needs AS_TRANS in My AS.
    let mut cfg = config();
    cfg.peer_asn = 4_200_000_000;
    let mut open = Open::new(4_200_000_000, 90, peer_id(), vec![]);
    open.my_as = 65000;
    assert_eq!(
        refused(Harness::new(cfg), open),
        open_error(OpenSubcode::BadPeerAs)
    );
    // A small ASN must be in My AS itself.
    let mut open = plain_peer_open();
    open.my_as = AS_TRANS;
    assert_eq!(
        refused(Harness::new(config()), open),
        open_error(OpenSubcode::BadPeerAs)
    );
}

#[test]
fn four_octet_peer_asn_is_accepted() {
    let mut cfg = config();
    cfg.peer_asn = 4_200_000_000;
    let mut h = Harness::new(cfg);
    let (conn, _) = h.connect_outbound();
    let open = Open::new(4_200_000_000, 90, peer_id(), vec![]);
    assert_eq!(open.my_as, AS_TRANS);
    let (neg, _) = h.handshake(conn, open);
    assert_eq!(neg.peer_asn, 4_200_000_000);
}

#[test]
fn a_large_peer_asn_without_the_capability_cannot_match() {
    let mut cfg = config();
    cfg.peer_asn = 4_200_000_000;
    let mut open = Open::new(65000, 90, peer_id(), vec![]);
    open.capabilities.clear();
    open.my_as = AS_TRANS;
    assert_eq!(
        refused(Harness::new(cfg), open),
        open_error(OpenSubcode::BadPeerAs)
    );
}

#[test]
fn unacceptable_hold_time() {
    for hold in [1, 2] {
        let mut open = plain_peer_open();
        open.hold_time = hold;
        assert_eq!(
            refused(Harness::new(config()), open),
            open_error(OpenSubcode::UnacceptableHoldTime)
        );
    }
    // 3 is the smallest acceptable.
    let mut h = Harness::new(config());
    let (conn, _) = h.connect_outbound();
    let mut open = plain_peer_open();
    open.hold_time = 3;
    let (neg, _) = h.handshake(conn, open);
    assert_eq!(neg.hold_time, 3);
}

#[test]
fn bad_bgp_identifier() {
    let open = Open::new(PEER_ASN, 90, Ipv4Addr::UNSPECIFIED, vec![]);
    assert_eq!(
        refused(Harness::new(config()), open),
        open_error(OpenSubcode::BadBgpIdentifier)
    );
}

#[test]
fn internal_peer_with_our_identifier() {
    let mut cfg = config();
    cfg.peer_asn = LOCAL_ASN;
    let open = Open::new(LOCAL_ASN, 90, local_id(), vec![]);
    assert_eq!(
        refused(Harness::new(cfg), open),
        open_error(OpenSubcode::BadBgpIdentifier)
    );
}

#[test]
fn external_peer_may_share_our_identifier() {
    // RFC 6286 2.2: only within an AS must identifiers differ.
    let mut h = Harness::new(config());
    let (conn, _) = h.connect_outbound();
    let (neg, _) = h.handshake(conn, Open::new(PEER_ASN, 90, local_id(), vec![]));
    assert_eq!(neg.peer_id, local_id());
}

#[test]
fn no_common_family() {
    let mut cfg = config();
    cfg.families = vec![V6];
    // The peer offers IPv4 only (no multiprotocol capability).
    let open = Open::new(PEER_ASN, 90, peer_id(), vec![]);
    let n = refused(Harness::new(cfg), open);
    assert_eq!(n.code, ErrorCode::Open(OpenSubcode::UnsupportedCapability));
    // RFC 5492: the data lists the capabilities needed, as in an OPEN.
    assert_eq!(n.data, [1, 4, 0, 2, 0, 1]);
}

#[test]
fn codec_session_resets_are_sent_as_they_are() {
    // What the codec says of an OPEN with version 3 (RFC 4271 6.2).
    let version = Notification::new(
        ErrorCode::Open(OpenSubcode::UnsupportedVersionNumber),
        vec![0, 4],
    );
    let mut bytes = Message::Open(plain_peer_open())
        .to_bytes(&Negotiated::default())
        .expect("encodes");
    bytes[19] = 3;
    let e = Message::decode(&bytes, &Negotiated::default()).expect_err("version 3");
    assert_eq!(e, DecodeError::SessionReset(version.clone()));
    let mut h = Harness::new(config());
    let (conn, _) = h.connect_outbound();
    let a = h.feed(Event::DecodeError(conn, e));
    assert_eq!(notifications(&a), [version]);
    assert!(closes(&a, conn));
}

fn fsm(sub: FsmSubcode) -> Notification {
    Notification::new(ErrorCode::Fsm(sub), vec![])
}

#[test]
fn fsm_errors() {
    // Anything but OPEN in OpenSent.
    for m in [
        Message::Keepalive,
        Message::Update(announce_v4(&["10.0.0.0/8"], attrs(1, &[]))),
    ] {
        let mut h = Harness::new(config());
        let (conn, _) = h.connect_outbound();
        let a = h.feed(Event::Message(conn, m));
        assert_eq!(notifications(&a), [fsm(FsmSubcode::UnexpectedInOpenSent)]);
        assert!(closes(&a, conn));
    }
    // A second OPEN in OpenConfirm.
    let mut h = Harness::new(config());
    let (conn, _) = h.connect_outbound();
    h.feed(Event::Message(conn, Message::Open(plain_peer_open())));
    let a = h.feed(Event::Message(conn, Message::Open(plain_peer_open())));
    assert_eq!(
        notifications(&a),
        [fsm(FsmSubcode::UnexpectedInOpenConfirm)]
    );
    // An OPEN once established.
    let mut h = Harness::new(config());
    let (conn, _) = h.establish(plain_peer_open());
    let a = h.feed(Event::Message(conn, Message::Open(plain_peer_open())));
    assert_eq!(
        notifications(&a),
        [fsm(FsmSubcode::UnexpectedInEstablished)]
    );
    assert!(closes(&a, conn));
    assert!(down(&a).is_some());
}
