//! The moment the first UPDATE of a table crossed the wire, from
//! `tcpdump -tt` (the kernel's receive timestamp, microseconds of
//! CLOCK_REALTIME) on one of the lab's links.
//!
//! Why not the session's Established as either side reports it: a gobgpd
//! sender answers its API late while it pours out a 500 000-route table,
//! so polling it saw Established only after a fast receiver held all; and
//! a receiver's own report is as late while it is busy. The first large
//! segment from the sender is the one moment every receiver shares.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};

use crate::{Lab, LabChild, Role};

/// Segments above this many bytes are UPDATEs: an OPEN is about 60 bytes,
/// a KEEPALIVE 19, both well under it with their TCP/IP headers.
pub const UPDATE_OVER: u32 = 1000;

/// A `tcpdump -c 1` waiting for the first segment from `from`'s BGP port;
/// killed when dropped.
pub struct FirstUpdate {
    child: LabChild,
    line: mpsc::Receiver<String>,
}

impl FirstUpdate {
    /// Starts tcpdump on `dev` in `role`'s namespace for the first TCP
    /// segment over [`UPDATE_OVER`] bytes from `from` port 179, and
    /// returns once it listens.
    pub fn start(
        lab: &Lab,
        role: Role,
        dev: &str,
        from: std::net::Ipv4Addr,
    ) -> Result<FirstUpdate> {
        let filter = format!("src host {from} and tcp src port 179 and greater {UPDATE_OVER}");
        let mut cmd = lab.command(role, "tcpdump");
        cmd.args(["-i", dev, "-n", "-tt", "-l", "-c", "1", &filter])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = LabChild::spawn(cmd, "tcpdump")?;
        let out = child
            .child()
            .stdout
            .take()
            .context("tcpdump has no stdout")?;
        let err = child
            .child()
            .stderr
            .take()
            .context("tcpdump has no stderr")?;
        let (tx, line) = mpsc::channel();
        std::thread::Builder::new()
            .name("tcpdump-out".into())
            .spawn(move || {
                if let Some(Ok(l)) = BufReader::new(out).lines().next() {
                    let _ = tx.send(l);
                }
            })
            .context("starting tcpdump's reader")?;
        // tcpdump says "listening on DEV" on stderr once its filter is set.
        let (ready_tx, ready) = mpsc::channel();
        std::thread::Builder::new()
            .name("tcpdump-err".into())
            .spawn(move || {
                for l in BufReader::new(err).lines() {
                    let Ok(l) = l else { break };
                    if l.contains("listening on") {
                        let _ = ready_tx.send(());
                    }
                }
            })
            .context("starting tcpdump's stderr reader")?;
        ready
            .recv_timeout(crate::wait::DEADLINE)
            .map_err(|_| anyhow!("tcpdump did not start listening: {}", child.describe()))?;
        Ok(FirstUpdate { child, line })
    }

    /// When the segment was captured (waits up to `within`).
    pub fn wait(mut self, within: Duration) -> Result<SystemTime> {
        let line = self.line.recv_timeout(within).map_err(|_| {
            anyhow!(
                "no UPDATE on the wire within {within:?}: {}",
                self.child.describe()
            )
        })?;
        let _ = self.child.kill();
        capture_time(&line).with_context(|| format!("tcpdump printed {line:?}"))
    }
}

/// The `-tt` timestamp (`1795329034.123456 IP …`) at the start of a line.
fn capture_time(line: &str) -> Result<SystemTime> {
    let stamp = line.split_whitespace().next().context("an empty line")?;
    let (secs, frac) = stamp.split_once('.').context("no fraction")?;
    let secs: u64 = secs.parse()?;
    if frac.len() != 6 {
        bail!("not microseconds: {frac}");
    }
    let micros: u64 = frac.parse()?;
    UNIX_EPOCH
        .checked_add(Duration::from_secs(secs) + Duration::from_micros(micros))
        .context("out of range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_microseconds_since_the_epoch() {
        let t = capture_time("1795329034.000123 IP 10.99.0.2.179 > 10.99.0.1.41234: Flags [.]")
            .unwrap();
        let d = t.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!((d.as_secs(), d.subsec_micros()), (1_795_329_034, 123));
        assert!(capture_time("tcpdump: verbose output suppressed").is_err());
        assert!(capture_time("1795329034.12 IP").is_err());
    }
}
