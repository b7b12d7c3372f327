//! A process started in a lab namespace, killed when its handle drops (also
//! when a test panics), with its output kept in a log file to read when
//! something goes wrong.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use anyhow::{Context, Result};

/// A running process; dropping it kills it (SIGKILL) and reaps it.
#[derive(Debug)]
pub struct LabChild {
    child: Child,
    /// What it is, for messages: `dnsmasq in mpwan-…-inet`.
    what: String,
    /// Its stdout and stderr, when [`LabChild::spawn_logged`] started it.
    log: Option<PathBuf>,
}

impl LabChild {
    /// Spawns `cmd` as it is set up (stdio included).
    pub fn spawn(mut cmd: Command, what: &str) -> Result<LabChild> {
        let child = cmd.spawn().with_context(|| format!("starting {what}"))?;
        Ok(LabChild {
            child,
            what: what.to_string(),
            log: None,
        })
    }

    /// Spawns `cmd` with no input and its stdout and stderr appended to
    /// `log`.
    pub fn spawn_logged(mut cmd: Command, what: &str, log: &Path) -> Result<LabChild> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file);
        let mut c = LabChild::spawn(cmd, what)?;
        c.log = Some(log.to_path_buf());
        Ok(c)
    }

    /// The process id (of the program itself: `ip netns exec` execs it).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The underlying handle, to take its pipes or wait for it.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Where its output goes, if it was started with a log.
    pub fn log_path(&self) -> Option<&Path> {
        self.log.as_deref()
    }

    /// Its output so far (empty without a log).
    pub fn log(&self) -> String {
        self.log
            .as_deref()
            .and_then(|p| std::fs::read(p).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Its exit status if it has exited, without waiting.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        self.child
            .try_wait()
            .with_context(|| format!("polling {}", self.what))
    }

    /// Kills it (SIGKILL) and waits for it to be gone. Calling it again is
    /// harmless.
    pub fn kill(&mut self) -> Result<ExitStatus> {
        if let Some(status) = self.try_wait()? {
            return Ok(status);
        }
        // Fails only if it exited meanwhile, which wait() then reports.
        let _ = self.child.kill();
        self.child
            .wait()
            .with_context(|| format!("waiting for {}", self.what))
    }

    /// Why it is not answering, for error messages: its exit status if it
    /// has exited, and the end of its log.
    pub fn describe(&mut self) -> String {
        let state = match self.child.try_wait() {
            Ok(Some(status)) => format!("{} exited: {status}", self.what),
            Ok(None) => format!("{} is running", self.what),
            Err(e) => format!("{}: {e}", self.what),
        };
        let log = self.log();
        let tail: Vec<&str> = log.lines().rev().take(10).collect();
        if tail.is_empty() {
            state
        } else {
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("{state}; its log ends:\n{}", tail.join("\n"))
        }
    }
}

impl Drop for LabChild {
    fn drop(&mut self) {
        if let Err(e) = self.kill() {
            eprintln!("mpwan-lab: {e:#}");
        }
    }
}
