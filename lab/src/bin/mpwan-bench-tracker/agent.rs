//! What the tracker benchmark reads from the agent's log: a WAN going down,
//! and its families on the way. The agent itself and its log reader are
//! `mpwan_lab::bench::agent`'s.

use std::time::SystemTime;

use anyhow::{Result, bail};
use mpwan_lab::bench::agent::BenchAgent;

use crate::events::{family_transition, wan_transition};

/// When a WAN went down, as its agent logged it.
#[derive(Debug)]
pub struct Down {
    /// The WAN as a whole (every family down).
    pub at: SystemTime,
    /// Each family that went down on the way, with when.
    pub families: Vec<(&'static str, SystemTime)>,
}

/// Reads `agent`'s log until it shows `wan` going down, and returns when
/// the WAN went down and when each of its families did on the way. A
/// transition of another WAN is an error: the outage was meant for `wan`
/// only.
pub fn await_down(agent: &mut BenchAgent, wan: &str) -> Result<Down> {
    let mut families = Vec::new();
    let at = agent.await_line(&format!("{wan} going down"), |line| {
        if let Some(f) = family_transition(line) {
            if f.wan == wan && f.to == "down" {
                families.push((f.family, f.at));
            }
            return Ok(None);
        }
        let Some(t) = wan_transition(line) else {
            return Ok(None);
        };
        if t.wan != wan {
            bail!("{} went {} while only {wan} had an outage", t.wan, t.to);
        }
        Ok((t.to == "down").then_some(t.at))
    })?;
    Ok(Down { at, families })
}
