//! The tokio driver: dumps what carries mpwan's protocol, plans, and
//! carries the plan out over one rtnetlink connection.
//!
//! ```text
//!  RouteManager ──requests──> Connection future ──> kernel (rtnetlink)
//!       ^                     (spawned by the caller)      │
//!       └──────── replies, ACKs, errors, extack text ◄─────┘
//!
//!  apply(desired): dump routes + rules with PROTOCOL ─> plan() ─> ops,
//!                  one request each; a failed op is reported, not fatal
//! ```
//!
//! Everything acts on the network namespace of the thread that creates the
//! manager, which must be inside a tokio runtime.

mod decode;
mod encode;
mod exchange;
mod observe;
mod report;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;

use rtnetlink::Handle;
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::packet_route::route::RouteMessage;
use rtnetlink::packet_route::rule::RuleMessage;

pub use report::{Failure, Report};

use super::entry::{ActualState, Rule, TableRoute};
use super::error::{RouteError, Step};
use super::family::Family;
use super::plan::{RouteOp, plan};
use super::status::FamilyStatus;
use super::wan::WanRoutes;
use exchange::{ADD_EXCL, ADD_REPLACE, DELETE};

/// Keeps each WAN's policy routing table and rules as the planner wants
/// them. Cheap to keep for the daemon's lifetime; adopts what an earlier
/// instance left (everything with [`PROTOCOL`](super::PROTOCOL)).
#[derive(Debug)]
pub struct RouteManager {
    /// Sends requests to the connection task and hands back its answers.
    handle: Handle,
}

/// mpwan's routes and rules as dumped: each with the message the kernel
/// sent, which names it exactly for a deletion.
#[derive(Debug, Default)]
struct Dump {
    routes: Vec<(TableRoute, Option<RouteMessage>)>,
    rules: Vec<(Rule, Option<RuleMessage>)>,
}

impl Dump {
    fn state(&self) -> ActualState {
        ActualState {
            routes: self.routes.iter().map(|(r, _)| r.clone()).collect(),
            rules: self.rules.iter().map(|(r, _)| r.clone()).collect(),
        }
    }

    /// The dumped message of `route`, each message handed out once.
    fn take_route(&mut self, route: &TableRoute) -> Option<RouteMessage> {
        self.routes
            .iter_mut()
            .find(|(r, m)| r == route && m.is_some())
            .and_then(|(_, m)| m.take())
    }

    /// The dumped message of `rule`, each message handed out once.
    fn take_rule(&mut self, rule: &Rule) -> Option<RuleMessage> {
        self.rules
            .iter_mut()
            .find(|(r, m)| r == rule && m.is_some())
            .and_then(|(_, m)| m.take())
    }
}

impl RouteManager {
    /// Opens the rtnetlink connection (with `NETLINK_GET_STRICT_CHK`, so
    /// the kernel filters dumps, and extended ACKs, so refusals come with
    /// the kernel's words). The returned future is the connection: spawn
    /// it (`tokio::spawn`) and keep it running while the manager is used;
    /// it ends when the manager is dropped.
    pub fn new() -> Result<(RouteManager, impl Future<Output = ()> + Send + 'static), RouteError> {
        let io = |source| RouteError::Io {
            step: Step::Connect,
            source,
        };
        let (mut connection, handle, _unsolicited) =
            rtnetlink::new_connection_with_strict_check().map_err(io)?;
        // Hand ACKs and NLMSG_DONE to the caller too: they tell a finished
        // exchange from one cut short by a dead connection.
        connection.set_forward_ack(true);
        connection.set_forward_done(true);
        let socket = rtnetlink::sys::AsyncSocket::socket_ref(connection.socket_mut());
        socket.set_ext_ack(true).map_err(io)?;
        // Errors then echo only the request's header, not the request.
        socket.set_cap_ack(true).map_err(io)?;
        Ok((RouteManager { handle }, connection))
    }

    /// What the kernel holds with mpwan's protocol now.
    pub async fn actual(&self) -> Result<ActualState, RouteError> {
        Ok(self.dump_ours().await?.state())
    }

    /// Makes the kernel hold what `desired` wants: dumps mpwan's routes and
    /// rules, plans ([`plan`](super::plan)), and carries out every
    /// operation. An operation the kernel refuses is reported in
    /// [`Report::failed`] (and in its WAN's status) while the others go
    /// on; only a failed dump fails the whole call. Running it again with
    /// the same input changes nothing.
    pub async fn apply(&mut self, desired: &[WanRoutes]) -> Result<Report, RouteError> {
        let mut dump = self.dump_ours().await?;
        let plan = plan(desired, &dump.state());
        let devices: HashMap<u32, &str> = desired
            .iter()
            .filter_map(|w| w.ifindex.map(|i| (i, w.device.as_str())))
            .collect();
        let mut report = Report {
            wans: plan.wans,
            ..Report::default()
        };
        for op in plan.ops {
            match self.execute(&op, &mut dump, &devices).await {
                Ok(()) => {
                    tracing::info!(%op, "policy routing");
                    report.done.push(op);
                }
                Err(error) => {
                    tracing::warn!(%op, "policy routing: {error}");
                    mark_failed(&mut report, &op, &error);
                    report.failed.push(Failure { op, error });
                }
            }
        }
        Ok(report)
    }

    /// Removes every route and rule with mpwan's protocol, and nothing
    /// else. Missing entries are fine; a deletion the kernel refuses is in
    /// [`Report::failed`].
    pub async fn cleanup(&mut self) -> Result<Report, RouteError> {
        self.apply(&[]).await
    }

    /// Carries out one operation. Deleting what is already gone and adding
    /// a rule that already exists count as done.
    async fn execute(
        &self,
        op: &RouteOp,
        dump: &mut Dump,
        devices: &HashMap<u32, &str>,
    ) -> Result<(), RouteError> {
        let device = |route: &TableRoute| match route.oif {
            Some(i) => devices
                .get(&i)
                .map_or_else(|| format!("#{i}"), |d| (*d).to_owned()),
            None => "none".to_owned(),
        };
        match op {
            RouteOp::AddRoute { route } | RouteOp::ReplaceRoute { new: route, .. } => {
                let step = Step::AddRoute {
                    route: route.clone(),
                    device: device(route),
                };
                let message = RouteNetlinkMessage::NewRoute(encode::new_route(route));
                self.change(&step, message, ADD_REPLACE).await
            }
            RouteOp::DelRoute { route } => {
                let step = Step::DelRoute {
                    route: route.clone(),
                    device: device(route),
                };
                let dumped = dump.take_route(route);
                let message =
                    RouteNetlinkMessage::DelRoute(encode::del_route(route, dumped.as_ref()));
                let result = self.change(&step, message, DELETE).await;
                forgive(result, libc::ESRCH)
            }
            RouteOp::AddRule { rule } => {
                let step = Step::AddRule(rule.clone());
                let Some(message) = encode::new_rule(rule) else {
                    return Err(RouteError::Unexpected {
                        step,
                        what: "a rule of a shape mpwan does not make".into(),
                    });
                };
                let result = self
                    .change(&step, RouteNetlinkMessage::NewRule(message), ADD_EXCL)
                    .await;
                forgive(result, libc::EEXIST)
            }
            RouteOp::DelRule { rule } => {
                let step = Step::DelRule(rule.clone());
                let dumped = dump.take_rule(rule);
                let Some(message) = encode::del_rule(rule, dumped.as_ref()) else {
                    return Err(RouteError::Unexpected {
                        step,
                        what: "no dumped message names this rule".into(),
                    });
                };
                let result = self
                    .change(&step, RouteNetlinkMessage::DelRule(message), DELETE)
                    .await;
                forgive(result, libc::ENOENT)
            }
        }
    }

    /// mpwan's routes (both families, every table) and rules.
    async fn dump_ours(&self) -> Result<Dump, RouteError> {
        let mut dump = Dump::default();
        for family in Family::ALL {
            let step = Step::DumpRoutes(family);
            let request = RouteNetlinkMessage::GetRoute(encode::dump_ours(family));
            for message in self.dump(&step, request).await? {
                if let RouteNetlinkMessage::NewRoute(m) = message
                    && decode::is_ours_route(&m)
                    && let Some(route) = decode::table_route(&m)
                {
                    dump.routes.push((route, Some(m)));
                }
            }
            let step = Step::DumpRules(family);
            let request = RouteNetlinkMessage::GetRule(encode::dump_rules(family));
            for message in self.dump(&step, request).await? {
                if let RouteNetlinkMessage::NewRule(m) = message
                    && decode::is_ours_rule(&m)
                    && let Some(rule) = decode::rule(&m)
                {
                    dump.rules.push((rule, Some(m)));
                }
            }
        }
        Ok(dump)
    }
}

/// `result`, with the one errno that means "already as wanted" turned into
/// success (deletes are idempotent, identical rules are not added twice).
fn forgive(result: Result<(), RouteError>, errno: i32) -> Result<(), RouteError> {
    match result {
        Err(e) if e.errno() == Some(errno) => Ok(()),
        other => other,
    }
}

/// A default route that could not be added makes its WAN's family
/// [`FamilyStatus::Failed`].
fn mark_failed(report: &mut Report, op: &RouteOp, error: &RouteError) {
    let (RouteOp::AddRoute { route } | RouteOp::ReplaceRoute { new: route, .. }) = op else {
        return;
    };
    if !route.dst.is_default() {
        return;
    }
    if let Some(wan) = report
        .wans
        .iter_mut()
        .find(|w| w.problem.is_none() && w.table == route.table)
    {
        *wan.family_mut(route.family()) = FamilyStatus::Failed {
            reason: error.to_string(),
        };
    }
}
