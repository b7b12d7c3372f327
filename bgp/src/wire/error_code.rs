//! NOTIFICATION error codes and subcodes: RFC 4271 6, FSM errors
//! (RFC 6608), Cease subcodes (RFC 4486, 8538, 9384), ROUTE-REFRESH errors
//! (RFC 7313). Every (code, subcode) pair maps to a value and back, unknown
//! ones included, so a received NOTIFICATION is logged and re-encoded
//! exactly.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Defines a subcode enum with an `Other(u8)` catch-all and lossless u8
/// conversions both ways.
macro_rules! subcodes {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $value:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* $variant,)*
            /// A subcode this codec has no name for.
            Other(u8),
        }

        impl From<u8> for $name {
            fn from(v: u8) -> $name {
                match v {
                    $($value => $name::$variant,)*
                    other => $name::Other(other),
                }
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                match v {
                    $($name::$variant => $value,)*
                    $name::Other(other) => other,
                }
            }
        }
    };
}

subcodes! {
    /// Message Header Error subcodes (code 1).
    HeaderSubcode {
        /// No specific subcode.
        Unspecific = 0,
        /// The marker is not all ones.
        ConnectionNotSynchronized = 1,
        /// The length field is out of range for the type; data: the length.
        BadMessageLength = 2,
        /// Unknown message type; data: the type octet.
        BadMessageType = 3,
    }
}

subcodes! {
    /// OPEN Message Error subcodes (code 2).
    OpenSubcode {
        /// No specific subcode.
        Unspecific = 0,
        /// Version is not 4; data: the largest supported version (2 octets).
        UnsupportedVersionNumber = 1,
        /// The peer's AS is not the configured one.
        BadPeerAs = 2,
        /// The BGP identifier is zero or otherwise unacceptable.
        BadBgpIdentifier = 3,
        /// An optional parameter other than capabilities.
        UnsupportedOptionalParameter = 4,
        /// Hold time 1 or 2 seconds, or refused by local policy.
        UnacceptableHoldTime = 6,
        /// A capability the speaker requires is missing (RFC 5492).
        UnsupportedCapability = 7,
        /// BGP role mismatch (RFC 9234).
        RoleMismatch = 11,
    }
}

subcodes! {
    /// UPDATE Message Error subcodes (code 3).
    UpdateSubcode {
        /// No specific subcode.
        Unspecific = 0,
        /// Lengths of the fields or attributes do not add up.
        MalformedAttributeList = 1,
        /// A well-known attribute this speaker does not know.
        UnrecognizedWellKnownAttribute = 2,
        /// A mandatory well-known attribute is missing.
        MissingWellKnownAttribute = 3,
        /// Attribute flags conflict with the attribute type.
        AttributeFlagsError = 4,
        /// Attribute length conflicts with the attribute type.
        AttributeLengthError = 5,
        /// ORIGIN value undefined.
        InvalidOriginAttribute = 6,
        /// NEXT_HOP syntactically invalid.
        InvalidNextHopAttribute = 8,
        /// An optional attribute is malformed (used for MP_REACH/MP_UNREACH).
        OptionalAttributeError = 9,
        /// NLRI or withdrawn routes syntactically incorrect.
        InvalidNetworkField = 10,
        /// AS_PATH malformed.
        MalformedAsPath = 11,
    }
}

subcodes! {
    /// Finite State Machine Error subcodes (code 5, RFC 6608).
    FsmSubcode {
        /// Unspecified error.
        Unspecified = 0,
        /// Unexpected message in OpenSent.
        UnexpectedInOpenSent = 1,
        /// Unexpected message in OpenConfirm.
        UnexpectedInOpenConfirm = 2,
        /// Unexpected message in Established.
        UnexpectedInEstablished = 3,
    }
}

subcodes! {
    /// Cease subcodes (code 6, RFC 4486, RFC 8538, RFC 9384).
    CeaseSubcode {
        /// No specific subcode.
        Unspecific = 0,
        /// Maximum number of prefixes reached; data: AFI, SAFI, limit.
        MaximumPrefixesReached = 1,
        /// Administrative shutdown; data: RFC 9003 shutdown communication.
        AdministrativeShutdown = 2,
        /// The peer was removed from the configuration.
        PeerDeconfigured = 3,
        /// Administrative reset; data: RFC 9003 shutdown communication.
        AdministrativeReset = 4,
        /// Connection rejected.
        ConnectionRejected = 5,
        /// A configuration change other than deconfiguration.
        OtherConfigurationChange = 6,
        /// Connection collision resolution.
        ConnectionCollisionResolution = 7,
        /// Out of resources.
        OutOfResources = 8,
        /// Hard Reset (RFC 8538); data: the encapsulated code, subcode, data.
        HardReset = 9,
        /// BFD session down (RFC 9384).
        BfdDown = 10,
    }
}

subcodes! {
    /// ROUTE-REFRESH Message Error subcodes (code 7, RFC 7313).
    RouteRefreshSubcode {
        /// Reserved.
        Reserved = 0,
        /// Enhanced ROUTE-REFRESH with a body other than 4 octets.
        InvalidMessageLength = 1,
    }
}

/// A NOTIFICATION error code with its subcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// Code 1.
    MessageHeader(HeaderSubcode),
    /// Code 2.
    Open(OpenSubcode),
    /// Code 3.
    Update(UpdateSubcode),
    /// Code 4, subcode 0.
    HoldTimerExpired,
    /// Code 5.
    Fsm(FsmSubcode),
    /// Code 6.
    Cease(CeaseSubcode),
    /// Code 7.
    RouteRefresh(RouteRefreshSubcode),
    /// Any other code, or Hold Timer Expired with a nonzero subcode.
    Other {
        /// Error code.
        code: u8,
        /// Error subcode.
        subcode: u8,
    },
}

impl ErrorCode {
    /// The value for an on-wire code and subcode.
    pub fn from_wire(code: u8, subcode: u8) -> ErrorCode {
        match (code, subcode) {
            (1, s) => ErrorCode::MessageHeader(s.into()),
            (2, s) => ErrorCode::Open(s.into()),
            (3, s) => ErrorCode::Update(s.into()),
            (4, 0) => ErrorCode::HoldTimerExpired,
            (5, s) => ErrorCode::Fsm(s.into()),
            (6, s) => ErrorCode::Cease(s.into()),
            (7, s) => ErrorCode::RouteRefresh(s.into()),
            (code, subcode) => ErrorCode::Other { code, subcode },
        }
    }

    /// The on-wire error code.
    pub fn code(&self) -> u8 {
        match self {
            ErrorCode::MessageHeader(_) => 1,
            ErrorCode::Open(_) => 2,
            ErrorCode::Update(_) => 3,
            ErrorCode::HoldTimerExpired => 4,
            ErrorCode::Fsm(_) => 5,
            ErrorCode::Cease(_) => 6,
            ErrorCode::RouteRefresh(_) => 7,
            ErrorCode::Other { code, .. } => *code,
        }
    }

    /// The on-wire error subcode.
    pub fn subcode(&self) -> u8 {
        match *self {
            ErrorCode::MessageHeader(s) => s.into(),
            ErrorCode::Open(s) => s.into(),
            ErrorCode::Update(s) => s.into(),
            ErrorCode::HoldTimerExpired => 0,
            ErrorCode::Fsm(s) => s.into(),
            ErrorCode::Cease(s) => s.into(),
            ErrorCode::RouteRefresh(s) => s.into(),
            ErrorCode::Other { subcode, .. } => subcode,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ErrorCode::MessageHeader(s) => format!("message header error: {s:?}"),
            ErrorCode::Open(s) => format!("OPEN message error: {s:?}"),
            ErrorCode::Update(s) => format!("UPDATE message error: {s:?}"),
            ErrorCode::HoldTimerExpired => "hold timer expired".to_string(),
            ErrorCode::Fsm(s) => format!("finite state machine error: {s:?}"),
            ErrorCode::Cease(s) => format!("cease: {s:?}"),
            ErrorCode::RouteRefresh(s) => format!("ROUTE-REFRESH message error: {s:?}"),
            ErrorCode::Other { .. } => "unknown error".to_string(),
        };
        write!(f, "{name} ({}/{})", self.code(), self.subcode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_round_trips() {
        for code in 0..=u8::MAX {
            for subcode in 0..=u8::MAX {
                let e = ErrorCode::from_wire(code, subcode);
                assert_eq!((e.code(), e.subcode()), (code, subcode));
            }
        }
    }

    #[test]
    fn known_values() {
        assert_eq!(
            ErrorCode::from_wire(6, 9),
            ErrorCode::Cease(CeaseSubcode::HardReset)
        );
        assert_eq!(
            ErrorCode::from_wire(3, 11),
            ErrorCode::Update(UpdateSubcode::MalformedAsPath)
        );
        assert_eq!(ErrorCode::from_wire(4, 0), ErrorCode::HoldTimerExpired);
        assert_eq!(
            ErrorCode::from_wire(4, 1),
            ErrorCode::Other {
                code: 4,
                subcode: 1
            }
        );
        assert_eq!(
            ErrorCode::from_wire(2, 5),
            ErrorCode::Open(OpenSubcode::Other(5))
        );
        assert_eq!(
            ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown).to_string(),
            "cease: AdministrativeShutdown (6/2)"
        );
    }
}
