//! [`FrrPeer`]: FRR's bgpd in the lab's peer namespace as the agent's
//! neighbour, a GR helper honouring the N bit and an LLGR helper, queried
//! through `vtysh`.
//!
//! ```text
//!  [gw] agent 10.99.0.1 AS 65001 ──bgp0── 10.99.0.2 AS 65000 bgpd [peer]
//!                              vty socket <lab dir>/frr-peer/bgpd.vty
//! ```
//! bgpd runs without zebra or watchfrr and without a service manager:
//! `bgpd -f <conf> -i <pid> --vty_socket <dir> -Z -S -u root -g root
//! -p <port> -l 10.99.0.2 -P 0 --log stdout`. `-Z` is no zebra (so no
//! kernel routes and no nexthop tracking: every nexthop counts as valid),
//! `-S` skips the capability and user switching, `-P 0` opens no TCP vty,
//! and `--vty_socket` keeps its one socket out of /var/run/frr, so parallel
//! labs never meet. `vtysh --vty_socket <dir> -d bgpd` talks to it.
//!
//! Shapes of vtysh's JSON (FRR 8.4) this module reads:
//! - `show bgp neighbors 10.99.0.1 json`: `{"10.99.0.1": {"bgpState":
//!   "Established", "neighborCapabilities": {"gracefulRestart":
//!   "advertisedAndReceived", "longLivedGracefulRestart": …},
//!   "gracefulRestartInfo": {"nBit": true, …}}}`; the capabilities vanish
//!   while the session is down.
//! - `show bgp ipv4 unicast json`: `{"routes": {"198.51.100.0/24": [{"stale":
//!   true, "path": "65001 65001", "metric": 1000, "community": {"string":
//!   "65001:666 llgr-stale"}, "peerId": "10.99.0.1", …}]}}`; `"stale"` only
//!   when true, `"metric"` only with a MED.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use super::{Family, GrNegotiated, LabPeer, PeerRoute, RibWatch};
use crate::addr;
use crate::child::LabChild;
use crate::lab::Lab;
use crate::role::Role;
use crate::wait;

/// How bgpd is set up; [`Default`] gives the values FIELD-NOTES tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrrOptions {
    /// bgpd's BGP port, where the agent connects (bgpd stays passive).
    pub listen_port: u16,
    /// `bgp graceful-restart restart-time`: offered in bgpd's own GR
    /// capability.
    pub restart_time: u16,
    /// `bgp graceful-restart stalepath-time`: how long bgpd keeps the
    /// agent's routes once the agent is back, waiting for End-of-RIB.
    pub stalepath_time: u32,
    /// `bgp long-lived-graceful-restart stale-time` (without it FRR keeps
    /// nothing in the LLGR phase).
    pub llgr_stale_time: u32,
}

impl Default for FrrOptions {
    fn default() -> Self {
        FrrOptions {
            listen_port: 179,
            restart_time: 120,
            stalepath_time: 360,
            llgr_stale_time: 3600,
        }
    }
}

/// `bgpd.conf` for the peer: one passive eBGP session with the agent, GR
/// (restarting speaker preserving forwarding state, and helper), LLGR,
/// IPv4 and IPv6 unicast, originating `announced`.
pub fn bgpd_conf(opts: &FrrOptions, announced: &BTreeSet<String>) -> String {
    let gw = addr::BGP_GW_V4;
    let mut s = format!(
        "frr defaults traditional\n\
         hostname peer\n\
         log stdout informational\n\
         debug bgp neighbor-events\n\
         router bgp {asn}\n \
           bgp router-id {id}\n \
           bgp log-neighbor-changes\n \
           no bgp ebgp-requires-policy\n \
           no bgp default ipv4-unicast\n \
           no bgp network import-check\n \
           bgp graceful-restart\n \
           bgp graceful-restart preserve-fw-state\n \
           bgp graceful-restart restart-time {restart}\n \
           bgp graceful-restart stalepath-time {stalepath}\n \
           bgp long-lived-graceful-restart stale-time {llgr}\n \
           neighbor {gw} remote-as {gw_asn}\n \
           neighbor {gw} passive\n \
           neighbor {gw} timers connect 1\n",
        asn = addr::PEER_ASN,
        id = addr::BGP_PEER_V4,
        restart = opts.restart_time,
        stalepath = opts.stalepath_time,
        llgr = opts.llgr_stale_time,
        gw_asn = addr::GW_ASN,
    );
    for family in [Family::Ipv4, Family::Ipv6] {
        s += &format!(" address-family {} unicast\n", family.arg());
        for prefix in announced.iter().filter(|p| Family::of_prefix(p) == family) {
            s += &format!("  network {prefix}\n");
        }
        s += &format!("  neighbor {gw} activate\n exit-address-family\n");
    }
    s
}

/// Runs `vtysh` against one bgpd's vty socket. Cloneable, so that a
/// [`RibWatch`] thread can query on its own.
#[derive(Debug, Clone)]
pub struct FrrCli {
    /// The directory holding `bgpd.vty`.
    vty_dir: PathBuf,
}

impl FrrCli {
    /// The CLI for the bgpd whose vty socket is in `vty_dir`. The socket
    /// is a file, so vtysh needs no namespace.
    pub fn new(vty_dir: &Path) -> FrrCli {
        FrrCli {
            vty_dir: vty_dir.to_path_buf(),
        }
    }

    /// `vtysh -d bgpd -c <command>…`, one `-c` per command; fails unless
    /// it exits 0. Returns its stdout.
    pub fn run(&self, commands: &[&str]) -> Result<String> {
        let mut c = Command::new("vtysh");
        c.arg("--vty_socket")
            .arg(&self.vty_dir)
            .args(["-d", "bgpd"]);
        for command in commands {
            c.args(["-c", command]);
        }
        let what = format!("vtysh -c '{}'", commands.join("' -c '"));
        let out = c.output().with_context(|| format!("running {what}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            bail!(
                "{what}: {}: {}{}",
                out.status,
                stdout.trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(stdout)
    }

    /// `vtysh -c <command>`, parsed.
    pub fn json(&self, command: &str) -> Result<Value> {
        let out = self.run(&[command])?;
        serde_json::from_str(&out).with_context(|| format!("{command}: not JSON: {out}"))
    }

    /// `show bgp neighbors 10.99.0.1 json`, the agent's object.
    pub fn neighbor(&self) -> Result<Value> {
        let gw = addr::BGP_GW_V4.to_string();
        let all = self.json(&format!("show bgp neighbors {gw} json"))?;
        match all.get(&gw) {
            Some(n) => Ok(n.clone()),
            None => bail!("bgpd does not know neighbor {gw}: {all}"),
        }
    }

    /// bgpd's table of `family`: one entry per path.
    pub fn routes(&self, family: Family) -> Result<Vec<PeerRoute>> {
        parse_routes(&self.json(&format!("show bgp {} unicast json", family.arg()))?)
    }
}

/// bgpd in the lab's peer namespace, peering with the agent's address on
/// gw. Killed when dropped, and at the latest with the lab.
#[derive(Debug)]
pub struct FrrPeer {
    child: LabChild,
    cli: FrrCli,
    /// The peer namespace's name, to start bgpd again after a crash.
    ns: String,
    /// Configuration, pid file and vty socket.
    dir: PathBuf,
    log: PathBuf,
    opts: FrrOptions,
    announced: BTreeSet<String>,
}

impl FrrPeer {
    /// Writes `frr-peer/bgpd.conf` into the lab's directory, starts bgpd
    /// in the peer namespace (AS [`addr::PEER_ASN`], neighbor
    /// [`addr::BGP_GW_V4`] AS [`addr::GW_ASN`]) and returns once its vty
    /// answers; fails at once if bgpd exits, or after [`wait::DEADLINE`].
    pub fn start(lab: &Lab, opts: FrrOptions) -> Result<FrrPeer> {
        let dir = lab.dir().join("frr-peer");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let announced = BTreeSet::new();
        write_config(&dir, &opts, &announced)?;
        let cli = FrrCli::new(&dir);
        let ns = lab.ns(Role::Peer).name().to_string();
        let log = lab.dir().join("frr-peer.log");
        let child = spawn_bgpd(&ns, &dir, &log, &cli, opts.listen_port)?;
        Ok(FrrPeer {
            child,
            cli,
            ns,
            dir,
            log,
            opts,
            announced,
        })
    }

    fn config(&self) -> PathBuf {
        self.dir.join("bgpd.conf")
    }

    fn write_config(&self) -> Result<()> {
        write_config(&self.dir, &self.opts, &self.announced)
    }

    /// The CLI runner, for queries this type does not wrap.
    pub fn cli(&self) -> &FrrCli {
        &self.cli
    }

    /// The configuration file bgpd starts with (kept up to date by
    /// [`FrrPeer::announce`] and [`FrrPeer::withdraw`]).
    pub fn config_path(&self) -> PathBuf {
        self.config()
    }

    /// Withdraws a prefix [`FrrPeer::announce`] originated.
    pub fn withdraw(&mut self, prefix: &str) -> Result<()> {
        self.announced.remove(prefix);
        self.write_config()?;
        self.network(prefix, "no network")
    }

    fn network(&self, prefix: &str, verb: &str) -> Result<()> {
        let family = format!("address-family {} unicast", Family::of_prefix(prefix).arg());
        let out = self.cli.run(&[
            "configure terminal",
            &format!("router bgp {}", addr::PEER_ASN),
            &family,
            &format!("{verb} {prefix}"),
        ])?;
        // vtysh exits 0 on some rejected commands; they print a reason.
        if !out.trim().is_empty() {
            bail!("{verb} {prefix}: {}", out.trim());
        }
        Ok(())
    }

    /// Kills bgpd (SIGKILL): no NOTIFICATION, so the agent as a helper
    /// keeps its routes as stale. [`FrrPeer::restart`] starts it again.
    pub fn kill(&mut self) -> Result<()> {
        self.child.kill().map(drop)
    }

    /// Starts bgpd again on its configuration after [`FrrPeer::kill`]: a
    /// restarting speaker (GR capability with the F bit, as
    /// `preserve-fw-state` asks) that re-announces and sends End-of-RIB.
    pub fn restart(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child = spawn_bgpd(
            &self.ns,
            &self.dir,
            &self.log,
            &self.cli,
            self.opts.listen_port,
        )?;
        Ok(())
    }

    /// bgpd's log so far (every start appends to it).
    pub fn log(&self) -> String {
        self.child.log()
    }

    /// Whether bgpd still runs, and the end of its log: for messages.
    pub fn describe(&mut self) -> String {
        self.child.describe()
    }
}

fn write_config(dir: &Path, opts: &FrrOptions, announced: &BTreeSet<String>) -> Result<()> {
    let path = dir.join("bgpd.conf");
    std::fs::write(&path, bgpd_conf(opts, announced))
        .with_context(|| format!("writing {}", path.display()))
}

/// Starts bgpd in namespace `ns` on `dir/bgpd.conf` with its pid file and
/// vty socket in `dir`, and waits until its vty answers.
fn spawn_bgpd(ns: &str, dir: &Path, log: &Path, cli: &FrrCli, port: u16) -> Result<LabChild> {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, "/usr/lib/frr/bgpd", "-f"])
        .arg(dir.join("bgpd.conf"))
        .arg("-i")
        .arg(dir.join("bgpd.pid"))
        .arg("--vty_socket")
        .arg(dir)
        .args(["-Z", "-S", "-u", "root", "-g", "root", "-P", "0"])
        .args(["-p", &port.to_string()])
        .args(["-l", &addr::BGP_PEER_V4.to_string()])
        .args(["--log", "stdout"]);
    let mut child = LabChild::spawn_logged(cmd, &format!("bgpd in {ns}"), log)?;
    wait::until(&format!("bgpd's vty in {ns}"), wait::DEADLINE, || {
        if child.try_wait()?.is_some() {
            return Err(anyhow!(wait::Hopeless(child.describe())));
        }
        cli.neighbor()
    })?;
    Ok(child)
}

/// GR and LLGR negotiated, from a neighbor object.
pub fn parse_gr(neighbor: &Value) -> Result<GrNegotiated> {
    let caps = &neighbor["neighborCapabilities"];
    if !caps.is_object() {
        bail!("bgpd lists no capabilities (not established?): {neighbor}");
    }
    let both = |key: &str| caps[key] == "advertisedAndReceived";
    Ok(GrNegotiated {
        graceful_restart: both("gracefulRestart"),
        long_lived: both("longLivedGracefulRestart"),
        notification: neighbor["gracefulRestartInfo"]["nBit"].as_bool(),
    })
}

/// Parses `show bgp <afi> unicast json`: one [`PeerRoute`] per path,
/// sorted by prefix.
pub fn parse_routes(table: &Value) -> Result<Vec<PeerRoute>> {
    let map = match &table["routes"] {
        Value::Null => return Ok(Vec::new()),
        Value::Object(m) => m,
        other => bail!("routes is not an object: {other}"),
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
    let mut as_path = Vec::new();
    for asn in path["path"].as_str().unwrap_or("").split_whitespace() {
        let asn = asn.trim_matches(|c| c == '{' || c == '}' || c == ',');
        if asn.is_empty() {
            continue;
        }
        as_path.push(
            asn.parse()
                .with_context(|| format!("bad AS path of {prefix}: {path}"))?,
        );
    }
    let med = match &path["metric"] {
        Value::Null => None,
        m => Some(
            m.as_u64()
                .and_then(|m| u32::try_from(m).ok())
                .ok_or_else(|| anyhow!("bad MED of {prefix}: {m}"))?,
        ),
    };
    let communities = path["community"]["string"]
        .as_str()
        .unwrap_or("")
        .split_whitespace()
        .map(community)
        .collect();
    Ok(PeerRoute {
        prefix: prefix.to_string(),
        stale: path["stale"].as_bool().unwrap_or(false),
        med,
        as_path,
        communities,
    })
}

/// FRR prints well-known communities by name; [`PeerRoute`] holds
/// `"hi:lo"`.
fn community(c: &str) -> String {
    match c {
        "graceful-shutdown" => "65535:0",
        "accept-own" => "65535:1",
        "llgr-stale" => "65535:6",
        "no-llgr" => "65535:7",
        "blackhole" => "65535:666",
        "no-export" => "65535:65281",
        "no-advertise" => "65535:65282",
        "local-AS" => "65535:65283",
        "no-peer" => "65535:65284",
        other => other,
    }
    .to_string()
}

impl LabPeer for FrrPeer {
    fn name(&self) -> &'static str {
        "bgpd"
    }

    /// The session state with the agent, lowercase ("established",
    /// "active", …).
    fn state(&self) -> Result<String> {
        let n = self.cli.neighbor()?;
        n["bgpState"]
            .as_str()
            .map(str::to_lowercase)
            .ok_or_else(|| anyhow!("no bgpState in {n}"))
    }

    /// GR and LLGR as bgpd reports them (`advertisedAndReceived`), and
    /// the N bit the agent sent. Only meaningful while established.
    fn gr_negotiated(&self) -> Result<GrNegotiated> {
        parse_gr(&self.cli.neighbor()?)
    }

    /// bgpd's table of `family`: one entry per path.
    fn routes(&self, family: Family) -> Result<Vec<PeerRoute>> {
        self.cli.routes(family)
    }

    /// Polls the table of `family` every `interval` on a thread until
    /// [`RibWatch::stop`], recording each change.
    fn watch(&self, family: Family, interval: Duration) -> Result<RibWatch> {
        let cli = self.cli.clone();
        RibWatch::start(move |f| cli.routes(f), family, interval)
    }

    /// Originates `prefix` towards the agent (`network`, and in the
    /// configuration file for a later start).
    fn announce(&mut self, prefix: &str) -> Result<()> {
        self.announced.insert(prefix.to_string());
        self.write_config()?;
        self.network(prefix, "network")
    }

    /// bgpd logs "%NOTIFICATION(Hard Reset): received from neighbor
    /// 10.99.0.1 6/2 …" for each one.
    fn notifications_received(&self) -> Vec<String> {
        (self.log().lines())
            .filter(|l| l.contains("received from neighbor"))
            .map(str::to_string)
            .collect()
    }

    fn diagnose(&mut self) -> String {
        let n = (self.cli.neighbor()).map_or_else(|e| format!("{e:#}"), |n| format!("{n:#}"));
        format!("{n}\n{}", self.describe())
    }

    fn daemon_log(&self) -> String {
        self.log()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From FRR 8.4.4 (`show bgp ipv4 unicast json`, a killed neighbour;
    /// MED and communities added to cover their shapes).
    const TABLE: &str = r#"{"vrfId": 0, "routerId": "10.99.0.2", "localAS": 65000,
        "routes": { "198.51.100.0/24": [{"stale":true,"valid":true,"bestpath":true,"metric":1000,
        "community":{"string":"65001:666 llgr-stale","list":["65001:666","llgrStale"]},
        "prefix":"198.51.100.0","prefixLen":24,"peerId":"10.99.0.1","path":"65001 65001","origin":"incomplete"}],
        "203.0.113.0/24": [{"valid":true,"bestpath":true,"metric":0,"weight":32768,"peerId":"(unspec)","path":"","origin":"IGP"}]}}"#;

    #[test]
    fn table_json_parses() {
        let r = parse_routes(&serde_json::from_str(TABLE).unwrap()).unwrap();
        assert_eq!(
            r[0],
            PeerRoute {
                prefix: "198.51.100.0/24".into(),
                stale: true,
                med: Some(1000),
                as_path: vec![65001, 65001],
                communities: vec!["65001:666".into(), "65535:6".into()],
            }
        );
        assert!(!r[1].stale && r[1].as_path.is_empty());
        assert!(
            parse_routes(&serde_json::json!({"routes": {}}))
                .unwrap()
                .is_empty()
        );
        let bad = serde_json::json!({"routes": {"p": [{"path": "x"}]}});
        assert!(parse_routes(&bad).is_err());
    }

    #[test]
    fn gr_is_negotiated_only_when_both_sides_sent_it() {
        let n = serde_json::json!({"neighborCapabilities": {
            "gracefulRestart": "advertisedAndReceived",
            "longLivedGracefulRestart": "advertised"},
            "gracefulRestartInfo": {"nBit": true}});
        let gr = parse_gr(&n).unwrap();
        assert!(gr.graceful_restart && !gr.long_lived, "{gr:?}");
        assert_eq!(gr.notification, Some(true));
        assert!(parse_gr(&serde_json::json!({"bgpState": "Active"})).is_err());
    }

    #[test]
    fn the_configuration_originates_by_family() {
        let announced: BTreeSet<String> = ["203.0.113.0/24", "2001:db8:113::/64"]
            .into_iter()
            .map(String::from)
            .collect();
        let c = bgpd_conf(&FrrOptions::default(), &announced);
        let v4 = c.find("address-family ipv4").unwrap();
        let v6 = c.find("address-family ipv6").unwrap();
        let n4 = c.find("network 203.0.113.0/24").unwrap();
        let n6 = c.find("network 2001:db8:113::/64").unwrap();
        assert!(v4 < n4 && n4 < v6 && v6 < n6, "{c}");
    }
}
