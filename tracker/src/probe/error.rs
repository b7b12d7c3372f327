//! Why a prober could not be set up. A probe that fails once it runs is not
//! an error but an [`Outcome`](crate::events::Outcome).

use std::io;
use std::net::IpAddr;

use crate::events::Family;

/// Setting up a prober failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The device name cannot name a Linux interface (empty, longer than 15
    /// bytes, or holding `/`, whitespace or NUL).
    #[error("{0:?} is not a valid interface name")]
    BadDevice(String),
    /// The kernel refused to open the socket (no permission, no IPv6).
    #[error("opening a {family} {kind} socket: {source}")]
    Socket {
        /// The address family.
        family: Family,
        /// What kind of socket: "raw ICMP", "datagram ICMP", "UDP".
        kind: &'static str,
        /// The kernel's answer.
        source: io::Error,
    },
    /// SO_BINDTODEVICE failed: no such device, or no CAP_NET_RAW.
    #[error("binding the socket to device {device}: {source}")]
    BindDevice {
        /// The device.
        device: String,
        /// The kernel's answer.
        source: io::Error,
    },
    /// SO_MARK failed: it needs CAP_NET_ADMIN.
    #[error("setting fwmark {mark:#x}: {source}")]
    Mark {
        /// The mark.
        mark: u32,
        /// The kernel's answer.
        source: io::Error,
    },
    /// bind() to the WAN's source address failed: the address is not (or
    /// not yet) on the host.
    #[error("binding to source address {addr}: {source}")]
    BindSource {
        /// The address.
        addr: IpAddr,
        /// The kernel's answer.
        source: io::Error,
    },
    /// Another socket option the prober needs failed.
    #[error("setting {option}: {source}")]
    SocketOption {
        /// The option's name.
        option: &'static str,
        /// The kernel's answer.
        source: io::Error,
    },
    /// The socket could not be registered with tokio (no runtime entered).
    #[error("registering the socket with the tokio runtime: {0}")]
    Runtime(io::Error),
    /// The TLS configuration of the HTTP prober could not be built.
    #[error("setting up TLS for HTTPS probes: {0}")]
    Tls(String),
    /// The HTTP client could not be built.
    #[error("building the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// What a socket error met while probing means for the probe.
pub(crate) fn kind_of_io(err: &std::io::Error) -> crate::events::ErrorKind {
    use crate::events::ErrorKind;
    use nix::errno::Errno;
    let Some(code) = err.raw_os_error() else {
        return ErrorKind::Other;
    };
    match Errno::from_raw(code) {
        Errno::EHOSTUNREACH | Errno::ENETUNREACH | Errno::EHOSTDOWN => ErrorKind::Unreachable,
        Errno::ECONNREFUSED | Errno::ECONNRESET => ErrorKind::Refused,
        // The device is gone or down, the source address is not on it, or a
        // local firewall refused the packet: nothing left the host.
        Errno::ENODEV
        | Errno::ENXIO
        | Errno::ENETDOWN
        | Errno::EADDRNOTAVAIL
        | Errno::EPERM
        | Errno::EACCES
        | Errno::EINVAL => ErrorKind::Send,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::ErrorKind;

    #[test]
    fn socket_errors_map_to_outcome_kinds() {
        let e = |code| kind_of_io(&io::Error::from_raw_os_error(code));
        assert_eq!(e(nix::libc::EHOSTUNREACH), ErrorKind::Unreachable);
        assert_eq!(e(nix::libc::ENETUNREACH), ErrorKind::Unreachable);
        assert_eq!(e(nix::libc::ECONNREFUSED), ErrorKind::Refused);
        assert_eq!(e(nix::libc::ENODEV), ErrorKind::Send);
        assert_eq!(e(nix::libc::EMSGSIZE), ErrorKind::Other);
        assert_eq!(kind_of_io(&io::Error::other("no errno")), ErrorKind::Other);
    }
}
