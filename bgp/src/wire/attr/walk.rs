//! Reads an UPDATE's attribute list and decides, per RFC 7606, what each
//! problem requires. The actions, strongest first:
//!
//! | problem | action |
//! |---|---|
//! | list ends inside an attribute (4) | session reset, unless MP_REACH and MP_UNREACH were both already read (3.j) |
//! | MP_REACH / MP_UNREACH malformed or repeated (3.g, 7.11, 7.12) | session reset |
//! | unrecognized well-known attribute (RFC 4271 6.3) | session reset |
//! | ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF, COMMUNITIES, LARGE_COMMUNITY malformed or with wrong flags (3.c, 7.1-7.5, 7.8, RFC 8092 5) | treat-as-withdraw |
//! | ATOMIC_AGGREGATE, AGGREGATOR, AS4_PATH, AS4_AGGREGATOR malformed (7.6, 7.7, RFC 6793 6) | attribute discard |
//! | any other repeated attribute (3.g) | later copies discarded |
//!
//! Missing mandatory attributes are checked by the UPDATE decoder, which
//! knows whether routes are announced.

use super::aggregator::{self, Aggregator};
use super::as_path::AsPath;
use super::mp_reach::{MpFault, MpReach};
use super::mp_unreach::MpUnreach;
use super::unknown::RawAttribute;
use super::*;
use crate::wire::error::{Malformed, Problem};
use crate::wire::error_code::{ErrorCode, UpdateSubcode};
use crate::wire::notification::Notification;
use crate::wire::open::AS_TRANS;
use crate::wire::reader::Reader;

/// What the attribute list held.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// The attributes that decoded.
    pub attributes: Attributes,
    /// MP_REACH_NLRI, if present.
    pub mp_reach: Option<MpReach>,
    /// MP_UNREACH_NLRI, if present.
    pub mp_unreach: Option<MpUnreach>,
    /// Attributes dropped while the UPDATE goes on.
    pub discarded: Vec<Malformed>,
    /// The first problem that requires treat-as-withdraw.
    pub withdraw: Option<Malformed>,
}

/// What to do about one problem.
enum Action {
    Reset(Notification),
    Withdraw,
    Discard,
}

fn update_error(sub: UpdateSubcode, data: Vec<u8>) -> Notification {
    Notification::new(ErrorCode::Update(sub), data)
}

/// Walks the attribute list. Err is a session reset with its NOTIFICATION.
pub(crate) fn walk(bytes: &[u8], negotiated: &Negotiated) -> Result<Walk, Notification> {
    let four = negotiated.four_octet_as;
    let mut w = Walk::default();
    let mut seen = [false; 256];
    let mut as4_path = None;
    let mut as4_aggregator = None;
    let mut r = Reader::new(bytes);
    while !r.is_empty() {
        let start = bytes.len() - r.remaining();
        let flags = r.u8();
        let type_code = r.u8();
        let len = match flags {
            Some(f) if f & FLAG_EXTENDED_LENGTH != 0 => r.u16(),
            _ => r.u8().map(u16::from),
        };
        let value = len.and_then(|l| r.take(usize::from(l)));
        let (Some(flags), Some(type_code), Some(value)) = (flags, type_code, value) else {
            // RFC 7606 4 asks for treat-as-withdraw here, but 3.j allows it
            // only when every route can still be located, and the unread
            // rest may hold MP_REACH or MP_UNREACH.
            if w.mp_reach.is_some() && w.mp_unreach.is_some() {
                let type_code = type_code.unwrap_or(0);
                w.withdraw.get_or_insert(Malformed {
                    type_code,
                    problem: Problem::Overrun,
                });
                break;
            }
            return Err(update_error(
                UpdateSubcode::MalformedAttributeList,
                Vec::new(),
            ));
        };
        let end = bytes.len() - r.remaining();
        let raw = bytes.get(start..end).unwrap_or_default();
        let slot = &mut seen[usize::from(type_code)];
        if *slot {
            if type_code == TYPE_MP_REACH || type_code == TYPE_MP_UNREACH {
                return Err(update_error(
                    UpdateSubcode::MalformedAttributeList,
                    Vec::new(),
                ));
            }
            w.discarded.push(Malformed {
                type_code,
                problem: Problem::Duplicate,
            });
            continue;
        }
        *slot = true;
        let Some(expected) = expected_flags(type_code) else {
            unrecognized(&mut w, flags, type_code, value, raw)?;
            continue;
        };
        if four && (type_code == TYPE_AS4_PATH || type_code == TYPE_AS4_AGGREGATOR) {
            w.discarded.push(Malformed {
                type_code,
                problem: Problem::Unexpected,
            });
            continue;
        }
        let outcome = if flags & (FLAG_OPTIONAL | FLAG_TRANSITIVE) != expected {
            Err(Problem::Flags(flags))
        } else {
            store(
                &mut w,
                type_code,
                value,
                four,
                &mut as4_path,
                &mut as4_aggregator,
                raw,
            )?
        };
        if let Err(problem) = outcome {
            let m = Malformed { type_code, problem };
            match action(type_code, problem, raw) {
                Action::Reset(n) => return Err(n),
                Action::Withdraw => {
                    w.withdraw.get_or_insert(m);
                }
                Action::Discard => w.discarded.push(m),
            }
        }
    }
    if !four {
        apply_as4(&mut w.attributes, as4_path, as4_aggregator);
    }
    Ok(w)
}

/// RFC 7606's action for a problem with a known attribute.
fn action(type_code: u8, problem: Problem, raw: &[u8]) -> Action {
    match type_code {
        TYPE_MP_REACH | TYPE_MP_UNREACH => {
            let sub = match problem {
                Problem::Flags(_) => UpdateSubcode::AttributeFlagsError,
                _ => UpdateSubcode::OptionalAttributeError,
            };
            Action::Reset(update_error(sub, raw.to_vec()))
        }
        TYPE_ATOMIC_AGGREGATE | TYPE_AGGREGATOR | TYPE_AS4_PATH | TYPE_AS4_AGGREGATOR => {
            Action::Discard
        }
        _ => Action::Withdraw,
    }
}

/// Decodes a known attribute into the walk. The outer Err is a session
/// reset (MP_* only); the inner one a problem to classify.
fn store(
    w: &mut Walk,
    type_code: u8,
    value: &[u8],
    four: bool,
    as4_path: &mut Option<AsPath>,
    as4_aggregator: &mut Option<Aggregator>,
    raw: &[u8],
) -> Result<Result<(), Problem>, Notification> {
    let a = &mut w.attributes;
    let r = match type_code {
        TYPE_ORIGIN => Origin::decode(value).map(|v| a.origin = Some(v)),
        TYPE_AS_PATH => AsPath::decode(value, four).map(|v| a.as_path = Some(v)),
        TYPE_NEXT_HOP => next_hop::decode(value).map(|v| a.next_hop = Some(v)),
        TYPE_MED => med::decode_u32(value).map(|v| a.med = Some(v)),
        TYPE_LOCAL_PREF => local_pref::decode(value).map(|v| a.local_pref = Some(v)),
        TYPE_ATOMIC_AGGREGATE => {
            aggregator::decode_atomic_aggregate(value).map(|()| a.atomic_aggregate = true)
        }
        TYPE_AGGREGATOR => Aggregator::decode(value, four).map(|v| a.aggregator = Some(v)),
        TYPE_COMMUNITIES => communities::decode(value).map(|v| a.communities = v),
        TYPE_LARGE_COMMUNITIES => large_communities::decode(value).map(|v| a.large_communities = v),
        TYPE_AS4_PATH => AsPath::decode_as4(value).map(|v| *as4_path = Some(v)),
        TYPE_AS4_AGGREGATOR => Aggregator::decode(value, true).map(|v| *as4_aggregator = Some(v)),
        TYPE_MP_REACH => {
            w.mp_reach = Some(MpReach::decode(value).map_err(|f| mp_reset(f, raw))?);
            Ok(())
        }
        TYPE_MP_UNREACH => {
            w.mp_unreach = Some(MpUnreach::decode(value).map_err(|f| mp_reset(f, raw))?);
            Ok(())
        }
        _ => Ok(()),
    };
    Ok(r)
}

fn mp_reset(fault: MpFault, raw: &[u8]) -> Notification {
    match fault {
        MpFault::Attribute => update_error(UpdateSubcode::OptionalAttributeError, raw.to_vec()),
        MpFault::Nlri => update_error(UpdateSubcode::InvalidNetworkField, Vec::new()),
    }
}

/// An attribute type this codec does not know.
fn unrecognized(
    w: &mut Walk,
    flags: u8,
    type_code: u8,
    value: &[u8],
    raw: &[u8],
) -> Result<(), Notification> {
    if flags & FLAG_OPTIONAL == 0 {
        return Err(update_error(
            UpdateSubcode::UnrecognizedWellKnownAttribute,
            raw.to_vec(),
        ));
    }
    if flags & FLAG_TRANSITIVE != 0 {
        w.attributes.other.push(RawAttribute {
            flags: (flags | FLAG_PARTIAL) & !FLAG_EXTENDED_LENGTH,
            type_code,
            value: value.to_vec(),
        });
    }
    Ok(())
}

/// RFC 6793 4.2.3: an old speaker's AGGREGATOR of AS_TRANS takes the
/// AS4_AGGREGATOR's value; an AGGREGATOR of a real 2-octet AS means the
/// AS4 attributes are stale and ignored; otherwise AS4_PATH is merged.
fn apply_as4(a: &mut Attributes, as4_path: Option<AsPath>, as4_aggregator: Option<Aggregator>) {
    if let Some(agg) = a.aggregator.as_mut() {
        if agg.asn != u32::from(AS_TRANS) {
            return;
        }
        if let Some(real) = as4_aggregator {
            *agg = real;
        }
    }
    if let Some(as4) = as4_path {
        a.as_path = a.as_path.take().map(|path| path.merge_as4(as4));
    }
}
