//! Malformed input gives errors, never panics.

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_generic::GenlMessage;

use super::FAMILY_ID;
use super::captures::*;
use crate::codec::event::decode_datagram;
use crate::codec::extack::error_message;
use crate::codec::family::decode_ctrl_reply;
use crate::codec::message::PmMessage;

/// Every decoder this crate owns, on arbitrary bytes.
fn decode_everything(bytes: &[u8]) {
    if let Ok(nl) = NetlinkMessage::<GenlMessage<PmMessage>>::deserialize(bytes) {
        match nl.payload {
            NetlinkPayload::InnerMessage(genl) => {
                let _ = genl.payload.endpoint();
                let _ = genl.payload.limits();
            }
            NetlinkPayload::Error(e) => {
                let _ = error_message(nl.header.flags, &e.header);
                let _ = error_message(u16::MAX, &e.header);
            }
            _ => {}
        }
    }
    let _ = decode_datagram(bytes, FAMILY_ID);
    let _ = decode_ctrl_reply(bytes);
    let _ = error_message(u16::MAX, bytes);
}

const ALL: &[&[&str]] = &[
    CTRL_REPLY_MPTCP_PM,
    CTRL_REPLY_MISSING,
    ADD4_ACK,
    ADD_DUP_ID_ERROR,
    GET_REPLY,
    DUMP_REPLY,
    DUMP_DONE,
    DEL_MISSING_ERROR,
    GET_LIMITS_REPLY,
    EV_LISTENER_CREATED,
    EV_CREATED_SERVER,
    EV_ANNOUNCED_CLIENT,
    EV_SUB_ESTABLISHED_CLIENT,
    EV_SUB_CLOSED_CLIENT,
    EV_CLOSED_CLIENT,
];

#[test]
fn every_truncation_and_every_byte_flip() {
    for capture in ALL {
        let raw = bytes(capture);
        for len in 0..raw.len() {
            decode_everything(&raw[..len]);
        }
        for i in 0..raw.len() {
            for value in [0x00, 0x01, 0x03, 0x7f, 0x80, 0xff] {
                let mut bad = raw.clone();
                bad[i] = value;
                decode_everything(&bad);
            }
        }
    }
}

#[test]
fn a_short_attribute_is_an_error() {
    // `closed`: netlink header, genl header, token attribute (length 8).
    let mut raw = bytes(EV_CLOSED_CLIENT);
    assert_eq!(raw[20], 8);
    raw[20] = 7;
    let err = decode_datagram(&raw, FAMILY_ID).remove(0).unwrap_err();
    assert!(err.to_string().contains("token has 3 bytes"), "{err}");

    // An endpoint whose id attribute is empty.
    let mut raw = bytes(GET_REPLY);
    // Nested attributes: family (8 bytes), port (8), then id at 40.
    assert_eq!(&raw[40..44], &[5, 0, 2, 0]);
    raw[40] = 4;
    let decoded = NetlinkMessage::<GenlMessage<PmMessage>>::deserialize(&raw);
    assert!(decoded.is_err());
}

#[test]
fn an_attribute_longer_than_its_message_is_an_error() {
    let mut raw = bytes(EV_CLOSED_CLIENT);
    raw[20] = 12;
    assert!(decode_datagram(&raw, FAMILY_ID).remove(0).is_err());
}

#[test]
fn a_required_attribute_missing_is_an_error() {
    // `closed` with its token attribute renamed to an unknown type.
    let mut raw = bytes(EV_CLOSED_CLIENT);
    raw[22] = 99;
    let err = decode_datagram(&raw, FAMILY_ID).remove(0).unwrap_err();
    assert!(err.to_string().contains("missing attribute token"), "{err}");
}
