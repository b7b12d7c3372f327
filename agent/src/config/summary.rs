//! `Config::summary`: what `mpwan check` prints after a clean load, so the
//! operator sees the effective values (defaults included), not just "OK".

use std::fmt::Write as _;

use super::model::duration_str::format_duration as f;
use super::model::{Config, EndpointFlag, OnDown, ProbeConfig, TrackerConfig, When};

impl Config {
    /// A short, human summary of the effective configuration. Never
    /// includes passwords.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail; the results are ignored.
        let _ = writeln!(s, "configuration {}", self.dir.display());
        let a = &self.agent;
        let metrics = a
            .metrics_listen
            .map_or("off".to_string(), |m| m.to_string());
        let _ = writeln!(
            s,
            "agent: control socket {}, state {}, hooks {} (timeout {}), metrics {metrics}",
            a.control_socket.display(),
            a.state_dir.display(),
            a.hooks_dir.display(),
            f(a.hook_timeout)
        );
        let _ = writeln!(s, "tracker defaults: {}", tracker_line(&self.tracker));
        let m = &self.mptcp;
        let _ = writeln!(
            s,
            "mptcp: {}, limits subflows {} add_addr_accepted {}",
            if m.enabled { "enabled" } else { "disabled" },
            m.subflows,
            m.add_addr_accepted
        );
        if self.wans.is_empty() {
            let _ = writeln!(s, "wans: none (wan.d is missing or holds no .toml file)");
        }
        for w in self.wans.values() {
            let fwmark = w
                .fwmark
                .map(|m| format!(", fwmark {m:#x}"))
                .unwrap_or_default();
            let _ = writeln!(s, "wan {}: interface {}{fwmark}", w.name, w.interface);
            for p in &w.probes {
                let _ = writeln!(s, "  probe {}", probe_line(p));
            }
            match &w.mptcp {
                Some(e) => {
                    let flags: Vec<&str> = e.flags.iter().map(|f| flag_name(*f)).collect();
                    let table = e.table.map(|t| format!(", table {t}")).unwrap_or_default();
                    let v6 = e.id6.map(|i| format!(", IPv6 id {i}")).unwrap_or_default();
                    let _ = writeln!(s, "  endpoint id {}{v6} [{}]{table}", e.id, flags.join(","));
                }
                None => {
                    let _ = writeln!(s, "  endpoint: none");
                }
            }
            if w.tracker != self.tracker {
                let _ = writeln!(s, "  tracker: {}", tracker_line(&w.tracker));
            }
        }
        match &self.bgp {
            None => {
                let _ = writeln!(s, "bgp: off");
            }
            Some(b) => {
                let listen = if b.listen_port == 0 {
                    "not listening".to_string()
                } else {
                    format!("port {}", b.listen_port)
                };
                let _ = writeln!(
                    s,
                    "bgp: AS {} router id {}, {listen}, restart time {}, long-lived stale time {}, on SIGTERM {}",
                    b.asn,
                    b.router_id,
                    f(b.restart_time),
                    f(b.long_lived_stale_time),
                    match b.on_sigterm {
                        super::model::OnSigterm::Withdraw => "withdraw",
                        super::model::OnSigterm::Retain => "retain",
                    }
                );
                for n in &b.neighbors {
                    let mut extra = String::new();
                    if n.passive {
                        extra.push_str(", passive");
                    }
                    if n.password.is_some() {
                        extra.push_str(", TCP MD5");
                    }
                    if let Some(h) = n.ttl_security {
                        let _ = write!(extra, ", ttl-security {h}");
                    }
                    let _ = writeln!(
                        s,
                        "  neighbor {} AS {} port {}, hold time {}{extra}",
                        n.address,
                        n.asn,
                        n.port,
                        f(n.hold_time)
                    );
                }
                for an in b.announce.iter() {
                    let when = match &an.when {
                        When::Any => "any WAN up".to_string(),
                        When::All => "all WANs up".to_string(),
                        When::Wans(w) => format!("one of {} up", w.join(", ")),
                    };
                    let on_down = match an.on_down {
                        OnDown::Withdraw => "withdraw".to_string(),
                        OnDown::Degrade => {
                            let g = &an.degrade;
                            let mut parts = Vec::new();
                            if let Some(m) = g.med {
                                parts.push(format!("med {m}"));
                            }
                            if g.prepend > 0 {
                                parts.push(format!("prepend {}", g.prepend));
                            }
                            for (x, y) in &g.communities {
                                parts.push(format!("community {x}:{y}"));
                            }
                            format!("degrade ({})", parts.join(", "))
                        }
                    };
                    let _ = writeln!(
                        s,
                        "  announce {} while {when}, otherwise {on_down}",
                        an.prefix
                    );
                }
            }
        }
        s
    }
}

fn tracker_line(t: &TrackerConfig) -> String {
    format!(
        "interval {} (failing {}, recovering {}), timeout {}, down after {}, up after {}, \
         reliability {}, hold-down {}, latency {}/{}, loss {}%/{}%",
        f(t.interval),
        f(t.failure_interval),
        f(t.recovery_interval),
        f(t.timeout),
        t.down,
        t.up,
        t.reliability,
        f(t.hold_down),
        f(t.failure_latency),
        f(t.recovery_latency),
        t.failure_loss,
        t.recovery_loss
    )
}

fn probe_line(p: &ProbeConfig) -> String {
    match p {
        ProbeConfig::Icmp { targets } => {
            let t: Vec<String> = targets.iter().map(ToString::to_string).collect();
            format!("icmp {}", t.join(", "))
        }
        ProbeConfig::Dns { server, port, name } => {
            let server = std::net::SocketAddr::new(*server, *port);
            format!("dns {name} via {server}")
        }
        ProbeConfig::Http {
            url, expect_status, ..
        } => format!("http {url} expecting {expect_status}"),
    }
}

fn flag_name(flag: EndpointFlag) -> &'static str {
    match flag {
        EndpointFlag::Signal => "signal",
        EndpointFlag::Subflow => "subflow",
        EndpointFlag::Backup => "backup",
        EndpointFlag::Fullmesh => "fullmesh",
    }
}
