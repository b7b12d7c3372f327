//! The event decoder against the events `ip mptcp monitor` read.

use std::net::SocketAddr;

use super::FAMILY_ID;
use super::captures::*;
use crate::codec::event::decode_datagram;
use crate::event::{Connection, Listener, PmEvent, Subflow};

const CLIENT: u32 = 0x8bb2_b330;
const SERVER: u32 = 0xc2d0_d61c;

fn one(capture: &[&str]) -> PmEvent {
    let mut events = decode_datagram(&bytes(capture), FAMILY_ID);
    assert_eq!(events.len(), 1);
    events.remove(0).expect("captured event decodes")
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn connection_events() {
    let client = Connection {
        token: CLIENT,
        local: sa("10.0.0.1:40001"),
        remote: sa("10.0.0.1:5001"),
        server_side: false,
        deny_join_id0: false,
    };
    let server = Connection {
        token: SERVER,
        local: sa("10.0.0.1:5001"),
        remote: sa("10.0.0.1:40001"),
        server_side: true,
        deny_join_id0: false,
    };
    assert_eq!(one(EV_CREATED_CLIENT), PmEvent::Created(client));
    assert_eq!(one(EV_CREATED_SERVER), PmEvent::Created(server));
    assert_eq!(one(EV_ESTABLISHED_CLIENT), PmEvent::Established(client));
    assert_eq!(one(EV_ESTABLISHED_SERVER), PmEvent::Established(server));
    assert_eq!(one(EV_CLOSED_CLIENT), PmEvent::Closed { token: CLIENT });
    assert_eq!(one(EV_CLOSED_SERVER), PmEvent::Closed { token: SERVER });
}

#[test]
fn announcements() {
    assert_eq!(
        one(EV_ANNOUNCED_CLIENT),
        PmEvent::Announced {
            token: CLIENT,
            remote_id: 2,
            addr: "10.0.0.3".parse().unwrap(),
            port: Some(5001),
        }
    );
    assert_eq!(one(EV_ANNOUNCED_SERVER).token(), Some(SERVER));
}

#[test]
fn subflow_events() {
    assert_eq!(
        one(EV_SUB_ESTABLISHED_CLIENT),
        PmEvent::SubEstablished(Subflow {
            token: CLIENT,
            local_id: 1,
            remote_id: 0,
            local: sa("10.0.0.2:34475"),
            remote: sa("10.0.0.1:5001"),
            backup: false,
            ifindex: Some(1),
            error: None,
            reset_reason: None,
            reset_flags: None,
        })
    );
    // The accepting side has no bound device.
    let PmEvent::SubEstablished(s) = one(EV_SUB_ESTABLISHED_SERVER) else {
        panic!("expected sub_established")
    };
    assert_eq!(
        (s.token, s.local_id, s.remote_id, s.ifindex),
        (SERVER, 0, 1, None)
    );
    assert_eq!(
        one(EV_SUB_CLOSED_CLIENT),
        PmEvent::SubClosed(Subflow {
            token: CLIENT,
            local_id: 2,
            remote_id: 2,
            local: sa("10.0.0.3:56303"),
            remote: sa("10.0.0.3:5001"),
            backup: false,
            ifindex: None,
            error: Some(111),
            reset_reason: None,
            reset_flags: None,
        })
    );
}

#[test]
fn listeners() {
    let l = Listener {
        local: sa("10.0.0.1:5001"),
    };
    assert_eq!(one(EV_LISTENER_CREATED), PmEvent::ListenerCreated(l));
    assert_eq!(one(EV_LISTENER_CLOSED), PmEvent::ListenerClosed(l));
}

#[test]
fn several_per_datagram_and_foreign_types() {
    let mut dgram = bytes(EV_CREATED_CLIENT);
    dgram.extend(bytes(EV_CLOSED_CLIENT));
    let events: Vec<_> = decode_datagram(&dgram, FAMILY_ID)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1], PmEvent::Closed { token: CLIENT });
    // Another family's message is skipped.
    assert!(decode_datagram(&dgram, FAMILY_ID + 1).is_empty());
}

#[test]
fn unknown_event_number_is_not_an_error() {
    let mut raw = bytes(EV_CLOSED_CLIENT);
    raw[16] = 200;
    assert_eq!(
        decode_datagram(&raw, FAMILY_ID).remove(0).unwrap(),
        PmEvent::Unknown { number: 200 }
    );
}

#[test]
fn serde_round_trip() {
    let ev = one(EV_SUB_CLOSED_CLIENT);
    let json = serde_json::to_string(&ev).unwrap();
    assert!(json.starts_with(r#"{"event":"sub_closed""#), "{json}");
    assert_eq!(serde_json::from_str::<PmEvent>(&json).unwrap(), ev);
}
