//! Any bytes as a datagram from the `mptcp_pm_events` socket: the first
//! two bytes (little-endian) are the family id the datagram is decoded
//! against, the rest is the datagram. Every error carries a message, a
//! datagram yields at most one result per 16 bytes (a netlink header) plus
//! one for a broken tail, and every decoded event survives the serde round
//! trip that the event log and the control socket use.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpwan_mptcp::PmEvent;
use mpwan_mptcp::codec::event::{decode_datagram, decode_event};

/// The netlink header's size: no message is shorter.
const NLMSG_HDRLEN: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Some((id, datagram)) = data.split_first_chunk::<2>() else {
        return;
    };
    let family_id = u16::from_le_bytes(*id);
    let results = decode_datagram(datagram, family_id);
    assert!(
        results.len() <= datagram.len() / NLMSG_HDRLEN + 1,
        "{} results from {} bytes",
        results.len(),
        datagram.len()
    );
    for r in &results {
        check(r);
    }
    // The same bytes as one event's attributes, the first byte its number.
    if let Some((number, attrs)) = datagram.split_first() {
        check(&decode_event(*number, attrs));
    }
});

fn check(r: &Result<PmEvent, netlink_packet_core::DecodeError>) {
    match r {
        Ok(event) => {
            let json = serde_json::to_string(event).expect("an event serialises");
            let back: PmEvent = serde_json::from_str(&json).expect("its JSON reads back");
            assert_eq!(&back, event, "{json}");
        }
        Err(e) => assert!(!e.to_string().is_empty(), "an error without a message"),
    }
}
