//! The agent's JSON log lines this benchmark reads: a family's health
//! transition (the tracker's `transition`), a WAN's state as the
//! supervisor logs it (`WAN state`, naming the WAN in a field) and an
//! action of the MPTCP reconciler's driver (`MPTCP path manager`, logged at
//! debug just before the action is sent to the kernel). Timestamps are
//! tracing-subscriber's: RFC 3339, UTC, microseconds, read from the same
//! wall clock (CLOCK_REALTIME) as `ip -ts` and this program.
//!
//! A `transition` line names its WAN only through its span (the span's
//! nesting in the JSON log changed once already). The benchmark therefore
//! does not read the WAN from the span: only WAN2 has outages, and a
//! `WAN state` line for any other WAN during one is an error.

use std::time::SystemTime;

use serde_json::Value;

/// A family's transition, as a WAN's task logged it (which WAN is not
/// known: see the module's comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyTransition {
    pub at: SystemTime,
    /// `V4` or `V6`, as the tracker's `Family(..)` scope names it.
    pub family: String,
    pub to: String,
}

/// What the reconciler's driver is about to do to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PmVerb {
    /// ADD_ADDR.
    Add,
    /// DEL_ADDR.
    Delete,
    /// SET_FLAGS.
    SetFlags,
}

/// One endpoint action of the driver (limits and dumps are not parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PmAction {
    pub at: SystemTime,
    pub verb: PmVerb,
    /// The endpoint id the action is for.
    pub id: u8,
}

/// Any line of the agent's JSON log: when, and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub at: SystemTime,
    pub message: String,
    fields: Value,
}

impl LogLine {
    /// `None` for a line that is not one of the agent's JSON records.
    pub fn parse(line: &str) -> Option<LogLine> {
        let mut v: Value = serde_json::from_str(line).ok()?;
        let at = humantime::parse_rfc3339(v.get("timestamp")?.as_str()?).ok()?;
        let fields = v.get_mut("fields")?.take();
        let message = fields.get("message")?.as_str()?.to_string();
        Some(LogLine {
            at,
            message,
            fields,
        })
    }

    /// The line as a family's transition (`scope` `Family(V4)` or
    /// `Family(V6)`), if it is one.
    pub fn family_transition(&self) -> Option<FamilyTransition> {
        if self.message != "transition" {
            return None;
        }
        let scope = self.fields.get("scope")?.as_str()?;
        let family = scope.strip_prefix("Family(")?.strip_suffix(')')?;
        Some(FamilyTransition {
            at: self.at,
            family: family.to_string(),
            to: self.fields.get("to")?.as_str()?.to_string(),
        })
    }

    /// The WAN and its new state, if the line is the supervisor's
    /// `WAN state`.
    pub fn wan_state(&self) -> Option<(String, String)> {
        if self.message != "WAN state" {
            return None;
        }
        Some((
            self.fields.get("wan")?.as_str()?.to_string(),
            self.fields.get("to")?.as_str()?.to_string(),
        ))
    }

    /// The line as one of the driver's endpoint actions, if it is one. The
    /// action is logged with `?action` (its Debug form):
    /// `Delete { op: OpId(7), id: 2 }`,
    /// `Add { op: OpId(9), endpoint: Endpoint { id: 2, addr: 10.2.0.2, .. } }`.
    pub fn pm_action(&self) -> Option<PmAction> {
        if self.message != "MPTCP path manager" {
            return None;
        }
        let text = self.fields.get("action")?.as_str()?;
        let (verb, after) = if let Some(rest) = text.strip_prefix("Add {") {
            (PmVerb::Add, rest.split_once("endpoint: Endpoint { id: ")?.1)
        } else if let Some(rest) = text.strip_prefix("Delete {") {
            (PmVerb::Delete, rest.split_once(" id: ")?.1)
        } else if let Some(rest) = text.strip_prefix("SetFlags {") {
            (PmVerb::SetFlags, rest.split_once(" id: ")?.1)
        } else {
            return None;
        };
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        Some(PmAction {
            at: self.at,
            verb,
            id: digits.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn family_transitions_are_read_with_microseconds() {
        let line = r#"{"timestamp":"2026-11-22T03:41:57.031569Z","level":"INFO","fields":{"message":"transition","scope":"Family(V4)","from":"up","to":"down","reason":"Failed"},"span":{"wan":"wan2","name":"wan"}}"#;
        let l = LogLine::parse(line).unwrap();
        let t = l.family_transition().unwrap();
        assert_eq!((t.family.as_str(), t.to.as_str()), ("V4", "down"));
        let since = t.at.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(since.subsec_micros(), 31_569);
        assert_eq!(l.pm_action(), None);
        assert_eq!(l.wan_state(), None);
        // The WAN as a whole is not a family.
        let wan = r#"{"timestamp":"2026-11-22T03:41:57.031569Z","fields":{"message":"transition","scope":"Wan","to":"down"},"span":{"wan":"wan2"}}"#;
        assert_eq!(LogLine::parse(wan).unwrap().family_transition(), None);
        assert_eq!(LogLine::parse("wan=wan2 transition"), None);
        let state = r#"{"timestamp":"2026-11-22T04:20:09.066414Z","level":"INFO","fields":{"message":"WAN state","wan":"wan1","device":"wan1","from":"up","to":"degraded"},"span":{"wan":"wan2","name":"wan"}}"#;
        assert_eq!(
            LogLine::parse(state).unwrap().wan_state(),
            Some(("wan1".to_string(), "degraded".to_string()))
        );
        assert_eq!(LogLine::parse(r#"{"fields":{"message":"x"}}"#), None);
    }

    #[test]
    fn driver_actions_give_verb_and_endpoint_id() {
        let del = r#"{"timestamp":"2026-11-22T03:41:57.031601Z","level":"DEBUG","fields":{"message":"MPTCP path manager","action":"Delete { op: OpId(17), id: 2 }"}}"#;
        let a = LogLine::parse(del).unwrap().pm_action().unwrap();
        assert_eq!((a.verb, a.id), (PmVerb::Delete, 2));
        let add = r#"{"timestamp":"2026-11-22T03:41:58.5Z","level":"DEBUG","fields":{"message":"MPTCP path manager","action":"Add { op: OpId(18), endpoint: Endpoint { id: 12, addr: 10.2.0.2, port: None, flags: EndpointFlags(2), ifindex: Some(3) } }"}}"#;
        let a = LogLine::parse(add).unwrap().pm_action().unwrap();
        assert_eq!((a.verb, a.id), (PmVerb::Add, 12));
        let flags = r#"{"timestamp":"2026-11-22T03:41:58.5Z","fields":{"message":"MPTCP path manager","action":"SetFlags { op: OpId(3), id: 1, flags: EndpointFlags(6) }"}}"#;
        let a = LogLine::parse(flags).unwrap().pm_action().unwrap();
        assert_eq!((a.verb, a.id), (PmVerb::SetFlags, 1));
        let dump = r#"{"timestamp":"2026-11-22T03:41:58.5Z","fields":{"message":"MPTCP path manager","action":"Dump { op: OpId(4) }"}}"#;
        assert_eq!(LogLine::parse(dump).unwrap().pm_action(), None);
        let bad = r#"{"timestamp":"2026-11-22T03:41:58.5Z","fields":{"message":"MPTCP path manager","action":"Delete { op: OpId(4), id: 999 }"}}"#;
        assert_eq!(LogLine::parse(bad).unwrap().pm_action(), None);
    }
}
