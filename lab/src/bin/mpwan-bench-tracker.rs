//! The tracker benchmark behind `bench/tracker`: builds the lab, runs
//! `mpwan agent` in its gateway and measures, on this machine,
//!
//! 1. black hole to `down`, with the default tracker settings and a fast
//!    profile ([`detect::blackhole`]);
//! 2. carrier loss to `down`, with the kernel's carrier notice sent at once
//!    and held back as for a physical port ([`carrier::carrier`]);
//! 3. CPU time and peak RSS tracking 4 WANs x 4 targets, with the carrier
//!    poll on (the default) and off ([`usage::measure`]);
//!
//! then prints min / median / max per measurement, the tracker's own
//! bounds, the goals, and what is known of the peers it is compared with
//! ([`report`]). Progress goes to stderr, the report to stdout. The lab is
//! removed on every exit path. The command line, the lab setup, the agent
//! and the statistics are shared with the MPTCP benchmark in
//! `mpwan_lab::bench`.
//!
//! Usage: mpwan-bench-tracker [--quick] PATH-TO-MPWAN   (as root)

#[path = "mpwan-bench-tracker/agent.rs"]
mod agent;
#[path = "mpwan-bench-tracker/carrier.rs"]
mod carrier;
#[path = "mpwan-bench-tracker/detect.rs"]
mod detect;
#[path = "mpwan-bench-tracker/events.rs"]
mod events;
#[path = "mpwan-bench-tracker/monitor.rs"]
mod monitor;
#[path = "mpwan-bench-tracker/report.rs"]
mod report;
#[path = "mpwan-bench-tracker/usage.rs"]
mod usage;

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use mpwan_lab::bench::cli;
use mpwan_lab::wait::Clock;

use detect::Profile;
use report::Results;

/// How many runs of each measurement, and how long each CPU window lasts.
#[derive(Debug, Clone, Copy)]
struct Plan {
    blackhole_default: usize,
    blackhole_fast: usize,
    /// Of each kind of carrier loss with the carrier poll on.
    carrier: usize,
    /// Of carrier losses held back by the kernel with the poll off.
    carrier_no_poll: usize,
    usage_window: Duration,
}

impl Plan {
    const FULL: Plan = Plan {
        blackhole_default: 10,
        blackhole_fast: 20,
        carrier: 10,
        carrier_no_poll: 5,
        usage_window: Duration::from_secs(60),
    };
    const QUICK: Plan = Plan {
        blackhole_default: 3,
        blackhole_fast: 5,
        carrier: 3,
        carrier_no_poll: 2,
        usage_window: Duration::from_secs(15),
    };
}

fn main() {
    cli::main("mpwan-bench-tracker", |quick, mpwan| {
        run(mpwan, if quick { Plan::QUICK } else { Plan::FULL })
    });
}

fn run(mpwan: &Path, plan: Plan) -> Result<()> {
    let clock = Clock::start();
    let load_before = report::load_average();
    let lab = cli::build_lab()?;
    eprintln!("black hole -> down, default profile:");
    let default = detect::blackhole(&lab, mpwan, &Profile::DEFAULT, plan.blackhole_default)?;
    eprintln!("black hole -> down, fast profile:");
    let fast = detect::blackhole(&lab, mpwan, &Profile::FAST, plan.blackhole_fast)?;
    eprintln!("carrier loss -> down:");
    let carrier = carrier::carrier(&lab, mpwan, plan.carrier, plan.carrier_no_poll)?;
    eprintln!("CPU and memory, 4 WANs x 4 targets:");
    let usage = usage::measure(&lab, mpwan, plan.usage_window)?;
    drop(lab);
    let results = Results {
        default,
        fast,
        carrier,
        usage,
        load: (load_before, report::load_average()),
    };
    report::print(mpwan, &results, clock.elapsed())
}
