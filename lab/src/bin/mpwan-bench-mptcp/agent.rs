//! The agent under measurement: `mpwan agent --log-format json
//! --log-level debug` in the lab's gateway, its log (stderr) read as it
//! grows, its status read through the control socket from outside the
//! namespace.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use mpwan_lab::wait::{Clock, Hopeless, until};
use mpwan_lab::{AgentPaths, Lab, LabChild, Role};
use serde_json::Value;

use crate::events::LogLine;

/// How long the agent may take to start, or a WAN to change state.
pub const STEP: Duration = Duration::from_secs(30);

/// How often the log is read while a line is awaited. It only bounds how
/// soon the benchmark moves on: the times measured are the agent's own
/// timestamps.
const TAIL_POLL: Duration = Duration::from_millis(5);

/// A file read from where the last read stopped, line by line.
pub struct Tail {
    path: PathBuf,
    offset: u64,
    /// The end of the last read when it did not end a line.
    partial: String,
}

impl Tail {
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
}

/// A running agent; killed (SIGKILL) when dropped. Its MPTCP endpoints
/// stay in the kernel, as after a crash, and the next agent adopts them.
pub struct BenchAgent {
    child: LabChild,
    mpwan: PathBuf,
    socket: PathBuf,
    log: Tail,
}

impl BenchAgent {
    /// Starts the agent in gw on the configuration in `paths`, logging
    /// JSON at debug to `lab.dir()/<name>.log`, and waits until its
    /// control socket answers.
    pub fn start(lab: &Lab, mpwan: &Path, paths: &AgentPaths, name: &str) -> Result<BenchAgent> {
        let program = mpwan.to_str().context("the mpwan path is not UTF-8")?;
        let mut cmd = lab.command(Role::Gw, program);
        cmd.arg("agent")
            .arg("--config")
            .arg(&paths.config_dir)
            .args(["--log-format", "json", "--log-level", "debug"]);
        let log = lab.dir().join(format!("{name}.log"));
        let child = LabChild::spawn_logged(cmd, &format!("mpwan agent ({name})"), &log)?;
        let mut agent = BenchAgent {
            child,
            mpwan: mpwan.to_path_buf(),
            socket: paths.control_socket.clone(),
            log: Tail::new(&log),
        };
        until("the agent answers on its control socket", STEP, || {
            agent.alive()?;
            agent.status()
        })?;
        Ok(agent)
    }

    /// Fails for good ([`Hopeless`]) if the agent has exited.
    pub fn alive(&mut self) -> Result<()> {
        if self.child.try_wait()?.is_some() {
            return Err(Hopeless(self.child.describe()).into());
        }
        Ok(())
    }

    /// `mpwan status --json`, run outside the namespace: it only needs the
    /// socket file.
    pub fn status(&self) -> Result<Value> {
        let out = Command::new(&self.mpwan)
            .args(["status", "--json", "--socket"])
            .arg(&self.socket)
            .stdin(Stdio::null())
            .output()
            .context("running mpwan status --json")?;
        if !out.status.success() {
            bail!(
                "mpwan status failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        serde_json::from_slice(&out.stdout).context("mpwan status --json printed no JSON")
    }

    /// Waits until `done` holds for the status.
    pub fn wait_status(&mut self, what: &str, mut done: impl FnMut(&Value) -> bool) -> Result<()> {
        until(what, STEP, || {
            self.alive()?;
            let s = self.status()?;
            if done(&s) {
                Ok(())
            } else {
                bail!("status: {s}")
            }
        })
        .map(drop)
    }

    /// Forgets the log lines written so far.
    pub fn skip_log(&mut self) -> Result<()> {
        self.log.lines().map(drop)
    }

    /// Reads the log until `pick` accepts a line (it sees every JSON line
    /// in order, and may fail), checking in between that the agent runs.
    pub fn await_line<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&LogLine) -> Result<Option<T>>,
    ) -> Result<T> {
        let clock = Clock::start();
        loop {
            for line in self.log.lines()? {
                if let Some(l) = LogLine::parse(&line)
                    && let Some(found) = pick(&l)?
                {
                    return Ok(found);
                }
            }
            self.alive()?;
            if clock.elapsed() > STEP {
                bail!("{what}: not in the agent's log within {STEP:?}");
            }
            std::thread::sleep(TAIL_POLL);
        }
    }
}

/// The entry of WAN `name` in a status, or Null.
pub fn wan<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["wans"]
        .as_array()
        .and_then(|wans| wans.iter().find(|w| w["name"] == name))
        .unwrap_or(&Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_returns_whole_lines_once() {
        let dir = std::env::temp_dir().join(format!("mpwan-bench-mptcp-{}", mpwan_lab::run_id()));
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
        std::io::Write::write_all(&mut f, b"o\nthree\n").unwrap();
        assert_eq!(t.lines().unwrap(), ["two", "three"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn wans_are_found_by_name() {
        let s = serde_json::json!({"wans": [{"name": "wan1", "state": "up"}]});
        assert_eq!(wan(&s, "wan1")["state"], "up");
        assert!(wan(&s, "wan2").is_null());
        assert!(wan(&serde_json::json!({}), "wan1").is_null());
    }
}
