//! Shared by the driver tests: two namespaces joined by a veth pair, a
//! real gobgpd in one, our peer task in the other, and polling helpers
//! with deadlines.

#![allow(dead_code, reason = "each test binary uses a part")]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use mpwan_bgp::driver::{
    Listener, ListenerPeer, PeerCommand, PeerEvent, TransportConfig, run_peer,
};
use mpwan_bgp::session::{SessionConfig, SessionStatus};
use mpwan_lab::LabChild;
use mpwan_lab::netns::NetNs;
use mpwan_lab::wait::{self, DEADLINE};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// Our end (the driver under test).
pub const OURS_V4: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
pub const OURS_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);
/// gobgpd's end.
pub const THEIRS_V4: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
pub const THEIRS_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);
/// A second address on gobgpd's side, configured as no peer of ours.
pub const STRANGER_V4: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 3);
pub const OUR_ASN: u32 = 65001;
pub const THEIR_ASN: u32 = 65000;
/// gobgpd's BGP port, and ours when we listen: not 179, so that nothing
/// of the host's is involved.
pub const GOBGP_PORT: u16 = 1790;
pub const OUR_PORT: u16 = 1791;

/// gobgpd's session_state numbers (apipb.PeerState.SessionState).
pub const GOBGP_ESTABLISHED: u64 = 6;

/// How long a session takes to come up or go down at most, here.
pub const SESSION_DEADLINE: Duration = Duration::from_secs(20);

/// Two namespaces, `ours` and `theirs`, on one veth link with IPv4 and
/// IPv6 (nodad) addresses.
pub struct Pair {
    pub ours: NetNs,
    pub theirs: NetNs,
    pub dir: tempfile::TempDir,
}

impl Pair {
    pub fn new() -> Result<Pair> {
        let ours = NetNs::create_unique("bgp-ours")?;
        let theirs = NetNs::create_unique("bgp-gobgp")?;
        // Created inside `ours` so that parallel tests never collide on
        // interface names in the root namespace.
        ours.run(&[
            "ip",
            "link",
            "add",
            "va",
            "type",
            "veth",
            "peer",
            "name",
            "vb",
            "netns",
            theirs.name(),
        ])?;
        ours.run(&["ip", "addr", "add", "10.0.0.1/24", "dev", "va"])?;
        ours.run(&["ip", "addr", "add", "fd00::1/64", "dev", "va", "nodad"])?;
        ours.run(&["ip", "link", "set", "va", "up"])?;
        theirs.run(&["ip", "addr", "add", "10.0.0.2/24", "dev", "vb"])?;
        theirs.run(&["ip", "addr", "add", "10.0.0.3/24", "dev", "vb"])?;
        theirs.run(&["ip", "addr", "add", "fd00::2/64", "dev", "vb", "nodad"])?;
        theirs.run(&["ip", "link", "set", "vb", "up"])?;
        for target in ["10.0.0.2", "fd00::2"] {
            wait::until(&format!("ping {target}"), DEADLINE, || {
                ours.run(&["ping", "-c1", "-W1", target])
            })?;
        }
        let dir = tempfile::tempdir()?;
        Ok(Pair { ours, theirs, dir })
    }

    /// Starts gobgpd in `theirs` with `config`; its API on 127.0.0.1:50051
    /// inside that namespace (one gobgpd per namespace).
    pub fn start_gobgpd(&self, config: &str) -> Result<LabChild> {
        let path = self.dir.path().join("gobgpd.toml");
        std::fs::write(&path, config)?;
        let mut cmd = self.theirs.command("gobgpd");
        cmd.arg("-f")
            .arg(&path)
            .args(["--api-hosts=127.0.0.1:50051", "-p", "--pprof-disable"]);
        let mut child = LabChild::spawn_logged(cmd, "gobgpd", &self.dir.path().join("gobgpd.log"))?;
        wait::until("gobgpd's API", DEADLINE, || {
            if let Some(status) = child.try_wait()? {
                return Err(anyhow!(wait::Hopeless(format!(
                    "gobgpd exited with {status}: {}",
                    child.log()
                ))));
            }
            self.theirs.run(&["gobgp", "global"])
        })?;
        Ok(child)
    }

    /// `gobgp -j neighbor <addr>`.
    pub fn neighbor(&self, addr: IpAddr) -> Result<Value> {
        let out = self
            .theirs
            .run(&["gobgp", "-j", "neighbor", &addr.to_string()])?;
        serde_json::from_str(&out).with_context(|| format!("gobgp output: {out}"))
    }

    /// gobgpd's session state for `addr`.
    pub fn gobgp_state(&self, addr: IpAddr) -> Result<u64> {
        let n = self.neighbor(addr)?;
        n["state"]["session_state"]
            .as_u64()
            .ok_or_else(|| anyhow!("no session_state in {n}"))
    }

    /// Waits until gobgpd reports the session with `addr` established.
    pub fn wait_gobgp_established(&self, addr: IpAddr) -> Result<Value> {
        wait::until("gobgpd: established", SESSION_DEADLINE, || {
            let n = self.neighbor(addr)?;
            if n["state"]["session_state"].as_u64() == Some(GOBGP_ESTABLISHED) {
                Ok(n)
            } else {
                bail!("state {}", n["state"]["session_state"])
            }
        })
    }

    /// Starts our peer task in `ours` on its own thread and runtime.
    pub fn start_peer(&self, cfg: SessionConfig, transport: TransportConfig) -> Result<Peer> {
        self.start(cfg, transport, false)
    }

    /// As `start_peer`, with a `Listener` on OUR_PORT that knows this one
    /// peer (and its MD5 password) and hands its connections over.
    pub fn start_listening_peer(
        &self,
        cfg: SessionConfig,
        transport: TransportConfig,
    ) -> Result<Peer> {
        self.start(cfg, transport, true)
    }

    fn start(&self, cfg: SessionConfig, transport: TransportConfig, listen: bool) -> Result<Peer> {
        let (commands, rx) = mpsc::channel(16);
        let (tx, events) = mpsc::channel(64);
        let listener_peer = ListenerPeer {
            addr: cfg.peer_addr,
            md5_password: transport.md5_password.clone(),
            ttl_security: transport.ttl_security,
            commands: commands.clone(),
        };
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let thread = self.ours.spawn_thread("bgp-peer", move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("runtime")?;
            rt.block_on(async move {
                if listen {
                    // Bound inside the runtime; reported before anything
                    // may connect to it.
                    let bound = Listener::bind(OUR_PORT, vec![listener_peer]);
                    let ok = matches!(bound, Ok(Some(_)));
                    let _ = bound_tx.send(bound.as_ref().map(|_| ()).map_err(|e| e.to_string()));
                    if let Ok(Some(l)) = bound {
                        tokio::spawn(l.run());
                    }
                    if !ok {
                        bail!("listener not bound");
                    }
                } else {
                    drop(listener_peer);
                    let _ = bound_tx.send(Ok(()));
                }
                run_peer(cfg, transport, rx, tx).await.context("run_peer")
            })
        })?;
        bound_rx
            .recv()
            .context("peer thread ended early")?
            .map_err(|e| anyhow!("binding the listener: {e}"))?;
        Ok(Peer {
            commands: Some(commands),
            events,
            thread: Some(thread),
        })
    }
}

/// Our peer task as a test sees it.
pub struct Peer {
    pub commands: Option<mpsc::Sender<PeerCommand>>,
    pub events: mpsc::Receiver<PeerEvent>,
    thread: Option<JoinHandle<Result<Result<()>>>>,
}

impl Peer {
    pub fn send(&self, cmd: PeerCommand) -> Result<()> {
        self.commands
            .as_ref()
            .context("commands closed")?
            .blocking_send(cmd)
            .map_err(|_| anyhow!("peer task gone"))
    }

    /// Waits for the first event that `pick` accepts, skipping others.
    pub fn wait_event<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&PeerEvent) -> Option<T>,
    ) -> Result<T> {
        wait::until(what, SESSION_DEADLINE, || {
            loop {
                match self.events.try_recv() {
                    Ok(e) => {
                        if let Some(v) = pick(&e) {
                            return Ok(v);
                        }
                    }
                    Err(mpsc::error::TryRecvError::Empty) => bail!("no such event yet"),
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        return Err(anyhow!(wait::Hopeless("peer task ended".into())));
                    }
                }
            }
        })
    }

    pub fn status(&self) -> Result<SessionStatus> {
        let (tx, rx) = oneshot::channel();
        self.send(PeerCommand::Status(tx))?;
        rx.blocking_recv().context("no status reply")
    }

    /// Closes the command channel and joins the task (it ends within a
    /// few seconds: its writers' grace).
    pub fn finish(mut self) -> Result<()> {
        self.commands = None;
        let t = self.thread.take().context("joined twice")?;
        t.join().map_err(|_| anyhow!("peer thread panicked"))??
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Ends the task; the thread is detached if the test failed first.
        self.commands = None;
    }
}

/// A session config for our end towards `peer`, with fast retries.
pub fn our_config(peer: IpAddr) -> SessionConfig {
    let mut cfg = SessionConfig::new(OUR_ASN, OURS_V4, peer, THEIR_ASN);
    cfg.connect_retry_min = Duration::from_secs(1);
    cfg.connect_retry_max = Duration::from_secs(2);
    cfg.connect_timeout = Duration::from_secs(3);
    cfg
}

/// Options of the gobgpd neighbor.
#[derive(Default)]
pub struct GobgpNeighbor {
    /// Our address as gobgpd sees it.
    pub addr: Option<IpAddr>,
    pub password: Option<&'static str>,
    pub ttl_security: bool,
    /// gobgpd connects to us (on OUR_PORT) instead of waiting.
    pub active: bool,
}

/// A gobgpd config: GR helper with the N bit and LLGR (FIELD-NOTES), IPv4
/// and IPv6 unicast, one neighbor.
pub fn gobgp_config(n: &GobgpNeighbor) -> String {
    let addr = n.addr.unwrap_or(IpAddr::V4(OURS_V4));
    let mut s = format!(
        r#"[global.config]
  as = {THEIR_ASN}
  router-id = "{THEIRS_V4}"
  port = {GOBGP_PORT}
[[neighbors]]
  [neighbors.config]
    neighbor-address = "{addr}"
    peer-as = {OUR_ASN}
"#
    );
    if let Some(p) = n.password {
        s += &format!("    auth-password = \"{p}\"\n");
    }
    if n.active {
        s += &format!("  [neighbors.transport.config]\n    remote-port = {OUR_PORT}\n");
        s += "  [neighbors.timers.config]\n    connect-retry = 1\n";
    } else {
        s += "  [neighbors.transport.config]\n    passive-mode = true\n";
    }
    if n.ttl_security {
        s += "  [neighbors.ttl-security.config]\n    enabled = true\n    ttl-min = 255\n";
    }
    s += r#"  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
    notification-enabled = true
    long-lived-enabled = true
"#;
    for family in ["ipv4-unicast", "ipv6-unicast"] {
        s += &format!(
            r#"  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "{family}"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
    [neighbors.afi-safis.long-lived-graceful-restart.config]
      enabled = true
      restart-time = 3600
"#
        );
    }
    s
}

/// A kernel TCP counter of `ns` (`nstat -asz`, without touching nstat's
/// history file).
pub fn nstat(ns: &NetNs, counter: &str) -> Result<u64> {
    let out = ns.run(&["nstat", "-asz", counter])?;
    out.lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some(counter)).then(|| f.next()?.parse().ok())?
        })
        .ok_or_else(|| anyhow!("{counter} not in: {out}"))
}

/// The names of the capabilities gobgpd received from us.
pub fn remote_caps(n: &Value) -> Vec<String> {
    n["state"]["remote_cap"]
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
