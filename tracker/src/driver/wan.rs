//! The per-WAN task.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::actions::{Action, Transition};
use crate::error::ParamsError;
use crate::events::{Event, Family, RoundReport};
use crate::health::WanHealth;
use crate::health::WanSnapshot;
use crate::link::{DeviceChange, DeviceView, LinkEvent};

use super::counts::{ProbeCounts, ProbeTally};
use super::probers::FamilyProbers;
use super::round::run_round;
use super::spec::WanSpec;

/// What a WAN driver tells the agent.
#[derive(Debug, Clone)]
pub enum WanReport {
    /// The WAN or one of its families changed state.
    Transition(Transition),
    /// The WAN's figures after a round (for status and metrics).
    Snapshot(WanFigures),
}

/// The WAN's figures after a round: the health machine's view and the
/// driver's probe counts.
#[derive(Debug, Clone, PartialEq)]
pub struct WanFigures {
    /// State, quality and per-target figures from the health machine.
    pub health: WanSnapshot,
    /// Probe results per target since the task started, indexed like
    /// `WanSpec::probes` (target id `i` is `probes[i]`).
    pub probes: Vec<ProbeCounts>,
}

type Round = Pin<Box<dyn Future<Output = RoundReport> + Send>>;

/// The probers of one family and the source they were bound to.
struct Bound {
    source: Option<IpAddr>,
    ifindex: Option<u32>,
    probers: Option<Arc<FamilyProbers>>,
}

/// Tracks one WAN until `links` closes or `reports` is dropped. `links`
/// carries the link events of the WAN's device (the agent filters them).
pub async fn run_wan(
    spec: WanSpec,
    links: mpsc::Receiver<LinkEvent>,
    reports: mpsc::Sender<WanReport>,
) -> Result<(), ParamsError> {
    // The span goes with the future, not with the thread: entered across
    // an await it would label other tasks' lines with this WAN.
    let span = tracing::info_span!("wan", wan = %spec.name);
    track(spec, links, reports).instrument(span).await
}

async fn track(
    spec: WanSpec,
    mut links: mpsc::Receiver<LinkEvent>,
    reports: mpsc::Sender<WanReport>,
) -> Result<(), ParamsError> {
    let v4 = spec.targets(Family::V4);
    let v6 = spec.targets(Family::V6);
    let mut health = WanHealth::new(spec.params.clone(), &v4, &v6, now())?;
    let mut device = DeviceView::default();
    let mut bound: [Option<Bound>; 2] = [None, None];
    let mut rounds: FuturesUnordered<Round> = FuturesUnordered::new();
    let mut seq: u16 = 0;
    let mut last_build_error: Option<String> = None;
    let mut tally = ProbeTally::new(spec.probes.len());

    loop {
        let deadline = health.next_deadline();
        let event = tokio::select! {
            () = sleep_until(deadline) => Event::Tick,
            Some(report) = rounds.next(), if !rounds.is_empty() => {
                tally.record(&report);
                Event::Round(report)
            }
            link = links.recv() => match link {
                None => return Ok(()),
                Some(ev) => match device.apply(&spec.device, &ev) {
                    DeviceChange::Carrier(carrier) => {
                        tracing::info!(device = %spec.device, carrier, "carrier");
                        Event::Carrier(carrier)
                    }
                    DeviceChange::Addressing | DeviceChange::None => continue,
                },
            },
        };
        let after_round = matches!(event, Event::Round(_));
        for action in health.handle(event, now()) {
            match action {
                Action::StartRound { family, round } => {
                    let slot = &mut bound[family_index(family)];
                    let probers = probers_for(slot, &spec, &device, family, &mut last_build_error);
                    let targets = spec
                        .probes
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| p.family() == family)
                        .filter_map(|(i, p)| {
                            u32::try_from(i)
                                .ok()
                                .map(|i| (crate::events::TargetId(i), p.clone()))
                        })
                        .collect();
                    seq = seq.wrapping_add(1);
                    let timeout = spec.params.timeout;
                    rounds.push(Box::pin(run_round(
                        family, round, targets, probers, seq, timeout,
                    )));
                }
                Action::Transition(t) => {
                    tracing::info!(
                        scope = ?t.scope,
                        from = %t.from,
                        to = %t.to,
                        reason = ?t.reason,
                        rtt_ms = t.quality.rtt_avg_ms(),
                        loss = t.quality.loss_percent(),
                        "transition"
                    );
                    if reports.send(WanReport::Transition(t)).await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
        if after_round {
            let figures = WanFigures {
                health: health.snapshot(now()),
                probes: tally.snapshot(),
            };
            if reports.send(WanReport::Snapshot(figures)).await.is_err() {
                return Ok(());
            }
        }
    }
}

/// The current probers of `family`, rebuilt when the device's index or the
/// family's source address changed since they were bound.
fn probers_for(
    slot: &mut Option<Bound>,
    spec: &WanSpec,
    device: &DeviceView,
    family: Family,
    last_error: &mut Option<String>,
) -> Option<Arc<FamilyProbers>> {
    let source = device.source(family);
    let fresh = slot
        .as_ref()
        .is_some_and(|b| b.probers.is_some() && b.source == source && b.ifindex == device.ifindex);
    if !fresh {
        let probes: Vec<_> = spec
            .probes
            .iter()
            .filter(|p| p.family() == family)
            .collect();
        let built = FamilyProbers::build(
            family,
            &probes,
            &spec.device,
            device.ifindex,
            source,
            spec.fwmark,
        );
        let probers = match built {
            Ok(p) => {
                *last_error = None;
                Some(Arc::new(p))
            }
            Err(e) => {
                // Logged once per distinct error: a missing device fails
                // every round until it appears.
                let text = e.to_string();
                if last_error.as_deref() != Some(text.as_str()) {
                    tracing::warn!(family = family.as_str(), error = %text, "cannot probe");
                    *last_error = Some(text);
                }
                None
            }
        };
        *slot = Some(Bound {
            source,
            ifindex: device.ifindex,
            probers,
        });
    }
    slot.as_ref().and_then(|b| b.probers.clone())
}

fn family_index(f: Family) -> usize {
    match f {
        Family::V4 => 0,
        Family::V6 => 1,
    }
}

/// The driver's clock: tokio's, so `tokio::time::pause()` drives it in tests.
fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}
