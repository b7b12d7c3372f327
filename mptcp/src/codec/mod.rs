//! Pure encode/decode of the `mptcp_pm` generic netlink messages: no
//! sockets, no I/O. Commands and their replies travel as [`PmMessage`]
//! (the payload of a `GenlMessage`), events have their own decoder
//! ([`event`]), controller replies and error texts theirs.
//!
//! FLUSH_ADDRS is not encoded on purpose: it deletes every endpoint of the
//! namespace, other owners' too, and resets `add_addr_accepted`; the
//! daemon repairs endpoint by endpoint instead.

pub mod addr;
pub mod consts;
pub mod event;
pub mod extack;
pub mod family;
pub mod message;
mod nla;
mod reply;
pub mod request;

#[cfg(all(test, target_endian = "little"))]
mod tests;

pub use addr::{AddrAttr, InvalidEndpoint};
pub use message::{PmAttr, PmCommand, PmMessage};
