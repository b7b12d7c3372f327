//! The endpoint attribute: `MPTCP_PM_ATTR_ADDR`, a nest of family (u16),
//! id (u8), IPv4 address (network order) or IPv6 address, port (u16, host
//! order), flags (u32) and ifindex (s32).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{DecodeError, DefaultNla, Nla, NlaBuffer, Parseable};

use super::consts::*;
use super::nla::{i32_of, ifindex, ipv4_of, ipv6_of, u8_of, u16_of, u32_of};
use crate::endpoint::Endpoint;
use crate::flags::EndpointFlags;

/// One attribute inside `MPTCP_PM_ATTR_ADDR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddrAttr {
    /// `AF_INET` or `AF_INET6`.
    Family(u16),
    /// Endpoint id.
    Id(u8),
    /// IPv4 address.
    Addr4(Ipv4Addr),
    /// IPv6 address.
    Addr6(Ipv6Addr),
    /// Port; 0 means none (6.18 always sends it).
    Port(u16),
    /// `MPTCP_PM_ADDR_FLAG_*` bits.
    Flags(u32),
    /// Device index; 0 means none.
    IfIdx(i32),
    /// An attribute this crate does not know, kept as it came.
    Other(DefaultNla),
}

impl Nla for AddrAttr {
    fn value_len(&self) -> usize {
        match self {
            AddrAttr::Id(_) => 1,
            AddrAttr::Family(_) | AddrAttr::Port(_) => 2,
            AddrAttr::Addr4(_) | AddrAttr::Flags(_) | AddrAttr::IfIdx(_) => 4,
            AddrAttr::Addr6(_) => 16,
            AddrAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            AddrAttr::Family(_) => ADDR_ATTR_FAMILY,
            AddrAttr::Id(_) => ADDR_ATTR_ID,
            AddrAttr::Addr4(_) => ADDR_ATTR_ADDR4,
            AddrAttr::Addr6(_) => ADDR_ATTR_ADDR6,
            AddrAttr::Port(_) => ADDR_ATTR_PORT,
            AddrAttr::Flags(_) => ADDR_ATTR_FLAGS,
            AddrAttr::IfIdx(_) => ADDR_ATTR_IF_IDX,
            AddrAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            AddrAttr::Family(v) | AddrAttr::Port(v) => buffer.copy_from_slice(&v.to_ne_bytes()),
            AddrAttr::Id(v) => buffer.copy_from_slice(&[*v]),
            AddrAttr::Addr4(a) => buffer.copy_from_slice(&a.octets()),
            AddrAttr::Addr6(a) => buffer.copy_from_slice(&a.octets()),
            AddrAttr::Flags(v) => buffer.copy_from_slice(&v.to_ne_bytes()),
            AddrAttr::IfIdx(v) => buffer.copy_from_slice(&v.to_ne_bytes()),
            AddrAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl<'a> Parseable<NlaBuffer<&'a [u8]>> for AddrAttr {
    fn parse(nla: &NlaBuffer<&'a [u8]>) -> Result<Self, DecodeError> {
        Ok(match nla.kind() {
            ADDR_ATTR_FAMILY => AddrAttr::Family(u16_of(nla, "addr.family")?),
            ADDR_ATTR_ID => AddrAttr::Id(u8_of(nla, "addr.id")?),
            ADDR_ATTR_ADDR4 => AddrAttr::Addr4(ipv4_of(nla, "addr.addr4")?),
            ADDR_ATTR_ADDR6 => AddrAttr::Addr6(ipv6_of(nla, "addr.addr6")?),
            ADDR_ATTR_PORT => AddrAttr::Port(u16_of(nla, "addr.port")?),
            ADDR_ATTR_FLAGS => AddrAttr::Flags(u32_of(nla, "addr.flags")?),
            ADDR_ATTR_IF_IDX => AddrAttr::IfIdx(i32_of(nla, "addr.if_idx")?),
            _ => AddrAttr::Other(DefaultNla::parse(nla)?),
        })
    }
}

/// Why an endpoint cannot be encoded; checked before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidEndpoint(pub &'static str);

/// The attributes of `ep`, in the order iproute2 writes them (id, flags,
/// ifindex, port, family, address), so our requests equal its bytes.
pub fn endpoint_attrs(ep: &Endpoint) -> Result<Vec<AddrAttr>, InvalidEndpoint> {
    let mut attrs = vec![AddrAttr::Id(ep.id), AddrAttr::Flags(ep.flags.bits())];
    if let Some(ifindex) = ep.ifindex {
        let raw = i32::try_from(ifindex)
            .ok()
            .filter(|i| *i > 0)
            .ok_or(InvalidEndpoint("ifindex must be between 1 and 2^31-1"))?;
        attrs.push(AddrAttr::IfIdx(raw));
    }
    if let Some(port) = ep.port {
        if port == 0 {
            return Err(InvalidEndpoint("port 0 is no port; leave it out"));
        }
        attrs.push(AddrAttr::Port(port));
    }
    match ep.addr {
        IpAddr::V4(a) => attrs.extend([AddrAttr::Family(AF_INET), AddrAttr::Addr4(a)]),
        IpAddr::V6(a) => attrs.extend([AddrAttr::Family(AF_INET6), AddrAttr::Addr6(a)]),
    }
    Ok(attrs)
}

/// The endpoint the kernel described in `attrs`. The family attribute picks
/// the address attribute; without it, the one address present is used.
pub fn endpoint_from_attrs(attrs: &[AddrAttr]) -> Result<Endpoint, DecodeError> {
    let mut family = None;
    let mut id = None;
    let (mut v4, mut v6) = (None, None);
    let mut port = None;
    let mut flags = 0;
    let mut if_idx = 0;
    for attr in attrs {
        match attr {
            AddrAttr::Family(f) => family = Some(*f),
            AddrAttr::Id(i) => id = Some(*i),
            AddrAttr::Addr4(a) => v4 = Some(*a),
            AddrAttr::Addr6(a) => v6 = Some(*a),
            AddrAttr::Port(p) => port = Some(*p).filter(|p| *p != 0),
            AddrAttr::Flags(f) => flags = *f,
            AddrAttr::IfIdx(i) => if_idx = *i,
            AddrAttr::Other(_) => {}
        }
    }
    let id = id.ok_or_else(|| DecodeError::from("endpoint without an id"))?;
    let addr = match (family, v4, v6) {
        (Some(AF_INET), Some(a), _) | (None, Some(a), None) => IpAddr::V4(a),
        (Some(AF_INET6), _, Some(a)) | (None, None, Some(a)) => IpAddr::V6(a),
        (family, _, _) => {
            return Err(DecodeError::from(format!(
                "endpoint id {id}: no address for family {family:?}"
            )));
        }
    };
    Ok(Endpoint {
        id,
        addr,
        port,
        flags: EndpointFlags::from_bits_retain(flags),
        ifindex: ifindex(if_idx),
    })
}
