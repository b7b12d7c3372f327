//! The kernel's replies decode, and re-encode to the same bytes.

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_MULTIPART, NetlinkBuffer, NetlinkPayload};

use super::captures::*;
use super::{FAMILY_ID, decode, encode, payload};
use crate::codec::extack::error_message;
use crate::codec::family::{CtrlReply, decode_ctrl_reply};
use crate::codec::message::PmCommand;
use crate::endpoint::{Endpoint, Limits};
use crate::flags::EndpointFlags;

fn lo_endpoint() -> Endpoint {
    Endpoint {
        id: 3,
        addr: IpAddr::from([10, 0, 0, 1]),
        port: None,
        flags: EndpointFlags::SUBFLOW,
        ifindex: Some(1),
    }
}

#[test]
fn get_one() {
    let raw = bytes(GET_REPLY);
    let msg = payload(&raw);
    assert_eq!(msg.cmd, PmCommand::GetAddr);
    assert_eq!(msg.endpoint().unwrap(), lo_endpoint());
    // The kernel's attribute order (family, port, id, flags, ifindex,
    // address) is kept, so the reply re-encodes to its own bytes.
    let nl = decode(&raw);
    let mut ours = encode(msg, nl.header.flags, nl.header.sequence_number);
    // The port id is the receiver's; copy it to compare the rest.
    ours[12..16].copy_from_slice(&raw[12..16]);
    assert_eq!(ours, raw);
}

#[test]
fn dump_of_two() {
    let raw = bytes(DUMP_REPLY);
    let first = NetlinkBuffer::new_checked(&raw[..]).unwrap();
    let first_len = first.length() as usize;
    assert_eq!(first.flags() & NLM_F_MULTIPART, NLM_F_MULTIPART);
    assert_eq!(
        payload(&raw[..first_len]).endpoint().unwrap(),
        lo_endpoint()
    );
    let second = payload(&raw[first_len..]).endpoint().unwrap();
    assert_eq!(
        second,
        Endpoint {
            id: 5,
            addr: "2001:db8::1".parse().unwrap(),
            port: Some(4000),
            flags: EndpointFlags::SIGNAL | EndpointFlags::BACKUP,
            ifindex: None,
        }
    );
    assert!(matches!(
        decode(&bytes(DUMP_DONE)).payload,
        NetlinkPayload::Done(_)
    ));
}

#[test]
fn limits() {
    let limits = payload(&bytes(GET_LIMITS_REPLY)).limits().unwrap();
    assert_eq!(
        limits,
        Limits {
            subflows: 2,
            add_addr_accepted: 3
        }
    );
}

#[test]
fn ack_and_errors() {
    let ack = decode(&bytes(ADD4_ACK));
    let NetlinkPayload::Error(e) = ack.payload else {
        panic!("ACK is an NLMSG_ERROR")
    };
    assert_eq!(e.code, None);

    for (capture, errno, text) in [
        (
            ADD_DUP_ID_ERROR,
            libc::EBUSY,
            "too many addresses or duplicate one: -16",
        ),
        (DEL_MISSING_ERROR, libc::EINVAL, "address not found"),
        (SET_FLAGS_MISSING_ERROR, libc::EINVAL, "address not found"),
    ] {
        let nl = decode(&bytes(capture));
        let NetlinkPayload::Error(e) = nl.payload else {
            panic!("expected NLMSG_ERROR")
        };
        assert_eq!(e.raw_code(), -errno);
        assert_eq!(
            error_message(nl.header.flags, &e.header).as_deref(),
            Some(text)
        );
    }
}

#[test]
fn extack_when_capped() {
    // Our socket sets NETLINK_CAP_ACK: the kernel then echoes only the
    // request's header. Rebuild the capture that way.
    let raw = bytes(DEL_MISSING_ERROR);
    let nl = decode(&raw);
    let NetlinkPayload::Error(e) = nl.payload else {
        panic!("expected NLMSG_ERROR")
    };
    let echoed_len = u32::from_ne_bytes(e.header[..4].try_into().unwrap()) as usize;
    let mut capped = e.header[..16].to_vec();
    capped.extend_from_slice(&e.header[echoed_len..]);
    let flags = nl.header.flags | crate::codec::consts::NLM_F_CAPPED;
    assert_eq!(
        error_message(flags, &capped).as_deref(),
        Some("address not found")
    );
    // Without NLM_F_ACK_TLVS there is nothing to read.
    assert_eq!(error_message(0, &capped), None);
}

#[test]
fn controller() {
    let CtrlReply::Family(family) = decode_ctrl_reply(&bytes(CTRL_REPLY_MPTCP_PM)).unwrap() else {
        panic!("expected the family")
    };
    assert_eq!(family.id, FAMILY_ID);
    assert_eq!(family.group("mptcp_pm_cmds"), Some(8));
    assert_eq!(family.group("mptcp_pm_events"), Some(9));
    assert_eq!(
        decode_ctrl_reply(&bytes(CTRL_REPLY_MISSING)).unwrap(),
        CtrlReply::Error {
            errno: libc::ENOENT,
            message: None
        }
    );
}
