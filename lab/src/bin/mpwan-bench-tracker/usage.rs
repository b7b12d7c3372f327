//! CPU time and memory of the agent tracking four WANs, each with four
//! targets (two ICMP, the DNS server, the HTTP server), at the default
//! settings (rounds every second). The lab's two WANs get two extra uplinks
//! through the same providers ([`mpwan_lab::extra_wan`]). Measured twice:
//! as configured by default, and with the carrier poll off (`[agent]
//! carrier_poll = "0s"`), which tells the probes' share from the poll's.
//!
//! CPU time is `utime + stime` of /proc/<pid>/stat (every thread, ended
//! ones included), read once every WAN is up and again after the window;
//! peak memory is `VmHWM` of /proc/<pid>/status at the end (the whole run,
//! start-up included). The pid is the agent's own: `ip netns exec` execs it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use mpwan_lab::bench::agent::{BenchAgent, wan_entry};
use mpwan_lab::bench::memory::{read_status, status_number};
use mpwan_lab::wait::Clock;
use mpwan_lab::{AgentConfigOptions, Lab, Wan, addr};

/// What one run measured.
#[derive(Debug)]
pub struct Usage {
    /// Which configuration.
    pub label: &'static str,
    pub wans: usize,
    pub targets_per_wan: usize,
    /// The measured window, as it really lasted.
    pub window: Duration,
    /// CPU time spent in the window.
    pub cpu: Duration,
    pub vm_hwm_kib: u64,
    pub threads: u64,
}

impl Usage {
    /// CPU time per wall time, in percent of one core.
    pub fn cpu_percent(&self) -> f64 {
        if self.window.is_zero() {
            return 0.0;
        }
        self.cpu.as_secs_f64() / self.window.as_secs_f64() * 100.0
    }
}

/// One WAN's file: two ICMP targets, the DNS server, the HTTP server.
fn wan_file(device: &str, mptcp_id: u8) -> String {
    format!(
        "interface = \"{device}\"\n\n\
         [[probe]]\nmethod = \"icmp\"\ntargets = [\"{}\", \"{}\"]\n\n\
         [[probe]]\nmethod = \"dns\"\nserver = \"{}\"\nname = \"{}\"\n\n\
         [[probe]]\nmethod = \"http\"\nurl = \"{}\"\nexpect_status = 204\n\n\
         [mptcp]\nid = {mptcp_id}\nflags = [\"subflow\"]\n",
        addr::ICMP_V4[0],
        addr::ICMP_V4[1],
        addr::DNS_V4,
        addr::DNS_NAME,
        addr::http_url_v4(),
    )
}

/// Targets per WAN in [`wan_file`].
const TARGETS: usize = 4;

/// The configurations measured: a label and extra `[agent]` lines.
const CONFIGS: [(&str, &str); 2] = [
    ("as configured by default (carrier_poll 40 ms)", ""),
    (
        "carrier_poll = \"0s\" (probes only)",
        "carrier_poll = \"0s\"\n",
    ),
];

/// Adds two WANs to the lab, then runs the agent on the four, once per
/// configuration, for `window` once they are all up.
pub fn measure(lab: &Lab, mpwan: &Path, window: Duration) -> Result<Vec<Usage>> {
    let mut wans: Vec<(String, u8)> = Wan::ALL
        .iter()
        .map(|w| (w.name().to_string(), w.mptcp_id()))
        .collect();
    for n in [3, 4] {
        let extra = lab.add_extra_wan(n)?;
        wans.push((extra.name(), extra.mptcp_id()));
    }
    let mut all = Vec::new();
    for (i, (label, agent)) in CONFIGS.into_iter().enumerate() {
        eprintln!("  {label}: {} s", window.as_secs());
        all.push(measure_one(lab, mpwan, &wans, window, i, label, agent)?);
    }
    Ok(all)
}

fn measure_one(
    lab: &Lab,
    mpwan: &Path,
    wans: &[(String, u8)],
    window: Duration,
    i: usize,
    label: &'static str,
    agent_lines: &str,
) -> Result<Usage> {
    let opts = AgentConfigOptions {
        // Empty: the agent's own defaults, one round a second.
        tracker: String::new(),
        agent: agent_lines.to_string(),
        ..AgentConfigOptions::default()
    };
    let paths = lab.write_agent_config(&lab.dir().join(format!("usage{i}")), &opts)?;
    let wan_d = paths.config_dir.join("wan.d");
    for entry in std::fs::read_dir(&wan_d)? {
        std::fs::remove_file(entry?.path())?;
    }
    for (name, id) in wans {
        let path = wan_d.join(format!("{name}.toml"));
        std::fs::write(&path, wan_file(name, *id))
            .with_context(|| format!("writing {}", path.display()))?;
    }

    let mut agent = BenchAgent::start(lab, mpwan, &paths, &format!("usage{i}"), None)?;
    let pid = agent.pid();
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))?;
    ensure!(
        comm.trim() == "mpwan",
        "pid {pid} is {comm:?}, not the agent"
    );
    let names: Vec<String> = wans.iter().map(|(n, _)| n.clone()).collect();
    agent.wait_up(&names)?;
    check_targets(&agent, &names)?;

    let tick = clock_tick()?;
    let start = cpu_ticks(pid)?;
    let clock = Clock::start();
    while clock.elapsed() < window {
        std::thread::sleep(Duration::from_millis(500).min(window));
        agent.alive()?;
    }
    let end = cpu_ticks(pid)?;
    let elapsed = clock.elapsed();
    let status = read_status(pid)?;
    // Every WAN stayed up: otherwise the figures are of something else.
    agent.wait_up(&names)?;
    Ok(Usage {
        label,
        wans: wans.len(),
        targets_per_wan: TARGETS,
        window: elapsed,
        cpu: ticks(end.saturating_sub(start), tick),
        vm_hwm_kib: status_number(&status, "VmHWM")?,
        threads: status_number(&status, "Threads")?,
    })
}

/// Every WAN probes its four targets.
fn check_targets(agent: &BenchAgent, names: &[String]) -> Result<()> {
    let s = agent.status()?;
    for name in names {
        let n = wan_entry(&s, name)?["targets"]
            .as_array()
            .map_or(0, Vec::len);
        ensure!(n == TARGETS, "{name} has {n} targets, not {TARGETS}");
    }
    Ok(())
}

/// Clock ticks per second, the unit of /proc/<pid>/stat times.
fn clock_tick() -> Result<u64> {
    let out = Command::new("getconf").arg("CLK_TCK").output()?;
    ensure!(out.status.success(), "getconf CLK_TCK failed");
    let hz: u64 = String::from_utf8_lossy(&out.stdout).trim().parse()?;
    ensure!(hz > 0, "CLK_TCK is 0");
    Ok(hz)
}

fn ticks(n: u64, per_second: u64) -> Duration {
    Duration::from_secs(n / per_second)
        + Duration::from_nanos((n % per_second).saturating_mul(1_000_000_000) / per_second)
}

/// `utime + stime` of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    stat_cpu_ticks(&stat)
}

/// From the text of /proc/<pid>/stat. The command name (field 2) is in
/// parentheses and may hold spaces; utime and stime are fields 14 and 15.
fn stat_cpu_ticks(stat: &str) -> Result<u64> {
    let (_, rest) = stat.rsplit_once(')').context("no ')' in /proc/pid/stat")?;
    // `rest` starts at field 3.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Result<u64> {
        let s = fields.get(n - 3).context("/proc/pid/stat is too short")?;
        Ok(s.parse()?)
    };
    Ok(field(14)?.saturating_add(field(15)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_read() {
        let stat = "4242 (my prog) S 1 4242 4242 0 -1 4194560 300 0 0 0 17 5 0 0 20 0 3 0 100 0 0";
        assert_eq!(stat_cpu_ticks(stat).unwrap(), 22);
        assert!(stat_cpu_ticks("4242 (x) S 1").is_err());
        assert_eq!(ticks(250, 100), Duration::from_millis(2500));
    }

    #[test]
    fn wan_files_hold_four_targets() {
        let t: toml::Table = wan_file("wan3", 3).parse().unwrap();
        let probes = t["probe"].as_array().unwrap();
        assert_eq!(probes[0]["targets"].as_array().unwrap().len(), 2);
        assert_eq!(probes.len(), 3, "ICMP (2 targets), DNS, HTTP");
        assert_eq!(t["mptcp"]["id"].as_integer(), Some(3));
        assert_eq!(t["interface"].as_str(), Some("wan3"));
    }
}
