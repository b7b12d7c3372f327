//! Latency and loss over the sliding window: the numbers that explain a
//! transition and that `mpwan status` and the hooks show.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Latency and loss measured over a window of rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Quality {
    /// Mean round-trip time of the replies in the window (only replies that
    /// came within `timeout`); `None` when the window holds no reply.
    pub rtt_avg: Option<Duration>,
    /// Probes in the window that got no reply within `timeout`.
    pub lost: u32,
    /// Probes in the window: rounds times targets.
    pub sent: u32,
}

impl Quality {
    /// Loss in percent, for display; `None` before anything was sent.
    /// Decisions never use this float: they compare `lost * 100` with
    /// `limit * sent` in integers, so a loss exactly at a limit is exact.
    pub fn loss_percent(&self) -> Option<f64> {
        (self.sent > 0).then(|| f64::from(self.lost) * 100.0 / f64::from(self.sent))
    }

    /// Mean RTT in milliseconds, for display.
    pub fn rtt_avg_ms(&self) -> Option<f64> {
        self.rtt_avg.map(|d| d.as_secs_f64() * 1000.0)
    }

    /// The quality of several windows taken together: loss adds up, and the
    /// mean RTT is weighted by the number of replies behind each mean.
    pub fn combine<'a>(parts: impl IntoIterator<Item = &'a Quality>) -> Quality {
        let mut lost = 0u32;
        let mut sent = 0u32;
        let mut replies = 0u32;
        let mut rtt_sum = Duration::ZERO;
        for q in parts {
            lost = lost.saturating_add(q.lost);
            sent = sent.saturating_add(q.sent);
            if let Some(avg) = q.rtt_avg {
                let n = q.sent.saturating_sub(q.lost);
                replies = replies.saturating_add(n);
                rtt_sum = rtt_sum.saturating_add(avg.saturating_mul(n));
            }
        }
        let rtt_avg = rtt_sum.checked_div(replies);
        Quality {
            rtt_avg,
            lost,
            sent,
        }
    }
}
