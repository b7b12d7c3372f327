//! The tokio driver: commands over one netlink-proto connection, events on
//! a socket of their own.
//!
//! ```text
//!  PmClient (cloneable handle) ──requests──> Connection future ──> kernel
//!        ^                                   (spawned by the caller)   │
//!        └──────────── replies, ACKs, errors ◄─────────────────────────┘
//!
//!  PmEvents: its own socket, bound, then joined to mptcp_pm_events;
//!            next() reads one datagram at a time and decodes it.
//! ```
//!
//! Both act on the network namespace of the thread that creates them, and
//! must be created inside a tokio runtime (the sockets register with it).

mod add;
mod del;
pub mod diag;
mod dump;
mod events;
mod flags;
mod frame;
mod get;
mod limits;
mod request;
mod resolve;
mod sysctl;

use std::fmt;
use std::future::Future;
use std::io;

use netlink_packet_generic::GenlMessage;
use netlink_proto::ConnectionHandle;
use netlink_sys::AsyncSocket;
use netlink_sys::protocols::NETLINK_GENERIC;

pub use events::PmEvents;
pub use sysctl::{mptcp_enabled, require_enabled};

use crate::error::{Error, Op, Result};
use frame::Frame;

/// A client of the kernel's path manager (`mptcp_pm` commands).
#[derive(Clone)]
pub struct PmClient {
    /// Sends requests to the connection task and hands back its answers.
    handle: ConnectionHandle<GenlMessage<Frame>>,
    /// `mptcp_pm`'s id in this namespace's kernel, resolved at creation.
    family_id: u16,
}

impl PmClient {
    /// Resolves `mptcp_pm` and opens the command connection. The returned
    /// future is the connection: spawn it (`tokio::spawn`) and keep it
    /// running while the client is used; it ends when every clone of the
    /// client is dropped.
    ///
    /// Fails with [`Error::FamilyMissing`] on a kernel without MPTCP.
    pub fn new() -> Result<(PmClient, impl Future<Output = ()> + Send + 'static)> {
        let op = Op::Connect;
        let family = resolve::resolve(op)?;
        let io_err = |source: io::Error| Error::Io { op, source };
        let (mut connection, handle, _unsolicited) =
            netlink_proto::new_connection::<GenlMessage<Frame>>(NETLINK_GENERIC).map_err(io_err)?;
        // Hand ACKs and NLMSG_DONE to the caller too: they tell a finished
        // exchange from one cut short by a dead connection.
        connection.set_forward_ack(true);
        connection.set_forward_done(true);
        let socket = connection.socket_mut().socket_ref();
        // The kernel's own words ("address not found") tell a missing id
        // from other EINVALs; the echoed request is not needed.
        socket.set_ext_ack(true).map_err(io_err)?;
        socket.set_cap_ack(true).map_err(io_err)?;
        let client = PmClient {
            handle,
            family_id: family.id,
        };
        Ok((client, connection))
    }

    /// `mptcp_pm`'s family id in this namespace's kernel.
    pub fn family_id(&self) -> u16 {
        self.family_id
    }
}

impl fmt::Debug for PmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PmClient")
            .field("family_id", &self.family_id)
            .finish_non_exhaustive()
    }
}
