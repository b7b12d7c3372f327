//! What the link watcher reports: plain data, so a driver can log it and a
//! field bug can be replayed.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// A change of a link or of its addresses, as rtnetlink reported it. The
/// first events of a watcher describe every link and usable address
/// present when it started; after that only changes are reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum LinkEvent {
    /// A link appeared, or its name, carrier or operational state changed.
    Link {
        /// Interface index.
        ifindex: u32,
        /// Interface name.
        name: String,
        /// IFF_LOWER_UP: the device is up and has carrier. `false` is the
        /// "down at once" signal for the health machine.
        carrier: bool,
        /// RFC 2863 operational state is UP (or UNKNOWN, which tun, ppp and
        /// wireguard devices report, while the device has carrier).
        oper_up: bool,
    },
    /// A link was deleted (or moved to another namespace).
    LinkRemoved {
        /// Interface index.
        ifindex: u32,
        /// Its last known name.
        name: String,
    },
    /// An address became usable on a link: added, or (IPv6) done with
    /// duplicate address detection. A tentative address cannot be bound to
    /// and is not reported until it is usable.
    AddressAdded {
        /// Interface index.
        ifindex: u32,
        /// Interface name, when the link is known.
        name: Option<String>,
        /// The local address.
        addr: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
    },
    /// An address is gone (or, IPv6, became tentative or failed DAD).
    AddressRemoved {
        /// Interface index.
        ifindex: u32,
        /// Interface name, when the link is known.
        name: Option<String>,
        /// The local address.
        addr: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
    },
}

impl LinkEvent {
    /// The interface the event is about.
    pub fn ifindex(&self) -> u32 {
        match self {
            LinkEvent::Link { ifindex, .. }
            | LinkEvent::LinkRemoved { ifindex, .. }
            | LinkEvent::AddressAdded { ifindex, .. }
            | LinkEvent::AddressRemoved { ifindex, .. } => *ifindex,
        }
    }
}
