//! A slot: one endpoint the operator configured, and what the caller says
//! about it at run time.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::flags::EndpointFlags;

/// The caller's name for a slot, opaque to the reconciler (the agent uses
/// `"wan1/ipv4"`). It appears in inputs, status and log lines.
pub type SlotKey = String;

/// The address family a slot's endpoint belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// Whether `addr` belongs to this family.
    pub fn matches(self, addr: IpAddr) -> bool {
        matches!(
            (self, addr),
            (Family::V4, IpAddr::V4(_)) | (Family::V6, IpAddr::V6(_))
        )
    }
}

/// How usable the path behind a slot is; the caller decides (for the agent,
/// the WAN family's health after hold-down).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Usable {
    /// Not usable, or not known yet: the endpoint must not exist.
    #[default]
    Absent,
    /// Usable: the endpoint exists with its configured flags.
    Up,
    /// Usable as a last resort: the endpoint exists with `backup` added.
    Degraded,
}

/// One endpoint the operator configured. Fixed for the reconciler's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotSpec {
    /// The caller's name for the slot.
    pub key: SlotKey,
    /// The endpoint id, 1..=255; the slot owns it (an endpoint with this id
    /// is ours to replace, any other id is never touched).
    pub id: u8,
    /// The family of the addresses the slot takes.
    pub family: Family,
    /// Flags as configured (`subflow`, `signal`, `fullmesh`, `backup`,
    /// `laminar`); `backup` is added while the slot is degraded.
    pub base_flags: EndpointFlags,
}

/// What the caller knows about a slot now; each input replaces the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotInput {
    /// Which slot.
    pub key: SlotKey,
    /// Whether the path is usable.
    pub usable: Usable,
    /// The address the endpoint should have (the WAN's current address of
    /// the slot's family); `None` while it has none.
    pub addr: Option<IpAddr>,
    /// The device subflows must be bound to; `None` while it does not exist.
    pub ifindex: Option<u32>,
}

/// The flags a slot may be configured with, and the ones compared with the
/// kernel's: `implicit` is the kernel's own and unknown bits are a newer
/// kernel's, so neither is asked for nor cause a repair.
pub const SETTABLE_FLAGS: EndpointFlags = EndpointFlags::from_bits_retain(
    EndpointFlags::SIGNAL.bits()
        | EndpointFlags::SUBFLOW.bits()
        | EndpointFlags::BACKUP.bits()
        | EndpointFlags::FULLMESH.bits()
        | EndpointFlags::LAMINAR.bits(),
);

/// The flags a slot's endpoint wants: the configured ones, plus `backup`
/// while degraded.
pub(crate) fn wanted_flags(base: EndpointFlags, usable: Usable) -> EndpointFlags {
    let mut flags = base;
    if usable == Usable::Degraded {
        flags |= EndpointFlags::BACKUP;
    }
    flags
}

/// The endpoint a slot wants in the kernel: present iff usable and both the
/// device and an address of the right family are known.
pub(crate) fn desired_endpoint(
    spec: &SlotSpec,
    usable: Usable,
    addr: Option<IpAddr>,
    ifindex: Option<u32>,
) -> Option<Endpoint> {
    if usable == Usable::Absent {
        return None;
    }
    let addr = addr.filter(|a| spec.family.matches(*a))?;
    Some(Endpoint {
        id: spec.id,
        addr,
        port: None,
        flags: wanted_flags(spec.base_flags, usable),
        ifindex: Some(ifindex?),
    })
}
