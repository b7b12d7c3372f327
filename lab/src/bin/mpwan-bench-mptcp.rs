//! The MPTCP benchmark behind `bench/mptcp`: builds the lab, keeps an MPTCP
//! stream running from its gateway to its internet namespace, and through
//! repeated black holes of WAN2 measures, on this machine,
//!
//! 1. the time from the tracker's `down` for WAN2's IPv4 family to WAN2's
//!    MPTCP endpoint being gone from the kernel (goal <= 20 ms);
//! 2. the time from the endpoint's re-enable (added back after the
//!    hold-down) to the same connection's first subflow on WAN2 (goal
//!    <= 1 s);
//!
//! then prints min / median / max per measurement, how each is taken, and
//! what is known of the peers ([`report`]). Progress goes to stderr, the
//! report to stdout. The lab is removed on every exit path.
//!
//! Each cycle runs under a fresh `mpwan agent` ([`cycle`]); the agent's
//! JSON log ([`events`], read by `mpwan_lab::bench::agent`) and
//! `ip -ts mptcp monitor` ([`monitor`]) give the timestamps. The command
//! line, the lab setup, the agent and the statistics are shared with the
//! tracker benchmark in `mpwan_lab::bench`.
//!
//! Usage: mpwan-bench-mptcp [--quick] PATH-TO-MPWAN   (as root)

#[path = "mpwan-bench-mptcp/cycle.rs"]
mod cycle;
#[path = "mpwan-bench-mptcp/events.rs"]
mod events;
#[path = "mpwan-bench-mptcp/monitor.rs"]
mod monitor;
#[path = "mpwan-bench-mptcp/report.rs"]
mod report;

use std::path::Path;

use anyhow::{Context, Result, bail};
use mpwan_lab::bench::agent::STEP;
use mpwan_lab::bench::cli;
use mpwan_lab::wait::Clock;
use mpwan_lab::{AgentConfigOptions, MptcpStream};

use cycle::Bench;
use monitor::Monitor;
use report::Results;

/// How many MPTCP connections, and how many outage cycles each lives
/// through.
#[derive(Debug, Clone, Copy)]
struct Plan {
    connections: usize,
    cycles: usize,
}

impl Plan {
    const FULL: Plan = Plan {
        connections: 2,
        cycles: 5,
    };
    const QUICK: Plan = Plan {
        connections: 1,
        cycles: 2,
    };
}

/// The stream's first port; each connection takes the next.
const FIRST_PORT: u16 = 4100;

fn main() {
    cli::main("mpwan-bench-mptcp", |quick, mpwan| {
        run(mpwan, if quick { Plan::QUICK } else { Plan::FULL })
    });
}

fn run(mpwan: &Path, plan: Plan) -> Result<()> {
    let clock = Clock::start();
    let lab = cli::build_lab()?;
    // The lab's default options are the integration tests' profile
    // (report::PROFILE), with MPTCP on and IPv6 probes.
    let paths = lab.write_agent_config(&lab.dir().join("etc"), &AgentConfigOptions::default())?;
    let mut monitor = Monitor::start(&lab)?;
    let mut samples = Vec::new();
    let mut verified: u64 = 0;
    for c in 0..plan.connections {
        let port = FIRST_PORT.saturating_add(u16::try_from(c).unwrap_or(u16::MAX));
        let mark = monitor.mark();
        let stream = MptcpStream::start(&lab, port)?;
        let token_text = stream.token(&lab)?;
        let token = u32::from_str_radix(&token_text, 16)
            .with_context(|| format!("token {token_text:?} from ss is not hexadecimal"))?;
        // The monitor is subscribed (Monitor::start); this proves it sees
        // the stream's own connection, whose events the cycles time.
        monitor.wait("the stream's CREATED event", mark, STEP, |e| {
            e.kind == "CREATED" && e.token == Some(token)
        })?;
        eprintln!("connection {} (token {token_text}):", c.saturating_add(1));
        let mut bench = Bench {
            lab: &lab,
            mpwan,
            paths: &paths,
            stream: &stream,
            token_text: &token_text,
            token,
            monitor: &mut monitor,
        };
        for n in 0..plan.cycles {
            let index = c.saturating_mul(plan.cycles).saturating_add(n);
            let s = bench
                .cycle(index)
                .with_context(|| format!("cycle {}", index.saturating_add(1)))?;
            eprintln!(
                "  cycle {}: down->Delete {}, down->SF_CLOSED {}, Add->SF_ESTABLISHED {}, \
                 restore->SF_ESTABLISHED {}",
                index.saturating_add(1),
                report::ms(s.down_to_delete),
                report::ms(s.down_to_closed),
                report::ms(s.add_to_established),
                report::ms(s.restore_to_established),
            );
            samples.push(s);
        }
        if stream.token(&lab)? != token_text {
            bail!("the stream's connection changed during its cycles");
        }
        let p = stream.stop().context("the stream across the cycles")?;
        verified = verified.saturating_add(p.verified);
    }
    drop(monitor);
    drop(lab);
    let results = Results {
        samples,
        runs: plan.connections,
        cycles_per_run: plan.cycles,
        verified,
        elapsed: clock.elapsed(),
    };
    report::print(mpwan, &results);
    report::record(&results)
}
