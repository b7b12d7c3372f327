//! The thin tokio driver: runs a [`Reconciler`] against this namespace's
//! kernel.
//!
//! ```text
//!  inputs: mpsc<SlotInput> ──┐
//!  PmEvents (own socket) ────┼─> Reconciler::handle ─> actions ─> PmClient ─> kernel
//!  sleep_until(deadline) ────┘        ▲   │                          │
//!                                     │   └─> status: watch<Vec<SlotStatus>>
//!                                     └──── Done / Dumped ◄───────────┘
//! ```
//!
//! One task; actions run one after another in the order the reconciler
//! gave them (the kernel answers each in well under a millisecond), so
//! their answers come back in order too.
//!
//! Subflows of connections older than the driver sent no event it saw: the
//! first GET_ADDR dump after each event subscription is followed by a
//! `sock_diag` dump of the kernel's live subflows ([`Event::Subflows`]).
//! Taken after subscribing, it misses nothing: a subflow that closes
//! meanwhile is gone from the dump or its close event follows. A failed or
//! slow dump (bounded by [`SEED_TIMEOUT`] and [`SEED_LIMIT`]) only logs a
//! warning: counts then start from the events alone.
//!
//! If MPTCP is missing from the kernel or `net.mptcp.enabled` is 0, the
//! driver logs one error and answers every action with a failure instead
//! of sending it: status shows the reason, the caller keeps tracking, and
//! the reconciler's retries (at most `retry_max` apart) look again.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::client::diag::dump_subflows;
use crate::client::{PmClient, PmEvents, require_enabled};
use crate::error::Error;

use super::action::Action;
use super::error::ReconcileError;
use super::event::{Event, FailureKind, OpFailure};
use super::params::ReconcileParams;
use super::reconciler::Reconciler;
use super::slot::{SlotInput, SlotSpec};
use super::status::SlotStatus;

/// The `sock_diag` dump of live subflows gives up after this long.
const SEED_TIMEOUT: Duration = Duration::from_secs(2);
/// At most this many live subflows are read from `sock_diag`.
const SEED_LIMIT: usize = 8192;

/// Keeps the endpoints of `slots` as `inputs` say, publishing every change
/// of their status on `status`, until `inputs` is closed. Endpoints stay in
/// the kernel when it returns, so a restarted daemon takes them over
/// without tearing down a subflow.
///
/// Must be created and polled inside a tokio runtime (with time enabled)
/// whose threads are in the network namespace to manage: the netlink
/// sockets it opens, and `/proc/sys/net/mptcp`, belong to the namespace of
/// the thread that opens them. Fails at once only on invalid slots or
/// parameters.
pub async fn run(
    slots: Vec<SlotSpec>,
    params: ReconcileParams,
    mut inputs: mpsc::Receiver<SlotInput>,
    status: watch::Sender<Vec<SlotStatus>>,
) -> Result<(), ReconcileError> {
    let mut core = Reconciler::new(slots, params, now())?;
    let mut kernel = Kernel::default();
    let mut queue = VecDeque::from([Event::Tick]);
    let mut published: Option<Vec<SlotStatus>> = None;
    loop {
        while let Some(event) = queue.pop_front() {
            for action in core.handle(event, now()) {
                let answer = kernel.execute(action).await;
                let dumped = matches!(answer, Event::Dumped { .. });
                queue.push_back(answer);
                if dumped && let Some(seed) = kernel.seed().await {
                    queue.push_back(seed);
                }
            }
        }
        let snapshot = core.snapshot();
        if published.as_ref() != Some(&snapshot) {
            status.send_replace(snapshot.clone());
            published = Some(snapshot);
        }
        let deadline = core.next_deadline();
        tokio::select! {
            input = inputs.recv() => match input {
                Some(input) => queue.push_back(Event::SlotChanged(input)),
                None => return Ok(()),
            },
            event = kernel.next_event() => queue.push_back(event),
            () = sleep_until(deadline) => queue.push_back(Event::Tick),
        }
    }
}

/// The driver's side of the kernel: a command client and an event
/// subscription, made when first needed and remade after a failure.
#[derive(Default)]
struct Kernel {
    pm: Option<PmClient>,
    events: Option<PmEvents>,
    /// Why the kernel is left alone now; logged once when it begins.
    unavailable: Option<String>,
    /// Why there is no event subscription; logged once.
    events_error: Option<String>,
    /// A new subscription is up: read the live subflows after the next
    /// successful GET_ADDR dump.
    seed_due: bool,
}

impl Kernel {
    /// Runs `action` and returns its answer.
    async fn execute(&mut self, action: Action) -> Event {
        let op = action.op();
        tracing::debug!(?action, "MPTCP path manager");
        // A dump is the periodic moment to look at the sysctl again.
        let pm = match self.client(matches!(action, Action::Dump { .. })) {
            Ok(pm) => pm,
            Err(failure) => {
                return Event::Done {
                    op,
                    result: Err(failure),
                };
            }
        };
        let result = match action {
            Action::SetLimits { limits, .. } => pm.set_limits(limits).await,
            Action::Dump { .. } => match pm.dump_endpoints().await {
                Ok(endpoints) => return Event::Dumped { op, endpoints },
                Err(e) => Err(e),
            },
            Action::Add { endpoint, .. } => pm.add_endpoint(&endpoint).await,
            Action::Delete { id, .. } => pm.del_endpoint(id).await.map(drop),
            Action::SetFlags { id, flags, .. } => pm.set_flags(id, flags).await,
        };
        let result = result.map_err(|e| {
            if matches!(e, Error::ConnectionClosed { .. } | Error::Timeout { .. }) {
                // Open a fresh connection for the next action.
                self.pm = None;
            }
            OpFailure::from(&e)
        });
        Event::Done { op, result }
    }

    /// The client, made if need be; `recheck` reads `net.mptcp.enabled`
    /// even when one exists.
    fn client(&mut self, recheck: bool) -> Result<PmClient, OpFailure> {
        if (recheck || self.pm.is_none())
            && let Err(e) = require_enabled()
        {
            self.pm = None;
            return Err(self.unavailable(&e));
        }
        let pm = match &self.pm {
            Some(pm) => pm.clone(),
            None => match PmClient::new() {
                Ok((pm, connection)) => {
                    tokio::spawn(connection);
                    self.pm = Some(pm.clone());
                    pm
                }
                Err(e) => return Err(self.unavailable(&e)),
            },
        };
        if self.unavailable.take().is_some() {
            tracing::info!("MPTCP is available again: managing endpoints");
        }
        if recheck && self.events.is_none() {
            self.subscribe();
        }
        Ok(pm)
    }

    fn unavailable(&mut self, e: &Error) -> OpFailure {
        let mut failure = OpFailure::from(e);
        if failure.kind == FailureKind::Other {
            // Nothing was sent: to the reconciler this is MPTCP unusable.
            failure.kind = FailureKind::Disabled;
        }
        if self.unavailable.as_deref() != Some(failure.message.as_str()) {
            tracing::error!(
                "{e}; MPTCP endpoints are left alone until this changes (checked again \
                 with every retry)"
            );
            self.unavailable = Some(failure.message.clone());
        }
        failure
    }

    fn subscribe(&mut self) {
        match PmEvents::subscribe() {
            Ok(events) => {
                self.events = Some(events);
                self.events_error = None;
                self.seed_due = true;
            }
            Err(e) => {
                let text = e.to_string();
                if self.events_error.as_deref() != Some(text.as_str()) {
                    tracing::warn!(
                        "{e}; MPTCP subflows are not counted and failed joins not retried"
                    );
                    self.events_error = Some(text);
                }
            }
        }
    }

    /// The kernel's live subflows, once per subscription, right after a
    /// successful GET_ADDR dump (so the reconciler knows the endpoints it
    /// adopted); `None` when not due or the dump failed.
    async fn seed(&mut self) -> Option<Event> {
        if !std::mem::take(&mut self.seed_due) {
            return None;
        }
        match dump_subflows(SEED_LIMIT, SEED_TIMEOUT).await {
            Ok(dump) => {
                if dump.truncated {
                    tracing::warn!(
                        found = dump.subflows.len(),
                        "too many sockets to list every live MPTCP subflow; some are not counted \
                         until their next event"
                    );
                }
                tracing::debug!(subflows = dump.subflows.len(), "live MPTCP subflows read");
                Some(Event::Subflows {
                    subflows: dump.subflows,
                })
            }
            Err(e) => {
                tracing::warn!(
                    "{e}; subflows of connections older than this process are not counted"
                );
                None
            }
        }
    }

    /// The next path-manager event; never resolves without a subscription.
    /// Cancel-safe ([`PmEvents::next`] is).
    async fn next_event(&mut self) -> Event {
        loop {
            let Some(events) = self.events.as_mut() else {
                return std::future::pending().await;
            };
            match events.next().await {
                Ok(event) => return Event::Pm(event),
                Err(Error::EventsLost { .. }) => return Event::EventsLost,
                Err(e @ Error::Decode { .. }) => {
                    tracing::debug!("MPTCP event skipped: {e}");
                }
                Err(e) => {
                    tracing::warn!("{e}; subscribing again at the next dump");
                    self.events = None;
                }
            }
        }
    }
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}
