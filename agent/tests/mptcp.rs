//! MPTCP path management for real: the agent manages the gateway's
//! endpoints while an MPTCP client in the gateway streams a checked byte
//! pattern to a server in the internet namespace. Outages come from
//! nftables in the ISP namespaces.

mod common;

use std::time::Duration;

use common::*;
use mpwan_lab::{AgentConfigOptions, MptcpStream, Role, Wan, addr, skip_without_netns};
use serde_json::Value;

const STREAM: Duration = Duration::from_secs(30);

fn endpoint(s: &Value, wan_name: &str) -> Value {
    wan(s, wan_name)["mptcp"].clone()
}

/// `ip mptcp endpoint show` in gw: (id, address, flags) per endpoint.
fn kernel_endpoints(run: &Run) -> Vec<(u8, String, String)> {
    let out = run
        .lab
        .ns(Role::Gw)
        .run(&["ip", "mptcp", "endpoint", "show"])
        .unwrap();
    out.lines()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let id = words
                .iter()
                .position(|w| *w == "id")
                .and_then(|i| words.get(i + 1))?
                .parse()
                .ok()?;
            let flags = words
                .iter()
                .filter(|w| ["signal", "subflow", "backup", "fullmesh"].contains(w))
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            Some((id, words.first()?.to_string(), flags))
        })
        .collect()
}

/// Waits until the stream's connection has a subflow from `ip`.
fn wait_subflow_from(run: &Run, stream: &MptcpStream, token: &str, ip: &str) {
    mpwan_lab::wait::until(
        &format!("a subflow from {ip} on connection {token}"),
        STREAM,
        || {
            let subflows = stream.subflows(&run.lab, token)?;
            anyhow::ensure!(
                subflows.iter().any(|s| s.local.starts_with(ip)),
                "subflows: {subflows:?}"
            );
            Ok(())
        },
    )
    .unwrap();
}

#[test]
fn endpoints_follow_wan_health_and_the_same_connection_rebuilds_its_subflow() {
    if skip_without_netns(
        "endpoints_follow_wan_health_and_the_same_connection_rebuilds_its_subflow",
    ) {
        return;
    }
    let run = Run::start(AgentConfigOptions::default(), |_| {});
    run.wait("both endpoints present", |s| {
        endpoint(s, "wan1")["present"] == true && endpoint(s, "wan2")["present"] == true
    });
    let stream = MptcpStream::start(&run.lab, 4000).unwrap();
    let token = stream.token(&run.lab).unwrap();
    let (wan1_ip, wan2_ip) = (addr::WAN1_GW_V4.to_string(), addr::WAN2_GW_V4.to_string());
    wait_subflow_from(&run, &stream, &token, &wan1_ip);
    wait_subflow_from(&run, &stream, &token, &wan2_ip);
    run.wait("a subflow counted on each WAN", |s| {
        endpoint(s, "wan1")["subflows"].as_u64() >= Some(1)
            && endpoint(s, "wan2")["subflows"].as_u64() >= Some(1)
    });

    // WAN2 dies: its endpoint goes as soon as the tracker says down, and
    // the stream goes on through WAN1 without losing a byte.
    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down and its endpoint gone",
        |s| state(s, "wan2") == "down" && endpoint(s, "wan2")["present"] == false,
        stays_up("wan1"),
    );
    assert!(
        kernel_endpoints(&run).iter().all(|(id, _, _)| *id != 2),
        "{:?}",
        kernel_endpoints(&run)
    );
    stream.wait_verified(1024 * 1024, STREAM).unwrap();

    // Restored: after `up` rounds and the hold-down the endpoint returns
    // with the same id, and the same connection joins on WAN2 again.
    run.lab.restore(Wan::Two).unwrap();
    run.watch(
        "wan2 up and its endpoint back",
        |s| state(s, "wan2") == "up" && endpoint(s, "wan2")["present"] == true,
        stays_up("wan1"),
    );
    assert!(
        kernel_endpoints(&run)
            .iter()
            .any(|(id, a, _)| *id == 2 && *a == wan2_ip),
        "{:?}",
        kernel_endpoints(&run)
    );
    assert_eq!(
        stream.token(&run.lab).unwrap(),
        token,
        "the same connection"
    );
    wait_subflow_from(&run, &stream, &token, &wan2_ip);
    stream.wait_verified(1024 * 1024, STREAM).unwrap();

    // `mpwan restart`: the new image adopts the endpoints; not one subflow
    // is torn down and rebuilt (the same local ports stay), and it counts
    // the subflows it finds as the old image did.
    let before: Vec<String> = stream
        .subflows(&run.lab, &token)
        .unwrap()
        .into_iter()
        .map(|s| s.local)
        .collect();
    let from = |ip: &str| before.iter().filter(|l| l.starts_with(ip)).count() as u64;
    let kernel_counts = (from(&wan1_ip), from(&wan2_ip));
    let counts = |s: &Value| {
        (
            endpoint(s, "wan1")["subflows"].as_u64().unwrap_or(u64::MAX),
            endpoint(s, "wan2")["subflows"].as_u64().unwrap_or(u64::MAX),
        )
    };
    run.wait("the kernel's subflows counted before the restart", |s| {
        counts(s) == kernel_counts
    });
    run.cli_ok("restart");
    run.wait("both WANs up after the restart", |s| {
        state(s, "wan1") == "up"
            && state(s, "wan2") == "up"
            && endpoint(s, "wan2")["present"] == true
    });
    run.wait("the same subflows counted after the restart", |s| {
        counts(s) == kernel_counts
    });
    stream.wait_verified(512 * 1024, STREAM).unwrap();
    let after: Vec<String> = stream
        .subflows(&run.lab, &token)
        .unwrap()
        .into_iter()
        .map(|s| s.local)
        .collect();
    for local in &before {
        assert!(
            after.contains(local),
            "subflow {local} was torn down: {before:?} -> {after:?}"
        );
    }
    let p = stream.stop().unwrap();
    assert!(p.error.is_none() && p.verified > 2 * 1024 * 1024, "{p:?}");
}

#[test]
fn a_degraded_wan_keeps_its_endpoint_as_backup_and_a_deleted_one_comes_back() {
    if skip_without_netns(
        "a_degraded_wan_keeps_its_endpoint_as_backup_and_a_deleted_one_comes_back",
    ) {
        return;
    }
    // Lossy but alive: rounds pass (any of three targets answers) while the
    // window shows loss above 30 %; `down = 6` keeps random runs of failed
    // rounds from taking it down during the test.
    let run = Run::start(AgentConfigOptions::default(), |p| {
        let f = p.config_dir.join("wan.d/wan2.toml");
        let mut text = std::fs::read_to_string(&f).unwrap();
        text.push_str("\n[tracker]\nfailure_loss = 30\nrecovery_loss = 5\ndown = 6\n");
        write(&f, &text);
    });
    run.wait("both endpoints present", |s| {
        endpoint(s, "wan1")["present"] == true && endpoint(s, "wan2")["present"] == true
    });
    let stream = MptcpStream::start(&run.lab, 4001).unwrap();
    let token = stream.token(&run.lab).unwrap();

    run.lab.loss(Wan::Two, 50).unwrap();
    run.watch(
        "wan2 degraded with a backup endpoint",
        |s| {
            state(s, "wan2") == "degraded"
                && endpoint(s, "wan2")["present"] == true
                && endpoint(s, "wan2")["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f == "backup")
        },
        stays_up("wan1"),
    );
    // In place: same id and address, now with backup; the connection lives.
    let eps = kernel_endpoints(&run);
    assert!(
        eps.iter().any(|(id, a, f)| *id == 2
            && *a == addr::WAN2_GW_V4.to_string()
            && f.contains("backup")),
        "{eps:?}"
    );
    assert_eq!(stream.token(&run.lab).unwrap(), token);
    run.lab.restore(Wan::Two).unwrap();
    run.wait("wan2 up with its flags back", |s| {
        state(s, "wan2") == "up" && endpoint(s, "wan2")["flags"] == serde_json::json!(["subflow"])
    });

    // Someone deletes an endpoint by hand: it is back within a period.
    run.lab
        .ns(Role::Gw)
        .run(&["ip", "mptcp", "endpoint", "delete", "id", "1"])
        .unwrap();
    run.wait("endpoint 1 repaired", |_| {
        kernel_endpoints(&run).iter().any(|(id, _, _)| *id == 1)
    });
    stream.wait_verified(512 * 1024, STREAM).unwrap();
    assert_eq!(stream.token(&run.lab).unwrap(), token);
    stream.stop().unwrap();
}

#[test]
fn with_mptcp_disabled_the_error_is_shown_and_tracking_goes_on() {
    if skip_without_netns("with_mptcp_disabled_the_error_is_shown_and_tracking_goes_on") {
        return;
    }
    let run = Run::start(AgentConfigOptions::default(), |_| {});
    run.lab
        .ns(Role::Gw)
        .run(&["sysctl", "-qw", "net.mptcp.enabled=0"])
        .unwrap();
    // The reconciler looks at the sysctl again at its next dump.
    run.wait("the MPTCP error in status", |s| {
        endpoint(s, "wan1")["error"]
            .as_str()
            .is_some_and(|e| e.contains("enabled"))
    });
    assert!(
        run.agent.log().to_lowercase().contains("mptcp"),
        "{}",
        run.agent.log()
    );
    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down without MPTCP",
        |s| state(s, "wan2") == "down",
        stays_up("wan1"),
    );
}

#[test]
fn per_wan_tables_are_kept_adopted_across_a_restart_and_removed_on_stop() {
    if skip_without_netns("per_wan_tables_are_kept_adopted_across_a_restart_and_removed_on_stop") {
        return;
    }
    let mut run = Run::start(AgentConfigOptions::default(), |p| {
        for (wan, table) in [("wan1", 101), ("wan2", 102)] {
            let f = p.config_dir.join(format!("wan.d/{wan}.toml"));
            let text = std::fs::read_to_string(&f)
                .unwrap()
                .replace("[mptcp]\n", &format!("[mptcp]\ntable = {table}\n"));
            write(&f, &text);
        }
    });
    let gw = run.lab.ns(Role::Gw);
    let ours = |family: &str| -> Vec<String> {
        gw.run(&["ip", family, "rule", "show"])
            .unwrap()
            .lines()
            .filter(|l| l.contains("proto 109"))
            .map(str::to_string)
            .collect()
    };
    run.wait("both tables routed", |s| {
        ["wan1", "wan2"].iter().all(|w| {
            let r = &wan(s, w)["routing"];
            r["v4"]["state"] == "routed" && r["v6"]["state"] == "routed"
        })
    });
    let v4 = ours("-4");
    assert!(
        v4.iter()
            .any(|l| l.contains(&format!("from {} lookup 101", addr::WAN1_GW_V4))),
        "{v4:?}"
    );
    assert!(
        v4.iter().any(|l| l.contains("oif wan2 lookup 102")),
        "{v4:?}"
    );
    let table = gw.run(&["ip", "route", "show", "table", "101"]).unwrap();
    assert!(
        table.contains(&format!("default via {} dev wan1", addr::WAN1_ISP_V4)),
        "{table}"
    );
    // Probes and subflows of WAN1 leave through table 101 even when the
    // main table loses WAN1's default route.
    gw.run(&["ip", "route", "del", "default", "dev", "wan1"])
        .unwrap();
    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down",
        |s| state(s, "wan2") == "down",
        stays_up("wan1"),
    );

    // `mpwan restart` leaves the rules: the same set, no duplicates.
    let before = (ours("-4"), ours("-6"));
    run.cli_ok("restart");
    run.wait("wan1 up after the restart", |s| state(s, "wan1") == "up");
    run.wait("the tables adopted", |s| {
        wan(s, "wan1")["routing"]["v4"]["state"] == "kept"
    });
    assert_eq!((ours("-4"), ours("-6")), before);

    // `mpwan stop` removes what mpwan made, and only that.
    run.cli_ok("stop");
    run.agent.wait_exit(DEADLINE).expect("the agent stops");
    assert!(
        ours("-4").is_empty() && ours("-6").is_empty(),
        "{:?}",
        (ours("-4"), ours("-6"))
    );
    assert!(
        gw.run(&["ip", "route", "show", "table", "101"])
            .unwrap()
            .trim()
            .is_empty(),
        "table 101 emptied"
    );
}

#[test]
fn a_reload_removing_a_wan_removes_its_endpoint_and_table_and_keeps_the_other_wan() {
    if skip_without_netns(
        "a_reload_removing_a_wan_removes_its_endpoint_and_table_and_keeps_the_other_wan",
    ) {
        return;
    }
    let run = Run::start(AgentConfigOptions::default(), |p| {
        for (wan, table) in [("wan1", 101), ("wan2", 102)] {
            let f = p.config_dir.join(format!("wan.d/{wan}.toml"));
            let text = std::fs::read_to_string(&f)
                .unwrap()
                .replace("[mptcp]\n", &format!("[mptcp]\ntable = {table}\n"));
            write(&f, &text);
        }
    });
    let gw = run.lab.ns(Role::Gw);
    let rules = |table: &str| -> usize {
        ["-4", "-6"]
            .iter()
            .map(|f| {
                gw.run(&["ip", f, "rule", "show"])
                    .unwrap()
                    .lines()
                    .filter(|l| l.contains("proto 109") && l.contains(&format!("lookup {table}")))
                    .count()
            })
            .sum()
    };
    run.wait("both endpoints present and both tables routed", |s| {
        ["wan1", "wan2"].iter().all(|w| {
            endpoint(s, w)["present"] == true && wan(s, w)["routing"]["v4"]["state"] == "routed"
        })
    });
    assert!(rules("102") > 0);
    let before = run.status();

    std::fs::remove_file(run.paths.config_dir.join("wan.d/wan2.toml")).unwrap();
    run.cli_ok("reload");
    run.wait("wan2 gone from status", |s| {
        s["wans"].as_array().unwrap().len() == 1
    });
    assert!(
        wait_for(DEADLINE, || {
            let eps = kernel_endpoints(&run);
            !eps.iter().any(|(id, _, _)| *id == Wan::Two.mptcp_id())
                && eps.iter().any(|(id, _, _)| *id == Wan::One.mptcp_id())
        }),
        "wan2's endpoint not removed (or wan1's lost): {:?}\n{}",
        kernel_endpoints(&run),
        run.agent.log()
    );
    assert!(
        wait_for(DEADLINE, || rules("102") == 0
            && gw
                .run(&["ip", "route", "show", "table", "102"])
                .unwrap()
                .trim()
                .is_empty()),
        "wan2's rules or table left: {}",
        run.agent.log()
    );
    assert!(rules("101") > 0, "wan1's rules went too");
    let after = run.status();
    for key in ["state", "since", "transitions"] {
        assert_eq!(
            wan(&before, "wan1")[key],
            wan(&after, "wan1")[key],
            "wan1's {key} changed by the reload"
        );
    }
}
