//! The lab builds, reaches its targets through each WAN, and leaves
//! nothing behind, also when a test panics or two labs run at once.

mod common;

use std::net::IpAddr;

use common::lab;
use mpwan_lab::{Role, Wan, addr, netns, skip_without_netns, wait};

/// The namespaces of `run_id` that exist now.
pub fn namespaces_of(run_id: &str) -> Vec<String> {
    let all = netns::ip(&["netns", "list"]).unwrap();
    let prefix = format!("mpwan-{run_id}-");
    let mut names: Vec<String> = all
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

#[test]
fn lab_builds_and_tears_down_leaving_nothing() {
    if skip_without_netns("lab_builds_and_tears_down_leaving_nothing") {
        return;
    }
    let lab = lab();
    let id = lab.run_id().to_string();
    let dir = lab.dir().to_path_buf();
    eprintln!("lab {id} built in {:?}", lab.build_time());
    let mut want: Vec<String> = Role::ALL
        .iter()
        .map(|r| format!("mpwan-{id}-{r}"))
        .collect();
    want.sort();
    assert_eq!(namespaces_of(&id), want);
    assert_eq!(lab.ns(Role::Gw).name(), format!("mpwan-{id}-gw"));
    let inet_pids = netns::ip(&["netns", "pids", lab.ns(Role::Inet).name()]).unwrap();
    assert_eq!(
        inet_pids.split_whitespace().count(),
        2,
        "dnsmasq and http_server.py: {inet_pids}"
    );
    let mut sleeper = lab.spawn(Role::Peer, "sleep", ["600"]).unwrap();
    assert!(sleeper.try_wait().unwrap().is_none());

    drop(lab);
    assert_eq!(namespaces_of(&id), Vec::<String>::new());
    assert!(!dir.exists(), "{} left behind", dir.display());
    // The lab killed what ran in its namespaces, this program included.
    let killed = wait::until("sleep to be killed", wait::DEADLINE, || {
        sleeper
            .try_wait()?
            .ok_or_else(|| anyhow::anyhow!("still running"))
    });
    assert!(!killed.unwrap().success());
}

#[test]
fn a_panicking_test_leaves_nothing_behind() {
    if skip_without_netns("a_panicking_test_leaves_nothing_behind") {
        return;
    }
    let mut id = String::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let lab = lab();
        id = lab.run_id().to_string();
        panic!("a test fails with its lab up");
    }));
    assert!(result.is_err());
    assert!(!id.is_empty());
    assert_eq!(namespaces_of(&id), Vec::<String>::new());
}

#[test]
fn gw_routes_as_openwrt_does() {
    if skip_without_netns("gw_routes_as_openwrt_does") {
        return;
    }
    let lab = lab();
    let gw = lab.ns(Role::Gw);
    let v4 = gw.run(&["ip", "-4", "route", "show", "default"]).unwrap();
    let v6 = gw.run(&["ip", "-6", "route", "show", "default"]).unwrap();
    assert_eq!(
        v4.lines().map(str::trim).collect::<Vec<_>>(),
        [
            "default via 10.2.0.1 dev wan2 metric 10",
            "default via 10.1.0.1 dev wan1 metric 20"
        ],
    );
    let v6: Vec<&str> = v6.lines().map(str::trim).collect();
    assert_eq!(v6.len(), 2, "{v6:?}");
    assert!(
        v6[0].starts_with("default via fd00:2::1 dev wan2 metric 10"),
        "{v6:?}"
    );
    assert!(
        v6[1].starts_with("default via fd00:1::1 dev wan1 metric 20"),
        "{v6:?}"
    );
    let sysctl = |role: Role, key: &str| {
        let v = lab
            .ns(role)
            .run(&["cat", &format!("/proc/sys/{key}")])
            .unwrap();
        v.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    assert_eq!(
        sysctl(Role::Gw, "net/ipv4/ping_group_range"),
        "0 2147483647"
    );
    // Set in each namespace, not on the host: the ISPs forward, inet does not.
    for (role, forwarding) in [(Role::Isp1, "1"), (Role::Isp2, "1"), (Role::Inet, "0")] {
        assert_eq!(sysctl(role, "net/ipv4/ip_forward"), forwarding, "{role}");
        assert_eq!(
            sysctl(role, "net/ipv6/conf/all/forwarding"),
            forwarding,
            "{role}"
        );
    }
    // Without -I, traffic takes the preferred WAN2.
    let route = gw
        .run(&["ip", "route", "get", &addr::ICMP_V4[0].to_string()])
        .unwrap();
    assert!(route.contains("dev wan2"), "{route}");
}

#[test]
fn each_wan_reaches_every_target_in_both_families() {
    if skip_without_netns("each_wan_reaches_every_target_in_both_families") {
        return;
    }
    let lab = lab();
    let targets = addr::ICMP_V4
        .map(IpAddr::V4)
        .into_iter()
        .chain(addr::ICMP_V6.map(IpAddr::V6));
    for target in targets {
        for wan in Wan::ALL {
            lab.ping(wan, target).unwrap_or_else(|e| panic!("{e:#}"));
        }
    }
}

#[test]
fn two_labs_at_once_do_not_collide() {
    if skip_without_netns("two_labs_at_once_do_not_collide") {
        return;
    }
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(lab);
        let b = s.spawn(lab);
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_ne!(a.run_id(), b.run_id());
    assert_ne!(a.dir(), b.dir());
    // An outage in one is not seen by the other.
    a.blackhole(Wan::Two).unwrap();
    let target = IpAddr::V4(addr::ICMP_V4[0]);
    assert!(a.ping(Wan::Two, target).is_err());
    b.ping(Wan::Two, target).unwrap_or_else(|e| panic!("{e:#}"));
    let (id_a, id_b) = (a.run_id().to_string(), b.run_id().to_string());
    drop(a);
    assert_eq!(namespaces_of(&id_a), Vec::<String>::new());
    assert_eq!(namespaces_of(&id_b).len(), Role::ALL.len());
}
