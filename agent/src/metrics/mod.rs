//! Prometheus metrics on `[agent] metrics_listen`: rendered at scrape time
//! from the status the supervisor keeps, so `mpwan status --json` and the
//! metrics never disagree.
//!
//! ```text
//!  scraper ──GET /metrics──> server (one task per connection, at most 4,
//!                             │    bounded head, timeouts)
//!                             │ Request::Status (the control socket's path)
//!                             ▼
//!                          Supervisor ──Status (a copy)──> render ──> OpenMetrics text
//! ```
//!
//! The counters in the status are plain `u64`s kept by their owners (the
//! WAN tracker tasks, the BGP peer tasks, the hook runner), never atomics:
//! 32-bit MIPS routers have no 64-bit ones. See `render.rs` for why
//! prometheus-client's own metric types are not used.

mod bgp;
pub mod http;
pub mod render;
pub mod server;
mod wan;

pub use render::render;
pub use server::{MetricsListener, Serving};
