//! One supervised task per WAN, each running the tracker's driver. A task
//! that panics is contained: the supervisor logs it and starts the WAN
//! again after a back-off, and the other WANs never notice.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use mpwan_tracker::HealthParams;
use mpwan_tracker::driver::{ProbeSpec, WanReport, WanSpec, run_wan};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::config::{ProbeConfig, TrackerConfig, WanConfig};

use super::links::LinkHub;

/// First wait before restarting a WAN task that panicked; doubled per
/// panic in a row, up to [`RESTART_MAX`].
const RESTART_BASE: Duration = Duration::from_secs(1);
const RESTART_MAX: Duration = Duration::from_secs(60);

/// A report tagged with its WAN.
pub type Tagged = (String, WanReport);

/// The running WAN tasks.
pub struct WanTasks {
    set: JoinSet<()>,
    running: BTreeMap<String, Running>,
    /// Task id to WAN name, to know which WAN a finished task was.
    names: HashMap<tokio::task::Id, String>,
    reports: mpsc::Sender<Tagged>,
    hub: LinkHub,
}

struct Running {
    abort: AbortHandle,
    config: WanConfig,
    /// Panics in a row, for the restart back-off.
    panics: u32,
}

impl WanTasks {
    pub fn new(hub: LinkHub, reports: mpsc::Sender<Tagged>) -> WanTasks {
        WanTasks {
            set: JoinSet::new(),
            running: BTreeMap::new(),
            names: HashMap::new(),
            reports,
            hub,
        }
    }

    /// Starts tracking `wan` now.
    pub fn start(&mut self, wan: &WanConfig) {
        self.spawn(wan, 0, Duration::ZERO);
    }

    /// Polls the carrier of every tracked WAN's device every `every`.
    pub fn poll_carrier(&self, every: Duration) {
        let devices = self
            .running
            .values()
            .map(|r| r.config.interface.clone())
            .collect();
        self.hub.poll_carrier(devices, every);
    }

    fn spawn(&mut self, wan: &WanConfig, panics: u32, delay: Duration) {
        let spec = spec_of(wan);
        let links = self.hub.subscribe();
        let out = self.reports.clone();
        let name = wan.name.clone();
        let abort = self.set.spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let (tx, mut rx) = mpsc::channel(64);
            let forward = async {
                while let Some(r) = rx.recv().await {
                    if out.send((name.clone(), r)).await.is_err() {
                        break;
                    }
                }
            };
            let (result, ()) = tokio::join!(run_wan(spec, links, tx), forward);
            if let Err(e) = result {
                // The configuration loader checks what the tracker checks,
                // so this is a bug; the WAN stays untracked and says why.
                tracing::error!(wan = %name, error = %e, "cannot track this WAN");
            }
        });
        self.names.insert(abort.id(), wan.name.clone());
        self.running.insert(
            wan.name.clone(),
            Running {
                abort,
                config: wan.clone(),
                panics,
            },
        );
    }

    /// Stops tracking `name` (removed or about to be restarted).
    pub fn stop(&mut self, name: &str) {
        if let Some(r) = self.running.remove(name) {
            self.names.remove(&r.abort.id());
            r.abort.abort();
        }
    }

    /// Waits for a task to end and deals with it: a panic restarts the WAN
    /// after a back-off. Pending forever while no task runs.
    pub async fn supervise(&mut self) {
        let Some(done) = self.set.join_next_with_id().await else {
            return std::future::pending().await;
        };
        let (id, panicked) = match done {
            Ok((id, ())) => (id, false),
            Err(e) => (e.id(), e.is_panic()),
        };
        let Some(name) = self.names.remove(&id) else {
            return; // stopped on purpose
        };
        let Some(r) = self.running.remove(&name) else {
            return;
        };
        if panicked {
            let panics = r.panics.saturating_add(1);
            let delay = backoff(panics);
            tracing::error!(wan = %name, panics, retry_in = ?delay, "the WAN's task panicked; restarting it");
            self.spawn(&r.config, panics, delay);
        } else {
            tracing::debug!(wan = %name, "WAN task ended");
        }
    }
}

fn backoff(panics: u32) -> Duration {
    let shift = panics.saturating_sub(1).min(16);
    RESTART_BASE
        .checked_mul(1u32 << shift)
        .map_or(RESTART_MAX, |d| d.min(RESTART_MAX))
}

/// The tracker's view of a WAN's configuration. Target `i` of the tracker
/// is entry `i` of the status's target list: both expand the probes in
/// configuration order.
pub fn spec_of(wan: &WanConfig) -> WanSpec {
    let mut probes = Vec::new();
    for p in &wan.probes {
        match p {
            ProbeConfig::Icmp { targets } => {
                probes.extend(targets.iter().copied().map(ProbeSpec::Icmp))
            }
            ProbeConfig::Dns { server, port, name } => probes.push(ProbeSpec::Dns {
                server: SocketAddr::new(*server, *port),
                name: name.clone(),
            }),
            ProbeConfig::Http {
                url,
                addr,
                expect_status,
            } => probes.push(ProbeSpec::Http {
                url: url.clone(),
                addr: *addr,
                expect_status: *expect_status,
            }),
        }
    }
    WanSpec {
        name: wan.name.clone(),
        device: wan.interface.clone(),
        fwmark: wan.fwmark,
        params: params_of(&wan.tracker),
        probes,
    }
}

pub fn params_of(t: &TrackerConfig) -> HealthParams {
    HealthParams {
        interval: t.interval,
        failure_interval: t.failure_interval,
        recovery_interval: t.recovery_interval,
        timeout: t.timeout,
        down: t.down,
        up: t.up,
        reliability: t.reliability,
        hold_down: t.hold_down,
        failure_latency: t.failure_latency,
        recovery_latency: t.recovery_latency,
        failure_loss: t.failure_loss,
        recovery_loss: t.recovery_loss,
        ..HealthParams::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_back_off_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(4), Duration::from_secs(8));
        assert_eq!(backoff(7), Duration::from_secs(60));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn the_sample_configuration_is_accepted_by_the_tracker() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../etc/mpwan");
        let config = crate::config::load(&dir).unwrap();
        #[allow(clippy::disallowed_methods)] // a test's fixed point in time
        let now = std::time::Instant::now();
        for wan in config.wans.values() {
            let spec = spec_of(wan);
            let v4 = spec.targets(mpwan_tracker::Family::V4);
            let v6 = spec.targets(mpwan_tracker::Family::V6);
            mpwan_tracker::WanHealth::new(spec.params.clone(), &v4, &v6, now).unwrap();
            assert_eq!(
                spec.probes.len(),
                crate::status::WanStatus::initial(wan, "t").targets.len()
            );
        }
    }
}
