//! Shared by the agent's integration tests: a throw-away configuration
//! directory and an agent process that is killed on drop.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mpwan_lab::{AgentConfigOptions, AgentPaths, Lab, NetNs, Role};
use serde_json::Value;

pub mod interop;

pub const MPWAN: &str = env!("CARGO_BIN_EXE_mpwan");

/// Generous: these wait for another process on a loaded 2-core machine.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A configuration directory with `mpwan.toml` whose socket and state live
/// inside it, and the WAN files given.
pub struct ConfDir {
    pub dir: tempfile::TempDir,
}

impl ConfDir {
    pub fn new(wans: &[(&str, &str)]) -> ConfDir {
        let dir = tempfile::Builder::new()
            .prefix("mpwan-test-")
            .tempdir()
            .unwrap();
        let c = ConfDir { dir };
        c.write("mpwan.toml", &c.main_toml(""));
        std::fs::create_dir_all(c.path().join("wan.d")).unwrap();
        for (name, text) in wans {
            c.write(&format!("wan.d/{name}.toml"), text);
        }
        c
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn socket(&self) -> PathBuf {
        self.path().join("run/mpwan.sock")
    }

    /// `mpwan.toml` with `[agent]` pointing inside this directory, plus `extra`.
    pub fn main_toml(&self, extra: &str) -> String {
        let p = self.path().display();
        format!(
            "[agent]\ncontrol_socket = \"{p}/run/mpwan.sock\"\nstate_dir = \"{p}/run\"\nhooks_dir = \"{p}/hooks.d\"\n{extra}"
        )
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path().join(rel), text).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
    }
}

/// gobgpd in the peer namespace, listening on `port` for the agent.
pub fn gobgpd_peer(lab: &Lab, port: u16) -> mpwan_lab::GobgpPeer {
    let opts = mpwan_lab::GobgpOptions {
        listen_port: port,
        ..mpwan_lab::GobgpOptions::default()
    };
    mpwan_lab::GobgpPeer::start(lab, opts).expect("gobgpd starts")
}

/// A WAN file with one ICMP target.
pub fn wan_toml(interface: &str, target: &str) -> String {
    format!("interface = \"{interface}\"\n[[probe]]\nmethod = \"icmp\"\ntargets = [\"{target}\"]\n")
}

/// Runs `mpwan <args>` to completion.
pub fn mpwan(args: &[&str]) -> Output {
    Command::new(MPWAN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A running `mpwan agent`, its stderr collected; killed on drop.
pub struct Agent {
    pub child: Child,
    pub stderr: Arc<Mutex<String>>,
}

impl Agent {
    /// Starts the agent in `ns` (or here when None) on `conf`.
    pub fn start(ns: Option<&NetNs>, conf: &ConfDir) -> Agent {
        Agent::start_dir(ns, conf.path())
    }

    /// Starts the agent in `ns` (or here when None) on the configuration
    /// in `dir`.
    pub fn start_dir(ns: Option<&NetNs>, dir: &Path) -> Agent {
        let mut cmd = match ns {
            Some(ns) => ns.command(MPWAN),
            None => Command::new(MPWAN),
        };
        cmd.args(["agent", "--config"]).arg(dir);
        Agent::spawn(cmd)
    }

    /// Spawns `cmd` (an `mpwan agent` command line, possibly behind a
    /// wrapper such as setpriv) with stdin and stdout closed and stderr
    /// collected for [`Agent::log`] and echoed to the test's output.
    pub fn spawn(mut cmd: Command) -> Agent {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                eprintln!("[agent] {line}");
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Agent { child, stderr }
    }

    /// Starts the agent and waits until its socket answers `status`.
    pub fn start_ready(ns: Option<&NetNs>, conf: &ConfDir) -> Agent {
        Agent::start_ready_dir(ns, conf.path(), &conf.socket())
    }

    /// Starts the agent on `dir` and waits until `socket` answers `status`.
    pub fn start_ready_dir(ns: Option<&NetNs>, dir: &Path, socket: &Path) -> Agent {
        let mut a = Agent::start_dir(ns, dir);
        let ok = wait_for(DEADLINE, || {
            if let Ok(Some(st)) = a.child.try_wait() {
                panic!("agent exited early with {st}: {}", a.log());
            }
            status_json(socket).is_some()
        });
        assert!(
            ok,
            "agent did not answer on {}: {}",
            socket.display(),
            a.log()
        );
        a
    }

    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), sig).unwrap();
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let mut status = None;
        wait_for(limit, || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        status
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `mpwan status --json --socket S`, parsed from stdout only.
pub fn status_json(socket: &Path) -> Option<serde_json::Value> {
    let out = mpwan(&["status", "--json", "--socket", socket.to_str().unwrap()]);
    if !out.status.success() {
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).expect("status --json stdout is JSON"))
}

/// Polls `f` every 20 ms until it holds or `limit` passes: we wait on
/// another process, which offers no event to wait on.
#[allow(clippy::disallowed_methods)]
pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A lab with the agent running in its gateway.
pub struct Run {
    // Field order is drop order: the agent dies before the lab goes.
    pub agent: Agent,
    pub paths: AgentPaths,
    pub lab: Lab,
}

impl Run {
    /// Builds the lab, writes the configuration, lets `edit` change it,
    /// starts the agent and waits until every WAN is up.
    pub fn start(opts: AgentConfigOptions, edit: impl FnOnce(&AgentPaths)) -> Run {
        let lab = Lab::new().expect("lab");
        let paths = lab
            .write_agent_config(&lab.dir().join("etc"), &opts)
            .unwrap();
        edit(&paths);
        let agent = Agent::start_ready_dir(
            Some(lab.ns(Role::Gw)),
            &paths.config_dir,
            &paths.control_socket,
        );
        let run = Run { agent, paths, lab };
        run.wait("both WANs up", |s| {
            state(s, "wan1") == "up" && state(s, "wan2") == "up"
        });
        run
    }

    pub fn status(&self) -> Value {
        status_json(&self.paths.control_socket).expect("status answers")
    }

    /// Polls status until `done` holds, checking `invariant` on every
    /// status seen; returns the statuses seen.
    pub fn watch(
        &self,
        what: &str,
        mut done: impl FnMut(&Value) -> bool,
        mut invariant: impl FnMut(&Value) -> Result<(), String>,
    ) -> Vec<Value> {
        let mut seen = Vec::new();
        let ok = wait_for(DEADLINE, || {
            let s = self.status();
            if let Err(e) = invariant(&s) {
                panic!("while waiting for {what}: {e}\n{s:#}\n{}", self.agent.log());
            }
            let finished = done(&s);
            seen.push(s);
            finished
        });
        assert!(
            ok,
            "timed out waiting for {what}; last status:\n{:#}\nagent log:\n{}",
            seen.last().unwrap_or(&Value::Null),
            self.agent.log()
        );
        seen
    }

    /// Runs `mpwan <command> --socket <the agent's>` and asserts it succeeds.
    pub fn cli_ok(&self, command: &str) {
        let sock = self.paths.control_socket.to_str().unwrap();
        let out = mpwan(&[command, "--socket", sock]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "mpwan {command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn wait(&self, what: &str, done: impl FnMut(&Value) -> bool) -> Vec<Value> {
        self.watch(what, done, |_| Ok(()))
    }
}

pub fn wan<'a>(s: &'a Value, name: &str) -> &'a Value {
    s["wans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == name)
        .unwrap_or_else(|| panic!("no WAN {name} in {s}"))
}

pub fn state<'a>(s: &'a Value, name: &str) -> &'a str {
    wan(s, name)["state"].as_str().unwrap()
}

pub fn stays_up(name: &'static str) -> impl FnMut(&Value) -> Result<(), String> {
    move |s| match state(s, name) {
        "up" => Ok(()),
        other => Err(format!("{name} left up: it is {other}")),
    }
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}
