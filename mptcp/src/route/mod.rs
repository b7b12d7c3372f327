//! Optional per-WAN policy routing (DESIGN.md, "MPTCP semantics"): a
//! routing table per WAN holding its default route, and rules that send
//! into it whatever leaves from the WAN's address or is bound to its
//! device, so subflows and probes leave through their own WAN even when the
//! main table has no route out of it.
//!
//! How it is built:
//! - [`plan`] is the sans-IO core: [`WanRoutes`] (what each WAN wants)
//!   against [`ActualState`] (what the kernel holds with [`PROTOCOL`])
//!   gives a [`RoutePlan`]: [`RouteOp`]s in make-before-break order, and a
//!   [`WanStatus`] per WAN saying why a table has no default route.
//! - [`RouteManager`] is the thin tokio driver over rtnetlink: it reads the
//!   main table ([`RouteManager::observe`]), dumps mpwan's routes and
//!   rules, plans, and carries the plan out ([`RouteManager::apply`]).
//!
//! What a WAN with `table = T` on device `D` gets, per family:
//!
//! ```text
//! table T:  <on-link prefix of D> dev D                     proto 109
//!           default via <main's gateway out of D> dev D     proto 109
//! rules:    4200: from all oif D lookup T                   proto 109
//!           4210: from <addr> lookup main suppress_prefixlength 0   proto 109
//!           4220: from <addr> lookup T                      proto 109
//! ```
//!
//! The 4210 rule lets the main table answer for everything it routes more
//! precisely than by a default route (the LAN, other directly connected
//! networks): a reply from the WAN's address to a LAN host stays on the
//! LAN. The priorities 4200..=4299 are mpwan's: above mwan3's (1001..3250)
//! and below netifd's per-interface tables (10000 and up) and the main
//! table's rule (32766).
//!
//! Ownership: everything mpwan creates carries the routing protocol
//! [`PROTOCOL`] (109, unused by the kernel, iproute2, FRR, BIRD and
//! babeld; `ip` shows `proto 109`, or a name with an
//! `/etc/iproute2/rt_protos.d/mpwan.conf` holding `109 mpwan`). A new
//! instance after a crash or `mpwan restart` adopts what exists instead of
//! adding it twice, and [`RouteManager::cleanup`] removes only entries with
//! that protocol. A table should belong to mpwan alone: a route of another
//! protocol with the same destination and metric is replaced.
//!
//! Kept in step by calling `observe` then `apply` again: when the WAN's
//! address changes the `from` rules follow; when the main table's default
//! route out of the device changes, the table follows; when it disappears
//! from the main table (a hook steering LAN traffic away from a failed WAN,
//! say), the table keeps its own as long as the gateway still fits the
//! device, so the WAN's probes go on testing it; when the device goes, the
//! kernel removes the table's routes and the `oif` rule stays (it names the
//! device, and applies again when it returns). The agent should call them
//! on link, address and route changes and now and then.

mod entry;
mod error;
mod family;
mod manager;
mod plan;
mod status;
mod wan;

pub use entry::{ActualState, MAIN_TABLE, Rule, RuleSelector, TableRoute};
pub use error::{RouteError, Step};
pub use family::{Family, Gateway, Prefix};
pub use manager::{Failure, Report, RouteManager};
pub use plan::{RouteOp, RoutePlan, plan};
pub use status::{FamilyStatus, WanProblem, WanStatus};
pub use wan::WanRoutes;

/// The routing protocol number on every route and rule mpwan creates
/// (`rtm_protocol`, `FRA_PROTOCOL`): how mpwan tells its entries from
/// everyone else's.
pub const PROTOCOL: u8 = 109;

/// Priority of the `oif <device> lookup <table>` rules: sockets bound to a
/// WAN's device use its table first.
pub const PRIORITY_OIF: u32 = 4200;

/// Priority of the `from <addr> lookup main suppress_prefixlength 0`
/// rules: the main table keeps answering for its more specific routes.
pub const PRIORITY_FROM_MAIN: u32 = 4210;

/// Priority of the `from <addr> lookup <table>` rules.
pub const PRIORITY_FROM: u32 = 4220;
