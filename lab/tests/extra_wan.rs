//! Extra uplinks: each one is a path of its own through an existing
//! provider, untouched by the regular WANs' outages.

mod common;

use std::net::IpAddr;

use common::lab;
use mpwan_lab::{CarrierNotice, Role, Wan, addr, skip_without_netns};

#[test]
fn extra_wans_reach_the_targets_through_their_own_links() {
    if skip_without_netns("extra_wans_reach_the_targets_through_their_own_links") {
        return;
    }
    let lab = lab();
    let three = lab.add_extra_wan(3).unwrap();
    let four = lab.add_extra_wan(4).unwrap();
    assert_eq!((three.isp(), four.isp()), (Role::Isp1, Role::Isp2));
    assert!(lab.add_extra_wan(3).is_err(), "wan3 exists already");
    assert!(lab.add_extra_wan(2).is_err(), "wan2 is a regular WAN");

    let gw = lab.ns(Role::Gw);
    let v4 = IpAddr::V4(addr::ICMP_V4[1]);
    let v6 = IpAddr::V6(addr::ICMP_V6[1]);
    // Each has its own default route, behind both regular WANs.
    let routes = gw.run(&["ip", "-4", "route", "show", "default"]).unwrap();
    assert!(
        routes.contains("via 10.3.0.1 dev wan3 metric 30")
            && routes.contains("via 10.4.0.1 dev wan4 metric 40"),
        "{routes}"
    );

    // WAN1's black hole names its provider's `gw` interface only: wan3,
    // carried by the same provider, keeps working, and wan1 does not.
    lab.blackhole(Wan::One).unwrap();
    for target in [v4, v6] {
        mpwan_lab::check::ping(gw, &three.device(), target).unwrap();
        mpwan_lab::check::ping(gw, &four.device(), target).unwrap();
        assert!(lab.ping(Wan::One, target).is_err(), "{target} through wan1");
    }
    lab.restore(Wan::One).unwrap();
    lab.ping(Wan::One, v4).unwrap();

    // Setting the provider's end down takes the extra link's carrier.
    lab.ns(three.isp())
        .run(&["ip", "link", "set", &three.isp_device(), "down"])
        .unwrap();
    mpwan_lab::wait::until("wan3 losing carrier", mpwan_lab::wait::DEADLINE, || {
        let line = gw.run(&["ip", "-o", "link", "show", &three.device()])?;
        anyhow::ensure!(mpwan_lab::outage::no_carrier(&line)?, "not yet: {line}");
        Ok(())
    })
    .unwrap();
    assert!(mpwan_lab::check::ping(gw, &three.device(), v4).is_err());
    mpwan_lab::check::ping(gw, &four.device(), v4).unwrap();
    lab.restore_extra_wan(three).unwrap();
    mpwan_lab::check::ping(gw, &three.device(), v6).unwrap();

    // A link reported like a physical port: its two ends share an index.
    let port = lab.add_extra_wan_with(5, CarrierNotice::LikeAPort).unwrap();
    let index = |ns: &mpwan_lab::NetNs, dev: &str| {
        let line = ns.run(&["ip", "-o", "link", "show", dev]).unwrap();
        line.split(':').next().unwrap().trim().to_string()
    };
    assert_eq!(
        index(gw, &port.device()),
        index(lab.ns(port.isp()), &port.isp_device())
    );
    mpwan_lab::check::ping(gw, &port.device(), v4).unwrap();
}
