//! The BGP listener: one socket per address family on `listen_port`,
//! with the TCP MD5 key of every configured peer, handing each accepted
//! connection to the task of the peer it comes from.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use nix::sys::socket::setsockopt;
use nix::sys::socket::sockopt::Ipv6V6Only;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::error::DriverError;
use super::peer::PeerCommand;
use super::sockopt::{set_gtsm, set_md5};

/// How many pending connections the kernel queues.
const BACKLOG: u32 = 64;

/// A configured peer as the listener sees it.
#[derive(Debug, Clone)]
pub struct ListenerPeer {
    /// The peer's address: connections from it go to `commands`.
    pub addr: IpAddr,
    /// Its TCP MD5 password, set on the listening socket for its address.
    pub md5_password: Option<String>,
    /// Its GTSM hop count (`TransportConfig::ttl_security`). When every
    /// peer of a family has one, the listening socket drops SYNs below the
    /// most permissive minimum; the peer task sets the peer's own minimum
    /// on the accepted connection.
    pub ttl_security: Option<u8>,
    /// Its peer task (the listener keeps only a weak reference).
    pub commands: mpsc::Sender<PeerCommand>,
}

/// The listening sockets and where accepted connections go.
#[derive(Debug)]
pub struct Listener {
    /// The IPv4 socket (0.0.0.0), when it could be bound.
    v4: Option<TcpListener>,
    /// The IPv6 socket ([::], IPv6 only), when the host has IPv6.
    v6: Option<TcpListener>,
    /// Peer tasks by peer address. Weak, so the listener does not keep a
    /// peer task alive: a peer task ends when the agent drops its sender.
    peers: HashMap<IpAddr, mpsc::WeakSender<PeerCommand>>,
}

impl Listener {
    /// Binds `port` on IPv4 and IPv6 with the peers' MD5 keys. Port 0
    /// means do not listen: Ok(None). Fails when neither family binds.
    pub fn bind(port: u16, peers: Vec<ListenerPeer>) -> Result<Option<Listener>, DriverError> {
        if port == 0 {
            return Ok(None);
        }
        let v4 = listen(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port, &peers);
        let v6 = listen(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port, &peers);
        let (v4, v6) = match (v4, v6) {
            (Err(e), Err(_)) => return Err(e),
            (v4, v6) => (
                v4.map_err(|e| warn!(error = %e, "no IPv4 listener")).ok(),
                v6.map_err(|e| warn!(error = %e, "no IPv6 listener")).ok(),
            ),
        };
        let peers = peers
            .into_iter()
            .map(|p| (p.addr.to_canonical(), p.commands.downgrade()))
            .collect();
        Ok(Some(Listener { v4, v6, peers }))
    }

    /// The addresses listened on.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        [&self.v4, &self.v6]
            .into_iter()
            .flatten()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Accepts until every peer task has ended. A connection from an
    /// address that is no configured peer is closed at once.
    pub async fn run(self) {
        loop {
            let accepted = tokio::select! {
                r = accept(self.v4.as_ref()) => r,
                r = accept(self.v6.as_ref()) => r,
            };
            let (stream, from) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and the like: the next accept may work.
                    warn!(error = %e, "accept failed");
                    continue;
                }
            };
            let addr = from.ip().to_canonical();
            let Some(peer) = self.peers.get(&addr) else {
                debug!(%from, "connection from an unknown address closed");
                continue;
            };
            let sent = match peer.upgrade() {
                Some(tx) => tx.send(PeerCommand::Inbound(stream)).await.is_ok(),
                None => false,
            };
            if !sent {
                debug!(%from, "peer task gone: connection closed");
                if self.peers.values().all(|p| p.strong_count() == 0) {
                    info!("every peer task ended: listener stops");
                    return;
                }
            }
        }
    }
}

/// Accepts on `l`, or waits forever when that family has no socket.
async fn accept(l: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match l {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// One listening socket on `any` with the keys of the peers of its family.
fn listen(any: IpAddr, port: u16, peers: &[ListenerPeer]) -> Result<TcpListener, DriverError> {
    let sock = match any {
        IpAddr::V4(_) => TcpSocket::new_v4(),
        IpAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(|e| DriverError::Io("creating the listening socket", e))?;
    if any.is_ipv6() {
        // Without it the IPv6 socket would take IPv4 too and the IPv4
        // bind would fail; and MD5 keys are per family.
        setsockopt(&sock, Ipv6V6Only, &true).map_err(|e| DriverError::SockOpt("IPV6_V6ONLY", e))?;
    }
    sock.set_reuseaddr(true)
        .map_err(|e| DriverError::Io("SO_REUSEADDR", e))?;
    for p in peers {
        let addr = p.addr.to_canonical();
        if let Some(pw) = &p.md5_password
            && addr.is_ipv6() == any.is_ipv6()
        {
            set_md5(&sock, addr, pw)?;
        }
    }
    let same_family = || {
        peers
            .iter()
            .filter(|p| p.addr.to_canonical().is_ipv6() == any.is_ipv6())
    };
    let all_gtsm =
        same_family().next().is_some() && same_family().all(|p| p.ttl_security.is_some());
    if all_gtsm && let Some(hops) = same_family().filter_map(|p| p.ttl_security).max() {
        // The largest hop count is the lowest minimum TTL: no peer's SYN
        // is dropped that its own setting would let through. TTL 255 on
        // the way out is inherited by accepted connections too.
        set_gtsm(&sock, any.is_ipv6(), hops)?;
    }
    sock.bind(SocketAddr::new(any, port))
        .map_err(|e| DriverError::Io("binding the listening socket", e))?;
    sock.listen(BACKLOG)
        .map_err(|e| DriverError::Io("listening", e))
}
