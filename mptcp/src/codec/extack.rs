//! The kernel's own words for an error (extended ACK, `NLMSGERR_ATTR_MSG`),
//! e.g. "address not found" for a missing endpoint id. The path manager
//! answers a missing id with EINVAL, so this text is what tells "not
//! found" from other invalid requests.

use netlink_packet_core::NlasIterator;

use super::consts::{NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSGERR_ATTR_MSG};

/// Length of a netlink header, the part of the request every error echoes.
const NLMSG_HDRLEN: usize = 16;

/// The error message in an NLMSG_ERROR whose header carries `flags` and
/// whose payload after the error code is `after_code` (the echoed request,
/// then the TLVs when `NLM_F_ACK_TLVS` is set).
pub fn error_message(flags: u16, after_code: &[u8]) -> Option<String> {
    if flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    let echoed = if flags & NLM_F_CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        // The whole request comes back; its length is its first field.
        let len = u32::from_ne_bytes(after_code.get(..4)?.try_into().ok()?);
        usize::try_from(len).ok()?.checked_add(3)? & !3
    };
    let tlvs = after_code.get(echoed..)?;
    NlasIterator::new(tlvs)
        .map_while(Result::ok)
        .find(|nla| nla.kind() == NLMSGERR_ATTR_MSG)
        .map(|nla| {
            String::from_utf8_lossy(nla.value())
                .trim_end_matches('\0')
                .to_owned()
        })
        .filter(|s| !s.is_empty())
}
