//! Framing in the driver against a scripted peer (a plain TCP server in
//! the peer's namespace): an OPEN delivered one byte at a time is
//! reassembled, a header with a broken marker gets the RFC 4271 6.1
//! NOTIFICATION out before the connection closes, and a peer that stops
//! reading is dropped when the send hold timer (RFC 9687) expires.

mod driver_support;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use driver_support::*;
use mpwan_bgp::driver::{PeerCommand, PeerEvent, TransportConfig};
use mpwan_bgp::session::DownReason;
use mpwan_bgp::wire::{ErrorCode, HeaderSubcode, Message, Negotiated};

/// An OPEN without capabilities: version 4, AS 65000, hold 90 s, id
/// 10.0.0.2.
fn open_frame() -> Vec<u8> {
    let mut f = vec![0xff; 16];
    f.extend([0, 29, 1, 4, 0xfd, 0xe8, 0, 90, 10, 0, 0, 2, 0]);
    f
}

/// A KEEPALIVE.
fn keepalive_frame() -> Vec<u8> {
    let mut f = vec![0xff; 16];
    f.extend([0, 19, 4]);
    f
}

/// Reads one whole message from `s`.
fn read_frame(s: &mut std::net::TcpStream) -> Result<Vec<u8>> {
    let mut head = [0u8; 19];
    s.read_exact(&mut head)?;
    let len = usize::from(u16::from_be_bytes([head[16], head[17]]));
    let mut frame = head.to_vec();
    frame.resize(len.max(19), 0);
    s.read_exact(&mut frame[19..])?;
    Ok(frame)
}

#[test]
fn a_trickled_open_is_framed_and_a_bad_marker_gets_its_notification() -> Result<()> {
    if mpwan_lab::skip_without_netns("a_trickled_open_is_framed") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let server = pair
        .theirs
        .spawn_thread("scripted-peer", move || -> Result<Vec<u8>> {
            let l = TcpListener::bind(SocketAddr::new(IpAddr::V4(THEIRS_V4), GOBGP_PORT))?;
            let _ = ready_tx.send(());
            let (mut s, _) = l.accept()?;
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            s.set_nodelay(true)?;
            let ours = read_frame(&mut s)?;
            if ours.get(18) != Some(&1) {
                bail!("first message is no OPEN: {ours:?}");
            }
            for b in open_frame() {
                s.write_all(&[b])?;
            }
            s.write_all(&keepalive_frame())?;
            // Our KEEPALIVE confirms the OPEN; then the bad marker.
            let confirm = read_frame(&mut s)?;
            let mut bad = keepalive_frame();
            bad[0] = 0;
            s.write_all(&bad)?;
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).context("reading to EOF")?;
            let mut all = confirm;
            all.extend(rest);
            Ok(all)
        })?;
    ready_rx.recv().context("scripted peer did not start")?;

    let transport = TransportConfig {
        port: GOBGP_PORT,
        ..TransportConfig::default()
    };
    let mut peer = pair.start_peer(our_config(IpAddr::V4(THEIRS_V4)), transport)?;
    let neg = peer.wait_event("Established", |e| match e {
        PeerEvent::Established(n) => Some(n.clone()),
        _ => None,
    })?;
    assert_eq!(neg.peer_asn, 65000);
    let reason = peer.wait_event("Down", |e| match e {
        PeerEvent::Down { reason, .. } => Some(reason.clone()),
        _ => None,
    })?;
    let sent = reason.notification().context("a NOTIFICATION")?.clone();
    assert!(
        matches!(reason, DownReason::NotificationSent(_)),
        "{reason:?}"
    );
    assert_eq!(
        sent.code,
        ErrorCode::MessageHeader(HeaderSubcode::ConnectionNotSynchronized)
    );

    let bytes = server
        .join()
        .map_err(|_| anyhow::anyhow!("scripted peer panicked"))???;
    // What reached the wire: our KEEPALIVE, then that NOTIFICATION.
    let codec = Negotiated::default();
    let mut at = 0;
    let mut got = Vec::new();
    while at < bytes.len() {
        let len = Message::frame_len(&bytes[at..], &codec)?.context("whole frames")?;
        got.push(Message::decode(&bytes[at..at + len], &codec)?);
        at += len;
    }
    assert_eq!(got, vec![Message::Keepalive, Message::Notification(sent)]);
    peer.finish()
}

#[test]
fn a_peer_that_stops_reading_is_dropped_when_the_send_hold_timer_expires() -> Result<()> {
    if mpwan_lab::skip_without_netns("a_peer_that_stops_reading_is_dropped") {
        return Ok(());
    }
    let pair = Pair::new()?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let server = pair
        .theirs
        .spawn_thread("silent-peer", move || -> Result<()> {
            let l = TcpListener::bind(SocketAddr::new(IpAddr::V4(THEIRS_V4), GOBGP_PORT))?;
            let _ = ready_tx.send(());
            let (mut s, _) = l.accept()?;
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            read_frame(&mut s)?;
            s.write_all(&open_frame())?;
            s.write_all(&keepalive_frame())?;
            read_frame(&mut s)?;
            // Established; from now on nothing is read. The socket stays
            // open until the test is done.
            let _ = done_rx.recv_timeout(Duration::from_secs(60));
            Ok(())
        })?;
    ready_rx.recv().context("silent peer did not start")?;

    let transport = TransportConfig {
        port: GOBGP_PORT,
        send_hold_time: Some(Duration::from_secs(1)),
        ..TransportConfig::default()
    };
    let mut peer = pair.start_peer(our_config(IpAddr::V4(THEIRS_V4)), transport)?;
    peer.wait_event("Established", |e| match e {
        PeerEvent::Established(_) => Some(()),
        _ => None,
    })?;
    // More than both sockets' buffers hold: the writer blocks for good.
    let keepalives: Vec<u8> = keepalive_frame().repeat(64 * 1024);
    for _ in 0..32 {
        peer.send(PeerCommand::SendRaw(keepalives.clone()))?;
    }
    let reason = peer.wait_event("Down", |e| match e {
        PeerEvent::Down { reason, .. } => Some(reason.clone()),
        _ => None,
    })?;
    assert_eq!(reason, DownReason::TcpClosed, "{reason:?}");
    let _ = done_tx.send(());
    server
        .join()
        .map_err(|_| anyhow::anyhow!("silent peer panicked"))???;
    peer.finish()
}
