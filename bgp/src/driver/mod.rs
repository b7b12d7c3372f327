//! The tokio driver of the BGP session: sockets, timers and the channels
//! to the agent around the sans-IO [`Session`](crate::session::Session).
//!
//! ```text
//!                  Listener::run (one task)
//!   accept v4/v6 ──► by remote address ──► PeerCommand::Inbound ─┐
//!   (MD5 keys of every peer on the listening sockets)            │
//!                                                                ▼
//!  agent ── PeerCommand (Stop, Send, SendRaw, RoutesReady, Status) ──► run_peer (one task per peer)
//!  agent ◄── PeerEvent (Established, Down, RibChanged, RouteRefresh) ──┘   │ owns the Session
//!                                                                          │
//!            per connection: reader task ── bytes ──► framed, decoded one at a time
//!                            writer task ◄── encoded messages, Close
//!            connect task (MD5 + GTSM before the SYN) ── stream ──► TcpConnected
//! ```
//!
//! Every child task lives in the peer task's `JoinSet`, so ending the
//! peer task (or a panic in it) takes its sockets with it.

mod conn;
mod counts;
mod error;
mod listener;
mod peer;
mod sockopt;
mod transport;

pub use error::DriverError;
pub use listener::{Listener, ListenerPeer};
pub use peer::{PeerCommand, PeerEvent, run_peer};
pub use sockopt::{MD5_MAX_KEY_LEN, min_ttl, set_gtsm, set_md5};
pub use transport::TransportConfig;
