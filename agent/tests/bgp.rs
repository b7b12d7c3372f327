//! The BGP speaker for real: the agent on the lab's gateway peers with a
//! gobgpd (Debian's, a GR and LLGR helper) in the peer namespace. A prefix
//! follows WAN2's health; restarts never withdraw it at the peer; a stop
//! does at once.

mod common;

use std::time::Duration;

use common::*;
use mpwan_lab::bgp_peer::{Family, GobgpPeer};
use mpwan_lab::{AgentConfigOptions, BgpOptions, Wan, skip_without_netns};

const PREFIX: &str = "198.51.100.0/24";
const PEER_PORT: u16 = 1790;

fn options() -> AgentConfigOptions {
    AgentConfigOptions {
        bgp: Some(BgpOptions {
            listen_port: 0,
            peer_port: PEER_PORT,
        }),
        extra: format!("\n[[bgp.announce]]\nprefix = \"{PREFIX}\"\nwhen = [\"wan2\"]\n"),
        ..AgentConfigOptions::default()
    }
}

fn peer_has(peer: &GobgpPeer, stale: Option<bool>) -> bool {
    peer.routes(Family::Ipv4).is_ok_and(|routes| {
        routes
            .iter()
            .any(|r| r.prefix == PREFIX && stale.is_none_or(|s| r.stale == s))
    })
}

fn wait_peer(what: &str, f: impl Fn() -> bool) {
    assert!(wait_for(Duration::from_secs(30), f), "timed out: {what}");
}

#[test]
fn a_prefix_follows_wan_health_and_survives_a_restart_but_not_a_stop() {
    if skip_without_netns("a_prefix_follows_wan_health_and_survives_a_restart_but_not_a_stop") {
        return;
    }
    let mut run = Run::start(options(), |_| {});
    let peer = gobgpd_peer(&run.lab, PEER_PORT);
    run.wait("the session established", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    let s = run.status();
    let caps = peer.capabilities().unwrap().to_string();
    assert!(
        caps.contains("graceful") || caps.contains("graceful-restart"),
        "{caps}"
    );
    let gr = &s["bgp"]["neighbors"][0]["graceful_restart"];
    assert_eq!(
        (gr["negotiated"].clone(), gr["long_lived"].clone()),
        (true.into(), true.into()),
        "{gr}"
    );
    wait_peer("the prefix at the peer", || peer_has(&peer, Some(false)));
    assert_eq!(s["bgp"]["announced"][0]["prefix"], PREFIX);

    // WAN2 dies: the prefix is withdrawn at the peer.
    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down",
        |s| state(s, "wan2") == "down",
        stays_up("wan1"),
    );
    wait_peer("the prefix withdrawn", || !peer_has(&peer, None));
    assert_eq!(run.status()["bgp"]["announced"][0]["state"], "withdrawn");
    // Restored: back after the hold-down.
    run.lab.restore(Wan::Two).unwrap();
    run.wait("wan2 up", |s| state(s, "wan2") == "up");
    wait_peer("the prefix back", || peer_has(&peer, Some(false)));

    // `mpwan restart`: the peer never loses the prefix.
    let watch = peer.watch(Family::Ipv4, Duration::from_millis(50)).unwrap();
    run.cli_ok("restart");
    run.wait("re-established after the restart", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    wait_peer("the prefix fresh after our End-of-RIB", || {
        peer_has(&peer, Some(false))
    });
    let history = watch.stop().unwrap();
    assert!(
        history.present_throughout(PREFIX, history.samples[0].at, history.end),
        "the prefix was withdrawn during the restart: {history:?}"
    );
    assert!(
        history
            .samples
            .iter()
            .any(|s| s.routes.iter().any(|r| r.prefix == PREFIX && r.stale)),
        "the peer never held the prefix as stale during the restart: {history:?}"
    );

    // `mpwan stop`: the peer withdraws at once.
    run.cli_ok("stop");
    run.agent.wait_exit(DEADLINE).expect("the agent stops");
    wait_peer("the prefix withdrawn after stop", || !peer_has(&peer, None));
}

#[test]
fn a_degraded_announcement_changes_its_med_and_a_killed_agent_leaves_it_stale() {
    if skip_without_netns(
        "a_degraded_announcement_changes_its_med_and_a_killed_agent_leaves_it_stale",
    ) {
        return;
    }
    let mut opts = options();
    opts.extra = format!(
        "\n[[bgp.announce]]\nprefix = \"{PREFIX}\"\nwhen = [\"wan2\"]\non_down = \"degrade\"\n\
         degrade = {{ med = 1000, prepend = 2, communities = [\"65001:666\"] }}\n"
    );
    let mut run = Run::start(opts, |_| {});
    let peer = gobgpd_peer(&run.lab, PEER_PORT);
    let route = || {
        peer.routes(Family::Ipv4)
            .ok()
            .and_then(|r| r.into_iter().find(|r| r.prefix == PREFIX))
    };
    wait_peer("the prefix at the peer", || {
        route().is_some_and(|r| r.med.is_none())
    });
    let normal = route().unwrap();
    assert_eq!(normal.as_path, vec![65001], "{normal:?}");

    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down",
        |s| state(s, "wan2") == "down",
        stays_up("wan1"),
    );
    wait_peer("the prefix de-preferred", || {
        route().is_some_and(|r| r.med == Some(1000))
    });
    let degraded = route().unwrap();
    assert_eq!(degraded.as_path, vec![65001, 65001, 65001], "{degraded:?}");
    assert!(
        degraded.communities.contains(&"65001:666".to_string()),
        "{degraded:?}"
    );
    assert_eq!(run.status()["bgp"]["announced"][0]["state"], "degraded");

    // kill -9: no NOTIFICATION; the peer keeps the prefix as stale.
    run.agent.child.kill().unwrap();
    run.agent.child.wait().unwrap();
    wait_peer("the prefix stale at the peer", || {
        route().is_some_and(|r| r.stale)
    });
    // A new agent refreshes it.
    run.lab.restore(Wan::Two).unwrap();
    run.agent = Agent::start_ready_dir(
        Some(run.lab.ns(mpwan_lab::Role::Gw)),
        &run.paths.config_dir,
        &run.paths.control_socket,
    );
    wait_peer("the prefix fresh again", || {
        route().is_some_and(|r| !r.stale && r.med.is_none())
    });
}

#[test]
fn a_gracefully_restarting_peer_keeps_its_routes_in_our_adj_rib_in() {
    if skip_without_netns("a_gracefully_restarting_peer_keeps_its_routes_in_our_adj_rib_in") {
        return;
    }
    let run = Run::start(options(), |_| {});
    let mut peer = gobgpd_peer(&run.lab, PEER_PORT);
    run.wait("the session established", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    peer.announce("203.0.113.0/24").unwrap();
    run.wait("the peer's route received", |s| {
        s["bgp"]["neighbors"][0]["received"] == 1
    });

    // The peer dies without a NOTIFICATION: we keep its route as stale.
    peer.kill().unwrap();
    run.wait("the peer restarting, its route kept", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] != "established"
            && n["graceful_restart"]["peer_restarting"] == true
            && n["received"] == 1
            && n["stale"] == 1
    });

    // It comes back and re-announces: refreshed, no longer restarting.
    drop(peer);
    let peer = gobgpd_peer(&run.lab, PEER_PORT);
    peer.announce("203.0.113.0/24").unwrap();
    run.wait("the session back and the route refreshed", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] == "established"
            && n["received"] == 1
            && n["stale"] == 0
            && n["graceful_restart"]["peer_restarting"] == false
    });
}

#[test]
fn sigterm_with_on_sigterm_retain_leaves_the_prefix_stale_at_the_peer() {
    if skip_without_netns("sigterm_with_on_sigterm_retain_leaves_the_prefix_stale_at_the_peer") {
        return;
    }
    let mut run = Run::start(options(), |p| {
        let f = p.config_dir.join("mpwan.toml");
        let text = std::fs::read_to_string(&f)
            .unwrap()
            .replace("[bgp]\n", "[bgp]\non_sigterm = \"retain\"\n");
        write(&f, &text);
    });
    let peer = gobgpd_peer(&run.lab, PEER_PORT);
    wait_peer("the prefix at the peer", || peer_has(&peer, Some(false)));
    run.agent.signal(nix::sys::signal::Signal::SIGTERM);
    let status = run
        .agent
        .wait_exit(DEADLINE)
        .expect("the agent exits on SIGTERM");
    assert!(status.success(), "{status}");
    wait_peer("the prefix kept as stale", || peer_has(&peer, Some(true)));
}
