//! Watchers that stamp an outage's real start, each in the provider's
//! namespace and started before the outages:
//!
//! - [`NftMonitor`]: `nft monitor`, each line stamped by a thread blocked on
//!   its pipe the moment it arrives. A ruleset transaction ends with one
//!   `# new generation` line, sent by the kernel at commit: when the rules
//!   began to act.
//! - [`LinkMonitor`]: `ip -ts monitor link`, stamped by `ip` itself when
//!   the kernel's link notice arrived.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use mpwan_lab::bench::agent::{STEP, Tail, alive, await_line};
use mpwan_lab::bench::wall_now;
use mpwan_lab::wait::{Clock, until};
use mpwan_lab::{Lab, LabChild, Role};

use crate::events::{LinkChange, link_change};

/// How long a watcher may take to show a change it was shown to be
/// ready.
const READY: Duration = Duration::from_millis(200);

/// `nft monitor` in one namespace.
pub struct NftMonitor {
    child: LabChild,
    /// Lines with the time they arrived.
    lines: mpsc::Receiver<(SystemTime, String)>,
}

impl NftMonitor {
    /// Starts it in `role`'s namespace and returns once it reports
    /// transactions (a table added and deleted in one is seen).
    pub fn start(lab: &Lab, role: Role) -> Result<NftMonitor> {
        let mut cmd = lab.command(role, "nft");
        cmd.arg("monitor")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = LabChild::spawn(cmd, "nft monitor")?;
        let out = child
            .child()
            .stdout
            .take()
            .context("nft monitor's stdout")?;
        let (tx, lines) = mpsc::channel();
        // Ends when nft does (EOF) or when the monitor is dropped.
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send((wall_now(), line)).is_err() {
                    break;
                }
            }
        });
        let mut m = NftMonitor { child, lines };
        let probe = "table inet mpwan_bench_ready {}\ndelete table inet mpwan_bench_ready\n";
        until("nft monitor reporting transactions", STEP, || {
            lab.ns(role).run_with_input(&["nft", "-f", "-"], probe)?;
            m.next_generation(READY)
        })?;
        Ok(m)
    }

    /// Forgets what arrived so far.
    pub fn skip(&self) {
        while self.lines.try_recv().is_ok() {}
    }

    /// When the next `# new generation` line arrived.
    pub fn next_generation(&mut self, within: Duration) -> Result<SystemTime> {
        let clock = Clock::start();
        loop {
            let left = within.saturating_sub(clock.elapsed());
            match self.lines.recv_timeout(left) {
                Ok((at, line)) if line.starts_with("# new generation") => return Ok(at),
                Ok(_) => {}
                Err(_) => {
                    alive(&mut self.child)?;
                    bail!("no new ruleset generation within {within:?}");
                }
            }
        }
    }
}

/// `ip -ts monitor link` in one namespace, its output in a log.
pub struct LinkMonitor {
    child: LabChild,
    out: Tail,
}

impl LinkMonitor {
    /// Starts it in `role`'s namespace and returns once it prints link
    /// changes: an alias set on `device` shows up in its output.
    pub fn start(lab: &Lab, role: Role, device: &str) -> Result<LinkMonitor> {
        let mut cmd = lab.command(role, "ip");
        // `-ts` prints local time without a zone: make it UTC.
        cmd.env("TZ", "UTC").args(["-ts", "monitor", "link"]);
        // A file of its own: an earlier monitor's lines must not count.
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let log = lab.dir().join(format!("monitor-link-{n}-{role}.log"));
        let child = LabChild::spawn_logged(cmd, "ip monitor link", &log)?;
        let mut m = LinkMonitor {
            child,
            out: Tail::new(&log),
        };
        until("ip monitor link printing changes", STEP, || {
            lab.ns(role)
                .run(&["ip", "link", "set", device, "alias", "mpwan-bench"])?;
            m.next(device, READY, |_| true)
        })?;
        Ok(m)
    }

    /// Forgets what it printed so far.
    pub fn skip(&mut self) -> Result<()> {
        self.out.skip()
    }

    /// The next change of `device` that `want` accepts.
    pub fn next(
        &mut self,
        device: &str,
        within: Duration,
        mut want: impl FnMut(&LinkChange) -> bool,
    ) -> Result<LinkChange> {
        let child = &mut self.child;
        await_line(
            &mut self.out,
            &format!("a change of {device} in ip monitor"),
            within,
            || alive(child),
            |l| Ok(link_change(l).filter(|c| c.device == device && want(c))),
        )
    }
}
