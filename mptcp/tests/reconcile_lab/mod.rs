//! Shared by the reconciler's real-kernel tests: a gateway namespace with
//! two WAN veths to an "ISP" namespace, and waiting for kernel state and
//! published status.

#![allow(dead_code)] // each test binary uses its own part

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::thread::JoinHandle;
use std::time::Duration;

use mpwan_lab::NetNs;
use mpwan_mptcp::reconcile::{Family, ReconcileParams, SlotInput, SlotSpec, SlotStatus, Usable};
use mpwan_mptcp::{EndpointFlags, Limits};
use socket2::Socket;
use tokio::sync::watch;

use crate::common::{ip_endpoints, mptcp_socket};

/// How long the kernel state may take to follow an input: generous, it
/// takes milliseconds.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The reconciler's period in these tests, so repairs are quick.
pub const PERIOD: Duration = Duration::from_millis(500);

/// `gw` has `wan1` (10.1.0.1/24, fd01::1/64) and `wan2` (10.2.0.1/24,
/// fd02::1/64), veths to `isp1`/`isp2` in `isp` (the `.2` addresses).
pub struct Lab {
    pub gw: NetNs,
    pub isp: NetNs,
}

impl Lab {
    pub fn new(test: &str) -> Option<Lab> {
        if mpwan_lab::skip_without_netns(test) {
            return None;
        }
        let gw = NetNs::create_unique("rgw").expect("gateway namespace");
        let isp = NetNs::create_unique("risp").expect("ISP namespace");
        for i in 1..=2 {
            let wan = format!("wan{i}");
            let far = format!("isp{i}");
            gw.run(&[
                "ip",
                "link",
                "add",
                &wan,
                "type",
                "veth",
                "peer",
                "name",
                &far,
                "netns",
                isp.name(),
            ])
            .expect("veth pair");
            for (ns, dev, host) in [(&gw, &wan, 1), (&isp, &far, 2)] {
                let v4 = format!("10.{i}.0.{host}/24");
                let v6 = format!("fd0{i}::{host}/64");
                ns.run(&["ip", "addr", "add", &v4, "dev", dev])
                    .expect("IPv4");
                ns.run(&["ip", "addr", "add", &v6, "dev", dev, "nodad"])
                    .expect("IPv6");
                ns.run(&["ip", "link", "set", dev, "up"]).expect("link up");
            }
        }
        Some(Lab { gw, isp })
    }

    pub fn ifindex(&self, dev: &str) -> u32 {
        self.gw
            .run(&["cat", &format!("/sys/class/net/{dev}/ifindex")])
            .expect("ifindex")
            .trim()
            .parse()
            .expect("a number")
    }

    pub fn input(&self, key: &str, usable: Usable) -> SlotInput {
        let (wan, family) = key.split_once('/').expect("wanN/family");
        let n = &wan[3..];
        let addr = match family {
            "ipv4" => format!("10.{n}.0.1"),
            _ => format!("fd0{n}::1"),
        };
        SlotInput {
            key: key.into(),
            usable,
            addr: Some(addr.parse().expect("address")),
            ifindex: Some(self.ifindex(wan)),
        }
    }
}

pub fn slot(key: &str, id: u8, family: Family) -> SlotSpec {
    SlotSpec {
        key: key.into(),
        id,
        family,
        base_flags: EndpointFlags::SUBFLOW,
    }
}

pub fn params() -> ReconcileParams {
    ReconcileParams {
        period: PERIOD,
        retry_base: Duration::from_millis(100),
        retry_max: Duration::from_secs(1),
        limits: Some(Limits {
            subflows: 2,
            add_addr_accepted: 2,
        }),
        ..ReconcileParams::default()
    }
}

/// Polls `ip mptcp endpoint show` until it is `want`; returns how long
/// that took.
pub async fn wait_endpoints(ns: &NetNs, want: &[&str]) -> Duration {
    let start = tokio::time::Instant::now();
    loop {
        let got = ip_endpoints(ns);
        if got == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < DEADLINE,
            "endpoints still {got:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the published status satisfies `pred`.
pub async fn wait_status(
    rx: &mut watch::Receiver<Vec<SlotStatus>>,
    what: &str,
    pred: impl FnMut(&Vec<SlotStatus>) -> bool,
) -> Vec<SlotStatus> {
    let got = match tokio::time::timeout(DEADLINE, rx.wait_for(pred)).await {
        Ok(Ok(status)) => Some(status.clone()),
        Ok(Err(_)) => panic!("the driver stopped before {what}"),
        Err(_) => None,
    };
    got.unwrap_or_else(|| panic!("no {what} within {DEADLINE:?}: {:?}", *rx.borrow()))
}

pub fn status_of<'a>(all: &'a [SlotStatus], key: &str) -> &'a SlotStatus {
    all.iter().find(|s| s.key == key).expect("slot in status")
}

/// An MPTCP server in the ISP namespace on `addr` that reads until EOF;
/// returns its address and the thread (which returns the bytes read).
pub fn server(lab: &Lab, addr: SocketAddr) -> (SocketAddr, JoinHandle<usize>) {
    let listener = lab
        .isp
        .enter(|| {
            let s = mptcp_socket(&addr).expect("MPTCP listener");
            s.bind(&addr.into()).expect("bind");
            s.listen(4).expect("listen");
            s
        })
        .expect("enter the ISP namespace");
    let local = listener
        .local_addr()
        .expect("address")
        .as_socket()
        .expect("inet");
    let reader = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut buf = [0; 4096];
        let mut total = 0usize;
        while let Ok(n) = conn.read(&mut buf) {
            if n == 0 {
                break;
            }
            total = total.saturating_add(n);
        }
        total
    });
    (local, reader)
}

/// An MPTCP client from `from` (created in the calling thread's namespace).
pub fn client(from: IpAddr, to: SocketAddr) -> Socket {
    let from = SocketAddr::new(from, 0);
    let s = mptcp_socket(&from).expect("MPTCP client");
    s.bind(&from.into()).expect("bind");
    s.connect(&to.into()).expect("connect");
    s
}
