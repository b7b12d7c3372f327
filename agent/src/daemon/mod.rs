//! `mpwan agent`: the daemon in the foreground.
//!
//! ```text
//!  main ── claim lock + socket ── current-thread runtime
//!             │
//!             ├─ control::server::serve ──(Pending)──┐
//!             └─ Supervisor::run <── signals ─────────┘
//!                    │
//!                    └─ Exit::Stop → remove socket, exit 0
//!                       Exit::Restart → exec the installed binary (same pid)
//! ```

pub mod bgp;
pub mod instance;
pub mod links;
pub mod mptcp;
mod next_hop;
pub mod notify;
pub mod routes;
pub mod supervisor;
pub mod wans;

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use anyhow::{Context, Result};
use tokio::sync::mpsc;

use crate::config::Config;
use instance::Instance;
use supervisor::{Exit, Supervisor};

/// What the process needs to re-execute itself: the installed binary's path
/// as it was at start (after an upgrade the path holds the new binary) and
/// the original arguments.
#[derive(Debug, Clone)]
pub struct Reexec {
    pub exe: PathBuf,
    pub args: Vec<OsString>,
}

impl Reexec {
    /// Captured at start, before anything can replace the binary.
    pub fn capture() -> Result<Reexec> {
        let exe = std::env::current_exe().context("finding our own executable")?;
        Ok(Reexec {
            exe,
            args: std::env::args_os().skip(1).collect(),
        })
    }
}

/// Runs the daemon with a loaded configuration until it stops; on restart
/// it does not return (the process image is replaced).
pub fn run(config: Config, reexec: Reexec) -> Result<()> {
    // Everything the daemon creates (socket, state files) is private.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    std::fs::create_dir_all(&config.agent.state_dir).with_context(|| {
        format!(
            "creating the state directory {}",
            config.agent.state_dir.display()
        )
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let exit = runtime.block_on(serve(config))?;
    drop(runtime);
    match exit {
        Exit::Stop => Ok(()),
        Exit::Restart => {
            tracing::info!(exe = %reexec.exe.display(), "re-executing");
            let err = std::process::Command::new(&reexec.exe)
                .args(&reexec.args)
                .exec();
            Err(err).with_context(|| format!("re-executing {}", reexec.exe.display()))
        }
    }
}

async fn serve(config: Config) -> Result<Exit> {
    let socket = config.agent.control_socket.clone();
    let (instance, listener) = Instance::claim(&socket)?;
    let metrics = crate::metrics::MetricsListener::bind(config.agent.metrics_listen).await?;
    tracing::info!(
        socket = %socket.display(),
        config = %config.dir.display(),
        wans = config.wans.len(),
        pid = std::process::id(),
        version = env!("CARGO_PKG_VERSION"),
        "mpwan agent started"
    );
    let started = crate::clock::rfc3339_now();
    let supervisor = Supervisor::start(config, instance_id(), started);
    let (tx, rx) = mpsc::channel(16);
    let _metrics = metrics.map(|m| m.serve(tx.clone()));
    let server = tokio::spawn(crate::control::server::serve(listener, tx));
    let exit = supervisor.run(rx).await?;
    server.abort();
    if exit == Exit::Stop {
        instance.remove_socket();
    }
    tracing::info!(?exit, "mpwan agent leaving");
    Ok(exit)
}

/// A fresh random id for this process image.
fn instance_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .map(|u| u.trim().to_string())
        .unwrap_or_else(|_| format!("{}-{}", std::process::id(), crate::clock::rfc3339_now()))
}
