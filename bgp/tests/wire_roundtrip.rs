//! Encode then decode every message and attribute, in both AS widths, and
//! the UPDATE packer at the 100 000-prefix scale.

use std::net::{Ipv4Addr, Ipv6Addr};

use mpwan_bgp::wire::*;

fn p(s: &str) -> Prefix {
    s.parse().expect("test prefix")
}

fn round_trip(m: &Message, n: &Negotiated) -> Vec<u8> {
    let bytes = m.to_bytes(n).expect("encodes");
    assert_eq!(Message::frame_len(&bytes, n), Ok(Some(bytes.len())));
    assert_eq!(Message::decode(&bytes, n).as_ref(), Ok(m), "{m:?}");
    bytes
}

fn full_attributes() -> Attributes {
    Attributes {
        origin: Some(Origin::Egp),
        as_path: Some(AsPath {
            segments: vec![
                AsSegment {
                    kind: SegmentKind::Sequence,
                    asns: vec![65001, 4_200_000_000],
                },
                AsSegment {
                    kind: SegmentKind::Set,
                    asns: vec![64512, 64513],
                },
            ],
        }),
        next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
        med: Some(50),
        local_pref: Some(200),
        atomic_aggregate: true,
        aggregator: Some(Aggregator {
            asn: 4_200_000_000,
            address: Ipv4Addr::new(192, 0, 2, 7),
        }),
        communities: vec![Community::new(65001, 1), Community::NO_LLGR],
        large_communities: vec![LargeCommunity {
            global: 4_200_000_000,
            local1: 7,
            local2: 8,
        }],
        other: vec![RawAttribute {
            flags: 0xe0,
            type_code: 99,
            value: vec![1, 2, 3],
        }],
    }
}

#[test]
fn every_message_type() {
    let n = Negotiated::FOUR_OCTET_AS;
    let open = Open::new(
        4_200_000_001,
        180,
        Ipv4Addr::new(192, 0, 2, 1),
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::Multiprotocol(Family::IPV6_UNICAST),
            Capability::RouteRefresh,
            Capability::EnhancedRouteRefresh,
            Capability::ExtendedMessage,
            Capability::GracefulRestart(GracefulRestart {
                restarting: true,
                notification: true,
                restart_time: 4095,
                families: vec![GrFamily {
                    family: Family::IPV6_UNICAST,
                    forwarding: true,
                }],
            }),
            Capability::LongLivedGracefulRestart(vec![LlgrFamily {
                family: Family::IPV6_UNICAST,
                forwarding: false,
                stale_time: 0x00ff_ffff,
            }]),
            Capability::Unknown {
                code: 69,
                value: vec![0, 1, 1, 1],
            },
        ],
    );
    round_trip(&Message::Open(open), &Negotiated::default());
    round_trip(&Message::Keepalive, &n);
    for sub in [
        RefreshSubtype::Request,
        RefreshSubtype::Begin,
        RefreshSubtype::End,
    ] {
        round_trip(
            &Message::RouteRefresh(RouteRefresh {
                family: Family::IPV4_UNICAST,
                subtype: sub,
            }),
            &n,
        );
    }
    let cause = Notification::administrative_reset("config change");
    round_trip(&Message::Notification(Notification::hard_reset(&cause)), &n);
    round_trip(
        &Message::Notification(Notification::maximum_prefixes(Family::IPV4_UNICAST, 10)),
        &n,
    );
    round_trip(
        &Message::Notification(Notification::new(ErrorCode::HoldTimerExpired, vec![])),
        &n,
    );
    round_trip(
        &Message::Notification(Notification::new(
            ErrorCode::Other {
                code: 99,
                subcode: 1,
            },
            vec![9],
        )),
        &n,
    );
}

#[test]
fn update_with_every_attribute() {
    let u = Update {
        withdrawn: vec![p("10.9.0.0/16"), p("0.0.0.0/0")],
        attributes: full_attributes(),
        nlri: vec![p("10.0.0.0/24"), p("192.0.2.128/25")],
        mp_reach: Some(MpReach {
            family: Family::IPV6_UNICAST,
            next_hop: MpNextHop::V6 {
                global: "2001:db8::1".parse().expect("addr"),
                link_local: Some("fe80::1".parse().expect("addr")),
            },
            nlri: MpNlri::Prefixes(vec![p("2001:db8:1::/48"), p("::/0")]),
        }),
        mp_unreach: Some(MpUnreach {
            family: Family::IPV6_UNICAST,
            withdrawn: MpNlri::Prefixes(vec![p("2001:db8:2::/48")]),
        }),
        discarded: vec![],
    };
    let bytes = round_trip(&Message::Update(u.clone()), &Negotiated::FOUR_OCTET_AS);
    // RFC 7606 5.1: MP_UNREACH then MP_REACH lead the attribute list.
    let attrs_at = 19 + 2 + (3 + 1) + 2;
    assert_eq!(bytes[attrs_at + 1], 15);
    assert_eq!(u.announced().count(), 4);
    assert_eq!(u.withdrawals().count(), 3);
}

#[test]
fn two_octet_peer_gets_as4_attributes_and_we_read_them_back() {
    let u = Update {
        attributes: full_attributes(),
        nlri: vec![p("10.0.0.0/24")],
        ..Update::default()
    };
    let old = Negotiated::default();
    let bytes = round_trip(&Message::Update(u), &old);
    let has = |t: u8| bytes.windows(2).any(|w| w[0] & 0x80 != 0 && w[1] == t);
    assert!(has(17) && has(18), "AS4_PATH and AS4_AGGREGATOR sent");
    // Without ASNs above 65535 they are not needed.
    let mut small = full_attributes();
    small.as_path = Some(AsPath::from_sequence([65001]));
    small.aggregator = None;
    small.other.clear();
    let u = Update {
        attributes: small,
        nlri: vec![p("10.0.0.0/24")],
        ..Update::default()
    };
    let bytes = round_trip(&Message::Update(u), &old);
    assert!(!bytes.windows(2).any(|w| w == [0xc0, 17]));
}

#[test]
fn opaque_families_pass_through() {
    let vpn = Family::new(1, 128);
    let u = Update {
        mp_reach: Some(MpReach {
            family: vpn,
            next_hop: MpNextHop::Other(vec![0; 12]),
            nlri: MpNlri::Opaque(vec![1, 2, 3]),
        }),
        attributes: Attributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::default()),
            ..Attributes::default()
        },
        ..Update::default()
    };
    round_trip(&Message::Update(u), &Negotiated::FOUR_OCTET_AS);
    let eor = Update::end_of_rib(vpn);
    round_trip(&Message::Update(eor.clone()), &Negotiated::FOUR_OCTET_AS);
    assert_eq!(eor.is_end_of_rib(), Some(vpn));
}

#[test]
fn end_of_rib_detection() {
    for f in [Family::IPV4_UNICAST, Family::IPV6_UNICAST] {
        let eor = Update::end_of_rib(f);
        assert_eq!(eor.is_end_of_rib(), Some(f));
        round_trip(&Message::Update(eor), &Negotiated::FOUR_OCTET_AS);
    }
    let withdrawal = Update {
        withdrawn: vec![p("10.0.0.0/8")],
        ..Update::default()
    };
    assert_eq!(withdrawal.is_end_of_rib(), None);
    let attrs_only = Update {
        attributes: full_attributes(),
        ..Update::default()
    };
    assert_eq!(attrs_only.is_end_of_rib(), None);
    let mut mp_withdrawal = Update::end_of_rib(Family::IPV6_UNICAST);
    mp_withdrawal.mp_unreach = Some(MpUnreach {
        family: Family::IPV6_UNICAST,
        withdrawn: MpNlri::Prefixes(vec![p("2001:db8::/32")]),
    });
    assert_eq!(mp_withdrawal.is_end_of_rib(), None);
}

#[test]
fn size_limits() {
    let many: Vec<Prefix> = (0..2000u32)
        .map(|i| p(&format!("10.{}.{}.0/24", i >> 8, i & 0xff)))
        .collect();
    let u = Update {
        attributes: full_attributes(),
        nlri: many,
        ..Update::default()
    };
    let m = Message::Update(u);
    let mut out = vec![7];
    assert!(matches!(
        m.encode(&Negotiated::FOUR_OCTET_AS, &mut out),
        Err(EncodeError::TooLong { max: 4096, .. })
    ));
    assert_eq!(out, [7], "nothing appended on error");
    let ext = Negotiated {
        four_octet_as: true,
        extended_messages: true,
    };
    let bytes = round_trip(&m, &ext);
    assert!(bytes.len() > 4096);
    let wrong = Update {
        nlri: vec![p("2001:db8::/32")],
        ..Update::default()
    };
    assert!(matches!(
        Message::Update(wrong).to_bytes(&ext),
        Err(EncodeError::FamilyMismatch { .. })
    ));
}

/// Decodes a buffer of concatenated messages.
fn split(bytes: &[u8], n: &Negotiated) -> Vec<Update> {
    let mut rest = bytes;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = Message::frame_len(rest, n)
            .expect("valid header")
            .expect("whole header");
        assert!(len <= n.max_message_len());
        let (frame, tail) = rest.split_at(len);
        match Message::decode(frame, n) {
            Ok(Message::Update(u)) => out.push(u),
            other => panic!("expected an UPDATE, got {other:?}"),
        }
        rest = tail;
    }
    out
}

#[test]
fn packer_ipv4_at_benchmark_scale() {
    let n = Negotiated::FOUR_OCTET_AS;
    let prefixes: Vec<Prefix> = (0..100_000u32)
        .map(|i| Prefix::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)).into(), 24).expect("prefix"))
        .collect();
    let mut attrs = full_attributes();
    attrs.next_hop = None;
    let mut packer = UpdatePacker::new(n);
    let mut out = Vec::new();
    let count = packer
        .announce(
            &attrs,
            &MpNextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
            &prefixes,
            &mut out,
        )
        .expect("packs");
    let updates = split(&out, &n);
    assert_eq!(updates.len(), count);
    let mut got = Vec::new();
    for u in &updates {
        assert_eq!(u.attributes.next_hop, Some(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(u.attributes.communities, attrs.communities);
        got.extend_from_slice(&u.nlri);
    }
    assert_eq!(got, prefixes, "every prefix once, in order");
    // As few messages as possible: each holds as many /24s as fit.
    let one = Message::Update(Update {
        attributes: Attributes {
            next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
            ..attrs.clone()
        },
        ..Update::default()
    });
    let fixed = one.to_bytes(&n).expect("encodes").len();
    let per_message = (4096 - fixed) / 4;
    assert_eq!(count, prefixes.len().div_ceil(per_message));
}

#[test]
fn packer_ipv6_and_withdrawals() {
    let n = Negotiated::FOUR_OCTET_AS;
    let v6: Vec<Prefix> = (0..10_000u32)
        .map(|i| {
            Prefix::new(
                Ipv6Addr::from(0x2001_0db8_u128 << 96 | u128::from(i) << 80).into(),
                48,
            )
            .expect("prefix")
        })
        .collect();
    let nh = MpNextHop::V6 {
        global: "2001:db8::1".parse().expect("addr"),
        link_local: None,
    };
    let attrs = Attributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::from_sequence([65001])),
        ..Attributes::default()
    };
    let mut packer = UpdatePacker::new(n);
    let mut out = Vec::new();
    let count = packer.announce(&attrs, &nh, &v6, &mut out).expect("packs");
    let updates = split(&out, &n);
    assert_eq!(updates.len(), count);
    let got: Vec<Prefix> = updates
        .iter()
        .flat_map(|u| u.announced().copied())
        .collect();
    assert_eq!(got, v6);
    assert!(
        updates
            .iter()
            .all(|u| u.attributes == attrs && u.nlri.is_empty())
    );
    // 7 bytes per /48: about 580 per message.
    assert!(count <= v6.len().div_ceil(570), "{count} messages");

    let v4: Vec<Prefix> = (0..3000u32)
        .map(|i| p(&format!("10.{}.{}.0/24", i >> 8, i & 0xff)))
        .collect();
    let mixed: Vec<Prefix> = v4.iter().chain(&v6).copied().collect();
    out.clear();
    let count = packer.withdraw(&mixed, &mut out).expect("packs");
    let updates = split(&out, &n);
    assert_eq!(updates.len(), count);
    let got: Vec<Prefix> = updates
        .iter()
        .flat_map(|u| u.withdrawals().copied())
        .collect();
    assert_eq!(got, mixed);
    assert!(
        updates
            .iter()
            .all(|u| u.attributes.is_empty() && u.is_end_of_rib().is_none())
    );
}

#[test]
fn packer_refusals_leave_the_buffer_alone() {
    let n = Negotiated::FOUR_OCTET_AS;
    let mut packer = UpdatePacker::new(n);
    let mut out = vec![1, 2, 3];
    let v4 = MpNextHop::V4(Ipv4Addr::new(192, 0, 2, 1));
    let r = packer.announce(&Attributes::default(), &v4, &[p("2001:db8::/32")], &mut out);
    assert!(matches!(r, Err(EncodeError::FamilyMismatch { .. })));
    let r = packer.announce(
        &Attributes::default(),
        &MpNextHop::Other(vec![1]),
        &[p("10.0.0.0/8")],
        &mut out,
    );
    assert_eq!(r, Err(EncodeError::UnsupportedNextHop));
    let huge = Attributes {
        other: vec![RawAttribute {
            flags: 0xc0,
            type_code: 99,
            value: vec![0; 4080],
        }],
        ..Attributes::default()
    };
    let r = packer.announce(&huge, &v4, &[p("10.0.0.0/8")], &mut out);
    assert!(matches!(r, Err(EncodeError::NoRoom(_))));
    assert_eq!(
        packer.announce(&Attributes::default(), &v4, &[], &mut out),
        Ok(0)
    );
    assert_eq!(out, [1, 2, 3]);
}
