//! What the agent keeps to itself: its environment never reaches a hook,
//! and its control socket serves only its own user and root.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;
use mpwan_lab::{AgentConfigOptions, Lab, NetNs, Role, skip_without_netns};

/// What DESIGN.md ("Operating it", hooks) promises a hook, and the PATH
/// the agent sets (agent/src/hooks/event.rs, `HOOK_PATH`).
const HOOK_VARS: [&str; 11] = [
    "MPWAN_EVENT",
    "MPWAN_WAN",
    "MPWAN_DEVICE",
    "MPWAN_STATE",
    "MPWAN_PREV_STATE",
    "MPWAN_RTT_MS",
    "MPWAN_LOSS",
    "ACTION",
    "INTERFACE",
    "DEVICE",
    "PATH",
];
const HOOK_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";
/// An unprivileged uid that is not the agent's (root's).
const NOBODY: u32 = 65534;

/// Reads `KEY=value` lines (values may not hold newlines here).
fn parse_env(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn hooks_never_see_the_agents_own_environment() {
    if skip_without_netns("hooks_never_see_the_agents_own_environment") {
        return;
    }
    let lab = Lab::new().expect("lab");
    let paths = lab
        .write_agent_config(&lab.dir().join("etc"), &AgentConfigOptions::default())
        .unwrap();
    // awk, not sh: a shell exports PWD and SHLVL of its own.
    let dumps = lab.dir().join("hook-env");
    std::fs::create_dir(&dumps).unwrap();
    let hook = paths.hooks_dir.join("50-dump-env");
    write(
        &hook,
        &format!(
            "#!/usr/bin/awk -f\nBEGIN {{ out = \"{}/\" ENVIRON[\"MPWAN_WAN\"] \"-\" \
             ENVIRON[\"MPWAN_STATE\"]; for (k in ENVIRON) print k \"=\" ENVIRON[k] > out; \
             close(out) }}\n",
            dumps.display()
        ),
    );
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();

    // The agent starts with variables of its own, one of them one that
    // would change how every dynamically linked hook runs.
    let mut cmd = lab.command(Role::Gw, MPWAN);
    cmd.args(["agent", "--config"])
        .arg(&paths.config_dir)
        .env("MPWAN_LEAK", "1")
        .env("MPWAN_EVENT", "forged")
        .env("LD_PRELOAD", "/nonexistent/libmpwan-leak.so")
        .env("PATH", format!("/nonexistent/bin:{}", env_path()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut agent = cmd.spawn().expect("the agent starts");
    let _reap = Reap(&mut agent);

    let up = dumps.join("wan1-up");
    assert!(
        wait_for(DEADLINE, || std::fs::read_to_string(&up)
            .is_ok_and(|t| t.contains("PATH="))),
        "the hook never ran for wan1 going up; dumps: {:?}",
        std::fs::read_dir(&dumps)
            .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
            .unwrap_or_default()
    );
    let env = parse_env(&std::fs::read_to_string(&up).unwrap());
    let keys: Vec<&str> = env.keys().map(String::as_str).collect();
    let mut expected = HOOK_VARS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected, "the hook's environment: {env:#?}");
    assert_eq!(env["PATH"], HOOK_PATH);
    assert_eq!(env["MPWAN_EVENT"], "transition");
    assert_eq!(
        (env["MPWAN_WAN"].as_str(), env["MPWAN_STATE"].as_str()),
        ("wan1", "up")
    );
}

/// The test's own PATH, so that `ip netns exec` still finds the agent's
/// helpers; the agent gets it with a bogus directory in front.
fn env_path() -> String {
    std::env::var("PATH").unwrap_or_else(|_| HOOK_PATH.to_string())
}

/// Kills and reaps a child on drop.
struct Reap<'a>(&'a mut std::process::Child);

impl Drop for Reap<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `mpwan status --json --socket S` as `uid`, without groups.
fn status_as(uid: u32, socket: &Path) -> Output {
    Command::new("setpriv")
        .args([
            format!("--reuid={uid}"),
            format!("--regid={uid}"),
            "--clear-groups".to_string(),
        ])
        .args([MPWAN, "status", "--json", "--socket"])
        .arg(socket)
        .stdin(Stdio::null())
        .output()
        .expect("setpriv runs (util-linux)")
}

fn assert_refused(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{what}: {out:?}");
    assert!(out.stdout.is_empty(), "{what}: stdout {out:?}");
    assert!(stderr.contains("permission denied"), "{what}: {stderr}");
}

#[test]
fn the_control_socket_refuses_other_users() {
    if skip_without_netns("the_control_socket_refuses_other_users") {
        return;
    }
    let ns = NetNs::create_unique("gw").unwrap();
    let conf = ConfDir::new(&[("wan1", &wan_toml("wan1", "203.0.113.1"))]);
    let agent = Agent::start_ready(Some(&ns), &conf);
    let socket = conf.socket();

    // Root is let in.
    let st = status_json(&socket).expect("root gets the status");
    assert_eq!(st["pid"].as_i64(), Some(i64::from(agent.pid())));

    // As installed: the socket is 0600, so the kernel refuses the connect.
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_refused(&status_as(NOBODY, &socket), "socket mode 0600");

    // Loosened by someone (mode 0666, directories open): the agent itself
    // checks the caller's uid and still refuses.
    for dir in [conf.path(), socket.parent().unwrap()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = status_as(NOBODY, &socket);
    assert_refused(&out, "socket mode 0666");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not the agent's user"),
        "the agent's own refusal: {out:?}"
    );

    // Root still works, and the agent is unharmed.
    let st = status_json(&socket).expect("root still gets the status");
    assert_eq!(st["pid"].as_i64(), Some(i64::from(agent.pid())));
}
