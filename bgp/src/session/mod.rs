//! The BGP session: RFC 4271's FSM with Graceful Restart (RFC 4724,
//! RFC 8538, RFC 9494) in both roles and the Adj-RIB-In, as a sans-IO
//! state machine. No sockets, no clock, no tasks: a driver feeds events
//! with the current time and performs the actions.
//!
//! # Driving it (when to call what)
//!
//! One `Session` per configured neighbor, for the life of the process (it
//! holds the peer's routes across reconnects, which the helper role
//! needs). The driver owns the sockets: the listener, up to two TCP
//! connections per peer (one it opened, one the peer opened; collisions
//! are settled inside the session), TCP MD5 and GTSM.
//!
//! ```text
//! let mut s = Session::new(cfg)?;
//! perform(s.handle(Event::Start, now));
//! loop {
//!     select! {
//!         // the timer: sleep until s.next_deadline() (None: no timer)
//!         _ = sleep_until(deadline) => feed(Event::Tick),
//!         // Action::Connect started it:
//!         connected(sock) => feed(Event::TcpConnected { conn: new_id(), outbound: true }),
//!         connect_error => feed(Event::TcpFailed),
//!         // the listener, for a connection from cfg.peer_addr:
//!         accepted(sock) => feed(Event::TcpConnected { conn: new_id(), outbound: false }),
//!         // a connection's bytes: frame with Message::frame_len(buf, &s.codec(conn)),
//!         // decode ONE frame with s.codec(conn), feed it, perform, then the next
//!         // frame (the codec parameters change when the OPEN is handled):
//!         frame(conn) => feed(Event::Message(conn, msg) or Event::DecodeError(conn, e)),
//!         eof_or_error(conn) => feed(Event::TcpClosed(conn)),
//!         // the announcer finished writing the table of a family after Established:
//!         table_written(family) => feed(Event::RoutesReady(family)),
//!         // control socket, signals:
//!         command => feed(Event::Stop(kind) or Event::Start),
//!     }
//! }
//! // feed(e) = perform(s.handle(e, now)), then read next_deadline() again.
//! ```
//!
//! Performing the actions, in order:
//!
//! - `Connect`: open a TCP connection to the peer; report it as above.
//!   `AbortConnect`: drop the attempt, report nothing.
//! - `Send(conn, msg)`: `msg.encode(&s.codec(conn), &mut buf)`, write.
//! - `Close(conn)`: close after what was written (a NOTIFICATION must get
//!   out), report nothing more about `conn`.
//! - `Established(negotiated)`: the session is up on `negotiated.conn`.
//!   The announcer writes its UPDATEs there directly (the Adj-RIB-Out is
//!   not the session's: `UpdatePacker::new(negotiated.wire)` packs them),
//!   then feeds `RoutesReady(family)` per family; the session sends
//!   End-of-RIB after it, or after `selection_deferral` without it. After
//!   our own restart (`GrConfig::restarting`) this is the moment peers
//!   stop waiting: they drop the stale copies of routes not re-announced.
//! - `Down { .. }`: stop announcing. `RibChanged`: the Adj-RIB-In
//!   (`s.rib()`) changed. `RouteRefresh(family)`: re-send that table.
//!
//! Timers fire only on `Event::Tick`; a message arriving after a deadline
//! but before the tick still counts. Events about a connection the session
//! closed (unknown `ConnId`) are ignored.
//!
//! # Connection collisions
//!
//! An inbound connection is accepted while an outbound attempt runs; when
//! an OPEN arrives on one while the other is in OpenConfirm,
//! [`resolve_collision`] picks the survivor and the other gets Cease /
//! Connection Collision Resolution. Once one is established, the other is
//! closed. A new inbound connection while established is refused, unless
//! the peer has Graceful Restart: then it restarted (RFC 4724 4.2), the
//! old connection is dropped gracefully and the new one proceeds.

mod actions;
mod collision;
mod config;
mod conn;
mod events;
mod fsm;
mod gr;
mod negotiate;
mod rib_in;
mod status;
mod timers;

pub use actions::{Action, DownReason};
pub use collision::{KeepWhich, resolve_collision};
pub use config::{ConfigError, GrConfig, SessionConfig};
pub use events::{ConnId, Event, StopKind};
pub use fsm::Session;
pub use gr::{HelperPhase, HelperStatus};
pub use negotiate::{GrStatus, NegotiatedSession};
pub use rib_in::{AdjRibIn, Route, RouteAttrs, RouteState};
pub use status::{FamilyCount, MessageCounts, SessionStatus, State};
