//! Interop with FRR's bgpd (Debian's 8.4) as the agent's neighbour, a GR
//! helper honouring the N bit, and an LLGR helper. A prefix follows WAN2's
//! health; `mpwan restart` and a killed agent never withdraw it at bgpd;
//! `mpwan stop` does. And the other way round: a bgpd that dies and
//! restarts leaves its route stale in our Adj-RIB-In until it is back.

mod common;

use std::time::Duration;

use common::*;
use mpwan_lab::bgp_peer::Family;
use mpwan_lab::bgp_peer::frr::{FrrOptions, FrrPeer};
use mpwan_lab::{AgentConfigOptions, BgpOptions, Wan, skip_without_netns};

const PREFIX: &str = "198.51.100.0/24";
const PEER_PREFIX: &str = "203.0.113.0/24";
const PEER_PORT: u16 = 1790;

/// The agent peering with the daemon, announcing nothing.
fn plain_options() -> AgentConfigOptions {
    AgentConfigOptions {
        bgp: Some(BgpOptions {
            listen_port: 0,
            peer_port: PEER_PORT,
        }),
        ..AgentConfigOptions::default()
    }
}

/// The agent announcing [`PREFIX`] while WAN2 is up.
fn options() -> AgentConfigOptions {
    AgentConfigOptions {
        extra: format!("\n[[bgp.announce]]\nprefix = \"{PREFIX}\"\nwhen = [\"wan2\"]\n"),
        ..plain_options()
    }
}

fn start_frr(run: &Run) -> FrrPeer {
    FrrPeer::start(
        &run.lab,
        FrrOptions {
            listen_port: PEER_PORT,
            ..FrrOptions::default()
        },
    )
    .unwrap()
}

fn frr_has(peer: &FrrPeer, stale: Option<bool>) -> bool {
    peer.routes(Family::Ipv4).is_ok_and(|routes| {
        routes
            .iter()
            .any(|r| r.prefix == PREFIX && stale.is_none_or(|s| r.stale == s))
    })
}

fn wait_peer(peer: &mut FrrPeer, what: &str, f: impl Fn(&FrrPeer) -> bool) {
    if !wait_for(Duration::from_secs(30), || f(peer)) {
        let n = peer
            .cli()
            .neighbor()
            .map_or_else(|e| format!("{e:#}"), |n| format!("{n:#}"));
        panic!("timed out: {what}\n{n}\n{}", peer.describe());
    }
}

/// bgpd's log lines about NOTIFICATIONs it received from the agent
/// ("%NOTIFICATION(Hard Reset): received from neighbor 10.99.0.1 6/2 …").
fn notifications(peer: &FrrPeer) -> Vec<String> {
    peer.log()
        .lines()
        .filter(|l| l.contains("received from neighbor"))
        .map(str::to_string)
        .collect()
}

/// A Hard Reset: Cease 6/9, which FRR 8.4 logs with the code it wraps.
fn is_hard_reset(line: &str) -> bool {
    line.contains("(Hard Reset)") || line.contains(" 6/9 ")
}

#[test]
fn frr_follows_wan_health_keeps_the_prefix_across_a_restart_and_drops_it_on_stop() {
    if skip_without_netns(
        "frr_follows_wan_health_keeps_the_prefix_across_a_restart_and_drops_it_on_stop",
    ) {
        return;
    }
    let mut run = Run::start(options(), |_| {});
    let mut peer = start_frr(&run);
    wait_peer(&mut peer, "the session established at bgpd", |p| {
        p.state().is_ok_and(|s| s == "established")
    });
    let gr = peer.gr_negotiated().unwrap();
    assert!(
        gr.graceful_restart && gr.long_lived && gr.notification == Some(true),
        "{gr:?}\n{:#}",
        peer.cli().neighbor().unwrap()
    );
    run.wait("the session established", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    wait_peer(&mut peer, "the prefix at bgpd", |p| frr_has(p, Some(false)));

    // WAN2 dies: the prefix is withdrawn at bgpd.
    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down",
        |s| state(s, "wan2") == "down",
        stays_up("wan1"),
    );
    wait_peer(&mut peer, "the prefix withdrawn", |p| !frr_has(p, None));
    // Restored: back after the hold-down.
    run.lab.restore(Wan::Two).unwrap();
    run.wait("wan2 up", |s| state(s, "wan2") == "up");
    wait_peer(&mut peer, "the prefix back", |p| frr_has(p, Some(false)));

    // `mpwan restart`: bgpd never loses the prefix.
    let watch = peer.watch(Family::Ipv4, Duration::from_millis(50)).unwrap();
    run.cli_ok("restart");
    run.wait("re-established after the restart", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    wait_peer(&mut peer, "the prefix fresh after our End-of-RIB", |p| {
        frr_has(p, Some(false))
    });
    let history = watch.stop().unwrap();
    assert!(
        history.present_throughout(PREFIX, history.samples[0].at, history.end),
        "the prefix was withdrawn during the restart: {history:?}\nbgpd's log:\n{}",
        peer.log()
    );
    // With the N bit, a NOTIFICATION other than Hard Reset (Cease 6/9)
    // still keeps the routes; a Hard Reset must not be sent.
    let before_stop = notifications(&peer);
    assert!(
        !before_stop.iter().any(|l| is_hard_reset(l)),
        "a Hard Reset before stop: {before_stop:#?}"
    );

    // `mpwan stop`: bgpd withdraws at once.
    run.cli_ok("stop");
    run.agent.wait_exit(DEADLINE).expect("the agent stops");
    wait_peer(&mut peer, "the prefix withdrawn after stop", |p| {
        !frr_has(p, None)
    });
    let after_stop = notifications(&peer);
    assert!(
        after_stop.len() > before_stop.len() && after_stop.iter().any(|l| is_hard_reset(l)),
        "stop sent bgpd no Hard Reset: {after_stop:#?}\n{}",
        peer.log()
    );
}

#[test]
fn frr_keeps_the_prefix_stale_after_kill_9_until_a_new_agent_refreshes_it() {
    if skip_without_netns("frr_keeps_the_prefix_stale_after_kill_9_until_a_new_agent_refreshes_it")
    {
        return;
    }
    let mut run = Run::start(options(), |_| {});
    let mut peer = start_frr(&run);
    wait_peer(&mut peer, "the prefix at bgpd", |p| frr_has(p, Some(false)));

    run.agent.child.kill().unwrap();
    run.agent.child.wait().unwrap();
    wait_peer(&mut peer, "the prefix stale at bgpd", |p| {
        frr_has(p, Some(true))
    });
    run.agent = Agent::start_ready_dir(
        Some(run.lab.ns(mpwan_lab::Role::Gw)),
        &run.paths.config_dir,
        &run.paths.control_socket,
    );
    wait_peer(&mut peer, "the prefix fresh again", |p| {
        frr_has(p, Some(false))
    });
    assert_eq!(
        notifications(&peer),
        Vec::<String>::new(),
        "bgpd received a NOTIFICATION"
    );
}

#[test]
fn a_restarting_frr_keeps_its_route_in_our_adj_rib_in() {
    if skip_without_netns("a_restarting_frr_keeps_its_route_in_our_adj_rib_in") {
        return;
    }
    let run = Run::start(plain_options(), |_| {});
    let mut peer = start_frr(&run);
    peer.announce(PEER_PREFIX).unwrap();
    run.wait("bgpd's route received", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] == "established" && n["received"] == 1 && n["stale"] == 0
    });

    // bgpd dies without a NOTIFICATION: we keep its route as stale.
    peer.kill().unwrap();
    run.wait("bgpd restarting, its route kept", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] != "established"
            && n["graceful_restart"]["peer_restarting"] == true
            && n["received"] == 1
            && n["stale"] == 1
    });

    // It comes back (F bit set) and re-announces: refreshed, no longer
    // restarting.
    peer.restart().unwrap();
    run.wait("the session back and the route refreshed", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] == "established"
            && n["received"] == 1
            && n["stale"] == 0
            && n["graceful_restart"]["peer_restarting"] == false
    });
}

#[test]
fn a_route_with_our_own_asn_in_its_path_is_not_accepted() {
    if skip_without_netns("a_route_with_our_own_asn_in_its_path_is_not_accepted") {
        return;
    }
    let run = Run::start(options(), |_| {});
    let mut peer = start_frr(&run);
    wait_peer(&mut peer, "the prefix at bgpd", |p| frr_has(p, Some(false)));
    // bgpd leaves loop detection to the receiver: it advertises our own
    // prefix back to us, AS path 65000 65001.
    let gw = mpwan_lab::addr::BGP_GW_V4;
    wait_peer(&mut peer, "bgpd advertising our prefix back", |p| {
        p.cli()
            .json(&format!(
                "show bgp ipv4 unicast neighbors {gw} advertised-routes json"
            ))
            .is_ok_and(|a| a["advertisedRoutes"].get(PREFIX).is_some())
    });
    // RFC 4271 9.1.2: a route whose AS_PATH holds our own AS is dropped.
    run.wait("bgpd's End-of-RIB", |s| {
        s["bgp"]["neighbors"][0]["messages"]["end_of_rib_received"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    });
    let s = run.status();
    assert_eq!(
        s["bgp"]["neighbors"][0]["received"], 0,
        "the agent accepted a route with its own ASN in the AS path: {:#}",
        s["bgp"]["neighbors"][0]
    );
}
