//! What a driver tells the health machine: probe rounds, carrier changes
//! and the passing of time. Every input is plain serde data, so a driver
//! can record the events it fed in and a field bug can be replayed.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An address family. IPv4 and IPv6 of one WAN are tracked separately, so
/// a dead IPv6 path is not hidden by a live IPv4 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// Both families, IPv4 first.
    pub const ALL: [Family; 2] = [Family::V4, Family::V6];

    /// "v4" or "v6", as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "v4",
            Family::V6 => "v6",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One probe target of a WAN, numbered by the driver (for example the
/// index in the WAN's list of targets). The machine only compares ids; the
/// driver maps them back to addresses and URLs for status and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TargetId(pub u32);

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Names one probe round of one family, so that a report arriving after
/// its round was closed (timed out, or cancelled by carrier loss) is
/// recognised and ignored instead of being counted twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoundId(pub u64);

/// Why a probe got no usable answer, for logs; every kind counts as a lost
/// reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// An ICMP error (destination, host or network unreachable) or
    /// EHOSTUNREACH / ENETUNREACH from the socket.
    Unreachable,
    /// The target refused: TCP reset, ICMP port unreachable.
    Refused,
    /// An answer came but was wrong: DNS error code, unexpected HTTP status,
    /// an echo reply that does not match.
    BadAnswer,
    /// The probe could not be sent: no address on the WAN, device gone.
    Send,
    /// Anything else.
    Other,
}

/// What one target did in one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The target answered after `rtt`. A reply slower than the round's
    /// `timeout` counts as lost.
    Reply {
        /// Time from sending the probe to receiving its answer.
        rtt: Duration,
    },
    /// No answer within `timeout`.
    Timeout,
    /// The probe failed at once.
    Error(ErrorKind),
}

/// One target's outcome within a [`RoundReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetResult {
    /// Which target.
    pub target: TargetId,
    /// What it did.
    pub outcome: Outcome,
}

/// The result of one probe round of one family, reported once when every
/// target has answered or the round's `timeout` has passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundReport {
    /// The family the round probed.
    pub family: Family,
    /// The id from the `Action::StartRound` that asked for this round.
    pub round: RoundId,
    /// One entry per target; a target missing here counts as lost, an
    /// unknown target is ignored, and only a target's first entry counts.
    pub results: Vec<TargetResult>,
}

/// An input to [`WanHealth::handle`](crate::health::WanHealth::handle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Nothing happened but time: run the timers that are due.
    Tick,
    /// A probe round finished.
    Round(RoundReport),
    /// The WAN device's carrier, from rtnetlink: `false` makes every family
    /// down at once; `true` lets rounds run again.
    Carrier(bool),
}
