//! Endpoint flags (`MPTCP_PM_ADDR_FLAG_*`), a small bit set written by hand
//! so the crate does not need the `bitflags` dependency.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The flags of one endpoint, as the kernel stores them.
///
/// Bits the crate does not know are kept (`from_bits_retain`), so a newer
/// kernel's flag survives a read-modify-write.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct EndpointFlags(u32);

/// Flag names in bit order, as `ip mptcp endpoint` spells them.
const NAMES: [(EndpointFlags, &str); 6] = [
    (EndpointFlags::SIGNAL, "signal"),
    (EndpointFlags::SUBFLOW, "subflow"),
    (EndpointFlags::BACKUP, "backup"),
    (EndpointFlags::FULLMESH, "fullmesh"),
    (EndpointFlags::IMPLICIT, "implicit"),
    (EndpointFlags::LAMINAR, "laminar"),
];

impl EndpointFlags {
    /// Announce this address to the peer (ADD_ADDR).
    pub const SIGNAL: EndpointFlags = EndpointFlags(1);
    /// Open subflows from this address.
    pub const SUBFLOW: EndpointFlags = EndpointFlags(2);
    /// Subflows on this endpoint are backups (used when no other is left).
    pub const BACKUP: EndpointFlags = EndpointFlags(4);
    /// One subflow from this address to every address the peer announced.
    pub const FULLMESH: EndpointFlags = EndpointFlags(8);
    /// Made by the kernel for an address it saw in use; never set by us.
    pub const IMPLICIT: EndpointFlags = EndpointFlags(16);
    /// Kernel 6.18: use this endpoint towards every announced address.
    pub const LAMINAR: EndpointFlags = EndpointFlags(32);
    /// The only bits SET_FLAGS can change; it sets them absolutely.
    pub const CHANGEABLE: EndpointFlags = EndpointFlags(4 | 8);

    /// No flag.
    pub const fn empty() -> EndpointFlags {
        EndpointFlags(0)
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Flags from raw bits, keeping bits this crate does not name.
    pub const fn from_bits_retain(bits: u32) -> EndpointFlags {
        EndpointFlags(bits)
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: EndpointFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Sets or clears the bits of `other`.
    pub fn set(&mut self, other: EndpointFlags, on: bool) {
        if on {
            self.0 |= other.0;
        } else {
            self.0 &= !other.0;
        }
    }

    /// The flag called `name` (`"subflow"`, `"backup"`, ...).
    pub fn from_name(name: &str) -> Option<EndpointFlags> {
        NAMES.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// Names of the set flags in bit order; unnamed bits are left out.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        NAMES
            .iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, n)| *n)
    }

    /// Bits that have no name here (from a newer kernel).
    pub const fn unknown_bits(self) -> u32 {
        let mut known = 0;
        let mut i = 0;
        while i < NAMES.len() {
            known |= NAMES[i].0.0;
            i += 1;
        }
        self.0 & !known
    }
}

impl BitOr for EndpointFlags {
    type Output = EndpointFlags;
    fn bitor(self, rhs: EndpointFlags) -> EndpointFlags {
        EndpointFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for EndpointFlags {
    fn bitor_assign(&mut self, rhs: EndpointFlags) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for EndpointFlags {
    type Output = EndpointFlags;
    fn bitand(self, rhs: EndpointFlags) -> EndpointFlags {
        EndpointFlags(self.0 & rhs.0)
    }
}

impl Not for EndpointFlags {
    type Output = EndpointFlags;
    fn not(self) -> EndpointFlags {
        EndpointFlags(!self.0)
    }
}

/// `subflow backup`, as `ip mptcp endpoint show` prints them; unknown bits
/// as `0x..`.
impl fmt::Display for EndpointFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for name in self.names() {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        let unknown = self.unknown_bits();
        if unknown != 0 {
            if !first {
                f.write_str(" ")?;
            }
            write!(f, "{unknown:#x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for EndpointFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EndpointFlags({self})")
    }
}

/// Serialized as a list of names (`["subflow", "backup"]`), the form the
/// configuration and `mpwan status --json` use.
impl Serialize for EndpointFlags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for name in self.names() {
            seq.serialize_element(name)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for EndpointFlags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = EndpointFlags;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of endpoint flags (signal, subflow, backup, fullmesh, laminar)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EndpointFlags, A::Error> {
                let mut flags = EndpointFlags::empty();
                while let Some(name) = seq.next_element::<String>()? {
                    let flag = EndpointFlags::from_name(&name).ok_or_else(|| {
                        de::Error::invalid_value(de::Unexpected::Str(&name), &self)
                    })?;
                    flags |= flag;
                }
                Ok(flags)
            }
        }
        deserializer.deserialize_seq(Names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_match_the_kernel() {
        assert_eq!(EndpointFlags::SIGNAL.bits(), 1);
        assert_eq!(EndpointFlags::SUBFLOW.bits(), 2);
        assert_eq!(EndpointFlags::BACKUP.bits(), 4);
        assert_eq!(EndpointFlags::FULLMESH.bits(), 8);
        assert_eq!(EndpointFlags::IMPLICIT.bits(), 16);
        assert_eq!(EndpointFlags::LAMINAR.bits(), 32);
    }

    #[test]
    fn set_and_display() {
        let mut f = EndpointFlags::SUBFLOW;
        f.set(EndpointFlags::BACKUP, true);
        assert_eq!(f.to_string(), "subflow backup");
        f.set(EndpointFlags::BACKUP, false);
        assert_eq!(f, EndpointFlags::SUBFLOW);
        let odd = EndpointFlags::from_bits_retain(0x42);
        assert_eq!(odd.to_string(), "subflow 0x40");
        assert_eq!(odd.unknown_bits(), 0x40);
        assert_eq!(EndpointFlags::empty().to_string(), "");
    }

    #[test]
    fn serde_as_names() {
        let f = EndpointFlags::SIGNAL | EndpointFlags::FULLMESH;
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, r#"["signal","fullmesh"]"#);
        let back: EndpointFlags = serde_json::from_str(&json).unwrap();
        assert_eq!(back, f);
        assert!(serde_json::from_str::<EndpointFlags>(r#"["sideways"]"#).is_err());
    }
}
