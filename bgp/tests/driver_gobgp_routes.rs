//! Routes both ways through the driver against gobgpd: an UPDATE frame
//! from the announcer (`SendRaw`) and one as a message (`Send`) reach
//! gobgpd's RIB, gobgpd's route reaches our Adj-RIB-In (`RibChanged`), a
//! graceful stop leaves our routes stale at gobgpd, and keepalives keep a
//! 3 s hold time session up past its hold time.

mod driver_support;

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Result, bail};
use driver_support::*;
use mpwan_bgp::driver::{PeerCommand, PeerEvent, TransportConfig};
use mpwan_bgp::session::{DownReason, StopKind};
use mpwan_bgp::wire::{
    AsPath, Attributes, Family, Message, MpNextHop, Origin, Prefix, Update, UpdatePacker,
};
use mpwan_lab::wait;
use serde_json::Value;

fn transport() -> TransportConfig {
    TransportConfig {
        port: GOBGP_PORT,
        ..TransportConfig::default()
    }
}

fn attributes() -> Attributes {
    Attributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::from_sequence([OUR_ASN])),
        ..Attributes::default()
    }
}

/// gobgpd's path for `prefix` in its global RIB, if any.
fn gobgp_path(pair: &Pair, prefix: &str) -> Result<Option<Value>> {
    let out = pair
        .theirs
        .run(&["gobgp", "-j", "global", "rib", "-a", "ipv4"])?;
    let rib: Value = serde_json::from_str(&out)?;
    Ok(rib[prefix]
        .as_array()
        .and_then(|paths| paths.first().cloned()))
}

#[test]
fn routes_flow_both_ways_and_a_graceful_stop_leaves_ours_stale() -> Result<()> {
    if mpwan_lab::skip_without_netns("routes_flow_both_ways") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor::default()))?;
    let mut peer = pair.start_peer(our_config(IpAddr::V4(THEIRS_V4)), transport())?;
    let neg = peer.wait_event("Established", |e| match e {
        PeerEvent::Established(n) => Some(n.clone()),
        _ => None,
    })?;

    // One route as a packed frame, one as a message.
    let first: Prefix = "198.51.100.0/24".parse()?;
    let second: Prefix = "192.0.2.0/24".parse()?;
    let mut frames = Vec::new();
    UpdatePacker::new(neg.wire).announce(
        &attributes(),
        &MpNextHop::V4(OURS_V4),
        &[first],
        &mut frames,
    )?;
    peer.send(PeerCommand::SendRaw(frames))?;
    let mut attrs = attributes();
    attrs.next_hop = Some(OURS_V4);
    peer.send(PeerCommand::Send(vec![Message::Update(Update {
        attributes: attrs,
        nlri: vec![second],
        ..Update::default()
    })]))?;
    peer.send(PeerCommand::RoutesReady(Family::IPV4_UNICAST))?;
    peer.send(PeerCommand::RoutesReady(Family::IPV6_UNICAST))?;
    for p in ["198.51.100.0/24", "192.0.2.0/24"] {
        wait::until(
            &format!("{p} at gobgpd"),
            SESSION_DEADLINE,
            || match gobgp_path(&pair, p)? {
                Some(_) => Ok(()),
                None => bail!("not yet"),
            },
        )?;
    }

    // gobgpd's route arrives in our Adj-RIB-In.
    pair.theirs.run(&[
        "gobgp",
        "global",
        "rib",
        "add",
        "203.0.113.0/24",
        "-a",
        "ipv4",
    ])?;
    peer.wait_event("RibChanged", |e| {
        matches!(e, PeerEvent::RibChanged).then_some(())
    })?;
    wait::until("one IPv4 route received", SESSION_DEADLINE, || {
        let status = peer.status()?;
        let v4 = status
            .received
            .iter()
            .find(|c| c.family == Family::IPV4_UNICAST)
            .map(|c| c.routes);
        if v4 == Some(1) {
            Ok(())
        } else {
            bail!("{:?}", status.received)
        }
    })?;

    // A graceful stop: no NOTIFICATION, gobgpd helps and keeps ours stale.
    peer.send(PeerCommand::Stop(StopKind::Graceful))?;
    let (reason, keeps) = peer.wait_event("Down", |e| match e {
        PeerEvent::Down {
            reason,
            peer_keeps_routes,
            ..
        } => Some((reason.clone(), *peer_keeps_routes)),
        _ => None,
    })?;
    assert_eq!(reason, DownReason::Stopped(StopKind::Graceful));
    assert!(keeps, "gobgpd helps with GR");
    wait::until(
        "our route stale at gobgpd",
        SESSION_DEADLINE,
        || match gobgp_path(&pair, "198.51.100.0/24")? {
            Some(p) if p["stale"] == Value::Bool(true) => Ok(()),
            other => bail!("{other:?}"),
        },
    )?;
    peer.finish()
}

#[test]
fn keepalives_hold_a_three_second_session_up() -> Result<()> {
    if mpwan_lab::skip_without_netns("keepalives_hold_a_three_second_session_up") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor::default()))?;
    let mut cfg = our_config(IpAddr::V4(THEIRS_V4));
    cfg.hold_time = Duration::from_secs(3);
    let mut peer = pair.start_peer(cfg, transport())?;
    let neg = peer.wait_event("Established", |e| match e {
        PeerEvent::Established(n) => Some(n.clone()),
        _ => None,
    })?;
    assert_eq!(neg.hold_time, 3);
    pair.wait_gobgp_established(IpAddr::V4(OURS_V4))?;
    // A keepalive a second: five of them span more than the hold time,
    // and the session must be up all along at both ends.
    wait::until("five keepalives at gobgpd", SESSION_DEADLINE, || {
        let n = pair.neighbor(IpAddr::V4(OURS_V4))?;
        let state = n["state"]["session_state"].as_u64();
        if state != Some(GOBGP_ESTABLISHED) {
            return Err(anyhow::anyhow!(wait::Hopeless(format!(
                "gobgpd left established: {n}"
            ))));
        }
        let k = n["state"]["messages"]["received"]["keepalive"]
            .as_u64()
            .unwrap_or(0);
        if k >= 5 {
            Ok(())
        } else {
            bail!("{k} keepalives")
        }
    })?;
    while let Ok(e) = peer.events.try_recv() {
        assert!(!matches!(e, PeerEvent::Down { .. }), "{e:?}");
    }
    peer.finish()
}
