//! The namespaces the probe and link tests run in, and the servers they
//! start there. Everything stays inside namespaces the test created: the
//! addresses below exist nowhere else, and every process dies with its
//! namespace (NetNs kills what runs in it when dropped).
//!
//! ```text
//!   near (the gateway)                  far (the ISP)
//!   wan0 10.77.0.1/24 fd77::1/64 ─veth─ isp0 10.77.0.2/24 fd77::2/64
//! ```
#![allow(
    dead_code,
    reason = "each test binary uses its own part of the helpers"
)]

use std::future::Future;
use std::net::IpAddr;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use mpwan_lab::NetNs;
use mpwan_tracker::probe::{Binding, Outcome};
use tokio::time::Instant;

pub const NEAR_V4: &str = "10.77.0.1";
pub const FAR_V4: &str = "10.77.0.2";
pub const NEAR_V6: &str = "fd77::1";
pub const FAR_V6: &str = "fd77::2";

/// How long a test waits for anything to happen. Generous: a healthy lab
/// answers in milliseconds, a loaded machine may take seconds.
pub const DEADLINE: Duration = Duration::from_secs(15);

pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("a literal address")
}

/// Two namespaces joined by one veth pair.
pub struct Lab {
    pub near: NetNs,
    pub far: NetNs,
}

impl Lab {
    pub fn new() -> Lab {
        let near = NetNs::create_unique("near").expect("near namespace");
        let far = NetNs::create_unique("far").expect("far namespace");
        link(&near, "wan0", &far, "isp0");
        address(&near, "wan0", "10.77.0.1/24", "fd77::1/64");
        address(&far, "isp0", "10.77.0.2/24", "fd77::2/64");
        let lab = Lab { near, far };
        lab.wait_reachable(FAR_V4);
        lab.wait_reachable(FAR_V6);
        lab
    }

    /// The near end's binding: device, index and the source of `family`.
    pub fn binding(&self, source: Option<&str>) -> Binding {
        binding(&self.near, "wan0", source)
    }

    /// Runs `f` on a current-thread runtime inside the near namespace.
    pub fn run<F>(&self, f: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        run_in(&self.near, f)
    }

    /// Waits until the system `ping` reaches `target` from the near side:
    /// neighbours resolved, IPv6 addresses routable.
    pub fn wait_reachable(&self, target: &str) {
        wait_reachable(&self.near, target);
    }
}

/// Creates a veth pair: `a` in `ns_a`, `b` in `ns_b`, both up.
pub fn link(ns_a: &NetNs, a: &str, ns_b: &NetNs, b: &str) {
    ns_a.run(&[
        "ip",
        "link",
        "add",
        a,
        "type",
        "veth",
        "peer",
        "name",
        b,
        "netns",
        ns_b.name(),
    ])
    .expect("veth pair");
    ns_a.run(&["ip", "link", "set", a, "up"])
        .expect("near end up");
    ns_b.run(&["ip", "link", "set", b, "up"])
        .expect("far end up");
}

/// Adds an IPv4 and an IPv6 address (without DAD, so it routes at once).
pub fn address(ns: &NetNs, dev: &str, v4: &str, v6: &str) {
    ns.run(&["ip", "addr", "add", v4, "dev", dev])
        .expect("IPv4 address");
    ns.run(&["ip", "addr", "add", v6, "dev", dev, "nodad"])
        .expect("IPv6 address");
}

pub fn ifindex(ns: &NetNs, dev: &str) -> u32 {
    // `ip netns exec` mounts the namespace's own sysfs.
    let out = ns
        .run(&["cat", &format!("/sys/class/net/{dev}/ifindex")])
        .expect("ifindex");
    out.trim().parse().expect("a number")
}

pub fn binding(ns: &NetNs, dev: &str, source: Option<&str>) -> Binding {
    Binding {
        device: dev.to_string(),
        ifindex: Some(ifindex(ns, dev)),
        source: source.map(ip),
        fwmark: None,
    }
}

pub fn run_in<F>(ns: &NetNs, f: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    ns.enter(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        rt.block_on(f)
    })
    .expect("entering the namespace")
}

pub fn wait_reachable(ns: &NetNs, target: &str) {
    let start = Instant::now();
    loop {
        if ns.run(&["ping", "-c1", "-W1", "-q", target]).is_ok() {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{target} not reachable from {}",
            ns.name()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Installs `rules` (nft syntax, one command a line) in `ns`.
pub fn nft(ns: &NetNs, rules: &str) {
    ns.run_with_input(&["nft", "-f", "-"], rules)
        .expect("nft rules");
}

/// Drops every packet arriving in `ns` (a black-holed path).
pub fn blackhole(ns: &NetNs) {
    nft(
        ns,
        "add table inet blackhole\n\
         add chain inet blackhole in { type filter hook input priority 0; }\n\
         add rule inet blackhole in drop\n",
    );
}

pub fn remove_blackhole(ns: &NetNs) {
    nft(ns, "delete table inet blackhole\n");
}

/// The packets a named nft counter in table `inet counters` has seen.
pub fn counter(ns: &NetNs, name: &str) -> u64 {
    let out = ns
        .run(&["nft", "list", "counter", "inet", "counters", name])
        .expect("nft counter");
    let after = out.split("packets ").nth(1).expect("a packets field");
    after
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a packet count")
}

/// Probes with `probe` until it replies, failing after [`DEADLINE`]: for
/// servers that take a moment to start.
pub async fn until_reply<F, Fut>(what: &str, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Outcome>,
{
    let start = Instant::now();
    loop {
        let outcome = probe().await;
        if let Outcome::Reply { rtt } = outcome {
            return rtt;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{what}: no reply within {DEADLINE:?}: {outcome:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A process started in a namespace, killed and reaped when dropped.
pub struct Proc {
    child: Child,
}

impl Proc {
    pub fn spawn(ns: &NetNs, args: &[&str], log: &Path) -> Proc {
        let file = std::fs::File::create(log).expect("log file");
        let child = ns
            .command(args[0])
            .args(&args[1..])
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("starting a process in the namespace");
        Proc { child }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The address every "internet" target has in [`TwoWans`]: held by both
/// ISPs, so only counters tell which way a probe went.
pub const INTERNET_V4: &str = "10.99.0.1";
pub const INTERNET_V6: &str = "fd99::1";

/// A gateway with two WANs, as on OpenWrt: each WAN has its own default
/// route, and the preferred one (lower metric) is wan1.
///
/// ```text
///                 wan0 10.77.0.1 fd77::1 ─veth─ isp_a 10.77.0.2 fd77::2
///   gw (main:                                   lo 10.99.0.1 fd99::1
///   default via wan1 metric 10,
///   default via wan0 metric 20)
///                 wan1 10.78.0.1 fd78::1 ─veth─ isp_b 10.78.0.2 fd78::2
///                                               lo 10.99.0.1 fd99::1
/// ```
///
/// Both ISPs count echo requests (`echo4`, `echo6`) and DNS queries
/// (`dns`) arriving for them; the gateway counts packets leaving with
/// mark 0x77 (`marked`).
pub struct TwoWans {
    pub gw: NetNs,
    pub isp_a: NetNs,
    pub isp_b: NetNs,
}

pub const MARK: u32 = 0x77;

impl TwoWans {
    pub fn new() -> TwoWans {
        let gw = NetNs::create_unique("gw").expect("gateway namespace");
        let isp_a = NetNs::create_unique("ispa").expect("ISP A namespace");
        let isp_b = NetNs::create_unique("ispb").expect("ISP B namespace");
        link(&gw, "wan0", &isp_a, "isp0");
        link(&gw, "wan1", &isp_b, "isp1");
        address(&gw, "wan0", "10.77.0.1/24", "fd77::1/64");
        address(&isp_a, "isp0", "10.77.0.2/24", "fd77::2/64");
        address(&gw, "wan1", "10.78.0.1/24", "fd78::1/64");
        address(&isp_b, "isp1", "10.78.0.2/24", "fd78::2/64");
        for isp in [&isp_a, &isp_b] {
            isp.run(&["ip", "addr", "add", "10.99.0.1/32", "dev", "lo"])
                .expect("target v4");
            isp.run(&["ip", "addr", "add", "fd99::1/128", "dev", "lo"])
                .expect("target v6");
            nft(
                isp,
                "add table inet counters\n\
                 add counter inet counters echo4\n\
                 add counter inet counters echo6\n\
                 add counter inet counters dns\n\
                 add chain inet counters in { type filter hook input priority 0; }\n\
                 add rule inet counters in icmp type echo-request counter name echo4\n\
                 add rule inet counters in icmpv6 type echo-request counter name echo6\n\
                 add rule inet counters in udp dport 53 counter name dns\n",
            );
        }
        for route in [
            [
                "-4",
                "default",
                "via",
                "10.78.0.2",
                "dev",
                "wan1",
                "metric",
                "10",
            ],
            [
                "-4",
                "default",
                "via",
                "10.77.0.2",
                "dev",
                "wan0",
                "metric",
                "20",
            ],
            [
                "-6", "default", "via", "fd78::2", "dev", "wan1", "metric", "10",
            ],
            [
                "-6", "default", "via", "fd77::2", "dev", "wan0", "metric", "20",
            ],
        ] {
            let mut args = vec!["ip", route[0], "route", "add"];
            args.extend_from_slice(&route[1..]);
            gw.run(&args).expect("default route");
        }
        nft(
            &gw,
            "add table inet counters\n\
             add counter inet counters marked\n\
             add chain inet counters out { type filter hook output priority 0; }\n\
             add rule inet counters out meta mark 0x77 counter name marked\n",
        );
        for target in [
            "10.77.0.2",
            "10.78.0.2",
            "fd77::2",
            "fd78::2",
            INTERNET_V4,
            INTERNET_V6,
        ] {
            wait_reachable(&gw, target);
        }
        TwoWans { gw, isp_a, isp_b }
    }

    /// Echo requests, per family, and DNS queries each ISP has counted.
    pub fn counts(&self) -> [(u64, u64, u64); 2] {
        [&self.isp_a, &self.isp_b].map(|ns| {
            (
                counter(ns, "echo4"),
                counter(ns, "echo6"),
                counter(ns, "dns"),
            )
        })
    }
}
