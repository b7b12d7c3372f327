//! Renders a [`Status`] as OpenMetrics text with prometheus-client's
//! encoder: the metrics are read from the same snapshot `mpwan status
//! --json` shows, so the two always agree.
//!
//! prometheus-client's own `Counter` and `Gauge` are atomics: `AtomicU64` on
//! most targets, `AtomicU32` on those without 64-bit atomics (MIPS, ARMv5),
//! where they would wrap early. We use none of them: the counters live as
//! plain `u64`s with their owners (tracker, BGP peer task, hook runner) and
//! arrive here in the status; a [`Collector`] writes them with `ConstCounter`
//! and `ConstGauge`, which hold a plain value.

use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, EncodeMetric,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::status::Status;

/// Every metric's name starts with `mpwan_`.
pub const PREFIX: &str = "mpwan";

/// The `Content-Type` of what [`render`] returns.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One sample's labels: names are fixed, values come from the status and
/// are escaped by the encoder.
pub type Labels = Vec<(&'static str, String)>;

/// The whole exposition of `status`, ending in `# EOF`.
pub fn render(status: Status) -> String {
    let mut registry = Registry::with_prefix(PREFIX);
    registry.register_collector(Box::new(StatusCollector(status)));
    let mut out = String::new();
    // Writing into a String cannot fail; an error could only come from a
    // collector, and ours return only what the encoder gives them.
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
        tracing::warn!(error = %e, "metrics: encoding failed");
    }
    out
}

/// Writes the families of one scrape from its status snapshot.
#[derive(Debug)]
struct StatusCollector(Status);

impl Collector for StatusCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let s = &self.0;
        let e = &mut encoder;
        gauge(
            e,
            "build_info",
            "The running mpwan's version; always 1.",
            &[(vec![("version", s.version.clone())], 1u32)],
        )?;
        super::wan::encode(e, &s.wans)?;
        super::bgp::encode(e, &s.bgp)?;
        let h = &s.hooks;
        counter(
            e,
            "hook_runs",
            "Hook runs by result: ok (exit 0), failed (non-zero exit, signal, \
             could not start), timeout (killed at hook_timeout).",
            &[
                (vec![("result", "ok".to_string())], h.ok),
                (vec![("result", "failed".to_string())], h.failed),
                (vec![("result", "timeout".to_string())], h.timed_out),
            ],
        )?;
        counter(
            e,
            "hook_events_dropped",
            "WAN events dropped unrun because their WAN's hook queue was full.",
            &[(Labels::new(), h.dropped)],
        )
    }
}

/// Writes a gauge family; nothing when it has no samples.
pub fn gauge<V: EncodeGaugeValue + Copy>(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: &[(Labels, V)],
) -> fmt::Result {
    family(e, name, help, MetricType::Gauge, samples, |v, m| {
        ConstGauge::new(v).encode(m)
    })
}

/// Writes a counter family (the encoder adds `_total` to each sample);
/// nothing when it has no samples.
pub fn counter<V: EncodeCounterValue + Copy>(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: &[(Labels, V)],
) -> fmt::Result {
    family(e, name, help, MetricType::Counter, samples, |v, m| {
        ConstCounter::new(v).encode(m)
    })
}

fn family<V: Copy>(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    samples: &[(Labels, V)],
    write: impl Fn(V, prometheus_client::encoding::MetricEncoder) -> fmt::Result,
) -> fmt::Result {
    if samples.is_empty() {
        return Ok(());
    }
    let mut f = e.encode_descriptor(name, help, None, kind)?;
    if let [(labels, value)] = samples
        && labels.is_empty()
    {
        // A family of one unlabelled sample: `name 3`, not `name{} 3`.
        return write(*value, f);
    }
    for (labels, value) in samples {
        write(*value, f.encode_family(labels)?)?;
    }
    Ok(())
}

/// One sample per state of `states`: 1 for `current`, 0 for the others
/// (a state set, as node_exporter's systemd unit states).
pub fn state_set(base: &Labels, states: &[&str], current: &str) -> Vec<(Labels, u32)> {
    states
        .iter()
        .map(|st| {
            let mut l = base.clone();
            l.push(("state", (*st).to_string()));
            (l, u32::from(*st == current))
        })
        .collect()
}

/// 1 for true, 0 for false.
pub fn flag(b: bool) -> u32 {
    u32::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> Status {
        let json = include_str!("testdata/status.json");
        serde_json::from_str(json).expect("the test status parses")
    }

    /// The sample lines (not comments) of `name`.
    fn samples<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| l.split(['{', ' ']).next() == Some(name))
            .collect()
    }

    #[test]
    fn every_family_has_help_and_type_before_its_samples() {
        let text = render(status());
        assert!(text.ends_with("# EOF\n"), "{text}");
        let mut described: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap();
                assert!(name.starts_with("mpwan_"), "{line}");
                assert!(!rest[name.len()..].trim().is_empty(), "no help: {line}");
                described.push((name.to_string(), String::new()));
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                let last = described.last_mut().expect("TYPE after HELP");
                assert_eq!(last.0, name, "TYPE follows its own HELP");
                assert!(kind == "gauge" || kind == "counter", "{line}");
                last.1 = kind.to_string();
            } else if line != "# EOF" {
                let sample = line.split(['{', ' ']).next().unwrap();
                let (name, kind) = described.last().expect("a sample after a descriptor");
                match kind.as_str() {
                    "counter" => assert_eq!(sample, format!("{name}_total"), "{line}"),
                    _ => assert_eq!(sample, name, "{line}"),
                }
            }
        }
        let names: Vec<&str> = described.iter().map(|(n, _)| n.as_str()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            unique.len(),
            names.len(),
            "a family written twice: {names:?}"
        );
    }

    #[test]
    fn wan_states_are_a_state_set_and_counters_carry_their_values() {
        let text = render(status());
        let wan1 = samples(&text, "mpwan_wan_state")
            .into_iter()
            .filter(|l| l.contains("wan=\"wan1\""))
            .collect::<Vec<_>>();
        assert_eq!(wan1.len(), 4, "{wan1:?}");
        assert!(
            wan1.contains(&"mpwan_wan_state{wan=\"wan1\",state=\"up\"} 1"),
            "{wan1:?}"
        );
        assert!(
            wan1.contains(&"mpwan_wan_state{wan=\"wan1\",state=\"down\"} 0"),
            "{wan1:?}"
        );
        assert!(
            samples(&text, "mpwan_wan_transitions_total")
                .contains(&"mpwan_wan_transitions_total{wan=\"wan2\"} 3"),
            "{text}"
        );
        assert!(
            samples(&text, "mpwan_wan_usable").contains(&"mpwan_wan_usable{wan=\"wan2\"} 0"),
            "{text}"
        );
        assert!(
            samples(&text, "mpwan_hook_runs_total")
                .contains(&"mpwan_hook_runs_total{result=\"timeout\"} 2"),
            "{text}"
        );
        assert!(
            samples(&text, "mpwan_bgp_updates_received_total")
                .contains(&"mpwan_bgp_updates_received_total{neighbor=\"192.0.2.254\"} 7"),
            "{text}"
        );
        assert!(
            samples(&text, "mpwan_mptcp_endpoint_present")
                .contains(&"mpwan_mptcp_endpoint_present{wan=\"wan1\",family=\"ipv4\",id=\"1\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn figures_not_yet_measured_are_left_out_not_zero() {
        let text = render(status());
        // wan2 has no RTT yet: no sample rather than a misleading 0.
        let rtt = samples(&text, "mpwan_wan_rtt_seconds");
        assert_eq!(
            rtt,
            vec!["mpwan_wan_rtt_seconds{wan=\"wan1\"} 0.0125"],
            "{text}"
        );
        let loss = samples(&text, "mpwan_wan_loss_ratio");
        assert_eq!(
            loss,
            vec!["mpwan_wan_loss_ratio{wan=\"wan1\"} 0.25"],
            "{text}"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let mut s = status();
        s.wans[0].targets[0].target = "http://x/\"a\\b\"\nc".into();
        let text = render(s);
        let line = samples(&text, "mpwan_probes_total")
            .into_iter()
            .find(|l| l.contains("result=\"ok\"") && l.contains("wan=\"wan1\""))
            .unwrap()
            .to_string();
        assert!(
            line.contains(r#"target="http://x/\"a\\b\"\nc""#),
            "not escaped: {line}"
        );
        assert_eq!(text.lines().filter(|l| l.starts_with("c\"")).count(), 0);
    }

    #[test]
    fn a_status_without_wans_or_bgp_still_renders() {
        let mut s = status();
        s.wans.clear();
        s.bgp = crate::status::BgpStatus::default();
        let text = render(s);
        assert!(text.contains("mpwan_build_info{version="), "{text}");
        assert!(text.contains("mpwan_hook_runs_total"), "{text}");
        assert!(
            text.contains("\nmpwan_hook_events_dropped_total 0\n"),
            "{text}"
        );
        assert!(!text.contains("mpwan_wan_"), "{text}");
        assert!(!text.contains("mpwan_bgp_"), "{text}");
    }
}
