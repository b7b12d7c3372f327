//! Outages: black hole, carrier loss and random loss on one WAN, and
//! their repair.

mod common;

use std::net::IpAddr;

use common::lab;
use mpwan_lab::{Lab, Role, Wan, addr, netns, skip_without_netns};

const V4: IpAddr = IpAddr::V4(addr::ICMP_V4[0]);
const V6: IpAddr = IpAddr::V6(addr::ICMP_V6[0]);

/// Pings every (wan, target) at once and returns which answered, in order.
fn reachable(lab: &Lab, probes: &[(Wan, IpAddr)]) -> Vec<bool> {
    std::thread::scope(|s| {
        let handles: Vec<_> = probes
            .iter()
            .map(|&(wan, t)| s.spawn(move || lab.ping(wan, t).is_ok()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn blackhole_cuts_one_wan_and_restore_brings_it_back() {
    if skip_without_netns("blackhole_cuts_one_wan_and_restore_brings_it_back") {
        return;
    }
    let lab = lab();
    lab.blackhole(Wan::Two).unwrap();
    lab.blackhole(Wan::Two).unwrap(); // idempotent
    let gateway = IpAddr::V4(addr::WAN2_ISP_V4);
    let probes = [
        (Wan::Two, V4),
        (Wan::Two, V6),
        (Wan::Two, gateway),
        (Wan::One, V4),
        (Wan::One, V6),
    ];
    std::thread::scope(|s| {
        // The preferred route is the one cut: a probe ignoring its WAN fails.
        let unbound = s.spawn(|| {
            lab.ns(Role::Gw)
                .run(&["ping", "-n", "-q", "-c", "1", "-W", "1", &V4.to_string()])
        });
        assert_eq!(reachable(&lab, &probes), [false, false, false, true, true]);
        let unbound = unbound.join().unwrap();
        assert!(unbound.is_err(), "{unbound:?}");
    });

    lab.restore(Wan::Two).unwrap();
    lab.restore(Wan::Two).unwrap(); // idempotent
    assert_eq!(reachable(&lab, &probes), [true; 5]);
}

#[test]
fn carrier_down_shows_no_carrier_on_gw() {
    if skip_without_netns("carrier_down_shows_no_carrier_on_gw") {
        return;
    }
    let lab = lab();
    let gw = lab.ns(Role::Gw).name().to_string();
    let show = || netns::ip(&["-n", &gw, "link", "show", "wan1"]).unwrap();
    assert!(!show().contains("NO-CARRIER"), "{}", show());

    lab.carrier_down(Wan::One).unwrap();
    lab.carrier_down(Wan::One).unwrap(); // idempotent
    assert!(show().contains("NO-CARRIER"), "{}", show());
    assert!(lab.no_carrier(Wan::One).unwrap());
    assert!(!lab.no_carrier(Wan::Two).unwrap());
    assert_eq!(
        reachable(&lab, &[(Wan::One, V4), (Wan::One, V6), (Wan::Two, V4)]),
        [false, false, true]
    );

    lab.restore(Wan::One).unwrap();
    assert!(!show().contains("NO-CARRIER"), "{}", show());
    assert_eq!(
        reachable(&lab, &[(Wan::One, V4), (Wan::One, V6)]),
        [true, true]
    );
}

#[test]
fn loss_drops_a_visible_share_of_pings() {
    if skip_without_netns("loss_drops_a_visible_share_of_pings") {
        return;
    }
    let lab = lab();
    lab.loss(Wan::Two, 50).unwrap();
    let out = lab
        .command(Role::Gw, "ping")
        .args([
            "-n", "-q", "-i", "0.01", "-c", "200", "-W", "1", "-I", "wan2",
        ])
        .arg(V4.to_string())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    let received: u32 = out
        .split(',')
        .find_map(|part| part.trim().strip_suffix(" received"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary in {out}"));
    let lost = 200 - received;
    eprintln!("50% loss: {lost} of 200 lost");
    // Expected 100, standard deviation about 7: the bounds are 8 of them away.
    assert!((40..=160).contains(&lost), "{lost} of 200 lost:\n{out}");
    // WAN1 is untouched.
    assert_eq!(reachable(&lab, &[(Wan::One, V4)]), [true]);

    lab.restore(Wan::Two).unwrap();
    let nft = lab.ns(Role::Isp2).run(&["nft", "list", "tables"]).unwrap();
    assert!(!nft.contains("mpwan_lab"), "{nft}");
}
