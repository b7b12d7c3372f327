//! The parts of `mpwan status --json` the soak reads.

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::bench::agent::wan_entry;
use crate::role::Wan;

/// One WAN as the agent reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WanView {
    /// "init", "up", "degraded" or "down".
    pub state: String,
    /// When it entered `state`: a change tells of a transition even when
    /// the polls around it show the same state (a flap between polls).
    pub since: String,
    /// The IPv4 family's state: its MPTCP endpoint follows it.
    pub v4: String,
    /// When the IPv4 family entered its state.
    pub v4_since: String,
    /// The largest hold-down its families report.
    pub hold: Duration,
    /// The smallest (the WAN is usable once one family is).
    pub hold_min: Duration,
    /// The agent's own count of the WAN's transitions.
    pub transitions: u64,
}

impl WanView {
    pub fn usable(&self) -> bool {
        usable(&self.state)
    }
}

/// Whether a state name is `up` or `degraded`.
pub fn usable(state: &str) -> bool {
    state == "up" || state == "degraded"
}

/// One status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// In [`Wan::ALL`] order.
    pub wans: Vec<WanView>,
    /// The one neighbor (the lab's gobgpd) is established.
    pub established: bool,
    /// `bgp.announced[]`: prefix and state.
    pub announced: Vec<(String, String)>,
}

impl View {
    pub fn wan(&self, wan: Wan) -> &WanView {
        &self.wans[wan.index()]
    }

    /// The agent's own count of transitions, over its WANs.
    pub fn transitions(&self) -> u64 {
        self.wans
            .iter()
            .fold(0, |n, w| n.saturating_add(w.transitions))
    }

    pub fn announced(&self, prefix: &str) -> Option<&str> {
        self.announced
            .iter()
            .find(|(p, _)| p == prefix)
            .map(|(_, s)| s.as_str())
    }
}

fn text<'a>(v: &'a Value, what: &str) -> Result<&'a str> {
    v.as_str()
        .with_context(|| format!("{what} is not a string: {v}"))
}

/// Reads a status; fails naming what is missing.
pub fn parse(s: &Value) -> Result<View> {
    let mut wans = Vec::new();
    for wan in Wan::ALL {
        let w = wan_entry(s, wan.name())?;
        let families = w["families"].as_array().context("no families")?;
        let v4 = families
            .iter()
            .find(|f| f["family"] == "ipv4")
            .context("no ipv4 family")?;
        let holds = || families.iter().filter_map(|f| f["hold_down_ms"].as_u64());
        let hold = holds().max().unwrap_or(0);
        let hold_min = holds().min().unwrap_or(0);
        wans.push(WanView {
            state: text(&w["state"], "state")?.to_string(),
            since: w["since"].as_str().unwrap_or("").to_string(),
            v4: text(&v4["state"], "ipv4 state")?.to_string(),
            v4_since: v4["since"].as_str().unwrap_or("").to_string(),
            hold: Duration::from_millis(hold),
            hold_min: Duration::from_millis(hold_min),
            transitions: w["transitions"].as_u64().unwrap_or(0),
        });
    }
    let announced = s["bgp"]["announced"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some((
                        p["prefix"].as_str()?.to_string(),
                        p["state"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(View {
        wans,
        established: s["bgp"]["neighbors"][0]["state"] == "established",
        announced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_read() {
        let s = serde_json::json!({
            "instance": "abc",
            "wans": [
                {"name": "wan2", "state": "down", "since": "t1", "transitions": 3, "families": [
                    {"family": "ipv4", "state": "down", "hold_down_ms": 2000},
                    {"family": "ipv6", "state": "down", "hold_down_ms": 4000}]},
                {"name": "wan1", "state": "up", "transitions": 1, "families": [
                    {"family": "ipv4", "state": "up", "hold_down_ms": 1000}]}
            ],
            "bgp": {"neighbors": [{"state": "established"}],
                    "announced": [{"prefix": "198.51.100.0/24", "state": "withdrawn"}]}
        });
        let v = parse(&s).unwrap();
        assert_eq!(v.wan(Wan::One).state, "up");
        assert_eq!(v.wan(Wan::Two).hold, Duration::from_secs(4));
        assert_eq!(v.wan(Wan::Two).hold_min, Duration::from_secs(2));
        assert_eq!(v.wan(Wan::Two).transitions, 3);
        assert_eq!(v.transitions(), 4);
        assert_eq!(v.wan(Wan::Two).since, "t1");
        assert!(v.established);
        assert_eq!(v.announced("198.51.100.0/24"), Some("withdrawn"));
        assert!(parse(&serde_json::json!({"wans": []})).is_err());
    }
}
