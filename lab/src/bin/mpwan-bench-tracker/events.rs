//! Timestamped events read from text: the agent's JSON log lines (`WAN
//! state` with `wan` and `to`) and `ip -ts monitor link` lines, compared
//! with `mpwan_lab::bench::wall_now`. Everything runs on one machine, so
//! the agent, `ip` and this program read the same clock (CLOCK_REALTIME).

use std::time::SystemTime;

/// A WAN transition the agent logged (its supervisor's `WAN state` line:
/// the moment the status and the hooks learn it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WanTransition {
    pub at: SystemTime,
    pub wan: String,
    pub to: String,
}

/// Reads one line of `mpwan agent --log-format json`; `None` for any other
/// line. The timestamp is tracing-subscriber's: RFC 3339 in UTC with
/// microseconds.
pub fn wan_transition(line: &str) -> Option<WanTransition> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let fields = v.get("fields")?;
    if fields.get("message")?.as_str()? != "WAN state" {
        return None;
    }
    Some(WanTransition {
        at: humantime::parse_rfc3339(v.get("timestamp")?.as_str()?).ok()?,
        wan: fields.get("wan")?.as_str()?.to_string(),
        to: fields.get("to")?.as_str()?.to_string(),
    })
}

/// A family's transition, as the WAN's task logged it (`transition` with
/// `scope` `Family(V4)` or `Family(V6)`, in the WAN's span).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyTransition {
    pub at: SystemTime,
    pub wan: String,
    /// `IPv4` or `IPv6`.
    pub family: &'static str,
    pub to: String,
}

/// Reads one line of `mpwan agent --log-format json`; `None` unless it is
/// a family's transition.
pub fn family_transition(line: &str) -> Option<FamilyTransition> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let fields = v.get("fields")?;
    if fields.get("message")?.as_str()? != "transition" {
        return None;
    }
    let family = match fields.get("scope")?.as_str()? {
        "Family(V4)" => "IPv4",
        "Family(V6)" => "IPv6",
        _ => return None,
    };
    Some(FamilyTransition {
        at: humantime::parse_rfc3339(v.get("timestamp")?.as_str()?).ok()?,
        wan: v.get("span")?.get("wan")?.as_str()?.to_string(),
        family,
        to: fields.get("to")?.as_str()?.to_string(),
    })
}

/// A link change as `ip -ts monitor link` printed it, run with `TZ=UTC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkChange {
    /// When `ip` received the kernel's notice (microseconds).
    pub at: SystemTime,
    pub device: String,
    /// Whether the device is administratively up (`UP` among its flags).
    pub up: bool,
    /// Whether it has its carrier (`LOWER_UP` among its flags).
    pub carrier: bool,
}

/// Reads the first line of one `ip -ts monitor link` message:
/// `[2026-11-22T03:43:03.701574] 6: gw@if12: <BROADCAST,MULTICAST> mtu …`.
/// `None` for continuation lines, deletions and anything else.
pub fn link_change(line: &str) -> Option<LinkChange> {
    let rest = line.strip_prefix('[')?;
    let (stamp, rest) = rest.split_once("] ")?;
    // `-ts` prints local time without a zone; the bench runs `ip` with
    // TZ=UTC, so this is UTC.
    let at = humantime::parse_rfc3339(&format!("{stamp}Z")).ok()?;
    let (index, rest) = rest.split_once(": ")?;
    index.parse::<u32>().ok()?;
    let (name, rest) = rest.split_once(": ")?;
    let device = name.split('@').next()?.to_string();
    let flags = rest.strip_prefix('<')?.split_once('>')?.0;
    let has = |flag: &str| flags.split(',').any(|f| f == flag);
    Some(LinkChange {
        at,
        device,
        up: has("UP"),
        carrier: has("LOWER_UP"),
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn agent_transition_lines_are_read_with_microseconds() {
        let line = r#"{"timestamp":"2026-11-22T03:41:57.031601Z","level":"INFO","fields":{"message":"WAN state","wan":"wan2","device":"wan2","from":"up","to":"down"},"span":{"wan":"wan2","name":"wan"}}"#;
        let t = wan_transition(line).unwrap();
        assert_eq!((t.wan.as_str(), t.to.as_str()), ("wan2", "down"));
        let since = t.at.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(since.subsec_micros(), 31_601);
        assert_eq!(since.as_secs() % 60, 57);
        // The WAN task's own line and anything else are not transitions.
        let task = r#"{"timestamp":"2026-11-22T03:41:57.031569Z","fields":{"message":"transition","scope":"Wan","to":"down"}}"#;
        assert_eq!(wan_transition(task), None);
        assert_eq!(wan_transition("wan=wan2 to=down WAN state"), None);
        assert_eq!(
            wan_transition(r#"{"fields":{"message":"WAN state"}}"#),
            None
        );
    }

    #[test]
    fn monitor_lines_give_device_state_and_time() {
        let down = "[2026-11-22T03:43:03.701574] 6: gw@if12: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default ";
        let c = link_change(down).unwrap();
        assert_eq!((c.device.as_str(), c.up), ("gw", false));
        let a = link_change("[2026-11-22T03:43:03.701574] 7: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536")
            .unwrap();
        assert_eq!((a.device.as_str(), a.up), ("lo", true));
        assert_eq!(c.at, a.at);
        let b = link_change("[2026-11-22T03:43:04.000000] 7: lo: <LOOPBACK,UP> mtu 1").unwrap();
        assert_eq!(
            b.at.duration_since(a.at).unwrap(),
            Duration::from_micros(298_426)
        );
        assert_eq!(
            link_change("    link/ether b2:31:6f:b0:b0:6f brd ff:ff:ff:ff:ff:ff"),
            None
        );
        assert_eq!(
            link_change("[2026-11-22T03:43:03.701574] Deleted 6: gw@if12: <>"),
            None
        );
        assert_eq!(link_change("[garbage] 6: gw: <UP>"), None);
    }
}
