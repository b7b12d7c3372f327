//! The lab's BGP peer: gobgpd in the peer namespace against a second
//! gobgpd on gw standing in for the agent. It must establish, exchange
//! routes both ways, negotiate GR and LLGR, and keep the gw's routes as
//! stale when the gw's speaker dies (GR helper).

mod common;

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Result, bail};
use common::lab;
use mpwan_lab::bgp_peer::{
    CapSide, GobgpCli, Speaker, capability_names, gobgpd_toml, session_state, spawn_gobgpd,
};
use mpwan_lab::wait;
use mpwan_lab::{Family, GobgpOptions, GobgpPeer, PeerRoute, Role, addr, skip_without_netns};

/// The prefixes gw's speaker originates.
const GW_V4: &str = "198.51.100.0/24";
const GW_V6: &str = "2001:db8:99::/48";
/// The prefix the peer originates.
const PEER_V4: &str = "192.0.2.0/24";
/// gw's gobgpd API port, on gw's loopback.
const GW_API: u16 = 50052;
/// A session comes up within a few connect retries (1 s each).
const SESSION: Duration = Duration::from_secs(30);

fn find<'a>(routes: &'a [PeerRoute], prefix: &str) -> Result<&'a PeerRoute> {
    match routes.iter().find(|r| r.prefix == prefix) {
        Some(r) => Ok(r),
        None => bail!("{prefix} not in {routes:?}"),
    }
}

#[test]
fn peer_establishes_learns_routes_and_keeps_them_stale_when_gw_dies() {
    if skip_without_netns("peer_establishes_learns_routes_and_keeps_them_stale_when_gw_dies") {
        return;
    }
    let lab = lab();
    let mut peer = GobgpPeer::start(&lab, GobgpOptions::default()).unwrap();

    // gw's speaker connects out to the peer's port 179.
    let gw_toml = gobgpd_toml(
        &Speaker {
            asn: addr::GW_ASN,
            router_id: addr::BGP_GW_V4,
            neighbor: IpAddr::V4(addr::BGP_PEER_V4),
            neighbor_asn: addr::PEER_ASN,
        },
        &GobgpOptions {
            passive: false,
            ..GobgpOptions::default()
        },
    );
    let gw_conf = lab.dir().join("gobgpd-gw.toml");
    std::fs::write(&gw_conf, gw_toml).unwrap();
    let mut gw = spawn_gobgpd(&lab, Role::Gw, &gw_conf, GW_API).unwrap();
    let gw_cli = GobgpCli::new(lab.ns(Role::Gw).name(), GW_API);
    gw_cli.announce(GW_V4).unwrap();
    gw_cli.announce(GW_V6).unwrap();

    wait::until("peer: established", SESSION, || {
        let s = peer.state()?;
        if s == "established" {
            Ok(())
        } else {
            bail!("state {s}")
        }
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}\n{}", peer.describe(), gw.describe()));

    // Routes from gw, both families, in the RIB and the adj-RIB-in.
    let v4 = wait::until("peer: gw's IPv4 route", wait::DEADLINE, || {
        find(&peer.routes(Family::Ipv4)?, GW_V4).cloned()
    })
    .unwrap();
    assert!(!v4.stale, "{v4:?}");
    assert_eq!(v4.as_path, vec![addr::GW_ASN]);
    wait::until("peer: gw's IPv6 route", wait::DEADLINE, || {
        find(&peer.routes(Family::Ipv6)?, GW_V6).cloned()
    })
    .unwrap();
    find(&peer.adj_in(Family::Ipv4).unwrap(), GW_V4).unwrap();

    // GR and LLGR both ways.
    let caps = peer.capabilities().unwrap();
    assert_eq!(session_state(&caps).unwrap(), "established");
    for side in [CapSide::Received, CapSide::Sent] {
        let names = capability_names(&caps, side);
        for cap in [
            "GracefulRestartCapability",
            "LongLivedGracefulRestartCapability",
        ] {
            assert!(names.iter().any(|n| n == cap), "{side:?}: {names:?}");
        }
    }

    // The peer's own announcement reaches gw, and its withdrawal too.
    peer.announce(PEER_V4).unwrap();
    let at_gw = wait::until("gw: the peer's route", wait::DEADLINE, || {
        find(&gw_cli.routes(Family::Ipv4)?, PEER_V4).cloned()
    })
    .unwrap();
    assert_eq!(at_gw.as_path, vec![addr::PEER_ASN]);
    peer.withdraw(PEER_V4).unwrap();
    wait::until("gw: the peer's route withdrawn", wait::DEADLINE, || {
        let routes = gw_cli.routes(Family::Ipv4)?;
        if routes.iter().any(|r| r.prefix == PEER_V4) {
            bail!("still there: {routes:?}")
        }
        Ok(())
    })
    .unwrap();

    // gw's speaker dies without a word: the helper keeps its routes, stale.
    let watch = peer.watch(Family::Ipv4, Duration::from_millis(50)).unwrap();
    wait::until("watch: first sample", wait::DEADLINE, || {
        if watch.elapsed() > Duration::from_millis(200) {
            Ok(())
        } else {
            bail!("young")
        }
    })
    .unwrap();
    let killed_at = watch.elapsed();
    gw.kill().unwrap();
    wait::until("peer: session down", SESSION, || {
        let s = peer.state()?;
        if s == "established" {
            bail!("still established")
        } else {
            Ok(())
        }
    })
    .unwrap();
    let stale = wait::until("peer: gw's route stale", wait::DEADLINE, || {
        let r = find(&peer.routes(Family::Ipv4)?, GW_V4)?.clone();
        if r.stale {
            Ok(r)
        } else {
            bail!("not stale: {r:?}")
        }
    })
    .unwrap();
    assert_eq!(stale.as_path, vec![addr::GW_ASN]);
    let v6 = find(&peer.routes(Family::Ipv6).unwrap(), GW_V6)
        .unwrap()
        .clone();
    assert!(v6.stale, "{v6:?}");
    wait::until("watch: a while after the kill", wait::DEADLINE, || {
        if watch.elapsed() > killed_at + Duration::from_millis(500) {
            Ok(())
        } else {
            bail!("young")
        }
    })
    .unwrap();
    let history = watch.stop().unwrap();
    let first = history.samples.first().unwrap().at;
    assert!(history.end > killed_at, "{history:?}");
    assert!(
        history.present_throughout(GW_V4, first, history.end),
        "{history:?}"
    );
    let last = history.last().unwrap();
    assert!(find(&last.routes, GW_V4).unwrap().stale, "{history:?}");
    assert!(
        !find(&history.samples[0].routes, GW_V4).unwrap().stale,
        "{history:?}"
    );
    assert!(peer.log().contains("Peer Up"), "{}", peer.log());

    // gw's speaker comes back with its route: the session re-establishes
    // and End-of-RIB clears the stale flag.
    drop(gw);
    let _gw = spawn_gobgpd(&lab, Role::Gw, &gw_conf, GW_API).unwrap();
    gw_cli.announce(GW_V4).unwrap();
    gw_cli.announce(GW_V6).unwrap();
    wait::until("peer: gw's route fresh again", SESSION, || {
        let r = find(&peer.routes(Family::Ipv4)?, GW_V4)?.clone();
        if r.stale {
            bail!("still stale: {r:?}")
        } else {
            Ok(())
        }
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", peer.describe()));
    assert_eq!(peer.state().unwrap(), "established");
}
