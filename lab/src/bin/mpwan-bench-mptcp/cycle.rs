//! One outage cycle of WAN2 under a fresh agent, with the MPTCP stream
//! running throughout: black hole until the endpoint is gone, restore
//! until the same connection has a subflow on WAN2 again.
//!
//! Times come from two clocks-in-agreement: the agent's JSON log (the
//! tracker's family transition, the reconciler driver's action, logged just
//! before it is sent to the kernel) and `ip -ts mptcp monitor` (when `ip`
//! received the kernel's event). Both read CLOCK_REALTIME on this machine.

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail, ensure};
use mpwan_lab::bench::agent::{BenchAgent, STEP, wan_entry};
use mpwan_lab::bench::wall_now;
use mpwan_lab::{AgentPaths, Lab, MptcpStream, Role, Wan};

use crate::events::{LogLine, PmAction, PmVerb};
use crate::monitor::Monitor;

/// How much of the stream must get through at each step, to show it goes
/// on (about 0.2 s of its pace).
const PROGRESS: u64 = 256 * 1024;

/// What one cycle measured.
#[derive(Debug, Clone)]
pub struct Sample {
    /// WAN2's IPv4 family `down` (tracker) -> Delete of endpoint 2 logged
    /// by the driver.
    pub down_to_delete: Duration,
    /// Delete logged -> the kernel's SF_CLOSED for WAN2's subflow, which
    /// the kernel sends from inside DEL_ADDR when it tears down the
    /// endpoint's subflows.
    pub delete_to_closed: Duration,
    /// The two above together: `down` -> endpoint gone, as the kernel
    /// reports it.
    pub down_to_closed: Duration,
    /// The socket error SF_CLOSED carried (0: closed by the path manager,
    /// not by a timeout).
    pub closed_error: Option<i32>,
    /// WAN2's IPv4 family `up` again (after the hold-down) -> Add of
    /// endpoint 2 logged.
    pub up_to_add: Duration,
    /// Add logged -> the connection's SF_ESTABLISHED on WAN2.
    pub add_to_established: Duration,
    /// Black hole lifted (nftables rules removed) -> SF_ESTABLISHED on
    /// WAN2: the whole recovery, `up` rounds and hold-down included.
    pub restore_to_established: Duration,
}

/// The run's fixed parts: the lab, the agent's binary and configuration,
/// the stream and its token, the monitor.
pub struct Bench<'a> {
    pub lab: &'a Lab,
    pub mpwan: &'a Path,
    pub paths: &'a AgentPaths,
    pub stream: &'a MptcpStream,
    /// The connection's token as `ss -Mni` printed it, to find its
    /// subflows in `ss`.
    pub token_text: &'a str,
    /// The same, as a number, to match `ip mptcp monitor`'s events.
    pub token: u32,
    pub monitor: &'a mut Monitor,
}

/// The lab's WAN2 source address: subflows from it are WAN2's.
fn wan2_v4() -> Ipv4Addr {
    Wan::Two.gw_v4()
}

impl Bench<'_> {
    /// Runs cycle `n`: starts an agent, waits until the connection uses
    /// WAN2, and measures one outage. The agent is killed at the end; its
    /// endpoints stay in the kernel for the next one to adopt.
    pub fn cycle(&mut self, n: usize) -> Result<Sample> {
        let mut agent = BenchAgent::start(
            self.lab,
            self.mpwan,
            self.paths,
            &format!("agent-{n}"),
            // The reconciler driver logs its kernel requests at debug.
            Some("debug"),
        )?;
        agent.wait_status("both WANs up with their endpoints", |s| {
            let ready = ["wan1", "wan2"].iter().all(|w| {
                wan_entry(s, w).is_ok_and(|e| e["state"] == "up" && e["mptcp"]["present"] == true)
            });
            ensure!(ready, "status: {s}");
            Ok(())
        })?;
        self.wait_wan2_subflow()?;
        self.stream.wait_verified(PROGRESS, STEP)?;

        // Outage.
        agent.skip_log()?;
        let mark = self.monitor.mark();
        self.lab.blackhole(Wan::Two)?;
        let (down, delete) = await_pair(&mut agent, "down", PmVerb::Delete)?;
        let token = self.token;
        let closed = self
            .monitor
            .wait("SF_CLOSED of the WAN2 subflow", mark, STEP, |e| {
                e.kind == "SF_CLOSED" && e.saddr4 == Some(wan2_v4()) && e.token == Some(token)
            })?;
        self.check_endpoint_gone()?;
        self.stream
            .wait_verified(PROGRESS, STEP)
            .context("the stream going on through WAN1 alone")?;

        // Recovery.
        let mark = self.monitor.mark();
        let restored = wall_now();
        self.lab.restore(Wan::Two)?;
        let (up, add) = await_pair(&mut agent, "up", PmVerb::Add)?;
        let established = self.monitor.wait(
            "SF_ESTABLISHED of the connection on WAN2",
            mark,
            STEP,
            |e| e.kind == "SF_ESTABLISHED" && e.saddr4 == Some(wan2_v4()) && e.token == Some(token),
        )?;
        self.stream
            .wait_verified(PROGRESS, STEP)
            .context("the stream after WAN2 came back")?;
        self.monitor.check_clock()?;

        Ok(Sample {
            down_to_delete: after(down, delete.at, "the Delete", "the down transition")?,
            delete_to_closed: after(delete.at, closed.at, "SF_CLOSED", "the Delete")?,
            down_to_closed: after(down, closed.at, "SF_CLOSED", "the down transition")?,
            closed_error: closed.error,
            up_to_add: after(up, add.at, "the Add", "the up transition")?,
            add_to_established: after(add.at, established.at, "SF_ESTABLISHED", "the Add")?,
            restore_to_established: after(
                restored,
                established.at,
                "SF_ESTABLISHED",
                "the restore",
            )?,
        })
    }

    /// Waits until the stream's connection has a subflow from WAN2's
    /// address (after a fresh agent's start it may be rebuilding).
    fn wait_wan2_subflow(&self) -> Result<()> {
        let ip = wan2_v4().to_string();
        mpwan_lab::wait::until("a subflow of the stream on WAN2", STEP, || {
            let subflows = self.stream.subflows(self.lab, self.token_text)?;
            if subflows.iter().any(|s| s.local.starts_with(&ip)) {
                Ok(())
            } else {
                bail!("subflows: {subflows:?}")
            }
        })
    }

    /// `ip mptcp endpoint show` in gw must no longer list id 2.
    fn check_endpoint_gone(&self) -> Result<()> {
        let id = Wan::Two.mptcp_id().to_string();
        let out = self
            .lab
            .ns(Role::Gw)
            .run(&["ip", "mptcp", "endpoint", "show"])?;
        let present = out.lines().any(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.windows(2).any(|w| w[0] == "id" && w[1] == id)
        });
        if present {
            bail!("endpoint {id} is still in the kernel after SF_CLOSED:\n{out}");
        }
        Ok(())
    }
}

/// Reads the log until WAN2's IPv4 family went `to` and the driver logged
/// `verb` for endpoint 2 (in either order); returns both times. Only WAN2
/// has an outage, so the one IPv4 transition to `to` is WAN2's (the lines
/// do not name their WAN reliably, see `events`); a `WAN state` line for
/// any other WAN is an error.
fn await_pair(agent: &mut BenchAgent, to: &str, verb: PmVerb) -> Result<(SystemTime, PmAction)> {
    let id = Wan::Two.mptcp_id();
    let mut transition = None;
    let mut action = None;
    agent.await_line(
        &format!("WAN2 IPv4 {to} and {verb:?} of endpoint {id}"),
        |raw| {
            let Some(line) = LogLine::parse(raw) else {
                return Ok(None);
            };
            if let Some((name, state)) = line.wan_state()
                && name != Wan::Two.name()
            {
                bail!("{name} went {state} during WAN2's outage");
            }
            if let Some(t) = line.family_transition()
                && t.family == "V4"
                && t.to == to
            {
                transition.get_or_insert(t.at);
            }
            if let Some(a) = line.pm_action()
                && a.id == id
                && a.verb == verb
            {
                action.get_or_insert(a);
            }
            Ok(transition.zip(action.clone()))
        },
    )
}

/// `to - from`; an error naming both if `to` came first.
fn after(from: SystemTime, to: SystemTime, later: &str, earlier: &str) -> Result<Duration> {
    to.duration_since(from).map_err(|e| {
        anyhow::anyhow!(
            "{later} came {} ms before {earlier}",
            e.duration().as_secs_f64() * 1000.0
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_is_checked() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(10);
        let later = t + Duration::from_micros(1500);
        assert_eq!(
            after(t, later, "b", "a").unwrap(),
            Duration::from_micros(1500)
        );
        let e = after(later, t, "b", "a").unwrap_err().to_string();
        assert!(e.contains("b came 1.5 ms before a"), "{e}");
    }
}
