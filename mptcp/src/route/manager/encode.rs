//! The planner's routes and rules as rtnetlink requests. Pure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rtnetlink::RouteMessageBuilder;
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::address::AddressMessage;
use rtnetlink::packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use rtnetlink::packet_route::route::{
    RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use rtnetlink::packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};

use super::decode::header_table;
use crate::route::PROTOCOL;
use crate::route::entry::{Rule, RuleSelector, TableRoute};
use crate::route::family::Family;

fn address_family(family: Family) -> AddressFamily {
    match family {
        Family::V4 => AddressFamily::Inet,
        Family::V6 => AddressFamily::Inet6,
    }
}

/// A route to add with `NLM_F_REPLACE`: mpwan's protocol, the table in
/// the header and in `RTA_TABLE`, the metric always given, link scope for
/// an IPv4 route without gateway (as `ip route` gives it).
pub(super) fn new_route(route: &TableRoute) -> RouteMessage {
    let dst = route.dst;
    let mut message = match dst.addr() {
        IpAddr::V4(addr) => {
            let mut b = RouteMessageBuilder::<Ipv4Addr>::new();
            if !dst.is_default() {
                b = b.destination_prefix(addr, dst.prefix_len());
            }
            if let Some(IpAddr::V4(gw)) = route.gateway {
                b = b.gateway(gw);
            }
            let scope = if route.gateway.is_some() {
                RouteScope::Universe
            } else {
                RouteScope::Link
            };
            with_common(b, route).scope(scope).build()
        }
        IpAddr::V6(addr) => {
            let mut b = RouteMessageBuilder::<Ipv6Addr>::new();
            if !dst.is_default() {
                b = b.destination_prefix(addr, dst.prefix_len());
            }
            if let Some(IpAddr::V6(gw)) = route.gateway {
                b = b.gateway(gw);
            }
            with_common(b, route).build()
        }
    };
    message.header.table = header_table(route.table);
    message.attributes.push(RouteAttribute::Table(route.table));
    message
}

/// What every route mpwan adds carries, whatever its family.
fn with_common<T>(b: RouteMessageBuilder<T>, route: &TableRoute) -> RouteMessageBuilder<T> {
    let mut b = b
        .protocol(RouteProtocol::from(PROTOCOL))
        .kind(RouteType::Unicast)
        .priority(route.metric);
    if let Some(oif) = route.oif {
        b = b.output_interface(oif);
    }
    b
}

/// A route deletion. From the dumped message where there is one (it names
/// the route exactly, whatever shape it has), else built from `route`.
/// Scope "nowhere" matches any scope; mpwan's protocol keeps anyone
/// else's route with the same destination out of reach.
pub(super) fn del_route(route: &TableRoute, dumped: Option<&RouteMessage>) -> RouteMessage {
    let mut message = match dumped {
        Some(d) => {
            let mut m = RouteMessage::default();
            m.header = d.header.clone();
            m.attributes = d
                .attributes
                .iter()
                .filter(|a| {
                    matches!(
                        a,
                        RouteAttribute::Destination(_)
                            | RouteAttribute::Source(_)
                            | RouteAttribute::Gateway(_)
                            | RouteAttribute::Via(_)
                            | RouteAttribute::Oif(_)
                            | RouteAttribute::Priority(_)
                            | RouteAttribute::Table(_)
                            | RouteAttribute::MultiPath(_)
                            | RouteAttribute::NhId(_)
                    )
                })
                .cloned()
                .collect();
            m
        }
        None => new_route(route),
    };
    message.header.scope = RouteScope::NoWhere;
    message.header.flags = RouteFlags::empty();
    message.header.protocol = RouteProtocol::from(PROTOCOL);
    message
}

/// A rule to add (with `NLM_F_EXCL`); `None` for a shape mpwan never makes.
pub(super) fn new_rule(rule: &Rule) -> Option<RuleMessage> {
    let mut m = RuleMessage::default();
    m.header.family = address_family(rule.family);
    m.header.table = header_table(rule.table);
    m.header.action = RuleAction::ToTable;
    match &rule.selector {
        RuleSelector::From(src) => {
            m.header.src_len = Family::of(*src).max_len();
            m.attributes.push(RuleAttribute::Source(*src));
        }
        RuleSelector::Oif(dev) => m.attributes.push(RuleAttribute::Oifname(dev.clone())),
        RuleSelector::Other(_) => return None,
    }
    m.attributes.push(RuleAttribute::Priority(rule.priority));
    m.attributes.push(RuleAttribute::Table(rule.table));
    m.attributes
        .push(RuleAttribute::Protocol(RouteProtocol::from(PROTOCOL)));
    if let Some(len) = rule.suppress_prefixlen {
        m.attributes.push(RuleAttribute::SuppressPrefixLen(len));
    }
    Some(m)
}

/// A rule deletion: the dumped message where there is one (the kernel
/// matches each field it carries), else one built from `rule` with
/// mpwan's protocol. `None` only for a shape mpwan never makes, with no
/// dump to name it.
pub(super) fn del_rule(rule: &Rule, dumped: Option<&RuleMessage>) -> Option<RuleMessage> {
    match dumped {
        Some(d) => {
            let mut m = d.clone();
            // Reported state, not part of the rule.
            m.header.flags = m.header.flags.difference(
                RuleFlags::OifDetached | RuleFlags::IifDetached | RuleFlags::Unresolved,
            );
            Some(m)
        }
        None => new_rule(rule),
    }
}

/// Dump of every route of `family` with mpwan's protocol, in any table.
/// The kernel filters (the connection sets `NETLINK_GET_STRICT_CHK`); the
/// caller filters again for kernels that do not.
pub(super) fn dump_ours(family: Family) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header.address_family = address_family(family);
    m.header.protocol = RouteProtocol::from(PROTOCOL);
    m
}

/// Dump of the main table's unicast routes of `family` out of `ifindex`
/// (filtered by the kernel, and again by the caller).
pub(super) fn dump_main(family: Family, ifindex: u32) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header.address_family = address_family(family);
    m.header.table = RouteHeader::RT_TABLE_MAIN;
    m.header.kind = RouteType::Unicast;
    m.attributes.push(RouteAttribute::Oif(ifindex));
    m
}

/// Dump of every rule of `family` (rule dumps take no filter).
pub(super) fn dump_rules(family: Family) -> RuleMessage {
    let mut m = RuleMessage::default();
    m.header.family = address_family(family);
    m
}

/// The link named `name`, without its statistics.
pub(super) fn get_link(name: &str) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(name.to_owned()));
    m.attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
    m
}

/// Dump of the addresses of `family` on `ifindex`.
pub(super) fn dump_addresses(family: Family, ifindex: u32) -> AddressMessage {
    let mut m = AddressMessage::default();
    m.header.family = address_family(family);
    m.header.index = ifindex;
    m
}
