//! WAN health tracking for real: the agent runs in the lab's gateway, its
//! probes cross the ISP namespaces to real ICMP, DNS and HTTP servers, and
//! outages are made with nftables and link state. Each test waits for the
//! state it expects with a generous deadline and watches what it must not
//! see on the way.

mod common;

use common::*;
use mpwan_lab::{AgentConfigOptions, Wan, addr, skip_without_netns};
use serde_json::Value;

#[test]
fn a_blackholed_preferred_wan_goes_down_and_the_other_stays_up() {
    if skip_without_netns("a_blackholed_preferred_wan_goes_down_and_the_other_stays_up") {
        return;
    }
    // WAN2 holds the main table's preferred default route: a probe that
    // ignored its WAN would leave through WAN2 and fail with it.
    let run = Run::start(AgentConfigOptions::default(), |_| {});
    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down",
        |s| state(s, "wan2") == "down",
        stays_up("wan1"),
    );
    let s = run.status();
    assert_eq!(wan(&s, "wan2")["reason"], "ipv4 down, ipv6 down");
    assert!(
        wan(&s, "wan2")["transitions"].as_u64().unwrap() >= 2,
        "init->up, then down"
    );
    assert_eq!(wan(&s, "wan1")["transitions"], 1, "only init->up");
    for f in wan(&s, "wan2")["families"].as_array().unwrap() {
        assert_eq!(f["state"], "down", "{f}");
        assert_eq!(f["reason"], "3 rounds failed", "{f}");
    }

    // Restored: down until `up` rounds and then the hold-down have passed.
    run.lab.restore(Wan::Two).unwrap();
    let seen = run.watch(
        "wan2 up again",
        |s| state(s, "wan2") == "up",
        stays_up("wan1"),
    );
    let held = seen.iter().any(|s| {
        state(s, "wan2") == "down"
            && wan(s, "wan2")["families"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| !f["hold_down_until"].is_null())
    });
    assert!(held, "wan2 came back without a visible hold-down");
    let after = run.status();
    let reason = wan(&after, "wan2")["families"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("hold-down of 1s"), "{reason}");
}

#[test]
fn carrier_loss_makes_the_wan_down_without_a_probe_round() {
    if skip_without_netns("carrier_loss_makes_the_wan_down_without_a_probe_round") {
        return;
    }
    let run = Run::start(AgentConfigOptions::default(), |_| {});
    run.lab.carrier_down(Wan::One).unwrap();
    run.watch(
        "wan1 down",
        |s| state(s, "wan1") == "down",
        stays_up("wan2"),
    );
    let s = run.status();
    for f in wan(&s, "wan1")["families"].as_array().unwrap() {
        assert_eq!(f["reason"], "carrier lost", "{f}");
    }
    run.lab.restore(Wan::One).unwrap();
    run.watch(
        "wan1 up again",
        |s| state(s, "wan1") == "up",
        stays_up("wan2"),
    );
}

#[test]
fn a_dead_dns_server_or_a_failing_http_server_takes_a_wan_down_while_icmp_answers() {
    if skip_without_netns(
        "a_dead_dns_server_or_a_failing_http_server_takes_a_wan_down_while_icmp_answers",
    ) {
        return;
    }
    // wan1: one ICMP target, the DNS server and the HTTP server, all three
    // needed. A dead DNS or HTTP server is then a failed round even though
    // ping still answers.
    let wan1 = format!(
        "interface = \"wan1\"\n[tracker]\nreliability = 3\n\
         [[probe]]\nmethod = \"icmp\"\ntargets = [\"{}\"]\n\
         [[probe]]\nmethod = \"dns\"\nserver = \"{}\"\nname = \"{}\"\n\
         [[probe]]\nmethod = \"http\"\nurl = \"{}\"\nexpect_status = 204\n",
        addr::ICMP_V4[0],
        addr::DNS_V4,
        addr::DNS_NAME,
        addr::http_url_v4()
    );
    let opts = AgentConfigOptions {
        icmp_v6: false,
        ..AgentConfigOptions::default()
    };
    let run = Run::start(opts, |p| {
        write(&p.config_dir.join("wan.d/wan1.toml"), &wan1)
    });

    run.lab.stop_dns().unwrap();
    run.watch(
        "wan1 down with DNS dead",
        |s| state(s, "wan1") == "down",
        stays_up("wan2"),
    );
    let s = run.status();
    let dns = &wan(&s, "wan1")["targets"][1];
    assert_eq!(dns["method"], "dns");
    assert!(dns["loss"].as_f64().unwrap() > 0.0, "{dns}");
    run.lab.start_dns().unwrap();
    run.watch(
        "wan1 up with DNS back",
        |s| state(s, "wan1") == "up",
        stays_up("wan2"),
    );

    run.lab.set_http_status(500).unwrap();
    run.watch(
        "wan1 down on HTTP 500",
        |s| state(s, "wan1") == "down",
        stays_up("wan2"),
    );
    run.lab.set_http_status(204).unwrap();
    run.watch(
        "wan1 up with HTTP 204",
        |s| state(s, "wan1") == "up",
        stays_up("wan2"),
    );
}

#[test]
fn a_flapping_wan_is_held_down_longer_each_time() {
    if skip_without_netns("a_flapping_wan_is_held_down_longer_each_time") {
        return;
    }
    let run = Run::start(AgentConfigOptions::default(), |_| {});
    let hold = |s: &Value| {
        wan(s, "wan2")["families"][0]["hold_down_ms"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(hold(&run.status()), 1000);
    // Each cycle: black-holed until the tracker says down, then restored
    // until it says up again. Going down soon after coming back is a flap:
    // the next hold-down doubles.
    let mut holds = Vec::new();
    for _ in 0..3 {
        run.lab.blackhole(Wan::Two).unwrap();
        run.watch(
            "wan2 down",
            |s| state(s, "wan2") == "down",
            stays_up("wan1"),
        );
        run.lab.restore(Wan::Two).unwrap();
        run.watch("wan2 up", |s| state(s, "wan2") == "up", stays_up("wan1"));
        holds.push(hold(&run.status()));
    }
    // The first outage is not a flap; the next two are.
    assert_eq!(holds, [1000, 2000, 4000], "hold-downs after each cycle");
    let reason = wan(&run.status(), "wan2")["families"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("hold-down of 4s"), "{reason}");
}

#[test]
fn hooks_see_every_transition_and_a_stuck_hook_delays_nothing() {
    if skip_without_netns("hooks_see_every_transition_and_a_stuck_hook_delays_nothing") {
        return;
    }
    let opts = AgentConfigOptions {
        agent: "hook_timeout = \"2s\"\n".into(),
        ..AgentConfigOptions::default()
    };
    let mut record = None;
    let run = Run::start(opts, |p| {
        let out = p.config_dir.join("hook-events");
        let script = format!(
            "#!/bin/sh\n{{ env | sort; echo --; }} >> {}\n",
            out.display()
        );
        let hook = p.hooks_dir.join("10-record");
        write(&hook, &script);
        // Runs after the recorder on every event and never finishes.
        let stuck = p.hooks_dir.join("20-stuck");
        write(&stuck, "#!/bin/sh\nsleep 3600\n");
        for f in [&hook, &stuck] {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        record = Some(out);
    });
    let record = record.unwrap();

    // The stuck hook holds each WAN's hooks for 2 s per event; detection
    // must not wait for it.
    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down",
        |s| state(s, "wan2") == "down",
        stays_up("wan1"),
    );

    let blocks = |text: &str| -> Vec<Vec<String>> {
        text.split("--\n")
            .filter(|b| !b.trim().is_empty())
            .map(|b| b.lines().map(str::to_string).collect())
            .collect()
    };
    let mut events = Vec::new();
    assert!(
        wait_for(DEADLINE, || {
            events = blocks(&std::fs::read_to_string(&record).unwrap_or_default());
            events.iter().any(|e| {
                e.contains(&"MPWAN_WAN=wan2".to_string())
                    && e.contains(&"MPWAN_STATE=down".to_string())
            })
        }),
        "no down event recorded: {events:?}\n{}",
        run.agent.log()
    );
    let down = events
        .iter()
        .find(|e| e.contains(&"MPWAN_STATE=down".to_string()))
        .unwrap();
    let names: Vec<&str> = down.iter().map(|l| l.split('=').next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "ACTION",
            "DEVICE",
            "INTERFACE",
            "MPWAN_DEVICE",
            "MPWAN_EVENT",
            "MPWAN_LOSS",
            "MPWAN_PREV_STATE",
            "MPWAN_RTT_MS",
            "MPWAN_STATE",
            "MPWAN_WAN",
            "PATH",
            "PWD",
        ],
        "the hook's whole environment: {down:?}"
    );
    for want in [
        "ACTION=disconnected",
        "DEVICE=wan2",
        "INTERFACE=wan2",
        "MPWAN_DEVICE=wan2",
        "MPWAN_EVENT=transition",
        "MPWAN_STATE=down",
        "MPWAN_WAN=wan2",
    ] {
        assert!(down.contains(&want.to_string()), "{want} missing: {down:?}");
    }
    // IPv4 and IPv6 are judged apart: when one family's round reports the
    // black hole a moment before the other's, the WAN is briefly degraded
    // (one family up, one down) on its way down.
    assert!(
        down.contains(&"MPWAN_PREV_STATE=up".to_string())
            || down.contains(&"MPWAN_PREV_STATE=degraded".to_string()),
        "{down:?}"
    );
    let loss: f64 = down
        .iter()
        .find_map(|l| l.strip_prefix("MPWAN_LOSS="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(loss > 0.0, "{down:?}");
    let up = events
        .iter()
        .find(|e| {
            e.contains(&"MPWAN_WAN=wan1".to_string()) && e.contains(&"MPWAN_STATE=up".to_string())
        })
        .expect("wan1's init -> up event");
    for want in ["ACTION=connected", "MPWAN_PREV_STATE=init", "DEVICE=wan1"] {
        assert!(up.contains(&want.to_string()), "{want} missing: {up:?}");
    }
}
