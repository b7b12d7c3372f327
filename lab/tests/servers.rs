//! The DNS and HTTP servers answer through each WAN, and follow what a
//! test asks of them.

mod common;

use std::net::IpAddr;

use common::lab;
use mpwan_lab::{QueryType, Wan, addr, skip_without_netns};

#[test]
fn dns_answers_through_each_wan_and_can_be_stopped() {
    if skip_without_netns("dns_answers_through_each_wan_and_can_be_stopped") {
        return;
    }
    let lab = lab();
    let (v4, v6) = (IpAddr::V4(addr::HTTP_V4), IpAddr::V6(addr::HTTP_V6));
    for wan in Wan::ALL {
        for server in [IpAddr::V4(addr::DNS_V4), IpAddr::V6(addr::DNS_V6)] {
            let a = lab
                .dns_query(wan, server, addr::DNS_NAME, QueryType::A)
                .unwrap();
            let aaaa = lab
                .dns_query(wan, server, addr::DNS_NAME, QueryType::Aaaa)
                .unwrap();
            assert_eq!((a, aaaa), (vec![v4], vec![v6]), "{wan} {server}");
        }
    }
    let server = IpAddr::V4(addr::DNS_V4);
    lab.stop_dns().unwrap();
    lab.stop_dns().unwrap(); // idempotent
    assert!(
        lab.dns_query(Wan::One, server, addr::DNS_NAME, QueryType::A)
            .is_err()
    );
    lab.start_dns().unwrap();
    lab.start_dns().unwrap(); // idempotent
    assert_eq!(
        lab.dns_query(Wan::One, server, addr::DNS_NAME, QueryType::A)
            .unwrap(),
        [v4]
    );
}

#[test]
fn http_answers_the_status_the_lab_sets() {
    if skip_without_netns("http_answers_the_status_the_lab_sets") {
        return;
    }
    let lab = lab();
    let servers = [IpAddr::V4(addr::HTTP_V4), IpAddr::V6(addr::HTTP_V6)];
    for wan in Wan::ALL {
        for server in servers {
            assert_eq!(lab.http_status(wan, server, addr::HTTP_PATH).unwrap(), 204);
            assert_eq!(lab.http_status(wan, server, "/other").unwrap(), 404);
        }
    }
    lab.set_http_status(500).unwrap();
    for server in servers {
        assert_eq!(
            lab.http_status(Wan::Two, server, addr::HTTP_PATH).unwrap(),
            500
        );
    }
    assert!(lab.set_http_status(42).is_err());
    lab.set_http_status(204).unwrap();
    assert_eq!(
        lab.http_status(Wan::One, servers[0], addr::HTTP_PATH)
            .unwrap(),
        204
    );
}

#[test]
fn probes_through_a_dead_wan_fail_but_the_other_answers() {
    if skip_without_netns("probes_through_a_dead_wan_fail_but_the_other_answers") {
        return;
    }
    let lab = lab();
    lab.blackhole(Wan::Two).unwrap();
    let (dns, http) = (IpAddr::V4(addr::DNS_V4), IpAddr::V4(addr::HTTP_V4));
    std::thread::scope(|s| {
        let dead_dns = s.spawn(|| lab.dns_query(Wan::Two, dns, addr::DNS_NAME, QueryType::A));
        let dead_http = s.spawn(|| lab.http_status(Wan::Two, http, addr::HTTP_PATH));
        assert!(dead_dns.join().unwrap().is_err());
        assert!(dead_http.join().unwrap().is_err());
    });
    assert_eq!(
        lab.dns_query(Wan::One, dns, addr::DNS_NAME, QueryType::A)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        lab.http_status(Wan::One, http, addr::HTTP_PATH).unwrap(),
        204
    );
}
