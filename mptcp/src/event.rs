//! What the kernel reports on the `mptcp_pm_events` group.

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

/// One path-manager event. Events are per network namespace and cover every
/// MPTCP connection in it, client and server side alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PmEvent {
    /// A connection was created (first subflow's SYN handled).
    Created(Connection),
    /// A connection is established and may open more subflows.
    Established(Connection),
    /// A connection is gone.
    Closed {
        /// The connection.
        token: u32,
    },
    /// The peer announced an address (ADD_ADDR).
    Announced {
        /// The connection.
        token: u32,
        /// The peer's id for the address.
        remote_id: u8,
        /// The announced address.
        addr: IpAddr,
        /// Its port, when the announcement carries one.
        port: Option<u16>,
    },
    /// The peer withdrew an address (REMOVE_ADDR).
    Removed {
        /// The connection.
        token: u32,
        /// The peer's id of the withdrawn address.
        remote_id: u8,
    },
    /// A subflow joined a connection.
    SubEstablished(Subflow),
    /// A subflow closed; `error` says why when it failed.
    SubClosed(Subflow),
    /// A subflow's backup priority changed.
    SubPriority(Subflow),
    /// The path manager opened a listener for a `signal` endpoint.
    ListenerCreated(Listener),
    /// The path manager closed such a listener.
    ListenerClosed(Listener),
    /// An event type this crate does not know (a newer kernel); skipped
    /// by callers that do not care.
    Unknown {
        /// The event number (the genl command).
        number: u8,
    },
}

impl PmEvent {
    /// The connection token, for events about a connection.
    pub fn token(&self) -> Option<u32> {
        match self {
            PmEvent::Created(c) | PmEvent::Established(c) => Some(c.token),
            PmEvent::Closed { token }
            | PmEvent::Announced { token, .. }
            | PmEvent::Removed { token, .. } => Some(*token),
            PmEvent::SubEstablished(s) | PmEvent::SubClosed(s) | PmEvent::SubPriority(s) => {
                Some(s.token)
            }
            PmEvent::ListenerCreated(_) | PmEvent::ListenerClosed(_) | PmEvent::Unknown { .. } => {
                None
            }
        }
    }
}

/// A connection as `created` and `established` describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// The connection's local token; every later event names it.
    pub token: u32,
    /// Local address and port of the first subflow.
    pub local: SocketAddr,
    /// Remote address and port of the first subflow.
    pub remote: SocketAddr,
    /// The connection was accepted by a local listener.
    pub server_side: bool,
    /// The peer asked not to be joined on its initial address (id 0).
    pub deny_join_id0: bool,
}

/// A subflow as the `sub_*` events describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subflow {
    /// The connection the subflow belongs to.
    pub token: u32,
    /// Id of the local endpoint the subflow uses (0: the initial address).
    pub local_id: u8,
    /// Id of the remote address (0: the peer's initial address).
    pub remote_id: u8,
    /// Local address and port.
    pub local: SocketAddr,
    /// Remote address and port.
    pub remote: SocketAddr,
    /// The subflow is a backup.
    pub backup: bool,
    /// Device the subflow is bound to, when it is.
    pub ifindex: Option<u32>,
    /// The socket error (errno, truncated to 8 bits by the kernel): 110
    /// when the path was black-holed, 113 on carrier loss, 111 refused.
    pub error: Option<u8>,
    /// MPTCP reset reason (RFC 8684 MP_TCPRST), when the peer reset it.
    pub reset_reason: Option<u32>,
    /// MP_TCPRST flags that came with the reset.
    pub reset_flags: Option<u32>,
}

/// A path-manager listener (`listener_created` / `listener_closed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    /// Address and port listened on.
    pub local: SocketAddr,
}
