//! The printed table: one row per figure, one column per speaker, each
//! cell the median of the runs with min-max when there were several.

use std::path::Path;
use std::time::Duration;

use super::announce::Announce;
use super::receive::{Column, Receive};
use super::withdraw::WithdrawSample;
use super::{Plan, Sample};
use crate::bench::stats::{Summary, mib_cell, ms_cell, print_table};
use crate::bench::summary::{self, Speaker};

/// Everything the three scenarios measured.
#[derive(Debug, Clone)]
pub struct Results {
    pub announce: Announce,
    /// The same, to a BIRD receiver.
    pub announce_bird: Announce,
    pub receive: Receive,
    pub withdraw: Vec<WithdrawSample>,
    pub elapsed: Duration,
}

/// A column's cell: its successful runs, and how many failed.
fn column_cell(c: &Column, cell: impl Fn(&[Sample]) -> String) -> String {
    match (c.samples.is_empty(), c.failed.len()) {
        (_, 0) => cell(&c.samples),
        (true, k) => format!("failed ({k} of {k})"),
        (false, k) => format!("{} ({k} failed)", cell(&c.samples)),
    }
}

fn times(s: &[Sample]) -> Vec<Duration> {
    s.iter().map(|s| s.time).collect()
}

fn rss(s: &[Sample]) -> Vec<u64> {
    s.iter().map(|s| s.rss_kib).collect()
}

/// The rows of the table: scenario, then the mpwan, gobgpd and BIRD cells.
pub fn rows(plan: Plan, r: &Results) -> Vec<[String; 4]> {
    let a = &r.announce;
    let receive_row = |label: String, cell: fn(&[Sample]) -> String| {
        let [m, g, b] = Speaker::ALL.map(|s| column_cell(r.receive.column(s), cell));
        [label, m, g, b]
    };
    let k = |n: usize| format!("{}k", n / 1000);
    let na = k(plan.announce);
    let nr = k(plan.receive);
    let dash = || "-".to_string();
    let w = |f: fn(&WithdrawSample) -> Duration| r.withdraw.iter().map(f).collect::<Vec<_>>();
    vec![
        [
            format!("announce {na} to gobgpd: Established -> gobgpd holds all (ms)"),
            ms_cell(&times(&a.mpwan), 0),
            ms_cell(&times(&a.gobgpd), 0),
            dash(),
        ],
        [
            format!("announce {na} to gobgpd: first route held -> all held (ms)"),
            ms_cell(&a.mpwan_first_to_all, 0),
            ms_cell(&a.gobgpd_first_to_all, 0),
            dash(),
        ],
        [
            format!("announce {na} to gobgpd: announcer peak RSS (MiB)"),
            mib_cell(&rss(&a.mpwan), 1),
            mib_cell(&rss(&a.gobgpd), 1),
            dash(),
        ],
        [
            format!("announce {na} to gobgpd: agent start -> all held (ms)"),
            ms_cell(&a.mpwan_from_start, 0),
            dash(),
            dash(),
        ],
        [
            format!("announce {na}: gobgp mrt inject -> RIB holds all (ms)"),
            dash(),
            ms_cell(&a.gobgpd_inject, 0),
            dash(),
        ],
        [
            format!("announce {na} to BIRD: Established -> BIRD holds all (ms)"),
            ms_cell(&times(&r.announce_bird.mpwan), 0),
            ms_cell(&times(&r.announce_bird.gobgpd), 0),
            dash(),
        ],
        [
            format!("announce {na} to BIRD: first route held -> all held (ms)"),
            ms_cell(&r.announce_bird.mpwan_first_to_all, 0),
            ms_cell(&r.announce_bird.gobgpd_first_to_all, 0),
            dash(),
        ],
        [
            format!("announce {na} to BIRD: announcer peak RSS (MiB)"),
            mib_cell(&rss(&r.announce_bird.mpwan), 1),
            mib_cell(&rss(&r.announce_bird.gobgpd), 1),
            dash(),
        ],
        receive_row(
            format!("receive {nr}: first UPDATE -> receiver holds all (ms)"),
            |s| ms_cell(&times(s), 0),
        ),
        receive_row(format!("receive {nr}: receiver peak RSS (MiB)"), |s| {
            mib_cell(&rss(s), 1)
        }),
        [
            "withdraw: WAN2 down (log) -> agent decision (log) (ms)".into(),
            ms_cell(&w(|s| s.down_to_decision), 2),
            dash(),
            dash(),
        ],
        [
            "withdraw: WAN2 down (log) -> peer withdrawn (ms, goal <= 1000)".into(),
            ms_cell(&w(|s| s.down_to_peer), 1),
            dash(),
            dash(),
        ],
        [
            "withdraw: mpwan stop -> peer withdrawn (ms)".into(),
            ms_cell(&w(|s| s.stop_to_peer), 1),
            dash(),
            dash(),
        ],
    ]
}

/// The figures for `bench/run` ([`summary`]): per scenario and speaker
/// the median time, the rate it makes (routes per second) and the median
/// peak RSS; the withdraw medians.
pub fn record(plan: Plan, r: &Results) -> anyhow::Result<()> {
    // `base_ms@who`, `base_rate@who`, `base_rss_kib@who`.
    let speed = |base: &str, who: &str, n: usize, s: &[Sample]| -> anyhow::Result<()> {
        let t = times(s);
        summary::record_ms(&format!("{base}_ms{who}"), &t, 0)?;
        if let Some(m) = Summary::of(&t).filter(|m| !m.median.is_zero()) {
            let rate = n as f64 / m.median.as_secs_f64();
            summary::record(
                &format!("{base}_rate{who}"),
                format!("{rate:.0}"),
                "routes/s",
            )?;
        }
        summary::record_kib(&format!("{base}_rss_kib{who}"), &rss(s))
    };
    for (base, a) in [
        ("bgp.announce_gobgpd", &r.announce),
        ("bgp.announce_bird", &r.announce_bird),
    ] {
        let (mpwan, gobgpd) = (Speaker::Mpwan.key_suffix(), Speaker::Gobgpd.key_suffix());
        speed(base, mpwan, plan.announce, &a.mpwan)?;
        speed(base, gobgpd, plan.announce, &a.gobgpd)?;
        let first = format!("{base}_first_to_all_ms");
        summary::record_ms(&format!("{first}{mpwan}"), &a.mpwan_first_to_all, 0)?;
        summary::record_ms(&format!("{first}{gobgpd}"), &a.gobgpd_first_to_all, 0)?;
    }
    for s in Speaker::ALL {
        let c = r.receive.column(s);
        speed("bgp.receive", s.key_suffix(), plan.receive, &c.samples)?;
    }
    let w = |f: fn(&WithdrawSample) -> Duration| r.withdraw.iter().map(f).collect::<Vec<_>>();
    summary::record_ms("bgp.withdraw_down_to_peer_ms", &w(|s| s.down_to_peer), 1)?;
    summary::record_ms(
        "bgp.withdraw_down_to_decision_ms",
        &w(|s| s.down_to_decision),
        2,
    )?;
    summary::record_ms("bgp.withdraw_stop_to_peer_ms", &w(|s| s.stop_to_peer), 1)?;
    summary::record("bgp.announce_n", plan.announce, "routes")?;
    summary::record("bgp.receive_n", plan.receive, "routes")
}

/// Prints the table and how each figure was taken.
pub fn print(mpwan: &Path, plan: Plan, r: &Results) {
    for s in Speaker::ALL {
        for f in &r.receive.column(s).failed {
            println!("receive: a {} run failed: {f}", s.label());
        }
    }
    println!(
        "BGP benchmark: {} run(s), median (min-max); mpwan = {}",
        plan.runs,
        mpwan.display()
    );
    print_table(&["scenario", "mpwan", "gobgpd", "BIRD"], &rows(plan, r));
    println!(
        "\nHow: in the lab's namespaces (gw 10.99.0.1 AS 65001 -- bgp0 -- peer 10.99.0.2 AS 65000).\n\
         announce: mpwan = `mpwan agent` with {} [[bgp.announce]] (when = \"any\"); gobgpd loaded\n  \
         from an MRT TABLE_DUMP_V2 file while admin-down, then enabled; receiver gobgpd, its\n  \
         `gobgp -j neighbor` polled (one CLI call, ~15 ms, per poll: the resolution); then\n  \
         the same to a BIRD receiver (`birdc show protocols [all]` polled). mpwan announces\n  \
         only once every WAN's health is known (its first probe rounds), so Established -> all\n  \
         holds that wait; first route held -> all held is the transfer alone, for both.\n\
         receive: sender gobgpd loaded from MRT; from its first UPDATE on the wire (tcpdump -tt\n  \
         on gw's bgp0) to the receiver's count, polled (mpwan status --json\n  \
         bgp.neighbors[0].received, gobgp neighbor received,\n  \
         birdc show protocols all \"Routes: N imported\").\n\
         peak RSS: VmHWM of the announcer / receiver process, read once it held everything.\n\
         withdraw: `WAN state` wan2 -> down and `BGP announcement` lines of the agent's JSON log\n  \
         (microseconds) against `gobgp -j monitor global rib` lines stamped when read (sub-ms).\n\
         Total {:.0} s.",
        plan.announce,
        r.elapsed.as_secs_f64()
    );
}
