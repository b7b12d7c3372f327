//! The idle footprint behind `bench/footprint` (binary
//! `mpwan-bench-footprint`): resident memory of a BGP speaker that has
//! nothing to do, mpwan side by side with gobgpd and BIRD 2, in the lab.
//!
//! Each speaker runs in gw and holds one session, on `bgp0`, with the same
//! receiver: a fresh [`GobgpPeer`] in the peer namespace (GR helper, as
//! FIELD-NOTES configures it), to which it announces the same
//! [`PREFIXES`] /24s. mpwan also tracks the lab's two WANs (the tracker's
//! default settings, ICMP to 3 IPv4 and 3 IPv6 targets each) with MPTCP
//! on: its whole job. gobgpd takes the prefixes from `gobgp global rib
//! add`, BIRD from a static protocol. Once the receiver says the session is
//! Established and holds every prefix, nothing happens for
//! [`Plan::idle`]; then `VmRSS` and `VmHWM` are read from
//! `/proc/PID/status` and the session and the prefixes checked again.
//!
//! After its sample, each mpwan run also goes through `mpwan restart`
//! (re-exec in place, the graceful way): the receiver's RIB is watched
//! for a withdrawal of any prefix, and the time is taken from the command
//! to every prefix fresh again at the receiver (the new image's
//! End-of-RIB).
//!
//! Every figure is the median of the runs (3, `--quick` 1), with min-max.
//! Progress goes to stderr, the table to stdout, the figures also to the
//! summary file ([`super::summary`]).

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, ensure};

use super::agent::{BenchAgent, mpwan_cli};
use super::bgp::speakers::{Bird, Gobgpd, Mode, received};
use super::bgp::{GW, LONG, PEER, announce_toml, poll_until, prefix_names};
use super::stats::{Summary, mib_cell, ms_cell, print_table};
use super::summary::{self, Speaker};
use crate::bgp_peer::session_state;
use crate::wait::{Clock, Hopeless};
use crate::{
    AgentConfigOptions, AgentPaths, BgpOptions, Family, GobgpOptions, GobgpPeer, Lab, Role,
};

/// Each sample; also read from here by the soak.
pub use super::memory::Rss;

/// How many prefixes each speaker announces.
pub const PREFIXES: usize = 2;

/// Goal of the idle resident set of the agent, in KiB (8 MiB).
pub const GOAL_RSS_KIB: u64 = 8 * 1024;

/// How many runs, and how long the idle period before the sample lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub runs: usize,
    pub idle: Duration,
}

impl Plan {
    pub const FULL: Plan = Plan {
        runs: 3,
        idle: Duration::from_secs(20),
    };
    pub const QUICK: Plan = Plan {
        runs: 1,
        ..Plan::FULL
    };
}

/// One `mpwan restart` of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restart {
    /// `mpwan restart` started -> every prefix fresh at the receiver.
    pub to_fresh: Duration,
    /// Whether any prefix was missing from the receiver's RIB at some
    /// point of the restart.
    pub withdrawn: bool,
}

/// Everything measured.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub mpwan: Vec<Rss>,
    pub gobgpd: Vec<Rss>,
    pub bird: Vec<Rss>,
    pub restarts: Vec<Restart>,
}

impl Results {
    /// The samples of `speaker`.
    pub fn rss(&self, speaker: Speaker) -> &[Rss] {
        match speaker {
            Speaker::Mpwan => &self.mpwan,
            Speaker::Gobgpd => &self.gobgpd,
            Speaker::Bird => &self.bird,
        }
    }

    /// How many restarts withdrew a prefix at the peer.
    pub fn withdrawn_runs(&self) -> usize {
        self.restarts.iter().filter(|s| s.withdrawn).count()
    }

    /// Each restart's `mpwan restart` -> every prefix fresh.
    pub fn to_fresh(&self) -> Vec<Duration> {
        self.restarts.iter().map(|s| s.to_fresh).collect()
    }
}

/// The whole benchmark: builds the lab, runs the three speakers
/// `plan.runs` times each, interleaved, and prints the table.
pub fn run(mpwan: &Path, plan: Plan) -> Result<()> {
    let clock = Clock::start();
    let lab = super::cli::build_lab()?;
    let paths = lab.write_agent_config(&lab.dir().join("footprint-etc"), &agent_options())?;
    let mut r = Results::default();
    for run in 0..plan.runs {
        let n = run.saturating_add(1);
        let (rss, restart) =
            mpwan_run(&lab, mpwan, &paths, plan, run).with_context(|| format!("mpwan, run {n}"))?;
        eprintln!(
            "run {n}: mpwan  {rss}; restart -> fresh {:.0} ms, {}",
            restart.to_fresh.as_secs_f64() * 1000.0,
            if restart.withdrawn {
                "a prefix WITHDRAWN"
            } else {
                "nothing withdrawn"
            }
        );
        r.mpwan.push(rss);
        r.restarts.push(restart);
        let rss = gobgpd_run(&lab, plan, run).with_context(|| format!("gobgpd, run {n}"))?;
        eprintln!("run {n}: gobgpd {rss}");
        r.gobgpd.push(rss);
        let rss = bird_run(&lab, plan, run).with_context(|| format!("BIRD, run {n}"))?;
        eprintln!("run {n}: BIRD   {rss}");
        r.bird.push(rss);
    }
    drop(lab);
    print(mpwan, plan, &r, clock.elapsed());
    record(&r)
}

/// The lab's configuration at the tracker's default settings, MPTCP on,
/// `[bgp]` towards the peer and one announcement (`when = "any"`) per
/// prefix.
fn agent_options() -> AgentConfigOptions {
    AgentConfigOptions {
        tracker: String::new(),
        bgp: Some(BgpOptions::default()),
        extra: announce_toml(PREFIXES),
        ..AgentConfigOptions::default()
    }
}

/// The receiver's view of its session with gw: Established and holding
/// exactly [`PREFIXES`] routes.
fn receiver_ready(peer: &GobgpPeer) -> Result<bool> {
    let v = peer.cli().neighbor(IpAddr::V4(GW.address))?;
    let got = received(&v);
    if got > PREFIXES as u64 {
        return Err(Hopeless(format!("the receiver holds {got} routes, not {PREFIXES}")).into());
    }
    Ok(session_state(&v)? == "established" && got == PREFIXES as u64)
}

/// Waits for [`receiver_ready`], then idles for `plan.idle`, then checks
/// it again; `check` says whether the speaker still runs.
fn settle(plan: Plan, peer: &GobgpPeer, mut check: impl FnMut() -> Result<()>) -> Result<()> {
    poll_until(
        "the receiver's session established with every prefix",
        LONG,
        || {
            check()?;
            receiver_ready(peer)
        },
    )?;
    // The idle period is what is measured, not a wait for an event.
    std::thread::sleep(plan.idle);
    check()?;
    ensure!(
        receiver_ready(peer)?,
        "the session or its prefixes were lost while idle"
    );
    Ok(())
}

fn mpwan_run(
    lab: &Lab,
    mpwan: &Path,
    paths: &AgentPaths,
    plan: Plan,
    run: usize,
) -> Result<(Rss, Restart)> {
    let peer = GobgpPeer::start(lab, GobgpOptions::default())?;
    let mut agent = BenchAgent::start(lab, mpwan, paths, &format!("footprint-agent-{run}"), None)?;
    agent.wait_up(&["wan1".to_string(), "wan2".to_string()])?;
    settle(plan, &peer, || agent.alive())?;
    // Read before `mpwan status` makes the agent do anything.
    let rss = Rss::of(agent.pid())?;
    let status = agent.status()?;
    ensure!(
        status["bgp"]["neighbors"][0]["state"] == "established",
        "the agent's status does not show the session established: {status}"
    );
    let restart = restart(mpwan, paths, &peer, &mut agent)?;
    Ok((rss, restart))
}

/// `mpwan restart`, timed to every prefix fresh at the receiver, with the
/// receiver's RIB watched throughout for a withdrawal.
fn restart(
    mpwan: &Path,
    paths: &AgentPaths,
    peer: &GobgpPeer,
    agent: &mut BenchAgent,
) -> Result<Restart> {
    let names = prefix_names(PREFIXES);
    let watch = peer.watch(Family::Ipv4, Duration::from_millis(20))?;
    let clock = Clock::start();
    mpwan_cli(mpwan, &paths.control_socket, &["restart"])?;
    // The receiver marks the routes stale when the old image's session
    // closes, and fresh again at the new image's End-of-RIB.
    let held = |stale: bool| -> Result<bool> {
        let routes = peer.routes(Family::Ipv4)?;
        Ok(names
            .iter()
            .all(|p| routes.iter().any(|r| &r.prefix == p && (stale || !r.stale)))
            && (!stale || routes.iter().any(|r| r.stale)))
    };
    poll_until("the prefixes stale at the receiver", LONG, || {
        agent.alive()?;
        Ok(held(true)? || peer.state()? != "established")
    })?;
    poll_until("the prefixes fresh at the receiver again", LONG, || {
        agent.alive()?;
        Ok(peer.state()? == "established" && held(false)?)
    })?;
    let to_fresh = clock.elapsed();
    let history = watch.stop()?;
    let from = history.samples.first().map_or(Duration::ZERO, |s| s.at);
    let withdrawn = !names
        .iter()
        .all(|p| history.present_throughout(p, from, history.end));
    Ok(Restart {
        to_fresh,
        withdrawn,
    })
}

/// gobgpd in gw, its prefixes added with `gobgp global rib add` while the
/// session is administratively down (`gobgp mrt inject` loses the last
/// entries of a file, here all of them).
fn gobgpd_run(lab: &Lab, plan: Plan, run: usize) -> Result<Rss> {
    let peer = GobgpPeer::start(lab, GobgpOptions::default())?;
    let mut g = Gobgpd::start(
        lab,
        Role::Gw,
        &format!("footprint-gobgpd-{run}"),
        GW,
        PEER,
        Mode::ActiveAdminDown,
    )?;
    for p in prefix_names(PREFIXES) {
        g.announce(&p)?;
    }
    let held = g.rib_destinations()?;
    ensure!(
        held == PREFIXES,
        "gobgpd holds {held} destinations, not {PREFIXES}"
    );
    g.enable()?;
    settle(plan, &peer, || g.alive())?;
    Rss::of(g.pid())
}

fn bird_run(lab: &Lab, plan: Plan, run: usize) -> Result<Rss> {
    let peer = GobgpPeer::start(lab, GobgpOptions::default())?;
    // BIRD 2 in gw announcing the prefixes from a static protocol.
    let name = format!("footprint-bird-{run}");
    let mut b = Bird::start(lab, Role::Gw, &name, GW, PEER, &prefix_names(PREFIXES))?;
    settle(plan, &peer, || b.alive())?;
    Rss::of(b.pid())
}

fn rss_of(v: &[Rss], f: fn(&Rss) -> u64) -> Vec<u64> {
    v.iter().map(f).collect()
}

/// The table's rows: figure, mpwan, gobgpd, BIRD, goal.
pub fn rows(r: &Results) -> Vec<[String; 5]> {
    let rss = |f: fn(&Rss) -> u64| Speaker::ALL.map(|s| mib_cell(&rss_of(r.rss(s), f), 2));
    let [m, g, b] = rss(|s| s.vm_rss);
    let [mh, gh, bh] = rss(|s| s.vm_hwm);
    let met = Summary::of(&rss_of(&r.mpwan, |s| s.vm_rss)).map_or("", |k| {
        if k.median < GOAL_RSS_KIB {
            " (met)"
        } else {
            " (NOT met)"
        }
    });
    let dash = || "-".to_string();
    vec![
        [
            "idle VmRSS (MiB)".into(),
            m,
            g,
            b,
            format!("< {} MiB{met}", GOAL_RSS_KIB / 1024),
        ],
        ["VmHWM, peak since start (MiB)".into(), mh, gh, bh, dash()],
        [
            "mpwan restart: runs with a prefix withdrawn at the peer".into(),
            format!("{} of {}", r.withdrawn_runs(), r.restarts.len()),
            dash(),
            dash(),
            "0".into(),
        ],
        [
            "mpwan restart -> prefixes fresh at the peer (ms)".into(),
            ms_cell(&r.to_fresh(), 0),
            dash(),
            dash(),
            dash(),
        ],
    ]
}

fn print(mpwan: &Path, plan: Plan, r: &Results, took: Duration) {
    println!(
        "idle footprint: {} run(s), median (min-max); {} s idle before each sample; mpwan = {}",
        plan.runs,
        plan.idle.as_secs(),
        mpwan.display()
    );
    print_table(&["figure", "mpwan", "gobgpd", "BIRD", "goal"], &rows(r));
    println!(
        "\nHow: each speaker in the lab's gw (10.99.0.1 AS 65001) with one session on bgp0 to a\n\
         fresh gobgpd in the peer namespace (10.99.0.2 AS 65000, GR helper), announcing\n\
         {PREFIXES} prefixes ({}). mpwan also tracks wan1 and wan2 (tracker\n\
         defaults, ICMP to 3 IPv4 + 3 IPv6 targets each, MPTCP on); gobgpd gets the prefixes\n\
         from `gobgp global rib add`, BIRD from a static protocol. Once the receiver shows the\n\
         session Established holding every prefix, {} s of idling, then VmRSS and VmHWM of\n\
         /proc/PID/status; the session is checked again.\n\
         restart: `mpwan restart` after the sample; the receiver's RIB polled every 20 ms\n\
         throughout; timed to every prefix present and not stale at the receiver again.\n\
         Total {:.0} s.",
        prefix_names(PREFIXES).join(", "),
        plan.idle.as_secs(),
        took.as_secs_f64()
    );
}

/// The figures for `bench/run`.
fn record(r: &Results) -> Result<()> {
    for s in Speaker::ALL {
        let (suffix, v) = (s.key_suffix(), r.rss(s));
        summary::record_kib(
            &format!("footprint.idle_rss_kib{suffix}"),
            &rss_of(v, |s| s.vm_rss),
        )?;
        summary::record_kib(
            &format!("footprint.idle_hwm_kib{suffix}"),
            &rss_of(v, |s| s.vm_hwm),
        )?;
    }
    summary::record(
        "restart.withdrawn_runs",
        format!("{}/{}", r.withdrawn_runs(), r.restarts.len()),
        "runs",
    )?;
    summary::record_ms("restart.to_fresh_ms", &r.to_fresh(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_show_medians_and_goals() {
        let rss = |k| Rss {
            vm_rss: k,
            vm_hwm: k,
        };
        let r = Results {
            mpwan: vec![rss(4096)],
            gobgpd: vec![rss(20480)],
            bird: vec![rss(3072)],
            restarts: vec![Restart {
                to_fresh: Duration::from_millis(1500),
                withdrawn: false,
            }],
        };
        let rows = rows(&r);
        assert_eq!(rows[0][1..4], ["4.00", "20.00", "3.00"]);
        assert_eq!(rows[0][4], "< 8 MiB (met)");
        assert_eq!(rows[2][1], "0 of 1");
        assert_eq!(rows[3][1], "1500");
    }
}
