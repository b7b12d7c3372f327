//! The listener: gobgpd connects to us (we are passive) through the
//! listening socket's TCP MD5 key and the connection reaches our peer
//! task; an address that is no peer of ours is closed at once; port 0
//! does not listen.

mod driver_support;

use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use driver_support::*;
use mpwan_bgp::driver::{Listener, PeerEvent, TransportConfig};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, socket};

#[test]
fn gobgpd_connects_to_our_listener_with_md5() -> Result<()> {
    if mpwan_lab::skip_without_netns("gobgpd_connects_to_our_listener_with_md5") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor {
        password: Some("listen-key"),
        active: true,
        ..GobgpNeighbor::default()
    }))?;
    let mut cfg = our_config(IpAddr::V4(THEIRS_V4));
    cfg.passive = true;
    let transport = TransportConfig {
        port: GOBGP_PORT,
        md5_password: Some("listen-key".into()),
        ..TransportConfig::default()
    };
    let mut peer = pair.start_listening_peer(cfg, transport)?;
    let neg = peer.wait_event("Established", |e| match e {
        PeerEvent::Established(n) => Some(n.clone()),
        _ => None,
    })?;
    assert!(!neg.outbound, "we are passive: gobgpd connected");
    pair.wait_gobgp_established(IpAddr::V4(OURS_V4))?;
    assert_eq!(nstat(&pair.ours, "TcpExtTCPMD5Failure")?, 0);
    peer.finish()
}

#[test]
fn an_unknown_address_is_closed_at_once() -> Result<()> {
    if mpwan_lab::skip_without_netns("an_unknown_address_is_closed_at_once") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let mut cfg = our_config(IpAddr::V4(THEIRS_V4));
    cfg.passive = true;
    let peer = pair.start_listening_peer(cfg, TransportConfig::default())?;
    // From 10.0.0.3, an address on the peer's link that is no peer.
    let closed = pair.theirs.enter(|| -> Result<usize> {
        let fd = socket(
            AddressFamily::Inet,
            SockType::Stream,
            SockFlag::empty(),
            None,
        )?;
        bind(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            &SockaddrIn::from(std::net::SocketAddrV4::new(STRANGER_V4, 0)),
        )?;
        connect(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            &SockaddrIn::from(std::net::SocketAddrV4::new(OURS_V4, OUR_PORT)),
        )?;
        let mut s = TcpStream::from(fd);
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut buf = [0u8; 64];
        // EOF (or a reset) well before the timeout: the listener dropped it.
        match s.read(&mut buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(0),
            Err(e) => Err(e).context("reading"),
        }
    })??;
    if closed != 0 {
        bail!("{closed} bytes from a listener that should have closed");
    }
    // And the peer task saw nothing of it.
    let status = peer.status()?;
    assert!(
        status.peer_id.is_none() && status.last_error.is_none(),
        "{status:?}"
    );
    peer.finish()
}

#[test]
fn port_zero_does_not_listen() -> Result<()> {
    let listener = Listener::bind(0, vec![])?;
    assert!(listener.is_none());
    Ok(())
}

#[test]
fn the_listener_binds_both_families() -> Result<()> {
    if mpwan_lab::skip_without_netns("the_listener_binds_both_families") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let addrs = pair.ours.enter(|| -> Result<Vec<SocketAddr>> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async {
            let l = Listener::bind(OUR_PORT, vec![])?.context("listening")?;
            Ok(l.local_addrs())
        })
    })??;
    assert_eq!(addrs.len(), 2, "{addrs:?}");
    assert!(addrs.iter().any(SocketAddr::is_ipv4) && addrs.iter().any(SocketAddr::is_ipv6));
    Ok(())
}

fn passive_gtsm_peer(pair: &Pair) -> Result<driver_support::Peer> {
    let mut cfg = our_config(IpAddr::V4(THEIRS_V4));
    cfg.passive = true;
    let transport = TransportConfig {
        port: GOBGP_PORT,
        ttl_security: Some(1),
        ..TransportConfig::default()
    };
    pair.start_listening_peer(cfg, transport)
}

#[test]
fn the_listener_accepts_a_gtsm_peer_sending_ttl_255() -> Result<()> {
    if mpwan_lab::skip_without_netns("the_listener_accepts_a_gtsm_peer") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor {
        active: true,
        ttl_security: true,
        ..GobgpNeighbor::default()
    }))?;
    let mut peer = passive_gtsm_peer(&pair)?;
    peer.wait_event("Established", |e| {
        matches!(e, PeerEvent::Established(_)).then_some(())
    })?;
    pair.wait_gobgp_established(IpAddr::V4(OURS_V4))?;
    assert_eq!(nstat(&pair.ours, "TcpExtTCPMinTTLDrop")?, 0);
    peer.finish()
}

#[test]
fn the_listener_keeps_out_a_peer_below_the_gtsm_minimum() -> Result<()> {
    if mpwan_lab::skip_without_netns("the_listener_keeps_out_a_peer_below_the_gtsm_minimum") {
        return Ok(());
    }
    let pair = Pair::new()?;
    // Without ttl-security gobgpd sends TTL 1 to a direct eBGP peer.
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor {
        active: true,
        ..GobgpNeighbor::default()
    }))?;
    let mut peer = passive_gtsm_peer(&pair)?;
    mpwan_lab::wait::until(
        "SYNs dropped for their TTL",
        SESSION_DEADLINE,
        || match nstat(&pair.ours, "TcpExtTCPMinTTLDrop")? {
            0 => bail!("no drop yet"),
            _ => Ok(()),
        },
    )?;
    let status = peer.status()?;
    assert!(status.peer_id.is_none(), "no OPEN got through: {status:?}");
    while let Ok(e) = peer.events.try_recv() {
        assert!(!matches!(e, PeerEvent::Established(_)), "{e:?}");
    }
    peer.finish()
}
