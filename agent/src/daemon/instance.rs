//! One agent per control socket: an exclusive lock next to the socket, then
//! the socket itself, replacing a stale one, created with mode 0600.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tokio::net::UnixListener;

/// The held lock of the running agent and its socket's path.
#[derive(Debug)]
pub struct Instance {
    /// Held for the life of the process; the kernel releases it on exit and
    /// on exec (close-on-exec), so a crashed agent never blocks a new one.
    _lock: File,
    socket: PathBuf,
}

impl Instance {
    /// Takes the lock for `socket` and binds it. Fails when another agent
    /// holds the lock; removes a socket file no agent holds (stale).
    pub fn claim(socket: &Path) -> Result<(Instance, UnixListener)> {
        let dir = socket
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .context("the control socket path has no directory")?;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the directory {}", dir.display()))?;
        let lock_path = lock_path(socket);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .with_context(|| format!("opening the lock file {}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&lock_path).unwrap_or_default();
                bail!(
                    "another mpwan agent (pid {}) already owns {}",
                    holder.trim(),
                    socket.display()
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", lock_path.display()));
            }
        }
        lock.set_len(0)?;
        writeln!(lock, "{}", std::process::id())?;
        match std::fs::remove_file(socket) {
            Ok(()) => tracing::info!(socket = %socket.display(), "replaced a stale control socket"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("removing the stale {}", socket.display()));
            }
        }
        // The process umask is 077 (set at start), so the socket is born
        // 0600; the chmod makes it so whatever umask an embedder set.
        let listener = UnixListener::bind(socket)
            .with_context(|| format!("binding the control socket {}", socket.display()))?;
        std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("setting mode 0600 on {}", socket.display()))?;
        let instance = Instance {
            _lock: lock,
            socket: socket.to_path_buf(),
        };
        Ok((instance, listener))
    }

    /// Removes the socket file; called on a clean stop, not on restart
    /// (the new image replaces it).
    pub fn remove_socket(&self) {
        let _ = std::fs::remove_file(&self.socket);
    }
}

fn lock_path(socket: &Path) -> PathBuf {
    let mut name = socket.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    socket.with_file_name(name)
}
