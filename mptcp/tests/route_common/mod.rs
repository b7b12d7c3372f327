//! Shared by the policy-routing tests: a gateway namespace with two WANs,
//! each a veth to its own "ISP" namespace, as on an OpenWrt router: both
//! WANs have IPv4 and IPv6 and a default route in the main table, the
//! preferred one (lower metric) through wan2. Only ISP1 holds the target,
//! so a packet to it that leaves through wan2 is lost.
//!
//! ```text
//!   gw                                  isp1
//!   wan1 10.101.0.2/24  ─────────────   up1 10.101.0.1/24
//!        2001:db8:101::2/64                 2001:db8:101::1/64, fe80::1
//!                                       lo  198.51.100.1, 2001:db8:100::1 (target)
//!   wan2 10.102.0.2/24  ─────────────   isp2: up2 10.102.0.1/24
//!        2001:db8:102::2/64                       2001:db8:102::1/64
//!   lan0 192.168.1.1/24, fd00:1::1/64 (a veth to lanp, which stays in gw)
//!
//!   gw main: default via 10.101.0.1 dev wan1 metric 20   (v6: via fe80::1)
//!            default via 10.102.0.1 dev wan2 metric 10   (v6: via 2001:db8:102::1)
//! ```

#![allow(dead_code)] // each test binary uses its own part

use std::future::Future;

use mpwan_lab::NetNs;
use mpwan_mptcp::route::{RouteManager, WanRoutes};

pub const WAN1_V4: &str = "10.101.0.2";
pub const WAN1_V6: &str = "2001:db8:101::2";
pub const WAN2_V4: &str = "10.102.0.2";
pub const WAN2_V6: &str = "2001:db8:102::2";
pub const TARGET_V4: &str = "198.51.100.1";
pub const TARGET_V6: &str = "2001:db8:100::1";
pub const TABLE1: u32 = 101;
pub const TABLE2: u32 = 102;

/// The three namespaces; dropping it removes them.
pub struct Topo {
    pub gw: NetNs,
    pub isp1: NetNs,
    pub isp2: NetNs,
}

/// The wired topology, or `None` when the test must be skipped.
pub fn topo(test: &str) -> Option<Topo> {
    if mpwan_lab::skip_without_netns(test) {
        return None;
    }
    let id = mpwan_lab::run_id();
    let ns = |role: &str| NetNs::create(&id, role).expect("create a namespace");
    let topo = Topo {
        gw: ns("gw"),
        isp1: ns("isp1"),
        isp2: ns("isp2"),
    };
    for n in [&topo.gw, &topo.isp1, &topo.isp2] {
        sysctls(n);
    }
    let gw = format!(
        "link add wan1 index 11 type veth peer name up1 index 21 netns {isp1}\n\
         link add wan2 index 12 type veth peer name up2 index 32 netns {isp2}\n\
         link add lan0 index 13 type veth peer name lanp index 14\n\
         addr add {WAN1_V4}/24 dev wan1\n\
         addr add {WAN1_V6}/64 dev wan1 nodad\n\
         addr add {WAN2_V4}/24 dev wan2\n\
         addr add {WAN2_V6}/64 dev wan2 nodad\n\
         addr add 192.168.1.1/24 dev lan0\n\
         addr add fd00:1::1/64 dev lan0 nodad\n\
         link set wan1 up\n\
         link set wan2 up\n\
         link set lan0 up\n\
         link set lanp up\n",
        isp1 = topo.isp1.name(),
        isp2 = topo.isp2.name(),
    );
    batch(&topo.gw, &gw);
    batch(
        &topo.isp1,
        &format!(
            "addr add 10.101.0.1/24 dev up1\n\
             addr add 2001:db8:101::1/64 dev up1 nodad\n\
             addr add fe80::1/64 dev up1 nodad\n\
             link set up1 up\n\
             addr add {TARGET_V4}/32 dev lo\n\
             addr add {TARGET_V6}/128 dev lo\n"
        ),
    );
    batch(
        &topo.isp2,
        "addr add 10.102.0.1/24 dev up2\n\
         addr add 2001:db8:102::1/64 dev up2 nodad\n\
         link set up2 up\n",
    );
    // The default routes last: the IPv4 gateways need the links up.
    batch(
        &topo.gw,
        "route add default via 10.101.0.1 dev wan1 metric 20\n\
         route add default via 10.102.0.1 dev wan2 metric 10\n\
         route add ::/0 via fe80::1 dev wan1 metric 20\n\
         route add ::/0 via 2001:db8:102::1 dev wan2 metric 10\n",
    );
    Some(topo)
}

/// The namespace's settings that make the test independent of the host's.
fn sysctls(ns: &NetNs) {
    ns.enter(|| {
        for (key, value) in [
            // Addresses (link-local ones too) usable at once.
            ("net/ipv6/conf/all/accept_dad", "0"),
            ("net/ipv6/conf/default/accept_dad", "0"),
            ("net/ipv6/conf/default/accept_ra", "0"),
            // Replies arriving on a WAN the main table does not prefer are
            // never dropped, whatever the host's defaults are.
            ("net/ipv4/conf/all/rp_filter", "0"),
            ("net/ipv4/conf/default/rp_filter", "0"),
        ] {
            std::fs::write(format!("/proc/sys/{key}"), value)
                .unwrap_or_else(|e| panic!("setting {key}: {e}"));
        }
    })
    .expect("enter a namespace");
}

pub fn batch(ns: &NetNs, script: &str) {
    ns.run_with_input(&["ip", "-batch", "-"], script)
        .unwrap_or_else(|e| panic!("{e:#}"));
}

/// Runs `ip args` in `ns`; its output lines, trimmed, tabs made spaces.
pub fn ip(ns: &NetNs, args: &[&str]) -> Vec<String> {
    let mut all = vec!["ip"];
    all.extend_from_slice(args);
    ns.run(&all)
        .unwrap_or_else(|e| panic!("{e:#}"))
        .lines()
        .map(|l| {
            l.replace('\t', " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// Runs `f` on a current-thread runtime on a thread inside `ns`.
pub fn in_ns<F, Fut, T>(ns: &NetNs, f: F) -> T
where
    F: FnOnce() -> Fut + Send,
    Fut: Future<Output = T>,
    T: Send,
{
    ns.enter(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(f())
    })
    .expect("enter the namespace")
}

/// A manager with its connection spawned on the current runtime.
pub fn manager() -> RouteManager {
    let (manager, connection) = RouteManager::new().expect("rtnetlink connection");
    tokio::spawn(connection);
    manager
}

/// Both WANs as the kernel has them now.
pub async fn observe(m: &RouteManager) -> Vec<WanRoutes> {
    vec![
        m.observe("wan1", TABLE1, "wan1")
            .await
            .expect("observe wan1"),
        m.observe("wan2", TABLE2, "wan2")
            .await
            .expect("observe wan2"),
    ]
}

/// Whether one ping from `ns` with `args` gets an answer (within 5 s).
pub fn ping(ns: &NetNs, args: &[&str]) -> bool {
    ns.command("ping")
        .args(["-c", "1", "-W", "5"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run ping")
        .success()
}

/// Whether one ping that must fail fails (waits 1 s for an answer).
pub fn ping_fails(ns: &NetNs, args: &[&str]) -> bool {
    !ns.command("ping")
        .args(["-c", "1", "-W", "1"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run ping")
        .success()
}
