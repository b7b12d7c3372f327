//! Errors of the policy-routing driver. Each names the step that failed,
//! and through it the table, the device and the route or rule, plus the
//! kernel's errno and its own words where it gave them.

use std::fmt;
use std::io;
use std::time::Duration;

use super::entry::{Rule, TableRoute};
use super::family::Family;

/// What was being done when an error happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Opening the rtnetlink socket.
    Connect,
    /// Listing mpwan's routes of one family, in every table.
    DumpRoutes(Family),
    /// Listing mpwan's rules of one family.
    DumpRules(Family),
    /// Reading the main table's routes of one family out of a device.
    ReadMain {
        /// The family.
        family: Family,
        /// The device's index.
        ifindex: u32,
    },
    /// Looking a device up by name.
    FindDevice(String),
    /// Reading a device's addresses.
    ReadAddresses(String),
    /// Adding (or replacing) a route in a WAN's table.
    AddRoute {
        /// The route.
        route: TableRoute,
        /// Its device's name (or `#<ifindex>` when it is not known).
        device: String,
    },
    /// Removing a route from a table.
    DelRoute {
        /// The route.
        route: TableRoute,
        /// Its device's name (or `#<ifindex>` when it is not known).
        device: String,
    },
    /// Adding a rule.
    AddRule(Rule),
    /// Removing a rule.
    DelRule(Rule),
}

/// A route in words with its device named: `default via 192.0.2.1 dev
/// eth1 metric 0`.
fn route_words(route: &TableRoute, device: &str) -> String {
    let mut s = route.dst.to_string();
    if let Some(gw) = route.gateway {
        s += &format!(" via {gw}");
    }
    if route.oif.is_some() {
        s += &format!(" dev {device}");
    }
    s + &format!(" metric {}", route.metric)
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Connect => f.write_str("opening the rtnetlink socket"),
            Step::DumpRoutes(family) => write!(f, "listing mpwan's {family} routes"),
            Step::DumpRules(family) => write!(f, "listing mpwan's {family} rules"),
            Step::ReadMain { family, ifindex } => write!(
                f,
                "reading the main table's {family} routes out of device #{ifindex}"
            ),
            Step::FindDevice(dev) => write!(f, "looking up device {dev}"),
            Step::ReadAddresses(dev) => write!(f, "reading the addresses of {dev}"),
            Step::AddRoute { route, device } => write!(
                f,
                "adding route `{}` to table {} (dev {device})",
                route_words(route, device),
                route.table
            ),
            Step::DelRoute { route, device } => write!(
                f,
                "removing route `{}` from table {} (dev {device})",
                route_words(route, device),
                route.table
            ),
            Step::AddRule(rule) => write!(f, "adding {} rule `{rule}`", rule.family),
            Step::DelRule(rule) => write!(f, "removing {} rule `{rule}`", rule.family),
        }
    }
}

/// Errors of [`RouteManager`](super::RouteManager).
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The kernel refused a request.
    #[error("{step}: {}", kernel_text(*errno, message.as_deref()))]
    Kernel {
        /// What was being done.
        step: Step,
        /// Positive errno.
        errno: i32,
        /// The kernel's extended-ACK text.
        message: Option<String>,
    },
    /// Changing routes and rules needs CAP_NET_ADMIN.
    #[error("{step}: permission denied (CAP_NET_ADMIN is needed)")]
    PermissionDenied {
        /// What was being done.
        step: Step,
    },
    /// The kernel did not answer in time (it always should).
    #[error("{step}: no answer from the kernel within {after:?}")]
    Timeout {
        /// What was being done.
        step: Step,
        /// How long was waited.
        after: Duration,
    },
    /// The connection task was dropped or its socket failed.
    #[error("{step}: the rtnetlink connection is closed (was its future dropped?)")]
    ConnectionClosed {
        /// What was being done.
        step: Step,
    },
    /// The kernel answered with something this crate does not expect.
    #[error("{step}: unexpected answer from the kernel: {what}")]
    Unexpected {
        /// What was being done.
        step: Step,
        /// What came.
        what: String,
    },
    /// Socket I/O failed.
    #[error("{step}: {source}")]
    Io {
        /// What was being done.
        step: Step,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl RouteError {
    /// The kernel's errno, where the kernel refused.
    pub fn errno(&self) -> Option<i32> {
        match self {
            RouteError::Kernel { errno, .. } => Some(*errno),
            RouteError::PermissionDenied { .. } => Some(libc::EPERM),
            RouteError::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// What was being done.
    pub fn step(&self) -> &Step {
        match self {
            RouteError::Kernel { step, .. }
            | RouteError::PermissionDenied { step }
            | RouteError::Timeout { step, .. }
            | RouteError::ConnectionClosed { step }
            | RouteError::Unexpected { step, .. }
            | RouteError::Io { step, .. } => step,
        }
    }

    /// The error for a kernel refusal (`errno` positive) of `step`.
    pub(crate) fn from_kernel(step: Step, errno: i32, message: Option<String>) -> RouteError {
        match errno {
            libc::EPERM | libc::EACCES => RouteError::PermissionDenied { step },
            _ => RouteError::Kernel {
                step,
                errno,
                message,
            },
        }
    }
}

/// An errno in words, with the kernel's own text when it gave one.
fn kernel_text(errno: i32, message: Option<&str>) -> String {
    let words = match errno {
        libc::ENETUNREACH => "the gateway is not reachable on the device",
        libc::ENODEV => "no such device",
        libc::EEXIST => "it already exists",
        libc::ESRCH => "no such route",
        libc::ENOENT => "no such entry",
        libc::EINVAL => "the kernel rejected the request as invalid",
        libc::EOPNOTSUPP | libc::EAFNOSUPPORT => "not supported by this kernel",
        libc::ENOMEM | libc::ENOBUFS => "the kernel is out of memory",
        _ => "the kernel refused",
    };
    let os = io::Error::from_raw_os_error(errno);
    match message {
        Some(m) => format!("{words} ({os}; kernel says: {m})"),
        None => format!("{words} ({os})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::family::Prefix;

    #[test]
    fn errors_name_step_table_device_and_errno() {
        let route = TableRoute {
            table: 101,
            dst: Prefix::default_route(Family::V4),
            metric: 0,
            gateway: Some("192.0.2.1".parse().expect("address")),
            oif: Some(7),
            unusual: false,
        };
        let step = Step::AddRoute {
            route,
            device: "wan1".into(),
        };
        let e = RouteError::from_kernel(
            step,
            libc::ENETUNREACH,
            Some("Nexthop has invalid gateway".into()),
        );
        let text = e.to_string();
        assert!(
            text.starts_with(
                "adding route `default via 192.0.2.1 dev wan1 metric 0` to table 101 (dev wan1): \
                 the gateway is not reachable on the device"
            ),
            "{text}"
        );
        assert!(
            text.contains("kernel says: Nexthop has invalid gateway"),
            "{text}"
        );
        assert_eq!(e.errno(), Some(libc::ENETUNREACH));

        let e = RouteError::from_kernel(Step::DumpRules(Family::V6), libc::EPERM, None);
        assert!(matches!(e, RouteError::PermissionDenied { .. }));
        assert_eq!(
            e.to_string(),
            "listing mpwan's IPv6 rules: permission denied (CAP_NET_ADMIN is needed)"
        );
    }
}
