//! Interop with BIRD 2 (Debian's 2.0.12) as the agent's neighbour, a GR
//! and LLGR helper that does not implement RFC 8538: any NOTIFICATION
//! makes it flush. A prefix follows WAN2's health; `mpwan restart` and a
//! killed agent never withdraw it at BIRD; `mpwan stop` does. And the
//! other way round: BIRD's own graceful restart leaves its route stale in
//! our Adj-RIB-In until it is back. The scenarios are common::interop's.

mod common;

use common::interop::{self, Notifications, PEER_PORT};
use common::*;
use mpwan_lab::bgp_peer::bird::{BirdOptions, BirdPeer};
use mpwan_lab::skip_without_netns;

fn start_bird(run: &Run) -> BirdPeer {
    BirdPeer::start(
        &run.lab,
        BirdOptions {
            listen_port: PEER_PORT,
            ..BirdOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn bird_follows_wan_health_keeps_the_prefix_across_a_restart_and_drops_it_on_stop() {
    if skip_without_netns(
        "bird_follows_wan_health_keeps_the_prefix_across_a_restart_and_drops_it_on_stop",
    ) {
        return;
    }
    interop::follows_wan_health_and_survives_a_restart(
        start_bird,
        |gr| gr.graceful_restart && gr.long_lived,
        Notifications {
            // Without RFC 8538 any NOTIFICATION would flush our routes.
            after_restart: |seen| seen.is_empty(),
            after_stop: |_, seen| !seen.is_empty(),
        },
    );
}

#[test]
fn bird_keeps_the_prefix_stale_after_kill_9_until_a_new_agent_refreshes_it() {
    if skip_without_netns("bird_keeps_the_prefix_stale_after_kill_9_until_a_new_agent_refreshes_it")
    {
        return;
    }
    interop::keeps_the_prefix_across_kill_9(start_bird);
}

#[test]
fn a_gracefully_restarting_bird_keeps_its_route_in_our_adj_rib_in() {
    if skip_without_netns("a_gracefully_restarting_bird_keeps_its_route_in_our_adj_rib_in") {
        return;
    }
    interop::keeps_a_restarting_peers_route(
        start_bird,
        // `birdc graceful restart`: BIRD closes without a NOTIFICATION and
        // exits.
        |p| p.graceful_shutdown().unwrap(),
        // Back in recovery (R and F bits), it re-announces.
        |p| p.recover().unwrap(),
    );
}
