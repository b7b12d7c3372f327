//! Sockets bound to one device (SO_BINDTODEVICE), the way the agent's probes
//! leave through their WAN whatever the main table prefers. Call these on a
//! thread inside the namespace ([`crate::NetNs::enter`]).

use std::ffi::OsString;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, SockaddrStorage, sockopt};
use nix::sys::time::{TimeVal, TimeValLike};

/// A UDP socket bound to `device`, connected to `peer`, that waits at most
/// `timeout` for a datagram.
pub fn udp(device: &str, peer: SocketAddr, timeout: Duration) -> Result<UdpSocket> {
    let any: SocketAddr = match peer {
        SocketAddr::V4(_) => (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let s = UdpSocket::bind(any).context("binding a UDP socket")?;
    socket::setsockopt(&s, sockopt::BindToDevice, &OsString::from(device))
        .with_context(|| format!("binding a UDP socket to {device}"))?;
    s.set_read_timeout(Some(timeout))?;
    s.connect(peer)
        .with_context(|| format!("connecting UDP to {peer} through {device}"))?;
    Ok(s)
}

/// A TCP connection to `peer` through `device`, giving up after `timeout`
/// (for the handshake and then for every read and write).
pub fn tcp(device: &str, peer: SocketAddr, timeout: Duration) -> Result<TcpStream> {
    let family = match peer {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    };
    let fd = socket::socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)
        .context("creating a TCP socket")?;
    socket::setsockopt(&fd, sockopt::BindToDevice, &OsString::from(device))
        .with_context(|| format!("binding a TCP socket to {device}"))?;
    // Linux bounds a blocking connect() by the send timeout, which spares
    // a non-blocking connect and a poll loop.
    // Clamped so that nix's conversion cannot overflow a 32-bit time_t.
    let ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
    let tv = TimeVal::milliseconds(i64::from(ms));
    socket::setsockopt(&fd, sockopt::SendTimeout, &tv)?;
    socket::connect(fd.as_raw_fd(), &SockaddrStorage::from(peer))
        .with_context(|| format!("connecting TCP to {peer} through {device}"))?;
    let stream = TcpStream::from(fd);
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(stream)
}
