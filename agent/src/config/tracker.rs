//! `[tracker]`: read once in `mpwan.toml` over the defaults, and again in
//! each WAN file over the global result, key by key.

use std::time::Duration;

use super::cursor::Table;
use super::diag::{Diag, Loc};
use super::model::TrackerConfig;
use super::model::duration_str::format_duration;

/// The keys of `[tracker]`, for hints about keys put in the wrong table.
pub(crate) const KEYS: [&str; 12] = [
    "interval",
    "failure_interval",
    "recovery_interval",
    "timeout",
    "down",
    "up",
    "reliability",
    "hold_down",
    "failure_latency",
    "recovery_latency",
    "failure_loss",
    "recovery_loss",
];

type DurationField = fn(&mut TrackerConfig) -> &mut Duration;

/// Duration keys, and whether zero is meaningful for them.
const DURATIONS: [(&str, DurationField, bool); 7] = [
    ("interval", |c| &mut c.interval, false),
    ("failure_interval", |c| &mut c.failure_interval, false),
    ("recovery_interval", |c| &mut c.recovery_interval, false),
    ("timeout", |c| &mut c.timeout, false),
    // Zero: a recovered WAN is used at once.
    ("hold_down", |c| &mut c.hold_down, true),
    ("failure_latency", |c| &mut c.failure_latency, false),
    ("recovery_latency", |c| &mut c.recovery_latency, false),
];

type CountField = fn(&mut TrackerConfig) -> &mut u32;

/// Round counts: zero would mean "decide without looking".
const COUNTS: [(&str, CountField); 3] = [
    ("down", |c| &mut c.down),
    ("up", |c| &mut c.up),
    ("reliability", |c| &mut c.reliability),
];

type PercentField = fn(&mut TrackerConfig) -> &mut u8;

const PERCENTS: [(&str, PercentField); 2] = [
    ("failure_loss", |c| &mut c.failure_loss),
    ("recovery_loss", |c| &mut c.recovery_loss),
];

/// The tracker keys one file set, with their positions, so a check that
/// involves two keys blames the one this file wrote.
#[derive(Default)]
pub(crate) struct TrackerLocs(Vec<(&'static str, Loc)>);

impl TrackerLocs {
    pub(crate) fn get(&self, key: &str) -> Option<&Loc> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, l)| l)
    }
}

/// Reads `t` (a `[tracker]` table) over `base`; values in error keep the
/// base value so later checks still have something sensible.
/// `elsewhere` as in [`Table::finish`].
pub(crate) fn read(
    d: &mut Diag<'_>,
    mut t: Table<'_, '_>,
    base: &TrackerConfig,
    elsewhere: &[(&[&str], &str)],
) -> (TrackerConfig, TrackerLocs) {
    let mut c = base.clone();
    let mut locs = TrackerLocs::default();
    for (key, field, zero_ok) in DURATIONS {
        let Some(item) = t.get(key) else { continue };
        locs.0.push((key, item.loc(d)));
        let Some(v) = item.duration(d) else { continue };
        if v.is_zero() && !zero_ok {
            item.error(d, "must be longer than zero".to_string());
            continue;
        }
        *field(&mut c) = v;
    }
    for (key, field) in COUNTS {
        let Some(item) = t.get(key) else { continue };
        locs.0.push((key, item.loc(d)));
        if let Some(v) = item.int(d, 1, u32::MAX) {
            *field(&mut c) = v;
        }
    }
    for (key, field) in PERCENTS {
        let Some(item) = t.get(key) else { continue };
        locs.0.push((key, item.loc(d)));
        if let Some(v) = item.int(d, 0, 100) {
            *field(&mut c) = v;
        }
    }
    t.finish(d, elsewhere);
    (c, locs)
}

/// Checks between keys of the effective settings. A violation is reported
/// in this file only when this file set one of the keys involved (so a
/// conflict inside `mpwan.toml` is reported once, there, not once per WAN).
/// `inherited` names where the other values come from, for the message.
pub(crate) fn check(
    d: &mut Diag<'_>,
    c: &TrackerConfig,
    locs: &TrackerLocs,
    inherited: Option<&str>,
) {
    let f = format_duration;
    // There is deliberately no rule between `timeout` and the intervals.
    // DESIGN.md's own examples have timeout 800ms with failure_interval
    // 500ms (the defaults) and a WAN with interval 500ms, so "timeout must
    // be shorter than the interval" would refuse the documented
    // configuration. Rounds never overlap instead: the next round starts
    // one interval after the previous one started, but never before it
    // has ended (see etc/mpwan/mpwan.toml).
    let rules: [(&str, &str, bool, String); 2] = [
        (
            "recovery_loss",
            "failure_loss",
            c.recovery_loss <= c.failure_loss,
            format!(
                "recovery_loss ({}%) must not exceed failure_loss ({}%): recovering must be at least as strict as failing",
                c.recovery_loss, c.failure_loss
            ),
        ),
        (
            "recovery_latency",
            "failure_latency",
            c.recovery_latency <= c.failure_latency,
            format!(
                "recovery_latency ({}) must not exceed failure_latency ({}): recovering must be at least as strict as failing",
                f(c.recovery_latency),
                f(c.failure_latency)
            ),
        ),
    ];
    for (a, b, ok, message) in rules {
        if ok {
            continue;
        }
        let (loc, other) = match (locs.get(a), locs.get(b)) {
            (Some(loc), None) => (loc, Some(b)),
            (Some(loc), Some(_)) => (loc, None),
            (None, Some(loc)) => (loc, Some(a)),
            (None, None) => continue,
        };
        let message = match (other, inherited) {
            (Some(o), Some(from)) => format!("{message} ({o} comes from {from})"),
            _ => message,
        };
        d.error_at(loc, message);
    }
}
