//! Decode and encode errors. A decode error says what the RFCs require of
//! the session (RFC 4271 6, RFC 7606 2): close it with a given NOTIFICATION,
//! or treat the UPDATE's routes as withdrawn. Attributes that are merely
//! discarded are not errors: they are noted in `Update::discarded`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::family::Family;
use super::notification::Notification;
use super::prefix::Prefix;

/// What a received message requires when it is not acceptable as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Send this NOTIFICATION and close the session ("session reset").
    #[error("session reset: {0}")]
    SessionReset(Notification),
    /// RFC 7606 "treat-as-withdraw": keep the session, withdraw every
    /// prefix the UPDATE carried (NLRI, withdrawn routes, MP_REACH and
    /// MP_UNREACH of IPv4/IPv6 unicast).
    #[error("treat as withdraw ({} prefixes): {reason}", withdrawn.len())]
    TreatAsWithdraw {
        /// Every IPv4/IPv6 unicast prefix the UPDATE announced or withdrew.
        withdrawn: Vec<Prefix>,
        /// The first attribute error that required it.
        reason: Malformed,
    },
}

impl DecodeError {
    /// The NOTIFICATION to send, for a session reset.
    pub fn notification(&self) -> Option<&Notification> {
        match self {
            DecodeError::SessionReset(n) => Some(n),
            DecodeError::TreatAsWithdraw { .. } => None,
        }
    }
}

/// One path attribute found wrong (or missing) while decoding an UPDATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Malformed {
    /// The attribute type code.
    pub type_code: u8,
    /// What was wrong with it.
    pub problem: Problem,
}

/// What was wrong with an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
pub enum Problem {
    /// The Optional or Transitive flag conflicts with the type (RFC 7606 3.c).
    #[error("flags {0:#04x} conflict with the attribute type")]
    Flags(u8),
    /// The length is not what the type requires.
    #[error("bad length {0}")]
    Length(u16),
    /// The value is undefined (for example ORIGIN 3).
    #[error("undefined value")]
    Value,
    /// An AS_PATH segment is empty, of unknown type or overruns.
    #[error("malformed path segment")]
    Segment,
    /// The next hop is not a usable host address.
    #[error("invalid next hop")]
    NextHop,
    /// A later copy of an attribute already seen (RFC 7606 3.g).
    #[error("duplicate")]
    Duplicate,
    /// A mandatory well-known attribute is absent (RFC 7606 3.d).
    #[error("missing")]
    Missing,
    /// AS4_PATH or AS4_AGGREGATOR from a peer that negotiated 4-octet AS
    /// numbers, which must ignore them (RFC 6793 4.1).
    #[error("not expected between 4-octet AS speakers")]
    Unexpected,
    /// The attribute list ends inside an attribute (RFC 7606 4).
    #[error("overruns the attribute list")]
    Overrun,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attribute {}: {}", self.type_code, self.problem)
    }
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The message would exceed the negotiated maximum size.
    #[error("message of {len} bytes exceeds {max}")]
    TooLong {
        /// The size it would have.
        len: usize,
        /// The limit (4096, or 65535 with extended messages).
        max: usize,
    },
    /// One attribute value exceeds 65535 bytes.
    #[error("attribute {type_code} of {len} bytes is too long")]
    AttributeTooLong {
        /// The attribute type code.
        type_code: u8,
        /// Its value length.
        len: usize,
    },
    /// An AS_SET or confederation set of more than 255 ASNs (sequences are
    /// split, sets cannot be).
    #[error("AS set of {0} ASNs exceeds 255")]
    AsSetTooLong(usize),
    /// A prefix in a field of another family (IPv6 in the IPv4 NLRI field,
    /// or a prefix unlike the MP_REACH family or next hop).
    #[error("prefix {prefix} does not belong to {family}")]
    FamilyMismatch {
        /// The family of the field.
        family: Family,
        /// The prefix that does not fit it.
        prefix: Prefix,
    },
    /// A capability value exceeds 255 bytes.
    #[error("capability {code} of {len} bytes is too long")]
    CapabilityTooLong {
        /// The capability code.
        code: u8,
        /// Its value length.
        len: usize,
    },
    /// The packer announces IPv4 and IPv6 unicast only.
    #[error("the packer needs an IPv4 or IPv6 next hop")]
    UnsupportedNextHop,
    /// A single prefix with the shared attributes does not fit one message.
    #[error("attributes of {0} bytes leave no room for a prefix")]
    NoRoom(usize),
}
