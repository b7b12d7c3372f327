//! Packs many prefixes that share attributes into as few UPDATEs as the
//! message size allows: the attributes are encoded once per call and each
//! message is written straight into the caller's buffer, so announcing
//! 100 000 prefixes costs about one allocation per call, not per prefix.
//!
//! IPv4 routes go in the NLRI field with NEXT_HOP; IPv6 routes in
//! MP_REACH_NLRI, placed first (RFC 7606 5.1) and always with a 2-octet
//! length so it can grow while prefixes are added.

use std::iter::Peekable;

use super::attr::mp_reach::{MpNextHop, MpReach};
use super::attr::{
    Attributes, FLAG_EXTENDED_LENGTH, FLAG_OPTIONAL, TYPE_MP_REACH, TYPE_MP_UNREACH,
};
use super::error::EncodeError;
use super::family::Family;
use super::header::{HEADER_LEN, MessageType, finish_message, start_message};
use super::negotiated::Negotiated;
use super::prefix::Prefix;
use super::update::fill_len;

/// The longest encoded prefix (an IPv6 /128): room every message must
/// have after the fixed part.
const MAX_PREFIX_LEN: usize = 17;
/// Withdrawn Routes Length and Total Path Attribute Length.
const LENGTH_FIELDS: usize = 4;
/// Flags, type and a 2-octet length.
const LONG_ATTR_HEADER: usize = 4;

/// Reusable UPDATE packer for one session.
#[derive(Debug, Clone)]
pub struct UpdatePacker {
    /// Decides AS widths and the message size limit.
    negotiated: Negotiated,
    /// The shared attributes of the current call, encoded once.
    attrs: Vec<u8>,
    /// The MP_REACH_NLRI head (family, next hop, reserved octet).
    mp_head: Vec<u8>,
}

impl UpdatePacker {
    pub fn new(negotiated: Negotiated) -> UpdatePacker {
        UpdatePacker {
            negotiated,
            attrs: Vec::new(),
            mp_head: Vec::new(),
        }
    }

    /// Appends UPDATEs announcing `prefixes` with `attributes`, IPv4 ones
    /// when `next_hop` is IPv4 (which replaces `attributes.next_hop`), IPv6
    /// ones when it is IPv6. Returns how many messages were appended. On
    /// error nothing is appended.
    pub fn announce(
        &mut self,
        attributes: &Attributes,
        next_hop: &MpNextHop,
        prefixes: &[Prefix],
        out: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        let family = match next_hop {
            MpNextHop::V4(_) => Family::IPV4_UNICAST,
            MpNextHop::V6 { .. } => Family::IPV6_UNICAST,
            MpNextHop::Other(_) => return Err(EncodeError::UnsupportedNextHop),
        };
        if let Some(p) = prefixes.iter().find(|p| p.family() != family) {
            return Err(EncodeError::FamilyMismatch { family, prefix: *p });
        }
        if prefixes.is_empty() {
            return Ok(0);
        }
        self.attrs.clear();
        self.mp_head.clear();
        let max = self.negotiated.max_message_len();
        let mut iter = prefixes.iter().peekable();
        let mut count = 0usize;
        if let MpNextHop::V4(nh) = next_hop {
            attributes.encode(&self.negotiated, Some(*nh), &mut self.attrs)?;
            let fixed = HEADER_LEN + LENGTH_FIELDS + self.attrs.len();
            check_room(fixed, max, self.attrs.len())?;
            while iter.peek().is_some() {
                let start = start_message(out, MessageType::Update);
                out.extend([0, 0]);
                let at = out.len();
                out.extend([0, 0]);
                out.extend_from_slice(&self.attrs);
                fill_len(out, at)?;
                fill(&mut iter, out, max - fixed);
                finish_message(out, start, max)?;
                count += 1;
            }
        } else {
            attributes.encode(&self.negotiated, None, &mut self.attrs)?;
            MpReach::encode_head(family, next_hop, &mut self.mp_head)?;
            let fixed = HEADER_LEN
                + LENGTH_FIELDS
                + LONG_ATTR_HEADER
                + self.mp_head.len()
                + self.attrs.len();
            check_room(fixed, max, self.attrs.len() + self.mp_head.len())?;
            while iter.peek().is_some() {
                let start = start_message(out, MessageType::Update);
                out.extend([0, 0]);
                let at = out.len();
                out.extend([
                    0,
                    0,
                    FLAG_OPTIONAL | FLAG_EXTENDED_LENGTH,
                    TYPE_MP_REACH,
                    0,
                    0,
                ]);
                out.extend_from_slice(&self.mp_head);
                fill(&mut iter, out, max - fixed);
                fill_len(out, at + 4)?;
                out.extend_from_slice(&self.attrs);
                fill_len(out, at)?;
                finish_message(out, start, max)?;
                count += 1;
            }
        }
        Ok(count)
    }

    /// Appends UPDATEs withdrawing `prefixes`: IPv4 ones in the Withdrawn
    /// Routes field, IPv6 ones in MP_UNREACH_NLRI. Returns how many
    /// messages were appended.
    pub fn withdraw(
        &mut self,
        prefixes: &[Prefix],
        out: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        let max = self.negotiated.max_message_len();
        let mut count = 0usize;
        let mut v4 = prefixes
            .iter()
            .filter(|p| p.family() == Family::IPV4_UNICAST)
            .peekable();
        while v4.peek().is_some() {
            let start = start_message(out, MessageType::Update);
            let at = out.len();
            out.extend([0, 0]);
            fill(&mut v4, out, max - HEADER_LEN - LENGTH_FIELDS);
            fill_len(out, at)?;
            out.extend([0, 0]);
            finish_message(out, start, max)?;
            count += 1;
        }
        let mut v6 = prefixes
            .iter()
            .filter(|p| p.family() == Family::IPV6_UNICAST)
            .peekable();
        let fixed = HEADER_LEN + LENGTH_FIELDS + LONG_ATTR_HEADER + 3;
        while v6.peek().is_some() {
            let start = start_message(out, MessageType::Update);
            out.extend([0, 0]);
            let at = out.len();
            out.extend([
                0,
                0,
                FLAG_OPTIONAL | FLAG_EXTENDED_LENGTH,
                TYPE_MP_UNREACH,
                0,
                0,
            ]);
            out.extend(Family::IPV6_UNICAST.to_bytes());
            fill(&mut v6, out, max - fixed);
            fill_len(out, at + 4)?;
            fill_len(out, at)?;
            finish_message(out, start, max)?;
            count += 1;
        }
        Ok(count)
    }
}

fn check_room(fixed: usize, max: usize, attrs: usize) -> Result<(), EncodeError> {
    if fixed + MAX_PREFIX_LEN > max {
        return Err(EncodeError::NoRoom(attrs));
    }
    Ok(())
}

/// Encodes prefixes from `iter` while they fit in `room` bytes.
fn fill<'p>(iter: &mut Peekable<impl Iterator<Item = &'p Prefix>>, out: &mut Vec<u8>, room: usize) {
    let mut used = 0usize;
    while let Some(p) = iter.next_if(|p| used + p.encoded_len() <= room) {
        p.encode(out);
        used += p.encoded_len();
    }
}
