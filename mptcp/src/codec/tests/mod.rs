//! Codec tests against bytes captured from the kernel (`captures.rs`).
//! Host-order integers in the captures are little-endian, so these run on
//! little-endian targets only.

mod captures;
mod events;
mod replies;
mod requests;
mod robustness;

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_generic::GenlMessage;

use super::message::PmMessage;

/// The family id the kernel had given `mptcp_pm` during the captures.
const FAMILY_ID: u16 = 0x1c;

/// `msg` as a netlink message with the header fields of a capture.
fn encode(msg: PmMessage, flags: u16, seq: u32) -> Vec<u8> {
    let mut genl = GenlMessage::from_payload(msg);
    genl.set_resolved_family_id(FAMILY_ID);
    let mut nl = NetlinkMessage::from(genl);
    nl.header.flags = flags;
    nl.header.sequence_number = seq;
    nl.finalize();
    let mut buf = vec![0; nl.buffer_len()];
    nl.serialize(&mut buf);
    buf
}

/// The one netlink message in `bytes`.
fn decode(bytes: &[u8]) -> NetlinkMessage<GenlMessage<PmMessage>> {
    NetlinkMessage::deserialize(bytes).expect("captured message decodes")
}

/// The mptcp_pm payload of a captured message.
fn payload(bytes: &[u8]) -> PmMessage {
    match decode(bytes).payload {
        NetlinkPayload::InnerMessage(genl) => genl.payload,
        other => panic!("expected an mptcp_pm message, got {other:?}"),
    }
}

/// The sequence number in a captured message.
fn seq_of(bytes: &[u8]) -> u32 {
    decode(bytes).header.sequence_number
}
