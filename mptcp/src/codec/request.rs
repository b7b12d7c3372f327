//! The requests this crate sends, built as iproute2 builds them (same
//! attributes, same order, same netlink flags).

use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};

use super::addr::{AddrAttr, InvalidEndpoint, endpoint_attrs};
use super::message::{PmAttr, PmCommand, PmMessage};
use crate::endpoint::{Endpoint, Limits};
use crate::flags::EndpointFlags;

/// Netlink flags of a change: the kernel answers with an ACK or an error.
pub const FLAGS_CHANGE: u16 = NLM_F_REQUEST | NLM_F_ACK;
/// Netlink flags of a GET of one thing: the kernel answers with it or an
/// error.
pub const FLAGS_GET: u16 = NLM_F_REQUEST;
/// Netlink flags of a dump: replies until NLMSG_DONE.
pub const FLAGS_DUMP: u16 = NLM_F_REQUEST | NLM_F_DUMP;

impl PmMessage {
    /// ADD_ADDR: create `ep`. Fails before sending if `ep` cannot be
    /// encoded (port 0, ifindex out of range).
    pub fn add_endpoint(ep: &Endpoint) -> Result<PmMessage, InvalidEndpoint> {
        Ok(PmMessage {
            cmd: PmCommand::AddAddr,
            attrs: vec![PmAttr::Addr(endpoint_attrs(ep)?)],
        })
    }

    /// DEL_ADDR: the kernel looks the endpoint up by id alone.
    pub fn del_endpoint(id: u8) -> PmMessage {
        PmMessage {
            cmd: PmCommand::DelAddr,
            attrs: vec![PmAttr::Addr(vec![AddrAttr::Id(id)])],
        }
    }

    /// GET_ADDR of one endpoint, by id.
    pub fn get_endpoint(id: u8) -> PmMessage {
        PmMessage {
            cmd: PmCommand::GetAddr,
            attrs: vec![PmAttr::Addr(vec![AddrAttr::Id(id)])],
        }
    }

    /// GET_ADDR without attributes, sent with [`FLAGS_DUMP`].
    pub fn dump_endpoints() -> PmMessage {
        PmMessage {
            cmd: PmCommand::GetAddr,
            attrs: Vec::new(),
        }
    }

    /// SET_FLAGS: the kernel sets backup and fullmesh to exactly the bits
    /// sent, so both are always sent (the wanted state, not a change).
    /// Other bits cannot be changed and are left out.
    pub fn set_flags(id: u8, flags: EndpointFlags) -> PmMessage {
        let bits = (flags & EndpointFlags::CHANGEABLE).bits();
        PmMessage {
            cmd: PmCommand::SetFlags,
            attrs: vec![PmAttr::Addr(vec![AddrAttr::Id(id), AddrAttr::Flags(bits)])],
        }
    }

    /// SET_LIMITS, both limits at once.
    pub fn set_limits(limits: Limits) -> PmMessage {
        PmMessage {
            cmd: PmCommand::SetLimits,
            attrs: vec![
                PmAttr::RcvAddAddrs(limits.add_addr_accepted),
                PmAttr::Subflows(limits.subflows),
            ],
        }
    }

    /// GET_LIMITS.
    pub fn get_limits() -> PmMessage {
        PmMessage {
            cmd: PmCommand::GetLimits,
            attrs: Vec::new(),
        }
    }
}
