//! Path attributes (RFC 4271 4.3, 5). One file per attribute with its
//! decode rule and the RFC 7606 action when it is malformed; `walk.rs`
//! reads the whole attribute list and applies those actions.

pub mod aggregator;
pub mod as_path;
pub mod communities;
pub mod large_communities;
mod local_pref;
mod med;
pub mod mp_reach;
pub mod mp_unreach;
mod next_hop;
pub mod origin;
pub mod unknown;
pub(crate) mod walk;

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::error::EncodeError;
use super::negotiated::Negotiated;

use aggregator::Aggregator;
use as_path::AsPath;
use communities::Community;
use large_communities::LargeCommunity;
use origin::Origin;
use unknown::RawAttribute;

pub(crate) use next_hop::is_usable as next_hop_usable;

/// Flag: optional (not well-known).
pub const FLAG_OPTIONAL: u8 = 0x80;
/// Flag: transitive.
pub const FLAG_TRANSITIVE: u8 = 0x40;
/// Flag: partial (an optional transitive attribute some speaker did not
/// recognize).
pub const FLAG_PARTIAL: u8 = 0x20;
/// Flag: the length field is two octets.
pub const FLAG_EXTENDED_LENGTH: u8 = 0x10;

/// Type code of ORIGIN.
pub const TYPE_ORIGIN: u8 = 1;
/// Type code of AS_PATH.
pub const TYPE_AS_PATH: u8 = 2;
/// Type code of NEXT_HOP.
pub const TYPE_NEXT_HOP: u8 = 3;
/// Type code of MULTI_EXIT_DISC.
pub const TYPE_MED: u8 = 4;
/// Type code of LOCAL_PREF.
pub const TYPE_LOCAL_PREF: u8 = 5;
/// Type code of ATOMIC_AGGREGATE.
pub const TYPE_ATOMIC_AGGREGATE: u8 = 6;
/// Type code of AGGREGATOR.
pub const TYPE_AGGREGATOR: u8 = 7;
/// Type code of COMMUNITIES.
pub const TYPE_COMMUNITIES: u8 = 8;
/// Type code of MP_REACH_NLRI.
pub const TYPE_MP_REACH: u8 = 14;
/// Type code of MP_UNREACH_NLRI.
pub const TYPE_MP_UNREACH: u8 = 15;
/// Type code of AS4_PATH.
pub const TYPE_AS4_PATH: u8 = 17;
/// Type code of AS4_AGGREGATOR.
pub const TYPE_AS4_AGGREGATOR: u8 = 18;
/// Type code of LARGE_COMMUNITY.
pub const TYPE_LARGE_COMMUNITIES: u8 = 32;

const WELL_KNOWN: u8 = FLAG_TRANSITIVE;
const OPTIONAL_TRANSITIVE: u8 = FLAG_OPTIONAL | FLAG_TRANSITIVE;
const OPTIONAL_NON_TRANSITIVE: u8 = FLAG_OPTIONAL;

/// The Optional and Transitive bits each known attribute must carry
/// (RFC 7606 3.c compares only these two).
pub(crate) fn expected_flags(type_code: u8) -> Option<u8> {
    Some(match type_code {
        TYPE_ORIGIN | TYPE_AS_PATH | TYPE_NEXT_HOP | TYPE_LOCAL_PREF | TYPE_ATOMIC_AGGREGATE => {
            WELL_KNOWN
        }
        TYPE_MED | TYPE_MP_REACH | TYPE_MP_UNREACH => OPTIONAL_NON_TRANSITIVE,
        TYPE_AGGREGATOR
        | TYPE_COMMUNITIES
        | TYPE_AS4_PATH
        | TYPE_AS4_AGGREGATOR
        | TYPE_LARGE_COMMUNITIES => OPTIONAL_TRANSITIVE,
        _ => return None,
    })
}

/// The path attributes of a route, except MP_REACH/MP_UNREACH (which carry
/// routes, not attributes, and live in `Update`). AS4_PATH and
/// AS4_AGGREGATOR never appear here: the decoder folds them into `as_path`
/// and `aggregator`, the encoder derives them when the peer needs them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Attributes {
    /// ORIGIN; mandatory when routes are announced.
    pub origin: Option<Origin>,
    /// AS_PATH with 4-octet ASNs; mandatory when routes are announced.
    pub as_path: Option<AsPath>,
    /// NEXT_HOP for the IPv4 NLRI field.
    pub next_hop: Option<Ipv4Addr>,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF (internal peers only).
    pub local_pref: Option<u32>,
    /// ATOMIC_AGGREGATE present.
    pub atomic_aggregate: bool,
    /// AGGREGATOR with a 4-octet ASN.
    pub aggregator: Option<Aggregator>,
    /// COMMUNITIES; empty when absent.
    pub communities: Vec<Community>,
    /// LARGE_COMMUNITY; empty when absent.
    pub large_communities: Vec<LargeCommunity>,
    /// Unrecognized optional transitive attributes, Partial bit set.
    pub other: Vec<RawAttribute>,
}

impl Attributes {
    /// Whether no attribute at all is present.
    pub fn is_empty(&self) -> bool {
        *self == Attributes::default()
    }

    /// Whether a community is attached (for example LLGR_STALE, NO_LLGR).
    pub fn has_community(&self, c: Community) -> bool {
        self.communities.contains(&c)
    }

    /// Appends the attributes, with `next_hop` as NEXT_HOP (the packer
    /// replaces or omits the stored one). To a 2-octet peer, AS4_PATH and
    /// AS4_AGGREGATOR go along when an ASN does not fit (RFC 6793 4.2.2).
    pub(crate) fn encode(
        &self,
        negotiated: &Negotiated,
        next_hop: Option<Ipv4Addr>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let four = negotiated.four_octet_as;
        if let Some(o) = self.origin {
            write_attr(out, WELL_KNOWN, TYPE_ORIGIN, |o2| {
                o2.push(o.to_wire());
                Ok(())
            })?;
        }
        if let Some(p) = &self.as_path {
            write_attr(out, WELL_KNOWN, TYPE_AS_PATH, |o| p.encode(o, four))?;
        }
        if let Some(nh) = next_hop {
            write_attr(out, WELL_KNOWN, TYPE_NEXT_HOP, |o| {
                o.extend(nh.octets());
                Ok(())
            })?;
        }
        if let Some(med) = self.med {
            write_attr(out, OPTIONAL_NON_TRANSITIVE, TYPE_MED, |o| {
                o.extend(med.to_be_bytes());
                Ok(())
            })?;
        }
        if let Some(lp) = self.local_pref {
            write_attr(out, WELL_KNOWN, TYPE_LOCAL_PREF, |o| {
                o.extend(lp.to_be_bytes());
                Ok(())
            })?;
        }
        if self.atomic_aggregate {
            write_attr(out, WELL_KNOWN, TYPE_ATOMIC_AGGREGATE, |_| Ok(()))?;
        }
        if let Some(a) = &self.aggregator {
            write_attr(out, OPTIONAL_TRANSITIVE, TYPE_AGGREGATOR, |o| {
                a.encode(o, four);
                Ok(())
            })?;
        }
        if !self.communities.is_empty() {
            write_attr(out, OPTIONAL_TRANSITIVE, TYPE_COMMUNITIES, |o| {
                communities::encode(&self.communities, o);
                Ok(())
            })?;
        }
        if !four {
            if let Some(p) = self.as_path.as_ref().filter(|p| p.needs_as4()) {
                write_attr(out, OPTIONAL_TRANSITIVE, TYPE_AS4_PATH, |o| {
                    p.as4_part().encode(o, true)
                })?;
            }
            if let Some(a) = self.aggregator.filter(|a| a.asn > 0xffff) {
                write_attr(out, OPTIONAL_TRANSITIVE, TYPE_AS4_AGGREGATOR, |o| {
                    a.encode(o, true);
                    Ok(())
                })?;
            }
        }
        if !self.large_communities.is_empty() {
            write_attr(out, OPTIONAL_TRANSITIVE, TYPE_LARGE_COMMUNITIES, |o| {
                large_communities::encode(&self.large_communities, o);
                Ok(())
            })?;
        }
        for raw in &self.other {
            write_attr(out, raw.flags, raw.type_code, |o| {
                o.extend_from_slice(&raw.value);
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// Appends one attribute whose value `value` writes, with the one-octet
/// length form when the value fits it.
pub(crate) fn write_attr(
    out: &mut Vec<u8>,
    flags: u8,
    type_code: u8,
    value: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let start = out.len();
    out.extend([flags | FLAG_EXTENDED_LENGTH, type_code, 0, 0]);
    if let Err(e) = value(out) {
        out.truncate(start);
        return Err(e);
    }
    let len = out.len() - start - 4;
    if let Ok(short) = u8::try_from(len) {
        // Drop the second length octet; only the value moves.
        out.remove(start + 3);
        if let Some(f) = out.get_mut(start) {
            *f = flags & !FLAG_EXTENDED_LENGTH;
        }
        if let Some(l) = out.get_mut(start + 2) {
            *l = short;
        }
        return Ok(());
    }
    match (u16::try_from(len), out.get_mut(start + 2..start + 4)) {
        (Ok(long), Some(slot)) => {
            slot.copy_from_slice(&long.to_be_bytes());
            Ok(())
        }
        _ => {
            out.truncate(start);
            Err(EncodeError::AttributeTooLong { type_code, len })
        }
    }
}

/// A value length as the u16 the length field can hold (values come from
/// a field of at most two octets, so this never saturates in practice).
pub(crate) fn len16(value: &[u8]) -> u16 {
    u16::try_from(value.len()).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_extended_length() {
        let mut out = vec![9];
        write_attr(&mut out, 0xc0, 99, |o| {
            o.extend([1; 255]);
            Ok(())
        })
        .expect("fits");
        assert_eq!(out[..4], [9, 0xc0, 99, 255]);
        assert_eq!(out.len(), 1 + 3 + 255);
        out.clear();
        write_attr(&mut out, 0xc0, 99, |o| {
            o.extend([1; 256]);
            Ok(())
        })
        .expect("fits");
        assert_eq!(out[..4], [0xd0, 99, 1, 0]);
        assert_eq!(out.len(), 4 + 256);
        out.clear();
        let too_long = write_attr(&mut out, 0xc0, 99, |o| {
            o.extend(std::iter::repeat_n(0, 70_000));
            Ok(())
        });
        assert_eq!(
            too_long,
            Err(EncodeError::AttributeTooLong {
                type_code: 99,
                len: 70_000
            })
        );
        assert!(out.is_empty());
    }
}
