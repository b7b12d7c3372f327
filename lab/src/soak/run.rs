//! The driver: builds the lab, starts the peer, the agent and the stream,
//! plays the schedule while polling, and assembles the [`Report`].

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};

use crate::bench::agent::{BenchAgent, STEP};
use crate::bench::cli::build_lab;
use crate::bgp_peer::{Family, GobgpOptions, GobgpPeer};
use crate::wait::{self, Clock};
use crate::{AgentConfigOptions, AgentPaths, BgpOptions, Lab, MptcpStream, Role, Wan};

use super::check::{Checker, PREFIXES, secs};
use super::kernel::{self, Kernel};
use super::schedule::{Action, Fault, Schedule, Shape};
use super::truth::{Bounds, Timers};
use super::usage::{self, Sample, Trend};
use super::view::{self, View};
use super::{Options, Report, rib, seed_from_env};

/// gobgpd's port in the peer namespace.
const PEER_PORT: u16 = 1790;
/// The MPTCP server's port.
const STREAM_PORT: u16 = 4100;
/// Each WAN's routing table (`[mptcp] table`), in [`Wan::ALL`] order, so
/// rules and routes are there to be adopted or duplicated.
const TABLES: [u32; 2] = [101, 102];
/// How often the peer's RIB is read.
const RIB_POLL: Duration = Duration::from_millis(100);
/// How often the agent's open files and memory are read.
const USAGE_EVERY: Duration = Duration::from_secs(1);
/// Enough to see what went wrong; a broken agent would add one a poll.
const MAX_VIOLATIONS: usize = 25;

/// A seed nobody chose: std's random hasher keys (drawn from the OS).
fn random_seed() -> u64 {
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

fn write_config(lab: &Lab, timers: &Timers) -> Result<AgentPaths> {
    let mut extra = String::new();
    for (prefix, cond) in PREFIXES {
        extra += &format!(
            "\n[[bgp.announce]]\nprefix = \"{prefix}\"\nwhen = {}\n",
            cond.toml()
        );
    }
    let opts = AgentConfigOptions {
        tracker: timers.tracker_toml(),
        bgp: Some(BgpOptions {
            listen_port: 0,
            peer_port: PEER_PORT,
        }),
        extra,
        ..AgentConfigOptions::default()
    };
    let paths = lab.write_agent_config(&lab.dir().join("etc"), &opts)?;
    for (wan, table) in Wan::ALL.into_iter().zip(TABLES) {
        let f = paths.config_dir.join(format!("wan.d/{}.toml", wan.name()));
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
        ensure!(text.contains("[mptcp]\n"), "no [mptcp] in {}", f.display());
        let text = text.replace("[mptcp]\n", &format!("[mptcp]\ntable = {table}\n"));
        std::fs::write(&f, text).with_context(|| format!("writing {}", f.display()))?;
    }
    Ok(paths)
}

/// Starts agent `n` (0 first, +1 per restart), logging to
/// `lab.dir()/agent-<n>.log`.
fn start_agent(lab: &Lab, mpwan: &Path, paths: &AgentPaths, n: u32) -> Result<BenchAgent> {
    BenchAgent::start(lab, mpwan, paths, &format!("agent-{n}"), None)
}

/// Copies the agents' logs (`logs`) out of the lab's directory (removed
/// with the lab) into `<tmp>/mpwan-soak-<seed>`, for a failed run.
fn keep_logs(seed: u64, logs: &[PathBuf]) -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("mpwan-soak-{seed}"));
    let copy = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        for from in logs {
            if let Some(name) = from.file_name() {
                std::fs::copy(from, dir.join(name))?;
            }
        }
        Ok(())
    };
    match copy() {
        Ok(()) => Some(dir),
        Err(e) => {
            eprintln!("soak: keeping the agents' logs in {}: {e}", dir.display());
            None
        }
    }
}

/// `LEVEL: message` of a JSON log line at WARN or ERROR.
fn warning(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let level = v["level"].as_str()?;
    if level != "WARN" && level != "ERROR" {
        return None;
    }
    let message = v["fields"]["message"].as_str().unwrap_or("?");
    Some(format!("{level}: {message}"))
}

/// Everything up: both WANs, their endpoints, the session, both prefixes.
fn all_up(v: &View, k: &Kernel) -> bool {
    Wan::ALL
        .iter()
        .all(|w| v.wan(*w).state == "up" && k.endpoint(w.mptcp_id()).is_some())
        && v.established
        && PREFIXES
            .iter()
            .all(|(p, _)| v.announced(p) == Some("announced"))
}

fn read_kernel(lab: &Lab) -> Result<Kernel> {
    let out = lab.ns(Role::Gw).run(&["sh", "-c", kernel::SCRIPT])?;
    kernel::parse(&out)
}

fn peer_has_all(peer: &GobgpPeer) -> Result<()> {
    let routes = peer.routes(Family::Ipv4)?;
    for (p, _) in PREFIXES {
        ensure!(
            routes.iter().any(|r| r.prefix == p && !r.stale),
            "{p} not fresh at the peer: {routes:?}"
        );
    }
    Ok(())
}

/// Runs the soak; `Err` only when the lab or the agent could not be set
/// up or driven, a broken invariant is in the report.
pub fn run(opts: &Options) -> Result<Report> {
    let seed = match opts.seed {
        Some(s) => s,
        None => seed_from_env()?.unwrap_or_else(random_seed),
    };
    eprintln!("soak: seed {seed} (replay with MPWAN_SOAK_SEED={seed})");
    let wall = Clock::start();
    let timers = Timers::LAB;
    let bounds = Bounds::new(timers, opts.poll);
    let schedule = Schedule::draw(
        seed,
        &Shape {
            faults: opts.faults,
            crashes: opts.crashes,
            detect: timers.worst_case_detection(),
            hold_down: timers.hold_down,
        },
    );

    let lab = build_lab()?;
    let paths = write_config(&lab, &timers)?;
    let peer = GobgpPeer::start(
        &lab,
        GobgpOptions {
            listen_port: PEER_PORT,
            ..GobgpOptions::default()
        },
    )?;
    let mut agent = start_agent(&lab, &opts.mpwan, &paths, 0)?;
    wait::until(
        "both WANs, endpoints, session and prefixes up",
        STEP,
        || {
            agent.alive()?;
            let v = view::parse(&agent.status()?)?;
            let k = read_kernel(&lab)?;
            ensure!(all_up(&v, &k), "not yet: {v:?}");
            Ok(())
        },
    )?;
    wait::until("both prefixes fresh at the peer", STEP, || {
        peer_has_all(&peer)
    })?;
    let stream = MptcpStream::start(&lab, STREAM_PORT)?;
    let watch = peer.watch(Family::Ipv4, RIB_POLL)?;
    let now = || watch.elapsed();

    let mut checker = Checker::new(seed, bounds, TABLES, opts.stream_stall, now());
    // Every agent's log, for a failed run.
    let mut logs = vec![agent.log_path().to_path_buf()];
    let mut usage: Vec<Vec<Sample>> = vec![Vec::new()];
    let mut last_usage = Duration::ZERO;
    let mut agents = 0u32;
    let mut agent_transitions = 0u64;
    let mut last_view: Option<View> = None;
    let mut steps = schedule.steps.iter().peekable();
    // The agents' warnings and errors, by level and message.
    let mut notes: BTreeMap<String, u32> = BTreeMap::new();
    eprintln!(
        "soak: {} steps over {}; bounds: detect {}, carrier {}, slack {}",
        schedule.steps.len(),
        secs(opts.faults),
        secs(bounds.detect),
        secs(bounds.carrier),
        secs(bounds.slack)
    );
    loop {
        let t = now();
        while let Some(step) = steps.next_if(|s| s.at <= t) {
            let lo = now();
            eprintln!("soak: [{}] {}", secs(lo), step.action);
            match step.action {
                Action::Start(wan, fault) => {
                    match fault {
                        Fault::Blackhole => lab.blackhole(wan)?,
                        Fault::Loss(p) => lab.loss(wan, p)?,
                        Fault::Carrier => lab.carrier_down(wan)?,
                    }
                    checker.fault_started(wan, fault, lo, now());
                }
                Action::End(wan) => {
                    lab.restore(wan)?;
                    checker.fault_ended(wan, lo, now());
                }
                Action::Crash => {
                    if let Some(v) = last_view.take() {
                        agent_transitions = agent_transitions.saturating_add(v.transitions());
                    }
                    drop(agent);
                    let spawned = now();
                    agents = agents.saturating_add(1);
                    agent = start_agent(&lab, &opts.mpwan, &paths, agents)?;
                    let ready = now();
                    eprintln!(
                        "soak: [{}] agent {agents} (pid {}) answers",
                        secs(ready),
                        agent.pid()
                    );
                    checker.restarted(lo, spawned, ready);
                    logs.push(agent.log_path().to_path_buf());
                    usage.push(Vec::new());
                }
            }
        }

        let sent = now();
        let status = agent.status();
        let received = now();
        let view = match status.map(|s| view::parse(&s).map_err(|e| (e, s))) {
            Ok(Ok(v)) => Some(v),
            Ok(Err((e, s))) => {
                checker.violate(
                    sent,
                    "mpwan status --json",
                    "the documented fields",
                    &format!("{e:#}: {s}"),
                );
                None
            }
            Err(_) => None,
        };
        let kernel = match read_kernel(&lab) {
            Ok(k) => Some(k),
            Err(e) => {
                eprintln!("soak: reading gw's kernel: {e:#}");
                None
            }
        };
        checker.observe(
            sent,
            received,
            view.as_ref(),
            kernel.as_ref(),
            &stream.progress(),
        );
        if let Some(v) = view {
            last_view = Some(v);
        }

        let ready = checker.restarts.last().map_or(Duration::ZERO, |r| r.ready);
        if received >= last_usage.saturating_add(USAGE_EVERY)
            && received >= ready.saturating_add(bounds.startup)
        {
            last_usage = received;
            match usage::read(agent.pid()) {
                Ok(s) => usage.last_mut().into_iter().for_each(|u| u.push(s)),
                Err(e) => eprintln!("soak: {e:#}"),
            }
        }
        for line in agent.log_lines().unwrap_or_default() {
            if line.contains("panicked") {
                checker.violate(received, "the agent's stderr", "no panic", &line);
            }
            if let Some(note) = warning(&line) {
                *notes.entry(note).or_default() += 1;
            }
        }
        if let Err(e) = agent.alive() {
            checker.violate(received, "the agent", "running", &format!("{e:#}"));
            break;
        }
        if checker.violations.len() >= MAX_VIOLATIONS {
            eprintln!("soak: {MAX_VIOLATIONS} violations, stopping early");
            break;
        }
        if steps.peek().is_none() && t >= opts.faults {
            let converged = last_view
                .as_ref()
                .zip(kernel.as_ref())
                .is_some_and(|(v, k)| all_up(v, k));
            let limit = opts.faults.saturating_add(
                bounds
                    .recover(checker.stats.max_hold.max(timers.hold_down), true)
                    .saturating_add(bounds.follow),
            );
            if converged || t >= limit {
                break;
            }
        }
        let spent = now().saturating_sub(t);
        std::thread::sleep(opts.poll.saturating_sub(spent));
    }

    // The end: everything must be back, at the peer and in the kernel.
    if let Err(e) = wait::until("both prefixes fresh at the peer", bounds.follow, || {
        peer_has_all(&peer)
    }) {
        checker.violate(
            now(),
            "the peer's RIB at the end",
            "both prefixes, fresh",
            &format!("{e:#}"),
        );
    }
    let gaps = wait::until("the agent's rules and routes", bounds.follow, || {
        let k = read_kernel(&lab)?;
        let mut gaps = k.all_gaps(TABLES, |_| false);
        gaps.extend(k.duplicates());
        if gaps.is_empty() {
            Ok(())
        } else {
            bail!("{gaps:?}")
        }
    });
    if let Err(e) = gaps {
        checker.violate(
            now(),
            "gw's kernel at the end",
            "every rule and route once",
            &format!("{e:#}"),
        );
    }
    let end = now();
    let history = watch.stop()?;
    let (rib_violations, rib_checked) =
        rib::check(&history, &checker.polls, &checker.restarts, bounds.follow);
    for v in rib_violations {
        checker.record(v);
    }
    let verified = match stream.stop() {
        Ok(p) => p.verified,
        Err(e) => {
            checker.violate(
                end,
                "the MPTCP stream at the end",
                "intact",
                &format!("{e:#}"),
            );
            0
        }
    };
    if let Some(v) = &last_view {
        agent_transitions = agent_transitions.saturating_add(v.transitions());
    }
    let trends: Vec<Trend> = usage
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Trend::of(u32::try_from(i).unwrap_or(u32::MAX), s))
        .collect();
    for t in &trends {
        if let Some(leak) = t.leak() {
            checker.violate(end, "the agent's open files and memory", "flat", &leak);
        }
    }
    let logs = if checker.violations.is_empty() {
        None
    } else {
        keep_logs(seed, &logs)
    };
    Ok(Report {
        notes: notes.into_iter().collect(),
        logs,
        seed,
        faults: opts.faults,
        wall: wall.elapsed(),
        bounds,
        injected: schedule.counts(),
        restarts: agents,
        stats: checker.stats.clone(),
        agent_transitions,
        verified,
        rib: (history.samples.len(), history.failed_polls, rib_checked),
        usage: trends,
        violations: checker.violations,
    })
}
