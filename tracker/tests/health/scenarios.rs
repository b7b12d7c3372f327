//! Scenario files (holo style): tests/scenarios/*.json each hold
//! parameters, a simulated network, a timeline of changes, and the
//! transitions expected, as data. Run with `MPWAN_BLESS=1` to rewrite the
//! `expect` lists from what the machine does now (then review the diff).
//!
//! Format:
//!
//! ```json
//! {
//!   "description": "what it shows",
//!   "params": { "hold_down": "10s", "down": 3 },
//!   "targets": { "v4": ["20ms", "lost"], "v6": ["30ms/20%"] },
//!   "seed": 1,
//!   "timeline": [ { "at_ms": 10000, "v4": ["lost", "lost"] },
//!                 { "at_ms": 20000, "carrier": false } ],
//!   "until_ms": 60000,
//!   "expect": [ { "at_ms": 2020, "scope": {"family": "v4"}, "from": "init",
//!                 "to": "up", "reason": {...}, "lost": 0, "sent": 6 } ]
//! }
//! ```
//!
//! A target behaves as "20ms" (answers after 20 ms), "lost", "error", or
//! "20ms/20%" (answers after 20 ms, loses 20 % at random, from `seed`).
//! Parameters not named keep their defaults; durations are "500ms", "2s",
//! "1m".

use std::path::{Path, PathBuf};
use std::time::Duration;

use mpwan_tracker::{Family, HealthParams, HealthState, Reason, Scope};
use serde::{Deserialize, Serialize};

use crate::sim::{Link, Sim};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    description: String,
    #[serde(default)]
    params: ParamsOverride,
    targets: Links,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    timeline: Vec<Step>,
    until_ms: u64,
    expect: Vec<Expected>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ParamsOverride {
    interval: Option<String>,
    failure_interval: Option<String>,
    recovery_interval: Option<String>,
    timeout: Option<String>,
    down: Option<u32>,
    up: Option<u32>,
    reliability: Option<u32>,
    hold_down: Option<String>,
    failure_latency: Option<String>,
    recovery_latency: Option<String>,
    failure_loss: Option<u8>,
    recovery_loss: Option<u8>,
    window: Option<u32>,
    hold_down_max: Option<String>,
    stable_period: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Links {
    v4: Vec<String>,
    v6: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    at_ms: u64,
    #[serde(default)]
    v4: Option<Vec<String>>,
    #[serde(default)]
    v6: Option<Vec<String>>,
    #[serde(default)]
    carrier: Option<bool>,
}

/// One transition as a scenario file states it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    at_ms: u64,
    scope: Scope,
    from: HealthState,
    to: HealthState,
    reason: Reason,
    lost: u32,
    sent: u32,
}

fn duration(s: &str) -> Duration {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n.parse().unwrap_or_else(|_| panic!("bad duration {s:?}"));
    match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        _ => panic!("bad duration unit in {s:?}"),
    }
}

fn link(s: &str) -> Link {
    match s {
        "lost" => Link::Lost,
        "error" => Link::Error,
        _ => match s.split_once('/') {
            Some((rtt, percent)) => {
                let percent = percent
                    .strip_suffix('%')
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| panic!("bad loss in {s:?}"));
                Link::Lossy {
                    rtt: duration(rtt),
                    percent,
                }
            }
            None => Link::Reply(duration(s)),
        },
    }
}

fn links(list: &[String]) -> Vec<Link> {
    list.iter().map(|s| link(s)).collect()
}

fn params(o: &ParamsOverride) -> HealthParams {
    let mut p = HealthParams::default();
    let d = |v: &Option<String>, into: &mut Duration| {
        if let Some(v) = v {
            *into = duration(v);
        }
    };
    d(&o.interval, &mut p.interval);
    d(&o.failure_interval, &mut p.failure_interval);
    d(&o.recovery_interval, &mut p.recovery_interval);
    d(&o.timeout, &mut p.timeout);
    d(&o.hold_down, &mut p.hold_down);
    d(&o.failure_latency, &mut p.failure_latency);
    d(&o.recovery_latency, &mut p.recovery_latency);
    d(&o.hold_down_max, &mut p.hold_down_max);
    d(&o.stable_period, &mut p.stable_period);
    p.down = o.down.unwrap_or(p.down);
    p.up = o.up.unwrap_or(p.up);
    p.reliability = o.reliability.unwrap_or(p.reliability);
    p.failure_loss = o.failure_loss.unwrap_or(p.failure_loss);
    p.recovery_loss = o.recovery_loss.unwrap_or(p.recovery_loss);
    p.window = o.window.unwrap_or(p.window);
    p
}

/// Runs a scenario and returns the transitions it produced.
fn run(s: &Scenario) -> Vec<Expected> {
    let mut sim = Sim::new(
        params(&s.params),
        links(&s.targets.v4),
        links(&s.targets.v6),
        s.seed,
    );
    for step in &s.timeline {
        sim.run_until(Duration::from_millis(step.at_ms));
        if let Some(v4) = &step.v4 {
            sim.set(Family::V4, links(v4));
        }
        if let Some(v6) = &step.v6 {
            sim.set(Family::V6, links(v6));
        }
        if let Some(up) = step.carrier {
            sim.carrier(up);
        }
    }
    sim.run_until(Duration::from_millis(s.until_ms));
    sim.transitions()
        .into_iter()
        .map(|(at, t)| Expected {
            at_ms: u64::try_from(at.as_millis()).expect("short scenario"),
            scope: t.scope,
            from: t.from,
            to: t.to,
            reason: t.reason,
            lost: t.quality.lost,
            sent: t.quality.sent,
        })
        .collect()
}

/// `text` with its `expect` list (which must come last) replaced by `got`,
/// one transition per line; the hand-written part is left as it is.
fn blessed(text: &str, got: &[Expected]) -> String {
    let head = text
        .find("\"expect\"")
        .map_or(text, |i| &text[..i])
        .trim_end();
    let lines: Vec<String> = got
        .iter()
        .map(|e| format!("    {}", serde_json::to_string(e).unwrap_or_default()))
        .collect();
    format!("{head}\n  \"expect\": [\n{}\n  ]\n}}\n", lines.join(",\n"))
}

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn scenario_files_replay_as_recorded() {
    let bless = std::env::var_os("MPWAN_BLESS").is_some();
    let files = scenario_files();
    assert!(files.len() >= 4, "scenario files missing: {files:?}");
    let mut failed = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable scenario");
        let scenario: Scenario =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let got = run(&scenario);
        if bless {
            std::fs::write(&path, blessed(&text, &got)).expect("writable scenario");
        } else if got != scenario.expect {
            failed.push(format!(
                "{}: {}\nexpected: {}\ngot:      {}",
                path.display(),
                scenario.description,
                serde_json::to_string_pretty(&scenario.expect).unwrap_or_default(),
                serde_json::to_string_pretty(&got).unwrap_or_default(),
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
