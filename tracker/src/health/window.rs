//! The sliding window of the last rounds: which targets answered, and how
//! fast. Latency and loss limits are judged on it, never on single replies.

use std::collections::VecDeque;
use std::time::Duration;

use crate::quality::Quality;

/// Which limits a window is above (strictly: a value equal to its limit is
/// within it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Breach {
    /// Mean RTT above the latency limit.
    pub latency: bool,
    /// Loss above the loss limit.
    pub loss: bool,
}

impl Breach {
    pub fn any(self) -> bool {
        self.latency || self.loss
    }
}

/// The last `capacity` rounds of one family. Each round holds one entry
/// per target, in the family's target order: the RTT of a reply that came
/// within `timeout`, or `None` for a lost probe.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    /// Rounds kept; the oldest is dropped when a round is pushed beyond it.
    capacity: usize,
    /// Oldest first.
    rounds: VecDeque<Box<[Option<Duration>]>>,
}

impl Window {
    pub fn new(capacity: u32) -> Window {
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
        Window {
            capacity,
            rounds: VecDeque::new(),
        }
    }

    /// Forgets every round: a family that is not usable starts its window
    /// afresh with each run of passed rounds, so the quality judged when it
    /// becomes usable is that of the run that proved it.
    pub fn clear(&mut self) {
        self.rounds.clear();
    }

    pub fn push(&mut self, answers: Box<[Option<Duration>]>) {
        while self.rounds.len() >= self.capacity {
            self.rounds.pop_front();
        }
        self.rounds.push_back(answers);
    }

    /// Mean RTT and loss over every target of every round in the window.
    pub fn quality(&self) -> Quality {
        self.summarise(|_| true)
    }

    /// Mean RTT and loss of the target at `index` alone.
    pub fn target_quality(&self, index: usize) -> Quality {
        self.summarise(|i| i == index)
    }

    /// Which of the two limits the window is above.
    pub fn above(&self, latency: Duration, loss_percent: u8) -> Breach {
        let (sum, replies, lost, sent) = self.totals(|_| true);
        // sum / replies > latency, without the rounding of a division.
        let latency = replies > 0
            && latency
                .checked_mul(replies)
                .is_some_and(|limit_total| sum > limit_total);
        // lost / sent > loss_percent / 100, in integers.
        let loss = sent > 0 && u64::from(lost) * 100 > u64::from(loss_percent) * u64::from(sent);
        Breach { latency, loss }
    }

    fn summarise(&self, wanted: impl Fn(usize) -> bool) -> Quality {
        let (sum, replies, lost, sent) = self.totals(wanted);
        Quality {
            rtt_avg: sum.checked_div(replies),
            lost,
            sent,
        }
    }

    /// (sum of RTTs, replies, lost, sent) over the targets `wanted` picks.
    fn totals(&self, wanted: impl Fn(usize) -> bool) -> (Duration, u32, u32, u32) {
        let mut sum = Duration::ZERO;
        let mut replies = 0u32;
        let mut lost = 0u32;
        let mut sent = 0u32;
        for round in &self.rounds {
            for (_, answer) in round.iter().enumerate().filter(|(i, _)| wanted(*i)) {
                sent = sent.saturating_add(1);
                match answer {
                    Some(rtt) => {
                        sum = sum.saturating_add(*rtt);
                        replies = replies.saturating_add(1);
                    }
                    None => lost = lost.saturating_add(1),
                }
            }
        }
        (sum, replies, lost, sent)
    }
}
