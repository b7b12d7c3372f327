//! Readiness notices for a service manager (sd_notify(3), systemd's
//! `Type=notify`): `READY=1` once the configuration is loaded, the control
//! socket is bound and the signal handlers are in place; `RELOADING=1` …
//! `READY=1` around a reload; `RELOADING=1` before a restart in place, whose
//! `READY=1` the new image sends from the same pid; `STOPPING=1` when a stop
//! begins. Without `NOTIFY_SOCKET` (procd, a shell) every call does nothing.
//!
//! Why not the `sd-notify` crate: its sender connects with
//! `UnixDatagram::connect(path)`, which cannot reach the abstract-namespace
//! address (`NOTIFY_SOCKET=@name`) that sd_notify(3) allows, and the rest of
//! what we need is one datagram; std sends to both kinds of address without
//! unsafe code and without a new dependency.
//!
//! `NOTIFY_SOCKET` is deliberately left in the environment: the image that
//! `mpwan restart` executes in place needs it to send its `READY=1`. Hooks
//! run with a clean environment, so they never see it.

use std::ffi::OsStr;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::Path;

use super::supervisor::Exit;

/// The environment variable a service manager sets to its notify socket.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// What the service manager is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Started, or done reloading: `READY=1` with our pid as `MAINPID`.
    Ready,
    /// A reload or a restart in place begins: `RELOADING=1`.
    Reloading,
    /// A stop begins: `STOPPING=1`.
    Stopping,
}

/// Call when the daemon serves: the control socket is bound and SIGHUP,
/// SIGUSR1 and SIGTERM are handled (before that, a reload signal from the
/// service manager would kill the process).
pub fn ready() {
    send(Notice::Ready);
}

/// `RELOADING=1` when made, `READY=1` when dropped: hold it for the length
/// of a reload, whichever way the reload ends.
#[must_use = "READY=1 is sent when this is dropped"]
#[derive(Debug)]
pub struct Reloading(());

impl Reloading {
    pub fn start() -> Reloading {
        send(Notice::Reloading);
        Reloading(())
    }
}

impl Drop for Reloading {
    fn drop(&mut self) {
        send(Notice::Ready);
    }
}

/// Call when the main loop has ended, before BGP sessions close: a stop
/// says `STOPPING=1`; a restart in place says `RELOADING=1` (the service
/// manager then waits for the new image's `READY=1` and sends no reload in
/// between, whose SIGHUP would find no handler during the exec).
pub fn leaving(exit: Exit) {
    send(match exit {
        Exit::Stop => Notice::Stopping,
        Exit::Restart => Notice::Reloading,
    });
}

/// The datagram for `notice`. `MONOTONIC_USEC` goes with `RELOADING=1`:
/// systemd 253 and later (`Type=notify-reload`) require it there, older
/// ones ignore it.
pub fn message(notice: Notice, pid: u32, monotonic_usec: Option<u64>) -> String {
    match (notice, monotonic_usec) {
        (Notice::Ready, _) => format!("READY=1\nMAINPID={pid}\n"),
        (Notice::Reloading, Some(usec)) => format!("RELOADING=1\nMONOTONIC_USEC={usec}\n"),
        (Notice::Reloading, None) => "RELOADING=1\n".to_string(),
        (Notice::Stopping, _) => "STOPPING=1\n".to_string(),
    }
}

/// The address in `NOTIFY_SOCKET`: an absolute path, or `@name` for the
/// abstract namespace.
pub fn address(var: &OsStr) -> io::Result<SocketAddr> {
    match var.as_bytes().split_first() {
        Some((b'@', name)) => SocketAddr::from_abstract_name(name),
        Some((b'/', _)) => SocketAddr::from_pathname(Path::new(var)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "neither an absolute path nor @name",
        )),
    }
}

fn send(notice: Notice) {
    let Some(var) = std::env::var_os(NOTIFY_SOCKET) else {
        return;
    };
    let usec = match notice {
        Notice::Reloading => monotonic_usec(),
        Notice::Ready | Notice::Stopping => None,
    };
    let text = message(notice, std::process::id(), usec);
    if let Err(e) = send_to(&var, text.as_bytes()) {
        // Not fatal: the service manager then times us out, which says more
        // than a daemon that refuses to run would.
        tracing::warn!(socket = %var.to_string_lossy(), error = %e, ?notice, "could not notify the service manager");
    }
}

fn send_to(var: &OsStr, bytes: &[u8]) -> io::Result<()> {
    let addr = address(var)?;
    let socket = UnixDatagram::unbound()?;
    let sent = socket.send_to_addr(bytes, &addr)?;
    if sent == bytes.len() {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::WriteZero, "short datagram"))
    }
}

/// CLOCK_MONOTONIC in microseconds, the clock systemd compares with; None
/// if it cannot be read (the notice then goes without it).
fn monotonic_usec() -> Option<u64> {
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).ok()?;
    let secs = u64::try_from(now.tv_sec()).ok()?;
    let micros = u64::try_from(now.tv_nsec()).ok()? / 1000;
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sd_notify_assignments() {
        assert_eq!(message(Notice::Ready, 42, None), "READY=1\nMAINPID=42\n");
        assert_eq!(
            message(Notice::Reloading, 42, Some(7)),
            "RELOADING=1\nMONOTONIC_USEC=7\n"
        );
        assert_eq!(message(Notice::Reloading, 42, None), "RELOADING=1\n");
        assert_eq!(message(Notice::Stopping, 42, Some(7)), "STOPPING=1\n");
    }

    #[test]
    fn addresses_are_paths_or_abstract_names() {
        let a = address(OsStr::new("/run/systemd/notify")).unwrap();
        assert_eq!(a.as_pathname(), Some(Path::new("/run/systemd/notify")));
        let a = address(OsStr::new("@sd-notify-x")).unwrap();
        assert_eq!(a.as_abstract_name(), Some(&b"sd-notify-x"[..]));
        assert!(address(OsStr::new("")).is_err());
        assert!(address(OsStr::new("relative/notify")).is_err());
        assert!(address(OsStr::new("vsock:2:1234")).is_err());
    }

    #[test]
    fn a_datagram_reaches_an_abstract_socket() {
        let name = format!("mpwan-notify-test-{}", std::process::id());
        let listener =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        send_to(OsStr::new(&format!("@{name}")), b"READY=1\n").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
    }

    #[test]
    fn the_monotonic_clock_reads() {
        assert!(monotonic_usec().is_some_and(|u| u > 0));
    }
}
