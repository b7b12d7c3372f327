//! The probes waiting for an answer, keyed by (target, sequence): the
//! receive task wakes them, and a probe that gives up (timeout, or its
//! future dropped) takes its entry out again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::events::ErrorKind;

/// What the answer to a probe said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// An echo reply.
    Reply,
    /// An ICMP error about the request.
    Error(ErrorKind),
}

/// An answer and when the receive task read it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Answer {
    pub at: Instant,
    pub verdict: Verdict,
}

/// The table of waiting probes.
#[derive(Debug, Default)]
pub(super) struct Waiters {
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    /// Tells registrations under one key apart, so a probe that gave up
    /// can never remove a later probe's entry.
    next_token: u64,
    waiting: HashMap<(IpAddr, u16), (u64, oneshot::Sender<Answer>)>,
}

impl Waiters {
    fn lock(&self) -> MutexGuard<'_, Table> {
        // Nothing panics while holding the lock; if something did, the
        // table is still consistent (every change is one insert or remove).
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a probe of `target` with `seq`; `None` if one is waiting
    /// already.
    pub(super) fn register(&self, target: IpAddr, seq: u16) -> Option<Registration<'_>> {
        let mut t = self.lock();
        let key = (target, seq);
        if t.waiting.contains_key(&key) {
            return None;
        }
        let token = t.next_token;
        t.next_token = t.next_token.wrapping_add(1);
        let (tx, rx) = oneshot::channel();
        t.waiting.insert(key, (token, tx));
        Some(Registration {
            waiters: self,
            key,
            token,
            rx,
        })
    }

    /// Hands `verdict`, read at `at`, to the probe of `target` with `seq`,
    /// if one is waiting. Returns whether one was.
    pub(super) fn wake(&self, target: IpAddr, seq: u16, at: Instant, verdict: Verdict) -> bool {
        let entry = self.lock().waiting.remove(&(target, seq));
        // A failed send means the probe gave up just now: nothing to do.
        entry.is_some_and(|(_, tx)| tx.send(Answer { at, verdict }).is_ok())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().waiting.len()
    }
}

/// A waiting probe; dropping it unregisters it.
#[derive(Debug)]
pub(super) struct Registration<'a> {
    waiters: &'a Waiters,
    key: (IpAddr, u16),
    token: u64,
    rx: oneshot::Receiver<Answer>,
}

impl Registration<'_> {
    /// Waits for the answer; `None` if the table was dropped.
    pub(super) async fn answer(&mut self) -> Option<Answer> {
        (&mut self.rx).await.ok()
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut t = self.waiters.lock();
        if t.waiting
            .get(&self.key)
            .is_some_and(|(token, _)| *token == self.token)
        {
            t.waiting.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> IpAddr {
        "192.0.2.10".parse().unwrap()
    }

    #[tokio::test]
    async fn an_answer_reaches_its_probe_only() {
        let w = Waiters::default();
        let mut a = w.register(target(), 1).unwrap();
        let _b = w.register(target(), 2).unwrap();
        let at = Instant::now();
        assert!(w.wake(target(), 1, at, Verdict::Reply));
        assert!(
            !w.wake(target(), 1, at, Verdict::Reply),
            "answered once only"
        );
        assert!(!w.wake("192.0.2.11".parse().unwrap(), 2, at, Verdict::Reply));
        let answer = a.answer().await.unwrap();
        assert_eq!(answer.verdict, Verdict::Reply);
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn a_duplicate_is_refused_and_giving_up_unregisters() {
        let w = Waiters::default();
        let first = w.register(target(), 7).unwrap();
        assert!(w.register(target(), 7).is_none());
        drop(first);
        assert_eq!(w.len(), 0);
        assert!(w.register(target(), 7).is_some());
    }

    #[test]
    fn a_stale_registration_does_not_remove_a_later_one() {
        let w = Waiters::default();
        let first = w.register(target(), 7).unwrap();
        // Answered: the entry leaves the table, the registration lives on.
        assert!(w.wake(
            target(),
            7,
            Instant::now(),
            Verdict::Error(ErrorKind::Unreachable)
        ));
        let _second = w.register(target(), 7).unwrap();
        drop(first);
        assert_eq!(w.len(), 1);
    }
}
