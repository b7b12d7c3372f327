//! The BGP part of the agent: one `mpwan_bgp` peer task per neighbor, an
//! optional listener, and the speaker task that owns the announce policy
//! and each established peer's Adj-RIB-Out.
//!
//! ```text
//!  Supervisor ── WAN states ──┐
//!  Supervisor ── Close(kind) ─┤ speaker task ── SendRaw(UPDATEs), RoutesReady ──> run_peer (one per
//!  run_peer ── PeerEvent ─────┘   │  Policy + RibOut per peer                      neighbor) ──> TCP
//!                                 └─> watch<BgpStatus> ──> Supervisor (status)
//!  Listener ── Inbound(stream) ─────────────────────────────────────────────────> run_peer
//! ```
//!
//! Conditions: each `[[bgp.announce]]` holds while its WANs are usable (up
//! or degraded): `any` of them, `all` of them, or any of a list. Routes go
//! out only once every WAN has left `init` (or after a settle time), so a
//! restarted speaker never sends End-of-RIB before it knows what to
//! announce — that End-of-RIB would make peers drop routes still valid.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::Duration;

use mpwan_bgp::announce::{
    AnnounceSpec, ConditionId, Degrade, OnDown, PeerContext, Policy, RibOut,
};
use mpwan_bgp::driver::{
    Listener, ListenerPeer, PeerCommand, PeerEvent, TransportConfig, run_peer,
};
use mpwan_bgp::session::{GrConfig, SessionConfig, StopKind};
use mpwan_bgp::wire::{Community, Prefix};
use mpwan_tracker::HealthState;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::{self, BgpConfig, Config, When};
use crate::status::{AnnouncementStatus, BgpStatus, GracefulRestartStatus, NeighborStatus};

/// The marker a graceful close leaves in `state_dir`: the next image sets
/// the R bit in its OPENs (RFC 4724) if it starts within the restart time.
const MARKER: &str = "bgp-graceful-restart";
/// How long routes wait for every WAN to leave `init` before they go out
/// anyway (below the session's End-of-RIB deferral).
const SETTLE: Duration = Duration::from_secs(20);
/// End-of-RIB deferral: far below the peers' restart time.
const SELECTION_DEFERRAL: Duration = Duration::from_secs(30);

enum Command {
    Wan(String, HealthState),
    Close(StopKind, oneshot::Sender<()>),
}

pub struct BgpPart {
    commands: mpsc::UnboundedSender<Command>,
    pub status: watch::Receiver<BgpStatus>,
    task: JoinHandle<()>,
    config: BgpConfig,
}

impl BgpPart {
    /// Starts the speaker, or None without `[bgp]`.
    pub fn start(config: &Config) -> Option<BgpPart> {
        let bgp = config.bgp.clone()?;
        let marker = config.agent.state_dir.join(MARKER);
        let restarting = take_marker(&marker, bgp.restart_time);
        if restarting {
            tracing::info!("BGP: restarting gracefully (R bit set) after a graceful stop");
        }
        let (commands, rx) = mpsc::unbounded_channel();
        let (status_tx, status) = watch::channel(BgpStatus::default());
        let wans: Vec<String> = config.wans.keys().cloned().collect();
        let task = tokio::spawn(speaker(
            bgp.clone(),
            wans,
            restarting,
            marker,
            rx,
            status_tx,
        ));
        Some(BgpPart {
            commands,
            status,
            task,
            config: bgp,
        })
    }

    /// Whether `config`'s `[bgp]` is what this part runs.
    pub fn serves(&self, config: &Config) -> bool {
        config.bgp.as_ref() == Some(&self.config)
    }

    pub fn wan_state(&self, wan: &str, state: HealthState) {
        let _ = self.commands.send(Command::Wan(wan.to_string(), state));
    }

    /// Closes every session: `Graceful` (no NOTIFICATION, peers keep our
    /// routes as stale; a marker tells the next image to set the R bit) or
    /// `HardReset` (peers withdraw at once). Waits until the closes are on
    /// the wire, a few seconds at most.
    pub async fn close(self, kind: StopKind) {
        let (done, wait) = oneshot::channel();
        if self.commands.send(Command::Close(kind, done)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(6), wait).await;
        }
    }
}

impl Drop for BgpPart {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads and removes the marker: true when it is younger than the restart
/// time (an older one belongs to a restart the peers have given up on).
#[allow(clippy::disallowed_methods)] // the driver edge: file ages are wall-clock
fn take_marker(path: &PathBuf, restart_time: Duration) -> bool {
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| std::time::SystemTime::now().duration_since(t).ok());
    let _ = std::fs::remove_file(path);
    age.is_some_and(|a| a < restart_time)
}

/// The condition of announcement `i`.
fn condition_id(i: usize) -> ConditionId {
    ConditionId(format!("announce-{i}"))
}

fn specs(bgp: &BgpConfig) -> Vec<AnnounceSpec> {
    bgp.announce
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let prefix = Prefix::new(a.prefix.addr, a.prefix.len).ok()?;
            let on_down = match a.on_down {
                config::OnDown::Withdraw => OnDown::Withdraw,
                config::OnDown::Degrade => OnDown::Degrade(Degrade {
                    med: a.degrade.med,
                    prepend: a.degrade.prepend,
                    communities: a
                        .degrade
                        .communities
                        .iter()
                        .map(|(asn, v)| Community::new(*asn, *v))
                        .collect(),
                }),
            };
            Some(AnnounceSpec {
                prefix,
                condition: condition_id(i),
                on_down,
            })
        })
        .collect()
}

/// Whether announcement `when` holds for these WAN states.
fn holds(when: &When, wans: &BTreeMap<String, HealthState>) -> bool {
    let usable = |name: &str| wans.get(name).is_some_and(|s| s.is_usable());
    match when {
        When::Any => wans.keys().any(|w| usable(w)),
        When::All => !wans.is_empty() && wans.keys().all(|w| usable(w)),
        When::Wans(list) => list.iter().any(|w| usable(w)),
    }
}

/// The local address the kernel would use towards `peer` (no packet is
/// sent: connecting a UDP socket only picks the route and source).
fn local_addr_towards(peer: IpAddr) -> Option<IpAddr> {
    let bind: SocketAddr = match peer {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let sock = UdpSocket::bind(bind).ok()?;
    sock.connect((peer, 179)).ok()?;
    sock.local_addr().ok().map(|a| a.ip())
}

struct Peer {
    address: IpAddr,
    asn: u32,
    commands: mpsc::Sender<PeerCommand>,
    rib: Option<RibOut>,
    task: JoinHandle<()>,
}

async fn speaker(
    bgp: BgpConfig,
    wan_names: Vec<String>,
    restarting: bool,
    marker: PathBuf,
    mut commands: mpsc::UnboundedReceiver<Command>,
    status: watch::Sender<BgpStatus>,
) {
    let mut policy = match Policy::new(specs(&bgp)) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "BGP: cannot build the announce policy");
            return;
        }
    };
    let mut wans: BTreeMap<String, HealthState> = wan_names
        .into_iter()
        .map(|w| (w, HealthState::Init))
        .collect();
    let (events_tx, mut events) = mpsc::channel::<(usize, PeerEvent)>(256);
    let mut peers: Vec<Peer> = Vec::new();
    let mut listening = Vec::new();
    for (i, n) in bgp.neighbors.iter().enumerate() {
        let mut cfg = SessionConfig::new(bgp.asn, bgp.router_id, n.address, n.asn);
        cfg.passive = n.passive;
        cfg.hold_time = n.hold_time;
        cfg.max_prefixes = n.max_prefixes;
        cfg.graceful_restart = GrConfig {
            restart_time: bgp.restart_time,
            long_lived_stale_time: bgp.long_lived_stale_time,
            restarting,
            selection_deferral: SELECTION_DEFERRAL,
            ..GrConfig::default()
        };
        let transport = TransportConfig {
            local_addr: None,
            port: n.port,
            md5_password: n.password.clone(),
            ttl_security: n.ttl_security,
        };
        let (tx, rx) = mpsc::channel(64);
        let (ptx, mut prx) = mpsc::channel(64);
        let out = events_tx.clone();
        let address = n.address;
        let task = tokio::spawn(async move {
            let forward = async {
                while let Some(ev) = prx.recv().await {
                    if out.send((i, ev)).await.is_err() {
                        break;
                    }
                }
            };
            let (result, ()) = tokio::join!(run_peer(cfg, transport, rx, ptx), forward);
            if let Err(e) = result {
                tracing::error!(peer = %address, error = %e, "BGP peer task ended");
            }
        });
        listening.push(ListenerPeer {
            addr: n.address,
            md5_password: n.password.clone(),
            ttl_security: n.ttl_security,
            commands: tx.clone(),
        });
        peers.push(Peer {
            address: n.address,
            asn: n.asn,
            commands: tx,
            rib: None,
            task,
        });
    }
    match Listener::bind(bgp.listen_port, listening) {
        Ok(Some(l)) => {
            tokio::spawn(l.run());
        }
        Ok(None) => {}
        Err(e) => tracing::error!(port = bgp.listen_port, error = %e, "BGP: cannot listen"),
    }

    let settle = tokio::time::sleep(SETTLE);
    tokio::pin!(settle);
    let mut settled = false;
    let mut refresh = tokio::time::interval(Duration::from_secs(1));
    loop {
        let mut changed = false;
        tokio::select! {
            cmd = commands.recv() => match cmd {
                None => return,
                Some(Command::Wan(wan, state)) => {
                    wans.insert(wan, state);
                    changed = true;
                }
                Some(Command::Close(kind, done)) => {
                    if kind == StopKind::Graceful
                        && let Err(e) = std::fs::write(&marker, b"graceful restart\n")
                    {
                        tracing::warn!(error = %e, "BGP: cannot write the restart marker");
                    }
                    for p in &peers {
                        let _ = p.commands.send(PeerCommand::Stop(kind.clone())).await;
                    }
                    // Let each peer task put its close on the wire.
                    for p in peers.drain(..) {
                        drop(p.commands);
                        let _ = tokio::time::timeout(Duration::from_secs(5), p.task).await;
                    }
                    let _ = done.send(());
                    return;
                }
            },
            () = &mut settle, if !settled => {
                tracing::info!("BGP: WAN health not settled in time; announcing what is known");
                settled = true;
                changed = true;
            }
            Some((i, ev)) = events.recv() => {
                let Some(p) = peers.get_mut(i) else { continue };
                match ev {
                    PeerEvent::Established(neg) => {
                        let local = local_addr_towards(p.address);
                        let v4 = match local { Some(IpAddr::V4(a)) => Some(a), _ => None };
                        let v6 = match local { Some(IpAddr::V6(a)) => Some(a), _ => None };
                        let ctx = PeerContext::for_session(bgp.asn, &neg, v4, v6);
                        p.rib = Some(RibOut::new(ctx, neg.wire));
                        tracing::info!(peer = %p.address, "BGP session established");
                        changed = true;
                    }
                    PeerEvent::Down { reason, peer_keeps_routes, .. } => {
                        tracing::info!(peer = %p.address, ?reason, peer_keeps_routes, "BGP session down");
                        p.rib = None;
                    }
                    PeerEvent::RibChanged => {}
                    PeerEvent::RouteRefresh(family) => {
                        if let Some(rib) = &mut p.rib {
                            let mut buf = Vec::new();
                            rib.refresh(family, &policy, &mut buf);
                            if !buf.is_empty() {
                                let _ = p.commands.send(PeerCommand::SendRaw(buf)).await;
                            }
                        }
                    }
                }
            }
            _ = refresh.tick() => {}
        }
        if !settled && wans.values().all(|s| *s != HealthState::Init) {
            settled = true;
            changed = true;
        }
        if changed && settled {
            for (i, a) in bgp.announce.iter().enumerate() {
                for c in policy.set_condition(condition_id(i), holds(&a.when, &wans)) {
                    tracing::info!(prefix = %c.prefix, from = ?c.from, to = ?c.to, "BGP announcement");
                }
            }
            for p in &mut peers {
                let Some(rib) = &mut p.rib else { continue };
                let first = rib.advertised() == 0;
                let mut buf = Vec::new();
                let sent = rib.sync(&policy, &mut buf);
                for f in &sent.failed {
                    tracing::warn!(peer = %p.address, error = %f.error, "BGP: cannot encode an update");
                }
                if !buf.is_empty() {
                    let _ = p.commands.send(PeerCommand::SendRaw(buf)).await;
                }
                if first {
                    for family in rib.families().to_vec() {
                        let _ = p.commands.send(PeerCommand::RoutesReady(family)).await;
                    }
                }
            }
        }
        publish(&bgp, &peers, &policy, &status).await;
    }
}

/// Refreshes the status from each peer task and the policy.
async fn publish(
    bgp: &BgpConfig,
    peers: &[Peer],
    policy: &Policy,
    status: &watch::Sender<BgpStatus>,
) {
    let mut neighbors = Vec::with_capacity(peers.len());
    for p in peers {
        let (tx, rx) = oneshot::channel();
        let s = match p.commands.send(PeerCommand::Status(tx)).await {
            Ok(()) => tokio::time::timeout(Duration::from_millis(500), rx)
                .await
                .ok()
                .and_then(Result::ok),
            Err(_) => None,
        };
        neighbors.push(match s {
            Some(s) => NeighborStatus {
                address: p.address.to_string(),
                asn: p.asn,
                state: format!("{:?}", s.state).to_lowercase(),
                uptime: s.uptime.map(|u| u.as_secs()),
                received: s.received.iter().map(|c| c.routes as u64).sum(),
                stale: s.received.iter().map(|c| c.stale as u64).sum(),
                advertised: p.rib.as_ref().map_or(0, |r| r.advertised() as u64),
                graceful_restart: GracefulRestartStatus {
                    negotiated: s.graceful_restart.negotiated,
                    long_lived: s.graceful_restart.long_lived,
                    notification: s.graceful_restart.notification,
                    // While the peer is away, the session keeps helping
                    // (its routes kept stale) though nothing is negotiated.
                    peer_restarting: s.graceful_restart.peer_restarting || !s.helper.is_empty(),
                },
            },
            None => NeighborStatus {
                address: p.address.to_string(),
                asn: p.asn,
                state: "idle".into(),
                uptime: None,
                received: 0,
                stale: 0,
                advertised: 0,
                graceful_restart: GracefulRestartStatus::default(),
            },
        });
    }
    let announced = policy
        .status()
        .into_iter()
        .map(|s| AnnouncementStatus {
            prefix: s.prefix.to_string(),
            state: match s.state {
                mpwan_bgp::announce::PrefixState::Announced => "announced",
                mpwan_bgp::announce::PrefixState::Degraded => "degraded",
                mpwan_bgp::announce::PrefixState::Withdrawn => "withdrawn",
            }
            .into(),
        })
        .collect();
    let fresh = BgpStatus {
        enabled: true,
        asn: Some(bgp.asn),
        router_id: Some(bgp.router_id.to_string()),
        neighbors,
        announced,
    };
    status.send_if_modified(|s| {
        let changed = *s != fresh;
        if changed {
            *s = fresh;
        }
        changed
    });
}
