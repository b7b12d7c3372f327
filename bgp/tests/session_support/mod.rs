//! A virtual-time harness for the session tests: a session, a clock that
//! only moves when told, the peer's OPENs and UPDATEs, and helpers that
//! pick the interesting actions out of a call's output.

// Each test file uses its own part of the harness.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use mpwan_bgp::session::{
    Action, ConnId, DownReason, Event, NegotiatedSession, Session, SessionConfig, State,
};
use mpwan_bgp::wire::capability::GrFamily;
use mpwan_bgp::wire::{
    AsPath, Attributes, Capability, Community, Family, GracefulRestart, LlgrFamily, Message,
    MpNextHop, MpNlri, MpReach, Notification, Open, Origin, Prefix, Update,
};

pub const LOCAL_ASN: u32 = 65001;
pub const PEER_ASN: u32 = 65000;
pub const V4: Family = Family::IPV4_UNICAST;
pub const V6: Family = Family::IPV6_UNICAST;

pub fn local_id() -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, 1)
}

pub fn peer_id() -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, 2)
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A test's fixed point in time; the harness only ever adds to it.
#[allow(clippy::disallowed_methods)]
pub fn base() -> Instant {
    Instant::now()
}

/// Our side: AS 65001, 192.0.2.1, peer AS 65000 at 192.0.2.2, defaults.
pub fn config() -> SessionConfig {
    SessionConfig::new(LOCAL_ASN, local_id(), IpAddr::V4(peer_id()), PEER_ASN)
}

/// The GR capability of a peer.
pub fn gr_cap(
    restart_time: u16,
    notification: bool,
    restarting: bool,
    f: &[(Family, bool)],
) -> Capability {
    Capability::GracefulRestart(GracefulRestart {
        restarting,
        notification,
        restart_time,
        families: f
            .iter()
            .map(|&(family, forwarding)| GrFamily { family, forwarding })
            .collect(),
    })
}

/// The LLGR capability of a peer.
pub fn llgr_cap(stale_time: u32, f: &[(Family, bool)]) -> Capability {
    Capability::LongLivedGracefulRestart(
        f.iter()
            .map(|&(family, forwarding)| LlgrFamily {
                family,
                forwarding,
                stale_time,
            })
            .collect(),
    )
}

/// A peer OPEN with both families, route refresh and `extra` capabilities.
pub fn open_with(extra: Vec<Capability>) -> Open {
    let mut caps = vec![
        Capability::Multiprotocol(V4),
        Capability::Multiprotocol(V6),
        Capability::RouteRefresh,
    ];
    caps.extend(extra);
    Open::new(PEER_ASN, 90, peer_id(), caps)
}

/// A peer like GoBGP configured per FIELD-NOTES: GR 120 s with N and F
/// for both families, LLGR 3600 s.
pub fn gr_peer_open() -> Open {
    open_with(vec![
        gr_cap(120, true, false, &[(V4, true), (V6, true)]),
        llgr_cap(3600, &[(V4, true), (V6, true)]),
    ])
}

/// A peer without any Graceful Restart.
pub fn plain_peer_open() -> Open {
    open_with(vec![])
}

pub fn p(s: &str) -> Prefix {
    s.parse().expect("test prefix")
}

/// Attributes with a path through `asn` and the given communities.
pub fn attrs(asn: u32, communities: &[Community]) -> Attributes {
    Attributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::from_sequence([PEER_ASN, asn])),
        communities: communities.to_vec(),
        ..Attributes::default()
    }
}

/// An UPDATE announcing IPv4 prefixes via 192.0.2.2.
pub fn announce_v4(prefixes: &[&str], mut a: Attributes) -> Update {
    a.next_hop = Some(peer_id());
    Update {
        attributes: a,
        nlri: prefixes.iter().map(|s| p(s)).collect(),
        ..Update::default()
    }
}

/// An UPDATE announcing IPv6 prefixes via 2001:db8::2.
pub fn announce_v6(prefixes: &[&str], a: Attributes) -> Update {
    Update {
        attributes: a,
        mp_reach: Some(MpReach {
            family: V6,
            next_hop: MpNextHop::V6 {
                global: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
                link_local: None,
            },
            nlri: MpNlri::Prefixes(prefixes.iter().map(|s| p(s)).collect()),
        }),
        ..Update::default()
    }
}

/// An UPDATE withdrawing IPv4 prefixes.
pub fn withdraw_v4(prefixes: &[&str]) -> Update {
    Update {
        withdrawn: prefixes.iter().map(|s| p(s)).collect(),
        ..Update::default()
    }
}

/// A session under test with its virtual clock.
pub struct Harness {
    pub s: Session,
    pub t0: Instant,
    pub now: Instant,
    next_id: u64,
}

impl Harness {
    pub fn new(cfg: SessionConfig) -> Harness {
        let t0 = base();
        Harness {
            s: Session::new(cfg).expect("valid test config"),
            t0,
            now: t0,
            next_id: 1,
        }
    }

    /// Time since the start of the test.
    pub fn elapsed(&self) -> Duration {
        self.now.duration_since(self.t0)
    }

    pub fn feed(&mut self, e: Event) -> Vec<Action> {
        self.s.handle(e, self.now)
    }

    /// Moves the clock by `d`, ticking at every deadline on the way, as a
    /// driver sleeping until `next_deadline` would. Returns every action.
    pub fn advance(&mut self, d: Duration) -> Vec<Action> {
        let target = self.now + d;
        let mut out = Vec::new();
        for _ in 0..100_000 {
            match self.s.next_deadline() {
                Some(t) if t <= target => {
                    self.now = self.now.max(t);
                    out.extend(self.feed(Event::Tick));
                }
                _ => {
                    self.now = target;
                    return out;
                }
            }
        }
        panic!("a deadline that never moves");
    }

    /// Moves the clock to the next deadline and ticks once.
    pub fn advance_to_deadline(&mut self) -> Vec<Action> {
        let t = self.s.next_deadline().expect("a timer runs");
        self.now = self.now.max(t);
        self.feed(Event::Tick)
    }

    pub fn new_conn(&mut self) -> ConnId {
        let id = ConnId(self.next_id);
        self.next_id += 1;
        id
    }

    /// From Idle: Start, the outbound connect succeeds. Returns the
    /// connection and our OPEN.
    pub fn connect_outbound(&mut self) -> (ConnId, Open) {
        let a = self.feed(Event::Start);
        assert!(a.contains(&Action::Connect), "Start connects: {a:?}");
        self.connected(true)
    }

    /// A connection (outbound after `Connect`, or inbound) comes up.
    pub fn connected(&mut self, outbound: bool) -> (ConnId, Open) {
        let (conn, open, _) = self.connected_with_actions(outbound);
        (conn, open)
    }

    /// As `connected`, with every action of that call.
    pub fn connected_with_actions(&mut self, outbound: bool) -> (ConnId, Open, Vec<Action>) {
        let conn = self.new_conn();
        let a = self.feed(Event::TcpConnected { conn, outbound });
        let open = sent(&a)
            .into_iter()
            .find_map(|(c, m)| match m {
                Message::Open(o) if c == conn => Some(o),
                _ => None,
            })
            .unwrap_or_else(|| panic!("our OPEN on {conn}: {a:?}"));
        (conn, open, a)
    }

    /// The peer's OPEN then KEEPALIVE on `conn`. Returns what was
    /// negotiated and every action.
    pub fn handshake(&mut self, conn: ConnId, peer: Open) -> (NegotiatedSession, Vec<Action>) {
        let mut a = self.feed(Event::Message(conn, Message::Open(peer)));
        assert!(
            a.contains(&Action::Send(conn, Message::Keepalive)),
            "KEEPALIVE answers the OPEN: {a:?}"
        );
        assert_eq!(self.s.state(), State::OpenConfirm);
        a.extend(self.feed(Event::Message(conn, Message::Keepalive)));
        let neg = established(&a).unwrap_or_else(|| panic!("established: {a:?}"));
        assert_eq!(self.s.state(), State::Established);
        (neg, a)
    }

    /// Start, connect, handshake with `peer`.
    pub fn establish(&mut self, peer: Open) -> (ConnId, NegotiatedSession) {
        let (conn, _) = self.connect_outbound();
        let (neg, _) = self.handshake(conn, peer);
        (conn, neg)
    }

    /// An UPDATE from the peer on `conn`.
    pub fn update(&mut self, conn: ConnId, u: Update) -> Vec<Action> {
        self.feed(Event::Message(conn, Message::Update(u)))
    }

    /// The peer's End-of-RIB for `family`.
    pub fn end_of_rib(&mut self, conn: ConnId, family: Family) -> Vec<Action> {
        self.update(conn, Update::end_of_rib(family))
    }

    /// The RIB's view of a prefix: its state and whether it carries a
    /// community.
    pub fn route(&self, prefix: &str) -> Option<mpwan_bgp::session::RouteState> {
        self.s.rib().get(&p(prefix)).map(|r| r.state)
    }
}

/// Every message sent, with its connection.
pub fn sent(actions: &[Action]) -> Vec<(ConnId, Message)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(c, m) => Some((*c, m.clone())),
            _ => None,
        })
        .collect()
}

/// Every NOTIFICATION sent.
pub fn notifications(actions: &[Action]) -> Vec<Notification> {
    sent(actions)
        .into_iter()
        .filter_map(|(_, m)| match m {
            Message::Notification(n) => Some(n),
            _ => None,
        })
        .collect()
}

/// Whether `conn` is closed by these actions.
pub fn closes(actions: &[Action], conn: ConnId) -> bool {
    actions.contains(&Action::Close(conn))
}

/// The KEEPALIVEs sent.
pub fn keepalives(actions: &[Action]) -> usize {
    sent(actions)
        .iter()
        .filter(|(_, m)| *m == Message::Keepalive)
        .count()
}

/// The End-of-RIB markers sent, by family.
pub fn end_of_ribs(actions: &[Action]) -> Vec<Family> {
    sent(actions)
        .into_iter()
        .filter_map(|(_, m)| match m {
            Message::Update(u) => u.is_end_of_rib(),
            _ => None,
        })
        .collect()
}

/// The `Down` action: reason, peer keeps our routes, we keep theirs.
pub fn down(actions: &[Action]) -> Option<(DownReason, bool, bool)> {
    actions.iter().find_map(|a| match a {
        Action::Down {
            reason,
            peer_keeps_routes,
            routes_retained,
        } => Some((reason.clone(), *peer_keeps_routes, *routes_retained)),
        _ => None,
    })
}

/// The `Established` action's negotiation.
pub fn established(actions: &[Action]) -> Option<NegotiatedSession> {
    actions.iter().find_map(|a| match a {
        Action::Established(n) => Some(n.clone()),
        _ => None,
    })
}
