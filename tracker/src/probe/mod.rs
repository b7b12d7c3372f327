//! Probe drivers: ICMP echo, DNS and HTTP(S), each leaving through its WAN
//! whatever the main routing table prefers (see [`Binding`]). They do the
//! I/O for the health machine and report one [`Outcome`] per target and
//! round; they decide nothing.
//!
//! ```text
//!  round driver (one per WAN and family)
//!    │ probe(target, seq, timeout) ─► IcmpProber ─ one socket per (device, family)
//!    │                                  ▲  receive task: decodes every datagram
//!    │                                  │  and wakes the waiter of (target, seq)
//!    │ probe(server, name, timeout) ─► DnsProber  ─ a fresh UDP socket per probe
//!    │ probe(url, status, timeout) ──► HttpProber ─ one reqwest client per WAN,
//!    ▼                                              a fresh connection per probe
//!  Outcome { Reply { rtt } | Timeout | Error(kind) }
//! ```
//!
//! Every prober must be created and used inside a tokio runtime (it
//! registers its sockets with it; the ICMP prober spawns its receive task).

mod binding;
mod dns;
mod error;
mod http;
mod icmp;
mod random;
mod tls;

pub use binding::Binding;
pub use dns::{DnsProber, DnsRecordType};
pub use error::ProbeError;
pub use http::HttpProber;
pub use icmp::{IcmpProber, IcmpSocketKind};

pub use crate::events::{ErrorKind, Family, Outcome};
