//! The agent as the packaged service runs it: not root, but an
//! unprivileged uid holding only CAP_NET_ADMIN, CAP_NET_RAW and
//! CAP_NET_BIND_SERVICE (systemd's `User=` with `AmbientCapabilities=`,
//! here made with `setpriv`). In the lab it must track both WANs with ICMP
//! on raw sockets, DNS and HTTP probes bound to each WAN, manage MPTCP endpoints and per-WAN routing, accept a BGP
//! session on port 179, restart in place keeping its capabilities, and be
//! driven over its control socket by its own uid (and by root), not by
//! another one.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;
use mpwan_lab::bgp_peer::{Family, GobgpOptions, GobgpPeer};
use mpwan_lab::{AgentConfigOptions, BgpOptions, Lab, Role, Wan, skip_without_netns};

/// The agent's uid and gid (`nobody`, as a stand-in for the `mpwan` user).
const UID: u32 = 65534;
/// Another unprivileged uid, which the control socket must refuse.
const OTHER_UID: u32 = 65533;
/// CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12), CAP_NET_RAW (13).
const CAPS_MASK: u64 = (1 << 10) | (1 << 12) | (1 << 13);
const CAPS: &str = "+net_admin,+net_raw,+net_bind_service";
const PREFIX: &str = "198.51.100.0/24";
const PEER_PORT: u16 = 1790;

/// `setpriv` arguments that run a program as `uid` with `caps` (none when
/// empty) and nothing else: no groups, no other capability even in the
/// bounding set.
fn setpriv_args(uid: u32, caps: &str) -> Vec<String> {
    let mut args = vec![
        format!("--reuid={uid}"),
        format!("--regid={uid}"),
        "--clear-groups".to_string(),
    ];
    if caps.is_empty() {
        args.push("--bounding-set=-all".to_string());
    } else {
        args.push(format!("--inh-caps={caps}"));
        args.push(format!("--ambient-caps={caps}"));
        args.push(format!("--bounding-set=-all,{caps}"));
    }
    args
}

/// Starts `mpwan agent` in gw as [`UID`] with only the three capabilities.
fn start_agent(lab: &Lab, config_dir: &Path) -> Agent {
    let mut cmd = lab.command(Role::Gw, "setpriv");
    cmd.args(setpriv_args(UID, CAPS))
        .args([MPWAN, "agent", "--config"])
        .arg(config_dir);
    Agent::spawn(cmd)
}

/// `mpwan <args>` as `uid` without capabilities.
fn cli_as(uid: u32, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args(setpriv_args(uid, ""))
        .arg(MPWAN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `status --json` as the agent's uid, parsed.
fn status_as_agent_user(socket: &Path) -> serde_json::Value {
    let out = cli_as(
        UID,
        &["status", "--json", "--socket", socket.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// (uid, effective, permitted, bounding, ambient) of a process.
fn creds(pid: i32) -> (u32, u64, u64, u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> String {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
            .trim()
            .to_string()
    };
    let cap = |name: &str| u64::from_str_radix(&field(name), 16).unwrap();
    let uid = field("Uid:")
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    (
        uid,
        cap("CapEff:"),
        cap("CapPrm:"),
        cap("CapBnd:"),
        cap("CapAmb:"),
    )
}

fn assert_unprivileged(pid: i32) {
    assert_eq!(
        creds(pid),
        (UID, CAPS_MASK, CAPS_MASK, CAPS_MASK, CAPS_MASK),
        "uid and capabilities of the agent"
    );
}

fn endpoints(lab: &Lab) -> String {
    lab.ns(Role::Gw)
        .run(&["ip", "mptcp", "endpoint", "show"])
        .unwrap()
}

fn our_rules(lab: &Lab) -> Vec<String> {
    lab.ns(Role::Gw)
        .run(&["ip", "-4", "rule", "show"])
        .unwrap()
        .lines()
        .filter(|l| l.contains("proto 109"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_agent_works_unprivileged_with_three_capabilities() {
    if skip_without_netns("the_agent_works_unprivileged_with_three_capabilities") {
        return;
    }
    let lab = Lab::new().expect("lab");
    let opts = AgentConfigOptions {
        bgp: Some(BgpOptions {
            listen_port: 179,
            peer_port: PEER_PORT,
        }),
        extra: format!("[[bgp.announce]]\nprefix = \"{PREFIX}\"\nwhen = \"any\"\n"),
        // DNS and HTTP probes too: UDP and TCP sockets bound to the WAN.
        dns_probe: true,
        http_probe: true,
        ..AgentConfigOptions::default()
    };
    let mut paths = lab
        .write_agent_config(&lab.dir().join("etc"), &opts)
        .unwrap();

    // As systemd sets it up: the configuration is root's and read-only to
    // the agent; the runtime directory (socket, lock, state) is the
    // agent's own, mode 0700.
    let run_dir = lab.dir().join("run");
    std::fs::create_dir(&run_dir).unwrap();
    std::os::unix::fs::chown(&run_dir, Some(UID), Some(UID)).unwrap();
    std::fs::set_permissions(&run_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let main = paths.config_dir.join("mpwan.toml");
    let text = std::fs::read_to_string(&main)
        .unwrap()
        .replace(
            &format!("control_socket = \"{}\"", paths.control_socket.display()),
            &format!("control_socket = \"{}/mpwan.sock\"", run_dir.display()),
        )
        .replace(
            &format!("state_dir = \"{}\"", paths.state_dir.display()),
            &format!("state_dir = \"{}\"", run_dir.display()),
        )
        // The peer must come to us: the session proves the listener on 179.
        .replace(
            &format!("port = {PEER_PORT}\n"),
            &format!("port = {PEER_PORT}\npassive = true\n"),
        );
    write(&main, &text);
    paths.control_socket = run_dir.join("mpwan.sock");
    paths.state_dir = run_dir.clone();
    for (wan, table) in [("wan1", 101), ("wan2", 102)] {
        let f = paths.config_dir.join(format!("wan.d/{wan}.toml"));
        let text = std::fs::read_to_string(&f)
            .unwrap()
            .replace("[mptcp]\n", &format!("[mptcp]\ntable = {table}\n"));
        write(&f, &text);
    }
    // No datagram ICMP sockets for any group (a fresh namespace's default;
    // the lab opens them for its own tools): the probes can then only work
    // on raw sockets, that is with CAP_NET_RAW.
    lab.ns(Role::Gw)
        .run(&["sysctl", "-qw", "net.ipv4.ping_group_range=1 0"])
        .unwrap();

    let peer = GobgpPeer::start(
        &lab,
        GobgpOptions {
            listen_port: PEER_PORT,
            passive: false,
            neighbor_port: 179,
            ..GobgpOptions::default()
        },
    )
    .unwrap();
    let agent = start_agent(&lab, &paths.config_dir);
    let pid = agent.pid();
    let socket = paths.control_socket.clone();
    let mut run = Run { agent, paths, lab };
    let answers = wait_for(DEADLINE, || {
        if let Ok(Some(st)) = run.agent.child.try_wait() {
            panic!("the agent exited with {st}: {}", run.agent.log());
        }
        status_json(&socket).is_some()
    });
    assert!(answers, "the agent never answered: {}", run.agent.log());
    run.wait("both WANs up", |s| {
        state(s, "wan1") == "up" && state(s, "wan2") == "up"
    });
    run.wait("an answer from every ICMP, DNS and HTTP target", |s| {
        ["wan1", "wan2"].iter().all(|w| {
            let targets = wan(s, w)["targets"].as_array().unwrap();
            let methods: Vec<&str> = targets
                .iter()
                .filter_map(|t| t["method"].as_str())
                .collect();
            ["icmp", "dns", "http"].iter().all(|m| methods.contains(m))
                && targets.iter().all(|t| t["rtt_ms"].is_number())
        })
    });
    assert_unprivileged(pid);
    let meta = std::fs::metadata(&socket).unwrap();
    assert_eq!(
        (
            std::os::unix::fs::MetadataExt::uid(&meta),
            meta.permissions().mode() & 0o777
        ),
        (UID, 0o600)
    );

    // The control socket: the agent's uid and root may use it, another
    // uid may not.
    let st = status_as_agent_user(&socket);
    assert_eq!(st["pid"].as_i64(), Some(i64::from(pid)));
    assert!(status_json(&socket).is_some(), "root is let in");
    let out = cli_as(
        OTHER_UID,
        &["status", "--json", "--socket", socket.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("permission denied"),
        "{out:?}"
    );

    // MPTCP endpoints and per-WAN routing made over netlink.
    run.wait("both endpoints present and both tables routed", |s| {
        ["wan1", "wan2"].iter().all(|w| {
            wan(s, w)["mptcp"]["present"] == true && wan(s, w)["routing"]["v4"]["state"] == "routed"
        })
    });
    let eps = endpoints(&run.lab);
    assert!(
        eps.contains("id 1 ") && eps.contains("id 2 "),
        "ip mptcp endpoint show: {eps}"
    );
    assert!(
        our_rules(&run.lab)
            .iter()
            .any(|l| l.contains("oif wan2 lookup 102")),
        "{:?}",
        our_rules(&run.lab)
    );

    // BGP: listening on 179 and the peer's session accepted there.
    let listening = run
        .lab
        .ns(Role::Gw)
        .run(&["ss", "-Hltn", "sport = :179"])
        .unwrap();
    assert!(!listening.trim().is_empty(), "nothing listens on 179");
    run.wait("the BGP session established", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    });
    assert!(
        wait_for(Duration::from_secs(30), || peer
            .routes(Family::Ipv4)
            .is_ok_and(|r| r.iter().any(|r| r.prefix == PREFIX))),
        "the prefix never reached the peer"
    );

    // A WAN fails: its endpoint is deleted, unprivileged.
    run.lab.blackhole(Wan::Two).unwrap();
    run.watch(
        "wan2 down and its endpoint gone",
        |s| state(s, "wan2") == "down" && wan(s, "wan2")["mptcp"]["present"] == false,
        stays_up("wan1"),
    );
    assert!(!endpoints(&run.lab).contains("id 2 "));
    run.lab.restore(Wan::Two).unwrap();

    // `mpwan restart` by the agent's own uid: the same process, a new
    // image, the same capabilities (ambient ones survive the exec).
    let out = cli_as(UID, &["restart", "--socket", socket.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let after = status_as_agent_user(&socket);
    assert_eq!(after["pid"], st["pid"]);
    assert_ne!(after["instance"], st["instance"]);
    assert_unprivileged(pid);
    run.wait("both WANs up and the session back after the restart", |s| {
        state(s, "wan1") == "up"
            && state(s, "wan2") == "up"
            && wan(s, "wan2")["mptcp"]["present"] == true
            && s["bgp"]["neighbors"][0]["state"] == "established"
    });

    // `mpwan stop` by the agent's uid: a clean exit that removes the rules.
    let out = cli_as(UID, &["stop", "--socket", socket.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let status = run.agent.wait_exit(DEADLINE).expect("the agent stops");
    assert!(status.success(), "{status}: {}", run.agent.log());
    assert!(our_rules(&run.lab).is_empty(), "{:?}", our_rules(&run.lab));
    let log = run.agent.log();
    assert!(
        !log.contains("ermission denied") && !log.contains("EPERM"),
        "a permission error under capabilities:\n{log}"
    );
}
