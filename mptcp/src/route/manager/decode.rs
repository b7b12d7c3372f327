//! rtnetlink messages to the planner's vocabulary. Pure.

use std::net::IpAddr;

use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteScope, RouteType,
};
use rtnetlink::packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};

use crate::route::PROTOCOL;
use crate::route::entry::{MAIN_TABLE, Rule, RuleSelector, TableRoute};
use crate::route::family::{Family, Gateway, Prefix, is_link_local};

/// The family of an rtnetlink family byte, for IPv4 and IPv6 only.
fn family(af: AddressFamily) -> Option<Family> {
    match af {
        AddressFamily::Inet => Some(Family::V4),
        AddressFamily::Inet6 => Some(Family::V6),
        _ => None,
    }
}

fn ip(addr: &RouteAddress) -> Option<IpAddr> {
    match addr {
        RouteAddress::Inet(a) => Some(IpAddr::V4(*a)),
        RouteAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

/// The table a route is in: `RTA_TABLE` where present (tables above 255
/// exist only there), else the header's byte.
fn route_table(m: &RouteMessage) -> u32 {
    m.attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(m.header.table))
}

/// Whether a route carries mpwan's protocol.
pub(super) fn is_ours_route(m: &RouteMessage) -> bool {
    u8::from(m.header.protocol) == PROTOCOL
}

/// Whether a rule carries mpwan's protocol.
pub(super) fn is_ours_rule(m: &RuleMessage) -> bool {
    m.attributes
        .iter()
        .any(|a| matches!(a, RuleAttribute::Protocol(p) if u8::from(*p) == PROTOCOL))
}

/// A route as the planner sees it; `None` for a family other than IPv4 and
/// IPv6 or a destination that cannot be read.
pub(super) fn table_route(m: &RouteMessage) -> Option<TableRoute> {
    let family = family(m.header.address_family)?;
    let mut dst = family.unspecified();
    let mut metric = 0;
    let mut gateway = None;
    let mut oif = None;
    let mut unusual = m.header.kind != RouteType::Unicast
        || m.header.source_prefix_length != 0
        || m.header.tos != 0;
    for a in &m.attributes {
        match a {
            RouteAttribute::Destination(d) => dst = ip(d)?,
            RouteAttribute::Priority(p) => metric = *p,
            RouteAttribute::Gateway(g) => gateway = ip(g),
            RouteAttribute::Oif(i) => oif = Some(*i),
            RouteAttribute::MultiPath(_)
            | RouteAttribute::NhId(_)
            | RouteAttribute::Via(_)
            | RouteAttribute::Encap(_)
            | RouteAttribute::Source(_) => unusual = true,
            _ => {}
        }
    }
    if Family::of(dst) != family {
        return None;
    }
    Some(TableRoute {
        table: route_table(m),
        dst: Prefix::new(dst, m.header.destination_prefix_length)?,
        metric,
        gateway,
        oif,
        unusual,
    })
}

/// A rule as the planner sees it; `None` for a family other than IPv4 and
/// IPv6. A rule of another shape than mpwan's two becomes
/// [`RuleSelector::Other`], described by its attributes.
pub(super) fn rule(m: &RuleMessage) -> Option<Rule> {
    let family = family(m.header.family)?;
    let mut priority = 0;
    let mut table = u32::from(m.header.table);
    let mut suppress_prefixlen = None;
    let mut from = None;
    let mut oif = None;
    // Detached: the oif device does not exist now. Not part of the rule.
    let flags = m.header.flags - RuleFlags::OifDetached - RuleFlags::IifDetached;
    let mut other = m.header.action != RuleAction::ToTable
        || m.header.dst_len != 0
        || m.header.tos != 0
        || !flags.is_empty();
    for a in &m.attributes {
        match a {
            RuleAttribute::Priority(p) => priority = *p,
            RuleAttribute::Table(t) => table = *t,
            // The kernel always reports it; -1 means unset.
            RuleAttribute::SuppressPrefixLen(len) => {
                suppress_prefixlen = (*len != u32::MAX).then_some(*len);
            }
            RuleAttribute::SuppressIfGroup(g) => other |= *g != u32::MAX,
            RuleAttribute::Source(src) => from = Some(*src),
            RuleAttribute::Oifname(name) => oif = Some(name.clone()),
            RuleAttribute::Protocol(_) => {}
            _ => other = true,
        }
    }
    let host_source = from.filter(|src| m.header.src_len == Family::of(*src).max_len());
    if from.is_some() && host_source.is_none() {
        other = true;
    }
    let selector = match (host_source, oif) {
        (Some(src), None) if !other => RuleSelector::From(src),
        (None, Some(dev)) if !other && m.header.src_len == 0 => RuleSelector::Oif(dev),
        _ => RuleSelector::Other(format!("{:?} {:?}", m.header, m.attributes)),
    };
    Some(Rule {
        family,
        priority,
        selector,
        table,
        suppress_prefixlen,
    })
}

/// A main-table default route's gateways out of `ifindex` with its metric:
/// the route's own next hop when its device is `ifindex`, or the next hops
/// of a multipath route that leave through it.
pub(super) fn main_default(m: &RouteMessage, ifindex: u32) -> Vec<(u32, Gateway)> {
    let Some(family) = family(m.header.address_family) else {
        return Vec::new();
    };
    if m.header.destination_prefix_length != 0
        || m.header.kind != RouteType::Unicast
        || route_table(m) != MAIN_TABLE
    {
        return Vec::new();
    }
    let mut metric = 0;
    let mut oif = None;
    let mut via = None;
    let mut hops = Vec::new();
    for a in &m.attributes {
        match a {
            RouteAttribute::Priority(p) => metric = *p,
            RouteAttribute::Oif(i) => oif = Some(*i),
            RouteAttribute::Gateway(g) => via = ip(g),
            // An IPv4 route through an IPv6 next hop (RFC 5549) cannot be
            // told apart from an IPv6 gateway by the planner: left out.
            RouteAttribute::Via(_) => return Vec::new(),
            RouteAttribute::MultiPath(nexthops) => {
                for nh in nexthops.iter().filter(|nh| nh.interface_index == ifindex) {
                    let gw = nh.attributes.iter().find_map(|a| match a {
                        RouteAttribute::Gateway(g) => ip(g),
                        _ => None,
                    });
                    hops.push(gateway(family, gw));
                }
            }
            _ => {}
        }
    }
    if oif == Some(ifindex) {
        hops.push(gateway(family, via));
    }
    hops.into_iter().flatten().map(|g| (metric, g)).collect()
}

/// The gateway of a next hop of `family`; `None` when its address is of the
/// other family.
fn gateway(family: Family, via: Option<IpAddr>) -> Option<Gateway> {
    match via {
        Some(ip) if Family::of(ip) == family => Some(Gateway::Via(ip)),
        Some(_) => None,
        None => Some(Gateway::Direct(family)),
    }
}

/// The on-link prefix a main-table route gives `ifindex`, if it is one: a
/// unicast route out of the device with no gateway, no source prefix and
/// a destination that is neither a default route nor link-local.
pub(super) fn main_subnet(m: &RouteMessage, ifindex: u32) -> Option<Prefix> {
    let route = table_route(m)?;
    let link_scope_ok = route.family() == Family::V6 || m.header.scope == RouteScope::Link;
    let link_local = is_link_local(route.dst.addr());
    let wanted = route.table == MAIN_TABLE
        && !route.unusual
        && route.oif == Some(ifindex)
        && route.gateway.is_none()
        && !route.dst.is_default()
        && !route.dst.addr().is_multicast()
        && !link_local
        && link_scope_ok
        && !is_ours_route(m);
    wanted.then_some(route.dst)
}

/// The address an address message holds for the planner: a global-scope
/// (universe) address of `ifindex`. IFA_LOCAL wins over IFA_ADDRESS (on a
/// point-to-point link the latter is the peer).
pub(super) fn global_address(m: &AddressMessage, ifindex: u32) -> Option<IpAddr> {
    if m.header.index != ifindex || m.header.scope != AddressScope::Universe {
        return None;
    }
    let mut local = None;
    let mut address = None;
    for a in &m.attributes {
        match a {
            AddressAttribute::Local(ip) => local = Some(*ip),
            AddressAttribute::Address(ip) => address = Some(*ip),
            _ => {}
        }
    }
    local.or(address)
}

/// The header table byte for `table`: the table itself below 256, else
/// `RT_TABLE_COMPAT` (the attribute carries it), as the kernel reports it.
pub(super) fn header_table(table: u32) -> u8 {
    u8::try_from(table).unwrap_or(RT_TABLE_COMPAT)
}

/// `RT_TABLE_COMPAT`: the header's table byte for tables above 255.
const RT_TABLE_COMPAT: u8 = 252;

// The planner's main table is the kernel's.
const _: () = assert!(RouteHeader::RT_TABLE_MAIN as u32 == MAIN_TABLE);
