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
use std::sync::Arc;
use std::time::Duration;

use mpwan_bgp::announce::{
    AnnounceSpec, ConditionId, Degrade, OnDown, PeerContext, Policy, RibOut,
};
use mpwan_bgp::driver::{
    Listener, ListenerPeer, PeerCommand, PeerEvent, TransportConfig, run_peer,
};
use mpwan_bgp::session::{GrConfig, SessionConfig, StopKind};
use mpwan_bgp::wire::{Community, Family, Prefix};
use mpwan_tracker::HealthState;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::next_hop;
use crate::config::{self, BgpConfig, Config, NeighborConfig, When};
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
    /// A reloaded `[bgp]` with the same global settings, and the WANs.
    Reconfigure(Box<BgpConfig>, Vec<String>),
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

    /// Applies a reloaded configuration to the running speaker when its
    /// global settings (ASN, router id, restart times) are unchanged:
    /// sessions whose neighbor settings did not change stay up,
    /// announcement changes go out as UPDATEs. False when the speaker must
    /// be replaced instead (global settings changed, or `[bgp]` removed).
    pub fn reconfigure(&mut self, config: &Config) -> bool {
        let Some(new) = &config.bgp else { return false };
        if !same_globals(&self.config, new) {
            return false;
        }
        if *new != self.config {
            let wans = config.wans.keys().cloned().collect();
            let sent = self
                .commands
                .send(Command::Reconfigure(Box::new(new.clone()), wans));
            if sent.is_err() {
                return false;
            }
            self.config = new.clone();
        }
        true
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

/// Whether two `[bgp]` sections agree on what every session's OPEN says:
/// if not, every session must start again.
fn same_globals(a: &BgpConfig, b: &BgpConfig) -> bool {
    a.asn == b.asn
        && a.router_id == b.router_id
        && a.restart_time == b.restart_time
        && a.long_lived_stale_time == b.long_lived_stale_time
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

/// The condition of a `when`: announcements with the same `when` share
/// one, so a change of WAN health costs one pass over the policy per
/// distinct `when`, not per announcement (100 000 prefixes announced
/// `when = "any"` are one condition).
fn condition_id(when: &When) -> ConditionId {
    ConditionId(match when {
        When::Any => "any".to_string(),
        When::All => "all".to_string(),
        When::Wans(list) => {
            let mut names: Vec<&str> = list.iter().map(String::as_str).collect();
            names.sort_unstable();
            names.dedup();
            format!("wans:{}", names.join(","))
        }
    })
}

/// Every distinct `when` of the announcements, with its condition.
fn conditions(bgp: &BgpConfig) -> BTreeMap<ConditionId, When> {
    bgp.announce
        .iter()
        .map(|a| (condition_id(&a.when), a.when.clone()))
        .collect()
}

fn specs(bgp: &BgpConfig) -> Vec<AnnounceSpec> {
    bgp.announce
        .iter()
        .filter_map(|a| {
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
                condition: condition_id(&a.when),
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

struct Peer {
    address: IpAddr,
    asn: u32,
    /// The settings it runs with: a reload that leaves them alone leaves
    /// the session up.
    config: NeighborConfig,
    commands: mpsc::Sender<PeerCommand>,
    rib: Option<RibOut>,
    /// Families whose ROUTE-REFRESH is not answered yet for want of room
    /// in `commands`. Never waited for: a peer task busy with a burst of
    /// requests is itself waiting for the speaker to take its events, and
    /// requests of one family repeated before the answer need one answer.
    refresh_pending: Vec<Family>,
    task: JoinHandle<()>,
}

impl Peer {
    /// Answers the pending ROUTE-REFRESH requests while `commands` has
    /// room, without waiting.
    fn answer_refreshes(&mut self, policy: &Policy) {
        while let Some(&family) = self.refresh_pending.first() {
            let Some(rib) = &mut self.rib else {
                self.refresh_pending.clear();
                return;
            };
            let Ok(permit) = self.commands.try_reserve() else {
                return;
            };
            self.refresh_pending.remove(0);
            let mut buf = Vec::new();
            rib.refresh(family, policy, &mut buf);
            if !buf.is_empty() {
                permit.send(PeerCommand::SendRaw(buf));
            }
        }
    }
}

/// The speaker task's state: the policy, the WAN states it follows, the
/// peer tasks (by a number never reused, so a late event of a replaced
/// peer task is ignored) and the listener.
struct Speaker {
    bgp: BgpConfig,
    policy: Policy,
    conditions: BTreeMap<ConditionId, When>,
    /// The announcements' states as status shows them; rebuilt only when
    /// the policy changed (it is as long as the announce list).
    announced: Arc<[AnnouncementStatus]>,
    wans: BTreeMap<String, HealthState>,
    peers: BTreeMap<u64, Peer>,
    next_peer: u64,
    events_tx: mpsc::Sender<(u64, PeerEvent)>,
    listener: Option<JoinHandle<()>>,
}

impl Speaker {
    /// Starts a peer task for `n`; `restarting` sets the R bit.
    fn spawn_peer(&mut self, n: &NeighborConfig, restarting: bool) {
        let bgp = &self.bgp;
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
            send_hold_time: None,
        };
        let id = self.next_peer;
        self.next_peer = self.next_peer.wrapping_add(1);
        let (tx, rx) = mpsc::channel(64);
        let (ptx, mut prx) = mpsc::channel(64);
        let out = self.events_tx.clone();
        let address = n.address;
        let task = tokio::spawn(async move {
            let forward = async {
                while let Some(ev) = prx.recv().await {
                    if out.send((id, ev)).await.is_err() {
                        break;
                    }
                }
            };
            let (result, ()) = tokio::join!(run_peer(cfg, transport, rx, ptx), forward);
            if let Err(e) = result {
                tracing::error!(peer = %address, error = %e, "BGP peer task ended");
            }
        });
        self.peers.insert(
            id,
            Peer {
                address: n.address,
                asn: n.asn,
                config: n.clone(),
                commands: tx,
                rib: None,
                refresh_pending: Vec::new(),
                task,
            },
        );
    }

    /// (Re)binds the listener for the current peers.
    async fn listen(&mut self) {
        if let Some(old) = self.listener.take() {
            // Awaiting the aborted task drops its sockets, so the port can
            // be bound again at once. Accepted sessions are not its own.
            old.abort();
            let _ = old.await;
        }
        let peers = self
            .peers
            .values()
            .map(|p| ListenerPeer {
                addr: p.address,
                md5_password: p.config.password.clone(),
                ttl_security: p.config.ttl_security,
                commands: p.commands.clone(),
            })
            .collect();
        match Listener::bind(self.bgp.listen_port, peers) {
            Ok(Some(l)) => self.listener = Some(tokio::spawn(l.run())),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(port = self.bgp.listen_port, error = %e, "BGP: cannot listen");
            }
        }
    }

    /// Stops the peer task `id` with `kind`; it puts its close on the wire
    /// and ends on its own.
    async fn stop_peer(&mut self, id: u64, kind: StopKind) {
        if let Some(p) = self.peers.remove(&id) {
            let _ = p.commands.send(PeerCommand::Stop(kind)).await;
        }
    }

    /// Applies a reloaded `[bgp]` (same global settings): unchanged
    /// neighbors keep their sessions, changed ones restart gracefully (the
    /// peer keeps our routes until the new session's End-of-RIB), removed
    /// ones are told so and withdraw our routes; the policy takes the new
    /// announcements, and the next sync sends only the differences.
    async fn reconfigure(&mut self, new: BgpConfig, wan_names: Vec<String>) {
        let policy = match Policy::new(specs(&new)) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "BGP: the new announce policy is invalid; the old one stays");
                return;
            }
        };
        self.wans.retain(|w, _| wan_names.contains(w));
        for w in wan_names {
            self.wans.entry(w).or_insert(HealthState::Init);
        }
        let old_policy = std::mem::replace(&mut self.policy, policy);
        self.conditions = conditions(&new);
        self.set_conditions();
        let moved: Vec<_> = (self.policy.status().into_iter())
            .filter(|s| old_policy.state(&s.prefix) != Some(s.state))
            .collect();
        let removed: Vec<_> = (old_policy.status().into_iter())
            .filter(|s| self.policy.state(&s.prefix).is_none())
            .collect();
        if moved.len().saturating_add(removed.len()) <= LOG_EACH_UP_TO {
            for s in &moved {
                tracing::info!(prefix = %s.prefix, to = ?s.state, "BGP announcement (reload)");
            }
            for s in &removed {
                tracing::info!(prefix = %s.prefix, "BGP announcement removed (reload)");
            }
        } else {
            tracing::info!(
                changed = moved.len(),
                removed = removed.len(),
                "BGP announcements changed (reload)"
            );
        }

        let rebind = self.bgp.listen_port != new.listen_port;
        let old_listen: Vec<_> = self.peers.values().map(|p| listen_key(&p.config)).collect();
        self.bgp = new;
        let mut kept = Vec::new();
        let ids: Vec<u64> = self.peers.keys().copied().collect();
        for id in ids {
            let Some(p) = self.peers.get(&id) else {
                continue;
            };
            match self.bgp.neighbors.iter().find(|n| n.address == p.address) {
                Some(n) if *n == p.config => kept.push(n.address),
                Some(_) => {
                    tracing::info!(peer = %p.address, "BGP neighbor changed: its session restarts gracefully");
                    self.stop_peer(id, StopKind::Graceful).await;
                }
                None => {
                    tracing::info!(peer = %p.address, "BGP neighbor removed: its session closes");
                    self.stop_peer(
                        id,
                        StopKind::Admin("neighbor removed from the configuration".into()),
                    )
                    .await;
                }
            }
        }
        for n in self.bgp.neighbors.clone() {
            if !kept.contains(&n.address) {
                // A changed neighbor comes back as a restarting speaker:
                // the peer holds our routes as stale meanwhile.
                let changed = old_listen.iter().any(|k| k.0 == n.address);
                self.spawn_peer(&n, changed);
            }
        }
        let new_listen: Vec<_> = self.peers.values().map(|p| listen_key(&p.config)).collect();
        if rebind || old_listen != new_listen || kept.len() != self.peers.len() {
            self.listen().await;
        }
        self.announced = announced(&self.policy);
    }

    /// Sets every condition from the WAN states; true when a prefix moved.
    fn set_conditions(&mut self) -> bool {
        let mut moved = false;
        for (id, when) in &self.conditions {
            let changes = self
                .policy
                .set_condition(id.clone(), holds(when, &self.wans));
            moved |= !changes.is_empty();
            if changes.len() <= LOG_EACH_UP_TO {
                for c in &changes {
                    tracing::info!(prefix = %c.prefix, from = ?c.from, to = ?c.to, "BGP announcement");
                }
            } else if let (Some(first), Some(last)) = (changes.first(), changes.last()) {
                // One line for a mass move (a default route's condition
                // with 100 000 prefixes behind it): a line each would cost
                // more than deciding and sending them.
                tracing::info!(
                    condition = %id,
                    prefixes = changes.len(),
                    first = %first.prefix,
                    last = %last.prefix,
                    to = ?first.to,
                    "BGP announcements moved"
                );
            }
        }
        moved
    }

    /// Brings every established peer in line with the policy; the first
    /// sync of a session is its initial table, followed by End-of-RIB.
    async fn sync_peers(&mut self) {
        for p in self.peers.values_mut() {
            let Some(rib) = &mut p.rib else { continue };
            let first = rib.advertised() == 0;
            let mut buf = Vec::new();
            let sent = rib.sync(&self.policy, &mut buf);
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

    /// Handles one event of peer task `id`; true when the peer now needs
    /// its table.
    async fn on_peer_event(&mut self, id: u64, ev: PeerEvent) -> bool {
        let Some(p) = self.peers.get_mut(&id) else {
            return false;
        };
        match ev {
            PeerEvent::Established(neg) => {
                let (v4, v6) = next_hops(p.address);
                if p.address.is_ipv4() && v6.is_none() {
                    tracing::info!(peer = %p.address, "BGP: no global IPv6 address on the session's interface: IPv6 prefixes are not sent to this peer");
                }
                let ctx = PeerContext::for_session(self.bgp.asn, &neg, v4, v6);
                p.rib = Some(RibOut::new(ctx, neg.wire));
                tracing::info!(peer = %p.address, "BGP session established");
                return true;
            }
            PeerEvent::Down {
                reason,
                peer_keeps_routes,
                ..
            } => {
                tracing::info!(peer = %p.address, ?reason, peer_keeps_routes, "BGP session down");
                p.rib = None;
            }
            PeerEvent::RibChanged => {}
            PeerEvent::RouteRefresh(family) => {
                if p.rib.is_some() && !p.refresh_pending.contains(&family) {
                    p.refresh_pending.push(family);
                }
                p.answer_refreshes(&self.policy);
            }
        }
        false
    }

    /// Closes every session with `kind` and waits (5 s at most each) until
    /// each close is on the wire.
    async fn close(&mut self, kind: StopKind) {
        for p in self.peers.values() {
            let _ = p.commands.send(PeerCommand::Stop(kind.clone())).await;
        }
        let peers = std::mem::take(&mut self.peers);
        for p in peers.into_values() {
            drop(p.commands);
            let _ = tokio::time::timeout(Duration::from_secs(5), p.task).await;
        }
        if let Some(l) = self.listener.take() {
            l.abort();
        }
    }
}

/// What the listener needs of a neighbor: a change rebinds it.
fn listen_key(n: &NeighborConfig) -> (IpAddr, Option<String>, Option<u8>) {
    (n.address, n.password.clone(), n.ttl_security)
}

fn announced(policy: &Policy) -> Arc<[AnnouncementStatus]> {
    policy
        .status()
        .into_iter()
        .map(|s| AnnouncementStatus {
            prefix: s.prefix.to_string(),
            state: s.state,
        })
        .collect()
}

/// Up to this many prefixes moving at once are logged a line each; more
/// get one summary line.
const LOG_EACH_UP_TO: usize = 32;

/// How soon after a peer's event the status is refreshed; events in
/// between are folded into one refresh (a table transfer is thousands).
const PUBLISH_DELAY: Duration = Duration::from_millis(50);

async fn speaker(
    bgp: BgpConfig,
    wan_names: Vec<String>,
    restarting: bool,
    marker: PathBuf,
    mut commands: mpsc::UnboundedReceiver<Command>,
    status: watch::Sender<BgpStatus>,
) {
    let policy = match Policy::new(specs(&bgp)) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "BGP: cannot build the announce policy");
            return;
        }
    };
    let (events_tx, mut events) = mpsc::channel::<(u64, PeerEvent)>(256);
    let mut sp = Speaker {
        conditions: conditions(&bgp),
        announced: announced(&policy),
        policy,
        wans: wan_names
            .into_iter()
            .map(|w| (w, HealthState::Init))
            .collect(),
        peers: BTreeMap::new(),
        next_peer: 0,
        events_tx,
        listener: None,
        bgp,
    };
    for n in sp.bgp.neighbors.clone() {
        sp.spawn_peer(&n, restarting);
    }
    sp.listen().await;

    let settle = tokio::time::sleep(SETTLE);
    tokio::pin!(settle);
    let mut settled = false;
    let publish_timer = tokio::time::sleep(PUBLISH_DELAY);
    tokio::pin!(publish_timer);
    let mut publish_due = false;
    // Uptimes and counters move without events: refresh now and then.
    let mut refresh = tokio::time::interval(Duration::from_secs(1));
    loop {
        let mut changed = false;
        let mut publish_now = false;
        tokio::select! {
            cmd = commands.recv() => match cmd {
                None => return,
                Some(Command::Wan(wan, state)) => {
                    sp.wans.insert(wan, state);
                    changed = true;
                }
                Some(Command::Reconfigure(new, wans)) => {
                    sp.reconfigure(*new, wans).await;
                    changed = true;
                }
                Some(Command::Close(kind, done)) => {
                    if kind == StopKind::Graceful
                        && let Err(e) = std::fs::write(&marker, b"graceful restart\n")
                    {
                        tracing::warn!(error = %e, "BGP: cannot write the restart marker");
                    }
                    sp.close(kind).await;
                    let _ = done.send(());
                    return;
                }
            },
            () = &mut settle, if !settled => {
                tracing::info!("BGP: WAN health not settled in time; announcing what is known");
                settled = true;
                changed = true;
            }
            Some((id, ev)) = events.recv() => {
                changed = sp.on_peer_event(id, ev).await;
                if !publish_due {
                    publish_due = true;
                    publish_timer
                        .as_mut()
                        .reset(tokio::time::Instant::now() + PUBLISH_DELAY);
                }
            }
            () = &mut publish_timer, if publish_due => publish_now = true,
            _ = refresh.tick() => publish_now = true,
        }
        for p in sp.peers.values_mut() {
            p.answer_refreshes(&sp.policy);
        }
        if !settled && sp.wans.values().all(|s| *s != HealthState::Init) {
            settled = true;
            changed = true;
        }
        if changed && settled {
            if sp.set_conditions() {
                sp.announced = announced(&sp.policy);
            }
            sp.sync_peers().await;
            publish_now = true;
        }
        if publish_now {
            publish_due = false;
            publish(&sp.bgp, &sp.peers, &sp.announced, &status).await;
        }
    }
}

/// Our next hops toward `peer` (next hop self): the address the kernel
/// would use toward it, and an address of the other family on the same
/// interface, so IPv6 prefixes can go over an IPv4 session and back.
fn next_hops(peer: IpAddr) -> (Option<Ipv4Addr>, Option<Ipv6Addr>) {
    let Some(local) = local_addr_towards(peer) else {
        return (None, None);
    };
    match local {
        IpAddr::V4(a) => (Some(a), next_hop::other_family(local).and_then(v6_of)),
        IpAddr::V6(a) => (next_hop::other_family(local).and_then(v4_of), Some(a)),
    }
}

fn v4_of(a: IpAddr) -> Option<Ipv4Addr> {
    match a {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(_) => None,
    }
}

fn v6_of(a: IpAddr) -> Option<Ipv6Addr> {
    match a {
        IpAddr::V6(a) => Some(a),
        IpAddr::V4(_) => None,
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

/// Refreshes the status from each peer task and the policy.
async fn publish(
    bgp: &BgpConfig,
    peers: &BTreeMap<u64, Peer>,
    announced: &Arc<[AnnouncementStatus]>,
    status: &watch::Sender<BgpStatus>,
) {
    let mut neighbors = Vec::with_capacity(peers.len());
    for p in peers.values() {
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
                    restarting: s.restarting,
                },
                messages: s.messages,
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
                // The peer task did not answer: its last counters stay, so
                // a scraper does not mistake the gap for a counter reset.
                messages: status
                    .borrow()
                    .neighbors
                    .iter()
                    .find(|n| n.address == p.address.to_string())
                    .map(|n| n.messages)
                    .unwrap_or_default(),
            },
        });
    }
    let fresh = BgpStatus {
        enabled: true,
        asn: Some(bgp.asn),
        router_id: Some(bgp.router_id.to_string()),
        neighbors,
        announced: Arc::clone(announced),
    };
    status.send_if_modified(|s| {
        let changed = *s != fresh;
        if changed {
            *s = fresh;
        }
        changed
    });
}
