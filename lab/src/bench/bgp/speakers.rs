//! The other BGP speakers of the benchmark: gobgpd as announcer, sender or
//! receiver, and BIRD 2 as receiver or announcer, each in one of the lab's
//! namespaces on the `bgp0` link (gw 10.99.0.1 AS 65001, peer 10.99.0.2
//! AS 65000), with plain IPv4-unicast sessions (no Graceful Restart: every run starts a
//! fresh session and no stale routes may linger from the last one).

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::bgp_peer::{GobgpCli, session_state, spawn_gobgpd};
use crate::wait::{self, Clock};
use crate::{Lab, LabChild, Role};

/// How long a RIB count must stay put to count as loaded.
const SETTLED: Duration = Duration::from_secs(1);

/// gobgpd's gRPC port on its namespace's loopback (away from
/// `GobgpPeer`'s 50051, in case both ever run in one namespace).
const API_PORT: u16 = 50061;

/// One side of a plain session on `bgp0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    pub asn: u32,
    pub address: Ipv4Addr,
}

/// How a gobgpd of the benchmark takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Waits for the neighbor to connect (listens on 179).
    Passive,
    /// Connects out, retrying every second; does not listen.
    Active,
    /// Like `Active` but starts administratively down, so that routes can
    /// be loaded first; [`Gobgpd::enable`] brings the session up.
    ActiveAdminDown,
}

/// The configuration of a benchmark gobgpd: global `me`, one neighbor.
pub fn gobgpd_toml(me: Side, neighbor: Side, mode: Mode) -> String {
    let port = if mode == Mode::Passive { 179 } else { -1 };
    let mut s = format!(
        "[global.config]\n  as = {}\n  router-id = \"{}\"\n  port = {port}\n  \
         local-address-list = [\"{}\"]\n\
         [[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{}\"\n    peer-as = {}\n",
        me.asn, me.address, me.address, neighbor.address, neighbor.asn
    );
    if mode == Mode::ActiveAdminDown {
        s += "    admin-down = true\n";
    }
    let _ = write!(
        s,
        "  [neighbors.transport.config]\n    passive-mode = {}\n    local-address = \"{}\"\n\
         [neighbors.timers.config]\n    connect-retry = 1\n\
         [[neighbors.afi-safis]]\n  [neighbors.afi-safis.config]\n    afi-safi-name = \"ipv4-unicast\"\n",
        mode == Mode::Passive,
        me.address
    );
    s
}

/// A gobgpd of the benchmark; killed when dropped.
pub struct Gobgpd {
    child: LabChild,
    cli: GobgpCli,
    neighbor: Ipv4Addr,
}

impl Gobgpd {
    /// Writes `<name>.toml` in the lab's directory and starts gobgpd on it
    /// in `role`'s namespace; returns once its API answers.
    pub fn start(
        lab: &Lab,
        role: Role,
        name: &str,
        me: Side,
        neighbor: Side,
        mode: Mode,
    ) -> Result<Gobgpd> {
        let config = lab.dir().join(format!("{name}.toml"));
        std::fs::write(&config, gobgpd_toml(me, neighbor, mode))
            .with_context(|| format!("writing {}", config.display()))?;
        let child = spawn_gobgpd(lab, role, &config, API_PORT)?;
        Ok(Gobgpd {
            child,
            cli: GobgpCli::new(lab.ns(role).name(), API_PORT),
            neighbor: neighbor.address,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails for good if gobgpd has exited.
    pub fn alive(&mut self) -> Result<()> {
        crate::bench::agent::alive(&mut self.child)
    }

    /// Loads the routes of an MRT TABLE_DUMP_V2 file into the global RIB
    /// (`gobgp mrt inject global`) and waits until the RIB holds `expect`
    /// IPv4 destinations. gobgp 3.10's CLI exits before its last queued
    /// paths reach gobgpd (the last ~700 of 100 000 were lost each time),
    /// so the file must end with entries it can lose: see
    /// [`super::write_mrt`].
    pub fn inject(&mut self, mrt: &Path, expect: usize) -> Result<()> {
        let file = mrt.to_str().context("the MRT path is not UTF-8")?;
        self.cli.run(&["mrt", "inject", "global", file])?;
        let held = self.settled_destinations()?;
        if held != expect {
            bail!("gobgpd holds {held} destinations after injecting {file}, not {expect}");
        }
        Ok(())
    }

    /// The RIB's destination count once it has stopped moving for
    /// [`SETTLED`].
    fn settled_destinations(&mut self) -> Result<usize> {
        let clock = Clock::start();
        let mut last = self.rib_destinations()?;
        let mut since = Clock::start();
        loop {
            std::thread::sleep(Duration::from_millis(100));
            self.alive()?;
            let n = self.rib_destinations()?;
            if n != last {
                last = n;
                since = Clock::start();
            } else if since.elapsed() >= SETTLED {
                return Ok(n);
            }
            if clock.elapsed() > super::LONG {
                bail!("gobgpd's RIB still changing after {:?}", super::LONG);
            }
        }
    }

    /// How many IPv4 destinations the global RIB holds
    /// (`gobgp global rib summary`: "Destination: N, Path: M").
    pub fn rib_destinations(&self) -> Result<usize> {
        let out = self.cli.run(&["global", "rib", "summary", "-a", "ipv4"])?;
        let n = out
            .split_once("Destination:")
            .and_then(|(_, rest)| rest.split(',').next())
            .and_then(|n| n.trim().parse().ok())
            .with_context(|| format!("no destination count in {out:?}"))?;
        Ok(n)
    }

    /// Adds `prefix` to the global RIB (`gobgp global rib add`).
    pub fn announce(&self, prefix: &str) -> Result<()> {
        self.cli.announce(prefix)
    }

    /// Brings an administratively down session up.
    pub fn enable(&self) -> Result<()> {
        self.cli
            .run(&["neighbor", &self.neighbor.to_string(), "enable"])
            .map(drop)
    }

    /// The session state with the neighbor and how many IPv4 routes it
    /// received from it.
    pub fn session(&self) -> Result<(String, u64)> {
        let v = self.cli.neighbor(self.neighbor.into())?;
        Ok((session_state(&v)?, received(&v)))
    }
}

/// The routes received in every family of a `gobgp -j neighbor X` object
/// (`afi_safis[].state.received`, absent when zero).
pub fn received(neighbor: &Value) -> u64 {
    neighbor["afi_safis"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["state"]["received"].as_u64())
        .fold(0, u64::saturating_add)
}

/// BIRD 2 in a namespace, importing everything from one neighbor and
/// exporting to it only the routes it is given ([`bird_conf`]); killed
/// when dropped.
pub struct Bird {
    child: LabChild,
    ns: String,
    socket: PathBuf,
}

/// The name of BIRD's BGP protocol, for `birdc show protocols`.
const BIRD_PROTOCOL: &str = "bench";

/// The name of BIRD's static protocol holding the announced routes.
const BIRD_STATIC: &str = "announced";

/// BIRD's configuration: router `me`, one session with `neighbor` that
/// imports everything; with `announced` prefixes, a static protocol holding
/// them as unreachable routes, exported to the neighbor (nothing is
/// exported otherwise).
pub fn bird_conf(me: Side, neighbor: Side, announced: &[String]) -> String {
    let (statics, export) = if announced.is_empty() {
        (String::new(), "none".to_string())
    } else {
        let routes: String = announced
            .iter()
            .map(|p| format!("  route {p} unreachable;\n"))
            .collect();
        (
            format!("protocol static {BIRD_STATIC} {{\n  ipv4;\n{routes}}}\n"),
            format!("where proto = \"{BIRD_STATIC}\""),
        )
    };
    format!(
        "router id {};\nprotocol device {{}}\n{statics}protocol bgp {BIRD_PROTOCOL} {{\n  \
         local {} as {};\n  neighbor {} as {};\n  connect delay time 1;\n  \
         ipv4 {{ import all; export {export}; }};\n}}\n",
        me.address, me.address, me.asn, neighbor.address, neighbor.asn
    )
}

impl Bird {
    /// Writes `<name>.conf` ([`bird_conf`]) and starts `bird -f` in
    /// `role`'s namespace; returns once `birdc` answers.
    pub fn start(
        lab: &Lab,
        role: Role,
        name: &str,
        me: Side,
        neighbor: Side,
        announced: &[String],
    ) -> Result<Bird> {
        Bird::spawn(lab, role, name, &bird_conf(me, neighbor, announced))
    }

    /// Writes `text` to `<name>.conf` and starts `bird -f` on it in
    /// `role`'s namespace; returns once `birdc` answers.
    fn spawn(lab: &Lab, role: Role, name: &str, text: &str) -> Result<Bird> {
        let config = lab.dir().join(format!("{name}.conf"));
        let socket = lab.dir().join(format!("{name}.ctl"));
        std::fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
        let child = lab.spawn(
            role,
            "bird",
            [
                "-f".as_ref(),
                "-c".as_ref(),
                config.as_os_str(),
                "-s".as_ref(),
                socket.as_os_str(),
            ],
        )?;
        let mut bird = Bird {
            child,
            ns: lab.ns(role).name().to_string(),
            socket,
        };
        wait::until("birdc answering", wait::DEADLINE, || {
            bird.alive()?;
            bird.birdc(&["show", "status"]).map(drop)
        })?;
        Ok(bird)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails for good if BIRD has exited.
    pub fn alive(&mut self) -> Result<()> {
        crate::bench::agent::alive(&mut self.child)
    }

    fn birdc(&self, args: &[&str]) -> Result<String> {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns, "birdc", "-s"])
            .arg(&self.socket)
            .args(args)
            .output()
            .context("running birdc")?;
        if !out.status.success() {
            bail!("birdc {}: {}", args.join(" "), out.status);
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// How many routes the BGP protocol imported ("Routes: N imported").
    pub fn imported(&self) -> Result<u64> {
        let out = self.birdc(&["show", "protocols", "all", BIRD_PROTOCOL])?;
        Ok(bird_imported(&out))
    }

    /// Whether the BGP session is established (`birdc show protocols`
    /// ends the protocol's line with its BGP state).
    pub fn established(&self) -> Result<bool> {
        let out = self.birdc(&["show", "protocols", BIRD_PROTOCOL])?;
        Ok(out
            .lines()
            .any(|l| l.starts_with(BIRD_PROTOCOL) && l.trim_end().ends_with("Established")))
    }
}

/// The count of "Routes: N imported, …" in `birdc show protocols all`;
/// 0 before the channel has routes (the line is then absent).
pub fn bird_imported(text: &str) -> u64 {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Routes:"))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_read_from_both_daemons() {
        let v: Value = serde_json::from_str(
            r#"{"afi_safis":[{"state":{"family":{"afi":1,"safi":1},"enabled":true,"received":7,"accepted":7}},{"state":{}}]}"#,
        )
        .unwrap();
        assert_eq!(received(&v), 7);
        assert_eq!(received(&Value::Null), 0);
        let bird = "bench      BGP        ---        up     06:40:01.123  Established\n  \
                    Channel ipv4\n    State:          UP\n    \
                    Routes:         499876 imported, 0 exported, 499876 preferred\n";
        assert_eq!(bird_imported(bird), 499_876);
        assert_eq!(bird_imported("sender BGP --- start Connect"), 0);
    }

    #[test]
    fn configurations_follow_the_mode() {
        let a = Side {
            asn: 65001,
            address: Ipv4Addr::new(10, 99, 0, 1),
        };
        let b = Side {
            asn: 65000,
            address: Ipv4Addr::new(10, 99, 0, 2),
        };
        let passive = gobgpd_toml(a, b, Mode::Passive);
        assert!(passive.contains("port = 179") && passive.contains("passive-mode = true"));
        let down = gobgpd_toml(a, b, Mode::ActiveAdminDown);
        assert!(down.contains("port = -1") && down.contains("admin-down = true"));
        assert!(!gobgpd_toml(a, b, Mode::Active).contains("admin-down"));
    }

    #[test]
    fn bird_exports_only_what_it_is_given() {
        let a = Side {
            asn: 65001,
            address: Ipv4Addr::new(10, 99, 0, 1),
        };
        let b = Side {
            asn: 65000,
            address: Ipv4Addr::new(10, 99, 0, 2),
        };
        assert_eq!(
            bird_conf(a, b, &[]),
            "router id 10.99.0.1;\nprotocol device {}\nprotocol bgp bench {\n  \
             local 10.99.0.1 as 65001;\n  neighbor 10.99.0.2 as 65000;\n  connect delay time 1;\n  \
             ipv4 { import all; export none; };\n}\n"
        );
        let c = bird_conf(a, b, &["20.0.0.0/24".into(), "20.0.1.0/24".into()]);
        assert!(c.contains(
            "protocol static announced {\n  ipv4;\n  route 20.0.0.0/24 unreachable;\n  \
             route 20.0.1.0/24 unreachable;\n}\n"
        ));
        assert!(c.contains("export where proto = \"announced\";"));
        assert!(c.contains("neighbor 10.99.0.2 as 65000;"));
        assert!(c.contains("local 10.99.0.1 as 65001;"));
    }
}
