//! Scenario 3: withdraw latency in the normal lab. The agent announces
//! one prefix `when = ["wan2"]` to gobgpd in the peer namespace (as in
//! agent/tests/bgp.rs); each run starts a fresh agent and measures
//!
//! - WAN2 black-holed: the supervisor's `WAN state` line for wan2 going
//!   `down` (the agent's JSON log, microsecond timestamps) -> the
//!   withdrawal in `gobgp monitor global rib` at the peer (stamped on
//!   read, see [`super::monitor`]); the agent's own `BGP announcement`
//!   line for the prefix is read on the way, to split the time;
//! - after WAN2 is back and the prefix re-announced: `mpwan stop` started
//!   -> the withdrawal at the peer.
//!
//! Both ends read CLOCK_REALTIME on this machine.

use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use serde_json::Value;

use super::Plan;
use super::monitor::{RibEvent, RibMonitor};
use crate::bench::agent::{BenchAgent, STEP, mpwan_cli};
use crate::bench::wall_now;
use crate::bgp_peer::GOBGP_API_PORT;
use crate::{AgentConfigOptions, AgentPaths, BgpOptions, GobgpOptions, GobgpPeer, Lab, Role, Wan};

/// The announced prefix.
const PREFIX: &str = "198.51.100.0/24";

/// What one run measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithdrawSample {
    /// WAN2 `down` logged -> withdrawn at the peer.
    pub down_to_peer: Duration,
    /// WAN2 `down` logged -> the agent's `BGP announcement` line moving
    /// the prefix to withdrawn.
    pub down_to_decision: Duration,
    /// `mpwan stop` started -> withdrawn at the peer.
    pub stop_to_peer: Duration,
}

/// `plan.runs` runs, one agent each, against one gobgpd peer.
pub fn run(lab: &Lab, mpwan: &Path, plan: Plan) -> Result<Vec<WithdrawSample>> {
    let paths = lab.write_agent_config(
        &lab.dir().join("withdraw-etc"),
        &AgentConfigOptions {
            bgp: Some(BgpOptions::default()),
            extra: format!("[[bgp.announce]]\nprefix = \"{PREFIX}\"\nwhen = [\"wan2\"]\n"),
            ..AgentConfigOptions::default()
        },
    )?;
    let _peer = GobgpPeer::start(lab, GobgpOptions::default())?;
    let mut monitor = RibMonitor::start(lab, Role::Peer, GOBGP_API_PORT)?;
    let mut out = Vec::new();
    for r in 0..plan.runs {
        let s =
            one(lab, mpwan, &paths, &mut monitor, r).with_context(|| format!("run {}", r + 1))?;
        eprintln!(
            "withdraw, run {}: WAN2 down->peer withdrawn {:.1} ms (agent decided after {:.2} ms), \
             mpwan stop->peer withdrawn {:.1} ms",
            r + 1,
            ms(s.down_to_peer),
            ms(s.down_to_decision),
            ms(s.stop_to_peer)
        );
        out.push(s);
    }
    Ok(out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn one(
    lab: &Lab,
    mpwan: &Path,
    paths: &AgentPaths,
    monitor: &mut RibMonitor,
    r: usize,
) -> Result<WithdrawSample> {
    let mark = monitor.mark();
    let mut agent = BenchAgent::start(lab, mpwan, paths, &format!("withdraw-agent-{r}"), None)?;
    agent.wait_up(&["wan1".to_string(), "wan2".to_string()])?;
    monitor
        .wait(PREFIX, RibEvent::Announced, mark, STEP)
        .context("the first announcement")?;

    // WAN2 down.
    agent.skip_log()?;
    let mark = monitor.mark();
    lab.blackhole(Wan::Two)?;
    let mut down = None;
    let mut decision = None;
    // The speaker logs its decision just after the supervisor's line;
    // both are awaited together, as one read of the log may hold both.
    let (down, decision) = agent.await_line("wan2 down and the prefix withdrawn", |line| {
        let Some(l) = Line::parse(line) else {
            return Ok(None);
        };
        if l.is_wan_down("wan2") {
            down.get_or_insert(l.at);
        }
        if l.withdraws(PREFIX) {
            decision.get_or_insert(l.at);
        }
        Ok(down.zip(decision))
    })?;
    let withdrawn = monitor.wait(PREFIX, RibEvent::Withdrawn, mark, STEP)?;
    let down_to_peer = after(down, withdrawn, "the withdrawal", "WAN2's down")?;
    let down_to_decision = after(down, decision, "the decision", "WAN2's down")?;

    // Back, then stop.
    let mark = monitor.mark();
    lab.restore(Wan::Two)?;
    monitor
        .wait(PREFIX, RibEvent::Announced, mark, STEP)
        .context("the announcement after WAN2's return")?;
    let mark = monitor.mark();
    let stop = wall_now();
    mpwan_cli(mpwan, &paths.control_socket, &["stop"])?;
    let gone = monitor
        .wait(PREFIX, RibEvent::Withdrawn, mark, STEP)
        .context("the withdrawal after mpwan stop")?;
    drop(agent);
    Ok(WithdrawSample {
        down_to_peer,
        down_to_decision,
        stop_to_peer: after(stop, gone, "the withdrawal", "mpwan stop")?,
    })
}

/// `to - from`; an error naming both if `to` came first.
fn after(from: SystemTime, to: SystemTime, later: &str, earlier: &str) -> Result<Duration> {
    to.duration_since(from).map_err(|e| {
        anyhow::anyhow!(
            "{later} came {:.1} ms before {earlier}",
            e.duration().as_secs_f64() * 1000.0
        )
    })
}

/// One JSON line of the agent's log.
struct Line {
    at: SystemTime,
    fields: Value,
}

impl Line {
    fn parse(line: &str) -> Option<Line> {
        let mut v: Value = serde_json::from_str(line).ok()?;
        let at = humantime::parse_rfc3339(v.get("timestamp")?.as_str()?).ok()?;
        Some(Line {
            at,
            fields: v.get_mut("fields")?.take(),
        })
    }

    fn message(&self) -> &str {
        self.fields["message"].as_str().unwrap_or("")
    }

    /// The supervisor's `WAN state` line for `wan` going `down`.
    fn is_wan_down(&self, wan: &str) -> bool {
        self.message() == "WAN state" && self.fields["wan"] == wan && self.fields["to"] == "down"
    }

    /// The speaker's `BGP announcement` line moving `prefix` to withdrawn.
    fn withdraws(&self, prefix: &str) -> bool {
        self.message().starts_with("BGP announcement")
            && self.fields["prefix"] == prefix
            && self.fields["to"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("withdrawn"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_give_the_down_and_the_decision() {
        let down = r#"{"timestamp":"2026-11-22T04:20:09.066414Z","level":"INFO","fields":{"message":"WAN state","wan":"wan2","device":"wan2","from":"degraded","to":"down"}}"#;
        let l = Line::parse(down).unwrap();
        assert!(l.is_wan_down("wan2") && !l.is_wan_down("wan1") && !l.withdraws(PREFIX));
        let decided = r#"{"timestamp":"2026-11-22T04:20:09.066914Z","level":"INFO","fields":{"message":"BGP announcement","prefix":"198.51.100.0/24","from":"Announced","to":"Withdrawn"}}"#;
        let d = Line::parse(decided).unwrap();
        assert!(d.withdraws(PREFIX) && !d.withdraws("10.0.0.0/8"));
        assert_eq!(
            after(l.at, d.at, "b", "a").unwrap(),
            Duration::from_micros(500)
        );
        assert!(after(d.at, l.at, "b", "a").is_err());
        assert!(Line::parse("plain text").is_none());
    }
}
