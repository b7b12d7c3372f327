//! Per-WAN outcome of a plan, with the reason when a table has no default
//! route: what `mpwan status` shows an operator.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::family::{Family, Gateway};

/// Where one family of a WAN's table stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FamilyStatus {
    /// The table holds a default route through this gateway.
    Routed {
        /// Copied from the main table's default route out of the device.
        gateway: Gateway,
    },
    /// The main table no longer has a default route of this family out of
    /// the device (a hook or the operator removed it, say), so the table
    /// keeps the one it had: probes and subflows still leave through the
    /// WAN, and show whether it works.
    Kept {
        /// The gateway the table still uses.
        gateway: Gateway,
    },
    /// The main table has no default route of this family out of the
    /// device, and the WAN's table had none to keep, so it has none.
    NoDefault,
    /// The device does not exist; the kernel removed the table's routes.
    NoDevice,
    /// The default route could not be installed.
    Failed {
        /// The kernel's refusal, in words.
        reason: String,
    },
    /// Nothing is installed for the WAN: see [`WanStatus::problem`].
    Skipped,
}

/// Why nothing at all is installed for a WAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum WanProblem {
    /// Tables 0, 253, 254 and 255 are the kernel's (unspec, default, main,
    /// local).
    ReservedTable,
    /// An earlier WAN already uses this table.
    TableTaken {
        /// That WAN.
        by: String,
    },
    /// The device name cannot be put in an `oif` rule.
    BadDevice {
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for WanProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WanProblem::ReservedTable => f.write_str(
                "the table is reserved by the kernel (0, 253 default, 254 main, 255 local)",
            ),
            WanProblem::TableTaken { by } => write!(f, "the table is already WAN {by}'s"),
            WanProblem::BadDevice { reason } => write!(f, "bad device name: {reason}"),
        }
    }
}

/// One WAN's policy routing after a plan (and, from
/// [`RouteManager::apply`](super::RouteManager::apply), after carrying it
/// out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WanStatus {
    /// The WAN.
    pub key: String,
    /// Its table.
    pub table: u32,
    /// Its device.
    pub device: String,
    /// Why nothing is installed, if so.
    pub problem: Option<WanProblem>,
    /// The IPv4 default route in the table.
    pub v4: FamilyStatus,
    /// The IPv6 default route in the table.
    pub v6: FamilyStatus,
}

impl WanStatus {
    /// The status of `family`.
    pub fn family(&self, family: Family) -> &FamilyStatus {
        match family {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        }
    }

    pub(crate) fn family_mut(&mut self, family: Family) -> &mut FamilyStatus {
        match family {
            Family::V4 => &mut self.v4,
            Family::V6 => &mut self.v6,
        }
    }

    /// Why `family`'s table has no default route, or keeps an old one, in
    /// words; `None` when it has the main table's current one.
    pub fn reason(&self, family: Family) -> Option<String> {
        let (table, dev) = (self.table, &self.device);
        if let Some(problem) = &self.problem {
            return Some(format!(
                "no policy routing for WAN {} (table {table}): {problem}",
                self.key
            ));
        }
        match self.family(family) {
            FamilyStatus::Routed { .. } => None,
            FamilyStatus::Kept { gateway } => Some(format!(
                "the main table has no {family} default route out of {dev} any more; table \
                 {table} keeps its own ({gateway})"
            )),
            FamilyStatus::NoDefault => Some(format!(
                "the main table has no {family} default route out of {dev}, so table {table} \
                 has none"
            )),
            FamilyStatus::NoDevice => Some(format!(
                "device {dev} does not exist, so table {table} has no {family} route"
            )),
            FamilyStatus::Failed { reason } => Some(format!(
                "the {family} default route of table {table} could not be installed: {reason}"
            )),
            FamilyStatus::Skipped => Some(format!("table {table} is not managed")),
        }
    }
}
