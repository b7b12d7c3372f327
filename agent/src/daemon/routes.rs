//! Per-WAN policy routing (`[mptcp] table` in a WAN file): keeps each such
//! WAN's table and rules in step with its device, addresses and the main
//! table's default route, through `mpwan_mptcp::route`.
//!
//! ```text
//!  LinkHub ── link/address events ──┐
//!  every RESYNC ────────────────────┼─> observe each WAN, apply ─> kernel
//!  Supervisor ── Cleanup on stop ───┘          │
//!  Supervisor <── watch<Vec<WanStatus>> ───────┘
//! ```
//!
//! What it installs carries mpwan's route protocol, so a restarted agent
//! adopts it without duplicates, and `mpwan stop` removes only that. A
//! restart (`mpwan restart`) removes nothing: traffic keeps its routes
//! while the new image starts.

use std::time::Duration;

use mpwan_mptcp::route::{RouteManager, WanRoutes, WanStatus};
use mpwan_tracker::link::LinkEvent;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::Config;

use super::links::LinkHub;

/// How often the tables are compared with the main table even without a
/// link event: a new gateway in the main table raises none.
const RESYNC: Duration = Duration::from_secs(10);

/// One WAN with a table: (name, table, device).
type Wanted = (String, u32, String);

pub struct RoutesPart {
    cleanup: mpsc::Sender<oneshot::Sender<()>>,
    pub status: watch::Receiver<Vec<WanStatus>>,
    task: JoinHandle<()>,
    wanted: Vec<Wanted>,
}

fn wanted_of(config: &Config) -> Vec<Wanted> {
    config
        .wans
        .values()
        .filter_map(|w| {
            let table = w.mptcp.as_ref()?.table?;
            Some((w.name.clone(), table, w.interface.clone()))
        })
        .collect()
}

impl RoutesPart {
    /// Starts the part, or None when no WAN has a table.
    pub fn start(config: &Config, hub: &LinkHub) -> Option<RoutesPart> {
        let wanted = wanted_of(config);
        if wanted.is_empty() {
            return None;
        }
        let (cleanup, cleanup_rx) = mpsc::channel(1);
        let (status_tx, status) = watch::channel(Vec::new());
        let task = tokio::spawn(run(wanted.clone(), hub.subscribe(), cleanup_rx, status_tx));
        Some(RoutesPart {
            cleanup,
            status,
            task,
            wanted,
        })
    }

    /// Whether `config` asks for exactly what this part keeps.
    pub fn serves(&self, config: &Config) -> bool {
        wanted_of(config) == self.wanted
    }

    /// Removes every rule and route mpwan installed (on `mpwan stop`), then
    /// ends the part. Bounded: a kernel that does not answer in time is
    /// left as it is.
    pub async fn remove_all(self) {
        let (done, wait) = oneshot::channel();
        if self.cleanup.send(done).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), wait).await;
        }
        self.task.abort();
    }
}

impl Drop for RoutesPart {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(
    wanted: Vec<Wanted>,
    mut links: mpsc::Receiver<LinkEvent>,
    mut cleanup: mpsc::Receiver<oneshot::Sender<()>>,
    status: watch::Sender<Vec<WanStatus>>,
) {
    let mut manager = match RouteManager::new() {
        Ok((manager, connection)) => {
            tokio::spawn(connection);
            manager
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot manage per-WAN routing tables");
            return;
        }
    };
    let mut resync = tokio::time::interval(RESYNC);
    let mut last_failed: Vec<String> = Vec::new();
    loop {
        tokio::select! {
            _ = resync.tick() => {}
            ev = links.recv() => {
                let Some(ev) = ev else { return };
                // Only events about our devices (by name, or by an index
                // a name may not accompany) need a new look.
                let ours = match &ev {
                    LinkEvent::Link { name, .. } | LinkEvent::LinkRemoved { name, .. } => {
                        wanted.iter().any(|(_, _, d)| d == name)
                    }
                    LinkEvent::AddressAdded { name, .. } | LinkEvent::AddressRemoved { name, .. } => {
                        name.as_ref().is_none_or(|n| wanted.iter().any(|(_, _, d)| d == n))
                    }
                };
                if !ours {
                    continue;
                }
            }
            done = cleanup.recv() => {
                match manager.cleanup().await {
                    Ok(report) => tracing::info!(removed = report.done.len(), "removed mpwan's routing rules and tables"),
                    Err(e) => tracing::warn!(error = %e, "could not remove mpwan's routing rules and tables"),
                }
                if let Some(done) = done {
                    let _ = done.send(());
                }
                return;
            }
        }
        let mut desired: Vec<WanRoutes> = Vec::with_capacity(wanted.len());
        for (name, table, device) in &wanted {
            match manager.observe(name, *table, device).await {
                Ok(w) => desired.push(w),
                Err(e) => tracing::warn!(wan = %name, error = %e, "cannot read the WAN's routing"),
            }
        }
        match manager.apply(&desired).await {
            Ok(report) => {
                for op in &report.done {
                    tracing::info!(%op, "policy routing");
                }
                let failed: Vec<String> = report
                    .failed
                    .iter()
                    .map(|f| format!("{}: {}", f.op, f.error))
                    .collect();
                if failed != last_failed {
                    for f in &failed {
                        tracing::warn!("policy routing: {f}");
                    }
                    last_failed = failed;
                }
                status.send_if_modified(|s| {
                    let changed = *s != report.wans;
                    if changed {
                        *s = report.wans.clone();
                    }
                    changed
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "policy routing: cannot read the kernel's rules and tables")
            }
        }
    }
}
