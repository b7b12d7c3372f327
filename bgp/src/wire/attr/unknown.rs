//! Attributes this codec does not interpret. Optional transitive ones are
//! kept and passed on with the Partial bit set (RFC 4271 5, 9.1.4);
//! optional non-transitive ones are dropped when decoded, as RFC 4271 asks
//! ("quietly ignored and not passed along"). Unknown well-known
//! attributes reset the session (UPDATE error subcode 2).

use serde::{Deserialize, Serialize};

/// An attribute kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RawAttribute {
    /// The flags octet; the Extended Length bit is recomputed when encoding.
    pub flags: u8,
    /// The type code.
    pub type_code: u8,
    /// The value.
    pub value: Vec<u8>,
}
