//! The supervisor: owns the configuration and the status, answers the
//! control socket, reacts to signals, and (as the parts land) feeds the
//! tracker, MPTCP and BGP tasks from one WAN-state channel.
//!
//! ```text
//!   signals ──────────────┐
//!   control socket ──────>│ Supervisor ── status ──> control socket answers
//!   WAN-state channel ───>│  (config, status)
//!                         └─> reload: load, diff, apply; bad config kept out
//! ```

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::config::{self, Config};
use crate::control::server::Pending;
use crate::control::{Request, Response};
use crate::status::{Status, WanStatus};

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
}

impl Supervisor {
    pub fn new(config: Config, instance: String, started: String) -> Supervisor {
        let status = Status::initial(&config, &instance, &started);
        Supervisor {
            config,
            status,
            instance,
            started,
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
                Some(pending) = control.recv() => {
                    if let Some(exit) = self.answer(pending).await {
                        return Ok(exit);
                    }
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
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), written).await;
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
    /// change keeps its state; added and changed WANs start fresh; removed
    /// ones go away.
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
                Some(_) => changed.push(name.as_str()),
                None => added.push(name.as_str()),
            }
            wans.push(WanStatus::initial(wan, &self.started));
        }
        let removed: Vec<&str> = old
            .wans
            .keys()
            .filter(|n| !self.config.wans.contains_key(*n))
            .map(String::as_str)
            .collect();
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
