//! The demo behind `scripts/demo`: builds the lab, runs `mpwan agent` in the
//! gateway namespace, plays a scripted story and prints a timeline. Every
//! step waits for what it expects with a deadline; a step that does not
//! happen makes the demo exit 1. The lab is removed on every exit path.
//!
//! The story: both WANs up with an MPTCP stream using both -> WAN2 (the
//! main table's preferred uplink) black-holed: down, its endpoint removed,
//! the hook ran, the stream goes on -> restored: hold-down, endpoint back,
//! the same connection rebuilds its subflow on WAN2 -> `mpwan restart`:
//! same pid, no subflow torn down -> `mpwan stop`.
//!
//! Usage: mpwan-demo PATH-TO-MPWAN

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use mpwan_lab::bench::agent::{mpwan_cli as cli, status_json, wan_entry};
use mpwan_lab::bgp_peer::{Family, GobgpOptions, GobgpPeer};
use mpwan_lab::wait::{Clock, until};
use mpwan_lab::{AgentConfigOptions, BgpOptions, Lab, LabChild, MptcpStream, Role, Wan, addr};
use serde_json::Value;

/// Generous: a step waits for the agent on a possibly loaded machine.
const STEP: Duration = Duration::from_secs(30);
/// The prefix the agent announces while wan2 works.
const PREFIX: &str = "198.51.100.0/24";
/// gobgpd's port in the peer namespace.
const PEER_PORT: u16 = 1790;

struct Timeline {
    clock: Clock,
}

impl Timeline {
    fn say(&self, what: &str) {
        let t = self.clock.elapsed();
        println!("{:>4}.{:03}s  {what}", t.as_secs(), t.subsec_millis());
    }
}

fn main() {
    let mpwan = match std::env::args_os().nth(1) {
        Some(p) => PathBuf::from(p),
        None => {
            eprintln!("usage: mpwan-demo PATH-TO-MPWAN");
            std::process::exit(2);
        }
    };
    match run(&mpwan) {
        Ok(()) => println!("\ndemo finished: every step happened"),
        Err(e) => {
            eprintln!("\ndemo FAILED: {e:#}");
            std::process::exit(1);
        }
    }
}

struct Agent<'a> {
    mpwan: &'a Path,
    socket: PathBuf,
}

impl Agent<'_> {
    fn status(&self) -> Result<Value> {
        status_json(self.mpwan, &self.socket)
    }

    /// Waits until `f` holds for the status; returns that status.
    fn until(&self, what: &str, f: impl Fn(&Value) -> bool) -> Result<Value> {
        until(what, STEP, || {
            let s = self.status()?;
            if f(&s) { Ok(s) } else { bail!("not yet") }
        })
    }
}

/// WAN `name`'s entry in a status, null when it has none.
fn wan<'a>(s: &'a Value, name: &str) -> &'a Value {
    wan_entry(s, name).unwrap_or(&Value::Null)
}

fn run(mpwan: &Path) -> Result<()> {
    let mpwan = std::fs::canonicalize(mpwan).with_context(|| format!("{}", mpwan.display()))?;
    let tl = Timeline {
        clock: Clock::start(),
    };
    let lab = Lab::new().context("building the lab")?;
    tl.say(&format!(
        "lab {} built in {} ms: gateway with wan1 and wan2 (wan2 preferred in the main table), two ISPs, \
         an internet with ICMP targets, a DNS server, an HTTP server and an MPTCP server",
        lab.run_id(),
        lab.build_time().as_millis()
    ));

    let opts = AgentConfigOptions {
        dns_probe: true,
        http_probe: true,
        agent: "hook_timeout = \"5s\"\n".into(),
        bgp: Some(BgpOptions {
            listen_port: 0,
            peer_port: PEER_PORT,
        }),
        extra: format!("\n[[bgp.announce]]\nprefix = \"{PREFIX}\"\nwhen = [\"wan2\"]\n"),
        ..AgentConfigOptions::default()
    };
    let paths = lab.write_agent_config(&lab.dir().join("etc"), &opts)?;
    let hook_log = lab.dir().join("hook.log");
    let hook = paths.hooks_dir.join("10-log");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\necho \"$MPWAN_WAN $MPWAN_PREV_STATE -> $MPWAN_STATE (ACTION=$ACTION)\" >> {}\n",
            hook_log.display()
        ),
    )?;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    tl.say("configuration: 250 ms probe interval, down after 3 failed rounds, up after 3 passed + 1 s hold-down; ICMP v4+v6, DNS and HTTP probes per WAN; a hook that logs every transition");

    let mut cmd = lab.command(Role::Gw, mpwan.to_str().context("mpwan path")?);
    cmd.arg("agent").arg("--config").arg(&paths.config_dir);
    let mut child = LabChild::spawn_logged(cmd, "mpwan agent", &lab.dir().join("agent.log"))?;
    let result = story(&tl, &lab, &mpwan, &paths, &hook_log, &mut child);
    if result.is_err() && std::env::var_os("MPWAN_DEMO_DEBUG").is_some() {
        for role in [Role::Gw, Role::Inet] {
            let ss = lab.ns(role).run(&["ss", "-tniH"]).unwrap_or_default();
            eprintln!("--- ss -tni in {role}:\n{ss}");
        }
        eprintln!("--- agent log:\n{}", child.log());
    }
    result?;
    drop(lab);
    tl.say("lab removed");
    Ok(())
}

/// The scripted story, with the agent running.
fn story(
    tl: &Timeline,
    lab: &Lab,
    mpwan: &Path,
    paths: &mpwan_lab::AgentPaths,
    hook_log: &Path,
    child: &mut LabChild,
) -> Result<()> {
    let agent = Agent {
        mpwan,
        socket: paths.control_socket.clone(),
    };
    until("the agent answers on its control socket", STEP, || {
        if let Some(st) = child.try_wait()? {
            bail!("the agent exited with {st}: {}", child.log());
        }
        agent.status()
    })?;
    let pid = child.id();
    tl.say(&format!(
        "mpwan agent started in {} (pid {pid})",
        lab.ns(Role::Gw).name()
    ));

    let present = |s: &Value, w: &str| wan(s, w)["mptcp"]["present"] == true;
    agent.until("both WANs up with their endpoints", |s| {
        ["wan1", "wan2"]
            .iter()
            .all(|w| wan(s, w)["state"] == "up" && present(s, w))
    })?;
    tl.say("wan1 and wan2 up; MPTCP endpoints 1 and 2 present");

    let peer = GobgpPeer::start(
        lab,
        GobgpOptions {
            listen_port: PEER_PORT,
            ..GobgpOptions::default()
        },
    )?;
    let at_peer = |stale: Option<bool>| -> bool {
        peer.routes(Family::Ipv4).is_ok_and(|r| {
            r.iter()
                .any(|r| r.prefix == PREFIX && stale.is_none_or(|s| r.stale == s))
        })
    };
    let peer_until = |what: &str, f: &dyn Fn() -> bool| {
        until(what, STEP, || if f() { Ok(()) } else { bail!("not yet") })
    };
    agent.until("the BGP session established", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    })?;
    peer_until("the prefix at the peer", &|| at_peer(Some(false)))?;
    tl.say(&format!(
        "BGP session with gobgpd (AS 65000) established, Graceful Restart and LLGR negotiated; {PREFIX} announced while wan2 works"
    ));

    let stream = MptcpStream::start(lab, 4000)?;
    let token = stream.token(lab)?;
    let (ip1, ip2) = (addr::WAN1_GW_V4.to_string(), addr::WAN2_GW_V4.to_string());
    let subflow_from = |ip: &str| -> Result<()> {
        until(&format!("a subflow from {ip}"), STEP, || {
            let s = stream.subflows(lab, &token)?;
            ensure!(s.iter().any(|f| f.local.starts_with(ip)), "{s:?}");
            Ok(())
        })
    };
    subflow_from(&ip1)?;
    subflow_from(&ip2)?;
    tl.say(&format!(
        "MPTCP stream (token {token}) to {}: one subflow on each WAN, every byte checked at the server",
        addr::MPTCP_V4
    ));

    lab.blackhole(Wan::Two)?;
    let t0 = tl.clock.elapsed();
    tl.say("wan2 black-holed at its ISP (nftables drop)");
    agent.until("wan2 down", |s| wan(s, "wan2")["state"] == "down")?;
    let took = tl.clock.elapsed().saturating_sub(t0);
    tl.say(&format!(
        "wan2 down, {} ms after the black hole; wan1 still up",
        took.as_millis()
    ));
    agent.until("endpoint 2 removed", |s| !present(s, "wan2"))?;
    tl.say("MPTCP endpoint 2 removed from the kernel");
    peer_until("the prefix withdrawn at the peer", &|| !at_peer(None))?;
    tl.say(&format!("{PREFIX} withdrawn: gone from gobgpd's RIB"));
    stream.wait_verified(512 * 1024, STEP)?;
    tl.say(&format!(
        "the stream goes on over wan1: {} KiB checked so far, no byte lost",
        stream.progress().verified / 1024
    ));

    lab.restore(Wan::Two)?;
    tl.say("wan2 restored");
    let s = agent.until("wan2 in hold-down", |s| {
        wan(s, "wan2")["families"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| !f["hold_down_until"].is_null()))
            || wan(s, "wan2")["state"] == "up"
    })?;
    if wan(&s, "wan2")["state"] == "down" {
        tl.say("wan2 passes again: held down until it has proven itself");
    }
    agent.until("wan2 up with endpoint 2", |s| {
        wan(s, "wan2")["state"] == "up" && present(s, "wan2")
    })?;
    tl.say("wan2 up after the hold-down; endpoint 2 re-added with the same id");
    subflow_from(&ip2)?;
    ensure!(stream.token(lab)? == token, "the connection changed");
    tl.say(&format!(
        "connection {token} rebuilt its subflow on wan2 (no reconnect)"
    ));
    peer_until("the prefix back at the peer", &|| at_peer(Some(false)))?;
    tl.say(&format!("{PREFIX} announced again"));
    let watch = peer.watch(Family::Ipv4, Duration::from_millis(50))?;

    let out = cli(mpwan, &paths.control_socket, &["restart"]);
    out?;
    let s = agent.until("the agent back after restart", |s| {
        wan(s, "wan1")["state"] == "up" && wan(s, "wan2")["state"] == "up"
    })?;
    ensure!(s["pid"] == pid, "the pid changed across the restart");
    stream.wait_verified(256 * 1024, STEP)?;
    tl.say(&format!(
        "mpwan restart: re-executed in place (pid {pid}), endpoints adopted, stream intact"
    ));
    agent.until("the BGP session back", |s| {
        s["bgp"]["neighbors"][0]["state"] == "established"
    })?;
    peer_until("the prefix fresh after End-of-RIB", &|| {
        at_peer(Some(false))
    })?;
    let history = watch.stop()?;
    let first = history.samples.first().map(|s| s.at).unwrap_or_default();
    ensure!(
        history.present_throughout(PREFIX, first, history.end),
        "the peer lost {PREFIX} during the restart"
    );
    let held_stale = history
        .samples
        .iter()
        .any(|s| s.routes.iter().any(|r| r.prefix == PREFIX && r.stale));
    tl.say(&format!(
        "gobgpd never withdrew {PREFIX} across the restart ({}), fresh again after our End-of-RIB",
        if held_stale {
            "held as stale meanwhile"
        } else {
            "kept"
        }
    ));

    let hooks = std::fs::read_to_string(hook_log).unwrap_or_default();
    tl.say("the hook saw:");
    for line in hooks.lines() {
        println!("             {line}");
    }
    ensure!(
        hooks.contains("wan2 up -> down") || hooks.contains("wan2 degraded -> down"),
        "no down hook for wan2"
    );

    let p = stream.stop()?;
    tl.say(&format!(
        "stream stopped: {} KiB sent, {} KiB checked, no error",
        p.sent / 1024,
        p.verified / 1024
    ));

    let table = cli(mpwan, &paths.control_socket, &["status"])?;
    tl.say("mpwan status:");
    for line in table.lines() {
        println!("             {line}");
    }

    cli(mpwan, &paths.control_socket, &["stop"])?;
    until("the agent exits after `mpwan stop`", STEP, || {
        match child.try_wait()? {
            Some(st) if st.success() => Ok(()),
            Some(st) => bail!("the agent exited with {st}"),
            None => bail!("still running"),
        }
    })?;
    tl.say("mpwan stop: the agent exited cleanly");
    peer_until("the prefix withdrawn after stop", &|| !at_peer(None))?;
    tl.say(&format!(
        "{PREFIX} withdrawn at once by the peer (Cease on stop)"
    ));
    Ok(())
}
