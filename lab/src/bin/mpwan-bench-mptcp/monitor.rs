//! `ip -ts mptcp monitor` in the gateway: the kernel's path-manager events
//! (a subflow established or closed, …) with the time `ip` received each,
//! collected by a thread while the benchmark runs.
//!
//! `-ts` stamps each event when `ip` reads it from the netlink socket, in
//! local time without a zone; the monitor runs with `TZ=UTC` so the stamp
//! is UTC, comparable with the agent's log. `stdbuf -oL` makes `ip` flush
//! each line into the pipe at once, so the benchmark sees the event as soon
//! as `ip` does (the timing itself comes from the stamp, not the read).

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use mpwan_lab::bench::wall_now;
use mpwan_lab::mptcp_stream::mptcp_socket;
use mpwan_lab::wait::{Clock, Hopeless, until};
use mpwan_lab::{Lab, LabChild, Role};
use socket2::Socket;

/// How often the collected events are looked at while one is awaited.
const POLL: Duration = Duration::from_millis(5);

/// How long one probe connection's `CREATED` is waited for before another
/// is made, and how long the monitor may take to subscribe at all.
const PROBE_WAIT: Duration = Duration::from_millis(300);
const SUBSCRIBE_DEADLINE: Duration = Duration::from_secs(20);

/// An MPTCP connection over the loopback of the namespace this runs in:
/// the listener, the client and the accepted end, closed when dropped.
fn loopback_connection() -> std::io::Result<[Socket; 3]> {
    let listener = mptcp_socket()?;
    listener.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
    listener.listen(1)?;
    let at = listener.local_addr()?;
    let client = mptcp_socket()?;
    client.connect(&at)?;
    let (accepted, _) = listener.accept()?;
    Ok([listener, client, accepted])
}

/// One event line of `ip -ts mptcp monitor`, e.g.
/// `[2026-11-22T04:14:46.103615] [  SF_ESTABLISHED] token=74beae17 remid=0
/// locid=2 saddr4=10.2.0.2 daddr4=203.0.113.100 sport=41234 dport=4000 …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PmEvent {
    /// When `ip` received it (its `-ts` stamp).
    pub at: SystemTime,
    /// The event's name as iproute2 prints it: `SF_ESTABLISHED`,
    /// `SF_CLOSED`, `CREATED`, …
    pub kind: String,
    pub token: Option<u32>,
    pub saddr4: Option<Ipv4Addr>,
    /// The socket error of a closed subflow (110: timed out).
    pub error: Option<i32>,
}

impl PmEvent {
    /// `None` for anything but an event line with a UTC `-ts` stamp.
    pub fn parse(line: &str) -> Option<PmEvent> {
        let rest = line.strip_prefix('[')?;
        let (stamp, rest) = rest.split_once("] [")?;
        let at = humantime::parse_rfc3339(&format!("{stamp}Z")).ok()?;
        let (kind, rest) = rest.split_once(']')?;
        let kind = kind.trim();
        if kind.is_empty() {
            return None;
        }
        let mut event = PmEvent {
            at,
            kind: kind.to_string(),
            token: None,
            saddr4: None,
            error: None,
        };
        for word in rest.split_whitespace() {
            let Some((key, value)) = word.split_once('=') else {
                continue;
            };
            match key {
                "token" => event.token = u32::from_str_radix(value, 16).ok(),
                "saddr4" => event.saddr4 = value.parse().ok(),
                "error" => event.error = value.parse().ok(),
                _ => {}
            }
        }
        Some(event)
    }
}

/// The running monitor; killed when dropped.
pub struct Monitor {
    events: Arc<Mutex<Vec<PmEvent>>>,
    /// `ip` itself; dropping it kills it, which ends the reader thread.
    child: LabChild,
    reader: Option<JoinHandle<()>>,
}

impl Monitor {
    /// Starts `ip -ts mptcp monitor` in gw and returns once it has
    /// subscribed: `ip` cannot say when it has, so MPTCP connections over
    /// gw's loopback are made until the monitor shows one's `CREATED`
    /// (the first event of a connection made before the subscription is
    /// lost, which made the benchmark miss the stream's at times).
    pub fn start(lab: &Lab) -> Result<Monitor> {
        let mut monitor = Monitor::spawn(lab)?;
        until("ip mptcp monitor subscribed", SUBSCRIBE_DEADLINE, || {
            let mark = monitor.mark();
            // Only a missed event is worth another try.
            let probe = (lab.ns(Role::Gw).enter(loopback_connection))
                .and_then(|r| r.context("an MPTCP connection over gw's loopback"))
                .map_err(|e| Hopeless(format!("{e:#}")))?;
            let seen = monitor.wait("the probe connection's CREATED", mark, PROBE_WAIT, |e| {
                e.kind == "CREATED"
            });
            drop(probe);
            seen.map(drop)
        })?;
        Ok(monitor)
    }

    fn spawn(lab: &Lab) -> Result<Monitor> {
        let mut cmd = lab.command(Role::Gw, "stdbuf");
        cmd.args(["-oL", "ip", "-ts", "mptcp", "monitor"])
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = LabChild::spawn(cmd, "ip -ts mptcp monitor in gw")?;
        let pipe = child
            .child()
            .stdout
            .take()
            .context("no stdout pipe from ip mptcp monitor")?;
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let reader = std::thread::Builder::new()
            .name("mptcp-monitor".into())
            .spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Some(event) = PmEvent::parse(&line) {
                        sink.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(event);
                    }
                }
            })
            .context("starting the monitor's reader thread")?;
        Ok(Monitor {
            events,
            child,
            reader: Some(reader),
        })
    }

    /// How many events were collected so far: a mark to search from.
    pub fn mark(&self) -> usize {
        self.lock().len()
    }

    /// The first event collected at or after `mark` that `pick` accepts,
    /// waiting up to `within` for it.
    pub fn wait(
        &mut self,
        what: &str,
        mark: usize,
        within: Duration,
        mut pick: impl FnMut(&PmEvent) -> bool,
    ) -> Result<PmEvent> {
        let clock = Clock::start();
        loop {
            if let Some(found) = self.lock().iter().skip(mark).find(|e| pick(e)) {
                return Ok(found.clone());
            }
            if self.child.try_wait()?.is_some() {
                bail!("{what}: {} exited", self.child.describe());
            }
            if clock.elapsed() > within {
                bail!("{what}: not within {within:?}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Fails if `ip` stamped an event later than now: its stamps would
    /// not be UTC (`TZ` not honoured), and every figure taken from them
    /// wrong.
    pub fn check_clock(&self) -> Result<()> {
        let now = wall_now();
        if let Some(e) = self.lock().iter().find(|e| e.at > now) {
            bail!(
                "ip -ts printed a time in the future ({:?} > {now:?}): its stamps are not UTC",
                e.at
            );
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PmEvent>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn event_lines_are_parsed() {
        let e = PmEvent::parse(
            "[2026-11-22T04:14:46.103615] [  SF_ESTABLISHED] token=074beae1 remid=0 locid=2 \
             saddr4=10.2.0.2 daddr4=203.0.113.100 sport=41234 dport=4000 backup=0 ifindex=3",
        )
        .unwrap();
        assert_eq!(e.kind, "SF_ESTABLISHED");
        assert_eq!(e.token, Some(0x074b_eae1));
        assert_eq!(e.saddr4, Some(Ipv4Addr::new(10, 2, 0, 2)));
        assert_eq!(e.error, None);
        let since = e.at.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(since.subsec_micros(), 103_615);
        let c = PmEvent::parse(
            "[2026-11-22T04:14:47.000001] [       SF_CLOSED] token=74beae17 remid=0 locid=2 \
             saddr4=10.2.0.2 daddr4=203.0.113.100 sport=1 dport=2 backup=0 error=110",
        )
        .unwrap();
        assert_eq!((c.kind.as_str(), c.error), ("SF_CLOSED", Some(110)));
        let closed =
            PmEvent::parse("[2026-11-22T04:14:46.304512] [        CLOSED] token=74beae17").unwrap();
        assert_eq!((closed.kind.as_str(), closed.saddr4), ("CLOSED", None));
        assert_eq!(
            PmEvent::parse("[2026-11-22T04:14:46.103492] [UNKNOWN 15]")
                .unwrap()
                .kind,
            "UNKNOWN 15"
        );
        assert_eq!(PmEvent::parse("[       CREATED] token=1"), None);
        assert_eq!(PmEvent::parse("[garbage] [CREATED]"), None);
        assert_eq!(PmEvent::parse(""), None);
    }
}
