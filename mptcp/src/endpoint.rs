//! One path-manager endpoint, as `ip mptcp endpoint` shows it.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::flags::EndpointFlags;

/// An endpoint of the in-kernel path manager: a local address MPTCP may use
/// for subflows (`subflow`) or announce to peers (`signal`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    /// Endpoint id, 1..=255; the daemon keeps one stable id per WAN. 0 on
    /// add asks the kernel to pick one.
    pub id: u8,
    /// The local address.
    pub addr: IpAddr,
    /// Port for `signal` endpoints that listen on their own port.
    pub port: Option<u16>,
    /// Flags; SET_FLAGS can later change only `backup` and `fullmesh`.
    pub flags: EndpointFlags,
    /// The device subflows from this endpoint are bound to (`dev`).
    pub ifindex: Option<u32>,
}

impl Endpoint {
    /// An endpoint without port and device.
    pub fn new(id: u8, addr: IpAddr, flags: EndpointFlags) -> Endpoint {
        Endpoint {
            id,
            addr,
            port: None,
            flags,
            ifindex: None,
        }
    }
}

/// `10.0.0.1 id 3 subflow dev 1`, close to `ip mptcp endpoint show`.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.addr)?;
        if let Some(port) = self.port {
            write!(f, " port {port}")?;
        }
        write!(f, " id {}", self.id)?;
        if !self.flags.is_empty() {
            write!(f, " {}", self.flags)?;
        }
        if let Some(ifindex) = self.ifindex {
            write!(f, " dev {ifindex}")?;
        }
        Ok(())
    }
}

/// The path manager's per-namespace limits (`ip mptcp limits`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Limits {
    /// Additional subflows per connection (the kernel caps it at 8).
    pub subflows: u32,
    /// ADD_ADDR announcements accepted per connection (at most 8).
    pub add_addr_accepted: u32,
}
