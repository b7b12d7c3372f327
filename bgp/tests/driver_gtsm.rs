//! GTSM (RFC 5082) against gobgpd's `ttl-security`: with ttl_security = 1
//! a directly connected peer that sends TTL 255 works; one that does not
//! is dropped by the kernel (TCPMinTTLDrop) and never gets up.

mod driver_support;

use std::net::IpAddr;

use anyhow::{Result, bail};
use driver_support::*;
use mpwan_bgp::driver::{PeerEvent, TransportConfig};
use mpwan_lab::wait;

fn transport() -> TransportConfig {
    TransportConfig {
        port: GOBGP_PORT,
        ttl_security: Some(1),
        ..TransportConfig::default()
    }
}

fn gtsm_session(peer_addr: IpAddr, our_addr: IpAddr) -> Result<()> {
    let pair = Pair::new()?;
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor {
        addr: Some(our_addr),
        ttl_security: true,
        ..GobgpNeighbor::default()
    }))?;
    let drops_before = nstat(&pair.ours, "TcpExtTCPMinTTLDrop")?;
    let mut peer = pair.start_peer(our_config(peer_addr), transport())?;
    peer.wait_event("Established", |e| {
        matches!(e, PeerEvent::Established(_)).then_some(())
    })?;
    pair.wait_gobgp_established(our_addr)?;
    assert_eq!(nstat(&pair.ours, "TcpExtTCPMinTTLDrop")?, drops_before);
    peer.finish()
}

#[test]
fn gtsm_one_hop_ipv4_establishes() -> Result<()> {
    if mpwan_lab::skip_without_netns("gtsm_one_hop_ipv4_establishes") {
        return Ok(());
    }
    gtsm_session(IpAddr::V4(THEIRS_V4), IpAddr::V4(OURS_V4))
}

#[test]
fn gtsm_one_hop_ipv6_establishes() -> Result<()> {
    if mpwan_lab::skip_without_netns("gtsm_one_hop_ipv6_establishes") {
        return Ok(());
    }
    gtsm_session(IpAddr::V6(THEIRS_V6), IpAddr::V6(OURS_V6))
}

#[test]
fn gtsm_drops_a_peer_that_does_not_send_ttl_255() -> Result<()> {
    if mpwan_lab::skip_without_netns("gtsm_drops_a_peer_that_does_not_send_ttl_255") {
        return Ok(());
    }
    let pair = Pair::new()?;
    // gobgpd without ttl-security sends with TTL 1 to a direct eBGP peer.
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor::default()))?;
    let mut peer = pair.start_peer(our_config(IpAddr::V4(THEIRS_V4)), transport())?;
    wait::until("TTL drops at our end", SESSION_DEADLINE, || {
        match nstat(&pair.ours, "TcpExtTCPMinTTLDrop")? {
            0 => bail!("no drop yet"),
            _ => Ok(()),
        }
    })?;
    assert!(pair.gobgp_state(IpAddr::V4(OURS_V4))? != GOBGP_ESTABLISHED);
    while let Ok(e) = peer.events.try_recv() {
        assert!(!matches!(e, PeerEvent::Established(_)), "{e:?}");
    }
    peer.finish()
}
