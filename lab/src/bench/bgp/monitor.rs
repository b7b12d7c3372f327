//! `gobgp monitor global rib -j` streamed from a namespace, each line
//! stamped with the wall clock when it was read: when the peer's best path
//! for a prefix appeared or was withdrawn. gobgp writes each event as it
//! gets it from gobgpd's gRPC stream (Go's stdout is unbuffered), so the
//! stamp trails gobgpd's own decision by the gRPC and pipe hops only
//! (well under a millisecond on an idle machine).

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::bench::wall_now;
use crate::wait::Clock;
use crate::{Lab, LabChild, Role};

/// How often the collected lines are looked at while one is awaited.
const POLL: Duration = Duration::from_millis(2);

/// What happened to a prefix in one monitor line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RibEvent {
    /// A path for it was added or replaced.
    Announced,
    /// Its path was withdrawn.
    Withdrawn,
}

/// One line of the monitor, stamped.
#[derive(Debug, Clone)]
struct Stamped {
    at: SystemTime,
    line: String,
}

/// The running monitor; killed when dropped.
pub struct RibMonitor {
    child: LabChild,
    lines: Arc<Mutex<Vec<Stamped>>>,
}

impl RibMonitor {
    /// Starts `gobgp -j monitor global rib -a ipv4` against the gobgpd
    /// whose API is on `127.0.0.1:<api_port>` in `role`'s namespace.
    pub fn start(lab: &Lab, role: Role, api_port: u16) -> Result<RibMonitor> {
        let mut cmd = lab.command(role, "gobgp");
        cmd.args([
            "-p",
            &api_port.to_string(),
            "-j",
            "monitor",
            "global",
            "rib",
            "-a",
            "ipv4",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
        let mut child = LabChild::spawn(cmd, "gobgp monitor global rib")?;
        let out = child
            .child()
            .stdout
            .take()
            .context("gobgp monitor has no stdout")?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::Builder::new()
            .name("gobgp-monitor".into())
            .spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    let at = wall_now();
                    if let Ok(mut v) = sink.lock() {
                        v.push(Stamped { at, line });
                    }
                }
            })
            .context("starting the monitor's reader")?;
        Ok(RibMonitor { child, lines })
    }

    /// A mark: [`RibMonitor::wait`] looks only at lines after it.
    pub fn mark(&self) -> usize {
        self.lines.lock().map_or(0, |v| v.len())
    }

    /// Waits until a line after `mark` reports `event` for `prefix`;
    /// returns when that line was read.
    pub fn wait(
        &mut self,
        prefix: &str,
        event: RibEvent,
        mark: usize,
        within: Duration,
    ) -> Result<SystemTime> {
        let clock = Clock::start();
        let mut seen = mark;
        loop {
            let fresh: Vec<Stamped> = {
                let v = self
                    .lines
                    .lock()
                    .map_err(|_| anyhow!("monitor lock poisoned"))?;
                v.get(seen..).map(<[Stamped]>::to_vec).unwrap_or_default()
            };
            seen = seen.saturating_add(fresh.len());
            for s in fresh {
                if events_of(&s.line, prefix).contains(&event) {
                    return Ok(s.at);
                }
            }
            if self.child.try_wait()?.is_some() {
                bail!("gobgp monitor exited: {}", self.child.describe());
            }
            if clock.elapsed() > within {
                bail!("{event:?} of {prefix} at the peer: not within {within:?}");
            }
            std::thread::sleep(POLL);
        }
    }
}

/// The events a monitor line reports for `prefix`: the line is a JSON
/// array of paths, `{"nlri":{"prefix":…},…,"withdrawal":true}` for a
/// withdrawal.
fn events_of(line: &str, prefix: &str) -> Vec<RibEvent> {
    let Ok(v) = serde_json::from_str::<Value>(line) else {
        return Vec::new();
    };
    let paths = match v {
        Value::Array(a) => a,
        other => vec![other],
    };
    paths
        .iter()
        .filter(|p| p["nlri"]["prefix"] == prefix)
        .map(|p| {
            if p["withdrawal"] == true {
                RibEvent::Withdrawn
            } else {
                RibEvent::Announced
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_lines_give_announcements_and_withdrawals() {
        // Captured from gobgp 3.10.
        let add = r#"[{"nlri":{"prefix":"20.0.1.0/24"},"age":1795329034,"best":false,"attrs":[{"type":1,"value":2}],"stale":false,"source-id":"10.77.0.1","neighbor-ip":"10.77.0.1"}]"#;
        let del = r#"[{"nlri":{"prefix":"20.0.1.0/24"},"age":1795329034,"best":false,"attrs":[],"stale":false,"withdrawal":true,"source-id":"10.77.0.1","neighbor-ip":"10.77.0.1"}]"#;
        assert_eq!(events_of(add, "20.0.1.0/24"), [RibEvent::Announced]);
        assert_eq!(events_of(del, "20.0.1.0/24"), [RibEvent::Withdrawn]);
        assert!(events_of(del, "20.0.2.0/24").is_empty());
        assert!(events_of("not json", "20.0.1.0/24").is_empty());
    }
}
