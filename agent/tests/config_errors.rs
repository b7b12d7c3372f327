//! Malformed configurations: every case must be refused with an error that
//! names the file, the line, the dotted key and says what is wrong.

use std::path::{Path, PathBuf};

use mpwan::config::{self, ConfigError, ConfigErrors, Source};

/// A WAN file that is valid on its own: interface eth1, one icmp target.
const WAN1: &str = r#"interface = "eth1"
[[probe]]
method = "icmp"
targets = ["192.0.2.10"]
"#;

/// Another valid WAN, on eth2.
const WAN2: &str = r#"interface = "eth2"
[[probe]]
method = "icmp"
targets = ["192.0.2.20"]
"#;

/// A valid `[bgp]` head to put neighbors and announcements under.
const BGP: &str = "[bgp]\nasn = 65001\nrouter_id = \"192.0.2.1\"\n";

fn load(main: &str, wans: &[(&str, &str)]) -> Result<config::Config, ConfigErrors> {
    let dir = Path::new("/cfg");
    let main = Source {
        path: dir.join("mpwan.toml"),
        text: main.to_string(),
    };
    let wans = wans
        .iter()
        .map(|(file, text)| Source {
            path: dir.join("wan.d").join(file),
            text: text.to_string(),
        })
        .collect();
    config::load_from_sources(dir, main, wans)
}

fn errors_of(main: &str, wans: &[(&str, &str)]) -> Vec<ConfigError> {
    match load(main, wans) {
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    }
}

struct Case {
    name: &'static str,
    main: String,
    wans: Vec<(&'static str, String)>,
    /// Expected error: file name, line (None: the file as a whole), key
    /// (None: no key), and a fragment of the message.
    file: &'static str,
    line: Option<usize>,
    key: Option<&'static str>,
    message: &'static str,
}

fn main_case(
    name: &'static str,
    main: &str,
    line: usize,
    key: &'static str,
    message: &'static str,
) -> Case {
    Case {
        name,
        main: main.to_string(),
        wans: vec![("wan1.toml", WAN1.to_string())],
        file: "mpwan.toml",
        line: Some(line),
        key: Some(key),
        message,
    }
}

fn bgp_case(
    name: &'static str,
    rest: &str,
    line: usize,
    key: &'static str,
    message: &'static str,
) -> Case {
    main_case(name, &format!("{BGP}{rest}"), line, key, message)
}

/// WAN1 with `extra` appended (its lines start at 5).
fn wan_case(
    name: &'static str,
    extra: &str,
    line: Option<usize>,
    key: &'static str,
    message: &'static str,
) -> Case {
    wan_text_case(name, &format!("{WAN1}{extra}"), line, key, message)
}

fn wan_text_case(
    name: &'static str,
    text: &str,
    line: Option<usize>,
    key: &'static str,
    message: &'static str,
) -> Case {
    Case {
        name,
        main: String::new(),
        wans: vec![("wan1.toml", text.to_string())],
        file: "wan1.toml",
        line,
        key: Some(key),
        message,
    }
}

/// A probe entry as the only probe of eth1's WAN (its lines start at 2).
fn probe_case(
    name: &'static str,
    probe: &str,
    line: usize,
    key: &'static str,
    message: &'static str,
) -> Case {
    wan_text_case(
        name,
        &format!("interface = \"eth1\"\n{probe}"),
        Some(line),
        key,
        message,
    )
}

fn cases() -> Vec<Case> {
    let long_password = "x".repeat(81);
    vec![
        // --- unknown keys and suggestions
        main_case(
            "unknown top-level key",
            "colour = \"blue\"\n",
            1,
            "colour",
            "unknown key `colour` at the top level",
        ),
        main_case(
            "unknown key in [tracker]",
            "[tracker]\ninterval = \"2s\"\nwobble = 1\n",
            3,
            "tracker.wobble",
            "unknown key `wobble` in [tracker]",
        ),
        main_case(
            "typo with a suggestion",
            "[tracker]\nintervall = \"2s\"\n",
            2,
            "tracker.intervall",
            "did you mean `interval`?",
        ),
        main_case(
            "tracker key at the top level",
            "\ninterval = \"2s\"\n",
            2,
            "interval",
            "belongs under [tracker]",
        ),
        main_case(
            "unknown key in [agent]",
            "[agent]\nhook_timout = \"5s\"\n",
            2,
            "agent.hook_timout",
            "did you mean `hook_timeout`?",
        ),
        bgp_case(
            "unknown key in [[bgp.neighbor]]",
            "[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\nremote_as = 1\n",
            7,
            "bgp.neighbor[0].remote_as",
            "unknown key `remote_as` in bgp.neighbor[0]",
        ),
        bgp_case(
            "typo in [[bgp.neighbor]]",
            "[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\nholdtime = \"9s\"\n",
            7,
            "bgp.neighbor[0].holdtime",
            "did you mean `hold_time`?",
        ),
        probe_case(
            "unknown key in a [[probe]]",
            "[[probe]]\nmethod = \"icmp\"\ntargets = [\"192.0.2.1\"]\ncount = 3\n",
            5,
            "probe[0].count",
            "unknown key `count` in probe[0]",
        ),
        probe_case(
            "key of another probe method",
            "[[probe]]\nmethod = \"dns\"\nserver = \"192.0.2.53\"\nname = \"example.com\"\ntargets = [\"192.0.2.1\"]\n",
            6,
            "probe[0].targets",
            "for method = \"icmp\" probes",
        ),
        // --- wrong types
        main_case(
            "string for an integer",
            "[tracker]\ndown = \"3\"\n",
            2,
            "tracker.down",
            "expected an integer, found a string (\"3\") (write 3 without quotes)",
        ),
        main_case(
            "integer for a duration",
            "[tracker]\ninterval = 5\n",
            2,
            "tracker.interval",
            "durations are strings with a unit: write \"5s\" or \"5ms\"",
        ),
        main_case(
            "string for a boolean",
            "[mptcp]\nenabled = \"yes\"\n",
            2,
            "mptcp.enabled",
            "expected a boolean",
        ),
        main_case(
            "table expected",
            "tracker = 5\n",
            1,
            "tracker",
            "expected a table, found an integer",
        ),
        // --- durations
        main_case(
            "duration in parsecs",
            "[tracker]\nhold_down = \"5 parsecs\"\n",
            2,
            "tracker.hold_down",
            "invalid duration \"5 parsecs\"",
        ),
        main_case(
            "duration without unit",
            "[tracker]\ninterval = \"10\"\n",
            2,
            "tracker.interval",
            "missing unit",
        ),
        main_case(
            "negative duration",
            "[tracker]\ninterval = \"-1s\"\n",
            2,
            "tracker.interval",
            "cannot be negative",
        ),
        main_case(
            "fractional duration",
            "[tracker]\ntimeout = \"1.5s\"\n",
            2,
            "tracker.timeout",
            "fractions are not accepted",
        ),
        main_case(
            "zero interval",
            "[tracker]\ninterval = \"0s\"\n",
            2,
            "tracker.interval",
            "must be longer than zero",
        ),
        main_case(
            "zero hook timeout",
            "[agent]\nhook_timeout = \"0ms\"\n",
            2,
            "agent.hook_timeout",
            "must be longer than zero",
        ),
        // --- impossible tracker values
        main_case(
            "down = 0",
            "[tracker]\ndown = 0\n",
            2,
            "tracker.down",
            "must be at least 1 (got 0)",
        ),
        main_case(
            "up = 0",
            "[tracker]\n\nup = 0\n",
            3,
            "tracker.up",
            "must be at least 1 (got 0)",
        ),
        main_case(
            "reliability = 0",
            "[tracker]\nreliability = 0\n",
            2,
            "tracker.reliability",
            "must be at least 1 (got 0)",
        ),
        main_case(
            "loss above 100",
            "[tracker]\nfailure_loss = 101\n",
            2,
            "tracker.failure_loss",
            "must be at most 100 (got 101)",
        ),
        main_case(
            "recovery loss above failure loss",
            "[tracker]\nfailure_loss = 20\nrecovery_loss = 30\n",
            3,
            "tracker.recovery_loss",
            "must not exceed failure_loss",
        ),
        main_case(
            "recovery latency above failure latency",
            "[tracker]\nrecovery_latency = \"2s\"\n",
            2,
            "tracker.recovery_latency",
            "must not exceed failure_latency (1s)",
        ),
        wan_case(
            "reliability above the WAN's targets",
            "[tracker]\nreliability = 2\n",
            Some(6),
            "tracker.reliability",
            "reliability is 2 but this WAN has 1 IPv4 probe target",
        ),
        wan_text_case(
            "reliability above one family's targets (families are tracked apart)",
            "interface = \"eth1\"\n[tracker]\nreliability = 2\n[[probe]]\nmethod = \"icmp\"\n\
             targets = [\"192.0.2.10\", \"192.0.2.11\", \"2001:db8::10\"]\n",
            Some(3),
            "tracker.reliability",
            "has 1 IPv6 probe target(s) (IPv4 and IPv6 are tracked separately",
        ),
        Case {
            name: "inherited reliability above the WAN's targets",
            main: "[tracker]\nreliability = 2\n".to_string(),
            wans: vec![("wan1.toml", WAN1.to_string())],
            file: "wan1.toml",
            line: None,
            key: Some("tracker.reliability"),
            message: "comes from mpwan.toml",
        },
        wan_case(
            "WAN override conflicts with the global value",
            "[tracker]\nrecovery_loss = 50\n",
            Some(6),
            "tracker.recovery_loss",
            "(failure_loss comes from mpwan.toml or the defaults)",
        ),
        // --- agent and mptcp
        main_case(
            "metrics_listen not a socket address",
            "[agent]\nmetrics_listen = \"localhost:9477\"\n",
            2,
            "agent.metrics_listen",
            "is not a socket address",
        ),
        main_case(
            "relative control socket",
            "[agent]\ncontrol_socket = \"mpwan.sock\"\n",
            2,
            "agent.control_socket",
            "relative path",
        ),
        main_case(
            "control socket path too long",
            &format!("[agent]\ncontrol_socket = \"/{}\"\n", "s".repeat(120)),
            2,
            "agent.control_socket",
            "a Unix socket path has at most 107",
        ),
        main_case(
            "subflows above the kernel limit",
            "[mptcp]\nsubflows = 9\n",
            2,
            "mptcp.subflows",
            "must be at most 8 (got 9)",
        ),
        main_case(
            "negative limit",
            "[mptcp]\nadd_addr_accepted = -1\n",
            2,
            "mptcp.add_addr_accepted",
            "must be at least 0 (got -1)",
        ),
        // --- bgp
        main_case(
            "bgp without asn",
            "[bgp]\nrouter_id = \"192.0.2.1\"\n",
            1,
            "bgp.asn",
            "missing required key `asn` in [bgp]",
        ),
        main_case(
            "asn 0",
            "[bgp]\nasn = 0\nrouter_id = \"192.0.2.1\"\n",
            2,
            "bgp.asn",
            "must be at least 1 (got 0)",
        ),
        main_case(
            "asn AS_TRANS",
            "[bgp]\nasn = 23456\nrouter_id = \"192.0.2.1\"\n",
            2,
            "bgp.asn",
            "AS_TRANS",
        ),
        main_case(
            "router id 0.0.0.0",
            "[bgp]\nasn = 65001\nrouter_id = \"0.0.0.0\"\n",
            3,
            "bgp.router_id",
            "0.0.0.0 is not a valid BGP identifier",
        ),
        main_case(
            "router id not IPv4",
            "[bgp]\nasn = 65001\nrouter_id = \"2001:db8::1\"\n",
            3,
            "bgp.router_id",
            "is IPv6",
        ),
        bgp_case(
            "restart time too long",
            "restart_time = \"5000s\"\n",
            4,
            "bgp.restart_time",
            "must be at most 4095s",
        ),
        bgp_case(
            "on_sigterm typo",
            "on_sigterm = \"retian\"\n",
            4,
            "bgp.on_sigterm",
            "did you mean \"retain\"?",
        ),
        bgp_case(
            "hold time of 2 seconds",
            "[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\nhold_time = \"2s\"\n",
            7,
            "bgp.neighbor[0].hold_time",
            "must be 0 or at least 3s",
        ),
        bgp_case(
            "hold time not whole seconds",
            "[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\nhold_time = \"1500ms\"\n",
            7,
            "bgp.neighbor[0].hold_time",
            "whole number of seconds",
        ),
        bgp_case(
            "hold time too long",
            "[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\nhold_time = \"65536s\"\n",
            7,
            "bgp.neighbor[0].hold_time",
            "must be at most 65535s",
        ),
        bgp_case(
            "duplicate neighbor",
            "[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\n[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65002\n",
            8,
            "bgp.neighbor[1].address",
            "already configured as bgp.neighbor[0].address (line 5)",
        ),
        bgp_case(
            "password too long",
            &format!(
                "[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\npassword = \"{long_password}\"\n"
            ),
            7,
            "bgp.neighbor[0].password",
            "at most 80",
        ),
        bgp_case(
            "ttl_security 0",
            "[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\nttl_security = 0\n",
            7,
            "bgp.neighbor[0].ttl_security",
            "must be at least 1",
        ),
        bgp_case(
            "ttl_security 255",
            "[[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\nttl_security = 255\n",
            7,
            "bgp.neighbor[0].ttl_security",
            "must be at most 254",
        ),
        bgp_case(
            "neighbor address not IP",
            "[[bgp.neighbor]]\naddress = \"peer.example\"\nasn = 65000\n",
            5,
            "bgp.neighbor[0].address",
            "not an IP address",
        ),
        bgp_case(
            "neighbor as a single table",
            "[bgp.neighbor]\naddress = \"192.0.2.254\"\nasn = 65000\n",
            4,
            "bgp.neighbor",
            "write [[bgp.neighbor]]",
        ),
        bgp_case(
            "prefix with host bits",
            "[[bgp.announce]]\nprefix = \"10.0.0.1/24\"\n",
            5,
            "bgp.announce[0].prefix",
            "host bits set in 10.0.0.1/24: did you mean 10.0.0.0/24?",
        ),
        bgp_case(
            "prefix length too long",
            "[[bgp.announce]]\nprefix = \"10.0.0.0/33\"\n",
            5,
            "bgp.announce[0].prefix",
            "prefix length 33 is too long",
        ),
        bgp_case(
            "unparsable prefix",
            "[[bgp.announce]]\nprefix = \"banana/8\"\n",
            5,
            "bgp.announce[0].prefix",
            "\"banana\" is not an IP address",
        ),
        bgp_case(
            "duplicate prefix",
            "[[bgp.announce]]\nprefix = \"10.0.0.0/24\"\n[[bgp.announce]]\nprefix = \"10.0.0.0/24\"\n",
            7,
            "bgp.announce[1].prefix",
            "already announced by bgp.announce[0].prefix (line 5)",
        ),
        bgp_case(
            "when names a missing WAN",
            "[[bgp.announce]]\nprefix = \"10.0.0.0/24\"\nwhen = [\"wan1\", \"backup\"]\n",
            6,
            "bgp.announce[0].when[1]",
            "no WAN named \"backup\" (known WANs: wan1)",
        ),
        bgp_case(
            "when with a typo",
            "[[bgp.announce]]\nprefix = \"10.0.0.0/24\"\nwhen = [\"wan01\"]\n",
            6,
            "bgp.announce[0].when[0]",
            "did you mean \"wan1\"?",
        ),
        bgp_case(
            "when = []",
            "[[bgp.announce]]\nprefix = \"10.0.0.0/24\"\nwhen = []\n",
            6,
            "bgp.announce[0].when",
            "an empty list never holds",
        ),
        bgp_case(
            "when as one WAN name",
            "[[bgp.announce]]\nprefix = \"10.0.0.0/24\"\nwhen = \"wan1\"\n",
            6,
            "bgp.announce[0].when",
            "write a list: when = [\"wan1\"]",
        ),
        bgp_case(
            "degrade that changes nothing",
            "[[bgp.announce]]\nprefix = \"10.0.0.0/24\"\non_down = \"degrade\"\n",
            6,
            "bgp.announce[0].on_down",
            "degrade is missing",
        ),
        bgp_case(
            "community out of range",
            "[[bgp.announce]]\nprefix = \"10.0.0.0/24\"\non_down = \"degrade\"\ndegrade = { communities = [\"65001:70000\"] }\n",
            7,
            "bgp.announce[0].degrade.communities[0]",
            "not a standard community",
        ),
        bgp_case(
            "prepend above 16",
            "[[bgp.announce]]\nprefix = \"10.0.0.0/24\"\non_down = \"degrade\"\ndegrade = { prepend = 17 }\n",
            7,
            "bgp.announce[0].degrade.prepend",
            "must be at most 16 (got 17)",
        ),
        bgp_case(
            "unknown key in degrade",
            "[[bgp.announce]]\nprefix = \"10.0.0.0/24\"\non_down = \"degrade\"\ndegrade = { med = 1, local_pref = 5 }\n",
            7,
            "bgp.announce[0].degrade.local_pref",
            "unknown key",
        ),
        // --- WAN files
        wan_text_case(
            "missing interface",
            "[[probe]]\nmethod = \"icmp\"\ntargets = [\"192.0.2.1\"]\n",
            None,
            "interface",
            "missing required key `interface`",
        ),
        wan_text_case(
            "interface too long",
            &WAN1.replace("eth1", "averyveryverylongname"),
            Some(1),
            "interface",
            "Linux interface names have at most 15",
        ),
        wan_text_case(
            "interface with a slash",
            &WAN1.replace("eth1", "eth/1"),
            Some(1),
            "interface",
            "contains '/'",
        ),
        wan_text_case(
            "interface ..",
            &WAN1.replace("eth1", ".."),
            Some(1),
            "interface",
            "not a valid interface name",
        ),
        wan_text_case(
            "no probe",
            "interface = \"eth1\"\n",
            None,
            "probe",
            "at least one [[probe]]",
        ),
        wan_text_case(
            "probe as a single table",
            "interface = \"eth1\"\n[probe]\nmethod = \"icmp\"\ntargets = [\"192.0.2.1\"]\n",
            Some(2),
            "probe",
            "write [[probe]]",
        ),
        wan_text_case(
            "fwmark 0",
            &WAN1.replace("[[probe]]", "fwmark = 0\n[[probe]]"),
            Some(2),
            "fwmark",
            "must be at least 1",
        ),
        wan_case(
            "WAN key after a table header",
            "fwmark = 1\n",
            Some(5),
            "probe[0].fwmark",
            "belongs at the top of the file, before the first [table]",
        ),
        probe_case(
            "unknown probe method",
            "[[probe]]\nmethod = \"tcp\"\n",
            3,
            "probe[0].method",
            "unknown value \"tcp\" (one of \"icmp\", \"dns\", \"http\")",
        ),
        probe_case(
            "icmp without targets",
            "[[probe]]\nmethod = \"icmp\"\ntargets = []\n",
            4,
            "probe[0].targets",
            "at least one target",
        ),
        probe_case(
            "icmp target not an IP",
            "[[probe]]\nmethod = \"icmp\"\ntargets = [\"192.0.2.1\", \"example.com\"]\n",
            4,
            "probe[0].targets[1]",
            "\"example.com\" is not an IP address",
        ),
        probe_case(
            "duplicate icmp target",
            "[[probe]]\nmethod = \"icmp\"\ntargets = [\"192.0.2.1\"]\n[[probe]]\nmethod = \"icmp\"\ntargets = [\"192.0.2.1\"]\n",
            7,
            "probe[1].targets[0]",
            "already probed by probe[0].targets[0] (line 4)",
        ),
        probe_case(
            "dns with an empty name",
            "[[probe]]\nmethod = \"dns\"\nserver = \"192.0.2.53\"\nname = \"\"\n",
            5,
            "probe[0].name",
            "must name the domain",
        ),
        probe_case(
            "dns server not an IP",
            "[[probe]]\nmethod = \"dns\"\nserver = \"ns.example\"\nname = \"example.com\"\n",
            4,
            "probe[0].server",
            "not an IP address",
        ),
        probe_case(
            "http url with a host name",
            "[[probe]]\nmethod = \"http\"\nurl = \"http://example.com/\"\n",
            4,
            "probe[0].url",
            "through whichever WAN the main routing table prefers",
        ),
        probe_case(
            "http url with another scheme",
            "[[probe]]\nmethod = \"http\"\nurl = \"ftp://192.0.2.80/\"\n",
            4,
            "probe[0].url",
            "must start with http:// or https://",
        ),
        probe_case(
            "expect_status out of range",
            "[[probe]]\nmethod = \"http\"\nurl = \"http://192.0.2.80/\"\nexpect_status = 600\n",
            5,
            "probe[0].expect_status",
            "must be at most 599",
        ),
        wan_case(
            "endpoint id 0",
            "[mptcp]\nid = 0\n",
            Some(6),
            "mptcp.id",
            "must be at least 1 (got 0)",
        ),
        wan_case(
            "endpoint without id",
            "[mptcp]\nflags = [\"signal\"]\n",
            Some(5),
            "mptcp.id",
            "missing required key `id` in [mptcp]",
        ),
        wan_case(
            "reserved routing table",
            "[mptcp]\nid = 1\ntable = 254\n",
            Some(7),
            "mptcp.table",
            "reserved by the kernel",
        ),
        wan_case(
            "unknown endpoint flag",
            "[mptcp]\nid = 1\nflags = [\"subflow\", \"backpu\"]\n",
            Some(7),
            "mptcp.flags[1]",
            "did you mean \"backup\"?",
        ),
        wan_case(
            "signal with fullmesh",
            "[mptcp]\nid = 1\nflags = [\"signal\", \"fullmesh\"]\n",
            Some(7),
            "mptcp.flags",
            "both signal and fullmesh",
        ),
        wan_case(
            "endpoint nobody uses",
            "[mptcp]\nid = 1\nflags = [\"backup\"]\n",
            Some(7),
            "mptcp.flags",
            "never uses it",
        ),
        wan_case(
            "unknown key in a WAN's [mptcp]",
            "[mptcp]\nid = 1\nsignal = true\n",
            Some(7),
            "mptcp.signal",
            "unknown key `signal` in [mptcp]",
        ),
        wan_case(
            "IPv6 endpoint id equal to the IPv4 one",
            "[mptcp]\nid = 3\nid6 = 3\n",
            Some(7),
            "mptcp.id6",
            "id6 3 equals id",
        ),
        // --- cross-file
        Case {
            name: "an IPv6 endpoint id taken by another WAN's IPv4 endpoint",
            main: String::new(),
            wans: vec![
                ("wan1.toml", format!("{WAN1}[mptcp]\nid = 7\n")),
                ("wan2.toml", format!("{WAN2}[mptcp]\nid = 8\nid6 = 7\n")),
            ],
            file: "wan2.toml",
            line: Some(7),
            key: Some("mptcp.id6"),
            message: "MPTCP endpoint id 7 is already used by WAN wan1 (/cfg/wan.d/wan1.toml)",
        },
        Case {
            name: "duplicate endpoint id across files",
            main: String::new(),
            wans: vec![
                ("wan1.toml", format!("{WAN1}[mptcp]\nid = 7\n")),
                ("wan2.toml", format!("{WAN2}[mptcp]\nid = 7\n")),
            ],
            file: "wan2.toml",
            line: Some(6),
            key: Some("mptcp.id"),
            message: "MPTCP endpoint id 7 is already used by WAN wan1 (/cfg/wan.d/wan1.toml)",
        },
        Case {
            name: "two WANs on one interface",
            main: String::new(),
            wans: vec![
                ("wan1.toml", WAN1.to_string()),
                ("wan2.toml", WAN1.to_string()),
            ],
            file: "wan2.toml",
            line: Some(1),
            key: Some("interface"),
            message: "interface eth1 is already used by WAN wan1",
        },
        Case {
            name: "two WANs with one routing table",
            main: String::new(),
            wans: vec![
                ("wan1.toml", format!("{WAN1}[mptcp]\nid = 1\ntable = 100\n")),
                ("wan2.toml", format!("{WAN2}[mptcp]\nid = 2\ntable = 100\n")),
            ],
            file: "wan2.toml",
            line: Some(7),
            key: Some("mptcp.table"),
            message: "routing table 100 is already used by WAN wan1",
        },
        Case {
            name: "WAN file name that is not a WAN name",
            main: String::new(),
            wans: vec![("wan 1.toml", WAN1.to_string())],
            file: "wan 1.toml",
            line: None,
            key: None,
            message: "may hold only letters, digits",
        },
        // --- syntax
        main_case_syntax("TOML syntax error", "[tracker]\ndown = 3\nup = = 2\n", 3, 6),
        wan_syntax(
            "unquoted string in a WAN file",
            "interface = eth1\n[[probe]]\nmethod = \"icmp\"\ntargets = [\"192.0.2.1\"]\n",
            1,
            13,
        ),
    ]
}

fn main_case_syntax(name: &'static str, main: &str, line: usize, column: usize) -> Case {
    let mut c = main_case(name, main, line, "", "TOML syntax");
    c.key = None;
    c.message = Box::leak(format!("@col{column}").into_boxed_str());
    c
}

fn wan_syntax(name: &'static str, text: &str, line: usize, column: usize) -> Case {
    let mut c = wan_text_case(name, text, Some(line), "", "TOML syntax");
    c.key = None;
    c.message = Box::leak(format!("@col{column}").into_boxed_str());
    c
}

fn matches(e: &ConfigError, c: &Case) -> bool {
    let file_ok = e.file.file_name().is_some_and(|f| f == c.file);
    let key_ok = e.key.as_deref() == c.key;
    // Syntax cases carry the expected column instead of a message fragment.
    let message_ok = match c.message.strip_prefix("@col") {
        Some(col) => {
            e.message.starts_with("TOML syntax")
                && e.column.map(|x| x.to_string()).as_deref() == Some(col)
        }
        None => e.message.contains(c.message),
    };
    file_ok && e.line == c.line && key_ok && message_ok
}

#[test]
fn every_malformed_case_is_reported_precisely() {
    let cases = cases();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let wans: Vec<(&str, &str)> = c.wans.iter().map(|(f, t)| (*f, t.as_str())).collect();
        let errors = errors_of(&c.main, &wans);
        if !errors.iter().any(|e| matches(e, c)) {
            let got: Vec<String> = errors
                .iter()
                .map(|e| format!("    {e} [line {:?}]", e.line))
                .collect();
            failures.push(format!(
                "{}: expected {}:{:?} key {:?} containing {:?}, got:\n{}",
                c.name,
                c.file,
                c.line,
                c.key,
                c.message,
                got.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_valid_bases_of_the_cases_load() {
    // Guards against a case passing only because its base was broken.
    let config = load(BGP, &[("wan1.toml", WAN1), ("wan2.toml", WAN2)]);
    assert!(
        config.is_ok(),
        "{}",
        config.err().map(|e| e.to_string()).unwrap_or_default()
    );
}

#[test]
fn all_errors_of_a_file_are_reported_at_once() {
    let main = r#"colour = "blue"
[tracker]
down = 0
up = "3"
interval = "10"
hold_down = 5
[mptcp]
subflows = 99
[bgp]
asn = 0
router_id = "0.0.0.0"
[[bgp.announce]]
prefix = "10.0.0.1/8"
when = ["nope"]
"#;
    let wan = r#"interface = "far-too-long-name"
fwmark = -3
[[probe]]
method = "icmp"
targets = ["not-an-ip"]
[[probe]]
method = "http"
url = "http://example.com/"
expect_status = 42
[mptcp]
id = 300
flags = ["signal", "fullmesh"]
"#;
    let errors = errors_of(main, &[("wan1.toml", wan)]);
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let in_main = errors
        .iter()
        .filter(|e| e.file.ends_with("mpwan.toml"))
        .count();
    let in_wan = errors
        .iter()
        .filter(|e| e.file.ends_with("wan1.toml"))
        .count();
    assert_eq!(in_main, 10, "{}", text.join("\n"));
    assert_eq!(in_wan, 7, "{}", text.join("\n"));
    // Sorted by file, then line.
    let lines: Vec<usize> = errors
        .iter()
        .filter(|e| e.file.ends_with("mpwan.toml"))
        .filter_map(|e| e.line)
        .collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
    assert!(
        errors.iter().position(|e| e.file.ends_with("wan1.toml"))
            > errors.iter().position(|e| e.file.ends_with("mpwan.toml"))
    );
}

#[test]
fn display_is_file_line_column_key_message() {
    let text = "interface = \"eth1\"\n[[probe]]\nmethod = \"icmp\"\ntargets = [\"192.0.2.1\"]\n\n[tracker]\ndown = 0\n";
    let errors = errors_of("", &[("wan1.toml", text)]);
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec!["/cfg/wan.d/wan1.toml:7:8: tracker.down: must be at least 1 (got 0)".to_string()]
    );
    let all = ConfigErrors(errors).to_string();
    assert_eq!(all.lines().count(), 1);
    let none = ConfigError {
        file: PathBuf::from("x.toml"),
        line: None,
        column: None,
        key: None,
        message: "m".to_string(),
    };
    assert_eq!(none.to_string(), "x.toml: m");
}

#[test]
fn a_broken_wan_file_takes_no_part_in_cross_file_checks() {
    // wan2 has a syntax error and the same interface as wan1: the
    // interface clash is not reported, the syntax error is.
    let broken = format!("up = = 1\n{WAN1}");
    let errors = errors_of("", &[("wan1.toml", WAN1), ("wan2.toml", &broken)]);
    assert!(
        errors.iter().any(|e| e.message.starts_with("TOML syntax")),
        "{errors:?}"
    );
    assert!(
        errors.iter().all(|e| e.file.ends_with("wan2.toml")),
        "{errors:?}"
    );
    assert!(
        !errors.iter().any(|e| e.message.contains("already used")),
        "{errors:?}"
    );
}

#[test]
fn a_wan_with_errors_still_counts_for_when() {
    let main = format!("{BGP}[[bgp.announce]]\nprefix = \"10.0.0.0/8\"\nwhen = [\"wan2\"]\n");
    let bad = "interface = \"\"\n";
    let errors = errors_of(&main, &[("wan2.toml", bad)]);
    assert!(
        errors.iter().all(|e| e.file.ends_with("wan2.toml")),
        "{errors:?}"
    );
}

#[test]
fn more_than_eight_endpoints_are_refused() {
    let texts: Vec<(String, String)> = (1..=9)
        .map(|i| {
            (
                format!("wan{i}.toml"),
                format!("interface = \"eth{i}\"\n[[probe]]\nmethod = \"icmp\"\ntargets = [\"192.0.2.{i}\"]\n[mptcp]\nid = {i}\n"),
            )
        })
        .collect();
    let wans: Vec<(&str, &str)> = texts
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let errors = errors_of("", &wans);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].file.ends_with("wan9.toml"));
    assert!(errors[0].message.contains("at most 8 MPTCP endpoints"));
}

#[test]
fn missing_main_file_is_named() {
    let dir = scratch_dir("missing-main");
    let errors = config::load(&dir).expect_err("no mpwan.toml");
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!(errors.0[0].file, dir.join("mpwan.toml"));
    assert!(errors.0[0].message.contains("not found"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_and_non_utf8_files_are_named() {
    let dir = scratch_dir("unreadable");
    std::fs::write(dir.join("mpwan.toml"), "").expect("write");
    std::fs::create_dir_all(dir.join("wan.d/adir.toml")).expect("mkdir");
    std::fs::write(dir.join("wan.d/latin1.toml"), b"interface = \"\xe9th1\"\n").expect("write");
    let errors = config::load(&dir).expect_err("unreadable");
    let files: Vec<PathBuf> = errors.0.iter().map(|e| e.file.clone()).collect();
    assert_eq!(
        files,
        vec![dir.join("wan.d/adir.toml"), dir.join("wan.d/latin1.toml")],
        "{errors}"
    );
    assert!(errors.0[0].message.starts_with("cannot read"));
    assert!(errors.0[1].message.contains("UTF-8"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_input_makes_the_loader_panic() {
    // Every case above, plus every prefix of the sample files and a few
    // hostile texts: the loader returns, whatever it is given.
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../etc/mpwan");
    let main = std::fs::read_to_string(sample.join("mpwan.toml")).expect("sample");
    let wan = std::fs::read_to_string(sample.join("wan.d/wan1.toml")).expect("sample");
    let mut inputs: Vec<(String, String)> = Vec::new();
    for c in cases() {
        let w = c.wans.first().map(|(_, t)| t.clone()).unwrap_or_default();
        inputs.push((c.main, w));
    }
    for end in (0..=main.len()).filter(|i| main.is_char_boundary(*i)) {
        inputs.push((main[..end].to_string(), WAN1.to_string()));
    }
    for end in (0..=wan.len()).filter(|i| wan.is_char_boundary(*i)) {
        inputs.push((String::new(), wan[..end].to_string()));
    }
    for hostile in [
        "[[[",
        "a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]",
        "\u{0}\u{feff}=\"",
        "tracker.down = 99999999999999999999999999999999999999999",
        "[tracker]\ninterval = \"99999999999999999999h\"\n",
        "[bgp]\nneighbor = [1, \"x\", {}]\nannounce = {}\n",
        "probe = [[], {}]\n",
        "[[probe]]\nmethod = [\"icmp\"]\ntargets = 5\n",
        "interface = \"é\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\"\n",
    ] {
        inputs.push((hostile.to_string(), hostile.to_string()));
    }
    for (m, w) in &inputs {
        let result = std::panic::catch_unwind(|| load(m, &[("wan1.toml", w)]));
        assert!(result.is_ok(), "panicked on main {m:?} wan {w:?}");
    }
}

/// A fresh directory under the system temp directory.
fn scratch_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mpwan-config-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}
