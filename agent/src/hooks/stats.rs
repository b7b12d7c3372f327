//! Counters of hook runs, for the metrics listener. Plain u64 behind the
//! runner's mutex: no 64-bit atomics on 32-bit MIPS routers.

use serde::{Deserialize, Serialize};

/// Totals since the runner started; they saturate instead of wrapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookStats {
    /// Hooks that exited with status 0.
    pub ok: u64,
    /// Hooks that exited non-zero, died of a signal, or could not be started.
    pub failed: u64,
    /// Hooks killed at `hook_timeout`.
    pub timed_out: u64,
    /// Events dropped unrun because their WAN's queue was full.
    pub dropped: u64,
}

/// How one hook run ended, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunClass {
    Ok,
    Failed,
    TimedOut,
}

impl HookStats {
    pub fn count(&mut self, class: RunClass) {
        let c = match class {
            RunClass::Ok => &mut self.ok,
            RunClass::Failed => &mut self.failed,
            RunClass::TimedOut => &mut self.timed_out,
        };
        *c = c.saturating_add(1);
    }

    pub fn count_dropped(&mut self, n: u64) {
        self.dropped = self.dropped.saturating_add(n);
    }
}
