//! The BGP families: session state, prefixes, messages, Graceful Restart
//! and the announcements.

use std::fmt;

use mpwan_bgp::session::MessageCounts;
use prometheus_client::encoding::DescriptorEncoder;

use super::render::{Labels, counter, flag, gauge, state_set};
use crate::status::{BgpStatus, NeighborStatus};

/// RFC 4271 states, as `mpwan status` names them.
const SESSION_STATES: [&str; 6] = [
    "idle",
    "connect",
    "active",
    "opensent",
    "openconfirm",
    "established",
];

/// An announcement's states.
const ANNOUNCE_STATES: [&str; 3] = ["announced", "degraded", "withdrawn"];

/// A per-neighbor message counter: its name, help and field.
type MessageCounter = (&'static str, &'static str, fn(&MessageCounts) -> u64);

const MESSAGE_COUNTERS: [MessageCounter; 8] = [
    (
        "bgp_updates_received",
        "UPDATE messages received from the neighbor, End-of-RIB included.",
        |m| m.updates_received,
    ),
    (
        "bgp_updates_sent",
        "UPDATE messages sent to the neighbor, End-of-RIB included.",
        |m| m.updates_sent,
    ),
    (
        "bgp_notifications_received",
        "NOTIFICATION messages received from the neighbor.",
        |m| m.notifications_received,
    ),
    (
        "bgp_notifications_sent",
        "NOTIFICATION messages sent to the neighbor.",
        |m| m.notifications_sent,
    ),
    (
        "bgp_established",
        "Times the session reached Established.",
        |m| m.established,
    ),
    (
        "bgp_peer_restarts",
        "Times the session went down while we kept the neighbor's routes as stale \
         (Graceful Restart helper).",
        |m| m.peer_restarts,
    ),
    (
        "bgp_end_of_rib_received",
        "End-of-RIB markers received from the neighbor.",
        |m| m.end_of_rib_received,
    ),
    (
        "bgp_end_of_rib_sent",
        "End-of-RIB markers sent to the neighbor.",
        |m| m.end_of_rib_sent,
    ),
];

pub fn encode(e: &mut DescriptorEncoder, bgp: &BgpStatus) -> fmt::Result {
    let ns = &bgp.neighbors;
    let by_peer = |n: &NeighborStatus| -> Labels { vec![("neighbor", n.address.clone())] };
    let each = |f: &dyn Fn(&NeighborStatus) -> u64| -> Vec<(Labels, u64)> {
        ns.iter().map(|n| (by_peer(n), f(n))).collect()
    };
    gauge(
        e,
        "bgp_neighbor_info",
        "A configured BGP neighbor and its AS; always 1.",
        &ns.iter()
            .map(|n| {
                let mut l = by_peer(n);
                l.push(("asn", n.asn.to_string()));
                (l, 1u32)
            })
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "bgp_session_state",
        "The session's RFC 4271 state: 1 for the state it is in, 0 for the others.",
        &ns.iter()
            .flat_map(|n| state_set(&by_peer(n), &SESSION_STATES, &n.state))
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "bgp_session_uptime_seconds",
        "Seconds since the session was established; absent while it is not.",
        &ns.iter()
            .filter_map(|n| n.uptime.map(|u| (by_peer(n), u)))
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "bgp_prefixes_received",
        "Routes in the Adj-RIB-In from the neighbor, stale ones included.",
        &each(&|n| n.received),
    )?;
    gauge(
        e,
        "bgp_prefixes_stale",
        "Routes from the neighbor kept as stale while it restarts.",
        &each(&|n| n.stale),
    )?;
    gauge(
        e,
        "bgp_prefixes_advertised",
        "Prefixes we advertise to the neighbor.",
        &each(&|n| n.advertised),
    )?;
    for (name, help, field) in MESSAGE_COUNTERS {
        counter(e, name, help, &each(&|n| field(&n.messages)))?;
    }
    let gr = |f: fn(&NeighborStatus) -> bool| -> Vec<(Labels, u32)> {
        ns.iter().map(|n| (by_peer(n), flag(f(n)))).collect()
    };
    gauge(
        e,
        "bgp_graceful_restart_negotiated",
        "1 when both sides negotiated Graceful Restart on the session, else 0.",
        &gr(|n| n.graceful_restart.negotiated),
    )?;
    gauge(
        e,
        "bgp_peer_restarting",
        "1 while the neighbor restarts and we keep its routes as stale, else 0.",
        &gr(|n| n.graceful_restart.peer_restarting),
    )?;
    gauge(
        e,
        "bgp_restarting",
        "1 while our own restart is not finished towards the neighbor (R bit set, \
         End-of-RIB not yet sent for every family), else 0.",
        &gr(|n| n.graceful_restart.restarting),
    )?;
    gauge(
        e,
        "bgp_announcement_state",
        "Each [[bgp.announce]] prefix: 1 for its state (announced, degraded, withdrawn), \
         0 for the others.",
        &bgp.announced
            .iter()
            .flat_map(|a| {
                state_set(
                    &vec![("prefix", a.prefix.clone())],
                    &ANNOUNCE_STATES,
                    a.state.as_str(),
                )
            })
            .collect::<Vec<_>>(),
    )
}
