//! DNS probes in namespaces against a real dnsmasq: a real answer passes,
//! NXDOMAIN and a dead server fail, a black hole times out, stray
//! datagrams are ignored, and the query leaves through its bound device.

mod probe_support;

use std::net::SocketAddr;
use std::time::Duration;

use mpwan_lab::NetNs;
use mpwan_tracker::probe::{DnsProber, DnsRecordType, ErrorKind, Outcome};
use probe_support::*;
use tokio::time::Instant;

const TIMEOUT: Duration = Duration::from_millis(1500);

/// dnsmasq answering example.com (A 1.2.3.4, AAAA 2001:db8::4) and
/// NXDOMAIN for nx.example.com, on `listen` in `ns`.
fn dnsmasq(ns: &NetNs, dir: &tempfile::TempDir, listen: &[&str]) -> Proc {
    let pid = dir.path().join("dnsmasq.pid");
    let mut args = vec![
        "dnsmasq".to_string(),
        "--keep-in-foreground".into(),
        "--conf-file=/dev/null".into(),
        "--no-resolv".into(),
        "--no-hosts".into(),
        "--bind-interfaces".into(),
        "--address=/example.com/1.2.3.4".into(),
        "--address=/example.com/2001:db8::4".into(),
        "--address=/nx.example.com/".into(),
        "--user=root".into(),
        format!("--pid-file={}", pid.display()),
    ];
    args.extend(listen.iter().map(|a| format!("--listen-address={a}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Proc::spawn(ns, &args, &dir.path().join("dnsmasq.log"))
}

fn server(addr: &str) -> SocketAddr {
    SocketAddr::new(ip(addr), 53)
}

#[test]
fn a_real_answer_passes_and_nxdomain_and_a_dead_server_fail() {
    if mpwan_lab::skip_without_netns("a_real_answer_passes") {
        return;
    }
    let lab = Lab::new();
    let dir = tempfile::tempdir().unwrap();
    let mut dns = dnsmasq(&lab.far, &dir, &[FAR_V4, FAR_V6]);
    let (b4, b6) = (lab.binding(Some(NEAR_V4)), lab.binding(Some(NEAR_V6)));
    lab.run(async {
        let p4 = DnsProber::new(b4.clone()).unwrap();
        let p6 = DnsProber::new(b6.clone()).unwrap();
        let rtt = until_reply("dnsmasq", || {
            p4.probe(server(FAR_V4), "example.com", TIMEOUT)
        })
        .await;
        println!("DNS over IPv4 rtt {rtt:?}");
        let Outcome::Reply { rtt } = p6.probe(server(FAR_V6), "example.com.", TIMEOUT).await else {
            panic!("no answer over IPv6");
        };
        println!("DNS over IPv6 rtt {rtt:?}");
        let aaaa = p6.clone().with_record_type(DnsRecordType::Aaaa);
        assert!(matches!(
            aaaa.probe(server(FAR_V6), "example.com", TIMEOUT).await,
            Outcome::Reply { .. }
        ));
        assert_eq!(
            p4.probe(server(FAR_V4), "nx.example.com", TIMEOUT).await,
            Outcome::Error(ErrorKind::BadAnswer)
        );
        // dnsmasq refuses names it has no upstream for: not an answer.
        assert_eq!(
            p4.probe(server(FAR_V4), "example.org", TIMEOUT).await,
            Outcome::Error(ErrorKind::BadAnswer)
        );
        assert_eq!(
            p4.probe(server(FAR_V4), "not a name..", TIMEOUT).await,
            Outcome::Error(ErrorKind::Send)
        );
    });
    dns.kill();
    lab.run(async {
        let p4 = DnsProber::new(b4).unwrap();
        let p6 = DnsProber::new(b6).unwrap();
        let start = Instant::now();
        // The far host answers with port unreachable at once.
        let (a, b) = tokio::join!(
            p4.probe(server(FAR_V4), "example.com", TIMEOUT),
            p6.probe(server(FAR_V6), "example.com", TIMEOUT),
        );
        assert_eq!(
            (a, b),
            (
                Outcome::Error(ErrorKind::Refused),
                Outcome::Error(ErrorKind::Refused)
            )
        );
        assert!(start.elapsed() < TIMEOUT);
    });
}

#[test]
fn a_black_holed_server_times_out() {
    if mpwan_lab::skip_without_netns("a_black_holed_server_times_out") {
        return;
    }
    let lab = Lab::new();
    let dir = tempfile::tempdir().unwrap();
    let _dns = dnsmasq(&lab.far, &dir, &[FAR_V4]);
    let b4 = lab.binding(Some(NEAR_V4));
    let p4 = DnsProber::new(b4).unwrap();
    lab.run(async {
        until_reply("dnsmasq", || {
            p4.probe(server(FAR_V4), "example.com", TIMEOUT)
        })
        .await;
    });
    blackhole(&lab.far);
    lab.run(async {
        let timeout = Duration::from_millis(400);
        assert_eq!(
            p4.probe(server(FAR_V4), "example.com", timeout).await,
            Outcome::Timeout
        );
    });
}

/// A server that sends garbage and an answer with another id before (in
/// mode `answer`) the right answer, or only the strays (mode `strays`).
const STRAY_SERVER: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
print("ready", flush=True)
rr = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04"
while True:
    q, peer = s.recvfrom(512)
    question = q[12:]
    s.sendto(b"garbage", peer)
    other = bytes([q[0], q[1] ^ 0xff])
    s.sendto(other + b"\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00" + question + rr, peer)
    if sys.argv[2] == "answer":
        s.sendto(q[:2] + b"\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00" + question + rr, peer)
"#;

#[test]
fn stray_datagrams_are_ignored_until_the_answer_or_the_timeout() {
    if mpwan_lab::skip_without_netns("stray_datagrams_are_ignored") {
        return;
    }
    let lab = Lab::new();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("stray.py");
    std::fs::write(&script, STRAY_SERVER).unwrap();
    let script = script.to_str().unwrap().to_string();
    let log = dir.path().join("stray.log");
    let mut server_proc = Proc::spawn(&lab.far, &["python3", &script, FAR_V4, "answer"], &log);
    wait_for_line(&log, "ready");
    let p4 = DnsProber::new(lab.binding(Some(NEAR_V4))).unwrap();
    lab.run(async {
        let o = p4.probe(server(FAR_V4), "example.com", TIMEOUT).await;
        assert!(matches!(o, Outcome::Reply { .. }), "{o:?}");
    });
    server_proc.kill();
    std::fs::write(&log, "").unwrap();
    let _strays = Proc::spawn(&lab.far, &["python3", &script, FAR_V4, "strays"], &log);
    wait_for_line(&log, "ready");
    lab.run(async {
        let timeout = Duration::from_millis(500);
        assert_eq!(
            p4.probe(server(FAR_V4), "example.com", timeout).await,
            Outcome::Timeout
        );
    });
}

fn wait_for_line(log: &std::path::Path, line: &str) {
    let start = Instant::now();
    while !std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .any(|l| l == line)
    {
        assert!(
            start.elapsed() < DEADLINE,
            "no {line:?} in {}",
            log.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_query_leaves_through_its_device_with_its_mark() {
    if mpwan_lab::skip_without_netns("the_query_leaves_through_its_device") {
        return;
    }
    let lab = TwoWans::new();
    let dir = tempfile::tempdir().unwrap();
    // Only ISP A runs a server; ISP B would answer "port unreachable".
    let _dns = dnsmasq(&lab.isp_a, &dir, &[INTERNET_V4, INTERNET_V6]);
    let mut wan0 = binding(&lab.gw, "wan0", Some("10.77.0.1"));
    wan0.fwmark = Some(MARK);
    let wan0_v6 = binding(&lab.gw, "wan0", Some("fd77::1"));
    let wan1 = binding(&lab.gw, "wan1", None);
    let p4 = DnsProber::new(wan0).unwrap();
    run_in(&lab.gw, async {
        until_reply("dnsmasq", || {
            p4.probe(server(INTERNET_V4), "example.com", TIMEOUT)
        })
        .await;
    });
    let before = lab.counts();
    let marked = counter(&lab.gw, "marked");
    let p6 = DnsProber::new(wan0_v6).unwrap();
    let p1 = DnsProber::new(wan1).unwrap();
    run_in(&lab.gw, async {
        let o = p4.probe(server(INTERNET_V4), "example.com", TIMEOUT).await;
        assert!(matches!(o, Outcome::Reply { .. }), "wan0 v4: {o:?}");
        let o = p6.probe(server(INTERNET_V6), "example.com", TIMEOUT).await;
        assert!(matches!(o, Outcome::Reply { .. }), "wan0 v6: {o:?}");
        // The preferred WAN leads to ISP B, which runs no server.
        let o = p1.probe(server(INTERNET_V4), "example.com", TIMEOUT).await;
        assert_eq!(o, Outcome::Error(ErrorKind::Refused), "wan1");
    });
    let after = lab.counts();
    assert_eq!(after[0].2 - before[0].2, 2, "queries at ISP A");
    assert_eq!(after[1].2 - before[1].2, 1, "queries at ISP B");
    assert_eq!(
        counter(&lab.gw, "marked") - marked,
        1,
        "the marked v4 query"
    );
}
