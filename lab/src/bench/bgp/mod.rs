//! The BGP benchmark behind `bench/bgp` (binary `mpwan-bench-bgp`): in the
//! lab's gw and peer namespaces, joined by `bgp0`, it measures side by side
//!
//! 1. announcing 100 000 prefixes to a gobgpd receiver ([`announce`]):
//!    session Established -> the receiver holds them all, and the
//!    announcer's peak RSS, for the mpwan agent (100 000
//!    `[[bgp.announce]]` entries, so configuration loading and the policy
//!    at that scale are in it) and for gobgpd (the same prefixes loaded
//!    from an MRT file, [`crate::mrt`]); then the same to a BIRD 2
//!    receiver, which hides the announcers' speed less;
//! 2. receiving 500 000 prefixes from a gobgpd sender ([`receive`]):
//!    Established -> the receiver holds them all, and its peak RSS, for
//!    mpwan, gobgpd and BIRD 2;
//! 3. withdraw latency in the normal lab ([`withdraw`]): WAN2's `down` in
//!    the agent's log -> the peer's withdrawal in `gobgp monitor`, and
//!    `mpwan stop` -> the same.
//!
//! Every figure is the median of the runs (3, `--quick` 1), printed with
//! its min and max ([`report`]). Progress goes to stderr, the table to
//! stdout.

pub mod announce;
pub mod monitor;
pub mod receive;
pub mod report;
pub mod speakers;
pub mod wire;
pub mod withdraw;

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, anyhow};

use crate::mrt::{MrtPeer, V4Prefix, write_table_dump_v2};
use crate::wait::{Clock, Hopeless};
use crate::{Lab, addr};
use speakers::Side;

/// How long a session or a full table may take before a run fails: far
/// more than any speaker here needs, short enough to end a hung run.
pub const LONG: Duration = Duration::from_secs(300);

/// Pause between two polls of a count or a state. Each poll is itself a
/// process (`gobgp`, `birdc`, `mpwan status`) of 10-20 ms, which is the
/// resolution of the times measured by polling.
const POLL: Duration = Duration::from_millis(5);

/// The agent's side of `bgp0`.
pub const GW: Side = Side {
    asn: addr::GW_ASN,
    address: addr::BGP_GW_V4,
};
/// The peer namespace's side of `bgp0`.
pub const PEER: Side = Side {
    asn: addr::PEER_ASN,
    address: addr::BGP_PEER_V4,
};

/// How many runs and prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub runs: usize,
    /// Prefixes announced in scenario 1.
    pub announce: usize,
    /// Prefixes received in scenario 2.
    pub receive: usize,
}

impl Plan {
    pub const FULL: Plan = Plan {
        runs: 3,
        announce: 100_000,
        receive: 500_000,
    };
    pub const QUICK: Plan = Plan {
        runs: 1,
        ..Plan::FULL
    };
}

/// One measurement of one speaker: a time and a peak RSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub time: Duration,
    pub rss_kib: u64,
}

/// `n` distinct IPv4 /24s from 20.0.0.0 up (20.0.0.0/24, 20.0.1.0/24, …),
/// clear of every address the lab uses.
pub fn prefixes(n: usize) -> Vec<V4Prefix> {
    let base = u32::from(Ipv4Addr::new(20, 0, 0, 0));
    (0..n)
        .map_while(|i| {
            let i = u32::try_from(i).ok()?;
            let a = base.checked_add(i.checked_mul(256)?)?;
            Some((Ipv4Addr::from(a), 24))
        })
        .collect()
}

/// The first `n` of [`prefixes`] as text: `20.0.0.0/24`, …
pub fn prefix_names(n: usize) -> Vec<String> {
    prefixes(n)
        .iter()
        .map(|(addr, len)| format!("{addr}/{len}"))
        .collect()
}

/// One `[[bgp.announce]]` (`when = "any"`) of the agent's configuration
/// per prefix of [`prefix_names`]`(n)`.
pub fn announce_toml(n: usize) -> String {
    let mut toml = String::with_capacity(n.saturating_mul(56));
    for p in prefix_names(n) {
        let _ = write!(
            toml,
            "[[bgp.announce]]\nprefix = \"{p}\"\nwhen = \"any\"\n\n"
        );
    }
    toml
}

/// How many entries at the end of an MRT file repeat earlier ones: gobgp
/// 3.10's `mrt inject` loses the last of its queue (up to its queue size,
/// 1024) when it exits, so the file ends with entries already injected.
const MRT_TAIL: usize = 4096;

/// Writes the first `n` of [`prefixes`] as an MRT file in the lab's
/// directory, learned from `from`, with `from` as next hop, followed by
/// the first [`MRT_TAIL`] of them again.
pub fn write_mrt(lab: &Lab, name: &str, n: usize, from: Side) -> Result<PathBuf> {
    let path = lab.dir().join(format!("{name}.mrt"));
    let mut set = prefixes(n);
    anyhow::ensure!(set.len() == n, "cannot make {n} /24s above 20.0.0.0");
    set.extend_from_within(..n.min(MRT_TAIL));
    let now = crate::bench::wall_now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .and_then(|d| u32::try_from(d.as_secs()).ok())
        .unwrap_or(0);
    let peer = MrtPeer {
        router_id: from.address,
        address: from.address,
        asn: from.asn,
    };
    write_table_dump_v2(&path, peer, from.address, &set, now)?;
    Ok(path)
}

/// Polls `done` every few milliseconds until it says yes and returns the
/// moment it did; an error from it is retried (the daemon may be too busy
/// to answer) unless it is [`Hopeless`], until `within` has passed.
pub fn poll_until(
    what: &str,
    within: Duration,
    mut done: impl FnMut() -> Result<bool>,
) -> Result<Instant> {
    let clock = Clock::start();
    let mut last: Option<anyhow::Error> = None;
    loop {
        match done() {
            Ok(true) => return Ok(Clock::now()),
            Ok(false) => {}
            Err(e) if e.is::<Hopeless>() => return Err(e.context(what.to_string())),
            Err(e) => last = Some(e),
        }
        if clock.elapsed() > within {
            return Err(match last {
                Some(e) => e.context(format!("{what}: not within {within:?}")),
                None => anyhow!("{what}: not within {within:?}"),
            });
        }
        std::thread::sleep(POLL);
    }
}

/// The whole benchmark: builds the lab, runs the three scenarios and
/// prints the table.
pub fn run(mpwan: &Path, plan: Plan) -> Result<()> {
    let clock = Clock::start();
    let lab = crate::bench::cli::build_lab()?;
    let announce = announce::run(&lab, mpwan, plan, announce::Kind::Gobgpd)
        .context("scenario 1 (announce to gobgpd)")?;
    let announce_bird = announce::run(&lab, mpwan, plan, announce::Kind::Bird)
        .context("scenario 1 (announce to BIRD)")?;
    let receive = receive::run(&lab, mpwan, plan).context("scenario 2 (receive)")?;
    let withdraw = withdraw::run(&lab, mpwan, plan).context("scenario 3 (withdraw)")?;
    drop(lab);
    let results = report::Results {
        announce,
        announce_bird,
        receive,
        withdraw,
        elapsed: clock.elapsed(),
    };
    report::print(mpwan, plan, &results);
    report::record(plan, &results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_distinct_24s_from_20_0_0_0() {
        let p = prefixes(500_000);
        assert_eq!(p.len(), 500_000);
        assert_eq!(p[0], (Ipv4Addr::new(20, 0, 0, 0), 24));
        assert_eq!(p[1], (Ipv4Addr::new(20, 0, 1, 0), 24));
        assert_eq!(p[256], (Ipv4Addr::new(20, 1, 0, 0), 24));
        assert!(p[499_999].0 < Ipv4Addr::new(28, 0, 0, 0));
        assert_eq!(prefix_names(2), ["20.0.0.0/24", "20.0.1.0/24"]);
        assert_eq!(
            announce_toml(2),
            "[[bgp.announce]]\nprefix = \"20.0.0.0/24\"\nwhen = \"any\"\n\n\
             [[bgp.announce]]\nprefix = \"20.0.1.0/24\"\nwhen = \"any\"\n\n"
        );
    }
}
