//! The driver against a real gobgpd (GR helper with the N bit and LLGR):
//! the session comes up over IPv4 and IPv6 with Graceful Restart and
//! Long-Lived GR negotiated as gobgpd reports it, and a Hard Reset stop
//! takes it down at gobgpd.

mod driver_support;

use std::net::IpAddr;

use anyhow::{Result, bail};
use driver_support::*;
use mpwan_bgp::driver::{PeerCommand, PeerEvent, TransportConfig};
use mpwan_bgp::session::{DownReason, State, StopKind};
use mpwan_bgp::wire::Family;
use mpwan_lab::wait;

fn transport() -> TransportConfig {
    TransportConfig {
        port: GOBGP_PORT,
        ..TransportConfig::default()
    }
}

#[test]
fn ipv4_session_negotiates_gr_and_llgr_then_hard_reset_takes_it_down() -> Result<()> {
    if mpwan_lab::skip_without_netns("ipv4_session_negotiates_gr_and_llgr") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor::default()))?;
    let mut peer = pair.start_peer(our_config(IpAddr::V4(THEIRS_V4)), transport())?;

    let neg = peer.wait_event("Established", |e| match e {
        PeerEvent::Established(n) => Some(n.clone()),
        _ => None,
    })?;
    assert!(neg.outbound, "gobgpd is passive: we connected");
    assert_eq!(neg.peer_asn, THEIR_ASN);
    assert_eq!(neg.peer_id, THEIRS_V4);
    assert_eq!(
        neg.families,
        vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]
    );
    assert!(neg.graceful_restart.negotiated, "{neg:?}");
    assert!(neg.graceful_restart.long_lived, "{neg:?}");
    assert!(neg.graceful_restart.notification, "{neg:?}");

    let n = pair.wait_gobgp_established(IpAddr::V4(OURS_V4))?;
    let caps = remote_caps(&n);
    for cap in [
        "GracefulRestartCapability",
        "LongLivedGracefulRestartCapability",
        "FourOctetASNCapability",
        "RouteRefreshCapability",
    ] {
        assert!(caps.iter().any(|c| c == cap), "{cap} missing from {caps:?}");
    }
    let mp = caps
        .iter()
        .filter(|c| *c == "MultiProtocolCapability")
        .count();
    assert_eq!(mp, 2, "IPv4 and IPv6 unicast: {caps:?}");

    // End-of-RIB once the (empty) tables are written: gobgpd counts it as
    // an UPDATE received.
    peer.send(PeerCommand::RoutesReady(Family::IPV4_UNICAST))?;
    peer.send(PeerCommand::RoutesReady(Family::IPV6_UNICAST))?;
    wait::until("two End-of-RIB at gobgpd", SESSION_DEADLINE, || {
        let n = pair.neighbor(IpAddr::V4(OURS_V4))?;
        let updates = n["state"]["messages"]["received"]["update"]
            .as_u64()
            .unwrap_or(0);
        if updates >= 2 {
            Ok(())
        } else {
            bail!("{updates} UPDATEs")
        }
    })?;
    let status = peer.status()?;
    assert_eq!(status.state, State::Established);
    assert_eq!(status.end_of_rib_sent.len(), 2, "{status:?}");

    peer.send(PeerCommand::Stop(StopKind::HardReset))?;
    let reason = peer.wait_event("Down", |e| match e {
        PeerEvent::Down { reason, .. } => Some(reason.clone()),
        _ => None,
    })?;
    assert_eq!(reason, DownReason::Stopped(StopKind::HardReset));
    wait::until(
        "gobgpd: down with our NOTIFICATION",
        SESSION_DEADLINE,
        || {
            let n = pair.neighbor(IpAddr::V4(OURS_V4))?;
            let state = n["state"]["session_state"].as_u64();
            let notifications = n["state"]["messages"]["received"]["notification"]
                .as_u64()
                .unwrap_or(0);
            if state != Some(GOBGP_ESTABLISHED) && notifications >= 1 {
                Ok(())
            } else {
                bail!("state {state:?}, {notifications} NOTIFICATIONs received")
            }
        },
    )?;
    assert_eq!(peer.status()?.state, State::Idle);
    peer.finish()
}

#[test]
fn ipv6_session_establishes() -> Result<()> {
    if mpwan_lab::skip_without_netns("ipv6_session_establishes") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor {
        addr: Some(IpAddr::V6(OURS_V6)),
        ..GobgpNeighbor::default()
    }))?;
    let mut peer = pair.start_peer(our_config(IpAddr::V6(THEIRS_V6)), transport())?;
    let neg = peer.wait_event("Established", |e| match e {
        PeerEvent::Established(n) => Some(n.clone()),
        _ => None,
    })?;
    assert!(neg.graceful_restart.negotiated && neg.graceful_restart.long_lived);
    let n = pair.wait_gobgp_established(IpAddr::V6(OURS_V6))?;
    assert!(
        remote_caps(&n)
            .iter()
            .any(|c| c == "LongLivedGracefulRestartCapability")
    );
    // Dropping the command channel stops the session (Hard Reset).
    peer.finish()?;
    wait::until("gobgpd: down", SESSION_DEADLINE, || {
        match pair.gobgp_state(IpAddr::V6(OURS_V6))? {
            GOBGP_ESTABLISHED => bail!("still established"),
            _ => Ok(()),
        }
    })
}
