//! Shared helpers of the announce tests: specs, peer contexts, and a
//! decoder that turns the frames a `RibOut` wrote back into UPDATEs.

#![allow(dead_code, reason = "each test file uses a different subset")]

use std::net::{Ipv4Addr, Ipv6Addr};

use mpwan_bgp::announce::{AnnounceSpec, Degrade, OnDown, PeerContext, Policy, RibOut, Sent};
use mpwan_bgp::wire::{Community, Family, Message, Negotiated, Prefix, Update};

pub const LOCAL_ASN: u32 = 65001;
pub const V4: Family = Family::IPV4_UNICAST;
pub const V6: Family = Family::IPV6_UNICAST;

pub fn p(s: &str) -> Prefix {
    s.parse().expect("prefix")
}

pub fn local_v4() -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, 1)
}

pub fn local_v6() -> Ipv6Addr {
    "2001:db8:ffff::1".parse().expect("address")
}

pub fn degrade() -> Degrade {
    Degrade {
        med: Some(1000),
        prepend: 3,
        communities: vec![Community::new(65001, 666), Community::new(65000, 80)],
    }
}

pub fn withdraw_spec(prefix: &str, condition: &str) -> AnnounceSpec {
    AnnounceSpec {
        prefix: p(prefix),
        condition: condition.into(),
        on_down: OnDown::Withdraw,
    }
}

pub fn degrade_spec(prefix: &str, condition: &str) -> AnnounceSpec {
    AnnounceSpec {
        prefix: p(prefix),
        condition: condition.into(),
        on_down: OnDown::Degrade(degrade()),
    }
}

pub fn policy(specs: Vec<AnnounceSpec>) -> Policy {
    Policy::new(specs).expect("valid policy")
}

/// An external peer with both families and both next hops.
pub fn ebgp() -> PeerContext {
    PeerContext {
        local_asn: LOCAL_ASN,
        ibgp: false,
        local_addr_v4: Some(local_v4()),
        local_addr_v6: Some(local_v6()),
        families: vec![V4, V6],
    }
}

/// An internal peer with both families and both next hops.
pub fn ibgp() -> PeerContext {
    PeerContext {
        ibgp: true,
        ..ebgp()
    }
}

pub fn rib(ctx: PeerContext) -> RibOut {
    RibOut::new(ctx, Negotiated::FOUR_OCTET_AS)
}

/// Splits `buf` into frames and decodes each one, failing the test on
/// anything but a complete, valid UPDATE.
pub fn decode_all(buf: &[u8], negotiated: &Negotiated) -> Vec<Update> {
    let mut rest = buf;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = Message::frame_len(rest, negotiated)
            .expect("valid header")
            .expect("whole header");
        assert!(len <= rest.len(), "frame of {len} overruns the buffer");
        let (frame, tail) = rest.split_at(len);
        match Message::decode(frame, negotiated).expect("valid message") {
            Message::Update(u) => {
                assert!(u.discarded.is_empty(), "{:?}", u.discarded);
                out.push(u);
            }
            other => panic!("not an UPDATE: {other:?}"),
        }
        rest = tail;
    }
    out
}

/// Runs one sync and decodes what it wrote (four-octet AS codec),
/// failing the test if a group did not encode or the report's message
/// count is not what was written; returns the report too.
pub fn sync_counted(rib: &mut RibOut, policy: &Policy) -> (Sent, Vec<Update>) {
    let mut buf = Vec::new();
    let sent = rib.sync(policy, &mut buf);
    assert!(sent.failed.is_empty(), "{:?}", sent.failed);
    let updates = decode_all(&buf, &Negotiated::FOUR_OCTET_AS);
    assert_eq!(sent.messages, updates.len());
    (sent, updates)
}

/// Runs one sync and decodes what it wrote (see [`sync_counted`]).
pub fn sync(rib: &mut RibOut, policy: &Policy) -> Vec<Update> {
    sync_counted(rib, policy).1
}

pub fn announced(updates: &[Update]) -> Vec<Prefix> {
    let mut v: Vec<Prefix> = updates
        .iter()
        .flat_map(|u| u.announced())
        .copied()
        .collect();
    v.sort();
    v
}

pub fn withdrawn(updates: &[Update]) -> Vec<Prefix> {
    let mut v: Vec<Prefix> = updates
        .iter()
        .flat_map(|u| u.withdrawals())
        .copied()
        .collect();
    v.sort();
    v
}
