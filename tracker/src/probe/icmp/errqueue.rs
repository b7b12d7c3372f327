//! The error queue of a datagram ICMP socket: where Linux puts the ICMP
//! errors (destination unreachable, time exceeded) about the echo requests
//! it sent, when IP_RECVERR is on. Each entry holds the echo request as we
//! sent it (identifier as the kernel set it), its destination as the
//! message's address, and the ICMP type and code in a control message.

use std::io;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

use nix::libc;
use nix::sys::socket::{ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg};

use super::packet::{self, ECHO_HEADER_LEN};
use crate::events::{ErrorKind, Family};

/// One ICMP error about one of our echo requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct QueuedError {
    /// The echo request's destination.
    pub target: IpAddr,
    /// Its sequence number.
    pub seq: u16,
    /// What the error means.
    pub kind: ErrorKind,
}

/// Takes one entry off the error queue of `socket` without blocking.
/// `Err(WouldBlock)` when the queue is empty; `Ok(None)` for an entry that
/// is not an ICMP error about an echo request.
pub(super) fn read(socket: &impl AsRawFd, family: Family) -> io::Result<Option<QueuedError>> {
    let mut data = [0u8; 64];
    let mut iov = [io::IoSliceMut::new(&mut data)];
    let mut control = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6);
    let msg = recvmsg::<SockaddrStorage>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT,
    )
    .map_err(io::Error::from)?;
    let len = msg.bytes;
    let target = msg.address.as_ref().and_then(address_of);
    let mut icmp = None;
    for cmsg in msg.cmsgs().map_err(io::Error::from)? {
        icmp = match cmsg {
            ControlMessageOwned::Ipv4RecvErr(e, _) if e.ee_origin == libc::SO_EE_ORIGIN_ICMP => {
                packet::v4_error_kind(e.ee_type, e.ee_code)
            }
            ControlMessageOwned::Ipv6RecvErr(e, _) if e.ee_origin == libc::SO_EE_ORIGIN_ICMP6 => {
                packet::v6_error_kind(e.ee_type, e.ee_code)
            }
            _ => continue,
        };
    }
    let sent = data
        .get(..len.min(data.len()))
        .filter(|d| d.len() >= ECHO_HEADER_LEN);
    Ok(
        match (
            target,
            icmp,
            sent.and_then(|d| packet::sent_echo(family, d)),
        ) {
            (Some(target), Some(kind), Some((_ident, seq))) => {
                Some(QueuedError { target, seq, kind })
            }
            _ => None,
        },
    )
}

fn address_of(sa: &SockaddrStorage) -> Option<IpAddr> {
    if let Some(v4) = sa.as_sockaddr_in() {
        return Some(IpAddr::V4(v4.ip()));
    }
    sa.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
}
