//! Resolving a generic netlink family through the controller
//! (CTRL_CMD_GETFAMILY): its dynamic id and its multicast groups.
//!
//! The request is netlink-packet-generic's `GenlCtrl`. The reply is read
//! here, keeping only the family id and the groups and skipping everything
//! else, because `GenlCtrl`'s parser rejects a whole reply that holds a
//! controller attribute it does not know, which a newer kernel may add.

use netlink_packet_core::{
    DecodeError, ErrorContext, NLM_F_REQUEST, NLMSG_ERROR, NetlinkBuffer, NetlinkMessage,
    NlasIterator,
};
use netlink_packet_generic::GenlMessage;
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};

use super::consts::*;
use super::extack;
use super::nla::{u16_of, u32_of};

/// A resolved family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// The id to put in `nlmsg_type`.
    pub id: u16,
    /// Multicast groups by name and id.
    pub groups: Vec<(String, u32)>,
}

impl Family {
    /// The id of the multicast group `name`.
    pub fn group(&self, name: &str) -> Option<u32> {
        self.groups
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
    }
}

/// What the controller answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtrlReply {
    /// The family exists.
    Family(Family),
    /// An error: ENOENT when no such family is registered.
    Error {
        /// Positive errno.
        errno: i32,
        /// The kernel's extended-ACK text, if any.
        message: Option<String>,
    },
}

/// The bytes of a GETFAMILY request for `name` with sequence number `seq`.
pub fn getfamily_request(name: &str, seq: u32) -> Vec<u8> {
    let ctrl = GenlCtrl {
        cmd: GenlCtrlCmd::GetFamily,
        nlas: vec![GenlCtrlAttrs::FamilyName(name.to_owned())],
    };
    let mut msg = NetlinkMessage::from(GenlMessage::from_payload(ctrl));
    msg.header.flags = NLM_F_REQUEST;
    msg.header.sequence_number = seq;
    msg.finalize();
    let mut buf = vec![0; msg.buffer_len()];
    msg.serialize(&mut buf);
    buf
}

/// Reads the controller's answer (the first message of `datagram`).
pub fn decode_ctrl_reply(datagram: &[u8]) -> Result<CtrlReply, DecodeError> {
    let msg = NetlinkBuffer::new_checked(datagram).context("controller reply")?;
    let payload = msg.payload();
    match msg.message_type() {
        NLMSG_ERROR => {
            let code = payload
                .get(..4)
                .and_then(|c| <[u8; 4]>::try_from(c).ok())
                .map(i32::from_ne_bytes)
                .ok_or_else(|| DecodeError::from("controller error without a code"))?;
            Ok(CtrlReply::Error {
                errno: code.saturating_neg(),
                message: extack::error_message(msg.flags(), payload.get(4..).unwrap_or(&[])),
            })
        }
        GENL_ID_CTRL => {
            let attrs = payload
                .get(4..)
                .ok_or_else(|| DecodeError::from("controller reply without a genl header"))?;
            decode_family(attrs).map(CtrlReply::Family)
        }
        other => Err(DecodeError::from(format!(
            "controller answered with message type {other}"
        ))),
    }
}

fn decode_family(attrs: &[u8]) -> Result<Family, DecodeError> {
    let mut id = None;
    let mut groups = Vec::new();
    for nla in NlasIterator::new(attrs) {
        let nla = nla?;
        match nla.kind() {
            CTRL_ATTR_FAMILY_ID => id = Some(u16_of(&nla, "ctrl.family_id")?),
            CTRL_ATTR_MCAST_GROUPS => {
                for group in NlasIterator::new(nla.value()) {
                    let group = group?;
                    let mut name = None;
                    let mut gid = None;
                    for g in NlasIterator::new(group.value()) {
                        let g = g?;
                        match g.kind() {
                            CTRL_ATTR_MCAST_GRP_NAME => {
                                let raw = g.value();
                                let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
                                name = Some(String::from_utf8_lossy(raw).into_owned());
                            }
                            CTRL_ATTR_MCAST_GRP_ID => gid = Some(u32_of(&g, "ctrl.mcast_grp_id")?),
                            _ => {}
                        }
                    }
                    if let (Some(name), Some(gid)) = (name, gid) {
                        groups.push((name, gid));
                    }
                }
            }
            _ => {}
        }
    }
    let id = id.ok_or_else(|| DecodeError::from("controller reply without a family id"))?;
    Ok(Family { id, groups })
}
