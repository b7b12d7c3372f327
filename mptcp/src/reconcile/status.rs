//! What the reconciler reports: per slot, and counters for the whole.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::flags::EndpointFlags;

use super::slot::{Family, SlotKey};

/// One slot as status and metrics show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotStatus {
    /// The caller's name for the slot.
    pub key: SlotKey,
    /// The endpoint id.
    pub id: u8,
    /// The slot's family.
    pub family: Family,
    /// The endpoint's address: the kernel's while present, else the one
    /// the caller gave (if any).
    pub addr: Option<IpAddr>,
    /// The kernel's flags while present, else the flags it would get.
    pub flags: EndpointFlags,
    /// The kernel holds an endpoint with the slot's id, as of the last dump
    /// and our own operations since.
    pub present: bool,
    /// Live subflows (the initial one included) whose local address is the
    /// slot's, counted from path-manager events.
    pub subflows: u32,
    /// The latest problem: the slot's own, else one affecting every slot
    /// (MPTCP unavailable, dumps or limits failing). `None` when all is well.
    pub last_error: Option<String>,
}

/// Counters of the reconciler as a whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileStats {
    /// Connections the subflow accounting remembers now.
    pub connections: usize,
    /// Connections forgotten because the table was full.
    pub evicted_connections: u64,
    /// Times the kernel dropped path-manager events.
    pub events_lost: u64,
    /// Outcomes for operations not in flight (late or duplicate answers).
    pub stale_answers: u64,
    /// Inputs naming a slot key that does not exist.
    pub unknown_keys: u64,
}
