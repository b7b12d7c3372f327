//! ICMP echo probes in namespaces: replies with an RTT over raw and
//! datagram sockets, a black hole times out, an ICMP error is a failure and
//! never a reply, and a probe leaves through its bound device (with its
//! mark) even when the main table prefers another WAN.

mod probe_support;

use std::time::Duration;

use mpwan_tracker::probe::{ErrorKind, Family, IcmpProber, IcmpSocketKind, Outcome, ProbeError};
use probe_support::*;
use tokio::time::Instant;

const TIMEOUT: Duration = Duration::from_millis(1500);

fn allow_ping_sockets(lab: &Lab) {
    lab.near
        .run(&["sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"])
        .expect("ping_group_range");
}

#[test]
fn echo_replies_carry_an_rtt_in_both_families() {
    if mpwan_lab::skip_without_netns("echo_replies_carry_an_rtt_in_both_families") {
        return;
    }
    let lab = Lab::new();
    lab.far
        .run(&["ip", "addr", "add", "10.77.0.3/24", "dev", "isp0"])
        .expect("second target");
    lab.wait_reachable("10.77.0.3");
    let (b4, b6) = (lab.binding(Some(NEAR_V4)), lab.binding(Some(NEAR_V6)));
    lab.run(async move {
        let v4 = IcmpProber::new(b4, Family::V4).expect("IPv4 prober");
        let v6 = IcmpProber::new(b6, Family::V6).expect("IPv6 prober");
        // Tests run as root: the raw socket is chosen.
        assert_eq!(v4.socket_kind(), IcmpSocketKind::Raw);
        // Two targets on one socket at once, and the other family.
        let (a, b, c) = tokio::join!(
            v4.probe(ip(FAR_V4), 1, TIMEOUT),
            v4.probe(ip("10.77.0.3"), 1, TIMEOUT),
            v6.probe(ip(FAR_V6), 1, TIMEOUT),
        );
        for (what, o) in [("v4", a), ("v4 second target", b), ("v6", c)] {
            let Outcome::Reply { rtt } = o else {
                panic!("{what}: {o:?}")
            };
            assert!(rtt > Duration::ZERO && rtt < TIMEOUT, "{what}: rtt {rtt:?}");
            println!("ICMP {what} raw rtt {rtt:?}");
        }
        // A target of the other family is refused without sending.
        assert_eq!(
            v4.probe(ip(FAR_V6), 2, TIMEOUT).await,
            Outcome::Error(ErrorKind::Send)
        );
        // The same sequence again, after the first completed, is fine.
        assert!(matches!(
            v4.probe(ip(FAR_V4), 1, TIMEOUT).await,
            Outcome::Reply { .. }
        ));
    });
}

#[test]
fn datagram_sockets_work_where_ping_group_range_allows() {
    if mpwan_lab::skip_without_netns("datagram_sockets_work_where_ping_group_range_allows") {
        return;
    }
    let lab = Lab::new();
    let (b4, b6) = (lab.binding(Some(NEAR_V4)), lab.binding(Some(NEAR_V6)));
    let b = b4.clone();
    lab.run(async move {
        // A new namespace has ping_group_range "1 0": no group may.
        let refused = IcmpProber::with_socket_kind(b, Family::V4, IcmpSocketKind::Datagram);
        assert!(
            matches!(refused, Err(ProbeError::Socket { .. })),
            "{refused:?}"
        );
    });
    allow_ping_sockets(&lab);
    lab.run(async move {
        let v4 = IcmpProber::with_socket_kind(b4, Family::V4, IcmpSocketKind::Datagram)
            .expect("IPv4 ping socket");
        let v6 = IcmpProber::with_socket_kind(b6, Family::V6, IcmpSocketKind::Datagram)
            .expect("IPv6 ping socket");
        let (a, b) = tokio::join!(
            v4.probe(ip(FAR_V4), 7, TIMEOUT),
            v6.probe(ip(FAR_V6), 7, TIMEOUT)
        );
        for (what, o) in [("v4", a), ("v6", b)] {
            let Outcome::Reply { rtt } = o else {
                panic!("{what}: {o:?}")
            };
            println!("ICMP {what} datagram rtt {rtt:?}");
        }
    });
}

#[test]
fn a_black_hole_times_out() {
    if mpwan_lab::skip_without_netns("a_black_hole_times_out") {
        return;
    }
    let lab = Lab::new();
    allow_ping_sockets(&lab);
    blackhole(&lab.far);
    let (b4, b6) = (lab.binding(Some(NEAR_V4)), lab.binding(Some(NEAR_V6)));
    lab.run(async move {
        let timeout = Duration::from_millis(500);
        for kind in [IcmpSocketKind::Raw, IcmpSocketKind::Datagram] {
            let v4 = IcmpProber::with_socket_kind(b4.clone(), Family::V4, kind).unwrap();
            let v6 = IcmpProber::with_socket_kind(b6.clone(), Family::V6, kind).unwrap();
            let start = Instant::now();
            let (a, b) = tokio::join!(
                v4.probe(ip(FAR_V4), 3, timeout),
                v6.probe(ip(FAR_V6), 3, timeout)
            );
            assert_eq!((a, b), (Outcome::Timeout, Outcome::Timeout), "{kind:?}");
            assert!(start.elapsed() >= timeout, "{kind:?}: timed out early");
        }
    });
    // And once the hole is gone, the same prober passes again.
    remove_blackhole(&lab.far);
    let b4 = lab.binding(Some(NEAR_V4));
    lab.run(async move {
        let v4 = IcmpProber::new(b4, Family::V4).unwrap();
        until_reply("after the black hole", || v4.probe(ip(FAR_V4), 4, TIMEOUT)).await;
    });
}

#[test]
fn an_icmp_error_is_a_failure_not_a_reply() {
    if mpwan_lab::skip_without_netns("an_icmp_error_is_a_failure_not_a_reply") {
        return;
    }
    let lab = Lab::new();
    allow_ping_sockets(&lab);
    // The far host would send at most 6 errors to us back to back, then one
    // a second (ICMP rate limiting); this test wants every one.
    for sysctl in ["net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"] {
        lab.far
            .run(&["sysctl", "-qw", sysctl])
            .expect("ICMP rate limit off");
    }
    // IPv4: reject (port unreachable); IPv6: administratively prohibited.
    nft(
        &lab.far,
        "add table inet t\n\
         add chain inet t in { type filter hook input priority 0; }\n\
         add rule inet t in icmp type echo-request reject\n\
         add rule inet t in icmpv6 type echo-request reject with icmpx type admin-prohibited\n",
    );
    let (b4, b6) = (lab.binding(Some(NEAR_V4)), lab.binding(Some(NEAR_V6)));
    lab.run(async move {
        let timeout = Duration::from_secs(3);
        for kind in [IcmpSocketKind::Raw, IcmpSocketKind::Datagram] {
            let v4 = IcmpProber::with_socket_kind(b4.clone(), Family::V4, kind).unwrap();
            let v6 = IcmpProber::with_socket_kind(b6.clone(), Family::V6, kind).unwrap();
            // Several rounds: how the receive task meets an error (socket
            // error first, or the queued ICMP message) varies with timing.
            for seq in 0..5 {
                let start = Instant::now();
                let (a, b) = tokio::join!(
                    v4.probe(ip(FAR_V4), seq, timeout),
                    v6.probe(ip(FAR_V6), seq, timeout)
                );
                let took = start.elapsed();
                assert_eq!(
                    a,
                    Outcome::Error(ErrorKind::Refused),
                    "{kind:?} v4, round {seq}"
                );
                assert_eq!(
                    b,
                    Outcome::Error(ErrorKind::Unreachable),
                    "{kind:?} v6, round {seq}"
                );
                // Reported when the error arrived, not at the timeout.
                assert!(took < timeout / 2, "{kind:?}: took {took:?}");
                println!("ICMP error reported after {took:?} on a {kind:?} socket");
            }
        }
    });
}

#[test]
fn a_probe_leaves_through_its_device_whatever_the_main_table_prefers() {
    if mpwan_lab::skip_without_netns("a_probe_leaves_through_its_device") {
        return;
    }
    let lab = TwoWans::new();
    let mut wan0 = binding(&lab.gw, "wan0", Some("10.77.0.1"));
    wan0.fwmark = Some(MARK);
    let mut wan0_v6 = binding(&lab.gw, "wan0", Some("fd77::1"));
    wan0_v6.fwmark = Some(MARK);
    let wan1 = binding(&lab.gw, "wan1", None);
    let before = lab.counts();
    let marked_before = counter(&lab.gw, "marked");
    run_in(&lab.gw, async move {
        let v4 = IcmpProber::new(wan0, Family::V4).unwrap();
        let v6 = IcmpProber::new(wan0_v6, Family::V6).unwrap();
        let target4 = ip(INTERNET_V4);
        let target6 = ip(INTERNET_V6);
        assert!(matches!(
            v4.probe(target4, 1, TIMEOUT).await,
            Outcome::Reply { .. }
        ));
        assert!(matches!(
            v6.probe(target6, 1, TIMEOUT).await,
            Outcome::Reply { .. }
        ));
    });
    let after = lab.counts();
    // Both echo requests reached ISP A (wan0), none ISP B, although the
    // main table prefers wan1; and both carried the mark.
    assert_eq!(
        (after[0].0 - before[0].0, after[0].1 - before[0].1),
        (1, 1),
        "ISP A"
    );
    assert_eq!(
        (after[1].0 - before[1].0, after[1].1 - before[1].1),
        (0, 0),
        "ISP B"
    );
    assert_eq!(
        counter(&lab.gw, "marked") - marked_before,
        2,
        "marked packets"
    );

    // The preferred WAN's prober goes its own way too.
    let before = lab.counts();
    run_in(&lab.gw, async move {
        let v4 = IcmpProber::new(wan1, Family::V4).unwrap();
        assert!(matches!(
            v4.probe(ip(INTERNET_V4), 1, TIMEOUT).await,
            Outcome::Reply { .. }
        ));
    });
    let after = lab.counts();
    assert_eq!((after[0].0 - before[0].0, after[1].0 - before[1].0), (0, 1));
}

#[test]
fn a_device_that_does_not_exist_is_an_error_at_creation() {
    if mpwan_lab::skip_without_netns("a_device_that_does_not_exist") {
        return;
    }
    let lab = Lab::new();
    lab.run(async {
        let b = mpwan_tracker::probe::Binding::device("nosuchdev0");
        let e = IcmpProber::new(b, Family::V4);
        assert!(matches!(e, Err(ProbeError::BindDevice { .. })), "{e:?}");
    });
}
