//! The report on stdout: one table of detection times, the profiles, how
//! it was measured, the peers, and the resources used.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use mpwan_lab::bench::stats::{self, Summary};
use mpwan_lab::bench::summary;

use crate::carrier::CarrierResults;
use crate::detect::{Detection, Profile, VICTIM};
use crate::usage::Usage;

/// A duration in milliseconds with one decimal (`2931.4 ms`): the goals
/// here are hundreds of milliseconds and more.
pub fn ms(d: Duration) -> String {
    stats::ms(d, 1)
}

/// Goals of the issue "WAN health tracking", Performance section.
const GOAL_DEFAULT: Duration = Duration::from_secs(3);
const GOAL_FAST: Duration = Duration::from_millis(400);
const GOAL_CARRIER: Duration = Duration::from_millis(50);
const GOAL_CPU_PERCENT: f64 = 1.0;
const GOAL_RSS_KIB: u64 = 10 * 1024;

/// The agent's `[agent] carrier_poll` default.
const CARRIER_POLL: Duration = Duration::from_millis(40);

/// Everything measured.
pub struct Results {
    pub default: Detection,
    pub fast: Detection,
    pub carrier: CarrierResults,
    pub usage: Vec<Usage>,
    /// The 1-minute load average before and after, as /proc/loadavg
    /// says: other work on the machine shows in the figures.
    pub load: (String, String),
}

/// The 1-minute load average, or `?`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

pub fn print(mpwan: &Path, r: &Results, took: Duration) -> Result<()> {
    let version = command_line(Command::new(mpwan).arg("--version"))?;
    let kernel = command_line(Command::new("uname").arg("-r"))?;
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "mpwan tracker benchmark: {version} ({}), kernel {kernel}, {cores} cores",
        mpwan.display()
    );
    println!(
        "probes per WAN: ICMP 3 x IPv4 + 3 x IPv6, DNS, HTTP; black holes hit {} in its provider's namespace",
        VICTIM.name()
    );
    println!(
        "load average (1 min) {} before, {} after: other work on the machine adds scheduling delay",
        r.load.0, r.load.1
    );
    println!();
    detection_table(r)?;
    println!();
    println!("profiles:");
    for p in [&Profile::DEFAULT, &Profile::FAST] {
        println!(
            "  {:<8} {}; recovery_interval {}, up 3, hold_down 0s (a restored WAN is up for the next run)",
            p.name,
            p.describe(),
            short(p.recovery_interval)
        );
    }
    println!();
    method(r);
    println!();
    println!("peers, black hole -> down with their defaults (FIELD-NOTES):");
    println!(
        "  {:<12} ~20 s       not measured (not installable here)",
        "omr-tracker"
    );
    println!(
        "  {:<12} 60-130 s    not measured (not installable here)",
        "mwan3track"
    );
    println!();
    resources(&r.usage);
    println!();
    println!("benchmark took {:.0} s", took.as_secs_f64());
    record(r)
}

/// The figures for `bench/run` ([`summary`]): detection medians, CPU and
/// peak RSS.
fn record(r: &Results) -> Result<()> {
    let c = &r.carrier;
    for (key, samples) in [
        ("tracker.blackhole_default_ms", &r.default.samples),
        ("tracker.blackhole_default_family_ms", &r.default.families),
        ("tracker.blackhole_fast_ms", &r.fast.samples),
        ("tracker.blackhole_fast_family_ms", &r.fast.families),
        ("tracker.carrier_at_once_ms", &c.at_once.samples),
        ("tracker.carrier_held_back_ms", &c.held_back.samples),
        (
            "tracker.carrier_held_back_no_poll_ms",
            &c.held_back_no_poll.samples,
        ),
    ] {
        summary::record_ms(key, samples, 1)?;
    }
    for (u, name) in r.usage.iter().zip(["default", "no_poll"]) {
        summary::record(
            &format!("tracker.cpu_percent_{name}"),
            format!("{:.2}", u.cpu_percent()),
            "%",
        )?;
        summary::record(&format!("tracker.peak_rss_kib_{name}"), u.vm_hwm_kib, "KiB")?;
    }
    Ok(())
}

fn detection_table(r: &Results) -> Result<()> {
    println!("detection, from the outage to the agent's `down` (ms):");
    println!(
        "  {:<40} {:<8} {:>3} {:>8} {:>8} {:>8}  {:<15} {:<9} met: median / max",
        "measurement", "profile", "n", "min", "median", "max", "tracker bounds", "goal",
    );
    let (d, f) = (&Profile::DEFAULT, &Profile::FAST);
    let poll = format!("poll {} ms", CARRIER_POLL.as_millis());
    let c = &r.carrier;
    let both = "black hole, WAN down (both families)";
    let one = "black hole, one family down";
    row(both, d, &r.default.samples, GOAL_DEFAULT, &bounds(d))?;
    row(one, d, &r.default.families, GOAL_DEFAULT, &bounds(d))?;
    row(both, f, &r.fast.samples, GOAL_FAST, &bounds(f))?;
    row(one, f, &r.fast.families, GOAL_FAST, &bounds(f))?;
    let at_once = "carrier loss, kernel notice at once";
    let held_back = "carrier loss, kernel notice held back";
    let no_poll = "  the same, carrier_poll = \"0s\"";
    row(at_once, d, &c.at_once.samples, GOAL_CARRIER, &poll)?;
    row(held_back, d, &c.held_back.samples, GOAL_CARRIER, &poll)?;
    row(
        no_poll,
        d,
        &c.held_back_no_poll.samples,
        GOAL_CARRIER,
        "no poll",
    )
}

/// One line of the detection table.
fn row(
    what: &str,
    profile: &Profile,
    samples: &[Duration],
    goal: Duration,
    theory: &str,
) -> Result<()> {
    let s = Summary::of(samples).with_context(|| format!("no samples of {what}"))?;
    println!(
        "  {what:<40} {:<8} {:>3} {:>8} {:>8} {:>8}  {theory:<15} {:<9} {} / {}",
        profile.name,
        s.n,
        num(s.min),
        num(s.median),
        num(s.max),
        format!("<= {}", short(goal)),
        yes(s.median <= goal),
        yes(s.max <= goal),
    );
    Ok(())
}

fn method(r: &Results) {
    let median = |v: &[Duration]| Summary::of(v).map(|s| ms(s.median)).unwrap_or_default();
    let c = &r.carrier;
    let clamped = [
        &r.default,
        &r.fast,
        &c.at_once,
        &c.held_back,
        &c.held_back_no_poll,
    ]
    .iter()
    .map(|d| d.clamped)
    .sum::<usize>();
    let lines = [
        "method:".to_string(),
        "  end    the agent's own timestamp (microseconds, --log-format json) on its log line for the".into(),
        "         transition: `WAN state ... to=down` for the WAN, `transition` (scope Family) for a family.".into(),
        "  start  on the same clock, seen in the provider's namespace. Black hole: the kernel's report of".into(),
        "         the nft transaction's commit (`nft monitor`, stamped on arrival), from which the rules act.".into(),
        "         Carrier loss: the kernel's notice of the provider's end going down (`ip -ts monitor".into(),
        "         link`), sent from within `ip link set down`. Each is capped at its command's return".into(),
        format!(
            "         (nft {} median, ip {}); agent stamps up to 5 ms before it count as 0 ({clamped} here).",
            median(&r.default.commands),
            median(&c.at_once.commands)
        ),
        "  phase  each outage starts after a random wait below one interval: anywhere in the schedule.".into(),
        "  WAN    a dual-stack WAN is down once both families are; each family has its own rounds.".into(),
        "  carrier  at once: the lab's veth (ends with different indexes: urgent for the kernel, which".into(),
        "         sends the notice at once). Held back: a veth whose ends share an index, not urgent, as".into(),
        "         a physical port, lost 100 ms after another non-urgent change: the kernel holds the notice".into(),
        format!(
            "         back for the rest of its one-second window ({} median in gw with the poll off). The",
            median(&c.held_back_no_poll.notices)
        ),
        format!(
            "         poll's RTM_GETLINK makes 6.18 send it at once ({} median with the poll on; {} at once).",
            median(&c.held_back.notices),
            median(&c.at_once.notices)
        ),
    ];
    for l in lines {
        println!("{l}");
    }
}

fn resources(usage: &[Usage]) {
    let Some(first) = usage.first() else { return };
    println!(
        "resources: {} WANs x {} targets (2 ICMP + DNS + HTTP each), default tracker settings (1 s interval),",
        first.wans, first.targets_per_wan
    );
    println!(
        "  {:.0} s window once all are up; CPU = utime + stime of /proc/<pid>/stat, peak RSS = VmHWM:",
        first.window.as_secs_f64()
    );
    println!(
        "  {:<46} {:>10} {:>14} {:>11} {:>8}   goals: CPU < {GOAL_CPU_PERCENT} %, RSS < 10 MiB",
        "configuration", "CPU", "CPU time", "peak RSS", "threads"
    );
    for u in usage {
        println!(
            "  {:<46} {:>8.2} % {:>14} {:>7.2} MiB {:>8}   met: {} / {}",
            u.label,
            u.cpu_percent(),
            ms(u.cpu),
            u.vm_hwm_kib as f64 / 1024.0,
            u.threads,
            yes(u.cpu_percent() < GOAL_CPU_PERCENT),
            yes(u.vm_hwm_kib < GOAL_RSS_KIB),
        );
    }
}

/// The tracker's best and worst case for a profile.
fn bounds(p: &Profile) -> String {
    let (best, worst) = p.theory();
    format!("{}-{}", best.as_millis(), worst.as_millis())
}

/// Milliseconds with one decimal, without the unit (the table says it).
fn num(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// `3 s`, `400 ms`.
fn short(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The first line a command prints.
fn command_line(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_written_compactly() {
        assert_eq!(short(Duration::from_secs(3)), "3 s");
        assert_eq!(short(Duration::from_millis(400)), "400 ms");
        assert_eq!(num(Duration::from_micros(294_640)), "294.6");
        assert_eq!(bounds(&Profile::FAST), "280-380");
        assert_eq!((yes(true), yes(false)), ("yes", "no"));
    }
}
