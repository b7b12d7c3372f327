//! Interop with FRR's bgpd (Debian's 8.4) as the agent's neighbour, a GR
//! helper honouring the N bit, and an LLGR helper. A prefix follows WAN2's
//! health; `mpwan restart` and a killed agent never withdraw it at bgpd;
//! `mpwan stop` does. And the other way round: a bgpd that dies and
//! restarts leaves its route stale in our Adj-RIB-In until it is back.
//! The scenarios are common::interop's; AS-path loop detection is here.

mod common;

use common::interop::{self, Notifications, PEER_PORT, PREFIX, has, options, wait_peer};
use common::*;
use mpwan_lab::bgp_peer::frr::{FrrOptions, FrrPeer};
use mpwan_lab::skip_without_netns;

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
    interop::follows_wan_health_and_survives_a_restart(
        start_frr,
        |gr| gr.graceful_restart && gr.long_lived && gr.notification == Some(true),
        Notifications {
            // With the N bit, a NOTIFICATION other than Hard Reset still
            // keeps the routes; a Hard Reset must not be sent.
            after_restart: |seen| !seen.iter().any(|l| is_hard_reset(l)),
            after_stop: |before, after| {
                after.len() > before.len() && after.iter().any(|l| is_hard_reset(l))
            },
        },
    );
}

#[test]
fn frr_keeps_the_prefix_stale_after_kill_9_until_a_new_agent_refreshes_it() {
    if skip_without_netns("frr_keeps_the_prefix_stale_after_kill_9_until_a_new_agent_refreshes_it")
    {
        return;
    }
    interop::keeps_the_prefix_across_kill_9(start_frr);
}

#[test]
fn a_restarting_frr_keeps_its_route_in_our_adj_rib_in() {
    if skip_without_netns("a_restarting_frr_keeps_its_route_in_our_adj_rib_in") {
        return;
    }
    interop::keeps_a_restarting_peers_route(
        start_frr,
        // bgpd dies without a NOTIFICATION.
        |p| p.kill().unwrap(),
        // It comes back (F bit set) and re-announces.
        |p| p.restart().unwrap(),
    );
}

#[test]
fn a_route_with_our_own_asn_in_its_path_is_not_accepted() {
    if skip_without_netns("a_route_with_our_own_asn_in_its_path_is_not_accepted") {
        return;
    }
    let run = Run::start(options(), |_| {});
    let mut peer = start_frr(&run);
    wait_peer(&mut peer, "the prefix at bgpd", |p| has(p, Some(false)));
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
