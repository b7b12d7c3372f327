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
//!     one task per WAN,            │   ▲         ├─> hooks (never awaited)
//!     fed by the LinkHub           │   │         └─> MptcpPart (family states)
//!                                  │   └── MptcpPart status (watch)
//!                                  └─ reload: load, diff, restart what changed
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use mpwan_bgp::session::StopKind;
use mpwan_tracker::driver::WanReport;
use mpwan_tracker::{Family, HealthState, Scope};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::config::{self, Config};
use crate::control::server::Pending;
use crate::control::{Request, Response};
use crate::hooks::{HookEvent, HookRunner};
use crate::status::{Status, WanStatus};

use super::bgp::BgpPart;
use super::links::LinkHub;
use super::mptcp::{MptcpPart, slot_key};
use super::routes::RoutesPart;
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
    hub: LinkHub,
    /// Endpoints follow family states; None when MPTCP is off.
    mptcp: Option<MptcpPart>,
    /// Per-WAN routing tables; None when no WAN has a table.
    routes: Option<RoutesPart>,
    /// The BGP speaker; None without `[bgp]`.
    bgp: Option<BgpPart>,
    /// How BGP sessions close when the loop ends: gracefully (peers keep
    /// our routes) for a restart or `on_sigterm = "retain"`, with a Hard
    /// Reset (peers withdraw) for a stop.
    closing: StopKind,
    /// Every WAN's latest state, replayed to a BGP part that restarts.
    wan_states: BTreeMap<String, HealthState>,
    /// Every WAN family's latest state, replayed to a part that restarts.
    families: BTreeMap<(String, Family), HealthState>,
}

impl Supervisor {
    /// Builds the supervisor and starts tracking every WAN. Must be called
    /// inside the runtime.
    pub fn start(config: Config, instance: String, started: String) -> Supervisor {
        let status = Status::initial(&config, &instance, &started);
        let (tx, reports) = mpsc::channel(256);
        let hub = LinkHub::spawn();
        let mptcp = MptcpPart::start(&config, &hub);
        let routes = RoutesPart::start(&config, &hub);
        let bgp = BgpPart::start(&config);
        let mut wans = WanTasks::new(hub.clone(), tx);
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
            hub,
            mptcp,
            routes,
            bgp,
            closing: StopKind::HardReset,
            wan_states: BTreeMap::new(),
            families: BTreeMap::new(),
        }
    }

    /// Runs until a stop or restart is asked for. A stop removes the routing
    /// rules and tables mpwan installed; a restart leaves everything in the
    /// kernel for the new image to adopt.
    pub async fn run(mut self, control: mpsc::Receiver<Pending>) -> std::io::Result<Exit> {
        let exit = self.serve(control).await?;
        super::notify::leaving(exit);
        if exit == Exit::Restart {
            self.closing = StopKind::Graceful;
        }
        if let Some(bgp) = self.bgp.take() {
            bgp.close(self.closing.clone()).await;
        }
        if exit == Exit::Stop
            && let Some(routes) = self.routes.take()
        {
            routes.remove_all().await;
        }
        Ok(exit)
    }

    async fn serve(&mut self, mut control: mpsc::Receiver<Pending>) -> std::io::Result<Exit> {
        let mut hup = signal(SignalKind::hangup())?;
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let mut usr1 = signal(SignalKind::user_defined1())?;
        super::notify::ready();
        loop {
            tokio::select! {
                _ = hup.recv() => {
                    tracing::info!("SIGHUP: reloading the configuration");
                    self.reload();
                }
                _ = term.recv() => {
                    let retain = self
                        .config
                        .bgp
                        .as_ref()
                        .is_some_and(|b| b.on_sigterm == crate::config::OnSigterm::Retain);
                    if retain {
                        tracing::info!("SIGTERM: stopping; BGP peers keep our routes (on_sigterm = \"retain\")");
                        self.closing = StopKind::Graceful;
                    } else {
                        tracing::info!("SIGTERM: stopping; BGP peers withdraw our routes");
                    }
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
                () = mptcp_changed(&mut self.mptcp) => self.on_mptcp(),
                () = routes_changed(&mut self.routes) => self.on_routes(),
                () = bgp_changed(&mut self.bgp) => self.on_bgp(),
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
                if let Scope::Family(family) = t.scope {
                    self.families.insert((wan.to_string(), family), t.to);
                    if let Some(m) = &self.mptcp {
                        m.family_state(wan, family, t.to);
                    }
                }
                if t.scope == Scope::Wan {
                    self.wan_states.insert(wan.to_string(), t.to);
                    if let Some(b) = &self.bgp {
                        b.wan_state(wan, t.to);
                    }
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

    /// The endpoints' status changed: copy it into each WAN's status.
    fn on_mptcp(&mut self) {
        let Some(m) = &mut self.mptcp else { return };
        let slots = m.status.borrow_and_update().clone();
        for ws in &mut self.status.wans {
            let Some(ms) = &mut ws.mptcp else { continue };
            for slot in &slots {
                if slot.key == slot_key(&ws.name, Family::V4) {
                    ms.apply(slot);
                } else if slot.key == slot_key(&ws.name, Family::V6)
                    && let Some(v6) = &mut ms.ipv6
                {
                    v6.apply(slot);
                }
            }
        }
    }

    /// The routing tables' status changed: copy it into each WAN's status.
    fn on_routes(&mut self) {
        let Some(r) = &mut self.routes else { return };
        let all = r.status.borrow_and_update().clone();
        for ws in &mut self.status.wans {
            ws.routing = all.iter().find(|s| s.key == ws.name).cloned();
        }
    }

    /// The BGP speaker's status changed.
    fn on_bgp(&mut self) {
        if let Some(b) = &mut self.bgp {
            self.status.bgp = b.status.borrow_and_update().clone();
        }
    }

    /// Starts (or restarts) the MPTCP part for the current configuration
    /// and tells it every family state known so far.
    fn restart_mptcp(&mut self) {
        self.mptcp = None;
        self.mptcp = MptcpPart::start(&self.config, &self.hub);
        if let Some(m) = &self.mptcp {
            for ((wan, family), state) in &self.families {
                m.family_state(wan, *family, *state);
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
            Request::Status => {
                let mut status = self.status.clone();
                status.hooks = self.hooks.stats();
                (Response::Status(Box::new(status)), None)
            }
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
        let _notify = super::notify::Reloading::start();
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
                    kept.push(name.clone());
                    if let Some(s) = self.status.wans.iter().find(|s| &s.name == name) {
                        wans.push(s.clone());
                        continue;
                    }
                }
                Some(_) => {
                    changed.push(name.clone());
                    self.wans.stop(name);
                    self.wans.start(wan);
                }
                None => {
                    added.push(name.clone());
                    self.wans.start(wan);
                }
            }
            wans.push(WanStatus::initial(wan, &crate::clock::rfc3339_now()));
        }
        let removed: Vec<String> = old
            .wans
            .keys()
            .filter(|n| !self.config.wans.contains_key(*n))
            .cloned()
            .collect();
        for name in &removed {
            self.wans.stop(name);
        }
        self.wans.poll_carrier(self.config.agent.carrier_poll);
        // A restarted WAN starts from `init`: its old family states go.
        self.families.retain(|(wan, _), _| kept.contains(wan));
        self.wan_states.retain(|wan, _| kept.contains(wan));
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
        if !self.mptcp.as_ref().is_some_and(|m| m.serves(&self.config)) {
            if let Some(old) = self.mptcp.take() {
                old.retire(&self.config);
            }
            self.restart_mptcp();
        }
        self.on_mptcp();
        if !self.routes.as_ref().is_some_and(|r| r.serves(&self.config)) {
            // The new part adopts what it still wants and removes the rest
            // (tables of WANs that are gone); with no table left to keep,
            // the old part removes its own.
            let old = self.routes.take();
            self.routes = RoutesPart::start(&self.config, &self.hub);
            if self.routes.is_none()
                && let Some(old) = old
            {
                tokio::spawn(old.remove_all());
            }
        }
        self.on_routes();
        // The running speaker takes what it can in place: sessions whose
        // neighbor did not change stay up, announcement changes go out as
        // UPDATEs. Only new global settings replace it.
        let bgp_kept = match (&mut self.bgp, &self.config.bgp) {
            (Some(b), _) => b.reconfigure(&self.config),
            (None, None) => true,
            (None, Some(_)) => false,
        };
        if !bgp_kept {
            if let Some(old) = self.bgp.take() {
                // Withdraw everything when BGP is turned off; otherwise
                // the old sessions close without a NOTIFICATION (peers
                // keep our routes) and the new speaker takes over.
                let kind = if self.config.bgp.is_some() {
                    StopKind::Graceful
                } else {
                    StopKind::HardReset
                };
                tokio::spawn(old.close(kind));
            }
            self.bgp = BgpPart::start(&self.config);
        }
        if let Some(b) = &self.bgp {
            // The speaker drops WANs a reload removed and re-evaluates.
            for (wan, state) in &self.wan_states {
                b.wan_state(wan, *state);
            }
        }
        self.on_bgp();
        let list = |v: &[String]| {
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join(",")
            }
        };
        let mut message = format!(
            "configuration reloaded: added {}, changed {}, removed {}, unchanged {}",
            list(&added),
            list(&changed),
            list(&removed),
            list(&kept)
        );
        let pending = restart_only_changes(&old, &self.config);
        if !pending.is_empty() {
            // The socket, the state directory and the metrics listener are
            // bound once at start; `mpwan restart` rebinds them without
            // touching routes or BGP sessions.
            tracing::warn!(
                keys = %pending.join(","),
                "these settings take effect at the next `mpwan restart`"
            );
            message.push_str(&format!(
                "; {} take effect at the next `mpwan restart`",
                pending.join(", ")
            ));
        }
        message
    }
}

/// The `[agent]` keys a reload cannot apply in place that differ between
/// `old` and `new`.
fn restart_only_changes(old: &Config, new: &Config) -> Vec<&'static str> {
    let (a, b) = (&old.agent, &new.agent);
    [
        ("agent.control_socket", a.control_socket != b.control_socket),
        ("agent.state_dir", a.state_dir != b.state_dir),
        ("agent.metrics_listen", a.metrics_listen != b.metrics_listen),
    ]
    .into_iter()
    .filter_map(|(key, differs)| differs.then_some(key))
    .collect()
}

/// Resolves when the MPTCP part's status changed; never without the part.
async fn mptcp_changed(part: &mut Option<MptcpPart>) {
    match part {
        Some(m) => {
            if m.status.changed().await.is_err() {
                // The reconciler ended; its last status stays shown.
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// Resolves when the routing part's status changed; never without the part.
async fn routes_changed(part: &mut Option<RoutesPart>) {
    match part {
        Some(r) => {
            if r.status.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// Resolves when the BGP speaker's status changed; never without it.
async fn bgp_changed(part: &mut Option<BgpPart>) {
    match part {
        Some(b) => {
            if b.status.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}
