//! The effective configuration: what `mpwan.toml` and `wan.d/*.toml` mean
//! once every default is filled in and every check has passed. Everything
//! else in the agent reads these types, never the TOML.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// The whole configuration of one agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// The directory it was loaded from (`--config DIR`).
    pub dir: PathBuf,
    pub agent: AgentConfig,
    /// `[tracker]` of `mpwan.toml`: the defaults every WAN starts from.
    pub tracker: TrackerConfig,
    pub mptcp: MptcpConfig,
    pub bgp: Option<BgpConfig>,
    /// One entry per `wan.d/<name>.toml`, keyed and ordered by name.
    pub wans: BTreeMap<String, WanConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentConfig {
    pub control_socket: PathBuf,
    pub state_dir: PathBuf,
    pub hooks_dir: PathBuf,
    #[serde(with = "duration_str")]
    pub hook_timeout: Duration,
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// How often WAN devices' carrier is polled; zero: only the kernel's
    /// notices (which can come up to 1 s late for carrier loss).
    #[serde(with = "duration_str")]
    pub carrier_poll: Duration,
}

/// Tracker settings; `[tracker]` in a WAN file overrides them key by key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackerConfig {
    #[serde(with = "duration_str")]
    pub interval: Duration,
    #[serde(with = "duration_str")]
    pub failure_interval: Duration,
    #[serde(with = "duration_str")]
    pub recovery_interval: Duration,
    #[serde(with = "duration_str")]
    pub timeout: Duration,
    /// Failed rounds in a row that make a WAN down (>= 1).
    pub down: u32,
    /// Passed rounds in a row that make a WAN up (>= 1).
    pub up: u32,
    /// Targets that must answer for a round to pass (>= 1).
    pub reliability: u32,
    #[serde(with = "duration_str")]
    pub hold_down: Duration,
    #[serde(with = "duration_str")]
    pub failure_latency: Duration,
    #[serde(with = "duration_str")]
    pub recovery_latency: Duration,
    /// Percent, 0..=100.
    pub failure_loss: u8,
    /// Percent, 0..=100, at most `failure_loss`.
    pub recovery_loss: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MptcpConfig {
    pub enabled: bool,
    /// Kernel limit `subflows`, 0..=8.
    pub subflows: u8,
    /// Kernel limit `add_addr_accepted`, 0..=8.
    pub add_addr_accepted: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BgpConfig {
    pub asn: u32,
    pub router_id: std::net::Ipv4Addr,
    /// 0: do not listen.
    pub listen_port: u16,
    #[serde(with = "duration_str")]
    pub restart_time: Duration,
    #[serde(with = "duration_str")]
    pub long_lived_stale_time: Duration,
    pub on_sigterm: OnSigterm,
    pub neighbors: Vec<NeighborConfig>,
    /// Shared by every holder of the configuration (the supervisor, the
    /// BGP speaker, a reload's comparison): it may hold 100 000 entries.
    pub announce: std::sync::Arc<Vec<AnnounceConfig>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnSigterm {
    Withdraw,
    Retain,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeighborConfig {
    pub address: IpAddr,
    pub asn: u32,
    pub port: u16,
    pub passive: bool,
    /// 0 or 3..=65535 seconds (RFC 4271).
    #[serde(with = "duration_str")]
    pub hold_time: Duration,
    /// TCP MD5 key (RFC 2385), at most 80 bytes. Never printed.
    #[serde(skip)]
    pub password: Option<String>,
    /// GTSM hop count (RFC 5082), 1..=254.
    pub ttl_security: Option<u8>,
    /// Most routes accepted from the neighbor per family; more closes the
    /// session with Cease "Maximum Number of Prefixes Reached" (RFC 4486).
    pub max_prefixes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnounceConfig {
    pub prefix: Prefix,
    pub when: When,
    pub on_down: OnDown,
    pub degrade: Degrade,
}

/// An IP prefix with no host bits set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl Serialize for Prefix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which WANs an announcement depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum When {
    /// At least one WAN up.
    Any,
    /// Every WAN up.
    All,
    /// At least one of these named WANs up.
    Wans(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnDown {
    Withdraw,
    Degrade,
}

/// How a de-preferred announcement looks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Degrade {
    pub med: Option<u32>,
    /// Extra copies of our ASN, 0..=16.
    pub prepend: u8,
    /// Standard communities `asn:value`, each half 0..=65535.
    pub communities: Vec<(u16, u16)>,
}

/// One `wan.d/<name>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WanConfig {
    pub name: String,
    /// At most 15 bytes (IFNAMSIZ - 1), no '/' or white space.
    pub interface: String,
    /// fwmark set on this WAN's probes, optional.
    pub fwmark: Option<u32>,
    /// The global `[tracker]` with this WAN's overrides applied.
    pub tracker: TrackerConfig,
    pub probes: Vec<ProbeConfig>,
    pub mptcp: Option<WanMptcpConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum ProbeConfig {
    Icmp {
        targets: Vec<IpAddr>,
    },
    Dns {
        server: IpAddr,
        /// Server port, 53 unless given.
        port: u16,
        name: String,
    },
    Http {
        url: String,
        /// The URL's host: probes name servers by address, never by name.
        addr: IpAddr,
        expect_status: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WanMptcpConfig {
    /// Endpoint id of the WAN's IPv4 address, 1..=255, unique across WANs.
    pub id: u8,
    /// Endpoint id of its IPv6 address; without it the WAN gets no IPv6
    /// endpoint. IPv4 and IPv6 are tracked apart, and each family's state
    /// drives its own endpoint.
    pub id6: Option<u8>,
    pub flags: Vec<EndpointFlag>,
    /// Policy routing table for this WAN, optional (1..=4294967295 except
    /// 253, 254, 255, which the kernel reserves).
    pub table: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointFlag {
    Signal,
    Subflow,
    Backup,
    Fullmesh,
}

/// Durations print the way they are written: "250ms", "2s", "1m".
pub mod duration_str {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_duration(*d))
    }

    /// The shortest exact spelling: "1h", "90s", "250ms".
    pub fn format_duration(d: Duration) -> String {
        let ms = d.as_millis();
        if ms == 0 {
            "0s".to_string()
        } else if ms.is_multiple_of(3_600_000) {
            format!("{}h", ms / 3_600_000)
        } else if ms.is_multiple_of(60_000) {
            format!("{}m", ms / 60_000)
        } else if ms.is_multiple_of(1000) {
            format!("{}s", ms / 1000)
        } else {
            format!("{ms}ms")
        }
    }
}
