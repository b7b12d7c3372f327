//! How one peer's TCP connections are made: the port, the source address,
//! TCP MD5 and GTSM, applied to outbound sockets before `connect` and to
//! inbound ones as soon as they are handed over.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};

use super::error::DriverError;
use super::sockopt::{set_gtsm, set_md5};

/// The TCP side of one neighbor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportConfig {
    /// The source address of outbound connections (None: the kernel's
    /// choice).
    pub local_addr: Option<IpAddr>,
    /// The peer's BGP port (179 in production).
    pub port: u16,
    /// The TCP MD5 password (RFC 2385), at most 80 bytes.
    pub md5_password: Option<String>,
    /// GTSM (RFC 5082): the peer is at most this many hops away (1:
    /// directly connected). We send with TTL 255 and drop what arrives
    /// below 256 - hops.
    pub ttl_security: Option<u8>,
    /// RFC 9687's send hold time: a connection on which nothing could be
    /// written for this long is closed, so a peer that stops reading
    /// cannot make us queue updates without end (the hold timer does not
    /// catch it while the peer keeps sending KEEPALIVEs, nor with a hold
    /// time of 0). None: the RFC's value, the larger of 8 minutes and
    /// twice the hold time.
    pub send_hold_time: Option<Duration>,
}

/// RFC 9687 6: at least 8 minutes.
const SEND_HOLD_MIN: Duration = Duration::from_secs(8 * 60);

impl TransportConfig {
    /// The send hold time for a session whose configured hold time is
    /// `hold_time` (the negotiated one is never longer).
    pub fn send_hold(&self, hold_time: Duration) -> Duration {
        self.send_hold_time
            .unwrap_or_else(|| SEND_HOLD_MIN.max(hold_time.saturating_mul(2)))
    }

    /// Checks the password length and the hop count once, up front.
    pub fn validate(&self) -> Result<(), DriverError> {
        if let Some(p) = &self.md5_password
            && p.len() > super::sockopt::MD5_MAX_KEY_LEN
        {
            return Err(DriverError::Md5KeyTooLong(p.len()));
        }
        if self.ttl_security == Some(0) {
            return Err(DriverError::TtlSecurityHops);
        }
        Ok(())
    }

    /// A socket for connecting to `peer`, with MD5 and GTSM set (they must
    /// be set before the SYN leaves).
    fn socket(&self, peer: IpAddr) -> Result<TcpSocket, DriverError> {
        let sock = match peer {
            IpAddr::V4(_) => TcpSocket::new_v4(),
            IpAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(|e| DriverError::Io("creating a socket", e))?;
        if let Some(p) = &self.md5_password {
            set_md5(&sock, peer, p)?;
        }
        if let Some(hops) = self.ttl_security {
            set_gtsm(&sock, peer.is_ipv6(), hops)?;
        }
        if let Some(local) = self.local_addr {
            sock.bind(SocketAddr::new(local, 0))
                .map_err(|e| DriverError::Io("binding the source address", e))?;
        }
        Ok(sock)
    }

    /// Connects to `peer` (no timeout of its own: the session gives up
    /// the attempt with `AbortConnect`).
    pub async fn connect(&self, peer: IpAddr) -> Result<TcpStream, DriverError> {
        let sock = self.socket(peer)?;
        let stream = sock
            .connect(SocketAddr::new(peer, self.port))
            .await
            .map_err(|e| DriverError::Io("connecting", e))?;
        stream
            .set_nodelay(true)
            .map_err(|e| DriverError::Io("TCP_NODELAY", e))?;
        Ok(stream)
    }

    /// Applies GTSM to a connection the listener accepted (the listener
    /// already checked MD5: the kernel refuses unsigned segments from a
    /// peer with a key).
    pub fn adopt(&self, stream: &TcpStream, peer: IpAddr) -> Result<(), DriverError> {
        if let Some(hops) = self.ttl_security {
            set_gtsm(stream, peer.is_ipv6(), hops)?;
        }
        stream
            .set_nodelay(true)
            .map_err(|e| DriverError::Io("TCP_NODELAY", e))
    }
}
