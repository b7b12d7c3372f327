//! Reading the kernel's replies: GET_ADDR (one or each part of a dump) and
//! GET_LIMITS.

use netlink_packet_core::DecodeError;

use super::addr::endpoint_from_attrs;
use super::message::{PmAttr, PmMessage};
use crate::endpoint::{Endpoint, Limits};

impl PmMessage {
    /// The endpoint this reply describes.
    pub fn endpoint(&self) -> Result<Endpoint, DecodeError> {
        self.attrs
            .iter()
            .find_map(|a| match a {
                PmAttr::Addr(attrs) => Some(endpoint_from_attrs(attrs)),
                _ => None,
            })
            .unwrap_or_else(|| Err(DecodeError::from("reply holds no MPTCP_PM_ATTR_ADDR")))
    }

    /// The limits this reply describes; both must be present.
    pub fn limits(&self) -> Result<Limits, DecodeError> {
        let mut subflows = None;
        let mut add_addr_accepted = None;
        for attr in &self.attrs {
            match attr {
                PmAttr::Subflows(v) => subflows = Some(*v),
                PmAttr::RcvAddAddrs(v) => add_addr_accepted = Some(*v),
                _ => {}
            }
        }
        match (subflows, add_addr_accepted) {
            (Some(subflows), Some(add_addr_accepted)) => Ok(Limits {
                subflows,
                add_addr_accepted,
            }),
            _ => Err(DecodeError::from(
                "GET_LIMITS reply lacks subflows or add_addr_accepted",
            )),
        }
    }
}
