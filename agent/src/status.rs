//! What `mpwan status` shows. The supervisor keeps one `Status` up to date
//! from the WAN-state channel and the parts' reports; the control socket
//! hands out copies. Field names are the contract of DESIGN.md
//! ("Operating it"): scripts parse `mpwan status --json`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use mpwan_bgp::announce::PrefixState;
use mpwan_tracker::driver::{ProbeCounts, WanFigures};
use mpwan_tracker::{Family, Reason, Scope, Transition};

use crate::clock;
use crate::config::{Config, EndpointFlag, ProbeConfig, duration_str::format_duration};
use crate::hooks::HookStats;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    pub version: String,
    pub pid: u32,
    /// Unique to this process image: it changes across `mpwan restart`
    /// while the pid stays, which is how the CLI sees the restart finish.
    pub instance: String,
    /// When this process image started (RFC 3339, UTC).
    pub started: String,
    pub config_dir: String,
    pub wans: Vec<WanStatus>,
    pub bgp: BgpStatus,
    /// Hook runs by result since the daemon started (filled in when the
    /// status is handed out). Default: a status from an older daemon.
    #[serde(default)]
    pub hooks: HookStats,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WanStatus {
    pub name: String,
    pub interface: String,
    /// "init", "up", "degraded" or "down".
    pub state: String,
    /// When the WAN entered `state` (RFC 3339, UTC).
    pub since: String,
    /// Why it entered `state`; null in `init`.
    pub reason: Option<String>,
    /// State changes of the WAN since it was configured (or last changed).
    pub transitions: u64,
    /// Mean RTT over the tracker's window, all families; null until measured.
    pub rtt_ms: Option<f64>,
    /// Loss in percent over the tracker's window, all families.
    pub loss: Option<f64>,
    /// IPv4 and IPv6 are tracked separately: each family's own state.
    pub families: Vec<FamilyStatus>,
    /// Every probe target with its latest figures.
    pub targets: Vec<TargetStatus>,
    /// The WAN's MPTCP endpoint; absent when it has none.
    pub mptcp: Option<MptcpStatus>,
    /// Its policy routing table (`[mptcp] table`); absent when it has none
    /// or before the first look at the kernel.
    pub routing: Option<mpwan_mptcp::route::WanStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FamilyStatus {
    /// "ipv4" or "ipv6".
    pub family: String,
    pub state: String,
    pub since: String,
    /// Why it entered `state`; null in `init`.
    pub reason: Option<String>,
    pub rtt_ms: Option<f64>,
    pub loss: Option<f64>,
    /// The hold-down its next recovery will wait out: `hold_down`, longer
    /// for a family that flaps.
    pub hold_down_ms: Option<u64>,
    /// While a recovered family waits out its hold-down: when it ends.
    pub hold_down_until: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetStatus {
    /// "icmp", "dns" or "http".
    pub method: String,
    /// "ipv4" or "ipv6": the family whose state this target counts for.
    pub family: String,
    /// The address, server or URL probed.
    pub target: String,
    /// Latest round-trip time; null until a reply came.
    pub rtt_ms: Option<f64>,
    /// Loss in percent over the tracker's window; null until measured.
    pub loss: Option<f64>,
    /// Its probes by result since the WAN's tracker started.
    #[serde(default)]
    pub probes: ProbeCounts,
}

/// A WAN's MPTCP endpoint (its IPv4 one; the IPv6 one, when configured
/// with `id6`, under `ipv6`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MptcpStatus {
    pub id: u8,
    /// The kernel's flags while present, else the flags it would get.
    pub flags: Vec<String>,
    /// Whether the kernel holds the endpoint now.
    pub present: bool,
    /// Live subflows on this endpoint's address, from the kernel's events.
    pub subflows: u32,
    /// The endpoint's address: the kernel's while present, else the WAN's.
    pub address: Option<String>,
    /// The latest problem (MPTCP disabled, an id taken by another tool...).
    pub error: Option<String>,
    /// The IPv6 endpoint, when `id6` is configured.
    pub ipv6: Option<Box<MptcpStatus>>,
}

impl MptcpStatus {
    fn configured(id: u8, flags: &[EndpointFlag]) -> MptcpStatus {
        MptcpStatus {
            id,
            flags: flags.iter().map(|f| flag_name(*f).to_string()).collect(),
            present: false,
            subflows: 0,
            address: None,
            error: None,
            ipv6: None,
        }
    }

    /// Takes in what the reconciler reports for this endpoint.
    pub fn apply(&mut self, s: &mpwan_mptcp::reconcile::SlotStatus) {
        self.flags = s.flags.names().map(str::to_string).collect();
        self.present = s.present;
        self.subflows = s.subflows;
        self.address = s.addr.map(|a| a.to_string());
        self.error = s.last_error.clone();
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BgpStatus {
    /// Whether a `[bgp]` section is configured.
    pub enabled: bool,
    pub asn: Option<u32>,
    pub router_id: Option<String>,
    pub neighbors: Vec<NeighborStatus>,
    /// Shared with the speaker: a configuration may announce 100 000
    /// prefixes, and each copy of this list is megabytes.
    pub announced: Arc<[AnnouncementStatus]>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NeighborStatus {
    pub address: String,
    pub asn: u32,
    /// RFC 4271 session state, lower case: "idle", "connect", "active",
    /// "opensent", "openconfirm", "established".
    pub state: String,
    /// Seconds since the session was established; null when it is not.
    pub uptime: Option<u64>,
    /// Routes in our Adj-RIB-In from this neighbor, stale ones included.
    pub received: u64,
    /// Of which kept as stale while the neighbor restarts (GR helper).
    pub stale: u64,
    pub advertised: u64,
    pub graceful_restart: GracefulRestartStatus,
    /// UPDATEs, NOTIFICATIONs, End-of-RIBs and Graceful Restart events
    /// since the neighbor's task started.
    #[serde(default)]
    pub messages: mpwan_bgp::session::MessageCounts,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GracefulRestartStatus {
    /// Whether both sides negotiated Graceful Restart.
    pub negotiated: bool,
    pub long_lived: bool,
    /// RFC 8538 N-bit negotiated.
    pub notification: bool,
    /// The peer is restarting and we keep its routes as stale.
    pub peer_restarting: bool,
    /// We are restarting: our OPENs carry the R bit until End-of-RIB has
    /// gone out for every family.
    #[serde(default)]
    pub restarting: bool,
}

/// `Eq` matters: `Arc<[T]>` compares by pointer first only when `T: Eq`,
/// which keeps the BGP task's once-a-second "did the status change"
/// check O(1) with 100 000 announcements.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AnnouncementStatus {
    pub prefix: String,
    /// "announced", "degraded" (de-preferred) or "withdrawn".
    pub state: PrefixState,
}

impl Status {
    /// The status of a daemon that has just loaded `config` and measured
    /// nothing yet.
    pub fn initial(config: &Config, instance: &str, started: &str) -> Status {
        Status {
            version: env!("CARGO_PKG_VERSION").to_string(),
            pid: std::process::id(),
            instance: instance.to_string(),
            started: started.to_string(),
            config_dir: config.dir.display().to_string(),
            wans: config
                .wans
                .values()
                .map(|w| WanStatus::initial(w, started))
                .collect(),
            bgp: BgpStatus::initial(config),
            hooks: HookStats::default(),
        }
    }
}

impl WanStatus {
    pub fn initial(wan: &crate::config::WanConfig, since: &str) -> WanStatus {
        let mut targets = Vec::new();
        for probe in &wan.probes {
            match probe {
                ProbeConfig::Icmp { targets: addrs } => targets.extend(
                    addrs
                        .iter()
                        .map(|a| TargetStatus::new("icmp", *a, a.to_string())),
                ),
                ProbeConfig::Dns { server, port, name } => {
                    let at = std::net::SocketAddr::new(*server, *port);
                    targets.push(TargetStatus::new("dns", *server, format!("{name}@{at}")))
                }
                ProbeConfig::Http { url, addr, .. } => {
                    targets.push(TargetStatus::new("http", *addr, url.clone()))
                }
            }
        }
        let families = ["ipv4", "ipv6"]
            .into_iter()
            .filter(|name| targets.iter().any(|t| t.family == *name))
            .map(|name| FamilyStatus {
                family: name.into(),
                state: "init".into(),
                since: since.to_string(),
                reason: None,
                rtt_ms: None,
                loss: None,
                hold_down_ms: None,
                hold_down_until: None,
            })
            .collect();
        WanStatus {
            name: wan.name.clone(),
            interface: wan.interface.clone(),
            state: "init".into(),
            since: since.to_string(),
            reason: None,
            transitions: 0,
            rtt_ms: None,
            loss: None,
            families,
            targets,
            mptcp: wan.mptcp.as_ref().map(|m| {
                let mut s = MptcpStatus::configured(m.id, &m.flags);
                s.ipv6 = m
                    .id6
                    .map(|id6| Box::new(MptcpStatus::configured(id6, &m.flags)));
                s
            }),
            routing: None,
        }
    }
}

impl WanStatus {
    /// Takes in a transition the WAN's tracker reported.
    pub fn apply_transition(&mut self, t: &Transition) {
        let since = clock::rfc3339_of(t.since);
        match t.scope {
            Scope::Wan => {
                self.state = t.to.as_str().into();
                self.since = since;
                self.reason = Some(describe(&t.reason));
                self.transitions = self.transitions.saturating_add(1);
            }
            Scope::Family(f) => {
                if let Some(fs) = self.family_mut(f) {
                    fs.state = t.to.as_str().into();
                    fs.since = since;
                    fs.reason = Some(describe(&t.reason));
                }
            }
        }
    }

    /// Takes in the figures the WAN's tracker reported after a round.
    pub fn apply_snapshot(&mut self, figures: &WanFigures) {
        let s = &figures.health;
        // Target `i` of the tracker is `targets[i]`: both follow the
        // order of the WAN's probes.
        for (ts, counts) in self.targets.iter_mut().zip(&figures.probes) {
            ts.probes = *counts;
        }
        self.rtt_ms = s.quality.rtt_avg_ms();
        self.loss = s.quality.loss_percent();
        for f in &s.families {
            if let Some(fs) = self.family_mut(f.family) {
                fs.rtt_ms = f.quality.rtt_avg_ms();
                fs.loss = f.quality.loss_percent();
                fs.hold_down_until = f.hold_down_until.map(clock::rfc3339_of);
                fs.hold_down_ms = u64::try_from(f.hold_down.as_millis()).ok();
            }
            for t in &f.targets {
                let slot = usize::try_from(t.target.0).ok();
                if let Some(ts) = slot.and_then(|i| self.targets.get_mut(i)) {
                    ts.rtt_ms = t.last_rtt.map(|d| d.as_secs_f64() * 1000.0);
                    ts.loss = t.loss_percent();
                }
            }
        }
    }

    fn family_mut(&mut self, f: Family) -> Option<&mut FamilyStatus> {
        let name = family_name(f == Family::V4);
        self.families.iter_mut().find(|fs| fs.family == name)
    }
}

impl TargetStatus {
    fn new(method: &str, addr: std::net::IpAddr, target: String) -> TargetStatus {
        TargetStatus {
            method: method.into(),
            family: family_name(addr.is_ipv4()).into(),
            target,
            rtt_ms: None,
            loss: None,
            probes: ProbeCounts::default(),
        }
    }
}

impl BgpStatus {
    fn initial(config: &Config) -> BgpStatus {
        let Some(bgp) = &config.bgp else {
            return BgpStatus::default();
        };
        BgpStatus {
            enabled: true,
            asn: Some(bgp.asn),
            router_id: Some(bgp.router_id.to_string()),
            neighbors: bgp
                .neighbors
                .iter()
                .map(|n| NeighborStatus {
                    address: n.address.to_string(),
                    asn: n.asn,
                    state: "idle".into(),
                    uptime: None,
                    received: 0,
                    stale: 0,
                    advertised: 0,
                    graceful_restart: GracefulRestartStatus::default(),
                    messages: Default::default(),
                })
                .collect(),
            announced: bgp
                .announce
                .iter()
                .map(|a| AnnouncementStatus {
                    prefix: a.prefix.to_string(),
                    state: PrefixState::Withdrawn,
                })
                .collect(),
        }
    }
}

/// Why a state was entered, in words for status and logs.
pub fn describe(reason: &Reason) -> String {
    match reason {
        Reason::Passed { rounds, hold_down } if hold_down.is_zero() => {
            format!("{rounds} rounds passed")
        }
        Reason::Passed { rounds, hold_down } => format!(
            "{rounds} rounds passed, then a hold-down of {}",
            format_duration(*hold_down)
        ),
        Reason::Failed { rounds } => format!("{rounds} rounds failed"),
        Reason::CarrierLost => "carrier lost".into(),
        Reason::QualityBreached { latency, loss } => match (latency, loss) {
            (true, true) => "latency and loss above the failure limits".into(),
            (true, false) => "latency above failure_latency".into(),
            _ => "loss above failure_loss".into(),
        },
        Reason::QualityRecovered => "latency and loss back within the recovery limits".into(),
        Reason::Families { v4, v6 } => {
            let part = |name: &str, s: &Option<mpwan_tracker::HealthState>| {
                s.map(|s| format!("{name} {s}"))
            };
            [part("ipv4", v4), part("ipv6", v6)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

fn family_name(v4: bool) -> &'static str {
    if v4 { "ipv4" } else { "ipv6" }
}

fn flag_name(f: EndpointFlag) -> &'static str {
    match f {
        EndpointFlag::Signal => "signal",
        EndpointFlag::Subflow => "subflow",
        EndpointFlag::Backup => "backup",
        EndpointFlag::Fullmesh => "fullmesh",
    }
}

/// The human-readable form of `mpwan status`.
pub fn render_table(s: &Status) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "mpwan {} (pid {}), up since {}, configuration {}",
        s.version, s.pid, s.started, s.config_dir
    );
    let _ = writeln!(out, "\nWANs");
    if s.wans.is_empty() {
        let _ = writeln!(out, "  (none configured)");
    }
    for w in &s.wans {
        let endpoint = |m: &MptcpStatus| {
            let error = m
                .error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            format!(
                "endpoint {} [{}] {}, {} subflow{}{error}",
                m.id,
                m.flags.join(","),
                if m.present { "present" } else { "absent" },
                m.subflows,
                if m.subflows == 1 { "" } else { "s" }
            )
        };
        let mptcp = match &w.mptcp {
            Some(m) => match &m.ipv6 {
                Some(v6) => format!("{}; ipv6 {}", endpoint(m), endpoint(v6)),
                None => endpoint(m),
            },
            None => "no MPTCP endpoint".into(),
        };
        let _ = writeln!(
            out,
            "  {:<12} {:<10} {:<9} since {}  {}",
            w.name, w.interface, w.state, w.since, mptcp
        );
        for f in &w.families {
            let hold = f
                .hold_down_until
                .as_deref()
                .map_or(String::new(), |u| format!("  hold-down until {u}"));
            let _ = writeln!(
                out,
                "    {:<5} {:<9} since {}  rtt {}  loss {}{hold}",
                f.family,
                f.state,
                f.since,
                fmt_rtt(f.rtt_ms),
                fmt_loss(f.loss)
            );
        }
        for t in &w.targets {
            let rtt = fmt_rtt(t.rtt_ms);
            let loss = fmt_loss(t.loss);
            let _ = writeln!(
                out,
                "      {:<5} {:<40} rtt {:>9}  loss {:>4}",
                t.method, t.target, rtt, loss
            );
        }
    }
    if s.bgp.enabled {
        let _ = writeln!(
            out,
            "\nBGP AS{} router-id {}",
            s.bgp.asn.unwrap_or_default(),
            s.bgp.router_id.as_deref().unwrap_or("-")
        );
        for n in &s.bgp.neighbors {
            let up = n.uptime.map_or("-".into(), |u| {
                format_duration(std::time::Duration::from_secs(u))
            });
            let _ = writeln!(
                out,
                "  {:<39} AS{:<10} {:<12} up {:<8} received {:<7} advertised {}",
                n.address, n.asn, n.state, up, n.received, n.advertised
            );
        }
        for a in s.bgp.announced.iter() {
            let _ = writeln!(out, "  announce {:<43} {}", a.prefix, a.state.as_str());
        }
    } else {
        let _ = writeln!(out, "\nBGP not configured");
    }
    out
}

fn fmt_rtt(ms: Option<f64>) -> String {
    ms.map_or("-".into(), |r| format!("{r:.1} ms"))
}

fn fmt_loss(percent: Option<f64>) -> String {
    percent.map_or("-".into(), |l| format!("{l:.0}%"))
}
