//! The interop scenarios every BGP daemon of the lab goes through (BIRD in
//! bgp_bird.rs, FRR's bgpd in bgp_frr.rs): a prefix follows WAN2's health,
//! `mpwan restart` and a killed agent never withdraw it, `mpwan stop` does;
//! and a restarting daemon's own route stays stale in our Adj-RIB-In until
//! it is back. What differs between daemons (how they take a NOTIFICATION,
//! how they restart) comes in as arguments.

use std::time::Duration;

use mpwan_lab::bgp_peer::{Family, GrNegotiated, LabPeer};
use mpwan_lab::{AgentConfigOptions, BgpOptions, Role, Wan};

use super::*;

pub const PREFIX: &str = "198.51.100.0/24";
pub const PEER_PREFIX: &str = "203.0.113.0/24";
pub const PEER_PORT: u16 = 1790;

/// The agent peering with the daemon, announcing nothing.
pub fn plain_options() -> AgentConfigOptions {
    AgentConfigOptions {
        bgp: Some(BgpOptions {
            listen_port: 0,
            peer_port: PEER_PORT,
        }),
        ..AgentConfigOptions::default()
    }
}

/// The agent announcing [`PREFIX`] while WAN2 is up.
pub fn options() -> AgentConfigOptions {
    AgentConfigOptions {
        extra: format!("\n[[bgp.announce]]\nprefix = \"{PREFIX}\"\nwhen = [\"wan2\"]\n"),
        ..plain_options()
    }
}

/// Whether the daemon holds [`PREFIX`], stale or fresh as `stale` asks
/// (either when None).
pub fn has<P: LabPeer>(peer: &P, stale: Option<bool>) -> bool {
    peer.routes(Family::Ipv4).is_ok_and(|routes| {
        routes
            .iter()
            .any(|r| r.prefix == PREFIX && stale.is_none_or(|s| r.stale == s))
    })
}

/// Waits until `f` holds for the daemon; panics with its own account.
pub fn wait_peer<P: LabPeer>(peer: &mut P, what: &str, f: impl Fn(&P) -> bool) {
    if !wait_for(Duration::from_secs(30), || f(peer)) {
        panic!("timed out: {what}\n{}", peer.diagnose());
    }
}

/// What a daemon must have seen of NOTIFICATIONs, as its log tells.
pub struct Notifications {
    /// Across `mpwan restart`: the lines received so far are fine.
    pub after_restart: fn(&[String]) -> bool,
    /// After `mpwan stop`, given the lines before and after it.
    pub after_stop: fn(&[String], &[String]) -> bool,
}

/// WAN2 down: the prefix goes; back after the hold-down; `mpwan restart`:
/// never withdrawn, stale until our End-of-RIB; `mpwan stop`: withdrawn.
/// `gr_ok` judges what the daemon negotiated.
pub fn follows_wan_health_and_survives_a_restart<P: LabPeer>(
    start: impl FnOnce(&Run) -> P,
    gr_ok: fn(&GrNegotiated) -> bool,
    expect: Notifications,
) {
    let mut run = Run::start(options(), |_| {});
    let mut peer = start(&run);
    let name = peer.name();
    wait_peer(&mut peer, "the session established at the daemon", |p| {
        p.state().is_ok_and(|s| s == "established")
    });
    let gr = peer.gr_negotiated().unwrap();
    assert!(gr_ok(&gr), "{gr:?}\n{}", peer.diagnose());
    run.wait("the session established", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    wait_peer(&mut peer, "the prefix at the daemon", |p| {
        has(p, Some(false))
    });

    // WAN2 dies: the prefix is withdrawn at the daemon.
    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down",
        |s| state(s, "wan2") == "down",
        stays_up("wan1"),
    );
    wait_peer(&mut peer, "the prefix withdrawn", |p| !has(p, None));
    // Restored: back after the hold-down.
    run.lab.restore(Wan::Two).unwrap();
    run.wait("wan2 up", |s| state(s, "wan2") == "up");
    wait_peer(&mut peer, "the prefix back", |p| has(p, Some(false)));

    // `mpwan restart`: the daemon never loses the prefix.
    let watch = peer.watch(Family::Ipv4, Duration::from_millis(50)).unwrap();
    run.cli_ok("restart");
    run.wait("re-established after the restart", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    wait_peer(&mut peer, "the prefix fresh after our End-of-RIB", |p| {
        has(p, Some(false))
    });
    let history = watch.stop().unwrap();
    assert!(
        history.present_throughout(PREFIX, history.samples[0].at, history.end),
        "the prefix was withdrawn during the restart: {history:?}\n{name}'s log:\n{}",
        peer.daemon_log()
    );
    let before_stop = peer.notifications_received();
    assert!(
        (expect.after_restart)(&before_stop),
        "{name} got a NOTIFICATION it would flush on: {before_stop:#?}"
    );

    // `mpwan stop`: the daemon withdraws at once.
    run.cli_ok("stop");
    run.agent.wait_exit(DEADLINE).expect("the agent stops");
    wait_peer(&mut peer, "the prefix withdrawn after stop", |p| {
        !has(p, None)
    });
    let after_stop = peer.notifications_received();
    assert!(
        (expect.after_stop)(&before_stop, &after_stop),
        "stop did not send {name} the NOTIFICATION it withdraws on: {after_stop:#?}\n{}",
        peer.daemon_log()
    );
}

/// `kill -9` of the agent: the daemon keeps the prefix as stale; a new
/// agent refreshes it, and no NOTIFICATION ever reached the daemon.
pub fn keeps_the_prefix_across_kill_9<P: LabPeer>(start: impl FnOnce(&Run) -> P) {
    let mut run = Run::start(options(), |_| {});
    let mut peer = start(&run);
    wait_peer(&mut peer, "the prefix at the daemon", |p| {
        has(p, Some(false))
    });

    run.agent.child.kill().unwrap();
    run.agent.child.wait().unwrap();
    wait_peer(&mut peer, "the prefix stale at the daemon", |p| {
        has(p, Some(true))
    });
    run.agent = Agent::start_ready_dir(
        Some(run.lab.ns(Role::Gw)),
        &run.paths.config_dir,
        &run.paths.control_socket,
    );
    wait_peer(&mut peer, "the prefix fresh again", |p| has(p, Some(false)));
    assert_eq!(
        peer.notifications_received(),
        Vec::<String>::new(),
        "{} received a NOTIFICATION",
        peer.name()
    );
}

/// The daemon's own route: kept stale in our Adj-RIB-In while it is away
/// (`go_away` leaves without a NOTIFICATION), refreshed and no longer
/// restarting once `come_back` has it re-announce and send End-of-RIB.
pub fn keeps_a_restarting_peers_route<P: LabPeer>(
    start: impl FnOnce(&Run) -> P,
    go_away: impl FnOnce(&mut P),
    come_back: impl FnOnce(&mut P),
) {
    let run = Run::start(plain_options(), |_| {});
    let mut peer = start(&run);
    peer.announce(PEER_PREFIX).unwrap();
    run.wait("the daemon's route received", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] == "established" && n["received"] == 1 && n["stale"] == 0
    });

    go_away(&mut peer);
    run.wait("the daemon restarting, its route kept", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] != "established"
            && n["graceful_restart"]["peer_restarting"] == true
            && n["received"] == 1
            && n["stale"] == 1
    });

    come_back(&mut peer);
    run.wait("the session back and the route refreshed", |s| {
        let n = &s["bgp"]["neighbors"][0];
        n["state"] == "established"
            && n["received"] == 1
            && n["stale"] == 0
            && n["graceful_restart"]["peer_restarting"] == false
    });
}
