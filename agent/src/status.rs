//! What `mpwan status` shows. The supervisor keeps one `Status` up to date
//! from the WAN-state channel and the parts' reports; the control socket
//! hands out copies. Field names are the contract of DESIGN.md
//! ("Operating it"): scripts parse `mpwan status --json`.

use serde::{Deserialize, Serialize};

use crate::config::{Config, EndpointFlag, ProbeConfig, duration_str::format_duration};

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WanStatus {
    pub name: String,
    pub interface: String,
    /// "init", "up", "degraded" or "down".
    pub state: String,
    /// When the WAN entered `state` (RFC 3339, UTC).
    pub since: String,
    /// Every probe target with its latest figures.
    pub targets: Vec<TargetStatus>,
    /// The WAN's MPTCP endpoint; absent when it has none.
    pub mptcp: Option<MptcpStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetStatus {
    /// "icmp", "dns" or "http".
    pub method: String,
    /// The address, server or URL probed.
    pub target: String,
    /// Latest round-trip time; null until a reply came.
    pub rtt_ms: Option<f64>,
    /// Loss in percent over the tracker's window; null until measured.
    pub loss: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MptcpStatus {
    pub id: u8,
    pub flags: Vec<String>,
    /// Whether the kernel holds the endpoint now.
    pub present: bool,
    /// Live subflows on this endpoint, from the kernel's events.
    pub subflows: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BgpStatus {
    /// Whether a `[bgp]` section is configured.
    pub enabled: bool,
    pub asn: Option<u32>,
    pub router_id: Option<String>,
    pub neighbors: Vec<NeighborStatus>,
    pub announced: Vec<AnnouncementStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NeighborStatus {
    pub address: String,
    pub asn: u32,
    /// RFC 4271 session state, lower case: "idle", "connect", "active",
    /// "opensent", "openconfirm", "established".
    pub state: String,
    /// Seconds since the session was established; null when it is not.
    pub uptime: Option<u64>,
    pub received: u64,
    pub advertised: u64,
    pub graceful_restart: GracefulRestartStatus,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GracefulRestartStatus {
    /// Whether both sides negotiated Graceful Restart.
    pub negotiated: bool,
    pub long_lived: bool,
    /// RFC 8538 N-bit negotiated.
    pub notification: bool,
    /// The peer is restarting and we keep its routes as stale.
    pub peer_restarting: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnnouncementStatus {
    pub prefix: String,
    /// "announced", "degraded" (de-preferred) or "withdrawn".
    pub state: String,
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
                        .map(|a| TargetStatus::new("icmp", a.to_string())),
                ),
                ProbeConfig::Dns { server, port, name } => {
                    let server = std::net::SocketAddr::new(*server, *port);
                    targets.push(TargetStatus::new("dns", format!("{name}@{server}")))
                }
                ProbeConfig::Http { url, .. } => {
                    targets.push(TargetStatus::new("http", url.clone()))
                }
            }
        }
        WanStatus {
            name: wan.name.clone(),
            interface: wan.interface.clone(),
            state: "init".into(),
            since: since.to_string(),
            targets,
            mptcp: wan.mptcp.as_ref().map(|m| MptcpStatus {
                id: m.id,
                flags: m.flags.iter().map(|f| flag_name(*f).to_string()).collect(),
                present: false,
                subflows: 0,
            }),
        }
    }
}

impl TargetStatus {
    fn new(method: &str, target: String) -> TargetStatus {
        TargetStatus {
            method: method.into(),
            target,
            rtt_ms: None,
            loss: None,
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
                    advertised: 0,
                    graceful_restart: GracefulRestartStatus::default(),
                })
                .collect(),
            announced: bgp
                .announce
                .iter()
                .map(|a| AnnouncementStatus {
                    prefix: a.prefix.to_string(),
                    state: "withdrawn".into(),
                })
                .collect(),
        }
    }
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
        let mptcp = match &w.mptcp {
            Some(m) => format!(
                "endpoint {} [{}] {}, {} subflow{}",
                m.id,
                m.flags.join(","),
                if m.present { "present" } else { "absent" },
                m.subflows,
                if m.subflows == 1 { "" } else { "s" }
            ),
            None => "no MPTCP endpoint".into(),
        };
        let _ = writeln!(
            out,
            "  {:<12} {:<10} {:<9} since {}  {}",
            w.name, w.interface, w.state, w.since, mptcp
        );
        for t in &w.targets {
            let rtt = t.rtt_ms.map_or("-".into(), |r| format!("{r:.1} ms"));
            let loss = t.loss.map_or("-".into(), |l| format!("{l:.0}%"));
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
        for a in &s.bgp.announced {
            let _ = writeln!(out, "  announce {:<43} {}", a.prefix, a.state);
        }
    } else {
        let _ = writeln!(out, "\nBGP not configured");
    }
    out
}
