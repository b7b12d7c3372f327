//! The encoders and decoders with plain messages: what mpwan sends reads
//! back as what was meant, and the kernel's shapes read as the planner
//! needs them.

use std::net::IpAddr;

use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteNextHop, RouteProtocol,
    RouteScope, RouteType,
};
use rtnetlink::packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};

use super::{decode, encode};
use crate::route::entry::{MAIN_TABLE, Rule, RuleSelector, TableRoute};
use crate::route::family::{Family, Gateway, Prefix};
use crate::route::{PRIORITY_FROM, PRIORITY_FROM_MAIN, PRIORITY_OIF, PROTOCOL};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn route(table: u32, dst: &str, len: u8, gateway: Option<&str>) -> TableRoute {
    let dst = Prefix::new(ip(dst), len).expect("prefix");
    TableRoute {
        table,
        dst,
        metric: dst.family().default_metric(),
        gateway: gateway.map(ip),
        oif: Some(7),
        unusual: false,
    }
}

fn rule(selector: RuleSelector, family: Family, table: u32, suppress: Option<u32>) -> Rule {
    Rule {
        family,
        priority: PRIORITY_FROM,
        selector,
        table,
        suppress_prefixlen: suppress,
    }
}

#[test]
fn routes_read_back_as_they_were_written() {
    for r in [
        route(101, "0.0.0.0", 0, Some("192.0.2.1")),
        route(101, "0.0.0.0", 0, None),
        route(101, "192.0.2.0", 24, None),
        route(1000, "::", 0, Some("fe80::1")),
        route(70000, "2001:db8::", 64, None),
    ] {
        let m = encode::new_route(&r);
        assert_eq!(u8::from(m.header.protocol), PROTOCOL);
        assert!(decode::is_ours_route(&m));
        assert_eq!(m.header.kind, RouteType::Unicast);
        assert_eq!(decode::table_route(&m).as_ref(), Some(&r), "{m:?}");
    }
    let m = encode::new_route(&route(1000, "192.0.2.0", 24, None));
    // As iproute2 and the kernel: link scope without a gateway, the table
    // above 255 in its attribute and RT_TABLE_COMPAT in the header.
    assert_eq!(m.header.scope, RouteScope::Link);
    assert_eq!(m.header.table, 252);
    assert!(m.attributes.contains(&RouteAttribute::Table(1000)));
    let m = encode::new_route(&route(101, "0.0.0.0", 0, Some("192.0.2.1")));
    assert_eq!(m.header.scope, RouteScope::Universe);
    assert_eq!(m.header.table, 101);
    // A default route has no RTA_DST, as `ip route add default` sends it.
    assert!(
        !m.attributes
            .iter()
            .any(|a| matches!(a, RouteAttribute::Destination(_)))
    );
}

#[test]
fn a_route_deletion_names_the_dumped_route_in_any_scope() {
    let r = route(101, "192.0.2.0", 24, None);
    let mut dumped = encode::new_route(&r);
    dumped.header.flags = RouteFlags::Linkdown;
    dumped
        .attributes
        .push(RouteAttribute::PrefSource(RouteAddress::Inet(
            "192.0.2.2".parse().expect("ip"),
        )));
    let del = encode::del_route(&r, Some(&dumped));
    assert_eq!(del.header.scope, RouteScope::NoWhere);
    assert_eq!(del.header.flags, RouteFlags::empty());
    assert_eq!(u8::from(del.header.protocol), PROTOCOL);
    assert!(
        !del.attributes
            .iter()
            .any(|a| matches!(a, RouteAttribute::PrefSource(_)))
    );
    assert_eq!(decode::table_route(&del).as_ref(), Some(&r));
    // Without a dump, the route itself.
    let del = encode::del_route(&r, None);
    assert_eq!(del.header.scope, RouteScope::NoWhere);
    assert_eq!(decode::table_route(&del).as_ref(), Some(&r));
}

#[test]
fn odd_routes_of_ours_are_marked_unusual() {
    let mut m = encode::new_route(&route(101, "0.0.0.0", 0, Some("192.0.2.1")));
    m.attributes.push(RouteAttribute::MultiPath(vec![]));
    assert!(decode::table_route(&m).expect("route").unusual);
    let mut m = encode::new_route(&route(101, "::", 0, None));
    m.header.source_prefix_length = 48;
    assert!(decode::table_route(&m).expect("route").unusual);
    let mut m = encode::new_route(&route(101, "::", 0, None));
    m.header.kind = RouteType::Unreachable;
    assert!(decode::table_route(&m).expect("route").unusual);
    let mut m = encode::new_route(&route(101, "::", 0, None));
    m.header.address_family = AddressFamily::Mpls;
    assert_eq!(decode::table_route(&m), None);
}

#[test]
fn rules_read_back_as_they_were_written() {
    for r in [
        rule(RuleSelector::From(ip("192.0.2.2")), Family::V4, 101, None),
        rule(
            RuleSelector::From(ip("2001:db8::2")),
            Family::V6,
            70000,
            None,
        ),
        Rule {
            priority: PRIORITY_FROM_MAIN,
            ..rule(
                RuleSelector::From(ip("192.0.2.2")),
                Family::V4,
                MAIN_TABLE,
                Some(0),
            )
        },
        Rule {
            priority: PRIORITY_OIF,
            ..rule(RuleSelector::Oif("wan1".into()), Family::V6, 101, None)
        },
    ] {
        let m = encode::new_rule(&r).expect("a rule mpwan makes");
        assert!(decode::is_ours_rule(&m));
        assert_eq!(m.header.action, RuleAction::ToTable);
        assert_eq!(decode::rule(&m).as_ref(), Some(&r), "{m:?}");
    }
    let other = rule(RuleSelector::Other("x".into()), Family::V4, 101, None);
    assert_eq!(encode::new_rule(&other), None);
}

/// A rule as the kernel dumps it: FRA_SUPPRESS_PREFIXLEN always there,
/// -1 when unset.
fn dumped_rule(r: &Rule) -> RuleMessage {
    let mut m = encode::new_rule(r).expect("rule");
    if r.suppress_prefixlen.is_none() {
        m.attributes
            .push(RuleAttribute::SuppressPrefixLen(u32::MAX));
    }
    m
}

#[test]
fn dumped_rules_read_as_the_planner_needs_them() {
    let oif = Rule {
        priority: PRIORITY_OIF,
        ..rule(RuleSelector::Oif("wan1".into()), Family::V4, 101, None)
    };
    let mut m = dumped_rule(&oif);
    assert_eq!(decode::rule(&m).as_ref(), Some(&oif));
    // The device is gone: the same rule, flagged detached.
    m.header.flags = RuleFlags::OifDetached;
    assert_eq!(decode::rule(&m).as_ref(), Some(&oif));
    // A deletion sends the dumped rule without the reported state.
    let del = encode::del_rule(&oif, Some(&m)).expect("deletion");
    assert_eq!(del.header.flags, RuleFlags::empty());

    let from = rule(RuleSelector::From(ip("192.0.2.2")), Family::V4, 101, None);
    let shapes: [fn(&mut RuleMessage); 5] = [
        |m| m.header.flags = RuleFlags::Invert,
        |m| m.header.src_len = 24,
        |m| m.attributes.push(RuleAttribute::FwMark(1)),
        |m| m.attributes.push(RuleAttribute::Oifname("wan1".into())),
        |m| m.header.action = RuleAction::Blackhole,
    ];
    for shape in shapes {
        let mut m = dumped_rule(&from);
        shape(&mut m);
        let read = decode::rule(&m).expect("a rule");
        assert!(
            matches!(read.selector, RuleSelector::Other(_)),
            "not one of mpwan's shapes: {read:?}"
        );
        // And deleted by its own dumped message.
        assert_eq!(
            encode::del_rule(&read, Some(&m))
                .as_ref()
                .map(|d| &d.attributes),
            Some(&m.attributes)
        );
    }

    let mut foreign = dumped_rule(&from);
    foreign
        .attributes
        .retain(|a| !matches!(a, RuleAttribute::Protocol(_)));
    assert!(!decode::is_ours_rule(&foreign));
    foreign
        .attributes
        .push(RuleAttribute::Protocol(RouteProtocol::Static));
    assert!(!decode::is_ours_rule(&foreign));
}

/// A main-table route as the kernel dumps it.
fn main_route(dst: &str, len: u8, attrs: Vec<RouteAttribute>) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header.address_family = match ip(dst) {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    };
    m.header.table = 254;
    m.header.kind = RouteType::Unicast;
    m.header.protocol = RouteProtocol::Boot;
    m.header.destination_prefix_length = len;
    m.attributes.push(RouteAttribute::Table(254));
    if len > 0 {
        m.attributes
            .push(RouteAttribute::Destination(ip(dst).into()));
    }
    m.attributes.extend(attrs);
    m
}

fn gw(s: &str) -> RouteAttribute {
    RouteAttribute::Gateway(ip(s).into())
}

#[test]
fn main_table_defaults_out_of_a_device() {
    let v4 = main_route(
        "0.0.0.0",
        0,
        vec![
            gw("192.0.2.1"),
            RouteAttribute::Oif(7),
            RouteAttribute::Priority(20),
        ],
    );
    assert_eq!(
        decode::main_default(&v4, 7),
        [(20, Gateway::Via(ip("192.0.2.1")))]
    );
    assert_eq!(decode::main_default(&v4, 8), []);

    let ptp = main_route("0.0.0.0", 0, vec![RouteAttribute::Oif(7)]);
    assert_eq!(
        decode::main_default(&ptp, 7),
        [(0, Gateway::Direct(Family::V4))]
    );

    // OpenWrt's source-specific IPv6 default counts.
    let mut specific = main_route(
        "::",
        0,
        vec![
            gw("fe80::1"),
            RouteAttribute::Oif(7),
            RouteAttribute::Priority(512),
        ],
    );
    specific.header.source_prefix_length = 48;
    specific
        .attributes
        .push(RouteAttribute::Source(ip("2001:db8::").into()));
    assert_eq!(
        decode::main_default(&specific, 7),
        [(512, Gateway::Via(ip("fe80::1")))]
    );

    let hop = |dev: u32, via: &str| {
        let mut nh = RouteNextHop::default();
        nh.interface_index = dev;
        nh.attributes.push(gw(via));
        nh
    };
    let multipath = main_route(
        "0.0.0.0",
        0,
        vec![
            RouteAttribute::Priority(30),
            RouteAttribute::MultiPath(vec![hop(8, "198.51.100.1"), hop(7, "192.0.2.9")]),
        ],
    );
    assert_eq!(
        decode::main_default(&multipath, 7),
        [(30, Gateway::Via(ip("192.0.2.9")))]
    );

    let mut unreachable = v4.clone();
    unreachable.header.kind = RouteType::Unreachable;
    assert_eq!(decode::main_default(&unreachable, 7), []);
    let mut other_table = v4.clone();
    other_table
        .attributes
        .retain(|a| !matches!(a, RouteAttribute::Table(_)));
    other_table.attributes.push(RouteAttribute::Table(101));
    assert_eq!(decode::main_default(&other_table, 7), []);
    let subnet = main_route("192.0.2.0", 24, vec![RouteAttribute::Oif(7)]);
    assert_eq!(decode::main_default(&subnet, 7), []);
}

#[test]
fn main_table_on_link_prefixes_of_a_device() {
    let prefix = |s: &str, len| Prefix::new(ip(s), len).expect("prefix");
    let mut connected = main_route("192.0.2.0", 24, vec![RouteAttribute::Oif(7)]);
    connected.header.scope = RouteScope::Link;
    connected.header.protocol = RouteProtocol::Kernel;
    assert_eq!(
        decode::main_subnet(&connected, 7),
        Some(prefix("192.0.2.0", 24))
    );
    assert_eq!(decode::main_subnet(&connected, 8), None);

    let v6 = main_route(
        "2001:db8:1::",
        64,
        vec![RouteAttribute::Oif(7), RouteAttribute::Priority(256)],
    );
    assert_eq!(
        decode::main_subnet(&v6, 7),
        Some(prefix("2001:db8:1::", 64))
    );

    let link_local = main_route("fe80::", 64, vec![RouteAttribute::Oif(7)]);
    assert_eq!(decode::main_subnet(&link_local, 7), None);
    let via = main_route(
        "198.51.100.0",
        24,
        vec![RouteAttribute::Oif(7), gw("192.0.2.1")],
    );
    assert_eq!(decode::main_subnet(&via, 7), None);
    let default = main_route("::", 0, vec![RouteAttribute::Oif(7)]);
    assert_eq!(decode::main_subnet(&default, 7), None);
    // An IPv4 route without a gateway in global scope is not on-link.
    let mut global = connected.clone();
    global.header.scope = RouteScope::Universe;
    assert_eq!(decode::main_subnet(&global, 7), None);
}

#[test]
fn global_addresses_of_a_device() {
    let message = |index: u32, scope: AddressScope, attrs: Vec<AddressAttribute>| {
        let mut m = AddressMessage::default();
        m.header.family = AddressFamily::Inet;
        m.header.index = index;
        m.header.scope = scope;
        m.attributes = attrs;
        m
    };
    let plain = message(
        7,
        AddressScope::Universe,
        vec![AddressAttribute::Address(ip("192.0.2.2"))],
    );
    assert_eq!(decode::global_address(&plain, 7), Some(ip("192.0.2.2")));
    assert_eq!(decode::global_address(&plain, 8), None);
    // Point-to-point: IFA_ADDRESS is the peer, IFA_LOCAL ours.
    let ptp = message(
        7,
        AddressScope::Universe,
        vec![
            AddressAttribute::Address(ip("100.64.0.1")),
            AddressAttribute::Local(ip("100.64.1.2")),
        ],
    );
    assert_eq!(decode::global_address(&ptp, 7), Some(ip("100.64.1.2")));
    let link = message(
        7,
        AddressScope::Link,
        vec![AddressAttribute::Address(ip("fe80::2"))],
    );
    assert_eq!(decode::global_address(&link, 7), None);
}

#[test]
fn dump_requests_filter_as_strict_checking_allows() {
    // Strict dump checking refuses a route dump with anything in the
    // prefix lengths, TOS or scope.
    for m in [
        encode::dump_ours(Family::V4),
        encode::dump_main(Family::V6, 7),
    ] {
        assert_eq!(m.header.destination_prefix_length, 0);
        assert_eq!(m.header.source_prefix_length, 0);
        assert_eq!(m.header.tos, 0);
        assert_eq!(m.header.scope, RouteScope::Universe);
    }
    let ours = encode::dump_ours(Family::V6);
    assert_eq!(u8::from(ours.header.protocol), PROTOCOL);
    assert_eq!(ours.header.table, 0, "every table");
    let main = encode::dump_main(Family::V4, 7);
    assert_eq!(main.header.table, 254);
    assert_eq!(main.header.protocol, RouteProtocol::Unspec, "any protocol");
    assert!(main.attributes.contains(&RouteAttribute::Oif(7)));
    // Rule dumps take no filter at all.
    let rules = encode::dump_rules(Family::V6);
    assert!(rules.attributes.is_empty());
    assert_eq!(rules.header.table, 0);
}
