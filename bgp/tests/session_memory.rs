//! A full-table-sized Adj-RIB-In: 500 000 IPv4 prefixes sharing 10
//! attribute sets. Prints the RIB's own estimate and the growth of the
//! process's resident memory; the bound asserted is generous (the goal is
//! a few tens of MB, not a tight figure).

use std::net::{IpAddr, Ipv4Addr};

use mpwan_bgp::session::{AdjRibIn, RouteState};
use mpwan_bgp::wire::{AsPath, Attributes, Community, Family, Origin, Prefix, Update};

const PREFIXES: u32 = 500_000;
const SETS: u32 = 10;
const PER_UPDATE: u32 = 1000;
const LIMIT: usize = 200 * 1024 * 1024;

/// The resident set size in bytes (Linux), if readable.
fn rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn set(i: u32) -> Attributes {
    Attributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::from_sequence([65000, 64512 + i, 3356, 174])),
        next_hop: Some(Ipv4Addr::new(192, 0, 2, 2)),
        med: Some(i),
        communities: vec![Community::new(65000, u16::try_from(i).unwrap_or(0))],
        ..Attributes::default()
    }
}

fn update(batch: u32) -> Update {
    let nlri = (0..PER_UPDATE)
        .map(|j| {
            let n = batch * PER_UPDATE + j;
            // /24s from 1.0.0.0 upwards.
            let addr = Ipv4Addr::from(0x0100_0000u32 + (n << 8));
            Prefix::new(IpAddr::V4(addr), 24).expect("valid /24")
        })
        .collect();
    Update {
        attributes: set(batch % SETS),
        nlri,
        ..Update::default()
    }
}

#[test]
fn half_a_million_prefixes() {
    let families = [Family::IPV4_UNICAST];
    let before = rss();
    let mut rib = AdjRibIn::new();
    for batch in 0..PREFIXES / PER_UPDATE {
        // Built one at a time, as UPDATEs arrive and are dropped.
        assert!(rib.apply(&update(batch), &families));
    }
    let after = rss();
    assert_eq!(rib.len(Family::IPV4_UNICAST), 500_000);
    assert_eq!(rib.attribute_sets(), 10);
    let estimate = rib.estimated_bytes();
    let growth = before.zip(after).map(|(b, a)| a.saturating_sub(b));
    println!(
        "500000 prefixes, 10 attribute sets: estimate {:.1} MiB ({} bytes per prefix), resident growth {}",
        estimate as f64 / 1048576.0,
        estimate / 500_000,
        growth.map_or("unknown".to_string(), |g| format!(
            "{:.1} MiB",
            g as f64 / 1048576.0
        )),
    );
    assert!(estimate < LIMIT, "estimate {estimate}");
    if let Some(g) = growth {
        assert!(g < LIMIT, "resident growth {g}");
    }

    // The Graceful Restart passes over the whole table.
    assert_eq!(rib.mark_stale(Family::IPV4_UNICAST), 500_000);
    assert!(rib.enter_llgr(Family::IPV4_UNICAST));
    assert_eq!(
        rib.attribute_sets(),
        10,
        "each set rewritten once, old ones gone"
    );
    let first = rib.routes(Family::IPV4_UNICAST).next().expect("a route");
    assert_eq!(first.state, RouteState::LlgrStale);
    assert!(first.attrs.attributes.has_community(Community::LLGR_STALE));
    assert_eq!(rib.remove_stale(Family::IPV4_UNICAST), 500_000);
    assert!(rib.is_empty());
    assert_eq!(rib.attribute_sets(), 0);
}
