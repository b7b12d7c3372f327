//! The Adj-RIB-Out on condition flips: only differences are sent, a
//! withdrawal goes out exactly once, degrade and recovery re-announce with
//! new attributes, the initial table packs many prefixes into few
//! UPDATEs, and ROUTE-REFRESH re-sends one family.

mod announce_support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use announce_support::*;
use mpwan_bgp::announce::{AnnounceSpec, Degrade, OnDown, Policy, RibOut};
use mpwan_bgp::wire::{AsPath, Community, Negotiated, Prefix};

#[test]
fn withdraw_goes_out_once_and_comes_back() {
    let mut pol = policy(vec![
        withdraw_spec("198.51.100.0/24", "c"),
        withdraw_spec("2001:db8:100::/48", "c"),
    ]);
    let mut r = rib(ebgp());
    assert!(sync(&mut r, &pol).is_empty(), "nothing holds yet");
    pol.set_condition("c", true);
    let up = sync(&mut r, &pol);
    assert_eq!(
        announced(&up),
        [p("198.51.100.0/24"), p("2001:db8:100::/48")]
    );
    assert_eq!(r.advertised(), 2);
    assert!(sync(&mut r, &pol).is_empty(), "in line: nothing to send");

    pol.set_condition("c", false);
    let down = sync(&mut r, &pol);
    assert_eq!(down.len(), 2, "IPv4 withdrawn field and MP_UNREACH");
    assert_eq!(down[0].withdrawn, [p("198.51.100.0/24")]);
    let unreach = down[1].mp_unreach.as_ref().expect("MP_UNREACH_NLRI");
    assert_eq!(unreach.withdrawn.prefixes(), [p("2001:db8:100::/48")]);
    assert!(announced(&down).is_empty());
    assert!(down.iter().all(|u| u.is_end_of_rib().is_none()));
    assert_eq!(r.advertised(), 0);
    assert!(r.get(&p("198.51.100.0/24")).is_none());

    // Exactly once: neither another sync nor a repeated "down" resends it.
    assert!(sync(&mut r, &pol).is_empty());
    assert!(pol.set_condition("c", false).is_empty());
    assert!(sync(&mut r, &pol).is_empty());

    pol.set_condition("c", true);
    let again = sync(&mut r, &pol);
    assert_eq!(
        announced(&again),
        [p("198.51.100.0/24"), p("2001:db8:100::/48")]
    );
    assert!(withdrawn(&again).is_empty());
}

#[test]
fn degrade_and_recover_reannounce_with_new_attributes() {
    let mut pol = policy(vec![degrade_spec("198.51.100.0/24", "c")]);
    pol.set_condition("c", true);
    let mut r = rib(ebgp());
    let normal = sync(&mut r, &pol);
    assert_eq!(normal[0].attributes.med, None);

    pol.set_condition("c", false);
    let degraded = sync(&mut r, &pol);
    assert_eq!(degraded.len(), 1);
    let u = &degraded[0];
    assert!(u.withdrawn.is_empty(), "replaced in place, not withdrawn");
    assert_eq!(u.nlri, [p("198.51.100.0/24")]);
    assert_eq!(u.attributes.med, Some(1000));
    assert_eq!(
        u.attributes.as_path,
        Some(AsPath::from_sequence([LOCAL_ASN; 4]))
    );
    assert_eq!(
        u.attributes.communities,
        [Community::new(65001, 666), Community::new(65000, 80)]
    );
    // The Adj-RIB-Out keeps the attributes without the per-family NEXT_HOP.
    let mut kept = u.attributes.clone();
    kept.next_hop = None;
    assert_eq!(r.get(&p("198.51.100.0/24")), Some(&kept));
    assert!(sync(&mut r, &pol).is_empty());

    pol.set_condition("c", true);
    let back = sync(&mut r, &pol);
    assert_eq!(back.len(), 1);
    let a = &back[0].attributes;
    assert_eq!(back[0].nlri, [p("198.51.100.0/24")]);
    assert_eq!(a.med, None);
    assert_eq!(a.as_path, Some(AsPath::from_sequence([LOCAL_ASN])));
    assert!(a.communities.is_empty());
    assert_eq!(a.next_hop, Some(local_v4()));
}

#[test]
fn a_flip_back_before_sync_sends_nothing() {
    let mut pol = policy(vec![
        withdraw_spec("198.51.100.0/24", "w"),
        degrade_spec("2001:db8:100::/48", "d"),
    ]);
    pol.set_condition("w", true);
    pol.set_condition("d", true);
    let mut r = rib(ibgp());
    assert_eq!(sync(&mut r, &pol).len(), 2);
    assert_eq!(pol.set_condition("w", false).len(), 1);
    assert_eq!(pol.set_condition("d", false).len(), 1);
    assert_eq!(pol.set_condition("w", true).len(), 1);
    assert_eq!(pol.set_condition("d", true).len(), 1);
    let mut buf = Vec::new();
    let sent = r.sync(&pol, &mut buf);
    assert!(buf.is_empty(), "{} bytes", buf.len());
    assert_eq!((sent.messages, sent.announced, sent.withdrawn), (0, 0, 0));
}

#[test]
fn only_changed_prefixes_are_sent() {
    let mut pol = policy(vec![
        withdraw_spec("198.51.100.0/24", "a"),
        withdraw_spec("203.0.113.0/24", "b"),
        degrade_spec("192.0.2.0/24", "b"),
    ]);
    pol.set_condition("a", true);
    pol.set_condition("b", true);
    let mut r = rib(ebgp());
    assert_eq!(announced(&sync(&mut r, &pol)).len(), 3);
    pol.set_condition("b", false);
    let updates = sync(&mut r, &pol);
    assert_eq!(withdrawn(&updates), [p("203.0.113.0/24")]);
    assert_eq!(announced(&updates), [p("192.0.2.0/24")]);
    // Withdrawals are written first.
    assert!(!updates[0].withdrawn.is_empty());
    assert_eq!(updates[1].attributes.med, Some(1000));
}

/// The `i`-th IPv4 /24 from 10.0.0.0/24 on: 10.x.y.0/24, four octets each
/// on the wire.
fn v4_24(i: u32) -> Prefix {
    Prefix::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i << 8))), 24).expect("prefix")
}

fn many_specs(v4: usize, v6: usize) -> Vec<AnnounceSpec> {
    let mut specs = Vec::new();
    for i in 0..v4 {
        let i = u32::try_from(i).expect("small");
        specs.push(AnnounceSpec {
            prefix: v4_24(i),
            condition: if i % 2 == 0 { "even" } else { "odd" }.into(),
            on_down: OnDown::Degrade(degrade()),
        });
    }
    for i in 0..v6 {
        let i = u128::try_from(i).expect("small");
        let addr = Ipv6Addr::from((0x2001_0db8u128 << 96) | (i << 80));
        specs.push(AnnounceSpec {
            prefix: Prefix::new(IpAddr::V6(addr), 48).expect("prefix"),
            condition: "even".into(),
            on_down: OnDown::Withdraw,
        });
    }
    specs
}

#[test]
fn initial_table_packs_many_prefixes_in_few_messages() {
    let specs = many_specs(3000, 1000);
    let all: Vec<Prefix> = {
        let mut v: Vec<Prefix> = specs.iter().map(|s| s.prefix).collect();
        v.sort();
        v
    };
    let mut pol = Policy::new(specs).expect("policy");
    pol.set_condition("even", true);
    // "odd" never held: half the IPv4 prefixes go out degraded.
    let mut r = rib(ebgp());
    let (sent, updates) = sync_counted(&mut r, &pol);
    assert_eq!(sent.announced, 4000);
    // 4096-octet messages: about 1000 /24s or 580 /48s each. Three attribute
    // groups (normal v4, degraded v4, v6): at most 2 + 2 + 2 messages.
    assert!(updates.len() <= 6, "{} messages", updates.len());
    assert_eq!(announced(&updates), all, "every prefix exactly once");
    for u in &updates {
        let degraded = u.attributes.med.is_some();
        let mp = u.mp_reach.as_ref().map(|m| m.nlri.prefixes().to_vec());
        let prefixes = mp.unwrap_or_else(|| u.nlri.clone());
        assert!(!prefixes.is_empty());
        for pre in prefixes {
            let odd = match pre.addr() {
                IpAddr::V4(a) => (u32::from(a) >> 8) % 2 == 1,
                IpAddr::V6(_) => false,
            };
            assert_eq!(degraded, odd, "{pre} has the attributes of its group");
        }
    }
    assert_eq!(r.families(), [V4, V6], "RoutesReady for each");
    assert_eq!(r.advertised(), 4000);

    // Extended messages (RFC 8654): the same table in one UPDATE per group.
    let mut big = RibOut::new(
        ebgp(),
        Negotiated {
            four_octet_as: true,
            extended_messages: true,
        },
    );
    let mut buf = Vec::new();
    assert_eq!(big.sync(&pol, &mut buf).messages, 3);
}

#[test]
fn a_new_session_gets_the_whole_table() {
    let mut pol = policy(vec![
        withdraw_spec("198.51.100.0/24", "c"),
        degrade_spec("2001:db8:100::/48", "c"),
    ]);
    pol.set_condition("c", true);
    let mut first = rib(ebgp());
    assert_eq!(announced(&sync(&mut first, &pol)).len(), 2);
    pol.set_condition("c", false);
    // The session went down and came back: a fresh Adj-RIB-Out knows the
    // peer holds nothing, so only the current table goes out, no
    // withdrawals.
    let mut second = rib(ebgp());
    let updates = sync(&mut second, &pol);
    assert_eq!(announced(&updates), [p("2001:db8:100::/48")]);
    assert!(withdrawn(&updates).is_empty());
}

#[test]
fn route_refresh_resends_one_family() {
    let mut pol = policy(vec![
        withdraw_spec("198.51.100.0/24", "c"),
        withdraw_spec("2001:db8:100::/48", "c"),
    ]);
    pol.set_condition("c", true);
    let mut r = rib(ebgp());
    sync(&mut r, &pol);
    let mut buf = Vec::new();
    let sent = r.refresh(V6, &pol, &mut buf);
    assert_eq!((sent.messages, sent.announced, sent.withdrawn), (1, 1, 0));
    let updates = decode_all(&buf, &Negotiated::FOUR_OCTET_AS);
    assert_eq!(announced(&updates), [p("2001:db8:100::/48")]);
    assert_eq!(r.advertised(), 2);
    // A refresh right after a change also brings the other family in line.
    pol.set_condition("c", false);
    let mut buf = Vec::new();
    let sent = r.refresh(V4, &pol, &mut buf);
    assert_eq!((sent.announced, sent.withdrawn), (0, 2));
    let updates = decode_all(&buf, &Negotiated::FOUR_OCTET_AS);
    assert_eq!(
        withdrawn(&updates),
        [p("198.51.100.0/24"), p("2001:db8:100::/48")]
    );
}

#[test]
fn prefixes_with_one_setting_share_their_attributes() {
    // 20 000 prefixes: the first half degraded with one MED each, the
    // second half with one MED for all.
    let specs: Vec<AnnounceSpec> = (0..20_000u32)
        .map(|i| AnnounceSpec {
            prefix: v4_24(i),
            condition: "c".into(),
            on_down: OnDown::Degrade(Degrade {
                med: Some(if i < 10_000 { i } else { 99_999 }),
                ..degrade()
            }),
        })
        .collect();
    let pol = policy(specs);
    let mut r = rib(ebgp());
    let (sent, updates) = sync_counted(&mut r, &pol);
    assert_eq!(sent.announced, 20_000);
    // One message per distinct MED, then the shared group.
    assert!(updates.len() <= 10_000 + 20, "{} messages", updates.len());
    for (i, want) in [
        (0u32, 0u32),
        (9_999, 9_999),
        (10_000, 99_999),
        (19_999, 99_999),
    ] {
        let prefix = v4_24(i);
        assert_eq!(r.get(&prefix).and_then(|a| a.med), Some(want), "{prefix}");
    }
    let a = p("10.39.16.0/24");
    let b = p("10.78.31.0/24");
    assert!(
        std::ptr::eq(r.get(&a).expect("held"), r.get(&b).expect("held")),
        "one allocation for one setting"
    );
    // Unchanged: nothing more goes out.
    let mut again = Vec::new();
    assert_eq!(r.sync(&pol, &mut again).messages, 0);
    assert!(again.is_empty());
}
