//! Our requests equal iproute2's, byte for byte.

use std::net::IpAddr;

use super::captures::*;
use super::{encode, payload, seq_of};
use crate::codec::message::PmMessage;
use crate::codec::request::{FLAGS_CHANGE, FLAGS_DUMP, FLAGS_GET};
use crate::endpoint::{Endpoint, Limits};
use crate::flags::EndpointFlags;

/// Encodes `ours` with the captured header fields and compares; then
/// decodes the capture and compares the messages.
fn same_as_iproute2(capture: &[&str], ours: PmMessage, flags: u16) {
    let theirs = bytes(capture);
    assert_eq!(encode(ours.clone(), flags, seq_of(&theirs)), theirs);
    assert_eq!(payload(&theirs), ours);
}

#[test]
fn add_ipv4_with_device() {
    let ep = Endpoint {
        id: 3,
        addr: IpAddr::from([10, 0, 0, 1]),
        port: None,
        flags: EndpointFlags::SUBFLOW,
        ifindex: Some(1),
    };
    same_as_iproute2(
        ADD4_REQUEST,
        PmMessage::add_endpoint(&ep).unwrap(),
        FLAGS_CHANGE,
    );
    let other = Endpoint {
        addr: IpAddr::from([10, 0, 0, 2]),
        ..ep
    };
    same_as_iproute2(
        ADD_DUP_ID_REQUEST,
        PmMessage::add_endpoint(&other).unwrap(),
        FLAGS_CHANGE,
    );
}

#[test]
fn add_ipv6_with_port() {
    let ep = Endpoint {
        id: 5,
        addr: "2001:db8::1".parse().unwrap(),
        port: Some(4000),
        flags: EndpointFlags::SIGNAL | EndpointFlags::BACKUP,
        ifindex: None,
    };
    same_as_iproute2(
        ADD6_REQUEST,
        PmMessage::add_endpoint(&ep).unwrap(),
        FLAGS_CHANGE,
    );
}

#[test]
fn get_dump_delete() {
    same_as_iproute2(GET_REQUEST, PmMessage::get_endpoint(3), FLAGS_GET);
    same_as_iproute2(DUMP_REQUEST, PmMessage::dump_endpoints(), FLAGS_DUMP);
    same_as_iproute2(DEL_REQUEST, PmMessage::del_endpoint(3), FLAGS_CHANGE);
}

#[test]
fn set_flags_sends_the_whole_wanted_state() {
    // Signal and subflow cannot be changed; they are left out, as iproute2
    // leaves them out.
    let backup = EndpointFlags::SUBFLOW | EndpointFlags::BACKUP;
    same_as_iproute2(
        SET_BACKUP_REQUEST,
        PmMessage::set_flags(3, backup),
        FLAGS_CHANGE,
    );
    let fullmesh = EndpointFlags::SUBFLOW | EndpointFlags::FULLMESH;
    same_as_iproute2(
        SET_FULLMESH_REQUEST,
        PmMessage::set_flags(3, fullmesh),
        FLAGS_CHANGE,
    );
}

#[test]
fn limits() {
    let limits = Limits {
        subflows: 2,
        add_addr_accepted: 3,
    };
    same_as_iproute2(
        SET_LIMITS_REQUEST,
        PmMessage::set_limits(limits),
        FLAGS_CHANGE,
    );
    same_as_iproute2(GET_LIMITS_REQUEST, PmMessage::get_limits(), FLAGS_GET);
}

#[test]
fn endpoints_that_cannot_be_encoded() {
    let mut ep = Endpoint::new(1, IpAddr::from([10, 0, 0, 1]), EndpointFlags::SUBFLOW);
    ep.port = Some(0);
    assert!(PmMessage::add_endpoint(&ep).is_err());
    ep.port = None;
    ep.ifindex = Some(0);
    assert!(PmMessage::add_endpoint(&ep).is_err());
    ep.ifindex = Some(u32::MAX);
    assert!(PmMessage::add_endpoint(&ep).is_err());
}
