//! The one place the agent reads the wall clock (for status timestamps);
//! decision cores get time passed in.

use std::time::SystemTime;

/// Now, in RFC 3339 UTC with seconds: "2026-11-22T03:04:05Z".
#[allow(clippy::disallowed_methods)] // the driver edge: see .clippy.toml
pub fn rfc3339_now() -> String {
    rfc3339(SystemTime::now())
}

pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The wall-clock time of a monotonic instant from the tracker, which
/// reads tokio's clock: now minus how long ago it was.
#[allow(clippy::disallowed_methods)] // the driver edge: see .clippy.toml
pub fn rfc3339_of(at: std::time::Instant) -> String {
    let ago = tokio::time::Instant::now()
        .into_std()
        .saturating_duration_since(at);
    let now = SystemTime::now();
    rfc3339(now.checked_sub(ago).unwrap_or(now))
}
