//! The agent under measurement: `mpwan agent --log-format json` in the
//! lab's gateway, its log (stderr) read as it grows ([`Tail`]), its status
//! read through the control socket from outside the namespace.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::wait::{Clock, Hopeless, until};
use crate::{AgentPaths, Lab, LabChild, Role};

/// How long the agent may take to start, or a WAN to change state.
pub const STEP: Duration = Duration::from_secs(30);

/// How often a log is read while a line is awaited. Reading it adds
/// nothing to the measurement (the timestamps are the logging process's
/// own); it only bounds how soon the benchmark moves on.
const TAIL_POLL: Duration = Duration::from_millis(5);

/// A file read from where the last read stopped, line by line.
pub struct Tail {
    /// The file, opened anew at each read: it may not exist yet.
    path: PathBuf,
    /// How far the file has been read.
    offset: u64,
    /// The end of the last read when it did not end a line.
    partial: String,
}

impl Tail {
    /// Reads `path` from its start.
    pub fn new(path: &Path) -> Tail {
        Tail {
            path: path.to_path_buf(),
            offset: 0,
            partial: String::new(),
        }
    }

    /// The complete lines written since the last call.
    pub fn lines(&mut self) -> Result<Vec<String>> {
        let mut f = std::fs::File::open(&self.path)
            .with_context(|| format!("opening {}", self.path.display()))?;
        f.seek(SeekFrom::Start(self.offset))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)
            .with_context(|| format!("reading {}", self.path.display()))?;
        self.offset = self.offset.saturating_add(bytes.len() as u64);
        self.partial += &String::from_utf8_lossy(&bytes);
        let Some(end) = self.partial.rfind('\n') else {
            return Ok(Vec::new());
        };
        let rest = self.partial.split_off(end.saturating_add(1));
        let done = std::mem::replace(&mut self.partial, rest);
        Ok(done.lines().map(str::to_string).collect())
    }

    /// Forgets the lines completed so far (a line still being written is
    /// returned whole once it ends).
    pub fn skip(&mut self) -> Result<()> {
        self.lines().map(drop)
    }
}

/// Waits until `tail` shows a line `pick` accepts (it sees every line in
/// order, and may fail), reading it every few milliseconds; `alive` is
/// checked in between and may give up.
pub fn await_line<T>(
    tail: &mut Tail,
    what: &str,
    within: Duration,
    mut alive: impl FnMut() -> Result<()>,
    mut pick: impl FnMut(&str) -> Result<Option<T>>,
) -> Result<T> {
    let clock = Clock::start();
    loop {
        for line in tail.lines()? {
            if let Some(found) = pick(&line)? {
                return Ok(found);
            }
        }
        alive()?;
        if clock.elapsed() > within {
            bail!("{what}: not within {within:?}");
        }
        std::thread::sleep(TAIL_POLL);
    }
}

/// Fails for good ([`Hopeless`]) if `child` has exited.
pub fn alive(child: &mut LabChild) -> Result<()> {
    if child.try_wait()?.is_some() {
        return Err(Hopeless(child.describe()).into());
    }
    Ok(())
}

/// A running agent; killed (SIGKILL) when dropped. Its MPTCP endpoints
/// stay in the kernel, as after a crash, and the next agent adopts them.
pub struct BenchAgent {
    /// The `ip netns exec` process, which execs the agent.
    child: LabChild,
    /// The `mpwan` binary, also run for `mpwan status`.
    mpwan: PathBuf,
    /// The agent's control socket.
    socket: PathBuf,
    /// The agent's log, read as it grows.
    log: Tail,
}

impl BenchAgent {
    /// Starts the agent in gw on the configuration in `paths`, logging
    /// JSON (at `log_level`, or the agent's default for `None`) to
    /// `lab.dir()/<name>.log`, and waits until its control socket answers.
    pub fn start(
        lab: &Lab,
        mpwan: &Path,
        paths: &AgentPaths,
        name: &str,
        log_level: Option<&str>,
    ) -> Result<BenchAgent> {
        let mut agent = BenchAgent::spawn(lab, mpwan, paths, name, log_level)?;
        until("the agent answers on its control socket", STEP, || {
            agent.alive()?;
            agent.status()
        })?;
        Ok(agent)
    }

    /// Like [`BenchAgent::start`] but returns at once, without waiting for
    /// the control socket: for a benchmark that times the agent's start.
    pub fn spawn(
        lab: &Lab,
        mpwan: &Path,
        paths: &AgentPaths,
        name: &str,
        log_level: Option<&str>,
    ) -> Result<BenchAgent> {
        let program = mpwan.to_str().context("the mpwan path is not UTF-8")?;
        let mut cmd = lab.command(Role::Gw, program);
        cmd.arg("agent")
            .arg("--config")
            .arg(&paths.config_dir)
            .args(["--log-format", "json"]);
        if let Some(level) = log_level {
            cmd.args(["--log-level", level]);
        }
        let log = lab.dir().join(format!("{name}.log"));
        let child = LabChild::spawn_logged(cmd, &format!("mpwan agent ({name})"), &log)?;
        Ok(BenchAgent {
            child,
            mpwan: mpwan.to_path_buf(),
            socket: paths.control_socket.clone(),
            log: Tail::new(&log),
        })
    }

    /// The agent's pid: `ip netns exec` execs it, so it is the child's.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails for good ([`Hopeless`]) if the agent has exited.
    pub fn alive(&mut self) -> Result<()> {
        alive(&mut self.child)
    }

    /// `mpwan status --json`, run outside the namespace: it only needs the
    /// socket file.
    pub fn status(&self) -> Result<Value> {
        status_json(&self.mpwan, &self.socket)
    }

    /// Waits until `check` accepts the status; its last error says why not.
    pub fn wait_status(
        &mut self,
        what: &str,
        mut check: impl FnMut(&Value) -> Result<()>,
    ) -> Result<()> {
        until(what, STEP, || {
            self.alive()?;
            check(&self.status()?)
        })
    }

    /// Waits until the status shows every WAN named in `wans` `up`.
    pub fn wait_up(&mut self, wans: &[String]) -> Result<()> {
        self.wait_status(&format!("{} up", wans.join(", ")), |s| {
            for wan in wans {
                let state = wan_state(s, wan)?;
                if state != "up" {
                    bail!("{wan} is {state}");
                }
            }
            Ok(())
        })
    }

    /// Forgets the log lines written so far.
    pub fn skip_log(&mut self) -> Result<()> {
        self.log.skip()
    }

    /// The agent's log file (`lab.dir()/<name>.log`).
    pub fn log_path(&self) -> &Path {
        &self.log.path
    }

    /// The log lines completed since the last read of the log (this,
    /// [`BenchAgent::skip_log`] or [`BenchAgent::await_line`]).
    pub fn log_lines(&mut self) -> Result<Vec<String>> {
        self.log.lines()
    }

    /// Reads the log until `pick` accepts a line (see [`await_line`]),
    /// checking in between that the agent runs; `what` names the line.
    pub fn await_line<T>(
        &mut self,
        what: &str,
        pick: impl FnMut(&str) -> Result<Option<T>>,
    ) -> Result<T> {
        let child = &mut self.child;
        await_line(
            &mut self.log,
            &format!("{what} in the agent's log"),
            STEP,
            || alive(child),
            pick,
        )
    }
}

/// The entry of WAN `name` in a status.
pub fn wan_entry<'a>(status: &'a Value, name: &str) -> Result<&'a Value> {
    status["wans"]
        .as_array()
        .and_then(|wans| wans.iter().find(|w| w["name"] == name))
        .with_context(|| format!("no WAN {name} in {status}"))
}

/// The `state` of WAN `name` in a status.
pub fn wan_state(status: &Value, name: &str) -> Result<String> {
    wan_entry(status, name)?["state"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("{name} has no state in {status}"))
}

/// `mpwan status --json --socket SOCKET`, parsed (see [`mpwan_cli`]).
pub fn status_json(mpwan: &Path, socket: &Path) -> Result<Value> {
    let out = mpwan_cli(mpwan, socket, &["status", "--json"])?;
    serde_json::from_str(&out).context("mpwan status --json printed no JSON")
}

/// Runs `mpwan ARGS --socket SOCKET` (outside the namespaces: the CLI only
/// needs the socket file) and returns what it printed on stdout; fails
/// with its stderr when it does not succeed.
pub fn mpwan_cli(mpwan: &Path, socket: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(mpwan)
        .args(args)
        .arg("--socket")
        .arg(socket)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running mpwan {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "mpwan {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_returns_whole_lines_once() {
        let dir = std::env::temp_dir().join(format!("mpwan-bench-tail-{}", crate::run_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        std::fs::write(&path, "one\ntw").unwrap();
        let mut t = Tail::new(&path);
        assert_eq!(t.lines().unwrap(), ["one"]);
        assert!(t.lines().unwrap().is_empty());
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, b"o\nthree\nfo").unwrap();
        assert_eq!(t.lines().unwrap(), ["two", "three"]);
        t.skip().unwrap();
        std::io::Write::write_all(&mut f, b"ur\nfive\n").unwrap();
        assert_eq!(t.lines().unwrap(), ["four", "five"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn awaiting_a_line_stops_at_the_first_pick_or_a_dead_process() {
        let dir = std::env::temp_dir().join(format!("mpwan-bench-await-{}", crate::run_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        std::fs::write(&path, "a\nb\nc\n").unwrap();
        let mut t = Tail::new(&path);
        let found = await_line(
            &mut t,
            "b",
            STEP,
            || Ok(()),
            |l| Ok((l == "b").then_some(7)),
        );
        assert_eq!(found.unwrap(), 7);
        // "c" was read with "b": only new lines count now, and a process
        // that exited ends the wait at once.
        let gone = await_line(
            &mut t,
            "c",
            STEP,
            || bail!("exited"),
            |l| Ok((l == "c").then_some(())),
        );
        assert_eq!(gone.unwrap_err().to_string(), "exited");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn states_are_found_by_name() {
        let s: Value = serde_json::json!({"wans": [{"name": "wan1", "state": "up"}]});
        assert_eq!(wan_state(&s, "wan1").unwrap(), "up");
        assert_eq!(wan_entry(&s, "wan1").unwrap()["name"], "wan1");
        assert!(wan_state(&s, "wan2").is_err());
        assert!(wan_state(&serde_json::json!({"wans": [{"name": "wan1"}]}), "wan1").is_err());
        assert!(wan_state(&serde_json::json!({}), "wan1").is_err());
    }
}
