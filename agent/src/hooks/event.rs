//! What a hook is told: one WAN transition, as data and as the environment
//! the hook runs with.

use mpwan_tracker::HealthState;
use serde::{Deserialize, Serialize};

/// The `PATH` every hook gets: enough to run the usual tools, nothing from
/// the agent's own environment.
pub const HOOK_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// One event for the hooks; the tracker builds it on a transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookEvent {
    /// What happened: "transition" for a change of health state.
    pub event: String,
    /// The WAN's name (its file name in `wan.d/`).
    pub wan: String,
    /// The network device the WAN uses, e.g. "eth1" or "wwan0".
    pub device: String,
    /// The state after the event.
    pub state: HealthState,
    /// The state before the event, as the tracker saw it.
    pub prev_state: HealthState,
    /// Latest round-trip time in milliseconds; None until a reply came.
    pub rtt_ms: Option<f64>,
    /// Loss in percent over the tracker's window; None until measured.
    pub loss: Option<f64>,
}

impl HookEvent {
    /// The `event` of a health-state change.
    pub const TRANSITION: &'static str = "transition";

    /// A health-state change of `wan` on `device` from `prev_state` to `state`.
    pub fn transition(
        wan: &str,
        device: &str,
        prev_state: HealthState,
        state: HealthState,
        rtt_ms: Option<f64>,
        loss: Option<f64>,
    ) -> HookEvent {
        HookEvent {
            event: HookEvent::TRANSITION.to_string(),
            wan: wan.to_string(),
            device: device.to_string(),
            state,
            prev_state,
            rtt_ms,
            loss,
        }
    }

    /// The mwan3 `ACTION` for this event: "connected" when the WAN becomes
    /// usable (down or init to up or degraded), "disconnected" when it stops
    /// being usable (up, degraded or init to down), and "" otherwise (up <-> degraded,
    /// or back to init). mwan3 has no degraded state; its `connected` means
    /// "traffic may use this link again", which for mpwan is `is_usable()`,
    /// so `mwan3.user` scripts run exactly once per edge, as under mwan3.
    pub fn mwan3_action(&self) -> &'static str {
        if !self.prev_state.is_usable() && self.state.is_usable() {
            "connected"
        } else if self.state == HealthState::Down && self.prev_state != HealthState::Down {
            "disconnected"
        } else {
            ""
        }
    }

    /// Every variable the hook's environment holds, and nothing else: the
    /// `MPWAN_*` ones, mwan3's `ACTION`, `INTERFACE` (mwan3's logical
    /// interface: the WAN's name) and `DEVICE`, and `PATH`. Each is always
    /// set; an unknown RTT or loss is the empty string, so a script can test
    /// `[ -n "$MPWAN_RTT_MS" ]` without tripping `set -u`. Numbers have one
    /// decimal ("12.5", loss in percent "0.0").
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("MPWAN_EVENT", self.event.clone()),
            ("MPWAN_WAN", self.wan.clone()),
            ("MPWAN_DEVICE", self.device.clone()),
            ("MPWAN_STATE", self.state.as_str().to_string()),
            ("MPWAN_PREV_STATE", self.prev_state.as_str().to_string()),
            ("MPWAN_RTT_MS", number(self.rtt_ms)),
            ("MPWAN_LOSS", number(self.loss)),
            ("ACTION", self.mwan3_action().to_string()),
            ("INTERFACE", self.wan.clone()),
            ("DEVICE", self.device.clone()),
            ("PATH", HOOK_PATH.to_string()),
        ]
    }
}

/// One decimal, or "" when unknown or not a finite number.
fn number(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.1}"),
        _ => String::new(),
    }
}
