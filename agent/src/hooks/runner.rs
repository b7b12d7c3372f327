//! The runner: per-WAN queues and one worker task per WAN with events
//! waiting; see the module diagram in `hooks/mod.rs`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::task::JoinSet;

use super::discover;
use super::event::HookEvent;
use super::exec::{self, Outcome};
use super::queue::{EventQueue, MAX_PENDING, Pushed};
use super::stats::HookStats;

/// Runs the hooks; owned by the supervisor. Dropping it kills the process
/// groups of running hooks at once; `shutdown` lets them finish first.
pub struct HookRunner {
    shared: Arc<Shared>,
}

/// The tracker's side: `submit` only. Cheap to clone, one per WAN task.
#[derive(Clone)]
pub struct HookSubmitter {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Where workers are spawned: `submit` may be called from any thread.
    runtime: Handle,
}

struct State {
    /// Read at the start of each event, so a reload applies from the next.
    dir: PathBuf,
    /// Read at the start of each event, like `dir`.
    timeout: Duration,
    /// Whether "no hooks directory" was logged: once, not once per event.
    missing_dir_logged: bool,
    /// A WAN has an entry exactly while its worker runs; the worker removes
    /// it, under this lock, when it finds the queue empty, so a `submit`
    /// either reaches a live worker or starts a new one.
    wans: HashMap<String, EventQueue>,
    /// The workers, for `shutdown` to wait on and `drop` to abort.
    workers: JoinSet<()>,
    stats: HookStats,
    /// Set by `shutdown` and `drop`: no new events, no further hooks.
    closed: bool,
}

impl HookRunner {
    /// A runner for the hooks in `hooks_dir`, each killed after `timeout`.
    /// Nothing runs until the first `submit`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like `tokio::spawn`.
    pub fn spawn(hooks_dir: PathBuf, timeout: Duration) -> HookRunner {
        let state = State {
            dir: hooks_dir,
            timeout,
            missing_dir_logged: false,
            wans: HashMap::new(),
            workers: JoinSet::new(),
            stats: HookStats::default(),
            closed: false,
        };
        let shared = Shared {
            state: Mutex::new(state),
            runtime: Handle::current(),
        };
        HookRunner {
            shared: Arc::new(shared),
        }
    }

    /// A handle for the trackers.
    pub fn submitter(&self) -> HookSubmitter {
        HookSubmitter {
            shared: self.shared.clone(),
        }
    }

    /// Same as `HookSubmitter::submit`.
    pub fn submit(&self, ev: HookEvent) {
        submit(&self.shared, ev);
    }

    /// New directory and timeout after a reload; they apply from the next
    /// event each WAN starts (hooks of an event already started keep the old
    /// ones).
    pub fn reconfigure(&self, hooks_dir: PathBuf, timeout: Duration) {
        let mut st = lock(&self.shared);
        if st.dir != hooks_dir {
            st.missing_dir_logged = false;
        }
        st.dir = hooks_dir;
        st.timeout = timeout;
    }

    /// Run counters so far.
    pub fn stats(&self) -> HookStats {
        lock(&self.shared).stats
    }

    /// Stops taking events, discards the ones waiting, and waits for each
    /// WAN's running hook to end (at most its timeout); the other hooks of
    /// that event are not started.
    pub async fn shutdown(self) {
        let mut workers = {
            let mut st = lock(&self.shared);
            st.closed = true;
            let waiting: usize = st.wans.values().map(EventQueue::len).sum();
            if waiting > 0 {
                tracing::info!(
                    events = waiting,
                    "hooks: shutting down; waiting events not run"
                );
            }
            std::mem::take(&mut st.workers)
        };
        while let Some(res) = workers.join_next().await {
            log_worker_end(res);
        }
    }
}

impl Drop for HookRunner {
    fn drop(&mut self) {
        let workers = {
            let mut st = lock(&self.shared);
            st.closed = true;
            std::mem::take(&mut st.workers)
        };
        // Outside the lock: aborting drops each worker's future, whose
        // cleanup takes the lock and kills its hook's process group.
        drop(workers);
    }
}

impl HookSubmitter {
    /// Queues `ev` for the hooks of its WAN and returns at once: no await,
    /// no I/O, only a short mutex hold. Events of one WAN reach the hooks in
    /// order; when more than `MAX_PENDING` wait, the oldest are dropped
    /// (with a warning), never the newest. Ignored after shutdown.
    pub fn submit(&self, ev: HookEvent) {
        submit(&self.shared, ev);
    }
}

fn submit(shared: &Arc<Shared>, ev: HookEvent) {
    let mut guard = lock(shared);
    let st = &mut *guard;
    if st.closed {
        tracing::debug!(wan = %ev.wan, "hooks: stopped; event ignored");
        return;
    }
    if let Some(queue) = st.wans.get_mut(&ev.wan) {
        let wan = ev.wan.clone();
        if let Pushed::DroppedOldest { first } = queue.push(ev) {
            st.stats.count_dropped(1);
            if first {
                tracing::warn!(wan = %wan, limit = MAX_PENDING, "hooks: too many events waiting; dropping the oldest");
            }
        }
        return;
    }
    // Finished workers stay in the set until collected.
    while let Some(res) = st.workers.try_join_next() {
        log_worker_end(res);
    }
    let wan = ev.wan.clone();
    let mut queue = EventQueue::new(MAX_PENDING);
    queue.push(ev);
    st.wans.insert(wan.clone(), queue);
    st.workers
        .spawn_on(worker(shared.clone(), wan), &shared.runtime);
}

/// Runs the events of `wan` one after another until its queue is empty.
async fn worker(shared: Arc<Shared>, wan: String) {
    let mut slot = Slot {
        shared: &shared,
        wan: &wan,
        released: false,
    };
    loop {
        let (ev, dropped, dir, timeout) = {
            let mut guard = lock(&shared);
            let st = &mut *guard;
            let next = if st.closed {
                None
            } else {
                st.wans.get_mut(&wan).and_then(EventQueue::pop)
            };
            let Some((ev, dropped)) = next else {
                st.wans.remove(&wan);
                slot.released = true;
                return;
            };
            (ev, dropped, st.dir.clone(), st.timeout)
        };
        if dropped > 0 {
            tracing::warn!(wan = %wan, dropped, "hooks: events dropped unrun while the queue was full");
        }
        run_event(&shared, &ev, dir, timeout).await;
    }
}

/// Removes a worker's queue if the worker ends without doing so itself
/// (aborted by the runner's drop, or a bug panicked it), so a later event
/// starts a fresh worker instead of waiting on a dead one.
struct Slot<'a> {
    shared: &'a Shared,
    wan: &'a str,
    released: bool,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if !self.released {
            lock(self.shared).wans.remove(self.wan);
        }
    }
}

/// Runs every hook in `dir` for `ev`, one at a time, in name order.
async fn run_event(shared: &Shared, ev: &HookEvent, dir: PathBuf, timeout: Duration) {
    tracing::debug!(wan = %ev.wan, event = %ev.event, state = %ev.state, prev_state = %ev.prev_state, "hooks: event");
    let hooks = match discover::list(&dir) {
        Ok(hooks) => {
            lock(shared).missing_dir_logged = false;
            hooks
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let first = !std::mem::replace(&mut lock(shared).missing_dir_logged, true);
            if first {
                tracing::debug!(dir = %dir.display(), "hooks: no hooks directory; no hooks run");
            }
            return;
        }
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "hooks: cannot read the hooks directory");
            return;
        }
    };
    let env = ev.environment();
    for hook in &hooks {
        if lock(shared).closed {
            return;
        }
        tracing::debug!(hook = %hook.name, wan = %ev.wan, state = %ev.state, "hook: running");
        let outcome = exec::run(hook, &ev.wan, &env, timeout).await;
        match &outcome {
            Outcome::Exited(s) if s.success() => {
                tracing::debug!(hook = %hook.name, wan = %ev.wan, "hook: done");
            }
            Outcome::Exited(s) => {
                tracing::warn!(hook = %hook.name, wan = %ev.wan, status = %s, "hook: failed");
            }
            Outcome::TimedOut => {
                tracing::warn!(hook = %hook.name, wan = %ev.wan, timeout = ?timeout, "hook: timed out; killed its process group");
            }
            Outcome::Failed(e) => {
                tracing::warn!(hook = %hook.name, wan = %ev.wan, error = %e, "hook: failed");
            }
        }
        lock(shared).stats.count(outcome.class());
    }
}

fn log_worker_end(res: Result<(), tokio::task::JoinError>) {
    if let Err(e) = res
        && e.is_panic()
    {
        tracing::error!(error = %e, "hooks: a worker panicked; its WAN's waiting events are lost");
    }
}

/// The state, even after a panic elsewhere poisoned the lock: every update
/// under it is a single assignment or counter step, never half done.
fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.state.lock().unwrap_or_else(PoisonError::into_inner)
}
