//! The kernel's MPTCP path manager over generic netlink (`mptcp_pm`): the
//! client, the endpoint reconciler and per-WAN policy routing.
#![forbid(unsafe_code)]
