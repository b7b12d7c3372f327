//! The control socket: a Unix stream socket (mode 0600) carrying one JSON
//! request line and one JSON response line per connection.
//!
//! ```text
//!  mpwan status ──connect──> server task ──(Request, oneshot)──> supervisor
//!               <──line────             <──────Response────────
//! ```

pub mod client;
pub mod protocol;
pub mod server;

pub use protocol::{Request, Response};
