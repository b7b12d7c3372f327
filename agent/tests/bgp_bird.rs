//! Interop with BIRD 2 (Debian's 2.0.12) as the agent's neighbour, a GR
//! and LLGR helper that does not implement RFC 8538: any NOTIFICATION
//! makes it flush. A prefix follows WAN2's health; `mpwan restart` and a
//! killed agent never withdraw it at BIRD; `mpwan stop` does. And the
//! other way round: BIRD's own graceful restart leaves its route stale in
//! our Adj-RIB-In until it is back.

mod common;

use std::time::Duration;

use common::*;
use mpwan_lab::bgp_peer::Family;
use mpwan_lab::bgp_peer::bird::{BirdOptions, BirdPeer};
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

fn bird_has(peer: &BirdPeer, stale: Option<bool>) -> bool {
    peer.routes(Family::Ipv4).is_ok_and(|routes| {
        routes
            .iter()
            .any(|r| r.prefix == PREFIX && stale.is_none_or(|s| r.stale == s))
    })
}

fn wait_peer(peer: &mut BirdPeer, what: &str, f: impl Fn(&BirdPeer) -> bool) {
    if !wait_for(Duration::from_secs(30), || f(peer)) {
        let info = peer.protocol_info().unwrap_or_else(|e| format!("{e:#}"));
        panic!("timed out: {what}\n{info}\n{}", peer.describe());
    }
}

/// The NOTIFICATIONs BIRD logged as received ("agent: Received: …").
fn notifications(peer: &BirdPeer) -> Vec<String> {
    peer.log()
        .lines()
        .filter(|l| l.contains("Received:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn bird_follows_wan_health_keeps_the_prefix_across_a_restart_and_drops_it_on_stop() {
    if skip_without_netns(
        "bird_follows_wan_health_keeps_the_prefix_across_a_restart_and_drops_it_on_stop",
    ) {
        return;
    }
    let mut run = Run::start(options(), |_| {});
    let mut peer = start_bird(&run);
    wait_peer(&mut peer, "the session established at BIRD", |p| {
        p.state().is_ok_and(|s| s == "established")
    });
    let gr = peer.gr_negotiated().unwrap();
    assert!(
        gr.graceful_restart && gr.long_lived,
        "{gr:?}\n{}",
        peer.protocol_info().unwrap()
    );
    run.wait("the session established", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    wait_peer(&mut peer, "the prefix at BIRD", |p| {
        bird_has(p, Some(false))
    });

    // WAN2 dies: the prefix is withdrawn at BIRD.
    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down",
        |s| state(s, "wan2") == "down",
        stays_up("wan1"),
    );
    wait_peer(&mut peer, "the prefix withdrawn", |p| !bird_has(p, None));
    // Restored: back after the hold-down.
    run.lab.restore(Wan::Two).unwrap();
    run.wait("wan2 up", |s| state(s, "wan2") == "up");
    wait_peer(&mut peer, "the prefix back", |p| bird_has(p, Some(false)));

    // `mpwan restart`: BIRD never loses the prefix, which any NOTIFICATION
    // would make it flush.
    let watch = peer.watch(Family::Ipv4, Duration::from_millis(50)).unwrap();
    run.cli_ok("restart");
    run.wait("re-established after the restart", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    wait_peer(&mut peer, "the prefix fresh after our End-of-RIB", |p| {
        bird_has(p, Some(false))
    });
    let history = watch.stop().unwrap();
    assert!(
        history.present_throughout(PREFIX, history.samples[0].at, history.end),
        "the prefix was withdrawn during the restart: {history:?}\nBIRD's log:\n{}",
        peer.log()
    );
    assert_eq!(
        notifications(&peer),
        Vec::<String>::new(),
        "BIRD received a NOTIFICATION"
    );

    // `mpwan stop`: BIRD withdraws at once.
    run.cli_ok("stop");
    run.agent.wait_exit(DEADLINE).expect("the agent stops");
    wait_peer(&mut peer, "the prefix withdrawn after stop", |p| {
        !bird_has(p, None)
    });
    assert!(
        !notifications(&peer).is_empty(),
        "stop sent BIRD no NOTIFICATION:\n{}",
        peer.log()
    );
}

#[test]
fn bird_keeps_the_prefix_stale_after_kill_9_until_a_new_agent_refreshes_it() {
    if skip_without_netns("bird_keeps_the_prefix_stale_after_kill_9_until_a_new_agent_refreshes_it")
    {
        return;
    }
    let mut run = Run::start(options(), |_| {});
    let mut peer = start_bird(&run);
    wait_peer(&mut peer, "the prefix at BIRD", |p| {
        bird_has(p, Some(false))
    });

    run.agent.child.kill().unwrap();
    run.agent.child.wait().unwrap();
    wait_peer(&mut peer, "the prefix stale at BIRD", |p| {
        bird_has(p, Some(true))
    });
    run.agent = Agent::start_ready_dir(
        Some(run.lab.ns(mpwan_lab::Role::Gw)),
        &run.paths.config_dir,
        &run.paths.control_socket,
    );
    wait_peer(&mut peer, "the prefix fresh again", |p| {
        bird_has(p, Some(false))
    });
    assert_eq!(
        notifications(&peer),
        Vec::<String>::new(),
        "BIRD received a NOTIFICATION"
    );
}

#[test]
fn a_gracefully_restarting_bird_keeps_its_route_in_our_adj_rib_in() {
    if skip_without_netns("a_gracefully_restarting_bird_keeps_its_route_in_our_adj_rib_in") {
        return;
    }
    let run = Run::start(plain_options(), |_| {});
    let mut peer = start_bird(&run);
    peer.announce(PEER_PREFIX).unwrap();
    run.wait("BIRD's route received", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] == "established" && n["received"] == 1 && n["stale"] == 0
    });

    // `birdc graceful restart`: BIRD closes without a NOTIFICATION and
    // exits; we keep its route as stale.
    peer.graceful_shutdown().unwrap();
    run.wait("BIRD restarting, its route kept", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] != "established"
            && n["graceful_restart"]["peer_restarting"] == true
            && n["received"] == 1
            && n["stale"] == 1
    });

    // BIRD comes back in recovery (R and F bits) and re-announces:
    // refreshed, no longer restarting.
    peer.recover().unwrap();
    run.wait("the session back and the route refreshed", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] == "established"
            && n["received"] == 1
            && n["stale"] == 0
            && n["graceful_restart"]["peer_restarting"] == false
    });
}
