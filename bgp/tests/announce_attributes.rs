//! The attributes a `RibOut` puts on our routes, read back from decoded
//! UPDATEs: eBGP and iBGP, IPv4 in the NLRI field with NEXT_HOP self,
//! IPv6 in MP_REACH_NLRI with our IPv6 address, and the degrade MED,
//! prepends and communities.

mod announce_support;

use announce_support::*;
use mpwan_bgp::announce::{PeerContext, RibOut};
use mpwan_bgp::wire::{
    AsPath, Community, Family, MpNextHop, MpNlri, Negotiated, Origin, Prefix, Update,
};

fn only(updates: Vec<Update>) -> Update {
    assert_eq!(updates.len(), 1, "{updates:?}");
    updates.into_iter().next().expect("one")
}

#[test]
fn ebgp_ipv4_normal() {
    let mut pol = policy(vec![withdraw_spec("198.51.100.0/24", "c")]);
    pol.set_condition("c", true);
    let u = only(sync(&mut rib(ebgp()), &pol));
    assert_eq!(u.nlri, [p("198.51.100.0/24")]);
    assert!(u.mp_reach.is_none() && u.withdrawn.is_empty());
    let a = &u.attributes;
    assert_eq!(a.origin, Some(Origin::Igp));
    assert_eq!(a.as_path, Some(AsPath::from_sequence([LOCAL_ASN])));
    assert_eq!(a.next_hop, Some(local_v4()), "next hop self");
    assert_eq!(a.med, None);
    assert_eq!(a.local_pref, None, "never to an external peer");
    assert!(a.communities.is_empty());
}

#[test]
fn ibgp_ipv4_normal() {
    let mut pol = policy(vec![withdraw_spec("198.51.100.0/24", "c")]);
    pol.set_condition("c", true);
    let u = only(sync(&mut rib(ibgp()), &pol));
    let a = &u.attributes;
    assert_eq!(a.origin, Some(Origin::Igp));
    assert_eq!(a.as_path, Some(AsPath::default()), "empty inside the AS");
    assert_eq!(a.next_hop, Some(local_v4()));
    assert_eq!(a.local_pref, Some(100));
    assert_eq!(a.med, None);
}

#[test]
fn ipv6_goes_in_mp_reach_with_our_v6_next_hop() {
    let mut pol = policy(vec![withdraw_spec("2001:db8:100::/48", "c")]);
    pol.set_condition("c", true);
    let u = only(sync(&mut rib(ebgp()), &pol));
    assert!(u.nlri.is_empty());
    assert_eq!(
        u.attributes.next_hop, None,
        "no IPv4 NEXT_HOP for IPv6 routes"
    );
    let mp = u.mp_reach.expect("MP_REACH_NLRI");
    assert_eq!(mp.family, Family::IPV6_UNICAST);
    assert_eq!(
        mp.next_hop,
        MpNextHop::V6 {
            global: local_v6(),
            link_local: None
        }
    );
    assert_eq!(mp.nlri, MpNlri::Prefixes(vec![p("2001:db8:100::/48")]));
    assert_eq!(
        u.attributes.as_path,
        Some(AsPath::from_sequence([LOCAL_ASN]))
    );
}

#[test]
fn degraded_attributes_ebgp_and_ibgp() {
    let mut pol = policy(vec![
        degrade_spec("198.51.100.0/24", "c"),
        degrade_spec("2001:db8:100::/48", "c"),
    ]);
    pol.set_condition("c", false);
    let communities = vec![Community::new(65001, 666), Community::new(65000, 80)];
    for (ctx, path, local_pref) in [
        (ebgp(), vec![LOCAL_ASN; 4], None),
        (ibgp(), vec![LOCAL_ASN; 3], Some(100)),
    ] {
        let updates = sync(&mut rib(ctx), &pol);
        assert_eq!(updates.len(), 2, "one per family");
        for u in &updates {
            let a = &u.attributes;
            assert_eq!(a.med, Some(1000));
            assert_eq!(a.as_path, Some(AsPath::from_sequence(path.clone())));
            assert_eq!(a.communities, communities);
            assert_eq!(a.local_pref, local_pref);
            assert_eq!(a.origin, Some(Origin::Igp));
        }
        assert_eq!(
            announced(&updates),
            [p("198.51.100.0/24"), p("2001:db8:100::/48")]
        );
    }
}

#[test]
fn degrade_without_med_or_prepend() {
    let mut spec = degrade_spec("198.51.100.0/24", "c");
    spec.on_down = mpwan_bgp::announce::OnDown::Degrade(mpwan_bgp::announce::Degrade {
        med: None,
        prepend: 0,
        communities: vec![Community::GRACEFUL_SHUTDOWN],
    });
    let pol = policy(vec![spec]);
    let u = only(sync(&mut rib(ebgp()), &pol));
    assert_eq!(u.attributes.med, None);
    assert_eq!(
        u.attributes.as_path,
        Some(AsPath::from_sequence([LOCAL_ASN]))
    );
    assert_eq!(u.attributes.communities, [Community::GRACEFUL_SHUTDOWN]);
}

#[test]
fn four_octet_asn_to_a_two_octet_peer() {
    // A peer without the 4-octet AS capability gets AS_TRANS in AS_PATH
    // and the real path in AS4_PATH; the decoder folds them back.
    let ctx = PeerContext {
        local_asn: 4_200_000_001,
        ..ebgp()
    };
    let mut pol = policy(vec![degrade_spec("198.51.100.0/24", "c")]);
    pol.set_condition("c", false);
    let mut r = RibOut::new(ctx, Negotiated::default());
    let mut buf = Vec::new();
    let sent = r.sync(&pol, &mut buf);
    assert_eq!(sent.messages, 1);
    let u = decode_all(&buf, &Negotiated::default());
    assert_eq!(
        u[0].attributes.as_path,
        Some(AsPath::from_sequence([4_200_000_001; 4]))
    );
}

#[test]
fn routes_a_peer_cannot_carry_are_skipped() {
    let mut pol = policy(vec![
        withdraw_spec("198.51.100.0/24", "c"),
        withdraw_spec("2001:db8:100::/48", "c"),
    ]);
    pol.set_condition("c", true);
    let v4_only = PeerContext {
        families: vec![V4],
        ..ebgp()
    };
    let no_v6_address = PeerContext {
        local_addr_v6: None,
        ..ebgp()
    };
    for ctx in [v4_only, no_v6_address] {
        let mut r = rib(ctx);
        let mut buf = Vec::new();
        let sent = r.sync(&pol, &mut buf);
        assert_eq!((sent.announced, sent.skipped), (1, 1));
        let updates = decode_all(&buf, &Negotiated::FOUR_OCTET_AS);
        let expect: Vec<Prefix> = vec![p("198.51.100.0/24")];
        assert_eq!(announced(&updates), expect);
        assert_eq!(r.advertised(), 1);
    }
}
