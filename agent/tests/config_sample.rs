//! The sample configuration in etc/mpwan loads and documents the defaults;
//! a minimal configuration gets every default of DESIGN.md.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mpwan::config::{
    self, AgentConfig, Config, Degrade, EndpointFlag, MptcpConfig, OnDown, OnSigterm, ProbeConfig,
    Source, TrackerConfig, When,
};

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../etc/mpwan")
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// DESIGN.md's defaults, written out here rather than taken from the
/// loader, so a changed default in the code fails this test.
fn design_tracker() -> TrackerConfig {
    TrackerConfig {
        interval: secs(1),
        failure_interval: ms(500),
        recovery_interval: secs(1),
        timeout: ms(800),
        down: 3,
        up: 3,
        reliability: 1,
        hold_down: secs(10),
        failure_latency: ms(1000),
        recovery_latency: ms(500),
        failure_loss: 40,
        recovery_loss: 10,
    }
}

fn design_agent() -> AgentConfig {
    AgentConfig {
        control_socket: PathBuf::from("/run/mpwan/mpwan.sock"),
        state_dir: PathBuf::from("/run/mpwan"),
        hooks_dir: PathBuf::from("/etc/mpwan/hooks.d"),
        hook_timeout: secs(10),
        metrics_listen: None,
        carrier_poll: Duration::from_millis(40),
    }
}

fn design_mptcp() -> MptcpConfig {
    MptcpConfig {
        enabled: true,
        subflows: 8,
        add_addr_accepted: 8,
    }
}

fn load_texts(main: &str, wans: &[(&str, &str)]) -> Config {
    let dir = Path::new("/cfg");
    let main = Source {
        path: dir.join("mpwan.toml"),
        text: main.to_string(),
    };
    let wans = wans
        .iter()
        .map(|(f, t)| Source {
            path: dir.join("wan.d").join(f),
            text: t.to_string(),
        })
        .collect();
    match config::load_from_sources(dir, main, wans) {
        Ok(c) => c,
        Err(e) => panic!("expected to load, got:\n{e}"),
    }
}

#[test]
fn the_sample_loads_with_the_documented_defaults() {
    let c = match config::load(&sample_dir()) {
        Ok(c) => c,
        Err(e) => panic!("the sample must load:\n{e}"),
    };
    assert_eq!(c.dir, sample_dir());
    assert_eq!(c.agent, design_agent());
    assert_eq!(c.tracker, design_tracker());
    assert_eq!(c.mptcp, design_mptcp());

    let bgp = c.bgp.as_ref().expect("the sample has [bgp]");
    assert_eq!(bgp.asn, 65001);
    assert_eq!(bgp.router_id, Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(bgp.listen_port, 179);
    assert_eq!(bgp.restart_time, secs(120));
    assert_eq!(bgp.long_lived_stale_time, secs(3600));
    assert_eq!(bgp.on_sigterm, OnSigterm::Withdraw);
    assert_eq!(bgp.neighbors.len(), 1);
    let n = &bgp.neighbors[0];
    assert_eq!(n.address, IpAddr::from([192, 0, 2, 254]));
    assert_eq!(
        (n.asn, n.port, n.passive, n.hold_time),
        (65000, 179, false, secs(90))
    );
    assert_eq!((n.password.as_deref(), n.ttl_security), (None, None));
    assert_eq!(bgp.announce.len(), 1);
    let a = &bgp.announce[0];
    assert_eq!(a.prefix.to_string(), "198.51.100.0/24");
    assert_eq!(
        (&a.when, a.on_down, &a.degrade),
        (&When::Any, OnDown::Withdraw, &Degrade::default())
    );

    assert_eq!(c.wans.keys().collect::<Vec<_>>(), ["wan1", "wan2"]);
    let w1 = &c.wans["wan1"];
    assert_eq!(
        (w1.name.as_str(), w1.interface.as_str(), w1.fwmark),
        ("wan1", "eth1", None)
    );
    let mut expected = design_tracker();
    expected.interval = ms(500);
    expected.reliability = 2;
    assert_eq!(
        w1.tracker, expected,
        "wan1 overrides interval and reliability only"
    );
    assert_eq!(
        w1.probes,
        vec![
            ProbeConfig::Icmp {
                targets: vec![
                    "192.0.2.10".parse().unwrap(),
                    "192.0.2.11".parse().unwrap(),
                    "2001:db8::10".parse().unwrap(),
                    "2001:db8::11".parse().unwrap()
                ]
            },
            ProbeConfig::Dns {
                server: "192.0.2.53".parse().unwrap(),
                port: 53,
                name: "example.com".into()
            },
            ProbeConfig::Http {
                url: "http://192.0.2.80/generate_204".into(),
                addr: "192.0.2.80".parse().unwrap(),
                expect_status: 204
            },
        ]
    );
    let e1 = w1.mptcp.as_ref().expect("wan1 has an endpoint");
    assert_eq!(
        (e1.id, e1.id6, e1.flags.as_slice(), e1.table),
        (1, Some(11), &[EndpointFlag::Subflow][..], Some(101))
    );

    let w2 = &c.wans["wan2"];
    assert_eq!((w2.interface.as_str(), w2.fwmark), ("eth2", Some(0x102)));
    assert_eq!(w2.tracker.timeout, ms(1500));
    assert_eq!(w2.tracker.down, 3, "not overridden: the global value");
    assert!(w2.probes.contains(&ProbeConfig::Http {
        url: "http://[2001:db8:1::80]:8080/health".into(),
        addr: "2001:db8:1::80".parse().unwrap(),
        expect_status: 200
    }));
    let e2 = w2.mptcp.as_ref().expect("wan2 has an endpoint");
    assert_eq!((e2.id, e2.id6, e2.table), (2, None, Some(102)));
    assert_eq!(e2.flags, vec![EndpointFlag::Subflow, EndpointFlag::Backup]);
}

#[test]
fn the_commented_optional_keys_of_the_sample_are_valid_too() {
    // Uncomment every "# key = value" line: what the sample shows as an
    // option must load when the operator turns it on.
    let uncomment = |text: &str| {
        text.lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if is_assignment(rest) => rest.to_string(),
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let read = |p: &str| std::fs::read_to_string(sample_dir().join(p)).expect("sample file");
    let main = uncomment(&read("mpwan.toml"));
    let wan1 = uncomment(&read("wan.d/wan1.toml"));
    let wan2 = read("wan.d/wan2.toml");
    let c = load_texts(&main, &[("wan1.toml", &wan1), ("wan2.toml", &wan2)]);
    assert_eq!(
        c.agent.metrics_listen,
        Some("127.0.0.1:9477".parse().unwrap())
    );
    let bgp = c.bgp.expect("bgp");
    assert_eq!(bgp.neighbors[0].password.as_deref(), Some("secret"));
    assert_eq!(bgp.neighbors[0].ttl_security, Some(1));
    assert_eq!(
        bgp.announce[0].degrade,
        Degrade {
            med: Some(1000),
            prepend: 3,
            communities: vec![(65001, 666)]
        }
    );
    assert_eq!(c.wans["wan1"].fwmark, Some(0x101));
}

/// "key = value" with a lower-case key.
fn is_assignment(line: &str) -> bool {
    line.split_once(" = ").is_some_and(|(k, _)| {
        !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    })
}

#[test]
fn a_minimal_configuration_gets_every_default() {
    let main = r#"
[bgp]
asn = 65001
router_id = "192.0.2.1"
[[bgp.neighbor]]
address = "2001:db8::1"
asn = 65000
[[bgp.announce]]
prefix = "2001:db8:100::/48"
"#;
    let wan = r#"
interface = "wan"
[[probe]]
method = "dns"
server = "192.0.2.53"
name = "example.com"
[[probe]]
method = "http"
url = "https://192.0.2.80/"
[mptcp]
id = 9
"#;
    let c = load_texts(main, &[("lte.toml", wan)]);
    assert_eq!(c.agent, design_agent());
    assert_eq!(c.tracker, design_tracker());
    assert_eq!(c.mptcp, design_mptcp());
    let bgp = c.bgp.expect("bgp");
    assert_eq!(
        (bgp.listen_port, bgp.restart_time, bgp.long_lived_stale_time),
        (179, secs(120), secs(3600))
    );
    assert_eq!(bgp.on_sigterm, OnSigterm::Withdraw);
    let n = &bgp.neighbors[0];
    assert_eq!(
        (
            n.port,
            n.passive,
            n.hold_time,
            n.password.clone(),
            n.ttl_security
        ),
        (179, false, secs(90), None, None)
    );
    let a = &bgp.announce[0];
    assert_eq!(
        (&a.when, a.on_down, &a.degrade),
        (&When::Any, OnDown::Withdraw, &Degrade::default())
    );
    let w = &c.wans["lte"];
    assert_eq!((w.fwmark, &w.tracker), (None, &design_tracker()));
    assert_eq!(
        w.probes,
        vec![
            ProbeConfig::Dns {
                server: "192.0.2.53".parse().unwrap(),
                port: 53,
                name: "example.com".into()
            },
            ProbeConfig::Http {
                url: "https://192.0.2.80/".into(),
                addr: "192.0.2.80".parse().unwrap(),
                expect_status: 200
            },
        ]
    );
    let e = w.mptcp.as_ref().expect("endpoint");
    assert_eq!(
        (e.id, e.flags.as_slice(), e.table),
        (9, &[EndpointFlag::Subflow][..], None)
    );
}

#[test]
fn an_empty_main_file_and_no_wans_is_valid() {
    let c = load_texts("", &[]);
    assert_eq!((c.bgp.is_none(), c.wans.is_empty()), (true, true));
    assert_eq!(c.tracker, design_tracker());
    assert!(c.summary().contains("wans: none"), "{}", c.summary());
    assert!(c.summary().contains("bgp: off"));
}

#[test]
fn the_design_example_loads() {
    // The key listing of DESIGN.md, "The keys users and tests rely on".
    let main = r#"
[agent]
control_socket = "/run/mpwan/mpwan.sock"
state_dir = "/run/mpwan"
hooks_dir = "/etc/mpwan/hooks.d"
hook_timeout = "10s"
metrics_listen = "127.0.0.1:9477"      # optional

[tracker]                              # defaults for every WAN
interval = "1s"
failure_interval = "500ms"
recovery_interval = "1s"
timeout = "800ms"
down = 3
up = 3
reliability = 1
hold_down = "10s"
failure_latency = "1000ms"
recovery_latency = "500ms"
failure_loss = 40                      # percent
recovery_loss = 10

[mptcp]
enabled = true
subflows = 8
add_addr_accepted = 8

[bgp]
asn = 65001
router_id = "192.0.2.1"
listen_port = 179                      # 0: do not listen
restart_time = "120s"
long_lived_stale_time = "1h"
on_sigterm = "withdraw"

[[bgp.neighbor]]
address = "192.0.2.254"
asn = 65000
port = 179
passive = false
hold_time = "90s"
password = "..."                       # TCP MD5, optional
ttl_security = 1                       # GTSM hops, optional

[[bgp.announce]]
prefix = "0.0.0.0/0"
when = "any"                           # "any" | "all" | ["wan1", "wan2"]
on_down = "withdraw"                   # or "degrade"
degrade = { med = 1000, prepend = 3, communities = ["65001:666"] }
"#;
    let wan1 = r#"
interface = "eth1"
[tracker]                              # any [tracker] key, for this WAN
interval = "500ms"
[[probe]]
method = "icmp"
targets = ["192.0.2.10", "2001:db8::10"]
[[probe]]
method = "dns"
server = "192.0.2.53"
name = "example.com"
[[probe]]
method = "http"
url = "http://192.0.2.80/generate_204"
expect_status = 204
[mptcp]
id = 1
flags = ["subflow"]
table = 101                            # per-WAN policy routing, optional
"#;
    let c = load_texts(main, &[("wan1.toml", wan1)]);
    assert_eq!(c.tracker, design_tracker());
    assert_eq!(c.wans["wan1"].tracker.interval, ms(500));
    assert_eq!(c.wans["wan1"].tracker.timeout, ms(800));
}

#[test]
fn the_summary_shows_the_effective_configuration_without_secrets() {
    let main = "[bgp]\nasn = 65001\nrouter_id = \"192.0.2.1\"\n[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\npassword = \"hunter2\"\n[[bgp.announce]]\nprefix = \"10.0.0.0/8\"\nwhen = [\"wan1\"]\non_down = \"degrade\"\ndegrade = { prepend = 2 }\n";
    let wan = "interface = \"eth1\"\n[[probe]]\nmethod = \"icmp\"\ntargets = [\"192.0.2.10\"]\n[mptcp]\nid = 3\nflags = [\"signal\", \"backup\"]\n";
    let s = load_texts(main, &[("wan1.toml", wan)]).summary();
    for expected in [
        "control socket /run/mpwan/mpwan.sock",
        "interval 1s (failing 500ms, recovering 1s), timeout 800ms",
        "wan wan1: interface eth1",
        "probe icmp 192.0.2.10",
        "endpoint id 3 [signal,backup]",
        "bgp: AS 65001 router id 192.0.2.1",
        "neighbor 192.0.2.254 AS 65000 port 179, hold time 90s, TCP MD5",
        "announce 10.0.0.0/8 while one of wan1 up, otherwise degrade (prepend 2)",
    ] {
        assert!(s.contains(expected), "summary lacks {expected:?}:\n{s}");
    }
    assert!(
        !s.contains("hunter2"),
        "the summary must not show passwords:\n{s}"
    );
}

#[test]
fn load_ignores_other_files_and_accepts_a_missing_wan_dir() {
    let dir = std::env::temp_dir().join(format!("mpwan-config-sample-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("mpwan.toml"), "").expect("write");
    let c = config::load(&dir).expect("no wan.d is fine");
    assert!(c.wans.is_empty());

    std::fs::create_dir_all(dir.join("wan.d")).expect("mkdir");
    let wan = std::fs::read_to_string(sample_dir().join("wan.d/wan1.toml")).expect("sample");
    std::fs::write(dir.join("wan.d/uplink.toml"), wan).expect("write");
    std::fs::write(dir.join("wan.d/README"), "not a WAN").expect("write");
    std::fs::write(dir.join("wan.d/uplink.toml.orig"), "garbage = = =").expect("write");
    let c = config::load(&dir).expect("other files are ignored");
    assert_eq!(c.wans.keys().collect::<Vec<_>>(), ["uplink"]);
    let _ = std::fs::remove_dir_all(&dir);
}
