//! The metrics listener for real: the agent runs in the lab's gateway with
//! `metrics_listen` on the gateway's loopback, and the tests scrape it from
//! inside that namespace while WANs fail and recover, checking that the
//! figures follow (and agree with `mpwan status --json`).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::*;
use mpwan_lab::{AgentConfigOptions, BgpOptions, NetNs, Role, Wan, skip_without_netns};

/// Inside the gateway namespace: its loopback is the lab's own.
const LISTEN: &str = "127.0.0.1:9477";

/// Sends `request` to the listener from inside `ns`; the whole answer,
/// or None when nothing listens (yet).
fn http(ns: &NetNs, request: &str) -> Option<String> {
    http_at(ns, LISTEN, request)
}

/// [`http`] to the listener on `addr`.
fn http_at(ns: &NetNs, addr: &str, request: &str) -> Option<String> {
    let addr: SocketAddr = addr.parse().unwrap();
    let request = request.to_string();
    ns.enter(move || -> std::io::Result<String> {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.write_all(request.as_bytes())?;
        let mut out = Vec::new();
        s.read_to_end(&mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    })
    .expect("entering the gateway namespace")
    .ok()
}

/// The body of a successful `GET /metrics`.
fn scrape(ns: &NetNs) -> Option<String> {
    let answer = http(ns, "GET /metrics HTTP/1.1\r\nHost: gw\r\n\r\n")?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert!(
        head.contains("Content-Type: application/openmetrics-text"),
        "{head}"
    );
    Some(body.to_string())
}

/// The value of one series, named with its labels in the order written.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

/// The sum of every `mpwan_probes_total` series of `wan` with `result`.
fn probes(text: &str, wan: &str, result: &str) -> f64 {
    let head = format!("mpwan_probes_total{{wan=\"{wan}\",");
    let tail = format!("result=\"{result}\"}} ");
    text.lines()
        .filter(|l| l.starts_with(&head))
        .filter_map(|l| l.split_once(&tail).map(|(_, v)| v))
        .filter_map(|v| v.parse::<f64>().ok())
        .sum()
}

fn wan_state(wan: &str, state: &str) -> String {
    format!("mpwan_wan_state{{wan=\"{wan}\",state=\"{state}\"}}")
}

fn present(wan: &str, id: u8) -> String {
    format!("mpwan_mptcp_endpoint_present{{wan=\"{wan}\",family=\"ipv4\",id=\"{id}\"}}")
}

fn transitions(wan: &str) -> String {
    format!("mpwan_wan_transitions_total{{wan=\"{wan}\"}}")
}

/// Scrapes until `done` holds; returns that scrape.
fn scrape_until(run: &Run, what: &str, mut done: impl FnMut(&str) -> bool) -> String {
    let ns = run.lab.ns(Role::Gw);
    let mut last = String::new();
    let ok = wait_for(DEADLINE, || {
        if let Some(text) = scrape(ns) {
            last = text;
            done(&last)
        } else {
            false
        }
    });
    assert!(
        ok,
        "timed out waiting for {what}; last scrape:\n{last}\nagent log:\n{}",
        run.agent.log()
    );
    last
}

#[test]
fn metrics_follow_a_wan_through_an_outage_and_agree_with_status() {
    if skip_without_netns("metrics_follow_a_wan_through_an_outage_and_agree_with_status") {
        return;
    }
    let opts = AgentConfigOptions {
        agent: format!("metrics_listen = \"{LISTEN}\"\n"),
        ..AgentConfigOptions::default()
    };
    let run = Run::start(opts, |_| {});
    let up = scrape_until(&run, "both WANs up with their endpoints", |t| {
        value(t, &wan_state("wan1", "up")) == Some(1.0)
            && value(t, &wan_state("wan2", "up")) == Some(1.0)
            && value(t, &present("wan1", 1)) == Some(1.0)
            && value(t, &present("wan2", 2)) == Some(1.0)
    });
    assert_eq!(value(&up, &wan_state("wan2", "down")), Some(0.0), "{up}");
    assert_eq!(value(&up, "mpwan_wan_usable{wan=\"wan2\"}"), Some(1.0));
    assert!(probes(&up, "wan2", "ok") > 0.0, "{up}");
    assert!(
        value(&up, "mpwan_wan_rtt_seconds{wan=\"wan2\"}").is_some_and(|r| r > 0.0 && r < 1.0),
        "{up}"
    );
    let status = run.status();
    let wan2_transitions = wan(&status, "wan2")["transitions"].as_u64().unwrap() as f64;
    assert_eq!(
        value(&up, &transitions("wan2")),
        Some(wan2_transitions),
        "metrics and status --json disagree"
    );
    let failed_before = probes(&up, "wan2", "timeout") + probes(&up, "wan2", "error");
    let wan1_ok_before = probes(&up, "wan1", "ok");

    run.lab.blackhole(Wan::Two).unwrap();
    let down = scrape_until(&run, "wan2 down, its endpoint gone", |t| {
        value(t, &wan_state("wan2", "down")) == Some(1.0)
            && value(t, &present("wan2", 2)) == Some(0.0)
    });
    assert_eq!(value(&down, &wan_state("wan2", "up")), Some(0.0), "{down}");
    assert_eq!(value(&down, "mpwan_wan_usable{wan=\"wan2\"}"), Some(0.0));
    assert!(
        value(&down, &transitions("wan2")).unwrap() > wan2_transitions,
        "transitions did not grow: {down}"
    );
    let failed_after = probes(&down, "wan2", "timeout") + probes(&down, "wan2", "error");
    assert!(
        failed_after >= failed_before + 3.0,
        "failed probes {failed_before} -> {failed_after}: {down}"
    );
    // The other WAN did not notice.
    assert_eq!(value(&down, &wan_state("wan1", "up")), Some(1.0), "{down}");
    assert_eq!(value(&down, &present("wan1", 1)), Some(1.0), "{down}");
    assert!(
        probes(&down, "wan1", "ok") > wan1_ok_before,
        "wan1's probes stopped being answered while only wan2 was black-holed: {down}"
    );

    run.lab.restore(Wan::Two).unwrap();
    scrape_until(&run, "wan2 up again with its endpoint", |t| {
        value(t, &wan_state("wan2", "up")) == Some(1.0)
            && value(t, &present("wan2", 2)) == Some(1.0)
    });
}

#[test]
fn only_the_metrics_path_is_served() {
    if skip_without_netns("only_the_metrics_path_is_served") {
        return;
    }
    let ns = NetNs::create_unique("metrics").unwrap();
    let conf = ConfDir::new(&[]);
    conf.write(
        "mpwan.toml",
        &conf.main_toml(&format!("metrics_listen = \"{LISTEN}\"\n")),
    );
    let agent = Agent::start_ready(Some(&ns), &conf);
    let mut text = None;
    assert!(
        wait_for(DEADLINE, || {
            text = scrape(&ns);
            text.is_some()
        }),
        "no metrics: {}",
        agent.log()
    );
    let text = text.unwrap();
    assert!(text.contains("# TYPE mpwan_hook_runs counter\n"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
    let other = http(&ns, "GET / HTTP/1.1\r\n\r\n").unwrap();
    assert!(other.starts_with("HTTP/1.1 404 "), "{other}");
    let post = http(&ns, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").unwrap();
    assert!(post.starts_with("HTTP/1.1 405 "), "{post}");

    // A new address is taken at the next restart, and the reload says so;
    // until then the old listener serves.
    const MOVED: &str = "127.0.0.1:9478";
    let get = "GET /metrics HTTP/1.1\r\n\r\n";
    conf.write(
        "mpwan.toml",
        &conf.main_toml(&format!("metrics_listen = \"{MOVED}\"\n")),
    );
    let socket = conf.socket();
    let out = mpwan(&["reload", "--socket", socket.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("agent.metrics_listen take effect at the next `mpwan restart`"),
        "{said}"
    );
    assert!(
        scrape(&ns).is_some(),
        "the old listener went: {}",
        agent.log()
    );
    assert!(http_at(&ns, MOVED, get).is_none(), "the new one came early");

    // `mpwan restart` re-executes in place: the new image listens again,
    // on the new address.
    let before = status_json(&socket).unwrap()["instance"].clone();
    let out = mpwan(&["restart", "--socket", socket.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        wait_for(DEADLINE, || {
            status_json(&socket).is_some_and(|s| s["instance"] != before)
                && http_at(&ns, MOVED, get).is_some_and(|a| a.starts_with("HTTP/1.1 200 "))
        }),
        "no metrics on {MOVED} after a restart: {}",
        agent.log()
    );
    assert!(scrape(&ns).is_none(), "the old address still serves");
}

#[test]
fn an_address_in_use_stops_the_agent_with_an_error_naming_the_key() {
    if skip_without_netns("an_address_in_use_stops_the_agent_with_an_error_naming_the_key") {
        return;
    }
    let ns = NetNs::create_unique("metrics").unwrap();
    // A socket keeps the namespace it was made in.
    let taken = ns
        .enter(|| std::net::TcpListener::bind(LISTEN))
        .unwrap()
        .unwrap();
    let conf = ConfDir::new(&[]);
    conf.write(
        "mpwan.toml",
        &conf.main_toml(&format!("metrics_listen = \"{LISTEN}\"\n")),
    );
    let mut agent = Agent::start(Some(&ns), &conf);
    let exit = agent.wait_exit(DEADLINE).expect("the agent exits");
    assert!(!exit.success(), "{exit}");
    let log = agent.log();
    assert!(log.contains("metrics_listen"), "{log}");
    assert!(log.contains(LISTEN), "{log}");
    drop(taken);
}

#[test]
fn bgp_metrics_count_the_session_and_its_updates() {
    if skip_without_netns("bgp_metrics_count_the_session_and_its_updates") {
        return;
    }
    const PREFIX: &str = "198.51.100.0/24";
    const PEER_PORT: u16 = 1790;
    let opts = AgentConfigOptions {
        agent: format!("metrics_listen = \"{LISTEN}\"\n"),
        bgp: Some(BgpOptions {
            listen_port: 0,
            peer_port: PEER_PORT,
        }),
        extra: format!("\n[[bgp.announce]]\nprefix = \"{PREFIX}\"\nwhen = [\"wan2\"]\n"),
        ..AgentConfigOptions::default()
    };
    let run = Run::start(opts, |_| {});
    let _peer = gobgpd_peer(&run.lab, PEER_PORT);
    let neighbor = run.status()["bgp"]["neighbors"][0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let series = |name: &str| format!("{name}{{neighbor=\"{neighbor}\"}}");
    let announced =
        format!("mpwan_bgp_announcement_state{{prefix=\"{PREFIX}\",state=\"announced\"}}");
    let withdrawn =
        format!("mpwan_bgp_announcement_state{{prefix=\"{PREFIX}\",state=\"withdrawn\"}}");
    let up = scrape_until(&run, "the session established, the prefix out", |t| {
        value(
            t,
            &format!("mpwan_bgp_session_state{{neighbor=\"{neighbor}\",state=\"established\"}}"),
        ) == Some(1.0)
            && value(t, &announced) == Some(1.0)
            // The prefix and the End-of-RIB after it.
            && value(t, &series("mpwan_bgp_updates_sent_total")).is_some_and(|v| v >= 2.0)
            && value(t, &series("mpwan_bgp_end_of_rib_sent_total")).is_some_and(|v| v >= 1.0)
    });
    assert_eq!(
        value(&up, &series("mpwan_bgp_established_total")),
        Some(1.0),
        "{up}"
    );
    assert_eq!(
        value(&up, &series("mpwan_bgp_graceful_restart_negotiated")),
        Some(1.0),
        "{up}"
    );
    assert_eq!(
        value(&up, &series("mpwan_bgp_peer_restarts_total")),
        Some(0.0),
        "{up}"
    );
    assert!(
        value(&up, &series("mpwan_bgp_session_uptime_seconds")).is_some(),
        "{up}"
    );
    let sent = value(&up, &series("mpwan_bgp_updates_sent_total")).unwrap();

    // WAN2 dies: the withdrawal is one more UPDATE.
    run.lab.blackhole(Wan::Two).unwrap();
    let down = scrape_until(&run, "the prefix withdrawn", |t| {
        value(t, &withdrawn) == Some(1.0)
            && value(t, &series("mpwan_bgp_updates_sent_total")).is_some_and(|v| v > sent)
    });
    assert_eq!(value(&down, &announced), Some(0.0), "{down}");
    assert_eq!(
        value(&down, &series("mpwan_bgp_established_total")),
        Some(1.0),
        "the session stayed up: {down}"
    );
}
