//! Runs one hook: its own process group, a clean environment, stdin from
//! /dev/null, output to the log, and SIGKILL to the whole group at the
//! timeout.

use std::io;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use super::discover::Hook;
use super::output::{Stream, log_lines};
use super::stats::RunClass;

/// How often a start failing with ETXTBSY is retried. Another thread of
/// this process may fork while a file is open for writing (an upgrade
/// writing a hook, or a test); the child holds the descriptor until its
/// exec, and our exec of that file fails meanwhile. It passes in
/// microseconds; Go's os/exec retries for the same reason.
const TEXT_BUSY_RETRIES: u32 = 5;
const TEXT_BUSY_PAUSE: Duration = Duration::from_millis(20);

/// Longest timeout honoured; a longer one (a typo of units) is cut to this,
/// which also keeps the deadline arithmetic far from overflow.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Why a hook did not run to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The kernel refused to start it (bad interpreter, not a valid binary).
    #[error("could not start: {0}")]
    Spawn(#[source] io::Error),
    /// Waiting for it failed; its process group was killed.
    #[error("waiting for it failed: {0}")]
    Wait(#[source] io::Error),
}

/// How one hook run ended.
#[derive(Debug)]
pub enum Outcome {
    /// It exited (or died of a signal) before the timeout.
    Exited(ExitStatus),
    /// The timeout passed; its process group was killed.
    TimedOut,
    /// It did not run to an exit status.
    Failed(ExecError),
}

impl Outcome {
    pub fn class(&self) -> RunClass {
        match self {
            Outcome::Exited(s) if s.success() => RunClass::Ok,
            Outcome::TimedOut => RunClass::TimedOut,
            Outcome::Exited(_) | Outcome::Failed(_) => RunClass::Failed,
        }
    }
}

/// Kills a hook's process group when dropped while armed: a run cancelled
/// by the runner's drop (or timed out) leaves no process behind.
struct GroupKill {
    pgid: Option<Pid>,
}

impl GroupKill {
    fn kill(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            // ESRCH: the group is already empty, which is what we want.
            if let Err(e) = killpg(pgid, Signal::SIGKILL)
                && e != Errno::ESRCH
            {
                tracing::warn!(pgid = pgid.as_raw(), error = %e, "hook: killing its process group failed");
            }
        }
    }

    fn disarm(&mut self) {
        self.pgid = None;
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `hook` with exactly `env` and waits for it (and for its output to
/// close) for at most `timeout`. Processes the hook leaves behind with their
/// output redirected elsewhere are its business; ones still holding its
/// output at the timeout are killed with it.
pub async fn run(
    hook: &Hook,
    wan: &str,
    env: &[(&'static str, String)],
    timeout: Duration,
) -> Outcome {
    let mut cmd = Command::new(&hook.path);
    cmd.env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        // Not the agent's working directory: hooks must not depend on it.
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so the timeout reaches everything it started.
        .process_group(0);
    let mut child = match spawn(&mut cmd).await {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(ExecError::Spawn(e)),
    };
    // With process_group(0) the group id is the child's pid.
    let pgid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    let mut guard = GroupKill { pgid };
    let deadline = tokio::time::Instant::now() + timeout.min(MAX_TIMEOUT);
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let finished = tokio::time::timeout_at(deadline, async {
        let (status, (), ()) = tokio::join!(
            child.wait(),
            log_lines(stdout, &hook.name, wan, Stream::Stdout),
            log_lines(stderr, &hook.name, wan, Stream::Stderr),
        );
        status
    })
    .await;
    match finished {
        Ok(Ok(status)) => {
            guard.disarm();
            Outcome::Exited(status)
        }
        Ok(Err(e)) => {
            guard.kill();
            reap(&mut child).await;
            Outcome::Failed(ExecError::Wait(e))
        }
        Err(_elapsed) => {
            // The hook itself may have exited, leaving a process that holds
            // its output: then its status stands, and the leftover is killed.
            let exited = child.try_wait().ok().flatten();
            guard.kill();
            match exited {
                Some(status) => {
                    tracing::warn!(hook = %hook.name, wan = %wan, "hook: a process it started still held its output at the timeout; killed");
                    Outcome::Exited(status)
                }
                None => {
                    reap(&mut child).await;
                    Outcome::TimedOut
                }
            }
        }
    }
}

/// Starts `cmd`, retrying while the file is busy being written (see
/// `TEXT_BUSY_RETRIES`).
async fn spawn(cmd: &mut Command) -> io::Result<Child> {
    let mut tries = 0u32;
    loop {
        match cmd.spawn() {
            Err(e)
                if e.raw_os_error() == Some(Errno::ETXTBSY as i32) && tries < TEXT_BUSY_RETRIES =>
            {
                tries = tries.saturating_add(1);
                tokio::time::sleep(TEXT_BUSY_PAUSE).await;
            }
            other => return other,
        }
    }
}

/// Collects the exit of a child just sent SIGKILL, so no zombie is left.
async fn reap(child: &mut Child) {
    if let Err(e) = child.wait().await {
        tracing::warn!(error = %e, "hook: reaping a killed hook failed");
    }
}
