//! Policy routing against the real kernel: what `apply` installs, adoption
//! by a new manager, cleanup of ours only, and following the main table,
//! the WAN's addresses and its device.

mod route_common;

use std::net::IpAddr;

use mpwan_mptcp::route::{Family, FamilyStatus, Gateway, Prefix, RouteOp, RuleSelector, WanRoutes};
use route_common::*;

fn addr(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

/// `ip rule show` as it must be with both WANs applied: the kernel's three
/// rules and mpwan's six, in the kernel's order (priority, then age).
fn rules_v4() -> Vec<String> {
    [
        "0: from all lookup local",
        "4200: from all oif wan1 lookup 101 proto 109",
        "4200: from all oif wan2 lookup 102 proto 109",
        "4210: from 10.101.0.2 lookup main suppress_prefixlength 0 proto 109",
        "4210: from 10.102.0.2 lookup main suppress_prefixlength 0 proto 109",
        "4220: from 10.101.0.2 lookup 101 proto 109",
        "4220: from 10.102.0.2 lookup 102 proto 109",
        "32766: from all lookup main",
        "32767: from all lookup default",
    ]
    .map(String::from)
    .to_vec()
}

fn rules_v6() -> Vec<String> {
    [
        "0: from all lookup local",
        "4200: from all oif wan1 lookup 101 proto 109",
        "4200: from all oif wan2 lookup 102 proto 109",
        "4210: from 2001:db8:101::2 lookup main suppress_prefixlength 0 proto 109",
        "4210: from 2001:db8:102::2 lookup main suppress_prefixlength 0 proto 109",
        "4220: from 2001:db8:101::2 lookup 101 proto 109",
        "4220: from 2001:db8:102::2 lookup 102 proto 109",
        "32766: from all lookup main",
    ]
    .map(String::from)
    .to_vec()
}

/// A table's routes of one family, sorted (the kernel's order is not part
/// of the contract).
fn table(t: &Topo, family: &str, table: u32) -> Vec<String> {
    let mut lines = ip(
        &t.gw,
        &[family, "route", "show", "table", &table.to_string()],
    );
    lines.sort();
    lines
}

fn sorted(lines: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn table1_v4() -> Vec<String> {
    sorted(&[
        "default via 10.101.0.1 dev wan1 proto 109",
        "10.101.0.0/24 dev wan1 proto 109 scope link",
    ])
}

fn table1_v6() -> Vec<String> {
    sorted(&[
        "default via fe80::1 dev wan1 proto 109 metric 1024 pref medium",
        "2001:db8:101::/64 dev wan1 proto 109 metric 1024 pref medium",
    ])
}

/// Both WANs observed and applied with a fresh manager; the report must be
/// clean.
fn apply_both(t: &Topo) -> mpwan_mptcp::route::Report {
    in_ns(&t.gw, || async {
        let mut m = manager();
        let wans = observe(&m).await;
        m.apply(&wans).await.expect("apply")
    })
}

#[test]
fn apply_installs_exactly_the_tables_and_rules() {
    let Some(t) = topo("apply_installs_exactly_the_tables_and_rules") else {
        return;
    };
    let report = apply_both(&t);
    assert!(report.is_ok(), "{report:#?}");
    // Per WAN and family a prefix and a default route; rules: two oif, and
    // a pair per address.
    assert_eq!(report.done.len(), 8 + 12, "{report:#?}");
    for wan in &report.wans {
        for family in Family::ALL {
            assert!(
                matches!(wan.family(family), FamilyStatus::Routed { .. }),
                "{wan:?}"
            );
        }
    }

    assert_eq!(ip(&t.gw, &["rule", "show"]), rules_v4());
    assert_eq!(ip(&t.gw, &["-6", "rule", "show"]), rules_v6());
    assert_eq!(table(&t, "-4", TABLE1), table1_v4());
    assert_eq!(table(&t, "-6", TABLE1), table1_v6());
    assert_eq!(
        table(&t, "-4", TABLE2),
        sorted(&[
            "default via 10.102.0.1 dev wan2 proto 109",
            "10.102.0.0/24 dev wan2 proto 109 scope link",
        ])
    );
    assert_eq!(
        table(&t, "-6", TABLE2),
        sorted(&[
            "default via 2001:db8:102::1 dev wan2 proto 109 metric 1024 pref medium",
            "2001:db8:102::/64 dev wan2 proto 109 metric 1024 pref medium",
        ])
    );

    // The kernel's own lookups: from the WAN's address and out of its
    // device through its table; to the LAN from the WAN's address, the
    // main table still decides.
    let get = |args: &[&str]| ip(&t.gw, args).join(" ");
    let out = get(&["route", "get", TARGET_V4, "from", WAN1_V4]);
    assert!(out.contains("via 10.101.0.1 dev wan1 table 101"), "{out}");
    let out = get(&["-6", "route", "get", TARGET_V6, "oif", "wan1"]);
    assert!(out.contains("via fe80::1 dev wan1 table 101"), "{out}");
    let out = get(&["route", "get", "192.168.1.2", "from", WAN1_V4]);
    assert!(out.contains("dev lan0") && !out.contains("table"), "{out}");
    let out = get(&["-6", "route", "get", "fd00:1::2", "from", WAN1_V6]);
    assert!(
        out.contains("dev lan0") && !out.contains("table 101"),
        "{out}"
    );
    // Without a source or device, the main table's preferred WAN.
    let out = get(&["route", "get", TARGET_V4]);
    assert!(out.contains("dev wan2"), "{out}");
}

#[test]
fn a_second_apply_and_a_restarted_manager_change_nothing() {
    let Some(t) = topo("a_second_apply_and_a_restarted_manager_change_nothing") else {
        return;
    };
    let (first, second, state) = in_ns(&t.gw, || async {
        let mut m = manager();
        let wans = observe(&m).await;
        let first = m.apply(&wans).await.expect("apply");
        let second = m.apply(&wans).await.expect("apply again");
        (first, second, m.actual().await.expect("dump"))
    });
    assert_eq!(first.done.len(), 20);
    assert_eq!(second.done, vec![], "{second:#?}");
    assert_eq!(state.routes.len(), 8);
    assert_eq!(state.rules.len(), 12);

    // A new agent (after a crash, or `mpwan restart`): it adopts.
    let (restarted, adopted) = in_ns(&t.gw, || async {
        let mut m = manager();
        let adopted = m.actual().await.expect("dump");
        let report = m.apply(&observe(&m).await).await.expect("apply");
        (report, adopted)
    });
    assert_eq!(restarted.done, vec![], "{restarted:#?}");
    assert!(restarted.is_ok());
    assert_eq!(adopted.routes.len(), state.routes.len());
    assert_eq!(adopted.rules.len(), state.rules.len());
    assert_eq!(ip(&t.gw, &["rule", "show"]), rules_v4());
    assert_eq!(ip(&t.gw, &["-6", "rule", "show"]), rules_v6());
    assert_eq!(table(&t, "-4", TABLE1), table1_v4());
    assert_eq!(table(&t, "-6", TABLE1), table1_v6());
}

#[test]
fn cleanup_removes_only_what_carries_our_protocol() {
    let Some(t) = topo("cleanup_removes_only_what_carries_our_protocol") else {
        return;
    };
    // Someone else's rules (one exactly like ours but for the protocol)
    // and routes, in our table too.
    batch(
        &t.gw,
        "rule add from 10.101.0.2 lookup 101 pref 4220\n\
         rule add oif wan1 lookup 101 pref 5000 proto static\n\
         route add 192.0.2.0/24 via 10.101.0.1 dev wan1 table 101\n\
         route add 2001:db8:99::/48 via fe80::1 dev wan1 table 101\n",
    );
    ip(
        &t.gw,
        &[
            "-6",
            "rule",
            "add",
            "from",
            "2001:db8:101::2",
            "lookup",
            "101",
            "pref",
            "4220",
        ],
    );
    let foreign_v4 = [
        "4220: from 10.101.0.2 lookup 101",
        "5000: from all oif wan1 lookup 101 proto static",
    ];
    let foreign_routes = [
        "192.0.2.0/24 via 10.101.0.1 dev wan1",
        "2001:db8:99::/48 via fe80::1 dev wan1 metric 1024 pref medium",
    ];

    let report = apply_both(&t);
    assert!(report.is_ok(), "{report:#?}");
    assert_eq!(
        report.done.len(),
        20,
        "the foreign rule is not ours: {report:#?}"
    );
    let rules = ip(&t.gw, &["rule", "show"]);
    for f in foreign_v4 {
        assert!(rules.iter().any(|r| r == f), "{f} missing from {rules:#?}");
    }
    // Again: the foreign entries never make a difference.
    assert_eq!(apply_both(&t).done, vec![]);

    let cleaned = in_ns(&t.gw, || async {
        let mut m = manager();
        let report = m.cleanup().await.expect("cleanup");
        let left = m.actual().await.expect("dump");
        (report, left)
    });
    let (report, left) = cleaned;
    assert!(report.is_ok(), "{report:#?}");
    assert_eq!(report.done.len(), 20);
    assert_eq!(left, Default::default());

    assert_eq!(
        ip(&t.gw, &["rule", "show"]),
        [
            "0: from all lookup local",
            foreign_v4[0],
            foreign_v4[1],
            "32766: from all lookup main",
            "32767: from all lookup default",
        ]
    );
    assert_eq!(
        ip(&t.gw, &["-6", "rule", "show"]),
        [
            "0: from all lookup local",
            "4220: from 2001:db8:101::2 lookup 101",
            "32766: from all lookup main",
        ]
    );
    assert_eq!(
        ip(&t.gw, &["-4", "route", "show", "table", "101"]),
        [foreign_routes[0]]
    );
    assert_eq!(
        ip(&t.gw, &["-6", "route", "show", "table", "101"]),
        [foreign_routes[1]]
    );
    assert_eq!(
        ip(&t.gw, &["route", "show", "table", "102"]),
        Vec::<String>::new()
    );
    let everything = ip(&t.gw, &["route", "show", "table", "all"]).join("\n")
        + &ip(&t.gw, &["-6", "route", "show", "table", "all"]).join("\n");
    assert!(!everything.contains("proto 109"), "{everything}");
    // The main table was never touched.
    let main = ip(&t.gw, &["route", "show"]);
    assert!(
        main.iter()
            .any(|l| l.starts_with("default via 10.101.0.1 dev wan1"))
    );

    // A second cleanup has nothing to do.
    let again = in_ns(&t.gw, || async {
        manager().cleanup().await.expect("cleanup")
    });
    assert_eq!(again.done, vec![]);
}

#[test]
fn the_from_rules_follow_an_address_change() {
    let Some(t) = topo("the_from_rules_follow_an_address_change") else {
        return;
    };
    apply_both(&t);
    // A renumbering as a DHCP client does it: the old address goes (with
    // it, every route through the device, ours included), the new one
    // comes, and the main table's default route is put back.
    batch(
        &t.gw,
        "addr del 10.101.0.2/24 dev wan1\n\
         addr add 10.101.0.3/24 dev wan1\n\
         route replace default via 10.101.0.1 dev wan1 metric 20\n\
         addr del 2001:db8:101::2/64 dev wan1\n\
         addr add 2001:db8:101::3/64 dev wan1 nodad\n",
    );
    let report = apply_both(&t);
    assert!(report.is_ok(), "{report:#?}");
    let added: Vec<IpAddr> = report
        .done
        .iter()
        .filter_map(|op| match op {
            RouteOp::AddRule { rule } => match rule.selector {
                RuleSelector::From(a) => Some(a),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        [
            addr("10.101.0.3"),
            addr("10.101.0.3"),
            addr("2001:db8:101::3"),
            addr("2001:db8:101::3")
        ]
    );

    let rules = ip(&t.gw, &["rule", "show"]);
    assert!(rules.contains(&"4220: from 10.101.0.3 lookup 101 proto 109".to_owned()));
    assert!(rules.contains(
        &"4210: from 10.101.0.3 lookup main suppress_prefixlength 0 proto 109".to_owned()
    ));
    assert!(
        !rules.iter().any(|r| r.contains("10.101.0.2")),
        "{rules:#?}"
    );
    let rules = ip(&t.gw, &["-6", "rule", "show"]);
    assert!(rules.contains(&"4220: from 2001:db8:101::3 lookup 101 proto 109".to_owned()));
    assert!(
        !rules.iter().any(|r| r.contains("2001:db8:101::2")),
        "{rules:#?}"
    );
    // The kernel flushed the table with the last IPv4 address; it is back.
    assert_eq!(table(&t, "-4", TABLE1), table1_v4());
    assert_eq!(table(&t, "-6", TABLE1), table1_v6());
    assert_eq!(apply_both(&t).done, vec![]);
}

#[test]
fn the_table_follows_the_main_tables_gateway_and_keeps_it_when_main_drops_it() {
    let Some(t) = topo("the_table_follows_the_main_tables_gateway") else {
        return;
    };
    apply_both(&t);
    batch(
        &t.gw,
        "route replace default via 10.101.0.254 dev wan1 metric 20\n\
         route replace ::/0 via fe80::2 dev wan1 metric 20\n",
    );
    let report = apply_both(&t);
    assert!(report.is_ok(), "{report:#?}");
    let replaced: Vec<Option<IpAddr>> = report
        .done
        .iter()
        .map(|op| match op {
            RouteOp::ReplaceRoute { new, .. } => new.gateway,
            other => panic!("only replacements expected: {other}"),
        })
        .collect();
    assert_eq!(
        replaced,
        [Some(addr("10.101.0.254")), Some(addr("fe80::2"))]
    );
    assert_eq!(
        table(&t, "-4", TABLE1),
        sorted(&[
            "default via 10.101.0.254 dev wan1 proto 109",
            "10.101.0.0/24 dev wan1 proto 109 scope link",
        ])
    );
    assert_eq!(
        table(&t, "-6", TABLE1),
        sorted(&[
            "default via fe80::2 dev wan1 proto 109 metric 1024 pref medium",
            "2001:db8:101::/64 dev wan1 proto 109 metric 1024 pref medium",
        ])
    );

    // The main table loses WAN 1's default routes (a hook steering the LAN
    // away): the table keeps its own and says so.
    batch(
        &t.gw,
        "route del default via 10.101.0.254 dev wan1 metric 20\n\
         route del ::/0 via fe80::2 dev wan1 metric 20\n",
    );
    let report = apply_both(&t);
    assert_eq!(report.done, vec![], "{report:#?}");
    let wan1 = &report.wans[0];
    assert_eq!(
        wan1.v4,
        FamilyStatus::Kept {
            gateway: Gateway::Via(addr("10.101.0.254"))
        }
    );
    let reason = wan1.reason(Family::V6).expect("a reason");
    assert!(reason.contains("keeps its own (via fe80::2)"), "{reason}");
    assert_eq!(table(&t, "-4", TABLE1).len(), 2);
}

#[test]
fn a_device_that_goes_keeps_its_oif_rules_and_comes_back() {
    let Some(t) = topo("a_device_that_goes_keeps_its_oif_rules_and_comes_back") else {
        return;
    };
    apply_both(&t);
    batch(&t.gw, "link del wan1\n");
    // The kernel took the table's routes with the device.
    assert_eq!(table(&t, "-4", TABLE1), Vec::<String>::new());
    assert_eq!(table(&t, "-6", TABLE1), Vec::<String>::new());

    let report = apply_both(&t);
    assert!(report.is_ok(), "{report:#?}");
    assert_eq!(report.done.len(), 4, "the from rules go: {report:#?}");
    assert!(
        report
            .done
            .iter()
            .all(|op| matches!(op, RouteOp::DelRule { .. }))
    );
    assert_eq!(report.wans[0].v4, FamilyStatus::NoDevice);
    let rules = ip(&t.gw, &["rule", "show"]);
    assert!(
        rules.contains(&"4200: from all oif wan1 [detached] lookup 101 proto 109".to_owned()),
        "{rules:#?}"
    );
    assert!(
        !rules.iter().any(|r| r.contains("10.101.0.2")),
        "{rules:#?}"
    );
    // A detached rule is still the same rule: no churn.
    assert_eq!(apply_both(&t).done, vec![]);

    // It comes back (another index, as after a PPP reconnect).
    batch(
        &t.gw,
        &format!(
            "link add wan1 index 15 type veth peer name up1 index 25 netns {}\n\
             addr add {WAN1_V4}/24 dev wan1\n\
             addr add {WAN1_V6}/64 dev wan1 nodad\n\
             link set wan1 up\n",
            t.isp1.name()
        ),
    );
    batch(
        &t.isp1,
        "addr add 10.101.0.1/24 dev up1\n\
         addr add fe80::1/64 dev up1 nodad\n\
         link set up1 up\n",
    );
    batch(
        &t.gw,
        "route add default via 10.101.0.1 dev wan1 metric 20\n\
         route add ::/0 via fe80::1 dev wan1 metric 20\n",
    );
    let report = apply_both(&t);
    assert!(report.is_ok(), "{report:#?}");
    assert_eq!(report.done.len(), 4 + 4, "{report:#?}");
    // The same rules; wan1's `from` rules are younger than wan2's now.
    let mut rules = ip(&t.gw, &["rule", "show"]);
    let mut expected = rules_v4();
    rules.sort();
    expected.sort();
    assert_eq!(rules, expected);
    assert_eq!(table(&t, "-4", TABLE1), table1_v4());
    assert_eq!(table(&t, "-6", TABLE1), table1_v6());
}

#[test]
fn a_family_without_a_default_route_in_main_is_reported() {
    let Some(t) = topo("a_family_without_a_default_route_in_main_is_reported") else {
        return;
    };
    batch(
        &t.gw,
        "route del ::/0 via 2001:db8:102::1 dev wan2 metric 10\n",
    );
    let report = apply_both(&t);
    assert!(report.is_ok(), "{report:#?}");
    let wan2 = &report.wans[1];
    assert_eq!(wan2.v6, FamilyStatus::NoDefault);
    assert_eq!(
        wan2.reason(Family::V6).as_deref(),
        Some("the main table has no IPv6 default route out of wan2, so table 102 has none")
    );
    assert!(matches!(wan2.v4, FamilyStatus::Routed { .. }));
    assert_eq!(
        table(&t, "-6", TABLE2),
        ["2001:db8:102::/64 dev wan2 proto 109 metric 1024 pref medium"]
    );
}

#[test]
fn a_refused_route_is_reported_with_its_table_device_and_errno() {
    let Some(t) = topo("a_refused_route_is_reported_with_its_table_device_and_errno") else {
        return;
    };
    let report = in_ns(&t.gw, || async {
        let mut m = manager();
        let mut wans = observe(&m).await;
        // A gateway that is on no link of wan1.
        wans[0].gateways[0] = Gateway::Via(addr("192.0.2.1"));
        m.apply(&wans).await.expect("apply")
    });
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    assert_eq!(report.done.len(), 19);
    let failure = &report.failed[0];
    assert_eq!(failure.error.errno(), Some(libc::ENETUNREACH));
    let text = failure.error.to_string();
    assert!(
        text.starts_with(
            "adding route `default via 192.0.2.1 dev wan1 metric 0` to table 101 (dev wan1): "
        ),
        "{text}"
    );
    assert!(text.contains("Network is unreachable"), "{text}");
    match &report.wans[0].v4 {
        FamilyStatus::Failed { reason } => assert_eq!(reason, &text),
        other => panic!("{other:?}"),
    }
    assert!(matches!(report.wans[0].v6, FamilyStatus::Routed { .. }));
}

#[test]
fn observe_reads_the_device_its_addresses_and_the_main_table() {
    let Some(t) = topo("observe_reads_the_device_its_addresses_and_the_main_table") else {
        return;
    };
    // A multipath default with another gateway out of wan1, less preferred.
    batch(
        &t.gw,
        "route add default metric 30 nexthop via 10.101.0.9 dev wan1 nexthop via 10.102.0.1 dev wan2\n",
    );
    let (wan1, missing, wan2_defaults) = in_ns(&t.gw, || async {
        let m = manager();
        let wan1 = m.observe("wan1", TABLE1, "wan1").await.expect("observe");
        let missing = m.observe("wan9", 109, "wan9").await.expect("observe");
        let wan2 = m.main_defaults(12).await.expect("main defaults");
        (wan1, missing, wan2)
    });
    let prefix = |s: &str, len| Prefix::new(addr(s), len).expect("prefix");
    assert_eq!(
        wan1,
        WanRoutes {
            key: "wan1".into(),
            table: TABLE1,
            device: "wan1".into(),
            ifindex: Some(11),
            addrs: vec![addr(WAN1_V4), addr(WAN1_V6)],
            gateways: vec![
                Gateway::Via(addr("10.101.0.1")),
                Gateway::Via(addr("fe80::1")),
                Gateway::Via(addr("10.101.0.9")),
            ],
            subnets: vec![prefix("10.101.0.0", 24), prefix("2001:db8:101::", 64)],
        }
    );
    assert_eq!(missing.ifindex, None);
    assert!(missing.addrs.is_empty() && missing.gateways.is_empty());
    // The same gateway in two routes is listed once, by its best metric.
    assert_eq!(
        wan2_defaults,
        [
            Gateway::Via(addr("10.102.0.1")),
            Gateway::Via(addr("2001:db8:102::1"))
        ]
    );
}
