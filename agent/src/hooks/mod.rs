//! Hooks: every executable in `hooks_dir`, in lexical order, on every WAN
//! transition, with a clean environment that `mwan3.user` scripts
//! understand. Unlike mwan3 and omr-tracker, a hook never blocks the
//! tracker: `submit` only queues.
//!
//! ```text
//!  tracker task (per WAN) ── submit(ev) ──> per-WAN EventQueue (bound 64,
//!                                            std mutex, never awaited)
//!                                                │ an idle WAN's first event
//!                                                ▼ spawns its worker
//!                                           worker task (one per busy WAN)
//!                                                │ per event: list hooks_dir,
//!                                                ▼ then one hook at a time
//!                                           exec::run: own process group,
//!                                            env_clear, output -> log,
//!                                            killpg(SIGKILL) at the timeout
//! ```
//!
//! One WAN's events run in order; WANs run independently, so a stuck hook
//! delays only its own WAN, by at most `hook_timeout` per hook.

pub mod discover;
pub mod event;
pub mod exec;
pub mod output;
pub mod queue;
pub mod runner;
pub mod stats;

pub use event::HookEvent;
pub use runner::{HookRunner, HookSubmitter};
pub use stats::HookStats;
