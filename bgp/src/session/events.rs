//! What a driver tells a session: administrative commands, TCP outcomes,
//! decoded messages and the passing of time. Every input is plain serde
//! data, so a driver can log what it fed in and a field bug can be
//! replayed against the same core.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::wire::{DecodeError, Family, Message};

/// A TCP connection to or from the peer, numbered by the driver. Each new
/// connection needs an id never used before in this session (a counter
/// will do); the session names connections by it in its actions and
/// ignores events about ids it does not know (a connection it already
/// closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// How to end a session (`Event::Stop`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StopKind {
    /// Close without a NOTIFICATION: a peer that helps with Graceful
    /// Restart keeps our routes as stale until we come back (BIRD's
    /// `graceful restart`; the `mpwan restart` path).
    Graceful,
    /// Cease so that the peer withdraws our routes at once: Hard Reset
    /// wrapping Administrative Shutdown when the N bit was negotiated
    /// (RFC 8538), Administrative Shutdown otherwise (`mpwan stop`).
    HardReset,
    /// As `HardReset`, with an RFC 9003 shutdown communication the peer's
    /// operator can read (truncated to 255 bytes).
    Admin(String),
}

/// One input to `Session::handle`.
#[allow(
    clippy::large_enum_variant,
    reason = "a Message is moved in and out once per call; boxing would cost an allocation per UPDATE"
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Bring the session up: connect now (unless passive) and accept the
    /// peer's connections. Ignored while started.
    Start,
    /// Take the session down and keep it down until the next `Start`.
    /// Our Adj-RIB-In is emptied whatever the kind: stopping means this
    /// process no longer uses the peer's routes.
    Stop(StopKind),
    /// A TCP connection to the peer is up: the outbound one asked for by
    /// `Action::Connect` (`outbound: true`), or one the listener accepted
    /// from the peer's address (`outbound: false`).
    TcpConnected {
        /// The driver's number for the new connection.
        conn: ConnId,
        /// Whether we initiated it.
        outbound: bool,
    },
    /// The connect asked for by `Action::Connect` failed.
    TcpFailed,
    /// The connection was closed or reset by the peer, or failed on write.
    TcpClosed(ConnId),
    /// A message arrived, decoded with `Session::codec(conn)`.
    Message(ConnId, Message),
    /// A frame did not decode: the codec's verdict (RFC 7606). A session
    /// reset sends its NOTIFICATION and closes; treat-as-withdraw removes
    /// the listed prefixes from the Adj-RIB-In and keeps the session.
    DecodeError(ConnId, #[serde(with = "decode_error_serde")] DecodeError),
    /// The announcer has written its whole table of `family` on the
    /// established connection: End-of-RIB for it may follow.
    RoutesReady(Family),
    /// Time passed: the driver's timer reached `Session::next_deadline`.
    /// Timers fire only on `Tick`.
    Tick,
}

/// `DecodeError` lives in the codec, which has no serde derive for it.
mod decode_error_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::wire::{DecodeError, Malformed, Notification, Prefix};

    #[derive(Serialize, Deserialize)]
    enum Repr {
        SessionReset(Notification),
        TreatAsWithdraw {
            withdrawn: Vec<Prefix>,
            reason: Malformed,
        },
    }

    pub fn serialize<S: Serializer>(e: &DecodeError, s: S) -> Result<S::Ok, S::Error> {
        match e.clone() {
            DecodeError::SessionReset(n) => Repr::SessionReset(n),
            DecodeError::TreatAsWithdraw { withdrawn, reason } => {
                Repr::TreatAsWithdraw { withdrawn, reason }
            }
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DecodeError, D::Error> {
        Ok(match Repr::deserialize(d)? {
            Repr::SessionReset(n) => DecodeError::SessionReset(n),
            Repr::TreatAsWithdraw { withdrawn, reason } => {
                DecodeError::TreatAsWithdraw { withdrawn, reason }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{ErrorCode, Malformed, Notification, OpenSubcode, Problem};

    #[test]
    fn events_are_replayable_data() {
        let events = [
            Event::Start,
            Event::TcpConnected {
                conn: ConnId(7),
                outbound: false,
            },
            Event::Message(ConnId(7), Message::Keepalive),
            Event::DecodeError(
                ConnId(7),
                DecodeError::SessionReset(Notification::new(
                    ErrorCode::Open(OpenSubcode::BadPeerAs),
                    vec![],
                )),
            ),
            Event::DecodeError(
                ConnId(7),
                DecodeError::TreatAsWithdraw {
                    withdrawn: vec!["10.0.0.0/8".parse().expect("prefix")],
                    reason: Malformed {
                        type_code: 1,
                        problem: Problem::Value,
                    },
                },
            ),
            Event::RoutesReady(Family::IPV6_UNICAST),
            Event::Stop(StopKind::Admin("bye".into())),
            Event::Tick,
        ];
        for e in events {
            let json = serde_json::to_string(&e).expect("serializes");
            let back: Event = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, e, "{json}");
        }
    }
}
