//! Resolving `mptcp_pm` (its dynamic family id and event group) through the
//! generic netlink controller, on a short-lived blocking socket: the
//! controller answers inside the `sendmsg` call, so this costs one round
//! trip and never waits in practice; a receive timeout guards the rest.

use std::io;

use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_GENERIC};
use nix::sys::socket::{setsockopt, sockopt::ReceiveTimeout};
use nix::sys::time::TimeVal;

use super::request::REQUEST_TIMEOUT;
use crate::codec::consts::FAMILY_NAME;
use crate::codec::family::{CtrlReply, Family, decode_ctrl_reply, getfamily_request};
use crate::error::{Error, Op, Result};

/// Resolves `mptcp_pm` in the calling thread's network namespace.
pub(crate) fn resolve(op: Op) -> Result<Family> {
    resolve_named(FAMILY_NAME, op)
}

fn resolve_named(name: &str, op: Op) -> Result<Family> {
    let io_err = |source: io::Error| Error::Io { op, source };
    let mut socket = Socket::new(NETLINK_GENERIC).map_err(io_err)?;
    socket.bind_auto().map_err(io_err)?;
    let secs = i64::try_from(REQUEST_TIMEOUT.as_secs()).unwrap_or(i64::MAX);
    setsockopt(&socket, ReceiveTimeout, &TimeVal::new(secs, 0)).map_err(|e| io_err(e.into()))?;
    socket
        .send_to(&getfamily_request(name, 1), &SocketAddr::new(0, 0), 0)
        .map_err(io_err)?;
    let (datagram, _) = socket.recv_from_full().map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout {
            op,
            after: REQUEST_TIMEOUT,
        },
        _ => io_err(e),
    })?;
    match decode_ctrl_reply(&datagram).map_err(|source| Error::Decode { op, source })? {
        CtrlReply::Family(family) => Ok(family),
        CtrlReply::Error { errno, .. } if errno == libc::ENOENT => Err(Error::FamilyMissing { op }),
        CtrlReply::Error { errno, message } => Err(Error::from_kernel(op, errno, message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reading the controller needs no privilege and changes nothing, so
    // these run in the test's own namespace.
    #[test]
    fn mptcp_pm_resolves_with_its_event_group() {
        let family = resolve(Op::Connect).unwrap();
        assert!(
            family.id >= 0x10,
            "dynamic ids start above the controller's"
        );
        assert!(family.group("mptcp_pm_events").is_some(), "{family:?}");
    }

    #[test]
    fn a_missing_family_is_family_missing() {
        let err = resolve_named("mpwan_nope", Op::Connect).unwrap_err();
        assert!(
            matches!(err, Error::FamilyMissing { op: Op::Connect }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("kernel has no mptcp_pm generic netlink family")
        );
    }
}
