//! The service manager's view (sd_notify, systemd `Type=notify`): the test
//! binds the notify socket, starts the agent with `NOTIFY_SOCKET` pointing
//! at it, and checks what arrives and when: `READY=1` only once the control
//! socket answers, `RELOADING=1` … `READY=1` around every reload,
//! `RELOADING=1` then `READY=1` from the same pid across `mpwan restart`,
//! `STOPPING=1` on stop.

mod common;

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;
use mpwan_lab::{NetNs, skip_without_netns};
use nix::sys::signal::Signal;

/// Starts `mpwan agent` in `ns` with `NOTIFY_SOCKET=notify`.
fn start_agent(ns: &NetNs, conf: &ConfDir, notify: &str) -> Agent {
    let mut cmd: Command = ns.command(MPWAN);
    cmd.args(["agent", "--config"])
        .arg(conf.path())
        .env("NOTIFY_SOCKET", notify);
    Agent::spawn(cmd)
}

/// The next notice, as its `KEY=value` lines; panics after the deadline.
fn next(socket: &UnixDatagram, agent: &Agent) -> Vec<String> {
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut buf = [0u8; 4096];
    let n = socket
        .recv(&mut buf)
        .unwrap_or_else(|e| panic!("no notice within {DEADLINE:?}: {e}\n{}", agent.log()));
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Nothing more arrives within `quiet`.
fn none_within(socket: &UnixDatagram, quiet: Duration) {
    socket.set_read_timeout(Some(quiet)).unwrap();
    let mut buf = [0u8; 4096];
    if let Ok(n) = socket.recv(&mut buf) {
        panic!(
            "unexpected notice: {:?}",
            String::from_utf8_lossy(&buf[..n])
        );
    }
}

fn is_ready(notice: &[String], pid: i32) -> bool {
    notice.iter().any(|l| l == "READY=1") && notice.contains(&format!("MAINPID={pid}"))
}

fn is_reloading(notice: &[String]) -> bool {
    notice.iter().any(|l| l == "RELOADING=1")
        && notice.iter().any(|l| {
            l.strip_prefix("MONOTONIC_USEC=")
                .is_some_and(|v| v.parse::<u64>().is_ok_and(|v| v > 0))
        })
}

fn cli(socket: &Path, command: &str) -> std::process::Output {
    mpwan(&[command, "--socket", socket.to_str().unwrap()])
}

#[test]
fn ready_reloading_and_stopping_reach_the_service_manager() {
    if skip_without_netns("ready_reloading_and_stopping_reach_the_service_manager") {
        return;
    }
    let ns = NetNs::create_unique("gw").unwrap();
    let conf = ConfDir::new(&[("wan1", &wan_toml("wan1", "203.0.113.1"))]);
    let path = conf.path().join("notify.sock");
    let notify = UnixDatagram::bind(&path).unwrap();
    let mut agent = start_agent(&ns, &conf, path.to_str().unwrap());
    let pid = agent.pid();
    let socket = conf.socket();

    // The first notice is READY=1, and by then the control socket answers
    // at the first try.
    let first = next(&notify, &agent);
    assert!(is_ready(&first, pid), "{first:?}");
    let st = status_json(&socket).expect("the control socket answers once READY=1 is sent");
    assert_eq!(st["pid"].as_i64(), Some(i64::from(pid)));

    // A reload over the socket, a reload by SIGHUP, a rejected reload:
    // each is bracketed by RELOADING=1 and READY=1.
    let out = cli(&socket, "reload");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(is_reloading(&next(&notify, &agent)));
    assert!(is_ready(&next(&notify, &agent), pid));
    agent.signal(Signal::SIGHUP);
    assert!(is_reloading(&next(&notify, &agent)));
    assert!(is_ready(&next(&notify, &agent), pid));
    conf.write("wan.d/wan2.toml", "interface = \"wan2\"\nbogus_key = 1\n");
    let out = cli(&socket, "reload");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(is_reloading(&next(&notify, &agent)));
    assert!(is_ready(&next(&notify, &agent), pid));
    conf.remove("wan.d/wan2.toml");
    none_within(&notify, Duration::from_millis(300));

    // Restart in place: RELOADING=1 from the old image, READY=1 with the
    // same MAINPID from the new one, which then answers.
    let before = status_json(&socket).unwrap();
    let out = cli(&socket, "restart");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(is_reloading(&next(&notify, &agent)));
    assert!(is_ready(&next(&notify, &agent), pid));
    let after = status_json(&socket).unwrap();
    assert_eq!(after["pid"], before["pid"]);
    assert_ne!(after["instance"], before["instance"]);
    assert!(agent.child.try_wait().unwrap().is_none());

    // Stop: STOPPING=1, then a clean exit and nothing more.
    let out = cli(&socket, "stop");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(next(&notify, &agent), ["STOPPING=1"]);
    let status = agent.wait_exit(DEADLINE).expect("the agent exits");
    assert!(status.success(), "{status}: {}", agent.log());
    none_within(&notify, Duration::from_millis(100));
}

#[test]
fn sigterm_says_stopping_and_a_bad_configuration_never_says_ready() {
    if skip_without_netns("sigterm_says_stopping_and_a_bad_configuration_never_says_ready") {
        return;
    }
    let ns = NetNs::create_unique("gw").unwrap();
    let conf = ConfDir::new(&[("wan1", &wan_toml("wan1", "203.0.113.1"))]);
    // An abstract-namespace address, as sd_notify(3) allows. Abstract
    // sockets belong to a network namespace: bind it inside the agent's.
    let name = format!("mpwan-test-notify-{}", ns.name());
    let notify = ns
        .enter(|| {
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
        })
        .unwrap()
        .unwrap();
    let at = format!("@{name}");

    let mut agent = start_agent(&ns, &conf, &at);
    assert!(is_ready(&next(&notify, &agent), agent.pid()));
    agent.signal(Signal::SIGTERM);
    assert_eq!(next(&notify, &agent), ["STOPPING=1"]);
    assert!(agent.wait_exit(DEADLINE).expect("exits").success());

    conf.write("wan.d/wan2.toml", "interface = \"wan2\"\nbogus_key = 1\n");
    let mut bad = start_agent(&ns, &conf, &at);
    let status = bad.wait_exit(DEADLINE).expect("a bad configuration exits");
    assert_eq!(status.code(), Some(2), "{}", bad.log());
    none_within(&notify, Duration::from_millis(100));
}
