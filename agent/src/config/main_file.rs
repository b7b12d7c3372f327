//! `mpwan.toml`: `[agent]`, `[tracker]` (the defaults of every WAN),
//! `[mptcp]` and the optional `[bgp]`.

use std::net::SocketAddr;
use std::path::PathBuf;

use toml::de::DeTable;

use super::bgp::{self, Announcements};
use super::cursor::{Item, Table};
use super::diag::Diag;
use super::model::{AgentConfig, BgpConfig, MptcpConfig, TrackerConfig};
use super::tracker;

/// The room in `sockaddr_un.sun_path` (108 bytes) less the NUL.
const SOCKET_PATH_MAX: usize = 107;
/// Longest `carrier_poll`: beyond it the kernel's own (late) notice wins.
const MAX_CARRIER_POLL: std::time::Duration = std::time::Duration::from_secs(10);
/// The kernel's limit for `subflows` and `add_addr_accepted`.
const MPTCP_LIMIT_MAX: u8 = 8;

const AGENT_KEYS: [&str; 6] = [
    "control_socket",
    "state_dir",
    "hooks_dir",
    "hook_timeout",
    "metrics_listen",
    "carrier_poll",
];
const MPTCP_KEYS: [&str; 3] = ["enabled", "subflows", "add_addr_accepted"];
const BGP_KEYS: [&str; 8] = [
    "asn",
    "router_id",
    "listen_port",
    "restart_time",
    "long_lived_stale_time",
    "on_sigterm",
    "neighbor",
    "announce",
];

/// What `mpwan.toml` says, with defaults filled in.
#[derive(PartialEq)]
pub(crate) struct MainFile {
    pub(crate) agent: AgentConfig,
    pub(crate) tracker: TrackerConfig,
    pub(crate) mptcp: MptcpConfig,
    pub(crate) bgp: Option<BgpConfig>,
}

/// Reads the file's tree. `wans` are the names of the WANs in `wan.d`, for
/// `[[bgp.announce]] when`; `announcements` says where those entries are.
pub(crate) fn read(
    d: &mut Diag<'_>,
    root: &DeTable<'_>,
    wans: &[String],
    announcements: &mut Announcements<'_>,
) -> MainFile {
    let mut t = Table::root(root);
    let agent = match t.table(d, "agent") {
        Some(a) => read_agent(d, a),
        None => AgentConfig::default(),
    };
    let tracker = match t.table(d, "tracker") {
        Some(tt) => {
            let (c, locs) = tracker::read(d, tt, &TrackerConfig::default(), &[]);
            tracker::check(d, &c, &locs, None);
            c
        }
        None => TrackerConfig::default(),
    };
    let mptcp = match t.table(d, "mptcp") {
        Some(m) => read_mptcp(d, m),
        None => MptcpConfig::default(),
    };
    let bgp = t
        .table(d, "bgp")
        .and_then(|b| bgp::read(d, b, wans, announcements));
    t.finish(
        d,
        &[
            (&AGENT_KEYS, "this key belongs under [agent]"),
            (&tracker::KEYS, "this key belongs under [tracker]"),
            (&MPTCP_KEYS, "this key belongs under [mptcp]"),
            (
                &BGP_KEYS,
                "this key belongs under [bgp] ([[bgp.neighbor]] and [[bgp.announce]] for lists)",
            ),
            (
                &["interface", "probe"],
                "WAN settings go in wan.d/<name>.toml, one file per WAN",
            ),
        ],
    );
    MainFile {
        agent,
        tracker,
        mptcp,
        bgp,
    }
}

fn read_agent(d: &mut Diag<'_>, mut t: Table<'_, '_>) -> AgentConfig {
    let mut c = AgentConfig::default();
    if let Some(item) = t.get("control_socket")
        && let Some(p) = absolute_path(d, &item)
    {
        if p.as_os_str().len() > SOCKET_PATH_MAX {
            item.error(
                d,
                format!(
                    "is {} bytes long; a Unix socket path has at most {SOCKET_PATH_MAX}",
                    p.as_os_str().len()
                ),
            );
        } else {
            c.control_socket = p;
        }
    }
    if let Some(p) = t.get("state_dir").and_then(|item| absolute_path(d, &item)) {
        c.state_dir = p;
    }
    if let Some(p) = t.get("hooks_dir").and_then(|item| absolute_path(d, &item)) {
        c.hooks_dir = p;
    }
    if let Some(item) = t.get("hook_timeout") {
        match item.duration(d) {
            Some(v) if v.is_zero() => item.error(d, "must be longer than zero".to_string()),
            Some(v) => c.hook_timeout = v,
            None => {}
        }
    }
    if let Some(item) = t.get("carrier_poll")
        && let Some(v) = item.duration(d)
    {
        if v > MAX_CARRIER_POLL {
            item.error(
                d,
                "must be at most 10s (\"0s\" turns polling off)".to_string(),
            );
        } else {
            c.carrier_poll = v;
        }
    }
    if let Some(item) = t.get("metrics_listen")
        && let Some(s) = item.str(d)
    {
        match s.parse::<SocketAddr>() {
            Ok(a) if a.port() == 0 => {
                item.error(d, format!("\"{s}\" has port 0; name the port to listen on"));
            }
            Ok(a) => c.metrics_listen = Some(a),
            Err(_) => item.error(
                d,
                format!(
                    "\"{s}\" is not a socket address: write an IP literal and a port, such as \
                         \"127.0.0.1:9477\" or \"[::1]:9477\""
                ),
            ),
        }
    }
    t.finish(d, &[]);
    c
}

/// A string holding an absolute path: the daemon's working directory is not
/// something to depend on.
fn absolute_path(d: &mut Diag<'_>, item: &Item<'_, '_>) -> Option<PathBuf> {
    let s = item.str(d)?;
    if s.is_empty() {
        item.error(d, "must not be empty".to_string());
        return None;
    }
    if !s.starts_with('/') {
        item.error(
            d,
            format!("\"{s}\" is a relative path; write an absolute path (starting with /)"),
        );
        return None;
    }
    Some(PathBuf::from(s))
}

fn read_mptcp(d: &mut Diag<'_>, mut t: Table<'_, '_>) -> MptcpConfig {
    let mut c = MptcpConfig::default();
    if let Some(v) = t.bool(d, "enabled") {
        c.enabled = v;
    }
    if let Some(v) = t.int(d, "subflows", 0, MPTCP_LIMIT_MAX) {
        c.subflows = v;
    }
    if let Some(v) = t.int(d, "add_addr_accepted", 0, MPTCP_LIMIT_MAX) {
        c.add_addr_accepted = v;
    }
    t.finish(
        d,
        &[(
            &["id", "flags", "table"],
            "this key belongs in a WAN file's [mptcp] (wan.d/<name>.toml)",
        )],
    );
    c
}
