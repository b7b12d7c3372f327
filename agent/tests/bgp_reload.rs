//! A reload changes what the speaker announces without touching what did
//! not change: against a real gobgpd, adding a WAN and announcements keeps
//! the BGP session (never re-established, the old prefix never withdrawn)
//! and the other WANs' state; an IPv6 prefix goes over the IPv4 session
//! with our IPv6 address on that link as next hop; removing an
//! announcement withdraws just it.

mod common;

use std::time::Duration;

use common::*;
use mpwan_lab::bgp_peer::{Family, GobgpPeer};
use mpwan_lab::{AgentConfigOptions, BgpOptions, addr, skip_without_netns};
use serde_json::Value;

const PREFIX: &str = "198.51.100.0/24";
const PREFIX3: &str = "198.18.0.0/16";
const PREFIX6: &str = "2001:db8:100::/48";
const PEER_PORT: u16 = 1791;

fn announce(prefix: &str, when: &str) -> String {
    format!("\n[[bgp.announce]]\nprefix = \"{prefix}\"\nwhen = {when}\n")
}

fn has(peer: &GobgpPeer, family: Family, prefix: &str) -> bool {
    peer.routes(family)
        .is_ok_and(|r| r.iter().any(|r| r.prefix == prefix && !r.stale))
}

fn wait_peer(what: &str, f: impl Fn() -> bool) {
    assert!(wait_for(Duration::from_secs(30), f), "timed out: {what}");
}

/// The WAN's `since` and `transitions`: what a reload must not reset.
fn wan_history(s: &Value, name: &str) -> (Value, Value) {
    let w = wan(s, name);
    (w["since"].clone(), w["transitions"].clone())
}

#[test]
fn a_reload_adding_a_wan_and_prefixes_keeps_the_session_and_the_other_wans() {
    if skip_without_netns("a_reload_adding_a_wan_and_prefixes_keeps_the_session_and_the_other_wans")
    {
        return;
    }
    let opts = AgentConfigOptions {
        bgp: Some(BgpOptions {
            listen_port: 0,
            peer_port: PEER_PORT,
        }),
        extra: announce(PREFIX, "[\"wan2\"]"),
        ..AgentConfigOptions::default()
    };
    let run = Run::start(opts, |_| {});
    let peer = gobgpd_peer(&run.lab, PEER_PORT);
    wait_peer("the prefix at the peer", || {
        has(&peer, Family::Ipv4, PREFIX)
    });
    let before = run.wait("the session established", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    let before = before.last().unwrap().clone();

    // A third WAN, a prefix that follows it and an IPv6 one, by reload.
    let three = run.lab.add_extra_wan(3).unwrap();
    let wan3 = format!(
        "interface = \"{}\"\n\n[[probe]]\nmethod = \"icmp\"\ntargets = [\"{}\", \"{}\"]\n\n\
         [mptcp]\nid = {}\nflags = [\"subflow\"]\n",
        three.device(),
        addr::ICMP_V4[0],
        addr::ICMP_V4[1],
        three.mptcp_id()
    );
    write(&run.paths.config_dir.join("wan.d/wan3.toml"), &wan3);
    let main = run.paths.config_dir.join("mpwan.toml");
    let text = std::fs::read_to_string(&main).unwrap();
    write(
        &main,
        &(text.clone() + &announce(PREFIX3, "[\"wan3\"]") + &announce(PREFIX6, "\"any\"")),
    );
    let watch = peer.watch(Family::Ipv4, Duration::from_millis(50)).unwrap();
    run.cli_ok("reload");
    run.wait("wan3 up", |s| state(s, "wan3") == "up");
    wait_peer("the prefix of wan3 at the peer", || {
        has(&peer, Family::Ipv4, PREFIX3)
    });
    wait_peer("the IPv6 prefix at the peer", || {
        has(&peer, Family::Ipv6, PREFIX6)
    });
    let history = watch.stop().unwrap();
    assert!(
        history.present_throughout(PREFIX, history.samples[0].at, history.end),
        "the prefix left the peer during the reload: {history:?}"
    );

    // The IPv6 route's next hop is our address on the peering link.
    let rib6 = peer.cli().json(&["global", "rib", "-a", "ipv6"]).unwrap();
    let route6 = rib6[PREFIX6].to_string();
    assert!(
        route6.contains(&addr::BGP_GW_V6.to_string()),
        "next hop of {PREFIX6} is not {}: {route6}",
        addr::BGP_GW_V6
    );

    // The session was never re-established (counted, not inferred from
    // an uptime in whole seconds); wan1 and wan2 kept their state.
    let after = run.status();
    assert_established_once(&before);
    assert_established_once(&after);
    for name in ["wan1", "wan2"] {
        assert_eq!(
            wan_history(&before, name),
            wan_history(&after, name),
            "{name} was reset by the reload"
        );
    }
    let announced: Vec<&str> = after["bgp"]["announced"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] == "announced")
        .filter_map(|a| a["prefix"].as_str())
        .collect();
    assert_eq!(announced.len(), 3, "{announced:?}");

    // Removing an announcement withdraws it alone, session still up.
    let watch = peer.watch(Family::Ipv4, Duration::from_millis(50)).unwrap();
    write(&main, &(text + &announce(PREFIX6, "\"any\"")));
    run.cli_ok("reload");
    wait_peer("the prefix of wan3 withdrawn", || {
        peer.routes(Family::Ipv4)
            .is_ok_and(|r| !r.iter().any(|r| r.prefix == PREFIX3))
    });
    let history = watch.stop().unwrap();
    assert!(
        history.present_throughout(PREFIX, history.samples[0].at, history.end),
        "the kept prefix left the peer: {history:?}"
    );
    assert!(has(&peer, Family::Ipv6, PREFIX6));
    assert_established_once(&run.status());
    assert_eq!(peer.state().unwrap(), "established", "{}", run.agent.log());
}

/// The neighbor is established and reached Established once since the
/// agent started.
fn assert_established_once(status: &Value) {
    let n = &status["bgp"]["neighbors"][0];
    assert_eq!(n["state"], "established", "{n:#}");
    assert_eq!(
        n["messages"]["established"], 1,
        "the session restarted: {n:#}"
    );
}
