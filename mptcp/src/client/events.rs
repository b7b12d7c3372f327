//! Reading `mptcp_pm_events`.

use std::collections::VecDeque;
use std::io;

use netlink_packet_core::DecodeError;
use netlink_sys::protocols::NETLINK_GENERIC;
use netlink_sys::{AsyncSocket, AsyncSocketExt, TokioSocket};

use super::resolve::resolve;
use crate::codec::consts::EVENTS_GROUP;
use crate::codec::event::decode_datagram;
use crate::error::{Error, Op, Result};
use crate::event::PmEvent;

/// A subscription to the path manager's events in this namespace.
pub struct PmEvents {
    /// Bound, then joined to the events group.
    socket: TokioSocket,
    /// Messages of this type are events; anything else is skipped.
    family_id: u16,
    /// Decoded events of the last datagram not yet handed out.
    pending: VecDeque<Result<PmEvent, DecodeError>>,
}

impl PmEvents {
    /// Resolves the events group and joins it. Needs CAP_NET_ADMIN
    /// ([`Error::PermissionDenied`] otherwise) and a tokio runtime.
    pub fn subscribe() -> Result<PmEvents> {
        let op = Op::Subscribe;
        let family = resolve(op)?;
        let group = family.group(EVENTS_GROUP).ok_or(Error::GroupMissing {
            op,
            group: EVENTS_GROUP,
        })?;
        let io_err = |source: io::Error| Error::Io { op, source };
        let mut socket = TokioSocket::new(NETLINK_GENERIC).map_err(io_err)?;
        // Bind before joining: a socket that joins unbound receives nothing.
        socket.socket_mut().bind_auto().map_err(io_err)?;
        socket
            .socket_ref()
            .add_membership(group)
            .map_err(|source| match source.raw_os_error() {
                Some(libc::EPERM | libc::EACCES) => Error::PermissionDenied { op },
                _ => Error::Io { op, source },
            })?;
        Ok(PmEvents {
            socket,
            family_id: family.id,
            pending: VecDeque::new(),
        })
    }

    /// The next event. A malformed event is [`Error::Decode`] and lost
    /// events (full socket buffer) [`Error::EventsLost`]; the subscription
    /// stays usable after both. Cancel-safe: a datagram is read whole in
    /// one poll and what it holds is kept for the next call, so `next()`
    /// may sit in a `select!` or under a timeout.
    pub async fn next(&mut self) -> Result<PmEvent> {
        let op = Op::ReadEvents;
        loop {
            if let Some(event) = self.pending.pop_front() {
                return event.map_err(|source| Error::Decode { op, source });
            }
            let (datagram, from) =
                self.socket.recv_from_full().await.map_err(|source| {
                    match source.raw_os_error() {
                        Some(libc::ENOBUFS) => Error::EventsLost { op },
                        _ => Error::Io { op, source },
                    }
                })?;
            // Only the kernel (port 0) speaks for the path manager.
            if from.port_number() != 0 {
                continue;
            }
            self.pending
                .extend(decode_datagram(&datagram, self.family_id));
        }
    }
}
