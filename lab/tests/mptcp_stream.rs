//! The lab's MPTCP stream: two subflows when both WANs have an endpoint,
//! and the data keeps arriving intact through the other WAN when one is
//! black-holed (endpoints set by hand here; the agent's tests let mpwan
//! manage them).

use std::time::Duration;

use mpwan_lab::{Lab, MptcpStream, Role, Wan, addr, skip_without_netns};

#[test]
fn a_stream_uses_both_wans_and_survives_a_blackhole_intact() {
    if skip_without_netns("a_stream_uses_both_wans_and_survives_a_blackhole_intact") {
        return;
    }
    let lab = Lab::new().unwrap();
    let gw = lab.ns(Role::Gw);
    gw.run(&[
        "ip",
        "mptcp",
        "limits",
        "set",
        "subflows",
        "8",
        "add_addr_accepted",
        "8",
    ])
    .unwrap();
    for (wan, ip) in [(Wan::One, addr::WAN1_GW_V4), (Wan::Two, addr::WAN2_GW_V4)] {
        let ip = ip.to_string();
        let id = wan.mptcp_id().to_string();
        gw.run(&[
            "ip",
            "mptcp",
            "endpoint",
            "add",
            &ip,
            "dev",
            wan.device(),
            "id",
            &id,
            "subflow",
        ])
        .unwrap();
    }
    let stream = MptcpStream::start(&lab, 4000).unwrap();
    let token = stream.token(&lab).unwrap();
    mpwan_lab::wait::until("a subflow on each WAN", Duration::from_secs(15), || {
        let s = stream.subflows(&lab, &token)?;
        let on = |ip: std::net::Ipv4Addr| s.iter().any(|f| f.local.starts_with(&ip.to_string()));
        anyhow::ensure!(
            on(addr::WAN1_GW_V4) && on(addr::WAN2_GW_V4),
            "subflows: {s:?}"
        );
        Ok(())
    })
    .unwrap();

    lab.blackhole(Wan::Two).unwrap();
    stream
        .wait_verified(2 * 1024 * 1024, Duration::from_secs(30))
        .unwrap();
    let p = stream.stop().unwrap();
    assert!(p.verified > 0 && p.error.is_none(), "{p:?}");
}
