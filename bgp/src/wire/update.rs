//! UPDATE (RFC 4271 4.3) with multiprotocol routes (RFC 4760), RFC 7606
//! error handling and End-of-RIB (RFC 4724 2).

use serde::{Deserialize, Serialize};

use super::attr::mp_reach::{MpNlri, MpReach};
use super::attr::mp_unreach::MpUnreach;
use super::attr::walk::walk;
use super::attr::{
    Attributes, FLAG_OPTIONAL, TYPE_AS_PATH, TYPE_MP_REACH, TYPE_MP_UNREACH, TYPE_NEXT_HOP,
    TYPE_ORIGIN, write_attr,
};
use super::error::{DecodeError, EncodeError, Malformed, Problem};
use super::error_code::{ErrorCode, UpdateSubcode};
use super::family::Family;
use super::negotiated::Negotiated;
use super::notification::Notification;
use super::prefix::{Prefix, decode_prefixes};
use super::reader::Reader;

/// An UPDATE message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Update {
    /// IPv4 unicast routes withdrawn (the Withdrawn Routes field).
    pub withdrawn: Vec<Prefix>,
    /// The path attributes of the announced routes.
    pub attributes: Attributes,
    /// IPv4 unicast routes announced (the NLRI field), via NEXT_HOP.
    pub nlri: Vec<Prefix>,
    /// Routes of another family announced, with their next hop.
    pub mp_reach: Option<MpReach>,
    /// Routes of another family withdrawn.
    pub mp_unreach: Option<MpUnreach>,
    /// Attributes the decoder dropped while accepting the rest (RFC 7606
    /// "attribute discard", duplicates). Ignored when encoding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discarded: Vec<Malformed>,
}

impl Update {
    /// The End-of-RIB marker: an empty UPDATE for IPv4 unicast, otherwise
    /// an UPDATE holding only an empty MP_UNREACH_NLRI of the family.
    pub fn end_of_rib(family: Family) -> Update {
        if family == Family::IPV4_UNICAST {
            return Update::default();
        }
        let withdrawn = if family.is_supported() {
            MpNlri::Prefixes(Vec::new())
        } else {
            MpNlri::Opaque(Vec::new())
        };
        Update {
            mp_unreach: Some(MpUnreach { family, withdrawn }),
            ..Update::default()
        }
    }

    /// The family whose End-of-RIB this is, if it is one. The MP form is
    /// recognized whatever other attributes ride along: missing an
    /// End-of-RIB would keep a peer's stale routes until the timer.
    pub fn is_end_of_rib(&self) -> Option<Family> {
        if !self.withdrawn.is_empty() || !self.nlri.is_empty() || self.mp_reach.is_some() {
            return None;
        }
        match &self.mp_unreach {
            None if self.attributes.is_empty() => Some(Family::IPV4_UNICAST),
            Some(m) if m.withdrawn.is_empty() => Some(m.family),
            _ => None,
        }
    }

    /// Every IPv4/IPv6 unicast prefix announced (NLRI field, MP_REACH).
    pub fn announced(&self) -> impl Iterator<Item = &Prefix> {
        let mp = self
            .mp_reach
            .as_ref()
            .map(|m| m.nlri.prefixes())
            .unwrap_or_default();
        self.nlri.iter().chain(mp)
    }

    /// Every IPv4/IPv6 unicast prefix withdrawn (Withdrawn Routes field,
    /// MP_UNREACH).
    pub fn withdrawals(&self) -> impl Iterator<Item = &Prefix> {
        let mp = self
            .mp_unreach
            .as_ref()
            .map(|m| m.withdrawn.prefixes())
            .unwrap_or_default();
        self.withdrawn.iter().chain(mp)
    }

    /// Decodes the body (after the header), applying RFC 7606.
    pub fn decode(body: &[u8], negotiated: &Negotiated) -> Result<Update, DecodeError> {
        let reset =
            |sub| DecodeError::SessionReset(Notification::new(ErrorCode::Update(sub), Vec::new()));
        let mut r = Reader::new(body);
        let withdrawn = r.u16().and_then(|n| r.take(usize::from(n)));
        let attrs = r.u16().and_then(|n| r.take(usize::from(n)));
        let (Some(withdrawn), Some(attrs)) = (withdrawn, attrs) else {
            return Err(reset(UpdateSubcode::MalformedAttributeList));
        };
        // RFC 7606 3.i, 5.3: either field unparsable means the routes cannot
        // be located at all.
        let parse = |b| {
            decode_prefixes(b, Family::IPV4_UNICAST)
                .map_err(|_| reset(UpdateSubcode::InvalidNetworkField))
        };
        let withdrawn = parse(withdrawn)?;
        let nlri = parse(r.take_rest())?;
        let w = walk(attrs, negotiated).map_err(DecodeError::SessionReset)?;
        let update = Update {
            withdrawn,
            attributes: w.attributes,
            nlri,
            mp_reach: w.mp_reach,
            mp_unreach: w.mp_unreach,
            discarded: w.discarded,
        };
        match w.withdraw.or_else(|| update.missing_mandatory()) {
            None => Ok(update),
            Some(reason) => Err(DecodeError::TreatAsWithdraw {
                withdrawn: update
                    .announced()
                    .chain(update.withdrawals())
                    .copied()
                    .collect(),
                reason,
            }),
        }
    }

    /// RFC 7606 3.d: routes announced without ORIGIN or AS_PATH, or IPv4
    /// NLRI without a usable NEXT_HOP.
    fn missing_mandatory(&self) -> Option<Malformed> {
        let reach = self.mp_reach.as_ref().is_some_and(|m| !m.nlri.is_empty());
        if self.nlri.is_empty() && !reach {
            return None;
        }
        let missing = |type_code| {
            Some(Malformed {
                type_code,
                problem: Problem::Missing,
            })
        };
        let a = &self.attributes;
        if a.origin.is_none() {
            return missing(TYPE_ORIGIN);
        }
        if a.as_path.is_none() {
            return missing(TYPE_AS_PATH);
        }
        if self.nlri.is_empty() {
            return None;
        }
        match a.next_hop {
            None => missing(TYPE_NEXT_HOP),
            Some(nh) if !super::attr::next_hop_usable(nh) => Some(Malformed {
                type_code: TYPE_NEXT_HOP,
                problem: Problem::NextHop,
            }),
            Some(_) => None,
        }
    }

    /// Appends the body. MP_UNREACH and MP_REACH go first (RFC 7606 5.1).
    pub(crate) fn encode_body(
        &self,
        negotiated: &Negotiated,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let at = out.len();
        out.extend([0, 0]);
        encode_ipv4(&self.withdrawn, out)?;
        fill_len(out, at)?;
        let at = out.len();
        out.extend([0, 0]);
        if let Some(m) = &self.mp_unreach {
            write_attr(out, FLAG_OPTIONAL, TYPE_MP_UNREACH, |o| m.encode(o))?;
        }
        if let Some(m) = &self.mp_reach {
            write_attr(out, FLAG_OPTIONAL, TYPE_MP_REACH, |o| m.encode(o))?;
        }
        self.attributes
            .encode(negotiated, self.attributes.next_hop, out)?;
        fill_len(out, at)?;
        encode_ipv4(&self.nlri, out)
    }
}

fn encode_ipv4(list: &[Prefix], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    for p in list {
        if p.family() != Family::IPV4_UNICAST {
            return Err(EncodeError::FamilyMismatch {
                family: Family::IPV4_UNICAST,
                prefix: *p,
            });
        }
        p.encode(out);
    }
    Ok(())
}

/// Writes, into the two bytes at `at`, how many bytes follow them.
pub(crate) fn fill_len(out: &mut [u8], at: usize) -> Result<(), EncodeError> {
    let len = out.len().saturating_sub(at + 2);
    let too_long = EncodeError::TooLong {
        len,
        max: usize::from(u16::MAX),
    };
    let v = u16::try_from(len).map_err(|_| too_long.clone())?;
    let slot = out.get_mut(at..at + 2).ok_or(too_long)?;
    slot.copy_from_slice(&v.to_be_bytes());
    Ok(())
}
