//! Detection time: from an outage of one WAN to the agent's `down` for it,
//! what the series have in common, and the black holes.
//!
//! The end of each interval is the timestamp of the agent's own `WAN state
//! … to=down` log line (`--log-format json`: microseconds), the moment its
//! status and hooks learn it. The start is taken on the same clock:
//!
//! - black hole: when the kernel reported the commit of the lab's `nft`
//!   transaction (`# new generation` from `nft monitor`, stamped as it
//!   arrives), from which the drop rules act;
//! - carrier loss: when the kernel reported the provider's end going down
//!   (`ip -ts monitor link`), a notice sent from within the `ip link set
//!   down` call, right after the veth dropped both carriers (see
//!   [`crate::carrier`]).
//!
//! Both watchers run in the provider's namespace ([`crate::monitor`]);
//! their stamp is capped at the command's return, and must not come before
//! the command started.
//!
//! Each outage begins at a uniformly random moment of the probe schedule
//! (a random wait of up to one `interval` after the WAN is up), as a real
//! outage would, so the samples spread over the best and worst cases.

use std::hash::{BuildHasher, RandomState};
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::{Result, bail, ensure};
use mpwan_lab::bench::agent::{BenchAgent, STEP};
use mpwan_lab::bench::wall_now;
use mpwan_lab::{AgentConfigOptions, Lab, Wan};

use crate::agent::await_down;
use crate::monitor::NftMonitor;
use crate::report::ms;

/// The WAN the outages hit: it holds the preferred default route, so a
/// probe that ignored its WAN would fail with it and be caught.
pub const VICTIM: Wan = Wan::Two;

/// Tracker settings under test.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub name: &'static str,
    pub interval: Duration,
    pub failure_interval: Duration,
    pub recovery_interval: Duration,
    pub timeout: Duration,
    pub down: u32,
}

impl Profile {
    /// DESIGN.md's defaults.
    pub const DEFAULT: Profile = Profile {
        name: "default",
        interval: Duration::from_secs(1),
        failure_interval: Duration::from_millis(500),
        recovery_interval: Duration::from_secs(1),
        timeout: Duration::from_millis(800),
        down: 3,
    };

    /// Fast, for links with short round trips: the lab's are well under a
    /// millisecond, and 80 ms is still more than any healthy fixed-line
    /// round trip to a nearby target, so a reply is never late by
    /// accident; three failed rounds are still required.
    pub const FAST: Profile = Profile {
        name: "fast",
        interval: Duration::from_millis(100),
        failure_interval: Duration::from_millis(100),
        recovery_interval: Duration::from_millis(100),
        timeout: Duration::from_millis(80),
        down: 3,
    };

    /// The `[tracker]` lines. `hold_down = "0s"` lets a restored WAN be up
    /// at once for the next run; it plays no part in going down.
    fn tracker_toml(&self) -> String {
        format!(
            "interval = \"{}\"\nfailure_interval = \"{}\"\nrecovery_interval = \"{}\"\n\
             timeout = \"{}\"\ndown = {}\nup = 3\nhold_down = \"0s\"\n",
            toml_ms(self.interval),
            toml_ms(self.failure_interval),
            toml_ms(self.recovery_interval),
            toml_ms(self.timeout),
            self.down
        )
    }

    /// The settings that matter for going down, for the report.
    pub fn describe(&self) -> String {
        format!(
            "interval {}, failure_interval {}, timeout {}, down {}",
            toml_ms(self.interval),
            toml_ms(self.failure_interval),
            toml_ms(self.timeout),
            self.down
        )
    }

    /// The tracker's own bounds (tracker/src/health/mod.rs, "Detection
    /// time"): the outage begins just as a round starts (best) or just
    /// after one ended (worst, one `interval` later).
    pub fn theory(&self) -> (Duration, Duration) {
        let later = self.timeout.max(self.failure_interval);
        let best = self
            .timeout
            .saturating_add(later.saturating_mul(self.down.saturating_sub(1)));
        (best, best.saturating_add(self.interval))
    }
}

fn toml_ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// What one series of outages measured.
#[derive(Debug, Default)]
pub struct Detection {
    /// Outage to the WAN's `down` (every family down), one per run.
    pub samples: Vec<Duration>,
    /// Outage to each family's `down`, IPv4 and IPv6 pooled: what a WAN
    /// with one family would see.
    pub families: Vec<Duration>,
    /// Stamps by the agent that came before the watcher's (its own wake-up
    /// was the later one): counted as zero.
    pub clamped: usize,
    /// How long each outage command ran.
    pub commands: Vec<Duration>,
    /// Carrier losses: when the kernel's notice of gw's end losing its
    /// carrier reached gw's namespace, after the loss.
    pub notices: Vec<Duration>,
}

/// Probes of each WAN: three IPv4 and three IPv6 ICMP targets, the DNS and
/// the HTTP server, as a dual-stack WAN would have.
pub(crate) fn options(profile: &Profile) -> AgentConfigOptions {
    AgentConfigOptions {
        tracker: profile.tracker_toml(),
        icmp_v6: true,
        dns_probe: true,
        http_probe: true,
        ..AgentConfigOptions::default()
    }
}

/// Starts an agent with `profile` and both WANs.
fn start(lab: &Lab, mpwan: &Path, profile: &Profile, name: &str) -> Result<BenchAgent> {
    let paths = lab.write_agent_config(&lab.dir().join(name), &options(profile))?;
    BenchAgent::start(lab, mpwan, &paths, name, None)
}

pub(crate) fn both() -> Vec<String> {
    Wan::ALL.iter().map(|w| w.name().to_string()).collect()
}

/// A uniformly random wait in `0..interval`.
pub(crate) fn random_phase(interval: Duration) -> Duration {
    let bits = RandomState::new().hash_one(0u8) >> 11;
    interval.mul_f64(bits as f64 / (1u64 << 53) as f64)
}

/// `runs` black holes of [`VICTIM`], each restored once measured.
pub fn blackhole(lab: &Lab, mpwan: &Path, profile: &Profile, runs: usize) -> Result<Detection> {
    let mut nft = NftMonitor::start(lab, VICTIM.isp())?;
    let mut agent = start(lab, mpwan, profile, &format!("blackhole-{}", profile.name))?;
    let mut d = Detection::default();
    for run in 1..=runs {
        agent.wait_up(&both())?;
        std::thread::sleep(random_phase(profile.interval));
        agent.skip_log()?;
        nft.skip();
        let before = wall_now();
        lab.blackhole(VICTIM)?;
        let returned = wall_now();
        let committed = nft.next_generation(STEP)?;
        let start = outage_start(before, committed, returned, "the black hole's commit")?;
        let down = await_down(&mut agent, VICTIM.name())?;
        let took = d.since(start, down.at)?;
        let mut line = format!(
            "  black hole, {} run {run}/{runs}: {}",
            profile.name,
            ms(took)
        );
        for (family, at) in &down.families {
            let f = d.since(start, *at)?;
            line += &format!(", {family} {}", ms(f));
            d.families.push(f);
        }
        eprintln!("{line}");
        d.samples.push(took);
        d.commands
            .push(returned.duration_since(before).unwrap_or_default());
        lab.restore(VICTIM)?;
    }
    Ok(d)
}
/// When an outage began: the watcher's stamp, which must fall after the
/// command started, capped at the command's return (the watcher may have
/// been woken late; the outage was in place by then).
pub(crate) fn outage_start(
    before: SystemTime,
    seen: SystemTime,
    returned: SystemTime,
    what: &str,
) -> Result<SystemTime> {
    ensure!(seen >= before, "{what} was stamped before its command ran");
    Ok(seen.min(returned))
}

impl Detection {
    /// From `start` to the agent's stamp `at`. The agent and the watcher
    /// each stamp a notice when they are scheduled, so the agent's stamp
    /// may come first by a little: counted as zero. More than a little
    /// means the start is wrong.
    pub(crate) fn since(&mut self, start: SystemTime, at: SystemTime) -> Result<Duration> {
        match at.duration_since(start) {
            Ok(took) => Ok(took),
            Err(early) if early.duration() < CLAMP_LIMIT => {
                self.clamped += 1;
                Ok(Duration::ZERO)
            }
            Err(early) => bail!(
                "the agent logged down {} before the outage began",
                ms(early.duration())
            ),
        }
    }
}

/// How much earlier than the watcher the agent may stamp a transition and
/// still be counted (as zero) rather than rejected.
const CLAMP_LIMIT: Duration = Duration::from_millis(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theory_matches_the_tracker_documentation() {
        let (best, worst) = Profile::DEFAULT.theory();
        assert_eq!(
            (best, worst),
            (Duration::from_millis(2400), Duration::from_millis(3400))
        );
        let (best, worst) = Profile::FAST.theory();
        assert_eq!(
            (best, worst),
            (Duration::from_millis(280), Duration::from_millis(380))
        );
    }

    #[test]
    fn tracker_settings_are_written_as_toml() {
        let t: toml::Table = Profile::FAST.tracker_toml().parse().unwrap();
        assert_eq!(t["interval"].as_str(), Some("100ms"));
        assert_eq!(t["timeout"].as_str(), Some("80ms"));
        assert_eq!(t["down"].as_integer(), Some(3));
        assert_eq!(t["hold_down"].as_str(), Some("0s"));
    }

    #[test]
    fn random_phases_stay_within_the_interval_and_differ() {
        let i = Duration::from_millis(100);
        let phases: Vec<Duration> = (0..50).map(|_| random_phase(i)).collect();
        assert!(phases.iter().all(|p| *p < i));
        assert!(phases.iter().any(|p| *p != phases[0]));
    }
}
