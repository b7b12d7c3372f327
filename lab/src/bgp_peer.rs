//! [`GobgpPeer`]: a real BGP speaker (gobgpd) in the lab's peer namespace,
//! configured as FIELD-NOTES describes (GR helper with the N bit, LLGR, IPv4
//! and IPv6 unicast), and queried through the `gobgp` CLI's JSON output.
//!
//! ```text
//!  [gw] agent 10.99.0.1 AS 65001 ──bgp0── 10.99.0.2 AS 65000 gobgpd [peer]
//!                                                  gRPC on 127.0.0.1:50051
//! ```
//! The gRPC API listens on the peer namespace's own loopback, so a fixed
//! port never collides between parallel labs.
//!
//! Shapes of `gobgp -j` (gobgp 3.10) this module reads:
//! - `global rib -a ipv4` and `neighbor X adj-in -a ipv4`: an object from
//!   prefix to an array of paths, `{}` when empty; each path has
//!   `"nlri":{"prefix":…}`, `"best"`, `"stale"` (present only when true),
//!   and `"attrs"`: `{"type":2,"as_paths":[{"segment_type":2,"num":1,
//!   "asns":[65001]}]}`, `{"type":4,"metric":7}`,
//!   `{"type":8,"communities":[4259905636]}` (`hi << 16 | lo`).
//! - `neighbor X`: `"state":{"session_state":6,…,"remote_cap":[{"type_url":
//!   "type.googleapis.com/apipb.GracefulRestartCapability","value":…}],
//!   "local_cap":[…]}`; session states 1 idle … 6 established.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::addr;
use crate::child::LabChild;
use crate::lab::Lab;
use crate::role::Role;
use crate::wait::{self, Clock};

pub mod bird;
pub mod frr;

/// Where gobgpd's gRPC API listens, on the peer namespace's loopback.
pub const GOBGP_API_PORT: u16 = 50051;

/// How gobgpd is set up; [`Default`] gives the values FIELD-NOTES tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GobgpOptions {
    /// gobgpd's BGP port (the agent's neighbor port when `passive`).
    pub listen_port: u16,
    /// Wait for the agent to connect instead of connecting out too.
    pub passive: bool,
    /// GR restart time offered and applied as a helper, in seconds.
    pub restart_time: u16,
    /// LLGR stale time per family, in seconds.
    pub llgr_stale_time: u32,
    /// The agent's listen port, where gobgpd connects when not `passive`.
    pub neighbor_port: u16,
}

impl Default for GobgpOptions {
    fn default() -> Self {
        GobgpOptions {
            listen_port: 179,
            passive: true,
            restart_time: 120,
            llgr_stale_time: 3600,
            neighbor_port: 179,
        }
    }
}

/// An address family gobgp's `-a` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `ipv4` (IPv4 unicast).
    Ipv4,
    /// `ipv6` (IPv6 unicast).
    Ipv6,
}

impl Family {
    /// The argument of gobgp's `-a`.
    pub fn arg(self) -> &'static str {
        match self {
            Family::Ipv4 => "ipv4",
            Family::Ipv6 => "ipv6",
        }
    }

    /// The family of `prefix` ("198.51.100.0/24", "2001:db8::/32").
    pub fn of_prefix(prefix: &str) -> Family {
        if prefix.contains(':') {
            Family::Ipv6
        } else {
            Family::Ipv4
        }
    }
}

/// One path of one prefix as gobgpd holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRoute {
    pub prefix: String,
    /// Kept by the GR/LLGR helper after the session went down.
    pub stale: bool,
    /// MULTI_EXIT_DISC, if the path carries one.
    pub med: Option<u32>,
    /// Every AS of every segment, in order.
    pub as_path: Vec<u32>,
    /// Standard communities as `"hi:lo"` (LLGR_STALE is `"65535:6"`).
    pub communities: Vec<String>,
}

/// The arguments that describe one gobgpd's side of a session, for
/// [`gobgpd_toml`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speaker {
    pub asn: u32,
    pub router_id: Ipv4Addr,
    pub neighbor: IpAddr,
    pub neighbor_asn: u32,
}

/// A gobgpd configuration: one eBGP neighbor, GR helper with the N bit
/// and LLGR, IPv4 and IPv6 unicast each with MP-GR and LLGR. Tests use it
/// for a second gobgpd standing in for the agent.
pub fn gobgpd_toml(me: &Speaker, opts: &GobgpOptions) -> String {
    let Speaker {
        asn,
        router_id,
        neighbor,
        neighbor_asn,
    } = me;
    let mut s = format!(
        "[global.config]\n  as = {asn}\n  router-id = \"{router_id}\"\n  port = {}\n\
         [[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{neighbor}\"\n    \
         peer-as = {neighbor_asn}\n",
        opts.listen_port
    );
    if opts.passive {
        s += "  [neighbors.transport.config]\n    passive-mode = true\n";
    } else {
        s += &format!(
            "  [neighbors.transport.config]\n    remote-port = {}\n",
            opts.neighbor_port
        );
    }
    // gobgpd's 120 s connect retry would leave a lab waiting after any
    // failed attempt. (Even so, gobgpd 3.10 was seen taking 8-9 s to
    // connect out, first time and after its neighbor restarted.)
    s += "  [neighbors.timers.config]\n    connect-retry = 1\n";
    s += &format!(
        "  [neighbors.graceful-restart.config]\n    enabled = true\n    restart-time = {}\n    \
         notification-enabled = true\n    long-lived-enabled = true\n",
        opts.restart_time
    );
    for family in ["ipv4-unicast", "ipv6-unicast"] {
        s += &format!(
            "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      \
             afi-safi-name = \"{family}\"\n    [neighbors.afi-safis.mp-graceful-restart.config]\n      \
             enabled = true\n    [neighbors.afi-safis.long-lived-graceful-restart.config]\n      \
             enabled = true\n      restart-time = {}\n",
            opts.llgr_stale_time
        );
    }
    s
}

/// Runs the `gobgp` CLI against the gobgpd of one namespace. Cloneable, so
/// that a [`RibWatch`] thread can query on its own.
#[derive(Debug, Clone)]
pub struct GobgpCli {
    /// The namespace's name, for `ip netns exec`.
    ns: String,
    /// gobgpd's gRPC port on that namespace's loopback.
    api_port: u16,
}

impl GobgpCli {
    /// The CLI for the gobgpd whose API is on `127.0.0.1:<api_port>` in
    /// namespace `ns`.
    pub fn new(ns: &str, api_port: u16) -> GobgpCli {
        GobgpCli {
            ns: ns.to_string(),
            api_port,
        }
    }

    /// `gobgp <args>`; fails unless it exits 0. Returns its stdout only
    /// (gobgp warns on stderr).
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let port = self.api_port.to_string();
        let mut c = Command::new("ip");
        c.args([
            "netns",
            "exec",
            &self.ns,
            "gobgp",
            "-u",
            "127.0.0.1",
            "-p",
            &port,
        ]);
        c.args(args);
        let what = format!("[{}] gobgp {}", self.ns, args.join(" "));
        let out = c.output().with_context(|| format!("running {what}"))?;
        if !out.status.success() {
            bail!(
                "{what}: {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `gobgp -j <args>`, parsed; empty output is `null`.
    pub fn json(&self, args: &[&str]) -> Result<Value> {
        let mut all = vec!["-j"];
        all.extend_from_slice(args);
        let out = self.run(&all)?;
        if out.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&out)
            .with_context(|| format!("gobgp {}: not JSON: {out}", args.join(" ")))
    }

    /// `gobgp -j neighbor <addr>`.
    pub fn neighbor(&self, addr: IpAddr) -> Result<Value> {
        self.json(&["neighbor", &addr.to_string()])
    }

    /// The session state with `addr`: "idle", "connect", "active",
    /// "opensent", "openconfirm" or "established".
    pub fn state(&self, addr: IpAddr) -> Result<String> {
        session_state(&self.neighbor(addr)?)
    }

    /// Every path of the global RIB of `family`.
    pub fn routes(&self, family: Family) -> Result<Vec<PeerRoute>> {
        parse_rib(&self.json(&["global", "rib", "-a", family.arg()])?)
    }

    /// Every path received from `addr` in `family`, before policy.
    pub fn adj_in(&self, addr: IpAddr, family: Family) -> Result<Vec<PeerRoute>> {
        let a = addr.to_string();
        parse_rib(&self.json(&["neighbor", &a, "adj-in", "-a", family.arg()])?)
    }

    /// Originates `prefix` (its family taken from it).
    pub fn announce(&self, prefix: &str) -> Result<()> {
        let family = Family::of_prefix(prefix).arg();
        self.run(&["global", "rib", "add", prefix, "-a", family])
            .map(drop)
    }

    /// Stops originating `prefix`.
    pub fn withdraw(&self, prefix: &str) -> Result<()> {
        let family = Family::of_prefix(prefix).arg();
        self.run(&["global", "rib", "del", prefix, "-a", family])
            .map(drop)
    }
}

/// gobgpd in the lab's peer namespace, peering with the agent's address
/// on gw. Killed when dropped, and at the latest with the lab.
#[derive(Debug)]
pub struct GobgpPeer {
    child: LabChild,
    cli: GobgpCli,
    config: PathBuf,
}

impl GobgpPeer {
    /// Writes `gobgpd-peer.toml` into the lab's directory, starts gobgpd in
    /// the peer namespace (AS [`addr::PEER_ASN`], neighbor
    /// [`addr::BGP_GW_V4`] AS [`addr::GW_ASN`]) and returns once its gRPC
    /// API answers; fails at once if gobgpd exits, or after
    /// [`wait::DEADLINE`].
    pub fn start(lab: &Lab, opts: GobgpOptions) -> Result<GobgpPeer> {
        let me = Speaker {
            asn: addr::PEER_ASN,
            router_id: addr::BGP_PEER_V4,
            neighbor: IpAddr::V4(addr::BGP_GW_V4),
            neighbor_asn: addr::GW_ASN,
        };
        let config = lab.dir().join("gobgpd-peer.toml");
        std::fs::write(&config, gobgpd_toml(&me, &opts))
            .with_context(|| format!("writing {}", config.display()))?;
        let child = spawn_gobgpd(lab, Role::Peer, &config, GOBGP_API_PORT)?;
        Ok(GobgpPeer {
            child,
            cli: GobgpCli::new(lab.ns(Role::Peer).name(), GOBGP_API_PORT),
            config,
        })
    }

    /// The CLI runner, for queries this type does not wrap.
    pub fn cli(&self) -> &GobgpCli {
        &self.cli
    }

    /// The configuration file gobgpd was started with.
    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// The session state with the agent ("established", …).
    pub fn state(&self) -> Result<String> {
        self.cli.state(agent())
    }

    /// gobgpd's global RIB of `family`: one entry per path.
    pub fn routes(&self, family: Family) -> Result<Vec<PeerRoute>> {
        self.cli.routes(family)
    }

    /// What the agent sent in `family` (adj-RIB-in).
    pub fn adj_in(&self, family: Family) -> Result<Vec<PeerRoute>> {
        self.cli.adj_in(agent(), family)
    }

    /// The whole `gobgp -j neighbor 10.99.0.1` object; see
    /// [`capability_names`] for what was negotiated.
    pub fn capabilities(&self) -> Result<Value> {
        self.cli.neighbor(agent())
    }

    /// Originates `prefix` towards the agent.
    pub fn announce(&self, prefix: &str) -> Result<()> {
        self.cli.announce(prefix)
    }

    /// Withdraws a prefix [`GobgpPeer::announce`] originated.
    pub fn withdraw(&self, prefix: &str) -> Result<()> {
        self.cli.withdraw(prefix)
    }

    /// Polls the global RIB of `family` every `interval` on a thread until
    /// [`RibWatch::stop`], recording each change.
    pub fn watch(&self, family: Family, interval: Duration) -> Result<RibWatch> {
        let cli = self.cli.clone();
        RibWatch::start(move |f| cli.routes(f), family, interval)
    }

    /// gobgpd's output so far.
    pub fn log(&self) -> String {
        self.child.log()
    }

    /// Whether gobgpd still runs, and the end of its log: for messages.
    pub fn describe(&mut self) -> String {
        self.child.describe()
    }

    /// Kills gobgpd (SIGKILL): no NOTIFICATION, the agent sees the TCP
    /// connection close.
    pub fn kill(&mut self) -> Result<()> {
        self.child.kill().map(drop)
    }
}

/// The agent's address as the peer knows it.
fn agent() -> IpAddr {
    IpAddr::V4(addr::BGP_GW_V4)
}

/// Starts `gobgpd -f <config>` in `role`'s namespace with its API on
/// `127.0.0.1:<api_port>` there, and waits until the API answers.
pub fn spawn_gobgpd(lab: &Lab, role: Role, config: &Path, api_port: u16) -> Result<LabChild> {
    let api = format!("--api-hosts=127.0.0.1:{api_port}");
    let mut cfg = std::ffi::OsString::from("--config-file=");
    cfg.push(config);
    let mut child = lab.spawn(
        role,
        "gobgpd",
        [
            cfg.as_os_str(),
            api.as_ref(),
            "--log-plain".as_ref(),
            "--pprof-disable".as_ref(),
        ],
    )?;
    let cli = GobgpCli::new(lab.ns(role).name(), api_port);
    wait::until(&format!("gobgpd's API in {role}"), wait::DEADLINE, || {
        if child.try_wait()?.is_some() {
            return Err(anyhow!(wait::Hopeless(child.describe())));
        }
        cli.run(&["global"])
    })?;
    Ok(child)
}

/// The session state of a `gobgp -j neighbor X` object, by name.
pub fn session_state(neighbor: &Value) -> Result<String> {
    let s = &neighbor["state"]["session_state"];
    // Numbers are apipb.PeerState.SessionState; a name is accepted too in
    // case another gobgp version prints enums as strings.
    let name = match s {
        Value::Number(n) => match n.as_u64() {
            Some(0) => "unknown",
            Some(1) => "idle",
            Some(2) => "connect",
            Some(3) => "active",
            Some(4) => "opensent",
            Some(5) => "openconfirm",
            Some(6) => "established",
            _ => bail!("unknown session_state {n}"),
        }
        .to_string(),
        Value::String(name) => name.to_lowercase(),
        // gobgp omits zero values: 0 is UNKNOWN.
        Value::Null => "unknown".to_string(),
        other => bail!("session_state is {other}"),
    };
    Ok(name)
}

/// Which capabilities of a `gobgp -j neighbor X` object to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapSide {
    /// Those the neighbor sent (`remote_cap`).
    Received,
    /// Those gobgpd sent (`local_cap`).
    Sent,
}

/// The capability names (`GracefulRestartCapability`,
/// `LongLivedGracefulRestartCapability`, …) of a `gobgp -j neighbor X`
/// object; empty before any OPEN.
pub fn capability_names(neighbor: &Value, side: CapSide) -> Vec<String> {
    let key = match side {
        CapSide::Received => "remote_cap",
        CapSide::Sent => "local_cap",
    };
    neighbor["state"][key]
        .as_array()
        .map(|caps| {
            caps.iter()
                .filter_map(|c| c["type_url"].as_str())
                .filter_map(|u| u.rsplit('.').next())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Parses `gobgp -j global rib` or `… adj-in`: one [`PeerRoute`] per path,
/// sorted by prefix.
pub fn parse_rib(rib: &Value) -> Result<Vec<PeerRoute>> {
    let map = match rib {
        Value::Null => return Ok(Vec::new()),
        Value::Object(m) => m,
        other => bail!("a RIB is not an object: {other}"),
    };
    let mut routes = Vec::new();
    for (prefix, paths) in map {
        let paths = paths
            .as_array()
            .ok_or_else(|| anyhow!("paths of {prefix} are not an array: {paths}"))?;
        for path in paths {
            routes.push(parse_path(prefix, path)?);
        }
    }
    routes.sort_by(|a, b| a.prefix.cmp(&b.prefix));
    Ok(routes)
}

fn parse_path(prefix: &str, path: &Value) -> Result<PeerRoute> {
    let mut route = PeerRoute {
        prefix: prefix.to_string(),
        stale: path["stale"].as_bool().unwrap_or(false),
        med: None,
        as_path: Vec::new(),
        communities: Vec::new(),
    };
    let attrs = match &path["attrs"] {
        Value::Null => return Ok(route),
        Value::Array(a) => a,
        other => bail!("attrs of {prefix} are not an array: {other}"),
    };
    for attr in attrs {
        match attr["type"].as_u64() {
            Some(2) => {
                for seg in attr["as_paths"].as_array().into_iter().flatten() {
                    for asn in seg["asns"].as_array().into_iter().flatten() {
                        let asn = asn.as_u64().and_then(|a| u32::try_from(a).ok());
                        route
                            .as_path
                            .push(asn.ok_or_else(|| anyhow!("bad ASN in {prefix}: {attr}"))?);
                    }
                }
            }
            Some(4) => {
                let med = attr["metric"].as_u64().and_then(|m| u32::try_from(m).ok());
                route.med = Some(med.ok_or_else(|| anyhow!("bad MED in {prefix}: {attr}"))?);
            }
            Some(8) => {
                for c in attr["communities"].as_array().into_iter().flatten() {
                    let c = c.as_u64().and_then(|c| u32::try_from(c).ok());
                    let c = c.ok_or_else(|| anyhow!("bad community in {prefix}: {attr}"))?;
                    route
                        .communities
                        .push(format!("{}:{}", c >> 16, c & 0xffff));
                }
            }
            _ => {}
        }
    }
    Ok(route)
}

/// What the interop tests ask of a BGP daemon in the lab's peer namespace,
/// whichever daemon it is ([`bird::BirdPeer`], [`frr::FrrPeer`]), so one
/// scenario runs against each.
pub trait LabPeer {
    /// How messages name it ("BIRD", "bgpd").
    fn name(&self) -> &'static str;
    /// The session state with the agent, lowercase ("established", …).
    fn state(&self) -> Result<String>;
    /// GR, LLGR and the N bit as the daemon reports them.
    fn gr_negotiated(&self) -> Result<GrNegotiated>;
    /// The daemon's table of `family`.
    fn routes(&self, family: Family) -> Result<Vec<PeerRoute>>;
    /// Polls [`LabPeer::routes`] on a thread; see [`RibWatch`].
    fn watch(&self, family: Family, interval: Duration) -> Result<RibWatch>;
    /// Originates `prefix` towards the agent.
    fn announce(&mut self, prefix: &str) -> Result<()>;
    /// The NOTIFICATIONs it logged as received from the agent, a line each.
    fn notifications_received(&self) -> Vec<String>;
    /// Its own account of the session and whether it still runs, for
    /// failure messages.
    fn diagnose(&mut self) -> String;
    /// Its log so far.
    fn daemon_log(&self) -> String;
}

/// Whether Graceful Restart and Long-Lived GR were negotiated, as a peer
/// daemon reports it (both sides sent the capability).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrNegotiated {
    /// RFC 4724 Graceful Restart.
    pub graceful_restart: bool,
    /// RFC 9494 Long-Lived Graceful Restart.
    pub long_lived: bool,
    /// The N bit (RFC 8538) both ways, where the daemon reports it.
    pub notification: Option<bool>,
}

/// The RIB of one family at one moment of a [`RibWatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RibSample {
    /// Since the watch started.
    pub at: Duration,
    pub routes: Vec<PeerRoute>,
}

/// What a [`RibWatch`] saw: a sample at its start and one at each change,
/// each holding until the next (or the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RibHistory {
    pub samples: Vec<RibSample>,
    /// Since the watch started, when it stopped.
    pub end: Duration,
    /// Polls that failed (gobgpd gone or not answering); their moments are
    /// unknown ground, so [`RibHistory::present_throughout`] counts them
    /// as absences.
    pub failed_polls: u32,
    /// The last failure, for messages.
    pub last_error: Option<String>,
    /// Moments of failed polls, since the watch started.
    pub failures: Vec<Duration>,
}

impl RibHistory {
    /// Whether `prefix` was in every sample that held at any moment of
    /// `[from, to]`, and no poll failed in it. False if the watch did not
    /// cover the whole interval.
    pub fn present_throughout(&self, prefix: &str, from: Duration, to: Duration) -> bool {
        let Some(first) = self.samples.first() else {
            return false;
        };
        if from < first.at || to > self.end || from > to {
            return false;
        }
        if self.failures.iter().any(|&t| t >= from && t <= to) {
            return false;
        }
        self.samples.iter().enumerate().all(|(i, s)| {
            let until = self
                .samples
                .get(i.saturating_add(1))
                .map_or(self.end, |n| n.at);
            let overlaps = s.at <= to && until >= from;
            !overlaps || s.routes.iter().any(|r| r.prefix == prefix)
        })
    }

    /// The RIB as last seen, if any poll succeeded.
    pub fn last(&self) -> Option<&RibSample> {
        self.samples.last()
    }
}

/// A thread polling a peer daemon's RIB; see [`GobgpPeer::watch`].
#[derive(Debug)]
pub struct RibWatch {
    started: Instant,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<RibHistory>>,
}

impl RibWatch {
    /// Polls `routes(family)` every `interval` on a thread until
    /// [`RibWatch::stop`]; `routes` is any peer daemon's RIB query.
    pub fn start<F>(routes: F, family: Family, interval: Duration) -> Result<RibWatch>
    where
        F: FnMut(Family) -> Result<Vec<PeerRoute>> + Send + 'static,
    {
        let started = Clock::now();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(format!("rib-watch-{}", family.arg()))
            .spawn(move || poll(routes, family, interval, started, &flag))
            .context("starting the RIB watch thread")?;
        Ok(RibWatch {
            started,
            stop,
            thread: Some(thread),
        })
    }

    /// Time since the watch started: a test marks its events with it.
    pub fn elapsed(&self) -> Duration {
        Clock::now().saturating_duration_since(self.started)
    }

    /// Stops polling (after the poll under way) and returns the history.
    pub fn stop(mut self) -> Result<RibHistory> {
        self.stop.store(true, Ordering::Relaxed);
        let t = self.thread.take().context("watch stopped twice")?;
        t.join()
            .map_err(|_| anyhow!("the RIB watch thread panicked"))
    }
}

impl Drop for RibWatch {
    fn drop(&mut self) {
        // The thread sees the flag after its current poll and ends; it is
        // not joined here so that a failing test is not held up.
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn poll(
    mut routes: impl FnMut(Family) -> Result<Vec<PeerRoute>>,
    family: Family,
    interval: Duration,
    started: Instant,
    stop: &AtomicBool,
) -> RibHistory {
    let mut h = RibHistory {
        samples: Vec::new(),
        end: Duration::ZERO,
        failed_polls: 0,
        last_error: None,
        failures: Vec::new(),
    };
    while !stop.load(Ordering::Relaxed) {
        let result = routes(family);
        let at = Clock::now().saturating_duration_since(started);
        match result {
            Ok(routes) => {
                if h.samples.last().is_none_or(|s| s.routes != routes) {
                    h.samples.push(RibSample { at, routes });
                }
            }
            Err(e) => {
                h.failed_polls = h.failed_polls.saturating_add(1);
                h.last_error = Some(format!("{e:#}"));
                h.failures.push(at);
            }
        }
        h.end = at;
        std::thread::sleep(interval);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from gobgp 3.10 (`gobgp -j global rib -a ipv4` on a peer
    /// whose neighbor was killed).
    const RIB: &str = r#"{"198.51.100.0/24":[{"nlri":{"prefix":"198.51.100.0/24"},"age":1795321937,"best":true,"attrs":[{"type":1,"value":2},{"type":2,"as_paths":[{"segment_type":2,"num":1,"asns":[65001]}]},{"type":3,"nexthop":"10.99.0.1"},{"type":4,"metric":7},{"type":8,"communities":[4259905636]}],"stale":true,"source-id":"10.99.0.1","neighbor-ip":"10.99.0.1"}]}"#;

    #[test]
    fn rib_json_parses() {
        let v: Value = serde_json::from_str(RIB).unwrap();
        let r = parse_rib(&v).unwrap();
        assert_eq!(
            r,
            vec![PeerRoute {
                prefix: "198.51.100.0/24".into(),
                stale: true,
                med: Some(7),
                as_path: vec![65001],
                communities: vec!["65001:100".into()],
            }]
        );
        assert!(parse_rib(&serde_json::json!({})).unwrap().is_empty());
        assert!(parse_rib(&serde_json::json!([1])).is_err());
        let bad = serde_json::json!({"p": [{"attrs": [{"type": 4, "metric": -1}]}]});
        assert!(parse_rib(&bad).is_err());
    }

    #[test]
    fn session_states_are_named() {
        let n = |s: Value| serde_json::json!({"state": {"session_state": s}});
        assert_eq!(session_state(&n(6.into())).unwrap(), "established");
        assert_eq!(session_state(&n(3.into())).unwrap(), "active");
        assert!(session_state(&n(9.into())).is_err());
    }

    fn sample(at: u64, prefixes: &[&str]) -> RibSample {
        RibSample {
            at: Duration::from_secs(at),
            routes: prefixes
                .iter()
                .map(|p| PeerRoute {
                    prefix: p.to_string(),
                    stale: false,
                    med: None,
                    as_path: Vec::new(),
                    communities: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn presence_covers_every_overlapping_sample() {
        let s = Duration::from_secs;
        let h = RibHistory {
            samples: vec![sample(0, &["p"]), sample(5, &[]), sample(7, &["p"])],
            end: s(20),
            failed_polls: 1,
            last_error: None,
            failures: vec![s(15)],
        };
        assert!(h.present_throughout("p", s(0), s(4)));
        assert!(!h.present_throughout("p", s(0), s(5)));
        assert!(!h.present_throughout("p", s(6), s(6)));
        assert!(h.present_throughout("p", s(8), s(14)));
        assert!(!h.present_throughout("p", s(8), s(16)), "a failed poll");
        assert!(!h.present_throughout("p", s(8), s(21)), "beyond the end");
        assert!(!h.present_throughout("q", s(0), s(1)));
    }
}
