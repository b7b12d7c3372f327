//! Opening an ICMP socket bound to its WAN.

use socket2::{Domain, Protocol, Socket, Type};

use super::IcmpSocketKind;
use crate::events::Family;
use crate::probe::{Binding, ProbeError};

/// Opens a socket of `kind` for `family`, bound as `binding` says, ready
/// for tokio (non-blocking).
pub(super) fn open(
    binding: &Binding,
    family: Family,
    kind: IcmpSocketKind,
) -> Result<Socket, ProbeError> {
    binding.check_device()?;
    let (domain, protocol) = match family {
        Family::V4 => (Domain::IPV4, Protocol::ICMPV4),
        Family::V6 => (Domain::IPV6, Protocol::ICMPV6),
    };
    let ty = match kind {
        IcmpSocketKind::Raw => Type::RAW,
        IcmpSocketKind::Datagram => Type::DGRAM,
    };
    let socket = Socket::new(domain, ty, Some(protocol)).map_err(|source| ProbeError::Socket {
        family,
        kind: kind.describe(),
        source,
    })?;
    socket
        .set_nonblocking(true)
        .map_err(|source| ProbeError::SocketOption {
            option: "O_NONBLOCK",
            source,
        })?;
    binding.apply(&socket, family)?;
    if kind == IcmpSocketKind::Datagram {
        // A datagram ICMP socket receives only its echo replies; the ICMP
        // errors about its requests come through the error queue, and only
        // with IP_RECVERR. Without them an unreachable target would be
        // reported as a timeout, later and less precisely.
        let set = match family {
            Family::V4 => {
                nix::sys::socket::setsockopt(&socket, nix::sys::socket::sockopt::Ipv4RecvErr, &true)
            }
            Family::V6 => {
                nix::sys::socket::setsockopt(&socket, nix::sys::socket::sockopt::Ipv6RecvErr, &true)
            }
        };
        set.map_err(|e| ProbeError::SocketOption {
            option: "IP_RECVERR",
            source: e.into(),
        })?;
    }
    Ok(socket)
}
