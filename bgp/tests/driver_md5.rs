//! TCP MD5 (RFC 2385) against gobgpd's `auth-password`: the right
//! password establishes, a wrong one never does and the kernel counts the
//! bad signatures.

mod driver_support;

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Result, bail};
use driver_support::*;
use mpwan_bgp::driver::{PeerEvent, TransportConfig};
use mpwan_bgp::session::State;
use mpwan_lab::wait;

fn transport(password: &str) -> TransportConfig {
    TransportConfig {
        port: GOBGP_PORT,
        md5_password: Some(password.into()),
        ..TransportConfig::default()
    }
}

#[test]
fn md5_with_the_right_password_establishes() -> Result<()> {
    if mpwan_lab::skip_without_netns("md5_with_the_right_password_establishes") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor {
        password: Some("s3cret-key"),
        ..GobgpNeighbor::default()
    }))?;
    let failures_before = nstat(&pair.theirs, "TcpExtTCPMD5Failure")?;
    let mut peer = pair.start_peer(our_config(IpAddr::V4(THEIRS_V4)), transport("s3cret-key"))?;
    peer.wait_event("Established", |e| {
        matches!(e, PeerEvent::Established(_)).then_some(())
    })?;
    pair.wait_gobgp_established(IpAddr::V4(OURS_V4))?;
    assert_eq!(
        nstat(&pair.theirs, "TcpExtTCPMD5Failure")?,
        failures_before,
        "every segment verified"
    );
    peer.finish()
}

#[test]
fn md5_with_a_wrong_password_never_establishes() -> Result<()> {
    if mpwan_lab::skip_without_netns("md5_with_a_wrong_password_never_establishes") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let _gobgpd = pair.start_gobgpd(&gobgp_config(&GobgpNeighbor {
        password: Some("s3cret-key"),
        ..GobgpNeighbor::default()
    }))?;
    let mut peer = pair.start_peer(our_config(IpAddr::V4(THEIRS_V4)), transport("wrong-key"))?;
    // Our SYNs are dropped for their bad signature, again with each retry.
    wait::until(
        "MD5 failures at gobgpd's end",
        SESSION_DEADLINE,
        || match nstat(&pair.theirs, "TcpExtTCPMD5Failure")? {
            n if n >= 2 => Ok(()),
            n => bail!("{n} failures"),
        },
    )?;
    // The connect attempts time out (3 s each here) and are retried; none
    // gets anywhere.
    wait::until("a failed attempt", Duration::from_secs(10), || {
        match peer.status()?.last_error {
            Some(_) => Ok(()),
            None => bail!("no attempt failed yet"),
        }
    })?;
    let status = peer.status()?;
    assert!(
        matches!(status.state, State::Connect | State::Active),
        "{status:?}"
    );
    assert!(
        pair.gobgp_state(IpAddr::V4(OURS_V4))? != GOBGP_ESTABLISHED,
        "gobgpd must not be up"
    );
    while let Ok(e) = peer.events.try_recv() {
        assert!(!matches!(e, PeerEvent::Established(_)), "{e:?}");
    }
    peer.finish()
}
