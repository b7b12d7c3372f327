//! Frames captured from real peers, decoded and checked field by field.
//!
//! Source: `cargo test -p mpwan-bgp --test wire_live_peers -- --nocapture`
//! on Debian 12 (kernel 6.18), which prints every frame it receives. The
//! peers ran in a network namespace at 192.0.2.2 (AS 65000) facing our test
//! speaker at 192.0.2.1 (AS 65001) over IPv4, with the configurations in
//! that file (`GOBGPD_TOML`, `BIRD_CONF`):
//! - gobgpd 3.10.0: GR enabled, restart-time 120, notification-enabled
//!   (N bit), long-lived-enabled with restart-time 3600, ipv4- and
//!   ipv6-unicast; routes added with `gobgp global rib add -a ipv4
//!   10.10.0.0/24 med 10 community 65000:100 large-community 65000:1:2` and
//!   `gobgp global rib add -a ipv6 2001:db8:10::/48 nexthop 2001:db8::2`;
//!   shut down with `gobgp neighbor 192.0.2.1 shutdown --reason "mpwan
//!   test"`. Its host name ("vm") is in the FQDN capability.
//! - BIRD 2.0.12: `graceful restart on`, `long lived graceful restart on`,
//!   `long lived stale time 3600`, static blackholes 10.20.0.0/24 and
//!   2001:db8:20::/48 exported; shut down with `birdc disable agent "mpwan
//!   test"`.

use std::net::Ipv4Addr;

use mpwan_bgp::wire::*;

const GOBGP_OPEN: &str = "ffffffffffffffffffffffffffffffff005d0104fde8005ac000020240023e0200490402766d0001040001000101040002000141040000fde8400a40780001010000020100470e00010100000e1000020100000e100506000100010002";
const GOBGP_UPDATE_V4: &str = "ffffffffffffffffffffffffffffffff004c02000000314001010240020602010000fde8400304c00002028004040000000ac00804fde80064c0200c0000fde80000000100000002180a0a00";
const GOBGP_EOR_V4: &str = "ffffffffffffffffffffffffffffffff00170200000000";
const GOBGP_UPDATE_V6: &str = "ffffffffffffffffffffffffffffffff0043020000002c4001010240020602010000fde8800e1c0002011020010db8000000000000000000000002003020010db80010";
const GOBGP_EOR_V6: &str = "ffffffffffffffffffffffffffffffff001d0200000006800f03000201";
const GOBGP_SHUTDOWN: &str = "ffffffffffffffffffffffffffffffff00200306020a6d7077616e2074657374";

const BIRD_OPEN: &str = "ffffffffffffffffffffffffffffffff00510104fde800f0c00002023402320104000100010104000200010200400a0078000101000002010041040000fde84600470e00010100000e1000020100000e10";
const BIRD_UPDATE_V4: &str = "ffffffffffffffffffffffffffffffff002f02000000144001010040020602010000fde8400304c0000202180a1400";
const BIRD_UPDATE_V6: &str = "ffffffffffffffffffffffffffffffff0044020000002d900e001c0002011020010db8000000000000000000000002003020010db800204001010040020602010000fde8";
const BIRD_SHUTDOWN: &str = "ffffffffffffffffffffffffffffffff00200306020a6d7077616e2074657374";
const KEEPALIVE: &str = "ffffffffffffffffffffffffffffffff001304";

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex constant"))
        .collect()
}

fn decode(hex: &str, n: &Negotiated) -> Message {
    let b = bytes(hex);
    assert_eq!(Message::frame_len(&b, n), Ok(Some(b.len())));
    Message::decode(&b, n).expect("a captured frame decodes")
}

fn open(hex: &str) -> Open {
    match decode(hex, &Negotiated::default()) {
        Message::Open(o) => o,
        other => panic!("expected OPEN, got {other:?}"),
    }
}

fn update(hex: &str) -> Update {
    match decode(hex, &Negotiated::FOUR_OCTET_AS) {
        Message::Update(u) => u,
        other => panic!("expected UPDATE, got {other:?}"),
    }
}

fn p(s: &str) -> Prefix {
    s.parse().expect("test prefix")
}

/// Decoding and re-encoding gives a message that decodes the same (the
/// bytes may differ: attribute order, extended-length flags).
fn reencodes(hex: &str, n: &Negotiated) {
    let m = decode(hex, n);
    let again = m.to_bytes(n).expect("re-encodes");
    assert_eq!(Message::decode(&again, n), Ok(m));
}

#[test]
fn gobgp_open() {
    let o = open(GOBGP_OPEN);
    assert_eq!((o.my_as, o.asn(), o.hold_time), (65000, 65000, 90));
    assert_eq!(o.bgp_id, Ipv4Addr::new(192, 0, 2, 2));
    assert_eq!(o.families(), [Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
    assert!(o.route_refresh());
    assert_eq!(o.four_octet_as(), Some(65000));
    let gr = o.graceful_restart().expect("GR capability");
    assert!(gr.notification, "N bit");
    assert!(!gr.restarting);
    assert_eq!(gr.restart_time, 120);
    assert_eq!(
        gr.families,
        [
            GrFamily {
                family: Family::IPV4_UNICAST,
                forwarding: false
            },
            GrFamily {
                family: Family::IPV6_UNICAST,
                forwarding: false
            },
        ]
    );
    let llgr = o.long_lived_gr().expect("LLGR capability");
    assert_eq!(
        llgr,
        [
            LlgrFamily {
                family: Family::IPV4_UNICAST,
                forwarding: false,
                stale_time: 3600
            },
            LlgrFamily {
                family: Family::IPV6_UNICAST,
                forwarding: false,
                stale_time: 3600
            },
        ]
    );
    // FQDN (73) and extended next hop (5) are kept raw.
    assert!(o.capabilities.contains(&Capability::Unknown {
        code: 73,
        value: b"\x02vm\x00".to_vec()
    }));
    assert!(o.capabilities.iter().any(|c| c.code() == 5));
    // All capabilities in one parameter, in order: our encoder gives the
    // same bytes back.
    assert_eq!(
        Message::Open(o).to_bytes(&Negotiated::default()),
        Ok(bytes(GOBGP_OPEN))
    );
}

#[test]
fn bird_open() {
    let o = open(BIRD_OPEN);
    assert_eq!((o.asn(), o.hold_time), (65000, 240));
    assert_eq!(o.families(), [Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
    assert!(o.route_refresh() && o.enhanced_route_refresh());
    let gr = o.graceful_restart().expect("GR capability");
    assert!(!gr.notification, "BIRD 2.0 has no RFC 8538");
    assert_eq!(gr.restart_time, 120);
    assert!(gr.families.iter().all(|f| !f.forwarding));
    assert_eq!(o.long_lived_gr().map(|f| f.len()), Some(2));
    assert!(
        o.long_lived_gr()
            .is_some_and(|f| f.iter().all(|x| x.stale_time == 3600))
    );
    let ours = Open::new(65001, 90, Ipv4Addr::new(192, 0, 2, 1), vec![]);
    assert!(Negotiated::from_opens(&ours, &o).four_octet_as);
    assert_eq!(
        Message::Open(o).to_bytes(&Negotiated::default()),
        Ok(bytes(BIRD_OPEN))
    );
}

#[test]
fn gobgp_ipv4_update() {
    let u = update(GOBGP_UPDATE_V4);
    assert_eq!(u.nlri, [p("10.10.0.0/24")]);
    let a = &u.attributes;
    assert_eq!(a.origin, Some(Origin::Incomplete));
    assert_eq!(a.as_path, Some(AsPath::from_sequence([65000])));
    assert_eq!(a.next_hop, Some(Ipv4Addr::new(192, 0, 2, 2)));
    assert_eq!(a.med, Some(10));
    assert_eq!(a.communities, [Community::new(65000, 100)]);
    assert_eq!(
        a.large_communities,
        [LargeCommunity {
            global: 65000,
            local1: 1,
            local2: 2
        }]
    );
    assert!(u.discarded.is_empty());
    assert_eq!(u.is_end_of_rib(), None);
    reencodes(GOBGP_UPDATE_V4, &Negotiated::FOUR_OCTET_AS);
}

#[test]
fn gobgp_ipv6_update() {
    let u = update(GOBGP_UPDATE_V6);
    let m = u.mp_reach.as_ref().expect("MP_REACH_NLRI");
    assert_eq!(m.family, Family::IPV6_UNICAST);
    assert_eq!(
        m.next_hop,
        MpNextHop::V6 {
            global: "2001:db8::2".parse().expect("addr"),
            link_local: None
        }
    );
    assert_eq!(m.nlri.prefixes(), [p("2001:db8:10::/48")]);
    assert_eq!(
        u.announced().copied().collect::<Vec<_>>(),
        [p("2001:db8:10::/48")]
    );
    assert_eq!(u.attributes.next_hop, None);
    reencodes(GOBGP_UPDATE_V6, &Negotiated::FOUR_OCTET_AS);
}

#[test]
fn bird_updates() {
    let u = update(BIRD_UPDATE_V4);
    assert_eq!(u.nlri, [p("10.20.0.0/24")]);
    assert_eq!(u.attributes.origin, Some(Origin::Igp));
    assert_eq!(u.attributes.next_hop, Some(Ipv4Addr::new(192, 0, 2, 2)));
    reencodes(BIRD_UPDATE_V4, &Negotiated::FOUR_OCTET_AS);
    // BIRD puts MP_REACH_NLRI first, with the extended-length flag on a
    // short value.
    let u = update(BIRD_UPDATE_V6);
    assert_eq!(bytes(BIRD_UPDATE_V6)[23], 0x90);
    let m = u.mp_reach.expect("MP_REACH_NLRI");
    assert_eq!(m.nlri.prefixes(), [p("2001:db8:20::/48")]);
    assert_eq!(u.attributes.as_path, Some(AsPath::from_sequence([65000])));
    reencodes(BIRD_UPDATE_V6, &Negotiated::FOUR_OCTET_AS);
}

#[test]
fn end_of_rib_from_both() {
    assert_eq!(
        update(GOBGP_EOR_V4).is_end_of_rib(),
        Some(Family::IPV4_UNICAST)
    );
    assert_eq!(
        update(GOBGP_EOR_V6).is_end_of_rib(),
        Some(Family::IPV6_UNICAST)
    );
    // BIRD's End-of-RIBs were byte-identical to gobgpd's.
    let n = Negotiated::FOUR_OCTET_AS;
    assert_eq!(
        Message::Update(Update::end_of_rib(Family::IPV4_UNICAST)).to_bytes(&n),
        Ok(bytes(GOBGP_EOR_V4))
    );
    assert_eq!(
        Message::Update(Update::end_of_rib(Family::IPV6_UNICAST)).to_bytes(&n),
        Ok(bytes(GOBGP_EOR_V6))
    );
}

#[test]
fn shutdown_notifications() {
    assert_eq!(GOBGP_SHUTDOWN, BIRD_SHUTDOWN, "both send the RFC 9003 form");
    let Message::Notification(n) = decode(GOBGP_SHUTDOWN, &Negotiated::FOUR_OCTET_AS) else {
        panic!("expected NOTIFICATION");
    };
    assert_eq!(
        n.code,
        ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)
    );
    assert!(!n.is_hard_reset());
    assert_eq!(n.shutdown_message().as_deref(), Some("mpwan test"));
    assert_eq!(n, Notification::administrative_shutdown("mpwan test"));
    assert_eq!(
        Message::Notification(n).to_bytes(&Negotiated::default()),
        Ok(bytes(GOBGP_SHUTDOWN))
    );
}

#[test]
fn keepalive() {
    assert_eq!(
        decode(KEEPALIVE, &Negotiated::default()),
        Message::Keepalive
    );
    assert_eq!(
        Message::Keepalive.to_bytes(&Negotiated::default()),
        Ok(bytes(KEEPALIVE))
    );
}
