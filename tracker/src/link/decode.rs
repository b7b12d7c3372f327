//! rtnetlink messages to the few facts the tracker needs. Pure.

use std::net::IpAddr;

use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage,
};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage, State};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

/// A link's state in one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LinkState {
    pub ifindex: u32,
    /// Absent only if the kernel left IFLA_IFNAME out.
    pub name: Option<String>,
    pub carrier: bool,
    pub oper_up: bool,
}

/// An address in one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Address {
    pub ifindex: u32,
    pub addr: IpAddr,
    pub prefix_len: u8,
    /// IPv4 label (`eth0`, `eth0:1`), a name to fall back on.
    pub label: Option<String>,
    /// False while tentative (DAD running) or after DAD failed: the
    /// kernel refuses to bind to it.
    pub usable: bool,
}

/// What one message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Change {
    Link(LinkState),
    LinkGone { ifindex: u32, name: Option<String> },
    Address(Address),
    AddressGone(Address),
}

/// What `msg` says about links and addresses, if anything.
pub(super) fn decode(msg: &RouteNetlinkMessage) -> Option<Change> {
    match msg {
        RouteNetlinkMessage::NewLink(m) => link_state(m).map(Change::Link),
        RouteNetlinkMessage::DelLink(m) => link_state(m).map(|l| Change::LinkGone {
            ifindex: l.ifindex,
            name: l.name,
        }),
        RouteNetlinkMessage::NewAddress(m) => address(m).map(Change::Address),
        RouteNetlinkMessage::DelAddress(m) => address(m).map(Change::AddressGone),
        _ => None,
    }
}

/// The state a link message carries. `None` for the bridge's per-port
/// messages (family AF_BRIDGE): they speak of a port's bridge membership,
/// and a DELLINK among them means "left the bridge", not "deleted".
pub(super) fn link_state(m: &LinkMessage) -> Option<LinkState> {
    if m.header.interface_family == AddressFamily::Bridge {
        return None;
    }
    let mut name = None;
    let mut oper = State::Unknown;
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => name = Some(n.clone()),
            LinkAttribute::OperState(s) => oper = *s,
            _ => {}
        }
    }
    let flags = m.header.flags;
    let carrier = flags.contains(LinkFlags::Up) && flags.contains(LinkFlags::LowerUp);
    let oper_up = oper == State::Up || (oper == State::Unknown && carrier);
    Some(LinkState {
        ifindex: m.header.index,
        name,
        carrier,
        oper_up,
    })
}

/// The address an address message carries. IFA_LOCAL is the local address
/// where both are present (on point-to-point links IFA_ADDRESS is the
/// peer); IFA_FLAGS, when present, holds the full flags.
pub(super) fn address(m: &AddressMessage) -> Option<Address> {
    if !matches!(m.header.family, AddressFamily::Inet | AddressFamily::Inet6) {
        return None;
    }
    let mut local = None;
    let mut address = None;
    let mut label = None;
    let mut flags = AddressFlags::from_bits_retain(u32::from(m.header.flags.bits()));
    for a in &m.attributes {
        match a {
            AddressAttribute::Local(ip) => local = Some(*ip),
            AddressAttribute::Address(ip) => address = Some(*ip),
            AddressAttribute::Label(l) => label = Some(l.clone()),
            AddressAttribute::Flags(f) => flags = *f,
            _ => {}
        }
    }
    let addr = local.or(address)?;
    let usable = !flags.intersects(AddressFlags::Tentative | AddressFlags::Dadfailed);
    Some(Address {
        ifindex: m.header.index,
        addr,
        prefix_len: m.header.prefix_len,
        label,
        usable,
    })
}

// The header flags and IFA_FLAGS share their low byte (IFA_F_*).
const _: () =
    assert!(AddressHeaderFlags::Tentative.bits() as u32 == AddressFlags::Tentative.bits());

#[cfg(test)]
pub(super) mod tests {
    use netlink_packet_core::{NetlinkMessage, NetlinkPayload};

    use super::*;

    /// The captured messages of `testdata/veth.txt`: (step, message).
    pub(in crate::link) fn captured() -> Vec<(String, RouteNetlinkMessage)> {
        include_str!("testdata/veth.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let mut f = l.split_whitespace();
                let step = f.next().unwrap().to_string();
                let _type = f.next().unwrap();
                let hex = f.next().unwrap();
                let bytes: Vec<u8> = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect();
                let msg = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&bytes).unwrap();
                let NetlinkPayload::InnerMessage(inner) = msg.payload else {
                    panic!("{step}: not an rtnetlink message");
                };
                (step, inner)
            })
            .collect()
    }

    fn changes(step: &str) -> Vec<Change> {
        captured()
            .iter()
            .filter(|(s, _)| s == step)
            .filter_map(|(_, m)| decode(m))
            .collect()
    }

    #[test]
    fn admin_up_without_peer_has_no_carrier() {
        let [Change::Link(l)] = &changes("up")[..] else {
            panic!("{:?}", changes("up"))
        };
        assert_eq!(l.name.as_deref(), Some("capn"));
        assert!(!l.carrier && !l.oper_up);
    }

    #[test]
    fn carrier_follows_the_far_end() {
        let up: Vec<_> = changes("carrier-up");
        assert!(matches!(
            &up[..],
            [Change::Link(LinkState {
                carrier: true,
                oper_up: true,
                ..
            })]
        ));
        let down = changes("carrier-down");
        let links: Vec<_> = down
            .iter()
            .filter(|c| matches!(c, Change::Link(_)))
            .collect();
        assert!(matches!(
            links[..],
            [&Change::Link(LinkState {
                carrier: false,
                oper_up: false,
                ..
            })]
        ));
    }

    #[test]
    fn addresses_are_read_with_prefix_and_label() {
        let [Change::Address(v4)] = &changes("addv4")[..] else {
            panic!()
        };
        assert_eq!(v4.addr, "10.9.1.1".parse::<IpAddr>().unwrap());
        assert_eq!(
            (v4.prefix_len, v4.label.as_deref(), v4.usable),
            (24, Some("capn"), true)
        );
        let [Change::Address(v6)] = &changes("addv6")[..] else {
            panic!()
        };
        assert_eq!(v6.addr, "fd00:9:1::1".parse::<IpAddr>().unwrap());
        assert_eq!((v6.prefix_len, v6.usable), (64, true));
        let [Change::AddressGone(gone)] = &changes("delv4")[..] else {
            panic!()
        };
        assert_eq!(gone.addr, v4.addr);
    }

    #[test]
    fn deletion_is_reported() {
        let del = changes("dellink");
        assert!(matches!(del.last(), Some(Change::LinkGone { name: Some(n), .. }) if n == "capn"));
    }

    #[test]
    fn bridge_port_messages_are_not_link_state() {
        let (_, mut m) = captured()
            .into_iter()
            .find(|(s, _)| s == "dellink")
            .unwrap();
        let RouteNetlinkMessage::NewLink(ref mut link) = m else {
            panic!()
        };
        link.header.interface_family = AddressFamily::Bridge;
        assert_eq!(decode(&m), None);
    }

    #[test]
    fn tentative_addresses_are_not_usable() {
        let (_, mut m) = captured().into_iter().find(|(s, _)| s == "addv6").unwrap();
        let RouteNetlinkMessage::NewAddress(ref mut a) = m else {
            panic!()
        };
        a.attributes
            .retain(|a| !matches!(a, AddressAttribute::Flags(_)));
        a.attributes
            .push(AddressAttribute::Flags(AddressFlags::Tentative));
        assert!(matches!(
            decode(&m),
            Some(Change::Address(Address { usable: false, .. }))
        ));
    }
}
