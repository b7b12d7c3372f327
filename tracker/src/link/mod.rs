//! The link watcher: carrier, operational state and addresses of every
//! link, from rtnetlink. The only place in the product that listens to
//! rtnetlink links (STYLE.md, 5).
//!
//! ```text
//!  kernel ── RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR ──┐
//!                                                                    ▼
//!  netlink-proto connection task ── unbounded channel ──► LinkWatcher::next()
//!                                                          decode ─► LinkTable
//!  dump (at start, after an overrun) ─────────────────────► (changes only)
//!                                                              │
//!                                                              ▼ LinkEvent
//! ```
//!
//! Carrier loss travels from the kernel to the caller of `next()` without
//! a timer or a batch on the way; the consumer should run it in its own
//! task so that a busy probe round cannot delay it. The kernel itself may
//! send carrier loss up to a second late (see `poll.rs`);
//! [`LinkWatcher::poll_carrier`] finds it within a chosen interval instead.

mod decode;
mod device;
mod error;
mod event;
mod poll;
mod table;
mod watcher;

pub use device::{DeviceChange, DeviceView};
pub use error::LinkError;
pub use event::LinkEvent;
pub use watcher::LinkWatcher;
