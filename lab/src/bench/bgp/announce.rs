//! Scenario 1: an announcer in gw sends 100 000 prefixes to a gobgpd
//! receiver in the peer namespace. Both speakers start fresh each run.
//!
//! - mpwan: the real agent on a configuration with one `[[bgp.announce]]`
//!   (`when = "any"`) per prefix. Measured: session Established -> the
//!   receiver's Adj-RIB-In holds every prefix, and also agent start -> the
//!   same (configuration loading, tracker settling and session set-up
//!   included).
//! - gobgpd: the same prefixes loaded with `gobgp mrt inject global`
//!   while its session is administratively down, then enabled. Measured:
//!   Established -> all held.
//!
//! The receiver is gobgpd, as asked, and then BIRD 2 as well: gobgpd
//! takes most of the time itself (about 12 000 routes/s here), which hides
//! the announcers' own speed; BIRD takes them in far faster. Established
//! and the count are read from the receiver (`gobgp -j neighbor
//! 10.99.0.1`, `birdc show protocols [all]`), polled.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use super::speakers::{Bird, Gobgpd, Mode};
use super::{GW, LONG, PEER, Plan, Sample, announce_toml, poll_until, write_mrt};
use crate::bench::agent::BenchAgent;
use crate::bench::memory::peak_rss_kib;
use crate::wait::Clock;
use crate::{AgentConfigOptions, AgentPaths, BgpOptions, Lab, Role};

/// What scenario 1 measured, for one receiver.
#[derive(Debug, Clone, Default)]
pub struct Announce {
    /// mpwan: Established -> all held; peak RSS of the agent.
    pub mpwan: Vec<Sample>,
    /// mpwan: agent started -> all held.
    pub mpwan_from_start: Vec<Duration>,
    /// mpwan: the receiver's first route -> all held (the transfer alone,
    /// without the wait for WAN health before anything is announced).
    pub mpwan_first_to_all: Vec<Duration>,
    /// gobgpd: the same.
    pub gobgpd_first_to_all: Vec<Duration>,
    /// gobgpd: Established -> all held; peak RSS of the announcer.
    pub gobgpd: Vec<Sample>,
    /// gobgpd: how long `gobgp mrt inject` took until the RIB held all.
    pub gobgpd_inject: Vec<Duration>,
}

/// The receiver of scenario 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gobgpd,
    Bird,
}

/// Runs both announcers `plan.runs` times to `kind`, alternating.
pub fn run(lab: &Lab, mpwan: &Path, plan: Plan, kind: Kind) -> Result<Announce> {
    let n = plan.announce;
    let dir = lab.dir().join("announce-etc");
    let paths = lab.write_agent_config(&dir, &agent_options(n))?;
    let mrt = write_mrt(lab, "announce", n, GW)?;
    let mut out = Announce::default();
    for r in 0..plan.runs {
        let (s, from_start, first) = mpwan_run(lab, mpwan, &paths, n, r, kind)
            .with_context(|| format!("mpwan to {kind:?}, run {}", r + 1))?;
        eprintln!(
            "announce {n} to {kind:?}, run {}: mpwan   Established->all {} ms (start->all {} ms, \
             first->all {} ms), peak RSS {} KiB",
            r + 1,
            s.time.as_millis(),
            from_start.as_millis(),
            first.as_millis(),
            s.rss_kib
        );
        out.mpwan.push(s);
        out.mpwan_from_start.push(from_start);
        out.mpwan_first_to_all.push(first);
        let (s, inject, first) = gobgpd_run(lab, &mrt, n, r, kind)
            .with_context(|| format!("gobgpd to {kind:?}, run {}", r + 1))?;
        eprintln!(
            "announce {n} to {kind:?}, run {}: gobgpd  Established->all {} ms (inject {} ms, \
             first->all {} ms), peak RSS {} KiB",
            r + 1,
            s.time.as_millis(),
            inject.as_millis(),
            first.as_millis(),
            s.rss_kib
        );
        out.gobgpd.push(s);
        out.gobgpd_inject.push(inject);
        out.gobgpd_first_to_all.push(first);
    }
    Ok(out)
}

/// The lab's agent configuration with `[bgp]` towards the peer and one
/// announcement per prefix. MPTCP is off: it plays no part here.
fn agent_options(n: usize) -> AgentConfigOptions {
    AgentConfigOptions {
        bgp: Some(BgpOptions::default()),
        mptcp: false,
        extra: announce_toml(n),
        ..AgentConfigOptions::default()
    }
}

/// The receiver in the peer namespace, whichever it is.
enum Receiver {
    Gobgpd(Gobgpd),
    Bird(Bird),
}

impl Receiver {
    fn start(lab: &Lab, kind: Kind) -> Result<Receiver> {
        Ok(match kind {
            Kind::Gobgpd => Receiver::Gobgpd(Gobgpd::start(
                lab,
                Role::Peer,
                "announce-receiver",
                PEER,
                GW,
                Mode::Passive,
            )?),
            Kind::Bird => Receiver::Bird(Bird::start(
                lab,
                Role::Peer,
                "announce-bird",
                PEER,
                GW,
                &[],
            )?),
        })
    }

    fn alive(&mut self) -> Result<()> {
        match self {
            Receiver::Gobgpd(g) => g.alive(),
            Receiver::Bird(b) => b.alive(),
        }
    }

    fn established(&mut self) -> Result<bool> {
        match self {
            Receiver::Gobgpd(g) => Ok(g.session()?.0 == "established"),
            Receiver::Bird(b) => b.established(),
        }
    }

    fn count(&mut self) -> Result<u64> {
        match self {
            Receiver::Gobgpd(g) => Ok(g.session()?.1),
            Receiver::Bird(b) => b.imported(),
        }
    }
}

/// When the receiver's session was established, held its first route and
/// held all.
struct Moments {
    established: std::time::Instant,
    first: std::time::Instant,
    all: std::time::Instant,
}

/// Waits for the receiver's session, then for its first route, then for
/// all `n`; `check` says whether the announcer still runs.
fn established_to_all(
    receiver: &mut Receiver,
    n: usize,
    mut check: impl FnMut() -> Result<()>,
) -> Result<Moments> {
    let want = u64::try_from(n)?;
    let established = poll_until("the receiver's session established", LONG, || {
        check()?;
        receiver.alive()?;
        receiver.established()
    })?;
    let mut first = None;
    let all = poll_until(&format!("{n} routes at the receiver"), LONG, || {
        check()?;
        receiver.alive()?;
        let count = receiver.count()?;
        if count > 0 && first.is_none() {
            first = Some(Clock::now());
        }
        Ok(count >= want)
    })?;
    Ok(Moments {
        established,
        first: first.unwrap_or(all),
        all,
    })
}

/// Established -> all (and peak RSS), agent start -> all, first -> all.
fn mpwan_run(
    lab: &Lab,
    mpwan: &Path,
    paths: &AgentPaths,
    n: usize,
    r: usize,
    kind: Kind,
) -> Result<(Sample, Duration, Duration)> {
    let mut receiver = Receiver::start(lab, kind)?;
    let started = Clock::now();
    // spawn, not start: the receiver is polled from the agent's first
    // moment, where waiting for the control socket first could see the
    // session established late.
    let mut agent = BenchAgent::spawn(lab, mpwan, paths, &format!("announce-agent-{r}"), None)?;
    let m = established_to_all(&mut receiver, n, || agent.alive())?;
    let rss_kib = peak_rss_kib(agent.pid())?;
    // Killed when dropped.
    drop(agent);
    Ok((
        Sample {
            time: m.all.saturating_duration_since(m.established),
            rss_kib,
        },
        m.all.saturating_duration_since(started),
        m.all.saturating_duration_since(m.first),
    ))
}

/// Established -> all (and peak RSS), inject time, first -> all.
fn gobgpd_run(
    lab: &Lab,
    mrt: &Path,
    n: usize,
    r: usize,
    kind: Kind,
) -> Result<(Sample, Duration, Duration)> {
    let mut receiver = Receiver::start(lab, kind)?;
    let mut announcer = Gobgpd::start(
        lab,
        Role::Gw,
        &format!("announce-gobgpd-{r}"),
        GW,
        PEER,
        Mode::ActiveAdminDown,
    )?;
    let clock = Clock::start();
    announcer.inject(mrt, n)?;
    let inject = clock.elapsed();
    announcer.enable()?;
    let m = established_to_all(&mut receiver, n, || announcer.alive())?;
    let rss_kib = peak_rss_kib(announcer.pid())?;
    Ok((
        Sample {
            time: m.all.saturating_duration_since(m.established),
            rss_kib,
        },
        inject,
        m.all.saturating_duration_since(m.first),
    ))
}
