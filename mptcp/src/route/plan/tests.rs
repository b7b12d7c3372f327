//! The planner with plain data, and a small model of the kernel that
//! carries plans out so that convergence can be checked.

use std::net::IpAddr;

use super::*;
use crate::route::family::Gateway;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn prefix(s: &str) -> Prefix {
    let (addr, len) = s.split_once('/').expect("addr/len");
    Prefix::new(ip(addr), len.parse().expect("len")).expect("valid prefix")
}

/// WAN 1 as the lab has it: IPv4 and IPv6, both with a gateway.
fn wan1() -> WanRoutes {
    WanRoutes {
        key: "wan1".into(),
        table: 101,
        device: "wan1".into(),
        ifindex: Some(11),
        addrs: vec![ip("10.101.0.2"), ip("2001:db8:101::2")],
        gateways: vec![Gateway::Via(ip("10.101.0.1")), Gateway::Via(ip("fe80::1"))],
        subnets: vec![prefix("10.101.0.0/24"), prefix("2001:db8:101::/64")],
    }
}

fn wan2() -> WanRoutes {
    WanRoutes {
        key: "wan2".into(),
        table: 102,
        device: "wan2".into(),
        ifindex: Some(12),
        addrs: vec![ip("10.102.0.2")],
        gateways: vec![Gateway::Via(ip("10.102.0.1"))],
        subnets: vec![prefix("10.102.0.0/24")],
    }
}

fn route(table: u32, dst: &str, gateway: Option<&str>, oif: u32) -> TableRoute {
    let dst = prefix(dst);
    TableRoute {
        table,
        dst,
        metric: dst.family().default_metric(),
        gateway: gateway.map(ip),
        oif: Some(oif),
        unusual: false,
    }
}

fn oif_rule(family: Family, dev: &str, table: u32) -> Rule {
    Rule {
        family,
        priority: PRIORITY_OIF,
        selector: RuleSelector::Oif(dev.into()),
        table,
        suppress_prefixlen: None,
    }
}

fn main_rule(addr: &str) -> Rule {
    let addr = ip(addr);
    Rule {
        family: Family::of(addr),
        priority: PRIORITY_FROM_MAIN,
        selector: RuleSelector::From(addr),
        table: MAIN_TABLE,
        suppress_prefixlen: Some(0),
    }
}

fn from_rule(addr: &str, table: u32) -> Rule {
    let addr = ip(addr);
    Rule {
        family: Family::of(addr),
        priority: PRIORITY_FROM,
        selector: RuleSelector::From(addr),
        table,
        suppress_prefixlen: None,
    }
}

fn add_route(r: TableRoute) -> RouteOp {
    RouteOp::AddRoute { route: r }
}

fn add_rule(r: Rule) -> RouteOp {
    RouteOp::AddRule { rule: r }
}

fn del_rule(r: Rule) -> RouteOp {
    RouteOp::DelRule { rule: r }
}

/// The kernel as far as the planner's operations go: adds replace what
/// has the same key (routes) or are skipped when identical (rules, which
/// the kernel refuses with EEXIST); deletes remove one match, if any.
fn carry_out(state: &mut ActualState, ops: &[RouteOp]) {
    for op in ops {
        match op {
            RouteOp::AddRoute { route } | RouteOp::ReplaceRoute { new: route, .. } => {
                match state.routes.iter().position(|r| r.key() == route.key()) {
                    Some(i) => state.routes[i] = route.clone(),
                    None => state.routes.push(route.clone()),
                }
            }
            RouteOp::DelRoute { route } => {
                if let Some(i) = state.routes.iter().position(|r| r == route) {
                    state.routes.remove(i);
                }
            }
            RouteOp::AddRule { rule } => {
                if !state.rules.contains(rule) {
                    state.rules.push(rule.clone());
                }
            }
            RouteOp::DelRule { rule } => {
                if let Some(i) = state.rules.iter().position(|r| r == rule) {
                    state.rules.remove(i);
                }
            }
        }
    }
}

/// Plans `desired` against `state`, carries it out, and checks that a
/// second plan has nothing left to do. Returns the first plan.
fn converge(desired: &[WanRoutes], state: &mut ActualState) -> RoutePlan {
    let first = plan(desired, state);
    carry_out(state, &first.ops);
    let again = plan(desired, state);
    assert_eq!(again.ops, vec![], "a second plan must change nothing");
    first
}

#[test]
fn a_new_wan_gets_its_routes_then_its_rules() {
    let p = plan(&[wan1()], &ActualState::default());
    assert_eq!(
        p.ops,
        vec![
            add_route(route(101, "10.101.0.0/24", None, 11)),
            add_route(route(101, "2001:db8:101::/64", None, 11)),
            add_route(route(101, "0.0.0.0/0", Some("10.101.0.1"), 11)),
            add_route(route(101, "::/0", Some("fe80::1"), 11)),
            add_rule(oif_rule(Family::V4, "wan1", 101)),
            add_rule(oif_rule(Family::V6, "wan1", 101)),
            add_rule(main_rule("10.101.0.2")),
            add_rule(from_rule("10.101.0.2", 101)),
            add_rule(main_rule("2001:db8:101::2")),
            add_rule(from_rule("2001:db8:101::2", 101)),
        ]
    );
    assert_eq!(p.ops.len(), 10);
    let status = &p.wans[0];
    assert_eq!(status.problem, None);
    assert_eq!(
        status.v4,
        FamilyStatus::Routed {
            gateway: Gateway::Via(ip("10.101.0.1"))
        }
    );
    assert_eq!(status.reason(Family::V4), None);
    assert_eq!(status.reason(Family::V6), None);
    // IPv6 routes carry the metric the kernel gives them by default.
    let RouteOp::AddRoute { route } = &p.ops[3] else {
        panic!("a route first: {:?}", p.ops[3]);
    };
    assert_eq!(route.metric, 1024);
}

#[test]
fn what_is_in_place_is_adopted_not_added_again() {
    let mut state = ActualState::default();
    let first = converge(&[wan1(), wan2()], &mut state);
    // wan2 has IPv4 only: a prefix, a default route, two oif rules, one
    // address's pair of rules.
    assert_eq!(first.ops.len(), 10 + 6);
    // A new agent dumps the same state: nothing to do, whatever the order
    // the kernel lists it in.
    state.routes.reverse();
    state.rules.reverse();
    assert_eq!(plan(&[wan1(), wan2()], &state).ops, vec![]);
}

#[test]
fn a_new_gateway_replaces_the_default_route_in_place() {
    let mut state = ActualState::default();
    converge(&[wan1()], &mut state);
    let mut moved = wan1();
    moved.gateways[0] = Gateway::Via(ip("10.101.0.254"));
    let p = converge(&[moved], &mut state);
    assert_eq!(
        p.ops,
        vec![RouteOp::ReplaceRoute {
            old: route(101, "0.0.0.0/0", Some("10.101.0.1"), 11),
            new: route(101, "0.0.0.0/0", Some("10.101.0.254"), 11),
        }]
    );
}

#[test]
fn the_from_rules_follow_an_address_change_make_before_break() {
    let mut state = ActualState::default();
    converge(&[wan1()], &mut state);
    let mut moved = wan1();
    moved.addrs[0] = ip("10.101.0.9");
    let p = converge(&[moved], &mut state);
    assert_eq!(
        p.ops,
        vec![
            add_rule(main_rule("10.101.0.9")),
            add_rule(from_rule("10.101.0.9", 101)),
            del_rule(main_rule("10.101.0.2")),
            del_rule(from_rule("10.101.0.2", 101)),
        ]
    );
}

#[test]
fn a_missing_device_keeps_its_oif_rules_and_says_so() {
    let mut state = ActualState::default();
    converge(&[wan1()], &mut state);
    // The kernel removed the routes with the device, and the addresses went.
    state.routes.clear();
    let gone = WanRoutes {
        ifindex: None,
        addrs: vec![],
        gateways: vec![],
        subnets: vec![],
        ..wan1()
    };
    let p = converge(&[gone], &mut state);
    assert_eq!(
        p.ops,
        vec![
            del_rule(main_rule("10.101.0.2")),
            del_rule(from_rule("10.101.0.2", 101)),
            del_rule(main_rule("2001:db8:101::2")),
            del_rule(from_rule("2001:db8:101::2", 101)),
        ]
    );
    assert_eq!(
        state.rules,
        vec![
            oif_rule(Family::V4, "wan1", 101),
            oif_rule(Family::V6, "wan1", 101)
        ]
    );
    let status = &p.wans[0];
    assert_eq!(status.v4, FamilyStatus::NoDevice);
    assert_eq!(
        status.reason(Family::V6).as_deref(),
        Some("device wan1 does not exist, so table 101 has no IPv6 route")
    );

    // It comes back under another index: everything is put back.
    let back = WanRoutes {
        ifindex: Some(31),
        ..wan1()
    };
    let p = converge(&[back], &mut state);
    assert_eq!(p.ops.len(), 8, "{:#?}", p.ops);
}

#[test]
fn no_default_route_in_main_means_none_in_the_table_and_a_reason() {
    let mut only_v4 = wan1();
    only_v4.gateways.retain(|g| g.family() == Family::V4);
    let mut state = ActualState::default();
    let p = converge(&[only_v4], &mut state);
    assert!(
        !state
            .routes
            .iter()
            .any(|r| r.dst.is_default() && r.family() == Family::V6)
    );
    // The prefix stays: traffic on the link still works from the table.
    assert!(
        state
            .routes
            .contains(&route(101, "2001:db8:101::/64", None, 11))
    );
    assert_eq!(p.wans[0].v6, FamilyStatus::NoDefault);
    assert_eq!(
        p.wans[0].reason(Family::V6).as_deref(),
        Some("the main table has no IPv6 default route out of wan1, so table 101 has none")
    );

    // The main table's IPv6 default route comes back: so does the table's.
    let p = converge(&[wan1()], &mut state);
    assert_eq!(
        p.ops,
        vec![add_route(route(101, "::/0", Some("fe80::1"), 11))]
    );
}

#[test]
fn a_point_to_point_default_has_no_gateway() {
    let ppp = WanRoutes {
        key: "lte".into(),
        table: 300,
        device: "wwan0".into(),
        ifindex: Some(40),
        addrs: vec![ip("100.64.1.2")],
        gateways: vec![Gateway::Direct(Family::V4)],
        subnets: vec![],
    };
    let mut state = ActualState::default();
    let p = converge(&[ppp], &mut state);
    assert_eq!(p.ops[0], add_route(route(300, "0.0.0.0/0", None, 40)));
    assert_eq!(
        p.wans[0].v4,
        FamilyStatus::Routed {
            gateway: Gateway::Direct(Family::V4)
        }
    );
}

#[test]
fn the_first_usable_gateway_of_each_family_wins() {
    let mut wan = wan1();
    wan.gateways = vec![
        Gateway::Via(ip("0.0.0.0")),
        Gateway::Via(ip("fe80::1")),
        Gateway::Via(ip("10.101.0.1")),
        Gateway::Via(ip("10.101.0.3")),
        Gateway::Via(ip("fe80::2")),
    ];
    let mut state = ActualState::default();
    converge(&[wan], &mut state);
    let defaults: Vec<_> = state
        .routes
        .iter()
        .filter(|r| r.dst.is_default())
        .map(|r| r.gateway)
        .collect();
    assert_eq!(defaults, vec![Some(ip("10.101.0.1")), Some(ip("fe80::1"))]);
}

#[test]
fn unusable_addresses_and_prefixes_are_left_out_and_duplicates_merged() {
    let mut wan = wan1();
    wan.addrs = vec![
        ip("10.101.0.2"),
        ip("0.0.0.0"),
        ip("127.0.0.1"),
        ip("ff02::1"),
        ip("10.101.0.2"),
    ];
    wan.subnets = vec![
        prefix("10.101.0.0/24"),
        prefix("10.101.0.0/24"),
        Prefix::default_route(Family::V4),
    ];
    let mut state = ActualState::default();
    let p = converge(&[wan], &mut state);
    let subnet_routes = state.routes.iter().filter(|r| !r.dst.is_default()).count();
    assert_eq!(subnet_routes, 1);
    // Two oif rules and the pair for the one usable address.
    assert_eq!(state.rules.len(), 4, "{:#?}", p.ops);
}

#[test]
fn reserved_and_shared_tables_are_refused_with_a_reason() {
    let mut main = wan2();
    main.key = "wanm".into();
    main.table = 254;
    let mut twin = wan2();
    twin.key = "twin".into();
    twin.table = 101;
    let mut bad = wan2();
    bad.key = "bad".into();
    bad.table = 500;
    bad.device = "a-very-long-device-name".into();
    let mut state = ActualState::default();
    let p = converge(&[wan1(), main, twin, bad], &mut state);
    assert_eq!(p.wans.len(), 4);
    assert_eq!(p.wans[0].problem, None);
    assert_eq!(p.wans[1].problem, Some(WanProblem::ReservedTable));
    assert_eq!(
        p.wans[2].problem,
        Some(WanProblem::TableTaken { by: "wan1".into() })
    );
    assert!(matches!(
        p.wans[3].problem,
        Some(WanProblem::BadDevice { .. })
    ));
    for skipped in &p.wans[1..] {
        assert_eq!(skipped.v4, FamilyStatus::Skipped);
        assert!(skipped.reason(Family::V4).is_some());
    }
    assert_eq!(
        p.wans[2].reason(Family::V4).as_deref(),
        Some("no policy routing for WAN twin (table 101): the table is already WAN wan1's")
    );
    // Only wan1's entries were made.
    assert!(state.routes.iter().all(|r| r.table == 101));
    assert!(
        state
            .rules
            .iter()
            .all(|r| r.table == 101 || r.table == MAIN_TABLE)
    );
    assert_eq!(p.ops.len(), 10);
}

#[test]
fn a_table_change_builds_the_new_one_before_tearing_down_the_old() {
    let mut state = ActualState::default();
    converge(&[wan2()], &mut state);
    let mut moved = wan2();
    moved.table = 1002;
    let p = converge(&[moved], &mut state);
    let kinds: Vec<&str> = p
        .ops
        .iter()
        .map(|op| match op {
            RouteOp::AddRoute { .. } => "add route",
            RouteOp::ReplaceRoute { .. } => "replace route",
            RouteOp::DelRoute { .. } => "del route",
            RouteOp::AddRule { .. } => "add rule",
            RouteOp::DelRule { .. } => "del rule",
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "add route",
            "add route",
            "add rule",
            "add rule",
            "add rule",
            "del rule",
            "del rule",
            "del rule",
            "del route",
            "del route",
        ]
    );
    // The default route goes before the prefix that makes its gateway
    // reachable.
    assert_eq!(
        p.ops[8],
        RouteOp::DelRoute {
            route: route(102, "0.0.0.0/0", Some("10.102.0.1"), 12)
        }
    );
    assert!(state.routes.iter().all(|r| r.table == 1002));
}

#[test]
fn with_no_wan_everything_of_ours_goes() {
    let mut state = ActualState::default();
    converge(&[wan1(), wan2()], &mut state);
    let p = converge(&[], &mut state);
    assert_eq!(state, ActualState::default());
    assert_eq!(p.ops.len(), 16);
    let first_route_del = p
        .ops
        .iter()
        .position(|op| matches!(op, RouteOp::DelRoute { .. }))
        .expect("route deletions");
    assert!(
        p.ops[..first_route_del]
            .iter()
            .all(|op| matches!(op, RouteOp::DelRule { .. })),
        "rules go first: {:#?}",
        p.ops
    );
}

#[test]
fn duplicates_strays_and_odd_shapes_are_repaired() {
    let mut state = ActualState::default();
    converge(&[wan1()], &mut state);
    // Someone (a crash between two adds, an operator) left a second copy
    // of a rule, a rule of a shape mpwan never makes, and turned the
    // default route into a multipath one.
    state.rules.push(from_rule("10.101.0.2", 101));
    let stray = Rule {
        family: Family::V4,
        priority: 4200,
        selector: RuleSelector::Other("fwmark 0x1".into()),
        table: 101,
        suppress_prefixlen: None,
    };
    state.rules.push(stray.clone());
    let odd = state
        .routes
        .iter_mut()
        .find(|r| r.dst.is_default() && r.family() == Family::V4)
        .expect("IPv4 default");
    odd.unusual = true;
    let odd = odd.clone();
    let p = converge(&[wan1()], &mut state);
    assert_eq!(
        p.ops,
        vec![
            RouteOp::ReplaceRoute {
                old: odd,
                new: route(101, "0.0.0.0/0", Some("10.101.0.1"), 11),
            },
            del_rule(from_rule("10.101.0.2", 101)),
            del_rule(stray),
        ]
    );
}

#[test]
fn a_stray_route_in_the_table_is_removed() {
    let mut state = ActualState::default();
    converge(&[wan1()], &mut state);
    let stray = route(101, "192.0.2.0/24", Some("10.101.0.7"), 11);
    state.routes.push(stray.clone());
    let p = converge(&[wan1()], &mut state);
    assert_eq!(p.ops, vec![RouteOp::DelRoute { route: stray }]);
}

#[test]
fn statuses_serialise_for_the_status_command() {
    let p = plan(&[wan1()], &ActualState::default());
    let json = serde_json::to_value(&p.wans[0]).expect("serialise");
    assert_eq!(json["key"], "wan1");
    assert_eq!(json["table"], 101);
    assert_eq!(json["v4"]["state"], "routed");
    assert_eq!(json["v4"]["gateway"]["via"], "10.101.0.1");
    let op = serde_json::to_value(&p.ops[0]).expect("serialise");
    assert_eq!(op["op"], "add_route");
    assert_eq!(
        p.ops[0].to_string(),
        "add route 10.101.0.0/24 dev #11 table 101 metric 0"
    );
    assert_eq!(
        p.ops[6].to_string(),
        "add IPv4 rule 4210: from 10.101.0.2 lookup main suppress_prefixlength 0"
    );
}

#[test]
fn a_default_route_gone_from_main_is_kept_while_it_still_fits() {
    let mut state = ActualState::default();
    converge(&[wan1()], &mut state);
    // A hook took the WAN's default routes out of the main table (to steer
    // LAN traffic elsewhere): probes through the WAN must still work.
    let mut no_main = wan1();
    no_main.gateways.clear();
    let p = converge(&[no_main.clone()], &mut state);
    assert_eq!(p.ops, vec![]);
    assert_eq!(
        p.wans[0].v6,
        FamilyStatus::Kept {
            gateway: Gateway::Via(ip("fe80::1"))
        }
    );
    assert_eq!(
        p.wans[0].reason(Family::V4).as_deref(),
        Some(
            "the main table has no IPv4 default route out of wan1 any more; table 101 keeps its \
             own (via 10.101.0.1)"
        )
    );

    // Renumbered: the old IPv4 gateway is outside the new prefix, so it
    // goes; the link-local IPv6 one still fits.
    let mut renumbered = no_main;
    renumbered.addrs[0] = ip("10.201.0.2");
    renumbered.subnets[0] = prefix("10.201.0.0/24");
    let p = converge(&[renumbered], &mut state);
    assert!(
        p.ops.contains(&RouteOp::DelRoute {
            route: route(101, "0.0.0.0/0", Some("10.101.0.1"), 11)
        }),
        "{:#?}",
        p.ops
    );
    assert_eq!(p.wans[0].v4, FamilyStatus::NoDefault);
    assert!(matches!(p.wans[0].v6, FamilyStatus::Kept { .. }));
}

#[test]
fn nothing_is_kept_for_a_device_that_came_back_under_another_index() {
    let mut state = ActualState::default();
    converge(&[wan1()], &mut state);
    let other_index = WanRoutes {
        ifindex: Some(99),
        gateways: vec![],
        ..wan1()
    };
    let p = converge(&[other_index], &mut state);
    assert_eq!(p.wans[0].v4, FamilyStatus::NoDefault);
    assert!(!state.routes.iter().any(|r| r.dst.is_default()));
}
