//! Waiting for the lab to reach a state, with a deadline. The lab is a
//! driver, not a decision core: it waits on real processes and real
//! packets, so it reads the real clock, here and nowhere else.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};

/// How long the lab waits for anything it started or restored. Generous:
/// a healthy lab takes milliseconds, a loaded CI machine may take seconds.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// Pause between two attempts.
const RETRY: Duration = Duration::from_millis(20);

/// Calls `attempt` until it returns `Ok`, or fails after `within` with
/// `what` and the last error. `attempt` must itself be bounded in time
/// (socket timeouts, `ping -W`).
pub fn until<T>(what: &str, within: Duration, mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    let deadline = Clock::now()
        .checked_add(within)
        .ok_or_else(|| anyhow!("{what}: deadline {within:?} out of range"))?;
    loop {
        let error = match attempt() {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if error.is::<Hopeless>() {
            return Err(anyhow!("{what}: {error:#}"));
        }
        if Clock::now() >= deadline {
            return Err(anyhow!("{what}: not within {within:?}: {error:#}"));
        }
        std::thread::sleep(RETRY);
    }
}

/// An error that waiting cannot cure (the server being waited for has
/// exited): [`until`] returns it at once instead of retrying.
#[derive(Debug)]
pub struct Hopeless(pub String);

impl std::fmt::Display for Hopeless {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Hopeless {}

/// A stopwatch, for reporting how long a step took.
pub struct Clock(Instant);

impl Clock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the lab waits on real processes and packets: wall time is its input"
    )]
    pub fn now() -> Instant {
        Instant::now()
    }

    pub fn start() -> Clock {
        Clock(Clock::now())
    }

    pub fn elapsed(&self) -> Duration {
        Clock::now().saturating_duration_since(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_success_is_returned_and_failure_names_the_step() {
        assert_eq!(until("x", Duration::ZERO, || Ok(7)).unwrap(), 7);
        let mut attempts = 0;
        let e = until("pinging 192.0.2.1", Duration::ZERO, || -> Result<()> {
            attempts += 1;
            Err(anyhow!("no reply"))
        })
        .unwrap_err();
        assert_eq!(attempts, 1);
        let e = format!("{e:#}");
        assert!(
            e.starts_with("pinging 192.0.2.1: not within 0ns: no reply"),
            "{e}"
        );
    }
}
