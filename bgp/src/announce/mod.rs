//! The announce policy and the Adj-RIB-Out: which of our prefixes each
//! peer carries, with which attributes, and the UPDATEs that get it there.
//!
//! # Shape
//!
//! - [`Policy`] (sans-IO, one per speaker): the configured
//!   [`AnnounceSpec`]s and which conditions hold. The caller evaluates the
//!   conditions (mpwan's agent turns WAN states into "condition c holds")
//!   and reports each change with [`Policy::set_condition`], which returns
//!   the prefixes whose [`PrefixState`] moved.
//! - [`RibOut`] (one per established session): what that peer was last
//!   told. [`RibOut::sync`] compares it with the policy and appends the
//!   difference to a buffer as complete UPDATE frames, encoded with the
//!   session's codec parameters, many prefixes per message.
//!
//! # Driving it
//!
//! ```text
//! policy = Policy::new(specs)?; set every condition once;
//! on Action::Established(n):
//!     rib = RibOut::new(PeerContext::for_session(asn, &n, v4, v6), n.wire);
//!     rib.sync(&policy, &mut buf); write buf to n.conn;
//!     for f in rib.families(): feed Event::RoutesReady(f)
//! on a condition change:
//!     if !policy.set_condition(c, holds).is_empty():
//!         for every established rib: rib.sync(&policy, &mut buf); write buf
//! on Action::RouteRefresh(f): rib.refresh(f, &policy, &mut buf); write buf
//! on Action::Down: drop rib
//! ```
//!
//! Frames rather than `Message`s: the packer writes many UPDATEs straight
//! into one buffer, which the driver writes to the socket as is; decoding
//! them back (`Message::frame_len`, `Message::decode`) is for tests.

mod peer;
mod policy;
mod rib_out;
mod spec;

pub use peer::{DEFAULT_LOCAL_PREF, PeerContext};
pub use policy::{
    Change, DesiredRoute, MAX_DEGRADE_COMMUNITIES, Policy, PolicyError, PrefixState, PrefixStatus,
};
pub use rib_out::{EncodeFailure, RibOut, Sent};
pub use spec::{AnnounceSpec, ConditionId, Degrade, OnDown};
