//! Scenario 2: a gobgpd in the peer namespace, loaded once with 500 000
//! prefixes from an MRT file, sends them to a receiver in gw: the mpwan
//! agent, gobgpd or BIRD 2, one after the other, each started fresh.
//!
//! The clock starts at the sender's first UPDATE on the wire ([`super::wire`],
//! the same moment for every receiver; Established polled at the sender
//! was seen late, see there); "holds all" is read from the receiver: mpwan's
//! `mpwan status --json` (`bgp.neighbors[0].received`, through the control
//! socket), gobgpd's `received` for its neighbor, BIRD's "Routes: N
//! imported". All polled.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use super::speakers::{Bird, Gobgpd, Mode};
use super::wire::FirstUpdate;
use super::{GW, LONG, PEER, Plan, Sample, poll_until, write_mrt};

use crate::bench::agent::BenchAgent;
use crate::bench::memory::peak_rss_kib;
use crate::bench::summary::Speaker;
use crate::bench::wall_now;
use crate::wait::Hopeless;
use crate::{AgentConfigOptions, BgpOptions, Lab, Role, addr};

/// What scenario 2 measured: Established -> all held, and the receiver's
/// peak RSS.
#[derive(Debug, Clone, Default)]
pub struct Receive {
    pub mpwan: Column,
    pub gobgpd: Column,
    pub bird: Column,
}

impl Receive {
    /// The column of `speaker`.
    pub fn column(&self, speaker: Speaker) -> &Column {
        match speaker {
            Speaker::Mpwan => &self.mpwan,
            Speaker::Gobgpd => &self.gobgpd,
            Speaker::Bird => &self.bird,
        }
    }
}

/// One receiver's runs: a failed run (a receiver that never got there,
/// or died) is kept as its reason, and the others still count.
#[derive(Debug, Clone, Default)]
pub struct Column {
    pub samples: Vec<Sample>,
    pub failed: Vec<String>,
}

impl Column {
    fn record(&mut self, who: &str, n: usize, run: usize, outcome: Result<Sample>) {
        match outcome {
            Ok(s) => {
                eprintln!(
                    "receive {n}, run {run}: {who} first UPDATE->all {} ms, peak RSS {} KiB",
                    s.time.as_millis(),
                    s.rss_kib
                );
                self.samples.push(s);
            }
            Err(e) => {
                eprintln!("receive {n}, run {run}: {who} FAILED: {e:#}");
                self.failed.push(format!("{e:#}"));
            }
        }
    }
}

/// The three receivers, `plan.runs` times each, interleaved.
pub fn run(lab: &Lab, mpwan: &Path, plan: Plan) -> Result<Receive> {
    let n = plan.receive;
    let mrt = write_mrt(lab, "receive", n, PEER)?;
    let mut sender = Gobgpd::start(lab, Role::Peer, "receive-sender", PEER, GW, Mode::Passive)?;
    sender.inject(&mrt, n).context("loading the sender")?;
    let paths = lab.write_agent_config(
        &lab.dir().join("receive-etc"),
        &AgentConfigOptions {
            bgp: Some(BgpOptions::default()),
            mptcp: false,
            ..AgentConfigOptions::default()
        },
    )?;
    let mut out = Receive::default();
    for r in 0..plan.runs {
        let run = r + 1;
        let outcome = (|| {
            let first = FirstUpdate::start(lab, Role::Gw, addr::GW_BGP_DEV, PEER.address)?;
            let mut agent = Mpwan(BenchAgent::start(
                lab,
                mpwan,
                &paths,
                &format!("receive-agent-{r}"),
                None,
            )?);
            measure(first, n, &mut agent)
        })();
        out.mpwan.record("mpwan ", n, run, outcome);
        wait_down(&mut sender)?;

        let outcome = (|| {
            let first = FirstUpdate::start(lab, Role::Gw, addr::GW_BGP_DEV, PEER.address)?;
            let mut g = Gobgpd::start(
                lab,
                Role::Gw,
                &format!("receive-gobgpd-{r}"),
                GW,
                PEER,
                Mode::Active,
            )?;
            measure(first, n, &mut g)
        })();
        out.gobgpd.record("gobgpd", n, run, outcome);
        wait_down(&mut sender)?;

        let outcome = (|| {
            let first = FirstUpdate::start(lab, Role::Gw, addr::GW_BGP_DEV, PEER.address)?;
            let mut b = Bird::start(lab, Role::Gw, &format!("receive-bird-{r}"), GW, PEER, &[])?;
            measure(first, n, &mut b)
        })();
        out.bird.record("BIRD  ", n, run, outcome);
        wait_down(&mut sender)?;
    }
    Ok(out)
}

/// A receiver under measurement.
trait Receiver {
    /// Fails for good once it has exited.
    fn alive(&mut self) -> Result<()>;
    /// How many routes it holds from the sender.
    fn count(&mut self) -> Result<u64>;
    fn pid(&self) -> u32;
}

/// The agent, read through `mpwan status --json`.
struct Mpwan(BenchAgent);

impl Receiver for Mpwan {
    fn alive(&mut self) -> Result<()> {
        self.0.alive()
    }
    fn count(&mut self) -> Result<u64> {
        let status = self.0.status()?;
        Ok(status["bgp"]["neighbors"][0]["received"]
            .as_u64()
            .unwrap_or(0))
    }
    fn pid(&self) -> u32 {
        self.0.pid()
    }
}

impl Receiver for Gobgpd {
    fn alive(&mut self) -> Result<()> {
        Gobgpd::alive(self)
    }
    fn count(&mut self) -> Result<u64> {
        Ok(self.session()?.1)
    }
    fn pid(&self) -> u32 {
        Gobgpd::pid(self)
    }
}

impl Receiver for Bird {
    fn alive(&mut self) -> Result<()> {
        Bird::alive(self)
    }
    fn count(&mut self) -> Result<u64> {
        self.imported()
    }
    fn pid(&self) -> u32 {
        Bird::pid(self)
    }
}

/// The sender's first UPDATE on the wire (`first`, captured since before
/// the receiver started) -> the receiver holds all `n`; then its peak RSS.
fn measure(first: FirstUpdate, n: usize, receiver: &mut impl Receiver) -> Result<Sample> {
    let want = u64::try_from(n)?;
    poll_until(&format!("{n} routes at the receiver"), LONG, || {
        receiver.alive()?;
        let c = receiver.count()?;
        if c > want {
            return Err(Hopeless(format!(
                "the receiver holds {c} routes, more than the {want} sent"
            ))
            .into());
        }
        Ok(c == want)
    })?;
    let all = wall_now();
    let first = first
        .wait(Duration::from_secs(1))
        .context("the sender's first UPDATE")?;
    Ok(Sample {
        time: all
            .duration_since(first)
            .context("all held before the first UPDATE")?,
        rss_kib: peak_rss_kib(receiver.pid())?,
    })
}

/// Waits until the sender has seen the last receiver go, so that the next
/// one's Established is its own.
fn wait_down(sender: &mut Gobgpd) -> Result<()> {
    poll_until("the sender's session down", LONG, || {
        sender.alive()?;
        Ok(sender.session()?.0 != "established")
    })
    .map(drop)
}
