//! The daemon shell for real: control socket, single instance, reload,
//! restart in place, stop. The agent runs inside a namespace of its own.

mod common;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};

use common::*;
use mpwan_lab::{NetNs, skip_without_netns};
use nix::sys::signal::Signal;

fn wans(status: &serde_json::Value) -> Vec<(String, String)> {
    status["wans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["name"].as_str().unwrap().to_string(),
                w["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn socket_is_private_status_lists_wans_and_a_second_agent_is_refused() {
    if skip_without_netns("socket_is_private_status_lists_wans_and_a_second_agent_is_refused") {
        return;
    }
    let ns = NetNs::create_unique("gw").unwrap();
    let conf = ConfDir::new(&[
        ("wan1", &wan_toml("wan1", "203.0.113.1")),
        ("wan2", &wan_toml("wan2", "203.0.113.2")),
    ]);
    let agent = Agent::start_ready(Some(&ns), &conf);

    let meta = std::fs::metadata(conf.socket()).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    let st = status_json(&conf.socket()).unwrap();
    assert_eq!(
        wans(&st),
        [
            ("wan1".into(), "init".into()),
            ("wan2".into(), "init".into())
        ]
    );
    assert_eq!(st["pid"].as_i64(), Some(i64::from(agent.pid())));
    assert_eq!(st["wans"][0]["interface"], "wan1");
    assert_eq!(st["wans"][0]["targets"][0]["target"], "203.0.113.1");
    assert!(st["bgp"]["neighbors"].as_array().unwrap().is_empty());

    // A second agent on the same socket refuses, and the first keeps serving.
    let mut second = Agent::start(Some(&ns), &conf);
    let status = second.wait_exit(DEADLINE).expect("second agent exits");
    assert_eq!(status.code(), Some(1), "{}", second.log());
    assert!(
        second.log().contains("another mpwan agent"),
        "{}",
        second.log()
    );
    assert!(status_json(&conf.socket()).is_some());
}

#[test]
fn reload_applies_a_good_configuration_and_keeps_the_running_one_on_errors() {
    if skip_without_netns("reload_applies_a_good_configuration_and_keeps_the_running_one_on_errors")
    {
        return;
    }
    let ns = NetNs::create_unique("gw").unwrap();
    let conf = ConfDir::new(&[("wan1", &wan_toml("wan1", "203.0.113.1"))]);
    let agent = Agent::start_ready(Some(&ns), &conf);
    let socket = conf.socket();
    let sock = socket.to_str().unwrap();

    // A broken file arrives; SIGHUP must keep the daemon and its config.
    conf.write("wan.d/wan2.toml", "interface = \"wan2\"\nbogus_key = 1\n");
    agent.signal(Signal::SIGHUP);
    assert!(
        wait_for(DEADLINE, || agent.log().contains("rejected")),
        "{}",
        agent.log()
    );
    assert!(agent.log().contains("wan2.toml"), "{}", agent.log());
    assert_eq!(
        wans(&status_json(&socket).unwrap()),
        [("wan1".into(), "init".into())]
    );

    // The same through the CLI: errors on stderr, exit 2, nothing on stdout.
    let out = mpwan(&["reload", "--socket", sock]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus_key"));

    // Fixed: the reload adds wan2 and keeps wan1.
    conf.write("wan.d/wan2.toml", &wan_toml("wan2", "203.0.113.2"));
    let out = mpwan(&["reload", "--socket", sock]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("added wan2") && msg.contains("unchanged wan1"),
        "{msg}"
    );
    assert_eq!(
        wans(&status_json(&socket).unwrap()),
        [
            ("wan1".into(), "init".into()),
            ("wan2".into(), "init".into())
        ]
    );
}

#[test]
fn sigterm_stops_cleanly_and_removes_the_socket() {
    if skip_without_netns("sigterm_stops_cleanly_and_removes_the_socket") {
        return;
    }
    let ns = NetNs::create_unique("gw").unwrap();
    let conf = ConfDir::new(&[("wan1", &wan_toml("wan1", "203.0.113.1"))]);
    let mut agent = Agent::start_ready(Some(&ns), &conf);
    agent.signal(Signal::SIGTERM);
    // DESIGN asks for an exit within 2 s; bench/daemon measures it. Here we
    // only wait generously for the clean exit.
    let status = agent.wait_exit(DEADLINE).expect("agent exits on SIGTERM");
    assert!(status.success(), "{status}: {}", agent.log());
    assert!(!conf.socket().exists());
}

#[test]
fn a_stale_socket_is_replaced() {
    if skip_without_netns("a_stale_socket_is_replaced") {
        return;
    }
    let ns = NetNs::create_unique("gw").unwrap();
    let conf = ConfDir::new(&[("wan1", &wan_toml("wan1", "203.0.113.1"))]);
    std::fs::create_dir_all(conf.socket().parent().unwrap()).unwrap();
    // A socket file nobody listens on, as a crashed agent leaves behind.
    drop(std::os::unix::net::UnixListener::bind(conf.socket()).unwrap());
    assert!(conf.socket().exists());
    let _agent = Agent::start_ready(Some(&ns), &conf);
}

#[test]
fn restart_re_executes_in_place_and_stop_ends_the_agent() {
    if skip_without_netns("restart_re_executes_in_place_and_stop_ends_the_agent") {
        return;
    }
    let ns = NetNs::create_unique("gw").unwrap();
    let conf = ConfDir::new(&[("wan1", &wan_toml("wan1", "203.0.113.1"))]);
    let mut agent = Agent::start_ready(Some(&ns), &conf);
    let sock = conf.socket();
    let sock = sock.to_str().unwrap();
    let before = status_json(&conf.socket()).unwrap();

    let out = mpwan(&["restart", "--socket", sock]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = status_json(&conf.socket()).unwrap();
    assert_eq!(after["pid"], before["pid"], "same process");
    assert_ne!(after["instance"], before["instance"], "a new image");
    assert!(
        agent.child.try_wait().unwrap().is_none(),
        "the process never exited"
    );

    let out = mpwan(&["stop", "--socket", sock]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = agent.wait_exit(DEADLINE).expect("agent exits on stop");
    assert!(status.success());
}

#[test]
fn the_cli_without_a_daemon_fails_with_1_and_bad_usage_with_2() {
    let conf = ConfDir::new(&[("wan1", &wan_toml("wan1", "203.0.113.1"))]);
    let sock = conf.socket();
    let out = mpwan(&["status", "--json", "--socket", sock.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing but JSON goes to stdout");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no mpwan agent is listening"));

    assert_eq!(mpwan(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(mpwan(&["status", "--bogus"]).status.code(), Some(2));

    let out = mpwan(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("mpwan {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn check_exits_0_on_the_sample_and_2_on_errors() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../etc/mpwan");
    let out = mpwan(&["check", "--config", sample]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("wan1"));

    let conf = ConfDir::new(&[("wan1", &wan_toml("wan1", "203.0.113.1"))]);
    conf.write(
        "mpwan.toml",
        &conf.main_toml("[tracker]\ninterval = \"1 parsec\"\ndown = 0\n"),
    );
    let out = mpwan(&["check", "--config", conf.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mpwan.toml:6:12:") && err.contains("tracker.interval"),
        "{err}"
    );
    assert!(
        err.contains("mpwan.toml:7:8:") && err.contains("tracker.down"),
        "{err}"
    );

    // The agent refuses to start on the same configuration.
    let out = mpwan(&["agent", "--config", conf.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}
