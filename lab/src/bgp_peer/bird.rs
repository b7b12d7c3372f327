//! [`BirdPeer`]: BIRD 2 in the lab's peer namespace as the agent's
//! neighbour, a GR and LLGR helper, queried through `birdc`.
//!
//! ```text
//!  [gw] agent 10.99.0.1 AS 65001 ──bgp0── 10.99.0.2 AS 65000 bird [peer]
//!                        control socket <lab dir>/bird-peer.ctl
//! ```
//! Its configuration, control socket, pid file and log live in the lab's
//! directory, so parallel labs never share one.
//!
//! What `birdc` (2.0.12) prints and this module reads:
//! - `show protocols all agent`: `BGP state: Established`, then the
//!   `Local capabilities` and `Neighbor capabilities` lists (`Graceful
//!   restart`, `Long-lived graceful restart`), and per channel
//!   (`Channel ipv4`) a `Neighbor GR: None|Regular|Long-lived` line while
//!   the neighbour is restarting.
//! - `show route all table master4`: a line per route (`198.51.100.0/24
//!   unicast [agent 06:27:28.304] * (100) [AS65001?]`), then its
//!   attributes indented by a tab (`BGP.as_path: 65001`, `BGP.med: 1000`,
//!   `BGP.community: (65001,666) (65535,6)`).
//!
//! BIRD shows no per-route stale flag in the regular GR phase: it marks
//! every route of the channel stale when the neighbour goes down and
//! clears the mark on its End-of-RIB. So a route from the agent counts as
//! stale while that channel's `Neighbor GR` is not `None` (which errs
//! towards stale between the neighbour's return and its End-of-RIB), or
//! while it carries LLGR_STALE (65535:6), which BIRD adds in the LLGR phase.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use super::{Family, GrNegotiated, LabPeer, PeerRoute, RibWatch};
use crate::addr;
use crate::child::LabChild;
use crate::lab::Lab;
use crate::role::Role;
use crate::wait;

/// The name of the BGP protocol towards the agent in BIRD's configuration.
pub const PROTOCOL: &str = "agent";

/// How BIRD is set up; [`Default`] gives the values FIELD-NOTES tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BirdOptions {
    /// BIRD's BGP port, where the agent connects (BIRD stays passive).
    pub listen_port: u16,
    /// `graceful restart time`: offered in BIRD's own GR capability.
    pub restart_time: u16,
    /// `long lived stale time` offered, in seconds.
    pub llgr_stale_time: u32,
}

impl Default for BirdOptions {
    fn default() -> Self {
        BirdOptions {
            listen_port: 179,
            restart_time: 120,
            llgr_stale_time: 3600,
        }
    }
}

/// `bird.conf` for the peer: one passive eBGP session with the agent, GR
/// and LLGR on (helper, and restarting speaker for `birdc graceful
/// restart`), IPv4 and IPv6 unicast, and a static protocol per family
/// holding `announced` as blackhole routes, exported to the agent.
pub fn bird_conf(opts: &BirdOptions, announced: &BTreeSet<String>) -> String {
    let mut v4 = String::new();
    let mut v6 = String::new();
    for prefix in announced {
        let line = format!("  route {prefix} blackhole;\n");
        match Family::of_prefix(prefix) {
            Family::Ipv4 => v4 += &line,
            Family::Ipv6 => v6 += &line,
        }
    }
    format!(
        "log stderr all;\n\
         router id {peer};\n\
         protocol device {{}}\n\
         protocol static announce4 {{\n  ipv4;\n{v4}}}\n\
         protocol static announce6 {{\n  ipv6;\n{v6}}}\n\
         protocol bgp {PROTOCOL} {{\n  \
           debug {{ states, events }};\n  \
           local {peer} port {port} as {peer_asn};\n  \
           neighbor {gw} as {gw_asn};\n  \
           passive on;\n  \
           graceful restart on;\n  \
           graceful restart time {restart};\n  \
           long lived graceful restart on;\n  \
           long lived stale time {llgr};\n  \
           ipv4 {{ import all; export all; }};\n  \
           ipv6 {{ import all; export all; next hop address {peer6}; }};\n\
         }}\n",
        peer = addr::BGP_PEER_V4,
        port = opts.listen_port,
        peer_asn = addr::PEER_ASN,
        gw = addr::BGP_GW_V4,
        gw_asn = addr::GW_ASN,
        restart = opts.restart_time,
        llgr = opts.llgr_stale_time,
        peer6 = addr::BGP_PEER_V6,
    )
}

/// Runs `birdc` against one BIRD's control socket. Cloneable, so that a
/// [`RibWatch`] thread can query on its own.
#[derive(Debug, Clone)]
pub struct BirdCli {
    socket: PathBuf,
}

impl BirdCli {
    /// The CLI for the BIRD whose control socket is `socket`. The socket
    /// is a file, so `birdc` needs no namespace.
    pub fn new(socket: &Path) -> BirdCli {
        BirdCli {
            socket: socket.to_path_buf(),
        }
    }

    /// `birdc -s <socket> <args>`; fails unless it exits 0 and BIRD
    /// answered. Returns the answer without birdc's greeting.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let what = format!("birdc {}", args.join(" "));
        let out = Command::new("birdc")
            .arg("-s")
            .arg(&self.socket)
            .args(args)
            .output()
            .with_context(|| format!("running {what}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() || !stdout.starts_with("BIRD ") {
            bail!(
                "{what}: {}: {}{}",
                out.status,
                stdout.trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        // The first line is the greeting, "BIRD 2.0.12 ready.".
        Ok(stdout.split_once('\n').map_or("", |(_, r)| r).to_string())
    }

    /// `show protocols all agent`.
    pub fn protocol_info(&self) -> Result<String> {
        self.run(&["show", "protocols", "all", PROTOCOL])
    }

    /// Every route of `family`'s table, stale marked as the module doc
    /// says.
    pub fn routes(&self, family: Family) -> Result<Vec<PeerRoute>> {
        // The protocol first: a session that goes down between the two
        // queries then shows its routes fresh one poll longer, never a
        // fresh route as stale.
        let info = self.protocol_info()?;
        let gr_active = neighbor_gr(&info, family)?.is_some_and(|gr| gr != "None");
        let table = match family {
            Family::Ipv4 => "master4",
            Family::Ipv6 => "master6",
        };
        let text = self.run(&["show", "route", "all", "table", table])?;
        parse_routes(&text, gr_active)
    }
}

/// BIRD in the lab's peer namespace, peering with the agent's address on
/// gw. Killed when dropped, and at the latest with the lab.
#[derive(Debug)]
pub struct BirdPeer {
    child: LabChild,
    cli: BirdCli,
    /// The peer namespace's name, to start BIRD again after a restart.
    ns: String,
    config: PathBuf,
    pid_file: PathBuf,
    log: PathBuf,
    opts: BirdOptions,
    announced: BTreeSet<String>,
}

impl BirdPeer {
    /// Writes `bird-peer.conf` into the lab's directory, starts BIRD in
    /// the peer namespace (AS [`addr::PEER_ASN`], neighbor
    /// [`addr::BGP_GW_V4`] AS [`addr::GW_ASN`]) and returns once its
    /// control socket answers; fails at once if BIRD exits, or after
    /// [`wait::DEADLINE`].
    pub fn start(lab: &Lab, opts: BirdOptions) -> Result<BirdPeer> {
        let dir = lab.dir();
        let ns = lab.ns(Role::Peer).name().to_string();
        let cli = BirdCli::new(&dir.join("bird-peer.ctl"));
        let config = dir.join("bird-peer.conf");
        let pid_file = dir.join("bird-peer.pid");
        let log = dir.join("bird-peer.log");
        let announced = BTreeSet::new();
        write_config(&config, &opts, &announced)?;
        let child = spawn_bird(&ns, &cli, &config, &pid_file, &log, false)?;
        Ok(BirdPeer {
            child,
            cli,
            ns,
            config,
            pid_file,
            log,
            opts,
            announced,
        })
    }

    /// The CLI runner, for queries this type does not wrap.
    pub fn cli(&self) -> &BirdCli {
        &self.cli
    }

    /// The configuration file BIRD runs on.
    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// `show protocols all agent`, for messages.
    pub fn protocol_info(&self) -> Result<String> {
        self.cli.protocol_info()
    }

    /// Withdraws a prefix [`BirdPeer::announce`] originated.
    pub fn withdraw(&mut self, prefix: &str) -> Result<()> {
        self.announced.remove(prefix);
        self.reconfigure()
    }

    fn reconfigure(&self) -> Result<()> {
        write_config(&self.config, &self.opts, &self.announced)?;
        let out = self.cli.run(&["configure"])?;
        if !out.contains("Reconfigured") && !out.contains("Reconfiguration in progress") {
            bail!("birdc configure: {}", out.trim());
        }
        Ok(())
    }

    /// `birdc graceful restart`: BIRD closes its sessions without a
    /// NOTIFICATION and exits, so the agent keeps its routes as stale.
    /// Returns once BIRD has exited; [`BirdPeer::recover`] starts it again.
    pub fn graceful_shutdown(&mut self) -> Result<()> {
        let out = self.cli.run(&["graceful", "restart"])?;
        if !out.contains("Graceful restart requested") {
            bail!("birdc graceful restart: {}", out.trim());
        }
        let child = &mut self.child;
        wait::until(
            "bird exiting for a graceful restart",
            wait::DEADLINE,
            || match child.try_wait()? {
                Some(_) => Ok(()),
                None => Err(anyhow!("bird still runs")),
            },
        )
    }

    /// Starts BIRD again after [`BirdPeer::graceful_shutdown`] with `-R`
    /// (graceful restart recovery: the R and F bits set, End-of-RIB once
    /// converged), on the same configuration.
    pub fn recover(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child = spawn_bird(
            &self.ns,
            &self.cli,
            &self.config,
            &self.pid_file,
            &self.log,
            true,
        )?;
        Ok(())
    }

    /// Kills BIRD (SIGKILL): no NOTIFICATION.
    pub fn kill(&mut self) -> Result<()> {
        self.child.kill().map(drop)
    }

    /// BIRD's log so far (every start appends to it).
    pub fn log(&self) -> String {
        self.child.log()
    }

    /// Whether BIRD still runs, and the end of its log: for messages.
    pub fn describe(&mut self) -> String {
        self.child.describe()
    }
}

fn write_config(path: &Path, opts: &BirdOptions, announced: &BTreeSet<String>) -> Result<()> {
    std::fs::write(path, bird_conf(opts, announced))
        .with_context(|| format!("writing {}", path.display()))
}

/// Starts `bird -f` in namespace `ns` (with `-R`, graceful restart
/// recovery, when `recovery`) and waits until its control socket answers.
fn spawn_bird(
    ns: &str,
    cli: &BirdCli,
    config: &Path,
    pid_file: &Path,
    log: &Path,
    recovery: bool,
) -> Result<LabChild> {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, "bird", "-f"]);
    if recovery {
        cmd.arg("-R");
    }
    cmd.arg("-c")
        .arg(config)
        .arg("-s")
        .arg(&cli.socket)
        .arg("-P")
        .arg(pid_file);
    let mut child = LabChild::spawn_logged(cmd, &format!("bird in {ns}"), log)?;
    wait::until(
        &format!("bird's control socket in {ns}"),
        wait::DEADLINE,
        || {
            if child.try_wait()?.is_some() {
                return Err(anyhow!(wait::Hopeless(child.describe())));
            }
            cli.run(&["show", "status"])
        },
    )?;
    Ok(child)
}

/// The value after `key` on the first line that starts with it (leading
/// blanks ignored).
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .map(str::trim_start)
        .find_map(|l| l.strip_prefix(key))
        .map(str::trim)
}

/// The lines of the capability list `title` ("Local capabilities",
/// "Neighbor capabilities") in `show protocols all` output.
fn capability_list<'a>(info: &'a str, title: &str) -> Vec<&'a str> {
    let mut lines = info.lines().skip_while(|l| l.trim() != title);
    let Some(head) = lines.next() else {
        return Vec::new();
    };
    let depth = indent(head);
    lines
        .take_while(|l| indent(l) > depth)
        .map(str::trim)
        .collect()
}

fn indent(line: &str) -> usize {
    line.len().saturating_sub(line.trim_start().len())
}

/// GR and LLGR negotiated: in both capability lists.
pub fn parse_gr(info: &str) -> Result<GrNegotiated> {
    let local = capability_list(info, "Local capabilities");
    let neighbor = capability_list(info, "Neighbor capabilities");
    if neighbor.is_empty() {
        bail!("BIRD lists no neighbor capabilities (not established?):\n{info}");
    }
    let both = |cap: &str| local.contains(&cap) && neighbor.contains(&cap);
    Ok(GrNegotiated {
        graceful_restart: both("Graceful restart"),
        long_lived: both("Long-lived graceful restart"),
        // BIRD 2.0 does not implement RFC 8538.
        notification: None,
    })
}

/// The `Neighbor GR:` value of the channel of `family`, if BIRD prints
/// one (only while some channel's neighbour is restarting).
pub fn neighbor_gr(info: &str, family: Family) -> Result<Option<String>> {
    let title = format!("Channel {}", family.arg());
    let mut lines = info.lines().skip_while(|l| l.trim() != title);
    let Some(head) = lines.next() else {
        // A channel BIRD does not list (no such channel): nothing restarts.
        return Ok(None);
    };
    let depth = indent(head);
    let gr = lines
        .take_while(|l| indent(l) > depth)
        .find_map(|l| l.trim().strip_prefix("Neighbor GR:"))
        .map(|v| v.trim().to_string());
    Ok(gr)
}

/// Parses `show route all`: routes of [`PROTOCOL`] are stale when
/// `gr_active` or when they carry LLGR_STALE.
pub fn parse_routes(text: &str, gr_active: bool) -> Result<Vec<PeerRoute>> {
    let mut routes: Vec<(PeerRoute, bool)> = Vec::new();
    let mut prefix: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with("Table ") {
            continue;
        }
        if let Some(attr) = line.strip_prefix('\t') {
            let Some((route, _)) = routes.last_mut() else {
                bail!("an attribute before any route: {line}");
            };
            parse_attr(route, attr.trim())?;
            continue;
        }
        // A route line: the prefix, or blanks for another route of the
        // same prefix; then the protocol after '['.
        if !line.starts_with(' ') {
            prefix = line.split_whitespace().next().map(str::to_string);
        }
        let p = prefix
            .clone()
            .ok_or_else(|| anyhow!("a route line without a prefix: {line}"))?;
        let proto = line
            .split_once('[')
            .and_then(|(_, r)| r.split_whitespace().next())
            .ok_or_else(|| anyhow!("no protocol in route line: {line}"))?;
        routes.push((
            PeerRoute {
                prefix: p,
                stale: false,
                med: None,
                as_path: Vec::new(),
                communities: Vec::new(),
            },
            proto == PROTOCOL,
        ));
    }
    let mut out: Vec<PeerRoute> = routes
        .into_iter()
        .map(|(mut r, from_agent)| {
            r.stale = from_agent && (gr_active || r.communities.iter().any(|c| c == "65535:6"));
            r
        })
        .collect();
    out.sort_by(|a, b| a.prefix.cmp(&b.prefix));
    Ok(out)
}

fn parse_attr(route: &mut PeerRoute, attr: &str) -> Result<()> {
    let Some((key, value)) = attr.split_once(':') else {
        // "via 10.99.0.1 on vb" and the like.
        return Ok(());
    };
    let value = value.trim();
    match key {
        "BGP.as_path" => {
            for asn in value.split_whitespace() {
                // Sets print as "{65001 65002}"; their members count too.
                let asn = asn.trim_matches(|c| c == '{' || c == '}');
                if asn.is_empty() {
                    continue;
                }
                route.as_path.push(
                    asn.parse()
                        .with_context(|| format!("bad ASN in {}: {attr}", route.prefix))?,
                );
            }
        }
        "BGP.med" => {
            route.med = Some(
                value
                    .parse()
                    .with_context(|| format!("bad MED in {}: {attr}", route.prefix))?,
            );
        }
        "BGP.community" => {
            for c in value.split_whitespace() {
                let (hi, lo) = c
                    .trim_matches(|c| c == '(' || c == ')')
                    .split_once(',')
                    .ok_or_else(|| anyhow!("bad community in {}: {attr}", route.prefix))?;
                route.communities.push(format!("{hi}:{lo}"));
            }
        }
        _ => {}
    }
    Ok(())
}

impl LabPeer for BirdPeer {
    fn name(&self) -> &'static str {
        "BIRD"
    }

    /// The session state with the agent, lowercase ("established",
    /// "passive", "active", …).
    fn state(&self) -> Result<String> {
        let info = self.cli.protocol_info()?;
        field(&info, "BGP state:")
            .map(str::to_lowercase)
            .ok_or_else(|| anyhow!("no BGP state in:\n{info}"))
    }

    /// GR and LLGR as BIRD reports them: both its own and the agent's
    /// capability lists hold them. Only meaningful while established (BIRD
    /// forgets the neighbour's capabilities when the session goes).
    fn gr_negotiated(&self) -> Result<GrNegotiated> {
        parse_gr(&self.cli.protocol_info()?)
    }

    /// BIRD's table of `family`: one entry per route.
    fn routes(&self, family: Family) -> Result<Vec<PeerRoute>> {
        self.cli.routes(family)
    }

    /// Polls the table of `family` every `interval` on a thread until
    /// [`RibWatch::stop`], recording each change.
    fn watch(&self, family: Family, interval: Duration) -> Result<RibWatch> {
        let cli = self.cli.clone();
        RibWatch::start(move |f| cli.routes(f), family, interval)
    }

    /// Originates `prefix` towards the agent (a static route, then
    /// `birdc configure`).
    fn announce(&mut self, prefix: &str) -> Result<()> {
        self.announced.insert(prefix.to_string());
        self.reconfigure()
    }

    /// BIRD logs "agent: Received: <reason>" for each one.
    fn notifications_received(&self) -> Vec<String> {
        (self.log().lines())
            .filter(|l| l.contains("Received:"))
            .map(str::to_string)
            .collect()
    }

    fn diagnose(&mut self) -> String {
        let info = self.protocol_info().unwrap_or_else(|e| format!("{e:#}"));
        format!("{info}\n{}", self.describe())
    }

    fn daemon_log(&self) -> String {
        self.log()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `show route all table master4` of BIRD 2.0.12, greeting removed.
    const ROUTES: &str = "Table master4:\n\
        198.51.100.0/24      unicast [agent 06:27:28.304] * (100) [AS65001?]\n\
        \tvia 10.99.0.1 on vb\n\
        \tType: BGP univ\n\
        \tBGP.origin: Incomplete\n\
        \tBGP.as_path: 65001 65001 65001\n\
        \tBGP.next_hop: 10.99.0.1\n\
        \tBGP.med: 1000\n\
        \tBGP.local_pref: 100\n\
        \tBGP.community: (65001,666) (65535,6)\n\
        203.0.113.0/24       blackhole [announce4 06:27:02.407] * (200)\n\
        \tType: static univ\n";

    #[test]
    fn routes_parse_with_llgr_stale_and_attributes() {
        let r = parse_routes(ROUTES, false).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0],
            PeerRoute {
                prefix: "198.51.100.0/24".into(),
                stale: true,
                med: Some(1000),
                as_path: vec![65001, 65001, 65001],
                communities: vec!["65001:666".into(), "65535:6".into()],
            }
        );
        assert!(!r[1].stale, "BIRD's own static route is never stale");
        assert!(parse_routes("\tBGP.med: 1\n", false).is_err());
        assert!(parse_routes("Table master4:\n", true).unwrap().is_empty());
    }

    #[test]
    fn gr_activity_makes_agent_routes_stale() {
        let plain = ROUTES.replace(" (65535,6)", "");
        assert!(!parse_routes(&plain, false).unwrap()[0].stale);
        let r = parse_routes(&plain, true).unwrap();
        assert!(r[0].stale && !r[1].stale);
    }

    /// Parts of `show protocols all agent` of BIRD 2.0.12.
    const INFO: &str = "Name       Proto      Table      State  Since         Info\n\
        agent      BGP        ---        up     06:27:11.433  Established\n\
        \x20 BGP state:          Established\n\
        \x20   Local capabilities\n\
        \x20     Graceful restart\n\
        \x20       Restart time: 120\n\
        \x20     Long-lived graceful restart\n\
        \x20       LL stale time: 3600\n\
        \x20   Neighbor capabilities\n\
        \x20     Graceful restart\n\
        \x20       Restart time: 120\n\
        \x20     4-octet AS numbers\n\
        \x20   Session:          external AS4\n\
        \x20 Channel ipv4\n\
        \x20   State:          UP\n\
        \x20   Neighbor GR:    Regular\n\
        \x20 Channel ipv6\n\
        \x20   State:          DOWN\n\
        \x20   Neighbor GR:    None\n";

    #[test]
    fn protocol_info_parses() {
        assert_eq!(field(INFO, "BGP state:"), Some("Established"));
        let gr = parse_gr(INFO).unwrap();
        assert!(gr.graceful_restart && !gr.long_lived, "{gr:?}");
        assert_eq!(
            neighbor_gr(INFO, Family::Ipv4).unwrap().as_deref(),
            Some("Regular")
        );
        assert_eq!(
            neighbor_gr(INFO, Family::Ipv6).unwrap().as_deref(),
            Some("None")
        );
        assert!(parse_gr("BGP state: Passive\n").is_err());
    }
}
