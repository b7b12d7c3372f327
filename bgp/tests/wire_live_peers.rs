//! The codec against real peers: gobgpd 3.10 and BIRD 2.0 run in a
//! network namespace joined by a veth pair to a second namespace where this
//! test speaks BGP over a plain TcpStream. It decodes their OPEN, UPDATEs
//! and End-of-RIBs, then announces prefixes packed by `UpdatePacker` and
//! checks the peer accepted every one. Run with `--nocapture` to print the
//! frames as hex (that is how `wire_captured.rs` got its constants).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use mpwan_bgp::wire::*;
use mpwan_lab::wait::{DEADLINE, until};
use mpwan_lab::{LabChild, NetNs, run_id, skip_without_netns};

const OUR_ASN: u32 = 65001;
const PEER_ASN: u32 = 65000;

/// Two namespaces joined by a veth pair: the peer daemon at 192.0.2.2 /
/// 2001:db8::2, this test at 192.0.2.1 / 2001:db8::1.
struct Pair {
    peer: NetNs,
    us: NetNs,
    dir: PathBuf,
}

impl Pair {
    fn new() -> Result<Pair> {
        let id = run_id();
        let peer = NetNs::create(&id, "bgpcap-peer")?;
        let us = NetNs::create(&id, "bgpcap-us")?;
        peer.run(&[
            "ip",
            "link",
            "add",
            "vp",
            "type",
            "veth",
            "peer",
            "name",
            "vu",
            "netns",
            us.name(),
        ])?;
        for (ns, dev, v4, v6) in [
            (&peer, "vp", "192.0.2.2/24", "2001:db8::2/64"),
            (&us, "vu", "192.0.2.1/24", "2001:db8::1/64"),
        ] {
            ns.run(&["ip", "addr", "add", v4, "dev", dev])?;
            ns.run(&["ip", "-6", "addr", "add", v6, "dev", dev, "nodad"])?;
            ns.run(&["ip", "link", "set", dev, "up"])?;
        }
        let dir = std::env::temp_dir().join(format!("mpwan-bgpcap-{id}"));
        std::fs::create_dir_all(&dir)?;
        Ok(Pair { peer, us, dir })
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A BGP connection driven by hand.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    negotiated: Negotiated,
    /// Every frame received, for printing.
    frames: Vec<Vec<u8>>,
}

impl Conn {
    fn connect(pair: &Pair) -> Result<Conn> {
        let stream = pair.us.enter(|| {
            until("the peer to accept on 192.0.2.2:179", DEADLINE, || {
                Ok(TcpStream::connect_timeout(
                    &"192.0.2.2:179".parse()?,
                    Duration::from_secs(2),
                )?)
            })
        })??;
        stream.set_read_timeout(Some(DEADLINE))?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
            negotiated: Negotiated::default(),
            frames: Vec::new(),
        })
    }

    fn send(&mut self, m: &Message) -> Result<()> {
        let bytes = m.to_bytes(&self.negotiated)?;
        self.stream.write_all(&bytes)?;
        Ok(())
    }

    fn recv(&mut self) -> Result<Message> {
        loop {
            if let Some(n) = Message::frame_len(&self.buf, &self.negotiated)?
                && self.buf.len() >= n
            {
                let frame: Vec<u8> = self.buf.drain(..n).collect();
                let m = Message::decode(&frame, &self.negotiated)?;
                self.frames.push(frame);
                return Ok(m);
            }
            let mut chunk = [0u8; 4096];
            let got = self
                .stream
                .read(&mut chunk)
                .context("reading from the peer")?;
            if got == 0 {
                bail!("the peer closed the connection");
            }
            self.buf
                .extend_from_slice(chunk.get(..got).unwrap_or_default());
        }
    }

    /// OPEN both ways and the first KEEPALIVE; returns the peer's OPEN.
    fn establish(&mut self, ours: &Open) -> Result<Open> {
        self.send(&Message::Open(ours.clone()))?;
        let Message::Open(theirs) = self.recv()? else {
            bail!("expected OPEN")
        };
        self.send(&Message::Keepalive)?;
        self.negotiated = Negotiated::from_opens(ours, &theirs);
        Ok(theirs)
    }

    /// Reads UPDATEs until End-of-RIB arrived for every family in `eor`,
    /// answering KEEPALIVEs.
    fn updates_until_eor(&mut self, mut eor: Vec<Family>) -> Result<Vec<Update>> {
        let mut updates = Vec::new();
        while !eor.is_empty() {
            match self.recv()? {
                Message::Update(u) => {
                    if let Some(f) = u.is_end_of_rib() {
                        eor.retain(|x| *x != f);
                    }
                    updates.push(u);
                }
                Message::Keepalive => {}
                other => bail!("unexpected {other:?}"),
            }
        }
        Ok(updates)
    }

    /// Reads until a NOTIFICATION, skipping KEEPALIVEs and UPDATEs.
    fn notification(&mut self) -> Result<Notification> {
        self.stream.set_read_timeout(Some(DEADLINE))?;
        loop {
            match self.recv()? {
                Message::Notification(n) => return Ok(n),
                Message::Keepalive | Message::Update(_) => {}
                other => bail!("unexpected {other:?}"),
            }
        }
    }

    fn print(&self, peer: &str) {
        for f in &self.frames {
            let hex: String = f.iter().map(|b| format!("{b:02x}")).collect();
            eprintln!("{peer} frame: {hex}");
        }
    }
}

fn our_open() -> Open {
    let both = [Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    let mut caps: Vec<Capability> = both.iter().map(|f| Capability::Multiprotocol(*f)).collect();
    caps.push(Capability::RouteRefresh);
    caps.push(Capability::GracefulRestart(GracefulRestart {
        restarting: false,
        notification: true,
        restart_time: 120,
        families: both
            .iter()
            .map(|f| GrFamily {
                family: *f,
                forwarding: true,
            })
            .collect(),
    }));
    caps.push(Capability::LongLivedGracefulRestart(
        both.iter()
            .map(|f| LlgrFamily {
                family: *f,
                forwarding: true,
                stale_time: 3600,
            })
            .collect(),
    ));
    Open::new(OUR_ASN, 90, Ipv4Addr::new(192, 0, 2, 1), caps)
}

fn our_attributes() -> Attributes {
    Attributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::from_sequence([OUR_ASN])),
        communities: vec![Community::new(65001, 42)],
        large_communities: vec![LargeCommunity {
            global: 65001,
            local1: 1,
            local2: 2,
        }],
        med: Some(5),
        ..Attributes::default()
    }
}

/// `count` distinct /24s in 100.64.0.0/10, or /64s in 2001:db8:100::/40.
fn prefixes(v6: bool, count: u32) -> Vec<Prefix> {
    (0..count)
        .map(|i| {
            let s = if v6 {
                format!("2001:db8:1{:02x}:{:x}::/64", i >> 16, i & 0xffff)
            } else {
                format!("100.{}.{}.0/24", 64 + (i >> 8), i & 0xff)
            };
            s.parse().expect("generated prefix")
        })
        .collect()
}

/// Announces 2000 IPv4 and 300 IPv6 prefixes in packed UPDATEs, then our
/// End-of-RIBs.
fn announce(conn: &mut Conn) -> Result<usize> {
    let mut packer = UpdatePacker::new(conn.negotiated);
    let mut out = Vec::new();
    let attrs = our_attributes();
    let mut messages = packer.announce(
        &attrs,
        &MpNextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
        &prefixes(false, 2000),
        &mut out,
    )?;
    let v6_nh = MpNextHop::V6 {
        global: "2001:db8::1".parse()?,
        link_local: None,
    };
    messages += packer.announce(&attrs, &v6_nh, &prefixes(true, 300), &mut out)?;
    for f in [Family::IPV4_UNICAST, Family::IPV6_UNICAST] {
        Message::Update(Update::end_of_rib(f)).encode(&conn.negotiated, &mut out)?;
    }
    conn.stream.write_all(&out)?;
    Ok(messages)
}

/// Keeps the session up (answers nothing, just drains) while `check`
/// polls the peer's view.
fn wait_while_draining(
    conn: &mut Conn,
    what: &str,
    mut check: impl FnMut() -> Result<()>,
) -> Result<()> {
    conn.stream
        .set_read_timeout(Some(Duration::from_millis(50)))?;
    let r = until(what, DEADLINE, || {
        let mut chunk = [0u8; 4096];
        let _ = conn.stream.read(&mut chunk);
        conn.send(&Message::Keepalive)?;
        check()
    });
    conn.stream.set_read_timeout(Some(DEADLINE))?;
    r
}

const GOBGPD_TOML: &str = r#"
[global.config]
  as = 65000
  router-id = "192.0.2.2"
  port = 179
  local-address-list = ["192.0.2.2"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "192.0.2.1"
    peer-as = 65001
  [neighbors.transport.config]
    passive-mode = true
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
    notification-enabled = true
    long-lived-enabled = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
    [neighbors.afi-safis.long-lived-graceful-restart.config]
      enabled = true
      restart-time = 3600
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
    [neighbors.afi-safis.long-lived-graceful-restart.config]
      enabled = true
      restart-time = 3600
"#;

#[test]
fn gobgpd_open_updates_and_our_packed_announcements() {
    if skip_without_netns("gobgpd_open_updates_and_our_packed_announcements") {
        return;
    }
    run_gobgpd().expect("gobgpd interop");
}

fn run_gobgpd() -> Result<()> {
    let pair = Pair::new()?;
    let conf = pair.dir.join("gobgpd.toml");
    std::fs::write(&conf, GOBGPD_TOML)?;
    let conf = conf.to_string_lossy().into_owned();
    let mut cmd = pair.peer.command("gobgpd");
    cmd.args([
        "-f",
        &conf,
        "-p",
        "--pprof-disable",
        "--api-hosts",
        "127.0.0.1:50051",
    ]);
    let daemon = LabChild::spawn_logged(cmd, "gobgpd", &pair.dir.join("gobgpd.log"))?;
    let gobgp = |args: &[&str]| {
        let mut all = vec!["gobgp"];
        all.extend_from_slice(args);
        pair.peer.run(&all)
    };
    until("gobgpd to answer its API", DEADLINE, || gobgp(&["global"]))?;
    gobgp(&[
        "global",
        "rib",
        "add",
        "-a",
        "ipv4",
        "10.10.0.0/24",
        "med",
        "10",
        "community",
        "65000:100",
        "large-community",
        "65000:1:2",
    ])?;
    gobgp(&[
        "global",
        "rib",
        "add",
        "-a",
        "ipv6",
        "2001:db8:10::/48",
        "nexthop",
        "2001:db8::2",
    ])?;

    let mut conn = Conn::connect(&pair)?;
    let ours = our_open();
    let theirs = conn.establish(&ours).with_context(|| daemon.log())?;
    let updates = conn.updates_until_eor(vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST])?;
    conn.print("gobgpd 3.10.0");

    assert_eq!(theirs.asn(), PEER_ASN);
    assert_eq!(theirs.bgp_id, Ipv4Addr::new(192, 0, 2, 2));
    assert_eq!(
        theirs.families(),
        [Family::IPV4_UNICAST, Family::IPV6_UNICAST]
    );
    let gr = theirs.graceful_restart().context("gobgpd sends GR")?;
    assert!(gr.notification, "N bit (notification-enabled)");
    assert_eq!(gr.restart_time, 120);
    let llgr = theirs.long_lived_gr().context("gobgpd sends LLGR")?;
    assert!(llgr.iter().all(|f| f.stale_time == 3600));
    assert!(conn.negotiated.four_octet_as);

    let v4 = updates
        .iter()
        .find(|u| !u.nlri.is_empty())
        .context("an IPv4 UPDATE")?;
    assert_eq!(v4.nlri, ["10.10.0.0/24".parse::<Prefix>()?]);
    assert_eq!(v4.attributes.med, Some(10));
    assert_eq!(v4.attributes.communities, [Community::new(65000, 100)]);
    assert_eq!(
        v4.attributes.as_path,
        Some(AsPath::from_sequence([PEER_ASN]))
    );
    let v6 = updates
        .iter()
        .find_map(|u| u.mp_reach.as_ref())
        .context("an IPv6 UPDATE")?;
    assert_eq!(v6.nlri.prefixes(), ["2001:db8:10::/48".parse::<Prefix>()?]);

    let messages = announce(&mut conn)?;
    assert!(
        messages <= 4,
        "2000 /24s and 300 /64s fit in few messages, got {messages}"
    );
    wait_while_draining(&mut conn, "gobgpd to hold all our prefixes", || {
        for (family, want) in [("ipv4", 2000), ("ipv6", 300)] {
            let out = gobgp(&["neighbor", "192.0.2.1", "adj-in", "-a", family])?;
            let got = out
                .lines()
                .filter(|l| l.contains("65001") && l.contains("42"))
                .count();
            if got != want {
                bail!("{family}: {got} of {want}");
            }
        }
        Ok(())
    })
    .with_context(|| daemon.log())?;

    gobgp(&[
        "neighbor",
        "192.0.2.1",
        "shutdown",
        "--reason",
        "mpwan test",
    ])?;
    let n = conn.notification()?;
    eprintln!("gobgpd 3.10.0 shutdown: {n}");
    conn.frames.drain(..conn.frames.len().saturating_sub(1));
    conn.print("gobgpd 3.10.0");
    // Observed: gobgpd 3.10 sends it bare, not wrapped in Hard Reset,
    // although the N bit was negotiated.
    assert_eq!(
        n.code,
        ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)
    );
    assert_eq!(n.shutdown_message().as_deref(), Some("mpwan test"));
    drop(daemon);
    Ok(())
}

const BIRD_CONF: &str = r#"
router id 192.0.2.2;
protocol device {}
protocol static s4 { ipv4; route 10.20.0.0/24 blackhole; }
protocol static s6 { ipv6; route 2001:db8:20::/48 blackhole; }
protocol bgp agent {
  local 192.0.2.2 as 65000;
  neighbor 192.0.2.1 as 65001;
  passive on;
  graceful restart on;
  long lived graceful restart on;
  long lived stale time 3600;
  ipv4 { import all; export all; };
  ipv6 { import all; export all; next hop address 2001:db8::2; };
}
"#;

#[test]
fn bird_open_updates_and_our_packed_announcements() {
    if skip_without_netns("bird_open_updates_and_our_packed_announcements") {
        return;
    }
    run_bird().expect("bird interop");
}

fn run_bird() -> Result<()> {
    let pair = Pair::new()?;
    let conf = pair.dir.join("bird.conf");
    std::fs::write(&conf, BIRD_CONF)?;
    let conf = conf.to_string_lossy().into_owned();
    let ctl = pair.dir.join("bird.ctl").to_string_lossy().into_owned();
    let mut cmd = pair.peer.command("bird");
    cmd.args(["-f", "-c", &conf, "-s", &ctl]);
    let daemon = LabChild::spawn_logged(cmd, "bird", &pair.dir.join("bird.log"))?;
    let birdc = |args: &[&str]| {
        let mut all = vec!["birdc", "-s", &ctl];
        all.extend_from_slice(args);
        pair.peer.run(&all)
    };
    until("bird to answer birdc", DEADLINE, || {
        birdc(&["show", "status"])
    })?;

    let mut conn = Conn::connect(&pair)?;
    let ours = our_open();
    let theirs = conn.establish(&ours).with_context(|| daemon.log())?;
    let updates = conn.updates_until_eor(vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST])?;
    conn.print("BIRD 2.0.12");

    assert_eq!(theirs.asn(), PEER_ASN);
    assert_eq!(
        theirs.families(),
        [Family::IPV4_UNICAST, Family::IPV6_UNICAST]
    );
    let gr = theirs.graceful_restart().context("BIRD sends GR")?;
    assert!(!gr.notification, "BIRD 2.0 has no RFC 8538");
    let llgr = theirs.long_lived_gr().context("BIRD sends LLGR")?;
    assert!(llgr.iter().all(|f| f.stale_time == 3600));
    assert!(conn.negotiated.four_octet_as);
    let v4 = updates
        .iter()
        .find(|u| !u.nlri.is_empty())
        .context("an IPv4 UPDATE")?;
    assert_eq!(v4.nlri, ["10.20.0.0/24".parse::<Prefix>()?]);
    let v6 = updates
        .iter()
        .find_map(|u| u.mp_reach.as_ref())
        .context("an IPv6 UPDATE")?;
    assert_eq!(v6.nlri.prefixes(), ["2001:db8:20::/48".parse::<Prefix>()?]);

    announce(&mut conn)?;
    wait_while_draining(&mut conn, "BIRD to hold all our prefixes", || {
        let out = birdc(&["show", "route", "protocol", "agent", "count"])?;
        // The count covers the tables: our 2300 plus BIRD's own 2 statics.
        if !out.contains("Total: 2300 of 2302 routes") {
            bail!("{}", out.trim());
        }
        Ok(())
    })
    .with_context(|| daemon.log())?;

    birdc(&["disable", "agent", "\"mpwan test\""])?;
    let n = conn.notification()?;
    eprintln!("BIRD 2.0.12 shutdown: {n}");
    conn.frames.drain(..conn.frames.len().saturating_sub(1));
    conn.print("BIRD 2.0.12");
    assert_eq!(
        n.code,
        ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)
    );
    assert_eq!(n.shutdown_message().as_deref(), Some("mpwan test"));
    drop(daemon);
    Ok(())
}
