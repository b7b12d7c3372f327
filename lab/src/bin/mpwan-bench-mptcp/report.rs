//! The printed result: a table of min / median / max per measurement with
//! its goal, how each was taken, and the peers it is compared with
//! ([`print`]); and the medians for `bench/run` ([`record`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use mpwan_lab::bench::stats::{self, Summary};
use mpwan_lab::bench::summary;

use crate::cycle::Sample;

/// The tracker profile of the agent under test (the lab's default, the one
/// the integration tests use), as printed.
pub const PROFILE: &str = "interval 250ms, failure_interval 250ms, recovery_interval 250ms, \
                           timeout 200ms, down 3, up 3, hold_down 1s";

/// A duration in milliseconds with two decimals (`12.35 ms`): the goals
/// here are tens of milliseconds.
pub fn ms(d: Duration) -> String {
    stats::ms(d, 2)
}

/// Everything the report needs.
pub struct Results {
    pub samples: Vec<Sample>,
    /// How many MPTCP connections the cycles were spread over.
    pub runs: usize,
    pub cycles_per_run: usize,
    /// Bytes the runs' streams verified, all together.
    pub verified: u64,
    /// How long the whole benchmark took.
    pub elapsed: Duration,
}

/// One row: a label, how to take the figure from a sample, and the goal.
struct Row {
    label: &'static str,
    /// The key of its median in the summary file ([`summary`]).
    key: &'static str,
    take: fn(&Sample) -> Duration,
    goal: Option<Duration>,
}

const ROWS: [Row; 6] = [
    Row {
        label: "1. WAN2 IPv4 down -> endpoint 2 gone (kernel)",
        key: "mptcp.down_to_endpoint_gone_ms",
        take: |s| s.down_to_closed,
        goal: Some(Duration::from_millis(20)),
    },
    Row {
        label: "   down -> Delete sent (agent log)",
        key: "mptcp.down_to_delete_ms",
        take: |s| s.down_to_delete,
        goal: None,
    },
    Row {
        label: "   Delete sent -> SF_CLOSED (kernel event)",
        key: "mptcp.delete_to_closed_ms",
        take: |s| s.delete_to_closed,
        goal: None,
    },
    Row {
        label: "2. re-enable (Add id 2 sent) -> SF_ESTABLISHED",
        key: "mptcp.readd_to_subflow_ms",
        take: |s| s.add_to_established,
        goal: Some(Duration::from_secs(1)),
    },
    Row {
        label: "   WAN2 IPv4 up (after hold-down) -> Add sent",
        key: "mptcp.up_to_add_ms",
        take: |s| s.up_to_add,
        goal: None,
    },
    Row {
        label: "   black hole lifted -> SF_ESTABLISHED",
        key: "mptcp.restore_to_subflow_ms",
        take: |s| s.restore_to_established,
        goal: None,
    },
];

/// Each row's samples.
fn values(row: &Row, r: &Results) -> Vec<Duration> {
    r.samples.iter().map(row.take).collect()
}

/// Prints the report on stdout.
pub fn print(mpwan: &Path, r: &Results) {
    println!("mpwan MPTCP path management benchmark (bench/mptcp)");
    println!("machine: {}", machine());
    println!("agent:   {} in the lab's gw namespace", mpwan.display());
    println!("tracker: {PROFILE}");
    println!("         (the lab's test profile; ICMP probes to 3 IPv4 and 3 IPv6 targets per WAN)");
    println!(
        "cycles:  {} ({} connection(s) x {} cycles, a fresh agent per cycle so that every",
        r.samples.len(),
        r.runs,
        r.cycles_per_run
    );
    println!("         hold-down is 1 s: the tracker doubles it for a WAN that flaps, which");
    println!("         would only lengthen the last row)");
    println!(
        "stream:  each connection (gw to inet) lives through all its cycles: \
         {:.1} MiB verified byte by byte, none lost or corrupted",
        r.verified as f64 / (1024.0 * 1024.0)
    );
    println!();
    println!(
        "{:<48} {:>3} {:>11} {:>11} {:>11}  goal",
        "measurement", "n", "min", "median", "max"
    );
    for row in &ROWS {
        let Some(s) = Summary::of(&values(row, r)) else {
            println!("{:<48} {:>3}  (no samples)", row.label, 0);
            continue;
        };
        println!(
            "{:<48} {:>3} {:>11} {:>11} {:>11}  {}",
            row.label,
            s.n,
            ms(s.min),
            ms(s.median),
            ms(s.max),
            verdict(&s, row.goal)
        );
    }
    println!();
    println!("SF_CLOSED socket errors: {}", closed_errors(&r.samples));
    println!();
    for line in METHOD {
        println!("{line}");
    }
    println!();
    for line in PEERS {
        println!("{line}");
    }
    println!();
    println!("total time: {:.0} s", r.elapsed.as_secs_f64());
}

/// Writes each row's median to the summary file ([`summary`]).
pub fn record(r: &Results) -> anyhow::Result<()> {
    for row in &ROWS {
        summary::record_ms(row.key, &values(row, r), 2)?;
    }
    Ok(())
}

/// `goal <= 20 ms: met (max)`, or how far it is met.
fn verdict(s: &Summary, goal: Option<Duration>) -> String {
    let Some(goal) = goal else {
        return String::new();
    };
    let word = if s.max <= goal {
        "met by every cycle"
    } else if s.median <= goal {
        "met by the median, not by the max"
    } else {
        "NOT met"
    };
    format!("<= {}: {word}", ms(goal))
}

/// `0 x10`, or each error seen with its count.
fn closed_errors(samples: &[Sample]) -> String {
    let mut counts: BTreeMap<Option<i32>, usize> = BTreeMap::new();
    for s in samples {
        let c = counts.entry(s.closed_error).or_default();
        *c = c.saturating_add(1);
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(e, n)| match e {
            Some(e) => format!("error={e} x{n}"),
            None => format!("no socket error x{n}"),
        })
        .collect();
    parts.join(", ")
}

/// The kernel release and the number of CPUs.
fn machine() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown kernel".into());
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    format!("Linux {release}, {cpus} CPU(s); lab of network namespaces, veth pairs, nftables")
}

const METHOD: &[&str] = &[
    "How each figure is taken (all clocks are this machine's CLOCK_REALTIME, microseconds):",
    "- The outage is an nftables black hole between gw and WAN2's provider (Lab::blackhole),",
    "  lifted with Lab::restore. The agent runs with --log-format json --log-level debug.",
    "- \"down\" / \"up\": the tracker's `transition` line for scope Family(V4), taken as",
    "  WAN2's because only WAN2 has an outage (the line names its WAN only through its span);",
    "  a `WAN state` line for WAN1 during a cycle fails the benchmark.",
    "- \"Delete sent\" / \"Add sent\": the reconciler driver's debug line `MPTCP path manager`",
    "  for endpoint id 2, written just before the request goes to the kernel. The driver",
    "  does not log the kernel's answer, so the endpoint's removal is timed from the kernel:",
    "  DEL_ADDR closes the endpoint's subflows before it returns and the kernel multicasts",
    "  SF_CLOSED for each. `ip -ts mptcp monitor` (TZ=UTC) in gw stamps that event when it",
    "  reads it, so figure 1 includes ip's wake-up: an upper bound on the kernel's work.",
    "  After every SF_CLOSED, `ip mptcp endpoint show` confirms id 2 is gone.",
    "- \"SF_ESTABLISHED\": the first such event of the stream's connection (its token) with",
    "  saddr4=10.2.0.2 after the restore, stamped by the same monitor.",
    "- The stream keeps moving (256 KiB checked) with WAN2 black-holed and after it returns.",
    "- The lab's links are veth pairs with round trips of tens of microseconds: on a real",
    "  WAN, figure 2 grows by about one round trip of that WAN (the MP_JOIN handshake).",
];

const PEERS: &[&str] = &[
    "Peers (not measured here; no figures are given for them):",
    "- OpenMPTCProuter: not measured (an OpenWrt distribution, not installable on this",
    "  machine). Documented behaviour: the kernel does not rebuild a subflow on a returning",
    "  WAN, and its workaround is `sleep 15; multipath <dev> off; multipath <dev> on`, i.e.",
    "  a fixed 15 s wait before the endpoint is toggled, on top of omr-tracker's detection.",
    "- mptcpd: not measured (Debian 12 packages mptcpd 0.12, but this benchmark does not run",
    "  it). Documented behaviour: it follows address and link events, not path health; a",
    "  black hole changes no address, so it never removes the endpoint and never rebuilds",
    "  the subflow: the dead subflow waits for TCP's timeout and the kernel does not retry",
    "  it (FIELD-NOTES, \"Why subflows are not rebuilt\").",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(max_ms: u64, median_ms: u64) -> Summary {
        Summary {
            n: 3,
            min: Duration::from_millis(1),
            median: Duration::from_millis(median_ms),
            max: Duration::from_millis(max_ms),
        }
    }

    #[test]
    fn verdicts_name_how_far_a_goal_is_met() {
        let goal = Some(Duration::from_millis(20));
        assert_eq!(
            verdict(&summary(20, 5), goal),
            "<= 20.00 ms: met by every cycle"
        );
        assert!(verdict(&summary(30, 5), goal).contains("median, not by the max"));
        assert!(verdict(&summary(40, 25), goal).contains("NOT met"));
        assert_eq!(verdict(&summary(40, 25), None), "");
    }

    #[test]
    fn closed_errors_are_counted() {
        let s = Sample {
            down_to_delete: Duration::ZERO,
            delete_to_closed: Duration::ZERO,
            down_to_closed: Duration::ZERO,
            closed_error: Some(0),
            up_to_add: Duration::ZERO,
            add_to_established: Duration::ZERO,
            restore_to_established: Duration::ZERO,
        };
        let mut t = s.clone();
        t.closed_error = None;
        assert_eq!(
            closed_errors(&[s.clone(), s, t]),
            "no socket error x1, error=0 x2"
        );
    }
}
