//! The supervisor: owns the configuration and the status, answers the
//! control socket, reacts to signals, runs one tracker task per WAN and
//! passes every WAN transition on to the hooks (and, as they land, to the
//! MPTCP and BGP parts).
//!
//! ```text
//!   signals ───────────────────┐
//!   control socket (Pending) ──┤
//!                              ▼
//!   WanTasks ──(wan, WanReport)──> Supervisor ──> status (answers `status`)
//!     one task per WAN,            │             └─> hooks (never awaited)
//!     fed by the LinkHub           └─ reload: load, diff, restart changed WANs
//! ```

use std::time::Duration;

use mpwan_tracker::Scope;
use mpwan_tracker::driver::WanReport;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::config::{self, Config};
use crate::control::server::Pending;
use crate::control::{Request, Response};
use crate::hooks::{HookEvent, HookRunner};
use crate::status::{Status, WanStatus};

use super::links::LinkHub;
use super::wans::{Tagged, WanTasks};

/// How the daemon leaves its main loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Stop for good (`mpwan stop`, SIGTERM, SIGINT).
    Stop,
    /// Re-execute the installed binary in place (`mpwan restart`, SIGUSR1).
    Restart,
}

pub struct Supervisor {
    config: Config,
    status: Status,
    /// Unique to this process image (see `Status::instance`).
    instance: String,
    /// When this image started, for status and for parts that start fresh.
    started: String,
    wans: WanTasks,
    reports: mpsc::Receiver<Tagged>,
    hooks: HookRunner,
}

impl Supervisor {
    /// Builds the supervisor and starts tracking every WAN. Must be called
    /// inside the runtime.
    pub fn start(config: Config, instance: String, started: String) -> Supervisor {
        let status = Status::initial(&config, &instance, &started);
        let (tx, reports) = mpsc::channel(256);
        let mut wans = WanTasks::new(LinkHub::spawn(), tx);
        for wan in config.wans.values() {
            wans.start(wan);
        }
        wans.poll_carrier(config.agent.carrier_poll);
        let hooks = HookRunner::spawn(config.agent.hooks_dir.clone(), config.agent.hook_timeout);
        Supervisor {
            config,
            status,
            instance,
            started,
            wans,
            reports,
            hooks,
        }
    }

    /// Runs until a stop or restart is asked for.
    pub async fn run(mut self, mut control: mpsc::Receiver<Pending>) -> std::io::Result<Exit> {
        let mut hup = signal(SignalKind::hangup())?;
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let mut usr1 = signal(SignalKind::user_defined1())?;
        loop {
            tokio::select! {
                _ = hup.recv() => {
                    tracing::info!("SIGHUP: reloading the configuration");
                    self.reload();
                }
                _ = term.recv() => {
                    tracing::info!("SIGTERM: stopping");
                    return Ok(Exit::Stop);
                }
                _ = int.recv() => {
                    tracing::info!("SIGINT: stopping");
                    return Ok(Exit::Stop);
                }
                _ = usr1.recv() => {
                    tracing::info!("SIGUSR1: restarting in place");
                    return Ok(Exit::Restart);
                }
                Some((wan, report)) = self.reports.recv() => self.on_report(&wan, report),
                () = self.wans.supervise() => {}
                Some(pending) = control.recv() => {
                    if let Some(exit) = self.answer(pending).await {
                        return Ok(exit);
                    }
                }
            }
        }
    }

    /// A WAN's tracker reported: update the status, run the hooks on a
    /// WAN transition.
    fn on_report(&mut self, wan: &str, report: WanReport) {
        let Some(ws) = self.status.wans.iter_mut().find(|w| w.name == wan) else {
            return; // a WAN removed by a reload, its last words
        };
        match report {
            WanReport::Snapshot(s) => ws.apply_snapshot(&s),
            WanReport::Transition(t) => {
                ws.apply_transition(&t);
                if t.scope == Scope::Wan {
                    tracing::info!(wan, device = %ws.interface, from = %t.from, to = %t.to, "WAN state");
                    self.hooks.submit(HookEvent::transition(
                        wan,
                        &ws.interface,
                        t.from,
                        t.to,
                        t.quality.rtt_avg_ms(),
                        t.quality.loss_percent(),
                    ));
                }
            }
        }
    }

    /// Answers one control request; returns how to exit when it asks to.
    async fn answer(&mut self, pending: Pending) -> Option<Exit> {
        let Pending {
            request,
            reply,
            written,
        } = pending;
        let (response, exit) = match request {
            Request::Status => (Response::Status(Box::new(self.status.clone())), None),
            Request::Reload => (self.reload(), None),
            Request::Restart => {
                tracing::info!("restart requested over the control socket");
                let message = format!("restarting in place (pid {})", std::process::id());
                (Response::Done { message }, Some(Exit::Restart))
            }
            Request::Stop => {
                tracing::info!("stop requested over the control socket");
                let message = "stopping".to_string();
                (Response::Done { message }, Some(Exit::Stop))
            }
        };
        let _ = reply.send(response);
        if exit.is_some() {
            // Let the client read its answer before the process goes away.
            let _ = tokio::time::timeout(Duration::from_secs(1), written).await;
        }
        exit
    }

    /// Re-reads the configuration. A configuration with errors is rejected
    /// whole and the running one stays; a good one is applied as a
    /// difference.
    fn reload(&mut self) -> Response {
        let dir = self.config.dir.clone();
        match config::load(&dir) {
            Err(errors) => {
                for e in &errors.0 {
                    tracing::error!("{e}");
                }
                tracing::error!(
                    errors = errors.0.len(),
                    "the new configuration was rejected; the running one stays"
                );
                Response::ConfigRejected {
                    errors: errors.0.iter().map(|e| e.to_string()).collect(),
                }
            }
            Ok(new) => {
                let message = self.apply(new);
                tracing::info!("{message}");
                Response::Done { message }
            }
        }
    }

    /// Applies a new, valid configuration: a WAN whose settings did not
    /// change keeps its task and its state; added and changed WANs start
    /// fresh; removed ones stop.
    fn apply(&mut self, new: Config) -> String {
        let old = std::mem::replace(&mut self.config, new);
        let mut added = Vec::new();
        let mut changed = Vec::new();
        let mut kept = Vec::new();
        let mut wans = Vec::new();
        for (name, wan) in &self.config.wans {
            match old.wans.get(name) {
                Some(before) if before == wan => {
                    kept.push(name.as_str());
                    if let Some(s) = self.status.wans.iter().find(|s| &s.name == name) {
                        wans.push(s.clone());
                        continue;
                    }
                }
                Some(_) => {
                    changed.push(name.as_str());
                    self.wans.stop(name);
                    self.wans.start(wan);
                }
                None => {
                    added.push(name.as_str());
                    self.wans.start(wan);
                }
            }
            wans.push(WanStatus::initial(wan, &crate::clock::rfc3339_now()));
        }
        let removed: Vec<&str> = old
            .wans
            .keys()
            .filter(|n| !self.config.wans.contains_key(*n))
            .map(String::as_str)
            .collect();
        for name in &removed {
            self.wans.stop(name);
        }
        self.wans.poll_carrier(self.config.agent.carrier_poll);
        if old.agent.hooks_dir != self.config.agent.hooks_dir
            || old.agent.hook_timeout != self.config.agent.hook_timeout
        {
            self.hooks.reconfigure(
                self.config.agent.hooks_dir.clone(),
                self.config.agent.hook_timeout,
            );
        }
        let mut fresh = Status::initial(&self.config, &self.instance, &self.started);
        fresh.wans = wans;
        self.status = fresh;
        let list = |v: &[&str]| {
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join(",")
            }
        };
        format!(
            "configuration reloaded: added {}, changed {}, removed {}, unchanged {}",
            list(&added),
            list(&changed),
            list(&removed),
            list(&kept)
        )
    }
}
