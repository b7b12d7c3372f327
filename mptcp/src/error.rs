//! The crate's errors. Each one names the operation, and through it the
//! endpoint id, that failed.

use std::fmt;
use std::io;
use std::time::Duration;

use netlink_packet_core::DecodeError;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What was being done when an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Opening the netlink socket and resolving `mptcp_pm`.
    Connect,
    /// ADD_ADDR of this endpoint id.
    AddEndpoint(u8),
    /// DEL_ADDR of this endpoint id.
    DelEndpoint(u8),
    /// GET_ADDR of this endpoint id.
    GetEndpoint(u8),
    /// GET_ADDR dump.
    DumpEndpoints,
    /// SET_FLAGS on this endpoint id.
    SetFlags(u8),
    /// SET_LIMITS.
    SetLimits,
    /// GET_LIMITS.
    GetLimits,
    /// Joining `mptcp_pm_events`.
    Subscribe,
    /// Reading `mptcp_pm_events`.
    ReadEvents,
    /// Reading `net.mptcp.enabled`.
    ReadSysctl,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Connect => f.write_str("connecting to the mptcp_pm netlink family"),
            Op::AddEndpoint(id) => write!(f, "adding MPTCP endpoint id {id}"),
            Op::DelEndpoint(id) => write!(f, "deleting MPTCP endpoint id {id}"),
            Op::GetEndpoint(id) => write!(f, "reading MPTCP endpoint id {id}"),
            Op::DumpEndpoints => f.write_str("listing MPTCP endpoints"),
            Op::SetFlags(id) => write!(f, "setting flags of MPTCP endpoint id {id}"),
            Op::SetLimits => f.write_str("setting MPTCP limits"),
            Op::GetLimits => f.write_str("reading MPTCP limits"),
            Op::Subscribe => f.write_str("subscribing to mptcp_pm_events"),
            Op::ReadEvents => f.write_str("reading mptcp_pm_events"),
            Op::ReadSysctl => f.write_str("reading net.mptcp.enabled"),
        }
    }
}

/// Errors of the `mptcp_pm` client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kernel has no `mptcp_pm` family at all.
    #[error(
        "{op}: kernel has no mptcp_pm generic netlink family (MPTCP not built or kernel < 5.7)"
    )]
    FamilyMissing {
        /// What was being done.
        op: Op,
    },
    /// The family exists without the named multicast group (events came in 5.12).
    #[error("{op}: the kernel's mptcp_pm family has no {group} group (kernel < 5.12)")]
    GroupMissing {
        /// What was being done.
        op: Op,
        /// The group looked for.
        group: &'static str,
    },
    /// `net.mptcp.enabled` is 0 here: endpoints are accepted, connections are not MPTCP.
    #[error(
        "MPTCP is disabled in this network namespace (net.mptcp.enabled = 0): the path manager \
         still accepts endpoints, but no MPTCP socket can be created"
    )]
    Disabled,
    /// No endpoint has the id the operation names.
    #[error("{op}: no such endpoint")]
    NotFound {
        /// What was being done.
        op: Op,
    },
    /// The id (EBUSY) or the address (EEXIST) already belongs to an endpoint.
    #[error("{op}: {}", kernel_text(*errno, message.as_deref()))]
    Exists {
        /// What was being done.
        op: Op,
        /// Positive errno: EBUSY for the id, EEXIST for the address.
        errno: i32,
        /// The kernel's extended-ACK text.
        message: Option<String>,
    },
    /// Any other refusal by the kernel.
    #[error("{op}: {}", kernel_text(*errno, message.as_deref()))]
    Kernel {
        /// What was being done.
        op: Op,
        /// Positive errno.
        errno: i32,
        /// The kernel's extended-ACK text.
        message: Option<String>,
    },
    /// Changing endpoints and reading events need CAP_NET_ADMIN.
    #[error("{op}: permission denied (CAP_NET_ADMIN is needed)")]
    PermissionDenied {
        /// What was being done.
        op: Op,
    },
    /// The endpoint cannot be put into a request; nothing was sent.
    #[error("{op}: invalid endpoint: {reason}")]
    InvalidEndpoint {
        /// What was being done.
        op: Op,
        /// Why.
        reason: &'static str,
    },
    /// The kernel sent something this crate cannot read.
    #[error("{op}: malformed message from the kernel: {source}")]
    Decode {
        /// What was being done.
        op: Op,
        /// The decoder's complaint.
        #[source]
        source: DecodeError,
    },
    /// The kernel did not answer in time (it always should).
    #[error("{op}: no answer from the kernel within {after:?}")]
    Timeout {
        /// What was being done.
        op: Op,
        /// How long was waited.
        after: Duration,
    },
    /// The connection task was dropped or its socket failed.
    #[error("{op}: the netlink connection is closed (was its future dropped?)")]
    ConnectionClosed {
        /// What was being done.
        op: Op,
    },
    /// The kernel dropped events because the socket buffer was full;
    /// resynchronise (dump endpoints, recount subflows).
    #[error("{op}: the kernel dropped events (socket buffer full); resynchronise")]
    EventsLost {
        /// What was being done.
        op: Op,
    },
    /// Socket or file I/O failed.
    #[error("{op}: {source}")]
    Io {
        /// What was being done.
        op: Op,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// The kernel's errno, where the kernel refused.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Exists { errno, .. } | Error::Kernel { errno, .. } => Some(*errno),
            Error::NotFound { .. } => Some(libc::ENOENT),
            Error::PermissionDenied { .. } => Some(libc::EPERM),
            Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// Whether the error says the endpoint does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// The error for a kernel refusal (`errno` positive) of `op`.
    pub(crate) fn from_kernel(op: Op, errno: i32, message: Option<String>) -> Error {
        let not_found = errno == libc::ENOENT
            // The path manager answers a missing id with EINVAL and says so.
            || (errno == libc::EINVAL
                && message.as_deref().is_some_and(|m| m.contains("not found")));
        match errno {
            _ if not_found => Error::NotFound { op },
            libc::EPERM | libc::EACCES => Error::PermissionDenied { op },
            libc::EBUSY | libc::EEXIST if matches!(op, Op::AddEndpoint(_)) => {
                Error::Exists { op, errno, message }
            }
            _ => Error::Kernel { op, errno, message },
        }
    }
}

/// An errno in words, with the kernel's own text when it gave one.
fn kernel_text(errno: i32, message: Option<&str>) -> String {
    let words = match errno {
        libc::EBUSY => "the endpoint id is already in use",
        libc::EEXIST => "an endpoint with this address already exists",
        libc::ERANGE => "too many endpoints (the kernel allows 8 per namespace)",
        libc::EINVAL => "the kernel rejected the request as invalid",
        libc::ENOENT => "no such endpoint",
        libc::EOPNOTSUPP => "not supported by this kernel",
        libc::EADDRNOTAVAIL => {
            "the address is not on this host (a signal endpoint with a port listens on it)"
        }
        libc::ENOMEM | libc::ENOBUFS => "the kernel is out of memory",
        _ => "the kernel refused",
    };
    let os = io::Error::from_raw_os_error(errno);
    match message {
        Some(m) => format!("{words} ({os}; kernel says: {m})"),
        None => format!("{words} ({os})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_errors_are_typed_and_worded() {
        let e = Error::from_kernel(Op::AddEndpoint(3), libc::EBUSY, Some("x".into()));
        assert!(matches!(
            e,
            Error::Exists {
                errno: libc::EBUSY,
                ..
            }
        ));
        let text = e.to_string();
        assert!(text.starts_with("adding MPTCP endpoint id 3: the endpoint id is already in use"));
        assert!(text.contains("kernel says: x"), "{text}");

        let e = Error::from_kernel(
            Op::SetFlags(9),
            libc::EINVAL,
            Some("address not found".into()),
        );
        assert!(e.is_not_found());
        assert_eq!(
            e.to_string(),
            "setting flags of MPTCP endpoint id 9: no such endpoint"
        );

        let e = Error::from_kernel(Op::SetLimits, libc::EINVAL, Some("limit greater".into()));
        assert!(matches!(
            e,
            Error::Kernel {
                errno: libc::EINVAL,
                ..
            }
        ));
        assert!(e.to_string().contains("rejected the request as invalid"));

        let e = Error::from_kernel(Op::DelEndpoint(1), libc::EPERM, None);
        assert!(matches!(e, Error::PermissionDenied { .. }));

        let e = Error::from_kernel(Op::AddEndpoint(1), libc::ERANGE, None);
        assert!(e.to_string().contains("too many endpoints"), "{e}");
    }
}
